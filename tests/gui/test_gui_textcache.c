/*
 * test_gui_textcache.c - the window's text cache (gui_textcache.c): a string drawn again is
 * copied whole from its own texture, one copy instead of one per glyph, with the very same
 * pixels; the cache never holds more than its bound, and a string drawn all the time stays
 * while others come and go.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

static hv_scenario_t sc;
static sim_machine_t m;

/* Every pixel of the last frame, row by row. */
static uint32_t *pixels(const gui_t *g)
{
    uint32_t *px = malloc((size_t)g->w * (size_t)g->h * sizeof *px);
    cr_assert_not_null(px);
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++)
            px[(size_t)y * (size_t)g->w + (size_t)x] = ui_gui_pixel(g, x, y);
    return px;
}

Test(gui_textcache, same_pixels_one_copy_a_string, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    hv_run(hv, 300000);
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_gui_render(g); /* every string seen for the first time: drawn glyph by glyph */
    unsigned runs = g->text_runs, glyph_copies = g->text_copies;
    uint32_t *first = pixels(g);
    cr_assert_gt(runs, 100, "a frame of the default scenario draws %u strings", runs);
    cr_assert_gt(glyph_copies, 4 * runs, "glyph by glyph: %u copies for %u strings", glyph_copies,
                 runs);
    for (int frame = 2; frame <= 3;
         frame++) { /* the second makes the textures, the third uses them */
        ui_gui_render(g);
        cr_assert_eq(g->text_runs, runs);
        cr_assert_eq(g->text_copies, runs, "frame %d: one copy a string, %u for %u", frame,
                     g->text_copies, runs);
        uint32_t *again = pixels(g);
        for (int y = 0; y < g->h; y++)
            for (int x = 0; x < g->w; x++) {
                size_t i = (size_t)y * (size_t)g->w + (size_t)x;
                if (again[i] != first[i])
                    cr_assert_fail("frame %d: pixel (%d,%d) is %06x, glyph by glyph %06x", frame, x,
                                   y, again[i], first[i]);
            }
        free(again);
    }
    unsigned textures, held = gui_textcache_count(g, &textures);
    cr_expect_eq(held, textures, "every string of the frame has its texture");
    cr_expect_leq(held, runs);
    free(first);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_textcache, bounded_and_keeps_what_is_drawn, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_gui_render(g);
    char s[32];
    for (int i = 0; i < 3 * GUI_TEXTCACHE_ENTRIES; i++) {
        gui_text(g, GUI_FONT_NORMAL, 10, 10, GUI_TEXT, "always the same");
        snprintf(s, sizeof s, "figure %d", i); /* a figure that changes every time */
        gui_text(g, GUI_FONT_NORMAL, 10, 30, GUI_TEXT, s);
        unsigned textures, held = gui_textcache_count(g, &textures);
        cr_assert_leq(held, GUI_TEXTCACHE_ENTRIES);
        cr_assert_geq(textures, i > 0 ? 1u : 0u, "after %d: the repeated string has a texture", i);
    }
    gui_cached_text_t *c = gui_textcache_find(g, GUI_FONT_NORMAL, GUI_TEXT, "always the same");
    cr_assert(c && c->tex, "the string drawn every time is still there, with its texture");
    unsigned textures;
    cr_expect_eq(gui_textcache_count(g, &textures), GUI_TEXTCACHE_ENTRIES);
    cr_expect_eq(textures, 1, "figures drawn once never got a texture: %u", textures);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}
