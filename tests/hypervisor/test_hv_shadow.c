/*
 * test_hv_shadow.c - shadow paging (mem = shadow, hypervisor/hv_shadow.c), under hardware
 * assist and under trap-and-emulate: hidden faults told from the guest's own, exactly one per
 * page and address space; A and D bits written into the guest's tables; the shadow following
 * the guest's page-table changes (tlbinv, tlbflush) and address-space switches; device
 * registers reached through a shadow; the guest's user mode kept out of its kernel's pages;
 * the shadows mapping nothing but the VM's own frames.
 *
 * The guests are small kernels written here. Their page tables are written into guest memory
 * by the test (as a boot loader would have), two levels, 4 KiB pages:
 *   gpa 0x10000 root A, 0x11000 its table for 0..4 MiB, 0x14000 its table for 4..8 MiB
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

#define ROOT_A 0x10000u
#define L0_A 0x11000u
#define ROOT_B 0x12000u
#define L0_B 0x13000u
#define L0_A_HIGH 0x14000u
#define DATA(i) (0x20000u + 0x1000u * (i))
#define KDATA (MMU_PTE_R | MMU_PTE_W)           /* a kernel data page */
#define KCODE (MMU_PTE_R | MMU_PTE_X)           /* a kernel code page */
#define UCODE (MMU_PTE_R | MMU_PTE_X | MMU_PTE_U) /* a user code page */

/* The kernel's frame: tvec = handler (records cause in r11, tval in r12, eflags in r13 and
 * skips the faulting instruction), paging on with root A (ASID 1), the body, power-off. */
#define KERNEL(body)                                                                               \
    ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli r1, 0x10003\ncsrw ptroot, r1\n" body          \
    "\nout r0, [0xf0]\nspin: b spin\n"                                                             \
    "handler: csrr r11, cause\ncsrr r12, tval\ncsrr r13, eflags\ncsrr r1, epc\naddi r1, r1, 4\n"  \
    "csrw epc, r1\niret\n"

typedef struct {
    hv_cpu_technique_t cpu;
    const char *name;
} technique_t;

static const technique_t techniques[] = {{HV_CPU_HW, "hw"}, {HV_CPU_TRAP, "trap"}};

/* Maps page va -> gpa in the tree at root (whose table for va's 4 MiB is l0). */
static void gmap(hv_t *hv, int vm, uint32_t root, uint32_t l0, uint32_t va, uint32_t gpa,
                 uint32_t bits)
{
    hu_put_word(hv, vm, root + 4 * (va >> 22), MMU_PTE_MAKE(l0 >> 12, MMU_PTE_V));
    hu_put_word(hv, vm, l0 + 4 * ((va >> 12) & 0x3ff), MMU_PTE_MAKE(gpa >> 12, MMU_PTE_V | bits));
}

static uint32_t pte_of(hv_t *hv, int vm, uint32_t l0, uint32_t va)
{
    return hu_get_word(hv, vm, l0 + 4 * ((va >> 12) & 0x3ff));
}

/* A one-VM machine running `src` with cpu = t and mem = shadow; the code page (va = gpa 0x1000)
 * is mapped K-only in tree A and the data frames hold 111, 222, 333. */
static int shadow_vm_sync(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t t, const char *src,
                          uint32_t memory, bool trace)
{
    hv_config_t cfg = hu_config();
    cfg.shadow_trace = trace;
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = t, .mem = HV_MEM_SHADOW, .memory = memory, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    gmap(*hv, vm, ROOT_A, L0_A, 0x1000, 0x1000, KCODE);
    for (unsigned i = 0; i < 3; i++)
        hu_put_word(*hv, vm, DATA(i), 111 * (i + 1));
    return vm;
}

static int shadow_vm_of(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t t, const char *src,
                        uint32_t memory)
{
    return shadow_vm_sync(m, hv, t, src, memory, false);
}

static int shadow_vm(sim_machine_t *m, hv_t **hv, hv_cpu_technique_t t, const char *src)
{
    return shadow_vm_of(m, hv, t, src, 0);
}

static uint32_t reg(sim_machine_t *m, hv_t *hv, int vm, unsigned r)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0), CPU_VMCB_GUEST + CPU_VMCB_R(r));
}

static void expect_invariants(hv_t *hv)
{
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
}

/* Four mapped pages and one unmapped: one hidden fault per page the guest touches (the code
 * page twice: before and after paging is on, in two shadows), and exactly one fault the guest
 * sees, with its own cause and address. */
ParameterizedTestParameters(hv_shadow, hidden_and_guest_faults)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, hidden_and_guest_faults)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, t->cpu,
                       KERNEL("li r2, 0x200000\nld r3, [r2]\nli r2, 0x201000\nld r4, [r2]\n"
                              "li r2, 0x202000\nld r5, [r2]\nli r2, 0x203000\nld r6, [r2]\n"
                              "li r2, 0x300000\nld r7, [r2]\n"));
    for (unsigned i = 0; i < 4; i++)
        gmap(hv, vm, ROOT_A, L0_A, 0x200000 + 0x1000 * i, DATA(i % 3), KDATA | MMU_PTE_A);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->hidden_faults, 6, "%s: 2 code + 4 data pages, got %llu", t->name,
                 (unsigned long long)s->hidden_faults);
    cr_expect_eq(s->guest_faults, 1, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3) + reg(&m, hv, vm, 4) + reg(&m, hv, vm, 5) + reg(&m, hv, vm, 6),
                 111 + 222 + 333 + 111, "%s: the loads read the guest's frames", t->name);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_LOAD_PAGE_FAULT, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 12), 0x300000, "%s: the guest's fault address", t->name);
    cr_expect_eq(reg(&m, hv, vm, 7), 0, "%s: the faulting load did not run", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* A is set in every leaf the guest used, D only where it stored; a page loaded first and
 * stored later is shadowed read-only until the store (a second hidden fault sets D). */
ParameterizedTestParameters(hv_shadow, accessed_and_dirty_bits_reach_the_guest)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, accessed_and_dirty_bits_reach_the_guest)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, t->cpu,
                       KERNEL("li r2, 0x200000\nld r3, [r2]\nli r2, 0x201000\nst r2, [r2]\n"
                              "li r2, 0x202000\nld r3, [r2]\nst r2, [r2]\n"));
    for (unsigned i = 0; i < 3; i++)
        gmap(hv, vm, ROOT_A, L0_A, 0x200000 + 0x1000 * i, DATA(i), KDATA);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    uint32_t p0 = pte_of(hv, vm, L0_A, 0x200000), p1 = pte_of(hv, vm, L0_A, 0x201000),
             p2 = pte_of(hv, vm, L0_A, 0x202000);
    cr_expect((p0 & MMU_PTE_A) && !(p0 & MMU_PTE_D), "%s: loaded only: 0x%x", t->name, p0);
    cr_expect((p1 & MMU_PTE_A) && (p1 & MMU_PTE_D), "%s: stored: 0x%x", t->name, p1);
    cr_expect((p2 & MMU_PTE_A) && (p2 & MMU_PTE_D), "%s: loaded, then stored: 0x%x", t->name, p2);
    cr_expect_eq(hu_get_word(hv, vm, DATA(1)), 0x201000, "%s: the store reached the frame",
                 t->name);
    cr_expect_eq(hu_get_word(hv, vm, DATA(2)), 0x202000, "%s", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->hidden_faults, 2 + 1 + 1 + 2, "%s: code 2, p0 1, p1 1, p2 2: %llu", t->name,
                 (unsigned long long)s->hidden_faults);
    cr_expect_eq(s->ad_updates, 5, "%s: code A, p0 A, p1 AD, p2 A then D: %llu", t->name,
                 (unsigned long long)s->ad_updates);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The guest remaps a page it has used (its own table is mapped for it to write): after its
 * tlbinv the new frame is read, after changing back and tlbflush the old one again. */
ParameterizedTestParameters(hv_shadow, follows_changed_entries_on_tlbinv_and_tlbflush)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, follows_changed_entries_on_tlbinv_and_tlbflush)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    char src[1024];
    snprintf(src, sizeof src,
             KERNEL("li r2, 0x200000\nld r3, [r2]\n"
                    "li r4, 0x%x\nli r5, 0x%x\nst r5, [r4]\ntlbinv r2\nld r6, [r2]\n"
                    "li r5, 0x%x\nst r5, [r4]\ntlbflush\nld r7, [r2]\n"),
             L0_A + 4 * 0x200, MMU_PTE_MAKE(DATA(1) >> 12, MMU_PTE_V | KDATA | MMU_PTE_A),
             MMU_PTE_MAKE(DATA(0) >> 12, MMU_PTE_V | KDATA | MMU_PTE_A));
    int vm = shadow_vm(&m, &hv, t->cpu, src);
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    gmap(hv, vm, ROOT_A, L0_A, L0_A, L0_A, KDATA); /* its own table, to write it */
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3), 111, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 6), 222, "%s: after tlbinv, the new frame", t->name);
    cr_expect_eq(reg(&m, hv, vm, 7), 111, "%s: after tlbflush, the old frame again", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->tlbinv_syncs, 1, "%s", t->name);
    cr_expect_eq(s->tlbflush_syncs, 1, "%s", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* Two address spaces map 0x200000 to different frames; the guest switches between them three
 * times. Each keeps its shadow: the faults are those of the first round only. */
ParameterizedTestParameters(hv_shadow, address_space_switches_keep_their_shadows)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, address_space_switches_keep_their_shadows)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, t->cpu,
                       KERNEL("li r2, 0x200000\nli r9, 3\nli r10, 0\n"
                              "round: li r1, 0x10003\ncsrw ptroot, r1\nld r3, [r2]\nadd r10, r10, r3\n"
                              "li r1, 0x12005\ncsrw ptroot, r1\nld r3, [r2]\nadd r10, r10, r3\n"
                              "csrr r8, ptroot\naddi r9, r9, -1\ncmpi r9, 0\nbne round\n"));
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    gmap(hv, vm, ROOT_B, L0_B, 0x1000, 0x1000, KCODE);
    gmap(hv, vm, ROOT_B, L0_B, 0x200000, DATA(1), KDATA);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 10), 3 * (111 + 222), "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 8), 0x12005, "%s: csrr reads the guest's ptroot", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->builds, 3, "%s: paging off, A, B", t->name);
    cr_expect_eq(s->hidden_faults, 5, "%s: code (off), code + data in A and in B: %llu", t->name,
                 (unsigned long long)s->hidden_faults);
    cr_expect_geq(s->switches, 7, "%s", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* A device register mapped by the guest's tables is emulated after the shadow fault. */
ParameterizedTestParameters(hv_shadow, device_registers_through_a_shadow)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, device_registers_through_a_shadow)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, t->cpu,
                       KERNEL("li r2, 0x400000\nli r1, 'Z'\nst r1, [r2]\nli r1, 10\nst r1, [r2]\n"
                              "ld r3, [r2 + 4]\n"));
    gmap(hv, vm, ROOT_A, L0_A_HIGH, 0x400000, SIM_UART_MMIO, KDATA);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)vm), "Z") != NULL, "%s: console '%s'", t->name,
              hv_vm_console(hv, (unsigned)vm));
    cr_expect_eq(hv->vms[vm].stats.shadow.mmio, 3, "%s", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The guest's user mode may not touch a kernel page: its fault goes to the guest kernel (from
 * U, with the address), while the kernel itself reads the page. Under trap the kernel runs in
 * real U, so this is the user's view of the shadow keeping the two apart. */
ParameterizedTestParameters(hv_shadow, user_mode_is_kept_out_of_kernel_pages)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, user_mode_is_kept_out_of_kernel_pages)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, t->cpu,
                       ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli r1, 0x10003\n"
                       "csrw ptroot, r1\nli r2, 0x200000\nld r3, [r2]\n"
                       "li r1, 0x5000\ncsrw epc, r1\ncsrw eflags, r0\niret\n"
                       "handler: csrr r11, cause\ncsrr r12, tval\ncsrr r13, eflags\n"
                       "out r0, [0xf0]\n"
                       ".org 0x5000\nuser: li r2, 0x200000\nld r4, [r2]\nli r5, 1\nspin: b spin\n");
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    gmap(hv, vm, ROOT_A, L0_A, 0x5000, 0x5000, UCODE);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3), 111, "%s: the kernel reads its page", t->name);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_LOAD_PAGE_FAULT, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 12), 0x200000, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 13) & CPU_FLAG_MODE_MASK, 0, "%s: from U", t->name);
    cr_expect_eq(reg(&m, hv, vm, 4) + reg(&m, hv, vm, 5), 0, "%s: the user went no further",
                 t->name);
    cr_expect_eq(hv->vms[vm].stats.shadow.guest_faults, 1, "%s", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}


/* Destroying a shadow VM gives its shadow tables back to the pool. */
Test(hv_shadow, destroy_gives_the_shadow_tables_back)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = shadow_vm(&m, &hv, HV_CPU_HW, KERNEL("li r2, 0x200000\nld r3, [r2]\n"));
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    uint32_t free_before = 0, free_after = 0;
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before += hv->owner[f] == HV_FRAME_FREE;
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_gt(hv->vms[vm].stats.shadow.tables, 2);
    hv_vm_destroy(hv, (unsigned)vm);
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_after += hv->owner[f] == HV_FRAME_FREE;
    cr_expect_gt(free_after, free_before, "the VM's frames, VMCB, nested and shadow tables");
    for (uint32_t f = 0; f < hv->nframes; f++)
        cr_expect(hv->owner[f] != HV_FRAME_HV || (f << 12) < HV_RESERVED_BYTES,
                  "frame 0x%x still the hypervisor's", f);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Paging turned on: nothing cached while it was off may serve an address
 * ------------------------------------------------------------------------------------------ */
/* The kernel reads gpa 0x5000 with paging off, then turns paging on (ASID 0) with tables that
 * map its code but not 0x5000, and reads and writes 0x5000 again: both are page faults, as on
 * bare hardware, under every technique pair (the TLB once kept the paging-off entry under
 * nested paging and let them through). */
static const struct {
    hv_cpu_technique_t cpu;
    hv_mem_technique_t mem;
} paging_pairs[] = {{HV_CPU_HW, HV_MEM_NESTED},   {HV_CPU_HW, HV_MEM_SHADOW},
                    {HV_CPU_EMU, HV_MEM_NESTED},  {HV_CPU_EMU, HV_MEM_SHADOW},
                    {HV_CPU_TRAP, HV_MEM_SHADOW}, {HV_CPU_BT, HV_MEM_SHADOW}};

ParameterizedTestParameters(hv_shadow, paging_on_drops_what_paging_off_cached)
{
    TH_ROW_INDICES(sizeof paging_pairs / sizeof *paging_pairs);
}

ParameterizedTest(size_t *row, hv_shadow, paging_on_drops_what_paging_off_cached)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {
        .cpu = paging_pairs[*row].cpu, .mem = paging_pairs[*row].mem, .pin = {-1, -1, -1, -1}};
    const char *pair = hv_cpu_technique_name(c.cpu), *mem = hv_mem_technique_name(c.mem);
    int vm = hu_vm(hv, "guest",
                   ".org 0x1000\nla r1, handler\ncsrw tvec, r1\nli r2, 0x5000\n"
                   "ld r3, [r2]\nst r3, [r2]\nli r1, 0x10001\ncsrw ptroot, r1\n"
                   "li r11, 0\nld r4, [r2]\nmov r5, r11\nli r11, 0\nst r3, [r2]\n"
                   "mov r6, r11\nout r0, [0xf0]\nspin: b spin\nhandler: csrr r11, "
                   "cause\ncsrr r1, epc\naddi r1, r1, 4\ncsrw epc, r1\niret\n",
                   &c);
    gmap(hv, vm, ROOT_A, L0_A, 0x1000, 0x1000, KCODE);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s/%s", pair, mem);
    cr_expect_eq(reg(&m, hv, vm, 5), CPU_CAUSE_LOAD_PAGE_FAULT, "%s/%s: the load's cause %u", pair,
                 mem, reg(&m, hv, vm, 5));
    cr_expect_eq(reg(&m, hv, vm, 6), CPU_CAUSE_STORE_PAGE_FAULT, "%s/%s: the store's cause %u",
                 pair, mem, reg(&m, hv, vm, 6));
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Shadow exhaustion: a per-VM budget keeps one VM from taking every frame
 * ------------------------------------------------------------------------------------------ */
/* The attacker (2 MiB) points all 1 024 root slots at one table and touches a page through
 * each, under 8 ASIDs: 8 x 1 024 shadow tables wanted, more than the host's 4 096 frames. Its
 * budget (64 tables) is reclaimed instead: it finishes (slower), holds at most its budget, and
 * the victim beside it, which touches 64 fresh pages afterwards, runs to its end. */
#define EXHAUST_KERNEL                                                                             \
    ".org 0x1000\nli r9, 0\nasid: shli r1, r9, 1\nori r1, r1, 1\nli r2, 0x10000\nadd r1, r1, r2\n" \
    "csrw ptroot, r1\nli r3, 0\nslot: shli r4, r3, 22\nli r5, 0x1000\nadd r4, r4, r5\n"            \
    "ld r6, [r4]\naddi r3, r3, 1\ncmpi r3, 1024\nblt slot\naddi r9, r9, 1\ncmpi r9, 8\n"           \
    "blt asid\nout r0, [0xf0]\n"
#define VICTIM_KERNEL                                                                              \
    ".org 0x1000\nli r3, 0\nli r4, 0x40000\nloop: st r3, [r4]\nli r5, 0x1000\nadd r4, r4, r5\n"    \
    "addi r3, r3, 1\ncmpi r3, 64\nblt loop\nli r1, 'k'\nout r1, [0x3f8]\nli r1, 10\n"              \
    "out r1, [0x3f8]\nout r0, [0xf0]\n"

static const hv_cpu_technique_t exhaust_cpus[] = {HV_CPU_HW, HV_CPU_EMU, HV_CPU_TRAP, HV_CPU_BT};

ParameterizedTestParameters(hv_shadow, exhaustion_is_bounded_per_vm)
{
    TH_ROW_INDICES(sizeof exhaust_cpus / sizeof *exhaust_cpus);
}

ParameterizedTest(size_t *row, hv_shadow, exhaustion_is_bounded_per_vm, .timeout = 120)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t a = {.cpu = exhaust_cpus[*row],
                        .mem = HV_MEM_SHADOW,
                        .memory = 2u << 20,
                        .pin = {0, -1, -1, -1},
                        .shadow_budget = 64};
    const char *name = hv_cpu_technique_name(a.cpu);
    int attacker = hu_vm(hv, "attacker", EXHAUST_KERNEL, &a);
    for (uint32_t slot = 0; slot < 1024; slot++)
        hu_put_word(hv, attacker, ROOT_A + 4 * slot, MMU_PTE_MAKE(L0_A >> 12, MMU_PTE_V));
    hu_put_word(hv, attacker, L0_A + 4, MMU_PTE_MAKE(1, MMU_PTE_V | KCODE | MMU_PTE_A));
    hv_vm_config_t b = {.cpu = HV_CPU_HW, .mem = HV_MEM_SHADOW, .pin = {1, -1, -1, -1}};
    int victim = hu_vm(hv, "victim", VICTIM_KERNEL, &b);
    sim_run_result_t res = hv_run(hv, 400000000);
    cr_assert_eq(res, SIM_RUN_POWEROFF, "%s: run ended %d; attacker %s (%s), victim %s (%s)", name,
                 res, hv_vm_state_name(hv->vms[attacker].state), hv->vms[attacker].why,
                 hv_vm_state_name(hv->vms[victim].state), hv->vms[victim].why);
    cr_expect_eq(hv->vms[attacker].state, HV_VM_OFF, "%s: the attacker is %s (%s)", name,
                 hv_vm_state_name(hv->vms[attacker].state), hv->vms[attacker].why);
    cr_expect_eq(hv->vms[victim].state, HV_VM_OFF, "%s: the victim is %s (%s)", name,
                 hv_vm_state_name(hv->vms[victim].state), hv->vms[victim].why);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)victim), "k\n", "%s", name);
    cr_expect_gt(hv->vms[attacker].stats.shadow.reclaims, 0, "%s", name);
    cr_expect_leq(hv->vms[attacker].shadow_tables, 64, "%s: it holds %u tables", name,
                  hv->vms[attacker].shadow_tables);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * The guest's large pages: splintered into 4 KiB shadow entries
 * ------------------------------------------------------------------------------------------ */
#define LARGE_VA 0x800000u  /* root A's entry 2: a large page of the guest (8 MiB of memory) */
#define LARGE_GPA 0x400000u /* the large frame it maps first; then it maps gpa 0 */
#define LARGE_LEAF(gpa) MMU_PTE_MAKE((gpa) >> 12, MMU_PTE_V | MMU_PTE_S | KDATA)

/* A guest large page under shadow paging: each page the guest touches in it is one hidden
 * fault and one 4 KiB shadow entry (splintered); A is set in the guest's large leaf. The
 * guest then points the large leaf elsewhere and invalidates one address of it: natively the
 * whole large TLB entry goes, so under shadow every page of its region must too (the page at
 * +0x1ff000, touched before, reads the new frame). */
ParameterizedTestParameters(hv_shadow, a_guest_large_page_is_splintered)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, a_guest_large_page_is_splintered)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    char src[1024];
    snprintf(src, sizeof src,
             KERNEL("li r2, 0x%x\nld r3, [r2]\nli r2, 0x%x\nld r4, [r2]\n"
                    "li r8, 0x%x\nli r9, 0x%x\nst r9, [r8]\nli r2, 0x%x\ntlbinv r2\n"
                    "li r2, 0x%x\nld r5, [r2]\nli r2, 0x%x\nld r6, [r2]\n"),
             LARGE_VA, LARGE_VA + 0x1ff000, ROOT_A + 4 * (LARGE_VA >> 22), LARGE_LEAF(0), LARGE_VA,
             LARGE_VA + DATA(0), LARGE_VA + 0x1ff000);
    int vm = shadow_vm_of(&m, &hv, t->cpu, src, 8u << 20);
    hu_put_word(hv, vm, ROOT_A + 4 * (LARGE_VA >> 22), LARGE_LEAF(LARGE_GPA));
    gmap(hv, vm, ROOT_A, L0_A, ROOT_A, ROOT_A, KDATA); /* its root, to write it */
    hu_put_word(hv, vm, LARGE_GPA, 0x1234);
    hu_put_word(hv, vm, LARGE_GPA + 0x1ff000, 0x5678);
    hu_put_word(hv, vm, 0x1ff000, 0x9abc);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3), 0x1234, "%s: the large page's first frame", t->name);
    cr_expect_eq(reg(&m, hv, vm, 4), 0x5678, "%s: its frame 0x1ff", t->name);
    cr_expect_eq(reg(&m, hv, vm, 5), 111, "%s: after tlbinv, the new large frame", t->name);
    cr_expect_eq(reg(&m, hv, vm, 6), 0x9abc, "%s: a page touched before: the new frame too",
                 t->name);
    cr_expect_eq(reg(&m, hv, vm, 11), 0, "%s: no fault reached the guest", t->name);
    uint32_t leaf = hu_get_word(hv, vm, ROOT_A + 4 * (LARGE_VA >> 22));
    cr_expect_eq(leaf, LARGE_LEAF(0) | MMU_PTE_A, "%s: A set in the large leaf: 0x%x", t->name,
                 leaf);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->hidden_faults, 2 + 1 + 4, "%s: code 2, root 1, large pages 4: %llu", t->name,
                 (unsigned long long)s->hidden_faults);
    cr_expect_eq(s->splinters, 4, "%s: %llu", t->name, (unsigned long long)s->splinters);
    cr_expect_eq(s->large_syncs, 1, "%s: %llu", t->name, (unsigned long long)s->large_syncs);
    cr_expect_eq(s->tlbinv_syncs, 1, "%s", t->name);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    hv_shadow_print_stats(hv, (unsigned)vm, f);
    fclose(f);
    cr_expect(strstr(text, "    shadow paging of large pages: 4 4 KiB shadow entries filled for "
                           "the guest's large pages (splintered: small-page TLB reach); tlbinv "
                           "dropped a large page's region 1 times\n"),
              "%s", text);
    free(text);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The MMU's rules for a large leaf hold in the software walk too: S with a PFN not aligned to
 * the large page is malformed: the guest's own page fault, nothing splintered. */
ParameterizedTestParameters(hv_shadow, a_malformed_large_leaf_is_the_guests_fault)
{
    TH_ROW_INDICES(2);
}

ParameterizedTest(size_t *row, hv_shadow, a_malformed_large_leaf_is_the_guests_fault)
{
    const technique_t *t = &techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    char src[256];
    snprintf(src, sizeof src, KERNEL("li r2, 0x%x\nld r3, [r2]\n"), LARGE_VA + 0x3000);
    int vm = shadow_vm_of(&m, &hv, t->cpu, src, 8u << 20);
    hu_put_word(hv, vm, ROOT_A + 4 * (LARGE_VA >> 22), LARGE_LEAF(LARGE_GPA + 0x1000));
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 11), CPU_CAUSE_LOAD_PAGE_FAULT, "%s: cause %u", t->name,
                 reg(&m, hv, vm, 11));
    cr_expect_eq(reg(&m, hv, vm, 12), LARGE_VA + 0x3000, "%s", t->name);
    cr_expect_eq(hv->vms[vm].stats.shadow.splinters, 0, "%s", t->name);
    cr_expect_eq(hv->vms[vm].stats.shadow.guest_faults, 1, "%s", t->name);
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Write-protect traces (shadow_sync = trace, hypervisor/hv_shadow_trace.c)
 * ------------------------------------------------------------------------------------------ */
static const technique_t traced_techniques[] = {
    {HV_CPU_HW, "hw"}, {HV_CPU_TRAP, "trap"}, {HV_CPU_BT, "bt"}};

/* The guest remaps a page it has used, then maps it back, with no tlbinv at all: each store
 * to its table is emulated and the shadow updated at once, so the next load already reads
 * the new frame; a tlbinv and a tlbflush after that change nothing and cost no sync. */
ParameterizedTestParameters(hv_shadow, traces_follow_each_pte_store_at_once)
{
    TH_ROW_INDICES(3);
}

ParameterizedTest(size_t *row, hv_shadow, traces_follow_each_pte_store_at_once)
{
    const technique_t *t = &traced_techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    char src[1024];
    snprintf(src, sizeof src,
             KERNEL("li r2, 0x200000\nld r3, [r2]\n"
                    "li r4, 0x%x\nli r5, 0x%x\nst r5, [r4]\nld r6, [r2]\n"
                    "li r5, 0x%x\nst r5, [r4]\nld r7, [r2]\ntlbinv r2\ntlbflush\nld r8, [r2]\n"),
             L0_A + 4 * 0x200, MMU_PTE_MAKE(DATA(1) >> 12, MMU_PTE_V | KDATA | MMU_PTE_A),
             MMU_PTE_MAKE(DATA(0) >> 12, MMU_PTE_V | KDATA | MMU_PTE_A));
    int vm = shadow_vm_sync(&m, &hv, t->cpu, src, 0, true);
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    gmap(hv, vm, ROOT_A, L0_A, L0_A, L0_A, KDATA); /* its own table, to write it */
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3), 111, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 6), 222, "%s: right after the store, the new frame", t->name);
    cr_expect_eq(reg(&m, hv, vm, 7), 111, "%s: after the second, the old one again", t->name);
    cr_expect_eq(reg(&m, hv, vm, 8), 111, "%s", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->trace_stores, 2, "%s: %llu", t->name, (unsigned long long)s->trace_stores);
    cr_expect_eq(s->traces, 2, "%s: root A and its table: %llu", t->name,
                 (unsigned long long)s->traces);
    cr_expect_eq(s->tlbinv_syncs + s->tlbflush_syncs, 0, "%s: the shadow was in step", t->name);
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_TLB_INVALIDATE], 0, "%s", t->name);
    cr_expect_eq(hu_get_word(hv, vm, L0_A + 4 * 0x200) >> 12, DATA(0) >> 12,
                 "%s: the store reached the guest's table", t->name);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* Two address spaces; while A runs, the guest changes B's entry for 0x200000 (B's table is
 * traced since B ran): when it switches to B, the load reads the new frame, with no tlbinv.
 * A store to B's root (a table entry) drops B's whole region, refilled on the next touch. */
ParameterizedTestParameters(hv_shadow, traces_keep_other_address_spaces_in_step)
{
    TH_ROW_INDICES(3);
}

ParameterizedTest(size_t *row, hv_shadow, traces_keep_other_address_spaces_in_step)
{
    const technique_t *t = &traced_techniques[*row];
    static sim_machine_t m;
    hv_t *hv;
    char src[1024];
    snprintf(src, sizeof src,
             KERNEL("li r2, 0x200000\nli r1, 0x12005\ncsrw ptroot, r1\nld r3, [r2]\n"
                    "li r1, 0x10003\ncsrw ptroot, r1\n"
                    "li r4, 0x%x\nli r5, 0x%x\nst r5, [r4]\n"
                    "li r1, 0x12005\ncsrw ptroot, r1\nld r6, [r2]\n"
                    "li r1, 0x10003\ncsrw ptroot, r1\nli r4, 0x%x\nld r5, [r4]\nst r5, [r4]\n"
                    "li r1, 0x12005\ncsrw ptroot, r1\nld r7, [r2]\n"
                    "li r1, 0x10003\ncsrw ptroot, r1\nld r8, [r2]\n"),
             L0_B + 4 * 0x200, MMU_PTE_MAKE(DATA(2) >> 12, MMU_PTE_V | KDATA | MMU_PTE_A), ROOT_B);
    int vm = shadow_vm_sync(&m, &hv, t->cpu, src, 0, true);
    gmap(hv, vm, ROOT_A, L0_A, 0x200000, DATA(0), KDATA);
    gmap(hv, vm, ROOT_A, L0_A, L0_B, L0_B, KDATA); /* B's table and root, to write them */
    gmap(hv, vm, ROOT_A, L0_A, ROOT_B, ROOT_B, KDATA);
    gmap(hv, vm, ROOT_B, L0_B, 0x1000, 0x1000, KCODE);
    gmap(hv, vm, ROOT_B, L0_B, 0x200000, DATA(1), KDATA);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", t->name);
    cr_expect_eq(reg(&m, hv, vm, 3), 222, "%s: B's frame", t->name);
    cr_expect_eq(reg(&m, hv, vm, 6), 333, "%s: B's new frame, changed while A ran", t->name);
    cr_expect_eq(reg(&m, hv, vm, 7), 333, "%s: after B's root entry was rewritten", t->name);
    cr_expect_eq(reg(&m, hv, vm, 8), 111, "%s: A's frame", t->name);
    const hv_shadow_stats_t *s = &hv->vms[vm].stats.shadow;
    cr_expect_eq(s->trace_stores, 2, "%s: %llu", t->name, (unsigned long long)s->trace_stores);
    expect_invariants(hv);
    hu_free(hv, &m);
}

/* The scenario key: shadow_sync = trace turns traces on (and tlbinv no longer exits), a bad
 * value is refused with the file and line. */
Test(hv_shadow, the_shadow_sync_key)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, "traced",
                                "[machine]\npcpus = 1\n[hypervisor]\nshadow_sync = trace\n"
                                "[vm bench]\nimage = bench.img\nmemory = 4M\ncpu = hw\n"
                                "mem = shadow\n");
    cr_assert(hv->cfg.shadow_trace);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_vm_stats_t *s = &hv->vms[0].stats;
    cr_expect_eq(s->exits[CPU_EXIT_TLB_INVALIDATE], 0);
    /* ptemod's stores, warm and timed (400); forkwait's 40 forks copy 1 024 entries and
     * write one more into the child's root, traced from the second fork on */
    cr_expect_eq(s->shadow.trace_stores, 400 + 39 * 1025, "%llu",
                 (unsigned long long)s->shadow.trace_stores);
    cr_expect_eq(s->shadow.traces, 4, "%llu", (unsigned long long)s->shadow.traces);
    hu_scenario_free(&sc, hv, &m);
    hu_expect_scenario_error("[hypervisor]\nshadow_sync = sometimes\n", false, "t.ini:2");
}
