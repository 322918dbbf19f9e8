/*
 * test_gui_plot.c - `hvsim --migration-plot FILE.png` and `--sharing-plot FILE.png`
 * (ui/gui/gui_plot.c, ui/hvsim/sharing_plot.c): the PNG of a live migration's rounds is
 * written, its bars as tall as the pages each round sent, and the sharing ratio's, as high as
 * the ratio at each step; a run without a migration or without sharing, or a bare program, is
 * refused with a sentence and no file.
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

/* A pixel the plot must have: where, its colour (0xrrggbb), why. */
typedef struct {
    int x, y;
    uint32_t colour;
    const char *why;
} probe_t;

static SDL_Surface *draw(const char *args);

/* The plot "hvsim ARGS PNG" draws has each pixel of p[0..n). */
static void expect_plot(const char *args, const probe_t *p, size_t n)
{
    SDL_Surface *s = draw(args);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(pixel(s, p[i].x, p[i].y), p[i].colour, "(%d, %d): %s", p[i].x, p[i].y,
                     p[i].why);
    SDL_FreeSurface(s);
}

/* Runs "hvsim ARGS PNG" (in a fresh directory, removed after) and returns the PNG it drew, as
 * an RGB888 surface of the plot's size. */
static SDL_Surface *draw(const char *args)
{
    char path[] = "/tmp/hvsim-plot-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    char cmd[512], png[300];
    snprintf(png, sizeof png, "%s/p.png", path);
    snprintf(cmd, sizeof cmd, "$B/hvsim %s %s >/dev/null", args, png);
    int status;
    free(th_sh(cmd, true, &status));
    cr_assert_eq(status, 0);
    SDL_Surface *raw = IMG_Load(png);
    cr_assert_not_null(raw, "%s", IMG_GetError());
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB888, 0);
    SDL_FreeSurface(raw);
    unlink(png);
    rmdir(path);
    cr_assert_eq(s->w, 720);
    cr_assert_eq(s->h, 420);
    return s;
}

/* The migrate scenario's six bars (1 285, 408, 136, 50, 25 and 16 pages): round 0's reaches
 * the top of the plot, the stop-and-copy's hardly leaves the axis. */
Test(gui_plot, the_migrate_scenario_plots_its_rounds)
{
    static const probe_t probes[] = {
        {100, 350, 0xd05030, "round 0's bar at its foot"},
        {100, 70, 0xd05030, "round 0's bar near the top: the most pages"},
        {200, 250, 0xffffff, "round 1's bar stops below"},
        {200, 300, 0xd05030, "round 1's bar: 408 of 1 285"},
        {600, 350, 0xffffff, "the stop-and-copy's 16 pages: a sliver"},
    };
    expect_plot("--scenario migrate --migration-plot", probes, sizeof probes / sizeof probes[0]);
}

/* "hvsim --scenario lazy --OPTION PATH" ends with status 1, says `why` and writes no PATH. */
static void refused(const char *option, const char *path, const char *why)
{
    int status;
    char cmd[300], want[400];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario lazy --%s %s >/dev/null", option, path);
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 1);
    snprintf(want, sizeof want, "%s: error: %s\n", path, why);
    cr_expect_str_eq(out, want);
    cr_expect_neq(access(path, F_OK), 0);
    free(out);
}

Test(gui_plot, without_a_migration_it_says_so_and_writes_nothing)
{
    refused("migration-plot", "/tmp/hvsim-no-plot.png",
            "no live migration began in this run (migrate_at, or the REPL's migrate)");
}

/* `--sharing-plot` on the sharing scenario: the ratio of the last scanner pass by each twelfth
 * of twice the time it took to settle: 11, 36, then 46, with one pass at 45 (the 6th bar),
 * and 46 to the end. Bar 0's stops at a
 * quarter, bar 1's at three quarters, bar 2's reaches the top, the 6th stops just below it. */
Test(gui_plot, the_sharing_ratio_converges, .timeout = 120)
{
    static const probe_t probes[] = {
        {76, 350, 0xd05030, "the first bar at its foot"},
        {76, 295, 0xd05030, "the first bar: 11 of 46"},
        {76, 280, 0xffffff, "the first bar (11) stops at a quarter"},
        {126, 130, 0xd05030, "bar 1: 36 of 46"},
        {126, 118, 0xffffff, "bar 1 (36) stops at three quarters"},
        {176, 62, 0xd05030, "bar 2 (46) is the top"},
        {326, 62, 0xffffff, "bar 5 (45) stops just below"},
        {326, 70, 0xd05030, "bar 5 (45)"},
        {626, 62, 0xd05030, "the last bar (46) is the top"},
    };
    expect_plot("--scenario sharing --sharing-plot", probes, sizeof probes / sizeof probes[0]);
}

Test(gui_plot, without_sharing_it_says_so_and_writes_nothing)
{
    refused("sharing-plot", "/tmp/hvsim-no-share.png",
            "the page-sharing scanner made no pass in this run ([hypervisor] sharing = on; "
            "--scenario sharing)");
    int status;
    char *out = th_sh("$B/hvsim --bare examples/hello.s --sharing-plot /tmp/hvsim-no-share.png",
                      true, &status);
    cr_expect_eq(status, 2);
    cr_expect(strstr(out, "--sharing-plot draws page sharing's ratio: it goes with a hypervisor "
                          "scenario run headless (--scenario sharing)"),
              "%s", out);
    free(out);
}
