/*
 * test_syms.c - symbol files: writing and reading them back, errors with FILE:LINE for
 * malformed lines, and looking up "name+offset" for an address.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "asm_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

Test(syms, write_then_load)
{
    cpu_asm_result_t r;
    ta_asm_ok("zeta: nop\nalpha: nop\nbeta:\n.x: nop\nK = 3\n", &r);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(cpu_syms_write(f, r.syms, r.nsyms), 0);
    fclose(f);
    cr_expect_str_eq(text, "00001000 zeta\n00001004 alpha\n00001008 beta\n");
    char *dir = ta_tmpdir();
    char *path = ta_write(dir, "p.sym", text, len);
    cpu_symbol_t *syms;
    size_t n;
    cr_assert_eq(cpu_syms_load(path, &syms, &n, stderr), 0);
    cr_assert_eq(n, r.nsyms);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(syms[i].name, r.syms[i].name);
        cr_expect_eq(syms[i].addr, r.syms[i].addr);
    }
    cpu_syms_free(syms, n);
    free(path);
    ta_rmdir(dir);
    free(text);
    cpu_asm_free(&r);
}

Test(syms, load_sorts_and_is_lenient_about_spacing)
{
    const char *text = "# a comment\n\n0000200 b\r\nFFFFFFFF top\n  00001000\ta  \n00001000 _x.y1\n";
    char *dir = ta_tmpdir();
    char *path = ta_write(dir, "p.sym", text, strlen(text));
    cpu_symbol_t *syms;
    size_t n;
    cr_assert_eq(cpu_syms_load(path, &syms, &n, stderr), 0);
    static const cpu_symbol_t want[] = {{"b", 0x200}, {"_x.y1", 0x1000}, {"a", 0x1000},
                                        {"top", 0xffffffff}};
    cr_assert_eq(n, N(want));
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(syms[i].name, want[i].name);
        cr_expect_eq(syms[i].addr, want[i].addr);
    }
    cpu_syms_free(syms, n);
    free(path);
    ta_rmdir(dir);
}

Test(syms, malformed_lines_are_reported)
{
    static const char text[] = "00001000 ok\n"
                               "xyz name\n"
                               "123456789 toolong\n"
                               "00001000\n"
                               "00001000 two words\n"
                               "00001000 r1\n"
                               "00001000 .local\n"
                               "00001000 9lives\n"
                               "00002000 ok\n"
                               "0000\0 nul\n";
    char *dir = ta_tmpdir();
    char *path = ta_write(dir, "bad.sym", text, sizeof text - 1);
    char *diag = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&diag, &len);
    cpu_symbol_t *syms = (cpu_symbol_t *)1;
    size_t n = 99;
    cr_assert_eq(cpu_syms_load(path, &syms, &n, d), -1);
    fclose(d);
    cr_expect_null(syms);
    cr_expect_eq(n, 0);
    char want[2048];
    snprintf(want, sizeof want,
             "%s:2: error: expected 'ADDRESS NAME' with the address as 8 hex digits, found 'xyz'\n"
             "%s:3: error: expected 'ADDRESS NAME' with the address as 8 hex digits, found "
             "'123456789'\n"
             "%s:4: error: expected a name after the address\n"
             "%s:5: error: unexpected ' words' after the name\n"
             "%s:6: error: 'r1' is not a valid symbol name\n"
             "%s:7: error: '.local' is not a valid symbol name\n"
             "%s:8: error: '9lives' is not a valid symbol name\n"
             "%s:10: error: unexpected NUL byte\n",
             path, path, path, path, path, path, path, path);
    cr_expect_str_eq(diag, want, "got:\n%s", diag);
    free(diag);
    free(path);
    /* duplicates, once the lines themselves are fine */
    const char *dup = "00001000 a\n00002000 b\n00003000 a\n";
    path = ta_write(dir, "dup.sym", dup, strlen(dup));
    diag = NULL;
    d = open_memstream(&diag, &len);
    cr_assert_eq(cpu_syms_load(path, &syms, &n, d), -1);
    fclose(d);
    snprintf(want, sizeof want, "%s:3: error: duplicate symbol 'a' (first on line 1)\n", path);
    cr_expect_str_eq(diag, want, "got:\n%s", diag);
    free(diag);
    free(path);
    diag = NULL;
    d = open_memstream(&diag, &len);
    cr_assert_eq(cpu_syms_load("/nonexistent.sym", &syms, &n, d), -1);
    fclose(d);
    cr_expect_str_eq(diag, "/nonexistent.sym: error: cannot read symbol file: No such file or "
                           "directory\n");
    free(diag);
    ta_rmdir(dir);
}

Test(syms, lookup)
{
    cpu_symbol_t syms[] = {{"main", 0x1000}, {"b_alias", 0x1020}, {"a_alias", 0x1020},
                           {"end", 0x2000}};
    cpu_syms_sort(syms, N(syms));
    cr_expect_str_eq(syms[1].name, "a_alias");
    uint32_t off = 99;
    cr_expect_null(cpu_syms_lookup(syms, N(syms), 0xfff, &off));
    cr_expect_null(cpu_syms_lookup(syms, 0, 0x1000, &off));
    const cpu_symbol_t *s = cpu_syms_lookup(syms, N(syms), 0x1000, &off);
    cr_expect_str_eq(s->name, "main");
    cr_expect_eq(off, 0);
    s = cpu_syms_lookup(syms, N(syms), 0x1014, &off);
    cr_expect_str_eq(s->name, "main");
    cr_expect_eq(off, 0x14);
    s = cpu_syms_lookup(syms, N(syms), 0x1024, &off);
    cr_expect_str_eq(s->name, "a_alias");
    cr_expect_eq(off, 4);
    s = cpu_syms_lookup(syms, N(syms), 0xffffffff, NULL);
    cr_expect_str_eq(s->name, "end");
}
