/*
 * test_exec_access.c - paged loads and stores through the hot loop's translation cache
 * (mmu_fast_access): a hit goes straight to RAM, so the cache must answer only for aligned
 * accesses to frames in RAM, with the privilege that filled it, and count and charge every
 * hit as the TLB does.
 *
 * Each program maps the first 4 MiB to itself (TH_IDENTITY_PAGING) and touches its data page
 * first, so that the access tested would hit in the cache if the cache let it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"

/* A kernel handler that records cause (r10), tval (r11) and epc (r12) and powers off. */
#define HANDLER "handler: csrr r10, cause\n csrr r11, tval\n csrr r12, epc\n out r0, [0xf0]\n"
#define PRELUDE "la r1, handler\n csrw tvec, r1\n li r10, -1\n" TH_IDENTITY_PAGING

/* Runs src to power-off twice, with tlb_hit costing 1 and 6 cycles: every TLB hit must be
 * counted once and charged once, so the cycles differ by 5 per counted hit. The run with the
 * cost of 1 stays in *m (the caller frees it). */
static void run_counting_hits(sim_machine_t *m, const char *src)
{
    sim_machine_t dear;
    th_machine(m, src);
    th_machine(&dear, src);
    m->costs.c[SIM_COST_tlb_hit] = 1;
    dear.costs.c[SIM_COST_tlb_hit] = 6;
    cr_assert_eq(sim_run(m, 1000000), SIM_RUN_POWEROFF);
    cr_assert_eq(sim_run(&dear, 1000000), SIM_RUN_POWEROFF);
    const mmu_stats_t *st = &m->cpu[0].mmu.stats;
    cr_expect_eq(dear.cpu[0].mmu.stats.hits, st->hits);
    cr_expect_eq(dear.cpu[0].s.cycles - m->cpu[0].s.cycles, 5 * st->hits,
                 "%llu hits, %llu cycles more", (unsigned long long)st->hits,
                 (unsigned long long)(dear.cpu[0].s.cycles - m->cpu[0].s.cycles));
    sim_machine_free(&dear);
}

typedef struct {
    const char *access; /* the access, at label `here`, to va 0x6000 + offset in r1 */
    uint32_t offset;
} misaligned_case_t;

/* The tag compare rejects a misaligned access, which then faults on the slow path: cause,
 * tval and epc as without the cache, and no TLB hit counted or charged for it. */
Test(exec_access, a_misaligned_access_to_a_cached_page_faults_as_before)
{
    static const misaligned_case_t cases[] = {
        {"ld r2, [r1]", 2},      {"ld r2, [r1]", 1}, {"ld r2, [r1]", 0xfff}, {"ldh r2, [r1]", 1},
        {"ldhu r2, [r1]", 3},    {"st r2, [r1]", 2}, {"st r2, [r1]", 3},     {"sth r2, [r1]", 1},
        {"sth r2, [r1]", 0xfff}, {"push r2", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const misaligned_case_t *c = &cases[i];
        char src[4096];
        snprintf(src, sizeof src,
                 PRELUDE "        la r8, here\n"
                         "        li r1, 0x6000\n"
                         "        ld r3, [r1]\n" /* the page is in the TLB and the cache */
                         "        st r3, [r1+4]\n"
                         "        li r1, 0x6000 + %u\n"
                         "        li sp, 0x6000 + 2\n"
                         "here:   %s\n"
                         "        li r10, 0xdead\n"
                         "        out r0, [0xf0]\n" HANDLER,
                 (unsigned)c->offset, c->access);
        sim_machine_t m;
        run_counting_hits(&m, src);
        const uint32_t *r = m.cpu[0].s.r;
        uint32_t want = strstr(c->access, "push") ? 0x6000 - 2 : 0x6000 + c->offset;
        cr_expect_eq(r[10], CPU_CAUSE_MISALIGNED, "%s at +%#x: cause %u", c->access, c->offset,
                     r[10]);
        cr_expect_eq(r[11], want, "%s at +%#x: tval %#x", c->access, c->offset, r[11]);
        cr_expect_eq(r[12], r[8], "%s: epc on the access", c->access);
        sim_machine_free(&m);
    }
}

/* The same byte and halfword accesses, aligned, hit and read and write RAM. */
Test(exec_access, aligned_bytes_and_halves_of_a_cached_page_work)
{
    sim_machine_t m;
    run_counting_hits(&m, PRELUDE "        li r1, 0x6000\n"
                                  "        li r2, 0x12345678\n"
                                  "        st r2, [r1]\n"
                                  "        ldbu r3, [r1+3]\n"
                                  "        ldhu r4, [r1+2]\n"
                                  "        li r5, 0xab\n"
                                  "        stb r5, [r1+1]\n"
                                  "        ld r6, [r1]\n"
                                  "        ldh r7, [r1+0xffe]\n" /* the last half of the page */
                                  "        out r0, [0xf0]\n" HANDLER);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[10], 0xffffffffu, "no trap");
    cr_expect_eq(r[3], 0x12);
    cr_expect_eq(r[4], 0x1234);
    cr_expect_eq(r[6], 0x1234ab78);
    cr_expect_eq(r[7], 0);
    sim_machine_free(&m);
}

/* va 0x400000 maps the UART's MMIO frame: its TLB entry hits from the second access on, and
 * each access still reaches the device (the cache never holds a frame outside RAM). */
#define MAP_UART_AT_4M                                                                             \
    "        li r1, 0x20004\n"                                                                     \
    "        li r2, 0x22001\n"                                                                     \
    "        st r2, [r1]\n" /* root[1] -> the table at 0x22000 */                                  \
    "        li r1, 0x22000\n"                                                                     \
    "        lui r2, 0xf000\n"                                                                     \
    "        ori r2, r2, 0x6f\n"                                                                   \
    "        st r2, [r1]\n" /* va 0x400000 -> frame 0xf0000 */                                     \
    "        lui r3, 0x0040\n"

Test(exec_access, a_paged_mapping_of_a_device_frame_reaches_the_device)
{
    sim_machine_t m;
    run_counting_hits(&m, PRELUDE MAP_UART_AT_4M "        li r4, 'o'\n"
                                                 "        st r4, [r3]\n"
                                                 "        li r4, 'k'\n"
                                                 "        st r4, [r3]\n"
                                                 "        st r4, [r3]\n"
                                                 "        ld r5, [r3+4]\n" /* the status */
                                                 "        ld r6, [r3+4]\n"
                                                 "        out r0, [0xf0]\n" HANDLER);
    cr_expect_eq(m.cpu[0].s.r[10], 0xffffffffu, "no trap");
    cr_expect_str_eq(sim_console_captured(&m), "okk");
    cr_expect_eq(m.cpu[0].s.r[5], 2, "UART status through the mapping");
    cr_expect_eq(m.cpu[0].s.r[6], 2);
    const mmu_tlb_entry_t *e = mmu_tlb_find(&m.cpu[0].mmu, 0x00400000u);
    cr_assert_not_null(e, "the TLB holds the device's page");
    uint32_t pa;
    cr_expect_not(mmu_fast_lookup(&m.cpu[0].mmu, MMU_STORE, 0x00400000u, false, &pa),
                  "the cache does not");
    sim_machine_free(&m);
}

/* A loop of loads and stores over two pages: every fetch and access after paging is on is a
 * TLB hit or a miss, counted once and charged once, as the TLB alone would count it. */
Test(exec_access, figures_with_the_cache_are_the_tlbs)
{
    enum { ITERS = 50 };
    char src[4096];
    snprintf(src, sizeof src,
             PRELUDE "        addi r1, r0, %d\n"
                     "        lui r5, 0\n" /* r5 = 0x6000, r6 = 0x7000: set up in the loop */
                     "loop:   ori r5, r0, 0x6000\n"
                     "        ld r2, [r5]\n"
                     "        st r2, [r5+8]\n"
                     "        ldh r3, [r5+0x1002]\n"
                     "        stb r3, [r5+0x1003]\n"
                     "        addi r1, r1, -1\n"
                     "        cmpi r1, 0\n"
                     "        bne loop\n"
                     "        out r0, [0xf0]\n" HANDLER,
             ITERS);
    sim_machine_t m;
    run_counting_hits(&m, src);
    const mmu_stats_t *st = &m.cpu[0].mmu.stats;
    /* after csrw ptroot: addi, lui, ITERS x 8 instructions and out, and 4 accesses each round */
    uint64_t translations = 2 + ITERS * 8 + 1 + ITERS * 4;
    cr_expect_eq(st->hits + st->misses, translations, "hits %llu, misses %llu",
                 (unsigned long long)st->hits, (unsigned long long)st->misses);
    cr_expect_eq(st->misses, 3, "the code page and the two data pages");
    cr_expect_eq(m.cpu[0].s.r[10], 0xffffffffu, "no trap");
    sim_machine_free(&m);
}

/* The cache keeps a table per privilege: a kernel access to a page without U, cached, must not
 * serve the same access from U, which faults. */
Test(exec_access, a_kernel_translation_does_not_serve_user_mode)
{
    sim_machine_t m;
    run_counting_hits(&m, PRELUDE "        li r1, 0x21000 + 5 * 4\n"
                                  "        li r2, 0x507f\n" /* page 0x5000: U, for the user code */
                                  "        st r2, [r1]\n"
                                  "        li r1, 0x6000\n"
                                  "        ld r3, [r1]\n" /* cached for K */
                                  "        la r1, user\n"
                                  "        csrw epc, r1\n"
                                  "        li r1, 0\n"
                                  "        csrw eflags, r1\n"
                                  "        li r1, 0x6000\n"
                                  "        iret\n" HANDLER "        .org 0x5000\n"
                                  "user:   ld r3, [r1]\n"
                                  "        li r10, 0xdead\n");
    cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_LOAD_PAGE_FAULT);
    cr_expect_eq(m.cpu[0].s.r[11], 0x6000);
    cr_expect_eq(m.cpu[0].s.r[12], 0x5000);
    sim_machine_free(&m);
}

/* Self-modifying code with paging on, two CPUs sharing the code page. CPU 1 stores to page
 * 0x3000 first, so that its cache could hold a store translation of the page; CPU 0 then runs
 * `word` there from a block, and CPU 1 writes a new word over it. That store must still drop
 * the block (the cache mirrors no store to a page blocks were decoded from, in any CPU), and
 * CPU 0 runs the new word. The flags live on page 0x6000, so that no other store drops the
 * block first. */
Test(exec_access, a_store_through_the_cache_into_another_cpus_block_runs_the_new_word)
{
    static const char src[] = TH_IDENTITY_PAGING /* both CPUs: the same entries */
        "        csrr r1, cpunum\n"
        "        li r7, 0x6000\n" /* [r7] ready, [r7+4] ran, [r7+8] written */
        "        cmpi r1, 0\n"
        "        bne writer\n"
        "w1:     ld r2, [r7]\n"
        "        cmpi r2, 0\n"
        "        beq w1\n"
        "        call target\n"
        "        call target\n"
        "        mov r11, r10\n"
        "        li r2, 1\n"
        "        st r2, [r7+4]\n"
        "w2:     ld r2, [r7+8]\n"
        "        cmpi r2, 0\n"
        "        beq w2\n"
        "        call target\n"
        "        out r0, [0xf0]\n"
        "writer: li r3, 0x3100\n"
        "        st r0, [r3]\n" /* page 0x3000's store translation, in the cache */
        "        li r2, 1\n"
        "        st r2, [r7]\n"
        "w3:     ld r2, [r7+4]\n"
        "        cmpi r2, 0\n"
        "        beq w3\n"
        "        la r4, word\n"
        "        la r5, new\n"
        "        ld r6, [r5]\n"
        "        st r6, [r4]\n"
        "        st r6, [r3]\n" /* the page's store translation is used again */
        "        li r2, 1\n"
        "        st r2, [r7+8]\n"
        "spin:   b spin\n"
        "        .org 0x3000\n"
        "target: nop\n" /* fetched alone (pc just came to the page); a block from here on */
        "word:   addi r10, r0, 1\n"
        "        ret\n"
        "new:    addi r10, r0, 2\n";
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 2), 0);
    sim_console_set_output(&m, NULL);
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("smc2.s", src, stderr, &res), 0);
    cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
    m.cpu[0].s.pc = m.cpu[1].s.pc = res.base;
    cpu_asm_free(&res);
    cr_assert_eq(sim_run(&m, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], 1, "the old word ran from a block");
    cr_expect_eq(m.cpu[0].s.r[10], 2, "the new word runs");
    uint32_t pa;
    cr_expect_not(mmu_fast_lookup(&m.cpu[1].mmu, MMU_STORE, 0x3000, false, &pa),
                  "no store translation to the page while it holds blocks");
    sim_machine_free(&m);
}
