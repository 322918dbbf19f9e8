/*
 * debug_edit.c - the debugger changing the machine: `set $REG = VALUE` on the focus CPU and
 * `set *ADDR = VALUE` on a RAM word in any space.
 *
 * An edit is something no instruction did, so it must not pass unseen: each one is emitted as
 * an event (SIM_EV_EDIT) with the old and the new value, and the trace, the event log and the
 * statistics' event counts show it beside what the program did. Only the word itself changes:
 * a page-table entry edited this way is not flushed from any TLB, as on real hardware where a
 * store to a PTE needs a tlbinv.
 */
#include <string.h>

#include "debug_internal.h"

#define EDIT_REG_PC UI_DBG_REG_PC
#define EDIT_REG_FLAGS UI_DBG_REG_FLAGS

static void emit_edit(ui_dbg_t *d, unsigned what, uint32_t where, uint32_t old, uint32_t now)
{
    const cpu_t *cpu = &d->m->cpu[d->focus];
    sim_event_t ev = {
        .cycle = cpu->s.cycles,
        .kind = SIM_EV_EDIT,
        .cpu = (uint8_t)d->focus,
        .mode = (uint8_t)cpu_mode(cpu),
        .from_mode = (uint8_t)what,
        .vm = (int16_t)(cpu_in_guest(cpu) ? cpu->s.vm.vm_label : -1),
        .vcpu = -1,
        .pc = old,
        .a = where,
        .b = now,
    };
    sim_emit(d->m, &ev);
}

int ui_dbg_register_number(const char *name)
{
    static const struct {
        const char *name;
        int reg;
    } names[] = {
        {"sp", CPU_REG_SP}, {"lr", CPU_REG_LR}, {"pc", EDIT_REG_PC}, {"flags", EDIT_REG_FLAGS}};
    if (*name == '$')
        name++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].reg;
    if (name[0] == 'r' && name[1] >= '0' && name[1] <= '9') {
        int n = name[1] - '0';
        if (name[2] >= '0' && name[2] <= '9' && name[3] == '\0')
            n = n * 10 + name[2] - '0';
        else if (name[2] != '\0')
            return -1;
        return n < CPU_NREGS ? n : -1;
    }
    return -1;
}

int ui_dbg_set_register(ui_dbg_t *dbg, const char *name, uint32_t value)
{
    cpu_t *cpu = &dbg->m->cpu[dbg->focus];
    int reg = ui_dbg_register_number(name);
    if (reg < 0)
        return dbg_fail(dbg, "\"%s\" is not a register: use r0..r15, sp, lr, pc or flags.", name);
    if (reg == 0)
        return dbg_fail(dbg, "r0 always reads 0 (writes to it are ignored): it cannot be set.");
    if (ui_dbg_pcpu_exit_pending(dbg, dbg->focus))
        return dbg_fail(dbg,
                        "cpu%u waits in the hypervisor (C code) to handle an exit: its "
                        "registers are the hypervisor's; \"finish\" runs to the VM entry.",
                        dbg->focus);
    uint32_t *slot = reg == EDIT_REG_PC      ? &cpu->s.pc
                     : reg == EDIT_REG_FLAGS ? &cpu->s.flags
                                             : &cpu->s.r[reg];
    if (reg == EDIT_REG_PC && (value & 3))
        return dbg_fail(dbg, "0x%08x is not a multiple of 4: instructions are 4-byte aligned.",
                        value);
    uint32_t old = *slot;
    *slot = value;
    emit_edit(dbg, 0, (uint32_t)reg, old, value);
    dbg_reverse_forget(dbg); /* the past no longer leads here */
    return 0;
}

int ui_dbg_write(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t value)
{
    uint32_t old, hpa;
    if (addr & 3)
        return dbg_fail(dbg, "0x%08x is not a multiple of 4: set writes an aligned word.", addr);
    /* Reading first checks the address the way every other command does (RAM only). */
    if (ui_dbg_read(dbg, space, addr, &old, 4) != 0 || ui_dbg_to_hpa(dbg, space, addr, &hpa) != 0)
        return -1;
    memcpy(&dbg->m->ram[hpa], &value, 4);
    sim_ram_written(dbg->m, hpa, 4);
    emit_edit(dbg, 1u + (unsigned)space, addr, old, value);
    dbg_reverse_forget(dbg); /* the past no longer leads here */
    return 0;
}

void dbg_text_edit(ui_dbg_t *d, const sim_event_t *ev, char *buf, size_t len)
{
    static const char *const regs[] = {
        [CPU_REG_SP] = "sp", [CPU_REG_LR] = "lr", [EDIT_REG_PC] = "pc", [EDIT_REG_FLAGS] = "flags"};
    char sym[96], reg[8];
    if (ev->from_mode == 0) {
        if (ev->a < sizeof regs / sizeof regs[0] && regs[ev->a])
            snprintf(reg, sizeof reg, "%s", regs[ev->a]);
        else
            snprintf(reg, sizeof reg, "r%u", ev->a & 0xffu);
        snprintf(buf, len, "the debugger set %s of cpu%u to 0x%08x (was 0x%08x)", reg, ev->cpu,
                 ev->b, ev->pc);
        return;
    }
    ui_dbg_space_t space = (ui_dbg_space_t)(ev->from_mode - 1);
    snprintf(buf, len, "the debugger wrote 0x%08x to %s 0x%08x%s (was 0x%08x)", ev->b,
             ui_dbg_space_name(space), ev->a, ui_dbg_symbolize_in(d, space, ev->a, sym, sizeof sym),
             ev->pc);
}
