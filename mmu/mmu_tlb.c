/*
 * mmu_tlb.c - the TLB and the MMU's context: configuration, the ptroot CSR and the nested
 * control that together make the tag every TLB entry carries, and every kind of invalidation.
 *
 * Tags are why no entry is ever hit across VMs or address spaces: an entry matches only when
 * its VM id, its 1-D/2-D bit and its ASID equal the current context's (a global entry skips
 * the ASID, never the VM id). So switching address spaces or VMs needs no flush; the
 * operating system or hypervisor flushes only when it changes a mapping.
 */
#include <string.h>

#include "mmu_internal.h"

static bool power_of_two(unsigned v)
{
    return v && !(v & (v - 1));
}

const char *mmu_config_check(const mmu_config_t *cfg)
{
    if (!power_of_two(cfg->tlb_entries) || cfg->tlb_entries > MMU_TLB_MAX)
        return "TLB entries must be a power of two from 1 to 512";
    if (!power_of_two(cfg->tlb_ways) || cfg->tlb_ways > cfg->tlb_entries)
        return "TLB ways must be a power of two no larger than the number of entries";
    if (cfg->levels < MMU_MIN_LEVELS || cfg->levels > MMU_MAX_LEVELS)
        return "page-table levels must be 2 to 4";
    if (cfg->nested_levels < MMU_MIN_LEVELS || cfg->nested_levels > MMU_MAX_LEVELS)
        return "nested page-table levels must be 2 to 4";
    return NULL;
}

/* The size of the large TLB entries a context may hold: a 1-D walk's large leaf, a nested
 * leaf's while the guest's paging is off, and in a 2-D walk the smaller of the two (a guest
 * large page over nested large pages of another size is cached at the smaller). */
static uint8_t context_large_shift(const mmu_t *mmu)
{
    bool paging = mmu->ptroot & MMU_PTROOT_E;
    unsigned g = mmu_large_shift(mmu->cfg.levels), n = mmu_large_shift(mmu->nested.levels);
    if (!mmu->nested.enabled)
        return (uint8_t)g;
    if (!paging)
        return (uint8_t)n;
    return (uint8_t)(g < n ? g : n);
}

/* The tag of the current context, from ptroot's ASID and E bit and the nested control. */
static void retag(mmu_t *mmu)
{
    mmu->tag = MMU_TAG(mmu->nested.vmid, mmu->nested.enabled, MMU_PTROOT_ASID(mmu->ptroot)) |
               (mmu->ptroot & MMU_PTROOT_E ? 0 : MMU_TAG_OFF);
    mmu->large_shift = context_large_shift(mmu);
    mmu->quick = mmu_quick_shape(&mmu->cfg, &mmu->nested);
    mmu_fast_clear(mmu);
}

bool mmu_tlb_sane(const mmu_tlb_t *tlb)
{
    if (!power_of_two(tlb->entries) || tlb->entries > MMU_TLB_MAX || !power_of_two(tlb->ways) ||
        (uint32_t)tlb->ways * tlb->sets != tlb->entries)
        return false;
    for (unsigned i = 0; i < tlb->sets; i++)
        if (tlb->victim[mmu_tlb_victim_slot(i)] >= tlb->ways)
            return false;
    unsigned large = 0;
    for (unsigned i = 0; i < tlb->entries; i++) {
        const mmu_tlb_entry_t *e = &tlb->e[i];
        if (!(e->perm & MMU_TLBE_VALID) || !e->shift)
            continue;
        bool known = false;
        for (unsigned levels = MMU_MIN_LEVELS; levels <= MMU_MAX_LEVELS; levels++)
            known |= e->shift == mmu_large_shift(levels);
        if (!known)
            return false;
        large++;
    }
    return large == tlb->large;
}

const char *mmu_state_check(const mmu_t *mmu)
{
    if (mmu->nested.levels < MMU_MIN_LEVELS || mmu->nested.levels > MMU_MAX_LEVELS)
        return "the nested tables' level count is outside 2..4";
    mmu_t derived = *mmu;
    retag(&derived);
    if (derived.tag != mmu->tag || derived.large_shift != mmu->large_shift)
        return "the MMU's context tag or large-page size disagrees with its registers";
    if (derived.quick != mmu->quick) /* a wrong one would walk past a page-walk cache */
        return "the MMU's quick-walk shape disagrees with its configuration";
    if (!mmu_tlb_sane(&mmu->tlb))
        return "the TLB's shape, an entry's page size or the count of large entries is wrong";
    return NULL;
}

void mmu_forget_host_cache(mmu_t *mmu)
{
    mmu_fast_clear(mmu);
}

void mmu_init(mmu_t *mmu, const mmu_config_t *cfg)
{
    memset(mmu, 0, sizeof *mmu);
    mmu->cfg = *cfg;
    mmu->nested.levels = cfg->nested_levels;
    mmu_tlb_init(&mmu->tlb, cfg->tlb_entries, cfg->tlb_ways);
    retag(mmu);
}

void mmu_set_ptroot(mmu_t *mmu, uint32_t ptroot)
{
    mmu->ptroot = ptroot;
    retag(mmu);
}

static bool nested_valid(const mmu_nested_t *ctl)
{
    return !ctl->enabled || (ctl->levels >= MMU_MIN_LEVELS && ctl->levels <= MMU_MAX_LEVELS);
}

bool mmu_set_nested(mmu_t *mmu, const mmu_nested_t *ctl)
{
    if (!nested_valid(ctl))
        return false;
    mmu->nested = *ctl;
    retag(mmu);
    return true;
}

bool mmu_set_context(mmu_t *mmu, const mmu_nested_t *ctl, uint32_t ptroot)
{
    if (!nested_valid(ctl))
        return false;
    mmu->nested = *ctl;
    mmu->ptroot = ptroot;
    retag(mmu);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * A set-associative TLB (the MMU's and the IOMMU's)
 * ------------------------------------------------------------------------------------------ */
void mmu_tlb_init(mmu_tlb_t *tlb, unsigned entries, unsigned ways)
{
    memset(tlb, 0, sizeof *tlb);
    tlb->entries = (uint16_t)entries;
    tlb->ways = (uint16_t)ways;
    tlb->sets = (uint16_t)(entries / ways);
}

mmu_tlb_entry_t *mmu_tlb_lookup(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn)
{
    return mmu_tlb_lookup_sized(tlb, tag, vpn, 0);
}

mmu_tlb_entry_t *mmu_tlb_lookup_large(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn, unsigned shift)
{
    return shift > MMU_PAGE_SHIFT && tlb->large ? mmu_tlb_lookup_sized(tlb, tag, vpn, shift) : NULL;
}

/* Keeps the count of valid large entries as entries come and go. */
static void count_large(mmu_tlb_t *tlb, const mmu_tlb_entry_t *e, int delta)
{
    if ((e->perm & MMU_TLBE_VALID) && e->shift)
        tlb->large = (uint16_t)(tlb->large + delta);
}

/* The set's FIFO victim was replaced: the next fill replaces the way after it. */
static inline void victim_moves_on(mmu_tlb_t *tlb, unsigned set)
{
    uint16_t *victim = &tlb->victim[mmu_tlb_victim_slot(set)];
    *victim = (uint16_t)((*victim + 1u) & (tlb->ways - 1u)); /* ways is a power of two */
}

/* The set's FIFO victim, when all its ways are in use (the victim pointer moves on). */
static inline mmu_tlb_entry_t *victim_way(mmu_tlb_t *tlb, mmu_tlb_entry_t *way, unsigned set)
{
    mmu_tlb_entry_t *slot = &way[tlb->victim[mmu_tlb_victim_slot(set)]];
    victim_moves_on(tlb, set);
    return slot;
}

/* The way of the set at `way` that a new entry takes: an unused one, else the set's FIFO
 * victim (and the victim pointer moves on). */
static inline mmu_tlb_entry_t *free_way(mmu_tlb_t *tlb, mmu_tlb_entry_t *way, unsigned set)
{
    for (unsigned i = 0; i < tlb->ways; i++)
        if (!(way[i].perm & MMU_TLBE_VALID))
            return &way[i];
    return victim_way(tlb, way, set);
}

/* Writes the entry into slot, keeping what it held in *old (unless NULL) and the count of
 * large entries right; returns the slot's index. */
static inline unsigned write_slot(mmu_tlb_t *tlb, mmu_tlb_entry_t *slot,
                                  const mmu_tlb_entry_t *entry, mmu_tlb_entry_t *old)
{
    if (old)
        *old = *slot;
    count_large(tlb, slot, -1);
    *slot = *entry;
    slot->perm |= MMU_TLBE_VALID;
    count_large(tlb, slot, +1);
    return (unsigned)(slot - tlb->e);
}

unsigned mmu_tlb_fill(mmu_tlb_t *tlb, const mmu_tlb_entry_t *entry, mmu_tlb_entry_t *old)
{
    unsigned set;
    mmu_tlb_entry_t *way = mmu_tlb_set_of(tlb, mmu_tlb_page_key(entry->vpn, entry->shift), &set);
    for (unsigned i = 0; i < tlb->ways; i++)
        if (mmu_tlb_entry_matches(&way[i], entry->tag, entry->vpn, entry->shift))
            return write_slot(tlb, &way[i], entry, old);
    return write_slot(tlb, free_way(tlb, way, set), entry, old);
}

/* Drops the cache entries of one page in every access kind. */
static inline void fast_forget(mmu_fast_t *f, uint32_t vpn)
{
    if ((f->tag >> MMU_PAGE_SHIFT) == vpn) /* either privilege's */
        f->tag = MMU_FAST_EMPTY;
}

static inline void fast_forget_page(mmu_t *mmu, uint32_t vpn)
{
    unsigned set = vpn & (MMU_FAST_SETS - 1);
    fast_forget(&mmu->fast[MMU_FETCH][set], vpn);
    fast_forget(&mmu->fast[MMU_LOAD][set], vpn);
    fast_forget(&mmu->fast[MMU_STORE][set], vpn);
}

void mmu_fast_forget_stores(mmu_t *mmu, uint32_t frame)
{
    for (unsigned set = 0; set < MMU_FAST_SETS; set++) {
        mmu_fast_t *f = &mmu->fast[MMU_STORE][set];
        if (f->tag != MMU_FAST_EMPTY && (f->tag & ~MMU_PAGE_OFFSET) + f->delta == frame)
            f->tag = MMU_FAST_EMPTY;
    }
}

void mmu_fast_forget_all_stores(mmu_t *mmu)
{
    for (unsigned set = 0; set < MMU_FAST_SETS; set++)
        mmu->fast[MMU_STORE][set].tag = MMU_FAST_EMPTY;
}

/* The cache may hold only what the TLB holds: the entry overwritten takes its mirrors with it
 * (all of them for a large entry, whose pages may sit anywhere in the cache), and the page
 * filled loses any mirror of another entry (a small entry is looked up before a large one). */
void mmu_tlb_insert(mmu_t *mmu, const mmu_tlb_entry_t *entry)
{
    mmu_tlb_entry_t old;
    mmu_tlb_fill(&mmu->tlb, entry, &old);
    if ((old.perm & MMU_TLBE_VALID) && old.shift)
        mmu_fast_clear(mmu);
    else if (old.perm & MMU_TLBE_VALID)
        fast_forget_page(mmu, old.vpn);
    if (!entry->shift)
        fast_forget_page(mmu, entry->vpn);
}

/* One kind's mirror of the page just filled: the new translation where the entry allows that
 * kind and the frame is in RAM (the mirror is not empty), else no mirror of the page at all. */
static inline void mirror_kind(mmu_fast_t *f, uint32_t vpn, bool allowed, mmu_fast_t mirror)
{
    if (allowed && mirror.tag != MMU_FAST_EMPTY)
        *f = mirror;
    else
        fast_forget(f, vpn);
}

void mmu_tlb_fill_walked(mmu_t *mmu, const mmu_tlb_entry_t *entry, mmu_tlb_entry_t *slot,
                         unsigned kinds, mmu_fast_t mirror)
{
    mmu_tlb_t *tlb = &mmu->tlb;
    if (slot->perm & MMU_TLBE_VALID) /* no way was unused: slot is the set's FIFO victim */
        victim_moves_on(tlb, entry->vpn & (tlb->sets - 1u));
    if ((slot->perm & MMU_TLBE_VALID) && slot->shift) {
        tlb->large--;
        mmu_fast_clear(mmu);
    } else if (slot->perm & MMU_TLBE_VALID) {
        fast_forget_page(mmu, slot->vpn);
    }
    *slot = *entry;
    slot->perm |= MMU_TLBE_VALID;
    unsigned fs = entry->vpn & (MMU_FAST_SETS - 1);
    /* each kind by name, as mmu_translate's mirrors of a hit */
    mirror_kind(&mmu->fast[MMU_FETCH][fs], entry->vpn, kinds & (1u << MMU_FETCH), mirror);
    mirror_kind(&mmu->fast[MMU_LOAD][fs], entry->vpn, kinds & (1u << MMU_LOAD), mirror);
    mirror_kind(&mmu->fast[MMU_STORE][fs], entry->vpn, kinds & (1u << MMU_STORE), mirror);
}

unsigned mmu_tlb_remove(mmu_tlb_t *tlb, bool (*match)(const mmu_tlb_entry_t *e, const void *ctx),
                        const void *ctx)
{
    unsigned removed = 0;
    for (unsigned i = 0; i < tlb->entries; i++) {
        mmu_tlb_entry_t *e = &tlb->e[i];
        if ((e->perm & MMU_TLBE_VALID) && match(e, ctx)) {
            count_large(tlb, e, -1);
            e->perm = 0;
            removed++;
        }
    }
    return removed;
}

/* ------------------------------------------------------------------------------------------
 * Invalidation
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint16_t vmid, asid;
    uint32_t vpn;
} flush_scope_t;

static bool match_all(const mmu_tlb_entry_t *e, const void *ctx)
{
    (void)e;
    (void)ctx;
    return true;
}

static bool match_vm(const mmu_tlb_entry_t *e, const void *ctx)
{
    const flush_scope_t *s = ctx;
    return MMU_TAG_VMID(e->tag) == s->vmid;
}

static bool match_asid(const mmu_tlb_entry_t *e, const void *ctx)
{
    const flush_scope_t *s = ctx;
    return match_vm(e, ctx) && MMU_TAG_ASID(e->tag) == s->asid && !(e->perm & MMU_PTE_G);
}

/* A large entry is removed by an invalidation of any page inside it. */
static bool match_addr(const mmu_tlb_entry_t *e, const void *ctx)
{
    const flush_scope_t *s = ctx;
    return match_vm(e, ctx) &&
           mmu_tlb_page_key(e->vpn, e->shift) == mmu_tlb_page_key(s->vpn, e->shift) &&
           (MMU_TAG_ASID(e->tag) == s->asid || (e->perm & MMU_PTE_G));
}

static bool (*const matchers[MMU_FLUSH_COUNT])(const mmu_tlb_entry_t *, const void *) = {
    [MMU_FLUSH_ALL] = match_all,
    [MMU_FLUSH_VM] = match_vm,
    [MMU_FLUSH_ASID] = match_asid,
    [MMU_FLUSH_ADDR] = match_addr,
};

void mmu_invalidate(mmu_t *mmu, mmu_flush_t kind, uint16_t vmid, uint16_t asid, uint32_t va)
{
    if (kind >= MMU_FLUSH_COUNT)
        return;
    flush_scope_t scope = {.vmid = vmid, .asid = asid, .vpn = va >> MMU_PAGE_SHIFT};
    mmu->stats.flushes[kind]++;
    mmu->stats.flushed += mmu_tlb_remove(&mmu->tlb, matchers[kind], &scope);
    /* Upper-level entries may have changed too; like x86's INVLPG, drop them all. */
    mmu_pwc_clear(&mmu->pwc);
    /* Only the hypervisor changes nested maps, and it says so with a VM or ALL flush. */
    if (kind == MMU_FLUSH_ALL || kind == MMU_FLUSH_VM)
        mmu->ntlb.used = mmu->ntlb.next = 0;
    mmu_fast_clear(mmu);
}

void mmu_tlbinv(mmu_t *mmu, uint32_t va)
{
    mmu_invalidate(mmu, MMU_FLUSH_ADDR, mmu->nested.vmid, (uint16_t)MMU_TAG_ASID(mmu->tag), va);
}

void mmu_tlbflush(mmu_t *mmu)
{
    mmu_invalidate(mmu, MMU_FLUSH_ASID, mmu->nested.vmid, (uint16_t)MMU_TAG_ASID(mmu->tag), 0);
}

const mmu_tlb_entry_t *mmu_tlb_find(const mmu_t *mmu, uint32_t va)
{
    /* lookup does not change the TLB; the cast only lets it share the code */
    mmu_tlb_t *tlb = (mmu_tlb_t *)&mmu->tlb;
    mmu_tlb_entry_t *e = mmu_tlb_lookup(tlb, mmu->tag, va >> MMU_PAGE_SHIFT);
    return e ? e : mmu_tlb_lookup_large(tlb, mmu->tag, va >> MMU_PAGE_SHIFT, mmu->large_shift);
}
