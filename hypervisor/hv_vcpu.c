/*
 * hv_vcpu.c - VCPUs: their VMCBs, entering them, and the guest state a handler reads and
 * changes.
 *
 * Lecture idea: a VCPU holds the whole CPU state of a guest. With hardware assist that state
 * lives in the VCPU's VMCB: the CPU saved it there at the last exit and loads it from there at
 * the next entry. A handler that emulates an instruction therefore works on the VMCB: it reads
 * the guest's registers from it, writes results back, moves the saved pc past the instruction,
 * and may ask the next entry to inject an event. Switching a pCPU to another VCPU is loading
 * another VMCB. Every word read or written here is a charged memory access (hv_read32).
 *
 * What each VMCB asks the hardware for (the same for every VCPU of this hypervisor):
 *   exits on halt, port I/O, cpuid, external interrupts, and reads and writes of the timer
 *   CSR (the virtual timer); no exception exits; nested translation with the VM's tables and
 *   id; a preemption timer set to what is left of the time slice at every entry.
 * A trap-and-emulate VCPU (hv_trap.c) changes three things: every trap exits, the guest runs
 * in real U, and interrupts are reflected by the hypervisor instead of posted to the hardware.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

static const char *const vcpu_state_names[] = {
#define HV_X_VCPUSTN(name, str) str,
    HV_VCPU_STATES(HV_X_VCPUSTN)
#undef HV_X_VCPUSTN
};

const char *hv_vcpu_state_name(unsigned state)
{
    return state < sizeof vcpu_state_names / sizeof vcpu_state_names[0] ? vcpu_state_names[state]
                                                                         : "?";
}

hv_vcpu_t *hv_vcpu_of(hv_t *hv, unsigned vm, unsigned index)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || index >= hv->vms[vm].nvcpus)
        return NULL;
    return &hv->ent[hv->vms[vm].vcpu[index]];
}

uint32_t hv_vcpu_vmcb(const hv_t *hv, unsigned vm, unsigned vcpu)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || vcpu >= hv->vms[vm].nvcpus)
        return 0;
    return hv->ent[hv->vms[vm].vcpu[vcpu]].vmcb;
}

int hv_pcpu_vm(const hv_t *hv, unsigned cpu)
{
    if (cpu >= hv->m->ncpus || hv->pcpu[cpu].current < 0)
        return -1;
    return hv->ent[hv->pcpu[cpu].current].vm;
}

int hv_pcpu_vcpu(const hv_t *hv, unsigned cpu)
{
    if (cpu >= hv->m->ncpus || hv->pcpu[cpu].current < 0)
        return -1;
    const hv_vcpu_t *e = &hv->ent[hv->pcpu[cpu].current];
    return e->host_process ? -1 : e->index;
}

/* ------------------------------------------------------------------------------------------
 * Creating a VCPU: a VMCB in a hypervisor frame, the guest at reset
 * ------------------------------------------------------------------------------------------ */
/* The exit controls and CSR exits every VCPU of this hypervisor uses. */
#define HV_CONTROLS (CPU_VMCTL_HALT | CPU_VMCTL_IO | CPU_VMCTL_CPUID | CPU_VMCTL_EXTINT | CPU_VMCTL_CSR)
#define HV_CSR_EXITS (1u << CPU_CSR_TIMER)

int hv_vcpu_create(hv_t *hv, unsigned vm, unsigned index, uint32_t entry, char *err, size_t len)
{
    hv_vm_t *v = &hv->vms[vm];
    const char *refusal = hv_technique_refusal(v->cpu, v->mem);
    if (refusal) {
        snprintf(err, len, "VM %s: %s", v->name, refusal);
        return -1;
    }
    int e = -1;
    for (unsigned i = 0; i < HV_MAX_ENTITIES && e < 0; i++)
        if (!hv->ent[i].used)
            e = (int)i;
    uint32_t vmcb = e >= 0 ? hv_frame_alloc(hv, v->host, HV_FRAME_HV) : 0;
    if (!vmcb) {
        snprintf(err, len, "VM %s: no room for vcpu%u", v->name, index);
        return -1;
    }
    hv_vcpu_t *c = &hv->ent[e];
    *c = (hv_vcpu_t){.used = 1, .state = HV_VCPU_READY, .vm = (int8_t)vm, .index = (uint8_t)index,
                     .pin = -1, .on_cpu = -1, .last_cpu = -1, .vmcb = vmcb};
    if ((unsigned)e >= hv->nent)
        hv->nent = (unsigned)e + 1;
    v->vcpu[v->nvcpus++] = (uint8_t)e;

    hv_write32(hv, vmcb + CPU_VMCB_REV, CPU_VMCB_REVISION);
    hv_write32(hv, vmcb + CPU_VMCB_VM_LABEL, vm);
    hv_write32(hv, vmcb + CPU_VMCB_VCPU_ID, index);
    hv_write32(hv, vmcb + CPU_VMCB_CONTROLS, HV_CONTROLS);
    hv_write32(hv, vmcb + CPU_VMCB_CSR_READ, HV_CSR_EXITS);
    hv_write32(hv, vmcb + CPU_VMCB_CSR_WRITE, HV_CSR_EXITS);
    /* nested A/D only where the hypervisor swaps (the A bits are what its replacement sees)
     * or migrates (the D bits are its dirty log) */
    hv_write32(hv, vmcb + CPU_VMCB_NESTED_ENABLE,
               1 | (hv_nested_ad_on(hv, vm) ? CPU_NESTED_AD : 0));
    hv_write32(hv, vmcb + CPU_VMCB_NESTED_LEVELS, hv->m->mmu_config.nested_levels);
    hv_write32(hv, vmcb + CPU_VMCB_NESTED_ROOT, v->nested_root);
    hv_write32(hv, vmcb + CPU_VMCB_VMID, v->vmid);
    hv_write32(hv, vmcb + CPU_VMCB_TSC_OFFSET_LO, (uint32_t)v->tsc_offset);
    hv_write32(hv, vmcb + CPU_VMCB_TSC_OFFSET_HI, (uint32_t)(v->tsc_offset >> 32));
    /* The guest starts as a CPU does at reset: K, interrupts off, every line unmasked. */
    hv_write32(hv, vmcb + CPU_VMCB_GUEST + CPU_VMCB_PC, entry);
    hv_write32(hv, vmcb + CPU_VMCB_GUEST + CPU_VMCB_FLAGS, (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    hv_write32(hv, vmcb + CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_IM), (1u << CPU_IRQ_LINES) - 1);
    if (v->cpu == HV_CPU_BT && !hv_bt_setup(hv, c)) {
        snprintf(err, len, "VM %s: no room for vcpu%u's translation cache", v->name, index);
        return -1;
    }
    if (v->cpu == HV_CPU_TRAP || v->cpu == HV_CPU_BT)
        hv_trap_setup(hv, c);
    if (v->cpu == HV_CPU_EMU)
        hv_emu_setup(hv, c);
    if (v->mem == HV_MEM_SHADOW && !hv_shadow_setup(hv, c)) {
        snprintf(err, len, "VM %s: no room for vcpu%u's shadow page tables", v->name, index);
        return -1;
    }
    return e;
}

/* ------------------------------------------------------------------------------------------
 * The guest's state in the VMCB
 * ------------------------------------------------------------------------------------------ */
/* Which cost a VMCB word has for the hypervisor. The guest's registers are ordinary memory
 * (on VT-x the VMM's exit stub saves them itself, outside the VMCS); every other field is
 * read and written with VMREAD and VMWRITE, whose price is a hardware generation's
 * (docs/cycle-model.md, "Cost profiles"). A binary-translation VCPU's state is all in its
 * co-resident monitor's memory, as VMware's BT monitor had no VMCS at all. */
static sim_cost_t vmcb_field_cost(const hv_t *hv, const hv_vcpu_t *v, uint32_t offset, bool write)
{
    if (offset >= CPU_VMCB_GUEST + CPU_VMCB_R(0) && offset <= CPU_VMCB_GUEST + CPU_VMCB_R(15))
        return SIM_COST_hv_mem;
    if (hv_bt_vcpu(hv, v))
        return SIM_COST_hv_mem;
    return write ? SIM_COST_hv_vmcb_write : SIM_COST_hv_vmcb_read;
}

uint32_t hv_guest_word(hv_t *hv, const hv_vcpu_t *v, uint32_t offset)
{
    return hv_read32_as(hv, v->vmcb + offset, vmcb_field_cost(hv, v, offset, false));
}

void hv_set_guest_word(hv_t *hv, const hv_vcpu_t *v, uint32_t offset, uint32_t value)
{
    hv_write32_as(hv, v->vmcb + offset, value, vmcb_field_cost(hv, v, offset, true));
}

uint32_t hv_guest_reg(hv_t *hv, const hv_vcpu_t *v, unsigned reg)
{
    return reg == 0 ? 0 : hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_R(reg & 15));
}

void hv_set_guest_reg(hv_t *hv, const hv_vcpu_t *v, unsigned reg, uint32_t value)
{
    if (reg == 0) /* r0 stays 0, as the instruction would have left it */
        return;
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_R(reg & 15), value);
    hv_action(hv, v, SIM_HV_SET_REG, reg & 15, value);
}

void hv_skip_instruction(hv_t *hv, const hv_vcpu_t *v)
{
    uint32_t pc = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC);
    uint32_t len = hv_guest_word(hv, v, CPU_VMCB_EXIT_LEN);
    hv_move_guest_pc(hv, v, pc, pc + len);
}

void hv_move_guest_pc(hv_t *hv, const hv_vcpu_t *v, uint32_t from, uint32_t to)
{
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, to);
    hv_action(hv, v, SIM_HV_SKIP, from, to);
}

void hv_inject(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval)
{
    if (hv_trap_vcpu(hv, v)) { /* no hardware delivers into a deprivileged kernel */
        hv_trap_reflect(hv, v, cause, tval);
        return;
    }
    hv_set_guest_word(hv, v, CPU_VMCB_INJECT_VALID, 1);
    hv_set_guest_word(hv, v, CPU_VMCB_INJECT_CAUSE, cause);
    hv_set_guest_word(hv, v, CPU_VMCB_INJECT_TVAL, tval);
    hv->vms[v->vm].stats.injections++;
    hv_action(hv, v, SIM_HV_INJECT, cause, tval);
}

/* ------------------------------------------------------------------------------------------
 * Virtual interrupt lines
 * ------------------------------------------------------------------------------------------ */
bool hv_vcpu_interrupt_waiting(hv_t *hv, const hv_vcpu_t *v)
{
    return (v->vip & hv_trap_vim(hv, v)) != 0;
}

void hv_virq(hv_t *hv, hv_vcpu_t *v, unsigned line, bool level)
{
    uint32_t bit = 1u << line, old = v->vip;
    v->vip = level ? v->vip | bit : v->vip & ~bit;
    if (v->vip == old)
        return;
    /* Posted: the running guest sees it at its next instruction boundary, without an exit. */
    cpu_t *cpu = v->on_cpu >= 0 ? &hv->m->cpu[v->on_cpu] : NULL;
    if (hv_trap_vcpu(hv, v)) {
        if (level)
            hv_trap_line_raised(hv, v); /* reflected at the next entry, never posted */
    } else if (cpu && cpu_in_guest(cpu))
        cpu_vm_set_vip(cpu, v->vip);
    else
        hv_set_guest_word(hv, v, CPU_VMCB_VIP, v->vip);
    if (!level)
        return;
    hv_emit(hv, SIM_HV_VIRQ, v->vm, v->index, line);
    if (v->state == HV_VCPU_BLOCKED && hv_vcpu_interrupt_waiting(hv, v))
        hv_sched_wake(hv, (unsigned)(v - hv->ent));
    else if (v->state == HV_VCPU_READY)
        hv_sched_interrupt_waiting(hv, (unsigned)(v - hv->ent));
}

/* ------------------------------------------------------------------------------------------
 * VM entry
 * ------------------------------------------------------------------------------------------ */
bool hv_vcpu_enter(hv_t *hv, cpu_t *cpu, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    uint64_t now = cpu->s.cycles;
    uint64_t left = p->slice_end > now ? p->slice_end - now : 1;
    hv_set_guest_word(hv, v, CPU_VMCB_PREEMPT, left > 0xffffffffu ? 0xffffffffu : (uint32_t)left);
    if (hv_bt_vcpu(hv, v))
        hv_bt_resume(hv, v);
    if (hv_trap_vcpu(hv, v))
        hv_trap_before_entry(hv, v);
    if (hv_bt_vcpu(hv, v) && !hv_bt_before_entry(hv, v))
        return false;
    if (hv_shadow_vcpu(hv, v) && !hv_shadow_before_entry(hv, v))
        return false;
    hv_set_guest_word(hv, v, CPU_VMCB_VIP, hv_trap_vcpu(hv, v) ? 0 : v->vip);
    p->mmu_mark = cpu->mmu.stats;
    if (cpu_vm_enter(cpu, v->vmcb, 0))
        return true;
    /* The CPU refused the VMCB and recorded an ENTRY_FAILED exit: it is handled as any exit
     * is (hv_handle_entry_failed), after a debugger has had the chance to stop at it. */
    p->exit_pending = 1;
    return false;
}
