/*
 * test_bench_io.c - `hvsim bench-io`: the I/O paths compared on one transfer (tinyos's
 * netbench). Exact figures (the runs are deterministic), the JSON form with the same figures,
 * and what the mechanisms say must hold between the paths (docs/experiments.md).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

Test(bench_io, the_table_exactly, .timeout = 60)
{
    int status;
    char *out = th_sh("$B/hvsim bench-io", false, &status);
    cr_assert_eq(status, 0, "%s", out);
    const char *want = "path             cycles   exits   hypervisor        guest      bytes "
                       "cycles per KiB   ratio\n"
                       "native           624150       0            0       624150      48448       "
                       "   13192   1.00x\n"
                       "emulated         718520     107       109788       608732      48448       "
                       "   15186   1.15x\n"
                       "paravirtual      601520      30        54656       546864      48448       "
                       "   12713   0.96x\n"
                       "passthrough      624290       0            0       624290      48448       "
                       "   13195   1.00x\n";
    cr_expect(!strncmp(out, want, strlen(want)), "want:\n%s\ngot:\n%s", want, out);
    free(out);
}

static long long field(json_t *paths, size_t i, const char *key)
{
    return (long long)json_integer_value(json_object_get(json_array_get(paths, i), key));
}

/* The same figures as JSON, and the relations the mechanisms give: no exit natively or by
 * passthrough, fewer by the paravirtual queues (one kick per batch) than by the emulated
 * card's registers; on one pCPU the guest's and the hypervisor's cycles are the window's. */
Test(bench_io, json_and_the_relations_between_the_paths, .timeout = 60)
{
    int status;
    char *out = th_sh("$B/hvsim bench-io --json", false, &status);
    cr_assert_eq(status, 0, "%s", out);
    json_error_t err;
    json_t *root = json_loads(out, 0, &err);
    cr_assert_not_null(root, "%s: %s", err.text, out);
    json_t *paths = json_object_get(root, "paths");
    cr_assert_eq(json_array_size(paths), 4);
    const char *names[] = {"native", "emulated", "paravirtual", "passthrough"};
    for (size_t i = 0; i < 4; i++) {
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(paths, i), "path")),
                         names[i]);
        cr_expect_eq(field(paths, i, "bytes"), 48448, "16 pings and answers of 1 514 bytes");
        cr_expect_eq(field(paths, i, "guest_cycles") + field(paths, i, "hypervisor_cycles"),
                     field(paths, i, "cycles"), "%s", names[i]);
    }
    cr_expect_eq(field(paths, 0, "exits"), 0);
    cr_expect_eq(field(paths, 3, "exits"), 0);
    cr_expect_eq(field(paths, 1, "exits"), 107);
    cr_expect_eq(field(paths, 2, "exits"), 30);
    cr_expect_eq(field(paths, 1, "cycles_per_kib"), 15186);
    cr_expect_lt(field(paths, 2, "hypervisor_cycles"), field(paths, 1, "hypervisor_cycles"));
    json_decref(root);
    free(out);
}

Test(bench_io, a_bad_argument_is_refused)
{
    int status;
    char *out = th_sh("$B/hvsim bench-io --bogus", true, &status);
    cr_expect_eq(status, 2);
    cr_expect_str_eq(out, "hvsim bench-io: unexpected argument '--bogus' (only --json)\n");
    free(out);
}
