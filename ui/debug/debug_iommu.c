/*
 * debug_iommu.c - a DMA the IOMMU blocked, as one sentence: which device, the VM it is
 * assigned to (the context's domain is that VM's id), what it tried at which IOVA, and why the
 * IOMMU said no. `info iommu`, the window's IOMMU panel and the hypervisor's dma-fault action
 * all say it with these words.
 */
#include <stdio.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

static const char *device_name(unsigned device)
{
    return device == SIM_NIC_DMA_ID    ? "the network card"
           : device == SIM_DISK_DMA_ID ? "the disk"
                                       : "device";
}

const char *ui_dbg_dma_fault_text(const sim_machine_t *m, const iommu_fault_t *f, char *buf,
                                  size_t len)
{
    const hv_t *hv = hv_of_machine(m);
    int vm = hv ? hv_vm_of_domain(hv, f->domain) : -1;
    return dbg_dma_fault_text(f, vm >= 0 ? hv->vms[vm].name : NULL, buf, len);
}

const char *dbg_dma_fault_text(const iommu_fault_t *f, const char *vm, char *buf, size_t len)
{
    char owner[64] = "";
    if (vm)
        snprintf(owner, sizeof owner, ", assigned to VM %s,", vm);
    bool write = f->access == MMU_STORE;
    snprintf(buf, len,
             "the IOMMU blocked a DMA %s of %s (device %u)%s %s iova 0x%08x: %s (%s); "
             "nothing was %s",
             write ? "write" : "read", device_name(f->device), f->device, owner,
             write ? "to" : "from", f->iova, iommu_reason_doc(f->reason),
             iommu_reason_name(f->reason), write ? "written" : "read");
    return buf;
}
