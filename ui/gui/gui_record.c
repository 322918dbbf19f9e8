/*
 * gui_record.c - what the window remembers of the event stream: an event sink that keeps, for
 * each pCPU, its mode changes and the events the timeline marks (traps, interrupts, returns,
 * halts, VM exits and entries), the cycles spent in each ring, and a short ring of the latest
 * events of every kind, from which the transition panel lists the sub-steps of a step.
 *
 * It reads the same event stream as the REPL, the statistics and the trace export (DESIGN.md,
 * principle 4); it only listens.
 */
#include <stdlib.h>
#include <string.h>

#include "gui_internal.h"

/* Event kinds by name, for those that arrive with the hypervisor (no enumerator yet). */
static bool named(const sim_event_t *ev, const char *name)
{
    const char *n = sim_event_name((sim_event_kind_t)ev->kind);
    return n && strcmp(n, name) == 0;
}

bool gui_event_is_exit(const sim_event_t *ev)
{
    return named(ev, "vmexit");
}

/* A CPU stops working: it halted (bare metal), or the hypervisor found nothing to run on the
 * pCPU. It works again at a wake, an interrupt, a mode change, or the hypervisor's next
 * switch, entry or host-process turn. */
bool gui_event_starts_idle(const sim_event_t *ev)
{
    return ev->kind == SIM_EV_HALT || (ev->kind == SIM_EV_HV && ev->a == SIM_HV_IDLE);
}

bool gui_event_ends_idle(const sim_event_t *ev)
{
    return ev->kind == SIM_EV_WAKE || ev->kind == SIM_EV_INTERRUPT || ev->kind == SIM_EV_MODE ||
           named(ev, "vmentry") ||
           (ev->kind == SIM_EV_HV && (ev->a == SIM_HV_SWITCH || ev->a == SIM_HV_HOST));
}

bool gui_event_is_marker(const sim_event_t *ev)
{
    if (gui_event_starts_idle(ev) || gui_event_ends_idle(ev))
        return true;
    switch (ev->kind) {
    case SIM_EV_TRAP:
    case SIM_EV_INTERRUPT:
    case SIM_EV_IRET:
    case SIM_EV_HALT:
    case SIM_EV_WAKE:
    case SIM_EV_POWEROFF:
    case SIM_EV_NESTEDFAULT:
    case SIM_EV_DMAFAULT: return true;
    default: return named(ev, "vmexit") || named(ev, "vmentry") || named(ev, "inject");
    }
}

const sim_event_t *gui_lane_event(const gui_lane_t *lane, size_t i)
{
    size_t at = lane->n < GUI_LANE_EVENTS ? i : (lane->head + i) % GUI_LANE_EVENTS;
    return &lane->ev[at];
}

static void lane_push(gui_lane_t *lane, const sim_event_t *ev)
{
    if (lane->n < GUI_LANE_EVENTS) {
        lane->ev[lane->n++] = *ev;
        return;
    }
    /* The oldest event leaves: the lane now starts in the mode it left behind. */
    const sim_event_t *old = &lane->ev[lane->head];
    if (old->kind == SIM_EV_MODE)
        lane->start_mode = (cpu_mode_t)old->mode;
    lane->start_cycle = old->cycle;
    lane->ev[lane->head] = *ev;
    lane->head = (lane->head + 1) % GUI_LANE_EVENTS;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    gui_record_t *r = ctx;
    r->recent[r->recent_seq++ % GUI_RECENT] = *ev;
    if (ev->kind == SIM_EV_WALK) {
        r->walks++;
        return;
    }
    if (ev->cpu >= SIM_MAX_CPUS)
        return;
    gui_lane_t *lane = &r->lane[ev->cpu];
    if (gui_event_starts_idle(ev) || gui_event_ends_idle(ev)) {
        gui_lane_account(lane, ev->cycle);
        lane->idle = gui_event_starts_idle(ev);
    }
    if (ev->kind == SIM_EV_MODE) {
        lane->mode = (cpu_mode_t)ev->mode;
        lane->vm = ev->vm;
        lane->vcpu = ev->vcpu;
        lane_push(lane, ev);
    } else if (gui_event_is_marker(ev)) {
        if (named(ev, "vmentry")) { /* the pCPU now runs this VM's VCPU */
            lane->vm = ev->vm;
            lane->vcpu = ev->vcpu;
        }
        lane_push(lane, ev);
    }
}

void gui_lane_account(gui_lane_t *lane, uint64_t now)
{
    unsigned slot = lane->idle ? GUI_IDLE : (unsigned)lane->mode;
    if (now > lane->mode_since && slot <= GUI_IDLE)
        lane->ring_cycles[slot] += now - lane->mode_since;
    lane->mode_since = now > lane->mode_since ? now : lane->mode_since;
}

int gui_record_init(gui_t *g)
{
    gui_record_t *r = &g->rec;
    memset(r, 0, sizeof *r);
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        gui_lane_t *lane = &r->lane[i];
        lane->ev = malloc(GUI_LANE_EVENTS * sizeof *lane->ev);
        if (!lane->ev)
            return -1;
        const cpu_t *cpu = ui_dbg_cpu(g->dbg, i);
        lane->mode = lane->start_mode = cpu_mode(cpu);
        lane->mode_since = lane->start_cycle = cpu->s.cycles;
        lane->vm = lane->vcpu = -1;
    }
    return sim_add_sink(g->m, on_event, r);
}

void gui_record_free(gui_t *g)
{
    sim_remove_sink(g->m, on_event, &g->rec);
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++) {
        free(g->rec.lane[i].ev);
        g->rec.lane[i].ev = NULL;
    }
}
