/*
 * cpu_asm_expr.c - the assembler's constant expressions and its symbol table.
 *
 * Expressions are parsed and evaluated in one go, with C's precedence:
 *
 *   |   ^   &   << >>   + -   * / %   unary - ~ +   primary
 *
 * Values are 64-bit and wrap (arithmetic is done unsigned, so it never overflows in C); a
 * value that depends on a symbol pass 1 has not seen yet is "unknown" rather than an error.
 * Primaries are numbers, character literals, symbols, '.', hi(x), lo(x) and parentheses.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu_asm_internal.h"

/* ------------------------------------------------------------------------------------------
 * The symbol table: an array, and an open-addressing hash of indices + 1 (0 = empty)
 * ------------------------------------------------------------------------------------------ */
static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int asm_sym_find(const asm_ctx_t *A, const char *name)
{
    if (A->hashcap == 0)
        return -1;
    size_t mask = A->hashcap - 1;
    for (size_t h = hash_name(name) & mask;; h = (h + 1) & mask) {
        uint32_t e = A->hash[h];
        if (e == 0)
            return -1;
        if (strcmp(A->syms[e - 1].name, name) == 0)
            return (int)(e - 1);
    }
}

/* Doubles the hash table (keeping it at most half full). */
static bool grow_hash(asm_ctx_t *A)
{
    size_t cap = A->hashcap ? 2 * A->hashcap : 256;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return false;
    for (size_t i = 0; i < A->nsyms; i++) {
        size_t j = hash_name(A->syms[i].name) & (cap - 1);
        while (h[j])
            j = (j + 1) & (cap - 1);
        h[j] = (uint32_t)i + 1;
    }
    free(A->hash);
    A->hash = h;
    A->hashcap = cap;
    return true;
}

int asm_sym_add(asm_ctx_t *A, char *name)
{
    if (A->nsyms == A->capsyms) {
        size_t cap = A->capsyms ? 2 * A->capsyms : 64;
        asm_sym_t *s = realloc(A->syms, cap * sizeof *s);
        if (!s) {
            free(name);
            return -1;
        }
        A->syms = s;
        A->capsyms = cap;
    }
    if ((A->nsyms + 1) * 2 > A->hashcap && !grow_hash(A)) {
        free(name);
        return -1;
    }
    int idx = (int)A->nsyms++;
    A->syms[idx] = (asm_sym_t){.name = name, .state = SYM_UNDEF};
    size_t j = hash_name(name) & (A->hashcap - 1);
    while (A->hash[j])
        j = (j + 1) & (A->hashcap - 1);
    A->hash[j] = (uint32_t)idx + 1;
    return idx;
}

void asm_syms_free(asm_ctx_t *A)
{
    for (size_t i = 0; i < A->nsyms; i++)
        free(A->syms[i].name);
    free(A->syms);
    free(A->hash);
    A->syms = NULL;
    A->hash = NULL;
    A->nsyms = A->capsyms = A->hashcap = 0;
}

char *asm_full_name(asm_ctx_t *A, const char *p, size_t len)
{
    const char *owner = "";
    if (len > 1 && p[0] == '.' && A->scope >= 0)
        owner = A->syms[A->scope].name;
    size_t olen = strlen(owner);
    char *name = malloc(olen + len + 1);
    if (!name)
        return NULL;
    memcpy(name, owner, olen);
    memcpy(name + olen, p, len);
    name[olen + len] = '\0';
    return name;
}

/* ------------------------------------------------------------------------------------------
 * Expressions
 * ------------------------------------------------------------------------------------------ */
static asm_ev_t known(int64_t v)
{
    return (asm_ev_t){v, EV_KNOWN};
}

static asm_ev_t with_state(asm_ev_state_t s)
{
    return (asm_ev_t){0, s};
}

/* The worse of two states: failed, then unknown, then known. */
static asm_ev_state_t worse(asm_ev_state_t a, asm_ev_state_t b)
{
    return a > b ? a : b;
}

static asm_ev_t parse_level(asm_ctx_t *A, int level, int depth);

/* The value of a symbol named by the current token. */
static asm_ev_t symbol_value(asm_ctx_t *A, const asm_tok_t *t)
{
    char *name = asm_full_name(A, t->p, t->len);
    if (!name) {
        asm_error(A, t->col, "out of memory");
        return with_state(EV_FAILED);
    }
    int i = asm_sym_find(A, name);
    asm_ev_t r = with_state(EV_FAILED);
    char desc[80];
    asm_tok_t shown = {.kind = TK_NAME, .p = name, .len = strlen(name)};
    asm_tok_desc(&shown, desc, sizeof desc);
    if (i >= 0 && A->syms[i].state == SYM_DEFINED)
        r = known(A->syms[i].value);
    else if (i >= 0 && A->syms[i].state == SYM_BAD)
        r = with_state(EV_FAILED);
    else if (A->pass == 1 && A->need_now)
        r.state = asm_value_error(A, t->col, "%s is not defined before this line, and its value "
                                             "is needed here", desc);
    else if (i >= 0 && A->syms[i].state == SYM_PENDING)
        r.state = asm_value_error(A, t->col, "%s has no value (its definition is circular or "
                                             "uses an undefined symbol)", desc);
    else
        r.state = asm_value_error(A, t->col, "undefined symbol %s", desc);
    free(name);
    return r;
}

/* hi(x) and lo(x): the name token is current and the next one is '('. */
static asm_ev_t function_value(asm_ctx_t *A, bool hi, int depth)
{
    asm_next(A);
    asm_next(A);
    asm_ev_t e = parse_level(A, 0, depth + 1);
    if (A->syntax_error)
        return with_state(EV_FAILED);
    if (!asm_accept(A, ')')) {
        char desc[80];
        asm_error(A, asm_tok(A)->col, "expected ')', found %s", asm_tok_desc(asm_tok(A), desc,
                                                                             sizeof desc));
        return with_state(EV_FAILED);
    }
    if (e.state == EV_KNOWN)
        e.v = hi ? (int64_t)(((uint64_t)e.v & 0xffffffffu) >> 16) : e.v & 0xffff;
    return e;
}

static asm_ev_t parse_primary(asm_ctx_t *A, int depth)
{
    const asm_tok_t *t = asm_tok(A);
    char desc[80];
    if (depth > ASM_MAX_EXPR_DEPTH) {
        asm_error(A, t->col, "expression nested too deeply (more than %d levels)",
                  ASM_MAX_EXPR_DEPTH);
        return with_state(EV_FAILED);
    }
    if (t->kind == TK_NUM) {
        asm_next(A);
        return known(t->num);
    }
    if (t->kind == TK_NAME) {
        if (t->len == 1 && t->p[0] == '.') {
            asm_next(A);
            return known((int64_t)A->dot);
        }
        bool is_hi = t->len == 2 && strncasecmp(t->p, "hi", 2) == 0;
        bool is_lo = t->len == 2 && strncasecmp(t->p, "lo", 2) == 0;
        if ((is_hi || is_lo) && asm_is_punct(asm_peek(A, 1), '('))
            return function_value(A, is_hi, depth);
        if (asm_reg_of(t->p, t->len) >= 0) {
            asm_error(A, t->col, "expected an expression, found register %s",
                      asm_tok_desc(t, desc, sizeof desc));
            return with_state(EV_FAILED);
        }
        asm_next(A);
        return symbol_value(A, t);
    }
    if (asm_is_punct(t, '(')) {
        asm_next(A);
        asm_ev_t e = parse_level(A, 0, depth + 1);
        if (A->syntax_error)
            return with_state(EV_FAILED);
        if (!asm_accept(A, ')')) {
            asm_error(A, asm_tok(A)->col, "expected ')', found %s",
                      asm_tok_desc(asm_tok(A), desc, sizeof desc));
            return with_state(EV_FAILED);
        }
        return e;
    }
    if (asm_is_punct(t, '-') || asm_is_punct(t, '~') || asm_is_punct(t, '+')) {
        int op = t->op;
        asm_next(A);
        asm_ev_t e = parse_primary(A, depth + 1);
        if (e.state == EV_KNOWN)
            e.v = op == '-' ? (int64_t)(0 - (uint64_t)e.v) : op == '~' ? ~e.v : e.v;
        return e;
    }
    asm_error(A, t->col, "expected an expression, found %s", asm_tok_desc(t, desc, sizeof desc));
    return with_state(EV_FAILED);
}

/* Applies a binary operator to two known values; errors at the operator's column. */
static asm_ev_t apply(asm_ctx_t *A, int op, int64_t a, int64_t b, int col)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case '+': return known((int64_t)(ua + ub));
    case '-': return known((int64_t)(ua - ub));
    case '*': return known((int64_t)(ua * ub));
    case '&': return known(a & b);
    case '|': return known(a | b);
    case '^': return known(a ^ b);
    case '/':
    case '%':
        if (b == 0)
            return with_state(asm_value_error(A, col, "division by zero"));
        if (b == -1) /* INT64_MIN / -1 overflows in C: wrap it instead */
            return known(op == '/' ? (int64_t)(0 - ua) : 0);
        return known(op == '/' ? a / b : a % b);
    default: /* 'L' or 'R' */
        if (b < 0 || b > 63)
            return with_state(asm_value_error(A, col, "shift count %lld is out of range 0..63",
                                              (long long)b));
        if (op == 'L')
            return known((int64_t)(ua << b));
        return known(a >= 0 ? a >> b : ~(~a >> b));
    }
}

/* The binary operators by precedence level, loosest first. */
static const char *const levels[] = {"|", "^", "&", "LR", "+-", "*/%"};
#define NLEVELS ((int)(sizeof levels / sizeof levels[0]))

static asm_ev_t parse_level(asm_ctx_t *A, int level, int depth)
{
    if (level == NLEVELS)
        return parse_primary(A, depth);
    asm_ev_t l = parse_level(A, level + 1, depth);
    for (;;) {
        if (A->syntax_error)
            return with_state(EV_FAILED);
        const asm_tok_t *t = asm_tok(A);
        if (t->kind != TK_PUNCT || !strchr(levels[level], t->op))
            return l;
        int op = t->op, col = t->col;
        asm_next(A);
        asm_ev_t r = parse_level(A, level + 1, depth);
        if (l.state == EV_KNOWN && r.state == EV_KNOWN)
            l = apply(A, op, l.v, r.v, col);
        else
            l = with_state(worse(l.state, r.state));
    }
}

asm_ev_t asm_expr(asm_ctx_t *A)
{
    asm_ev_t e = parse_level(A, 0, 0);
    return A->syntax_error ? with_state(EV_FAILED) : e;
}
