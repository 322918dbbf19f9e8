/*
 * bench.c - `make bench`: how fast the simulator runs, in simulated instructions per second
 * of host time, with the cycle accounting on. Host time is measured here, outside the
 * machine; nothing inside the machine ever sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../sim/sim.h"
#include "bench.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_prepare(sim_machine_t *m, const char *name, const char *src)
{
    if (sim_machine_init(m, 16u << 20, 1) != 0) {
        fprintf(stderr, "bench %s: cannot build a machine\n", name);
        return -1;
    }
    sim_console_set_output(m, NULL);
    cpu_asm_result_t res;
    if (cpu_asm_string(name, src, stderr, &res) != 0 || sim_load(m, res.base, res.bytes, res.size)) {
        cpu_asm_free(&res);
        sim_machine_free(m);
        return -1;
    }
    m->cpu[0].s.pc = res.base;
    cpu_asm_free(&res);
    return 0;
}

int bench_measure(sim_machine_t *m, const char *name, bench_result_t *out)
{
    double t0 = bench_now();
    sim_run_result_t why = sim_run(m, UINT64_MAX);
    double t1 = bench_now();
    if (why != SIM_RUN_POWEROFF || m->exit_code != 0) {
        fprintf(stderr, "bench %s: the program did not finish cleanly\n", name);
        return -1;
    }
    out->instructions = m->cpu[0].s.instret;
    out->cycles = m->cpu[0].s.cycles;
    out->seconds = t1 - t0;
    out->mips = (double)out->instructions / out->seconds / 1e6;
    printf("%-28s %12llu instructions %12llu cycles  CPI %.3f  %7.3f s  %7.1f MIPS\n", name,
           (unsigned long long)out->instructions, (unsigned long long)out->cycles,
           (double)out->cycles / (double)out->instructions, out->seconds, out->mips);
    fflush(stdout);
    return 0;
}

/* A CPU-bound loop of ALU work and a taken branch: 6 instructions per iteration. */
const char bench_flat_loop[] = "        li r1, 40000000\n"
                               "loop:   addi r2, r2, 3\n"
                               "        xor r3, r3, r2\n"
                               "        add r4, r4, r3\n"
                               "        addi r1, r1, -1\n"
                               "        cmpi r1, 0\n"
                               "        bne loop\n"
                               "        out r0, [0xf0]\n";

/* Loads and stores on a small array as well. */
const char bench_memory_loop[] = "        li r1, 20000000\n"
                                 "        la r5, buf\n"
                                 "loop:   ld r2, [r5]\n"
                                 "        addi r2, r2, 1\n"
                                 "        st r2, [r5+4]\n"
                                 "        addi r1, r1, -1\n"
                                 "        cmpi r1, 0\n"
                                 "        bne loop\n"
                                 "        out r0, [0xf0]\n"
                                 "        .align 4\n"
                                 "buf:    .space 16\n";

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--frames") == 0) /* for callgrind: bench_gui.c */
        return bench_gui_frames(argv[2], (unsigned)strtoul(argv[3], NULL, 10), NULL) ? 1 : 0;
    if (argc == 2 && strcmp(argv[1], "--window") == 0) /* the window's figures alone */
        return bench_gui_window_runs();
    if (argc == 3 && strcmp(argv[1], "--window") == 0) /* one scenario's (for perf) */
        return bench_gui_scenario(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: hvbench [--window [SCENARIO] | --frames SCENARIO N]\n");
        return 2;
    }
    sim_machine_t m;
    bench_result_t flat, mem;
    printf("hvsim benchmarks (simulated instructions per host second, cycle accounting on)\n");
    if (bench_prepare(&m, "cpu-bound loop (flat)", bench_flat_loop) ||
        bench_measure(&m, "cpu-bound loop (flat)", &flat))
        return 1;
    sim_machine_free(&m);
    if (bench_prepare(&m, "load/store loop (flat)", bench_memory_loop) ||
        bench_measure(&m, "load/store loop (flat)", &mem))
        return 1;
    sim_machine_free(&m);
    return bench_extra_runs(&flat, &mem);
}
