/*
 * test_hv_consolidation.c - server consolidation (docs/memory.md, "Consolidation"): a
 * CPU-heavy and a memory-heavy VM on one host (examples/consolidation.ini) and each on a host
 * of its own (examples/consolidation-apart.ini). Together both run longer: the CPU-heavy one
 * shares its pCPU, the memory-heavy one also swaps more, with the other's frames in the same
 * host memory. The figures the docs' table quotes are pinned here (the run is deterministic).
 */
#include <criterion/criterion.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

static sim_machine_t m;

typedef struct {
    uint64_t ran, outs, ins;
} vm_figures_t;

/* Runs the example to its end; the figures of VMs `cpu` and `mem`. */
static void run_example(const char *path, vm_figures_t *cpu, vm_figures_t *mem)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, path);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s", path);
    vm_figures_t *out[2] = {cpu, mem};
    const char *names[2] = {"cpu", "mem"};
    for (unsigned i = 0; i < 2; i++) {
        const hv_vm_t *v = &hv->vms[hv_vm_by_name(hv, names[i])];
        cr_expect_eq(v->exit_code, 0, "%s: %s powered off cleanly", path, names[i]);
        *out[i] = (vm_figures_t){v->stats.ended - v->stats.started, v->stats.swap_outs,
                                 v->stats.swap_ins};
    }
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s: %s", path, why);
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_consolidation, together_both_vms_run_longer_than_apart, .timeout = 120)
{
    vm_figures_t cpu1, mem1, cpu2, mem2;
    run_example("examples/consolidation.ini", &cpu1, &mem1);
    run_example("examples/consolidation-apart.ini", &cpu2, &mem2);
    cr_expect_eq(cpu1.ran, 83861424, "cpu together: %llu", (unsigned long long)cpu1.ran);
    cr_expect_eq(mem1.ran, 68760681, "mem together: %llu", (unsigned long long)mem1.ran);
    cr_expect_eq(cpu2.ran, 62043526, "cpu apart: %llu", (unsigned long long)cpu2.ran);
    cr_expect_eq(mem2.ran, 10162950, "mem apart: %llu", (unsigned long long)mem2.ran);
    cr_expect_eq(cpu1.outs, 240, "together the host takes frames from cpu too");
    cr_expect_eq(mem1.outs, 1298);
    cr_expect_eq(mem1.ins, 45);
    cr_expect_eq(cpu2.outs, 0, "apart, cpu is never short of frames");
    cr_expect_eq(mem2.outs, 494);
    cr_expect_eq(mem2.ins, 8);
}
