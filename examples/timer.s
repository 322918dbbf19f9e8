; timer.s - counting timer interrupts.
;
; The CPU's timer counts down cycles; when it reaches zero, interrupt line 0 becomes pending.
; With interrupts enabled (sti) the CPU enters the kernel at tvec with cause 0x80000000
; (interrupt, line 0). The handler counts the tick and re-arms the timer, which also
; acknowledges the interrupt. The main loop sleeps with halt until ten ticks have arrived.

        .equ PERIOD, 1000           ; cycles between ticks
        .equ TICKS, 10

start:
        la      sp, stack_top
        la      r1, tick
        csrw    tvec, r1
        li      r10, 0              ; r10 counts ticks (only the handler changes it)
        li      r1, PERIOD
        csrw    timer, r1           ; arm the first tick
        sti                         ; interrupts on
.wait:
        halt                        ; sleep until an interrupt
        cmpi    r10, TICKS
        blt     .wait
        cli
        la      r1, msg
        call    puts
        mov     r1, r10
        call    putdec
        call    newline
        out     r0, [POWER]

; The interrupt handler: count, re-arm (which acknowledges the pending tick), return.
tick:
        addi    r10, r10, 1
        li      r1, PERIOD
        csrw    timer, r1
        iret

        .include "console.inc"

msg:    .asciz "timer interrupts counted: "
        .align 4
        .space 128
stack_top:
