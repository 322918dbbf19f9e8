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
#include "../../hypervisor/hv_bt_internal.h"

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

/* Pauses the VM and runs until it can be saved: its VCPUs off their pCPUs (a pause takes
 * effect at their next exit) and, under binary translation, none inside the translation of
 * one instruction (resumed for a few cycles and paused again). Returns the tries it took. */
static unsigned pause_for_save(hv_t *hv, unsigned vm, const char *path)
{
    for (unsigned tries = 1; tries <= 50; tries++) {
        cr_assert_eq(hv_vm_pause(hv, vm), 0);
        settle(hv, vm);
        char *diag = NULL;
        size_t len = 0;
        FILE *d = open_memstream(&diag, &len);
        int rc = hv_vm_save(hv, vm, path, d);
        fclose(d);
        if (rc == 0) {
            free(diag);
            return tries;
        }
        cr_assert(strstr(diag, "stopped inside the translation of one guest instruction"), "%s",
                  diag);
        free(diag);
        cr_assert_eq(hv_vm_resume(hv, vm), 0);
        hv_run(hv, hv->m->cpu[0].s.cycles + 997);
    }
    cr_assert_fail("the VM never stopped where it can be saved");
    return 0;
}

/* tinyos of a built-in scenario (with `o`'s changes), moved at `at` onto a machine of its own;
 * its statistics on the new host go to *stats when asked. */
static void migrates_cold_with(const char *scenario, hu_override_t o, uint64_t at, char **stats)
{
    static hv_scenario_t sc;
    static sim_machine_t m, m2;
    hv_t *hv = hu_scenario_with(&sc, &m, scenario, o);
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    char *want = hu_untimed(hv_vm_console(hv, t));
    unsigned want_state = hv->vms[t].state; /* trap with nested paging crashes a paged kernel */
    hu_scenario_free(&sc, hv, &m);

    hv = hu_scenario_with(&sc, &m, scenario, o);
    hv_run(hv, at);
    char path[] = "/tmp/hvsim-vmsnap-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    pause_for_save(hv, t, path);
    uint64_t saved_at = m.cpu[0].s.cycles, max = sc.max_cycles;
    unsigned cpu = hv->vms[t].cpu, mem = hv->vms[t].mem;
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
    cr_expect_eq(hv2->vms[vm].cpu, cpu, "the same CPU technique");
    cr_expect_eq(hv2->vms[vm].mem, mem, "the same memory technique");
    cr_assert_eq(hv_vm_resume(hv2, (unsigned)vm), 0);
    uint64_t end = m2.cpu[0].s.cycles + 3 * max; /* "other" runs for ever, and takes its share */
    while (hv2->vms[vm].state == HV_VM_RUNNING && m2.cpu[0].s.cycles < end)
        hv_run(hv2, m2.cpu[0].s.cycles + 1000000);
    cr_expect_eq(hv2->vms[vm].state, want_state, "it ran to its end on the new host: %s at %llu, %s",
                 hv_vm_state_name(hv2->vms[vm].state), (unsigned long long)m2.cpu[0].s.cycles,
                 hv2->vms[vm].why);
    char *got = hu_untimed(hv_vm_console(hv2, (unsigned)vm));
    cr_expect_str_eq(got, want, "tinyos (%s, %s) moved at cycle %llu: the same transcript",
                     hv_cpu_technique_name(cpu), hv_mem_technique_name(mem),
                     (unsigned long long)saved_at);
    char why[200];
    cr_expect_null(hv_check_invariants(hv2, why, sizeof why), "%s", why);
    if (stats)
        *stats = hu_stats_text(hv2);
    free(got);
    free(want);
    unlink(path);
    hu_free(hv2, &m2);
}

static const hu_override_t as_is = {.backing = -1, .mem = -1};

/* tinyos of the default scenario, moved at `at` onto a machine of its own. */
static void migrates_cold(uint64_t at)
{
    migrates_cold_with("default", as_is, at, NULL);
}

Test(vm_snapshot, a_vm_moved_cold_finishes_with_the_same_transcript, .timeout = 120)
{
    migrates_cold(600000);  /* while its boot loader reads the disk */
    migrates_cold(3000000); /* while its shell runs programs */
}

/* Every pair of techniques a VM can run with moves cold: trap-and-emulate's and emulation's
 * state in the VMCB's software area, shadow trees rebuilt from the guest's ptroot, the
 * monitor's state page under binary translation. */
Test(vm_snapshot, every_technique_moves_cold, .timeout = 600)
{
    hu_override_t nested = as_is, shadow = as_is;
    nested.mem = HV_MEM_NESTED;
    shadow.mem = HV_MEM_SHADOW;
    migrates_cold_with("shadow", as_is, 3000000, NULL); /* hw, shadow */
    migrates_cold_with("emu", as_is, 3000000, NULL);    /* emu, nested */
    migrates_cold_with("emu", shadow, 3000000, NULL);   /* emu, shadow */
    migrates_cold_with("trap", nested, 600000, NULL);   /* trap, nested */
    migrates_cold_with("trap", as_is, 600000, NULL);    /* trap, shadow */
    char *stats = NULL;
    migrates_cold_with("bt", as_is, 600000, &stats); /* bt, shadow: while it boots */
    /* the price of the empty cache, counted on the new host as live migration counts it */
    const char *want = "    moved by vm restore: 125 translated blocks dropped at the save, 447 "
                       "blocks of 1 705 instructions translated here since (68 200 cycles)\n";
    cr_expect(strstr(stats, want) != NULL, "want \"%s\" in\n%s", want, stats);
    free(stats);
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
}

/* A bt VCPU stopped in the middle of the inline sequence that stands for one guest instruction
 * has no guest pc, and the translation cache does not move: refused, with what to do, and
 * nothing written. (A pause lands at exits, which the monitor leaves at boundaries, so the
 * VCPU is put there by hand.) */
Test(vm_snapshot, a_bt_vcpu_inside_a_translation_is_refused, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "bt");
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    unlink("/tmp/never.vm");
    hv_run(hv, 600000);
    cr_assert_eq(hv_vm_pause(hv, t), 0);
    settle(hv, t);
    hv_vcpu_t *v = &hv->ent[hv->vms[t].vcpu[0]];
    uint32_t inner = 0;
    for (uint32_t w = TC_FIRST_BLOCK; w < v->bt.tc_used && !inner; w++)
        if (hv_bt_tc_kind(hv, v, hv_bt_tc_va(w)) == W_INNER)
            inner = hv_bt_tc_va(w);
    cr_assert_neq(inner, 0, "the cache holds an inline sequence");
    uint32_t pc_at = v->vmcb + CPU_VMCB_GUEST + CPU_VMCB_PC;
    uint32_t pc = hv_read32(hv, pc_at), tc_pc = v->bt.tc_pc;
    hv_write32(hv, pc_at, inner);
    v->bt.tc_pc = inner;
    char *diag = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&diag, &len);
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", d), -1);
    fclose(d);
    char want[200];
    snprintf(want, sizeof want,
             "/tmp/never.vm: error: VM tinyos's vcpu0 stopped inside the translation of one "
             "guest instruction (at 0x%08x in the translation cache, which does not move): "
             "resume it and pause it again",
             inner);
    cr_expect(strstr(diag, want) != NULL, "want \"%s\" in %s", want, diag);
    free(diag);
    cr_expect_neq(access("/tmp/never.vm", F_OK), 0, "nothing is written");
    hv_write32(hv, pc_at, pc);
    v->bt.tc_pc = tc_pc;
    cr_expect_eq(hv_vm_save(hv, t, "/tmp/never.vm", stderr), 0, "where it stopped: saved");
    unlink("/tmp/never.vm");
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
