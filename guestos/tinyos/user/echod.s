; echod.s - the echo server: answers every "echo..." frame with the same payload back to its
; sender, counts the bytes of "bulk" frames, answers "done" with "got " and that count (4 bytes,
; little-endian), and ends at "quit" with a summary. With nothing for 20 000 000 cycles it ends
; too. Frames are of EtherType 0x88b5; the others are ignored (docs/guests.md, the network).
;
;   echod: 3 echoes, 44 bulk frames (66000 bytes), quit from 02:00:00:01:00:01

        .equ IDLE, 20000000

        .org 0x40000000
start:
        la      r1, msg_serving
        call    print
        call    flush
        li      r9, 0               ; echoes
        li      r10, 0              ; bulk frames
        li      r11, 0              ; bulk bytes
.next:
        la      r1, rx
        li      r2, ETH_MAX
        la      r3, IDLE
        call    net_wait
        cmpi    r1, 0
        beq     .idle
        mov     r12, r1             ; r12 = its length
        la      r1, rx
        la      r2, w_echo
        call    payload_is
        cmpi    r1, 0
        bne     .echo
        la      r1, rx
        la      r2, w_bulk
        call    payload_is
        cmpi    r1, 0
        bne     .bulk
        la      r1, rx
        la      r2, w_done
        call    payload_is
        cmpi    r1, 0
        bne     .done
        la      r1, rx
        la      r2, w_quit
        call    payload_is
        cmpi    r1, 0
        bne     .quit
        b       .next
.echo:
        mov     r1, r12             ; the same frame, back to its sender
        call    answer
        addi    r9, r9, 1
        b       .next
.bulk:
        addi    r10, r10, 1
        add     r11, r11, r12
        addi    r11, r11, -ETH_HEADER
        b       .next
.done:
        la      r1, rx + ETH_HEADER ; "got " and the count
        li      r2, 'g'
        stb     r2, [r1]
        li      r2, 'o'
        stb     r2, [r1 + 1]
        li      r2, 't'
        stb     r2, [r1 + 2]
        li      r2, ' '
        stb     r2, [r1 + 3]
        stb     r11, [r1 + 4]
        shri    r2, r11, 8
        stb     r2, [r1 + 5]
        shri    r2, r11, 16
        stb     r2, [r1 + 6]
        shri    r2, r11, 24
        stb     r2, [r1 + 7]
        mov     r1, r12
        call    answer
        b       .next
.idle:
        li      r12, 0              ; no frame to name a sender by
        la      r1, msg_idle
        call    print
.quit:
        la      r1, msg_echod
        call    print
        mov     r1, r9
        call    print_dec
        la      r1, msg_echoes
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_bulk
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_bytes
        call    print
        cmpi    r12, 0
        beq     .end
        la      r1, msg_from
        call    print
        la      r1, rx + 6
        call    print_mac
.end:
        la      r1, msg_nl
        call    print
        li      r1, 0
        call    exit

; answer(r1 = length): the frame in rx goes back to where it came from.
answer:
        push    lr
        push    r9
        mov     r9, r1
        la      r1, rx
        la      r2, rx + 6
        call    frame_header
        la      r1, rx
        mov     r2, r9
        call    net_send_wait
        pop     r9
        pop     lr
        ret

        .include "ulib.inc"
        .include "netlib.inc"

msg_serving: .asciz "echod: serving\n"
msg_idle:    .asciz "echod: nothing came for 20000000 cycles\n"
msg_echod:   .asciz "echod: "
msg_echoes:  .asciz " echoes, "
msg_bulk:    .asciz " bulk frames ("
msg_bytes:   .asciz " bytes)"
msg_from:    .asciz ", quit from "
msg_nl:      .asciz "\n"
w_echo:      .ascii "echo"
w_bulk:      .ascii "bulk"
w_done:      .ascii "done"
w_quit:      .ascii "quit"
        .align  4
rx:          .space ETH_MAX + 2
