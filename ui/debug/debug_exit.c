/*
 * debug_exit.c - the VM exit, step by step: what a stop at an exit shows (the exiting VCPU's
 * registers as its VMCB holds them, not a ring -1 CPU with no registers), what the exit was
 * (handler, source line, decoded qualification, the bit that caused it), the sentence of
 * every event (guest and hypervisor alike), breakpoints on handlers and hypervisor actions,
 * and `finish` from an exit to the VM entry.
 *
 * The hypervisor is C code that runs between two instruction boundaries, so it cannot stop in
 * the middle. Its handling of an exit is a sequence of action events (hv_action, each with the
 * cycles it charged); the first `step event` from an exit stop runs the handler up to the VM
 * entry, and that and the next ones report the actions one by one (the queue of debug.c),
 * ending with the entry. The machine is then past the handler, so as each action happens the
 * debugger keeps what a stop there would show (dbg_exit_capture: the VCPU's state in its VMCB
 * at that moment), and a sub-step's stop shows that, not the machine's state now
 * (docs/debugger.md, "Stepping through a VM exit").
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

static hv_t *hv_of(const ui_dbg_t *d)
{
    return hv_of_machine(d->m);
}


/* "sched+0x1c" in the VM's symbols (or "0x00401a2c" when none is near). */
static const char *guest_where(const ui_dbg_t *d, int vm, uint32_t addr, char *buf, size_t len)
{
    char sym[64];
    ui_dbg_symbolize_vm(d, vm, addr, sym, sizeof sym);
    if (sym[0])
        snprintf(buf, len, "0x%08x%s", addr, sym);
    else
        snprintf(buf, len, "0x%08x", addr);
    return buf;
}

/* "tinyos vcpu0", or "tinyos" when the event names no VCPU. */
static const char *who(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    if (ev->vm < 0)
        snprintf(buf, len, "the host");
    else if (ev->vcpu >= 0)
        snprintf(buf, len, "%s vcpu%d", dbg_vm_name(d, ev->vm), ev->vcpu);
    else
        snprintf(buf, len, "%s", dbg_vm_name(d, ev->vm));
    return buf;
}

/* " (460 cycles: hv_dispatch 60, hv_handler 40, 5 x hv_mem 2)": what an action charged. */
static void add_charge(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len,
                       size_t *used)
{
    char num[32];
    if (!ev->charged && !ev->cost_n[0])
        return;
    dbg_append(buf, len, used, " (%s cycle%s", sim_group_digits(ev->charged, num, sizeof num),
        ev->charged == 1 ? "" : "s");
    uint64_t explained = 0;
    for (unsigned i = 0; i < 4 && ev->cost_n[i]; i++) {
        uint32_t each = d->m->costs.c[ev->cost[i] < SIM_COST_COUNT ? ev->cost[i] : 0];
        explained += (uint64_t)each * ev->cost_n[i];
        if (ev->cost_n[i] == 1)
            dbg_append(buf, len, used, "%s %s %u", i ? "," : ":", sim_cost_name(ev->cost[i]), each);
        else
            dbg_append(buf, len, used, "%s %u x %s %u", i ? "," : ":", ev->cost_n[i],
                sim_cost_name(ev->cost[i]), each);
    }
    if (explained && explained < ev->charged)
        dbg_append(buf, len, used, ", other %s",
            sim_group_digits(ev->charged - explained, num, sizeof num));
    dbg_append(buf, len, used, ")");
}

/* "port 0x1f0, tinyos's virtual disk, command register". */
static void port_text(const ui_dbg_t *d, int vm, uint32_t port, char *buf, size_t len)
{
    const char *reg, *dev = hv_dev_port_name((uint16_t)port, &reg);
    if (dev)
        snprintf(buf, len, "port 0x%x, %s's %s, %s register", port, dbg_vm_name(d, vm), dev, reg);
    else
        snprintf(buf, len, "port 0x%x, where %s has no device", port, dbg_vm_name(d, vm));
}

/* "MMIO at gpa 0xf0000000, tinyos's virtual console (UART), data register". */
static void mmio_text(const ui_dbg_t *d, int vm, uint32_t gpa, char *buf, size_t len)
{
    const char *reg;
    uint16_t port;
    const char *dev = hv_dev_mmio_name(gpa, &reg, &port);
    if (dev)
        snprintf(buf, len, "MMIO at gpa 0x%08x, %s's %s, %s register", gpa, dbg_vm_name(d, vm), dev,
                 reg);
    else
        snprintf(buf, len, "MMIO at gpa 0x%08x, where %s has no device register", gpa,
                 dbg_vm_name(d, vm));
}

/* The name of a schedulable entity: "rtos vcpu0", "the host process", "nothing". */
static void entity_text(const ui_dbg_t *d, uint32_t ent, char *buf, size_t len)
{
    const hv_t *hv = hv_of(d);
    if (!hv || ent >= HV_MAX_ENTITIES || !hv->ent[ent].used)
        snprintf(buf, len, "nothing");
    else if (hv->ent[ent].host_process)
        snprintf(buf, len, "the host process");
    else
        snprintf(buf, len, "%s vcpu%u", dbg_vm_name(d, hv->ent[ent].vm), hv->ent[ent].index);
}

/* ------------------------------------------------------------------------------------------
 * Sentences of hypervisor actions
 * ------------------------------------------------------------------------------------------ */
static void hv_action_text(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char w[64], a[96], b[96], num[32], cause[48];
    const char *vm = dbg_vm_name(d, ev->vm);
    static const char *const rules[] = {
        [SIM_HV_PICK_PIN] = "it is pinned to this pCPU",
        [SIM_HV_PICK_PASS] = "the lowest stride pass of those ready",
        [SIM_HV_PICK_CAP] = "the lowest stride pass, another VM being held back by its cap"};
    who(d, ev, w, sizeof w);
    switch (ev->a) {
    case SIM_HV_HANDLER:
        snprintf(buf, len, "%s, %s:%u, handles %s's %s exit: %s", hv_exit_handler_name(ev->b),
                 hv_exit_handler_file(), hv_exit_handler_line(ev->b), w,
                 cpu_exit_reason_name(ev->b), hv_exit_handler_doc(ev->b));
        break;
    case SIM_HV_EMULATE:
        if (ev->b & SIM_HV_MMIO) /* the guest used the device's address, not its port */
            mmio_text(d, ev->vm, ev->span, a, sizeof a);
        else
            port_text(d, ev->vm, ev->b & 0xffffu, a, sizeof a);
        if (ev->b & SIM_HV_WRITE)
            snprintf(buf, len, "the hypervisor emulates %s: 0x%08x written", a, ev->pc);
        else if (ev->pc == 0xffffffffu && !hv_dev_port_name((uint16_t)ev->b, &(const char *){0}))
            snprintf(buf, len, "the hypervisor emulates %s: reads as 0xffffffff (an empty bus)", a);
        else
            snprintf(buf, len, "the hypervisor emulates %s: it reads 0x%08x", a, ev->pc);
        break;
    case SIM_HV_SET_REG:
        snprintf(buf, len, "the hypervisor writes r%u = 0x%08x into %s's saved registers (VMCB)",
                 ev->b, ev->pc, w);
        break;
    case SIM_HV_SKIP:
        snprintf(buf, len, "%s's pc moves past the instruction, %s -> %s", w,
                 guest_where(d, ev->vm, ev->b, a, sizeof a),
                 guest_where(d, ev->vm, ev->pc, b, sizeof b));
        break;
    case SIM_HV_INJECT:
        snprintf(buf, len, "the next entry will deliver %s (tval 0x%08x) into %s, through its tvec",
                 cpu_cause_name(ev->b, cause, sizeof cause), ev->pc, w);
        break;
    case SIM_HV_DISK:
        snprintf(buf, len,
                 "%s's virtual disk queued a %s of %u sector%s; irq %u goes to %s in %s cycles, at "
                 "cycle %s",
                 vm, (ev->b >> 16) == SIM_DISK_CMD_WRITE ? "write" : "read", ev->b & 0xffffu,
                 (ev->b & 0xffffu) == 1 ? "" : "s", SIM_DISK_IRQ, vm,
                 sim_group_digits(ev->pc, a, sizeof a),
                 sim_group_digits(ev->cycle + ev->pc, num, sizeof num));
        break;
    case SIM_HV_VTIMER:
        if (ev->b)
            snprintf(buf, len, "%s's virtual timer is set to fire in %s cycles, at cycle %s", w,
                     sim_group_digits(ev->b, a, sizeof a),
                     sim_group_digits(ev->cycle + ev->b, num, sizeof num));
        else
            snprintf(buf, len, "%s's virtual timer is turned off", w);
        break;
    case SIM_HV_CONSOLE:
        snprintf(buf, len, "%s's console hypercall: %u byte%s at gpa 0x%08x go to its console", w,
                 ev->b, ev->b == 1 ? "" : "s", ev->pc);
        break;
    case SIM_HV_ACK:
        snprintf(buf, len,
                 "the host acknowledges physical interrupt lines 0x%x on pCPU%u (%s); %s goes on",
                 ev->b, ev->cpu,
                 ev->b & (1u << HV_KICK_IRQ) ? "a kick from another pCPU" : "its own devices'", w);
        break;
    case SIM_HV_MAP:
        snprintf(buf, len,
                 "first touch: gpa 0x%08x of %s is backed by a zeroed host frame, hpa 0x%08x, in "
                 "its nested tables",
                 ev->b, vm, ev->pc);
        break;
    case SIM_HV_VIRQ:
        snprintf(buf, len, "virtual irq %u (%s) is raised for %s", ev->b,
                 ev->b == CPU_IRQ_TIMER  ? "timer"
                 : ev->b == SIM_DISK_IRQ ? "disk"
                 : ev->b == SIM_UART_IRQ ? "console"
                                         : "device",
                 w);
        break;
    case SIM_HV_SWITCH:
        entity_text(d, ev->b, a, sizeof a);
        snprintf(buf, len, "the scheduler gives pCPU%u to %s (%s%s), because %s", ev->cpu,
                 ev->vm < 0 ? "the host process" : w, strcmp(a, "nothing") ? "after " : "",
                 strcmp(a, "nothing") ? a : "nothing ran there before",
                 ev->pc < sizeof rules / sizeof rules[0] ? rules[ev->pc] : "it was chosen");
        break;
    case SIM_HV_KEEP:
        snprintf(buf, len,
                 "the scheduler keeps %s on pCPU%u for another slice: no one else may run there "
                 "first",
                 w, ev->cpu);
        break;
    case SIM_HV_IDLE:
        snprintf(buf, len, "pCPU%u has nothing to run: it idles until a device event", ev->cpu);
        break;
    case SIM_HV_BLOCK:
        snprintf(buf, len, "%s halted: it waits for a virtual interrupt and gives up pCPU%u", w,
                 ev->cpu);
        break;
    case SIM_HV_WAKE:
        snprintf(buf, len, "%s wakes up: virtual lines 0x%x are raised", w, ev->b);
        break;
    case SIM_HV_TO_VMM:
        snprintf(buf, len,
                 "type 2: the host kernel hands %s's %s exit to the user-level VMM process", w,
                 cpu_exit_reason_name(ev->b));
        break;
    case SIM_HV_FROM_VMM:
        snprintf(buf, len,
                 "type 2: the VMM has handled %s's %s exit and goes back into the host kernel", w,
                 cpu_exit_reason_name(ev->b));
        break;
    case SIM_HV_HOST:
        snprintf(buf, len, "type 2: the host process runs on pCPU%u for %s cycles", ev->cpu,
                 sim_group_digits(ev->b, num, sizeof num));
        break;
    case SIM_HV_PAUSE: snprintf(buf, len, "%s is paused", vm); break;
    case SIM_HV_RESUME: snprintf(buf, len, "%s runs again", vm); break;
    case SIM_HV_VM_OFF: snprintf(buf, len, "%s powered off with exit code %u", vm, ev->b); break;
    case SIM_HV_CRASH: snprintf(buf, len, "the hypervisor stopped %s for good", vm); break;
    case SIM_HV_TRAP_EMULATE: {
        const char *mn = "?";
        for (unsigned op = 0; op < CPU_OP_COUNT; op++)
            if (cpu_isa[op].opcode == ev->b)
                mn = cpu_isa[op].mnemonic;
        snprintf(buf, len,
                 "trap-and-emulate: %s's kernel ran the privileged `%s` in U; the hypervisor "
                 "does it on the virtual CPU",
                 w, mn);
        break;
    }
    case SIM_HV_TRAP_REFLECT:
        snprintf(buf, len,
                 "trap-and-emulate: %s goes to %s's own kernel, reflected through its virtual "
                 "tvec",
                 ev->b & CPU_CAUSE_INTERRUPT ? "an interrupt"
                                             : cpu_cause_name(ev->b, cause, sizeof cause),
                 w);
        break;
    case SIM_HV_SHADOW_FILL:
        snprintf(buf, len,
                 "shadow paging: a hidden page fault at gva 0x%08x of %s; the hypervisor walked "
                 "the guest's tables and filled the shadow entry",
                 ev->b, w);
        break;
    case SIM_HV_SWAP_OUT:
        snprintf(buf, len,
                 "overcommit: a memory limit is reached; the hypervisor writes gpa 0x%08x of %s "
                 "to swap slot %u and makes its nested entry invalid",
                 ev->b, vm, ev->pc);
        break;
    case SIM_HV_SWAP_IN:
        snprintf(buf, len,
                 "overcommit: gpa 0x%08x of %s was swapped out; the hypervisor reads it back from "
                 "swap slot %u into a host frame",
                 ev->b, vm, ev->pc);
        break;
    case SIM_HV_SHARE:
        snprintf(buf, len,
                 "page sharing: gpa 0x%08x of %s has the same bytes as a shared frame; it is "
                 "mapped read-only to hpa 0x%08x and its own frame is freed",
                 ev->b, vm, ev->pc);
        break;
    case SIM_HV_COW:
        snprintf(buf, len,
                 "copy-on-write: %s stored to its shared page gpa 0x%08x; the hypervisor copies "
                 "it to a private frame, hpa 0x%08x, mapped writable",
                 vm, ev->b, ev->pc);
        break;
    case SIM_HV_SHARE_SCAN:
        snprintf(buf, len,
                 "page sharing: the scanner's pass ends; sharing saves %u host frames now", ev->b);
        break;
    case SIM_HV_SHADOW_RECLAIM:
        snprintf(buf, len,
                 "shadow paging: %s reached its budget of shadow tables; its shadow trees are "
                 "emptied (the tables stay its own, to be filled again)",
                 w);
        break;
    case SIM_HV_SHADOW_SYNC:
        if (ev->b == 0xffffffffu)
            snprintf(buf, len, "shadow paging: %s's tlbflush empties its shadow tree", w);
        else
            snprintf(buf, len, "shadow paging: %s's tlbinv drops gva 0x%08x from its shadows", w,
                     ev->b);
        break;
    case SIM_HV_BT_TRANSLATE:
        snprintf(buf, len,
                 "binary translation: the block of %s at %s is translated into the translation "
                 "cache",
                 w, guest_where(d, ev->vm, ev->b, a, sizeof a));
        break;
    case SIM_HV_BT_CALLOUT:
        snprintf(buf, len,
                 "binary translation: %s's translated code calls out to the monitor for the "
                 "instruction at %s",
                 w, guest_where(d, ev->vm, ev->b, a, sizeof a));
        break;
    case SIM_HV_BT_INVALIDATE:
        snprintf(buf, len,
                 "binary translation: %s wrote to gpa page 0x%08x, which holds translated code: "
                 "its translations are dropped",
                 w, ev->b);
        break;
    case SIM_HV_MONITOR_CALL:
        if (ev->b)
            snprintf(buf, len,
                     "binary translation: %s's translated code calls into the co-resident "
                     "monitor for %s (a call, not a VM exit)",
                     w, guest_where(d, ev->vm, ev->b, a, sizeof a));
        else
            snprintf(buf, len,
                     "binary translation: %s's translated code calls into the co-resident "
                     "monitor: an interrupt waits (a call, not a VM exit)",
                     w);
        break;
    case SIM_HV_MONITOR_TRAP:
        snprintf(buf, len,
                 "binary translation: %s's %s at %s traps into the co-resident monitor (a "
                 "trap in the guest's own address space, not a VM exit)",
                 w, cpu_cause_name(ev->b, cause, sizeof cause),
                 guest_where(d, ev->vm, ev->pc, a, sizeof a));
        break;
    case SIM_HV_MARK: ui_dbg_describe_mark(d, ev, buf, len); break;
    default: snprintf(buf, len, "the hypervisor did action %u", ev->a); break;
    }
    size_t used = strlen(buf);
    add_charge(d, ev, buf, len, &used);
}

/* ------------------------------------------------------------------------------------------
 * Sentences of the other events that debug_text.c does not cover
 * ------------------------------------------------------------------------------------------ */
/* "the NIC sent a frame of 60 bytes (transmit descriptor 0)". */
static void dbg_text_nic(const sim_event_t *ev, char *buf, size_t len)
{
    switch (ev->from_mode) {
    case SIM_NIC_EV_SEND:
        snprintf(buf, len, "the NIC started sending a frame of %u bytes (transmit descriptor %u)",
                 ev->b, ev->a);
        break;
    case SIM_NIC_EV_SENT:
        snprintf(buf, len, "the NIC sent a frame of %u bytes (transmit descriptor %u)", ev->b,
                 ev->a);
        break;
    case SIM_NIC_EV_RECEIVE:
        snprintf(buf, len, "the NIC received a frame of %u bytes into receive descriptor %u", ev->b,
                 ev->a);
        break;
    case SIM_NIC_EV_DROP:
        snprintf(buf, len, "the NIC dropped a frame of %u bytes: no receive buffer was free",
                 ev->b);
        break;
    default:
        snprintf(buf, len, "the NIC failed at descriptor %u: %s (%s)", ev->a,
                 sim_nic_error_name(ev->b), sim_nic_error_doc(ev->b));
        break;
    }
}

void dbg_text_other_event(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char w[64], a[96], cause[48];
    who(d, ev, w, sizeof w);
    switch (ev->kind) {
    case SIM_EV_HV: hv_action_text(d, ev, buf, len); break;
    case SIM_EV_VMEXIT: {
        char insn[200]; /* the instruction, read where the guest saw it (the focus is kept) */
        const hv_t *hv = hv_of(d);
        bool monitor = ev->a == CPU_EXIT_EXCEPTION && hv && ev->vm >= 0 && ev->vm < HV_MAX_VMS &&
                       hv->vms[ev->vm].used && hv->vms[ev->vm].cpu == HV_CPU_BT;
        if (monitor) /* binary translation: no world switch (the control MONITOR) */
            snprintf(buf, len,
                     "%s enters its co-resident monitor at %s (%s): a call or trap in its own "
                     "address space, not a VM exit",
                     w, guest_where(d, ev->vm, ev->pc, a, sizeof a),
                     cpu_cause_name(ev->b, cause, sizeof cause));
        else if (ui_dbg_guest_insn((ui_dbg_t *)d, ev, insn, sizeof insn))
            snprintf(buf, len, "exit %s: %s ran %s, because %s", cpu_exit_reason_name(ev->a), w,
                     insn, cpu_exit_reason_why(ev->a));
        else
            snprintf(buf, len, "exit %s: %s leaves %s at %s, because %s",
                     cpu_exit_reason_name(ev->a), w, cpu_mode_name((cpu_mode_t)ev->from_mode),
                     guest_where(d, ev->vm, ev->pc, a, sizeof a), cpu_exit_reason_why(ev->a));
        break;
    }
    case SIM_EV_VMENTRY:
        snprintf(buf, len, "entry: %s resumes in %s at %s", w, cpu_mode_name((cpu_mode_t)ev->mode),
                 guest_where(d, ev->vm, ev->pc, a, sizeof a));
        break;
    case SIM_EV_INJECT:
        snprintf(buf, len, "%s takes the injected %s (tval 0x%08x) at %s", w,
                 cpu_cause_name(ev->a, cause, sizeof cause), ev->b,
                 guest_where(d, ev->vm, ev->pc, a, sizeof a));
        break;
    case SIM_EV_WALK:
        snprintf(buf, len, "cpu%u walked the page tables for 0x%08x: %u memory reference%s",
                 ev->cpu, ev->a, ev->b, ev->b == 1 ? "" : "s");
        break;
    case SIM_EV_TLBFLUSH:
        snprintf(buf, len, "cpu%u flushed TLB entries (%s 0x%x)", ev->cpu, mmu_flush_name(ev->a),
                 ev->b);
        break;
    case SIM_EV_NESTEDFAULT:
        snprintf(buf, len,
                 "cpu%u: the nested tables do not map gpa 0x%08x (for gva 0x%08x) at 0x%08x",
                 ev->cpu, ev->b, ev->a, ev->pc);
        break;
    case SIM_EV_DMAFAULT:
        snprintf(buf, len, "the IOMMU blocked a DMA of device %u to iova 0x%08x", ev->a, ev->b);
        break;
    case SIM_EV_DISK:
        snprintf(buf, len, "the disk %s a command of %u sector%s at sector %u (DMA 0x%08x)",
                 ev->from_mode ? "completed" : "started", ev->pc & 0xffffu,
                 (ev->pc & 0xffffu) == 1 ? "" : "s", ev->a, ev->b);
        break;
    case SIM_EV_NIC: dbg_text_nic(ev, buf, len); break;
    default: sim_event_format(ev, buf, len); break;
    }
}

/* ------------------------------------------------------------------------------------------
 * The exit a pCPU is handling (or handled last)
 * ------------------------------------------------------------------------------------------ */
/* "hcall 1 (console write), in r1": the call, read from the VMCB while the handler has not
 * run (it then holds the answer). */
static void hypercall_text(const ui_dbg_t *d, ui_dbg_exit_t *x)
{
    static const char *const calls[] = {[1] = "console write", [2] = "mark", [3] = "mark ring"};
    hv_t *hv = hv_of(d);
    uint32_t vmcb = hv && x->vm >= 0 ? hv_vcpu_vmcb(hv, (unsigned)x->vm, (unsigned)x->vcpu) : 0;
    if (!x->pending || !vmcb) {
        snprintf(x->qual, sizeof x->qual, "hcall (the call number was in r1)");
        return;
    }
    uint32_t n = cpu_vmcb_peek(&d->m->cpu[0], vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(1));
    snprintf(x->qual, sizeof x->qual, "hcall %u (%s), the call number in r1", n,
             n < sizeof calls / sizeof calls[0] && calls[n] ? calls[n] : "no such call");
}

/* "in from port 0x1f6 (tinyos's virtual disk, error register) into r10". */
static void decode_qual(const ui_dbg_t *d, ui_dbg_exit_t *x)
{
    char a[128], cause[48];
    uint32_t q = x->qual_raw;
    bool write = q & CPU_EXITQ_WRITE;
    switch (x->reason) {
    case CPU_EXIT_EXCEPTION:
        snprintf(x->qual, sizeof x->qual, "trap %s, tval 0x%08x",
                 cpu_cause_name(q, cause, sizeof cause), x->gva);
        snprintf(x->because, sizeof x->because, "bit %u (%s) of the exception bitmap is set",
                 q & 31, cpu_cause_name(q, cause, sizeof cause)); /* its answer, not cause */
        return;
    case CPU_EXIT_EXTERNAL_INTERRUPT:
        snprintf(x->qual, sizeof x->qual, "physical lines 0x%x pending%s", q,
                 q & (1u << HV_KICK_IRQ) ? " (13: a kick from another pCPU)" : "");
        break;
    case CPU_EXIT_IO_PORT:
        port_text(d, x->vm, CPU_EXITQ_PORT(q), a, sizeof a);
        snprintf(x->qual, sizeof x->qual, "%s %s %s (%s)", write ? "out" : "in",
                 write ? "to" : "from", a, "");
        snprintf(x->qual, sizeof x->qual, "%s, %s r%u: %s", write ? "out" : "in",
                 write ? "from" : "into", CPU_EXITQ_REG(q), a);
        break;
    case CPU_EXIT_CSR_ACCESS:
        snprintf(x->qual, sizeof x->qual, "%s of CSR %s (%u), %s r%u", write ? "csrw" : "csrr",
                 cpu_csr_name(CPU_EXITQ_CSR(q)), CPU_EXITQ_CSR(q), write ? "from" : "into",
                 CPU_EXITQ_REG(q));
        break;
    case CPU_EXIT_CPUID: snprintf(x->qual, sizeof x->qual, "leaf %u", q); break;
    case CPU_EXIT_HALT:
        snprintf(x->qual, sizeof x->qual, "halt: the guest waits for an interrupt");
        break;
    case CPU_EXIT_PREEMPT:
        snprintf(x->qual, sizeof x->qual, "the preemption timer ran out: the slice is over");
        break;
    case CPU_EXIT_HYPERCALL: hypercall_text(d, x); break;
    case CPU_EXIT_NESTED_FAULT: {
        static const char *const kinds[] = {"a fetch", "a load", "a store", "?"};
        unsigned for_level = (q >> 8) & 0xff;
        char target[48];
        if (for_level == MMU_FOR_DATA)
            snprintf(target, sizeof target, "the data");
        else
            snprintf(target, sizeof target, "the guest's level-%u table", for_level);
        snprintf(x->qual, sizeof x->qual,
                 "%s of gva 0x%08x -> gpa 0x%08x (%s): %s at nested level %u", kinds[q & 3], x->gva,
                 x->gpa, target, mmu_outcome_name((q >> 4) & 0xf), (q >> 16) & 0xff);
        const char *reg;
        uint16_t port;
        if (for_level == MMU_FOR_DATA && hv_dev_mmio_name(x->gpa, &reg, &port)) {
            size_t used = strlen(x->qual);
            mmio_text(d, x->vm, x->gpa & ~3u, a, sizeof a);
            dbg_append(x->qual, sizeof x->qual, &used, "; %s", a);
        }
        break;
    }
    case CPU_EXIT_TLB_INVALIDATE:
        if (q & CPU_EXITQ_TLBFLUSH)
            snprintf(x->qual, sizeof x->qual, "tlbflush (the whole address space)");
        else
            snprintf(x->qual, sizeof x->qual, "tlbinv of gva 0x%08x", x->gva);
        break;
    case CPU_EXIT_ENTRY_FAILED: cpu_entry_check_message(q, x->gva, x->qual, sizeof x->qual); break;
    default: snprintf(x->qual, sizeof x->qual, "qualification 0x%08x", q); break;
    }
    snprintf(x->because, sizeof x->because, "%s", cpu_exit_reason_why(x->reason));
}

void dbg_exit_note_event(ui_dbg_t *d, const sim_event_t *ev)
{
    if (ev->kind == SIM_EV_VMEXIT && ev->cpu < SIM_MAX_CPUS) {
        d->last_exit[ev->cpu] = *ev;
        d->has_exit[ev->cpu] = true;
    }
}

int ui_dbg_exit_info(ui_dbg_t *dbg, unsigned cpu, ui_dbg_exit_t *out)
{
    hv_t *hv = hv_of(dbg);
    memset(out, 0, sizeof *out);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There are no VM exits.");
    if (cpu >= dbg->m->ncpus)
        return dbg_fail(dbg, "There is no cpu%u.", cpu);
    if (!dbg->has_exit[cpu])
        return dbg_fail(dbg, "No exit yet on pCPU%u (since the debugger attached).", cpu);
    const sim_event_t *ev = &dbg->last_exit[cpu];
    const cpu_t *c = &dbg->m->cpu[cpu];
    out->cycle = ev->cycle;
    out->pending = hv->pcpu[cpu].exit_pending && hv->pcpu[cpu].current >= 0 &&
                   hv->ent[hv->pcpu[cpu].current].vm == ev->vm;
    out->handling = !out->pending && dbg->has_sub_view && dbg->sub_view.cpu == cpu &&
                    dbg->have_last && dbg->last.has_event && dbg->last.ev.kind == SIM_EV_HV &&
                    dbg->last.ev.cycle >= ev->cycle;
    out->vm = ev->vm;
    out->vcpu = ev->vcpu;
    out->reason = ev->a < CPU_EXIT_COUNT ? ev->a : CPU_EXIT_ENTRY_FAILED;
    out->qual_raw = ev->b;
    out->pc = ev->pc;
    uint32_t vmcb = hv_vcpu_vmcb(hv, (unsigned)ev->vm, (unsigned)ev->vcpu);
    /* gva, gpa and the instruction are in the VMCB, as long as no later exit replaced them */
    if (vmcb && cpu_vmcb_peek(c, vmcb, CPU_VMCB_EXIT_REASON) == ev->a &&
        cpu_vmcb_peek(c, vmcb, CPU_VMCB_EXIT_QUAL) == ev->b) {
        out->gva = cpu_vmcb_peek(c, vmcb, CPU_VMCB_EXIT_GVA);
        out->gpa = cpu_vmcb_peek(c, vmcb, CPU_VMCB_EXIT_GPA);
        out->insn = cpu_vmcb_peek(c, vmcb, CPU_VMCB_EXIT_INSN);
    }
    out->handler = hv_exit_handler_name(out->reason);
    out->file = hv_exit_handler_file();
    out->line = hv_exit_handler_line(out->reason);
    out->doc = hv_exit_handler_doc(out->reason);
    out->reason_name = cpu_exit_reason_name(out->reason);
    decode_qual(dbg, out);
    /* Binary translation: the guest's traps enter its co-resident monitor (the control
     * MONITOR), a call or trap in its own address space, not a world switch. */
    out->monitor = out->reason == CPU_EXIT_EXCEPTION && ev->vm >= 0 && ev->vm < HV_MAX_VMS &&
                   hv->vms[ev->vm].used && hv->vms[ev->vm].cpu == HV_CPU_BT;
    if (out->monitor) {
        snprintf(out->because, sizeof out->because,
                 "the control 'co-resident monitor' makes it a call or trap into binary "
                 "translation's monitor, in the guest's own address space: no world switch");
        out->doc = "run the callout it stands for, or handle the trap as trap-and-emulate does";
    }
    if (out->insn) {
        unsigned t = ev->vm >= 0 && ev->vm < UI_DBG_MAX_VMS ? (unsigned)ev->vm + 1 : 0;
        cpu_disasm(out->insn, out->pc, dbg->tab[t], dbg->tab_n[t], out->insn_text,
                   sizeof out->insn_text);
    } else if (dbg_space_vm(dbg) == ev->vm && out->reason != CPU_EXIT_PREEMPT &&
               out->reason != CPU_EXIT_EXTERNAL_INTERRUPT) { /* a trap's: in its memory (these
                                                               two come between instructions) */
        if (out->reason == CPU_EXIT_EXCEPTION &&
            (out->qual_raw == CPU_CAUSE_SYSCALL || out->qual_raw == CPU_CAUSE_BREAKPOINT))
            out->pc -= 4; /* these trap after their instruction: pc is the next one */
        ui_dbg_disasm(dbg, UI_DBG_SPACE_GVA, out->pc, out->insn_text, sizeof out->insn_text);
    }
    guest_where(dbg, ev->vm, out->pc, out->where, sizeof out->where);
    uint32_t gpc;
    if (hv_bt_guest_pc(hv, (unsigned)ev->vm, (unsigned)ev->vcpu, out->pc, &gpc)) {
        char from[96];
        size_t n = strlen(out->where);
        snprintf(out->where + n, sizeof out->where - n, " (translated from %s)",
                 guest_where(dbg, ev->vm, gpc, from, sizeof from));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * What the focus shows: a live CPU, the exiting VCPU's saved state, or nothing
 * ------------------------------------------------------------------------------------------ */
/* The guest state the VMCB at vmcb holds (registers, pc, flags, CSRs) over cpu's own. */
static void saved_state(const cpu_t *cpu, uint32_t vmcb, cpu_state_t *s)
{
    *s = cpu->s;
    for (unsigned r = 0; r < CPU_NREGS; r++)
        s->r[r] = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(r));
    s->pc = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
    s->flags = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    for (unsigned n = CPU_CSR_TVEC; n <= CPU_CSR_IM; n++)
        s->csr[n] = cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_GUEST + CPU_VMCB_CSR(n));
}

static void no_vcpu_view(ui_dbg_t *dbg, unsigned cpu, const hv_vcpu_t *v, bool idle,
                         ui_dbg_view_t *out);

/* The exiting VCPU v's state as its VMCB holds it now (at an exit, or during the handling). */
static void guest_view(ui_dbg_t *dbg, const cpu_t *cpu, const hv_vcpu_t *v, ui_dbg_view_t *out)
{
    out->kind = UI_DBG_VIEW_GUEST;
    out->vm = v->vm;
    out->vcpu = v->index;
    saved_state(cpu, v->vmcb, &out->s);
    const sim_event_t *x = &dbg->last_exit[cpu->s.id];
    bool its_exit = dbg->has_exit[cpu->s.id] && x->vm == v->vm && x->vcpu == v->index;
    out->exit_pc = its_exit ? x->pc : out->s.pc; /* the instruction handled, as the pc moves */
    snprintf(out->label, sizeof out->label, "%s vcpu%d, saved in its VMCB",
             dbg_vm_name(dbg, out->vm), out->vcpu);
}

void ui_dbg_view(ui_dbg_t *dbg, unsigned cpu_id, ui_dbg_view_t *out)
{
    hv_t *hv = hv_of(dbg);
    const cpu_t *cpu = &dbg->m->cpu[cpu_id < dbg->m->ncpus ? cpu_id : 0];
    if (dbg->has_sub_view && dbg->sub_view.cpu == cpu->s.id) {
        *out = dbg->sub_view; /* a sub-step of an exit: the state as of that action */
        return;
    }
    memset(out, 0, sizeof *out);
    out->cpu = cpu->s.id;
    out->vm = out->vcpu = -1;
    out->s = cpu->s;
    out->kind = UI_DBG_VIEW_CPU;
    snprintf(out->label, sizeof out->label, "cpu%u", cpu->s.id);
    if (!hv)
        return;
    const hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    const hv_vcpu_t *v = p->current >= 0 ? &hv->ent[p->current] : NULL;
    if (v && !v->host_process) {
        out->vm = v->vm;
        out->vcpu = v->index;
    }
    if (cpu_in_guest(cpu)) {
        snprintf(out->label, sizeof out->label, "%s vcpu%d on pCPU%u", dbg_vm_name(dbg, out->vm),
                 out->vcpu, cpu->s.id);
        return;
    }
    if (p->exit_pending && v && !v->host_process) {
        guest_view(dbg, cpu, v, out);
        return;
    }
    no_vcpu_view(dbg, cpu->s.id, v, p->idle, out);
}

/* pCPU cpu in ring -1 with no exit in progress (v loaded, or none; idle or not): no registers,
 * a sentence. */
static void no_vcpu_view(ui_dbg_t *dbg, unsigned cpu, const hv_vcpu_t *v, bool idle,
                         ui_dbg_view_t *out)
{
    out->kind = UI_DBG_VIEW_NONE;
    snprintf(out->label, sizeof out->label, "pCPU%u in ring -1", cpu);
    char what[96];
    if (v && v->host_process)
        snprintf(what, sizeof what, "the type-2 host process is loaded");
    else if (v)
        snprintf(what, sizeof what, "%s vcpu%d is loaded and about to be entered",
                 dbg_vm_name(dbg, out->vm), out->vcpu);
    else if (idle)
        snprintf(what, sizeof what, "it is idle: nothing may run on it now");
    else
        snprintf(what, sizeof what, "the scheduler has not given it a VCPU yet");
    snprintf(out->why, sizeof out->why,
             "pCPU%u is in ring -1 (the hypervisor) with no exit in progress: %s. It has no "
             "guest registers to show.",
             cpu, what);
}

/* The entity a switch action gives the pCPU to (the host process when it names no VM). */
static const hv_vcpu_t *chosen(const hv_t *hv, const sim_event_t *ev)
{
    for (unsigned e = 0; e < HV_MAX_ENTITIES; e++) {
        const hv_vcpu_t *v = &hv->ent[e];
        if (v->used && (ev->vm < 0 ? v->host_process
                                   : !v->host_process && v->vm == ev->vm && v->index == ev->vcpu))
            return v;
    }
    return NULL;
}

bool dbg_exit_capture(ui_dbg_t *d, const sim_event_t *ev, ui_dbg_view_t *out)
{
    hv_t *hv = hv_of(d);
    if (!hv || ev->cpu >= d->m->ncpus)
        return false;
    const cpu_t *cpu = &d->m->cpu[ev->cpu];
    const hv_pcpu_t *p = &hv->pcpu[ev->cpu];
    if (ev->kind == SIM_EV_VMENTRY) {
        ui_dbg_view(d, ev->cpu, out); /* the guest as loaded, before it runs */
        return true;
    }
    if (ev->kind != SIM_EV_HV && (!p->in_handler || hv->cur != cpu))
        return false; /* not the hypervisor's work on this pCPU: the live state is the truth */
    if (cpu_in_guest(cpu)) { /* an action from a device's event while the guest runs */
        ui_dbg_view(d, ev->cpu, out);
        out->substep = true;
        return true;
    }
    const hv_vcpu_t *v = p->current >= 0 ? &hv->ent[p->current] : NULL;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWITCH) { /* chosen, to be entered next */
        ui_dbg_view(d, ev->cpu, out);
        out->vm = ev->vm;
        out->vcpu = ev->vcpu;
        no_vcpu_view(d, ev->cpu, chosen(hv, ev), false, out);
    } else if (v && !v->host_process) {
        memset(out, 0, sizeof *out);
        out->cpu = ev->cpu;
        guest_view(d, cpu, v, out);
    } else { /* ring -1 with no VCPU (idle from this action on): the sentence that says so */
        ui_dbg_view(d, ev->cpu, out);
        no_vcpu_view(d, ev->cpu, v, p->idle || (ev->kind == SIM_EV_HV && ev->a == SIM_HV_IDLE),
                     out);
    }
    out->substep = true;
    return true;
}

void dbg_exit_show_substep(ui_dbg_t *d, unsigned cpu, bool has, const ui_dbg_view_t *view,
                           const cpu_state_t *before)
{
    d->has_sub_view = has;
    if (!has)
        return;
    d->sub_view = *view;
    d->sub_view.cpu = cpu;
    d->sub_view.substep = true;
    d->sub_prev = *before;
}

const cpu_t *ui_dbg_shown_cpu(ui_dbg_t *dbg, unsigned cpu)
{
    static cpu_t view; /* large (the MMU's TLB): kept off the stack */
    ui_dbg_view_t v;
    cpu = cpu < dbg->m->ncpus ? cpu : 0;
    ui_dbg_view(dbg, cpu, &v);
    if (v.kind == UI_DBG_VIEW_NONE || (v.kind == UI_DBG_VIEW_CPU && !v.substep))
        return &dbg->m->cpu[cpu];
    view = dbg->m->cpu[cpu];
    view.s = v.s;
    return &view;
}

const char *dbg_no_registers(ui_dbg_t *d, const cpu_t *cpu)
{
    static ui_dbg_view_t v; /* the sentence outlives the call */
    for (unsigned i = 0; i < d->m->ncpus; i++)
        if (cpu == &d->m->cpu[i]) { /* not a view's copy (the exiting VCPU's registers) */
            ui_dbg_view(d, i, &v);
            return v.kind == UI_DBG_VIEW_NONE ? v.why : NULL;
        }
    return NULL;
}

const cpu_t *dbg_eval_cpu(ui_dbg_t *d)
{
    return ui_dbg_shown_cpu(d, d->focus);
}

bool ui_dbg_disasm_vm(ui_dbg_t *dbg, int vm, uint32_t addr, char *buf, size_t len)
{
    if (vm < 0 || !hv_of(dbg))
        return ui_dbg_disasm(dbg, ui_dbg_default_space(dbg), addr, buf, len);
    int saved = dbg->focus_vm; /* the VM's addresses, whatever the focus is */
    dbg->focus_vm = vm;
    bool ok = ui_dbg_disasm(dbg, UI_DBG_SPACE_GVA, addr, buf, len);
    dbg->focus_vm = saved;
    return ok;
}

bool ui_dbg_guest_insn(ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len)
{
    char insn[96], at[96];
    uint32_t pc = ev->pc;
    bool after =
        (ev->kind == SIM_EV_TRAP || (ev->kind == SIM_EV_VMEXIT && ev->a == CPU_EXIT_EXCEPTION)) &&
        ((ev->kind == SIM_EV_TRAP ? ev->a : ev->b) == CPU_CAUSE_SYSCALL ||
         (ev->kind == SIM_EV_TRAP ? ev->a : ev->b) == CPU_CAUSE_BREAKPOINT);
    if (after)
        pc -= 4; /* these trap after their instruction */
    bool ok;
    if (ev->vm >= 0 && hv_of(dbg)) { /* the guest's code, through the guest's translation */
        ok = ui_dbg_disasm_vm(dbg, ev->vm, pc, insn, sizeof insn);
        guest_where(dbg, ev->vm, pc, at, sizeof at);
    } else {
        ok = ui_dbg_disasm(dbg, ui_dbg_default_space(dbg), pc, insn, sizeof insn);
        char sym[64];
        snprintf(at, sizeof at, "0x%08x%s", pc, ui_dbg_symbolize(dbg, pc, sym, sizeof sym));
    }
    if (ok)
        snprintf(buf, len, "`%s` at %s", insn, at);
    return ok;
}

/* ------------------------------------------------------------------------------------------
 * Breakpoints on the hypervisor's work
 * ------------------------------------------------------------------------------------------ */
static int add_hv_bp(ui_dbg_t *d, ui_dbg_bp_kind_t kind, uint32_t what, int vm)
{
    if (vm != UI_DBG_ANY_VM && dbg_check_vm(d, vm) != 0)
        return -1;
    ui_dbg_bp_t *bp = dbg_add_bp(d, kind);
    if (!bp)
        return -1;
    bp->cause = what;
    bp->vm = vm;
    return bp->id;
}

int ui_dbg_break_handler(ui_dbg_t *dbg, const char *name, int vm)
{
    if (!hv_of(dbg))
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There are no exit handlers to break in.");
    int reason = hv_exit_handler_by_name(name);
    if (reason < 0)
        return dbg_fail(dbg,
                        "There is no exit handler called \"%s\" (hv_handle_io_port, "
                        "hv_handle_nested_fault, ...: Tab completes them).",
                        name);
    return add_hv_bp(dbg, UI_DBG_BP_HANDLER, (uint32_t)reason, vm);
}

int ui_dbg_break_hv(ui_dbg_t *dbg, const char *action, int vm)
{
    if (!hv_of(dbg))
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There is no hypervisor to break in.");
    int a = sim_hv_action_by_name(action);
    if (a < 0)
        return dbg_fail(dbg,
                        "There is no hypervisor action called \"%s\" (map, emulate, virq, "
                        "switch, shadow-fill, bt-translate, ...: Tab completes them).",
                        action);
    return add_hv_bp(dbg, UI_DBG_BP_HV, (uint32_t)a, vm);
}

const char *ui_dbg_handler_list(size_t i)
{
    return i < CPU_EXIT_COUNT ? hv_exit_handler_name((unsigned)i) : NULL;
}

const char *ui_dbg_hv_action_list(size_t i)
{
    return i < SIM_HV_ACTION_COUNT ? sim_hv_action_name((unsigned)i) : NULL;
}

bool dbg_hv_bp_matches(const ui_dbg_bp_t *bp, const sim_event_t *ev)
{
    if (bp->vm != UI_DBG_ANY_VM && bp->vm != ev->vm)
        return false;
    if (bp->kind == UI_DBG_BP_HANDLER)
        return ev->kind == SIM_EV_VMEXIT && ev->a == bp->cause;
    return bp->kind == UI_DBG_BP_HV && ev->kind == SIM_EV_HV && ev->a == bp->cause;
}

void dbg_describe_hv_bp(const ui_dbg_t *d, const ui_dbg_bp_t *bp, char *buf, size_t len)
{
    const char *vm = bp->vm == UI_DBG_ANY_VM ? "any VM" : dbg_vm_name(d, bp->vm);
    if (bp->kind == UI_DBG_BP_HANDLER)
        snprintf(buf, len, "handler %s (%s:%u) in %s", hv_exit_handler_name(bp->cause),
                 hv_exit_handler_file(), hv_exit_handler_line(bp->cause), vm);
    else
        snprintf(buf, len, "hypervisor action %s in %s", sim_hv_action_name(bp->cause), vm);
}

/* ------------------------------------------------------------------------------------------
 * Sub-steps and finish
 * ------------------------------------------------------------------------------------------ */
bool dbg_in_exit(const ui_dbg_t *d)
{
    hv_t *hv = hv_of(d);
    if (!hv)
        return false;
    if (hv->pcpu[d->focus].exit_pending)
        return true;
    const sim_event_t *ev = &d->last.ev;
    return d->nqueue > d->qhead && d->have_last && d->last.has_event &&
           (ev->kind == SIM_EV_HV || ev->kind == SIM_EV_VMEXIT);
}

bool dbg_text_substep(ui_dbg_t *d, ui_dbg_stop_t *st)
{
    const sim_event_t *ev = &st->ev;
    char body[sizeof st->text - 8];
    if (ev->kind == SIM_EV_VMEXIT) {
        d->exit_vm = ev->vm;
        d->exit_vcpu = ev->vcpu;
    }
    if (ev->kind != SIM_EV_HV && ev->kind != SIM_EV_VMENTRY)
        return false;
    dbg_text_other_event(d, ev, body, sizeof body);
    snprintf(st->text, sizeof st->text, "%s%s.", ev->kind == SIM_EV_HV ? "hv: " : "", body);
    return true;
}

/* The pCPU that took the exit of VM vm's VCPU vcpu last, and when; false when none did. */
static bool exit_cpu(const ui_dbg_t *d, int vm, int vcpu, unsigned *cpu, uint64_t *cycle)
{
    for (unsigned c = 0; c < d->m->ncpus; c++)
        if (d->has_exit[c] && d->last_exit[c].vm == vm && d->last_exit[c].vcpu == vcpu) {
            *cpu = c;
            *cycle = d->last_exit[c].cycle;
            return true;
        }
    return false;
}

/* Ends at the next VM entry on the pCPU that took the exit: the exiting VCPU's, or (after a
 * halt or the end of a slice) the one the scheduler chose instead. */
int ui_dbg_finish_exit(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    if (!dbg_in_exit(dbg))
        return dbg_fail(dbg, "Not at a VM exit: `finish` from an exit stop runs to the VM entry.");
    unsigned actions = 0, cpu;
    uint64_t start;
    int vm = dbg->exit_vm, vcpu = dbg->exit_vcpu; /* the last exit a stop showed */
    const sim_event_t *last = &dbg->last.ev;
    if (dbg->have_last && dbg->last.has_event && last->kind == SIM_EV_HV && last->vcpu >= 0)
        vm = last->vm, vcpu = last->vcpu; /* a hypervisor action's breakpoint */
    if (!exit_cpu(dbg, vm, vcpu, &cpu, &start))
        return dbg_fail(dbg, "Which VCPU's exit? Stop at an exit first (break exit, step exit).");
    for (unsigned i = 0; i < 4096; i++) {
        if (ui_dbg_step_event(dbg, stop) != 0)
            return -1;
        if (stop->kind != UI_DBG_STOP_EVENT)
            return 0; /* a breakpoint, or the machine stopped: that says why */
        if (stop->ev.kind == SIM_EV_HV && stop->ev.cpu == cpu)
            actions++;
        if (stop->ev.kind == SIM_EV_VMENTRY && stop->ev.cpu == cpu) {
            char w[64], at[96], num[32];
            stop->kind = UI_DBG_STOP_FINISH;
            snprintf(stop->text, sizeof stop->text,
                     "The hypervisor finished handling the exit: VM entry into %s at %s, after %u "
                     "more hypervisor action%s on pCPU%u, %s cycles since the exit began.",
                     who(dbg, &stop->ev, w, sizeof w),
                     guest_where(dbg, stop->ev.vm, stop->ev.pc, at, sizeof at), actions,
                     actions == 1 ? "" : "s", cpu,
                     sim_group_digits(stop->ev.cycle - start, num, sizeof num));
            dbg->last = *stop;
            return 0;
        }
    }
    return 0;
}
