/*
 * test_hw_entry.c - VM entry: every failed-entry check with the sentence a student reads,
 * event injection (a trap and an interrupt delivered through the guest's tvec), posted
 * virtual interrupt lines, and what an entry and an exit cost.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../support/harness.h"
#include "hw_util.h"

/* ------------------------------------------------------------------------------------------
 * Failed entries: one row per check, each with the words the message must contain
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    unsigned check;
    uint32_t offset, value; /* the VMCB word to spoil (offset ~0: see below) */
    const char *expect;     /* a piece of the sentence */
} entry_case_t;

#define NOT_H ~0u         /* leave H first */
#define BAD_ADDRESS ~1u   /* enter a VMCB that is not a page of RAM */

static const entry_case_t entry_cases[] = {
    {CPU_ENTRY_NOT_H, NOT_H, 0, "vmrun needs ring -1"},
    {CPU_ENTRY_VMCB_ADDRESS, BAD_ADDRESS, 0, "is not a 4 KiB-aligned page of RAM"},
    {CPU_ENTRY_REVISION, CPU_VMCB_REV, 2, "the VMCB revision is 0x00000002"},
    {CPU_ENTRY_CONTROLS, CPU_VMCB_CONTROLS, 0x100, "the exit controls 0x00000100 set reserved bits"},
    {CPU_ENTRY_GUEST_MODE, CPU_VMCB_GUEST + CPU_VMCB_FLAGS, 0x2000, "ask for mode H"},
    {CPU_ENTRY_GUEST_PC, CPU_VMCB_GUEST + CPU_VMCB_PC, 0x1002, "guest pc 0x00001002 is not 4-byte"},
    {CPU_ENTRY_VMID, CPU_VMCB_VMID, 0, "the VM id 0 is not 1..65535"},
    {CPU_ENTRY_NESTED_LEVELS, CPU_VMCB_NESTED_LEVELS, 5, "with 5 levels; it must be 2 to 4"},
    {CPU_ENTRY_NESTED_ROOT, CPU_VMCB_NESTED_ROOT, 0x123, "nested root 0x00000123 is not"},
    {CPU_ENTRY_INJECT_CAUSE, CPU_VMCB_INJECT_CAUSE, 77, "injected cause 0x0000004d is neither"},
    {CPU_ENTRY_INJECT_IE, CPU_VMCB_INJECT_CAUSE, CPU_CAUSE_INTERRUPT | 3, "IE = 0"},
};

ParameterizedTestParameters(hv_hw_entry, failed_entry_explains)
{
    TH_ROW_INDICES(sizeof entry_cases / sizeof entry_cases[0]);
}

ParameterizedTest(size_t *row, hv_hw_entry, failed_entry_explains)
{
    const entry_case_t *c = &entry_cases[*row];
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nhcall\n", 0);
    cpu_t *cpu = &m.cpu[0];
    uint32_t vmcb = HW_VMCB;
    if (c->offset == NOT_H)
        cpu->s.flags &= ~CPU_FLAG_MODE_MASK;
    else if (c->offset == BAD_ADDRESS)
        vmcb = HW_RAM - 0x800;
    else
        hw_set_vmcb(&m, c->offset, c->value);
    if (c->check == CPU_ENTRY_INJECT_CAUSE || c->check == CPU_ENTRY_INJECT_IE)
        hw_set_vmcb(&m, CPU_VMCB_INJECT_VALID, 1);
    cpu_state_t before = cpu->s;
    cr_assert(!cpu_vm_enter(cpu, vmcb, 0), "entry %s should fail", cpu_entry_check_name(c->check));
    cr_expect(!cpu_in_guest(cpu));
    cr_expect_eq(cpu->s.vm.exit_reason, CPU_EXIT_ENTRY_FAILED);
    cr_expect_eq(cpu->s.vm.exit_qual, c->check, "check %s, got %s", cpu_entry_check_name(c->check),
                 cpu_entry_check_name(cpu->s.vm.exit_qual));
    cr_expect_eq(memcmp(cpu->s.r, before.r, sizeof before.r), 0, "nothing of the guest loaded");
    cr_expect_eq(cpu->s.pc, before.pc);
    char msg[300];
    cpu_vm_entry_error(cpu, msg, sizeof msg);
    cr_expect(strstr(msg, c->expect) != NULL, "message: %s", msg);
    cr_expect(strncmp(msg, "VM entry failed: ", 17) == 0, "%s", msg);
    cr_expect(strstr(msg, cpu_entry_check_field(c->check)) != NULL, "names the field: %s", msg);
    if (c->offset != NOT_H && c->offset != BAD_ADDRESS) {
        cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_REASON), CPU_EXIT_ENTRY_FAILED);
        cr_expect_eq(hw_vmcb(&m, CPU_VMCB_EXIT_QUAL), c->check, "the VMCB says which check");
    }
    sim_machine_free(&m);
}

Test(hv_hw_entry, every_check_has_a_row)
{
    bool seen[CPU_ENTRY_CHECK_COUNT] = {false};
    for (size_t i = 0; i < sizeof entry_cases / sizeof entry_cases[0]; i++)
        seen[entry_cases[i].check] = true;
    for (unsigned c = 0; c < CPU_ENTRY_CHECK_COUNT; c++)
        cr_expect(seen[c], "no test for entry check %s", cpu_entry_check_name(c));
}

/* ------------------------------------------------------------------------------------------
 * Injection
 * ------------------------------------------------------------------------------------------ */
static const char handler_guest[] = ".org 0x1000\n"
                                    "start: nop\nnop\nhcall\n"
                                    ".org 0x1100\n"
                                    "handler: csrr r1, cause\ncsrr r2, tval\ncsrr r3, epc\n"
                                    "csrr r4, eflags\nhcall\n";

Test(hv_hw_entry, inject_a_trap)
{
    static sim_machine_t m;
    hw_setup(&m, handler_guest, 0);
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_TVEC), 0x1100);
    hw_set_vmcb(&m, CPU_VMCB_INJECT_VALID, 1);
    hw_set_vmcb(&m, CPU_VMCB_INJECT_CAUSE, CPU_CAUSE_BUS_ERROR);
    hw_set_vmcb(&m, CPU_VMCB_INJECT_TVAL, 0xdead0000);
    th_events_t rec;
    th_record_events(&m, &rec);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_guest_reg(&m, 1), CPU_CAUSE_BUS_ERROR);
    cr_expect_eq(hw_guest_reg(&m, 2), 0xdead0000);
    cr_expect_eq(hw_guest_reg(&m, 3), 0x1000, "epc = the guest's pc at entry");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_PC), 0x1110, "the handler's hcall");
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_INJECT_VALID), 0, "entry clears the request");
    bool saw = false;
    for (unsigned i = 0; i < rec.n; i++)
        if (rec.ev[i].kind == SIM_EV_INJECT) {
            saw = true;
            cr_expect_eq(rec.ev[i].a, CPU_CAUSE_BUS_ERROR);
            cr_expect_eq(rec.ev[i].vm, 0);
        }
    cr_expect(saw, "an inject event");
    sim_machine_free(&m);
}

Test(hv_hw_entry, inject_an_interrupt)
{
    static sim_machine_t m;
    hw_setup(&m, handler_guest, 0);
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_TVEC), 0x1100);
    hw_set_vmcb(&m, CPU_VMCB_GUEST + CPU_VMCB_FLAGS,
                CPU_FLAG_IE | (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT);
    hw_set_vmcb(&m, CPU_VMCB_INJECT_VALID, 1);
    hw_set_vmcb(&m, CPU_VMCB_INJECT_CAUSE, CPU_CAUSE_INTERRUPT | 14);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_guest_reg(&m, 1), CPU_CAUSE_INTERRUPT | 14);
    cr_expect_eq(hw_guest_reg(&m, 4) & CPU_FLAG_IE, CPU_FLAG_IE, "eflags kept the guest's IE");
    sim_machine_free(&m);
}

/* Posted lines: the guest takes them like device lines, without an exit, when IE and im
 * allow; a halted guest wakes. */
Test(hv_hw_entry, posted_virtual_line_wakes_a_halted_guest)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nla r1, h\ncsrw tvec, r1\nsti\nhalt\nspin: b spin\n"
                 "h: csrr r5, cause\nhcall\n", 0);
    cpu_t *cpu = &m.cpu[0];
    cr_assert(cpu_vm_enter(cpu, HW_VMCB, 0));
    cr_expect_eq(cpu_run(cpu, 5000), CPU_STOP_HALTED, "nothing can wake it yet");
    cpu_vm_set_vip(cpu, 1u << 14);
    cr_expect_eq(hw_vmcb(&m, CPU_VMCB_VIP), 1u << 14, "the VMCB's copy too");
    cr_assert_eq(cpu_run(cpu, 5000), CPU_STOP_VMEXIT);
    cr_expect_eq(hw_guest_reg(&m, 5), CPU_CAUSE_INTERRUPT | 14);
    cr_expect_eq(cpu->s.vm.exits[CPU_EXIT_HYPERCALL], 1, "no exit for the interrupt itself");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Costs: entry and exit move fixed numbers of VMCB words and charge them from the table
 * ------------------------------------------------------------------------------------------ */
Test(hv_hw_entry, entry_and_exit_costs_come_from_the_table)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nhcall\n", 0);
    cpu_t *cpu = &m.cpu[0];
    m.costs.c[SIM_COST_walk_ref] = 0; /* the guest's first fetch walks: leave it out */
    sim_costs_t costs = m.costs;
    const uint32_t *c = costs.c;
    uint64_t t0 = cpu->s.cycles;
    cr_assert(cpu_vm_enter(cpu, HW_VMCB, 0));
    uint64_t entry = cpu->s.cycles - t0;
    cr_expect_eq(entry, c[SIM_COST_vm_entry] + 81 * c[SIM_COST_vmcb_word],
                 "entry moves 81 words (docs/isa.md)");
    cr_expect_gt(entry, c[SIM_COST_vm_entry] + 50 * c[SIM_COST_vmcb_word], "entry: %llu",
                 (unsigned long long)entry);
    t0 = cpu->s.cycles;
    cr_assert_eq(cpu_run(cpu, 1000), CPU_STOP_VMEXIT);
    uint64_t exit = cpu->s.cycles - t0;
    cr_expect_eq(exit, c[SIM_COST_vm_exit] + 69 * c[SIM_COST_vmcb_word],
                 "exit moves 69 words (docs/isa.md): %llu", (unsigned long long)exit);
    /* Doubling the per-word cost shows the words: the difference is the words moved. */
    sim_machine_free(&m);
    hw_setup(&m, ".org 0x1000\nhcall\n", 0);
    cpu = &m.cpu[0];
    m.costs.c[SIM_COST_vmcb_word] *= 2;
    m.costs.c[SIM_COST_walk_ref] = 0;
    m.costs.c[SIM_COST_vm_entry] = 0;
    m.costs.c[SIM_COST_vm_exit] = 0;
    t0 = cpu->s.cycles;
    cr_assert(cpu_vm_enter(cpu, HW_VMCB, 0));
    cr_assert_eq(cpu_run(cpu, 1000), CPU_STOP_VMEXIT);
    uint64_t words_twice = cpu->s.cycles - t0;
    cr_expect_eq(words_twice, 2 * (entry + exit - c[SIM_COST_vm_entry] - c[SIM_COST_vm_exit]),
                 "%llu %llu %llu", (unsigned long long)words_twice, (unsigned long long)entry,
                 (unsigned long long)exit);
    sim_machine_free(&m);
}

Test(hv_hw_entry, entry_and_exit_events_carry_the_vm)
{
    static sim_machine_t m;
    hw_setup(&m, ".org 0x1000\nnop\nhcall\n", 0);
    hw_set_vmcb(&m, CPU_VMCB_VM_LABEL, 2);
    hw_set_vmcb(&m, CPU_VMCB_VCPU_ID, 1);
    th_events_t rec;
    th_record_events(&m, &rec);
    cr_assert_eq(hw_enter_run(&m, 100000), CPU_STOP_VMEXIT);
    cr_assert_geq(rec.n, 2);
    const sim_event_t *in = &rec.ev[0], *out = &rec.ev[rec.n - 1];
    cr_expect_eq(in->kind, SIM_EV_VMENTRY);
    cr_expect_eq(in->vm, 2);
    cr_expect_eq(in->vcpu, 1);
    cr_expect_eq(in->mode, CPU_MODE_K);
    cr_expect_eq(in->b, HW_VMID);
    cr_expect_eq(out->kind, SIM_EV_VMEXIT);
    cr_expect_eq(out->a, CPU_EXIT_HYPERCALL);
    cr_expect_eq(out->mode, CPU_MODE_H);
    cr_expect_eq(out->from_mode, CPU_MODE_K);
    cr_expect_eq(out->pc, 0x1004);
    cr_expect_eq(out->vm, 2);
    char line[200];
    sim_event_format(out, line, sizeof line);
    cr_expect(strstr(line, "vmexit") && strstr(line, "HYPERCALL") && strstr(line, "vm2.1"), "%s",
              line);
    sim_machine_free(&m);
}
