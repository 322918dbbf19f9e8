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

ParameterizedTestParameters(exec_loop, every_condition_counts_as_one_at_a_time)
{
    TH_ROW_INDICES(NBRANCHES * 2);
}

/* Row: a branch, paging off (even rows) or on (odd). */
ParameterizedTest(size_t *row, exec_loop, every_condition_counts_as_one_at_a_time)
{
    const char *br = branches[*row / 2];
    bool paged = *row % 2;
    for (size_t e = 0; e < NEDGES; e++) {
        char src[2048];
        snprintf(src, sizeof src,
                 "%s"
                 "        li r1, 0x%x\n"
                 "        li r2, 0x%x\n"
                 "        li r3, 0x%x\n"
                 "loop:   add r1, r1, r3\n"
                 "        addi r11, r11, 1\n"
                 "        cmp r1, r2\n"
                 "        %s loop\n"
                 "        out r0, [0xf0]\n",
                 paged ? TH_IDENTITY_PAGING : "", edges[e].start, edges[e].against, edges[e].step,
                 br);
        pair_t p;
        pair_init(&p, src, 1, 1);
        char what[64];
        snprintf(what, sizeof what, "%s from 0x%x%s", br, edges[e].start, paged ? ", paged" : "");
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

