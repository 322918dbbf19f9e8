/*
 * gui_io.c - a VM's I/O in short, under its console's title (below its limits), for the
 * devices that have no registers of a real card to show:
 *
 *   pv 33 kicks, 16 batches (max 1), tx 16/16 rx 17/17; entropy 16 words
 *
 * The paravirtual card (nic = pv, hypervisor/hv_pvnet.c): the kicks (notifications) and the
 * batches they sent, with the largest, first (the narrow column may cut the rest), then each
 * queue's indices as the hypervisor has taken/used them (transmit, then receive); the entropy
 * source (entropy = on, hv_entropy.c): the words it gave. The figures come through the debugger
 * (ui_dbg_vm_io), the ones `info nic` and `info entropy` print. The line is there when some VM has
 * such a device; a VM without one shows "emulated I/O" on it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "gui_internal.h"

/* The short text of VM vm's paravirtual card and entropy source into buf ("" when it has
 * neither); returns buf. Plain digits: the column is narrow. */
const char *gui_vm_io_text(gui_t *g, unsigned vm, char *buf, size_t len)
{
    ui_dbg_vm_io_t io;
    size_t at = 0;
    buf[0] = '\0';
    if (ui_dbg_vm_io(g->dbg, vm, &io) != 0)
        return buf;
    if (io.pv) {
        int k = snprintf(buf, len,
                         "pv %" PRIu64 " kicks, %" PRIu64 " batches (max %" PRIu32 "), tx %" PRIu32
                         "/%" PRIu32 " rx %" PRIu32 "/%" PRIu32 "%s",
                         io.notifies, io.batches, io.largest, io.taken[0], io.used[0], io.taken[1],
                         io.used[1], io.pv_up ? "" : ", not set up");
        at = k > 0 && (size_t)k < len ? (size_t)k : 0;
    }
    if (io.entropy)
        snprintf(buf + at, len - at, "%sentropy %" PRIu64 " words", at ? "; " : "",
                 io.entropy_words);
    return buf;
}

bool gui_any_vm_io(gui_t *g)
{
    char text[160];
    for (unsigned i = 0; i < ui_dbg_vm_count(g->dbg); i++)
        if (*gui_vm_io_text(g, i, text, sizeof text))
            return true;
    return false;
}

/* Draws the I/O line (at x, at most w wide). */
void gui_draw_vm_io(gui_t *g, unsigned vm, int x, int y, int w)
{
    char text[160];
    if (w > 0)
        gui_text_fit(g, GUI_FONT_SMALL, x, y, w, GUI_DIM,
                     *gui_vm_io_text(g, vm, text, sizeof text) ? text : "emulated I/O");
}
