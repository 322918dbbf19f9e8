; shell.s - the tinyos shell: the first process. It reads a command line from the console,
; runs the program of that name from /bin and waits for it, over and over.
;
; A line ending in " &" starts the program without waiting for it. Built-in commands: help,
; ps (the kernel prints its process table), wait (for every background program), poweroff
; (the shell exits; tinyos then powers the machine off). Non-interactive runs give the
; console a script of such lines (hvsim --input FILE; the native-tinyos scenario has one).

        .equ LINE_MAX, 64

        .org 0x40000000
start:
        la      r1, msg_prompt
        call    print
        call    flush               ; the prompt has no newline: out with it before reading
        call    read_line           ; r1 = length, without the newline
        cmpi    r1, 0
        beq     start
        call    background          ; r1 = 1 when the line ended in " &" (now cut off)
        mov     r9, r1
        call    builtin             ; r1 = 1 when the line was a built-in command
        cmpi    r1, 0
        bne     start
        li      r1, SYS_SPAWN
        la      r2, line
        syscall
        cmpi    r1, 0
        blt     .no_program
        mov     r10, r1             ; r10 = the child's id
        cmpi    r9, 0
        bne     .in_background
        mov     r1, r10
        call    wait_for
        b       start
.in_background:
        la      r1, msg_started     ; "[shell] pid 5 runs in the background"
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_background
        call    print
        b       start
.no_program:
        la      r1, msg_no_program  ; "[shell] no program 'x' in /bin"
        call    print
        la      r1, line
        call    print
        la      r1, msg_in_bin
        call    print
        b       start

; read_line() -> r1 = the length of the line read into `line`, its newline replaced by a NUL.
; read() gives at most what is asked and stops after a newline; a longer line is cut.
read_line:
        li      r9, 0               ; bytes so far
.more:
        li      r1, SYS_READ
        la      r2, line
        add     r2, r2, r9
        li      r3, LINE_MAX - 1
        sub     r3, r3, r9
        syscall
        cmpi    r1, 0
        ble     .end
        add     r9, r9, r1
        la      r2, line
        add     r2, r2, r9
        ldbu    r3, [r2 + -1]
        cmpi    r3, '\n'
        beq     .newline
        cmpi    r9, LINE_MAX - 1
        blt     .more
        b       .end
.newline:
        addi    r9, r9, -1
.end:
        la      r2, line
        add     r2, r2, r9
        stb     r0, [r2]
        mov     r1, r9
        ret

; background(r1 = length) -> r1 = 1 when the line ends in " &", which is cut off.
background:
        cmpi    r1, 2
        blt     .no
        la      r2, line
        add     r2, r2, r1
        ldbu    r3, [r2 + -1]
        cmpi    r3, '&'
        bne     .no
        ldbu    r3, [r2 + -2]
        cmpi    r3, ' '
        bne     .no
        stb     r0, [r2 + -2]
        li      r1, 1
        ret
.no:
        li      r1, 0
        ret

; builtin() -> r1 = 1 when `line` was a built-in command, which has then been done.
builtin:
        push    lr
        la      r1, line
        la      r2, cmd_help
        call    streq
        cmpi    r1, 0
        bne     .help
        la      r1, line
        la      r2, cmd_ps
        call    streq
        cmpi    r1, 0
        bne     .ps
        la      r1, line
        la      r2, cmd_wait
        call    streq
        cmpi    r1, 0
        bne     .wait
        la      r1, line
        la      r2, cmd_poweroff
        call    streq
        cmpi    r1, 0
        bne     .poweroff
        li      r1, 0
        pop     lr
        ret
.help:
        la      r1, msg_help
        call    print
        b       .done
.ps:
        li      r1, SYS_PS
        syscall
        b       .done
.wait:
        li      r1, -1              ; no particular child: every one
        call    wait_for
        b       .done
.poweroff:
        li      r1, 0               ; tinyos powers off when the shell exits
        call    exit
.done:
        li      r1, 1
        pop     lr
        ret

; wait_for(r1 = a child's id, or -1 for all): waits until that child has exited, reporting
; the others that exit meanwhile, and a non-zero status.
wait_for:
        push    lr
        push    r9
        mov     r9, r1
.again:
        li      r1, SYS_WAIT
        syscall                     ; r1 = a child's id, r2 = its status; -1: no children
        cmpi    r1, 0
        blt     .done
        mov     r10, r1
        mov     r11, r2
        cmp     r10, r9
        beq     .ours
        la      r1, msg_done        ; "[shell] pid 5 done, status 0"
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_status
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_newline
        call    print
        b       .again
.ours:
        cmpi    r11, 0
        beq     .done
        la      r1, msg_exit        ; "[shell] exit status -1"
        call    print
        mov     r1, r11
        call    print_dec
        la      r1, msg_newline
        call    print
.done:
        pop     r9
        pop     lr
        ret

; streq(r1, r2 = strings) -> r1 = 1 when they are equal.
streq:
        ldbu    r3, [r1]
        ldbu    r4, [r2]
        cmp     r3, r4
        bne     .no
        cmpi    r3, 0
        beq     .yes
        addi    r1, r1, 1
        addi    r2, r2, 1
        b       streq
.yes:
        li      r1, 1
        ret
.no:
        li      r1, 0
        ret

        .include "ulib.inc"

msg_prompt:     .asciz "$ "
msg_started:    .asciz "[shell] pid "
msg_background: .asciz " runs in the background\n"
msg_no_program: .asciz "[shell] no program '"
msg_in_bin:     .asciz "' in /bin\n"
msg_done:       .asciz "[shell] pid "
msg_status:     .asciz " done, status "
msg_exit:       .asciz "[shell] exit status "
msg_newline:    .asciz "\n"
msg_help:       .asciz "[shell] programs in /bin: hello counter syscalls pagetouch forkwait fault true systest\n[shell] built-in: help ps wait poweroff; a line ending in ' &' runs in the background\n"
cmd_help:       .asciz "help"
cmd_ps:         .asciz "ps"
cmd_wait:       .asciz "wait"
cmd_poweroff:   .asciz "poweroff"
        .align  4
line:   .space  LINE_MAX
