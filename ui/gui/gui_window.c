/*
 * gui_window.c - `hvsim --gui` and `hvsim --screenshot`: building the machine the window shows
 * (a program, or a built-in scenario), the window's loop, and the headless screenshot.
 *
 * The loop is one thread: each frame it handles the window's events, feeds whatever was typed
 * in the terminal to the REPL (readline's callback interface, ui_repl_terminal_poll), takes in
 * any stop a REPL command made, gives the machine the rest of the frame's time, and draws. At
 * most 60 frames a second; while the machine runs, it gets every millisecond drawing leaves.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_image.h>

#include "../hvsim/ui_hvsim.h"
#include "../repl/ui_repl.h"
#include "gui_internal.h"

#define FRAME_MS (1000.0 / 60.0)

typedef struct {
    sim_machine_t *m;
    ui_dbg_t *dbg;
    cpu_symbol_t *syms;
    size_t nsyms;
    char title[128];
    bool hv;                /* a hypervisor scenario (hv_debug.c made it) */
    ui_hv_session_t hvs;
} session_t;

static sim_machine_t machine; /* large; static keeps it off the stack */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Builds the machine, loads what it runs and attaches the debugger. 0, or an exit status. */
static int session_open(session_t *s, const ui_gui_options_t *opt)
{
    memset(s, 0, sizeof *s);
    s->m = &machine;
    if (opt->program) {
        uint32_t ram = opt->ram_size ? opt->ram_size : 16u << 20;
        if (sim_machine_init(s->m, ram, 1) != 0) {
            fprintf(stderr, "hvsim: cannot allocate %u bytes of simulated RAM\n", ram);
            return 1;
        }
        ui_repl_options_t ro = {.program = opt->program, .base = opt->base};
        uint32_t entry;
        if (ui_repl_load_program(s->m, &ro, &entry, &s->syms, &s->nsyms) != 0 ||
            (opt->input && sim_load_input(s->m, opt->input, stderr) != 0)) {
            sim_machine_free(s->m);
            return 1;
        }
        s->m->cpu[0].s.pc = entry;
        snprintf(s->title, sizeof s->title, "%s on the bare machine", base_name(opt->program));
    } else if (ui_hv_is_scenario(opt->scenario ? opt->scenario : UI_GUI_DEFAULT_SCENARIO)) {
        /* Under the hypervisor: prepared, not run; the VMs' consoles are kept for the panel. */
        const char *name = opt->scenario ? opt->scenario : UI_GUI_DEFAULT_SCENARIO;
        if (ui_hv_prepare(&s->hvs, name, opt->argv0, NULL) != 0)
            return 1;
        s->hv = true;
        s->m = s->hvs.m;
        s->dbg = s->hvs.dbg;
        if (opt->max_cycles && opt->max_cycles != 1000000000ull)
            ui_dbg_set_max_cycles(s->dbg, opt->max_cycles);
        char vms[48];
        snprintf(s->title, sizeof s->title, "scenario: %s (%s under the hypervisor)", name,
                 sim_counted(ui_dbg_vm_count(s->dbg), "VM", vms, sizeof vms));
        return 0;
    } else {
        const char *name = opt->scenario ? opt->scenario : UI_GUI_DEFAULT_SCENARIO;
        ui_bare_options_t bo = {.input = opt->input, .ram_size = opt->ram_size,
                                .max_cycles = opt->max_cycles};
        int rc = ui_scenario_prepare(s->m, name, &bo, opt->argv0, &s->syms, &s->nsyms);
        if (rc != 0)
            return rc;
        snprintf(s->title, sizeof s->title, "scenario: %s", name);
    }
    sim_console_set_output(s->m, NULL); /* the console panel shows it */
    s->dbg = ui_dbg_new(s->m);
    if (!s->dbg || ui_dbg_set_symbols(s->dbg, s->syms, s->nsyms) != 0) {
        fprintf(stderr, "hvsim: cannot start the debugger (out of memory)\n");
        ui_dbg_free(s->dbg);
        cpu_syms_free(s->syms, s->nsyms);
        sim_machine_free(s->m);
        return 1;
    }
    ui_dbg_set_max_cycles(s->dbg, opt->max_cycles ? opt->max_cycles : 1000000000ull);
    return 0;
}

static void session_close(session_t *s)
{
    if (s->hv) {
        ui_hv_release(&s->hvs);
        return;
    }
    ui_dbg_free(s->dbg);
    cpu_syms_free(s->syms, s->nsyms);
    sim_machine_free(s->m);
}

/* Runs the first N cycles (--after-cycles) through the debugger, exactly. */
static void run_first(gui_t *g, uint64_t cycles)
{
    ui_dbg_stop_t st;
    if (cycles == 0)
        return;
    if (ui_dbg_run_cycles(g->dbg, cycles, &st) != 0) {
        snprintf(g->status, sizeof g->status, "%s", ui_dbg_error(g->dbg));
        return;
    }
    gui_sync(g);
}

/* Runs to a stop the debugger's `break` understands (--at 'exit IO_PORT vm 0'): the REPL's own
 * command sets the breakpoint, so the spelling is the same. -1 after a message when the stop
 * cannot be set or the run ends without reaching it. */
static int run_to(gui_t *g, const char *spec)
{
    if (!spec)
        return 0;
    ui_repl_t r;
    char *said = NULL, line[320];
    size_t said_len = 0;
    FILE *out = open_memstream(&said, &said_len);
    if (!out)
        return -1;
    ui_repl_init(&r, g->m, g->dbg, out, out);
    snprintf(line, sizeof line, "break %s", spec);
    int rc = ui_repl_execute(&r, line);
    ui_repl_free(&r);
    fclose(out);
    if (rc != 0) {
        fprintf(stderr, "hvsim: --at '%s': %s", spec, said ? said : "not a stop\n");
        free(said);
        return -1;
    }
    free(said);
    ui_dbg_stop_t st = {0};
    if (ui_dbg_continue(g->dbg, &st) != 0 || st.kind != UI_DBG_STOP_BREAKPOINT) {
        fprintf(stderr, "hvsim: --at '%s': the run ended before that stop: %s\n", spec,
                st.text[0] ? st.text : ui_dbg_error(g->dbg));
        return -1;
    }
    gui_sync(g); /* the stop's sentence in the status bar, its changes highlighted */
    return 0;
}

static bool parent_writable(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return false;
    bool ok = access(dirname(copy), W_OK) == 0;
    free(copy);
    return ok;
}

int ui_gui_screenshot(const ui_gui_options_t *opt)
{
    if (!parent_writable(opt->screenshot)) {
        fprintf(stderr, "%s: error: cannot write there: %s\n", opt->screenshot, strerror(errno));
        return 1;
    }
    session_t s;
    int rc = session_open(&s, opt);
    if (rc != 0)
        return rc;
    int w = opt->width ? opt->width : 1280, h = opt->height ? opt->height : 800;
    gui_t *g = ui_gui_offscreen(s.m, s.dbg, w, h);
    if (!g) {
        session_close(&s);
        return 1;
    }
    g->title = s.title;
    /* A screenshot never steps back, and each checkpoint is a compressed snapshot of the whole
     * machine: one (the run's first) is all it keeps, where one every 500 000 cycles took two
     * thirds of the host time of --after-cycles 20000000. */
    ui_dbg_set_checkpoint_interval(s.dbg, UINT64_C(1) << 62);
    run_first(g, opt->after_cycles);
    if (run_to(g, opt->at) != 0)
        rc = 1;
    else {
        ui_gui_render(g);
        rc = ui_gui_save_png(g, opt->screenshot) == 0 ? 0 : 1;
    }
    ui_gui_free(g);
    session_close(&s);
    TTF_Quit();
    IMG_Quit();
    SDL_Quit();
    return rc;
}

bool ui_gui_display_available(void)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if (!(x && *x) && !(wl && *wl))
        return false;
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return false;
    /* When the named display cannot be reached, SDL falls back on its "offscreen" driver,
     * which starts but shows nothing: a window there would run unseen for ever. */
    const char *driver = SDL_GetCurrentVideoDriver();
    bool shown = driver && (strcmp(driver, "x11") == 0 || strcmp(driver, "wayland") == 0);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return shown;
}

/* Prints what the window did in the terminal, for a student who types there too. */
static void report_to_repl(gui_t *g, const char *what, const ui_dbg_stop_t *st)
{
    ui_repl_t *r = g->report_ctx;
    char line[480];
    if (!st) {
        snprintf(line, sizeof line, "[window] %s", what);
        ui_repl_terminal_print(r, line, NULL);
        return;
    }
    snprintf(line, sizeof line, "[window] %s", what);
    ui_repl_terminal_print(r, line, st);
}

static double now_ms(void)
{
    return (double)SDL_GetPerformanceCounter() * 1000.0 / (double)SDL_GetPerformanceFrequency();
}

static int open_window(gui_t *g, const ui_gui_options_t *opt)
{
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "hvsim: cannot open a window: %s\n", SDL_GetError());
        return -1;
    }
    int w = opt->width ? opt->width : 1280, h = opt->height ? opt->height : 800;
    char title[200];
    snprintf(title, sizeof title, "hvsim - %s", g->title);
    g->win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h,
                              SDL_WINDOW_RESIZABLE);
    if (!g->win) {
        fprintf(stderr, "hvsim: cannot open a window: %s\n", SDL_GetError());
        return -1;
    }
    SDL_SetWindowMinimumSize(g->win, 960, 600);
    g->ren = SDL_CreateRenderer(g->win, -1, SDL_RENDERER_ACCELERATED);
    if (!g->ren)
        g->ren = SDL_CreateRenderer(g->win, -1, SDL_RENDERER_SOFTWARE);
    if (!g->ren) {
        fprintf(stderr, "hvsim: cannot draw in the window: %s\n", SDL_GetError());
        return -1;
    }
    SDL_GetRendererOutputSize(g->ren, &g->w, &g->h);
    return gui_text_layout(g, g->w, g->h);
}

/* One pass of the loop: input, REPL, machine, drawing. */
static void frame(gui_t *g, ui_repl_t *repl, double *last, double *fps_t0, unsigned *fps_n)
{
    double t0 = now_ms(), dt = (t0 - *last) / 1000.0;
    *last = t0;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        gui_handle_event(g, &e);
        if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            SDL_GetRendererOutputSize(g->ren, &g->w, &g->h);
            gui_text_layout(g, g->w, g->h);
        }
    }
    if (repl) {
        /* Paused: wait for typing here (a few ms) rather than spin. */
        if (ui_repl_terminal_poll(repl, g->running ? 0 : 8) && g->running)
            gui_cmd_run_pause(g);
        if (repl->quit)
            g->quit = true;
    } else if (!g->running) {
        SDL_Delay(8);
    }
    gui_sync(g);
    double budget = FRAME_MS - g->render_ms - 1.5;
    gui_run_slice(g, budget < 2 ? 2 : budget, dt);
    double r0 = now_ms();
    gui_walk_update(g, dt);
    gui_draw_frame(g);
    SDL_RenderPresent(g->ren);
    double r1 = now_ms();
    g->render_ms = g->render_ms * 0.9 + (r1 - r0) * 0.1;
    (*fps_n)++;
    if (r1 - *fps_t0 >= 1000.0) {
        g->fps = *fps_n * 1000.0 / (r1 - *fps_t0);
        *fps_t0 = r1;
        *fps_n = 0;
    }
    double left = FRAME_MS - (now_ms() - t0);
    if (left > 1 && (g->running || !repl))
        SDL_Delay((Uint32)left);
}

int ui_gui_main(const ui_gui_options_t *opt)
{
    session_t s;
    int rc = session_open(&s, opt);
    if (rc != 0)
        return rc;
    gui_t *g = gui_create(s.m, s.dbg);
    if (!g) {
        session_close(&s);
        return 1;
    }
    g->title = s.title;
    if (open_window(g, opt) != 0) {
        ui_gui_free(g);
        session_close(&s);
        SDL_Quit();
        return 1;
    }
    run_first(g, opt->after_cycles);
    ui_repl_t repl;
    bool terminal = isatty(STDIN_FILENO);
    if (terminal) {
        ui_repl_init(&repl, s.m, s.dbg, stdout, stderr);
        repl.has_program = true;
        g->report = report_to_repl;
        g->report_ctx = &repl;
        printf("hvsim: the window shows %s; this terminal is its debugger (\"help\" lists the "
               "commands, \"quit\" closes both).\n", s.title);
        ui_repl_terminal_open(&repl);
    }
    double last = now_ms(), fps_t0 = last, start = last;
    unsigned fps_n = 0;
    while (!g->quit)
        frame(g, terminal ? &repl : NULL, &last, &fps_t0, &fps_n);
    double secs = (now_ms() - start) / 1000.0;
    if (terminal)
        ui_repl_terminal_close(&repl);
    const cpu_t *cpu = ui_dbg_cpu(s.dbg, 0);
    char cyc[32], ins[48], frames[48];
    char off[48] = "";
    if (s.m->powered_off)
        snprintf(off, sizeof off, "; the machine powered off (exit code %u)", s.m->exit_code);
    printf("hvsim: window closed at cycle %s; pCPU0 retired %s%s; %s in %.1f s\n",
           sim_group_digits(cpu->s.cycles, cyc, sizeof cyc),
           sim_counted(cpu->s.instret, "instruction", ins, sizeof ins), off,
           sim_counted(g->frames_drawn, "frame", frames, sizeof frames), secs);
    fflush(stdout);
    ui_gui_free(g);
    session_close(&s);
    TTF_Quit();
    IMG_Quit();
    /* SDL_Quit would unload the X11 libraries SDL opened, and with them the names a leak
     * checker needs to tell their caches from ours (tests/gui/lsan.supp): the window is
     * closed, and the process ends here anyway. */
    return 0;
}
