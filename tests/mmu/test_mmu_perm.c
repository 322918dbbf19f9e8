/*
 * test_mmu_perm.c - the permission matrix: mode (K, U) x access (fetch, load, store) x leaf
 * bits (R W X, U, V), first through mmu_translate, then through real programs on the CPU,
 * where a refused access must become the right page-fault cause with the address in tval.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../support/harness.h"
#include "mmu_util.h"

#define TARGET_VA 0x00400000u
#define TARGET_PA 0x00020000u

/* Expected outcome per column: K fetch, K load, K store, U fetch, U load, U store.
 * o = allowed, p = permission (R/W/X missing), v = privilege (U touching a non-U page, or K
 * fetching from a U page), m = malformed (W without R), n = not present. */
typedef struct {
    const char *name;
    uint32_t bits;
    const char *expect;
} perm_row_t;

static const perm_row_t perm_rows[] = {
    {"V only", MMU_PTE_V, "pppvvv"},
    {"R", MMU_PTE_V | MMU_PTE_R, "popvvv"},
    {"RW", MMU_PTE_V | MMU_PTE_R | MMU_PTE_W, "poovvv"},
    {"X", MMU_PTE_V | MMU_PTE_X, "oppvvv"},
    {"RX", MMU_PTE_V | MMU_PTE_R | MMU_PTE_X, "oopvvv"},
    {"RWX", MMU_PTE_V | MMU_PTE_RWX, "ooovvv"},
    {"W", MMU_PTE_V | MMU_PTE_W, "mmmmmm"},
    {"WX", MMU_PTE_V | MMU_PTE_W | MMU_PTE_X, "mmmmmm"},
    {"U", MMU_PTE_V | MMU_PTE_U, "vppppp"},
    {"U R", MMU_PTE_V | MMU_PTE_U | MMU_PTE_R, "voppop"},
    {"U RW", MMU_PTE_V | MMU_PTE_U | MMU_PTE_R | MMU_PTE_W, "voopoo"},
    {"U X", MMU_PTE_V | MMU_PTE_U | MMU_PTE_X, "vppopp"},
    {"U RX", MMU_PTE_V | MMU_PTE_U | MMU_PTE_R | MMU_PTE_X, "vopoop"},
    {"U RWX", MMU_PTE_V | MMU_PTE_U | MMU_PTE_RWX, "vooooo"},
    {"U W", MMU_PTE_V | MMU_PTE_U | MMU_PTE_W, "mmmmmm"},
    {"not present", MMU_PTE_RWX | MMU_PTE_U, "nnnnnn"},
};

static unsigned outcome_of(char c)
{
    switch (c) {
    case 'o': return MMU_OUTCOME_OK;
    case 'p': return MMU_OUTCOME_PERMISSION;
    case 'v': return MMU_OUTCOME_PRIVILEGE;
    case 'm': return MMU_OUTCOME_MALFORMED;
    default: return MMU_OUTCOME_NOT_PRESENT;
    }
}

static const char *const col_names[6] = {"K fetch", "K load", "K store",
                                         "U fetch", "U load", "U store"};

/* Writes the leaf for TARGET_VA with exactly `bits` (V included or not). */
static void set_target_leaf(sim_machine_t *m, mmu_builder_t *b, uint32_t bits)
{
    cr_assert(mmu_build_map(b, TARGET_VA, TARGET_PA, MMU_PTE_R));
    mt_set_word(m, mmu_build_leaf_addr(b, TARGET_VA), MMU_PTE_MAKE(TARGET_PA >> 12, bits));
}

Test(mmu_perm, matrix_through_mmu_translate)
{
    sim_machine_t m;
    mmu_builder_t b;
    for (size_t i = 0; i < sizeof perm_rows / sizeof perm_rows[0]; i++) {
        const perm_row_t *row = &perm_rows[i];
        mt_machine(&m, 2, 2);
        mt_native(&m, &b);
        set_target_leaf(&m, &b, row->bits);
        for (unsigned col = 0; col < 6; col++) {
            mmu_t *mmu = &m.cpu[0].mmu;
            mmu_invalidate(mmu, MMU_FLUSH_ALL, 0, 0, 0);
            mmu_priv_t priv = col < 3 ? MMU_PRIV_KERNEL : MMU_PRIV_USER;
            mmu_access_t kind = (mmu_access_t)(col % 3);
            mmu_result_t res = mmu_translate(mmu, &m, TARGET_VA + 0x10, kind, priv);
            unsigned want = outcome_of(row->expect[col]);
            if (want == MMU_OUTCOME_OK) {
                cr_expect_eq(res.status, MMU_OK, "%s, %s: refused (%s)", row->name, col_names[col],
                             mmu_outcome_name(res.reason));
                cr_expect_eq(res.pa, TARGET_PA + 0x10, "%s, %s", row->name, col_names[col]);
            } else {
                cr_expect_eq(res.status, MMU_PAGE_FAULT, "%s, %s: allowed", row->name,
                             col_names[col]);
                cr_expect_eq(res.reason, want, "%s, %s: %s, expected %s", row->name, col_names[col],
                             mmu_outcome_name(res.reason), mmu_outcome_name(want));
            }
        }
        sim_machine_free(&m);
    }
}

/* A TLB entry filled by an allowed access must not let a refused one through: after a K load
 * of a U page, a K fetch from it still faults, and a U load of a K page after a K load does. */
Test(mmu_perm, tlb_entries_keep_the_rules)
{
    sim_machine_t m;
    mmu_builder_t b;
    static const struct {
        uint32_t bits;
        mmu_priv_t first_priv, then_priv;
        mmu_access_t first, then;
        unsigned want;
    } cases[] = {
        {MMU_PTE_U | MMU_PTE_RWX, MMU_PRIV_KERNEL, MMU_PRIV_KERNEL, MMU_LOAD, MMU_FETCH,
         MMU_OUTCOME_PRIVILEGE},
        {MMU_PTE_RWX, MMU_PRIV_KERNEL, MMU_PRIV_USER, MMU_LOAD, MMU_LOAD, MMU_OUTCOME_PRIVILEGE},
        {MMU_PTE_R, MMU_PRIV_KERNEL, MMU_PRIV_KERNEL, MMU_LOAD, MMU_STORE, MMU_OUTCOME_PERMISSION},
        {MMU_PTE_R | MMU_PTE_W, MMU_PRIV_KERNEL, MMU_PRIV_KERNEL, MMU_STORE, MMU_FETCH,
         MMU_OUTCOME_PERMISSION},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt_machine(&m, 2, 2);
        mt_native(&m, &b);
        cr_assert(mmu_build_map(&b, TARGET_VA, TARGET_PA, cases[i].bits));
        mmu_t *mmu = &m.cpu[0].mmu;
        cr_assert_eq(mmu_translate(mmu, &m, TARGET_VA, cases[i].first, cases[i].first_priv).status,
                     MMU_OK);
        mmu_result_t res = mmu_translate(mmu, &m, TARGET_VA, cases[i].then, cases[i].then_priv);
        cr_expect_eq(res.status, MMU_PAGE_FAULT, "case %zu: allowed through the TLB", i);
        cr_expect_eq(res.reason, cases[i].want, "case %zu: %s", i, mmu_outcome_name(res.reason));
        sim_machine_free(&m);
    }
}

/* ------------------------------------------------------------------------------------------
 * The same matrix on the CPU
 * ------------------------------------------------------------------------------------------ */

/* The kernel (identity-mapped, K pages) turns paging on and makes the access itself or drops
 * to U, whose code page is at 0x8000; the access is followed by syscall, so cause 4 means it
 * went through. The handler keeps cause, tval and epc in r10, r11, r12 and powers off. */
static const char program[] = "        la r1, handler\n"
                              "        csrw tvec, r1\n"
                              "        li r1, %u\n"
                              "        csrw ptroot, r1\n"
                              "        la r3, 0x%x\n"
                              "        li r2, %d           ; 1: make the access in U\n"
                              "        cmpi r2, 0\n"
                              "        bne to_user\n"
                              "        %s\n"
                              "        syscall\n"
                              "to_user: la r1, user\n"
                              "        csrw epc, r1\n"
                              "        li r1, 0\n"
                              "        csrw eflags, r1\n"
                              "        iret\n"
                              "handler: csrr r10, cause\n"
                              "        csrr r11, tval\n"
                              "        csrr r12, epc\n"
                              "        out r0, [0xf0]\n"
                              "        .org 0x8000\n"
                              "user:   %s\n"
                              "        syscall\n";

static const char *const access_text[3] = {"jr r3", "ld r4, [r3]", "st r4, [r3]"};

static const uint32_t fault_cause[3] = {CPU_CAUSE_FETCH_PAGE_FAULT, CPU_CAUSE_LOAD_PAGE_FAULT,
                                        CPU_CAUSE_STORE_PAGE_FAULT};

static void run_cell(const perm_row_t *row, unsigned col)
{
    sim_machine_t m;
    mmu_builder_t b;
    bool user = col >= 3;
    unsigned kind = col % 3;
    char src[2048];
    uint32_t ptroot = MMU_PTROOT_MAKE(0x40, MT_ASID); /* the pool's first frame is the root */
    snprintf(src, sizeof src, program, ptroot, TARGET_VA, user ? 1 : 0, access_text[kind],
             access_text[kind]);
    th_machine(&m, src);
    cr_assert(mmu_build_init(&b, &m, 2, 0, MT_HOST_POOL));
    cr_assert_eq(b.root_pfn, 0x40u);
    cr_assert(mmu_build_map_range(&b, 0, 0, 0x8000, MMU_PTE_RWX));
    cr_assert(mmu_build_map(&b, 0x8000, 0x8000, MMU_PTE_U | MMU_PTE_R | MMU_PTE_X));
    set_target_leaf(&m, &b, row->bits);
    cpu_insn_t sys = {.op = CPU_OP_SYSCALL};
    mt_set_word(&m, TARGET_PA, cpu_encode(&sys));

    cr_assert_eq(sim_run(&m, 100000), SIM_RUN_POWEROFF, "%s, %s: no power-off", row->name,
                 col_names[col]);
    const uint32_t *r = m.cpu[0].s.r;
    if (row->expect[col] == 'o') {
        cr_expect_eq(r[10], CPU_CAUSE_SYSCALL, "%s, %s: trapped with cause %u", row->name,
                     col_names[col], r[10]);
    } else {
        cr_expect_eq(r[10], fault_cause[kind], "%s, %s: cause %u", row->name, col_names[col],
                     r[10]);
        cr_expect_eq(r[11], TARGET_VA, "%s, %s: tval 0x%x", row->name, col_names[col], r[11]);
        if (kind == MMU_FETCH || user)
            cr_expect_eq(r[12], kind == MMU_FETCH ? TARGET_VA : 0x8000u, "%s, %s: epc 0x%x",
                         row->name, col_names[col], r[12]);
    }
    sim_machine_free(&m);
}

Test(mmu_perm, matrix_through_programs)
{
    for (size_t i = 0; i < sizeof perm_rows / sizeof perm_rows[0]; i++)
        for (unsigned col = 0; col < 6; col++)
            run_cell(&perm_rows[i], col);
}
