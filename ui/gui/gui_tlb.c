/*
 * gui_tlb.c - the selected CPU's TLB (each valid entry: set and way, VM id and ASID from its
 * tag, virtual page → host frame, permissions) with its hit and miss counts, and the IOMMU:
 * whether it translates, the device contexts, the IOTLB and the DMA faults it blocked.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

static void perm_text(uint16_t perm, char *buf)
{
    buf[0] = (perm & MMU_PTE_R) ? 'r' : '-';
    buf[1] = (perm & MMU_PTE_W) ? 'w' : '-';
    buf[2] = (perm & MMU_PTE_X) ? 'x' : '-';
    buf[3] = (perm & MMU_PTE_U) ? 'u' : '-';
    buf[4] = (perm & MMU_PTE_G) ? 'g' : '-';
    buf[5] = (perm & MMU_TLBE_DIRTY) ? 'd' : '-';
    buf[6] = '\0';
}

/* The IOMMU section from y down; returns the y after it. */
static int draw_iommu(gui_t *g, int x0, int y, int w)
{
    const iommu_t *io = &g->m->iommu;
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    char num[32];
    gui_text(g, GUI_FONT_BOLD, x0, y, GUI_TITLE, "IOMMU");
    y += g->font[GUI_FONT_BOLD].lh;
    if (!io->enabled) {
        gui_text(g, GUI_FONT_SMALL, x0, y, GUI_DIM, "off: every DMA passes through (IOVA = hpa)");
        y += f->lh;
    } else {
        unsigned valid = 0;
        for (unsigned d = 0; d < IOMMU_MAX_DEVICES; d++)
            if (io->ctx[d].valid) {
                const iommu_context_t *c = &io->ctx[d];
                if (valid < 3)
                    gui_textf(g, GUI_FONT_SMALL, x0, y + (int)valid * f->lh, GUI_TEXT,
                              "device %u: domain %u, %s", d, c->domain,
                              c->translate ? "translated" : "pass-through");
                valid++;
            }
        if (!valid)
            gui_text(g, GUI_FONT_SMALL, x0, y, GUI_WARN, "on, no device context: DMA blocked");
        y += (int)(valid ? (valid < 3 ? valid : 3) : 1) * f->lh;
    }
    unsigned iotlb = 0;
    for (unsigned i = 0; i < io->iotlb.entries; i++)
        iotlb += (io->iotlb.e[i].perm & MMU_TLBE_VALID) != 0;
    gui_textf(g, GUI_FONT_SMALL, x0, y, GUI_DIM, "IOTLB %u/%u valid · DMAs %s · blocked %llu",
              iotlb, io->iotlb.entries,
              sim_group_digits(io->stats.dma_reads + io->stats.dma_writes, num, sizeof num),
              (unsigned long long)io->stats.blocked);
    y += f->lh;
    if (io->log_count) {
        const iommu_fault_t *ft = &io->log[(io->log_head + io->log_count - 1) % IOMMU_FAULT_LOG];
        char text[256]; /* the sentence names the device, its VM, the IOVA and the reason */
        ui_dbg_dma_fault_text(g->m, ft, text, sizeof text);
        y += f->lh * gui_text_wrap(g, GUI_FONT_SMALL, x0, y, w, GUI_BREAK, text, 3);
    }
    return y;
}

void gui_draw_tlb(gui_t *g)
{
    unsigned focus = ui_dbg_focus(g->dbg);
    const mmu_t *mmu = &ui_dbg_cpu(g->dbg, focus)->mmu;
    const mmu_tlb_t *tlb = &mmu->tlb;
    char sub[96], hits[32], misses[32];
    snprintf(sub, sizeof sub, "pCPU%u · %u entries, %u-way · hits %s · misses %s", focus,
             tlb->entries, tlb->ways, sim_group_digits(mmu->stats.hits, hits, sizeof hits),
             sim_group_digits(mmu->stats.misses, misses, sizeof misses));
    int y = gui_panel_begin(g, UI_GUI_PANEL_TLB, "TLB", sub);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_TLB];
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int x0 = r.x + f->cw;
    int iommu_h = g->font[GUI_FONT_BOLD].lh + f->lh * 6 + 4; /* a fault takes three lines */
    int rows = (r.y + r.h - y - iommu_h) / f->lh - 1;
    gui_text(g, GUI_FONT_SMALL, x0, y, GUI_DIM,
             "set.way  VM         asid  page       → frame      perm");
    y += f->lh;
    int shown = 0, valid = 0;
    for (unsigned i = 0; i < tlb->entries; i++) {
        const mmu_tlb_entry_t *e = &tlb->e[i];
        if (!(e->perm & MMU_TLBE_VALID))
            continue;
        valid++;
        if (shown >= rows - 1)
            continue;
        char perm[8];
        perm_text(e->perm, perm);
        bool current = e->tag == mmu->tag;
        /* The VM as `info vms` names and numbers it, not its tag (VMID = its number + 1). */
        int vm = ui_dbg_vm_of_vmid(g->dbg, MMU_TAG_VMID(e->tag));
        ui_dbg_vm_t info;
        char who[24];
        if (vm >= 0 && ui_dbg_vm_info(g->dbg, (unsigned)vm, &info) == 0)
            snprintf(who, sizeof who, "%d %.7s", vm, info.name);
        else
            snprintf(who, sizeof who, MMU_TAG_VMID(e->tag) ? "vmid %u" : "host",
                     MMU_TAG_VMID(e->tag));
        int ly = y + shown * f->lh;
        gui_textf(g, GUI_FONT_SMALL, x0, ly, current ? GUI_TEXT : GUI_DIM, "%3u.%-3u",
                  i / tlb->ways, i % tlb->ways);
        gui_text(g, GUI_FONT_SMALL, x0 + f->cw * 9, ly, vm >= 0 ? gui_vm_rgb(vm) : GUI_DIM, who);
        char size[16] = "";
        if (e->shift) /* a large entry covers its whole large page */
            mmu_page_size_name(e->shift, size, sizeof size);
        gui_textf(g, GUI_FONT_SMALL, x0 + f->cw * 20, ly, current ? GUI_TEXT : GUI_DIM,
                  "%4u  %05x_000  → %05x_000  %s %s", MMU_TAG_ASID(e->tag), e->vpn, e->pfn, perm,
                  size);
        shown++;
    }
    if (valid == 0)
        gui_text(g, GUI_FONT_SMALL, x0, y, GUI_DIM,
                 mmu_active(mmu) ? "empty" : "empty: paging is off on this CPU");
    else if (valid > shown)
        gui_textf(g, GUI_FONT_SMALL, x0, y + shown * f->lh, GUI_DIM, "… %d more valid entr%s",
                  valid - shown, valid - shown == 1 ? "y" : "ies");
    draw_iommu(g, x0, r.y + r.h - iommu_h, r.w - 2 * f->cw);
}
