/*
 * gui_memmap.c - host physical memory as an overview: cells of a power-of-two number of 4 KiB
 * frames (as many as the box holds, at least 5 pixels each; 64 MiB fits), each coloured by
 * what most of its frames are: a VM's (in its hue), the hypervisor's, page tables the walks
 * read, or free. A legend counts the frames of each; pointing at a cell (or clicking it) says
 * which frames it holds, of whom, and whose tables map them. On the bare machine there is no
 * owner to show, and the panel says so rather than guessing.
 *
 * Contents are read from the machine's RAM as plain data (read only: the debugger's reader
 * checks every byte, too slow for a sweep of all memory), a slice of frames per frame drawn,
 * so the scan never costs the window its frame rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui_internal.h"

#define SCAN_PER_FRAME 256 /* frames read per frame drawn: 16 MiB in 16 frames */
#define F_DATA 0x1u
#define F_TABLE 0x2u

/* Kinds in the order a cell of several frames shows them: the highest wins. With the
 * hypervisor, a frame's owner (a VM, or the hypervisor) wins over what it holds. */
static const struct {
    uint32_t rgb;
    const char *name;
} kinds[] = {
    {0x2a2f39u, "free"},
    {0x5d6b85u, "free (data)"},
    {GUI_HV_FRAMES, "hypervisor"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0, "vm"},
    {0xe8e3d4u, "shared"},
    {0xd8b13au, "page tables"},
};
enum { K_ZERO, K_DATA, K_HV, K_VM, K_SHARED = K_VM + 8, K_TABLE, K_COUNT };

static uint32_t kind_rgb(int k)
{
    return k >= K_VM && k < K_VM + 8 ? gui_vm_rgb(k - K_VM) : kinds[k].rgb;
}

static void scan(gui_t *g)
{
    if (!g->frames) {
        g->nframes = g->m->ram_size / MMU_PAGE_SIZE;
        g->frames = calloc(g->nframes ? g->nframes : 1, 1);
        if (!g->frames)
            return;
    }
    /* A still picture (a screenshot, a test) scans everything at once. */
    unsigned n = g->win || g->running ? SCAN_PER_FRAME : g->nframes;
    for (unsigned k = 0; k < n && g->nframes; k++) {
        uint32_t fr = g->scan_next;
        g->scan_next = (g->scan_next + 1) % g->nframes;
        const uint8_t *page = g->m->ram + (size_t)fr * MMU_PAGE_SIZE;
        bool data = false;
        for (size_t i = 0; i < MMU_PAGE_SIZE && !data; i += 8) {
            uint64_t w;
            memcpy(&w, page + i, 8);
            data = w != 0;
        }
        g->frames[fr] = (uint8_t)((g->frames[fr] & ~F_DATA) | (data ? F_DATA : 0));
    }
    /* The tables the last walks read stay marked. */
    for (unsigned c = 0; c < g->m->ncpus; c++) {
        const mmu_trace_t *t = &ui_dbg_cpu(g->dbg, c)->mmu.trace;
        for (unsigned i = 0; i < t->n && i < MMU_TRACE_MAX; i++) {
            uint32_t fr = t->ref[i].table >> MMU_PAGE_SHIFT;
            if (fr < g->nframes)
                g->frames[fr] |= F_TABLE;
        }
    }
}

/* What a frame is, for the overview: its owner first (a VM, the hypervisor), then page tables
 * the walks read, then free frames with or without data. */
static int kind_of(gui_t *g, uint32_t fr)
{
    if (g->frames[fr] & F_TABLE)
        return K_TABLE;
    int owner = ui_dbg_frame_owner(g->dbg, fr);
    if (owner == UI_DBG_OWNER_HV)
        return K_HV;
    if (owner >= 0 && owner < 8)
        return K_VM + owner;
    if (owner == UI_DBG_OWNER_SHARED) /* by content, read-only (docs/memory.md) */
        return K_SHARED;
    return (g->frames[fr] & F_DATA) ? K_DATA : K_ZERO;
}

/* The overview's geometry: cells of `per` frames (a power of two, so a cell is a round range
 * of host memory), as large as the box allows, at least MIN_CELL pixels. */
#define MIN_CELL 5
typedef struct {
    int gx, gy, cell, cols;
    uint32_t per, ncells;
} mm_geom_t;

static mm_geom_t geometry(const gui_t *g, int y)
{
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_MEMMAP];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    mm_geom_t m = {.gx = r.x + f->cw, .gy = y, .per = 1};
    int gw = r.w - 2 * f->cw, gh = r.y + r.h - y - f->lh * 5 - 8; /* legend and readout below */
    gh = gh < MIN_CELL ? MIN_CELL : gh;
    uint32_t n = g->m->ram_size / MMU_PAGE_SIZE;
    while ((uint64_t)((n + m.per - 1) / m.per) * MIN_CELL * MIN_CELL > (uint64_t)gw * gh)
        m.per *= 2;
    m.ncells = (n + m.per - 1) / m.per;
    m.cell = MIN_CELL;
    while ((uint64_t)m.ncells * (m.cell + 1) * (m.cell + 1) <= (uint64_t)gw * gh &&
           (int)(gw / (m.cell + 1)) * (gh / (m.cell + 1)) >= (int)m.ncells)
        m.cell++;
    m.cols = gw / m.cell > 0 ? gw / m.cell : 1;
    return m;
}

/* The cell's colour: the kind most of its frames have (page tables and the pc's frame show
 * even when they are few, being what a student looks for). */
static int cell_kind(gui_t *g, uint32_t first, uint32_t per, unsigned count[K_COUNT])
{
    memset(count, 0, K_COUNT * sizeof *count);
    for (uint32_t k = first; k < first + per && k < g->nframes; k++)
        count[kind_of(g, k)]++;
    if (count[K_TABLE])
        return K_TABLE;
    int best = K_ZERO;
    for (int k = 0; k < K_COUNT; k++)
        if (count[k] > count[best])
            best = k;
    return best;
}

static const char *kind_name(const gui_t *g, int k, char *buf, size_t len)
{
    ui_dbg_vm_t vm;
    if (k >= K_VM && k < K_VM + 8 && ui_dbg_vm_info(g->dbg, (unsigned)(k - K_VM), &vm) == 0)
        snprintf(buf, len, "%s", vm.name);
    else
        snprintf(buf, len, "%s",
                 k == K_ZERO   ? "free"
                 : k == K_DATA ? "free (data)"
                               : kinds[k].name);
    return buf;
}

/* The hovered or clicked cell: which frames, and who holds and maps them. */
static void readout(gui_t *g, const mm_geom_t *mg, int x, int y, int w)
{
    int cell = g->mem_sel >= 0 ? g->mem_sel : g->mem_hover;
    if (cell < 0 || (uint32_t)cell >= mg->ncells) {
        gui_text_wrap(g, GUI_FONT_SMALL, x, y, w, GUI_DIM,
                      "point at a cell (or click it) for its frames and who maps them", 2);
        return;
    }
    unsigned count[K_COUNT];
    uint32_t first = (uint32_t)cell * mg->per, last = first + mg->per - 1;
    last = last < g->nframes ? last : g->nframes - 1;
    cell_kind(g, first, mg->per, count);
    char line[256], name[32];
    int n = snprintf(line, sizeof line, "hpa %08x-%08x, frames %u-%u:", first << MMU_PAGE_SHIFT,
                     ((last + 1) << MMU_PAGE_SHIFT) - 1, first, last);
    for (int k = K_COUNT - 1; k >= 0 && n < (int)sizeof line; k--)
        if (count[k])
            n += snprintf(line + n, sizeof line - (size_t)n, " %s %u",
                          kind_name(g, k, name, sizeof name), count[k]);
    gui_text_fit(g, GUI_FONT_SMALL, x, y, w, GUI_TEXT, line);
    snprintf(g->mem_frames, sizeof g->mem_frames, "%s", line);
    /* Who maps them: a VM's frames are mapped by its nested (or shadow) tables only; the
     * hypervisor's by nobody but itself; free frames by nobody. */
    int owners = 0;
    n = snprintf(line, sizeof line, "mapped by:");
    for (int k = K_VM; k < K_VM + 8; k++)
        if (count[k]) {
            n += snprintf(line + n, sizeof line - (size_t)n, "%s %s's tables", owners ? "," : "",
                          kind_name(g, k, name, sizeof name));
            owners++;
        }
    if (count[K_SHARED])
        n += snprintf(line + n, sizeof line - (size_t)n, "%s VMs' tables, read-only (shared)",
                      owners++ ? "," : "");
    if (count[K_HV] || count[K_TABLE])
        n += snprintf(line + n, sizeof line - (size_t)n, "%s the hypervisor (its own)",
                      owners++ ? "," : "");
    if (!owners)
        snprintf(line + n, sizeof line - (size_t)n, " nobody (free)");
    gui_text_fit(g, GUI_FONT_SMALL, x, y + g->font[GUI_FONT_SMALL].lh, w, GUI_DIM, line);
    snprintf(g->mem_text, sizeof g->mem_text, "%s", line);
}

/* Draws the cells, those of one kind in one call (a call per cell costs the software renderer
 * more than the drawing), then the frame around the one pointed at; adds up the frames of
 * each kind in total. */
static void cells(gui_t *g, const mm_geom_t *mg, unsigned total[K_COUNT])
{
    SDL_Rect *rect = malloc(mg->ncells * sizeof *rect);
    uint8_t *kind = malloc(mg->ncells);
    unsigned count[K_COUNT], first[K_COUNT + 1] = {0}, next[K_COUNT];
    for (uint32_t c = 0; rect && kind && c < mg->ncells; c++) {
        kind[c] = (uint8_t)cell_kind(g, c * mg->per, mg->per, count);
        first[kind[c] + 1]++;
        for (int j = 0; j < K_COUNT; j++)
            total[j] += count[j];
    }
    for (int k = 0; k < K_COUNT; k++) { /* where each kind's rectangles start */
        next[k] = first[k];
        first[k + 1] += first[k];
    }
    for (uint32_t c = 0; rect && kind && c < mg->ncells; c++) {
        int cx = mg->gx + (int)(c % (uint32_t)mg->cols) * mg->cell;
        int cy = mg->gy + (int)(c / (uint32_t)mg->cols) * mg->cell;
        rect[next[kind[c]]++] = (SDL_Rect){cx, cy, mg->cell - 1, mg->cell - 1};
    }
    for (int k = 0; rect && kind && k < K_COUNT; k++)
        gui_fill_rects(g, rect + first[k], (int)(first[k + 1] - first[k]), kind_rgb(k));
    free(rect);
    free(kind);
    int sel = g->mem_sel >= 0 ? g->mem_sel : g->mem_hover;
    if (sel >= 0 && (uint32_t)sel < mg->ncells)
        gui_frame_rect(g, mg->gx + sel % mg->cols * mg->cell - 1,
                       mg->gy + sel / mg->cols * mg->cell - 1, mg->cell + 1, mg->cell + 1,
                       GUI_TEXT);
}

int gui_memmap_cell_at(gui_t *g, int x, int y)
{
    const gui_font_t *bold = &g->font[GUI_FONT_BOLD];
    mm_geom_t mg = geometry(g, g->panel[UI_GUI_PANEL_MEMMAP].y + 3 + bold->lh + 2);
    if (x < mg.gx || y < mg.gy || x >= mg.gx + mg.cols * mg.cell)
        return -1;
    uint32_t c =
        (uint32_t)((y - mg.gy) / mg.cell) * (uint32_t)mg.cols + (uint32_t)((x - mg.gx) / mg.cell);
    return c < mg.ncells ? (int)c : -1;
}

/* VM vm's own swapping, under the hypervisor's (docs/memory.md, "Double paging"): "both's
 * own swap: 86 out, 66 in, 35 double paged", the figures of --stats and `info memory`. False
 * (buf "") when there is no such VM or its guest has no swap area. */
bool gui_guest_swap_text(gui_t *g, unsigned vm, char *buf, size_t len)
{
    ui_dbg_vm_t v;
    buf[0] = '\0';
    if (ui_dbg_vm_info(g->dbg, vm, &v) != 0 || !v.guest_swap_slots)
        return false;
    snprintf(buf, len, "%s's own swap: %llu out, %llu in, %llu double paged", v.name,
             (unsigned long long)v.guest_swap_outs, (unsigned long long)v.guest_swap_ins,
             (unsigned long long)v.double_paged);
    return true;
}

/* Under the hypervisor's swap line: the guest layer's, of the focus VM (of every VM with a
 * swap area while the focus is the hypervisor). Returns the y below. */
static int draw_guest_swap(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int focus = ui_dbg_focus_vm(g->dbg);
    char line[96];
    for (unsigned vm = 0; vm < UI_DBG_MAX_VMS; vm++) {
        if ((focus >= 0 && vm != (unsigned)focus) ||
            !gui_guest_swap_text(g, vm, line, sizeof line))
            continue;
        if (!gui_fits(g, GUI_FONT_SMALL, y)) /* many VMs in a small window: what fits */
            break;
        gui_text_fit(g, GUI_FONT_SMALL, x, y, w, GUI_DIM, line);
        y += f->lh;
    }
    return y;
}

void gui_draw_memmap(gui_t *g)
{
    char sub[64];
    uint32_t n = g->m->ram_size / MMU_PAGE_SIZE;
    int y = gui_panel_begin(g, UI_GUI_PANEL_MEMMAP, "HOST MEMORY", "");
    scan(g);
    if (!g->frames)
        return;
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_MEMMAP];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    mm_geom_t mg = geometry(g, y);
    g->mem_cells = mg.per;
    snprintf(sub, sizeof sub, "%u frames, %u KiB a cell", n, mg.per * 4);
    gui_text_fit(g, GUI_FONT_NORMAL, r.x + g->font[GUI_FONT_BOLD].cw * 14, r.y + 3,
                 r.w - g->font[GUI_FONT_BOLD].cw * 15, GUI_DIM, sub);
    unsigned total[K_COUNT] = {0};
    cells(g, &mg, total);
    int ly = mg.gy + (int)((mg.ncells + (uint32_t)mg.cols - 1) / (uint32_t)mg.cols) * mg.cell + 4;
    int lx = mg.gx;
    for (int k = 0; k < K_COUNT; k++) { /* the legend: what there is, with its frame count */
        char item[48], name[32];
        if (!total[k] && k != K_ZERO)
            continue;
        snprintf(item, sizeof item, "■ %s %u", kind_name(g, k, name, sizeof name), total[k]);
        int w = gui_text_width(g, GUI_FONT_SMALL, item) + f->cw * 2;
        if (lx + w > r.x + r.w - f->cw) {
            lx = mg.gx;
            ly += f->lh;
        }
        gui_text(g, GUI_FONT_SMALL, lx, ly, k == K_ZERO ? GUI_DIM : kind_rgb(k), item);
        lx += w;
    }
    ly += f->lh + 2;
    ui_dbg_host_memory_t hm;
    if (ui_dbg_host_memory(g->dbg, &hm) == 0 && hm.swap_used) { /* not host frames: said apart */
        char swapped[64];
        snprintf(swapped, sizeof swapped, "swapped out: %u pages in the swap device", hm.swap_used);
        gui_text_fit(g, GUI_FONT_SMALL, mg.gx, ly, r.w - 2 * f->cw, GUI_DIM, swapped);
        ly += f->lh;
    }
    ly = draw_guest_swap(g, mg.gx, ly, r.w - 2 * f->cw);
    if (hm.ballooned) { /* (hm is zeroed when there is no hypervisor) */
        char balloon[80];
        snprintf(balloon, sizeof balloon, "ballooned: %u pages given back by guests, no frames",
                 hm.ballooned);
        gui_text_fit(g, GUI_FONT_SMALL, mg.gx, ly, r.w - 2 * f->cw, GUI_DIM, balloon);
        ly += f->lh;
    }
    if (!ui_dbg_has_hypervisor(g->dbg)) {
        gui_text_fit(g, GUI_FONT_SMALL, mg.gx, ly, r.w - 2 * f->cw, GUI_DIM,
                     "no hypervisor in this run: no VM owners");
        ly += f->lh;
    }
    if (gui_fits(g, GUI_FONT_SMALL, ly + f->lh))
        readout(g, &mg, mg.gx, ly, r.w - 2 * f->cw);
}
