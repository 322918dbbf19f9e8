/*
 * hv_batch.c - exit batching ([hypervisor] batch_exits = on), and the emulation of a port
 * access that the port I/O exit, trap-and-emulate and batching share.
 *
 * Lecture idea (Agesen, Mattson, Rugina and Sheldon, "Software Techniques for Avoiding
 * Hardware Virtualization Exits", USENIX ATC 2012): an exit is dear, and device drivers issue
 * their port accesses in runs (a disk driver's sector, count and address registers). So
 * before re-entering, the port I/O exit's handler also reads the next instruction (through
 * the guest's own tables, charged) and, when it would exit too, emulates it now: one exit
 * and one entry saved for each, at the price of the read and the decode (hv_handler). Up to
 * HV_BATCH_MAX instructions follow one exit. Only the guest's kernel (in and out are
 * privileged) of a hardware-assisted VCPU, and only port I/O: what needs nothing but the
 * device model. When the next instruction is no port access the read was in vain: batching
 * costs every port exit that much (docs/experiments.md, rows in and in2).
 */
#include "hv_internal.h"
#include "hv_technique.h"

/* Emulates `in` (into reg) or `out` (from reg) of port on the VM's virtual devices (all ones:
 * no device there); type 2 makes the trip to the user-level VMM for it. */
void hv_emulate_port(hv_t *hv, hv_vcpu_t *v, bool write, unsigned reg, uint16_t port)
{
    uint32_t value = write ? hv_guest_reg(hv, v, reg) : 0;
    hv_t2_enter_vmm(hv, v, CPU_EXIT_IO_PORT);
    if (!hv_dev_port(hv, (unsigned)v->vm, port, write, &value))
        value = 0xffffffffu;
    hv_t2_leave_vmm(hv, v, CPU_EXIT_IO_PORT);
    if (!write)
        hv_set_guest_reg(hv, v, reg, value);
}

/* True when an `in` or `out` of port exits: the control 'port I/O' is set and the port lies
 * outside an assigned device's window. The hypervisor wrote these VMCB words itself, so it
 * knows them: looked at, no VMREAD charged. */
static bool port_exits(hv_t *hv, const hv_vcpu_t *v, uint16_t port)
{
    uint32_t controls = cpu_vmcb_peek(hv->cur, v->vmcb, CPU_VMCB_CONTROLS);
    if (!(controls & CPU_VMCTL_IO))
        return false;
    if (!(controls & CPU_VMCTL_PORTS))
        return true;
    uint32_t first = cpu_vmcb_peek(hv->cur, v->vmcb, CPU_VMCB_PORT_FIRST);
    return (uint32_t)port - first >= cpu_vmcb_peek(hv->cur, v->vmcb, CPU_VMCB_PORT_COUNT);
}

/* The port of an `in` or `out` the guest's kernel would run next, when it would exit too;
 * -1 if not. */
static int32_t next_port_exit(hv_t *hv, hv_vcpu_t *v, uint32_t word, cpu_insn_t *i)
{
    if (!cpu_decode(word, i) || (i->op != CPU_OP_IN && i->op != CPU_OP_OUT))
        return -1;
    uint16_t port = (uint16_t)(hv_guest_reg(hv, v, i->rs1) + (uint32_t)i->imm);
    return port_exits(hv, v, port) ? port : -1;
}

#define HV_BATCH_MAX 8

/*
 * After a port I/O exit's emulation (the pc past the instruction): with batch_exits on, and
 * for a hardware-assisted VCPU's kernel, emulates each following instruction that is an `in`
 * or `out` that would exit, up to HV_BATCH_MAX, moving the pc past each; stops at the first
 * that would not (or cannot be read: the guest's own fetch will fault on it as it should),
 * or when the VM stops running (a power-off). Each is an event (`batch`) and counted.
 */
void hv_batch_exits(hv_t *hv, hv_vcpu_t *v)
{
    if (!hv->cfg.batch_exits || hv->vms[v->vm].cpu != HV_CPU_HW)
        return;
    uint32_t flags = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    if (!(flags & CPU_FLAG_MODE_MASK))
        return;
    for (unsigned n = 0; n < HV_BATCH_MAX && hv->vms[v->vm].state == HV_VM_RUNNING; n++) {
        uint32_t pc = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC), word;
        cpu_insn_t i;
        int32_t port;
        if (!hv_guest_fetch(hv, v, pc, &word) || (port = next_port_exit(hv, v, word, &i)) < 0)
            return;
        hv_charge(hv, SIM_COST_hv_handler); /* its decode and dispatch, as an exit's */
        hv_action(hv, v, SIM_HV_BATCH, pc, word);
        hv_emulate_port(hv, v, i.op == CPU_OP_OUT, i.rd, (uint16_t)port);
        hv_move_guest_pc(hv, v, pc, pc + 4);
        hv->vms[v->vm].stats.batched++;
    }
}
