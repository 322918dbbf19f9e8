/*
 * test_exec_granule.c - a page's code is marked in 64-byte granules (cpu/cpu_block.c): a write
 * beside a page's code (a kernel's variable on its code page) keeps the blocks decoded from it;
 * a write into a granule they came from drops them, and the new words run. The figures do not
 * depend on which: blocks are a host-side memo.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"

#define PAGE(pa) ((pa) >> MMU_PAGE_SHIFT)

Test(exec_granule, the_granules_of_a_range_within_its_page)
{
    cr_expect_eq(cpu_blocks_granules(0x8000, 4), 1ull);
    cr_expect_eq(cpu_blocks_granules(0x803c, 4), 1ull, "the last word of granule 0");
    cr_expect_eq(cpu_blocks_granules(0x8040, 4), 2ull, "the first word of granule 1");
    cr_expect_eq(cpu_blocks_granules(0x803e, 4), 3ull, "two bytes in each");
    cr_expect_eq(cpu_blocks_granules(0x8ffc, 4), 1ull << 63, "the page's last word");
    cr_expect_eq(cpu_blocks_granules(0x8fc0, 0x100), 1ull << 63, "cut at the page's end");
    cr_expect_eq(cpu_blocks_granules(0x8000, MMU_PAGE_SIZE), ~0ull, "the whole page");
    cr_expect_eq(cpu_blocks_granules(0x8081, 1), 4ull, "one byte");
}

/* A countdown loop that stores its counter to `var` each pass, then powers off. Its code is the
 * page's first 64 bytes (granule 0); `var` is where the caller puts it on the same page. */
static void run_storing_loop(sim_machine_t *m, const char *var_org, uint32_t passes)
{
    char src[1024];
    snprintf(src, sizeof src,
             "        .org 0x8000\n"
             "        li r1, %u\n"
             "        li r2, var\n"
             "loop:   addi r1, r1, -1\n"
             "        st r1, [r2]\n"
             "        cmpi r1, 0\n"
             "        bgt loop\n"
             "        ld r10, [r2]\n"
             "        out r0, [0xf0]\n"
             "        .org %s\n"
             "var:    .word 77\n",
             passes, var_org);
    th_machine(m, src);
    cr_assert_eq(sim_run(m, 10000000), SIM_RUN_POWEROFF);
}

Test(exec_granule, a_store_beside_a_loops_code_keeps_its_blocks)
{
    sim_machine_t m;
    run_storing_loop(&m, "0x8800", 50);
    cr_expect_eq(m.cpu[0].s.r[10], 0);
    cr_expect_eq(m.blocks.gen[PAGE(0x8000)], 1, "50 stores to the code page dropped its blocks");
    cr_expect_neq(m.blocks.code[PAGE(0x8000)] & 1, 0, "the loop's granule is marked");
    cr_expect_eq(m.blocks.code[PAGE(0x8000)] & cpu_blocks_granules(0x8800, 4), 0);
    sim_machine_free(&m);
}

Test(exec_granule, a_store_into_a_granule_of_code_drops_its_blocks)
{
    sim_machine_t m;
    run_storing_loop(&m, "0x8030", 50); /* after the code, in its granule */
    cr_expect_eq(m.cpu[0].s.r[10], 0);
    cr_expect_geq(m.blocks.gen[PAGE(0x8000)], 50, "each store dropped the loop's block");
    sim_machine_free(&m);
}

/* Where var is changes neither what the program does nor what it costs. */
Test(exec_granule, the_figures_do_not_depend_on_the_granule)
{
    sim_machine_t beside, into;
    run_storing_loop(&beside, "0x8800", 50);
    run_storing_loop(&into, "0x8030", 50);
    cr_expect_eq(beside.cpu[0].s.cycles, into.cpu[0].s.cycles);
    cr_expect_eq(beside.cpu[0].s.instret, into.cpu[0].s.instret);
    sim_machine_free(&beside);
    sim_machine_free(&into);
}

/* The loop's code rewritten from beside it: the store lands on a word the loop runs (its
 * `addi r10, r10, 1` becomes `addi r10, r10, 2` after the first pass), two granules from the
 * store's own code. */
Test(exec_granule, a_store_into_a_loops_granule_from_elsewhere_runs_the_new_word)
{
    sim_machine_t m;
    th_machine(&m, "        .org 0x8000\n"
                   "        li r1, 3\n"
                   "        li r2, body\n"
                   "        li r3, new\n"
                   "        ld r3, [r3]\n"
                   "        b body\n"
                   "        .org 0x8080\n"
                   "body:   addi r10, r10, 1\n"
                   "        addi r1, r1, -1\n"
                   "        cmpi r1, 0\n"
                   "        bgt patch\n"
                   "        out r0, [0xf0]\n"
                   "        .org 0x8100\n"
                   "patch:  st r3, [r2]\n"
                   "        b body\n"
                   "new:    addi r10, r10, 2\n");
    cr_assert_eq(sim_run(&m, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[10], 1 + 2 + 2, "the first pass ran the old word, the others the new");
    sim_machine_free(&m);
}

/* Writers other than the CPU pass the same test (sim_ram_written): beside the code, nothing is
 * dropped; into it, the page's blocks are. */
Test(exec_granule, a_write_through_the_hook_drops_only_a_granule_with_code)
{
    sim_machine_t m;
    run_storing_loop(&m, "0x8800", 5);
    uint64_t gen = m.blocks.gen[PAGE(0x8000)];
    sim_ram_written(&m, 0x8400, 64);
    cr_expect_eq(m.blocks.gen[PAGE(0x8000)], gen, "a write beside the code");
    sim_ram_written(&m, 0x8010, 4);
    cr_expect_eq(m.blocks.gen[PAGE(0x8000)], gen + 1, "a write into the loop's granule");
    cr_expect_eq(m.blocks.code[PAGE(0x8000)], 0, "the page is no longer marked");
    sim_machine_free(&m);
}
