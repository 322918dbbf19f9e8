; net.s - two VMs on the hypervisor's virtual switch (examples/vswitch.ini, docs/io.md): the
; first broadcasts a ping, the second answers it, to the address the ping came from, and so does
; the peer host beyond the switch's uplink; the first prints both answers as they come.
;
; Both VMs run this program; each has its own virtual network card with the physical card's
; registers (ports 0x300..0x30f), and tells which it is by the card's MAC address: the
; hypervisor gives VM i the address 02:00:00:01:00:(i + 1). The driver polls the ring heads
; (every `in` from the card is a VM exit the hypervisor emulates: the emulated I/O path).

        .equ NIC, 0x300             ; CONTROL +0, TX_BASE +1, TX_SIZE +2, TX_TAIL +3, TX_HEAD +4,
                                    ; RX_BASE +5, RX_SIZE +6, RX_TAIL +7, RX_HEAD +8,
                                    ; MAC_LO +11, MAC_HI +12
        .equ UART, 0x3f8
        .equ POWER, 0x0f0
        .equ TXR, 0x10000           ; the transmit ring: 4 descriptors of 16 bytes
        .equ RXR, 0x10100           ; the receive ring: 4 descriptors
        .equ TXB, 0x12000           ; the frame being built
        .equ RXB, 0x13000           ; four 2 KiB receive buffers
        .equ FRAMELEN, 40           ; 14 header bytes + 26 payload bytes

start:
        li      sp, 0x8000
        la      r1, RXR             ; receive descriptor i: buffer RXB + 2 KiB * i, 2 KiB
        la      r2, RXB
        li      r3, 2048
        li      r4, 4
.rx:    st      r2, [r1]
        st      r3, [r1 + 4]
        add     r2, r2, r3
        addi    r1, r1, 16
        addi    r4, r4, -1
        cmpi    r4, 0
        bne     .rx
        la      r1, TXR             ; the rings, then the card on with 3 buffers given
        out     r1, [NIC + 1]
        li      r1, 4
        out     r1, [NIC + 2]
        la      r1, RXR
        out     r1, [NIC + 5]
        li      r1, 4
        out     r1, [NIC + 6]
        li      r1, 1
        out     r1, [NIC]
        li      r1, 3
        out     r1, [NIC + 7]
        la      r5, TXB             ; our address is the frame's source (bytes 6..11)
        in      r1, [NIC + 11]
        sth     r1, [r5 + 6]
        shri    r1, r1, 16
        sth     r1, [r5 + 8]
        in      r1, [NIC + 12]
        sth     r1, [r5 + 10]
        li      r2, 0x88            ; EtherType 0x88b5: local experimental
        stb     r2, [r5 + 12]
        li      r2, 0xb5
        stb     r2, [r5 + 13]
        shri    r1, r1, 8           ; the address's last byte: 1 in the first VM
        cmpi    r1, 1
        bne     answer

; The first VM: a ping to everyone (ff:ff:ff:ff:ff:ff), then wait for the two answers.
ping:
        li      r1, 0xffff
        sth     r1, [r5]
        sth     r1, [r5 + 2]
        sth     r1, [r5 + 4]
        la      r6, ping_text
        call    send
        li      r4, 1
        call    waitrx
        la      r7, RXB
        call    print
        li      r4, 2
        call    waitrx
        la      r7, RXB + 2048
        call    print
        out     r0, [POWER]

; The others: wait for a frame and answer its sender, at its address (bytes 6..11).
answer:
        li      r4, 1
        call    waitrx
        la      r7, RXB
        ldhu    r1, [r7 + 6]
        sth     r1, [r5]
        ldhu    r1, [r7 + 8]
        sth     r1, [r5 + 2]
        ldhu    r1, [r7 + 10]
        sth     r1, [r5 + 4]
        la      r6, pong_text
        call    send
        call    print
        call    waittx
        out     r0, [POWER]

; send(r6): the string at r6 (with its 0) as the payload; transmit descriptor 0, doorbell.
send:
        la      r1, TXB + 14
.copy:  ldbu    r2, [r6]
        stb     r2, [r1]
        addi    r6, r6, 1
        addi    r1, r1, 1
        cmpi    r2, 0
        bne     .copy
        la      r1, TXR
        la      r2, TXB
        st      r2, [r1]
        li      r2, FRAMELEN
        st      r2, [r1 + 4]
        li      r1, 1
        out     r1, [NIC + 3]
        ret

; Polling: until the card has filled r4 receive buffers (RX_HEAD is r4) or sent (TX_HEAD moved).
waitrx: in      r1, [NIC + 8]
        cmp     r1, r4
        bne     waitrx
        ret
waittx: in      r1, [NIC + 4]
        cmpi    r1, 0
        beq     waittx
        ret

; print(r7): "got: " and the payload of the frame in the receive buffer at r7.
print:
        push    lr
        la      r1, got
        call    puts
        addi    r1, r7, 14
        call    puts
        li      r2, 10
        out     r2, [UART]
        pop     lr
        ret
puts:   ldbu    r2, [r1]
        cmpi    r2, 0
        beq     .end
        out     r2, [UART]
        addi    r1, r1, 1
        b       puts
.end:   ret

got:       .asciz "got: "
ping_text: .asciz "ping from a"
pong_text: .asciz "pong from b"
