/*
 * test_gui_plot.c - `hvsim --migration-plot FILE.png` (ui/gui/gui_plot.c): the PNG of a live
 * migration's rounds is written, its bars as tall as the pages each round sent; a run without
 * a migration, or a bare program, is refused with a sentence and no file.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
    uint8_t r, g, b;
    uint32_t px = 0;
    SDL_LockSurface(s);
    memcpy(&px, (uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch + (size_t)x * 4, 4);
    SDL_UnlockSurface(s);
    SDL_GetRGB(px, s->format, &r, &g, &b);
    return (uint32_t)r << 16 | (uint32_t)g << 8 | b;
}

/* The migrate scenario's six bars (1 285, 408, 136, 50, 25 and 16 pages): round 0's reaches
 * the top of the plot, the stop-and-copy's hardly leaves the axis. */
Test(gui_plot, the_migrate_scenario_plots_its_rounds)
{
    char path[] = "/tmp/hvsim-plot-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char cmd[512], png[300];
    snprintf(png, sizeof png, "%s/m.png", path);
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario migrate --migration-plot %s >/dev/null", png);
    int status;
    free(th_sh(cmd, true, &status));
    cr_assert_eq(status, 0);
    SDL_Surface *raw = IMG_Load(png);
    cr_assert_not_null(raw, "%s", IMG_GetError());
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB888, 0);
    SDL_FreeSurface(raw);
    cr_assert_eq(s->w, 720);
    cr_assert_eq(s->h, 420);
    cr_expect_eq(pixel(s, 100, 350), 0xd05030, "round 0's bar at its foot");
    cr_expect_eq(pixel(s, 100, 70), 0xd05030, "round 0's bar near the top: the most pages");
    cr_expect_eq(pixel(s, 200, 250), 0xffffff, "round 1's bar stops below");
    cr_expect_eq(pixel(s, 200, 300), 0xd05030, "round 1's bar: 408 of 1 285");
    cr_expect_eq(pixel(s, 600, 350), 0xffffff, "the stop-and-copy's 16 pages: a sliver");
    SDL_FreeSurface(s);
    unlink(png);
    rmdir(path);
}

Test(gui_plot, without_a_migration_it_says_so_and_writes_nothing)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario lazy --migration-plot /tmp/hvsim-no-plot.png "
                      ">/dev/null",
                      true, &status);
    cr_expect_eq(status, 1);
    cr_expect_str_eq(out, "/tmp/hvsim-no-plot.png: error: no live migration began in this run "
                          "(migrate_at, or the REPL's migrate)\n");
    cr_expect_neq(access("/tmp/hvsim-no-plot.png", F_OK), 0);
    free(out);
}
