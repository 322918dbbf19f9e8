/*
 * test_gui_walk.c - the walk panel tells the truth: the references it counts are the cells it
 * lights; the (n+1)(m+1)-1 formula appears only for a complete 2-D walk; a 1-D walk says 1-D;
 * a failed walk says where it stopped and why, and shows no host address.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/gui/gui_internal.h"
#include "../hypervisor/hv_util.h"

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
    ui_dbg_stop_t st;
    cr_assert_gt(ui_dbg_break_exit(dbg, "NESTED_FAULT", 0), 0, "%s", ui_dbg_error(dbg));
    cr_assert_eq(ui_dbg_continue(dbg, &st), 0);
    ui_gui_render(g);
    cr_assert_neq(g->walk.outcome, MMU_OUTCOME_OK, "the walk behind a nested fault failed");
    cr_expect_not_null(strstr(g->walk_text, "stopped at "), "%s", g->walk_text);
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
    hv_t *hv = hu_scenario(&sc, &m, "default");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = ui_gui_offscreen(&m, dbg, 1280, 800);
    unsigned focus = 0; /* run until some pCPU's last walk is a whole 2-D one */
    bool found = false;
    for (int step = 0; step < 400 && !found; step++) {
        hv_run(hv, 4000000 + 5000 * (uint64_t)(step + 1));
        for (unsigned c = 0; c < m.ncpus && !found; c++) {
            const mmu_trace_t *t = &m.cpu[c].mmu.trace;
            found = t->nested && t->outcome == MMU_OUTCOME_OK && t->refs == 8 && !t->ad_writes;
            focus = c;
        }
    }
    cr_assert(found,
              "a complete 2-D walk within 2 000 000 cycles from cycle 4 000 000 (cycle %llu, last: "
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
