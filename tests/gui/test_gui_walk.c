/*
 * test_gui_walk.c - the walk panel tells the truth: the references it counts are the cells it
 * lights; the (n+1)(m+1)-1 formula appears only for a complete 2-D walk; a 1-D walk says 1-D;
 * a failed walk says where it stopped and why, and shows no host address.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

static hv_scenario_t sc;
static sim_machine_t m;

/* The count at the start of the summary line's "N ref(s)". */
static unsigned refs_in(const char *text)
{
    const char *p = strstr(text, " ref");
    cr_assert_not_null(p, "%s", text);
    while (p > text && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return (unsigned)strtoul(p, NULL, 10);
}

Test(gui_walk, a_failed_nested_walk_says_where_and_why, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    ui_gui_keep_text(g);
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, "NESTED_FAULT", 0), 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_gui_render(g);
    cr_assert_neq(g->walk.outcome, MMU_OUTCOME_OK, "the walk behind a nested fault failed");
    cr_expect_not_null(strstr(g->walk_text, "stopped at "), "%s", g->walk_text);
    /* Where and why are drawn whole (on a second line), not cut short with an ellipsis. */
    const char *shown = ui_gui_panel_text(g, UI_GUI_PANEL_WALK);
    cr_expect_not_null(strstr(shown, mmu_outcome_name(g->walk.outcome)), "%s", shown);
    cr_expect_null(strstr(shown, "…"), "%s", shown);
    cr_expect_null(strstr(g->walk_text, "(2+1)"), "no formula for a walk cut short: %s",
                   g->walk_text);
    cr_expect_eq(refs_in(g->walk_text), ui_gui_walk_lit(g), "%s: %u cells lit", g->walk_text,
                 ui_gui_walk_lit(g));
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_walk, a_complete_2d_walk_shows_the_formula_and_lights_its_cells, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "lazy"); /* 4 KiB nested pages: 8-reference walks */
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    unsigned focus = 0; /* run until some pCPU's last walk is a whole 2-D one */
    bool found = false;
    for (int step = 0; step < 2000 && !found; step++) {
        hv_run(hv, 1000000 + 5000 * (uint64_t)(step + 1));
        for (unsigned c = 0; c < m.ncpus && !found; c++) {
            const mmu_trace_t *t = &m.cpu[c].mmu.trace;
            found = t->nested && t->outcome == MMU_OUTCOME_OK && t->refs == 8 && !t->ad_writes;
            focus = c;
        }
    }
    cr_assert(
        found,
        "a complete 2-D walk within 10 000 000 cycles from cycle 1 000 000 (cycle %llu, last: "
        "nested %d outcome %d refs %u)",
        (unsigned long long)m.cpu[0].s.cycles, m.cpu[0].mmu.trace.nested,
        m.cpu[0].mmu.trace.outcome, m.cpu[0].mmu.trace.refs);
    ui_dbg_set_focus(dbg, focus);
    ui_gui_render(g);
    cr_expect_eq(ui_gui_walk_lit(g), 8, "8 cells lit");
    cr_expect_not_null(strstr(g->walk_text, "2-D: 8 refs = (2+1)(2+1)-1"), "%s", g->walk_text);
    cr_expect_eq(refs_in(g->walk_text), ui_gui_walk_lit(g), "%s", g->walk_text);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

Test(gui_walk, a_shadow_walk_is_labelled_1d, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "shadow");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    hv_run(hv, 3000000);
    ui_gui_render(g);
    cr_assert_gt(g->walk.n, 0, "a walk was made");
    cr_expect(!g->walk.nested, "shadow paging walks one dimension");
    cr_expect_eq(strncmp(g->walk_text, "1-D", 3), 0, "%s", g->walk_text);
    cr_expect_eq(refs_in(g->walk_text), ui_gui_walk_lit(g), "%s", g->walk_text);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* The built-in scenario `splinter`: its guest maps its memory with one 4 MiB page, and VM
 * `small` (pCPU 0) backs it with 4 KiB nested pages, so the window's grid shows a splintered
 * walk: 5 cells (the guest's one level, each of its two tables' addresses and the data through
 * the nested tables' two), the TLB keeping 4 KiB. The picture is kept in the build directory
 * (walk-splinter.png) to look at. */
Test(gui_walk, the_splinter_scenario_shows_a_splintered_walk, .timeout = 120)
{
    hv_t *hv = hu_scenario(&sc, &m, "splinter");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    bool found = false;
    for (int step = 1; step <= 400 && !found; step++) {
        hv_run(hv, 20000 * (uint64_t)step);
        const mmu_trace_t *t = &m.cpu[0].mmu.trace;
        found = t->nested && t->outcome == MMU_OUTCOME_OK && t->splintered && !t->ad_writes;
    }
    cr_assert(found, "a splintered walk on pCPU 0 within 8 000 000 cycles");
    ui_dbg_set_focus(dbg, 0);
    ui_gui_render(g);
    cr_expect_str_eq(g->walk_sizes, "guest 4 MiB, nested 4 KiB: splintered (TLB: 4 KiB)");
    cr_expect_eq(ui_gui_walk_lit(g), 5, "%s", g->walk_text);
    cr_expect_eq(refs_in(g->walk_text), ui_gui_walk_lit(g), "%s", g->walk_text);
    char path[256];
    snprintf(path, sizeof path, "%s/walk-splinter.png", th_build_dir());
    cr_expect_eq(ui_gui_save_png(g, path), 0, "%s", path);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Large pages: fewer cells, and the sizes said under the grid
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    bool glarge, nlarge;
    unsigned cells;
    const char *sizes; /* the line under the grid, after the A/D write-back */
} large_walk_t;

static const large_walk_t large_walks[] = {
    {true, false, 5, "guest 4 MiB, nested 4 KiB: splintered (TLB: 4 KiB)"},
    {false, true, 5, "guest 4 KiB, nested 4 MiB (TLB: 4 KiB)"},
    {true, true, 3, "guest 4 MiB, nested 4 MiB (TLB: 4 MiB)"},
};

ParameterizedTestParameters(gui_walk, large_page_walks_light_fewer_cells)
{
    TH_ROW_INDICES(sizeof large_walks / sizeof large_walks[0]);
}

/* A 16 MiB machine: nested tables in frames 0x40.., guest-physical 0..4 MiB at host 4 MiB, the
 * guest's large page (or its 4 KiB page) at va 4 MiB. Each walk's picture is kept in the build
 * directory (walk-large-N.png) to look at. */
ParameterizedTest(size_t *row, gui_walk, large_page_walks_light_fewer_cells, .timeout = 60)
{
    const large_walk_t *c = &large_walks[*row];
    sim_machine_t *mm = malloc(sizeof *mm);
    cr_assert_not_null(mm);
    cr_assert_eq(sim_machine_init(mm, 16u << 20, 1), 0);
    sim_console_set_output(mm, NULL);
    mm->cpu[0].mmu.record_trace = true; /* the walk happens before the window opens */
    mmu_builder_t nb, gb;
    cr_assert(mmu_build_init(&nb, mm, 2, 0, 0x40, 0x80));
    cr_assert(c->nlarge ? mmu_build_map_large(&nb, 0, 0x00400000u, MMU_PTE_RWX)
                        : mmu_build_map_range(&nb, 0, 0x00400000u, 0x00400000u, MMU_PTE_RWX));
    cr_assert(mmu_build_init(&gb, mm, 2, 0x00400000u, 0x70, 0x80));
    cr_assert(c->glarge ? mmu_build_map_large(&gb, 0x00400000u, 0, MMU_PTE_R | MMU_PTE_W)
                        : mmu_build_map(&gb, 0x00400000u, 0x1000, MMU_PTE_R | MMU_PTE_W));
    mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 3, .root_pfn = nb.root_pfn};
    cr_assert(mmu_set_nested(&mm->cpu[0].mmu, &ctl));
    mmu_set_ptroot(&mm->cpu[0].mmu, MMU_PTROOT_MAKE(gb.root_pfn, 1));
    mmu_result_t res = mmu_translate(&mm->cpu[0].mmu, mm, 0x00400a2cu, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_assert_eq(res.status, MMU_OK);
    ui_dbg_t *dbg = ui_dbg_new(mm);
    gui_t *g = ui_gui_offscreen(mm, dbg, 1280, 800);
    cr_assert_not_null(g);
    ui_gui_render(g);
    cr_expect_eq(ui_gui_walk_lit(g), c->cells, "%u cells lit", ui_gui_walk_lit(g));
    cr_expect_eq(refs_in(g->walk_text), c->cells, "%s", g->walk_text);
    cr_expect_null(strstr(g->walk_text, "(2+1)"), "no 2x2 formula: %s", g->walk_text);
    cr_expect_str_eq(g->walk_sizes, c->sizes);
    char path[256];
    snprintf(path, sizeof path, "%s/walk-large-%zu.png", th_build_dir(), *row);
    cr_expect_eq(ui_gui_save_png(g, path), 0, "%s", path);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    sim_machine_free(mm);
    free(mm);
}
