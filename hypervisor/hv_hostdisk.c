/*
 * hv_hostdisk.c - the host's one disk, multiplexed: every VM's virtual disk is a region of it,
 * and the commands of all VMs queue at it.
 *
 * Lecture idea: one physical device, many virtual ones. Each VM drives a disk of its own
 * (hv_devices.c: the real controller's registers), but a host machine has one disk: the
 * hypervisor lays the VMs' disks out on it one after another (VM slot order) and serves their
 * commands one at a time, first come first served. A command that finds another VM's command
 * at the disk waits for it, so a VM's disk is slower while another VM uses its own: that
 * wait is counted per VM and shown with its VM (the `disk` action's sentence, `info disk`,
 * the statistics' host-disk table).
 *
 * The service time is the disk model's (sim_disk_cycles: disk_latency + disk_sector per
 * sector), the same a VM alone sees; with no other VM's command in the queue nothing changes.
 * The VMs' bytes are kept per VM (they move with it on migration); the region is where they
 * lie on the host's disk. The hypervisor's swap device is a disk of its own (hv_swap.c).
 */
#include <string.h>

#include "hv_internal.h"

static hv_hostdisk_t *disk_of(hv_t *hv, unsigned vm)
{
    return &hv->hostdisk[hv->vms[vm].host < HV_MAX_HOSTS ? hv->vms[vm].host : 0];
}

uint32_t hv_hostdisk_region(const hv_t *hv, unsigned vm)
{
    uint32_t first = 0;
    for (unsigned i = 0; i < vm && i < HV_MAX_VMS; i++)
        if (hv->vms[i].used && hv->vms[i].host == hv->vms[vm].host)
            first += hv->vms[i].dev.disk.sectors;
    return first;
}

/* Drops the requests whose sectors have moved by `now` (the queue is in order of issue, and
 * so of completion). */
static void retire(hv_hostdisk_t *h, uint64_t now)
{
    unsigned n = 0;
    while (n < h->queued && h->queue[n].done <= now)
        n++;
    memmove(h->queue, h->queue + n, (h->queued - n) * sizeof h->queue[0]);
    h->queued -= n;
}

/*
 * A VM's command (its disk's registers hold it, checked) reaches the host's disk at cycle
 * `now`: it is queued behind the requests there, and its sectors have moved when the disk has
 * served them and it. Returns that cycle; *ahead is the number of other VMs' requests it
 * waits behind. Counts the request and its wait for the VM and the disk.
 */
uint64_t hv_hostdisk_submit(hv_t *hv, unsigned vm, uint64_t now, unsigned *ahead)
{
    hv_hostdisk_t *h = disk_of(hv, vm);
    const sim_disk_t *d = &hv->vms[vm].dev.disk;
    const uint32_t *c = hv->m->costs.c;
    retire(h, now);
    SIM_ASSERT(h->queued < HV_MAX_VMS); /* one command in flight per VM */
    uint64_t start = h->free_at > now ? h->free_at : now;
    uint64_t busy = sim_disk_cycles(c[SIM_COST_disk_latency], c[SIM_COST_disk_sector], d->count);
    h->queue[h->queued++] = (hv_disk_request_t){.vm = (uint8_t)vm,
                                                .command = (uint8_t)d->command,
                                                .count = (uint16_t)d->count,
                                                .sector = hv_hostdisk_region(hv, vm) + d->sector,
                                                .issued = now,
                                                .start = start,
                                                .done = start + busy};
    *ahead = h->queued - 1;
    if (h->queued > h->deepest)
        h->deepest = h->queued;
    h->free_at = start + busy;
    h->requests++;
    h->busy_cycles += busy;
    hv_vm_stats_t *s = &hv->vms[vm].stats;
    s->disk_requests++;
    if (start > now) {
        h->waited++;
        h->wait_cycles += start - now;
        s->disk_waits++;
        s->disk_wait_cycles += start - now;
    }
    return start + busy;
}

/* The VM's command has completed at `now`: it leaves the queue (with any others done). */
void hv_hostdisk_done(hv_t *hv, unsigned vm, uint64_t now)
{
    retire(disk_of(hv, vm), now);
}

/* A VM goes away: its request leaves the queue; the disk's time it was given stays spent. */
void hv_hostdisk_forget(hv_t *hv, unsigned vm)
{
    for (unsigned host = 0; host < HV_MAX_HOSTS; host++) {
        hv_hostdisk_t *h = &hv->hostdisk[host];
        unsigned kept = 0;
        for (unsigned i = 0; i < h->queued; i++)
            if (h->queue[i].vm != vm)
                h->queue[kept++] = h->queue[i];
        h->queued = kept;
    }
}

bool hv_hostdisk_sane(const hv_hostdisk_t *h)
{
    if (h->queued > HV_MAX_VMS)
        return false;
    for (unsigned i = 0; i < h->queued; i++)
        if (h->queue[i].vm >= HV_MAX_VMS)
            return false;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * What it shows
 * ------------------------------------------------------------------------------------------ */
/* Whether a host's disk has been shared: a command waited behind another VM's. */
static bool contended(const hv_hostdisk_t *h)
{
    return h->waited > 0;
}

/* The table: one row per VM on the host, its region and what its commands waited. */
static void print_table(const hv_t *hv, unsigned host, const char *indent, FILE *out)
{
    char a[32], b[32], c[32], e[32], f[32], g[32];
    fprintf(out, "%s%-12s  %-21s  %8s  %6s  %12s  %12s\n", indent, "vm", "region (sectors)",
            "commands", "waited", "wait cycles", "average wait");
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vm_t *v = &hv->vms[i];
        if (!v->used || v->host != host || !v->dev.disk.sectors)
            continue;
        const hv_vm_stats_t *s = &v->stats;
        uint32_t first = hv_hostdisk_region(hv, i);
        char region[48];
        snprintf(region, sizeof region, "%s..%s", sim_group_digits(first, a, sizeof a),
                 sim_group_digits(first + v->dev.disk.sectors - 1, b, sizeof b));
        fprintf(
            out, "%s%-12s  %-21s  %8s  %6s  %12s  %12s\n", indent, v->name, region,
            sim_group_digits(s->disk_requests, c, sizeof c),
            sim_group_digits(s->disk_waits, e, sizeof e),
            sim_group_digits(s->disk_wait_cycles, f, sizeof f),
            sim_group_digits(s->disk_waits ? s->disk_wait_cycles / s->disk_waits : 0, g, sizeof g));
    }
}

/* "host disk: 812 commands, 240 waited behind another VM's (1 234 567 cycles in all); ..." */
static void print_totals(const hv_hostdisk_t *h, const char *who, FILE *out)
{
    char a[32], b[32], c[32], d[32];
    fprintf(out,
            "%s: %s, %s waited behind another VM's (%s in all); busy %s, at most %u "
            "queued at once\n",
            who, sim_counted(h->requests, "command", a, sizeof a),
            sim_group_digits(h->waited, b, sizeof b),
            sim_counted(h->wait_cycles, "cycle", c, sizeof c),
            sim_counted(h->busy_cycles, "cycle", d, sizeof d), h->deepest);
}

void hv_hostdisk_print_stats(const hv_t *hv, FILE *out)
{
    for (unsigned host = 0; host < HV_MAX_HOSTS; host++) {
        const hv_hostdisk_t *h = &hv->hostdisk[host];
        if (!contended(h))
            continue; /* a disk no two VMs wanted at once: nothing to tell */
        char who[48];
        snprintf(who, sizeof who, "[stats] host%s disk",
                 hv->cfg.hosts > 1 ? (host ? "1" : "0") : "");
        print_totals(h, who, out);
        print_table(hv, host, "    ", out);
    }
}

/* One queued request, as `info disk` lists it at cycle `now`. */
static void print_request(const hv_t *hv, const hv_disk_request_t *r, uint64_t now, FILE *out)
{
    char a[32], b[32], c[32];
    const char *state = r->start > now ? "waiting" : r->done > now ? "moving" : "done (held)";
    fprintf(out, "  %-12s  %-5s  %7u  %11s  %12s  %12s  %s\n", hv->vms[r->vm].name,
            r->command == SIM_DISK_CMD_WRITE ? "write" : "read", r->count,
            sim_group_digits(r->sector, a, sizeof a), sim_group_digits(r->issued, b, sizeof b),
            sim_group_digits(r->done, c, sizeof c), state);
}

void hv_hostdisk_print(const hv_t *hv, uint64_t now, FILE *out)
{
    for (unsigned host = 0; host < (hv->cfg.hosts > 1 ? hv->cfg.hosts : 1u); host++) {
        const hv_hostdisk_t *h = &hv->hostdisk[host];
        char who[32];
        snprintf(who, sizeof who, "host%s disk", hv->cfg.hosts > 1 ? (host ? "1" : "0") : "");
        print_totals(h, who, out);
        print_table(hv, host, "  ", out);
        unsigned shown = 0;
        for (unsigned i = 0; i < h->queued; i++) {
            if (h->queue[i].done <= now && h->queue[i].vm < HV_MAX_VMS &&
                !(hv->vms[h->queue[i].vm].dev.disk.status & SIM_DISK_BUSY))
                continue; /* completed, not yet retired */
            if (shown++ == 0)
                fprintf(out,
                        "  queue, first served first:\n  %-12s  %-5s  %7s  %11s  %12s  "
                        "%12s  %s\n",
                        "vm", "", "sectors", "host sector", "issued", "moved by", "state");
            print_request(hv, &h->queue[i], now, out);
        }
        if (!shown)
            fprintf(out, "  queue: empty\n");
    }
}
