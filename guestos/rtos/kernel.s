; rtos.s - a soft real-time executive: periodic tasks, earliest deadline first.
;
; A different design from tinyos on purpose: no processes, no paging, no user mode. A static
; table of periodic tasks (tasks.inc) runs in K on one stack. The CPU's timer is the rtos's
; only clock source besides the cycle counter: it is armed for the next release (no periodic
; tick), and its interrupt handler counts the jobs released. The main loop picks, among the
; tasks with a released job not yet done, the one whose job has the earliest absolute
; deadline (EDF) and runs that job to completion; with nothing to run it halts until the next
; release. When every task has run all its jobs, it prints one line per task (jobs run,
; deadline misses, worst lateness = finish - deadline in cycles, negative when early) and
; powers off with exit code 0.
;
; Assembled with TELEMETRY defined (guestos/rtos-net/kernel.s: rtos-net.img), the `.ifdef
; TELEMETRY` lines below add a fourth periodic task whose every job sends a frame of these
; figures on the network card (net.inc); rtos.img holds none of them.
;
; Times are cycles since the start of the run (t0), read from the cycle CSR. Under a
; hypervisor the guest keeps counting its cycles while it does not run, so a VCPU that waits
; for a physical CPU sees its jobs finish late: the scheduling lesson.
;
; The main loop and the timer handler share the `released` counts, so the main loop reads
; them with interrupts masked, by pushf / cli ... popf: popf puts IE back as it was. (A
; deprivileged rtos under trap-and-emulate loses exactly this: popf in U leaves IE alone.)
;
; Registers: r1..r8 arguments, results and scratch (a call may change them); r9..r13 kept
; across calls; sp = r14, lr = r15. Memory: loaded at 0x20000 by the boot loader, its stack
; in its own image. The boot protocol (docs/guests.md) passes r1 = RAM size, r3 = "BOOT".

        .include "../include/hw.inc"

        .equ BOOT_MAGIC, 0x544f4f42
        .equ START_DELAY, 2000      ; cycles from the first line printed to the first release

        .org 0x20000
start:
        la      sp, stack_top
        la      r5, trap_entry
        csrw    tvec, r5
        call    console_init
        mov     r9, r1              ; r9 = hypervisor present
        la      r1, msg_hello
        call    print
        la      r1, msg_uart
        cmpi    r9, 0
        beq     .say
        la      r1, msg_hcall
.say:
        call    print
        call    describe_tasks
        .ifdef TELEMETRY
        call    net_init            ; the card up before the run (net.inc)
        .endif
        li      r1, 1 << IRQ_TIMER  ; only the timer interrupts the rtos
        csrw    im, r1
        csrr    r1, cycle           ; t0: the run starts a little later
        addi    r1, r1, START_DELAY
        la      r2, t0
        st      r1, [r2]
        li      r1, START_DELAY
        csrw    timer, r1           ; the first releases come with the first tick
        sti
main_loop:
        pushf                       ; critical section: the timer handler changes `released`
        cli
        call    pick_task           ; r1 = the task to run, or 0
        cmpi    r1, 0
        bne     .run
        call    all_done
        cmpi    r1, 0
        bne     .finished
        halt                        ; IE = 0: wakes when the timer line is pending
        popf                        ; IE = 1 again: the pending tick is taken now
        b       main_loop
.run:
        popf
        call    run_job
        b       main_loop
.finished:
        popf
        call    now                 ; the run ends with the last job, before the report
        la      r2, t_end
        st      r1, [r2]
        call    report
        .ifdef TELEMETRY
        call    telemetry_report
        .endif
        out     r0, [POWER]         ; exit code 0
        b       .

; now() -> r1 = cycles since t0 (32 bits hold 1.4 s at 3 GHz; the run lasts 50 ms).
now:
        csrr    r1, cycle
        la      r2, t0
        ld      r2, [r2]
        sub     r1, r1, r2
        ret

; pick_task() -> r1 = the task whose pending job has the earliest deadline, or 0. Job j of a
; task is released at j * period and due at j * period + deadline. Call with interrupts off.
pick_task:
        li      r1, 0               ; the best so far, and its deadline in r2
        li      r2, -1
        la      r3, tasks
.task:
        la      r4, tasks_end
        cmp     r3, r4
        bgeu    .end
        ld      r5, [r3 + T_DONE]
        ld      r6, [r3 + T_RELEASED]
        cmp     r5, r6
        bgeu    .next               ; no job waiting
        ld      r6, [r3 + T_PERIOD]
        mul     r5, r5, r6
        ld      r6, [r3 + T_DEADLINE]
        add     r5, r5, r6          ; r5 = the waiting job's absolute deadline
        cmp     r5, r2
        bgeu    .next               ; ties go to the task listed first
        mov     r1, r3
        mov     r2, r5
.next:
        addi    r3, r3, T_SIZE
        b       .task
.end:
        ret

; all_done() -> r1 = 1 when every task has finished all its jobs.
all_done:
        la      r3, tasks
.task:
        la      r4, tasks_end
        cmp     r3, r4
        bgeu    .yes
        ld      r5, [r3 + T_DONE]
        ld      r6, [r3 + T_JOBS]
        cmp     r5, r6
        bltu    .no
        addi    r3, r3, T_SIZE
        b       .task
.yes:
        li      r1, 1
        ret
.no:
        li      r1, 0
        ret

; run_job(r1 = task): does the job's work, then books its finish against its deadline.
run_job:
        push    lr
        push    r9
        push    r10
        mov     r9, r1
        ld      r1, [r9 + T_WORK]
        call    work
        .ifdef TELEMETRY
        mov     r1, r9              ; the telemetry task's job also sends its frame (net.inc)
        call    telemetry_job
        .endif
        call    now                 ; r1 = finish time
        mov     r10, r1
        ld      r2, [r9 + T_DONE]
        ld      r3, [r9 + T_PERIOD]
        mul     r2, r2, r3
        ld      r3, [r9 + T_DEADLINE]
        add     r2, r2, r3          ; the job's absolute deadline
        sub     r1, r1, r2          ; lateness: > 0 means late
        cmpi    r1, 0
        ble     .in_time
        ld      r3, [r9 + T_MISSES]
        addi    r3, r3, 1
        st      r3, [r9 + T_MISSES]
        push    r1
        mov     r2, r10
        call    mark_miss           ; on the hypervisor's timeline (nothing on bare hardware)
        pop     r1
.in_time:
        ld      r3, [r9 + T_WORST]
        cmp     r1, r3
        ble     .booked
        st      r1, [r9 + T_WORST]
.booked:
        ld      r3, [r9 + T_DONE]
        addi    r3, r3, 1
        st      r3, [r9 + T_DONE]
        pop     r10
        pop     r9
        pop     lr
        ret

; work(r1 = cycles): burns about that many cycles: each turn of the loop costs 4 (addi,
; cmpi, a taken branch with its refetch). It stands for a job's computation.
work:
        shri    r1, r1, 2
.turn:
        addi    r1, r1, -1
        cmpi    r1, 0
        bgt     .turn
        ret

; ---- interrupts -----------------------------------------------------------------------------
; The trap vector. The only trap the rtos expects is the timer; anything else is a bug and
; stops the machine with exit code 2.
trap_entry:
        push    r1
        csrr    r1, cause
        push    r2
        la      r2, CAUSE_INTERRUPT | IRQ_TIMER
        cmp     r1, r2
        pop     r2
        bne     panic
        pop     r1
        ; fall through

; The timer interrupt: count the jobs released up to now, then arm the timer for the next
; release (which also acknowledges this tick). Keeps every register.
timer_tick:
        push    r1
        push    r2
        push    r3
        push    r4
        push    r5
        push    r6
        push    lr
        call    now                 ; r1 = now
        li      r6, -1              ; r6 = the next release, over all tasks
        la      r3, tasks
.task:
        la      r4, tasks_end
        cmp     r3, r4
        bgeu    .arm
.release:
        ld      r4, [r3 + T_RELEASED]
        ld      r5, [r3 + T_JOBS]
        cmp     r4, r5
        bgeu    .next               ; every job of this task is out
        ld      r5, [r3 + T_PERIOD]
        mul     r5, r4, r5          ; r5 = the next job's release time
        cmp     r5, r1
        bgtu    .later
        addi    r4, r4, 1           ; it is due: release it
        st      r4, [r3 + T_RELEASED]
        b       .release
.later:
        cmp     r5, r6
        bgeu    .next
        mov     r6, r5
.next:
        addi    r3, r3, T_SIZE
        b       .task
.arm:
        li      r2, 0               ; nothing left to release: disarm (and acknowledge)
        cmpi    r6, -1
        beq     .write
        sub     r2, r6, r1          ; cycles until the next release
.write:
        csrw    timer, r2
        pop     lr
        pop     r6
        pop     r5
        pop     r4
        pop     r3
        pop     r2
        pop     r1
        iret

panic:
        la      r1, msg_panic       ; "[rtos] panic: unexpected trap, cause N"
        call    line_str
        csrr    r1, cause
        call    line_dec
        call    line_flush
        li      r1, 2
        out     r1, [POWER]
        b       .

; ---- the report -----------------------------------------------------------------------------
; describe_tasks(): one line per task with its parameters, before the run.
describe_tasks:
        push    lr
        push    r9
        la      r9, tasks
.task:
        la      r1, tasks_end
        cmp     r9, r1
        bgeu    .end
        la      r1, msg_task        ; "[rtos] task sensor: period 1 ms, deadline 500 us, ..."
        call    line_str
        la      r1, msg_task_word
        call    line_str
        ld      r1, [r9 + T_NAME]
        call    line_str
        la      r1, msg_period
        call    line_str
        ld      r1, [r9 + T_PERIOD]
        call    line_time
        la      r1, msg_deadline
        call    line_str
        ld      r1, [r9 + T_DEADLINE]
        call    line_time
        la      r1, msg_work
        call    line_str
        ld      r1, [r9 + T_WORK]
        call    line_time
        la      r1, msg_jobs
        call    line_str
        ld      r1, [r9 + T_JOBS]
        call    line_dec
        la      r1, msg_jobs_end
        call    line_str
        call    line_flush
        addi    r9, r9, T_SIZE
        b       .task
.end:
        pop     r9
        pop     lr
        ret

; report(): one line per task, then a summary line.
report:
        push    lr
        push    r9
        push    r10
        li      r10, 0              ; misses over all tasks
        la      r9, tasks
.task:
        la      r1, tasks_end
        cmp     r9, r1
        bgeu    .summary
        la      r1, msg_task        ; "[rtos] sensor: 100 runs, 0 deadline misses, worst ..."
        call    line_str
        ld      r1, [r9 + T_NAME]
        call    line_str
        la      r1, msg_colon
        call    line_str
        ld      r1, [r9 + T_DONE]
        call    line_dec
        la      r1, msg_runs
        call    line_str
        ld      r1, [r9 + T_MISSES]
        add     r10, r10, r1
        call    line_dec
        la      r1, msg_misses
        call    line_str
        ld      r1, [r9 + T_WORST]
        call    line_dec
        la      r1, msg_cycles
        call    line_str
        call    line_flush
        addi    r9, r9, T_SIZE
        b       .task
.summary:
        la      r1, msg_summary     ; "[rtos] all jobs done N cycles after the start: M ..."
        call    line_str
        la      r1, t_end
        ld      r1, [r1]
        call    line_dec
        la      r1, msg_after
        call    line_str
        mov     r1, r10
        call    line_dec
        la      r1, msg_total
        call    line_str
        call    line_flush
        pop     r10
        pop     r9
        pop     lr
        ret

        .include "console.inc"
        .ifdef TELEMETRY
        .include "net.inc"
        .endif
; The data on pages of its own, apart from the code: a binary translator write-protects the
; pages of code it translated, so that every store to data beside code costs it an exit.
        .align  4096
        .include "tasks.inc"
        .ifdef TELEMETRY
        .include "net_data.inc"
        .endif

        .ifdef TELEMETRY
msg_hello:    .asciz "[rtos] soft real-time executive: 4 periodic tasks, earliest deadline first, telemetry on the network card"
        .else
msg_hello:    .asciz "[rtos] soft real-time executive: 3 periodic tasks, earliest deadline first"
        .endif
msg_uart:     .asciz "[rtos] no hypervisor (cpuid leaf 1, bit 31 clear): console on the UART"
msg_hcall:    .asciz "[rtos] hypervisor present (cpuid leaf 1, bit 31 set): console by hypercall"
msg_panic:    .asciz "[rtos] panic: unexpected trap, cause "
msg_task:     .asciz "[rtos] "
msg_colon:    .asciz ": "
msg_runs:     .asciz " runs, "
msg_misses:   .asciz " deadline misses, worst lateness "
msg_task_word: .asciz "task "
msg_period:   .asciz ": period "
msg_deadline: .asciz ", deadline "
msg_work:     .asciz ", work "
msg_jobs:     .asciz "; "
msg_us:       .asciz " us"
msg_ms:       .asciz " ms"
msg_point:    .asciz "."
msg_zero:     .asciz "0"
msg_jobs_end: .asciz " jobs"
msg_cycles:   .asciz " cycles"
msg_summary:  .asciz "[rtos] all jobs done "
msg_after:    .asciz " cycles after the start: "
msg_total:    .asciz " deadline misses"
        .align  4
t0:     .word   0                   ; the cycle the run started at
t_end:  .word   0                   ; when the last job finished, relative to t0
; The mark ring (console.inc, mark_miss), on a data page: under binary translation a store
; beside translated code would cost an exit, which is what the ring is there to avoid.
mark_ring:
        .word   0                   ; head: the records written so far
        .space  MARK_SLOTS * MARK_RECORD
        .space  1024
stack_top:
