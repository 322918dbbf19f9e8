; demo.s - the program the REPL's scripted sessions debug (tests/ui/test_repl.c).
;
; In K it counts r1 up to 5 into `counter`, then drops to U with iret. The user code makes a
; system call; the handler prints "hi" and powers off with the count as the exit code.

        .equ UART, 0x3f8
        .equ POWER, 0x0f0

start:
        la      r1, handler
        csrw    tvec, r1
        li      r1, 0
        la      r2, counter
count:  addi    r1, r1, 1
        st      r1, [r2]
        cmpi    r1, 5
        bne     count
        la      r1, user
        csrw    epc, r1
        csrw    eflags, r0          ; MODE = U, interrupts off
        iret
user:   li      r3, 7
        syscall
        b       user
handler:
        la      r1, message
puts:   ldbu    r2, [r1]
        cmpi    r2, 0
        beq     done
        out     r2, [UART]
        addi    r1, r1, 1
        b       puts
done:   la      r2, counter
        ld      r1, [r2]
        out     r1, [POWER]
message:
        .asciz  "hi\n"
        .align  4
counter:
        .word   0
