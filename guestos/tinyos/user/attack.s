; attack.s - the attack of the containers-vs-vms demonstration: a process that belongs to the
; cache service (it runs in cache's container, or in cache's VM) and tries to read the secret
; of every service (secret.inc) with the system call peek, asking for each process id from 1
; to MAX_PID. peek lets it read only the processes it can see, unless the kernel's planted
; flaw is on (flaw.inc): then it reaches every process of its kernel. Each secret it reads
; is a mark "secret" on the hypervisor's timeline (value: whose), after the mark "attack"
; (value: its own service), so the end-of-run table counts what it reached.

        .include "secret.inc"
        .equ ATTACKER, SVC_CACHE
        .equ MAX_PID, 16

        .org 0x40000000
start:
        li      r1, SYS_SLEEP       ; let the services come up
        li      r2, 3
        syscall
        li      r1, SYS_MARK
        la      r2, mark_attack
        li      r3, ATTACKER
        syscall
        li      r9, 1               ; r9 = the id asked for, r10 = the secrets read
        li      r10, 0
.pid:
        li      r1, SYS_PEEK
        mov     r2, r9
        la      r3, SECRET_ADDR
        syscall
        shri    r2, r1, 8           ; a secret: SECRET_MAGIC + an id below 256
        shli    r2, r2, 8
        la      r3, SECRET_MAGIC
        cmp     r2, r3
        bne     .next
        andi    r11, r1, 0xff       ; whose
        cmpi    r11, SVC_CACHE
        bleu    .named
        li      r11, 0              ; not a service of ours: "?"
.named:
        la      r1, msg_pid         ; "[attack] pid 3: the secret of db"
        call    print
        mov     r1, r9
        call    print_dec
        la      r1, msg_of
        call    print
        la      r1, names
        shli    r2, r11, 2
        add     r1, r1, r2
        ld      r1, [r1]
        call    print
        la      r1, msg_nl
        call    print
        li      r1, SYS_MARK
        la      r2, mark_secret
        mov     r3, r11
        syscall
        addi    r10, r10, 1
.next:
        addi    r9, r9, 1
        cmpi    r9, MAX_PID
        ble     .pid
        la      r1, msg_read        ; "[attack] 3 secrets read"
        call    print
        mov     r1, r10
        call    print_dec
        la      r1, msg_secrets
        call    print
        li      r1, 0
        call    exit

        .include "ulib.inc"

mark_attack:    .asciz "attack"
mark_secret:    .asciz "secret"
msg_pid:        .asciz "[attack] pid "
msg_of:         .asciz ": the secret of "
msg_nl:         .asciz "\n"
msg_read:       .asciz "[attack] "
msg_secrets:    .asciz " secrets read\n"
name_none:      .asciz "?"
name_web:       .asciz "web"
name_db:        .asciz "db"
name_cache:     .asciz "cache"
        .align  4
names:          .word name_none, name_web, name_db, name_cache
