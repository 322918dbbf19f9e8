/*
 * hv_shadow_trace.c - write-protect traces ([hypervisor] shadow_sync = trace): the other way
 * of keeping shadow page tables in step with the guest's, the one VMware's VMMs used (their
 * "traces"; Adams and Agesen, ASPLOS 2006, whose hardware VMM paid an exit for each).
 *
 * Lecture idea: by default (shadow_sync = tlbinv) the shadow is a virtual TLB: it may be
 * stale until the guest invalidates its TLB, which the guest must do anyway, and the
 * hypervisor drops what the guest invalidates (hv_shadow.c). With traces, every guest page
 * that a shadow was built from (each page-table page the hypervisor's software walk read) is
 * write-protected in the shadows. A guest store to one faults: an exit under hardware
 * assist, a trap into the co-resident monitor under binary translation. The hypervisor
 * performs the store itself and at once drops what the shadows held for the entry it
 * changed (a leaf, or the shadow table that stood for a table entry), and the guest goes on
 * after the store. The shadows are then never stale, so the guest's tlbinv and tlbflush need
 * not exit (the TLB control is off) and do nothing under trap-and-emulate or BT.
 *
 * The price moves: no exit per tlbinv, but an exit (or a monitor trap) per store to a page
 * table, and a scan of the shadows each time a page becomes traced (which shadow entries map
 * it writable: no reverse map is kept). A guest building a fresh address space in a reused
 * page-table page pays a fault per entry, which is why the paper's VT VMM was slow on
 * forkwait and why VMware's BT adapted the storing instructions (docs/experiments.md).
 *
 * Which entry a store changed: each traced page remembers the level the walk read it at and
 * the first guest-virtual address its entry 0 maps, so entry i maps base + i << shift. A page
 * seen at two levels or places (shared oddly, or reused) is marked ambiguous, and a store to
 * it empties every shadow of the VM: slow, always correct. The set holds HV_SHADOW_TRACES
 * pages; when it is full, every trace goes with every shadow of the VM before the next entry
 * (not during the walk that found it full: the fill it serves would rest on a dropped trace).
 *
 * Costs: the emulated store's words and the instruction's fetch (hv_mem), the shadow entries
 * read and cleared, the scans of hv_shadow_write_protect, on top of the exit or monitor trap.
 */
#include "hv_internal.h"
#include "hv_technique.h"
#include "hv_bt_internal.h"

bool hv_shadow_tracing(const hv_t *hv, const hv_vcpu_t *v)
{
    return hv->cfg.shadow_trace && hv_shadow_vcpu(hv, v);
}

static int find_trace(const hv_vm_t *m, uint32_t gpa)
{
    for (unsigned i = 0; i < m->ntraced; i++)
        if (m->traced[i].gpa == (gpa & ~MMU_PAGE_OFFSET))
            return (int)i;
    return -1;
}

/* log2 of the region one entry of a table of `level` maps (12 for a leaf table). */
static unsigned entry_shift(unsigned n, unsigned level)
{
    unsigned shift = MMU_PAGE_SHIFT;
    for (unsigned l = 0; l < level; l++)
        shift += mmu_index_bits(n, l);
    return shift;
}

/* The first address a table of `level` maps when it is on the way to va. */
static uint32_t table_base(unsigned n, unsigned level, uint32_t va)
{
    unsigned reach = entry_shift(n, level) + mmu_index_bits(n, level);
    return reach >= 32 ? 0 : va >> reach << reach;
}

void hv_shadow_trace_table(hv_t *hv, hv_vcpu_t *v, uint32_t table, unsigned level, uint32_t va)
{
    if (!hv_shadow_tracing(hv, v))
        return;
    hv_vm_t *m = &hv->vms[v->vm];
    unsigned n = hv->m->mmu_config.levels;
    uint32_t base = table_base(n, level, va), hpa;
    int t = find_trace(m, table);
    if (t >= 0) {
        if (m->traced[t].level != level || m->traced[t].base != base)
            m->traced[t].ambiguous = 1;
        return;
    }
    if (m->ntraced == HV_SHADOW_TRACES) {
        m->trace_reset = 1; /* emptied before the next entry; until then, nothing is traced */
        return;
    }
    m->traced[m->ntraced++] =
        (hv_shadow_trace_t){.gpa = table, .base = base, .level = (uint8_t)level};
    m->stats.shadow.traces++;
    hv_emit(hv, SIM_HV_SHADOW_TRACE, v->vm, v->index, table);
    if (hv_gpa_to_hpa(hv, (unsigned)v->vm, table, false, &hpa))
        hv_shadow_write_protect(hv, (unsigned)v->vm, hpa & ~MMU_PAGE_OFFSET);
}

/* Every trace goes, and every shadow of the VM with it (nothing in them rests on one now). */
static void drop_traces(hv_t *hv, unsigned vm)
{
    hv_shadow_forget_vm(hv, vm);
    hv->vms[vm].ntraced = 0;
    hv->vms[vm].trace_reset = 0;
    hv->vms[vm].stats.shadow.trace_resets++;
}

/* A store the monitor cannot perform (no word it can read): the page is traced no more, and
 * no shadow rests on it (every shadow of the VM is emptied; the walk's other traces stay). */
static void untrace(hv_t *hv, unsigned vm, unsigned t)
{
    hv_vm_t *m = &hv->vms[vm];
    hv_shadow_forget_vm(hv, vm);
    m->traced[t] = m->traced[--m->ntraced];
}

void hv_shadow_trace_before_entry(hv_t *hv, hv_vcpu_t *v)
{
    if (hv->vms[v->vm].trace_reset)
        drop_traces(hv, (unsigned)v->vm);
}

/* The store at gpa changed one entry of traced page t: every shadow of every VCPU of the VM
 * drops what stood for it (a root-level page only in the trees of that address space). */
static void sync_entry(hv_t *hv, hv_vcpu_t *v, const hv_shadow_trace_t *t, uint32_t gpa)
{
    hv_vm_t *m = &hv->vms[v->vm];
    unsigned n = hv->m->mmu_config.levels;
    uint32_t index = (gpa & MMU_PAGE_OFFSET) / 4;
    if (t->ambiguous) {
        hv_shadow_forget_vm(hv, (unsigned)v->vm);
        return;
    }
    if (index >= 1u << mmu_index_bits(n, t->level))
        return; /* past the entries the MMU uses at this level */
    uint32_t va = t->base + (index << entry_shift(n, t->level));
    for (unsigned i = 0; i < m->nvcpus; i++) {
        hv_vcpu_t *w = &hv->ent[m->vcpu[i]];
        for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++) {
            const hv_shadow_ctx_t *c = &w->shadow.ctx[slot];
            bool root = t->level == n - 1;
            if (c->root && (!root || MMU_PTROOT_PFN(c->guest_ptroot) == t->gpa >> MMU_PAGE_SHIFT))
                hv_shadow_drop_region(hv, w, slot, va, t->level);
        }
    }
}

/* The instruction that stored: the TC word under BT, else the guest's word at its pc. */
static bool storing_word(hv_t *hv, hv_vcpu_t *v, uint32_t *word)
{
    if (hv_bt_vcpu(hv, v))
        return hv_bt_faulting_word(hv, v, word);
    return hv_guest_fetch(hv, v, hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC), word);
}

/* Performs the guest's store to traced page t (at gpa, hpa), updates the shadows and moves
 * the guest past it. False when the word is no store the monitor can perform. */
static bool emulate_store(hv_t *hv, hv_vcpu_t *v, int t, uint32_t gpa, uint32_t hpa)
{
    hv_vm_t *m = &hv->vms[v->vm];
    uint32_t word;
    if (!storing_word(hv, v, &word) || !hv_bt_perform(hv, v, word, gpa, hpa))
        return false;
    sync_entry(hv, v, &m->traced[t], gpa);
    m->stats.shadow.trace_stores++;
    if (!hv_bt_vcpu(hv, v)) { /* a fault's exit gives no instruction length: a word */
        uint32_t pc = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC);
        hv_move_guest_pc(hv, v, pc, pc + 4);
        return true;
    }
    bool code = hv_bt_page_protected(hv, (unsigned)v->vm, gpa) &&
                hv_bt_code_written(hv, v, gpa & ~3u, 4); /* a page table beside code */
    if (!code && v->bt.resume_tc && hv_bt_adapt_count(hv, v, v->bt.resume_guest, word))
        code = !hv_bt_retranslate_site(hv, v, v->bt.resume_guest); /* adapted from now on */
    hv_bt_go_on(hv, v, code);
    return true;
}

bool hv_shadow_trace_stored(hv_t *hv, hv_vcpu_t *v, uint32_t gpa)
{
    hv_vm_t *m = &hv->vms[v->vm];
    int t = hv_shadow_tracing(hv, v) ? find_trace(m, gpa) : -1;
    if (t < 0)
        return false;
    sync_entry(hv, v, &m->traced[t], gpa);
    m->stats.shadow.trace_stores++;
    return true;
}

bool hv_shadow_trace_fill(hv_t *hv, hv_vcpu_t *v, mmu_access_t kind, uint32_t gpa, uint32_t hpa,
                          uint32_t *bits)
{
    if (!hv_shadow_tracing(hv, v))
        return false;
    int t = find_trace(&hv->vms[v->vm], gpa);
    if (t < 0)
        return false;
    if (kind == MMU_STORE) {
        if (emulate_store(hv, v, t, gpa, hpa))
            return true;
        untrace(hv, (unsigned)v->vm, (unsigned)t); /* the store then runs as it is */
        return false;
    }
    *bits &= ~MMU_PTE_W;
    return false;
}

void hv_shadow_trace_dma(hv_t *hv, unsigned vm, uint32_t gpa, size_t len)
{
    const hv_vm_t *m = &hv->vms[vm];
    if (!hv->cfg.shadow_trace || m->mem != HV_MEM_SHADOW)
        return;
    for (unsigned i = 0; i < m->ntraced; i++)
        if (m->traced[i].gpa < gpa + len && gpa < m->traced[i].gpa + MMU_PAGE_SIZE) {
            drop_traces(hv, vm);
            return;
        }
}
