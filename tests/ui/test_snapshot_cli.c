/*
 * test_snapshot_cli.c - snapshots as a student uses them (docs/snapshot.md, docs/debugger.md):
 * `save FILE` in the debugger, `hvsim --restore FILE` in a fresh process going on exactly as
 * the saved run did, `restore FILE` of a bad file changing nothing, `hvsim snapshot info` and
 * `diff`, and the messages for bad snapshots.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"

/* A fresh directory for one test's files (removed by the shell command that ends the test). */
static void temp_dir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/hvsim-snapcli-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static char *run(const char *fmt, const char *dir, int *status)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, dir, dir, dir, dir);
    return th_sh(cmd, true, status);
}

/* The run restored in a fresh process prints exactly the rest of the uninterrupted run: the
 * console lines after the save point, then the same statistics. */
Test(snapshot_cli, a_restored_run_ends_as_the_uninterrupted_one, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    int status;
    char *whole = th_sh("$B/hvsim --scenario default", true, &status);
    cr_assert_eq(status, 0);
    char *saved = run("printf 'continue 2000000\\nsave %s/d.snap\\n' | $B/hvsim --repl "
                      "--scenario default",
                      dir, &status);
    cr_expect(strstr(saved, "Saved the machine at cycle 2 000 517 to ") != NULL, "%s", saved);
    char *rest = run("$B/hvsim --restore %s/d.snap", dir, &status);
    cr_expect_eq(status, 0);
    size_t lw = strlen(whole), lr = strlen(rest);
    cr_expect(lr > 1000 && lr < lw && strcmp(whole + lw - lr, rest) == 0,
              "the restored run is the end of the uninterrupted one:\n%s", rest);
    char *same = run("$B/hvsim snapshot diff %s/d.snap %s/d.snap", dir, &status);
    cr_expect_eq(status, 0);
    cr_expect(strstr(same, "the same machine\n") != NULL, "%s", same);
    cr_expect(strstr(same, "hypervisor:\n  its VMs and pCPUs are as they were\n") != NULL,
              "no bare header: %s", same);
    free(same);
    free(rest);
    free(saved);
    free(whole);
    free(run("rm -r %s", dir, &status));
}

/* A restore of a bad file is refused with the offset and the rule, and the machine stays as
 * it was: the same cycle, and it goes on to the same end. */
Test(snapshot_cli, restoring_a_bad_file_changes_nothing, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    int status;
    free(run("printf 'continue 1000000\\nsave %s/d.snap\\n' | $B/hvsim --repl --scenario default "
             "&& head -c 5000 %s/d.snap > %s/cut.snap",
             dir, &status));
    char *out = run("printf 'continue 500000\\nrestore %s/cut.snap\\nprint cycle\\n' | "
                    "$B/hvsim --repl --scenario default 2>&1",
                    dir, &status);
    char want[256];
    snprintf(want, sizeof want, "Cannot restore: %s/cut.snap: offset 5000: the header promises ",
             dir);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect(strstr(out, "truncated. The machine is as it was.\n") != NULL, "%s", out);
    cr_expect(strstr(out, "truncated. The machine is as it was.\n0x0007abf7 = 502775\n") != NULL,
              "still at the cycle it had:\n%s", out);
    free(out);
    out = run("$B/hvsim --restore %s/cut.snap", dir, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, "hvsim: ") == out && strstr(out, "truncated") != NULL, "%s", out);
    free(out);
    out = run("$B/hvsim --restore %s/nothing.snap", dir, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, "nothing.snap: cannot read the snapshot:") != NULL, "%s", out);
    free(out);
    out = run("$B/hvsim snapshot info %s/d.snap", dir, &status);
    cr_expect_eq(status, 0);
    cr_expect(strstr(out, "made by = hvsim 0.1\nscenario = default\ncycle = 1000") == out, "%s",
              out);
    cr_expect(strstr(out, "  RAM  0       33 554 432 bytes\n") != NULL, "%s", out);
    free(out);
    free(run("rm -r %s", dir, &status));
}

/* The debugger on a restored machine: its scenario's symbols, and the same end. */
Test(snapshot_cli, a_restored_machine_is_debugged_with_its_symbols, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    int status;
    free(run("printf 'continue 1500000\\nsave %s/d.snap\\ncontinue 3000000\\nsave %s/e.snap\\n' "
             "| $B/hvsim --repl --scenario default",
             dir, &status));
    char *out = run("printf 'info vms\\nprint tinyos:timer_tick\\n' | $B/hvsim --restore "
                    "%s/d.snap --repl",
                    dir, &status);
    cr_expect(strstr(out, "tinyos") != NULL, "%s", out);
    cr_expect(strstr(out, "No symbol") == NULL, "the kernel's symbols are loaded:\n%s", out);
    free(out);
    out = run("$B/hvsim snapshot diff %s/d.snap %s/e.snap", dir, &status);
    cr_expect_eq(status, 1, "they differ");
    cr_expect(strstr(out, "cpu0 cycles: ") != NULL, "%s", out);
    cr_expect(strstr(out, "pages differ\n") != NULL, "%s", out);
    free(out);
    free(run("rm -r %s", dir, &status));
}
