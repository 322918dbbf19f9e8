/*
 * test_gui_layout.c - no text runs past its panel: every built-in scenario (and the bare
 * machine) is drawn at several points of its run, at 1280x800 and 1920x1080, and the text
 * drawing must not have had to cut a single run at a panel's edge (ui_gui_clipped). Machines
 * of 3 and 4 pCPUs with 1 to 4 VMs too. Nor may a run be drawn over another (their inks
 * overlapping): markers on markers, titles on titles.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

typedef struct {
    size_t scenario; /* a built-in, or one of `wide` below (SIZE_MAX - i) */
    int w, h;
} layout_case_t;

/* Machines wider than the built-ins: 3 and 4 pCPUs with 1 to 4 VMs. */
#define VM(name, image, mem) "[vm " name "]\nimage = " image "\nrom = rom.bin\nmemory = " mem "\n"
#define MACHINE(pcpus, type, sched)                                                               \
    "[machine]\npcpus = " pcpus "\nram = 64M\n[hypervisor]\ntype = " type "\nscheduler = " sched "\n"
#define VMS2 VM("tinyos", "tinyos.img", "8M") VM("rtos", "rtos.img", "4M")
#define VMS3 VMS2 VM("tinyos2", "tinyos.img", "8M")
#define VMS4 VMS3 VM("rtos2", "rtos.img", "4M")
static const char *const wide[] = {
    MACHINE("3", "1", "overcommit") VMS4,
    MACHINE("4", "2", "pin") VMS4,
    MACHINE("3", "1", "pin") VM("tinyos", "tinyos.img", "8M"),
    MACHINE("3", "2", "pin") VMS2,
    MACHINE("3", "1", "pin") VMS3,
    MACHINE("4", "1", "pin") VM("rtos", "rtos.img", "4M"),
    MACHINE("4", "1", "overcommit") VMS2,
    MACHINE("4", "1", "pin") VMS3,
};
#define NWIDE (sizeof wide / sizeof wide[0])

ParameterizedTestParameters(gui_layout, no_text_is_cut)
{
    static layout_case_t cases[96];
    size_t n = 0;
    for (size_t i = 0; i < hv_builtin_count() + NWIDE && n + 2 <= 96; i++) {
        size_t sc_i = i < hv_builtin_count() ? i : SIZE_MAX - (i - hv_builtin_count());
        cases[n++] = (layout_case_t){sc_i, 1280, 800};
        cases[n++] = (layout_case_t){sc_i, 1920, 1080};
    }
    return cr_make_param_array(layout_case_t, cases, n);
}

/* Draws the window and fails on any clipped text, naming the scenario, size and moment. */
static void expect_no_clipping(gui_t *g, const char *name, const layout_case_t *c, const char *when)
{
    ui_gui_render(g);
    if (getenv("HVSIM_LAYOUT_PNG")) { /* to look at: HVSIM_LAYOUT_PNG=DIR */
        char path[256];
        snprintf(path, sizeof path, "%s/%s-%dx%d-%c.png", getenv("HVSIM_LAYOUT_PNG"), name, c->w,
                 c->h, when[3]);
        ui_gui_save_png(g, path);
    }
    const char *first;
    unsigned n = ui_gui_clipped(g, &first);
    cr_expect_eq(n, 0, "%s at %dx%d, %s: %u runs of text cut, the first %s", name, c->w, c->h, when,
                 n, first);

}

ParameterizedTest(layout_case_t *c, gui_layout, no_text_is_cut, .timeout = 300)
{
    bool builtin = c->scenario < hv_builtin_count();
    char wide_name[32];
    snprintf(wide_name, sizeof wide_name, "wide%zu", SIZE_MAX - c->scenario);
    const char *name = builtin ? hv_builtin_name(c->scenario) : wide_name;
    hv_t *hv = builtin ? hu_scenario(&sc, &m, name)
                       : hu_scenario_text(&sc, &m, name, wide[SIZE_MAX - c->scenario]);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, c->w, c->h);
    cr_assert_not_null(g);
    expect_no_clipping(g, name, c, "at the start");
    hv_run(hv, 300000);
    expect_no_clipping(g, name, c, "at cycle 300 000");
    ui_dbg_stop_t st; /* a stop at an exit: the status bar's longest sentences */
    if (ui_dbg_break_exit(dbg, "IO_PORT", -1) > 0 && ui_dbg_continue(dbg, &st) == 0) {
        ui_gui_note_stop(g);
        expect_no_clipping(g, name, c, "at an IO_PORT exit");
        ui_dbg_delete_all(dbg);
    }
    hv_run(hv, sc.max_cycles);
    ui_gui_note_stop(g);
    expect_no_clipping(g, name, c, "at the end");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* The overlap check itself: runs side by side pass, a run drawn over another is named (its ink,
 * not its box: "▼" over "▲" in the rows of one lane do not touch). */
Test(gui_layout, a_run_drawn_over_another_is_found)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_gui_render(g);
    cr_assert_eq(ui_gui_clipped(g, NULL), 0);
    int cw = g->font[GUI_FONT_NORMAL].cw, lh = g->font[GUI_FONT_NORMAL].lh;
    SDL_RenderSetClipRect(g->ren, NULL);
    gui_text(g, GUI_FONT_NORMAL, 10, 200, GUI_TEXT, "side");
    gui_text(g, GUI_FONT_NORMAL, 10 + 4 * cw, 200, GUI_TEXT, "  by side");
    gui_text(g, GUI_FONT_NORMAL, 10, 200 + lh, GUI_TEXT, "the next line");
    gui_text_overlaps(g);
    const char *first;
    cr_expect_eq(ui_gui_clipped(g, &first), 0, "%s", first);
    gui_text(g, GUI_FONT_NORMAL, 10 + 2 * cw, 200 + lh / 2, GUI_TEXT, "over");
    g->nclipped = 0;
    gui_text_overlaps(g);
    cr_expect_eq(ui_gui_clipped(g, &first), 1);
    cr_expect_not_null(strstr(first, "overlap: \"over\" at"), "%s", first);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
