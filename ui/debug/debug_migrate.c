/*
 * debug_migrate.c - the debugger over live migration (hypervisor/hv_migrate.c): start one,
 * and report its rounds, total time and downtime, for the REPL's `migrate` and `info
 * migration`, and for any other front end.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

int ui_dbg_migrate(ui_dbg_t *dbg, int vm, const char *host)
{
    if (dbg_check_vm(dbg, vm) != 0)
        return -1;
    unsigned to = 0;
    if (strlen(host) != 5 || strncmp(host, "host", 4) != 0 || host[4] < '0' || host[4] > '9')
        return dbg_fail(dbg, "\"%s\" is not a host: host0 or host1.", host);
    to = (unsigned)(host[4] - '0');
    char err[200];
    if (hv_migrate_start(hv_of_machine(dbg->m), (unsigned)vm, to, err, sizeof err) != 0)
        return dbg_fail(dbg, "No migration: %s.", err);
    return 0;
}

int ui_dbg_migration_print(ui_dbg_t *dbg, FILE *out)
{
    const hv_t *hv = hv_of_machine(dbg->m);
    if (!hv)
        return dbg_fail(dbg, "%s", UI_DBG_NO_VMS " There is nothing to migrate.");
    const hv_migration_t *g = &hv->mig;
    if (g->state == HV_MIGRATE_IDLE)
        fprintf(out, "No migration has begun (\"migrate VM to host1\" starts one).\n");
    else if (g->state == HV_MIGRATE_SCHEDULED)
        fprintf(out, "%s migrates to host%u at cycle %llu.\n", hv->vms[g->vm].name, g->to,
                (unsigned long long)g->at);
    else
        hv_migrate_print(hv, "", out);
    return 0;
}

int ui_dbg_hosts(ui_dbg_t *dbg, ui_dbg_hosts_t *out)
{
    const hv_t *hv = hv_of_machine(dbg->m);
    memset(out, 0, sizeof *out);
    out->vm = -1;
    if (!hv || hv->cfg.hosts < 2)
        return dbg_fail(dbg, "This machine has one host: a scenario with [host.0] and [host.1] "
                             "has two (docs/migration.md).");
    out->hosts = hv->cfg.hosts;
    for (unsigned c = 0; c < dbg->m->ncpus; c++)
        out->cpu_host[c] = hv->cfg.cpu_host[c];
    for (unsigned v = 0; v < HV_MAX_VMS && v < UI_DBG_MAX_VMS; v++)
        if (hv->vms[v].used) {
            out->vm_host[v] = hv->vms[v].host;
            out->nvms = v + 1;
        }
    const hv_migration_t *g = &hv->mig;
    if (g->vm < 0 || g->state == HV_MIGRATE_IDLE)
        return 0;
    out->vm = g->vm;
    out->from = g->from;
    out->to = g->to;
    out->state = hv_migrate_state_name(g->state);
    out->nrounds = g->nrounds < UI_DBG_MAX_ROUNDS ? g->nrounds : UI_DBG_MAX_ROUNDS;
    for (unsigned i = 0; i < out->nrounds; i++)
        out->sent[i] = g->round[i].sent;
    if (g->state == HV_MIGRATE_STOPCOPY && out->nrounds)
        out->sent[out->nrounds - 1] = g->stop_planned; /* on the link now */
    out->in_flight =
        g->state == HV_MIGRATE_PRECOPY || g->state == HV_MIGRATE_STOPCOPY ? g->in_flight : 0;
    if (g->state == HV_MIGRATE_DONE)
        out->downtime = g->resumed - g->paused;
    return 0;
}
