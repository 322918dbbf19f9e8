/*
 * repl_limits.c - `info limits [VM]`: each VM's limit on every resource a guest can make the
 * hypervisor spend (CPU share and cap, host frames, disk and network bandwidth), and its
 * reservation (a floor of host frames), what each is set to and how often it bound, as the
 * debugger reports them (ui_dbg_vm_limits; docs/hypervisor.md, "Limits per VM in one place").
 */
#include <stdio.h>

#include "ui_repl.h"

/* "bound 12 times (its cap took the pCPU)" or "never". */
static const char *bound(uint64_t times, const char *how, char *buf, size_t len)
{
    char n[48];
    if (!times)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%s (%s)", sim_counted(times, "time", n, sizeof n), how);
    return buf;
}

/* "100 bytes / 1 000 cycles" and "1 command held back, 319 657 cycles", or "none" and "-". */
static void bandwidth(uint32_t rate, uint64_t held, const char *unit, uint64_t cycles, char *set,
                      char *got, size_t len)
{
    char a[48], b[48];
    if (!rate) {
        snprintf(set, len, "none");
        snprintf(got, len, "-");
        return;
    }
    snprintf(set, len, "%s bytes / 1 000 cycles", sim_group_digits(rate, a, sizeof a));
    if (!held)
        snprintf(got, len, "never");
    else
        snprintf(got, len, "%s held back, %s", sim_counted(held, unit, a, sizeof a),
                 sim_counted(cycles, "cycle", b, sizeof b));
}

static void limit_row(ui_repl_t *r, const char *vm, const char *what, const char *set,
                      const char *got)
{
    fprintf(r->out, "  %-10s %-13s %-26s %s\n", vm, what, set, got);
}

static void vm_rows(ui_repl_t *r, const char *name, const ui_dbg_limits_t *l)
{
    char set[64], got[96], a[32], b[32];
    snprintf(set, sizeof set, "%u", l->share);
    limit_row(r, name, "cpu share", set, "a weight: binds only against other VMs");
    snprintf(set, sizeof set, l->cap ? "%u%% of a pCPU" : "none", l->cap);
    limit_row(r, "", "cpu cap", set,
              l->cap ? bound(l->cap_stops, "its cap took the pCPU", got, sizeof got) : "-");
    if (l->resident_max < l->pages)
        snprintf(set, sizeof set, "%s of %s frames", sim_group_digits(l->resident_max, a, 32),
                 sim_group_digits(l->pages, b, 32));
    else
        snprintf(set, sizeof set, "none");
    limit_row(r, "", "resident_max", set,
              l->resident_max < l->pages
                  ? bound(l->limit_swaps, "a page swapped out", got, sizeof got)
                  : "-");
    if (l->reserved)
        snprintf(set, sizeof set, "%s of %s frames", sim_group_digits(l->reserved, a, 32),
                 sim_group_digits(l->pages, b, 32));
    else
        snprintf(set, sizeof set, "none");
    limit_row(r, "", "reservation", set,
              l->reserved ? bound(l->reserve_spared, "reclaim stopped at it", got, sizeof got)
                          : "-");
    bandwidth(l->disk_bw, l->disk_held, "command", l->disk_held_cycles, set, got, sizeof set);
    limit_row(r, "", "disk_bw", set, got);
    bandwidth(l->net_bw, l->net_held, "frame", l->net_held_cycles, set, got, sizeof set);
    limit_row(r, "", "net_bw", set, got);
}

/* info limits [VM]: every VM's limits, or the one named. */
int ui_repl_info_limits(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "info limits [VM]";
    if (!ui_dbg_has_hypervisor(r->dbg) || ui_dbg_vm_count(r->dbg) == 0) {
        fprintf(r->out, "%s\n", UI_DBG_NO_VMS);
        return 0;
    }
    int only = -1;
    if (argc >= 2 && (only = ui_dbg_vm_by_name(r->dbg, argv[1])) < 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    limit_row(r, "vm", "limit", "set to", "bound");
    for (unsigned i = 0; i < ui_dbg_vm_count(r->dbg); i++) {
        ui_dbg_vm_t vm;
        ui_dbg_limits_t l;
        if ((only >= 0 && (int)i != only) || ui_dbg_vm_info(r->dbg, i, &vm) != 0 ||
            ui_dbg_vm_limits(r->dbg, i, &l) != 0)
            continue;
        vm_rows(r, vm.name, &l);
    }
    return 0;
}
