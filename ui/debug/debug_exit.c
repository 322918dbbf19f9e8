/*
 * debug_exit.c - the VM exit, step by step: what a stop at an exit shows (the exiting VCPU's
 * registers as its VMCB holds them, not a ring -1 CPU with no registers), what the exit was
 * (handler, source line, decoded qualification, the bit that caused it), breakpoints on
 * handlers and hypervisor actions, and `finish` from an exit to the VM entry. The sentence
 * of each event is debug_sentence.c's.
 *
 * The hypervisor is C code that runs between two instruction boundaries, so it cannot stop in
 * the middle. Its handling of an exit is a sequence of action events (hv_action, each with the
 * cycles it charged); the first `step event` from an exit stop runs the handler up to the VM
 * entry, and that and the next ones report the actions one by one (the queue of debug.c),
 * ending with the entry. The machine is then past the handler, so as each action happens the
 * debugger keeps what a stop there would show (dbg_exit_capture: the VCPU's state in its VMCB
 * at that moment), and a sub-step's stop shows that, not the machine's state now
 * (docs/debugger.md, "Stepping through a VM exit"). Memory likewise: while the rest of the
 * handling runs, the old bytes of every RAM write are kept (the undo journal), and a read at
 * a sub-step undoes the writes made after its action.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

static hv_t *hv_of(const ui_dbg_t *d)
{
    return hv_of_machine(d->m);
}

/* ------------------------------------------------------------------------------------------
 * The exit a pCPU is handling (or handled last)
 * ------------------------------------------------------------------------------------------ */
/* "a call into the co-resident monitor" for hv_monitor_entry_name's "call"; NULL for NULL. */
static const char *monitor_phrase(const char *kind)
{
    if (!kind)
        return NULL;
    if (strcmp(kind, "call") == 0)
        return "a call into the co-resident monitor";
    if (strcmp(kind, "adapted store") == 0)
        return "an adapted store's sequence in the co-resident monitor";
    return "a trap into the co-resident monitor";
}

const char *dbg_monitor_entry(const ui_dbg_t *d, unsigned cpu)
{
    return cpu < d->m->ncpus && d->has_exit[cpu] ? monitor_phrase(d->last_monitor[cpu]) : NULL;
}

/* "hcall 1 (console write), in r1": the call, read from the VMCB while the handler has not
 * run (it then holds the answer). */
static void hypercall_text(const ui_dbg_t *d, ui_dbg_exit_t *x)
{
    static const char *const calls[] = {[1] = "console write",
                                        [2] = "mark",
                                        [3] = "mark ring",
                                        [4] = "balloon target",
                                        [5] = "balloon give",
                                        [6] = "balloon take",
                                        [16] = "paravirtual NIC set-up",
                                        [17] = "paravirtual NIC notify"};
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
        dbg_lines_text(q, a, sizeof a);
        snprintf(x->qual, sizeof x->qual, "physical %s pending", a);
        break;
    case CPU_EXIT_IO_PORT:
        dbg_port_text(d, x->vm, CPU_EXITQ_PORT(q), a, sizeof a);
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
            dbg_mmio_text(d, x->vm, x->gpa & ~3u, a, sizeof a);
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
        d->last_monitor[ev->cpu] = hv_of(d) ? hv_monitor_entry_name(hv_of(d), ev) : NULL;
    }
    if (ev->kind != SIM_EV_VMEXIT && ev->kind != SIM_EV_VMENTRY)
        return;
    /* The VCPU's virtual flags are the hypervisor's now, not later: kept for the sentence. */
    cpu_mode_t real = (cpu_mode_t)(ev->kind == SIM_EV_VMEXIT ? ev->from_mode : ev->mode);
    size_t i = d->nguest_mode++ % (sizeof d->guest_mode / sizeof d->guest_mode[0]);
    d->guest_mode[i].cycle = ev->cycle;
    d->guest_mode[i].cpu = ev->cpu;
    d->guest_mode[i].kind = ev->kind;
    d->guest_mode[i].mode = (uint8_t)dbg_virtual_mode(d, ev->vm, ev->vcpu, real);
}

/* "K (virtual; the CPU runs it in U)", or just "U" when the two are the same. */
static const char *mode_pair(cpu_mode_t virt, cpu_mode_t real, char *buf, size_t len)
{
    if (virt == real)
        snprintf(buf, len, "%s", cpu_mode_name(real));
    else
        snprintf(buf, len, "%s (virtual; the CPU runs it in %s)", cpu_mode_name(virt),
                 cpu_mode_name(real));
    return buf;
}

const char *dbg_guest_mode_text(const ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    cpu_mode_t real = (cpu_mode_t)(ev->kind == SIM_EV_VMEXIT ? ev->from_mode : ev->mode);
    cpu_mode_t virt = real;
    for (size_t i = 0; i < sizeof d->guest_mode / sizeof d->guest_mode[0]; i++)
        if (i < d->nguest_mode && d->guest_mode[i].cycle == ev->cycle &&
            d->guest_mode[i].cpu == ev->cpu && d->guest_mode[i].kind == ev->kind)
            virt = (cpu_mode_t)d->guest_mode[i].mode;
    return mode_pair(virt, real, buf, len);
}

/* Why a trap into the co-resident monitor happened: a control of its own, not the bitmap. */
#define MONITOR_WHY                                                                                \
    "the control 'co-resident monitor' makes it a call or trap into binary translation's "         \
    "monitor, in the guest's own address space: no world switch"

const char *ui_dbg_vmcb_exit_why(const ui_dbg_t *dbg, int vm, int vcpu, uint32_t reason)
{
    hv_t *hv = hv_of(dbg);
    uint32_t vmcb = hv && vm >= 0 && vcpu >= 0 ? hv_vcpu_vmcb(hv, (unsigned)vm, (unsigned)vcpu) : 0;
    /* The hardware's rule (cpu_vm.c): with the control MONITOR every trap goes to the monitor. */
    bool monitor = vmcb && reason == CPU_EXIT_EXCEPTION &&
                   (cpu_vmcb_peek(&dbg->m->cpu[0], vmcb, CPU_VMCB_CONTROLS) & CPU_VMCTL_MONITOR);
    return monitor ? MONITOR_WHY : cpu_exit_reason_why(reason);
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
    out->pc = dbg_exit_guest_pc(dbg, ev);
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
    out->monitor = (ev->flags & SIM_EVF_MONITOR) != 0;
    out->monitor_entry = out->monitor ? dbg_monitor_entry(dbg, cpu) : NULL;
    if (out->monitor) {
        const char *kind = dbg->has_exit[cpu] ? dbg->last_monitor[cpu] : NULL;
        bool call = kind && strcmp(kind, "call") == 0;
        snprintf(out->because, sizeof out->because, "%s", MONITOR_WHY);
        out->doc = call ? "run the guest instruction the callout stands for, on the virtual CPU"
                        : "handle the trap as trap-and-emulate does, in the guest's own world";
        if (call) /* the `brk` is the translation's marker, not a breakpoint of the guest's */
            snprintf(out->qual, sizeof out->qual,
                     "a callout: the translation's `brk` marks a "
                     "guest instruction the monitor runs for it");
    }
    if (out->insn) {
        unsigned t = ev->vm >= 0 && ev->vm < UI_DBG_MAX_VMS ? (unsigned)ev->vm + 1 : 0;
        cpu_disasm(out->insn, out->pc, dbg->tab[t], dbg->tab_n[t], out->insn_text,
                   sizeof out->insn_text);
    } else if (dbg_space_vm(dbg) == ev->vm && out->reason != CPU_EXIT_PREEMPT &&
               out->reason != CPU_EXIT_EXTERNAL_INTERRUPT &&
               out->reason != CPU_EXIT_ENTRY_FAILED) { /* a trap's: in its memory (the others
                                                         come between instructions) */
        out->pc = dbg_trap_insn_pc(ev, out->pc);
        ui_dbg_disasm(dbg, UI_DBG_SPACE_GVA, out->pc, out->insn_text, sizeof out->insn_text);
    }
    dbg_code_where(dbg, ev, out->pc, out->where, sizeof out->where);
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

/* The view's real mode from its flags, and the one its VCPU believes (trap-and-emulate and
 * binary translation run the guest kernel in U while it believes it is in K). */
static void set_modes(const ui_dbg_t *dbg, ui_dbg_view_t *out)
{
    out->real_mode = (cpu_mode_t)((out->s.flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
    out->mode = dbg_virtual_mode(dbg, out->vm, out->vcpu, out->real_mode);
}

const char *ui_dbg_view_mode(const ui_dbg_view_t *view, char *buf, size_t len)
{
    return mode_pair(view->mode, view->real_mode, buf, len);
}

/* The exiting VCPU v's state as its VMCB holds it now (at an exit, or during the handling). */
static void guest_view(ui_dbg_t *dbg, const cpu_t *cpu, const hv_vcpu_t *v, ui_dbg_view_t *out)
{
    out->kind = UI_DBG_VIEW_GUEST;
    out->vm = v->vm;
    out->vcpu = v->index;
    saved_state(cpu, v->vmcb, &out->s);
    set_modes(dbg, out);
    const sim_event_t *x = &dbg->last_exit[cpu->s.id];
    bool its_exit = dbg->has_exit[cpu->s.id] && x->vm == v->vm && x->vcpu == v->index;
    out->exit_pc = its_exit ? x->pc : out->s.pc; /* the instruction handled, as the pc moves */
    snprintf(out->label, sizeof out->label, "%s vcpu%d, saved in its VMCB",
             dbg_vm_name(dbg, out->vm), out->vcpu);
}

bool ui_dbg_monitor_insn(ui_dbg_t *dbg, const ui_dbg_view_t *view, uint32_t *guest_pc)
{
    hv_t *hv = hv_of(dbg);
    if (!hv || view->kind != UI_DBG_VIEW_GUEST || view->cpu >= dbg->m->ncpus ||
        !dbg->has_exit[view->cpu])
        return false;
    const sim_event_t *x = &dbg->last_exit[view->cpu];
    bool monitor = x->a == CPU_EXIT_EXCEPTION && x->vm == view->vm && x->vcpu == view->vcpu &&
                   x->vm >= 0 && x->vm < HV_MAX_VMS && hv->vms[x->vm].cpu == HV_CPU_BT;
    if (!monitor || view->s.pc != x->pc)
        return false; /* not the monitor's, or it has moved the pc already */
    return hv_bt_guest_pc(hv, (unsigned)x->vm, (unsigned)x->vcpu, dbg_trap_insn_pc(x, x->pc),
                          guest_pc);
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
    out->mode = out->real_mode = cpu_mode(cpu);
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
        set_modes(dbg, out);
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

bool dbg_pcpu_idle(const ui_dbg_t *d, unsigned cpu)
{
    const hv_t *hv = hv_of(d);
    return hv && cpu < d->m->ncpus && hv->pcpu[cpu].idle && hv->pcpu[cpu].current < 0 &&
           !hv->pcpu[cpu].exit_pending;
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
    out->mem_seq = d->seq;
    if (ev->kind == SIM_EV_VMENTRY) {
        ui_dbg_view(d, ev->cpu, out); /* the guest as loaded, before it runs */
        out->mem_seq = d->seq;
        return true;
    }
    if (ev->kind != SIM_EV_HV && (!p->in_handler || hv->cur != cpu))
        return false; /* not the hypervisor's work on this pCPU: the live state is the truth */
    if (cpu_in_guest(cpu)) { /* an action from a device's event while the guest runs */
        ui_dbg_view(d, ev->cpu, out);
        out->substep = true;
        out->mem_seq = d->seq;
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
    out->mem_seq = d->seq;
    return true;
}

uint32_t dbg_trap_insn_pc(const sim_event_t *ev, uint32_t pc)
{
    bool trap =
        ev->kind == SIM_EV_TRAP || (ev->kind == SIM_EV_VMEXIT && ev->a == CPU_EXIT_EXCEPTION);
    uint32_t cause = ev->kind == SIM_EV_TRAP ? ev->a : ev->b;
    return trap && (cause == CPU_CAUSE_SYSCALL || cause == CPU_CAUSE_BREAKPOINT) ? pc - 4 : pc;
}

const char *ui_dbg_insn_verb(const sim_event_t *ev)
{
    bool trap =
        ev->kind == SIM_EV_TRAP || (ev->kind == SIM_EV_VMEXIT && ev->a == CPU_EXIT_EXCEPTION);
    uint32_t cause = ev->kind == SIM_EV_TRAP ? ev->a : ev->b;
    return trap && cause == CPU_CAUSE_FETCH_PAGE_FAULT ? "faulted fetching" : "ran";
}

uint32_t dbg_exit_guest_pc(const ui_dbg_t *d, const sim_event_t *ev)
{
    hv_t *hv = hv_of(d);
    uint32_t vmcb = hv && ev->vm >= 0 && ev->vcpu >= 0
                        ? hv_vcpu_vmcb(hv, (unsigned)ev->vm, (unsigned)ev->vcpu)
                        : 0;
    if (ev->kind != SIM_EV_VMEXIT || ev->a != CPU_EXIT_ENTRY_FAILED || !vmcb)
        return ev->pc;
    return cpu_vmcb_peek(&d->m->cpu[0], vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
}

/* ------------------------------------------------------------------------------------------
 * Memory as of a sub-step
 * ------------------------------------------------------------------------------------------ */
void dbg_undo_reset(ui_dbg_t *d)
{
    d->seq = 0;
    d->nundo = d->undo_used = 0;
    d->undo_lost = false;
}

void dbg_undo_note(ui_dbg_t *d, const sim_mem_access_t *acc)
{
    if (!acc->write || !d->running || !d->pending || acc->hpa >= d->m->ram_size ||
        acc->len > d->m->ram_size - acc->hpa)
        return; /* a read, or before the stop: nothing a sub-step must undo */
    if (d->nundo == sizeof d->undo / sizeof d->undo[0] ||
        acc->len > sizeof d->undo_bytes - d->undo_used) {
        d->undo_lost = true;
        return;
    }
    d->undo[d->nundo].hpa = acc->hpa;
    d->undo[d->nundo].len = acc->len;
    d->undo[d->nundo].seq = d->seq;
    d->undo[d->nundo].at = (uint32_t)d->undo_used;
    memcpy(d->undo_bytes + d->undo_used, d->m->ram + acc->hpa, acc->len); /* not yet written */
    d->undo_used += acc->len;
    d->nundo++;
}

/* A write whose seq is the shown sub-step's or later came after its action: undone, the
 * newest first, so the oldest old byte is what is left. */
uint8_t dbg_ram_byte(const ui_dbg_t *d, uint32_t hpa)
{
    uint8_t b = d->m->ram[hpa];
    if (!d->has_sub_view || d->undo_lost)
        return b;
    for (size_t i = d->nundo; i-- > 0 && d->undo[i].seq >= d->sub_view.mem_seq;)
        if (hpa - d->undo[i].hpa < d->undo[i].len)
            b = d->undo_bytes[d->undo[i].at + (hpa - d->undo[i].hpa)];
    return b;
}

const char *ui_dbg_memory_note(const ui_dbg_t *dbg)
{
    if (!dbg->has_sub_view || !dbg->undo_lost)
        return NULL;
    return "(memory is shown as after the whole handling: the hypervisor wrote more than the "
           "debugger keeps to show it as of this sub-step)";
}

bool dbg_exit_leaves_idle(const ui_dbg_t *d, const sim_event_t *ev)
{
    return ev->kind == SIM_EV_HV && ev->a == SIM_HV_IDLE && ev->cpu == d->pending_cpu;
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

bool ui_dbg_insn_vm(ui_dbg_t *dbg, int vm, uint32_t addr, cpu_insn_t *insn)
{
    uint8_t b[4];
    int rc;
    if (addr & 3)
        return false;
    if (vm < 0 || !hv_of(dbg)) {
        rc = ui_dbg_read(dbg, ui_dbg_default_space(dbg), addr, b, 4);
    } else {
        int saved = dbg->focus_vm; /* as ui_dbg_disasm_vm: the VM's own addresses */
        dbg->focus_vm = vm;
        rc = ui_dbg_read(dbg, UI_DBG_SPACE_GVA, addr, b, 4);
        dbg->focus_vm = saved;
    }
    uint32_t word =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return rc == 0 && cpu_decode(word, insn);
}

/* Walking back from pc, the listing stops above the first word that is not an instruction:
 * a hole in the translation, the zeros below a kernel's first instruction, a data word. A
 * word of data that happens to decode is still shown: the listing cannot know it is data. */
uint32_t ui_dbg_listing_start(ui_dbg_t *dbg, int vm, uint32_t pc, unsigned before)
{
    cpu_insn_t insn;
    uint32_t start = pc;
    for (unsigned i = 0; i < before && start >= 4; i++) {
        if (!ui_dbg_insn_vm(dbg, vm, start - 4, &insn))
            break;
        start -= 4;
    }
    return start;
}

bool ui_dbg_guest_insn(ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len)
{
    char insn[96], at[96];
    uint32_t pc = dbg_trap_insn_pc(ev, ev->pc);
    bool ok;
    if (ev->vm >= 0 && hv_of(dbg)) { /* the guest's code, through the guest's translation */
        ok = ui_dbg_disasm_vm(dbg, ev->vm, pc, insn, sizeof insn);
        dbg_guest_where(dbg, ev->vm, pc, at, sizeof at);
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
            bool monitor = stop->ev.flags & SIM_EVF_MONITOR; /* binary translation */
            stop->kind = UI_DBG_STOP_FINISH;
            snprintf(stop->text, sizeof stop->text,
                     monitor ? "The co-resident monitor returned: %s goes on at %s, after %u more "
                               "monitor action%s on pCPU%u, %s cycles since it was entered."
                             : "The hypervisor finished handling the exit: VM entry into %s at %s, "
                               "after %u more hypervisor action%s on pCPU%u, %s cycles since the "
                               "exit began.",
                     dbg_who(dbg, &stop->ev, w, sizeof w),
                     dbg_guest_where(dbg, stop->ev.vm, stop->ev.pc, at, sizeof at), actions,
                     actions == 1 ? "" : "s", cpu,
                     sim_group_digits(stop->ev.cycle - start, num, sizeof num));
            dbg->last = *stop;
            return 0;
        }
    }
    return 0;
}
