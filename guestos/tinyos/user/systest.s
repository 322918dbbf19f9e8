; systest.s - each system call, and what the kernel answers to a bad request. One line per
; check: "[systest] ok: ..." or "[systest] FAILED: ...". The last check passes the kernel an
; address the program does not own: the kernel kills the program instead of failing itself.

        .org 0x40000000
start:
        li      r1, SYS_GETPID      ; getpid: a positive id
        syscall
        mov     r2, r1
        slt     r1, r0, r2
        la      r2, t_getpid
        call    check
        li      r1, SYS_WRITE       ; write from kernel memory: refused
        la      r2, 0x20000
        li      r3, 4
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_write_kernel
        call    check
        li      r1, SYS_WRITE       ; write of more than a page: refused
        la      r2, msg_ok
        li      r3, 5000
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_write_long
        call    check
        li      r1, SYS_WRITE       ; write of 0 bytes: 0
        la      r2, msg_ok
        li      r3, 0
        syscall
        cmpi    r1, 0
        call    check_eq
        la      r2, t_write_zero
        call    check
        li      r1, SYS_SPAWN       ; spawn of a program that does not exist: -1
        la      r2, name_none
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_spawn_none
        call    check
        li      r1, SYS_SPAWN       ; spawn with a name in kernel memory: -1
        la      r2, 0x20000
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_spawn_kernel
        call    check
        li      r1, SYS_SPAWN       ; a name in a heap page never touched: the kernel's read
        la      r2, heap            ; of it gets a fresh (empty) page, and the name is empty
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_spawn_fresh
        call    check
        li      r1, SYS_WAIT        ; wait with no children: -1
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_wait_none
        call    check
        li      r1, SYS_SPAWN       ; spawn + wait: the child's id and status 0
        la      r2, name_true
        syscall
        mov     r9, r1
        li      r1, SYS_WAIT
        syscall
        sub     r1, r1, r9
        or      r1, r1, r2
        cmpi    r1, 0
        call    check_eq
        la      r2, t_spawn_wait
        call    check
        li      r1, 99              ; an unknown system call: -1
        syscall
        cmpi    r1, -1
        call    check_eq
        la      r2, t_unknown
        call    check
        li      r1, SYS_YIELD       ; yield: 0
        syscall
        cmpi    r1, 0
        call    check_eq
        la      r2, t_yield
        call    check
        li      r1, SYS_CYCLES      ; sleep(2): 0, and more than one tick period later
        syscall
        mov     r9, r1
        li      r1, SYS_SLEEP
        li      r2, 2
        syscall
        mov     r10, r1
        li      r1, SYS_CYCLES
        syscall
        sub     r1, r1, r9
        la      r2, CYCLES_PER_MS   ; a tick
        sltu    r1, r1, r2          ; 1 when too early
        or      r1, r1, r10
        cmpi    r1, 0
        call    check_eq
        la      r2, t_sleep
        call    check
        la      r1, msg_last        ; the last check: the kernel kills us
        call    print
        li      r1, SYS_WRITE
        la      r2, 0x50000000      ; in the user half, but in no region of ours
        li      r3, 1
        syscall
        la      r1, msg_survived
        call    print
        li      r1, 1
        call    exit

; check_eq() -> r1 = 1 when the flags of the last cmpi say equal.
check_eq:
        li      r1, 1
        beq     .done
        li      r1, 0
.done:
        ret

; check(r1 = 1 when the check passed, r2 = what was checked): prints the result line.
check:
        push    lr
        push    r9
        mov     r9, r2
        la      r2, msg_ok
        cmpi    r1, 0
        bne     .print
        la      r2, msg_failed
.print:
        mov     r1, r2
        call    print
        mov     r1, r9
        call    print
        pop     r9
        pop     lr
        ret

        .include "ulib.inc"

name_none:      .asciz "nosuchprogram"
name_true:      .asciz "true"
msg_ok:         .asciz "[systest] ok: "
msg_failed:     .asciz "[systest] FAILED: "
t_getpid:       .asciz "getpid gives a positive id\n"
t_write_kernel: .asciz "write from kernel memory is refused\n"
t_write_long:   .asciz "write of more than 4096 bytes is refused\n"
t_write_zero:   .asciz "write of 0 bytes gives 0\n"
t_spawn_none:   .asciz "spawn of a missing program gives -1\n"
t_spawn_kernel: .asciz "spawn with a name in kernel memory gives -1\n"
t_spawn_fresh:  .asciz "spawn with a name in an untouched heap page gives -1\n"
t_wait_none:    .asciz "wait without children gives -1\n"
t_spawn_wait:   .asciz "spawn + wait give the child's id and status 0\n"
t_unknown:      .asciz "an unknown system call gives -1\n"
t_yield:        .asciz "yield gives 0\n"
t_sleep:        .asciz "sleep(2) gives 0 after more than one tick (1 ms)\n"
msg_last:       .asciz "[systest] last: write from an address we do not own\n"
msg_survived:   .asciz "[systest] FAILED: the kernel let us write from it\n"
        .align  4
image_end:
        .equ heap, (image_end + PAGE - 1) & ~(PAGE - 1)
