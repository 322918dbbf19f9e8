/*
 * test_gui_module.c - the window as a module (ui/hvsim/gui_module.c, the Makefile's
 * hvsim-gui.so): hvsim itself needs no SDL library; `hvsim --screenshot` through the module draws
 * the pixels it drew when the window was linked in; and an hvsim whose module is missing or not
 * a module says so in one sentence naming the file and exits 1 when asked for a window or a
 * PNG, while every run that opens no window goes on as before.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "../support/harness.h"

/* The shared libraries an ELF file needs (DT_NEEDED, as readelf -d lists them), one a line. */
static char *needed(const char *file)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd,
             "readelf -d %s | sed -n 's/.*(NEEDED).*Shared library: \\[\\(.*\\)\\]/\\1/p'", file);
    int status;
    char *out = th_sh(cmd, false, &status);
    cr_assert_eq(status, 0, "readelf -d %s", file);
    return out;
}

Test(gui_module, hvsim_needs_no_sdl_and_the_module_does)
{
    char *exe = needed("$B/hvsim");
    cr_expect(strstr(exe, "libc.so") != NULL, "readelf lists hvsim's libraries: %s", exe);
    cr_expect(strstr(exe, "libSDL") == NULL, "hvsim needs no SDL library: %s", exe);
    free(exe);
    char *mod = needed("$B/hvsim-gui.so");
    cr_expect(strstr(mod, "libSDL2-2.0.so") && strstr(mod, "libSDL2_ttf") &&
                  strstr(mod, "libSDL2_image"),
              "the module needs SDL2, SDL2_ttf and SDL2_image: %s", mod);
    free(mod);
}

/* hvsim exports its own functions to the module (-rdynamic) but not the loader's four entry
 * points, which the module defines under the same names. */
Test(gui_module, hvsim_exports_the_core_but_not_the_loader)
{
    int status;
    char *out = th_sh("readelf -W --dyn-syms $B/hvsim | awk '$7 != \"UND\" {print $8}' | "
                      "grep -E '^(sim_run|ui_dbg_new|ui_repl_terminal_poll|ui_gui_main|"
                      "ui_gui_screenshot|ui_gui_plot_bars|ui_gui_display_available)$' | sort",
                      false, &status);
    cr_expect_str_eq(out, "sim_run\nui_dbg_new\nui_repl_terminal_poll\n");
    free(out);
}

/* What a PNG shows, as "WxH xxh64-of-its-pixels" (RGB888, row by row): the pixels, not the
 * bytes of the file, which a different zlib could pack otherwise. */
static void png_digest(const char *path, char *buf, size_t len)
{
    SDL_Surface *raw = IMG_Load(path);
    cr_assert_not_null(raw, "%s: %s", path, IMG_GetError());
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB888, 0);
    SDL_FreeSurface(raw);
    cr_assert_not_null(s);
    XXH64_state_t *h = XXH64_createState();
    XXH64_reset(h, 0);
    SDL_LockSurface(s);
    for (int y = 0; y < s->h; y++)
        XXH64_update(h, (const uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch,
                     (size_t)s->w * 4);
    SDL_UnlockSurface(s);
    snprintf(buf, len, "%dx%d %016llx", s->w, s->h, (unsigned long long)XXH64_digest(h));
    XXH64_freeState(h);
    SDL_FreeSurface(s);
}

/* The screenshots of the window as it was linked into hvsim (main at 406d818 drew the same
 * PNG files byte for byte): a bare program after a trap, and the default scenario at 2 M
 * cycles, both pCPUs busy. The digests are in tests/data/gui/screenshots.out. */
Test(gui_module, screenshots_through_the_module_are_the_ones_before, .timeout = 120)
{
    static const char *const shots[] = {
        "--bare examples/traps.s --after-cycles 500",
        "--scenario default --after-cycles 2000000",
    };
    char dir[] = "/tmp/hvsim-module-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *got = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&got, &len);
    for (size_t i = 0; i < sizeof shots / sizeof shots[0]; i++) {
        char png[64], cmd[300], digest[64];
        snprintf(png, sizeof png, "%s/shot.png", dir);
        snprintf(cmd, sizeof cmd, "$B/hvsim --screenshot %s %s", png, shots[i]);
        int status;
        char *said = th_sh(cmd, true, &status);
        cr_assert_eq(status, 0, "%s: %s", cmd, said);
        free(said);
        png_digest(png, digest, sizeof digest);
        fprintf(out, "hvsim --screenshot FILE %s: %s\n", shots[i], digest);
        unlink(png);
    }
    fclose(out);
    rmdir(dir);
    th_expect_golden("tests/data/gui/screenshots.out", got, "the screenshots' pixels");
    free(got);
}

/* A directory with a copy of hvsim and its guests but, as hvsim-gui.so, `module`: "" for none,
 * else the shell text that makes one (it runs in the directory). */
static void hvsim_beside(char *dir, const char *module)
{
    cr_assert_not_null(mkdtemp(dir));
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "cp $B/hvsim %s/ && ln -s \"$(cd $B && pwd)/guestos\" %s/guestos && cd %s && %s",
             dir, dir, dir, *module ? module : "true");
    int status;
    free(th_sh(cmd, true, &status));
    cr_assert_eq(status, 0, "%s", cmd);
}

static void remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    int status;
    free(th_sh(cmd, true, &status));
}

/* In a directory of hvsim without a usable module: --screenshot and the plots end with
 * status 1 and `why` about DIR/hvsim-gui.so, writing nothing; the headless run is untouched,
 * and so is `hvsim` with no arguments under a display, which says why there is no window. */
static void without_the_module(const char *module, const char *why)
{
    char dir[] = "/tmp/hvsim-nomodule-XXXXXX";
    hvsim_beside(dir, module);
    char want[600], cmd[600];
    snprintf(want, sizeof want,
             "hvsim: cannot load the window's module %s/hvsim-gui.so (make builds it beside "
             "hvsim): %s/hvsim-gui.so: %s\n",
             dir, dir, why);
    static const char *const asks[] = {
        "--screenshot %s/shot.png --bare examples/hello.s",
        "--screenshot %s/shot.png",
        "--gui --bare examples/hello.s </dev/null",
        "--scenario migrate --migration-plot %s/shot.png >/dev/null",
    };
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        char args[300];
        snprintf(args, sizeof args, asks[i], dir);
        snprintf(cmd, sizeof cmd, "%s/hvsim %s", dir, args);
        int status;
        char *out = th_sh(cmd, true, &status);
        cr_expect_eq(status, 1, "%s", cmd);
        cr_expect_str_eq(out, want, "%s", cmd);
        snprintf(cmd, sizeof cmd, "%s/shot.png", dir);
        cr_expect_neq(access(cmd, F_OK), 0, "no PNG is written");
        free(out);
    }
    snprintf(cmd, sizeof cmd, "%s/hvsim --headless 2>&1 | tail -n 1", dir);
    int status;
    char *out = th_sh(cmd, false, &status);
    cr_expect(strncmp(out, "[stats] pCPU1: ", 15) == 0, "the headless run ends as it does: %s",
              out);
    free(out);
    /* A display is named (one that is not there): the module is what is missing. */
    snprintf(cmd, sizeof cmd, "DISPLAY=:97 %s/hvsim </dev/null 2>&1 >/dev/null", dir);
    out = th_sh(cmd, false, &status);
    cr_expect_eq(status, 0, "the default scenario runs headless");
    want[strlen(want) - 1] = '\0';
    strcat(want, "; no window, then\n");
    cr_expect_str_eq(out, want);
    free(out);
    remove_dir(dir);
}

Test(gui_module, a_missing_module_is_a_clear_error_for_the_window_only, .timeout = 120)
{
    without_the_module("", "cannot open shared object file: No such file or directory");
}

Test(gui_module, a_module_that_is_no_library_is_a_clear_error, .timeout = 120)
{
    without_the_module("echo not a library > hvsim-gui.so", "file too short");
}

/* A library that is not the window's (here libinih, which hvsim needs anyway) loads but has
 * none of its entry points: said so, status 1; the display's default says so and runs on. */
Test(gui_module, a_library_that_is_not_the_module_is_a_clear_error, .timeout = 60)
{
    char dir[] = "/tmp/hvsim-nomodule-XXXXXX";
    hvsim_beside(dir, "cp \"$(ldd ./hvsim | awk '/libinih/ {print $3}')\" hvsim-gui.so");
    char cmd[600], want[600];
    snprintf(want, sizeof want,
             "hvsim: %s/hvsim-gui.so is not the window's module: %s/hvsim-gui.so: undefined "
             "symbol: ui_gui_screenshot\n",
             dir, dir);
    snprintf(cmd, sizeof cmd, "%s/hvsim --screenshot %s/shot.png --bare examples/hello.s", dir,
             dir);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 1);
    cr_expect_str_eq(out, want);
    free(out);
    snprintf(cmd, sizeof cmd, "DISPLAY=:97 %s/hvsim </dev/null 2>&1 >/dev/null", dir);
    out = th_sh(cmd, false, &status);
    cr_expect_eq(status, 0, "the default scenario runs headless");
    snprintf(want, sizeof want,
             "hvsim: %s/hvsim-gui.so is not the window's module: %s/hvsim-gui.so: undefined "
             "symbol: ui_gui_display_available; no window, then\n",
             dir, dir);
    cr_expect_str_eq(out, want);
    free(out);
    remove_dir(dir);
}

/* With the module there, a named display that cannot be reached is no window either: SDL
 * starts its "offscreen" driver then, where a window would run unseen for ever (it did, before
 * ui_gui_display_available asked which driver started). The loader says nothing; the run is
 * the headless one. (SDL may say what it tried on stderr: not checked.) */
Test(gui_module, a_display_that_is_not_there_is_no_window, .timeout = 60)
{
    int status;
    char *out = th_sh("DISPLAY=:97 $B/hvsim </dev/null 2>&1 | grep -E '^hvsim|^\\[stats\\] pCPU1'",
                      false, &status);
    cr_expect(strncmp(out, "[stats] pCPU1: ", 15) == 0, "the headless run, and no hvsim "
              "message: %s", out);
    free(out);
}
