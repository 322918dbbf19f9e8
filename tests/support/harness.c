/*
 * harness.c - shared test helpers (see harness.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

void th_machine(sim_machine_t *m, const char *src)
{
    cr_assert_eq(sim_machine_init(m, 1u << 20, 1), 0, "cannot build a machine");
    sim_console_set_output(m, NULL);
    cpu_asm_result_t res;
    char *diag = NULL;
    size_t diag_len = 0;
    FILE *d = open_memstream(&diag, &diag_len);
    int rc = cpu_asm_string("test.s", src, d, &res);
    fclose(d);
    cr_assert_eq(rc, 0, "the test program does not assemble:\n%s", diag);
    free(diag);
    cr_assert_eq(sim_load(m, res.base, res.bytes, res.size), 0);
    m->cpu[0].s.pc = res.base;
    cpu_asm_free(&res);
}

sim_run_result_t th_run(sim_machine_t *m, const char *src, uint64_t max_cycles)
{
    th_machine(m, src);
    return sim_run(m, max_cycles);
}

uint32_t th_run_reg(const char *src, uint64_t max_cycles, unsigned reg)
{
    sim_machine_t m;
    cr_assert_eq(th_run(&m, src, max_cycles), SIM_RUN_POWEROFF);
    uint32_t value = m.cpu[0].s.r[reg];
    sim_machine_free(&m);
    return value;
}

const char *th_build_dir(void)
{
    const char *b = getenv("HVSIM_BUILD");
    return b && *b ? b : "build";
}

char *th_sh(const char *cmdline, bool merge_stderr, int *status)
{
    size_t len = strlen(cmdline) + strlen(th_build_dir()) + 64;
    char *full = malloc(len);
    cr_assert_not_null(full);
    /* A CPU-time limit, so that a simulator that hangs fails its test instead of the suite. */
    snprintf(full, len, "B='%s'; ( ulimit -t 120; %s )%s", th_build_dir(), cmdline,
             merge_stderr ? " 2>&1" : "");
    FILE *p = popen(full, "r");
    cr_assert_not_null(p, "cannot run: %s", full);
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            cap *= 2;
            out = realloc(out, cap);
            cr_assert_not_null(out);
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(full);
    return out;
}

static void record(const sim_event_t *ev, void *ctx)
{
    th_events_t *rec = ctx;
    if (rec->n < sizeof rec->ev / sizeof rec->ev[0])
        rec->ev[rec->n++] = *ev;
}

void th_record_events(sim_machine_t *m, th_events_t *rec)
{
    rec->n = 0;
    cr_assert_eq(sim_add_sink(m, record, rec), 0);
}

void th_expect_golden(const char *path, const char *got, const char *what)
{
    const char *update = getenv("HVSIM_UPDATE_GOLDEN");
    if (update && *update == '1') {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fputs(got, f);
        fclose(f);
    }
    size_t len;
    char *want = sim_read_file(path, &len);
    cr_assert_not_null(want, "%s is missing (HVSIM_UPDATE_GOLDEN=1 writes it)", path);
    cr_expect_str_eq(got, want, "%s: the output differs from %s", what, path);
    free(want);
}

int th_expect_output(const char *cmdline, const char *want)
{
    int status;
    char *out = th_sh(cmdline, false, &status);
    cr_expect_str_eq(out, want, "%s: output differs", cmdline);
    free(out);
    return status;
}
