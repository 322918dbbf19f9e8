/*
 * cpu_vm.c - the ring -1 extension: VM entry, VM exit, and what guest mode changes in the CPU.
 *
 * This is the hardware half of hardware-assisted virtualization (Intel VT-x, AMD-V): the CPU
 * itself switches between a hypervisor and a guest, using a control block in memory (the
 * VMCB, laid out in cpu.h and docs/isa.md). VM entry checks the block, saves the host state
 * into it and loads the guest's; VM exit does the reverse and records why. Which guest actions
 * exit is decided here and in the interpreter from the VMCB's controls, never by the
 * hypervisor: the hypervisor only sees the exits it asked for.
 *
 * The VMCB is read and written through physical memory, word by word, and each word costs
 * vmcb_word on top of the fixed vm_entry / vm_exit costs (docs/cycle-model.md).
 */
#include <string.h>
#include <strings.h>

#include "cpu_internal.h"
#include "../sim/sim.h"

/* ------------------------------------------------------------------------------------------
 * Names and sentences, from the tables in cpu.h
 * ------------------------------------------------------------------------------------------ */
static const struct {
    const char *name, *why;
} exit_reasons[CPU_EXIT_COUNT] = {
#define CPU_X_EXITROW(name, code, why) [code] = {#name, why},
    CPU_EXIT_REASONS(CPU_X_EXITROW)
#undef CPU_X_EXITROW
};

static const struct {
    const char *name, *field, *msg;
} entry_checks[CPU_ENTRY_CHECK_COUNT] = {
#define CPU_X_ENTRYROW(name, field, msg) {#name, field, msg},
    CPU_ENTRY_CHECKS(CPU_X_ENTRYROW)
#undef CPU_X_ENTRYROW
};

const char *cpu_exit_reason_name(unsigned reason)
{
    return reason < CPU_EXIT_COUNT ? exit_reasons[reason].name : "?";
}

const char *cpu_exit_reason_why(unsigned reason)
{
    return reason < CPU_EXIT_COUNT ? exit_reasons[reason].why : "the exit reason is unknown";
}

int cpu_exit_reason_by_name(const char *name)
{
    for (int i = 0; i < CPU_EXIT_COUNT; i++)
        if (strcasecmp(exit_reasons[i].name, name) == 0)
            return i;
    return -1;
}

const char *cpu_vm_control_name(uint32_t bit)
{
    switch (bit) {
#define CPU_X_CTLNAME(name, b, str, doc)                                                           \
    case b: return str;
        CPU_VM_CONTROLS(CPU_X_CTLNAME)
#undef CPU_X_CTLNAME
    default: return NULL;
    }
}

const char *cpu_entry_check_name(unsigned check)
{
    return check < CPU_ENTRY_CHECK_COUNT ? entry_checks[check].name : "?";
}

const char *cpu_entry_check_field(unsigned check)
{
    return check < CPU_ENTRY_CHECK_COUNT ? entry_checks[check].field : "?";
}

void cpu_entry_check_message(unsigned check, uint32_t value, char *buf, size_t len)
{
    if (check >= CPU_ENTRY_CHECK_COUNT) {
        snprintf(buf, len, "unknown entry check %u", check);
        return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(buf, len, entry_checks[check].msg, value);
#pragma GCC diagnostic pop
}

void cpu_vm_entry_error(const cpu_t *cpu, char *buf, size_t len)
{
    char msg[200];
    const cpu_vm_state_t *v = &cpu->s.vm;
    cpu_entry_check_message(v->exit_qual, v->exit_gva, msg, sizeof msg);
    snprintf(buf, len, "VM entry failed: %s (field: %s)", msg, cpu_entry_check_field(v->exit_qual));
}

/* ------------------------------------------------------------------------------------------
 * The VMCB in memory. Entry checked that the whole page is RAM, so these cannot go outside.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    cpu_t *cpu;
    uint8_t *base; /* the VMCB's first byte in RAM */
    uint32_t words; /* words moved, charged vmcb_word each */
    const char *what; /* what moves them, for a debugger watching memory */
    uint64_t start; /* the CPU's cycle when the entry or exit began (the event's span) */
    bool wrote;     /* a word was written: told to the machine once (report_written) */
    bool watched;   /* a debugger watches memory (m->mem_watch): each word is told to it */
} vmcb_io_t;

/* The VMCB at `base` (NULL: not known yet), moved by `what` from the CPU's cycle now. */
static vmcb_io_t vmcb_io(cpu_t *cpu, uint8_t *base, const char *what)
{
    return (vmcb_io_t){.cpu = cpu,
                       .base = base,
                       .what = what,
                       .start = cpu->s.cycles,
                       .watched = cpu->mach->mem_watch != NULL};
}

/* Tells a debugger watching memory (m->mem_watch) about a VMCB word the hardware moves; a
 * write before it is made. */
__attribute__((noinline)) static void vmcb_watched(vmcb_io_t *io, uint32_t off,
                                                  const uint8_t *data)
{
    sim_machine_t *m = io->cpu->mach;
    sim_mem_access_t acc = {.by = SIM_BY_HW,
                            .write = data != NULL,
                            .cpu = (int8_t)io->cpu->s.id,
                            .vm = -1,
                            .what = io->what,
                            .hpa = (uint32_t)(io->base - m->ram) + off,
                            .len = 4,
                            .data = data};
    m->mem_watch(&acc, m->mem_watch_ctx);
}

static inline uint32_t vmcb_rd(vmcb_io_t *io, uint32_t off)
{
    const uint8_t *p = io->base + off;
    io->words++;
    if (__builtin_expect(io->watched, 0))
        vmcb_watched(io, off, NULL);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void vmcb_wr(vmcb_io_t *io, uint32_t off, uint32_t v)
{
    uint8_t *p = io->base + off;
    io->words++;
    if (__builtin_expect(io->watched, 0)) {
        uint8_t bytes[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
        vmcb_watched(io, off, bytes);
    }
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    io->wrote = true;
}

/* Tells the machine the VMCB's page changed (sim_ram_written: blocks decoded from it go),
 * once for all the words an entry or exit wrote: nothing runs between them. */
static void report_written(vmcb_io_t *io)
{
    if (!io->wrote)
        return;
    sim_machine_t *m = io->cpu->mach;
    sim_ram_written(m, (uint32_t)(io->base - m->ram), CPU_VMCB_SIZE);
    io->wrote = false;
}

static bool page_of_ram(const sim_machine_t *m, uint32_t addr)
{
    return (addr & (CPU_VMCB_SIZE - 1)) == 0 && addr < m->ram_size &&
           m->ram_size - addr >= CPU_VMCB_SIZE;
}

uint32_t cpu_vmcb_peek(const cpu_t *cpu, uint32_t vmcb, uint32_t offset)
{
    const sim_machine_t *m = cpu->mach;
    uint32_t a = vmcb + offset;
    if (a < vmcb || a > m->ram_size - 4 || m->ram_size < 4)
        return 0;
    const uint8_t *p = m->ram + a;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The end of a run of VMCB words: charges them and reports what was written. */
static void charge_words(vmcb_io_t *io)
{
    io->cpu->s.cycles += (uint64_t)io->words * io->cpu->mach->costs.c[SIM_COST_vmcb_word];
    io->words = 0;
    report_written(io);
}

static void emit_flagged(cpu_t *cpu, unsigned kind, uint64_t cycle, cpu_mode_t mode,
                         cpu_mode_t from, uint32_t pc, uint32_t a, uint32_t b, uint64_t span,
                         uint8_t flags)
{
    sim_event_t ev = {
        .cycle = cycle,
        .kind = (uint8_t)kind,
        .cpu = cpu->s.id,
        .mode = (uint8_t)mode,
        .from_mode = (uint8_t)from,
        .vm = cpu->s.vm.vm_label,
        .vcpu = cpu->s.vm.vcpu,
        .pc = pc,
        .a = a,
        .b = b,
        .span = (uint32_t)span,
        .flags = flags,
    };
    sim_emit(cpu->mach, &ev);
}

static void emit_span(cpu_t *cpu, unsigned kind, uint64_t cycle, cpu_mode_t mode, cpu_mode_t from,
                      uint32_t pc, uint32_t a, uint32_t b, uint64_t span)
{
    emit_flagged(cpu, kind, cycle, mode, from, pc, a, b, span, 0);
}

static void emit(cpu_t *cpu, unsigned kind, uint64_t cycle, cpu_mode_t mode, cpu_mode_t from,
                 uint32_t pc, uint32_t a, uint32_t b)
{
    emit_span(cpu, kind, cycle, mode, from, pc, a, b, 0);
}

/* ------------------------------------------------------------------------------------------
 * State areas: the same layout for the guest (0x100) and the host (0x200)
 * ------------------------------------------------------------------------------------------ */
static void save_regs(vmcb_io_t *io, uint32_t area, const cpu_state_t *s)
{
    for (unsigned i = 0; i < CPU_NREGS; i++)
        vmcb_wr(io, area + CPU_VMCB_R(i), s->r[i]);
    vmcb_wr(io, area + CPU_VMCB_PC, s->pc);
    vmcb_wr(io, area + CPU_VMCB_FLAGS, s->flags);
    for (unsigned n = CPU_CSR_TVEC; n <= CPU_CSR_IM; n++)
        if (n != CPU_CSR_TIMER)
            vmcb_wr(io, area + CPU_VMCB_CSR(n), s->csr[n]);
    vmcb_wr(io, area + CPU_VMCB_TIMER_PENDING, s->timer_pending);
    vmcb_wr(io, area + CPU_VMCB_HALTED, s->halted);
}

static void load_regs(vmcb_io_t *io, uint32_t area, cpu_state_t *s)
{
    for (unsigned i = 0; i < CPU_NREGS; i++)
        s->r[i] = vmcb_rd(io, area + CPU_VMCB_R(i));
    s->r[0] = 0;
    s->pc = vmcb_rd(io, area + CPU_VMCB_PC);
    s->flags = vmcb_rd(io, area + CPU_VMCB_FLAGS) &
               (CPU_FLAG_COND | CPU_FLAG_IE | CPU_FLAG_MODE_MASK | CPU_FLAG_MONITOR);
    for (unsigned n = CPU_CSR_TVEC; n <= CPU_CSR_IM; n++)
        if (n != CPU_CSR_TIMER)
            s->csr[n] = vmcb_rd(io, area + CPU_VMCB_CSR(n));
    s->csr[CPU_CSR_IM] &= (1u << CPU_IRQ_LINES) - 1;
    s->timer_pending = vmcb_rd(io, area + CPU_VMCB_TIMER_PENDING) != 0;
    s->halted = vmcb_rd(io, area + CPU_VMCB_HALTED) != 0;
}

/* The timer: the guest's is kept as the cycles it has left (it does not run while the guest
 * is not loaded), the host's as its absolute deadline. */
static uint32_t timer_left(cpu_state_t *s)
{
    if (s->timer_deadline && s->cycles >= s->timer_deadline) {
        s->timer_deadline = 0;
        s->timer_pending = 1;
    }
    uint64_t left = s->timer_deadline ? s->timer_deadline - s->cycles : 0;
    return left > 0xffffffffu ? 0xffffffffu : (uint32_t)left;
}

/* ------------------------------------------------------------------------------------------
 * VM entry
 * ------------------------------------------------------------------------------------------ */
void cpu_set_hypervisor_mode(cpu_t *cpu)
{
    cpu_mode_t from = cpu_mode(cpu);
    cpu->s.flags = (cpu->s.flags & ~CPU_FLAG_MODE_MASK) | ((uint32_t)CPU_MODE_H << CPU_FLAG_MODE_SHIFT);
    cpu_note_mode_change(cpu, from);
}

/* Records a failed entry (in the VMCB too when it is usable) and returns false. */
static bool entry_failed(cpu_t *cpu, vmcb_io_t *io, unsigned check, uint32_t value)
{
    cpu_vm_state_t *v = &cpu->s.vm;
    v->exit_reason = CPU_EXIT_ENTRY_FAILED;
    v->exit_qual = check;
    v->exit_gva = value;
    v->exit_gpa = 0;
    v->exit_insn = 0;
    v->failed_entries++;
    if (io->base) {
        vmcb_wr(io, CPU_VMCB_EXIT_REASON, CPU_EXIT_ENTRY_FAILED);
        vmcb_wr(io, CPU_VMCB_EXIT_QUAL, check);
        vmcb_wr(io, CPU_VMCB_EXIT_GVA, value);
        vmcb_wr(io, CPU_VMCB_EXIT_GPA, 0);
        vmcb_wr(io, CPU_VMCB_EXIT_LEN, 0);
        vmcb_wr(io, CPU_VMCB_EXIT_INSN, 0);
        charge_words(io);
    }
    emit_span(cpu, SIM_EV_VMEXIT, cpu->s.cycles, cpu_mode(cpu), cpu_mode(cpu), cpu->s.pc,
              CPU_EXIT_ENTRY_FAILED, check, cpu->s.cycles - io->start);
    return false;
}

static bool valid_cause(uint32_t cause)
{
    if (cause & CPU_CAUSE_INTERRUPT)
        return (cause & ~CPU_CAUSE_INTERRUPT) < CPU_IRQ_LINES;
    return cause < CPU_CAUSE_COUNT;
}

bool cpu_vm_enter(cpu_t *cpu, uint32_t vmcb, uint32_t host_pc)
{
    cpu_state_t *s = &cpu->s;
    cpu_vm_state_t *v = &s->vm;
    sim_machine_t *m = cpu->mach;
    vmcb_io_t io = vmcb_io(cpu, NULL, "VM entry");
    /* The return from a co-resident monitor's trap is no world switch: the monitor's own
     * cost entry paid for the round trip (a peek: a VMCB out of RAM reads 0). */
    bool monitor_return = (cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_CONTROLS) & CPU_VMCTL_MONITOR) &&
                          cpu_vmcb_peek(cpu, vmcb, CPU_VMCB_MONITOR_RESUME) == 1;
    if (!monitor_return)
        s->cycles += m->costs.c[SIM_COST_vm_entry];

    if (cpu_mode(cpu) != CPU_MODE_H || v->active)
        return entry_failed(cpu, &io, CPU_ENTRY_NOT_H, (uint32_t)cpu_mode(cpu));
    if (!page_of_ram(m, vmcb))
        return entry_failed(cpu, &io, CPU_ENTRY_VMCB_ADDRESS, vmcb);
    io.base = m->ram + vmcb;

    /* The checks, in the order of CPU_ENTRY_CHECKS, before anything is changed. */
    uint32_t rev = vmcb_rd(&io, CPU_VMCB_REV);
    uint32_t controls = vmcb_rd(&io, CPU_VMCB_CONTROLS);
    uint32_t gflags = vmcb_rd(&io, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    uint32_t gpc = vmcb_rd(&io, CPU_VMCB_GUEST + CPU_VMCB_PC);
    uint32_t vmid = vmcb_rd(&io, CPU_VMCB_VMID);
    uint32_t nested_ctl = vmcb_rd(&io, CPU_VMCB_NESTED_ENABLE);
    uint32_t nested_on = nested_ctl & 1;
    uint32_t levels = vmcb_rd(&io, CPU_VMCB_NESTED_LEVELS);
    uint32_t root = vmcb_rd(&io, CPU_VMCB_NESTED_ROOT);
    uint32_t inject = vmcb_rd(&io, CPU_VMCB_INJECT_VALID) & 1;
    uint32_t icause = vmcb_rd(&io, CPU_VMCB_INJECT_CAUSE);
    uint32_t gmode = (gflags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT;
    if (rev != CPU_VMCB_REVISION)
        return entry_failed(cpu, &io, CPU_ENTRY_REVISION, rev);
    if (controls & ~CPU_VMCTL_ALL)
        return entry_failed(cpu, &io, CPU_ENTRY_CONTROLS, controls);
    if (gmode > CPU_MODE_K)
        return entry_failed(cpu, &io, CPU_ENTRY_GUEST_MODE, gflags);
    if (gpc & 3)
        return entry_failed(cpu, &io, CPU_ENTRY_GUEST_PC, gpc);
    if (vmid == 0 || vmid > 0xffffu)
        return entry_failed(cpu, &io, CPU_ENTRY_VMID, vmid);
    if (nested_on && (levels < MMU_MIN_LEVELS || levels > MMU_MAX_LEVELS))
        return entry_failed(cpu, &io, CPU_ENTRY_NESTED_LEVELS, levels);
    if (nested_on && !page_of_ram(m, root))
        return entry_failed(cpu, &io, CPU_ENTRY_NESTED_ROOT, root);
    if (inject && !valid_cause(icause))
        return entry_failed(cpu, &io, CPU_ENTRY_INJECT_CAUSE, icause);
    if (inject && (icause & CPU_CAUSE_INTERRUPT) && !(gflags & CPU_FLAG_IE))
        return entry_failed(cpu, &io, CPU_ENTRY_INJECT_IE, gflags);

    /* Save the host: its registers, CSRs and timer deadline. */
    uint32_t host_deadline_lo = (uint32_t)s->timer_deadline;
    uint32_t host_deadline_hi = (uint32_t)(s->timer_deadline >> 32);
    s->pc = host_pc;
    save_regs(&io, CPU_VMCB_HOST, s);
    vmcb_wr(&io, CPU_VMCB_HOST + CPU_VMCB_CSR(CPU_CSR_TIMER), 0);
    vmcb_wr(&io, CPU_VMCB_HOST + CPU_VMCB_COUNT_LO, host_deadline_lo);
    vmcb_wr(&io, CPU_VMCB_HOST + CPU_VMCB_COUNT_HI, host_deadline_hi);

    /* Load the controls and the guest. */
    v->vmcb = vmcb;
    v->vmid = (uint16_t)vmid;
    v->vm_label = (int16_t)vmcb_rd(&io, CPU_VMCB_VM_LABEL);
    v->vcpu = (int16_t)vmcb_rd(&io, CPU_VMCB_VCPU_ID);
    v->controls = controls;
    v->exceptions = vmcb_rd(&io, CPU_VMCB_EXCEPTIONS);
    v->csr_read_exits = vmcb_rd(&io, CPU_VMCB_CSR_READ);
    v->csr_write_exits = vmcb_rd(&io, CPU_VMCB_CSR_WRITE);
    v->port_first = v->port_count = 0;
    if (controls & CPU_VMCTL_PORTS) { /* read only when used: other VMs' entries cost the same */
        v->port_first = vmcb_rd(&io, CPU_VMCB_PORT_FIRST);
        v->port_count = vmcb_rd(&io, CPU_VMCB_PORT_COUNT);
    }
    uint32_t preempt = vmcb_rd(&io, CPU_VMCB_PREEMPT);
    v->vip = vmcb_rd(&io, CPU_VMCB_VIP) & ((1u << CPU_IRQ_LINES) - 1);
    v->tsc_offset = vmcb_rd(&io, CPU_VMCB_TSC_OFFSET_LO) |
                    (uint64_t)vmcb_rd(&io, CPU_VMCB_TSC_OFFSET_HI) << 32;
    load_regs(&io, CPU_VMCB_GUEST, s);
    uint32_t gtimer = vmcb_rd(&io, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_TIMER));
    uint64_t ginstret = vmcb_rd(&io, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO) |
                        (uint64_t)vmcb_rd(&io, CPU_VMCB_GUEST + CPU_VMCB_COUNT_HI) << 32;
    v->instret_base = ginstret - s->instret;
    if (monitor_return) {
        vmcb_wr(&io, CPU_VMCB_MONITOR_RESUME, 0);
        io.words = 0;
    }
    charge_words(&io);
    s->timer_deadline = gtimer ? s->cycles + gtimer : 0;
    v->preempt_deadline = preempt ? s->cycles + preempt : 0;
    mmu_nested_t nested; /* memset: its padding is saved in snapshots, so it must not be stack
                            garbage (a snapshot of the same machine is the same bytes) */
    memset(&nested, 0, sizeof nested);
    nested.enabled = nested_on != 0;
    nested.levels = (uint8_t)(nested_on ? levels : cpu->mmu.cfg.nested_levels);
    nested.vmid = (uint16_t)vmid;
    nested.root_pfn = root >> MMU_PAGE_SHIFT;
    nested.ad = nested_on && (nested_ctl & CPU_NESTED_AD);
    mmu_set_context(&cpu->mmu, &nested, s->csr[CPU_CSR_PTROOT]);
    v->active = 1;
    v->exit_pending = 0;
    v->entries++;
    emit_flagged(cpu, SIM_EV_VMENTRY, s->cycles, cpu_mode(cpu), CPU_MODE_H, s->pc, vmcb, vmid,
                 s->cycles - io.start, monitor_return ? SIM_EVF_MONITOR : 0);

    /* Event injection: delivered as the guest's own trap or interrupt, at its pc. */
    if (inject) {
        uint32_t tval = vmcb_rd(&io, CPU_VMCB_INJECT_TVAL);
        vmcb_wr(&io, CPU_VMCB_INJECT_VALID, 0);
        charge_words(&io);
        emit(cpu, SIM_EV_INJECT, s->cycles, cpu_mode(cpu), cpu_mode(cpu), s->pc, icause, tval);
        cpu_deliver_trap(cpu, icause, tval, s->pc);
    }
    return true;
}

/* ------------------------------------------------------------------------------------------
 * VM exit
 * ------------------------------------------------------------------------------------------ */
void cpu_vm_exit(cpu_t *cpu, unsigned reason, uint32_t qual, uint32_t gva, uint32_t gpa,
                 uint32_t insn_len, uint32_t insn)
{
    cpu_state_t *s = &cpu->s;
    cpu_vm_state_t *v = &s->vm;
    SIM_ASSERT(v->active);
    vmcb_io_t io = vmcb_io(cpu, cpu->mach->ram + v->vmcb, "VM exit");
    cpu_mode_t from = cpu_mode(cpu);
    uint32_t guest_pc = s->pc;
    int16_t vm_label = v->vm_label, vcpu = v->vcpu;
    bool monitor = (v->controls & CPU_VMCTL_MONITOR) && reason == CPU_EXIT_EXCEPTION;
    if (!monitor) /* a trap into a co-resident monitor: its cost entry is the monitor's */
        s->cycles += cpu->mach->costs.c[SIM_COST_vm_exit];

    /* Save the guest, exactly as it stands at the instruction boundary. */
    uint32_t gtimer = timer_left(s);
    uint64_t ginstret = v->instret_base + s->instret;
    save_regs(&io, CPU_VMCB_GUEST, s);
    vmcb_wr(&io, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_TIMER), gtimer);
    vmcb_wr(&io, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO, (uint32_t)ginstret);
    vmcb_wr(&io, CPU_VMCB_GUEST + CPU_VMCB_COUNT_HI, (uint32_t)(ginstret >> 32));
    uint64_t left = v->preempt_deadline > s->cycles ? v->preempt_deadline - s->cycles : 0;
    vmcb_wr(&io, CPU_VMCB_PREEMPT, left > 0xffffffffu ? 0xffffffffu : (uint32_t)left);
    vmcb_wr(&io, CPU_VMCB_VIP, v->vip);
    vmcb_wr(&io, CPU_VMCB_EXIT_REASON, reason);
    vmcb_wr(&io, CPU_VMCB_EXIT_QUAL, qual);
    vmcb_wr(&io, CPU_VMCB_EXIT_GVA, gva);
    vmcb_wr(&io, CPU_VMCB_EXIT_GPA, gpa);
    vmcb_wr(&io, CPU_VMCB_EXIT_LEN, insn_len);
    vmcb_wr(&io, CPU_VMCB_EXIT_INSN, insn);

    if (monitor) /* the next entry is the monitor's return (its words are not charged) */
        vmcb_wr(&io, CPU_VMCB_MONITOR_RESUME, 1);

    /* Reload the host. */
    load_regs(&io, CPU_VMCB_HOST, s);
    uint64_t deadline = vmcb_rd(&io, CPU_VMCB_HOST + CPU_VMCB_COUNT_LO) |
                        (uint64_t)vmcb_rd(&io, CPU_VMCB_HOST + CPU_VMCB_COUNT_HI) << 32;
    if (monitor)
        io.words = 0;
    charge_words(&io);
    s->timer_deadline = deadline;
    s->flags = (s->flags & ~(CPU_FLAG_MODE_MASK | CPU_FLAG_C)) |
               ((uint32_t)CPU_MODE_H << CPU_FLAG_MODE_SHIFT); /* C clear: vmrun succeeded */
    mmu_nested_t host;
    memset(&host, 0, sizeof host); /* padding included (see the entry above) */
    host.levels = cpu->mmu.cfg.nested_levels;
    mmu_set_context(&cpu->mmu, &host, s->csr[CPU_CSR_PTROOT]);
    v->active = 0;
    v->exit_pending = 1;
    v->preempt_deadline = 0;
    v->exit_reason = reason;
    v->exit_qual = qual;
    v->exit_gva = gva;
    v->exit_gpa = gpa;
    v->exit_insn = insn;
    if (reason < CPU_EXIT_COUNT)
        v->exits[reason]++;
    /* Stamped when the exit began, with the hardware's cycles as its span; told once the
     * host is back, so that what listens sees the exit done. */
    sim_event_t ev = {.cycle = io.start,
                      .kind = SIM_EV_VMEXIT,
                      .cpu = s->id,
                      .mode = CPU_MODE_H,
                      .from_mode = (uint8_t)from,
                      .vm = vm_label,
                      .vcpu = vcpu,
                      .pc = guest_pc,
                      .a = reason,
                      .b = qual,
                      .span = (uint32_t)(s->cycles - io.start),
                      .flags = monitor ? SIM_EVF_MONITOR : 0};
    sim_emit(cpu->mach, &ev);
}

void cpu_vm_exit_nested_fault(cpu_t *cpu, uint32_t word)
{
    const mmu_nested_fault_t *f = &cpu->mmu.last_nested_fault;
    bool fetch = f->access == MMU_FETCH;
    cpu_vm_exit(cpu, CPU_EXIT_NESTED_FAULT, CPU_EXITQ_NESTED(*f), f->gva, f->gpa, 4,
                fetch ? 0 : word);
}

bool cpu_vm_check_async(cpu_t *cpu)
{
    cpu_state_t *s = &cpu->s;
    cpu_vm_state_t *v = &s->vm;
    if ((v->controls & CPU_VMCTL_EXTINT) && s->irq_lines) {
        cpu_vm_exit(cpu, CPU_EXIT_EXTERNAL_INTERRUPT, s->irq_lines, 0, 0, 0, 0);
        return true;
    }
    if (v->preempt_deadline && s->cycles >= v->preempt_deadline) {
        cpu_vm_exit(cpu, CPU_EXIT_PREEMPT, 0, 0, 0, 0, 0);
        return true;
    }
    return false;
}

bool cpu_vm_csr_exits(const cpu_t *cpu, unsigned csr, bool write)
{
    const cpu_vm_state_t *v = &cpu->s.vm;
    if (!v->active || !(v->controls & CPU_VMCTL_CSR) || csr >= 32)
        return false;
    return ((write ? v->csr_write_exits : v->csr_read_exits) >> csr) & 1u;
}

bool cpu_vm_port_exits(const cpu_t *cpu, uint32_t port)
{
    const cpu_vm_state_t *v = &cpu->s.vm;
    if (!v->active || !(v->controls & CPU_VMCTL_IO))
        return false;
    bool in_window = (v->controls & CPU_VMCTL_PORTS) && port - v->port_first < v->port_count;
    return !in_window;
}

/* ------------------------------------------------------------------------------------------
 * Posted interrupts and TLB invalidation
 * ------------------------------------------------------------------------------------------ */
void cpu_vm_set_vip(cpu_t *cpu, uint32_t lines)
{
    cpu_vm_state_t *v = &cpu->s.vm;
    v->vip = lines & ((1u << CPU_IRQ_LINES) - 1);
    if (page_of_ram(cpu->mach, v->vmcb)) {
        vmcb_io_t io = vmcb_io(cpu, cpu->mach->ram + v->vmcb, "posting interrupts");
        vmcb_wr(&io, CPU_VMCB_VIP, v->vip);
        report_written(&io);
    }
}

void cpu_vm_invvm(cpu_t *cpu, uint16_t vmid)
{
    mmu_invalidate(&cpu->mmu, MMU_FLUSH_VM, vmid, 0, 0);
    cpu_emit(cpu, SIM_EV_TLBFLUSH, cpu->s.pc, MMU_FLUSH_VM, vmid, cpu_mode(cpu));
}

void cpu_vm_invasid(cpu_t *cpu, uint32_t asid_and_vmid)
{
    uint16_t vmid = (uint16_t)(asid_and_vmid >> 16), asid = asid_and_vmid & MMU_ASID_MAX;
    mmu_invalidate(&cpu->mmu, MMU_FLUSH_ASID, vmid, asid, 0);
    cpu_emit(cpu, SIM_EV_TLBFLUSH, cpu->s.pc, MMU_FLUSH_ASID, asid_and_vmid, cpu_mode(cpu));
}
