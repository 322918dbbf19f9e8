/*
 * lab_util.h - what the graded labs' suites share (labs/, docs/labs.md): self-checking random
 * guest instruction streams drawn from the ISA table's classes, the isolation checker, and
 * whole-scenario fingerprints for determinism. The suites are named lab1 .. lab5; each lab's
 * manifest (labs/NN-name/lab.ini) gives their points.
 */
#ifndef HVSIM_TEST_LAB_UTIL_H
#define HVSIM_TEST_LAB_UTIL_H

#include "../hypervisor/hv_util.h"

/* A generated guest: assembly text and how many of each instruction it executes. */
typedef struct {
    char src[32768];
    unsigned count[CPU_OP_COUNT];
    unsigned steps;    /* the templates it strings together */
    char what[64][40]; /* each step's instruction, for messages */
} lu_stream_t;

/* What a stream may use: privileged instructions, and the sensitive unprivileged ones. */
#define LU_PRIV 1u
#define LU_SENS 2u

/* A stream of `steps` random instructions of the classes `classes` run by the guest kernel
 * (virtual K). Each checks its own effect as bare hardware gives it, and every register and
 * the condition flags must come back from each exit unchanged; the program ends with r10 = 1
 * when all held, else r10 = 2 and r13 = the failed step. The same seed, the same program. */
void lu_kernel_stream(lu_stream_t *s, unsigned seed, unsigned steps, unsigned classes);
/* A stream of privileged instructions run by the guest's user mode: each must reach its
 * kernel's handler as a privileged-instruction trap (the handler counts them in r8, skips
 * them), and a final syscall powers the machine off with r10 = 1. */
void lu_user_stream(lu_stream_t *s, unsigned seed, unsigned steps);

/* Runs `seeds` user streams under the given techniques: each must end with r10 = 1, its
 * kernel having counted every privileged instruction as its trap, and the hypervisor having
 * reflected each (and the final syscall) exactly once. */
void lu_user_streams(unsigned cpu, unsigned mem, unsigned seeds);

/* Runs `src` in one VM with the given techniques, to its power-off; returns the VM. */
int lu_run_guest(sim_machine_t *m, hv_t **hv, const char *src, unsigned cpu, unsigned mem);
/* Runs a kernel stream (lu_kernel_stream) with the given techniques; the test fails, naming
 * the step that went wrong, unless it ended with r10 = 1. Returns the VM. */
int lu_run_stream(sim_machine_t *m, hv_t **hv, const lu_stream_t *s, unsigned seed, unsigned cpu,
                  unsigned mem);
/* A guest register from its VMCB. */
uint32_t lu_reg(hv_t *hv, int vm, unsigned reg);

/* The round trip, register for register: for each privileged instruction that changes no
 * register, a guest sets r1 .. r14 and the condition flags, executes it (an exit under any
 * technique but hw), and powers off; every register and flag must be what it set. */
void lu_round_trip(unsigned cpu, unsigned mem);

/* Isolation: no host frame is reachable from two VMs (through nested or shadow tables), none
 * of the hypervisor's is reachable from a guest as data, and the hypervisor's own invariants
 * hold. NULL when it holds, else a sentence in buf. */
const char *lu_isolation(hv_t *hv, char *buf, size_t len);

/* Runs a built-in scenario to its end in ten steps, checking lu_isolation after each; the
 * test fails where it does not hold, or when a VM was stopped. */
void lu_isolation_all_along(const char *scenario);

/* A scenario run to its end: every VM's transcript and figures, as one text (malloc'd). */
char *lu_fingerprint(const char *scenario);

#endif
