; bench/kernel.s - the nanobenchmark guest behind `hvsim bench-virt`: one small kernel that
; times each operation of Adams and Agesen's table (ASPLOS 2006) and prints one line a row,
; "bench NAME CYCLES" (simulated cycles per operation, from the cycle CSR). It boots like the
; other guests (ROM, boot loader, /kernel at 0x20000), turns paging on with an identity map
; of its 4 MiB (kernel pages supervisor-only, the user routines' pages U), and powers off.
;
; A dedicated kernel rather than tinyos user programs: every row then measures exactly the
; mechanism it names, with nothing of a scheduler or a shell in between (docs/experiments.md).
;
;   syscall   user code: syscall, and the kernel's handler returns at once
;   in        kernel: in from the UART status port (a device register)
;   csrwr     kernel: csrw timer (a CSR the hypervisor must intercept: it keeps virtual time)
;   imwr      kernel: csrw im (the interrupt mask: a CSR a VMM need not intercept, like x86's
;             cr8, whose writes did not exit on VT: Adams and Agesen's cr8wr row)
;   callret   kernel: call and ret
;   pgfault   user code: a load from an unmapped page; the handler skips the instruction
;   divzero   user code: div by zero; the handler skips the instruction
;   ptemod    kernel: write a page-table entry and invalidate its TLB entry
;   forkwait  kernel: a new address space (copy the page tables), run a user child that exits
;             at once, switch back: spawn + wait without a scheduler
;   compute   kernel: eight ALU instructions
;
; Every row runs twice, a silent warm pass first, so that what is timed is the steady state
; (translations made, shadows filled, as in the paper's long loops), and each figure is net of
; the clock's own cost (two reads of `cycle` back to back, measured the same way).

        .include "../include/hw.inc"
        .include "../include/fs.inc"        ; for bootlib.inc (its puts and putdec are used)

        .equ TABLE_BUF, 0x2000      ; bootlib.inc's partition-table buffer (unused here)
        .equ N, 200                 ; operations timed per row
        .equ NFORK, 20              ; forkwait rounds
        .equ L1, 0x100000           ; the kernel's page tables
        .equ L0, 0x101000
        .equ CHILD_L1, 0x102000     ; forkwait's copy
        .equ CHILD_L0, 0x103000
        .equ HOLE, 0x310000         ; an unmapped page (pgfault)
        .equ PAGE_KERNEL, 0x6f      ; V R W X A D
        .equ PAGE_USER, 0x7f        ; the same with U
        .equ SYS_NULL, 0
        .equ SYS_DONE, 1

        .org 0x20000
start:
        la      sp, stack_top
        la      r5, on_trap
        csrw    tvec, r5
        call    paging_on
        li      r1, 1               ; a warm pass first, silent: steady state is timed
        la      r2, quiet
        st      r1, [r2]
        call    clock_cost
        call    all_rows
        la      r2, quiet
        st      r0, [r2]
        call    clock_cost
        call    all_rows
        out     r0, [POWER]

all_rows:
        push    lr
        call    b_syscall
        call    b_in
        call    b_in2
        call    b_csrwr
        call    b_imwr
        call    b_callret
        call    b_pgfault
        call    b_divzero
        call    b_ptemod
        call    b_forkwait
        call    b_compute
        pop     lr
        ret

; The clock's own cost: an empty timed region, two reads of `cycle` back to back. Each row's
; figure is net of it, under every technique alike (reading the clock is free natively and
; under hardware assist, a trap or a callout under trap-and-emulate and binary translation).
clock_cost:
        csrr    r10, cycle
        csrr    r11, cycle
        sub     r5, r11, r10
        la      r1, clock
        st      r5, [r1]
        ret

; Identity map of 0..4 MiB: 1024 leaves in one L0 table; the user routines' pages get U;
; HOLE stays unmapped.
paging_on:
        li      r1, L0
        li      r2, 0               ; page address
        la      r5, user_start
        la      r6, user_end
.map:
        ori     r3, r2, PAGE_KERNEL
        cmp     r2, r5
        bltu    .store
        cmp     r2, r6
        bgeu    .store
        ori     r3, r2, PAGE_USER
.store:
        st      r3, [r1]
        addi    r1, r1, 4
        li      r4, 0x1000
        add     r2, r2, r4
        li      r4, 0x400000
        cmp     r2, r4
        bltu    .map
        li      r1, L0 + (HOLE >> 10)
        st      r0, [r1]
        li      r1, L1
        li      r2, L0 | 1
        st      r2, [r1]
        li      r1, L1 | 1
        csrw    ptroot, r1
        tlbflush
        ret

; ---- running user code -----------------------------------------------------------------
; run_user(r1 = entry): enters the user routine in U with interrupts off; returns when it
; makes the SYS_DONE call. Clobbers r12, r13.
run_user:
        la      r13, kern_sp
        st      sp, [r13]
        la      r13, kern_ra
        st      lr, [r13]
        csrw    epc, r1
        csrw    eflags, r0
        iret

; Traps: SYS_NULL returns at once, SYS_DONE goes back to run_user's caller, a fault skips the
; faulting instruction.
on_trap:
        csrr    r12, cause
        cmpi    r12, CAUSE_SYSCALL
        beq     .syscall
        csrr    r13, epc
        addi    r13, r13, 4
        csrw    epc, r13
        iret
.syscall:
        cmpi    r9, SYS_DONE
        beq     .done
        iret
.done:
        la      r13, kern_sp
        ld      sp, [r13]
        la      r13, kern_ra
        ld      r13, [r13]
        jalr    r0, r13, 0

; report(r1 = name, r10 = start cycle, r11 = end cycle, r6 = operations): "bench NAME C".
report:
        la      r5, quiet
        ld      r5, [r5]
        cmpi    r5, 0
        beq     .print
        ret
.print:
        push    lr
        sub     r5, r11, r10
        la      r4, clock
        ld      r4, [r4]
        cmp     r5, r4
        bltu    .net
        sub     r5, r5, r4
.net:
        divu    r5, r5, r6
        push    r5
        push    r1
        la      r1, msg_bench
        call    puts
        pop     r1
        call    puts
        li      r1, ' '
        out     r1, [UART_DATA]
        pop     r1
        call    putdec
        li      r1, '\n'
        out     r1, [UART_DATA]
        pop     lr
        ret

; ---- the rows ----------------------------------------------------------------------------
b_syscall:
        push    lr
        li      r6, N
        la      r1, u_syscall
        csrr    r10, cycle
        call    run_user
        csrr    r11, cycle
        la      r1, name_syscall
        call    report
        pop     lr
        ret

b_in:
        push    lr
        li      r6, N
        li      r7, N
        csrr    r10, cycle
.in_loop:
        in      r1, [UART_STATUS]
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .in_loop
        csrr    r11, cycle
        la      r1, name_in
        call    report
        pop     lr
        ret

; Two `in`s back to back per operation: with exit batching (batch_exits = on) the second is
; emulated in the first one's exit.
b_in2:
        push    lr
        li      r6, N
        li      r7, N
        csrr    r10, cycle
.in2_loop:
        in      r1, [UART_STATUS]
        in      r2, [UART_STATUS]
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .in2_loop
        csrr    r11, cycle
        la      r1, name_in2
        call    report
        pop     lr
        ret

b_csrwr:
        push    lr
        li      r6, N
        li      r7, N
        csrr    r10, cycle
.csr_loop:
        csrw    timer, r0
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .csr_loop
        csrr    r11, cycle
        la      r1, name_csrwr
        call    report
        pop     lr
        ret

b_imwr:
        push    lr
        li      r6, N
        li      r7, N
        csrr    r8, im              ; rewrite the mask it has: nothing changes but the cost
        csrr    r10, cycle
.im_loop:
        csrw    im, r8
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .im_loop
        csrr    r11, cycle
        la      r1, name_imwr
        call    report
        pop     lr
        ret

b_callret:
        push    lr
        li      r6, N
        li      r7, N
        csrr    r10, cycle
.call_loop:
        call    nothing
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .call_loop
        csrr    r11, cycle
        la      r1, name_callret
        call    report
        pop     lr
        ret
nothing:
        ret

b_pgfault:
        push    lr
        li      r6, N
        la      r1, u_pgfault
        csrr    r10, cycle
        call    run_user
        csrr    r11, cycle
        la      r1, name_pgfault
        call    report
        pop     lr
        ret

b_divzero:
        push    lr
        li      r6, N
        la      r1, u_divzero
        csrr    r10, cycle
        call    run_user
        csrr    r11, cycle
        la      r1, name_divzero
        call    report
        pop     lr
        ret

b_ptemod:
        push    lr
        li      r6, N
        li      r7, N
        li      r8, L0 + (HOLE >> 10)
        li      r9, HOLE
        csrr    r10, cycle
.pte_loop:
        st      r0, [r8]            ; the entry of HOLE (still unmapped)
        tlbinv  r9
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .pte_loop
        csrr    r11, cycle
        la      r1, name_ptemod
        call    report
        pop     lr
        ret

b_forkwait:
        push    lr
        li      r6, NFORK
        li      r8, NFORK
        csrr    r10, cycle
.fork:
        li      r1, L0              ; copy the address space
        li      r3, CHILD_L0
        li      r4, 1024
.copy:
        ld      r2, [r1]
        st      r2, [r3]
        addi    r1, r1, 4
        addi    r3, r3, 4
        addi    r4, r4, -1
        cmpi    r4, 0
        bne     .copy
        li      r1, CHILD_L1
        li      r2, CHILD_L0 | 1
        st      r2, [r1]
        li      r1, CHILD_L1 | 3    ; ASID 1, paging on
        csrw    ptroot, r1
        tlbflush                    ; the child's ASID may hold the last child's entries
        la      r1, u_exit
        call    run_user            ; the child runs and exits; the parent's wait returns
        li      r1, L1 | 1
        csrw    ptroot, r1
        addi    r8, r8, -1
        cmpi    r8, 0
        bne     .fork
        csrr    r11, cycle
        la      r1, name_forkwait
        call    report
        pop     lr
        ret

b_compute:
        push    lr
        li      r6, N
        li      r7, N
        li      r1, 3
        li      r2, 5
        csrr    r10, cycle
.alu:
        add     r3, r1, r2
        xor     r4, r3, r1
        shli    r4, r4, 3
        sub     r3, r4, r2
        or      r3, r3, r1
        and     r4, r3, r2
        slt     r5, r4, r3
        add     r1, r1, r5
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .alu
        csrr    r11, cycle
        la      r1, name_compute
        call    report
        pop     lr
        ret

        .include "../boot/bootlib.inc"

who:            .asciz "[bench] "
msg_bench:      .asciz "bench "
name_syscall:   .asciz "syscall"
name_in:        .asciz "in"
name_in2:       .asciz "in2"
name_csrwr:     .asciz "csrwr"
name_imwr:      .asciz "imwr"
name_callret:   .asciz "callret"
name_pgfault:   .asciz "pgfault"
name_divzero:   .asciz "divzero"
name_ptemod:    .asciz "ptemod"
name_forkwait:  .asciz "forkwait"
name_compute:   .asciz "compute"

        .align 4
quiet:          .word 0             ; 1: the warm pass, report prints nothing
clock:          .word 0             ; cycles of an empty timed region
kern_sp:        .word 0
kern_ra:        .word 0
        .space 512
stack_top:

; ---- user routines (pages mapped with U) ----------------------------------------------------
        .align 4096
user_start:
u_syscall:
        li      r7, N
        li      r9, SYS_NULL
.sys_loop:
        syscall
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .sys_loop
u_exit:
        li      r9, SYS_DONE
        syscall

u_pgfault:
        li      r7, N
        li      r8, HOLE
.pf_loop:
        ld      r1, [r8]
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .pf_loop
        li      r9, SYS_DONE
        syscall

u_divzero:
        li      r7, N
.div_loop:
        div     r1, r7, r0
        addi    r7, r7, -1
        cmpi    r7, 0
        bne     .div_loop
        li      r9, SYS_DONE
        syscall
        .align 4096
user_end:
