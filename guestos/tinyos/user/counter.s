; counter.s - a CPU-bound program: it counts, and says how far it has got five times. It never
; yields and never waits: when two run side by side ("counter &" then "counter"), their lines
; interleave only because the timer preempts them.

        .equ ROUNDS, 5
        .equ TURNS, CYCLES_PER_MS / 2 ; 4 cycles a turn: 2 ms a round, two time slices of tinyos's

        .org 0x40000000
start:
        li      r1, SYS_GETPID
        syscall
        mov     r9, r1              ; r9 = our id, r10 = the round
        li      r10, 1
.round:
        la      r1, TURNS
.count:
        addi    r1, r1, -1
        cmpi    r1, 0
        bgt     .count
        la      r1, msg_head        ; "[counter 5] round 1 of 5"
        call    print
        mov     r1, r9
        call    print_dec
        la      r1, msg_round
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_of
        call    print
        addi    r10, r10, 1
        cmpi    r10, ROUNDS
        ble     .round
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_head:  .asciz "[counter "
msg_round: .asciz "] round "
msg_of:    .asciz " of 5\n"
