/*
 * test_snapshot.c - the completeness proof of snapshots (design principle 8, docs/snapshot.md):
 * for every built-in scenario, at several cycle points, the machine is saved, loaded into a
 * fresh machine and run to the end; its console transcripts, statistics, final cycles and its
 * whole final state (a snapshot of the end, byte for byte) equal the uninterrupted run's, and a
 * second save at the same point is byte-identical to the first. A piece of state that a
 * snapshot drops makes the continued run differ, and the message names the first section and
 * offset where the final states part.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"
#include "snap_util.h"

#define SPLITS 3

/* The proof for one scenario: SPLITS points spread over its run. At each, the machine is
 * saved and goes on; the copy loaded from the save must end exactly as the run it was saved
 * from (what a student sees, and its whole state, byte for byte), and as an uninterrupted run
 * (what a student sees). */
static void snapshots_are_complete(const char *name)
{
    static hv_scenario_t sc;
    static sim_machine_t m, fresh;
    su_start(&sc, &m, name);
    uint64_t max = sc.max_cycles;
    su_run_to_end(&m, max);
    uint64_t length = m.cpu[0].s.cycles;
    char *uninterrupted = su_fingerprint(&m);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
    for (unsigned i = 0; i < SPLITS; i++) {
        uint64_t at = length * (i + 1) / (SPLITS + 1);
        su_start(&sc, &m, name);
        su_run_to_end(&m, at);
        su_save_and_load(&m, &fresh, name);
        /* The original ends and is freed before the copy runs: a pointer into it that a load
         * kept would be a use after free (caught by make asan), not a silent success. */
        su_run_to_end(&m, max);
        char *want = su_fingerprint(&m);
        size_t want_len, got_len;
        uint8_t *want_state = su_state(&m, &want_len);
        hv_machine_release(&m);
        hv_scenario_free(&sc);
        su_run_to_end(&fresh, max);
        char *got = su_fingerprint(&fresh);
        cr_expect_str_eq(got, want,
                         "%s restored at cycle %llu: the end of the run it was saved "
                         "from",
                         name, (unsigned long long)at);
        cr_expect_str_eq(got, uninterrupted,
                         "%s restored at cycle %llu: the end of an uninterrupted run", name,
                         (unsigned long long)at);
        uint8_t *got_state = su_state(&fresh, &got_len);
        char what[96];
        snprintf(what, sizeof what, "%s restored at cycle %llu", name, (unsigned long long)at);
        su_expect_same_state(want_state, want_len, got_state, got_len, what);
        free(want_state);
        free(got_state);
        free(want);
        free(got);
        hv_machine_release(&fresh);
    }
    free(uninterrupted);
}

/* Every built-in scenario, split at a quarter, half and three quarters of its run (the
 * lengths: each one's run to the end, in CPU 0's cycles). */
#define X_TEST(id, name)                                                                           \
    Test(snapshot, complete_##id, .timeout = 120)                                                  \
    {                                                                                              \
        snapshots_are_complete(name);                                                              \
    }
SU_SCENARIOS(X_TEST)

/* Every built-in scenario is in the table. */
Test(snapshot, every_builtin_scenario_is_proved)
{
    su_expect_every_builtin_listed();
}
