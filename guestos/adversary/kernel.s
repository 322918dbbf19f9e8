; adversary/kernel.s - an adversarial guest: everything a malicious kernel might try against the
; hypervisor and the other VMs, one phase after another. It boots like the other guests (ROM,
; boot loader, /kernel at 0x20000) and runs in K with interrupts off.
;
;   sweep       reads and writes one word in every MiB of the 4 GiB guest-physical space (the
;               console's device page aside) and a word in every page of its own memory
;   tables      page tables with wild entries: a table outside its memory, a frame outside
;               it, a malformed leaf, a table that maps itself; paging on, then probes
;   ports       reads every I/O port and writes every 16th one (its console and power-off
;               aside); block-device commands with DMA outside its memory, bad counts, bad
;               sectors, bad commands
;   mmio        byte, half and word accesses around the device windows and at addresses no
;               device has
;   hypercalls  2000 hypercalls with numbers and arguments from a pseudo-random sequence
;   ring -1     vmrun, invvm, invasid, CSRs of the ring -1 range, a jump into nowhere
;   csrs        every CSR number 0..255 read, and written back with what it read (code it
;               writes itself: csrr and csrw take the number as an immediate)
;   exhaust     shadow exhaustion: one table in all 1 024 root slots, paging on under 8
;               ASIDs in turn, a word read through every slot (1 024 shadow tables an ASID)
;   storms      an exit storm (20 000 cpuid) and an interrupt storm (2 000 timer interrupts,
;               each re-arming the timer 40 cycles ahead), on whatever pCPU it shares
;   misaligned  a jump and an iret to a pc 2 bytes into an instruction (binary translation
;               once read the block there and aborted the simulator), then a console flood of
;               40 lines (the hypervisor keeps only the latest bytes in memory)
;
; Every attempt must end as an exit the hypervisor handles, or a fault it gives back to this
; kernel: the trap handler counts it and skips the instruction. The kernel prints how many
; faults each phase collected and powers off with 0. Nothing it does may change the other
; VM's run, the hypervisor's memory, or the machine's real devices (the isolation test).

        .include "../include/hw.inc"
        .include "../include/fs.inc"        ; for bootlib.inc (its puts and putdec are used)

        .equ TABLE_BUF, 0x2000      ; bootlib.inc's partition-table buffer (unused here)
        .equ L1_TABLE, 0x100000     ; its page tables (guest-physical 1 MiB)
        .equ L0_TABLE, 0x101000
        .equ MEMORY, 0x200000       ; what the scenario gives it (2 MiB)
        .equ KERNEL_END, 0x40000    ; its own code, data and stack lie below this
        .equ OUTSIDE, 0xdead0000    ; a guest-physical address far past its memory
        .equ STORM_TICK, 40         ; cycles between the storm's timer interrupts
        .equ STORM_TICKS, 2000      ; how many timer interrupts the storm takes
        .equ ASIDS, 8               ; address spaces the shadow exhaustion uses

        .org 0x20000
start:
        la      sp, stack_top
        la      r5, on_trap
        csrw    tvec, r5
        la      r1, msg_hello
        call    puts
        call    sweep
        la      r1, msg_sweep
        call    phase_done
        call    tables
        la      r1, msg_tables
        call    phase_done
        call    ports
        la      r1, msg_ports
        call    phase_done
        call    mmio
        la      r1, msg_mmio
        call    phase_done
        call    hypercalls
        la      r1, msg_hypercalls
        call    phase_done
        call    ring_minus_one
        la      r1, msg_ring
        call    phase_done
        call    every_csr
        la      r1, msg_csrs
        call    phase_done
        call    exhaust
        la      r1, msg_exhaust
        call    phase_done
        call    storms
        la      r1, msg_storms
        call    phase_done
        call    misaligned
        la      r1, msg_misaligned
        call    phase_done
        la      r1, msg_done
        call    puts
        out     r0, [POWER]

; ---- the trap handler: count, and go on after the faulting instruction (or at `landing`) ---
on_trap:
        push    r1
        push    r2
        csrr    r1, cause
        cmpi    r1, 0
        blt     .interrupt          ; bit 31: the storm's timer, not a fault
        la      r1, faults
        ld      r2, [r1]
        addi    r2, r2, 1
        st      r2, [r1]
        la      r1, landing
        ld      r2, [r1]
        cmpi    r2, 0
        beq     .skip
        st      r0, [r1]            ; a controlled jump into nowhere comes back here
        csrw    epc, r2
        b       .back
.skip:
        csrr    r2, epc
        addi    r2, r2, 4
        csrw    epc, r2
.back:
        pop     r2
        pop     r1
        iret
.interrupt:
        la      r1, ticks
        ld      r2, [r1]
        addi    r2, r2, 1
        st      r2, [r1]
        li      r1, STORM_TICK      ; again soon (writing acknowledges), till the storm's end
        cmpi    r2, STORM_TICKS
        bltu    .rearm
        li      r1, 0
.rearm:
        csrw    timer, r1
        b       .back

; phase_done(r1 = name): "[adversary] NAME: N faults given back", and the count restarts.
phase_done:
        push    lr
        push    r1
        la      r1, msg_prefix
        call    puts
        pop     r1
        call    puts
        la      r1, msg_colon
        call    puts
        la      r2, faults
        ld      r1, [r2]
        st      r0, [r2]
        call    putdec
        la      r1, msg_faults
        call    puts
        pop     lr
        ret

; ---- sweep ----------------------------------------------------------------------------------
sweep:
        li      r9, 0
        lui     r10, 0xf000         ; the device page: its own console, not written
.mib:
        ld      r2, [r9]
        cmp     r9, r10
        beq     .next
        st      r9, [r9]
.next:
        lui     r3, 0x10            ; 1 MiB
        add     r9, r9, r3
        cmpi    r9, 0               ; wraps after 4 GiB
        bne     .mib
        la      r9, KERNEL_END      ; every page of its own memory past its kernel
        la      r10, MEMORY
.page:
        st      r9, [r9]
        ld      r2, [r9]
        li      r3, 4096
        add     r9, r9, r3
        cmp     r9, r10
        bltu    .page
        ret

; ---- wild page tables -------------------------------------------------------------------------
tables:
        la      r1, L1_TABLE        ; two zeroed tables
        li      r2, 2048
.zero:
        st      r0, [r1]
        addi    r1, r1, 4
        addi    r2, r2, -1
        cmpi    r2, 0
        bne     .zero
        la      r1, L0_TABLE        ; L0: the first 4 MiB mapped to themselves, RWX
        li      r2, 0
.ident:
        ori     r3, r2, PTE_V | PTE_R | PTE_W | PTE_X
        st      r3, [r1]
        addi    r1, r1, 4
        li      r4, 4096
        add     r2, r2, r4
        lui     r4, 0x40            ; 4 MiB
        cmp     r2, r4
        bltu    .ident
        la      r1, L0_TABLE        ; wild leaves at the top of the 4 MiB
        la      r3, OUTSIDE | PTE_V | PTE_R | PTE_W | PTE_X
        st      r3, [r1 + 4 * 1023] ; va 0x3ff000 -> a frame outside its memory
        li      r3, 0x50000 | PTE_V | PTE_W
        st      r3, [r1 + 4 * 1022] ; va 0x3fe000 -> W without R: malformed
        la      r1, L1_TABLE
        la      r3, L0_TABLE | PTE_V
        st      r3, [r1]            ; va 0..4 MiB: the identity table
        st      r3, [r1 + 8]        ; va 8..12 MiB: the same table again
        la      r3, 0xfff00000 | PTE_V
        st      r3, [r1 + 4]        ; va 4..8 MiB: a table outside its memory
        la      r3, L1_TABLE | PTE_V
        st      r3, [r1 + 12]       ; va 12..16 MiB: the root table maps itself
        la      r3, L1_TABLE | (1 << 1) | 1
        csrw    ptroot, r3          ; paging on (ASID 1)
        tlbflush
        lui     r4, 0x40
        ld      r2, [r4]            ; through the outside table: a fault
        st      r2, [r4 + 8]
        lui     r4, 0x3f
        ori     r4, r4, 0xf000
        ld      r2, [r4]            ; the outside frame: a fault
        st      r2, [r4]
        lui     r4, 0x3f
        ori     r4, r4, 0xe000
        st      r2, [r4]            ; the malformed leaf: a fault
        lui     r4, 0x80
        ld      r2, [r4 + 0x2000]   ; the doubled table: fine
        lui     r4, 0xc0
        ld      r2, [r4]            ; the self-mapped root: its entries as leaves (no R)
        st      r2, [r4 + 4]
        la      r1, landing         ; a jump into the outside frame, caught
        la      r2, .landed
        st      r2, [r1]
        lui     r4, 0x3f
        ori     r4, r4, 0xf000
        jr      r4
.landed:
        csrw    ptroot, r0          ; paging off again
        ret

; ---- ports -------------------------------------------------------------------------------------
ports:
        push    lr
        li      r9, 0
        lui     r10, 1              ; 0x10000 ports
.in:
        in      r2, [r9]
        addi    r9, r9, 1
        cmp     r9, r10
        bne     .in
        li      r9, 0
        li      r11, POWER
        li      r12, UART_DATA
.out:
        cmp     r9, r11
        beq     .skip
        cmp     r9, r12
        beq     .skip
        out     r9, [r9]
.skip:
        addi    r9, r9, 16
        cmp     r9, r10
        bne     .out
        la      r1, OUTSIDE         ; a disk read into memory it does not have
        li      r2, 1
        li      r3, 0
        call    disk
        la      r1, MEMORY - 512    ; a read that runs past the end of its memory
        li      r2, 2
        li      r3, 0
        call    disk
        li      r1, 0x60000         ; a count above 128
        li      r2, 500
        li      r3, 0
        call    disk
        li      r1, 0x60000         ; sectors past the end of its disk
        li      r2, 4
        la      r3, 0x7fffffff
        call    disk
        li      r1, 9               ; an unknown command
        out     r1, [DISK_COMMAND]
        out     r0, [DISK_STATUS]
        pop     lr
        ret

; disk(r1 = DMA address, r2 = count, r3 = sector): a read command, then polls until it is done
; and acknowledges it.
disk:
        out     r3, [DISK_SECTOR]
        out     r2, [DISK_COUNT]
        out     r1, [DISK_ADDR]
        li      r4, DISK_CMD_READ
        out     r4, [DISK_COMMAND]
.poll:
        in      r4, [DISK_STATUS]
        andi    r4, r4, DISK_BUSY
        cmpi    r4, 0
        bne     .poll
        out     r0, [DISK_STATUS]
        ret

; ---- MMIO --------------------------------------------------------------------------------------
mmio:
        lui     r9, 0xf000
        ld      r2, [r9 + 4]        ; its console's status: a real (virtual) register
        ldb     r2, [r9]            ; a byte: a bus error
        sth     r0, [r9 + 8]        ; a half: a bus error
        ld      r2, [r9 + 0x100]    ; past the window: a bus error
        st      r0, [r9 + 0x2000]   ; no device at all
        ori     r10, r9, 0x1004
        ld      r2, [r10]           ; beside the power register
        lui     r9, 0xfee0
        st      r0, [r9]            ; an interrupt controller that does not exist
        lui     r9, 0xffff
        ld      r2, [r9 + 0x7ffc]   ; the very top of the space
        ret

; ---- hypercalls --------------------------------------------------------------------------------
hypercalls:
        li      r9, 2000
        li      r10, 12345          ; the generator's state
        la      r11, 1103515245
.call:
        mul     r10, r10, r11
        addi    r10, r10, 12345
        shri    r1, r10, 24         ; the call number, 0..255
        mov     r2, r10             ; arguments: the state, rotated
        shli    r3, r10, 7
        shri    r4, r10, 3
        cmpi    r1, 1               ; the console: only with a length it will refuse
        bne     .go
        lui     r3, 1
        or      r3, r3, r10
.go:
        hcall
        addi    r9, r9, -1
        cmpi    r9, 0
        bne     .call
        li      r1, 1               ; bytes that run past the end of its memory
        la      r2, MEMORY - 8
        li      r3, 64
        hcall
        la      r3, 0x216e776f      ; host address 0 is the hypervisor's image; guest-physical
        st      r3, [r0]            ; 0 is its own page: the console shows "own!"
        li      r1, 1
        li      r2, 0
        li      r3, 4
        hcall
        ret

; ---- ring -1 and nowhere -----------------------------------------------------------------------
ring_minus_one:
        la      r1, 0x3f0000
        vmrun   r1                  ; illegal outside H
        invvm   r0
        invasid r0
        csrw    0x40, r0            ; the ring -1 CSR range: nothing there
        csrr    r2, 0x7f
        la      r1, landing         ; a jump far outside its memory, caught
        la      r2, .landed
        st      r2, [r1]
        la      r4, OUTSIDE
        jr      r4
.landed:
        ret

; ---- every CSR number ---------------------------------------------------------------------------
; csr_slot is rewritten for each number: csrr r2, N; csrw N, r2; ret. A number that is not a
; CSR, or not one K may touch, faults (the handler skips the instruction); the others get back
; what they held. Writing code is itself an attack under binary translation.
every_csr:
        push    lr
        li      r9, 0
.csr:
        la      r1, csr_slot
        la      r2, csr_read
        ld      r3, [r2]
        or      r3, r3, r9
        st      r3, [r1]
        ld      r3, [r2 + 4]
        or      r3, r3, r9
        st      r3, [r1 + 4]
        call    csr_slot
        addi    r9, r9, 1
        cmpi    r9, 256
        bltu    .csr
        pop     lr
        ret
csr_read:                           ; the templates, number 0
        csrr    r2, 0
        csrw    0, r2

; ---- shadow exhaustion ----------------------------------------------------------------------------
; Every root slot holds the same table (the first 4 MiB mapped to themselves), so a word at
; slot << 22 | 0x20000 is its own code page seen through each slot; under shadow paging each
; slot needs a shadow table of its own, per ASID: 8 192 in all, far past its budget.
exhaust:
        la      r1, L0_TABLE        ; L0: the first 4 MiB mapped to themselves
        li      r2, 0
.ident:
        ori     r3, r2, PTE_V | PTE_R | PTE_W | PTE_X
        st      r3, [r1]
        addi    r1, r1, 4
        li      r4, 4096
        add     r2, r2, r4
        lui     r4, 0x40
        cmp     r2, r4
        bltu    .ident
        la      r1, L1_TABLE        ; every root slot: that table
        la      r3, L0_TABLE | PTE_V
        li      r2, 1024
.root:
        st      r3, [r1]
        addi    r1, r1, 4
        addi    r2, r2, -1
        cmpi    r2, 0
        bne     .root
        li      r9, 1               ; ASID
.asid:
        la      r3, L1_TABLE | 1
        shli    r4, r9, 1
        or      r3, r3, r4
        csrw    ptroot, r3          ; paging on under this ASID
        li      r10, 0              ; root slot
.slot:
        shli    r4, r10, 22
        lui     r5, 0x2
        or      r4, r4, r5
        ld      r2, [r4]            ; its own code page, through slot r10
        addi    r10, r10, 1
        cmpi    r10, 1024
        bltu    .slot
        addi    r9, r9, 1
        cmpi    r9, ASIDS
        bleu    .asid
        csrw    ptroot, r0          ; paging off again
        ret

; ---- exit and interrupt storms ----------------------------------------------------------------------
storms:
        li      r9, 20000           ; the exit storm: cpuid exits under hardware assist
.exit:
        cpuid   r2, r0
        addi    r9, r9, -1
        cmpi    r9, 0
        bne     .exit
        li      r1, 1 << IRQ_TIMER  ; the interrupt storm
        csrw    im, r1
        li      r1, STORM_TICK
        csrw    timer, r1
        sti
.storm:
        la      r1, ticks           ; the handler counts them, and disarms the timer at the end
        ld      r2, [r1]
        cmpi    r2, STORM_TICKS
        bltu    .storm
        cli
        csrw    timer, r0           ; disarmed
        csrw    im, r0
        ret

; ---- misaligned control flow, then a flood -------------------------------------------------------
misaligned:
        push    lr
        la      r1, landing         ; a jump to .m1 + 2: a misaligned-fetch fault, caught
        la      r2, .m1
        st      r2, [r1]
        la      r4, .m1
        jalr    r0, r4, 2
.m1:
        la      r1, landing         ; an iret to .m2 + 2, in K with interrupts off: the same
        la      r2, .m2
        st      r2, [r1]
        la      r4, .m2
        addi    r4, r4, 2
        csrw    epc, r4
        li      r5, 0x1000          ; eflags: mode K
        csrw    eflags, r5
        iret
.m2:
        li      r9, 40
.flood:
        la      r1, msg_flood
        call    puts
        addi    r9, r9, -1
        cmpi    r9, 0
        bne     .flood
        pop     lr
        ret

        .include "../boot/bootlib.inc"

who:            .asciz "[adversary] "
msg_hello:      .asciz "[adversary] attacking the hypervisor: memory, page tables, devices, hypercalls, ring -1\n"
msg_prefix:     .asciz "[adversary] "
msg_colon:      .asciz ": "
msg_faults:     .asciz " faults given back\n"
msg_sweep:      .asciz "sweep of guest-physical memory"
msg_tables:     .asciz "wild page tables"
msg_ports:      .asciz "ports and disk commands"
msg_mmio:       .asciz "MMIO"
msg_hypercalls: .asciz "hypercall flood"
msg_ring:       .asciz "ring -1 instructions and CSRs"
msg_csrs:       .asciz "every CSR number read and written back"
msg_exhaust:    .asciz "shadow exhaustion under 8 ASIDs"
msg_storms:     .asciz "exit and interrupt storms"
msg_misaligned: .asciz "misaligned jump and iret, console flood"
msg_flood:      .asciz "[adversary] flood flood flood flood flood flood flood flood flood\n"
msg_done:       .asciz "[adversary] done: every attempt came back as a fault or an answer\n"

        .align 4
faults:         .word 0
landing:        .word 0
ticks:          .word 0             ; the storm's timer interrupts
csr_slot:       .word 0, 0          ; csrr r2, N; csrw N, r2 (written by every_csr)
        ret
        .space 1024
stack_top:
