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
 *
 * `save` and `restore` live here too: a restore is a restart into the state a snapshot holds
 * (docs/snapshot.md), and the same of the session is kept or cleared.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"

#include "debug_internal.h"

void ui_dbg_set_rebuild(ui_dbg_t *dbg, ui_dbg_rebuild_fn fn, void *ctx)
{
    dbg->rebuild = fn;
    dbg->rebuild_ctx = ctx;
}

/* Forgets everything that belonged to the previous run. */
void dbg_clear_run_state(ui_dbg_t *d)
{
    d->focus = 0;
    d->have_last = d->pending = d->stopped = d->trapped = false;
    d->nqueue = d->qhead = 0;
    d->has_sub_view = false;
    d->entries = 0;
    d->log_n = d->log_head = 0;
    d->log_total = d->ahead_from = d->ahead_to = d->nguest_mode = 0;
    memset(d->last_ev, 0, sizeof d->last_ev);
    memset(d->has_exit, 0, sizeof d->has_exit); /* the last exits were the old machine's */
    d->exit_vm = d->exit_vcpu = -1;
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

void ui_dbg_on_new_machine(ui_dbg_t *dbg, void (*fn)(void *ctx), void *ctx)
{
    dbg->new_machine_fn = fn;
    dbg->new_machine_ctx = ctx;
}

/* Tells the front end that follows the machine that it is a new one. */
static void new_machine(ui_dbg_t *dbg)
{
    if (dbg->new_machine_fn)
        dbg->new_machine_fn(dbg->new_machine_ctx);
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
    dbg_clear_run_state(dbg);
    dbg_reverse_forget(dbg);
    new_machine(dbg);
    if (rc != 0)
        return dbg_fail(dbg, "The machine cannot be built again: %s", err);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------------------------ */
void ui_dbg_set_scenario(ui_dbg_t *dbg, const char *name)
{
    snprintf(dbg->scenario, sizeof dbg->scenario, "%s", name ? name : "");
}

/* The last line of text a library wrote to its diagnostic stream, without "PATH: error: ". */
static void last_message(char *text, char *out, size_t len)
{
    size_t n = text ? strlen(text) : 0;
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    const char *line = n ? text : "unknown error";
    for (const char *p = line; (p = strchr(p, '\n'));)
        line = ++p;
    snprintf(out, len, "%s", line);
}

/* Runs a library's save with its diagnostic stream caught: -1 with the message as the
 * debugger's error ("Cannot save ...: why"). */
static int caught(ui_dbg_t *dbg, const char *what,
                  int (*save)(ui_dbg_t *, int, const char *, FILE *), int arg, const char *path)
{
    char *diag = NULL, msg[512];
    size_t diag_len = 0;
    FILE *d = open_memstream(&diag, &diag_len);
    if (!d)
        return dbg_fail(dbg, "Cannot save: out of host memory.");
    int rc = save(dbg, arg, path, d);
    fclose(d);
    last_message(diag, msg, sizeof msg);
    free(diag);
    if (rc != 0)
        return dbg_fail(dbg, "Cannot save %s: %s", what, msg);
    return 0;
}

static int save_machine(ui_dbg_t *dbg, int arg, const char *path, FILE *diag)
{
    (void)arg;
    return hv_snapshot_save(dbg->m, dbg->scenario[0] ? dbg->scenario : NULL, path, diag);
}

static int save_vm(ui_dbg_t *dbg, int vm, const char *path, FILE *diag)
{
    return hv_vm_save(hv_of_machine(dbg->m), (unsigned)vm, path, diag);
}

int ui_dbg_save(ui_dbg_t *dbg, const char *path)
{
    return caught(dbg, "the snapshot", save_machine, 0, path);
}

int ui_dbg_vm_save(ui_dbg_t *dbg, int vm, const char *path)
{
    if (dbg_check_vm(dbg, vm) != 0)
        return -1;
    return caught(dbg, "the VM", save_vm, vm, path);
}

int ui_dbg_vm_restore(ui_dbg_t *dbg, const char *path)
{
    hv_t *hv = hv_of_machine(dbg->m);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " A VM can only be restored under one.");
    char err[512];
    int vm = hv_vm_restore(hv, path, err, sizeof err);
    if (vm < 0)
        return dbg_fail(dbg, "Cannot restore the VM: %s. Nothing was built.", err);
    return vm;
}

int ui_dbg_restore(ui_dbg_t *dbg, const char *path)
{
    hv_t *hv = hv_of_machine(dbg->m);
    FILE *console = hv ? hv->cfg.console : dbg->m->console.out;
    sim_machine_t fresh;
    char err[512];
    if (hv_snapshot_load(&fresh, path, console, err, sizeof err) != 0)
        return dbg_fail(dbg, "Cannot restore: %s. The machine is as it was.", err);
    dbg_detach(dbg);
    hv_machine_swap(dbg->m, &fresh);
    if (dbg_attach(dbg) != 0)
        return dbg_fail(dbg, "The debugger cannot attach to the restored machine (no event-sink "
                             "slot).");
    dbg_clear_run_state(dbg);
    dbg_reverse_forget(dbg);
    new_machine(dbg);
    return 0;
}
