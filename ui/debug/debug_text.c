/*
 * debug_text.c - the debugger's sentences: why a run stopped, what an event was, what a
 * breakpoint watches. Every front end prints these as they are, so a stop reads the same in
 * the REPL, the GUI and the tests. Each says where (address and symbol), what, and why.
 */
#include <stdarg.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

void dbg_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

static const char *const stop_names[UI_DBG_STOP_COUNT] = {
#define UI_DBG_X_STOPNAME(name, str) str,
    UI_DBG_STOPS(UI_DBG_X_STOPNAME)
#undef UI_DBG_X_STOPNAME
};

const char *ui_dbg_stop_name(ui_dbg_stop_kind_t kind)
{
    return kind < UI_DBG_STOP_COUNT ? stop_names[kind] : "?";
}

/* ------------------------------------------------------------------------------------------
 * Trap causes
 * ------------------------------------------------------------------------------------------ */
/* Why each trap happens; {insn} is the instruction at epc, {tval} the trap value. */
static const char *const because[CPU_CAUSE_COUNT] = {
    [CPU_CAUSE_ILLEGAL] = "the word {tval} is not a legal instruction",
    [CPU_CAUSE_PRIVILEGED] = "`{insn}` is privileged and the CPU was in U",
    [CPU_CAUSE_MISALIGNED] = "the address {tval} is not aligned",
    [CPU_CAUSE_BREAKPOINT] = "the program executed brk",
    [CPU_CAUSE_SYSCALL] = "the program executed syscall",
    [CPU_CAUSE_BUS_ERROR] = "nothing answers at address {tval}",
    [CPU_CAUSE_DIV_ZERO] = "`{insn}` divided by zero",
    [CPU_CAUSE_FETCH_PAGE_FAULT] = "the page tables do not let it fetch from {tval}",
    [CPU_CAUSE_LOAD_PAGE_FAULT] = "the page tables do not let `{insn}` load from {tval}",
    [CPU_CAUSE_STORE_PAGE_FAULT] = "the page tables do not let `{insn}` store to {tval}",
};

/* The names `break trap` accepts besides the CPU's causes. */
static const char *const extra_causes[] = {"interrupt", "any"};

int ui_dbg_cause_by_name(const char *name, uint32_t *cause)
{
    char buf[48];
    for (uint32_t c = 0; c < CPU_CAUSE_COUNT; c++)
        if (strcmp(cpu_cause_name(c, buf, sizeof buf), name) == 0) {
            *cause = c;
            return 0;
        }
    if (strcmp(name, "interrupt") == 0) {
        *cause = UI_DBG_CAUSE_ANY_INTERRUPT;
        return 0;
    }
    if (strcmp(name, "any") == 0) {
        *cause = UI_DBG_CAUSE_ANY;
        return 0;
    }
    return -1;
}

const char *ui_dbg_cause_list(size_t i)
{
    static char buf[48];
    if (i < CPU_CAUSE_COUNT)
        return cpu_cause_name((uint32_t)i, buf, sizeof buf);
    i -= CPU_CAUSE_COUNT;
    return i < sizeof extra_causes / sizeof extra_causes[0] ? extra_causes[i] : NULL;
}

/* The instruction at addr as text, in the focus CPU's default space. */
static const char *insn_at(ui_dbg_t *d, uint32_t addr, char *buf, size_t len)
{
    if (!ui_dbg_disasm(d, ui_dbg_default_space(d), addr, buf, len))
        snprintf(buf, len, "the instruction");
    return buf;
}

static const char *where(const ui_dbg_t *d, uint32_t addr, char *buf, size_t len)
{
    char sym[96];
    snprintf(buf, len, "0x%08x%s", addr, ui_dbg_symbolize(d, addr, sym, sizeof sym));
    return buf;
}

/* Expands a `because` template. */
static void explain(ui_dbg_t *d, const char *tmpl, const sim_event_t *ev, char *buf, size_t len)
{
    size_t used = 0;
    char insn[96];
    buf[0] = '\0';
    for (const char *p = tmpl; *p; p++) {
        if (strncmp(p, "{insn}", 6) == 0) {
            dbg_append(buf, len, &used, "%s", insn_at(d, ev->pc, insn, sizeof insn));
            p += 5;
        } else if (strncmp(p, "{tval}", 6) == 0) {
            dbg_append(buf, len, &used, "0x%08x", ev->b);
            p += 5;
        } else {
            dbg_append(buf, len, &used, "%c", *p);
        }
    }
}

void dbg_text_trap(ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char at[128], why[192], name[48];
    const char *from = cpu_mode_name((cpu_mode_t)ev->from_mode);
    where(d, ev->pc, at, sizeof at);
    if (ev->kind == SIM_EV_INTERRUPT) {
        snprintf(buf, len,
                 "line %u (%s) in %s at %s, because the line was raised, enabled in im, "
                 "and IE was 1",
                 ev->a, ev->a == CPU_IRQ_TIMER ? "timer" : "device", from, at);
        return;
    }
    /* syscall and brk retire before they trap: epc is the next instruction. */
    sim_event_t at_insn = *ev;
    if (ev->a == CPU_CAUSE_SYSCALL || ev->a == CPU_CAUSE_BREAKPOINT)
        at_insn.pc -= 4;
    where(d, at_insn.pc, at, sizeof at);
    cpu_insn_t insn;
    if (ev->a == CPU_CAUSE_ILLEGAL && cpu_decode(ev->b, &insn))
        snprintf(why, sizeof why, "`%s` needs ring -1 (H): only the hypervisor may run it",
                 cpu_isa[insn.op].mnemonic);
    else if (ev->a < CPU_CAUSE_COUNT)
        explain(d, because[ev->a], &at_insn, why, sizeof why);
    else
        snprintf(why, sizeof why, "of cause %u", ev->a);
    snprintf(buf, len, "%s from %s at %s, because %s", cpu_cause_name(ev->a, name, sizeof name),
             from, at, why);
}

/* "Trap: ..." or "Interrupt: ..." for a trap or interrupt event. */
static void trap_sentence(ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    char body[256];
    dbg_text_trap(d, ev, body, sizeof body);
    snprintf(buf, len, "%s: %s.", ev->kind == SIM_EV_INTERRUPT ? "Interrupt" : "Trap", body);
}

void dbg_text_mode(ui_dbg_t *d, const sim_event_t *ev, const sim_event_t *cause, char *buf,
                   size_t len)
{
    char at[128], name[48];
    const char *from = cpu_mode_name((cpu_mode_t)ev->from_mode);
    const char *to = cpu_mode_name((cpu_mode_t)ev->mode);
    where(d, ev->pc, at, sizeof at);
    if (cause->kind == SIM_EV_IRET && cause->cpu == ev->cpu)
        snprintf(buf, len, "%s -> %s at iret, resuming at %s, because eflags held MODE = %s", from,
                 to, at, to);
    else if (cause->kind == SIM_EV_TRAP && cause->cpu == ev->cpu)
        snprintf(buf, len,
                 "%s -> %s on a trap (%s), entering the handler at %s, because traps "
                 "always enter K",
                 from, to, cpu_cause_name(cause->a, name, sizeof name), at);
    else if (cause->kind == SIM_EV_INTERRUPT && cause->cpu == ev->cpu)
        snprintf(buf, len,
                 "%s -> %s on interrupt %u, entering the handler at %s, because "
                 "interrupts always enter K",
                 from, to, cause->a, at);
    else
        snprintf(buf, len, "%s -> %s at %s", from, to, at);
}

/* ------------------------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------------------------ */
static const char *port_device(const sim_machine_t *m, uint32_t where)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        const sim_device_t *dev = &m->devices[i];
        if (dev->port_count && where >= dev->port_base && where - dev->port_base < dev->port_count)
            return dev->name;
        if (dev->mmio_size && where >= dev->mmio_base && where - dev->mmio_base < dev->mmio_size)
            return dev->name;
    }
    return NULL;
}

void ui_dbg_describe_event(const ui_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len)
{
    ui_dbg_t *d = (ui_dbg_t *)dbg; /* reads memory for instruction text only */
    char at[128], body[256];
    where(d, ev->pc, at, sizeof at);
    switch (ev->kind) {
    case SIM_EV_TRAP:
    case SIM_EV_INTERRUPT:
        dbg_text_trap(d, ev, body, sizeof body);
        snprintf(buf, len, "cpu%u took %s: %s", ev->cpu,
                 ev->kind == SIM_EV_TRAP ? "a trap" : "an interrupt", body);
        break;
    case SIM_EV_IRET:
        snprintf(buf, len, "cpu%u returned from a trap (iret) to %s", ev->cpu, at);
        break;
    case SIM_EV_MODE:
        snprintf(buf, len, "cpu%u changed mode %s -> %s at %s", ev->cpu,
                 cpu_mode_name((cpu_mode_t)ev->from_mode), cpu_mode_name((cpu_mode_t)ev->mode), at);
        break;
    case SIM_EV_HALT:
        snprintf(buf, len, "cpu%u halted at %s to wait for an interrupt", ev->cpu, at);
        break;
    case SIM_EV_WAKE:
        snprintf(buf, len, "cpu%u woke up: lines 0x%x are pending", ev->cpu, ev->a);
        break;
    case SIM_EV_IO: {
        const char *dev = port_device(d->m, ev->a);
        char target[64];
        snprintf(target, sizeof target, "%s 0x%x%s%s%s", ev->a > 0xffff ? "hpa" : "port", ev->a,
                 dev ? " (" : "", dev ? dev : "", dev ? ")" : "");
        if (ev->from_mode)
            snprintf(buf, len, "cpu%u wrote 0x%08x to %s at %s", ev->cpu, ev->b, target, at);
        else
            snprintf(buf, len, "cpu%u read 0x%08x from %s at %s", ev->cpu, ev->b, target, at);
        break;
    }
    case SIM_EV_POWEROFF:
        snprintf(buf, len, "cpu%u powered the machine off with exit code %u", ev->cpu, ev->a);
        break;
    case SIM_EV_EDIT: dbg_text_edit(d, ev, buf, len); break;
    default: dbg_text_other_event(d, ev, buf, len); break;
    }
}

/* ------------------------------------------------------------------------------------------
 * Breakpoints
 * ------------------------------------------------------------------------------------------ */
void ui_dbg_bp_describe(const ui_dbg_t *dbg, const ui_dbg_bp_t *bp, char *buf, size_t len)
{
    char sym[96], num[32], name[48];
    size_t used = 0;
    buf[0] = '\0';
    switch (bp->kind) {
    case UI_DBG_BP_ADDR:
        dbg_append(buf, len, &used, "%s 0x%08x%s", ui_dbg_space_name(bp->space), bp->addr,
            dbg_symbolize_for(dbg, bp->space, bp->vm, bp->addr, sym, sizeof sym));
        break;
    case UI_DBG_BP_WATCH:
        dbg_append(buf, len, &used, "%s %s 0x%08x%s, %u byte%s",
            bp->access == (UI_DBG_READ | UI_DBG_WRITE) ? "read/write"
            : bp->access == UI_DBG_READ                ? "read"
                                                       : "write",
            ui_dbg_space_name(bp->space), bp->addr,
            dbg_symbolize_for(dbg, bp->space, bp->vm, bp->addr, sym, sizeof sym), bp->len,
            bp->len == 1 ? "" : "s");
        break;
    case UI_DBG_BP_TRAP:
        dbg_append(buf, len, &used, "trap %s",
            bp->cause == UI_DBG_CAUSE_ANY ? "any"
            : bp->cause == UI_DBG_CAUSE_ANY_INTERRUPT
                ? "interrupt"
                : cpu_cause_name(bp->cause, name, sizeof name));
        break;
    case UI_DBG_BP_MODE: dbg_append(buf, len, &used, "mode %s", cpu_mode_name(bp->mode)); break;
    case UI_DBG_BP_EXIT:
        dbg_describe_exit_bp(dbg, bp, sym, sizeof sym);
        dbg_append(buf, len, &used, "%s", sym);
        break;
    case UI_DBG_BP_HANDLER:
    case UI_DBG_BP_HV:
        dbg_describe_hv_bp(dbg, bp, sym, sizeof sym);
        dbg_append(buf, len, &used, "%s", sym);
        break;
    case UI_DBG_BP_CYCLE:
    case UI_DBG_BP_INSTRET:
        dbg_append(buf, len, &used, "%s %s", bp->kind == UI_DBG_BP_CYCLE ? "cycle" : "instret",
            sim_group_digits(bp->at, num, sizeof num));
        break;
    default: dbg_append(buf, len, &used, "?"); break;
    }
    if (bp->vm != UI_DBG_ANY_VM && bp->kind != UI_DBG_BP_EXIT && bp->kind != UI_DBG_BP_HANDLER &&
        bp->kind != UI_DBG_BP_HV)
        dbg_append(buf, len, &used, " in %s", dbg_vm_name(dbg, bp->vm));
    if (bp->cpu != UI_DBG_ANY_CPU && bp->kind != UI_DBG_BP_CYCLE && bp->kind != UI_DBG_BP_INSTRET)
        dbg_append(buf, len, &used, " on cpu%d", bp->cpu);
    else if ((bp->kind == UI_DBG_BP_CYCLE || bp->kind == UI_DBG_BP_INSTRET) && dbg->m->ncpus > 1)
        dbg_append(buf, len, &used, " on cpu%d", bp->cpu);
}

/* ------------------------------------------------------------------------------------------
 * Stops
 * ------------------------------------------------------------------------------------------ */
static void text_breakpoint(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp)
{
    char body[256], num[32], num2[32];
    if (!bp) {
        snprintf(st->text, sizeof st->text, "Breakpoint %d (since deleted).", st->id);
        return;
    }
    switch (bp->kind) {
    case UI_DBG_BP_TRAP:
        dbg_text_trap(d, &st->ev, body, sizeof body);
        snprintf(st->text, sizeof st->text, "Breakpoint %d, %s: %s.", bp->id,
                 st->ev.kind == SIM_EV_INTERRUPT ? "interrupt" : "trap", body);
        break;
    case UI_DBG_BP_EXIT:
    case UI_DBG_BP_HANDLER: dbg_text_vmexit(d, st); break;
    case UI_DBG_BP_HV:
        dbg_text_other_event(d, &st->ev, body, sizeof body);
        snprintf(st->text, sizeof st->text, "Breakpoint %d, hv: %s.", bp->id, body);
        break;
    case UI_DBG_BP_MODE:
        if (st->ev.kind == SIM_EV_VMEXIT) { /* into H: the hypervisor takes an exit */
            char pre[48];
            snprintf(pre, sizeof pre, "Breakpoint %d, mode %s -> H. ", bp->id,
                     cpu_mode_name((cpu_mode_t)st->ev.from_mode));
            dbg_text_vmexit(d, st);
            size_t n = strlen(pre), have = strlen(st->text);
            if (n + have >= sizeof st->text)
                have = sizeof st->text - n - 1;
            memmove(st->text + n, st->text, have);
            memcpy(st->text, pre, n);
            st->text[n + have] = '\0';
            break;
        }
        dbg_text_mode(d, &st->ev, &st->before, body, sizeof body);
        snprintf(st->text, sizeof st->text, "Breakpoint %d, mode change %s.", bp->id, body);
        break;
    case UI_DBG_BP_CYCLE:
        snprintf(st->text, sizeof st->text,
                 "Breakpoint %d: cpu%u reached cycle %s (it is at "
                 "cycle %s: an instruction is never split).",
                 bp->id, st->cpu, sim_group_digits(bp->at, num, sizeof num),
                 sim_group_digits(st->cycle, num2, sizeof num2));
        break;
    case UI_DBG_BP_INSTRET:
        snprintf(st->text, sizeof st->text, "Breakpoint %d: cpu%u has retired %s.", bp->id, st->cpu,
                 sim_counted(st->instret, "instruction", num, sizeof num));
        break;
    default:
        ui_dbg_bp_describe(d, bp, body, sizeof body);
        snprintf(st->text, sizeof st->text, "Breakpoint %d at %s.", bp->id, body);
        break;
    }
}

/* The VM exits a step went through on `cpu` (their handling is the hypervisor's, between
 * two of the guest's instruction boundaries). */
static void say_exits_stepped(ui_dbg_t *d, unsigned cpu, uint64_t exits, bool in_place, char *buf,
                              size_t len, size_t *used)
{
    const char *reason = d->has_exit[cpu] ? cpu_exit_reason_name(d->last_exit[cpu].a) : "?";
    const char *monitor = dbg_monitor_entry(d, cpu);
    if (monitor && exits == 1)
        dbg_append(buf, len, used, ", through %s (binary translation: not a VM exit) and the "
                   "monitor's handling of it", monitor);
    else if (monitor)
        dbg_append(buf, len, used, ", through %llu entries into the hypervisor or its "
                   "co-resident monitor (the last %s) and their handling",
                   (unsigned long long)exits, monitor);
    else if (exits == 1)
        dbg_append(buf, len, used, ", through a VM exit %s and the hypervisor's handling of it",
                   reason);
    else
        dbg_append(buf, len, used, ", through %llu VM exits (the last %s) and their handling",
                   (unsigned long long)exits, reason);
    if (in_place)
        dbg_append(buf, len, used, "; the guest resumed at the same instruction");
}

static void text_step(ui_dbg_t *d, ui_dbg_stop_t *st)
{
    char num[48], body[256];
    size_t used = 0;
    char *buf = st->text;
    size_t len = sizeof st->text;
    buf[0] = '\0';
    if (st->steps == 0 && !d->trapped && dbg_pcpu_idle(d, st->cpu)) {
        char cyc[32];
        sim_counted(st->cycle - d->prev[st->cpu].cycles, "cycle", num, sizeof num);
        sim_group_digits(st->cycle, cyc, sizeof cyc);
        if (d->focus_was_idle)
            snprintf(buf, len,
                     "cpu%u is idle: the hypervisor has nothing it may run there, so there was "
                     "no instruction to step; its time moved on %s, to cycle %s.",
                     st->cpu, num, cyc);
        else /* the guest left it (an exit whose VCPU now waits) and nothing else may run */
            snprintf(buf, len,
                     "Stepped on cpu%u into the hypervisor, and it is idle now: the guest's "
                     "instruction exited, and nothing may run there (%s later, cycle %s; "
                     "\"info events\" says what happened).",
                     st->cpu, num, cyc);
        return;
    }
    /* An instruction that exited and that the hypervisor completed is a step that retired
     * nothing on the CPU; an exit after which the guest resumed where it was is no step. */
    uint64_t insns = st->steps + d->exit_steps;
    uint64_t exits = d->m->cpu[st->cpu].s.vm.entries - d->prev[st->cpu].vm.entries;
    if (insns == 0 && (d->trapped || exits))
        dbg_append(buf, len, &used, "Stepped on cpu%u", st->cpu);
    else
        dbg_append(buf, len, &used, "Stepped %s instruction%s on cpu%u",
            sim_group_digits(insns, num, sizeof num), insns == 1 ? "" : "s", st->cpu);
    if (exits)
        say_exits_stepped(d, st->cpu, exits, insns == 0 && !d->reflected, buf, len, &used);
    if (d->reflected) {
        char cause[48];
        dbg_append(buf, len, &used, ", and into the guest kernel's handler: the %s reflected "
                   "the %s", dbg_monitor_entry(d, st->cpu) ? "monitor" : "hypervisor",
                   cpu_cause_name(d->reflected_cause, cause, sizeof cause));
    }
    if (d->trapped) {
        dbg_text_trap(d, &d->trap_ev, body, sizeof body);
        dbg_append(buf, len, &used, ", into %s: %s",
            d->trap_ev.kind == SIM_EV_INTERRUPT ? "an interrupt" : "a trap", body);
    }
    if (d->m->cpu[st->cpu].s.halted)
        dbg_append(buf, len, &used, "; cpu%u is halted, waiting for an interrupt", st->cpu);
    else if (insns && dbg_pcpu_idle(d, st->cpu)) /* the instruction made its VCPU wait */
        dbg_append(buf, len, &used, "; cpu%u is idle now: the hypervisor has nothing it may run "
                   "there", st->cpu);
    dbg_append(buf, len, &used, ".");
}

void dbg_text_stop(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp)
{
    char a[48], b[48], body[256];
    size_t len = sizeof st->text;
    const cpu_t *cpu = &d->m->cpu[st->cpu];
    switch (st->kind) {
    case UI_DBG_STOP_STEP: text_step(d, st); break;
    case UI_DBG_STOP_BREAKPOINT: text_breakpoint(d, st, bp); break;
    case UI_DBG_STOP_WATCHPOINT: dbg_text_watch(d, st, bp); break;
    case UI_DBG_STOP_TRAP: trap_sentence(d, &st->ev, st->text, len); break;
    case UI_DBG_STOP_VM_EXIT: dbg_text_vmexit(d, st); break;
    case UI_DBG_STOP_NEXT:
    case UI_DBG_STOP_FINISH:
    case UI_DBG_STOP_LOCATION: dbg_text_goal(d, st); break;
    case UI_DBG_STOP_EVENT:
        if (dbg_text_substep(d, st))
            break;
        if (st->ev.kind == SIM_EV_MODE) {
            dbg_text_mode(d, &st->ev, &st->before, body, sizeof body);
            snprintf(st->text, len, "Event: mode change %s.", body);
        } else {
            ui_dbg_describe_event(d, &st->ev, body, sizeof body);
            snprintf(st->text, len, "Event: %s.", body);
        }
        break;
    case UI_DBG_STOP_CONDITION:
        if (st->value)
            snprintf(st->text, len, "Stopped: the condition `%s` could not be evaluated: %s",
                     d->cond ? ui_dbg_cond_text(d->cond) : "?", d->err);
        else
            snprintf(st->text, len, "Condition `%s` is true, after %s instruction%s on cpu%u.",
                     d->cond ? ui_dbg_cond_text(d->cond) : "?",
                     sim_group_digits(st->steps, a, sizeof a), st->steps == 1 ? "" : "s", st->cpu);
        break;
    case UI_DBG_STOP_CYCLES:
        snprintf(st->text, len, "Ran %s on cpu%u (%s)%s.",
                 sim_counted(st->cycle - d->prev[st->cpu].cycles, "cycle", a, sizeof a), st->cpu,
                 sim_counted(st->steps, "instruction", b, sizeof b),
                 dbg_pcpu_idle(d, st->cpu) ? "; it is idle now: the hypervisor has nothing it may "
                                             "run there"
                                           : "");
        break;
    case UI_DBG_STOP_INTERRUPTED:
        snprintf(st->text, len, "Interrupted (Ctrl-C) on cpu%u, after %s instruction%s.", st->cpu,
                 sim_group_digits(st->steps, a, sizeof a), st->steps == 1 ? "" : "s");
        break;
    case UI_DBG_STOP_POWEROFF:
        snprintf(st->text, len, "The program powered the machine off with exit code %u.",
                 d->m->exit_code);
        break;
    case UI_DBG_STOP_IDLE: {
        char why[200];
        size_t n = (size_t)snprintf(st->text, len,
                                    "Every CPU is halted and nothing can wake it "
                                    "(no timer armed, no interrupt pending)");
        if (n < len)
            snprintf(st->text + n, len - n, "%s%s.",
                     hv_explain_idle(d->m, why, sizeof why) ? ": " : "", why);
        break;
    }
    case UI_DBG_STOP_LIMIT:
        snprintf(st->text, len, "Stopped at the cycle limit: cpu0 reached cycle %s (--max-cycles).",
                 sim_group_digits(d->m->cpu[0].s.cycles, a, sizeof a));
        break;
    case UI_DBG_STOP_NESTED_FAULT:
        snprintf(st->text, len,
                 "Nested fault on cpu%u: gpa 0x%08x (for gva 0x%08x) is not mapped "
                 "by the nested tables (%s), and there is no hypervisor to take the exit.",
                 st->cpu, cpu->mmu.last_nested_fault.gpa, cpu->mmu.last_nested_fault.gva,
                 mmu_outcome_name(cpu->mmu.last_nested_fault.reason));
        break;
    default: snprintf(st->text, len, "Stopped (%s).", ui_dbg_stop_name(st->kind)); break;
    }
}
