/*
 * hv_exit.c - the exit handlers: one short function per exit reason, and the table that
 * dispatches to them.
 *
 * Lecture idea: trap-and-emulate with hardware assist. The guest runs natively until it does
 * something only the hypervisor may decide; the CPU exits, and the handler for that reason
 * emulates what the guest wanted (a device register, the CPU's identity, the timer), fixes
 * what was missing (a page of memory), or hands the event back to the guest (a trap, a bus
 * error). Then the guest is entered again, never knowing it left.
 *
 * Every handler reads what it needs from the VMCB (hv_guest_reg, charged), changes the guest
 * state there, and moves the pc past the instruction when it has emulated it. The costs: the
 * dispatch (hv_dispatch) and each handler's own work (hv_handler) come from the cost table.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

/* What the CPU recorded about an exit (the VMCB's exit information). */
typedef struct {
    unsigned reason;
    uint32_t qual, gva, gpa, insn;
} hv_exit_t;

typedef void (*hv_handler_fn)(hv_t *hv, hv_vcpu_t *v, const hv_exit_t *x);

/* A handler's definition: HV_HANDLER(hv_handle_cpuid) { ... }. It also records the line the
 * handler starts on (hv_handle_cpuid_line), so that a debugger stopped at an exit can say
 * where in this file the handler that runs next is. */
#define HV_HANDLER(fn)                                                                             \
    static const unsigned fn##_line = __LINE__;                                                    \
    static void fn(hv_t *hv, hv_vcpu_t *v, const hv_exit_t *x)

/* ------------------------------------------------------------------------------------------
 * The handlers
 * ------------------------------------------------------------------------------------------ */

/* Lecture: reflecting a trap. The hypervisor asked to see this trap (exception bitmap); it
 * belongs to the guest, so it is injected back and delivered through the guest's tvec. Under
 * trap-and-emulate every trap comes here, and a privileged instruction of the deprivileged
 * guest kernel is emulated (hv_trap.c). */
HV_HANDLER(hv_handle_exception)
{
    if (hv_shadow_vcpu(hv, v) && hv_shadow_handles(hv, v, x->qual, x->gva))
        return;
    if (hv_trap_vcpu(hv, v)) {
        hv_trap_exception(hv, v, x->qual, x->gva);
        return;
    }
    hv_inject(hv, v, x->qual, x->gva);
}

/* Lecture: the host keeps its devices. A physical interrupt arrived while the guest ran: the
 * host takes it (here: acknowledges the line) and the guest goes on. A kick from another pCPU
 * (pause, power-off) arrives the same way; the scheduler then sees why. */
HV_HANDLER(hv_handle_external_interrupt)
{
    cpu_t *cpu = hv->cur;
    for (unsigned line = 1; line < CPU_IRQ_LINES; line++)
        if (x->qual & (1u << line))
            cpu_set_irq(cpu, line, false);
    hv_action(hv, v, SIM_HV_ACK, x->qual, 0);
}

/* Lecture: a halted VCPU must not hold a pCPU. If a virtual interrupt already waits the guest
 * goes on (and takes it); otherwise the VCPU blocks and the pCPU runs someone else. */
HV_HANDLER(hv_handle_halt)
{
    (void)x;
    hv_skip_instruction(hv, v);
    if (!hv_vcpu_interrupt_waiting(hv, v))
        hv_sched_block(hv, (unsigned)(v - hv->ent));
}

/* Lecture: device emulation. The port belongs to one of the VM's virtual devices (or to none:
 * then it reads as all ones, like an empty bus). In type 2 the device model lives in the
 * user-level VMM, so the exit makes the trip there and back. */
HV_HANDLER(hv_handle_io_port)
{
    hv_emulate_port(hv, v, x->qual & CPU_EXITQ_WRITE, CPU_EXITQ_REG(x->qual),
                    (uint16_t)CPU_EXITQ_PORT(x->qual));
    hv_skip_instruction(hv, v);
    hv_batch_exits(hv, v); /* batch_exits = on: the next port accesses too (hv_batch.c) */
}

/* Lecture: virtual time. The timer CSR is emulated: the guest's deadlines are kept in real
 * (host) cycles, so time goes on while the VCPU waits for a pCPU, as on a real machine. */
HV_HANDLER(hv_handle_csr_access)
{
    unsigned reg = CPU_EXITQ_REG(x->qual);
    uint32_t value;
    if (!(x->qual & CPU_EXITQ_WRITE) && hv_emu_vcpu(hv, v) &&
        hv_emu_csr_read(hv, v, CPU_EXITQ_CSR(x->qual), &value)) {
        hv_set_guest_reg(hv, v, reg, value); /* emulation's clock, its own work included */
        hv_skip_instruction(hv, v);
        return;
    }
    if (CPU_EXITQ_CSR(x->qual) == CPU_CSR_PTROOT && hv_shadow_vcpu(hv, v)) {
        if (x->qual & CPU_EXITQ_WRITE) /* shadow paging: the guest's ptroot is virtual */
            hv_shadow_write_ptroot(hv, v, hv_guest_reg(hv, v, reg));
        else
            hv_set_guest_reg(hv, v, reg, v->shadow.guest_ptroot);
        hv_skip_instruction(hv, v);
        return;
    }
    if (CPU_EXITQ_CSR(x->qual) != CPU_CSR_TIMER) {
        hv_inject(hv, v, CPU_CAUSE_ILLEGAL, x->insn); /* no other CSR is asked to exit */
        return;
    }
    if (x->qual & CPU_EXITQ_WRITE)
        hv_vtimer_write(hv, v, hv_guest_reg(hv, v, reg));
    else
        hv_set_guest_reg(hv, v, reg, hv_vtimer_read(hv, v));
    hv_skip_instruction(hv, v);
}

/* Lecture: the virtual CPU describes itself. Leaf 1 says "a hypervisor is present" (bit 31),
 * which is how a paravirtual guest (the rtos) learns it may use hypercalls. */
HV_HANDLER(hv_handle_cpuid)
{
    uint32_t leaf = x->qual, value = 0;
    if (leaf == 0)
        value = CPU_CPUID_VENDOR;
    else if (leaf == 1) /* bit 30: the card is paravirtual (hv_pvnet.c); 29: hv_entropy.c */
        value = CPU_CPUID_FEAT_HYPERVISOR | (hv->vms[v->vm].nic_pv ? HV_CPUID_FEAT_PVNET : 0) |
                (hv->vms[v->vm].dev.entropy.on ? HV_CPUID_FEAT_ENTROPY : 0);
    else if (leaf == 2 || leaf == 3) /* 3: what an assigned device's DMA addresses mean */
        value = leaf == 2 ? hv->vms[v->vm].nvcpus : hv_passthrough_dma_base(hv, (unsigned)v->vm);
    hv_action(hv, v, SIM_HV_CPUID, leaf, value); /* what the virtual CPU says of itself */
    hv_set_guest_reg(hv, v, CPU_INSN_RD(x->insn), value);
    hv_skip_instruction(hv, v);
}

/* The mode the guest believes it runs in: a deprivileged kernel's virtual mode, else the mode
 * the hardware saved in the VMCB. */
static cpu_mode_t guest_mode(hv_t *hv, const hv_vcpu_t *v)
{
    if (hv_trap_vcpu(hv, v))
        return hv_trap_guest_mode(hv, v);
    uint32_t flags = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    return (cpu_mode_t)((flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
}

/* Lecture: paravirtualization. A guest that knows it is virtual calls the hypervisor
 * directly (docs/guests.md: r1 = call, r2.. = arguments, the answer in r1). Only its kernel
 * may: a call from its user mode is refused (-2), as KVM refuses a vmcall from CPL 3, or any
 * user program could write on the console behind its kernel's back. */
HV_HANDLER(hv_handle_hypercall)
{
    enum {
        HC_CONSOLE_WRITE = 1,
        HC_MARK = 2,
        HC_MARK_RING = 3,
        HC_UNKNOWN = -1,
        HC_NOT_KERNEL = -2
    };
    int32_t answer = HC_UNKNOWN;
    uint32_t call = 0; /* the call's number once the memory calls' test has read it */
    hv->vms[v->vm].stats.hypercalls++;
    if (guest_mode(hv, v) == CPU_MODE_U) {
        answer = HC_NOT_KERNEL;
    } else if (hv_guest_reg(hv, v, 1) == HC_CONSOLE_WRITE) {
        hv_t2_enter_vmm(hv, v, x->reason);
        answer = hv_dev_console_write(hv, (unsigned)v->vm, hv_guest_reg(hv, v, 2),
                                      hv_guest_reg(hv, v, 3));
        hv_t2_leave_vmm(hv, v, x->reason);
    } else if (hv_guest_reg(hv, v, 1) == HC_MARK) {
        answer = hv_mark_hypercall(hv, v, hv_guest_reg(hv, v, 2), hv_guest_reg(hv, v, 3));
    } else if (hv_guest_reg(hv, v, 1) == HC_MARK_RING) {
        answer = hv_mark_ring_register(hv, v, hv_guest_reg(hv, v, 2), hv_guest_reg(hv, v, 3));
    } else if (hv_guest_reg(hv, v, 1) == HV_HC_PVNET_SETUP) {
        answer = hv_pvnet_setup(hv, (unsigned)v->vm, hv_guest_reg(hv, v, 2));
    } else if (hv_guest_reg(hv, v, 1) == HV_HC_PVNET_NOTIFY) {
        hv_t2_enter_vmm(hv, v, x->reason); /* type 2: the VMM's switch moves the frames */
        answer = hv_pvnet_notify(hv, v);
        hv_t2_leave_vmm(hv, v, x->reason);
    } else if (hv_guest_reg(hv, v, 1) >= HV_HC_BALLOON_TARGET &&
               (call = hv_guest_reg(hv, v, 1)) <= HV_HC_BALLOON_TAKE) {
        answer = hv_balloon_hypercall(hv, v, hv_guest_reg(hv, v, 1), hv_guest_reg(hv, v, 2),
                                      hv_guest_reg(hv, v, 3));
    } else if (call == HV_HC_SWAP_AREA) { /* the number as read just above: no read more */
        answer = hv_gswap_area(hv, (unsigned)v->vm);
    }
    hv_set_guest_reg(hv, v, 1, (uint32_t)answer);
    hv_skip_instruction(hv, v);
}

/* MMIO: the guest's load or store to a virtual device's window, decoded and emulated. Only
 * whole words reach device registers; anything else is a bus error, as on bare hardware. The
 * caller moves the pc past the instruction when this returns true. */
bool hv_emulate_mmio(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t gpa, unsigned reason)
{
    /* LAB 4 BEGIN: decode the load or store, emulate the device register it reaches */
    cpu_insn_t insn = {0};
    bool decoded = cpu_decode(word, &insn);
    bool load = decoded && insn.op == CPU_OP_LD, store = decoded && insn.op == CPU_OP_ST;
    uint32_t value = store ? hv_guest_reg(hv, v, insn.rd) : 0;
    if ((!load && !store) || (gpa & 3))
        return false;
    hv_t2_enter_vmm(hv, v, reason);
    bool ok = hv_dev_mmio(hv, (unsigned)v->vm, gpa, store, &value);
    hv_t2_leave_vmm(hv, v, reason);
    if (!ok)
        return false;
    if (load)
        hv_set_guest_reg(hv, v, insn.rd, value);
    return true;
    /* LAB 4 STUB: (void)word, (void)gpa, (void)reason; */
    /* LAB 4 STUB: return hv_lab_missing(hv, v, 4, "hv_emulate_mmio"); */
    /* LAB 4 END */
}

/* Lecture: memory virtualization (an EPT violation). Inside the VM's memory, the page has
 * simply not been given yet: back it with a zeroed host frame and let the instruction run
 * again. Outside it, the address is a virtual device's register (emulated) or nothing at all:
 * then the guest gets what bare hardware would give it. */
HV_HANDLER(hv_handle_nested_fault)
{
    if (hv->cfg.sharing && ((x->qual >> 2) & 3) == MMU_STORE &&
        hv_share_break(hv, (unsigned)v->vm, x->gpa))
        return; /* a store to a shared page: copy-on-write (hv_share.c) */
    /* LAB 4 BEGIN: back the page, or emulate MMIO, or give the guest what bare hardware would */
    static const uint32_t page_fault[MMU_ACCESS_KINDS] = {
        CPU_CAUSE_FETCH_PAGE_FAULT, CPU_CAUSE_LOAD_PAGE_FAULT, CPU_CAUSE_STORE_PAGE_FAULT};
    unsigned access = x->qual & 3, for_level = (x->qual >> 8) & 0xff;
    uint32_t hpa;
    if (hv_gpa_to_hpa(hv, (unsigned)v->vm, x->gpa, true, &hpa))
        return; /* mapped now: the instruction runs again */
    if (for_level != MMU_FOR_DATA)
        hv_inject(hv, v, page_fault[access], x->gva); /* a guest page table outside its RAM */
    else if (access != MMU_FETCH && hv_emulate_mmio(hv, v, x->insn, x->gpa, x->reason))
        hv_skip_instruction(hv, v);
    else
        hv_inject(hv, v, CPU_CAUSE_BUS_ERROR, x->gva);
    /* LAB 4 STUB: (void)x; */
    /* LAB 4 STUB: hv_lab_missing(hv, v, 4, "hv_handle_nested_fault"); */
    /* LAB 4 END */
}

/* Lecture: the hypervisor's scheduler takes the pCPU back when the slice is over; whether
 * another VCPU runs now is the scheduler's decision (hv_sched_keep), not the handler's. */
HV_HANDLER(hv_handle_preempt)
{
    (void)hv;
    (void)v;
    (void)x;
}

/* Lecture: shadow paging keeps in step with the guest's TLB invalidations: what the guest
 * drops from its TLB, the hypervisor drops from its shadow tables. */
HV_HANDLER(hv_handle_tlb_invalidate)
{
    if (x->qual & CPU_EXITQ_TLBFLUSH)
        hv_shadow_tlbflush(hv, v);
    else
        hv_shadow_tlbinv(hv, v, x->gva);
    hv_skip_instruction(hv, v);
}

/* Not an exit the guest causes: the hypervisor built a VMCB the CPU refused. Stop the VM. */
HV_HANDLER(hv_handle_entry_failed)
{
    char msg[200], why[300];
    cpu_entry_check_message(x->qual, x->gva, msg, sizeof msg);
    snprintf(why, sizeof why, "VM entry failed: %s (field: %s)", msg,
             cpu_entry_check_field(x->qual));
    hv_vm_crash(hv, (unsigned)v->vm, why);
}

/* ------------------------------------------------------------------------------------------
 * The exit-reason table: X(reason, handler, what it does)
 * ------------------------------------------------------------------------------------------ */
#define HV_EXIT_HANDLERS(X)                                                                        \
    X(EXCEPTION, hv_handle_exception,                                                              \
      "give the trap back to the guest's handler (shadow: fill a hidden fault; trap: emulate)")    \
    X(EXTERNAL_INTERRUPT, hv_handle_external_interrupt,                                            \
      "the host takes its device's interrupt (or a kick); the guest goes on")                      \
    X(HALT, hv_handle_halt, "the VCPU waits for a virtual interrupt; the pCPU runs someone else")  \
    X(IO_PORT, hv_handle_io_port, "emulate the virtual device behind the port")                    \
    X(CSR_ACCESS, hv_handle_csr_access, "emulate the timer CSR in virtual (wall-clock) time")      \
    X(CPUID, hv_handle_cpuid, "describe the virtual CPU, with the 'hypervisor present' bit")       \
    X(HYPERCALL, hv_handle_hypercall,                                                              \
      "serve a paravirtual guest's call (console, mark, mark ring)")                               \
    X(NESTED_FAULT, hv_handle_nested_fault,                                                        \
      "back the page with a host frame, emulate MMIO, or give the guest a bus error")              \
    X(PREEMPT, hv_handle_preempt, "the time slice is over: the scheduler decides who runs")        \
    X(ENTRY_FAILED, hv_handle_entry_failed, "the hypervisor built a bad VMCB: stop the VM")        \
    X(TLB_INVALIDATE, hv_handle_tlb_invalidate,                                                    \
      "shadow paging: drop the page (tlbinv) or empty the address space (tlbflush) from the "      \
      "shadow")

static const struct {
    hv_handler_fn fn;
    const char *name, *doc;
    unsigned line;
} handlers[CPU_EXIT_COUNT] = {
#define HV_X_HANDLER(reason, fn, doc) [CPU_EXIT_##reason] = {fn, #fn, doc, fn##_line},
    HV_EXIT_HANDLERS(HV_X_HANDLER)
#undef HV_X_HANDLER
};

const char *hv_exit_handler_name(unsigned reason)
{
    return reason < CPU_EXIT_COUNT ? handlers[reason].name : "?";
}

const char *hv_exit_handler_doc(unsigned reason)
{
    return reason < CPU_EXIT_COUNT ? handlers[reason].doc : "?";
}

const char *hv_exit_handler_file(void)
{
    return __FILE__;
}

unsigned hv_exit_handler_line(unsigned reason)
{
    return reason < CPU_EXIT_COUNT ? handlers[reason].line : 0;
}

int hv_exit_handler_by_name(const char *name)
{
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
        if (handlers[r].name && strcmp(handlers[r].name, name) == 0)
            return (int)r;
    return -1;
}

/* What the exit was. After a trap into binary translation's co-resident monitor these are
 * the words of the monitor's own trap frame (hv_mem); after a VM exit, VMCB fields (VMREAD). */
static hv_exit_t read_exit(hv_t *hv, const hv_vcpu_t *v, bool monitor)
{
    static const uint32_t field[5] = {CPU_VMCB_EXIT_REASON, CPU_VMCB_EXIT_QUAL, CPU_VMCB_EXIT_GVA,
                                      CPU_VMCB_EXIT_GPA, CPU_VMCB_EXIT_INSN};
    uint32_t w[5];
    for (unsigned i = 0; i < 5; i++)
        w[i] = monitor ? hv_read32(hv, v->vmcb + field[i]) : hv_guest_word(hv, v, field[i]);
    return (hv_exit_t){.reason = w[0], .qual = w[1], .gva = w[2], .gpa = w[3], .insn = w[4]};
}

void hv_handle_exit(hv_t *hv, cpu_t *cpu, unsigned ent)
{
    hv_vcpu_t *v = &hv->ent[ent];
    hv_ledger_reset(hv, cpu); /* from here on, the charges are the hypervisor's sub-steps */
    if (hv_emu_vcpu(hv, v))
        hv_emu_charge(hv, v); /* the interpreter's work since the last exit */
    hv_mark_ring_read(hv, v, cpu); /* the guest's marks since it entered: the recorder's */
    /* A trap into the co-resident monitor (cpu = bt, the control MONITOR) is no VM exit: the
     * monitor, entered through its own trap vector (the hardware's word says which), charges
     * its own entry (hv_bt_exit), not the exit path's dispatch. */
    bool monitor = hv_bt_vcpu(hv, v) && cpu_vmcb_peek(cpu, v->vmcb, CPU_VMCB_MONITOR_RESUME) == 1;
    if (!monitor)
        hv_charge(hv, SIM_COST_hv_dispatch);
    hv_exit_t x = read_exit(hv, v, monitor);
    if (x.reason >= CPU_EXIT_COUNT) {
        hv_vm_crash(hv, (unsigned)v->vm, "the CPU reported an unknown exit reason");
        return;
    }
    if (!monitor) {
        hv_charge(hv, SIM_COST_hv_handler);
        /* The guest pc goes with the event for the debugger: peeked, not a charged read. */
        hv_action(hv, v, SIM_HV_HANDLER, x.reason,
                  cpu_vmcb_peek(cpu, v->vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC));
    }
    if (!hv_bt_vcpu(hv, v) || !hv_bt_exit(hv, v, x.reason, x.qual)) /* else: a bt callout */
        handlers[x.reason].fn(hv, v, &x);
    if (hv->test_hook)
        hv->test_hook(hv, v->vm, hv->test_hook_ctx);
#ifdef HV_CHECK_ALWAYS
    /* The sanitizer build: isolation is checked after every exit a handler served, so a
     * handler that breaks it stops the run at once, with the sentence and the exit. */
    char why[240];
    if (hv_check_invariants(hv, why, sizeof why))
        sim_panic(__FILE__, __LINE__, "isolation broken after a %s exit of VM %d: %s",
                  cpu_exit_reason_name(x.reason), v->vm, why);
#endif
}

hv_bt_entry_t hv_exit_monitor_kind(const hv_t *hv, const sim_event_t *ev)
{
    if (!(ev->flags & SIM_EVF_MONITOR) || ev->b != CPU_CAUSE_BREAKPOINT || ev->vm < 0 ||
        ev->vcpu < 0)
        return HV_BT_ENTRY_TRAP;
    return hv_bt_entry_kind(hv, (unsigned)ev->vm, (unsigned)ev->vcpu, ev->pc - 4);
}

const char *hv_monitor_entry_name(const hv_t *hv, const sim_event_t *ev)
{
    if (!(ev->flags & SIM_EVF_MONITOR))
        return NULL;
    switch (hv_exit_monitor_kind(hv, ev)) {
    case HV_BT_ENTRY_CALL: return "call";
    case HV_BT_ENTRY_ADAPTED: return "adapted store";
    default: return "trap";
    }
}

void hv_describe_exit(const hv_t *hv, const sim_event_t *ev, char *buf, size_t len)
{
    hv_describe_exit_as(hv, ev, hv_exit_monitor_kind(hv, ev), buf, len);
}

void hv_describe_exit_as(const hv_t *hv, const sim_event_t *ev, hv_bt_entry_t kind, char *buf,
                         size_t len)
{
    const char *vm = ev->vm >= 0 && ev->vm < HV_MAX_VMS && hv->vms[ev->vm].used
                         ? hv->vms[ev->vm].name
                         : "a VM";
    if (ev->flags & SIM_EVF_MONITOR) { /* binary translation's monitor: no world switch */
        if (kind == HV_BT_ENTRY_ADAPTED) {
            snprintf(buf, len,
                     "an adapted store of %s (vcpu%d), not a VM exit or a trap: its in-TC "
                     "sequence stores to a page table and updates the shadows",
                     vm, ev->vcpu);
            return;
        }
        bool call = kind == HV_BT_ENTRY_CALL;
        snprintf(buf, len,
                 "%s into %s's co-resident monitor (vcpu%d), not a VM exit: %s in the guest's "
                 "own address space",
                 call ? "a call" : "a trap", vm, ev->vcpu,
                 call ? "its translated code calls out to the monitor"
                      : "the guest's trap is handled by the monitor");
        return;
    }
    snprintf(buf, len, "VM exit %s in %s (vcpu%d), because %s", cpu_exit_reason_name(ev->a), vm,
             ev->vcpu, cpu_exit_reason_why(ev->a));
}
