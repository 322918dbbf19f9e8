; hello.s - the smallest complete program: print a line on the console and power off.
;
; The machine starts here in kernel mode (K) at 0x1000. The console UART is at I/O port
; 0x3f8; writing a word sends its low byte. Writing to the power device (port 0x0f0) turns the
; machine off, and the value written becomes hvsim's exit status.

        .equ UART, 0x3f8
        .equ POWER, 0x0f0

start:
        la      r1, message         ; r1 walks through the string
.next:
        ldbu    r2, [r1]            ; next character
        cmpi    r2, 0
        beq     .done               ; the terminating 0 ends the string
        out     r2, [UART]          ; send it to the console
        addi    r1, r1, 1
        b       .next
.done:
        out     r0, [POWER]         ; power off with exit code 0 (r0 is always 0)

message:
        .asciz  "Hello, world!\n"
