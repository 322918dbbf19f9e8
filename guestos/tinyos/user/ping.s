; ping.s - pings the peer host beyond the virtual switch's uplink three times, then everyone
; (the broadcast address) once, and prints each answer: what it said, who sent it and its round
; trip in cycles. tinyos kernels answer pings themselves (net.inc), so a second tinyos on the
; same switch answers the broadcast too; the peer host answers every ping (docs/io.md).
;
;   ping 02:00:00:00:00:fe: pong from peer (02:00:00:00:00:fe) in 2304 cycles

        .equ PING_LEN, 60           ; a minimal Ethernet frame
        .equ WAIT, 200000           ; cycles to wait for the answers to one ping
        .equ RXMAX, 1514
        .equ MAX_ANSWERS, 4

        .org 0x40000000
start:
        la      r1, reply           ; the first call brings the card up: not in a round trip
        li      r2, RXMAX
        call    net_recv
        li      r9, 3
.peer:
        la      r1, peer
        call    ping_one
        addi    r9, r9, -1
        cmpi    r9, 0
        bgt     .peer
        la      r1, everyone
        call    ping_one
        li      r1, 0
        call    exit

; ping_one(r1 = destination): one ping, every answer that comes within WAIT cycles noted (its
; round trip, who sent it, what it said), then printed: printing is console output, which
; under a hypervisor costs an exit a byte, and must not delay the next answer's note.
ping_one:
        push    lr
        push    r9
        push    r10
        push    r11
        mov     r9, r1
        la      r1, frame
        mov     r2, r9
        call    frame_header
        li      r11, 0              ; answers noted
        call    cycles
        mov     r10, r1             ; r10 = when it was sent
        la      r1, frame
        li      r2, PING_LEN
        call    net_send
        cmpi    r1, 0
        blt     .failed
.poll:
        la      r1, reply
        li      r2, RXMAX
        call    net_recv
        cmpi    r1, 0
        bgt     .answer
        call    cycles
        sub     r1, r1, r10
        la      r2, WAIT
        cmp     r1, r2
        bgeu    .over
        call    yield
        b       .poll
.answer:
        call    cycles
        sub     r1, r1, r10
        cmpi    r11, MAX_ANSWERS
        bge     .poll               ; more than we note: counted out
        mov     r2, r11
        call    note_answer
        addi    r11, r11, 1
        b       .poll
.over:
        mov     r1, r9
        mov     r2, r11
        call    print_answers
        b       .done
.failed:
        la      r1, msg_failed
        call    print
.done:
        pop     r11
        pop     r10
        pop     r9
        pop     lr
        ret

; note_answer(r1 = cycles, r2 = index): the frame in `reply` as answer `index`.
note_answer:
        shli    r2, r2, 5           ; 32 bytes an answer
        la      r3, answers
        add     r3, r3, r2
        st      r1, [r3]
        la      r4, reply + 6       ; the sender's address, then the text (19 bytes at most)
        addi    r5, r3, 4
        addi    r6, r4, 6 + 2 + 19
.copy:
        ldbu    r7, [r4]
        stb     r7, [r5]
        addi    r4, r4, 1
        addi    r5, r5, 1
        cmp     r4, r6
        bltu    .copy
        stb     r0, [r3 + 31]
        ret

; print_answers(r1 = the ping's destination, r2 = answers): "ping DST: TEXT (SRC) in N
; cycles" for each, or "ping DST: no answer".
print_answers:
        push    lr
        push    r9
        push    r10
        push    r11
        mov     r9, r1
        mov     r10, r2
        cmpi    r10, 0
        bne     .some
        la      r1, msg_ping
        call    print
        mov     r1, r9
        call    print_mac
        la      r1, msg_none
        call    print
        b       .done
.some:
        la      r11, answers
.each:
        la      r1, msg_ping
        call    print
        mov     r1, r9
        call    print_mac
        la      r1, msg_colon
        call    print
        addi    r1, r11, 12         ; the text (after the source and the EtherType)
        call    print
        la      r1, msg_open
        call    print
        addi    r1, r11, 4
        call    print_mac
        la      r1, msg_in
        call    print
        ld      r1, [r11]
        call    print_dec
        la      r1, msg_cycles
        call    print
        addi    r11, r11, 32
        addi    r10, r10, -1
        cmpi    r10, 0
        bgt     .each
.done:
        pop     r11
        pop     r10
        pop     r9
        pop     lr
        ret

        .include "ulib.inc"
        .include "netlib.inc"

msg_ping:   .asciz "ping "
msg_colon:  .asciz ": "
msg_open:   .asciz " ("
msg_in:     .asciz ") in "
msg_cycles: .asciz " cycles\n"
msg_none:   .asciz ": no answer\n"
msg_failed: .asciz "ping: the network card refused the frame\n"
peer:       .byte 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe
everyone:   .byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        .align  4
frame:      .space 14               ; the ping: header, "ping from tinyos", zeros to PING_LEN
        .ascii  "ping from tinyos"
        .space  PING_LEN - 30
reply:      .space RXMAX + 2
        .align  4
answers:    .space MAX_ANSWERS * 32 ; each: cycles, source (6), EtherType (2), text (20)
