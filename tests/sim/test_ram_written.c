/*
 * test_ram_written.c - the record of RAM pages written since a debugger's last checkpoint
 * (sim_machine_t.ram_written, sim_ram_clear_written): the debugger copies only those pages
 * into its next checkpoint, so a write that is not marked would make going back restore
 * another RAM than the machine had. Every writer marks: sim_ram_written, and the CPU's stores,
 * whose first store to a page after a clear takes the slow path (the translation cache
 * mirrors no store to an unmarked page) and marks it. The record is host-side: clearing it
 * changes no figure.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"

#define PAGE(pa) ((pa) >> MMU_PAGE_SHIFT)

/* A loop that stores its counter to 0x6000 `passes` times (paging on when `paged`), then
 * powers off. */
static void storing_loop(sim_machine_t *m, bool paged, uint32_t passes)
{
    char src[2048];
    snprintf(src, sizeof src,
             "%s"
             "        li r1, %u\n"
             "        li r5, 0x6000\n"
             "loop:   addi r1, r1, -1\n"
             "        st r1, [r5]\n"
             "        cmpi r1, 0\n"
             "        bgt loop\n"
             "        out r0, [0xf0]\n",
             paged ? TH_IDENTITY_PAGING : "", passes);
    th_machine(m, src);
}

static unsigned pages_marked(const sim_machine_t *m)
{
    unsigned n = 0;
    for (uint32_t p = 0; p < sim_ram_pages(m); p++)
        n += m->ram_written[p];
    return n;
}

Test(ram_written, a_new_machine_counts_every_page_written)
{
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    cr_expect_eq(sim_ram_pages(&m), 256);
    cr_expect_eq(pages_marked(&m), 256, "no debugger has cleared them");
    sim_machine_free(&m);
}

Test(ram_written, sim_ram_written_marks_the_pages_it_spans)
{
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    sim_ram_clear_written(&m);
    cr_expect_eq(pages_marked(&m), 0);
    sim_ram_written(&m, 0x1ffe, 4);
    cr_expect(m.ram_written[1] && m.ram_written[2], "both pages of a write across their border");
    sim_ram_written(&m, 0x5000, 0);
    sim_ram_written(&m, 1u << 20, 4);
    cr_expect_eq(pages_marked(&m), 2, "an empty write and one past RAM mark nothing");
    sim_ram_written(&m, 0xff000, 0x2000);
    cr_expect(m.ram_written[255], "the last page, the write cut at RAM's end");
    cr_expect_eq(pages_marked(&m), 3);
    sim_machine_free(&m);
}

Test(ram_written, a_store_with_paging_off_marks_its_page)
{
    sim_machine_t m;
    storing_loop(&m, false, 1000);
    cr_assert_eq(sim_run(&m, 500), SIM_RUN_MAX_CYCLES);
    sim_ram_clear_written(&m);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    cr_expect(m.ram_written[PAGE(0x6000)]);
    cr_expect_eq(pages_marked(&m), 1, "only the page stored to");
    sim_machine_free(&m);
}

/* With paging on, the loop's store hits in the translation cache, which writes RAM at once:
 * a clear must take that mirror away, so that the next store marks its page. */
Test(ram_written, a_store_through_a_warm_translation_cache_marks_its_page)
{
    sim_machine_t m;
    uint32_t pa;
    storing_loop(&m, true, 100000);
    cr_assert_eq(sim_run(&m, 20000), SIM_RUN_MAX_CYCLES);
    cr_assert(mmu_fast_lookup(&m.cpu[0].mmu, MMU_STORE, 0x6000, false, &pa),
              "the loop's store is mirrored: it hits in the cache");
    sim_ram_clear_written(&m);
    cr_expect_not(mmu_fast_lookup(&m.cpu[0].mmu, MMU_STORE, 0x6000, false, &pa),
                  "a clear forgets the store mirrors");
    cr_expect(mmu_fast_lookup(&m.cpu[0].mmu, MMU_LOAD, 0x6000, false, &pa), "but not the loads'");
    cr_assert_eq(sim_run(&m, 30000), SIM_RUN_MAX_CYCLES);
    cr_expect(m.ram_written[PAGE(0x6000)], "the first store after the clear marked its page");
    cr_expect_eq(pages_marked(&m), 1);
    cr_expect(mmu_fast_lookup(&m.cpu[0].mmu, MMU_STORE, 0x6000, false, &pa),
              "a marked page is mirrored again: only its first stores paid the slow path");
    sim_machine_free(&m);
}

/* A page that a loop stores to is mirrored again once marked; one never stored to is not:
 * its first store still takes the slow path. */
Test(ram_written, an_unmarked_page_is_never_mirrored_for_stores)
{
    sim_machine_t m;
    uint32_t pa;
    th_machine(&m, TH_IDENTITY_PAGING "        li r5, 0x6000\n"
                                      "        ld r2, [r5]\n" /* fills the TLB: load and store */
                                      "        halt\n");
    sim_ram_clear_written(&m);
    sim_run(&m, 100000);
    cr_expect(mmu_fast_lookup(&m.cpu[0].mmu, MMU_LOAD, 0x6000, false, &pa));
    cr_expect_not(mmu_fast_lookup(&m.cpu[0].mmu, MMU_STORE, 0x6000, false, &pa),
                  "the fill mirrored no store to a page not marked written");
    cr_expect_not(m.ram_written[PAGE(0x6000)], "a load marks nothing");
    sim_machine_free(&m);
}

/* Clearing the record every 700 cycles changes nothing a student sees: cycles, instructions,
 * TLB hits and misses are those of a run never cleared. */
Test(ram_written, clearing_changes_no_figure)
{
    sim_machine_t plain, cleared;
    storing_loop(&plain, true, 3000);
    storing_loop(&cleared, true, 3000);
    cr_assert_eq(sim_run(&plain, 10000000), SIM_RUN_POWEROFF);
    sim_run_result_t why;
    uint64_t at = 0;
    do {
        at += 700;
        sim_ram_clear_written(&cleared);
    } while ((why = sim_run(&cleared, at)) == SIM_RUN_MAX_CYCLES);
    cr_assert_eq(why, SIM_RUN_POWEROFF);
    const cpu_t *a = &plain.cpu[0], *b = &cleared.cpu[0];
    cr_expect_eq(a->s.cycles, b->s.cycles);
    cr_expect_eq(a->s.instret, b->s.instret);
    cr_expect_eq(a->mmu.stats.hits, b->mmu.stats.hits);
    cr_expect_eq(a->mmu.stats.misses, b->mmu.stats.misses);
    sim_machine_free(&plain);
    sim_machine_free(&cleared);
}
