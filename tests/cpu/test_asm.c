/*
 * test_asm.c - the assembler on correct input: every instruction's encoding (against
 * cpu_encode), the pseudo-instructions, directives, expressions and their precedence, local
 * labels, forward references, the symbols of the result and the listing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asm_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------------------------
 * Instructions
 * ------------------------------------------------------------------------------------------ */
Test(asm, every_instruction_matches_cpu_encode)
{
    const uint32_t pc = 0x02000000; /* room for the longest backward branch */
    for (int op = 0; op < CPU_OP_COUNT; op++) {
        for (int s = 0; s < TA_NSAMPLES; s++) {
            cpu_insn_t in, back;
            char line[128], src[192];
            ta_sample(op, s, &in);
            ta_format(&in, pc, line, sizeof line);
            snprintf(src, sizeof src, ".org 0x%x\n%s\n", pc, line);
            cpu_asm_result_t r;
            ta_asm_ok(src, &r);
            cr_assert_eq(r.size, 4, "%s: %zu bytes", line, r.size);
            uint32_t w = ta_word(&r, 0);
            cr_expect_eq(w, cpu_encode(&in), "%s: 0x%08x, want 0x%08x", line, w, cpu_encode(&in));
            cr_expect(cpu_decode(w, &back), "%s: 0x%08x does not decode", line, w);
            cr_expect(back.op == in.op && back.rd == in.rd && back.rs1 == in.rs1 &&
                          back.rs2 == in.rs2 && back.imm == in.imm,
                      "%s: decodes differently", line);
            cpu_asm_free(&r);
        }
    }
}

typedef struct {
    const char *src;
    int n;
    uint32_t words[3];
} words_case_t;

/* Checks that each source assembles (at 0x1000) to exactly the words given. */
static void check_words(const words_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cpu_asm_result_t r;
        ta_asm_ok(cases[i].src, &r);
        cr_expect_eq(r.size, 4 * (size_t)cases[i].n, "%s: %zu bytes, want %d words", cases[i].src,
                     r.size, cases[i].n);
        for (int k = 0; k < cases[i].n && 4 * (size_t)k < r.size; k++)
            cr_expect_eq(ta_word(&r, 4 * (size_t)k), cases[i].words[k],
                         "%s: word %d is 0x%08x, want 0x%08x", cases[i].src, k,
                         ta_word(&r, 4 * (size_t)k), cases[i].words[k]);
        cpu_asm_free(&r);
    }
}

/* Encodings worked out by hand from the bit layout in docs/isa.md. */
static const words_case_t known_words[] = {
    {"nop", 1, {0x01000000}},
    {"add r1, r2, r3", 1, {0x10123000}},
    {"ADD R1, R2, R3", 1, {0x10123000}},
    {"addi r1, r2, -4", 1, {0x2012fffc}},
    {"lui r5, 0xabcd", 1, {0x2950abcd}},
    {"cmp r1, r2", 1, {0x2c012000}},
    {"ld r1, [sp + 4]", 1, {0x301e0004}},
    {"st r1, [r2 - 8]", 1, {0x3812fff8}},
    {"ldb r1, [r3]", 1, {0x33130000}},
    {"in r1, [0x3f8]", 1, {0x681003f8}},
    {"out r1, [r0 + 0xf0]", 1, {0x691000f0}},
    {"ld r1, [r2 - 4 + 12]", 1, {0x30120008}},
    {"push lr", 1, {0x3cf00000}},
    {"b .", 1, {0x40000000}},
    {"b . - 4", 1, {0x40ffffff}},
    {"jal lr, . + 8", 1, {0x4cf00002}},
    {"csrw tvec, r2", 1, {0x61020001}},
    {"csrr r1, EPC", 1, {0x60100004}},
    {"csrr r1, 0x40", 1, {0x60100040}},
    {"tlbinv r3", 1, {0x66030000}},
    {"add zero, sp, lr", 1, {0x100ef000}},
    {"start: add r1, r2, r3 ; comment\n# another\n", 1, {0x10123000}},
};

Test(asm, known_encodings)
{
    check_words(known_words, N(known_words));
}

/* ------------------------------------------------------------------------------------------
 * Pseudo-instructions
 * ------------------------------------------------------------------------------------------ */
static const words_case_t pseudo_words[] = {
    {"li r1, 5", 1, {0x20100005}},
    {"li r1, -32768", 1, {0x20108000}},
    {"li r1, 32767", 1, {0x20107fff}},
    {"li r1, 32768", 2, {0x29100000, 0x22118000}},
    {"li r1, 0x10000", 1, {0x29100001}},
    {"li r1, -65536", 1, {0x2910ffff}},
    {"li r1, 0x12345678", 2, {0x29101234, 0x22115678}},
    {"li r1, 0xffffffff", 2, {0x2910ffff, 0x2211ffff}},
    {"li r1, -32769", 2, {0x2910ffff, 0x22117fff}},
    {"li r1, later\nlater = 5", 2, {0x29100000, 0x22110005}},
    {"x = 7\nli r1, x", 1, {0x20100007}},
    {"la r2, 5", 2, {0x29200000, 0x22220005}},
    {"la r2, here\nhere:", 2, {0x29200000, 0x22221008}},
    {"mov r1, r2", 1, {0x10120000}},
    {"not r1, r2", 2, {0x11102000, 0x2011ffff}},
    {"neg r3, r4", 1, {0x11304000}},
    {"call f\nf:", 1, {0x4cf00001}},
    {"ret", 1, {0x4d0f0000}},
    {"j .", 1, {0x40000000}},
    {"jr r3", 1, {0x4d030000}},
};

Test(asm, pseudo_instructions)
{
    check_words(pseudo_words, N(pseudo_words));
}

/* ------------------------------------------------------------------------------------------
 * Directives
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *src;
    uint32_t base;
    size_t n;
    const char *bytes;
} bytes_case_t;

static const bytes_case_t directive_bytes[] = {
    {".byte 1, 2, 255, -1", 0x1000, 4, "\x01\x02\xff\xff"},
    {".half 0x1234, -1", 0x1000, 4, "\x34\x12\xff\xff"},
    {".word 0x12345678, -2", 0x1000, 8, "\x78\x56\x34\x12\xfe\xff\xff\xff"},
    {".ascii \"ab\", \"c\"", 0x1000, 3, "abc"},
    {".asciz \"a\\n\\t\\0\\\\\\'\\\"\"", 0x1000, 8, "a\n\t\0\\'\"\0"},
    {".ascii \"; not # a comment\"", 0x1000, 17, "; not # a comment"},
    {".space 3", 0x1000, 3, "\0\0\0"},
    {".space 2, 0x7f", 0x1000, 2, "\x7f\x7f"},
    {".space 0", 0x1000, 0, ""},
    {".byte 1\n.align 4\n.byte 2", 0x1000, 5, "\x01\0\0\0\x02"},
    {".byte 1\n.align 1\n.byte 2", 0x1000, 2, "\x01\x02"},
    {".byte 1\n.org 0x1003\n.byte 2", 0x1000, 4, "\x01\0\0\x02"},
    {".byte 1\n.org 0x1001\n.byte 2", 0x1000, 2, "\x01\x02"},
    {".equ X, 3\n.byte X", 0x1000, 1, "\x03"},
    {"Y = 4\n.byte Y", 0x1000, 1, "\x04"},
    {".global main\nmain: .byte 7", 0x1000, 1, "\x07"},
    {".org 0x2000\n.byte 1", 0x2000, 1, "\x01"},
    {".org 0\n.byte 1", 0, 1, "\x01"},
    {".org 0x2000\n.org 0x100\n.byte 1", 0x100, 1, "\x01"},
    {".Word 1", 0x1000, 4, "\x01\0\0\0"},
    {"", 0x1000, 0, ""},
    {".byte 'A', '\\n', '\\\\', '\\'', '#'", 0x1000, 5, "A\n\\'#"},
};

Test(asm, directives)
{
    for (size_t i = 0; i < N(directive_bytes); i++) {
        const bytes_case_t *c = &directive_bytes[i];
        cpu_asm_result_t r;
        ta_asm_ok(c->src, &r);
        cr_expect_eq(r.base, c->base, "%s: base 0x%x, want 0x%x", c->src, r.base, c->base);
        cr_expect_eq(r.size, c->n, "%s: %zu bytes, want %zu", c->src, r.size, c->n);
        if (r.size == c->n)
            cr_expect(memcmp(r.bytes, c->bytes, c->n) == 0, "%s: wrong bytes", c->src);
        cpu_asm_free(&r);
    }
}

Test(asm, include)
{
    char *dir = ta_tmpdir();
    const char *inc = "COUNT = 3\nfrom_inc: .byte COUNT\n";
    free(ta_write(dir, "inc.s", inc, strlen(inc)));
    size_t n = strlen(dir) + 8;
    char *sub = malloc(n);
    snprintf(sub, n, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    const char *deep = ".include \"../inc.s\"\n.byte 9\n";
    free(ta_write(sub, "deep.s", deep, strlen(deep)));
    const char *top = ".byte 1\n.include \"sub/deep.s\"\n.byte COUNT + 1\n";
    char *path = ta_write(dir, "top.s", top, strlen(top));
    cpu_asm_result_t r;
    cr_assert_eq(cpu_asm_file(path, stderr, &r), 0);
    cr_assert_eq(r.size, 4);
    cr_expect(memcmp(r.bytes, "\x01\x03\x09\x04", 4) == 0);
    cr_assert_eq(r.nsyms, 1);
    cr_expect_str_eq(r.syms[0].name, "from_inc");
    cr_expect_eq(r.syms[0].addr, 0x1001);
    cpu_asm_free(&r);
    free(path);
    free(sub);
    ta_rmdir(dir);
}

/* Conditional assembly: .ifdef NAME asks whether NAME is defined above it, .ifndef the
 * opposite; branches nest, a branch turned off skips its lines unread (nonsense included),
 * and both passes take the same branch (a symbol defined below counts as undefined). */
Test(asm, conditional_assembly)
{
    const char *src = "A = 1\n"
                      ".ifdef A\n .byte 1\n .ifndef B\n .byte 2\n .else\n .byte 3\n .endif\n"
                      ".else\n .byte 4\n this is not assembly @\n .ifdef A\n .byte 5\n .endif\n"
                      ".endif\n"
                      ".IFNDEF A\n .byte 6\n.ELSE\n .byte 7\n.ENDIF\n"
                      ".ifdef LATER\n .byte 8\n here: .ifdef A\n.byte 9\n.endif\n.endif\n"
                      "LATER: .byte LATER - 0x1000\n";
    cpu_asm_result_t r;
    ta_asm_ok(src, &r);
    cr_assert_eq(r.size, 4);
    cr_expect(memcmp(r.bytes, "\x01\x02\x07\x03", 4) == 0, "%02x %02x %02x %02x", r.bytes[0],
              r.bytes[1], r.bytes[2], r.bytes[3]);
    cpu_asm_free(&r);
}

/* One source, two programs: a file that defines a name and includes the shared source gets
 * its branches (guestos/rtos-net/kernel.s builds the rtos with its network task this way). */
Test(asm, conditional_assembly_through_an_include)
{
    char *dir = ta_tmpdir();
    const char *shared = ".ifdef EXTRA\n.byte 2\n.endif\n.byte 1\n";
    free(ta_write(dir, "shared.s", shared, strlen(shared)));
    const char *top = "EXTRA = 1\n.include \"shared.s\"\n";
    char *plain = ta_write(dir, "plain.s", shared, strlen(shared));
    char *extra = ta_write(dir, "extra.s", top, strlen(top));
    cpu_asm_result_t r;
    cr_assert_eq(cpu_asm_file(plain, stderr, &r), 0);
    cr_expect(r.size == 1 && r.bytes[0] == 1);
    cpu_asm_free(&r);
    cr_assert_eq(cpu_asm_file(extra, stderr, &r), 0);
    cr_expect(r.size == 2 && r.bytes[0] == 2 && r.bytes[1] == 1);
    cpu_asm_free(&r);
    free(plain);
    free(extra);
    ta_rmdir(dir);
}

/* ------------------------------------------------------------------------------------------
 * Expressions
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *expr;
    uint32_t value;
} expr_case_t;

static const expr_case_t exprs[] = {
    {"1 + 2 * 3", 7},
    {"(1 + 2) * 3", 9},
    {"10 - 4 - 3", 3},
    {"8 / 2 / 2", 2},
    {"100 / 7", 14},
    {"100 % 7", 2},
    {"-7 / 2", (uint32_t)-3},
    {"-7 % 2", (uint32_t)-1},
    {"2 * 3 % 4", 2},
    {"1 << 4 | 1", 17},
    {"1 + 2 << 3", 24},
    {"1 | 2 & 3", 3},
    {"6 & 3 ^ 1", 3},
    {"1 ^ 3 | 4", 6},
    {"0xf0 | 0x0f & 0x3c", 0xfc},
    {"~0", 0xffffffffu},
    {"~0x0f & 0xff", 0xf0},
    {"-1", 0xffffffffu},
    {"- -3", 3},
    {"+5", 5},
    {"-(2 + 3) * 2", (uint32_t)-10},
    {"0x10 + 0b101", 21},
    {"0XFF + 0B1", 256},
    {"'A'", 65},
    {"'\\n' + '\\t'", 19},
    {"'\\0'", 0},
    {"'\\''", 39},
    {"hi(0x12345678)", 0x1234},
    {"lo(0x12345678)", 0x5678},
    {"hi(-1)", 0xffff},
    {"HI(0x10000) + LO(-1)", 0x10000},
    {". - 0x1000", 0},
    {"0x80000000 >> 4", 0x08000000},
    {"-16 >> 2", (uint32_t)-4},
    {"1 << 63 >> 63", 0xffffffffu},
    {"0xffffffff + 1 - 1", 0xffffffffu},
    {"9223372036854775807 + 1", 0},
    {"(((((((((((1)))))))))))", 1},
};

Test(asm, expressions)
{
    for (size_t i = 0; i < N(exprs); i++) {
        char src[256];
        snprintf(src, sizeof src, ".word lo(%s), hi(%s)", exprs[i].expr, exprs[i].expr);
        cpu_asm_result_t r;
        ta_asm_ok(src, &r);
        uint32_t v = ta_word(&r, 0) | ta_word(&r, 4) << 16;
        cr_expect_eq(v, exprs[i].value, "%s = 0x%08x, want 0x%08x", exprs[i].expr, v,
                     exprs[i].value);
        cpu_asm_free(&r);
    }
}

/* ------------------------------------------------------------------------------------------
 * Labels and symbols
 * ------------------------------------------------------------------------------------------ */
static const words_case_t label_words[] = {
    /* local labels belong to the last non-local label */
    {"main:\n.loop: b .loop\nother:\n.loop: b .loop\n b main.loop", 3,
     {0x40000000, 0x40000000, 0x40fffffe}},
    {"a:\n b .end\n nop\n.end: b a.end", 3, {0x40000002, 0x01000000, 0x40000000}},
    /* forward references everywhere */
    {"b fwd\n.word fwd\nfwd:", 2, {0x40000002, 0x1008}},
    {"call f\n jal r1, f\nf: ret", 3, {0x4cf00002, 0x4c100001, 0x4d0f0000}},
    {".word X\nX = end - start\nstart: .byte 1, 2\n.align 4\nend:", 2, {4, 0x0201}},
    {".word A\nA = B + 1\nB = C * 2\nC = 3", 1, {7}},
    {"addi r1, r0, N\nN = 100", 1, {0x20100064}},
    {"ld r1, [r2 + off]\noff = -4", 1, {0x3012fffc}},
    {"csrr r1, which\nwhich = 9", 1, {0x60100009}},
    {"x: .word x, . , .loc\n.loc:", 3, {0x1000, 0x1000, 0x100c}},
    {"lbl:nop", 1, {0x01000000}},
    {"a: b: c: nop\n.word a + b + c", 2, {0x01000000, 0x3000}},
};

Test(asm, labels_and_forward_references)
{
    check_words(label_words, N(label_words));
}

Test(asm, symbols_of_the_result)
{
    const char *src = "zeta: nop\nalpha:\n.local: nop\nbeta: nop\nK = 5\n.global zeta\n"
                      "mid = 0x1234\nlast: .byte 1\n";
    cpu_asm_result_t r;
    ta_asm_ok(src, &r);
    static const struct {
        const char *name;
        uint32_t addr;
    } want[] = {{"zeta", 0x1000}, {"alpha", 0x1004}, {"beta", 0x1008}, {"last", 0x100c}};
    cr_assert_eq(r.nsyms, N(want));
    /* sorted by address, then name; locals and constants left out */
    cr_expect_str_eq(r.syms[0].name, "zeta");
    for (size_t i = 1; i < N(want); i++) {
        cr_expect_str_eq(r.syms[i].name, want[i].name);
        cr_expect_eq(r.syms[i].addr, want[i].addr);
    }
    cpu_asm_free(&r);
    ta_asm_ok("b: nop\na:\n", &r);
    cr_expect_str_eq(r.syms[0].name, "b");
    cr_expect_str_eq(r.syms[1].name, "a");
    cpu_asm_free(&r);
    ta_asm_ok("b:\na:\n", &r);
    cr_expect_str_eq(r.syms[0].name, "a");
    cr_expect_str_eq(r.syms[1].name, "b");
    cpu_asm_free(&r);
}

Test(asm, listing)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cpu_asm_options_t opts = {.listing = f};
    cpu_asm_result_t r;
    const char *src = "start: li r1, 0x12345678 ; load\n.byte 1, 2\nK = 42\n";
    cr_assert_eq(cpu_asm("t.s", src, &opts, stderr, &r), 0);
    fclose(f);
    const char *want = "00001000  29101234     start: li r1, 0x12345678 ; load\n"
                       "00001004  22115678     \n"
                       "00001008  01 02        .byte 1, 2\n"
                       "0000002a  =            K = 42\n";
    cr_expect_str_eq(out, want);
    cpu_asm_free(&r);
    free(out);
}

Test(asm, listing_not_written_on_error)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cpu_asm_options_t opts = {.listing = f};
    cpu_asm_result_t r;
    cr_assert_neq(cpu_asm("t.s", "nop\nbogus\n", &opts, NULL, &r), 0);
    fclose(f);
    cr_expect_eq(len, 0);
    cpu_asm_free(&r);
    free(out);
}
