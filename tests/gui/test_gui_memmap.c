/*
 * test_gui_memmap.c - HOST MEMORY as an overview: cells of a power-of-two number of frames
 * (64 MiB fits at 1280x800, cells of at least 5 pixels), each in its owner's colour, and a
 * selected cell says which frames it holds and whose tables map them; under the hypervisor's
 * swap line, the guests' own swapping and double paging.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

#define VM(name, image, mem) "[vm " name "]\nimage = " image "\nrom = rom.bin\nmemory = " mem "\n"

Test(gui_memmap, sixty_four_mib_in_cells_that_say_whose_they_are, .timeout = 120)
{
    hv_t *hv = hu_scenario_text(&sc, &m, "big",
                                "[machine]\npcpus = 2\nram = 64M\n[hypervisor]\ntype = 1\n" VM(
                                    "tinyos", "tinyos.img", "8M") VM("rtos", "rtos.img", "4M"));
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 3000000);
    ui_gui_render(g);
    cr_expect_eq(g->nframes, 16384u);
    cr_expect_eq(g->mem_cells & (g->mem_cells - 1), 0, "a power of two: %u", g->mem_cells);
    /* Select the first cell that is mostly tinyos's: the readout names it and its tables. */
    int tinyos = hv_vm_by_name(hv, "tinyos");
    uint32_t fr = 0;
    while (fr < g->nframes && ui_dbg_frame_owner(dbg, fr) != tinyos)
        fr++;
    cr_assert_lt(fr, g->nframes, "tinyos owns frames");
    g->mem_sel = (int)(fr / (g->mem_cells ? g->mem_cells : 1));
    ui_gui_render(g);
    cr_expect_not_null(strstr(g->mem_frames, "tinyos"), "%s", g->mem_frames);
    cr_expect_not_null(strstr(g->mem_text, "tinyos's tables"), "%s", g->mem_text);
    cr_expect_gt(g->mem_cells, 0);
    const char *first;
    cr_expect_eq(ui_gui_clipped(g, &first), 0, "%s", first);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* Page sharing: a cell of shared frames says so, and that VMs map them read-only. */
Test(gui_memmap, shared_frames_have_their_own_colour, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "sharing");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 3000000);
    ui_gui_render(g);
    uint32_t fr = 0;
    while (fr < g->nframes && ui_dbg_frame_owner(dbg, fr) != UI_DBG_OWNER_SHARED)
        fr++;
    cr_assert_lt(fr, g->nframes, "the scanner shared frames by cycle 3 000 000");
    g->mem_sel = (int)(fr / (g->mem_cells ? g->mem_cells : 1));
    ui_gui_render(g);
    cr_expect_not_null(strstr(g->mem_frames, "shared"), "%s", g->mem_frames);
    cr_expect_not_null(strstr(g->mem_text, "read-only (shared)"), "%s", g->mem_text);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* The window's memory panel, at the end of the run: under the hypervisor's swap line, each
 * layer's counts of the focus VM (every swapping VM's while the focus is the hypervisor), the
 * figures --stats prints; it fits its panel. */
Test(gui_memmap, the_panel_shows_the_guests_own_swapping, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "double-paging");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, -1), 0, "%s", ui_dbg_error(dbg));
    ui_gui_keep_text(g);
    ui_gui_render(g);
    const char *panel = ui_gui_panel_text(g, UI_GUI_PANEL_MEMMAP);
    cr_expect(strstr(panel, "guest's own swap: 86 out, 66 in, 0 double paged"), "%s", panel);
    cr_expect(strstr(panel, "both's own swap: 86 out, 66 in, 35 double paged"), "%s", panel);
    const char *first;
    cr_expect_eq(ui_gui_clipped(g, &first), 0, "%s", first);
    cr_assert_eq(ui_dbg_set_focus_vm(dbg, 1), 0, "%s", ui_dbg_error(dbg));
    ui_gui_keep_text(g);
    ui_gui_render(g);
    panel = ui_gui_panel_text(g, UI_GUI_PANEL_MEMMAP);
    cr_expect(strstr(panel, "both's own swap: 86 out, 66 in, 35 double paged"), "%s", panel);
    cr_expect_null(strstr(panel, "guest's own swap"), "the focus VM's only: %s", panel);
    char buf[96];
    cr_expect(gui_guest_swap_text(g, 1, buf, sizeof buf));
    cr_expect_not(gui_guest_swap_text(g, 5, buf, sizeof buf), "no VM 5");
    cr_expect_str_eq(buf, "");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
