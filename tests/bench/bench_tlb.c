/*
 * bench_tlb.c - a TLB-miss-heavy program natively and as a guest, with small pages, large
 * nested pages, the nested TLB, and guest large pages over small (splintered) and large nested
 * pages: the simulated cycles each costs, which is what the papers measure (Bhargava et al.,
 * ASPLOS 2008: 2-D walk caches and the nested TLB recover part of nested paging's cost, large
 * nested pages most of it).
 *
 * The program strides over 4 MiB, one load and one store per 4 KiB page, 100 times: 1024
 * pages against a 64-entry TLB, so with 4 KiB entries every page misses. All tables are
 * identity maps built before the run (nested tables and guest tables over the first 12 MiB), so
 * the one program runs unchanged in every row; only the MMU's work differs. The figures are
 * simulated cycles, deterministic; the host seconds are printed for completeness.
 */
#include <stdio.h>

#include "bench.h"

static const char tlb_stride[] = "        li r6, 100\n"
                                 "round:  li r5, 0x400000\n"
                                 "        li r1, 1024\n"
                                 "        li r3, 4096\n"
                                 "loop:   ld r2, [r5]\n"
                                 "        addi r2, r2, 1\n"
                                 "        st r2, [r5]\n"
                                 "        add r5, r5, r3\n"
                                 "        addi r1, r1, -1\n"
                                 "        cmpi r1, 0\n"
                                 "        bne loop\n"
                                 "        addi r6, r6, -1\n"
                                 "        cmpi r6, 0\n"
                                 "        bne round\n"
                                 "        out r0, [0xf0]\n";

#define MAPPED (12u << 20) /* identity-mapped: program, data, the tables themselves */
#define NESTED_POOL 0x800u, 0x900u
#define TABLE_POOL 0x900u, 0xa00u

typedef struct {
    const char *name;
    bool nested, guest_large, nested_large, ntlb;
} tlb_case_t;

static const tlb_case_t cases[] = {
    {"native, 4 KiB pages", false, false, false, false},
    {"native, 4 MiB pages", false, true, false, false},
    {"nested 2x2, 4 KiB pages", true, false, false, false},
    {"nested 2x2, + nested TLB", true, false, false, true},
    {"nested 2x2, nested 4 MiB", true, false, true, false},
    {"guest 4 MiB, nested 4 KiB", true, true, false, false},
    {"guest 4 MiB, nested 4 MiB", true, true, true, false},
};

/* Identity tables of the case's page sizes; ptroot and the nested control set. */
static bool tables(sim_machine_t *m, const tlb_case_t *c)
{
    mmu_builder_t nb, gb;
    m->mmu_config.ntlb = c->ntlb;
    if (sim_configure_mmu(m))
        return false;
    mmu_t *mmu = &m->cpu[0].mmu;
    if (c->nested) {
        bool ok = mmu_build_init(&nb, m, 2, 0, NESTED_POOL);
        ok = ok && (c->nested_large ? mmu_build_map_range_large(&nb, 0, 0, MAPPED, MMU_PTE_RWX)
                                    : mmu_build_map_range(&nb, 0, 0, MAPPED, MMU_PTE_RWX));
        mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 1, .root_pfn = nb.root_pfn};
        if (!ok || !mmu_set_nested(mmu, &ctl))
            return false;
    }
    bool ok = mmu_build_init(&gb, m, 2, 0, TABLE_POOL);
    ok = ok && (c->guest_large ? mmu_build_map_range_large(&gb, 0, 0, MAPPED, MMU_PTE_RWX)
                               : mmu_build_map_range(&gb, 0, 0, MAPPED, MMU_PTE_RWX));
    uint32_t ptroot = MMU_PTROOT_MAKE(gb.root_pfn, 1);
    m->cpu[0].s.csr[CPU_CSR_PTROOT] = ptroot;
    mmu_set_ptroot(mmu, ptroot);
    return ok;
}

int bench_tlb_runs(void)
{
    printf(
        "\nA TLB-miss-heavy program (1024 pages x 100 rounds, 64-entry TLB): simulated cycles\n");
    uint64_t native_small = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tlb_case_t *c = &cases[i];
        sim_machine_t m;
        bench_result_t r;
        if (bench_prepare(&m, c->name, tlb_stride))
            return 1;
        if (!tables(&m, c)) {
            fprintf(stderr, "bench %s: cannot build the page tables\n", c->name);
            sim_machine_free(&m);
            return 1;
        }
        if (bench_measure(&m, c->name, &r)) {
            sim_machine_free(&m);
            return 1;
        }
        const mmu_stats_t *st = &m.cpu[0].mmu.stats;
        if (i == 0)
            native_small = r.cycles;
        printf("%-28s %+6.1f%% vs native 4 KiB; %llu TLB misses, %llu walk references, "
               "%llu nested-TLB hits, %llu splintered\n",
               "", 100.0 * ((double)r.cycles - (double)native_small) / (double)native_small,
               (unsigned long long)st->misses, (unsigned long long)st->walk_refs,
               (unsigned long long)st->ntlb_hits, (unsigned long long)st->splinters);
        sim_machine_free(&m);
    }
    return 0;
}
