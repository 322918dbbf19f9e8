/*
 * cpu_syms.c - symbol files: writing them, reading them back, and looking an address up.
 *
 * A symbol file has one line per non-local label, "XXXXXXXX name": the address as 8
 * lowercase hex digits, one space, the name; sorted by address and then by name. hvasm writes
 * one next to every image; hvasm -d and the debugger read them. Reading is strict, so that a
 * damaged file is reported (FILE:LINE: error: ...) instead of naming the wrong addresses.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_asm_internal.h"

static int cmp_sym(const void *a, const void *b)
{
    const cpu_symbol_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

void cpu_syms_sort(cpu_symbol_t *syms, size_t n)
{
    if (n > 1)
        qsort(syms, n, sizeof *syms, cmp_sym);
}

int cpu_syms_write(FILE *out, const cpu_symbol_t *syms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%08x %s\n", (unsigned)syms[i].addr, syms[i].name);
    return ferror(out) ? -1 : 0;
}

const cpu_symbol_t *cpu_syms_lookup(const cpu_symbol_t *syms, size_t n, uint32_t addr,
                                    uint32_t *offset)
{
    size_t lo = 0, hi = n; /* find the first symbol above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    size_t i = lo - 1;
    while (i > 0 && syms[i - 1].addr == syms[i].addr)
        i--;
    if (offset)
        *offset = addr - syms[i].addr;
    return &syms[i];
}

void cpu_syms_free(cpu_symbol_t *syms, size_t n)
{
    for (size_t i = 0; syms && i < n; i++)
        free(syms[i].name);
    free(syms);
}

/* ------------------------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *path;
    FILE *diag;
    int errors;
    cpu_symbol_t *syms;
    int *lines; /* line of each symbol, for messages about duplicates */
    size_t n, cap;
} loader_t;

static void load_error(loader_t *L, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void load_error(loader_t *L, int line, const char *fmt, ...)
{
    if (++L->errors > CPU_ASM_MAX_ERRORS || !L->diag)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(L->diag, "%s:%d: error: ", L->path, line);
    vfprintf(L->diag, fmt, ap);
    fputc('\n', L->diag);
    va_end(ap);
}

/* "'text'" for a message: printable, at most 40 bytes. */
static const char *quote(const char *p, size_t len, char *buf, size_t size)
{
    asm_tok_t t = {.kind = TK_NAME, .p = p, .len = len};
    return asm_tok_desc(&t, buf, size);
}

static bool add_sym(loader_t *L, const char *name, size_t len, uint32_t addr, int line)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 64;
        cpu_symbol_t *s = realloc(L->syms, cap * sizeof *s);
        if (s)
            L->syms = s;
        int *l = realloc(L->lines, cap * sizeof *l);
        if (l)
            L->lines = l;
        if (!s || !l)
            return false;
        L->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, name, len);
    copy[len] = '\0';
    L->syms[L->n] = (cpu_symbol_t){copy, addr};
    L->lines[L->n++] = line;
    return true;
}

/* Parses one line (not NUL-terminated). Blank lines and '#' comments are allowed. */
static void parse_line(loader_t *L, const char *s, size_t len, int line)
{
    char q[80];
    size_t i = 0, j;
    while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == len || s[i] == '#')
        return;
    uint32_t addr = 0;
    for (j = i; j < len && isxdigit((unsigned char)s[j]) && j - i < 9; j++)
        addr = addr << 4 | (uint32_t)(isdigit((unsigned char)s[j]) ? s[j] - '0'
                                                                  : tolower(s[j]) - 'a' + 10);
    size_t k = j;
    while (k < len && s[k] != ' ' && s[k] != '\t')
        k++;
    if (j == i || j - i > 8 || k != j) {
        load_error(L, line, "expected 'ADDRESS NAME' with the address as 8 hex digits, found %s",
                   quote(s + i, k - i, q, sizeof q));
        return;
    }
    while (j < len && (s[j] == ' ' || s[j] == '\t'))
        j++;
    for (k = j; k < len && s[k] != ' ' && s[k] != '\t'; k++)
        ;
    if (j == len) {
        load_error(L, line, "expected a name after the address");
    } else if (k != len) {
        load_error(L, line, "unexpected %s after the name", quote(s + k, len - k, q, sizeof q));
    } else if (s[j] == '.' || !asm_valid_name(s + j, k - j)) {
        load_error(L, line, "%s is not a valid symbol name", quote(s + j, k - j, q, sizeof q));
    } else if (!add_sym(L, s + j, k - j, addr, line)) {
        load_error(L, line, "out of memory");
    }
}

typedef struct {
    const char *name;
    int line;
} named_line_t;

static int cmp_named_line(const void *a, const void *b)
{
    const named_line_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Reports every name given twice, with the line that first gave it. */
static void check_duplicates(loader_t *L)
{
    named_line_t *v = malloc((L->n ? L->n : 1) * sizeof *v);
    if (!v) {
        load_error(L, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < L->n; i++)
        v[i] = (named_line_t){L->syms[i].name, L->lines[i]};
    qsort(v, L->n, sizeof *v, cmp_named_line);
    for (size_t i = 1, first = 0; i < L->n; i++) {
        if (strcmp(v[i].name, v[first].name) != 0) {
            first = i;
            continue;
        }
        load_error(L, v[i].line, "duplicate symbol '%.200s' (first on line %d)", v[i].name,
                   v[first].line);
    }
    free(v);
}

int cpu_syms_load(const char *path, cpu_symbol_t **syms, size_t *n, FILE *diag)
{
    *syms = NULL;
    *n = 0;
    loader_t L = {.path = path, .diag = diag};
    size_t len;
    char *text = cpu_asm_read_file(path, ASM_MAX_FILE_SIZE, &len);
    char why[96];
    if (!text) {
        if (diag)
            fprintf(diag, "%s: error: cannot read symbol file: %s\n", path,
                    cpu_asm_read_error(errno, ASM_MAX_FILE_SIZE, why, sizeof why));
        return -1;
    }
    int line = 1;
    for (size_t off = 0; off < len; line++) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t eol = nl ? (size_t)(nl - text) : len;
        if (memchr(text + off, '\0', eol - off))
            load_error(&L, line, "unexpected NUL byte");
        else
            parse_line(&L, text + off, eol - off, line);
        off = eol + 1;
    }
    free(text);
    if (L.errors == 0)
        check_duplicates(&L);
    free(L.lines);
    if (L.errors) {
        if (diag && L.errors > CPU_ASM_MAX_ERRORS)
            fprintf(diag, "%s: error: too many errors; stopping\n", path);
        cpu_syms_free(L.syms, L.n);
        return -1;
    }
    cpu_syms_sort(L.syms, L.n);
    *syms = L.syms;
    *n = L.n;
    return 0;
}
