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

/* The trace's spans are the accounting's (sim_account.c): one stream of time for every view. */
static void on_span(const sim_span_t *sp, void *ctx)
{
    hv_tracker_t *t = ctx;
    if (t->recording)
        hv_trace_add_span(t, sp->cpu, sp->kind, sp->vm, sp->vcpu, sp->start, sp->dur);
}

/* The exit on this pCPU is over (an entry, a switch, idle): book its round trip. */
static void close_exit(hv_tracker_t *t, const sim_event_t *ev)
{
    hv_span_state_t *s = &t->cpu[ev->cpu];
    if (!s->exit_open)
        return;
    s->exit_open = 0;
    if (s->exit_vm < 0 || s->exit_vm >= HV_MAX_VMS || ev->cycle < s->exit_start)
        return;
    hv_vm_stats_t *st = &t->hv->vms[s->exit_vm].stats;
    if (s->exit_monitor)
        st->monitor_cycles += ev->cycle - s->exit_start;
    else
        st->exit_cycles[s->exit_reason] += ev->cycle - s->exit_start;
}

/* A bt VM's trap exits are calls and traps into its co-resident monitor, not world switches
 * (the control MONITOR, docs/isa.md): counted apart from the exits. */
static bool monitor_entry(const hv_t *hv, const sim_event_t *ev)
{
    return ev->a == CPU_EXIT_EXCEPTION && hv->vms[ev->vm].cpu == HV_CPU_BT;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    hv_tracker_t *t = ctx;
    if (ev->cpu >= SIM_MAX_CPUS)
        return;
    hv_span_state_t *s = &t->cpu[ev->cpu];
    switch (ev->kind) {
    case SIM_EV_VMENTRY: close_exit(t, ev); break;
    case SIM_EV_VMEXIT:
        if (ev->vm >= 0 && ev->vm < HV_MAX_VMS && ev->a < CPU_EXIT_COUNT) {
            s->exit_monitor = monitor_entry(t->hv, ev);
            if (s->exit_monitor)
                t->hv->vms[ev->vm].stats.monitor_entries++;
            else
                t->hv->vms[ev->vm].stats.exits[ev->a]++;
            if (ev->a == CPU_EXIT_IO_PORT)
                t->hv->vms[ev->vm].stats.io_exits[hv_dev_port_device(t->hv, (unsigned)ev->vm,
                                                                     CPU_EXITQ_PORT(ev->b))]++;
            s->exit_open = ev->a != CPU_EXIT_ENTRY_FAILED;
            s->exit_reason = (uint8_t)ev->a;
            s->exit_vm = ev->vm;
            s->exit_start = ev->cycle;
        }
        if (t->recording)
            hv_trace_add_instant(t, ev);
        break;
    case SIM_EV_TRAP:
        if (ev->vm >= 0 && ev->vm < HV_MAX_VMS && ev->a == CPU_CAUSE_SYSCALL)
            t->hv->vms[ev->vm].stats.syscalls++;
        break;
    case SIM_EV_INJECT:
        if (t->recording)
            hv_trace_add_instant(t, ev);
        break;
    case SIM_EV_HV:
        if (ev->a == SIM_HV_MARK && ev->vm >= 0 && ev->vm < HV_MAX_VMS)
            hv_compare_mark(t->hv, (unsigned)ev->vm, ev->cycle, hv_mark_name(t->hv, ev->b),
                            hv_mark_value(ev->b));
        if (ev->a == SIM_HV_SWITCH || ev->a == SIM_HV_IDLE)
            close_exit(t, ev);
        else if (t->recording && ev->a != SIM_HV_HOST && ev->a != SIM_HV_TO_VMM &&
                 ev->a != SIM_HV_FROM_VMM)
            hv_trace_add_instant(t, ev);
        break;
    default: break;
    }
}

/* The accounting's hook: a deprivileged kernel (trap, bt) runs in real U, but its time is
 * its kernel's while its virtual mode is K (which only the hypervisor changes, between an
 * exit and the next entry). -1: the CPU's own mode is the guest's. */
static int guest_mode(void *ctx, const sim_event_t *ev)
{
    const hv_t *hv = ctx;
    if (ev->vm < 0 || ev->vm >= HV_MAX_VMS || ev->vcpu < 0 || !hv->vms[ev->vm].used ||
        (hv->vms[ev->vm].cpu != HV_CPU_TRAP && hv->vms[ev->vm].cpu != HV_CPU_BT) ||
        ev->vcpu >= hv->vms[ev->vm].nvcpus)
        return -1;
    uint32_t f = hv_trap_virtual_flags(hv, (unsigned)ev->vm, (unsigned)ev->vcpu);
    return (f & CPU_FLAG_MODE_MASK) ? CPU_MODE_K : CPU_MODE_U;
}

int hv_stats_attach(hv_t *hv)
{
    hv_tracker_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->hv = hv;
    for (unsigned c = 0; c < SIM_MAX_CPUS; c++)
        t->cpu[c] = (hv_span_state_t){.exit_vm = -1};
    uint64_t kinds = SIM_EV_BIT(SIM_EV_VMENTRY) | SIM_EV_BIT(SIM_EV_VMEXIT) |
                     SIM_EV_BIT(SIM_EV_TRAP) | SIM_EV_BIT(SIM_EV_INJECT) | SIM_EV_BIT(SIM_EV_HV);
    if (sim_add_sink_for(hv->m, on_event, t, kinds) != 0) {
        free(t);
        return -1;
    }
    if (sim_account_listen(hv->m, on_span, t) != 0) {
        sim_remove_sink(hv->m, on_event, t);
        free(t);
        return -1;
    }
    hv->m->account.guest_mode = guest_mode;
    hv->m->account.guest_mode_ctx = hv;
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
    if (dst->m != src->m) { /* the time so far goes with the machine's copy */
        memcpy(dst->m->account.cpu, src->m->account.cpu, sizeof dst->m->account.cpu);
        memcpy(dst->m->account.vm, src->m->account.vm, sizeof dst->m->account.vm);
    }
    return 0;
}

void hv_stats_detach(hv_t *hv)
{
    hv_tracker_t *t = hv->tracker;
    if (!t)
        return;
    sim_remove_sink(hv->m, on_event, t);
    sim_account_unlisten(hv->m, on_span, t);
    if (hv->m->account.guest_mode_ctx == hv) {
        hv->m->account.guest_mode = NULL;
        hv->m->account.guest_mode_ctx = NULL;
    }
    hv_trace_free(t);
    free(t);
    hv->tracker = NULL;
}

/* Closes every pCPU's open span at its current cycle (before a trace is written), after
 * reading the guests' mark rings. */
void hv_stats_settle(hv_t *hv)
{
    hv_marks_collect(hv); /* the marks the guests wrote since their last exit */
    sim_account_settle(hv->m);
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
    s->ntlb_hits += b->ntlb_hits - a->ntlb_hits;
    s->large_fills += b->large_fills - a->large_fills;
    s->splinters += b->splinters - a->splinters;
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

/* "    memory: 2 022 frames mapped lazily", or how the VM was backed at its creation. */
static void print_memory(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    const hv_vm_stats_t *s = &v->stats;
    char b1[32], b2[32], b3[32], size[16];
    fprintf(out, "    memory: %s ", cnt(s->frames_mapped, "frame", b1));
    if (v->assigned_nic) {
        fputs("backed and pinned when nic0 was assigned", out);
        return;
    }
    if (v->backing == HV_BACKING_LAZY) {
        fputs("mapped lazily", out);
        return;
    }
    if (v->backing == HV_BACKING_EAGER) {
        fputs("backed eagerly at creation", out);
        return;
    }
    mmu_page_size_name(mmu_large_shift(hv->m->mmu_config.nested_levels), size, sizeof size);
    fprintf(out, "backed at creation, %s of %s", cnt(s->large_mapped, "large page", b2), size);
    if (s->large_refused)
        fprintf(out, " (%s in 4 KiB frames: no aligned run free)",
                cnt(s->large_refused, "large page", b3));
}

/* "    limits: share 256; cap none; resident_max 768 of 2 048 frames, bound 40 times; ...":
 * each limit, and how often it bound (hv_limits.c). */
static void print_limits(const hv_t *hv, unsigned vm, FILE *out)
{
    hv_limits_t l;
    char text[400];
    hv_vm_limits(hv, vm, &l);
    fprintf(out, "    limits: %s\n", hv_limits_text(&l, text, sizeof text));
}

static void percent_line(FILE *out, const char *what, uint64_t part, uint64_t total)
{
    char b[32];
    fprintf(out, "    %-14s %15s cycles  %5.1f%%\n", what, grp(part, b),
            total ? 100.0 * (double)part / (double)total : 0.0);
}

/* The name of a kind of time under this hypervisor: under type 2 the hypervisor is the
 * host kernel. */
const char *hv_time_name(const hv_t *hv, sim_time_t kind)
{
    if (kind == SIM_TIME_HANDLER && hv->cfg.type == HV_TYPE2)
        return "host kernel";
    return kind == SIM_TIME_USER     ? "guest user"
           : kind == SIM_TIME_KERNEL ? "guest kernel"
                                     : sim_time_name(kind);
}

static void print_vm_time(const hv_t *hv, unsigned vm, FILE *out)
{
    uint64_t t[SIM_TIME_COUNT], total = 0;
    sim_account_vm(hv->m, vm, t);
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++)
        total += t[k];
    for (unsigned k = SIM_TIME_USER; k <= SIM_TIME_VMM; k++)
        if ((k != SIM_TIME_VMM || hv->cfg.type == HV_TYPE2) &&
            (k != SIM_TIME_MONITOR || hv->vms[vm].cpu == HV_CPU_BT))
            percent_line(out, hv_time_name(hv, (sim_time_t)k), t[k], total);
}

/* ------------------------------------------------------------------------------------------
 * Where the hypervisor's time went, in sentences
 * ------------------------------------------------------------------------------------------ */
/* What the exits of each reason are, as the sentence names them: "port I/O: 1 837 exits". */
static const struct {
    const char *what, *unit;
} exit_words[CPU_EXIT_COUNT] = {
    [CPU_EXIT_EXCEPTION] = {"exceptions the hypervisor handled", "exception exit"},
    [CPU_EXIT_EXTERNAL_INTERRUPT] = {"physical interrupts", "interrupt exit"},
    [CPU_EXIT_HALT] = {"idle guests (halt)", "halt exit"},
    [CPU_EXIT_IO_PORT] = {"port I/O", "exit"}, /* + the devices: io_devices() */
    [CPU_EXIT_CSR_ACCESS] = {"CSR accesses (the timer, interrupt masks)", "exit"},
    [CPU_EXIT_CPUID] = {"cpuid", "exit"},
    [CPU_EXIT_HYPERCALL] = {"hypercalls (a paravirtual console, a line each)", "hypercall"},
    [CPU_EXIT_NESTED_FAULT] = {"nested faults (device registers reached by MMIO)", "nested fault"},
    [CPU_EXIT_PREEMPT] = {"the end of time slices", "preemption"},
    [CPU_EXIT_ENTRY_FAILED] = {"failed VM entries", "exit"},
    [CPU_EXIT_TLB_INVALIDATE] = {"TLB invalidations", "exit"},
};

/* The nested faults that backed a page at its first touch: all of them, or some (the others
 * reached a device register or an address outside the VM's memory). */
static uint64_t first_touch_faults(const hv_vm_t *v)
{
    uint64_t n = v->stats.exits[CPU_EXIT_NESTED_FAULT];
    return v->mem != HV_MEM_NESTED ? 0 : v->stats.first_touches < n ? v->stats.first_touches : n;
}

/* The devices the VM's port I/O exits reached, most exits first: " (the network card, the
 * console)". Named from what was counted, so the sentence never names a device not used. */
static void io_devices(const hv_vm_t *v, FILE *out)
{
    bool done[HV_IO_DEVICE_COUNT] = {false};
    for (unsigned n = 0;; n++) {
        int best = -1;
        for (unsigned d = 0; d < HV_IO_DEVICE_COUNT; d++)
            if (!done[d] && v->stats.io_exits[d] &&
                (best < 0 || v->stats.io_exits[d] > v->stats.io_exits[best]))
                best = (int)d;
        if (best < 0) {
            fputs(n ? ")" : "", out);
            return;
        }
        done[best] = true;
        fprintf(out, "%s%s", n ? ", " : " (", hv_io_device_name((unsigned)best));
    }
}

/* One clause: "54% was first-touch memory: 2 015 nested faults, each backing one 4 KiB page". */
static void exit_clause(const hv_t *hv, unsigned vm, unsigned r, uint64_t hv_time, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    char b[48], b2[48];
    double pct = 100.0 * (double)v->stats.exit_cycles[r] / (double)hv_time;
    uint64_t touches = first_touch_faults(v);
    if (r == CPU_EXIT_NESTED_FAULT && touches && touches == v->stats.exits[r])
        fprintf(out, "%.0f%% was first-touch memory: %s, each backing one 4 KiB page", pct,
                cnt(v->stats.exits[r], "nested fault", b));
    else if (r == CPU_EXIT_NESTED_FAULT && touches)
        fprintf(out, "%.0f%% was nested faults: %s, %s of them first touches backing a 4 KiB page",
                pct, grp(v->stats.exits[r], b), grp(touches, b2));
    else if (r == CPU_EXIT_HYPERCALL && v->nic_pv)
        fprintf(out,
                "%.0f%% was hypercalls (the console's lines, the paravirtual network card's "
                "set-up and kicks): %s",
                pct, cnt(v->stats.exits[r], "hypercall", b));
    else {
        fprintf(out, "%.0f%% was %s", pct, exit_words[r].what);
        if (r == CPU_EXIT_IO_PORT)
            io_devices(v, out);
        fprintf(out, ": %s", cnt(v->stats.exits[r], exit_words[r].unit, b));
    }
}

/* A paravirtual console against the device it replaces: why such a guest can end sooner than
 * natively, where each byte is an `out` to the UART at the cost table's device access. */
static void print_console(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    if (!s->console_calls)
        return;
    char b[4][48];
    fprintf(out,
            "    console: %s bytes in %s (paravirtual); natively each byte is an `out` to the "
            "UART (device_access, %u cycles): %s cycles, where all its hypercalls' round trips "
            "%stook %s\n",
            grp(s->console_bytes, b[0]), cnt(s->console_calls, "hypercall", b[1]),
            hv->m->costs.c[SIM_COST_device_access],
            grp(s->console_bytes * hv->m->costs.c[SIM_COST_device_access], b[2]),
            hv->vms[vm].nic_pv ? "(the network card's among them) " : "",
            grp(s->exit_cycles[CPU_EXIT_HYPERCALL], b[3]));
}

/*
 * The hypervisor's time for a VM (its exits' round trips: exit/entry and the handlers), the
 * largest reasons first while each is at least 5% of it, then the steady state: that time but
 * first-touch memory, against the guest's own (user + kernel). Figures come from the one
 * accounting (sim_account_vm) and the counted exits.
 */
static void print_explained(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    uint64_t t[SIM_TIME_COUNT], hv_time, guest, first_touch = 0;
    sim_account_vm(hv->m, vm, t);
    hv_time = t[SIM_TIME_SWITCH] + t[SIM_TIME_HANDLER] + t[SIM_TIME_MONITOR] + t[SIM_TIME_VMM];
    guest = t[SIM_TIME_USER] + t[SIM_TIME_KERNEL];
    if (!hv_time || !guest)
        return;
    bool done[CPU_EXIT_COUNT] = {false};
    unsigned n = 0;
    fputs("    the hypervisor's time: ", out);
    for (; n < 3; n++) {
        int best = -1;
        for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
            if (!done[r] && (best < 0 || v->stats.exit_cycles[r] > v->stats.exit_cycles[best]))
                best = (int)r;
        if (best < 0 || v->stats.exit_cycles[best] * 20 < hv_time)
            break;
        done[best] = true;
        fputs(n ? "; " : "", out);
        exit_clause(hv, vm, (unsigned)best, hv_time, out);
    }
    fputs(n ? "\n" : "no single kind of exit is 5% of it\n", out);
    uint64_t faults = v->stats.exits[CPU_EXIT_NESTED_FAULT];
    if (faults) /* the first touches' share of the nested faults' time, at their average */
        first_touch = v->stats.exit_cycles[CPU_EXIT_NESTED_FAULT] * first_touch_faults(v) / faults;
    fprintf(out, "    steady state: %sthe hypervisor's time is %.1f%% of the guest's own\n",
            first_touch ? "leaving out first-touch memory, " : "",
            100.0 * (double)(hv_time - first_touch) / (double)guest);
    print_console(hv, vm, out);
}

/* "pCPU0: 7 346 397 cycles = guest user 1 + ... + idle 5": every cycle once. */
static void print_pcpu_time(const hv_t *hv, unsigned c, FILE *out)
{
    char b[48];
    uint64_t t[SIM_TIME_COUNT];
    sim_account_cpu(hv->m, c, t, NULL);
    fprintf(out, "[stats] pCPU%u: %s =", c, cnt(hv->m->cpu[c].s.cycles, "cycle", b));
    bool first = true;
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++) {
        if (!t[k])
            continue;
        fprintf(out, "%s %s %s", first ? "" : " +", hv_time_name(hv, (sim_time_t)k), grp(t[k], b));
        first = false;
    }
    fprintf(out, "%s; %s\n", first ? " 0" : "", cnt(hv->pcpu[c].switches, "switch", b));
}

void hv_print_stats(const hv_t *hv, FILE *out)
{
    char b1[48], b2[48], b3[48], b4[48];
    fprintf(out, "[stats] hypervisor: type %d, %u pCPU%s, scheduler %s%s\n", (int)hv->cfg.type,
            hv->m->ncpus, hv->m->ncpus == 1 ? "" : "s",
            hv->cfg.sched == HV_SCHED_PIN ? "pin" : "overcommit",
            hv->cfg.untagged_tlb ? ", untagged TLB" : "");
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vm_t *v = &hv->vms[i];
        if (!v->used)
            continue;
        const hv_vm_stats_t *s = &v->stats;
        uint64_t end = s->ended ? s->ended : hv->m->cpu[0].s.cycles;
        fprintf(out, "[stats] %s (%s + %s, %s, %s KiB): %s, ran %s cycles from start to end\n",
                v->name, hv_cpu_technique_name(v->cpu), hv_mem_technique_name(v->mem),
                cnt(v->nvcpus, "vcpu", b2), grp(v->memory / 1024, b3), hv_vm_state_name(v->state),
                grp(end - s->started, b1));
        print_vm_time(hv, i, out);
        uint64_t exits = 0;
        for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
            exits += s->exits[r];
        fprintf(out, "    exits %s:\n", grp(exits, b1));
        for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
            if (s->exits[r])
                fprintf(out, "      %-19s %11s  average %9s cycles\n", cpu_exit_reason_name(r),
                        grp(s->exits[r], b1), grp(s->exit_cycles[r] / s->exits[r], b2));
        if (s->batched) /* only with batch_exits = on */
            fprintf(out,
                    "    exit batching: %s emulated in the exit before them (each an exit and "
                    "entry saved)\n",
                    cnt(s->batched, "instruction", b1));
        if (s->monitor_entries)
            fprintf(out, "    co-resident monitor: %s and traps (not exits), average %s cycles\n",
                    cnt(s->monitor_entries, "call", b1),
                    grp(s->monitor_cycles / s->monitor_entries, b2));
        print_explained(hv, i, out);
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
        print_limits(hv, i, out);
        print_memory(hv, i, out);
        fprintf(out, "; %s, %s", cnt(s->injections, "injection", b2),
                cnt(s->vcpu_switches, "VCPU switch", b3));
        if (hv->cfg.type == HV_TYPE2)
            fprintf(out, ", %s to the VMM", cnt(s->t2_trips, "trip", b1));
        fputc('\n', out);
        hv_swap_print_stats(hv, i, out);
        hv_gswap_print_stats(hv, i, out);
        hv_share_print_vm(hv, i, out);
        hv_passthrough_print_stats(hv, i, out);
        hv_pvnet_print_stats(hv, i, out);
        hv_balloon_print_stats(hv, i, out);
    }
    hv_share_print_stats(hv, out);
    hv_hostdisk_print_stats(hv, out);
    hv_balloon_print_table(hv, out);
    hv_compare_print(hv, out);
    hv_migrate_print(hv, "[stats] ", out);
    for (unsigned e = 0; e < hv->nent; e++)
        if (hv->ent[e].used && hv->ent[e].host_process)
            fprintf(out, "[stats] host process: %s of work in %s\n",
                    cnt(hv->ent[e].host_work, "cycle", b1), cnt(hv->ent[e].slices, "slice", b2));
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        print_pcpu_time(hv, c, out);
}
