/*
 * cpu_asm_dir.c - the assembler's directives: .org .word .half .byte .ascii .asciz .space
 * .align .equ .global .include, one handler each, found through a table.
 *
 * Directives that decide the layout (.org, .space, .align) need their value when pass 1
 * reaches them; the others may use symbols defined later. .include only checks and finds the
 * file: the driver reads it after the current line (cpu_asm.c, process_file).
 */
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

typedef struct {
    const char *name;
    void (*fn)(asm_ctx_t *A, int arg);
    int arg;
} directive_t;

static const directive_t directives[] = {
    {".org", dir_org, 0},      {".word", dir_data, 4},     {".half", dir_data, 2},
    {".byte", dir_data, 1},    {".ascii", dir_ascii, 0},   {".asciz", dir_ascii, 1},
    {".space", dir_space, 0},  {".align", dir_align, 0},   {".equ", dir_equ, 0},
    {".global", dir_global, 0}, {".include", dir_include, 0},
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
