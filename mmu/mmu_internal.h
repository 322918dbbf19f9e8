/*
 * mmu_internal.h - what the MMU's own files share: the permission rules and the helpers that
 * keep the hot loop's last-translation cache coherent with the TLB.
 */
#ifndef HVSIM_MMU_INTERNAL_H
#define HVSIM_MMU_INTERNAL_H

#include <string.h>

#include "mmu.h"

/* The permission rules for leaf bits R W X U (V and the W-without-R rule are checked by the
 * walker first). Returns MMU_OUTCOME_OK, PRIVILEGE or PERMISSION:
 *   - U may only touch pages with U = 1;
 *   - K may load and store on any page, but may not fetch from a U page;
 *   - the access needs X (fetch), R (load) or W (store);
 *   - with MMU_PRIV_NONE (nested tables, I/O tables) the U bit is ignored. */
unsigned mmu_access_check(uint32_t bits, mmu_access_t kind, mmu_priv_t priv);

/* ------------------------------------------------------------------------------------------
 * The TLB's lookup, inline for mmu_translate (mmu_tlb.c has the rest of the TLB)
 * ------------------------------------------------------------------------------------------ */
/* The page number that picks a set and that an entry of size `shift` (0: 4 KiB) compares:
 * a large entry's page number counts large pages. */
static inline uint32_t mmu_tlb_page_key(uint32_t vpn, unsigned shift)
{
    return shift ? vpn >> (shift - MMU_PAGE_SHIFT) : vpn;
}

/* The first entry of the set that page key `key` belongs to; its ways follow it. */
static inline mmu_tlb_entry_t *mmu_tlb_set_of(mmu_tlb_t *tlb, uint32_t key, unsigned *set)
{
    *set = key & (tlb->sets - 1u);
    return &tlb->e[*set * tlb->ways];
}

/* Does entry e translate page vpn with an entry of size `shift` in context `tag`? The page
 * numbers are compared first, as page keys (equal above a large page's own page bits): in a
 * set of ways that one test turns away almost every other entry, so a miss costs little. */
static inline bool mmu_tlb_entry_matches(const mmu_tlb_entry_t *e, uint32_t tag, uint32_t vpn,
                                         unsigned shift)
{
    unsigned low = shift ? shift - MMU_PAGE_SHIFT : 0;
    if (((e->vpn ^ vpn) >> low) != 0 || e->shift != shift || !(e->perm & MMU_TLBE_VALID))
        return false;
    if (e->tag == tag)
        return true;
    /* A global page is shared by every address space of the same VM (and dimension). */
    return (e->perm & MMU_PTE_G) && (e->tag >> 11) == (tag >> 11);
}

/* The entry of size `shift` (0: 4 KiB) that translates page vpn in context `tag`, or NULL. */
static inline mmu_tlb_entry_t *mmu_tlb_lookup_sized(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn,
                                                    unsigned shift)
{
    unsigned set;
    mmu_tlb_entry_t *way = mmu_tlb_set_of(tlb, mmu_tlb_page_key(vpn, shift), &set);
    for (unsigned i = 0; i < tlb->ways; i++)
        if (mmu_tlb_entry_matches(&way[i], tag, vpn, shift))
            return &way[i];
    return NULL;
}

/* Where in tlb->victim set `set` keeps its FIFO victim. Sets of one way share the slots (only a
 * direct-mapped TLB has more than MMU_TLB_MAX / 2 sets): their victim is 0, and moving it on
 * keeps it 0. */
static inline unsigned mmu_tlb_victim_slot(unsigned set)
{
    return set & (MMU_TLB_MAX / 2 - 1);
}

/* mmu_tlb_lookup_small's pass over set `set` of `ways` ways (inlined with a constant, the loop
 * unfolds). The ways are looked at from the last, so that the first unused one is the last
 * noted; at most one way matches. */
static inline __attribute__((always_inline)) mmu_tlb_entry_t *
tlb_lookup_small_ways(mmu_tlb_t *tlb, unsigned set, unsigned ways, uint32_t tag, uint32_t vpn,
                      mmu_tlb_entry_t **slot)
{
    mmu_tlb_entry_t *way = &tlb->e[set * ways], *unused = NULL;
#pragma GCC unroll 4
    for (unsigned i = ways; i-- > 0;) {
        if (!(way[i].perm & MMU_TLBE_VALID)) {
            unused = &way[i];
        } else if (mmu_tlb_entry_matches(&way[i], tag, vpn, 0)) {
            *slot = NULL;
            return &way[i];
        }
    }
    *slot = unused ? unused : &way[tlb->victim[mmu_tlb_victim_slot(set)]];
    return NULL;
}

/* mmu_tlb_lookup_sized for a 4 KiB page, noting on the same pass over the set where a fill of
 * the page would go when it misses: *slot is the set's first unused way, or when all are in
 * use its FIFO victim (whose pointer the fill moves on); NULL on a hit. The default four ways
 * have a copy of their own, unfolded: a miss looks at every way, and the loop's own count and
 * tests cost as much as the looking. */
static inline __attribute__((always_inline)) mmu_tlb_entry_t *
mmu_tlb_lookup_small(mmu_tlb_t *tlb, uint32_t tag, uint32_t vpn, mmu_tlb_entry_t **slot)
{
    unsigned set = vpn & (tlb->sets - 1u);
    if (tlb->ways == 4)
        return tlb_lookup_small_ways(tlb, set, 4, tag, vpn, slot);
    return tlb_lookup_small_ways(tlb, set, tlb->ways, tag, vpn, slot);
}

/* The walker's fill of a 4 KiB entry that mmu_tlb_lookup_small has just missed (so no way
 * holds it and there is none to look for), and the translation cache's upkeep, in one pass:
 * the way (the lookup's `slot`: an unused way, else the set's FIFO victim, as mmu_tlb_fill
 * chooses, and the victim pointer moves on), the mirrors of the entry it replaces forgotten,
 * and the new page mirrored by `mirror` for the access kinds in `kinds` (bit 1 <<
 * mmu_access_t) and by none for the others, nor by an empty mirror (a frame not wholly in
 * RAM): what mmu_tlb_insert and a mirror of each kind the entry allows would leave. */
void mmu_tlb_fill_walked(mmu_t *mmu, const mmu_tlb_entry_t *entry, mmu_tlb_entry_t *slot,
                         unsigned kinds, mmu_fast_t mirror);

/* The quick walk (mmu_walk.c) a context's misses may take, worked out when the context
 * changes (mmu_quick_shape): none while a cache the quick walk does not consult is on (the
 * page-walk cache, or the nested TLB under nested translation); else the copy for its trees:
 * two levels and no nested dimension, two levels over two nested levels, or any other. */
enum { QUICK_NONE = 0, QUICK_2, QUICK_2X2, QUICK_ANY };

static inline uint8_t mmu_quick_shape(const mmu_config_t *cfg, const mmu_nested_t *nested)
{
    if (cfg->pwc || (nested->enabled && cfg->ntlb))
        return QUICK_NONE;
    if (cfg->levels == 2 && !nested->enabled)
        return QUICK_2;
    if (cfg->levels == 2 && nested->levels == 2)
        return QUICK_2X2;
    return QUICK_ANY;
}

/* Forgets every translation of the hot loop's cache: the context changed, or entries left the
 * TLB by an invalidation. */
static inline void mmu_fast_clear(mmu_t *mmu)
{
    memset(mmu->fast, 0xff, sizeof mmu->fast); /* every tag MMU_FAST_EMPTY */
}

/* Forgets every page-walk-cache entry. */
static inline void mmu_pwc_clear(mmu_pwc_t *pwc)
{
    pwc->used = 0;
    pwc->next = 0;
}

/* ------------------------------------------------------------------------------------------
 * Table indices and permission rules, inline for the walker (mmu_rules.c has their public
 * names)
 * ------------------------------------------------------------------------------------------ */

/* Each level's index field in an address, as one word for the walker's one load: where it
 * starts (the page offset, then the indices of the levels below) in the low byte, and the
 * mask of its index_bits above. */
#define INDEX_FIELD(shift, bits) ((uint32_t)(shift) | (((1u << (bits)) - 1) << 8))
static const uint32_t index_field[MMU_MAX_LEVELS + 1][MMU_MAX_LEVELS] = {
    [2] = {INDEX_FIELD(12, 10), INDEX_FIELD(22, 10)},
    [3] = {INDEX_FIELD(12, 7), INDEX_FIELD(19, 7), INDEX_FIELD(26, 6)},
    [4] = {INDEX_FIELD(12, 5), INDEX_FIELD(17, 5), INDEX_FIELD(22, 5), INDEX_FIELD(27, 5)},
};

/* The walker's index, for levels it has checked already (a tree's levels are 2..4). */
static inline uint32_t table_index(unsigned levels, unsigned level, uint32_t va)
{
    uint32_t field = index_field[levels][level];
    return (va >> (field & 0xffu)) & (field >> 8);
}

static const uint32_t needed_bit[MMU_ACCESS_KINDS] = {
    [MMU_FETCH] = MMU_PTE_X,
    [MMU_LOAD] = MMU_PTE_R,
    [MMU_STORE] = MMU_PTE_W,
};

/* The rule itself, inline for the walker and the TLB's hit test; mmu_access_check is its
 * public name. */
static inline unsigned access_check(uint32_t bits, mmu_access_t kind, mmu_priv_t priv)
{
    if (priv == MMU_PRIV_USER && !(bits & MMU_PTE_U))
        return MMU_OUTCOME_PRIVILEGE;
    if (priv == MMU_PRIV_KERNEL && kind == MMU_FETCH && (bits & MMU_PTE_U))
        return MMU_OUTCOME_PRIVILEGE; /* K never runs user code (like SMEP) */
    if (!(bits & needed_bit[kind]))
        return MMU_OUTCOME_PERMISSION;
    return MMU_OUTCOME_OK;
}

/* A pointer to the next table needs only V. */
static inline unsigned pointer_check(uint32_t pte)
{
    return (pte & MMU_PTE_V) ? MMU_OUTCOME_OK : MMU_OUTCOME_NOT_PRESENT;
}

static inline unsigned leaf_check(uint32_t pte, mmu_access_t kind, mmu_priv_t priv)
{
    if (!(pte & MMU_PTE_V))
        return MMU_OUTCOME_NOT_PRESENT;
    if ((pte & MMU_PTE_W) && !(pte & MMU_PTE_R))
        return MMU_OUTCOME_MALFORMED;
    return access_check(pte, kind, priv);
}

/* The walker's verdict on the entry read at `level` of a tree of `levels`: a pointer needs V;
 * a leaf the leaf rule, and a large leaf a PFN aligned to its size; S above level 1 is
 * malformed (only level 1 holds large pages). */
static inline unsigned entry_check(uint32_t pte, unsigned level, unsigned levels, mmu_access_t kind,
                                   mmu_priv_t priv)
{
    if (level == 0 || !(pte & MMU_PTE_S) || !(pte & MMU_PTE_V))
        return level ? pointer_check(pte) : leaf_check(pte, kind, priv);
    uint32_t frames = 1u << mmu_index_bits(levels, 0);
    if (level > 1 || (MMU_PTE_PFN(pte) & (frames - 1)))
        return MMU_OUTCOME_MALFORMED;
    return leaf_check(pte, kind, priv);
}

#endif
