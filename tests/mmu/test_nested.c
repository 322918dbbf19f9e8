/*
 * test_nested.c - two-dimensional translation: the reference counts of cold 1-D and 2-D walks
 * for every level pair (Bhargava et al.: (n+1)(m+1)-1), the order of the references, the page-
 * walk cache, combined gVA -> hPA TLB entries, nested faults (distinct from guest page faults,
 * with gva, gpa and access), the CPU stopping on one, and the debugger's side-effect-free probe.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"
#include "mmu_util.h"

/* ------------------------------------------------------------------------------------------
 * Reference counts (through the walk demo's tables and the real MMU)
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    unsigned n, m, refs;
} count_case_t;

/* Written out, not computed: 2x2 = 8, 3x3 = 15, 4x4 = 24 are the figures of the paper. */
static const count_case_t counts_2d[] = {
    {2, 2, 8},  {2, 3, 11}, {2, 4, 14}, {3, 2, 11}, {3, 3, 15},
    {3, 4, 19}, {4, 2, 14}, {4, 3, 19}, {4, 4, 24},
};

static mmu_demo_result_t demo(unsigned n, unsigned m, bool nested, bool pwc)
{
    mmu_demo_params_t p = {
        .levels = n, .nested_levels = m, .nested = nested, .pwc = pwc, .va = MMU_DEMO_VA};
    mmu_demo_result_t r;
    const char *why = mmu_demo_run(&p, &r);
    cr_assert_null(why, "%ux%u: %s", n, m, why);
    cr_assert_eq(r.result.status, MMU_OK, "%ux%u: the walk failed", n, m);
    return r;
}

Test(nested_walk, cold_2d_reference_counts)
{
    for (size_t i = 0; i < sizeof counts_2d / sizeof counts_2d[0]; i++) {
        const count_case_t *c = &counts_2d[i];
        mmu_demo_result_t r = demo(c->n, c->m, true, false);
        cr_expect_eq(r.trace.refs, c->refs, "%ux%u: %u references", c->n, c->m, r.trace.refs);
        cr_expect_eq(r.stats.walk_refs, c->refs, "%ux%u", c->n, c->m);
        unsigned nested = 0, guest = 0;
        for (unsigned k = 0; k < r.trace.n; k++) {
            if (r.trace.ref[k].outcome == MMU_OUTCOME_AD_WRITE)
                continue;
            nested += r.trace.ref[k].space == MMU_SPACE_NESTED;
            guest += r.trace.ref[k].space == MMU_SPACE_TABLE;
        }
        cr_expect_eq(guest, c->n, "%ux%u: one read per guest level", c->n, c->m);
        cr_expect_eq(nested, (c->n + 1) * c->m, "%ux%u: a nested walk per guest level + data", c->n,
                     c->m);
        cr_expect_eq(r.result.pa, MMU_DEMO_GUEST_HPA + 0x00123a2cu);
        cr_expect_eq(r.trace.gpa, 0x00123a2cu);
    }
}

Test(nested_walk, cold_1d_reference_counts)
{
    static const unsigned refs[MMU_MAX_LEVELS + 1] = {[2] = 2, [3] = 3, [4] = 4};
    for (unsigned n = MMU_MIN_LEVELS; n <= MMU_MAX_LEVELS; n++) {
        mmu_demo_result_t r = demo(n, 2, false, false);
        cr_expect_eq(r.trace.refs, refs[n], "%u levels: %u references", n, r.trace.refs);
        cr_expect_eq(r.result.pa, 0x00123a2cu);
    }
}

/* The page-walk cache answers the upper-level entries that the nested walks share: fewer
 * memory references, and every step is either a reference or a cache hit. */
Test(nested_walk, page_walk_cache_cuts_the_count)
{
    for (size_t i = 0; i < sizeof counts_2d / sizeof counts_2d[0]; i++) {
        const count_case_t *c = &counts_2d[i];
        mmu_demo_result_t r = demo(c->n, c->m, true, true);
        cr_expect_lt(r.trace.refs, c->refs, "%ux%u with the cache: %u references", c->n, c->m,
                     r.trace.refs);
        cr_expect_gt(r.trace.pwc_hits, 0u, "%ux%u", c->n, c->m);
        cr_expect_eq(r.trace.refs + r.trace.pwc_hits, c->refs, "%ux%u", c->n, c->m);
        cr_expect_eq(r.stats.pwc_hits, r.trace.pwc_hits, "%ux%u", c->n, c->m);
        cr_expect_eq(r.result.pa, MMU_DEMO_GUEST_HPA + 0x00123a2cu);
    }
    mmu_demo_result_t off = demo(4, 4, true, false);
    cr_expect_eq(off.stats.pwc_hits, 0, "the cache is off by default");
}

/* Each guest level is preceded by the nested walk that locates its table; the data page's
 * nested walk comes last. */
Test(nested_walk, references_come_in_the_order_of_the_2d_walk)
{
    mmu_demo_result_t r = demo(3, 2, true, false);
    static const struct {
        uint8_t space, level, for_level;
    } want[] = {
        {MMU_SPACE_NESTED, 1, 2},
        {MMU_SPACE_NESTED, 0, 2},
        {MMU_SPACE_TABLE, 2, 0},
        {MMU_SPACE_NESTED, 1, 1},
        {MMU_SPACE_NESTED, 0, 1},
        {MMU_SPACE_TABLE, 1, 0},
        {MMU_SPACE_NESTED, 1, 0},
        {MMU_SPACE_NESTED, 0, 0},
        {MMU_SPACE_TABLE, 0, 0},
        {MMU_SPACE_NESTED, 1, MMU_FOR_DATA},
        {MMU_SPACE_NESTED, 0, MMU_FOR_DATA},
    };
    cr_assert_geq(r.trace.n, 11);
    for (unsigned k = 0; k < 11; k++) {
        const mmu_trace_ref_t *ref = &r.trace.ref[k];
        cr_expect_eq(ref->space, want[k].space, "reference %u", k + 1);
        cr_expect_eq(ref->level, want[k].level, "reference %u", k + 1);
        if (ref->space == MMU_SPACE_NESTED)
            cr_expect_eq(ref->for_level, want[k].for_level, "reference %u", k + 1);
    }
    cr_expect_eq(r.trace.ref[10].gpa, 0x00123a2cu, "the data's nested walk translates its gpa");
}

/* ------------------------------------------------------------------------------------------
 * A VM on the test machine
 * ------------------------------------------------------------------------------------------ */
#define GVA 0x00400123u /* guest L1 index 1, L0 index 0 */
#define DATA_GPA 0x00010000u
#define ROOT_GPA 0x00070000u /* the guest pool's first frame: the root table */
#define L0_GPA 0x00071000u   /* the next one: the leaf table for GVA */

/* A machine running a VM (n guest levels, nl nested levels) whose guest maps GVA to DATA_GPA
 * and whose nested tables map all guest RAM. */
static void vm_mapping_gva(sim_machine_t *m, mt_vm_t *vm, unsigned n, unsigned nl, uint16_t vmid)
{
    mt_machine(m, n, nl);
    mt_vm(m, vm, vmid, true);
    cr_assert(mmu_build_map(&vm->guest, GVA, DATA_GPA, MMU_PTE_RWX));
}

Test(nested_walk, tlb_caches_the_combined_translation)
{
    sim_machine_t m;
    mt_vm_t vm;
    vm_mapping_gva(&m, &vm, 2, 2, 7);
    mmu_t *mmu = &m.cpu[0].mmu;
    mmu_result_t first = mmu_translate(mmu, &m, GVA, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_assert_eq(first.status, MMU_OK);
    cr_expect_eq(first.pa, MT_GUEST_HPA + DATA_GPA + 0x123);
    const mmu_tlb_entry_t *e = mmu_tlb_find(mmu, GVA);
    cr_assert_not_null(e);
    cr_expect_eq(e->vpn, GVA >> 12, "tagged by the guest-virtual page");
    cr_expect_eq(e->pfn, (MT_GUEST_HPA + DATA_GPA) >> 12, "holding the host frame");
    cr_expect_eq(e->tag, MMU_TAG(7, true, MT_ASID));
    mmu_result_t again = mmu_translate(mmu, &m, GVA, MMU_LOAD, MMU_PRIV_KERNEL);
    cr_expect_not(again.walked);
    cr_expect_eq(again.pa, first.pa);
    sim_machine_free(&m);
}

/* Guest paging off under nested translation: a gva is a gpa, m references, no U/K rule. */
Test(nested_walk, nested_only_translation)
{
    sim_machine_t m;
    mt_vm_t vm;
    mt_machine(&m, 2, 3);
    mt_vm(&m, &vm, 3, true);
    mmu_set_ptroot(&m.cpu[0].mmu, 0);
    mmu_result_t res = mmu_translate(&m.cpu[0].mmu, &m, 0x1234, MMU_STORE, MMU_PRIV_USER);
    cr_assert_eq(res.status, MMU_OK);
    cr_expect_eq(res.pa, MT_GUEST_HPA + 0x1234);
    cr_expect_eq(m.cpu[0].mmu.trace.refs, 3);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Nested faults
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    uint32_t root_bits, l0_bits, data_bits; /* nested mappings of the three pages; 0: none */
    uint32_t guest_leaf;                    /* guest leaf bits for GVA (V added) */
    mmu_access_t kind;
    mmu_status_t status;
    uint32_t gpa; /* nested faults: what failed */
    uint8_t for_level, nested_access, reason;
} fault_case_t;

#define RW (MMU_PTE_R | MMU_PTE_W)
#define RWXA (MMU_PTE_RWX | MMU_PTE_A)

static const fault_case_t fault_cases[] = {
    {"all mapped: no fault", RW, RW, MMU_PTE_RWX, RWXA, MMU_LOAD, MMU_OK, 0, 0, 0, 0},
    {"guest root table not mapped", 0, RW, MMU_PTE_RWX, RWXA, MMU_LOAD, MMU_NESTED_FAULT,
     ROOT_GPA + 4, 1, MMU_LOAD, MMU_OUTCOME_NOT_PRESENT},
    {"guest leaf table not mapped", RW, 0, MMU_PTE_RWX, RWXA, MMU_FETCH, MMU_NESTED_FAULT, L0_GPA,
     0, MMU_LOAD, MMU_OUTCOME_NOT_PRESENT},
    {"data page not mapped", RW, RW, 0, RWXA, MMU_LOAD, MMU_NESTED_FAULT, DATA_GPA + 0x123,
     MMU_FOR_DATA, MMU_LOAD, MMU_OUTCOME_NOT_PRESENT},
    {"store to a read-only data page", RW, RW, MMU_PTE_R | MMU_PTE_X, RWXA | MMU_PTE_D, MMU_STORE,
     MMU_NESTED_FAULT, DATA_GPA + 0x123, MMU_FOR_DATA, MMU_STORE, MMU_OUTCOME_PERMISSION},
    {"fetch from a non-executable data page", RW, RW, RW, RWXA, MMU_FETCH, MMU_NESTED_FAULT,
     DATA_GPA + 0x123, MMU_FOR_DATA, MMU_FETCH, MMU_OUTCOME_PERMISSION},
    {"malformed nested leaf", RW, RW, MMU_PTE_W, RWXA, MMU_LOAD, MMU_NESTED_FAULT, DATA_GPA + 0x123,
     MMU_FOR_DATA, MMU_LOAD, MMU_OUTCOME_MALFORMED},
    {"A write-back to a read-only guest table", RW, MMU_PTE_R, MMU_PTE_RWX, MMU_PTE_RWX, MMU_LOAD,
     MMU_NESTED_FAULT, L0_GPA, 0, MMU_STORE, MMU_OUTCOME_PERMISSION},
    {"read-only guest table, A already set", RW, MMU_PTE_R, MMU_PTE_RWX, RWXA, MMU_LOAD, MMU_OK, 0,
     0, 0, 0},
    {"a guest page fault is not a nested fault", RW, RW, MMU_PTE_RWX, MMU_PTE_R, MMU_STORE,
     MMU_PAGE_FAULT, 0, 0, 0, 0},
};

/* Builds the case's VM: guest tables mapping GVA, nested tables mapping what the case says. */
static void fault_vm(sim_machine_t *m, mt_vm_t *vm, const fault_case_t *c)
{
    mt_machine(m, 2, 2);
    mt_vm(m, vm, 5, false);
    cr_assert_eq(vm->guest.root_pfn << 12, ROOT_GPA);
    cr_assert(mmu_build_map(&vm->guest, GVA, DATA_GPA, c->guest_leaf));
    cr_assert_eq(mmu_build_leaf_addr(&vm->guest, GVA), MT_GUEST_HPA + L0_GPA);
    const uint32_t gpas[3] = {ROOT_GPA, L0_GPA, DATA_GPA};
    const uint32_t bits[3] = {c->root_bits, c->l0_bits, c->data_bits};
    for (int i = 0; i < 3; i++)
        if (bits[i])
            cr_assert(mmu_build_map(&vm->nested, gpas[i], MT_GUEST_HPA + gpas[i], bits[i]));
}

static void check_fault_case(const fault_case_t *c)
{
    sim_machine_t m;
    mt_vm_t vm;
    fault_vm(&m, &vm, c);
    mmu_t *mmu = &m.cpu[0].mmu;
    uint32_t leaf_before = mt_word(&m, MT_GUEST_HPA + L0_GPA);
    mmu_result_t res = mmu_translate(mmu, &m, GVA, c->kind, MMU_PRIV_KERNEL);
    cr_expect_eq(res.status, c->status, "%s: status %d", c->name, res.status);
    if (c->status == MMU_NESTED_FAULT) {
        const mmu_nested_fault_t *f = &res.nested;
        cr_expect_eq(f->gva, GVA, "%s", c->name);
        cr_expect_eq(f->gpa, c->gpa, "%s: gpa 0x%08x", c->name, f->gpa);
        cr_expect_eq(f->access, c->kind, "%s", c->name);
        cr_expect_eq(f->nested_access, c->nested_access, "%s", c->name);
        cr_expect_eq(f->for_level, c->for_level, "%s: for level %u", c->name, f->for_level);
        cr_expect_eq(f->reason, c->reason, "%s: %s", c->name, mmu_outcome_name(f->reason));
        cr_expect_eq(memcmp(&mmu->last_nested_fault, f, sizeof *f), 0, "%s", c->name);
        cr_expect_eq(mmu->stats.nested_faults, 1, "%s", c->name);
        cr_expect_eq(mmu->stats.page_faults, 0, "%s", c->name);
    }
    if (c->status != MMU_OK) {
        cr_expect_null(mmu_tlb_find(mmu, GVA), "%s: a fault fills no entry", c->name);
        cr_expect_eq(mt_word(&m, MT_GUEST_HPA + L0_GPA), leaf_before, "%s: a fault sets no A/D bit",
                     c->name);
    }
    sim_machine_free(&m);
}

Test(nested_fault, gva_gpa_access_and_reason)
{
    for (size_t i = 0; i < sizeof fault_cases / sizeof fault_cases[0]; i++)
        check_fault_case(&fault_cases[i]);
}

/* The CPU stops on a nested fault with pc on the instruction, which has changed nothing; once
 * the page is mapped, resuming runs it. Guest paging is off: gpa = gva. */
Test(nested_fault, stops_the_cpu_and_resumes)
{
    sim_machine_t m;
    mmu_builder_t n;
    th_events_t ev;
    th_machine(&m, "        li r1, 5\n"
                   "        la r2, 0x30010\n"
                   "here:   ld r1, [r2]\n"
                   "        li r3, 7\n"
                   "        out r0, [0xf0]\n");
    cr_assert(mmu_build_init(&n, &m, 2, 0, MT_HOST_POOL));
    cr_assert(mmu_build_map_range(&n, 0, 0, 0x30000, MMU_PTE_RWX));
    mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 1, .root_pfn = n.root_pfn};
    cr_assert(mmu_set_nested(&m.cpu[0].mmu, &ctl));
    th_record_events(&m, &ev);

    cr_assert_eq(sim_run(&m, 100000), SIM_RUN_NESTED_FAULT);
    const cpu_state_t *s = &m.cpu[0].s;
    cr_expect_eq(s->pc, 0x100c, "pc stays on the load");
    cr_expect_eq(s->r[1], 5, "the load has not run");
    cr_expect_eq(s->instret, 3);
    cr_expect_eq(s->traps[CPU_CAUSE_LOAD_PAGE_FAULT], 0, "no guest trap");
    const mmu_nested_fault_t *f = &m.cpu[0].mmu.last_nested_fault;
    cr_expect_eq(f->gva, 0x30010);
    cr_expect_eq(f->gpa, 0x30010);
    cr_expect_eq(f->access, MMU_LOAD);
    cr_expect_eq(f->for_level, MMU_FOR_DATA);
    bool seen = false;
    for (unsigned i = 0; i < ev.n; i++)
        seen |= ev.ev[i].kind == SIM_EV_NESTEDFAULT && ev.ev[i].b == 0x30010;
    cr_expect(seen, "a nestedfault event");

    /* The "hypervisor" maps the page elsewhere in host memory and resumes. */
    cr_assert(mmu_build_map(&n, 0x30000, 0x38000, MMU_PTE_RWX));
    mt_set_word(&m, 0x38010, 42);
    cr_assert_eq(sim_run(&m, 200000), SIM_RUN_POWEROFF);
    cr_expect_eq(s->r[1], 42);
    cr_expect_eq(s->r[3], 7);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * The debugger's probe
 * ------------------------------------------------------------------------------------------ */
Test(nested_walk, probe_changes_nothing)
{
    sim_machine_t m;
    mt_vm_t vm;
    vm_mapping_gva(&m, &vm, 3, 2, 2);
    mmu_t *mmu = &m.cpu[0].mmu;
    uint32_t leaf_addr = mmu_build_leaf_addr(&vm.guest, GVA);
    mmu_t before = *mmu;
    mmu_trace_t t;
    mmu_result_t probe = mmu_translate_probe(mmu, &m, GVA, MMU_STORE, MMU_PRIV_KERNEL, &t);
    cr_assert_eq(probe.status, MMU_OK);
    cr_expect_eq(t.refs, 11, "a cold 3x2 walk");
    cr_expect_eq(memcmp(&before, mmu, sizeof before), 0, "the MMU is unchanged");
    cr_expect_eq(mt_word(&m, leaf_addr) & (MMU_PTE_A | MMU_PTE_D), 0u, "no A/D write-back");

    mmu_result_t real = mmu_translate(mmu, &m, GVA, MMU_STORE, MMU_PRIV_KERNEL);
    cr_expect_eq(real.pa, probe.pa);
    cr_expect_eq(mmu->trace.refs, t.refs);
    cr_expect_eq(mt_word(&m, leaf_addr) & (MMU_PTE_A | MMU_PTE_D), MMU_PTE_A | MMU_PTE_D);

    mmu_result_t bad = mmu_translate_probe(mmu, &m, 0x00800000u, MMU_LOAD, MMU_PRIV_KERNEL, NULL);
    cr_expect_eq(bad.status, MMU_PAGE_FAULT, "an unmapped guest page");
    sim_machine_free(&m);
}
