/*
 * mmu_walk.c - the page walker: one table tree at a time, and the two-dimensional walk built
 * from it, plus mmu_translate (TLB first, then the walk) and the debugger's probe.
 *
 * A 2-D walk (Bhargava et al., "Accelerating two-dimensional page walks for virtualized
 * systems", ASPLOS 2008) translates a guest-virtual address through the guest's n-level tables,
 * but every table the guest names is at a guest-physical address, which must itself be
 * translated through the m-level nested tables before the entry can be read. So each of the n
 * guest levels costs m + 1 references, and the final guest-physical address m more:
 * n(m + 1) + m = (n + 1)(m + 1) - 1 references for a cold walk, 8 for 2x2 and 24 for 4x4.
 *
 * The same function walks every tree (walk_tree); when the tree's table addresses are
 * guest-physical it calls itself on the nested tree to find each table first.
 */
#include <stddef.h>
#include <string.h>

#include "mmu_internal.h"
#include "../sim/sim.h"

/* ------------------------------------------------------------------------------------------
 * The walker: where entries come from, what each step costs, where it is recorded
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const uint8_t *ram;
    uint32_t ram_size;
    struct sim_machine *rw;    /* whose RAM takes A/D write-backs; NULL: none (probes, the IOMMU) */
    struct sim_machine *watch; /* a debugger watches memory (m->mem_watch): tell it, else NULL */
    int cpu;                   /* the CPU walking, for the debugger */
    uint32_t va;               /* the address translated, for the debugger */
    mmu_pwc_t *pwc;            /* NULL: no page-walk cache */
    mmu_ntlb_t *ntlb;          /* NULL: no nested TLB */
    mmu_trace_t *t;            /* counts (always) and references (when record) */
    bool record;
    uint32_t cost_ref, cost_ad, cost_pwc, cost_ntlb;
} walker_t;

/* A table tree. Its table addresses are host-physical, unless `nested` is set: then they are
 * guest-physical and each table is first located through the nested tree. */
typedef struct {
    uint8_t space; /* mmu_space_t */
    uint8_t levels;
    uint8_t for_level; /* nested trees: what they locate (a guest level or MMU_FOR_DATA) */
    uint32_t root_pfn;
    const mmu_nested_t *nested;
} tree_t;

/* The end of a walk through one tree. */
typedef struct {
    uint32_t pa;         /* the translated address (in the tree's output space) */
    uint32_t leaf;       /* the leaf entry as read */
    uint32_t leaf_addr;  /* host-physical address of the leaf entry */
    uint32_t leaf_gpa;   /* its address in the tree's own space */
    uint32_t table_bits; /* nested: R W X of the nested leaf mapping the leaf's table */
    uint8_t shift;       /* log2 of the page the leaf maps (12, or a large page's) */
    uint8_t leaf_level;  /* the level of the leaf: 0, or 1 for a large page */
    /* on failure */
    uint8_t outcome, level, space;
    mmu_nested_fault_t nested;
} walk_out_t;

static void note(walker_t *w, const mmu_trace_ref_t *r)
{
    w->t->cycles += r->cycles;
    if (w->record && w->t->n < MMU_TRACE_MAX)
        w->t->ref[w->t->n++] = *r;
}

static uint32_t ram_word(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool pwc_find(const mmu_pwc_t *pwc, uint32_t addr, uint32_t *value)
{
    for (unsigned i = 0; i < pwc->used; i++)
        if (pwc->addr[i] == addr) {
            *value = pwc->value[i];
            return true;
        }
    return false;
}

/* The slot a small fully associative cache of `size` entries fills next: a free one, else the
 * oldest (FIFO). The page-walk cache and the nested TLB both work this way. */
static unsigned fifo_slot(uint8_t *used, uint8_t *next, unsigned size)
{
    if (*used < size)
        return (*used)++;
    unsigned slot = *next;
    *next = (uint8_t)((*next + 1) % size);
    return slot;
}

static void pwc_add(mmu_pwc_t *pwc, uint32_t addr, uint32_t value)
{
    unsigned slot = fifo_slot(&pwc->used, &pwc->next, MMU_PWC_ENTRIES);
    pwc->addr[slot] = addr;
    pwc->value[slot] = value;
}

/*
 * Reads the entry at host-physical `addr` of a table at `level`: an upper-level entry from the
 * page-walk cache when it holds it, else from memory (one reference). Fills in r->value and
 * r->cycles and r->outcome (PWC_HIT or OK). Returns false when addr is not in RAM.
 */
/* Tells a debugger watching memory about an entry the walker reads or (data) writes. */
static void watched(const walker_t *w, uint32_t addr, const uint8_t *data)
{
    sim_mem_access_t acc = {.by = SIM_BY_HW,
                            .write = data != NULL,
                            .cpu = (int8_t)w->cpu,
                            .vm = -1,
                            .what = "page walker",
                            .hpa = addr,
                            .len = 4,
                            .data = data,
                            .va = w->va};
    w->watch->mem_watch(&acc, w->watch->mem_watch_ctx);
}

static bool read_entry(walker_t *w, unsigned level, mmu_trace_ref_t *r)
{
    if (w->pwc && level > 0 && pwc_find(w->pwc, r->addr, &r->value)) {
        w->t->pwc_hits++;
        r->cycles = w->cost_pwc;
        r->outcome = MMU_OUTCOME_PWC_HIT;
        return true;
    }
    if (r->addr > w->ram_size - 4)
        return false;
    if (w->watch)
        watched(w, r->addr, NULL);
    r->value = ram_word(w->ram + r->addr);
    w->t->refs++;
    r->cycles = w->cost_ref;
    r->outcome = MMU_OUTCOME_OK;
    /* A page-walk cache keeps pointers only: a large leaf's A/D bits live in memory. */
    if (w->pwc && level > 0 && (r->value & MMU_PTE_V) && !mmu_is_leaf(r->value, level))
        pwc_add(w->pwc, r->addr, r->value);
    return true;
}

static bool walk_tree(walker_t *w, const tree_t *tree, uint32_t va, mmu_access_t kind,
                      mmu_priv_t priv, walk_out_t *out);

/* Where a guest-physical address was found in host memory. */
typedef struct {
    uint32_t hpa;
    uint32_t bits; /* R W X of the nested leaf (and D when nested A/D is on) */
    uint8_t shift; /* log2 of the page the nested leaf maps */
} located_t;

/* The nested TLB's answer for the guest table at `gpa` (a hit is noted in the trace as one
 * step that reads no memory), or false. */
static bool ntlb_find(walker_t *w, const mmu_nested_t *n, uint32_t gpa, uint8_t for_level,
                      located_t *at)
{
    const mmu_ntlb_t *c = w->ntlb;
    for (unsigned i = 0; c && i < c->used; i++) {
        if (c->root[i] != n->root_pfn || c->gpn[i] != gpa >> MMU_PAGE_SHIFT)
            continue;
        *at = (located_t){.hpa = (c->hpn[i] << MMU_PAGE_SHIFT) | (gpa & MMU_PAGE_OFFSET),
                          .bits = c->bits[i],
                          .shift = MMU_PAGE_SHIFT};
        w->t->ntlb_hits++;
        mmu_trace_ref_t r = {.space = MMU_SPACE_NESTED,
                             .level = 0,
                             .for_level = for_level,
                             .outcome = MMU_OUTCOME_NTLB_HIT,
                             .table = at->hpa & ~MMU_PAGE_OFFSET,
                             .addr = at->hpa,
                             .value = MMU_PTE_MAKE(c->hpn[i], c->bits[i] | MMU_PTE_V),
                             .gpa = gpa,
                             .cycles = w->cost_ntlb};
        note(w, &r);
        return true;
    }
    return false;
}

static void ntlb_add(mmu_ntlb_t *c, const mmu_nested_t *n, uint32_t gpa, const located_t *at)
{
    unsigned slot = fifo_slot(&c->used, &c->next, MMU_NTLB_ENTRIES);
    c->root[slot] = n->root_pfn;
    c->gpn[slot] = gpa >> MMU_PAGE_SHIFT;
    c->hpn[slot] = at->hpa >> MMU_PAGE_SHIFT;
    c->bits[slot] = (uint8_t)at->bits;
}

static void write_entry(walker_t *w, uint32_t addr, uint32_t value);

/* Nested A/D (the hypervisor turned them on, mmu_nested_t.ad): the nested leaf just walked
 * gets A, and D when the data page is stored to, written back as the guest's leaves are. */
static void nested_ad(walker_t *w, mmu_access_t kind, uint8_t for_level, walk_out_t *nout)
{
    uint32_t want = nout->leaf | MMU_PTE_A;
    if (kind == MMU_STORE && for_level == MMU_FOR_DATA)
        want |= MMU_PTE_D;
    if (want == nout->leaf)
        return;
    if (w->rw)
        write_entry(w, nout->leaf_addr, want);
    w->t->ad_writes++;
    mmu_trace_ref_t r = {.space = MMU_SPACE_NESTED,
                         .level = nout->leaf_level,
                         .for_level = for_level,
                         .outcome = MMU_OUTCOME_AD_WRITE,
                         .table = nout->leaf_addr & ~MMU_PAGE_OFFSET,
                         .addr = nout->leaf_addr,
                         .value = want,
                         .gpa = nout->leaf_gpa,
                         .cycles = w->cost_ad};
    note(w, &r);
    nout->leaf = want;
}

/* Locates guest-physical `gpa` through the nested tree (a guest table through the nested TLB
 * first, when there is one): on success *at; on failure out->nested describes the nested
 * fault. */
static bool locate(walker_t *w, const mmu_nested_t *n, uint32_t gpa, mmu_access_t kind,
                   uint8_t for_level, located_t *at, walk_out_t *out)
{
    bool table = for_level != MMU_FOR_DATA;
    if (table && ntlb_find(w, n, gpa, for_level, at))
        return true;
    tree_t nt = {.space = MMU_SPACE_NESTED,
                 .levels = n->levels,
                 .for_level = for_level,
                 .root_pfn = n->root_pfn};
    walk_out_t nout;
    if (!walk_tree(w, &nt, gpa, kind, MMU_PRIV_NONE, &nout)) {
        out->outcome = nout.outcome;
        out->space = MMU_SPACE_NESTED;
        out->level = nout.level;
        out->nested = (mmu_nested_fault_t){.gpa = gpa,
                                           .nested_access = (uint8_t)kind,
                                           .for_level = for_level,
                                           .level = nout.level,
                                           .reason = nout.outcome};
        return false;
    }
    if (n->ad)
        nested_ad(w, kind, for_level, &nout);
    *at = (located_t){.hpa = nout.pa,
                      .bits = nout.leaf & (n->ad ? MMU_PTE_RWX | MMU_PTE_D : MMU_PTE_RWX),
                      .shift = nout.shift};
    if (table && w->ntlb)
        ntlb_add(w->ntlb, n, gpa, at);
    return true;
}

static bool fail(walk_out_t *out, unsigned outcome, const tree_t *tree, unsigned level)
{
    out->outcome = (uint8_t)outcome;
    out->space = tree->space;
    out->level = (uint8_t)level;
    return false;
}

/*
 * Walks one tree from its root to the leaf for `va`, checking the leaf for `kind` by `priv`.
 * Each table read is one step in the trace; when the tree's tables are guest-physical, each
 * table is located through the nested tree first. Returns true with out->pa, out->leaf...;
 * false with out->outcome, space and level (and out->nested for a nested failure).
 */
static bool walk_tree(walker_t *w, const tree_t *tree, uint32_t va, mmu_access_t kind,
                      mmu_priv_t priv, walk_out_t *out)
{
    uint32_t table_pa = tree->root_pfn << MMU_PAGE_SHIFT;
    for (int level = tree->levels - 1; level >= 0; level--) {
        uint32_t offset = table_index(tree->levels, (unsigned)level, va) * 4;
        located_t at = {.hpa = table_pa + offset, .bits = MMU_PTE_RWX};
        if (tree->nested &&
            !locate(w, tree->nested, table_pa + offset, MMU_LOAD, (uint8_t)level, &at, out))
            return false;
        uint32_t entry = at.hpa;
        mmu_trace_ref_t r = {.space = tree->space,
                             .level = (uint8_t)level,
                             .for_level = tree->for_level,
                             .table = entry - offset,
                             .addr = entry,
                             .gpa = tree->space == MMU_SPACE_NESTED ? va : table_pa + offset};
        if (!read_entry(w, (unsigned)level, &r)) {
            r.outcome = MMU_OUTCOME_BAD_TABLE;
            note(w, &r);
            return fail(out, MMU_OUTCOME_BAD_TABLE, tree, (unsigned)level);
        }
        unsigned verdict = entry_check(r.value, (unsigned)level, tree->levels, kind, priv);
        if (verdict != MMU_OUTCOME_OK)
            r.outcome = (uint8_t)verdict;
        note(w, &r);
        if (verdict != MMU_OUTCOME_OK)
            return fail(out, verdict, tree, (unsigned)level);
        if (mmu_is_leaf(r.value, (unsigned)level)) {
            unsigned shift = level ? mmu_large_shift(tree->levels) : MMU_PAGE_SHIFT;
            out->leaf = r.value;
            out->leaf_addr = r.addr;
            out->leaf_gpa = r.gpa;
            out->table_bits = at.bits;
            out->shift = (uint8_t)shift;
            out->leaf_level = (uint8_t)level;
            out->pa = (MMU_PTE_PFN(r.value) << MMU_PAGE_SHIFT) | (va & ((1u << shift) - 1));
            return true;
        }
        table_pa = MMU_PTE_PFN(r.value) << MMU_PAGE_SHIFT;
    }
    SIM_ASSERT(!"a walk ends at a leaf"); /* level 0 is always a leaf */
    return false;
}

/* ------------------------------------------------------------------------------------------
 * A whole translation: the guest (or only) dimension, the data page's nested translation,
 * the A/D write-back, and the permissions the TLB entry will carry.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    mmu_result_t res;
    uint32_t perm; /* for the TLB entry: MMU_PTE_* and MMU_TLBE_* bits */
} translation_t;

/* Sets A (and D for a store) in the guest leaf once the translation is known to succeed. In a
 * 2-D walk the write goes to a guest table, so the nested leaf mapping it must allow writes. */
static bool write_back_ad(walker_t *w, bool nested, mmu_access_t kind, walk_out_t *g)
{
    uint32_t want = g->leaf | MMU_PTE_A | (kind == MMU_STORE ? MMU_PTE_D : 0);
    if (want == g->leaf)
        return true;
    if (nested && !(g->table_bits & MMU_PTE_W)) {
        g->outcome = MMU_OUTCOME_PERMISSION;
        g->space = MMU_SPACE_NESTED;
        g->nested = (mmu_nested_fault_t){.gpa = g->leaf_gpa,
                                         .nested_access = MMU_STORE,
                                         .for_level = g->leaf_level,
                                         .level = 0,
                                         .reason = MMU_OUTCOME_PERMISSION};
        return false;
    }
    if (!w->rw)
        return true; /* a probe: the write would happen, but a debugger changes nothing */
    write_entry(w, g->leaf_addr, want);
    w->t->ad_writes++;
    mmu_trace_ref_t r = {.space = MMU_SPACE_TABLE,
                         .level = g->leaf_level,
                         .for_level = 0,
                         .outcome = MMU_OUTCOME_AD_WRITE,
                         .table = g->leaf_addr & ~MMU_PAGE_OFFSET,
                         .addr = g->leaf_addr,
                         .value = want,
                         .gpa = g->leaf_gpa,
                         .cycles = w->cost_ad};
    note(w, &r);
    g->leaf = want;
    return true;
}

/* Writes a leaf's A/D bits back into RAM (a debugger watching memory is told first). */
static void write_entry(walker_t *w, uint32_t addr, uint32_t value)
{
    uint8_t *p = w->rw->ram + addr;
    if (w->watch) {
        uint8_t bytes[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                            (uint8_t)(value >> 24)};
        watched(w, addr, bytes);
    }
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(value >> (8 * i));
    sim_ram_written(w->rw, addr, 4); /* a table may share its page with code */
}

/* The TLB entry's permissions: the guest leaf's, less what the nested leaf forbids. A store
 * may hit the entry only when D is known set in both leaves (in the nested one when nested
 * A/D is on), so that the walk that sets D is never skipped. */
static uint32_t entry_perm(bool paging, uint32_t leaf, uint32_t data_bits, bool nested_ad)
{
    uint32_t perm = paging ? (leaf & (MMU_PTE_RWX | MMU_PTE_U | MMU_PTE_G)) |
                                 ((leaf & MMU_PTE_D) ? MMU_TLBE_DIRTY : 0)
                           : MMU_PTE_RWX | MMU_TLBE_ANYPRIV | MMU_TLBE_DIRTY;
    if (nested_ad && !(data_bits & MMU_PTE_D))
        perm &= ~(uint32_t)MMU_TLBE_DIRTY;
    return (perm & ~(MMU_PTE_RWX & ~data_bits)) | MMU_TLBE_VALID;
}

static void set_fault(translation_t *x, mmu_trace_t *t, const walk_out_t *o, uint32_t va,
                      mmu_access_t kind)
{
    t->outcome = o->outcome;
    t->fault_space = o->space;
    x->res.reason = o->outcome;
    if (o->space == MMU_SPACE_NESTED) {
        x->res.status = MMU_NESTED_FAULT;
        x->res.nested = o->nested;
        x->res.nested.gva = va;
        x->res.nested.access = (uint8_t)kind;
    } else {
        x->res.status = MMU_PAGE_FAULT;
    }
}

/* The page sizes of a translation: the guest's (or only) leaf's, the nested leaf's, and what a
 * TLB entry may cover, which is the smaller of the two. A guest large page over small nested
 * pages is splintered: the TLB caches it 4 KiB at a time (Bhargava et al.; x86's "page
 * splintering"). A shift of 0 says that dimension was not walked. */
static void set_sizes(mmu_trace_t *t, unsigned guest_shift, unsigned nested_shift)
{
    unsigned entry = guest_shift ? guest_shift : nested_shift;
    if (nested_shift && nested_shift < entry)
        entry = nested_shift;
    t->leaf_shift = (uint8_t)guest_shift;
    t->nested_shift = (uint8_t)nested_shift;
    t->entry_shift = (uint8_t)entry;
    t->splintered = guest_shift > MMU_PAGE_SHIFT && nested_shift == MMU_PAGE_SHIFT;
}

/* Starts the summary of a walk in *t. Only the summary is reset: the steps after t->n are
 * never read, and clearing them all would cost more than the walk. */
static inline void trace_begin(mmu_trace_t *t, unsigned levels, bool paging, const mmu_nested_t *n,
                               unsigned nested_levels, uint32_t va, mmu_access_t kind,
                               mmu_priv_t priv)
{
    memset(t, 0, offsetof(mmu_trace_t, ref));
    t->va = va;
    t->access = (uint8_t)kind;
    t->priv = (uint8_t)priv;
    t->paging = paging;
    t->nested = n != NULL;
    t->levels = (uint8_t)levels;
    t->nested_levels = (uint8_t)nested_levels;
    t->outcome = MMU_OUTCOME_OK;
}

/*
 * Walks for `va` under `ptroot` and `nested` (either may be off, not both), writing counts
 * and references into w->t. Returns the result and the TLB permissions.
 */
static translation_t walk(walker_t *w, const mmu_config_t *cfg, uint32_t ptroot,
                          const mmu_nested_t *nested, uint32_t va, mmu_access_t kind,
                          mmu_priv_t priv)
{
    translation_t x = {.res = {.status = MMU_OK, .walked = true}};
    mmu_trace_t *t = w->t;
    bool paging = ptroot & MMU_PTROOT_E;
    const mmu_nested_t *n = nested->enabled ? nested : NULL;
    trace_begin(t, cfg->levels, paging, n, n ? n->levels : 0, va, kind, priv);
    walk_out_t g = {.pa = va, .leaf = 0};
    located_t data = {.bits = MMU_PTE_RWX};
    tree_t guest = {.space = MMU_SPACE_TABLE,
                    .levels = cfg->levels,
                    .for_level = 0,
                    .root_pfn = MMU_PTROOT_PFN(ptroot),
                    .nested = n};
    if (paging && !walk_tree(w, &guest, va, kind, priv, &g)) {
        set_fault(&x, t, &g, va, kind);
        return x;
    }
    t->gpa = g.pa;
    data.hpa = g.pa;
    if (n && !locate(w, n, g.pa, kind, MMU_FOR_DATA, &data, &g)) {
        set_fault(&x, t, &g, va, kind);
        return x;
    }
    if (paging && !write_back_ad(w, n != NULL, kind, &g)) {
        set_fault(&x, t, &g, va, kind);
        return x;
    }
    t->pa = data.hpa;
    x.res.pa = data.hpa;
    x.perm = entry_perm(paging, g.leaf, data.bits, n && n->ad);
    set_sizes(t, paging ? g.shift : 0, n ? data.shift : 0);
    return x;
}

static walker_t make_walker(const struct sim_machine *m, mmu_trace_t *t, bool record)
{
    return (walker_t){.ram = m->ram,
                      .ram_size = m->ram_size,
                      .t = t,
                      .record = record,
                      .cost_ref = m->costs.c[SIM_COST_walk_ref],
                      .cost_ad = m->costs.c[SIM_COST_ad_update],
                      .cost_pwc = m->costs.c[SIM_COST_pwc_hit],
                      .cost_ntlb = m->costs.c[SIM_COST_ntlb_hit]};
}

/* ------------------------------------------------------------------------------------------
 * The quick walk: a miss in the common case, when nobody looks
 *
 * Most misses find every entry present, 4 KiB pages and the leaf's A bit (and D, for a store)
 * already set, and have nothing else to consult or tell: no page-walk cache, no nested TLB, no
 * debugger watching memory, no window recording the steps. Such a walk is only reads, checks
 * and charges, and the quick walk does only that. Anything else (a fault, an A/D write-back,
 * a large page, a table outside RAM) makes it give up before it has changed anything, and the
 * full walker above walks again from the start. The model is the same: both make the same
 * references, charge the same cycles and leave the same summary; the quick one keeps fewer
 * books on the way.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const uint8_t *ram;
    uint32_t ram_last; /* the last address at which a whole entry can be read */
    unsigned refs;     /* entries read from memory */
} quick_t;

/* What a quick walk found: the host-physical address, and the TLB entry's permissions (the
 * rest of the result is a successful walk's; its cycles are in the summary). */
typedef struct {
    uint32_t pa, perm;
} quick_out_t;

/* Reads the entry at host-physical `addr` (one reference), or false when it is outside RAM. */
static inline bool quick_read(quick_t *q, uint32_t addr, uint32_t *pte)
{
    if (addr > q->ram_last)
        return false;
    *pte = ram_word(q->ram + addr);
    q->refs++;
    return true;
}

/* An entry above the last level that points to a table: V, and not a large page (S). */
static inline bool quick_pointer(uint32_t pte)
{
    return (pte & (MMU_PTE_V | MMU_PTE_S)) == MMU_PTE_V;
}

/* What the quick walk asks of a leaf, worked out when compiled (quick_rules): every bit of `need`
 * (V; R, W or X for the access; U for a user access; A, and D for a store, where they must already
 * be set), none of `forbid` (U, for a kernel fetch: K never runs user code), and not W without R.
 * That is leaf_check's rule and the write-back's "nothing to write", as two masks. */
typedef struct {
    uint32_t need, forbid;
} quick_rule_t;

#define QUICK_NEEDED_BIT(kind)                                                                     \
    ((kind) == MMU_FETCH ? MMU_PTE_X : (kind) == MMU_LOAD ? MMU_PTE_R : MMU_PTE_W)
#define QUICK_RULE(kind, priv, ad_set)                                                             \
    {                                                                                              \
        .need = MMU_PTE_V | QUICK_NEEDED_BIT(kind) | ((priv) == MMU_PRIV_USER ? MMU_PTE_U : 0) |   \
                ((ad_set) ? MMU_PTE_A | ((kind) == MMU_STORE ? MMU_PTE_D : 0) : 0),                \
        .forbid = (priv) == MMU_PRIV_KERNEL && (kind) == MMU_FETCH ? MMU_PTE_U : 0                 \
    }
#define QUICK_RULES_OF(kind, ad_set)                                                               \
    {                                                                                              \
        QUICK_RULE(kind, MMU_PRIV_KERNEL, ad_set), QUICK_RULE(kind, MMU_PRIV_USER, ad_set),        \
            QUICK_RULE(kind, MMU_PRIV_NONE, ad_set)                                                \
    }
#define QUICK_RULES(ad_set)                                                                        \
    {                                                                                              \
        QUICK_RULES_OF(MMU_FETCH, ad_set), QUICK_RULES_OF(MMU_LOAD, ad_set),                       \
            QUICK_RULES_OF(MMU_STORE, ad_set)                                                      \
    }
/* Every rule worked out when compiled: a walk looks its rules up. */
static const quick_rule_t quick_rules[2][MMU_ACCESS_KINDS][MMU_PRIV_NONE + 1] = {QUICK_RULES(false),
                                                                                 QUICK_RULES(true)};

static inline quick_rule_t quick_rule(mmu_access_t kind, mmu_priv_t priv, bool ad_set)
{
    return quick_rules[ad_set][kind][priv];
}

static inline bool quick_leaf(uint32_t pte, quick_rule_t rule)
{
    return (pte & rule.need) == rule.need && !(pte & rule.forbid) &&
           (pte & (MMU_PTE_R | MMU_PTE_W)) != MMU_PTE_W;
}

/* Walks a tree whose tables are host-physical (the 1-D tree, or the nested one) down to a
 * 4 KiB leaf that passes `rule`: true with the leaf and the translated address. Inlined in
 * each place, where the caller's rule is known. */
static inline __attribute__((always_inline)) bool quick_tree(quick_t *q, uint32_t root_pfn,
                                                             unsigned levels, uint32_t va,
                                                             quick_rule_t rule, uint32_t *leaf,
                                                             uint32_t *pa)
{
    uint32_t table = root_pfn << MMU_PAGE_SHIFT, pte;
    for (unsigned level = levels - 1; level > 0; level--) {
        if (!quick_read(q, table + table_index(levels, level, va) * 4, &pte) || !quick_pointer(pte))
            return false;
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    if (!quick_read(q, table + table_index(levels, 0, va) * 4, &pte) || !quick_leaf(pte, rule))
        return false;
    *leaf = pte;
    *pa = (MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT) | (va & MMU_PAGE_OFFSET);
    return true;
}

/* Locates guest-physical `gpa` through the nested tables (rooted at host frame root_pfn, of
 * `levels`; nested A/D on or off) with the nested leaf's `rule`; *bits as locate gives them. */
static inline __attribute__((always_inline)) bool quick_locate(quick_t *q, uint32_t root_pfn,
                                                               unsigned levels, bool ad,
                                                               uint32_t gpa, quick_rule_t rule,
                                                               uint32_t *hpa, uint32_t *bits)
{
    uint32_t leaf;
    if (!quick_tree(q, root_pfn, levels, gpa, rule, &leaf, hpa))
        return false;
    *bits = leaf & (ad ? MMU_PTE_RWX | MMU_PTE_D : MMU_PTE_RWX);
    return true;
}

/* Walks the guest's tables, whose addresses are guest-physical: each table's entry is located
 * through the nested tables (their leaves passing `tables`) before it is read (a 2-D walk's
 * guest dimension). */
static inline __attribute__((always_inline)) bool
quick_guest(quick_t *q, uint32_t nested_root, unsigned nested_levels, bool nested_ad,
            uint32_t root_pfn, unsigned levels, uint32_t va, quick_rule_t rule, quick_rule_t tables,
            uint32_t *leaf, uint32_t *gpa)
{
    uint32_t table = root_pfn << MMU_PAGE_SHIFT, pte = 0, hpa, bits;
#pragma GCC unroll 4
    for (unsigned level = levels; level-- > 0;) {
        uint32_t entry = table + table_index(levels, level, va) * 4;
        if (!quick_locate(q, nested_root, nested_levels, nested_ad, entry, tables, &hpa, &bits) ||
            !quick_read(q, hpa, &pte))
            return false;
        if (level == 0)
            break;
        if (!quick_pointer(pte))
            return false;
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    if (!quick_leaf(pte, rule))
        return false;
    *leaf = pte;
    *gpa = (MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT) | (va & MMU_PAGE_OFFSET);
    return true;
}

/* The whole translation the quick way, with its summary in mmu->trace as walk leaves it;
 * false (and nothing changed) when the full walker must walk. The guest's (or only) leaf must
 * have A and D set already; a nested leaf too when nested A/D is on (for a guest table A,
 * for the data A and, for a store, D). `levels` and `nested_levels` are the trees' (0: no
 * nested dimension), `nested_ad` whether nested A/D is on; inlined with constants, each walk's
 * loops and indices unfold, and its leaves' rules are known. */
static inline __attribute__((always_inline)) bool
walk_quick_shaped(mmu_t *mmu, const struct sim_machine *m, uint32_t va, mmu_access_t kind,
                  mmu_priv_t priv, unsigned levels, unsigned nested_levels, bool nested_ad,
                  quick_out_t *x)
{
    bool paging = mmu->ptroot & MMU_PTROOT_E;
    const mmu_nested_t *n = nested_levels ? &mmu->nested : NULL;
    quick_t q = {.ram = m->ram, .ram_last = m->ram_size - 4};
    uint32_t leaf = 0, gpa = va, hpa, bits = MMU_PTE_RWX;
    if (paging) {
        uint32_t root = MMU_PTROOT_PFN(mmu->ptroot);
        quick_rule_t rule = quick_rule(kind, priv, true);
        if (!(n ? quick_guest(&q, n->root_pfn, nested_levels, nested_ad, root, levels, va, rule,
                              quick_rule(MMU_LOAD, MMU_PRIV_NONE, nested_ad), &leaf, &gpa)
                : quick_tree(&q, root, levels, va, rule, &leaf, &gpa)))
            return false;
    }
    hpa = gpa;
    if (n && !quick_locate(&q, n->root_pfn, nested_levels, nested_ad, gpa,
                           quick_rule(kind, MMU_PRIV_NONE, nested_ad), &hpa, &bits))
        return false;
    mmu_trace_t *t = &mmu->trace;
    trace_begin(t, levels, paging, n, nested_levels, va, kind, priv);
    t->refs = (uint16_t)q.refs;
    t->cycles = q.refs * m->costs.c[SIM_COST_walk_ref];
    t->gpa = gpa;
    t->pa = hpa;
    set_sizes(t, paging ? MMU_PAGE_SHIFT : 0, n ? MMU_PAGE_SHIFT : 0);
    *x = (quick_out_t){.pa = hpa, .perm = entry_perm(paging, leaf, bits, nested_ad)};
    return true;
}

/* walk_quick_shaped for this MMU's trees (mmu->quick, not QUICK_NONE): a copy for the default
 * shape (two levels, and two nested levels with nested A/D off when nested translation is on),
 * and one for any other. */
static bool walk_quick(mmu_t *mmu, const struct sim_machine *m, uint32_t va, mmu_access_t kind,
                       mmu_priv_t priv, quick_out_t *x)
{
    if (mmu->quick == QUICK_2)
        return walk_quick_shaped(mmu, m, va, kind, priv, 2, 0, false, x);
    if (mmu->quick == QUICK_2X2 && !mmu->nested.ad)
        return walk_quick_shaped(mmu, m, va, kind, priv, 2, 2, false, x);
    bool nested = mmu->nested.enabled;
    return walk_quick_shaped(mmu, m, va, kind, priv, mmu->cfg.levels,
                             nested ? mmu->nested.levels : 0, nested && mmu->nested.ad, x);
}

/* The full walk, with everything the quick one leaves to it. */
static translation_t walk_full(mmu_t *mmu, struct sim_machine *m, uint32_t va, mmu_access_t kind,
                               mmu_priv_t priv)
{
    walker_t w = make_walker(m, &mmu->trace, mmu->record_trace);
    w.rw = m;
    if (m->mem_watch) { /* a debugger watches memory: which CPU's MMU this is */
        w.watch = m;
        w.va = va;
        w.cpu = -1;
        for (unsigned i = 0; i < m->ncpus; i++)
            w.cpu = &m->cpu[i].mmu == mmu ? (int)i : w.cpu;
    }
    w.pwc = mmu->cfg.pwc ? &mmu->pwc : NULL;
    w.ntlb = mmu->cfg.ntlb ? &mmu->ntlb : NULL;
    return walk(&w, &mmu->cfg, mmu->ptroot, &mmu->nested, va, kind, priv);
}

/* May the quick walk try? Not when a cache it does not consult is on (mmu->quick says so), nor
 * when someone looks (a window or test recording the steps, a debugger watching memory). */
static bool quick_may_walk(const mmu_t *mmu, const struct sim_machine *m)
{
    return mmu->quick != QUICK_NONE && !mmu->record_trace && !m->mem_watch;
}

/* ------------------------------------------------------------------------------------------
 * The public entry points
 * ------------------------------------------------------------------------------------------ */

/* May a TLB entry serve this access? A store needs D known to be set already. */
static inline bool tlb_allows(const mmu_tlb_entry_t *e, mmu_access_t kind, mmu_priv_t priv)
{
    if (kind == MMU_STORE && !(e->perm & MMU_TLBE_DIRTY))
        return false;
    if (e->perm & MMU_TLBE_ANYPRIV)
        priv = MMU_PRIV_NONE;
    return access_check(e->perm, kind, priv) == MMU_OUTCOME_OK;
}

static void count_walk(mmu_t *mmu, const mmu_result_t *res)
{
    mmu_stats_t *st = &mmu->stats;
    const mmu_trace_t *t = &mmu->trace;
    st->misses++;
    st->walks++;
    st->walk_refs += t->refs;
    st->ad_writes += t->ad_writes;
    st->pwc_hits += t->pwc_hits;
    st->walk_cycles += t->cycles;
    st->page_faults += res->status == MMU_PAGE_FAULT;
    st->nested_faults += res->status == MMU_NESTED_FAULT;
    st->ntlb_hits += t->ntlb_hits;
    st->splinters += res->status == MMU_OK && t->splintered;
}

/* count_walk for a quick walk, which never faults, writes back, hits a cache or splinters:
 * only what it adds to. */
static inline void count_quick_walk(mmu_t *mmu)
{
    mmu_stats_t *st = &mmu->stats;
    st->misses++;
    st->walks++;
    st->walk_refs += mmu->trace.refs;
    st->walk_cycles += mmu->trace.cycles;
}

/* The TLB entry for the translation just walked: a large one when the page allows it (the
 * quick walk's are 4 KiB). */
static mmu_tlb_entry_t make_entry(const mmu_t *mmu, uint32_t va, const translation_t *x)
{
    unsigned shift = mmu->trace.entry_shift > MMU_PAGE_SHIFT ? mmu->trace.entry_shift : 0;
    uint32_t low = shift ? (1u << (shift - MMU_PAGE_SHIFT)) - 1 : 0;
    return (mmu_tlb_entry_t){.vpn = (va >> MMU_PAGE_SHIFT) & ~low,
                             .pfn = (x->res.pa >> MMU_PAGE_SHIFT) & ~low,
                             .tag = mmu->tag,
                             .perm = (uint16_t)x->perm,
                             .shift = (uint8_t)shift};
}

/* The host-physical address of va in a TLB entry of either size. */
static uint32_t entry_pa(const mmu_tlb_entry_t *e, uint32_t va)
{
    uint32_t mask = e->shift ? (1u << e->shift) - 1 : MMU_PAGE_OFFSET;
    return (e->pfn << MMU_PAGE_SHIFT) + (va & mask);
}

/* The access kinds (bit 1 << mmu_access_t) that TLB entry e serves with this privilege; each
 * kind by name, so that the rule of each folds to a test or two. */
static inline unsigned fast_kinds(const mmu_tlb_entry_t *e, mmu_priv_t priv)
{
    return (unsigned)tlb_allows(e, MMU_FETCH, priv) << MMU_FETCH |
           (unsigned)tlb_allows(e, MMU_LOAD, priv) << MMU_LOAD |
           (unsigned)tlb_allows(e, MMU_STORE, priv) << MMU_STORE;
}

/* The hot loop's mirror (mmu_fast_access) of the page of va, at host-physical page `frame`:
 * empty when the frame is not wholly in RAM (a device's accesses take the slow path). */
static inline mmu_fast_t fast_mirror(const struct sim_machine *m, mmu_priv_t priv, uint32_t va,
                                     uint32_t frame)
{
    uint32_t page = va & ~MMU_PAGE_OFFSET;
    if (frame >= m->ram_size || m->ram_size - frame < MMU_PAGE_SIZE)
        return (mmu_fast_t){.tag = MMU_FAST_EMPTY};
    return (mmu_fast_t){.tag = page | (priv == MMU_PRIV_USER ? MMU_FAST_USER : 0),
                        .delta = frame - page};
}

/* The kinds of fast_kinds that the cache may mirror at `frame`: no stores to a page that blocks
 * were decoded from (blocks.code), nor to one not marked written since a debugger's last
 * checkpoint (ram_written), so that a store that hits in the cache needs no test of either.
 * The slow path's store drops the blocks and marks the page; a page marked as code later loses
 * its store mirrors in every CPU then (mmu_fast_forget_stores), and a checkpoint forgets them
 * all (sim_ram_clear_written). */
static inline unsigned fast_kinds_at(const struct sim_machine *m, const mmu_tlb_entry_t *e,
                                     mmu_priv_t priv, uint32_t frame)
{
    unsigned kinds = fast_kinds(e, priv);
    uint32_t page = frame >> MMU_PAGE_SHIFT;
    if (frame < m->ram_size && ((m->blocks.code && m->blocks.code[page]) || !m->ram_written[page]))
        kinds &= ~(1u << MMU_STORE);
    return kinds;
}

/* Caches, for the hot loop (mmu_fast_access), the page of va in TLB entry e for every kind
 * of access e allows with this privilege: a load that filled the entry makes the store that
 * follows it a hit in the cache too, as it is a hit in the TLB. */
static void fast_fill(mmu_t *mmu, const struct sim_machine *m, const mmu_tlb_entry_t *e,
                      mmu_priv_t priv, uint32_t va)
{
    uint32_t frame = entry_pa(e, va) & ~MMU_PAGE_OFFSET;
    unsigned kinds = fast_kinds_at(m, e, priv, frame);
    unsigned set = (va >> MMU_PAGE_SHIFT) & (MMU_FAST_SETS - 1);
    mmu_fast_t mirror = fast_mirror(m, priv, va, frame);
    if (mirror.tag == MMU_FAST_EMPTY)
        return;
    for (unsigned k = 0; k < MMU_ACCESS_KINDS; k++)
        if (kinds & (1u << k))
            mmu->fast[k][set] = mirror;
}

/* Writes the translation just walked into the TLB, counted, and mirrors it for the hot loop.
 * `small` and `slot`: what mmu_tlb_lookup_small found for the page (an entry that did not
 * allow the access, or NULL; where a fill goes when it is NULL). */
static inline void fill_walked(mmu_t *mmu, const struct sim_machine *m,
                               const mmu_tlb_entry_t *small, mmu_tlb_entry_t *slot,
                               const mmu_tlb_entry_t *fill, mmu_priv_t priv, uint32_t va)
{
    mmu->stats.fills++;
    if (!small && !fill->shift) { /* the lookup found no way to replace */
        uint32_t frame = fill->pfn << MMU_PAGE_SHIFT;
        mmu_tlb_fill_walked(mmu, fill, slot, fast_kinds_at(m, fill, priv, frame),
                            fast_mirror(m, priv, va, frame));
        return;
    }
    mmu_tlb_insert(mmu, fill);
    mmu->stats.large_fills += fill->shift != 0;
    fast_fill(mmu, m, fill, priv, va);
}

/* A miss that the full walker walks: counted, a fault reported, else the TLB filled. Out of
 * line, so that the quick path does not pay for its locals. */
static __attribute__((noinline)) mmu_result_t
translate_full(mmu_t *mmu, struct sim_machine *m, uint32_t va, mmu_access_t kind, mmu_priv_t priv)
{
    translation_t x = walk_full(mmu, m, va, kind, priv);
    x.res.cycles = mmu->trace.cycles;
    count_walk(mmu, &x.res);
    if (x.res.status == MMU_NESTED_FAULT)
        mmu->last_nested_fault = x.res.nested;
    if (x.res.status == MMU_OK) {
        /* the full walk writes A/D bits and tells a debugger watching memory: the TLB is
         * looked at again rather than trusted as the lookup before the walk saw it */
        mmu_tlb_entry_t *slot,
            *small = mmu_tlb_lookup_small(&mmu->tlb, mmu->tag, va >> MMU_PAGE_SHIFT, &slot);
        mmu_tlb_entry_t fill = make_entry(mmu, va, &x);
        fill_walked(mmu, m, small, slot, &fill, priv, va);
    }
    return x.res;
}

/* Each way out builds its result where it returns it: the fields it does not name are zero
 * (no nested fault), and nothing is copied. */
mmu_result_t mmu_translate(mmu_t *mmu, struct sim_machine *m, uint32_t va, mmu_access_t kind,
                           mmu_priv_t priv)
{
    if (!mmu_active(mmu))
        return (mmu_result_t){.status = MMU_OK, .pa = va};
    uint32_t vpn = va >> MMU_PAGE_SHIFT;
    mmu_tlb_entry_t *slot, *small = mmu_tlb_lookup_small(&mmu->tlb, mmu->tag, vpn, &slot);
    mmu_tlb_entry_t *e = small || !mmu->tlb.large
                             ? small
                             : mmu_tlb_lookup_large(&mmu->tlb, mmu->tag, vpn, mmu->large_shift);
    if (e && tlb_allows(e, kind, priv)) {
        mmu->stats.hits++;
        fast_fill(mmu, m, e, priv, va);
        return (mmu_result_t){
            .status = MMU_OK, .pa = entry_pa(e, va), .cycles = m->costs.c[SIM_COST_tlb_hit]};
    }
    quick_out_t x;
    if (!quick_may_walk(mmu, m) || !walk_quick(mmu, m, va, kind, priv, &x))
        return translate_full(mmu, m, va, kind, priv);
    count_quick_walk(mmu);
    mmu_tlb_entry_t fill = {
        .vpn = vpn, .pfn = x.pa >> MMU_PAGE_SHIFT, .tag = mmu->tag, .perm = (uint16_t)x.perm};
    fill_walked(mmu, m, small, slot, &fill, priv, va); /* the walk changed nothing */
    return (mmu_result_t){
        .status = MMU_OK, .pa = x.pa, .cycles = mmu->trace.cycles, .walked = true};
}

mmu_result_t mmu_translate_probe(const mmu_t *mmu, const struct sim_machine *m, uint32_t va,
                                 mmu_access_t kind, mmu_priv_t priv, mmu_trace_t *trace)
{
    mmu_trace_t scratch;
    mmu_result_t res = {.status = MMU_OK, .pa = va};
    if (!trace)
        trace = &scratch;
    if (!mmu_active(mmu)) {
        *trace = (mmu_trace_t){.va = va, .access = (uint8_t)kind, .pa = va, .gpa = va};
        return res;
    }
    walker_t w = make_walker(m, trace, true);
    translation_t x = walk(&w, &mmu->cfg, mmu->ptroot, &mmu->nested, va, kind, priv);
    x.res.cycles = trace->cycles;
    return x.res;
}

mmu_status_t mmu_walk_io(struct sim_machine *m, uint32_t root_pfn, unsigned levels, uint32_t va,
                         mmu_access_t kind, mmu_trace_t *trace, uint32_t *leaf, uint8_t *reason)
{
    walker_t w = make_walker(m, trace, true);
    *trace = (mmu_trace_t){.va = va,
                           .access = (uint8_t)kind,
                           .priv = MMU_PRIV_NONE,
                           .paging = 1,
                           .levels = (uint8_t)levels};
    tree_t io = {.space = MMU_SPACE_IO, .levels = (uint8_t)levels, .root_pfn = root_pfn};
    walk_out_t out;
    if (!walk_tree(&w, &io, va, kind, MMU_PRIV_NONE, &out)) {
        trace->outcome = out.outcome;
        trace->fault_space = MMU_SPACE_IO;
        *reason = out.outcome;
        return MMU_PAGE_FAULT;
    }
    trace->pa = trace->gpa = out.pa;
    *leaf = out.leaf;
    return MMU_OK;
}
