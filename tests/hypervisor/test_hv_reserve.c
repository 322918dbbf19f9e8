/*
 * test_hv_reserve.c - memory reservations (hypervisor/hv_reserve.c): under host_memory the
 * hypervisor takes frames from the VM holding the most above its reservation, never from one
 * at its floor (counted); admission control refuses reservations that do not fit in
 * host_memory, a floor above resident_max and a size that is not whole pages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

static sim_machine_t m;

/* Two tinyos VMs of 8 MiB under host_memory = 6M; a has the reservation `a_extra` gives. */
static hv_t *two(hv_scenario_t *sc, const char *a_extra)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 2\nram = 32M\n\n[hypervisor]\ntype = 1\nscheduler = pin\n"
             "host_memory = 6M\n\n"
             "[vm a]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n%s"
             "input = hello\\npagetouch\\npoweroff\\n\n"
             "[vm b]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"
             "input = hello\\npagetouch\\npoweroff\\n\n",
             a_extra);
    return hu_scenario_text(sc, &m, "reserve", text);
}

/* Runs to the end in steps of 100 000 cycles: the most and the fewest frames a held from the
 * step it first held `floor` on (0 and UINT32_MAX when it never did). */
static void frames_after(hv_t *hv, const hv_scenario_t *sc, uint32_t floor, uint32_t *most,
                         uint32_t *fewest)
{
    *most = 0;
    *fewest = UINT32_MAX;
    for (uint64_t at = 100000; at <= sc->max_cycles; at += 100000) {
        sim_run_result_t r = hv_run(hv, at);
        uint32_t n = hv->vms[0].frames;
        *most = n > *most ? n : *most;
        if (*most >= floor && n < *fewest)
            *fewest = n;
        if (r != SIM_RUN_MAX_CYCLES)
            break;
    }
}

Test(hv_reserve, no_vm_is_paged_below_its_reservation, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = two(&sc, "reservation = 4M\n");
    const hv_vm_t *a = &hv->vms[0], *b = &hv->vms[1];
    cr_expect_eq(a->reserved, 1024);
    uint32_t most, fewest;
    frames_after(hv, &sc, 1024, &most, &fewest);
    cr_expect_geq(most, 1024, "a grew to its reservation");
    cr_expect_geq(fewest, 1024, "a kept its 4 MiB once it had them");
    cr_expect_eq(a->stats.swap_outs, 1010, "a gave only what it held above its floor");
    cr_expect_eq(b->stats.swap_outs, 1575);
    cr_expect_eq(a->stats.reserve_spared, 1575, "passed over for each of b's pages");
    /* The statistics' limits line (and info limits, info memory) show the floor and how
     * often reclaim stopped at it; b's has no reservation to show. */
    hv_limits_t l;
    char text[400];
    hv_vm_limits(hv, 0, &l);
    cr_expect_str_eq(hv_limits_text(&l, text, sizeof text),
                     "share 256; cap none; resident_max none; reservation 1 024 of 2 048 frames, "
                     "reclaim stopped at it 1 575 times; disk_bw none; net_bw none");
    hv_vm_limits(hv, 1, &l);
    cr_expect_str_eq(hv_limits_text(&l, text, sizeof text),
                     "share 256; cap none; resident_max none; disk_bw none; net_bw none");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_scenario_free(&sc, hv, &m);
}

/* The same VMs without it: the hypervisor takes from whichever holds the most, a too. */
Test(hv_reserve, without_one_the_largest_gives, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = two(&sc, "");
    uint32_t most, fewest;
    frames_after(hv, &sc, 0, &most, &fewest);
    cr_expect_lt(most, 1024, "a never held 4 MiB: b took its share");
    cr_expect_eq(hv->vms[0].stats.swap_outs, 1302);
    cr_expect_eq(hv->vms[1].stats.swap_outs, 1300);
    cr_expect_eq(hv->vms[0].stats.reserve_spared, 0);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_reserve, reservations_that_cannot_be_kept_are_refused)
{
    static const char head[] =
        "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\nhost_memory = 6M\n\n"
        "[vm a]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n";
    static const struct {
        const char *tail;
        bool parse_ok;
        const char *want;
    } cases[] = {
        {"reservation = 9M\n", true,
         "VM a: reservation = 9216 KiB; it must be whole 4 KiB pages, at most its memory"},
        {"reservation = 3000\n", false,
         "t.ini:14: error: reservation = '3000': it must be a size in bytes"},
        {"resident_max = 2M\nreservation = 3M\n", true,
         "VM a: reservation = 3072 KiB is above its resident_max (2048 KiB): a floor above the "
         "ceiling"},
        {"reservation = 4M\n\n[vm b]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"
         "reservation = 3M\n",
         true,
         "VM b: reservation = 3072 KiB; with the other VMs' (4096 KiB) it is more than "
         "host_memory (6144 KiB), so the hypervisor could not keep every promise (admission "
         "control)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", head, cases[i].tail);
        hu_expect_scenario_error(text, cases[i].parse_ok, cases[i].want);
    }
}
