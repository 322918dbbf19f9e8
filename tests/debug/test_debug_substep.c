/*
 * test_debug_substep.c - a sub-step of a VM exit shows the truth (issue 13): stepped through
 * with `step event`, the exiting VCPU's registers, pc and flags that the debugger shows at
 * each hypervisor action (and at the VM entry) are the ones the machine held at that moment.
 * The reference is a second run of the same scenario without a debugger, whose event sink
 * reads the VCPU's VMCB (the live CPU at the entry) as each action happens (a pCPU with no
 * VCPU, or one the scheduler has just chosen, shows no registers); and from one
 * action to the next, registers change only where the action says (set-reg: its register;
 * skip: the pc; a reflected trap or an emulated instruction: the pc and flags). Memory too:
 * the VCPU's VMCB page read through the debugger (x) at a sub-step is what RAM held at that
 * action, not after the whole handling.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"

/* The exits a case follows: of VM 0's VCPU 0, with this reason (and qualification, unless
 * any_qual), the first `count` of them. */
typedef struct {
    const char *scenario, *reason;
    unsigned reason_code;
    uint32_t qual;
    bool any_qual;
    unsigned count;
} substep_case_t;

/* The VCPU at one sub-step: the event and the state a stop there must show. */
typedef struct {
    sim_event_t ev;
    bool none; /* no VCPU is loaded on the pCPU (it idles): no registers to show */
    uint32_t r[CPU_NREGS], pc, flags;
    uint32_t vmcb;                   /* hpa of the VCPU's VMCB, */
    uint8_t vmcb_ram[CPU_VMCB_SIZE]; /* and what RAM held there at that moment */
} truth_t;

typedef struct {
    const substep_case_t *c;
    sim_machine_t *m;
    hv_t *hv;
    bool recording;
    unsigned exits, cpu;
    truth_t t[512];
    unsigned n;
} oracle_t;

static bool wanted_exit(const substep_case_t *c, const sim_event_t *ev)
{
    return ev->kind == SIM_EV_VMEXIT && ev->vm == 0 && ev->vcpu == 0 && ev->a == c->reason_code &&
           (c->any_qual || ev->b == c->qual);
}

/* The reference run's sink: the VMCB's guest state at each action of a followed exit, the
 * CPU's own at its entry. */
static void oracle_sink(const sim_event_t *ev, void *ctx)
{
    oracle_t *o = ctx;
    if (!o->recording) {
        if (o->exits < o->c->count && wanted_exit(o->c, ev)) {
            o->recording = true;
            o->exits++;
            o->cpu = ev->cpu;
        }
        return;
    }
    if (ev->cpu != o->cpu || (ev->kind != SIM_EV_HV && ev->kind != SIM_EV_VMENTRY))
        return;
    cr_assert_lt(o->n, sizeof o->t / sizeof o->t[0]);
    truth_t *t = &o->t[o->n++];
    const cpu_t *cpu = &o->m->cpu[ev->cpu];
    t->ev = *ev;
    int cur = o->hv->pcpu[ev->cpu].current;
    t->vmcb = cur >= 0 ? o->hv->ent[cur].vmcb : 0;
    if (t->vmcb)
        memcpy(t->vmcb_ram, o->m->ram + t->vmcb, CPU_VMCB_SIZE);
    if (ev->kind == SIM_EV_VMENTRY) {
        memcpy(t->r, cpu->s.r, sizeof t->r);
        t->pc = cpu->s.pc;
        t->flags = cpu->s.flags;
        o->recording = false;
        return;
    }
    int e = o->hv->pcpu[ev->cpu].current;
    if (e < 0 || o->hv->ent[e].host_process || (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWITCH)) {
        /* nothing loaded, or a switch: the chosen VCPU is yet to be entered, not at an exit */
        t->none = true;
        return;
    }
    uint32_t vmcb = o->hv->ent[e].vmcb; /* the VCPU loaded there (a switch may change it) */
    for (unsigned i = 0; i < CPU_NREGS; i++)
        t->r[i] = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(i));
    t->pc = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
    t->flags = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
}

static void run_reference(const substep_case_t *c, oracle_t *o)
{
    hv_scenario_t sc;
    sim_machine_t m;
    memset(o, 0, sizeof *o);
    o->c = c;
    o->m = &m;
    o->hv = hu_scenario(&sc, &m, c->scenario);
    cr_assert_eq(sim_add_sink(&m, oracle_sink, o), 0);
    while (o->exits < c->count || o->recording) {
        uint64_t before = m.cpu[0].s.cycles;
        sim_run_result_t r = sim_run(&m, before + 20000);
        cr_assert(r != SIM_RUN_POWEROFF && m.cpu[0].s.cycles > before,
                  "%s: the reference run saw %u of the %u exits", c->scenario, o->exits, c->count);
    }
    hu_scenario_free(&sc, o->hv, &m);
}

/* Between two sub-steps, what may change: set-reg its register, skip the pc, and an action
 * that delivers or emulates (reflect, emulate, inject, the entry) the pc and flags. */
static void expect_only_announced_changes(const truth_t *before, const truth_t *now)
{
    const sim_event_t *ev = &now->ev;
    char what[48];
    snprintf(what, sizeof what, "%s at cycle %llu",
             ev->kind == SIM_EV_HV ? sim_hv_action_name(ev->a) : "entry",
             (unsigned long long)ev->cycle);
    for (unsigned i = 0; i < CPU_NREGS; i++)
        if (!(ev->kind == SIM_EV_HV && ev->a == SIM_HV_SET_REG && ev->b == i))
            cr_expect_eq(now->r[i], before->r[i], "%s changed r%u", what, i);
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SET_REG)
        cr_expect_eq(now->r[ev->b], ev->pc, "%s: r%u is the value written", what, ev->b);
    bool moves =
        ev->kind == SIM_EV_HV && (ev->a == SIM_HV_SKIP || ev->a == SIM_HV_TRAP_REFLECT ||
                                  ev->a == SIM_HV_TRAP_EMULATE || ev->a == SIM_HV_BT_CALLOUT);
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SKIP) {
        cr_expect_eq(before->pc, ev->b, "%s: from the instruction", what);
        cr_expect_eq(now->pc, ev->pc, "%s: to the next", what);
    } else if (!moves) {
        cr_expect_eq(now->pc, before->pc, "%s moved the pc", what);
    }
}

/* The VMCB's page read through the debugger (hpa, as `x` reads it) is what RAM held then. */
static void expect_vmcb_memory(ui_dbg_t *dbg, const truth_t *t, const char *scenario,
                               const char *at)
{
    static uint8_t seen[CPU_VMCB_SIZE];
    if (!t->vmcb)
        return;
    cr_assert_eq(ui_dbg_read(dbg, UI_DBG_SPACE_HPA, t->vmcb, seen, sizeof seen), 0, "%s",
                 ui_dbg_error(dbg));
    for (unsigned i = 0; i < CPU_VMCB_SIZE; i += 4)
        if (memcmp(seen + i, t->vmcb_ram + i, 4) != 0) {
            cr_expect_fail("%s at %s: hpa 0x%08x (VMCB word 0x%03x) reads 0x%08x, RAM held "
                           "0x%08x",
                           scenario, at, t->vmcb + i, i,
                           (unsigned)(seen[i] | seen[i + 1] << 8 | seen[i + 2] << 16 |
                                      (uint32_t)seen[i + 3] << 24),
                           (unsigned)(t->vmcb_ram[i] | t->vmcb_ram[i + 1] << 8 |
                                      t->vmcb_ram[i + 2] << 16 |
                                      (uint32_t)t->vmcb_ram[i + 3] << 24));
            return;
        }
    cr_expect_null(ui_dbg_memory_note(dbg), "%s at %s: every write was kept", scenario, at);
}

static void check_case(const substep_case_t *c)
{
    static oracle_t o; /* large: off the stack */
    run_reference(c, &o);
    cr_assert_gt(o.n, c->count, "%s: sub-steps recorded", c->scenario);

    hv_scenario_t sc;
    sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, c->scenario);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    cr_assert_gt(ui_dbg_break_exit(dbg, c->reason, 0), 0, "%s", ui_dbg_error(dbg));
    unsigned k = 0, exits = 0;
    ui_dbg_stop_t st;
    while (exits < c->count) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0, "%s", ui_dbg_error(dbg));
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        if (!wanted_exit(c, &st.ev))
            continue;
        exits++;
        truth_t prev; /* the state at the exit: the VMCB as the exit saved it */
        ui_dbg_view_t view;
        ui_dbg_view(dbg, st.cpu, &view);
        cr_assert_eq(view.kind, UI_DBG_VIEW_GUEST);
        memcpy(prev.r, view.s.r, sizeof prev.r);
        prev.pc = view.s.pc;
        for (bool entered = false; !entered;) {
            cr_assert_eq(ui_dbg_step_event(dbg, &st), 0, "%s", ui_dbg_error(dbg));
            cr_assert_eq(st.kind, UI_DBG_STOP_EVENT, "%s", st.text);
            if (st.ev.cpu != o.t[k].ev.cpu ||
                (st.ev.kind != SIM_EV_HV && st.ev.kind != SIM_EV_VMENTRY))
                continue; /* another pCPU's event, or a walk: not a sub-step of this exit */
            const truth_t *t = &o.t[k++];
            cr_assert_eq(st.ev.kind, t->ev.kind, "%s: sub-step %u", c->scenario, k);
            cr_assert_eq(st.ev.a, t->ev.a, "%s: sub-step %u: %s", c->scenario, k, st.text);
            cr_assert_eq(st.ev.cycle, t->ev.cycle, "%s: sub-step %u", c->scenario, k);
            ui_dbg_view(dbg, st.cpu, &view);
            if (t->none) {
                cr_expect_eq(view.kind, UI_DBG_VIEW_NONE, "%s at %s", c->scenario, st.text);
                continue;
            }
            for (unsigned i = 0; i < CPU_NREGS; i++)
                cr_expect_eq(view.s.r[i], t->r[i], "%s at %s: r%u", c->scenario, st.text, i);
            cr_expect_eq(view.s.pc, t->pc, "%s at %s: pc", c->scenario, st.text);
            cr_expect_eq(view.s.flags, t->flags, "%s at %s: flags", c->scenario, st.text);
            uint64_t pc;
            cr_assert_eq(ui_dbg_eval(dbg, "$pc", &pc), 0, "%s", ui_dbg_error(dbg));
            cr_expect_eq(pc, t->pc, "%s at %s: $pc", c->scenario, st.text);
            expect_vmcb_memory(dbg, t, c->scenario, st.text);
            expect_only_announced_changes(&prev, t);
            prev = *t;
            entered = st.ev.kind == SIM_EV_VMENTRY;
        }
    }
    cr_expect_eq(k, o.n, "%s: as many sub-steps as the reference saw", c->scenario);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(debug_substep, io_port, .timeout = 120)
{
    check_case(&(substep_case_t){"default", "IO_PORT", CPU_EXIT_IO_PORT, 0, true, 3});
}

Test(debug_substep, trap_and_emulate_privileged_instructions, .timeout = 120)
{
    check_case(&(substep_case_t){"trap", "EXCEPTION", CPU_EXIT_EXCEPTION, CPU_CAUSE_PRIVILEGED,
                                 false, 12});
}

Test(debug_substep, nested_fault, .timeout = 120)
{
    check_case(&(substep_case_t){"lazy", "NESTED_FAULT", CPU_EXIT_NESTED_FAULT, 0, true, 3});
}

Test(debug_substep, shadow_fill, .timeout = 120)
{
    check_case(&(substep_case_t){"shadow", "EXCEPTION", CPU_EXIT_EXCEPTION,
                                 CPU_CAUSE_FETCH_PAGE_FAULT, false, 3});
}

Test(debug_substep, type2_io_port, .timeout = 120)
{
    check_case(&(substep_case_t){"type2", "IO_PORT", CPU_EXIT_IO_PORT, 0, true, 3});
}
