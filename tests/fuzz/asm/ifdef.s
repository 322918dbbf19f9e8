; conditional assembly: nested branches, a label before a directive, both kinds
        .equ A, 1
        .ifdef A
start:  li      r1, 1
        .ifndef B
        li      r2, 2
        .else
        li      r2, 3
        .endif
        .else
        nop
here:   .ifdef A
        nop
        .endif
        .endif
        out     r0, [0xf0]
