/*
 * gui_steps.c - the transition panel: what the last step did, as sub-steps. For a trapping
 * instruction that is the instruction itself, then every event it caused in order (the trap
 * with its cause, the change of ring, the handler's entry; with the hypervisor: the exit with
 * its reason, each hypervisor action, the entry back into the guest), each in the colour of
 * the ring it left the CPU in. `e` steps one event at a time, so a student can follow each.
 * The sentences are the debugger's (ui_dbg_describe_event), the same the REPL prints.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

static const sim_event_t *recent(const gui_t *g, uint64_t seq)
{
    return &g->rec.recent[seq % GUI_RECENT];
}

void gui_draw_steps(gui_t *g)
{
    uint64_t from = g->step_seq, to = g->stop_seq;
    if (to - from > GUI_RECENT)
        from = to - GUI_RECENT;
    char sub[48];
    snprintf(sub, sizeof sub, "last step: %llu event%s", (unsigned long long)(to - from),
             to - from == 1 ? "" : "s");
    int y = gui_panel_begin(g, UI_GUI_PANEL_STEPS, "TRANSITION", sub);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_STEPS];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int x0 = r.x + f->cw, rows = (r.y + r.h - y - 4) / f->lh;
    const ui_dbg_stop_t *st = ui_dbg_last_stop(g->dbg);
    if (to == from && st && st->kind == UI_DBG_STOP_EVENT && st->has_event) {
        /* a sub-step reported from what the first one ran: its own event is the news */
        char desc[256];
        ui_dbg_describe_event(g->dbg, &st->ev, desc, sizeof desc);
        gui_fill(g, r.x + 1, y, r.w - 2, f->lh * 2, 0x2d3340u);
        gui_text(g, GUI_FONT_SMALL, x0, y, gui_ring_rgb((cpu_mode_t)st->ev.mode), "●");
        gui_text_wrap(g, GUI_FONT_SMALL, x0 + f->cw * 2, y, r.w - 4 * f->cw, GUI_TEXT, desc, rows);
        return;
    }
    if (to == from) {
        gui_text(g, GUI_FONT_SMALL, x0, y, GUI_DIM,
                 g->have_seen ? "the last step raised no event" : "no step yet");
        gui_text(g, GUI_FONT_SMALL, x0, y + f->lh, GUI_DIM,
                 "s: one instruction · t: to the next trap · e: one event");
        return;
    }
    int line = 0;
    /* The newest events that fit, each wrapped to the panel's width. */
    uint64_t first = to;
    int need = 0;
    while (first > from && need + 2 <= rows - line - 1) {
        first--;
        need += 2;
    }
    if (first > from) {
        gui_textf(g, GUI_FONT_SMALL, x0, y + line * f->lh, GUI_DIM, "… %llu earlier event%s",
                  (unsigned long long)(first - from), first - from == 1 ? "" : "s");
        line++;
    }
    int text_w = r.w - 4 * f->cw;
    for (uint64_t s = first; s < to && line < rows; s++) {
        const sim_event_t *ev = recent(g, s);
        char desc[256], insn[200];
        /* A trap or an exit is preceded by the instruction that caused it: its first step,
         * read where the program saw it (a guest's through the guest's own translation). */
        if ((ev->kind == SIM_EV_TRAP || gui_event_is_exit(ev)) && line < rows - 1 &&
            ui_dbg_guest_insn(g->dbg, ev, insn, sizeof insn)) {
            gui_textf(g, GUI_FONT_SMALL, x0 + f->cw * 2, y + line * f->lh,
                      gui_ring_rgb((cpu_mode_t)ev->from_mode), "%s %s %s",
                      gui_event_is_exit(ev) ? "the guest" : "the CPU", ui_dbg_insn_verb(ev), insn);
            line++;
        }
        ui_dbg_describe_event(g->dbg, ev, desc, sizeof desc);
        int ly = y + line * f->lh;
        int max = rows - line;
        int lines = s + 1 == to ? max : (max > 2 ? 2 : max);
        if (s + 1 == to)
            gui_fill(g, r.x + 1, ly, r.w - 2, f->lh * (lines < 2 ? lines : 2), 0x2d3340u);
        gui_text(g, GUI_FONT_SMALL, x0, ly, gui_ring_rgb((cpu_mode_t)ev->mode), "●");
        line += gui_text_wrap(g, GUI_FONT_SMALL, x0 + f->cw * 2, ly, text_w,
                              s + 1 == to ? GUI_TEXT : 0xb8c0cdu, desc, lines);
    }
}
