/*
 * test_hv_migrate.c - live pre-copy migration between two hosts (hypervisor/hv_migrate.c): the
 * migrated guest's data and transcript survive; downtime is set by the writable working set,
 * not by the memory size (exact figures); the dirty log is the nested D bits plus a software
 * log of DMA; a scenario's bad keys and impossible migrations are said, never a crash.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* Stores its number into each of TOUCH pages from 1 MiB up (its memory footprint), then 30 000
 * times over the first WSET pages, storing the same numbers again (OP = st) or only loading
 * them (OP = ld); then checks that every touched page holds its number and powers off with 0
 * (1 if not). */
#define GUEST(TOUCH, WSET, OP)                                                                     \
    ".org 0x1000\n"                                                                                \
    "        li r1, 0x100000\n"                                                                    \
    "        li r2, " #TOUCH "\n"                                                                  \
    "        li r4, 4096\n"                                                                        \
    "touch:  st r2, [r1]\n"                                                                        \
    "        add r1, r1, r4\n"                                                                     \
    "        addi r2, r2, -1\n"                                                                    \
    "        cmpi r2, 0\n"                                                                         \
    "        bne touch\n"                                                                          \
    "        li r6, 30000\n"                                                                       \
    "outer:  li r1, 0x100000\n"                                                                    \
    "        li r2, " #TOUCH "\n"                                                                  \
    "        li r7, " #WSET "\n"                                                                   \
    "inner:  " #OP " r2, [r1]\n"                                                                   \
    "        add r1, r1, r4\n"                                                                     \
    "        addi r2, r2, -1\n"                                                                    \
    "        addi r7, r7, -1\n"                                                                    \
    "        cmpi r7, 0\n"                                                                         \
    "        bne inner\n"                                                                          \
    "        addi r6, r6, -1\n"                                                                    \
    "        cmpi r6, 0\n"                                                                         \
    "        bne outer\n"                                                                          \
    "        li r1, 0x100000\n"                                                                    \
    "        li r2, " #TOUCH "\n"                                                                  \
    "check:  ld r3, [r1]\n"                                                                        \
    "        cmp r3, r2\n"                                                                         \
    "        bne bad\n"                                                                            \
    "        add r1, r1, r4\n"                                                                     \
    "        addi r2, r2, -1\n"                                                                    \
    "        cmpi r2, 0\n"                                                                         \
    "        bne check\n"                                                                          \
    "        li r5, 0\n"                                                                           \
    "        out r5, [0xf0]\n"                                                                     \
    "bad:    li r5, 1\n"                                                                           \
    "        out r5, [0xf0]\n"

static sim_machine_t m;
static uint32_t host1_ram; /* bytes of RAM two_hosts_tech gives host1 (0: half the machine's) */

/* Two hosts of one pCPU each, a link of 10 bytes a cycle; a VM on host 0 running `src` with
 * CPU virtualization `cpu` and memory virtualization `mem`. */
static hv_t *two_hosts_tech(const char *src, uint32_t memory, hv_cpu_technique_t cpu,
                            hv_mem_technique_t mem, int *vm)
{
    hv_config_t cfg = hu_config();
    cfg.hosts = 2;
    cfg.cpu_host[1] = 1;
    cfg.host_ram[1] = host1_ram;
    cfg.link = (hv_link_t){.bandwidth = 10000, .latency = 10000, .max_rounds = 8, .stop_pages = 16};
    hv_t *hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t c = {.memory = memory, .cpu = cpu, .mem = mem, .pin = {-1}};
    *vm = hu_vm(hv, "guest", src, &c);
    return hv;
}

static hv_t *two_hosts_mem(const char *src, uint32_t memory, hv_mem_technique_t mem, int *vm)
{
    return two_hosts_tech(src, memory, HV_CPU_HW, mem, vm);
}

static hv_t *two_hosts(const char *src, uint32_t memory, int *vm)
{
    return two_hosts_mem(src, memory, HV_MEM_NESTED, vm);
}

/* Migrates the VM to host 1 at cycle 800 000 (the pages touched) and runs it to its end. */
static const hv_migration_t *migrate_and_run(hv_t *hv, int vm)
{
    char err[200];
    cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, 800000, err, sizeof err), 0, "%s", err);
    sim_run_result_t rc = hv_run(hv, 400000000);
    cr_assert_eq(rc, SIM_RUN_POWEROFF, "%d: %s", rc, hv->vms[vm].why);
    cr_expect_eq(hv->vms[vm].exit_code, 0, "every page held its data after the move");
    cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE, "%s", hv->mig.why);
    cr_expect_eq(hv->vms[vm].host, 1);
    cr_expect_eq(hv->ent[hv->vms[vm].vcpu[0]].pin, 1, "its VCPU now runs on host1's pCPU");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    return &hv->mig;
}

static uint64_t downtime(const hv_migration_t *g)
{
    return g->resumed - g->paused;
}

/* The same idle guest with twice the memory touched: round 0 sends twice as much, the
 * downtime is the same to the cycle (a handful of pages: the stack and the code). */
Test(hv_migrate, an_idle_guest_downtime_does_not_grow_with_its_memory)
{
    int vm;
    hv_t *hv = two_hosts(GUEST(128, 32, ld), 2u << 20, &vm);
    const hv_migration_t *g = migrate_and_run(hv, vm);
    uint64_t small = downtime(g);
    uint32_t sent_small = g->round[0].sent, rounds_small = g->nrounds;
    hu_free(hv, &m);
    hv = two_hosts(GUEST(256, 32, ld), 2u << 20, &vm);
    g = migrate_and_run(hv, vm);
    cr_expect_eq(g->round[0].sent, sent_small + 128, "round 0 sends every page the VM has");
    cr_expect_eq(downtime(g), small, "downtime %llu vs %llu", (unsigned long long)downtime(g),
                 (unsigned long long)small);
    cr_expect_eq(g->nrounds, rounds_small);
    cr_expect_eq(small, 10000, "nothing dirty at the end: the link's latency alone");
    hu_free(hv, &m);
}

/* A guest storing over 32 pages all the time: every round finds them dirty again, the rounds
 * run out, and the stop-and-copy carries the working set: a downtime of latency + 32 pages. */
Test(hv_migrate, a_write_heavy_guest_downtime_is_its_writable_working_set)
{
    int vm;
    hv_t *hv = two_hosts(GUEST(256, 32, st), 2u << 20, &vm);
    const hv_migration_t *g = migrate_and_run(hv, vm);
    cr_expect_eq(g->nrounds, 9, "8 pre-copy rounds (max_rounds), then the stop-and-copy");
    const hv_migrate_round_t *stop = &g->round[g->nrounds - 1];
    cr_expect_eq(stop->sent, 32, "the working set, sent %u", stop->sent);
    cr_expect_eq(downtime(g), 10000 + (32 * 4096 * 1000 + 9999) / 10000, "%llu",
                 (unsigned long long)downtime(g));
    for (uint32_t r = 1; r + 1 < g->nrounds; r++)
        cr_expect_eq(g->round[r].sent, 32, "round %u sends the working set again", r);
    hu_free(hv, &m);
}

/* Under shadow paging no D bit logs a store: each round write-protects the shadow entries, and
 * the first store to each page after it faults (hidden) and is logged. Every page is sent
 * again (the guest checks them all at its end), but the log has a price the D bits do not:
 * each logged store is a hidden fault, an exit, so the guest writes fewer pages while a round
 * is on the wire: 32, 27, 23, 22, 22, 21, 21 pages after round 0 (under nested paging: 32
 * each), and the stop-and-copy carries 21 (10 000 + 21 x 4 KiB / 10 bytes a cycle). */
Test(hv_migrate, under_shadow_the_write_protected_shadows_log_every_store)
{
    static const uint32_t sent[] = {32, 27, 23, 22, 22, 21, 21, 21};
    int vm;
    hv_t *hv = two_hosts_mem(GUEST(256, 32, st), 2u << 20, HV_MEM_SHADOW, &vm);
    const hv_migration_t *g = migrate_and_run(hv, vm);
    cr_assert_eq(g->nrounds, 9, "8 pre-copy rounds (max_rounds), then the stop-and-copy");
    for (uint32_t r = 1; r < g->nrounds; r++)
        cr_expect_eq(g->round[r].sent, sent[r - 1], "round %u: %u", r, g->round[r].sent);
    cr_expect_eq(downtime(g), 10000 + (21 * 4096 * 1000 + 9999) / 10000, "%llu",
                 (unsigned long long)downtime(g));
    cr_expect_geq(hv->vms[vm].stats.shadow.hidden_faults, 32 + 27 + 23 + 22 + 22 + 21 + 21 + 21,
                  "each logged store was a hidden fault");
    hu_free(hv, &m);
}

/* An idle guest under shadow: its loads refill read-only entries and log nothing. */
Test(hv_migrate, under_shadow_an_idle_guest_logs_no_load)
{
    int vm;
    hv_t *hv = two_hosts_mem(GUEST(128, 32, ld), 2u << 20, HV_MEM_SHADOW, &vm);
    const hv_migration_t *g = migrate_and_run(hv, vm);
    cr_expect_eq(downtime(g), 10000, "nothing dirty at the end: the link's latency alone");
    cr_expect_eq(g->round[1].sent, 0, "round 1 finds nothing written: %u", g->round[1].sent);
    hu_free(hv, &m);
}

/* DMA sets no D bit: the hypervisor's copies into a migrating VM are logged in software. */
Test(hv_migrate, a_hypervisor_write_is_logged_as_dirty)
{
    int vm;
    hv_t *hv = two_hosts(GUEST(16, 8, ld), 1u << 20, &vm);
    hv->mig = (hv_migration_t){.state = HV_MIGRATE_PRECOPY, .vm = (int8_t)vm, .to = 1};
    uint32_t word = 7;
    cr_assert(hv_copy_to_guest(hv, (unsigned)vm, 0x5004, &word, 4, "a test's DMA"));
    cr_expect(hv->mig.dma_dirty[5 / 8] & (1u << 5), "page 5 is in the log");
    cr_expect_eq(hv->mig.dma_dirty[4 / 8] & (1u << 4), 0, "page 4 is not");
    hv->mig.state = HV_MIGRATE_IDLE;
    hu_free(hv, &m);
}

Test(hv_migrate, refusals_are_said)
{
    int vm;
    char err[200];
    hv_t *hv = two_hosts(GUEST(16, 8, ld), 1u << 20, &vm);
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 0, err, sizeof err), -1);
    cr_expect_str_eq(err, "guest already runs on host0");
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 2, err, sizeof err), -1);
    cr_expect_str_eq(err, "there is no host2 (host0 and host1)");
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), 0);
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "guest is migrating already (one migration at a time)");
    hu_free(hv, &m);
    hv_config_t cfg = hu_config();
    hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t c = {.memory = 1u << 20, .pin = {-1}};
    vm = hu_vm(hv, "guest", GUEST(16, 8, ld), &c);
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "the machine has one host: give the scenario [host.0] and [host.1]");
    hu_free(hv, &m);
    hv = two_hosts(GUEST(16, 8, ld), 1u << 20, &vm);
    hv->vms[vm].assigned_nic = 1;
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "guest has the physical network card assigned (assign = nic0): the "
                          "card's state is the machine's, not the VM's, so it cannot move with it");
    hu_free(hv, &m);
}

/* The built-in scenario: tinyos moves mid-run and its transcript equals a native run's. */
Test(hv_migrate, the_migrate_scenario_moves_tinyos_and_its_transcript_is_unchanged)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "migrate");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE);
    cr_expect_eq(hv->vms[0].host, 1);
    cr_expect_gt(hv->mig.nrounds, 2);
    hu_scenario_free(&sc, hv, &m);
    hu_transcripts_equal_native("migrate");
}

/* The same under shadow paging: the dirty log is the write-protected shadows'. Exact figures
 * (docs/migration.md quotes them): round 0 sends the 1 273 pages tinyos has backed, then
 * 391, 126, 46, 21, and the stop-and-copy 14. */
Test(hv_migrate, the_migrate_shadow_scenario_figures)
{
    static const uint32_t sent[] = {1272, 392, 126, 45, 22, 14};
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "migrate-shadow");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_migration_t *g = &hv->mig;
    cr_expect_eq(g->state, HV_MIGRATE_DONE);
    cr_expect_eq(hv->vms[0].host, 1);
    cr_assert_eq(g->nrounds, 6);
    for (unsigned r = 0; r < 6; r++)
        cr_expect_eq(g->round[r].sent, sent[r], "round %u: %u", r, g->round[r].sent);
    cr_expect_eq(downtime(g), 15735, "%llu", (unsigned long long)downtime(g));
    cr_expect_eq(g->resumed - g->started, 836365);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_scenario_free(&sc, hv, &m);
    hu_transcripts_equal_native("migrate-shadow");
}

/* The rtos reports its deadlines after the move: a downtime of 10 820 cycles is far below its
 * tasks' deadlines (realistic ticks), so it misses none. */
Test(hv_migrate, the_rtos_reports_the_deadlines_the_downtime_cost)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "migrate-rtos");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE);
    cr_expect(strstr(hv_vm_console(hv, 0), "all jobs done 147362607 cycles after the start: 0 "
                                           "deadline misses"),
              "%s", hv_vm_console(hv, 0));
    hu_scenario_free(&sc, hv, &m);
}

/* Scenario keys: two hosts or none, every pCPU in one, a migration to the other host, each
 * host's RAM. */
Test(hv_migrate, scenario_errors_name_the_line)
{
#define HOSTS(R0, R1)                                                                              \
    "[machine]\npcpus = 2\nram = 32M\n[host.0]\npcpus = 0\n" R0 "[host.1]\npcpus = 1\n" R1         \
    "[vm a]\nkernel = x.s\n"
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[machine]\npcpus = 2\n[host.0]\npcpus = 0, 1\n[vm a]\nkernel = x.s\n",
         "t.ini:3: error: [host.0] without [host.1]: a scenario has both hosts or neither\n"},
        {"[machine]\npcpus = 3\n[host.0]\npcpus = 0\n[host.1]\npcpus = 1\n[vm a]\nkernel = x.s\n",
         "t.ini:3: error: pCPU 2 belongs to no host: list it in pcpus of [host.0] or [host.1]\n"},
        {"[machine]\npcpus = 2\n[vm a]\nkernel = x.s\nmigrate_at = 5\n",
         "t.ini:5: error: [vm a] migrate_at needs two hosts: give [host.0] and [host.1]\n"},
        {"[machine]\npcpus = 2\n[host.0]\npcpus = 0\n[host.1]\npcpus = 1\n[vm a]\n"
         "kernel = x.s\npin = 1\n",
         "t.ini:7: error: [vm a] pins vcpu0 to pCPU 1, which is host 1's, but the VM runs on "
         "host 0\n"},
        {"[link]\nspeed = 3\n[vm a]\nkernel = x.s\n",
         "t.ini:2: error: unknown key 'speed' in [link] (known: bandwidth, latency, max_rounds, "
         "stop_pages)\n"},
        /* [host.N] ram: each host's own RAM (hv_host.c) */
        {HOSTS("ram = 20M\n", "ram = 20M\n"),
         "t.ini:9: error: [host.1] ram: host0's ram (20480 KiB) and host1's (20480 KiB) add up to "
         "40960 KiB, but the machine has 32768 KiB: the hosts split the machine's RAM between "
         "them\n"},
        {HOSTS("", "ram = 32M\n"),
         "t.ini:8: error: [host.1] ram: host0 needs at least 1088 KiB of ram (its hypervisor's "
         "image and 1 MiB) and host1 at least 1 MiB, of the machine's 32768 KiB\n"},
        {HOSTS("ram = 3000\n", ""),
         "t.ini:6: error: ram = '3000': it must be a size in bytes from 1M to"},
        {HOSTS("memory = 3M\n", ""),
         "t.ini:6: error: unknown key 'memory' in [host.0] (known: pcpus, ram)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        size_t len = 0;
        FILE *diag = open_memstream(&out, &len);
        hv_scenario_t sc;
        cr_expect_eq(hv_scenario_parse(&sc, "t.ini", cases[i].text, ".", ".", diag), -1);
        fclose(diag);
        cr_expect(strstr(out, cases[i].want), "case %zu: %s", i, out);
        hv_scenario_free(&sc);
        free(out);
    }
}

/* ------------------------------------------------------------------------------------------
 * Every CPU technique migrates
 * ------------------------------------------------------------------------------------------ */
/* The write-heavy guest (32 pages stored all the time) and the idle one under each CPU
 * technique: every page holds its data after the move (migrate_and_run), and the figures are
 * exact. trap moves as hw does (its virtual CPU is the VMCB): under nested paging each round
 * sends the 32 pages again and the stop-and-copy carries them (23 108 cycles); under shadow
 * paging the write-protection log slows the guest as under hw. bt adds its monitor's state page
 * to the stop-and-copy (33 pages: 23 517 cycles) and drops its 6 translated blocks: the
 * destination translates them again (8 blocks of 35 instructions, 1 400 cycles, for the
 * store loop and the final check). emu charges its interpreter's work at each exit, in a lump
 * (hv_emu.c): the kick that starts the migration charges every instruction since the last
 * exit, the rounds go by while the pCPU is in that charge, and nothing gets dirty; the switch
 * then waits for the VCPU to leave its pCPU (its VMCB moves into the destination's RAM): it
 * enters again after the lump and runs to its next exit, storing into its 32 pages (2 under
 * shadow paging, where the first store to each faults), which the stop-and-copy carries.
 * The downtime is that wait: 10 638 108 cycles (7 757 820 under shadow paging). */
typedef struct {
    hv_cpu_technique_t cpu;
    hv_mem_technique_t mem;
    bool store;
    uint32_t nrounds;
    uint32_t sent[HV_MIGRATE_MAX_ROUNDS + 1];
    uint64_t downtime;
    uint32_t tc_dropped, blocks_since;
} technique_case_t;

static const technique_case_t technique_cases[] = {
    {HV_CPU_EMU, HV_MEM_NESTED, true, 2, {257, 32}, 10638108, 0, 0},
    {HV_CPU_EMU, HV_MEM_SHADOW, true, 2, {257, 2}, 7757820, 0, 0},
    {HV_CPU_TRAP, HV_MEM_NESTED, true, 9, {257, 32, 32, 32, 32, 32, 32, 32, 32}, 23108, 0, 0},
    {HV_CPU_TRAP, HV_MEM_NESTED, false, 2, {257, 0}, 10000, 0, 0},
    {HV_CPU_TRAP, HV_MEM_SHADOW, true, 9, {257, 32, 26, 23, 22, 21, 21, 21, 22}, 19012, 0, 0},
    {HV_CPU_BT, HV_MEM_SHADOW, true, 9, {257, 32, 32, 32, 32, 32, 32, 32, 33}, 23517, 6, 8},
    {HV_CPU_BT, HV_MEM_SHADOW, false, 2, {257, 1}, 10410, 6, 8},
};

Test(hv_migrate, every_cpu_technique_migrates_with_exact_figures)
{
    for (size_t i = 0; i < sizeof technique_cases / sizeof technique_cases[0]; i++) {
        const technique_case_t *t = &technique_cases[i];
        int vm;
        hv_t *hv = t->store ? two_hosts_tech(GUEST(256, 32, st), 2u << 20, t->cpu, t->mem, &vm)
                            : two_hosts_tech(GUEST(256, 32, ld), 2u << 20, t->cpu, t->mem, &vm);
        const hv_migration_t *g = migrate_and_run(hv, vm);
        cr_assert_eq(g->nrounds, t->nrounds, "case %zu: %u rounds", i, g->nrounds);
        for (uint32_t r = 0; r < g->nrounds; r++)
            cr_expect_eq(g->round[r].sent, t->sent[r], "case %zu, round %u: %u", i, r,
                         g->round[r].sent);
        cr_expect_eq(downtime(g), t->downtime, "case %zu: %llu", i,
                     (unsigned long long)downtime(g));
        cr_expect_eq(g->monitor_pages, t->cpu == HV_CPU_BT ? 1u : 0u, "case %zu", i);
        cr_expect_eq(g->tc_dropped, t->tc_dropped, "case %zu: %u", i, g->tc_dropped);
        cr_expect_eq(hv->vms[vm].stats.bt.blocks - g->blocks_before, t->blocks_since,
                     "case %zu: %llu", i,
                     (unsigned long long)(hv->vms[vm].stats.bt.blocks - g->blocks_before));
        hu_free(hv, &m);
    }
}

/* Under bt a store into a page of translated code faults into the monitor, which performs it
 * itself (no shadow fill, no W given back): the page is logged there, or the destination would
 * keep the value of round 0. The guest counts into a word beside its code, then checks it. */
#define CODE_PAGE_STORES                                                                           \
    ".org 0x1000\n"                                                                                \
    "        li r1, 0x1800\n"                                                                      \
    "        li r2, 0\n"                                                                           \
    "        li r6, 100000\n"                                                                      \
    "loop:   addi r2, r2, 1\n"                                                                     \
    "        st r2, [r1]\n"                                                                        \
    "        addi r6, r6, -1\n"                                                                    \
    "        cmpi r6, 0\n"                                                                         \
    "        bne loop\n"                                                                           \
    "        ld r3, [r1]\n"                                                                        \
    "        cmp r3, r2\n"                                                                         \
    "        bne bad\n"                                                                            \
    "        li r5, 0\n"                                                                           \
    "        out r5, [0xf0]\n"                                                                     \
    "bad:    li r5, 1\n"                                                                           \
    "        out r5, [0xf0]\n"

Test(hv_migrate, under_bt_the_monitor_logs_the_stores_it_performs)
{
    int vm;
    hv_t *hv = two_hosts_tech(CODE_PAGE_STORES, 1u << 20, HV_CPU_BT, HV_MEM_SHADOW, &vm);
    const hv_migration_t *g = migrate_and_run(hv, vm);
    cr_expect_gt(hv->vms[vm].stats.bt.protected_writes, 1000, "the stores were the monitor's");
    cr_expect_eq(g->round[g->nrounds - 1].sent, 2, "the code page and the state page: %u",
                 g->round[g->nrounds - 1].sent);
    hu_free(hv, &m);
}

/* tinyos's session migrated as in the scenario migrate, under another CPU technique: its
 * transcript equals a native run's (under trap: an unmigrated run's) apart from timing lines. */
#define MIGRATE_TECH(cpu, mem)                                                                     \
    "[machine]\npcpus = 3\nram = 64M\n\n[hypervisor]\ntype = 1\nscheduler = pin\n\n"               \
    "[host.0]\npcpus = 0, 1\n\n[host.1]\npcpus = 2\n\n"                                            \
    "[link]\nbandwidth = 10000\nlatency = 10000\nmax_rounds = 8\nstop_pages = 16\n\n"              \
    "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = " cpu "\nmem = " mem "\n"                 \
    "migrate_at = 2000000\ninput = help\\nhello\\nsyscalls\\npagetouch\\nforkwait\\nfault\\n"      \
    "counter &\\ncounter &\\nps\\nwait\\npoweroff\\n\n"

/* Runs the scenario text (NULL: the built-in scenario `name`), compares tinyos's transcript with a
 * native run's, and checks the migration's figures: the pages each round sent (0-terminated), the
 * downtime, and under bt the blocks the switch dropped and those translated on host1 since. */
static void tinyos_migrates_under(const char *name, const char *text, const uint32_t *sent,
                                  uint64_t down, uint32_t dropped, uint64_t since)
{
    static hv_scenario_t sc;
    hv_t *hv = text ? hu_scenario_text(&sc, &m, name, text) : hu_scenario(&sc, &m, name);
    hu_transcripts_equal_native_run(name, &sc, hv);
    const hv_migration_t *g = &hv->mig;
    cr_expect_eq(g->state, HV_MIGRATE_DONE, "%s: %s", name, g->why);
    cr_expect_eq(hv->vms[0].host, 1);
    uint32_t n = 0;
    while (sent[n])
        n++;
    cr_assert_eq(g->nrounds, n, "%s: %u rounds", name, g->nrounds);
    for (uint32_t r = 0; r < n; r++)
        cr_expect_eq(g->round[r].sent, sent[r], "%s, round %u: %u", name, r, g->round[r].sent);
    cr_expect_eq(downtime(g), down, "%s: %llu", name, (unsigned long long)downtime(g));
    cr_expect_eq(g->tc_dropped, dropped, "%s: %u", name, g->tc_dropped);
    cr_expect_eq(hv->vms[0].stats.bt.blocks - g->blocks_before, since, "%s: %llu", name,
                 (unsigned long long)(hv->vms[0].stats.bt.blocks - g->blocks_before));
    hu_scenario_free(&sc, hv, &m);
}

/* Under trap, tinyos's transcript is not the native one even unmigrated (popf does not trap:
 * its critical sections never unmask interrupts again, scenario trap-popf; it stops after its
 * boot loader's lines): the migrated run's equals the unmigrated one's apart from timing lines.
 * The write-heavy guest above is what shows trap's memory moving intact. */
Test(hv_migrate, tinyos_migrated_under_trap_keeps_its_transcript)
{
    static hv_scenario_t sc;
    char *text = strdup(MIGRATE_TECH("trap", "nested"));
    hv_t *hv = hu_scenario_text(&sc, &m, "migrate-trap", text);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE, "%s", hv->mig.why);
    cr_expect_eq(hv->vms[0].host, 1);
    cr_expect_eq(hv->mig.round[hv->mig.nrounds - 1].sent, 17);
    char *moved = hu_untimed(hv_vm_console(hv, 0));
    hu_scenario_free(&sc, hv, &m);
    memcpy(strstr(text, "migrate_at"), ";igrate_at", 10); /* the same run, unmigrated */
    hv = hu_scenario_text(&sc, &m, "trap", text);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_IDLE);
    char *stayed = hu_untimed(hv_vm_console(hv, 0));
    cr_expect_str_eq(moved, stayed);
    cr_expect_gt(strlen(stayed), 50, "%s", stayed);
    hu_scenario_free(&sc, hv, &m);
    free(moved);
    free(stayed);
    free(text);
}

/* The built-in scenario migrate-bt: round 0 sends the 2 022 pages tinyos has backed (bt is
 * slower, it has touched them all by then), round 1 the 17 it dirtied meanwhile, the
 * stop-and-copy 3 and the monitor's state page; the switch drops 482 translated blocks and
 * host1 translates 395 again by the end. */
Test(hv_migrate, tinyos_migrated_under_bt_keeps_its_transcript)
{
    static const uint32_t sent[] = {2022, 17, 4, 0}; /* the stop-and-copy: 3 + the monitor's */
    tinyos_migrates_under("migrate-bt", NULL, sent, 11639, 482, 395);
}

Test(hv_migrate, tinyos_migrated_under_emu_keeps_its_transcript)
{
    static const uint32_t sent[] = {1071, 290, 83, 30, 16, 0};
    tinyos_migrates_under("migrate-emu", MIGRATE_TECH("emu", "nested"), sent, 16554, 0, 0);
}

/* ------------------------------------------------------------------------------------------
 * Each host's RAM (hv_host.c, hv_rehome.c; docs/migration.md "Two hosts, each with its RAM"):
 * every frame a VM uses is its host's, a migration builds the VM's structures again in the
 * destination's RAM and gives the source's frames back, a destination without room is refused
 * (or the migration fails and the VM goes on at the source), and the checker catches a VM
 * reaching the other host's RAM.
 * ------------------------------------------------------------------------------------------ */
/* two_hosts_tech with host1 given `ram` bytes of the machine's 16 MiB (0: half) and a VM of
 * 4 MiB. */
static hv_t *ram_hosts(const char *src, uint32_t ram, hv_cpu_technique_t cpu,
                       hv_mem_technique_t mem, int *vm)
{
    host1_ram = ram;
    hv_t *hv = two_hosts_tech(src, 4u << 20, cpu, mem, vm);
    cr_assert_geq(*vm, 0);
    return hv;
}

/* True when every frame the VM owns, its nested root, VMCB and monitor pages are in host h. */
static bool all_on(const hv_t *hv, int vm, unsigned h)
{
    uint32_t first, end;
    hv_host_frames(hv, h, &first, &end);
    const hv_vm_t *v = &hv->vms[vm];
    for (uint32_t f = 0; f < hv->nframes; f++)
        if (hv->owner[f] == HV_FRAME_VM(vm) && (f < first || f >= end))
            return false;
    const hv_vcpu_t *e = &hv->ent[v->vcpu[0]];
    uint32_t pages[] = {v->nested_root, e->vmcb, e->bt.state, e->bt.sites, e->bt.tc[0]};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (pages[i] && hv_frame_host(hv, pages[i] >> MMU_PAGE_SHIFT) != h)
            return false;
    return true;
}

/* The split: 8 MiB each by default; host0's frames start with the hypervisor's image. */
Test(hv_migrate_ram, the_machine_s_ram_is_split_between_the_hosts)
{
    int vm;
    hv_t *hv = ram_hosts(GUEST(64, 8, ld), 0, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_expect_eq(hv->cfg.host_ram[0], 8u << 20);
    cr_expect_eq(hv->cfg.host_ram[1], 8u << 20);
    uint32_t first, end;
    hv_host_frames(hv, 1, &first, &end);
    cr_expect_eq(first, 2048);
    cr_expect_eq(end, 4096);
    cr_expect_eq(hv_host_free_frames(hv, 1), 2048, "host1's RAM is untouched");
    cr_expect(all_on(hv, vm, 0), "the VM's frames are host0's");
    hu_free(hv, &m);

    char why[200];
    cr_expect_str_eq(hv_host_ram_refusal(12u << 20, 12u << 20, 16u << 20, why, sizeof why),
                     "host0's ram (12288 KiB) and host1's (12288 KiB) add up to 24576 KiB, but "
                     "the machine has 16384 KiB: the hosts split the machine's RAM between them");
    cr_expect_null(hv_host_ram_refusal(0, 3u << 20, 16u << 20, why, sizeof why), "host0: the rest");

    /* A scenario's [host.1] ram: host0 has the rest, and a VM started on host1 lives there */
    hv_scenario_t sc;
    hv = hu_scenario_text(&sc, &m, "split",
                          "[machine]\npcpus = 2\nram = 32M\n\n[hypervisor]\ntype = 1\n\n"
                          "[host.0]\npcpus = 0\n\n[host.1]\npcpus = 1\nram = 12M\n\n"
                          "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\nhost = 1\n"
                          "input = hello\\npoweroff\\n\n");
    cr_expect_eq(hv->cfg.host_ram[0], 20u << 20);
    cr_expect_eq(hv->cfg.host_ram[1], 12u << 20);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    cr_expect(all_on(hv, 0, 1), "tinyos's frames are host1's");
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_scenario_free(&sc, hv, &m);
}

/* Every technique: after the move all the VM's frames and structures are host1's, host0's RAM
 * has every frame back but the hypervisor's image, the guest's pages held their data, and the
 * checker (which walks nested and shadow trees) holds. */
Test(hv_migrate_ram, a_migrated_vm_lives_in_the_destination_s_ram, .timeout = 120)
{
    static const struct {
        hv_cpu_technique_t cpu;
        hv_mem_technique_t mem;
    } cases[] = {{HV_CPU_HW, HV_MEM_NESTED}, {HV_CPU_HW, HV_MEM_SHADOW},
                 {HV_CPU_EMU, HV_MEM_NESTED}, {HV_CPU_TRAP, HV_MEM_SHADOW},
                 {HV_CPU_BT, HV_MEM_SHADOW}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int vm;
        hv_t *hv = ram_hosts(GUEST(128, 8, ld), 0, cases[i].cpu, cases[i].mem, &vm);
        char err[200];
        cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, 300000, err, sizeof err), 0, "%s",
                     err);
        cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
        cr_expect_eq(hv->mig.state, HV_MIGRATE_DONE, "case %zu: %s", i, hv->mig.why);
        cr_expect_eq(hv->vms[vm].exit_code, 0, "case %zu: every page held its data", i);
        cr_expect(all_on(hv, vm, 1), "case %zu: the VM's frames are host1's", i);
        cr_expect_eq(hv_host_free_frames(hv, 0), 2048 - HV_RESERVED_BYTES / MMU_PAGE_SIZE,
                     "case %zu: host0 has its RAM back", i);
        char why[200];
        cr_expect_null(hv_check_invariants(hv, why, sizeof why), "case %zu: %s", i, why);
        hu_free(hv, &m);
    }
}

/* A destination too small for the VM: refused at once when the VM is that big already; when it
 * grows past it during the rounds, the migration fails and the VM goes on at the source. */
Test(hv_migrate_ram, no_room_on_the_destination_refuses_the_migration)
{
    int vm;
    hv_t *hv = ram_hosts(GUEST(400, 8, ld), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    uint64_t until = 100000;
    while (hv->vms[vm].frames < 400 && until < 5000000)
        hv_run(hv, until += 100000); /* until its 400 pages are touched */
    char err[300];
    cr_expect_eq(hv_migrate_start(hv, (unsigned)vm, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "host1 has no room for guest: its 401 pages and 3 frames of tables and "
                          "VMCBs need 404 frames of host1's RAM, 256 are free");
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[vm].exit_code, 0);
    cr_expect_eq(hv->vms[vm].host, 0);
    hu_free(hv, &m);

    hv = ram_hosts(GUEST(400, 8, ld), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, 300000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_FAILED);
    cr_expect_str_eq(hv->mig.why, "host1's RAM is full: no frame for the copy of a page",
                     "it had room at the start, and grew during the rounds");
    cr_expect_eq(hv->vms[vm].exit_code, 0, "it ran to its end at the source");
    cr_expect_eq(hv->vms[vm].host, 0);
    cr_expect_eq(hv_host_free_frames(hv, 1), 256, "host1 kept nothing of it");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);

    /* migrate_at for when it has grown: checked again at the start */
    hv = ram_hosts(GUEST(400, 8, ld), 1u << 20, HV_CPU_HW, HV_MEM_NESTED, &vm);
    cr_assert_eq(hv_migrate_schedule(hv, (unsigned)vm, 1, until, err, sizeof err), 0, "%s", err);
    cr_assert_eq(hv_run(hv, 400000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->mig.state, HV_MIGRATE_FAILED);
    cr_expect(strstr(hv->mig.why, "host1 has no room for guest: its 4") != NULL, "%s", hv->mig.why);
    cr_expect_eq(hv->vms[vm].exit_code, 0, "it ran to its end at the source");
    cr_expect_eq(hv_host_free_frames(hv, 1), 256, "host1 kept nothing of it");
    hu_free(hv, &m);
}

/* The checker: a VM owning, or a VCPU's VMCB in, a frame of the other host is caught. */
Test(hv_migrate_ram, the_checker_catches_a_vm_reaching_the_other_host)
{
    int vm;
    hv_t *hv = ram_hosts(GUEST(16, 8, ld), 0, HV_CPU_HW, HV_MEM_NESTED, &vm);
    hv_run(hv, 100000);
    char why[200];
    cr_assert_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hv_vcpu_t *e = &hv->ent[hv->vms[vm].vcpu[0]];
    uint32_t vmcb = e->vmcb, other = hv_frame_alloc(hv, 1, HV_FRAME_HV);
    e->vmcb = other;
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "",
                     "VM guest runs on host0, but its VMCB is in a frame 0x00800, which is host1's");
    e->vmcb = vmcb;
    hv_frame_free(hv, other);
    uint32_t leaf = hv_nested_leaf_entry(hv, (unsigned)vm, 0x100000, false, &(bool){false});
    cr_assert_neq(leaf, 0);
    uint32_t pte = hv_read32(hv, leaf), frame = MMU_PTE_PFN(pte);
    other = hv_frame_alloc(hv, 1, (uint8_t)HV_FRAME_VM(vm));
    hv->owner[frame] = HV_FRAME_FREE;
    hv_write32(hv, leaf, MMU_PTE_MAKE(other >> MMU_PAGE_SHIFT, pte & MMU_PAGE_OFFSET));
    for (unsigned c = 0; c < hv->m->ncpus; c++) /* as a hypervisor changing a leaf would */
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, hv->vms[vm].vmid, 0, 0);
    char want[120];
    snprintf(want, sizeof want, "VM guest runs on host0, but owns frame 0x%05x, which is host1's",
             other >> MMU_PAGE_SHIFT);
    cr_expect_str_eq(hv_check_invariants(hv, why, sizeof why) ? why : "", want);
    hu_free(hv, &m);
}

/* Page sharing merges twins only within one host's RAM: two VMs with the same pages on two
 * hosts share nothing (the checker would see a VM mapping the other host's frame), the same
 * two on one host do. */
Test(hv_migrate_ram, pages_are_shared_only_within_a_host, .timeout = 60)
{
    for (unsigned same_host = 0; same_host < 2; same_host++) {
        hv_config_t cfg = hu_config();
        cfg.hosts = 2;
        cfg.cpu_host[1] = 1;
        cfg.sharing = true;
        hv_t *hv = hu_machine(&m, 2, &cfg);
        hv_vm_config_t a = {.memory = 1u << 20, .pin = {-1}};
        hv_vm_config_t b = {.memory = 1u << 20, .pin = {-1}, .host = same_host ? 0 : 1};
        if (same_host) /* one pCPU for both */
            hv->cfg.sched = HV_SCHED_OVERCOMMIT;
        cr_assert_geq(hu_vm(hv, "a", GUEST(16, 8, ld), &a), 0);
        cr_assert_geq(hu_vm(hv, "b", GUEST(16, 8, ld), &b), 0);
        hv_run(hv, 3000000);
        char why[200];
        cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
        if (same_host)
            cr_expect_gt(hv->share.live, 0, "twins on one host are shared");
        else
            cr_expect_eq(hv->share.live, 0, "no frame is shared across hosts");
        hu_free(hv, &m);
    }
}
