/*
 * test_hv_limits.c - a VM's limits in one place (hypervisor/hv_limits.c): the limits line
 * for every combination of set, unset, bound and never bound; and the scenario `limits`,
 * where each VM's one limit binds (a cap under a CPU-bound program, resident_max, disk_bw
 * while the kernel loads, net_bw under a bulk transfer) and the line says how often, with
 * the counters where the binding happened (hv_sched.c, hv_swap.c, hv_limit_pace).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "../../hypervisor/hv_scenario.h"
#include "../support/harness.h"
#include "hv_util.h"

typedef struct {
    hv_limits_t l;
    const char *want;
} text_case_t;

static text_case_t texts[] = {
    {{.share = 256, .resident_max = 2048, .pages = 2048},
     "share 256; cap none; resident_max none; disk_bw none; net_bw none"},
    {{.share = 4096, .cap = 30, .resident_max = 512, .pages = 1024},
     "share 4096; cap 30% of a pCPU; resident_max 512 of 1 024 frames; disk_bw none; net_bw "
     "none"},
    {{.share = 256,
      .cap = 30,
      .cap_stops = 1,
      .resident_max = 512,
      .pages = 1024,
      .limit_swaps = 2},
     "share 256; cap 30% of a pCPU, bound 1 time; resident_max 512 of 1 024 frames, bound 2 "
     "times; disk_bw none; net_bw none"},
    {{.share = 256,
      .resident_max = 8,
      .pages = 8,
      .disk_bw = 2000,
      .net_bw = 20,
      .disk_held = 1,
      .disk_held_cycles = 90000},
     "share 256; cap none; resident_max none; disk_bw 2 000 bytes per 1 000 cycles, held 1 "
     "command back for 90 000 cycles; net_bw 20 bytes per 1 000 cycles"},
    {{.share = 256,
      .resident_max = 8,
      .pages = 8,
      .net_bw = 20,
      .net_held = 45,
      .net_held_cycles = 3117181},
     "share 256; cap none; resident_max none; disk_bw none; net_bw 20 bytes per 1 000 cycles, "
     "held 45 frames back for 3 117 181 cycles"},
};

ParameterizedTestParameters(hv_limits, the_line_says_each_limit_and_how_often_it_bound)
{
    TH_ROW_INDICES(sizeof texts / sizeof texts[0]);
}

ParameterizedTest(size_t *i, hv_limits, the_line_says_each_limit_and_how_often_it_bound)
{
    const text_case_t *c = &texts[*i];
    char buf[400];
    cr_expect_str_eq(hv_limits_text(&c->l, buf, sizeof buf), c->want);
}

/* A short buffer gets a cut line, never an overrun. */
Test(hv_limits, a_short_buffer_is_cut)
{
    char buf[12];
    hv_limits_t l = {.share = 256, .cap = 30, .resident_max = 8, .pages = 8};
    cr_expect_str_eq(hv_limits_text(&l, buf, sizeof buf), "share 256; ");
}

static sim_machine_t m;

/* The limits scenario: each VM's one limit binds, and its line says so. */
Test(hv_limits, each_limit_binds_in_the_limits_scenario, .timeout = 120)
{
    static const struct {
        const char *vm, *want;
    } lines[] = {
        {"capped", "share 256; cap 25% of a pCPU, bound 1 107 times; resident_max none; disk_bw "
                   "none; net_bw none"},
        {"small", "share 256; cap none; resident_max 768 of 2 048 frames, bound 1 299 times; "
                  "disk_bw none; net_bw none"},
        {"disk", "share 256; cap none; resident_max none; disk_bw 100 bytes per 1 000 cycles, "
                 "held 1 command back for 318 700 cycles; net_bw none"},
        {"net", "share 256; cap none; resident_max none; disk_bw none; net_bw 20 bytes per "
                "1 000 cycles, held 45 frames back for 3 123 207 cycles"},
        {"server", "share 256; cap none; resident_max none; disk_bw none; net_bw none"},
    };
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "limits");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        int vm = hv_vm_by_name(hv, lines[i].vm);
        cr_assert_geq(vm, 0, "%s", lines[i].vm);
        hv_limits_t l;
        char buf[400];
        hv_vm_limits(hv, (unsigned)vm, &l);
        cr_expect_str_eq(hv_limits_text(&l, buf, sizeof buf), lines[i].want, "%s", lines[i].vm);
    }
    /* the bound resident_max swapped the small VM's own pages, every one of them */
    const hv_vm_t *small = &hv->vms[hv_vm_by_name(hv, "small")];
    cr_expect_eq(small->stats.limit_swaps, small->stats.swap_outs);
    hu_scenario_free(&sc, hv, &m);
}
