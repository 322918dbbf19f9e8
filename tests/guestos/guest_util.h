/*
 * guest_util.h - helpers for the guest tests: a machine that boots a guest's disk image the
 * way `hvsim --scenario` does (the boot ROM at the reset address, the image on the block
 * device), with its console captured.
 */
#ifndef HVSIM_TEST_GUEST_UTIL_H
#define HVSIM_TEST_GUEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../../sim/sim.h"

/* The bytes of a built guest file, e.g. "tinyos.img" (from $HVSIM_BUILD/guestos); the test
 * fails when it is missing. Free with free(). */
uint8_t *gu_read(const char *name, size_t *len);

/* A one-CPU machine with `ram` bytes, console captured, the boot ROM loaded at 0x1000, the
 * disk image `disk` (len bytes; NULL: no disk) attached and `input` (may be NULL) as console
 * input. */
void gu_machine(sim_machine_t *m, uint32_t ram, const uint8_t *disk, size_t len,
                const char *input);

/* gu_machine with the built image `image`, then sim_run for at most max_cycles. */
sim_run_result_t gu_boot(sim_machine_t *m, const char *image, uint32_t ram, const char *input,
                         uint64_t max_cycles);

/* `hvsim --scenario NAME` prints exactly the golden transcript tests/data/guests/NAME.txt and
 * exits 0. */
void gu_expect_transcript(const char *scenario);
/* Two runs of `hvsim --scenario NAME --stats` give the same output and statistics (cycles,
 * instructions, traps, TLB, disk) and exit 0. */
void gu_expect_identical_runs(const char *scenario);

/* How many times `needle` occurs in `text`. */
unsigned gu_count(const char *text, const char *needle);

#endif
