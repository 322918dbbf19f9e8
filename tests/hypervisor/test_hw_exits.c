/*
 * test_hw_exits.c - the ring -1 hardware on its own: every exit reason with its qualification,
 * saved pc and instruction length; what runs natively when no control asks for an exit; the
 * exception bitmap; the preemption timer; external interrupts; the guest's view of time and
 * of its CPU number; nested faults as exits; vmrun/invvm/invasid only in H.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../support/harness.h"
#include "hw_util.h"

/* ------------------------------------------------------------------------------------------
 * Every instruction-caused exit, table-driven
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    const char *src;        /* the guest; its first instructions set up, `x:` exits */
    uint32_t controls;
    uint32_t exceptions, csr_read, csr_write;
    unsigned reason;
    uint32_t qual;
    uint32_t len;           /* instruction length in the exit information */
    int pc_after;           /* saved pc = x + 4 * pc_after */
} exit_case_t;

static const exit_case_t exit_cases[] = {
    {"hypercall", "li r1, 5\nx: hcall\n", 0, 0, 0, 0, CPU_EXIT_HYPERCALL, 0, 4, 0},
    {"cpuid", "li r2, 1\nx: cpuid r1, r2\n", CPU_VMCTL_CPUID, 0, 0, 0, CPU_EXIT_CPUID, 1, 4, 0},
    {"halt", "nop\nx: halt\n", CPU_VMCTL_HALT, 0, 0, 0, CPU_EXIT_HALT, 0, 4, 0},
    {"in", "li r2, 0x3f0\nx: in r5, [r2 + 9]\n", CPU_VMCTL_IO, 0, 0, 0, CPU_EXIT_IO_PORT,
     0x3f9 | 5u << 20, 4, 0},
    {"out", "li r3, 65\nx: out r3, [0x3f8]\n", CPU_VMCTL_IO, 0, 0, 0, CPU_EXIT_IO_PORT,
     0x3f8 | CPU_EXITQ_WRITE | 3u << 20, 4, 0},
    {"csr read", "nop\nx: csrr r4, timer\n", CPU_VMCTL_CSR, 0, 1u << CPU_CSR_TIMER, 0,
     CPU_EXIT_CSR_ACCESS, CPU_CSR_TIMER | 4u << 20, 4, 0},
    {"csr write", "li r6, 100\nx: csrw timer, r6\n", CPU_VMCTL_CSR, 0, 0, 1u << CPU_CSR_TIMER,
     CPU_EXIT_CSR_ACCESS, CPU_CSR_TIMER | CPU_EXITQ_WRITE | 6u << 20, 4, 0},
    {"exception syscall (a trap: pc after it)", "nop\nx: syscall\n", 0, 1u << CPU_CAUSE_SYSCALL,
     0, 0, CPU_EXIT_EXCEPTION, CPU_CAUSE_SYSCALL, 0, 1},
    {"exception div (a fault: pc on it)", "li r1, 1\nx: div r1, r1, r0\n", 0,
     1u << CPU_CAUSE_DIV_ZERO, 0, 0, CPU_EXIT_EXCEPTION, CPU_CAUSE_DIV_ZERO, 0, 0},
    {"tlbinv", "li r2, 0x5000\nx: tlbinv r2\n", CPU_VMCTL_TLB, 0, 0, 0, CPU_EXIT_TLB_INVALIDATE, 0,
     4, 0},
    {"tlbflush", "nop\nx: tlbflush\n", CPU_VMCTL_TLB, 0, 0, 0, CPU_EXIT_TLB_INVALIDATE,
     CPU_EXITQ_TLBFLUSH, 4, 0},
    {"hcall in guest user mode exits too", "la r1, user\ncsrw epc, r1\ncsrw eflags, r0\niret\n"
     "user: nop\nx: hcall\n", 0, 0, 0, 0, CPU_EXIT_HYPERCALL, 0, 4, 0},
};

ParameterizedTestParameters(hv_hw_exits, each_reason)
{
    TH_ROW_INDICES(sizeof exit_cases / sizeof exit_cases[0]);
}

ParameterizedTest(size_t *row, hv_hw_exits, each_reason)
{
    const exit_case_t *c = &exit_cases[*row];
    static sim_machine_t m;
    char src[512];
    snprintf(src, sizeof src, ".org 0x1000\n%s\nspin: b spin\n", c->src);
    hw_setup(&m, src, c->controls);
    hw_set_vmcb(&m, CPU_VMCB_EXCEPTIONS, c->exceptions);
    hw_set_vmcb(&m, CPU_VMCB_CSR_READ, c->csr_read);
    hw_set_vmcb(&m, CPU_VMCB_CSR_WRITE, c->csr_write);
    /* the address of x: assemble once more to find it */
    cpu_asm_result_t res;
    hw_assemble(src, &res);
    uint32_t x = 0;
    for (size_t i = 0; i < res.nsyms; i++)
        if (strcmp(res.syms[i].name, "x") == 0)
            x = res.syms[i].addr;
    uint32_t word = (uint32_t)res.bytes[x - res.base] | (uint32_t)res.bytes[x - res.base + 1] << 8 |
                    (uint32_t)res.bytes[x - res.base + 2] << 16 |
                    (uint32_t)res.bytes[x - res.base + 3] << 24;
    cpu_asm_free(&res);

    cpu_stop_t why = hw_enter_run(&m, 100000);
    cr_assert_eq(why, CPU_STOP_VMEXIT, "%s: stopped with %d", c->name, why);
    cpu_t *cpu = &m.cpu[0];
    cr_expect_eq(cpu_mode(cpu), CPU_MODE_H, "%s: back in H", c->name);
    cr_expect(!cpu_in_guest(cpu));
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), c->reason, "%s: reason %s", c->name,
                 cpu_exit_reason_name(hw_vmcb(&m, CPU_VMCB_EXIT_REASON)));
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_QUAL), c->qual, "%s: qualification 0x%x", c->name,
                 hw_vmcb(&m, CPU_VMCB_EXIT_QUAL));
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_LEN), c->len, "%s", c->name);
    if (c->len)
        cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_INSN), word, "%s: the instruction word", c->name);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC), x + 4u * (uint32_t)c->pc_after,
                 "%s: saved pc 0x%x", c->name, hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC));
    cr_expect_eq(cpu->s.vm.exits[c->reason], 1, "%s: counted", c->name);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Without the controls, the same instructions run natively in the guest
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_exits, no_controls_means_native)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\n"
                 "li r2, 1\ncpuid r1, r2\n"          /* bare answer: no hypervisor bit */
                 "li r2, 0\ncpuid r3, r2\n"          /* vendor */
                 "li r4, 77\ncsrw scratch, r4\ncsrr r5, scratch\n"
                 "la r6, handler\ncsrw tvec, r6\nli r9, 0x5000\ntlbinv r9\ntlbflush\nsyscall\n"
                 "x: hcall\n"
                 "handler: csrr r7, cause\ncsrr r8, epc\naddi r8, r8, 0\nhcall\n",
             0);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_HYPERCALL);
    cr_expect_eq(hw_guest_reg(&m, 1), 0, "cpuid leaf 1 without the control: bare hardware");
    cr_expect_eq(hw_guest_reg(&m, 3), CPU_CPUID_VENDOR);
    cr_expect_eq(hw_guest_reg(&m, 5), 77, "the guest's own CSRs");
    cr_expect_eq(hw_guest_reg(&m, 7), CPU_CAUSE_SYSCALL, "the syscall went to the guest's tvec");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_SCRATCH)), 77);
    cr_expect_eq(m.cpu[0].s.csr[CPU_CSR_SCRATCH], 0, "the host's scratch is back");
    sim_machine_free(&m);
}

/* The tlbinv exit names the address (gva), so that a shadow can drop that page. */
Test(hv_hw_exits, tlbinv_exit_gives_the_address)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nli r2, 0x7000\naddi r2, r2, 0x123\ntlbinv r2\n", CPU_VMCTL_TLB);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_TLB_INVALIDATE);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_GVA), 0x7123);
    cr_expect_eq(m.cpu[0].mmu.stats.flushes[MMU_FLUSH_ADDR], 0, "the TLB was not touched");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Asynchronous exits
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_exits, preemption_timer)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nloop: addi r1, r1, 1\nb loop\n", 0);
    hw_set_vmcb(&m, CPU_VMCB_PREEMPT, 5000);
    uint64_t start = m.cpu[0].s.cycles;
    cr_assert_eq(hw_enter_run(&m, 1000000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_PREEMPT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_PREEMPT), 0, "nothing left");
    uint64_t ran = m.cpu[0].s.cycles - start;
    cr_expect(ran >= 5000 && ran < 7000, "ran %llu cycles", (unsigned long long)ran);
    cr_expect_gt(hw_guest_reg(&m, 1), 1000, "the guest ran natively meanwhile");
    sim_machine_free(&m);
}

Test(hv_hw_exits, preemption_timer_ends_a_native_halt)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nhalt\nnop\n", 0);
    hw_set_vmcb(&m, CPU_VMCB_PREEMPT, 3000);
    cr_assert_eq(hw_enter_run(&m, 1000000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_PREEMPT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_HALTED), 1, "saved as halted");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC), 0x1004);
    sim_machine_free(&m);
}

Test(hv_hw_exits, external_interrupt)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nloop: b loop\n", CPU_VMCTL_EXTINT);
    cpu_t *cpu = &m.cpu[0];
    cr_assert(cpu_vm_enter(cpu, HW_VMCB, 0));
    cr_assert_eq(cpu_run(cpu, 1000), CPU_STOP_BUDGET, "nothing pending: the guest runs");
    cpu_set_irq(cpu, 5, true);
    cr_assert_eq(cpu_run(cpu, 1000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_EXTERNAL_INTERRUPT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_QUAL), 1u << 5, "the pending lines");
    sim_machine_free(&m);
}

Test(hv_hw_exits, physical_lines_never_reach_the_guest)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nla r1, h\ncsrw tvec, r1\nsti\nloop: b loop\nh: hcall\n", 0);
    cpu_t *cpu = &m.cpu[0];
    cpu_set_irq(cpu, 5, true);
    cr_expect_eq(hw_enter_run(&m, 20000), CPU_STOP_BUDGET,
                 "without the control the line waits for the host");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Nested faults exit with their own reason
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_exits, nested_fault)
{
    static sim_machine_t m;
    /* gpa 0x200000 is past the guest's mapped memory */
    hw_setup(&m, ".org 0x1000\nlui r2, 0x20\nx: ld r1, [r2 + 8]\n", 0);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_NESTED_FAULT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_GVA), 0x200008);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_GPA), 0x200008);
    uint32_t q = hw_vmcb(&m, CPU_VMCB_EXIT_QUAL);
    cr_expect_eq(q & 3, MMU_LOAD, "the guest's access");
    cr_expect_eq((q >> 4) & 0xf, MMU_OUTCOME_NOT_PRESENT);
    cr_expect_eq((q >> 8) & 0xff, MMU_FOR_DATA);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC), 0x1004, "pc on the load");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_LEN), 4);
    cr_expect_neq(hw_vmcb(&m, CPU_VMCB_EXIT_INSN), 0, "the load's word, for MMIO emulation");
    sim_machine_free(&m);
}

Test(hv_hw_exits, nested_fault_on_fetch_has_no_instruction_word)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nlui r2, 0x30\njr r2\n", 0);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_NESTED_FAULT);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_QUAL) & 3, MMU_FETCH);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_INSN), 0);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC), 0x300000);
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * What the guest sees of the machine
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_exits, guest_time_cpu_number_and_instret)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\ncsrr r1, cycle\ncsrr r2, cpunum\ncsrr r3, instret\nhcall\n", 0);
    m.cpu[0].s.cycles = 1000000;
    m.cpu[0].s.instret = 555;
    hw_set_vmcb(&m, CPU_VMCB_TSC_OFFSET_LO, 990000);
    hw_set_vmcb(&m, CPU_VMCB_VCPU_ID, 3);
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO, 40);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    uint32_t t = hw_guest_reg(&m, 1);
    cr_expect(t > 10000 && t < 12000, "guest cycle = host cycle - offset: %u", t);
    cr_expect_eq(hw_guest_reg(&m, 2), 3, "cpunum is the VCPU's");
    cr_expect_eq(hw_guest_reg(&m, 3), 42, "the guest's own instret");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_COUNT_LO), 43, "hcall did not retire");
    sim_machine_free(&m);
}

Test(hv_hw_exits, guest_timer_runs_only_while_loaded)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nli r1, 5000\ncsrw timer, r1\nhcall\nloop: b loop\n", 0);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    uint32_t left = hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_TIMER));
    cr_expect(left > 4000 && left <= 5000, "the guest timer is saved as cycles left: %u", left);
    cr_expect_eq(m.cpu[0].s.timer_deadline, 0, "the host's timer (off) is back");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Ring -1 instructions
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_exits, ring_minus_one_instructions_are_illegal_in_guest_and_k)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nla r1, h\ncsrw tvec, r1\nx: invvm r0\nh: csrr r2, cause\nhcall\n", 0);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_guest_reg(&m, 2), CPU_CAUSE_ILLEGAL, "invvm in guest K is illegal");
    sim_machine_free(&m);
    sim_run_result_t r = th_run(&m, "la r1, h\ncsrw tvec, r1\nvmrun r0\nh:" TH_POWEROFF, 10000);
    cr_expect_eq(r, SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.traps[CPU_CAUSE_ILLEGAL], 1, "vmrun in K is illegal");
    sim_machine_free(&m);
}

/* An assembly hypervisor: vmrun from H code, the host's registers come back after the exit,
 * C is clear; a bad VMCB sets C and the code goes on. */
Test(hv_hw_exits, vmrun_from_h_code)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nli r9, 99\nhcall\n", 0);
    cpu_asm_result_t host;
    hw_assemble(".org 0x1000\n"
                "li r9, 11\nli r10, 22\n"
                "lui r1, 0x3f\n"       /* the VMCB */
                "vmrun r1\n"
                "mov r11, r9\n"        /* the host's r9 again */
                "li r2, 0x2000\n"      /* not a VMCB: revision 0 */
                "vmrun r2\n"
                "bltu bad\n"
                "li r12, 1\n"
                "bad: li r13, 1\n"
                "invvm r0\n"
                "out r0, [0xf0]\n",
                &host);
    cr_assert_eq(sim_load(&m, host.base, host.bytes, host.size), 0);
    cpu_asm_free(&host);
    m.cpu[0].s.pc = 0x1000;
    cr_assert_eq(sim_run(&m, 100000), SIM_RUN_POWEROFF);
    const cpu_state_t *s = &m.cpu[0].s;
    cr_expect_eq(s->r[11], 11, "host r9 restored by the exit");
    cr_expect_eq(s->r[10], 22);
    cr_expect_eq(hw_guest_reg(&m, 9), 99, "the guest's r9 is in the VMCB");
    cr_expect_eq(s->r[12], 0, "C set after the failed vmrun");
    cr_expect_eq(s->r[13], 1);
    cr_expect_eq(s->vm.failed_entries, 1);
    cr_expect_eq(s->vm.exit_qual, CPU_ENTRY_REVISION);
    cr_expect_eq(cpu_mode(&m.cpu[0]), CPU_MODE_H);
    sim_machine_free(&m);
}

/* Guest TLB entries carry the VM id: they survive an exit and a re-entry, and invvm drops
 * exactly them. */
Test(hv_hw_exits, tlb_entries_are_tagged_with_the_vmid)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nloop: ld r1, [r0 + 0x2000]\nhcall\nb loop\n", 0);
    cpu_t *cpu = &m.cpu[0];
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    uint64_t misses = cpu->mmu.stats.misses;
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC, hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC) + 4);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(cpu->mmu.stats.misses, misses, "every translation still cached");
    cpu_vm_invvm(cpu, HW_VMID);
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC, hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC) + 4);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(cpu->mmu.stats.misses, misses + 2, "the code page and the data page missed again: "
                 "%llu", (unsigned long long)(cpu->mmu.stats.misses - misses));
    sim_machine_free(&m);
}
