; walk-loop.s - the speed work's figure guard (tests/hypervisor/test_figures.c): a loop whose
; every iteration touches a new page, so each one misses the TLB and walks, beside a buffer
; page that always hits. Paging is on in K with identity tables over the first 8 MiB (root at
; 0x20000, two level-0 tables after it; leaves V R W X, A and D clear, so walks write them
; back). Its cycle figures must not move when only the simulator's speed changes.
        .equ ROOT, 0x20000
        .equ BUF, 0x9000
        .equ SPREAD, 0x400000
        .equ ITERS, 5000
        li      r1, ROOT
        li      r2, (ROOT + 0x1000) | 1
        st      r2, [r1]            ; root[0] -> the table of 0..4 MiB
        li      r2, (ROOT + 0x2000) | 1
        st      r2, [r1+4]          ; root[1] -> the table of 4..8 MiB
        li      r1, ROOT + 0x1000
        li      r2, 0x0f            ; frame 0: V R W X
        li      r3, 2048
fill:   st      r2, [r1]
        addi    r1, r1, 4
        addi    r2, r2, 0x1000
        addi    r3, r3, -1
        cmpi    r3, 0
        bne     fill
        li      r1, ROOT | 1 << 1 | 1
        csrw    ptroot, r1          ; paging on, ASID 1
        li      r5, BUF
        li      r6, SPREAD
        li      r1, ITERS
loop:   ld      r2, [r5]
        andi    r8, r1, 1023
        shli    r8, r8, 12
        add     r8, r8, r6
        ld      r4, [r8]            ; a new page: a miss and a walk
        add     r2, r2, r4
        st      r2, [r5+4]
        st      r4, [r8+8]          ; the same page: a hit, but D is clear the first time
        addi    r1, r1, -1
        cmpi    r1, 0
        bne     loop
        out     r0, [0xf0]
