/*
 * test_hv_bt_adapt.c - adaptive binary translation (cpu = bt with shadow_sync = trace,
 * hypervisor/hv_bt_adapt.c): a store site that trapped bt_adapt_traps times on a traced page
 * table is translated again and then stores without a trap; the count is exact, the shadows
 * stay in step with the adapted stores (across address spaces too), the counters and the
 * statistics say what happened, and a snapshot keeps the site record.
 *
 * The guests are small kernels written here, two levels of 4 KiB pages:
 *   gpa 0x10000 root A, 0x11000 its table for 0..4 MiB
 *   gpa 0x12000 root B, 0x13000 its table for 0..4 MiB
 *   gpa 0x20000, 0x21000, 0x22000 data frames holding 111, 222, 333
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_technique.h"
#include "hv_util.h"
#include "snap_util.h"

#define ROOT_A 0x10000u
#define L0_A 0x11000u
#define ROOT_B 0x12000u
#define L0_B 0x13000u
#define DATA(i) (0x20000u + 0x1000u * (i))
#define PAGE 0x200000u /* the page the guest remaps */
#define LEAF(gpa) MMU_PTE_MAKE((gpa) >> 12, MMU_PTE_V | MMU_PTE_R | MMU_PTE_W | MMU_PTE_A)
#define ROUNDS 20

/* Paging on with root A (ASID 1), then the body, then power-off. */
#define PAGED(body) ".org 0x1000\nli r1, 0x10003\ncsrw ptroot, r1\n" body "\nout r0, [0xf0]\n"

/* Maps page va -> gpa in the tree at root (whose table for va's 4 MiB is l0). */
static void gmap(hv_t *hv, int vm, uint32_t root, uint32_t l0, uint32_t va, uint32_t gpa,
                 uint32_t bits)
{
    hu_put_word(hv, vm, root + 4 * (va >> 22), MMU_PTE_MAKE(l0 >> 12, MMU_PTE_V));
    hu_put_word(hv, vm, l0 + 4 * ((va >> 12) & 0x3ff), MMU_PTE_MAKE(gpa >> 12, MMU_PTE_V | bits));
}

/* A one-VM bt machine with traces running `src`, stores adapting after `traps` traps (0:
 * never): tree A maps the code, PAGE (DATA 0) and its own table pages; tree B maps the code and
 * PAGE (DATA 1). */
static int adapt_vm_of(sim_machine_t *m, hv_t **hv, const char *src, uint32_t traps,
                       unsigned vcpus)
{
    hv_config_t cfg = hu_config();
    cfg.shadow_trace = true;
    *hv = hu_machine(m, vcpus, &cfg);
    m->costs.c[SIM_COST_bt_adapt_traps] = traps;
    hv_vm_config_t c = {
        .cpu = HV_CPU_BT, .mem = HV_MEM_SHADOW, .vcpus = vcpus, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    const uint32_t kdata = MMU_PTE_R | MMU_PTE_W, kcode = MMU_PTE_R | MMU_PTE_X;
    gmap(*hv, vm, ROOT_A, L0_A, 0x1000, 0x1000, kcode);
    gmap(*hv, vm, ROOT_A, L0_A, PAGE, DATA(0), kdata);
    gmap(*hv, vm, ROOT_A, L0_A, L0_A, L0_A, kdata);
    gmap(*hv, vm, ROOT_A, L0_A, L0_B, L0_B, kdata);
    gmap(*hv, vm, ROOT_A, L0_A, ROOT_B, ROOT_B, kdata);
    gmap(*hv, vm, ROOT_B, L0_B, 0x1000, 0x1000, kcode);
    gmap(*hv, vm, ROOT_B, L0_B, PAGE, DATA(1), kdata);
    for (unsigned i = 0; i < 3; i++)
        hu_put_word(*hv, vm, DATA(i), 111 * (i + 1));
    return vm;
}

static int adapt_vm(sim_machine_t *m, hv_t **hv, const char *src, uint32_t traps)
{
    return adapt_vm_of(m, hv, src, traps, 1);
}

static uint32_t reg(sim_machine_t *m, hv_t *hv, int vm, unsigned r)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(r));
}

static void expect_invariants(hv_t *hv)
{
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
}

/* ROUNDS times: remap PAGE to DATA 1 and read it, remap it to DATA 0 and read it (two store
 * sites, no tlbinv: the traces keep the shadow in step). r10 sums what was read. */
static const char remap_loop[] =
    PAGED("li r2, 0x200000\nld r3, [r2]\n"
          "li r4, 0x11800\nli r5, 0x21000\nori r5, r5, 0x27\nli r6, 0x20000\nori r6, r6, 0x27\n"
          "li r9, 20\nli r10, 0\n"
          "loop: st r5, [r4]\nld r3, [r2]\nadd r10, r10, r3\n"
          "st r6, [r4]\nld r3, [r2]\nadd r10, r10, r3\n"
          "addi r9, r9, -1\ncmpi r9, 0\nbne loop\n");

/* bt_adapt_traps = 0 (never), 3, 8 (the default), 25 (more than the loop's rounds). */
static const uint32_t thresholds[] = {0, 3, 8, 25};

ParameterizedTestParameters(hv_bt_adapt, a_site_adapts_after_exactly_n_traps)
{
    TH_ROW_INDICES(4);
}

ParameterizedTest(size_t *row, hv_bt_adapt, a_site_adapts_after_exactly_n_traps)
{
    cr_assert_eq(LEAF(DATA(1)), 0x21027u, "the loop's constants are the leaves");
    uint32_t n = thresholds[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = adapt_vm(&m, &hv, remap_loop, n);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF, "n = %u", n);
    cr_expect_eq(reg(&m, hv, vm, 10), ROUNDS * (222 + 111), "n = %u: every read saw its frame", n);
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    uint32_t trapped = n && n <= ROUNDS ? n : ROUNDS; /* per site */
    bool adapts = n && n <= ROUNDS;
    cr_expect_eq(s->shadow.trace_stores, 2 * ROUNDS, "n = %u: every store followed", n);
    cr_expect_eq(s->bt.adaptations, adapts ? 2 : 0, "n = %u: %llu", n,
                 (unsigned long long)s->bt.adaptations);
    cr_expect_eq(s->bt.adapted_stores, 2 * (ROUNDS - trapped), "n = %u: %llu", n,
                 (unsigned long long)s->bt.adapted_stores);
    const hv_bt_adapt_t *a = &hv->vms[vm].bt_adapt;
    cr_expect_eq(a->nsites, n ? 2 : 0, "n = %u", n);
    for (unsigned i = 0; i < a->nsites; i++) {
        cr_expect_eq(a->site[i].traps, trapped, "n = %u: site %u trapped %u times", n, i,
                     a->site[i].traps);
        cr_expect_eq(a->site[i].adapted, adapts, "n = %u", n);
    }
    cr_expect_eq(hu_get_word(hv, vm, L0_A + 4 * (PAGE >> 12 & 0x3ff)), LEAF(DATA(0)), "n = %u", n);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The monitor traps an adapted store saves, counted against a run that never adapts: each
 * store after the eighth at each site is no trap, and the run is cheaper. */
Test(hv_bt_adapt, an_adapted_store_is_no_trap_and_costs_less)
{
    static sim_machine_t m;
    hv_t *hv;
    uint64_t traps[2], cycles[2];
    for (unsigned k = 0; k < 2; k++) {
        int vm = adapt_vm(&m, &hv, remap_loop, k ? 8 : 0);
        cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
        traps[k] = hv->vms[vm].stats.bt.monitor_traps;
        cycles[k] = m.cpu[0].s.cycles;
        hu_free(hv, &m);
    }
    cr_expect_eq(traps[0] - traps[1], 2 * (ROUNDS - 8), "%llu against %llu",
                 (unsigned long long)traps[0], (unsigned long long)traps[1]);
    cr_expect_lt(cycles[1], cycles[0]);
}

/* Address-space switches: while A runs, the guest rewrites B's leaf for PAGE (DATA 2, then
 * DATA 1) and B's root entry (the same value back), switching to B to read PAGE after each:
 * every read sees the frame just stored, before and after the three sites adapt. */
Test(hv_bt_adapt, adapted_stores_keep_other_address_spaces_in_step)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = adapt_vm(&m, &hv,
                      PAGED("li r2, 0x200000\nli r4, 0x13800\nli r5, 0x22000\nori r5, r5, 0x27\n"
                            "li r6, 0x21000\nori r6, r6, 0x27\nli r8, 0x12000\n"
                            "li r9, 20\nli r10, 0\n"
                            "loop: st r5, [r4]\n"
                            "li r1, 0x12005\ncsrw ptroot, r1\nld r3, [r2]\nadd r10, r10, r3\n"
                            "li r1, 0x10003\ncsrw ptroot, r1\n"
                            "st r6, [r4]\nld r7, [r8]\nst r7, [r8]\n"
                            "li r1, 0x12005\ncsrw ptroot, r1\nld r3, [r2]\nadd r10, r10, r3\n"
                            "li r1, 0x10003\ncsrw ptroot, r1\n"
                            "addi r9, r9, -1\ncmpi r9, 0\nbne loop\n"),
                      8);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(&m, hv, vm, 10), ROUNDS * (333 + 222));
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    cr_expect_eq(s->bt.adaptations, 3, "%llu", (unsigned long long)s->bt.adaptations);
    /* B's leaf table is traced only once B ran: the first store to it is a plain store, so
     * that site traps from the second round and adapts at the ninth */
    cr_expect_eq(s->bt.adapted_stores, 3 * (ROUNDS - 8) - 1, "%llu",
                 (unsigned long long)s->bt.adapted_stores);
    cr_expect_eq(s->shadow.trace_stores, 3 * ROUNDS - 1, "%llu",
                 (unsigned long long)s->shadow.trace_stores);
    cr_expect_eq(s->shadow.tlbinv_syncs + s->shadow.tlbflush_syncs, 0);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* An adapted store to a page the guest's tables do not let it write is the guest's own page
 * fault, at the store: the sequence looks before it stores. */
Test(hv_bt_adapt, an_adapted_store_the_tables_refuse_is_the_guests_fault)
{
    static sim_machine_t m;
    hv_t *hv;
    /* 20 stores to A's table, then one through r4 = 0x300000, which nothing maps */
    int vm = adapt_vm(&m, &hv,
                      PAGED("la r1, handler\ncsrw tvec, r1\n"
                            "li r4, 0x11800\nli r6, 0x20000\nori r6, r6, 0x27\nli r9, 21\n"
                            "loop: cmpi r9, 1\nbne store\nli r4, 0x300000\n"
                            "store: st r6, [r4]\naddi r9, r9, -1\ncmpi r9, 0\nbne loop\n"
                            "b done\n"
                            "handler: csrr r11, cause\ncsrr r12, tval\ncsrr r1, epc\n"
                            "addi r1, r1, 4\ncsrw epc, r1\niret\ndone:\n"),
                      8);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_STORE_PAGE_FAULT);
    cr_expect_eq(reg(&m, hv, vm, 12), 0x300000);
    cr_expect_eq(hv->vms[vm].stats.bt.adapted_stores, 12);
    hu_free(hv, &m);
}

static const char bench_bt_traced[] = "[machine]\npcpus = 1\n[hypervisor]\nshadow_sync = trace\n"
                                      "[vm bench]\nimage = bench.img\nmemory = 4M\ncpu = bt\n"
                                      "mem = shadow\n";

/* The bench guest under bt with traces: the same stores as under hw (ptemod's 400; 39 forks of
 * 1 025 traced stores), three store sites adapt (ptemod's, the copy's, the child's root), and
 * every store after a site's eighth trap is adapted; --stats says so. */
Test(hv_bt_adapt, the_bench_guests_counters_are_exact, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, "bench-bt", bench_bt_traced);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_vm_stats_t *s = &hv->vms[0].stats;
    cr_expect_eq(s->shadow.trace_stores, 400 + 39 * 1025, "%llu",
                 (unsigned long long)s->shadow.trace_stores);
    cr_expect_eq(s->bt.adaptations, 3, "%llu", (unsigned long long)s->bt.adaptations);
    cr_expect_eq(s->bt.adapted_stores, 400 + 39 * 1025 - 3 * 8, "%llu",
                 (unsigned long long)s->bt.adapted_stores);
    char *text = hu_stats_text(hv);
    cr_expect(strstr(text, "adaptive binary translation: 3 store sites (retranslated after 8 "
                           "traps each), 40 351 adapted stores done in the TC without a trap"),
              "%s", text);
    free(text);
    hu_scenario_free(&sc, hv, &m);
}

/* A snapshot taken after the sites adapted keeps their record: the loaded copy runs on to the
 * same end, state for state, adapting nothing again. */
Test(hv_bt_adapt, a_snapshot_keeps_the_adapted_sites, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m, fresh;
    hv_t *hv = hu_scenario_text(&sc, &m, "bench-bt", bench_bt_traced);
    uint64_t max = sc.max_cycles;
    cr_assert_eq(hv_run(hv, max), SIM_RUN_POWEROFF);
    uint64_t length = m.cpu[0].s.cycles;
    char *uninterrupted = su_fingerprint(&m);
    hu_scenario_free(&sc, hv, &m);
    hv = hu_scenario_text(&sc, &m, "bench-bt", bench_bt_traced);
    hv_run(hv, length * 3 / 4);
    cr_assert_eq(hv->vms[0].bt_adapt.nsites, 3, "the sites adapted before the save");
    su_save_and_load(&m, &fresh, "bench-bt");
    hv_t *copy = hv_of_machine(&fresh);
    cr_assert_not_null(copy);
    cr_expect_eq(memcmp(&copy->vms[0].bt_adapt, &hv->vms[0].bt_adapt, sizeof hv->vms[0].bt_adapt),
                 0, "the site record is saved");
    hu_scenario_free(&sc, hv, &m);
    su_run_to_end(&fresh, max);
    char *got = su_fingerprint(&fresh);
    cr_expect_str_eq(got, uninterrupted);
    cr_expect_eq(copy->vms[0].stats.bt.adaptations, 3);
    free(got);
    free(uninterrupted);
    hv_machine_release(&fresh);
}

/* ------------------------------------------------------------------------------------------
 * What an entry into the monitor was, by the monitor's records, not by the address
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    hv_t *hv;
    unsigned calls, traps, adapted; /* the sentences of breakpoint entries, by kind */
} sentences_t;

/* Every entry of the monitor by a breakpoint, described at once (as the trace export does). */
static void describe(const sim_event_t *ev, void *ctx)
{
    sentences_t *s = ctx;
    if (ev->kind != SIM_EV_VMEXIT || !(ev->flags & SIM_EVF_MONITOR) ||
        ev->b != CPU_CAUSE_BREAKPOINT || !s->hv)
        return;
    char buf[300];
    hv_describe_exit(s->hv, ev, buf, sizeof buf);
    s->adapted += strncmp(buf, "an adapted store of guest", 25) == 0;
    s->calls += strncmp(buf, "a call into guest's", 19) == 0;
    s->traps += strncmp(buf, "a trap into guest's", 19) == 0;
}

/* The guest kernel's own brk, translated as it is, is a trap the monitor reflects, though its
 * word is in the TC; the block exits and callouts are calls; an adapted store is neither. */
Test(hv_bt_adapt, a_monitor_entry_is_told_by_the_tc_map_not_the_address)
{
    static sim_machine_t m;
    static sentences_t s;
    hv_t *hv;
    int vm = adapt_vm(&m, &hv,
                      PAGED("la r1, handler\ncsrw tvec, r1\nbrk\n"
                            "li r4, 0x11800\nli r6, 0x20000\nori r6, r6, 0x27\nli r9, 10\n"
                            "loop: st r6, [r4]\naddi r9, r9, -1\ncmpi r9, 0\nbne loop\n"
                            "b done\n"
                            "handler: csrr r11, cause\niret\n" /* brk's epc is past it */
                            "done:\n"),
                      8);
    s = (sentences_t){.hv = hv};
    cr_assert_eq(sim_add_sink(&m, describe, &s), 0);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_BREAKPOINT, "the guest's own breakpoint");
    cr_expect_eq(s.traps, 1, "the guest's brk: %u", s.traps);
    cr_expect_eq(s.adapted, 2, "the stores after the eighth: %u", s.adapted);
    cr_expect_eq(s.calls + s.traps + s.adapted, hv->vms[vm].stats.bt.callouts + 1 + 2,
                 "every breakpoint entry is one of the three");
    s.hv = NULL;
    hu_free(hv, &m);
}

/* The guest pc of a TC address is answered only for a VCPU the monitor entered in the TC: the
 * same address in a VCPU that last ran its own code (virtual U, which may map anything there)
 * is no translation. */
Test(hv_bt_adapt, the_guest_pc_of_tc_code_needs_the_monitors_record)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = adapt_vm(&m, &hv, remap_loop, 8);
    cr_assert_eq(hv_run(hv, 20000000), SIM_RUN_POWEROFF);
    hv_vcpu_t *v = &hv->ent[hv->vms[vm].vcpu[0]];
    uint32_t tc = hv->vms[vm].stats.bt.blocks ? v->bt.block[0].tc : 0, gpc;
    cr_assert(v->bt.in_tc, "powered off from its translated kernel");
    cr_expect(hv_bt_guest_pc(hv, (unsigned)vm, 0, tc, &gpc));
    cr_expect_eq(gpc, v->bt.block[0].gva);
    v->bt.in_tc = 0; /* as after an entry into its user code */
    cr_expect_not(hv_bt_guest_pc(hv, (unsigned)vm, 0, tc, &gpc));
    hu_free(hv, &m);
}

/* The REPL's `info stats` shows the counters too (the same lines as --stats). */
Test(hv_bt_adapt, info_stats_in_the_repl_says_what_adapted, .timeout = 60)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && printf '[machine]\\npcpus = 1\\n[hypervisor]\\n"
                      "shadow_sync = trace\\n[vm bench]\\nimage = bench.img\\nmemory = 4M\\n"
                      "cpu = bt\\nmem = shadow\\n' > $d/b.ini && printf 'continue\\ninfo stats\\n'"
                      " > $d/s && $B/hvsim -x $d/s --scenario $d/b.ini; s=$?; rm -rf $d; exit $s",
                      false, &status);
    cr_expect(strstr(out, "    adaptive binary translation: 3 store sites (retranslated after 8 "
                          "traps each), 40 351 adapted stores done in the TC without a trap "
                          "(40 351 to traced page tables)\n"),
              "%s", out);
    free(out);
}

/* Both kernels under bt with traces: their transcripts equal the native ones but for timing
 * lines while tinyos's store sites adapt (zero_page's four stores among its eight), exactly
 * as docs/experiments.md counts them. */
Test(hv_bt_adapt, both_kernels_keep_their_transcripts_while_stores_adapt, .timeout = 180)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_with(&sc, &m, "bt", (hu_override_t){.backing = -1, .mem = -1, true});
    hu_transcripts_equal_native_run("bt", &sc, hv);
    const hv_bt_stats_t *s = &hv->vms[hv_vm_by_name(hv, "tinyos")].stats.bt;
    cr_expect_eq(s->adaptations, 8, "%llu", (unsigned long long)s->adaptations);
    cr_expect_eq(s->adapted_stores, 111712, "%llu", (unsigned long long)s->adapted_stores);
    cr_expect_eq(s->adapted_traced, 21573, "%llu", (unsigned long long)s->adapted_traced);
    expect_invariants(hv);
    hu_scenario_free(&sc, hv, &m);
}

/* Two VCPUs on two pCPUs run the same stores: the site record is the VM's, so the eighth trap
 * of either adapts a site, and the other VCPU, whose translation cache still traps there,
 * translates its blocks again at its next trap: at most one more trap per VCPU and site. */
Test(hv_bt_adapt, every_vcpu_adapts_a_site_the_vm_adapted)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = adapt_vm_of(&m, &hv, remap_loop, 8, 2);
    cr_assert_eq(hv_run(hv, 40000000), SIM_RUN_POWEROFF);
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    cr_expect_eq(s->bt.adaptations, 2, "%llu", (unsigned long long)s->bt.adaptations);
    uint64_t stores = s->shadow.trace_stores, trapped = stores - s->bt.adapted_stores;
    /* (the first VCPU to finish powers the VM off: the other's last rounds do not run) */
    cr_expect_gt(stores, 2 * ROUNDS, "the second VCPU stored too: %llu stores",
                 (unsigned long long)stores);
    cr_expect(trapped >= 2 * 8 && trapped <= 2 * (8 + 1), "%llu trapped of %llu",
              (unsigned long long)trapped, (unsigned long long)stores);
    for (unsigned c = 0; c < 2; c++) /* each VCPU ran translated code, adapted */
        cr_expect_gt(hv->ent[hv->vms[vm].vcpu[c]].bt.nblocks, 0, "vcpu%u", c);
    expect_invariants(hv);
    hu_free(hv, &m);
}
