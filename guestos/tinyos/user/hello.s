; hello.s - the smallest tinyos program: one line on the console, then exit(0).

        .org 0x40000000
start:
        la      r1, msg
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg:    .asciz "Hello from a tinyos process!\n"
