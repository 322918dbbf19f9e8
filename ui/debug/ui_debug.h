/*
 * ui_debug.h - the debugger API, the one layer that the REPL, the window, the tests and the
 * grader drive a machine through. It reads the machine (sim/, cpu/, mmu/) and the hypervisor
 * (hypervisor/hv.h), so it sits above both; it holds no SDL and no readline.
 */
#ifndef HVSIM_UI_DEBUG_H
#define HVSIM_UI_DEBUG_H

#include "../../sim/sim.h"

/* ==========================================================================================
 * The debugger (ui/debug: debug.c, _query.c, _expr.c, _text.c, _vm.c): run control,
 * breakpoints, watchpoints and state queries, the one API that every front end (the REPL, the
 * window, the tests) drives a machine through. It holds no front-end code.
 *
 * A debugger attaches to a machine with ui_dbg_new: it installs an event sink and the CPUs'
 * debug hooks, and turns cpu->debug on only while a run needs per-instruction checks (a step
 * count, a breakpoint, a watchpoint, a condition), so a plain `continue` runs at full speed.
 * Runs go through sim_run, whose round-robin schedule resumes exactly where a stop left it:
 * a run with stops gives the same cycles, traces and console output as one without.
 *
 * Every run ends in a stop (ui_dbg_stop_t) whose `text` says in one sentence what happened
 * and why. A stop happens at an instruction boundary of the CPU named in it, which becomes
 * the focus; continuing from a breakpoint does not stop at it again at once (as in gdb).
 *
 * Functions that can fail for a user's reason return -1 (or NULL) and leave a sentence in
 * ui_dbg_error(). On a machine the hypervisor runs (hv_of_machine), the VM functions answer
 * about its VMs; a VM exit stops the pCPU in H before the hypervisor's handler runs.
 * ========================================================================================== */

/* Address spaces, X(NAME, prefix, what it is). */
#define UI_DBG_SPACES(X)                                                                           \
    X(HPA, "hpa", "host-physical: the machine's RAM as the bus sees it")                           \
    X(GPA, "gpa", "guest-physical: a VM's memory, mapped to host memory by nested page tables")    \
    X(GVA, "gva", "virtual: what a program sees through the page tables of its CPU")

typedef enum {
#define UI_DBG_X_SPACEENUM(name, str, doc) UI_DBG_SPACE_##name,
    UI_DBG_SPACES(UI_DBG_X_SPACEENUM)
#undef UI_DBG_X_SPACEENUM
        UI_DBG_SPACE_COUNT
} ui_dbg_space_t;

const char *ui_dbg_space_name(ui_dbg_space_t space); /* "hpa", "gpa", "gva" */
int ui_dbg_space_by_name(const char *name);          /* -1 when unknown */

/* Why a run stopped, X(NAME, name). */
#define UI_DBG_STOPS(X)                                                                            \
    X(STEP, "step")                 /* the instructions asked for have run */                      \
    X(BREAKPOINT, "breakpoint")     /* id: an address, trap, mode, cycle or instret breakpoint */  \
    X(WATCHPOINT, "watchpoint")     /* id: the watchpoint; access in the text */                   \
    X(TRAP, "trap")                 /* step trap: the trap or interrupt is in ev */                \
    X(EVENT, "event")               /* step event: the event is in ev */                           \
    X(CONDITION, "condition")       /* until: the condition became true (or failed to evaluate) */ \
    X(CYCLES, "cycles")             /* run N: the cycles have passed */                            \
    X(INTERRUPTED, "interrupted")   /* ui_dbg_request_stop (Ctrl-C) */                             \
    X(POWEROFF, "poweroff")         /* the program powered the machine off */                      \
    X(IDLE, "idle")                 /* every CPU halted with nothing to wake it */                 \
    X(LIMIT, "limit")               /* the cycle limit (ui_dbg_set_max_cycles) */                  \
    X(NESTED_FAULT, "nested-fault") /* a nested fault with no hypervisor to take it */             \
    X(VM_EXIT, "vm-exit")           /* step exit: the exit is in ev, its handler not yet run */    \
    X(NEXT, "next")                 /* next: the call stepped over has returned */                 \
    X(FINISH, "finish")             /* finish: the routine returned (or the VM entry came) */      \
    X(LOCATION, "location")         /* until/advance: the location (or the caller) is reached */

typedef enum {
#define UI_DBG_X_STOPENUM(name, str) UI_DBG_STOP_##name,
    UI_DBG_STOPS(UI_DBG_X_STOPENUM)
#undef UI_DBG_X_STOPENUM
        UI_DBG_STOP_COUNT
} ui_dbg_stop_kind_t;

typedef struct {
    ui_dbg_stop_kind_t kind;
    int id;           /* BREAKPOINT, WATCHPOINT: its number; else 0 */
    unsigned cpu;     /* the CPU that stopped (now the focus) */
    cpu_mode_t mode;  /* its mode at the stop */
    uint32_t pc;      /* the next instruction it will run */
    uint64_t cycle;   /* its cycle count at the stop */
    uint64_t instret; /* its instructions retired at the stop */
    uint64_t steps;   /* instructions it retired during this run */
    bool has_event;   /* ev holds the event behind the stop */
    sim_event_t ev;
    sim_event_t before; /* the event just before ev on that CPU (what led to a mode change) */
    unsigned access;    /* WATCHPOINT: UI_DBG_READ or UI_DBG_WRITE */
    uint32_t addr;      /* WATCHPOINT: the address accessed (in the watchpoint's space) */
    uint32_t value;     /* WATCHPOINT: the value read or written */
    uint32_t old;       /* WATCHPOINT: the value seen there before (when old_known) */
    bool old_known;
    uint32_t insn_pc; /* WATCHPOINT: the instruction that made the access */
    uint32_t hpa;     /* WATCHPOINT: the host-physical word it reached */
    sim_mem_access_t by; /* WATCHPOINT: who made the access: a CPU, the hypervisor, DMA */
    unsigned handler;    /* WATCHPOINT by the hypervisor: 1 + the exit reason it handled */
    int also[4];         /* WATCHPOINT: other watchpoints the same access fired (counted) */
    unsigned nalso;
    char text[320];   /* one sentence: what happened, where, and why */
} ui_dbg_stop_t;

const char *ui_dbg_stop_name(ui_dbg_stop_kind_t kind);

typedef struct ui_dbg_cond ui_dbg_cond_t;

/* Breakpoint kinds, X(NAME, name as `info breakpoints` shows it). */
#define UI_DBG_BPS(X)                                                                              \
    X(ADDR, "breakpoint")  /* the pc reaches an address (in a space) */                            \
    X(TRAP, "trap")        /* a trap or interrupt of a cause is entered */                         \
    X(MODE, "mode")        /* a CPU enters a mode (U, K, H) */                                     \
    X(CYCLE, "cycle")      /* a CPU's cycle count reaches a value */                               \
    X(INSTRET, "instret")  /* a CPU's instruction count reaches a value */                         \
    X(WATCH, "watchpoint") /* a load or store touches a range */                                   \
    X(EXIT, "vm-exit")     /* a VM exits for a reason (cause; UI_DBG_CAUSE_ANY: any) */            \
    X(HANDLER, "handler")  /* an exit handler is about to run (cause: its exit reason) */          \
    X(HV, "hv-action")     /* the hypervisor does an action (cause: sim_hv_action_t) */

typedef enum {
#define UI_DBG_X_BPENUM(name, str) UI_DBG_BP_##name,
    UI_DBG_BPS(UI_DBG_X_BPENUM)
#undef UI_DBG_X_BPENUM
        UI_DBG_BP_COUNT
} ui_dbg_bp_kind_t;

#define UI_DBG_READ 1u  /* watch loads */
#define UI_DBG_WRITE 2u /* watch stores */
#define UI_DBG_ANY_CPU (-1)
#define UI_DBG_ANY_VM (-1)
/* Trap breakpoint causes beyond the CPU's: any interrupt, and anything at all. */
#define UI_DBG_CAUSE_ANY_INTERRUPT 0x8000ffffu
#define UI_DBG_CAUSE_ANY 0xffffffffu
#define UI_DBG_MAX_BPS 64
#define UI_DBG_WATCH_WORDS 8

typedef struct {
    int id; /* 1, 2, ... in order of creation, never reused */
    ui_dbg_bp_kind_t kind;
    bool enabled;
    int cpu;              /* UI_DBG_ANY_CPU or a CPU number */
    int vm;               /* UI_DBG_ANY_VM or the VM it is limited to */
    ui_dbg_space_t space; /* ADDR, WATCH */
    uint32_t addr, len;   /* ADDR (len 4), WATCH: the range watched */
    unsigned access;      /* WATCH: UI_DBG_READ | UI_DBG_WRITE */
    uint32_t cause;       /* TRAP: a cause value or UI_DBG_CAUSE_ANY* */
    cpu_mode_t mode;      /* MODE */
    uint64_t at;          /* CYCLE, INSTRET */
    bool done;            /* CYCLE, INSTRET: reached once, does not fire again */
    uint64_t hits;
    uint32_t last; /* WATCH: the value last seen there */
    /* WATCH: the host-physical words behind it now (a gva: through each VCPU's tables). */
    uint32_t words[UI_DBG_WATCH_WORDS];
    unsigned nwords;
    bool temporary;      /* tbreak: deleted when it stops the machine */
    uint64_t ignore;     /* hits still to pass over without stopping (`ignore`) */
    ui_dbg_cond_t *cond; /* stop only when this is true (NULL: always); owned */
    char *commands;      /* front-end commands to run at its stops, one a line; owned */
} ui_dbg_bp_t;

typedef struct ui_dbg ui_dbg_t;

/* Attaches a debugger to a machine whose CPUs are reset and whose program is loaded; the
 * focus is CPU 0. Returns NULL when memory or an event-sink slot cannot be had. */
ui_dbg_t *ui_dbg_new(sim_machine_t *m);
/* Detaches (sink and hooks removed, cpu->debug off) and frees. The machine stays as it is. */
void ui_dbg_free(ui_dbg_t *dbg);
/* The sentence explaining the last failure (never NULL). */
const char *ui_dbg_error(const ui_dbg_t *dbg);
sim_machine_t *ui_dbg_machine(const ui_dbg_t *dbg);

/* Symbols: copied and sorted. Addresses print as "0x00001010 <puts+0x4>" when a symbol is at
 * or below them, less than 64 KiB away. */
int ui_dbg_set_symbols(ui_dbg_t *dbg, const cpu_symbol_t *syms, size_t n);
const cpu_symbol_t *ui_dbg_symbols(const ui_dbg_t *dbg, size_t *n);
/* A name's address (debug_symbols.c): "tinyos:disk_read" in that VM's symbols; a bare name in
 * the focus VM's, the machine's, then every VM's (one address, or an error listing the
 * qualified choices when VMs have it at different addresses). */
bool ui_dbg_symbol_addr(const ui_dbg_t *dbg, const char *name, uint32_t *addr);
/* " <puts+0x4>" (with the leading space) or "" when no symbol is at or below addr, in the
 * focus's symbols. */
const char *ui_dbg_symbolize(const ui_dbg_t *dbg, uint32_t addr, char *buf, size_t len);
/* The same for an address of a space: on a machine with VMs, a guest's symbols label only
 * its gva and gpa addresses, an hpa only the machine's (the hypervisor's) symbols. */
const char *ui_dbg_symbolize_in(const ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, char *buf,
                                size_t len);
/* VM vm's table (vm -1: the machine's). */
const cpu_symbol_t *ui_dbg_vm_symbols(const ui_dbg_t *dbg, int vm, size_t *n);
/* A location "[SPACE:][*]EXPR" (EXPR may name "vm:symbol"), or "FILE:LINE" from the line
 * tables (the first instruction at or after that line, e.g. "kernel.s:120"): its space (the
 * default when none is given), address, and the VM whose symbol or file it named (-1: none, or
 * any). */
int ui_dbg_parse_location(ui_dbg_t *dbg, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                          int *vm);
/* Makes gva and gpa addresses (reads, translations, labels) VM vm's instead of the focus
 * VM's, until called again with UI_DBG_ANY_VM: for a command about another VM's address
 * ("x/4x tinyos:ticks" while the focus is rtos). Changes no focus. -1 for no such VM. */
int ui_dbg_use_vm(ui_dbg_t *dbg, int vm);
/* gdb's `info symbol`: "disk_read + 8 in tinyos (gva 0x000082c0)" for an address of a space
 * in VM vm (-1: the focus VM), or -1 with "No symbol matches ...". */
int ui_dbg_info_symbol(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int vm, char *buf,
                       size_t len);

/* The focus: the CPU that steps, and whose registers, mode and page tables expressions and
 * virtual addresses use. */
unsigned ui_dbg_focus(const ui_dbg_t *dbg);
int ui_dbg_set_focus(ui_dbg_t *dbg, unsigned cpu);
/* A CPU's state now (NULL when there is no such CPU), and as it was when the last run began
 * (to show what the run changed; at a sub-step of an exit, as the previous stop showed it). */
const cpu_t *ui_dbg_cpu(const ui_dbg_t *dbg, unsigned cpu);
const cpu_state_t *ui_dbg_prev_state(const ui_dbg_t *dbg, unsigned cpu);

/* Memory by space. The default space is gva while the focus CPU translates (paging or nested
 * translation on), else hpa. An address in gva or gpa is translated as the focus CPU would
 * (without touching its TLB or the A/D bits). Only RAM can be read: device registers are not
 * read, since reading them has side effects. */
ui_dbg_space_t ui_dbg_default_space(const ui_dbg_t *dbg);
int ui_dbg_to_hpa(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t *hpa);
int ui_dbg_read(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, void *buf, size_t len);
/* Translates addr (gva, or gpa) as the focus CPU would for `kind`, into *res with the walk
 * reference by reference in *trace. -1 when the space has no translation on this machine. */
int ui_dbg_translate(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace);
/* The text of the instruction at addr in a space ("ld r1, [r2 + 4]"); false when unreadable. */
bool ui_dbg_disasm(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, char *buf, size_t len);

/* Expressions over the focus CPU (debug_expr.c): numbers (10, 0x10, 0b10), registers
 * (r0..r15, sp, lr, pc, flags), CSRs by name, mode (with constants U K H), cycle, instret,
 * symbols, [ADDR] for a word in the default space, C operators with C precedence
 * (|| && | ^ & == != < <= > >= << >> + - * / % and unary - ~ !) and parentheses.
 * Arithmetic is 64-bit; a negated 32-bit number stays 32-bit, so `r3 == -1` works. */
int ui_dbg_eval(ui_dbg_t *dbg, const char *text, uint64_t *value);
ui_dbg_cond_t *ui_dbg_cond_parse(ui_dbg_t *dbg, const char *text);
/* Evaluates on a CPU. Returns -1 (message in ui_dbg_error) when it cannot be evaluated. */
int ui_dbg_cond_eval(ui_dbg_t *dbg, const ui_dbg_cond_t *cond, const cpu_t *cpu, uint64_t *value);
const char *ui_dbg_cond_text(const ui_dbg_cond_t *cond);
void ui_dbg_cond_free(ui_dbg_cond_t *cond);

/* Breakpoints. Each returns the new id, or -1. */
int ui_dbg_break_addr(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int cpu, int vm);
int ui_dbg_break_trap(ui_dbg_t *dbg, uint32_t cause);
int ui_dbg_break_mode(ui_dbg_t *dbg, cpu_mode_t mode);
int ui_dbg_break_cycle(ui_dbg_t *dbg, uint64_t cycle);
int ui_dbg_break_instret(ui_dbg_t *dbg, uint64_t count);
int ui_dbg_break_exit(ui_dbg_t *dbg, const char *reason, int vm); /* REASON or "any" */
/* A watchpoint (debug_watch.c): `access` UI_DBG_WRITE is gdb's watch, READ rwatch, both
 * awatch. A gva or gpa is the focus VM's (or, on bare metal, the CPUs' virtual address); it
 * fires on every access that reaches the host-physical word behind it, whoever makes it: a
 * CPU, the hypervisor, a device's DMA. The stop says who, and a write's old value. */
int ui_dbg_watch(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t len, unsigned access);
/* The same in VM vm's gva or gpa space (UI_DBG_ANY_VM: the focus VM's). */
int ui_dbg_watch_vm(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t len,
                    unsigned access, int vm);
int ui_dbg_delete(ui_dbg_t *dbg, int id);
void ui_dbg_delete_all(ui_dbg_t *dbg);
int ui_dbg_enable(ui_dbg_t *dbg, int id, bool enabled);
size_t ui_dbg_bp_count(const ui_dbg_t *dbg);
const ui_dbg_bp_t *ui_dbg_bp(const ui_dbg_t *dbg, size_t index);
const ui_dbg_bp_t *ui_dbg_bp_by_id(const ui_dbg_t *dbg, int id);
/* What a breakpoint watches, e.g. "hpa 0x00001010 <puts+0x4>", "write hpa 0x00002000, 4 bytes",
 * "trap system-call", "mode U", "cycle 1 000". */
void ui_dbg_bp_describe(const ui_dbg_t *dbg, const ui_dbg_bp_t *bp, char *buf, size_t len);
/* Trap causes by name: the CPU's (cpu_cause_name), "interrupt" (any) and "any". */
int ui_dbg_cause_by_name(const char *name, uint32_t *cause);
const char *ui_dbg_cause_list(size_t i); /* the i-th name for completion, NULL past the end */

/* Running. Each returns 0 with *stop filled, or -1 when the machine cannot run (powered off)
 * or the request makes no sense here. */
int ui_dbg_stepi(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop);
int ui_dbg_step_trap(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
int ui_dbg_step_exit(ui_dbg_t *dbg, ui_dbg_stop_t *stop); /* bare metal: -1 */
int ui_dbg_step_event(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
int ui_dbg_run_cycles(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop);
int ui_dbg_until(ui_dbg_t *dbg, const ui_dbg_cond_t *cond, ui_dbg_stop_t *stop);
int ui_dbg_continue(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
/* Asks a run in progress to stop at the next instruction boundary. Async-signal-safe: a
 * SIGINT handler may call it. A request made while nothing runs is dropped by the next run. */
void ui_dbg_request_stop(ui_dbg_t *dbg);
/* Runs end when CPU 0 reaches this many cycles (default 1 000 000 000). */
void ui_dbg_set_max_cycles(ui_dbg_t *dbg, uint64_t max_cycles);
/* The last stop, or NULL before the first. */
const ui_dbg_stop_t *ui_dbg_last_stop(const ui_dbg_t *dbg);

/* The event log: the last UI_DBG_LOG events, oldest first; and a sink for tracing them as
 * they happen (NULL turns it off). */
#define UI_DBG_LOG 4096
size_t ui_dbg_event_count(const ui_dbg_t *dbg);
const sim_event_t *ui_dbg_event(const ui_dbg_t *dbg, size_t index);
/* False for an event the machine has run past but the stop shown has not reached: at a
 * sub-step of an exit, the rest of the handling (and its entry) is still to come. */
bool ui_dbg_event_happened(const ui_dbg_t *dbg, size_t index);
/* How many of the newest events those are (0 when the stop shown is the machine's now). */
size_t ui_dbg_events_ahead(const ui_dbg_t *dbg);
void ui_dbg_set_trace(ui_dbg_t *dbg, sim_event_sink_fn fn, void *ctx);
/* One sentence about an event, e.g. "cpu0 wrote 0x00000048 to port 0x3f8 at 0x00001010
 * <start+0x10>". */
void ui_dbg_describe_event(const ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len);

/* Commands. */
int ui_dbg_set_cost(ui_dbg_t *dbg, const char *name, uint32_t value);

/* VMs and the hypervisor (debug_vm.c), read through hypervisor/hv.h. On a machine with no
 * hypervisor (a bare program, a native scenario) there are no VMs, and these answer so
 * (ui_dbg_error) instead of pretending. */
#define UI_DBG_NO_VMS                                                                              \
    "No VMs: this machine runs without a hypervisor (a bare program or a native scenario). "     \
    "Start a hypervisor scenario (hvsim --repl --scenario default) for VMs."
#define UI_DBG_MAX_VMS 8
typedef struct {
    int id;
    char name[16];
    const char *state; /* running, halted (every VCPU waits), paused, off, crashed */
    unsigned vcpus;
    uint32_t memory;       /* bytes of guest-physical RAM */
    uint32_t frames;       /* host frames it owns now */
    const char *cpu, *mem; /* its CPU and memory virtualization techniques */
    uint64_t exits;        /* VM exits so far */
    uint64_t time[SIM_TIME_COUNT]; /* its cycles by kind, from the machine's accounting */
    uint64_t cycles_exit;          /* the round trips of its exits (exit to next entry) */
    const char *why;                               /* crashed: what the hypervisor saw; else "" */
    uint32_t exit_code;                            /* off: the code it powered off with */
    /* Memory overcommit (docs/memory.md): the host frames it may hold (its memory's bytes when
     * no limit), its pages in the swap device, its pages mapped to shared frames, the pages
     * its balloon driver gave (no frame behind them). */
    uint32_t resident_max, swapped, shared, balloon;
    /* Its reservation (bytes never reclaimed from it for another VM, 0: none) and the times
     * reclaim passed it over at that floor (hypervisor/hv_reserve.c). */
    uint32_t reservation;
    uint64_t reserve_spared;
    /* Its guest's own swapping (hypervisor/hv_gswap.c): the slots of the swap area at its
     * disk's end (0: none), the guest's page-outs and page-ins there, and double paging: its
     * page-outs of pages in the hypervisor's swap, the swap-device operations made for them
     * and the cycles its disk waited for those. */
    uint32_t guest_swap_slots;
    uint64_t guest_swap_outs, guest_swap_ins, double_paged, double_paged_ops, double_paged_cycles;
} ui_dbg_vm_t;

/* The host's memory under the hypervisor (docs/memory.md): bytes of the frame pool, bytes all
 * VMs may hold (host_memory, 0: the pool), bytes of frames the VMs hold privately now, the
 * shared frames, the swap device's slots (used and all), the pages in the VMs' balloons (no
 * frame behind them), whether the scanner shares pages. */
typedef struct {
    uint32_t pool, host_memory, held, shared_frames, swap_slots, swap_used, ballooned;
    bool sharing;
    /* With two hosts, each host's RAM (docs/migration.md): its frames [first, end) and how
     * many of them are free. hosts = 1: host 0 has every frame. */
    unsigned hosts;
    uint32_t host_first[2], host_end[2], host_free[2];
} ui_dbg_host_memory_t;
typedef struct {
    int vm;
    unsigned index;
    const char *state; /* ready, running, blocked, stopped */
    int pcpu, pin;     /* the pCPU it is loaded on / pinned to, or -1 */
    uint32_t vmcb;     /* host-physical address of its VMCB */
    uint64_t slices;
    uint32_t pc;           /* its guest pc: live when in_guest, else from the VMCB */
    cpu_mode_t mode;       /* the real mode it runs in */
    cpu_mode_t guest_mode; /* the mode its kernel believes (deprivileged: the virtual mode) */
    bool in_guest;         /* loaded and running guest code on its pCPU now */
    bool shadow;           /* shadow paging: the real ptroot is a shadow's root */
    uint32_t guest_ptroot; /* the guest's own ptroot (with shadow paging: the virtual one) */
} ui_dbg_vcpu_t;
/* The VM whose TLB tag (VMID) this is, numbered as `info vms` numbers it; -1 for the host's
 * own entries (VMID 0) or a tag no VM has. */
int ui_dbg_vm_of_vmid(const ui_dbg_t *dbg, unsigned vmid);
/* A guest's mark (from its mark ring or hypercall 2) as a sentence: "rtos vcpu0 marked
 * "deadline miss" (value 1 234) on pCPU0". False for any other event. */
bool ui_dbg_describe_mark(const ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len);
/* The network (debug_net.c): the physical card (its rings, status and counters, the peer host
 * at the other end of its cable) and, under a
 * hypervisor, each VM's virtual card and the virtual switch's table and counters. */
void ui_dbg_print_nic(const ui_dbg_t *dbg, FILE *out);
/* `info disk`: the block device; under a hypervisor each VM's virtual disk and the host's one
 * disk they share: each VM's region, what its commands waited, the queue with each VM. */
void ui_dbg_print_disk(const ui_dbg_t *dbg, FILE *out);
/* A blocked DMA as one sentence (debug_iommu.c): "the IOMMU blocked a DMA write of the network
 * card (device 2), assigned to VM rogue, to iova 0x00015000: no I/O page-table entry maps the
 * IOVA (not-present); nothing was written". Returns buf. */
const char *ui_dbg_dma_fault_text(const sim_machine_t *m, const iommu_fault_t *f, char *buf,
                                  size_t len);
/* The hypervisor's statistics per VM and pCPU (hv_print_stats); nothing on bare metal. */
void ui_dbg_print_vm_stats(const ui_dbg_t *dbg, FILE *out);
/* True when the hypervisor is type 2: its ring -1 work is the host kernel's. */
bool ui_dbg_host_kernel(const ui_dbg_t *dbg);
/* What a kind of the machine's time accounting is called here ("guest user", "host kernel"). */
const char *ui_dbg_time_name(const ui_dbg_t *dbg, sim_time_t kind);
bool ui_dbg_has_hypervisor(const ui_dbg_t *dbg);
unsigned ui_dbg_vm_count(const ui_dbg_t *dbg);
int ui_dbg_vm_info(ui_dbg_t *dbg, unsigned vm, ui_dbg_vm_t *out);
int ui_dbg_host_memory(ui_dbg_t *dbg, ui_dbg_host_memory_t *out);
/* A VM's limits, one per resource, and how often each bound (hypervisor/hv_limits.c): `info
 * limits`, the window's VM figures. `text` is the statistics' limits line for the VM. */
typedef struct {
    unsigned share, cap;          /* CPU share (a weight), cap (percent of a pCPU, 0: none) */
    uint64_t cap_stops;           /* times the cap took the pCPU from it, its budget spent */
    uint32_t resident_max, pages; /* host frames it may hold; its memory's pages (equal: none) */
    uint64_t limit_swaps;         /* pages swapped out because it held resident_max */
    uint32_t reserved;            /* host frames never reclaimed from it (0: no reservation) */
    uint64_t reserve_spared;      /* times reclaim stopped at its reservation */
    uint32_t disk_bw, net_bw;     /* bytes per 1 000 cycles (0: none) */
    uint64_t disk_held, disk_held_cycles, net_held, net_held_cycles; /* held back, how long */
    char text[400];
} ui_dbg_limits_t;
int ui_dbg_vm_limits(ui_dbg_t *dbg, unsigned vm, ui_dbg_limits_t *out);
/* A VM's devices without a real card's registers (debug_io.c): its paravirtual network card
 * (nic = pv: each queue's indices as the hypervisor has taken and used them, 0 transmit and 1
 * receive; the kicks, the batches they sent and the largest) and its entropy source (entropy =
 * on: the words given). The window's I/O line under each console shows them. */
typedef struct {
    bool pv, pv_up;             /* a paravirtual card; set up by its driver */
    uint32_t taken[2], used[2]; /* the hypervisor's indices per queue */
    uint64_t notifies, batches; /* kicks; kicks that sent frames */
    uint32_t largest;           /* the most frames one kick sent */
    uint64_t sent, received;    /* frames */
    bool entropy;               /* an entropy source */
    uint64_t entropy_words;     /* words it gave */
} ui_dbg_vm_io_t;
int ui_dbg_vm_io(ui_dbg_t *dbg, unsigned vm, ui_dbg_vm_io_t *out);
/* `info entropy`: each VM's entropy source in a line (or why the bare machine has none). */
void ui_dbg_print_entropy(const ui_dbg_t *dbg, FILE *out);
int ui_dbg_vcpu_info(ui_dbg_t *dbg, unsigned vm, unsigned vcpu, ui_dbg_vcpu_t *out);
/* A VM by name or number, or -1. */
int ui_dbg_vm_by_name(ui_dbg_t *dbg, const char *name);
/* One word of a VCPU's VMCB (offsets CPU_VMCB_*, cpu.h), as memory holds it now. */
int ui_dbg_vmcb_read(ui_dbg_t *dbg, int vm, unsigned vcpu, uint32_t offset, uint32_t *value);
/* Binary translation: when addr is translated code of the VCPU on the focus pCPU, the guest
 * code it stands for ("size_ram+0x20", or a hex address), true. */
bool ui_dbg_translated_from(const ui_dbg_t *dbg, uint32_t addr, char *buf, size_t len);
/* The VM (and VCPU) loaded on a pCPU, -1 when none; true while an exit there waits for its
 * handler (a debugger stopped the pCPU in H first). */
int ui_dbg_pcpu_vm(const ui_dbg_t *dbg, unsigned cpu, int *vcpu);
bool ui_dbg_pcpu_exit_pending(const ui_dbg_t *dbg, unsigned cpu);
/* What a VM wrote on its console ("" when none). */
const char *ui_dbg_vm_console(const ui_dbg_t *dbg, unsigned vm);
/* Who owns a host frame: a VM number, or one of these. */
#define UI_DBG_OWNER_NONE (-1)
#define UI_DBG_OWNER_HV (-2)
#define UI_DBG_OWNER_SHARED (-3) /* shared read-only by content (docs/memory.md) */
int ui_dbg_frame_owner(const ui_dbg_t *dbg, uint32_t frame);
/* The focus VM: its symbols, and gva/gpa addresses mean its own (through its VMCB when it is
 * not loaded on the focus CPU). -1: the hypervisor. A stop in or at the exit of a VM focuses
 * it. Setting a VM also moves the focus CPU to a pCPU running it, if any. */
int ui_dbg_focus_vm(const ui_dbg_t *dbg);
int ui_dbg_set_focus_vm(ui_dbg_t *dbg, int vm);
/* A VM's own symbols (its guest kernel's), used while it is the focus and in its stops. */
int ui_dbg_set_vm_symbols(ui_dbg_t *dbg, int vm, const cpu_symbol_t *syms, size_t n);
/* As ui_dbg_symbolize, in VM vm's symbols (the machine's when it has none). */
const char *ui_dbg_symbolize_vm(const ui_dbg_t *dbg, int vm, uint32_t addr, char *buf, size_t len);
int ui_dbg_vm_pause(ui_dbg_t *dbg, int vm, bool pause);
/* Gives VM vm's balloon a new target, `size` as a scenario writes one ("2M", "512K", "0"), now:
 * its guest's driver inflates or deflates towards it as the machine runs (docs/memory.md,
 * "Ballooning"). -1 with the reason (no balloon in that VM, a bad size). */
int ui_dbg_balloon(ui_dbg_t *dbg, int vm, const char *size);
/* Live migration (debug_migrate.c): starts moving VM vm to `host` ("host1") by pre-copy as the
 * machine runs on; -1 with the reason (one host, a technique it cannot log, one under way).
 * ui_dbg_migration_print writes where the migration is: its rounds table, total time and
 * downtime (docs/migration.md). */
int ui_dbg_migrate(ui_dbg_t *dbg, int vm, const char *host);
int ui_dbg_migration_print(ui_dbg_t *dbg, FILE *out);
/* The two hosts and the migration between them, for a window's view: -1 (ui_dbg_error says
 * why) when the machine has one host. */
#define UI_DBG_MAX_ROUNDS 31
typedef struct {
    unsigned hosts;                  /* 2 */
    uint8_t cpu_host[SIM_MAX_CPUS];  /* the host each pCPU belongs to */
    uint8_t vm_host[UI_DBG_MAX_VMS]; /* the host each VM runs on (numbered as info vms) */
    unsigned nvms;
    int vm; /* the VM migrating or migrated, -1: none yet */
    unsigned from, to;
    const char *state;                /* "scheduled", "pre-copy", "stop-and-copy", "done", ... */
    unsigned nrounds;                 /* rounds begun (the stop-and-copy is the last, once on) */
    uint32_t sent[UI_DBG_MAX_ROUNDS]; /* pages each round sent (or is sending) */
    uint32_t in_flight;               /* pages on the link now (0: none) */
    uint64_t downtime;                /* done: the pause, in cycles */
} ui_dbg_hosts_t;
int ui_dbg_hosts(ui_dbg_t *dbg, ui_dbg_hosts_t *out);
/* "pin" or "overcommit"; ui_dbg_sched_name says which is in force ("" on bare metal). */
int ui_dbg_sched_policy(ui_dbg_t *dbg, const char *policy);
const char *ui_dbg_sched_name(const ui_dbg_t *dbg);

/* ==========================================================================================
 * The gdb vocabulary (debug_step.c, debug_bpx.c, debug_edit.c, debug_lines.c,
 * debug_restart.c): stepping over calls and out of routines, frames, breakpoint conditions,
 * displays, edits of registers and memory, source lines and restarting from cycle 0.
 * ========================================================================================== */

/* Frames (debug_step.c). The guest kernels' calling convention (docs/isa.md, "Calling
 * convention"): `call` puts the return address in lr; a routine that calls another pushes lr
 * first, then the registers it saves, and pops them in reverse before `ret`. There is no frame
 * pointer, so a frame is found by reading the routine's code from its symbol to the pc and
 * counting what it pushed. Frame 0 is the focus CPU now; frame k + 1 is the caller of frame k:
 * its pc is the return address, its sp the sp frame k had on entry. */
#define UI_DBG_MAX_FRAMES 32
typedef struct {
    uint32_t pc;   /* frame 0: the pc; else the return address into this routine */
    uint32_t sp;   /* the sp while this frame runs */
    uint32_t func; /* the routine's start (its symbol's address), when has_func */
    bool has_func;
    const char *from; /* how the return address out of this frame was found: "lr", "stack" */
} ui_dbg_frame_t;
/* Walks the focus CPU's stack into frames[0..*n). Returns 0; `why` says in one sentence where
 * and why the walk ended (a routine with no symbol, a return address that follows no call, a
 * trap handler, ...): bt is honest about what it cannot know. */
int ui_dbg_backtrace(ui_dbg_t *dbg, ui_dbg_frame_t *frames, size_t max, size_t *n, char *why,
                     size_t whylen);

/* Run control in gdb's words (debug_step.c). Each returns 0 with *stop filled, or -1. */
/* next/ni: runs the instruction at the pc; a call runs until it returns (to the same frame). */
int ui_dbg_next(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop);
/* finish: runs until the current routine returns to its caller (frame 1). At a VM-exit stop
 * (the hypervisor's handler not yet run), runs to the VM entry that ends the handling. */
int ui_dbg_finish(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
/* until LOC / advance LOC: runs until the pc reaches addr (in the default space of the focus,
 * or hpa), or the current routine returns. `until` stops at addr only in the current frame or
 * its callers (a recursive call passing addr does not stop it), `advance` in any frame. */
int ui_dbg_until_location(ui_dbg_t *dbg, uint32_t addr, ui_dbg_stop_t *stop);
int ui_dbg_advance(ui_dbg_t *dbg, uint32_t addr, ui_dbg_stop_t *stop);
/* Bare until: `next`, but at a backward jump (the end of a loop) runs on until the pc is past
 * it in this frame, or the routine returns. */
int ui_dbg_until_next(ui_dbg_t *dbg, ui_dbg_stop_t *stop);

/* Breakpoints, more of them (debug_bpx.c). */
/* tbreak: as ui_dbg_break_addr, deleted once it stops the machine. */
int ui_dbg_tbreak_addr(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int cpu, int vm);
/* A condition (NULL or "": none), evaluated on the CPU that hits the breakpoint. */
int ui_dbg_bp_condition(ui_dbg_t *dbg, int id, const char *text);
/* Passes over the next `count` hits (counted in hits, not stopping). */
int ui_dbg_bp_ignore(ui_dbg_t *dbg, int id, uint64_t count);
/* Commands a front end runs when this breakpoint stops the machine (NULL: none). */
int ui_dbg_bp_set_commands(ui_dbg_t *dbg, int id, const char *text);

/* Displays: expressions shown after every stop (debug_bpx.c). FMT is a gdb format letter:
 * x d u t c (a value) or i (the instruction at the address), 0 for the default (x). */
#define UI_DBG_MAX_DISPLAYS 16
typedef struct {
    int id;
    char fmt;
    ui_dbg_cond_t *expr;
} ui_dbg_display_t;
int ui_dbg_display_add(ui_dbg_t *dbg, char fmt, const char *expr); /* the id, or -1 */
int ui_dbg_display_delete(ui_dbg_t *dbg, int id);
size_t ui_dbg_display_count(const ui_dbg_t *dbg);
const ui_dbg_display_t *ui_dbg_display(const ui_dbg_t *dbg, size_t index);
/* "2: /x r3 = 0x00000005", or the reason it cannot be shown now. */
void ui_dbg_display_text(ui_dbg_t *dbg, const ui_dbg_display_t *disp, char *buf, size_t len);

/* Edits (debug_edit.c): `set $REG = VALUE` and `set *ADDR = VALUE`. Each is logged as an
 * event (SIM_EV_EDIT) so the trace shows that the debugger, not the program, changed it. A
 * register is r0..r15, sp, lr, pc or flags of the focus CPU; memory is a RAM word in a space. */
int ui_dbg_set_register(ui_dbg_t *dbg, const char *name, uint32_t value);
/* A register by its name, as edits and `info registers NAME` take it: r0..r15 (0..15, sp and
 * lr being r14 and r15), pc (16), flags (17), a leading $ allowed as in gdb; -1 when none. */
#define UI_DBG_REG_PC 16
#define UI_DBG_REG_FLAGS 17
int ui_dbg_register_number(const char *name);
int ui_dbg_write(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t value);

/* Source lines (debug_lines.c), from the .lines file hvasm writes beside each .bin: one
 * "ADDRESS FILE:LINE" row per instruction (docs/debugger.md). Table 0 is the machine's, VM i's
 * is i + 1, as for symbols. */
typedef struct {
    uint32_t addr;
    const char *file; /* the source's path (as the .lines file gives it, resolved beside it) */
    unsigned line;
} ui_dbg_line_t;
/* Reads a .lines file and adds its rows to a table (vm -1: the machine's). */
int ui_dbg_load_lines(ui_dbg_t *dbg, int vm, const char *path);
/* Adds rows from memory (the assembler's own, for a .s run directly). */
int ui_dbg_add_lines(ui_dbg_t *dbg, int vm, const ui_dbg_line_t *rows, size_t n);
/* The source line of the instruction at addr in the focus's table; false when none. */
bool ui_dbg_line_at(const ui_dbg_t *dbg, uint32_t addr, ui_dbg_line_t *out);
/* The text of line `line` of a source file (without its newline); NULL when it cannot be
 * read (ui_dbg_error says why). The text stays valid until the next call. */
const char *ui_dbg_source_line(ui_dbg_t *dbg, const char *file, unsigned line);

/* Restarting (debug_restart.c): whoever built the machine says how to build it again; the
 * debugger then starts the same scenario or program from cycle 0 with its breakpoints,
 * displays and symbols kept, and every count, log and stop cleared. The REPL's run/restart and
 * the window's restart key both call ui_dbg_restart. The builder gets the machine (to free and
 * rebuild in place) and returns 0, or -1 after writing a sentence into err. */
typedef int (*ui_dbg_rebuild_fn)(sim_machine_t *m, void *ctx, char *err, size_t errlen);
void ui_dbg_set_rebuild(ui_dbg_t *dbg, ui_dbg_rebuild_fn fn, void *ctx);
int ui_dbg_restart(ui_dbg_t *dbg);
/* The machine was built again under the debugger (a restart or a restore, whoever asked: the
 * REPL or the window): fn(ctx) is called at once, after the debugger attached to the new one,
 * so that a front end that keeps its own record of the machine (the window's timeline, its
 * walk panel) starts it afresh there before anything runs. NULL removes it. */
void ui_dbg_on_new_machine(ui_dbg_t *dbg, void (*fn)(void *ctx), void *ctx);

/* Snapshots (debug_restart.c; docs/snapshot.md): `save FILE` writes the whole machine (and
 * its hypervisor) crash-safely; `restore FILE` loads one into a fresh machine, which replaces
 * this one only when every section was taken (a bad file changes nothing). After a restore,
 * as after a restart, breakpoints, displays and symbols stay and counts, logs and stops go.
 * The snapshot's text block names the scenario set here (NULL: none). -1 with ui_dbg_error
 * saying why (the file, the byte offset, the rule broken). */
void ui_dbg_set_scenario(ui_dbg_t *dbg, const char *name);
/* Reverse execution (debug_reverse.c; docs/debugger.md, "Stepping backwards"): every run
 * takes an in-memory checkpoint of the whole machine each `interval` cycles (set: 1000 or
 * more); reverse_stepi goes back to the first boundary where the focus CPU had retired N
 * fewer instructions, by restoring the last checkpoint before it and running forward with
 * the breakpoints asleep. Editing the machine or replacing it drops the checkpoints. */
#define UI_DBG_CHECKPOINT_INTERVAL 500000u
int ui_dbg_set_checkpoint_interval(ui_dbg_t *dbg, uint64_t cycles);
uint64_t ui_dbg_checkpoint_interval(ui_dbg_t *dbg);
size_t ui_dbg_checkpoint_count(const ui_dbg_t *dbg);
/* Host memory the checkpoints hold: their snapshots (everything but RAM, compressed) and the
 * copies of RAM's pages, each page kept once for all the checkpoints in which it is the same. */
size_t ui_dbg_checkpoint_bytes(const ui_dbg_t *dbg);
int ui_dbg_reverse_stepi(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop);
/* reverse-step event: back to the event before the one the last stop showed (or before this
 * boundary), stopped as `step event` stops there: an exit's sub-steps come back one by one.
 * reverse-continue: back to the last breakpoint or watchpoint stop before now (hit counts,
 * ignore counts and tbreaks stay as they are). reverse-finish: back to the call of the
 * current routine (the caller's `call`, with its sp); in an exit's handling, back to the
 * exit. Each returns 0 with *stop filled, or -1 (nothing found: the machine stays put). */
int ui_dbg_reverse_step_event(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
int ui_dbg_reverse_continue(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
int ui_dbg_reverse_finish(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
int ui_dbg_save(ui_dbg_t *dbg, const char *path);
int ui_dbg_restore(ui_dbg_t *dbg, const char *path);
/* One VM (`vm save NAME FILE`, `vm restore FILE`: cold migration): a paused VM to a file, and
 * a saved VM built in this machine's hypervisor, paused (vm resume starts it). vm_restore
 * returns the new VM's number. -1 with ui_dbg_error saying why. */
int ui_dbg_vm_save(ui_dbg_t *dbg, int vm, const char *path);
int ui_dbg_vm_restore(ui_dbg_t *dbg, const char *path);

/* ==========================================================================================
 * The VM exit, step by step (debug_exit.c). A stop at an exit shows the exiting VCPU (its
 * registers as its VMCB saved them); `step event` then reports the hypervisor's actions one
 * by one, each with the cycles it charged, up to the VM entry (ui_dbg_stepi does the same
 * while an exit is being handled: it never runs into the guest silently); finish runs to the
 * entry. The hypervisor is C code: the first sub-step runs the handler to the entry, and the
 * sentences report what it did in order.
 * ========================================================================================== */
/* What a front end shows for a CPU, X(NAME). */
typedef enum {
    UI_DBG_VIEW_CPU,   /* the CPU's own registers (bare metal, or a guest running live) */
    UI_DBG_VIEW_GUEST, /* an exit is being handled: the exiting VCPU's saved registers */
    UI_DBG_VIEW_NONE,  /* ring -1 with no exit in progress: no registers (why says so) */
} ui_dbg_view_kind_t;
typedef struct {
    ui_dbg_view_kind_t kind;
    unsigned cpu;
    int vm, vcpu;     /* the VCPU loaded there, or -1 */
    cpu_state_t s;    /* the registers to show (GUEST: the VMCB's guest state) */
    uint32_t exit_pc; /* GUEST: the exiting instruction, to mark in the disassembly */
    cpu_mode_t mode;  /* the mode its code believes it runs in: for a deprivileged kernel
                         (trap, bt) its virtual mode */
    cpu_mode_t real_mode; /* the mode the CPU runs it in (s.flags'); differs when deprivileged */
    char label[96];   /* "tinyos vcpu0, saved in its VMCB" */
    char why[240];    /* NONE: one sentence saying where the pCPU is */
    bool substep;     /* the state as of a stop's hypervisor action (or VM entry), not the
                         machine's now: ui_dbg_prev_state is the one before that action */
    uint32_t mem_seq; /* substep: the events of its run up to its action (memory as of it) */
} ui_dbg_view_t;
void ui_dbg_view(ui_dbg_t *dbg, unsigned cpu, ui_dbg_view_t *out);
/* A view's mode as a front end prints it: "K", or for a deprivileged kernel "K (virtual; the
 * CPU runs it in U)". */
const char *ui_dbg_view_mode(const ui_dbg_view_t *view, char *buf, size_t len);
/* At a binary-translation exit (a callout or a trap into the co-resident monitor) whose
 * VCPU's pc is still where the exit left it, in the translation cache: the guest-virtual
 * address of the guest's instruction the monitor handles, which listings show in place of
 * the cache's word there. False elsewhere. */
bool ui_dbg_monitor_insn(ui_dbg_t *dbg, const ui_dbg_view_t *view, uint32_t *guest_pc);
/* At a sub-step, memory reads (ui_dbg_read) give RAM as of its action: the writes the actions
 * after it made are undone. NULL when that holds (or no sub-step is shown); else a sentence
 * saying memory is shown as after the whole handling (more was written than is kept). */
const char *ui_dbg_memory_note(const ui_dbg_t *dbg);
/* A CPU as a front end shows it: at an exit, its state is the exiting VCPU's saved state (the
 * pointer stays valid until the next call). Expressions ($pc, r1) read the focus this way. */
const cpu_t *ui_dbg_shown_cpu(ui_dbg_t *dbg, unsigned cpu);
/* "`st r9, [r9]` at 0x00001010 <probe+0x10>": the instruction a trap or exit event came from,
 * read where its program saw it (a VM's, through the VM's own translation); false if unreadable. */
bool ui_dbg_guest_insn(ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len);
/* What the program did with that instruction: "ran", or "faulted fetching" when the fetch of
 * the word itself faulted (nothing ran). */
const char *ui_dbg_insn_verb(const sim_event_t *ev);
/* The instruction at gva addr of VM vm (vm < 0: in the default space), whatever the focus. */
bool ui_dbg_disasm_vm(ui_dbg_t *dbg, int vm, uint32_t addr, char *buf, size_t len);
/* The instruction at gva addr of VM vm (vm < 0: the default space) into *insn; false when the
 * word cannot be read there or is no instruction (an illegal encoding, such as zeros). */
bool ui_dbg_insn_vm(ui_dbg_t *dbg, int vm, uint32_t addr, cpu_insn_t *insn);
/* Where a listing that shows up to `before` instructions above pc starts so that it holds
 * only code: it does not reach above a word that is unreadable or no instruction. */
uint32_t ui_dbg_listing_start(ui_dbg_t *dbg, int vm, uint32_t pc, unsigned before);

/* The exit a pCPU handles now (pending) or handled last, decoded. */
typedef struct {
    bool pending;  /* its handler has not run yet */
    bool handling; /* the stop is one of its sub-steps: the handler is part way through */
    bool monitor;  /* cpu = bt: a call or trap into the co-resident monitor, not a VM exit */
    const char *monitor_entry; /* then which: "a call into the co-resident monitor", ... */
    int vm, vcpu;
    unsigned reason;
    const char *reason_name, *handler, *file, *doc; /* "IO_PORT", "hv_handle_io_port", ... */
    unsigned line;                                  /* where the handler starts in file */
    uint32_t qual_raw, gva, gpa, insn, pc;
    uint64_t cycle;     /* when the exit began */
    char qual[200];     /* "in, into r10: port 0x1f6, tinyos's virtual disk, error register" */
    char because[160];  /* the control or exception-bitmap bit that caused it */
    char insn_text[64]; /* the exiting instruction ("" when none) */
    char where[128];    /* its address: "0x00001010 <reset+0x10>", with binary translation's
                           "(translated from ...)" when it is translated code */
} ui_dbg_exit_t;
/* -1 (ui_dbg_error says why, e.g. "No exit yet on pCPU0") when there is none to show. */
int ui_dbg_exit_info(ui_dbg_t *dbg, unsigned cpu, ui_dbg_exit_t *out);
/* Why VM vm's VCPU vcpu's VMCB holds exit reason `reason`: the control or bitmap bit, or, when
 * that exit was a trap into binary translation's co-resident monitor, the monitor's control
 * (the same clause as ui_dbg_exit_info's `because`). */
const char *ui_dbg_vmcb_exit_why(const ui_dbg_t *dbg, int vm, int vcpu, uint32_t reason);
/* From an exit stop (or one of its sub-steps): on to the VM entry. -1 elsewhere. */
int ui_dbg_finish_exit(ui_dbg_t *dbg, ui_dbg_stop_t *stop);
/* Breakpoints: before a handler runs (by name, e.g. hv_handle_io_port) and at a hypervisor
 * action (map, emulate, virq, switch, shadow-fill, bt-translate, ...); vm or UI_DBG_ANY_VM. */
int ui_dbg_break_handler(ui_dbg_t *dbg, const char *name, int vm);
int ui_dbg_break_hv(ui_dbg_t *dbg, const char *action, int vm);
/* The i-th handler name and action name, for completion; NULL past the end. */
const char *ui_dbg_handler_list(size_t i);
const char *ui_dbg_hv_action_list(size_t i);

#endif
