/*
 * test_lab6.c - lab 6, memory overcommit (labs/06-memory): two tinyos VMs that share pages and
 * swap at once, on less host memory than they see, print what they print natively and keep
 * the memory invariants. labs/06-memory/lab.ini gives the points.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_util.h"
#include "../../hypervisor/hv_internal.h"

static const char together[] =
    "[machine]\npcpus = 2\nram = 32M\n\n"
    "[hypervisor]\ntype = 1\nhost_memory = 6M\nsharing = on\nshare_pages = 256\n"
    "share_period = 50000\n\n"
    "[vm a]\nimage = tinyos.img\nmemory = 8M\ninput = hello\\nsyscalls\\npoweroff\\n\n\n"
    "[vm b]\nimage = tinyos.img\nmemory = 8M\ninput = hello\\nsyscalls\\npoweroff\\n\n";

Test(lab6, sharing_and_swapping_together_keep_the_guests_whole, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, "together", together);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    uint64_t outs = 0;
    for (unsigned vm = 0; vm < 2; vm++) {
        cr_expect_eq(hv->vms[vm].state, HV_VM_OFF, "%s ran to its end", hv->vms[vm].name);
        outs += hv->vms[vm].stats.swap_outs;
    }
    char *a = hu_untimed(hv_vm_console(hv, 0)), *b = hu_untimed(hv_vm_console(hv, 1));
    cr_expect_str_eq(a, b, "the same guest, the same transcript but for timing");
    cr_expect(strstr(a, "$ "), "tinyos reached its shell:\n%s", a);
    free(a);
    free(b);
    cr_expect_gt(outs, 0, "6 MiB for two VMs of 8 MiB: the hypervisor swapped");
    cr_expect_gt(hv_share_saved(hv), 0, "and shared");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_scenario_free(&sc, hv, &m);
}
