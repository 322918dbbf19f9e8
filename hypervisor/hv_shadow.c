/*
 * hv_shadow.c - shadow paging (mem = shadow): how hypervisors virtualized memory before the
 * MMU could walk two dimensions (VMware's VMM, Xen and KVM before EPT/NPT).
 *
 * Lecture idea: the MMU walks one tree only, so the hypervisor gives it a tree of its own, a
 * *shadow* of the guest's: it maps guest-virtual addresses straight to host-physical frames,
 * composing the guest's tables (gva -> gpa) with the hypervisor's own map (gpa -> hpa, here
 * the VM's nested tables, walked in software). The guest's tables are never used by the
 * hardware; the guest's ptroot is virtual (its csrr and csrw exit), and the real ptroot is
 * the shadow's root.
 *
 * Keeping the shadow in step. This hypervisor fills shadows *lazily* and by default keeps them
 * as a virtual TLB (the alternative, write-protecting every guest page-table page and trapping
 * each write, VMware's "traces", is shadow_sync = trace: hv_shadow_trace.c):
 *   - a shadow starts empty; the guest's first touch of a page faults, the fault exits, the
 *     hypervisor walks the guest's tables in software: if the guest's own tables forbid the
 *     access, it is a *guest* fault, delivered to the guest kernel; otherwise it is a *hidden*
 *     fault: the hypervisor fills the shadow entry and the instruction runs again;
 *   - a guest must invalidate its TLB after changing an entry (tlbinv, tlbflush) or switch
 *     address spaces (csrw ptroot) anyway: those exit too (the TLB-invalidation control and the
 *     ptroot CSR exits), and the hypervisor drops the entry, empties the tree, or loads the
 *     tree of the other address space (a few are kept, least recently used replaced).
 * Accessed and dirty bits reach the guest's tables because the hypervisor sets them when it
 * walks: A on every fill, D when the fill is for a store. A page whose D is still clear is
 * shadowed read-only, so the guest's first store to it faults (hidden) and sets D.
 *
 * A deprivileged guest kernel (cpu = trap or bt) runs in real U, where the guest's
 * supervisor-only pages would refuse it. So each address space has two shadows: the kernel's
 * view maps the guest's kernel pages with U set (and the guest's user pages without X: a
 * kernel may not run user code), the user's view maps only what the guest gives U.
 *
 * Costs: every exit, every software walk step (hv_read32), every shadow entry written
 * (hv_write32) and every shadow table taken from the pool (hv_zero_page) are charged: what
 * shadow paging costs follows from counting them (docs/experiments.md, "pgfault", "ptemod").
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

#define ALL_ONES 0xffffffffu
#define PAGE_FAULTS                                                                                \
    (1u << CPU_CAUSE_FETCH_PAGE_FAULT | 1u << CPU_CAUSE_LOAD_PAGE_FAULT |                          \
     1u << CPU_CAUSE_STORE_PAGE_FAULT)
#define SHADOW_BITS (MMU_PTE_R | MMU_PTE_W | MMU_PTE_X | MMU_PTE_U) /* copied from the guest */

bool hv_shadow_vcpu(const hv_t *hv, const hv_vcpu_t *v)
{
    return v->vm >= 0 && hv->vms[v->vm].mem == HV_MEM_SHADOW;
}

static hv_shadow_stats_t *stats_of(hv_t *hv, const hv_vcpu_t *v)
{
    return &hv->vms[v->vm].stats.shadow;
}

static unsigned levels(const hv_t *hv)
{
    return hv->m->mmu_config.levels;
}

/* A deprivileged guest kernel (trap, bt) needs a kernel's and a user's view. */
static bool deprivileged(const hv_t *hv, const hv_vcpu_t *v)
{
    return hv->vms[v->vm].cpu == HV_CPU_TRAP || hv->vms[v->vm].cpu == HV_CPU_BT;
}

/* The mode the guest believes it is in: its virtual mode when deprivileged, else its real
 * mode (saved in the VMCB at the exit). */
static cpu_mode_t guest_mode(hv_t *hv, const hv_vcpu_t *v)
{
    if (deprivileged(hv, v))
        return hv_trap_guest_mode(hv, v);
    uint32_t flags = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    return (cpu_mode_t)((flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
}

static uint8_t wanted_view(hv_t *hv, const hv_vcpu_t *v)
{
    if (!deprivileged(hv, v))
        return HV_SHADOW_VIEW_ANY;
    return guest_mode(hv, v) == CPU_MODE_U ? HV_SHADOW_VIEW_USER : HV_SHADOW_VIEW_KERNEL;
}

/* The real ASID of a shadow tree: one per (VCPU, slot), so that the TLB never mixes them. */
static uint32_t shadow_asid(const hv_vcpu_t *v, unsigned slot)
{
    return 1u + v->index * HV_SHADOW_CONTEXTS + slot;
}

static uint32_t real_ptroot(const hv_vcpu_t *v, unsigned slot)
{
    return MMU_PTROOT_MAKE(v->shadow.ctx[slot].root >> MMU_PAGE_SHIFT, shadow_asid(v, slot));
}

/* ------------------------------------------------------------------------------------------
 * The TLB: a pCPU may still hold what a shadow entry said before the hypervisor changed it
 * ------------------------------------------------------------------------------------------ */
/* Drops one page (va) or, with va = ALL_ONES, every entry of a shadow tree's ASID from every
 * pCPU's TLB (the VCPU may have run on any of them). Shadow entries are never global, so the
 * ASID flush is complete. */
static void shootdown(hv_t *hv, const hv_vcpu_t *v, unsigned slot, uint32_t va)
{
    uint16_t vmid = hv->vms[v->vm].vmid;
    uint16_t asid = (uint16_t)shadow_asid(v, slot);
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, va == ALL_ONES ? MMU_FLUSH_ASID : MMU_FLUSH_ADDR, vmid,
                       asid, va);
}

/* ------------------------------------------------------------------------------------------
 * Shadow trees: hypervisor frames in the CPU's page-table format
 * ------------------------------------------------------------------------------------------ */
/* A table frame for VM vm's shadows, counted against its budget (0: the pool is empty). */
static uint32_t table_alloc(hv_t *hv, unsigned vm)
{
    uint32_t t = hv_frame_alloc(hv, hv_vm_host(hv, vm), HV_FRAME_HV);
    hv->vms[vm].shadow_tables += t != 0;
    return t;
}

static void table_free(hv_t *hv, unsigned vm, uint32_t t)
{
    hv_frame_free(hv, t);
    hv->vms[vm].shadow_tables--;
}

/* Gives every table below `table` (of `level`) back to the pool and clears its entries. */
static void empty_tables(hv_t *hv, unsigned vm, uint32_t table, unsigned level)
{
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4 && level > 0; i++) {
        uint32_t pte = hv_read32(hv, table + 4 * i);
        if (!(pte & MMU_PTE_V))
            continue;
        uint32_t below = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
        empty_tables(hv, vm, below, level - 1);
        table_free(hv, vm, below);
        hv_write32(hv, table + 4 * i, 0);
    }
    if (level == 0)
        for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++)
            if (hv_read32(hv, table + 4 * i) & MMU_PTE_V)
                hv_write32(hv, table + 4 * i, 0);
}

/* Empties a shadow tree (its root stays) and drops what the TLBs cached from it. */
static void empty_context(hv_t *hv, hv_vcpu_t *v, unsigned slot)
{
    empty_tables(hv, (unsigned)v->vm, v->shadow.ctx[slot].root, levels(hv) - 1);
    v->shadow.ctx[slot].splintered = 0;
    shootdown(hv, v, slot, ALL_ONES);
}

void hv_shadow_forget_vm(hv_t *hv, unsigned vm)
{
    const hv_vm_t *m = &hv->vms[vm];
    for (unsigned i = 0; i < m->nvcpus && m->mem == HV_MEM_SHADOW; i++) {
        hv_vcpu_t *w = &hv->ent[m->vcpu[i]];
        for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
            if (w->shadow.ctx[slot].root)
                empty_context(hv, w, slot);
    }
}

/*
 * Lecture: shadow tables are a cache, so the hypervisor may throw them away. When a VM's
 * shadows would pass its budget (a guest building page tables without end, say), every
 * shadow tree of the VM is emptied (the roots stay) and refilled by hidden faults as the
 * guest touches its pages again: the VM slows down, it is never stopped for it, and it
 * cannot take another VM's frames. Called before `need` more tables are taken.
 */
static void keep_budget(hv_t *hv, hv_vcpu_t *v, uint32_t need)
{
    hv_vm_t *vm = &hv->vms[v->vm];
    if (vm->shadow_tables + need <= vm->shadow_budget)
        return;
    hv_shadow_forget_vm(hv, (unsigned)v->vm);
    stats_of(hv, v)->reclaims++;
    hv_emit(hv, SIM_HV_SHADOW_RECLAIM, v->vm, v->index, vm->shadow_tables);
}

/*
 * The host-physical address of the shadow leaf entry for va, adding the tables on the way
 * when `create` is set. 0 when a table is missing (not creating) or the pool is empty.
 */
static uint32_t shadow_leaf(hv_t *hv, hv_vcpu_t *v, unsigned slot, uint32_t va, bool create)
{
    unsigned n = levels(hv);
    uint32_t table = v->shadow.ctx[slot].root;
    for (unsigned level = n - 1; level > 0; level--) {
        uint32_t entry = table + 4 * mmu_table_index(n, level, va);
        uint32_t pte = hv_read32(hv, entry);
        if (!(pte & MMU_PTE_V)) {
            uint32_t t = create ? table_alloc(hv, (unsigned)v->vm) : 0;
            if (!t)
                return 0;
            stats_of(hv, v)->tables++;
            pte = MMU_PTE_MAKE(t >> MMU_PAGE_SHIFT, MMU_PTE_V);
            hv_write32(hv, entry, pte);
        }
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    return table + 4 * mmu_table_index(n, 0, va);
}

/* The slot holding the shadow of (guest ptroot, view), or -1. */
static int find_context(const hv_shadow_t *s, uint32_t guest_ptroot, uint8_t view)
{
    for (int i = 0; i < HV_SHADOW_CONTEXTS; i++)
        if (s->ctx[i].root && s->ctx[i].guest_ptroot == guest_ptroot && s->ctx[i].view == view)
            return i;
    return -1;
}

/* A slot for a new shadow tree: a free one, else the least recently used one, emptied. */
static int claim_context(hv_t *hv, hv_vcpu_t *v)
{
    hv_shadow_t *s = &v->shadow;
    int victim = 0;
    for (int i = 0; i < HV_SHADOW_CONTEXTS; i++) {
        if (!s->ctx[i].root) {
            keep_budget(hv, v, 1);
            uint32_t root = table_alloc(hv, (unsigned)v->vm);
            if (!root)
                return -1;
            stats_of(hv, v)->tables++;
            s->ctx[i].root = root;
            return i;
        }
        if (s->ctx[i].last_used < s->ctx[victim].last_used)
            victim = i;
    }
    empty_context(hv, v, (unsigned)victim);
    return victim;
}

/* Makes the shadow of the guest's current address space and view the real ptroot. */
bool hv_shadow_before_entry(hv_t *hv, hv_vcpu_t *v)
{
    hv_shadow_t *s = &v->shadow;
    hv_shadow_trace_before_entry(hv, v);
    uint8_t view = wanted_view(hv, v);
    int slot = s->current;
    if (slot < 0 || s->ctx[slot].guest_ptroot != s->guest_ptroot || s->ctx[slot].view != view) {
        slot = find_context(s, s->guest_ptroot, view);
        if (slot < 0) {
            slot = claim_context(hv, v);
            if (slot < 0) {
                hv_vm_crash(hv, (unsigned)v->vm, "no free frame is left for a shadow page table");
                return false;
            }
            s->ctx[slot].guest_ptroot = s->guest_ptroot;
            s->ctx[slot].view = view;
            stats_of(hv, v)->builds++;
        }
        s->current = (int8_t)slot;
        stats_of(hv, v)->switches++;
        hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT),
                          real_ptroot(v, (unsigned)slot));
    }
    s->ctx[slot].last_used = ++s->clock;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * The guest's own tables, walked in software as the MMU would walk them
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint32_t gpa;  /* where va lands in guest-physical memory */
    uint32_t bits; /* the guest leaf's bits after the walk (A, D set); paging off: all */
    bool large;    /* the leaf is a large page's (S at level 1) */
} guest_translation_t;

/* The guest's own page-table root: virtual under shadow paging (the hypervisor keeps it),
 * else the guest's ptroot in the VMCB (nested paging: the guest owns it; a VMREAD). */
static uint32_t guest_ptroot(hv_t *hv, const hv_vcpu_t *v)
{
    if (hv_shadow_vcpu(hv, v))
        return v->shadow.guest_ptroot;
    return hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT));
}

/*
 * Translates va through the guest's tables for an access of `kind` with `priv`, as the MMU
 * does (the MMU's own rules for each entry, large pages included), reading every entry
 * through the VM's memory map (charged) and writing A, and D for a store, back into the
 * guest's leaf. Returns MMU_OUTCOME_OK or why the guest's own tables refuse the access (a
 * table outside its memory is refused like a missing one).
 */
static unsigned walk_guest(hv_t *hv, hv_vcpu_t *v, uint32_t va, mmu_access_t kind, mmu_priv_t priv,
                           guest_translation_t *out)
{
    uint32_t ptroot = guest_ptroot(hv, v);
    if (!(ptroot & MMU_PTROOT_E)) {
        out->gpa = va;
        out->bits = MMU_PTE_V | SHADOW_BITS | MMU_PTE_A | MMU_PTE_D;
        out->large = false;
        return MMU_OUTCOME_OK;
    }
    unsigned n = levels(hv), level = n - 1;
    uint32_t table = MMU_PTROOT_PFN(ptroot) << MMU_PAGE_SHIFT, entry = 0, pte = 0;
    for (;; level--) {
        if (!hv_gpa_to_hpa(hv, (unsigned)v->vm, table + 4 * mmu_table_index(n, level, va), true,
                           &entry))
            return MMU_OUTCOME_BAD_TABLE;
        hv_shadow_trace_table(hv, v, table, level, va); /* shadow_sync = trace */
        pte = hv_read32(hv, entry);
        unsigned verdict = mmu_entry_check(pte, level, n, kind, priv);
        if (verdict != MMU_OUTCOME_OK)
            return verdict;
        if (mmu_is_leaf(pte, level))
            break;
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    /* LAB 3 BEGIN: A/D write-back: set A, and D for a store, in the guest's leaf entry */
    uint32_t ad = MMU_PTE_A | (kind == MMU_STORE ? MMU_PTE_D : 0);
    if ((pte & ad) != ad) {
        pte |= ad;
        hv_write32(hv, entry, pte);
        stats_of(hv, v)->ad_updates++;
    }
    /* LAB 3 STUB: (void)entry; */
    /* LAB 3 END */
    /* a large leaf maps its whole region: the low bits of va below the large page's size */
    uint32_t offset = level ? (1u << mmu_large_shift(n)) - 1 : MMU_PAGE_OFFSET;
    out->gpa = (MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT) | (va & offset);
    out->bits = pte;
    out->large = level > 0;
    return MMU_OUTCOME_OK;
}

/* The guest-physical address of va as the guest's tables give it for an access of `kind` in
 * the guest's current mode (for the hypervisor's own reads of guest memory, e.g. the binary
 * translator reading guest code). False when the guest's tables refuse it. */
bool hv_shadow_translate(hv_t *hv, hv_vcpu_t *v, uint32_t va, mmu_access_t kind, uint32_t *gpa)
{
    guest_translation_t g;
    mmu_priv_t priv = guest_mode(hv, v) == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
    if (walk_guest(hv, v, va, kind, priv, &g) != MMU_OUTCOME_OK)
        return false;
    *gpa = g.gpa;
    return true;
}

/* The instruction word at va as the guest's kernel would fetch it through its own tables
 * (any memory technique: the guest's tables walked in software, charged). False when they
 * refuse it or nothing but a device is there. */
bool hv_guest_fetch(hv_t *hv, hv_vcpu_t *v, uint32_t va, uint32_t *word)
{
    uint32_t gpa, hpa;
    if (!hv_shadow_translate(hv, v, va, MMU_FETCH, &gpa) ||
        !hv_gpa_to_hpa(hv, (unsigned)v->vm, gpa, false, &hpa))
        return false;
    *word = hv_read32(hv, hpa);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Hidden faults: filling the shadow
 * ------------------------------------------------------------------------------------------ */
/*
 * The shadow leaf for a guest leaf: the host frame, the guest's R W X U, never G (the real
 * ASID is per shadow tree), A and D already set (the hypervisor keeps the guest's). W only
 * once the guest's D is set, so that the first store is seen. The kernel's view of a
 * deprivileged guest adds U (its kernel runs in real U) and takes X from the guest's user
 * pages; with the guest's paging off the hardware-assisted view gives U to the mode that
 * touched the page (natively both modes may, but one shadow bit cannot say so for fetches).
 */
static uint32_t shadow_bits(uint32_t guest, uint8_t view, bool paging, cpu_mode_t mode)
{
    uint32_t bits = MMU_PTE_V | MMU_PTE_A | MMU_PTE_D | (guest & SHADOW_BITS);
    if (!(guest & MMU_PTE_D))
        bits &= ~MMU_PTE_W;
    if (view == HV_SHADOW_VIEW_KERNEL) {
        if (paging && (guest & MMU_PTE_U))
            bits &= ~MMU_PTE_X;
        bits |= MMU_PTE_U;
    } else if (view == HV_SHADOW_VIEW_ANY && !paging && mode != CPU_MODE_U) {
        bits &= ~MMU_PTE_U;
    }
    return bits;
}

static bool fill(hv_t *hv, hv_vcpu_t *v, uint32_t va, uint32_t hpa, uint32_t bits)
{
    unsigned slot = (unsigned)v->shadow.current;
    keep_budget(hv, v, levels(hv) - 1); /* at most one new table per level below the root */
    uint32_t leaf = shadow_leaf(hv, v, slot, va, true);
    if (!leaf)
        return false;
    if (hv_read32(hv, leaf) & MMU_PTE_V)
        shootdown(hv, v, slot, va); /* an upgrade (D, the other mode): the old one is cached */
    hv_write32(hv, leaf, MMU_PTE_MAKE(hpa >> MMU_PAGE_SHIFT, bits));
    return true;
}

/*
 * Lecture: a guest large page is shadowed 4 KiB at a time (splintered): each hidden fault in
 * it fills one small shadow entry, so the TLB gets small-page reach, not the large page's.
 * The tree is marked, because a tlbinv of any address in a large page drops all of it
 * natively: hv_shadow_tlbinv then drops the shadow entries of the whole region.
 */
static void note_splinter(hv_t *hv, hv_vcpu_t *v, const guest_translation_t *g)
{
    if (!g->large)
        return;
    v->shadow.ctx[v->shadow.current].splintered = 1;
    stats_of(hv, v)->splinters++;
}

/* Binary translation write-protects the guest pages it translated (hv_bt.c): a store to one
 * is emulated (true: there is nothing to fill), any other access maps it without W. */
static bool bt_protected(hv_t *hv, hv_vcpu_t *v, mmu_access_t kind, uint32_t gpa, uint32_t hpa,
                         uint32_t *bits)
{
    /* a traced guest page table too (shadow_sync = trace, hv_shadow_trace.c) */
    if (hv_shadow_trace_fill(hv, v, kind, gpa, hpa, bits))
        return true;
    if (!hv_bt_page_protected(hv, (unsigned)v->vm, gpa))
        return false;
    if (kind == MMU_STORE && hv_bt_protected_store(hv, v, gpa, hpa))
        return true;
    if (hv_bt_page_protected(hv, (unsigned)v->vm, gpa))
        *bits &= ~MMU_PTE_W;
    return false;
}

/* The frame behind a hidden fault, as overcommit has it: a store to a shared frame breaks
 * the sharing first (copy-on-write: the private copy is mapped); any other access maps the
 * shared frame without W. And the use is noted in the hypervisor's map for its clock (under
 * shadow paging no hardware walk sets the nested A bit). */
static void overcommit_fill(hv_t *hv, hv_vcpu_t *v, mmu_access_t kind, uint32_t gpa, uint32_t *hpa,
                            uint32_t *bits)
{
    unsigned vm = (unsigned)v->vm;
    if (kind == MMU_STORE && hv->owner[*hpa >> MMU_PAGE_SHIFT] == HV_FRAME_SHARED &&
        hv_share_break(hv, vm, gpa))
        hv_gpa_to_hpa(hv, vm, gpa, true, hpa); /* the copy (or still shared: no frame for it) */
    if (hv->owner[*hpa >> MMU_PAGE_SHIFT] == HV_FRAME_SHARED)
        *bits &= ~MMU_PTE_W;
    hv_swap_note_use(hv, vm, gpa);
}

static mmu_access_t access_of(uint32_t cause)
{
    return cause == CPU_CAUSE_FETCH_PAGE_FAULT  ? MMU_FETCH
           : cause == CPU_CAUSE_LOAD_PAGE_FAULT ? MMU_LOAD
                                                : MMU_STORE;
}

/* The word at the guest's pc, read through its own translation (for MMIO emulation). */
static bool fetch_guest_insn(hv_t *hv, hv_vcpu_t *v, mmu_priv_t priv, uint32_t *word)
{
    guest_translation_t g;
    uint32_t pc = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC), hpa;
    if (walk_guest(hv, v, pc, MMU_FETCH, priv, &g) != MMU_OUTCOME_OK ||
        !hv_gpa_to_hpa(hv, (unsigned)v->vm, g.gpa, false, &hpa))
        return false;
    *word = hv_read32(hv, hpa);
    return true;
}

/* The guest maps a page outside its memory: a device register, emulated, or nothing. */
static hv_shadow_verdict_t outside_memory(hv_t *hv, hv_vcpu_t *v, mmu_access_t kind,
                                          mmu_priv_t priv, uint32_t gpa)
{
    uint32_t word;
    if (kind == MMU_FETCH || !fetch_guest_insn(hv, v, priv, &word) ||
        !hv_emulate_mmio(hv, v, word, gpa, CPU_EXIT_EXCEPTION))
        return HV_SHADOW_BUS_ERROR;
    uint32_t pc = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC);
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, pc + 4);
    stats_of(hv, v)->mmio++;
    return HV_SHADOW_EMULATED;
}

/*
 * A page fault of a shadow VCPU. The guest's own tables decide: if they refuse the access,
 * the fault is the guest's; if they allow it, the shadow simply lacked the entry (or had it
 * read-only before D): fill it, and the instruction runs again, the guest none the wiser.
 */
hv_shadow_verdict_t hv_shadow_page_fault(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t va)
{
    mmu_access_t kind = access_of(cause);
    cpu_mode_t mode = guest_mode(hv, v);
    mmu_priv_t priv = mode == CPU_MODE_U ? MMU_PRIV_USER : MMU_PRIV_KERNEL;
    uint8_t view = v->shadow.ctx[v->shadow.current].view;
    guest_translation_t g;
    uint32_t hpa, bits;
    hv_shadow_verdict_t served;
    if (kind != MMU_FETCH && hv_bt_vcpu(hv, v) && hv_bt_segment_fault(hv, v, va, &served))
        return served; /* the guest reached for the monitor: performed as bare hardware would */
    if (view == HV_SHADOW_VIEW_KERNEL && hv_bt_region_page(hv, v, va, &hpa, &bits)) {
        /* The hypervisor's region: its own translated code and state page. What its bits
         * forbid (reading the TC) answers like memory that is not there. */
        if (mmu_leaf_check(bits, kind, MMU_PRIV_USER) != MMU_OUTCOME_OK ||
            !fill(hv, v, va, hpa, bits))
            return HV_SHADOW_BUS_ERROR;
        stats_of(hv, v)->hidden_faults++;
        hv_emit(hv, SIM_HV_SHADOW_FILL, v->vm, v->index, va & ~MMU_PAGE_OFFSET);
        return HV_SHADOW_HIDDEN;
    }
    /* LAB 3 BEGIN: the guest's tables decide: its own fault, or a hidden one: fill the shadow */
    if (walk_guest(hv, v, va, kind, priv, &g) != MMU_OUTCOME_OK) {
        stats_of(hv, v)->guest_faults++;
        return HV_SHADOW_GUEST_FAULT;
    }
    if (!hv_gpa_to_hpa(hv, (unsigned)v->vm, g.gpa, true, &hpa))
        return outside_memory(hv, v, kind, priv, g.gpa);
    bits = shadow_bits(g.bits, view, (v->shadow.guest_ptroot & MMU_PTROOT_E) != 0, mode);
    if (bt_protected(hv, v, kind, g.gpa, hpa, &bits)) /* it holds translated code */
        return HV_SHADOW_EMULATED;
    bits = hv_migrate_shadow_fill(hv, (unsigned)v->vm, kind, g.gpa, bits); /* dirty log */
    overcommit_fill(hv, v, kind, g.gpa, &hpa, &bits); /* shared, swapped pages */
    if (!fill(hv, v, va, hpa & ~MMU_PAGE_OFFSET, bits)) {
        hv_vm_crash(hv, (unsigned)v->vm, "no free frame is left for a shadow page table");
        return HV_SHADOW_HIDDEN;
    }
    note_splinter(hv, v, &g);
    stats_of(hv, v)->hidden_faults++;
    hv_emit(hv, SIM_HV_SHADOW_FILL, v->vm, v->index, va & ~MMU_PAGE_OFFSET);
    return HV_SHADOW_HIDDEN;
    /* LAB 3 STUB: (void)g, (void)mode, (void)priv, (void)outside_memory; */
    /* LAB 3 STUB: (void)shadow_bits, (void)bt_protected, (void)note_splinter; */
    /* LAB 3 STUB: (void)overcommit_fill; */
    /* LAB 3 STUB: hv_lab_missing(hv, v, 3, "hv_shadow_page_fault"); */
    /* LAB 3 STUB: return HV_SHADOW_HIDDEN; */
    /* LAB 3 END */
}

/* The EXCEPTION exit of a shadow VCPU: a page fault is first the hypervisor's business:
 * hidden (the shadow lacked the entry: filled, the instruction runs again), a device register
 * (emulated) or nothing at all (a bus error); only the guest's own faults go on to it. */
bool hv_shadow_handles(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval)
{
    if (cause < CPU_CAUSE_FETCH_PAGE_FAULT || cause > CPU_CAUSE_STORE_PAGE_FAULT)
        return false;
    switch (hv_shadow_page_fault(hv, v, cause, tval)) {
    case HV_SHADOW_HIDDEN:
    case HV_SHADOW_EMULATED: return true;
    case HV_SHADOW_BUS_ERROR: hv_inject(hv, v, CPU_CAUSE_BUS_ERROR, tval); return true;
    case HV_SHADOW_GUEST_FAULT: break;
    }
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Keeping in step: the guest's address-space switches and TLB invalidations
 * ------------------------------------------------------------------------------------------ */
/* csrw ptroot: the guest's new address space. Its shadow is loaded at the next entry (kept
 * from before when the guest ran there lately: switching is then cheap, as ASIDs make it
 * natively). */
void hv_shadow_write_ptroot(hv_t *hv, hv_vcpu_t *v, uint32_t value)
{
    (void)hv;
    v->shadow.guest_ptroot = value;
}

/* A tlbinv in a splintered tree: va may lie in a guest large page, which the guest's tlbinv
 * drops whole, and nothing says which small entries stood for it: every shadow entry of the
 * large page's region goes (the region is one level-0 shadow table's reach). */
static void drop_large_region(hv_t *hv, hv_vcpu_t *v, unsigned slot, uint32_t va)
{
    uint32_t leaf = shadow_leaf(hv, v, slot, va, false);
    if (!leaf)
        return;
    unsigned n = levels(hv), shift = mmu_large_shift(n);
    uint32_t table = leaf & ~MMU_PAGE_OFFSET, base = va >> shift << shift;
    for (uint32_t i = 0; i < 1u << mmu_index_bits(n, 0); i++)
        if (hv_read32(hv, table + 4 * i) & MMU_PTE_V) {
            hv_write32(hv, table + 4 * i, 0);
            shootdown(hv, v, slot, base + (i << MMU_PAGE_SHIFT));
        }
    stats_of(hv, v)->large_syncs++;
}

/* tlbinv va: the guest changed an entry. Every shadow of this VCPU forgets the page (a
 * global guest page may be in several), and the whole large page in a splintered tree. */
void hv_shadow_tlbinv(hv_t *hv, hv_vcpu_t *v, uint32_t va)
{
    if (hv_shadow_tracing(hv, v))
        return; /* traced: every store to the guest's tables already updated the shadows */
    /* LAB 3 BEGIN: tlbinv: every shadow tree of this VCPU forgets the page, TLBs included */
    for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++) {
        uint32_t leaf = v->shadow.ctx[slot].root ? shadow_leaf(hv, v, slot, va, false) : 0;
        if (leaf && (hv_read32(hv, leaf) & MMU_PTE_V)) {
            hv_write32(hv, leaf, 0);
            shootdown(hv, v, slot, va);
        }
    }
    /* LAB 3 STUB: hv_lab_missing(hv, v, 3, "hv_shadow_tlbinv"); */
    /* LAB 3 END */
    for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
        if (v->shadow.ctx[slot].root && v->shadow.ctx[slot].splintered)
            drop_large_region(hv, v, slot, va);
    stats_of(hv, v)->tlbinv_syncs++;
    hv_emit(hv, SIM_HV_SHADOW_SYNC, v->vm, v->index, va & ~MMU_PAGE_OFFSET);
}

/* tlbflush: the guest's current address space is emptied (both views of it). */
void hv_shadow_tlbflush(hv_t *hv, hv_vcpu_t *v)
{
    if (hv_shadow_tracing(hv, v))
        return; /* as for tlbinv: the shadows are in step already */
    /* LAB 3 BEGIN: tlbflush: empty the trees (both views) of the current address space */
    for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
        if (v->shadow.ctx[slot].root && v->shadow.ctx[slot].guest_ptroot == v->shadow.guest_ptroot)
            empty_context(hv, v, slot);
    /* LAB 3 STUB: hv_lab_missing(hv, v, 3, "hv_shadow_tlbflush"); */
    /* LAB 3 END */
    stats_of(hv, v)->tlbflush_syncs++;
    hv_emit(hv, SIM_HV_SHADOW_SYNC, v->vm, v->index, ALL_ONES);
}

void hv_shadow_drop_region(hv_t *hv, hv_vcpu_t *v, unsigned slot, uint32_t va, unsigned level)
{
    unsigned n = levels(hv);
    uint32_t table = v->shadow.ctx[slot].root;
    for (unsigned l = n - 1; l > level; l--) {
        uint32_t pte = hv_read32(hv, table + 4 * mmu_table_index(n, l, va));
        if (!(pte & MMU_PTE_V))
            return; /* nothing was filled there */
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    uint32_t entry = table + 4 * mmu_table_index(n, level, va), pte = hv_read32(hv, entry);
    if (!(pte & MMU_PTE_V))
        return;
    if (level > 0) { /* a table of the shadow's own, and all it maps */
        uint32_t below = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
        empty_tables(hv, (unsigned)v->vm, below, level - 1);
        table_free(hv, (unsigned)v->vm, below);
    }
    hv_write32(hv, entry, 0);
    shootdown(hv, v, slot, level > 0 ? ALL_ONES : va);
}

/* Clears W (or with `drop`, the whole entry) in every leaf below `table` that maps frame `hpa`
 * (binary translation protects the pages it translated; a frame that leaves the VM is
 * dropped), or with hpa = ALL_ONES any frame VM vm owns (a migration's dirty log); true when
 * one was changed. No reverse map says where a frame is mapped: every entry is read. */
static bool change_in_tree(hv_t *hv, unsigned vm, uint32_t table, unsigned level, uint32_t hpa,
                           bool drop)
{
    bool changed = false;
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
        uint32_t pte = hv_read32(hv, table + 4 * i), frame = MMU_PTE_PFN(pte);
        if (!(pte & MMU_PTE_V))
            continue;
        bool match = hpa == ALL_ONES ? frame < hv->nframes && hv->owner[frame] == HV_FRAME_VM(vm)
                                     : frame << MMU_PAGE_SHIFT == hpa;
        if (level > 0) {
            changed |= change_in_tree(hv, vm, frame << MMU_PAGE_SHIFT, level - 1, hpa, drop);
        } else if (match && (drop || (pte & MMU_PTE_W))) {
            hv_write32(hv, table + 4 * i, drop ? 0 : pte & ~MMU_PTE_W);
            changed = true;
        }
    }
    return changed;
}

static void change_in_vm(hv_t *hv, unsigned vm, uint32_t hpa, bool drop)
{
    hv_vm_t *m = &hv->vms[vm];
    for (unsigned i = 0; i < m->nvcpus && m->mem == HV_MEM_SHADOW; i++) {
        hv_vcpu_t *v = &hv->ent[m->vcpu[i]];
        for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
            if (v->shadow.ctx[slot].root &&
                change_in_tree(hv, vm, v->shadow.ctx[slot].root, levels(hv) - 1, hpa, drop))
                shootdown(hv, v, slot, ALL_ONES);
    }
}

void hv_shadow_write_protect(hv_t *hv, unsigned vm, uint32_t hpa)
{
    change_in_vm(hv, vm, hpa, false);
}

/*
 * Lecture: overcommit under shadow paging. The hypervisor's own map (gpa -> hpa, the nested
 * tables) is what swap, sharing and the balloon change, but the MMU walks the shadows, which
 * copied the old frame into their entries. So a frame that leaves a guest page (swapped out,
 * merged into a shared frame, a shared frame left by a copy-on-write, given to the balloon)
 * must leave every shadow entry of the VM too, or the guest would go on using a frame that is
 * free or another VM's. The next touch is a hidden fault that fills the entry from the map as
 * it is now (a swapped page is read back in on the way).
 */
void hv_shadow_unmap_frame(hv_t *hv, unsigned vm, uint32_t hpa)
{
    change_in_vm(hv, vm, hpa & ~MMU_PAGE_OFFSET, true);
}

/* ------------------------------------------------------------------------------------------
 * Set-up and tear-down
 * ------------------------------------------------------------------------------------------ */
bool hv_shadow_setup(hv_t *hv, hv_vcpu_t *v)
{
    uint32_t exceptions = hv_guest_word(hv, v, CPU_VMCB_EXCEPTIONS);
    uint32_t controls = hv_guest_word(hv, v, CPU_VMCB_CONTROLS);
    hv_set_guest_word(hv, v, CPU_VMCB_NESTED_ENABLE, 0);
    hv_set_guest_word(hv, v, CPU_VMCB_EXCEPTIONS, exceptions | PAGE_FAULTS);
    /* traced shadows are in step with every store: the guest's tlbinv need not exit */
    uint32_t tlb = hv->cfg.shadow_trace ? 0 : CPU_VMCTL_TLB;
    hv_set_guest_word(hv, v, CPU_VMCB_CONTROLS, controls | tlb | CPU_VMCTL_CSR);
    for (uint32_t off = CPU_VMCB_CSR_READ; off <= CPU_VMCB_CSR_WRITE; off += 4)
        hv_set_guest_word(hv, v, off, hv_guest_word(hv, v, off) | 1u << CPU_CSR_PTROOT);
    memset(&v->shadow, 0, sizeof v->shadow);
    v->shadow.current = -1;
    return hv_shadow_before_entry(hv, v);
}

void hv_shadow_free(hv_t *hv, hv_vcpu_t *v)
{
    for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
        if (v->shadow.ctx[slot].root) {
            empty_context(hv, v, slot);
            table_free(hv, (unsigned)v->vm, v->shadow.ctx[slot].root);
            v->shadow.ctx[slot].root = 0;
        }
    v->shadow.current = -1;
}

/* ------------------------------------------------------------------------------------------
 * Invariants: a shadow is the hypervisor's, and it maps only the VM's own frames
 * ------------------------------------------------------------------------------------------ */
static uint32_t peek(const hv_t *hv, uint32_t hpa)
{
    const uint8_t *p = hv->m->ram + hpa;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The hypervisor's own pages a VCPU's kernel view may map: its BT state page, jump-site
 * page and TC pages. */
static bool bt_page_of(const hv_vcpu_t *v, uint32_t frame)
{
    uint32_t hpa = frame << MMU_PAGE_SHIFT;
    for (unsigned p = 0; p < HV_BT_TC_PAGES && v->bt.state; p++)
        if (v->bt.tc[p] == hpa)
            return true;
    return v->bt.state && (v->bt.state == hpa || v->bt.sites == hpa);
}

static const char *check_shadow_tree(const hv_t *hv, const hv_vcpu_t *v, uint32_t table,
                                     unsigned level, char *buf, size_t len)
{
    uint32_t tf = table >> MMU_PAGE_SHIFT;
    if (tf >= hv->nframes || hv->owner[tf] != HV_FRAME_HV) {
        snprintf(buf, len, "VM %s: a shadow table at 0x%08x is not a hypervisor frame",
                 hv->vms[v->vm].name, table);
        return buf;
    }
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
        uint32_t pte = peek(hv, table + 4 * i), f = MMU_PTE_PFN(pte);
        if (!(pte & MMU_PTE_V))
            continue;
        unsigned vm = (unsigned)v->vm;
        if (level > 0) {
            if (check_shadow_tree(hv, v, f << MMU_PAGE_SHIFT, level - 1, buf, len))
                return buf;
        } else if (f < hv->nframes && hv->owner[f] == HV_FRAME_SHARED && (pte & MMU_PTE_W)) {
            snprintf(buf, len, "VM %s: its shadow maps shared frame 0x%05x writable",
                     hv->vms[vm].name, f);
            return buf;
        } else if (f >= hv->nframes || (pte & MMU_PTE_G) ||
                   (hv->owner[f] != HV_FRAME_VM(vm) && hv->owner[f] != HV_FRAME_SHARED &&
                    !bt_page_of(v, f))) {
            snprintf(buf, len, "VM %s: its shadow maps frame 0x%05x, which it does not own%s",
                     hv->vms[vm].name, f, (pte & MMU_PTE_G) ? " (or global)" : "");
            return buf;
        }
    }
    return NULL;
}

const char *hv_shadow_check(const hv_t *hv, unsigned vm, char *buf, size_t len)
{
    const hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus && v->mem == HV_MEM_SHADOW; i++) {
        const hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        for (unsigned slot = 0; slot < HV_SHADOW_CONTEXTS; slot++)
            if (e->shadow.ctx[slot].root &&
                check_shadow_tree(hv, e, e->shadow.ctx[slot].root, levels(hv) - 1, buf, len))
                return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Figures
 * ------------------------------------------------------------------------------------------ */
uint32_t hv_shadow_guest_ptroot(const hv_t *hv, unsigned vm, unsigned vcpu)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || vcpu >= hv->vms[vm].nvcpus)
        return 0;
    return hv->ent[hv->vms[vm].vcpu[vcpu]].shadow.guest_ptroot;
}

void hv_shadow_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    char g[9][32];
    fprintf(out,
            "    shadow paging: page faults %s hidden, %s the guest's; syncs: tlbinv %s, "
            "tlbflush %s, tree switches %s; trees built %s, tables %s, A/D written %s, "
            "MMIO %s\n",
            sim_group_digits(s->hidden_faults, g[0], 32),
            sim_group_digits(s->guest_faults, g[1], 32),
            sim_group_digits(s->tlbinv_syncs, g[2], 32),
            sim_group_digits(s->tlbflush_syncs, g[3], 32), sim_group_digits(s->switches, g[4], 32),
            sim_group_digits(s->builds, g[5], 32), sim_group_digits(s->tables, g[6], 32),
            sim_group_digits(s->ad_updates, g[7], 32), sim_group_digits(s->mmio, g[8], 32));
    if (s->splinters) /* only a guest that maps large pages */
        fprintf(out,
                "    shadow paging of large pages: %s 4 KiB shadow entries filled for the guest's "
                "large pages (splintered: small-page TLB reach); tlbinv dropped a large page's "
                "region %s times\n",
                sim_group_digits(s->splinters, g[0], 32),
                sim_group_digits(s->large_syncs, g[1], 32));
    if (hv->cfg.shadow_trace) /* only with shadow_sync = trace */
        fprintf(out,
                "    write-protect traces: %s guest page-table pages traced, %s stores to them "
                "emulated, %s resets\n",
                sim_group_digits(s->traces, g[0], 32), sim_group_digits(s->trace_stores, g[1], 32),
                sim_group_digits(s->trace_resets, g[2], 32));
    if (s->reclaims) /* only a VM that reached its budget (most never do) */
        fprintf(out, "    shadow budget: %u tables, reached %s times (every tree emptied)\n",
                hv->vms[vm].shadow_budget, sim_group_digits(s->reclaims, g[0], 32));
}
