/*
 * restore.c - `hvsim --restore FILE`: go on from a snapshot (docs/snapshot.md). Headless, the
 * restored machine runs to its end as `hvsim --scenario` runs one from cycle 0 (console lines,
 * then the statistics); with --repl or -x it is debugged, with its scenario's symbols when the
 * snapshot names a scenario this hvsim knows (and `run` then starts that scenario afresh).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_scenario.h"
#include "ui_hvsim.h"

/* The snapshot's scenario, when it names one under the hypervisor that can be built again. */
static bool known_scenario(const char *path, char *name, size_t len)
{
    sim_snap_t s;
    char err[512];
    if (sim_snap_read(&s, path, err, sizeof err) != 0)
        return false;
    char hv[32];
    bool ok = sim_snap_info_get(&s, "scenario", name, len) &&
              sim_snap_info_get(&s, "hypervisor", hv, sizeof hv) && strcmp(hv, "none") != 0 &&
              ui_hv_is_scenario(name);
    sim_snap_free(&s);
    return ok;
}

/* Under the debugger: the scenario's session (symbols, restart) with the snapshot restored
 * into it, or a session on the machine alone. */
static int debug_restored(const char *path, const ui_bare_options_t *opt, const char *script,
                          const char *argv0)
{
    FILE *in = NULL;
    if (script && !(in = ui_open_script(script)))
        return 1;
    bool terminal = !script && isatty(STDIN_FILENO);
    char name[512], banner[600];
    int status = 1;
    snprintf(banner, sizeof banner,
             "hvsim debugger: the machine restored from %s. Type \"help\" for commands.\n", path);
    if (known_scenario(path, name, sizeof name)) {
        ui_hv_session_t s;
        if (ui_hv_prepare(&s, name, argv0, stdout) == 0) {
            if (ui_dbg_restore(s.dbg, path) == 0) {
                ui_dbg_set_max_cycles(s.dbg, opt->max_cycles);
                status = ui_debug_session(s.m, s.dbg, in, script, terminal, banner);
            } else {
                fprintf(stderr, "hvsim: %s\n", ui_dbg_error(s.dbg));
            }
            ui_hv_release(&s);
        }
    } else {
        static sim_machine_t m;
        char err[512];
        ui_dbg_t *dbg = NULL;
        if (hv_snapshot_load(&m, path, stdout, err, sizeof err) != 0) {
            fprintf(stderr, "hvsim: %s\n", err);
        } else if (!(dbg = ui_dbg_new(&m))) {
            fprintf(stderr, "hvsim: cannot start the debugger (out of memory)\n");
        } else {
            ui_dbg_set_max_cycles(dbg, opt->max_cycles);
            status = ui_debug_session(&m, dbg, in, script, terminal, banner);
        }
        ui_dbg_free(dbg);
        hv_machine_release(&m);
    }
    if (in)
        fclose(in);
    return status;
}

int ui_run_restore(const char *path, const ui_bare_options_t *opt, bool repl, const char *script,
                   const char *argv0)
{
    if (repl || script)
        return debug_restored(path, opt, script, argv0);
    static sim_machine_t m;
    char err[512];
    if (hv_snapshot_load(&m, path, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "hvsim: %s\n", err);
        return 1;
    }
    hv_t *hv = hv_of_machine(&m);
    if (opt->trace && hv) /* ui_run_machine adds its own */
        ui_trace_events(&m);
    int status = hv ? ui_hv_run_to_end(hv, opt->max_cycles, opt->stats) : ui_run_machine(&m, opt);
    hv_machine_release(&m);
    return status;
}
