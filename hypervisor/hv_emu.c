/*
 * hv_emu.c - emulation (cpu = emu): the contrast that shows why direct execution matters.
 *
 * Lecture idea: an emulator (Bochs, QEMU's interpreter) never lets the guest run on the CPU.
 * It fetches every guest instruction, decodes it, and performs it in software against a
 * software copy of the CPU, its privileged instructions and devices included. It needs no
 * help from the hardware and no deprivileging trick, and it is correct for any guest, but
 * every guest instruction costs tens of host instructions.
 *
 * What hvsim models, honestly: the instructions are performed by the CPU's own executor,
 * dispatched through the same ISA table an interpreter would dispatch through, with the VCPU
 * in guest mode as under hw (so an emulated guest behaves exactly like a native one: the
 * modes, the page tables and the interrupts are the guest's own); the interpreter's work is
 * the cost table's emu_insn for every guest instruction, charged to the hypervisor at each
 * exit for the instructions the guest retired since the previous one. Device accesses exit to
 * the same virtual devices as under hw (an emulator emulates its devices too).
 */
#include "hv_internal.h"
#include "hv_technique.h"

bool hv_emu_vcpu(const hv_t *hv, const hv_vcpu_t *v)
{
    return v->vm >= 0 && hv->vms[v->vm].cpu == HV_CPU_EMU;
}

/*
 * Charges the interpreter's work for the guest instructions retired since the last call
 * (the guest's instret in the VMCB, the count already charged in the software area) to the
 * pCPU the hypervisor runs on, and counts them for the VM.
 */
void hv_emu_charge(hv_t *hv, hv_vcpu_t *v)
{
    uint64_t retired = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO) |
                       (uint64_t)hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_COUNT_HI) << 32;
    uint64_t charged = hv_guest_word(hv, v, HV_SW_EMU_CHARGED_LO) |
                       (uint64_t)hv_guest_word(hv, v, HV_SW_EMU_CHARGED_HI) << 32;
    if (retired <= charged)
        return;
    hv_charge_n(hv, SIM_COST_emu_insn, retired - charged); /* itemized in the exit's action */
    hv_set_guest_word(hv, v, HV_SW_EMU_CHARGED_LO, (uint32_t)retired);
    hv_set_guest_word(hv, v, HV_SW_EMU_CHARGED_HI, (uint32_t)(retired >> 32));
}

/* Sets up a new VCPU's VMCB for emulation: reads of the cycle counter exit, so that the
 * interpreter's work is charged before the guest reads the time (an interpreter's clock
 * includes its own work). */
void hv_emu_setup(hv_t *hv, hv_vcpu_t *v)
{
    uint32_t reads = hv_guest_word(hv, v, CPU_VMCB_CSR_READ);
    hv_set_guest_word(hv, v, CPU_VMCB_CSR_READ, reads | 1u << CPU_CSR_CYCLE | 1u << CPU_CSR_CYCLEH);
}

/* A CSR read exit of an emulated guest: the cycle counter as the guest sees it (host cycles,
 * the interpreter's included, minus the VM's offset). False for any other CSR. */
bool hv_emu_csr_read(hv_t *hv, const hv_vcpu_t *v, unsigned csr, uint32_t *value)
{
    if ((csr != CPU_CSR_CYCLE && csr != CPU_CSR_CYCLEH) || !hv->cur)
        return false;
    uint64_t now = hv->cur->s.cycles - hv->vms[v->vm].tsc_offset;
    *value = csr == CPU_CSR_CYCLE ? (uint32_t)now : (uint32_t)(now >> 32);
    return true;
}

uint64_t hv_emu_interpreted(const hv_t *hv, unsigned vm)
{
    uint64_t n = 0;
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || hv->vms[vm].cpu != HV_CPU_EMU)
        return 0;
    for (unsigned i = 0; i < hv->vms[vm].nvcpus; i++) {
        uint32_t vmcb = hv->ent[hv->vms[vm].vcpu[i]].vmcb;
        n += cpu_vmcb_peek(&hv->m->cpu[0], vmcb, HV_SW_EMU_CHARGED_LO) |
             (uint64_t)cpu_vmcb_peek(&hv->m->cpu[0], vmcb, HV_SW_EMU_CHARGED_HI) << 32;
    }
    return n;
}
