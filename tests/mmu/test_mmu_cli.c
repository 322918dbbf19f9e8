/*
 * test_mmu_cli.c - the memory system as a student meets it on the command line: the paging
 * example's exact output, `hvsim walkdemo` for every level pair, and its errors.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static char *run(const char *cmdline, bool merge, int want_status)
{
    int status;
    char *out = th_sh(cmdline, merge, &status);
    cr_expect_eq(status, want_status, "%s: exit %d\n%s", cmdline, status, out);
    return out;
}

Test(mmu_cli, paging_example_output)
{
    char *out = run("$B/hvsim --bare examples/paging.s", false, 0);
    cr_expect_str_eq(out, "kernel: page tables built, paging on\n"
                          "user: counter = 42\n"
                          "page fault: store-page-fault (cause 9) at 0x00402000, pc 0x00400020\n"
                          "kernel: the user program touched a kernel page; stopping it\n");
    free(out);
}

Test(mmu_cli, paging_example_stats_show_the_tlb)
{
    char *out = run("$B/hvsim --bare examples/paging.s --stats 2>&1 >/dev/null", false, 0);
    cr_expect(strstr(out, "  trap store-page-fault         1\n"), "%s", out);
    cr_expect(strstr(out, "  tlb: "), "%s", out);
    cr_expect(strstr(out, "  page walks: "), "%s", out);
    free(out);
}

/* The last line of the output, without its newline (in a static buffer). */
static const char *last_line(const char *out)
{
    static char line[256];
    size_t len = strlen(out);
    while (len && out[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start && out[start - 1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(len - start), out + start);
    return line;
}

/* Counts the lines that list a reference ("   N  ..." with a table name). */
static unsigned listed_references(const char *out, const char *outcome)
{
    unsigned n = 0;
    for (const char *p = out; (p = strstr(p, outcome)) != NULL; p++)
        n++;
    return n;
}

Test(mmu_cli, walkdemo_reference_counts)
{
    static const struct {
        unsigned n, m, refs;
    } cases[] = {{2, 2, 8},  {2, 3, 11}, {2, 4, 14}, {3, 2, 11}, {3, 3, 15},
                 {3, 4, 19}, {4, 2, 14}, {4, 3, 19}, {4, 4, 24}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[128], want[32];
        snprintf(cmd, sizeof cmd, "$B/hvsim walkdemo --guest-levels %u --nested-levels %u",
                 cases[i].n, cases[i].m);
        char *out = run(cmd, false, 0);
        snprintf(want, sizeof want, "references: %u", cases[i].refs);
        cr_expect_str_eq(last_line(out), want, "%s", cmd);
        cr_expect_eq(listed_references(out, " ok "), cases[i].refs,
                     "%s: one line per reference\n%s", cmd, out);
        free(out);
    }
}

Test(mmu_cli, walkdemo_native_and_pwc)
{
    char *out = run("$B/hvsim walkdemo --native --guest-levels 3", false, 0);
    cr_expect_str_eq(last_line(out), "references: 3");
    cr_expect(strstr(out, "va 0x00401a2c -> pa 0x00123a2c\n"), "%s", out);
    free(out);
    out = run("$B/hvsim walkdemo --guest-levels 4 --nested-levels 4 --pwc", false, 0);
    cr_expect_str_eq(last_line(out), "references: 13");
    cr_expect_eq(listed_references(out, "pwc hit"), 11, "%s", out);
    free(out);
    out = run("$B/hvsim walkdemo", false, 0);
    cr_expect(strstr(out, "   1  nested L1  table hpa 0x00010000  read  hpa 0x00010000 = 0x00011001"
                          "  ok           12 cycles  for gpa 0x00002004 (guest L1 table)\n"),
              "%s", out);
    cr_expect(strstr(out, "gva 0x00401a2c -> gpa 0x00123a2c -> hpa 0x00223a2c\n"), "%s", out);
    free(out);
}

/* Large pages through the command line: the shorter walks, the page sizes, the splinter. */
Test(mmu_cli, walkdemo_large_pages)
{
    char *out = run("$B/hvsim walkdemo --guest-large --nested-large", false, 0);
    cr_expect_str_eq(last_line(out), "references: 3");
    cr_expect(strstr(out, "   2  guest L1   table hpa 0x00402000  read  hpa 0x00402004 = 0x00000107"
                          "  ok           12 cycles  leaf: a 4 MiB page\n"),
              "%s", out);
    cr_expect(strstr(out, "a large leaf ends its tree a level early: (1+1)(1+1)-1 = 3 references\n"
                          "pages: guest 4 MiB, nested 4 MiB, the TLB entry covers 4 MiB\n"),
              "%s", out);
    cr_expect(strstr(out, "gva 0x00401a2c -> gpa 0x00001a2c -> hpa 0x00401a2c\n"), "%s", out);
    free(out);
    out = run("$B/hvsim walkdemo --guest-large", false, 0);
    cr_expect_str_eq(last_line(out), "references: 5");
    cr_expect(strstr(out, "pages: guest 4 MiB, nested 4 KiB: splintered (a guest large page over "
                          "small nested pages), the TLB entry covers 4 KiB\n"),
              "%s", out);
    free(out);
    out = run("$B/hvsim walkdemo --native --guest-large --guest-levels 4", false, 0);
    cr_expect_str_eq(last_line(out), "references: 3");
    cr_expect(strstr(out, "page: 128 KiB, the TLB entry covers 128 KiB\n"), "%s", out);
    free(out);
}

Test(mmu_cli, walkdemo_help_and_errors)
{
    static const struct {
        const char *args, *message;
        int status;
    } cases[] = {
        {"--help", "usage: hvsim walkdemo", 0},
        {"--guest-levels 5", "--guest-levels: '5' is not a level count (must be 2..4)", 2},
        {"--guest-levels 1", "--guest-levels: '1' is not a level count (must be 2..4)", 2},
        {"--nested-levels x", "--nested-levels: 'x' is not a level count (must be 2..4)", 2},
        {"--nested-levels", "missing argument", 2},
        {"--frobnicate", "unknown option", 2},
        {"extra", "unexpected argument 'extra'", 2},
        {"--va nowhere", "--va: 'nowhere' is not a 32-bit address", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "$B/hvsim walkdemo %s", cases[i].args);
        char *out = run(cmd, true, cases[i].status);
        cr_expect(strstr(out, cases[i].message), "%s:\n%s", cmd, out);
        free(out);
    }
}
