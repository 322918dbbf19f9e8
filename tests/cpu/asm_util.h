/*
 * asm_util.h - helpers the assembler, disassembler and symbol-file tests share: assembling a
 * snippet (expecting success or collecting the messages), reading words of the result, and a
 * sample of every instruction with extreme operands, written out independently of cpu_disasm.
 */
#ifndef HVSIM_TEST_ASM_UTIL_H
#define HVSIM_TEST_ASM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../../cpu/cpu.h"

#define TA_NSAMPLES 5

/* Assembles src as "t.s"; the test fails (showing the messages) on errors. */
void ta_asm_ok(const char *src, cpu_asm_result_t *r);
/* Assembles src as "t.s" (or the file `path` when src is NULL), expecting errors; returns
 * the messages, malloc'd. *errors gets the error count. */
char *ta_asm_errors(const char *path, const char *src, int *errors);
/* The little-endian word at byte offset `at` of the image. */
uint32_t ta_word(const cpu_asm_result_t *r, size_t at);
/* Sample s (0..TA_NSAMPLES-1) of instruction op: registers r0, r14, r15 and extreme
 * immediates, offsets and branch distances in both directions. */
void ta_sample(int op, int s, cpu_insn_t *in);
/* Writes the instruction as assembly, with branch targets as absolute addresses from pc. */
void ta_format(const cpu_insn_t *in, uint32_t pc, char *buf, size_t len);
/* Disassembles an image (cpu_disasm_image) and assembles the text again; the test fails
 * unless the bytes and base come back identical. Returns the text, malloc'd. */
char *ta_round_trip(const uint8_t *bytes, size_t size, uint32_t base, const cpu_symbol_t *syms,
                    size_t nsyms);
/* A fresh temporary directory (removed by ta_rmdir). */
char *ta_tmpdir(void);
void ta_rmdir(char *dir);
/* Writes a file under dir; returns its path, malloc'd. */
char *ta_write(const char *dir, const char *name, const void *data, size_t len);

#endif
