/*
 * repl.c - running REPL commands: splitting a line into words, finding the command (and its
 * sub-command) in the table, repeating the last step command on an empty line, printing
 * errors with their usage, stops with where the CPU is, and addresses with their symbols.
 *
 * Nothing here knows readline: scripts (-x, source), pipes and the tests come through
 * ui_repl_execute and ui_repl_run_stream, the terminal through repl_readline.c.
 */
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

#define MAX_WORDS 32

/* Ctrl-C: the debugger of the command that runs now, or NULL at the prompt. */
static ui_dbg_t *volatile sigint_target;

void ui_repl_set_sigint_target(ui_dbg_t *dbg)
{
    sigint_target = dbg;
}

void ui_repl_sigint(int sig)
{
    (void)sig;
    ui_dbg_t *dbg = sigint_target;
    if (dbg)
        ui_dbg_request_stop(dbg);
}

void ui_repl_init(ui_repl_t *r, sim_machine_t *m, ui_dbg_t *dbg, FILE *out, FILE *err)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->dbg = dbg;
    r->out = out;
    r->err = err;
    r->xfmt = 'x';
    r->xsize = 'w';
}

int ui_repl_error(ui_repl_t *r, const char *usage, const char *fmt, ...)
{
    va_list ap;
    fflush(r->out);
    if (r->src_name) /* a script's error says where it is, as a compiler's does */
        fprintf(r->err, "%s:%u: ", r->src_name, r->src_line);
    va_start(ap, fmt);
    sim_vfprintf_printable(r->err, fmt, ap); /* a script may be a binary file */
    va_end(ap);
    fputc('\n', r->err);
    if (usage)
        fprintf(r->err, "Usage: %s\n", usage);
    fflush(r->err);
    return -1;
}

/* True when the first n bytes of `name` are one of the space-separated words of `aliases`
 * (which may be NULL). */
static bool is_alias(const char *aliases, const char *name, size_t n)
{
    for (const char *p = aliases; p && *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && strncmp(p, name, n) == 0)
            return true;
        p += k + (p[k] == ' ');
    }
    return false;
}

const ui_repl_cmd_t *ui_repl_find(const char *word)
{
    size_t n = strcspn(word, "/"); /* "x/4x": the command is the word before its format */
    for (const ui_repl_cmd_t *c = ui_repl_commands; c->name; c++)
        if ((strlen(c->name) == n && strncmp(c->name, word, n) == 0) ||
            is_alias(c->aliases, word, n))
            return c;
    return NULL;
}

const ui_repl_sub_t *ui_repl_find_sub(const ui_repl_cmd_t *cmd, const char *name)
{
    for (const ui_repl_sub_t *s = cmd->subs; s && s->name; s++)
        if (strcmp(s->name, name) == 0 || is_alias(s->aliases, name, strlen(name)))
            return s;
    return NULL;
}

/* Splits a line into words at spaces; "quoted words" keep their spaces. */
static int split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    while (*p && argc < MAX_WORDS) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (*p == '"') {
            argv[argc++] = ++p;
            while (*p && *p != '"')
                p++;
        } else {
            argv[argc++] = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        if (*p)
            *p++ = '\0';
    }
    return argc;
}

int ui_repl_execute(ui_repl_t *r, const char *line)
{
    char buf[1024];
    if (ui_repl_collect_line(r, line))
        return 0; /* a line of `commands` ... `end` */
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '#')
        return 0; /* a comment */
    if (!*line) {
        if (!r->interactive || !r->last[0])
            return 0;
        line = r->last;
    }
    snprintf(buf, sizeof buf, "%s", line);
    r->rest = line + strcspn(line, " \t");
    r->rest += *r->rest != '\0';
    char *argv[MAX_WORDS + 1] = {0};
    int argc = split(buf, argv);
    if (argc == 0)
        return 0;
    const ui_repl_cmd_t *cmd = ui_repl_find(argv[0]);
    if (!cmd)
        return ui_repl_error(r, NULL, "Unknown command \"%.*s\". Try \"help\".",
                             (int)strcspn(argv[0], "/"), argv[0]);
    if (cmd->repeat && line != r->last)
        snprintf(r->last, sizeof r->last, "%s", line);
    const ui_repl_sub_t *sub = argc >= 2 ? ui_repl_find_sub(cmd, argv[1]) : NULL;
    int rc;
    ui_repl_set_sigint_target(r->dbg);
    if (sub)
        rc = sub->handler(r, argc - 1, argv + 1);
    else
        rc = cmd->handler(r, argc, argv);
    ui_repl_set_sigint_target(NULL);
    ui_repl_run_bp_commands(r);
    fflush(r->out);
    return rc;
}

int ui_repl_run_stream(ui_repl_t *r, FILE *in, bool repeat_empty, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    int failed = 0;
    bool was = r->interactive;
    const char *was_name = r->src_name; /* `source` nests: the outer file's place comes back */
    unsigned was_line = r->src_line;
    r->interactive = repeat_empty;
    r->src_name = name;
    r->src_line = 0;
    while (!r->quit && getline(&line, &cap, in) >= 0) {
        r->src_line++;
        line[strcspn(line, "\r\n")] = '\0';
        if (ui_repl_execute(r, line) != 0)
            failed++;
    }
    r->interactive = was;
    r->src_name = was_name;
    r->src_line = was_line;
    free(line);
    if (r->collecting) { /* `commands` with no `end` before the input ended */
        r->collecting = false;
        failed++;
        ui_repl_error(r, NULL,
                      "The input ended inside \"commands\" (no \"end\"): breakpoint %d's "
                      "commands are not set.",
                      r->collect_id);
    }
    return failed;
}

/* ------------------------------------------------------------------------------------------
 * Shared pieces of output and argument parsing
 * ------------------------------------------------------------------------------------------ */
const char *ui_repl_addr(ui_repl_t *r, uint32_t addr, char *buf, size_t len)
{
    char sym[96];
    snprintf(buf, len, "0x%08x%s", addr, ui_dbg_symbolize(r->dbg, addr, sym, sizeof sym));
    return buf;
}

static void print_where(ui_repl_t *r, const ui_dbg_stop_t *st);

void ui_repl_print_stop(ui_repl_t *r, const ui_dbg_stop_t *st)
{
    print_where(r, st);
    if (st->kind != UI_DBG_STOP_POWEROFF)
        ui_repl_after_stop(r, st);
}

/* The stop's sentence and where its CPU is now. */
static void print_where(ui_repl_t *r, const ui_dbg_stop_t *st)
{
    /* The program's console shares the terminal: a stop after a partial console line (a
     * prompt, dots of progress) starts on a line of its own, not glued to it. */
    const sim_keep_t *con = &r->m->console.capture;
    uint64_t written = con->dropped + con->len; /* every byte so far, kept or not */
    if (written < r->console_seen)              /* the machine was built again (run, restart) */
        r->console_seen = 0;
    if (written > r->console_seen && con->len && con->text[con->len - 1] != '\n')
        fputc('\n', r->out);
    r->console_seen = written;
    /* A VM exit's sentence goes on a second line at its "because" (as docs/debugger.md). */
    const char *because = st->has_event && st->ev.kind == SIM_EV_VMEXIT
                              ? strstr(st->text, "), because ")
                              : NULL;
    if (because)
        fprintf(r->out, "%.*s),\n  %s\n", (int)(because - st->text), st->text, because + 3);
    else
        fprintf(r->out, "%s\n", st->text);
    if (st->kind == UI_DBG_STOP_POWEROFF)
        return;
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, st->cpu);
    char cyc[32], at[128], insn[96];
    if (ui_repl_print_exit_line(r, st)) /* in H, before the handler (C code) */
        return;
    ui_dbg_view_t view; /* ring -1 with no exit (idle): a sentence, not code at a stale pc */
    ui_dbg_view(r->dbg, st->cpu, &view);
    if (view.kind == UI_DBG_VIEW_NONE) {
        fprintf(r->out, "[cpu%u %s cycle %s] %s\n", st->cpu, cpu_mode_name(st->mode),
                sim_group_digits(st->cycle, cyc, sizeof cyc), view.why);
        return;
    }
    fprintf(r->out, "[cpu%u %s cycle %s] %s", st->cpu, cpu_mode_name(st->mode),
            sim_group_digits(st->cycle, cyc, sizeof cyc), ui_repl_addr(r, st->pc, at, sizeof at));
    if (st->cpu == ui_dbg_focus(r->dbg) && ui_dbg_translated_from(r->dbg, st->pc, at, sizeof at))
        fprintf(r->out, " (translated from %s)", at);
    if (cpu->s.halted)
        fprintf(r->out, ": (halted, waiting for an interrupt)\n");
    else if (ui_dbg_disasm(r->dbg, ui_dbg_default_space(r->dbg), st->pc, insn, sizeof insn))
        fprintf(r->out, ":  %s\n", insn);
    else
        fprintf(r->out, ": (%s)\n", ui_dbg_error(r->dbg));
}

int ui_repl_parse_location_vm(ui_repl_t *r, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                              int *vm)
{
    if (ui_dbg_parse_location(r->dbg, text, space, addr, vm) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    return 0;
}

int ui_repl_parse_location(ui_repl_t *r, const char *text, ui_dbg_space_t *space, uint32_t *addr)
{
    int vm;
    return ui_repl_parse_location_vm(r, text, space, addr, &vm);
}

int ui_repl_parse_value(ui_repl_t *r, const char *text, const char *usage, uint64_t *value)
{
    /* The usage helps when the argument is missing; a bad expression's sentence says what is
     * wrong with it, and the command's form was right. */
    if (ui_dbg_eval(r->dbg, text, value) != 0)
        return ui_repl_error(r, *text ? NULL : usage, "%s", ui_dbg_error(r->dbg));
    return 0;
}
