/*
 * test_hv_guard.c - the co-resident monitor's protection (issue 23; hypervisor/hv_bt_guard.c):
 * a bt guest kernel that loads from, stores to and pushes onto the monitor's region (its state
 * page, its jump-site page, its translation cache) gets what bare hardware gives the same
 * kernel, as hardware assist runs it: with paging off a bus error, with its own tables their
 * mapping or their page fault. The monitor's state is never read or changed by it, and the
 * hardware's truncated segment and the translator's callouts are what stop it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_technique.h"
#include "hv_util.h"

/* Every fault is folded into r9 (its cause) and r10 (its address), r7 counts them; the
 * handler skips the instruction. */
#define KERNEL(setup, body)                                                                        \
    ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli sp, 0x8000\nli r8, 31\n" setup body            \
    "\nout r0, [0xf0]\nspin: b spin\n"                                                             \
    "handler: csrr r11, cause\ncsrr r12, tval\nmul r9, r9, r8\nadd r9, r9, r11\n"                  \
    "mul r10, r10, r8\nadd r10, r10, r12\naddi r7, r7, 1\ncsrr r1, epc\naddi r1, r1, 4\n"          \
    "csrw epc, r1\niret\n"

/* What a hostile kernel tries against the region: based and absolute loads and stores, bytes
 * and halves, a stack there (push, pop, pushf, popf), the TC. Results in r3 r4 r5 r6. */
#define ATTACK                                                                                     \
    "li r5, 0xfffff000\nld r3, [r5]\nli r2, 0x77\nst r2, [r5 + 4]\nld r4, [r5 + 4]\n"              \
    "ld r6, [r0 - 4096]\nst r2, [r0 - 4092]\nldh r6, [r0 - 4092]\n"                                \
    "li r5, 0xffffe010\nldb r3, [r5]\nstb r2, [r5 + 1]\nldbu r4, [r5 + 1]\n"                       \
    "li sp, 0xfffff010\npush r2\npop r5\npushf\npopf\nli sp, 0x8000\n"                             \
    "li r2, 0xffc00000\nld r6, [r2 + 8]\nst r6, [r2 + 8]\n"

static uint32_t reg(sim_machine_t *m, hv_t *hv, int vm, unsigned r)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(r));
}

/* The guest's tables for the paged runs: root 0x10000; its low 4 MiB (table 0x11000) maps
 * 0..0x9fff identically; the top 4 MiB (table 0x12000) maps its state page's address to gpa
 * 0x30000 and the TC's first page to gpa 0x31000, and leaves the jump-site page unmapped. */
#define PAGING "li r1, 0x10003\ncsrw ptroot, r1\n"
static void guest_tables(hv_t *hv, int vm)
{
    const uint32_t rw = MMU_PTE_V | MMU_PTE_R | MMU_PTE_W | MMU_PTE_X;
    hu_put_word(hv, vm, 0x10000, MMU_PTE_MAKE(0x11, MMU_PTE_V));
    hu_put_word(hv, vm, 0x10000 + 4 * 1023, MMU_PTE_MAKE(0x12, MMU_PTE_V));
    for (uint32_t p = 0; p < 10; p++)
        hu_put_word(hv, vm, 0x11000 + 4 * p, MMU_PTE_MAKE(p, rw));
    hu_put_word(hv, vm, 0x12000 + 4 * 1023, MMU_PTE_MAKE(0x30, rw));
    hu_put_word(hv, vm, 0x12000 + 4 * 0, MMU_PTE_MAKE(0x31, rw));
    hu_put_word(hv, vm, 0x30000, 0x1234);
    hu_put_word(hv, vm, 0x31008, 0x5678);
}

/* Runs src under the pair, with the guest's tables set when `paged`. */
static int run(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t cpu, hv_mem_technique_t mem,
               const char *src, bool paged)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    if (paged)
        guest_tables(*hv, vm);
    cr_assert_eq(hv_run(*hv, 5000000), SIM_RUN_POWEROFF, "cpu %u", cpu);
    return vm;
}

static const struct {
    const char *name;
    bool paged;
} attacks[] = {{"paging off", false}, {"paging on", true}};

ParameterizedTestParameters(hv_guard, a_bt_kernel_gets_what_bare_hardware_gives)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_guard, a_bt_kernel_gets_what_bare_hardware_gives)
{
    bool paged = attacks[*row].paged;
    const char *name = attacks[*row].name;
    static sim_machine_t m1, m2;
    hv_t *hw, *bt;
    const char *src = paged ? KERNEL(PAGING, ATTACK) : KERNEL("", ATTACK);
    int a = run(&m1, &hw, HV_CPU_HW, HV_MEM_NESTED, src, paged);
    int b = run(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW, src, paged);
    static const unsigned regs[] = {3, 4, 5, 6, 7, 9, 10, CPU_REG_SP};
    for (unsigned k = 0; k < sizeof regs / sizeof *regs; k++)
        cr_expect_eq(reg(&m2, bt, b, regs[k]), reg(&m1, hw, a, regs[k]),
                     "%s: r%u under bt 0x%x, under hw 0x%x", name, regs[k],
                     reg(&m2, bt, b, regs[k]), reg(&m1, hw, a, regs[k]));
    if (paged) {
        cr_expect_eq(reg(&m2, bt, b, 7), 3, "%s: only the unmapped jump-site page faults", name);
        cr_expect_eq(reg(&m2, bt, b, 11), CPU_CAUSE_LOAD_PAGE_FAULT, "%s", name);
        for (uint32_t gpa = 0x30000; gpa < 0x30010; gpa += 4)
            cr_expect_eq(hu_get_word(bt, b, gpa), hu_get_word(hw, a, gpa),
                         "%s: the guest's own page at gpa 0x%x", name, gpa);
        cr_expect_eq(hu_get_word(bt, b, 0x30004), 0x77, "%s: its store landed in its own page",
                     name);
    } else {
        cr_expect_eq(reg(&m2, bt, b, 7), 15, "%s: every access a bus error, got %u", name,
                     reg(&m2, bt, b, 7));
    }
    const hv_bt_stats_t *s = &bt->vms[b].stats.bt;
    /* one per access; with paging on, pushf's and popf's inline sequences touch the guest's
     * stack three and two times (paging off, their first touch faults) */
    cr_expect_eq(s->monitor_region, paged ? 18 : 15, "%s: through the monitor: %llu", name,
                 (unsigned long long)s->monitor_region);
    char why[200];
    cr_expect_null(hv_check_invariants(bt, why, sizeof why), "%s: %s", name, why);
    hu_free(hw, &m1);
    hu_free(bt, &m2);
}

/* The monitor's state is untouched: after the attack with paging off the virtual CSRs and
 * flags are those of a kernel that never attacked (the scratch CSR it set stays). */
Test(hv_guard, the_monitors_state_is_untouched)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                 KERNEL("li r1, 0x4242\ncsrw scratch, r1\n",
                        ATTACK "li r5, 0xfffff000\nli r2, -1\nst r2, [r5 + 24]\n"
                               "st r2, [r0 - 4072]\ncsrr r6, scratch\n"),
                 false);
    cr_expect_eq(reg(&m, hv, vm, 6), 0x4242, "scratch 0x%x", reg(&m, hv, vm, 6));
    hu_free(hv, &m);
}
