/*
 * harness.h - helpers the test suites share: assemble a snippet and run it on a fresh bare
 * machine, and run the built command-line tools the way a student would.
 */
#ifndef HVSIM_TEST_HARNESS_H
#define HVSIM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../sim/sim.h"

/* The exit sequence tests append to snippets: power off with exit code 0. */
#define TH_POWEROFF "\n        out r0, [0xf0]\n"

/* The start of a snippet that pages: identity tables for the first 1 MiB (V R W X A D, the
 * root at 0x20000, its one table at 0x21000), then paging on in K with ASID 1. */
#define TH_IDENTITY_PAGING                                                                         \
    "        li      r1, 0x21000\n"                                                                \
    "        li      r2, 0x6f\n" /* frame 0: V R W X A D */                                        \
    "        li      r3, 256\n"                                                                    \
    "fill:   st      r2, [r1]\n"                                                                   \
    "        addi    r1, r1, 4\n"                                                                  \
    "        addi    r2, r2, 0x1000\n"                                                             \
    "        addi    r3, r3, -1\n"                                                                 \
    "        cmpi    r3, 0\n"                                                                      \
    "        bne     fill\n"                                                                       \
    "        li      r1, 0x20000\n"                                                                \
    "        li      r2, 0x21001\n"                                                                \
    "        st      r2, [r1]\n" /* root[0] -> the table of the first 4 MiB */                     \
    "        li      r1, 0x20000 | 1 << 1 | 1\n"                                                   \
    "        csrw    ptroot, r1\n" /* paging on, ASID 1 */

/* Builds a 1 MiB, one-CPU machine with console output captured (not printed), assembles
 * `src` (the test fails on assembly errors) and loads it at its base with pc there. */
void th_machine(sim_machine_t *m, const char *src);
/* th_machine + sim_run for at most max_cycles; returns why it stopped. */
sim_run_result_t th_run(sim_machine_t *m, const char *src, uint64_t max_cycles);
/* th_run to power-off (the test fails otherwise); returns register `reg` of CPU 0. */
uint32_t th_run_reg(const char *src, uint64_t max_cycles, unsigned reg);

/* Runs a shell command line with $HVSIM_BUILD (default "build") exported as B, e.g.
 * "$B/hvsim --help". Returns its stdout (and stderr too when merge_stderr), malloc'd; the
 * exit status goes to *status (-1 if it did not exit normally). */
char *th_sh(const char *cmdline, bool merge_stderr, int *status);
/* Runs cmdline (th_sh, stdout only) and expects exactly `want` from it. Returns its status. */
int th_expect_output(const char *cmdline, const char *want);
/* Expects `got` to be the text of the golden file `path` (a transcript), saying `what` differs;
 * with HVSIM_UPDATE_GOLDEN=1 in the environment it writes `got` there first (review the diff). */
void th_expect_golden(const char *path, const char *got, const char *what);
/* The build directory: $HVSIM_BUILD or "build". */
const char *th_build_dir(void);

/* The body of a ParameterizedTestParameters over a table of n rows: it passes the row indices,
 * not the rows, because Criterion runs each case in a fresh process, where pointers inside a
 * copied row would not be valid. Needs <criterion/parameterized.h>. */
#define TH_ROW_INDICES(n)                                                                          \
    do {                                                                                           \
        static size_t th_index_[n];                                                                \
        for (size_t th_i_ = 0; th_i_ < (n); th_i_++)                                               \
            th_index_[th_i_] = th_i_;                                                              \
        return cr_make_param_array(size_t, th_index_, (n));                                        \
    } while (0)

/* An event recorder for tests: keeps up to 256 events. */
typedef struct {
    sim_event_t ev[256];
    unsigned n;
} th_events_t;
void th_record_events(sim_machine_t *m, th_events_t *rec);

#endif
