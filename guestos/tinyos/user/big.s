; big.s - a program with a large image: 8 pages (32 KiB, 64 sectors) that the disk driver
; must read before it can start. It prints the cycle it started at, so that a container's
; I/O rate (`run -c NAME io=SECTORS big`, container.inc) shows as a later start.

        .org 0x40000000
start:
        la      r1, msg_start       ; "[big] 8 pages loaded; running at cycle 1234"
        call    print
        li      r1, SYS_CYCLES
        syscall
        call    print_dec
        la      r1, msg_nl
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_start:      .asciz "[big] 8 pages loaded; running at cycle "
msg_nl:         .asciz "\n"
        .align  4096
        .space  7 * 4096 - 4        ; the rest of the 8 pages: data it never touches
        .word   0
