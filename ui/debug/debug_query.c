/*
 * debug_query.c - what the debugger answers without running anything: symbols, the focus,
 * memory in any address space, translations, the event log, commands that change a setting,
 * and the VMs that this machine does not have yet.
 */
#include <stdlib.h>
#include <string.h>

#include "debug_internal.h"

/* ------------------------------------------------------------------------------------------
 * Symbols and focus
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_set_symbols(ui_dbg_t *dbg, const cpu_symbol_t *syms, size_t n)
{
    return dbg_store_symbols(dbg, 0, syms, n);
}

const cpu_symbol_t *ui_dbg_symbols(const ui_dbg_t *dbg, size_t *n)
{
    *n = dbg->nsyms;
    return dbg->syms;
}

const char *ui_dbg_symbolize(const ui_dbg_t *dbg, uint32_t addr, char *buf, size_t len)
{
    return ui_dbg_symbolize_in(dbg, UI_DBG_SPACE_GVA, addr, buf, len); /* the focus's table */
}

unsigned ui_dbg_focus(const ui_dbg_t *dbg)
{
    return dbg->focus;
}

int ui_dbg_set_focus(ui_dbg_t *dbg, unsigned cpu)
{
    if (cpu >= dbg->m->ncpus)
        return dbg_fail(dbg, "There is no cpu%u: this machine has %u CPU%s (cpu0%s).", cpu,
                        dbg->m->ncpus, dbg->m->ncpus == 1 ? "" : "s",
                        dbg->m->ncpus == 1 ? "" : " and up");
    dbg->focus = cpu;
    dbg_focus_follow_cpu(dbg); /* its guest's addresses and symbols, when it runs one */
    return 0;
}

const cpu_t *ui_dbg_cpu(const ui_dbg_t *dbg, unsigned cpu)
{
    return cpu < dbg->m->ncpus ? &dbg->m->cpu[cpu] : NULL;
}

const cpu_state_t *ui_dbg_prev_state(const ui_dbg_t *dbg, unsigned cpu)
{
    if (dbg->has_sub_view && dbg->sub_view.cpu == cpu)
        return &dbg->sub_prev; /* a sub-step: what the state was before its action */
    return cpu < dbg->m->ncpus ? &dbg->prev[cpu] : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Memory by space
 * ------------------------------------------------------------------------------------------ */
static const char *const space_names[UI_DBG_SPACE_COUNT] = {
#define UI_DBG_X_SPACENAME(name, str, doc) str,
    UI_DBG_SPACES(UI_DBG_X_SPACENAME)
#undef UI_DBG_X_SPACENAME
};

const char *ui_dbg_space_name(ui_dbg_space_t space)
{
    return space < UI_DBG_SPACE_COUNT ? space_names[space] : "?";
}

int ui_dbg_space_by_name(const char *name)
{
    for (int i = 0; i < UI_DBG_SPACE_COUNT; i++)
        if (strcmp(space_names[i], name) == 0)
            return i;
    return -1;
}

ui_dbg_space_t ui_dbg_default_space(const ui_dbg_t *dbg)
{
    if (dbg_space_vm(dbg) >= 0)
        return UI_DBG_SPACE_GVA; /* a VM's addresses: as its programs see them */
    return mmu_active(&dbg->m->cpu[dbg->focus].mmu) ? UI_DBG_SPACE_GVA : UI_DBG_SPACE_HPA;
}

void dbg_walk_nested(ui_dbg_t *d, uint32_t root_pfn, unsigned levels, uint32_t addr,
                     mmu_access_t kind, mmu_result_t *res, mmu_trace_t *trace)
{
    uint8_t reason = 0;
    uint32_t leaf;
    mmu_trace_t local;
    mmu_trace_t *t = trace ? trace : &local;
    /* The nested tables alone, walked as the MMU walks them (its IO walker has no TLB and
     * sets no A/D bits); the references are labelled as the nested ones they are. */
    res->status = mmu_walk_io(d->m, root_pfn, levels, addr, kind, t, &leaf, &reason);
    res->pa = t->pa;
    res->reason = reason;
    res->walked = true;
    t->nested = 1;
    for (unsigned i = 0; i < t->n; i++) {
        t->ref[i].space = MMU_SPACE_NESTED;
        t->ref[i].for_level = MMU_FOR_DATA;
        t->ref[i].gpa = addr;
    }
}

int ui_dbg_translate(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, mmu_access_t kind,
                     mmu_result_t *res, mmu_trace_t *trace)
{
    const cpu_t *cpu = &dbg->m->cpu[dbg->focus];
    memset(res, 0, sizeof *res);
    if (trace)
        memset(trace, 0, sizeof *trace);
    if (space == UI_DBG_SPACE_HPA)
        return dbg_fail(dbg,
                        "hpa 0x%08x is a host-physical address: there is nothing to "
                        "translate.",
                        addr);
    int hv = dbg_translate_hv(dbg, space, addr, kind, res, trace);
    if (hv <= 0)
        return hv;
    if (space == UI_DBG_SPACE_GPA) {
        if (!cpu->mmu.nested.enabled)
            return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " Guest-physical addresses need one.");
        dbg_walk_nested(dbg, cpu->mmu.nested.root_pfn, cpu->mmu.nested.levels, addr, kind, res,
                        trace);
        return 0;
    }
    if (!mmu_active(&cpu->mmu))
        return dbg_fail(dbg,
                        "cpu%u has paging off (ptroot = 0x%08x), so gva 0x%08x means "
                        "nothing yet; use hpa:0x%08x.",
                        dbg->focus, cpu->mmu.ptroot, addr, addr);
    mmu_priv_t priv = cpu_mode(cpu) == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
    *res = mmu_translate_probe(&cpu->mmu, dbg->m, addr, kind, priv, trace);
    return 0;
}

int ui_dbg_to_hpa(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t *hpa)
{
    if (space == UI_DBG_SPACE_HPA) {
        *hpa = addr;
        return 0;
    }
    mmu_result_t res;
    if (ui_dbg_translate(dbg, space, addr, MMU_LOAD, &res, NULL) != 0)
        return -1;
    /* A debugger reads what is mapped, readable or not: an execute-only page (a binary
     * translator's code) is read through its fetch permission. */
    if (res.status == MMU_PAGE_FAULT && res.reason == MMU_OUTCOME_PERMISSION &&
        ui_dbg_translate(dbg, space, addr, MMU_FETCH, &res, NULL) != 0)
        return -1;
    if (res.status == MMU_OK) {
        *hpa = res.pa;
        return 0;
    }
    if (res.status == MMU_NESTED_FAULT)
        return dbg_fail(dbg,
                        "%s 0x%08x is not mapped: the nested tables fault on gpa 0x%08x "
                        "(%s).",
                        ui_dbg_space_name(space), addr, res.nested.gpa,
                        mmu_outcome_name(res.nested.reason));
    return dbg_fail(dbg, "%s 0x%08x is not mapped: the page walk ends in %s.",
                    ui_dbg_space_name(space), addr, mmu_outcome_name(res.reason));
}

static const sim_device_t *device_at(const sim_machine_t *m, uint32_t addr)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        const sim_device_t *dev = &m->devices[i];
        if (dev->mmio_size && addr >= dev->mmio_base && addr - dev->mmio_base < dev->mmio_size)
            return dev;
    }
    return NULL;
}

int ui_dbg_read(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    const sim_machine_t *m = dbg->m;
    uint32_t hpa = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t a = addr + (uint32_t)i;
        if (i == 0 || (space != UI_DBG_SPACE_HPA && (a & MMU_PAGE_OFFSET) == 0)) {
            if (ui_dbg_to_hpa(dbg, space, a, &hpa) != 0)
                return -1;
        } else {
            hpa++;
        }
        if (hpa >= m->ram_size) {
            const sim_device_t *dev = device_at(m, hpa);
            if (dev)
                return dbg_fail(dbg,
                                "hpa 0x%08x is a register of the %s device: the debugger "
                                "does not read devices, since reading has side effects.",
                                hpa, dev->name);
            return dbg_fail(dbg,
                            "hpa 0x%08x is outside RAM (RAM is hpa 0x00000000 to "
                            "0x%08x).",
                            hpa, m->ram_size - 1);
        }
        out[i] = dbg_ram_byte(dbg, hpa); /* at a sub-step: as of its action */
    }
    return 0;
}

bool ui_dbg_disasm(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, char *buf, size_t len)
{
    uint8_t b[4];
    if ((addr & 3) || ui_dbg_read(dbg, space, addr, b, 4) != 0) {
        snprintf(buf, len, "(cannot be read)");
        return false;
    }
    uint32_t word =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    size_t n;
    const cpu_symbol_t *syms = dbg_symbols_for(dbg, space, &n); /* branch targets: its space's */
    cpu_disasm(word, addr, syms, n, buf, len);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Events, commands, VMs
 * ------------------------------------------------------------------------------------------ */
size_t ui_dbg_event_count(const ui_dbg_t *dbg)
{
    return dbg->log_n;
}

bool ui_dbg_event_happened(const ui_dbg_t *dbg, size_t index)
{
    uint64_t n = dbg->log_total - dbg->log_n + index;
    return index < dbg->log_n && !(n >= dbg->ahead_from && n < dbg->ahead_to);
}

size_t ui_dbg_events_ahead(const ui_dbg_t *dbg)
{
    return dbg->ahead_to == dbg->log_total ? (size_t)(dbg->ahead_to - dbg->ahead_from) : 0;
}

const sim_event_t *ui_dbg_event(const ui_dbg_t *dbg, size_t index)
{
    if (index >= dbg->log_n)
        return NULL;
    return &dbg->log[(dbg->log_head + index) % UI_DBG_LOG];
}

void ui_dbg_set_trace(ui_dbg_t *dbg, sim_event_sink_fn fn, void *ctx)
{
    dbg->trace_fn = fn;
    dbg->trace_ctx = ctx;
}

int ui_dbg_set_cost(ui_dbg_t *dbg, const char *name, uint32_t value)
{
    int c = sim_cost_by_name(name);
    if (c < 0)
        return dbg_fail(dbg, "There is no cost called \"%s\" (\"info costs\" lists them).", name);
    dbg->m->costs.c[c] = value;
    dbg_reverse_forget(dbg); /* the past replayed with the old cost would not lead here */
    return 0;
}
