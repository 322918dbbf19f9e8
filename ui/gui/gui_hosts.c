/*
 * gui_hosts.c - the two hosts of a live migration (docs/migration.md), drawn where the host
 * memory map is when the scenario has [host.0] and [host.1]: each host with its pCPUs, its own
 * RAM (its size and what is free) and the VMs that run on it (in their hues), the link between them with the pages in flight now and
 * the direction they go, and a bar for the pages each pre-copy round sent (the last one, the
 * stop-and-copy, in the hypervisor's colour). Everything comes from ui_dbg_hosts: the window
 * holds no migration logic.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

/* One host's box, the panel's width and two lines high: its name and pCPUs, then its VMs
 * one after the other, each in its hue. */
static void draw_host(gui_t *g, const ui_dbg_hosts_t *h, unsigned host, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    char line[96];
    size_t used = (size_t)snprintf(line, sizeof line, "host%u  pCPU", host);
    gui_frame_rect(g, x, y, w, 2 * f->lh + 4, GUI_BORDER);
    for (unsigned c = 0; c < g->m->ncpus && used < sizeof line; c++)
        if (h->cpu_host[c] == host)
            used += (size_t)snprintf(line + used, sizeof line - used, " %u", c);
    ui_dbg_host_memory_t mem; /* its own RAM: how much, and what is free */
    char size[32], free[32];
    if (ui_dbg_host_memory(g->dbg, &mem) == 0 && host < mem.hosts && used < sizeof line)
        snprintf(line + used, sizeof line - used, "  RAM %s KiB, %s KiB free",
                 sim_group_digits((uint64_t)(mem.host_end[host] - mem.host_first[host]) << 2,
                                  size, sizeof size),
                 sim_group_digits((uint64_t)mem.host_free[host] << 2, free, sizeof free));
    gui_text_fit(g, GUI_FONT_SMALL, x + f->cw, y + 2, w - 2 * f->cw, GUI_TEXT, line);
    int lx = x + f->cw, ly = y + 2 + f->lh;
    unsigned shown = 0;
    for (unsigned v = 0; v < h->nvms; v++) {
        ui_dbg_vm_t vm;
        if (h->vm_host[v] != host || ui_dbg_vm_info(g->dbg, v, &vm) != 0)
            continue;
        snprintf(line, sizeof line, "■ %s %s%s", vm.name, vm.state,
                 (int)v == h->vm && h->in_flight ? " (moving)" : "");
        int room = x + w - f->cw - lx;
        if (room <= f->cw * 4)
            break;
        gui_text_fit(g, GUI_FONT_SMALL, lx, ly, room, gui_vm_rgb((int)v), line);
        lx += gui_text_width(g, GUI_FONT_SMALL, line) + 2 * f->cw;
        shown++;
    }
    if (!shown)
        gui_text(g, GUI_FONT_SMALL, lx, ly, GUI_DIM, "no VM");
}

/* The link between the two boxes: a vertical arrow from the source to the destination, in
 * the hypervisor's colour while pages are on it, and what is on it now. */
static void draw_link(gui_t *g, const ui_dbg_hosts_t *h, int x, int y, int w, int hgt)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    char line[96], num[32];
    if (h->vm < 0)
        snprintf(line, sizeof line, "link: idle (migrate VM to host1)");
    else if (h->in_flight && strcmp(h->state, "pre-copy") == 0)
        snprintf(line, sizeof line, "to host%u: round %u, %u pages in flight", h->to,
                 h->nrounds ? h->nrounds - 1 : 0, h->in_flight);
    else if (h->in_flight)
        snprintf(line, sizeof line, "to host%u: %s, %u pages in flight", h->to, h->state,
                 h->in_flight);
    else if (h->downtime)
        snprintf(line, sizeof line, "to host%u: done, downtime %s cycles", h->to,
                 sim_group_digits(h->downtime, num, sizeof num));
    else
        snprintf(line, sizeof line, "to host%u: %s", h->to, h->state);
    uint32_t rgb = h->in_flight ? GUI_RINGM1 : GUI_DIM;
    int ax = x + 2 * f->cw;
    gui_fill(g, ax - 1, y, 3, hgt, rgb);
    if (h->vm >= 0) { /* the arrowhead at the destination's end */
        int tip = h->to > h->from ? y + hgt : y, dir = h->to > h->from ? -1 : 1;
        for (int i = 0; i < 6; i++)
            gui_fill(g, ax - (6 - i), tip + dir * i, 2 * (6 - i) + 1, 1, rgb);
    }
    gui_text_fit(g, GUI_FONT_SMALL, ax + 2 * f->cw, y + (hgt - f->lh) / 2, w - 4 * f->cw,
                 h->in_flight ? GUI_TEXT : GUI_DIM, line);
}

/* A bar per round: the pages it sent; the stop-and-copy last, in the hypervisor's colour. */
static void draw_rounds(gui_t *g, const ui_dbg_hosts_t *h, int x, int y, int w, int hgt)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    if (h->nrounds == 0 || hgt < 4 * f->lh)
        return;
    uint32_t top = 1;
    for (unsigned i = 0; i < h->nrounds; i++)
        top = h->sent[i] > top ? h->sent[i] : top;
    int slot = w / (int)h->nrounds, bar_h = hgt - 3 * f->lh;
    y += f->lh; /* the caption's line, then room for the tallest bar's figure */
    bool stop = strcmp(h->state, "stop-and-copy") == 0 || strcmp(h->state, "done") == 0;
    for (unsigned i = 0; i < h->nrounds; i++) {
        int bh = (int)((uint64_t)h->sent[i] * (uint64_t)bar_h / top);
        int bx = x + (int)i * slot;
        bool last = stop && i + 1 == h->nrounds;
        gui_fill(g, bx + 1, y + f->lh + bar_h - bh, slot - 2 > 1 ? slot - 2 : 1, bh ? bh : 1,
                 last ? GUI_RINGM1 : GUI_RING0);
        char v[16];
        snprintf(v, sizeof v, "%u", h->sent[i]);
        if (gui_text_width(g, GUI_FONT_SMALL, v) < slot)
            gui_text(g, GUI_FONT_SMALL, bx + 1, y + f->lh + bar_h - bh - f->lh, GUI_DIM, v);
        gui_text(g, GUI_FONT_SMALL, bx + 1, y + f->lh + bar_h + 1, GUI_DIM, last ? "s" : "");
    }
    gui_text(g, GUI_FONT_SMALL, x, y - f->lh, GUI_DIM, "pages sent per round (s: stop-and-copy)");
}

bool gui_hosts_shown(gui_t *g)
{
    ui_dbg_hosts_t h;
    return ui_dbg_hosts(g->dbg, &h) == 0;
}

void gui_draw_hosts(gui_t *g)
{
    ui_dbg_hosts_t h;
    if (ui_dbg_hosts(g->dbg, &h) != 0)
        return;
    int y = gui_panel_begin(g, UI_GUI_PANEL_MEMMAP, "HOSTS", "live migration between two hosts");
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_MEMMAP];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int pad = f->cw, box = 2 * f->lh + 4, link = 2 * f->lh, w = r.w - 2 * pad;
    draw_host(g, &h, 0, r.x + pad, y, w);
    draw_link(g, &h, r.x + pad, y + box, w, link);
    draw_host(g, &h, 1, r.x + pad, y + box + link, w);
    int ry = y + 2 * box + link + 2;
    draw_rounds(g, &h, r.x + pad, ry, w, r.y + r.h - ry - 2);
}
