/*
 * test_figures.c - the figures a student reads, pinned: every built-in scenario's transcript
 * and statistics, a digest of its whole event trace, the bench guests' table and a loop that
 * walks on every iteration, bare and under nested paging.
 *
 * Work that only makes the simulator faster (issue 17: the TLB-miss path, predecoded blocks)
 * must leave every one of these byte-identical: the model does not change, only how fast it is
 * computed. A change to the model moves them on purpose; then regenerate the goldens with
 * HVSIM_UPDATE_GOLDEN=1 and read the diff.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "../../hypervisor/hv_scenario.h"
#include "../support/harness.h"

#define FIGURES "tests/data/figures/"
#define MAX_BUILTINS 64

/* The XXH64 of a file's bytes as 16 hex digits, or "none" when it cannot be read. */
static void file_digest(const char *path, char out[17])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(out, 17, "none");
        return;
    }
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        XXH64_update(st, buf, n);
    fclose(f);
    snprintf(out, 17, "%016llx", (unsigned long long)XXH64_digest(st));
    XXH64_freeState(st);
}

/* Runs `args` (after "$B/hvsim") with --stats and a --trace-out file; the output (stdout and
 * stderr), the exit status and the trace's digest must equal the golden `name`.out. */
static void expect_figures(const char *name, const char *args)
{
    char trace[] = "/tmp/hvsim-figures-XXXXXX";
    int fd = mkstemp(trace);
    cr_assert(fd >= 0, "cannot make a temporary file");
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "$B/hvsim %s --stats --trace-out %s", args, trace);
    int status;
    char *out = th_sh(cmd, true, &status);
    char digest[17];
    file_digest(trace, digest);
    unlink(trace);
    size_t len = strlen(out) + 128;
    char *got = malloc(len);
    cr_assert(got);
    snprintf(got, len, "%sexit status %d\ntrace digest %s\n", out, status, digest);
    char path[256];
    snprintf(path, sizeof path, FIGURES "%s.out", name);
    th_expect_golden(path, got, name);
    free(got);
    free(out);
}

ParameterizedTestParameters(figures, builtin)
{
    static size_t index[MAX_BUILTINS];
    size_t n = hv_builtin_count();
    cr_assert(n <= MAX_BUILTINS, "raise MAX_BUILTINS to %zu", n);
    for (size_t i = 0; i < n; i++)
        index[i] = i;
    return cr_make_param_array(size_t, index, n);
}

/* Every built-in scenario, headless, to its end. */
ParameterizedTest(size_t *i, figures, builtin, .timeout = 120)
{
    const char *name = hv_builtin_name(*i);
    char args[256];
    snprintf(args, sizeof args, "--headless --scenario %s", name);
    expect_figures(name, args);
}

/* The guest kernels on bare hardware, which hv_builtin_count does not list. */
Test(figures, native_tinyos, .timeout = 60)
{
    expect_figures("native-tinyos", "--headless --scenario native-tinyos");
}

Test(figures, native_rtos, .timeout = 60)
{
    expect_figures("native-rtos", "--headless --scenario native-rtos");
}

/* A TLB miss and a walk on every iteration, with A/D write-backs, on the bare machine. */
Test(figures, walk_loop_bare, .timeout = 60)
{
    expect_figures("walk-loop", "--bare " FIGURES "walk-loop.s");
}

/* The same loop in two VMs: 2-D walks over lazily backed memory, and over large nested pages
 * with the nested TLB. */
Test(figures, walk_loop_nested, .timeout = 60)
{
    expect_figures("walk-loop-nested", "--headless --scenario " FIGURES "walk-loop-nested.ini");
}

/* The bench guests' table under every technique and every cost profile. */
Test(figures, bench_virt, .timeout = 120)
{
    int status;
    char *out = th_sh("$B/hvsim bench-virt --compare", true, &status);
    cr_expect_eq(status, 0, "bench-virt --compare exits with %d", status);
    th_expect_golden(FIGURES "bench-virt.out", out, "bench-virt --compare");
    free(out);
}
