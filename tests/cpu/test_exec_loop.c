/*
 * test_exec_loop.c - a block that loops on itself (its last instruction a branch to its
 * first, such as `addi; cmpi; bgt`) is entered again from its branch, without the block's
 * end (CPU_OPC_BLOCK_LOOP, cpu/cpu_block.c). That shortcut must give every figure the
 * one-at-a-time loop gives, for every branch condition, at every cycle limit and with every
 * cost, and it must still run the new words when the loop's page is written: by the loop's own
 * store and by another block's (DMA and the hypervisor's virtual disk over a spinning loop:
 * tests/cpu/test_exec_block.c).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "../support/harness.h"

static bool never_stop(cpu_t *cpu, void *ctx)
{
    (void)cpu, (void)ctx;
    return false;
}

/* Two machines with program src: `blocks` runs it as always, `alone` one instruction at a time
 * (the debugger's flag turns blocks off). */
typedef struct {
    sim_machine_t blocks, alone;
} pair_t;

static void pair_init(pair_t *p, const char *src, uint32_t tlb_hit, uint32_t taken)
{
    th_machine(&p->blocks, src);
    th_machine(&p->alone, src);
    sim_machine_t *both[2] = {&p->blocks, &p->alone};
    for (int i = 0; i < 2; i++) {
        both[i]->costs.c[SIM_COST_tlb_hit] = tlb_hit;
        both[i]->costs.c[SIM_COST_branch_taken] = taken;
    }
    p->alone.cpu[0].debug = true;
    p->alone.cpu[0].debug_fn = never_stop;
}

static void pair_free(pair_t *p)
{
    sim_machine_free(&p->blocks);
    sim_machine_free(&p->alone);
}

/* Runs both to `until` cycles (or power-off) and expects the same stop, pc, cycles, count,
 * registers, flags and TLB figures. */
static void pair_run_and_compare(pair_t *p, uint64_t until, const char *what)
{
    sim_run_result_t rb = sim_run(&p->blocks, until), ra = sim_run(&p->alone, until);
    const cpu_t *b = &p->blocks.cpu[0], *a = &p->alone.cpu[0];
    cr_expect_eq(rb, ra, "%s: the stop", what);
    cr_expect_eq(b->s.pc, a->s.pc, "%s: pc 0x%x, one at a time 0x%x", what, b->s.pc, a->s.pc);
    cr_expect_eq(b->s.cycles, a->s.cycles, "%s: cycles %llu, one at a time %llu", what,
                 (unsigned long long)b->s.cycles, (unsigned long long)a->s.cycles);
    cr_expect_eq(b->s.instret, a->s.instret, "%s: instructions", what);
    cr_expect_eq(b->s.flags, a->s.flags, "%s: flags", what);
    cr_expect_eq(memcmp(b->s.r, a->s.r, sizeof b->s.r), 0, "%s: registers", what);
    cr_expect_eq(b->mmu.stats.hits, a->mmu.stats.hits, "%s: TLB hits", what);
    cr_expect_eq(b->mmu.stats.misses, a->mmu.stats.misses, "%s: TLB misses", what);
}

/* ------------------------------------------------------------------------------------------
 * Every condition: `loop: addi r1, r1, step; cmp r1, r2; bXX loop` from a start near each edge
 * of the flags (zero, the sign, the unsigned wrap, the signed overflow), so that the branch is
 * taken some turns and not others, with Z N C V in many combinations. A loop that never ends
 * (b, or a condition that stays true) runs to the limit.
 * ------------------------------------------------------------------------------------------ */
static const char *const branches[] = {"b",   "beq",  "bne",  "blt",  "bge",  "bgt",
                                       "ble", "bltu", "bgeu", "bgtu", "bleu"};
#define NBRANCHES (sizeof branches / sizeof branches[0])

static const struct {
    uint32_t start, step, against;
} edges[] = {
    {0xfffffffbu, 1, 0},                   /* up through -1 to 0 and past (Z, C) */
    {3, 0xffffffffu, 0},                   /* down through 0 */
    {0x7ffffffbu, 1, 0x7fffffffu},         /* up through the largest signed (V) */
    {0x80000004u, 0xffffffffu, 0x80000000u}, /* down through the smallest signed */
    {0x7ffffffdu, 1, 0xfffffffeu},         /* signed less, unsigned less, then overflow */
    {2, 1, 6},                             /* up to an equal */
    {9, 0xfffffffeu, 4},                   /* down past an equal */
};
#define NEDGES (sizeof edges / sizeof edges[0])
/* cmpi's immediates, each with starts around it (the step is 1 or -1). */
static const struct {
    int32_t imm;
    uint32_t start, step;
} imm_edges[] = {
    {0, 0xfffffffbu, 1},      {0, 3, 0xffffffffu},     {-1, 0xfffffffcu, 1},
    {6, 2, 1},                {32767, 0x7ffc, 1},      {-32768, 0xffff8003u, 0xffffffffu},
    {4, 9, 0xffffffffu},
};
#define NIMM_EDGES (sizeof imm_edges / sizeof imm_edges[0])

/* The compare of case e: `cmp r1, r2` against each edge's value (e < NEDGES), then `cmpi r1,
 * IMM` around each immediate; *start and *step are r1's. */
static void compare_of_case(size_t e, char *compare, size_t size, uint32_t *start, uint32_t *step)
{
    if (e < NEDGES) {
        *start = edges[e].start, *step = edges[e].step;
        snprintf(compare, size, "li r2, 0x%x\n        cmp r1, r2", edges[e].against);
    } else {
        *start = imm_edges[e - NEDGES].start, *step = imm_edges[e - NEDGES].step;
        snprintf(compare, size, "cmpi r1, %d", (int)imm_edges[e - NEDGES].imm);
    }
}

ParameterizedTestParameters(exec_loop, every_condition_counts_as_one_at_a_time)
{
    TH_ROW_INDICES(NBRANCHES * 2);
}

/* Row: a branch, paging off (even rows) or on (odd); after cmp from every edge of the flags,
 * then after cmpi around each of its immediates. */
ParameterizedTest(size_t *row, exec_loop, every_condition_counts_as_one_at_a_time)
{
    const char *br = branches[*row / 2];
    bool paged = *row % 2;
    for (size_t e = 0; e < NEDGES + NIMM_EDGES; e++) {
        char src[2048], compare[64], what[96];
        uint32_t start, step;
        compare_of_case(e, compare, sizeof compare, &start, &step);
        snprintf(src, sizeof src,
                 "%s"
                 "        li r1, 0x%x\n"
                 "        li r3, 0x%x\n"
                 "loop:   add r1, r1, r3\n"
                 "        addi r11, r11, 1\n"
                 "        %s\n"
                 "        %s loop\n"
                 "        out r0, [0xf0]\n",
                 paged ? TH_IDENTITY_PAGING : "", start, step, compare, br);
        pair_t p;
        pair_init(&p, src, 1, 1);
        snprintf(what, sizeof what, "%s after `%s` from 0x%x%s", br, compare, start,
                 paged ? ", paged" : "");
        pair_run_and_compare(&p, 20000, what);
        pair_free(&p);
    }
}

/* The mask of each condition is right for the flags a compare can give: the loop above turns
 * exactly as often as the hardware's rule says, counted here without the interpreter. */
Test(exec_loop, a_loop_turns_while_its_condition_holds)
{
    /* bgt from 5 down by one against 0: 5 turns (r1 = 4 .. 0; the fifth, r1 = 0, falls
     * through); bleu up by one from 0xfffffffb against 0xfffffffd: 3 turns. */
    cr_expect_eq(th_run_reg("        li r1, 5\n"
                            "loop:   addi r1, r1, -1\n"
                            "        addi r11, r11, 1\n"
                            "        cmpi r1, 0\n"
                            "        bgt loop\n"
                            "        out r0, [0xf0]\n",
                            100000, 11),
                 5);
    cr_expect_eq(th_run_reg("        li r1, 0xfffffffb\n"
                            "        li r2, 0xfffffffd\n"
                            "loop:   addi r1, r1, 1\n"
                            "        addi r11, r11, 1\n"
                            "        cmp r1, r2\n"
                            "        bleu loop\n"
                            "        out r0, [0xf0]\n",
                            100000, 11),
                 3);
}

/* ------------------------------------------------------------------------------------------
 * The limit: a loop stopped at every cycle count from 3001 to 3120 stops on the same
 * instruction boundary as the one-at-a-time loop, with paging off and on, and with costs that are not 1.
 * ------------------------------------------------------------------------------------------ */
static void expect_every_limit(const char *src, uint32_t tlb_hit, uint32_t taken)
{
    /* Each from the start, in one run: the loop turns many times before the limit comes. */
    for (uint64_t until = 3001; until <= 3120; until++) {
        pair_t p;
        pair_init(&p, src, tlb_hit, taken);
        char what[64];
        snprintf(what, sizeof what, "limit %llu", (unsigned long long)until);
        pair_run_and_compare(&p, until, what);
        pair_free(&p);
    }
}

#define FOREVER_LOOP                                                                               \
    "        li r5, 0x4000\n"                                                                      \
    "loop:   addi r1, r1, 1\n"                                                                     \
    "        ld r4, [r5]\n"                                                                         \
    "        cmpi r1, 0\n"                                                                         \
    "        bne loop\n"

Test(exec_loop, a_loop_stops_at_every_limit_where_one_at_a_time_stops)
{
    expect_every_limit(FOREVER_LOOP, 1, 1);
    expect_every_limit(FOREVER_LOOP, 0, 3);
}

Test(exec_loop, paged_a_loop_stops_at_every_limit_where_one_at_a_time_stops)
{
    expect_every_limit(TH_IDENTITY_PAGING FOREVER_LOOP, 1, 1);
    expect_every_limit(TH_IDENTITY_PAGING FOREVER_LOOP, 3, 2);
}

/* Two loops of different lengths, one after the other, again and again: the test a loop's branch
 * makes against the limit is worked out at its block's first turn (loop_until in
 * cpu/cpu_exec.c), and must not outlive that block: the long loop, were it tested with the short
 * one's, would run a turn past the limit. */
#define TWO_LOOPS                                                                                  \
    "outer:  li r1, 3\n"                                                                            \
    "short:  addi r1, r1, -1\n"                                                                     \
    "        cmpi r1, 0\n"                                                                          \
    "        bne short\n"                                                                           \
    "        li r2, 3\n"                                                                            \
    "long:   addi r2, r2, -1\n"                                                                     \
    "        addi r3, r3, 1\n"                                                                      \
    "        addi r4, r4, 1\n"                                                                      \
    "        addi r5, r5, 1\n"                                                                      \
    "        addi r6, r6, 1\n"                                                                      \
    "        cmpi r2, 0\n"                                                                          \
    "        bne long\n"                                                                            \
    "        b outer\n"

Test(exec_loop, two_loops_in_turn_stop_at_every_limit_where_one_at_a_time_stops)
{
    expect_every_limit(TWO_LOOPS, 1, 1);
    expect_every_limit(TWO_LOOPS, 0, 5);
    expect_every_limit(TH_IDENTITY_PAGING TWO_LOOPS, 2, 3);
}

/* A block's charge is worked out with the costs of a TLB hit and a taken branch when it is
 * decoded. The debugger's `set cost` changes them between runs: the blocks already decoded
 * must be charged at the new costs from then on. */
Test(exec_loop, a_cost_changed_between_runs_is_charged_from_then_on)
{
    pair_t p;
    pair_init(&p, TH_IDENTITY_PAGING FOREVER_LOOP, 0, 1);
    pair_run_and_compare(&p, 5000, "at the first costs");
    sim_machine_t *both[2] = {&p.blocks, &p.alone};
    for (int i = 0; i < 2; i++) {
        both[i]->costs.c[SIM_COST_tlb_hit] = 2;
        both[i]->costs.c[SIM_COST_branch_taken] = 5;
    }
    pair_run_and_compare(&p, 10000, "after the change");
    cr_expect_gt(p.blocks.cpu[0].mmu.stats.hits, 1000u, "the loop's fetches and loads hit");
    pair_free(&p);
}

/* ------------------------------------------------------------------------------------------
 * Stores into a looping block's page: each loop below goes on (r10 = 1) until its first word
 * becomes `addi r10, r0, 2`; then its compare fails and the program powers off. Had the loop
 * kept the block decoded from the old word, it would never end.
 * ------------------------------------------------------------------------------------------ */
/* src ends with r10 = 2 (the new word ran), and with the figures of the one-at-a-time loop. */
static void expect_the_new_word(const char *src, const char *what)
{
    cr_expect_eq(th_run_reg(src, 100000, 10), 2, "%s: the new word ran", what);
    pair_t p;
    pair_init(&p, src, 1, 1);
    pair_run_and_compare(&p, 100000, what);
    pair_free(&p);
}

/* Another block's store over the loop's first word, after the loop has turned three times;
 * then the loop runs again. */
Test(exec_loop, a_store_over_a_loop_decoded_before_runs_the_new_word)
{
    const char *src = "        li r2, spin\n"
                      "        la r1, new\n"
                      "        ld r3, [r1]\n"
                      "again:  li r12, 3\n"
                      "spin:   addi r10, r0, 1\n"
                      "        addi r12, r12, -1\n"
                      "        cmpi r12, 0\n"
                      "        bne spin\n" /* a block that loops on itself, three turns */
                      "        cmpi r10, 1\n"
                      "        bne done\n"
                      "        st r3, [r2]\n" /* over spin's first word */
                      "        b again\n"
                      "done:   out r0, [0xf0]\n"
                      "new:    addi r10, r0, 2\n";
    expect_the_new_word(src, "the store over the loop");
}

/* The loop's own store over its own first word, on its first turn. */
Test(exec_loop, a_store_by_the_loop_over_its_own_words_runs_the_new_word)
{
    const char *src = "        li r2, spin\n"
                      "        la r1, new\n"
                      "        ld r3, [r1]\n"
                      "spin:   addi r10, r0, 1\n"
                      "        st r3, [r2]\n"
                      "        cmpi r10, 1\n"
                      "        beq spin\n"
                      "        out r0, [0xf0]\n"
                      "new:    addi r10, r0, 2\n";
    expect_the_new_word(src, "the loop's store over itself");
}


/* ------------------------------------------------------------------------------------------
 * A compare fused with the branch after it (CPU_OPC_FUSED, cpu/cpu_block.c): one case runs
 * both, yet every figure must be the one-at-a-time loop's, the pair counting as two
 * instructions, for every condition, after cmp and after cmpi, where the branch leaves its
 * block (the loops above fuse a branch back to the block's start).
 * ------------------------------------------------------------------------------------------ */

/* A fused pair whose branch goes forward out of its block, taken some turns and not others
 * (r12 counts the turns it fell through, r13 those it was taken); `compare` is its compare. */
static void fused_branch_program(char *src, size_t size, bool paged, uint32_t start, uint32_t step,
                                 const char *compare, const char *br)
{
    snprintf(src, size,
             "%s"
             "        li r1, 0x%x\n"
             "        li r3, 0x%x\n"
             "        li r14, 0\n"
             "top:    add r1, r1, r3\n"
             "        addi r11, r11, 1\n"
             "        %s\n"
             "        %s taken\n"
             "        addi r12, r12, 1\n"
             "        b next\n"
             "taken:  addi r13, r13, 1\n"
             "next:   addi r14, r14, 1\n"
             "        cmpi r14, 12\n"
             "        blt top\n" /* fused too, with a branch to another block */
             "        out r0, [0xf0]\n",
             paged ? TH_IDENTITY_PAGING : "", start, step, compare, br);
}

ParameterizedTestParameters(exec_loop, every_fused_condition_counts_as_one_at_a_time)
{
    TH_ROW_INDICES(NBRANCHES * 2);
}

/* Row: a branch, paging off (even rows) or on (odd); after cmp from every edge of the flags,
 * then after cmpi around each of its immediates. */
ParameterizedTest(size_t *row, exec_loop, every_fused_condition_counts_as_one_at_a_time)
{
    const char *br = branches[*row / 2];
    bool paged = *row % 2;
    unsigned fell = 0, taken = 0;
    for (size_t e = 0; e < NEDGES + NIMM_EDGES; e++) {
        char src[2048], compare[64], what[96];
        uint32_t start, step;
        compare_of_case(e, compare, sizeof compare, &start, &step);
        fused_branch_program(src, sizeof src, paged, start, step, compare, br);
        snprintf(what, sizeof what, "%s after `%s` from 0x%x%s", br, compare, start,
                 paged ? ", paged" : "");
        pair_t p;
        pair_init(&p, src, 1, 2);
        pair_run_and_compare(&p, 200000, what);
        fell += p.blocks.cpu[0].s.r[12], taken += p.blocks.cpu[0].s.r[13];
        pair_free(&p);
    }
    if (strcmp(br, "b") != 0)
        cr_expect(fell > 0 && taken > 0, "%s: fell through %u times, taken %u", br, fell, taken);
}

/* The limit may fall between the compare and its branch: the loop then goes one instruction at
 * a time (no fusing) and stops after the compare, as it always did. */
#define FOREVER_FUSED                                                                              \
    "        li r5, 0x4000\n"                                                                      \
    "loop:   addi r1, r1, 1\n"                                                                     \
    "        cmpi r1, 0\n"                                                                         \
    "        bne over\n" /* a fused pair, its branch to another block */                           \
    "        nop\n"                                                                                \
    "over:   ld r4, [r5]\n"                                                                        \
    "        b loop\n"

Test(exec_loop, a_fused_pair_stops_at_every_limit_where_one_at_a_time_stops)
{
    expect_every_limit(FOREVER_FUSED, 1, 1);
    expect_every_limit(FOREVER_FUSED, 0, 3);
    expect_every_limit(TH_IDENTITY_PAGING FOREVER_FUSED, 1, 1);
    expect_every_limit(TH_IDENTITY_PAGING FOREVER_FUSED, 3, 2);
}

/* A store over the branch of a fused pair: the pair ran fused (bne, taken: r10 counts to 3);
 * the program then writes `beq` over it, and the pair must branch by the new word. */
Test(exec_loop, a_store_over_a_fused_branch_runs_the_new_branch)
{
    const char *src = "        la r2, br\n"
                      "        la r1, new\n"
                      "        ld r3, [r1]\n"
                      "        li r12, 0\n"
                      "again:  addi r12, r12, 1\n"
                      "        cmpi r12, 99\n"
                      "br:     bne counted\n" /* fused with the cmpi; taken while r12 != 99 */
                      "        addi r10, r10, 100\n" /* only under the new word */
                      "counted: addi r10, r10, 1\n"
                      "        cmpi r10, 3\n"
                      "        bne again\n"
                      "        st r3, [r2]\n" /* beq over bne: not taken (r12 is 4) */
                      "        b again\n"
                      "new:    beq counted\n";
    /* Three turns under bne (r10 = 3), then under beq: r10 = 3 + 100 + 1, and the program runs
     * on until the debugger's limit; the one-at-a-time loop must agree at every point. */
    pair_t p;
    pair_init(&p, src, 1, 1);
    pair_run_and_compare(&p, 3000, "the store over the fused branch");
    cr_expect_eq(p.blocks.cpu[0].s.r[10] >= 104, true, "r10 %u: the new branch fell through",
                 p.blocks.cpu[0].s.r[10]);
    pair_free(&p);
}

/* The same with the store in the pair's own block, before the compare: the store ends the block
 * and the compare and the new branch run one at a time. */
Test(exec_loop, a_store_in_a_fused_pairs_block_over_its_branch_runs_the_new_branch)
{
    const char *src = "        la r2, br\n"
                      "        la r1, new\n"
                      "        ld r3, [r1]\n"
                      "        ld r4, [r2]\n"
                      "        li r5, 0\n"
                      "again:  addi r5, r5, 1\n"
                      "        cmpi r5, 3\n" /* the third turn writes beq over its own bne */
                      "        bne keep\n"
                      "        mov r4, r3\n"
                      "keep:   st r4, [r2]\n"
                      "        cmpi r5, 100\n"
                      "br:     bne again\n"
                      "        addi r10, r10, 1\n"
                      "        out r0, [0xf0]\n"
                      "new:    beq again\n";
    /* From the third turn the branch is beq r5 == 100: it falls through at once. */
    cr_expect_eq(th_run_reg(src, 100000, 5), 3);
    pair_t p;
    pair_init(&p, src, 1, 1);
    pair_run_and_compare(&p, 100000, "the store in the pair's block");
    pair_free(&p);
}

/* A compare's flags are kept pending until someone reads them (cpu/cpu_exec.c, COMPARE): a
 * branch that is not fused (an instruction between), pushf, a trap's saved flags and a popf
 * that replaces them must each see what the one-at-a-time loop sees, in K with paging off and
 * on. r9 counts the branches taken; the pushed flags land in r4 .. r7. */
#define FLAG_READERS                                                                               \
    "        li sp, 0x8000\n"                                                                       \
    "        la r1, handler\n"                                                                      \
    "        csrw tvec, r1\n"                                                                       \
    "        li r12, 0\n"                                                                          \
    "again:  li r1, 5\n"                                                                           \
    "        cmpi r1, 7\n"                                                                          \
    "        addi r2, r2, 1\n"                                                                      \
    "        blt less\n" /* not fused: the addi is between */                                      \
    "        addi r9, r9, 100\n"                                                                    \
    "less:   addi r9, r9, 1\n"                                                                      \
    "        cmp r1, r1\n"                                                                          \
    "        pushf\n"                                                                              \
    "        pop r4\n"                                                                             \
    "        li r3, 0x7fffffff\n"                                                                   \
    "        cmpi r3, -1\n"                                                                         \
    "        pushf\n"                                                                              \
    "        pop r5\n"                                                                             \
    "        li r3, 0xf\n"                                                                          \
    "        push r3\n"                                                                            \
    "        cmpi r1, 5\n"                                                                          \
    "        popf\n" /* over the compare's pending flags: Z N C V all set */                       \
    "        pushf\n"                                                                              \
    "        pop r6\n"                                                                             \
    "        beq eq\n"                                                                             \
    "        addi r9, r9, 100\n"                                                                    \
    "eq:     cmpi r1, 6\n"                                                                          \
    "        syscall\n" /* the trap saves the compare's flags in eflags */                         \
    "        addi r12, r12, 1\n"                                                                    \
    "        cmpi r12, 20\n"                                                                        \
    "        bne again\n"                                                                          \
    "        out r0, [0xf0]\n"                                                                      \
    "handler: csrr r7, eflags\n"                                                                    \
    "        iret\n" /* to the instruction after the syscall */

Test(exec_loop, a_compares_flags_reach_every_reader_as_one_at_a_time)
{
    const char *progs[2] = {FLAG_READERS, TH_IDENTITY_PAGING FLAG_READERS};
    for (int i = 0; i < 2; i++) {
        pair_t p;
        pair_init(&p, progs[i], 1, 1);
        pair_run_and_compare(&p, 1000000, i ? "paged" : "flat");
        const uint32_t *r = p.blocks.cpu[0].s.r;
        cr_expect_eq(r[12], 20u, "the program ran to its end");
        cr_expect_eq(r[9], 20u, "blt taken after 5 - 7, beq after the popf's Z: never the +100s");
        cr_expect_eq(r[4] & CPU_FLAG_COND, CPU_FLAG_Z, "cmp r1, r1: Z");
        cr_expect_eq(r[5] & CPU_FLAG_COND, CPU_FLAG_N | CPU_FLAG_C | CPU_FLAG_V,
                     "0x7fffffff - 0xffffffff: N, C, V");
        cr_expect_eq(r[6] & CPU_FLAG_COND, CPU_FLAG_COND, "popf's flags, not the compare's");
        cr_expect_eq(r[7] & CPU_FLAG_COND, CPU_FLAG_N | CPU_FLAG_C, "eflags after 5 - 6: N, C");
        pair_free(&p);
    }
}

/* The debugger turned on over a fused pair (the block decoded and run fused before) still stops
 * before each instruction: before the branch too, with the compare retired and its flags set. */
typedef struct {
    uint32_t pc[64];
    uint64_t instret[64];
    uint32_t flags[64];
    unsigned n;
} stops_t;

static bool record_stop(cpu_t *cpu, void *ctx)
{
    stops_t *st = ctx;
    if (st->n < 64) {
        st->pc[st->n] = cpu->s.pc;
        st->instret[st->n] = cpu->s.instret;
        st->flags[st->n] = cpu->s.flags & CPU_FLAG_COND;
        st->n++;
    }
    return false;
}

Test(exec_loop, the_debugger_steps_through_a_fused_pair_one_instruction_at_a_time)
{
    sim_machine_t m;
    th_machine(&m, "loop:   addi r1, r1, 1\n"  /* base + 0 */
                   "        cmpi r1, 0\n"      /* base + 4 */
                   "        bne over\n"        /* base + 8: fused with the cmpi */
                   "        nop\n"
                   "over:   b loop\n");        /* base + 16 */
    uint32_t base = m.cpu[0].s.pc;
    cr_assert_eq(sim_run(&m, 2000), SIM_RUN_MAX_CYCLES);
    cr_assert_gt(m.cpu[0].s.instret, 300u, "the loop ran from its blocks");
    stops_t st = {0};
    m.cpu[0].debug = true;
    m.cpu[0].debug_fn = record_stop;
    m.cpu[0].debug_ctx = &st;
    sim_run(&m, 2200); /* an absolute limit: 200 cycles more */
    cr_assert_gt(st.n, 20u);
    unsigned at_branch = 0;
    for (unsigned i = 1; i < st.n; i++) {
        cr_expect_eq(st.instret[i], st.instret[i - 1] + 1, "stop %u: one instruction on", i);
        if (st.pc[i] == base + 8) {
            at_branch++;
            cr_expect_eq(st.pc[i - 1], base + 4, "the stop before the branch is at the compare");
            cr_expect_eq(st.flags[i], 0u, "r1 > 0: the compare's flags, before the branch");
        }
    }
    cr_expect_gt(at_branch, 3u, "the debugger stopped between the compare and the branch");
    sim_machine_free(&m);
}
