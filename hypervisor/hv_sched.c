/*
 * hv_sched.c - the hypervisor's main loop on each pCPU and its VCPU scheduler.
 *
 * Lecture idea: VCPU scheduling. A VCPU is to the hypervisor what a process is to an OS: it
 * runs on a physical CPU for a time slice, then another may run. With pinning every VCPU has
 * a pCPU of its own (one-to-one): it never waits. With overcommit there are more VCPUs than
 * pCPUs and they take turns: a VCPU that is ready may wait for a whole slice of someone
 * else, which a soft real-time guest sees as missed deadlines.
 *
 * The scheduler is stride scheduling (Waldspurger and Weihl, 1995): each VCPU has a pass
 * that grows by the cycles it ran divided by its VM's share; the ready VCPU with the lowest
 * pass runs next, so CPU time is divided in proportion to the shares. A cap limits a VM to a
 * percentage of one pCPU in every period of HV_CAP_PERIOD cycles. The slice is enforced by
 * the preemption timer in the VMCB: the CPU exits (PREEMPT) when the slice is over.
 *
 * Latency: a VCPU that sleeps (halts) most of the time, like the rtos, uses less than its
 * share, yet when its timer wakes it, it waits until the running VCPU's slice is over: long
 * enough to miss its deadlines. With boost (Xen credit's BOOST) a VCPU that wakes under its
 * share gets a pass just below everyone's and preempts the running VCPU at once (a kick).
 *
 * Switching a pCPU to another VCPU costs hv_vcpu_switch. The TLB needs no flush: entries are
 * tagged with the VM id, so a VCPU finds its translations again. With untagged_tlb every VM
 * uses the same tag, and switching between VMs must flush the whole TLB.
 *
 * The loop (hv_run_turn) is what sim_run calls for each pCPU's turn: deterministic, pCPUs
 * interleaved in fixed quanta.
 */
#include <string.h>

#include "hv_internal.h"

#define STRIDE_SCALE 256u /* pass += cycles * STRIDE_SCALE / share */

/* ------------------------------------------------------------------------------------------
 * Choosing
 * ------------------------------------------------------------------------------------------ */
static uint64_t cap_budget(const hv_vm_t *vm)
{
    return (uint64_t)HV_CAP_PERIOD * vm->cap / 100;
}

/* Cycles a capped VM may still run in the current period (UINT64_MAX: no cap). */
static uint64_t cap_left(hv_vm_t *vm, uint64_t now)
{
    /* LAB 5 BEGIN: a cap: the cycles a capped VM has left in the current period */
    if (!vm->cap)
        return UINT64_MAX;
    uint64_t period = now / HV_CAP_PERIOD;
    if (vm->cap_period != period) {
        vm->cap_period = period;
        vm->cap_used = 0;
    }
    return vm->cap_used < cap_budget(vm) ? cap_budget(vm) - vm->cap_used : 0;
    /* LAB 5 STUB: (void)vm, (void)now, (void)cap_budget; */
    /* LAB 5 STUB: return UINT64_MAX; */
    /* LAB 5 END */
}

/* May entity e run on pCPU `cpu` now? (*throttled: it could, but for its cap.) */
static bool eligible(hv_t *hv, unsigned e, unsigned cpu, uint64_t now, bool *throttled)
{
    hv_vcpu_t *v = &hv->ent[e];
    if (!v->used || v->state != HV_VCPU_READY)
        return false;
    /* LAB 5 BEGIN: pinning: a pinned VCPU runs on its own pCPU, never on another */
    if (v->pin >= 0 && v->pin != (int)cpu)
        return false;
    /* LAB 5 STUB: (void)cpu; */
    /* LAB 5 END */
    if (v->host_process)
        return true;
    hv_vm_t *vm = &hv->vms[v->vm];
    if (vm->state != HV_VM_RUNNING || hv_cpu_host(hv, cpu) != vm->host)
        return false;
    if (cap_left(vm, now) == 0) {
        *throttled = true;
        return false;
    }
    return true;
}

/* The ready entity with the lowest pass (the one that ran last here wins a tie, then the
 * lowest number); -1 when none may run. */
static int pick(hv_t *hv, cpu_t *cpu, bool *throttled)
{
    const hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    int best = -1;
    /* LAB 5 BEGIN: stride scheduling: the eligible entity with the lowest pass */
    for (unsigned e = 0; e < hv->nent; e++) {
        if (!eligible(hv, e, cpu->s.id, cpu->s.cycles, throttled))
            continue;
        if (best < 0 || hv->ent[e].pass < hv->ent[best].pass ||
            (hv->ent[e].pass == hv->ent[best].pass && (int)e == p->previous))
            best = (int)e;
    }
    /* LAB 5 STUB: (void)p; */
    /* LAB 5 STUB: for (unsigned e = 0; best < 0 && e < hv->nent; e++) */
    /* LAB 5 STUB:     if (eligible(hv, e, cpu->s.id, cpu->s.cycles, throttled)) */
    /* LAB 5 STUB:         best = (int)e; */
    /* LAB 5 END */
    return best;
}

/* ------------------------------------------------------------------------------------------
 * Loading and unloading an entity on a pCPU
 * ------------------------------------------------------------------------------------------ */
/* Loads entity e on the pCPU; `throttled`: pick passed over a VM held back by its cap. */
static void load(hv_t *hv, cpu_t *cpu, unsigned e, bool throttled)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    hv_vcpu_t *v = &hv->ent[e];
    uint64_t now = cpu->s.cycles;
    if (p->previous != (int)e) {
        hv_charge(hv, SIM_COST_hv_vcpu_switch);
        p->switches++;
        if (!v->host_process)
            hv->vms[v->vm].stats.vcpu_switches++;
    }
    unsigned rule = v->pin == (int)cpu->s.id ? SIM_HV_PICK_PIN
                    : throttled              ? SIM_HV_PICK_CAP
                                             : SIM_HV_PICK_PASS;
    hv_emit_more(hv, SIM_HV_SWITCH, v->vm, v->host_process ? -1 : v->index, (uint32_t)p->previous,
                 rule);
    /* Untagged TLB: another VM's entries would match this one's; flush them all. */
    if (hv->cfg.untagged_tlb && !v->host_process && p->last_vm != v->vm) {
        if (p->last_vm >= 0)
            cpu_vm_invvm(cpu, hv->vms[v->vm].vmid);
        p->last_vm = v->vm;
    }
    p->current = (int8_t)e;
    p->idle = 0;
    p->loaded_at = cpu->s.cycles;
    p->slice_end = now + hv->cfg.slice;
    if (!v->host_process) {
        uint64_t left = cap_left(&hv->vms[v->vm], now);
        if (left < hv->cfg.slice)
            p->slice_end = now + left;
    }
    v->state = HV_VCPU_RUNNING;
    v->on_cpu = (int8_t)cpu->s.id;
    v->slices++;
}

/* Books the time the loaded entity ran since it was loaded (or last booked): its pass grows
 * by it over its share, and a capped VM's budget shrinks by it. */
static void book_time(hv_t *hv, cpu_t *cpu)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    hv_vcpu_t *v = &hv->ent[p->current];
    uint64_t ran = cpu->s.cycles - p->loaded_at;
    unsigned share = v->host_process ? hv->cfg.host_share : hv->vms[v->vm].share;
    /* LAB 5 BEGIN: the pass grows by the time run over the share; a cap's budget shrinks */
    v->pass += ran * STRIDE_SCALE / share;
    if (!v->host_process) {
        cap_left(&hv->vms[v->vm], cpu->s.cycles);
        hv->vms[v->vm].cap_used += ran;
    }
    /* LAB 5 STUB: (void)ran, (void)share; */
    /* LAB 5 END */
    p->loaded_at = cpu->s.cycles;
}

static void unload(hv_t *hv, cpu_t *cpu)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    hv_vcpu_t *v = &hv->ent[p->current];
    book_time(hv, cpu);
    if (v->state == HV_VCPU_RUNNING)
        v->state = v->host_process || hv->vms[v->vm].state == HV_VM_RUNNING ? HV_VCPU_READY
                                                                             : HV_VCPU_STOPPED;
    v->on_cpu = -1;
    v->last_cpu = (int8_t)cpu->s.id;
    p->previous = p->current;
    p->current = -1;
}

/* ------------------------------------------------------------------------------------------
 * What exit handlers and devices ask of the scheduler
 * ------------------------------------------------------------------------------------------ */
void hv_sched_block(hv_t *hv, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    v->state = HV_VCPU_BLOCKED;
    hv_emit(hv, SIM_HV_BLOCK, v->vm, v->index, 0);
}

/* Boost: the VCPU woke under its share (its pass behind everyone's): it goes before them all,
 * and every pCPU it may run on where another entity runs is kicked, so that it runs now
 * (hv_sched_keep gives the pCPU up to it). Returns its new pass. */
static uint64_t boost(hv_t *hv, unsigned ent, uint64_t floor)
{
    /* LAB 5 BEGIN: boost: a pass just below everyone's, and a kick to where it may run */
    const hv_vcpu_t *v = &hv->ent[ent];
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        if ((v->pin < 0 || v->pin == (int)c) && hv->pcpu[c].current >= 0 &&
            cpu_in_guest(&hv->m->cpu[c]))
            cpu_set_irq(&hv->m->cpu[c], HV_KICK_IRQ, true);
    return floor ? floor - 1 : 0;
    /* LAB 5 STUB: (void)hv, (void)ent; */
    /* LAB 5 STUB: return floor; */
    /* LAB 5 END */
}

/* An entity other than `ent` that may run on this pCPU and goes before it: its pass is lower
 * (a boosted VCPU that woke). */
static bool someone_goes_first(hv_t *hv, cpu_t *cpu, unsigned ent)
{
    bool throttled = false;
    for (unsigned e = 0; e < hv->nent; e++)
        if (e != ent && eligible(hv, e, cpu->s.id, cpu->s.cycles, &throttled) &&
            hv->ent[e].pass < hv->ent[ent].pass)
            return true;
    return false;
}

/* A VCPU that slept does not come back with a pass far behind everyone's (it would then run
 * for as long as it slept): it starts from the lowest pass of those that are ready. */
void hv_sched_wake(hv_t *hv, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    if (v->state == HV_VCPU_BLOCKED)
        v->state = HV_VCPU_READY;
    if (v->state != HV_VCPU_READY)
        return;
    uint64_t floor = UINT64_MAX;
    for (unsigned e = 0; e < hv->nent; e++)
        if (e != ent && hv->ent[e].used &&
            (hv->ent[e].state == HV_VCPU_READY || hv->ent[e].state == HV_VCPU_RUNNING) &&
            hv->ent[e].pass < floor)
            floor = hv->ent[e].pass;
    if (floor != UINT64_MAX && v->pass < floor)
        v->pass = hv->cfg.boost ? boost(hv, ent, floor) : floor;
    hv_emit(hv, SIM_HV_WAKE, v->vm, v->index, v->vip);
}

/* Boost: a virtual interrupt for a VCPU that waits for a pCPU kicks the pCPUs it may run on,
 * whose scheduler then lets it go first if its pass is lower. */
void hv_sched_interrupt_waiting(hv_t *hv, unsigned ent)
{
    const hv_vcpu_t *v = &hv->ent[ent];
    if (!hv->cfg.boost || v->state != HV_VCPU_READY)
        return;
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        if ((v->pin < 0 || v->pin == (int)c) && hv->pcpu[c].current >= 0 &&
            cpu_in_guest(&hv->m->cpu[c]))
            cpu_set_irq(&hv->m->cpu[c], HV_KICK_IRQ, true);
}

/* A VCPU running on another pCPU is made to exit with an interrupt to that pCPU (an IPI). */
void hv_sched_kick(hv_t *hv, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    if (v->on_cpu >= 0 && cpu_in_guest(&hv->m->cpu[v->on_cpu]))
        cpu_set_irq(&hv->m->cpu[v->on_cpu], HV_KICK_IRQ, true);
}

bool hv_sched_keep(hv_t *hv, cpu_t *cpu, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    if (v->state != HV_VCPU_RUNNING || hv->vms[v->vm].state != HV_VM_RUNNING)
        return false;
    if (hv->cfg.boost)
        book_time(hv, cpu); /* its pass as of now, to compare with a woken VCPU's */
    if (cpu->s.cycles < p->slice_end && !(hv->cfg.boost && someone_goes_first(hv, cpu, ent)))
        return true;
    /* The slice is over (or a boosted VCPU woke): go on only when nobody else goes first. */
    bool throttled = false;
    book_time(hv, cpu);
    v->state = HV_VCPU_READY;
    bool capped = cap_left(&hv->vms[v->vm], cpu->s.cycles) == 0;
    int next = capped ? -2 : pick(hv, cpu, &throttled);
    v->state = HV_VCPU_RUNNING;
    hv->vms[v->vm].stats.cap_stops += capped; /* the cap binds: counted for `info limits` */
    if (next != (int)ent)
        return false;
    p->slice_end = cpu->s.cycles + hv->cfg.slice;
    hv_action(hv, v, SIM_HV_KEEP, 0, 0);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * The pCPU's turn
 * ------------------------------------------------------------------------------------------ */
/* Handles the exit the pCPU's VCPU took, then keeps the VCPU or gives the pCPU up. */
static void finish_exit(hv_t *hv, cpu_t *cpu)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    unsigned e = (unsigned)p->current;
    p->exit_pending = 0;
    p->in_handler = (uint8_t)(1 + cpu->s.vm.exit_reason); /* a debugger names the handler */
    hv_handle_exit(hv, cpu, e);
    p->in_handler = 0;
    if (!hv_sched_keep(hv, cpu, e))
        unload(hv, cpu);
}

/* Nothing may run here: the pCPU waits until the turn ends (the next device event at the
 * latest). Returns CPU_STOP_HALTED when only a device event can change that. */
static cpu_stop_t go_idle(hv_t *hv, cpu_t *cpu, uint64_t end, bool throttled)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    if (!p->idle)
        hv_emit(hv, SIM_HV_IDLE, -1, -1, 0);
    p->idle = 1;
    p->previous = -1;
    if (end > cpu->s.cycles) {
        p->idle_cycles += end - cpu->s.cycles;
        cpu->s.cycles = end;
    }
    return throttled ? CPU_STOP_BUDGET : CPU_STOP_HALTED;
}

/* A debugger sees the CPU in H right after an exit, before the handler runs: true when it
 * asks to stop there. */
static bool debugger_stops(cpu_t *cpu)
{
    return cpu->debug && cpu->debug_fn && cpu->debug_fn(cpu, cpu->debug_ctx);
}

/* The pCPU's turn: handles a pending exit, picks and loads a VCPU, enters it and runs it
 * until the turn ends (budget cycles) or it exits, and again. A run's `limit` stops the turn
 * only where the guest is about to run on (in it, or entered and not yet run): there a stop
 * and a resume do exactly what going on would have. An idle pCPU or a host process's work
 * goes on to the turn's end instead, since waking up early could pick differently. */
cpu_stop_t hv_run_turn(sim_machine_t *m, cpu_t *cpu, uint64_t budget, uint64_t limit, void *ctx)
{
    hv_t *hv = ctx;
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    const uint64_t budget_end = cpu->s.cycles + budget;
    cpu_stop_t why = CPU_STOP_BUDGET;
    hv->cur = cpu;
    hv_ledger_reset(hv, cpu);
    for (;;) {
        if (m->powered_off) {
            why = CPU_STOP_POWEROFF;
            break;
        }
        if (p->exit_pending) {
            finish_exit(hv, cpu);
            continue;
        }
        uint64_t end = m->timed_next < budget_end ? m->timed_next : budget_end;
        if (cpu->s.cycles >= end)
            break;
        if (p->current < 0) {
            bool throttled = false;
            int e = pick(hv, cpu, &throttled);
            if (e < 0) {
                why = go_idle(hv, cpu, end, throttled);
                break;
            }
            load(hv, cpu, (unsigned)e, throttled);
        }
        hv_vcpu_t *v = &hv->ent[p->current];
        if (v->host_process) {
            hv_t2_run_host(hv, cpu, (unsigned)p->current, end);
            if (cpu->s.cycles >= p->slice_end)
                unload(hv, cpu);
            continue;
        }
        if (!cpu_in_guest(cpu) && !hv_vcpu_enter(hv, cpu, (unsigned)p->current)) {
            if (!p->exit_pending) { /* the VM was stopped before the entry */
                unload(hv, cpu);
            } else if (debugger_stops(cpu)) { /* the entry failed: an exit, as below */
                why = CPU_STOP_DEBUG;
                break;
            }
            continue;
        }
        if (cpu->s.cycles >= limit)
            break;
        hv->cur = NULL; /* the guest runs: nothing is the hypervisor's until it exits */
        cpu_stop_t stop = cpu_run(cpu, (limit < end ? limit : end) - cpu->s.cycles);
        hv->cur = cpu;
        hv_ledger_reset(hv, cpu); /* the guest's time is not the hypervisor's work */
        hv_stats_mmu(hv, (unsigned)v->vm, &p->mmu_mark, &cpu->mmu.stats);
        p->mmu_mark = cpu->mmu.stats;
        if (stop == CPU_STOP_VMEXIT) {
            p->exit_pending = 1;
            if (debugger_stops(cpu)) {
                why = CPU_STOP_DEBUG;
                break;
            }
            continue;
        }
        if (stop != CPU_STOP_BUDGET) {
            why = stop;
            break;
        }
    }
    hv->cur = NULL;
    return why;
}
