; rtos-net - the rtos with a network card: the same executive (../rtos/kernel.s), assembled
; with TELEMETRY defined, which adds a fourth periodic task, `telemetry`, whose every job sends
; a frame of the executive's statistics to the peer host (../rtos/net.inc, docs/guests.md).
; The plain rtos (rtos.img) has not one instruction of it, so its runs are what they were.

        .equ TELEMETRY, 1
        .include "../rtos/kernel.s"
