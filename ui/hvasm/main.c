/*
 * main.c - hvasm, the command-line assembler and disassembler for the hvsim ISA.
 *
 *   hvasm [-o OUT.bin] [-l] FILE.s                       assemble
 *   hvasm -d FILE.bin [--base ADDR] [--syms FILE.sym]    disassemble
 *
 * The work is done by the CPU module (cpu_asm, cpu_disasm_image, cpu_syms_*); this file reads
 * the command line and writes files. Outputs go to a temporary file in the same directory
 * that is renamed into place at the end, so a failed run leaves no output and keeps an old one.
 */
#define _XOPEN_SOURCE 700 /* realpath, for the line table's relative paths */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cpu/cpu.h"

#define EXIT_USAGE 2

static const char usage_short[] =
    "usage: hvasm [-o OUT.bin] [-l] FILE.s\n"
    "       hvasm -d FILE.bin [--base ADDR] [--syms FILE.sym] [-o OUT.s]\n"
    "Try 'hvasm --help' for more.\n";

static const char usage_long[] =
    "hvasm - the hvsim assembler and disassembler\n"
    "\n"
    "usage:\n"
    "  hvasm [-o OUT.bin] [-l] FILE.s\n"
    "  hvasm -d FILE.bin [--base ADDR] [--syms FILE.sym] [-o OUT.s]\n"
    "\n"
    "Assembling writes the flat image (FILE.bin next to FILE.s unless -o names it) and, next to\n"
    "the image, a symbol file OUT.sym with one \"ADDRESS NAME\" line per label and a line table\n"
    "OUT.lines with one \"ADDRESS FILE:LINE\" line per instruction (for the debugger's list and\n"
    "bt; FILE relative to the table's directory). When the source has errors, each is\n"
    "reported as FILE:LINE:COL: error: MESSAGE and nothing is written.\n"
    "Disassembling prints assembly source that assembles back to the identical image.\n"
    "\n"
    "options:\n"
    "  -o FILE       where to write: the image (assembling) or the source text (with -d;\n"
    "                the default is standard output)\n"
    "  -l            also print a listing to standard output: address, word, source line\n"
    "  -d            disassemble the flat image FILE.bin instead of assembling\n"
    "  --base ADDR   with -d: the address of the image's first byte (default 0x1000)\n"
    "  --syms FILE   with -d: name addresses with the symbol file FILE (as hvasm writes it)\n"
    "  -h, --help    print this help and exit\n"
    "\n"
    "examples:\n"
    "  hvasm -o hello.bin examples/hello.s   writes hello.bin, hello.sym and hello.lines\n"
    "  hvasm -l -o p.bin examples/hello.s    writes p.bin, p.sym, p.lines; prints a listing\n"
    "  hvasm -d hello.bin --syms hello.sym   disassembles with the labels of hello.sym\n"
    "  hvasm -d p.bin > p.s && hvasm -o q.bin p.s && cmp p.bin q.bin     (always holds)\n"
    "\n"
    "The assembly language is described in docs/isa.md, section \"Assembly language\".\n"
    "Exit status: 0 on success, 1 on errors in the input or with files, 2 on bad usage.\n";

typedef struct {
    const char *input, *output, *syms, *base;
    bool listing, disasm;
} options_t;

/* Prints a usage error and the short usage; returns the exit status for bad usage. */
static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "hvasm: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_short);
    return EXIT_USAGE;
}

/* The value of an option written "--name VALUE" or "--name=VALUE"; NULL when absent. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
    size_t n = strlen(name);
    *matched = false;
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=') {
        *matched = true;
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] != '\0')
        return NULL;
    *matched = true;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* Parses the command line. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, options_t *o)
{
    bool only_files = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool m;
        if (only_files || a[0] != '-' || a[1] == '\0') {
            if (o->input)
                return bad_usage("more than one input file ('%s')", a);
            o->input = a;
        } else if (strcmp(a, "--") == 0) {
            only_files = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_long, stdout);
            return 0;
        } else if (strcmp(a, "-l") == 0) {
            o->listing = true;
        } else if (strcmp(a, "-d") == 0) {
            o->disasm = true;
        } else if ((v = option_value(argc, argv, &i, "-o", &m)) || m) {
            if (!v || !*v)
                return bad_usage("option '%s' needs a file name", "-o");
            o->output = v;
        } else if ((v = option_value(argc, argv, &i, "--base", &m)) || m) {
            if (!v || !*v)
                return bad_usage("option '%s' needs an address", "--base");
            o->base = v;
        } else if ((v = option_value(argc, argv, &i, "--syms", &m)) || m) {
            if (!v || !*v)
                return bad_usage("option '%s' needs a file name", "--syms");
            o->syms = v;
        } else {
            return bad_usage("unknown option '%s'", a);
        }
    }
    if (!o->input)
        return bad_usage("%s", "no input file");
    if (o->disasm && o->listing)
        return bad_usage("%s", "-l cannot be used with -d");
    if (!o->disasm && (o->base || o->syms))
        return bad_usage("%s", "--base and --syms need -d");
    return -1;
}

/* ------------------------------------------------------------------------------------------
 * Writing files safely
 * ------------------------------------------------------------------------------------------ */
typedef int (*writer_fn)(FILE *f, const void *ctx);

/* Writes a temporary file next to `path` with `fn`; returns its malloc'd name, or NULL after
 * reporting an error (nothing is left behind). */
static char *write_temp(const char *path, writer_fn fn, const void *ctx)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        fprintf(stderr, "hvasm: error: out of memory\n");
        return NULL;
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = NULL;
    if (fd >= 0) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        f = fdopen(fd, "wb");
        if (!f)
            close(fd);
    }
    int err = 0;
    if (!f || fn(f, ctx) != 0 || ferror(f))
        err = errno ? errno : EIO;
    if (f && fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    if (!err)
        return tmp;
    fprintf(stderr, "hvasm: error: cannot write '%s': %s\n", path, strerror(err));
    if (fd >= 0)
        unlink(tmp);
    free(tmp);
    return NULL;
}

/* Keeps the file at `path` (if there is one) under a second name beside it (a hard link: the
 * file stays where it is), so that a later failure can put it back. Returns the malloc'd
 * name, or NULL when there was no file. */
static char *keep_old(const char *path)
{
    size_t n = strlen(path) + 16;
    char *old = malloc(n);
    if (!old)
        return NULL;
    snprintf(old, n, "%s.oldXXXXXX", path);
    int fd = mkstemp(old); /* a fresh name; the link takes it */
    if (fd >= 0) {
        close(fd);
        unlink(old);
    }
    if (fd < 0 || link(path, old) != 0) {
        free(old);
        return NULL;
    }
    return old;
}

/* Renames each written temporary file into place, all or none: if any write or rename fails,
 * the files already renamed get their old contents back (a failed run must not leave a new
 * .bin beside an old .sym) and the temporary files are removed. */
static int commit(char **tmps, const char **paths, int n)
{
    char *olds[8] = {NULL}; /* hvasm writes at most 3 files (.bin, .sym, .lines) */
    if (n > 8)
        n = 8;
    int rc = 0, done = 0;
    for (int i = 0; i < n; i++)
        if (!tmps[i])
            rc = 1;
    for (int i = 0; i < n && rc == 0; i++, done++) {
        olds[i] = keep_old(paths[i]);
        if (rename(tmps[i], paths[i]) != 0) {
            fprintf(stderr, "hvasm: error: cannot write '%s': %s\n", paths[i], strerror(errno));
            rc = 1;
        } else {
            free(tmps[i]);
            tmps[i] = NULL;
        }
    }
    for (int i = 0; i < n; i++) {
        if (rc != 0 && i < done - 1 && !tmps[i]) { /* renamed, but a later one failed */
            if (olds[i])
                rename(olds[i], paths[i]);
            else
                unlink(paths[i]);
        } else if (olds[i]) {
            unlink(olds[i]);
        }
        if (tmps[i])
            unlink(tmps[i]);
        free(tmps[i]);
        free(olds[i]);
    }
    return rc;
}

/* A path with its extension `from` replaced by `to` (or `to` appended). */
static char *replace_ext(const char *path, const char *from, const char *to)
{
    size_t n = strlen(path), f = strlen(from);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (n > f && strcmp(path + n - f, from) == 0 && (size_t)(path + n - base) > f)
        n -= f;
    char *out = malloc(n + strlen(to) + 1);
    if (out) {
        memcpy(out, path, n);
        strcpy(out + n, to);
    }
    return out;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* ------------------------------------------------------------------------------------------
 * Assembling
 * ------------------------------------------------------------------------------------------ */
static int write_image(FILE *f, const void *ctx)
{
    const cpu_asm_result_t *r = ctx;
    return fwrite(r->bytes, 1, r->size, f) == r->size ? 0 : -1;
}

static int write_syms(FILE *f, const void *ctx)
{
    const cpu_asm_result_t *r = ctx;
    return cpu_syms_write(f, r->syms, r->nsyms);
}

/* The line table: "ADDRESS FILE:LINE" per instruction, FILE relative to the table's own
 * directory (docs/debugger.md, "Line tables"). */
typedef struct {
    const cpu_asm_result_t *res;
    char **rel; /* each source file's path as the table writes it */
} lines_job_t;

static int write_lines(FILE *f, const void *ctx)
{
    const lines_job_t *j = ctx;
    fprintf(f, "# hvsim line table: ADDRESS FILE:LINE, FILE relative to this file's directory\n");
    for (size_t i = 0; i < j->res->nlines; i++) {
        const cpu_line_t *l = &j->res->lines[i];
        fprintf(f, "%08x %s:%u\n", l->addr, j->rel[l->file], l->line);
    }
    return 0;
}

/* `path` relative to directory `dir` (both made absolute first); a copy of path when either
 * cannot be resolved. */
static char *relative_to(const char *dir, const char *path)
{
    char *d = realpath(dir, NULL), *p = realpath(path, NULL), *out = NULL;
    if (d && p) {
        /* d + common is "" or "/...", the part of d below what both share; p + common is the
         * "/..." of p below it. */
        size_t i = 0, common = 0;
        while (d[i] && d[i] == p[i])
            i++;
        if (!d[i] && p[i] == '/')
            common = i; /* d is a directory above p */
        else
            for (size_t j = 0; j < i; j++)
                if (d[j] == '/')
                    common = j;
        size_t ups = 0; /* the directories of d below the shared ones */
        for (const char *q = d + common; *q; q++)
            ups += q[0] == '/' && q[1] != '\0';
        const char *rest = p + common + 1;
        out = malloc(3 * ups + strlen(rest) + 1);
        if (out) {
            out[0] = '\0';
            for (size_t k = 0; k < ups; k++)
                strcat(out, "../");
            strcat(out, rest);
        }
    }
    free(d);
    free(p);
    return out ? out : strdup(path);
}

/* Writes the line table beside the image; returns the temporary file (see write_temp). */
static char *write_line_table(const char *path, const cpu_asm_result_t *res)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    lines_job_t job = {res, calloc(res->nfiles ? res->nfiles : 1, sizeof(char *))};
    char *tmp = NULL;
    bool ok = job.rel != NULL;
    for (size_t i = 0; ok && i < res->nfiles; i++)
        ok = (job.rel[i] = relative_to(dir, res->files[i])) != NULL;
    if (ok)
        tmp = write_temp(path, write_lines, &job);
    else
        fprintf(stderr, "hvasm: error: out of memory\n");
    for (size_t i = 0; job.rel && i < res->nfiles; i++)
        free(job.rel[i]);
    free(job.rel);
    return tmp;
}

/* Reports an input file that cannot be read; true when it can. */
static bool readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "hvasm: error: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

static int assemble(const options_t *o)
{
    if (!readable(o->input))
        return 1;
    char *out = o->output ? strdup(o->output) : replace_ext(o->input, ".s", ".bin");
    char *sym = out ? replace_ext(out, ".bin", ".sym") : NULL;
    char *lines = out ? replace_ext(out, ".bin", ".lines") : NULL;
    int rc = 1;
    if (!out || !sym || !lines) {
        fprintf(stderr, "hvasm: error: out of memory\n");
    } else if (same_file(out, o->input) || same_file(sym, o->input) || same_file(lines, o->input)) {
        fprintf(stderr, "hvasm: error: the output would overwrite the input '%s'\n", o->input);
    } else {
        cpu_asm_options_t opts = {.listing = o->listing ? stdout : NULL};
        cpu_asm_result_t res;
        if (cpu_asm(o->input, NULL, &opts, stderr, &res) != 0) {
            fprintf(stderr, "hvasm: %d error%s; nothing written\n", res.errors,
                    res.errors == 1 ? "" : "s");
        } else {
            char *tmps[3] = {write_temp(out, write_image, &res), write_temp(sym, write_syms, &res),
                             write_line_table(lines, &res)};
            const char *paths[3] = {out, sym, lines};
            rc = commit(tmps, paths, 3);
        }
        cpu_asm_free(&res);
    }
    free(out);
    free(sym);
    free(lines);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Disassembling
 * ------------------------------------------------------------------------------------------ */
/* Parses an address: decimal, 0x hex or 0b binary, at most 0xffffffff. */
static bool parse_addr(const char *s, uint32_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s += 2;
    if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end || v > 0xffffffffull)
        return false;
    *out = (uint32_t)v;
    return true;
}

typedef struct {
    const uint8_t *bytes;
    size_t size;
    uint32_t base;
    const cpu_symbol_t *syms;
    size_t nsyms;
} disasm_job_t;

static int write_disasm(FILE *f, const void *ctx)
{
    const disasm_job_t *j = ctx;
    return cpu_disasm_image(f, j->bytes, j->size, j->base, j->syms, j->nsyms, stderr);
}

static int disassemble(const options_t *o)
{
    disasm_job_t job = {.base = CPU_RESET_PC};
    if (o->base && !parse_addr(o->base, &job.base)) {
        fprintf(stderr, "hvasm: error: bad address '%s' for --base (want e.g. 0x1000)\n",
                o->base);
        return 1;
    }
    uint8_t *bytes = (uint8_t *)cpu_asm_read_file(o->input, CPU_ASM_MAX_IMAGE, &job.size);
    if (!bytes) {
        char why[96];
        fprintf(stderr, "hvasm: error: cannot read '%s': %s\n", o->input,
                cpu_asm_read_error(errno, CPU_ASM_MAX_IMAGE, why, sizeof why));
        return 1;
    }
    job.bytes = bytes;
    cpu_symbol_t *syms = NULL;
    int rc = 1;
    if (!o->syms || cpu_syms_load(o->syms, &syms, &job.nsyms, stderr) == 0) {
        job.syms = syms;
        if (o->output) {
            char *tmps[1] = {write_temp(o->output, write_disasm, &job)};
            const char *paths[1] = {o->output};
            rc = commit(tmps, paths, 1);
        } else {
            rc = write_disasm(stdout, &job) == 0 && fflush(stdout) == 0 ? 0 : 1;
        }
    }
    cpu_syms_free(syms, job.nsyms);
    free(bytes);
    return rc;
}

int main(int argc, char **argv)
{
    options_t o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    return o.disasm ? disassemble(&o) : assemble(&o);
}
