; shell.s - the tinyos shell: the first process. It reads a command line from the console,
; runs the program of that name from /bin and waits for it, over and over.
;
; A line ending in " &" starts the program without waiting for it. Built-in commands: help,
; ps (the kernel prints its process table), wait (for every background program), poweroff
; (the shell exits; tinyos then powers the machine off), ctrs (the containers' limits), flaw
; on (the kernel's planted flaw, for the containers-vs-vms demonstration: flaw.inc) and
; run -c NAME [cpu=N] [mem=N] [io=N] PROGRAM (PROGRAM in a container: docs/containers.md). Non-interactive runs give the
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
        call    container_run       ; r1 = the child's id, -1: failed, 0: not `run -c`
        cmpi    r1, 0
        blt     start
        bgt     .started
        li      r1, SYS_SPAWN
        la      r2, line
        syscall
        cmpi    r1, 0
        blt     .no_program
.started:
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

; container_run() -> r1 = 0 when `line` is not `run -c NAME [cpu=N] [mem=N] [io=N] PROGRAM`,
; else the id of PROGRAM started in the container NAME, or -1 after a message. The kernel
; makes the container (its root is /ctr/NAME on the disk) and sets the limits named.
container_run:
        push    lr
        push    r9
        push    r11
        la      r1, line
        la      r2, cmd_run
        call    prefix              ; r1 = past "run -c ", or 0
        cmpi    r1, 0
        beq     .not
        mov     r9, r1              ; r9 = the container's name
        call    cut_word            ; r1 = the next word
        la      r2, limits
        st      r0, [r2]
        st      r0, [r2 + 4]
        st      r0, [r2 + 8]
.option:
        mov     r10, r1             ; r10 = this word, r11 = the rest of the line
        call    cut_word
        mov     r11, r1
        mov     r1, r10
        la      r2, opt_cpu
        la      r3, limits
        call    option
        cmpi    r1, 0
        bne     .next
        mov     r1, r10
        la      r2, opt_mem
        la      r3, limits + 4
        call    option
        cmpi    r1, 0
        bne     .next
        mov     r1, r10
        la      r2, opt_io
        la      r3, limits + 8
        call    option
        cmpi    r1, 0
        beq     .program
.next:
        mov     r1, r11
        b       .option
.program:
        ldbu    r1, [r10]
        cmpi    r1, 0
        beq     .usage
        li      r1, SYS_CSPAWN
        mov     r2, r10
        mov     r3, r9
        la      r4, limits
        syscall
        cmpi    r1, 0
        bgt     .out
        la      r1, msg_no_ctr      ; "[shell] cannot run 'x' in container web"
        call    print
        mov     r1, r10
        call    print
        la      r1, msg_in_ctr
        call    print
        mov     r1, r9
        call    print
        la      r1, msg_newline
        call    print
        li      r1, -1
        b       .out
.usage:
        la      r1, msg_run_usage
        call    print
        li      r1, -1
        b       .out
.not:
        li      r1, 0
.out:
        pop     r11
        pop     r9
        pop     lr
        ret

; prefix(r1 = string, r2 = prefix) -> r1 = the string past the prefix, or 0 when it does
; not start with it.
prefix:
        ldbu    r4, [r2]
        cmpi    r4, 0
        beq     .yes
        ldbu    r3, [r1]
        cmp     r3, r4
        bne     .no
        addi    r1, r1, 1
        addi    r2, r2, 1
        b       prefix
.no:
        li      r1, 0
.yes:
        ret

; cut_word(r1 = string) -> r1 = the next word: the first space is made a NUL.
cut_word:
        ldbu    r2, [r1]
        cmpi    r2, 0
        beq     .end
        addi    r1, r1, 1
        cmpi    r2, ' '
        bne     cut_word
        stb     r0, [r1 + -1]
.end:
        ret

; option(r1 = word, r2 = "cpu=", r3 = where its value goes) -> r1 = 1 when the word was that
; option with a decimal value (stored), else 0.
option:
        push    lr
        push    r3
        call    prefix
        pop     r3
        cmpi    r1, 0
        beq     .out
        li      r4, 0               ; the value
        li      r6, 10
.digit:
        ldbu    r2, [r1]
        cmpi    r2, 0
        beq     .done
        addi    r2, r2, -48         ; '0'
        cmpi    r2, 9
        bgtu    .bad
        mul     r4, r4, r6
        add     r4, r4, r2
        addi    r1, r1, 1
        b       .digit
.done:
        st      r4, [r3]
        li      r1, 1
        b       .out
.bad:
        li      r1, 0
.out:
        pop     lr
        ret

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
        la      r1, line
        la      r2, cmd_ctrs
        call    streq
        cmpi    r1, 0
        bne     .ctrs
        la      r1, line
        la      r2, cmd_flaw
        call    streq
        cmpi    r1, 0
        bne     .flaw
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
.ctrs:
        li      r1, SYS_CTRS
        syscall
        b       .done
.flaw:
        li      r1, SYS_FLAW        ; the kernel's planted flaw on (flaw.inc): a demonstration
        li      r2, 1
        syscall
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
msg_help:       .asciz "[shell] programs in /bin: hello counter syscalls pagetouch forkwait fault true systest\n[shell] built-in: help ps wait poweroff ctrs; a line ending in ' &' runs in the background\n[shell] run -c NAME [cpu=TICKS] [mem=PAGES] [io=SECTORS] PROGRAM: in the container /ctr/NAME\n"
cmd_help:       .asciz "help"
cmd_ps:         .asciz "ps"
cmd_wait:       .asciz "wait"
cmd_poweroff:   .asciz "poweroff"
cmd_ctrs:       .asciz "ctrs"
cmd_flaw:       .asciz "flaw on"
cmd_run:        .asciz "run -c "
opt_cpu:        .asciz "cpu="
opt_mem:        .asciz "mem="
opt_io:         .asciz "io="
msg_no_ctr:     .asciz "[shell] cannot run '"
msg_in_ctr:     .asciz "' in container "
msg_run_usage:  .asciz "[shell] usage: run -c NAME [cpu=TICKS] [mem=PAGES] [io=SECTORS] PROGRAM\n"
        .align  4
line:   .space  LINE_MAX
limits: .space  12                  ; run -c: cpu, mem, io (0: as it is)
