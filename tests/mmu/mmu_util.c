/*
 * mmu_util.c - shared set-up for the memory-system suites (see mmu_util.h).
 */
#include <criterion/criterion.h>

#include "mmu_util.h"

void mt_machine(sim_machine_t *m, unsigned levels, unsigned nested_levels)
{
    cr_assert_eq(sim_machine_init(m, MT_RAM, 1), 0);
    sim_console_set_output(m, NULL);
    m->mmu_config.levels = (uint8_t)levels;
    m->mmu_config.nested_levels = (uint8_t)nested_levels;
    cr_assert_null(sim_configure_mmu(m));
    m->cpu[0].mmu.record_trace = true; /* these tests read walks step by step, as a window does */
}

void mt_native(sim_machine_t *m, mmu_builder_t *b)
{
    cr_assert(mmu_build_init(b, m, m->mmu_config.levels, 0, MT_HOST_POOL));
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(b->root_pfn, MT_ASID));
}

void mt_vm(sim_machine_t *m, mt_vm_t *vm, uint16_t vmid, bool map_all)
{
    cr_assert(mmu_build_init(&vm->nested, m, m->mmu_config.nested_levels, 0, MT_HOST_POOL));
    if (map_all)
        cr_assert(mmu_build_map_range(&vm->nested, 0, MT_GUEST_HPA, MT_GUEST_RAM, MMU_PTE_RWX));
    cr_assert(mmu_build_init(&vm->guest, m, m->mmu_config.levels, MT_GUEST_HPA, MT_GUEST_POOL));
    mmu_nested_t ctl = {.enabled = true,
                        .levels = m->mmu_config.nested_levels,
                        .vmid = vmid,
                        .root_pfn = vm->nested.root_pfn};
    cr_assert(mmu_set_nested(&m->cpu[0].mmu, &ctl));
    mmu_set_ptroot(&m->cpu[0].mmu, MMU_PTROOT_MAKE(vm->guest.root_pfn, MT_ASID));
}

uint32_t mt_word(const sim_machine_t *m, uint32_t hpa)
{
    cr_assert_leq(hpa, m->ram_size - 4);
    const uint8_t *p = m->ram + hpa;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void mt_set_word(sim_machine_t *m, uint32_t hpa, uint32_t value)
{
    cr_assert_leq(hpa, m->ram_size - 4);
    for (unsigned i = 0; i < 4; i++)
        m->ram[hpa + i] = (uint8_t)(value >> (8 * i));
}
