/*
 * test_hv_backing.c - how a VM's memory is backed: lazily (a nested fault per first touch),
 * eagerly (every page at creation, no fault), with large nested pages (one level-1 leaf per
 * 4 MiB, shorter nested walks, large TLB entries while the guest's paging is off), the fall
 * back to 4 KiB frames where no aligned run is free, the invariants, and both guest kernels'
 * transcripts under every backing.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* Touches 256 pages from 1 MiB up (guest paging off: gva = gpa), then powers off. */
static const char toucher[] = ".org 0x1000\n"
                              "        li r1, 0x100000\n"
                              "        li r2, 256\n"
                              "loop:   st r2, [r1]\n"
                              "        li r3, 4096\n"
                              "        add r1, r1, r3\n"
                              "        addi r2, r2, -1\n"
                              "        cmpi r2, 0\n"
                              "        bne loop\n"
                              "        out r0, [0xf0]\n";

typedef struct {
    hv_t *hv;
    int vm;
} backed_t;

static sim_machine_t m;

static backed_t run_backed(hv_backing_t backing, uint32_t memory)
{
    hv_config_t cfg = hu_config();
    backed_t b = {.hv = hu_machine(&m, 1, &cfg)};
    hv_vm_config_t c = {.memory = memory, .backing = backing, .pin = {-1}};
    b.vm = hu_vm(b.hv, "toucher", toucher, &c);
    return b;
}

static void finish(backed_t *b)
{
    cr_assert_eq(hv_run(b->hv, 50000000), SIM_RUN_POWEROFF);
    char why[200];
    cr_expect_null(hv_check_invariants(b->hv, why, sizeof why), "%s", why);
}

Test(hv_backing, lazy_backs_each_page_at_its_first_touch)
{
    backed_t b = run_backed(HV_BACKING_LAZY, 4u << 20);
    const hv_vm_t *v = &b.hv->vms[b.vm];
    uint32_t loaded = v->frames;
    cr_expect_lt(loaded, 4u, "only the program's page before it runs: %u", loaded);
    finish(&b);
    cr_expect_eq(v->stats.exits[CPU_EXIT_NESTED_FAULT], 256, "one nested fault per page touched");
    cr_expect_eq(v->frames, loaded + 256);
    cr_expect_eq(v->stats.large_mapped, 0);
    hu_free(b.hv, &m);
}

Test(hv_backing, eager_backs_every_page_at_creation)
{
    backed_t b = run_backed(HV_BACKING_EAGER, 4u << 20);
    const hv_vm_t *v = &b.hv->vms[b.vm];
    cr_expect_eq(v->frames, 1024, "every 4 KiB page of 4 MiB before the guest runs");
    finish(&b);
    cr_expect_eq(v->stats.exits[CPU_EXIT_NESTED_FAULT], 0, "no first-touch fault");
    cr_expect_eq(v->frames, 1024);
    cr_expect_eq(v->stats.large_mapped, 0);
    cr_expect_eq(v->stats.mmu.large_fills, 0);
    hu_free(b.hv, &m);
}

Test(hv_backing, large_backs_with_large_nested_pages)
{
    backed_t b = run_backed(HV_BACKING_LARGE, 8u << 20);
    const hv_vm_t *v = &b.hv->vms[b.vm];
    cr_expect_eq(v->frames, 2048);
    cr_expect_eq(v->stats.large_mapped, 2, "two 4 MiB nested leaves");
    uint32_t root_entry = v->nested_root + 4 * mmu_table_index(2, 1, 0x00400000u);
    uint32_t pte = (uint32_t)m.ram[root_entry] | (uint32_t)m.ram[root_entry + 1] << 8 |
                   (uint32_t)m.ram[root_entry + 2] << 16 | (uint32_t)m.ram[root_entry + 3] << 24;
    cr_expect(pte & MMU_PTE_S, "a level-1 leaf: %08x", pte);
    cr_expect_eq(MMU_PTE_PFN(pte) % 1024, 0, "aligned to 4 MiB: %08x", pte);
    uint32_t hpa;
    cr_assert(hv_gpa_to_hpa(b.hv, (unsigned)b.vm, 0x00412345u, false, &hpa));
    cr_expect_eq(hpa, (MMU_PTE_PFN(pte) << 12) + 0x12345u, "the hypervisor's walk agrees");
    finish(&b);
    cr_expect_eq(v->stats.exits[CPU_EXIT_NESTED_FAULT], 0);
    cr_expect_eq(v->stats.mmu.misses, 1, "one walk: a 4 MiB TLB entry covers every page");
    cr_expect_eq(v->stats.mmu.walk_refs, 1, "a nested walk of one reference");
    cr_expect_eq(v->stats.mmu.large_fills, 1);
    hu_free(b.hv, &m);
}

/* 6 MiB: one large page, and the 2 MiB tail in 4 KiB frames. */
Test(hv_backing, large_with_a_tail_smaller_than_a_large_page)
{
    backed_t b = run_backed(HV_BACKING_LARGE, 6u << 20);
    const hv_vm_t *v = &b.hv->vms[b.vm];
    cr_expect_eq(v->stats.large_mapped, 1);
    cr_expect_eq(v->frames, 1024 + 512);
    finish(&b);
    hu_free(b.hv, &m);
}

/* No aligned run of 1024 free frames: the large page is backed 4 KiB at a time, and said. */
Test(hv_backing, large_falls_back_to_small_frames_without_an_aligned_run)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    for (uint32_t f = 1024; f < hv->nframes; f += 1024)
        hv->owner[f + 7] = HV_FRAME_HV; /* one frame taken in each aligned run */
    hv_vm_config_t c = {.memory = 4u << 20, .backing = HV_BACKING_LARGE, .pin = {-1}};
    int vm = hu_vm(hv, "toucher", toucher, &c);
    const hv_vm_t *v = &hv->vms[vm];
    cr_expect_eq(v->stats.large_mapped, 0);
    cr_expect_eq(v->stats.large_refused, 1);
    cr_expect_eq(v->frames, 1024);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(v->stats.exits[CPU_EXIT_NESTED_FAULT], 0);
    hu_free(hv, &m);
}

/* Destroying a VM gives every frame of its large pages back. */
Test(hv_backing, destroy_frees_large_pages)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    uint32_t free_before = 0, free_after = 0;
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before += hv->owner[f] == HV_FRAME_FREE;
    hv_vm_config_t c = {.memory = 8u << 20, .backing = HV_BACKING_LARGE, .pin = {-1}};
    int vm = hu_vm(hv, "toucher", toucher, &c);
    cr_expect_eq(hv->vms[vm].stats.large_mapped, 2);
    hv_vm_destroy(hv, (unsigned)vm);
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_after += hv->owner[f] == HV_FRAME_FREE;
    cr_expect_eq(free_after, free_before);
    hu_free(hv, &m);
}

/* Both kernels print what they print natively (but for timing) under every technique (a
 * scenario each: hw + nested, hw + shadow, trap, bt, emu) with each backing. */
static const char *const techniques[] = {"default", "shadow", "trap", "bt", "emu"};
static const hv_backing_t backings[] = {HV_BACKING_LAZY, HV_BACKING_EAGER, HV_BACKING_LARGE};
#define NBACKINGS (sizeof backings / sizeof *backings)

ParameterizedTestParameters(hv_backing, transcripts_equal_native)
{
    TH_ROW_INDICES(sizeof techniques / sizeof *techniques * NBACKINGS);
}

ParameterizedTest(size_t *row, hv_backing, transcripts_equal_native, .timeout = 180)
{
    hu_transcripts_equal_native_backed(techniques[*row / NBACKINGS],
                                       (int)backings[*row % NBACKINGS]);
}

/* The summary says how each VM was backed. */
Test(hv_backing, the_summary_says_how)
{
    static const struct {
        hv_backing_t backing;
        const char *line;
    } cases[] = {
        {HV_BACKING_LAZY, "    memory: 257 frames mapped lazily;"},
        {HV_BACKING_EAGER, "    memory: 1 024 frames backed eagerly at creation;"},
        {HV_BACKING_LARGE, "    memory: 1 024 frames backed at creation, 1 large page of 4 MiB;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        backed_t b = run_backed(cases[i].backing, 4u << 20);
        finish(&b);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        hv_print_stats(b.hv, out);
        fclose(out);
        cr_expect(strstr(text, cases[i].line) != NULL, "%s", text);
        free(text);
        hu_free(b.hv, &m);
    }
}

/* The scenario `splinter`: the same guest, one 4 MiB page over its memory, reading 512 of its
 * 4 KiB pages four times. Over 4 KiB nested pages (VM small) the page is splintered: every
 * read misses a TLB that holds 64 entries of 4 KiB, and each miss is a splintered walk; over a
 * 4 MiB nested page (VM large) one large TLB entry serves every read. */
Test(hv_backing, the_splinter_scenario_splinters_only_over_small_nested_pages, .timeout = 120)
{
    static hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "splinter");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_vm_t *small = &hv->vms[hv_vm_by_name(hv, "small")];
    const hv_vm_t *large = &hv->vms[hv_vm_by_name(hv, "large")];
    cr_expect_geq(small->stats.mmu.splinters, 4 * 512, "small: %llu splintered walks",
                  (unsigned long long)small->stats.mmu.splinters);
    cr_expect_eq(large->stats.mmu.splinters, 0);
    cr_expect_lt(large->stats.mmu.misses * 100, small->stats.mmu.misses,
                 "TLB misses: large %llu, small %llu", (unsigned long long)large->stats.mmu.misses,
                 (unsigned long long)small->stats.mmu.misses);
    cr_expect_str_eq(strstr(hv_vm_console(hv, 0), "[splinter] done"),
                     strstr(hv_vm_console(hv, 1), "[splinter] done"));
    hu_scenario_free(&sc, hv, &m);
}
