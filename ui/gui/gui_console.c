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

static void draw_ring_bars(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    gui_text(g, GUI_FONT_BOLD, x, y, GUI_TITLE, "CPU TIME BY RING");
    y += g->font[GUI_FONT_BOLD].lh;
    int bx = x + f->cw * 7, bw = w - f->cw * 7;
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        const gui_lane_t *lane = &g->rec.lane[i];
        uint64_t t[4];
        memcpy(t, lane->ring_cycles, sizeof t);
        uint64_t now = ui_dbg_cpu(g->dbg, i)->s.cycles;
        unsigned slot = lane->idle ? GUI_IDLE : (unsigned)lane->mode;
        if (now > lane->mode_since && slot <= GUI_IDLE)
            t[slot] += now - lane->mode_since;
        uint64_t total = t[0] + t[1] + t[2] + t[3];
        gui_textf(g, GUI_FONT_SMALL, x, y, GUI_TEXT, "pCPU%u", i);
        gui_fill(g, bx, y + 2, bw, f->lh - 4, 0x2a2f39u);
        int px = bx;
        static const unsigned order[] = {CPU_MODE_U, CPU_MODE_K, CPU_MODE_H, GUI_IDLE};
        char label[128];
        int lx = 0;
        for (int k = 0; k < 4 && total; k++) {
            int pw = (int)((double)t[order[k]] / (double)total * bw);
            gui_fill(g, px, y + 2, pw, f->lh - 4,
                     order[k] == GUI_IDLE ? GUI_HALTED : gui_ring_rgb((cpu_mode_t)order[k]));
            px += pw;
        }
        if (total)
            snprintf(label, sizeof label,
                     "user %.0f%% · kernel %.0f%% · hypervisor %.0f%% · idle %.0f%%",
                     100.0 * (double)t[0] / (double)total, 100.0 * (double)t[1] / (double)total,
                     100.0 * (double)t[2] / (double)total, 100.0 * (double)t[3] / (double)total);
        else
            snprintf(label, sizeof label, "no cycles yet");
        (void)lx;
        gui_text(g, GUI_FONT_SMALL, bx + 4, y + f->lh, GUI_DIM, label);
        y += f->lh * 2 + 2;
    }
}

/* Per VM: where its time went, guest (user and kernel) · hypervisor (and VMM) · the round
 * trips of its exits. Returns the y below. */
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
        uint64_t t[3] = {vm.cycles_guest, vm.cycles_hv, vm.cycles_exit};
        static const uint32_t rgb[3] = {GUI_RING0, GUI_RINGM1, GUI_WARN};
        uint64_t total = t[0] + t[1] + t[2];
        gui_textf(g, GUI_FONT_SMALL, x, y, gui_vm_rgb((int)i), "%.7s", vm.name);
        gui_fill(g, bx, y + 2, bw, f->lh - 4, 0x2a2f39u);
        int px = bx;
        for (int k = 0; k < 3 && total; k++) {
            int pw = (int)((double)t[k] / (double)total * bw);
            gui_fill(g, px, y + 2, pw, f->lh - 4, rgb[k]);
            px += pw;
        }
        char a[32], b[32], c[32], d[48];
        gui_textf(g, GUI_FONT_SMALL, bx + 4, y + f->lh, GUI_DIM,
                  "guest %s · hypervisor %s · exit round trips %s · %s",
                  sim_group_digits(t[0], a, sizeof a), sim_group_digits(t[1], b, sizeof b),
                  sim_group_digits(t[2], c, sizeof c), sim_counted(vm.exits, "exit", d, sizeof d));
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
