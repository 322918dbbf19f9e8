/*
 * sharing_plot.c - `hvsim --scenario S --sharing-plot FILE.png`: the sharing ratio over the run
 * as a bar chart (docs/memory.md, "Content-based page sharing"). It reads the same series the
 * trace's `page sharing` counter track carries: each scanner pass is an event (SIM_HV_SHARE_SCAN,
 * hypervisor/hv_share.c) with the frames saved and the guest pages backed then. A sink on the
 * machine's event stream keeps them; after the run the chart shows the ratio of the last pass
 * (frames saved per 100 guest pages backed) at each twelfth of a window: twice the time the
 * ratio took to settle (at most the run), so that three identical VMs show it converging.
 */
#include <stdlib.h>

#include "../gui/ui_gui.h"
#include "ui_hvsim.h"

#define BARS 12

typedef struct {
    uint64_t cycle;
    uint32_t saved, backed;
} pass_t;

struct ui_sharing_series {
    pass_t *pass;
    size_t n, cap;
    bool out_of_memory;
};

/* The sink: one sample per scanner pass. */
static void keep_pass(const sim_event_t *ev, void *ctx)
{
    ui_sharing_series_t *s = ctx;
    if (ev->kind != SIM_EV_HV || ev->a != SIM_HV_SHARE_SCAN || s->out_of_memory)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        pass_t *p = realloc(s->pass, cap * sizeof *p);
        if (!p) {
            s->out_of_memory = true;
            return;
        }
        s->pass = p;
        s->cap = cap;
    }
    s->pass[s->n++] = (pass_t){.cycle = ev->cycle, .saved = ev->b, .backed = ev->pc};
}

ui_sharing_series_t *ui_sharing_series_start(sim_machine_t *m)
{
    ui_sharing_series_t *s = calloc(1, sizeof *s);
    if (s && sim_add_sink(m, keep_pass, s) != 0) {
        free(s);
        s = NULL;
    }
    if (!s)
        fprintf(stderr, "hvsim: error: cannot record the sharing ratio (out of memory or too "
                        "many event sinks)\n");
    return s;
}

/* Frames saved per 100 guest pages backed, rounded down. */
static uint32_t ratio(const pass_t *p)
{
    return p->backed ? (uint32_t)((uint64_t)p->saved * 100 / p->backed) : 0;
}

/* The window to draw: twice the cycle of the first pass from which the ratio stayed as it
 * ended, at most `end` (the ratio's own history decides, not a per-scenario constant). */
static uint64_t window(const ui_sharing_series_t *s, uint64_t end)
{
    size_t settled = s->n - 1;
    while (settled > 0 && ratio(&s->pass[settled - 1]) == ratio(&s->pass[s->n - 1]))
        settled--;
    uint64_t w = 2 * s->pass[settled].cycle;
    return w && w < end ? w : end;
}

int ui_sharing_series_plot(sim_machine_t *m, ui_sharing_series_t *s, const char *path, uint64_t end)
{
    sim_remove_sink(m, keep_pass, s);
    int rc = 1;
    if (s->out_of_memory)
        fprintf(stderr, "%s: error: out of memory recording the sharing ratio\n", path);
    else if (!s->n)
        fprintf(stderr,
                "%s: error: the page-sharing scanner made no pass in this run "
                "([hypervisor] sharing = on; --scenario sharing)\n",
                path);
    else {
        ui_gui_bar_t bars[BARS];
        char labels[BARS][16];
        size_t at = 0;
        end = window(s, end);
        for (unsigned k = 0; k < BARS; k++) {
            uint64_t by = end / BARS * (k + 1); /* the last pass by the end of this twelfth */
            while (at + 1 < s->n && s->pass[at + 1].cycle <= by)
                at++;
            snprintf(labels[k], sizeof labels[k], "%.1fM", (double)by / 1e6);
            bars[k] = (ui_gui_bar_t){.label = labels[k],
                                     .value = s->pass[at].cycle <= by ? ratio(&s->pass[at]) : 0};
        }
        char title[128], n[48];
        snprintf(title, sizeof title, "sharing ratio: frames saved per 100 guest pages backed (%s)",
                 sim_counted(s->n, "scanner pass", n, sizeof n));
        rc = ui_gui_plot_bars(
                 path, title,
                 "cycles: the last pass by each twelfth of twice the time the ratio took to settle",
                 bars, BARS) == 0
                 ? 0
                 : 1;
    }
    free(s->pass);
    free(s);
    return rc;
}
