/*
 * mmu_rules.c - the page tables' rules under their public names: where each level's index
 * sits in an address, and which entries a walk accepts (the inline forms the walker uses are
 * in mmu_internal.h).
 */
#include "mmu_internal.h"

/* ------------------------------------------------------------------------------------------
 * Table indices
 * ------------------------------------------------------------------------------------------ */

/* Index bits per level (level 0 first), for 2, 3 and 4 levels. */
static const uint8_t index_bits[MMU_MAX_LEVELS + 1][MMU_MAX_LEVELS] = {
    [2] = {10, 10},
    [3] = {7, 7, 6},
    [4] = {5, 5, 5, 5},
};

unsigned mmu_index_bits(unsigned levels, unsigned level)
{
    if (levels < MMU_MIN_LEVELS || levels > MMU_MAX_LEVELS || level >= levels)
        return 0;
    return index_bits[levels][level];
}

unsigned mmu_large_shift(unsigned levels)
{
    return MMU_PAGE_SHIFT + mmu_index_bits(levels, 0);
}

uint32_t mmu_table_index(unsigned levels, unsigned level, uint32_t va)
{
    if (levels < MMU_MIN_LEVELS || levels > MMU_MAX_LEVELS || level >= levels)
        return 0;
    return table_index(levels, level, va);
}

/* ------------------------------------------------------------------------------------------
 * Permission rules
 * ------------------------------------------------------------------------------------------ */
unsigned mmu_access_check(uint32_t bits, mmu_access_t kind, mmu_priv_t priv)
{
    return access_check(bits, kind, priv);
}

unsigned mmu_leaf_check(uint32_t pte, mmu_access_t kind, mmu_priv_t priv)
{
    return leaf_check(pte, kind, priv);
}

/* Is the entry of `level` a leaf? Level 0 always; level 1 when S says it maps a large page. */
bool mmu_is_leaf(uint32_t pte, unsigned level)
{
    return level == 0 || (level == 1 && (pte & MMU_PTE_S));
}

unsigned mmu_entry_check(uint32_t pte, unsigned level, unsigned levels, mmu_access_t kind,
                         mmu_priv_t priv)
{
    return entry_check(pte, level, levels, kind, priv);
}
