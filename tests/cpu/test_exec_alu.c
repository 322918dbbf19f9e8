/*
 * test_exec_alu.c - semantics of the arithmetic, logic, compare/branch, memory and jump
 * instructions, each row a snippet and the register value it must leave.
 */
#include <criterion/criterion.h>

#include "../support/harness.h"

typedef struct {
    const char *name;
    const char *src;
    unsigned reg;
    uint32_t expect;
} reg_case_t;

/* Runs each snippet on a fresh machine and checks one register. */
static void check_cases(const reg_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char src[2048];
        snprintf(src, sizeof src, "%s%s", cases[i].src, TH_POWEROFF);
        sim_machine_t m;
        sim_run_result_t why = th_run(&m, src, 100000);
        cr_expect_eq(why, SIM_RUN_POWEROFF, "%s: did not power off", cases[i].name);
        cr_expect_eq(m.cpu[0].s.r[cases[i].reg], cases[i].expect, "%s: r%u = 0x%08x, want 0x%08x",
                     cases[i].name, cases[i].reg, m.cpu[0].s.r[cases[i].reg], cases[i].expect);
        sim_machine_free(&m);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const reg_case_t alu_cases[] = {
    {"add", "li r1, 5\n li r2, 7\n add r3, r1, r2", 3, 12},
    {"add wraps", "li r1, -1\n li r2, 2\n add r3, r1, r2", 3, 1},
    {"sub", "li r1, 5\n li r2, 7\n sub r3, r1, r2", 3, 0xfffffffeu},
    {"and", "li r1, 0x0ff0\n li r2, 0x00ff\n and r3, r1, r2", 3, 0x00f0},
    {"or", "li r1, 0x0ff0\n li r2, 0x00ff\n or r3, r1, r2", 3, 0x0fff},
    {"xor", "li r1, 0x0ff0\n li r2, 0x00ff\n xor r3, r1, r2", 3, 0x0f0f},
    {"shl", "li r1, 3\n li r2, 4\n shl r3, r1, r2", 3, 48},
    {"shl masks to 5 bits", "li r1, 3\n li r2, 33\n shl r3, r1, r2", 3, 6},
    {"shr logical", "li r1, -16\n li r2, 2\n shr r3, r1, r2", 3, 0x3ffffffcu},
    {"sra arithmetic", "li r1, -16\n li r2, 2\n sra r3, r1, r2", 3, 0xfffffffcu},
    {"slt true", "li r1, -1\n li r2, 1\n slt r3, r1, r2", 3, 1},
    {"slt false", "li r1, 1\n li r2, -1\n slt r3, r1, r2", 3, 0},
    {"sltu", "li r1, -1\n li r2, 1\n sltu r3, r1, r2", 3, 0},
    {"sltu true", "li r1, 1\n li r2, -1\n sltu r3, r1, r2", 3, 1},
    {"mul", "li r1, -3\n li r2, 7\n mul r3, r1, r2", 3, (uint32_t)-21},
    {"mul keeps low bits", "li r1, 0x10000\n li r2, 0x10001\n mul r3, r1, r2", 3, 0x10000},
    {"mulhu", "li r1, 0x10000\n li r2, 0x10001\n mulhu r3, r1, r2", 3, 1},
    {"mulhu max", "li r1, -1\n li r2, -1\n mulhu r3, r1, r2", 3, 0xfffffffeu},
    {"div signed", "li r1, -7\n li r2, 2\n div r3, r1, r2", 3, (uint32_t)-3},
    {"rem signed", "li r1, -7\n li r2, 2\n rem r3, r1, r2", 3, (uint32_t)-1},
    {"div INT_MIN/-1", "li r1, 0x80000000\n li r2, -1\n div r3, r1, r2", 3, 0x80000000u},
    {"rem INT_MIN/-1", "li r1, 0x80000000\n li r2, -1\n rem r3, r1, r2", 3, 0},
    {"divu", "li r1, -7\n li r2, 2\n divu r3, r1, r2", 3, 0x7ffffffcu},
    {"remu", "li r1, -7\n li r2, 2\n remu r3, r1, r2", 3, 1},
    {"addi negative", "li r1, 10\n addi r3, r1, -11", 3, 0xffffffffu},
    {"addi max", "addi r3, r0, 32767", 3, 32767},
    {"addi min", "addi r3, r0, -32768", 3, 0xffff8000u},
    {"andi zero-extends", "li r1, -1\n andi r3, r1, 0x8001", 3, 0x8001},
    {"ori zero-extends", "ori r3, r0, 0xffff", 3, 0xffff},
    {"xori zero-extends", "li r1, -1\n xori r3, r1, 0xffff", 3, 0xffff0000u},
    {"shli", "li r1, 1\n shli r3, r1, 31", 3, 0x80000000u},
    {"shri", "li r1, -1\n shri r3, r1, 28", 3, 0xf},
    {"srai", "li r1, 0x80000000\n srai r3, r1, 31", 3, 0xffffffffu},
    {"slti", "li r1, -5\n slti r3, r1, -4", 3, 1},
    {"sltiu compares sign-extended", "li r1, 5\n sltiu r3, r1, -1", 3, 1},
    {"lui", "lui r3, 0xbeef", 3, 0xbeef0000u},
    {"li 32-bit", "li r3, 0x12345678", 3, 0x12345678},
    {"r0 ignores writes", "addi r0, r0, 5\n add r3, r0, r0", 3, 0},
    {"r0 as destination of lui", "lui r0, 1\n mov r3, r0", 3, 0},
    {"mov", "li r1, 42\n mov r3, r1", 3, 42},
    {"neg", "li r1, 42\n neg r3, r1", 3, (uint32_t)-42},
    {"not", "li r1, 0x0f0f0f0f\n not r3, r1", 3, 0xf0f0f0f0u},
    {"cpuid vendor", "li r1, 0\n cpuid r3, r1", 3, 0x4d535648u},
    {"cpuid no hypervisor", "li r1, 1\n cpuid r3, r1", 3, 0},
    {"cpuid cpus", "li r1, 2\n cpuid r3, r1", 3, 1},
    {"cpuid unknown leaf", "li r1, 99\n cpuid r3, r1", 3, 0},
    {"rdmode in K", "rdmode r3", 3, 1},
};

Test(exec, alu_and_misc)
{
    check_cases(alu_cases, N(alu_cases));
}

/* Branches: after `cmp a, b` each condition is taken or not. r3 = 1 when taken. */
typedef struct {
    const char *cond;
    int32_t a, b;
    bool taken;
} branch_case_t;

static const branch_case_t branch_cases[] = {
    {"beq", 5, 5, true},     {"beq", 5, 6, false},    {"bne", 5, 6, true},
    {"bne", 5, 5, false},    {"blt", -1, 1, true},    {"blt", 1, -1, false},
    {"blt", 5, 5, false},    {"bge", 5, 5, true},     {"bge", -2, -3, true},
    {"bge", -3, -2, false},  {"bgt", 2, 1, true},     {"bgt", 1, 1, false},
    {"ble", 1, 1, true},     {"ble", -5, 3, true},    {"ble", 3, -5, false},
    {"bltu", 1, -1, true},   {"bltu", -1, 1, false},  {"bgeu", -1, 1, true},
    {"bgeu", 1, 1, true},    {"bgeu", 0, 1, false},   {"bgtu", -1, -2, true},
    {"bgtu", 3, 3, false},   {"bleu", 3, 3, true},    {"bleu", 1, -1, true},
    {"bleu", -1, 1, false},  {"b", 0, 1, true},
    /* signed overflow in the comparison: INT_MIN < 1 although INT_MIN - 1 is positive */
    {"blt", INT32_MIN, 1, true}, {"bge", INT32_MAX, -1, true},
};

Test(exec, branches_follow_flags)
{
    for (size_t i = 0; i < N(branch_cases); i++) {
        const branch_case_t *c = &branch_cases[i];
        char src[512];
        snprintf(src, sizeof src,
                 "li r1, %d\n li r2, %d\n li r3, 0\n cmp r1, r2\n %s taken\n b done\n"
                 "taken: li r3, 1\ndone:" TH_POWEROFF,
                 c->a, c->b, c->cond);
        sim_machine_t m;
        th_run(&m, src, 10000);
        cr_expect_eq(m.cpu[0].s.r[3], c->taken, "%s after cmp %d, %d: taken=%u, want %d", c->cond,
                     c->a, c->b, m.cpu[0].s.r[3], c->taken);
        sim_machine_free(&m);
    }
}

Test(exec, cmp_sets_each_flag)
{
    static const struct {
        int32_t a, b;
        uint32_t flags;
    } rows[] = {
        {5, 5, CPU_FLAG_Z},
        {1, 2, CPU_FLAG_N | CPU_FLAG_C},
        {2, 1, 0},
        {INT32_MIN, 1, CPU_FLAG_V},
        {INT32_MAX, -1, CPU_FLAG_V | CPU_FLAG_N | CPU_FLAG_C},
    };
    for (size_t i = 0; i < N(rows); i++) {
        char src[256];
        snprintf(src, sizeof src, "li r1, %d\n li r2, %d\n cmp r1, r2" TH_POWEROFF, rows[i].a,
                 rows[i].b);
        sim_machine_t m;
        th_run(&m, src, 10000);
        cr_expect_eq(m.cpu[0].s.flags & CPU_FLAG_COND, rows[i].flags,
                     "cmp %d, %d: flags 0x%x, want 0x%x", rows[i].a, rows[i].b,
                     m.cpu[0].s.flags & CPU_FLAG_COND, rows[i].flags);
        sim_machine_free(&m);
    }
}

static const reg_case_t memory_cases[] = {
    {"st/ld word", "la r1, buf\n li r2, 0x11223344\n st r2, [r1]\n ld r3, [r1]\n b end\n"
                   ".align 4\nbuf: .word 0\nend:", 3, 0x11223344},
    {"little-endian bytes", "la r1, buf\n ldbu r3, [r1]\n b end\n.align 4\nbuf: .word 0x11223344\nend:",
     3, 0x44},
    {"ldb sign-extends", "la r1, buf\n ldb r3, [r1+1]\n b end\n.align 4\nbuf: .word 0x0080ff00\nend:",
     3, 0xffffffffu},
    {"ldbu zero-extends", "la r1, buf\n ldbu r3, [r1+1]\n b end\n.align 4\nbuf: .word 0x0080ff00\nend:",
     3, 0xff},
    {"ldh sign-extends", "la r1, buf\n ldh r3, [r1+2]\n b end\n.align 4\nbuf: .word 0x80010000\nend:",
     3, 0xffff8001u},
    {"ldhu zero-extends", "la r1, buf\n ldhu r3, [r1+2]\n b end\n.align 4\nbuf: .word 0x80010000\nend:",
     3, 0x8001},
    {"sth writes two bytes", "la r1, buf\n li r2, 0xaabbccdd\n sth r2, [r1+2]\n ld r3, [r1]\n b end\n"
                             ".align 4\nbuf: .word 0x11223344\nend:", 3, 0xccdd3344u},
    {"stb writes one byte", "la r1, buf\n li r2, 0xaabbccdd\n stb r2, [r1+1]\n ld r3, [r1]\n b end\n"
                            ".align 4\nbuf: .word 0x11223344\nend:", 3, 0x1122dd44u},
    {"negative offset", "la r1, buf+4\n ld r3, [r1-4]\n b end\n.align 4\nbuf: .word 77\nend:", 3, 77},
    {"push/pop", "li sp, 0x8000\n li r1, 9\n push r1\n pop r3", 3, 9},
    {"push moves sp", "li sp, 0x8000\n push r1\n mov r3, sp", 3, 0x7ffc},
    {"pop sp loads sp", "li sp, 0x8000\n li r1, 0x4444\n push r1\n pop sp\n mov r3, sp", 3, 0x4444},
    {"pushf pushes mode K", "li sp, 0x8000\n pushf\n pop r3", 3, 0x1000},
    {"popf in K sets IE", "li sp, 0x8000\n li r1, 0x100\n push r1\n popf\n csrr r3, status", 3,
     0x1100},
    {"popf cannot change mode", "li sp, 0x8000\n li r1, 0x2000\n push r1\n popf\n rdmode r3", 3, 1},
    {"jal links", "jal r5, there\nthere: mov r3, r5", 3, 0x1004},
    {"call/ret", "li sp, 0x8000\n call f\n li r3, 2\n b end\nf: li r3, 1\n ret\nend:", 3, 2},
    {"jalr computes target before link", "la r15, t\n jalr r15, r15, 0\n b end\nt: mov r3, r15\nend:",
     3, 0x100c},
    {"jr", "la r1, t\n jr r1\n li r3, 5\n b end\nt: li r3, 6\nend:", 3, 6},
    {"csr scratch", "li r1, 1234\n csrw scratch, r1\n csrr r3, scratch", 3, 1234},
    {"status write changes IE only", "li r1, -1\n csrw status, r1\n csrr r3, status", 3, 0x1100},
    {"im keeps 16 lines", "li r1, -1\n csrw im, r1\n csrr r3, im", 3, 0xffff},
    {"cpunum", "csrr r3, cpunum", 3, 0},
};

Test(exec, memory_jumps_csrs)
{
    check_cases(memory_cases, N(memory_cases));
}

/* Cycle accounting: base costs from the ISA table plus the taken-branch cost. */
Test(exec, cycles_are_counted_from_the_table)
{
    sim_machine_t m;
    th_machine(&m, "li r1, 3\nloop: addi r1, r1, -1\n cmpi r1, 0\n bne loop\n mul r2, r1, r1\n"
                   TH_POWEROFF);
    /* stop before the power-off `out` (its device access is charged separately) */
    cpu_run(&m.cpu[0], 1);                 /* li: addi, 1 cycle */
    cr_expect_eq(m.cpu[0].s.cycles, 1);
    uint64_t before = m.cpu[0].s.cycles;
    while (m.cpu[0].s.pc != 0x1010) /* the mul */
        cpu_run(&m.cpu[0], 1);
    /* 3 iterations of addi+cmpi+bne = 9 instructions, 9 cycles, plus 2 taken branches */
    cr_expect_eq(m.cpu[0].s.cycles - before, 9 + 2 * m.costs.c[SIM_COST_branch_taken]);
    cpu_run(&m.cpu[0], 1);
    cr_expect_eq(m.cpu[0].s.cycles - before, 9 + 2 + cpu_isa[CPU_OP_MUL].cycles);
    cr_expect_eq(m.cpu[0].s.instret, 11);
    sim_machine_free(&m);
}
