; syscalls.s - a system-call-heavy loop: 1000 getpid() calls, then 100 yield() calls and a
; sleep(3), each timed with cycles(). A system call is a trap into the kernel and back: this
; is what one costs here (the figures are exact and the same every run).

        .equ CALLS, 1000
        .equ YIELDS, 100

        .org 0x40000000
start:
        li      r9, SYS_GETPID      ; "[syscalls] 1000 getpid calls: 277 cycles each"
        li      r10, CALLS
        la      r11, msg_getpid
        call    time_calls
        li      r9, SYS_YIELD       ; "[syscalls] 100 yield calls: ... cycles each"
        li      r10, YIELDS
        la      r11, msg_yield
        call    time_calls
        li      r1, SYS_CYCLES      ; "[syscalls] sleep(3 ticks ...): woke after N cycles"
        syscall
        mov     r9, r1
        li      r1, SYS_SLEEP
        li      r2, 3
        syscall
        li      r1, SYS_CYCLES
        syscall
        sub     r11, r1, r9
        la      r1, msg_sleep
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_cycles
        call    print
        li      r1, 0
        call    exit

; time_calls(r9 = system call, r10 = how many, r11 = label): makes the call r10 times and
; prints the label and the cycles each took.
time_calls:
        push    lr
        push    r12
        push    r13
        li      r1, SYS_CYCLES
        syscall
        mov     r12, r1             ; r12 = the start, r13 = calls left
        mov     r13, r10
.call:
        mov     r1, r9
        syscall
        addi    r13, r13, -1
        cmpi    r13, 0
        bgt     .call
        li      r1, SYS_CYCLES
        syscall
        sub     r1, r1, r12
        divu    r12, r1, r10
        mov     r1, r11
        call    print
        mov     r1, r12
        call    print_dec
        la      r1, msg_each
        call    print
        pop     r13
        pop     r12
        pop     lr
        ret

        .include "ulib.inc"

msg_getpid: .asciz "[syscalls] 1000 getpid calls: "
msg_yield:  .asciz "[syscalls] 100 yield calls: "
msg_each:   .asciz " cycles each\n"
msg_sleep:  .asciz "[syscalls] sleep(3 ticks of 1 ms): woke after "
msg_cycles: .asciz " cycles\n"
