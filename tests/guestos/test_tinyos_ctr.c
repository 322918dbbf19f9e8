/*
 * test_tinyos_ctr.c - tinyos's containers (guestos/tinyos/container.inc, docs/containers.md):
 * each container's PID and file-system view, each of its limits enforced (CPU share, memory
 * cap, I/O rate) against a run without it, the shell's errors, and the whole session's exact
 * transcript natively and in a VM under the hypervisor.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

#define RAM (8u << 20)
#define MAX_CYCLES 1000000000ull

/* Boots tinyos with a shell script that must end in a power-off with exit code 0; the console
 * is copied out (free it) so the machine can go. */
static char *session(const char *script)
{
    sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "tinyos.img", RAM, script, MAX_CYCLES), SIM_RUN_POWEROFF,
                 "tinyos did not power off; console:\n%s", sim_console_captured(&m));
    cr_expect_eq(m.exit_code, 0, "exit code %u", m.exit_code);
    char *out = strdup(sim_console_captured(&m));
    sim_machine_free(&m);
    return out;
}

static void expect_text(const char *out, const char *text)
{
    cr_expect(strstr(out, text) != NULL, "no \"%s\" in:\n%s", text, out);
}

/* Where `text` first occurs in out (the test fails when it does not). */
static const char *at(const char *out, const char *text)
{
    const char *p = strstr(out, text);
    cr_assert_not_null(p, "no \"%s\" in:\n%s", text, out);
    return p;
}

/* ---- the views ------------------------------------------------------------------------------ */

/* Two containers each see themselves as pid 1, only their own processes, and their own /bin;
 * the host shell (also pid 1) sees the real table, its own /bin untouched. */
Test(tinyos_ctr, pid_and_file_system_views)
{
    char *out = session("run -c web view\nrun -c db view\nps\nrun -c web view\npoweroff\n");
    expect_text(out, "$ run -c web view\n[view] my pid is 1\n"
                     "[tinyos] /bin: view hello counter forkwait true big web\n"
                     "[tinyos]   pid  state     pages  program\n"
                     "[tinyos]     1  running     2  view\n$ ");
    expect_text(out, "$ run -c db view\n[view] my pid is 1\n"
                     "[tinyos] /bin: big view counter pagetouch db\n"
                     "[tinyos]   pid  state     pages  program\n"
                     "[tinyos]     1  running     2  view\n$ ");
    expect_text(out, "$ ps\n[tinyos]   pid  state     pages  program\n"
                     "[tinyos]     1  running     2  shell\n$ ");
    /* the namespace goes on counting: web's second process is its pid 2 */
    expect_text(out, "$ run -c web view\n[view] my pid is 2\n");
    free(out);
}

/* A child spawned inside a container is found in the container's /bin and gets the next id
 * there; wait answers with that id. */
Test(tinyos_ctr, children_stay_in_the_container)
{
    char *out = session("run -c web forkwait\nrun -c db forkwait\npoweroff\n");
    expect_text(out, "$ run -c web forkwait\n[forkwait] 5 rounds of spawn(true) + wait: ");
    /* db's /bin has no forkwait: the container cannot run what its root does not hold */
    expect_text(out, "$ run -c db forkwait\n[shell] cannot run 'forkwait' in container db\n");
    free(out);
}

/* ---- the limits ---------------------------------------------------------------------------- */

/* The share of two CPU-bound counters: with equal slices their rounds alternate; with web's
 * slice 4 ticks and cache's 1 tick, web's counter is through 4 rounds before cache's first. */
Test(tinyos_ctr, cpu_share_is_enforced)
{
    char *equal = session("run -c web counter &\nrun -c cache counter\nwait\npoweroff\n");
    char *shared = session("run -c web cpu=4 counter &\nrun -c cache cpu=1 counter\nwait\n"
                           "poweroff\n");
    /* both are pid 1 in their own namespace: the host's "pid 2 done" marks web's end */
    const char *web_done = at(shared, "[shell] pid 2 done, status 0\n");
    unsigned before = 0;
    for (const char *p = shared; (p = strstr(p, "] round ")) && p < web_done; p++)
        before++;
    cr_expect_eq(before, 6, "web's 5 rounds and cache's first before web ended:\n%s", shared);
    const char *web_done_eq = at(equal, "[shell] pid 2 done, status 0\n");
    unsigned before_eq = 0;
    for (const char *p = equal; (p = strstr(p, "] round ")) && p < web_done_eq; p++)
        before_eq++;
    cr_expect_geq(before_eq, 9, "equal shares alternate:\n%s", equal);
    free(equal);
    free(shared);
}

/* pagetouch needs 64 pages beyond its image: under a cap of 20 the container's page fault is
 * refused and the process killed, with a message that names the container; under 80 it runs.
 * ctrs counts the refusal. */
Test(tinyos_ctr, memory_cap_is_enforced)
{
    char *out = session("run -c db mem=20 pagetouch\nrun -c db mem=80 pagetouch\nctrs\n"
                        "poweroff\n");
    expect_text(out, "$ run -c db mem=20 pagetouch\n"
                     "[tinyos] container db: memory cap of 20 pages reached\n"
                     "[tinyos] process 2 (pagetouch) killed: store-page-fault at 0x40014000 "
                     "(pc 0x4000000c)\n[shell] exit status -1\n");
    expect_text(out, "$ run -c db mem=80 pagetouch\n[pagetouch] 64 fresh pages touched");
    expect_text(out, "[tinyos] container db: pages 0 (cap 80, refused 1), slice 1, io 0/tick ");
    free(out);
}

/* A program's image larger than the cap is not loaded at all. */
Test(tinyos_ctr, memory_cap_refuses_a_large_image)
{
    char *out = session("run -c web mem=4 big\npoweroff\n");
    expect_text(out, "$ run -c web mem=4 big\n"
                     "[tinyos] container web: memory cap of 4 pages reached\n"
                     "[shell] cannot run 'big' in container web\n");
    free(out);
}

/* big's 64 sectors at 4 sectors a tick: a page every 2 ticks, so its start comes about 16
 * ticks (1 ms, CYCLES_PER_MS, each) later than without the rate; the driver held it back. */
static long big_start(const char *out)
{
    const char *p = at(out, "[big] 8 pages loaded; running at cycle ");
    return strtol(p + strlen("[big] 8 pages loaded; running at cycle "), NULL, 10);
}

Test(tinyos_ctr, io_rate_is_enforced)
{
    char *free_run = session("run -c db big\nctrs\npoweroff\n");
    char *limited = session("run -c db io=4 big\nctrs\npoweroff\n");
    long delay = big_start(limited) - big_start(free_run);
    cr_expect_gt(delay, 14 * 3000000L, "io=4 started big only %ld cycles later", delay);
    cr_expect_lt(delay, 17 * 3000000L, "io=4 started big %ld cycles later", delay);
    expect_text(free_run, "io 0/tick (64 sectors, waits 0)");
    expect_text(limited, "io 4/tick (64 sectors, waits ");
    cr_expect_null(strstr(limited, "waits 0)"), "%s", limited);
    free(free_run);
    free(limited);
}

/* ---- the shell ----------------------------------------------------------------------------- */
Test(tinyos_ctr, shell_errors)
{
    char *out = session("run -c nope hello\nrun -c web\nrun -c web cpu=x hello\npoweroff\n");
    expect_text(out, "$ run -c nope hello\n[tinyos] no container root /ctr/nope/bin on the disk\n"
                     "[shell] cannot run 'hello' in container nope\n");
    expect_text(out, "$ run -c web\n[shell] usage: run -c NAME [cpu=TICKS] [mem=PAGES] "
                     "[io=SECTORS] PROGRAM\n");
    /* cpu=x is no option: it is taken as the program's name */
    expect_text(out, "$ run -c web cpu=x hello\n[shell] cannot run 'cpu=x' in container web\n");
    free(out);
}

/* ---- whole sessions, exactly ---------------------------------------------------------------- */
Test(tinyos_ctr, session_native_exactly)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario native-tinyos --input tests/data/containers/session.in",
                      false, &status);
    th_expect_golden("tests/data/containers/session-native.txt", out, "the native session");
    cr_expect_eq(status, 0);
    free(out);
}

Test(tinyos_ctr, session_under_the_hypervisor_exactly, .timeout = 60)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario tests/data/containers/under-hv.ini", false, &status);
    th_expect_golden("tests/data/containers/session-hv.txt", out, "the session in a VM");
    cr_expect_eq(status, 0);
    free(out);
}
