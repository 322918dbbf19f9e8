; fault.s - a program with a bug: it reads address 0. Page 0 is mapped for nobody, so the MMU
; raises a load page fault; the address is in none of the program's regions, so the kernel
; kills the program, and the shell and everything else go on.

        .org 0x40000000
start:
        la      r1, msg_before
        call    print
        ld      r1, [r0]            ; the bug: a null pointer
        la      r1, msg_after       ; never printed
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_before: .asciz "[fault] about to read address 0\n"
msg_after:  .asciz "[fault] still alive: the MMU did not stop the read\n"
