/*
 * test_mmu_state.c - the MMU and the IOMMU are plain data: copied as bytes into another
 * machine with the same memory, they go on exactly as the originals (same hits, same
 * addresses, same counters). Snapshots, migration and "what changed" diffs rest on this.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mmu_util.h"

#define VA 0x00400000u
#define PA 0x00020000u

/* A second machine with the same RAM as `m`. */
static void clone_memory(const sim_machine_t *m, sim_machine_t *copy)
{
    mt_machine(copy, m->mmu_config.levels, m->mmu_config.nested_levels);
    memcpy(copy->ram, m->ram, m->ram_size);
}

Test(mmu_state, a_copied_mmu_goes_on_like_the_original)
{
    sim_machine_t m, copy;
    mt_vm_t vm;
    mt_machine(&m, 3, 2);
    mt_vm(&m, &vm, 4, true);
    cr_assert(mmu_build_map_range(&vm.guest, VA, 0x10000, 8 * MMU_PAGE_SIZE, MMU_PTE_RWX));
    mmu_t *a = &m.cpu[0].mmu;
    for (uint32_t i = 0; i < 4; i++)
        cr_assert_eq(mmu_translate(a, &m, VA + i * MMU_PAGE_SIZE, MMU_LOAD, MMU_PRIV_KERNEL).status,
                     MMU_OK);
    clone_memory(&m, &copy);
    mmu_t *b = &copy.cpu[0].mmu;
    memcpy(b, a, sizeof *b);
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t va = VA + (i % 6) * MMU_PAGE_SIZE + 4 * i;
        mmu_access_t kind = i & 1 ? MMU_STORE : MMU_LOAD;
        mmu_result_t ra = mmu_translate(a, &m, va, kind, MMU_PRIV_KERNEL);
        mmu_result_t rb = mmu_translate(b, &copy, va, kind, MMU_PRIV_KERNEL);
        cr_expect_eq(rb.status, ra.status, "access %u", i);
        cr_expect_eq(rb.pa, ra.pa, "access %u", i);
        cr_expect_eq(rb.walked, ra.walked, "access %u", i);
        cr_expect_eq(rb.cycles, ra.cycles, "access %u", i);
    }
    cr_expect_eq(memcmp(&a->stats, &b->stats, sizeof a->stats), 0);
    cr_expect_eq(memcmp(&a->tlb, &b->tlb, sizeof a->tlb), 0);
    cr_expect_eq(memcmp(m.ram, copy.ram, m.ram_size), 0, "the same A/D write-backs");
    sim_machine_free(&m);
    sim_machine_free(&copy);
}

Test(mmu_state, a_copied_iommu_goes_on_like_the_original)
{
    sim_machine_t m, copy;
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    cr_assert(mmu_build_init(&b, &m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map(&b, VA, PA, MMU_PTE_R | MMU_PTE_W));
    iommu_enable(&m.iommu, true);
    iommu_context_t ctx = {
        .valid = true, .translate = true, .levels = 2, .domain = 3, .root_pfn = b.root_pfn};
    cr_assert(iommu_set_context(&m.iommu, 6, &ctx));
    cr_assert_eq(iommu_dma_write(&m, 0, 6, VA, "abc", 4), IOMMU_OK);
    cr_assert_eq(iommu_dma_write(&m, 0, 7, VA, "abc", 4), IOMMU_BLOCKED);
    clone_memory(&m, &copy);
    memcpy(&copy.iommu, &m.iommu, sizeof copy.iommu);
    cr_assert_eq(iommu_dma_write(&copy, 0, 6, VA + 8, "def", 4), IOMMU_OK);
    cr_assert_eq(iommu_dma_write(&m, 0, 6, VA + 8, "def", 4), IOMMU_OK);
    cr_expect_eq(copy.iommu.stats.iotlb_hits, 1, "the copied IOTLB still holds the page");
    cr_expect_eq(memcmp(&copy.iommu.stats, &m.iommu.stats, sizeof m.iommu.stats), 0);
    iommu_fault_t fa, fb;
    cr_assert(iommu_fault_pop(&m, &fa));
    cr_assert(iommu_fault_pop(&copy, &fb));
    cr_expect_eq(memcmp(&fa, &fb, sizeof fa), 0, "the fault log came along");
    sim_machine_free(&m);
    sim_machine_free(&copy);
}

/* A snapshot brings the TLB's shape as bytes: the FIFO victim moves on by a mask, and a set is
 * picked by one, so a shape that is not powers of two (which no configuration makes) is
 * refused before it is used. */
Test(mmu_state, a_tlb_of_a_shape_no_configuration_makes_is_refused)
{
    sim_machine_t m;
    mt_machine(&m, 2, 2);
    mmu_t *mmu = &m.cpu[0].mmu;
    cr_expect_null(mmu_state_check(mmu));
    cr_expect(mmu_tlb_sane(&mmu->tlb));
    mmu_tlb_t shapes[] = {{.entries = 48, .ways = 3, .sets = 16},
                          {.entries = 48, .ways = 4, .sets = 12},
                          {.entries = 64, .ways = 4, .sets = 15},
                          {.entries = 0, .ways = 0, .sets = 0}};
    for (unsigned i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        mmu->tlb.entries = shapes[i].entries;
        mmu->tlb.ways = shapes[i].ways;
        mmu->tlb.sets = shapes[i].sets;
        cr_expect_not(mmu_tlb_sane(&mmu->tlb), "shape %u", i);
        cr_expect_str_eq(mmu_state_check(mmu) ? mmu_state_check(mmu) : "(none)",
                         "the TLB's shape, an entry's page size or the count of large entries is "
                         "wrong",
                         "shape %u", i);
    }
    sim_machine_free(&m);
}

/* A VM entry or exit switches the nested control and ptroot with one call: the MMU it leaves
 * is the one the two calls leave (tag, large pages, quick walk, an empty translation cache),
 * and a nested control with levels outside 2..4 changes nothing. */
Test(mmu_state, switching_the_context_at_once_is_the_two_calls)
{
    sim_machine_t m;
    mt_vm_t vm;
    mt_machine(&m, 2, 2);
    mt_vm(&m, &vm, 7, true);
    cr_assert(mmu_build_map_range(&vm.guest, VA, PA, 4 * MMU_PAGE_SIZE, MMU_PTE_RWX));
    mmu_t *a = &m.cpu[0].mmu;
    mmu_nested_t ctl = a->nested;
    uint32_t ptroot = a->ptroot;
    cr_assert_eq(mmu_translate(a, &m, VA, MMU_LOAD, MMU_PRIV_KERNEL).status, MMU_OK);
    mmu_t b = *a, c = *a;
    mmu_nested_t host = {.levels = ctl.levels};
    mmu_set_nested(&b, &host);
    mmu_set_ptroot(&b, 0);
    cr_assert(mmu_set_context(&c, &host, 0));
    cr_expect_eq(memcmp(&b, &c, sizeof b), 0, "leaving: the same MMU");
    mmu_set_nested(&b, &ctl);
    mmu_set_ptroot(&b, ptroot);
    cr_assert(mmu_set_context(&c, &ctl, ptroot));
    cr_expect_eq(memcmp(&b, &c, sizeof b), 0, "entering: the same MMU");
    mmu_nested_t bad = ctl;
    bad.levels = 5;
    cr_expect_not(mmu_set_context(&c, &bad, 0));
    cr_expect_eq(memcmp(&b, &c, sizeof b), 0, "a bad control changes nothing");
    sim_machine_free(&m);
}
