/*
 * bench_gui.c - the window's cost: the flat loop again with the visualizer drawing 60 frames a
 * second (offscreen, SDL's software renderer, 1280x800) and the machine running flat out in
 * between, as `hvsim --gui` does at full speed. Reports the MIPS with the window open, its
 * ratio to the headless run, and the frames per second achieved.
 */
#include <stdio.h>
#include <time.h>

#include "../../ui/gui/gui_internal.h"
#include "bench.h"

#define FRAME_MS (1000.0 / 60.0)
#define SECONDS 3.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
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
