; popf.s - the Popek-Goldberg lesson in twenty lines of user code.
;
; popf pops FLAGS from the stack. In kernel mode it can change IE, the interrupt-enable bit.
; In user mode it silently leaves IE alone: no trap, no error, nothing the kernel (or a
; hypervisor) could notice. pushf, for its part, shows user code its privilege level.
; Both are "sensitive but not privileged" instructions, so this ISA cannot be virtualized by
; trap-and-emulate alone.
;
; The kernel arms the timer and enters user mode with interrupts on. The user program pushes
; FLAGS, clears IE in the copy, pops it back, and reads FLAGS again: IE is still 1. Then it
; spins, and the timer interrupt arrives anyway.

        .equ FLAG_IE, 0x100
        .equ MODE_SHIFT, 12
        .equ SYS_PUTS, 1            ; syscall 1: print the string at r1
        .equ SYS_PUTHEX, 2          ; syscall 2: print r1 in hex

kernel:
        la      sp, kstack_top
        la      r1, trap_handler
        csrw    tvec, r1
        li      r1, 1000000
        csrw    timer, r1           ; a tick in a million cycles, long after the prints
        la      r1, user_main
        csrw    epc, r1
        li      r1, FLAG_IE         ; MODE = U, IE = 1
        csrw    eflags, r1
        la      sp, ustack_top
        iret

; ---- user mode ------------------------------------------------------------------------------
user_main:
        pushf                       ; sensitive: FLAGS, MODE bits included, on the stack
        pop     r5
        la      r1, msg_flags
        li      r9, SYS_PUTS
        syscall
        mov     r1, r5
        li      r9, SYS_PUTHEX
        syscall
        la      r1, msg_mode
        li      r9, SYS_PUTS
        syscall

        li      r6, ~FLAG_IE
        and     r6, r5, r6          ; the same flags with IE cleared
        push    r6
        popf                        ; in U: IE silently unchanged, no trap
        pushf
        pop     r5
        la      r1, msg_after
        li      r9, SYS_PUTS
        syscall
        mov     r1, r5
        li      r9, SYS_PUTHEX
        syscall
        la      r1, msg_still
        li      r9, SYS_PUTS
        syscall
.spin:
        b       .spin               ; "interrupts off": surely nothing can interrupt us now

; ---- kernel: traps and interrupts -----------------------------------------------------------
trap_handler:
        csrr    r7, cause
        cmpi    r7, 4
        beq     .syscall
        lui     r8, 0x8000          ; 0x80000000: interrupt, line 0 (timer)
        cmp     r7, r8
        beq     .timer
        la      r1, msg_unexpected
        call    puts
        li      r1, 1
        out     r1, [POWER]
.syscall:
        cmpi    r9, SYS_PUTHEX
        beq     .puthex
        call    puts
        iret
.puthex:
        call    puthex
        iret
.timer:
        la      r1, msg_timer
        call    puts
        out     r0, [POWER]

        .include "console.inc"

msg_flags:      .asciz "user: pushf gives FLAGS = "
msg_mode:       .asciz " (MODE bits 13..12 = 0: user code can see it runs in U)\n"
msg_after:      .asciz "user: popf with IE = 0 did not trap; FLAGS now = "
msg_still:      .asciz " (IE is still 1)\n"
msg_timer:      .asciz "kernel: timer interrupt taken in user mode: popf never disabled interrupts\n"
msg_unexpected: .asciz "kernel: unexpected trap\n"

        .align 4
        .space 128
ustack_top:
        .space 128
kstack_top:
