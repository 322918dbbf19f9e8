/*
 * test_debug_exit.c - the VM exit, step by step, through the debugger API (ui/debug/
 * debug_exit.c): every event kind and every hypervisor action has a sentence (never the raw
 * trace line), with VM and device names and the cycles an action charged with its cost-table
 * entries; at an exit the view is the exiting VCPU's saved registers and `pc` evaluates to the
 * guest's; `si` from an exit is one sub-step and never enters the guest silently; finish ends
 * at the VM entry with the cycles the actions charged adding up; break handler / break hv; and
 * the handler's source line is where the handler is.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/debug/ui_debug.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;
static hv_t *hv;
static ui_dbg_t *dbg;

static void start(const char *scenario)
{
    hv = hu_scenario(&sc, &m, scenario);
    dbg = ui_dbg_new(&m);
    cr_assert_not_null(dbg);
}

static void done(void)
{
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* A sentence, not the raw trace form ("cycle 123 cpu0 ..."), and no "-1" VM or VCPU. */
static void expect_sentence(const sim_event_t *ev, const char *what)
{
    char buf[400], raw[200];
    ui_dbg_describe_event(dbg, ev, buf, sizeof buf);
    sim_event_format(ev, raw, sizeof raw);
    cr_expect(buf[0] != '\0', "%s has a sentence", what);
    cr_expect(strncmp(buf, "cycle ", 6) != 0 && strcmp(buf, raw) != 0,
              "%s: a sentence, not the trace line: %s", what, buf);
    cr_expect(!strstr(buf, "vm0.") && !strstr(buf, "0xffffffff)") && !strstr(buf, "action "),
              "%s: VM names, no raw numbers: %s", what, buf);
}

Test(debug_exit, every_event_kind_and_hypervisor_action_has_a_sentence, .timeout = 60)
{
    start("default");
    sim_event_t ev = {.cycle = 1234, .cpu = 0, .vm = 0, .vcpu = 0, .pc = 0x1010, .a = 3, .b = 1};
    for (unsigned k = 0; k < SIM_EV_COUNT; k++) {
        ev.kind = (uint8_t)k;
        ev.a = k == SIM_EV_HV ? SIM_HV_HANDLER : 3;
        expect_sentence(&ev, sim_event_name(k));
    }
    ev.kind = SIM_EV_HV;
    for (unsigned a = 0; a < SIM_HV_ACTION_COUNT; a++) {
        ev.a = a;
        ev.b = a == SIM_HV_SWITCH ? 0xffffffffu : 0x1f0; /* no previous entity */
        expect_sentence(&ev, sim_hv_action_name(a));
        char buf[400];
        ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
        if (a != SIM_HV_IDLE && a != SIM_HV_HOST && a != SIM_HV_SHARE_SCAN) /* not a VM's */
            cr_expect(strstr(buf, "tinyos"), "%s names the VM: %s", sim_hv_action_name(a), buf);
    }
    done();
}

Test(debug_exit, an_action_says_what_it_charged_from_the_cost_table)
{
    start("default");
    sim_event_t ev = {.kind = SIM_EV_HV,
                      .vm = 0,
                      .vcpu = 0,
                      .a = SIM_HV_EMULATE,
                      .b = 0x1f3 | SIM_HV_WRITE,
                      .pc = 1,
                      .charged = 207,
                      .cost = {SIM_COST_hv_emulate, SIM_COST_hv_mem},
                      .cost_n = {1, 2}};
    char buf[400];
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect(strstr(buf, "port 0x1f3, tinyos's virtual disk, command register: 0x00000001 "
                          "written (207 cycles: hv_emulate 200, 2 x hv_mem 2, other 3)"),
              "%s", buf);
    ev.b = 0x3f8;
    ev.charged = 0;
    ev.cost_n[0] = ev.cost_n[1] = 0;
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect(strstr(buf, "virtual console (UART), data register: it reads 0x00000001") &&
                  !strstr(buf, "cycles"),
              "%s", buf);
    done();
}

/* The sentences of the actions added for the exits that were not walked: what cpuid answered
 * and means, the physical lines the host acknowledged (13: the kick), why a VM was stopped,
 * and binary translation's moves of the pc into and out of the translation cache. */
Test(debug_exit, cpuid_ack_crash_and_bt_moves_say_what_they_mean, .timeout = 60)
{
    start("default");
    char buf[400];
    sim_event_t ev = {.kind = SIM_EV_HV,
                      .vm = 1,
                      .vcpu = 0,
                      .a = SIM_HV_CPUID,
                      .b = 1,
                      .pc = CPU_CPUID_FEAT_HYPERVISOR};
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect_str_eq(buf, "the virtual CPU answers rtos vcpu0's cpuid leaf 1 with 0x80000000: "
                          "bit 31, a hypervisor is present");
    ev.b = 0;
    ev.pc = CPU_CPUID_VENDOR;
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect(strstr(buf, "leaf 0 with 0x4d535648: the vendor, \"HVSM\""), "%s", buf);
    ev.a = SIM_HV_ACK;
    ev.b = 1u << 13 | 1u << 14;
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect_str_eq(buf, "the host acknowledges physical lines 13 (the kick with which the "
                          "hypervisor takes a pCPU back) and 14 (the disk) on pCPU0; rtos vcpu0 "
                          "goes on");
    ev.a = SIM_HV_CRASH;
    hv->vms[1].state = HV_VM_CRASHED; /* as hv_vm_crash leaves it (plain data) */
    snprintf(hv->vms[1].why, sizeof hv->vms[1].why, "%s",
             "VM entry failed: the VMCB revision is 0x00000002");
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect_str_eq(buf, "the hypervisor stopped rtos for good: VM entry failed: the VMCB "
                          "revision is 0x00000002");
    ev.a = SIM_HV_BT_MOVE_PC;
    ev.b = 0x1010;
    ev.pc = 0x1014;
    ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
    cr_expect_str_eq(buf, "binary translation: rtos vcpu0's pc moves in the guest's own code, "
                          "0x00001010 -> 0x00001014");
    done();
}

/* Under binary translation the moves name the translation cache and the guest code. */
Test(debug_exit, a_bt_pc_move_names_the_translation_cache, .timeout = 120)
{
    start("bt");
    cr_assert_gt(ui_dbg_break_hv(dbg, "bt-move-pc", 0), 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    bool into = false, out = false;
    for (int i = 0; i < 40 && !(into && out); i++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0, "%s", ui_dbg_error(dbg));
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        into |= strstr(st.text, "pc moves into the translation cache") &&
                strstr(st.text, "(translated from 0x");
        out |= strstr(st.text, "pc moves out of the translation cache, to the guest's own code") !=
               NULL;
    }
    cr_expect(into && out, "both directions were seen with their sentences: %s", st.text);
    done();
}

/* The handler table's line is where the handler's definition is in hypervisor/hv_exit.c. */
Test(debug_exit, the_handler_line_is_where_the_handler_is)
{
    size_t len;
    char *src = sim_read_file("hypervisor/hv_exit.c", &len);
    cr_assert_not_null(src);
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++) {
        unsigned line = hv_exit_handler_line(r), at = 1;
        const char *p = src;
        while (at < line && (p = strchr(p, '\n')))
            p++, at++;
        cr_assert_not_null(p);
        char want[64];
        snprintf(want, sizeof want, "HV_HANDLER(%s)", hv_exit_handler_name(r));
        cr_expect(strncmp(p, want, strlen(want)) == 0, "line %u of hv_exit.c starts %s", line,
                  want);
    }
    free(src);
}

/* Stops at the first IO_PORT exit of tinyos, before its handler. */
static void at_io_exit(ui_dbg_stop_t *st)
{
    start("default");
    cr_assert_gt(ui_dbg_break_handler(dbg, "hv_handle_io_port", 0), 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, st), 0);
    cr_assert_eq(st->kind, UI_DBG_STOP_BREAKPOINT, "%s", st->text);
    ui_dbg_delete_all(dbg);
}

Test(debug_exit, at_an_exit_the_focus_is_the_exiting_vcpu, .timeout = 60)
{
    ui_dbg_stop_t st;
    at_io_exit(&st);
    ui_dbg_view_t view;
    ui_dbg_view(dbg, st.cpu, &view);
    cr_assert_eq(view.kind, UI_DBG_VIEW_GUEST);
    cr_expect_eq(view.vm, 0);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 0, 0, &v), 0);
    cr_expect_eq(view.s.pc, v.pc, "the VMCB's guest pc");
    uint64_t pc;
    cr_assert_eq(ui_dbg_eval(dbg, "pc", &pc), 0);
    cr_expect_eq(pc, v.pc, "$pc is the guest's");
    cr_expect_eq(cpu_mode(&m.cpu[st.cpu]), CPU_MODE_H, "the pCPU itself is in ring -1");
    ui_dbg_exit_t x;
    cr_assert_eq(ui_dbg_exit_info(dbg, st.cpu, &x), 0);
    cr_expect(x.pending);
    cr_expect_str_eq(x.handler, "hv_handle_io_port");
    cr_expect_str_eq(x.file, "hypervisor/hv_exit.c");
    cr_expect(strstr(x.qual, "tinyos's virtual disk"), "%s", x.qual);
    cr_expect(strstr(x.because, "'port I/O'"), "%s", x.because);
    char insn[96];
    cr_assert(ui_dbg_disasm(dbg, ui_dbg_default_space(dbg), (uint32_t)pc, insn, sizeof insn));
    cr_expect_str_eq(insn, x.insn_text, "the code at $pc is the exiting instruction");
    done();
}

/* `vmcb` names the exiting VCPU's VMCB in host RAM; with no VCPU on the pCPU it is an error
 * that says why, not an address. */
Test(debug_exit, vmcb_is_the_shown_vcpus_control_block, .timeout = 60)
{
    start("default");
    uint64_t hpa;
    cr_expect_neq(ui_dbg_eval(dbg, "vmcb", &hpa), 0, "no VCPU is loaded before the run");
    cr_expect(strstr(ui_dbg_error(dbg), "holds no VCPU"), "%s", ui_dbg_error(dbg));
    done();
    ui_dbg_stop_t st;
    at_io_exit(&st);
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, 0, 0, &v), 0);
    cr_assert_eq(ui_dbg_eval(dbg, "$vmcb + 4", &hpa), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(hpa, (uint64_t)v.vmcb + 4);
    done();
}

/* si from an exit goes action by action and the entry is its own sub-step; the cycles the
 * actions charged add up with the entry's to the time from the exit's handling to the guest. */
Test(debug_exit, si_goes_one_action_at_a_time_to_the_entry, .timeout = 60)
{
    ui_dbg_stop_t st;
    at_io_exit(&st);
    uint64_t handling = m.cpu[st.cpu].s.cycles, charged = 0;
    unsigned actions = 0;
    for (;;) {
        cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0, "%s", ui_dbg_error(dbg));
        cr_assert_eq(st.kind, UI_DBG_STOP_EVENT, "a sub-step, not the guest: %s", st.text);
        if (st.ev.kind == SIM_EV_VMENTRY)
            break;
        cr_assert_eq(st.ev.kind, SIM_EV_HV, "%s", st.text);
        cr_expect_eq(strncmp(st.text, "hv: ", 4), 0, "%s", st.text);
        charged += st.ev.charged;
        actions++;
    }
    cr_expect_eq(actions, 4, "handler, emulate, set-reg, skip");
    cr_expect_str_eq(st.text, "entry: tinyos vcpu0 resumes in K at 0x00001014.");
    uint32_t entry = m.costs.c[SIM_COST_vm_entry];
    cr_expect_gt(st.ev.cycle - handling, charged + entry, "the entry costs the rest");
    cr_expect_eq(charged, 110 + 200 + 2 + 6, "dispatch+handler+VMCB reads, emulate, set, skip");
    cr_assert_eq(ui_dbg_stepi(dbg, 1, &st), 0);
    cr_expect_eq(st.kind, UI_DBG_STOP_STEP, "then si steps the guest: %s", st.text);
    done();
}

Test(debug_exit, finish_runs_to_the_entry_and_fails_elsewhere, .timeout = 60)
{
    ui_dbg_stop_t st;
    at_io_exit(&st);
    cr_assert_eq(ui_dbg_finish_exit(dbg, &st), 0, "%s", ui_dbg_error(dbg));
    cr_expect_eq(st.ev.kind, SIM_EV_VMENTRY);
    cr_expect_eq(st.kind, UI_DBG_STOP_FINISH);
    cr_expect_str_eq(st.text, "The hypervisor finished handling the exit: VM entry into tinyos "
                              "vcpu0 at 0x00001014, after 4 more hypervisor actions on pCPU0, "
                              "1 022 cycles since the exit began.");
    cr_expect_eq(ui_dbg_finish_exit(dbg, &st), -1, "not at an exit any more");
    cr_expect(strstr(ui_dbg_error(dbg), "Not at a VM exit"), "%s", ui_dbg_error(dbg));
    done();
}

Test(debug_exit, break_hv_stops_at_the_action_and_step_event_goes_on, .timeout = 60)
{
    start("lazy"); /* a first touch is a nested fault: the action to stop at */
    cr_expect_eq(ui_dbg_break_hv(dbg, "frobnicate", UI_DBG_ANY_VM), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "no hypervisor action called \"frobnicate\""), "%s",
              ui_dbg_error(dbg));
    cr_expect_eq(ui_dbg_break_handler(dbg, "hv_handle_nothing", UI_DBG_ANY_VM), -1);
    int id = ui_dbg_break_hv(dbg, "map", 0);
    cr_assert_gt(id, 0);
    char what[160];
    ui_dbg_bp_describe(dbg, ui_dbg_bp_by_id(dbg, id), what, sizeof what);
    cr_expect_str_eq(what, "hypervisor action map in tinyos");
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT);
    cr_expect(strstr(st.text, "first touch: gpa 0x00010000 of tinyos is backed by a zeroed host "
                              "frame, hpa 0x"),
              "%s", st.text);
    cr_expect(strstr(st.text, "(506 cycles: hv_zero_page 500, 3 x hv_mem 2)"), "%s", st.text);
    ui_dbg_delete_all(dbg);
    cr_assert_eq(ui_dbg_step_event(dbg, &st), 0);
    cr_expect_eq(st.ev.kind, SIM_EV_VMENTRY, "the rest of that exit: %s", st.text);
    done();
}

Test(debug_exit, ring_minus_one_without_an_exit_has_no_registers)
{
    start("default");
    ui_dbg_view_t view;
    ui_dbg_view(dbg, 0, &view);
    cr_expect_eq(view.kind, UI_DBG_VIEW_NONE);
    cr_expect(strstr(view.why, "pCPU0 is in ring -1 (the hypervisor) with no exit in progress"),
              "%s", view.why);
    ui_dbg_exit_t x;
    cr_expect_eq(ui_dbg_exit_info(dbg, 0, &x), -1);
    cr_expect(strstr(ui_dbg_error(dbg), "No exit yet on pCPU0"), "%s", ui_dbg_error(dbg));
    uint64_t pc;
    cr_expect_eq(ui_dbg_eval(dbg, "pc", &pc), -1,
                 "no registers to read: not a 0 that is not there");
    cr_expect(strstr(ui_dbg_error(dbg), "with no exit in progress"), "%s", ui_dbg_error(dbg));
    done();
}

/* A device register reached by MMIO is named as MMIO, with its address and the device: in the
 * exit's qualification (`info exit`, the window's control block) and in the emulate action;
 * the same register by port stays a port. */
Test(debug_exit, mmio_is_named_as_mmio_with_device_and_address, .timeout = 60)
{
    static sim_machine_t mm;
    hv_config_t cfg = hu_config();
    hv_t *h = hu_machine(&mm, 1, &cfg);
    cr_assert_geq(hu_vm(h, "probe",
                        ".org 0x1000\nlui r2, 0xf000\nli r1, 'm'\nst r1, [r2]\n"
                        "li r1, 'p'\nout r1, [0x3f8]\nout r0, [0xf0]\n",
                        NULL),
                  0);
    ui_dbg_t *d = ui_dbg_new(&mm);
    cr_assert_not_null(d);
    cr_assert_gt(ui_dbg_break_exit(d, "NESTED_FAULT", 0), 0, "%s", ui_dbg_error(d));
    ui_dbg_stop_t st;
    ui_dbg_exit_t x;
    do { /* the first touches of the code page come first */
        cr_assert_eq(ui_dbg_continue(d, &st), 0, "%s", ui_dbg_error(d));
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        cr_assert_eq(ui_dbg_exit_info(d, st.cpu, &x), 0, "%s", ui_dbg_error(d));
    } while (x.gpa != SIM_UART_MMIO);
    cr_expect(strstr(x.qual, "a store of gva 0xf0000000 -> gpa 0xf0000000 (the data): "), "%s",
              x.qual);
    cr_expect(strstr(x.qual, "; MMIO at gpa 0xf0000000, probe's virtual console (UART), data "
                             "register"),
              "%s", x.qual);
    ui_dbg_delete_all(d);
    cr_assert_gt(ui_dbg_break_hv(d, "emulate", 0), 0);
    cr_assert_eq(ui_dbg_continue(d, &st), 0);
    cr_expect(strstr(st.text, "the hypervisor emulates MMIO at gpa 0xf0000000, probe's virtual "
                              "console (UART), data register: 0x0000006d written"),
              "%s", st.text);
    cr_assert_eq(ui_dbg_continue(d, &st), 0);
    cr_expect(strstr(st.text, "the hypervisor emulates port 0x3f8, probe's virtual console "
                              "(UART), data register: 0x00000070 written"),
              "by port it stays a port: %s", st.text);
    ui_dbg_free(d);
    hu_free(h, &mm);
}

/* Exits with no qualification bits say what they are; a hypercall names its call from r1; a
 * scheduler's switch says whom it chose (to be entered), not that the pCPU has no VCPU. */
Test(debug_exit, halt_hypercall_and_switch_read_as_sentences, .timeout = 60)
{
    start("default");
    ui_dbg_stop_t st;
    ui_dbg_view_t view;
    cr_assert_gt(ui_dbg_break_hv(dbg, "switch", 0), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_dbg_view(dbg, st.cpu, &view);
    cr_expect_eq(view.kind, UI_DBG_VIEW_NONE);
    cr_expect(strstr(view.why, "tinyos vcpu0 is loaded and about to be entered"), "%s", view.why);
    ui_dbg_delete_all(dbg);
    ui_dbg_exit_t x;
    static const struct {
        const char *reason, *qual;
    } cases[] = {{"HYPERCALL", "hcall 4 (balloon target), the call number in r1"},
                 {"HALT", "halt: the guest waits for an interrupt"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int id = ui_dbg_break_exit(dbg, cases[i].reason, UI_DBG_ANY_VM);
        cr_assert_gt(id, 0);
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        cr_assert_eq(ui_dbg_exit_info(dbg, st.cpu, &x), 0, "%s", ui_dbg_error(dbg));
        cr_expect_str_eq(x.qual, cases[i].qual);
        ui_dbg_delete(dbg, id);
    }
    done();
}

/* The sharing scanner merges several pages in one pass, one event each, between two
 * instruction boundaries: `break hv share` stops at every one of them, the first as the pass
 * happens and each next one at the next `continue`, in order, without running (they have
 * happened). The sink below counts the events the machine told. */
static sim_event_t shares[64];
static unsigned nshares;

static void count_shares(const sim_event_t *ev, void *ctx)
{
    (void)ctx;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SHARE && ev->vm == 0 && nshares < 64)
        shares[nshares++] = *ev;
}

Test(debug_exit, break_hv_stops_at_each_of_one_passs_actions, .timeout = 120)
{
    start("sharing");
    cr_assert_eq(sim_add_sink(&m, count_shares, NULL), 0);
    cr_assert_gt(ui_dbg_break_hv(dbg, "share", 0), 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    for (unsigned i = 0; i < 40; i++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0, "%s", ui_dbg_error(dbg));
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
        cr_assert_lt(i, nshares);
        cr_expect_eq(st.ev.b, shares[i].b, "stop %u: gpa 0x%08x, the machine's share %u: 0x%08x", i,
                     st.ev.b, i, shares[i].b);
        cr_expect_eq(st.ev.cycle, shares[i].cycle, "stop %u", i);
    }
    cr_expect_gt(shares[39].cycle, 0);
    cr_expect_eq(shares[0].cycle, shares[1].cycle, "the first two are of one pass");
    done();
}
