/*
 * test_large.c - large pages and the nested TLB: the reference counts of cold walks for every
 * combination of guest and nested levels and page sizes, TLB entries of both sizes (a large
 * entry serves its whole page, a small-page tlbinv inside it removes it, a splintered page is
 * cached 4 KiB at a time and counted), malformed large leaves, the page-walk cache keeping
 * pointers only, and the nested TLB's hits and its invalidation.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mmu_util.h"

/* ------------------------------------------------------------------------------------------
 * Reference counts and page sizes, through the walk demo's tables and the real MMU
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    unsigned n, m;        /* guest and nested levels */
    bool glarge, nlarge;  /* large guest page, large nested pages */
    unsigned refs;        /* a cold walk's memory references: (n-g+1)(m-h+1)-1 */
    unsigned entry_shift; /* what the TLB entry covers */
    bool splintered;
} large_case_t;

/* Written out, not computed. A large leaf ends its tree one level early: 2x2 with both large
 * is 3 references, 4x4 15. A TLB entry covers the smaller of the two pages, and only when
 * both are large; a guest large page over small nested pages is splintered. */
static const large_case_t large_cases[] = {
    {2, 2, 0, 0, 8, 12, 0},  {2, 2, 0, 1, 5, 12, 0},  {2, 2, 1, 0, 5, 12, 1},
    {2, 2, 1, 1, 3, 22, 0},  {2, 3, 0, 0, 11, 12, 0}, {2, 3, 0, 1, 8, 12, 0},
    {2, 3, 1, 0, 7, 12, 1},  {2, 3, 1, 1, 5, 19, 0},  {2, 4, 0, 0, 14, 12, 0},
    {2, 4, 0, 1, 11, 12, 0}, {2, 4, 1, 0, 9, 12, 1},  {2, 4, 1, 1, 7, 17, 0},
    {3, 2, 0, 0, 11, 12, 0}, {3, 2, 0, 1, 7, 12, 0},  {3, 2, 1, 0, 8, 12, 1},
    {3, 2, 1, 1, 5, 19, 0},  {3, 3, 0, 0, 15, 12, 0}, {3, 3, 0, 1, 11, 12, 0},
    {3, 3, 1, 0, 11, 12, 1}, {3, 3, 1, 1, 8, 19, 0},  {3, 4, 0, 0, 19, 12, 0},
    {3, 4, 0, 1, 15, 12, 0}, {3, 4, 1, 0, 14, 12, 1}, {3, 4, 1, 1, 11, 17, 0},
    {4, 2, 0, 0, 14, 12, 0}, {4, 2, 0, 1, 9, 12, 0},  {4, 2, 1, 0, 11, 12, 1},
    {4, 2, 1, 1, 7, 17, 0},  {4, 3, 0, 0, 19, 12, 0}, {4, 3, 0, 1, 14, 12, 0},
    {4, 3, 1, 0, 15, 12, 1}, {4, 3, 1, 1, 11, 17, 0}, {4, 4, 0, 0, 24, 12, 0},
    {4, 4, 0, 1, 19, 12, 0}, {4, 4, 1, 0, 19, 12, 1}, {4, 4, 1, 1, 15, 17, 0},
};

static mmu_demo_result_t demo(const large_case_t *c)
{
    mmu_demo_params_t p = {.levels = c->n,
                           .nested_levels = c->m,
                           .nested = true,
                           .guest_large = c->glarge,
                           .nested_large = c->nlarge,
                           .va = MMU_DEMO_VA};
    mmu_demo_result_t r;
    const char *why = mmu_demo_run(&p, &r);
    cr_assert_null(why, "%ux%u: %s", c->n, c->m, why);
    cr_assert_eq(r.result.status, MMU_OK, "%ux%u g%d h%d: the walk failed", c->n, c->m, c->glarge,
                 c->nlarge);
    return r;
}

Test(large_pages, cold_2d_reference_counts_for_every_combination)
{
    for (size_t i = 0; i < sizeof large_cases / sizeof large_cases[0]; i++) {
        const large_case_t *c = &large_cases[i];
        mmu_demo_result_t r = demo(c);
        const char *what = c->glarge ? (c->nlarge ? "both large" : "guest large")
                                     : (c->nlarge ? "nested large" : "both small");
        cr_expect_eq(r.trace.refs, c->refs, "%ux%u %s: %u references", c->n, c->m, what,
                     r.trace.refs);
        cr_expect_eq(r.trace.entry_shift, c->entry_shift, "%ux%u %s: entry of 2^%u", c->n, c->m,
                     what, r.trace.entry_shift);
        cr_expect_eq(r.trace.splintered, c->splintered, "%ux%u %s", c->n, c->m, what);
        cr_expect_eq(r.trace.leaf_shift, c->glarge ? mmu_large_shift(c->n) : 12u);
        cr_expect_eq(r.trace.nested_shift, c->nlarge ? mmu_large_shift(c->m) : 12u);
        uint32_t gpa = c->glarge ? MMU_DEMO_VA & ((1u << mmu_large_shift(c->n)) - 1) : 0x123a2cu;
        uint32_t base = c->nlarge ? MMU_DEMO_GUEST_HPA_LARGE : MMU_DEMO_GUEST_HPA;
        cr_expect_eq(r.trace.gpa, gpa, "%ux%u %s", c->n, c->m, what);
        cr_expect_eq(r.result.pa, base + gpa, "%ux%u %s", c->n, c->m, what);
        cr_expect_eq(r.stats.splinters, c->splintered);
        cr_expect_eq(r.stats.large_fills, c->entry_shift > 12);
    }
}

Test(large_pages, cold_1d_reference_counts)
{
    static const unsigned refs[MMU_MAX_LEVELS + 1] = {[2] = 1, [3] = 2, [4] = 3};
    static const unsigned shift[MMU_MAX_LEVELS + 1] = {[2] = 22, [3] = 19, [4] = 17};
    for (unsigned n = MMU_MIN_LEVELS; n <= MMU_MAX_LEVELS; n++) {
        mmu_demo_params_t p = {.levels = n, .guest_large = true, .va = MMU_DEMO_VA};
        mmu_demo_result_t r;
        cr_assert_null(mmu_demo_run(&p, &r));
        cr_assert_eq(r.result.status, MMU_OK);
        cr_expect_eq(r.trace.refs, refs[n], "%u levels: %u references", n, r.trace.refs);
        cr_expect_eq(r.trace.entry_shift, shift[n], "%u levels", n);
        cr_expect_eq(mmu_large_shift(n), shift[n]);
        cr_expect_eq(r.result.pa, MMU_DEMO_VA & ((1u << shift[n]) - 1));
        cr_expect_eq(r.trace.ad_writes, 1u, "A is set in the large leaf");
    }
}

/* ------------------------------------------------------------------------------------------
 * A 16 MiB machine with a VM whose guest-physical 0..4 MiB is host 4..8 MiB
 * ------------------------------------------------------------------------------------------ */
#define LP_RAM (16u << 20)
#define LP_GUEST_HPA 0x00400000u
#define LP_GUEST_RAM 0x00400000u
#define LP_VA 0x00400000u /* the guest's large page: va 4..8 MiB -> gpa 0..4 MiB */

static sim_machine_t *lp_machine(bool ntlb, bool pwc)
{
    sim_machine_t *m = malloc(sizeof *m);
    cr_assert_not_null(m);
    cr_assert_eq(sim_machine_init(m, LP_RAM, 1), 0);
    sim_console_set_output(m, NULL);
    m->mmu_config.ntlb = ntlb;
    m->mmu_config.pwc = pwc;
    cr_assert_null(sim_configure_mmu(m));
    m->cpu[0].mmu.record_trace = true; /* the tests read the walks' steps */
    return m;
}

static void lp_free(sim_machine_t *m)
{
    sim_machine_free(m);
    free(m);
}

/* Builds the VM: nested tables (large or small pages) and guest tables mapping LP_VA with a
 * large page (guest_large) or page by page over the same 4 MiB. */
static void lp_vm(sim_machine_t *m, mt_vm_t *vm, bool guest_large, bool nested_large)
{
    cr_assert(mmu_build_init(&vm->nested, m, 2, 0, MT_HOST_POOL));
    if (nested_large)
        cr_assert(mmu_build_map_large(&vm->nested, 0, LP_GUEST_HPA, MMU_PTE_RWX));
    else
        cr_assert(mmu_build_map_range(&vm->nested, 0, LP_GUEST_HPA, LP_GUEST_RAM, MMU_PTE_RWX));
    cr_assert(mmu_build_init(&vm->guest, m, 2, LP_GUEST_HPA, MT_GUEST_POOL));
    if (guest_large)
        cr_assert(mmu_build_map_large(&vm->guest, LP_VA, 0, MMU_PTE_R | MMU_PTE_W));
    else
        cr_assert(mmu_build_map_range(&vm->guest, LP_VA, 0, LP_GUEST_RAM, MMU_PTE_R | MMU_PTE_W));
    mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 3, .root_pfn = vm->nested.root_pfn};
    cr_assert(mmu_set_nested(&m->cpu[0].mmu, &ctl));
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(vm->guest.root_pfn, MT_ASID));
}

static mmu_result_t load(sim_machine_t *m, uint32_t va)
{
    mmu_result_t r = mmu_translate(&m->cpu[0].mmu, m, va, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_assert_eq(r.status, MMU_OK, "va 0x%08x", va);
    return r;
}

Test(large_pages, a_large_entry_serves_its_whole_page)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, true, true);
    mmu_t *mmu = &m->cpu[0].mmu;
    cr_expect(load(m, LP_VA + 0x1a2c).walked);
    mmu_result_t far = load(m, LP_VA + 0x3ff123);
    cr_expect_not(far.walked, "the other end of the 4 MiB page hits the same entry");
    cr_expect_eq(far.pa, LP_GUEST_HPA + 0x3ff123);
    cr_expect_not(load(m, LP_VA).walked);
    const mmu_tlb_entry_t *e = mmu_tlb_find(mmu, LP_VA + 0x200000);
    cr_assert_not_null(e);
    cr_expect_eq(e->shift, 22);
    cr_expect_eq(e->vpn, LP_VA >> 12);
    cr_expect_eq(e->pfn, LP_GUEST_HPA >> 12);
    cr_expect_eq(mmu->stats.walks, 1);
    cr_expect_eq(mmu->stats.hits, 2);
    cr_expect_eq(mmu->stats.large_fills, 1);
    cr_expect_eq(mmu->stats.splinters, 0);
    cr_expect_null(mmu_tlb_find(mmu, LP_VA + 0x400000), "the next 4 MiB is not covered");
    lp_free(m);
}

Test(large_pages, a_splintered_page_is_cached_4_kib_at_a_time)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, true, false);
    mmu_t *mmu = &m->cpu[0].mmu;
    cr_expect(load(m, LP_VA + 0x1a2c).walked);
    cr_expect(load(m, LP_VA + 0x2a2c).walked, "the next 4 KiB of the guest's large page walks");
    cr_expect_not(load(m, LP_VA + 0x1000).walked);
    const mmu_tlb_entry_t *e = mmu_tlb_find(mmu, LP_VA + 0x1000);
    cr_assert_not_null(e);
    cr_expect_eq(e->shift, 0);
    cr_expect_eq(mmu->stats.walks, 2);
    cr_expect_eq(mmu->stats.walk_refs, 10, "5 references each: (1+1)(2+1)-1");
    cr_expect_eq(mmu->stats.splinters, 2);
    cr_expect_eq(mmu->stats.large_fills, 0);
    lp_free(m);
}

/* Small guest pages over large nested pages: the walk is shorter, the TLB entries small. */
Test(large_pages, large_nested_pages_under_small_guest_pages)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, true);
    mmu_t *mmu = &m->cpu[0].mmu;
    cr_expect(load(m, LP_VA + 0x5a2c).walked);
    cr_expect(load(m, LP_VA + 0x6a2c).walked);
    cr_expect_eq(mmu->stats.walk_refs, 10, "5 references each: (2+1)(1+1)-1");
    cr_expect_eq(mmu->stats.splinters, 0, "the guest chose small pages: nothing is splintered");
    lp_free(m);
}

Test(large_pages, a_small_page_tlbinv_inside_a_large_entry_removes_it)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, true, true);
    mmu_t *mmu = &m->cpu[0].mmu;
    load(m, LP_VA + 0x1a2c);
    mmu_tlbinv(mmu, LP_VA + 0x400000); /* the next large page: not this entry */
    cr_expect_not_null(mmu_tlb_find(mmu, LP_VA + 0x1a2c));
    cr_expect_eq(mmu->stats.flushed, 0);
    mmu_tlbinv(mmu, LP_VA + 0x2ff000); /* one 4 KiB page inside it */
    cr_expect_null(mmu_tlb_find(mmu, LP_VA + 0x1a2c));
    cr_expect_eq(mmu->stats.flushed, 1);
    cr_expect(load(m, LP_VA + 0x1a2c).walked);
    lp_free(m);
}

/* Both sizes side by side in one TLB: a small entry and a large one, each found by its own
 * page, each removed by its own invalidation. */
Test(large_pages, entries_of_both_sizes_side_by_side)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, true, true);
    cr_assert(mmu_build_map(&vm.guest, 0x00001000u, 0x00002000u, MMU_PTE_R | MMU_PTE_W));
    mmu_t *mmu = &m->cpu[0].mmu;
    cr_expect_eq(load(m, 0x00001010u).pa, LP_GUEST_HPA + 0x2010);
    load(m, LP_VA + 0x10);
    const mmu_tlb_entry_t *small = mmu_tlb_find(mmu, 0x00001000u);
    const mmu_tlb_entry_t *large = mmu_tlb_find(mmu, LP_VA + 0x123456);
    cr_assert_not_null(small);
    cr_assert_not_null(large);
    cr_expect_eq(small->shift, 0);
    cr_expect_eq(large->shift, 22);
    mmu_tlbinv(mmu, 0x00001000u);
    cr_expect_null(mmu_tlb_find(mmu, 0x00001000u));
    cr_expect_not_null(mmu_tlb_find(mmu, LP_VA));
    lp_free(m);
}

Test(large_pages, a_native_large_page)
{
    sim_machine_t *m = lp_machine(false, false);
    mmu_builder_t b;
    cr_assert(mmu_build_init(&b, m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map_large(&b, LP_VA, 0x00800000u, MMU_PTE_R | MMU_PTE_W | MMU_PTE_G));
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(b.root_pfn, MT_ASID));
    mmu_result_t r = load(m, LP_VA + 0x3456);
    cr_expect_eq(r.pa, 0x00803456u);
    cr_expect_eq(m->cpu[0].mmu.trace.refs, 1);
    uint32_t leaf = mt_word(m, mmu_build_leaf_addr(&b, LP_VA));
    cr_expect(leaf & MMU_PTE_A, "A is written back into the level-1 leaf");
    cr_expect_not(load(m, LP_VA + 0x3fffff - 3).walked);
    /* a global large page survives another address space's switch */
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(b.root_pfn, MT_ASID + 1));
    cr_expect_not(load(m, LP_VA + 0x10).walked);
    lp_free(m);
}

/* A large leaf whose frame is not aligned to its size, and S above level 1, are malformed. */
Test(large_pages, malformed_large_leaves_fault)
{
    sim_machine_t *m = lp_machine(false, false);
    mmu_builder_t b;
    cr_assert(mmu_build_init(&b, m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map_large(&b, LP_VA, 0x00800000u, MMU_PTE_R | MMU_PTE_W));
    cr_expect_not(mmu_build_map_large(&b, 0x00c01000u, 0x00800000u, MMU_PTE_R),
                  "the builder refuses an unaligned large page");
    uint32_t at = mmu_build_leaf_addr(&b, LP_VA);
    mt_set_word(m, at, MMU_PTE_MAKE(0x801, MMU_PTE_V | MMU_PTE_R | MMU_PTE_S));
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(b.root_pfn, MT_ASID));
    mmu_result_t r = mmu_translate(&m->cpu[0].mmu, m, LP_VA, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_eq(r.status, MMU_PAGE_FAULT);
    cr_expect_eq(r.reason, MMU_OUTCOME_MALFORMED);
    lp_free(m);

    sim_machine_t *m3 = lp_machine(false, false);
    m3->mmu_config.levels = 3;
    cr_assert_null(sim_configure_mmu(m3));
    cr_assert(mmu_build_init(&b, m3, 3, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map(&b, LP_VA, 0x00800000u, MMU_PTE_R));
    uint32_t root = b.root_pfn << 12;
    uint32_t top = root + mmu_table_index(3, 2, LP_VA) * 4;
    mt_set_word(m3, top, mt_word(m3, top) | MMU_PTE_S | MMU_PTE_R);
    mmu_set_ptroot(&m3->cpu[0].mmu, MMU_PTROOT_MAKE(b.root_pfn, MT_ASID));
    r = mmu_translate(&m3->cpu[0].mmu, m3, LP_VA, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_eq(r.status, MMU_PAGE_FAULT);
    cr_expect_eq(r.reason, MMU_OUTCOME_MALFORMED, "S in level 2 of a 3-level tree");
    lp_free(m3);
}

/* A nested large leaf that is malformed is the hypervisor's mistake: a nested fault. */
Test(large_pages, a_malformed_nested_large_leaf_is_a_nested_fault)
{
    sim_machine_t *m = lp_machine(false, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, true);
    uint32_t at = mmu_build_leaf_addr(&vm.nested, 0);
    mt_set_word(m, at, mt_word(m, at) | (1u << MMU_PTE_PFN_SHIFT)); /* frame 0x401: unaligned */
    mmu_result_t r = mmu_translate(&m->cpu[0].mmu, m, LP_VA, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_eq(r.status, MMU_NESTED_FAULT);
    cr_expect_eq(r.nested.reason, MMU_OUTCOME_MALFORMED);
    lp_free(m);
}

/* A page-walk cache keeps pointers, not leaves: a nested large leaf is read from memory by
 * every nested walk (its A/D state lives there), the guest's pointer only once. */
Test(large_pages, the_page_walk_cache_keeps_no_large_leaf)
{
    sim_machine_t *m = lp_machine(false, true);
    mt_vm_t vm;
    lp_vm(m, &vm, false, true);
    load(m, LP_VA + 0x1a2c);
    const mmu_trace_t *t = &m->cpu[0].mmu.trace;
    cr_expect_eq(t->refs, 5);
    cr_expect_eq(t->pwc_hits, 0);
    lp_free(m);
}

/* ------------------------------------------------------------------------------------------
 * The nested TLB
 * ------------------------------------------------------------------------------------------ */
Test(ntlb, guest_tables_found_without_a_nested_walk)
{
    sim_machine_t *m = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, false);
    mmu_t *mmu = &m->cpu[0].mmu;
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.refs, 8, "cold: the nested TLB is empty");
    cr_expect_eq(mmu->trace.ntlb_hits, 0);
    load(m, LP_VA + 0x2a2c);
    cr_expect_eq(mmu->trace.refs, 4, "2 guest entries + 2 for the data page");
    cr_expect_eq(mmu->trace.ntlb_hits, 2, "both guest tables were located by the NTLB");
    cr_expect_eq(mmu->trace.cycles, 4 * 12 + 2 * 2 + 20, "4 references, 2 hits, A/D");
    unsigned hits = 0;
    for (unsigned i = 0; i < mmu->trace.n; i++)
        hits += mmu->trace.ref[i].outcome == MMU_OUTCOME_NTLB_HIT;
    cr_expect_eq(hits, 2, "each hit is a step of the trace");
    cr_expect_eq(mmu->stats.ntlb_hits, 2);
    lp_free(m);
}

/* The quick walk consults no nested TLB, so it must not walk while one is on: a walk that nobody
 * records, over leaves whose A and D are set already (nothing to write back), still takes the
 * full walker and finds its guest tables in the nested TLB. */
Test(ntlb, walks_that_nobody_records_use_it_too)
{
    sim_machine_t *m = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, false);
    for (uint32_t page = 1; page <= 2; page++)
        cr_assert(mmu_build_map(&vm.guest, LP_VA + page * MMU_PAGE_SIZE, page * MMU_PAGE_SIZE,
                                MMU_PTE_R | MMU_PTE_W | MMU_PTE_A | MMU_PTE_D));
    mmu_t *mmu = &m->cpu[0].mmu;
    mmu->record_trace = false;
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.refs, 8, "cold: the nested TLB is empty");
    load(m, LP_VA + 0x2a2c);
    cr_expect_eq(mmu->trace.refs, 4, "2 guest entries + 2 for the data page");
    cr_expect_eq(mmu->trace.ntlb_hits, 2, "both guest tables were located by the NTLB");
    cr_expect_eq(mmu->stats.ntlb_hits, 2);
    cr_expect_eq(mmu->stats.ad_writes, 0, "nothing was written back: a quick walk could have run");
    lp_free(m);
}

Test(ntlb, a_guest_flush_keeps_it_a_nested_map_change_empties_it)
{
    sim_machine_t *m = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, false);
    mmu_t *mmu = &m->cpu[0].mmu;
    load(m, LP_VA + 0x1a2c);
    mmu_tlbflush(mmu); /* the guest's flush: the nested map did not change */
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.ntlb_hits, 2);
    mmu_invalidate(mmu, MMU_FLUSH_VM, 3, 0, 0); /* the hypervisor changed the nested map */
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.ntlb_hits, 0);
    cr_expect_eq(mmu->trace.refs, 8);
    mmu_invalidate(mmu, MMU_FLUSH_ALL, 0, 0, 0);
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.ntlb_hits, 0);
    cr_expect_eq(mmu->stats.ntlb_hits, 2);
    lp_free(m);
}

/* Entries are tagged with the nested root: another VM's walk never uses them. */
Test(ntlb, no_hit_under_another_nested_root)
{
    sim_machine_t *m = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, false);
    mmu_t *mmu = &m->cpu[0].mmu;
    load(m, LP_VA + 0x1a2c);
    mmu_builder_t other;
    cr_assert(mmu_build_init(&other, m, 2, 0, 0x80u, 0x100u));
    cr_assert(mmu_build_map_range(&other, 0, LP_GUEST_HPA, LP_GUEST_RAM, MMU_PTE_RWX));
    mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 4, .root_pfn = other.root_pfn};
    cr_assert(mmu_set_nested(mmu, &ctl));
    load(m, LP_VA + 0x1a2c);
    cr_expect_eq(mmu->trace.ntlb_hits, 0);
    cr_expect_eq(mmu->trace.refs, 8);
    lp_free(m);
}

/* The debugger's probe changes nothing and uses no cache: the NTLB neither. */
Test(ntlb, the_probe_neither_uses_nor_fills_it)
{
    sim_machine_t *m = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, false);
    mmu_t *mmu = &m->cpu[0].mmu;
    mmu_trace_t t;
    mmu_translate_probe(mmu, m, LP_VA + 0x1a2c, MMU_LOAD, MMU_PRIV_KERNEL, &t);
    cr_expect_eq(mmu->ntlb.used, 0);
    load(m, LP_VA + 0x1a2c);
    mmu_translate_probe(mmu, m, LP_VA + 0x2a2c, MMU_LOAD, MMU_PRIV_KERNEL, &t);
    cr_expect_eq(t.refs, 8);
    cr_expect_eq(t.ntlb_hits, 0);
    lp_free(m);
}

/* Plain data: an MMU copied as bytes, with large entries and a warm nested TLB, goes on exactly
 * as the original (snapshots rest on this). */
Test(ntlb, a_copied_mmu_with_large_entries_and_ntlb_goes_on_alike)
{
    sim_machine_t *m = lp_machine(true, false), *c = lp_machine(true, false);
    mt_vm_t vm;
    lp_vm(m, &vm, false, true);
    cr_assert(mmu_build_map_large(&vm.guest, 0x00c00000u, 0, MMU_PTE_R | MMU_PTE_W));
    load(m, LP_VA + 0x1a2c);
    load(m, 0x00c00010u);
    memcpy(c->ram, m->ram, LP_RAM);
    memcpy(&c->cpu[0].mmu, &m->cpu[0].mmu, sizeof c->cpu[0].mmu);
    static const uint32_t vas[] = {LP_VA + 0x2a2c, 0x00c12345u, LP_VA + 0x1000, 0x00d00000u};
    for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++) {
        mmu_result_t a = mmu_translate(&m->cpu[0].mmu, m, vas[i], MMU_STORE, MMU_PRIV_KERNEL);
        mmu_result_t b = mmu_translate(&c->cpu[0].mmu, c, vas[i], MMU_STORE, MMU_PRIV_KERNEL);
        cr_expect_eq(b.status, a.status, "va 0x%08x", vas[i]);
        cr_expect_eq(b.pa, a.pa, "va 0x%08x", vas[i]);
        cr_expect_eq(b.cycles, a.cycles, "va 0x%08x", vas[i]);
    }
    cr_expect_gt(m->cpu[0].mmu.stats.ntlb_hits, 0);
    cr_expect_gt(m->cpu[0].mmu.stats.large_fills, 0);
    cr_expect_eq(memcmp(&m->cpu[0].mmu.stats, &c->cpu[0].mmu.stats, sizeof(mmu_stats_t)), 0);
    cr_expect_eq(memcmp(&m->cpu[0].mmu.tlb, &c->cpu[0].mmu.tlb, sizeof(mmu_tlb_t)), 0);
    cr_expect_eq(memcmp(&m->cpu[0].mmu.ntlb, &c->cpu[0].mmu.ntlb, sizeof(mmu_ntlb_t)), 0);
    lp_free(m);
    lp_free(c);
}
