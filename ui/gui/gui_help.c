/*
 * gui_help.c - the help overlay (? or F1): every key of the key table with what it does, the
 * mouse, and the ring colours. It reads gui_keys, the table that handles the keys, so the two
 * cannot disagree.
 */
#include <stdio.h>

#include "gui_internal.h"

void gui_draw_help(gui_t *g)
{
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int rows = 0;
    for (size_t i = 0; i < gui_nkeys; i++)
        rows += gui_keys[i].label != NULL;
    int w = f->cw * 72, h = (rows + 9) * f->lh;
    int x = (g->w - w) / 2, y = (g->h - h) / 2;
    SDL_SetRenderDrawBlendMode(g->ren, SDL_BLENDMODE_BLEND);
    gui_set_color(g, 0x000000u, 150);
    SDL_Rect all = {0, 0, g->w, g->h};
    SDL_RenderFillRect(g->ren, &all);
    SDL_SetRenderDrawBlendMode(g->ren, SDL_BLENDMODE_NONE);
    gui_fill(g, x, y, w, h, 0x262b35u);
    gui_frame_rect(g, x, y, w, h, GUI_TITLE);
    int lx = x + f->cw * 2, ly = y + f->lh / 2;
    gui_text(g, GUI_FONT_BOLD, lx, ly, GUI_TITLE, "KEYS");
    ly += f->lh + 4;
    for (size_t i = 0; i < gui_nkeys; i++) {
        if (!gui_keys[i].label)
            continue;
        gui_text(g, GUI_FONT_BOLD, lx, ly, GUI_CHANGED, gui_keys[i].label);
        gui_text(g, GUI_FONT_NORMAL, lx + f->cw * 8, ly, GUI_TEXT, gui_keys[i].help);
        ly += f->lh;
    }
    ly += f->lh / 2;
    gui_text(g, GUI_FONT_BOLD, lx, ly, GUI_TITLE, "MOUSE");
    ly += f->lh;
    gui_text(g, GUI_FONT_NORMAL, lx, ly, GUI_TEXT,
             "click a disassembly line: breakpoint · click a marker: details");
    ly += f->lh;
    gui_text(g, GUI_FONT_NORMAL, lx, ly, GUI_TEXT, "wheel over the timeline: zoom");
    ly += f->lh + f->lh / 2;
    int cx = lx;
    cx += gui_text(g, GUI_FONT_BOLD, cx, ly, GUI_RING3, "■ ring 3: user") + f->cw * 3;
    cx += gui_text(g, GUI_FONT_BOLD, cx, ly, GUI_RING0, "■ ring 0: kernel") + f->cw * 3;
    gui_text(g, GUI_FONT_BOLD, cx, ly, GUI_RINGM1, "■ ring -1: hypervisor");
}
