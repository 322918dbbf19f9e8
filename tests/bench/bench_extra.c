/*
 * bench_extra.c - benchmarks that later subsystems add, reported against the flat run.
 * Each adds a call here.
 */
#include "bench.h"

int bench_extra_runs(const bench_result_t *flat, const bench_result_t *mem)
{
    if (bench_mmu_paging("cpu-bound loop (paging)", bench_flat_loop, flat) ||
        bench_mmu_nested("cpu-bound loop (nested 2x2)", bench_flat_loop, flat) ||
        bench_mmu_paging("load/store loop (paging)", bench_memory_loop, mem) ||
        bench_mmu_nested("load/store loop (nested 2x2)", bench_memory_loop, mem) ||
        bench_gui("cpu-bound loop (window open)", bench_flat_loop, flat) || bench_snapshot() ||
        bench_reverse_stepi() || bench_checkpoints() || bench_tlb_runs() || bench_speed_runs())
        return 1;
    return bench_gui_window_runs();
}
