/*
 * cpu_asm.c - the assembler's driver: reading source files, running the two passes over
 * their lines (and the files they include), labels and assignments, emitting bytes, and the
 * result (the flat image, its symbols and the listing).
 *
 * cpu_asm_internal.h explains how the passes agree; cpu_asm_insn.c assembles instructions,
 * cpu_asm_dir.c the directives, cpu_asm_expr.c evaluates expressions, cpu_asm_lex.c splits
 * lines and reports errors.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu_asm_internal.h"

/* ------------------------------------------------------------------------------------------
 * Source files
 * ------------------------------------------------------------------------------------------ */
static asm_file_t *add_file(asm_ctx_t *A, const char *path, char *text, size_t len)
{
    asm_file_t *f = calloc(1, sizeof *f);
    asm_file_t **files = realloc(A->files, (A->nfiles + 1) * sizeof *files);
    char *p = strdup(path);
    if (!f || !files || !p) {
        free(f);
        free(p);
        free(text);
        if (files)
            A->files = files;
        return NULL;
    }
    A->files = files;
    f->path = p;
    f->text = text;
    f->len = len;
    A->files[A->nfiles++] = f;
    return f;
}

char *cpu_asm_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    /* A device (/dev/zero), a pipe or a directory could be read without end, or is no file
     * of bytes at all: only regular files are inputs. */
    struct stat st;
    int bad = fstat(fileno(f), &st) != 0 ? errno
              : S_ISDIR(st.st_mode)      ? EISDIR
              : !S_ISREG(st.st_mode)     ? CPU_ENOTREG
                                         : 0;
    if (bad) {
        fclose(f);
        errno = bad;
        return NULL;
    }
    size_t cap = 4096, n = 0; /* reading max + 1 bytes tells a file that is too large */
    char *buf = malloc(cap + 1);
    int err = buf ? 0 : ENOMEM;
    while (!err) {
        if (n == cap) {
            size_t ncap = cap > max / 2 ? max + 1 : 2 * cap;
            char *b = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (!b) {
                err = ncap > cap ? ENOMEM : EFBIG;
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max)
            err = EFBIG;
        else if (got == 0 && ferror(f))
            err = errno ? errno : EIO;
        else if (got == 0)
            break;
    }
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char *cpu_asm_read_error(int err, size_t max, char *buf, size_t len)
{
    if (err == EFBIG && max % (1u << 20) == 0)
        snprintf(buf, len, "it is larger than the %zu MiB limit for this input", max >> 20);
    else if (err == EFBIG)
        snprintf(buf, len, "it is larger than the %zu-byte limit for this input", max);
    else if (err == CPU_ENOTREG)
        snprintf(buf, len, "it is not a regular file (a device or a pipe may never end)");
    else
        snprintf(buf, len, "%s", strerror(err));
    return buf;
}

const asm_file_t *asm_load_file(asm_ctx_t *A, const char *path)
{
    struct stat st;
    bool has_id = stat(path, &st) == 0;
    for (size_t i = 0; i < A->nfiles; i++) {
        const asm_file_t *f = A->files[i];
        if (has_id ? f->has_id && f->dev == st.st_dev && f->ino == st.st_ino
                   : strcmp(f->path, path) == 0)
            return f;
    }
    if (has_id && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return NULL;
    }
    size_t len;
    char *text = cpu_asm_read_file(path, ASM_MAX_FILE_SIZE, &len);
    if (!text)
        return NULL;
    asm_file_t *f = add_file(A, path, text, len);
    if (!f) {
        errno = ENOMEM;
        return NULL;
    }
    f->has_id = has_id;
    f->dev = has_id ? st.st_dev : 0;
    f->ino = has_id ? st.st_ino : 0;
    return f;
}

/* ------------------------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------------------------ */
/* Checks that n more bytes fit; reports the first overflow of a line. */
static bool room(asm_ctx_t *A, uint64_t n)
{
    uint64_t end = A->loc + n;
    const char *why = NULL;
    if (n > ASM_ADDR_LIMIT || end > ASM_ADDR_LIMIT)
        why = "the image would go past the end of the 32-bit address space";
    else if (end - A->base > CPU_ASM_MAX_IMAGE)
        why = "the image would be larger than the 64 MiB limit";
    if (!why)
        return true;
    if (!A->syntax_error)
        asm_error(A, A->stmt_col, "%s", why);
    return false;
}

/* Makes room in the image for bytes up to offset `end`. */
static bool grow_image(asm_ctx_t *A, size_t end)
{
    if (end <= A->imgcap)
        return true;
    size_t cap = A->imgcap ? A->imgcap : 4096;
    while (cap < end)
        cap *= 2;
    uint8_t *img = realloc(A->img, cap);
    if (!img) {
        asm_error(A, asm_tok(A)->col, "out of memory");
        return false;
    }
    memset(img + A->imgcap, 0, cap - A->imgcap);
    A->img = img;
    A->imgcap = cap;
    return true;
}

/* Emits n bytes, copied from `bytes` or all equal to `fill` when bytes is NULL. */
static bool emit(asm_ctx_t *A, const uint8_t *bytes, uint8_t fill, uint64_t n)
{
    if (!room(A, n))
        return false;
    if (A->pass == 2 && n > 0) {
        size_t at = (size_t)(A->loc - A->base), end = at + (size_t)n;
        if (!grow_image(A, end))
            return false;
        if (bytes)
            memcpy(A->img + at, bytes, (size_t)n);
        else
            memset(A->img + at, fill, (size_t)n);
        if (end > A->imgsize)
            A->imgsize = end;
    }
    A->loc += n;
    A->any_output |= n > 0;
    return true;
}

bool asm_emit(asm_ctx_t *A, const uint8_t *bytes, uint64_t n)
{
    return emit(A, bytes, 0, n);
}

bool asm_emit_fill(asm_ctx_t *A, uint8_t fill, uint64_t n)
{
    return emit(A, NULL, fill, n);
}

void asm_emit_word(asm_ctx_t *A, uint32_t w)
{
    uint8_t b[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};
    asm_emit(A, b, 4);
}

/* ------------------------------------------------------------------------------------------
 * Notes from pass 1 to pass 2
 * ------------------------------------------------------------------------------------------ */
void asm_note(asm_ctx_t *A, unsigned flags)
{
    if (A->pass != 1)
        return;
    if (A->nnotes == 0 || A->notes[A->nnotes - 1].seq != A->seq) {
        if (A->nnotes == A->capnotes) {
            size_t cap = A->capnotes ? 2 * A->capnotes : 64;
            asm_note_t *n = realloc(A->notes, cap * sizeof *n);
            if (!n) {
                A->stop = true; /* without the note pass 2 would go wrong */
                return;
            }
            A->notes = n;
            A->capnotes = cap;
        }
        A->notes[A->nnotes++] = (asm_note_t){.seq = A->seq};
    }
    asm_note_t *n = &A->notes[A->nnotes - 1];
    n->flags |= flags;
    n->loc_after = A->loc;
    n->scope_after = A->scope;
}

const asm_note_t *asm_note_get(asm_ctx_t *A)
{
    while (A->note_cursor < A->nnotes && A->notes[A->note_cursor].seq < A->seq)
        A->note_cursor++;
    if (A->note_cursor < A->nnotes && A->notes[A->note_cursor].seq == A->seq)
        return &A->notes[A->note_cursor];
    return NULL;
}

void asm_expect_end(asm_ctx_t *A)
{
    char desc[80];
    if (!A->syntax_error && asm_tok(A)->kind != TK_END)
        asm_error(A, asm_tok(A)->col, "expected end of line, found %s",
                  asm_tok_desc(asm_tok(A), desc, sizeof desc));
}

/* ------------------------------------------------------------------------------------------
 * Labels and assignments
 * ------------------------------------------------------------------------------------------ */
bool asm_definable(asm_ctx_t *A, const asm_tok_t *t)
{
    char desc[80];
    if (t->kind != TK_NAME) {
        asm_error(A, t->col, "expected a name, found %s", asm_tok_desc(t, desc, sizeof desc));
        return false;
    }
    if (t->len == 1 && t->p[0] == '.') {
        asm_error(A, t->col, "'.' is the current address and cannot be defined (use .org)");
        return false;
    }
    if (!asm_valid_name(t->p, t->len)) {
        asm_error(A, t->col, "%s is a register name and cannot be defined",
                  asm_tok_desc(t, desc, sizeof desc));
        return false;
    }
    return true;
}

/* Defines a symbol in pass 1 (reporting a duplicate) or finds it again in pass 2. Returns
 * its index, or -1 after an error. */
static int define(asm_ctx_t *A, const asm_tok_t *t, bool label)
{
    if (!asm_definable(A, t))
        return -1;
    char *name = asm_full_name(A, t->p, t->len);
    if (!name) {
        asm_error(A, t->col, "out of memory");
        return -1;
    }
    int i = asm_sym_find(A, name);
    if (A->pass == 2) {
        free(name);
        return i;
    }
    if (i >= 0) {
        asm_error(A, t->col, "duplicate %s '%.200s' (first defined at %.4000s:%d)",
                  label ? "label" : "symbol", name, A->syms[i].file->path, A->syms[i].line);
        free(name);
        return -1;
    }
    i = asm_sym_add(A, name);
    if (i < 0) {
        asm_error(A, t->col, "out of memory");
        return -1;
    }
    asm_sym_t *s = &A->syms[i];
    s->is_label = label;
    s->is_local = t->p[0] == '.';
    s->file = A->file;
    s->line = A->line;
    return i;
}

static void define_label(asm_ctx_t *A, const asm_tok_t *t)
{
    int i = define(A, t, true);
    if (i < 0)
        return;
    asm_sym_t *s = &A->syms[i];
    if (A->pass == 1) {
        s->state = SYM_DEFINED;
        s->value = (int64_t)A->loc;
    } else if (s->value != (int64_t)A->loc) {
        asm_error(A, t->col, "internal error: '%.200s' moved between passes", s->name);
    }
    if (!s->is_local)
        A->scope = i;
}

/* Remembers a .equ pass 1 cannot compute yet, to try again at the end of pass 1. */
static void add_pending(asm_ctx_t *A, int sym, size_t tok)
{
    if (A->npending == A->cappending) {
        size_t cap = A->cappending ? 2 * A->cappending : 16;
        asm_pending_t *p = realloc(A->pending, cap * sizeof *p);
        if (!p)
            return; /* it stays pending: pass 2 reports it */
        A->pending = p;
        A->cappending = cap;
    }
    A->pending[A->npending++] = (asm_pending_t){
        sym, A->file, A->line, (size_t)(A->text - A->file->text), A->len, tok, A->scope, A->dot};
}

void asm_define_equ(asm_ctx_t *A, const asm_tok_t *t)
{
    int i = define(A, t, false);
    if (i < 0)
        return;
    size_t start = A->ti;
    asm_ev_t e = asm_expr(A);
    asm_expect_end(A);
    asm_sym_t *s = &A->syms[i];
    if (e.state == EV_KNOWN) {
        if (s->state == SYM_DEFINED && s->value != e.v)
            asm_error(A, t->col, "internal error: '%.200s' changed between passes", s->name);
        s->state = SYM_DEFINED;
        s->value = e.v;
        A->equ_line = true;
        A->equ_value = e.v;
    } else if (e.state == EV_FAILED || A->syntax_error) {
        s->state = s->state == SYM_DEFINED ? SYM_DEFINED : SYM_BAD;
    } else if (s->state != SYM_PENDING) {
        s->state = SYM_PENDING;
        add_pending(A, i, start);
    }
}

/* Computes the .equ values pass 1 left pending, now that every label is known. Sweeps run
 * alternately backwards and forwards so that chains in either order resolve quickly. */
static void resolve_pending(asm_ctx_t *A)
{
    bool progress = true;
    for (int sweep = 0; progress && sweep < 64; sweep++) {
        progress = false;
        for (size_t k = 0; k < A->npending; k++) {
            const asm_pending_t *p = &A->pending[sweep % 2 ? k : A->npending - 1 - k];
            asm_sym_t *s = &A->syms[p->sym];
            if (s->state != SYM_PENDING)
                continue;
            A->file = p->file;
            A->line = p->line;
            A->text = p->file->text + p->line_off;
            A->len = p->line_len;
            if (!asm_tokenize(A))
                continue;
            A->ti = p->tok;
            A->scope = p->scope;
            A->dot = p->dot;
            asm_ev_t e = asm_expr(A);
            if (e.state == EV_KNOWN) {
                s->state = SYM_DEFINED;
                s->value = e.v;
                progress = true;
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Lines and passes
 * ------------------------------------------------------------------------------------------ */
/* label: ... then an instruction, a directive or NAME = EXPR. */
static void statement(asm_ctx_t *A)
{
    while (asm_tok(A)->kind == TK_NAME && asm_is_punct(asm_peek(A, 1), ':')) {
        define_label(A, asm_tok(A));
        if (A->syntax_error)
            return;
        asm_next(A);
        asm_next(A);
    }
    const asm_tok_t *t = asm_tok(A);
    A->stmt_col = t->col;
    if (t->kind == TK_END)
        return;
    if (t->kind == TK_NAME && asm_is_punct(asm_peek(A, 1), '=')) {
        asm_next(A);
        asm_next(A);
        asm_define_equ(A, t);
    } else if (t->kind == TK_NAME && t->p[0] == '.' && t->len > 1) {
        asm_directive(A);
    } else if (t->kind == TK_NAME) {
        asm_insn(A);
    } else {
        char desc[80];
        asm_error(A, t->col, "expected a label, an instruction or a directive, found %s",
                  asm_tok_desc(t, desc, sizeof desc));
    }
}

/* Writes the listing rows of the line just assembled: address, word(s), source. */
static void list_line(asm_ctx_t *A)
{
    FILE *o = A->listing;
    char col[40] = "";
    uint64_t n = A->img && A->loc > A->dot && A->dot >= A->base ? A->loc - A->dot : 0;
    const uint8_t *b = n ? A->img + (A->dot - A->base) : NULL;
    size_t len = A->len;
    while (len > 0 && (A->text[len - 1] == '\r'))
        len--;
    for (uint64_t off = 0, row = 0; off < n || row == 0; off += 4, row++) {
        uint64_t k = n - off < 4 ? n - off : 4;
        if (row == 8) {
            fprintf(o, "%08llx  ...\n", (unsigned long long)(A->dot + off));
            break;
        }
        if (A->insn_line && k == 4)
            snprintf(col, sizeof col, "%08x",
                     (unsigned)(b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
                                (uint32_t)b[off + 3] << 24));
        else {
            size_t c = 0;
            col[0] = '\0';
            for (uint64_t i = 0; i < k; i++)
                c += (size_t)snprintf(col + c, sizeof col - c, "%s%02x", i ? " " : "", b[off + i]);
        }
        uint64_t addr = A->dot + off;
        if (A->equ_line && n == 0) {
            addr = (uint64_t)A->equ_value & 0xffffffffu;
            snprintf(col, sizeof col, "=");
        }
        fprintf(o, "%08llx  %-11s  ", (unsigned long long)addr, col);
        for (size_t i = 0; row == 0 && i < len; i++) {
            unsigned char c = (unsigned char)A->text[i];
            fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', o);
        }
        fputc('\n', o);
    }
}

/* Records the file and line of the instruction just assembled (an out-of-memory loses the
 * line information, never the image). */
static void note_line(asm_ctx_t *A)
{
    if (A->nlinfo == A->caplinfo) {
        size_t cap = A->caplinfo ? 2 * A->caplinfo : 256;
        cpu_line_t *more = realloc(A->linfo, cap * sizeof *more);
        if (!more)
            return;
        A->linfo = more;
        A->caplinfo = cap;
    }
    uint32_t file = 0;
    while (file < A->nfiles && A->files[file] != A->file)
        file++;
    A->linfo[A->nlinfo++] = (cpu_line_t){(uint32_t)A->dot, file, (uint32_t)A->line};
}

static int line_by_addr(const void *a, const void *b)
{
    const cpu_line_t *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Moves the line information and the file names into the result. */
static bool take_lines(asm_ctx_t *A, cpu_asm_result_t *out)
{
    if (A->nlinfo) /* qsort must not be given NULL, even for no elements */
        qsort(A->linfo, A->nlinfo, sizeof *A->linfo, line_by_addr);
    out->lines = A->linfo;
    out->nlines = A->nlinfo;
    A->linfo = NULL;
    out->files = calloc(A->nfiles ? A->nfiles : 1, sizeof *out->files);
    if (!out->files)
        return false;
    for (size_t i = 0; i < A->nfiles; i++)
        if (!(out->files[out->nfiles++] = strdup(A->files[i]->path)))
            return false;
    return true;
}

static void process_line(asm_ctx_t *A)
{
    A->line_error = A->syntax_error = false;
    A->insn_line = A->equ_line = false;
    A->need_now = false;
    A->dot = A->loc;
    if (A->pass == 2) {
        const asm_note_t *n = asm_note_get(A);
        if (n && (n->flags & NOTE_ERROR)) {
            A->loc = n->loc_after;
            A->scope = n->scope_after;
            return;
        }
    }
    if (!asm_cond_on(A))
        asm_cond_skipped_line(A);
    else if (asm_tokenize(A))
        statement(A);
    if (A->pass == 1 && A->line_error)
        asm_note(A, NOTE_ERROR);
    if (A->pass == 2 && A->listing)
        list_line(A);
    if (A->pass == 2 && A->insn_line && A->loc > A->dot)
        note_line(A);
}

/* Assembles the lines of a file, and of the files it includes where it includes them. */
static void process_file(asm_ctx_t *A, const asm_file_t *f)
{
    A->stack[A->depth++] = f;
    int line = 0, ncond = A->ncond;
    for (size_t off = 0; off < f->len && !A->stop; line++) {
        const char *nl = memchr(f->text + off, '\n', f->len - off);
        size_t eol = nl ? (size_t)(nl - f->text) : f->len;
        A->file = f;
        A->line = line + 1;
        A->text = f->text + off;
        A->len = eol - off;
        A->seq++;
        if (++A->lines > ASM_MAX_LINES) {
            asm_error(A, 1, "more than %u source lines; is a file included over and over?",
                      ASM_MAX_LINES);
            A->stop = true;
            break;
        }
        process_line(A);
        const asm_file_t *inc = A->include_next;
        A->include_next = NULL;
        if (inc)
            process_file(A, inc);
        off = eol + 1;
    }
    asm_cond_end_of_file(A, ncond);
    A->depth--;
}

static void run_pass(asm_ctx_t *A, int pass, const asm_file_t *top)
{
    A->pass = pass;
    A->base = A->loc = ASM_DEFAULT_BASE;
    A->any_output = false;
    A->scope = -1;
    A->seq = A->lines = 0;
    A->note_cursor = 0;
    A->depth = 0;
    A->ncond = 0;
    process_file(A, top);
}

/* ------------------------------------------------------------------------------------------
 * The result
 * ------------------------------------------------------------------------------------------ */
/* Moves the image and the non-local labels into the result. */
static bool take_result(asm_ctx_t *A, cpu_asm_result_t *out)
{
    out->base = (uint32_t)A->base;
    out->size = A->imgsize;
    out->bytes = A->img ? A->img : calloc(1, 1);
    A->img = NULL;
    size_t n = 0;
    for (size_t i = 0; i < A->nsyms; i++)
        n += A->syms[i].is_label && !A->syms[i].is_local && A->syms[i].state == SYM_DEFINED;
    out->syms = calloc(n ? n : 1, sizeof *out->syms);
    if (!out->bytes || !out->syms)
        return false;
    for (size_t i = 0; i < A->nsyms; i++) {
        const asm_sym_t *s = &A->syms[i];
        if (!s->is_label || s->is_local || s->state != SYM_DEFINED)
            continue;
        out->syms[out->nsyms].name = strdup(s->name);
        out->syms[out->nsyms].addr = (uint32_t)s->value;
        if (!out->syms[out->nsyms++].name)
            return false;
    }
    cpu_syms_sort(out->syms, out->nsyms);
    return take_lines(A, out);
}

static void free_ctx(asm_ctx_t *A)
{
    for (size_t i = 0; i < A->nfiles; i++) {
        free(A->files[i]->path);
        free(A->files[i]->text);
        free(A->files[i]);
    }
    free(A->files);
    free(A->toks);
    asm_syms_free(A);
    free(A->pending);
    free(A->notes);
    free(A->img);
    free(A->diags);
    free(A->listing_buf);
    free(A->linfo);
    free(A);
}

int cpu_asm(const char *name, const char *text, const cpu_asm_options_t *opts, FILE *diag,
            cpu_asm_result_t *out)
{
    memset(out, 0, sizeof *out);
    asm_ctx_t *A = calloc(1, sizeof *A);
    if (!A) {
        out->errors = 1;
        return -1;
    }
    A->diag = diag;
    A->max_errors = opts && opts->max_errors > 0 ? opts->max_errors : CPU_ASM_MAX_ERRORS;
    const asm_file_t *top;
    if (text) {
        char *copy = strdup(text);
        top = copy ? add_file(A, name, copy, strlen(copy)) : NULL;
    } else {
        top = asm_load_file(A, name);
    }
    char why[96];
    if (!top)
        asm_error_at(A, name, 0, "cannot open '%.4000s': %s", name,
                     text ? strerror(ENOMEM)
                          : cpu_asm_read_error(errno, ASM_MAX_FILE_SIZE, why, sizeof why));
    if (top) {
        run_pass(A, 1, top);
        if (!A->stop) {
            resolve_pending(A);
            if (opts && opts->listing)
                A->listing = open_memstream(&A->listing_buf, &A->listing_len);
            run_pass(A, 2, top);
            if (A->listing)
                fclose(A->listing);
        }
    }
    if (A->errors == 0 && !take_result(A, out)) {
        cpu_asm_free(out);
        asm_error_at(A, name, 0, "out of memory");
    }
    out->errors = A->errors;
    asm_flush_diags(A);
    if (A->errors == 0 && opts && opts->listing && A->listing_buf)
        fwrite(A->listing_buf, 1, A->listing_len, opts->listing);
    free_ctx(A);
    return out->errors ? -1 : 0;
}

int cpu_asm_file(const char *path, FILE *diag, cpu_asm_result_t *out)
{
    return cpu_asm(path, NULL, NULL, diag, out);
}

int cpu_asm_string(const char *name, const char *text, FILE *diag, cpu_asm_result_t *out)
{
    return cpu_asm(name, text ? text : "", NULL, diag, out);
}

void cpu_asm_free(cpu_asm_result_t *res)
{
    free(res->bytes);
    for (size_t i = 0; i < res->nsyms; i++)
        free(res->syms[i].name);
    free(res->syms);
    for (size_t i = 0; i < res->nfiles; i++)
        free(res->files[i]);
    free(res->files);
    free(res->lines);
    res->bytes = NULL;
    res->syms = NULL;
    res->files = NULL;
    res->lines = NULL;
    res->size = res->nsyms = res->nfiles = res->nlines = 0;
}
