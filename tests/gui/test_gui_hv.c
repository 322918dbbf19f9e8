/*
 * test_gui_hv.c - the window on a hypervisor scenario, offscreen: the pCPU badge turns ring -1
 * orange-red at a VM exit (the pCPU is in H before the handler) and back to the guest's ring
 * when the VCPU is entered again; host memory shows each VM's frames in its own hue; and
 * `hvsim --screenshot --scenario default` writes its PNG.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;

static uint32_t badge_colour(const gui_t *g, unsigned cpu)
{
    ui_gui_rect_t b = ui_gui_badge_rect(g, cpu);
    cr_assert_gt(b.w, 0, "the pCPU%u badge was drawn", cpu);
    return ui_gui_pixel(g, b.x + 2, b.y + 2);
}

static unsigned pixels_of(const gui_t *g, ui_gui_rect_t r, uint32_t rgb)
{
    unsigned n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            n += ui_gui_pixel(g, x, y) == rgb;
    return n;
}

Test(gui_hv, ring_badge_changes_colour_across_a_vm_exit, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, "IO_PORT", 0), 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    cr_assert_eq(st.kind, UI_DBG_STOP_BREAKPOINT, "%s", st.text);
    ui_gui_render(g);
    cr_expect_eq(badge_colour(g, st.cpu), ui_gui_ring_rgb(CPU_MODE_H),
                 "ring -1 at the exit, before the handler: %06x", badge_colour(g, st.cpu));
    ui_dbg_delete_all(dbg);
    cr_assert_eq(ui_dbg_finish(dbg, &st), 0, "%s", ui_dbg_error(dbg)); /* to the entry */
    cr_assert(cpu_in_guest(&m.cpu[st.cpu]), "the handler ran and the guest was entered again");
    ui_gui_render(g);
    cr_expect_eq(badge_colour(g, st.cpu), ui_gui_ring_rgb(cpu_mode(&m.cpu[st.cpu])),
                 "the guest's ring after the entry: %06x", badge_colour(g, st.cpu));
    cr_expect_neq(ui_gui_ring_rgb(CPU_MODE_H), ui_gui_ring_rgb(CPU_MODE_K));
    cr_expect_gt(pixels_of(g, ui_gui_panel_rect(g, UI_GUI_PANEL_MEMMAP), gui_vm_rgb(0)), 0,
                 "tinyos's frames in its hue");
    cr_expect_gt(pixels_of(g, ui_gui_panel_rect(g, UI_GUI_PANEL_MEMMAP), gui_vm_rgb(1)), 0,
                 "rtos's frames in its own hue");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* After tinyos powers off (its shell runs one program here), its pCPU has nothing to run
 * while the rtos goes on: that time is idle, not the hypervisor's, in the ring bars' figures. */
Test(gui_hv, an_idle_pcpu_is_not_hypervisor_time, .timeout = 120)
{
    hv_t *hv = hu_scenario_text(&sc, &m, "short-tinyos",
                                "[machine]\npcpus = 2\nram = 32M\n\n"
                                "[hypervisor]\ntype = 1\nscheduler = pin\n\n"
                                "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\n"
                                "mem = nested\nbacking = lazy\ninput = hello\\npoweroff\\n\n\n"
                                "[vm rtos]\nimage = rtos.img\nmemory = 4M\ncpu = hw\n"
                                "mem = nested\nbacking = lazy\n");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_MAX_CYCLES);
    int off = hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv->vms[off].state, HV_VM_OFF, "tinyos is done by now");
    cr_assert_neq(hv->vms[hv_vm_by_name(hv, "rtos")].state, HV_VM_OFF, "the rtos still runs");
    unsigned cpu = (unsigned)hv->ent[hv->vms[off].vcpu[0]].last_cpu;
    uint64_t t[SIM_TIME_COUNT];
    sim_span_t open;
    sim_account_cpu(&m, cpu, t, &open);
    uint64_t since_off = m.cpu[cpu].s.cycles - hv->vms[off].stats.ended;
    cr_expect_eq(open.kind, SIM_TIME_IDLE, "pCPU%u is idle", cpu);
    cr_expect_geq(t[SIM_TIME_IDLE], since_off - 10000, "idle %llu, off for %llu",
                  (unsigned long long)t[SIM_TIME_IDLE], (unsigned long long)since_off);
    cr_expect_lt(t[SIM_TIME_HANDLER] + t[SIM_TIME_SWITCH], m.cpu[cpu].s.cycles / 2,
                 "the hypervisor's share is its exits, not the idle time");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_hv, screenshot_of_a_hypervisor_scenario, .timeout = 120)
{
    char path[64], cmd[256];
    snprintf(path, sizeof path, "/tmp/hvsim-hvshot-%d.png", (int)getpid());
    snprintf(cmd, sizeof cmd, "$B/hvsim --screenshot %s --after-cycles 200000 --scenario default",
             path);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 0, "%s: %s", cmd, out);
    cr_expect_eq(access(path, R_OK), 0, "the PNG is there");
    remove(path);
    free(out);
}

/* An offscreen window over a hypervisor's machine that no front end has named yet (a test's,
 * a documentation screenshot's) says what it shows: never "bare machine". */
Test(gui_hv, an_unnamed_offscreen_window_says_hypervisor, .timeout = 60)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    cr_expect_str_eq(g->title, "2 VMs under the hypervisor");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
