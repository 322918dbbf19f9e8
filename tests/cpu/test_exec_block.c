/*
 * test_exec_block.c - predecoded blocks (cpu/cpu_block.c) must never run words that RAM no
 * longer holds, whoever changed them: the running block itself (self-modifying code), a store
 * into another block already decoded, DMA from the disk, the debugger, the loader and a
 * snapshot restore, with paging off and on. Each program here runs a word once, changes it,
 * and runs it again: on hardware the new word runs, and r10 says which one did (1: the old,
 * 2: the new).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../sim/sim_snap.h"
#include "../../ui/debug/ui_debug.h"

/* The word of `addi r10, r0, 2` (the new instruction), in RAM at `new`, for the programs that
 * write it themselves. */
#define NEW_WORD "        .org 0x9000\nnew:    addi r10, r0, 2\n        ret\n"

static uint32_t run_r10(const char *src)
{
    return th_run_reg(src, 1000000, 10);
}

/* The store lands two instructions ahead, inside the block that is running. */
Test(exec_block, a_store_into_the_running_block_runs_the_new_word)
{
    cr_expect_eq(run_r10("        li r1, new\n"
                         "        ld r3, [r1]\n"
                         "        li r2, target\n"
                         "        st r3, [r2]\n"
                         "        nop\n"
                         "target: addi r10, r0, 1\n"
                         "        out r0, [0xf0]\n" NEW_WORD),
                 2);
}

/* The loop's body is a block of its own, decoded on the first pass; the store comes from
 * another block before the body runs again. */
Test(exec_block, a_store_into_another_decoded_block_runs_the_new_word)
{
    cr_expect_eq(run_r10("        li r1, new\n"
                         "        ld r3, [r1]\n"
                         "        li r2, target\n"
                         "        li r12, 2\n"
                         "        b target\n" /* the body's block starts at target */
                         "target: addi r10, r0, 1\n"
                         "        addi r12, r12, -1\n"
                         "        cmpi r12, 0\n"
                         "        beq done\n"
                         "        st r3, [r2]\n"
                         "        b target\n"
                         "done:   out r0, [0xf0]\n" NEW_WORD),
                 2);
}

/* `code` runs, the disk's DMA writes the other version over it, and it runs again. */
Test(exec_block, dma_over_code_runs_the_new_words)
{
    char src[1024];
    snprintf(src, sizeof src,
             "        .equ DISK, 0x%x\n"
             "        li sp, 0x7000\n"
             "        call code\n"
             "        addi r11, r10, 0\n"
             "        out r0, [DISK]\n" /* sector 0 */
             "        li r1, 1\n"
             "        out r1, [DISK + 1]\n" /* one sector */
             "        li r1, code\n"
             "        out r1, [DISK + 2]\n"
             "        li r1, 1\n"
             "        out r1, [DISK + 3]\n" /* read */
             "wait:   in r1, [DISK + 4]\n"
             "        cmpi r1, 0x%x\n"
             "        bne wait\n"
             "        call code\n"
             "        out r0, [0xf0]\n"
             "        .org 0x8000\n"
             "code:   addi r10, r0, 1\n"
             "        ret\n" NEW_WORD,
             SIM_DISK_PORT, SIM_DISK_DONE);
    sim_machine_t m;
    th_machine(&m, src);
    static uint8_t sector[SIM_SECTOR_SIZE];
    memcpy(sector, m.ram + 0x9000, sizeof sector); /* addi r10, r0, 2; ret */
    cr_assert_eq(sim_disk_attach(&m, sector, sizeof sector), 0);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], 1, "the first call ran the old word");
    cr_expect_eq(m.cpu[0].s.r[10], 2, "the second ran what the disk wrote");
    sim_machine_free(&m);
}

/* A loop that runs forever, with the debugger's write between two runs. */
static const char forever[] = "        .org 0x8000\n"
                              "target: addi r10, r0, 1\n"
                              "        addi r11, r11, 1\n"
                              "        b target\n" NEW_WORD;

Test(exec_block, a_debugger_write_between_runs_runs_the_new_word)
{
    sim_machine_t m;
    th_machine(&m, forever);
    m.cpu[0].s.pc = 0x8000;
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert(dbg);
    cr_assert_eq(sim_run(&m, 100), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.cpu[0].s.r[10], 1);
    uint32_t word;
    memcpy(&word, m.ram + 0x9000, 4);
    cr_assert_eq(ui_dbg_write(dbg, UI_DBG_SPACE_HPA, 0x8000, word), 0);
    cr_assert_eq(sim_run(&m, 200), SIM_RUN_MAX_CYCLES); /* 200 cycles in all */
    cr_expect_eq(m.cpu[0].s.r[10], 2, "the loop runs the word the debugger wrote");
    ui_dbg_free(dbg);
    sim_machine_free(&m);
}

/* One program runs; another, with a different word at the same address, is loaded into a
 * fresh machine and run. The blocks are the host's, not a machine's: they must see it. */
Test(exec_block, another_program_loaded_at_the_same_address_runs_its_own_words)
{
    cr_assert_eq(run_r10("        addi r10, r0, 1\n        out r0, [0xf0]\n"), 1);
    cr_expect_eq(run_r10("        addi r10, r0, 2\n        out r0, [0xf0]\n"), 2);
}

/* A snapshot of the loop taken before a new word ran from a block, restored into the same
 * machine: the restored RAM's old word runs again, not the block decoded from the new one. */
Test(exec_block, a_snapshot_restore_runs_the_restored_words)
{
    sim_machine_t m;
    th_machine(&m, forever);
    m.cpu[0].s.pc = 0x8000;
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, 0);
    sim_machine_save(&m, &w);
    uint8_t *bytes;
    size_t len;
    cr_assert_eq(sim_snap_finish(&w, &bytes, &len), 0);
    memcpy(m.ram + 0x8000, m.ram + 0x9000, 4); /* the new word, before anything ran */
    cr_assert_eq(sim_run(&m, 100), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.cpu[0].s.r[10], 2);
    sim_snap_t s;
    char err[256];
    cr_assert_eq(sim_snap_parse(&s, "t.snap", bytes, len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sim_machine_load(&m, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sim_run(&m, 100), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.cpu[0].s.r[10], 1, "the restored RAM holds the old word");
    sim_snap_free(&s);
    free(bytes);
    sim_snap_writer_free(&w);
    sim_machine_free(&m);
}

/* The loader writes another word over code that ran from a block. */
Test(exec_block, the_loader_over_code_runs_the_new_word)
{
    sim_machine_t m;
    th_machine(&m, forever);
    m.cpu[0].s.pc = 0x8000;
    cr_assert_eq(sim_run(&m, 100), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.cpu[0].s.r[10], 1);
    uint32_t word;
    memcpy(&word, m.ram + 0x9000, 4);
    cr_assert_eq(sim_load(&m, 0x8000, &word, 4), 0);
    cr_assert_eq(sim_run(&m, 200), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(m.cpu[0].s.r[10], 2, "the loop runs the word the loader wrote");
    sim_machine_free(&m);
}

/* Two machines in one process run different words at the same address, turn about: each
 * keeps its own blocks. */
Test(exec_block, two_machines_keep_their_own_blocks)
{
    sim_machine_t a, b;
    th_machine(&a, forever);
    th_machine(&b, forever);
    a.cpu[0].s.pc = b.cpu[0].s.pc = 0x8000;
    memcpy(b.ram + 0x8000, b.ram + 0x9000, 4); /* before anything ran */
    for (int round = 1; round <= 3; round++) {
        cr_assert_eq(sim_run(&a, 100 * (uint64_t)round), SIM_RUN_MAX_CYCLES);
        cr_assert_eq(sim_run(&b, 100 * (uint64_t)round), SIM_RUN_MAX_CYCLES);
        cr_expect_eq(a.cpu[0].s.r[10], 1, "round %d", round);
        cr_expect_eq(b.cpu[0].s.r[10], 2, "round %d", round);
    }
    sim_machine_free(&a);
    sim_machine_free(&b);
}

/* Paging on: the first MiB mapped to itself (va = pa), ASID 1, then the program. */
#define PAGING_ON                                                                                  \
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
    "        st      r2, [r1]\n"                                                                   \
    "        li      r1, 0x20000 | 1 << 1 | 1\n"                                                   \
    "        csrw    ptroot, r1\n"

Test(exec_block, paged_a_store_into_the_running_block_runs_the_new_word)
{
    cr_expect_eq(run_r10(PAGING_ON "        li r1, new\n"
                                   "        ld r3, [r1]\n"
                                   "        li r2, target\n"
                                   "        st r3, [r2]\n"
                                   "        nop\n"
                                   "target: addi r10, r0, 1\n"
                                   "        out r0, [0xf0]\n" NEW_WORD),
                 2);
}

Test(exec_block, paged_a_store_into_another_decoded_block_runs_the_new_word)
{
    cr_expect_eq(run_r10(PAGING_ON "        li r1, new\n"
                                   "        ld r3, [r1]\n"
                                   "        li r2, target\n"
                                   "        li r12, 2\n"
                                   "        b target\n"
                                   "target: addi r10, r0, 1\n"
                                   "        addi r12, r12, -1\n"
                                   "        cmpi r12, 0\n"
                                   "        beq done\n"
                                   "        st r3, [r2]\n"
                                   "        b target\n"
                                   "done:   out r0, [0xf0]\n" NEW_WORD),
                 2);
}

/* A block never changes what the model counts: a paged loop whose loads walk on every
 * iteration (a new page each time) gives the same cycles, retired instructions and TLB
 * figures as the one-at-a-time path the debugger's flag selects. */
static bool never_stop(cpu_t *cpu, void *ctx)
{
    (void)cpu, (void)ctx;
    return false;
}

Test(exec_block, paged_blocks_count_what_fetching_one_at_a_time_counts)
{
    static const char src[] = PAGING_ON "        li r1, 0x30000\n"
                                        "        li r12, 100\n"
                                        "loop:   ld r3, [r1]\n"
                                        "        add r4, r4, r3\n"
                                        "        st r4, [r1 + 4]\n"
                                        "        addi r1, r1, 0x1000\n"
                                        "        addi r12, r12, -1\n"
                                        "        cmpi r12, 0\n"
                                        "        bne loop\n"
                                        "        out r0, [0xf0]\n";
    sim_machine_t fast, slow;
    th_machine(&fast, src);
    th_machine(&slow, src);
    slow.cpu[0].debug = true;
    slow.cpu[0].debug_fn = never_stop;
    cr_assert_eq(sim_run(&fast, 10000000), SIM_RUN_POWEROFF);
    cr_assert_eq(sim_run(&slow, 10000000), SIM_RUN_POWEROFF);
    const cpu_t *f = &fast.cpu[0], *s = &slow.cpu[0];
    cr_expect_eq(f->s.cycles, s->s.cycles);
    cr_expect_eq(f->s.instret, s->s.instret);
    cr_expect_eq(f->mmu.stats.hits, s->mmu.stats.hits);
    cr_expect_eq(f->mmu.stats.misses, s->mmu.stats.misses);
    cr_expect_eq(f->mmu.stats.walk_cycles, s->mmu.stats.walk_cycles);
    cr_expect_gt(f->mmu.stats.misses, 100, "the loop walks on every iteration");
    sim_machine_free(&fast);
    sim_machine_free(&slow);
}
