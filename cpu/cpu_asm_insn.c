/*
 * cpu_asm_insn.c - instructions and pseudo-instructions: reading operands as the ISA table
 * describes them, checking their ranges, and encoding with cpu_encode.
 *
 * Real instructions come straight from CPU_ISA: the operand kinds say how each operand is
 * written. Pseudo-instructions are a table of expansions into real instructions (docs/isa.md,
 * "Pseudo-instructions"); each expansion step names where its registers and immediate come
 * from, and goes through the same encoder as a real instruction.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu_asm_internal.h"

/* One operand as read: a register, or a value (immediate, offset, CSR number, target). */
typedef struct {
    int reg;
    asm_ev_t ev;
    int col;
} operand_t;

/* How operand kinds are named in messages and usage lines. */
static const char *const kind_usage[] = {
    [CPU_OPK_RD] = "RD",     [CPU_OPK_RS1] = "RS1",     [CPU_OPK_RS2] = "RS2",
    [CPU_OPK_IMM] = "IMM",   [CPU_OPK_UIMM] = "UIMM",   [CPU_OPK_SHAMT] = "SHAMT",
    [CPU_OPK_MEM] = "[RS1 + IMM]", [CPU_OPK_CSR] = "CSR", [CPU_OPK_REL20] = "TARGET",
    [CPU_OPK_REL24] = "TARGET",
};

/* Ranges of the immediate kinds, for messages; the check itself is cpu_operand_fits. */
static const struct {
    const char *what;
    long lo, hi;
} kind_range[] = {
    [CPU_OPK_IMM] = {"immediate", -32768, 32767}, [CPU_OPK_UIMM] = {"immediate", 0, 65535},
    [CPU_OPK_SHAMT] = {"shift amount", 0, 31},    [CPU_OPK_MEM] = {"offset", -32768, 32767},
    [CPU_OPK_CSR] = {"CSR number", 0, 65535},
};

static bool is_reg_kind(unsigned k)
{
    return k == CPU_OPK_RD || k == CPU_OPK_RS1 || k == CPU_OPK_RS2;
}

/* ------------------------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------------------------ */

/* Checks a branch or jump target and turns it into the byte offset from the instruction. */
static bool rel_offset(asm_ctx_t *A, unsigned kind, const operand_t *o, int32_t *off)
{
    int64_t t = o->ev.v;
    if (t < INT32_MIN || t > (int64_t)UINT32_MAX) {
        asm_value_error(A, o->col, "branch target %lld is not a 32-bit address", (long long)t);
        return false;
    }
    /* The hardware adds the offset modulo 2^32, so the assembler does too. */
    *off = (int32_t)(uint32_t)((uint64_t)t - A->loc);
    if (*off % 4 != 0) {
        asm_value_error(A, o->col, "misaligned branch target 0x%08x (%d bytes away, not a "
                                   "multiple of 4)", (unsigned)(uint32_t)t, (int)*off);
        return false;
    }
    if (!cpu_operand_fits((cpu_opkind_t)kind, *off)) {
        long reach = kind == CPU_OPK_REL20 ? 2 : 32;
        asm_value_error(A, o->col, "branch target 0x%08x is out of range (%d bytes away; the "
                                   "reach is -%ld MiB..+%ld MiB)", (unsigned)(uint32_t)t,
                        (int)*off, reach, reach);
        return false;
    }
    return true;
}

/* Encodes and emits one real instruction from its operands (in table order). Ranges are
 * checked in pass 2; operands whose value failed are encoded as 0 without a second error. */
static void emit_insn(asm_ctx_t *A, int op, const operand_t *ops)
{
    const cpu_insn_info_t *info = &cpu_isa[op];
    cpu_insn_t in = {.op = (cpu_op_t)op};
    for (int i = 0; i < 3 && A->pass == 2; i++) {
        unsigned k = info->operands[i];
        const operand_t *o = &ops[i];
        if (k == CPU_OPK_NONE)
            continue;
        if (k == CPU_OPK_RD)
            in.rd = (uint8_t)o->reg;
        else if (k == CPU_OPK_RS1 || k == CPU_OPK_MEM)
            in.rs1 = (uint8_t)o->reg;
        else if (k == CPU_OPK_RS2)
            in.rs2 = (uint8_t)o->reg;
        if (is_reg_kind(k) || o->ev.state != EV_KNOWN)
            continue;
        int32_t off;
        if (k == CPU_OPK_REL20 || k == CPU_OPK_REL24) {
            if (rel_offset(A, k, o, &off))
                in.imm = off;
        } else if (!cpu_operand_fits((cpu_opkind_t)k, o->ev.v)) {
            asm_value_error(A, o->col, "%s %lld is out of range %ld..%ld", kind_range[k].what,
                            (long long)o->ev.v, kind_range[k].lo, kind_range[k].hi);
        } else {
            in.imm = (int32_t)o->ev.v;
        }
    }
    asm_emit_word(A, cpu_encode(&in));
}

/* ------------------------------------------------------------------------------------------
 * Operands
 * ------------------------------------------------------------------------------------------ */
static void expected(asm_ctx_t *A, const char *what)
{
    char desc[80];
    asm_error(A, asm_tok(A)->col, "expected %s, found %s", what,
              asm_tok_desc(asm_tok(A), desc, sizeof desc));
}

static bool parse_reg(asm_ctx_t *A, operand_t *o)
{
    const asm_tok_t *t = asm_tok(A);
    o->col = t->col;
    o->reg = t->kind == TK_NAME ? asm_reg_of(t->p, t->len) : -1;
    if (o->reg < 0) {
        expected(A, "a register");
        return false;
    }
    asm_next(A);
    return true;
}

static bool parse_value(asm_ctx_t *A, operand_t *o)
{
    o->col = asm_tok(A)->col;
    o->ev = asm_expr(A);
    return !A->syntax_error;
}

/* [rN + expr], [rN - expr], [rN] or [expr] (rs1 = r0). */
static bool parse_mem(asm_ctx_t *A, operand_t *o)
{
    if (!asm_is_punct(asm_tok(A), '[')) {
        expected(A, "a memory operand like [r1 + 8]");
        return false;
    }
    asm_next(A);
    const asm_tok_t *t = asm_tok(A);
    o->reg = 0;
    o->ev = (asm_ev_t){0, EV_KNOWN};
    o->col = t->col;
    if (t->kind == TK_NAME && asm_reg_of(t->p, t->len) >= 0) {
        parse_reg(A, o);
        t = asm_tok(A);
        if (asm_is_punct(t, '+') || asm_is_punct(t, '-')) {
            /* the sign stays: [r1 - 4 + x] is r1 + (-4 + x) */
            if (!parse_value(A, o))
                return false;
        } else if (!asm_is_punct(t, ']')) {
            expected(A, "'+', '-' or ']'");
            return false;
        }
    } else if (!parse_value(A, o)) {
        return false;
    }
    if (!asm_accept(A, ']')) {
        expected(A, "']'");
        return false;
    }
    return true;
}

/* A CSR name, or an expression giving its number. */
static bool parse_csr(asm_ctx_t *A, operand_t *o)
{
    const asm_tok_t *t = asm_tok(A), *after = asm_peek(A, 1);
    char name[16];
    bool alone = t->kind == TK_NAME && (after->kind == TK_END || asm_is_punct(after, ','));
    if (alone && asm_tok_cstr(t, name, sizeof name) && cpu_csr_by_name(name) >= 0) {
        o->col = t->col;
        o->ev = (asm_ev_t){cpu_csr_by_name(name), EV_KNOWN};
        asm_next(A);
        return true;
    }
    if (alone && A->pass == 2 && asm_reg_of(t->p, t->len) < 0) {
        char *full = asm_full_name(A, t->p, t->len);
        int i = full ? asm_sym_find(A, full) : -1;
        free(full);
        if (i < 0) {
            char desc[80];
            o->col = t->col;
            o->ev.state = asm_value_error(A, t->col, "unknown CSR %s",
                                          asm_tok_desc(t, desc, sizeof desc));
            asm_next(A);
            return true;
        }
    }
    return parse_value(A, o);
}

static bool parse_operand(asm_ctx_t *A, unsigned kind, operand_t *o)
{
    if (is_reg_kind(kind))
        return parse_reg(A, o);
    if (kind == CPU_OPK_MEM)
        return parse_mem(A, o);
    if (kind == CPU_OPK_CSR)
        return parse_csr(A, o);
    return parse_value(A, o);
}

/* Reads `n` operands of the given kinds separated by commas, then the end of the line.
 * `usage` describes the instruction for a message about the operand count. */
static bool parse_operands(asm_ctx_t *A, const uint8_t *kinds, int n, operand_t *ops,
                           const char *mnemonic, const char *usage, int mcol)
{
    for (int i = 0; i < n; i++) {
        if (i > 0 && !asm_accept(A, ',')) {
            if (asm_tok(A)->kind == TK_END) {
                asm_error(A, mcol, "'%s' takes %d operands (%s), got %d", mnemonic, n, usage, i);
                return false;
            }
            expected(A, "','");
            return false;
        }
        if (i == 0 && asm_tok(A)->kind == TK_END) {
            asm_error(A, mcol, "'%s' takes %d operand%s (%s), got none", mnemonic, n,
                      n == 1 ? "" : "s", usage);
            return false;
        }
        if (!parse_operand(A, kinds[i], &ops[i]))
            return false;
    }
    if (asm_tok(A)->kind == TK_END)
        return true;
    if (n == 0)
        asm_error(A, asm_tok(A)->col, "'%s' takes no operands", mnemonic);
    else if (asm_is_punct(asm_tok(A), ','))
        asm_error(A, asm_tok(A)->col, "'%s' takes %d operand%s (%s), got more", mnemonic, n,
                  n == 1 ? "" : "s", usage);
    else
        expected(A, "',' or end of line");
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Pseudo-instructions
 * ------------------------------------------------------------------------------------------ */
/* Where a step's register comes from: written operand 0 or 1, or a fixed register. */
enum { SRC_NONE, SRC_A0, SRC_A1, SRC_R0, SRC_LR };
/* Where a step's immediate comes from. */
enum { IMM_NONE, IMM_ZERO, IMM_M1, IMM_VAL, IMM_HI, IMM_LO };

typedef struct {
    uint8_t op;
    uint8_t rd, rs1, rs2, imm;
} pseudo_step_t;

typedef struct {
    const char *name;
    const char *usage;
    uint8_t nops;
    uint8_t kinds[2]; /* CPU_OPK_RD for a register, CPU_OPK_IMM for an expression */
    uint8_t nsteps;
    pseudo_step_t steps[2];
} pseudo_t;

#define R CPU_OPK_RD
#define E CPU_OPK_IMM
/* The expansions of docs/isa.md. li picks one of its three rows by the value (see asm_li). */
static const pseudo_t pseudos[] = {
    {"li", "li rd, EXPR", 2, {R, E}, 1, {{CPU_OP_ADDI, SRC_A0, SRC_R0, 0, IMM_VAL}}},
    {"li", "li rd, EXPR", 2, {R, E}, 1, {{CPU_OP_LUI, SRC_A0, 0, 0, IMM_HI}}},
    {"la", "la rd, EXPR", 2, {R, E}, 2,
     {{CPU_OP_LUI, SRC_A0, 0, 0, IMM_HI}, {CPU_OP_ORI, SRC_A0, SRC_A0, 0, IMM_LO}}},
    {"mov", "mov rd, rs", 2, {R, R}, 1, {{CPU_OP_ADD, SRC_A0, SRC_A1, SRC_R0, IMM_NONE}}},
    {"not", "not rd, rs", 2, {R, R}, 2,
     {{CPU_OP_SUB, SRC_A0, SRC_R0, SRC_A1, IMM_NONE}, {CPU_OP_ADDI, SRC_A0, SRC_A0, 0, IMM_M1}}},
    {"neg", "neg rd, rs", 2, {R, R}, 1, {{CPU_OP_SUB, SRC_A0, SRC_R0, SRC_A1, IMM_NONE}}},
    {"call", "call EXPR", 1, {E}, 1, {{CPU_OP_JAL, SRC_LR, 0, 0, IMM_VAL}}},
    {"ret", "ret", 0, {0}, 1, {{CPU_OP_JALR, SRC_R0, SRC_LR, 0, IMM_ZERO}}},
    {"j", "j EXPR", 1, {E}, 1, {{CPU_OP_B, 0, 0, 0, IMM_VAL}}},
    {"jr", "jr rs", 1, {R}, 1, {{CPU_OP_JALR, SRC_R0, SRC_A0, 0, IMM_ZERO}}},
};
#undef R
#undef E
enum { LI_SHORT = 0, LI_LUI = 1, LI_LONG = 2 }; /* rows of pseudos[] */

static int step_reg(uint8_t src, const operand_t *written)
{
    switch (src) {
    case SRC_A0: return written[0].reg;
    case SRC_A1: return written[1].reg;
    case SRC_LR: return CPU_REG_LR;
    default: return CPU_REG_ZERO;
    }
}

/* The value operand of a step; `written` holds the operands as read. */
static operand_t step_imm(uint8_t src, const pseudo_t *p, const operand_t *written)
{
    operand_t o = {.ev = {0, EV_KNOWN}};
    int vi = p->nops == 2 ? 1 : 0; /* the expression is the last operand */
    asm_ev_t v = written[vi].ev;
    o.col = written[vi].col;
    switch (src) {
    case IMM_M1: o.ev.v = -1; break;
    case IMM_VAL: o.ev = v; break;
    case IMM_HI: o.ev = v; o.ev.v = (int64_t)(((uint64_t)v.v & 0xffffffffu) >> 16); break;
    case IMM_LO: o.ev = v; o.ev.v = v.v & 0xffff; break;
    default: break;
    }
    return o;
}

/* Emits the steps of an expansion. */
static void emit_pseudo(asm_ctx_t *A, const pseudo_t *p, const operand_t *written)
{
    for (int s = 0; s < p->nsteps; s++) {
        const pseudo_step_t *st = &p->steps[s];
        const cpu_insn_info_t *info = &cpu_isa[st->op];
        operand_t ops[3] = {{0}};
        for (int i = 0; i < 3; i++) {
            unsigned k = info->operands[i];
            if (k == CPU_OPK_RD)
                ops[i].reg = step_reg(st->rd, written);
            else if (k == CPU_OPK_RS1)
                ops[i].reg = step_reg(st->rs1, written);
            else if (k == CPU_OPK_RS2)
                ops[i].reg = step_reg(st->rs2, written);
            else if (k != CPU_OPK_NONE)
                ops[i] = step_imm(st->imm, p, written);
        }
        emit_insn(A, st->op, ops);
    }
}

/* li and la take any 32-bit value, signed or unsigned. */
static bool check_32(asm_ctx_t *A, const operand_t *o)
{
    if (o->ev.state != EV_KNOWN || (o->ev.v >= INT32_MIN && o->ev.v <= (int64_t)UINT32_MAX))
        return true;
    asm_value_error(A, o->col, "value %lld does not fit in 32 bits", (long long)o->ev.v);
    return false;
}

/* li: one addi when pass 1 knows the value and it fits 16 bits signed, one lui when its low
 * half is zero, otherwise lui + ori. Pass 1 decides and leaves a note; pass 2 follows it. */
static const pseudo_t *li_form(asm_ctx_t *A, const operand_t *ops)
{
    if (A->pass == 2) {
        const asm_note_t *n = asm_note_get(A);
        unsigned f = n ? n->flags : NOTE_LI_LONG;
        return &pseudos[f & NOTE_LI_LONG ? LI_LONG : f & NOTE_LI_LUI ? LI_LUI : LI_SHORT];
    }
    int64_t v = ops[1].ev.v;
    int form = LI_LONG;
    if (ops[1].ev.state == EV_KNOWN && v >= -32768 && v <= 32767)
        form = LI_SHORT;
    else if (ops[1].ev.state == EV_KNOWN && v >= INT32_MIN && v <= (int64_t)UINT32_MAX &&
             (v & 0xffff) == 0)
        form = LI_LUI;
    asm_note(A, form == LI_LONG ? NOTE_LI_LONG : form == LI_LUI ? NOTE_LI_LUI : 0);
    return &pseudos[form];
}

static const pseudo_t *find_pseudo(const char *name)
{
    for (size_t i = 0; i < sizeof pseudos / sizeof pseudos[0]; i++)
        if (strcasecmp(pseudos[i].name, name) == 0)
            return &pseudos[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * The instruction statement
 * ------------------------------------------------------------------------------------------ */
/* "add RD, RS1, RS2" for messages. */
static void real_usage(int op, char *buf, size_t len)
{
    const cpu_insn_info_t *info = &cpu_isa[op];
    size_t o = (size_t)snprintf(buf, len, "%s", info->mnemonic);
    for (int i = 0; i < 3 && info->operands[i] != CPU_OPK_NONE && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : " ",
                              kind_usage[info->operands[i]]);
}

void asm_insn(asm_ctx_t *A)
{
    const asm_tok_t *m = asm_tok(A);
    char name[16], desc[80];
    int op = asm_tok_cstr(m, name, sizeof name) ? cpu_op_by_mnemonic(name) : -1;
    const pseudo_t *p = op < 0 && m->len < sizeof name ? find_pseudo(name) : NULL;
    if (op < 0 && !p) {
        asm_error(A, m->col, "unknown instruction %s", asm_tok_desc(m, desc, sizeof desc));
        return;
    }
    A->insn_line = true;
    if (A->loc % 4 != 0) {
        asm_error(A, m->col, "instruction at 0x%08llx is not 4-byte aligned (use .align 4)",
                  (unsigned long long)A->loc);
        return;
    }
    int mcol = m->col;
    asm_next(A);
    operand_t ops[3] = {{0}};
    if (op >= 0) {
        char usage[64];
        real_usage(op, usage, sizeof usage);
        const cpu_insn_info_t *info = &cpu_isa[op];
        int n = 0;
        while (n < 3 && info->operands[n] != CPU_OPK_NONE)
            n++;
        if (parse_operands(A, info->operands, n, ops, info->mnemonic, usage, mcol))
            emit_insn(A, op, ops);
        return;
    }
    if (!parse_operands(A, p->kinds, p->nops, ops, p->name, p->usage, mcol))
        return;
    if (p == &pseudos[LI_SHORT] || p == &pseudos[LI_LONG]) {
        if (A->pass == 2)
            check_32(A, &ops[1]);
        if (p == &pseudos[LI_SHORT])
            p = li_form(A, ops);
    }
    emit_pseudo(A, p, ops);
}
