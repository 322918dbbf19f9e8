/*
 * hv_stats.c - where each VM's time went, read from the event stream: guest user, guest
 * kernel, hypervisor (and type 2's user-level VMM), exits by reason with their average cost,
 * TLB and walk counters; the same spans feed the Chrome/Perfetto trace (hv_trace.c).
 *
 * Every pCPU is always in one *span*: a VM's guest user or guest kernel code, the hypervisor
 * working for a VM, the VMM (type 2), the host process, or idle. Events change the span:
 *
 *   VMENTRY -> guest (U or K)    MODE in a guest -> guest U/K    VMEXIT -> hypervisor
 *   HV switch -> hypervisor      HV to-vmm -> VMM, from-vmm -> hypervisor
 *   HV host -> host process      HV idle -> idle
 *
 * An exit's cost is the time from the VMEXIT to the next entry on that pCPU (or the switch
 * to someone else): the hardware's exit and entry, the handler, and the scheduler.
 */
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_trace.h"

static void add_span(hv_tracker_t *t, unsigned cpu, uint64_t end)
{
    hv_span_state_t *s = &t->cpu[cpu];
    if (s->kind == HV_SPAN_NONE || end <= s->since) {
        s->since = end > s->since ? end : s->since;
        return;
    }
    uint64_t dur = end - s->since;
    hv_t *hv = t->hv;
    if (s->vm >= 0 && s->vm < HV_MAX_VMS) {
        hv_vm_stats_t *st = &hv->vms[s->vm].stats;
        switch (s->kind) {
        case HV_SPAN_USER: st->cycles_user += dur; break;
        case HV_SPAN_KERNEL: st->cycles_kernel += dur; break;
        case HV_SPAN_HYPERVISOR: st->cycles_hv += dur; break;
        case HV_SPAN_VMM: st->cycles_vmm += dur; break;
        default: break;
        }
    }
    if (t->recording)
        hv_trace_add_span(t, cpu, s->kind, s->vm, s->vcpu, s->since, dur);
    s->since = end;
}

static void enter_span(hv_tracker_t *t, const sim_event_t *ev, unsigned kind, int vm, int vcpu)
{
    add_span(t, ev->cpu, ev->cycle);
    hv_span_state_t *s = &t->cpu[ev->cpu];
    s->kind = (uint8_t)kind;
    s->vm = (int16_t)vm;
    s->vcpu = (int16_t)vcpu;
}

/* The exit on this pCPU is over (an entry, a switch, idle): book its round trip. */
static void close_exit(hv_tracker_t *t, const sim_event_t *ev)
{
    hv_span_state_t *s = &t->cpu[ev->cpu];
    if (!s->exit_open)
        return;
    s->exit_open = 0;
    if (s->exit_vm >= 0 && s->exit_vm < HV_MAX_VMS && ev->cycle >= s->exit_start)
        t->hv->vms[s->exit_vm].stats.exit_cycles[s->exit_reason] += ev->cycle - s->exit_start;
}

/* The mode the guest runs in after an entry, as the guest sees it: a deprivileged kernel
 * (trap, bt) runs in real U, but its time is its kernel's while its virtual mode is K (which
 * only the hypervisor changes, between an exit and the next entry). */
static cpu_mode_t guest_mode_at_entry(const hv_t *hv, const sim_event_t *ev)
{
    if (ev->vm < 0 || ev->vm >= HV_MAX_VMS || ev->vcpu < 0 || !hv->vms[ev->vm].used ||
        (hv->vms[ev->vm].cpu != HV_CPU_TRAP && hv->vms[ev->vm].cpu != HV_CPU_BT))
        return (cpu_mode_t)ev->mode;
    uint32_t f = hv_trap_virtual_flags(hv, (unsigned)ev->vm, (unsigned)ev->vcpu);
    return (f & CPU_FLAG_MODE_MASK) ? CPU_MODE_K : CPU_MODE_U;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    hv_tracker_t *t = ctx;
    if (ev->cpu >= SIM_MAX_CPUS)
        return;
    hv_span_state_t *s = &t->cpu[ev->cpu];
    switch (ev->kind) {
    case SIM_EV_VMENTRY:
        close_exit(t, ev);
        enter_span(t, ev, guest_mode_at_entry(t->hv, ev) == CPU_MODE_U ? HV_SPAN_USER : HV_SPAN_KERNEL,
                   ev->vm, ev->vcpu);
        break;
    case SIM_EV_MODE:
        if (ev->vm >= 0 && (s->kind == HV_SPAN_USER || s->kind == HV_SPAN_KERNEL))
            enter_span(t, ev, ev->mode == CPU_MODE_U ? HV_SPAN_USER : HV_SPAN_KERNEL, ev->vm,
                       ev->vcpu);
        break;
    case SIM_EV_VMEXIT:
        if (ev->vm >= 0 && ev->vm < HV_MAX_VMS && ev->a < CPU_EXIT_COUNT) {
            t->hv->vms[ev->vm].stats.exits[ev->a]++;
            s->exit_open = ev->a != CPU_EXIT_ENTRY_FAILED;
            s->exit_reason = (uint8_t)ev->a;
            s->exit_vm = ev->vm;
            s->exit_start = ev->cycle;
        }
        enter_span(t, ev, HV_SPAN_HYPERVISOR, ev->vm, ev->vcpu);
        if (t->recording)
            hv_trace_add_instant(t, ev);
        break;
    case SIM_EV_INJECT:
        if (t->recording)
            hv_trace_add_instant(t, ev);
        break;
    case SIM_EV_HV:
        switch (ev->a) {
        case SIM_HV_SWITCH:
            close_exit(t, ev);
            enter_span(t, ev, HV_SPAN_HYPERVISOR, ev->vm, ev->vcpu);
            break;
        case SIM_HV_IDLE:
            close_exit(t, ev);
            enter_span(t, ev, HV_SPAN_IDLE, -1, -1);
            break;
        case SIM_HV_HOST: enter_span(t, ev, HV_SPAN_HOST, -1, -1); break;
        case SIM_HV_TO_VMM: enter_span(t, ev, HV_SPAN_VMM, ev->vm, ev->vcpu); break;
        case SIM_HV_FROM_VMM: enter_span(t, ev, HV_SPAN_HYPERVISOR, ev->vm, ev->vcpu); break;
        default:
            if (t->recording)
                hv_trace_add_instant(t, ev);
            break;
        }
        break;
    default: break;
    }
}

int hv_stats_attach(hv_t *hv)
{
    hv_tracker_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->hv = hv;
    for (unsigned c = 0; c < SIM_MAX_CPUS; c++)
        t->cpu[c] = (hv_span_state_t){.kind = HV_SPAN_NONE, .vm = -1, .vcpu = -1};
    if (sim_add_sink(hv->m, on_event, t) != 0) {
        free(t);
        return -1;
    }
    hv->tracker = t;
    return 0;
}

int hv_stats_clone(hv_t *dst, const hv_t *src)
{
    dst->tracker = NULL;
    if (hv_stats_attach(dst) != 0)
        return -1;
    if (src->tracker)
        memcpy(dst->tracker->cpu, src->tracker->cpu, sizeof dst->tracker->cpu);
    return 0;
}

void hv_stats_detach(hv_t *hv)
{
    hv_tracker_t *t = hv->tracker;
    if (!t)
        return;
    sim_remove_sink(hv->m, on_event, t);
    hv_trace_free(t);
    free(t);
    hv->tracker = NULL;
}

/* Closes every pCPU's open span at its current cycle (before a report or a trace). */
void hv_stats_settle(hv_t *hv)
{
    hv_tracker_t *t = hv->tracker;
    for (unsigned c = 0; t && c < hv->m->ncpus; c++)
        add_span(t, c, hv->m->cpu[c].s.cycles);
}

void hv_stats_mmu(hv_t *hv, unsigned vm, const mmu_stats_t *a, const mmu_stats_t *b)
{
    mmu_stats_t *s = &hv->vms[vm].stats.mmu;
    s->hits += b->hits - a->hits;
    s->misses += b->misses - a->misses;
    s->fills += b->fills - a->fills;
    for (unsigned k = 0; k < MMU_FLUSH_COUNT; k++)
        s->flushes[k] += b->flushes[k] - a->flushes[k];
    s->flushed += b->flushed - a->flushed;
    s->walks += b->walks - a->walks;
    s->walk_refs += b->walk_refs - a->walk_refs;
    s->ad_writes += b->ad_writes - a->ad_writes;
    s->pwc_hits += b->pwc_hits - a->pwc_hits;
    s->walk_cycles += b->walk_cycles - a->walk_cycles;
    s->page_faults += b->page_faults - a->page_faults;
    s->nested_faults += b->nested_faults - a->nested_faults;
}

/* ------------------------------------------------------------------------------------------
 * The summary
 * ------------------------------------------------------------------------------------------ */
static const char *grp(uint64_t n, char *buf)
{
    return sim_group_digits(n, buf, 32);
}

static const char *cnt(uint64_t n, const char *noun, char *buf)
{
    return sim_counted(n, noun, buf, 48);
}

static void percent_line(FILE *out, const char *what, uint64_t part, uint64_t total)
{
    char b[32];
    fprintf(out, "    %-14s %15s cycles  %5.1f%%\n", what, grp(part, b),
            total ? 100.0 * (double)part / (double)total : 0.0);
}

void hv_print_stats(const hv_t *hv, FILE *out)
{
    char b1[48], b2[48], b3[48], b4[48];
    hv_stats_settle((hv_t *)hv);
    fprintf(out, "[stats] hypervisor: type %d, %u pCPU%s, scheduler %s%s\n", (int)hv->cfg.type,
            hv->m->ncpus, hv->m->ncpus == 1 ? "" : "s",
            hv->cfg.sched == HV_SCHED_PIN ? "pin" : "overcommit",
            hv->cfg.untagged_tlb ? ", untagged TLB" : "");
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vm_t *v = &hv->vms[i];
        if (!v->used)
            continue;
        const hv_vm_stats_t *s = &v->stats;
        uint64_t total = s->cycles_user + s->cycles_kernel + s->cycles_hv + s->cycles_vmm;
        uint64_t end = s->ended ? s->ended : hv->m->cpu[0].s.cycles;
        fprintf(out, "[stats] %s (%s + %s, %s, %s KiB): %s, ran %s cycles from start to end\n",
                v->name, hv_cpu_technique_name(v->cpu), hv_mem_technique_name(v->mem),
                cnt(v->nvcpus, "vcpu", b2), grp(v->memory / 1024, b3), hv_vm_state_name(v->state),
                grp(end - s->started, b1));
        percent_line(out, "guest user", s->cycles_user, total);
        percent_line(out, "guest kernel", s->cycles_kernel, total);
        percent_line(out, "hypervisor", s->cycles_hv, total);
        if (hv->cfg.type == HV_TYPE2)
            percent_line(out, "VMM (user)", s->cycles_vmm, total);
        uint64_t exits = 0;
        for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
            exits += s->exits[r];
        fprintf(out, "    exits %s:\n", grp(exits, b1));
        for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
            if (s->exits[r])
                fprintf(out, "      %-19s %11s  average %9s cycles\n", cpu_exit_reason_name(r),
                        grp(s->exits[r], b1), grp(s->exit_cycles[r] / s->exits[r], b2));
        if (v->cpu == HV_CPU_TRAP || v->cpu == HV_CPU_BT)
            hv_trap_print_stats(hv, i, out);
        if (v->cpu == HV_CPU_BT)
            hv_bt_print_stats(hv, i, out);
        if (v->mem == HV_MEM_SHADOW)
            hv_shadow_print_stats(hv, i, out);
        if (v->cpu == HV_CPU_EMU)
            fprintf(out, "    emulation: %s interpreted, %s each (emu_insn)\n",
                    cnt(hv_emu_interpreted(hv, i), "guest instruction", b1),
                    cnt(hv->m->costs.c[SIM_COST_emu_insn], "cycle", b2));
        fprintf(out, "    tlb: %s, %s; %s, %s\n", cnt(s->mmu.hits, "hit", b1),
                cnt(s->mmu.misses, "miss", b2), cnt(s->mmu.walks, "page walk", b3),
                cnt(s->mmu.walk_refs, "reference", b4));
        fprintf(out, "    memory: %s mapped lazily; %s, %s", cnt(s->frames_mapped, "frame", b1),
                cnt(s->injections, "injection", b2), cnt(s->vcpu_switches, "VCPU switch", b3));
        if (hv->cfg.type == HV_TYPE2)
            fprintf(out, ", %s to the VMM", cnt(s->t2_trips, "trip", b1));
        fputc('\n', out);
    }
    for (unsigned e = 0; e < hv->nent; e++)
        if (hv->ent[e].used && hv->ent[e].host_process)
            fprintf(out, "[stats] host process: %s of work in %s\n",
                    cnt(hv->ent[e].host_work, "cycle", b1), cnt(hv->ent[e].slices, "slice", b2));
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        fprintf(out, "[stats] pCPU%u: %s, %s idle, %s\n", c,
                cnt(hv->m->cpu[c].s.cycles, "cycle", b1), grp(hv->pcpu[c].idle_cycles, b2),
                cnt(hv->pcpu[c].switches, "switch", b3));
}
