; kernel.s - tinyos: a paged, preemptive, multi-process teaching kernel.
;
; tinyos runs up to 8 processes, each in its own address space (its own page tables, tagged
; with an ASID), switching between them round-robin on a timer tick. Processes ask for
; service with system calls (abi.inc); a process that faults is killed and the kernel goes
; on. Programs come from the disk image's /bin directory, read by an interrupt-driven disk
; driver while other processes run. The first process is the shell (/bin/shell), which runs
; programs by name from the console; when it exits, tinyos powers the machine off.
;
; The files, in the order they are included:
;   kernel.s    boot: what the loader hands over, setting up memory, the first process
;   trap.inc    every way into the kernel (traps, interrupts) and the one way out
;   sched.inc   the process table, the scheduler, sleeping and waking, exit and kill
;   syscall.inc the system calls
;   vm.inc      physical frames, page tables, address spaces, pages given on first touch
;   disk.inc    the block-device driver and the /bin directory
;   spawn.inc   making a process from a program file
;   console.inc printing, and the console input that read() returns
;   net.inc     the network card's driver: net_send, net_recv, and answering pings
;   container.inc  containers: their own process ids, /bin, CPU share, memory cap, I/O rate
;   balloon.inc the balloon driver: free frames given to a hypervisor that wants memory back
;   flaw.inc    peek, another process's memory, with a flaw planted for a demonstration; marks
;   entropy.inc the hypervisor's entropy source (a device no hardware has): random
;   swap.inc    swapping: a process's page to the disk's swap area when frames run out
;
; Registers (every routine follows this): r1..r4 carry arguments and r1 (r2) the result;
; r1..r8 are scratch, which a call may change; r9..r13 survive calls (a routine that uses one
; saves it); sp = r14, lr = r15 (a routine that calls another saves lr). In the trap and
; system-call paths r9 holds the current process's table entry.
;
; Interrupts: traps enter with IE = 0. System calls then run with interrupts on (sti), so a
; long call does not hold up the timer or the disk; the state that interrupt handlers change
; (process states, the disk's queue, the tick count) is touched in critical sections:
;       pushf               ; remember IE
;       cli                 ; no interrupt from here ...
;       ...
;       popf                ; ... to here: IE is back to what it was
; popf, not sti, ends them, so that a section entered with interrupts off leaves them off.
; (Run deprivileged under a trap-and-emulate hypervisor, this is what breaks: popf in U
; leaves IE alone, silently.)
;
; Physical memory (paging is on after boot; the kernel maps all RAM at the same addresses):
;   0x00000000          page 0: never mapped, so a null pointer faults
;   0x00001000          boot ROM and loader, not needed after boot
;   0x00007000          the trap entry's scratch word (TRAP_R1, reachable as [r0 + ...])
;   0x00020000          this kernel: code, data, the process table, the kernel stack
;   end of the kernel   free frames, up to the end of RAM (at most 64 MiB are used)
; Every address space maps the kernel's pages (U = 0, G = 1: global, so switching ASIDs
; keeps their TLB entries) and the process's own pages (U = 1) at 0x40000000 and below
; 0x80000000 (abi.inc). Page tables have 2 levels: 10 + 10 index bits.

        .include "../include/hw.inc"
        .include "../include/fs.inc"
        .include "abi.inc"

; ---- the process table entry (128 bytes) ------------------------------------------------------
        .equ P_REGS, 0              ; r0..r15 while the process is not running (4 bytes each)
        .equ P_SP, 56               ; its r14
        .equ P_EPC, 64              ; where it resumes
        .equ P_EFLAGS, 68           ; its FLAGS (mode U, IE on)
        .equ P_STATE, 72            ; S_* below
        .equ P_PID, 76
        .equ P_PARENT, 80           ; the parent's entry, 0 for none
        .equ P_PTROOT, 84           ; root table frame | ASID << 1 | E
        .equ P_WAKE, 88             ; SLEEPING: the tick to wake at
        .equ P_STATUS, 92           ; ZOMBIE: the exit status
        .equ P_NAME, 96             ; 20 bytes: the program's name, NUL-padded
        .equ P_LOAD_PAGE, 116       ; LOADING: the next page of the image to read
        .equ P_LOAD_LEFT, 120       ; LOADING: sectors still to read
        .equ P_PAGES, 124           ; pages of memory the process owns
        .equ P_SIZE, 128
        .equ P_LOAD_SECTOR, P_WAKE  ; LOADING: the next sector to read (a LOADING process
                                    ; does not sleep, so it shares P_WAKE's word)
        .equ NPROC, 8

; process states
        .equ S_UNUSED, 0            ; the entry is free
        .equ S_READY, 1             ; can run, waits for the CPU
        .equ S_RUNNING, 2           ; has the CPU
        .equ S_SLEEPING, 3          ; sleep(): waits for a tick
        .equ S_WAITING, 4           ; wait(): waits for a child to exit
        .equ S_READING, 5           ; read(): waits for console input
        .equ S_LOADING, 6           ; spawn(): its program is being read from the disk
        .equ S_ZOMBIE, 7            ; has exited; its parent has not collected the status

; ---- time -------------------------------------------------------------------------------------
        .equ TICK, CYCLES_PER_MS    ; cycles between timer interrupts: 1 ms (HZ = 1000, as Linux's
                                    ; CONFIG_HZ_1000), at hw.inc's clock rate
        .equ QUANTUM, 1             ; ticks a process runs before the next one gets the CPU

; ---- memory -----------------------------------------------------------------------------------
        .equ TRAP_R1, 0x7000        ; below 32 KiB: [r0 + TRAP_R1] needs no base register
        .equ RAM_MAX, 0x4000000     ; tinyos uses at most 64 MiB
        .equ L1_SHIFT, 22           ; an L1 entry covers 4 MiB
        .equ KERNEL_PTE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D
        .equ USER_PTE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U
        .equ BOOT_MAGIC, 0x544f4f42 ; "BOOT": r3 from the boot loader

        .org 0x20000

; ---- boot -------------------------------------------------------------------------------------
; The boot loader jumps here in K, interrupts and paging off, with r1 = RAM size, r2 = the
; first sector of the fs partition, r3 = "BOOT" (docs/guests.md).
start:
        la      sp, kstack_top
        la      r5, trap_entry
        csrw    tvec, r5
        csrw    scratch, r0         ; no current process yet
        la      r5, BOOT_MAGIC
        cmp     r3, r5
        beq     .booted
        la      r1, msg_no_boot
        call    panic
.booted:
        la      r5, RAM_MAX         ; use at most 64 MiB
        cmp     r1, r5
        bleu    .ram_ok
        mov     r1, r5
.ram_ok:
        la      r5, ram_size
        st      r1, [r5]
        la      r5, fs_first
        st      r2, [r5]
        call    console_init        ; a hypervisor? (the console's hypercall)
        call    balloon_init        ; a hypervisor that wants memory back: the top frames
        call    frames_init         ; every other page past the kernel is free
        call    vm_init             ; the kernel's page tables; paging on
        call    fs_init             ; read the /bin directory
        call    say_hello
        li      r1, (1 << IRQ_TIMER) | (1 << IRQ_UART) | (1 << IRQ_DISK) | (1 << IRQ_NIC) | (1 << IRQ_BALLOON)
        csrw    im, r1
        li      r1, TICK
        csrw    timer, r1
        la      r1, init_name       ; the first process: the shell, with no parent
        li      r2, 0
        call    proc_spawn
        cmpi    r1, 0
        bne     .started
        la      r1, msg_no_init
        call    panic
.started:
        b       return_to_user      ; the scheduler takes it from here

; say_hello(): "[tinyos] 8192 KiB RAM, 1990 free pages, 9 programs in /bin"
say_hello:
        push    lr
        la      r1, msg_hello
        call    kputs
        la      r1, ram_size
        ld      r1, [r1]
        shri    r1, r1, 10
        call    kputdec
        la      r1, msg_ram
        call    kputs
        la      r1, free_frames     ; the balloon's pages are free: the kernel takes them back
        ld      r1, [r1]
        la      r2, balloon_pages
        ld      r2, [r2]
        add     r1, r1, r2
        call    kputdec
        la      r1, msg_free
        call    kputs
        la      r1, bin_dir + DIR_COUNT
        ld      r1, [r1]
        call    kputdec
        la      r1, msg_programs
        call    kputs
        pop     lr
        ret

; panic(r1 = message): "[tinyos] panic: <message>", then power off with exit code 2.
; panic_begin prints the first part and panic_end the newline and the power-off, for a
; message printed in pieces between them.
panic:
        mov     r9, r1
        call    panic_begin
        mov     r1, r9
        call    kputs
panic_end:
        li      r1, '\n'
        call    kputc
        li      r1, 2
        out     r1, [POWER]
        b       .
panic_begin:
        cli
        push    lr
        la      r1, msg_panic
        call    kputs
        pop     lr
        ret

        .include "trap.inc"
        .include "sched.inc"
        .include "syscall.inc"
        .include "vm.inc"
        .include "disk.inc"
        .include "spawn.inc"
        .include "console.inc"
        .include "net.inc"
        .include "container.inc"
        .include "balloon.inc"
        .include "flaw.inc"
        .include "entropy.inc"
        .include "swap.inc"

; ---- data ---------------------------------------------------------------------------------------
; On pages of its own, apart from the code: real kernels keep code and data apart (W^X), and a
; binary translator write-protects the pages of code it translated, so that every store to data
; beside code would cost it an exit (docs/hypervisor.md, "Binary translation").
        .align  4096
msg_hello:    .asciz "[tinyos] "
msg_ram:      .asciz " KiB RAM, "
msg_free:     .asciz " free pages, "
msg_programs: .asciz " programs in /bin\n"
msg_panic:    .asciz "[tinyos] panic: "
msg_no_boot:  .asciz "not started by the boot loader (r3 is not \"BOOT\")"
msg_no_init:  .asciz "cannot start /bin/shell"
        .align  4
init_name:    .ascii "shell"        ; NUL-padded to 20 bytes, as a directory stores names
        .space  NAME_LEN - 5
ram_size:     .word 0               ; bytes of RAM tinyos uses
fs_first:     .word 0               ; first sector of the fs partition
ticks:        .word 0               ; timer interrupts so far
slice_left:   .word 0               ; ticks left in the running process's time slice
need_resched: .word 0               ; 1: pick the next process on the way out of the kernel
next_pid:     .word 1
        .align  4
proc_table:   .space NPROC * P_SIZE
proc_table_end:
con_hypervisor: .word 0             ; 1: a hypervisor is present (console.inc)
cpu_features:   .word 0             ; cpuid leaf 1 as the CPU answered it (console.inc)
con_len:      .word 0               ; bytes in the console's line buffer
con_buf:      .space CON_MAX
balloon_pages: .word 0              ; pages in the balloon (balloon.inc)
balloon_goal:  .word 0              ; the pages it should hold: the hypervisor's target
balloon_moved: .word 0              ; 1: the target moved, balloon_service moves towards it
balloon_list: .space BALLOON_MAX * 4 ; their addresses, the first given first
        .space  4096
kstack_top:                         ; the kernel's one stack: traps from U start here
        .equ kernel_end, (kstack_top + PAGE - 1) & ~(PAGE - 1) ; the first free frame
