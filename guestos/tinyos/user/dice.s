; dice.s - rolls eight dice with words from the hypervisor's entropy source, a device that no
; hardware has (docs/io.md, "The entropy source"): one system call, random, fills a buffer;
; in the kernel each word is an `in` of the device's port, a VM exit the hypervisor answers.
; Without the source (natively, or a VM without `entropy = on`) random answers -1 and dice
; says so. The rolls are the same on every run with the same seed: the source is the
; hypervisor's generator, deterministic as the whole machine is.

        .equ ROLLS, 8

        .org 0x40000000
start:
        li      r1, SYS_RANDOM
        la      r2, words
        li      r3, ROLLS
        syscall
        cmpi    r1, ROLLS
        beq     .roll
        la      r1, msg_none
        call    print
        li      r1, 1
        call    exit
.roll:
        la      r1, msg_head        ; "dice: 3 5 1 6 2 2 4 1"
        call    print
        la      r9, words
        li      r10, ROLLS
.next:
        ld      r1, [r9]
        li      r2, 6
        remu    r1, r1, r2
        addi    r1, r1, 1
        call    print_dec
        la      r1, msg_space
        addi    r10, r10, -1
        cmpi    r10, 0
        bne     .sep
        la      r1, msg_tail
.sep:
        call    print
        addi    r9, r9, 4
        cmpi    r10, 0
        bgt     .next
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_head:  .asciz "dice: "
msg_space: .asciz " "
msg_tail:  .asciz " (8 rolls from the hypervisor's entropy source)\n"
msg_none:  .asciz "dice: no entropy source (it is a hypervisor's device: entropy = on)\n"
        .align  4
words:  .space  ROLLS * 4
