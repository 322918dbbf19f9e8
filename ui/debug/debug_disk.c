/*
 * debug_disk.c - the disks as the debugger shows them (`info disk`): the machine's block
 * device (its registers and counters), and under a hypervisor each VM's virtual disk and the
 * host's one disk they all live on, with the commands queued at it and the VM of each.
 */
#include "../../hypervisor/hv.h"
#include "debug_internal.h"

/* One controller: its size, its command registers and status, its counters. */
static void print_controller(FILE *out, const char *name, const char *where, const sim_disk_t *d)
{
    char a[32], b[32], c[32], e[32], f[32], g[32];
    if (!d->sectors) {
        fprintf(out, "%s (%s): no disk attached\n", name, where);
        return;
    }
    fprintf(out, "%s (%s): %s\n", name, where, sim_counted(d->sectors, "sector", a, sizeof a));
    fprintf(out,
            "  last command: %s of %u at sector %u, DMA address 0x%08x; status:%s%s%s%s; "
            "last error: %s\n",
            d->command == SIM_DISK_CMD_WRITE  ? "write"
            : d->command == SIM_DISK_CMD_READ ? "read"
                                              : "none",
            d->count, d->sector, d->addr, d->status & SIM_DISK_BUSY ? " BUSY" : "",
            d->status & SIM_DISK_DONE ? " DONE" : "",
            d->status & SIM_DISK_ERROR_BIT ? " ERROR" : "", d->status ? "" : " clear",
            sim_disk_error_name(d->error));
    fprintf(
        out, "  %s (%s sectors), %s (%s sectors), %s refused, %s\n",
        sim_counted(d->reads, "read", a, sizeof a), sim_group_digits(d->sectors_read, b, sizeof b),
        sim_counted(d->writes, "write", c, sizeof c),
        sim_group_digits(d->sectors_written, e, sizeof e),
        sim_group_digits(d->refused, f, sizeof f), sim_counted(d->errors, "error", g, sizeof g));
}

void ui_dbg_print_disk(const ui_dbg_t *dbg, FILE *out)
{
    const sim_machine_t *m = dbg->m;
    const hv_t *hv = hv_of_machine(m);
    char where[80];
    snprintf(where, sizeof where, "ports 0x%x..0x%x, line %u, IOMMU device %u", SIM_DISK_PORT,
             SIM_DISK_PORT + SIM_DISK_NREGS - 1, SIM_DISK_IRQ, SIM_DISK_DMA_ID);
    if (!hv) {
        print_controller(out, "disk", where, &m->disk);
        return;
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        if (!hv->vms[i].used)
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s's virtual disk", hv->vms[i].name);
        snprintf(where, sizeof where, "ports 0x%x..0x%x, line %u of its vcpu0", SIM_DISK_PORT,
                 SIM_DISK_PORT + SIM_DISK_NREGS - 1, SIM_DISK_IRQ);
        print_controller(out, name, where, &hv->vms[i].dev.disk);
    }
    hv_hostdisk_print(hv, sim_now(m), out);
}
