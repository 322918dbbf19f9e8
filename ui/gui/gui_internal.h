/*
 * gui_internal.h - what the visualizer's own files share: the window state, the colours, the
 * text drawing, the event record behind the timeline, and one drawing function per panel.
 *
 * Every panel draws from two sources only: the debugger API (ui_dbg_*) and the plain data the
 * machine exposes read-only (CPU state, MMU, IOMMU). Nothing here changes the machine except
 * through the debugger's commands (stepping, running, breakpoints).
 */
#ifndef HVSIM_GUI_INTERNAL_H
#define HVSIM_GUI_INTERNAL_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui_gui.h"

/* ------------------------------------------------------------------------------------------
 * Colours (0xRRGGBB). The ring colours are UX.md's, the same in every panel.
 * ------------------------------------------------------------------------------------------ */
#define GUI_RING3 0x3fbf5au   /* ring 3, user / guest user: green */
#define GUI_RING0 0x4f8ff0u   /* ring 0, kernel / guest kernel: blue */
#define GUI_RINGM1 0xf0602eu  /* ring -1, hypervisor: orange-red */
#define GUI_BG 0x16191fu      /* window background */
#define GUI_PANEL 0x20242cu   /* panel background */
#define GUI_BORDER 0x3a404cu
#define GUI_TEXT 0xd9dee7u
#define GUI_DIM 0x8b94a5u
#define GUI_TITLE 0xa9c4ffu
#define GUI_CHANGED 0xffd75fu /* a value changed by the last step */
#define GUI_CHANGED_BG 0x4a3f14u
#define GUI_BREAK 0xe5484du
#define GUI_PC 0xffd75fu
#define GUI_HALTED 0x6b7280u
#define GUI_WARN 0xf5a524u
#define GUI_LIT 0xffb347u     /* a lit walk-grid cell */

uint32_t gui_ring_rgb(cpu_mode_t mode);
/* Each VM's own hue (memory frames, console tags, its cycle bar); the hypervisor's frames
 * are a darker ring -1. */
#define GUI_HV_FRAMES 0xa8452au
static inline uint32_t gui_vm_rgb(int vm)
{
    static const uint32_t hue[8] = {0xb07cf0u, 0x2ec4b6u, 0xf27ec2u, 0xc9d44au,
                                    0x6fa8dcu, 0xe0a45eu, 0x9ccc65u, 0xff8a80u};
    return hue[(unsigned)vm % 8u];
}
/* A VM's hue as a lane shade: guest user lighter, guest kernel darker. */
static inline uint32_t gui_vm_shade(int vm, bool user)
{
    uint32_t c = gui_vm_rgb(vm), out = 0;
    for (int s = 0; s < 24; s += 8) {
        uint32_t v = (c >> s) & 0xffu;
        v = user ? v + (0xffu - v) * 2 / 5 : v * 3 / 5;
        out |= v << s;
    }
    return out;
}
#define GUI_SWITCH 0xffb347u                /* the hardware's exit and entry */
#define GUI_MONITOR 0xf4c2a1u /* binary translation's co-resident monitor (no world switch) */
#define GUI_VMM 0xd9734eu                   /* type 2: the user-level VMM */
#define GUI_HOST 0x9aa4b5u                  /* type 2: the host process */
#define GUI_IDLE_RGB 0x3b414du              /* idle or halted */
#define GUI_MARK 0xff5fd7u                  /* a guest's mark (the rtos: a missed deadline) */
const char *gui_ring_name(cpu_mode_t mode); /* "ring 3", "ring 0", "ring -1" */

/* ------------------------------------------------------------------------------------------
 * Text (gui_text.c): DejaVu Sans Mono rendered once per size into a glyph atlas, tinted once
 * per colour; a string is drawn glyph by glyph from it, so no frame renders a font.
 * ------------------------------------------------------------------------------------------ */
#define GUI_GLYPHS 128 /* ASCII 32..126 and the symbols of gui_text.c's table */

#define GUI_TINTS 32 /* colours kept as ready-made atlases per font */

typedef struct {
    TTF_Font *font;
    SDL_Surface *white;  /* the glyphs in white: the source of every colour's atlas */
    struct {
        uint32_t rgb;
        SDL_Texture *atlas;
    } tint[GUI_TINTS];   /* one atlas per colour: a colour change then costs nothing */
    unsigned ntints, next_tint;
    int size, cw, lh, ascent; /* point size, cell width, line height */
    SDL_Rect glyph[GUI_GLYPHS];
    int8_t ink_top[GUI_GLYPHS], ink_bottom[GUI_GLYPHS]; /* rows a glyph inks, from the line top */
} gui_font_t;

typedef enum { GUI_FONT_NORMAL = 0, GUI_FONT_SMALL, GUI_FONT_BOLD, GUI_FONT_COUNT } gui_font_id_t;

/* The text cache (gui_textcache.c): strings drawn before, as textures of their own. */
#define GUI_TEXTCACHE_ENTRIES 1024
typedef struct {
    SDL_Texture *tex; /* NULL until the string has been drawn once before */
    int w, h;
    unsigned seen; /* times drawn */
} gui_cached_text_t;
/* The cache's entry for s in this font and colour: found, or made (empty) in the place of one
 * not drawn lately. NULL when memory ran out. */
gui_cached_text_t *gui_textcache_find(gui_t *g, int font, uint32_t rgb, const char *s);
/* Drops every entry and its texture (fonts rebuilt, window closed). */
void gui_textcache_clear(gui_t *g);
/* The strings the cache holds, and how many of them have their texture (for the tests). */
unsigned gui_textcache_count(const gui_t *g, unsigned *textures);

/* Opens the font file (HVSIM_FONT, or DejaVu Sans Mono where Debian puts it). -1 after a
 * message when there is none. */
int gui_text_init(gui_t *g);
/* The monospace font's file ($HVSIM_FONT, or where Debian keeps DejaVu Sans Mono) in path,
 * SDL_ttf started: 0, or -1 after a message on stderr. */
int gui_font_find(char *path, size_t len);
/* Writes a surface as a PNG: a temporary file beside path, then renamed over it. 0, or -1
 * after "PATH: error: ..." on stderr. */
int gui_save_surface(SDL_Surface *s, const char *path);
/* (Re)builds the atlases for a window of this size; sizes follow the window height. */
int gui_text_layout(gui_t *g, int w, int h);
void gui_text_free(gui_t *g);
/* Draws UTF-8 text at (x, y) (top-left); returns its width in pixels. */
int gui_text(gui_t *g, gui_font_id_t f, int x, int y, uint32_t rgb, const char *s);
int gui_textf(gui_t *g, gui_font_id_t f, int x, int y, uint32_t rgb, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* gui_textlog.c: keeps a drawn string (when the tests asked for the text) and empties the log
 * at the start of a frame. */
void gui_textlog_add(gui_t *g, int x, int y, const char *s);
void gui_textlog_clear(gui_t *g);
void gui_textlog_free(gui_t *g);
/* Draws text wrapped at spaces into lines of at most w pixels, at most max_lines of them;
 * returns the number of lines drawn. */
int gui_text_wrap(gui_t *g, gui_font_id_t f, int x, int y, int w, uint32_t rgb, const char *s,
                  int max_lines);
/* True when a line of font f at y fits above the bottom of the clip (the panel). */
bool gui_fits(gui_t *g, gui_font_id_t f, int y);
/* Where a line of at most `cols` characters that starts at s ends: at the last space that
 * fits (mid-word only for a word longer than a line). */
const char *gui_line_end(const char *s, int cols);
/* How many lines of at most `cols` characters gui_text_wrap makes of s. */
int gui_wrap_count(const char *s, int cols);
/* Draws text shortened with an ellipsis to at most w pixels; returns its width. */
int gui_text_fit(gui_t *g, gui_font_id_t f, int x, int y, int w, uint32_t rgb, const char *s);
/* The width of text in pixels (monospace: characters x cell width). */
int gui_text_width(const gui_t *g, gui_font_id_t f, const char *s);
/* Counts, as clipped runs, the text runs of the frame just drawn that overlap an earlier one
 * (a layout bug: two strings drawn over each other read as neither). Run by the offscreen
 * renderer (tests, screenshots), not by the window's own frames. */
void gui_text_overlaps(gui_t *g);

/* ------------------------------------------------------------------------------------------
 * The event record (gui_record.c): per pCPU, the spans of the machine's time accounting
 * (sim_account.c) that the lanes draw, and the markers (traps, interrupts, exits, entries,
 * halts); and the recent events of every kind for the transition panel. The window counts
 * no time of its own: its lanes and bars are the accounting's.
 * ------------------------------------------------------------------------------------------ */
#define GUI_LANE_EVENTS 16384
#define GUI_LANE_SPANS 16384
#define GUI_RECENT 256

typedef struct {
    sim_event_t *ev; /* markers: a ring of GUI_LANE_EVENTS, oldest at head once full */
    size_t head, n;
    sim_span_t *span; /* closed spans: a ring of GUI_LANE_SPANS, oldest at span_head */
    size_t span_head, nspans;
    uint64_t start_cycle;             /* the oldest cycle the lane still knows */
    uint64_t dropped[SIM_TIME_COUNT]; /* the cycles of spans no longer kept, by kind */
} gui_lane_t;

typedef struct {
    gui_lane_t lane[SIM_MAX_CPUS];
    sim_event_t recent[GUI_RECENT]; /* every event, a ring */
    uint64_t recent_seq;            /* events seen so far; recent[seq % GUI_RECENT] is next */
    uint64_t walks;                 /* WALK events seen */
} gui_record_t;

int gui_record_init(gui_t *g);
void gui_record_free(gui_t *g);
/* The debugger built the machine again (a restart or restore from the window or from the REPL
 * beside it; ui_dbg_on_new_machine calls it): the record starts afresh on the new machine,
 * which has none of the old one's listeners (the walk panel's trace included). */
void gui_record_restart(void *gui);
/* The i-th kept marker event of a lane, oldest first. */
const sim_event_t *gui_lane_event(const gui_lane_t *lane, size_t i);
/* The i-th kept closed span of a lane, oldest first. */
const sim_span_t *gui_lane_span(const gui_lane_t *lane, size_t i);
/* A lane's cycles by kind: the spans it dropped, kept, and the open one; the same figures
 * as the accounting's (the tests hold them to it). */
void gui_lane_totals(const gui_t *g, unsigned cpu, uint64_t out[SIM_TIME_COUNT]);
/* True for the events the timeline marks (traps, interrupts, exits, entries, ...). */
bool gui_event_is_marker(const sim_event_t *ev);
/* True when an event is a VM exit. */
bool gui_event_is_exit(const sim_event_t *ev);
/* The colour of a kind of time (sim_time_t) on a lane or bar: a VM's guest time in its hue,
 * user lighter and kernel darker; bare metal and the rest in the ring colours. */
uint32_t gui_time_rgb(unsigned kind, int vm);
/* The short name of a kind of time as the window shows it ("host kernel" under type 2). */
const char *gui_time_name(const gui_t *g, unsigned kind);

/* ------------------------------------------------------------------------------------------
 * The window
 * ------------------------------------------------------------------------------------------ */
#define GUI_RUNS 1024 /* text runs of a frame kept for the overlap check */
typedef struct {
    int x, y, w, h; /* the box its ink is in */
    char s[40];     /* its start, to name it */
} gui_run_t;
#define GUI_SPEEDS 23 /* speed steps, 1 2 5 10 ... 10 M; the last is full speed */
/* Cycles between two checkpoints of reverse execution while the window runs flat out
 * (gui_run.c): a checkpoint then costs some 2% of the run instead of half of it. */
#define GUI_FLAT_OUT_CHECKPOINTS 50000000u

struct gui {
    sim_machine_t *m;
    ui_dbg_t *dbg;
    SDL_Window *win;        /* NULL offscreen */
    SDL_Renderer *ren;
    SDL_Surface *surface;   /* offscreen: the frame */
    int w, h;
    gui_font_t font[GUI_FONT_COUNT];
    struct gui_textcache *textcache; /* strings drawn before (gui_textcache.c) */
    char font_path[512];
    ui_gui_rect_t panel[UI_GUI_PANEL_COUNT];
    gui_record_t rec;
    const char *title;      /* scenario or program name */
    char default_title[64]; /* what title points to until a front end names the run */
    bool rec_failed;        /* gui_record_restart could not follow a new machine */

    /* Run control. */
    bool running;           /* the machine runs between frames */
    int speed;              /* index into gui_speed_table */
    double owed;            /* instructions owed to the speed control */
    uint64_t cp_saved;      /* the checkpoint interval a run at full speed widened, or 0 */
    bool help;              /* the help overlay is shown */
    char status[640];       /* the last stop's sentence, or an error */
    uint32_t status_rgb;

    /* What the last stop changed: the CPUs at the stop before it, and at it. */
    cpu_state_t before[SIM_MAX_CPUS], now[SIM_MAX_CPUS];
    bool highlight;         /* show changes (off while running at full speed) */
    ui_dbg_stop_t seen;     /* the last stop this window has taken in */
    bool have_seen;
    uint64_t step_seq;      /* record.recent_seq when the stop before the last one happened */
    uint64_t stop_seq;      /* ... and at the last stop */

    /* The walk panel: the last walk of the focus CPU, or a probe of its pc. */
    bool walk_probe;
    mmu_trace_t walk;
    uint64_t walk_key;      /* which walk is shown (for the animation) */
    double walk_shown;      /* cells lit so far (animated) */
    bool walk_animate;      /* false: everything lit at once (screenshots) */
    unsigned walk_lit;
    char walk_text[160]; /* the walk's summary line as drawn (for the tests) */
    char walk_sizes[128]; /* the page sizes under the grid as drawn, "" for 4 KiB pages only */

    /* The timeline view: cycles per pixel, the right edge, following the newest. */
    double tl_scale;
    uint64_t tl_right;
    bool tl_follow;
    bool tl_vcpus;          /* lanes per VCPU too, below the pCPUs' */
    bool tl_zoomed;         /* zoomed by hand: no more fitting the run into the lane */
    bool tl_has_sel;
    sim_event_t tl_sel;

    /* The memory map: the cell pointed at and the one clicked (-1: none). */
    int mem_hover, mem_sel;
    uint32_t mem_cells;                  /* frames a cell holds, as last drawn */
    char mem_frames[256], mem_text[256]; /* the readout's two lines (for the tests) */
    /* The memory map: per frame 0 zero, 1 data; scanned a slice per frame. */
    uint8_t *frames;
    uint32_t nframes, scan_next;

    /* Disassembly lines drawn (for clicks): address per row. */
    uint32_t dis_addr[64];
    int dis_rows, dis_y0, dis_lh;

    /* The text of the last frame with where it was drawn (for the tests; NULL: not kept). */
    struct gui_textlog *textlog;

    /* Where the pCPU badges were drawn (for the tests). */
    ui_gui_rect_t badge[SIM_MAX_CPUS];

    /* Consoles too many to read side by side: one is shown at full width, under a row of
     * tabs (where they were drawn, for clicks). console_vm is the one clicked, or -1 to show
     * the focus VM's. */
    ui_gui_rect_t console_tab[UI_DBG_MAX_VMS];
    int nconsole_tabs, console_vm;

    /* Top-bar buttons drawn (for clicks). */
    ui_gui_rect_t button[8];
    int nbuttons;

    /* Text in the last frame: strings drawn, and the copies they took (a glyph each, or one
     * for a string the cache held). */
    unsigned text_runs, text_copies;

    /* Text runs cut by their panel's clip or drawn over another run (layout bugs): how
     * many, and the first. */
    unsigned nclipped;
    char clipped[256];
    /* The runs of the frame where their ink is (leading and trailing spaces left out), for
     * the overlap check of an offscreen frame (gui_text_overlaps). */
    gui_run_t run[GUI_RUNS];
    unsigned nruns;

    /* Frame timing, for the status bar and the benchmark. */
    double fps;
    double render_ms;
    uint64_t frames_drawn;
    bool quit;
    /* Prints a stop the window caused where the student types (the terminal REPL), or NULL. */
    void (*report)(gui_t *g, const char *what, const ui_dbg_stop_t *st);
    void *report_ctx;
};

extern const uint64_t gui_speed_table[GUI_SPEEDS]; /* instructions per second; 0 = full */

/* Drawing helpers (gui_draw.c). */
void gui_fill(gui_t *g, int x, int y, int w, int h, uint32_t rgb);
/* n rectangles of one colour in one call (far cheaper than n calls in software). */
void gui_fill_rects(gui_t *g, const SDL_Rect *r, int n, uint32_t rgb);
void gui_frame_rect(gui_t *g, int x, int y, int w, int h, uint32_t rgb);
void gui_set_color(gui_t *g, uint32_t rgb, uint8_t alpha);
/* A panel's background and title; returns the y of its first line of content. */
int gui_panel_begin(gui_t *g, ui_gui_panel_t p, const char *title, const char *subtitle);
/* gui_hosts.c: a scenario with two hosts shows them (and the migration between them) in the
 * host memory panel's place. */
bool gui_hosts_shown(gui_t *g);
void gui_draw_hosts(gui_t *g);
void gui_layout(gui_t *g);
/* Renders a whole frame into g->ren. */
void gui_draw_frame(gui_t *g);
/* Takes in a new stop (from the window or the REPL) if there is one. */
void gui_sync(gui_t *g);
/* "0000_0040": a word in two groups of four hex digits, as UX.md shows them. */
const char *gui_hex(uint32_t v, char *buf);

/* Panels, one function each. */
void gui_draw_topbar(gui_t *g);
void gui_draw_pcpus(gui_t *g);
void gui_draw_regs(gui_t *g);
void gui_draw_disasm(gui_t *g);
void gui_draw_walk(gui_t *g);
void gui_draw_timeline(gui_t *g);
void gui_draw_steps(gui_t *g);
void gui_draw_memmap(gui_t *g);
/* gui_memmap.c: VM vm's own swapping and double paging, as the memory panel says it; false
 * (buf "") when there is no such VM or its guest has no swap area. */
bool gui_guest_swap_text(gui_t *g, unsigned vm, char *buf, size_t len);
void gui_draw_tlb(gui_t *g);
void gui_draw_console(gui_t *g);
/* gui_limits.c: a VM's limits in short ("" when none); whether any VM has one; a VM's drawn
 * under its console's title. */
const char *gui_vm_limits_text(gui_t *g, unsigned vm, char *buf, size_t len);
bool gui_any_vm_limits(gui_t *g);
void gui_draw_vm_limits(gui_t *g, unsigned vm, int x, int y, int w);
/* gui_io.c: a VM's paravirtual card and entropy source in short ("" when neither); whether any
 * VM has one; a VM's drawn under its console's title (and limits). */
const char *gui_vm_io_text(gui_t *g, unsigned vm, char *buf, size_t len);
bool gui_any_vm_io(gui_t *g);
void gui_draw_vm_io(gui_t *g, unsigned vm, int x, int y, int w);
void gui_draw_status(gui_t *g);
/* The status bar's height for the sentence it shows (the layout asks). */
int gui_status_height(const gui_t *g);
void gui_draw_help(gui_t *g);

/* The walk panel's source of truth, refreshed every frame (gui_walk.c). */
void gui_walk_update(gui_t *g, double dt);

/* Input (gui_input.c): one key table drives handling and the help overlay. */
typedef struct {
    SDL_Keycode key;
    const char *label; /* as the help overlay shows it */
    const char *help;
    void (*action)(gui_t *g);
} gui_key_t;
extern const gui_key_t gui_keys[];
extern const size_t gui_nkeys;
/* Handles one SDL event; returns true when it changed what is shown. */
bool gui_handle_event(gui_t *g, const SDL_Event *e);
/* Commands the keys and buttons issue. */
void gui_cmd_run_pause(gui_t *g);
void gui_cmd_stepi(gui_t *g);
void gui_cmd_step_back(gui_t *g);
void gui_cmd_step_trap(gui_t *g);
void gui_cmd_step_exit(gui_t *g);
void gui_cmd_step_event(gui_t *g);
/* finish: at an exit (or a sub-step of one), to the VM entry; elsewhere until the routine
 * returns (the REPL's finish). */
void gui_cmd_finish(gui_t *g);
void gui_cmd_faster(gui_t *g);
void gui_cmd_slower(gui_t *g);
void gui_cmd_full_speed(gui_t *g);
void gui_cmd_restart(gui_t *g);
/* F5, F9: save the machine to GUI_SNAPSHOT (in the current directory), restore it. */
#define GUI_SNAPSHOT "hvsim.snap"
void gui_cmd_save(gui_t *g);
void gui_cmd_restore(gui_t *g);
void gui_button_click(gui_t *g, int i);
/* Timeline clicks and zoom (gui_timeline.c). */
void gui_timeline_click(gui_t *g, int x, int y);
void gui_timeline_zoom(gui_t *g, int x, double factor);
void gui_timeline_scroll(gui_t *g, double pages);
void gui_timeline_follow(gui_t *g);
/* Shows (or hides) a lane per VCPU below the pCPUs' lanes. */
void gui_timeline_vcpus(gui_t *g);
#define GUI_MAX_VCPU_LANES 16
/* The memory map's cell at (x, y), or -1 (gui_memmap.c). */
int gui_memmap_cell_at(gui_t *g, int x, int y);
/* Disassembly clicks (gui_disasm.c): toggles the breakpoint of the line at y. */
void gui_disasm_click(gui_t *g, int y);

/* Runs the machine for one frame's share of time (gui_run.c): `budget_ms` at full speed, or
 * the instructions the speed control owes for `dt` seconds. */
void gui_run_slice(gui_t *g, double budget_ms, double dt);
/* Prints a stop the window caused to the terminal REPL (when one is live); st may be NULL. */
void gui_report_stop(gui_t *g, const char *what, const ui_dbg_stop_t *st);

/* Creation shared by the window and the offscreen renderer (gui_main.c). */
gui_t *gui_create(sim_machine_t *m, ui_dbg_t *dbg);

#endif
