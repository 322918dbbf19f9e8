/*
 * cpu_asm_lex.c - the assembler's lexer and its diagnostics.
 *
 * A source line (any bytes, NUL included; it is not NUL-terminated) becomes an array of
 * tokens ending with TK_END. Comments start with ';' or '#'. Errors are collected with the
 * position they refer to and printed, sorted, when the assembly ends: pass 1 and pass 2 find
 * different errors, and a reader wants them in the order of the source.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu_asm_internal.h"

/* ------------------------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------------------------ */

/* Records one formatted diagnostic; counts it even when the store is full. */
static void add_diag(asm_ctx_t *A, const char *where, int col, const char *fmt, va_list ap)
{
    A->errors++;
    A->line_error = true;
    if (A->errors > A->max_errors) {
        A->stop = true;
        return;
    }
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t need = strlen(where) + strlen(msg) + 32;
    char *text = malloc(need);
    if (!text)
        return;
    snprintf(text, need, "%s: error: %s", where, msg);
    if (A->ndiags == A->capdiags) {
        size_t cap = A->capdiags ? 2 * A->capdiags : 16;
        asm_diag_t *d = realloc(A->diags, cap * sizeof *d);
        if (!d) {
            free(text);
            return;
        }
        A->diags = d;
        A->capdiags = cap;
    }
    A->diags[A->ndiags] = (asm_diag_t){A->seq, col, A->ndiags, text};
    A->ndiags++;
}

/* Records a diagnostic at column `col` of the current line. */
static void line_diag(asm_ctx_t *A, int col, const char *fmt, va_list ap)
{
    char where[4200];
    if (A->file)
        snprintf(where, sizeof where, "%.4096s:%d:%d", A->file->path, A->line, col);
    else
        snprintf(where, sizeof where, "hvasm");
    add_diag(A, where, col, fmt, ap);
}

void asm_error(asm_ctx_t *A, int col, const char *fmt, ...)
{
    A->syntax_error = true;
    va_list ap;
    va_start(ap, fmt);
    line_diag(A, col, fmt, ap);
    va_end(ap);
}

asm_ev_state_t asm_value_error(asm_ctx_t *A, int col, const char *fmt, ...)
{
    if (A->pass == 1 && !A->need_now)
        return EV_UNKNOWN;
    va_list ap;
    va_start(ap, fmt);
    line_diag(A, col, fmt, ap);
    va_end(ap);
    return EV_FAILED;
}

void asm_error_at(asm_ctx_t *A, const char *where, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(A, where, col, fmt, ap);
    va_end(ap);
}

static int cmp_diag(const void *a, const void *b)
{
    const asm_diag_t *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void asm_flush_diags(asm_ctx_t *A)
{
    if (A->ndiags > 1)
        qsort(A->diags, A->ndiags, sizeof *A->diags, cmp_diag);
    for (size_t i = 0; i < A->ndiags; i++) {
        if (A->diag)
            fprintf(A->diag, "%s\n", A->diags[i].text);
        free(A->diags[i].text);
    }
    if (A->diag && A->errors > A->max_errors)
        fprintf(A->diag, "%s: error: too many errors (%d shown); stopping\n",
                A->nfiles ? A->files[0]->path : "hvasm", A->max_errors);
    free(A->diags);
    A->diags = NULL;
    A->ndiags = A->capdiags = 0;
}

/* ------------------------------------------------------------------------------------------
 * Names and registers
 * ------------------------------------------------------------------------------------------ */
static bool name_start(int c)
{
    return isalpha(c) || c == '_' || c == '.';
}

static bool name_char(int c)
{
    return isalnum(c) || c == '_' || c == '.';
}

int asm_reg_of(const char *p, size_t len)
{
    static const struct {
        const char *name;
        int reg;
    } aliases[] = {{"zero", CPU_REG_ZERO}, {"sp", CPU_REG_SP}, {"lr", CPU_REG_LR}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (len == strlen(aliases[i].name) && strncasecmp(p, aliases[i].name, len) == 0)
            return aliases[i].reg;
    if (len < 2 || len > 3 || (p[0] != 'r' && p[0] != 'R'))
        return -1;
    if (!isdigit((unsigned char)p[1]) || (len == 3 && !isdigit((unsigned char)p[2])))
        return -1;
    if (len == 3 && p[1] == '0')
        return -1; /* r01 is not a register */
    int n = len == 2 ? p[1] - '0' : (p[1] - '0') * 10 + (p[2] - '0');
    return n < CPU_NREGS ? n : -1;
}

bool asm_valid_name(const char *p, size_t len)
{
    if (len == 0 || !name_start((unsigned char)p[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!name_char((unsigned char)p[i]))
            return false;
    return asm_reg_of(p, len) < 0;
}

bool asm_tok_cstr(const asm_tok_t *t, char *buf, size_t len)
{
    if (t->len >= len)
        return false;
    memcpy(buf, t->p, t->len);
    buf[t->len] = '\0';
    return true;
}

const char *asm_tok_desc(const asm_tok_t *t, char *buf, size_t len)
{
    if (t->kind == TK_END) {
        snprintf(buf, len, "end of line");
        return buf;
    }
    size_t o = 0;
    if (len < 8) {
        buf[0] = '\0';
        return buf;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < t->len && o + 8 < len; i++) {
        unsigned char c = (unsigned char)t->p[i];
        if (i == 40) {
            o += (size_t)snprintf(buf + o, len - o, "...");
            break;
        }
        if (isprint(c))
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------------------------ */
const asm_tok_t *asm_tok(asm_ctx_t *A)
{
    return &A->toks[A->ti];
}

const asm_tok_t *asm_peek(asm_ctx_t *A, size_t ahead)
{
    size_t i = A->ti + ahead;
    return &A->toks[i < A->ntoks ? i : A->ntoks - 1];
}

void asm_next(asm_ctx_t *A)
{
    if (A->ti + 1 < A->ntoks)
        A->ti++;
}

bool asm_is_punct(const asm_tok_t *t, int op)
{
    return t->kind == TK_PUNCT && t->op == op;
}

bool asm_accept(asm_ctx_t *A, int op)
{
    if (!asm_is_punct(asm_tok(A), op))
        return false;
    asm_next(A);
    return true;
}

static bool push_tok(asm_ctx_t *A, asm_tok_t t)
{
    if (A->ntoks == A->captoks) {
        size_t cap = A->captoks ? 2 * A->captoks : 64;
        asm_tok_t *n = realloc(A->toks, cap * sizeof *n);
        if (!n)
            return false;
        A->toks = n;
        A->captoks = cap;
    }
    A->toks[A->ntoks++] = t;
    return true;
}

/* One escape after a backslash at s[i]: the byte it stands for, or -1. */
static int escape_value(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return '\0';
    case '\\': return '\\';
    case '\'': return '\'';
    case '"': return '"';
    default: return -1;
    }
}

/* Reads a number starting at s[i]; returns its length, 0 after reporting an error. */
static size_t lex_number(asm_ctx_t *A, size_t i, int64_t *out)
{
    const char *s = A->text;
    size_t j = i;
    while (j < A->len && name_char((unsigned char)s[j]) && s[j] != '.')
        j++;
    unsigned base = 10;
    size_t k = i;
    if (j - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        base = 16, k += 2;
    else if (j - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B'))
        base = 2, k += 2;
    uint64_t v = 0;
    for (; k < j; k++) {
        int c = (unsigned char)s[k], d;
        if (isdigit(c))
            d = c - '0';
        else if (isxdigit(c))
            d = tolower(c) - 'a' + 10;
        else
            d = 99;
        if ((unsigned)d >= base) {
            asm_tok_t t = {.p = s + i, .len = j - i, .kind = TK_NAME};
            char desc[80];
            asm_error(A, (int)i + 1, "invalid number %s", asm_tok_desc(&t, desc, sizeof desc));
            return 0;
        }
        if (v > ((uint64_t)INT64_MAX - (unsigned)d) / base) {
            asm_error(A, (int)i + 1, "number is too large");
            return 0;
        }
        v = v * base + (unsigned)d;
    }
    *out = (int64_t)v;
    return j - i;
}

/* Reads a character literal starting at the quote s[i]; returns its length, 0 on error. */
static size_t lex_char(asm_ctx_t *A, size_t i, int64_t *out)
{
    const char *s = A->text;
    size_t j = i + 1;
    if (j >= A->len || s[j] == '\'') {
        asm_error(A, (int)i + 1, j >= A->len ? "unterminated character literal"
                                             : "empty character literal");
        return 0;
    }
    int v = (unsigned char)s[j];
    if (s[j] == '\\') {
        if (j + 1 >= A->len) {
            asm_error(A, (int)i + 1, "unterminated character literal");
            return 0;
        }
        v = escape_value(s[j + 1]);
        if (v < 0) {
            asm_error(A, (int)j + 1, "unknown escape sequence '\\%c'",
                      isprint((unsigned char)s[j + 1]) ? s[j + 1] : '?');
            return 0;
        }
        j++;
    }
    j++;
    if (j >= A->len || s[j] != '\'') {
        asm_error(A, (int)i + 1, "unterminated character literal");
        return 0;
    }
    *out = v;
    return j + 1 - i;
}

/* Checks a string literal starting at the quote s[i]; returns its length, 0 on error. */
static size_t lex_string(asm_ctx_t *A, size_t i)
{
    const char *s = A->text;
    for (size_t j = i + 1; j < A->len; j++) {
        if (s[j] == '"')
            return j + 1 - i;
        if (s[j] != '\\')
            continue;
        if (j + 1 < A->len && escape_value(s[j + 1]) < 0) {
            asm_error(A, (int)j + 1, "unknown escape sequence '\\%c'",
                      isprint((unsigned char)s[j + 1]) ? s[j + 1] : '?');
            return 0;
        }
        j++;
    }
    asm_error(A, (int)i + 1, "unterminated string");
    return 0;
}

void asm_string_bytes(const asm_tok_t *t, void (*put)(void *ctx, uint8_t b), void *ctx)
{
    for (size_t j = 1; j + 1 < t->len; j++) {
        int c = (unsigned char)t->p[j];
        if (c == '\\')
            c = escape_value(t->p[++j]);
        put(ctx, (uint8_t)c);
    }
}

bool asm_tokenize(asm_ctx_t *A)
{
    const char *s = A->text;
    A->ntoks = 0;
    A->ti = 0;
    size_t i = 0;
    for (;;) {
        while (i < A->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' ||
                              s[i] == '\v'))
            i++;
        asm_tok_t t = {.p = s + i, .col = (int)(i < (size_t)INT32_MAX ? i + 1 : INT32_MAX)};
        int c = i < A->len ? (unsigned char)s[i] : -1;
        if (c < 0 || c == ';' || c == '#') {
            t.kind = TK_END;
            t.len = 0;
            if (push_tok(A, t))
                return true;
            asm_error(A, t.col, "out of memory");
            return false;
        }
        size_t n = 0;
        if (isdigit(c)) {
            t.kind = TK_NUM;
            n = lex_number(A, i, &t.num);
        } else if (name_start(c)) {
            t.kind = TK_NAME;
            for (n = 1; i + n < A->len && name_char((unsigned char)s[i + n]); n++)
                ;
        } else if (c == '\'') {
            t.kind = TK_NUM;
            n = lex_char(A, i, &t.num);
        } else if (c == '"') {
            t.kind = TK_STR;
            n = lex_string(A, i);
        } else if ((c == '<' || c == '>') && i + 1 < A->len && s[i + 1] == c) {
            t.kind = TK_PUNCT;
            t.op = c == '<' ? 'L' : 'R';
            n = 2;
        } else if (c && strchr(",:[]()+-*/%&|^~=", c)) {
            t.kind = TK_PUNCT;
            t.op = c;
            n = 1;
        } else if (isprint(c)) {
            asm_error(A, t.col, "unexpected character '%c'", c);
        } else {
            asm_error(A, t.col, "unexpected byte 0x%02x", (unsigned)c);
        }
        if (n == 0)
            return false;
        t.len = n;
        if (!push_tok(A, t)) {
            asm_error(A, t.col, "out of memory");
            return false;
        }
        i += n;
    }
}
