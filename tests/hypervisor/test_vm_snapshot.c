/*
 * test_vm_snapshot.c - cold migration (hv_vm_snap.c, docs/snapshot.md "VM snapshots"): a VM
 * paused mid-run on one machine, saved with `vm save`, built again by `vm restore` on another
 * machine (another scenario, another host) and resumed, finishes with the transcript it has
 * when it is never moved; what cannot be moved is refused with the reason, and a bad file
 * builds nothing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"
#include "hv_util.h"

/* Runs until the VM's VCPUs have left their pCPUs (a pause takes effect at their next exit). */
static void settle(hv_t *hv, unsigned vm)
{
    for (unsigned step = 0; step < 100; step++) {
        bool loaded = false;
        for (unsigned c = 0; c < hv->vms[vm].nvcpus; c++)
            loaded |= hv->ent[hv->vms[vm].vcpu[c]].on_cpu >= 0;
        if (!loaded)
            return;
        hv_run(hv, hv->m->cpu[0].s.cycles + 1000);
    }
    cr_assert_fail("the VM's VCPUs never left their pCPUs");
}

/* tinyos of the default scenario, moved at `at` onto a machine of its own. */
static void migrates_cold(uint64_t at)
{
    static hv_scenario_t sc;
    static sim_machine_t m, m2;
    hv_t *hv = hu_scenario(&sc, &m, "default");
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    char *want = hu_untimed(hv_vm_console(hv, t));
    hu_scenario_free(&sc, hv, &m);

    hv = hu_scenario(&sc, &m, "default");
    hv_run(hv, at);
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    settle(hv, t);
    char path[] = "/tmp/hvsim-vmsnap-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(hv_vm_save(hv, t, path, stderr), 0);
    uint64_t saved_at = m.cpu[0].s.cycles, max = sc.max_cycles;
    hu_scenario_free(&sc, hv, &m);

    /* Another host: one pCPU shared in time slices with a VM of its own that never ends, and
     * a clock elsewhere. */
    hv_config_t cfg = hu_config();
    hv_t *hv2 = hu_machine(&m2, 1, &cfg);
    cfg.sched = HV_SCHED_OVERCOMMIT;
    hv2->cfg.sched = HV_SCHED_OVERCOMMIT;
    int other = hu_vm(hv2, "other", ".org 0x1000\nl: addi r1, r1, 1\nb l\n", NULL);
    cr_assert_geq(other, 0);
    hv_run(hv2, 77777);
    char err[300];
    int vm = hv_vm_restore(hv2, path, err, sizeof err);
    cr_assert_geq(vm, 0, "%s", err);
    cr_expect_eq(hv2->vms[vm].state, HV_VM_PAUSED, "it comes back paused");
    cr_expect_str_eq(hv2->vms[vm].name, "tinyos");
    cr_assert_eq(hv_vm_resume(hv2, (unsigned)vm), 0);
    uint64_t end = m2.cpu[0].s.cycles + max; /* "other" runs for ever */
    while (hv2->vms[vm].state == HV_VM_RUNNING && m2.cpu[0].s.cycles < end)
        hv_run(hv2, m2.cpu[0].s.cycles + 1000000);
    cr_expect_eq(hv2->vms[vm].state, HV_VM_OFF, "it ran to its end on the new host: %s at %llu, %s",
                 hv_vm_state_name(hv2->vms[vm].state), (unsigned long long)m2.cpu[0].s.cycles,
                 hv2->vms[vm].why);
    char *got = hu_untimed(hv_vm_console(hv2, (unsigned)vm));
    cr_expect_str_eq(got, want, "tinyos moved at cycle %llu: the same transcript",
                     (unsigned long long)saved_at);
    char why[200];
    cr_expect_null(hv_check_invariants(hv2, why, sizeof why), "%s", why);
    free(got);
    free(want);
    unlink(path);
    hu_free(hv2, &m2);
}

Test(vm_snapshot, a_vm_moved_cold_finishes_with_the_same_transcript, .timeout = 120)
{
    migrates_cold(600000);  /* while its boot loader reads the disk */
    migrates_cold(3000000); /* while its shell runs programs */
}

Test(vm_snapshot, what_cannot_be_moved_is_refused)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "default");
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    /* Run to a moment when tinyos's VCPU is loaded (not halted, not waiting at the disk). */
    unlink("/tmp/never.vm"); /* a file left by an earlier failing run is not this run's */
    uint64_t until = 500000;
    hv_run(hv, until);
    while (hv->ent[hv->vms[t].vcpu[0]].on_cpu < 0 && until < 5000000)
        hv_run(hv, until += 10000);
    cr_assert_geq(hv->ent[hv->vms[t].vcpu[0]].on_cpu, 0, "tinyos's vcpu0 is loaded at %llu",
                  (unsigned long long)until);
    char *diag = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&diag, &len);
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", d), -1);
    fflush(d);
    cr_expect(strstr(diag, "/tmp/never.vm: error: VM tinyos is running: pause it first") != NULL,
              "%s", diag);
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", d), -1);
    fflush(d);
    cr_expect(strstr(diag, "vcpu0 is still loaded on pCPU0: continue a little") != NULL, "%s",
              diag);
    fclose(d);
    free(diag);
    cr_expect_neq(access("/tmp/never.vm", F_OK), 0, "nothing is written");
    hu_scenario_free(&sc, hv, &m);

    hv = hu_scenario(&sc, &m, "bt");
    hv_run(hv, 500000);
    t = (unsigned)hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    settle(hv, t);
    d = open_memstream(&diag, &len);
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", d), -1);
    fclose(d);
    cr_expect(strstr(diag, "runs with cpu = bt, mem = shadow: vm save moves hw and emu VMs with "
                           "nested paging only") != NULL,
              "%s", diag);
    free(diag);
    hu_scenario_free(&sc, hv, &m);
}

/* What the host keeps for a VM (its balloon's pages, its planned balloon targets) stays: one
 * list of reasons, each with its sentence. */
static void refused_with(const char *scenario, const char *vm, uint64_t at, const char *want)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    hv_run(hv, at);
    unsigned t = (unsigned)hv_vm_by_name(hv, vm);
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    settle(hv, t);
    char *diag = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&diag, &len);
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", d), -1);
    fclose(d);
    cr_expect(strstr(diag, want) != NULL, "want \"%s\" in %s", want, diag);
    free(diag);
    hu_scenario_free(&sc, hv, &m);
}

Test(vm_snapshot, what_the_host_keeps_for_a_vm_stays, .timeout = 60)
{
    refused_with("balloon-moves", "tinyos", 500000,
                 "VM tinyos has balloon target changes planned (balloon_at) (2): they are the "
                 "host's plan for the VM, which it does not carry to another host");
    refused_with("balloon", "ballooned", 6000000,
                 "VM ballooned has pages in its balloon (1280): vm save moves resident memory "
                 "only (the balloon's pages would come back as memory the guest gave away)");
    refused_with("balloon", "swapped", 6000000,
                 "VM swapped has pages in the hypervisor's swap device (");
}

/* A machine snapshot is not a VM; and the same VM cannot be restored beside itself. */
Test(vm_snapshot, a_wrong_file_builds_nothing)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "default");
    hv_run(hv, 500000);
    char path[] = "/tmp/hvsim-vmsnap-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(hv_snapshot_save(&m, "default", path, stderr), 0);
    char err[300];
    unsigned before = hv->nvms;
    cr_expect_eq(hv_vm_restore(hv, path, err, sizeof err), -1);
    cr_expect(strstr(err, "the text block says no \"kind = vm\": a snapshot of a whole machine") !=
                  NULL,
              "%s", err);
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    settle(hv, t);
    cr_assert_eq(hv_vm_save(hv, t, path, stderr), 0);
    cr_expect_eq(hv_vm_restore(hv, path, err, sizeof err), -1);
    cr_expect(strstr(err, "wrong machine: a VM named tinyos is here already") != NULL, "%s", err);
    cr_expect_eq(hv->nvms, before, "nothing was built");
    unlink(path);
    hu_scenario_free(&sc, hv, &m);
}
