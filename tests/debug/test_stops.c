/*
 * test_stops.c - a stop is invisible (issue 18): for every built-in scenario, a run that the
 * debugger stops many times (at cycle limits in the middle of pCPUs' turns, single steps on
 * every pCPU, a VM exit stepped through sub-step by sub-step and back into the guest) ends
 * exactly as one that ran straight through: the same final cycles, consoles and statistics,
 * the same stream of events, and the same whole machine state (its snapshot bytes). Reverse
 * execution replays from a checkpoint and stops where it was asked: it rests on this.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"
#include "../hypervisor/snap_util.h"

#define STOPS 5 /* points spread over the run where the debugger stops */

/* A hash of every event the machine emits (FNV-1a over the fields a trace shows). */
static void hash_event(const sim_event_t *ev, void *ctx)
{
    uint64_t *h = ctx;
    const uint64_t fields[] = {
        ev->cycle,          ev->kind, ev->cpu, ev->mode, ev->from_mode, (uint64_t)ev->vm,
        (uint64_t)ev->vcpu, ev->pc,   ev->a,   ev->b,    ev->span,      ev->charged};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        for (unsigned byte = 0; byte < 8; byte++) {
            *h ^= (fields[i] >> (8 * byte)) & 0xff;
            *h *= 0x100000001b3ull;
        }
}

/* How a run ended: what a student sees, its events and its whole state. */
typedef struct {
    char *seen;
    uint64_t events;
    uint8_t *state;
    size_t state_len;
} ending_t;

static void take_ending(sim_machine_t *m, uint64_t events, ending_t *out)
{
    out->seen = su_fingerprint(m);
    out->events = events;
    out->state = su_state(m, &out->state_len);
}

static void expect_same_ending(const ending_t *got, const ending_t *want, const char *what)
{
    cr_expect_str_eq(got->seen, want->seen, "%s: what a student sees at the end", what);
    cr_expect_eq(got->events, want->events, "%s: the stream of events", what);
    su_expect_same_state(want->state, want->state_len, got->state, got->state_len, what);
}

static void free_ending(ending_t *e)
{
    free(e->seen);
    free(e->state);
}

/* Stops at an exit and steps through the hypervisor's handling of it and on into the guest
 * (the single steps around an exit). No exit left to stop at is no failure: the run ended. */
static void step_through_an_exit(ui_dbg_t *d)
{
    ui_dbg_stop_t st;
    int bp = ui_dbg_break_exit(d, "any", -1);
    cr_assert_gt(bp, 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_continue(d, &st), 0, "%s", ui_dbg_error(d));
    ui_dbg_delete(d, bp);
    if (st.kind != UI_DBG_STOP_BREAKPOINT)
        return;
    for (unsigned i = 0; i < 3 && !ui_dbg_machine(d)->powered_off; i++)
        cr_assert_eq(ui_dbg_step_event(d, &st), 0, "%s", ui_dbg_error(d));
    for (unsigned i = 0; i < 4 && !ui_dbg_machine(d)->powered_off; i++)
        cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
}

/* Stops the debugger at `at` on the focus pCPU `cpu` (when it has not passed it), then single
 * steps there. (The pCPU must be running something then: a pCPU with nothing to run executes
 * no instruction where the debugger could stop.) */
static void stop_at(ui_dbg_t *d, unsigned cpu, uint64_t at)
{
    ui_dbg_stop_t st;
    sim_machine_t *m = ui_dbg_machine(d);
    cr_assert_eq(ui_dbg_set_focus(d, cpu), 0, "%s", ui_dbg_error(d));
    if (m->powered_off)
        return;
    if (m->cpu[cpu].s.cycles < at)
        cr_assert_eq(ui_dbg_run_cycles(d, at - m->cpu[cpu].s.cycles, &st), 0, "%s",
                     ui_dbg_error(d));
    cr_assert_neq(st.kind, UI_DBG_STOP_POWEROFF, "the stop at %llu on pCPU %u",
                  (unsigned long long)at, cpu);
    for (uint64_t n = 1; n <= 3 && !m->powered_off; n++)
        cr_assert_eq(ui_dbg_stepi(d, n, &st), 0, "%s", ui_dbg_error(d));
}

static void stops_are_invisible(const char *name)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    uint64_t events = 0xcbf29ce484222325ull;
    su_start(&sc, &m, name);
    cr_assert_eq(sim_add_sink(&m, hash_event, &events), 0);
    uint64_t max = sc.max_cycles;
    su_run_to_end(&m, max);
    uint64_t length = m.cpu[0].s.cycles;
    /* the pCPUs that ran instructions for most of the run (the others may idle there), and
     * did not idle most of it (a VM that powers off early leaves its pCPU idle: balloon) */
    unsigned busy[SIM_MAX_CPUS], nbusy = 0;
    uint64_t most = 0;
    for (unsigned c = 0; c < m.ncpus; c++)
        most = m.cpu[c].s.instret > most ? m.cpu[c].s.instret : most;
    unsigned least_idle = 0; /* when every pCPU idles most of the run (1 ms ticks): the one
                              * that idles least */
    uint64_t idle_min = UINT64_MAX;
    for (unsigned c = 0; c < m.ncpus; c++) {
        uint64_t time[SIM_TIME_COUNT];
        sim_account_cpu(&m, c, time, NULL);
        if (m.cpu[c].s.instret * 4 >= most * 3 && time[SIM_TIME_IDLE] * 2 < length)
            busy[nbusy++] = c;
        if (time[SIM_TIME_IDLE] < idle_min) {
            idle_min = time[SIM_TIME_IDLE];
            least_idle = c;
        }
    }
    if (!nbusy)
        busy[nbusy++] = least_idle;
    ending_t straight, stopped;
    take_ending(&m, events, &straight);
    hv_machine_release(&m);
    hv_scenario_free(&sc);

    events = 0xcbf29ce484222325ull;
    su_start(&sc, &m, name);
    cr_assert_eq(sim_add_sink(&m, hash_event, &events), 0);
    ui_dbg_t *d = ui_dbg_new(&m);
    cr_assert_not_null(d);
    ui_dbg_set_max_cycles(d, max);
    for (unsigned k = 1; k <= STOPS; k++) {
        /* odd points over the first half (when every busy pCPU still runs), on the busy
         * pCPUs in turn: never the end of a turn by chance */
        stop_at(d, busy[k % nbusy], length * k / (2 * STOPS + 1) + 37 * k);
        if (k == STOPS / 2 && hv_of_machine(&m))
            step_through_an_exit(d);
    }
    ui_dbg_stop_t st;
    while (!m.powered_off && m.cpu[0].s.cycles < max) {
        cr_assert_eq(ui_dbg_continue(d, &st), 0, "%s", ui_dbg_error(d));
        if (st.kind == UI_DBG_STOP_IDLE || st.kind == UI_DBG_STOP_LIMIT)
            break;
    }
    ui_dbg_free(d);
    take_ending(&m, events, &stopped);
    char what[96];
    snprintf(what, sizeof what, "%s stopped %u times on its way", name, STOPS);
    expect_same_ending(&stopped, &straight, what);
    free_ending(&straight);
    free_ending(&stopped);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

/* A machine-level limit (sim_run's max_cycles) inside a turn is a stop too: the bare run to
 * an odd cycle, then on, ends as the straight run. */
static void limits_are_invisible(const char *name)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    uint64_t events = 0xcbf29ce484222325ull;
    su_start(&sc, &m, name);
    cr_assert_eq(sim_add_sink(&m, hash_event, &events), 0);
    su_run_to_end(&m, sc.max_cycles);
    uint64_t length = m.cpu[0].s.cycles;
    ending_t straight, stopped;
    take_ending(&m, events, &straight);
    hv_machine_release(&m);
    hv_scenario_free(&sc);

    events = 0xcbf29ce484222325ull;
    su_start(&sc, &m, name);
    cr_assert_eq(sim_add_sink(&m, hash_event, &events), 0);
    for (unsigned k = 1; k <= 4 * STOPS; k++)
        su_run_to_end(&m, length * k / (4 * STOPS + 1) + 101 * k);
    su_run_to_end(&m, sc.max_cycles);
    take_ending(&m, events, &stopped);
    expect_same_ending(&stopped, &straight, name);
    free_ending(&straight);
    free_ending(&stopped);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

#define X_TEST(id, name)                                                                           \
    Test(stops, debugger_##id, .timeout = 120)                                                     \
    {                                                                                              \
        stops_are_invisible(name);                                                                 \
    }                                                                                              \
    Test(stops, limit_##id, .timeout = 120)                                                        \
    {                                                                                              \
        limits_are_invisible(name);                                                                \
    }
SU_SCENARIOS(X_TEST)

/* Every built-in scenario is in the table above. */
Test(stops, every_builtin_scenario_is_covered)
{
    su_expect_every_builtin_listed();
}

/* ------------------------------------------------------------------------------------------
 * Stepping backwards (debug_reverse.c)
 * ------------------------------------------------------------------------------------------ */
/* Steps forward N and back N (and forward again) on each busy pCPU: the machine is back
 * byte for byte where it was, and forward again where it went. The steps are the same both
 * ways: an instruction that exited and that the hypervisor completed is one step, though it
 * retires nothing on the CPU. */
static void back_and_forth(const char *name, uint64_t n)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    su_start(&sc, &m, name);
    ui_dbg_t *d = ui_dbg_new(&m);
    cr_assert_not_null(d);
    ui_dbg_set_max_cycles(d, sc.max_cycles);
    cr_assert_eq(ui_dbg_set_checkpoint_interval(d, 20000), 0, "%s", ui_dbg_error(d));
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(d, 150000, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_gt(ui_dbg_checkpoint_count(d), 5, "checkpoints were taken on the way");
    /* a point where reverse-stepi can land: the first boundary after an instruction */
    cr_assert_eq(ui_dbg_reverse_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    /* (the sentence goes on when it stepped over an exit's handling: test_reverse.c) */
    cr_expect_eq(strncmp(st.text, "Stepped back 1 instruction on cpu0.", 35), 0, "%s", st.text);
    size_t here_len, there_len, back_len, again_len;
    uint8_t *here = su_state(&m, &here_len);
    uint64_t instret = m.cpu[0].s.instret;
    uint64_t steps = 0; /* a step into idleness ends the walk (stepi N stops there too) */
    while (steps < n && strstr(st.text, "is idle") == NULL) {
        cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
        steps++;
    }
    uint8_t *there = su_state(&m, &there_len);
    uint64_t went = m.cpu[0].s.instret - instret;
    cr_assert_gt(went, 0);
    cr_assert_eq(ui_dbg_reverse_stepi(d, steps, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(m.cpu[0].s.instret, instret);
    uint8_t *back = su_state(&m, &back_len);
    char what[96];
    snprintf(what, sizeof what, "%s: %llu steps forward and back (%llu retired)", name,
             (unsigned long long)steps, (unsigned long long)went);
    su_expect_same_state(here, here_len, back, back_len, what);
    cr_assert_eq(ui_dbg_stepi(d, steps, &st), 0, "%s", ui_dbg_error(d));
    uint8_t *again = su_state(&m, &again_len);
    snprintf(what, sizeof what, "%s: back and forward again", name);
    su_expect_same_state(there, there_len, again, again_len, what);
    free(here);
    free(there);
    free(back);
    free(again);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

Test(reverse, stepi_back_and_forth_native, .timeout = 120)
{
    back_and_forth("native-tinyos", 500);
}

Test(reverse, stepi_back_and_forth_under_the_hypervisor, .timeout = 120)
{
    back_and_forth("default", 500);
}

Test(reverse, stepi_back_and_forth_trap_and_emulate, .timeout = 120)
{
    back_and_forth("trap", 2000);
}

Test(reverse, stepi_back_and_forth_shadow_paging, .timeout = 120)
{
    back_and_forth("shadow", 2000);
}

Test(reverse, stepi_back_and_forth_binary_translation, .timeout = 120)
{
    back_and_forth("bt", 2000);
}

Test(reverse, stepi_back_and_forth_emulated, .timeout = 120)
{
    back_and_forth("emu", 500);
}

Test(reverse, errors)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    su_start(&sc, &m, "default");
    ui_dbg_t *d = ui_dbg_new(&m);
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_reverse_stepi(d, 0, &st), -1);
    cr_expect_str_eq(ui_dbg_error(d), "Stepping back 0 instructions does nothing; give 1 or more.");
    cr_expect_eq(ui_dbg_reverse_stepi(d, 1, &st), -1);
    cr_expect_str_eq(ui_dbg_error(d), "cpu0 has retired only 0 instructions: it cannot go back 1.");
    cr_expect_eq(ui_dbg_set_checkpoint_interval(d, 999), -1);
    cr_expect_eq(ui_dbg_checkpoint_interval(d), UI_DBG_CHECKPOINT_INTERVAL);
    cr_assert_eq(ui_dbg_run_cycles(d, 30000, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_set_register(d, "r1", 5), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(ui_dbg_checkpoint_count(d), 0, "an edit drops the checkpoints");
    cr_expect_eq(ui_dbg_reverse_stepi(d, 1, &st), -1);
    cr_expect_str_eq(ui_dbg_error(d), "There is no checkpoint that far back (the first was taken "
                                      "when the debugger first ran the machine).");
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}
