/*
 * bench_mmu.c - what the memory system costs the simulator: the flat benchmarks again with
 * paging on (1-D, 2 levels) and with nested translation on (2-D, 2x2 levels).
 *
 * The tables are built before the run (identity mappings, so the same program runs
 * unchanged), and the loops touch one code page and one data page: after the first few walks
 * every access is a TLB hit, so the figures measure the translated path of the interpreter,
 * not page walks. The simulated cycle counts barely move (a walk or two); the host time is
 * what these runs are about.
 */
#include <stdio.h>

#include "bench.h"

#define BENCH_MAPPED (1u << 20)     /* the program's first MiB: code, data, nothing else */
#define BENCH_TABLES 0x800u, 0x900u /* frames of host (or nested) tables: 8 MiB up */
#define BENCH_GUEST_TABLES 0x900u, 0xa00u
#define BENCH_VMID 1
#define BENCH_ASID 1

/* Identity page tables over the program's memory, and ptroot pointing at them. */
static int paging_on(sim_machine_t *m, uint32_t first, uint32_t end)
{
    mmu_builder_t b;
    if (!mmu_build_init(&b, m, m->mmu_config.levels, 0, first, end) ||
        !mmu_build_map_range(&b, 0, 0, BENCH_MAPPED, MMU_PTE_RWX))
        return -1;
    uint32_t ptroot = MMU_PTROOT_MAKE(b.root_pfn, BENCH_ASID);
    m->cpu[0].s.csr[CPU_CSR_PTROOT] = ptroot;
    mmu_set_ptroot(&m->cpu[0].mmu, ptroot);
    return 0;
}

/* Nested tables mapping guest-physical = host-physical over the program and its guest
 * tables, with nested translation on. */
static int nested_on(sim_machine_t *m)
{
    mmu_builder_t n;
    uint32_t guest_tables_end = 0xa00u << MMU_PAGE_SHIFT;
    if (!mmu_build_init(&n, m, m->mmu_config.nested_levels, 0, BENCH_TABLES) ||
        !mmu_build_map_range(&n, 0, 0, guest_tables_end, MMU_PTE_RWX))
        return -1;
    mmu_nested_t ctl = {.enabled = true,
                        .levels = m->mmu_config.nested_levels,
                        .vmid = BENCH_VMID,
                        .root_pfn = n.root_pfn};
    return mmu_set_nested(&m->cpu[0].mmu, &ctl) ? 0 : -1;
}

static int run(const char *name, const char *src, const bench_result_t *flat, bool nested)
{
    sim_machine_t m;
    bench_result_t r;
    if (bench_prepare(&m, name, src))
        return -1;
    int rc =
        nested ? nested_on(&m) || paging_on(&m, BENCH_GUEST_TABLES) : paging_on(&m, BENCH_TABLES);
    if (rc) {
        fprintf(stderr, "bench %s: cannot build the page tables\n", name);
        sim_machine_free(&m);
        return -1;
    }
    rc = bench_measure(&m, name, &r);
    if (rc == 0) {
        const mmu_stats_t *st = &m.cpu[0].mmu.stats;
        printf("%-28s %5.2f x the flat run's MIPS; TLB %llu hits, %llu walks (%llu references)\n",
               "", r.mips / flat->mips, (unsigned long long)st->hits, (unsigned long long)st->walks,
               (unsigned long long)st->walk_refs);
    }
    sim_machine_free(&m);
    return rc;
}

int bench_mmu_paging(const char *name, const char *src, const bench_result_t *flat)
{
    return run(name, src, flat, false);
}

int bench_mmu_nested(const char *name, const char *src, const bench_result_t *flat)
{
    return run(name, src, flat, true);
}
