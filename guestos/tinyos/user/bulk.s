; bulk.s - a bulk transfer that measures its throughput: finds an echo server (echod), sends it
; 44 full frames ("bulk" and 1 496 more bytes: 1 500 of payload each, 66 000 bytes in all) as
; fast as the transmit ring takes them, then "done", and waits for the server's count ("got "
; and 4 bytes). The time is from the first frame to the count; then "quit" ends the server.
;
;   bulk: 66000 bytes to 02:00:00:01:00:02 in 512345 cycles: 128 bytes per 1000 cycles

        .equ FRAMES, 44
        .equ PAYLOAD, 1500

        .org 0x40000000
start:
        la      r1, cmd
        la      r2, rx
        call    find_server
        cmpi    r1, 0
        beq     .none
        la      r1, server
        la      r2, rx + 6
        li      r3, 6
        call    copy
        la      r1, tx              ; the bulk frame: "bulk", then zeros
        la      r2, server
        call    frame_header
        la      r1, tx + ETH_HEADER
        la      r2, w_bulk
        li      r3, 4
        call    copy
        call    cycles
        mov     r10, r1             ; r10 = when the first frame went
        li      r9, FRAMES
.send:
        la      r1, tx
        li      r2, ETH_HEADER + PAYLOAD
        call    net_send_wait
        addi    r9, r9, -1
        cmpi    r9, 0
        bgt     .send
        la      r1, w_done
        call    command
.wait:
        la      r1, rx
        li      r2, ETH_MAX
        la      r3, 2000000
        call    net_wait
        cmpi    r1, 0
        beq     .lost
        la      r1, rx
        la      r2, w_got
        call    payload_is
        cmpi    r1, 0
        beq     .wait
        call    cycles
        sub     r10, r1, r10        ; r10 = the transfer's cycles
        la      r1, msg_bulk
        call    print
        la      r1, rx + ETH_HEADER + 4 ; the server's count, little-endian
        ldbu    r11, [r1 + 3]
        shli    r11, r11, 8
        ldbu    r2, [r1 + 2]
        or      r11, r11, r2
        shli    r11, r11, 8
        ldbu    r2, [r1 + 1]
        or      r11, r11, r2
        shli    r11, r11, 8
        ldbu    r2, [r1]
        or      r11, r11, r2
        mov     r1, r11
        call    print_dec
        la      r1, msg_to
        call    print
        la      r1, server
        call    print_mac
        la      r1, msg_in
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_rate
        call    print
        li      r2, 1000            ; bytes per 1000 cycles
        mul     r1, r11, r2
        divu    r1, r1, r10
        call    print_dec
        la      r1, msg_per
        call    print
        b       .quit
.lost:
        la      r1, msg_lost
        call    print
.quit:
        la      r1, w_quit
        call    command
        li      r1, 0
        call    exit
.none:
        la      r1, msg_none
        call    print
        li      r1, 1
        call    exit

; command(r1 = a 4-character word): a 60-byte frame with that payload to the server.
command:
        push    lr
        push    r9
        mov     r9, r1
        la      r1, cmd
        la      r2, server
        call    frame_header
        la      r1, cmd + ETH_HEADER
        mov     r2, r9
        li      r3, 4
        call    copy
        la      r1, cmd
        li      r2, 60
        call    net_send_wait
        pop     r9
        pop     lr
        ret

        .include "ulib.inc"
        .include "netlib.inc"

msg_bulk: .asciz "bulk: "
msg_to:   .asciz " bytes to "
msg_in:   .asciz " in "
msg_rate: .asciz " cycles: "
msg_per:  .asciz " bytes per 1000 cycles\n"
msg_lost: .asciz "bulk: the server's count did not come within 2000000 cycles\n"
msg_none: .asciz "bulk: no echo server answered\n"
w_bulk:   .ascii "bulk"
w_done:   .ascii "done"
w_got:    .ascii "got "
w_quit:   .ascii "quit"
server:   .space 6
        .align  4
cmd:      .space 60
tx:       .space ETH_HEADER + PAYLOAD
rx:       .space ETH_MAX + 2
