/*
 * cpu_asm_dir.c - the assembler's directives: .org .word .half .byte .ascii .asciz .space
 * .align .equ .global .include, and conditional assembly (.ifdef .ifndef .else .endif), one
 * handler each, found through a table.
 *
 * Directives that decide the layout (.org, .space, .align) need their value when pass 1
 * reaches them; the others may use symbols defined later. .include only checks and finds the
 * file: the driver reads it after the current line (cpu_asm.c, process_file).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu_asm_internal.h"

/* A value that decides the layout, so pass 1 must know it now. */
static asm_ev_t layout_value(asm_ctx_t *A)
{
    A->need_now = true;
    asm_ev_t e = asm_expr(A);
    A->need_now = false;
    return e;
}

static void dir_org(asm_ctx_t *A, int arg)
{
    (void)arg;
    int col = asm_tok(A)->col;
    asm_ev_t e = layout_value(A);
    asm_expect_end(A);
    if (e.state != EV_KNOWN || A->syntax_error)
        return;
    if (e.v < 0 || (uint64_t)e.v > ASM_ADDR_LIMIT) {
        asm_error(A, col, ".org address %lld is not a 32-bit address", (long long)e.v);
    } else if (!A->any_output) {
        A->base = A->loc = (uint64_t)e.v; /* before any output: sets the image base */
    } else if ((uint64_t)e.v < A->loc) {
        asm_error(A, col, ".org 0x%08llx is below the current address 0x%08llx (.org can only "
                          "move forward)", (unsigned long long)e.v, (unsigned long long)A->loc);
    } else {
        asm_emit_fill(A, 0, (uint64_t)e.v - A->loc);
    }
}

/* .word, .half, .byte: comma-separated expressions, `size` bytes each, little-endian. */
static void dir_data(asm_ctx_t *A, int size)
{
    static const struct {
        const char *name;
        long long lo, hi;
    } ranges[] = {
        [1] = {".byte", -128, 255}, [2] = {".half", -32768, 65535},
        [4] = {".word", INT32_MIN, UINT32_MAX},
    };
    do {
        int col = asm_tok(A)->col;
        asm_ev_t e = asm_expr(A);
        if (A->syntax_error)
            return;
        if (A->pass == 2 && e.state == EV_KNOWN &&
            (e.v < ranges[size].lo || e.v > ranges[size].hi))
            asm_value_error(A, col, "%s value %lld is out of range %lld..%lld", ranges[size].name,
                            (long long)e.v, ranges[size].lo, ranges[size].hi);
        uint8_t b[4];
        for (int i = 0; i < size; i++)
            b[i] = (uint8_t)((uint64_t)e.v >> (8 * i));
        asm_emit(A, b, (uint64_t)size);
    } while (asm_accept(A, ','));
    asm_expect_end(A);
}

static void put_byte(void *ctx, uint8_t b)
{
    asm_emit(ctx, &b, 1);
}

/* .ascii and .asciz (zero = 1): comma-separated strings. */
static void dir_ascii(asm_ctx_t *A, int zero)
{
    do {
        const asm_tok_t *t = asm_tok(A);
        if (t->kind != TK_STR) {
            char desc[80];
            asm_error(A, t->col, "expected a string, found %s", asm_tok_desc(t, desc, sizeof desc));
            return;
        }
        asm_string_bytes(t, put_byte, A);
        asm_next(A);
    } while (asm_accept(A, ','));
    asm_expect_end(A);
    if (zero)
        asm_emit_fill(A, 0, 1);
}

/* .space N [, FILL] */
static void dir_space(asm_ctx_t *A, int arg)
{
    (void)arg;
    int col = asm_tok(A)->col;
    asm_ev_t n = layout_value(A), fill = {0, EV_KNOWN};
    int fcol = asm_tok(A)->col;
    if (!A->syntax_error && asm_accept(A, ',')) {
        fcol = asm_tok(A)->col;
        fill = asm_expr(A);
    }
    asm_expect_end(A);
    if (A->syntax_error || n.state != EV_KNOWN)
        return;
    if (n.v < 0) {
        asm_error(A, col, ".space size %lld is negative", (long long)n.v);
        return;
    }
    if (A->pass == 2 && fill.state == EV_KNOWN && (fill.v < -128 || fill.v > 255))
        asm_value_error(A, fcol, ".space fill value %lld is out of range -128..255",
                        (long long)fill.v);
    asm_emit_fill(A, (uint8_t)fill.v, (uint64_t)n.v);
}

/* .align N: pads with zeros to a multiple of N, a power of two. */
static void dir_align(asm_ctx_t *A, int arg)
{
    (void)arg;
    int col = asm_tok(A)->col;
    asm_ev_t n = layout_value(A);
    asm_expect_end(A);
    if (A->syntax_error || n.state != EV_KNOWN)
        return;
    if (n.v <= 0 || n.v > (int64_t)1 << 32 || (n.v & (n.v - 1)) != 0) {
        asm_error(A, col, ".align %lld is not a power of two", (long long)n.v);
        return;
    }
    uint64_t a = (uint64_t)n.v;
    asm_emit_fill(A, 0, (a - A->loc % a) % a);
}

static void dir_equ(asm_ctx_t *A, int arg)
{
    (void)arg;
    const asm_tok_t *t = asm_tok(A);
    if (!asm_definable(A, t))
        return;
    asm_next(A);
    if (!asm_accept(A, ',')) {
        char desc[80];
        asm_error(A, asm_tok(A)->col, "expected ',' after the name in .equ NAME, EXPR; found %s",
                  asm_tok_desc(asm_tok(A), desc, sizeof desc));
        return;
    }
    asm_define_equ(A, t);
}

/* .global NAME[, NAME...]: accepted; every non-local label is in the symbol file anyway. */
static void dir_global(asm_ctx_t *A, int arg)
{
    (void)arg;
    do {
        if (!asm_definable(A, asm_tok(A)))
            return;
        asm_next(A);
    } while (asm_accept(A, ','));
    asm_expect_end(A);
}

static void put_char(void *ctx, uint8_t b)
{
    char **p = ctx;
    *(*p)++ = (char)b;
}

/* .include "file": read relative to the including file; processed after this line. */
static void dir_include(asm_ctx_t *A, int arg)
{
    (void)arg;
    const asm_tok_t *t = asm_tok(A);
    char desc[80];
    if (t->kind != TK_STR) {
        asm_error(A, t->col, "expected a file name in quotes, found %s",
                  asm_tok_desc(t, desc, sizeof desc));
        return;
    }
    int col = t->col;
    const char *dir = A->file->path, *slash = strrchr(dir, '/');
    size_t dlen = slash ? (size_t)(slash - dir) + 1 : 0;
    char *path = malloc(dlen + t->len + 1), *end = path;
    if (!path) {
        asm_error(A, col, "out of memory");
        return;
    }
    asm_string_bytes(t, put_char, &end);
    *end = '\0';
    size_t nlen = (size_t)(end - path);
    bool bad_name = nlen == 0 || memchr(path, '\0', nlen) != NULL;
    if (!bad_name && path[0] != '/') { /* relative to the including file */
        memmove(path + dlen, path, nlen + 1);
        memcpy(path, dir, dlen);
    }
    asm_next(A);
    asm_expect_end(A);
    const asm_file_t *f = NULL;
    char why[96];
    if (A->syntax_error)
        ;
    else if (bad_name)
        asm_error(A, col, "bad include file name");
    else if (!(f = asm_load_file(A, path)))
        asm_error(A, col, "cannot open include file '%.4000s': %s", path,
                  cpu_asm_read_error(errno, ASM_MAX_FILE_SIZE, why, sizeof why));
    for (int i = 0; f && i < A->depth; i++)
        if (A->stack[i] == f) {
            asm_error(A, col, "include recursion: '%.4000s' is already being included", path);
            f = NULL;
        }
    if (f && A->depth >= ASM_MAX_INCLUDE_DEPTH) {
        asm_error(A, col, "includes nested too deeply (more than %d levels)",
                  ASM_MAX_INCLUDE_DEPTH);
        f = NULL;
    }
    free(path);
    A->include_next = f;
}

/* ------------------------------------------------------------------------------------------
 * Conditional assembly: .ifdef NAME / .ifndef NAME, then lines, an optional .else and more
 * lines, then .endif. One source builds two programs: a file that defines NAME and then
 * includes another gets that file's NAME branches (guestos/rtos-net/kernel.s). The test is
 * whether NAME is defined above the .ifdef; pass 1 decides, and leaves its answer in a note,
 * so pass 2 (which knows every symbol) takes the same branch.
 * ------------------------------------------------------------------------------------------ */
bool asm_cond_on(const asm_ctx_t *A)
{
    return A->ncond == 0 || A->cond[A->ncond - 1].on;
}

/* .ifdef (want_defined = 1) and .ifndef (0). */
static void dir_ifdef(asm_ctx_t *A, int want_defined)
{
    const char *dir = want_defined ? ".ifdef" : ".ifndef";
    const asm_tok_t *t = asm_tok(A);
    if (t->kind != TK_NAME || !asm_valid_name(t->p, t->len)) {
        asm_error(A, t->col, "%s needs a symbol name", dir);
        return;
    }
    asm_next(A);
    asm_expect_end(A);
    if (A->syntax_error)
        return;
    if (A->ncond == ASM_MAX_COND) {
        asm_error(A, A->stmt_col, "%s nested too deeply (more than %d levels)", dir, ASM_MAX_COND);
        return;
    }
    bool outer = asm_cond_on(A), on = false;
    if (outer && A->pass == 1) {
        char *name = asm_full_name(A, t->p, t->len);
        int i = name ? asm_sym_find(A, name) : -1;
        free(name);
        bool defined = i >= 0 && A->syms[i].state != SYM_UNDEF;
        on = defined == (want_defined != 0);
        if (on)
            asm_note(A, NOTE_COND_ON);
    } else if (outer) {
        const asm_note_t *n = asm_note_get(A);
        on = n && (n->flags & NOTE_COND_ON);
    }
    A->cond[A->ncond++] =
        (asm_cond_t){.on = on, .outer_on = outer, .file = A->file, .line = A->line};
}

/* The open .ifdef of this file for a .else or .endif, or NULL after reporting there is none. */
static asm_cond_t *open_cond(asm_ctx_t *A, const char *dir)
{
    if (A->ncond == 0 || A->cond[A->ncond - 1].file != A->file) {
        asm_error(A, A->stmt_col, "%s without .ifdef or .ifndef", dir);
        return NULL;
    }
    return &A->cond[A->ncond - 1];
}

static void dir_else(asm_ctx_t *A, int arg)
{
    (void)arg;
    asm_expect_end(A);
    if (A->syntax_error)
        return;
    asm_cond_t *c = open_cond(A, ".else");
    if (!c)
        return;
    if (c->had_else) {
        asm_error(A, A->stmt_col, "a second .else for the .ifdef at line %d", c->line);
        return;
    }
    c->had_else = true;
    c->on = c->outer_on && !c->on;
}

static void dir_endif(asm_ctx_t *A, int arg)
{
    (void)arg;
    asm_expect_end(A);
    if (!A->syntax_error && open_cond(A, ".endif"))
        A->ncond--;
}

/* The length of the name at text[i] (letters, digits, '_', '.'). */
static size_t name_len(const asm_ctx_t *A, size_t i)
{
    size_t n = 0;
    while (i + n < A->len &&
           (isalnum((unsigned char)A->text[i + n]) || A->text[i + n] == '.' || A->text[i + n] == '_'))
        n++;
    return n;
}

void asm_cond_skipped_line(asm_ctx_t *A)
{
    static const char *const counted[] = {".ifdef", ".ifndef", ".else", ".endif"};
    size_t i = 0, n;
    for (;;) { /* past the labels: the statement's first word */
        while (i < A->len && (A->text[i] == ' ' || A->text[i] == '\t'))
            i++;
        n = name_len(A, i);
        if (n == 0 || i + n >= A->len || A->text[i + n] != ':')
            break;
        i += n + 1;
    }
    for (size_t k = 0; k < sizeof counted / sizeof counted[0]; k++)
        if (n == strlen(counted[k]) && strncasecmp(A->text + i, counted[k], n) == 0) {
            if (asm_tokenize(A)) {
                while (asm_tok(A)->kind == TK_NAME && asm_is_punct(asm_peek(A, 1), ':')) {
                    asm_next(A); /* a label in a branch turned off is not defined */
                    asm_next(A);
                }
                A->stmt_col = asm_tok(A)->col;
                asm_directive(A);
            }
            return;
        }
}

void asm_cond_end_of_file(asm_ctx_t *A, int opened_before)
{
    int line = A->line;
    for (int i = opened_before; i < A->ncond && A->pass == 1; i++) {
        A->line = A->cond[i].line;
        asm_error(A, 1, ".ifdef or .ifndef without .endif in this file");
    }
    A->line = line;
    if (A->ncond > opened_before)
        A->ncond = opened_before;
}

typedef struct {
    const char *name;
    void (*fn)(asm_ctx_t *A, int arg);
    int arg;
} directive_t;

static const directive_t directives[] = {
    {".org", dir_org, 0},       {".word", dir_data, 4},       {".half", dir_data, 2},
    {".byte", dir_data, 1},     {".ascii", dir_ascii, 0},     {".asciz", dir_ascii, 1},
    {".space", dir_space, 0},   {".align", dir_align, 0},     {".equ", dir_equ, 0},
    {".global", dir_global, 0}, {".include", dir_include, 0}, {".ifdef", dir_ifdef, 1},
    {".ifndef", dir_ifdef, 0},  {".else", dir_else, 0},       {".endif", dir_endif, 0},
};

void asm_directive(asm_ctx_t *A)
{
    const asm_tok_t *t = asm_tok(A);
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
        if (t->len == strlen(directives[i].name) &&
            strncasecmp(t->p, directives[i].name, t->len) == 0) {
            asm_next(A);
            directives[i].fn(A, directives[i].arg);
            return;
        }
    }
    char desc[80];
    asm_error(A, t->col, "unknown directive %s", asm_tok_desc(t, desc, sizeof desc));
}
