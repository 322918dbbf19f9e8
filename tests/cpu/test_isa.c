/*
 * test_isa.c - the ISA table as data: every instruction encodes and decodes back to itself,
 * reserved bits make a word illegal, and names and classes are what docs/isa.md says.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../cpu/cpu.h"

/* A deterministic generator for operand values (xorshift32). */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static int64_t random_operand(cpu_opkind_t kind, uint32_t *rng)
{
    uint32_t r = next_random(rng);
    switch (kind) {
    case CPU_OPK_RD:
    case CPU_OPK_RS1:
    case CPU_OPK_RS2: return r % 16;
    case CPU_OPK_IMM:
    case CPU_OPK_MEM: return (int16_t)r;
    case CPU_OPK_UIMM:
    case CPU_OPK_CSR: return r & 0xffff;
    case CPU_OPK_SHAMT: return r % 32;
    case CPU_OPK_REL20: return ((int32_t)(r << 12) >> 12) * 4;
    case CPU_OPK_REL24: return ((int32_t)(r << 8) >> 8) * 4;
    default: return 0;
    }
}

/* Fills the decoded form the way cpu_decode does for the operand kind. */
static void set_operand(cpu_insn_t *in, cpu_opkind_t kind, int64_t v, uint32_t *rng)
{
    switch (kind) {
    case CPU_OPK_RD: in->rd = (uint8_t)v; break;
    case CPU_OPK_RS1: in->rs1 = (uint8_t)v; break;
    case CPU_OPK_RS2: in->rs2 = (uint8_t)v; break;
    case CPU_OPK_MEM:
        in->rs1 = (uint8_t)(next_random(rng) % 16);
        in->imm = (int32_t)v;
        break;
    case CPU_OPK_NONE: break;
    default: in->imm = (int32_t)v; break;
    }
}

Test(isa, encode_decode_round_trip_for_every_instruction)
{
    uint32_t rng = 12345;
    for (int op = 0; op < CPU_OP_COUNT; op++) {
        for (int trial = 0; trial < 200; trial++) {
            cpu_insn_t in = {.op = (cpu_op_t)op};
            for (int k = 0; k < 3; k++) {
                cpu_opkind_t kind = cpu_isa[op].operands[k];
                int64_t v = random_operand(kind, &rng);
                cr_assert(cpu_operand_fits(kind, v));
                set_operand(&in, kind, v, &rng);
            }
            uint32_t word = cpu_encode(&in);
            cpu_insn_t out;
            cr_assert(cpu_decode(word, &out), "%s: 0x%08x does not decode", cpu_isa[op].mnemonic, word);
            cr_assert(memcmp(&in, &out, sizeof in) == 0, "%s: 0x%08x decodes differently",
                      cpu_isa[op].mnemonic, word);
            cr_assert_eq(cpu_encode(&out), word);
        }
    }
}

Test(isa, every_legal_word_reencodes_to_itself)
{
    uint32_t rng = 99;
    int legal = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t word = next_random(&rng);
        if (i % 3 == 0) /* bias towards assigned opcodes */
            word = (word & 0x00ffffffu) | (uint32_t)cpu_isa[word % CPU_OP_COUNT].opcode << 24;
        cpu_insn_t d;
        if (!cpu_decode(word, &d))
            continue;
        legal++;
        cr_assert_eq(cpu_encode(&d), word, "0x%08x", word);
    }
    cr_expect_gt(legal, 1000);
}

Test(isa, reserved_bits_and_unassigned_opcodes_are_illegal)
{
    cpu_insn_t d;
    cr_expect_not(cpu_decode(0x00000000u, &d), "opcode 0 is never assigned");
    cr_expect_not(cpu_decode(0x01000001u, &d), "nop with a stray bit");
    cr_expect_not(cpu_decode(0x10123001u, &d), "add with bits 11..0 set");
    cr_expect_not(cpu_decode(0x24120020u, &d), "shli by 32");
    cr_expect(cpu_decode(0x2412001fu, &d), "shli by 31");
    cr_expect_not(cpu_decode(0xff000000u, &d));
    cr_expect_not(cpu_decode(0x2c100000u | 0x00f00000u, &d), "cmp does not use rd");
}

Test(isa, table_is_consistent)
{
    bool seen[256] = {false};
    for (int op = 0; op < CPU_OP_COUNT; op++) {
        const cpu_insn_info_t *i = &cpu_isa[op];
        cr_expect_not(seen[i->opcode], "opcode 0x%02x assigned twice", i->opcode);
        seen[i->opcode] = true;
        cr_expect_eq(cpu_op_of_opcode(i->opcode), op);
        cr_expect_eq(cpu_op_by_mnemonic(i->mnemonic), op);
        cr_expect_gt(i->cycles, 0, "%s has a cost", i->mnemonic);
        cr_expect_neq(i->opcode, 0);
    }
    cr_expect_eq(cpu_op_by_mnemonic("frob"), -1);
}

Test(isa, classes_of_the_lesson)
{
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_POPF].cls), "sensitive");
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_PUSHF].cls), "sensitive");
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_RDMODE].cls), "sensitive");
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_CLI].cls), "privileged+sensitive");
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_ADD].cls), "neither");
    cr_expect_str_eq(cpu_class_name(cpu_isa[CPU_OP_VMRUN].cls), "ring -1");
}

Test(isa, names_of_csrs_and_causes)
{
    char buf[48];
    cr_expect_eq(cpu_csr_by_name("tvec"), CPU_CSR_TVEC);
    cr_expect_eq(cpu_csr_by_name("PTROOT"), CPU_CSR_PTROOT);
    cr_expect_eq(cpu_csr_by_name("nope"), -1);
    cr_expect_str_eq(cpu_csr_name(CPU_CSR_CYCLEH), "cycleh");
    cr_expect_null(cpu_csr_name(0x40));
    cr_expect_str_eq(cpu_cause_name(CPU_CAUSE_SYSCALL, buf, sizeof buf), "system-call");
    cr_expect_str_eq(cpu_cause_name(0x80000000u, buf, sizeof buf), "interrupt 0 (timer)");
    cr_expect_str_eq(cpu_cause_name(0x80000003u, buf, sizeof buf), "interrupt 3 (device)");
    cr_expect_str_eq(cpu_cause_name(77, buf, sizeof buf), "cause 77");
}
