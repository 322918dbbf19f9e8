; nic.s - the network card in loopback: send one Ethernet frame to ourselves and print what
; arrives (docs/io.md).
;
; The card's two rings of 16-byte descriptors are in memory; the program fills one transmit
; descriptor (buffer address, length), gives the card two empty receive buffers, turns the card
; on in loopback mode and rings the transmit doorbell. The card reads the frame by DMA, keeps
; it on the wire for nic_frame + nic_byte * length cycles, writes it into the first receive
; buffer and raises line 11. The handler prints the payload it finds there.

        .equ NIC, 0x300             ; CONTROL +0, TX_BASE +1, TX_SIZE +2, TX_TAIL +3, TX_HEAD +4,
                                    ; RX_BASE +5, RX_SIZE +6, RX_TAIL +7, RX_HEAD +8, STATUS +9
        .equ TXRING, 0x10000
        .equ RXRING, 0x10100
        .equ RXBUF, 0x11000         ; two 2 KiB receive buffers
        .equ FRAMELEN, 40           ; 14 header bytes + 26 payload bytes

start:
        la      r5, on_irq
        csrw    tvec, r5
        li      sp, 0x8000
        la      r1, TXRING          ; transmit descriptor 0: the frame below, FRAMELEN bytes
        la      r2, frame
        st      r2, [r1]
        li      r2, FRAMELEN
        st      r2, [r1 + 4]
        la      r1, RXRING          ; receive descriptors 0 and 1: a buffer of 2 KiB each
        la      r2, RXBUF
        st      r2, [r1]
        li      r3, 2048
        st      r3, [r1 + 4]
        add     r2, r2, r3
        st      r2, [r1 + 16]
        st      r3, [r1 + 20]
        la      r1, TXRING          ; the rings: 4 descriptors each
        out     r1, [NIC + 1]
        li      r1, 4
        out     r1, [NIC + 2]
        la      r1, RXRING
        out     r1, [NIC + 5]
        li      r1, 4
        out     r1, [NIC + 6]
        li      r1, 3               ; ENABLE | LOOPBACK
        out     r1, [NIC]
        li      r1, 2               ; two receive buffers given
        out     r1, [NIC + 7]
        li      r1, 1               ; doorbell: descriptor 0 is ready to send
        out     r1, [NIC + 3]
        sti
wait:
        halt
        b       wait

; Line 11: the frame has gone and come back. Print its payload and length, then power off.
on_irq:
        in      r6, [NIC + 9]       ; STATUS
        out     r6, [NIC + 9]       ; acknowledge what it says
        andi    r6, r6, 2           ; RX?
        cmpi    r6, 0
        beq     .back
        la      r1, got
        call    puts
        la      r1, RXBUF + 14      ; the payload, after the 14-byte header
        call    puts
        la      r1, bytes
        call    puts
        la      r1, RXRING
        ld      r1, [r1 + 12]       ; RXLEN, written by the card
        call    putdec
        la      r1, tail
        call    puts
        out     r0, [POWER]
.back:
        iret

got:    .asciz  "received: "
bytes:  .asciz  " ("
tail:   .asciz  " bytes)\n"
frame:  .byte   0x02, 0, 0, 0, 0, 1          ; to us
        .byte   0x02, 0, 0, 0, 0, 1          ; from us
        .byte   0x88, 0xb5                   ; EtherType: local experimental
        .asciz  "hello over the wire"        ; 20 bytes with the 0
        .space  6                            ; 26 payload bytes in all

        .align  4
        .include "console.inc"
