/*
 * test_hv_hostdisk.c - the host's one disk multiplexed (hypervisor/hv_hostdisk.c): the
 * scenario shared-disk's three VMs queue their commands at it, each waits exactly for the
 * commands ahead of it, the figures add up from the disk model's timing, a VM alone never
 * waits, and a VM destroyed with a command queued leaves the others' queue sound.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

static sim_machine_t m;

/* Three VMs load the same programs at the same time: 36 commands each, and every command
 * that found another VM's at the disk waited for it. The exact figures are pinned; the
 * relations between them come from the mechanism. */
Test(hv_hostdisk, three_vms_queue_at_the_one_disk, .timeout = 120)
{
    static hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "shared-disk");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_hostdisk_t *h = &hv->hostdisk[0];
    static const struct {
        const char *vm;
        uint64_t waits, wait_cycles;
        uint32_t region;
    } want[] = {{"a", 25, 213561, 0}, {"b", 33, 321561, 315}, {"c", 34, 367603, 630}};
    uint64_t waits = 0, wait_cycles = 0, sectors = 0;
    for (unsigned i = 0; i < 3; i++) {
        int vm = hv_vm_by_name(hv, want[i].vm);
        cr_assert_geq(vm, 0);
        const hv_vm_t *v = &hv->vms[vm];
        cr_expect_eq(v->stats.disk_requests, 36, "%s: %llu commands", want[i].vm,
                     (unsigned long long)v->stats.disk_requests);
        cr_expect_eq(v->stats.disk_waits, want[i].waits, "%s: %llu waited", want[i].vm,
                     (unsigned long long)v->stats.disk_waits);
        cr_expect_eq(v->stats.disk_wait_cycles, want[i].wait_cycles, "%s: %llu cycles", want[i].vm,
                     (unsigned long long)v->stats.disk_wait_cycles);
        cr_expect_eq(hv_hostdisk_region(hv, (unsigned)vm), want[i].region);
        waits += v->stats.disk_waits;
        wait_cycles += v->stats.disk_wait_cycles;
        sectors += v->dev.disk.sectors_read + v->dev.disk.sectors_written;
    }
    cr_expect_eq(h->requests, 108);
    cr_expect_eq(h->waited, waits);
    cr_expect_eq(h->wait_cycles, wait_cycles);
    cr_expect_eq(h->deepest, 3);
    cr_expect_eq(h->queued, 0, "every command completed");
    const uint32_t *c = hv->m->costs.c;
    cr_expect_eq(
        h->busy_cycles, h->requests * c[SIM_COST_disk_latency] + sectors * c[SIM_COST_disk_sector],
        "busy %llu: each command's latency and sectors, once", (unsigned long long)h->busy_cycles);
    char *text = hu_stats_text(hv);
    cr_expect(strstr(text, "[stats] host disk: 108 commands, 92 waited behind another VM's "
                           "(902 725 cycles in all); busy 1 149 000 cycles, at most 3 queued "
                           "at once\n"),
              "%s", text);
    cr_expect(strstr(text, "    c             630..944                     36      34       "
                           "367 603        10 811\n"),
              "%s", text);
    free(text);
    hu_scenario_free(&sc, hv, &m);
}

/* One VM on the host: its commands never wait, so they take the disk model's time, as they
 * did before the disk was shared, and the statistics have no host-disk table. */
Test(hv_hostdisk, a_vm_alone_never_waits, .timeout = 120)
{
    static hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "passthrough");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_gt(hv->vms[0].stats.disk_requests, 10);
    cr_expect_eq(hv->vms[0].stats.disk_waits, 0);
    cr_expect_eq(hv->hostdisk[0].waited, 0);
    cr_expect_eq(hv->hostdisk[0].deepest, 1);
    char *text = hu_stats_text(hv);
    cr_expect_null(strstr(text, "host disk"), "%s", text);
    free(text);
    hu_scenario_free(&sc, hv, &m);
}

/* The three VMs' first commands are queued (a's moving, b's and c's waiting) when b is
 * destroyed: its command leaves the queue, a and c go on and end. */
Test(hv_hostdisk, a_destroyed_vm_leaves_the_queue, .timeout = 120)
{
    static hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "shared-disk");
    cr_assert_eq(hv_run(hv, 185000), SIM_RUN_MAX_CYCLES);
    const hv_hostdisk_t *h = &hv->hostdisk[0];
    cr_assert_eq(h->queued, 3, "%u queued at cycle %llu", h->queued,
                 (unsigned long long)sim_now(hv->m));
    int b = hv_vm_by_name(hv, "b");
    hv_vm_destroy(hv, (unsigned)b);
    cr_assert_eq(h->queued, 2);
    for (unsigned i = 0; i < h->queued; i++)
        cr_expect_neq(h->queue[i].vm, b);
    cr_assert(hv_hostdisk_sane(h));
    cr_expect_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(h->queued, 0);
    hu_scenario_free(&sc, hv, &m);
}
