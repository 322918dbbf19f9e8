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

/* The tag of the current context, from ptroot's ASID and E bit and the nested control. */
static void retag(mmu_t *mmu)
{
    mmu->tag = MMU_TAG(mmu->nested.vmid, mmu->nested.enabled, MMU_PTROOT_ASID(mmu->ptroot)) |
               (mmu->ptroot & MMU_PTROOT_E ? 0 : MMU_TAG_OFF);
    mmu_fast_clear(mmu);
}

void mmu_init(mmu_t *mmu, const mmu_config_t *cfg)
{
    memset(mmu, 0, sizeof *mmu);
    mmu->cfg = *cfg;
    mmu->nested.levels = cfg->nested_levels;
    mmu->record_trace = true;
    mmu_tlb_init(&mmu->tlb, cfg->tlb_entries, cfg->tlb_ways);
    retag(mmu);
}

void mmu_set_ptroot(mmu_t *mmu, uint32_t ptroot)
{
    mmu->ptroot = ptroot;
    retag(mmu);
}

bool mmu_set_nested(mmu_t *mmu, const mmu_nested_t *ctl)
{
    if (ctl->enabled && (ctl->levels < MMU_MIN_LEVELS || ctl->levels > MMU_MAX_LEVELS))
        return false;
    mmu->nested = *ctl;
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

/* The first entry of the set that page `vpn` belongs to; its ways follow it. */
static mmu_tlb_entry_t *set_of(mmu_tlb_t *tlb, uint32_t vpn, unsigned *set)
{
    *set = vpn & (tlb->sets - 1u);
    return &tlb->e[*set * tlb->ways];
}

static bool entry_matches(const mmu_tlb_entry_t *e, uint32_t tag, uint32_t vpn)
{
    if (!(e->perm & MMU_TLBE_VALID) || e->vpn != vpn)
        return false;
    if (e->tag == tag)
        return true;
    /* A global page is shared by every address space of the same VM (and dimension). */
    return (e->perm & MMU_PTE_G) && (e->tag >> 11) == (tag >> 11);
}

mmu_tlb_entry_t *mmu_tlb_lookup(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn)
{
    unsigned set;
    mmu_tlb_entry_t *way = set_of(tlb, vpn, &set);
    for (unsigned i = 0; i < tlb->ways; i++)
        if (entry_matches(&way[i], tag, vpn))
            return &way[i];
    return NULL;
}

void mmu_tlb_fill(mmu_tlb_t *tlb, const mmu_tlb_entry_t *entry)
{
    unsigned set;
    mmu_tlb_entry_t *way = set_of(tlb, entry->vpn, &set);
    mmu_tlb_entry_t *slot = mmu_tlb_lookup(tlb, entry->tag, entry->vpn);
    for (unsigned i = 0; !slot && i < tlb->ways; i++)
        if (!(way[i].perm & MMU_TLBE_VALID))
            slot = &way[i];
    if (!slot) {
        slot = &way[tlb->victim[set]];
        tlb->victim[set] = (uint8_t)((tlb->victim[set] + 1u) % tlb->ways);
    }
    *slot = *entry;
    slot->perm |= MMU_TLBE_VALID;
}

unsigned mmu_tlb_remove(mmu_tlb_t *tlb, bool (*match)(const mmu_tlb_entry_t *e, const void *ctx),
                        const void *ctx)
{
    unsigned removed = 0;
    for (unsigned i = 0; i < tlb->entries; i++) {
        mmu_tlb_entry_t *e = &tlb->e[i];
        if ((e->perm & MMU_TLBE_VALID) && match(e, ctx)) {
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

static bool match_addr(const mmu_tlb_entry_t *e, const void *ctx)
{
    const flush_scope_t *s = ctx;
    return match_vm(e, ctx) && e->vpn == s->vpn &&
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
    return mmu_tlb_lookup((mmu_tlb_t *)&mmu->tlb, mmu->tag, va >> MMU_PAGE_SHIFT);
}
