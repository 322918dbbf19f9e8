/*
 * test_hv_handlers.c - each exit handler of the hypervisor with a small guest of its own:
 * cpuid, port I/O and MMIO to the virtual console, ports and addresses of no device, lazy
 * memory and the bus error past it, the virtual timer with halt, hypercalls good and bad (and
 * refused from user mode under every technique), a
 * physical interrupt, a reflected exception, a VMCB the CPU refuses, the virtual disk.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/harness.h"
#include "hv_util.h"

/* A machine with one VM running src; returns the VM. */
static int one_vm(sim_machine_t *m, hv_t **hv, const char *src)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    return hu_vm(*hv, "guest", src, NULL);
}

static uint32_t vreg(sim_machine_t *m, hv_t *hv, int vm, unsigned reg)
{
    return cpu_vmcb_peek(&m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(reg));
}

/* A guest's trap handler that records cause and tval in r10/r11 and powers off. */
#define CATCH_TRAPS "la r1, on_trap\ncsrw tvec, r1\n"
#define ON_TRAP "on_trap: csrr r10, cause\ncsrr r11, tval\nout r0, [0xf0]\n"

Test(hv_handlers, cpuid_describes_the_virtual_cpu)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\nli r1, 0\ncpuid r2, r1\nli r1, 1\ncpuid r3, r1\n"
                             "li r1, 2\ncpuid r4, r1\nli r1, 77\ncpuid r5, r1\nhcall\n"
                             "out r0, [0xf0]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 2), CPU_CPUID_VENDOR);
    cr_expect_eq(vreg(&m, hv, vm, 3), CPU_CPUID_FEAT_HYPERVISOR);
    cr_expect_eq(vreg(&m, hv, vm, 4), 1, "one VCPU");
    cr_expect_eq(vreg(&m, hv, vm, 5), 0);
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_CPUID], 4);
    hu_free(hv, &m);
}

Test(hv_handlers, console_by_port_and_by_mmio)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n"
                             "li r1, 'p'\nout r1, [0x3f8]\n"
                             "lui r2, 0xf000\nli r1, 'm'\nst r1, [r2]\n"
                             "ld r3, [r2 + 4]\n"          /* UART status by MMIO */
                             "in r4, [0x3f9]\n"           /* and by port */
                             "li r1, 10\nst r1, [r2]\n"
                             "lui r5, 0xf000\nori r5, r5, 0x1000\nli r6, 7\nst r6, [r5]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)vm), "pm\n");
    cr_expect_eq(vreg(&m, hv, vm, 3), 2, "output ready, no input");
    cr_expect_eq(vreg(&m, hv, vm, 4), 2);
    cr_expect_eq(hv->vms[vm].exit_code, 7, "powered off through the MMIO power register");
    cr_expect_eq(m.exit_code, 7, "the machine's run ends with the last VM's code");
    hu_free(hv, &m);
}

Test(hv_handlers, console_input_script)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.input = "ok", .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(hv, "echo", ".org 0x1000\nloop: in r1, [0x3f8]\ncmpi r1, -1\nbeq done\n"
                               "out r1, [0x3f8]\nb loop\ndone: out r0, [0xf0]\n", &c);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)vm), "ok");
    hu_free(hv, &m);
}

/* A port no virtual device owns is an empty bus; an address past the VM's memory that is no
 * device's window is a bus error, as on bare hardware. Nothing reaches the physical devices. */
Test(hv_handlers, no_device_no_memory)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n" CATCH_TRAPS
                             "in r2, [0x1234]\nli r3, 5\nout r3, [0x1234]\n"
                             "lui r4, 0x80\nld r5, [r4 + 8]\n"   /* 8 MiB + 8: past 1 MiB */
                             "li r6, 1\n" ON_TRAP);
    uint64_t disk_cmds = m.disk.reads + m.disk.writes;
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 2), 0xffffffffu);
    cr_expect_eq(vreg(&m, hv, vm, 10), CPU_CAUSE_BUS_ERROR);
    cr_expect_eq(vreg(&m, hv, vm, 11), 0x800008, "tval = the address the guest used");
    cr_expect_eq(vreg(&m, hv, vm, 6), 0, "the faulting load's successors did not run");
    cr_expect_eq(m.disk.reads + m.disk.writes, disk_cmds);
    cr_expect_eq(hv->vms[vm].stats.injections, 1);
    hu_free(hv, &m);
}

/* Memory is given page by page, on first touch, and only once. */
Test(hv_handlers, lazy_memory)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\nlui r1, 0x8\n"      /* 0x80000 */
                             "li r2, 42\nst r2, [r1]\nld r3, [r1]\nst r2, [r1 + 4]\n"
                             "st r2, [r1 + 4096]\nout r0, [0xf0]\n");
    uint32_t before = hv->vms[vm].frames;
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 3), 42);
    cr_expect_eq(hv->vms[vm].frames - before, 2, "two new pages, each mapped once");
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_NESTED_FAULT], 2);
    cr_expect_lt(hv->vms[vm].frames, 8, "a 1 MiB VM holds only what it touched");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

/* The virtual timer: armed in guest cycles, delivered as virtual line 0 while the VCPU is
 * halted (blocked, off the pCPU), acknowledged by writing the timer again. */
Test(hv_handlers, virtual_timer_wakes_a_halted_guest)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n"
                             "la r1, tick\ncsrw tvec, r1\n"
                             "li r1, 20000\ncsrw timer, r1\ncsrr r2, timer\n"
                             "csrr r9, cycle\nsti\nhalt\nspin: b spin\n"
                             "tick: csrr r3, cause\ncsrr r4, cycle\ncsrw timer, r0\n"
                             "csrr r5, ip\nout r0, [0xf0]\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    uint32_t left = vreg(&m, hv, vm, 2);
    cr_expect(left > 18000 && left <= 20000, "timer reads the cycles left: %u", left);
    cr_expect_eq(vreg(&m, hv, vm, 3), CPU_CAUSE_INTERRUPT | CPU_IRQ_TIMER);
    uint32_t waited = vreg(&m, hv, vm, 4) - vreg(&m, hv, vm, 9);
    cr_expect(waited >= 18000 && waited < 23000, "woke on time: %u cycles", waited);
    cr_expect_eq(vreg(&m, hv, vm, 5) & 1, 0, "writing the timer acknowledged the tick");
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_HALT], 1);
    cr_expect_gt(hv->pcpu[0].idle_cycles, 10000, "the pCPU idled while the VCPU was blocked");
    hu_free(hv, &m);
}

/* The hypercall console (docs/guests.md): r1 = 1, r2 = gpa, r3 = length; bad arguments get a
 * negative answer and change nothing. The bytes go on as the UART would take them: without a
 * newline the line stays open (a prompt). */
Test(hv_handlers, hypercalls)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n"
                             "li r1, 1\nla r2, msg\nli r3, 5\nhcall\nmov r10, r1\n"
                             "li r1, 1\nlui r2, 0x7000\nli r3, 4\nhcall\nmov r11, r1\n"
                             "li r1, 1\nla r2, msg\nlui r3, 1\nhcall\nmov r12, r1\n"
                             "li r1, 12345\nhcall\nmov r13, r1\n"
                             "out r0, [0xf0]\n"
                             "msg: .ascii \"hello\"\n");
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)vm), "hello");
    cr_expect_eq(vreg(&m, hv, vm, 10), 5);
    cr_expect_lt((int32_t)vreg(&m, hv, vm, 11), 0, "outside the VM's memory");
    cr_expect_lt((int32_t)vreg(&m, hv, vm, 12), 0, "too long");
    cr_expect_eq(vreg(&m, hv, vm, 13), 0xffffffffu, "unknown call: -1");
    cr_expect_eq(hv->vms[vm].stats.hypercalls, 4);
    hu_free(hv, &m);
}

/* The guest kernel drops to user mode, whose code makes the console hypercall: it is refused
 * with -2 (the guest's kernel, not its user programs, speaks to the hypervisor, as KVM answers
 * a vmcall from CPL 3), nothing reaches the console, under every CPU technique. */
static const struct {
    hv_cpu_technique_t cpu;
    hv_mem_technique_t mem;
} user_hcall_pairs[] = {{HV_CPU_HW, HV_MEM_NESTED},
                        {HV_CPU_EMU, HV_MEM_NESTED},
                        {HV_CPU_TRAP, HV_MEM_SHADOW},
                        {HV_CPU_BT, HV_MEM_SHADOW}};

ParameterizedTestParameters(hv_handlers, hypercalls_from_user_mode_are_refused)
{
    TH_ROW_INDICES(sizeof user_hcall_pairs / sizeof *user_hcall_pairs);
}

ParameterizedTest(size_t *row, hv_handlers, hypercalls_from_user_mode_are_refused)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.cpu = user_hcall_pairs[*row].cpu,
                        .mem = user_hcall_pairs[*row].mem,
                        .pin = {-1, -1, -1, -1}};
    const char *name = hv_cpu_technique_name(c.cpu);
    int vm = hu_vm(hv, "guest",
                   ".org 0x1000\n" CATCH_TRAPS "la r1, user\ncsrw epc, r1\nli r1, 0\n"
                   "csrw eflags, r1\niret\nuser: li r1, 1\nla r2, msg\nli r3, 5\nhcall\n"
                   "mov r12, r1\nsyscall\n" ON_TRAP "msg: .ascii \"hello\"\n",
                   &c);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF, "%s", name);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)vm), "", "%s", name);
    cr_expect_eq(vreg(&m, hv, vm, 12), (uint32_t)-2, "%s: answer %d", name,
                 (int32_t)vreg(&m, hv, vm, 12));
    cr_expect_eq(vreg(&m, hv, vm, 10), CPU_CAUSE_SYSCALL, "%s: cause %u", name,
                 vreg(&m, hv, vm, 10));
    hu_free(hv, &m);
}

/* A console flood: 2 000 lines of 10 bytes ("0123456789" and its newline: 11 bytes each).
 * With console_keep = 1 000, memory keeps at most 1 000 bytes, the latest, whole; the bytes
 * dropped and kept add up to all written; the transcript file has every byte. */
Test(hv_handlers, a_console_flood_is_bounded_in_memory)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    cfg.console_keep = 1000;
    hv_t *hv = hu_machine(&m, 1, &cfg);
    char path[] = "/tmp/hvsim-transcript-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    hv_vm_config_t c = {.pin = {-1, -1, -1, -1}, .transcript = path};
    int vm = hu_vm(hv, "flood",
                   ".org 0x1000\nli r5, 2000\nloop: li r1, 1\nla r2, msg\nli r3, 11\nhcall\n"
                   "addi r5, r5, -1\ncmpi r5, 0\nbne loop\nout r0, [0xf0]\n"
                   "msg: .ascii \"0123456789\\n\"\n",
                   &c);
    cr_assert_eq(hv_run(hv, 50000000), SIM_RUN_POWEROFF);
    const char *kept = hv_vm_console(hv, (unsigned)vm);
    size_t len = strlen(kept);
    cr_expect_leq(len, 1000, "kept %zu bytes", len);
    cr_expect_geq(len, 400, "kept %zu bytes: the latest half at least", len);
    cr_expect_eq(hv_vm_console_dropped(hv, (unsigned)vm) + len, 2000 * 11);
    cr_expect(len >= 11 && strcmp(kept + len - 11, "0123456789\n") == 0, "ends with a line");
    hu_free(hv, &m); /* closes the transcript file */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_size, 2000 * 11, "the file has every byte: %lld", (long long)st.st_size);
    unlink(path);
}

/* A physical interrupt while the guest runs: the host takes it, the guest never sees it. */
Test(hv_handlers, external_interrupt_goes_to_the_host)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n" CATCH_TRAPS "sti\nli r5, 3000\n"
                             "loop: addi r5, r5, -1\ncmpi r5, 0\nbne loop\nli r6, 1\n"
                             "out r0, [0xf0]\n" ON_TRAP);
    cr_assert_eq(hv_run(hv, 2000), SIM_RUN_MAX_CYCLES);
    cpu_set_irq(&m.cpu[0], 5, true);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_EXTERNAL_INTERRUPT], 1);
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << 5), 0, "acknowledged by the host");
    cr_expect_eq(vreg(&m, hv, vm, 6), 1, "the guest went on, untouched");
    hu_free(hv, &m);
}

/* With the syscall bit in the exception bitmap the trap exits; the handler gives it back. */
Test(hv_handlers, exception_is_reflected)
{
    static sim_machine_t m;
    hv_t *hv;
    int vm = one_vm(&m, &hv, ".org 0x1000\n" CATCH_TRAPS "syscall\n" ON_TRAP);
    uint32_t vmcb = hv_vcpu_vmcb(hv, (unsigned)vm, 0);
    uint32_t bit = 1u << CPU_CAUSE_SYSCALL;
    memcpy(m.ram + vmcb + CPU_VMCB_EXCEPTIONS, &bit, 4);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[vm].stats.exits[CPU_EXIT_EXCEPTION], 1);
    cr_expect_eq(vreg(&m, hv, vm, 10), CPU_CAUSE_SYSCALL, "the guest's handler got it");
    hu_free(hv, &m);
}

/* A VMCB the CPU refuses stops that VM with the CPU's sentence; the other VM goes on. */
Test(hv_handlers, failed_entry_stops_the_vm_only)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    cfg.sched = HV_SCHED_OVERCOMMIT;
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int bad = hu_vm(hv, "bad", ".org 0x1000\nnop\n", NULL);
    int good = hu_vm(hv, "good", ".org 0x1000\nli r1, 'g'\nout r1, [0x3f8]\nout r0, [0xf0]\n", NULL);
    uint32_t vmcb = hv_vcpu_vmcb(hv, (unsigned)bad, 0), wrong = 3;
    memcpy(m.ram + vmcb + CPU_VMCB_REV, &wrong, 4);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(hv->vms[bad].state, HV_VM_CRASHED);
    cr_expect(strstr(hv->vms[bad].why, "the VMCB revision is 0x00000003") != NULL, "%s",
              hv->vms[bad].why);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)good), "g");
    cr_expect_eq(m.exit_code, 3, "a crashed VM makes the run's status 3");
    hu_free(hv, &m);
}

/* The virtual disk: its own image, copied into its own memory, the interrupt on virtual line
 * 14; a DMA address outside its memory fails with dma-blocked and moves nothing. */
Test(hv_handlers, virtual_disk)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    static uint8_t disk[1024];
    memset(disk, 0xab, sizeof disk);
    memcpy(disk + 512, "sector one", 10);
    hv_vm_config_t c = {.disk = disk, .disk_len = sizeof disk, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(hv, "d", ".org 0x1000\n"
                            "la r1, irq\ncsrw tvec, r1\n"
                            "li r1, 1\nout r1, [0x1f0]\nout r1, [0x1f1]\nli r2, 0x8000\n"
                            "out r2, [0x1f2]\nsti\nout r1, [0x1f3]\n"
                            "wait1: b wait1\n"
                            "irq: csrr r3, cause\nin r4, [0x1f4]\nout r0, [0x1f4]\n"
                            "li r10, 0x8000\nld r5, [r10]\n"
                            "lui r2, 0x10\nout r2, [0x1f2]\nli r1, 1\nout r1, [0x1f3]\n"
                            "poll: in r6, [0x1f4]\nandi r7, r6, 2\ncmpi r7, 0\nbeq poll\n"
                            "in r8, [0x1f5]\nin r9, [0x1f6]\nout r0, [0xf0]\n",
                   &c);
    cr_assert_eq(hv_run(hv, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(vreg(&m, hv, vm, 3), CPU_CAUSE_INTERRUPT | SIM_DISK_IRQ);
    cr_expect_eq(vreg(&m, hv, vm, 4), SIM_DISK_DONE);
    cr_expect_eq(vreg(&m, hv, vm, 5), 0x74636573u, "\"sect\" from sector 1");
    cr_expect_eq(vreg(&m, hv, vm, 6) & SIM_DISK_ERROR_BIT, SIM_DISK_ERROR_BIT);
    cr_expect_eq(vreg(&m, hv, vm, 8), SIM_DISK_E_DMA_BLOCKED, "1 MiB is past its memory");
    cr_expect_eq(vreg(&m, hv, vm, 9), 2, "capacity");
    cr_expect_eq(m.disk.reads, 0, "the physical disk was never used");
    hu_free(hv, &m);
}
