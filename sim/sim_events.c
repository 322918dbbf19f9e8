/*
 * sim_events.c - the event stream, the cost table and the statistics built from them.
 *
 * Every trap, interrupt, mode change and device access is an event. Sinks (the --trace
 * printer now; the debugger, the GUI timeline and the trace exporter later) all read the same
 * stream, so what one front end shows the others can show too.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const char *const event_names[SIM_EV_COUNT] = {
#define SIM_X_EVNAME(name, str) str,
    SIM_EVENTS(SIM_X_EVNAME)
#undef SIM_X_EVNAME
};

static const char *const hv_action_names[SIM_HV_ACTION_COUNT] = {
#define SIM_X_HVNAME(name, str, doc) str,
    SIM_HV_ACTIONS(SIM_X_HVNAME)
#undef SIM_X_HVNAME
};

const char *sim_hv_action_name(unsigned action)
{
    return action < SIM_HV_ACTION_COUNT ? hv_action_names[action] : "?";
}

int sim_hv_action_by_name(const char *name)
{
    for (int i = 0; i < SIM_HV_ACTION_COUNT; i++)
        if (strcmp(hv_action_names[i], name) == 0)
            return i;
    return -1;
}

const char *sim_event_name(sim_event_kind_t kind)
{
    return kind < SIM_EV_COUNT ? event_names[kind] : "?";
}

int sim_add_sink_for(sim_machine_t *m, sim_event_sink_fn fn, void *ctx, uint64_t kinds)
{
    if (m->nsinks == SIM_MAX_SINKS)
        return -1;
    m->sinks[m->nsinks] = fn;
    m->sink_ctx[m->nsinks] = ctx;
    m->sink_kinds[m->nsinks] = kinds;
    m->heard |= kinds;
    m->nsinks++;
    return 0;
}

int sim_add_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx)
{
    return sim_add_sink_for(m, fn, ctx, SIM_EV_ALL);
}

void sim_remove_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx)
{
    for (unsigned i = 0; i < m->nsinks; i++) {
        if (m->sinks[i] != fn || m->sink_ctx[i] != ctx)
            continue;
        for (unsigned j = i + 1; j < m->nsinks; j++) {
            m->sinks[j - 1] = m->sinks[j];
            m->sink_ctx[j - 1] = m->sink_ctx[j];
            m->sink_kinds[j - 1] = m->sink_kinds[j];
        }
        m->nsinks--;
        m->heard = 0;
        for (unsigned j = 0; j < m->nsinks; j++)
            m->heard |= m->sink_kinds[j];
        return;
    }
}

void sim_emit(sim_machine_t *m, const sim_event_t *ev)
{
    if (ev->kind < SIM_EV_COUNT)
        m->event_counts[ev->kind]++;
    sim_account_event(m, ev); /* first: a sink that reads the accounting sees it up to date */
    for (unsigned i = 0; i < m->nsinks; i++)
        if ((m->sink_kinds[i] >> ev->kind) & 1u)
            m->sinks[i](ev, m->sink_ctx[i]);
}

void sim_event_format(const sim_event_t *ev, char *buf, size_t len)
{
    char cause[48];
    const char *from = cpu_mode_name((cpu_mode_t)ev->from_mode);
    const char *mode = cpu_mode_name((cpu_mode_t)ev->mode);
    char who[24] = "";
    if (ev->vm >= 0) /* in a VM: which one and which of its VCPUs */
        snprintf(who, sizeof who, " vm%d.%d", ev->vm, ev->vcpu);
    int n = snprintf(buf, len, "cycle %10llu  cpu%u%s  %-9s ", (unsigned long long)ev->cycle,
                     ev->cpu, who, sim_event_name(ev->kind));
    if (n < 0 || (size_t)n >= len)
        return;
    buf += n;
    len -= (size_t)n;
    switch (ev->kind) {
    case SIM_EV_TRAP:
        snprintf(buf, len, "%s in %s at 0x%08x (tval 0x%08x)",
                 cpu_cause_name(ev->a, cause, sizeof cause), from, ev->pc, ev->b);
        break;
    case SIM_EV_INTERRUPT:
        snprintf(buf, len, "line %u (%s) in %s, resumes at 0x%08x", ev->a,
                 ev->a == CPU_IRQ_TIMER ? "timer" : "device", from, ev->pc);
        break;
    case SIM_EV_IRET: snprintf(buf, len, "from %s to %s at 0x%08x", from, mode, ev->pc); break;
    case SIM_EV_MODE: snprintf(buf, len, "%s -> %s", from, mode); break;
    case SIM_EV_HALT: snprintf(buf, len, "in %s at 0x%08x", mode, ev->pc); break;
    case SIM_EV_WAKE: snprintf(buf, len, "pending lines 0x%x", ev->a); break;
    case SIM_EV_IO:
        snprintf(buf, len, "%s %s 0x%x = 0x%08x, in %s at 0x%08x", ev->from_mode ? "write" : "read",
                 ev->a > 0xffff ? "address" : "port", ev->a, ev->b, mode, ev->pc);
        break;
    case SIM_EV_POWEROFF: snprintf(buf, len, "exit code %u", ev->a); break;
    case SIM_EV_WALK:
        snprintf(buf, len, "0x%08x: %u references, in %s at 0x%08x", ev->a, ev->b, mode, ev->pc);
        break;
    case SIM_EV_TLBFLUSH: snprintf(buf, len, "%s 0x%x", mmu_flush_name(ev->a), ev->b); break;
    case SIM_EV_NESTEDFAULT:
        snprintf(buf, len, "gva 0x%08x gpa 0x%08x, in %s at 0x%08x", ev->a, ev->b, mode, ev->pc);
        break;
    case SIM_EV_DMAFAULT: snprintf(buf, len, "device %u iova 0x%08x", ev->a, ev->b); break;
    case SIM_EV_DISK: {
        unsigned count = ev->pc & 0xffffu, cmd = (ev->pc >> 16) & 0xffu, err = ev->pc >> 24;
        snprintf(buf, len, "%s %s %u sector%s at %u, memory 0x%08x%s%s",
                 cmd == SIM_DISK_CMD_READ ? "read" : cmd == SIM_DISK_CMD_WRITE ? "write" : "command",
                 ev->from_mode ? "done:" : "start:", count, count == 1 ? "" : "s", ev->a, ev->b,
                 err ? ", error " : "", err ? sim_disk_error_name(err) : "");
        break;
    }
    case SIM_EV_VMENTRY:
        snprintf(buf, len, "into %s at 0x%08x, VMCB 0x%08x, vmid %u", mode, ev->pc, ev->a, ev->b);
        break;
    case SIM_EV_VMEXIT:
        snprintf(buf, len, "%s from %s at 0x%08x, qualification 0x%x", cpu_exit_reason_name(ev->a),
                 from, ev->pc, ev->b);
        break;
    case SIM_EV_INJECT:
        snprintf(buf, len, "%s (tval 0x%08x) at 0x%08x", cpu_cause_name(ev->a, cause, sizeof cause),
                 ev->b, ev->pc);
        break;
    case SIM_EV_HV: snprintf(buf, len, "%s 0x%x", sim_hv_action_name(ev->a), ev->b); break;
    case SIM_EV_EDIT:
        snprintf(buf, len, "%s%s 0x%x = 0x%08x (was 0x%08x)", ev->from_mode ? "memory" : "register",
                 ev->from_mode ? (ev->from_mode == 1   ? " hpa"
                                  : ev->from_mode == 2 ? " gpa"
                                                       : " gva")
                               : "",
                 ev->a, ev->b, ev->pc);
        break;
    case SIM_EV_NIC:
        if (ev->from_mode == SIM_NIC_EV_ERROR)
            snprintf(buf, len, "error %s at descriptor %u", sim_nic_error_name(ev->b), ev->a);
        else
            snprintf(buf, len, "%s %u bytes, descriptor %u", sim_nic_event_name(ev->from_mode),
                     ev->b, ev->a);
        break;
    default: buf[0] = '\0'; break;
    }
}

/* ------------------------------------------------------------------------------------------
 * The cost table
 * ------------------------------------------------------------------------------------------ */
static const struct {
    const char *name;
    uint32_t def;
    const char *doc;
} cost_table[SIM_COST_COUNT] = {
#define SIM_X_COSTROW(name, def, doc) {#name, def, doc},
    SIM_COSTS(SIM_X_COSTROW)
#undef SIM_X_COSTROW
};

void sim_costs_default(sim_costs_t *costs)
{
    for (int i = 0; i < SIM_COST_COUNT; i++)
        costs->c[i] = cost_table[i].def;
}

int sim_cost_by_name(const char *name)
{
    for (int i = 0; i < SIM_COST_COUNT; i++)
        if (strcmp(cost_table[i].name, name) == 0)
            return i;
    return -1;
}

const char *sim_cost_name(sim_cost_t cost)
{
    return cost < SIM_COST_COUNT ? cost_table[cost].name : NULL;
}

const char *sim_cost_doc(sim_cost_t cost)
{
    return cost < SIM_COST_COUNT ? cost_table[cost].doc : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Statistics
 * ------------------------------------------------------------------------------------------ */
/* The memory system's lines, for a CPU that translated anything. */
static void print_mmu_stats(const mmu_stats_t *st, FILE *out)
{
    uint64_t flushes = 0;
    for (int k = 0; k < MMU_FLUSH_COUNT; k++)
        flushes += st->flushes[k];
    if (!st->hits && !st->misses && !flushes)
        return;
    char b[5][48];
    fprintf(out, "  tlb: %s, %s, %s, %s\n", sim_counted(st->hits, "hit", b[0], 48),
            sim_counted(st->misses, "miss", b[1], 48), sim_counted(st->fills, "fill", b[2], 48),
            sim_counted(flushes, "flush", b[3], 48));
    fprintf(out, "  page walks: %s, %s, %s, %s, %s\n", sim_group_digits(st->walks, b[0], 48),
            sim_counted(st->walk_refs, "reference", b[1], 48),
            sim_counted(st->ad_writes, "A/D write", b[2], 48),
            sim_counted(st->pwc_hits, "page-walk-cache hit", b[3], 48),
            sim_counted(st->walk_cycles, "cycle", b[4], 48));
    /* Only where there is something to say: most runs have no large page and no NTLB. */
    if (st->ntlb_hits || st->large_fills || st->splinters)
        fprintf(out, "  large pages and nested TLB: %s, %s, %s\n",
                sim_counted(st->large_fills, "large TLB fill", b[0], 48),
                sim_counted(st->splinters, "splintered walk", b[1], 48),
                sim_counted(st->ntlb_hits, "nested-TLB hit", b[2], 48));
}

/* "  time: user 120 + kernel 1 542": the accounting's parts of the CPU's cycles. */
static void print_time(const sim_machine_t *m, unsigned cpu, FILE *out)
{
    uint64_t t[SIM_TIME_COUNT];
    sim_account_cpu(m, cpu, t, NULL);
    fprintf(out, "  time:");
    const char *sep = " ";
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++) {
        if (!t[k])
            continue;
        char b[32];
        fprintf(out, "%s%s %s", sep, sim_time_name((sim_time_t)k), sim_group_digits(t[k], b, sizeof b));
        sep = " + ";
    }
    fputc('\n', out);
}

void sim_print_stats(const sim_machine_t *m, FILE *out)
{
    char buf[48], b[4][48];
    for (unsigned i = 0; i < m->ncpus; i++) {
        const cpu_state_t *s = &m->cpu[i].s;
        fprintf(out, "cpu%u: instructions %s, cycles %s, CPI %.2f\n", i,
                sim_group_digits(s->instret, b[0], 48), sim_group_digits(s->cycles, b[1], 48),
                s->instret ? (double)s->cycles / (double)s->instret : 0.0);
        print_time(m, i, out);
        for (int c = 0; c < CPU_CAUSE_COUNT; c++)
            if (s->traps[c])
                fprintf(out, "  trap %-24s %s\n", cpu_cause_name((uint32_t)c, buf, sizeof buf),
                        sim_group_digits(s->traps[c], b[0], 48));
        for (int l = 0; l < CPU_IRQ_LINES; l++)
            if (s->interrupts[l])
                fprintf(out, "  %-29s %s\n",
                        cpu_cause_name(CPU_CAUSE_INTERRUPT | (uint32_t)l, buf, sizeof buf),
                        sim_group_digits(s->interrupts[l], b[0], 48));
        print_mmu_stats(&m->cpu[i].mmu.stats, out);
    }
    const sim_disk_t *d = &m->disk;
    if (d->reads || d->writes || d->errors)
        fprintf(out, "disk: %s (%s), %s (%s), %s\n", sim_counted(d->reads, "read", b[0], 48),
                sim_counted(d->sectors_read, "sector", b[1], 48),
                sim_counted(d->writes, "write", b[2], 48),
                sim_counted(d->sectors_written, "sector", b[3], 48),
                sim_counted(d->errors, "error", buf, sizeof buf));
}

/* Read on every call, not cached: a test may set it, and getenv costs little beside printing. */
static bool digits_plain(void)
{
    const char *v = getenv("HVSIM_DIGITS");
    return v && strcmp(v, "plain") == 0;
}

const char *sim_group_digits(uint64_t n, char *buf, size_t len)
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    bool plain = digits_plain();
    size_t o = 0;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (!plain && i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ' ';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *sim_counted(uint64_t n, const char *noun, char *buf, size_t len)
{
    char digits[32];
    size_t k = strlen(noun);
    const char *suffix = "s";
    if (n == 1)
        suffix = "";
    else if (k > 0 && (noun[k - 1] == 's' || noun[k - 1] == 'x' ||
                       (k > 1 && noun[k - 1] == 'h' && (noun[k - 2] == 'c' || noun[k - 2] == 's'))))
        suffix = "es";
    else if (k > 1 && noun[k - 1] == 'y' && !strchr("aeiou", noun[k - 2])) {
        snprintf(buf, len, "%s %.*sies", sim_group_digits(n, digits, sizeof digits), (int)k - 1,
                 noun);
        return buf;
    }
    snprintf(buf, len, "%s %s%s", sim_group_digits(n, digits, sizeof digits), noun, suffix);
    return buf;
}
