/*
 * test_quick.c - the quick walk (mmu_walk.c) against the full walker: the same translations on
 * two identical machines, one recording its walks step by step (which always takes the full
 * walker, as a window does) and one not (which takes the quick walk where it can), must give
 * the same answers, charges, summaries, statistics, TLB, translation cache and RAM.
 *
 * The accesses cover what the quick walk handles (present entries, A and D already set) and
 * everything it must leave to the full walker: A/D write-backs (guest and nested), large
 * pages, faults of each kind, a table outside RAM, nested faults, with 1-D and 2-D walks of
 * several depths, nested A/D on and off.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu_util.h"

/* Guest- (or host-) virtual pages, each mapped its own way by map_pages. */
#define VA_PLAIN 0x00400000u     /* RWX, A and D set: the quick walk's case */
#define VA_NO_A 0x00401000u      /* RWX, A clear: a write-back */
#define VA_NO_D 0x00402000u      /* RW, A set, D clear: a store writes D */
#define VA_READONLY 0x00403000u  /* R, A set: a store faults */
#define VA_USER 0x00404000u      /* RWXU, A D: K may not fetch */
#define VA_MALFORMED 0x00405000u /* W without R */
#define VA_ABSENT 0x00406000u    /* no leaf */
#define VA_NO_TABLE 0x00c00000u  /* no table above the leaf */
#define VA_LARGE 0x01000000u     /* a large page (in the 1-D machines) */
#define VA_BAD_TABLE 0xf0000000u /* an upper entry points outside RAM */

static const uint32_t vas[] = {VA_PLAIN, VA_NO_A,      VA_NO_D,        VA_READONLY,
                               VA_USER,  VA_MALFORMED, VA_ABSENT,      VA_NO_TABLE,
                               VA_LARGE, VA_BAD_TABLE, VA_PLAIN + 0x10};

/* Maps the pages above through builder b; data frames from `frame` on (in b's space). The
 * bad table is an upper entry written by hand: its PFN is far past RAM. */
static void map_pages(mmu_builder_t *b, uint32_t frame, bool large)
{
    const uint32_t ad = MMU_PTE_A | MMU_PTE_D;
    cr_assert(mmu_build_map(b, VA_PLAIN, frame << 12, MMU_PTE_RWX | ad));
    cr_assert(mmu_build_map(b, VA_NO_A, (frame + 1) << 12, MMU_PTE_RWX));
    cr_assert(mmu_build_map(b, VA_NO_D, (frame + 2) << 12, MMU_PTE_R | MMU_PTE_W | MMU_PTE_A));
    cr_assert(mmu_build_map(b, VA_READONLY, (frame + 3) << 12, MMU_PTE_R | MMU_PTE_A));
    cr_assert(mmu_build_map(b, VA_USER, (frame + 4) << 12, MMU_PTE_RWX | MMU_PTE_U | ad));
    cr_assert(mmu_build_map(b, VA_MALFORMED, (frame + 5) << 12, MMU_PTE_W | MMU_PTE_A));
    if (large)
        cr_assert(mmu_build_map_large(b, VA_LARGE, 0, MMU_PTE_RWX | ad));
    uint32_t root = b->host_base + (b->root_pfn << 12);
    unsigned top = b->levels - 1;
    uint32_t index = mmu_table_index(b->levels, top, VA_BAD_TABLE);
    mt_set_word(b->m, root + index * 4, MMU_PTE_MAKE(0xfff00u, MMU_PTE_V));
}

typedef struct {
    sim_machine_t m;
    mmu_builder_t native;
    mt_vm_t vm;
} twin_t;

/* A machine of `levels` x `nested_levels` (nested 0: a 1-D machine), recording or not. */
static void twin(twin_t *t, unsigned levels, unsigned nested_levels, bool nested_ad, bool record)
{
    memset(t, 0, sizeof *t);
    mt_machine(&t->m, levels, nested_levels ? nested_levels : 2);
    if (!nested_levels) {
        mt_native(&t->m, &t->native);
        map_pages(&t->native, 0x10, true);
    } else {
        mt_vm(&t->m, &t->vm, 3, true);
        map_pages(&t->vm.guest, 0x10, false);
        mmu_nested_t ctl = t->m.cpu[0].mmu.nested;
        ctl.ad = nested_ad;
        cr_assert(mmu_set_nested(&t->m.cpu[0].mmu, &ctl));
    }
    t->m.cpu[0].mmu.record_trace = record;
}

/* Everything of the result, the walk's summary (all but the count of recorded steps) and the
 * MMU's and RAM's state must agree. */
static void expect_same(const twin_t *full, const twin_t *quick, const mmu_result_t *rf,
                        const mmu_result_t *rq, const char *what)
{
    cr_expect_eq(rf->status, rq->status, "%s: status", what);
    cr_expect_eq(rf->pa, rq->pa, "%s: pa", what);
    cr_expect_eq(rf->cycles, rq->cycles, "%s: cycles %u, %u", what, rf->cycles, rq->cycles);
    cr_expect_eq(rf->walked, rq->walked, "%s: walked", what);
    cr_expect_eq(rf->reason, rq->reason, "%s: reason", what);
    cr_expect_eq(memcmp(&rf->nested, &rq->nested, sizeof rf->nested), 0, "%s: nested fault", what);
    const mmu_t *f = &full->m.cpu[0].mmu, *q = &quick->m.cpu[0].mmu;
    cr_expect_eq(memcmp(&f->trace, &q->trace, offsetof(mmu_trace_t, n)), 0, "%s: summary", what);
    cr_expect_eq(memcmp(&f->trace.refs, &q->trace.refs,
                        offsetof(mmu_trace_t, ref) - offsetof(mmu_trace_t, refs)),
                 0, "%s: summary counts (%u, %u refs)", what, f->trace.refs, q->trace.refs);
    cr_expect_eq(memcmp(&f->stats, &q->stats, sizeof f->stats), 0, "%s: statistics", what);
    cr_expect_eq(memcmp(&f->tlb, &q->tlb, sizeof f->tlb), 0, "%s: TLB", what);
    cr_expect_eq(memcmp(f->fast, q->fast, sizeof f->fast), 0, "%s: translation cache", what);
    cr_expect_eq(memcmp(&f->last_nested_fault, &q->last_nested_fault, sizeof f->last_nested_fault),
                 0, "%s: last nested fault", what);
    cr_expect_eq(memcmp(full->m.ram, quick->m.ram, full->m.ram_size), 0, "%s: RAM", what);
}

/* Every page, kind and privilege, twice over (the second round finds the A and D bits the
 * first wrote), each access after a flush of the address (a walk) and again (a TLB hit). */
static void compare(unsigned levels, unsigned nested_levels, bool nested_ad)
{
    twin_t *full = malloc(sizeof *full), *quick = malloc(sizeof *quick);
    cr_assert(full && quick);
    twin(full, levels, nested_levels, nested_ad, true);
    twin(quick, levels, nested_levels, nested_ad, false);
    for (unsigned round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++)
            for (unsigned kind = 0; kind < MMU_ACCESS_KINDS; kind++)
                for (unsigned priv = MMU_PRIV_KERNEL; priv <= MMU_PRIV_USER; priv++)
                    for (unsigned again = 0; again < 2; again++) {
                        if (!again) {
                            mmu_tlbinv(&full->m.cpu[0].mmu, vas[i]);
                            mmu_tlbinv(&quick->m.cpu[0].mmu, vas[i]);
                        }
                        mmu_result_t rf =
                            mmu_translate(&full->m.cpu[0].mmu, &full->m, vas[i], kind, priv);
                        mmu_result_t rq =
                            mmu_translate(&quick->m.cpu[0].mmu, &quick->m, vas[i], kind, priv);
                        char what[96];
                        snprintf(what, sizeof what, "%ux%u ad %d, round %u, va %#x %s %s%s", levels,
                                 nested_levels, nested_ad, round, vas[i], mmu_access_name(kind),
                                 priv ? "U" : "K", again ? " again" : "");
                        expect_same(full, quick, &rf, &rq, what);
                    }
    cr_expect_gt(quick->m.cpu[0].mmu.stats.walks, 0u);
    cr_expect_gt(quick->m.cpu[0].mmu.stats.ad_writes, 0u, "some walks wrote A/D back");
    sim_machine_free(&full->m);
    sim_machine_free(&quick->m);
    free(full);
    free(quick);
}

Test(mmu_quick, one_dimensional_walks_match_the_full_walker)
{
    for (unsigned levels = MMU_MIN_LEVELS; levels <= MMU_MAX_LEVELS; levels++)
        compare(levels, 0, false);
}

Test(mmu_quick, two_dimensional_walks_match_the_full_walker)
{
    compare(2, 2, false);
    compare(2, 2, true);
    compare(3, 2, true);
    compare(2, 4, false);
    compare(4, 3, true);
}

/* A guest table whose guest-physical page the nested tables do not map: a nested fault in the
 * middle of the guest dimension, the same from both walkers. */
Test(mmu_quick, a_nested_fault_matches_the_full_walker)
{
    twin_t *t[2] = {malloc(sizeof(twin_t)), malloc(sizeof(twin_t))};
    for (unsigned k = 0; k < 2; k++) {
        cr_assert(t[k]);
        memset(t[k], 0, sizeof *t[k]);
        mt_machine(&t[k]->m, 2, 2);
        mt_vm(&t[k]->m, &t[k]->vm, 3, false);
        /* data frames mapped, guest tables not */
        cr_assert(mmu_build_map_range(&t[k]->vm.nested, 0, MT_GUEST_HPA, 0x70000u, MMU_PTE_RWX));
        map_pages(&t[k]->vm.guest, 0x10, false);
        t[k]->m.cpu[0].mmu.record_trace = k == 0;
    }
    mmu_result_t r[2];
    for (unsigned k = 0; k < 2; k++)
        r[k] = mmu_translate(&t[k]->m.cpu[0].mmu, &t[k]->m, VA_PLAIN, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_eq(r[1].status, MMU_NESTED_FAULT);
    expect_same(t[0], t[1], &r[0], &r[1], "nested fault on a guest table");
    for (unsigned k = 0; k < 2; k++) {
        sim_machine_free(&t[k]->m);
        free(t[k]);
    }
}
