/*
 * debug_internal.h - what the debugger's own files (debug.c, debug_expr.c, debug_query.c,
 * debug_text.c, debug_vm.c) share: the debugger object and the sentence builders.
 */
#ifndef HVSIM_UI_DEBUG_INTERNAL_H
#define HVSIM_UI_DEBUG_INTERNAL_H

#include <signal.h>

#include "ui_debug.h"

/* What a run is waiting for on the focus CPU, besides breakpoints. */
typedef enum {
    DBG_GO_CONTINUE = 0,
    DBG_GO_STEPI,   /* `count` more instruction boundaries */
    DBG_GO_TRAP,    /* the next trap or interrupt */
    DBG_GO_EVENT,   /* the next event of any kind */
    DBG_GO_CYCLES,  /* the focus CPU's cycles reach `target` */
    DBG_GO_UNTIL,   /* `cond` becomes true */
    DBG_GO_EXIT,    /* the next VM exit (debug_vm.c) */
    DBG_GO_FRAME,   /* `goal`: a pc in a frame, or the frame's return (debug_step.c) */
    DBG_GO_ENTRY,   /* the next VM entry on the focus CPU (finish at an exit, debug_step.c) */
    DBG_GO_INSTRET, /* the focus CPU has retired `count` instructions (debug_reverse.c) */
    DBG_GO_EVENTNO, /* the event numbered `target` (counted from the machine's start) */
    DBG_GO_COUNT,   /* steps counted in `counted`: stops once `count` are taken and the focus
                       CPU's cycles reach `target` (reverse-stepi, debug_reverse.c) */
} dbg_go_t;

typedef struct dbg_reverse dbg_reverse_t; /* the checkpoints (debug_reverse.c) */

/* Where a DBG_GO_FRAME run stops on the focus CPU: at `pc` (or past it, with `past`) while sp
 * >= `sp` when `in_frame`, or at `ret_pc` with sp >= `ret_sp` (the routine returned), always
 * in the mode and VM the run started in. */
typedef struct {
    ui_dbg_stop_kind_t kind; /* the stop it makes: NEXT, FINISH, LOCATION */
    uint32_t pc, sp;
    bool past, in_frame, any_pc;
    bool has_ret;
    uint32_t ret_pc, ret_sp;
    cpu_mode_t mode;
    int vm;             /* the VM label the focus CPU ran (-1: not in a guest) */
    uint32_t from_func; /* the routine the run started in (for the sentence) */
    bool has_from;
    uint32_t call_to; /* next: the routine called */
    bool returned;    /* set when the stop is the routine's return */
} dbg_goal_t;

/* A source line table (debug_lines.c): rows sorted by address, files interned. */
typedef struct {
    ui_dbg_line_t *rows;
    size_t n;
    char **files;
    size_t nfiles;
} dbg_lines_t;

struct ui_dbg {
    sim_machine_t *m;
    unsigned focus;
    uint64_t max_cycles;
    char err[256];

    cpu_symbol_t *syms; /* the focus's table, sorted by address (one of tab[]) */
    size_t nsyms;
    cpu_symbol_t *tab[UI_DBG_MAX_VMS + 1]; /* 0: the machine's; i + 1: VM i's (owned) */
    size_t tab_n[UI_DBG_MAX_VMS + 1];
    int focus_vm; /* the VM whose symbols and addresses are the default; -1: none/hv */
    int eval_vm;  /* the VM of the last symbol an expression named (-1: none, or any) */
    bool eval_guest; /* an expression named a guest's symbol (a guest address) */
    int use_vm;      /* ui_dbg_use_vm: the VM of gva/gpa for one command; -1: the focus's */

    ui_dbg_bp_t bp[UI_DBG_MAX_BPS];
    size_t nbp;
    int next_id;

    cpu_state_t prev[SIM_MAX_CPUS];     /* the CPUs when the last run began */
    uint64_t prev_nested[SIM_MAX_CPUS]; /* their nested-fault counts then */

    /* The run in progress. */
    bool running;
    volatile sig_atomic_t stop_requested;
    dbg_go_t go;
    uint64_t count, target;
    uint64_t goal_limit; /* `continue N`: sim_run's limit at the target (0: none; dbg_go) */
    bool focus_was_idle; /* the focus pCPU idled when the run began (a step's sentence) */
    const ui_dbg_cond_t *cond;
    uint64_t entries;                    /* traps and interrupts the focus CPU has entered */
    uint64_t seen_instret, seen_entries; /* the focus CPU's counts at its last boundary */
    uint64_t seen_vm_entries;            /* and its VM entries then */
    uint32_t seen_pc;                    /* and its pc */
    uint64_t exit_steps; /* steps that were an instruction the hypervisor completed (an exit) */
    bool reflected, step_reflected; /* a trap reflected or injected into the guest: in this
                                       run, in this step */
    uint32_t reflected_cause;
    uint64_t counted;                    /* a DBG_GO_COUNT run's steps so far */
    uint64_t count_until;                /* and the focus's cycle it runs to */
    bool count_idle;                     /* and whether the focus idles there */
    uint64_t count_mark; /* the focus's cycles at the last step counted (an idle one: later) */
    bool stopped;                        /* the hook has filled `stop` */
    ui_dbg_stop_t stop;
    bool pending; /* an event or access asks for a stop at pending_cpu's next boundary */
    unsigned pending_cpu;
    bool pending_any; /* pending_cpu went idle (no next boundary): any CPU's boundary will do */
    /* Memory as of a sub-step (debug_exit.c): while a stop is pending (the rest of an exit's
     * handling runs on), the old bytes of every write to RAM, numbered by the events seen so
     * far (seq), so that a read at a sub-step undoes the writes made after its action. */
    uint32_t seq;
    struct {
        uint32_t hpa, len, seq, at; /* at: where its old bytes are in undo_bytes */
    } undo[512];
    size_t nundo, undo_used;
    bool undo_lost; /* a write did not fit: memory at a sub-step is as after the handling */
    uint8_t undo_bytes[32768];
    ui_dbg_stop_t pend;
    uint64_t pend_logno; /* the number of pend's event */
    uint64_t last_logno; /* the number of the event the last stop showed (has_event) */
    /* Events that came after the one a `step event` stopped for, in the same instruction:
     * the next `step event` reports them one by one without running. */
    struct {
        sim_event_t ev, before;
        bool has_view;
        ui_dbg_view_t view; /* what a stop right at the event would show (a sub-step's) */
        uint64_t logno;     /* its number in the log */
    } queue[64];
    size_t nqueue, qhead;
    bool pend_has_view; /* the same for the pending stop's event */
    ui_dbg_view_t pend_view;
    /* A stop at a sub-step of an exit's handling shows the state as of that action, not the
     * machine's (which is past the handler): ui_dbg_view returns sub_view for its pCPU, and
     * sub_prev is what the stop before it showed (what the sub-step changed). */
    bool has_sub_view;
    ui_dbg_view_t sub_view;
    cpu_state_t sub_prev;
    bool trapped;        /* the focus CPU entered a trap or interrupt during this run */
    sim_event_t trap_ev; /* the last one */
    sim_event_t last_ev[SIM_MAX_CPUS]; /* each CPU's last event (what a mode change came from) */

    bool have_last;
    ui_dbg_stop_t last; /* the last stop: continuing does not stop at its breakpoint again */

    sim_event_t last_exit[SIM_MAX_CPUS]; /* each CPU's last VM exit (debug_exit.c) */
    int exit_vm, exit_vcpu; /* the VCPU of the last exit a stop showed (finish goes on with it) */
    bool has_exit[SIM_MAX_CPUS];
    /* What that exit was when it was an entry into binary translation's monitor (NULL: a VM
     * exit): named when it happened, while the monitor's record of the call still says so. */
    const char *last_monitor[SIM_MAX_CPUS];

    sim_event_t log[UI_DBG_LOG]; /* a ring: the oldest at log_head once full */
    size_t log_head, log_n;
    uint64_t log_total; /* events logged since the machine started: an event's number */
    /* Events numbered [ahead_from, ahead_to) are logged but not yet reached by the stop shown
     * (the rest of an exit's handling, past a sub-step): `info events` leaves them out. */
    uint64_t ahead_from, ahead_to;
    /* The mode a deprivileged guest (trap, bt) believed it was in at its recent exits and
     * entries, noted as they happened: an event carries only the CPU's real mode. */
    struct {
        uint64_t cycle;
        uint8_t cpu, kind, mode;
    } guest_mode[64];
    size_t nguest_mode;
    sim_event_sink_fn trace_fn;
    void *trace_ctx;

    dbg_goal_t goal; /* a DBG_GO_FRAME run's goal */
    ui_dbg_display_t displays[UI_DBG_MAX_DISPLAYS];
    size_t ndisplays;
    int next_display;
    dbg_lines_t lines[UI_DBG_MAX_VMS + 1]; /* 0: the machine's; i + 1: VM i's */
    char *src_text;                        /* the source file ui_dbg_source_line read last */
    char *src_path;
    char src_line[256];
    ui_dbg_rebuild_fn rebuild;
    void *rebuild_ctx;
    char scenario[512]; /* what snapshots name as their scenario ("" : none) */
    void (*new_machine_fn)(void *ctx); /* ui_dbg_on_new_machine */
    void *new_machine_ctx;
    dbg_reverse_t *rev; /* reverse execution's checkpoints, made at the first run */
};

/* Installs the debugger's event sink and CPU hooks on d->m (ui_dbg_new, ui_dbg_restart);
 * dbg_detach takes them off. */
int dbg_attach(ui_dbg_t *d);
void dbg_detach(ui_dbg_t *d);
/* debug_restart.c: forgets what the last runs left (stops, queued events, hits) when the
 * machine is another (restored, rebuilt, or gone back to a checkpoint). */
void dbg_clear_run_state(ui_dbg_t *d);
/* debug_reverse.c: sim_run as the debugger runs it, taking checkpoints on the way (at cycle
 * limits, which change nothing); forgetting them (the machine is another, or was edited);
 * freeing them. dbg_go_instret runs until the focus CPU has retired `instret` instructions. */
sim_run_result_t dbg_reverse_run(ui_dbg_t *d);
void dbg_reverse_forget(ui_dbg_t *d);
void dbg_reverse_free(ui_dbg_t *d);
int dbg_go_instret(ui_dbg_t *d, uint64_t instret, ui_dbg_stop_t *out);
/* Runs, counting the focus CPU's steps as `stepi` counts them (d->counted), until `steps` are
 * taken and the focus CPU's cycles reach `cycle`; stops there as a step does. With `idle`, the
 * point may be one where the focus idles (the next boundary of any CPU, as stepi stops). */
int dbg_go_count(ui_dbg_t *d, uint64_t steps, uint64_t cycle, bool idle, ui_dbg_stop_t *out);
/* Runs until the event numbered `logno` (as log_total counts them) has happened, and stops
 * there as `step event` does (the rest of its instruction queued). */
int dbg_go_event_number(ui_dbg_t *d, uint64_t logno, ui_dbg_stop_t *out);
/* debug_step.c: whether the focus CPU has reached a DBG_GO_FRAME goal. */
bool dbg_goal_reached(ui_dbg_t *d, const cpu_t *cpu);
void dbg_text_goal(ui_dbg_t *d, ui_dbg_stop_t *st);
/* debug_bpx.c: a breakpoint that matched: false when its condition is false or a hit is to be
 * ignored (counting the hit). */
bool dbg_bp_fires(ui_dbg_t *d, ui_dbg_bp_t *bp, const cpu_t *cpu);
void dbg_bp_release(ui_dbg_bp_t *bp);
void dbg_free_extras(ui_dbg_t *d); /* displays, line tables, source text */
/* debug_edit.c: the sentence of a SIM_EV_EDIT event. */
void dbg_text_edit(ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len);
void dbg_free_lines(ui_dbg_t *d); /* debug_lines.c */
/* A "FILE:LINE" location (debug_lines.c): 1 with its address (the first instruction of the
 * first line with code at or after LINE), its space and VM; 0 when text is not of that form;
 * -1 when no line table knows it. */
int dbg_parse_file_line(ui_dbg_t *d, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                        int *vm);
/* The line table in force for the focus (the focus VM's, or the machine's). */
const dbg_lines_t *dbg_focus_lines(const ui_dbg_t *d);

/* -1 with the sentence when the machine is powered off (and how to start it again). */
int dbg_check_powered(ui_dbg_t *d);
/* Appends to buf (of len bytes) at *used, never past the end (debug_text.c). */
void dbg_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the failure sentence for ui_dbg_error; returns -1. */
int dbg_fail(ui_dbg_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills where a stop happened (cpu, mode, pc, counts) from the CPU. */
void dbg_stop_at(const ui_dbg_t *d, ui_dbg_stop_t *st, ui_dbg_stop_kind_t kind, const cpu_t *cpu);

/* The sentences (debug_text.c). Each writes st->text from the other fields of *st. */
void dbg_text_trap(ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len);
void dbg_text_mode(ui_dbg_t *d, const sim_event_t *ev, const sim_event_t *cause, char *buf,
                   size_t len);
void dbg_text_stop(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp);

/* Shared with debug_vm.c (the VMs). */
ui_dbg_bp_t *dbg_add_bp(ui_dbg_t *d, ui_dbg_bp_kind_t kind);
/* The breakpoint with this id, or NULL with the failure sentence set. */
ui_dbg_bp_t *dbg_find_bp(ui_dbg_t *dbg, int id);
int dbg_go(ui_dbg_t *d, dbg_go_t how, ui_dbg_stop_t *out);
int dbg_check_vm(ui_dbg_t *d, int vm);
int dbg_store_symbols(ui_dbg_t *d, unsigned table, const cpu_symbol_t *syms, size_t n);
void dbg_free_symbols(ui_dbg_t *d);
void dbg_focus_after_stop(ui_dbg_t *d, const ui_dbg_stop_t *st);
/* The focus VM becomes the one the focus CPU runs, when it runs one (a new focus CPU). */
void dbg_focus_follow_cpu(ui_dbg_t *d);
int dbg_space_vm(const ui_dbg_t *d);
/* A gpa through nested tables rooted at host frame root_pfn, into *res and *trace (may be
 * NULL), with nothing changed (debug_query.c). */
void dbg_walk_nested(ui_dbg_t *d, uint32_t root_pfn, unsigned levels, uint32_t addr,
                     mmu_access_t kind, mmu_result_t *res, mmu_trace_t *trace);
int dbg_vm_translate(ui_dbg_t *d, int vm, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace);
int dbg_translate_hv(ui_dbg_t *d, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace);
bool dbg_exit_bp_matches(const ui_dbg_bp_t *bp, const sim_event_t *ev);
void dbg_describe_exit_bp(const ui_dbg_t *d, const ui_dbg_bp_t *bp, char *buf, size_t len);
void dbg_text_vmexit(ui_dbg_t *d, ui_dbg_stop_t *st);
const char *dbg_vm_name(const ui_dbg_t *d, int vm); /* "tinyos", or "a VM since gone" */
/* A blocked DMA as a sentence, the device's VM named `vm` (NULL: none) (debug_iommu.c). */
const char *dbg_dma_fault_text(const iommu_fault_t *f, const char *vm, char *buf, size_t len);
/* debug_sentence.c: the sentence of an event debug_text.c does not cover (hypervisor
 * actions, exits, entries, walks, ...), and the pieces other sentences share: a guest
 * address with its symbol ("0x00401a2c <sched+0x1c>"), who an event is about ("tinyos
 * vcpu0"), a port or MMIO address with the virtual device behind it. */
void dbg_text_other_event(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len);
const char *dbg_guest_where(const ui_dbg_t *d, int vm, uint32_t addr, char *buf, size_t len);
/* As dbg_guest_where, and for translated code (binary translation) the guest code it was
 * translated from: "0xffc000a4 (translated from 0x000010e4 <size_ram+0x18>)"; true then. */
bool dbg_code_where(const ui_dbg_t *d, const sim_event_t *ev, uint32_t pc, char *buf, size_t len);
/* "line 13 (a kick: ...)", "lines 0 (the timer) and 14 (the disk)": physical lines named. */
void dbg_lines_text(uint32_t lines, char *buf, size_t len);
/* "entry: tinyos vcpu0 resumes in K at 0x00001014 <reset+0x14>", the mode as given. */
void dbg_text_entry(const ui_dbg_t *d, const sim_event_t *ev, const char *mode, char *buf,
                    size_t len);
const char *dbg_who(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len);
void dbg_port_text(const ui_dbg_t *d, int vm, uint32_t port, char *buf, size_t len);
void dbg_mmio_text(const ui_dbg_t *d, int vm, uint32_t gpa, char *buf, size_t len);
/* debug_vm.c: the mode VM vm's VCPU vcpu believes it runs in when the CPU runs it in `real`:
 * a deprivileged kernel's (trap, bt) virtual mode, else `real` itself. */
cpu_mode_t dbg_virtual_mode(const ui_dbg_t *d, int vm, int vcpu, cpu_mode_t real);
/* debug_exit.c: notes each CPU's last exit; the CPU state expressions read. */
void dbg_exit_note_event(ui_dbg_t *d, const sim_event_t *ev);
/* What the pCPU's last entry into binary translation's co-resident monitor was ("a call into
 * the co-resident monitor", "a trap into ...", "an adapted store's sequence in ..."), or NULL
 * when its last exit was a VM exit (or none). */
const char *dbg_monitor_entry(const ui_dbg_t *d, unsigned cpu);
/* The mode the guest was in at an exit (before it) or entry (after it) as the guest saw it:
 * "K (virtual; the CPU runs it in U)" for a deprivileged kernel, else the CPU's mode. */
const char *dbg_guest_mode_text(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len);
const cpu_t *dbg_eval_cpu(ui_dbg_t *d);
/* The sentence saying a pCPU of the machine is in ring -1 with no exit (so has no registers
 * an expression could mean), or NULL when cpu's registers are there to read. */
const char *dbg_no_registers(ui_dbg_t *d, const cpu_t *cpu);
bool dbg_hv_bp_matches(const ui_dbg_bp_t *bp, const sim_event_t *ev);
void dbg_describe_hv_bp(const ui_dbg_t *d, const ui_dbg_bp_t *bp, char *buf, size_t len);
/* The focus is handling an exit (pending, or its sub-steps still being reported). */
bool dbg_in_exit(const ui_dbg_t *d);
/* EVENT stops of a hypervisor action or an entry: the sub-step's sentence (true), else false. */
bool dbg_text_substep(ui_dbg_t *d, ui_dbg_stop_t *st);
/* What a stop right at ev would show on its pCPU, had the machine stopped there: during an
 * exit's handling, the VCPU's state in its VMCB as the hypervisor has changed it so far; at a
 * VM entry, the guest as loaded. False for other events (the live state is the truth). */
bool dbg_exit_capture(ui_dbg_t *d, const sim_event_t *ev, ui_dbg_view_t *out);
/* Makes the view of a sub-step's stop on cpu current (has: false forgets any), with before
 * the state shown before it (what the sub-step changed is the difference). */
/* Whether ev leaves the pCPU a pending stop waits on with no next instruction boundary: it
 * goes idle (after an exit whose VCPU cannot be entered again, a crash, a halt). */
/* The guest pc an exit event is about: its pc, but for a failed entry (the CPU was still in
 * ring -1) the pc the guest was to be entered at, from its VMCB. */
uint32_t dbg_exit_guest_pc(const ui_dbg_t *d, const sim_event_t *ev);
/* The instruction a trap or an exception exit is about: its pc, but a brk's or a syscall's
 * (they trap after themselves, with the pc past them) is the word before. */
uint32_t dbg_trap_insn_pc(const sim_event_t *ev, uint32_t pc);
bool dbg_exit_leaves_idle(const ui_dbg_t *d, const sim_event_t *ev);
/* True when the hypervisor's pCPU `cpu` idles: in ring -1 with nothing it may run, so it
 * reaches no instruction boundary until the scheduler gives it a VCPU (false on bare metal). */
bool dbg_pcpu_idle(const ui_dbg_t *d, unsigned cpu);
/* `continue N` when the machine reached the run's time goal with no boundary of the focus
 * there (it idled through it, or every pCPU idles): true after making the stop at the focus
 * when its time has gone by. */
bool dbg_goal_at_limit(ui_dbg_t *d);
/* The memory journal of sub-steps: begun with each run (forgets the last), fed every access
 * the machine reports while a stop is pending, read back byte by byte by ui_dbg_read. */
void dbg_undo_reset(ui_dbg_t *d);
void dbg_undo_note(ui_dbg_t *d, const sim_mem_access_t *acc);
uint8_t dbg_ram_byte(const ui_dbg_t *d, uint32_t hpa);
void dbg_exit_show_substep(ui_dbg_t *d, unsigned cpu, bool has, const ui_dbg_view_t *view,
                           const cpu_state_t *before);

/* Symbols (debug_symbols.c): a name, bare or "vm:name", to its address and VM (-1: the
 * machine's, or the same address in every VM that has it). -1: no such name; -2: a name that
 * must be qualified, or a VM without it (the sentence says which). The table labelling a
 * space. */
int dbg_symbol_find(ui_dbg_t *d, const char *name, uint32_t *addr, int *vm);
const cpu_symbol_t *dbg_symbols_for(const ui_dbg_t *d, ui_dbg_space_t space, size_t *n);
/* The label of an address of a space in VM vm (-1: the focus VM, or with none, the first VM
 * that has a symbol there: a breakpoint in any VM is on code they share). */
const char *dbg_symbolize_for(const ui_dbg_t *d, ui_dbg_space_t space, int vm, uint32_t addr,
                              char *buf, size_t len);

/* Records a stop to be made at the next boundary of `cpu` (debug.c). */
void dbg_make_pending(ui_dbg_t *d, unsigned cpu, ui_dbg_stop_kind_t kind, int id);
/* Watchpoints (debug_watch.c): the CPUs' watch hook; a run's start and end (the machine's
 * memory watch installed while watchpoints exist); an event that may change a mapping; the
 * stop sentence. */
void dbg_watch_cpu_access(cpu_t *cpu, void *ctx, uint32_t va, uint32_t pa, unsigned size,
                          bool write, uint32_t value);
void dbg_watch_begin(ui_dbg_t *d);
void dbg_watch_end(ui_dbg_t *d);
/* Installs the machine's memory watch for the rest of the run although no watchpoint asks:
 * a pending stop's sub-steps need the old bytes of what the handling writes. */
void dbg_watch_writes(ui_dbg_t *d);
void dbg_watch_event(ui_dbg_t *d, const sim_event_t *ev);
void dbg_text_watch(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp);

#endif
