/*
 * test_reverse.c - reverse execution beyond reverse-stepi (ui/debug/debug_reverse.c; issue
 * 18): `reverse-step event` walks an exit's handling back sub-step by sub-step, into the guest
 * before it, each stop the same event and the same whole machine state as the forward stop
 * there; `reverse-continue` lands on the last breakpoint hit before now (and says so when
 * there is none, the machine left where it was); `reverse-finish` goes back to the call of the
 * current routine, or from an exit's sub-step to the exit.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"
#include "../hypervisor/snap_util.h"

/* ------------------------------------------------------------------------------------------
 * A bare machine running calls: start -> work -> leaf, twice (as test_debug_gdb.c)
 * ------------------------------------------------------------------------------------------ */
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

static sim_machine_t bare;
static cpu_asm_result_t prog;

static ui_dbg_t *start_calls(void)
{
    cr_assert_eq(cpu_asm_string("calls.s", calls, stderr, &prog), 0);
    memset(&bare, 0, sizeof bare);
    cr_assert_eq(sim_machine_init(&bare, 1u << 20, 1), 0);
    cr_assert_eq(sim_load(&bare, prog.base, prog.bytes, prog.size), 0);
    sim_console_set_output(&bare, NULL);
    bare.cpu[0].s.pc = prog.base;
    ui_dbg_t *d = ui_dbg_new(&bare);
    cr_assert_not_null(d);
    cr_assert_eq(ui_dbg_set_symbols(d, prog.syms, prog.nsyms), 0);
    cr_assert_eq(ui_dbg_set_checkpoint_interval(d, 1000), 0);
    return d;
}

static void end_calls(ui_dbg_t *d)
{
    ui_dbg_free(d);
    sim_machine_free(&bare);
    cpu_asm_free(&prog);
}

/* Stops at leaf's second hit (r9 = 1: the second round). */
static void to_second_leaf(ui_dbg_t *d, int *id)
{
    ui_dbg_stop_t st;
    *id = ui_dbg_break_addr(d, UI_DBG_SPACE_HPA, 0x103c, UI_DBG_ANY_CPU, UI_DBG_ANY_VM);
    cr_assert_gt(*id, 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_continue(d, &st), 0);
    cr_assert_eq(ui_dbg_continue(d, &st), 0);
    cr_assert_eq(st.pc, 0x103c);
    cr_assert_eq(bare.cpu[0].s.r[9], 1);
}

Test(reverse_more, continue_goes_back_to_the_last_hit)
{
    ui_dbg_t *d = start_calls();
    int id;
    to_second_leaf(d, &id);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_reverse_continue(d, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
    cr_expect_eq(st.pc, 0x103c);
    cr_expect_eq(bare.cpu[0].s.r[9], 0, "the first round's hit");
    cr_expect_str_eq(st.text, "Back to the last hit: Breakpoint 1 at hpa 0x0000103c <leaf>.");
    cr_expect_eq(ui_dbg_bp_by_id(d, id)->hits, 2, "counts stay as the user left them");
    uint64_t instret = bare.cpu[0].s.instret;
    cr_expect_eq(ui_dbg_reverse_continue(d, &st), -1);
    cr_expect_str_eq(ui_dbg_error(d), "No breakpoint was hit before this point (since the first "
                                      "checkpoint); the machine stays where it was.");
    cr_expect_eq(bare.cpu[0].s.instret, instret);
    cr_expect_eq(bare.cpu[0].s.pc, 0x103c);
    /* and forward again: the second hit */
    cr_assert_eq(ui_dbg_continue(d, &st), 0);
    cr_expect_eq(st.pc, 0x103c);
    cr_expect_eq(bare.cpu[0].s.r[9], 1);
    end_calls(d);
}

Test(reverse_more, finish_goes_back_to_the_call)
{
    ui_dbg_t *d = start_calls();
    int id;
    to_second_leaf(d, &id);
    ui_dbg_delete(d, id);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_reverse_finish(d, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(st.pc, 0x102c);
    cr_expect_str_eq(st.text, "Back to the call at 0x0000102c <work+0x8>, on cpu0.");
    cr_expect_eq(bare.cpu[0].s.r[9], 1, "the latest call, in the second round");
    cr_assert_eq(ui_dbg_reverse_finish(d, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(st.pc, 0x1010);
    cr_expect_eq(bare.cpu[0].s.r[9], 1);
    cr_expect_eq(ui_dbg_reverse_finish(d, &st), -1, "start has no caller");
    end_calls(d);
}

/* ------------------------------------------------------------------------------------------
 * Under the hypervisor: an exit's handling, back and forth by events
 * ------------------------------------------------------------------------------------------ */
#define EVENTS 12

typedef struct {
    sim_event_t ev;
    uint8_t *state;
    size_t len;
    char text[320];
} seen_t;

static void expect_same_event(const sim_event_t *a, const sim_event_t *b, unsigned i)
{
    cr_expect_eq(a->kind, b->kind, "event %u: kind %u vs %u", i, a->kind, b->kind);
    cr_expect_eq(a->cycle, b->cycle, "event %u: cycle", i);
    cr_expect_eq(a->cpu, b->cpu, "event %u: cpu", i);
    cr_expect_eq(a->a, b->a, "event %u: a", i);
    cr_expect_eq(a->b, b->b, "event %u: b", i);
}

/* A debugger on scenario `name`, run `cycles` cycles with a checkpoint every 20 000. */
static ui_dbg_t *run_a_while(hv_scenario_t *sc, sim_machine_t *m, const char *name,
                             uint64_t cycles)
{
    su_start(sc, m, name);
    ui_dbg_t *d = ui_dbg_new(m);
    cr_assert_not_null(d);
    ui_dbg_set_max_cycles(d, sc->max_cycles);
    cr_assert_eq(ui_dbg_set_checkpoint_interval(d, 20000), 0);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(d, cycles, &st), 0, "%s", ui_dbg_error(d));
    return d;
}

/* A checkpoint copies only the pages written since the one before, and a page that did not
 * change is one copy for all of them: the checkpoints of the default scenario's first 3 000 000
 * cycles (one every 20 000, thinned to at most 64) hold not much more than the RAM in use. */
Test(reverse_more, checkpoints_share_the_pages_that_did_not_change, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_t *d = run_a_while(&sc, &m, "default", 3000000);
    static const uint8_t zeros[MMU_PAGE_SIZE];
    size_t in_use = 0;
    for (uint32_t p = 0; p < sim_ram_pages(&m); p++)
        in_use += memcmp(m.ram + ((size_t)p << MMU_PAGE_SHIFT), zeros, MMU_PAGE_SIZE) ? 1 : 0;
    in_use *= MMU_PAGE_SIZE;
    size_t n = ui_dbg_checkpoint_count(d), held = ui_dbg_checkpoint_bytes(d);
    cr_assert_geq(n, 32, "%zu checkpoints", n);
    cr_expect_lt(held, 2 * in_use, "%zu checkpoints hold %zu bytes; %zu bytes of RAM are in use", n,
                 held, in_use);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

Test(reverse_more, step_event_back_through_an_exit_and_forward_again, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_t *d = run_a_while(&sc, &m, "default", 100000);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_step_exit(d, &st), 0, "%s", ui_dbg_error(d));
    static seen_t fwd[EVENTS + 1];
    fwd[0].ev = st.ev;
    for (unsigned i = 1; i <= EVENTS; i++) {
        cr_assert_eq(ui_dbg_step_event(d, &st), 0, "%s", ui_dbg_error(d));
        cr_assert(st.has_event);
        fwd[i].ev = st.ev;
        fwd[i].state = su_state(&m, &fwd[i].len);
        snprintf(fwd[i].text, sizeof fwd[i].text, "%s", st.text);
    }
    /* back EVENTS - 1 events, one at a time: the same events, texts and states */
    for (unsigned i = EVENTS - 1; i >= 1; i--) {
        cr_assert_eq(ui_dbg_reverse_step_event(d, &st), 0, "%s", ui_dbg_error(d));
        expect_same_event(&st.ev, &fwd[i].ev, i);
        char want[400];
        snprintf(want, sizeof want, "Back one event: %s", fwd[i].text);
        cr_expect_eq(strncmp(st.text, want, sizeof st.text - 1), 0, "event %u: %s\nvs\n%s", i,
                     st.text, want);
        size_t len;
        uint8_t *state = su_state(&m, &len);
        char what[64];
        snprintf(what, sizeof what, "back at event %u (kind %u, cpu %u; exit on cpu %u)", i,
                 st.ev.kind, st.ev.cpu, fwd[0].ev.cpu);
        su_expect_same_state(fwd[i].state, fwd[i].len, state, len, what);
        free(state);
    }
    cr_assert_eq(ui_dbg_reverse_step_event(d, &st), 0, "%s", ui_dbg_error(d));
    expect_same_event(&st.ev, &fwd[0].ev, 0);
    cr_expect_eq(st.ev.kind, SIM_EV_VMEXIT, "back at the exit that began the handling");
    /* forward again: the same events and states */
    for (unsigned i = 1; i <= EVENTS; i++) {
        cr_assert_eq(ui_dbg_step_event(d, &st), 0, "%s", ui_dbg_error(d));
        expect_same_event(&st.ev, &fwd[i].ev, i);
        size_t len;
        uint8_t *state = su_state(&m, &len);
        su_expect_same_state(fwd[i].state, fwd[i].len, state, len, "forward again");
        free(state);
    }
    /* reverse-finish from a sub-step: back to the exit */
    for (unsigned i = 1; i <= EVENTS; i++)
        if (fwd[i].ev.kind == SIM_EV_HV) {
            cr_assert_eq(ui_dbg_reverse_step_event(d, &st), 0, "%s", ui_dbg_error(d));
            break;
        }
    for (unsigned i = 1; i <= EVENTS; i++)
        free(fwd[i].state);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

/* The default scenario at its first exit after cycle 100 000 (*exit), with checkpoints every
 * 20 000 cycles from the start. */
static ui_dbg_t *at_an_exit(hv_scenario_t *sc, sim_machine_t *m, ui_dbg_stop_t *exit)
{
    ui_dbg_t *d = run_a_while(sc, m, "default", 100000);
    cr_assert_eq(ui_dbg_step_exit(d, exit), 0, "%s", ui_dbg_error(d));
    return d;
}

Test(reverse_more, finish_in_an_exit_goes_back_to_the_exit, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_stop_t st, exit;
    ui_dbg_t *d = at_an_exit(&sc, &m, &exit);
    cr_assert_eq(ui_dbg_step_event(d, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_step_event(d, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_reverse_finish(d, &st), 0, "%s", ui_dbg_error(d));
    expect_same_event(&st.ev, &exit.ev, 0);
    cr_expect_eq(strncmp(st.text, "Back to the exit: ", 18), 0, "%s", st.text);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

/* reverse-stepi from the first guest instruction after an entry lands at the instruction that
 * exited, over the exit's handling, and says so and how to walk back through it; stepi from
 * there goes through the exit to the same point, and says so: one step each way. */
Test(reverse_more, stepi_back_over_an_exit_says_so, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_stop_t st, exit;
    ui_dbg_t *d = at_an_exit(&sc, &m, &exit);
    cr_assert_eq(ui_dbg_finish_exit(d, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(st.cpu, exit.ev.cpu, "the focus is the pCPU of the exit");
    size_t here_len, again_len;
    uint8_t *here = su_state(&m, &here_len);
    uint64_t instret = m.cpu[st.cpu].s.instret;
    cr_assert_eq(ui_dbg_reverse_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    char want[400];
    snprintf(want, sizeof want,
             "Stepped back 1 instruction on cpu%u. It went back over the hypervisor's handling "
             "of the exit %s (reverse-stepi counts instructions; `reverse-step event` walks back "
             "through the handling).",
             exit.ev.cpu, cpu_exit_reason_name(exit.ev.a));
    cr_expect_str_eq(st.text, want);
    cr_expect_eq(st.pc, exit.ev.pc, "at the instruction that exited");
    cr_expect_eq(m.cpu[st.cpu].s.instret, instret, "an exited instruction retires nothing");
    cr_assert_eq(ui_dbg_reverse_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_eq(strstr(st.text, "went back over"), NULL, "no exit this time: %s", st.text);
    cr_assert_eq(ui_dbg_stepi(d, 2, &st), 0, "%s", ui_dbg_error(d));
    snprintf(want, sizeof want,
             "Stepped 2 instructions on cpu%u, through a VM exit %s and the hypervisor's "
             "handling of it.",
             exit.ev.cpu, cpu_exit_reason_name(exit.ev.a));
    cr_expect_str_eq(st.text, want);
    uint8_t *again = su_state(&m, &again_len);
    su_expect_same_state(here, here_len, again, again_len, "two back and two forward");
    /* one step on and one back is the first instruction after the entry again, not the one
     * that exited (both boundaries have the same retired count) */
    cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_reverse_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_str_eq(st.text, "Stepped back 1 instruction on cpu0.");
    free(again);
    again = su_state(&m, &again_len);
    su_expect_same_state(here, here_len, again, again_len, "one forward and one back");
    free(here);
    free(again);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

Test(reverse_more, step_event_at_the_start_says_there_is_nothing)
{
    ui_dbg_t *d = start_calls();
    ui_dbg_stop_t st;
    cr_expect_eq(ui_dbg_reverse_step_event(d, &st), -1);
    cr_expect_str_eq(ui_dbg_error(d), "No event happened before this point.");
    end_calls(d);
}

/* One step back and one on is the same machine, byte for byte. Returns the pc one back. */
static uint32_t one_back_and_one_forward(ui_dbg_t *d, sim_machine_t *m)
{
    ui_dbg_stop_t st;
    size_t here_len, again_len;
    uint8_t *here = su_state(m, &here_len);
    cr_assert_eq(ui_dbg_reverse_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    uint32_t back = st.pc;
    cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    uint8_t *again = su_state(m, &again_len);
    su_expect_same_state(here, here_len, again, again_len, "one back and one forward");
    free(here);
    free(again);
    return back;
}

/* Under trap-and-emulate a guest fault exits and the hypervisor reflects it into the guest
 * kernel's handler: stepi says so (no instruction completed), and one step back and one on
 * is the same machine. tinyos probes its RAM size with a load that takes a bus error. */
Test(reverse_more, stepi_through_a_reflected_trap_says_so, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_t *d = run_a_while(&sc, &m, "trap", 150000);
    ui_dbg_stop_t st;
    unsigned steps = 0;
    do
        cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    while (strstr(st.text, "reflected") == NULL && ++steps < 1000);
    cr_expect_str_eq(st.text, "Stepped on cpu0, through a VM exit EXCEPTION and the hypervisor's "
                              "handling of it, and into the guest kernel's handler: the "
                              "hypervisor reflected the bus-error.");
    one_back_and_one_forward(d, &m);
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

/* A system call retires and then traps; under trap-and-emulate the trap exits, and under
 * binary translation it enters the co-resident monitor. Either way the hypervisor (or the
 * monitor) reflects it into the guest kernel's handler, and that is where stepi stops: one
 * instruction, through the handling, as for an instruction that exited without retiring (it
 * used to stop in ring -1 with the handler still to run). One step back and one on is the
 * same machine. tinyos's `syscalls` program makes its system call at 0x400000ac. */
static void stepi_over_a_system_call(const char *scenario, const char *want)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    ui_dbg_t *d = run_a_while(&sc, &m, scenario, 100000);
    ui_dbg_stop_t st;
    int bp = ui_dbg_break_addr(d, UI_DBG_SPACE_GVA, 0x400000ac, -1, 0);
    cr_assert_geq(bp, 0, "%s", ui_dbg_error(d));
    cr_assert_eq(ui_dbg_continue(d, &st), 0, "%s", ui_dbg_error(d));
    cr_assert_eq(st.pc, 0x400000ac, "%s", st.text);
    cr_assert_eq(ui_dbg_delete(d, bp), 0, "%s", ui_dbg_error(d));
    uint64_t instret = m.cpu[0].s.instret;
    cr_assert_eq(ui_dbg_stepi(d, 1, &st), 0, "%s", ui_dbg_error(d));
    cr_expect_str_eq(st.text, want);
    cr_expect_eq(m.cpu[0].s.instret, instret + 1, "the syscall retired");
    cr_expect_eq(ui_dbg_pcpu_exit_pending(d, 0), false, "the handling is over");
    cr_expect_eq(one_back_and_one_forward(d, &m), 0x400000ac, "one back is the syscall");
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
}

Test(reverse_more, stepi_over_a_system_call_that_exits, .timeout = 120)
{
    stepi_over_a_system_call("trap", "Stepped 1 instruction on cpu0, through a VM exit EXCEPTION "
                                     "and the hypervisor's handling of it, and into the guest "
                                     "kernel's handler: the hypervisor reflected the "
                                     "system-call.");
}

Test(reverse_more, stepi_over_a_system_call_into_the_bt_monitor, .timeout = 120)
{
    stepi_over_a_system_call("bt", "Stepped 1 instruction on cpu0, through a trap into the "
                                   "co-resident monitor (binary translation: not a VM exit) and "
                                   "the monitor's handling of it, and into the guest kernel's "
                                   "handler: the monitor reflected the system-call.");
}
