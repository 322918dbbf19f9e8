/*
 * hv_trap.c - trap-and-emulate (cpu = trap): the classic way to virtualize a CPU without
 * hardware help for the guest's kernel mode (Popek and Goldberg, 1974).
 *
 * Lecture idea: deprivilege the guest kernel. The guest runs entirely in real U, its kernel
 * included. Every privileged instruction it executes therefore traps; the hypervisor decodes
 * it and performs it against the VCPU's *virtual* CPU state: a virtual mode (the guest's idea
 * of whether it is in K or U), a virtual IE, and virtual CSRs (tvec, epc, cause, ...). Every
 * other trap (a system call, a page fault, a divide by zero) and every interrupt belongs to
 * the guest kernel: the hypervisor *reflects* it, doing in software what the CPU's trap entry
 * would have done: save pc and flags into the virtual epc/eflags, switch the virtual mode to
 * K with IE = 0, and continue at the virtual tvec.
 *
 * The hole: three instructions of this ISA are sensitive but not privileged (pushf, popf,
 * rdmode). They do not trap in U, so the hypervisor never sees them: pushf and rdmode show
 * the guest kernel that it runs in U, and popf in U silently leaves IE alone, so a kernel that
 * masks interrupts with pushf, cli ... popf never unmasks them again (the built-in scenario
 * trap-popf shows it). Binary translation or hardware assist is the cure.
 *
 * How it is built here: the VCPU still runs in ring -1 guest mode (its memory goes through
 * nested tables, gpa -> hpa, and the exits are VM exits), but its real mode is always U, the
 * exception bitmap sends every trap to the hypervisor, and no virtual line is posted to the
 * hardware: interrupts are reflected by the hypervisor at VM entry when the virtual IE allows.
 * The virtual CSRs are the VMCB's guest CSR words (the hardware never uses them: no trap
 * enters the guest's K); the virtual mode and IE live in the VMCB's software area, with the
 * counters of what was emulated and reflected. All of it is plain memory: saved with the VM.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

#define VFLAGS_BITS (CPU_FLAG_MODE_MASK | CPU_FLAG_IE) /* what the virtual flags word keeps */
#define ALL_TRAPS ((1u << CPU_CAUSE_COUNT) - 1)
#define GUEST_CSR(n) (CPU_VMCB_GUEST + CPU_VMCB_CSR(n))

/* ------------------------------------------------------------------------------------------
 * The virtual CPU state
 * ------------------------------------------------------------------------------------------ */
/* Where a virtual register lives: csr 0 is the virtual flags (MODE and IE), others are the
 * virtual CSRs. A trap VCPU keeps them in its VMCB; a bt VCPU keeps the flags, tvec ..
 * scratch and im in its BT state page, where its translated code reads and writes them
 * inline. */
static uint32_t vstate_addr(hv_t *hv, const hv_vcpu_t *v, unsigned csr)
{
    if (hv_bt_vcpu(hv, v) && (csr <= CPU_CSR_SCRATCH || csr == CPU_CSR_IM))
        return hv_bt_state_word(v, csr);
    return v->vmcb + (csr == 0 ? HV_SW_VFLAGS : GUEST_CSR(csr));
}

static uint32_t vcsr(hv_t *hv, const hv_vcpu_t *v, unsigned csr)
{
    return hv_read32(hv, vstate_addr(hv, v, csr));
}

static void set_vcsr(hv_t *hv, const hv_vcpu_t *v, unsigned csr, uint32_t value)
{
    hv_write32(hv, vstate_addr(hv, v, csr), value);
}

/* The virtual flags. A guest that wrote MODE = H into its state page gets K. */
static uint32_t vflags(hv_t *hv, const hv_vcpu_t *v)
{
    uint32_t f = vcsr(hv, v, 0) & VFLAGS_BITS;
    if ((f & CPU_FLAG_MODE_MASK) > ((uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT))
        f = (f & ~CPU_FLAG_MODE_MASK) | (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT;
    return f;
}

static void set_vflags(hv_t *hv, const hv_vcpu_t *v, uint32_t f)
{
    set_vcsr(hv, v, 0, f & VFLAGS_BITS);
}

static uint32_t real_flags(hv_t *hv, const hv_vcpu_t *v)
{
    return hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
}

/* The flags the guest believes it has: the real condition bits, the virtual mode and IE. */
static uint32_t guest_view_of_flags(hv_t *hv, const hv_vcpu_t *v)
{
    return (real_flags(hv, v) & CPU_FLAG_COND) | vflags(hv, v);
}

static uint32_t guest_pc(hv_t *hv, const hv_vcpu_t *v)
{
    return hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC);
}

static void set_guest_pc(hv_t *hv, const hv_vcpu_t *v, uint32_t pc)
{
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, pc);
}

static void count(hv_t *hv, const hv_vcpu_t *v, uint32_t offset)
{
    hv_set_guest_word(hv, v, offset, hv_guest_word(hv, v, offset) + 1);
}

cpu_mode_t hv_trap_guest_mode(hv_t *hv, const hv_vcpu_t *v)
{
    return (cpu_mode_t)((vflags(hv, v) & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
}

/* True for a deprivileged VCPU: cpu = trap, and cpu = bt (whose translated kernel runs in U
 * too, and whose traps, reflection and emulation are these). */
bool hv_trap_vcpu(const hv_t *hv, const hv_vcpu_t *v)
{
    return v->vm >= 0 && (hv->vms[v->vm].cpu == HV_CPU_TRAP || hv->vms[v->vm].cpu == HV_CPU_BT);
}

/*
 * Sets up a new VCPU's VMCB for trap-and-emulate: every trap exits, the guest starts in real
 * U with the virtual flags of a CPU at reset (K, IE = 0). Call after hv_vcpu_create wrote the
 * hardware-assisted defaults.
 */
void hv_trap_setup(hv_t *hv, hv_vcpu_t *v)
{
    hv_set_guest_word(hv, v, CPU_VMCB_EXCEPTIONS, ALL_TRAPS);
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS, (uint32_t)CPU_MODE_U << CPU_FLAG_MODE_SHIFT);
    set_vflags(hv, v, (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
}

/* ------------------------------------------------------------------------------------------
 * Reflection: what the CPU's trap entry would have done, in software
 * ------------------------------------------------------------------------------------------ */
/*
 * Delivers a trap or interrupt to the guest kernel as the hardware would: virtual epc = the
 * guest's pc, virtual eflags = its flags as it believes them, cause and tval, then virtual
 * mode K with IE = 0 and pc = the virtual tvec. Counts it in the software area.
 */
void hv_trap_reflect(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval)
{
    if (hv_bt_vcpu(hv, v))
        hv_bt_leave_tc(hv, v); /* epc is the guest's address, never the TC's */
    /* LAB 1 BEGIN: reflect the trap: do in software what the CPU's trap entry does in K */
    set_vcsr(hv, v, CPU_CSR_EPC, guest_pc(hv, v));
    set_vcsr(hv, v, CPU_CSR_EFLAGS, guest_view_of_flags(hv, v));
    set_vcsr(hv, v, CPU_CSR_CAUSE, cause);
    set_vcsr(hv, v, CPU_CSR_TVAL, tval);
    set_vflags(hv, v, (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    set_guest_pc(hv, v, vcsr(hv, v, CPU_CSR_TVEC));
    count(hv, v, cause & CPU_CAUSE_INTERRUPT ? HV_SW_REFLECTED_IRQ : HV_SW_REFLECTED(cause));
    hv->vms[v->vm].stats.injections++;
    hv_emit(hv, SIM_HV_TRAP_REFLECT, v->vm, v->index, cause);
    /* LAB 1 STUB: (void)cause, (void)tval, (void)guest_view_of_flags, (void)count; */
    /* LAB 1 STUB: hv_lab_missing(hv, v, 1, "hv_trap_reflect"); */
    /* LAB 1 END */
}

/* The virtual lines the guest would take now: raised, enabled in its im, and its virtual IE
 * on. */
static uint32_t deliverable_lines(hv_t *hv, const hv_vcpu_t *v)
{
    if (!(vflags(hv, v) & CPU_FLAG_IE))
        return 0;
    return v->vip & hv_trap_vim(hv, v);
}

/* A bt VCPU's im is on its state page; any other's is the guest's own im in its VMCB, which
 * the CPU holds while the guest runs (so read as the hypervisor reads guest state). */
uint32_t hv_trap_vim(hv_t *hv, const hv_vcpu_t *v)
{
    return hv_bt_vcpu(hv, v) ? vcsr(hv, v, CPU_CSR_IM) : hv_guest_word(hv, v, GUEST_CSR(CPU_CSR_IM));
}

/* The real IE follows the virtual one, so that what user code sees with pushf (its real
 * flags: it runs directly) is what it would see natively. It changes nothing else: no
 * virtual line is ever posted to a deprivileged VCPU's hardware. Under bt the real flags
 * also say whether the CPU runs the monitor's code (CPU_FLAG_MONITOR: the translated kernel,
 * in virtual K), where it may read the clock; the guest's user code, wherever it is mapped,
 * may not. One write, when either changes (the mode changes mostly with IE). */
static void mirror_ie(hv_t *hv, const hv_vcpu_t *v)
{
    uint32_t real = real_flags(hv, v), virt = vflags(hv, v);
    bool kernel = (virt & CPU_FLAG_MODE_MASK) == (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT;
    uint32_t seg = hv_bt_vcpu(hv, v) && kernel ? CPU_FLAG_MONITOR : 0;
    uint32_t want = (real & ~(CPU_FLAG_IE | CPU_FLAG_MONITOR)) | (virt & CPU_FLAG_IE) | seg;
    if (want != real)
        hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS, want);
}

/* At VM entry: an interrupt the guest can take now is reflected into it (the lowest line
 * first, as the CPU's priority is). Translated code in the middle of an inline sequence is
 * not at a guest instruction boundary: it runs a few more cycles first (a short preemption
 * timer brings it back). */
void hv_trap_before_entry(hv_t *hv, hv_vcpu_t *v)
{
    /* An emulated iret to a pc that is not word-aligned: the hardware would take the
     * misaligned fetch there, in the mode iret restored, before running anything; VM entry
     * refuses such a pc, so the fault is reflected now. (If the guest's trap vector is
     * misaligned too, the entry fails and the VM stops: a double fault.) bt finds it itself,
     * when it looks for the translation. */
    uint32_t pc = guest_pc(hv, v);
    if ((pc & 3) && !hv_bt_vcpu(hv, v))
        hv_trap_reflect(hv, v, CPU_CAUSE_MISALIGNED, pc);
    uint32_t lines = deliverable_lines(hv, v);
    if (lines && hv_bt_vcpu(hv, v) && !hv_bt_at_boundary(hv, v))
        hv_set_guest_word(hv, v, CPU_VMCB_PREEMPT, 16);
    else
        for (unsigned line = 0; line < CPU_IRQ_LINES; line++)
            if (lines & (1u << line)) {
                hv_trap_reflect(hv, v, CPU_CAUSE_INTERRUPT | line, 0);
                break;
            }
    mirror_ie(hv, v);
}

/* A virtual line rose while the VCPU runs: the guest must exit so that the entry reflects it,
 * but only when its virtual IE would let it in (a kick otherwise only costs exits). */
void hv_trap_line_raised(hv_t *hv, hv_vcpu_t *v)
{
    if (hv_bt_vcpu(hv, v))
        hv_bt_line_raised(hv, v);
    if (deliverable_lines(hv, v) && v->on_cpu >= 0 && cpu_in_guest(&hv->m->cpu[v->on_cpu]))
        cpu_set_irq(&hv->m->cpu[v->on_cpu], HV_KICK_IRQ, true);
}

/* ------------------------------------------------------------------------------------------
 * Emulation: one short function per privileged instruction
 * ------------------------------------------------------------------------------------------ */
typedef bool (*emulate_fn)(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i);

/* csrr: the virtual CSRs. Computed ones are computed for the guest: status from the virtual
 * flags, the timer from the virtual timer, time and identity as guest mode gives them. */
static bool emulate_csrr(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    uint32_t value;
    uint64_t cycles = hv->cur ? hv->cur->s.cycles - hv->vms[v->vm].tsc_offset : 0;
    switch (i->imm) {
    case CPU_CSR_STATUS: value = vflags(hv, v); break;
    case CPU_CSR_TIMER: value = hv_vtimer_read(hv, v); break;
    case CPU_CSR_IP: value = v->vip; break;
    case CPU_CSR_CYCLE: value = (uint32_t)cycles; break;
    case CPU_CSR_CYCLEH: value = (uint32_t)(cycles >> 32); break;
    case CPU_CSR_INSTRET: value = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO); break;
    case CPU_CSR_CPUNUM: value = v->index; break;
    case CPU_CSR_PTROOT:
        value = hv_shadow_vcpu(hv, v) ? v->shadow.guest_ptroot
                                      : hv_guest_word(hv, v, GUEST_CSR(CPU_CSR_PTROOT));
        break;
    default:
        if (i->imm < CPU_CSR_TVEC || i->imm > CPU_CSR_IM)
            return false;
        value = vcsr(hv, v, (unsigned)i->imm);
    }
    hv_set_guest_reg(hv, v, i->rd, value);
    return true;
}

/* csrw: status changes the virtual IE only; the timer is the virtual timer; a new page-table
 * root goes to the shadow paging when the VM has it, else it drops the VM's TLB entries (its
 * ASID tags are the guest's, the hypervisor's care). */
static bool emulate_csrw(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    uint32_t value = hv_guest_reg(hv, v, i->rs1);
    if (i->imm == CPU_CSR_PTROOT && hv_shadow_vcpu(hv, v)) {
        hv_shadow_write_ptroot(hv, v, value);
        return true;
    }
    if (i->imm == CPU_CSR_STATUS)
        set_vflags(hv, v, (vflags(hv, v) & ~CPU_FLAG_IE) | (value & CPU_FLAG_IE));
    else if (i->imm == CPU_CSR_TIMER)
        hv_vtimer_write(hv, v, value);
    else if (i->imm >= CPU_CSR_TVEC && i->imm <= CPU_CSR_IM)
        set_vcsr(hv, v, (unsigned)i->imm, value);
    else
        return false; /* read-only or unknown: illegal, as on the CPU */
    if (i->imm == CPU_CSR_PTROOT && hv->cur)
        cpu_vm_invvm(hv->cur, hv->vms[v->vm].vmid);
    return true;
}

/* iret: back to where the virtual epc points, with the virtual eflags' mode and IE. */
static bool emulate_iret(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    (void)i;
    /* LAB 1 BEGIN: iret: pc = virtual epc; condition bits, mode and IE from virtual eflags */
    uint32_t saved = vcsr(hv, v, CPU_CSR_EFLAGS);
    uint32_t real = (real_flags(hv, v) & ~CPU_FLAG_COND) | (saved & CPU_FLAG_COND);
    if ((saved & CPU_FLAG_MODE_MASK) > ((uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT))
        saved &= ~CPU_FLAG_MODE_MASK; /* a guest cannot return into H: it gets U */
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS, real);
    set_vflags(hv, v, saved);
    set_guest_pc(hv, v, vcsr(hv, v, CPU_CSR_EPC));
    return true;
    /* LAB 1 STUB: return hv_lab_missing(hv, v, 1, "emulate_iret"); */
    /* LAB 1 END */
}

/* halt: the VCPU waits for a virtual line its im enables (IE = 0 wakes without taking it). */
static bool emulate_halt(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    (void)i;
    if (!hv_vcpu_interrupt_waiting(hv, v))
        hv_sched_block(hv, (unsigned)(v - hv->ent));
    return true;
}

static bool emulate_cli(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    (void)i;
    /* LAB 1 BEGIN: cli: clear IE in the virtual flags (the real IE follows at entry) */
    set_vflags(hv, v, vflags(hv, v) & ~CPU_FLAG_IE);
    return true;
    /* LAB 1 STUB: return hv_lab_missing(hv, v, 1, "emulate_cli"); */
    /* LAB 1 END */
}

static bool emulate_sti(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    (void)i;
    /* LAB 1 BEGIN: sti: set IE in the virtual flags */
    set_vflags(hv, v, vflags(hv, v) | CPU_FLAG_IE);
    return true;
    /* LAB 1 STUB: return hv_lab_missing(hv, v, 1, "emulate_sti"); */
    /* LAB 1 END */
}

/* tlbinv, tlbflush: the shadow tables follow them; with nested paging the hypervisor drops
 * the VM's TLB entries (more than asked: always correct). */
static bool emulate_tlb(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    if (hv_shadow_vcpu(hv, v)) {
        if (i->op == CPU_OP_TLBINV)
            hv_shadow_tlbinv(hv, v, hv_guest_reg(hv, v, i->rs1));
        else
            hv_shadow_tlbflush(hv, v);
    } else if (hv->cur)
        cpu_vm_invvm(hv->cur, hv->vms[v->vm].vmid);
    return true;
}

/* in, out: the VM's virtual devices, as a port I/O exit would reach them. */
static bool emulate_port(hv_t *hv, hv_vcpu_t *v, const cpu_insn_t *i)
{
    uint16_t port = (uint16_t)(hv_guest_reg(hv, v, i->rs1) + (uint32_t)i->imm);
    hv_emulate_port(hv, v, i->op == CPU_OP_OUT, i->rd, port);
    return true;
}

/* The emulation table: every instruction of class privileged has its function. */
static const emulate_fn emulators[CPU_OP_COUNT] = {
    [CPU_OP_CSRR] = emulate_csrr, [CPU_OP_CSRW] = emulate_csrw, [CPU_OP_IRET] = emulate_iret,
    [CPU_OP_HALT] = emulate_halt, [CPU_OP_CLI] = emulate_cli,   [CPU_OP_STI] = emulate_sti,
    [CPU_OP_TLBINV] = emulate_tlb, [CPU_OP_TLBFLUSH] = emulate_tlb,
    [CPU_OP_IN] = emulate_port,   [CPU_OP_OUT] = emulate_port,
};

bool hv_trap_can_emulate(unsigned op)
{
    return op < CPU_OP_COUNT && emulators[op] != NULL;
}

/*
 * A privileged instruction trapped in real U. In virtual U it is the guest's own business:
 * reflected as the privileged-instruction trap its kernel expects. In virtual K it is
 * emulated against the virtual state and the pc moves past it (an unknown CSR is illegal).
 */
void hv_trap_emulate(hv_t *hv, hv_vcpu_t *v, uint32_t word)
{
    /* LAB 1 BEGIN: in virtual U reflect it; in virtual K emulate it and move the pc past it */
    cpu_insn_t insn;
    bool kernel = (vflags(hv, v) & CPU_FLAG_MODE_MASK) != 0;
    if (!kernel || !cpu_decode(word, &insn) || !emulators[insn.op]) {
        hv_trap_reflect(hv, v, CPU_CAUSE_PRIVILEGED, word);
        return;
    }
    uint32_t pc = guest_pc(hv, v);
    hv_move_guest_pc(hv, v, pc, pc + 4); /* past it first; iret sets its own pc */
    if (!emulators[insn.op](hv, v, &insn)) {
        set_guest_pc(hv, v, pc);
        hv_trap_reflect(hv, v, CPU_CAUSE_ILLEGAL, word);
        return;
    }
    count(hv, v, HV_SW_EMULATED(insn.op));
    hv_emit(hv, SIM_HV_TRAP_EMULATE, v->vm, v->index, cpu_isa[insn.op].opcode);
    /* LAB 1 STUB: (void)word, (void)guest_pc, (void)set_guest_pc; */
    /* LAB 1 STUB: hv_lab_missing(hv, v, 1, "hv_trap_emulate"); */
    /* LAB 1 END */
}

/*
 * The limit of trap-and-emulate with nested paging: a guest kernel that turns paging on maps
 * its own code supervisor-only, and the deprivileged kernel (real U) may not fetch from such
 * pages through the guest's own tables. Reflecting the fault would only fault again in the
 * guest's handler, for ever, so the VM is stopped with the reason. (A kernel fetching from an
 * unmapped page natively is rare; it is stopped too, with the same sentence.) Shadow paging
 * is the cure: its kernel's view maps those pages for real U.
 */
static bool kernel_cannot_run_paged(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval)
{
    if (hv_shadow_vcpu(hv, v))
        return false;
    bool kernel = (vflags(hv, v) & CPU_FLAG_MODE_MASK) != 0;
    bool paging = hv_guest_word(hv, v, GUEST_CSR(CPU_CSR_PTROOT)) & 1;
    if (cause != CPU_CAUSE_FETCH_PAGE_FAULT || !kernel || !paging)
        return false;
    char why[160];
    snprintf(why, sizeof why, "cpu = trap cannot run a paged kernel: its code at 0x%08x is "
                              "supervisor-only, the kernel runs in real U (use mem = shadow or cpu = hw)", tval);
    hv_vm_crash(hv, (unsigned)v->vm, why);
    return true;
}

/* The EXCEPTION exit of a trap VCPU: every trap of the guest comes here. */
void hv_trap_exception(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval)
{
    if (kernel_cannot_run_paged(hv, v, cause, tval))
        return;
    if (cause == CPU_CAUSE_PRIVILEGED)
        hv_trap_emulate(hv, v, tval);
    else
        hv_trap_reflect(hv, v, cause, tval);
}

/* ------------------------------------------------------------------------------------------
 * Which combinations this hypervisor runs
 * ------------------------------------------------------------------------------------------ */
const char *hv_technique_refusal(unsigned cpu, unsigned mem)
{
    if (cpu >= HV_CPU_TECHNIQUE_COUNT || mem >= HV_MEM_TECHNIQUE_COUNT)
        return "unknown virtualization technique";
    if (cpu == HV_CPU_BT && mem != HV_MEM_SHADOW)
        return "cpu = bt needs mem = shadow: its translation cache lives in the hypervisor's top "
               "4 MiB of the guest's address space, which only a shadow page table can give it";
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Figures for statistics and tests
 * ------------------------------------------------------------------------------------------ */
uint32_t hv_trap_emulated(const hv_t *hv, unsigned vm, unsigned op)
{
    uint32_t n = 0;
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || op >= CPU_OP_COUNT)
        return 0;
    for (unsigned i = 0; i < hv->vms[vm].nvcpus; i++)
        n += cpu_vmcb_peek(&hv->m->cpu[0], hv->ent[hv->vms[vm].vcpu[i]].vmcb, HV_SW_EMULATED(op));
    return n;
}

uint32_t hv_trap_reflected(const hv_t *hv, unsigned vm, uint32_t cause)
{
    uint32_t n = 0, off = cause & CPU_CAUSE_INTERRUPT ? HV_SW_REFLECTED_IRQ
                                                      : HV_SW_REFLECTED(cause % CPU_CAUSE_COUNT);
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used)
        return 0;
    for (unsigned i = 0; i < hv->vms[vm].nvcpus; i++)
        n += cpu_vmcb_peek(&hv->m->cpu[0], hv->ent[hv->vms[vm].vcpu[i]].vmcb, off);
    return n;
}

uint32_t hv_trap_virtual_flags(const hv_t *hv, unsigned vm, unsigned vcpu)
{
    uint32_t vmcb = hv_vcpu_vmcb(hv, vm, vcpu);
    if (!vmcb)
        return 0;
    const hv_vcpu_t *v = &hv->ent[hv->vms[vm].vcpu[vcpu]];
    if (hv_bt_vcpu(hv, v)) /* the state page, read as the VMCB is: without charging */
        return cpu_vmcb_peek(&hv->m->cpu[0], v->bt.state, 0);
    return cpu_vmcb_peek(&hv->m->cpu[0], vmcb, HV_SW_VFLAGS);
}

void hv_trap_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    char name[40], n[32];
    fprintf(out, "    trap-and-emulate: emulated");
    for (unsigned op = 0; op < CPU_OP_COUNT; op++)
        if (emulators[op] && hv_trap_emulated(hv, vm, op))
            fprintf(out, " %s %s", cpu_isa[op].mnemonic,
                    sim_group_digits(hv_trap_emulated(hv, vm, op), n, sizeof n));
    fprintf(out, "; reflected");
    for (uint32_t c = 0; c < CPU_CAUSE_COUNT; c++)
        if (hv_trap_reflected(hv, vm, c))
            fprintf(out, " %s %s", cpu_cause_name(c, name, sizeof name),
                    sim_group_digits(hv_trap_reflected(hv, vm, c), n, sizeof n));
    fprintf(out, " interrupts %s\n",
            sim_group_digits(hv_trap_reflected(hv, vm, CPU_CAUSE_INTERRUPT), n, sizeof n));
}
