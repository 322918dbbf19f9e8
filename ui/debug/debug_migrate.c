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
