; splinter/kernel.s - a guest that maps its memory with one large page, for the scenario
; `splinter`: what a guest large page costs when the hypervisor backs it with small nested
; pages (a "splintered" page: the TLB can keep only 4 KiB of it per entry) and when it backs it
; with a large nested page (one TLB entry covers it all). docs/memory.md, "Large pages".
;
; It boots like the other guests (ROM, boot loader, /kernel at 0x20000), maps gva 0..4 MiB to
; gpa 0..4 MiB with ONE level-1 leaf (S set: a 4 MiB page, docs/isa.md "Large pages"), then
; reads one word of each 4 KiB page from 1 MiB to 3 MiB, ROUNDS times over: 512 pages, more
; than the TLB's 64 entries hold at 4 KiB each, and a single entry at 4 MiB. It prints the sum
; of the words read and powers off with exit code 0.

        .include "../include/hw.inc"
        .include "../include/fs.inc"        ; for bootlib.inc (its puts and putdec are used)

        .equ TABLE_BUF, 0x2000      ; bootlib.inc's partition-table buffer (unused here)
        .equ L1, 0x3ff000           ; the one page table: its entry 0 is the large page
        .equ LARGE_PTE, PTE_S | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        .equ FIRST, 0x100000        ; the pages read: FIRST .. LAST - 1
        .equ LAST, 0x300000
        .equ ROUNDS, 4

        .org 0x20000
start:
        la      sp, stack_top
        la      r1, msg_hello
        call    puts
        la      r1, L1              ; every entry but the first stays invalid
        li      r2, LARGE_PTE       ; gva 0 -> gpa 0, 4 MiB
        st      r2, [r1]
        ori     r1, r1, PTROOT_E    ; paging on, ASID 0
        csrw    ptroot, r1
        tlbflush
        li      r9, 0               ; r9 = the sum
        li      r10, ROUNDS
.round:
        la      r1, FIRST
        la      r2, LAST
        la      r3, PAGE
.page:
        ld      r4, [r1]
        add     r9, r9, r4
        add     r1, r1, r3
        cmp     r1, r2
        bltu    .page
        addi    r10, r10, -1
        cmpi    r10, 0
        bgt     .round
        la      r1, msg_sum
        call    puts
        mov     r1, r9
        call    putdec
        li      r1, '\n'
        out     r1, [UART_DATA]
        out     r0, [POWER]         ; exit code 0
        b       .

        .include "../boot/bootlib.inc"

who:        .asciz "[splinter] "
msg_hello:  .asciz "[splinter] one 4 MiB page maps gva 0..4 MiB; reading a word of 512 of its 4 KiB pages, 4 times\n"
msg_sum:    .asciz "[splinter] done: sum "
        .align  4
        .space  1024
stack_top:
