/*
 * mmu_build.c - building page tables in software, the way a kernel (or a hypervisor building
 * nested tables) does: take a free frame for each missing table, fill in entries.
 *
 * A builder works in one physical address space (host-physical for native and nested tables,
 * guest-physical for a guest's tables) that begins at host_base in the machine's RAM, and
 * takes its tables from a pool of frames of that space. Tests, the walk demo and, later, the
 * hypervisor use it; the walker never does (it only reads what was built).
 */
#include <string.h>

#include "mmu_internal.h"
#include "../sim/sim.h"

/* The host memory behind address `pa` of the builder's space (pa must be in the pool's RAM). */
static uint8_t *host(const mmu_builder_t *b, uint32_t pa)
{
    return b->m->ram + b->host_base + pa;
}

static uint32_t get_word(const mmu_builder_t *b, uint32_t pa)
{
    const uint8_t *p = host(b, pa);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_word(const mmu_builder_t *b, uint32_t pa, uint32_t v)
{
    uint8_t *p = host(b, pa);
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    sim_ram_written(b->m, b->host_base + pa, 4);
}

/* Takes the next free frame of the pool and zeroes it. Returns false when the pool is empty. */
static bool alloc_table(mmu_builder_t *b, uint32_t *pfn)
{
    if (b->next_frame >= b->end_frame)
        return false;
    *pfn = b->next_frame++;
    memset(host(b, *pfn << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
    sim_ram_written(b->m, b->host_base + (*pfn << MMU_PAGE_SHIFT), MMU_PAGE_SIZE);
    return true;
}

bool mmu_build_init(mmu_builder_t *b, struct sim_machine *m, unsigned levels, uint32_t host_base,
                    uint32_t first_frame, uint32_t end_frame)
{
    uint64_t pool_end = (uint64_t)host_base + ((uint64_t)end_frame << MMU_PAGE_SHIFT);
    if (levels < MMU_MIN_LEVELS || levels > MMU_MAX_LEVELS || first_frame >= end_frame ||
        pool_end > m->ram_size || (host_base & MMU_PAGE_OFFSET))
        return false;
    *b = (mmu_builder_t){.m = m,
                         .host_base = host_base,
                         .next_frame = first_frame,
                         .end_frame = end_frame,
                         .levels = (uint8_t)levels};
    return alloc_table(b, &b->root_pfn);
}

/* True when the table frame `pfn` of the builder's space lies in RAM: tables found by following
 * entries are checked before they are touched, so a corrupt table cannot send the builder
 * outside the machine's memory. */
static bool frame_in_ram(const mmu_builder_t *b, uint32_t pfn)
{
    uint64_t end = (uint64_t)b->host_base + (((uint64_t)pfn + 1) << MMU_PAGE_SHIFT);
    return end <= b->m->ram_size;
}

/* The address (in the builder's space) of the entry for va in the table of `level` at frame
 * table_pfn. */
static uint32_t entry_addr(const mmu_builder_t *b, uint32_t table_pfn, unsigned level, uint32_t va)
{
    return (table_pfn << MMU_PAGE_SHIFT) + mmu_table_index(b->levels, level, va) * 4;
}

/* Finds (adding missing tables) the table of level `stop` on the way to va. Returns false when
 * the pool is exhausted, a table is outside RAM, or a large leaf is in the way. */
static bool descend(mmu_builder_t *b, uint32_t va, unsigned stop, uint32_t *table)
{
    *table = b->root_pfn;
    for (unsigned level = b->levels - 1; level > stop; level--) {
        uint32_t at = entry_addr(b, *table, level, va);
        uint32_t pte = get_word(b, at);
        if (!(pte & MMU_PTE_V)) {
            uint32_t next;
            if (!alloc_table(b, &next))
                return false;
            pte = MMU_PTE_MAKE(next, MMU_PTE_V);
            put_word(b, at, pte);
        }
        if (pte & MMU_PTE_S)
            return false;
        *table = MMU_PTE_PFN(pte);
        if (!frame_in_ram(b, *table))
            return false;
    }
    return true;
}

bool mmu_build_map(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t bits)
{
    uint32_t table;
    if (!descend(b, va, 0, &table))
        return false;
    put_word(b, entry_addr(b, table, 0, va), MMU_PTE_MAKE(pa >> MMU_PAGE_SHIFT, bits | MMU_PTE_V));
    return true;
}

bool mmu_build_map_large(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t bits)
{
    uint32_t table, mask = (1u << mmu_large_shift(b->levels)) - 1;
    if ((va & mask) || (pa & mask) || !descend(b, va, 1, &table))
        return false;
    uint32_t at = entry_addr(b, table, 1, va), old = get_word(b, at);
    if ((old & MMU_PTE_V) && !(old & MMU_PTE_S))
        return false; /* a table of small pages is there */
    put_word(b, at, MMU_PTE_MAKE(pa >> MMU_PAGE_SHIFT, bits | MMU_PTE_V | MMU_PTE_S));
    return true;
}

bool mmu_build_map_range(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t len, uint32_t bits)
{
    for (uint32_t off = 0; off < len; off += MMU_PAGE_SIZE)
        if (!mmu_build_map(b, va + off, pa + off, bits))
            return false;
    return true;
}

bool mmu_build_map_range_large(mmu_builder_t *b, uint32_t va, uint32_t pa, uint32_t len,
                               uint32_t bits)
{
    uint32_t size = 1u << mmu_large_shift(b->levels);
    for (uint64_t off = 0; off < len; off += size)
        if (!mmu_build_map_large(b, va + (uint32_t)off, pa + (uint32_t)off, bits))
            return false;
    return true;
}

uint32_t mmu_build_leaf_addr(const mmu_builder_t *b, uint32_t va)
{
    uint32_t table = b->root_pfn;
    for (unsigned level = b->levels - 1; level > 0; level--) {
        uint32_t pte = get_word(b, entry_addr(b, table, level, va));
        if (!(pte & MMU_PTE_V))
            return 0;
        if (level == 1 && (pte & MMU_PTE_S)) /* a large page's leaf */
            return b->host_base + entry_addr(b, table, 1, va);
        table = MMU_PTE_PFN(pte);
        if (!frame_in_ram(b, table))
            return 0;
    }
    return b->host_base + entry_addr(b, table, 0, va);
}
