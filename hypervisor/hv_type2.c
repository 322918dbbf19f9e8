/*
 * hv_type2.c - the type 2 (hosted) hypervisor: a host kernel with a user-level VMM process,
 * and a host process that shares the pCPUs with the VCPUs.
 *
 * Lecture idea: type 1 vs type 2. A type 1 hypervisor (Xen, ESXi) owns the machine and
 * emulates devices itself, in ring -1. A type 2 hypervisor (KVM with QEMU, VirtualBox) is part
 * of a host operating system: the exit arrives in the host kernel, which handles what it can
 * (CPU identification, the timer, memory) but hands device emulation to a user-level process,
 * the VMM, and resumes the VCPU when the VMM comes back. Each such exit costs two more
 * transitions — host kernel to VMM (t2_to_vmm) and back (t2_from_vmm) — shown in the trace as
 * the VMM's own span. The host kernel also schedules ordinary host processes beside the VCPU
 * threads: here one CPU-bound host process, modelled in C (it only consumes time slices: its
 * instructions are not the lesson), with its own share.
 *
 * Figures: Dall et al. (ISCA 2016) measured on x86 KVM about 1 300 cycles for a hypercall
 * handled in the host kernel, about 2 500 for an I/O exit handled there and about 7 000 for
 * one that goes to QEMU in user space: the trip to the VMM and back adds some 4 000 cycles
 * (docs/cycle-model.md).
 */
#include "hv_internal.h"

void hv_t2_enter_vmm(hv_t *hv, const hv_vcpu_t *v, unsigned reason)
{
    if (hv->cfg.type != HV_TYPE2)
        return;
    uint64_t trip = hv->cur ? hv->cur->s.cycles : 0;
    hv_charge(hv, SIM_COST_t2_to_vmm);
    /* stamped when the trip begins (the VMM's time starts there), carrying its cost */
    hv_action_at(hv, v, SIM_HV_TO_VMM, reason, 0, trip);
    hv->vms[v->vm].stats.t2_trips++;
}

void hv_t2_leave_vmm(hv_t *hv, const hv_vcpu_t *v, unsigned reason)
{
    if (hv->cfg.type != HV_TYPE2)
        return;
    hv_charge(hv, SIM_COST_t2_from_vmm);
    hv_emit(hv, SIM_HV_FROM_VMM, v->vm, v->index, reason);
}

int hv_t2_create_host_process(hv_t *hv)
{
    for (unsigned e = 0; e < HV_MAX_ENTITIES; e++) {
        if (hv->ent[e].used)
            continue;
        hv->ent[e] = (hv_vcpu_t){.used = 1, .state = HV_VCPU_READY, .host_process = 1, .vm = -1,
                                 .pin = -1, .on_cpu = -1, .last_cpu = -1};
        if (e >= hv->nent)
            hv->nent = e + 1;
        return (int)e;
    }
    return -1;
}

void hv_t2_run_host(hv_t *hv, cpu_t *cpu, unsigned ent, uint64_t end)
{
    hv_vcpu_t *p = &hv->ent[ent];
    uint64_t stop = hv->pcpu[cpu->s.id].slice_end < end ? hv->pcpu[cpu->s.id].slice_end : end;
    if (stop <= cpu->s.cycles)
        return;
    uint64_t n = stop - cpu->s.cycles;
    hv_emit(hv, SIM_HV_HOST, -1, -1, (uint32_t)n);
    cpu->s.cycles = stop;
    p->host_work += n;
}
