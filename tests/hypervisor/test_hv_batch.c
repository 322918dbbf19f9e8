/*
 * test_hv_batch.c - exit batching ([hypervisor] batch_exits = on, hypervisor/hv_exit.c): a
 * port I/O exit also emulates the next instructions that would exit too. The guest sees the
 * same registers and console as without batching; each batched instruction is one exit
 * fewer, charged only its read and decode, and counted; what would not exit (a port in an
 * assigned window, user code, another instruction) is left to run.
 */
#include <criterion/criterion.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_scenario.h"
#include "../../hypervisor/hv_technique.h"
#include "hv_util.h"

/* Ten rounds of port accesses in two runs (in in; out in out), then a line on the console
 * and the power-off. */
#define RUNS_SRC                                                                                   \
    ".org 0x1000\nli r9, 10\n.l: in r3, [0x3f9]\nin r4, [0x3f9]\nli r5, 0x41\nout r5, [0x3f8]\n"   \
    "in r6, [0x3f9]\nout r5, [0x3f8]\naddi r9, r9, -1\ncmpi r9, 0\nbne .l\n"                       \
    "li r5, 10\nout r5, [0x3f8]\nout r0, [0xf0]\n"

static uint32_t reg(sim_machine_t *m, hv_t *hv, int vm, unsigned r)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(r));
}

static int run(sim_machine_t *m, hv_t **hv, bool batch, hv_mem_technique_t mem, const char *src)
{
    hv_config_t cfg = hu_config();
    cfg.batch_exits = batch;
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = HV_CPU_HW, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    cr_assert_eq(hv_run(*hv, 5000000), SIM_RUN_POWEROFF, "batch %d", batch);
    return vm;
}

Test(hv_batch, each_batched_port_access_is_an_exit_saved)
{
    static const hv_mem_technique_t mems[] = {HV_MEM_NESTED, HV_MEM_SHADOW};
    for (unsigned k = 0; k < 2; k++) {
        static sim_machine_t m1, m2;
        hv_t *off, *on;
        int a = run(&m1, &off, false, mems[k], RUNS_SRC);
        int b = run(&m2, &on, true, mems[k], RUNS_SRC);
        const hv_vm_stats_t *s1 = &off->vms[a].stats, *s2 = &on->vms[b].stats;
        /* per round: in in li out in out: the first in exits and takes the second in; li
         * stops the batch; the out exits and takes the in and the out after it (3 of 5);
         * the last line's out takes the power-off with it */
        cr_expect_eq(s2->batched, 31, "mem %u: %llu batched", k, (unsigned long long)s2->batched);
        cr_expect_eq(s1->exits[CPU_EXIT_IO_PORT], 52, "mem %u: %llu port exits without", k,
                     (unsigned long long)s1->exits[CPU_EXIT_IO_PORT]);
        cr_expect_eq(s2->exits[CPU_EXIT_IO_PORT] + s2->batched, s1->exits[CPU_EXIT_IO_PORT],
                     "mem %u: each batched access is one port exit fewer", k);
        for (unsigned r = 3; r <= 6; r++)
            cr_expect_eq(reg(&m2, on, b, r), reg(&m1, off, a, r), "mem %u: r%u", k, r);
        cr_expect_str_eq(hv_vm_console(on, b), hv_vm_console(off, a), "mem %u", k);
        cr_expect_lt(m2.cpu[0].s.cycles, m1.cpu[0].s.cycles, "mem %u: %llu with, %llu without", k,
                     (unsigned long long)m2.cpu[0].s.cycles,
                     (unsigned long long)m1.cpu[0].s.cycles);
        hu_free(off, &m1);
        hu_free(on, &m2);
    }
}

/* What would not exit is not batched: an instruction that is no port access (here cpuid
 * after an `in`, which exits on its own), and nothing at all with batching off. */
Test(hv_batch, only_port_accesses_that_would_exit_are_batched)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run(&m, &hv, true, HV_MEM_NESTED,
                 ".org 0x1000\nin r3, [0x3f9]\ncpuid r4, r0\nin r5, [0x3f9]\nout r0, [0xf0]\n");
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    cr_expect_eq(s->batched, 1, "only the power-off after the second in: %llu",
                 (unsigned long long)s->batched);
    cr_expect_eq(s->exits[CPU_EXIT_CPUID], 1);
    hu_free(hv, &m);
}

/* The scenario key: a scenario that sets it runs with it (the bench guest's in2 row batches),
 * and a bad value is refused with the file and line. */
Test(hv_batch, the_scenario_key)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, "batched",
                                "[machine]\npcpus = 1\n[hypervisor]\nbatch_exits = on\n"
                                "[vm bench]\nimage = bench.img\nmemory = 4M\ncpu = hw\n");
    cr_assert(hv->cfg.batch_exits);
    hv_run(hv, sc.max_cycles);
    /* in2's second `in`, 200 operations warm and 200 timed; and the boot loader's disk driver
     * (bootlib.inc: out sector, out count, out address back to back: two batched per read,
     * six reads) */
    cr_expect_eq(hv->vms[0].stats.batched, 2 * 200 + 6 * 2, "%llu batched",
                 (unsigned long long)hv->vms[0].stats.batched);
    hu_scenario_free(&sc, hv, &m);
    hu_expect_scenario_error("[hypervisor]\nbatch_exits = maybe\n", false, "t.ini:2");
}
