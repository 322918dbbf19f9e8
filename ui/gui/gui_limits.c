/*
 * gui_limits.c - a VM's limits in short, under its console's title: each limit it has and
 * how often it bound, "cap 25% x1227, mem 3M x1298, disk 100 x1, net 20 x45"
 * (disk and net in bytes per 1 000 cycles; xN: the times it bound, as `info limits` counts
 * them through the debugger). The line is there when some VM has a limit; a VM without
 * limits shows "no limits" on it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "gui_internal.h"

/* Appends ", WHAT xN" (xN only when it bound) to buf at *at. */
static void item(char *buf, size_t len, size_t *at, const char *what, uint64_t bound)
{
    char n[32] = ""; /* plain digits: the column is narrow */
    if (bound)
        snprintf(n, sizeof n, " x%" PRIu64, bound);
    int k = snprintf(buf + *at, len - *at, "%s%s%s", *at ? ", " : "", what, n);
    if (k > 0 && (size_t)k < len - *at)
        *at += (size_t)k;
}

/* The short text of VM vm's limits into buf ("" when it has none); returns buf. */
const char *gui_vm_limits_text(gui_t *g, unsigned vm, char *buf, size_t len)
{
    ui_dbg_limits_t l;
    size_t at = 0;
    char what[64], a[32];
    buf[0] = '\0';
    if (ui_dbg_vm_limits(g->dbg, vm, &l) != 0)
        return buf;
    if (l.cap) {
        snprintf(what, sizeof what, "cap %u%%", l.cap);
        item(buf, len, &at, what, l.cap_stops);
    }
    if (l.resident_max < l.pages) {
        uint64_t kib = (uint64_t)l.resident_max * 4; /* frames of 4 KiB */
        snprintf(what, sizeof what, "mem %" PRIu64 "%s", kib % 1024 ? kib : kib / 1024,
                 kib % 1024 ? "K" : "M"); /* as a scenario writes sizes */
        item(buf, len, &at, what, l.limit_swaps);
    }
    if (l.disk_bw) {
        snprintf(what, sizeof what, "disk %s", sim_group_digits(l.disk_bw, a, sizeof a));
        item(buf, len, &at, what, l.disk_held);
    }
    if (l.net_bw) {
        snprintf(what, sizeof what, "net %s", sim_group_digits(l.net_bw, a, sizeof a));
        item(buf, len, &at, what, l.net_held);
    }
    return buf;
}

bool gui_any_vm_limits(gui_t *g)
{
    char text[160];
    for (unsigned i = 0; i < ui_dbg_vm_count(g->dbg); i++)
        if (*gui_vm_limits_text(g, i, text, sizeof text))
            return true;
    return false;
}

/* Draws the limits under a console's title (at x, at most w wide); nothing without limits. */
void gui_draw_vm_limits(gui_t *g, unsigned vm, int x, int y, int w)
{
    char text[160];
    if (w > 0)
        gui_text_fit(g, GUI_FONT_SMALL, x, y, w, GUI_DIM,
                     *gui_vm_limits_text(g, vm, text, sizeof text) ? text : "no limits");
}
