/*
 * test_hv_bt.c - binary translation (cpu = bt, hypervisor/hv_bt.c): small guest kernels give
 * the same registers and memory under bt as under hardware assist (where their kernel runs in
 * a real K), whether their sensitive instructions were translated inline or as callouts; a
 * loop runs chained, without the hypervisor; a fault in translated code reaches the guest at
 * the guest address; a kernel that rewrites its own code sees the new instruction; data beside
 * code is written; the popf guest keeps its ticks; a copied machine goes on like the original;
 * a jump or iret to a misaligned pc is the guest's misaligned-fetch fault under every technique.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_technique.h"
#include "hv_util.h"

/* Runs src (a flat kernel at 0x1000, paging off) in one VM of the technique pair; returns the
 * VM. The kernel powers off with out r0, [0xf0]. */
static int run_vm(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t cpu, hv_mem_technique_t mem,
                  const char *src)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    cr_assert_eq(hv_run(*hv, 5000000), SIM_RUN_POWEROFF, "cpu %u", cpu);
    return vm;
}

static uint32_t reg(sim_machine_t *m, hv_t *hv, int vm, unsigned r)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(r));
}

/* ------------------------------------------------------------------------------------------
 * Each sensitive and privileged instruction: the same result as under hw
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    const char *body; /* leaves its results in r3..r9; memory at 0x3000.. */
    bool inline_path; /* translated inline (else: a callout) */
} bt_case_t;

static const bt_case_t cases[] = {
    {"rdmode", "rdmode r3\n", true},
    {"pushf", "sti\ncmpi r0, 1\npushf\npop r3\n", true},
    {"popf sets IE", "li r1, 0x100\npush r1\npopf\ncsrr r3, status\n", true},
    {"popf restores flags", "li r1, 0x1\npush r1\npopf\nli r3, 0\nbne .skip\nli r3, 7\n"
                            ".skip: nop\n", true},
    {"cli", "sti\ncli\ncsrr r3, status\n", true},
    {"sti", "sti\ncsrr r3, status\n", true},
    {"csrr status", "csrr r3, status\n", true},
    {"csrw/csrr scratch", "li r1, 0x1234\ncsrw scratch, r1\ncsrr r3, scratch\n", true},
    {"csrw/csrr epc", "li r1, 0x5678\ncsrw epc, r1\ncsrr r3, epc\n", true},
    {"flags survive inline code", "li r1, 5\ncmpi r1, 5\ncli\nsti\nrdmode r4\nli r3, 0\n"
                                  "bne .n\nli r3, 1\n.n: nop\n", true},
    {"csrr cpunum", "csrr r3, cpunum\n", false},
    {"csrw/csrr im", "li r1, 0x3\ncsrw im, r1\ncsrr r3, im\n", true},
    {"csrw im, r1 keeps r1", "li r1, 0x5\ncsrw im, r1\nmov r3, r1\ncsrr r4, im\n", true},
    {"in: the UART's status", "in r3, [0x3f9]\nin r0, [0x3f9]\n", true},
    {"in: the UART's data", "in r3, [0x3f8]\n", false},
    {"in: a port in a register", "li r2, 0x3f0\nin r3, [r2 + 9]\n", false},
    /* An interrupt waits, masked in im; unmasking it inline lets it in before the next
     * instruction, as natively: the handler sees epc = .after and r3 still 0. */
    {"csrw im lets a waiting interrupt in at once",
     "la r1, .h\ncsrw tvec, r1\nli r1, 0\ncsrw im, r1\nsti\nli r1, 40\ncsrw timer, r1\n"
     "li r5, 300\n.spin: addi r5, r5, -1\ncmpi r5, 0\nbne .spin\nli r1, 0xff\ncsrw im, r1\n"
     ".after: li r3, 1\nb .done\n.h: csrr r4, epc\nmov r6, r3\nla r7, .after\nli r1, 0\n"
     "csrw timer, r1\nout r0, [0xf0]\n.done: nop\n",
     true},
    {"iret", "la r1, .back\ncsrw epc, r1\nli r1, 0x1000\ncsrw eflags, r1\niret\nli r3, 9\n"
             ".back: csrr r3, status\n", false},
    {"call and ret", "call .f\nli r4, 2\nb .done\n.f: li r3, 1\nret\n.done: nop\n", true},
    {"ret twice to two sites", "call .f\ncall .f\nb .done\n.f: addi r3, r3, 1\nret\n"
                               ".done: nop\n", true},
    {"one site, two targets", "li r9, 0\n.again: la r1, .f\ncmpi r9, 1\nbne .go\nla r1, .g\n"
                              ".go: jalr lr, r1, 0\naddi r9, r9, 1\ncmpi r9, 2\nblt .again\n"
                              "b .done\n.f: addi r3, r3, 1\nret\n.g: addi r4, r4, 10\nret\n"
                              ".done: nop\n", true},
    {"jalr r1, r1", "la r1, .f\njalr r1, r1, 0\n.f: mov r3, r1\n", true},
    {"jalr r2, r2, 4", "la r2, .f\njalr r2, r2, 4\n.f: li r5, 9\nmov r3, r2\n", true},
    {"jalr r1, r2 keeps r2", "la r2, .f\nli r1, 7\njalr r1, r2, 0\n.f: mov r3, r1\nmov r4, r2\n",
     true},
    {"jalr r2, r1 keeps r1", "la r1, .f\nli r2, 7\njalr r2, r1, 0\n.f: mov r3, r1\nmov r4, r2\n",
     true},
    {"flags survive jalr", "la r6, .f\nli r1, 3\ncmpi r1, 3\njalr r0, r6, 0\n.f: li r3, 0\n"
                           "bne .n\nli r3, 1\n.n: nop\n", true},
    {"tlbflush", "tlbflush\nli r3, 3\n", false},
};

ParameterizedTestParameters(hv_bt, each_instruction_as_under_hw)
{
    TH_ROW_INDICES(sizeof cases / sizeof cases[0]);
}

ParameterizedTest(size_t *row, hv_bt, each_instruction_as_under_hw)
{
    const bt_case_t *c = &cases[*row];
    char src[1024];
    snprintf(src, sizeof src, ".org 0x1000\nli sp, 0x8000\n%sout r0, [0xf0]\n", c->body);
    static sim_machine_t m1, m2;
    hv_t *hw, *bt;
    int a = run_vm(&m1, &hw, HV_CPU_HW, HV_MEM_NESTED, src);
    int b = run_vm(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW, src);
    for (unsigned r = 3; r <= 9; r++)
        cr_expect_eq(reg(&m2, bt, b, r), reg(&m1, hw, a, r), "%s: r%u under bt 0x%x, hw 0x%x",
                     c->name, r, reg(&m2, bt, b, r), reg(&m1, hw, a, r));
    cr_expect_eq(reg(&m2, bt, b, CPU_REG_SP), reg(&m1, hw, a, CPU_REG_SP), "%s: sp", c->name);
    if (strstr(c->name, "at once")) /* the handler ran, at .after (r7), before it (r6 = r3 = 0) */
        cr_expect(reg(&m2, bt, b, 7) && reg(&m2, bt, b, 4) == reg(&m2, bt, b, 7) &&
                      reg(&m2, bt, b, 6) == 0,
                  "epc 0x%x, .after 0x%x, r3 then %u", reg(&m2, bt, b, 4), reg(&m2, bt, b, 7),
                  reg(&m2, bt, b, 6));
    const hv_bt_stats_t *s = &bt->vms[b].stats.bt;
    cr_expect_gt(s->blocks, 0, "%s", c->name);
    if (c->inline_path)
        cr_expect_gt(s->insns_inline, 0, "%s: translated inline", c->name);
    else
        cr_expect_gt(s->insns_callout, 0, "%s: a callout", c->name);
    char why[200];
    cr_expect_null(hv_check_invariants(bt, why, sizeof why), "%s: %s", c->name, why);
    hu_free(hw, &m1);
    hu_free(bt, &m2);
}

/* ------------------------------------------------------------------------------------------
 * Chaining, faults, self-modifying code, data beside code
 * ------------------------------------------------------------------------------------------ */
/* A loop of 2 000 iterations: once its block exits are chained, no iteration leaves the TC. */
Test(hv_bt, a_loop_runs_chained)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nli r1, 2000\nli r2, 0\nloop: addi r2, r2, 3\naddi r1, r1, -1\n"
                    "cmpi r1, 0\nbne loop\nout r0, [0xf0]\n");
    cr_expect_eq(reg(&m, hv, vm, 2), 6000);
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    cr_expect_gt(s->chains, 0);
    cr_expect_lt(s->callouts, 10, "callouts %llu: the loop does not exit",
                 (unsigned long long)s->callouts);
    cr_expect_lt(hv->vms[vm].stats.exits[CPU_EXIT_EXCEPTION], 20);
    hu_free(hv, &m);
}

/* A warm loop under bt costs what it costs under hw: once its taken exit is chained, the
 * translated conditional branch goes straight to the loop's translation (one taken branch
 * per iteration, as natively), not onto an unconditional branch. r3: the second run's
 * cycles, net of an empty timed region's (reading the clock is a callout under bt). */
Test(hv_bt, a_chained_back_edge_costs_what_it_does_natively)
{
    const char *src = ".org 0x1000\nli sp, 0x8000\ncall f\ncall f\ncall clock\ncall clock\n"
                      "sub r3, r11, r10\nsub r4, r13, r12\nsub r3, r3, r4\nout r0, [0xf0]\n"
                      "f: li r7, 1000\ncsrr r10, cycle\n"
                      "l: addi r7, r7, -1\ncmpi r7, 0\nbne l\ncsrr r11, cycle\nret\n"
                      "clock: csrr r12, cycle\ncsrr r13, cycle\nret\n";
    static sim_machine_t m1, m2;
    hv_t *hw, *bt;
    int a = run_vm(&m1, &hw, HV_CPU_HW, HV_MEM_SHADOW, src);
    int b = run_vm(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW, src);
    uint32_t native = reg(&m1, hw, a, 3), translated = reg(&m2, bt, b, 3);
    cr_expect_geq(native, 3000, "%u cycles for 1 000 iterations under hw", native);
    cr_expect_leq(translated, native + 20, "under bt %u cycles, under hw %u", translated, native);
    hu_free(hw, &m1);
    hu_free(bt, &m2);
}

/* 1 000 calls and returns: each ret is an indirect jump, found in its site's inline target
 * cache after the first, so the loop does not exit either. */
Test(hv_bt, returns_are_looked_up_inline)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nli sp, 0x8000\nli r1, 1000\nloop: call f\naddi r1, r1, -1\n"
                    "cmpi r1, 0\nbne loop\nout r0, [0xf0]\nf: addi r2, r2, 1\nret\n");
    cr_expect_eq(reg(&m, hv, vm, 2), 1000);
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    cr_expect_lt(s->callouts, 12, "callouts %llu", (unsigned long long)s->callouts);
    cr_expect_eq(s->site_misses, 1, "the first ret only: %llu", (unsigned long long)s->site_misses);
    hu_free(hv, &m);
}

/* A divide by zero in translated code: the guest's handler sees the guest address. */
Test(hv_bt, a_fault_reaches_the_guest_at_its_own_address)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli r2, 7\nnop\n"
                    "x: div r3, r2, r0\nli r5, 1\nout r0, [0xf0]\n"
                    "handler: csrr r11, cause\ncsrr r12, epc\nla r13, x\naddi r1, r12, 4\n"
                    "csrw epc, r1\niret\n");
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_DIV_ZERO);
    cr_expect_eq(reg(&m, hv, vm, 12), reg(&m, hv, vm, 13), "epc 0x%x, the div at 0x%x",
                 reg(&m, hv, vm, 12), reg(&m, hv, vm, 13));
    cr_expect_eq(reg(&m, hv, vm, 5), 1, "the guest went on after the div");
    cr_expect_lt(reg(&m, hv, vm, 12), HV_BT_REGION, "never a TC address");
    hu_free(hv, &m);
}

/* The kernel jumps into the hypervisor's region (where, with paging off, nothing is): a bus
 * error at that address, as on bare hardware, never a run of the translation cache. */
Test(hv_bt, a_jump_into_the_hypervisors_region_is_the_guests_fault)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli r2, 0xffc00008\n"
                    "jalr lr, r2, 0\nli r5, 1\nout r0, [0xf0]\n"
                    "handler: csrr r11, cause\ncsrr r12, epc\nout r0, [0xf0]\n");
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_BUS_ERROR, "cause %u", reg(&m, hv, vm, 11));
    cr_expect_eq(reg(&m, hv, vm, 12), 0xffc00008);
    cr_expect_eq(reg(&m, hv, vm, 5), 0, "nothing ran there");
    hu_free(hv, &m);
}

/* A kernel jumps (jalr) or returns (iret) to a pc 2 bytes past an instruction: under every
 * technique it takes the misaligned-fetch fault at that pc, as on bare hardware, and its
 * handler runs (under bt the translator used to read the misaligned block and abort). */
static const struct {
    const char *name, *body;
} misaligned[] = {
    {"jalr", "la r1, x\njalr r0, r1, 2\n"},
    {"iret", "la r1, x\naddi r1, r1, 2\ncsrw epc, r1\nli r1, 0x1000\ncsrw eflags, r1\niret\n"},
};
static const struct {
    hv_cpu_technique_t cpu;
    hv_mem_technique_t mem;
} misaligned_pairs[] = {{HV_CPU_HW, HV_MEM_NESTED},
                        {HV_CPU_EMU, HV_MEM_NESTED},
                        {HV_CPU_TRAP, HV_MEM_SHADOW},
                        {HV_CPU_BT, HV_MEM_SHADOW}};
#define N_MISALIGNED_PAIRS (sizeof misaligned_pairs / sizeof *misaligned_pairs)

ParameterizedTestParameters(hv_bt, misaligned_control_flow_is_the_guests_fault)
{
    TH_ROW_INDICES(sizeof misaligned / sizeof *misaligned * N_MISALIGNED_PAIRS);
}

ParameterizedTest(size_t *row, hv_bt, misaligned_control_flow_is_the_guests_fault)
{
    const char *name = misaligned[*row / N_MISALIGNED_PAIRS].name;
    hv_cpu_technique_t cpu = misaligned_pairs[*row % N_MISALIGNED_PAIRS].cpu;
    hv_mem_technique_t mem = misaligned_pairs[*row % N_MISALIGNED_PAIRS].mem;
    char src[1024];
    snprintf(src, sizeof src,
             ".org 0x1000\nla r1, handler\ncsrw tvec, r1\n%sx: li r5, 1\nout r0, [0xf0]\n"
             "handler: csrr r11, cause\ncsrr r12, epc\nla r13, x\nout r0, [0xf0]\n",
             misaligned[*row / N_MISALIGNED_PAIRS].body);
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, cpu, mem, src);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_MISALIGNED, "%s under %s: cause %u", name,
                 hv_cpu_technique_name(cpu), reg(&m, hv, vm, 11));
    cr_expect_eq(reg(&m, hv, vm, 12), reg(&m, hv, vm, 13) + 2, "%s under %s: epc 0x%x", name,
                 hv_cpu_technique_name(cpu), reg(&m, hv, vm, 12));
    cr_expect_eq(reg(&m, hv, vm, 5), 0, "%s under %s: nothing ran at x", name,
                 hv_cpu_technique_name(cpu));
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

/* The kernel runs a function, rewrites one of its instructions (li r3, 1 becomes li r3, 2),
 * and runs it again: the new instruction's effect is seen, and the translations were dropped. */
Test(hv_bt, self_modifying_code_invalidates_translations)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nli sp, 0x8000\ncall f\nmov r4, r3\n"
                    "la r1, f\nla r2, new\nld r2, [r2]\nst r2, [r1]\n"
                    "call f\nmov r5, r3\nout r0, [0xf0]\n"
                    "f: li r3, 1\nret\n"
                    "new: li r3, 2\n");
    cr_expect_eq(reg(&m, hv, vm, 4), 1, "the first run");
    cr_expect_eq(reg(&m, hv, vm, 5), 2, "the rewritten instruction ran");
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    cr_expect_eq(s->invalidations, 1, "%llu", (unsigned long long)s->invalidations);
    cr_expect_gt(s->blocks, 3, "f was translated again");
    hu_free(hv, &m);
}

/* A variable and a stack on the page of the code that writes them: the protected stores
 * (st, stb, push, and the real pushf of pushf's sequence) are performed by the hypervisor,
 * nothing is invalidated. */
Test(hv_bt, data_beside_code_is_written)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nla r1, var\nli r2, 0x55\nst r2, [r1]\nli r2, 0x66\n"
                    "stb r2, [r1 + 1]\nld r3, [r1]\n"
                    "la sp, top\nli r2, 0x77\npush r2\npushf\npop r6\npop r7\n"
                    "out r0, [0xf0]\n"
                    ".align 4\nvar: .word 0\n.space 16\ntop:\n");
    cr_expect_eq(reg(&m, hv, vm, 3), 0x6655);
    cr_expect_eq(reg(&m, hv, vm, 7), 0x77, "push");
    cr_expect_eq(reg(&m, hv, vm, 6) & CPU_FLAG_MODE_MASK, (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT,
                 "pushf pushed the virtual mode: 0x%x", reg(&m, hv, vm, 6));
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    cr_expect_eq(s->invalidations, 0);
    cr_expect_eq(s->protected_writes, 5, "st, stb, push, pushf and its fix-up store: %llu",
                 (unsigned long long)s->protected_writes);
    hu_free(hv, &m);
}

/* bt needs a shadow page table for its translation cache. */
Test(hv_bt, needs_shadow_paging)
{
    cr_expect_not_null(hv_technique_refusal(HV_CPU_BT, HV_MEM_NESTED));
    cr_expect_null(hv_technique_refusal(HV_CPU_BT, HV_MEM_SHADOW));
}

/* ------------------------------------------------------------------------------------------
 * The popf guest
 * ------------------------------------------------------------------------------------------ */
static char *without_prefix(const char *text)
{
    char *out = strdup(text), *w = out;
    for (const char *r = text; *r;) {
        if (!strncmp(r, "[popf-", 6)) { /* "[popf-hw] " / "[popf-bt] ": the VM's name */
            r = strchr(r, ']') + 2;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
    return out;
}

/* Translated, popf restores the virtual IE: every tick arrives, as under hw; under trap none. */
Test(hv_bt, the_popf_guest_keeps_its_ticks, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "trap-popf");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    int hw = hv_vm_by_name(hv, "popf-hw"), bt = hv_vm_by_name(hv, "popf-bt");
    int trap = hv_vm_by_name(hv, "popf-trap");
    char *a = without_prefix(hv_vm_console(hv, (unsigned)hw));
    char *b = without_prefix(hv_vm_console(hv, (unsigned)bt));
    cr_expect_str_eq(b, a, "under bt as under hw");
    cr_expect(strstr(b, "every tick arrived") != NULL, "%s", b);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)trap), "ticks lost") != NULL);
    const hv_bt_stats_t *s = &hv->vms[bt].stats.bt;
    cr_expect_gt(s->insns_inline, 0);
    cr_expect_gt(s->gate_exits, 0, "an inline popf found the tick waiting");
    free(a);
    free(b);
    hu_scenario_free(&sc, hv, &m);
}

/* examples/popf.s: user code sees its flags with pushf and cannot clear IE with popf. User
 * code runs directly under trap and bt, and the real IE follows the virtual one, so it prints
 * what it prints under hw. */
static char *example_console(const char *cpu, const char *mem)
{
    char cwd[4000], path[4100], text[5000];
    cr_assert_not_null(getcwd(cwd, sizeof cwd)); /* the tests run in the repository */
    snprintf(path, sizeof path, "%s/examples/popf.s", cwd);
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 16M\n\n[hypervisor]\ntype = 1\n\n"
             "[vm ex]\nkernel = %s\nmemory = 2M\ncpu = %s\nmem = %s\n", path, cpu, mem);
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, cpu, text);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s", cpu);
    char *out = strdup(hv_vm_console(hv, 0));
    hu_scenario_free(&sc, hv, &m);
    return out;
}

Test(hv_bt, user_code_sees_the_flags_it_sees_natively)
{
    char *hw = example_console("hw", "nested"), *trap = example_console("trap", "shadow");
    char *bt = example_console("bt", "shadow");
    cr_expect(strstr(hw, "FLAGS = 0x00000100") != NULL, "%s", hw);
    cr_expect_str_eq(trap, hw);
    cr_expect_str_eq(bt, hw);
    free(hw);
    free(trap);
    free(bt);
}

/* A device's DMA (here the hypervisor's copy into guest memory, which the virtual disk uses)
 * overwrites translated code: no store faults, yet the new code runs. */
Test(hv_bt, dma_over_translated_code_invalidates)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.cpu = HV_CPU_BT, .mem = HV_MEM_SHADOW, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(hv, "guest", ".org 0x1000\nli sp, 0x8000\ncall f\nmov r4, r3\nla r1, flag\n"
                                "wait: ld r2, [r1]\ncmpi r2, 0\nbeq wait\n"
                                "call f\nmov r5, r3\nout r0, [0xf0]\n"
                                ".org 0x1800\nf: li r3, 1\nret\n"
                                ".org 0x1900\nflag: .word 0\n", &c);
    cr_assert_eq(hv_run(hv, 300000), SIM_RUN_MAX_CYCLES, "spinning on the flag");
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("new", ".org 0x1800\nli r3, 2\n", NULL, &res), 0);
    cr_assert(hv_copy_to_guest(hv, (unsigned)vm, 0x1800, res.bytes, 4, NULL));
    cpu_asm_free(&res);
    uint32_t one = 1;
    cr_assert(hv_copy_to_guest(hv, (unsigned)vm, 0x1900, &one, 4, NULL));
    cr_assert_eq(hv_run(hv, 5000000), SIM_RUN_POWEROFF);
    cr_expect_eq(reg(&m, hv, vm, 4), 1);
    cr_expect_eq(reg(&m, hv, vm, 5), 2, "the code the DMA wrote ran");
    cr_expect_eq(hv->vms[vm].stats.bt.invalidations, 1);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Interrupts at a jalr site's miss callout
 * ------------------------------------------------------------------------------------------ */
static hv_vcpu_t *vcpu_of(hv_t *hv, int vm)
{
    for (unsigned e = 0; e < hv->nent; e++)
        if (hv->ent[e].vm == vm && hv->ent[e].index == 0)
            return &hv->ent[e];
    cr_assert_fail("VM %d has no VCPU 0", vm);
    return NULL;
}

/* A jalr site's miss callout is a callout word, but inside the jalr's inline sequence: r1
 * holds the stub's TC address there. It is no instruction boundary (an interrupt waits for
 * the brk), while the first word of a block is one. The pc is put there as the monitor puts
 * it, with its record of it (tc_pc): an address alone says nothing of where the pc is. */
Test(hv_bt, a_site_miss_callout_is_no_instruction_boundary)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW,
                    ".org 0x1000\nli sp, 0x8000\ncall f\nout r0, [0xf0]\nf: ret\n");
    hv_vcpu_t *v = vcpu_of(hv, vm);
    cr_assert_gt(v->bt.nsites, 0, "ret is an inline jalr site");
    v->bt.tc_pc = HV_BT_REGION + 4u * v->bt.site_stub[0];
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, v->bt.tc_pc);
    cr_expect_not(hv_bt_at_boundary(hv, v), "the miss callout of site 0");
    v->bt.tc_pc = v->bt.block[0].tc;
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, v->bt.tc_pc);
    cr_expect(hv_bt_at_boundary(hv, v), "the first word of block 0");
    v->bt.tc_pc = 0; /* the same address as a guest pc: a boundary */
    cr_expect(hv_bt_at_boundary(hv, v), "a guest pc at the miss callout's address");
    hu_free(hv, &m);
}

/* A kernel calls two functions (g = f + 8) by turns through one jalr (each call misses the
 * site's one cached target) while its timer ticks; the tick handler keeps every register. The
 * time slice ends (a PREEMPT exit) at a different point of the loop for each slice length tried,
 * at a miss callout for some: the registers must come out as under hw. (A tick reflected at
 * the callout gave the handler, and then the kernel, r1 = a TC address: tinyos panicked at a
 * bus error under bt with large backing.) */
#define TICKING_SRC                                                                                \
    ".org 0x1000\nli sp, 0x8000\nla r1, tick\ncsrw tvec, r1\nli r1, 700\ncsrw timer, r1\nsti\n"    \
    "li r9, 0\nli r3, 0\nli r4, 0\nli r7, 0\n"                                                     \
    "again: la r1, f\nandi r2, r9, 1\nshli r2, r2, 3\nadd r1, r1, r2\n"                            \
    "jalr lr, r1, 0\naddi r9, r9, 1\ncmpi r9, 1000\nblt again\ncli\nout r0, [0xf0]\n"              \
    "f: addi r3, r3, 1\nret\ng: addi r4, r4, 1\nret\n"                                             \
    "tick: push r1\naddi r7, r7, 1\nli r1, 700\ncsrw timer, r1\npop r1\niret\n"

static int run_sliced(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t cpu, hv_mem_technique_t mem,
                      uint64_t slice)
{
    hv_config_t cfg = hu_config();
    cfg.slice = slice;
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", TICKING_SRC, &c);
    cr_assert_eq(hv_run(*hv, 20000000), SIM_RUN_POWEROFF, "cpu %u, slice %llu", cpu,
                 (unsigned long long)slice);
    return vm;
}

Test(hv_bt, ticks_at_a_site_miss_keep_the_registers, .timeout = 120)
{
    for (uint64_t slice = 1000; slice < 1040; slice++) {
        static sim_machine_t m1, m2;
        hv_t *hw, *bt;
        int a = run_sliced(&m1, &hw, HV_CPU_HW, HV_MEM_NESTED, slice);
        int b = run_sliced(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW, slice);
        for (unsigned r = 3; r <= 4; r++)
            cr_expect_eq(reg(&m2, bt, b, r), reg(&m1, hw, a, r),
                         "slice %llu: r%u under bt %u, under hw %u", (unsigned long long)slice, r,
                         reg(&m2, bt, b, r), reg(&m1, hw, a, r));
        cr_expect_gt(reg(&m2, bt, b, 7), 0, "slice %llu: ticks arrived", (unsigned long long)slice);
        hu_free(hw, &m1);
        hu_free(bt, &m2);
    }
}

/* Inline emulation (issue 15): the UART's status and the interrupt mask are emulated in the
 * TC, against the monitor's copy on the state page; each site is counted when it is
 * translated: here twice (the block at 0x1000 runs into the first iteration, the back edge
 * starts a block at .loop), and 100 iterations of four of them enter the monitor no more than the loop's
 * block exits do (with callouts they would be 400 calls). */
Test(hv_bt, inline_emulation_is_counted_per_site_and_stays_in_the_tc)
{
    const char *src = ".org 0x1000\nli r9, 100\n.loop: in r3, [0x3f9]\nin r4, [0x3f9]\n"
                      "csrr r5, im\ncsrw im, r5\naddi r9, r9, -1\ncmpi r9, 0\nbne .loop\n"
                      "out r0, [0xf0]\n";
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW, src);
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    cr_expect_eq(s->inline_devices, 4, "two `in` sites, translated twice of the UART's status: %llu",
                 (unsigned long long)s->inline_devices);
    cr_expect_eq(s->inline_csrs, 4, "csrr im and csrw im, translated twice: %llu",
                 (unsigned long long)s->inline_csrs);
    cr_expect_lt(s->callouts, 10, "%llu callouts", (unsigned long long)s->callouts);
    cr_expect_eq(reg(&m, hv, vm, 3), 0x2, "the status: output ready, no input (0x%x)",
                 reg(&m, hv, vm, 3));
    cr_expect_eq(reg(&m, hv, vm, 5), 0xffffffffu >> (32 - CPU_IRQ_LINES), "im as at reset");
    hu_free(hv, &m);
}

/* The clock and the virtual timer read inline (issue 15, step 3): `csrr cycle` runs as it is
 * in the monitor's code and `csrr timer` computes the countdown from the monitor's copy of
 * the timer, with no callout. The two timer reads lie as far apart as the two clock reads
 * beside them (each timer read reads the clock at the same offset; a first read maps the
 * state page, whose hidden fault would fall between), so the countdown fell by exactly the
 * cycles the clock counted; a timer that went by (interrupts off: it cannot be
 * taken) and a timer switched off read 0, as under hw. */
#define TIMER_SRC                                                                                  \
    ".org 0x1000\nli r1, 100000\ncsrw timer, r1\nli r9, 50\ncsrr r2, timer\n"                      \
    "csrr r5, cycle\ncsrr r3, timer\n.l1: addi r9, r9, -1\ncmpi r9, 0\nbne .l1\n"                  \
    "csrr r6, cycle\ncsrr r4, timer\n"                                                             \
    "li r1, 60\ncsrw timer, r1\nli r9, 100\n.l2: addi r9, r9, -1\ncmpi r9, 0\nbne .l2\n"           \
    "csrr r7, timer\ncsrw timer, r0\ncsrr r8, timer\nout r0, [0xf0]\n"

Test(hv_bt, the_clock_and_the_timer_are_read_inline)
{
    static sim_machine_t m1, m2;
    hv_t *hw, *bt;
    int a = run_vm(&m1, &hw, HV_CPU_HW, HV_MEM_SHADOW, TIMER_SRC);
    int b = run_vm(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW, TIMER_SRC);
    uint32_t r3 = reg(&m2, bt, b, 3), r4 = reg(&m2, bt, b, 4);
    uint32_t r5 = reg(&m2, bt, b, 5), r6 = reg(&m2, bt, b, 6);
    cr_expect(r3 > r4 && r3 <= 100000, "the countdown runs: %u then %u", r3, r4);
    cr_expect_eq(r3 - r4, r6 - r5, "it fell by %u, the clock counted %u", r3 - r4, r6 - r5);
    for (unsigned r = 7; r <= 8; r++)
        cr_expect_eq(reg(&m2, bt, b, r), reg(&m1, hw, a, r), "r%u: %u under bt, %u under hw", r,
                     reg(&m2, bt, b, r), reg(&m1, hw, a, r));
    cr_expect_eq(reg(&m2, bt, b, 7), 0, "a timer that went by reads 0");
    const hv_bt_stats_t *s = &bt->vms[b].stats.bt;
    cr_expect_eq(s->inline_clocks, 7, "seven clock and timer sites, each translated once: %llu",
                 (unsigned long long)s->inline_clocks);
    /* the three csrw timer, each a callout, and the block exits; no read calls out */
    cr_expect_lt(s->callouts, 12, "%llu callouts", (unsigned long long)s->callouts);
    hu_free(hw, &m1);
    hu_free(bt, &m2);
}

/* The monitor's clock is its own: the guest's user code, and its kernel's code outside the
 * TC, still trap on `csrr cycle` (privileged in U; cpu.h, control MONITOR). Here a user
 * program reads the clock under bt and gets the privileged-instruction fault, as natively. */
Test(hv_bt, the_guests_user_code_may_not_read_the_clock)
{
    const char *src = ".org 0x1000\nla r1, trap\ncsrw tvec, r1\nla r1, user\ncsrw epc, r1\n"
                      "li r1, 0\ncsrw eflags, r1\niret\n"
                      "trap: csrr r3, cause\nout r0, [0xf0]\n"
                      ".org 0x2000\nuser: csrr r4, cycle\nb user\n";
    static sim_machine_t m;
    hv_t *hv;
    int vm = run_vm(&m, &hv, HV_CPU_BT, HV_MEM_SHADOW, src);
    cr_expect_eq(reg(&m, hv, vm, 3), CPU_CAUSE_PRIVILEGED, "cause %u", reg(&m, hv, vm, 3));
    hu_free(hv, &m);
}

/* Guest code in the monitor's region (issue 15): the top 4 MiB are the guest's too; only its
 * kernel's view while translated code runs has the monitor there. This kernel maps its own
 * code at 0xffc00000 (the TC's first page) and its user program at 0xffc01000 with the user's
 * stack on the same page, calls up, runs a loop, a nested call, sensitive instructions and a
 * callout there, and then the user program, which reads the clock: the privileged-instruction
 * fault, as natively (the monitor's code may read it; guest code at its addresses may not).
 * Transcript and registers as under hw; before, bt gave the kernel a bus error at 0xffc00000
 * (the translator refused to read code there) and the user program the clock. */
#define TOP_SRC                                                                                    \
    ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli sp, 0x8000\nli r1, 0x10003\n"                  \
    "csrw ptroot, r1\nli r2, 0xffc00000\njalr lr, r2, 0\nli r1, 0x42\nout r1, [0x3f8]\n"           \
    "li r1, 0xffc01000\ncsrw epc, r1\nli r1, 0\ncsrw eflags, r1\niret\n"                           \
    "handler: csrr r11, cause\ncsrr r12, epc\ncsrr r13, tval\nli r1, 0x48\nout r1, [0x3f8]\n"      \
    "out r0, [0xf0]\n"                                                                             \
    ".org 0x31000\nmov r10, lr\nli r3, 0\nli r9, 10\n.k1: addi r3, r3, 3\naddi r9, r9, -1\n"       \
    "cmpi r9, 0\nbne .k1\njal lr, .kf\nrdmode r4\ncsrr r5, status\nsti\ncli\npushf\npop r6\n"      \
    "li r1, 0x4b\nout r1, [0x3f8]\njalr r0, r10, 0\n.kf: addi r3, r3, 100\nret\n"                  \
    ".org 0x32000\nli sp, 0xffc01800\nli r8, 0\nli r9, 5\n.u1: addi r8, r8, 7\naddi r9, r9, -1\n"  \
    "cmpi r9, 0\nbne .u1\npush r8\npushf\npop r10\npop r7\ncsrr r9, cycle\nli r7, 99\nsyscall\n"

static int run_top(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t cpu, hv_mem_technique_t mem)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", TOP_SRC, &c);
    const uint32_t rwx = MMU_PTE_V | MMU_PTE_R | MMU_PTE_W | MMU_PTE_X;
    hu_put_word(*hv, vm, 0x10000, MMU_PTE_MAKE(0x11, MMU_PTE_V));
    hu_put_word(*hv, vm, 0x10000 + 4 * 1023, MMU_PTE_MAKE(0x12, MMU_PTE_V));
    for (uint32_t p = 0; p < 10; p++)
        hu_put_word(*hv, vm, 0x11000 + 4 * p, MMU_PTE_MAKE(p, rwx));
    hu_put_word(*hv, vm, 0x12000, MMU_PTE_MAKE(0x31, rwx));
    hu_put_word(*hv, vm, 0x12004, MMU_PTE_MAKE(0x32, rwx | MMU_PTE_U));
    int rc = hv_run(*hv, 5000000);
    cr_assert_eq(rc, SIM_RUN_POWEROFF, "cpu %u: run %d, console '%s'", cpu, rc,
                 (*hv)->vms[vm].dev.transcript.text);
    return vm;
}

Test(hv_bt, guest_code_in_the_monitors_region_runs_as_under_hw)
{
    static sim_machine_t m1, m2;
    hv_t *hw, *bt;
    int a = run_top(&m1, &hw, HV_CPU_HW, HV_MEM_NESTED);
    int b = run_top(&m2, &bt, HV_CPU_BT, HV_MEM_SHADOW);
    const sim_keep_t *ta = &hw->vms[a].dev.transcript, *tb = &bt->vms[b].dev.transcript;
    cr_expect(tb->len == ta->len && memcmp(tb->text, ta->text, ta->len) == 0,
              "transcript under bt '%.*s', under hw '%.*s'", (int)tb->len, tb->text, (int)ta->len,
              ta->text);
    cr_expect_eq(ta->len, 3, "K, B and H under hw: %zu bytes", ta->len);
    static const unsigned regs[] = {3, 4, 5, 6, 7, 8, 10, 11, 12, 13, CPU_REG_SP};
    for (unsigned k = 0; k < sizeof regs / sizeof *regs; k++)
        cr_expect_eq(reg(&m2, bt, b, regs[k]), reg(&m1, hw, a, regs[k]),
                     "r%u under bt 0x%x, under hw 0x%x", regs[k], reg(&m2, bt, b, regs[k]),
                     reg(&m1, hw, a, regs[k]));
    cr_expect_eq(reg(&m2, bt, b, 3), 130, "the loop and the call ran up there");
    cr_expect_eq(reg(&m2, bt, b, 11), CPU_CAUSE_PRIVILEGED, "the user's clock read: cause %u",
                 reg(&m2, bt, b, 11));
    cr_expect(reg(&m2, bt, b, 12) > 0xffc01000u && reg(&m2, bt, b, 12) < 0xffc01100u,
              "at its own address: 0x%x", reg(&m2, bt, b, 12));
    cr_expect_eq(reg(&m2, bt, b, 7), 35, "not the li after it: %u", reg(&m2, bt, b, 7));
    const hv_bt_stats_t *s = &bt->vms[b].stats.bt;
    cr_expect_gt(s->blocks, 3, "blocks up there were translated: %llu",
                 (unsigned long long)s->blocks);
    cr_expect_gt(s->monitor_region, 0, "the user's stack up there, through the monitor");
    hu_free(hw, &m1);
    hu_free(bt, &m2);
}
