; calls.s - a program that calls routines in the guests' calling convention (docs/isa.md,
; "Calling convention"), for next, finish, until, advance, bt and list (tests/ui/test_repl.c).
;
; start calls work three times in a loop (work calls square and putc), then puts prints "ok"
; and the machine powers off with the number of rounds, 3, as its exit code.

        .equ UART, 0x3f8
        .equ POWER, 0x0f0

start:
        la      sp, 0x8000
        li      r9, 0
.round: li      r1, 3
        call    work
        addi    r9, r9, 1
        cmpi    r9, 3
        blt     .round
        la      r1, msg
        call    puts
        out     r9, [POWER]
        b       .

; work(r1): squares r1 into total, prints a dot.
work:
        push    lr
        push    r10
        mov     r10, r1
        call    square
        la      r2, total
        ld      r3, [r2]
        add     r3, r3, r1
        st      r3, [r2]
        li      r1, '.'
        call    putc
        pop     r10
        pop     lr
        ret

; square(r1) -> r1 * r1 (a leaf: lr stays in its register)
square:
        mul     r1, r1, r1
        ret

; putc(r1): one character on the console
putc:
        out     r1, [UART]
        ret

; puts(r1 = string): the characters up to the 0, then a newline
puts:
        push    lr
        mov     r2, r1
.next:  ldbu    r1, [r2]
        cmpi    r1, 0
        beq     .done
        call    putc
        addi    r2, r2, 1
        b       .next
.done:  li      r1, '\n'
        call    putc
        pop     lr
        ret

msg:    .asciz  "ok"
        .align  4
total:  .word   0
