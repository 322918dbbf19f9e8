/*
 * test_gui_timeline.c - the timeline's lanes: a VM's guest time in its own hue (the ring as
 * its shade), VM entries and exits changing the lane, lanes per VCPU as well as per pCPU, and
 * the guests' own marks (the rtos marks each deadline it misses, in its mark ring), which also go
 * into the trace as instant events.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;

static unsigned pixels_in_row(const gui_t *g, int x0, int x1, int y, uint32_t rgb)
{
    unsigned n = 0;
    for (int x = x0; x < x1; x++)
        n += ui_gui_pixel(g, x, y) == rgb;
    return n;
}

/* The y of the middle of lane i (pCPU lanes first), found from the lane's label column. */
static int lane_mid(const gui_t *g, unsigned i, unsigned lanes)
{
    ui_gui_rect_t r = ui_gui_panel_rect(g, UI_GUI_PANEL_TIMELINE);
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int y0 = r.y + f->lh * 2 + 8, avail = r.y + r.h - y0 - f->lh * 2 - 6;
    int h = avail / (int)lanes;
    h = h > f->lh * 2 ? f->lh * 2 : h;
    return y0 + (int)i * h + h / 2 + 2;
}

Test(gui_timeline, vcpu_lanes_show_each_vm_in_its_hue, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "overcommit");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    hv_run(hv, 8000000); /* a few of the 1 ms slices: both VMs have run */
    gui_timeline_vcpus(g);
    ui_gui_render(g);                /* lays the panels out */
    gui_timeline_zoom(g, -1, 64.0); /* out, to the whole run: its end is both VMs halted */
    ui_gui_render(g);
    ui_gui_save_png(g, "/tmp/hvsim-vcpu-lanes.png");
    ui_gui_rect_t r = ui_gui_panel_rect(g, UI_GUI_PANEL_TIMELINE);
    int tinyos = hv_vm_by_name(hv, "tinyos"), rtos = hv_vm_by_name(hv, "rtos");
    /* One pCPU, then tinyos/0 and rtos/0: each VCPU lane holds its own VM's guest time. */
    int yt = lane_mid(g, 1 + (unsigned)tinyos, 3), yr = lane_mid(g, 1 + (unsigned)rtos, 3);
    cr_expect_gt(pixels_in_row(g, r.x, r.x + r.w, yr, gui_vm_shade(rtos, false)), 20,
                 "the rtos's kernel time on its VCPU lane");
    cr_expect_eq(pixels_in_row(g, r.x, r.x + r.w, yr, gui_vm_shade(tinyos, false)), 0,
                 "no tinyos time on the rtos's lane");
    cr_expect_eq(pixels_in_row(g, r.x, r.x + r.w, yt, gui_vm_shade(rtos, false)), 0,
                 "no rtos time on tinyos's lane");
    int yp = lane_mid(g, 0, 3); /* the pCPU lane: both, and the world switches between */
    cr_expect_gt(pixels_in_row(g, r.x, r.x + r.w, yp, gui_vm_shade(rtos, false)), 0);
    cr_expect_gt(pixels_in_row(g, r.x, r.x + r.w, yp, GUI_SWITCH), 0, "exits and entries");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* Each VM entry and exit changes the pCPU's lane: a switch span, then the guest's or the
 * hypervisor's. */
Test(gui_timeline, entries_and_exits_change_the_lane, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 400000);
    const gui_lane_t *lane = &g->rec.lane[0];
    for (size_t i = 0; i + 1 < lane->nspans; i++) {
        const sim_span_t *a = gui_lane_span(lane, i), *b = gui_lane_span(lane, i + 1);
        cr_assert_eq(a->start + a->dur, b->start, "spans follow each other");
    }
    unsigned entries = 0, exits = 0, lane_changes = 0;
    for (size_t i = 0; i < lane->n;
         i++) { /* at each entry a switch span ends; at each exit one begins */
        const sim_event_t *ev = gui_lane_event(lane, i);
        if (ev->kind != SIM_EV_VMENTRY && ev->kind != SIM_EV_VMEXIT)
            continue;
        bool entry = ev->kind == SIM_EV_VMENTRY;
        entries += entry;
        exits += !entry;
        for (size_t k = 0; k < lane->nspans; k++) {
            const sim_span_t *sp = gui_lane_span(lane, k);
            if (sp->kind == SIM_TIME_SWITCH &&
                (entry ? sp->start + sp->dur : sp->start) == ev->cycle) {
                lane_changes++;
                break;
            }
        }
    }
    cr_expect_gt(entries, 10);
    cr_expect_eq(lane_changes, entries + exits, "%u entries and %u exits, %u lane changes", entries,
                 exits, lane_changes);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

static unsigned count_marks(const gui_t *g)
{
    unsigned n = 0;
    for (unsigned c = 0; c < m.ncpus; c++)
        for (size_t i = 0; i < g->rec.lane[c].n; i++) {
            const sim_event_t *ev = gui_lane_event(&g->rec.lane[c], i);
            n += ev->kind == SIM_EV_HV && ev->a == SIM_HV_MARK;
        }
    return n;
}

/* The rtos marks every deadline it misses: as many marks on the lanes as misses it reports,
 * none when pinned (it misses nothing), each named and described. */
Test(gui_timeline, the_rtos_marks_each_missed_deadline, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "overcommit");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const char *out = hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "rtos"));
    const char *all = strstr(out, "after the start: ");
    cr_assert_not_null(all, "%s", out);
    unsigned misses = (unsigned)strtoul(all + strlen("after the start: "), NULL, 10);
    cr_expect_gt(misses, 10);
    cr_expect_eq(count_marks(g), misses, "%u marks, %u misses", count_marks(g), misses);
    for (size_t i = 0; i < g->rec.lane[0].n; i++) {
        const sim_event_t *ev = gui_lane_event(&g->rec.lane[0], i);
        char desc[256];
        if (ev->kind != SIM_EV_HV)
            continue;
        cr_assert(ui_dbg_describe_mark(dbg, ev, desc, sizeof desc));
        cr_expect_eq(strncmp(desc, "rtos vcpu0 marked \"deadline miss\" (value ", 41), 0, "%s",
                     desc);
        break;
    }
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
    hv = hu_scenario(&sc, &m, "default");
    dbg = ui_dbg_new(&m);
    g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(count_marks(g), 0, "pinned, the rtos misses nothing and marks nothing");
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_timeline, marks_go_into_the_trace_as_instants, .timeout = 120)
{
    char path[64], cmd[160];
    snprintf(path, sizeof path, "/tmp/hvsim-marks-%d.json", (int)getpid());
    snprintf(cmd, sizeof cmd, "$B/hvsim --headless --scenario overcommit --trace-out %s", path);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_assert_eq(status, 0, "%s", out);
    size_t len;
    char *json = sim_read_file(path, &len);
    cr_assert_not_null(json);
    unsigned n = 0;
    for (const char *p = json; (p = strstr(p, "\"name\":\"mark: deadline miss\"")); p++)
        n++;
    const char *all = strstr(out, "after the start: ");
    cr_assert_not_null(all);
    cr_expect_eq(n, (unsigned)strtoul(all + strlen("after the start: "), NULL, 10));
    cr_expect_not_null(strstr(json, "\"cat\":\"mark\""));
    free(json);
    free(out);
    remove(path);
}
