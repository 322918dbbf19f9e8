/*
 * test_fast.c - the hot loop's translation cache in front of the TLB (mmu_fast_lookup), and
 * walk recording switched off: neither may change anything the model shows.
 *
 * The cache is host-side bookkeeping. It may answer only where the modelled TLB holds the
 * translation, so each test makes the TLB lose an entry in one way (a FIFO replacement, a
 * large entry replaced, tlbinv, a context switch) and checks that the cache lost it too.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mmu_util.h"

#define PAGE_A 0x00400000u /* vpn 0x400: set 0 of a 4-set direct-mapped TLB */
#define PAGE_B 0x00404000u /* vpn 0x404: set 0 too, and another line of the cache */

/* A native machine with a 4-entry direct-mapped TLB and pages A and B mapped. */
static void small_tlb_machine(sim_machine_t *m, mmu_builder_t *b)
{
    cr_assert_eq(sim_machine_init(m, MT_RAM, 1), 0);
    sim_console_set_output(m, NULL);
    m->mmu_config.tlb_entries = 4;
    m->mmu_config.tlb_ways = 1;
    cr_assert_null(sim_configure_mmu(m));
    mt_native(m, b);
    cr_assert(mmu_build_map(b, PAGE_A, 0x00010000u, MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D));
    cr_assert(mmu_build_map(b, PAGE_B, 0x00011000u, MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D));
}

static bool cached(const mmu_t *mmu, uint32_t va)
{
    uint32_t pa;
    return mmu_fast_lookup(mmu, MMU_LOAD, va, false, &pa);
}

static void load(sim_machine_t *m, uint32_t va)
{
    cr_assert_eq(mmu_translate(&m->cpu[0].mmu, m, va, MMU_LOAD, MMU_PRIV_KERNEL).status, MMU_OK);
}

Test(mmu_fast, a_translation_is_cached_where_the_tlb_holds_it)
{
    sim_machine_t m;
    mmu_builder_t b;
    small_tlb_machine(&m, &b);
    mmu_t *mmu = &m.cpu[0].mmu;
    cr_expect_not(cached(mmu, PAGE_A), "nothing before the first translation");
    load(&m, PAGE_A);
    uint32_t pa = 0;
    cr_expect(mmu_fast_lookup(mmu, MMU_LOAD, PAGE_A + 0x123, false, &pa));
    cr_expect_eq(pa, 0x00010123u);
    cr_expect(mmu_fast_lookup(mmu, MMU_STORE, PAGE_A, false, &pa), "the entry allows stores");
    cr_expect_not(mmu_fast_lookup(mmu, MMU_LOAD, PAGE_A, true, &pa), "only the privilege asked");
    /* a page without W, and one whose D is clear: the TLB serves no store, nor does the cache */
    cr_assert(mmu_build_map(&b, 0x00405000u, 0x00013000u, MMU_PTE_R | MMU_PTE_A));
    cr_assert(mmu_build_map(&b, 0x00406000u, 0x00014000u, MMU_PTE_R | MMU_PTE_W | MMU_PTE_A));
    load(&m, 0x00405000u);
    load(&m, 0x00406000u);
    cr_expect(cached(mmu, 0x00405000u));
    cr_expect(cached(mmu, 0x00406000u));
    cr_expect_not(mmu_fast_lookup(mmu, MMU_STORE, 0x00405000u, false, &pa), "no W");
    cr_expect_not(mmu_fast_lookup(mmu, MMU_STORE, 0x00406000u, false, &pa), "D not yet set");
    cr_expect_not(mmu_fast_lookup(mmu, MMU_FETCH, 0x00406000u, false, &pa), "no X");
    sim_machine_free(&m);
}

/* B replaces A in the TLB's only way of set 0: A leaves the cache too, although the two sit
 * on different lines of it. */
Test(mmu_fast, a_replaced_tlb_entry_leaves_the_cache)
{
    sim_machine_t m;
    mmu_builder_t b;
    small_tlb_machine(&m, &b);
    mmu_t *mmu = &m.cpu[0].mmu;
    load(&m, PAGE_A);
    load(&m, PAGE_B);
    cr_expect_null(mmu_tlb_find(mmu, PAGE_A), "the TLB replaced A");
    cr_expect_not(cached(mmu, PAGE_A), "so the cache forgot it");
    cr_expect(cached(mmu, PAGE_B));
    /* the tables change under A without a tlbinv: the next access must walk and see it */
    cr_assert(mmu_build_map(&b, PAGE_A, 0x00012000u, MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D));
    uint64_t walks = mmu->stats.walks;
    mmu_result_t r = mmu_translate(mmu, &m, PAGE_A, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_eq(r.pa, 0x00012000u);
    cr_expect_eq(mmu->stats.walks, walks + 1);
    sim_machine_free(&m);
}

Test(mmu_fast, tlbinv_flush_and_context_switch_empty_it)
{
    sim_machine_t m;
    mmu_builder_t b;
    small_tlb_machine(&m, &b);
    mmu_t *mmu = &m.cpu[0].mmu;
    load(&m, PAGE_A);
    mmu_tlbinv(mmu, PAGE_A);
    cr_expect_not(cached(mmu, PAGE_A), "tlbinv");
    load(&m, PAGE_A);
    mmu_tlbflush(mmu);
    cr_expect_not(cached(mmu, PAGE_A), "tlbflush");
    load(&m, PAGE_A);
    mmu_set_ptroot(mmu, mmu->ptroot); /* the same ASID again: still a context change */
    cr_expect_not(cached(mmu, PAGE_A), "ptroot write");
    sim_machine_free(&m);
}

/* A large TLB entry stands for 1 024 pages; when it is replaced, none of them may stay. */
Test(mmu_fast, a_replaced_large_entry_takes_all_its_pages)
{
    sim_machine_t m;
    mmu_builder_t b;
    cr_assert_eq(sim_machine_init(&m, 16u << 20, 1), 0);
    sim_console_set_output(&m, NULL);
    m.mmu_config.tlb_entries = 4;
    m.mmu_config.tlb_ways = 1;
    cr_assert_null(sim_configure_mmu(&m));
    cr_assert(mmu_build_init(&b, &m, 2, 0, 0x40, 0x80));
    mmu_set_ptroot(&m.cpu[0].mmu, MMU_PTROOT_MAKE(b.root_pfn, MT_ASID));
    cr_assert(mmu_build_map_large(&b, 0x00400000u, 0x00400000u, MMU_PTE_RWX));
    mmu_t *mmu = &m.cpu[0].mmu;
    load(&m, 0x00400000u);
    load(&m, 0x00401000u);
    cr_expect(cached(mmu, 0x00401000u), "a page of the large entry");
    cr_expect_eq(mmu->stats.large_fills, 1);
    /* the large entry's page key is 1 (it counts 4 MiB pages), so it sits in set 1; vpn 0x801
     * goes to set 1 as well */
    cr_assert(mmu_build_map(&b, 0x00801000u, 0x00011000u, MMU_PTE_RWX));
    load(&m, 0x00801000u);
    cr_expect_null(mmu_tlb_find(mmu, 0x00401000u), "the small entry replaced the large one");
    cr_expect_not(cached(mmu, 0x00400000u));
    cr_expect_not(cached(mmu, 0x00401000u));
    sim_machine_free(&m);
}

/* With recording off (the default) a walk keeps its counts and cycles, and no steps. */
Test(mmu_fast, recording_off_changes_no_figure)
{
    sim_machine_t on, off;
    mmu_builder_t bon, boff;
    small_tlb_machine(&on, &bon);
    small_tlb_machine(&off, &boff);
    cr_expect_not(off.cpu[0].mmu.record_trace, "recording is off unless asked for");
    on.cpu[0].mmu.record_trace = true;
    mmu_result_t ron = mmu_translate(&on.cpu[0].mmu, &on, PAGE_A, MMU_STORE, MMU_PRIV_KERNEL);
    mmu_result_t roff = mmu_translate(&off.cpu[0].mmu, &off, PAGE_A, MMU_STORE, MMU_PRIV_KERNEL);
    cr_expect_eq(ron.pa, roff.pa);
    cr_expect_eq(ron.cycles, roff.cycles);
    const mmu_trace_t *ton = &on.cpu[0].mmu.trace, *toff = &off.cpu[0].mmu.trace;
    cr_expect_eq(ton->refs, toff->refs);
    cr_expect_eq(ton->cycles, toff->cycles);
    cr_expect_eq(ton->n, 2, "two steps recorded");
    cr_expect_eq(toff->n, 0, "none kept");
    cr_expect_eq(memcmp(&on.cpu[0].mmu.stats, &off.cpu[0].mmu.stats, sizeof(mmu_stats_t)), 0);
    sim_machine_free(&on);
    sim_machine_free(&off);
}
