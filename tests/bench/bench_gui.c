/*
 * bench_gui.c - the window's cost: the flat loop again with the visualizer drawing 60 frames a
 * second (offscreen, SDL's software renderer, 1280x800) and the machine running flat out in
 * between, as `hvsim --gui` does at full speed. Reports the MIPS with the window open, its
 * ratio to the headless run, and the frames per second achieved. Then the same for built-in
 * scenarios (default, bt, type2, overcommit): the time to draw a frame (mean and worst) and
 * the machine's speed under the window against its headless speed over the same cycles.
 * Wall time on a shared machine says little, so where valgrind is installed the cost of a
 * frame is also counted in host instructions (callgrind), which no other load changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#include "../../hypervisor/hv_scenario.h"
#include "../../ui/gui/gui_internal.h"
#include "bench.h"

#define FRAME_MS (1000.0 / 60.0)
#define SECONDS 3.0

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* The CPU time this thread has had: on a machine shared with other work, a frame's CPU time
 * is what it would take alone (less the caches the others share), where its wall time also
 * counts the time the others had the core. */
static double cpu_ms(void)
{
    return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

int bench_gui(const char *name, const char *src, const bench_result_t *flat)
{
    static sim_machine_t m;
    if (bench_prepare(&m, name, src) != 0)
        return 1;
    ui_dbg_t *dbg = ui_dbg_new(&m);
    gui_t *g = dbg ? ui_gui_offscreen(&m, dbg, 1280, 800) : NULL;
    if (!g) {
        fprintf(stderr, "bench %s: cannot open the offscreen window\n", name);
        ui_dbg_free(dbg);
        sim_machine_free(&m);
        return 1;
    }
    g->speed = GUI_SPEEDS - 1; /* full speed */
    g->running = true;
    double t0 = now_ms(), render = 0;
    unsigned frames = 0;
    while (now_ms() - t0 < SECONDS * 1000 && g->running) {
        double f0 = now_ms();
        double budget = FRAME_MS - render - 0.5;
        gui_run_slice(g, budget < 2 ? 2 : budget, FRAME_MS / 1000);
        double r0 = now_ms();
        gui_walk_update(g, FRAME_MS / 1000);
        gui_draw_frame(g);
        SDL_RenderFlush(g->ren);
        double r1 = now_ms();
        render = render * 0.8 + (r1 - r0) * 0.2;
        frames++;
        double left = FRAME_MS - (now_ms() - f0);
        if (left > 0.5)
            SDL_Delay((Uint32)left);
    }
    double secs = (now_ms() - t0) / 1000;
    double mips = (double)m.cpu[0].s.instret / secs / 1e6;
    printf("%-28s %12llu instructions in %.2f s  %7.1f MIPS (%.0f%% of headless %.1f)\n", name,
           (unsigned long long)m.cpu[0].s.instret, secs, mips, 100 * mips / flat->mips,
           flat->mips);
    printf("%-28s %12u frames in %.2f s  %5.1f frames per second, %.1f ms to draw one\n",
           "  window frames", frames, secs, frames / secs, render);
    fflush(stdout);
    ui_gui_free(g);
    ui_dbg_free(dbg);
    sim_machine_free(&m);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Built-in scenarios under the window
 * ------------------------------------------------------------------------------------------ */
/* Or to power-off, whichever comes first. Long enough (about half a second headless) that the
 * run's one-time costs do not decide the figure: the debugger's first checkpoint, a compressed
 * snapshot of the machine taken when the run starts, costs some 40 ms, which over 20 000 000
 * cycles (70 ms headless) made default's share 31 % where a longer run shows 64 %. */
#define SCENARIO_CYCLES 140000000ull

static hv_scenario_t sc;

static hv_t *start(sim_machine_t *m, const char *name)
{
    const char *b = getenv("HVSIM_BUILD");
    char dir[512];
    if (b && *b)
        snprintf(dir, sizeof dir, "%s/guestos", b);
    else if (!bench_beside("guestos", dir, sizeof dir))
        snprintf(dir, sizeof dir, "build/guestos");
    if (hv_scenario_load(&sc, name, dir, stderr) != 0)
        return NULL;
    hv_t *hv = hv_scenario_start(&sc, m, NULL, stderr);
    if (!hv)
        hv_scenario_free(&sc);
    return hv;
}

static void stop(hv_t *hv, sim_machine_t *m)
{
    hv_free(hv);
    sim_machine_free(m);
    hv_scenario_free(&sc);
}

/* What one run under the window took: wall and CPU time of the whole, of the machine's
 * slices and of the frames (the mean and the worst frame in wall time, the mean in CPU). */
typedef struct {
    double secs, run_cpu, frame_mean, frame_worst, frame_cpu;
    unsigned frames;
} window_run_t;

/* The window drawing every frame while the machine runs flat out in between, until pCPU0
 * reaches `cycles` (or the machine powers off), as `hvsim --gui` does at full speed. */
static int windowed(const char *name, uint64_t cycles, window_run_t *out)
{
    static sim_machine_t m;
    hv_t *hv = start(&m, name);
    ui_dbg_t *dbg = hv ? ui_dbg_new(&m) : NULL;
    gui_t *g = dbg ? ui_gui_offscreen(&m, dbg, 1280, 800) : NULL;
    if (!g) {
        fprintf(stderr, "bench %s: cannot open the offscreen window\n", name);
        ui_dbg_free(dbg);
        if (hv)
            stop(hv, &m);
        return 1;
    }
    g->speed = GUI_SPEEDS - 1;
    g->running = true;
    double t0 = now_ms(), render = 0, total = 0, cpu_total = 0;
    *out = (window_run_t){0};
    while (m.cpu[0].s.cycles < cycles && g->running && !m.powered_off) {
        double f0 = now_ms(), budget = FRAME_MS - render - 0.5, c0 = cpu_ms();
        gui_run_slice(g, budget < 2 ? 2 : budget, FRAME_MS / 1000);
        double r0 = now_ms(), c1 = cpu_ms();
        gui_walk_update(g, FRAME_MS / 1000);
        gui_draw_frame(g);
        SDL_RenderFlush(g->ren);
        double took = now_ms() - r0;
        out->run_cpu += c1 - c0;
        cpu_total += cpu_ms() - c1;
        render = render * 0.8 + took * 0.2;
        total += took;
        out->frame_worst = took > out->frame_worst ? took : out->frame_worst;
        out->frames++;
        double left = FRAME_MS - (now_ms() - f0);
        if (left > 0.5)
            SDL_Delay((Uint32)left);
    }
    out->secs = (now_ms() - t0) / 1000;
    out->frame_mean = out->frames ? total / out->frames : 0;
    out->frame_cpu = out->frames ? cpu_total / out->frames : 0;
    ui_gui_free(g);
    ui_dbg_free(dbg);
    stop(hv, &m);
    return 0;
}

/* The scenario headless, then under the window over the same cycles. Two figures for the
 * machine's speed under the window: the wall-clock ratio (what a student sees, but on a
 * loaded machine the other work takes its share of both runs unevenly), and the same from
 * CPU time: the share of each frame left to the machine once the frame's CPU time is drawn,
 * times how fast the machine runs in its slices (the window's listeners included) against
 * headless. */
int bench_gui_scenario(const char *name)
{
    static sim_machine_t m;
    hv_t *hv = start(&m, name);
    if (!hv)
        return 1;
    double t0 = now_ms(), c0 = cpu_ms();
    sim_run(&m, SCENARIO_CYCLES);
    double headless = (now_ms() - t0) / 1000, headless_cpu = cpu_ms() - c0;
    uint64_t cycles = m.cpu[0].s.cycles;
    stop(hv, &m);
    window_run_t w;
    if (windowed(name, cycles, &w) != 0)
        return 1;
    double fast = (double)cycles / headless / 1e6, slow = (double)cycles / w.secs / 1e6;
    double in_slices = w.run_cpu > 0 ? headless_cpu / w.run_cpu : 0;
    double share = (FRAME_MS - 0.5 - w.frame_cpu) / FRAME_MS;
    printf("%-28s %12llu cycles: headless %6.1f M cycles/s, under the window %6.1f (%.0f%%; "
           "from CPU time %.0f%%)\n",
           name, (unsigned long long)cycles, fast, slow, 100 * slow / fast,
           100 * share * in_slices);
    printf("%-28s 1280x800: a frame takes %.1f ms (%.1f ms CPU), %.1f ms at worst, %u frames\n",
           "  window frames", w.frame_mean, w.frame_cpu, w.frame_worst, w.frames);
    fflush(stdout);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Host instructions per frame (callgrind)
 * ------------------------------------------------------------------------------------------ */
#define FRAME_WARMUP 5         /* frames drawn before counting: atlases, tints, the scan */
#define FRAME_CYCLES 400000ull /* cycles run between two frames (the machine at full speed) */
#define FRAME_START 2000000ull /* cycles run before the first frame: the guests booted */
#define FRAME_COUNT 20u

/* One frame as the window draws it at full speed, flushed (SDL's software renderer draws the
 * queued commands then). Not inlined: callgrind counts the calls of this function only. */
__attribute__((noinline)) void bench_frame(gui_t *g);
__attribute__((noinline)) void bench_frame(gui_t *g)
{
    gui_walk_update(g, FRAME_MS / 1000);
    gui_draw_frame(g);
    SDL_RenderFlush(g->ren);
}

int bench_gui_frames(const char *name, unsigned frames, double *frame_cpu_ms)
{
    static sim_machine_t m;
    hv_t *hv = start(&m, name);
    ui_dbg_t *dbg = hv ? ui_dbg_new(&m) : NULL;
    gui_t *g = dbg ? ui_gui_offscreen(&m, dbg, 1280, 800) : NULL;
    if (!g) {
        fprintf(stderr, "bench %s: cannot open the offscreen window\n", name);
        ui_dbg_free(dbg);
        if (hv)
            stop(hv, &m);
        return 1;
    }
    ui_dbg_stop_t st;
    ui_dbg_run_cycles(dbg, FRAME_START, &st);
    g->speed = GUI_SPEEDS - 1;
    g->running = true; /* drawn as at full speed: no highlights, the memory scan in slices */
    double cpu = 0;
    for (unsigned i = 0; i < FRAME_WARMUP + frames; i++) {
        if (!m.powered_off)
            ui_dbg_run_cycles(dbg, FRAME_CYCLES, &st);
        if (i < FRAME_WARMUP) {
            gui_walk_update(g, FRAME_MS / 1000);
            gui_draw_frame(g);
            SDL_RenderFlush(g->ren);
        } else {
            double c0 = cpu_ms();
            bench_frame(g);
            cpu += cpu_ms() - c0;
        }
    }
    if (frame_cpu_ms)
        *frame_cpu_ms = frames ? cpu / frames : 0;
    ui_gui_free(g);
    ui_dbg_free(dbg);
    stop(hv, &m);
    return 0;
}

static const char *const window_scenarios[] = {"default", "bt", "type2", "overcommit"};
#define NWINDOW (sizeof window_scenarios / sizeof *window_scenarios)

/* Host instructions a frame (callgrind, which no other load changes), and the same frames'
 * CPU time drawn natively (the least of three tries: the quietest moment), whose ratio is
 * this host's rate at drawing: the instruction count in milliseconds. */
static int frame_costs(void)
{
    char self[600], dir[] = "/tmp/hvsim-bench-XXXXXX";
    if (system("command -v valgrind >/dev/null 2>&1") != 0) {
        printf("\nhost instructions per frame: valgrind is not installed (apt-get install "
               "valgrind)\n");
        return 0;
    }
    if (!bench_beside("hvbench", self, sizeof self) || !mkdtemp(dir))
        return 0;
    printf("\nhost instructions per frame (callgrind, 1280x800 offscreen, %u frames %s cycles "
           "apart), and the CPU time of the same frames drawn here (the least of 3 runs)\n",
           FRAME_COUNT, "400 000");
    for (size_t i = 0; i < NWINDOW; i++) {
        char cmd[800];
        snprintf(cmd, sizeof cmd, "%s --frames %s %u", self, window_scenarios[i], FRAME_COUNT);
        unsigned long long ir = bench_callgrind("--toggle-collect=bench_frame", cmd, dir);
        double best = 0;
        for (int k = 0; k < 3; k++) {
            double ms;
            if (bench_gui_frames(window_scenarios[i], FRAME_COUNT, &ms) == 0 &&
                (best == 0 || ms < best))
                best = ms;
        }
        if (ir && best > 0)
            printf("%-28s %8.2f M host instructions a frame; %.2f ms of CPU a frame here "
                   "(%.1f M instructions a ms)\n",
                   window_scenarios[i], (double)ir / FRAME_COUNT / 1e6, best,
                   (double)ir / FRAME_COUNT / 1e6 / best);
        else
            printf("%-28s (callgrind did not run)\n", window_scenarios[i]);
    }
    rmdir(dir);
    return 0;
}

int bench_gui_window_runs(void)
{
    printf("\nthe window at 1280x800 (offscreen, SDL's software renderer), each scenario "
           "headless and then under the window at full speed\n");
    for (size_t i = 0; i < NWINDOW; i++)
        if (bench_gui_scenario(window_scenarios[i]))
            return 1;
    return frame_costs();
}
