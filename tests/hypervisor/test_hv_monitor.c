/*
 * test_hv_monitor.c - binary translation's co-resident monitor (issue 15): under cpu = bt a
 * callout is a call into the monitor and a guest trap a trap into it, each charged its own
 * cost entry (bt_callout, bt_monitor_trap) and no VM exit or entry: no exit or entry cycles,
 * no VMCB words, no exit-path dispatch; real exits (a hypercall, halt, preemption) still are
 * VM exits. Each shows in the event stream as its own hypervisor action with a sentence.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"
#include "../../ui/debug/ui_debug.h"
#include "hv_util.h"

/* What a run's events say about the monitor and the exits. */
typedef struct {
    unsigned calls, traps, handlers; /* MONITOR_CALL, MONITOR_TRAP, HANDLER actions */
    unsigned exits, free_exits, entries, free_entries; /* VMEXIT / VMENTRY, and those of 0 span */
    unsigned free_nonexception; /* a free exit of another reason (must be none) */
    unsigned flagged_exits, flagged_entries; /* SIM_EVF_MONITOR: into and out of the monitor */
    bool inside;                             /* in the monitor since `entered` */
    uint64_t entered, in_monitor;     /* the last monitor entry's cycle; cycles spent in it */
    uint64_t account[SIM_TIME_COUNT]; /* the VM's time, from the machine's accounting */
} tally_t;

static void count(const sim_event_t *ev, void *ctx)
{
    tally_t *t = ctx;
    bool leaves = ev->kind == SIM_EV_VMENTRY || ev->kind == SIM_EV_HALT ||
                  (ev->kind == SIM_EV_HV && (ev->a == SIM_HV_IDLE || ev->a == SIM_HV_SWITCH));
    if (t->inside && leaves) { /* a return (or the pCPU goes to other work) */
        t->in_monitor += ev->cycle - t->entered;
        t->inside = false;
    }
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_MONITOR_CALL)
        t->calls++;
    else if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_MONITOR_TRAP)
        t->traps++;
    else if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_HANDLER)
        t->handlers++;
    else if (ev->kind == SIM_EV_VMEXIT) {
        if (ev->flags & SIM_EVF_MONITOR) {
            t->flagged_exits++;
            t->entered = ev->cycle;
            t->inside = true;
        }
        t->exits++;
        t->free_exits += ev->span == 0;
        t->free_nonexception += ev->span == 0 && ev->a != CPU_EXIT_EXCEPTION;
    } else if (ev->kind == SIM_EV_VMENTRY) {
        t->flagged_entries += (ev->flags & SIM_EVF_MONITOR) != 0;
        t->entries++;
        t->free_entries += ev->span == 0;
    }
}

/* A kernel with callouts (in of the UART's control, csrr ip, iret), a fault it handles (divide by zero) and a null
 * hypercall, which always exits: every way into the monitor, and a real VM exit. */
static const char guest[] = ".org 0x1000\n"
                            "la r1, handler\ncsrw tvec, r1\n"
                            "li r5, 20\n"
                            "loop: in r3, [0x3fa]\ncsrr r4, ip\n"
                            "li r6, 0\ndiv r7, r5, r6\n"
                            "li r1, 99\nhcall\n"
                            "addi r5, r5, -1\ncmpi r5, 0\nbne loop\n"
                            "out r0, [0xf0]\n"
                            "handler: csrr r8, epc\naddi r8, r8, 4\ncsrw epc, r8\niret\n";

static uint64_t run_guest(const sim_costs_t *costs, tally_t *t)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    m.costs = *costs;
    memset(t, 0, sizeof *t);
    cr_assert_eq(sim_add_sink(&m, count, t), 0);
    hv_vm_config_t c = {.cpu = HV_CPU_BT, .mem = HV_MEM_SHADOW, .pin = {-1, -1, -1, -1}};
    hu_vm(hv, "bt", guest, &c);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    uint64_t cycles = m.cpu[0].s.cycles;
    if (t->inside) /* powered off in the monitor: its span runs to the end */
        t->in_monitor += cycles - t->entered;
    sim_account_vm(&m, 0, t->account);
    hu_free(hv, &m);
    return cycles;
}

Test(hv_monitor, callouts_and_traps_enter_the_monitor_not_an_exit)
{
    sim_costs_t def;
    sim_costs_default(&def);
    tally_t t;
    run_guest(&def, &t);
    cr_expect_geq(t.calls, 60, "in, csrr ip and iret are callouts, 20 times each: %u", t.calls);
    cr_expect_geq(t.traps, 20, "each divide by zero traps into the monitor: %u", t.traps);
    cr_expect_eq(t.free_exits, t.calls + t.traps,
                 "each call and trap is a free hardware transfer (%u calls, %u traps, %u free)",
                 t.calls, t.traps, t.free_exits);
    cr_expect_eq(t.free_nonexception, 0, "only traps go to the monitor");
    cr_expect_eq(t.handlers, t.exits - t.free_exits,
                 "the exit path's dispatch runs for the real exits only");
    cr_expect_geq(t.exits - t.free_exits, 20, "each hcall is a real exit");
}

/* The event stream and the time accounting say it too: each call and trap is flagged as the
 * monitor's (SIM_EVF_MONITOR), each return as well, and the cycles between them are the BT
 * monitor's time, exactly, not the hypervisor's (the window's peach spans, `--stats`). */
Test(hv_monitor, the_monitor_has_its_own_time)
{
    sim_costs_t def;
    sim_costs_default(&def);
    tally_t t;
    run_guest(&def, &t);
    cr_expect_eq(t.flagged_exits, t.calls + t.traps, "%u flagged exits for %u calls and %u traps",
                 t.flagged_exits, t.calls, t.traps);
    cr_expect_eq(t.flagged_entries + 1, t.flagged_exits,
                 "each is returned from, but the last: the `out` that powers the VM off");
    cr_expect_eq(t.flagged_exits, t.free_exits, "only the free transfers are the monitor's");
    cr_expect_gt(t.in_monitor, 0);
    cr_expect_eq(t.account[SIM_TIME_MONITOR], t.in_monitor,
                 "the monitor's time (%llu) is the cycles from each call or trap to its return "
                 "(%llu)",
                 (unsigned long long)t.account[SIM_TIME_MONITOR], (unsigned long long)t.in_monitor);
}

/* The real exits and entries alone pay vm_exit and vm_entry: raising both by 1 000 adds
 * exactly 1 000 per real (non-free) exit and entry. */
Test(hv_monitor, only_world_switches_pay_exit_and_entry)
{
    sim_costs_t def;
    sim_costs_default(&def);
    tally_t t, u;
    uint64_t base = run_guest(&def, &t);
    sim_costs_t dear = def;
    dear.c[SIM_COST_vm_exit] += 1000;
    dear.c[SIM_COST_vm_entry] += 1000;
    uint64_t more = run_guest(&dear, &u);
    cr_expect_eq(u.exits, t.exits);
    cr_expect_eq(more - base, 1000ull * ((t.exits - t.free_exits) + (t.entries - t.free_entries)),
                 "%llu more cycles for %u real exits and %u real entries",
                 (unsigned long long)(more - base), t.exits - t.free_exits,
                 t.entries - t.free_entries);
}

/* Each call costs bt_callout and each trap bt_monitor_trap, exactly. */
Test(hv_monitor, calls_and_traps_cost_their_own_entries)
{
    sim_costs_t def;
    sim_costs_default(&def);
    tally_t t, u;
    uint64_t base = run_guest(&def, &t);
    sim_costs_t c = def;
    c.c[SIM_COST_bt_callout] += 1000;
    cr_expect_eq(run_guest(&c, &u) - base, 1000ull * t.calls);
    c = def;
    c.c[SIM_COST_bt_monitor_trap] += 1000;
    cr_expect_eq(run_guest(&c, &u) - base, 1000ull * t.traps);
    c = def;
    c.c[SIM_COST_hv_dispatch] += 1000;
    cr_expect_eq(run_guest(&c, &u) - base, 1000ull * (t.exits - t.free_exits),
                 "the monitor does not go through the exit path's dispatch");
}

/* The debugger's sentence says what it is. */
Test(hv_monitor, the_debugger_says_call_and_trap)
{
    int status;
    char *out = th_sh("printf 'break hv monitor-call\\nc\\nbreak hv monitor-trap\\nc\\n' | "
                      "$B/hvsim --repl --scenario bt",
                      true, &status);
    cr_expect(strstr(out, "calls into the co-resident monitor") &&
                  strstr(out, "(a call, not a VM exit)"),
              "%s", out);
    cr_expect(strstr(out, "traps into the co-resident monitor (a trap in the guest's own address "
                          "space, not a VM exit)"),
              "%s", out);
    free(out);
}
