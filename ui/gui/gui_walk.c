/*
 * gui_walk.c - the page walk as a grid: one row per guest level (and one for the data page),
 * one column per nested level (and one for the guest's own entry), so that a 2-D walk of n
 * guest and m nested levels fills (n+1)(m+1)-1 cells, one per memory reference; a 1-D walk is
 * a single column. Cells light in the order the walker made the references, each with the
 * host-physical address it read and what it cost. A failing reference is red; an entry served
 * by the page-walk cache, or a guest table located by the nested TLB, is lit dimmer (it is
 * listed, not counted as a reference). A large page ends its dimension a level early, so its
 * walk lights fewer cells; the line under the grid says the page sizes and whether the guest's
 * large page was splintered over small nested pages.
 *
 * The walk shown is the selected CPU's last one (mmu.trace, kept by the MMU for this panel), or
 * with `w` a probe of the translation of its pc through the debugger (which changes nothing).
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

#define CELLS_PER_SECOND 5.0 /* the animation: one reference lights every 0.2 s */

void gui_walk_update(gui_t *g, double dt)
{
    unsigned focus = ui_dbg_focus(g->dbg);
    const cpu_t *cpu = ui_dbg_cpu(g->dbg, focus);
    uint64_t key;
    if (g->walk_probe) {
        mmu_result_t res;
        ui_dbg_space_t space = mmu_active(&cpu->mmu) ? UI_DBG_SPACE_GVA : UI_DBG_SPACE_HPA;
        memset(&g->walk, 0, sizeof g->walk);
        if (space != UI_DBG_SPACE_HPA)
            ui_dbg_translate(g->dbg, space, cpu->s.pc, MMU_FETCH, &res, &g->walk);
        key = ((uint64_t)cpu->s.pc << 8) | 0x80 | focus;
    } else {
        g->walk = cpu->mmu.trace;
        key = (g->rec.walks << 8) | focus;
    }
    if (key != g->walk_key) {
        g->walk_key = key;
        g->walk_shown = 0;
    }
    bool fast = g->running && gui_speed_table[g->speed] == 0;
    if (!g->walk_animate || fast)
        g->walk_shown = MMU_TRACE_MAX;
    else
        g->walk_shown += dt * CELLS_PER_SECOND;
}

/* The grid cell of a reference; false for a reference that is not a cell (A/D write-back). */
static bool cell_of(const mmu_trace_t *t, const mmu_trace_ref_t *ref, int *row, int *col)
{
    if (ref->outcome == MMU_OUTCOME_AD_WRITE)
        return false;
    if (ref->space == MMU_SPACE_NESTED) {
        *row = ref->for_level == MMU_FOR_DATA ? t->levels : t->levels - 1 - ref->for_level;
        *col = t->nested_levels - 1 - ref->level;
    } else {
        *row = t->levels - 1 - ref->level;
        *col = t->nested ? t->nested_levels : 0;
    }
    return true;
}

/* A step answered by a cache beside the walker: listed, lit dimmer, not a memory reference. */
static bool cached(const mmu_trace_ref_t *ref)
{
    return ref->outcome == MMU_OUTCOME_PWC_HIT || ref->outcome == MMU_OUTCOME_NTLB_HIT;
}

/* The memory references that are grid cells (not cache hits, not A/D write-backs). */
static unsigned walk_cells(const mmu_trace_t *t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->n && i < MMU_TRACE_MAX; i++) {
        int rr, cc;
        n += cell_of(t, &t->ref[i], &rr, &cc) && !cached(&t->ref[i]);
    }
    return n;
}

/* The page sizes of a successful walk that involved a large page, e.g. "guest 4 MiB page over
 * nested 4 KiB: splintered, the TLB keeps 4 KiB"; "" when every page was 4 KiB. */
static void page_sizes(const mmu_trace_t *t, char *buf, size_t len)
{
    char gs[16], ns[16], es[16];
    buf[0] = '\0';
    if (t->outcome != MMU_OUTCOME_OK || t->entry_shift == 0 ||
        (t->leaf_shift <= MMU_PAGE_SHIFT && t->nested_shift <= MMU_PAGE_SHIFT))
        return;
    mmu_page_size_name(t->leaf_shift, gs, sizeof gs);
    mmu_page_size_name(t->nested_shift, ns, sizeof ns);
    mmu_page_size_name(t->entry_shift, es, sizeof es);
    if (!t->nested)
        snprintf(buf, len, "a %s page, one TLB entry for all of it", gs);
    else if (!t->paging)
        snprintf(buf, len, "nested %s page (TLB: %s)", ns, es);
    else
        snprintf(buf, len, "guest %s, nested %s%s (TLB: %s)", gs, ns,
                 t->splintered ? ": splintered" : "", es);
}

/* Where a failed walk stopped, by the grid's labels: "gL0 (nL1)", "L0", "data (nL0)". */
static void stop_place(const mmu_trace_t *t, char *buf, size_t len)
{
    snprintf(buf, len, "its first reference");
    for (unsigned i = t->n < MMU_TRACE_MAX ? t->n : MMU_TRACE_MAX; i-- > 0;) {
        const mmu_trace_ref_t *ref = &t->ref[i];
        int rr, cc;
        if (!cell_of(t, ref, &rr, &cc) || ref->outcome == MMU_OUTCOME_OK ||
            ref->outcome == MMU_OUTCOME_PWC_HIT)
            continue;
        char row[16];
        if (rr == (int)t->levels)
            snprintf(row, sizeof row, "data");
        else
            snprintf(row, sizeof row, "%sL%d", t->nested ? "g" : "", t->levels - 1 - rr);
        if (t->nested && cc < (int)t->nested_levels)
            snprintf(buf, len, "%s (nested nL%d)", row, t->nested_levels - 1 - cc);
        else
            snprintf(buf, len, "%s%s", row, t->nested ? " (the guest's entry)" : "");
        return;
    }
}

void gui_draw_walk(gui_t *g)
{
    const mmu_trace_t *t = &g->walk;
    unsigned focus = ui_dbg_focus(g->dbg);
    char sub[64];
    snprintf(sub, sizeof sub, g->walk_probe ? "probe of pCPU%u's pc" : "last walk on pCPU%u",
             focus);
    int y =
        gui_panel_begin(g, UI_GUI_PANEL_WALK, t->nested ? "2-D PAGE WALK" : "1-D PAGE WALK", sub);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_WALK];
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL], *sf = &g->font[GUI_FONT_SMALL];
    int x0 = r.x + f->cw;
    g->walk_lit = 0;
    snprintf(g->walk_text, sizeof g->walk_text, "no walk");
    if (t->n == 0) {
        const cpu_t *cpu = ui_dbg_cpu(g->dbg, focus);
        gui_text(g, GUI_FONT_NORMAL, x0, y, GUI_DIM,
                 mmu_active(&cpu->mmu) ? "no page walk yet (every access hit the TLB)"
                                       : "paging is off: addresses are physical, no walk");
        gui_text(g, GUI_FONT_NORMAL, x0, y + f->lh, GUI_DIM,
                 "w: probe the translation of the pc");
        return;
    }
    char a[16], b[16], c[16], num[32];
    bool failed = t->outcome != MMU_OUTCOME_OK;
    if (failed) /* no host address: the walk did not get there */
        gui_textf(g, GUI_FONT_NORMAL, x0, y, GUI_TEXT, "%s %s: no translation (%s, %s)",
                  t->nested ? "gva" : "va", gui_hex(t->va, a), mmu_access_name(t->access),
                  t->priv == MMU_PRIV_USER ? "user" : "kernel");
    else if (t->nested)
        gui_textf(g, GUI_FONT_NORMAL, x0, y, GUI_TEXT, "%s %s → gpa %s → hpa %s",
                  "gva", gui_hex(t->va, a), gui_hex(t->gpa, b), gui_hex(t->pa, c));
    else
        gui_textf(g, GUI_FONT_NORMAL, x0, y, GUI_TEXT, "va %s → pa %s  (%s, %s)",
                  gui_hex(t->va, a), gui_hex(t->pa, b), mmu_access_name(t->access),
                  t->priv == MMU_PRIV_USER ? "user" : "kernel");
    y += f->lh;
    /* The references counted are the cells the grid lights (page-walk-cache hits are shown
     * dimmer and not counted; A/D write-backs are listed below). */
    unsigned refs = walk_cells(t), full = (t->levels + 1u) * (t->nested_levels + 1u) - 1u;
    char line[160], where[48] = "";
    if (failed)
        stop_place(t, where, sizeof where);
    if (failed)
        snprintf(line, sizeof line, "%s: %u ref%s · %s cycles · stopped at %s: %s",
                 t->nested ? "2-D" : "1-D", refs, refs == 1 ? "" : "s",
                 sim_group_digits(t->cycles, num, sizeof num), where, mmu_outcome_name(t->outcome));
    else if (t->nested && refs == full) /* the formula only where the walk is the whole of it */
        snprintf(line, sizeof line, "2-D: %u refs = (%u+1)(%u+1)-1 · %s cycles", refs, t->levels,
                 t->nested_levels, sim_group_digits(t->cycles, num, sizeof num));
    else
        snprintf(line, sizeof line, "%s: %u ref%s · %s cycles", t->nested ? "2-D" : "1-D", refs,
                 refs == 1 ? "" : "s", sim_group_digits(t->cycles, num, sizeof num));
    /* Two lines where a failed walk's place and outcome do not fit in one. */
    int lines = gui_text_wrap(g, GUI_FONT_NORMAL, x0, y, r.w - 2 * f->cw,
                              failed ? GUI_BREAK : GUI_DIM, line, 2);
    snprintf(g->walk_text, sizeof g->walk_text, "%s", line);
    y += (lines > 1 ? lines : 1) * f->lh + f->lh / 3;

    /* The grid: row labels on the left, column labels on top. */
    int rows = t->levels + (t->nested ? 1 : 0), cols = t->nested ? t->nested_levels + 1 : 1;
    int label_w = f->cw * 6;
    int gx = x0 + label_w, gw = r.x + r.w - f->cw - gx;
    int cw = gw / cols, chh = (r.y + r.h - y - f->lh - 6) / rows;
    int cell_h = chh > sf->lh * 2 + 8 ? sf->lh * 2 + 8 : chh;
    if (cell_h < sf->lh + 4)
        cell_h = sf->lh + 4;
    for (int c2 = 0; c2 < cols; c2++) {
        char lab[16];
        if (t->nested && c2 < t->nested_levels)
            snprintf(lab, sizeof lab, "nL%d", t->nested_levels - 1 - c2);
        else
            snprintf(lab, sizeof lab, "%s", t->nested ? "guest" : "entry");
        gui_text(g, GUI_FONT_SMALL, gx + c2 * cw + 4, y, GUI_DIM, lab);
    }
    y += sf->lh + 2;
    for (int rr = 0; rr < rows; rr++) {
        char lab[16];
        if (rr == t->levels)
            snprintf(lab, sizeof lab, "data");
        else
            snprintf(lab, sizeof lab, "%sL%d", t->nested ? "g" : "", t->levels - 1 - rr);
        gui_text(g, GUI_FONT_SMALL, x0, y + rr * cell_h + (cell_h - sf->lh) / 2, GUI_DIM, lab);
        for (int c2 = 0; c2 < cols; c2++) {
            if (rr == t->levels && c2 == cols - 1)
                continue; /* the data page is read by the access, not by the walk */
            gui_fill(g, gx + c2 * cw + 2, y + rr * cell_h + 2, cw - 4, cell_h - 4, 0x2a2f39u);
        }
    }
    unsigned order = 0;
    for (unsigned i = 0; i < t->n && i < MMU_TRACE_MAX; i++) {
        const mmu_trace_ref_t *ref = &t->ref[i];
        int rr, c2;
        if (!cell_of(t, ref, &rr, &c2) || rr < 0 || rr >= rows || c2 < 0 || c2 >= cols)
            continue;
        if ((double)order >= g->walk_shown)
            break;
        order++;
        bool pwc = cached(ref);
        bool bad = !pwc && ref->outcome != MMU_OUTCOME_OK;
        uint32_t bg = bad ? 0x7a2226u : pwc ? 0x5b4a2eu : 0x8a5a1cu;
        int cx = gx + c2 * cw + 2, cy = y + rr * cell_h + 2;
        gui_fill(g, cx, cy, cw - 4, cell_h - 4, bg);
        gui_frame_rect(g, cx, cy, cw - 4, cell_h - 4, bad ? GUI_BREAK : GUI_LIT);
        if (!pwc)
            g->walk_lit++;
        gui_textf(g, GUI_FONT_SMALL, cx + 3, cy + 2, 0xfff1d6u, "%u %s", order,
                  gui_hex(ref->addr, a));
        if (cell_h - 4 >= sf->lh * 2 + 2)
            gui_textf(g, GUI_FONT_SMALL, cx + 3, cy + 2 + sf->lh, 0xf0d9b5u, "%u cyc%s%s",
                      ref->cycles, bad || pwc ? " " : "",
                      bad || pwc ? mmu_outcome_name(ref->outcome) : "");
    }
    int ly = y + rows * cell_h + 4;
    char sizes[128];
    page_sizes(t, sizes, sizeof sizes);
    snprintf(g->walk_sizes, sizeof g->walk_sizes, "%s", sizes);
    char foot[192] = "";
    if (t->ad_writes)
        snprintf(foot, sizeof foot, "+ %u A/D write%s%s%s", t->ad_writes,
                 t->ad_writes == 1 ? "" : "s", sizes[0] ? " · " : "", sizes);
    else
        snprintf(foot, sizeof foot, "%s", sizes);
    if (foot[0])
        gui_text_fit(g, GUI_FONT_SMALL, x0, ly, r.w - 2 * f->cw,
                     t->splintered ? GUI_BREAK : GUI_DIM, foot);
    if (t->leaf_shift > MMU_PAGE_SHIFT && t->levels > 1 && rows > 1) /* the row a leaf skipped */
        gui_text(g, GUI_FONT_SMALL, gx + 6,
                 y + (rows - (t->nested ? 2 : 1)) * cell_h + (cell_h - sf->lh) / 2, GUI_DIM,
                 "skipped: L1 leaf");
}

unsigned ui_gui_walk_lit(const gui_t *g)
{
    return g->walk_lit;
}
