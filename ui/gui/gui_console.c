/*
 * gui_console.c - the consoles and the time bars. One console per VM (with the hypervisor);
 * on the bare machine, the machine's own UART console, its latest lines wrapped at word
 * boundaries. Below them, per VM and per pCPU, where the cycles went, from the machine's one
 * time accounting (sim_account.c): the same figures as the statistics.
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
    /* Wrap forward at word boundaries (gui_line_end), keeping the last `rows` display lines
     * in a ring. */
    size_t off[MAX_ROWS], n[MAX_ROWS];
    int kept = 0, head = 0;
    size_t p = start;
    char logical[1024];
    while (p < len) {
        size_t line_end = p;
        while (line_end < len && text[line_end] != '\n')
            line_end++;
        size_t ll = line_end - p < sizeof logical - 1 ? line_end - p : sizeof logical - 1;
        memcpy(logical, text + p, ll);
        logical[ll] = '\0';
        const char *q = logical;
        do {
            const char *e = gui_line_end(q, cols);
            off[head] = p + (size_t)(q - logical);
            n[head] = (size_t)(e - q);
            head = (head + 1) % rows;
            kept += kept < rows;
            q = e;
            while (*q == ' ')
                q++;
        } while (*q);
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

/* A bar of the accounting's kinds, in their colours, with the non-zero kinds as percentages
 * of the total (as many as fit, largest first): below the bar, or (compact, where the panel is short) on
 * its right, the bar taking two fifths of the width. */
static void time_bar(gui_t *g, int bx, int y, int bw, const uint64_t t[SIM_TIME_COUNT], int vm,
                     bool compact)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    uint64_t total = 0;
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++)
        total += t[k];
    int barw = compact ? bw * 2 / 5 : bw;
    int lx = compact ? bx + barw + f->cw : bx + 4, ly = compact ? y : y + f->lh;
    int lw = compact ? bw - barw - f->cw : bw - 4;
    gui_fill(g, bx, y + 2, barw, f->lh - 4, 0x2a2f39u);
    int px = bx;
    for (unsigned k = 0; k < SIM_TIME_COUNT && total; k++) {
        int pw = (int)((double)t[k] / (double)total * barw);
        gui_fill(g, px, y + 2, pw, f->lh - 4, gui_time_rgb(k, vm));
        px += pw;
    }
    /* The largest kinds first: what does not fit is the smallest share, never the largest. */
    unsigned order[SIM_TIME_COUNT];
    for (unsigned k = 0; k < SIM_TIME_COUNT; k++) {
        unsigned at = k;
        for (; at > 0 && t[order[at - 1]] < t[k]; at--)
            order[at] = order[at - 1];
        order[at] = k;
    }
    char label[256] = "no cycles yet";
    size_t n = 0;
    for (unsigned i = 0; i < SIM_TIME_COUNT && total; i++) {
        unsigned k = order[i];
        if (!t[k])
            continue;
        char item[48];
        snprintf(item, sizeof item, "%s%s %.1f%%", n ? " · " : "", gui_time_name(g, k),
                 100.0 * (double)t[k] / (double)total);
        if (n &&
            gui_text_width(g, GUI_FONT_SMALL, label) + gui_text_width(g, GUI_FONT_SMALL, item) > lw)
            break; /* what does not fit is left out rather than cut */
        n += (size_t)snprintf(label + n, sizeof label - n, "%s", item);
    }
    gui_text_fit(g, GUI_FONT_SMALL, lx, ly, lw, GUI_DIM, label);
}

/* How tall a bar is: two lines (the figures below it), or one when compact. */
static int bar_height(const gui_t *g, bool compact)
{
    return compact ? g->font[GUI_FONT_SMALL].lh : g->font[GUI_FONT_SMALL].lh * 2 + 2;
}

/* Per pCPU: where its cycles went, from the machine's accounting (the statistics' figures). */
static void draw_ring_bars(gui_t *g, int x, int y, int w, bool compact)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    gui_text(g, GUI_FONT_BOLD, x, y, GUI_TITLE, "CPU TIME");
    y += g->font[GUI_FONT_BOLD].lh;
    int bx = x + f->cw * 7, bw = w - f->cw * 7;
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        uint64_t t[SIM_TIME_COUNT];
        sim_account_cpu(g->m, i, t, NULL);
        gui_textf(g, GUI_FONT_SMALL, x, y, GUI_TEXT, "pCPU%u", i);
        time_bar(g, bx, y, bw, t, -1, compact);
        y += bar_height(g, compact);
    }
}

/* Per VM: where its time went, by the same accounting. Returns the y below. */
static int draw_vm_bars(gui_t *g, int x, int y, int w, bool compact)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    gui_text(g, GUI_FONT_BOLD, x, y, GUI_TITLE, "CYCLES PER VM");
    y += g->font[GUI_FONT_BOLD].lh;
    int bx = x + f->cw * 8, bw = w - f->cw * 8;
    for (unsigned i = 0; i < ui_dbg_vm_count(g->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
            continue;
        gui_text_fit(g, GUI_FONT_SMALL, x, y, f->cw * 7, gui_vm_rgb((int)i), vm.name);
        time_bar(g, bx, y, bw, vm.time, (int)i, compact);
        y += bar_height(g, compact);
    }
    return y + 2;
}

/* The height of the bars below the consoles. */
static int bars_height(const gui_t *g, bool compact)
{
    unsigned nvm = ui_dbg_vm_count(g->dbg);
    int bold = g->font[GUI_FONT_BOLD].lh;
    return bold + (int)g->m->ncpus * bar_height(g, compact) +
           (nvm ? bold + (int)nvm * bar_height(g, compact) + 2 : 0);
}

/* Narrower than this many characters, side-by-side consoles show only line ends. */
#define CONSOLE_MIN_COLS 30

/* VM i's console in a column of width cw: its title ("[name] state", or the name alone where
 * that is too wide), its limits, its I/O line, the last lines of its text. */
static void draw_vm_console(gui_t *g, unsigned i, int cx, int y, int cw, int rows)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    ui_dbg_vm_t vm;
    if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
        return;
    int lim = gui_any_vm_limits(g) ? 1 : 0; /* a line of limits */
    int io = gui_any_vm_io(g) ? 1 : 0;      /* a line of paravirtual I/O (gui_io.c) */
    char title[96];
    snprintf(title, sizeof title, "[%s] %s", vm.name, vm.state);
    if (gui_text_width(g, GUI_FONT_SMALL, title) > cw - f->cw)
        snprintf(title, sizeof title, "[%s]", vm.name);
    gui_text_fit(g, GUI_FONT_SMALL, cx, y + 2, cw - f->cw, gui_vm_rgb((int)i), title);
    if (lim)
        gui_draw_vm_limits(g, i, cx, y + 2 + f->lh, cw - f->cw);
    if (io)
        gui_draw_vm_io(g, i, cx, y + 2 + (1 + lim) * f->lh, cw - f->cw);
    const char *text = ui_dbg_vm_console(g->dbg, i);
    draw_tail(g, cx, y + 2 + (1 + lim + io) * f->lh, cw / f->cw - 1, rows - 1 - lim - io,
              *text ? text : "(no output yet)");
}

/* The VM whose console the tabs show: the one clicked, else the focus VM (the first without). */
static unsigned tab_shown(const gui_t *g, unsigned nvm)
{
    if (g->console_vm >= 0 && (unsigned)g->console_vm < nvm)
        return (unsigned)g->console_vm;
    int vm = ui_dbg_focus_vm(g->dbg);
    return vm >= 0 && (unsigned)vm < nvm ? (unsigned)vm : 0;
}

/* Too many VMs to read side by side: a row of tabs (each VM's name and state in its hue, a
 * click shows its console), and the shown VM's console at full width below it. */
static void draw_tabbed_consoles(gui_t *g, int x0, int y, int w, int rows)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    unsigned nvm = ui_dbg_vm_count(g->dbg), shown = tab_shown(g, nvm);
    int x = x0, tw = w / (int)nvm;
    g->nconsole_tabs = (int)nvm;
    for (unsigned i = 0; i < nvm; i++, x += tw) {
        ui_dbg_vm_t vm;
        char tab[96];
        if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
            continue;
        snprintf(tab, sizeof tab, "%s", vm.name);
        gui_text_fit(g, GUI_FONT_SMALL, x + 2, y + 2, tw - f->cw, gui_vm_rgb((int)i), tab);
        g->console_tab[i] = (ui_gui_rect_t){x, y, tw, f->lh + 2};
        if (i == shown)
            gui_frame_rect(g, x, y + 1, tw - f->cw / 2, f->lh + 1, gui_vm_rgb((int)i));
    }
    draw_vm_console(g, shown, x0, y + f->lh + 2, w, rows - 1);
}

void gui_draw_console(gui_t *g)
{
    bool vms = ui_dbg_vm_count(g->dbg) > 0;
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_CONSOLE];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int x0 = r.x + f->cw, w = r.w - 2 * f->cw;
    unsigned nvm = ui_dbg_vm_count(g->dbg);
    bool tabs = vms && w / (int)nvm < CONSOLE_MIN_COLS * f->cw;
    int y = gui_panel_begin(g, UI_GUI_PANEL_CONSOLE, "CONSOLES",
                            !vms   ? "bare metal: the machine's UART"
                            : tabs ? "one per VM: click a name"
                                   : "one per VM");
    bool compact = false; /* where the consoles would get less than four lines: compact bars */
    int rows = (r.y + r.h - y - bars_height(g, false) - 12) / f->lh;
    if (rows < 4) {
        compact = true;
        rows = (r.y + r.h - y - bars_height(g, true) - 12) / f->lh;
    }
    rows = rows < 0 ? 0 : rows;
    gui_fill(g, x0 - 2, y, w + 4, rows * f->lh + 4, 0x12151au);
    if (!vms) {
        gui_text(g, GUI_FONT_SMALL, x0, y + 2, GUI_RING0, "[bare metal]");
        const char *text = sim_console_captured(g->m);
        if (!*text)
            gui_text(g, GUI_FONT_SMALL, x0 + f->cw * 13, y + 2, GUI_DIM, "(no output yet)");
        draw_tail(g, x0, y + 2 + f->lh, w / f->cw, rows - 1, text);
    } else if (!tabs) {
        g->nconsole_tabs = 0;
        for (unsigned i = 0; i < nvm; i++) /* one console per VM, side by side */
            draw_vm_console(g, i, x0 + (int)i * (w / (int)nvm), y, w / (int)nvm, rows);
    } else
        draw_tabbed_consoles(g, x0, y, w, rows);
    y += rows * f->lh + 8;
    if (vms)
        y = draw_vm_bars(g, x0, y, w, compact);
    draw_ring_bars(g, x0, y, w, compact);
}
