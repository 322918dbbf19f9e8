; view.s - what a process sees of the system: its own id, the programs of its /bin and the
; process table. Run in a container (`run -c web view`) it shows the container's view: ids
; from 1, the container's own /bin (/ctr/web/bin on the disk), only its own processes.

        .org 0x40000000
start:
        la      r1, msg_pid         ; "[view] my pid is 1"
        call    print
        li      r1, SYS_GETPID
        syscall
        call    print_dec
        la      r1, msg_nl
        call    print
        call    flush
        li      r1, SYS_LS          ; the kernel prints the caller's /bin ...
        syscall
        li      r1, SYS_PS          ; ... and the processes it may see
        syscall
        li      r1, 0
        call    exit

        .include "ulib.inc"

msg_pid:        .asciz "[view] my pid is "
msg_nl:         .asciz "\n"
