/*
 * test_hv_share.c - content-based page sharing (hypervisor/hv_share.c): equal pages of two VMs
 * end on one read-only frame; a store breaks the sharing with a private copy that keeps the
 * data (copy-on-write), a DMA write as well; zero pages share within one VM; forced hash
 * collisions are caught by the byte compare; a shared frame made writable is caught by the
 * invariant checker; destroying a VM drops its share; the sharing scenario's transcripts equal
 * native ones.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* Writes its number into each of 32 pages, spins while the scanner works, then stores 99 to
 * page 0 and checks it, and that page 1 still holds 31: powers off with 0, or 1. */
static const char sharer[] = ".org 0x1000\n"
                             "        li r1, 0x100000\n"
                             "        li r2, 32\n"
                             "        li r4, 4096\n"
                             "wloop:  st r2, [r1]\n"
                             "        add r1, r1, r4\n"
                             "        addi r2, r2, -1\n"
                             "        cmpi r2, 0\n"
                             "        bne wloop\n"
                             "        li r6, 100000\n"
                             "spin:   addi r6, r6, -1\n"
                             "        cmpi r6, 0\n"
                             "        bne spin\n"
                             "        li r1, 0x100000\n"
                             "        li r3, 99\n"
                             "        st r3, [r1]\n"
                             "        ld r5, [r1]\n"
                             "        cmp r5, r3\n"
                             "        bne bad\n"
                             "        li r1, 0x101000\n"
                             "        ld r5, [r1]\n"
                             "        li r3, 31\n"
                             "        cmp r5, r3\n"
                             "        bne bad\n"
                             "        li r5, 0\n"
                             "        out r5, [0xf0]\n"
                             "bad:    li r5, 1\n"
                             "        out r5, [0xf0]\n";

/* Reads 16 pages it never wrote (zero-filled at first touch), spins, powers off. */
static const char zero_reader[] = ".org 0x1000\n"
                                  "        li r1, 0x100000\n"
                                  "        li r2, 16\n"
                                  "        li r4, 4096\n"
                                  "rloop:  ld r3, [r1]\n"
                                  "        add r1, r1, r4\n"
                                  "        addi r2, r2, -1\n"
                                  "        cmpi r2, 0\n"
                                  "        bne rloop\n"
                                  "        li r6, 100000\n"
                                  "spin:   addi r6, r6, -1\n"
                                  "        cmpi r6, 0\n"
                                  "        bne spin\n"
                                  "        li r5, 0\n"
                                  "        out r5, [0xf0]\n";

static sim_machine_t m;

static hv_t *sharing_machine(unsigned ncpus)
{
    hv_config_t cfg = hu_config();
    cfg.sharing = true;
    cfg.share_pages = 64;
    cfg.share_period = 10000;
    return hu_machine(&m, ncpus, &cfg);
}

static int vm_as(hv_t *hv, const char *name, const char *src, hv_mem_technique_t mem)
{
    hv_vm_config_t c = {.memory = 2u << 20, .mem = mem, .pin = {-1}};
    return hu_vm(hv, name, src, &c);
}

static int vm_of(hv_t *hv, const char *name, const char *src)
{
    return vm_as(hv, name, src, HV_MEM_NESTED);
}

static void expect_invariants(hv_t *hv)
{
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
}

/* Runs until both sharers spin with everything merged (the scanner's passes are timed). */
static void run_to_spin(hv_t *hv)
{
    cr_assert_eq(hv_run(hv, 250000), SIM_RUN_MAX_CYCLES);
}

Test(hv_share, equal_pages_of_two_vms_share_one_read_only_frame)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_of(hv, "a", sharer), b = vm_of(hv, "b", sharer);
    run_to_spin(hv);
    /* the code page and the 32 written: equal in a and b, each page different within one */
    cr_expect_eq(hv->vms[a].shared, 33);
    cr_expect_eq(hv->vms[b].shared, 33);
    cr_expect_eq(hv->vms[a].frames, 0, "every page it has is shared");
    cr_expect_eq(hv_share_saved(hv), 33, "one frame of each pair went back to the pool");
    uint32_t ha, hb;
    cr_assert(hv_gpa_to_hpa(hv, (unsigned)a, 0x105000, false, &ha));
    cr_assert(hv_gpa_to_hpa(hv, (unsigned)b, 0x105000, false, &hb));
    cr_expect_eq(ha, hb, "one host frame");
    cr_expect_eq(hv->owner[ha >> MMU_PAGE_SHIFT], HV_FRAME_SHARED);
    cr_expect_eq(hv->share.failed_compares, 0);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* Runs the sharers a and b to their end: each stored to page 0, which was shared, and read it
 * back and page 1, shared still. */
static void run_to_the_breaks(hv_t *hv, int a, int b)
{
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    for (int vm = a; vm <= b; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        cr_expect_eq(v->exit_code, 0, "%s read its own 99 and the shared 31", v->name);
        cr_expect_eq(v->stats.cow_breaks, 1, "%s: one store to a shared page", v->name);
        cr_expect_eq(v->shared, 32);
    }
}

Test(hv_share, a_store_breaks_the_sharing_with_a_private_copy)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_of(hv, "a", sharer), b = vm_of(hv, "b", sharer);
    run_to_spin(hv);
    run_to_the_breaks(hv, a, b);
    uint32_t ha, hb;
    cr_assert(hv_gpa_to_hpa(hv, (unsigned)a, 0x100000, false, &ha));
    cr_assert(hv_gpa_to_hpa(hv, (unsigned)b, 0x100000, false, &hb));
    cr_expect_neq(ha, hb, "each has its own copy of page 0 now");
    cr_expect_eq(hv->owner[ha >> MMU_PAGE_SHIFT], HV_FRAME_VM(a));
    cr_expect_eq(hv_share_saved(hv), 32, "page 0's shared frame went when both broke away");
    expect_invariants(hv);
    hu_free(hv, &m);
}

Test(hv_share, a_single_vm_shares_its_zero_pages)
{
    hv_t *hv = sharing_machine(1);
    int vm = vm_of(hv, "z", zero_reader);
    cr_assert_eq(hv_run(hv, 250000), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(hv->vms[vm].shared, 16, "the 16 zero pages, not the code page");
    cr_expect_eq(hv_share_saved(hv), 15, "one zero frame for 16 pages");
    cr_expect_eq(hv->vms[vm].frames, 1);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* Hashes cut to 1 bit: pages of different bytes collide, the byte compare keeps them apart. */
Test(hv_share, a_forced_hash_collision_fails_the_byte_compare)
{
    hv_t *hv = sharing_machine(2);
    hv->share_hash_bits = 1;
    int a = vm_of(hv, "a", sharer), b = vm_of(hv, "b", sharer);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_gt(hv->share.failed_compares, 0, "equal hashes, different bytes");
    cr_expect_eq(hv->vms[a].exit_code, 0, "no page was shared with one of other bytes");
    cr_expect_eq(hv->vms[b].exit_code, 0);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* Without sharing the figures are those of before: no scanner, nothing shared. */
Test(hv_share, off_by_default)
{
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    int a = vm_of(hv, "a", sharer);
    vm_of(hv, "b", sharer);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[a].stats.shares, 0);
    cr_expect_eq(hv->share.scanned, 0);
    hu_free(hv, &m);
}

/* A DMA write (the virtual disk's, the loader's) into a shared page copies it first. */
Test(hv_share, a_dma_write_breaks_the_sharing)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_of(hv, "a", sharer), b = vm_of(hv, "b", sharer);
    run_to_spin(hv);
    uint32_t word = 0x1234, got = 0;
    cr_assert(hv_copy_to_guest(hv, (unsigned)a, 0x102000, &word, 4, "a test's DMA"));
    cr_expect_eq(hv->vms[a].stats.cow_breaks, 1);
    cr_assert(hv_copy_from_guest(hv, (unsigned)b, 0x102000, &got, 4, "a test's read"));
    cr_expect_eq(got, 30, "b still reads what it wrote");
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The checker catches a shared frame made writable in a nested entry. */
Test(hv_share, the_checker_catches_a_writable_shared_frame)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_of(hv, "a", sharer);
    vm_of(hv, "b", sharer);
    run_to_spin(hv);
    bool mapped, large;
    uint32_t leaf = hv_nested_leaf(hv, (unsigned)a, 0x103000, false, &mapped, &large);
    cr_assert(leaf && mapped);
    m.ram[leaf] |= MMU_PTE_W;
    char why[200];
    const char *broken = hv_check_invariants(hv, why, sizeof why);
    cr_assert_not_null(broken);
    cr_expect(strstr(broken, "VM a: its nested tables map shared frame 0x"), "%s", broken);
    cr_expect(strstr(broken, "writable"), "%s", broken);
    hu_free(hv, &m);
}

/* Destroying one sharer leaves the other its shared frames; destroying both frees them. */
Test(hv_share, destroy_drops_the_share)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_of(hv, "a", sharer), b = vm_of(hv, "b", sharer);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF); /* 32 pages still shared */
    uint32_t free_before = 0, free_after = 0, hb;
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before += hv->owner[f] == HV_FRAME_FREE;
    hv_vm_destroy(hv, (unsigned)a);
    cr_assert(hv_gpa_to_hpa(hv, (unsigned)b, 0x105000, false, &hb));
    cr_expect_eq(hv->owner[hb >> MMU_PAGE_SHIFT], HV_FRAME_SHARED, "still b's, read-only");
    hv_vm_destroy(hv, (unsigned)b);
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_after += hv->owner[f] == HV_FRAME_FREE;
    cr_expect_eq(hv_share_saved(hv), 0);
    cr_expect_gt(free_after, free_before + 32, "the 32 shared frames are back, with the rest");
    expect_invariants(hv);
    hu_free(hv, &m);
}

Test(hv_share, sharing_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native("sharing");
}

/* Under shadow paging as under nested: the merge drops the shadow entries of the frames that
 * left, a hidden fault maps a shared frame without W, and the store to page 0 faults to the
 * hypervisor, which copies it (each VM reads its own 99 and the shared 31: exit 0). */
Test(hv_share, under_shadow_paging_pages_share_and_a_store_breaks_the_sharing)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_as(hv, "a", sharer, HV_MEM_SHADOW), b = vm_as(hv, "b", sharer, HV_MEM_SHADOW);
    run_to_spin(hv);
    cr_expect_eq(hv->vms[a].shared, 33, "the code page and the 32 written");
    cr_expect_eq(hv_share_saved(hv), 33);
    expect_invariants(hv);
    run_to_the_breaks(hv, a, b);
    for (int vm = a; vm <= b; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        cr_expect_eq(v->stats.shadow.hidden_faults, 36, "%s: %llu hidden faults", v->name,
                     (unsigned long long)v->stats.shadow.hidden_faults);
        cr_expect_eq(v->stats.ended - v->stats.started, 454907, "%s ran %llu cycles", v->name,
                     (unsigned long long)(v->stats.ended - v->stats.started));
    }
    cr_expect_eq(hv_share_saved(hv), 32);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The checker holds shadow entries to the rule too: a shared frame is never writable. */
Test(hv_share, the_checker_catches_a_shared_frame_writable_through_a_shadow_entry)
{
    hv_t *hv = sharing_machine(2);
    int a = vm_as(hv, "a", sharer, HV_MEM_SHADOW);
    vm_as(hv, "b", sharer, HV_MEM_SHADOW);
    cr_assert_eq(hv->m->mmu_config.levels, 2, "the walk below reads a root and its leaves");
    run_to_spin(hv);
    cr_assert_eq(hv_run(hv, 100000), SIM_RUN_MAX_CYCLES); /* the code page refilled: shared */
    const hv_vcpu_t *v = &hv->ent[hv->vms[a].vcpu[0]];
    uint32_t root = v->shadow.ctx[v->shadow.current].root, pte, found = 0;
    for (uint32_t i = 0; i < 1024 && !found; i++) { /* the shadow leaf of the code page */
        memcpy(&pte, m.ram + root + 4 * i, 4);
        if (!(pte & MMU_PTE_V))
            continue;
        uint32_t table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
        for (uint32_t j = 0; j < 1024 && !found; j++) {
            memcpy(&pte, m.ram + table + 4 * j, 4);
            if ((pte & MMU_PTE_V) && hv->owner[MMU_PTE_PFN(pte)] == HV_FRAME_SHARED)
                found = table + 4 * j;
        }
    }
    cr_assert_neq(found, 0, "a's shadow maps a shared frame");
    cr_expect_eq(pte & MMU_PTE_W, 0, "read-only");
    expect_invariants(hv);
    pte |= MMU_PTE_W;
    memcpy(m.ram + found, &pte, 4);
    char why[200];
    const char *broken = hv_check_invariants(hv, why, sizeof why);
    cr_assert_not_null(broken);
    cr_expect(strstr(broken, "VM a: its shadow maps shared frame 0x"), "%s", broken);
    hu_free(hv, &m);
}

Test(hv_share, sharing_under_shadow_paging_transcripts_equal_native, .timeout = 120)
{
    hu_transcripts_equal_native_with("sharing",
                                     (hu_override_t){.backing = -1, .mem = HV_MEM_SHADOW});
}

/* Three identical tinyos VMs: most of their memory ends shared; the scanner's work counted. */
Test(hv_share, the_sharing_scenario_saves_frames, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "sharing");
    hv_run(hv, sc.max_cycles);
    uint32_t backed = 0;
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        backed += hv->vms[i].used ? hv->vms[i].frames + hv->vms[i].shared : 0;
    cr_expect_gt(hv_share_saved(hv) * 3, backed, "over a third of the guests' pages saved");
    cr_expect_eq(
        (hv->share.scanner_cycles - hv->share.scanned * hv->m->costs.c[SIM_COST_share_hash]) %
            hv->m->costs.c[SIM_COST_share_compare],
        0, "hashes and byte compares, nothing else");
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

/* A tinyos whose shell waits for input that never comes is idle under the hypervisor as it
 * is natively: the scanner's passes alone do not keep the machine ticking to its limit. */
Test(hv_share, the_scanner_alone_keeps_no_waiting_machine_alive, .timeout = 60)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario_text(&sc, &m, "waiting",
                                "[machine]\npcpus = 1\nram = 32M\n\n"
                                "[hypervisor]\ntype = 1\nsharing = on\n\n"
                                "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\n"
                                "mem = nested\ninput = hello\\n\n");
    cr_expect_eq(hv_run(hv, 200000000), SIM_RUN_IDLE);
    cr_expect_lt(hv->m->cpu[0].s.cycles, 100000000, "idle long before the limit");
    cr_expect_gt(hv->share.scanned, 0, "the scanner ran meanwhile");
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}
