/*
 * test_debug.c - the debugger API (ui/debug/ui_debug.h) driven directly: each way of
 * stepping, each kind of breakpoint, watchpoints, step-over, `until`, Ctrl-C (simulated
 * through ui_dbg_request_stop), the stop sentences, expressions, memory by space, the
 * answers for VMs that do not exist yet, and that stops never change a run's outcome.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/debug/ui_debug.h"
#include "../support/harness.h"

static sim_machine_t m;
static ui_dbg_t *dbg;

/* A machine with `ncpus` CPUs running `src`, with its symbols, and a debugger attached. */
static void setup_n(const char *src, unsigned ncpus)
{
    cr_assert_eq(sim_machine_init(&m, 1u << 20, ncpus), 0);
    sim_console_set_output(&m, NULL);
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("test.s", src, stderr, &res), 0);
    cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
    for (unsigned i = 0; i < ncpus; i++)
        m.cpu[i].s.pc = res.base;
    dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
    cr_assert_eq(ui_dbg_set_symbols(dbg, res.syms, res.nsyms), 0);
    cpu_asm_free(&res);
}

static void setup(const char *src)
{
    setup_n(src, 1);
}

static void teardown(void)
{
    ui_dbg_free(dbg);
    dbg = NULL;
    sim_machine_free(&m);
}

static uint32_t sym(const char *name)
{
    uint32_t a = 0;
    cr_assert(ui_dbg_symbol_addr(dbg, name, &a), "no symbol %s", name);
    return a;
}

/* Counts r1 up in `counter`, then makes a system call from U and powers off. */
static const char *const counting =
    "start:  la      r2, counter\n"
    "        li      r1, 0\n"
    "loop:   addi    r1, r1, 1\n"
    "store:  st      r1, [r2]\n"
    "        ld      r3, [r2]\n"
    "        cmpi    r1, 10\n"
    "        bne     loop\n"
    "        la      r4, handler\n"
    "        csrw    tvec, r4\n"
    "        la      r4, user\n"
    "        csrw    epc, r4\n"
    "        csrw    eflags, r0\n"
    "        iret\n"
    "user:   syscall\n"
    "handler: out    r1, [0xf0]\n"
    "counter: .word 0\n";

Test(debug_step, stepi_runs_exactly_one_instruction, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP);
    cr_expect_eq(m.cpu[0].s.instret, 1);
    cr_expect_eq(st.pc, 0x1004);
    cr_expect_str_eq(st.text, "Stepped 1 instruction on cpu0.");
    cr_assert_eq(ui_dbg_stepi(dbg, 5, &st), 0);
    cr_expect_eq(m.cpu[0].s.instret, 6);
    cr_expect_str_eq(st.text, "Stepped 5 instructions on cpu0.");
    cr_expect_eq(ui_dbg_prev_state(dbg, 0)->instret, 1, "prev = when the run began");
}

Test(debug_step, stepi_zero_is_an_error, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_stepi(dbg, 0, &st), -1);
    cr_expect_str_eq(ui_dbg_error(dbg),
                     "Stepping 0 instructions does nothing; give a count of 1 or more.");
}

Test(debug_step, step_trap_stops_in_the_handler_and_says_why, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_step_trap(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_TRAP);
    cr_expect_eq(st.pc, sym("handler"));
    cr_expect_eq(st.mode, CPU_MODE_K);
    char want[200];
    snprintf(want, sizeof want,
             "Trap: system-call from U at 0x%08x <user>, because the program executed syscall.",
             sym("user"));
    cr_expect_str_eq(st.text, want);
}

Test(debug_step, stepping_into_a_trap_says_so, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(
        ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, sym("user"), UI_DBG_ANY_CPU, UI_DBG_ANY_VM), 1);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP);
    cr_expect(strstr(st.text, "Stepped 1 instruction on cpu0, into a trap: system-call from U"),
              "%s", st.text);
}

Test(debug_step, step_event_stops_at_the_first_event, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_step_event(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_EVENT);
    cr_expect(st.has_event);
    cr_expect_eq(st.ev.kind, SIM_EV_IRET);
    cr_assert_eq(ui_dbg_step_event(dbg, &st), 0);
    cr_expect_eq(st.ev.kind, SIM_EV_MODE);
    char want[200];
    snprintf(want, sizeof want,
             "Event: mode change K -> U at iret, resuming at 0x%08x <user>, "
             "because eflags held MODE = U.",
             sym("user"));
    cr_expect_str_eq(st.text, want);
}

Test(debug_step, run_cycles_and_until, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 10, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_CYCLES);
    cr_expect_geq(m.cpu[0].s.cycles, 10);
    cr_expect_lt(m.cpu[0].s.cycles, 13, "stops at the first boundary past the target");
    ui_dbg_cond_t *c = ui_dbg_cond_parse(dbg, "r1 == 5 && pc == store");
    cr_assert_not_null(c, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_until(dbg, c, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_CONDITION);
    cr_expect_eq(m.cpu[0].s.r[1], 5);
    cr_expect_eq(m.cpu[0].s.pc, sym("store"));
    cr_expect(strstr(st.text, "Condition `r1 == 5 && pc == store` is true, after "), "%s", st.text);
    ui_dbg_cond_free(c);
}

Test(debug_step, until_always_moves_and_reports_errors, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    ui_dbg_cond_t *c = ui_dbg_cond_parse(dbg, "1");
    cr_assert_eq(ui_dbg_until(dbg, c, &st), 0);
    cr_expect_eq(st.steps, 1, "a true condition still runs one instruction");
    ui_dbg_cond_free(c);
    c = ui_dbg_cond_parse(dbg, "[0x0ffffff0]");
    cr_assert_eq(ui_dbg_until(dbg, c, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_CONDITION);
    cr_expect(strstr(st.text, "could not be evaluated: hpa 0x0ffffff0 is outside RAM"), "%s",
              st.text);
    ui_dbg_cond_free(c);
}

Test(debug_break, address_breakpoint_and_step_over, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    int id = ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, sym("store"), UI_DBG_ANY_CPU, UI_DBG_ANY_VM);
    cr_assert_eq(id, 1);
    for (uint32_t want = 1; want <= 3; want++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
        cr_expect_eq(st.id, 1);
        cr_expect_eq(m.cpu[0].s.r[1], want, "continuing does not stop at once again");
    }
    char want[120];
    snprintf(want, sizeof want, "Breakpoint 1 at hpa 0x%08x <store>.", sym("store"));
    cr_expect_str_eq(st.text, want);
    cr_expect_eq(ui_dbg_bp_by_id(dbg, 1)->hits, 3);
    cr_assert_eq(ui_dbg_enable(dbg, 1, false), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF);
    cr_expect_str_eq(st.text, "The program powered the machine off with exit code 10.");
    cr_expect_eq(ui_dbg_continue(dbg, &st), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "The machine is powered off (exit code 10): there is "
                                        "nothing left to run.");
}

Test(debug_break, breakpoint_at_the_first_instruction_stops_at_once, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1000, UI_DBG_ANY_CPU, UI_DBG_ANY_VM);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
    cr_expect_eq(st.steps, 0);
}

Test(debug_break, trap_and_mode_breakpoints, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    uint32_t cause;
    cr_assert_eq(ui_dbg_cause_by_name("system-call", &cause), 0);
    cr_assert_eq(ui_dbg_break_mode(dbg, CPU_MODE_U), 1);
    cr_assert_eq(ui_dbg_break_trap(dbg, cause), 2);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 1);
    cr_expect_eq(st.mode, CPU_MODE_U);
    cr_expect(strstr(st.text, "Breakpoint 1, mode change K -> U at iret"), "%s", st.text);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 2);
    cr_expect(strstr(st.text, "Breakpoint 2, trap: system-call from U at"), "%s", st.text);
    cr_expect_eq(ui_dbg_break_mode(dbg, CPU_MODE_H), -1);
}

Test(debug_break, cycle_and_instret_breakpoints, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_break_instret(dbg, 7), 1);
    cr_assert_eq(ui_dbg_break_cycle(dbg, 20), 2);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 1);
    cr_expect_eq(st.instret, 7);
    cr_expect_str_eq(st.text, "Breakpoint 1: cpu0 has retired 7 instructions.");
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.id, 2);
    cr_expect_geq(st.cycle, 20);
    cr_expect_eq(ui_dbg_break_cycle(dbg, 5), -1, "cycle 5 has passed");
    cr_expect(strstr(ui_dbg_error(dbg), "has passed"));
}

Test(debug_break, delete_and_errors, .fini = teardown)
{
    setup(counting);
    cr_expect_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1002, -1, -1), -1);
    cr_expect_str_eq(ui_dbg_error(dbg),
                     "0x00001002 is not a multiple of 4: instructions are 4-byte aligned.");
    cr_expect_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_GPA, 0x1000, -1, -1), -1);
    cr_expect(strstr(ui_dbg_error(dbg), UI_DBG_NO_VMS));
    cr_expect_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1000, 3, -1), -1);
    cr_assert_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1000, -1, -1), 1);
    cr_assert_eq(ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, 0x1004, -1, -1), 2);
    cr_expect_eq(ui_dbg_delete(dbg, 1), 0);
    cr_expect_eq(ui_dbg_bp_count(dbg), 1);
    cr_expect_eq(ui_dbg_bp(dbg, 0)->id, 2);
    cr_expect_eq(ui_dbg_delete(dbg, 1), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "There is no breakpoint or watchpoint 1 (\"info "
                                        "breakpoints\" lists them).");
    ui_dbg_delete_all(dbg);
    cr_expect_eq(ui_dbg_bp_count(dbg), 0);
}

Test(debug_watch, write_read_and_both, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    uint32_t counter = sym("counter");
    cr_assert_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, counter, 4, UI_DBG_WRITE), 1);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_WATCHPOINT);
    cr_expect_eq(st.value, 1);
    cr_expect_eq(st.old, 0);
    cr_expect_eq(st.pc, sym("store") + 4, "stops after the access");
    char want[200];
    snprintf(want, sizeof want,
             "Watchpoint 1: write of 0x00000001 to hpa 0x%08x <counter> by "
             "`st r1, [r2]` at 0x%08x <store> (was 0x00000000).",
             counter, sym("store"));
    cr_expect_str_eq(st.text, want);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.value, 2);
    cr_expect_eq(st.old, 1);
    ui_dbg_delete_all(dbg);

    cr_assert_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, counter, 4, UI_DBG_READ), 2);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.access, UI_DBG_READ);
    cr_expect_eq(st.value, 2);
    cr_expect(strstr(st.text, "Watchpoint 2: read of 0x00000002 from hpa"), "%s", st.text);
    ui_dbg_delete_all(dbg);

    cr_assert_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, counter, 4, UI_DBG_READ | UI_DBG_WRITE), 3);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.access, UI_DBG_WRITE);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.access, UI_DBG_READ);
}

Test(debug_watch, bad_watchpoints, .fini = teardown)
{
    setup(counting);
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, 0x2001, 4, UI_DBG_WRITE), -1);
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, 0x2000, 3, UI_DBG_WRITE), -1);
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, 0xf0000000u, 4, UI_DBG_WRITE), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "the debugger does not read devices"), "%s",
              ui_dbg_error(dbg));
    cr_expect_eq(ui_dbg_watch(dbg, UI_DBG_SPACE_GPA, 0x2000, 4, UI_DBG_WRITE), -1);
}

/* Prints forever; a sink plays the user pressing Ctrl-C at the fifth character. */
static void press_ctrl_c(const sim_event_t *ev, void *ctx)
{
    int *n = ctx;
    if (ev->kind == SIM_EV_IO && ++*n == 5)
        ui_dbg_request_stop(dbg);
}

Test(debug_run, ctrl_c_stops_a_running_machine, .fini = teardown)
{
    setup("start: li r1, 65\n.again: out r1, [0x3f8]\n b .again\n");
    int n = 0;
    sim_add_sink(&m, press_ctrl_c, &n);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_INTERRUPTED);
    cr_expect_str_eq(sim_console_captured(&m), "AAAAA");
    cr_expect(strstr(st.text, "Interrupted (Ctrl-C) on cpu0, after "), "%s", st.text);
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0, "a new run forgets the old request");
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP);
}

Test(debug_run, ctrl_c_reaches_a_halted_cpu, .fini = teardown)
{
    setup("start: li r1, 1000000\n csrw timer, r1\n halt\n out r0, [0xf0]\n");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(dbg, 4, &st), 0);
    cr_expect(m.cpu[0].s.halted);
    ui_dbg_request_stop(dbg);
    m.cpu[0].debug = true; /* as a SIGINT arriving during the run would leave it */
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "a request made before the run is dropped");
}

Test(debug_run, idle_and_limit, .fini = teardown)
{
    setup("start: halt\n");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_IDLE);
    cr_expect_str_eq(st.text, "Every CPU is halted and nothing can wake it (no timer armed, no "
                              "interrupt pending).");
    teardown();
    setup("start: b start\n");
    ui_dbg_set_max_cycles(dbg, 1000);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_LIMIT);
}

/* Two CPUs increment one counter without a lock; updates get lost where their turns meet. */
static const char *const racing = "start:  la      r2, counter\n"
                                  "        li      r5, 0\n"
                                  "loop:   ld      r3, [r2]\n"
                                  "        addi    r3, r3, 1\n"
                                  "        st      r3, [r2]\n"
                                  "        addi    r5, r5, 1\n"
                                  "        cmpi    r5, 2000\n"
                                  "        bne     loop\n"
                                  "        csrr    r1, cpunum\n"
                                  "        cmpi    r1, 0\n"
                                  "        bne     park\n"
                                  "        ld      r3, [r2]\n"
                                  "        out     r3, [0xf0]\n"
                                  "park:   b       park\n"
                                  "counter: .word 0\n";

Test(debug_run, stops_do_not_change_how_cpus_interleave, .fini = teardown)
{
    setup_n(racing, 2);
    m.quantum = 97;
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    uint64_t c0 = m.cpu[0].s.cycles, c1 = m.cpu[1].s.cycles;
    uint32_t code = m.exit_code;
    teardown();

    setup_n(racing, 2);
    m.quantum = 97;
    cr_assert_eq(ui_dbg_set_focus(dbg, 1), 0);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0);
    cr_expect_eq(st.cpu, 1);
    ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, sym("loop"), 0, UI_DBG_ANY_VM);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.cpu, 0);
    ui_dbg_delete_all(dbg);
    ui_dbg_watch(dbg, UI_DBG_SPACE_HPA, sym("counter"), 4, UI_DBG_WRITE);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_dbg_delete_all(dbg);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF);
    cr_expect_eq(m.exit_code, code, "the same updates were lost");
    cr_expect_lt(code, 4000, "some updates are lost at all");
    cr_expect_eq(m.cpu[0].s.cycles, c0);
    cr_expect_eq(m.cpu[1].s.cycles, c1);
}

/* ------------------------------------------------------------------------------------------
 * Expressions
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *text;
    uint64_t value;
} expr_case_t;

/* A loop over a table rather than ParameterizedTest: Criterion 2.4 runs each case in a fresh
 * process, where pointers to strings in the parent's table are not valid. */
static const expr_case_t expr_cases[] = {
    {"1 + 2 * 3", 7},
    {"(1 + 2) * 3", 9},
    {"10 % 3", 1},
    {"1 << 4 | 1", 17},
    {"-1", 0xffffffffu},
    {"~0", 0xffffffffu},
    {"!0", 1},
    {"!5", 0},
    {"0x10 + 0b11", 19},
    {"mode == K", 1},
    {"mode", CPU_MODE_K},
    {"pc", 0x1000},
    {"$pc == start", 1},
    {"r0 + zero", 0},
    {"sp", 0},
    {"cycle", 0},
    {"instret", 0},
    {"status", 0x1000},
    {"[counter]", 0},
    {"1 < 2 && 2 > 1", 1},
    {"3 >= 4 || 4 <= 3", 0},
    {"6 / 4", 1},
    {"5 - 7 == -2", 1},
    {"7 ^ 5 & 6", 3},
    {"counter - start", 0x48},
    {"cycle - 1 > 0", 1},
    {"0 - 1", 0xffffffffu},
    {"0x100000000 - 1", 0xffffffffu},
    {"-0x100000000", 0xffffffff00000000u},
};

Test(debug_expr, values, .fini = teardown)
{
    setup(counting);
    for (size_t i = 0; i < sizeof expr_cases / sizeof expr_cases[0]; i++) {
        const expr_case_t *c = &expr_cases[i];
        uint64_t v = 0;
        cr_expect_eq(ui_dbg_eval(dbg, c->text, &v), 0, "%s: %s", c->text, ui_dbg_error(dbg));
        cr_expect_eq(v, c->value, "%s = 0x%llx, want 0x%llx", c->text, (unsigned long long)v,
                     (unsigned long long)c->value);
    }
}

typedef struct {
    const char *text;
    const char *error;
} expr_error_t;

static const expr_error_t expr_errors[] = {
    {"r3 ==", "Bad expression \"r3 ==\": a value is missing at the end."},
    {"(1", "Bad expression \"(1\": a \")\" is missing at the end."},
    {"1)", "Bad expression \"1)\": there is no opening bracket for this at \")\"."},
    {"foo + 1", "Bad expression \"foo + 1\": \"foo\" is not a register, CSR or symbol at "
                "\"foo + 1\"."},
    {"1 2", "Bad expression \"1 2\": an operator is expected at \"2\"."},
    {"", "Bad expression \"\": there is nothing to evaluate at the end."},
    {"12abc", "Bad expression \"12abc\": a number has a stray letter at \"12abc\"."},
    {"1 / 0", "\"1 / 0\" divides by zero."},
    {"[0xf0000000]", "hpa 0xf0000000 is a register of the uart device: the debugger does not "
                     "read devices, since reading has side effects."},
};

Test(debug_expr, errors, .fini = teardown)
{
    setup(counting);
    for (size_t i = 0; i < sizeof expr_errors / sizeof expr_errors[0]; i++) {
        const expr_error_t *c = &expr_errors[i];
        uint64_t v;
        cr_expect_eq(ui_dbg_eval(dbg, c->text, &v), -1, "%s evaluated", c->text);
        cr_expect_str_eq(ui_dbg_error(dbg), c->error);
    }
}

/* ------------------------------------------------------------------------------------------
 * Queries, commands, and the VMs that do not exist yet
 * ------------------------------------------------------------------------------------------ */
Test(debug_query, memory_symbols_and_spaces, .fini = teardown)
{
    setup(counting);
    uint8_t b[4];
    cr_assert_eq(ui_dbg_read(dbg, UI_DBG_SPACE_HPA, 0x1000, b, 4), 0);
    char buf[96];
    cr_expect(ui_dbg_disasm(dbg, UI_DBG_SPACE_HPA, sym("store"), buf, sizeof buf));
    cr_expect_str_eq(buf, "st r1, [r2]");
    cr_expect_str_eq(ui_dbg_symbolize(dbg, sym("store") + 4, buf, sizeof buf), " <store+0x4>");
    cr_expect_str_eq(ui_dbg_symbolize(dbg, 0x10, buf, sizeof buf), "");
    cr_expect_eq(ui_dbg_default_space(dbg), UI_DBG_SPACE_HPA);
    cr_expect_eq(ui_dbg_read(dbg, UI_DBG_SPACE_GVA, 0x1000, b, 4), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "cpu0 has paging off"), "%s", ui_dbg_error(dbg));
    cr_expect_eq(ui_dbg_read(dbg, UI_DBG_SPACE_GPA, 0x1000, b, 4), -1);
    cr_expect(strstr(ui_dbg_error(dbg), UI_DBG_NO_VMS));
    cr_expect_eq(ui_dbg_read(dbg, UI_DBG_SPACE_HPA, (1u << 20) - 2, b, 4), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "hpa 0x00100000 is outside RAM (RAM is hpa 0x00000000 "
                                        "to 0x000fffff).");
    cr_expect_eq(ui_dbg_space_by_name("gva"), UI_DBG_SPACE_GVA);
    cr_expect_eq(ui_dbg_space_by_name("xyz"), -1);
    cr_expect_eq(ui_dbg_set_focus(dbg, 1), -1);
    cr_expect_str_eq(sim_group_digits(1284512, buf, sizeof buf), "1 284 512");
    cr_expect_str_eq(sim_group_digits(12, buf, sizeof buf), "12");
}

Test(debug_query, event_log_and_costs, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_geq(ui_dbg_event_count(dbg), 4);
    cr_expect_eq(ui_dbg_event(dbg, 0)->kind, SIM_EV_IRET);
    cr_expect_null(ui_dbg_event(dbg, 1000));
    char buf[200];
    ui_dbg_describe_event(dbg, ui_dbg_event(dbg, ui_dbg_event_count(dbg) - 1), buf, sizeof buf);
    cr_expect_str_eq(buf, "cpu0 powered the machine off with exit code 10");
    cr_expect_eq(ui_dbg_set_cost(dbg, "trap_entry", 5), 0);
    cr_expect_eq(m.costs.c[SIM_COST_trap_entry], 5);
    cr_expect_eq(ui_dbg_set_cost(dbg, "nosuch", 5), -1);
}

Test(debug_query, no_vms_on_bare_metal, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_vm_count(dbg), 0);
    cr_expect_eq(ui_dbg_vm_pause(dbg, 0, true), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), UI_DBG_NO_VMS);
    cr_expect_eq(ui_dbg_step_exit(dbg, &st), -1);
    cr_expect(strstr(ui_dbg_error(dbg), UI_DBG_NO_VMS));
    cr_expect_eq(ui_dbg_break_exit(dbg, "IO_PORT", 0), -1);
    cr_expect_eq(ui_dbg_sched_policy(dbg, "pin"), -1);
    cr_expect_eq(m.cpu[0].s.instret, 0, "nothing ran");
}

Test(debug_query, detaching_leaves_the_machine_as_it_was, .fini = teardown)
{
    setup(counting);
    ui_dbg_stop_t st;
    ui_dbg_break_addr(dbg, UI_DBG_SPACE_HPA, sym("store"), -1, -1);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_dbg_free(dbg);
    dbg = NULL;
    cr_expect_eq(m.nsinks, 0);
    cr_expect_eq(sim_run(&m, 100000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.exit_code, 10);
}
