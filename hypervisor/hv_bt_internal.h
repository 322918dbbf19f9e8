/*
 * hv_bt_internal.h - what the binary translator's two files share (hv_bt.c: the translation
 * cache, callouts, entry and exit, self-modifying code; hv_bt_translate.c: the translator).
 */
#ifndef HVSIM_HV_BT_INTERNAL_H
#define HVSIM_HV_BT_INTERNAL_H

#include "hv_internal.h"
#include "hv_technique.h"

/* The state page: offsets, and the imm16 that reaches each from r0. */
#define ST_VFLAGS 0x000u
#define ST_CSR(n) (4u * (n)) /* tvec (1) .. scratch (6), im (9) */
#define ST_SPILL1 0x040u
#define ST_GATE 0x044u
#define ST_SPILL2 0x048u
#define ST_TARGET 0x04cu /* an inline jalr's guest target, for its miss callout */
#define ST_GATE_ANY 0x050u /* the gate after an inline `csrw im`: out when any line is raised */
/* The monitor's copy of the virtual UART's status register, for an inline `in` of it: the
 * only thing that changes it, a read of the data port, is a callout, so the monitor keeps it
 * current by writing it at every return to the guest. */
#define ST_UART_STATUS 0x054u
/* The virtual timer, for an inline `csrr timer`: its deadline in the guest's time (cycle as
 * the guest reads it, low 32 bits) and the value last written (0: off, or fired). The
 * monitor writes both whenever the timer is written or fires (hv_bt_timer_changed). */
#define ST_TIMER_DEADLINE 0x058u
#define ST_TIMER_VALUE 0x05cu
#define R0_OFF(off) ((int32_t)(off) - (int32_t)MMU_PAGE_SIZE)

/* The jump-site page below it (0xffffe000): per inline jalr site, 16 bytes: the guest target
 * last seen, the TC address to jump to for it (its block's indirect entry), the address of
 * the site's miss callout (taken when the target differs), and MISS - HIT (so that the
 * inline lookup selects one without an indexed load). */
#define HV_BT_SITES_VA (HV_BT_STATE_VA - MMU_PAGE_SIZE)
#define SITE_TAG(s) (16u * (s))
#define SITE_HIT(s) (16u * (s) + 4u)
#define SITE_MISS(s) (16u * (s) + 8u)
#define SITE_DIFF(s) (16u * (s) + 12u)
#define R0_SITE(off) ((int32_t)(off)-2 * (int32_t)MMU_PAGE_SIZE)

/* The kinds of TC words, in the low bits of their guest pc in the map. */
enum {
    W_INSN = 0,    /* the first (or only) word of a guest instruction's translation */
    W_INNER = 1,   /* a later word of an inline sequence: not an instruction boundary */
    W_CALLOUT = 2, /* a brk standing for the guest instruction: the hypervisor emulates it */
    W_EXIT = 3,    /* a brk (or, chained, a branch) leaving the block for the guest pc */
};
#define TC_GATE_RETURN 0u /* TC word 0: jalr r0, r1, 0 */
#define TC_GATE_EXIT 1u   /* TC word 1: brk, an interrupt waits */
#define TC_FIRST_BLOCK 2u
#define BLOCK_MAX 32u /* guest instructions a block takes at most */
#define WORDS_MAX 16u /* TC words one guest instruction may need */
#define TC_WORDS (HV_BT_TC_PAGES * (MMU_PAGE_SIZE / 4))

/* Words the translated code is made of. */
#define BRK hv_bt_encode(CPU_OP_BRK, 0, 0, 0, 0)
#define LD_STATE(r, off) hv_bt_encode(CPU_OP_LD, (r), 0, 0, R0_OFF(off))
#define ST_STATE(r, off) hv_bt_encode(CPU_OP_ST, (r), 0, 0, R0_OFF(off))

hv_bt_stats_t *hv_bt_stats(hv_t *hv, const hv_vcpu_t *v);
/* The guest-virtual address of TC word `word`. */
uint32_t hv_bt_tc_va(uint32_t word);
/* Writes TC word `word` and its map entry (guest pc | kind), charged. */
void hv_bt_put_word(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t insn, uint32_t guest_pc,
                    unsigned kind);
/* Makes sure the TC pages up to `words` exist. False when the pool is empty. */
bool hv_bt_tc_reserve(hv_t *hv, hv_vcpu_t *v, uint32_t words);
uint32_t hv_bt_encode(cpu_op_t op, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm);
/* Drops every translation of a VCPU (the pages stay), and the jump sites' targets. */
void hv_bt_flush_tc(hv_t *hv, hv_vcpu_t *v);
/* Enters block b into the index. */
void hv_bt_index_block(hv_bt_t *bt, unsigned b);
/* Write-protects a guest page that now holds translated code. */
void hv_bt_protect_page(hv_t *hv, hv_vcpu_t *v, uint32_t gpa);
/* Translates the block at guest pc gva into the TC (hv_bt_translate.c). Returns its TC
 * address, or 0 when the guest's own tables do not let its kernel fetch gva. */
uint32_t hv_bt_translate_block(hv_t *hv, hv_vcpu_t *v, uint32_t gva);

/* Site `site` caches guest target `tag` at TC address `hit`; a fresh site (no target yet)
 * gets its miss stub, which its "hits" reach too. */
void hv_bt_site_cache(hv_t *hv, hv_vcpu_t *v, unsigned site, bool fresh, uint32_t tag,
                      uint32_t hit);
/* The TC word at TC address tc, and its kind (W_*). */
uint32_t hv_bt_tc_word(hv_t *hv, const hv_vcpu_t *v, uint32_t tc);
unsigned hv_bt_tc_kind(hv_t *hv, const hv_vcpu_t *v, uint32_t tc);
/* The instruction word a trap of the guest stopped at: the TC word when its translated kernel
 * ran, else the guest's own word at its pc. False when the guest's tables hide it. */
bool hv_bt_faulting_word(hv_t *hv, hv_vcpu_t *v, uint32_t *word);
/* A store of `size` bytes at gpa, on a page holding translated code, has been performed: if
 * it overwrote translated code, every translation goes (true). */
bool hv_bt_code_written(hv_t *hv, hv_vcpu_t *v, uint32_t gpa, uint32_t size);
/* The monitor performed the instruction a trap stopped at: the guest goes on after it (at the
 * next guest instruction when code_written dropped the translations). */
void hv_bt_go_on(hv_t *hv, hv_vcpu_t *v, bool code_written);

/* hv_bt_guard.c: the monitor's protection. */
/* Performs the load or store `word` at guest address gpa, host address hpa, with its register
 * effects (a store is logged for a migration). False for a word that is no memory instruction. */
bool hv_bt_perform(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t gpa, uint32_t hpa);
/*
 * Performs the guest's memory instruction `word` as bare hardware would, through the guest's
 * own tables in its current (virtual) mode. Returns 0 when it was done (memory, registers and
 * sp changed; the caller moves the pc past it; *stored_gpa the address a store wrote to RAM,
 * else HV_BT_NO_GPA), else the cause of the fault the guest takes instead, with *tval its
 * address. A store over translated code drops the translations (*code_written); the caller
 * then goes on at the next guest instruction.
 */
#define HV_BT_NO_GPA 0xffffffffu
uint32_t hv_bt_emulate_access(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t *tval,
                              uint32_t *stored_gpa, bool *code_written);
/* True for an access the truncated segment stops: at or above the monitor, not absolute. */
bool hv_bt_truncated(uint32_t word, uint32_t va);
/* A callout for the guest's absolute access into the monitor's region. */
void hv_bt_guard_callout(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word);

/* hv_bt_adapt.c: adaptive binary translation. The TC word that starts an adapted store's
 * sequence (a brk the monitor knows by its site; the guest's store word follows it). */
#define ADAPTED_STORE_WORDS 2u
/* True when the VM's record says the store site at gva is adapted (nothing charged: the
 * monitor's own table). */
bool hv_bt_site_adapted(const hv_t *hv, unsigned vm, uint32_t gva);
/* True when the guest store at gva (its word `word`) is an adapted site of the VM. */
bool hv_bt_adapted_site(const hv_t *hv, unsigned vm, uint32_t gva, uint32_t word);
/* A monitor trap at translated store `word` (guest pc gva) was a store to a traced page
 * table: counted. True when the site is adapted (this trap was its bt_adapt_traps-th, or
 * another VCPU adapted it): the caller translates its blocks again (hv_bt_retranslate_site). */
bool hv_bt_adapt_count(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word);
/* The adapted store `word` at guest pc gva: performed with its shadow update, charged as its
 * in-TC sequence. Returns 0, or the cause of the guest's own fault (*tval its address);
 * *code_written as hv_bt_emulate_access's. */
uint32_t hv_bt_adapted_store(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word, uint32_t *tval,
                             bool *code_written);
/* Every block of v's TC that holds the guest instruction at gva is translated again (the
 * translator now adapts the site). False when the TC had to be flushed meanwhile: the caller
 * goes on at the next guest instruction, not in the TC. */
bool hv_bt_retranslate_site(hv_t *hv, hv_vcpu_t *v, uint32_t gva);
/* hv_bt_translate.c: block b translated again, its old translation redirected (a branch). */
bool hv_bt_retranslate_block(hv_t *hv, hv_vcpu_t *v, unsigned b);
/* Overwrites the TC word at TC address tc (a patch: a chain, a redirection), charged. */
void hv_bt_patch_word(hv_t *hv, hv_vcpu_t *v, uint32_t tc, uint32_t insn);

#endif
