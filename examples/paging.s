; paging.s - a kernel builds page tables, turns paging on and runs a user program that
; touches a page it may not: the MMU refuses, and the kernel reports the page fault.
;
; A virtual address is split into an L1 index (bits 31..22), an L0 index (bits 21..12) and
; the offset in the page. ptroot holds the L1 table's frame, an address-space id (ASID) and
; the enable bit E. A page-table entry is the frame number (bits 31..12) and the bits
; V R W X U A D G (bits 0..7); see docs/isa.md, "Paging".
;
; The user's address space:
;   0x00400000  its code        U R X
;   0x00401000  its data        U R W
;   0x00402000  a kernel page   R W (no U: the user may not touch it)
; and the kernel's own pages are mapped at their physical addresses (identity), without U.

        .equ PTE_V, 0x01
        .equ PTE_R, 0x02
        .equ PTE_W, 0x04
        .equ PTE_X, 0x08
        .equ PTE_U, 0x10
        .equ ROOT, 0x10000          ; the L1 table's frame (RAM is zero at reset)
        .equ ASID, 1
        .equ USER_CODE, 0x00400000
        .equ USER_DATA, 0x00401000
        .equ KERNEL_PAGE, 0x00402000
        .equ CAUSE_SYSCALL, 4
        .equ CAUSE_FETCH_PAGE_FAULT, 7
        .equ CAUSE_STORE_PAGE_FAULT, 9

start:
        la      sp, kstack_top
        la      r1, trap_handler
        csrw    tvec, r1
        li      r8, 0x1000          ; identity-map the kernel image, page by page
.kernel_pages:
        mov     r1, r8
        mov     r2, r8
        li      r3, PTE_R | PTE_W | PTE_X
        call    map
        addi    r8, r8, 0x1000
        la      r9, kernel_end
        cmp     r8, r9
        bltu    .kernel_pages
        li      r1, USER_CODE       ; the user's pages
        la      r2, user_code
        li      r3, PTE_U | PTE_R | PTE_X
        call    map
        li      r1, USER_DATA
        la      r2, user_data
        li      r3, PTE_U | PTE_R | PTE_W
        call    map
        li      r1, KERNEL_PAGE     ; a kernel page in the user's address space, without U
        la      r2, kernel_data
        li      r3, PTE_R | PTE_W
        call    map
        la      r1, msg_on
        call    puts
        li      r1, ROOT | ASID << 1 | 1
        csrw    ptroot, r1          ; paging on: from the next fetch every address is virtual
        li      r1, USER_CODE
        csrw    epc, r1
        li      r1, 0
        csrw    eflags, r1          ; MODE = U, interrupts off
        iret

; map(r1 = virtual address, r2 = physical address, r3 = leaf bits): maps one 4 KiB page.
; A missing L0 table is taken from the pool at next_table. Clobbers r4..r7.
map:
        shri    r4, r1, 22          ; L1 index
        shli    r4, r4, 2
        li      r5, ROOT
        add     r4, r4, r5          ; r4 = address of the L1 entry
        ld      r5, [r4]
        andi    r6, r5, PTE_V
        cmpi    r6, 0
        bne     .have_table
        la      r6, next_table      ; no L0 table yet: take a zeroed frame
        ld      r5, [r6]
        addi    r7, r5, 0x1000
        st      r7, [r6]
        ori     r5, r5, PTE_V       ; an entry pointing to a table: frame and V only
        st      r5, [r4]
.have_table:
        shri    r5, r5, 12
        shli    r5, r5, 12          ; r5 = the L0 table
        shri    r4, r1, 12
        andi    r4, r4, 0x3ff       ; L0 index
        shli    r4, r4, 2
        add     r4, r4, r5          ; r4 = address of the L0 entry
        shri    r5, r2, 12
        shli    r5, r5, 12
        or      r5, r5, r3
        ori     r5, r5, PTE_V       ; the leaf: frame, permissions, V
        st      r5, [r4]
        ret

; ---- the kernel's trap handler: runs in K, with paging on -----------------------------------
trap_handler:
        csrr    r10, cause
        cmpi    r10, CAUSE_SYSCALL
        beq     .syscall
        cmpi    r10, CAUSE_FETCH_PAGE_FAULT
        blt     .other
        cmpi    r10, CAUSE_STORE_PAGE_FAULT
        bgt     .other
        la      r1, msg_fault       ; "page fault: <name> (cause N) at <tval>, pc <epc>"
        call    puts
        addi    r1, r10, -CAUSE_FETCH_PAGE_FAULT
        shli    r1, r1, 2
        la      r2, fault_names
        add     r1, r1, r2
        ld      r1, [r1]
        call    puts
        la      r1, msg_cause
        call    puts
        mov     r1, r10
        call    putdec
        la      r1, msg_at
        call    puts
        csrr    r1, tval
        call    puthex
        la      r1, msg_pc
        call    puts
        csrr    r1, epc
        call    puthex
        call    newline
        la      r1, msg_stop
        call    puts
        out     r0, [POWER]         ; exit 0
.syscall:                           ; the user reports its counter in r1
        mov     r11, r1
        la      r1, msg_counter
        call    puts
        mov     r1, r11
        call    putdec
        call    newline
        iret
.other:
        la      r1, msg_other
        call    puts
        li      r1, 1
        out     r1, [POWER]         ; exit 1

        .include "console.inc"

msg_on:      .asciz "kernel: page tables built, paging on\n"
msg_counter: .asciz "user: counter = "
msg_fault:   .asciz "page fault: "
msg_cause:   .asciz " (cause "
msg_at:      .asciz ") at "
msg_pc:      .asciz ", pc "
msg_stop:    .asciz "kernel: the user program touched a kernel page; stopping it\n"
msg_other:   .asciz "kernel: unexpected trap\n"
name_fetch:  .asciz "fetch-page-fault"
name_load:   .asciz "load-page-fault"
name_store:  .asciz "store-page-fault"
        .align  4
fault_names: .word name_fetch, name_load, name_store
next_table:  .word ROOT + 0x1000    ; the next free frame for an L0 table
        .space  256
kstack_top:

; ---- the user program: runs in U at USER_CODE ----------------------------------------------
        .align  4096
user_code:
        li      r2, USER_DATA
        ld      r1, [r2]            ; its own data page: allowed
        addi    r1, r1, 1
        st      r1, [r2]
        syscall                     ; show the counter
        li      r2, KERNEL_PAGE
        st      r1, [r2]            ; a kernel page: store-page-fault
        b       .                   ; never reached

        .align  4096
user_data:
        .word   41

        .align  4096
kernel_data:
        .word   0x5ec2e7
        .align  4096
kernel_end:
