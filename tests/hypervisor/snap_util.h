/*
 * snap_util.h - what the tests of snapshots (test_snapshot.c) and of the debugger's stops
 * (tests/debug/test_stops.c) share: both compare a run with an uninterrupted one, down to the
 * whole machine's state.
 */
#ifndef HVSIM_TEST_SNAP_UTIL_H
#define HVSIM_TEST_SNAP_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../../hypervisor/hv_scenario.h"

/* Starts a built-in scenario; native-tinyos and native-rtos run the default's guest on the
 * bare machine. The test fails when it cannot. */
void su_start(hv_scenario_t *sc, sim_machine_t *m, const char *name);
/* Runs m (by its hypervisor, if it has one) until it ends or `max` cycles. */
void su_run_to_end(sim_machine_t *m, uint64_t max);
/* Everything a student sees at the end, as one text (malloc'd): each CPU's counters, the
 * consoles, the hypervisor's and the machine's statistics. */
char *su_fingerprint(sim_machine_t *m);
/* The uncompressed payload of a snapshot of m (its whole state), malloc'd; *len its size. */
uint8_t *su_state(const sim_machine_t *m, size_t *len);
/* Fails the test, naming the first section and byte where two states (su_state) part. */
void su_expect_same_state(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                          const char *what);

/* Saves m twice (the two saves must be byte-identical) and loads the first into `fresh`. */
void su_save_and_load(sim_machine_t *m, sim_machine_t *fresh, const char *name);

/* Every built-in scenario, as X(identifier, name): the suites that must cover them all. */
#define SU_SCENARIOS(X)                                                                            \
    X(native_tinyos, "native-tinyos")                                                              \
    X(native_rtos, "native-rtos")                                                                  \
    X(default, "default")                                                                          \
    X(lazy, "lazy")                                                                                \
    X(splinter, "splinter")                                                                        \
    X(overcommit, "overcommit")                                                                    \
    X(overcommit_boost, "overcommit-boost")                                                        \
    X(untagged, "untagged")                                                                        \
    X(type2, "type2")                                                                              \
    X(isolation, "isolation")                                                                      \
    X(emu, "emu")                                                                                  \
    X(entropy, "entropy")                                                                          \
    X(shadow, "shadow")                                                                            \
    X(trap, "trap")                                                                                \
    X(bt, "bt")                                                                                    \
    X(trap_popf, "trap-popf")                                                                      \
    X(mem_overcommit, "mem-overcommit")                                                            \
    X(sharing, "sharing")                                                                          \
    X(vswitch, "vswitch")                                                                          \
    X(telemetry, "telemetry")                                                                      \
    X(migrate, "migrate")                                                                          \
    X(migrate_shadow, "migrate-shadow")                                                            \
    X(migrate_bt, "migrate-bt")                                                                    \
    X(migrate_rtos, "migrate-rtos")                                                                \
    X(io_paths, "io-paths")                                                                        \
    X(passthrough, "passthrough")                                                                  \
    X(rogue_dma, "rogue-dma")                                                                      \
    X(balloon, "balloon")                                                                          \
    X(containers_vs_vms, "containers-vs-vms")                                                      \
    X(limits, "limits")                                                                            \
    X(balloon_moves, "balloon-moves")                                                              \
    X(double_paging, "double-paging")                                                              \
    X(shared_disk, "shared-disk")

/* Fails the test for a built-in scenario that SU_SCENARIOS leaves out. */
void su_expect_every_builtin_listed(void);

#endif
