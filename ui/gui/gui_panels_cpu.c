/*
 * gui_panels_cpu.c - the panels about CPUs: the control bar (run, pause, the step buttons and
 * the speed), the pCPU strip (each pCPU's ring as a coloured badge, what runs there, its
 * cycles), the registers and CSRs of the selected CPU with the values the last step changed
 * highlighted, the VM control block (with the hypervisor), and the status line.
 */
#include <stdio.h>
#include <string.h>

#include "gui_internal.h"

/* The buttons of the control bar, in order. */
typedef struct {
    const char *label;
    void (*action)(gui_t *g);
} button_t;

static const button_t buttons[] = {
    {NULL, gui_cmd_run_pause}, /* "▶ run" or "|| pause" */
    {"si", gui_cmd_stepi},
    {"→trap", gui_cmd_step_trap},
    {"→exit", gui_cmd_step_exit},
    {"event", gui_cmd_step_event},
    {"-", gui_cmd_slower},
    {"+", gui_cmd_faster},
};
#define NBUTTONS (sizeof buttons / sizeof buttons[0])

void gui_button_click(gui_t *g, int i)
{
    if (i >= 0 && (size_t)i < NBUTTONS)
        buttons[i].action(g);
}

static const char *speed_text(int speed, char *buf, size_t len)
{
    uint64_t ips = gui_speed_table[speed];
    if (ips == 0)
        snprintf(buf, len, "full speed");
    else if (ips >= 1000000)
        snprintf(buf, len, "%llu M instr/s", (unsigned long long)(ips / 1000000));
    else if (ips >= 1000)
        snprintf(buf, len, "%llu k instr/s", (unsigned long long)(ips / 1000));
    else
        snprintf(buf, len, "%llu instr/s", (unsigned long long)ips);
    return buf;
}

void gui_draw_topbar(gui_t *g)
{
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_TOPBAR];
    gui_fill(g, r.x, r.y, r.w, r.h, 0x262b35u);
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int y = r.y + (r.h - f->lh) / 2;
    char num[32], speed[32];
    const cpu_t *focus = ui_dbg_cpu(g->dbg, ui_dbg_focus(g->dbg));
    int x = 8 + gui_text(g, GUI_FONT_BOLD, 8, y, GUI_TEXT, "hvsim");
    x += gui_textf(g, GUI_FONT_NORMAL, x, y, GUI_DIM, " · %s · cycle ", g->title);
    x += gui_text(g, GUI_FONT_NORMAL, x, y, GUI_TEXT,
                  sim_group_digits(focus->s.cycles, num, sizeof num));
    if (g->m->powered_off)
        gui_textf(g, GUI_FONT_NORMAL, x, y, GUI_WARN, "  powered off (exit code %u)",
                  g->m->exit_code);

    /* Buttons from the right edge leftwards: speed blocks, then the buttons. */
    int bx = r.w - 8;
    int nb = GUI_SPEEDS - 1, bw = f->cw * 3 / 8 + 1;
    bx -= nb * (bw + 2);
    for (int i = 0; i < nb; i++)
        gui_fill(g, bx + i * (bw + 2), y + 3, bw, f->lh - 6,
                 i < g->speed ? GUI_TITLE : (g->speed == GUI_SPEEDS - 1 ? GUI_TITLE : GUI_BORDER));
    speed_text(g->speed, speed, sizeof speed);
    bx -= gui_text_width(g, GUI_FONT_NORMAL, speed) + f->cw;
    gui_text(g, GUI_FONT_NORMAL, bx, y, GUI_TEXT, speed);
    bx -= f->cw * 7;
    gui_text(g, GUI_FONT_NORMAL, bx, y, GUI_DIM, "speed");
    g->nbuttons = 0;
    int widths[NBUTTONS];
    int total = 0;
    for (size_t i = 0; i < NBUTTONS; i++) {
        const char *label = buttons[i].label ? buttons[i].label
                                             : (g->running ? "|| pause" : "▶ run");
        widths[i] = gui_text_width(g, GUI_FONT_NORMAL, label) + f->cw * 2;
        total += widths[i] + 6;
    }
    bx -= total + f->cw;
    for (size_t i = 0; i < NBUTTONS; i++) {
        const char *label = buttons[i].label ? buttons[i].label
                                             : (g->running ? "|| pause" : "▶ run");
        ui_gui_rect_t b = {bx, r.y + 3, widths[i], r.h - 6};
        bool on = i == 0 && g->running;
        gui_fill(g, b.x, b.y, b.w, b.h, on ? 0x2f5a3au : 0x343b48u);
        gui_frame_rect(g, b.x, b.y, b.w, b.h, GUI_BORDER);
        gui_text(g, GUI_FONT_NORMAL, b.x + f->cw, y, GUI_TEXT, label);
        g->button[g->nbuttons++] = b;
        bx += b.w + 6;
    }
}

/* The ring a pCPU's code believes it runs in: a deprivileged kernel's (trap, bt) virtual
 * ring, else the real one. */
static cpu_mode_t believed_ring(const gui_t *g, unsigned i, int vm, int vcpu)
{
    cpu_mode_t mode = cpu_mode(ui_dbg_cpu(g->dbg, i));
    ui_dbg_vcpu_t v;
    if (mode != CPU_MODE_H && vm >= 0 && vcpu >= 0 &&
        ui_dbg_vcpu_info(g->dbg, (unsigned)vm, (unsigned)vcpu, &v) == 0)
        return v.guest_mode;
    return mode;
}

/* Whether the stop shown is a sub-step of the exit pCPU i handles (the machine itself is past
 * it): the badge then says ring -1 and which exit, as it did at the exit. */
static bool at_substep(const gui_t *g, unsigned i, ui_dbg_exit_t *x)
{
    ui_dbg_view_t view;
    ui_dbg_view(g->dbg, i, &view);
    return view.substep && view.kind == UI_DBG_VIEW_GUEST && ui_dbg_exit_info(g->dbg, i, x) == 0 &&
           x->handling;
}

/* "exit IO_PORT", or for binary translation's monitor "a call" or "a trap" (no exit). */
static const char *exit_words(const ui_dbg_exit_t *x, char *buf, size_t len)
{
    if (x->monitor && x->monitor_entry) /* "a call into the co-resident monitor" */
        snprintf(buf, len, "%.*s", (int)(strstr(x->monitor_entry, " in") - x->monitor_entry),
                 x->monitor_entry);
    else
        snprintf(buf, len, "%s %s", x->monitor ? "entry" : "exit", x->reason_name);
    return buf;
}

/* What runs on a pCPU: its VM and VCPU, the hypervisor, or the bare machine. */
static const char *runs_what(const gui_t *g, unsigned i, char *buf, size_t len)
{
    cpu_mode_t mode = cpu_mode(ui_dbg_cpu(g->dbg, i));
    int vcpu, vm = ui_dbg_pcpu_vm(g->dbg, i, &vcpu);
    ui_dbg_vm_t info;
    ui_dbg_exit_t x;
    const char *hv = ui_dbg_host_kernel(g->dbg) ? "host kernel" : "hypervisor";
    char what[64];
    if (at_substep(g, i, &x) && ui_dbg_vm_info(g->dbg, (unsigned)x.vm, &info) == 0)
        snprintf(buf, len, "%s: %s of %s, step by step", x.monitor ? "BT monitor" : hv,
                 exit_words(&x, what, sizeof what), info.name);
    else if (mode == CPU_MODE_H && vm >= 0 && ui_dbg_pcpu_exit_pending(g->dbg, i) &&
             ui_dbg_exit_info(g->dbg, i, &x) == 0 && ui_dbg_vm_info(g->dbg, (unsigned)vm, &info) == 0)
        snprintf(buf, len, "%s: %s of %s", x.monitor ? "BT monitor" : hv,
                 exit_words(&x, what, sizeof what), info.name);
    else if (mode == CPU_MODE_H)
        snprintf(buf, len, "%s", ui_dbg_has_hypervisor(g->dbg) ? hv : "ring -1 code");
    else if (vm >= 0 && ui_dbg_vm_info(g->dbg, (unsigned)vm, &info) == 0) {
        cpu_mode_t v = believed_ring(g, i, vm, vcpu); /* deprivileged: the real ring beside */
        if (v != mode)
            snprintf(buf, len, "%s vcpu%d, really %s", info.name, vcpu, gui_ring_name(mode));
        else
            snprintf(buf, len, "%s vcpu%d", info.name, vcpu);
    } else
        snprintf(buf, len, "bare metal");
    return buf;
}

void gui_draw_pcpus(gui_t *g)
{
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_PCPUS];
    gui_fill(g, r.x, r.y, r.w, r.h, GUI_PANEL);
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    unsigned n = g->m->ncpus, focus = ui_dbg_focus(g->dbg);
    int slot = r.w / (int)n;
    for (unsigned i = 0; i < n; i++) {
        const cpu_t *cpu = ui_dbg_cpu(g->dbg, i);
        int vcpu, vm = ui_dbg_pcpu_vm(g->dbg, i, &vcpu);
        ui_dbg_exit_t sub;
        cpu_mode_t mode = at_substep(g, i, &sub) ? CPU_MODE_H : believed_ring(g, i, vm, vcpu);
        char what[96], badge[160], num[32], cyc[48];
        runs_what(g, i, what, sizeof what);
        snprintf(badge, sizeof badge, "pCPU%u %s · %s", i, gui_ring_name(mode), what);
        int x = r.x + (int)i * slot + 4, y = r.y + 4;
        snprintf(cyc, sizeof cyc, "%s%s", sim_group_digits(cpu->s.cycles, num, sizeof num),
                 cpu->s.halted ? " halted" : "");
        /* The badge takes what its slot leaves after the cycle count; its text is ellipsized
         * to fit, never cut or run into the next badge. */
        int cyc_w = gui_text_width(g, GUI_FONT_NORMAL, cyc) + f->cw * 2;
        int room = slot - 8 - cyc_w;
        if (room < f->cw * 12) { /* too narrow for both: the badge alone */
            room = slot - 8;
            cyc_w = 0;
        }
        int bw = gui_text_width(g, GUI_FONT_BOLD, badge) + f->cw * 2;
        if (bw > room) { /* many pCPUs: the ring as the REPL's prompt names it (H, K, U) */
            snprintf(badge, sizeof badge, "pCPU%u %s · %s", i, cpu_mode_name(mode), what);
            bw = gui_text_width(g, GUI_FONT_BOLD, badge) + f->cw * 2;
        }
        if (bw > room && cyc_w && cpu->s.cycles >= 1000000) { /* and the cycles in millions */
            snprintf(cyc, sizeof cyc, "%.2fM%s", (double)cpu->s.cycles / 1e6,
                     cpu->s.halted ? " halted" : "");
            int short_w = gui_text_width(g, GUI_FONT_NORMAL, cyc) + f->cw * 2;
            room += cyc_w - short_w;
            cyc_w = short_w;
        }
        bw = bw > room ? room : bw;
        uint32_t col = cpu->s.halted ? GUI_HALTED : gui_ring_rgb(mode);
        gui_fill(g, x, y, bw, r.h - 8, col);
        if (i == focus)
            gui_frame_rect(g, x - 2, y - 2, bw + 4, r.h - 4, GUI_TEXT);
        g->badge[i] = (ui_gui_rect_t){x, y, bw, r.h - 8};
        gui_text_fit(g, GUI_FONT_BOLD, x + f->cw, y + (r.h - 8 - f->lh) / 2, bw - f->cw * 2,
                     0x0b0d12u, badge);
        if (cyc_w)
            gui_text(g, GUI_FONT_NORMAL, x + bw + f->cw, y + (r.h - 8 - f->lh) / 2,
                     cpu->s.halted ? GUI_WARN : GUI_TEXT, cyc);
    }
}

/* One "name value" cell, the value highlighted when the last step changed it. */
static void reg_cell(gui_t *g, int x, int y, const char *name, uint32_t now, uint32_t before,
                     int name_w)
{
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    char hex[16];
    bool changed = g->highlight && now != before;
    gui_text(g, GUI_FONT_NORMAL, x, y, GUI_DIM, name);
    if (changed)
        gui_fill(g, x + name_w - 2, y, f->cw * 9 + 4, f->lh, GUI_CHANGED_BG);
    gui_text(g, GUI_FONT_NORMAL, x + name_w, y, changed ? GUI_CHANGED : GUI_TEXT,
             gui_hex(now, hex));
}

/* The CSRs shown, in this order (the computed counters are shown as counts below). */
static const cpu_csr_t shown_csrs[] = {CPU_CSR_TVEC,   CPU_CSR_CAUSE,   CPU_CSR_TVAL,
                                       CPU_CSR_EPC,    CPU_CSR_EFLAGS,  CPU_CSR_SCRATCH,
                                       CPU_CSR_PTROOT, CPU_CSR_TIMER,   CPU_CSR_IM,
                                       CPU_CSR_IP};
#define NSHOWN (sizeof shown_csrs / sizeof shown_csrs[0])

/* The focus pCPU's exit (being handled, or the last), decoded as `info exit` decodes it:
 * reason and what exactly, the bit that caused it, the handler and its line. */
static int draw_exit(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    ui_dbg_exit_t e;
    char line[400];
    if (ui_dbg_exit_info(g->dbg, ui_dbg_focus(g->dbg), &e) != 0) {
        gui_text(g, GUI_FONT_SMALL, x, y, GUI_DIM, "no exit yet on this pCPU");
        return y + f->lh;
    }
    if (e.monitor_entry) /* binary translation: "this call into the co-resident monitor: ..." */
        snprintf(line, sizeof line, "%s %s: %s", e.pending ? "this" : "last",
                 strchr(e.monitor_entry, ' ') + 1, e.qual);
    else
        snprintf(line, sizeof line, "%s exit %s: %s", e.pending ? "this" : "last", e.reason_name,
                 e.qual);
    y += gui_text_wrap(g, GUI_FONT_SMALL, x, y, w, e.pending ? GUI_RINGM1 : GUI_TEXT, line, 2) *
         f->lh;
    snprintf(line, sizeof line, "%s %s (%s:%u)", e.pending ? "runs next:" : "handled by", e.handler,
             e.file, e.line);
    y += gui_text_wrap(g, GUI_FONT_SMALL, x, y, w, GUI_TEXT, line, 2) * f->lh;
    snprintf(line, sizeof line, "because %s", e.because);
    y += gui_text_wrap(g, GUI_FONT_SMALL, x, y, w, GUI_DIM, line, 2) * f->lh;
    return y;
}

/* The VMCB of the VCPU on the focus pCPU (or of the focus VM's VCPU 0): whose, the exit
 * controls, the last exit and the nested tables, read through the debugger. */
static void draw_vmcb(gui_t *g, int x, int y, int w)
{
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int vcpu = 0, vm = ui_dbg_pcpu_vm(g->dbg, ui_dbg_focus(g->dbg), &vcpu);
    if (vm < 0)
        vm = ui_dbg_focus_vm(g->dbg), vcpu = 0;
    ui_dbg_vm_t info;
    ui_dbg_vcpu_t v;
    if (vm < 0 || ui_dbg_vm_info(g->dbg, (unsigned)vm, &info) != 0 ||
        ui_dbg_vcpu_info(g->dbg, (unsigned)vm, (unsigned)vcpu, &v) != 0) {
        gui_text(g, GUI_FONT_SMALL, x, y, GUI_DIM,
                 "no VCPU on this pCPU yet, so no exit yet (focus a VM)");
        return;
    }
    uint32_t ctl = 0, root = 0, pc = 0, ptroot = 0;
    ui_dbg_vmcb_read(g->dbg, vm, (unsigned)vcpu, CPU_VMCB_CONTROLS, &ctl);
    ui_dbg_vmcb_read(g->dbg, vm, (unsigned)vcpu, CPU_VMCB_NESTED_ROOT, &root);
    ui_dbg_vmcb_read(g->dbg, vm, (unsigned)vcpu, CPU_VMCB_GUEST + CPU_VMCB_PC, &pc);
    ui_dbg_vmcb_read(g->dbg, vm, (unsigned)vcpu, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT),
                     &ptroot);
    y = draw_exit(g, x, y, w); /* first: the panel may end before the lines below */
    if (!gui_fits(g, GUI_FONT_SMALL, y))
        return; /* the panel ends here: the rest is left out, not cut */
    gui_textf(g, GUI_FONT_SMALL, x, y, gui_vm_rgb(vm), "%s vcpu%d · %s+%s · VMCB hpa %08x · %s",
              info.name, vcpu, info.cpu, info.mem, v.vmcb, v.state);
    y += f->lh;
    char on[96] = "exit-on:";
    size_t used = strlen(on);
    static const char *const short_name[] = {"HLT", "IO", "CPUID", "EXTINT", "CSR", "TLB"};
    for (unsigned b = 0; b < 6 && used < sizeof on; b++)
        if (ctl & (1u << b))
            used += (size_t)snprintf(on + used, sizeof on - used, " %s", short_name[b]);
    if (!gui_fits(g, GUI_FONT_SMALL, y))
        return;
    gui_text(g, GUI_FONT_SMALL, x, y, GUI_TEXT, on);
    y += f->lh;
    if (!gui_fits(g, GUI_FONT_SMALL, y))
        return; /* the panel ends here: the rest is left out, not cut */
    if (v.shadow) /* the VMCB's ptroot is the shadow's; nested translation is off */
        gui_textf(g, GUI_FONT_SMALL, x, y, GUI_DIM, "guest pc %08x · shadow root %08x · guest's %08x",
                  pc, ptroot, v.guest_ptroot);
    else
        gui_textf(g, GUI_FONT_SMALL, x, y, GUI_DIM,
                  "guest pc %08x · ptroot %08x · nested root %08x", pc, ptroot, root);
}

void gui_draw_regs(gui_t *g)
{
    unsigned i = ui_dbg_focus(g->dbg);
    /* At an exit: the exiting VCPU's registers as its VMCB saved them; in ring -1 with no
     * exit: no registers at all, a sentence. */
    ui_dbg_view_t view;
    ui_dbg_view(g->dbg, i, &view);
    const cpu_t *cpu = ui_dbg_shown_cpu(g->dbg, i);
    const cpu_state_t *now = &cpu->s;
    const cpu_state_t *before = view.substep                     ? ui_dbg_prev_state(g->dbg, i)
                                : view.kind == UI_DBG_VIEW_GUEST ? now
                                                                 : &g->before[i];
    char sub[112], what[48], sym[96], num[32];
    if (view.kind == UI_DBG_VIEW_GUEST)
        snprintf(sub, sizeof sub, "%s", view.label);
    else
        snprintf(sub, sizeof sub, "pCPU%u · %s", i, runs_what(g, i, what, sizeof what));
    int y = gui_panel_begin(g, UI_GUI_PANEL_REGS, "REGISTERS", sub);
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_REGS];
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int x0 = r.x + f->cw, lh = f->lh;
    if (view.kind == UI_DBG_VIEW_NONE) {
        y += gui_text_wrap(g, GUI_FONT_NORMAL, x0, y, r.w - 2 * f->cw, GUI_DIM, view.why, 4) * lh;
        y += lh / 2;
        gui_text(g, GUI_FONT_BOLD, x0, y, GUI_TITLE, "CONTROL BLOCK");
        if (ui_dbg_vm_count(g->dbg))
            draw_vmcb(g, x0, y + lh + 2, r.w - 2 * f->cw);
        return;
    }
    int name_w = f->cw * 4, cell = name_w + f->cw * 11;
    int cols = (r.w - 2 * f->cw) / cell;
    cols = cols < 2 ? 2 : cols > 4 ? 4 : cols;
    /* Registers: r0..r15, sp and lr by their names. */
    for (int k = 0; k < CPU_NREGS; k++) {
        char name[16]; /* room for any int, so -O1 format checks pass too */
        snprintf(name, sizeof name, "%s", k == CPU_REG_SP ? "sp" : k == CPU_REG_LR ? "lr" : "");
        if (!name[0])
            snprintf(name, sizeof name, "r%d", k);
        reg_cell(g, x0 + (k % cols) * cell, y + (k / cols) * lh, name, now->r[k], before->r[k],
                 name_w);
    }
    y += ((CPU_NREGS + cols - 1) / cols) * lh + lh / 3;
    reg_cell(g, x0, y, "pc", now->pc, before->pc, name_w);
    gui_text(g, GUI_FONT_NORMAL, x0 + cell, y, GUI_DIM,
             ui_dbg_symbolize(g->dbg, now->pc, sym, sizeof sym));
    y += lh;
    reg_cell(g, x0, y, "flags", now->flags, before->flags, name_w + f->cw * 2);
    int fx = x0 + cell + f->cw * 2;
    static const struct {
        uint32_t bit;
        const char *name;
    } flag_names[] = {{CPU_FLAG_Z, "Z"}, {CPU_FLAG_N, "N"}, {CPU_FLAG_C, "C"},
                      {CPU_FLAG_V, "V"}, {CPU_FLAG_IE, "IE"}};
    for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++)
        fx += gui_text(g, GUI_FONT_NORMAL, fx, y, (now->flags & flag_names[k].bit) ? GUI_TEXT
                                                                                    : GUI_BORDER,
                       flag_names[k].name) + f->cw;
    /* The mode the VCPU believes (a deprivileged kernel's virtual K), the real one beside. */
    fx += gui_text(g, GUI_FONT_BOLD, fx, y, gui_ring_rgb(view.mode), cpu_mode_name(view.mode));
    if (view.mode != view.real_mode)
        gui_textf(g, GUI_FONT_SMALL, fx + f->cw, y, GUI_DIM, "virtual · really %s",
                  cpu_mode_name(view.real_mode));
    y += lh + lh / 3;
    /* CSRs, two or more a line. */
    int ccols = cols < 3 ? 2 : cols - 1, ccell = (r.w - 2 * f->cw) / ccols;
    for (size_t k = 0; k < NSHOWN; k++) {
        unsigned num_csr = shown_csrs[k];
        reg_cell(g, x0 + (int)(k % ccols) * ccell, y + (int)(k / ccols) * lh,
                 cpu_csr_name(num_csr), cpu_csr_read(cpu, num_csr), before->csr[num_csr],
                 f->cw * 8);
    }
    y += (int)((NSHOWN + ccols - 1) / ccols) * lh;
    gui_text(g, GUI_FONT_NORMAL, x0, y, GUI_DIM, "cycles");
    gui_text(g, GUI_FONT_NORMAL, x0 + f->cw * 8, y, GUI_TEXT,
             sim_group_digits(now->cycles, num, sizeof num));
    gui_text(g, GUI_FONT_NORMAL, x0 + ccell, y, GUI_DIM, "instret");
    gui_text(g, GUI_FONT_NORMAL, x0 + ccell + f->cw * 8, y, GUI_TEXT,
             sim_group_digits(now->instret, num, sizeof num));
    y += lh + lh / 2;
    gui_text(g, GUI_FONT_BOLD, x0, y, GUI_TITLE, "CONTROL BLOCK");
    y += lh;
    if (ui_dbg_vm_count(g->dbg) == 0)
        gui_text(g, GUI_FONT_NORMAL, x0, y, GUI_DIM, "no hypervisor in this run: no VMCB");
    else
        draw_vmcb(g, x0, y + 2, r.w - 2 * f->cw);
}

static const char *status_text(const gui_t *g)
{
    return g->status[0] ? g->status
                        : "Ready. Space runs, s steps one instruction, ? lists every key.";
}

/* The right end of the status bar: running or paused, the frame rate, the help key. */
static void status_right(const gui_t *g, char *right, size_t len)
{
    if (g->win)
        snprintf(right, len, "%s  %.0f fps · %.1f ms/frame   ? help",
                 g->running ? "running" : "paused", g->fps, g->render_ms);
    else
        snprintf(right, len, "%s   ? help", g->running ? "running" : "paused");
}

/* The status bar is as tall as its sentence needs: the whole stop sentence is shown, wrapped
 * at spaces into up to four lines of the small font (one line of the normal one when it
 * fits). */
static int status_lines(const gui_t *g, int *text_w)
{
    char right[96];
    status_right(g, right, sizeof right);
    const gui_font_t *f = &g->font[GUI_FONT_SMALL];
    int w = g->w - gui_text_width(g, GUI_FONT_NORMAL, right) - 3 * g->font[GUI_FONT_NORMAL].cw;
    *text_w = w;
    const char *s = status_text(g);
    if (gui_text_width(g, GUI_FONT_NORMAL, s) <= w)
        return 0; /* one line of the normal font */
    int cols = w / (f->cw > 0 ? f->cw : 1), n = gui_wrap_count(s, cols);
    return n < 1 ? 1 : n > 4 ? 4 : n;
}

int gui_status_height(const gui_t *g)
{
    int w, n = status_lines(g, &w);
    return n == 0 ? g->font[GUI_FONT_NORMAL].lh + 8 : n * g->font[GUI_FONT_SMALL].lh + 8;
}

void gui_draw_status(gui_t *g)
{
    ui_gui_rect_t r = g->panel[UI_GUI_PANEL_STATUS];
    gui_fill(g, r.x, r.y, r.w, r.h, 0x262b35u);
    const gui_font_t *f = &g->font[GUI_FONT_NORMAL];
    int tw, lines = status_lines(g, &tw);
    int y = r.y + (r.h - f->lh) / 2;
    char right[96];
    status_right(g, right, sizeof right);
    int rw = gui_text_width(g, GUI_FONT_NORMAL, right);
    gui_text(g, GUI_FONT_NORMAL, r.w - rw - f->cw, y, GUI_DIM, right);
    uint32_t rgb = g->status_rgb ? g->status_rgb : GUI_TEXT;
    if (lines == 0)
        gui_text(g, GUI_FONT_NORMAL, f->cw, y, rgb, status_text(g));
    else
        gui_text_wrap(g, GUI_FONT_SMALL, f->cw, r.y + 4, tw, rgb, status_text(g), lines);
}
