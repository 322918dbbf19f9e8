; nic-rogue.s - a driver that gives the network card a buffer outside memory: the DMA is
; blocked (the IOMMU checks every address, even off), the descriptor is marked dma-blocked and
; the IOMMU's fault log says which device, which address and why (tests/data/repl/nic-rogue.cmd).
        .equ NIC, 0x300
start:
        li      r1, 0x10000         ; transmit descriptor 0: 60 bytes at 0xfff00000
        lui     r2, 0xfff0
        st      r2, [r1]
        li      r2, 60
        st      r2, [r1 + 4]
        out     r1, [NIC + 1]       ; TX_BASE
        li      r2, 4
        out     r2, [NIC + 2]       ; TX_SIZE
        li      r1, 0x10100
        out     r1, [NIC + 5]       ; RX_BASE
        out     r2, [NIC + 6]       ; RX_SIZE
        li      r1, 1
        out     r1, [NIC]           ; ENABLE
        out     r1, [NIC + 3]       ; TX_TAIL: descriptor 0 is ready
done:
        out     r0, [0xf0]
