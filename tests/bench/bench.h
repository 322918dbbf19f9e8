/*
 * bench.h - what the benchmark files share.
 */
#ifndef HVSIM_BENCH_H
#define HVSIM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../sim/sim.h"

typedef struct {
    uint64_t instructions, cycles;
    double seconds, mips;
} bench_result_t;

/* Host time in seconds (CLOCK_MONOTONIC), for measuring from outside the machine. */
double bench_now(void);
/* Snapshots (bench_snap.c): size and save/restore time of the default scenario's. */
int bench_snapshot(void);
int bench_reverse_stepi(void);
int bench_checkpoints(void);
/* Builds a 16 MiB machine and loads the assembled source; -1 on failure (message printed). */
int bench_prepare(sim_machine_t *m, const char *name, const char *src);
/* Runs to power-off, prints one line of figures and fills *out. */
int bench_measure(sim_machine_t *m, const char *name, bench_result_t *out);
/* The two programs of the flat runs: a CPU-bound loop, and a loop of loads and stores. */
extern const char bench_flat_loop[];
extern const char bench_memory_loop[];

/* Benchmarks of later subsystems (paging, nested paging, ...), relative to the flat runs. */
int bench_extra_runs(const bench_result_t *flat, const bench_result_t *mem);

/* The memory system (bench_mmu.c): `src` again with paging on, then with nested translation
 * on, each reported with its MIPS ratio to `flat` (the same program with the MMU off). */
int bench_mmu_paging(const char *name, const char *src, const bench_result_t *flat);
int bench_mmu_nested(const char *name, const char *src, const bench_result_t *flat);

/* Large pages and the nested TLB (bench_tlb.c): a TLB-miss-heavy program natively and nested,
 * with each page size and the nested TLB, in simulated cycles. */
int bench_tlb_runs(void);

/* The interpreter's speed (bench_speed.c): a loop that misses the TLB every iteration, with
 * paging and nested paging, against the MMU off; host instructions per simulated instruction
 * where valgrind is installed. */
int bench_speed_runs(void);

/* The visualizer (bench_gui.c): `src` at full speed with the window drawing 60 frames a
 * second offscreen; MIPS against `flat` (headless) and the frames per second achieved. */
int bench_gui(const char *name, const char *src, const bench_result_t *flat);
/* A built-in scenario (by name) headless, then under the offscreen window at 1280x800: its
 * speed under the window against headless, and the time to draw a frame (wall and CPU). */
int bench_gui_scenario(const char *name);
/* `hvbench --frames NAME N`: the scenario under the offscreen window at 1280x800, N frames
 * drawn with a fixed number of cycles run between two, for callgrind to count (bench_frame
 * draws one); *frame_cpu_ms (if not NULL) is the CPU time a frame took. */
int bench_gui_frames(const char *name, unsigned frames, double *frame_cpu_ms);
/* `make bench`'s window figures (and `hvbench --window`): per scenario the frame time in ms
 * and the machine's speed under the window against headless; host instructions per frame
 * where valgrind is installed. */
int bench_gui_window_runs(void);

/* Runs callgrind with `opts` on the shell command `cmd`; host instructions counted, or 0. */
unsigned long long bench_callgrind(const char *opts, const char *cmd, const char *dir);
/* A file beside this benchmark's binary (hvsim, guestos, the benchmark): true when it is there. */
bool bench_beside(const char *name, char *out, size_t len);

#endif
