/*
 * test_exec_events.c - the page walk's event is built only when someone reads it.
 *
 * A sink may ask for some kinds of event only (sim_add_sink_for). When no sink asks for WALK
 * events (and the accounting never reads them), the interpreter only counts each walk in
 * m->event_counts, as sim_emit would have: the counts, the cycles and what the sinks that do
 * listen see are the same as when a sink reads every walk.
 */
#include <criterion/criterion.h>

#include "../support/harness.h"

/* Identity tables for the first 1 MiB, paging on in K, then three loads from three pages
 * that no fetch has touched: each of them misses the TLB and walks. */
static const char walks_program[] =
    TH_IDENTITY_PAGING "        ld      r4, [r0 + 0x5000]\n"
                       "        ld      r4, [r0 + 0x6000]\n"
                       "        ld      r4, [r0 + 0x7000]\n" TH_POWEROFF;

typedef struct {
    unsigned seen[SIM_EV_COUNT];
    unsigned refs; /* the references WALK events reported */
} tally_t;

static void tally(const sim_event_t *ev, void *ctx)
{
    tally_t *t = ctx;
    t->seen[ev->kind]++;
    if (ev->kind == SIM_EV_WALK)
        t->refs += ev->b;
}

typedef struct {
    uint64_t cycles, walks, walk_events, poweroffs;
    tally_t poweroff_only, all;
} outcome_t;

/* Runs the program with a sink for POWEROFF events only and, when `listen_all`, one for every
 * kind. */
static outcome_t run(bool listen_all)
{
    sim_machine_t m;
    outcome_t o = {0};
    th_machine(&m, walks_program);
    cr_assert_eq(sim_add_sink_for(&m, tally, &o.poweroff_only, SIM_EV_BIT(SIM_EV_POWEROFF)), 0);
    if (listen_all)
        cr_assert_eq(sim_add_sink(&m, tally, &o.all), 0);
    cr_assert_eq(sim_event_heard(&m, SIM_EV_WALK), listen_all);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    o.cycles = m.cpu[0].s.cycles;
    o.walks = m.cpu[0].mmu.stats.walks;
    o.walk_events = m.event_counts[SIM_EV_WALK];
    o.poweroffs = m.event_counts[SIM_EV_POWEROFF];
    sim_machine_free(&m);
    return o;
}

Test(exec_events, a_walk_nobody_reads_is_counted_and_not_sent)
{
    outcome_t o = run(false);
    cr_expect_geq(o.walks, 3, "the three loads walk");
    cr_expect_eq(o.walk_events, o.walks, "every walk is counted as an event");
    cr_expect_eq(o.poweroff_only.seen[SIM_EV_WALK], 0, "a POWEROFF sink sees no walk");
    cr_expect_eq(o.poweroff_only.seen[SIM_EV_POWEROFF], 1);
    cr_expect_eq(o.poweroffs, 1);
}

Test(exec_events, a_sink_that_reads_walks_changes_no_figure)
{
    outcome_t quiet = run(false), heard = run(true);
    cr_expect_eq(heard.all.seen[SIM_EV_WALK], heard.walks, "the listening sink sees every walk");
    cr_expect_eq(heard.all.refs, 2 * heard.walks, "two references a walk (2 levels)");
    cr_expect_eq(heard.poweroff_only.seen[SIM_EV_WALK], 0);
    cr_expect_eq(heard.cycles, quiet.cycles, "listening costs no simulated cycle");
    cr_expect_eq(heard.walks, quiet.walks);
    cr_expect_eq(heard.walk_events, quiet.walk_events);
}

Test(exec_events, removing_the_last_listener_of_a_kind_stops_it_being_heard)
{
    sim_machine_t m;
    tally_t a = {0}, b = {0};
    th_machine(&m, walks_program);
    cr_assert_eq(sim_add_sink_for(&m, tally, &a, SIM_EV_BIT(SIM_EV_WALK)), 0);
    cr_assert_eq(sim_add_sink_for(&m, tally, &b, SIM_EV_BIT(SIM_EV_POWEROFF)), 0);
    cr_expect(sim_event_heard(&m, SIM_EV_WALK));
    sim_remove_sink(&m, tally, &a);
    cr_expect_not(sim_event_heard(&m, SIM_EV_WALK), "no sink asks for walks any more");
    cr_expect(sim_event_heard(&m, SIM_EV_POWEROFF));
    cr_expect(sim_event_heard(&m, SIM_EV_TRAP), "the accounting reads traps");
    sim_machine_free(&m);
}
