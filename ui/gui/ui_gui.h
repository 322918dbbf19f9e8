/*
 * ui_gui.h - the SDL visualizer as the rest of hvsim sees it: the options of `hvsim --gui` and
 * `hvsim --screenshot`, and the few entry points. No SDL type appears here, so ui/hvsim and the
 * tests include it without SDL's flags; what the gui files share among themselves is in
 * gui_internal.h.
 *
 * The window is a thin front end: it queries the machine and issues commands only through the
 * debugger API (sim.h, "The debugger") and holds no machine logic. The REPL stays live in the
 * terminal through readline's callback interface, polled from the same loop: one thread.
 */
#ifndef HVSIM_UI_GUI_H
#define HVSIM_UI_GUI_H

#include <stdbool.h>
#include <stdint.h>

#include "../debug/ui_debug.h"

/* What to open the window on, and how. */
typedef struct {
    const char *program;     /* --bare PROG, or NULL */
    const char *scenario;    /* --scenario NAME, or NULL (with no program: the default) */
    const char *input;       /* --input FILE, or NULL */
    const char *screenshot;  /* --screenshot FILE.png: render offscreen, save, exit */
    uint64_t after_cycles;   /* --after-cycles N: run this many cycles first */
    const char *at;          /* --at STOP: run to this stop (what `break` takes) first */
    int width, height;       /* --size WxH (0: 1280x800) */
    uint64_t max_cycles;
    uint32_t ram_size;       /* 0: the program's or scenario's default */
    uint32_t base;           /* load address of a .bin */
    const char *argv0;       /* to find the guest images beside the binary */
} ui_gui_options_t;

/* The scenario the window opens when none is named: tinyos and rtos under the hypervisor. */
#define UI_GUI_DEFAULT_SCENARIO "default"

/* `hvsim --gui`: opens the window (and, when stdin is a terminal, the REPL beside it) and runs
 * until the window is closed or the REPL quits. Returns the process exit status. */
int ui_gui_main(const ui_gui_options_t *opt);
/* `hvsim --screenshot FILE.png`: renders the window offscreen with SDL's software renderer,
 * writes the PNG (through a temporary file, renamed) and returns 0; 1 after a message. */
int ui_gui_screenshot(const ui_gui_options_t *opt);
/* A bar chart written as a PNG (gui_plot.c; temporary file, then renamed): a bar per value,
 * its value above it and its label below, a title on top and a caption under the axis. 0, or
 * -1 after "PATH: error: ..." on stderr. Needs no display. */
typedef struct {
    const char *label;
    uint32_t value;
} ui_gui_bar_t;
int ui_gui_plot_bars(const char *path, const char *title, const char *caption,
                     const ui_gui_bar_t *bars, size_t n);
/* True when a window can be opened here: a display is named and SDL's video starts. */
bool ui_gui_display_available(void);

/* ------------------------------------------------------------------------------------------
 * The offscreen renderer, for the tests and the benchmark: a window drawn into memory.
 * ------------------------------------------------------------------------------------------ */
typedef struct gui gui_t;

/* The panels, X(NAME, title). Their rectangles come from the layout. */
#define UI_GUI_PANELS(X)                                                                           \
    X(TOPBAR, "controls")                                                                          \
    X(PCPUS, "pCPUs")                                                                              \
    X(REGS, "registers")                                                                           \
    X(DISASM, "disassembly")                                                                       \
    X(WALK, "page walk")                                                                           \
    X(TIMELINE, "timeline")                                                                        \
    X(STEPS, "transition")                                                                         \
    X(MEMMAP, "host memory")                                                                       \
    X(TLB, "TLB and IOMMU")                                                                        \
    X(CONSOLE, "consoles")                                                                         \
    X(STATUS, "status")

typedef enum {
#define UI_GUI_X_PANEL(name, title) UI_GUI_PANEL_##name,
    UI_GUI_PANELS(UI_GUI_X_PANEL)
#undef UI_GUI_X_PANEL
        UI_GUI_PANEL_COUNT
} ui_gui_panel_t;

typedef struct {
    int x, y, w, h;
} ui_gui_rect_t;

/* A window of w x h pixels drawn offscreen over a machine with a debugger attached (the
 * window does not own them). NULL after a message to stderr (no font, no memory). */
gui_t *ui_gui_offscreen(sim_machine_t *m, ui_dbg_t *dbg, int w, int h);
void ui_gui_free(gui_t *g);
/* Draws one frame (the walk grid fully lit, as a finished animation). */
void ui_gui_render(gui_t *g);
/* A panel's rectangle in the last frame. */
ui_gui_rect_t ui_gui_panel_rect(const gui_t *g, ui_gui_panel_t panel);
/* The pixel at (x, y) of the last frame as 0xRRGGBB. */
uint32_t ui_gui_pixel(const gui_t *g, int x, int y);
/* Writes the last frame as a PNG (temporary file, then renamed). 0, or -1 after a message. */
int ui_gui_save_png(gui_t *g, const char *path);
/* How many runs of text the last frame had to cut at their panel's edge, or drew over another
 * run (layout bugs; the overlaps are checked by ui_gui_render), and the first of them
 * described in *first ("" when none). */
unsigned ui_gui_clipped(const gui_t *g, const char **first);
/* Where CPU `cpu`'s ring badge was drawn, and how many walk-grid cells were lit. */
ui_gui_rect_t ui_gui_badge_rect(const gui_t *g, unsigned cpu);
unsigned ui_gui_walk_lit(const gui_t *g);
/* The text drawn in a panel in the last frame, line by line as drawn (top to bottom, left to
 * right), after ui_gui_keep_text(g) asked for it before the frame; "" otherwise. */
void ui_gui_keep_text(gui_t *g);
const char *ui_gui_panel_text(gui_t *g, ui_gui_panel_t panel);
/* The ring colours of UX.md, 0xRRGGBB: mode U (ring 3), K (ring 0), H (ring -1). */
uint32_t ui_gui_ring_rgb(cpu_mode_t mode);
/* Tells the window that the machine was stopped (as after a command): it takes the new state
 * as the current one and what it was before as the previous one, for change highlighting. */
void ui_gui_note_stop(gui_t *g);

#endif
