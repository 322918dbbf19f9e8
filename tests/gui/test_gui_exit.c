/*
 * test_gui_exit.c - the window stopped at a VM exit, offscreen, read through the text it drew
 * (ui_gui_keep_text): the registers panel shows the exiting VCPU's registers as its VMCB
 * holds them (what `info vcpus` and `info vmcb` read), never a ring -1 CPU's zeros; the
 * disassembly shows the guest's code with the exiting instruction, nothing "(unreadable)";
 * TRANSITION's "the guest ran" names the instruction the CPU recorded at the exit (read
 * through the guest's translation, not host memory at the guest's address); the control
 * block decodes the exit and says "no exit yet" before the first; a pCPU in ring -1 with no
 * exit says so in a sentence.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;
static hv_t *hv; /* the scenario's hypervisor */
static ui_dbg_t *dbg;
static ui_dbg_exit_t x; /* the exit the window stopped at */

/* A window keeping its text over a scenario just started. */
static gui_t *open_window(const char *scenario)
{
    hv = hu_scenario(&sc, &m, scenario);
    dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_gui_keep_text(g);
    return g;
}

/* Runs `scenario` to the n-th exit of `reason` in VM 0 and draws the window there (x). */
static gui_t *window_at_exit(const char *scenario, const char *reason, int n)
{
    gui_t *g = open_window(scenario);
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, reason, 0), 0, "%s", ui_dbg_error(dbg));
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ui_dbg_continue(dbg, &st), 0, "%s", ui_dbg_error(dbg));
        cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
    }
    ui_gui_note_stop(g);
    ui_gui_render(g);
    cr_assert_eq(ui_dbg_exit_info(dbg, st.cpu, &x), 0, "%s", ui_dbg_error(dbg));
    cr_assert(x.pending, "stopped before the handler");
    return g;
}

static void done(gui_t *g)
{
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* The registers panel shows what the VMCB holds for the exiting VCPU, every one of them. */
static void expect_guest_registers(gui_t *g, ui_dbg_t *dbg, const ui_dbg_exit_t *x)
{
    const char *regs = ui_gui_panel_text(g, UI_GUI_PANEL_REGS);
    char want[64];
    ui_dbg_vcpu_t v;
    cr_assert_eq(ui_dbg_vcpu_info(dbg, (unsigned)x->vm, (unsigned)x->vcpu, &v), 0);
    snprintf(want, sizeof want, "saved in its VMCB");
    cr_expect(strstr(regs, want), "the panel says whose registers they are:\n%s", regs);
    snprintf(want, sizeof want, "pc %04x_%04x", v.pc >> 16, v.pc & 0xffffu);
    cr_expect(strstr(regs, want), "pc is info vcpus's guest pc %08x:\n%s", v.pc, regs);
    for (unsigned k = 1; k < CPU_NREGS; k++) {
        uint32_t r;
        cr_assert_eq(
            ui_dbg_vmcb_read(dbg, x->vm, (unsigned)x->vcpu, CPU_VMCB_GUEST + CPU_VMCB_R(k), &r), 0);
        char name[8];
        snprintf(name, sizeof name, "%s", k == CPU_REG_SP ? "sp" : k == CPU_REG_LR ? "lr" : "");
        if (!name[0])
            snprintf(name, sizeof name, "r%u", k);
        snprintf(want, sizeof want, "%s %04x_%04x", name, r >> 16, r & 0xffffu);
        cr_expect(strstr(regs, want), "%s is the VMCB's 0x%08x:\n%s", name, r, regs);
    }
    cr_expect(strstr(regs, "K"), "the guest's mode, not H:\n%s", regs);
}

static void expect_guest_code(gui_t *g, const ui_dbg_exit_t *x)
{
    const char *dis = ui_gui_panel_text(g, UI_GUI_PANEL_DISASM);
    cr_expect(!strstr(dis, "(unreadable)") && !strstr(dis, "not mapped"),
              "every line is the guest's code:\n%s", dis);
    /* Above the pc, only instructions: never the zeros before the kernel's first one. */
    const char *pc_row = strstr(dis, "▼");
    cr_assert(pc_row, "the exiting instruction is marked:\n%s", dis);
    const char *word = strstr(dis, ".word");
    cr_expect(!word || word > pc_row, "no data decoded above the pc:\n%s", dis);
    char want[96];
    snprintf(want, sizeof want, "%04x_%04x", x->pc >> 16, x->pc & 0xffffu);
    const char *line = strstr(dis, want);
    cr_assert(line, "the exiting instruction's address %08x is listed:\n%s", x->pc, dis);
    const char *eol = strchr(line, '\n');
    size_t n = eol ? (size_t)(eol - line) : strlen(line);
    char row[160];
    snprintf(row, sizeof row, "%.*s", (int)n, line);
    cr_expect(strstr(row, x->insn_text), "its line decodes `%s`: %s", x->insn_text, row);
    const char *steps = ui_gui_panel_text(g, UI_GUI_PANEL_STEPS);
    snprintf(want, sizeof want, "the guest ran `%s`", x->insn_text);
    cr_expect(strstr(steps, want), "TRANSITION names the instruction at the guest pc (%s):\n%s",
              want, steps);
}

static void expect_the_guest(gui_t *g, ui_dbg_t *dbg, const ui_dbg_exit_t *x)
{
    expect_guest_registers(g, dbg, x);
    expect_guest_code(g, x);
}

Test(gui_exit, an_io_port_exit_shows_the_guest, .timeout = 120)
{
    gui_t *g = window_at_exit("default", "IO_PORT", 3);
    expect_the_guest(g, dbg, &x);
    const char *regs = ui_gui_panel_text(g, UI_GUI_PANEL_REGS);
    cr_expect(strstr(regs, "this exit IO_PORT"), "the control block decodes the exit:\n%s", regs);
    cr_expect(strstr(regs, "virtual disk"), "the device behind the port:\n%s", regs);
    cr_expect(strstr(regs, "runs next: hv_handle_io_port") && strstr(regs, "hypervisor/hv_exit.c:"),
              "the handler and its place:\n%s", regs);
    cr_expect(!strstr(regs, "qual "), "no raw qualification:\n%s", regs);
    done(g);
}

/* The first exit of the boot, at reset+0x10: below reset lie zeros (or nothing mapped), which
 * the listing does not show; it starts at the kernel's first instruction. */
Test(gui_exit, the_first_io_port_exit_lists_from_the_first_instruction, .timeout = 120)
{
    gui_t *g = window_at_exit("default", "IO_PORT", 1);
    expect_the_guest(g, dbg, &x);
    const char *dis = ui_gui_panel_text(g, UI_GUI_PANEL_DISASM);
    const char *first = strchr(dis, '\n'); /* the row under the panel's title */
    cr_assert(first);
    char want[32];
    snprintf(want, sizeof want, "\n%04x_%04x lui sp, 0", (x.pc - 16) >> 16, (x.pc - 16) & 0xffffu);
    cr_expect(!strncmp(first, want, strlen(want)), "the first row is reset (%s):\n%s", want + 1,
              dis);
    done(g);
}

/* A later exit, deep in the kernel: rows above the pc and below it, all code. */
Test(gui_exit, a_later_io_port_exit_lists_code_around_the_pc, .timeout = 120)
{
    gui_t *g = window_at_exit("default", "IO_PORT", 12);
    expect_the_guest(g, dbg, &x);
    const char *dis = ui_gui_panel_text(g, UI_GUI_PANEL_DISASM);
    char above[32];
    snprintf(above, sizeof above, "%04x_%04x", (x.pc - 8) >> 16, (x.pc - 8) & 0xffffu);
    cr_expect(strstr(dis, above), "rows above the pc (%s):\n%s", above, dis);
    done(g);
}

/* Trap-and-emulate: the deprivileged kernel runs in U but believes it is in K; the panel
 * shows the virtual K, labelled, with the real U beside it. */
Test(gui_exit, a_deprivileged_kernel_shows_its_virtual_mode, .timeout = 120)
{
    gui_t *g = window_at_exit("trap", "EXCEPTION", 2);
    expect_the_guest(g, dbg, &x);
    const char *regs = ui_gui_panel_text(g, UI_GUI_PANEL_REGS);
    cr_expect(strstr(regs, "IE K virtual · really U"), "virtual K, real U beside:\n%s", regs);
    done(g);
}

/* The case: host memory at the guest's address holds something else entirely. */
Test(gui_exit, a_nested_fault_of_the_adversary_names_its_own_instruction, .timeout = 120)
{
    gui_t *g = window_at_exit("isolation", "NESTED_FAULT", 40);
    expect_the_guest(g, dbg, &x);
    /* With the hypervisor as the focus (hpa the default space), the guest's code is still
     * read through the guest's translation: hpa at the guest's address is something else. */
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, -1), 0);
    char at_hpa[96];
    cr_assert(ui_dbg_disasm(dbg, UI_DBG_SPACE_HPA, x.pc, at_hpa, sizeof at_hpa));
    cr_assert_str_neq(at_hpa, x.insn_text, "hpa 0x%08x holds other code", x.pc);
    ui_gui_render(g);
    expect_the_guest(g, dbg, &x);
    done(g);
}

Test(gui_exit, ring_minus_one_without_an_exit_says_so, .timeout = 120)
{
    gui_t *g = open_window("default");
    ui_gui_render(g);
    const char *regs = ui_gui_panel_text(g, UI_GUI_PANEL_REGS);
    cr_expect(strstr(regs, "is in ring -1 (the hypervisor) with no exit"),
              "a sentence, not registers:\n%s", regs);
    cr_expect(!strstr(regs, "0000_0000"), "no zeros for registers that do not exist:\n%s", regs);
    cr_expect(strstr(regs, "no exit yet"), "the control block before the first exit:\n%s", regs);
    const char *dis = ui_gui_panel_text(g, UI_GUI_PANEL_DISASM);
    cr_expect(!strstr(dis, "(unreadable)") && strstr(dis, "with no exit in"),
              "no disassembly of memory that is not the current code:\n%s", dis);
    done(g);
}

/* The window stopped at an exit of the booted tinyos, as docs/debugger.md shows it (written
 * to docs/screenshot-exit.png when HVSIM_UPDATE_GOLDEN=1; else to /tmp and removed). */
Test(gui_exit, screenshot_at_an_exit, .timeout = 120)
{
    gui_t *g = open_window("lazy"); /* at cycle 5 000 000 tinyos still runs */
    g->title = "scenario: lazy";
    cpu_symbol_t *syms; /* tinyos's kernel symbols, as hvsim loads them beside its image */
    size_t n;
    char sym_path[256];
    snprintf(sym_path, sizeof sym_path, "%s/guestos/tinyos.sym", th_build_dir());
    cr_assert_eq(cpu_syms_load(sym_path, &syms, &n, stderr), 0);
    cr_assert_eq(ui_dbg_set_vm_symbols(dbg, 0, syms, n), 0);
    cpu_syms_free(syms, n);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_run_cycles(dbg, 5000000, &st), 0);
    ui_gui_note_stop(g);
    cr_assert_gt(ui_dbg_break_exit(dbg, "IO_PORT", 0), 0);
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_gui_note_stop(g);
    snprintf(g->status, sizeof g->status, "%s", st.text);
    ui_gui_render(g);
    cr_expect(strstr(ui_gui_panel_text(g, UI_GUI_PANEL_STEPS), "the guest ran `in r1, [0x3f9]`"),
              "%s", ui_gui_panel_text(g, UI_GUI_PANEL_STEPS));
    const char *update = getenv("HVSIM_UPDATE_GOLDEN");
    char path[64];
    snprintf(path, sizeof path, "/tmp/hvsim-exitshot-%d.png", (int)getpid());
    const char *out = update && *update == '1' ? "docs/screenshot-exit.png" : path;
    cr_expect_eq(ui_gui_save_png(g, out), 0);
    if (out == path)
        remove(path);
    done(g);
}

/* A key as the window receives it from SDL. */
static void press(gui_t *g, SDL_Keycode key)
{
    SDL_Event e = {.type = SDL_KEYDOWN};
    e.key.keysym.sym = key;
    cr_assert(gui_handle_event(g, &e), "the window knows the key");
    ui_gui_render(g);
}

/* `e` steps the handling one action at a time and the registers panel shows the VCPU as each
 * action left it (the written register at its sub-step, the pc still on the instruction); `o`
 * finishes: the stop is the VM entry, and the key help lists it. */
Test(gui_exit, e_shows_each_sub_step_and_o_finishes_at_the_entry, .timeout = 120)
{
    gui_t *g = window_at_exit("default", "IO_PORT", 1);
    const ui_dbg_stop_t *st;
    do {
        press(g, SDLK_e);
        st = ui_dbg_last_stop(dbg);
        cr_assert(st && st->has_event && st->ev.kind == SIM_EV_HV, "a sub-step: %s",
                  st ? st->text : "");
    } while (st->ev.a != SIM_HV_SET_REG);
    const char *regs = ui_gui_panel_text(g, UI_GUI_PANEL_REGS);
    char want[64];
    snprintf(want, sizeof want, "r%u %04x_%04x", st->ev.b, st->ev.pc >> 16, st->ev.pc & 0xffffu);
    cr_expect(strstr(regs, want), "the register as the action wrote it (%s):\n%s", want, regs);
    snprintf(want, sizeof want, "pc %04x_%04x", x.pc >> 16, x.pc & 0xffffu);
    cr_expect(strstr(regs, want), "the pc still on the instruction (%s):\n%s", want, regs);
    cr_expect(strstr(ui_gui_panel_text(g, UI_GUI_PANEL_STEPS), "the hypervisor writes r"),
              "TRANSITION shows the sub-step:\n%s", ui_gui_panel_text(g, UI_GUI_PANEL_STEPS));
    cr_expect(strstr(ui_gui_panel_text(g, UI_GUI_PANEL_PCPUS), "ring -1 · hypervisor: exit "
                                                               "IO_PORT of tinyos, step by step"),
              "the badge: still handling the exit:\n%s", ui_gui_panel_text(g, UI_GUI_PANEL_PCPUS));
    press(g, SDLK_o);
    st = ui_dbg_last_stop(dbg);
    cr_assert_not_null(st);
    cr_expect_eq(st->kind, UI_DBG_STOP_FINISH, "%s", st->text);
    cr_expect_eq(st->ev.kind, SIM_EV_VMENTRY, "%s", st->text);
    cr_expect(strstr(g->status, "finished handling the exit: VM entry into tinyos vcpu0"), "%s",
              g->status);
    snprintf(want, sizeof want, "pc %04x_%04x", (x.pc + 4) >> 16, (x.pc + 4) & 0xffffu);
    cr_expect(strstr(ui_gui_panel_text(g, UI_GUI_PANEL_REGS), want), "past the `in` now:\n%s",
              ui_gui_panel_text(g, UI_GUI_PANEL_REGS));
    bool listed = false;
    for (size_t i = 0; i < gui_nkeys; i++)
        listed |=
            gui_keys[i].key == SDLK_o && gui_keys[i].label && strstr(gui_keys[i].help, "finish");
    cr_expect(listed, "the key help lists o for finish");
    done(g);
}

/* After `o`, the entry in TRANSITION is a deprivileged kernel's: it resumes in its virtual K,
 * which the CPU runs in U (not "resumes in U", the real mode alone). */
Test(gui_exit, an_entry_of_a_deprivileged_kernel_says_its_virtual_mode, .timeout = 120)
{
    gui_t *g = window_at_exit("trap", "EXCEPTION", 2);
    press(g, SDLK_o);
    const char *steps = ui_gui_panel_text(g, UI_GUI_PANEL_STEPS);
    cr_expect(strstr(steps, "resumes in K (virtual; the CPU runs it in U)"), "%s", steps);
    cr_expect(!strstr(steps, "resumes in U"), "%s", steps);
    done(g);
}

/* Runs `scenario` to the first hypervisor `action` of VM 0 (a breakpoint, then deleted). */
static gui_t *window_at_action(const char *scenario, const char *action, ui_dbg_stop_t *st)
{
    gui_t *g = open_window(scenario);
    cr_assert_gt(ui_dbg_break_hv(dbg, action, 0), 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, st), 0, "%s", ui_dbg_error(dbg));
    ui_dbg_delete_all(dbg);
    return g;
}

/* Stopped by a breakpoint on a hypervisor action, TRANSITION ends at that action: the rest of
 * the handling and the entry have not happened yet at that sub-step. */
Test(gui_exit, a_sub_step_lists_no_event_after_it, .timeout = 120)
{
    ui_dbg_stop_t st;
    gui_t *g = window_at_action("trap", "trap-emulate", &st);
    ui_gui_note_stop(g);
    ui_gui_render(g);
    const char *steps = ui_gui_panel_text(g, UI_GUI_PANEL_STEPS);
    const char *action =
        strstr(steps, "trap-and-emulate: tinyos vcpu0's kernel ran the privileged");
    cr_assert(action, "%s", steps);
    cr_expect(!strstr(action, "●"), "the action is the last event listed:\n%s", steps);
    done(g);
}

/* Binary translation's monitor, its pc still in the translation cache: the disassembly is the
 * guest's code, marked at the guest instruction the monitor handles. */
Test(gui_exit, a_bt_monitor_exit_lists_the_guest_instruction_it_handles, .timeout = 120)
{
    ui_dbg_stop_t st; /* the guest's first reflected trap, then the callout of its iret */
    gui_t *g = window_at_action("bt", "trap-reflect", &st);
    cr_assert_eq(ui_dbg_step_exit(dbg, &st), 0, "%s", ui_dbg_error(dbg));
    ui_gui_note_stop(g);
    ui_gui_render(g);
    ui_dbg_view_t view;
    uint32_t gpc;
    ui_dbg_view(dbg, st.cpu, &view);
    cr_assert(ui_dbg_monitor_insn(dbg, &view, &gpc), "at the monitor's exit: %s", st.text);
    const char *dis = ui_gui_panel_text(g, UI_GUI_PANEL_DISASM);
    char want[96];
    snprintf(want, sizeof want, "▼ %04x_%04x iret", gpc >> 16, gpc & 0xffffu);
    cr_expect(strstr(dis, "what the monitor handles"), "%s", dis);
    cr_expect(strstr(dis, want), "%s marked:\n%s", want, dis);
    cr_expect(!strstr(dis, ".word 0x00000000"), "%s", dis);
    done(g);
}
