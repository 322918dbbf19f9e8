/*
 * test_hv_trap.c - trap-and-emulate (cpu = trap, hypervisor/hv_trap.c): every privileged
 * instruction of a deprivileged guest kernel emulated against the virtual CPU state, system
 * calls, faults and interrupts reflected into the guest kernel, privileged instructions of
 * the guest's own user mode handed to its kernel, the popf hole (the trap-popf scenario, and
 * the rtos-like halt/popf pattern), and the technique keys of a scenario.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_technique.h"
#include "hv_util.h"

/* A machine with one VM running src under trap-and-emulate; returns the VM. */
static int trap_vm(sim_machine_t *m, hv_t **hv, const char *src)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = HV_CPU_TRAP, .mem = HV_MEM_NESTED, .pin = {-1, -1, -1, -1}};
    return hu_vm(*hv, "guest", src, &c);
}

static uint32_t vreg(sim_machine_t *m, hv_t *hv, int vm, unsigned reg)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(reg));
}

/* ------------------------------------------------------------------------------------------
 * Emulation of each privileged instruction: a guest that uses it and checks the effect, r10
 * = 1 when the effect was right. Each instruction must have been emulated (not run).
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *mnemonic;
    const char *src; /* ends with r10 = 1 on success; the program powers off after it */
} emu_case_t;

static emu_case_t emu_cases[] = {
    {"csrw", "li r1, 0x1234\ncsrw scratch, r1\ncsrr r2, scratch\ncmpi r2, 0x1234\nbne no\n"
             "li r10, 1\n"},
    {"csrr", "la r1, 0x2000\ncsrw tvec, r1\ncsrr r2, tvec\ncmp r1, r2\nbne no\n"
             "csrr r3, status\nandi r3, r3, 0x3100\ncmpi r3, 0x1000\nbne no\n" /* virtual K, IE 0 */
             "csrr r4, cpunum\ncmpi r4, 0\nbne no\nli r10, 1\n"},
    {"sti", "sti\ncsrr r2, status\nandi r2, r2, 0x100\ncmpi r2, 0x100\nbne no\nli r10, 1\n"},
    {"cli", "sti\ncli\ncsrr r2, status\nandi r2, r2, 0x100\ncmpi r2, 0\nbne no\nli r10, 1\n"},
    {"iret", "la r1, back\ncsrw epc, r1\nli r1, 0x1100\ncsrw eflags, r1\niret\nb no\n"
             "back: csrr r2, status\nandi r2, r2, 0x3100\ncmpi r2, 0x1100\nbne no\nli r10, 1\n"},
    {"halt", "la r1, tick\ncsrw tvec, r1\nli r1, 3000\ncsrw timer, r1\nhalt\n"
             "csrr r2, ip\nandi r2, r2, 1\ncmpi r2, 1\nbne no\nli r10, 1\nb ok\n"
             "tick: b no\n"},
    {"tlbinv", "li r1, 0x3000\ntlbinv r1\nli r10, 1\n"},
    {"tlbflush", "tlbflush\nli r10, 1\n"},
    {"in", "in r2, [0x3f9]\ncmpi r2, 2\nbne no\nli r10, 1\n"}, /* UART status: output ready */
    {"out", "li r1, 'k'\nout r1, [0x3f8]\nli r10, 1\n"},
};

ParameterizedTestParameters(hv_trap, each_privileged_instruction_is_emulated)
{
    TH_ROW_INDICES(sizeof emu_cases / sizeof emu_cases[0]);
}

ParameterizedTest(size_t *index, hv_trap, each_privileged_instruction_is_emulated)
{
    const emu_case_t *tc = &emu_cases[*index];
    static sim_machine_t m;
    hv_t *hv;
    char src[1024];
    snprintf(src, sizeof src, ".org 0x1000\nli r10, 0\n%sok: out r0, [0xf0]\nno: li r10, 2\n"
                              "out r0, [0xf0]\n", tc->src);
    int vm = trap_vm(&m, &hv, src);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF, "%s", tc->mnemonic);
    cr_expect_eq(vreg(&m, hv, vm, 10), 1, "%s: the emulated effect", tc->mnemonic);
    int op = cpu_op_by_mnemonic(tc->mnemonic);
    cr_expect_geq(hv_trap_emulated(hv, (unsigned)vm, (unsigned)op), 1, "%s emulated",
                  tc->mnemonic);
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_IO_PORT], 0, "no hardware-assist exits");
    hu_free(hv, &m);
}

/* Every instruction the ISA table marks privileged has its emulation function. */
Test(hv_trap, the_table_covers_every_privileged_instruction)
{
    for (unsigned op = 0; op < CPU_OP_COUNT; op++)
        cr_expect_eq(hv_trap_can_emulate(op), (cpu_isa[op].cls & CPU_CLASS_PRIV) != 0, "%s",
                     cpu_isa[op].mnemonic);
}

/* A paged kernel's code is supervisor-only: deprivileged into U it cannot fetch it, and the
 * VM is stopped with the reason instead of faulting for ever. */
Test(hv_trap, a_paged_kernel_is_stopped_with_the_reason)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, ".org 0x1000\n"
                              "li r1, 0x20000\nli r2, 0x21000 | 1\nst r2, [r1]\n" /* L1[0] */
                              "li r1, 0x21004\nli r2, 0x100f\nst r2, [r1]\n"     /* page 1: K RWX */
                              "li r1, 0x20001\ncsrw ptroot, r1\nnop\nout r0, [0xf0]\n");
    cr_assert_neq(hv_run(hv, 1000000), SIM_RUN_MAX_CYCLES);
    cr_expect_eq(hv->vms[vm].state, HV_VM_CRASHED);
    cr_expect(strstr(hv->vms[vm].why, "cpu = trap cannot run a paged kernel: its code at 0x0000") !=
                  NULL, "%s", hv->vms[vm].why);
    hu_free(hv, &m);
}

/* The guest kernel runs in real U: rdmode (sensitive, unprivileged) says so, while the
 * virtual status says K. */
Test(hv_trap, the_kernel_runs_deprivileged)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, ".org 0x1000\nla sp, 0x8000\nrdmode r2\ncsrr r3, status\npushf\npop r4\n"
                              "out r0, [0xf0]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 2), CPU_MODE_U);
    cr_expect_eq(vreg(&m, hv, vm, 3) & CPU_FLAG_MODE_MASK, CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    cr_expect_eq(vreg(&m, hv, vm, 4) & CPU_FLAG_MODE_MASK, 0, "pushf shows mode U");
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Reflection
 * ------------------------------------------------------------------------------------------ */
/* The guest kernel enters its user mode with iret; the user's syscall, a privileged
 * instruction and a divide by zero each reach the kernel's tvec with the cause, the virtual
 * eflags of user mode and the right epc. */
#define USER_KERNEL                                                                                \
    ".org 0x1000\n"                                                                                \
    "la sp, 0x8000\nla r1, on_trap\ncsrw tvec, r1\nla r1, user\ncsrw epc, r1\n"                   \
    "li r1, 0x100\ncsrw eflags, r1\nli r8, 0\niret\n"                                              \
    "on_trap: csrr r2, cause\ncsrr r3, eflags\ncsrr r4, epc\ncsrr r5, status\n"                   \
    "addi r8, r8, 1\ncmpi r8, 3\nbeq done\naddi r4, r4, 4\n"                                       \
    "cmpi r2, 4\nbne skip\naddi r4, r4, -4\nskip: csrw epc, r4\niret\n"                            \
    "done: out r0, [0xf0]\n"

Test(hv_trap, syscall_privileged_and_divide_traps_are_reflected)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, USER_KERNEL "user: syscall\ncli\nli r1, 0\ndiv r2, r2, r1\n"
                                          "spin: b spin\n");
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 2), CPU_CAUSE_DIV_ZERO, "the last trap");
    cr_expect_eq(vreg(&m, hv, vm, 3) & (CPU_FLAG_MODE_MASK | CPU_FLAG_IE), CPU_FLAG_IE,
                 "eflags: virtual U with IE");
    cr_expect_eq(vreg(&m, hv, vm, 5) & (CPU_FLAG_MODE_MASK | CPU_FLAG_IE),
                 CPU_MODE_K << CPU_FLAG_MODE_SHIFT, "the handler runs in virtual K, IE = 0");
    cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_SYSCALL), 1);
    cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_PRIVILEGED), 1,
                 "cli in the guest's U is the guest kernel's business");
    cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_DIV_ZERO), 1);
    cr_expect_eq(hv_trap_emulated(hv, (unsigned)vm, CPU_OP_CLI), 0);
    hu_free(hv, &m);
}

/* A timer interrupt is reflected when the virtual IE allows, into the kernel's tvec, with the
 * interrupted pc as epc. */
Test(hv_trap, interrupts_are_reflected_when_the_virtual_ie_allows)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, ".org 0x1000\nla r1, tick\ncsrw tvec, r1\nli r1, 5000\n"
                              "csrw timer, r1\nsti\nspin: addi r6, r6, 1\nb spin\n"
                              "tick: csrr r2, cause\ncsrr r3, epc\ncsrr r4, eflags\n"
                              "out r0, [0xf0]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 2), CPU_CAUSE_INTERRUPT | CPU_IRQ_TIMER);
    uint32_t epc = vreg(&m, hv, vm, 3);
    cr_expect(epc == 0x1018 || epc == 0x101c, "interrupted in the loop: 0x%x", epc);
    cr_expect_eq(vreg(&m, hv, vm, 4) & (CPU_FLAG_MODE_MASK | CPU_FLAG_IE),
                 CPU_FLAG_IE | CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_INTERRUPT), 1);
    cr_expect_gt(vreg(&m, hv, vm, 6), 100, "the guest ran on until the tick");
    hu_free(hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * The popf hole
 * ------------------------------------------------------------------------------------------ */
/* pushf, cli, popf: natively IE comes back; deprivileged, it stays 0 and the tick never
 * arrives. */
Test(hv_trap, popf_leaves_the_virtual_ie_cleared)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, ".org 0x1000\nla sp, 0x8000\nla r1, tick\ncsrw tvec, r1\nsti\npushf\ncli\npopf\n"
                              "li r1, 2000\ncsrw timer, r1\nli r7, 3000\n"
                              "spin: addi r7, r7, -1\ncmpi r7, 0\nbne spin\nli r10, 1\n"
                              "out r0, [0xf0]\ntick: li r10, 2\nout r0, [0xf0]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 10), 1, "no tick: IE stayed 0 after popf");
    cr_expect_eq(hv_trap_virtual_flags(hv, (unsigned)vm, 0) & CPU_FLAG_IE, 0);
    cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_INTERRUPT), 0);
    hu_free(hv, &m);
}

static const char *const popf_hw[] = {
    "[rom] 2048 KiB RAM, disk of 11 sectors: loading the boot partition (4 sectors) at 0x8000",
    "[boot] /kernel: 1548 bytes at 0x00020000",
    "popf: three critical sections (pushf, cli, ..., popf), a timer tick due in each",
    "popf: rdmode says the kernel runs in mode 1 (1 = K, 0 = U)",
    "popf: round 1, ticks so far 1",
    "popf: round 2, ticks so far 2",
    "popf: round 3, ticks so far 3",
    "popf: every tick arrived when popf restored IE",
};

static const char *const popf_trap[] = {
    "[rom] 2048 KiB RAM, disk of 11 sectors: loading the boot partition (4 sectors) at 0x8000",
    "[boot] /kernel: 1548 bytes at 0x00020000",
    "popf: three critical sections (pushf, cli, ..., popf), a timer tick due in each",
    "popf: rdmode says the kernel runs in mode 0 (1 = K, 0 = U)",
    "popf: round 1, ticks so far 0",
    "popf: round 2, ticks so far 0",
    "popf: round 3, ticks so far 0",
    "popf: ticks lost: popf did not restore IE (sensitive but unprivileged, it ran in U)",
};

static void expect_lines(const char *got, const char *const *want, size_t n, const char *who)
{
    char buf[4096] = "";
    for (size_t i = 0; i < n; i++) {
        strncat(buf, want[i], sizeof buf - strlen(buf) - 2);
        strcat(buf, "\n");
    }
    cr_expect_str_eq(got, buf, "%s", who);
}

Test(hv_trap, the_trap_popf_scenario, .timeout = 60)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "trap-popf");
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    int hw = hv_vm_by_name(hv, "popf-hw"), trap = hv_vm_by_name(hv, "popf-trap");
    expect_lines(hv_vm_console(hv, (unsigned)hw), popf_hw, 8, "under hw");
    expect_lines(hv_vm_console(hv, (unsigned)trap), popf_trap, 8, "under trap");
    cr_expect_eq(hv->vms[hw].exit_code, 0);
    cr_expect_eq(hv->vms[trap].exit_code, 1, "the guest saw its ticks lost");
    cr_expect_eq(hv_trap_emulated(hv, (unsigned)trap, CPU_OP_CLI), 3);
    cr_expect_eq(hv_trap_emulated(hv, (unsigned)trap, CPU_OP_STI), 1);
    hu_scenario_free(&sc, hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * The technique keys
 * ------------------------------------------------------------------------------------------ */
Test(hv_trap, technique_keys_are_checked_with_their_line)
{
    static hv_scenario_t sc;
    char *out = NULL;
    size_t len = 0;
    FILE *diag = open_memstream(&out, &len);
    int rc = hv_scenario_parse(&sc, "t.ini",
                               "[vm a]\nkernel = a.bin\ncpu = vmx\nmem = ept\n"
                               "[vm b]\nkernel = b.bin\ncpu = bt\nmem = nested\n"
                               "[vm c]\nkernel = c.bin\ncpu = emu\n",
                               NULL, NULL, diag);
    fclose(diag);
    cr_expect_eq(rc, -1);
    cr_expect(strstr(out, "t.ini:3: error: cpu = 'vmx': it must be emu, trap, bt or hw"), "%s", out);
    cr_expect(strstr(out, "t.ini:4: error: mem = 'ept': it must be shadow or nested"), "%s", out);
    cr_expect(strstr(out, "t.ini:7: error: cpu = bt needs mem = shadow"), "%s", out);
    cr_expect(strstr(out, "t.ini:8") == NULL, "the pair is reported once, at cpu: %s", out);
    cr_expect(strstr(out, "t.ini:11") == NULL, "emu is built: %s", out);
    free(out);
    hv_scenario_free(&sc);
}

Test(hv_trap, the_hypervisor_refuses_what_it_cannot_run)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    static const uint8_t prog[4] = {0, 0, 0, 0x01};
    hv_vm_config_t c = {.name = "bt", .vcpus = 1, .memory = 1u << 20, .cpu = HV_CPU_BT,
                        .mem = HV_MEM_NESTED, .pin = {-1, -1, -1, -1}, .program = prog,
                        .program_len = 4, .program_base = 0x1000};
    char err[200] = "";
    cr_expect_eq(hv_vm_create(hv, &c, err, sizeof err), -1);
    cr_expect(strstr(err, "VM bt: cpu = bt needs mem = shadow: its translation cache lives") == err,
              "%s", err);
    cr_expect(hv_technique_refusal(HV_CPU_BT, HV_MEM_SHADOW) == NULL);
    cr_expect(hv_technique_refusal(HV_CPU_TRAP, HV_MEM_NESTED) == NULL);
    cr_expect(hv_technique_refusal(HV_CPU_HW, HV_MEM_NESTED) == NULL);
    cr_expect(hv_technique_refusal(HV_CPU_EMU, HV_MEM_NESTED) == NULL);
    hu_free(hv, &m);
}

/* A disk image that is no whole number of sectors: the VM's error is the device's sentence,
 * not "out of memory", and the VM's nested root goes back to the pool. */
Test(hv_trap, a_bad_disk_image_is_named_as_such)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    static uint8_t disk[1000];
    static const uint8_t prog[4] = {0, 0, 0, 0x01};
    hv_vm_config_t c = {.name = "a",
                        .vcpus = 1,
                        .memory = 1u << 20,
                        .pin = {-1, -1, -1, -1},
                        .program = prog,
                        .program_len = 4,
                        .program_base = 0x1000,
                        .disk = disk,
                        .disk_len = sizeof disk};
    uint32_t free_before = 0;
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before += hv->owner[f] == HV_FRAME_FREE;
    char err[200] = "";
    cr_expect_eq(hv_vm_create(hv, &c, err, sizeof err), -1);
    cr_expect(strstr(err, "VM a: a disk image is a whole number of 512-byte sectors") == err, "%s",
              err);
    for (uint32_t f = 0; f < hv->nframes; f++)
        free_before -= hv->owner[f] == HV_FRAME_FREE;
    cr_expect_eq(free_before, 0, "the VM's frames went back to the pool");
    hu_free(hv, &m);
}

/* Emulations and reflections are events (the trace and the debugger see them). */
static void count_actions(const sim_event_t *ev, void *ctx)
{
    unsigned *n = ctx;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_TRAP_EMULATE)
        n[0]++;
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_TRAP_REFLECT)
        n[1]++;
}

Test(hv_trap, emulations_and_reflections_are_events)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = trap_vm(&m, &hv, USER_KERNEL "user: syscall\ncli\nli r1, 0\ndiv r2, r2, r1\n"
                                          "spin: b spin\n");
    unsigned n[2] = {0, 0};
    sim_add_sink(&m, count_actions, n);
    cr_assert_eq(hv_run(hv, 2000000), SIM_RUN_POWEROFF);
    cr_expect_eq(n[1], 3, "three traps reflected");
    uint32_t emulated = 0;
    for (unsigned op = 0; op < CPU_OP_COUNT; op++)
        emulated += hv_trap_emulated(hv, (unsigned)vm, op);
    cr_expect_eq(n[0], emulated);
    hu_free(hv, &m);
}

/* A deprivileged kernel runs in real U, but its time is its kernel's while its virtual mode
 * is K: the VM's statistics split guest time by the mode the guest believes in. */
Test(hv_trap, guest_time_is_split_by_the_virtual_mode, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "trap");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    uint64_t t[SIM_TIME_COUNT];
    sim_account_vm(&m, 0, t);
    cr_expect_gt(t[SIM_TIME_KERNEL], 0, "the kernel's time");
    cr_expect_gt(t[SIM_TIME_USER], 0, "the programs' time");
    /* Its two CPU-bound counters (10 ms each) outweigh the kernel. */
    cr_expect_gt(t[SIM_TIME_USER], 20 * t[SIM_TIME_KERNEL], "tinyos's counters are user time");
    hu_scenario_free(&sc, hv, &m);
}
