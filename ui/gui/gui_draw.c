/*
 * gui_draw.c - the frame: the layout of UX.md (controls and pCPU strip on top; registers,
 * disassembly and page walk; the timeline beside the transition panel; host memory, TLB and
 * consoles; a status line), the drawing helpers every panel uses, and taking in new stops so
 * that the panels can highlight what the last step changed.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

uint32_t gui_ring_rgb(cpu_mode_t mode)
{
    static const uint32_t rgb[] = {[CPU_MODE_U] = GUI_RING3, [CPU_MODE_K] = GUI_RING0,
                                   [CPU_MODE_H] = GUI_RINGM1};
    return mode <= CPU_MODE_H ? rgb[mode] : GUI_DIM;
}

uint32_t ui_gui_ring_rgb(cpu_mode_t mode)
{
    return gui_ring_rgb(mode);
}

const char *gui_ring_name(cpu_mode_t mode)
{
    static const char *const name[] = {[CPU_MODE_U] = "ring 3", [CPU_MODE_K] = "ring 0",
                                       [CPU_MODE_H] = "ring -1"};
    return mode <= CPU_MODE_H ? name[mode] : "ring ?";
}

const char *gui_hex(uint32_t v, char *buf)
{
    snprintf(buf, 10, "%04x_%04x", v >> 16, v & 0xffffu);
    return buf;
}

void gui_set_color(gui_t *g, uint32_t rgb, uint8_t alpha)
{
    SDL_SetRenderDrawColor(g->ren, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff, alpha);
}

void gui_fill(gui_t *g, int x, int y, int w, int h, uint32_t rgb)
{
    if (w <= 0 || h <= 0)
        return;
    gui_set_color(g, rgb, 255);
    SDL_Rect r = {x, y, w, h};
    SDL_RenderFillRect(g->ren, &r);
}

void gui_fill_rects(gui_t *g, const SDL_Rect *r, int n, uint32_t rgb)
{
    if (n <= 0)
        return;
    gui_set_color(g, rgb, 255);
    SDL_RenderFillRects(g->ren, r, n);
}

void gui_frame_rect(gui_t *g, int x, int y, int w, int h, uint32_t rgb)
{
    gui_set_color(g, rgb, 255);
    SDL_Rect r = {x, y, w, h};
    SDL_RenderDrawRect(g->ren, &r);
}

int gui_panel_begin(gui_t *g, ui_gui_panel_t p, const char *title, const char *subtitle)
{
    ui_gui_rect_t r = g->panel[p];
    gui_fill(g, r.x, r.y, r.w, r.h, GUI_PANEL);
    gui_frame_rect(g, r.x, r.y, r.w, r.h, GUI_BORDER);
    SDL_Rect clip = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    SDL_RenderSetClipRect(g->ren, &clip);
    const gui_font_t *f = &g->font[GUI_FONT_BOLD];
    int pad = f->cw / 2 + 2;
    int x = r.x + pad;
    if (title)
        x += gui_text(g, GUI_FONT_BOLD, x, r.y + 3, GUI_TITLE, title);
    if (subtitle) /* shortened with an ellipsis to the panel's width, never cut */
        gui_text_fit(g, GUI_FONT_NORMAL, x + f->cw * 2, r.y + 3, r.x + r.w - pad - x - f->cw * 2,
                     GUI_DIM, subtitle);
    return r.y + 3 + f->lh + 2;
}

/*
 * The layout, in fractions of the window so that it reads the same at 1280x800 and 1920x1080:
 *   controls (one line) / pCPU strip (one line)
 *   registers | disassembly | page walk          ~42% of the rest
 *   timeline              | transition           ~24%
 *   host memory | TLB and IOMMU | consoles       the remainder
 *   status (one line)
 */
void gui_layout(gui_t *g)
{
    int lh = g->font[GUI_FONT_NORMAL].lh;
    int W = g->w, H = g->h, gap = 4;
    int top = lh + 10, strip = lh + 12, status = gui_status_height(g);
    ui_gui_rect_t *p = g->panel;
    p[UI_GUI_PANEL_TOPBAR] = (ui_gui_rect_t){0, 0, W, top};
    p[UI_GUI_PANEL_PCPUS] = (ui_gui_rect_t){gap, top, W - 2 * gap, strip};
    int y = top + strip + gap;
    int rest = H - y - status - gap;
    int h1 = rest * 42 / 100, h2 = rest * 25 / 100, h3 = rest - h1 - h2 - 2 * gap;
    int c1 = (W - 4 * gap) * 30 / 100, c2 = (W - 4 * gap) * 34 / 100;
    int c3 = W - 4 * gap - c1 - c2;
    p[UI_GUI_PANEL_REGS] = (ui_gui_rect_t){gap, y, c1, h1};
    p[UI_GUI_PANEL_DISASM] = (ui_gui_rect_t){2 * gap + c1, y, c2, h1};
    p[UI_GUI_PANEL_WALK] = (ui_gui_rect_t){3 * gap + c1 + c2, y, c3, h1};
    y += h1 + gap;
    int t1 = (W - 3 * gap) * 64 / 100;
    p[UI_GUI_PANEL_TIMELINE] = (ui_gui_rect_t){gap, y, t1, h2};
    p[UI_GUI_PANEL_STEPS] = (ui_gui_rect_t){2 * gap + t1, y, W - 3 * gap - t1, h2};
    y += h2 + gap;
    int b1 = (W - 4 * gap) * 26 / 100, b2 = (W - 4 * gap) * 36 / 100;
    p[UI_GUI_PANEL_MEMMAP] = (ui_gui_rect_t){gap, y, b1, h3};
    p[UI_GUI_PANEL_TLB] = (ui_gui_rect_t){2 * gap + b1, y, b2, h3};
    p[UI_GUI_PANEL_CONSOLE] = (ui_gui_rect_t){3 * gap + b1 + b2, y, W - 4 * gap - b1 - b2, h3};
    p[UI_GUI_PANEL_STATUS] = (ui_gui_rect_t){0, H - status, W, status};
}

/* Takes in the debugger's last stop when it is new (made by a key, a button or the REPL). */
void gui_sync(gui_t *g)
{
    const ui_dbg_stop_t *st = ui_dbg_last_stop(g->dbg);
    if (!st || (g->have_seen && memcmp(st, &g->seen, sizeof *st) == 0))
        return;
    g->seen = *st;
    g->have_seen = true;
    ui_gui_note_stop(g);
    snprintf(g->status, sizeof g->status, "%s%s", st->text,
             g->m->powered_off ? " The window stays open to look at: r runs it again from "
                                 "cycle 0, q quits."
                               : "");
    g->status_rgb = g->m->powered_off ? GUI_WARN : GUI_TEXT;
}

void ui_gui_note_stop(gui_t *g)
{
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        g->before[i] = g->now[i];
        g->now[i] = ui_dbg_cpu(g->dbg, i)->s;
    }
    g->step_seq = g->stop_seq;
    g->stop_seq = g->rec.recent_seq; /* at a sub-step: not the rest of the handling, yet */
    size_t ahead = ui_dbg_events_ahead(g->dbg);
    if (ahead <= g->stop_seq - g->step_seq)
        g->stop_seq -= ahead;
    const ui_dbg_stop_t *st = ui_dbg_last_stop(g->dbg);
    if (st) {
        g->seen = *st;
        g->have_seen = true;
    }
}

/* The host memory panel, or the two hosts of a migration scenario in its place. */
static void draw_memory_or_hosts(gui_t *g)
{
    if (gui_hosts_shown(g))
        gui_draw_hosts(g);
    else
        gui_draw_memmap(g);
}

void gui_draw_frame(gui_t *g)
{
    gui_layout(g);
    gui_set_color(g, GUI_BG, 255);
    SDL_RenderSetClipRect(g->ren, NULL);
    SDL_RenderClear(g->ren);
    static void (*const panels[])(gui_t *) = {
        gui_draw_topbar, gui_draw_pcpus,    gui_draw_regs,   gui_draw_disasm,
        gui_draw_walk,   gui_draw_timeline, gui_draw_steps,  draw_memory_or_hosts,
        gui_draw_tlb,    gui_draw_console,  gui_draw_status,
    };
    g->nclipped = 0;
    g->clipped[0] = '\0';
    g->nruns = 0;
    g->text_runs = g->text_copies = 0;
    for (size_t i = 0; i < sizeof panels / sizeof panels[0]; i++) {
        ui_gui_rect_t r = g->panel[i]; /* in the order of the panels: text stays inside */
        SDL_Rect clip = {r.x, r.y, r.w, r.h};
        SDL_RenderSetClipRect(g->ren, &clip);
        panels[i](g);
        SDL_RenderSetClipRect(g->ren, NULL);
    }
    if (g->help) {
        g->nruns = 0; /* the overlay hides the text under it */
        gui_draw_help(g);
    }
    g->frames_drawn++;
}
