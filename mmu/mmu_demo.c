/*
 * mmu_demo.c - the walk demonstration behind `hvsim walkdemo`: build page tables in a scratch
 * machine, make one cold translation through the real MMU, and hand back its trace.
 *
 * The layout is that of a virtual machine whose memory is one block of host memory:
 *
 *   host-physical                          guest-physical
 *   0x00010000..0x0007ffff  nested tables
 *   0x00100000..0x002fffff  guest RAM  =   0x00000000..0x001fffff
 *                             of which     0x00002000..0x0003ffff  guest page tables
 *                                          0x00123000              the data page
 *
 * The guest maps MMU_DEMO_VA's page to guest-physical 0x00123000; the nested tables map all of
 * guest RAM. A native (1-D) demo puts the same tables and page in host memory instead.
 *
 * Large pages: a guest large page maps the large page around va to guest-physical 0 (so the
 * default va lands at gpa 0x00001a2c); nested large pages map guest RAM from host 0x00400000
 * (MMU_DEMO_GUEST_HPA_LARGE), aligned for a 4 MiB page, instead of 0x00100000.
 */
#include <stdlib.h>

#include "mmu_internal.h"
#include "../sim/sim.h"

#define DEMO_RAM (8u << 20)
#define DEMO_GUEST_RAM (2u << 20)
#define DEMO_NESTED_POOL 0x10u, 0x80u /* host frames of the nested tables */
#define DEMO_TABLE_POOL 0x2u, 0x40u   /* frames (of the guest space) of the guest tables */
#define DEMO_DATA_PA 0x00123000u
#define DEMO_VMID 1
#define DEMO_ASID 1

static const char *build_nested(sim_machine_t *m, const mmu_demo_params_t *p, mmu_nested_t *ctl)
{
    mmu_builder_t nb;
    bool built = mmu_build_init(&nb, m, p->nested_levels, 0, DEMO_NESTED_POOL);
    if (built && p->nested_large)
        built = mmu_build_map_range_large(&nb, 0, MMU_DEMO_GUEST_HPA_LARGE, DEMO_GUEST_RAM,
                                          MMU_PTE_RWX);
    else if (built)
        built = mmu_build_map_range(&nb, 0, MMU_DEMO_GUEST_HPA, DEMO_GUEST_RAM, MMU_PTE_RWX);
    if (!built)
        return "cannot build the nested tables";
    *ctl = (mmu_nested_t){.enabled = true,
                          .levels = (uint8_t)p->nested_levels,
                          .vmid = DEMO_VMID,
                          .root_pfn = nb.root_pfn};
    return NULL;
}

static const char *build_and_walk(sim_machine_t *m, const mmu_demo_params_t *p,
                                  mmu_demo_result_t *out)
{
    mmu_t *mmu = &m->cpu[0].mmu;
    mmu_config_t cfg = m->mmu_config;
    cfg.levels = (uint8_t)p->levels;
    cfg.nested_levels = (uint8_t)(p->nested ? p->nested_levels : MMU_MIN_LEVELS);
    cfg.pwc = p->pwc;
    const char *why = mmu_config_check(&cfg);
    if (why)
        return why;
    mmu_init(mmu, &cfg);
    mmu->record_trace = true; /* the demonstration prints every step */

    mmu_nested_t ctl = {.enabled = false};
    if (p->nested && (why = build_nested(m, p, &ctl)) != NULL)
        return why;
    mmu_builder_t gb;
    uint32_t space = !p->nested        ? 0
                     : p->nested_large ? MMU_DEMO_GUEST_HPA_LARGE
                                       : MMU_DEMO_GUEST_HPA;
    uint32_t large = (1u << mmu_large_shift(p->levels)) - 1;
    bool built = mmu_build_init(&gb, m, p->levels, space, DEMO_TABLE_POOL);
    if (built && p->guest_large)
        built = mmu_build_map_large(&gb, p->va & ~large, 0, MMU_PTE_R | MMU_PTE_W);
    else if (built)
        built = mmu_build_map(&gb, p->va, DEMO_DATA_PA, MMU_PTE_R | MMU_PTE_W);
    if (!built)
        return "cannot build the page tables";
    mmu_set_ptroot(mmu, MMU_PTROOT_MAKE(gb.root_pfn, DEMO_ASID));
    if (!mmu_set_nested(mmu, &ctl))
        return "nested levels must be 2 to 4";

    out->result = mmu_translate(mmu, m, p->va, MMU_LOAD, MMU_PRIV_KERNEL);
    out->trace = mmu->trace;
    out->stats = mmu->stats;
    return NULL;
}

const char *mmu_demo_run(const mmu_demo_params_t *p, mmu_demo_result_t *out)
{
    if (p->levels < MMU_MIN_LEVELS || p->levels > MMU_MAX_LEVELS)
        return "guest levels must be 2 to 4";
    if (p->nested && (p->nested_levels < MMU_MIN_LEVELS || p->nested_levels > MMU_MAX_LEVELS))
        return "nested levels must be 2 to 4";
    sim_machine_t *m = malloc(sizeof *m); /* large: kept off the stack */
    if (!m || sim_machine_init(m, DEMO_RAM, 1) != 0) {
        free(m);
        return "cannot allocate the scratch machine";
    }
    sim_console_set_output(m, NULL);
    const char *why = build_and_walk(m, p, out);
    sim_machine_free(m);
    free(m);
    return why;
}
