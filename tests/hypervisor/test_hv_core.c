/*
 * test_hv_core.c - the hypervisor with one small guest: it boots, writes to its console
 * through port I/O and MMIO, learns it runs under a hypervisor, gets its memory lazily, and
 * powers off; the null exit round trip matches the calibration; the invariant checker names
 * each broken invariant it is shown.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

/* ------------------------------------------------------------------------------------------
 * The invariant checker catches what it promises to
 * ------------------------------------------------------------------------------------------ */
/* Each row breaks one invariant of a healthy one-VM machine (after its run) and names a piece
 * of the sentence hv_check_invariants must give. */
typedef enum { BREAK_POOL_SLOT, BREAK_POOL_COUNT, BREAK_TLB_STOPPED, BREAK_TLB_FOREIGN } breakage_t;

static const struct {
    breakage_t what;
    const char *want;
} breakages[] = {
    {BREAK_POOL_SLOT, "which is not in use"},
    {BREAK_POOL_COUNT, "but its count says"},
    {BREAK_TLB_STOPPED, "stopped, but pCPU0's TLB still maps"},
    {BREAK_TLB_FOREIGN, "which is neither the VM's nor its monitor's"},
};

ParameterizedTestParameters(hv_core, the_checker_names_what_is_broken)
{
    TH_ROW_INDICES(sizeof breakages / sizeof *breakages);
}

ParameterizedTest(size_t *row, hv_core, the_checker_names_what_is_broken)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "hello", hello, NULL);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    char why[240];
    cr_assert_null(hv_check_invariants(hv, why, sizeof why), "healthy: %s", why);
    uint32_t free_frame = hv->nframes - 1; /* the pool hands frames out from the bottom */
    cr_assert_eq(hv->owner[free_frame], HV_FRAME_FREE);
    mmu_tlb_entry_t e = {.vpn = 0x123, .tag = MMU_TAG(hv->vms[vm].vmid, true, 0)};
    switch (breakages[*row].what) {
    case BREAK_POOL_SLOT: hv->owner[free_frame] = HV_FRAME_VM(5); break;
    case BREAK_POOL_COUNT: hv->vms[vm].frames++; break;
    case BREAK_TLB_STOPPED: /* the VM powered off: any entry of it is one too many */
        e.pfn = free_frame;
        e.perm = MMU_TLBE_VALID | MMU_PTE_R;
        m.cpu[0].mmu.tlb.e[0] = e;
        break;
    case BREAK_TLB_FOREIGN: /* running again, with an entry to a frame that is not its */
        hv->vms[vm].state = HV_VM_RUNNING;
        e.pfn = free_frame;
        e.perm = MMU_TLBE_VALID | MMU_PTE_R;
        m.cpu[0].mmu.tlb.e[0] = e;
        break;
    }
    const char *said = hv_check_invariants(hv, why, sizeof why);
    cr_expect(said && strstr(said, breakages[*row].want), "row %zu: %s", *row,
              said ? said : "(nothing)");
    hv->vms[vm].state = HV_VM_OFF;
    hu_free(hv, &m);
}
