/*
 * bench_snap.c - `make bench`: a snapshot of the default scenario (tinyos and rtos under the
 * hypervisor, 32 MiB of RAM) at cycle 3 000 000: its size on disk and uncompressed, and the
 * host time a save (build, compress, write crash-safely) and a restore (read, check, load into
 * a fresh machine) take; and the latency of `reverse-stepi` with the default checkpoint
 * interval, at the worst place: just before the next checkpoint (the goal: under 0.2 s); and
 * what the checkpoints cost a run under the debugger: `continue` through the default scenario's
 * first 20 000 000 cycles, with the default interval, against the same run without a debugger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../hypervisor/hv_scenario.h"
#include "../../ui/debug/ui_debug.h"
#include "bench.h"

int bench_snapshot(void)
{
    static hv_scenario_t sc;
    static sim_machine_t m, fresh;
    char dir[512], path[64], err[512];
    const char *build = getenv("HVSIM_BUILD");
    snprintf(dir, sizeof dir, "%s/guestos", build ? build : "build");
    snprintf(path, sizeof path, "/tmp/hvbench-%ld.snap", (long)getpid());
    hv_t *hv = NULL;
    if (hv_scenario_load(&sc, "default", dir, stderr) != 0 ||
        !(hv = hv_scenario_start(&sc, &m, NULL, stderr))) {
        hv_scenario_free(&sc);
        return 1;
    }
    hv_run(hv, 3000000);
    double t0 = bench_now();
    int rc = hv_snapshot_save(&m, "default", path, stderr);
    double t1 = bench_now();
    rc |= hv_snapshot_load(&fresh, path, NULL, err, sizeof err);
    double t2 = bench_now();
    struct stat st;
    if (rc != 0 || stat(path, &st) != 0) {
        fprintf(stderr, "bench snapshot: %s\n", rc ? err : "the file is not there");
        rc = 1;
    } else {
        printf("%-28s %12lld bytes on disk (%u MiB of RAM)  save %6.3f s  restore %6.3f s\n",
               "snapshot (default, 3M cyc)", (long long)st.st_size, m.ram_size >> 20, t1 - t0,
               t2 - t1);
        hv_machine_release(&fresh);
    }
    unlink(path);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
    return rc;
}

/* reverse-stepi 1 in the default scenario, the focus (cpu0) a few instructions short of the
 * next checkpoint: the replay is the longest one the default interval allows. */
int bench_reverse_stepi(void)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    char dir[512];
    const char *build = getenv("HVSIM_BUILD");
    snprintf(dir, sizeof dir, "%s/guestos", build ? build : "build");
    if (hv_scenario_load(&sc, "default", dir, stderr) != 0 ||
        !hv_scenario_start(&sc, &m, NULL, stderr)) {
        hv_scenario_free(&sc);
        return 1;
    }
    ui_dbg_t *d = ui_dbg_new(&m);
    ui_dbg_stop_t st;
    ui_dbg_set_max_cycles(d, sc.max_cycles);
    int rc = ui_dbg_run_cycles(d, 3 * UI_DBG_CHECKPOINT_INTERVAL - 2000, &st);
    double t0 = bench_now();
    rc |= ui_dbg_reverse_stepi(d, 1, &st);
    double t1 = bench_now();
    if (rc != 0)
        fprintf(stderr, "bench reverse-stepi: %s\n", ui_dbg_error(d));
    else
        printf("%-28s %6.3f s (a checkpoint every %u cycles, %zu taken; goal < 0.2 s)\n",
               "reverse-stepi (default)", t1 - t0, UI_DBG_CHECKPOINT_INTERVAL,
               ui_dbg_checkpoint_count(d));
    ui_dbg_free(d);
    hv_machine_release(&m);
    hv_scenario_free(&sc);
    return rc != 0;
}

/* Runs the default scenario `cycles` cycles, under a debugger when `debug`; the host time. */
static double timed_default(uint64_t cycles, bool debug, size_t *count, size_t *bytes)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    char dir[512];
    const char *build = getenv("HVSIM_BUILD");
    snprintf(dir, sizeof dir, "%s/guestos", build ? build : "build");
    hv_t *hv = NULL;
    if (hv_scenario_load(&sc, "default", dir, stderr) != 0 ||
        !(hv = hv_scenario_start(&sc, &m, NULL, stderr))) {
        hv_scenario_free(&sc);
        return -1;
    }
    double t0 = bench_now();
    if (debug) {
        ui_dbg_t *d = ui_dbg_new(&m);
        ui_dbg_stop_t st;
        ui_dbg_set_max_cycles(d, cycles); /* `continue` with no breakpoint, to the limit */
        if (ui_dbg_continue(d, &st) != 0)
            t0 = -1;
        *count = ui_dbg_checkpoint_count(d);
        *bytes = ui_dbg_checkpoint_bytes(d);
        ui_dbg_free(d);
    } else {
        hv_run(hv, cycles);
    }
    double t = t0 < 0 ? -1 : bench_now() - t0;
    hv_machine_release(&m);
    hv_scenario_free(&sc);
    return t;
}

int bench_checkpoints(void)
{
    const uint64_t cycles = 20000000;
    size_t count = 0, bytes = 0;
    double plain = timed_default(cycles, false, NULL, NULL);
    double debug = timed_default(cycles, true, &count, &bytes);
    if (plain < 0 || debug < 0) {
        fprintf(stderr, "bench checkpoints: the default scenario did not run\n");
        return 1;
    }
    printf("%-28s %6.3f s (%zu checkpoints, %.1f MiB held), without the debugger %6.3f s "
           "(%.2fx)\n",
           "debugger run (default, 20M)", debug, count, bytes / 1048576.0, plain, debug / plain);
    return 0;
}
