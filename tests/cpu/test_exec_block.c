/*
 * test_exec_block.c - predecoded blocks (cpu/cpu_block.c) must never run words that RAM no
 * longer holds, whoever changed them: the running block itself (self-modifying code), a store
 * into another block already decoded, DMA from the disk, the hypervisor's virtual disk, the
 * page walker's accessed bit, the debugger, the loader and a snapshot restore, with paging off
 * and on. Each program here runs a word once, changes it, and runs it again: on hardware the
 * new word runs, and r10 says which one did (1: the old, 2: the new). With paging on, a block
 * that ends early refunds the fetches it charged for the instructions it did not run.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../sim/sim_snap.h"
#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"
#include "../hypervisor/hw_util.h"

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

/* A program that calls `code`, has the disk read sector 0 over it, and calls it again; `org` is
 * where it starts. `code` begins with a nop: with paging on (a guest's nested paging) a block
 * starts only on the page of the last fetch, so the instruction a call lands on is fetched
 * alone, and the word that changes comes second. */
static void dma_program(char *src, size_t size, const char *org)
{
    snprintf(src, size,
             "%s"
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
             "code:   nop\n"
             "        addi r10, r0, 1\n"
             "        ret\n",
             org, SIM_DISK_PORT, SIM_DISK_DONE);
}

/* The sector: the other version of `code`. */
static const uint8_t *sector_of(const char *src)
{
    static uint8_t sector[SIM_SECTOR_SIZE];
    cpu_asm_result_t words;
    hw_assemble(src, &words);
    memset(sector, 0, sizeof sector);
    memcpy(sector, words.bytes, words.size);
    cpu_asm_free(&words);
    return sector;
}

static const uint8_t *new_code_sector(void)
{
    return sector_of("nop\naddi r10, r0, 2\nret\n");
}

/* Runs src to power-off on a machine whose disk holds `sector`; *r10 and *r11 get its
 * registers. */
static void run_with_disk(const char *src, const uint8_t *sector, uint32_t *r10, uint32_t *r11)
{
    sim_machine_t m;
    th_machine(&m, src);
    cr_assert_eq(sim_disk_attach(&m, sector, SIM_SECTOR_SIZE), 0);
    cr_expect_eq(sim_run(&m, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.disk.reads, 1);
    *r10 = m.cpu[0].s.r[10];
    *r11 = m.cpu[0].s.r[11];
    sim_machine_free(&m);
}

/* The same under the hypervisor: src runs to power-off as a VM whose own virtual disk, which
 * the hypervisor emulates, holds `sector` (hv_copy_to_guest writes the guest's memory). */
static void run_with_virtual_disk(const char *src, const uint8_t *sector, uint32_t *r10,
                                  uint32_t *r11)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.disk = sector, .disk_len = SIM_SECTOR_SIZE, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(hv, "g", src, &c);
    cr_expect_eq(hv_run(hv, 10000000), SIM_RUN_POWEROFF);
    uint32_t vmcb = hv_vcpu_vmcb(hv, (unsigned)vm, 0);
    *r10 = cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(10));
    *r11 = cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(11));
    cr_expect_eq(m.disk.reads, 0, "the hypervisor's disk, not the machine's");
    hu_free(hv, &m);
}

/* `code` runs, the disk's DMA writes the other version over it, and it runs again. */
Test(exec_block, dma_over_code_runs_the_new_words)
{
    char src[1024];
    dma_program(src, sizeof src, "");
    uint32_t r10, r11;
    run_with_disk(src, new_code_sector(), &r10, &r11);
    cr_expect_eq(r11, 1, "the first call ran the old word");
    cr_expect_eq(r10, 2, "the second ran what the disk wrote");
}

/* The same under the hypervisor, with the VM's own virtual disk. */
Test(exec_block, the_hypervisors_virtual_disk_over_guest_code_runs_the_new_words)
{
    char src[1024];
    dma_program(src, sizeof src, "        .org 0x1000\n");
    uint32_t r10, r11;
    run_with_virtual_disk(src, new_code_sector(), &r10, &r11);
    cr_expect_eq(r11, 1, "the first call ran the old word");
    cr_expect_eq(r10, 2, "the second ran what the virtual disk wrote");
}

/* A block that loops on itself (its branch enters it again, CPU_OPC_BLOCK_LOOP) spins while
 * the disk reads a sector over it: `spin` starts the page at 0x8000 and the sector holds the
 * same loop with the new first word (r10 = 2), which ends it. Had the loop kept the block
 * decoded from the old word, it would never end. */
static void dma_spin_program(char *src, size_t size, const char *org)
{
    snprintf(src, size,
             "%s"
             "        .equ DISK, 0x%x\n"
             "        out r0, [DISK]\n" /* sector 0 */
             "        li r1, 1\n"
             "        out r1, [DISK + 1]\n" /* one sector */
             "        li r1, spin\n"
             "        out r1, [DISK + 2]\n"
             "        li r1, 1\n"
             "        out r1, [DISK + 3]\n" /* read */
             "        b spin\n"
             "        .org 0x8000\n"
             "spin:   addi r10, r0, 1\n"
             "        cmpi r10, 1\n"
             "        beq spin\n"
             "        out r0, [0xf0]\n",
             org, SIM_DISK_PORT);
}

/* The disk's DMA, and the hypervisor's virtual disk, over the spinning loop. */
Test(exec_block, dma_and_the_virtual_disk_over_a_spinning_loop_run_the_new_words)
{
    const uint8_t *sector = sector_of("spin:   addi r10, r0, 2\n        cmpi r10, 1\n"
                                      "        beq spin\n        out r0, [0xf0]\n");
    char src[1024];
    uint32_t r10, r11;
    dma_spin_program(src, sizeof src, "");
    run_with_disk(src, sector, &r10, &r11);
    cr_expect_eq(r10, 2, "the loop ran the new word the disk wrote and ended");
    dma_spin_program(src, sizeof src, "        .org 0x1000\n");
    run_with_virtual_disk(src, sector, &r10, &r11);
    cr_expect_eq(r10, 2, "the loop ran the new word the virtual disk wrote and ended");
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
#define PAGING_ON TH_IDENTITY_PAGING

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

/* Runs src to power-off on two machines, one with blocks and one fetching one instruction at
 * a time (the debugger's loop), with tlb_hit costing `hit_cost` cycles: cycles, instructions
 * and the TLB's figures must be the same. *stats gets the blocks machine's, and *cycles and
 * *instret (when not NULL) its cycles and instructions. */
static void expect_as_one_at_a_time_counts(const char *src, uint32_t hit_cost, mmu_stats_t *stats,
                                           uint64_t *cycles, uint64_t *instret)
{
    sim_machine_t fast, slow;
    th_machine(&fast, src);
    th_machine(&slow, src);
    fast.costs.c[SIM_COST_tlb_hit] = slow.costs.c[SIM_COST_tlb_hit] = hit_cost;
    slow.cpu[0].debug = true;
    slow.cpu[0].debug_fn = never_stop;
    cr_assert_eq(sim_run(&fast, 10000000), SIM_RUN_POWEROFF);
    cr_assert_eq(sim_run(&slow, 10000000), SIM_RUN_POWEROFF);
    const cpu_t *f = &fast.cpu[0], *s = &slow.cpu[0];
    cr_expect_eq(f->s.cycles, s->s.cycles, "cycles %llu, one at a time %llu",
                 (unsigned long long)f->s.cycles, (unsigned long long)s->s.cycles);
    cr_expect_eq(f->s.instret, s->s.instret);
    cr_expect_eq(f->mmu.stats.hits, s->mmu.stats.hits);
    cr_expect_eq(f->mmu.stats.misses, s->mmu.stats.misses);
    cr_expect_eq(f->mmu.stats.walk_cycles, s->mmu.stats.walk_cycles);
    *stats = f->mmu.stats;
    if (cycles)
        *cycles = f->s.cycles, *instret = f->s.instret;
    sim_machine_free(&fast);
    sim_machine_free(&slow);
}

static void expect_as_one_at_a_time(const char *src, uint32_t hit_cost, mmu_stats_t *stats)
{
    expect_as_one_at_a_time_counts(src, hit_cost, stats, NULL, NULL);
}

Test(exec_block, paged_blocks_count_what_fetching_one_at_a_time_counts)
{
    mmu_stats_t st;
    expect_as_one_at_a_time(PAGING_ON "        li r1, 0x30000\n"
                                      "        li r12, 100\n"
                                      "loop:   ld r3, [r1]\n"
                                      "        add r4, r4, r3\n"
                                      "        st r4, [r1 + 4]\n"
                                      "        addi r1, r1, 0x1000\n"
                                      "        addi r12, r12, -1\n"
                                      "        cmpi r12, 0\n"
                                      "        bne loop\n"
                                      "        out r0, [0xf0]\n",
                            0, &st);
    cr_expect_gt(st.misses, 100, "the loop walks on every iteration");
}

/* With paging on, a block's fetch hits are charged and counted when it is entered; when it
 * ends early, those of the instructions it did not run are refunded. Here a block ends early
 * in both ways a plain block can: a store into its own page (every iteration) and a walk whose
 * fill takes the code page's TLB entry (every few). tlb_hit costs a cycle in both machines
 * (by default it costs none, and a wrong refund of cycles would not show). */
Test(exec_block, paged_a_block_left_early_refunds_the_fetches_it_did_not_run)
{
    mmu_stats_t st;
    expect_as_one_at_a_time(PAGING_ON "        li r1, 0x30000\n"
                                      "        la r2, data\n"
                                      "        li r12, 100\n"
                                      "loop:   ld r3, [r1]\n"
                                      "        add r4, r4, r3\n"
                                      "        st r4, [r2]\n" /* the block's own page */
                                      "        addi r1, r1, 0x1000\n"
                                      "        addi r12, r12, -1\n"
                                      "        cmpi r12, 0\n"
                                      "        bne loop\n"
                                      "        out r0, [0xf0]\n"
                                      "data:   .word 0\n",
                            1, &st);
    cr_expect_gt(st.hits, 500u);
}

/* A page-table page that is also a code page. The walker's accessed bit lands in a word that
 * has run from a block: the leaf entry for va 0x200000 is the word of `addi r10, r0, 3` (its
 * low bits V and R are the immediate's, its frame 0x20a00 lies past RAM), between a `nop`
 * (fetched alone, as the first instruction on a page always is) and a `ret` (entries without
 * V). A load from 0x200000 walks, sets A (the immediate becomes 0x23), then takes a bus error,
 * since the frame is no RAM; the handler calls the entry again. Nothing in the design stops a
 * kernel from putting tables and code on one page, so the walker's write passes
 * sim_ram_written like every other. */
Test(exec_block, paged_the_walkers_accessed_bit_in_a_code_word_runs_the_new_word)
{
    sim_machine_t m;
    th_machine(&m, PAGING_ON "        la r1, after\n"
                             "        csrw tvec, r1\n"
                             "        call pte\n"
                             "        addi r11, r10, 0\n"
                             "        li r1, 0x200000\n"
                             "        ld r5, [r1]\n" /* the walk writes A into `pte` */
                             "after:  call pte\n"
                             "        out r0, [0xf0]\n"
                             "        .org 0x21000 + 4 * (0x200000 >> 12) - 4\n"
                             "pte:    nop\n"             /* an entry without V, fetched alone */
                             "        addi r10, r0, 3\n" /* 0x20a00003: V R, A clear */
                             "        ret\n");
    uint32_t pte;
    memcpy(&pte, m.ram + 0x21800, 4);
    cr_assert_eq(pte, 0x20a00003u, "the leaf entry is the instruction's word");
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], 3, "the first call ran the entry without A");
    cr_expect_eq(m.cpu[0].s.csr[CPU_CSR_CAUSE], CPU_CAUSE_BUS_ERROR, "the load reached no RAM");
    memcpy(&pte, m.ram + 0x21800, 4);
    cr_expect_eq(pte, 0x20a00023u, "the walker set A");
    cr_expect_eq(m.cpu[0].s.r[10], 0x23, "the second call ran the word with A set");
    sim_machine_free(&m);
}

/* The same entry, written by a load of the block that holds it, while that block runs: the
 * block is [ld, nop, the entry's addi, ret], the load walks for 0x200000 and sets A two words
 * ahead. The block must end there, as a store into it would. The frame, 0x20a00000, must be
 * RAM for the load to go on inside the block (a bus error or a device would end it anyway):
 * the machine has 544 MiB. */
Test(exec_block, paged_the_walkers_accessed_bit_in_the_running_block_runs_the_new_word)
{
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 544u << 20, 1), 0);
    sim_console_set_output(&m, NULL);
    cpu_asm_result_t res;
    hw_assemble(PAGING_ON "        li r1, 0x200000\n"
                          "        call blk\n"
                          "        out r0, [0xf0]\n"
                          "        .org 0x21000 + 4 * (0x200000 >> 12) - 12\n"
                          "blk:    nop\n"         /* fetched alone; entries without V from here */
                          "        ld r5, [r1]\n" /* the block starts here */
                          "        nop\n"
                          "        addi r10, r0, 3\n" /* the entry for 0x200000: V R, A clear */
                          "        ret\n",
                &res);
    cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
    m.cpu[0].s.pc = res.base;
    cpu_asm_free(&res);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    uint32_t pte;
    memcpy(&pte, m.ram + 0x21800, 4);
    cr_expect_eq(pte, 0x20a00023u, "the walker set A");
    cr_expect_eq(m.cpu[0].s.r[10], 0x23, "the block ended at the walk, and the new word ran");
    sim_machine_free(&m);
}

/* A block is charged when it is entered: its base cycles, its count and, paged, a TLB hit for
 * every fetch, load and store. An instruction that faults in the middle of it retires nothing,
 * and the accesses it and the rest of the block did not make are refunded. Each iteration here
 * faults four times in one block (a misaligned load, a page fault or with paging off a bus
 * error, a misaligned store, a bus error past RAM) and the handler goes on after the faulting instruction: the cycles, the
 * count and the TLB's figures are the one-at-a-time loop's, with paging off and on (tlb_hit
 * costs a cycle, so that a hit charged and not refunded would show). */
#define FAULTS_IN_A_BLOCK                                                                          \
    "        la r1, handler\n"                                                                     \
    "        csrw tvec, r1\n"                                                                      \
    "        li r12, 50\n"                                                                         \
    "        li r5, 0x30000\n"                                                                     \
    "        li r6, 0x800000\n" /* no table maps it: a page fault */                               \
    "        li r7, 0x200000\n" /* mapped (paged), past the 1 MiB of RAM: a bus error */           \
    "loop:   ld r3, [r5]\n"                                                                        \
    "        ld r4, [r5 + 2]\n"                                                                    \
    "        add r4, r4, r3\n"                                                                     \
    "        ld r8, [r6]\n"                                                                        \
    "        st r4, [r5 + 4]\n"                                                                    \
    "        st r4, [r5 + 1]\n"                                                                    \
    "        ld r9, [r7]\n"                                                                        \
    "        addi r12, r12, -1\n"                                                                  \
    "        cmpi r12, 0\n"                                                                        \
    "        bne loop\n"                                                                           \
    "        out r0, [0xf0]\n"                                                                     \
    "handler: csrr r13, epc\n"                                                                     \
    "        addi r13, r13, 4\n"                                                                   \
    "        csrw epc, r13\n"                                                                      \
    "        addi r11, r11, 1\n"                                                                   \
    "        iret\n"

/* Both loops run the same code since the prepayment (and so would err the same way): the
 * figures are also pinned, as the loop gave them before it (b365932). */
Test(exec_block, a_fault_in_a_block_retires_nothing_and_is_refunded_the_rest)
{
    mmu_stats_t st;
    uint64_t cycles, instret;
    expect_as_one_at_a_time_counts(FAULTS_IN_A_BLOCK, 1, &st, &cycles, &instret);
    cr_expect_eq(cycles, 18959u);
    cr_expect_eq(instret, 1308u);
    sim_machine_t m;
    cr_assert_eq(th_run(&m, FAULTS_IN_A_BLOCK, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], 200u, "a misaligned load and store and two bus errors a turn");
    sim_machine_free(&m);
}

Test(exec_block, paged_a_fault_in_a_block_retires_nothing_and_is_refunded_the_rest)
{
    mmu_stats_t st;
    uint64_t cycles, instret;
    expect_as_one_at_a_time_counts(PAGING_ON FAULTS_IN_A_BLOCK, 1, &st, &cycles, &instret);
    cr_expect_eq(cycles, 24473u);
    cr_expect_eq(instret, 2855u);
    cr_expect_eq(st.hits, 1606u);
    cr_expect_eq(st.misses, 102u);
    sim_machine_t m;
    cr_assert_eq(th_run(&m, PAGING_ON FAULTS_IN_A_BLOCK, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], 200u, "four faults a turn");
    sim_machine_free(&m);
}

/* r0 reads 0. Only a block's end sets it back to 0, so an instruction that writes r0 (an ALU
 * operation, a load, pop) ends its block, and the next instruction reads 0 again. */
Test(exec_block, an_instruction_that_writes_r0_in_a_block_leaves_it_zero)
{
    cr_expect_eq(run_r10("        li r1, 5\n"
                         "        li r2, 0x30000\n"
                         "        st r1, [r2]\n"
                         "        li r12, 3\n"
                         "loop:   add r0, r1, r1\n"
                         "        add r10, r10, r0\n"
                         "        ld r0, [r2]\n"
                         "        add r10, r10, r0\n"
                         "        addi r0, r0, 7\n"
                         "        add r10, r10, r0\n"
                         "        addi r12, r12, -1\n"
                         "        cmpi r12, 0\n"
                         "        bne loop\n"
                         "        out r0, [0xf0]\n"),
                 0);
}
