/*
 * test_bench_virt.c - `hvsim bench-virt`: the technique table has every row, the JSON form
 * the same data with a key per technique, and the figures follow from the mechanisms
 * (docs/experiments.md).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static const char *const rows[] = {"syscall", "in",      "in2",    "csrwr",    "imwr",   "callret",
                                   "pgfault", "divzero", "ptemod", "forkwait", "compute"};
#define NROWS (sizeof rows / sizeof rows[0])

Test(bench_virt, the_table_has_every_row, .timeout = 60)
{
    int status;
    char *out = th_sh("$B/hvsim bench-virt", false, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_expect(strstr(out, "native") && strstr(out, "emu") && strstr(out, "hw-nested") &&
              strstr(out, "bt-shadow") && strstr(out, "hw-shadow") && strstr(out, "trap-shadow"),
              "%s", out);
    for (size_t i = 0; i < NROWS; i++) {
        char want[32];
        snprintf(want, sizeof want, "\n%s ", rows[i]);
        cr_expect(strstr(out, want), "row %s missing:\n%s", rows[i], out);
    }
    free(out);
}

static long long cell(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    cr_assert(v != NULL, "key %s", key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

Test(bench_virt, json_rows_and_what_the_mechanisms_predict, .timeout = 60)
{
    int status;
    char *out = th_sh("$B/hvsim bench-virt --json", false, &status);
    cr_assert_eq(status, 0, "%s", out);
    json_error_t err;
    json_t *root = json_loads(out, 0, &err);
    cr_assert(root != NULL, "%s: %s", err.text, out);
    json_t *list = json_object_get(root, "rows");
    cr_assert_eq(json_array_size(list), NROWS);
    for (size_t i = 0; i < NROWS; i++) {
        json_t *row = json_array_get(list, i);
        cr_expect_str_eq(json_string_value(json_object_get(row, "name")), rows[i]);
        long long native = cell(row, "native"), emu = cell(row, "emu"), hw = cell(row, "hw-nested");
        long long hws = cell(row, "hw-shadow"), trap = cell(row, "trap-shadow");
        long long bt = cell(row, "bt-shadow");
        if (strncmp(rows[i], "in", 2)) /* in: the monitor's virtual UART answers, no bus cycle */
            cr_expect_geq(bt, native, "%s: the bench kernel runs translated", rows[i]);
        if (!strcmp(rows[i], "in") || !strcmp(rows[i], "csrwr") || !strcmp(rows[i], "ptemod") ||
            !strcmp(rows[i], "pgfault"))
            cr_expect_lt(bt, hws,
                         "%s: a call or trap into the co-resident monitor costs less "
                         "than an exit",
                         rows[i]);
        if (!strcmp(rows[i], "syscall") || !strcmp(rows[i], "divzero"))
            cr_expect_lt(bt, trap, "%s: the handler's csrr/csrw are inline under bt", rows[i]);
        if (!strcmp(rows[i], "callret"))
            cr_expect_lt(bt, native + 200, "callret: returns are looked up inline, no exit");
        cr_expect_gt(native, 0, "%s", rows[i]);
        cr_expect_gt(emu, native, "%s: interpretation costs more than direct execution", rows[i]);
        cr_expect_geq(hw, native, "%s", rows[i]);
        cr_expect_geq(hws, native, "%s", rows[i]);
        cr_expect_geq(trap, native, "%s: the bench kernel runs under trap with shadow paging",
                      rows[i]);
        if (!strcmp(rows[i], "compute") || !strcmp(rows[i], "callret"))
            cr_expect_leq(hws, native + 2, "%s: no exit, no new page under hw-shadow", rows[i]);
        if (!strcmp(rows[i], "pgfault") || !strcmp(rows[i], "ptemod"))
            cr_expect_gt(hws, hw + 400, "%s: the guest's fault / tlbinv exits under a shadow",
                         rows[i]);
        if (!strcmp(rows[i], "syscall") || !strcmp(rows[i], "divzero"))
            cr_expect_gt(trap, native + 1600, "%s: two traps (reflected, then iret) under trap",
                         rows[i]);
        if (!strcmp(rows[i], "imwr"))
            cr_expect_leq(hw, native + 2, "imwr: im is not intercepted under hw");
        if (!strcmp(rows[i], "compute") || !strcmp(rows[i], "callret") ||
            !strcmp(rows[i], "syscall") || !strcmp(rows[i], "divzero"))
            cr_expect_leq(hw, native + 5, /* a timer tick's exits, 1/200th of them a row */
                          "%s runs natively under hw: no exit", rows[i]);
        if (!strcmp(rows[i], "in") || !strcmp(rows[i], "csrwr"))
            cr_expect_gt(hw, native + 400, "%s exits under hw", rows[i]);
        if (!strcmp(rows[i], "in2")) /* without batching, each in is its own exit */
            cr_expect_geq(hws, 2 * cell(json_array_get(list, 1), "hw-shadow") - 5,
                          "in2: two exits");
        if (!strcmp(rows[i], "pgfault"))
            cr_expect_gt(hw, native, "the guest's fault walk is 2-D under nested paging");
    }
    json_decref(root);
    free(out);
}

/* --batch-exits: in2's second `in` is emulated in the first one's exit, so the row costs
 * one exit round trip less (about 830 cycles under the default costs, less the look ahead);
 * every exit pays for looking at its next instruction, so `in` costs a little more. */
Test(bench_virt, batching_saves_an_exit_of_two_back_to_back_ins, .timeout = 120)
{
    int status;
    long long in[2], in2[2];
    for (int on = 0; on < 2; on++) {
        char *out =
            th_sh(on ? "$B/hvsim bench-virt --json --batch-exits" : "$B/hvsim bench-virt --json",
                  false, &status);
        cr_assert_eq(status, 0, "%s", out);
        json_t *root = json_loads(out, 0, NULL);
        cr_assert(root != NULL, "%s", out);
        cr_expect_eq(json_is_true(json_object_get(root, "batch_exits")), on, "%s", out);
        json_t *list = json_object_get(root, "rows");
        in[on] = cell(json_array_get(list, 1), "hw-shadow");
        in2[on] = cell(json_array_get(list, 2), "hw-shadow");
        json_decref(root);
        free(out);
    }
    cr_expect_lt(in2[1], in2[0] - 600, "in2: %lld batched, %lld not", in2[1], in2[0]);
    cr_expect_lt(in2[1], 2 * in[1], "in2: %lld, less than two exits (in %lld)", in2[1], in[1]);
    cr_expect_gt(in[1], in[0], "in: %lld batched, %lld not: the look ahead costs", in[1], in[0]);
}

/* The row of a bench-virt --json answer named NAME. */
static json_t *row_named(json_t *root, const char *name)
{
    json_t *list = json_object_get(root, "rows");
    for (size_t r = 0; r < json_array_size(list); r++)
        if (strcmp(json_string_value(json_object_get(json_array_get(list, r), "name")), name) == 0)
            return json_array_get(list, r);
    cr_assert_fail("no row %s", name);
    return NULL;
}

/* --traces under p4-2006, the paper's generation (docs/experiments.md, "Write-protect
 * traces"): ptemod and forkwait exactly. hw-shadow pays an exit for every store to a traced
 * table; bt-shadow's store sites adapt after bt_adapt_traps monitor traps, so its stores are
 * in-TC sequences (ptemod: the sequence and the tlbinv's callout; forkwait: 1 025 sequences a
 * fork), which is what puts BT ahead on both rows, as in the paper. */
Test(bench_virt, traces_under_the_p4_exactly, .timeout = 120)
{
    static const struct {
        const char *row, *column;
        long long want;
    } cells[] = {{"ptemod", "hw-shadow", 6828},
                 {"ptemod", "bt-shadow", 1271},
                 {"forkwait", "hw-shadow", 7042966},
                 {"forkwait", "bt-shadow", 176145}};
    int status;
    char *out = th_sh("$B/hvsim bench-virt --json --traces --costs p4-2006", false, &status);
    cr_assert_eq(status, 0, "%s", out);
    json_t *root = json_loads(out, 0, NULL);
    cr_assert(root != NULL, "%s", out);
    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
        json_t *row = row_named(root, cells[c].row);
        cr_expect_eq(cell(row, cells[c].column), cells[c].want, "%s %s: %lld", cells[c].row,
                     cells[c].column, cell(row, cells[c].column));
    }
    json_decref(root);
    free(out);
}

/* Where BT and hw-shadow break even, under each profile (docs/experiments.md, "Where BT and
 * hw-shadow break even"): BT's extra cycles per system call (its monitor trap and callout,
 * which hardware assist does not pay) and hw-shadow's extra cycles per page fault (an exit
 * where BT's monitor takes a trap), exactly as the page's table gives them. */
Test(bench_virt, the_break_even_under_each_profile, .timeout = 120)
{
    static const struct {
        const char *profile;
        long long bt_syscall_extra, hw_fault_extra;
    } want[] = {{"p4-2006", 2979, 3386}, {"core2-2007", 373, 2384}, {"sandybridge-2011", 373, 451}};
    for (size_t p = 0; p < sizeof want / sizeof want[0]; p++) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "$B/hvsim bench-virt --json --costs %s", want[p].profile);
        int status;
        char *out = th_sh(cmd, false, &status);
        cr_assert_eq(status, 0, "%s", out);
        json_t *root = json_loads(out, 0, NULL);
        cr_assert(root != NULL, "%s", out);
        json_t *sys = row_named(root, "syscall"), *pf = row_named(root, "pgfault");
        cr_expect_eq(cell(sys, "bt-shadow") - cell(sys, "hw-shadow"), want[p].bt_syscall_extra,
                     "%s: BT's extra per system call", want[p].profile);
        cr_expect_eq(cell(pf, "hw-shadow") - cell(pf, "bt-shadow"), want[p].hw_fault_extra,
                     "%s: hw-shadow's extra per page fault", want[p].profile);
        json_decref(root);
        free(out);
    }
}
