; popf/kernel.s - the popf guest: a kernel whose critical sections are written the way tinyos
; writes them (pushf, cli, ..., popf), and which checks that its timer tick still arrives after
; each one. It boots like the other guests (ROM, boot loader, /kernel at 0x20000), runs in K
; with paging off, and powers off with 0 when every tick arrived, 1 when some were lost.
;
; Each of three rounds arms the timer (a tick in TICK cycles), enters a critical section that
; spins far longer than that, and leaves it with popf. On bare hardware, and under a hypervisor
; with hardware assist, the tick falls due inside the section, waits (IE = 0), and is taken
; the moment popf restores IE = 1: every round counts one more tick.
;
; Under trap-and-emulate the kernel runs deprivileged in U. cli traps and the hypervisor
; clears the virtual IE; popf in U loads Z N C V but silently leaves IE alone (docs/isa.md,
; "Privilege and the Popek-Goldberg lesson"), so the hypervisor never learns that the kernel
; wanted interrupts back. The virtual IE stays 0 and no tick arrives again: the rounds count 0.
; rdmode, also sensitive but unprivileged, tells the kernel which mode it really runs in.

        .include "../include/hw.inc"
        .include "../include/fs.inc"        ; for bootlib.inc (its puts and putdec are used)

        .equ TABLE_BUF, 0x2000      ; bootlib.inc's partition-table buffer (unused here)
        .equ ROUNDS, 3
        .equ TICK, 5000             ; cycles from arming the timer to the tick
        .equ SPIN, 10000            ; iterations of the critical section (about 3 cycles each)

        .org 0x20000
start:
        la      sp, stack_top
        la      r5, on_trap
        csrw    tvec, r5
        la      r1, msg_hello
        call    puts
        rdmode  r5                  ; sensitive, unprivileged: the real mode, not the virtual one
        la      r1, msg_mode
        call    puts
        mov     r1, r5
        call    putdec
        la      r1, msg_mode_end
        call    puts
        sti                         ; the kernel runs with interrupts on
        li      r6, 0               ; rounds done
.round:
        li      r5, TICK
        csrw    timer, r5           ; a tick in TICK cycles: inside the critical section
        pushf                       ; --- critical section: save FLAGS (IE = 1) ...
        cli                         ; ... and mask interrupts
        li      r7, SPIN
.spin:
        addi    r7, r7, -1          ; the tick falls due here and waits
        cmpi    r7, 0
        bne     .spin
        popf                        ; --- end: restore FLAGS; with IE = 1 the tick comes now
        nop
        addi    r6, r6, 1
        la      r1, msg_round
        call    puts
        mov     r1, r6
        call    putdec
        la      r1, msg_ticks
        call    puts
        la      r1, ticks
        ld      r1, [r1]
        call    putdec
        li      r1, '\n'
        out     r1, [UART_DATA]
        cmpi    r6, ROUNDS
        bne     .round
        la      r1, ticks
        ld      r5, [r1]
        cmpi    r5, ROUNDS
        bne     .lost
        la      r1, msg_all
        call    puts
        out     r0, [POWER]
.lost:
        la      r1, msg_lost
        call    puts
        li      r1, 1
        out     r1, [POWER]

; The timer tick: count it and switch the timer off (writing it acknowledges the interrupt).
on_trap:
        push    r1
        push    r2
        csrr    r1, cause
        lui     r2, 0x8000          ; 0x80000000: interrupt, line 0 (timer)
        cmp     r1, r2
        bne     .unexpected
        csrw    timer, r0
        la      r1, ticks
        ld      r2, [r1]
        addi    r2, r2, 1
        st      r2, [r1]
        pop     r2
        pop     r1
        iret
.unexpected:
        la      r1, msg_unexpected
        call    puts
        li      r1, 2
        out     r1, [POWER]

        .include "../boot/bootlib.inc"

who:            .asciz "[popf] "
msg_hello:      .asciz "popf: three critical sections (pushf, cli, ..., popf), a timer tick due in each\n"
msg_mode:       .asciz "popf: rdmode says the kernel runs in mode "
msg_mode_end:   .asciz " (1 = K, 0 = U)\n"
msg_round:      .asciz "popf: round "
msg_ticks:      .asciz ", ticks so far "
msg_all:        .asciz "popf: every tick arrived when popf restored IE\n"
msg_lost:       .asciz "popf: ticks lost: popf did not restore IE (sensitive but unprivileged, it ran in U)\n"
msg_unexpected: .asciz "popf: unexpected trap\n"

        .align 4
ticks:  .word 0
        .space 256
stack_top:
