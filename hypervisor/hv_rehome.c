/*
 * hv_rehome.c - a migrated VM's hypervisor structures, built again from the destination's RAM
 * at the switch (docs/migration.md, "Two hosts, each with its RAM").
 *
 * Lecture idea: what the hypervisor keeps for a VM in memory (its nested tables, the VCPUs'
 * VMCBs, shadow trees, the binary translator's pages) is the host's, not the guest's. A real
 * migration does not send it: the destination builds its own. Here, at the switch, once the
 * guest's pages are in the destination's frames:
 *   - the nested tables are copied table by table into frames of the destination (their leaves
 *     already name the destination's frames) and the source's are freed;
 *   - each VMCB moves into a frame of the destination, with the new nested root;
 *   - shadow trees are freed whole: they are a cache, and refill on the destination;
 *   - under bt the monitor's state page moves, and its translation cache and jump-site page
 *     are freed and taken again, empty (the destination translates the guest's code again).
 * The frames are counted first (hv_rehome_frames), so that the switch either happens whole or
 * is not started. The work is the hosts' bookkeeping at the switch, as the copying is the
 * network cards': no cycles are charged for it.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

static uint32_t word_at(const hv_t *hv, uint32_t hpa)
{
    uint32_t w;
    memcpy(&w, hv->m->ram + hpa, 4);
    return w;
}

/* The tables of a tree below and including `table` (of `level`; 0: leaves). */
static uint32_t count_tables(const hv_t *hv, uint32_t table, unsigned level)
{
    uint32_t n = 1;
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4 && level > 0; i++) {
        uint32_t pte = word_at(hv, table + 4 * i);
        if ((pte & MMU_PTE_V) && !(level == 1 && (pte & MMU_PTE_S)))
            n += count_tables(hv, MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT, level - 1);
    }
    return n;
}

uint32_t hv_rehome_frames(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    uint32_t n = count_tables(hv, v->nested_root, hv->m->mmu_config.nested_levels - 1);
    n += v->nvcpus; /* the VMCBs */
    if (v->cpu == HV_CPU_BT)
        n += 4u * v->nvcpus; /* state page, jump-site page, the first TC page and its map */
    return n;
}

/* A copy of the tree at `table` in frames of host `to`, the source's freed. */
static uint32_t move_tables(hv_t *hv, uint32_t table, unsigned level, unsigned to)
{
    uint32_t copy = hv_frame_alloc_to_fill(hv, to, HV_FRAME_HV);
    SIM_ASSERT(copy); /* counted before the switch (hv_rehome_frames) */
    memcpy(hv->m->ram + copy, hv->m->ram + table, MMU_PAGE_SIZE);
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4 && level > 0; i++) {
        uint32_t pte = word_at(hv, copy + 4 * i);
        if (!(pte & MMU_PTE_V) || (level == 1 && (pte & MMU_PTE_S)))
            continue;
        uint32_t below = move_tables(hv, MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT, level - 1, to);
        pte = MMU_PTE_MAKE(below >> MMU_PAGE_SHIFT, pte & MMU_PAGE_OFFSET);
        memcpy(hv->m->ram + copy + 4 * i, &pte, 4);
    }
    sim_ram_written(hv->m, copy, MMU_PAGE_SIZE);
    memset(hv->m->ram + table, 0, MMU_PAGE_SIZE); /* nothing of the VM stays behind */
    sim_ram_written(hv->m, table, MMU_PAGE_SIZE);
    hv_frame_free(hv, table);
    return copy;
}

/* A hypervisor page moved into a frame of host `to` (its bytes kept), the source's freed. */
static uint32_t move_page(hv_t *hv, uint32_t page, unsigned to)
{
    uint32_t copy = hv_frame_alloc_to_fill(hv, to, HV_FRAME_HV);
    SIM_ASSERT(copy);
    memcpy(hv->m->ram + copy, hv->m->ram + page, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, copy, MMU_PAGE_SIZE);
    memset(hv->m->ram + page, 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, page, MMU_PAGE_SIZE);
    hv_frame_free(hv, page);
    return copy;
}

unsigned hv_rehome_vm(hv_t *hv, unsigned vm, unsigned to)
{
    hv_vm_t *v = &hv->vms[vm];
    unsigned blocks = 0;
    v->nested_root = move_tables(hv, v->nested_root, hv->m->mmu_config.nested_levels - 1, to);
    for (unsigned i = 0; i < v->nvcpus; i++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        SIM_ASSERT(e->on_cpu < 0); /* the switch waits for every VCPU to leave (hv_migrate.c) */
        if (v->mem == HV_MEM_SHADOW)
            hv_shadow_free(hv, e);
        e->vmcb = move_page(hv, e->vmcb, to);
        hv_write32(hv, e->vmcb + CPU_VMCB_NESTED_ROOT, v->nested_root);
        if (v->cpu == HV_CPU_BT)
            blocks += hv_bt_rehome(hv, e, to);
    }
    return blocks;
}
