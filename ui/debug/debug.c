/*
 * debug.c - the debugger: attaching to a machine, breakpoints and watchpoints, run control
 * and the memory and state queries that every front end uses (see ui_debug.h).
 *
 * Three hooks tell the debugger what the machine does. The CPU's debug hook runs before each
 * instruction (and before a halted CPU waits) while cpu->debug is set: it counts steps, checks
 * address, cycle and instruction-count breakpoints and evaluates `until` conditions. The
 * CPU's watch hook runs after each load and store while cpu->debug is set. The event sink sees
 * every trap, interrupt, mode change and device access; when one is wanted it records a pending
 * stop and sets that CPU's debug flag, so the stop happens at its next instruction boundary.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "debug_internal.h"

#define DEFAULT_MAX_CYCLES 1000000000ull

int dbg_fail(ui_dbg_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *ui_dbg_error(const ui_dbg_t *dbg)
{
    return dbg->err;
}

sim_machine_t *ui_dbg_machine(const ui_dbg_t *dbg)
{
    return dbg->m;
}

void dbg_stop_at(const ui_dbg_t *d, ui_dbg_stop_t *st, ui_dbg_stop_kind_t kind, const cpu_t *cpu)
{
    st->kind = kind;
    st->cpu = cpu->s.id;
    st->mode = cpu_mode(cpu);
    st->pc = cpu->s.pc;
    st->cycle = cpu->s.cycles;
    st->instret = cpu->s.instret;
    st->steps = cpu->s.instret - d->prev[cpu->s.id].instret;
}

/* ------------------------------------------------------------------------------------------
 * The hooks
 * ------------------------------------------------------------------------------------------ */
static void stop_now(ui_dbg_t *d, ui_dbg_stop_kind_t kind, const cpu_t *cpu, int id)
{
    memset(&d->stop, 0, sizeof d->stop);
    dbg_stop_at(d, &d->stop, kind, cpu);
    d->stop.id = id;
    d->stopped = true;
}

static bool addr_bp_matches(ui_dbg_t *d, const cpu_t *cpu, const ui_dbg_bp_t *bp)
{
    uint32_t pc = cpu->s.pc;
    bool translating = mmu_active(&cpu->mmu);
    if (bp->cpu != UI_DBG_ANY_CPU && (unsigned)bp->cpu != cpu->s.id)
        return false;
    if (bp->vm != UI_DBG_ANY_VM && (!cpu_in_guest(cpu) || cpu->s.vm.vm_label != bp->vm))
        return false;
    if (bp->space == UI_DBG_SPACE_GPA) { /* the pc's guest-physical address: through the guest's
                                         own tables only, then compared with the nested one */
        mmu_result_t want, got;
        if (!cpu_in_guest(cpu) || (pc & MMU_PAGE_OFFSET) != (bp->addr & MMU_PAGE_OFFSET) ||
            dbg_vm_translate(d, cpu->s.vm.vm_label, UI_DBG_SPACE_GPA, bp->addr, MMU_FETCH, &want,
                             NULL) != 0 ||
            want.status != MMU_OK)
            return false;
        mmu_priv_t priv = cpu_mode(cpu) == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
        got = mmu_translate_probe(&cpu->mmu, d->m, pc, MMU_FETCH, priv, NULL);
        return got.status == MMU_OK && got.pa == want.pa;
    }
    if (bp->space == UI_DBG_SPACE_GVA)
        return translating && pc == bp->addr;
    if (!translating)
        return pc == bp->addr;
    /* A physical breakpoint under paging: translate the pc (only when the page offset fits). */
    if ((pc & MMU_PAGE_OFFSET) != (bp->addr & MMU_PAGE_OFFSET))
        return false;
    mmu_priv_t priv = cpu_mode(cpu) == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
    mmu_result_t r = mmu_translate_probe(&cpu->mmu, d->m, pc, MMU_FETCH, priv, NULL);
    return r.status == MMU_OK && r.pa == bp->addr;
}

/* The breakpoints that look at the CPU before an instruction: address, cycle, instret. */
static ui_dbg_bp_t *boundary_bp(ui_dbg_t *d, const cpu_t *cpu)
{
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        if (!bp->enabled)
            continue;
        switch (bp->kind) {
        case UI_DBG_BP_ADDR:
            if (addr_bp_matches(d, cpu, bp) && dbg_bp_fires(d, bp, cpu))
                return bp;
            break;
        case UI_DBG_BP_CYCLE:
        case UI_DBG_BP_INSTRET: {
            uint64_t now = bp->kind == UI_DBG_BP_CYCLE ? cpu->s.cycles : cpu->s.instret;
            if (!bp->done && cpu->s.id == d->focus && now >= bp->at) {
                bp->done = true;
                return bp;
            }
            break;
        }
        default: break;
        }
    }
    return NULL;
}

/* An idle focus pCPU reaches no boundary of its own: its time jumps over each turn it idles
 * through. So `stepi` and `continue N` look at it from the next boundary of any CPU: a step
 * is the idle turn gone by (no instruction), N cycles are N cycles of its time. The stop
 * names the focus, at its cycle count then. */
static bool idle_focus_goal(ui_dbg_t *d)
{
    const cpu_t *f = &d->m->cpu[d->focus];
    if (d->go == DBG_GO_COUNT) { /* counts what stepi would stop at one step at a time */
        if (!dbg_pcpu_idle(d, d->focus) || f->s.cycles == d->count_mark)
            return false;
        d->counted++;
        d->count_mark = f->s.cycles;
        if (!d->count_idle || f->s.cycles < d->target || d->counted < d->count)
            return false;
        stop_now(d, UI_DBG_STOP_STEP, f, 0);
        return true;
    }
    if ((d->go != DBG_GO_STEPI && d->go != DBG_GO_CYCLES) || !dbg_pcpu_idle(d, d->focus) ||
        f->s.cycles == d->prev[d->focus].cycles)
        return false;
    if (d->go == DBG_GO_CYCLES && f->s.cycles < d->target)
        return false;
    stop_now(d, d->go == DBG_GO_STEPI ? UI_DBG_STOP_STEP : UI_DBG_STOP_CYCLES, f, 0);
    return true;
}

bool dbg_goal_at_limit(ui_dbg_t *d)
{
    const cpu_t *f = &d->m->cpu[d->focus];
    if (d->go != DBG_GO_CYCLES || f->s.cycles < d->target)
        return false;
    stop_now(d, UI_DBG_STOP_CYCLES, f, 0);
    return true;
}

/* Whether the focus CPU took a step since its last boundary, and notes its counts for the
 * next. A step is an instruction retired, a trap or interrupt entered (by a faulting
 * instruction, or on the way out of halt), or a VM entered: an instruction that exited does
 * not retire, and the step ends where the hypervisor resumed the guest (past the instruction
 * when it emulated it). `stepi` and `reverse-stepi` count the same steps. */
static bool stepped(ui_dbg_t *d, const cpu_t *cpu)
{
    if (cpu->s.instret == d->seen_instret && d->entries == d->seen_entries &&
        cpu->s.vm.entries == d->seen_vm_entries)
        return false; /* the boundary the step starts from */
    if (ui_dbg_pcpu_exit_pending(d, cpu->s.id))
        return false; /* an instruction that retired and then exited (a system call's trap
                         under trap-and-emulate, a call into binary translation's monitor):
                         the step ends where the guest resumes, as for one that exited */
    if (cpu->s.instret == d->seen_instret && d->entries == d->seen_entries)
        d->exit_steps += cpu->s.pc != d->seen_pc && !d->step_reflected; /* it completed it */
    d->step_reflected = false;
    d->seen_pc = cpu->s.pc;
    d->seen_instret = cpu->s.instret;
    d->seen_entries = d->entries;
    d->seen_vm_entries = cpu->s.vm.entries;
    return true;
}

/* The focus CPU's own goal for this run. Returns true when it is reached. */
static bool goal_reached(ui_dbg_t *d, const cpu_t *cpu)
{
    uint64_t value;
    switch (d->go) {
    case DBG_GO_STEPI: return stepped(d, cpu) && --d->count == 0;
    case DBG_GO_COUNT:
        if (stepped(d, cpu)) {
            d->counted++;
            d->count_mark = cpu->s.cycles;
        }
        return d->counted >= d->count && cpu->s.cycles >= d->target;
    case DBG_GO_CYCLES: return cpu->s.cycles >= d->target;
    case DBG_GO_INSTRET: return cpu->s.instret >= d->count;
    case DBG_GO_FRAME: return dbg_goal_reached(d, cpu);
    case DBG_GO_UNTIL:
        if (cpu->s.cycles == d->prev[cpu->s.id].cycles)
            return false; /* at least one instruction first, so `until` always moves */
        if (ui_dbg_cond_eval(d, d->cond, cpu, &value) != 0) {
            d->stop.value = 1; /* marks "could not be evaluated" for the sentence */
            return true;
        }
        return value != 0;
    default: return false;
    }
}

static bool on_boundary(cpu_t *cpu, void *ctx)
{
    ui_dbg_t *d = ctx;
    unsigned i = cpu->s.id;
    if (!d->running)
        return false;
    if (d->stop_requested) {
        stop_now(d, UI_DBG_STOP_INTERRUPTED, cpu, 0);
        return true;
    }
    if (d->pending && (d->pending_cpu == i || d->pending_any)) {
        d->stop = d->pend;
        dbg_stop_at(d, &d->stop, d->pend.kind, &d->m->cpu[d->pending_cpu]);
        d->stopped = true;
        return true;
    }
    if (cpu->s.halted) { /* only the goal can stop a halted CPU: it has no next instruction */
        if (i == d->focus && d->go != DBG_GO_UNTIL && goal_reached(d, cpu)) {
            stop_now(d, d->go == DBG_GO_STEPI ? UI_DBG_STOP_STEP : UI_DBG_STOP_CYCLES, cpu, 0);
            return true;
        }
        return false;
    }
    /* Continuing from a stop does not stop again at the same boundary (gdb's step-over). */
    bool same = d->have_last && d->last.cpu == i && d->last.cycle == cpu->s.cycles &&
                d->last.instret == cpu->s.instret;
    ui_dbg_bp_t *bp = same ? NULL : boundary_bp(d, cpu);
    if (bp) {
        if (bp->kind != UI_DBG_BP_ADDR)
            bp->hits++; /* an address breakpoint counted its hit in dbg_bp_fires */
        stop_now(d, UI_DBG_STOP_BREAKPOINT, cpu, bp->id);
        return true;
    }
    if (i != d->focus)
        return idle_focus_goal(d);
    d->stop.value = 0;
    if (goal_reached(d, cpu)) {
        uint32_t failed = d->stop.value;
        static const ui_dbg_stop_kind_t kind_of[] = {
            [DBG_GO_STEPI] = UI_DBG_STOP_STEP,
            [DBG_GO_INSTRET] = UI_DBG_STOP_STEP,
            [DBG_GO_COUNT] = UI_DBG_STOP_STEP,
            [DBG_GO_CYCLES] = UI_DBG_STOP_CYCLES,
            [DBG_GO_UNTIL] = UI_DBG_STOP_CONDITION,
        };
        stop_now(d, d->go == DBG_GO_FRAME ? d->goal.kind : kind_of[d->go], cpu, 0);
        d->stop.value = failed;
        return true;
    }
    return false;
}

/* Records a stop to be made at the next boundary of `cpu`. The first one in a run wins. */
void dbg_make_pending(ui_dbg_t *d, unsigned cpu, ui_dbg_stop_kind_t kind, int id)
{
    memset(&d->pend, 0, sizeof d->pend);
    d->pend_has_view = false;
    d->pend.kind = kind;
    d->pend.id = id;
    d->pending = true;
    d->pending_any = false;
    d->pending_cpu = cpu;
    d->m->cpu[cpu].debug = true;
}

static bool trap_bp_matches(const ui_dbg_bp_t *bp, const sim_event_t *ev)
{
    uint32_t cause = ev->kind == SIM_EV_TRAP ? ev->a : (CPU_CAUSE_INTERRUPT | ev->a);
    if (bp->cause == UI_DBG_CAUSE_ANY)
        return true;
    if (bp->cause == UI_DBG_CAUSE_ANY_INTERRUPT)
        return ev->kind == SIM_EV_INTERRUPT;
    return bp->cause == cause;
}

/* A breakpoint that an event fires: trap causes and mode changes. */
static ui_dbg_bp_t *event_bp(ui_dbg_t *d, const sim_event_t *ev)
{
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        if (!bp->enabled)
            continue;
        if (bp->kind == UI_DBG_BP_TRAP &&
            (ev->kind == SIM_EV_TRAP || ev->kind == SIM_EV_INTERRUPT) && trap_bp_matches(bp, ev))
            return bp;
        if (bp->kind == UI_DBG_BP_MODE && ev->mode == bp->mode &&
            (ev->kind == SIM_EV_MODE || (ev->kind == SIM_EV_VMEXIT && bp->mode == CPU_MODE_H)))
            return bp; /* a VM exit is how a CPU enters H */
        if (bp->kind == UI_DBG_BP_EXIT && dbg_exit_bp_matches(bp, ev))
            return bp;
        if (dbg_hv_bp_matches(bp, ev))
            return bp;
    }
    return NULL;
}

static void log_event(ui_dbg_t *d, const sim_event_t *ev)
{
    d->log_total++;
    if (d->log_n < UI_DBG_LOG) {
        d->log[d->log_n++] = *ev;
        return;
    }
    d->log[d->log_head] = *ev;
    d->log_head = (d->log_head + 1) % UI_DBG_LOG;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    ui_dbg_t *d = ctx;
    d->seq++; /* memory as of a sub-step: the writes after this event come after it */
    log_event(d, ev);
    dbg_watch_event(d, ev);
    dbg_exit_note_event(d, ev);
    if (d->trace_fn)
        d->trace_fn(ev, d->trace_ctx);
    unsigned c = ev->cpu < d->m->ncpus ? ev->cpu : 0;
    bool trap = ev->kind == SIM_EV_TRAP || ev->kind == SIM_EV_INTERRUPT;
    bool reflect =
        ev->kind == SIM_EV_INJECT || (ev->kind == SIM_EV_HV && ev->a == SIM_HV_TRAP_REFLECT);
    if (d->running && reflect && c == d->focus) { /* the guest's own handler runs next */
        d->reflected = d->step_reflected = true;
        d->reflected_cause = ev->kind == SIM_EV_INJECT ? ev->a : ev->b;
    }
    if (d->running && trap && c == d->focus) {
        d->entries++;
        d->trapped = true;
        d->trap_ev = *ev;
    }
    /* Events after the one a stop waits to report (step event, or a hypervisor action's
     * breakpoint) are queued: the next `step event` reports them without running. */
    bool queue = d->go == DBG_GO_EVENT || d->go == DBG_GO_EVENTNO ||
                 (d->pend.has_event && d->pend.ev.kind == SIM_EV_HV);
    if (d->running && d->pending && queue) {
        if (d->ahead_to != d->log_total - 1)
            d->ahead_from = d->log_total - 1; /* the first event past the stop */
        d->ahead_to = d->log_total;
        if (d->nqueue < sizeof d->queue / sizeof d->queue[0]) {
            d->queue[d->nqueue].logno = d->log_total - 1;
            d->queue[d->nqueue].ev = *ev;
            d->queue[d->nqueue].has_view = dbg_exit_capture(d, ev, &d->queue[d->nqueue].view);
            d->queue[d->nqueue++].before = d->last_ev[c];
        }
    } else if (d->running && !d->pending) {
        ui_dbg_bp_t *bp = event_bp(d, ev);
        if (bp && !dbg_bp_fires(d, bp, &d->m->cpu[c]))
            bp = NULL;
        if (bp) {
            dbg_make_pending(d, c, UI_DBG_STOP_BREAKPOINT, bp->id);
        } else if (d->go == DBG_GO_TRAP && trap) {
            dbg_make_pending(d, c, UI_DBG_STOP_TRAP, 0);
        } else if (d->go == DBG_GO_EXIT && ev->kind == SIM_EV_VMEXIT) {
            dbg_make_pending(d, c, UI_DBG_STOP_VM_EXIT, 0);
        } else if (d->go == DBG_GO_ENTRY && ev->kind == SIM_EV_VMENTRY && c == d->focus) {
            dbg_make_pending(d, c, UI_DBG_STOP_FINISH, 0);
        } else if (d->go == DBG_GO_EVENT ||
                   (d->go == DBG_GO_EVENTNO && d->log_total - 1 >= d->target)) {
            dbg_make_pending(d, c, UI_DBG_STOP_EVENT, 0);
        }
        if (d->pending) {
            dbg_watch_writes(d); /* from now on a sub-step may need memory as it was */
            d->pend_logno = d->log_total - 1;
            d->pend.has_event = true;
            d->pend.ev = *ev;
            d->pend_has_view = dbg_exit_capture(d, ev, &d->pend_view);
            d->pend.before = d->last_ev[c]; /* what led to a mode change */
        }
    }
    if (d->running && (d->go == DBG_GO_STEPI || d->go == DBG_GO_COUNT) && c == d->focus &&
        ev->kind == SIM_EV_HV && ev->a == SIM_HV_IDLE) {
        /* the focus has no boundary from now (continue N: goal_limit) */
        for (unsigned i = 0; i < d->m->ncpus; i++)
            d->m->cpu[i].debug = true;
    }
    if (d->running && d->pending &&
        (dbg_exit_leaves_idle(d, ev) ||
         (d->pend_logno == d->log_total - 1 && dbg_pcpu_idle(d, c)))) {
        /* (the second: an action of a device's event, on a pCPU that idles, waiting for it) */
        d->pending_any = true; /* its pCPU has no next boundary: stop at another's */
        for (unsigned i = 0; i < d->m->ncpus; i++)
            d->m->cpu[i].debug = true;
    }
    d->last_ev[c] = *ev;
}

/* ------------------------------------------------------------------------------------------
 * Attaching
 * ------------------------------------------------------------------------------------------ */
int dbg_attach(ui_dbg_t *d)
{
    sim_machine_t *m = d->m;
    if (sim_add_sink(m, on_event, d) != 0)
        return -1;
    for (unsigned i = 0; i < m->ncpus; i++) {
        cpu_t *cpu = &m->cpu[i];
        cpu->debug = false;
        cpu->debug_fn = on_boundary;
        cpu->watch_fn = dbg_watch_cpu_access;
        cpu->debug_ctx = d;
        d->prev[i] = cpu->s;
    }
    return 0;
}

void dbg_detach(ui_dbg_t *d)
{
    sim_machine_t *m = d->m;
    sim_remove_sink(m, on_event, d);
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu[i].debug = false;
        m->cpu[i].debug_fn = NULL;
        m->cpu[i].watch_fn = NULL;
        m->cpu[i].debug_ctx = NULL;
    }
}

ui_dbg_t *ui_dbg_new(sim_machine_t *m)
{
    ui_dbg_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->m = m;
    d->max_cycles = DEFAULT_MAX_CYCLES;
    d->next_id = 1;
    d->next_display = 1;
    d->focus_vm = -1;
    d->use_vm = -1;
    d->exit_vm = d->exit_vcpu = -1;
    if (dbg_attach(d) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

void ui_dbg_free(ui_dbg_t *dbg)
{
    if (!dbg)
        return;
    dbg_detach(dbg);
    ui_dbg_delete_all(dbg);
    dbg_free_symbols(dbg);
    dbg_free_extras(dbg);
    dbg_reverse_free(dbg);
    free(dbg);
}

/* ------------------------------------------------------------------------------------------
 * Breakpoints
 * ------------------------------------------------------------------------------------------ */
ui_dbg_bp_t *dbg_add_bp(ui_dbg_t *d, ui_dbg_bp_kind_t kind)
{
    if (d->nbp == UI_DBG_MAX_BPS) {
        dbg_fail(d, "There are already %d breakpoints and watchpoints; delete some first.",
                 UI_DBG_MAX_BPS);
        return NULL;
    }
    ui_dbg_bp_t *bp = &d->bp[d->nbp++];
    memset(bp, 0, sizeof *bp);
    bp->id = d->next_id++;
    bp->kind = kind;
    bp->enabled = true;
    bp->cpu = UI_DBG_ANY_CPU;
    bp->vm = UI_DBG_ANY_VM;
    return bp;
}

/* Checks that a space can be used for breakpoints and watchpoints on this machine. */
static int check_space(ui_dbg_t *d, ui_dbg_space_t space, int vm)
{
    if ((vm != UI_DBG_ANY_VM || space == UI_DBG_SPACE_GPA) && ui_dbg_vm_count(d) == 0)
        return dbg_fail(d, "%s", UI_DBG_NO_VMS " Guest-physical addresses and VMs need one.");
    if (vm != UI_DBG_ANY_VM && dbg_check_vm(d, vm) != 0)
        return -1;
    if (space >= UI_DBG_SPACE_COUNT)
        return dbg_fail(d, "Unknown address space %d.", (int)space);
    return 0;
}

int ui_dbg_break_addr(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, int cpu, int vm)
{
    if (check_space(dbg, space, vm) != 0)
        return -1;
    if (addr & 3)
        return dbg_fail(dbg, "0x%08x is not a multiple of 4: instructions are 4-byte aligned.",
                        addr);
    if (cpu != UI_DBG_ANY_CPU && (cpu < 0 || (unsigned)cpu >= dbg->m->ncpus))
        return dbg_fail(dbg, "There is no cpu%d.", cpu);
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, UI_DBG_BP_ADDR);
    if (!bp)
        return -1;
    bp->space = space;
    bp->addr = addr;
    bp->len = 4;
    bp->cpu = cpu;
    /* A guest-physical breakpoint belongs to one VM: the focus VM when none is named. */
    bp->vm = vm == UI_DBG_ANY_VM && space == UI_DBG_SPACE_GPA ? dbg_space_vm(dbg) : vm;
    if (space == UI_DBG_SPACE_GPA && bp->vm < 0) {
        dbg->nbp--;
        dbg->next_id--;
        return dbg_fail(dbg, "A gpa breakpoint needs its VM: add \"vm N\" or \"focus VM\" first.");
    }
    return bp->id;
}

int ui_dbg_break_trap(ui_dbg_t *dbg, uint32_t cause)
{
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, UI_DBG_BP_TRAP);
    if (!bp)
        return -1;
    bp->cause = cause;
    return bp->id;
}

int ui_dbg_break_mode(ui_dbg_t *dbg, cpu_mode_t mode)
{
    if (mode == CPU_MODE_H && ui_dbg_vm_count(dbg) == 0)
        return dbg_fail(dbg, "No CPU enters H on this machine: ring -1 is the hypervisor's, and "
                             "this machine runs without one.");
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, UI_DBG_BP_MODE);
    if (!bp)
        return -1;
    bp->mode = mode;
    return bp->id;
}

static int break_count(ui_dbg_t *dbg, ui_dbg_bp_kind_t kind, uint64_t at)
{
    const cpu_state_t *s = &dbg->m->cpu[dbg->focus].s;
    uint64_t now = kind == UI_DBG_BP_CYCLE ? s->cycles : s->instret;
    char a[32], b[32];
    if (at <= now)
        return dbg_fail(
            dbg, "cpu%u is already at %s %s: %s %s has passed.", dbg->focus,
            kind == UI_DBG_BP_CYCLE ? "cycle" : "instret", sim_group_digits(now, a, sizeof a),
            kind == UI_DBG_BP_CYCLE ? "cycle" : "instret", sim_group_digits(at, b, sizeof b));
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, kind);
    if (!bp)
        return -1;
    bp->at = at;
    bp->cpu = (int)dbg->focus;
    return bp->id;
}

int ui_dbg_break_cycle(ui_dbg_t *dbg, uint64_t cycle)
{
    return break_count(dbg, UI_DBG_BP_CYCLE, cycle);
}

int ui_dbg_break_instret(ui_dbg_t *dbg, uint64_t count)
{
    return break_count(dbg, UI_DBG_BP_INSTRET, count);
}

ui_dbg_bp_t *dbg_find_bp(ui_dbg_t *dbg, int id)
{
    for (size_t i = 0; i < dbg->nbp; i++)
        if (dbg->bp[i].id == id)
            return &dbg->bp[i];
    dbg_fail(dbg, "There is no breakpoint or watchpoint %d (\"info breakpoints\" lists them).", id);
    return NULL;
}

int ui_dbg_delete(ui_dbg_t *dbg, int id)
{
    ui_dbg_bp_t *bp = dbg_find_bp(dbg, id);
    if (!bp)
        return -1;
    size_t i = (size_t)(bp - dbg->bp);
    dbg_bp_release(bp);
    memmove(bp, bp + 1, (dbg->nbp - i - 1) * sizeof *bp);
    dbg->nbp--;
    return 0;
}

void ui_dbg_delete_all(ui_dbg_t *dbg)
{
    for (size_t i = 0; i < dbg->nbp; i++)
        dbg_bp_release(&dbg->bp[i]);
    dbg->nbp = 0;
}

int ui_dbg_enable(ui_dbg_t *dbg, int id, bool enabled)
{
    ui_dbg_bp_t *bp = dbg_find_bp(dbg, id);
    if (!bp)
        return -1;
    bp->enabled = enabled;
    return 0;
}

size_t ui_dbg_bp_count(const ui_dbg_t *dbg)
{
    return dbg->nbp;
}

const ui_dbg_bp_t *ui_dbg_bp(const ui_dbg_t *dbg, size_t index)
{
    return index < dbg->nbp ? &dbg->bp[index] : NULL;
}

const ui_dbg_bp_t *ui_dbg_bp_by_id(const ui_dbg_t *dbg, int id)
{
    for (size_t i = 0; i < dbg->nbp; i++)
        if (dbg->bp[i].id == id)
            return &dbg->bp[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------------------ */
/* True when some enabled breakpoint must look at every instruction or access. */
static bool needs_every_instruction(const ui_dbg_t *d)
{
    for (size_t i = 0; i < d->nbp; i++) {
        const ui_dbg_bp_t *bp = &d->bp[i];
        if (bp->enabled && bp->kind != UI_DBG_BP_TRAP && bp->kind != UI_DBG_BP_MODE &&
            bp->kind != UI_DBG_BP_EXIT && bp->kind != UI_DBG_BP_HANDLER &&
            bp->kind != UI_DBG_BP_HV &&
            !((bp->kind == UI_DBG_BP_CYCLE || bp->kind == UI_DBG_BP_INSTRET) && bp->done))
            return true;
    }
    return false;
}

/* The stop for a run that sim_run ended without a hook's stop. */
static void machine_stop(ui_dbg_t *d, sim_run_result_t r, ui_dbg_stop_t *st)
{
    sim_machine_t *m = d->m;
    const cpu_t *cpu = &m->cpu[d->focus];
    ui_dbg_stop_kind_t kind = UI_DBG_STOP_INTERRUPTED;
    switch (r) {
    case SIM_RUN_POWEROFF:
        kind = UI_DBG_STOP_POWEROFF;
        if (m->io_cpu)
            cpu = m->io_cpu;
        break;
    case SIM_RUN_IDLE: kind = UI_DBG_STOP_IDLE; break;
    case SIM_RUN_MAX_CYCLES: kind = UI_DBG_STOP_LIMIT; break;
    case SIM_RUN_NESTED_FAULT:
        kind = UI_DBG_STOP_NESTED_FAULT;
        for (unsigned i = 0; i < m->ncpus; i++)
            if (m->cpu[i].mmu.stats.nested_faults != d->prev_nested[i])
                cpu = &m->cpu[i];
        break;
    default: break;
    }
    memset(st, 0, sizeof *st);
    dbg_stop_at(d, st, kind, cpu);
}

/* Ends a run: the stop's sentence, the new focus, and the stop remembered for step-over. */
static void finish(ui_dbg_t *d, ui_dbg_stop_t *st, ui_dbg_stop_t *out)
{
    d->focus = st->cpu;
    dbg_focus_after_stop(d, st);
    const ui_dbg_bp_t *bp = st->kind == UI_DBG_STOP_BREAKPOINT ? ui_dbg_bp_by_id(d, st->id) : NULL;
    dbg_text_stop(d, st, ui_dbg_bp_by_id(d, st->id));
    if (bp && bp->temporary && st->text[0] == 'B') { /* tbreak: its one stop is made */
        char text[sizeof st->text];
        snprintf(text, sizeof text, "Temporary b%s", st->text + 1);
        snprintf(st->text, sizeof st->text, "%s", text);
        ui_dbg_delete(d, st->id);
    }
    d->last = *st;
    d->have_last = true;
    *out = *st;
}

/* `step event` when events of the last stop's instruction are still to be reported (and
 * `continue` when one of them fires a breakpoint: kind BREAKPOINT, its id). */
static void next_queued_event(ui_dbg_t *d, ui_dbg_stop_kind_t kind, int id, ui_dbg_stop_t *out)
{
    ui_dbg_stop_t st;
    memset(&st, 0, sizeof st);
    const sim_event_t *ev = &d->queue[d->qhead].ev;
    dbg_stop_at(d, &st, kind, &d->m->cpu[ev->cpu < d->m->ncpus ? ev->cpu : 0]);
    st.id = id;
    st.steps = 0;
    st.has_event = true;
    st.ev = *ev;
    st.before = d->queue[d->qhead].before;
    ui_dbg_view_t shown; /* what the stop before this one showed */
    ui_dbg_view(d, st.cpu, &shown);
    dbg_exit_show_substep(d, st.cpu, d->queue[d->qhead].has_view, &d->queue[d->qhead].view,
                          &shown.s);
    d->ahead_from = d->queue[d->qhead].logno + 1; /* it has happened now */
    d->last_logno = d->queue[d->qhead].logno;
    if (++d->qhead == d->nqueue) {
        d->qhead = d->nqueue = 0;
        d->ahead_from = d->ahead_to; /* what the queue could not hold is shown from here on */
    }
    finish(d, &st, out);
}

int dbg_check_powered(ui_dbg_t *d)
{
    if (!d->m->powered_off)
        return 0;
    return dbg_fail(d, "The machine is powered off (exit code %u): there is nothing left to run%s.",
                    d->m->exit_code, d->rebuild ? " (\"run\" starts it again)" : "");
}

/* Whether two views show the same VCPU's saved state on one pCPU (what a sub-step changed is
 * then their difference; after a breakpoint elsewhere there is no such "before"). */
static bool same_vcpu(const ui_dbg_view_t *a, const ui_dbg_view_t *b)
{
    return a->cpu == b->cpu && a->kind == UI_DBG_VIEW_GUEST && b->kind == UI_DBG_VIEW_GUEST &&
           a->vm == b->vm && a->vcpu == b->vcpu;
}

/* `continue` while events of the last stop's step are still queued (they happened with
 * it): a breakpoint one of them fires stops there, without running, as it would have had
 * that event come alone. The events before it are passed. */
static bool queued_breakpoint(ui_dbg_t *d, ui_dbg_stop_t *out)
{
    for (; d->qhead < d->nqueue; d->qhead++) {
        const sim_event_t *ev = &d->queue[d->qhead].ev;
        ui_dbg_bp_t *bp = event_bp(d, ev);
        if (bp && dbg_bp_fires(d, bp, &d->m->cpu[ev->cpu < d->m->ncpus ? ev->cpu : 0])) {
            next_queued_event(d, UI_DBG_STOP_BREAKPOINT, bp->id, out);
            return true;
        }
        d->ahead_from = d->queue[d->qhead].logno + 1;
        d->last_logno = d->queue[d->qhead].logno;
    }
    return false;
}

static int go(ui_dbg_t *d, dbg_go_t how, uint64_t n, const ui_dbg_cond_t *cond, ui_dbg_stop_t *out)
{
    sim_machine_t *m = d->m;
    if (how == DBG_GO_EVENT && d->nqueue) {
        next_queued_event(d, UI_DBG_STOP_EVENT, 0, out);
        return 0;
    }
    if (how == DBG_GO_CONTINUE && d->nqueue && queued_breakpoint(d, out))
        return 0;
    d->nqueue = d->qhead = 0;
    d->ahead_from = d->ahead_to = 0;
    if (dbg_check_powered(d) != 0)
        return -1;
    dbg_undo_reset(d);
    ui_dbg_view_t shown; /* what the focus showed before the run (a sub-step's "before") */
    ui_dbg_view(d, d->focus, &shown);
    d->has_sub_view = false;
    const cpu_t *focus = &m->cpu[d->focus];
    for (unsigned i = 0; i < m->ncpus; i++) {
        d->prev[i] = m->cpu[i].s;
        d->prev_nested[i] = m->cpu[i].mmu.stats.nested_faults;
    }
    d->go = how;
    d->count = n;
    d->target = how == DBG_GO_EVENTNO ? n : how == DBG_GO_COUNT ? d->count_until
                                                                 : focus->s.cycles + n;
    d->goal_limit = how == DBG_GO_CYCLES ? d->target : 0;
    d->cond = cond;
    d->seen_instret = focus->s.instret;
    d->seen_entries = d->entries;
    d->seen_vm_entries = focus->s.vm.entries;
    d->seen_pc = focus->s.pc;
    d->counted = d->exit_steps = 0;
    d->count_mark = focus->s.cycles;
    d->reflected = d->step_reflected = false;
    d->stopped = d->pending = d->trapped = false;
    d->stop_requested = 0;
    bool all = needs_every_instruction(d);
    bool mine = how == DBG_GO_STEPI || how == DBG_GO_CYCLES || how == DBG_GO_UNTIL ||
                how == DBG_GO_FRAME || how == DBG_GO_INSTRET || how == DBG_GO_COUNT;
    /* An idle focus is watched from every CPU's boundaries (idle_focus_goal). */
    d->focus_was_idle = dbg_pcpu_idle(d, d->focus);
    bool idle = (how == DBG_GO_STEPI || how == DBG_GO_COUNT) && d->focus_was_idle;
    for (unsigned i = 0; i < m->ncpus; i++)
        m->cpu[i].debug = all || idle || (mine && i == d->focus);
    d->running = true;
    dbg_watch_begin(d);
    sim_run_result_t r = dbg_reverse_run(d);
    dbg_watch_end(d);
    d->running = false;
    d->goal_limit = 0;
    for (unsigned i = 0; i < m->ncpus; i++)
        m->cpu[i].debug = false;

    ui_dbg_stop_t st;
    d->last_logno = d->pend_logno; /* meant only when the stop has its event */
    if (d->stopped && r == SIM_RUN_DEBUG) {
        st = d->stop;
        if (st.has_event && d->pend_has_view) /* only the pending stop has an event */
            dbg_exit_show_substep(d, st.cpu, true, &d->pend_view, /* the state back then */
                                  same_vcpu(&shown, &d->pend_view) ? &shown.s : &d->pend_view.s);
    } else if (d->pending) {
        st = d->pend; /* it happened, but no CPU reached a boundary again (the machine ended) */
        dbg_stop_at(d, &st, st.kind, &m->cpu[d->pending_cpu]);
        if (st.has_event && d->pend_has_view)
            dbg_exit_show_substep(d, st.cpu, true, &d->pend_view, &d->pend_view.s);
    } else {
        machine_stop(d, r, &st);
    }
    finish(d, &st, out);
    return 0;
}

int ui_dbg_stepi(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop)
{
    if (n == 0)
        return dbg_fail(dbg, "Stepping 0 instructions does nothing; give a count of 1 or more.");
    if (dbg_in_exit(dbg)) /* in the hypervisor's handling: one sub-step, never into the guest */
        return go(dbg, DBG_GO_EVENT, 0, NULL, stop);
    return go(dbg, DBG_GO_STEPI, n, NULL, stop);
}

int ui_dbg_step_trap(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    return go(dbg, DBG_GO_TRAP, 0, NULL, stop);
}

int dbg_go(ui_dbg_t *d, dbg_go_t how, ui_dbg_stop_t *out)
{
    return go(d, how, 0, NULL, out);
}

int dbg_go_instret(ui_dbg_t *d, uint64_t instret, ui_dbg_stop_t *out)
{
    return go(d, DBG_GO_INSTRET, instret, NULL, out);
}

int dbg_go_count(ui_dbg_t *d, uint64_t steps, uint64_t cycle, bool idle, ui_dbg_stop_t *out)
{
    d->count_until = cycle;
    d->count_idle = idle;
    int rc = go(d, DBG_GO_COUNT, steps, NULL, out);
    /* The instruction that powered the machine off is a step with no boundary after it. */
    if (rc == 0 && d->m->powered_off && stepped(d, &d->m->cpu[d->focus]))
        d->counted++;
    return rc;
}

int dbg_go_event_number(ui_dbg_t *d, uint64_t logno, ui_dbg_stop_t *out)
{
    return go(d, DBG_GO_EVENTNO, logno, NULL, out);
}

int ui_dbg_step_event(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    return go(dbg, DBG_GO_EVENT, 0, NULL, stop);
}

int ui_dbg_run_cycles(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop)
{
    if (n == 0)
        return dbg_fail(dbg, "Running 0 cycles does nothing; give a count of 1 or more.");
    return go(dbg, DBG_GO_CYCLES, n, NULL, stop);
}

int ui_dbg_until(ui_dbg_t *dbg, const ui_dbg_cond_t *cond, ui_dbg_stop_t *stop)
{
    return go(dbg, DBG_GO_UNTIL, 0, cond, stop);
}

int ui_dbg_continue(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    return go(dbg, DBG_GO_CONTINUE, 0, NULL, stop);
}

void ui_dbg_request_stop(ui_dbg_t *dbg)
{
    dbg->stop_requested = 1;
    for (unsigned i = 0; i < dbg->m->ncpus; i++)
        dbg->m->cpu[i].debug = true;
}

void ui_dbg_set_max_cycles(ui_dbg_t *dbg, uint64_t max_cycles)
{
    dbg->max_cycles = max_cycles;
}

const ui_dbg_stop_t *ui_dbg_last_stop(const ui_dbg_t *dbg)
{
    return dbg->have_last ? &dbg->last : NULL;
}
