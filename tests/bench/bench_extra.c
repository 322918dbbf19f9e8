/*
 * bench_extra.c - benchmarks that later subsystems add, reported against the flat run.
 * Each adds a call here.
 */
#include "bench.h"

int bench_extra_runs(const bench_result_t *flat)
{
    (void)flat;
    return 0;
}
