/*
 * test_tlb.c - the TLB: its counters, its tags (no entry is ever hit across address spaces or
 * VMs; global pages are shared only within one VM), every kind of invalidation, the tlbinv and
 * tlbflush instructions, and the configured geometry (sets, ways, FIFO replacement).
 */
#include <criterion/criterion.h>

#include "../support/harness.h"
#include "mmu_util.h"

#define VA 0x00400000u
#define PA1 0x00020000u
#define PA2 0x00021000u

static uint32_t translate(sim_machine_t *m, uint32_t va, bool *walked)
{
    mmu_result_t res = mmu_translate(&m->cpu[0].mmu, m, va, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_assert_eq(res.status, MMU_OK, "0x%08x does not translate", va);
    if (walked)
        *walked = res.walked;
    return res.pa;
}

Test(tlb_counters, hits_misses_fills)
{
    sim_machine_t m;
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    mt_native(&m, &b);
    cr_assert(mmu_build_map_range(&b, VA, PA1, 3 * MMU_PAGE_SIZE, MMU_PTE_RWX));
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < 3; i++)
            cr_assert_eq(translate(&m, VA + i * MMU_PAGE_SIZE + 8, NULL),
                         PA1 + i * MMU_PAGE_SIZE + 8);
    const mmu_stats_t *st = &m.cpu[0].mmu.stats;
    cr_expect_eq(st->misses, 3);
    cr_expect_eq(st->fills, 3);
    cr_expect_eq(st->hits, 3);
    cr_expect_eq(st->walks, 3);
    cr_expect_eq(st->walk_refs, 3 * 2, "2 references per cold 2-level walk");
    sim_machine_free(&m);
}

/* A fresh machine with two table trees in the two halves of the host pool: a maps `va` to
 * PA1 with a_bits, b maps it to PA2. */
static void two_trees(sim_machine_t *m, mmu_builder_t *a, mmu_builder_t *b, uint32_t va,
                      uint32_t a_bits)
{
    mt_machine(m, 2, 2);
    cr_assert(mmu_build_init(a, m, 2, 0, 0x40, 0x60));
    cr_assert(mmu_build_init(b, m, 2, 0, 0x60, 0x80));
    cr_assert(mmu_build_map(a, va, PA1, a_bits));
    cr_assert(mmu_build_map(b, va, PA2, MMU_PTE_RWX));
}

/* Two address spaces map VA differently; switching ptroot flushes nothing, yet neither ever
 * sees the other's entry. */
Test(tlb_tags, no_hit_across_address_spaces)
{
    sim_machine_t m;
    mmu_builder_t a, b;
    two_trees(&m, &a, &b, VA, MMU_PTE_RWX);
    mmu_t *mmu = &m.cpu[0].mmu;
    bool walked;
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(a.root_pfn, 1));
    cr_expect_eq(translate(&m, VA, &walked), PA1);
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(b.root_pfn, 2));
    cr_expect_eq(translate(&m, VA, &walked), PA2);
    cr_expect(walked, "ASID 2 must not hit ASID 1's entry");
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(a.root_pfn, 1));
    cr_expect_eq(translate(&m, VA, &walked), PA1);
    cr_expect_not(walked, "ASID 1's entry survives the switch");
    cr_expect_eq(mmu->stats.flushed, 0);
    sim_machine_free(&m);
}

/* Nested-only translation (guest paging off): the same guest-physical page of two VMs. */
static void nested_only(sim_machine_t *m, mmu_builder_t *n, uint16_t vmid, bool enabled)
{
    mmu_nested_t ctl = {.enabled = enabled, .levels = 2, .vmid = vmid, .root_pfn = n->root_pfn};
    cr_assert(mmu_set_nested(&m->cpu[0].mmu, &ctl));
}

Test(tlb_tags, no_hit_across_vms)
{
    sim_machine_t m;
    mmu_builder_t n1, n2;
    two_trees(&m, &n1, &n2, 0x5000, MMU_PTE_RWX);
    bool walked;
    nested_only(&m, &n1, 1, true);
    cr_expect_eq(translate(&m, 0x5004, &walked), PA1 + 4);
    nested_only(&m, &n2, 2, true);
    cr_expect_eq(translate(&m, 0x5004, &walked), PA2 + 4);
    cr_expect(walked, "VM 2 must not hit VM 1's entry");
    nested_only(&m, &n1, 1, true);
    cr_expect_eq(translate(&m, 0x5004, &walked), PA1 + 4);
    cr_expect_not(walked);
    sim_machine_free(&m);
}

/* VM id 0 with and without nested translation: 1-D and 2-D entries never mix. */
Test(tlb_tags, no_hit_between_1d_and_2d)
{
    sim_machine_t m;
    mmu_builder_t n, host;
    two_trees(&m, &n, &host, 0x5000, MMU_PTE_RWX);
    bool walked;
    nested_only(&m, &n, 0, true);
    cr_expect_eq(translate(&m, 0x5000, &walked), PA1);
    nested_only(&m, &n, 0, false);
    mmu_set_ptroot(&m.cpu[0].mmu, MMU_PTROOT_MAKE(host.root_pfn, 0));
    cr_expect_eq(translate(&m, 0x5000, &walked), PA2);
    cr_expect(walked);
    sim_machine_free(&m);
}

Test(tlb_tags, global_pages_are_shared_by_address_spaces_not_by_vms)
{
    sim_machine_t m;
    mmu_builder_t a, b;
    two_trees(&m, &a, &b, VA, MMU_PTE_RWX | MMU_PTE_G);
    mmu_t *mmu = &m.cpu[0].mmu;
    bool walked;
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(a.root_pfn, 1));
    cr_expect_eq(translate(&m, VA, &walked), PA1);
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(b.root_pfn, 2));
    cr_expect_eq(translate(&m, VA, &walked), PA1, "a global entry serves every ASID");
    cr_expect_not(walked);
    /* The same ptroot in another VM (nested on, nested tables mapping the page elsewhere). */
    mmu_builder_t n;
    cr_assert(mmu_build_init(&n, &m, 2, 0, 0x30, 0x40));
    cr_assert(mmu_build_map_range(&n, 0, 0, 0x80000, MMU_PTE_RWX));
    cr_assert(mmu_build_map(&n, PA2, PA1 + 0x5000, MMU_PTE_RWX));
    nested_only(&m, &n, 1, true);
    cr_expect_eq(translate(&m, VA, &walked), PA1 + 0x5000);
    cr_expect(walked, "a global entry of the host must not serve a VM");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Invalidation
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint16_t vmid;
    bool nested;
    uint16_t asid;
    uint32_t vpn;
    bool global;
} entry_spec_t;

static const entry_spec_t entries[] = {
    {0, false, 1, 0x10, false}, /* e0 */
    {0, false, 1, 0x11, false}, /* e1 */
    {0, false, 2, 0x10, false}, /* e2 */
    {0, false, 1, 0x12, true},  /* e3: global */
    {1, true, 1, 0x10, false},  /* e4: VM 1 */
    {2, true, 1, 0x10, false},  /* e5: VM 2 */
};
#define NENTRIES (sizeof entries / sizeof entries[0])

typedef struct {
    const char *name;
    mmu_flush_t kind;
    uint16_t vmid, asid;
    uint32_t vpn;
    unsigned survivors; /* bit i: entry i is still there */
} flush_case_t;

static const flush_case_t flush_cases[] = {
    {"all", MMU_FLUSH_ALL, 0, 0, 0, 0x00},
    {"VM 1", MMU_FLUSH_VM, 1, 0, 0, 0x2f},
    {"VM 0", MMU_FLUSH_VM, 0, 0, 0, 0x30},
    {"ASID 1 of VM 0 keeps the global page", MMU_FLUSH_ASID, 0, 1, 0, 0x3c},
    {"ASID 2 of VM 0", MMU_FLUSH_ASID, 0, 2, 0, 0x3b},
    {"address 0x10 of VM 0 ASID 1", MMU_FLUSH_ADDR, 0, 1, 0x10, 0x3e},
    {"address 0x12 of VM 0 ASID 2 takes the global page", MMU_FLUSH_ADDR, 0, 2, 0x12, 0x37},
    {"address 0x10 of VM 2", MMU_FLUSH_ADDR, 2, 1, 0x10, 0x1f},
};

static uint32_t tag_of(const entry_spec_t *e)
{
    return MMU_TAG(e->vmid, e->nested, e->asid);
}

Test(tlb_flush, every_kind)
{
    mmu_t mmu;
    mmu_config_t cfg = MMU_CONFIG_DEFAULT;
    for (size_t c = 0; c < sizeof flush_cases / sizeof flush_cases[0]; c++) {
        const flush_case_t *fc = &flush_cases[c];
        mmu_init(&mmu, &cfg);
        for (size_t i = 0; i < NENTRIES; i++) {
            mmu_tlb_entry_t e = {.vpn = entries[i].vpn,
                                 .pfn = 0x100 + (uint32_t)i,
                                 .tag = tag_of(&entries[i]),
                                 .perm = MMU_PTE_RWX | (entries[i].global ? MMU_PTE_G : 0)};
            mmu_tlb_fill(&mmu.tlb, &e, NULL);
        }
        mmu_invalidate(&mmu, fc->kind, fc->vmid, fc->asid, fc->vpn << MMU_PAGE_SHIFT);
        unsigned left = 0, removed = 0;
        for (size_t i = 0; i < NENTRIES; i++) {
            const mmu_tlb_entry_t *e =
                mmu_tlb_lookup(&mmu.tlb, tag_of(&entries[i]), entries[i].vpn);
            if (e && e->pfn == 0x100 + i)
                left |= 1u << i;
            else
                removed++;
        }
        cr_expect_eq(left, fc->survivors, "%s: survivors 0x%02x, expected 0x%02x", fc->name, left,
                     fc->survivors);
        cr_expect_eq(mmu.stats.flushes[fc->kind], 1, "%s", fc->name);
        cr_expect_eq(mmu.stats.flushed, removed, "%s", fc->name);
    }
}

/* A machine with the page-walk cache on and native tables of `levels` levels for CPU 0. */
static void pwc_machine(sim_machine_t *m, mmu_builder_t *b, unsigned levels)
{
    mt_machine(m, levels, 2);
    m->mmu_config.pwc = true;
    cr_assert_null(sim_configure_mmu(m));
    mt_native(m, b);
}

Test(tlb_flush, empties_the_page_walk_cache)
{
    sim_machine_t m;
    mmu_builder_t b;
    pwc_machine(&m, &b, 4);
    cr_assert(mmu_build_map(&b, VA, PA1, MMU_PTE_RWX));
    translate(&m, VA, NULL);
    cr_expect_eq(m.cpu[0].mmu.pwc.used, 3, "three upper-level entries cached");
    mmu_invalidate(&m.cpu[0].mmu, MMU_FLUSH_ADDR, 0, MT_ASID, VA);
    cr_expect_eq(m.cpu[0].mmu.pwc.used, 0);
    sim_machine_free(&m);
}

/* The quick walk consults no page-walk cache, so it must not walk while one is on: a walk that
 * nobody records, over a leaf whose A and D are set already (nothing to write back), still takes
 * the full walker and reads the upper-level entry from the cache. */
Test(tlb_counters, a_page_walk_cache_serves_walks_that_nobody_records)
{
    sim_machine_t m;
    mmu_builder_t b;
    pwc_machine(&m, &b, 2);
    uint32_t ad = MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D;
    cr_assert(mmu_build_map(&b, VA, PA1, ad));
    cr_assert(mmu_build_map(&b, VA + MMU_PAGE_SIZE, PA1, ad));
    mmu_t *mmu = &m.cpu[0].mmu;
    cr_assert_not(mmu->record_trace);
    translate(&m, VA, NULL);
    translate(&m, VA + MMU_PAGE_SIZE, NULL);
    cr_expect_eq(mmu->stats.pwc_hits, 1, "the second walk found the root's entry in the cache");
    cr_expect_eq(mmu->stats.walk_refs, 3, "2 references, then 1");
    cr_expect_eq(mmu->stats.ad_writes, 0, "nothing was written back: a quick walk could have run");
    sim_machine_free(&m);
}

/* The kernel loads VA, repoints its PTE (r7 = the leaf's address, r8 and r9 the two PTEs),
 * loads again (the stale entry still answers), invalidates with tlbinv and loads again; then
 * the same with tlbflush. r1..r4 hold the four loads. */
static const char inv_program[] = "        li r1, %u\n"
                                  "        csrw ptroot, r1\n"
                                  "        la r5, 0x%x\n"
                                  "        ld r1, [r5]\n"
                                  "        st r8, [r7]\n"
                                  "        ld r2, [r5]\n"
                                  "        tlbinv r5\n"
                                  "        ld r3, [r5]\n"
                                  "        st r9, [r7]\n"
                                  "        tlbflush\n"
                                  "        ld r4, [r5]\n"
                                  "        out r0, [0xf0]\n";

Test(tlb_flush, tlbinv_and_tlbflush_instructions)
{
    sim_machine_t m;
    mmu_builder_t b;
    th_events_t ev;
    char src[1024];
    snprintf(src, sizeof src, inv_program, MMU_PTROOT_MAKE(0x40, MT_ASID), VA);
    th_machine(&m, src);
    cr_assert(mmu_build_init(&b, &m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map_range(&b, 0, 0, 0x80000, MMU_PTE_RWX));
    cr_assert(mmu_build_map(&b, VA, PA1, MMU_PTE_RWX));
    mt_set_word(&m, PA1, 111);
    mt_set_word(&m, PA2, 222);
    m.cpu[0].s.r[7] = mmu_build_leaf_addr(&b, VA);
    m.cpu[0].s.r[8] = MMU_PTE_MAKE(PA2 >> 12, MMU_PTE_V | MMU_PTE_RWX);
    m.cpu[0].s.r[9] = MMU_PTE_MAKE(PA1 >> 12, MMU_PTE_V | MMU_PTE_RWX);
    th_record_events(&m, &ev);
    cr_assert_eq(sim_run(&m, 100000), SIM_RUN_POWEROFF);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[1], 111);
    cr_expect_eq(r[2], 111, "without an invalidation the TLB keeps the old mapping");
    cr_expect_eq(r[3], 222, "tlbinv drops it");
    cr_expect_eq(r[4], 111, "tlbflush drops it");
    const mmu_stats_t *st = &m.cpu[0].mmu.stats;
    cr_expect_eq(st->flushes[MMU_FLUSH_ADDR], 1);
    cr_expect_eq(st->flushes[MMU_FLUSH_ASID], 1);
    unsigned flush_events = 0;
    for (unsigned i = 0; i < ev.n; i++)
        flush_events += ev.ev[i].kind == SIM_EV_TLBFLUSH;
    cr_expect_eq(flush_events, 2);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Geometry
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    uint16_t entries, ways;
    uint32_t vpns[6];  /* pages translated in order (0 ends) */
    const char *walks; /* per translation: w = walked, h = hit */
} geometry_case_t;

static const geometry_case_t geometry_cases[] = {
    {"direct-mapped: pages 0x10 and 0x14 share a set", 4, 1, {0x10, 0x14, 0x10}, "www"},
    {"fully associative: both fit", 4, 4, {0x10, 0x14, 0x10}, "wwh"},
    {"2-way: the third page of a set replaces the first (FIFO)",
     4,
     2,
     {0x10, 0x12, 0x14, 0x12, 0x10},
     "wwwhw"},
    {"2-way: other sets are untouched", 4, 2, {0x10, 0x11, 0x12, 0x14, 0x11}, "wwwwh"},
};

Test(tlb_geometry, sets_ways_and_fifo)
{
    sim_machine_t m;
    mmu_builder_t b;
    for (size_t c = 0; c < sizeof geometry_cases / sizeof geometry_cases[0]; c++) {
        const geometry_case_t *g = &geometry_cases[c];
        mt_machine(&m, 2, 2);
        m.mmu_config.tlb_entries = g->entries;
        m.mmu_config.tlb_ways = g->ways;
        cr_assert_null(sim_configure_mmu(&m));
        mt_native(&m, &b);
        cr_assert(mmu_build_map_range(&b, 0x10000, PA1, 8 * MMU_PAGE_SIZE, MMU_PTE_RWX));
        for (size_t i = 0; g->vpns[i]; i++) {
            bool walked;
            translate(&m, g->vpns[i] << MMU_PAGE_SHIFT, &walked);
            cr_expect_eq(walked ? 'w' : 'h', g->walks[i], "%s: translation %zu", g->name, i);
        }
        sim_machine_free(&m);
    }
}

/* A walk's fill takes the set's first unused way (its lookup notes it on the same pass over
 * the set), and the FIFO victim only when every way is in use: with ways 1 and 2 emptied by
 * tlbinv, the next two misses fill way 1 then way 2, and the third replaces way 0. */
Test(tlb_geometry, a_fill_takes_the_first_unused_way_then_the_fifo_victim)
{
    sim_machine_t m;
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    m.mmu_config.tlb_entries = 4;
    m.mmu_config.tlb_ways = 4;
    cr_assert_null(sim_configure_mmu(&m));
    mt_native(&m, &b);
    cr_assert(mmu_build_map_range(&b, 0x10000, PA1, 8 * MMU_PAGE_SIZE, MMU_PTE_RWX));
    mmu_t *mmu = &m.cpu[0].mmu;
    bool walked;
    for (uint32_t vpn = 0x10; vpn <= 0x13; vpn++)
        translate(&m, vpn << MMU_PAGE_SHIFT, &walked);
    mmu_tlbinv(mmu, 0x12u << MMU_PAGE_SHIFT);
    mmu_tlbinv(mmu, 0x11u << MMU_PAGE_SHIFT);
    static const struct {
        uint32_t vpn;
        unsigned way;
    } fills[] = {{0x14, 1}, {0x15, 2}, {0x16, 0}};
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        translate(&m, fills[i].vpn << MMU_PAGE_SHIFT, &walked);
        cr_expect(walked, "page 0x%x", fills[i].vpn);
        cr_expect_eq(mmu->tlb.e[fills[i].way].vpn, fills[i].vpn, "page 0x%x: way %u holds 0x%x",
                     fills[i].vpn, fills[i].way, mmu->tlb.e[fills[i].way].vpn);
    }
    cr_expect_eq(mmu->tlb.victim[0], 1, "the FIFO victim moved on once");
    uint32_t pa;
    cr_expect_not(mmu_fast_lookup(mmu, MMU_LOAD, 0x10u << MMU_PAGE_SHIFT, false, &pa),
                  "the replaced page left the translation cache");
    cr_expect(mmu_fast_lookup(mmu, MMU_LOAD, 0x16u << MMU_PAGE_SHIFT, false, &pa));
    sim_machine_free(&m);
}

/* A machine whose TLB has `entries` entries of `ways` ways, and native tables for CPU 0. */
static void shaped_machine(sim_machine_t *m, mmu_builder_t *b, unsigned entries, unsigned ways)
{
    mt_machine(m, 2, 2);
    m->mmu_config.tlb_entries = (uint16_t)entries;
    m->mmu_config.tlb_ways = (uint16_t)ways;
    cr_assert_null(sim_configure_mmu(m));
    mt_native(m, b);
}

/* The FIFO victim of a set counts all of its ways, up to the 512 of a fully associative TLB of
 * 512 entries. It was a byte, and wrapped at 256: a full 512-way TLB then replaced only ways
 * 0..255, and its other half kept its first 256 pages for ever. */
Test(tlb_geometry, the_fifo_victim_of_a_512_way_set_reaches_every_way)
{
    sim_machine_t m;
    mmu_builder_t b;
    shaped_machine(&m, &b, MMU_TLB_MAX, MMU_TLB_MAX);
    enum { FIRST = 0x100, PAGES = MMU_TLB_MAX + 300 };
    for (uint32_t i = 0; i < PAGES; i++)
        cr_assert(mmu_build_map(&b, (FIRST + i) << MMU_PAGE_SHIFT, PA1, MMU_PTE_RWX));
    mmu_t *mmu = &m.cpu[0].mmu;
    bool walked;
    for (uint32_t i = 0; i < PAGES; i++) { /* 512 fill the ways, 300 replace ways 0..299 */
        translate(&m, (FIRST + i) << MMU_PAGE_SHIFT, &walked);
        cr_expect(walked, "page %u", i);
    }
    for (unsigned way = 0; way < MMU_TLB_MAX; way++) {
        uint32_t want = FIRST + (way < 300 ? MMU_TLB_MAX + way : way);
        cr_expect_eq(mmu->tlb.e[way].vpn, want, "way %u holds page 0x%x, not 0x%x", way,
                     mmu->tlb.e[way].vpn, want);
    }
    cr_expect_eq(mmu->tlb.victim[0], 300, "the victim is way %u", mmu->tlb.victim[0]);
    translate(&m, (FIRST + 299) << MMU_PAGE_SHIFT, &walked);
    cr_expect(walked, "page 299 was replaced (at way 299, in the FIFO order)");
    sim_machine_free(&m);
}

/* A direct-mapped set has one way, always the one replaced. The victims, two bytes each, fit the
 * 256 sets a TLB of 512 entries has at two ways or more, and the 512 sets of a direct-mapped one
 * share them: a fill that replaces in set 300 must touch no other entry (a victim written at
 * victim[300] would land in the entries' array, over set 5's tag). */
Test(tlb_geometry, a_direct_mapped_tlb_of_512_sets_keeps_its_entries)
{
    sim_machine_t m;
    mmu_builder_t b;
    shaped_machine(&m, &b, MMU_TLB_MAX, 1);
    static const uint32_t vpns[] = {5, 300, 300 + MMU_TLB_MAX, 5};
    static const char walks[] = "wwwh"; /* 300 + 512 replaces 300 in set 300; 5 stays */
    for (size_t i = 0; i < sizeof vpns / sizeof vpns[0]; i++)
        cr_assert(mmu_build_map(&b, vpns[i] << MMU_PAGE_SHIFT, PA1, MMU_PTE_RWX));
    for (size_t i = 0; i < sizeof vpns / sizeof vpns[0]; i++) {
        bool walked;
        translate(&m, vpns[i] << MMU_PAGE_SHIFT, &walked);
        cr_expect_eq(walked ? 'w' : 'h', walks[i], "translation %zu, page 0x%x", i, vpns[i]);
    }
    cr_expect_null(mmu_state_check(&m.cpu[0].mmu));
    sim_machine_free(&m);
}

Test(tlb_geometry, bad_configurations_are_refused)
{
    static const mmu_config_t bad[] = {
        {.tlb_entries = 3, .tlb_ways = 1, .levels = 2, .nested_levels = 2},
        {.tlb_entries = 1024, .tlb_ways = 4, .levels = 2, .nested_levels = 2},
        {.tlb_entries = 4, .tlb_ways = 8, .levels = 2, .nested_levels = 2},
        {.tlb_entries = 64, .tlb_ways = 3, .levels = 2, .nested_levels = 2},
        {.tlb_entries = 64, .tlb_ways = 4, .levels = 1, .nested_levels = 2},
        {.tlb_entries = 64, .tlb_ways = 4, .levels = 2, .nested_levels = 5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not_null(mmu_config_check(&bad[i]), "configuration %zu accepted", i);
    mmu_config_t good = MMU_CONFIG_DEFAULT;
    cr_expect_null(mmu_config_check(&good));
    sim_machine_t m;
    mt_machine(&m, 2, 2);
    m.mmu_config = bad[0];
    cr_expect_not_null(sim_configure_mmu(&m));
    cr_expect_eq(m.cpu[0].mmu.cfg.tlb_entries, 64, "a refused configuration changes nothing");
    sim_machine_free(&m);
}
