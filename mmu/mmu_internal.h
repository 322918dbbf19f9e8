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

/* mmu_tlb_insert for an entry the TLB cannot hold yet: a lookup of its page and size in the
 * current context has just missed (the walker's fill after a miss). */
void mmu_tlb_insert_absent(mmu_t *mmu, const mmu_tlb_entry_t *entry);

/* Forgets every translation of the hot loop's cache: the context changed, or entries left the
 * TLB by an invalidation. */
static inline void mmu_fast_clear(mmu_t *mmu)
{
    memset(mmu->fast, 0, sizeof mmu->fast);
}

/* Forgets every page-walk-cache entry. */
static inline void mmu_pwc_clear(mmu_pwc_t *pwc)
{
    pwc->used = 0;
    pwc->next = 0;
}

#endif
