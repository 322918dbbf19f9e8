/*
 * asm_util.c - the helpers of asm_util.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm_util.h"

void ta_asm_ok(const char *src, cpu_asm_result_t *r)
{
    char *diag = NULL;
    size_t dlen = 0;
    FILE *d = open_memstream(&diag, &dlen);
    cr_assert_not_null(d);
    int rc = cpu_asm_string("t.s", src, d, r);
    fclose(d);
    cr_assert_eq(rc, 0, "assembly failed:\n%s\nsource:\n%s", diag, src);
    cr_assert_eq(r->errors, 0);
    free(diag);
}

char *ta_asm_errors(const char *path, const char *src, int *errors)
{
    char *diag = NULL;
    size_t dlen = 0;
    FILE *d = open_memstream(&diag, &dlen);
    cr_assert_not_null(d);
    cpu_asm_result_t r;
    int rc = cpu_asm(src ? "t.s" : path, src, NULL, d, &r);
    fclose(d);
    cr_assert_neq(rc, 0, "assembled without errors:\n%s", src ? src : path);
    cr_assert_null(r.bytes, "an image despite errors");
    cr_assert_eq(r.size, 0);
    *errors = r.errors;
    cpu_asm_free(&r);
    return diag;
}

uint32_t ta_word(const cpu_asm_result_t *r, size_t at)
{
    cr_assert_leq(at + 4, r->size, "word at %zu beyond the image (%zu bytes)", at, r->size);
    const uint8_t *b = r->bytes + at;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void ta_sample(int op, int s, cpu_insn_t *in)
{
    static const uint8_t rd[] = {0, 15, 14, 1, 7}, rs1[] = {15, 0, 14, 2, 9},
                         rs2[] = {14, 1, 0, 15, 3};
    static const int32_t imm[] = {-32768, 32767, -1, 0, 1234};
    static const int32_t uimm[] = {0, 65535, 1, 0x1234, 9};
    static const int32_t shamt[] = {0, 31, 1, 16, 7};
    static const int32_t csr[] = {0, 14, 0x40, 65535, 15};
    static const int32_t rel24[] = {-(1 << 23) * 4, ((1 << 23) - 1) * 4, -4, 0, 4};
    static const int32_t rel20[] = {-(1 << 19) * 4, ((1 << 19) - 1) * 4, -8, 0, 12};
    memset(in, 0, sizeof *in);
    in->op = (cpu_op_t)op;
    for (int i = 0; i < 3; i++) {
        switch (cpu_isa[op].operands[i]) {
        case CPU_OPK_RD: in->rd = rd[s]; break;
        case CPU_OPK_RS1: in->rs1 = rs1[s]; break;
        case CPU_OPK_RS2: in->rs2 = rs2[s]; break;
        case CPU_OPK_IMM: in->imm = imm[s]; break;
        case CPU_OPK_UIMM: in->imm = uimm[s]; break;
        case CPU_OPK_SHAMT: in->imm = shamt[s]; break;
        case CPU_OPK_CSR: in->imm = csr[s]; break;
        case CPU_OPK_MEM: in->rs1 = rs1[s], in->imm = imm[s]; break;
        case CPU_OPK_REL20: in->imm = rel20[s]; break;
        case CPU_OPK_REL24: in->imm = rel24[s]; break;
        default: break;
        }
    }
}

void ta_format(const cpu_insn_t *in, uint32_t pc, char *buf, size_t len)
{
    const cpu_insn_info_t *info = &cpu_isa[in->op];
    size_t o = (size_t)snprintf(buf, len, "%s", info->mnemonic);
    for (int i = 0; i < 3 && info->operands[i] != CPU_OPK_NONE; i++) {
        const char *sep = i ? ", " : " ";
        switch (info->operands[i]) {
        case CPU_OPK_RD: o += (size_t)snprintf(buf + o, len - o, "%sr%d", sep, in->rd); break;
        case CPU_OPK_RS1: o += (size_t)snprintf(buf + o, len - o, "%sr%d", sep, in->rs1); break;
        case CPU_OPK_RS2: o += (size_t)snprintf(buf + o, len - o, "%sr%d", sep, in->rs2); break;
        case CPU_OPK_MEM:
            o += (size_t)snprintf(buf + o, len - o, "%s[r%d + %d]", sep, in->rs1, (int)in->imm);
            break;
        case CPU_OPK_REL20:
        case CPU_OPK_REL24:
            o += (size_t)snprintf(buf + o, len - o, "%s0x%x", sep, pc + (uint32_t)in->imm);
            break;
        default: o += (size_t)snprintf(buf + o, len - o, "%s%d", sep, (int)in->imm); break;
        }
    }
}

char *ta_round_trip(const uint8_t *bytes, size_t size, uint32_t base, const cpu_symbol_t *syms,
                    size_t nsyms)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    cr_assert_not_null(f);
    cr_assert_eq(cpu_disasm_image(f, bytes, size, base, syms, nsyms, stderr), 0);
    fclose(f);
    cpu_asm_result_t r;
    ta_asm_ok(text, &r);
    cr_assert_eq(r.base, base, "base 0x%x, want 0x%x", r.base, base);
    cr_assert_eq(r.size, size, "%zu bytes, want %zu", r.size, size);
    for (size_t i = 0; i < size; i++)
        cr_assert_eq(r.bytes[i], bytes[i], "byte %zu: 0x%02x, want 0x%02x; text:\n%s", i,
                     r.bytes[i], bytes[i], text);
    cpu_asm_free(&r);
    return text;
}

char *ta_tmpdir(void)
{
    char *dir = strdup("/tmp/hvasm-test-XXXXXX");
    cr_assert_not_null(dir);
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

void ta_rmdir(char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    free(dir);
}

char *ta_write(const char *dir, const char *name, const void *data, size_t len)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    cr_assert_not_null(path);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}
