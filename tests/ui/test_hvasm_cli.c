/*
 * test_hvasm_cli.c - the hvasm tool as a student runs it: help and usage errors, where the
 * outputs go, the listing, no output on error (and an old one kept), and disassembly with
 * symbols that assembles back to the same image. Runs $HVSIM_BUILD/hvasm (default build/).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cpu/asm_util.h"

typedef struct {
    int status;
    char *out, *err;
} run_t;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* The absolute path of $HVSIM_BUILD/hvasm (default build/hvasm). */
static const char *tool(void)
{
    static char path[4096];
    const char *b = getenv("HVSIM_BUILD");
    b = b && *b ? b : "build";
    char cwd[2048] = "";
    if (b[0] != '/')
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s%s%s/hvasm", cwd, cwd[0] ? "/" : "", b);
    cr_assert_eq(access(path, X_OK), 0, "%s not found: build it first", path);
    return path;
}

/* Runs "$HVSIM_BUILD/hvasm ARGS" with stdout and stderr captured in files of `dir`. */
static run_t hvasm(const char *dir, const char *fmt, ...)
{
    char args[2048], cmd[8192], out[512], err[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out, sizeof out, "%s/.stdout", dir);
    snprintf(err, sizeof err, "%s/.stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", tool(), args, out, err);
    int st = system(cmd);
    run_t r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(out, NULL), slurp(err, NULL)};
    cr_assert(r.out && r.err, "cannot run %s", cmd);
    remove(out);
    remove(err);
    return r;
}

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

/* Expects a run to exit with `status` with `needle` in its standard error; frees it. */
static void expect_exit(run_t r, int status, const char *needle)
{
    cr_expect_eq(r.status, status, "exit %d, want %d", r.status, status);
    cr_expect(strstr(r.err, needle) != NULL, "'%s' not in:\n%s", needle, r.err);
    run_free(&r);
}

/* The names in dir, sorted, separated by spaces. */
static char *listdir(const char *dir)
{
    static char buf[4096];
    char names[64][256];
    int n = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.')
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", names[i]);
    return buf;
}

static const char prog[] = "start: li r1, 3\n"
                           ".loop: addi r1, r1, -1\n"
                           "       bne .loop\n"
                           "       call done\n"
                           "done:  ret\n"
                           "msg:   .asciz \"hi\"\n";

/* A temporary directory holding prog as p.s. */
static char *dir_with_prog(void)
{
    char *dir = ta_tmpdir();
    free(ta_write(dir, "p.s", prog, strlen(prog)));
    return dir;
}

Test(hvasm_cli, help)
{
    char *dir = ta_tmpdir();
    const char *opts[] = {"--help", "-h"};
    for (int i = 0; i < 2; i++) {
        run_t r = hvasm(dir, "%s", opts[i]);
        cr_expect_eq(r.status, 0);
        cr_expect_str_empty(r.err);
        const char *want[] = {"usage:", "hvasm [-o OUT.bin] [-l] FILE.s", "-d FILE.bin",
                              "--base ADDR", "--syms FILE", "-l ", "-o FILE", "examples:",
                              "cmp p.bin q.bin"};
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            cr_expect(strstr(r.out, want[k]) != NULL, "'%s' not in the help:\n%s", want[k], r.out);
        run_free(&r);
    }
    ta_rmdir(dir);
}

Test(hvasm_cli, bad_usage)
{
    char *dir = ta_tmpdir();
    static const struct {
        const char *args, *msg;
    } cases[] = {
        {"", "hvasm: no input file\n"},
        {"-x a.s", "hvasm: unknown option '-x'\n"},
        {"--bogus a.s", "hvasm: unknown option '--bogus'\n"},
        {"a.s -o", "hvasm: option '-o' needs a file name\n"},
        {"a.s b.s", "hvasm: more than one input file ('b.s')\n"},
        {"-l -d a.bin", "hvasm: -l cannot be used with -d\n"},
        {"--base 0x2000 a.s", "hvasm: --base and --syms need -d\n"},
        {"-d a.bin --syms", "hvasm: option '--syms' needs a file name\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_t r = hvasm(dir, "%s", cases[i].args);
        cr_expect_eq(r.status, 2, "%s: exit %d", cases[i].args, r.status);
        cr_expect_str_empty(r.out);
        cr_expect(strncmp(r.err, cases[i].msg, strlen(cases[i].msg)) == 0, "%s:\n%s",
                  cases[i].args, r.err);
        cr_expect(strstr(r.err, "usage: hvasm") != NULL && strstr(r.err, "--help") != NULL);
        run_free(&r);
    }
    ta_rmdir(dir);
}

Test(hvasm_cli, missing_input)
{
    char *dir = ta_tmpdir();
    run_t r = hvasm(dir, "'%s/nope.s'", dir);
    char want[512];
    snprintf(want, sizeof want, "hvasm: error: cannot open '%s/nope.s': No such file or directory\n",
             dir);
    cr_expect_eq(r.status, 1);
    cr_expect_str_eq(r.err, want);
    run_free(&r);
    expect_exit(hvasm(dir, "-d '%s/nope.bin'", dir), 1, "nope.bin': No such file or directory");
    cr_expect_str_eq(listdir(dir), "");
    ta_rmdir(dir);
}

Test(hvasm_cli, assemble_writes_image_and_symbols)
{
    char *dir = dir_with_prog();
    run_t r = hvasm(dir, "'%s/p.s'", dir);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_empty(r.out);
    cr_expect_str_empty(r.err);
    run_free(&r);
    cr_expect_str_eq(listdir(dir), "p.bin p.lines p.s p.sym");
    char path[512];
    snprintf(path, sizeof path, "%s/p.sym", dir);
    char *sym = slurp(path, NULL);
    cr_expect_str_eq(sym, "00001000 start\n00001010 done\n00001014 msg\n");
    free(sym);
    /* the line table: one row per instruction, the source beside the table */
    snprintf(path, sizeof path, "%s/p.lines", dir);
    char *lines = slurp(path, NULL);
    cr_expect_str_eq(lines, "# hvsim line table: ADDRESS FILE:LINE, FILE relative to this file's "
                            "directory\n00001000 p.s:1\n00001004 p.s:2\n00001008 p.s:3\n"
                            "0000100c p.s:4\n00001010 p.s:5\n");
    free(lines);
    snprintf(path, sizeof path, "%s/p.bin", dir);
    size_t len;
    char *bin = slurp(path, &len);
    cr_expect_eq(len, 0x17);
    cr_expect(memcmp(bin, "\x03\x00\x10\x20", 4) == 0);
    free(bin);
    /* -o names the image; the symbols go next to it */
    r = hvasm(dir, "-o '%s/img.bin' '%s/p.s'", dir, dir);
    cr_expect_eq(r.status, 0);
    run_free(&r);
    r = hvasm(dir, "'%s/p.s' -o '%s/x.img'", dir, dir);
    cr_expect_eq(r.status, 0);
    run_free(&r);
    cr_expect_str_eq(listdir(dir), "img.bin img.lines img.sym p.bin p.lines p.s p.sym x.img "
                                   "x.img.lines x.img.sym");
    /* a table in another directory names the source relative to itself */
    r = hvasm(dir, "-o '%s/sub/q.bin' '%s/p.s'", dir, dir);
    cr_expect_neq(r.status, 0, "the directory sub does not exist yet");
    run_free(&r);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    r = hvasm(dir, "-o '%s/sub/q.bin' '%s/p.s'", dir, dir);
    cr_expect_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(path, sizeof path, "%s/sub/q.lines", dir);
    lines = slurp(path, NULL);
    cr_expect(strstr(lines, "\n00001000 ../p.s:1\n") != NULL, "q.lines is:\n%s", lines);
    free(lines);
    /* the output may not replace the input */
    expect_exit(hvasm(dir, "-o '%s/p.s' '%s/p.s'", dir, dir), 1, "would overwrite the input");
    ta_rmdir(dir);
}

Test(hvasm_cli, listing)
{
    char *dir = dir_with_prog();
    run_t r = hvasm(dir, "-l '%s/p.s'", dir);
    cr_expect_eq(r.status, 0);
    const char *want = "00001000  20100003     start: li r1, 3\n"
                       "00001004  2011ffff     .loop: addi r1, r1, -1\n"
                       "00001008  42ffffff            bne .loop\n"
                       "0000100c  4cf00001            call done\n"
                       "00001010  4d0f0000     done:  ret\n"
                       "00001014  68 69 00     msg:   .asciz \"hi\"\n";
    cr_expect_str_eq(r.out, want, "got:\n%s", r.out);
    run_free(&r);
    ta_rmdir(dir);
}

Test(hvasm_cli, errors_write_nothing)
{
    char *dir = ta_tmpdir();
    const char *bad = "nop\nfoo r1\nb nowhere\n";
    free(ta_write(dir, "p.s", bad, strlen(bad)));
    run_t r = hvasm(dir, "'%s/p.s'", dir);
    char want[1024];
    snprintf(want, sizeof want,
             "%s/p.s:2:1: error: unknown instruction 'foo'\n"
             "%s/p.s:3:3: error: undefined symbol 'nowhere'\n"
             "hvasm: 2 errors; nothing written\n",
             dir, dir);
    cr_expect_eq(r.status, 1);
    cr_expect_str_eq(r.err, want);
    cr_expect_str_empty(r.out);
    run_free(&r);
    cr_expect_str_eq(listdir(dir), "p.s");
    /* an old output survives a failed run */
    free(ta_write(dir, "p.bin", "OLD", 3));
    r = hvasm(dir, "-l '%s/p.s'", dir);
    cr_expect_eq(r.status, 1);
    cr_expect_str_empty(r.out);
    run_free(&r);
    cr_expect_str_eq(listdir(dir), "p.bin p.s");
    char path[512];
    snprintf(path, sizeof path, "%s/p.bin", dir);
    char *old = slurp(path, NULL);
    cr_expect_str_eq(old, "OLD");
    free(old);
    /* the .sym cannot be written (a directory is in its place): the old .bin survives too */
    free(ta_write(dir, "p.s", prog, strlen(prog)));
    snprintf(path, sizeof path, "%s/p.sym", dir);
    cr_assert_eq(mkdir(path, 0777), 0);
    free(ta_write(path, "keep", "k", 1));
    expect_exit(hvasm(dir, "'%s/p.s'", dir), 1, "/p.sym': ");
    cr_expect_str_eq(listdir(dir), "p.bin p.s p.sym");
    snprintf(path, sizeof path, "%s/p.bin", dir);
    old = slurp(path, NULL);
    cr_expect_str_eq(old, "OLD", "a failed run replaced p.bin");
    free(old);
    snprintf(path, sizeof path, "rm -r '%s/p.sym'", dir);
    cr_assert_eq(system(path), 0);
    /* an output directory that does not exist */
    free(ta_write(dir, "p.s", prog, strlen(prog)));
    expect_exit(hvasm(dir, "-o '%s/no/such/dir/p.bin' '%s/p.s'", dir, dir), 1, "cannot write");
    ta_rmdir(dir);
}

Test(hvasm_cli, disassemble_with_symbols)
{
    char *dir = dir_with_prog();
    run_t r = hvasm(dir, "'%s/p.s'", dir);
    cr_assert_eq(r.status, 0);
    run_free(&r);
    r = hvasm(dir, "-d '%s/p.bin' --syms '%s/p.sym'", dir, dir);
    cr_expect_eq(r.status, 0, "%s", r.err);
    const char *want[] = {"        .org 0x00001000\n",
                          "start:\n        addi r1, r0, 3                   ; 00001000: 20100003\n",
                          "L00001004:\n", "bne L00001004", "jal lr, done", "done:\n", "msg:\n",
                          ".byte 0x68, 0x69, 0x00"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        cr_expect(strstr(r.out, want[k]) != NULL, "'%s' missing:\n%s", want[k], r.out);
    run_free(&r);
    /* the round trip of the issue, through the shell */
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' -d p.bin > d.s && '%s' -o q.bin d.s && cmp p.bin q.bin", dir,
             tool(), tool());
    cr_expect_eq(system(cmd), 0, "%s", cmd);
    /* --base, both spellings, and -o with -d */
    r = hvasm(dir, "-d '%s/p.bin' --base=0x2000 -o '%s/e.s'", dir, dir);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_empty(r.out);
    run_free(&r);
    char path[512];
    snprintf(path, sizeof path, "%s/e.s", dir);
    char *text = slurp(path, NULL);
    cr_expect(strstr(text, ".org 0x00002000\n") != NULL, "%s", text);
    free(text);
    r = hvasm(dir, "-d '%s/p.bin' --base 4096", dir);
    cr_expect(strstr(r.out, ".org 0x00001000\n") != NULL);
    run_free(&r);
    expect_exit(hvasm(dir, "-d '%s/p.bin' --base 0x100000000", dir), 1,
                "hvasm: error: bad address '0x100000000' for --base (want e.g. 0x1000)\n");
    /* a damaged symbol file */
    free(ta_write(dir, "bad.sym", "00001000 start\nnonsense\n", 24));
    snprintf(path, sizeof path, "%s/bad.sym:2: error:", dir);
    expect_exit(hvasm(dir, "-d '%s/p.bin' --syms '%s/bad.sym'", dir, dir), 1, path);
    ta_rmdir(dir);
}
