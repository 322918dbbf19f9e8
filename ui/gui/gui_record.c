/*
 * gui_record.c - what the window remembers of the run: for each pCPU the spans of the
 * machine's time accounting (sim_account.c), which its lanes draw, and the events the
 * timeline marks (traps, interrupts, returns, halts, VM exits and entries, guest marks); and
 * a short ring of the latest events of every kind, from which the transition panel lists the
 * sub-steps of a step.
 *
 * The window counts no time itself: the spans are the accounting's, the same that the
 * statistics, `info stats` and the trace read (DESIGN.md, principle 4). It only listens.
 */
#include <stdlib.h>
#include <string.h>

#include "gui_internal.h"

bool gui_event_is_exit(const sim_event_t *ev)
{
    return ev->kind == SIM_EV_VMEXIT;
}

bool gui_event_is_marker(const sim_event_t *ev)
{
    switch (ev->kind) {
    case SIM_EV_TRAP:
    case SIM_EV_INTERRUPT:
    case SIM_EV_IRET:
    case SIM_EV_HALT:
    case SIM_EV_WAKE:
    case SIM_EV_POWEROFF:
    case SIM_EV_NESTEDFAULT:
    case SIM_EV_DMAFAULT:
    case SIM_EV_VMEXIT:
    case SIM_EV_VMENTRY:
    case SIM_EV_INJECT: return true;
    case SIM_EV_HV: return ev->a == SIM_HV_MARK; /* a guest's own mark */
    default: return false;
    }
}

const sim_event_t *gui_lane_event(const gui_lane_t *lane, size_t i)
{
    size_t at = lane->n < GUI_LANE_EVENTS ? i : (lane->head + i) % GUI_LANE_EVENTS;
    return &lane->ev[at];
}

const sim_span_t *gui_lane_span(const gui_lane_t *lane, size_t i)
{
    size_t at = lane->nspans < GUI_LANE_SPANS ? i : (lane->span_head + i) % GUI_LANE_SPANS;
    return &lane->span[at];
}

static sim_event_t *lane_slot(gui_lane_t *lane, size_t i)
{
    return (sim_event_t *)gui_lane_event(lane, i);
}

/* Keeps the lane in cycle order: a guest's mark arrives when its VCPU next exits (hv_mark.c),
 * stamped earlier than that exit, so it moves back past the events it came after. */
static void lane_push(gui_lane_t *lane, const sim_event_t *ev)
{
    if (lane->n < GUI_LANE_EVENTS) {
        lane->ev[lane->n++] = *ev;
    } else {
        lane->ev[lane->head] = *ev;
        lane->head = (lane->head + 1) % GUI_LANE_EVENTS;
    }
    for (size_t i = lane->n - 1; i > 0 && lane_slot(lane, i - 1)->cycle > ev->cycle; i--) {
        *lane_slot(lane, i) = *lane_slot(lane, i - 1);
        *lane_slot(lane, i - 1) = *ev;
    }
}

/* A span the accounting closed: kept for the lane (the oldest leaves once the ring is full). */
static void on_span(const sim_span_t *sp, void *ctx)
{
    gui_record_t *r = ctx;
    if (sp->cpu >= SIM_MAX_CPUS)
        return;
    gui_lane_t *lane = &r->lane[sp->cpu];
    if (lane->nspans < GUI_LANE_SPANS) {
        lane->span[lane->nspans++] = *sp;
        return;
    }
    const sim_span_t *old = &lane->span[lane->span_head];
    lane->dropped[old->kind] += old->dur;
    lane->span[lane->span_head] = *sp;
    lane->span_head = (lane->span_head + 1) % GUI_LANE_SPANS;
    lane->start_cycle = gui_lane_span(lane, 0)->start;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    gui_record_t *r = ctx;
    r->recent[r->recent_seq++ % GUI_RECENT] = *ev;
    if (ev->kind == SIM_EV_WALK) {
        r->walks++;
        return;
    }
    if (ev->cpu < SIM_MAX_CPUS && gui_event_is_marker(ev))
        lane_push(&r->lane[ev->cpu], ev);
}

void gui_lane_totals(const gui_t *g, unsigned cpu, uint64_t out[SIM_TIME_COUNT])
{
    const gui_lane_t *lane = &g->rec.lane[cpu];
    memcpy(out, lane->dropped, sizeof lane->dropped);
    for (size_t i = 0; i < lane->nspans; i++) {
        const sim_span_t *sp = gui_lane_span(lane, i);
        out[sp->kind] += sp->dur;
    }
    uint64_t t[SIM_TIME_COUNT];
    sim_span_t open;
    sim_account_cpu(g->m, cpu, t, &open);
    out[open.kind] += open.dur;
}

uint32_t gui_time_rgb(unsigned kind, int vm)
{
    switch (kind) {
    case SIM_TIME_USER: return vm >= 0 ? gui_vm_shade(vm, true) : GUI_RING3;
    case SIM_TIME_KERNEL: return vm >= 0 ? gui_vm_shade(vm, false) : GUI_RING0;
    case SIM_TIME_SWITCH: return GUI_SWITCH;
    case SIM_TIME_HANDLER: return GUI_RINGM1;
    case SIM_TIME_MONITOR: return GUI_MONITOR;
    case SIM_TIME_VMM: return GUI_VMM;
    case SIM_TIME_HOST: return GUI_HOST;
    default: return GUI_IDLE_RGB;
    }
}

const char *gui_time_name(const gui_t *g, unsigned kind)
{
    if (kind == SIM_TIME_HANDLER && ui_dbg_host_kernel(g->dbg))
        return "host kernel";
    return sim_time_name((sim_time_t)kind);
}

int gui_record_init(gui_t *g)
{
    gui_record_t *r = &g->rec;
    memset(r, 0, sizeof *r);
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        g->m->cpu[i].mmu.record_trace = true; /* the walk panel draws the last walk's steps */
        gui_lane_t *lane = &r->lane[i];
        lane->ev = malloc(GUI_LANE_EVENTS * sizeof *lane->ev);
        lane->span = malloc(GUI_LANE_SPANS * sizeof *lane->span);
        if (!lane->ev || !lane->span)
            return -1;
        sim_span_t open;
        uint64_t t[SIM_TIME_COUNT];
        sim_account_cpu(g->m, i, t, &open);
        lane->start_cycle = open.start;     /* what came before the window opened is not kept, */
        memcpy(lane->dropped, t, sizeof t); /* but counted */
        lane->dropped[open.kind] -= open.dur;
    }
    if (sim_account_listen(g->m, on_span, r) != 0)
        return -1;
    return sim_add_sink(g->m, on_event, r);
}

void gui_record_free(gui_t *g)
{
    sim_remove_sink(g->m, on_event, &g->rec);
    sim_account_unlisten(g->m, on_span, &g->rec);
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++) {
        free(g->rec.lane[i].ev);
        free(g->rec.lane[i].span);
        g->rec.lane[i].ev = NULL;
        g->rec.lane[i].span = NULL;
    }
}
