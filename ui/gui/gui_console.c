/*
 * gui_console.c - the consoles and the time bars. One console per VM (with the hypervisor);
 * on the bare machine, the machine's own UART console. Below them, each pCPU's time split by
 * ring (user, kernel, hypervisor), from the window's event record; per-VM bars (guest time,
 * hypervisor time, exit overhead) arrive with the hypervisor and until then the panel says so.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

/* Draws the last lines of `text` that fit in rows lines of `cols` characters (long lines
 * wrapped). Only the tail of the text is looked at: the console may hold megabytes. */
static void draw_tail(gui_t *g, int x, int y, int cols, int rows, const char *text)
{
    enum { MAX_ROWS = 128 };
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    if (rows <= 0 || cols <= 0)
        return;
    rows = rows > MAX_ROWS ? MAX_ROWS : rows;
    cols = cols > 511 ? 511 : cols;
    /* Back up over `rows` newlines: no more text than that can show. */
    size_t len = strlen(text), start = len;
    int newlines = 0;
    while (start > 0 && newlines <= rows)
        newlines += text[--start] == '\n';
    if (start > 0 || text[0] == '\n')
        start += text[start] == '\n';
    /* Wrap forward, keeping the last `rows` display lines in a ring. */
    size_t off[MAX_ROWS], n[MAX_ROWS];
    int kept = 0, head = 0;
    size_t p = start;
    while (p < len) {
        size_t line_end = p;
        while (line_end < len && text[line_end] != '\n')
            line_end++;
        size_t q = p;
        do {
            size_t k = line_end - q < (size_t)cols ? line_end - q : (size_t)cols;
            off[head] = q;
            n[head] = k;
            head = (head + 1) % rows;
            kept += kept < rows;
            q += k;
        } while (q < line_end);
        p = line_end + 1;
    }
    char line[512];
    for (int i = 0; i < kept; i++) {
        int at = (head - kept + i + rows) % rows;
        memcpy(line, text + off[at], n[at]);
        line[n[at]] = '\0';
        for (size_t c = 0; c < n[at]; c++)
            if ((unsigned char)line[c] < 32 || (unsigned char)line[c] > 126)
                line[c] = ' ';
        gui_text(g, GUI_FONT_SMALL, x, y + i * f->lh, GUI_TEXT, line);
    }
}

/* A bar of the accounting's kinds, in their colours, and below it the non-zero kinds as
 * percentages of the total (as many as fit the width). */
static void time_bar(gui_t *g, int bx, int y, int bw, const uint64_t t[SIM_TIME_COUNT], int vm)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    uint64_t total = 0;
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++)
        total += t[k];
    gui_fill(g, bx, y + 2, bw, f->lh - 4, 0x2a2f39u);
    int px = bx;
    for (unsigned k = 0; k < SIM_TIME_COUNT && total; k++) {
        int pw = (int)((double)t[k] / (double)total * bw);
        gui_fill(g, px, y + 2, pw, f->lh - 4, gui_time_rgb(k, vm));
        px += pw;
    }
    char label[256] = "no cycles yet";
    size_t n = 0;
    for (unsigned k = 0; k < SIM_TIME_COUNT && total; k++) {
        if (!t[k])
            continue;
        char item[48];
        snprintf(item, sizeof item, "%s%s %.1f%%", n ? " · " : "", gui_time_name(g, k),
                 100.0 * (double)t[k] / (double)total);
        if (gui_text_width(g, GUI_FONT_SMALL, label) + gui_text_width(g, GUI_FONT_SMALL, item) >
                bw - 4 &&
            n)
            break; /* what does not fit is left out rather than cut */
        n += (size_t)snprintf(label + n, sizeof label - n, "%s", item);
    }
    gui_text(g, GUI_FONT_SMALL, bx + 4, y + f->lh, GUI_DIM, label);
}

/* Per pCPU: where its cycles went, from the machine's accounting (the statistics' figures). */
static void draw_ring_bars(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    gui_text(g, GUI_FONT_BOLD, x, y, GUI_TITLE, "CPU TIME");
    y += g->font[GUI_FONT_BOLD].lh;
    int bx = x + f->cw * 7, bw = w - f->cw * 7;
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        uint64_t t[SIM_TIME_COUNT];
        sim_account_cpu(g->m, i, t, NULL);
        gui_textf(g, GUI_FONT_SMALL, x, y, GUI_TEXT, "pCPU%u", i);
        time_bar(g, bx, y, bw, t, -1);
        y += f->lh * 2 + 2;
    }
}

/* Per VM: where its time went, by the same accounting. Returns the y below. */
static int draw_vm_bars(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    gui_text(g, GUI_FONT_BOLD, x, y, GUI_TITLE, "CYCLES PER VM");
    y += g->font[GUI_FONT_BOLD].lh;
    int bx = x + f->cw * 8, bw = w - f->cw * 8;
    for (unsigned i = 0; i < ui_dbg_vm_count(g->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
            continue;
        gui_textf(g, GUI_FONT_SMALL, x, y, gui_vm_rgb((int)i), "%.7s", vm.name);
        time_bar(g, bx, y, bw, vm.time, (int)i);
        y += f->lh * 2;
    }
    return y + 2;
}

void gui_draw_console(gui_t *g)
{
    bool vms = ui_dbg_vm_count(g->dbg) > 0;
    int y = gui_panel_begin(g, UI_GUI_PANEL_CONSOLE, "CONSOLES",
                            vms ? "one per VM" : "bare metal: the machine's UART");
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_CONSOLE];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int x0 = r.x + f->cw, w = r.w - 2 * f->cw;
    int bars_h = g->font[GUI_FONT_BOLD].lh + (int)g->m->ncpus * (f->lh * 2 + 2) + f->lh * 2;
    int rows = (r.y + r.h - y - bars_h - 6) / f->lh;
    unsigned nvm = ui_dbg_vm_count(g->dbg);
    if (vms) /* the VM bars take the room of the pCPU label lines */
        rows -= (int)nvm * 2 + 1 - (int)g->m->ncpus;
    gui_fill(g, x0 - 2, y, w + 4, rows * f->lh + 4, 0x12151au);
    if (!vms) {
        gui_text(g, GUI_FONT_SMALL, x0, y + 2, GUI_RING0, "[bare metal]");
        const char *text = sim_console_captured(g->m);
        if (!*text)
            gui_text(g, GUI_FONT_SMALL, x0 + f->cw * 13, y + 2, GUI_DIM, "(no output yet)");
        draw_tail(g, x0, y + 2 + f->lh, w / f->cw, rows - 1, text);
    } else { /* one console per VM, each in its own hue, side by side */
        int cw = w / (int)nvm;
        for (unsigned i = 0; i < nvm; i++) {
            ui_dbg_vm_t vm;
            if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
                continue;
            int cx = x0 + (int)i * cw;
            gui_textf(g, GUI_FONT_SMALL, cx, y + 2, gui_vm_rgb((int)i), "[%s] %s", vm.name,
                      vm.state);
            const char *text = ui_dbg_vm_console(g->dbg, i);
            draw_tail(g, cx, y + 2 + f->lh, cw / f->cw - 1, rows - 1,
                      *text ? text : "(no output yet)");
        }
    }
    y += rows * f->lh + 8;
    if (vms)
        y = draw_vm_bars(g, x0, y, w);
    draw_ring_bars(g, x0, y, w);
}
