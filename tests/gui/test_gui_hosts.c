/*
 * test_gui_hosts.c - the two hosts of a live migration in the window (ui/gui/gui_hosts.c): in
 * the host memory panel's place, each host with its pCPUs, its RAM and VMs, the link with the pages in
 * flight (drawn in the hypervisor's colour while pages move), and the pages of each round;
 * after the switch the VM is on the other host and the link says the downtime.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

static void expect_has(const char *text, const char *want)
{
    cr_expect_not_null(strstr(text, want), "want \"%s\" in:\n%s", want, text);
}

Test(gui_hosts, both_hosts_their_vms_and_the_pages_in_flight, .timeout = 300)
{
    hv_t *hv = hu_scenario(&sc, &m, "migrate");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    /* round 1 is on the link from 2 546 746 to 2 724 273 (docs/migration.md): 409 pages */
    hv_run(hv, 2600000);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    const char *text = ui_gui_panel_text(g, UI_GUI_PANEL_MEMMAP);
    expect_has(text, "HOSTS");
    expect_has(text, "host0  pCPU 0 1");
    expect_has(text, "host1  pCPU 2");
    expect_has(text, "■ tinyos running (moving)");
    expect_has(text, "■ rtos running");
    expect_has(text, "to host1: round 1, 409 pages in flight");
    /* each host's own RAM: host1 holds the copies sent so far */
    expect_has(text, "host0  pCPU 0 1  RAM 32 768 KiB, 25 576 KiB free");
    expect_has(text, "host1  pCPU 2  RAM 32 768 KiB, 26 096 KiB free");
    expect_has(text, "1286");
    ui_gui_rect_t r = ui_gui_panel_rect(g, UI_GUI_PANEL_MEMMAP);
    unsigned lit = 0;
    for (int x = r.x; x < r.x + r.w; x++)
        for (int y = r.y; y < r.y + r.h / 2; y++)
            lit += ui_gui_pixel(g, x, y) == GUI_RINGM1;
    cr_expect_gt(lit, 20, "the link is drawn in the hypervisor's colour while pages move");
    const char *first;
    cr_expect_eq(ui_gui_clipped(g, &first), 0, "%s", first);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    text = ui_gui_panel_text(g, UI_GUI_PANEL_MEMMAP);
    expect_has(text, "to host1: done, downtime 16 964 cycles");
    /* host0 has tinyos's frames back (its image and the rtos remain), host1 holds tinyos */
    expect_has(text, "host0  pCPU 0 1  RAM 32 768 KiB, 32 416 KiB free");
    expect_has(text, "host1  pCPU 2  RAM 32 768 KiB, 24 664 KiB free");
    /* tinyos is listed in host1's box now: after host1's title, not before it */
    const char *h1 = strstr(text, "host1  pCPU 2"), *t = strstr(text, "■ tinyos");
    cr_expect(h1 && t && t > h1, "%s", text);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* One host: the host memory map as before. */
Test(gui_hosts, one_host_keeps_the_memory_map, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_gui_keep_text(g);
    ui_gui_render(g);
    expect_has(ui_gui_panel_text(g, UI_GUI_PANEL_MEMMAP), "HOST MEMORY");
    ui_dbg_hosts_t h;
    cr_expect_eq(ui_dbg_hosts(dbg, &h), -1);
    cr_expect_str_eq(ui_dbg_error(dbg), "This machine has one host: a scenario with [host.0] and "
                                        "[host.1] has two (docs/migration.md).");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
