; pagetouch.s - touches 64 fresh pages: the heap past its image, one word in each. No page of
; the heap exists until it is touched: each first touch is a page fault, which the kernel
; answers with a zeroed page, and the store runs again. Then it reads every word back.

        .equ PAGES, 64

        .org 0x40000000
start:
        la      r9, heap            ; r9 = the page, r10 = its number
        li      r10, 0
.touch:
        st      r10, [r9]           ; a page fault, answered; then the store
        la      r1, PAGE
        add     r9, r9, r1
        addi    r10, r10, 1
        cmpi    r10, PAGES
        blt     .touch
        la      r9, heap            ; read them back: 0 + 1 + ... + 63
        li      r10, 0
        li      r11, 0
.sum:
        ld      r1, [r9]
        add     r11, r11, r1
        la      r1, PAGE
        add     r9, r9, r1
        addi    r10, r10, 1
        cmpi    r10, PAGES
        blt     .sum
        la      r1, msg_touched     ; "[pagetouch] 64 fresh pages touched and read back: sum 2016"
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_want
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_touched: .asciz "[pagetouch] 64 fresh pages touched and read back: sum "
msg_want:    .asciz " (want 2016)\n"
        .align  4
image_end:
        .equ heap, (image_end + PAGE - 1) & ~(PAGE - 1) ; the first page past the image
