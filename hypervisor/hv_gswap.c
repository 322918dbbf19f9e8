/*
 * hv_gswap.c - double paging, seen from the hypervisor: a guest that swaps to its own disk
 * (tinyos's swap.inc) in a VM whose pages the hypervisor swaps too (hv_swap.c).
 *
 * Lecture idea: two layers page the same memory without knowing of each other, and both look
 * for a page not used lately. So the guest's victim is often a page the hypervisor swapped out
 * already: to write it to its disk, the guest's disk DMA reads the page, and the hypervisor
 * must first read it back from its swap device into a frame, only for the guest to write it
 * out and free it. One page-out of the guest costs two device operations, and the frame the
 * hypervisor found for the page holds bytes nobody will read again.
 *
 * The scenario's `guest_swap = SIZE` appends SIZE of zeroed sectors to the VM's disk, past its
 * image (hv_dev_init): the guest's swap area. Hypercall 7 answers how many page slots it has,
 * which is how tinyos learns that it may swap (a boot parameter would do as well).
 *
 * What is counted, per VM (hv_vm_stats_t):
 * - guest page-outs and page-ins: its disk's write and read commands in the swap area;
 * - double paging (`double_paged`): the hypervisor's swap-ins made while the virtual disk's DMA
 *   reads guest memory for a write command into the swap area, that is pages the guest writes
 *   out that were in the hypervisor's swap device. The extra I/O (`double_paged_ops`): each
 *   is one more read of the swap device, and when the VM is at its limit a write first (the
 *   page that went out to give it a frame): swap_latency + 8 x swap_sector cycles each
 *   (sim_disk_cycles). The device's DMA waits for them, so the guest's command completes
 *   that much later (`double_paged_cycles`).
 */
#include <string.h>

#include "hv_internal.h"
#include "../sim/sim_snap.h"

#define PAGE_SECTORS (MMU_PAGE_SIZE / SIM_SECTOR_SIZE)

int32_t hv_gswap_area(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    return v->guest_swap_slots ? (int32_t)v->guest_swap_slots : -1;
}

/* True when the VM's disk command (its sector and count) lies in its swap area. */
static bool in_swap_area(const hv_vm_t *v)
{
    const sim_disk_t *d = &v->dev.disk;
    uint32_t first = d->sectors - v->guest_swap_slots * PAGE_SECTORS;
    return v->guest_swap_slots && d->sector >= first && d->count <= d->sectors - d->sector;
}

/* The command's slot in the swap area (in_swap_area must hold). */
static uint32_t swap_slot(const hv_vm_t *v)
{
    const sim_disk_t *d = &v->dev.disk;
    return (d->sector - (d->sectors - v->guest_swap_slots * PAGE_SECTORS)) / PAGE_SECTORS;
}

hv_gswap_mark_t hv_gswap_mark(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    /* the swap-ins of the DMA that follows are double paging (hv_swap_in says so) */
    v->gswap_writing = v->dev.disk.command == SIM_DISK_CMD_WRITE && in_swap_area(v);
    return (hv_gswap_mark_t){.swap_ins = hv->vms[vm].stats.swap_ins,
                             .reads = hv->swap.reads,
                             .writes = hv->swap.writes};
}

/* The cycles of swap-device operations made since `before` (a read for each page read back,
 * and a write for each page that went out to give it a frame), counted as double paging's. */
static uint64_t double_paging(hv_t *hv, hv_vm_t *v, uint64_t again, const hv_gswap_mark_t *before)
{
    uint64_t ops = (hv->swap.reads - before->reads) + (hv->swap.writes - before->writes);
    const uint32_t *c = hv->m->costs.c;
    uint64_t wait =
        ops * sim_disk_cycles(c[SIM_COST_swap_latency], c[SIM_COST_swap_sector], PAGE_SECTORS);
    v->stats.double_paged += again;
    v->stats.double_paged_ops += ops;
    v->stats.double_paged_cycles += wait;
    return wait;
}

uint64_t hv_gswap_transferred(hv_t *hv, unsigned vm, bool ok, const hv_gswap_mark_t *before)
{
    hv_vm_t *v = &hv->vms[vm];
    const sim_disk_t *d = &v->dev.disk;
    v->gswap_writing = 0;
    if (!ok || !in_swap_area(v))
        return 0;
    uint64_t again = 0, wait = 0; /* read back for the DMA of a page-out */
    if (d->command == SIM_DISK_CMD_READ) {
        v->stats.guest_swap_ins++;
    } else {
        v->stats.guest_swap_outs++;
        again = v->stats.swap_ins - before->swap_ins;
        if (again)
            wait = double_paging(hv, v, again, before);
    }
    /* after the counts: the trace's series reads them at this event */
    uint32_t out = d->command == SIM_DISK_CMD_READ ? 0 : SIM_HV_WRITE;
    hv_emit_more(hv, SIM_HV_GUEST_SWAP, (int)vm, -1, swap_slot(v) | out, (uint32_t)again);
    return wait;
}

void hv_gswap_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    const hv_vm_stats_t *s = &v->stats;
    if (!v->guest_swap_slots)
        return;
    char b[6][48];
    fprintf(out, "    guest swap (its disk's last %s): %s out, %s in\n",
            sim_counted(v->guest_swap_slots, "page slot", b[0], 48),
            sim_counted(s->guest_swap_outs, "page", b[1], 48),
            sim_counted(s->guest_swap_ins, "page", b[2], 48));
    fprintf(out,
            "    double paging: %s of the guest's page-outs read back from the hypervisor's swap "
            "first: %s, %s cycles the guest's disk waited for\n",
            sim_group_digits(s->double_paged, b[3], 48),
            sim_counted(s->double_paged_ops, "swap-device operation", b[4], 48),
            sim_group_digits(s->double_paged_cycles, b[5], 48));
}
