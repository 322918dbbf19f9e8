; netbench.s - the I/O paths' common transfer (`hvsim bench-io`, docs/experiments.md): 16
; full-size pings (1 514-byte frames) to the peer host, one after the other, each waiting for
; its 1 514-byte answer: 48 448 bytes through the network card, half each way. It prints how
; many answers came, the bytes moved and the time from the first ping to the last answer:
;
;   netbench: 16 of 16 answers, 48448 bytes in 612345 cycles

        .equ PINGS, 16
        .equ LEN, 1514              ; a full Ethernet frame
        .equ WAIT, 400000           ; cycles to wait for one answer

        .org 0x40000000
start:
        la      r1, reply           ; the first call brings the card up: not in the time
        li      r2, LEN
        call    net_recv
        la      r1, frame
        la      r2, peer
        call    frame_header
        call    cycles
        mov     r10, r1             ; r10 = when the first ping went
        li      r9, PINGS
        li      r11, 0              ; answers
.ping:
        la      r1, frame
        li      r2, LEN
        call    net_send_wait
        la      r1, reply
        li      r2, LEN
        la      r3, WAIT
        call    net_wait
        cmpi    r1, LEN
        bne     .next
        addi    r11, r11, 1
.next:
        addi    r9, r9, -1
        cmpi    r9, 0
        bgt     .ping
        call    cycles
        sub     r12, r1, r10
        la      r1, msg_head
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_of
        call    print
        li      r1, PINGS * LEN     ; each answer as long as its ping
        add     r1, r1, r1
        call    print_dec
        la      r1, msg_in
        call    print
        mov     r1, r12
        call    print_dec
        la      r1, msg_cycles
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"
        .include "netlib.inc"

msg_head:   .asciz "netbench: "
msg_of:     .asciz " of 16 answers, "
msg_in:     .asciz " bytes in "
msg_cycles: .asciz " cycles\n"
peer:       .byte 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe
        .align  4
frame:      .space 14               ; the ping: header, "ping from tinyos", zeros to LEN
        .ascii  "ping from tinyos"
        .space  LEN - 30
        .align  4
reply:      .space LEN + 2
