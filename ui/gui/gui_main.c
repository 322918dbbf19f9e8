/*
 * gui_main.c - making a window's state over a machine and its debugger, and the offscreen
 * renderer that the screenshot option, the tests and the benchmark draw with: an SDL surface
 * and SDL's software renderer, no video driver and no display needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_image.h>

#include "gui_internal.h"

gui_t *gui_create(sim_machine_t *m, ui_dbg_t *dbg)
{
    gui_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->m = m;
    g->dbg = dbg;
    /* Until the front end names its scenario or program: what the debugger says it is. */
    if (ui_dbg_has_hypervisor(dbg)) {
        char vms[32];
        snprintf(g->default_title, sizeof g->default_title, "%s under the hypervisor",
                 sim_counted(ui_dbg_vm_count(dbg), "VM", vms, sizeof vms));
    } else {
        snprintf(g->default_title, sizeof g->default_title, "bare machine");
    }
    g->title = g->default_title;
    g->speed = 3; /* 10 instructions per second: slow enough to follow */
    g->tl_follow = true;
    g->mem_hover = g->mem_sel = -1;
    g->console_vm = -1;
    g->walk_animate = true;
    g->highlight = true;
    for (unsigned i = 0; i < m->ncpus; i++)
        g->now[i] = g->before[i] = ui_dbg_cpu(dbg, i)->s;
    if (gui_record_init(g) != 0) {
        fprintf(stderr, "hvsim: the window cannot follow the event stream (no sink slot or "
                        "no memory)\n");
        gui_record_free(g);
        free(g);
        return NULL;
    }
    if (gui_text_init(g) != 0) {
        gui_record_free(g);
        free(g);
        return NULL;
    }
    ui_dbg_on_new_machine(dbg, gui_record_restart, g); /* a restart from the REPL too */
    return g;
}

void ui_gui_free(gui_t *g)
{
    if (!g)
        return;
    ui_dbg_on_new_machine(g->dbg, NULL, NULL);
    gui_text_free(g);
    gui_textlog_free(g);
    gui_record_free(g);
    free(g->frames);
    if (g->ren)
        SDL_DestroyRenderer(g->ren);
    if (g->surface)
        SDL_FreeSurface(g->surface);
    if (g->win)
        SDL_DestroyWindow(g->win);
    free(g);
}

gui_t *ui_gui_offscreen(sim_machine_t *m, ui_dbg_t *dbg, int w, int h)
{
    gui_t *g = gui_create(m, dbg);
    if (!g)
        return NULL;
    g->w = w;
    g->h = h;
    g->walk_animate = false;
    g->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGB888);
    g->ren = g->surface ? SDL_CreateSoftwareRenderer(g->surface) : NULL;
    if (!g->ren || gui_text_layout(g, w, h) != 0) {
        fprintf(stderr, "hvsim: cannot draw offscreen: %s\n", SDL_GetError());
        ui_gui_free(g);
        return NULL;
    }
    return g;
}

void ui_gui_render(gui_t *g)
{
    gui_sync(g);
    gui_walk_update(g, 0);
    gui_textlog_clear(g);
    gui_draw_frame(g);
    gui_text_overlaps(g);
    SDL_RenderFlush(g->ren);
}

ui_gui_rect_t ui_gui_panel_rect(const gui_t *g, ui_gui_panel_t panel)
{
    return g->panel[panel];
}

unsigned ui_gui_clipped(const gui_t *g, const char **first)
{
    if (first)
        *first = g->clipped;
    return g->nclipped;
}

ui_gui_rect_t ui_gui_badge_rect(const gui_t *g, unsigned cpu)
{
    ui_gui_rect_t none = {0, 0, 0, 0};
    return cpu < SIM_MAX_CPUS ? g->badge[cpu] : none;
}

uint32_t ui_gui_pixel(const gui_t *g, int x, int y)
{
    if (!g->surface || x < 0 || y < 0 || x >= g->surface->w || y >= g->surface->h)
        return 0;
    const uint8_t *row = (const uint8_t *)g->surface->pixels + (size_t)y * (size_t)g->surface->pitch;
    uint32_t px;
    memcpy(&px, row + (size_t)x * 4, 4);
    uint8_t r, gr, b;
    SDL_GetRGB(px, g->surface->format, &r, &gr, &b);
    return ((uint32_t)r << 16) | ((uint32_t)gr << 8) | b;
}

int ui_gui_save_png(gui_t *g, const char *path)
{
    SDL_Surface *shot = g->surface;
    SDL_Surface *owned = NULL;
    if (!shot) { /* a real window: read its pixels back */
        owned = SDL_CreateRGBSurfaceWithFormat(0, g->w, g->h, 32, SDL_PIXELFORMAT_RGB888);
        if (!owned || SDL_RenderReadPixels(g->ren, NULL, SDL_PIXELFORMAT_RGB888, owned->pixels,
                                           owned->pitch) != 0) {
            fprintf(stderr, "%s: error: cannot read the window back: %s\n", path, SDL_GetError());
            SDL_FreeSurface(owned);
            return -1;
        }
        shot = owned;
    }
    int rc = gui_save_surface(shot, path);
    SDL_FreeSurface(owned);
    return rc;
}

int gui_save_surface(SDL_Surface *shot, const char *path)
{
    /* Never a half-written PNG: write beside it, then rename over it. */
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    int rc = -1;
    if (!tmp) {
        fprintf(stderr, "%s: error: out of memory\n", path);
    } else {
        snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
        if (IMG_SavePNG(shot, tmp) != 0) {
            fprintf(stderr, "%s: error: cannot write the PNG: %s\n", path, IMG_GetError());
            remove(tmp);
        } else if (rename(tmp, path) != 0) {
            fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
            remove(tmp);
        } else {
            rc = 0;
        }
    }
    free(tmp);
    return rc;
}
