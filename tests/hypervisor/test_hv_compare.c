/*
 * test_hv_compare.c - the comparison table (hypervisor/hv_compare.c) and the scenario
 * containers-vs-vms (docs/containers.md): the table's exact figures; the attack through
 * tinyos's planted flaw (guestos/tinyos/flaw.inc) reads the neighbouring containers' secrets
 * and nothing beyond its own VM, and without the flaw reads no neighbour's; the transcripts
 * equal native ones; the marks pair start with end in order; a bad `compare =` is refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../../hypervisor/hv_scenario.h"
#include "hv_util.h"

static sim_machine_t m;

/* The statistics' comparison table, from its heading to the end of its last row (malloc'd). */
static char *table_of(const hv_t *hv)
{
    char *text = hu_stats_text(hv);
    char *from = strstr(text, "[stats] side by side");
    cr_assert_not_null(from, "no table in:\n%s", text);
    char *to = strstr(from, "\n[stats] pCPU");
    cr_assert_not_null(to);
    char *table = strndup(from, (size_t)(to - from + 1));
    free(text);
    return table;
}

/* Runs scenario text to its end; returns the hypervisor (free with hu_scenario_free). */
static hv_t *run_text(hv_scenario_t *sc, const char *text)
{
    hv_t *hv = hu_scenario_text(sc, &m, "containers-vs-vms", text);
    hv_run(hv, sc->max_cycles);
    return hv;
}

static const char want_table[] =
    "[stats] side by side (each column the sum of its VMs; docs/containers.md):\n"
    "                                           containers            vms\n"
    "    VMs                                             1              3\n"
    "    memory used (host frames)                     486          1 458\n"
    "    services started                                3              3\n"
    "    start time (cycles, average)              351 894      1 301 081\n"
    "    exits                                       1 073          2 352\n"
    "    hypervisor cycles                       1 226 518      2 806 132\n"
    "    system calls                                  159            163\n"
    "    attack: its own service's secrets               1              1\n"
    "    attack: other services' secrets                 2              0\n"
    "    isolation against the flaw                 broken           held\n";

Test(hv_compare, the_table_has_its_exact_figures, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "containers-vs-vms");
    hv_run(hv, sc.max_cycles);
    char *table = table_of(hv);
    cr_expect_str_eq(table, want_table);
    /* the figures are the VMs' own counters, summed */
    const hv_vm_t *ctr = &hv->vms[hv_vm_by_name(hv, "containers")];
    cr_expect_eq(ctr->stats.compare.starts, 3);
    cr_expect_eq(ctr->stats.compare.secrets_other, 2);
    cr_expect_eq(ctr->stats.compare.npending, 1, "the attack's cspawn: it is no service");
    uint64_t frames = 0;
    for (const char *const *n = (const char *const[]){"web", "db", "cache", NULL}; *n; n++)
        frames += hv->vms[hv_vm_by_name(hv, *n)].stats.frames_mapped;
    cr_expect_eq(frames, 1458);
    free(table);
    hu_scenario_free(&sc, hv, &m);
}

/* The planted flaw is what lets the container's attack out: without `flaw on`, peek asks the
 * container's own view, and the attack reads its own service's secret only. */
Test(hv_compare, without_the_flaw_the_containers_hold, .timeout = 120)
{
    const char *text = hv_builtin_text("containers-vs-vms");
    cr_assert_not_null(text);
    char *edited = malloc(strlen(text) + 1), *o = edited;
    for (const char *p = text; *p;) {
        if (!strncmp(p, "flaw on\\n", 9))
            p += 9;
        else
            *o++ = *p++;
    }
    *o = '\0';
    hv_scenario_t sc;
    hv_t *hv = run_text(&sc, edited);
    char *table = table_of(hv);
    cr_expect(strstr(table,
                     "    attack: its own service's secrets               1              1\n"
                     "    attack: other services' secrets                 0              0\n"
                     "    isolation against the flaw                   held           held\n"),
              "%s", table);
    free(table);
    free(edited);
    hu_scenario_free(&sc, hv, &m);
}

/* Each VM's console equals the same tinyos run natively, timing lines aside: the marks and
 * the hypervisor change nothing a guest prints. */
Test(hv_compare, the_transcripts_equal_native_ones, .timeout = 240)
{
    hu_transcripts_equal_native("containers-vs-vms");
}

/* Start times: an "up" ends the oldest "cspawn" still open, or, with none, starts from the
 * VM's own start; a "secret" is the attacker's own service's or another's. */
Test(hv_compare, marks_pair_in_order)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "g", ".org 0x1000\n        b .\n", NULL);
    cr_assert_geq(vm, 0);
    hv_vm_t *v = &hv->vms[vm];
    v->stats.started = 40;
    hv_compare_mark(hv, (unsigned)vm, 100, "up", 1); /* from the VM's start: 60 */
    hv_compare_mark(hv, (unsigned)vm, 200, "cspawn", 0);
    hv_compare_mark(hv, (unsigned)vm, 300, "cspawn", 0);
    hv_compare_mark(hv, (unsigned)vm, 450, "up", 2);     /* 250 */
    hv_compare_mark(hv, (unsigned)vm, 500, "up", 3);     /* 200 */
    hv_compare_mark(hv, (unsigned)vm, 510, "secret", 3); /* before any attack: another's */
    hv_compare_mark(hv, (unsigned)vm, 520, "attack", 3);
    hv_compare_mark(hv, (unsigned)vm, 530, "secret", 3);
    hv_compare_mark(hv, (unsigned)vm, 540, "secret", 1);
    hv_compare_mark(hv, (unsigned)vm, 550, "other", 1);
    const hv_compare_stats_t *c = &v->stats.compare;
    cr_expect_eq(c->starts, 3);
    cr_expect_eq(c->start_cycles, 60 + 250 + 200);
    cr_expect_eq(c->npending, 0);
    cr_expect_eq(c->secrets_own, 1);
    cr_expect_eq(c->secrets_other, 2);
    hu_free(hv, &m);
}

/* One column is no comparison: no table. */
Test(hv_compare, one_column_prints_no_table)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.compare = "alone", .pin = {-1}};
    cr_assert_geq(hu_vm(hv, "g", ".org 0x1000\n        b .\n", &c), 0);
    char *text = hu_stats_text(hv);
    cr_expect_null(strstr(text, "side by side"), "%s", text);
    free(text);
    hu_free(hv, &m);
}

Test(hv_compare, an_empty_column_name_is_refused)
{
    hu_expect_scenario_error("[vm a]\nimage = tinyos.img\ncompare =\n", false,
                             "t.ini:3: error: compare = '': give a column name (under 16 "
                             "characters)");
}
