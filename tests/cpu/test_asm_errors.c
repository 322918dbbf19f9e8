/*
 * test_asm_errors.c - the assembler on wrong and hostile input: each error message with its
 * exact FILE:LINE:COL, every error of a file reported once, includes that go wrong, and input
 * meant to crash it (long lines, binary junk, NUL bytes, deep nesting).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "asm_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *src;
    const char *diag; /* all the messages, in order */
} error_case_t;

static const error_case_t errors[] = {
    {"  foo r1\n", "t.s:1:3: error: unknown instruction 'foo'\n"},
    {"add r1, r2\n", "t.s:1:1: error: 'add' takes 3 operands (add RD, RS1, RS2), got 2\n"},
    {"add\n", "t.s:1:1: error: 'add' takes 3 operands (add RD, RS1, RS2), got none\n"},
    {"add r1, r2, r3, r4\n",
     "t.s:1:15: error: 'add' takes 3 operands (add RD, RS1, RS2), got more\n"},
    {"nop r1\n", "t.s:1:5: error: 'nop' takes no operands\n"},
    {"ret r1\n", "t.s:1:5: error: 'ret' takes no operands\n"},
    {"add r1, 5, r2\n", "t.s:1:9: error: expected a register, found '5'\n"},
    {"add r1, r16, r2\n", "t.s:1:9: error: expected a register, found 'r16'\n"},
    {"push\n", "t.s:1:1: error: 'push' takes 1 operand (push RD), got none\n"},
    {"li r1 5\n", "t.s:1:7: error: expected ',', found '5'\n"},
    {"li r1, r2\n", "t.s:1:8: error: expected an expression, found register 'r2'\n"},
    {"ld r1, r2\n", "t.s:1:8: error: expected a memory operand like [r1 + 8], found 'r2'\n"},
    {"ld r1, [r2 * 4]\n", "t.s:1:12: error: expected '+', '-' or ']', found '*'\n"},
    {"ld r1, [r2 + 4\n", "t.s:1:15: error: expected ']', found end of line\n"},
    {"addi r1, r2, 40000\n", "t.s:1:14: error: immediate 40000 is out of range -32768..32767\n"},
    {"ori r1, r1, -1\n", "t.s:1:13: error: immediate -1 is out of range 0..65535\n"},
    {"shli r1, r1, 32\n", "t.s:1:14: error: shift amount 32 is out of range 0..31\n"},
    {"ld r1, [r2 + 0x8000]\n", "t.s:1:12: error: offset 32768 is out of range -32768..32767\n"},
    {"csrr r1, 0x10000\n", "t.s:1:10: error: CSR number 65536 is out of range 0..65535\n"},
    {"csrr r1, bogus\n", "t.s:1:10: error: unknown CSR 'bogus'\n"},
    {"li r1, 0x100000000\n", "t.s:1:8: error: value 4294967296 does not fit in 32 bits\n"},
    {"b nowhere\n", "t.s:1:3: error: undefined symbol 'nowhere'\n"},
    {"main:\n b .nope\n", "t.s:2:4: error: undefined symbol 'main.nope'\n"},
    {"x:\nx:\n", "t.s:2:1: error: duplicate label 'x' (first defined at t.s:1)\n"},
    {"x = 1\nx = 2\n", "t.s:2:1: error: duplicate symbol 'x' (first defined at t.s:1)\n"},
    {"r1: nop\n", "t.s:1:1: error: 'r1' is a register name and cannot be defined\n"},
    {".org 0\nb 0x2000000\n",
     "t.s:2:3: error: branch target 0x02000000 is out of range (33554432 bytes away; the reach "
     "is -32 MiB..+32 MiB)\n"},
    {"jal lr, 0x300000\n",
     "t.s:1:9: error: branch target 0x00300000 is out of range (3141632 bytes away; the reach "
     "is -2 MiB..+2 MiB)\n"},
    {"b . + 2\n",
     "t.s:1:3: error: misaligned branch target 0x00001002 (2 bytes away, not a multiple of 4)\n"},
    {"b -0x80000004\n", "t.s:1:3: error: branch target -2147483652 is not a 32-bit address\n"},
    {".foo 1\n", "t.s:1:1: error: unknown directive '.foo'\n"},
    {".ascii \"abc\n", "t.s:1:8: error: unterminated string\n"},
    {".ascii abc\n", "t.s:1:8: error: expected a string, found 'abc'\n"},
    {".ascii \"a\\qb\"\n", "t.s:1:10: error: unknown escape sequence '\\q'\n"},
    {".byte 'a\n", "t.s:1:7: error: unterminated character literal\n"},
    {".byte ''\n", "t.s:1:7: error: empty character literal\n"},
    {"add r1, r2, @\n", "t.s:1:13: error: unexpected character '@'\n"},
    {"nop\x01\n", "t.s:1:4: error: unexpected byte 0x01\n"},
    {".word 0x12g\n", "t.s:1:7: error: invalid number '0x12g'\n"},
    {".word 99999999999999999999\n", "t.s:1:7: error: number is too large\n"},
    {".include \"nope.s\"\n",
     "t.s:1:10: error: cannot open include file 'nope.s': No such file or directory\n"},
    {".include nope.s\n", "t.s:1:10: error: expected a file name in quotes, found 'nope.s'\n"},
    {".byte 1\n.org 0x800\n",
     "t.s:2:6: error: .org 0x00000800 is below the current address 0x00001001 (.org can only "
     "move forward)\n"},
    {".org later\nlater:\n",
     "t.s:1:6: error: 'later' is not defined before this line, and its value is needed here\n"},
    {".align 3\n", "t.s:1:8: error: .align 3 is not a power of two\n"},
    {".align 0\n", "t.s:1:8: error: .align 0 is not a power of two\n"},
    {".space -1\n", "t.s:1:8: error: .space size -1 is negative\n"},
    {".space 2, 256\n", "t.s:1:11: error: .space fill value 256 is out of range -128..255\n"},
    {".word 1 / 0\n", "t.s:1:9: error: division by zero\n"},
    {".word 1 % (2 - 2)\n", "t.s:1:9: error: division by zero\n"},
    {".space 4 / 0\n", "t.s:1:10: error: division by zero\n"},
    {".word 1 << 64\n", "t.s:1:9: error: shift count 64 is out of range 0..63\n"},
    {".byte 256\n", "t.s:1:7: error: .byte value 256 is out of range -128..255\n"},
    {".half -32769\n", "t.s:1:7: error: .half value -32769 is out of range -32768..65535\n"},
    {".word 0x100000000\n",
     "t.s:1:7: error: .word value 4294967296 is out of range -2147483648..4294967295\n"},
    {".word (1 + 2\n", "t.s:1:13: error: expected ')', found end of line\n"},
    {".word 1 +\n", "t.s:1:10: error: expected an expression, found end of line\n"},
    {".word 1 2\n", "t.s:1:9: error: expected end of line, found '2'\n"},
    {".byte 1\nnop\n",
     "t.s:2:1: error: instruction at 0x00001001 is not 4-byte aligned (use .align 4)\n"},
    {"a = b\nb = a\n.word a\n",
     "t.s:1:5: error: 'b' has no value (its definition is circular or uses an undefined "
     "symbol)\n"},
    {"x = nowhere\n.word x\n", "t.s:1:5: error: undefined symbol 'nowhere'\n"},
    {". = 5\n", "t.s:1:1: error: '.' is the current address and cannot be defined (use .org)\n"},
    {"5 nop\n", "t.s:1:1: error: expected a label, an instruction or a directive, found '5'\n"},
    {".equ X 5\n", "t.s:1:8: error: expected ',' after the name in .equ NAME, EXPR; found '5'\n"},
    {".org 0xffffffff\n.byte 1\n",
     "t.s:2:1: error: the image would go past the end of the 32-bit address space\n"},
    {".space 0x4000001\n", "t.s:1:1: error: the image would be larger than the 64 MiB limit\n"},
    {".ifdef\n.endif\n", "t.s:1:7: error: .ifdef needs a symbol name\n"
                         "t.s:2:1: error: .endif without .ifdef or .ifndef\n"},
    {".ifndef 5\n", "t.s:1:9: error: .ifndef needs a symbol name\n"},
    {".ifdef A B\n.endif\n", "t.s:1:10: error: expected end of line, found 'B'\n"
                             "t.s:2:1: error: .endif without .ifdef or .ifndef\n"},
    {".else\n", "t.s:1:1: error: .else without .ifdef or .ifndef\n"},
    {"nop\n.ifdef A\n.else\n.else\n.endif\n",
     "t.s:4:1: error: a second .else for the .ifdef at line 2\n"},
    {".ifndef A\n.ifdef B\n.endif\n",
     "t.s:1:1: error: .ifdef or .ifndef without .endif in this file\n"},
    {".ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n.ifdef A\n",
     "t.s:9:1: error: .ifdef nested too deeply (more than 8 levels)\n"
     "t.s:1:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:2:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:3:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:4:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:5:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:6:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:7:1: error: .ifdef or .ifndef without .endif in this file\n"
     "t.s:8:1: error: .ifdef or .ifndef without .endif in this file\n"},
    /* several errors in one file: all of them, once each, in source order */
    {"foo\nnop\nbar r1\n.word undefined\nadd r1\n",
     "t.s:1:1: error: unknown instruction 'foo'\n"
     "t.s:3:1: error: unknown instruction 'bar'\n"
     "t.s:4:7: error: undefined symbol 'undefined'\n"
     "t.s:5:1: error: 'add' takes 3 operands (add RD, RS1, RS2), got 1\n"},
    {".word a, b\n", "t.s:1:7: error: undefined symbol 'a'\nt.s:1:10: error: undefined symbol 'b'\n"},
};

Test(asm_errors, messages)
{
    for (size_t i = 0; i < N(errors); i++) {
        int n;
        char *diag = ta_asm_errors(NULL, errors[i].src, &n);
        cr_expect_str_eq(diag, errors[i].diag, "source:\n%s\ngot:\n%s\nwant:\n%s", errors[i].src,
                         diag, errors[i].diag);
        int lines = 0;
        for (const char *p = errors[i].diag; *p; p++)
            lines += *p == '\n';
        cr_expect_eq(n, lines, "%s: %d errors counted, %d reported", errors[i].src, n, lines);
        free(diag);
    }
}

Test(asm_errors, too_many_errors)
{
    size_t len = 200 * 8 + 1;
    char *src = malloc(len);
    src[0] = '\0';
    for (int i = 0; i < 200; i++)
        strcat(src, "bogus\n");
    int n;
    char *diag = ta_asm_errors(NULL, src, &n);
    int lines = 0;
    for (const char *p = diag; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, CPU_ASM_MAX_ERRORS + 1);
    cr_expect(strstr(diag, "t.s:100:1: error: unknown instruction 'bogus'\n") != NULL);
    cr_expect(strstr(diag, "t.s:101:1:") == NULL);
    cr_expect(strstr(diag, "t.s: error: too many errors (100 shown); stopping\n") != NULL);
    free(diag);
    free(src);
}

/* ------------------------------------------------------------------------------------------
 * Includes
 * ------------------------------------------------------------------------------------------ */
/* Assembles the file `path`, expecting exactly the messages `want`. */
static void expect_file_errors(const char *path, const char *want)
{
    int n;
    char *diag = ta_asm_errors(path, NULL, &n);
    cr_expect_str_eq(diag, want, "got:\n%s\nwant:\n%s", diag, want);
    free(diag);
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

Test(asm_errors, include_errors_name_the_file)
{
    char *dir = ta_tmpdir();
    const char *inc = "nop\n  bogus\n";
    free(ta_write(dir, "inc.s", inc, strlen(inc)));
    const char *top = "nop\n.include \"inc.s\"\n.include \"missing.s\"\nfoo\n";
    char *path = ta_write(dir, "top.s", top, strlen(top));
    char want[1024];
    snprintf(want, sizeof want,
             "%s/inc.s:2:3: error: unknown instruction 'bogus'\n"
             "%s/top.s:3:10: error: cannot open include file '%s/missing.s': No such file or "
             "directory\n"
             "%s/top.s:4:1: error: unknown instruction 'foo'\n",
             dir, dir, dir, dir);
    expect_file_errors(path, want);
    free(path);
    ta_rmdir(dir);
}

Test(asm_errors, include_recursion)
{
    char *dir = ta_tmpdir();
    const char *self = "nop\n.include \"self.s\"\n";
    char *path = ta_write(dir, "self.s", self, strlen(self));
    char want[1024];
    snprintf(want, sizeof want,
             "%s/self.s:2:10: error: include recursion: '%s/self.s' is already being included\n",
             dir, dir);
    expect_file_errors(path, want);
    free(path);
    /* a chain of distinct files deeper than the limit */
    for (int i = 0; i < 40; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "f%d.s", i);
        snprintf(text, sizeof text, ".include \"f%d.s\"\n", i + 1);
        free(ta_write(dir, name, text, strlen(text)));
    }
    path = path_in(dir, "f0.s");
    snprintf(want, sizeof want,
             "%s/f15.s:1:10: error: includes nested too deeply (more than 16 levels)\n", dir);
    expect_file_errors(path, want);
    free(path);
    ta_rmdir(dir);
}

Test(asm_errors, missing_file)
{
    cpu_asm_result_t r;
    char *diag = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&diag, &len);
    cr_assert_neq(cpu_asm_file("/nonexistent/x.s", d, &r), 0);
    fclose(d);
    cr_expect_str_eq(diag, "/nonexistent/x.s: error: cannot open '/nonexistent/x.s': No such "
                           "file or directory\n");
    cr_expect_eq(r.errors, 1);
    cpu_asm_free(&r);
    free(diag);
}

/* ------------------------------------------------------------------------------------------
 * Hostile input: it must never crash, hang or leak (the suite also runs under ASan)
 * ------------------------------------------------------------------------------------------ */
static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Assembles `len` bytes from a file; returns the number of errors. */
static int asm_bytes(const char *dir, const void *data, size_t len)
{
    char *path = ta_write(dir, "h.s", data, len);
    cpu_asm_result_t r;
    cpu_asm(path, NULL, NULL, NULL, &r);
    int n = r.errors;
    cpu_asm_free(&r);
    free(path);
    return n;
}

Test(asm_errors, hostile_input)
{
    char *dir = ta_tmpdir();
    size_t big = 1 << 20;
    char *buf = malloc(big + 64);
    /* a 1 MiB line: a name, a number, a string, a comment */
    memset(buf, 'a', big);
    cr_expect_eq(asm_bytes(dir, buf, big), 1);
    memcpy(buf, ".word 1", 7);
    memset(buf + 7, '+', big - 7);
    cr_expect_gt(asm_bytes(dir, buf, big), 0);
    memset(buf, '(', big);
    cr_expect_eq(asm_bytes(dir, buf, big), 1);
    memcpy(buf, ".word ", 6);
    memset(buf + 6, '-', big - 8);
    memcpy(buf + big - 2, "1\n", 2);
    cr_expect_eq(asm_bytes(dir, buf, big), 1);
    buf[0] = ';';
    cr_expect_eq(asm_bytes(dir, buf, big), 0);
    /* NUL bytes, in code and in strings */
    static const char nul[] = "nop\0nop\n.ascii \"a\0b\"\n";
    cr_expect_eq(asm_bytes(dir, nul, sizeof nul - 1), 1);
    /* binary junk, many times over */
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        size_t n = rng(&seed) % 4096;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)rng(&seed);
        asm_bytes(dir, buf, n);
    }
    /* junk made of the assembler's own characters */
    static const char alphabet[] = "abr1.0x:;,[]()+-*/%<<>>&|^~='\"\\\n \tlihi(lo(";
    for (int round = 0; round < 500; round++) {
        size_t n = rng(&seed) % 512;
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[rng(&seed) % (sizeof alphabet - 1)];
        asm_bytes(dir, buf, n);
    }
    free(buf);
    /* an include bomb: each file includes the next one 20 times */
    for (int i = 0; i < 12; i++) {
        char name[32], text[512] = "";
        snprintf(name, sizeof name, "b%d.s", i);
        for (int k = 0; k < 20; k++) {
            char line[32];
            snprintf(line, sizeof line, ".include \"b%d.s\"\n", i + 1);
            strcat(text, line);
        }
        free(ta_write(dir, name, text, strlen(text)));
    }
    free(ta_write(dir, "b12.s", "nop\n", 4));
    char *path = path_in(dir, "b0.s");
    cpu_asm_result_t r;
    cr_expect_neq(cpu_asm(path, NULL, NULL, NULL, &r), 0);
    cpu_asm_free(&r);
    free(path);
    ta_rmdir(dir);
}
