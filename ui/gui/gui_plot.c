/*
 * gui_plot.c - a bar chart drawn offscreen and written as a PNG, with SDL2's software renderer,
 * SDL2_ttf and SDL2_image (as `hvsim --screenshot` draws the window): `hvsim --migration-plot`
 * uses it for the dirty pages of each pre-copy round (docs/migration.md).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>

#include "gui_internal.h"

#define PLOT_W 720
#define PLOT_H 420
#define MARGIN 60

/* Writes `text` with its top-left corner at (x, y); centred on x when `centre`. */
static void put_text(SDL_Surface *s, TTF_Font *f, int x, int y, bool centre, const char *text)
{
    SDL_Surface *t = TTF_RenderUTF8_Blended(f, text, (SDL_Color){30, 30, 30, 255});
    if (!t)
        return;
    SDL_Rect at = {centre ? x - t->w / 2 : x, y, t->w, t->h};
    SDL_BlitSurface(t, NULL, s, &at);
    SDL_FreeSurface(t);
}

static void draw_bars(SDL_Renderer *r, SDL_Surface *s, TTF_Font *f, const ui_gui_bar_t *bars,
                      size_t n)
{
    uint32_t top = 1;
    for (size_t i = 0; i < n; i++)
        top = bars[i].value > top ? bars[i].value : top;
    int plot_h = PLOT_H - 2 * MARGIN, plot_w = PLOT_W - 2 * MARGIN;
    int slot = n ? plot_w / (int)n : plot_w;
    SDL_SetRenderDrawColor(r, 30, 30, 30, 255);
    SDL_RenderDrawLine(r, MARGIN, MARGIN, MARGIN, PLOT_H - MARGIN);
    SDL_RenderDrawLine(r, MARGIN, PLOT_H - MARGIN, PLOT_W - MARGIN, PLOT_H - MARGIN);
    SDL_RenderFlush(r);
    for (size_t i = 0; i < n; i++) {
        int h = (int)((uint64_t)bars[i].value * (uint64_t)plot_h / top);
        int x = MARGIN + (int)i * slot + slot / 6;
        SDL_Rect bar = {x, PLOT_H - MARGIN - h, slot * 2 / 3, h};
        SDL_SetRenderDrawColor(r, 0xd0, 0x50, 0x30, 255); /* the hypervisor's orange-red */
        SDL_RenderFillRect(r, &bar);
        SDL_RenderFlush(r);
        char v[16];
        snprintf(v, sizeof v, "%u", bars[i].value);
        put_text(s, f, x + slot / 3, PLOT_H - MARGIN - h - 18, true, v);
        put_text(s, f, x + slot / 3, PLOT_H - MARGIN + 6, true, bars[i].label);
    }
}

int ui_gui_plot_bars(const char *path, const char *title, const char *caption,
                     const ui_gui_bar_t *bars, size_t n)
{
    char font_path[512];
    if (gui_font_find(font_path, sizeof font_path) != 0)
        return -1;
    TTF_Font *f = TTF_OpenFont(font_path, 13);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, PLOT_W, PLOT_H, 32, SDL_PIXELFORMAT_RGB888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    int rc = -1;
    if (!f || !r) {
        fprintf(stderr, "%s: error: cannot draw the plot: %s\n", path, SDL_GetError());
    } else {
        SDL_SetRenderDrawColor(r, 255, 255, 255, 255);
        SDL_RenderClear(r);
        SDL_RenderFlush(r);
        put_text(s, f, PLOT_W / 2, 16, true, title);
        put_text(s, f, PLOT_W / 2, PLOT_H - 26, true, caption);
        draw_bars(r, s, f, bars, n);
        rc = gui_save_surface(s, path);
    }
    if (r)
        SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    if (f)
        TTF_CloseFont(f);
    return rc;
}
