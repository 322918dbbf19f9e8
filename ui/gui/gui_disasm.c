/*
 * gui_disasm.c - the disassembly around the selected CPU's pc, in the debugger's default space
 * (virtual while the CPU translates, else physical): address, symbol, instruction. The pc is
 * marked with ▶, breakpoints with ●; privileged and sensitive instructions (those that matter
 * to trap-and-emulate) are coloured; a binary translator's code shows, in place of a symbol,
 * the guest code it was translated from (← name+off). The rows above the pc start at code
 * (ui_dbg_listing_start: never the zeros or the hole before a program) and a row that is not
 * mapped stays blank. Clicking a line toggles a breakpoint there, through the debugger, so
 * the REPL's `info breakpoints` lists it too.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

/* The enabled address breakpoint at addr in space, or NULL. */
static const ui_dbg_bp_t *bp_at(const gui_t *g, ui_dbg_space_t space, uint32_t addr)
{
    size_t n = ui_dbg_bp_count(g->dbg);
    for (size_t i = 0; i < n; i++) {
        const ui_dbg_bp_t *bp = ui_dbg_bp(g->dbg, i);
        if (bp->kind == UI_DBG_BP_ADDR && bp->space == space && bp->addr == addr)
            return bp;
    }
    return NULL;
}

/* The privilege class of the instruction at addr of VM vm (0 when unreadable or illegal). */
static unsigned insn_class(gui_t *g, int vm, uint32_t addr)
{
    cpu_insn_t insn;
    return ui_dbg_insn_vm(g->dbg, vm, addr, &insn) ? cpu_isa[insn.op].cls : 0;
}

void gui_draw_disasm(gui_t *g)
{
    ui_dbg_space_t space = ui_dbg_default_space(g->dbg);
    /* At an exit: the guest's code around its exiting instruction (in its own space); in
     * ring -1 with no exit there is no current code to show. */
    ui_dbg_view_t view;
    ui_dbg_view(g->dbg, ui_dbg_focus(g->dbg), &view);
    int vm = view.kind == UI_DBG_VIEW_GUEST ? view.vm : -1; /* the exiting VM's own space */
    if (vm >= 0)
        space = UI_DBG_SPACE_GVA;
    /* Binary translation's monitor, its pc still in the translation cache: the guest's own
     * instruction it handles, in the guest's code. */
    uint32_t gpc;
    bool monitor = ui_dbg_monitor_insn(g->dbg, &view, &gpc);
    char sub[64];
    if (monitor)
        snprintf(sub, sizeof sub, "(%s · ▼ what the monitor handles)", ui_dbg_space_name(space));
    else if (view.kind == UI_DBG_VIEW_GUEST)
        snprintf(sub, sizeof sub, "(%s · ▼ the exiting instruction)", ui_dbg_space_name(space));
    else
        snprintf(sub, sizeof sub, "(%s)", ui_dbg_space_name(space));
    int y = gui_panel_begin(g, UI_GUI_PANEL_DISASM, "DISASSEMBLY", sub);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_DISASM];
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    if (view.kind == UI_DBG_VIEW_NONE) {
        g->dis_rows = 0;
        gui_text_wrap(g, GUI_FONT_NORMAL, r.x + f->cw, y, r.w - 2 * f->cw, GUI_DIM, view.why, 4);
        return;
    }
    uint32_t pc = monitor ? gpc : view.s.pc;
    int rows = (r.y + r.h - y - 2) / f->lh;
    rows = rows > 64 ? 64 : rows;
    /* The rows above pc start at code: never the zeros or the hole before a program. */
    uint32_t start = ui_dbg_listing_start(g->dbg, vm, pc, (unsigned)rows / 3);
    g->dis_rows = rows;
    g->dis_y0 = y;
    g->dis_lh = f->lh;
    /* The symbol column takes what the instruction column (about 24 characters) leaves. */
    int sym_chars = r.w / f->cw - 14 - 24;
    sym_chars = sym_chars < 12 ? 12 : sym_chars > 32 ? 32 : sym_chars;
    int x_mark = r.x + f->cw, x_addr = x_mark + f->cw * 2, x_sym = x_addr + f->cw * 10;
    int x_insn = x_sym + f->cw * (sym_chars + 1);
    for (int i = 0; i < rows; i++) {
        uint32_t addr = start + (uint32_t)i * 4;
        int ly = y + i * f->lh;
        char text[96], hex[16], sym[96];
        g->dis_addr[i] = addr;
        bool readable = ui_dbg_disasm_vm(g->dbg, vm, addr, text, sizeof text);
        if (!readable && addr != pc)
            continue; /* not mapped: a blank row, no guess at what is there */
        if (addr == pc)
            gui_fill(g, r.x + 1, ly, r.w - 2, f->lh, 0x2d3340u);
        const ui_dbg_bp_t *bp = bp_at(g, space, addr);
        if (bp)
            gui_text(g, GUI_FONT_NORMAL, x_mark, ly, bp->enabled ? GUI_BREAK : GUI_DIM, "●");
        if (addr == pc) /* at an exit: the instruction that exited, not yet run */
            gui_text(g, GUI_FONT_NORMAL, x_mark + f->cw, ly,
                     view.kind == UI_DBG_VIEW_GUEST ? GUI_RINGM1 : GUI_PC,
                     view.kind == UI_DBG_VIEW_GUEST ? "▼" : "▶");
        gui_text(g, GUI_FONT_NORMAL, x_addr, ly, GUI_DIM, gui_hex(addr, hex));
        /* "<puts+0x4>" without its brackets and leading space. */
        if (vm >= 0)
            ui_dbg_symbolize_vm(g->dbg, vm, addr, sym, sizeof sym);
        else
            ui_dbg_symbolize(g->dbg, addr, sym, sizeof sym);
        char from[80];
        if (!sym[0] && ui_dbg_translated_from(g->dbg, addr, from, sizeof from)) {
            snprintf(sym, sizeof sym, " <← %s>", from); /* translated code: its guest code */
        }
        if (sym[0]) {
            size_t n = strlen(sym);
            sym[n - 1] = '\0';
            if (n - 3 > (size_t)sym_chars)
                snprintf(sym + 2 + sym_chars - 1, 4, "…");
            gui_text(g, GUI_FONT_NORMAL, x_sym, ly, GUI_TITLE, sym + 2);
        }
        if (!readable) { /* the pc itself: a wild jump, say so */
            gui_text(g, GUI_FONT_NORMAL, x_insn, ly, GUI_WARN, "(the pc is not mapped)");
            continue;
        }
        unsigned cls = insn_class(g, vm, addr);
        uint32_t col = addr == pc ? GUI_TEXT : 0xc3cad6u;
        if (cls & (CPU_CLASS_PRIV | CPU_CLASS_HYPER))
            col = GUI_RINGM1;
        else if (cls & CPU_CLASS_SENS)
            col = GUI_WARN;
        gui_text(g, GUI_FONT_NORMAL, x_insn, ly, col, text);
    }
}

void gui_disasm_click(gui_t *g, int y)
{
    if (g->dis_lh <= 0 || y < g->dis_y0)
        return;
    int row = (y - g->dis_y0) / g->dis_lh;
    if (row < 0 || row >= g->dis_rows)
        return;
    ui_dbg_space_t space = ui_dbg_default_space(g->dbg);
    uint32_t addr = g->dis_addr[row];
    const ui_dbg_bp_t *bp = bp_at(g, space, addr);
    char desc[160];
    if (bp) {
        int id = bp->id;
        ui_dbg_delete(g->dbg, id);
        snprintf(g->status, sizeof g->status, "Deleted breakpoint %d.", id);
    } else {
        int id = ui_dbg_break_addr(g->dbg, space, addr, UI_DBG_ANY_CPU, UI_DBG_ANY_VM);
        if (id < 0) {
            snprintf(g->status, sizeof g->status, "%s", ui_dbg_error(g->dbg));
            g->status_rgb = GUI_WARN;
            return;
        }
        ui_dbg_bp_describe(g->dbg, ui_dbg_bp_by_id(g->dbg, id), desc, sizeof desc);
        snprintf(g->status, sizeof g->status, "Breakpoint %d at %s.", id, desc);
    }
    g->status_rgb = GUI_TEXT;
    gui_report_stop(g, g->status, NULL);
}
