/*
 * test_hv_core.c - the hypervisor with one small guest: it boots, writes to its console
 * through port I/O and MMIO, learns it runs under a hypervisor, gets its memory lazily, and
 * powers off; the null exit round trip matches the calibration.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"

static const char hello[] = ".org 0x1000\n"
                            "li r1, 'h'\nout r1, [0x3f8]\n"
                            "li r1, 'i'\nout r1, [0x3f8]\n"
                            "li r1, 10\nout r1, [0x3f8]\n"
                            "li r2, 1\ncpuid r3, r2\n"
                            "out r0, [0xf0]\n";

Test(hv_core, a_guest_says_hi_and_powers_off)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "tiny", hello, NULL);
    sim_run_result_t r = hv_run(hv, 10000000);
    cr_expect_eq(r, SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)vm), "hi\n");
    cr_expect_eq(hv->vms[vm].state, HV_VM_OFF);
    cr_expect_eq(cpu_vmcb_peek(&m.cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                               CPU_VMCB_GUEST + CPU_VMCB_R(3)),
                 CPU_CPUID_FEAT_HYPERVISOR, "cpuid says: a hypervisor");
    hu_free(hv, &m);
}

/* The calibration (docs/cycle-model.md): a null hypercall's round trip, from the exit to the
 * next entry, is about 800 cycles, the Sandy Bridge figure of Agesen et al. */
Test(hv_core, null_exit_round_trip_is_calibrated)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "calls", ".org 0x1000\nli r5, 100\nloop: li r1, 99\nhcall\n"
                                "addi r5, r5, -1\ncmpi r5, 0\nbne loop\nout r0, [0xf0]\n", NULL);
    cr_assert_eq(hv_run(hv, 10000000), SIM_RUN_POWEROFF);
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    cr_assert_eq(s->exits[CPU_EXIT_HYPERCALL], 100);
    uint64_t avg = s->exit_cycles[CPU_EXIT_HYPERCALL] / 100;
    cr_expect(avg >= 750 && avg <= 850, "null hypercall round trip %llu cycles",
              (unsigned long long)avg);
    cr_expect_eq(cpu_vmcb_peek(&m.cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                               CPU_VMCB_GUEST + CPU_VMCB_R(1)),
                 0xffffffffu, "an unknown hypercall answers -1");
    hu_free(hv, &m);
}
