; echo.s - the echo client: finds an echo server (echod) with a request to everyone, then sends
; it two more, to its address, and prints each answer with its round trip in cycles.
;
;   echo: "echo hello 1" back from 02:00:00:01:00:02 in 21034 cycles

        .org 0x40000000
start:
        la      r1, tx
        la      r2, rx
        call    find_server
        cmpi    r1, 0
        beq     .none
        call    report
        la      r1, server          ; the server's address, from its answer
        la      r2, rx + 6
        li      r3, 6
        call    copy
        li      r9, '2'
.more:
        la      r1, tx
        la      r2, server
        call    frame_header
        la      r1, tx + ETH_HEADER + 11 ; "echo hello N"
        stb     r9, [r1]
        call    cycles
        mov     r10, r1
        la      r1, tx
        li      r2, 60
        call    net_send_wait
.wait:
        la      r1, rx
        li      r2, ETH_MAX
        la      r3, 300000
        call    net_wait
        cmpi    r1, 0
        beq     .lost
        la      r1, rx
        la      r2, w_echo
        call    payload_is
        cmpi    r1, 0
        beq     .wait
        call    cycles
        sub     r1, r1, r10
        call    report
        b       .next
.lost:
        la      r1, msg_lost
        call    print
.next:
        addi    r9, r9, 1
        cmpi    r9, '3'
        ble     .more
        li      r1, 0
        call    exit
.none:
        la      r1, msg_none
        call    print
        li      r1, 1
        call    exit

; report(r1 = cycles): `echo: "TEXT" back from SRC in N cycles`.
report:
        push    lr
        push    r9
        mov     r9, r1
        la      r1, msg_echo
        call    print
        la      r1, rx + ETH_HEADER
        call    print
        la      r1, msg_from
        call    print
        la      r1, rx + 6
        call    print_mac
        la      r1, msg_in
        call    print
        mov     r1, r9
        call    print_dec
        la      r1, msg_cycles
        call    print
        pop     r9
        pop     lr
        ret

        .include "ulib.inc"
        .include "netlib.inc"

msg_echo:   .asciz "echo: \""
msg_from:   .asciz "\" back from "
msg_in:     .asciz " in "
msg_cycles: .asciz " cycles\n"
msg_lost:   .asciz "echo: no answer within 300000 cycles\n"
msg_none:   .asciz "echo: no echo server answered\n"
w_echo:     .ascii "echo"
server:     .space 6
        .align  4
tx:         .space 60
rx:         .space ETH_MAX + 2
