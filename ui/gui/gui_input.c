/*
 * gui_input.c - the keyboard and the mouse. One key table drives both the handling and the
 * help overlay (gui_help.c), so a key exists exactly when the overlay lists it. The mouse
 * clicks the control bar's buttons, toggles breakpoints on disassembly lines, picks timeline
 * markers and zooms the timeline with the wheel.
 */
#include <stdio.h>

#include "gui_internal.h"

static void next_cpu(gui_t *g)
{
    unsigned n = g->m->ncpus, next = (ui_dbg_focus(g->dbg) + 1) % n;
    ui_dbg_set_focus(g->dbg, next);
    snprintf(g->status, sizeof g->status, "pCPU%u selected%s", next,
             n == 1 ? " (this machine has one CPU)" : "");
    g->status_rgb = GUI_TEXT;
}

static void next_vm(gui_t *g)
{
    if (ui_dbg_vm_count(g->dbg) == 0) {
        snprintf(g->status, sizeof g->status, "No hypervisor in this run: there is no VM or VCPU "
                                              "to select (Tab selects a pCPU).");
        g->status_rgb = GUI_WARN;
    }
}

static void toggle_help(gui_t *g)
{
    g->help = !g->help;
}

static void escape(gui_t *g)
{
    if (g->help)
        g->help = false;
    else
        g->quit = true;
}

static void quit(gui_t *g)
{
    g->quit = true;
}

static void toggle_probe(gui_t *g)
{
    g->walk_probe = !g->walk_probe;
}

static void bp_at_pc(gui_t *g)
{
    const cpu_t *cpu = ui_dbg_cpu(g->dbg, ui_dbg_focus(g->dbg));
    /* The disassembly's row of the pc, clicked. */
    for (int i = 0; i < g->dis_rows; i++)
        if (g->dis_addr[i] == cpu->s.pc) {
            gui_disasm_click(g, g->dis_y0 + i * g->dis_lh);
            return;
        }
}

static void zoom_in(gui_t *g)
{
    gui_timeline_zoom(g, -1, 0.5);
}

static void zoom_out(gui_t *g)
{
    gui_timeline_zoom(g, -1, 2.0);
}

static void scroll_back(gui_t *g)
{
    gui_timeline_scroll(g, -0.5);
}

static void scroll_on(gui_t *g)
{
    gui_timeline_scroll(g, 0.5);
}

/* Rows with a NULL label are alternative keys, not listed twice. */
const gui_key_t gui_keys[] = {
    {SDLK_SPACE, "Space", "run / pause", gui_cmd_run_pause},
    {SDLK_s, "s", "step one instruction", gui_cmd_stepi},
    {SDLK_BACKSPACE, "Backspace", "step back one instruction (reverse-stepi)", gui_cmd_step_back},
    {SDLK_t, "t", "step to the next trap or interrupt", gui_cmd_step_trap},
    {SDLK_x, "x", "step to the next VM exit", gui_cmd_step_exit},
    {SDLK_e, "e", "step one event: the sub-steps of a transition", gui_cmd_step_event},
    {SDLK_o, "o", "finish: at an exit, to the VM entry; else out of the routine", gui_cmd_finish},
    {SDLK_EQUALS, "+", "faster (instructions per second)", gui_cmd_faster},
    {SDLK_PLUS, NULL, NULL, gui_cmd_faster},
    {SDLK_KP_PLUS, NULL, NULL, gui_cmd_faster},
    {SDLK_MINUS, "-", "slower", gui_cmd_slower},
    {SDLK_KP_MINUS, NULL, NULL, gui_cmd_slower},
    {SDLK_g, "g", "go at full speed", gui_cmd_full_speed},
    {SDLK_TAB, "Tab", "select the next pCPU", next_cpu},
    {SDLK_v, "v", "select the next VM / VCPU", next_vm},
    {SDLK_b, "b", "toggle a breakpoint at the pc (or click a line)", bp_at_pc},
    {SDLK_w, "w", "page walk: the last walk, or a probe of the pc", toggle_probe},
    {SDLK_LEFTBRACKET, "[", "timeline: zoom in (or the wheel)", zoom_in},
    {SDLK_RIGHTBRACKET, "]", "timeline: zoom out", zoom_out},
    {SDLK_LEFT, "←", "timeline: scroll back", scroll_back},
    {SDLK_RIGHT, "→", "timeline: scroll forward", scroll_on},
    {SDLK_f, "f", "timeline: follow the newest cycle", gui_timeline_follow},
    {SDLK_r, "r", "restart: the scenario again from cycle 0 (breakpoints kept)", gui_cmd_restart},
    {SDLK_F5, "F5", "save the whole machine to hvsim.snap (docs/snapshot.md)", gui_cmd_save},
    {SDLK_F9, "F9", "restore the machine saved in hvsim.snap", gui_cmd_restore},
    {SDLK_l, "l", "timeline: a lane per VCPU too (where each VCPU ran, and its exits)",
     gui_timeline_vcpus},
    {SDLK_SLASH, "?", "this help (also F1)", toggle_help},
    {SDLK_F1, NULL, NULL, toggle_help},
    {SDLK_ESCAPE, "Esc", "close the help, or quit", escape},
    {SDLK_q, "q", "quit (the REPL too)", quit},
};
const size_t gui_nkeys = sizeof gui_keys / sizeof gui_keys[0];

static bool inside(ui_gui_rect_t r, int x, int y)
{
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

static void click(gui_t *g, int x, int y)
{
    for (int i = 0; i < g->nbuttons; i++)
        if (inside(g->button[i], x, y)) {
            gui_button_click(g, i);
            return;
        }
    if (inside(g->panel[UI_GUI_PANEL_DISASM], x, y))
        gui_disasm_click(g, y);
    else if (inside(g->panel[UI_GUI_PANEL_TIMELINE], x, y))
        gui_timeline_click(g, x, y);
    else if (inside(g->panel[UI_GUI_PANEL_MEMMAP], x, y)) { /* a cell stays selected */
        int c = gui_memmap_cell_at(g, x, y);
        g->mem_sel = c == g->mem_sel ? -1 : c;
    } else if (inside(g->panel[UI_GUI_PANEL_CONSOLE], x, y)) {
        for (int i = 0; i < g->nconsole_tabs; i++)
            if (inside(g->console_tab[i], x, y))
                g->console_vm = i;
    } else if (g->help)
        g->help = false;
}

bool gui_handle_event(gui_t *g, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT: g->quit = true; return true;
    case SDL_KEYDOWN:
        for (size_t i = 0; i < gui_nkeys; i++)
            if (gui_keys[i].key == e->key.keysym.sym) {
                gui_keys[i].action(g);
                return true;
            }
        return false;
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT)
            click(g, e->button.x, e->button.y);
        return true;
    case SDL_MOUSEWHEEL: {
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        if (inside(g->panel[UI_GUI_PANEL_TIMELINE], mx, my) && e->wheel.y != 0)
            gui_timeline_zoom(g, mx, e->wheel.y > 0 ? 0.8 : 1.25);
        return true;
    }
    case SDL_MOUSEMOTION: { /* the memory map says what is under the pointer */
        int c = inside(g->panel[UI_GUI_PANEL_MEMMAP], e->motion.x, e->motion.y)
                    ? gui_memmap_cell_at(g, e->motion.x, e->motion.y)
                    : -1;
        bool changed = c != g->mem_hover;
        g->mem_hover = c;
        return changed;
    }
    case SDL_WINDOWEVENT: return true;
    default: return false;
    }
}
