/*
 * debug_restart.c - `run` and `restart`: the same program or scenario again from cycle 0.
 *
 * The machine is deterministic, so starting again is building it again from the same inputs.
 * The debugger does not know how a machine was built (a program assembled or loaded, a
 * scenario with its hypervisor, disks and console scripts), so whoever built it registers a
 * rebuild function; the REPL's `run` and `restart` and the window's restart key all come here.
 * What the student set up stays: breakpoints (their hit counts start again), displays,
 * symbols, line tables, the focus VM and the trace. What belonged to the old run goes: the
 * event log, the last stop, pending stops, counts.
 */
#include <string.h>

#include "debug_internal.h"

void ui_dbg_set_rebuild(ui_dbg_t *dbg, ui_dbg_rebuild_fn fn, void *ctx)
{
    dbg->rebuild = fn;
    dbg->rebuild_ctx = ctx;
}

/* Forgets everything that belonged to the previous run. */
static void clear_run_state(ui_dbg_t *d)
{
    d->focus = 0;
    d->have_last = d->pending = d->stopped = d->trapped = false;
    d->nqueue = d->qhead = 0;
    d->has_sub_view = false;
    d->entries = 0;
    d->log_n = d->log_head = 0;
    memset(d->last_ev, 0, sizeof d->last_ev);
    for (size_t i = 0; i < d->nbp; i++) {
        ui_dbg_bp_t *bp = &d->bp[i];
        bp->hits = 0;
        bp->done = false;
        bp->last = 0;
        bp->nwords = 0; /* a watchpoint is resolved afresh (and its value read) by the next run */
        if (bp->kind == UI_DBG_BP_WATCH && bp->space == UI_DBG_SPACE_HPA)
            ui_dbg_read(d, bp->space, bp->addr, &bp->last, bp->len);
    }
}

int ui_dbg_restart(ui_dbg_t *dbg)
{
    if (!dbg->rebuild)
        return dbg_fail(dbg, "This session cannot start its machine again: it was built by a "
                             "front end that gave no way to rebuild it.");
    char err[256] = "";
    dbg_detach(dbg);
    int rc = dbg->rebuild(dbg->m, dbg->rebuild_ctx, err, sizeof err);
    if (rc != 0 && !dbg->m->ram) { /* keep a machine that every command can look at */
        sim_machine_init(dbg->m, 4096, 1);
        dbg->m->powered_off = true;
    }
    if (dbg_attach(dbg) != 0)
        return dbg_fail(dbg, "The debugger cannot attach to the new machine (no event-sink slot).");
    clear_run_state(dbg);
    if (rc != 0)
        return dbg_fail(dbg, "The machine cannot be built again: %s", err);
    return 0;
}
