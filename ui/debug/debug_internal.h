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
    DBG_GO_STEPI,  /* `count` more instruction boundaries */
    DBG_GO_TRAP,   /* the next trap or interrupt */
    DBG_GO_EVENT,  /* the next event of any kind */
    DBG_GO_CYCLES, /* the focus CPU's cycles reach `target` */
    DBG_GO_UNTIL,  /* `cond` becomes true */
    DBG_GO_EXIT,   /* the next VM exit (debug_vm.c) */
} dbg_go_t;

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
    const ui_dbg_cond_t *cond;
    uint64_t entries;                    /* traps and interrupts the focus CPU has entered */
    uint64_t seen_instret, seen_entries; /* the focus CPU's counts at its last boundary */
    bool stopped;                        /* the hook has filled `stop` */
    ui_dbg_stop_t stop;
    bool pending; /* an event or access asks for a stop at pending_cpu's next boundary */
    unsigned pending_cpu;
    ui_dbg_stop_t pend;
    /* Events that came after the one a `step event` stopped for, in the same instruction:
     * the next `step event` reports them one by one without running. */
    struct {
        sim_event_t ev, before;
    } queue[16];
    size_t nqueue, qhead;
    bool trapped;        /* the focus CPU entered a trap or interrupt during this run */
    sim_event_t trap_ev; /* the last one */
    sim_event_t last_ev[SIM_MAX_CPUS]; /* each CPU's last event (what a mode change came from) */

    bool have_last;
    ui_dbg_stop_t last; /* the last stop: continuing does not stop at its breakpoint again */

    sim_event_t log[UI_DBG_LOG]; /* a ring: the oldest at log_head once full */
    size_t log_head, log_n;
    sim_event_sink_fn trace_fn;
    void *trace_ctx;
};

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
int dbg_go(ui_dbg_t *d, dbg_go_t how, ui_dbg_stop_t *out);
int dbg_check_vm(ui_dbg_t *d, int vm);
int dbg_store_symbols(ui_dbg_t *d, unsigned table, const cpu_symbol_t *syms, size_t n);
void dbg_free_symbols(ui_dbg_t *d);
void dbg_focus_after_stop(ui_dbg_t *d, const ui_dbg_stop_t *st);
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
void dbg_watch_event(ui_dbg_t *d, const sim_event_t *ev);
void dbg_text_watch(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp);

#endif
