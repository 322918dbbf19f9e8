/*
 * test_repl_paging.c - the REPL's memory-system commands on machines whose page tables the
 * MMU tests' helpers build: translate (a 1-D walk as a list, a 2-D walk as a grid), x in the
 * gva and gpa spaces, and info tlb.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/repl/ui_repl.h"
#include "../mmu/mmu_util.h"

static sim_machine_t m;
static ui_dbg_t *dbg;
static ui_repl_t repl;
static char *out_text, *err_text;
static size_t out_len, err_len;

static void attach(void)
{
    dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    FILE *o = open_memstream(&out_text, &out_len), *e = open_memstream(&err_text, &err_len);
    ui_repl_init(&repl, &m, dbg, o, e);
}

static void teardown(void)
{
    fclose(repl.out);
    fclose(repl.err);
    free(out_text);
    free(err_text);
    ui_dbg_free(dbg);
    sim_machine_free(&m);
}

/* Runs a command and returns what it printed (stdout, then stderr). */
static const char *run(const char *line)
{
    static char buf[8192];
    long o = ftell(repl.out), e = ftell(repl.err);
    ui_repl_execute(&repl, line);
    fflush(repl.out);
    fflush(repl.err);
    snprintf(buf, sizeof buf, "%s%s", out_text + o, err_text + e);
    return buf;
}

Test(repl_paging, one_dimensional_walk_and_gva_memory, .fini = teardown)
{
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    mt_native(&m, &b);
    cr_assert(mmu_build_map(&b, 0x00400000, 0x00002000, MMU_PTE_R | MMU_PTE_W));
    mt_set_word(&m, 0x00002010, 0xcafef00d);
    attach();
    const char *t = run("translate 0x00400010");
    cr_expect(strstr(t, "gva 0x00400010, a load: 1-D walk, 2 references"), "%s", t);
    cr_expect(strstr(t, "gva 0x00400010 -> hpa 0x00002010"), "%s", t);
    t = run("x/1xw 0x00400010");
    cr_expect_str_eq(t, "gva 0x00400010:  0xcafef00d\n");
    t = run("x/1xw hpa:0x2010");
    cr_expect_str_eq(t, "hpa 0x00002010:  0xcafef00d\n");
    t = run("translate 0x00800000");
    cr_expect(strstr(t, "page fault: not-present; the CPU would trap"), "%s", t);
    t = run("x 0x00800000");
    cr_expect(strstr(t, "gva 0x00800000 is not mapped: the page walk ends in not-present."), "%s",
              t);
    t = run("info tlb");
    cr_expect(strstr(t, "paging on"), "%s", t);
    cr_expect(strstr(t, "The TLB is empty."), "%s", t);
    t = run("translate gpa:0x1000");
    cr_expect(strstr(t, UI_DBG_NO_VMS), "%s", t);
}

Test(repl_paging, two_dimensional_walk_as_a_grid, .fini = teardown)
{
    mt_vm_t vm;
    mt_machine(&m, 2, 2);
    mt_vm(&m, &vm, 1, true);
    cr_assert(mmu_build_map(&vm.guest, 0x00401000, 0x00003000, MMU_PTE_R | MMU_PTE_W));
    mt_set_word(&m, MT_GUEST_HPA + 0x3a2c, 0x12345678);
    attach();
    const char *t = run("translate 0x00401a2c");
    cr_expect(strstr(t, "gva 0x00401a2c, a load: 2-D walk, 8 references"), "%s", t);
    cr_expect(strstr(t, "what is translated"), "%s", t);
    cr_expect(strstr(t, "guest L1 table gpa"), "%s", t);
    cr_expect(strstr(t, "data page      gpa 0x00003a2c"), "%s", t);
    cr_expect(strstr(t, "gva 0x00401a2c -> gpa 0x00003a2c -> hpa 0x00083a2c"), "%s", t);
    t = run("x/1x 0x00401a2c");
    cr_expect_str_eq(t, "gva 0x00401a2c:  0x12345678\n");
    t = run("x/1x gpa:0x3a2c");
    cr_expect_str_eq(t, "gpa 0x00003a2c:  0x12345678\n");
    t = run("translate gpa:0x3a2c");
    cr_expect(strstr(t, "gpa 0x00003a2c -> hpa 0x00083a2c"), "%s", t);
}

/* ------------------------------------------------------------------------------------------
 * Breakpoints and watchpoints on virtual addresses, through the API
 * ------------------------------------------------------------------------------------------ */
Test(debug_paging, gva_and_hpa_breakpoints_and_a_gva_watchpoint, .fini = teardown)
{
    mmu_builder_t b;
    mt_machine(&m, 2, 2);
    /* The program at va 0x00010000 (pa 0x1000) stores to va 0x00400000 (pa 0x2000). */
    static const char *const src = "        .org 0x10000\n"
                                   "start:  lui r2, 0x40\n"
                                   "        li r1, 7\n"
                                   "        st r1, [r2]\n"
                                   "        out r0, [0xf0]\n";
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("p.s", src, stderr, &res), 0);
    cr_assert_eq(sim_load(&m, 0x1000, res.bytes, res.size), 0);
    cpu_asm_free(&res);
    mt_native(&m, &b);
    cr_assert(mmu_build_map(&b, 0x00010000, 0x1000, MMU_PTE_R | MMU_PTE_X));
    cr_assert(mmu_build_map(&b, 0x00400000, 0x2000, MMU_PTE_R | MMU_PTE_W));
    m.cpu[0].s.pc = 0x00010000;
    attach();
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_default_space(dbg), UI_DBG_SPACE_GVA);
    cr_assert_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_GVA, 0x00010004, -1, -1), 1);
    cr_assert_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1008, -1, -1), 2);
    cr_assert_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_GVA, 0x00400000, 4, UI_DBG_WRITE), 3);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 1);
    cr_expect_str_eq(st.text, "Breakpoint 1 at gva 0x00010004.");
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 2, "an hpa breakpoint matches the translated pc");
    cr_expect_eq(st.pc, 0x00010008);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 3);
    cr_expect_eq(st.value, 7);
    cr_expect(strstr(st.text, "Watchpoint 3: write of 0x00000007 to gva 0x00400000 (hpa "
                              "0x00002000) by `st r1, [r2]` at 0x00010008 (was 0x00000000)."),
              "%s", st.text);
    cr_expect_eq(mt_word(&m, 0x2000), 7);
}
