/*
 * debug_io.c - a VM's I/O devices that have no registers of a real card, for the front ends:
 * its paravirtual network card (hypervisor/hv_pvnet.c: the queues' indices, the kicks and the
 * batches they sent) and its entropy source (hypervisor/hv_entropy.c, a device no hardware
 * has). `info entropy` prints the sources; the window shows both in short under each VM's
 * console (ui/gui/gui_io.c).
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

int ui_dbg_vm_io(ui_dbg_t *dbg, unsigned vm, ui_dbg_vm_io_t *out)
{
    memset(out, 0, sizeof *out);
    if (dbg_check_vm(dbg, (int)vm) != 0)
        return -1;
    const hv_vm_t *v = &hv_of_machine(dbg->m)->vms[vm];
    const hv_pvnet_t *p = &v->dev.pvnet;
    out->pv = v->nic_pv;
    out->pv_up = p->up;
    for (unsigned q = 0; q < 2; q++) {
        out->taken[q] = p->avail[q];
        out->used[q] = p->used[q];
    }
    out->notifies = p->notifies;
    out->batches = p->batches;
    out->largest = p->largest;
    out->sent = p->sent;
    out->received = p->received;
    out->entropy = v->dev.entropy.on;
    out->entropy_words = v->dev.entropy.words;
    return 0;
}

void ui_dbg_print_entropy(const ui_dbg_t *dbg, FILE *out)
{
    hv_t *hv = hv_of_machine(dbg->m);
    if (!hv) {
        fputs("The bare machine has no entropy source: it is a device only a hypervisor gives "
              "its VMs (entropy = on in a VM's section).\n",
              out);
        return;
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used)
            hv_entropy_print(hv, i, out);
}
