/*
 * fuzz.h - what the fuzz harnesses share (docs/fuzzing.md). Each harness (fuzz_*.c) defines
 * LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer, and `make test` links it with
 * replay_main.c, which feeds it every file of its corpus in tests/fuzz/<harness>/. A harness
 * reports a broken promise (an invariant, a victim's transcript) with fuzz_fail, which aborts:
 * libFuzzer keeps the input as a crash, and the replay fails.
 */
#ifndef HVSIM_TEST_FUZZ_H
#define HVSIM_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The built guests: $HVSIM_BUILD/guestos (HVSIM_BUILD defaults to "build"). */
const char *fuzz_guest_dir(void);
/* The input as a NUL-terminated string (malloc'd; a NUL inside ends it early). */
char *fuzz_text(const uint8_t *data, size_t size);
/* /dev/null, opened once: where messages of rejected inputs go. */
FILE *fuzz_null(void);
/* Prints "fuzz: <what>" to stderr and aborts. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
