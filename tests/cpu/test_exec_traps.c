/*
 * test_exec_traps.c - every trap cause, what trap entry and iret do to the state, and the
 * interrupt rules (IE, the mask, halt, the timer, the lowest line first).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/harness.h"

/* A kernel that records the trap in r10 (cause), r11 (tval), r12 (epc), r9 (eflags), r8 (the
 * address of label `here` in the body) and powers off. BODY runs in K; UBODY runs in U. */
#define HANDLER                                                                                    \
    "handler: csrr r10, cause\n csrr r11, tval\n csrr r12, epc\n csrr r9, eflags\n"               \
    " la r8, here\n rdmode r7\n out r0, [0xf0]\n"
#define PRELUDE "la r1, handler\n csrw tvec, r1\n li r10, -1\n"
#define TO_USER "la r1, user\n csrw epc, r1\n li r1, 0\n csrw eflags, r1\n iret\nuser:\n"

typedef struct {
    const char *name;
    const char *body;
    bool user;
    uint32_t cause;
    bool check_tval;
    uint32_t tval;
    int epc; /* 0: epc = here, 4: here + 4, -1: epc = tval (a fetch fault) */
} trap_case_t;

static const trap_case_t trap_cases[] = {
    {"zero word", "here: .word 0", false, CPU_CAUSE_ILLEGAL, true, 0, 0},
    {"reserved bits set", "here: .word 0x10000001", false, CPU_CAUSE_ILLEGAL, true, 0x10000001, 0},
    {"shift amount 32", "here: .word 0x24000020", false, CPU_CAUSE_ILLEGAL, true, 0x24000020, 0},
    {"unassigned opcode", "here: .word 0xff000000", false, CPU_CAUSE_ILLEGAL, true, 0xff000000u, 0},
    {"hcall without a hypervisor", "here: hcall", false, CPU_CAUSE_ILLEGAL, true, 0x52000000u, 0},
    {"vmrun outside ring -1", "here: vmrun r1", false, CPU_CAUSE_ILLEGAL, true, 0x70010000u, 0},
    {"invvm outside ring -1", "here: invvm r2", false, CPU_CAUSE_ILLEGAL, true, 0x71020000u, 0},
    {"write to read-only csr", "here: csrw cycle, r1", false, CPU_CAUSE_ILLEGAL, true, 0x6101000bu, 0},
    {"unknown csr", "here: csrr r1, 0x40", false, CPU_CAUSE_ILLEGAL, true, 0x60100040u, 0},
    {"misaligned load", "li r1, 0x2001\nhere: ld r2, [r1]", false, CPU_CAUSE_MISALIGNED, true, 0x2001, 0},
    {"misaligned half", "li r1, 0x2001\nhere: sth r2, [r1]", false, CPU_CAUSE_MISALIGNED, true, 0x2001, 0},
    {"byte access never misaligned, but MMIO bytes are bus errors",
     "li r1, 0xf0000001\nhere: ldb r2, [r1]", false, CPU_CAUSE_BUS_ERROR, true, 0xf0000001u, 0},
    {"misaligned fetch", "li r1, 0x2002\nhere: jr r1", false, CPU_CAUSE_MISALIGNED, true, 0x2002, -1},
    {"breakpoint", "here: brk", false, CPU_CAUSE_BREAKPOINT, true, 0, 4},
    {"system call from K", "here: syscall", false, CPU_CAUSE_SYSCALL, true, 0, 4},
    {"system call from U", TO_USER "here: syscall", true, CPU_CAUSE_SYSCALL, true, 0, 4},
    {"bus error load", "lui r1, 0xe000\nhere: ld r2, [r1]", false, CPU_CAUSE_BUS_ERROR, true, 0xe0000000u, 0},
    {"bus error store", "lui r1, 0xe000\nhere: st r2, [r1+8]", false, CPU_CAUSE_BUS_ERROR, true, 0xe0000008u, 0},
    {"bus error fetch", "lui r1, 0x0010\nhere: jr r1", false, CPU_CAUSE_BUS_ERROR, true, 0x100000, -1},
    {"divide by zero", "li r1, 1\nhere: div r2, r1, r0", false, CPU_CAUSE_DIV_ZERO, true, 0, 0},
    {"remu by zero", "li r1, 1\nhere: remu r2, r1, r0", false, CPU_CAUSE_DIV_ZERO, true, 0, 0},
    {"csrr in U", TO_USER "here: csrr r1, cause", true, CPU_CAUSE_PRIVILEGED, true, 0x60100002u, 0},
    {"out in U", TO_USER "here: out r1, [0x3f8]", true, CPU_CAUSE_PRIVILEGED, true, 0x691003f8u, 0},
};

static void run_trap_case(const trap_case_t *c, sim_machine_t *m)
{
    char src[2048];
    snprintf(src, sizeof src, PRELUDE "%s\n li r13, 0xdead\n out r0, [0xf0]\n" HANDLER, c->body);
    cr_assert_eq(th_run(m, src, 100000), SIM_RUN_POWEROFF, "%s: no power-off", c->name);
}

Test(traps, every_cause_with_tval_and_epc)
{
    for (size_t i = 0; i < sizeof trap_cases / sizeof trap_cases[0]; i++) {
        const trap_case_t *c = &trap_cases[i];
        sim_machine_t m;
        run_trap_case(c, &m);
        const uint32_t *r = m.cpu[0].s.r;
        cr_expect_eq(r[10], c->cause, "%s: cause %u, want %u", c->name, r[10], c->cause);
        if (c->check_tval)
            cr_expect_eq(r[11], c->tval, "%s: tval 0x%x, want 0x%x", c->name, r[11], c->tval);
        uint32_t want_epc = c->epc < 0 ? c->tval : r[8] + (uint32_t)c->epc;
        cr_expect_eq(r[12], want_epc, "%s: epc 0x%x, want 0x%x", c->name, r[12], want_epc);
        uint32_t mode_before = (r[9] & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT;
        cr_expect_eq(mode_before, c->user ? CPU_MODE_U : CPU_MODE_K, "%s: eflags mode", c->name);
        cr_expect_eq(r[7], CPU_MODE_K, "%s: the handler must run in K", c->name);
        cr_expect_eq(m.cpu[0].s.traps[c->cause], 1, "%s: trap counter", c->name);
        sim_machine_free(&m);
    }
}

/* Every opcode with no instruction (and the blocks' pseudo-opcodes, 0xfa .. 0xff) is illegal,
 * with its word in tval, in K and in U: the interpreter's dispatch (a table of its cases' addresses
 * for each copy of the loop, cpu/cpu_exec.c) sends each to the fault, none to a case. */
Test(traps, every_unassigned_opcode_is_illegal_in_k_and_u)
{
    int checked = 0;
    for (unsigned opc = 0; opc < 256; opc++) {
        if (cpu_op_of_opcode((uint8_t)opc) >= 0)
            continue;
        for (int user = 0; user < 2; user++) {
            uint32_t word = opc << 24;
            trap_case_t c = {"unassigned", NULL, user, CPU_CAUSE_ILLEGAL, true, word, 0};
            char body[160];
            snprintf(body, sizeof body, "%shere: .word 0x%08x", user ? TO_USER : "", word);
            c.body = body;
            sim_machine_t m;
            run_trap_case(&c, &m);
            cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_ILLEGAL, "opcode 0x%02x%s: cause %u", opc,
                         user ? " in U" : "", m.cpu[0].s.r[10]);
            cr_expect_eq(m.cpu[0].s.r[11], word, "opcode 0x%02x: tval", opc);
            sim_machine_free(&m);
            checked++;
        }
    }
    cr_expect_gt(checked, 200);
}

/* Generated from the ISA table: every privileged instruction traps in U, with its word. */
Test(traps, every_privileged_instruction_traps_in_user_mode)
{
    int checked = 0;
    for (int op = 0; op < CPU_OP_COUNT; op++) {
        if (!(cpu_isa[op].cls & CPU_CLASS_PRIV))
            continue;
        cpu_insn_t insn = {.op = (cpu_op_t)op, .rd = 1, .rs1 = 2, .imm = 6};
        uint32_t word = cpu_encode(&insn);
        char body[256];
        snprintf(body, sizeof body, TO_USER "here: .word 0x%08x", word);
        trap_case_t c = {cpu_isa[op].mnemonic, body, true, CPU_CAUSE_PRIVILEGED, true, word, 0};
        sim_machine_t m;
        run_trap_case(&c, &m);
        cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_PRIVILEGED, "%s in U did not trap as privileged",
                     c.name);
        cr_expect_eq(m.cpu[0].s.r[11], word, "%s: tval", c.name);
        sim_machine_free(&m);
        checked++;
    }
    cr_expect_eq(checked, 10, "the ISA has 10 privileged instructions");
}

Test(traps, faulting_instruction_changes_nothing)
{
    sim_machine_t m;
    th_run(&m, PRELUDE "li r2, 5\n li sp, 0x2002\n li r1, 0x2001\nhere: ld r2, [r1]\n"
                       " out r0, [0xf0]\n" HANDLER,
           100000);
    cr_expect_eq(m.cpu[0].s.r[2], 5);
    sim_machine_free(&m);
    th_run(&m, PRELUDE "li sp, 0x2002\nhere: push r1\n out r0, [0xf0]\n" HANDLER, 100000);
    cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_MISALIGNED);
    cr_expect_eq(m.cpu[0].s.r[CPU_REG_SP], 0x2002, "a faulting push must not move sp");
    /* 5 instructions before the push, 8 in the handler: the faulting push is not retired */
    cr_expect_eq(m.cpu[0].s.instret, 5 + 8, "the faulting push is not retired");
    sim_machine_free(&m);
}

Test(traps, entry_clears_ie_and_iret_restores_mode_and_ie)
{
    sim_machine_t m;
    th_run(&m,
           "la r1, h\n csrw tvec, r1\n la r1, user\n csrw epc, r1\n li r1, 0x100\n"
           " csrw eflags, r1\n iret\n"
           "user: rdmode r4\n pushf\n syscall\n rdmode r5\n li r1, 0\n hcall\n"
           "h: csrr r6, status\n csrr r1, cause\n cmpi r1, 4\n bne end\n iret\n"
           "end: out r0, [0xf0]\n",
           100000);
    const cpu_state_t *s = &m.cpu[0].s;
    cr_expect_eq(s->r[4], CPU_MODE_U, "iret entered U");
    cr_expect_eq(s->r[5], CPU_MODE_U, "iret after the syscall returned to U");
    cr_expect_eq(s->r[6], 0x1000, "in the handler: mode K, IE 0");
    cr_expect_eq(s->csr[CPU_CSR_EFLAGS] & (CPU_FLAG_IE | CPU_FLAG_MODE_MASK), 0x100,
                 "eflags holds U with IE=1");
    sim_machine_free(&m);
}

Test(traps, trap_emits_trap_and_mode_events)
{
    sim_machine_t m;
    th_events_t rec;
    th_machine(&m, PRELUDE TO_USER "here: syscall\n" HANDLER);
    th_record_events(&m, &rec);
    sim_run(&m, 100000);
    /* iret (K->U), then the syscall: trap, mode U->K, then the power-off write */
    cr_assert_geq(rec.n, 5);
    cr_expect_eq(rec.ev[0].kind, SIM_EV_IRET);
    cr_expect_eq(rec.ev[1].kind, SIM_EV_MODE);
    cr_expect_eq(rec.ev[1].from_mode, CPU_MODE_K);
    cr_expect_eq(rec.ev[1].mode, CPU_MODE_U);
    cr_expect_eq(rec.ev[2].kind, SIM_EV_TRAP);
    cr_expect_eq(rec.ev[2].a, CPU_CAUSE_SYSCALL);
    cr_expect_eq(rec.ev[3].kind, SIM_EV_MODE);
    cr_expect_eq(rec.ev[3].mode, CPU_MODE_K);
    cr_expect_eq(rec.ev[4].kind, SIM_EV_IO);
    cr_expect(rec.ev[2].cycle < rec.ev[4].cycle, "events carry increasing cycle stamps");
    sim_machine_free(&m);
}

Test(traps, trap_entry_cost_is_charged)
{
    sim_machine_t a, b;
    th_run(&a, "la r1, h\n csrw tvec, r1\n syscall\nh: out r0, [0xf0]\n", 10000);
    th_run(&b, "la r1, h\n csrw tvec, r1\n nop\nh: out r0, [0xf0]\n", 10000);
    uint64_t diff = a.cpu[0].s.cycles - b.cpu[0].s.cycles;
    cr_expect_eq(diff, a.costs.c[SIM_COST_trap_entry], "syscall and nop both cost 1; the trap adds %llu",
                 (unsigned long long)diff);
    sim_machine_free(&a);
    sim_machine_free(&b);
}

/* ------------------------------------------------------------------------------------------ */

#define TICK_HANDLER "tick: csrr r10, cause\n csrr r12, epc\n out r0, [0xf0]\n"

Test(interrupts, timer_taken_when_enabled)
{
    sim_machine_t m;
    th_run(&m, "la r1, tick\n csrw tvec, r1\n li r1, 50\n csrw timer, r1\n sti\n"
               "spin: b spin\n" TICK_HANDLER,
           100000);
    cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_INTERRUPT | CPU_IRQ_TIMER);
    cr_expect_eq(m.cpu[0].s.r[12], 0x1018, "epc is the instruction that would have run next");
    cr_expect_eq(m.cpu[0].s.interrupts[0], 1);
    sim_machine_free(&m);
}

Test(interrupts, masked_by_ie_then_pending_in_ip)
{
    sim_machine_t m;
    th_run(&m, "la r1, tick\n csrw tvec, r1\n li r10, 7\n li r1, 20\n csrw timer, r1\n"
               " li r2, 100\nl: addi r2, r2, -1\n cmpi r2, 0\n bne l\n csrr r3, ip\n"
               " csrr r4, timer\n li r1, 0\n csrw timer, r1\n csrr r5, ip\n out r0, [0xf0]\n" TICK_HANDLER,
           100000);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[10], 7, "no interrupt with IE = 0");
    cr_expect_eq(r[3], 1, "line 0 pending");
    cr_expect_eq(r[4], 0, "a fired timer reads 0");
    cr_expect_eq(r[5], 0, "writing timer acknowledges");
    sim_machine_free(&m);
}

Test(interrupts, masked_by_im)
{
    sim_machine_t m;
    th_run(&m, "la r1, tick\n csrw tvec, r1\n li r10, 7\n csrw im, r0\n li r1, 20\n"
               " csrw timer, r1\n sti\n li r2, 100\nl: addi r2, r2, -1\n cmpi r2, 0\n bne l\n"
               " out r0, [0xf0]\n" TICK_HANDLER,
           100000);
    cr_expect_eq(m.cpu[0].s.r[10], 7, "no interrupt with im = 0");
    sim_machine_free(&m);
}

Test(interrupts, lowest_line_wins)
{
    sim_machine_t m;
    th_machine(&m, "la r1, tick\n csrw tvec, r1\n sti\nspin: b spin\n" TICK_HANDLER);
    cpu_run(&m.cpu[0], 10); /* reach the spin loop */
    cpu_set_irq(&m.cpu[0], 5, true);
    cpu_set_irq(&m.cpu[0], 3, true);
    sim_run(&m, 10000);
    cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_INTERRUPT | 3);
    sim_machine_free(&m);
}

Test(interrupts, halt_with_ie_off_wakes_and_continues)
{
    sim_machine_t m;
    th_run(&m, "li r1, 500\n csrw timer, r1\n halt\n csrr r3, ip\n out r0, [0xf0]\n", 100000);
    cr_expect_eq(m.cpu[0].s.r[3], 1, "woken by the pending timer line, not interrupted");
    cr_expect_geq(m.cpu[0].s.cycles, 500, "time passed while halted");
    sim_machine_free(&m);
}

Test(interrupts, halt_with_nothing_to_wake_is_idle)
{
    sim_machine_t m;
    cr_expect_eq(th_run(&m, "halt\n out r0, [0xf0]\n", 100000), SIM_RUN_IDLE);
    sim_machine_free(&m);
}

Test(interrupts, halt_then_interrupt_returns_after_halt)
{
    sim_machine_t m;
    th_run(&m, "la r1, tick\n csrw tvec, r1\n li r1, 300\n csrw timer, r1\n sti\n halt\n"
               "after: b after\n" TICK_HANDLER,
           100000);
    cr_expect_eq(m.cpu[0].s.r[10], CPU_CAUSE_INTERRUPT);
    cr_expect_eq(m.cpu[0].s.r[12], 0x101c, "epc is the instruction after halt");
    sim_machine_free(&m);
}

Test(interrupts, popf_in_user_mode_leaves_ie_alone)
{
    sim_machine_t m;
    th_run(&m,
           "la r1, h\n csrw tvec, r1\n la r1, user\n csrw epc, r1\n li r1, 0x100\n csrw eflags, r1\n"
           " li sp, 0x8000\n iret\n"
           "user: li r1, 0\n push r1\n popf\n pushf\n pop r3\n rdmode r4\n syscall\n"
           "h: csrr r5, eflags\n out r0, [0xf0]\n",
           100000);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[3], 0x100, "pushf after popf(0) in U: IE still 1, MODE 0");
    cr_expect_eq(r[4], CPU_MODE_U);
    cr_expect_eq(r[5] & CPU_FLAG_IE, CPU_FLAG_IE, "interrupts were never disabled");
    cr_expect_eq(m.cpu[0].s.traps[CPU_CAUSE_PRIVILEGED], 0, "popf did not trap");
    sim_machine_free(&m);
}

Test(interrupts, uart_input_raises_line_1_when_enabled)
{
    sim_machine_t m;
    th_machine(&m, "la r1, h\n csrw tvec, r1\n li r1, 1\n out r1, [0x3fa]\n sti\nspin: b spin\n"
                   "h: csrr r10, cause\n in r3, [0x3f8]\n in r4, [0x3f9]\n in r5, [0x3f8]\n"
                   " out r0, [0xf0]\n");
    sim_console_set_input(&m, "A", 1);
    sim_run(&m, 100000);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[10], CPU_CAUSE_INTERRUPT | SIM_UART_IRQ);
    cr_expect_eq(r[3], 'A');
    cr_expect_eq(r[4], 2, "status: output ready, no more input");
    cr_expect_eq(r[5], 0xffffffffu, "no input reads all ones");
    sim_machine_free(&m);
}

Test(machine, empty_port_reads_all_ones_and_devices_cost_cycles)
{
    sim_machine_t m;
    th_run(&m, "in r3, [0x1234]\n out r0, [0xf0]\n", 10000);
    cr_expect_eq(m.cpu[0].s.r[3], 0xffffffffu);
    cr_expect_eq(m.cpu[0].s.cycles, 2 * (cpu_isa[CPU_OP_IN].cycles + m.costs.c[SIM_COST_device_access]));
    sim_machine_free(&m);
}

Test(machine, console_output_through_mmio)
{
    sim_machine_t m;
    th_run(&m, "lui r1, 0xf000\n li r2, 'h'\n st r2, [r1]\n li r2, 'i'\n st r2, [r1]\n"
               " ld r3, [r1+4]\n lui r1, 0xf000\n ori r1, r1, 0x1000\n li r2, 3\n st r2, [r1]\n",
           10000);
    cr_expect_str_eq(sim_console_captured(&m), "hi");
    cr_expect_eq(m.cpu[0].s.r[3], 2, "UART status over MMIO");
    cr_expect_eq(m.exit_code, 3, "power-off over MMIO");
    sim_machine_free(&m);
}

Test(machine, runs_are_deterministic)
{
    static const char *src = "la r1, tick\n csrw tvec, r1\n li r1, 77\n csrw timer, r1\n sti\n"
                             "li r2, 0\nl: addi r2, r2, 1\n cmpi r2, 1000\n blt l\n out r0, [0xf0]\n"
                             "tick: addi r9, r9, 1\n li r1, 77\n csrw timer, r1\n iret\n";
    sim_machine_t a, b;
    th_run(&a, src, 1000000);
    th_run(&b, src, 1000000);
    cr_expect_eq(a.cpu[0].s.cycles, b.cpu[0].s.cycles);
    cr_expect_eq(a.cpu[0].s.r[9], b.cpu[0].s.r[9]);
    cr_expect_gt(a.cpu[0].s.r[9], 10, "the timer interrupted the loop");
    cr_expect(memcmp(&a.cpu[0].s, &b.cpu[0].s, sizeof a.cpu[0].s) == 0, "identical CPU state");
    sim_machine_free(&a);
    sim_machine_free(&b);
}
