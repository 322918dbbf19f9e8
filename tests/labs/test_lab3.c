/*
 * test_lab3.c - lab 3, shadow page tables (labs/03-shadow): isolation checked all along a run
 * of both guests under shadow paging (every shadow entry maps a frame of its own VM, none of
 * the hypervisor's), and the hidden faults counted apart from the guest's own. The hypervisor's
 * suite (hv_shadow) grades the rest; labs/03-shadow/lab.ini gives the points.
 */
#include <criterion/criterion.h>

#include "lab_util.h"

Test(lab3, isolation_holds_under_shadow_paging, .timeout = 60)
{
    lu_isolation_all_along("shadow");
    lu_isolation_all_along("trap");
}

/* tinyos under shadow paging: its page faults are mostly hidden (the shadows filling), some
 * its own (its demand paging and the fault program), counted apart; the A/D bits it reads
 * were written back. */
Test(lab3, hidden_faults_are_counted_apart, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "shadow");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_shadow_stats_t *s = &hv->vms[hv_vm_by_name(hv, "tinyos")].stats.shadow;
    cr_expect_gt(s->hidden_faults, 100, "hidden faults: %llu",
                 (unsigned long long)s->hidden_faults);
    cr_expect_gt(s->guest_faults, 0, "the guest's own faults: %llu",
                 (unsigned long long)s->guest_faults);
    cr_expect_gt(s->hidden_faults, s->guest_faults * 4, "most faults are hidden");
    cr_expect_gt(s->ad_updates, 0, "A/D bits written back");
    cr_expect_gt(s->tlbinv_syncs + s->tlbflush_syncs, 0, "the guest's invalidations followed");
    hu_scenario_free(&sc, hv, &m);
}
