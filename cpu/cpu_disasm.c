/*
 * cpu_disasm.c - the disassembler: one instruction as text (cpu_disasm, which the debugger
 * uses too), and a whole flat image as assembly source (cpu_disasm_image, behind hvasm -d).
 *
 * The rule is that the text assembles back to the same bytes. Only real instructions are
 * printed (never pseudo-instructions), an illegal word becomes `.word 0x...`, operands are
 * written in exactly the forms the assembler reads, and branch targets are absolute addresses
 * or symbols that the output itself defines.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_asm_internal.h"

/* Appends formatted text at buf + *o, never past len; *o stops at len - 1 when truncated. */
static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
    if (*o + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *o, len - *o, fmt, ap);
    va_end(ap);
    if (n > 0)
        *o = *o + (size_t)n < len ? *o + (size_t)n : len - 1;
}

static const char *reg_name(unsigned r)
{
    static const char *const names[CPU_NREGS] = {"r0", "r1", "r2",  "r3",  "r4",  "r5",
                                                 "r6", "r7", "r8",  "r9",  "r10", "r11",
                                                 "r12", "r13", "sp", "lr"};
    return names[r & 0xf];
}

/* Writes one operand of kind k. */
static void put_operand(char *buf, size_t len, size_t *o, unsigned k, const cpu_insn_t *in,
                        uint32_t pc, const cpu_symbol_t *syms, size_t nsyms)
{
    switch (k) {
    case CPU_OPK_RD: put(buf, len, o, "%s", reg_name(in->rd)); break;
    case CPU_OPK_RS1: put(buf, len, o, "%s", reg_name(in->rs1)); break;
    case CPU_OPK_RS2: put(buf, len, o, "%s", reg_name(in->rs2)); break;
    case CPU_OPK_IMM:
    case CPU_OPK_SHAMT: put(buf, len, o, "%d", (int)in->imm); break;
    case CPU_OPK_UIMM: put(buf, len, o, in->imm < 10 ? "%d" : "0x%x", (int)in->imm); break;
    case CPU_OPK_MEM:
        if (in->rs1 == 0)
            put(buf, len, o, in->imm >= 10 ? "[0x%x]" : "[%d]", (int)in->imm);
        else if (in->imm == 0)
            put(buf, len, o, "[%s]", reg_name(in->rs1));
        else
            put(buf, len, o, "[%s %c %d]", reg_name(in->rs1), in->imm < 0 ? '-' : '+',
                in->imm < 0 ? -(int)in->imm : (int)in->imm);
        break;
    case CPU_OPK_CSR:
        if (cpu_csr_name((unsigned)in->imm))
            put(buf, len, o, "%s", cpu_csr_name((unsigned)in->imm));
        else
            put(buf, len, o, "0x%x", (unsigned)in->imm);
        break;
    case CPU_OPK_REL20:
    case CPU_OPK_REL24: {
        uint32_t target = pc + (uint32_t)in->imm, off = 1;
        const cpu_symbol_t *s = cpu_syms_lookup(syms, nsyms, target, &off);
        if (s && off == 0)
            put(buf, len, o, "%s", s->name);
        else
            put(buf, len, o, "0x%08x", (unsigned)target);
        break;
    }
    default: break;
    }
}

bool cpu_disasm(uint32_t word, uint32_t pc, const cpu_symbol_t *syms, size_t nsyms, char *buf,
                size_t len)
{
    if (len == 0)
        return false;
    buf[0] = '\0';
    size_t o = 0;
    cpu_insn_t in;
    if (!cpu_decode(word, &in)) {
        put(buf, len, &o, ".word 0x%08x", (unsigned)word);
        return false;
    }
    const cpu_insn_info_t *info = &cpu_isa[in.op];
    put(buf, len, &o, "%s", info->mnemonic);
    for (int i = 0; i < 3 && info->operands[i] != CPU_OPK_NONE; i++) {
        put(buf, len, &o, "%s", i ? ", " : " ");
        put_operand(buf, len, &o, info->operands[i], &in, pc, syms, nsyms);
    }
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Whole images
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    FILE *out;
    const uint8_t *bytes;
    size_t size, nwords;
    uint32_t base;
    bool aligned;                /* instructions can only be decoded at aligned addresses */
    cpu_symbol_t *all;    /* usable symbols and generated labels, sorted by address */
    cpu_symbol_t *byname; /* usable symbols, sorted by name */
    size_t nall, nuser;
    char (*gen)[12]; /* names of generated labels */
    size_t ngen;
} image_t;

static uint32_t word_at(const image_t *I, size_t k)
{
    const uint8_t *b = I->bytes + 4 * k;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* True when a line of the output starts at addr (or the output ends there): a label can go. */
static bool at_line(const image_t *I, uint32_t addr)
{
    return addr >= I->base && (addr - I->base) % 4 == 0 && (addr - I->base) / 4 <= I->nwords;
}

static int cmp_name_ptr(const void *a, const void *b)
{
    return strcmp(((const cpu_symbol_t *)a)->name, ((const cpu_symbol_t *)b)->name);
}

/* By name, then by address: of a name given twice, the lower address is kept. */
static int cmp_name_addr(const void *a, const void *b)
{
    const cpu_symbol_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->addr > y->addr) - (x->addr < y->addr);
}

/* Keeps the symbols the output can define: valid, non-local names, each name once (at its
 * lowest address). Leaves
 * them sorted by name in I->byname and by address in I->all. */
static bool collect_user_syms(image_t *I, const cpu_symbol_t *syms, size_t n)
{
    I->all = malloc((n + I->nwords + 1) * sizeof *I->all);
    I->byname = malloc((n + 1) * sizeof *I->byname);
    I->gen = malloc((I->nwords + 1) * sizeof *I->gen);
    if (!I->all || !I->byname || !I->gen)
        return false;
    for (size_t i = 0; i < n; i++)
        if (syms[i].name && syms[i].name[0] != '.' &&
            asm_valid_name(syms[i].name, strlen(syms[i].name)))
            I->byname[I->nuser++] = syms[i];
    qsort(I->byname, I->nuser, sizeof *I->byname, cmp_name_addr);
    size_t k = 0;
    for (size_t i = 0; i < I->nuser; i++)
        if (k == 0 || strcmp(I->byname[k - 1].name, I->byname[i].name) != 0)
            I->byname[k++] = I->byname[i];
    I->nuser = I->nall = k;
    memcpy(I->all, I->byname, k * sizeof *I->all);
    cpu_syms_sort(I->all, k);
    return true;
}

/* Adds a label L0000xxxx for every branch target in the image that no symbol names (and
 * whose name no symbol has), then sorts everything by address. */
static void generate_labels(image_t *I)
{
    for (size_t k = 0; I->aligned && k < I->nwords; k++) {
        cpu_insn_t in;
        uint32_t pc = I->base + 4 * (uint32_t)k, off = 1;
        if (!cpu_decode(word_at(I, k), &in))
            continue;
        const cpu_insn_info_t *info = &cpu_isa[in.op];
        bool rel = false;
        for (int i = 0; i < 3; i++)
            rel |= info->operands[i] == CPU_OPK_REL20 || info->operands[i] == CPU_OPK_REL24;
        uint32_t target = pc + (uint32_t)in.imm;
        if (!rel || !at_line(I, target))
            continue;
        if (cpu_syms_lookup(I->all, I->nuser, target, &off) && off == 0)
            continue; /* a symbol names it */
        char *name = I->gen[I->ngen];
        snprintf(name, sizeof I->gen[0], "L%08x", (unsigned)target);
        cpu_symbol_t key = {name, 0};
        if (bsearch(&key, I->byname, I->nuser, sizeof key, cmp_name_ptr))
            continue; /* a symbol elsewhere has that name */
        I->all[I->nall++] = (cpu_symbol_t){name, target};
        I->ngen++;
    }
    cpu_syms_sort(I->all, I->nall);
    size_t k = 0; /* several branches to one place generate one label */
    for (size_t i = 0; i < I->nall; i++)
        if (k == 0 || I->all[k - 1].addr != I->all[i].addr ||
            strcmp(I->all[k - 1].name, I->all[i].name) != 0)
            I->all[k++] = I->all[i];
    I->nall = k;
}

/* Prints the labels at addr; *cur walks the sorted symbols. */
static void print_labels(image_t *I, size_t *cur, uint64_t addr)
{
    while (*cur < I->nall && I->all[*cur].addr < addr)
        (*cur)++;
    for (; *cur < I->nall && I->all[*cur].addr == addr; (*cur)++)
        fprintf(I->out, "%s:\n", I->all[*cur].name);
}

static void print_image(image_t *I)
{
    fprintf(I->out, "; hvasm -d: %zu bytes at 0x%08x\n", I->size, (unsigned)I->base);
    for (size_t i = 0; i < I->nall; i++)
        if (!at_line(I, I->all[i].addr))
            fprintf(I->out, "%s = 0x%08x\n", I->all[i].name, (unsigned)I->all[i].addr);
    fprintf(I->out, "        .org 0x%08x\n", (unsigned)I->base);
    size_t cur = 0;
    char text[160];
    for (size_t k = 0; k < I->nwords; k++) {
        uint32_t pc = I->base + 4 * (uint32_t)k, w = word_at(I, k);
        print_labels(I, &cur, pc);
        if (I->aligned)
            cpu_disasm(w, pc, I->all, I->nall, text, sizeof text);
        else /* instructions cannot sit at unaligned addresses: keep the bytes as data */
            snprintf(text, sizeof text, ".word 0x%08x", (unsigned)w);
        fprintf(I->out, "        %-32s ; %08x: %08x\n", text, (unsigned)pc, (unsigned)w);
    }
    uint32_t tail = I->base + 4 * (uint32_t)I->nwords;
    print_labels(I, &cur, tail);
    if (I->size % 4) {
        size_t o = 0;
        put(text, sizeof text, &o, ".byte ");
        for (size_t i = 4 * I->nwords; i < I->size; i++)
            put(text, sizeof text, &o, "%s0x%02x", i > 4 * I->nwords ? ", " : "", I->bytes[i]);
        fprintf(I->out, "        %-32s ; %08x\n", text, (unsigned)tail);
    }
}

int cpu_disasm_image(FILE *out, const uint8_t *bytes, size_t size, uint32_t base,
                     const cpu_symbol_t *syms, size_t nsyms, FILE *diag)
{
    if (size > CPU_ASM_MAX_IMAGE || (uint64_t)base + size > 0xffffffffull) {
        if (diag)
            fprintf(diag, "error: %zu bytes at 0x%08x do not fit below 4 GiB within the "
                          "assembler's %u MiB limit\n", size, (unsigned)base,
                    CPU_ASM_MAX_IMAGE >> 20);
        return -1;
    }
    image_t I = {.out = out, .bytes = bytes, .size = size, .nwords = size / 4, .base = base,
                 .aligned = base % 4 == 0};
    int rc = 0;
    if (collect_user_syms(&I, syms, nsyms)) {
        generate_labels(&I);
        print_image(&I);
    } else {
        if (diag)
            fprintf(diag, "error: out of memory\n");
        rc = -1;
    }
    free(I.all);
    free(I.byname);
    free(I.gen);
    return rc;
}
