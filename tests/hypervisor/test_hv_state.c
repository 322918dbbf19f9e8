/*
 * test_hv_state.c - everything the ring -1 hardware and the hypervisor keep is plain data
 * (design principle 8): a machine copied in the middle of a run — CPUs in guest mode, VMCBs,
 * nested tables, the hypervisor's VMs, VCPUs, scheduler and virtual devices, pending timers
 * and disk commands — goes on exactly like the original. And VM destroy gives everything back.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"

static void copy_goes_on_like_the_original(const char *scenario, uint64_t split)
{
    static hv_scenario_t sc;
    static sim_machine_t m, m2;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    bool guest_mode = false;
    for (unsigned step = 0; step < 200 && !guest_mode; step++, split += 997) {
        cr_assert_eq(hv_run(hv, split), SIM_RUN_MAX_CYCLES);
        for (unsigned c = 0; c < m.ncpus; c++)
            guest_mode |= cpu_in_guest(&m.cpu[c]);
    }
    cr_expect(guest_mode, "%s: copied while a CPU runs a guest", scenario);
    hu_copy_machine(&m2, &m);
    hv_t *hv2 = hv_clone(hv, &m2);
    cr_assert_not_null(hv2);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_assert_eq(hv_run(hv2, sc.max_cycles), SIM_RUN_POWEROFF);
    for (unsigned c = 0; c < m.ncpus; c++) {
        cr_expect_eq(m2.cpu[c].s.cycles, m.cpu[c].s.cycles, "%s: pCPU%u's cycles", scenario, c);
        cr_expect_eq(memcmp(&m2.cpu[c].s, &m.cpu[c].s, sizeof m.cpu[c].s), 0,
                     "%s: pCPU%u's state", scenario, c);
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        if (!hv->vms[i].used)
            continue;
        cr_expect_str_eq(hv_vm_console(hv2, i), hv_vm_console(hv, i), "%s: VM %s", scenario,
                         hv->vms[i].name);
        cr_expect_eq(memcmp(hv2->vms[i].stats.exits, hv->vms[i].stats.exits,
                            sizeof hv->vms[i].stats.exits), 0, "%s: the same exits", scenario);
    }
    cr_expect_eq(memcmp(m2.ram, m.ram, m.ram_size), 0, "%s: the same memory", scenario);
    hv_free(hv2);
    sim_machine_free(&m2);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_state, a_copied_machine_goes_on_like_the_original, .timeout = 120)
{
    copy_goes_on_like_the_original("default", 700000);      /* tinyos loading, rtos running */
    copy_goes_on_like_the_original("overcommit", 2000000);  /* two VCPUs sharing a pCPU */
    copy_goes_on_like_the_original("type2", 1500000);       /* with the host process */
    copy_goes_on_like_the_original("trap-popf", 300000);   /* virtual mode and IE in VMCBs */
    copy_goes_on_like_the_original("emu", 2500000);       /* instructions charged so far */
    copy_goes_on_like_the_original("shadow", 1500000);    /* shadow trees, the guest's ptroot */
    copy_goes_on_like_the_original("trap", 3100000);      /* a deprivileged kernel's views */
    copy_goes_on_like_the_original("bt", 2000000);        /* translation caches, state pages */
}

/* Destroying a VM gives its frames and VMCBs back, zeroed, and leaves the others running. */
Test(hv_state, destroy_gives_everything_back)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    uint32_t free_before = 0;
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before += hv->owner[f] == HV_FRAME_FREE;
    int a = hu_vm(hv, "a", ".org 0x1000\nlui r1, 0x8\nst r1, [r1]\nout r0, [0xf0]\n", NULL);
    int b = hu_vm(hv, "b", ".org 0x1000\nloop: addi r1, r1, 1\nb loop\n", NULL);
    cr_assert_eq(hv_run(hv, 200000), SIM_RUN_MAX_CYCLES);
    cr_assert_eq(hv->vms[a].state, HV_VM_OFF);
    hv_vm_destroy(hv, (unsigned)a);
    cr_expect(!hv->vms[a].used);
    uint32_t owned_by_b = 0, free_after = 0;
    for (uint32_t f = 0; f < hv->nframes; f++) {
        cr_expect_neq(hv->owner[f], HV_FRAME_VM(a), "no frame is left to the destroyed VM");
        owned_by_b += hv->owner[f] == HV_FRAME_VM(b);
        free_after += hv->owner[f] == HV_FRAME_FREE;
    }
    cr_expect_eq(free_before - free_after, owned_by_b + 1 + 2,
                 "only b's %u frames, its VMCB and its two nested tables are taken: %u",
                 owned_by_b, free_before - free_after);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    cr_assert_eq(hv_run(hv, 400000), SIM_RUN_MAX_CYCLES, "b goes on");
    int c = hu_vm(hv, "c", ".org 0x1000\nout r0, [0xf0]\n", NULL);
    cr_expect_eq(c, a, "the slot is reused");
    hu_free(hv, &m);
}
