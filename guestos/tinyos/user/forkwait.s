; forkwait.s - the spawn-and-wait pattern: five times, start /bin/true and wait for it to
; exit. Each round creates an address space, loads a program from the disk, runs it, and
; frees it all again: what a shell does for every command.

        .equ ROUNDS, 5

        .org 0x40000000
start:
        li      r1, SYS_CYCLES
        syscall
        mov     r9, r1              ; r9 = the start, r10 = rounds left
        li      r10, ROUNDS
.round:
        li      r1, SYS_SPAWN
        la      r2, name_true
        syscall
        cmpi    r1, 0
        blt     .failed
        mov     r11, r1             ; the child's id
        li      r1, SYS_WAIT
        syscall                     ; r1 = the child that exited, r2 = its status
        cmp     r1, r11
        bne     .failed
        cmpi    r2, 0
        bne     .failed
        addi    r10, r10, -1
        cmpi    r10, 0
        bgt     .round
        li      r1, SYS_CYCLES
        syscall
        sub     r1, r1, r9
        li      r2, ROUNDS
        divu    r11, r1, r2
        la      r1, msg_rounds      ; "[forkwait] 5 rounds of spawn + wait: N cycles each"
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_each
        call    print
        li      r1, 0
        call    exit
.failed:
        la      r1, msg_failed
        call    print
        li      r1, 1
        call    exit

        .include "ulib.inc"

name_true:  .asciz "true"
msg_rounds: .asciz "[forkwait] 5 rounds of spawn(true) + wait: "
msg_each:   .asciz " cycles each\n"
msg_failed: .asciz "[forkwait] spawn or wait failed\n"
