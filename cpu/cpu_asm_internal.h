/*
 * cpu_asm_internal.h - what the assembler's files share and nobody else sees: the assembly
 * context (source files, the current line and its tokens, the location counter, the symbol
 * table, the notes pass 1 leaves for pass 2, the collected diagnostics), and the functions
 * each file offers the others.
 *
 * The assembler is split by job:
 *   cpu_asm.c       the driver: files, the two passes, labels and assignments, output
 *   cpu_asm_dir.c   the directives
 *   cpu_asm_insn.c  instructions and pseudo-instructions: operands, ranges, encoding
 *   cpu_asm_lex.c   the lexer (one line into tokens) and diagnostics
 *   cpu_asm_expr.c  expressions and the symbol table
 *
 * How the two passes agree: pass 1 computes every address and defines the labels; pass 2
 * evaluates everything and emits bytes. Both run the same code. Sizes never depend on values
 * only pass 2 knows: .org/.space/.align need values known when pass 1 reaches them, and `li`
 * picks its size in pass 1 and leaves a note for pass 2. A line with an error in pass 1 is
 * skipped in pass 2 (its note says where pass 1 left the location counter), so each error is
 * reported once; errors are sorted by position before they are printed.
 */
#ifndef HVSIM_CPU_ASM_INTERNAL_H
#define HVSIM_CPU_ASM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cpu.h"

#define ASM_MAX_INCLUDE_DEPTH 16     /* .include nesting */
#define ASM_MAX_COND 8               /* .ifdef nesting */
#define ASM_MAX_FILE_SIZE (64u << 20) /* bytes of one source file */
#define ASM_MAX_LINES (1u << 20)      /* source lines one pass reads, includes counted */
#define ASM_MAX_EXPR_DEPTH 64         /* nesting of parentheses and unary operators */
#define ASM_DEFAULT_BASE CPU_RESET_PC
#define ASM_ADDR_LIMIT 0xffffffffull /* the image ends at or below this address */

/* ------------------------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------------------------ */
typedef enum {
    TK_END,   /* end of the line (a comment ends it too) */
    TK_NAME,  /* letters, digits, '_' and '.', not starting with a digit ('.' alone too) */
    TK_NUM,   /* a number or a character literal; value in num */
    TK_STR,   /* a string literal; p/len cover the quotes, escapes already checked */
    TK_PUNCT, /* op is the character, or 'L' for <<, 'R' for >> */
} asm_tok_kind_t;

typedef struct {
    asm_tok_kind_t kind;
    int op;
    int col; /* 1-based byte column */
    const char *p;
    size_t len;
    int64_t num;
} asm_tok_t;

/* ------------------------------------------------------------------------------------------
 * Values and symbols
 * ------------------------------------------------------------------------------------------ */
typedef enum {
    EV_KNOWN,   /* the value is known */
    EV_UNKNOWN, /* pass 1: depends on a symbol not defined yet (or on an error pass 2 reports) */
    EV_FAILED,  /* an error has been reported; the value is 0 */
} asm_ev_state_t;

typedef struct {
    int64_t v;
    asm_ev_state_t state;
} asm_ev_t;

typedef enum {
    SYM_UNDEF,   /* referenced, never defined */
    SYM_PENDING, /* .equ whose value pass 1 could not compute yet */
    SYM_DEFINED,
    SYM_BAD, /* its definition had an error: uses fail silently */
} asm_sym_state_t;

typedef struct asm_file asm_file_t;

typedef struct {
    char *name; /* full name: a local label is OWNER.local */
    int64_t value;
    asm_sym_state_t state;
    bool is_label;
    bool is_local;
    const asm_file_t *file; /* where it is defined */
    int line;
} asm_sym_t;

/* A source file, read once per assembly and kept until the end. */
struct asm_file {
    char *path; /* as given, or the including file's directory + the name */
    char *text;
    size_t len;
    bool has_id;
    dev_t dev;
    ino_t ino;
};

/* A .equ pass 1 could not compute when it saw it: computed again at the end of pass 1. */
typedef struct {
    int sym;
    const asm_file_t *file;
    int line;
    size_t line_off, line_len; /* the line in file->text */
    size_t tok;                /* index of the expression's first token */
    int scope;
    uint64_t dot;
} asm_pending_t;

/* What pass 1 tells pass 2 about one line. */
#define NOTE_ERROR 0x1u   /* pass 1 reported an error: skip the line */
#define NOTE_LI_LUI 0x2u  /* li became one lui */
#define NOTE_LI_LONG 0x4u /* li became lui + ori */
#define NOTE_COND_ON 0x8u /* .ifdef/.ifndef: pass 1 assembled the lines that follow */
typedef struct {
    unsigned long seq;
    unsigned flags;
    uint64_t loc_after; /* NOTE_ERROR: the location counter after the line */
    int scope_after;
} asm_note_t;

typedef struct {
    unsigned long seq;
    int col;
    size_t order;
    char *text; /* the whole line, "FILE:LINE:COL: error: MESSAGE" */
} asm_diag_t;

/* An open .ifdef or .ifndef (cpu_asm_dir.c). */
typedef struct {
    bool on;       /* this branch's lines are assembled */
    bool outer_on; /* the lines around the .ifdef are */
    bool had_else;
    const asm_file_t *file; /* where it opened: the file ... */
    int line;               /* ... and the line */
} asm_cond_t;

/* ------------------------------------------------------------------------------------------
 * The assembly context
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    int pass; /* 1 or 2 */
    FILE *diag;
    int max_errors;

    /* files: every file read, and the chain of includes being read */
    asm_file_t **files;
    size_t nfiles;
    const asm_file_t *stack[ASM_MAX_INCLUDE_DEPTH + 1];
    int depth;
    const asm_file_t *include_next; /* set by .include: read after the current line */

    /* the current line and its tokens */
    const asm_file_t *file;
    int line;
    const char *text;
    size_t len;
    asm_tok_t *toks;
    size_t ntoks, captoks, ti;
    unsigned long seq;   /* number of the line in this pass, the same in both passes */
    unsigned long lines; /* lines read in this pass */
    bool line_error;     /* an error was reported on this line */
    bool syntax_error;   /* ... and it was a syntax error: stop reading the line */
    bool need_now;       /* pass 1: the value being computed is needed now (.org, .space) */
    int stmt_col;        /* column of the instruction or directive */
    bool insn_line;      /* the line holds an instruction (for the listing) */
    bool equ_line;       /* the line defines a symbol with = or .equ (for the listing) */
    int64_t equ_value;

    /* conditional assembly: one entry per open .ifdef/.ifndef */
    asm_cond_t cond[ASM_MAX_COND];
    int ncond;

    /* line information: pass 2's instructions, address -> file and line */
    cpu_line_t *linfo;
    size_t nlinfo, caplinfo;

    /* layout */
    uint64_t base, loc, dot; /* image base, location counter, address of this statement */
    bool any_output;
    int scope; /* symbol index of the last non-local label, -1 before the first */

    /* symbols: an array and an open-addressing hash of indices + 1 */
    asm_sym_t *syms;
    size_t nsyms, capsyms;
    uint32_t *hash;
    size_t hashcap;
    asm_pending_t *pending;
    size_t npending, cappending;

    /* notes from pass 1 for pass 2 */
    asm_note_t *notes;
    size_t nnotes, capnotes, note_cursor;

    /* the image (pass 2) */
    uint8_t *img;
    size_t imgcap, imgsize;

    /* diagnostics */
    asm_diag_t *diags;
    size_t ndiags, capdiags;
    int errors;
    bool stop; /* too many errors or lines: give up */

    /* listing (pass 2, into memory; copied out when there were no errors) */
    FILE *listing;
    char *listing_buf;
    size_t listing_len;
} asm_ctx_t;

/* ------------------------------------------------------------------------------------------
 * Shared functions
 * ------------------------------------------------------------------------------------------ */
/* cpu_asm_lex.c */
/* Splits the current line (A->text, A->len) into A->toks, ending with TK_END. Reports a bad
 * character, number, character literal or string and returns false. */
bool asm_tokenize(asm_ctx_t *A);
/* Records a syntax error at column `col` of the current line: the parsers stop reading it. */
void asm_error(asm_ctx_t *A, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records an error with an explicit location prefix (FILE:LINE:COL or just FILE). */
void asm_error_at(asm_ctx_t *A, const char *where, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints the collected diagnostics, sorted by position, to A->diag. */
void asm_flush_diags(asm_ctx_t *A);
/* The current token, and moving past it. */
const asm_tok_t *asm_tok(asm_ctx_t *A);
const asm_tok_t *asm_peek(asm_ctx_t *A, size_t ahead);
void asm_next(asm_ctx_t *A);
bool asm_is_punct(const asm_tok_t *t, int op);
bool asm_accept(asm_ctx_t *A, int op);
/* Writes a short, printable, quoted rendering of a token into buf ("'foo'", "end of line"). */
const char *asm_tok_desc(const asm_tok_t *t, char *buf, size_t len);
/* Decodes a TK_STR token's bytes; calls put(ctx, byte) for each. */
void asm_string_bytes(const asm_tok_t *t, void (*put)(void *ctx, uint8_t b), void *ctx);
/* r0..r15, zero, sp, lr (case-insensitive): the register number, or -1. */
int asm_reg_of(const char *p, size_t len);
/* True when name is a valid symbol name: [A-Za-z_.][A-Za-z0-9_.]*, not a register. */
bool asm_valid_name(const char *p, size_t len);
/* Copies a name token into buf as a C string; false when it does not fit. */
bool asm_tok_cstr(const asm_tok_t *t, char *buf, size_t len);

/* cpu_asm_expr.c */
/* Parses and evaluates an expression at the current token. Reports syntax errors (the line
 * fails), and value errors (undefined symbol, division by zero) in pass 2 or when need_now. */
asm_ev_t asm_expr(asm_ctx_t *A);
/* Reports a value error: in pass 2, or in pass 1 when the value is needed now; otherwise
 * the value just stays unknown. Returns the resulting state. */
asm_ev_state_t asm_value_error(asm_ctx_t *A, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The full name of a symbol as written at this point (a local name gets its owner's). */
char *asm_full_name(asm_ctx_t *A, const char *p, size_t len);
/* Finds a symbol by full name; -1 when there is none. */
int asm_sym_find(const asm_ctx_t *A, const char *name);
/* Adds a symbol (full name, taken over); returns its index. */
int asm_sym_add(asm_ctx_t *A, char *name);
void asm_syms_free(asm_ctx_t *A);

/* cpu_asm_insn.c */
/* Assembles the instruction or pseudo-instruction whose mnemonic is the current token. */
void asm_insn(asm_ctx_t *A);

/* cpu_asm.c */
/* Emits n bytes (pass 2 writes them) and moves the location counter; false on overflow. */
bool asm_emit(asm_ctx_t *A, const uint8_t *bytes, uint64_t n);
bool asm_emit_fill(asm_ctx_t *A, uint8_t fill, uint64_t n);
/* Emits a 32-bit little-endian word. */
void asm_emit_word(asm_ctx_t *A, uint32_t w);
/* Appends a note for the current line (pass 1). */
void asm_note(asm_ctx_t *A, unsigned flags);
/* The note pass 1 left for the current line (pass 2), or NULL. */
const asm_note_t *asm_note_get(asm_ctx_t *A);
/* Checks the end of a statement: reports anything left on the line. */
void asm_expect_end(asm_ctx_t *A);
/* Finds or reads a file; every file is read once per assembly. NULL with errno on failure. */
const asm_file_t *asm_load_file(asm_ctx_t *A, const char *path);
/* Checks a name token about to be defined; reports why it cannot be. */
bool asm_definable(asm_ctx_t *A, const asm_tok_t *t);
/* NAME = EXPR or .equ NAME, EXPR: `t` is the name; the current token is the expression. */
void asm_define_equ(asm_ctx_t *A, const asm_tok_t *t);

/* cpu_asm_dir.c */
/* Assembles the directive whose name is the current token. */
void asm_directive(asm_ctx_t *A);
/* True while the lines read are assembled: not inside a branch .ifdef, .ifndef or .else
 * turned off. */
bool asm_cond_on(const asm_ctx_t *A);
/* A line inside a branch turned off: only .ifdef, .ifndef, .else and .endif count, to know
 * where the branch ends; everything else on it is skipped unread. */
void asm_cond_skipped_line(asm_ctx_t *A);
/* The end of a file: every .ifdef it opened must have been closed in it. */
void asm_cond_end_of_file(asm_ctx_t *A, int opened_before);

#endif
