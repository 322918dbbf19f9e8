/*
 * test_mmu_ad.c - accessed and dirty bits: which walks set them, that each write-back is in the
 * trace and costs ad_update cycles, that a TLB entry filled by a load makes the first store walk
 * again, and that the CPU is charged exactly what the MMU reports.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../support/harness.h"
#include "mmu_util.h"

#define VA 0x00400123u
#define PA 0x00020000u

typedef struct {
    const char *name;
    uint32_t leaf_bits; /* besides V */
    mmu_access_t kind;
    uint32_t after; /* the A and D bits the leaf must have afterwards */
    unsigned ad_writes;
} ad_case_t;

static const ad_case_t ad_cases[] = {
    {"load sets A only", MMU_PTE_RWX, MMU_LOAD, MMU_PTE_A, 1},
    {"fetch sets A only", MMU_PTE_RWX, MMU_FETCH, MMU_PTE_A, 1},
    {"store sets A and D in one write", MMU_PTE_RWX, MMU_STORE, MMU_PTE_A | MMU_PTE_D, 1},
    {"load with A set writes nothing", MMU_PTE_RWX | MMU_PTE_A, MMU_LOAD, MMU_PTE_A, 0},
    {"store with A set writes D", MMU_PTE_RWX | MMU_PTE_A, MMU_STORE, MMU_PTE_A | MMU_PTE_D, 1},
    {"store with A and D set writes nothing", MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D, MMU_STORE,
     MMU_PTE_A | MMU_PTE_D, 0},
    {"a refused store sets nothing", MMU_PTE_R, MMU_STORE, 0, 0},
    {"a refused fetch sets nothing", MMU_PTE_R | MMU_PTE_W, MMU_FETCH, 0, 0},
};

Test(mmu_ad, bits_writes_and_costs)
{
    sim_machine_t m;
    mmu_builder_t b;
    for (size_t i = 0; i < sizeof ad_cases / sizeof ad_cases[0]; i++) {
        const ad_case_t *c = &ad_cases[i];
        mt_machine(&m, 2, 2);
        m.costs.c[SIM_COST_walk_ref] = 3; /* distinct figures, so that the sum tells which */
        m.costs.c[SIM_COST_ad_update] = 100;
        mt_native(&m, &b);
        cr_assert(mmu_build_map(&b, VA, PA, c->leaf_bits));
        uint32_t leaf_addr = mmu_build_leaf_addr(&b, VA);
        mmu_t *mmu = &m.cpu[0].mmu;
        mmu_result_t res = mmu_translate(mmu, &m, VA, c->kind, MMU_PRIV_KERNEL);
        uint32_t leaf = mt_word(&m, leaf_addr);
        cr_expect_eq(leaf & (MMU_PTE_A | MMU_PTE_D), c->after, "%s: leaf 0x%08x", c->name, leaf);
        cr_expect_eq(mmu->trace.ad_writes, c->ad_writes, "%s", c->name);
        cr_expect_eq(mmu->stats.ad_writes, c->ad_writes, "%s", c->name);
        cr_expect_eq(res.cycles, 2 * 3 + 100 * c->ad_writes, "%s: %u cycles", c->name, res.cycles);
        const mmu_trace_ref_t *last = &mmu->trace.ref[mmu->trace.n - 1];
        if (c->ad_writes) {
            cr_expect_eq(last->outcome, MMU_OUTCOME_AD_WRITE, "%s", c->name);
            cr_expect_eq(last->addr, leaf_addr, "%s", c->name);
            cr_expect_eq(last->value, leaf, "%s", c->name);
        } else {
            cr_expect_neq(last->outcome, MMU_OUTCOME_AD_WRITE, "%s", c->name);
        }
        sim_machine_free(&m);
    }
}

/* A load fills an entry that does not know D; the first store through it walks again to set
 * D, and later stores hit. */
Test(mmu_ad, first_store_after_a_load_walks_again)
{
    sim_machine_t m;
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    mt_native(&m, &b);
    cr_assert(mmu_build_map(&b, VA, PA, MMU_PTE_R | MMU_PTE_W));
    mmu_t *mmu = &m.cpu[0].mmu;
    cr_assert_eq(mmu_translate(mmu, &m, VA, MMU_LOAD, MMU_PRIV_KERNEL).status, MMU_OK);
    cr_assert_eq(mmu_translate(mmu, &m, VA, MMU_LOAD, MMU_PRIV_KERNEL).walked, false);
    cr_expect_eq(mt_word(&m, mmu_build_leaf_addr(&b, VA)) & MMU_PTE_D, 0u);
    mmu_result_t st = mmu_translate(mmu, &m, VA, MMU_STORE, MMU_PRIV_KERNEL);
    cr_expect(st.walked, "the first store must walk to set D");
    cr_expect_eq(mt_word(&m, mmu_build_leaf_addr(&b, VA)) & MMU_PTE_D, MMU_PTE_D);
    cr_expect_eq(mmu_translate(mmu, &m, VA, MMU_STORE, MMU_PRIV_KERNEL).walked, false);
    cr_expect_eq(mmu->stats.walks, 2);
    cr_expect_eq(mmu->stats.hits, 2);
    cr_expect_eq(mmu->stats.ad_writes, 2);
    sim_machine_free(&m);
}

/* A kernel that turns paging on over identity-mapped pages without A set, then loads and
 * stores in a loop over four data pages. */
static const char loop_program[] = "        li r1, %u\n"
                                   "        csrw ptroot, r1\n"
                                   "        li r5, 0x20000\n"
                                   "        li r6, 50\n"
                                   "again:  ld r2, [r5]\n"
                                   "        addi r2, r2, 1\n"
                                   "        st r2, [r5 + 0x1000]\n"
                                   "        ld r3, [r5 + 0x2000]\n"
                                   "        st r3, [r5 + 0x3000]\n"
                                   "        addi r6, r6, -1\n"
                                   "        cmpi r6, 0\n"
                                   "        bne again\n"
                                   "        out r0, [0xf0]\n";

static void run_loop(sim_machine_t *m, bool free_memory_system)
{
    char src[1024];
    mmu_builder_t b;
    snprintf(src, sizeof src, loop_program, MMU_PTROOT_MAKE(0x40, MT_ASID));
    th_machine(m, src);
    if (free_memory_system) {
        m->costs.c[SIM_COST_tlb_hit] = 0;
        m->costs.c[SIM_COST_walk_ref] = 0;
        m->costs.c[SIM_COST_ad_update] = 0;
    } else {
        m->costs.c[SIM_COST_tlb_hit] = 1;
    }
    cr_assert(mmu_build_init(&b, m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map_range(&b, 0, 0, 0x24000, MMU_PTE_RWX));
    cr_assert_eq(sim_run(m, 1000000), SIM_RUN_POWEROFF);
}

Test(mmu_ad, the_cpu_pays_what_the_mmu_reports)
{
    sim_machine_t flat, paged;
    run_loop(&flat, true);
    run_loop(&paged, false);
    const mmu_stats_t *st = &paged.cpu[0].mmu.stats;
    cr_expect_eq(paged.cpu[0].s.instret, flat.cpu[0].s.instret);
    cr_expect_eq(st->walks, flat.cpu[0].mmu.stats.walks);
    cr_expect_gt(st->hits, 400u, "the loop runs from the TLB");
    cr_expect_eq(st->ad_writes, 4 + 1, "one write-back per data page and one for the code page");
    uint64_t extra = st->walk_refs * paged.costs.c[SIM_COST_walk_ref] +
                     st->ad_writes * paged.costs.c[SIM_COST_ad_update] + st->hits;
    cr_expect_eq(st->walk_cycles, st->walk_refs * 12 + st->ad_writes * 20);
    cr_expect_eq(paged.cpu[0].s.cycles - flat.cpu[0].s.cycles, extra,
                 "paged %llu, flat %llu, expected a difference of %llu",
                 (unsigned long long)paged.cpu[0].s.cycles,
                 (unsigned long long)flat.cpu[0].s.cycles, (unsigned long long)extra);
    sim_machine_free(&flat);
    sim_machine_free(&paged);
}
