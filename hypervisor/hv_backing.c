/*
 * hv_backing.c - how a VM's memory gets host frames: lazily on first touch, eagerly when the
 * VM is created, or eagerly with large nested pages.
 *
 * Lecture idea: the cost of memory virtualization is partly the hypervisor's choice. Backing
 * lazily (hv_vm.c's nested faults) is what a hypervisor that overcommits memory does, and each
 * first touch of a 4 KiB page is a VM exit. Backing eagerly moves that work to the VM's
 * creation. Backing with large nested pages (Linux's transparent huge pages under KVM, the
 * default of current hypervisors) also makes every nested walk a level shorter and lets a
 * guest's own large pages be cached whole in the TLB instead of splintered (docs/isa.md,
 * "Large pages"; Bhargava et al. measure large nested pages bringing guests within 7-14% of
 * native).
 *
 * A large nested page needs an aligned run of free host frames (1024 for 4 MiB). Where the pool
 * has none, the hypervisor backs that part with 4 KiB frames instead and counts it.
 */
#include <string.h>

#include "hv_internal.h"

/* hv_backing_name, hv_backing_by_name */
HV_NAMES_OF(backing, HV_BACKINGS, HV_BACKING_COUNT)

uint32_t hv_large_frames(const hv_t *hv)
{
    return 1u << (mmu_large_shift(hv->m->mmu_config.nested_levels) - MMU_PAGE_SHIFT);
}

/* Every 4 KiB page of [from, to) gets a frame, as a first touch would give it. */
static bool back_small(hv_t *hv, unsigned vm, uint32_t from, uint32_t to)
{
    uint32_t hpa;
    for (uint32_t gpa = from; gpa < to; gpa += MMU_PAGE_SIZE)
        if (!hv_gpa_to_hpa(hv, vm, gpa, true, &hpa))
            return false;
    return true;
}

/* The first aligned run of `n` free frames, given to VM `vm` and zeroed; 0 when none. */
static uint32_t large_run_alloc(hv_t *hv, unsigned vm, uint32_t n)
{
    uint32_t from, end;
    hv_host_frames(hv, hv->vms[vm].host, &from, &end); /* its host's RAM only */
    for (uint32_t first = (from + n - 1) / n * n; first + n <= end; first += n) {
        uint32_t f = 0;
        while (f < n && hv->owner[first + f] == HV_FRAME_FREE)
            f++;
        if (f < n)
            continue;
        for (f = 0; f < n; f++) {
            hv->owner[first + f] = (uint8_t)HV_FRAME_VM(vm);
            memset(hv->m->ram + (((size_t)first + f) << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
            sim_ram_written(hv->m, (first + f) << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
            hv_charge(hv, SIM_COST_hv_zero_page);
        }
        return first << MMU_PAGE_SHIFT;
    }
    return 0;
}

uint32_t hv_table_down(hv_t *hv, unsigned host, uint32_t root, unsigned levels, unsigned stop,
                       uint32_t addr)
{
    uint32_t table = root;
    for (unsigned level = levels - 1; level > stop; level--) {
        uint32_t entry = table + mmu_table_index(levels, level, addr) * 4;
        uint32_t pte = hv_read32(hv, entry);
        if (!(pte & MMU_PTE_V)) {
            uint32_t t = hv_frame_alloc(hv, host, HV_FRAME_HV);
            if (!t)
                return 0;
            pte = MMU_PTE_MAKE(t >> MMU_PAGE_SHIFT, MMU_PTE_V);
            hv_write32(hv, entry, pte);
        }
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    return table;
}

/* The nested table of level 1 on the way to gpa (tables above it added as needed), or 0 when
 * the pool is empty. */
static uint32_t level1_table(hv_t *hv, unsigned vm, uint32_t gpa)
{
    return hv_table_down(hv, hv->vms[vm].host, hv->vms[vm].nested_root, hv->m->mmu_config.nested_levels, 1, gpa);
}

/* Maps the large page at gpa (aligned, not yet mapped) to a run of frames; false when there is
 * no aligned run (or no frame for a table). */
static bool back_large_page(hv_t *hv, unsigned vm, uint32_t gpa)
{
    hv_vm_t *v = &hv->vms[vm];
    uint32_t n = hv_large_frames(hv), table = level1_table(hv, vm, gpa);
    uint32_t run = table ? large_run_alloc(hv, vm, n) : 0;
    if (!run)
        return false;
    unsigned levels = hv->m->mmu_config.nested_levels;
    hv_write32(hv, table + mmu_table_index(levels, 1, gpa) * 4,
               MMU_PTE_MAKE(run >> MMU_PAGE_SHIFT, MMU_PTE_V | MMU_PTE_RWX | MMU_PTE_S));
    v->frames += n;
    v->stats.frames_mapped += n;
    v->stats.large_mapped++;
    return true;
}

bool hv_vm_back(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    if (v->backing == HV_BACKING_EAGER)
        return back_small(hv, vm, 0, v->memory);
    if (v->backing != HV_BACKING_LARGE)
        return true;
    uint32_t size = hv_large_frames(hv) << MMU_PAGE_SHIFT, gpa = 0;
    for (; v->memory - gpa >= size; gpa += size) {
        if (back_large_page(hv, vm, gpa))
            continue;
        v->stats.large_refused++;
        if (!back_small(hv, vm, gpa, gpa + size))
            return false;
    }
    return back_small(hv, vm, gpa, v->memory); /* a tail smaller than a large page */
}
