/*
 * cpu_isa.c - the ISA table turned into data: instruction info, opcode lookup, decoding and
 * encoding, CSR and trap-cause names, and the Popek-Goldberg classification report.
 *
 * Nothing here knows what an instruction does; that is cpu_exec.c. This file only knows how
 * instructions are written down, which is exactly what the assembler, disassembler and decoder
 * need to agree on.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cpu.h"

/* FIELD(kind): the bits an operand kind occupies in the instruction word.
 * Bits 23..0 not used by any operand must be zero. Computed from the operand kinds so that the
 * table stays the one place where an instruction's shape is written. */
#define ZERO_MASK(a, b, c)                                                                         \
    (0x00ffffffu & ~(FIELD(CPU_OPK_##a) | FIELD(CPU_OPK_##b) | FIELD(CPU_OPK_##c)))
#define FIELD(k)                                                                                   \
    ((k) == CPU_OPK_RD      ? 0x00f00000u                                                          \
     : (k) == CPU_OPK_RS1   ? 0x000f0000u                                                          \
     : (k) == CPU_OPK_RS2   ? 0x0000f000u                                                          \
     : (k) == CPU_OPK_MEM   ? 0x000fffffu                                                          \
     : (k) == CPU_OPK_REL20 ? 0x000fffffu                                                          \
     : (k) == CPU_OPK_REL24 ? 0x00ffffffu                                                          \
     : (k) == CPU_OPK_NONE  ? 0u                                                                   \
                            : 0x0000ffffu)

/* The bits an operand kind occupies in the instruction word. */
static uint32_t field_bits(unsigned kind)
{
    return FIELD(kind);
}

const cpu_insn_info_t cpu_isa[CPU_OP_COUNT] = {
#define CPU_X_INFO(name, mn, opc, a, b, c, cyc, cls, sum)                                          \
    [CPU_OP_##name] = {mn, opc, {CPU_OPK_##a, CPU_OPK_##b, CPU_OPK_##c}, cyc, cls,                \
                       ZERO_MASK(a, b, c), sum},
    CPU_ISA(CPU_X_INFO)
#undef CPU_X_INFO
};

/* opcode byte -> instruction + 1 (0 = unassigned) */
static const uint8_t op_of_opcode[256] = {
#define CPU_X_MAP(name, mn, opc, a, b, c, cyc, cls, sum) [opc] = CPU_OP_##name + 1,
    CPU_ISA(CPU_X_MAP)
#undef CPU_X_MAP
};

int cpu_op_of_opcode(uint8_t opcode)
{
    return (int)op_of_opcode[opcode] - 1;
}

int cpu_op_by_mnemonic(const char *mnemonic)
{
    for (int i = 0; i < CPU_OP_COUNT; i++)
        if (strcasecmp(cpu_isa[i].mnemonic, mnemonic) == 0)
            return i;
    return -1;
}

/* Puts the value of one operand kind from `word` into the decoded instruction. */
static void decode_operand(unsigned kind, uint32_t word, cpu_insn_t *out)
{
    switch (kind) {
    case CPU_OPK_RD: out->rd = (uint8_t)CPU_INSN_RD(word); break;
    case CPU_OPK_RS1: out->rs1 = (uint8_t)CPU_INSN_RS1(word); break;
    case CPU_OPK_RS2: out->rs2 = (uint8_t)CPU_INSN_RS2(word); break;
    case CPU_OPK_IMM: out->imm = CPU_INSN_IMM16(word); break;
    case CPU_OPK_UIMM:
    case CPU_OPK_SHAMT:
    case CPU_OPK_CSR: out->imm = (int32_t)CPU_INSN_UIMM16(word); break;
    case CPU_OPK_MEM:
        out->rs1 = (uint8_t)CPU_INSN_RS1(word);
        out->imm = CPU_INSN_IMM16(word);
        break;
    case CPU_OPK_REL20: out->imm = CPU_INSN_REL20(word) * 4; break;
    case CPU_OPK_REL24: out->imm = CPU_INSN_REL24(word) * 4; break;
    default: break;
    }
}

bool cpu_decode(uint32_t word, cpu_insn_t *out)
{
    memset(out, 0, sizeof *out);
    int op = cpu_op_of_opcode((uint8_t)CPU_INSN_OPCODE(word));
    if (op < 0)
        return false;
    const cpu_insn_info_t *info = &cpu_isa[op];
    if (word & info->zero_mask)
        return false;
    out->op = (cpu_op_t)op;
    for (int i = 0; i < 3; i++) {
        decode_operand(info->operands[i], word, out);
        if (info->operands[i] == CPU_OPK_SHAMT && out->imm > 31)
            return false;
    }
    return true;
}

/* The bits of one operand kind for the decoded instruction. */
static uint32_t encode_operand(unsigned kind, const cpu_insn_t *in)
{
    switch (kind) {
    case CPU_OPK_RD: return (uint32_t)(in->rd & 0xf) << 20;
    case CPU_OPK_RS1: return (uint32_t)(in->rs1 & 0xf) << 16;
    case CPU_OPK_RS2: return (uint32_t)(in->rs2 & 0xf) << 12;
    case CPU_OPK_IMM:
    case CPU_OPK_UIMM:
    case CPU_OPK_SHAMT:
    case CPU_OPK_CSR: return (uint32_t)in->imm & 0xffffu;
    case CPU_OPK_MEM: return ((uint32_t)(in->rs1 & 0xf) << 16) | ((uint32_t)in->imm & 0xffffu);
    case CPU_OPK_REL20: return ((uint32_t)(in->imm / 4)) & 0x000fffffu;
    case CPU_OPK_REL24: return ((uint32_t)(in->imm / 4)) & 0x00ffffffu;
    default: return 0;
    }
}

uint32_t cpu_encode(const cpu_insn_t *in)
{
    const cpu_insn_info_t *info = &cpu_isa[in->op];
    uint32_t word = (uint32_t)info->opcode << 24;
    for (int i = 0; i < 3; i++)
        word |= encode_operand(info->operands[i], in) & field_bits(info->operands[i]);
    return word;
}

bool cpu_operand_fits(cpu_opkind_t kind, int64_t v)
{
    switch (kind) {
    case CPU_OPK_RD:
    case CPU_OPK_RS1:
    case CPU_OPK_RS2: return v >= 0 && v < CPU_NREGS;
    case CPU_OPK_IMM:
    case CPU_OPK_MEM: return v >= -32768 && v <= 32767;
    case CPU_OPK_UIMM:
    case CPU_OPK_CSR: return v >= 0 && v <= 65535;
    case CPU_OPK_SHAMT: return v >= 0 && v <= 31;
    case CPU_OPK_REL20: return v % 4 == 0 && v / 4 >= -(1 << 19) && v / 4 < (1 << 19);
    case CPU_OPK_REL24: return v % 4 == 0 && v / 4 >= -(1 << 23) && v / 4 < (1 << 23);
    default: return v == 0;
    }
}

const char *cpu_class_name(unsigned cls)
{
    if (cls & CPU_CLASS_HYPER)
        return "ring -1";
    if ((cls & CPU_CLASS_PRIV) && (cls & CPU_CLASS_SENS))
        return "privileged+sensitive";
    if (cls & CPU_CLASS_PRIV)
        return "privileged";
    if (cls & CPU_CLASS_SENS)
        return "sensitive";
    return "neither";
}

/* ------------------------------------------------------------------------------------------
 * CSR and cause names
 * ------------------------------------------------------------------------------------------ */
static const char *const csr_names[CPU_CSR_COUNT] = {
#define CPU_X_CSRNAME(name, str, num, wr, sum) [num] = str,
    CPU_CSRS(CPU_X_CSRNAME)
#undef CPU_X_CSRNAME
};

int cpu_csr_by_name(const char *name)
{
    for (int i = 0; i < CPU_CSR_COUNT; i++)
        if (csr_names[i] && strcasecmp(csr_names[i], name) == 0)
            return i;
    return -1;
}

const char *cpu_csr_name(unsigned num)
{
    return num < CPU_CSR_COUNT ? csr_names[num] : NULL;
}

static const char *const cause_names[CPU_CAUSE_COUNT] = {
#define CPU_X_CAUSENAME(name, str, code, sum) [code] = str,
    CPU_CAUSES(CPU_X_CAUSENAME)
#undef CPU_X_CAUSENAME
};

const char *cpu_cause_name(uint32_t cause, char *buf, size_t len)
{
    if (cause & CPU_CAUSE_INTERRUPT) {
        unsigned line = cause & ~CPU_CAUSE_INTERRUPT;
        snprintf(buf, len, "interrupt %u (%s)", line, line == CPU_IRQ_TIMER ? "timer" : "device");
        return buf;
    }
    if (cause < CPU_CAUSE_COUNT)
        return cause_names[cause];
    snprintf(buf, len, "cause %u", cause);
    return buf;
}

const char *cpu_mode_name(cpu_mode_t mode)
{
    switch (mode) {
    case CPU_MODE_U: return "U";
    case CPU_MODE_K: return "K";
    case CPU_MODE_H: return "H";
    }
    return "?";
}

/* ------------------------------------------------------------------------------------------
 * The Popek-Goldberg report
 * ------------------------------------------------------------------------------------------ */
static void print_operands(FILE *out, const cpu_insn_info_t *info, const char *sep)
{
    static const char *const kind_names[] = {"",    "RD",  "RS1",   "RS2",   "IMM",  "UIMM",
                                             "SHAMT", "MEM", "CSR", "REL20", "REL24"};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (info->operands[i] == CPU_OPK_NONE)
            continue;
        fprintf(out, "%s%s", n++ ? sep : "", kind_names[info->operands[i]]);
    }
    if (n == 0)
        fputs("—", out);
}

/* Prints one table row of `hvsim isa --markdown`; '|' in summaries is escaped. */
static void print_markdown_row(FILE *out, const cpu_insn_info_t *info)
{
    fprintf(out, "| 0x%02x | %s | ", info->opcode, info->mnemonic);
    print_operands(out, info, ", ");
    fprintf(out, " | %u | %s | ", info->cycles, cpu_class_name(info->cls));
    for (const char *p = info->summary; *p; p++) {
        if (*p == '|')
            fputc('\\', out);
        fputc(*p, out);
    }
    fputs(" |\n", out);
}

void cpu_print_isa_markdown(FILE *out)
{
    fputs("| opcode | mnemonic | operands | cycles | class | meaning |\n", out);
    fputs("|--------|----------|----------|--------|-------|---------|\n", out);
    for (int i = 0; i < CPU_OP_COUNT; i++)
        print_markdown_row(out, &cpu_isa[i]);
}

/* Prints text left-aligned in a column `width` characters wide and a space: the width counts
 * characters as a terminal shows them, so the UTF-8 dash of "no operands" takes one. */
static void column(FILE *out, const char *text, int width)
{
    int shown = 0;
    for (const char *c = text; *c; c++)
        shown += ((unsigned char)*c & 0xc0) != 0x80; /* continuation bytes take no column */
    fprintf(out, "%s%*s", text, width - shown + 1, "");
}

void cpu_print_isa_report(FILE *out)
{
    char ops[CPU_OP_COUNT][32];
    int wname = 4, wops = 8;
    for (int i = 0; i < CPU_OP_COUNT; i++) {
        ops[i][0] = '\0';
        FILE *mem = fmemopen(ops[i], sizeof ops[i], "w");
        if (mem) {
            print_operands(mem, &cpu_isa[i], ",");
            fclose(mem);
        }
        int n = (int)strlen(cpu_isa[i].mnemonic);
        wname = n > wname ? n : wname;
        n = (int)strlen(ops[i]);
        wops = n > wops ? n : wops;
    }
    column(out, "opcode", 6);
    column(out, "name", wname);
    column(out, "operands", wops);
    column(out, "cycles", 6);
    fprintf(out, "%-21s %s\n", "class", "meaning");
    for (int i = 0; i < CPU_OP_COUNT; i++) {
        const cpu_insn_info_t *info = &cpu_isa[i];
        fprintf(out, "0x%02x   ", info->opcode);
        column(out, info->mnemonic, wname);
        column(out, ops[i], wops);
        fprintf(out, "%-6u %-21s %s\n", info->cycles, cpu_class_name(info->cls), info->summary);
    }
    /* Popek and Goldberg (1974): trap-and-emulate works when every sensitive instruction is
     * privileged, i.e. traps in user mode where the hypervisor can see it. */
    int bad = 0;
    for (int i = 0; i < CPU_OP_COUNT; i++)
        if ((cpu_isa[i].cls & CPU_CLASS_SENS) && !(cpu_isa[i].cls & CPU_CLASS_PRIV))
            bad++;
    if (bad == 0) {
        fputs("verdict: every sensitive instruction is privileged; the ISA meets the "
              "Popek-Goldberg condition and can be virtualized by trap-and-emulate.\n",
              out);
        return;
    }
    fprintf(out, "verdict: the ISA does NOT meet the Popek-Goldberg condition for trap-and-emulate: "
                 "%d sensitive instruction%s not privileged:",
            bad, bad == 1 ? " is" : "s are");
    for (int i = 0, n = 0; i < CPU_OP_COUNT; i++)
        if ((cpu_isa[i].cls & CPU_CLASS_SENS) && !(cpu_isa[i].cls & CPU_CLASS_PRIV))
            fprintf(out, "%s %s", n++ ? "," : "", cpu_isa[i].mnemonic);
    fputs(" (they run in U without trapping, so a deprivileged guest kernel misbehaves "
          "silently; binary translation or hardware support is needed).\n",
          out);
}
