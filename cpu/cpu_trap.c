/*
 * cpu_trap.c - traps, interrupts and the control and status registers.
 *
 * Every trap and interrupt enters the kernel through cpu_enter_trap, at an instruction
 * boundary, after the faulting instruction has changed nothing. This is the one place where
 * the CPU changes privilege upwards, so it is also where the events for the trace are made.
 */
#include "cpu_internal.h"
#include "../sim/sim.h"

void cpu_emit(cpu_t *cpu, unsigned kind, uint32_t pc, uint32_t a, uint32_t b, cpu_mode_t from)
{
    sim_event_t ev = {
        .cycle = cpu->s.cycles,
        .kind = (uint8_t)kind,
        .cpu = cpu->s.id,
        .mode = (uint8_t)cpu_mode(cpu),
        .from_mode = (uint8_t)from,
        .vm = cpu->s.vm.active ? cpu->s.vm.vm_label : -1, /* in a guest: whose event */
        .vcpu = cpu->s.vm.active ? cpu->s.vm.vcpu : -1,
        .pc = pc,
        .a = a,
        .b = b,
    };
    sim_emit(cpu->mach, &ev);
}

void cpu_note_mode_change(cpu_t *cpu, cpu_mode_t from)
{
    if (cpu_mode(cpu) != from)
        cpu_emit(cpu, SIM_EV_MODE, cpu->s.pc, 0, 0, from);
}

static void set_mode(cpu_t *cpu, cpu_mode_t mode)
{
    cpu->s.flags = (cpu->s.flags & ~CPU_FLAG_MODE_MASK) | ((uint32_t)mode << CPU_FLAG_MODE_SHIFT);
}

void cpu_enter_trap(cpu_t *cpu, uint32_t cause, uint32_t tval, uint32_t epc)
{
    cpu_state_t *s = &cpu->s;
    /* Ring -1: in guest mode, a trap cause marked in the exception bitmap exits instead. The
     * guest's pc is then where its handler would have returned (epc); tval goes in gva. */
    if (s->vm.active && !(cause & CPU_CAUSE_INTERRUPT) && cause < 32 &&
        ((s->vm.exceptions >> cause) & 1u)) {
        s->pc = epc;
        cpu_vm_exit(cpu, CPU_EXIT_EXCEPTION, cause, tval, 0, 0, 0);
        return;
    }
    cpu_deliver_trap(cpu, cause, tval, epc);
}

void cpu_deliver_trap(cpu_t *cpu, uint32_t cause, uint32_t tval, uint32_t epc)
{
    cpu_state_t *s = &cpu->s;
    cpu_mode_t from = cpu_mode(cpu);
    bool interrupt = (cause & CPU_CAUSE_INTERRUPT) != 0;

    s->csr[CPU_CSR_EFLAGS] = s->flags;
    s->csr[CPU_CSR_EPC] = epc;
    s->csr[CPU_CSR_CAUSE] = cause;
    s->csr[CPU_CSR_TVAL] = tval;
    /* The handler starts in K with interrupts off, so it can save state before the next one.
     * A trap in H stays in H: nothing below ring -1 may handle it. */
    s->flags &= ~CPU_FLAG_IE;
    set_mode(cpu, from == CPU_MODE_H ? CPU_MODE_H : CPU_MODE_K);
    s->pc = s->csr[CPU_CSR_TVEC];
    s->halted = 0;

    const sim_costs_t *costs = &cpu->mach->costs;
    if (interrupt) {
        s->cycles += costs->c[SIM_COST_interrupt_entry];
        s->interrupts[cause & (CPU_IRQ_LINES - 1)]++;
        cpu_emit(cpu, SIM_EV_INTERRUPT, epc, cause & ~CPU_CAUSE_INTERRUPT, 0, from);
    } else {
        s->cycles += costs->c[SIM_COST_trap_entry];
        if (cause < CPU_CAUSE_COUNT)
            s->traps[cause]++;
        cpu_emit(cpu, SIM_EV_TRAP, epc, cause, tval, from);
    }
    cpu_note_mode_change(cpu, from);
}

void cpu_return_from_trap(cpu_t *cpu)
{
    cpu_state_t *s = &cpu->s;
    cpu_mode_t from = cpu_mode(cpu);
    uint32_t saved = s->csr[CPU_CSR_EFLAGS];
    /* MODE 3 does not exist; an eflags that claims it returns to U rather than inventing one. */
    if (((saved & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT) > CPU_MODE_H)
        saved &= ~CPU_FLAG_MODE_MASK;
    s->flags = saved & (CPU_FLAG_COND | CPU_FLAG_IE | CPU_FLAG_MODE_MASK);
    s->pc = s->csr[CPU_CSR_EPC];
    cpu_emit(cpu, SIM_EV_IRET, s->pc, 0, 0, from);
    cpu_note_mode_change(cpu, from);
}

/* The lines the running code sees: in guest mode the posted virtual lines (vip) and the
 * guest's timer, never the physical device lines, which belong to the host. */
static uint32_t raised_lines(const cpu_state_t *s)
{
    uint32_t devices = s->vm.active ? s->vm.vip : s->irq_lines;
    return devices | (s->timer_pending ? 1u << CPU_IRQ_TIMER : 0);
}

uint32_t cpu_pending_lines(const cpu_t *cpu)
{
    uint32_t pending = raised_lines(&cpu->s);
    return pending & cpu->s.csr[CPU_CSR_IM];
}

bool cpu_take_interrupt(cpu_t *cpu)
{
    uint32_t pending = cpu_pending_lines(cpu);
    if (!pending || !(cpu->s.flags & CPU_FLAG_IE))
        return false;
    unsigned line = (unsigned)__builtin_ctz(pending);
    cpu_enter_trap(cpu, CPU_CAUSE_INTERRUPT | line, 0, cpu->s.pc);
    return true;
}

void cpu_set_irq(cpu_t *cpu, unsigned line, bool level)
{
    if (line == CPU_IRQ_TIMER || line >= CPU_IRQ_LINES)
        return;
    if (level)
        cpu->s.irq_lines |= 1u << line;
    else
        cpu->s.irq_lines &= ~(1u << line);
}

/* ------------------------------------------------------------------------------------------
 * CSRs
 * ------------------------------------------------------------------------------------------ */
static const uint8_t csr_writable[CPU_CSR_COUNT] = {
#define CPU_X_CSRWR(name, str, num, wr, sum) [num] = wr,
    CPU_CSRS(CPU_X_CSRWR)
#undef CPU_X_CSRWR
};

bool cpu_csr_read_checked(const cpu_t *cpu, unsigned num, uint32_t *value)
{
    const cpu_state_t *s = &cpu->s;
    switch (num) {
    case CPU_CSR_STATUS: *value = s->flags & (CPU_FLAG_IE | CPU_FLAG_MODE_MASK); return true;
    case CPU_CSR_TIMER:
        *value = s->timer_deadline > s->cycles ? (uint32_t)(s->timer_deadline - s->cycles) : 0;
        return true;
    case CPU_CSR_IP: *value = raised_lines(s); return true;
    /* In guest mode: time is the host's less the VMCB's offset, the instruction count is the
     * guest's own, and the CPU number is the VCPU's. */
    case CPU_CSR_CYCLE: *value = (uint32_t)(s->cycles - s->vm.tsc_offset * s->vm.active); return true;
    case CPU_CSR_CYCLEH:
        *value = (uint32_t)((s->cycles - s->vm.tsc_offset * s->vm.active) >> 32);
        return true;
    case CPU_CSR_INSTRET:
        *value = (uint32_t)(s->instret + s->vm.instret_base * s->vm.active);
        return true;
    case CPU_CSR_CPUNUM: *value = s->vm.active ? (uint32_t)s->vm.vcpu : s->id; return true;
    default:
        if (num >= CPU_CSR_COUNT)
            return false;
        *value = s->csr[num];
        return true;
    }
}

uint32_t cpu_csr_read(const cpu_t *cpu, unsigned num)
{
    uint32_t v = 0;
    cpu_csr_read_checked(cpu, num, &v);
    return v;
}

bool cpu_csr_write(cpu_t *cpu, unsigned num, uint32_t value)
{
    cpu_state_t *s = &cpu->s;
    if (num >= CPU_CSR_COUNT || !csr_writable[num])
        return false;
    switch (num) {
    case CPU_CSR_STATUS: s->flags = (s->flags & ~CPU_FLAG_IE) | (value & CPU_FLAG_IE); break;
    case CPU_CSR_TIMER:
        /* Writing acknowledges a pending tick and (re)arms or disarms the countdown. */
        s->timer_pending = 0;
        s->timer_deadline = value ? s->cycles + value : 0;
        break;
    case CPU_CSR_IM: s->csr[num] = value & ((1u << CPU_IRQ_LINES) - 1); break;
    case CPU_CSR_PTROOT:
        s->csr[num] = value;
        mmu_set_ptroot(&cpu->mmu, value); /* no flush: TLB entries carry the ASID */
        break;
    default: s->csr[num] = value; break;
    }
    return true;
}
