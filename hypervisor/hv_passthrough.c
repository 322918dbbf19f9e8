/*
 * hv_passthrough.c - device passthrough: the physical network card given to one VM, with the
 * IOMMU keeping its DMA inside that VM.
 *
 * Lecture idea: the fastest virtual device is a real one. With `assign = nic0` the VM's own
 * driver programs the physical card: its register accesses reach the card without a VM exit
 * (the VMCB's port window, control PORTS: VT-x's I/O bitmaps), and the card's interrupt line is
 * posted to the VM's first VCPU. The driver knows only guest-physical addresses, and writes
 * them into the card's rings; the card then DMAs to those addresses. Without help they would
 * be host-physical addresses: anywhere in the machine. The IOMMU is that help: the hypervisor
 * gives the card a context whose I/O page table maps each guest-physical page of the VM to the
 * host frame behind it (the same translation as its nested map), and nothing else. A DMA to
 * an address outside the VM's memory finds no entry and is blocked (iommu/iommu.c logs it).
 *
 * The card's DMA does not tell the hypervisor what it touches, so the VM's memory is pinned:
 * every page is backed when the card is assigned, and nothing that would move a frame under
 * the card (swapping, page sharing) may run for that VM. With `[hypervisor] iommu = off` the
 * hypervisor leaves the IOMMU off: the card's DMA addresses are host-physical, so the guest's
 * driver reaches whatever frame its numbers name (the `rogue-dma` scenario shows it).
 */
#include <stdio.h>
#include <string.h>

#include "hv_internal.h"

/* The card's port window and its IOMMU device id. */
#define NIC_FIRST_PORT SIM_NIC_PORT
#define NIC_PORTS SIM_NIC_NREGS

int hv_passthrough_nic_vm(const hv_t *hv)
{
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used && hv->vms[i].assigned_nic)
            return (int)i;
    return -1;
}

const char *hv_passthrough_refusal(const hv_t *hv, const hv_vm_config_t *c)
{
    if (!c->assign_nic)
        return NULL;
    if (c->nic_pv)
        return "assign = nic0 gives the VM the physical card, so it has no paravirtual one "
               "(nic = pv)";
    if (c->cpu != HV_CPU_HW || c->mem != HV_MEM_NESTED)
        return "assign = nic0 needs cpu = hw and mem = nested (the card's I/O page table is "
               "built from the nested map, and its registers are reached without an exit)";
    if (c->resident_max && c->resident_max < c->memory)
        return "assign = nic0 pins the VM's memory (the card's DMA must always find its "
               "frames), so resident_max cannot be below its memory";
    if (hv->cfg.sharing)
        return "assign = nic0 pins the VM's memory, and sharing = on would move its frames "
               "under the card";
    if (hv_passthrough_nic_vm(hv) >= 0)
        return "nic0 is already assigned to another VM";
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * The card's I/O page table
 * ------------------------------------------------------------------------------------------ */
/* The I/O page table has the CPU's format (mmu/mmu.h) and the nested map's number of levels,
 * so the IOMMU reads it with the same walker. */
static unsigned io_levels(const hv_t *hv)
{
    return hv->m->mmu_config.nested_levels;
}

/* Maps one page in the I/O page table rooted at `root`: the device may read and write the
 * host frame `hpa` at IOVA `iova`. The tables on the way are made as needed (hypervisor
 * frames). False when no frame can be had. */
static bool io_map_page(hv_t *hv, uint32_t root, uint32_t iova, uint32_t hpa)
{
    unsigned levels = io_levels(hv);
    uint32_t table = hv_table_down(hv, hv_frame_host(hv, root >> MMU_PAGE_SHIFT), root, levels, 0,
                                   iova); /* its tables on its root's host */
    if (!table)
        return false;
    uint32_t leaf = MMU_PTE_MAKE(hpa >> MMU_PAGE_SHIFT, MMU_PTE_V | MMU_PTE_R | MMU_PTE_W);
    hv_write32(hv, table + mmu_table_index(levels, 0, iova) * 4, leaf);
    return true;
}

bool hv_iommu_map_vm(hv_t *hv, unsigned vm, uint32_t root)
{
    /* LAB 7 BEGIN: map every guest-physical page of the VM to its host frame, and nothing else */
    for (uint32_t gpa = 0; gpa < hv->vms[vm].memory; gpa += MMU_PAGE_SIZE) {
        uint32_t hpa;
        if (!hv_gpa_to_hpa(hv, vm, gpa, true, &hpa)) /* backs (pins) the page first */
            return false;
        if (!io_map_page(hv, root, gpa, hpa & ~MMU_PAGE_OFFSET))
            return false;
    }
    return true;
    /* LAB 7 STUB: (void)root, (void)io_map_page; */
    /* LAB 7 STUB: return hv_lab_missing(hv, hv_vcpu_of(hv, vm, 0), 7, "hv_iommu_map_vm"); */
    /* LAB 7 END */
}

/* Returns the I/O page table's own frames to the pool, zeroed (the frames it maps are the
 * VM's, freed with its nested map). Bookkeeping, not the guest's work: nothing is charged. */
static void io_free_tables(hv_t *hv, uint32_t table, unsigned level)
{
    uint8_t *ram = hv->m->ram;
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4 && level > 0; i++) {
        uint32_t pte;
        memcpy(&pte, ram + table + 4 * i, 4);
        if (pte & MMU_PTE_V)
            io_free_tables(hv, MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT, level - 1);
    }
    memset(ram + table, 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, table, MMU_PAGE_SIZE);
    hv_frame_free(hv, table);
}

/* ------------------------------------------------------------------------------------------
 * Assigning the card, and giving it back
 * ------------------------------------------------------------------------------------------ */
/* The card's context: translated through the VM's I/O page table, tagged with its VM id. The
 * hypervisor's own disk keeps a pass-through context: with the IOMMU on, a device with none
 * could not DMA at all. */
static void iommu_confine(hv_t *hv, const hv_vm_t *v)
{
    iommu_t *io = &hv->m->iommu;
    iommu_context_t card = {.valid = true,
                            .translate = true,
                            .levels = (uint8_t)io_levels(hv),
                            .domain = v->vmid,
                            .root_pfn = v->io_root >> MMU_PAGE_SHIFT};
    iommu_context_t host = {.valid = true};
    SIM_ASSERT(iommu_set_context(io, SIM_NIC_DMA_ID, &card));
    SIM_ASSERT(iommu_set_context(io, SIM_DISK_DMA_ID, &host));
    iommu_enable(io, true);
}

/* Every VCPU reaches the card's ports without an exit. */
static void open_port_window(hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus; i++) {
        const hv_vcpu_t *c = &hv->ent[v->vcpu[i]];
        uint32_t controls = hv_guest_word(hv, c, CPU_VMCB_CONTROLS);
        hv_set_guest_word(hv, c, CPU_VMCB_CONTROLS, controls | CPU_VMCTL_PORTS);
        hv_set_guest_word(hv, c, CPU_VMCB_PORT_FIRST, NIC_FIRST_PORT);
        hv_set_guest_word(hv, c, CPU_VMCB_PORT_COUNT, NIC_PORTS);
    }
}

/* Without an IOMMU the card's addresses are host-physical: the VM's memory is backed (pinned)
 * now and must be one run of frames, so that its driver can add one base to its addresses. */
static bool back_in_one_run(hv_t *hv, unsigned vm)
{
    uint32_t base = 0, hpa;
    for (uint32_t gpa = 0; gpa < hv->vms[vm].memory; gpa += MMU_PAGE_SIZE) {
        if (!hv_gpa_to_hpa(hv, vm, gpa, true, &hpa))
            return false;
        if (gpa == 0)
            base = hpa;
        else if (hpa != base + gpa)
            return false;
    }
    return true;
}

uint32_t hv_passthrough_dma_base(hv_t *hv, unsigned vm)
{
    uint32_t hpa = 0;
    if (hv->vms[vm].assigned_nic && !hv->vms[vm].io_root)
        hv_gpa_to_hpa(hv, vm, 0, false, &hpa);
    return hpa;
}

int hv_passthrough_assign(hv_t *hv, unsigned vm, char *err, size_t len)
{
    hv_vm_t *v = &hv->vms[vm];
    v->assigned_nic = 1;
    if (hv->cfg.iommu_off && !back_in_one_run(hv, vm)) {
        snprintf(err, len,
                 "VM %s: with iommu = off its memory must be one run of host frames for nic0 "
                 "(give it backing = eager and at most 4 MiB)",
                 v->name);
        return -1;
    }
    if (!hv->cfg.iommu_off) {
        v->io_root = hv_frame_alloc(hv, v->host, HV_FRAME_HV);
        if (!v->io_root || !hv_iommu_map_vm(hv, vm, v->io_root)) {
            snprintf(err, len, "VM %s: out of memory building the I/O page table of nic0", v->name);
            return -1;
        }
        iommu_confine(hv, v);
    }
    sim_nic_host_write(hv->m, SIM_NIC_CONTROL, 0, hv->m->cpu[0].s.cycles); /* the card at rest */
    open_port_window(hv, vm);
    return 0;
}

void hv_passthrough_release(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    if (!v->assigned_nic)
        return;
    sim_nic_host_write(hv->m, SIM_NIC_CONTROL, 0, hv->m->cpu[0].s.cycles); /* stop its DMA */
    if (v->io_root) {
        iommu_context_t none = {.valid = false};
        SIM_ASSERT(iommu_set_context(&hv->m->iommu, SIM_NIC_DMA_ID, &none));
        io_free_tables(hv, v->io_root, io_levels(hv) - 1);
        v->io_root = 0;
    }
    v->assigned_nic = 0;
}

/* ------------------------------------------------------------------------------------------
 * DMA faults
 * ------------------------------------------------------------------------------------------ */
int hv_vm_of_domain(const hv_t *hv, unsigned domain)
{
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used && hv->vms[i].assigned_nic && hv->vms[i].vmid == domain)
            return (int)i;
    return -1;
}

/* Lecture: the IOMMU refused a DMA and interrupts the host. The hypervisor names the VM whose
 * device it was (by the context's domain) and records it; the guest is not told (its card
 * reports the error in the descriptor), and nothing was written. */
static void dma_fault(void *ctx, const iommu_fault_t *f)
{
    hv_t *hv = ctx;
    int vm = hv_vm_of_domain(hv, f->domain);
    if (vm >= 0)
        hv->vms[vm].stats.dma_faults++;
    uint32_t what = (uint32_t)f->device << 16 | (uint32_t)f->access << 8 | f->reason;
    hv_emit_more(hv, SIM_HV_DMA_FAULT, vm, -1, f->iova, what);
}

void hv_passthrough_attach(hv_t *hv)
{
    iommu_set_fault_handler(hv->m, dma_fault, hv);
}

void hv_passthrough_detach(hv_t *hv)
{
    if (hv->m->iommu_fault_ctx == hv)
        iommu_set_fault_handler(hv->m, NULL, NULL);
}

bool hv_passthrough_irq(hv_t *hv, bool level)
{
    int vm = hv_passthrough_nic_vm(hv);
    if (vm < 0)
        return false;
    if (hv->vms[vm].state == HV_VM_RUNNING || hv->vms[vm].state == HV_VM_PAUSED)
        hv_virq(hv, hv_vcpu_of(hv, (unsigned)vm, 0), SIM_NIC_IRQ, level);
    return true;
}

void hv_passthrough_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    if (!hv->vms[vm].assigned_nic)
        return;
    const sim_nic_t *n = &hv->m->nic;
    const iommu_t *io = &hv->m->iommu;
    char b[6][48];
    fprintf(out, "    nic0 assigned (passthrough): %s sent, %s received, no exit for them\n",
            sim_counted(n->tx_frames, "frame", b[0], 48),
            sim_counted(n->rx_frames, "frame", b[1], 48));
    if (!io->enabled) {
        fputs("    iommu: off (iommu = off): the card's DMA addresses were host-physical\n", out);
        return;
    }
    fprintf(out, "    iommu: %s translated (%s; %s, %s), %s blocked\n",
            sim_counted(io->stats.translations, "page", b[0], 48),
            sim_counted(io->stats.iotlb_hits, "IOTLB hit", b[1], 48),
            sim_counted(io->stats.iotlb_misses, "walk", b[2], 48),
            sim_counted(io->stats.walk_refs, "reference", b[3], 48),
            sim_counted(hv->vms[vm].stats.dma_faults, "DMA", b[4], 48));
}
