/*
 * debug_watch.c - watchpoints (watch, rwatch, awatch) on gva:, gpa: and hpa: words, checked
 * where every access ends up: at the host-physical word.
 *
 * A word of memory can be reached in many ways: a guest's load or store through nested or
 * shadow translation, the hypervisor reading or writing on the guest's behalf (its page-table
 * walks in software, A/D bits, a virtual disk's copy), or a device's DMA through the IOMMU. So
 * a watchpoint is resolved to the host-physical word(s) behind its address - a gva through the
 * guest's own page tables of each of its VM's VCPUs and then the VM's nested tables, a gpa
 * through the nested tables - and every access is compared with those words. The resolution
 * is redone whenever a mapping may have changed (a page walk, a TLB flush, a hypervisor
 * action, a VM entry), and a CPU's access to the watched gva itself, in its VM, counts too
 * (a process whose tables map it elsewhere still touches "its" word).
 *
 * The CPUs report loads and stores through cpu->watch_fn; the hypervisor and the IOMMU through
 * m->mem_watch, which is set only while a run has watchpoints. A write is reported before it
 * changes memory, so the old value is read from RAM itself and is right from the first hit.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

/* ------------------------------------------------------------------------------------------
 * Resolving a watchpoint to host-physical words
 * ------------------------------------------------------------------------------------------ */
static void add_word(ui_dbg_bp_t *bp, uint32_t hpa)
{
    for (unsigned i = 0; i < bp->nwords; i++)
        if (bp->words[i] == hpa)
            return;
    if (bp->nwords < UI_DBG_WATCH_WORDS)
        bp->words[bp->nwords++] = hpa;
}

/* A VCPU's own page-table root: under shadow paging the one the guest wrote (the real one is
 * the shadow's), else the live pCPU's or the one its VMCB saved. */
static uint32_t guest_ptroot(const ui_dbg_t *d, const hv_t *hv, unsigned vm, unsigned i)
{
    const hv_vcpu_t *e = &hv->ent[hv->vms[vm].vcpu[i]];
    if (hv->vms[vm].mem == HV_MEM_SHADOW)
        return hv_shadow_guest_ptroot(hv, vm, i);
    if (e->on_cpu >= 0) {
        const cpu_t *cpu = &d->m->cpu[e->on_cpu];
        if (cpu_in_guest(cpu) && cpu->s.vm.vmcb == e->vmcb)
            return cpu->mmu.ptroot;
    }
    return cpu_vmcb_peek(&d->m->cpu[0], e->vmcb, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT));
}

/* A VM's gva (through each VCPU's own tables, then the nested ones) or gpa (the nested ones). */
static void resolve_vm(ui_dbg_t *d, ui_dbg_bp_t *bp)
{
    static mmu_t view; /* large (the TLB): kept off the stack */
    const hv_t *hv = hv_of_machine(d->m);
    if (!hv || bp->vm < 0 || (unsigned)bp->vm >= hv->nvms || !hv->vms[bp->vm].used)
        return;
    const hv_vm_t *v = &hv->vms[bp->vm];
    mmu_nested_t nested = {.enabled = 1,
                           .levels = d->m->mmu_config.nested_levels,
                           .vmid = v->vmid,
                           .root_pfn = v->nested_root >> MMU_PAGE_SHIFT};
    view = d->m->cpu[0].mmu;
    mmu_set_nested(&view, &nested);
    unsigned n = bp->space == UI_DBG_SPACE_GPA ? 1 : v->nvcpus;
    for (unsigned i = 0; i < n; i++) {
        /* A gpa is a gva with guest paging off: only the nested dimension is walked. */
        mmu_set_ptroot(
            &view, bp->space == UI_DBG_SPACE_GPA ? 0 : guest_ptroot(d, hv, (unsigned)bp->vm, i));
        mmu_result_t r =
            mmu_translate_probe(&view, d->m, bp->addr, MMU_LOAD, MMU_PRIV_KERNEL, NULL);
        if (r.status != MMU_OK)
            r = mmu_translate_probe(&view, d->m, bp->addr, MMU_LOAD, MMU_PRIV_USER, NULL);
        if (r.status == MMU_OK)
            add_word(bp, r.pa);
    }
}

/* A gva on bare metal (or of the hypervisor): through each CPU's page tables while it pages. */
static void resolve_machine_gva(ui_dbg_t *d, ui_dbg_bp_t *bp)
{
    for (unsigned c = 0; c < d->m->ncpus; c++) {
        const cpu_t *cpu = &d->m->cpu[c];
        if (!mmu_active(&cpu->mmu) || cpu_in_guest(cpu))
            continue;
        mmu_result_t r =
            mmu_translate_probe(&cpu->mmu, d->m, bp->addr, MMU_LOAD, MMU_PRIV_KERNEL, NULL);
        if (r.status == MMU_OK)
            add_word(bp, r.pa);
    }
}

static void resolve(ui_dbg_t *d, ui_dbg_bp_t *bp)
{
    bp->nwords = 0;
    if (bp->space == UI_DBG_SPACE_HPA)
        add_word(bp, bp->addr);
    else if (bp->vm >= 0)
        resolve_vm(d, bp);
    else
        resolve_machine_gva(d, bp);
}

/* The value of a watched range in RAM now (len 1, 2 or 4). */
static uint32_t ram_value(const ui_dbg_t *d, uint32_t hpa, uint32_t len)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < len && hpa + i < d->m->ram_size; i++)
        v |= (uint32_t)d->m->ram[hpa + i] << (8 * i);
    return v;
}

static bool any_watch(const ui_dbg_t *d)
{
    for (size_t i = 0; i < d->nbp; i++)
        if (d->bp[i].kind == UI_DBG_BP_WATCH && d->bp[i].enabled)
            return true;
    return false;
}

/* Re-resolves every gva and gpa watchpoint; a word that moved gets its value read afresh. */
static void resolve_all(ui_dbg_t *d)
{
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        if (bp->kind != UI_DBG_BP_WATCH || !bp->enabled || bp->space == UI_DBG_SPACE_HPA)
            continue;
        uint32_t first = bp->nwords ? bp->words[0] : UINT32_MAX;
        resolve(d, bp);
        if (bp->nwords && bp->words[0] != first)
            bp->last = ram_value(d, bp->words[0], bp->len);
    }
}

/* ------------------------------------------------------------------------------------------
 * Checking accesses
 * ------------------------------------------------------------------------------------------ */
/* The byte at hpa as the access leaves it: its own byte for a write, RAM's otherwise. */
static uint8_t byte_after(const ui_dbg_t *d, const sim_mem_access_t *acc, uint32_t hpa)
{
    if (acc->write && acc->data && hpa >= acc->hpa && hpa - acc->hpa < acc->len)
        return acc->data[hpa - acc->hpa];
    return hpa < d->m->ram_size ? d->m->ram[hpa] : 0;
}

/* The host-physical word of bp that the access touches, or false. A CPU's access to the
 * watched gva in the watchpoint's own context counts wherever its tables map it. */
static bool hit_word(const ui_dbg_bp_t *bp, const sim_mem_access_t *acc, const cpu_t *cpu,
                     uint32_t *word)
{
    for (unsigned i = 0; i < bp->nwords; i++)
        if (acc->hpa < bp->words[i] + bp->len && bp->words[i] < acc->hpa + acc->len) {
            *word = bp->words[i];
            return true;
        }
    if (!cpu || bp->space != UI_DBG_SPACE_GVA || !mmu_active(&cpu->mmu))
        return false;
    bool mine = bp->vm < 0 ? !cpu_in_guest(cpu) : cpu_in_guest(cpu) && cpu->s.vm.vm_label == bp->vm;
    if (!mine || acc->va >= bp->addr + bp->len || bp->addr >= acc->va + acc->len)
        return false;
    *word = acc->hpa + (bp->addr - acc->va); /* the word sits at the same offset in the page */
    return true;
}

/* The hypervisor's exit handler running on the pCPU of an access it makes (1 + the reason),
 * 0 for none: noted at the access, since the handler has returned when the stop is told. */
static unsigned handler_now(const ui_dbg_t *d, const sim_mem_access_t *acc)
{
    const hv_t *hv = hv_of_machine(d->m);
    if (!hv || acc->by != SIM_BY_HV || acc->cpu < 0)
        return 0;
    return hv->pcpu[acc->cpu].in_handler;
}

/* The CPU to stop: the one that made the access; for the hypervisor outside any pCPU, a pCPU
 * that runs (or is pinned to) the VM it worked for, whose guest sees the change next; else
 * the focus. */
static unsigned stop_cpu(const ui_dbg_t *d, const sim_mem_access_t *acc)
{
    if (acc->cpu >= 0)
        return (unsigned)acc->cpu;
    const hv_t *hv = hv_of_machine(d->m);
    if (!hv || acc->vm < 0 || (unsigned)acc->vm >= hv->nvms)
        return d->focus;
    for (unsigned c = 0; c < d->m->ncpus; c++)
        if (hv_pcpu_vm(hv, c) == acc->vm)
            return c;
    const hv_vcpu_t *e = &hv->ent[hv->vms[acc->vm].vcpu[0]];
    return e->pin >= 0 ? (unsigned)e->pin : d->focus;
}

/* Checks one access against the watchpoints; the first that fires records a pending stop on
 * the CPU that made it (or, for a device or the hypervisor outside any pCPU, on the focus). */
static void check(ui_dbg_t *d, const sim_mem_access_t *acc, const cpu_t *cpu)
{
    /* The first hit of a run is the stop; only a write may replace a read waiting to stop
     * (a page walk reads an entry, then sets its A bit: the change is what matters). */
    bool supersede = acc->write && d->pending && d->pend.kind == UI_DBG_STOP_WATCHPOINT &&
                     d->pend.access == UI_DBG_READ;
    if (!d->running || (d->pending && !supersede))
        return;
    unsigned access = acc->write ? UI_DBG_WRITE : UI_DBG_READ;
    bool first = true;
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        uint32_t word;
        if (bp->kind != UI_DBG_BP_WATCH || !bp->enabled || !(bp->access & access) ||
            !hit_word(bp, acc, cpu, &word))
            continue;
        uint32_t after = 0;
        for (uint32_t b = 0; b < bp->len; b++)
            after |= (uint32_t)byte_after(d, acc, word + b) << (8 * b);
        bp->last = after;
        /* Its condition and ignore count (debug_bpx.c) decide, and count the hit. */
        if (!dbg_bp_fires(d, bp, cpu ? cpu : &d->m->cpu[d->focus]))
            continue;
        if (!first) { /* the same access seen through another space or address: named too */
            if (d->pend.nalso < sizeof d->pend.also / sizeof d->pend.also[0])
                d->pend.also[d->pend.nalso++] = bp->id;
            continue;
        }
        first = false;
        dbg_make_pending(d, stop_cpu(d, acc), UI_DBG_STOP_WATCHPOINT, bp->id);
        d->pend.access = access;
        d->pend.addr = bp->addr;
        d->pend.hpa = word;
        d->pend.value = after;
        d->pend.old = ram_value(d, word, bp->len); /* a write has not happened yet */
        d->pend.old_known = acc->write;
        d->pend.insn_pc = acc->pc;
        d->pend.by = *acc;
        d->pend.by.data = NULL; /* the bytes are gone when the stop is read */
        d->pend.handler = handler_now(d, acc);
    }
}

void dbg_watch_cpu_access(cpu_t *cpu, void *ctx, uint32_t va, uint32_t pa, unsigned size,
                          bool write, uint32_t value)
{
    ui_dbg_t *d = ctx;
    uint8_t bytes[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                        (uint8_t)(value >> 24)};
    sim_mem_access_t acc = {.by = SIM_BY_CPU,
                            .write = write,
                            .cpu = (int8_t)cpu->s.id,
                            .vm = (int8_t)(cpu_in_guest(cpu) ? cpu->s.vm.vm_label : -1),
                            .hpa = pa,
                            .len = size,
                            .data = bytes,
                            .va = va,
                            .pc = cpu->s.pc};
    check(d, &acc, cpu);
}

static void on_mem_access(const sim_mem_access_t *acc, void *ctx)
{
    dbg_undo_note(ctx, acc); /* a sub-step's memory as of its action (debug_exit.c) */
    check(ctx, acc, NULL);
}

void dbg_watch_writes(ui_dbg_t *d)
{
    if (d->m->mem_watch_ctx == d)
        return; /* watchpoints have it already */
    d->m->mem_watch = on_mem_access;
    d->m->mem_watch_ctx = d;
}

void dbg_watch_begin(ui_dbg_t *d)
{
    if (!any_watch(d))
        return;
    resolve_all(d);
    d->m->mem_watch = on_mem_access;
    d->m->mem_watch_ctx = d;
}

void dbg_watch_end(ui_dbg_t *d)
{
    if (d->m->mem_watch_ctx == d) {
        d->m->mem_watch = NULL;
        d->m->mem_watch_ctx = NULL;
    }
}

void dbg_watch_event(ui_dbg_t *d, const sim_event_t *ev)
{
    bool remap = ev->kind == SIM_EV_WALK || ev->kind == SIM_EV_TLBFLUSH || ev->kind == SIM_EV_HV ||
                 ev->kind == SIM_EV_VMENTRY || ev->kind == SIM_EV_VMEXIT ||
                 ev->kind == SIM_EV_NESTEDFAULT;
    if (d->running && remap && d->m->mem_watch_ctx == d)
        resolve_all(d);
}

/* ------------------------------------------------------------------------------------------
 * Setting one
 * ------------------------------------------------------------------------------------------ */
int ui_dbg_watch(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t len, unsigned access)
{
    return ui_dbg_watch_vm(dbg, space, addr, len, access, UI_DBG_ANY_VM);
}

int ui_dbg_watch_vm(ui_dbg_t *dbg, ui_dbg_space_t space, uint32_t addr, uint32_t len,
                    unsigned access, int in_vm)
{
    if (space >= UI_DBG_SPACE_COUNT)
        return dbg_fail(dbg, "Unknown address space %d.", (int)space);
    if (space == UI_DBG_SPACE_GPA && ui_dbg_vm_count(dbg) == 0)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " Guest-physical addresses and VMs need one.");
    if (len != 1 && len != 2 && len != 4)
        return dbg_fail(dbg, "A watchpoint covers 1, 2 or 4 bytes, not %u.", len);
    if (addr & (len - 1))
        return dbg_fail(dbg, "0x%08x is not aligned to %u bytes.", addr, len);
    if (!(access & (UI_DBG_READ | UI_DBG_WRITE)))
        return dbg_fail(dbg, "A watchpoint watches reads, writes or both.");
    if (in_vm != UI_DBG_ANY_VM && dbg_check_vm(dbg, in_vm) != 0)
        return -1;
    int vm = space == UI_DBG_SPACE_HPA ? UI_DBG_ANY_VM
             : in_vm != UI_DBG_ANY_VM  ? in_vm
                                       : dbg_space_vm(dbg);
    /* The hypervisor's own code uses no virtual addresses: a gva or gpa is some VM's. */
    if (space != UI_DBG_SPACE_HPA && vm < 0 && ui_dbg_vm_count(dbg) > 0)
        return dbg_fail(dbg,
                        "A %s watchpoint needs its VM: the focus is the hypervisor. \"focus VM\" "
                        "first, or name a VM's symbol (tinyos:ticks).",
                        ui_dbg_space_name(space));
    /* The value now (a page not yet mapped reads when it is); an hpa must be RAM. */
    uint32_t last = 0;
    if (space == UI_DBG_SPACE_HPA && ui_dbg_read(dbg, space, addr, &last, len) != 0)
        return -1;
    ui_dbg_bp_t *bp = dbg_add_bp(dbg, UI_DBG_BP_WATCH);
    if (!bp)
        return -1;
    bp->space = space;
    bp->addr = addr;
    bp->len = len;
    bp->access = access;
    bp->vm = vm;
    bp->last = last;
    resolve(dbg, bp);
    if (bp->nwords)
        bp->last = ram_value(dbg, bp->words[0], len);
    return bp->id;
}

/* ------------------------------------------------------------------------------------------
 * The stop sentence: what was accessed, by whom, and the value before
 * ------------------------------------------------------------------------------------------ */
/* "by the hypervisor on cpu0, in its NESTED_FAULT handler (hv_handle_nested_fault) for tinyos" */
static void who_hv(const ui_dbg_t *d, const sim_mem_access_t *by, unsigned handler, char *buf,
                   size_t len)
{
    hv_t *hv = hv_of_machine(d->m);
    int vm = by->vm;
    if (by->cpu < 0) {
        snprintf(buf, len, "the hypervisor (%s)%s%s", by->what ? by->what : "outside any pCPU",
                 vm >= 0 ? " for " : "", vm >= 0 ? dbg_vm_name(d, vm) : "");
        return;
    }
    if (vm < 0 && hv)
        vm = hv_pcpu_vm(hv, (unsigned)by->cpu);
    size_t n = (size_t)snprintf(buf, len, "the hypervisor on cpu%d", by->cpu);
    if (n >= len)
        return;
    if (by->what)
        snprintf(buf + n, len - n, ", %s", by->what);
    else if (handler)
        snprintf(buf + n, len - n, ", in its %s handler (%s)", cpu_exit_reason_name(handler - 1),
                 hv_exit_handler_name(handler - 1));
    n = strlen(buf);
    if (vm >= 0 && n < len)
        snprintf(buf + n, len - n, " for %s", dbg_vm_name(d, vm));
}

/* Who made the access, e.g. "`st r1, [r2 + 0]` at 0x00001010 <tick+0x10>" (bare metal, as
 * before), "tinyos's `st ...` at ... on cpu0", "the disk's DMA (IOMMU device 1)". */
static void who(ui_dbg_t *d, const ui_dbg_stop_t *st, char *buf, size_t len)
{
    char insn[96], at[128], sym[96];
    const sim_mem_access_t *by = &st->by;
    switch (by->by) {
    case SIM_BY_HV: who_hv(d, by, st->handler, buf, len); break;
    case SIM_BY_HW: /* the CPU's own machinery: its page walker, VM entry and exit */
        if (by->what && strcmp(by->what, "page walker") == 0)
            snprintf(buf, len, "cpu%d's hardware (its page walker, translating 0x%08x)", by->cpu,
                     by->va);
        else
            snprintf(buf, len, "cpu%d's hardware (%s)", by->cpu, by->what ? by->what : "?");
        break;
    case SIM_BY_DMA:
        if (by->device == SIM_DISK_DMA_ID)
            snprintf(buf, len, "the disk's DMA (IOMMU device %u)", by->device);
        else
            snprintf(buf, len, "DMA by IOMMU device %u", by->device);
        break;
    default:
        if (!ui_dbg_disasm(d, ui_dbg_default_space(d), by->pc, insn, sizeof insn))
            snprintf(insn, sizeof insn, "the instruction");
        if (ui_dbg_translated_from(d, by->pc, sym, sizeof sym)) /* binary translation */
            snprintf(at, sizeof at, "0x%08x (translated from %s)", by->pc, sym);
        else
            snprintf(at, sizeof at, "0x%08x%s", by->pc,
                     ui_dbg_symbolize(d, by->pc, sym, sizeof sym));
        if (by->vm >= 0)
            snprintf(buf, len, "%s's `%s` at %s on cpu%d", dbg_vm_name(d, by->vm), insn, at,
                     by->cpu);
        else if (d->m->ncpus > 1)
            snprintf(buf, len, "`%s` at %s on cpu%d", insn, at, by->cpu);
        else
            snprintf(buf, len, "`%s` at %s", insn, at);
        break;
    }
}

void dbg_text_watch(ui_dbg_t *d, ui_dbg_stop_t *st, const ui_dbg_bp_t *bp)
{
    char sym[96], by[320], was[40] = "", phys[40] = "";
    bool write = st->access == UI_DBG_WRITE;
    ui_dbg_space_t space = bp ? bp->space : UI_DBG_SPACE_HPA;
    if (write && st->old_known)
        snprintf(was, sizeof was, " (was 0x%08x)", st->old);
    if (space != UI_DBG_SPACE_HPA)
        snprintf(phys, sizeof phys, " (hpa 0x%08x)", st->hpa);
    who(d, st, by, sizeof by);
    char full[640];
    int n0 = snprintf(
        full, sizeof full, "Watchpoint %d: %s of 0x%08x %s %s 0x%08x%s%s by %s%s", st->id,
        write ? "write" : "read", st->value, write ? "to" : "from", ui_dbg_space_name(space),
        st->addr,
        dbg_symbolize_for(d, space, bp ? bp->vm : UI_DBG_ANY_VM, st->addr, sym, sizeof sym), phys,
        by, was);
    size_t n = n0 > 0 && (size_t)n0 < sizeof full ? (size_t)n0 : strlen(full);
    for (unsigned i = 0; i < st->nalso && n < sizeof full; i++)
        n += (size_t)snprintf(full + n, sizeof full - n, "%s%d", i ? ", " : "; also watchpoint ",
                              st->also[i]);
    if (n < sizeof full)
        snprintf(full + n, sizeof full - n, ".");
    n = strlen(full);
    if (n >= sizeof st->text)
        n = sizeof st->text - 1;
    memcpy(st->text, full, n);
    st->text[n] = '\0';
}
