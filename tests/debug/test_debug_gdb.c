/*
 * test_debug_gdb.c - gdb's vocabulary in the debugger API (ui_debug.h, "The gdb vocabulary"):
 * next over a call, finish, until and advance, frames by the calling convention, tbreak,
 * conditions, ignore counts, commands, displays, edits (and their events), line tables and
 * restarting from cycle 0. Every figure is exact: the machine is deterministic.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/debug/ui_debug.h"
#include "../support/harness.h"

static sim_machine_t m;
static ui_dbg_t *dbg;
static cpu_asm_result_t prog;

/* Two rounds of start -> work -> leaf, in the guests' calling convention (docs/isa.md). */
static const char *const calls = "start:  la      sp, 0x8000\n" /* 0x1000, 0x1004 */
                                 "        li      r9, 0\n"      /* 0x1008 */
                                 ".round: li      r1, 3\n"      /* 0x100c */
                                 "        call    work\n"       /* 0x1010 */
                                 "        addi    r9, r9, 1\n"  /* 0x1014 */
                                 "        cmpi    r9, 2\n"      /* 0x1018 */
                                 "        blt     .round\n"     /* 0x101c */
                                 "        out     r9, [0xf0]\n" /* 0x1020 */
                                 "work:   push    lr\n"         /* 0x1024 */
                                 "        push    r10\n"        /* 0x1028 */
                                 "        call    leaf\n"       /* 0x102c */
                                 "        pop     r10\n"        /* 0x1030 */
                                 "        pop     lr\n"         /* 0x1034 */
                                 "        ret\n"                /* 0x1038 */
                                 "leaf:   addi    r1, r1, 1\n"  /* 0x103c */
                                 "        ret\n";               /* 0x1040 */

/* Loads the program into a fresh machine (also the rebuild function of a restart). */
static int load(sim_machine_t *mach, void *ctx, char *err, size_t len)
{
    (void)ctx, (void)err, (void)len;
    if (mach->ram)
        sim_machine_free(mach);
    if (sim_machine_init(mach, 1u << 20, 1) != 0 ||
        sim_load(mach, prog.base, prog.bytes, prog.size) != 0)
        return -1;
    sim_console_set_output(mach, NULL);
    mach->cpu[0].s.pc = prog.base;
    return 0;
}

static void setup(void)
{
    cr_assert_eq(cpu_asm_string("calls.s", calls, stderr, &prog), 0);
    memset(&m, 0, sizeof m);
    cr_assert_eq(load(&m, NULL, NULL, 0), 0);
    dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    cr_assert_eq(ui_dbg_set_symbols(dbg, prog.syms, prog.nsyms), 0);
}

static void teardown(void)
{
    ui_dbg_free(dbg);
    sim_machine_free(&m);
    cpu_asm_free(&prog);
}

TestSuite(debug_gdb, .init = setup, .fini = teardown);

static void break_at(const char *name)
{
    uint32_t a;
    cr_assert(ui_dbg_symbol_addr(dbg, name, &a));
    cr_assert_gt(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, a, UI_DBG_ANY_CPU, UI_DBG_ANY_VM), 0);
}

Test(debug_gdb, next_steps_over_a_call_and_stepi_into_it)
{
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 4, &st), 0);
    cr_assert_eq(st.pc, 0x1010); /* at `call work` */
    cr_assert_eq(ui_dbg_next(dbg, 1, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_NEXT);
    cr_expect_eq(st.pc, 0x1014);
    cr_expect_eq(st.steps, 9); /* call, push, push, call, addi, ret, pop, pop, ret */
    cr_expect_str_eq(st.text, "Stepped over the call to work on cpu0 (9 instructions).");
    cr_assert_eq(ui_dbg_next(dbg, 1, &st), 0); /* not a call: one instruction */
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP);
    cr_expect_eq(st.pc, 0x1018);
    cr_assert_eq(ui_dbg_next(dbg, 4, &st), 0); /* cmpi, blt, li, then the call again */
    cr_expect_eq(st.pc, 0x1014);
    cr_expect_eq(st.steps, 12);
    cr_expect_str_eq(st.text, "Stepped 12 instructions on cpu0, over calls.");
    cr_expect_eq(ui_dbg_next(dbg, 0, &st), -1);
}

Test(debug_gdb, a_breakpoint_inside_the_call_stops_next)
{
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 4, &st), 0);
    break_at("leaf");
    cr_assert_eq(ui_dbg_next(dbg, 1, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
    cr_expect_eq(st.pc, 0x103c);
}

Test(debug_gdb, backtrace_and_finish_by_the_calling_convention)
{
    ui_dbg_stop_t st;
    break_at("leaf");
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_dbg_frame_t fr[8];
    size_t n;
    char why[320];
    cr_assert_eq(ui_dbg_backtrace(dbg, fr, 8, &n, why, sizeof why), 0);
    cr_assert_eq(n, 3);
    cr_expect_eq(fr[0].pc, 0x103c);
    cr_expect_eq(fr[0].sp, 0x7ff8); /* work pushed lr and r10 */
    cr_expect_eq(fr[1].pc, 0x1030);
    cr_expect_str_eq(fr[1].from, "lr"); /* leaf is a leaf: lr is still in its register */
    cr_expect_eq(fr[1].func, 0x1024);
    cr_expect_eq(fr[2].pc, 0x1014);
    cr_expect_eq(fr[2].sp, 0x8000);
    cr_expect_str_eq(fr[2].from, "stack"); /* work saved lr 4 bytes below its entry sp */
    cr_expect(strstr(why, "start has not saved lr") != NULL, "%s", why);
    /* bt N stops at N frames, and says so */
    cr_assert_eq(ui_dbg_backtrace(dbg, fr, 2, &n, why, sizeof why), 0);
    cr_expect_eq(n, 2);
    cr_expect_str_eq(why, "The walk stops at 2 frames, as many as were asked for.");

    cr_assert_eq(ui_dbg_finish(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_FINISH);
    cr_expect_eq(st.pc, 0x1030);
    cr_expect_str_eq(st.text,
                     "Run till exit from leaf: returned to work on cpu0 (2 instructions).");
    cr_assert_eq(ui_dbg_finish(dbg, &st), 0); /* work's lr comes from the stack */
    cr_expect_eq(st.pc, 0x1014);
    cr_expect_eq(m.cpu[0].s.r[CPU_REG_SP], 0x8000);
    /* start has no caller that bt can find: finish says why instead of running away */
    cr_expect_eq(ui_dbg_finish(dbg, &st), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "\"finish\" needs the caller of this frame") != NULL, "%s",
              ui_dbg_error(dbg));
    cr_expect_eq(m.cpu[0].s.pc, 0x1014);
}

Test(debug_gdb, advance_stops_in_any_frame_until_only_in_this_one)
{
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 3, &st), 0);
    cr_assert_eq(ui_dbg_advance(dbg, 0x103c, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_LOCATION);
    cr_expect_eq(st.pc, 0x103c);
    cr_expect_str_eq(st.text, "Reached 0x0000103c <leaf> on cpu0 (5 instructions).");
    /* From start, leaf is only ever in a deeper frame: until runs past it to the end. */
    cr_assert_eq(ui_dbg_finish(dbg, &st), 0);
    cr_assert_eq(ui_dbg_finish(dbg, &st), 0);
    cr_assert_eq(ui_dbg_until_location(dbg, 0x103c, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF);
    cr_expect_eq(m.exit_code, 2);
    cr_expect_eq(ui_dbg_until_location(dbg, 0x1002, &st), -1);
}

Test(debug_gdb, bare_until_runs_past_a_loop)
{
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 15, &st), 0);
    cr_assert_eq(st.pc, 0x101c); /* the loop's backward `blt` */
    cr_assert_eq(ui_dbg_until_next(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_LOCATION);
    cr_expect_eq(st.pc, 0x1020); /* past it, the second round run */
    cr_expect_eq(m.cpu[0].s.r[9], 2);
}

Test(debug_gdb, tbreak_is_deleted_at_its_stop)
{
    ui_dbg_stop_t st;
    int id = ui_dbg_tbreak_addr(dbg, UI_DBG_SPACE_HPA, 0x103c, UI_DBG_ANY_CPU, UI_DBG_ANY_VM);
    cr_assert_gt(id, 0);
    cr_expect(ui_dbg_bp_by_id(dbg, id)->temporary);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.pc, 0x103c);
    cr_expect_str_eq(st.text, "Temporary breakpoint 1 at hpa 0x0000103c <leaf>.");
    cr_expect_eq(ui_dbg_bp_count(dbg), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF);
}

Test(debug_gdb, condition_and_ignore_count)
{
    ui_dbg_stop_t st;
    break_at("leaf");
    cr_assert_eq(ui_dbg_bp_condition(dbg, 1, "r9 == 1"), 0);
    cr_expect_str_eq(ui_dbg_cond_text(ui_dbg_bp_by_id(dbg, 1)->cond), "r9 == 1");
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
    cr_expect_eq(m.cpu[0].s.r[9], 1);
    cr_expect_eq(ui_dbg_bp_by_id(dbg, 1)->hits, 1); /* a false condition is not a hit */
    cr_expect_eq(ui_dbg_bp_condition(dbg, 1, "r9 =="), -1);
    cr_expect_eq(ui_dbg_bp_condition(dbg, 99, "1"), -1);

    /* start again: no condition, the first hit ignored */
    cr_assert_eq(ui_dbg_bp_condition(dbg, 1, NULL), 0);
    cr_expect_null(ui_dbg_bp_by_id(dbg, 1)->cond);
    ui_dbg_set_rebuild(dbg, load, NULL);
    cr_assert_eq(ui_dbg_restart(dbg), 0);
    cr_assert_eq(ui_dbg_bp_ignore(dbg, 1, 1), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(m.cpu[0].s.r[9], 1);
    cr_expect_eq(ui_dbg_bp_by_id(dbg, 1)->hits, 2);
    cr_expect_eq(ui_dbg_bp_by_id(dbg, 1)->ignore, 0);
}

Test(debug_gdb, commands_are_kept_for_the_front_end)
{
    break_at("leaf");
    cr_assert_eq(ui_dbg_bp_set_commands(dbg, 1, "print r1\nbt\n"), 0);
    cr_expect_str_eq(ui_dbg_bp_by_id(dbg, 1)->commands, "print r1\nbt\n");
    cr_assert_eq(ui_dbg_bp_set_commands(dbg, 1, ""), 0);
    cr_expect_null(ui_dbg_bp_by_id(dbg, 1)->commands);
    cr_expect_eq(ui_dbg_bp_set_commands(dbg, 2, "bt"), -1);
}

Test(debug_gdb, displays)
{
    char text[200];
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_display_add(dbg, 'd', "r9 - 1"), 1);
    cr_assert_eq(ui_dbg_display_add(dbg, 'i', "pc"), 2);
    cr_expect_eq(ui_dbg_display_add(dbg, 'q', "r1"), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "Unknown display format /q: use x, d, u, t, c or i.");
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0);
    ui_dbg_display_text(dbg, ui_dbg_display(dbg, 0), text, sizeof text);
    cr_expect_str_eq(text, "1: /d r9 - 1 = -1");
    ui_dbg_display_text(dbg, ui_dbg_display(dbg, 1), text, sizeof text);
    cr_expect_str_eq(text, "2: x/i pc\n   0x00001004 <start+0x4>:  ori sp, sp, 0x8000");
    cr_assert_eq(ui_dbg_display_delete(dbg, 1), 0);
    cr_expect_eq(ui_dbg_display_count(dbg), 1);
    cr_expect_eq(ui_dbg_display_delete(dbg, 1), -1);
}

Test(debug_gdb, edits_are_events)
{
    char text[320];
    cr_assert_eq(ui_dbg_set_register(dbg, "$r3", 42), 0);
    cr_expect_eq(m.cpu[0].s.r[3], 42);
    cr_assert_eq(ui_dbg_write(dbg, UI_DBG_SPACE_HPA, 0x2000, 0xdeadbeef), 0);
    uint32_t w;
    cr_assert_eq(ui_dbg_read(dbg, UI_DBG_SPACE_HPA, 0x2000, &w, 4), 0);
    cr_expect_eq(w, 0xdeadbeef);
    cr_assert_eq(ui_dbg_event_count(dbg), 2);
    const sim_event_t *ev = ui_dbg_event(dbg, 0);
    cr_expect_eq(ev->kind, SIM_EV_EDIT);
    cr_expect_str_eq(sim_event_name(SIM_EV_EDIT), "edit");
    ui_dbg_describe_event(dbg, ev, text, sizeof text);
    cr_expect_str_eq(text, "the debugger set r3 of cpu0 to 0x0000002a (was 0x00000000)");
    ui_dbg_describe_event(dbg, ui_dbg_event(dbg, 1), text, sizeof text);
    cr_expect_str_eq(text, "the debugger wrote 0xdeadbeef to hpa 0x00002000 <leaf+0xfc4> (was "
                           "0x00000000)");
    cr_expect_eq(m.event_counts[SIM_EV_EDIT], 2);
    /* what cannot be edited says why, and logs nothing */
    cr_expect_eq(ui_dbg_set_register(dbg, "r0", 1), -1);
    cr_expect_eq(ui_dbg_set_register(dbg, "r16", 1), -1);
    cr_expect_eq(ui_dbg_set_register(dbg, "pc", 0x1002), -1);
    cr_expect_eq(ui_dbg_write(dbg, UI_DBG_SPACE_HPA, 0x2002, 1), -1);
    cr_expect_eq(ui_dbg_write(dbg, UI_DBG_SPACE_HPA, 0x00200000, 1), -1);
    cr_expect_eq(ui_dbg_event_count(dbg), 2);
}

Test(debug_gdb, line_tables)
{
    ui_dbg_line_t row, rows[2] = {{0x1000, "calls.s", 1}, {0x1008, "calls.s", 2}};
    cr_assert_eq(ui_dbg_add_lines(dbg, -1, rows, 2), 0);
    cr_assert(ui_dbg_line_at(dbg, 0x1008, &row));
    cr_expect_str_eq(row.file, "calls.s");
    cr_expect_eq(row.line, 2);
    cr_expect_not(ui_dbg_line_at(dbg, 0x1004, &row));
    /* a .lines file: rows relative to its directory; a bad row names its file and line */
    char dir[] = "/tmp/hvsim-lines-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], src[128], cmd[160];
    snprintf(src, sizeof src, "%s/p.s", dir);
    FILE *f = fopen(src, "w");
    fputs("one\ntwo\nthree\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/p.lines", dir);
    f = fopen(path, "w");
    fputs("# a comment\n00001040 p.s:3\n", f);
    fclose(f);
    cr_assert_eq(ui_dbg_load_lines(dbg, -1, path), 0);
    cr_assert(ui_dbg_line_at(dbg, 0x1040, &row));
    cr_expect_str_eq(row.file, src);
    cr_expect_str_eq(ui_dbg_source_line(dbg, row.file, 3), "three");
    cr_expect_null(ui_dbg_source_line(dbg, row.file, 9));
    /* FILE:LINE as a location: the first instruction at or after the line */
    ui_dbg_space_t space;
    uint32_t addr;
    int vm;
    cr_assert_eq(ui_dbg_parse_location(dbg, "calls.s:2", &space, &addr, &vm), 0);
    cr_expect_eq(addr, 0x1008);
    cr_expect_eq(space, UI_DBG_SPACE_HPA);
    cr_expect_eq(vm, -1);
    cr_assert_eq(ui_dbg_parse_location(dbg, "p.s:1", &space, &addr, &vm), 0);
    cr_expect_eq(addr, 0x1040, "p.s has code from line 3 on");
    cr_expect_eq(ui_dbg_parse_location(dbg, "p.s:4", &space, &addr, &vm), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "No line table has code at or after p.s line 4") != NULL,
              "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_parse_location(dbg, "hpa:4096", &space, &addr, &vm), 0);
    cr_expect_eq(addr, 4096, "a space prefix is not a file");
    f = fopen(path, "w");
    fputs("00001040 p.s:3\n1040 p.s\n", f);
    fclose(f);
    cr_expect_eq(ui_dbg_load_lines(dbg, -1, path), -1);
    char want[256];
    snprintf(want, sizeof want, "%s:2: error: expected \"ADDRESS FILE:LINE\"", path);
    cr_expect(strncmp(ui_dbg_error(dbg), want, strlen(want)) == 0, "%s", ui_dbg_error(dbg));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(debug_gdb, restart_gives_the_same_run_again)
{
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_restart(dbg), -1); /* nobody said how to build it again */
    ui_dbg_set_rebuild(dbg, load, NULL);
    break_at("leaf");
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(ui_dbg_display_add(dbg, 'x', "r1"), 1);
    cr_assert_eq(ui_dbg_delete(dbg, 1), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_POWEROFF);
    uint64_t cycles = m.cpu[0].s.cycles, instret = m.cpu[0].s.instret;
    cr_assert_eq(ui_dbg_restart(dbg), 0);
    cr_expect_eq(m.cpu[0].s.cycles, 0);
    cr_expect_eq(m.cpu[0].s.pc, 0x1000);
    cr_expect_not(m.powered_off);
    cr_expect_null(ui_dbg_last_stop(dbg));
    cr_expect_eq(ui_dbg_event_count(dbg), 0);
    cr_expect_eq(ui_dbg_display_count(dbg), 1); /* what the student set up stays */
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF);
    cr_expect_eq(m.cpu[0].s.cycles, cycles);
    cr_expect_eq(m.cpu[0].s.instret, instret);
    cr_expect_eq(m.exit_code, 2);
}
