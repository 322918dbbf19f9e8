/*
 * sim_account.c - where every cycle of every pCPU went: the one time accounting that the
 * statistics, `info stats`, the window's lanes and its bars all read (DESIGN.md, principle 4).
 *
 * Each pCPU is always in one open *span* of one kind (sim_time_t): a VM's guest user or guest
 * kernel code, the hardware's VM exit or entry, the hypervisor's handlers, type 2's VMM or
 * host process, or idle. Events move it from one span to the next:
 *
 *   VMENTRY   -> exit/entry for the entry's hardware cycles, then the guest, in its own ring
 *   VMEXIT    -> exit/entry for the exit's hardware cycles, then the hypervisor (a trap into
 *                a co-resident monitor, SIM_EVF_MONITOR: no world switch, then the monitor)
 *   MODE, TRAP, INTERRUPT, IRET, WAKE -> the ring the CPU is now in (user, kernel, hypervisor)
 *   HALT      -> idle
 *   hv switch / from-vmm -> hypervisor,  hv to-vmm -> VMM,  hv host -> host process,
 *   hv idle   -> idle
 *
 * A closed span is added to its pCPU's totals and to its VM's, and handed to the listeners
 * (the window's lanes, the trace export). A span is closed only by the next one, so a pCPU's
 * totals plus its open span always add up to its cycle count: no cycle is lost or counted
 * twice. A kernel that the hypervisor deprivileges (trap, bt) runs in real ring 3; the
 * hypervisor's guest_mode hook says which ring the guest believes it is in, and its time is
 * counted there (the span keeps the real ring beside it).
 */
#include <string.h>

#include "sim.h"

static const char *const time_names[SIM_TIME_COUNT] = {
#define SIM_X_TIMENAME(name, str, doc) str,
    SIM_TIMES(SIM_X_TIMENAME)
#undef SIM_X_TIMENAME
};

const char *sim_time_name(sim_time_t kind)
{
    return kind < SIM_TIME_COUNT ? time_names[kind] : "?";
}

static sim_time_t kind_of_mode(cpu_mode_t mode)
{
    return mode == CPU_MODE_U   ? SIM_TIME_USER
           : mode == CPU_MODE_K ? SIM_TIME_KERNEL
                                : SIM_TIME_HANDLER;
}

/* The span a pCPU is in, `dur` cycles long. */
static sim_span_t open_span_of(const sim_account_cpu_t *c, unsigned cpu, uint64_t dur)
{
    return (sim_span_t){.cpu = (uint8_t)cpu,
                        .kind = c->kind,
                        .real_mode = c->real_mode,
                        .vm = c->vm,
                        .vcpu = c->vcpu,
                        .start = c->since,
                        .dur = dur};
}

/* Ends the open span of a pCPU at `end` (never before it began) and books it. */
static void close_span(sim_machine_t *m, unsigned cpu, uint64_t end)
{
    sim_account_t *a = &m->account;
    sim_account_cpu_t *c = &a->cpu[cpu];
    if (end <= c->since)
        return;
    uint64_t dur = end - c->since;
    c->total[c->kind] += dur;
    if (c->vm >= 0 && c->vm < SIM_ACCOUNT_VMS)
        a->vm[c->vm][c->kind] += dur;
    sim_span_t span = open_span_of(c, cpu, dur);
    for (unsigned i = 0; i < a->nlisten; i++)
        a->listen[i](&span, a->listen_ctx[i]);
    c->since = end;
}

static void open_span(sim_machine_t *m, unsigned cpu, uint64_t at, sim_time_t kind,
                      cpu_mode_t real_mode, int vm, int vcpu)
{
    close_span(m, cpu, at);
    sim_account_cpu_t *c = &m->account.cpu[cpu];
    c->kind = (uint8_t)kind;
    c->real_mode = (uint8_t)real_mode;
    c->vm = (int16_t)vm;
    c->vcpu = (int16_t)vcpu;
    if (at > c->since)
        c->since = at;
}

/* A stretch of hardware exit or entry work, [from, to), booked at once. */
static void world_switch(sim_machine_t *m, unsigned cpu, uint64_t from, uint64_t to, int vm,
                         int vcpu)
{
    open_span(m, cpu, from, SIM_TIME_SWITCH, CPU_MODE_H, vm, vcpu);
    close_span(m, cpu, to);
}

/* The ring a guest's time counts in: the one it believes it is in (a deprivileged kernel's
 * virtual ring, from the hypervisor), else the CPU's. */
static sim_time_t guest_kind(const sim_account_t *a, const sim_event_t *ev)
{
    int mode = a->guest_mode && ev->vm >= 0 ? a->guest_mode(a->guest_mode_ctx, ev) : -1;
    return kind_of_mode(mode >= 0 ? (cpu_mode_t)mode : (cpu_mode_t)ev->mode);
}

static void on_hv_action(sim_machine_t *m, const sim_event_t *ev)
{
    switch (ev->a) {
    case SIM_HV_SWITCH:
    case SIM_HV_FROM_VMM:
        open_span(m, ev->cpu, ev->cycle, SIM_TIME_HANDLER, CPU_MODE_H, ev->vm, ev->vcpu);
        break;
    case SIM_HV_TO_VMM:
        open_span(m, ev->cpu, ev->cycle, SIM_TIME_VMM, CPU_MODE_U, ev->vm, ev->vcpu);
        break;
    case SIM_HV_HOST: open_span(m, ev->cpu, ev->cycle, SIM_TIME_HOST, CPU_MODE_U, -1, -1); break;
    case SIM_HV_IDLE: open_span(m, ev->cpu, ev->cycle, SIM_TIME_IDLE, CPU_MODE_H, -1, -1); break;
    default: break;
    }
}

void sim_account_event(sim_machine_t *m, const sim_event_t *ev)
{
    if (ev->cpu >= m->ncpus)
        return;
    sim_account_cpu_t *c = &m->account.cpu[ev->cpu];
    uint64_t before = ev->cycle >= ev->span ? ev->cycle - ev->span : 0;
    switch (ev->kind) {
    case SIM_EV_VMENTRY:
        world_switch(m, ev->cpu, before, ev->cycle, ev->vm, ev->vcpu);
        open_span(m, ev->cpu, ev->cycle, guest_kind(&m->account, ev), (cpu_mode_t)ev->mode, ev->vm,
                  ev->vcpu);
        break;
    case SIM_EV_VMEXIT:
        if (ev->a == CPU_EXIT_ENTRY_FAILED) { /* the entry's checks ran before the stamp */
            int vm = c->vm, vcpu = c->vcpu;
            world_switch(m, ev->cpu, before, ev->cycle, vm, vcpu);
            open_span(m, ev->cpu, ev->cycle, SIM_TIME_HANDLER, CPU_MODE_H, vm, vcpu);
        } else {
            world_switch(m, ev->cpu, ev->cycle, ev->cycle + ev->span, ev->vm, ev->vcpu);
            open_span(m, ev->cpu, ev->cycle + ev->span,
                      ev->flags & SIM_EVF_MONITOR ? SIM_TIME_MONITOR : SIM_TIME_HANDLER, CPU_MODE_H,
                      ev->vm, ev->vcpu);
        }
        break;
    case SIM_EV_MODE:
    case SIM_EV_TRAP:
    case SIM_EV_INTERRUPT:
    case SIM_EV_IRET:
    case SIM_EV_WAKE: {
        sim_time_t k = ev->vm >= 0 ? guest_kind(&m->account, ev) : kind_of_mode(ev->mode);
        if (k != c->kind || ev->vm != c->vm || ev->vcpu != c->vcpu || ev->mode != c->real_mode)
            open_span(m, ev->cpu, ev->cycle, k, (cpu_mode_t)ev->mode, ev->vm, ev->vcpu);
        break;
    }
    case SIM_EV_HALT:
        open_span(m, ev->cpu, ev->cycle, SIM_TIME_IDLE, (cpu_mode_t)ev->mode, -1, -1);
        break;
    case SIM_EV_HV: on_hv_action(m, ev); break;
    default: break;
    }
}

void sim_account_restart(sim_machine_t *m)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        const cpu_t *cpu = &m->cpu[i];
        open_span(m, i, cpu->s.cycles, kind_of_mode(cpu_mode(cpu)), cpu_mode(cpu), -1, -1);
    }
}

void sim_account_cpu(const sim_machine_t *m, unsigned cpu, uint64_t out[SIM_TIME_COUNT],
                     sim_span_t *open)
{
    memset(out, 0, SIM_TIME_COUNT * sizeof *out);
    if (cpu >= m->ncpus)
        return;
    const sim_account_cpu_t *c = &m->account.cpu[cpu];
    memcpy(out, c->total, sizeof c->total);
    uint64_t now = m->cpu[cpu].s.cycles;
    uint64_t dur = now > c->since ? now - c->since : 0;
    out[c->kind] += dur;
    if (open)
        *open = open_span_of(c, cpu, dur);
}

void sim_account_vm(const sim_machine_t *m, unsigned vm, uint64_t out[SIM_TIME_COUNT])
{
    memset(out, 0, SIM_TIME_COUNT * sizeof *out);
    if (vm >= SIM_ACCOUNT_VMS)
        return;
    memcpy(out, m->account.vm[vm], SIM_TIME_COUNT * sizeof *out);
    for (unsigned i = 0; i < m->ncpus; i++) {
        const sim_account_cpu_t *c = &m->account.cpu[i];
        uint64_t now = m->cpu[i].s.cycles;
        if (c->vm == (int)vm && now > c->since)
            out[c->kind] += now - c->since;
    }
}

int sim_account_listen(sim_machine_t *m, sim_span_fn fn, void *ctx)
{
    sim_account_t *a = &m->account;
    if (a->nlisten == SIM_ACCOUNT_LISTENERS)
        return -1;
    a->listen[a->nlisten] = fn;
    a->listen_ctx[a->nlisten] = ctx;
    a->nlisten++;
    return 0;
}

void sim_account_unlisten(sim_machine_t *m, sim_span_fn fn, void *ctx)
{
    sim_account_t *a = &m->account;
    for (unsigned i = 0; i < a->nlisten; i++) {
        if (a->listen[i] != fn || a->listen_ctx[i] != ctx)
            continue;
        for (unsigned j = i + 1; j < a->nlisten; j++) {
            a->listen[j - 1] = a->listen[j];
            a->listen_ctx[j - 1] = a->listen_ctx[j];
        }
        a->nlisten--;
        return;
    }
}

void sim_account_settle(sim_machine_t *m)
{
    for (unsigned i = 0; i < m->ncpus; i++)
        close_span(m, i, m->cpu[i].s.cycles);
}
