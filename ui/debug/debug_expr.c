/*
 * debug_expr.c - the debugger's small expression language, for `until COND`, `print` and
 * addresses: numbers, registers, CSRs, the mode, the counters, symbols and memory words,
 * combined with C's operators at C's precedence.
 *
 * An expression is compiled once into postfix code (a short array of nodes) and evaluated on
 * a CPU as often as needed: `until` evaluates it before every instruction. Symbols are looked
 * up at compile time, registers and memory at evaluation time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debug_internal.h"

#define MAX_NODES 64

typedef enum {
    N_CONST, /* value */
    N_REG,   /* r[arg] */
    N_PC,
    N_FLAGS,
    N_MODE,
    N_CYCLE,
    N_INSTRET,
    N_CSR,  /* csr arg, as csrr reads it */
    N_VMCB, /* the host-physical address of the shown VCPU's VMCB */
    N_LOAD, /* pop an address, push the word there */
    N_NEG,
    N_NOT,
    N_LNOT,
    N_BINARY, /* arg: index into binops */
} node_kind_t;

typedef struct {
    uint8_t kind;
    uint8_t arg;
    uint64_t value;
} node_t;

struct ui_dbg_cond {
    char *text;
    size_t n;
    node_t code[MAX_NODES];
};

/* Binary operators, two-character ones first so that they match before their prefixes. */
static const struct {
    const char *op;
    int prec;
} binops[] = {
    {"||", 1}, {"&&", 2}, {"==", 6}, {"!=", 6}, {"<=", 7}, {">=", 7},
    {"<<", 8}, {">>", 8}, {"|", 3},  {"^", 4},  {"&", 5},  {"<", 7},
    {">", 7},  {"+", 9},  {"-", 9},  {"*", 10}, {"/", 10}, {"%", 10},
};
#define NBINOPS (sizeof binops / sizeof binops[0])

/* Names with a meaning of their own, before CSRs and symbols. */
static const struct {
    const char *name;
    node_kind_t kind;
    uint64_t value;
} names[] = {
    {"pc", N_PC, 0},
    {"flags", N_FLAGS, 0},
    {"mode", N_MODE, 0},
    {"cycle", N_CYCLE, 0},
    {"instret", N_INSTRET, 0},
    {"vmcb", N_VMCB, 0},
    {"zero", N_REG, 0},
    {"sp", N_REG, CPU_REG_SP},
    {"lr", N_REG, CPU_REG_LR},
    {"U", N_CONST, CPU_MODE_U},
    {"K", N_CONST, CPU_MODE_K},
    {"H", N_CONST, CPU_MODE_H},
};

typedef struct {
    ui_dbg_t *d;
    const char *text, *p;
    ui_dbg_cond_t *c;
    bool failed;
} parser_t;

static bool fail(parser_t *P, const char *what)
{
    if (!P->failed) {
        if (*P->p)
            dbg_fail(P->d, "Bad expression \"%s\": %s at \"%.20s\".", P->text, what, P->p);
        else
            dbg_fail(P->d, "Bad expression \"%s\": %s at the end.", P->text, what);
    }
    P->failed = true;
    return false;
}

static bool emit(parser_t *P, node_kind_t kind, uint8_t arg, uint64_t value)
{
    if (P->c->n == MAX_NODES)
        return fail(P, "it is too long");
    P->c->code[P->c->n++] = (node_t){(uint8_t)kind, arg, value};
    return true;
}

static void skip_space(parser_t *P)
{
    while (isspace((unsigned char)*P->p))
        P->p++;
}

static bool is_name_char(char ch, bool first)
{
    return isalpha((unsigned char)ch) || ch == '_' || ch == '.' ||
           (!first && isdigit((unsigned char)ch));
}

static bool parse_name(parser_t *P)
{
    char name[128];
    size_t n = 0;
    while (is_name_char(*P->p, n == 0) && n + 1 < sizeof name)
        name[n++] = *P->p++;
    if (*P->p == ':' && is_name_char(P->p[1], true)) { /* "tinyos:disk_read": a VM's symbol */
        name[n++] = *P->p++;
        while (is_name_char(*P->p, false) && n + 1 < sizeof name)
            name[n++] = *P->p++;
    }
    name[n] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return emit(P, names[i].kind, (uint8_t)names[i].value, names[i].value);
    if (name[0] == 'r' && isdigit((unsigned char)name[1])) {
        char *end;
        long r = strtol(name + 1, &end, 10);
        if (!*end && r >= 0 && r < CPU_NREGS)
            return emit(P, N_REG, (uint8_t)r, 0);
    }
    int csr = cpu_csr_by_name(name);
    if (csr >= 0)
        return emit(P, N_CSR, (uint8_t)csr, 0);
    uint32_t addr;
    int vm, found = dbg_symbol_find(P->d, name, &addr, &vm);
    if (found == 0) {
        P->d->eval_vm = vm;
        return emit(P, N_CONST, 0, addr);
    }
    P->p -= n;
    if (found == -2) { /* its own sentence: ambiguous, or not in the VM named */
        P->failed = true;
        return false;
    }
    char what[200];
    snprintf(what, sizeof what, "\"%s\" is not a register, CSR or symbol", name);
    return fail(P, what);
}

static bool parse_binary(parser_t *P, int min_prec);

static bool parse_primary(parser_t *P)
{
    skip_space(P);
    char ch = *P->p;
    if (isdigit((unsigned char)ch)) {
        char *end;
        uint64_t v;
        if (ch == '0' && (P->p[1] == 'b' || P->p[1] == 'B'))
            v = strtoull(P->p + 2, &end, 2);
        else
            v = strtoull(P->p, &end, 0);
        if (is_name_char(*end, false))
            return fail(P, "a number has a stray letter");
        P->p = end;
        return emit(P, N_CONST, 0, v);
    }
    if (ch == '$')
        P->p++, ch = *P->p; /* gdb's $r3, $pc */
    if (is_name_char(ch, true))
        return parse_name(P);
    if (ch == '(' || ch == '[') {
        P->p++;
        if (!parse_binary(P, 1))
            return false;
        skip_space(P);
        char close = ch == '(' ? ')' : ']';
        if (*P->p != close)
            return fail(P, ch == '(' ? "a \")\" is missing" : "a \"]\" is missing");
        P->p++;
        return ch == '[' ? emit(P, N_LOAD, 0, 0) : true;
    }
    return fail(P, ch ? "a value is expected" : "a value is missing");
}

static bool parse_unary(parser_t *P)
{
    skip_space(P);
    static const char ops[] = "-~!";
    static const node_kind_t kinds[] = {N_NEG, N_NOT, N_LNOT};
    const char *op = *P->p ? strchr(ops, *P->p) : NULL;
    if (op && !(op[0] == '!' && P->p[1] == '=')) {
        P->p++;
        return parse_unary(P) && emit(P, kinds[op - ops], 0, 0);
    }
    return parse_primary(P);
}

static int match_binop(parser_t *P)
{
    skip_space(P);
    for (size_t i = 0; i < NBINOPS; i++)
        if (strncmp(P->p, binops[i].op, strlen(binops[i].op)) == 0)
            return (int)i;
    return -1;
}

/* Precedence climbing: operands and operators of precedence >= min_prec, left-associative. */
static bool parse_binary(parser_t *P, int min_prec)
{
    if (!parse_unary(P))
        return false;
    for (;;) {
        int op = match_binop(P);
        if (op < 0 || binops[op].prec < min_prec)
            return true;
        P->p += strlen(binops[op].op);
        if (!parse_binary(P, binops[op].prec + 1) || !emit(P, N_BINARY, (uint8_t)op, 0))
            return false;
    }
}

ui_dbg_cond_t *ui_dbg_cond_parse(ui_dbg_t *dbg, const char *text)
{
    ui_dbg_cond_t *c = calloc(1, sizeof *c);
    char *copy = strdup(text);
    if (!c || !copy) {
        free(c);
        free(copy);
        dbg_fail(dbg, "out of memory");
        return NULL;
    }
    c->text = copy;
    parser_t P = {.d = dbg, .text = text, .p = text, .c = c};
    skip_space(&P);
    if (!*P.p)
        fail(&P, "there is nothing to evaluate");
    else if (parse_binary(&P, 1)) {
        skip_space(&P);
        if (*P.p)
            fail(&P, *P.p == ')' || *P.p == ']' ? "there is no opening bracket for this"
                                                : "an operator is expected");
    }
    if (P.failed) {
        ui_dbg_cond_free(c);
        return NULL;
    }
    return c;
}

static uint64_t binary(unsigned op, uint64_t a, uint64_t b)
{
    switch (op) {
    case 0: return a || b;
    case 1: return a && b;
    case 2: return a == b;
    case 3: return a != b;
    case 4: return a <= b;
    case 5: return a >= b;
    case 6: return b > 63 ? 0 : a << b;
    case 7: return b > 63 ? 0 : a >> b;
    case 8: return a | b;
    case 9: return a ^ b;
    case 10: return a & b;
    case 11: return a < b;
    case 12: return a > b;
    case 13: return a + b;
    case 14: return a - b;
    case 15: return a * b;
    case 16: return a / b;
    default: return a % b;
    }
}

/* A value and whether it is 64 bits wide (cycle, instret, a constant above 32 bits). Results
 * of 32-bit operands wrap at 32 bits, as the CPU's would: `r3 == -1`, `5 - 7 == -2`. */
typedef struct {
    uint64_t v;
    bool wide;
} value_t;

static value_t narrow(uint64_t v, bool wide)
{
    return (value_t){wide ? v : (v & 0xffffffffu), wide};
}

/* `vmcb`: where the VMCB of the VCPU cpu shows (at an exit, the exiting one) is in host RAM,
 * so that `x/8x hpa:vmcb` and `set *hpa:vmcb = 2` need no address copied by hand. */
static int vmcb_of(ui_dbg_t *dbg, const cpu_t *cpu, uint64_t *hpa)
{
    ui_dbg_view_t view;
    ui_dbg_vcpu_t info;
    ui_dbg_view(dbg, cpu->s.id, &view);
    if (view.vm < 0 || view.vcpu < 0)
        return dbg_fail(dbg, "vmcb: pCPU%u holds no VCPU, so there is no VMCB to name.", cpu->s.id);
    if (ui_dbg_vcpu_info(dbg, (unsigned)view.vm, (unsigned)view.vcpu, &info) != 0)
        return -1;
    *hpa = info.vmcb;
    return 0;
}

int ui_dbg_cond_eval(ui_dbg_t *dbg, const ui_dbg_cond_t *cond, const cpu_t *cpu, uint64_t *value)
{
    value_t st[MAX_NODES];
    size_t sp = 0;
    for (size_t i = 0; i < cond->n; i++) {
        const node_t *n = &cond->code[i];
        value_t x = {0, false};
        switch ((node_kind_t)n->kind) {
        case N_CONST: x = (value_t){n->value, n->value > 0xffffffffu}; break;
        case N_REG:
        case N_PC:
        case N_FLAGS:
            if (dbg_no_registers(dbg, cpu)) /* ring -1 with no exit: none to read */
                return dbg_fail(dbg, "%s", dbg_no_registers(dbg, cpu));
            x.v = n->kind == N_PC      ? cpu->s.pc
                  : n->kind == N_FLAGS ? cpu->s.flags
                  : n->arg == 0        ? 0
                                       : cpu->s.r[n->arg];
            break;
        case N_MODE: x.v = cpu_mode(cpu); break;
        case N_CYCLE: x = (value_t){cpu->s.cycles, true}; break;
        case N_INSTRET: x = (value_t){cpu->s.instret, true}; break;
        case N_CSR: x.v = cpu_csr_read(cpu, n->arg); break;
        case N_VMCB:
            if (vmcb_of(dbg, cpu, &x.v) != 0)
                return -1;
            break;
        case N_LOAD: {
            uint8_t b[4];
            uint64_t a = st[--sp].v;
            if (a > 0xffffffffu)
                return dbg_fail(dbg, "[0x%llx] is beyond the 32-bit address space.",
                                (unsigned long long)a);
            if (ui_dbg_read(dbg, ui_dbg_default_space(dbg), (uint32_t)a, b, 4) != 0)
                return -1;
            x.v =
                (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            break;
        }
        case N_NEG: x = st[--sp], x = narrow(-x.v, x.wide); break;
        case N_NOT: x = st[--sp], x = narrow(~x.v, x.wide); break;
        case N_LNOT: x.v = !st[--sp].v; break;
        case N_BINARY: {
            value_t b = st[--sp], a = st[--sp];
            if ((n->arg == 16 || n->arg == 17) && b.v == 0)
                return dbg_fail(dbg, "\"%s\" divides by zero.", cond->text);
            x = narrow(binary(n->arg, a.v, b.v), a.wide || b.wide);
            break;
        }
        }
        st[sp++] = x;
    }
    *value = sp ? st[sp - 1].v : 0;
    return 0;
}

const char *ui_dbg_cond_text(const ui_dbg_cond_t *cond)
{
    return cond->text;
}

void ui_dbg_cond_free(ui_dbg_cond_t *cond)
{
    if (!cond)
        return;
    free(cond->text);
    free(cond);
}

int ui_dbg_eval(ui_dbg_t *dbg, const char *text, uint64_t *value)
{
    dbg->eval_vm = UI_DBG_ANY_VM;
    dbg->eval_guest = false;
    ui_dbg_cond_t *c = ui_dbg_cond_parse(dbg, text);
    if (!c)
        return -1;
    /* [tinyos:ticks] reads tinyos's memory, whatever the focus. */
    int use = dbg->use_vm;
    if (use < 0 && dbg->eval_vm >= 0)
        dbg->use_vm = dbg->eval_vm;
    int rc = ui_dbg_cond_eval(dbg, c, dbg_eval_cpu(dbg), value);
    dbg->use_vm = use;
    ui_dbg_cond_free(c);
    return rc;
}
