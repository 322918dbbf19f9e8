; rogue/kernel.s - the rogue-dma scenario's attacker (docs/io.md, "The IOMMU as protection"):
; a VM that owns the physical network card (assign = nic0) and uses the card's DMA against
; memory that is not its own. Its driver programs the card with whatever addresses it likes;
; only the IOMMU stands between those numbers and the machine's memory.
;
; A flat program (scenario key `kernel = rogue.bin`), loaded at 0x1000 in 64 KiB of memory, in
; K with interrupts off. The card runs in loopback: a frame it sends comes back into the
; receive ring, so one transmit makes the card read memory (the frame) and write memory (the
; receive buffer). Three attacks, each with the next descriptor of either ring:
;
;   1 read   the transmit buffer is the victim's secret: the card would read another VM's
;            memory and deliver it here (the rogue prints what arrived)
;   2 write  the receive buffer is the victim's secret: the card would overwrite it
;   3 write  the receive buffer is the victim's VMCB (the hypervisor's memory: where the
;            victim's registers are kept while it is not running), at its reserved words
;
; The host-physical addresses are the ones the hypervisor gives the victim when the scenario
; starts (the victim is created first, its memory backed eagerly); an attacker guesses or
; learns them, and tests/hypervisor/test_hv_rogue.c checks they are still right. With the IOMMU
; on, none of them is in the rogue's I/O page table: each DMA is blocked and the descriptor
; comes back with ERROR (dma-blocked). With `iommu = off` each one goes through.

        .include "../include/hw.inc"

        .equ VICTIM_SECRET, 0x00015000  ; host-physical: the victim's page 0x3000
        .equ VICTIM_VMCB, 0x00022800    ; host-physical: the victim's VMCB + 0x800 (reserved)
        .equ NIC_ERROR_REG, 0x30a       ; why the last thing failed
        .equ LOOPBACK_ON, 3             ; CONTROL: ENABLE | LOOPBACK
        .equ DESC_ERROR, 2              ; a descriptor's STATUS: ERROR
        .equ TXR, 0x8000                ; the transmit ring: 4 descriptors
        .equ RXR, 0x8100                ; the receive ring: 4 descriptors
        .equ FRAME, 0x9000              ; the frame the writes carry
        .equ RXBUF, 0xa000              ; its own receive buffer (the read's destination)
        .equ FRAMELEN, 40

start:
        li      sp, 0xf000
        li      r1, 3                   ; what the card's addresses mean: 0, guest-physical
        cpuid   r5, r1                  ; (the IOMMU remaps them); else where our memory is
        la      r1, TXR                 ; the rings, then the card on in loopback
        add     r1, r1, r5
        out     r1, [NIC_TX_BASE]
        li      r1, 4
        out     r1, [NIC_TX_SIZE]
        la      r1, RXR
        add     r1, r1, r5
        out     r1, [NIC_RX_BASE]
        li      r1, 4
        out     r1, [NIC_RX_SIZE]
        li      r1, LOOPBACK_ON
        out     r1, [NIC_CONTROL]
        la      r1, intro
        call    puts

        li      r8, 0                   ; attack 1: read the victim's secret
        la      r9, VICTIM_SECRET
        la      r10, RXBUF
        add     r10, r10, r5
        la      r11, read_text
        mov     r7, r9
        call    attack
        li      r8, 1                   ; attack 2: overwrite it
        la      r9, FRAME
        add     r9, r9, r5
        la      r10, VICTIM_SECRET
        la      r11, write_text
        mov     r7, r10
        call    attack
        li      r8, 2                   ; attack 3: write into the victim's VMCB
        la      r9, FRAME
        add     r9, r9, r5
        la      r10, VICTIM_VMCB
        la      r11, vmcb_text
        mov     r7, r10
        call    attack
        out     r0, [POWER]

; attack(r8 = which, r9 = transmit buffer, r10 = receive buffer, r11 = what it is, r7 =
; the address attacked): one frame in loopback, then a sentence on what the card did.
attack:
        push    lr
        in      r1, [NIC_RX_HEAD]       ; the card's next receive descriptor: the buffer r10
        shli    r1, r1, 4
        la      r13, RXR
        add     r13, r13, r1
        st      r10, [r13]
        li      r3, 2048
        st      r3, [r13 + 4]
        st      r0, [r13 + 8]
        in      r1, [NIC_TX_HEAD]       ; its next transmit descriptor: FRAMELEN bytes at r9
        shli    r1, r1, 4
        la      r12, TXR
        add     r12, r12, r1
        st      r9, [r12]
        li      r3, FRAMELEN
        st      r3, [r12 + 4]
        st      r0, [r12 + 8]
        in      r6, [NIC_RX_HEAD]       ; give both to the card, ring the doorbell
        addi    r6, r6, 1
        andi    r6, r6, 3
        out     r6, [NIC_RX_TAIL]
        in      r6, [NIC_TX_HEAD]
        addi    r6, r6, 1
        andi    r6, r6, 3
        out     r6, [NIC_TX_TAIL]
        li      r3, 100000              ; wait (a while at most) until both descriptors are done
.wait:  addi    r3, r3, -1
        cmpi    r3, 0
        beq     .done
        ld      r4, [r12 + 8]
        andi    r4, r4, NIC_DESC_DONE
        cmpi    r4, 0
        beq     .wait
        ld      r4, [r12 + 8]           ; a refused frame never reaches the receive ring
        andi    r4, r4, DESC_ERROR
        cmpi    r4, 0
        bne     .done
        ld      r4, [r13 + 8]
        andi    r4, r4, NIC_DESC_DONE
        cmpi    r4, 0
        beq     .wait
.done:  mov     r1, r11                 ; "rogue: DMA ... at host-physical 0x...: "
        call    puts
        mov     r1, r7
        call    puthex
        ld      r4, [r12 + 8]
        ld      r6, [r13 + 8]
        or      r4, r4, r6
        andi    r4, r4, DESC_ERROR
        cmpi    r4, 0
        bne     .blocked
        la      r1, done_text
        call    puts
        cmpi    r8, 0
        bne     .out
        la      r1, got_text            ; the read: what arrived
        call    puts
        la      r1, RXBUF
        call    puts
        la      r1, quote
        call    puts
        b       .out
.blocked:
        la      r1, blocked_text
        call    puts
        in      r4, [NIC_STATUS]        ; acknowledge the card's error
        out     r4, [NIC_STATUS]
.out:   pop     lr
        ret

; puts(r1): the string at r1; puthex(r1): 0x and eight hex digits.
puts:   ldbu    r2, [r1]
        cmpi    r2, 0
        beq     .pend
        out     r2, [UART_DATA]
        addi    r1, r1, 1
        b       puts
.pend:  ret
puthex: li      r2, 0x30
        out     r2, [UART_DATA]
        li      r2, 0x78
        out     r2, [UART_DATA]
        li      r3, 28
.digit: shr     r2, r1, r3
        andi    r2, r2, 15
        cmpi    r2, 10
        blt     .num
        addi    r2, r2, 0x57            ; 'a' - 10
        b       .put
.num:   addi    r2, r2, 0x30
.put:   out     r2, [UART_DATA]
        addi    r3, r3, -4
        cmpi    r3, 0
        bge     .digit
        ret

intro:        .asciz "rogue: the network card is mine; its DMA goes where I say\n"
read_text:    .asciz "rogue: DMA read of the victim's secret at host-physical "
write_text:   .asciz "rogue: DMA write over the victim's secret at host-physical "
vmcb_text:    .asciz "rogue: DMA write into the victim's VMCB at host-physical "
done_text:    .asciz ": done\n"
blocked_text: .asciz ": the card reports an error (the IOMMU blocked it)\n"
got_text:     .asciz "rogue: it holds '"
quote:        .asciz "'\n"

        .org 0x9000                     ; the frame: a header, then what it writes
        .asciz "..............ROGUE WAS HERE"
