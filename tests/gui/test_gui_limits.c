/*
 * test_gui_limits.c - the window's VM figures for limits (ui/gui/gui_limits.c): under each
 * console's title, a VM's limits in short with the times each bound, the same counts as
 * `info limits`; no such line when no VM has a limit. Consoles too many to read side by side
 * become tabs.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

Test(gui_limits, each_vm_shows_its_limits_and_how_often_they_bound, .timeout = 120)
{
    static const struct {
        const char *vm, *want;
    } rows[] = {{"capped", "cap 25% x1107"},
                {"small", "mem 3M x1299"},
                {"disk", "disk 100 x1"},
                {"net", "net 20 x45"},
                {"server", ""}};
    hv_t *hv = hu_scenario(&sc, &m, "limits");
    hv_run(hv, sc.max_cycles);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    char buf[160];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect_str_eq(
            gui_vm_limits_text(g, (unsigned)hv_vm_by_name(hv, rows[i].vm), buf, sizeof buf),
            rows[i].want, "%s", rows[i].vm);
    /* Five pCPUs in 1280 px: each badge says its ring as the prompt does (H) and whole, with
     * the cycles in millions beside it. */
    const char *strip = ui_gui_panel_text(g, UI_GUI_PANEL_PCPUS);
    cr_expect_null(strstr(strip, "…"), "a badge is cut: %s", strip);
    for (unsigned i = 0; i < 5; i++) {
        char badge[48];
        snprintf(badge, sizeof badge, "pCPU%u H · hypervisor", i);
        cr_expect_not_null(strstr(strip, badge), "%s: %s", badge, strip);
    }
    /* Five consoles do not fit side by side in 1280 px: a row of tabs, and a click on a VM's
     * name shows its console, under it its limits line. */
    cr_assert_eq(g->nconsole_tabs, 5);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int vm = hv_vm_by_name(hv, rows[i].vm);
        ui_gui_rect_t tab = g->console_tab[vm];
        SDL_Event e = {.type = SDL_MOUSEBUTTONDOWN};
        e.button.button = SDL_BUTTON_LEFT;
        e.button.x = tab.x + tab.w / 2;
        e.button.y = tab.y + tab.h / 2;
        gui_handle_event(g, &e);
        ui_gui_render(g);
        const char *consoles = ui_gui_panel_text(g, UI_GUI_PANEL_CONSOLE);
        char title[64];
        snprintf(title, sizeof title, "[%s] ", rows[i].vm);
        cr_expect_not_null(strstr(consoles, title), "%s: %s", rows[i].vm, consoles);
        cr_expect_not_null(strstr(consoles, *rows[i].want ? rows[i].want : "no limits"), "%s: %s",
                           rows[i].vm, consoles);
    }
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_limits, no_line_without_limits, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    hv_run(hv, 3000000);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    const char *consoles = ui_gui_panel_text(g, UI_GUI_PANEL_CONSOLE);
    cr_expect_not(gui_any_vm_limits(g));
    cr_expect_null(strstr(consoles, "no limits"));
    /* Two VMs in 1280 px have room side by side: no tabs, both consoles at once. */
    cr_expect_eq(g->nconsole_tabs, 0);
    cr_expect_not_null(strstr(consoles, "[tinyos] "), "%s", consoles);
    cr_expect_not_null(strstr(consoles, "[rtos] "), "%s", consoles);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
