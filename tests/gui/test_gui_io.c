/*
 * test_gui_io.c - the window's I/O line under each console (ui/gui/gui_io.c): a paravirtual
 * card's kicks, batches and queue indices, an entropy source's words, the figures the
 * hypervisor counted (the same as the summary's and `info nic`'s); no line when no VM has such
 * a device.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

static hv_t *hv;
static ui_dbg_t *dbg;

/* Runs a built-in scenario for `cycles` (0: to its end) and renders the window. */
static gui_t *rendered(const char *scenario, uint64_t cycles)
{
    hv = hu_scenario(&sc, &m, scenario);
    hv_run(hv, cycles ? cycles : sc.max_cycles);
    dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    return g;
}

static void done(gui_t *g)
{
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* Each row: a VM, its line; `shown` is in the consoles' panel. */
static void expect_lines(const char *scenario, const char *const rows[][2], size_t n,
                         const char *shown)
{
    gui_t *g = rendered(scenario, 0);
    char buf[160];
    cr_expect(gui_any_vm_io(g));
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(
            gui_vm_io_text(g, (unsigned)hv_vm_by_name(hv, rows[i][0]), buf, sizeof buf), rows[i][1],
            "%s", rows[i][0]);
    const char *consoles = ui_gui_panel_text(g, UI_GUI_PANEL_CONSOLE);
    cr_expect_not_null(strstr(consoles, shown), "%s", consoles);
    done(g);
}

/* io-paths: netbench's 16 pings over the paravirtual card, one kick a frame (the summary's
 * "16 frames sent, 17 frames received, 33 notifications"); the emulated VM has none of it. */
Test(gui_io, a_paravirtual_card_shows_its_kicks_batches_and_queues, .timeout = 120)
{
    static const char *const rows[][2] = {
        {"paravirtual", "pv 33 kicks, 16 batches (max 1), tx 16/16 rx 17/17"}, {"emulated", ""}};
    expect_lines("io-paths", rows, 2, "emulated I/O");
}

/* entropy: each source gave its two dice rolls 16 words; `none` has no source. */
Test(gui_io, an_entropy_source_shows_its_words, .timeout = 120)
{
    static const char *const rows[][2] = {
        {"hw", "entropy 16 words"}, {"emu", "entropy 16 words"}, {"none", ""}};
    expect_lines("entropy", rows, 3, "entropy 16"); /* five narrow columns: cut there */
}

Test(gui_io, no_line_without_such_a_device, .timeout = 120)
{
    gui_t *g = rendered("default", 3000000);
    cr_expect_not(gui_any_vm_io(g));
    cr_expect_null(strstr(ui_gui_panel_text(g, UI_GUI_PANEL_CONSOLE), "emulated I/O"));
    done(g);
}
