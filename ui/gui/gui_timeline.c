/*
 * gui_timeline.c - the event timeline: one lane per pCPU, time (in cycles) running left to
 * right. The spans are the machine's time accounting (sim_account.c): a VM's guest time in
 * the VM's own hue, user lighter and kernel darker, with a strip of the ring colour on top
 * (user green, kernel blue); the hardware's exit and entry amber, the hypervisor orange-red,
 * type 2's VMM and host process their own colours, binary translation's co-resident monitor
 * peach (no world switch), idle grey. Markers show traps (▼), interrupts (◆), VM exits (▼ in
 * the hypervisor's colour), calls and traps into the BT monitor (▼ peach) and returns. The wheel
 * (or [ and ]) zooms around the pointer, the arrow keys scroll, f follows the newest cycle again,
 * and a click on a marker shows its details. Everything comes from the window's event record
 * (gui_record.c).
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

#define DEFAULT_SCALE 200.0 /* cycles per pixel */

typedef struct {
    int x, w, y0, lane_h;
    double left, scale; /* cycle at x, cycles per pixel */
} tl_geom_t;

static uint64_t newest_cycle(const gui_t *g)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        uint64_t c = ui_dbg_cpu(g->dbg, i)->s.cycles;
        t = c > t ? c : t;
    }
    return t;
}

/* A VCPU lane: which VM and VCPU it shows. */
typedef struct {
    int vm, vcpu;
} tl_vcpu_t;

/* The VCPU lanes (when shown): every VCPU of every VM, in order. Returns how many. */
static unsigned vcpu_lanes(const gui_t *g, tl_vcpu_t *out, unsigned max)
{
    unsigned n = 0;
    if (!g->tl_vcpus)
        return 0;
    for (unsigned i = 0; i < ui_dbg_vm_count(g->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
            continue;
        for (unsigned k = 0; k < vm.vcpus && n < max; k++)
            out[n++] = (tl_vcpu_t){(int)i, (int)k};
    }
    return n;
}

static unsigned lane_count(const gui_t *g)
{
    tl_vcpu_t v[GUI_MAX_VCPU_LANES];
    return g->m->ncpus + vcpu_lanes(g, v, GUI_MAX_VCPU_LANES);
}

static tl_geom_t geometry(gui_t *g)
{
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_TIMELINE];
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    tl_geom_t t;
    if (g->tl_scale <= 0)
        g->tl_scale = DEFAULT_SCALE;
    t.x = r.x + f->cw * 7;
    t.w = r.w - f->cw * 8;
    t.y0 = r.y + f->lh * 2 + 8;
    int avail = r.y + r.h - t.y0 - f->lh * 2 - 6;
    unsigned n = lane_count(g);
    t.lane_h = avail / (int)n;
    if (t.lane_h > f->lh * 2)
        t.lane_h = f->lh * 2;
    uint64_t newest = newest_cycle(g);
    if (!g->tl_zoomed) { /* until zoomed by hand: the whole run, up to the default scale */
        double fit = (double)newest / (t.w * 0.95);
        g->tl_scale = fit < 0.5 ? 0.5 : fit > DEFAULT_SCALE ? DEFAULT_SCALE : fit;
    }
    t.scale = g->tl_scale;
    uint64_t right = g->tl_follow ? newest : g->tl_right;
    if (g->tl_follow && (double)right < t.scale * t.w)
        right = (uint64_t)(t.scale * t.w); /* a short run starts at the left edge */
    t.left = (double)right - t.scale * t.w;
    return t;
}

static int x_of(const tl_geom_t *t, uint64_t cycle)
{
    return t->x + (int)(((double)cycle - t->left) / t->scale);
}

/* The first kept event of a lane at or after `cycle` (events of a lane are in cycle order). */
static size_t first_at(const gui_lane_t *lane, double cycle)
{
    size_t lo = 0, hi = lane->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((double)gui_lane_event(lane, mid)->cycle < cycle)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first kept span of a lane that ends after `cycle` (spans follow each other). */
static size_t first_span_after(const gui_lane_t *lane, double cycle)
{
    size_t lo = 0, hi = lane->nspans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const sim_span_t *sp = gui_lane_span(lane, mid);
        if ((double)(sp->start + sp->dur) <= cycle)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One span: its kind's colour (a VM's guest time in the VM's hue, its ring as the shade),
 * with a thin strip in the ring colour on top so that the ring reads the same everywhere. */
static void draw_span(gui_t *g, const tl_geom_t *t, int y, int h, const sim_span_t *sp, int *x)
{
    int ex = x_of(t, sp->start + sp->dur), end = t->x + t->w;
    ex = ex > end ? end : ex;
    if (ex <= *x)
        return;
    gui_fill(g, *x, y + 3, ex - *x, h, gui_time_rgb(sp->kind, sp->vm));
    if (sp->vm >= 0 && (sp->kind == SIM_TIME_USER || sp->kind == SIM_TIME_KERNEL))
        gui_fill(g, *x, y + 3, ex - *x, 3,
                 gui_ring_rgb(sp->kind == SIM_TIME_USER ? CPU_MODE_U : CPU_MODE_K));
    *x = ex;
}

/* The markers over a lane: a glyph each, in one row on top (traps, interrupts, exits, marks)
 * and one below (returns). Where events fall closer than a glyph's width, the first one's
 * glyph stands for them (zoom in to part them): glyphs drawn over each other read as none. A
 * guest's mark always draws its line across the lane. */
static void draw_markers(gui_t *g, const tl_geom_t *t, int y, int h, const gui_lane_t *lane)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int half = f->cw / 2 + 1, last_top = -1000, last_bottom = -1000;
    for (size_t i = first_at(lane, t->left); i < lane->n; i++) {
        const sim_event_t *ev = gui_lane_event(lane, i);
        int ex = x_of(t, ev->cycle);
        if (ex + half > t->x + t->w)
            break;
        if (ex - half < t->x) /* a glyph half outside the lane is left out, not cut */
            continue;
        if (ev->kind == SIM_EV_HALT || ev->kind == SIM_EV_WAKE || ev->kind == SIM_EV_VMENTRY)
            continue;
        bool bottom = ev->kind == SIM_EV_IRET;
        int *last = bottom ? &last_bottom : &last_top;
        if (ev->kind == SIM_EV_HV) /* a guest's mark: a line across the lane, a dot on top */
            gui_fill(g, ex, y, 1, h + 6, GUI_MARK);
        if (ex - *last < f->cw)
            continue;
        *last = ex;
        if (ev->kind == SIM_EV_HV) {
            gui_text(g, GUI_FONT_SMALL, ex - f->cw / 2, y - 6, GUI_MARK, "•");
            continue;
        }
        uint32_t col = ev->flags & SIM_EVF_MONITOR    ? GUI_MONITOR /* a call, not an exit */
                       : gui_event_is_exit(ev)        ? GUI_RINGM1
                       : ev->kind == SIM_EV_INTERRUPT ? 0xc58af9u
                       : bottom                       ? 0x9aa4b5u
                                                      : 0xffe08au;
        const char *glyph = ev->kind == SIM_EV_INTERRUPT ? "◆" : bottom ? "▲" : "▼";
        int gy = bottom ? y + h + 6 - f->lh : y - 4;
        gui_text(g, GUI_FONT_SMALL, ex - f->cw / 2, gy, col, glyph);
    }
}

/* A VCPU's lane: its spans (guest time, and the exits and handlers done for it) wherever
 * they ran, from every pCPU's lane; blank while it did not run. */
static void draw_vcpu_lane(gui_t *g, const tl_geom_t *t, int y, tl_vcpu_t v)
{
    int h = t->lane_h - 6;
    for (unsigned c = 0; c < g->m->ncpus; c++) {
        const gui_lane_t *lane = &g->rec.lane[c];
        for (size_t i = first_span_after(lane, t->left); i < lane->nspans; i++) {
            const sim_span_t *sp = gui_lane_span(lane, i);
            if ((double)sp->start > t->left + t->scale * t->w)
                break;
            int x = x_of(t, sp->start);
            x = x < t->x ? t->x : x;
            if (sp->vm == v.vm && sp->vcpu == v.vcpu)
                draw_span(g, t, y, h, sp, &x);
        }
        sim_span_t open;
        uint64_t totals[SIM_TIME_COUNT];
        sim_account_cpu(g->m, c, totals, &open);
        int x = x_of(t, open.start);
        x = x < t->x ? t->x : x;
        if (open.vm == v.vm && open.vcpu == v.vcpu)
            draw_span(g, t, y, h, &open, &x);
    }
}

static void draw_lane(gui_t *g, const tl_geom_t *t, unsigned cpu)
{
    const gui_lane_t *lane = &g->rec.lane[cpu];
    int y = t->y0 + (int)cpu * t->lane_h, h = t->lane_h - 6;
    int start_x = x_of(t, lane->start_cycle);
    int x = start_x > t->x ? start_x : t->x;
    for (size_t i = first_span_after(lane, t->left); i < lane->nspans && x < t->x + t->w; i++)
        draw_span(g, t, y, h, gui_lane_span(lane, i), &x);
    sim_span_t open; /* the span the pCPU is in now, up to its current cycle */
    uint64_t totals[SIM_TIME_COUNT];
    sim_account_cpu(g->m, cpu, totals, &open);
    draw_span(g, t, y, h, &open, &x);
    draw_markers(g, t, y, h, lane);
    if (g->tl_has_sel && g->tl_sel.cpu == cpu) {
        int sx = x_of(t, g->tl_sel.cycle);
        if (sx >= t->x && sx < t->x + t->w)
            gui_fill(g, sx, y, 2, t->lane_h - 2, GUI_TEXT);
    }
}

/* One legend entry, if it fits before `right`; returns the x of the next. */
static int legend_item(gui_t *g, int x, int y, int right, uint32_t rgb, const char *text)
{
    int w = gui_text_width(g, GUI_FONT_SMALL, text);
    if (x + w > right)
        return right;
    return x + gui_text(g, GUI_FONT_SMALL, x, y, rgb, text) + g->font[GUI_FONT_SMALL].cw * 2;
}

void gui_draw_timeline(gui_t *g)
{
    int y = gui_panel_begin(g, UI_GUI_PANEL_TIMELINE, "TIMELINE",
                            g->tl_vcpus ? "lanes per pCPU, then per VCPU (l)"
                                        : "lanes per pCPU (l: per VCPU too)");
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_TIMELINE];
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int x = r.x + f->cw;
    int right = r.x + r.w - f->cw;
    unsigned nvm = ui_dbg_vm_count(g->dbg);
    for (unsigned i = 0; i < nvm; i++) { /* each VM's hue: its guest time on the lanes */
        ui_dbg_vm_t vm;
        char item[32];
        if (ui_dbg_vm_info(g->dbg, i, &vm) != 0)
            continue;
        snprintf(item, sizeof item, "■ %s", vm.name);
        x = legend_item(g, x, y, right, gui_vm_rgb((int)i), item);
    }
    x = legend_item(g, x, y, right, GUI_RING3, nvm ? "▀ user" : "■ user");
    x = legend_item(g, x, y, right, GUI_RING0, nvm ? "▀ kernel" : "■ kernel");
    bool bt = false; /* a VM under binary translation: its monitor's time and calls */
    for (unsigned i = 0; i < nvm; i++) {
        ui_dbg_vm_t vm;
        bt = bt || (ui_dbg_vm_info(g->dbg, i, &vm) == 0 && strcmp(vm.cpu, "bt") == 0);
    }
    if (nvm) {
        x = legend_item(g, x, y, right, GUI_SWITCH, "■ exit/entry");
        x = legend_item(g, x, y, right, GUI_RINGM1,
                        ui_dbg_host_kernel(g->dbg) ? "■ host kernel" : "■ hypervisor");
    }
    if (bt)
        x = legend_item(g, x, y, right, GUI_MONITOR, "■ BT monitor");
    if (ui_dbg_host_kernel(g->dbg)) {
        x = legend_item(g, x, y, right, GUI_VMM, "■ VMM");
        x = legend_item(g, x, y, right, GUI_HOST, "■ host process");
    }
    x = legend_item(g, x, y, right, 0x5a6170u, "■ idle");
    x = legend_item(g, x, y, right, 0xffe08au, "▼ trap");
    x = legend_item(g, x, y, right, 0xc58af9u, "◆ interrupt");
    if (bt)
        x = legend_item(g, x, y, right, GUI_MONITOR, "▼ monitor call");
    if (nvm) {
        x = legend_item(g, x, y, right, GUI_RINGM1, "▼ exit");
        legend_item(g, x, y, right, GUI_MARK, "• mark");
    }
    tl_geom_t t = geometry(g);
    for (unsigned i = 0; i < g->m->ncpus; i++) {
        int ly = t.y0 + (int)i * t.lane_h;
        gui_textf(g, GUI_FONT_NORMAL, r.x + f->cw, ly + (t.lane_h - f->lh) / 2, GUI_TEXT,
                  "pCPU%u", i);
        gui_fill(g, t.x, ly + 3, t.w, t.lane_h - 6, 0x1a1d23u);
        SDL_Rect clip = {t.x, ly - 6, t.w, t.lane_h + 6};
        SDL_RenderSetClipRect(g->ren, &clip);
        draw_lane(g, &t, i);
        SDL_Rect pclip = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
        SDL_RenderSetClipRect(g->ren, &pclip);
    }
    tl_vcpu_t vl[GUI_MAX_VCPU_LANES];
    unsigned nv = vcpu_lanes(g, vl, GUI_MAX_VCPU_LANES);
    for (unsigned i = 0; i < nv; i++) {
        int ly = t.y0 + (int)(g->m->ncpus + i) * t.lane_h;
        ui_dbg_vm_t vm;
        char label[32];
        if (ui_dbg_vm_info(g->dbg, (unsigned)vl[i].vm, &vm) != 0)
            continue;
        snprintf(label, sizeof label, "%s/%d", vm.name, vl[i].vcpu);
        gui_text_fit(g, GUI_FONT_SMALL, r.x + f->cw,
                     ly + (t.lane_h - g->font[GUI_FONT_SMALL].lh) / 2, t.x - r.x - f->cw - 2,
                     gui_vm_rgb(vl[i].vm), label);
        gui_fill(g, t.x, ly + 3, t.w, t.lane_h - 6, 0x1a1d23u);
        SDL_Rect clip = {t.x, ly - 6, t.w, t.lane_h + 6};
        SDL_RenderSetClipRect(g->ren, &clip);
        draw_vcpu_lane(g, &t, ly, vl[i]);
        SDL_Rect pclip = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
        SDL_RenderSetClipRect(g->ren, &pclip);
    }
    int ay = t.y0 + (int)lane_count(g) * t.lane_h + 2;
    char l[32], rr[32], span[32];
    double left = t.left < 0 ? 0 : t.left;
    gui_textf(g, GUI_FONT_SMALL, t.x, ay, GUI_DIM, "cycle %s",
              sim_group_digits((uint64_t)left, l, sizeof l));
    char right_text[96];
    snprintf(right_text, sizeof right_text, "%s cycles shown · cycle %s%s",
             sim_group_digits((uint64_t)(t.scale * t.w), span, sizeof span),
             sim_group_digits((uint64_t)(t.left + t.scale * t.w), rr, sizeof rr),
             g->tl_follow ? " (following)" : "");
    gui_text(g, GUI_FONT_SMALL, t.x + t.w - gui_text_width(g, GUI_FONT_SMALL, right_text), ay,
             GUI_DIM, right_text);
    ay += g->font[GUI_FONT_SMALL].lh + 2;
    if (g->tl_has_sel) {
        char desc[256];
        if (!ui_dbg_describe_mark(g->dbg, &g->tl_sel, desc, sizeof desc))
            ui_dbg_describe_event(g->dbg, &g->tl_sel, desc, sizeof desc);
        gui_textf(g, GUI_FONT_SMALL, r.x + f->cw, ay, GUI_TEXT, "cycle %s: %s",
                  sim_group_digits(g->tl_sel.cycle, l, sizeof l), desc);
    } else {
        gui_text(g, GUI_FONT_SMALL, r.x + f->cw, ay, GUI_DIM,
                 "click a marker for its details · wheel or [ ] zoom · ← → scroll · f follow");
    }
}

void gui_timeline_zoom(gui_t *g, int x, double factor)
{
    tl_geom_t t = geometry(g);
    double at = t.left + (x - t.x) * t.scale; /* the cycle under the pointer stays there */
    if (x < t.x || x > t.x + t.w)
        at = t.left + t.w * t.scale;
    double scale = t.scale * factor;
    scale = scale < 0.05 ? 0.05 : scale > 1e9 ? 1e9 : scale;
    double right = at + (t.x + t.w - (x < t.x || x > t.x + t.w ? t.x + t.w : x)) * scale;
    g->tl_scale = scale;
    g->tl_zoomed = true;
    uint64_t newest = newest_cycle(g);
    g->tl_follow = right >= (double)newest;
    g->tl_right = right < 0 ? 0 : (uint64_t)right;
}

void gui_timeline_scroll(gui_t *g, double pages)
{
    tl_geom_t t = geometry(g);
    double right = t.left + t.w * t.scale + pages * t.w * t.scale;
    uint64_t newest = newest_cycle(g);
    g->tl_follow = right >= (double)newest;
    g->tl_right = right < 0 ? 0 : (uint64_t)right;
}

void gui_timeline_vcpus(gui_t *g)
{
    g->tl_vcpus = !g->tl_vcpus;
}

void gui_timeline_follow(gui_t *g)
{
    g->tl_follow = true;
}

void gui_timeline_click(gui_t *g, int x, int y)
{
    tl_geom_t t = geometry(g);
    if (y < t.y0 || t.lane_h <= 0)
        return;
    unsigned cpu = (unsigned)((y - t.y0) / t.lane_h);
    if (cpu >= g->m->ncpus)
        return;
    const gui_lane_t *lane = &g->rec.lane[cpu];
    double at = t.left + (x - t.x) * t.scale;
    size_t i = first_at(lane, at - 6 * t.scale);
    const sim_event_t *best = NULL;
    int best_d = 7;
    for (; i < lane->n; i++) {
        const sim_event_t *ev = gui_lane_event(lane, i);
        int d = x_of(&t, ev->cycle) - x;
        if (d > 6)
            break;
        d = d < 0 ? -d : d;
        if (d < best_d) {
            best_d = d;
            best = ev;
        }
    }
    g->tl_has_sel = best != NULL;
    if (best)
        g->tl_sel = *best;
}
