/*
 * test_gui.c - the visualizer drawn offscreen, in-process: every panel present and drawn on,
 * the pCPU badge in UX.md's ring colour on each side of a trap, the walk grid lighting exactly
 * one cell per reference of 1-D and 2-D walks; and `hvsim --screenshot` as a student runs it
 * (a PNG of the size asked for, clear errors, no half-written file); and breakpoints shared
 * with the REPL, which drives the same debugger.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/gui/gui_internal.h"
#include "../../ui/repl/ui_repl.h"
#include "../mmu/mmu_util.h"
#include "../support/harness.h"

/* Kernel code sets up a trap vector and drops to user mode; the user makes a system call. */
static const char ring_program[] = "        la r1, handler\n"
                                   "        csrw tvec, r1\n"
                                   "        la r1, user\n"
                                   "        csrw epc, r1\n"
                                   "        csrw eflags, r0\n" /* mode U, interrupts off */
                                   "        iret\n"
                                   "user:   addi r2, r2, 1\n"
                                   "        syscall\n"
                                   "        b user\n"
                                   "handler: out r0, [0xf0]\n";

typedef struct {
    sim_machine_t m;
    ui_dbg_t *dbg;
    gui_t *g;
} fixture_t;

static void open_gui(fixture_t *f, int w, int h)
{
    f->dbg = ui_dbg_new(&f->m);
    cr_assert_not_null(f->dbg);
    f->g = ui_gui_offscreen(&f->m, f->dbg, w, h);
    cr_assert_not_null(f->g, "the offscreen window opens (SDL, SDL_ttf and the font are there)");
}

static void close_gui(fixture_t *f)
{
    ui_gui_free(f->g);
    ui_dbg_free(f->dbg);
    sim_machine_free(&f->m);
}

/* Pixels of a rectangle that differ from the panel background and border: what was drawn. */
static unsigned drawn_pixels(const gui_t *g, ui_gui_rect_t r)
{
    unsigned n = 0;
    for (int y = r.y + 2; y < r.y + r.h - 2; y++)
        for (int x = r.x + 2; x < r.x + r.w - 2; x++) {
            uint32_t px = ui_gui_pixel(g, x, y);
            n += px != GUI_PANEL && px != GUI_BORDER && px != GUI_BG;
        }
    return n;
}

static const char *const panel_names[] = {
#define X(name, title) title,
    UI_GUI_PANELS(X)
#undef X
};

ParameterizedTestParameters(gui_screenshot, panels_present_and_drawn)
{
    static int sizes[] = {0, 1};
    return cr_make_param_array(int, sizes, 2);
}

/* At 1280x800 and 1920x1080 every panel has a place and something drawn in it. */
ParameterizedTest(int *big, gui_screenshot, panels_present_and_drawn)
{
    fixture_t f;
    th_machine(&f.m, ring_program);
    open_gui(&f, *big ? 1920 : 1280, *big ? 1080 : 800);
    ui_dbg_stop_t st;
    cr_assert_eq(ui_dbg_stepi(f.dbg, 7, &st), 0);
    ui_gui_render(f.g);
    for (int p = 0; p < UI_GUI_PANEL_COUNT; p++) {
        ui_gui_rect_t r = ui_gui_panel_rect(f.g, (ui_gui_panel_t)p);
        cr_expect(r.w > 100 && r.h > 10, "panel %s has a place (%dx%d)", panel_names[p], r.w,
                  r.h);
        cr_expect(r.x >= 0 && r.y >= 0 && r.x + r.w <= f.g->w && r.y + r.h <= f.g->h,
                  "panel %s lies inside the window", panel_names[p]);
        unsigned drawn = drawn_pixels(f.g, r);
        cr_expect_gt(drawn, 150, "panel %s is drawn on (%u pixels)", panel_names[p], drawn);
    }
    close_gui(&f);
}

static uint32_t badge_colour(const gui_t *g)
{
    ui_gui_rect_t b = ui_gui_badge_rect(g, 0);
    cr_assert_gt(b.w, 0, "the pCPU0 badge was drawn");
    return ui_gui_pixel(g, b.x + 2, b.y + 2);
}

/* The badge is blue in the kernel, green in user mode, and blue again after the trap. */
Test(gui_screenshot, ring_badge_changes_colour_across_a_trap)
{
    fixture_t f;
    ui_dbg_stop_t st;
    th_machine(&f.m, ring_program);
    open_gui(&f, 1280, 800);
    ui_gui_render(f.g);
    cr_expect_eq(badge_colour(f.g), ui_gui_ring_rgb(CPU_MODE_K), "ring 0 at reset: %06x",
                 badge_colour(f.g));
    cr_assert_gt(ui_dbg_break_mode(f.dbg, CPU_MODE_U), 0);
    cr_assert_eq(ui_dbg_continue(f.dbg, &st), 0);
    cr_assert_eq(cpu_mode(&f.m.cpu[0]), CPU_MODE_U);
    ui_gui_render(f.g);
    cr_expect_eq(badge_colour(f.g), ui_gui_ring_rgb(CPU_MODE_U), "ring 3 after iret: %06x",
                 badge_colour(f.g));
    ui_dbg_delete_all(f.dbg);
    cr_assert_eq(ui_dbg_step_trap(f.dbg, &st), 0);
    ui_gui_render(f.g);
    cr_expect_eq(badge_colour(f.g), ui_gui_ring_rgb(CPU_MODE_K), "ring 0 after the trap: %06x",
                 badge_colour(f.g));
    cr_expect_neq(ui_gui_ring_rgb(CPU_MODE_U), ui_gui_ring_rgb(CPU_MODE_K));
    cr_expect_neq(ui_gui_ring_rgb(CPU_MODE_H), ui_gui_ring_rgb(CPU_MODE_K));
    close_gui(&f);
}

/* ------------------------------------------------------------------------------------------
 * The walk grid: one lit cell per memory reference of the translation shown.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    unsigned levels, nested_levels;
    bool nested;
    unsigned cells; /* 1-D: levels; 2-D: (n+1)(m+1)-1 */
} walk_case_t;

static const walk_case_t walk_cases[] = {
    {2, 2, false, 2}, {3, 2, false, 3}, {2, 2, true, 8}, {3, 2, true, 11}, {2, 4, true, 14},
};
#define NWALK (sizeof walk_cases / sizeof walk_cases[0])

ParameterizedTestParameters(gui_screenshot, walk_grid_lights_one_cell_per_reference)
{
    TH_ROW_INDICES(NWALK);
}

ParameterizedTest(size_t *row, gui_screenshot, walk_grid_lights_one_cell_per_reference)
{
    const walk_case_t *c = &walk_cases[*row];
    const uint32_t va = 0x00400123u;
    fixture_t f;
    mt_machine(&f.m, c->levels, c->nested_levels);
    if (c->nested) {
        mt_vm_t vm;
        mt_vm(&f.m, &vm, 3, true);
        cr_assert(mmu_build_map(&vm.guest, va, 0x00010000u, MMU_PTE_RWX));
    } else {
        mmu_builder_t b;
        mt_native(&f.m, &b);
        cr_assert(mmu_build_map(&b, va, 0x00010000u, MMU_PTE_RWX));
    }
    mmu_result_t res = mmu_translate(&f.m.cpu[0].mmu, &f.m, va, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_assert_eq(res.status, MMU_OK);
    cr_assert_eq(f.m.cpu[0].mmu.trace.refs, c->cells, "the walk made %u references",
                 f.m.cpu[0].mmu.trace.refs);
    open_gui(&f, 1280, 800);
    ui_gui_render(f.g);
    cr_expect_eq(ui_gui_walk_lit(f.g), c->cells, "%ux%u %s walk: %u cells lit, want %u",
                 c->levels, c->nested_levels, c->nested ? "2-D" : "1-D", ui_gui_walk_lit(f.g),
                 c->cells);
    /* The lit cells are there in the picture too: count the lit cells' borders' colour. */
    ui_gui_rect_t r = ui_gui_panel_rect(f.g, UI_GUI_PANEL_WALK);
    unsigned lit = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            lit += ui_gui_pixel(f.g, x, y) == GUI_LIT;
    cr_expect_gt(lit, c->cells * 40u, "lit cells are drawn (%u border pixels)", lit);
    close_gui(&f);
}

/* ------------------------------------------------------------------------------------------
 * hvsim --screenshot
 * ------------------------------------------------------------------------------------------ */
/* The width and height in a PNG's header, or 0 when the file is not a PNG. */
static void png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24] = {0};
    FILE *fp = fopen(path, "rb");
    *w = *h = 0;
    if (!fp)
        return;
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n < 24 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0)
        return;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
}

Test(gui_screenshot, cli_writes_a_png_of_the_size_asked)
{
    char path[64], cmd[256];
    snprintf(path, sizeof path, "/tmp/hvsim-shot-%d.png", (int)getpid());
    snprintf(cmd, sizeof cmd,
             "$B/hvsim --screenshot %s --size 1920x1080 --after-cycles 500 --bare "
             "examples/traps.s",
             path);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 0, "%s: %s", cmd, out);
    unsigned w, h;
    png_size(path, &w, &h);
    cr_expect(w == 1920 && h == 1080, "a 1920x1080 PNG, not %ux%u", w, h);
    remove(path);
    free(out);
}

Test(gui_screenshot, cli_bad_path_is_a_clear_error_and_no_file)
{
    int status;
    char *out = th_sh("$B/hvsim --screenshot /nonexistent-dir/shot.png --bare examples/hello.s",
                      true, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, "/nonexistent-dir/shot.png: error:") != NULL, "names the file: %s", out);
    cr_expect_neq(access("/nonexistent-dir/shot.png", F_OK), 0);
    free(out);
    out = th_sh("$B/hvsim --screenshot /tmp/x.png --size 12x9 --bare examples/hello.s", true,
                &status);
    cr_expect_eq(status, 2, "a bad --size is a usage error");
    cr_expect(strstr(out, "--size") != NULL, "%s", out);
    free(out);
    out = th_sh("$B/hvsim --after-cycles 10 --bare examples/hello.s", true, &status);
    cr_expect_eq(status, 2, "--after-cycles needs --screenshot or --gui: %s", out);
    free(out);
}

/* ------------------------------------------------------------------------------------------
 * The window and the REPL drive one debugger: a breakpoint set in one shows in the other.
 * ------------------------------------------------------------------------------------------ */
static unsigned break_dots(const gui_t *g)
{
    ui_gui_rect_t r = ui_gui_panel_rect(g, UI_GUI_PANEL_DISASM);
    unsigned n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w / 8; x++)
            n += ui_gui_pixel(g, x, y) == GUI_BREAK;
    return n;
}

Test(gui_repl, breakpoints_show_in_both)
{
    fixture_t f;
    th_machine(&f.m, ring_program);
    open_gui(&f, 1280, 800);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ui_repl_t r;
    ui_repl_init(&r, &f.m, f.dbg, out, out);
    ui_gui_render(f.g);
    cr_expect_eq(break_dots(f.g), 0u, "no breakpoint yet");
    /* Typed in the REPL: the window draws its dot on the line. */
    cr_assert_eq(ui_repl_execute(&r, "break *0x1008"), 0);
    ui_gui_render(f.g);
    cr_expect_gt(break_dots(f.g), 10u, "the REPL's breakpoint is drawn in the disassembly");
    /* Clicked in the window (the line of the pc): the REPL lists it. */
    int row = -1;
    for (int i = 0; i < f.g->dis_rows; i++)
        if (f.g->dis_addr[i] == f.m.cpu[0].s.pc)
            row = i;
    cr_assert_geq(row, 0, "the pc's line is shown");
    gui_disasm_click(f.g, f.g->dis_y0 + row * f.g->dis_lh + 1);
    fflush(out);
    size_t mark = len;
    cr_assert_eq(ui_repl_execute(&r, "info breakpoints"), 0);
    fflush(out);
    cr_expect(strstr(text + mark, "0x00001000") != NULL && strstr(text + mark, "0x00001008"),
              "both breakpoints are listed: %s", text + mark);
    fclose(out);
    free(text);
    close_gui(&f);
}

/* At power-off the window stays open and says so: the run stops by itself (no quit), the top
 * bar says "powered off (exit code 3)", the status bar what the student can do now, and
 * Space (run) says the same again instead of running a machine that is off. */
Test(gui_screenshot, power_off_keeps_the_window_open_and_says_so, .timeout = 60)
{
    fixture_t f;
    th_machine(&f.m, "        li r1, 3\n"
                     "loop:   addi r2, r2, 1\n"
                     "        cmpi r2, 1000\n"
                     "        bne loop\n"
                     "        out r1, [0xf0]\n");
    open_gui(&f, 1280, 800);
    ui_gui_keep_text(f.g);
    gui_cmd_full_speed(f.g);
    for (int i = 0; i < 100 && f.g->running; i++)
        gui_run_slice(f.g, 5, 1.0 / 60);
    cr_assert(f.m.powered_off, "the program ran to its power-off");
    cr_expect(!f.g->running, "the run stopped");
    cr_expect(!f.g->quit, "the window did not close");
    ui_gui_render(f.g);
    const char *top = ui_gui_panel_text(f.g, UI_GUI_PANEL_TOPBAR);
    cr_expect_not_null(strstr(top, "powered off (exit code 3)"), "%s", top);
    const char *status = ui_gui_panel_text(f.g, UI_GUI_PANEL_STATUS);
    cr_expect_not_null(strstr(status, "The window stays open to look at: r runs it again from "
                                      "cycle 0, q quits."),
                       "%s", status);
    const char *first;
    cr_expect_eq(ui_gui_clipped(f.g, &first), 0, "%s", first);
    gui_cmd_run_pause(f.g); /* Space */
    cr_expect(!f.g->running);
    ui_gui_render(f.g);
    status = ui_gui_panel_text(f.g, UI_GUI_PANEL_STATUS);
    cr_expect_not_null(strstr(status, "The machine is powered off (exit code 3). The window "
                                      "stays open"),
                       "%s", status);
    close_gui(&f);
}
