/*
 * gui_memmap.c - host physical memory, one cell per 4 KiB frame (or per group of frames when
 * RAM is large): frames that hold only zeros, frames that hold data, frames the CPUs' walks
 * have read page tables from, frames the TLBs map, and the frame of the pc. With the
 * hypervisor, frames are coloured by the VM that owns them; on the bare machine there is no
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
    {0x2a2f39u, "zero"},
    {0x5d6b85u, "data"},
    {GUI_RING3, "in a TLB"},
    {GUI_HV_FRAMES, "hypervisor"},
    {0, "vm"}, {0, "vm"}, {0, "vm"}, {0, "vm"}, {0, "vm"}, {0, "vm"}, {0, "vm"}, {0, "vm"},
    {0xd8b13au, "page table"},
    {GUI_PC, "pc"},
};
enum { K_ZERO, K_DATA, K_TLB, K_HV, K_VM, K_TABLE = K_VM + 8, K_PC, K_COUNT };

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

static int kind_of(gui_t *g, uint32_t fr, const uint8_t *tlb_map, uint32_t pc_frame)
{
    if (fr == pc_frame)
        return K_PC;
    if (g->frames[fr] & F_TABLE)
        return K_TABLE;
    int owner = ui_dbg_frame_owner(g->dbg, fr);
    if (owner == UI_DBG_OWNER_HV)
        return K_HV;
    if (owner >= 0 && owner < 8)
        return K_VM + owner;
    if (tlb_map[fr])
        return K_TLB;
    return (g->frames[fr] & F_DATA) ? K_DATA : K_ZERO;
}

void gui_draw_memmap(gui_t *g)
{
    char sub[48];
    snprintf(sub, sizeof sub, "%u frames", g->m->ram_size / MMU_PAGE_SIZE);
    int y = gui_panel_begin(g, UI_GUI_PANEL_MEMMAP, "HOST MEMORY", sub);
    scan(g);
    if (!g->frames)
        return;
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_MEMMAP];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    /* Frames the TLBs map, and the pc's frame. */
    uint8_t *tlb_map = calloc(g->nframes, 1);
    if (!tlb_map)
        return;
    for (unsigned c = 0; c < g->m->ncpus; c++) {
        const mmu_tlb_t *tlb = &ui_dbg_cpu(g->dbg, c)->mmu.tlb;
        for (unsigned i = 0; i < tlb->entries; i++)
            if ((tlb->e[i].perm & MMU_TLBE_VALID) && tlb->e[i].pfn < g->nframes)
                tlb_map[tlb->e[i].pfn] = 1;
    }
    uint32_t pc_hpa = 0, pc_frame = UINT32_MAX;
    const cpu_t *cpu = ui_dbg_cpu(g->dbg, ui_dbg_focus(g->dbg));
    if (ui_dbg_to_hpa(g->dbg, ui_dbg_default_space(g->dbg), cpu->s.pc, &pc_hpa) == 0)
        pc_frame = pc_hpa >> MMU_PAGE_SHIFT;

    int legend_h = f->lh * 3 + 4;
    int gx = r.x + f->cw, gw = r.w - 2 * f->cw, gh = r.y + r.h - y - legend_h - 4;
    uint32_t n = g->nframes;
    int cell = 1;
    while ((uint32_t)((gw / (cell + 1)) * (gh / (cell + 1))) >= n)
        cell++;
    int cols = gw / cell > 0 ? gw / cell : 1, rows = gh / cell > 0 ? gh / cell : 1;
    uint32_t per = (n + (uint32_t)(cols * rows) - 1) / (uint32_t)(cols * rows);
    per = per ? per : 1;
    unsigned counts[K_COUNT] = {0};
    for (uint32_t i = 0; i < n; i++)
        counts[kind_of(g, i, tlb_map, pc_frame)]++;
    /* Cells of one kind side by side in a row are drawn as one rectangle (with the gaps
     * between cells drawn over in the background colour when cells are large). */
    uint32_t ncells = (n + per - 1) / per;
    int run_kind = -1, run_start = 0;
    for (uint32_t c0 = 0; c0 <= ncells; c0++) {
        int best = -1;
        if (c0 < ncells) {
            best = K_ZERO;
            for (uint32_t k = c0 * per; k < (c0 + 1) * per && k < n; k++) {
                int kd = kind_of(g, k, tlb_map, pc_frame);
                best = kd > best ? kd : best;
            }
        }
        int col = (int)(c0 % (uint32_t)cols), row = (int)((c0 ? c0 - 1 : 0) / (uint32_t)cols);
        if (run_kind >= 0 && (best != run_kind || col == 0 || c0 == ncells)) {
            int end_col = col == 0 || c0 == ncells ? (c0 == ncells && col ? col : cols) : col;
            gui_fill(g, gx + run_start * cell, y + row * cell, (end_col - run_start) * cell,
                     cell > 2 ? cell - 1 : cell, kind_rgb(run_kind));
            run_kind = -1;
        }
        if (run_kind < 0 && best >= 0) {
            run_kind = best;
            run_start = col;
        }
    }
    if (cell > 3) /* the gaps between cells of a run */
        for (int c2 = 1; c2 < cols; c2++)
            gui_fill(g, gx + c2 * cell - 1, y, 1, (int)((ncells + (uint32_t)cols - 1) /
                                                        (uint32_t)cols) * cell, GUI_PANEL);
    free(tlb_map);
    int ly = y + ((int)((n + per - 1) / per + (uint32_t)cols - 1) / cols) * cell + 4;
    int lx = gx;
    for (int k = 0; k < K_COUNT; k++) {
        char item[48];
        if ((k == K_HV || k >= K_VM) && k < K_TABLE) {
            ui_dbg_vm_t vm;
            if (!counts[k])
                continue; /* owners: only those there are */
            if (k >= K_VM && ui_dbg_vm_info(g->dbg, (unsigned)(k - K_VM), &vm) == 0)
                snprintf(item, sizeof item, "■ %s %u", vm.name, counts[k]);
            else
                snprintf(item, sizeof item, "■ %s %u", kinds[k].name, counts[k]);
        } else {
            snprintf(item, sizeof item, "■ %s %u", kinds[k].name, counts[k]);
        }
        int w = gui_text_width(g, GUI_FONT_SMALL, item) + f->cw * 2;
        if (lx + w > r.x + r.w) {
            lx = gx;
            ly += f->lh;
        }
        gui_text(g, GUI_FONT_SMALL, lx, ly, k == K_ZERO ? GUI_DIM : kind_rgb(k), item);
        lx += w;
    }
    ly += f->lh;
    if (!ui_dbg_has_hypervisor(g->dbg))
        gui_text(g, GUI_FONT_SMALL, gx, ly, GUI_DIM, "no hypervisor in this run: no VM owners");
}
