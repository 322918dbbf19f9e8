/*
 * debug_lines.c - source lines for `list` and for stops: the line tables hvasm writes beside
 * each image (PROG.lines beside PROG.bin and PROG.sym), and the source files they name.
 *
 * A .lines file has one row per instruction, "ADDRESS FILE:LINE": the address in 8 lowercase
 * hex digits, then the source file (relative to the .lines file's own directory, so that a
 * build tree can move) and its 1-based line. Lines starting with # are comments
 * (docs/debugger.md, "Line tables"). The debugger keeps one table per symbol table: the
 * machine's, and each VM's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug_internal.h"

#define MAX_SOURCE (4u << 20) /* bytes of one source file `list` reads */

void dbg_free_lines(ui_dbg_t *d)
{
    for (size_t t = 0; t <= UI_DBG_MAX_VMS; t++) {
        dbg_lines_t *L = &d->lines[t];
        for (size_t i = 0; i < L->nfiles; i++)
            free(L->files[i]);
        free(L->files);
        free(L->rows);
        memset(L, 0, sizeof *L);
    }
    free(d->src_text);
    free(d->src_path);
    d->src_text = d->src_path = NULL;
}

static dbg_lines_t *table(ui_dbg_t *d, int vm)
{
    if (vm < -1 || vm >= UI_DBG_MAX_VMS) {
        dbg_fail(d, "There is no VM %d.", vm);
        return NULL;
    }
    return &d->lines[vm + 1];
}

const dbg_lines_t *dbg_focus_lines(const ui_dbg_t *d)
{
    if (d->focus_vm >= 0 && d->focus_vm < UI_DBG_MAX_VMS && d->lines[d->focus_vm + 1].n)
        return &d->lines[d->focus_vm + 1];
    return &d->lines[0];
}

/* The table's copy of a file name (one per file). */
static const char *intern(dbg_lines_t *L, const char *file)
{
    for (size_t i = 0; i < L->nfiles; i++)
        if (strcmp(L->files[i], file) == 0)
            return L->files[i];
    char **more = realloc(L->files, (L->nfiles + 1) * sizeof *more);
    if (!more)
        return NULL;
    L->files = more;
    if (!(L->files[L->nfiles] = strdup(file)))
        return NULL;
    return L->files[L->nfiles++];
}

static int by_addr(const void *a, const void *b)
{
    const ui_dbg_line_t *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Appends rows to L unsorted: a file's rows are sorted once it is read, not row by row. */
static int append_lines(ui_dbg_t *dbg, dbg_lines_t *L, const ui_dbg_line_t *rows, size_t n)
{
    ui_dbg_line_t *all = realloc(L->rows, (L->n + n + 1) * sizeof *all);
    if (!all)
        return dbg_fail(dbg, "out of memory");
    L->rows = all;
    for (size_t i = 0; i < n; i++) {
        const char *f = intern(L, rows[i].file);
        if (!f)
            return dbg_fail(dbg, "out of memory");
        L->rows[L->n++] = (ui_dbg_line_t){rows[i].addr, f, rows[i].line};
    }
    return 0;
}

int ui_dbg_add_lines(ui_dbg_t *dbg, int vm, const ui_dbg_line_t *rows, size_t n)
{
    dbg_lines_t *L = table(dbg, vm);
    if (!L || append_lines(dbg, L, rows, n) != 0)
        return -1;
    qsort(L->rows, L->n, sizeof *L->rows, by_addr);
    return 0;
}

/* Parses one row "XXXXXXXX FILE:LINE" into *row (file pointing into text, NUL-terminated). */
static bool parse_row(char *text, ui_dbg_line_t *row)
{
    char *end;
    unsigned long addr = strtoul(text, &end, 16);
    if (end != text + 8 || *end != ' ')
        return false;
    char *file = end + 1, *colon = strrchr(file, ':');
    if (!colon || colon == file)
        return false;
    unsigned long line = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || line == 0 || line > 0xffffffu)
        return false;
    *colon = '\0';
    *row = (ui_dbg_line_t){(uint32_t)addr, file, (unsigned)line};
    return true;
}

int ui_dbg_load_lines(ui_dbg_t *dbg, int vm, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return dbg_fail(dbg, "%s: cannot read: %s", path, strerror(errno));
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 0;
    char line[1200], file[1300];
    int lineno = 0, rc = 0;
    dbg_lines_t *L = table(dbg, vm);
    if (!L) {
        fclose(f);
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        ui_dbg_line_t row;
        if (!parse_row(line, &row)) {
            rc = dbg_fail(dbg,
                          "%s:%d: error: expected \"ADDRESS FILE:LINE\" (8 hex digits, a "
                          "space, a file, a colon and a line number)",
                          path, lineno);
            break;
        }
        if (row.file[0] != '/' && slash) /* relative to the .lines file's directory */
            snprintf(file, sizeof file, "%.*s/%s", dirlen, path, row.file);
        else
            snprintf(file, sizeof file, "%s", row.file);
        row.file = file;
        rc = append_lines(dbg, L, &row, 1);
    }
    fclose(f);
    if (L->n) /* what was read is kept, sorted */
        qsort(L->rows, L->n, sizeof *L->rows, by_addr);
    return rc;
}

bool ui_dbg_line_at(const ui_dbg_t *dbg, uint32_t addr, ui_dbg_line_t *out)
{
    const dbg_lines_t *L = dbg_focus_lines(dbg);
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->rows[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == L->n || L->rows[lo].addr != addr)
        return false;
    *out = L->rows[lo];
    return true;
}

/* Reads a source file into d->src_text (kept for the next line of the same file). */
static bool load_source(ui_dbg_t *d, const char *file)
{
    if (d->src_path && strcmp(d->src_path, file) == 0)
        return true;
    free(d->src_text);
    free(d->src_path);
    d->src_path = NULL;
    size_t len;
    d->src_text = cpu_asm_read_file(file, MAX_SOURCE, &len);
    if (!d->src_text) {
        dbg_fail(d, "%s: cannot read the source: %s", file, strerror(errno));
        return false;
    }
    d->src_path = strdup(file);
    return d->src_path != NULL;
}

const char *ui_dbg_source_line(ui_dbg_t *dbg, const char *file, unsigned line)
{
    if (!load_source(dbg, file))
        return NULL;
    const char *p = dbg->src_text;
    for (unsigned i = 1; i < line && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || (!*p && line > 1)) {
        dbg_fail(dbg, "%s has no line %u.", file, line);
        return NULL;
    }
    size_t n = strcspn(p, "\r\n");
    snprintf(dbg->src_line, sizeof dbg->src_line, "%.*s", (int)n, p);
    return dbg->src_line;
}

/* ------------------------------------------------------------------------------------------
 * FILE:LINE locations
 * ------------------------------------------------------------------------------------------ */
/* True when a table's file is the one named: the same path, or the same last components
 * ("kernel.s", "tinyos/kernel.s"). */
static bool names_file(const char *path, const char *name)
{
    size_t n = strlen(path), k = strlen(name);
    return n >= k && strcmp(path + n - k, name) == 0 && (n == k || path[n - k - 1] == '/');
}

/* The first instruction of the first line at or after `line` of `file` in a table. */
static bool line_addr(const dbg_lines_t *L, const char *file, unsigned line, uint32_t *addr)
{
    const ui_dbg_line_t *best = NULL;
    for (size_t i = 0; i < L->n; i++) {
        const ui_dbg_line_t *r = &L->rows[i];
        if (r->line >= line && names_file(r->file, file) &&
            (!best || r->line < best->line || (r->line == best->line && r->addr < best->addr)))
            best = r;
    }
    if (best)
        *addr = best->addr;
    return best != NULL;
}

int dbg_parse_file_line(ui_dbg_t *d, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                        int *vm)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || !colon[1] ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return 0;
    char file[256];
    snprintf(file, sizeof file, "%.*s", (int)(colon - text), text);
    if (ui_dbg_space_by_name(file) >= 0 || !strchr(file, '.'))
        return 0; /* "hpa:4096" is an address; a file has an extension */
    unsigned long line = strtoul(colon + 1, NULL, 10);
    int first = d->focus_vm >= 0 ? d->focus_vm + 1 : 0; /* the focus's table, then the others */
    for (int k = 0; k <= UI_DBG_MAX_VMS; k++) {
        int t = k == 0 ? first : (k <= first ? k - 1 : k);
        if (!line_addr(&d->lines[t], file, (unsigned)line, addr))
            continue;
        *vm = t - 1;
        *space = t == 0 ? ui_dbg_default_space(d) : UI_DBG_SPACE_GVA;
        return 1;
    }
    return dbg_fail(d,
                    "No line table has code at or after %s line %lu (\"list\" shows what it "
                    "knows; hvasm writes PROG.lines beside PROG.bin).",
                    file, line);
}
