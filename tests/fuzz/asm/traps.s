; traps.s - how a trap reaches the kernel, and how the kernel returns.
;
; The kernel (K) sets the trap vector, then drops to user mode (U) with iret. The user program
; makes a system call, then tries a privileged instruction. Each time the CPU enters the
; kernel at `tvec` with the reason in `cause`; the handler prints the cause by name. After a
; system call it returns to the next instruction; the privileged instruction cannot be
; allowed to go on, so the kernel ends the program there.

        .equ CAUSE_PRIVILEGED, 1
        .equ CAUSE_SYSCALL, 4
        .equ MODE_U, 0x0000         ; the MODE bits of FLAGS (bits 13..12) for user mode

kernel:
        la      sp, kstack_top
        la      r1, trap_handler
        csrw    tvec, r1            ; traps enter the kernel here
        la      r1, user_main
        csrw    epc, r1             ; iret "returns" to user_main ...
        li      r1, MODE_U
        csrw    eflags, r1          ; ... in user mode, interrupts off
        iret

; ---- the user program: runs in U ---------------------------------------------------------
user_main:
        li      r1, 1               ; system call number 1 (this kernel ignores it)
        syscall                     ; trap 4: system-call
        csrr    r2, cause           ; trap 1: privileged-instruction (U may not read CSRs)
        b       user_main           ; never reached

; ---- the kernel's trap handler: runs in K ---------------------------------------------------
trap_handler:
        csrr    r1, cause
        cmpi    r1, CAUSE_SYSCALL
        beq     .syscall
        cmpi    r1, CAUSE_PRIVILEGED
        beq     .privileged
        la      r1, msg_other
        call    puts
        li      r1, 1
        out     r1, [POWER]         ; unexpected trap: exit 1
.syscall:
        la      r1, msg_syscall
        call    puts
        iret                        ; epc already points after the syscall
.privileged:
        la      r1, msg_privileged
        call    puts
        la      r1, msg_done
        call    puts
        out     r0, [POWER]         ; exit 0

        .include "console.inc"

msg_syscall:    .asciz "trap: system-call (cause 4), from user mode\n"
msg_privileged: .asciz "trap: privileged-instruction (cause 1), from user mode\n"
msg_done:       .asciz "the kernel stops the program\n"
msg_other:      .asciz "trap: unexpected cause\n"

        .align  4
        .space  256
kstack_top:
