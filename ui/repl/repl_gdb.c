/*
 * repl_gdb.c - the commands a gdb user reaches for: next/ni, finish, until, advance, condition,
 * ignore, commands ... end, display/undisplay, set $REG / set *ADDR, bt, list, run and restart.
 *
 * Each is a thin layer over the debugger API (ui_debug.h, "The gdb vocabulary"), which the
 * window uses too. What only a command line has lives here: collecting the lines of
 * `commands` until `end`, printing the displays after a stop, and running a breakpoint's
 * commands after the command that stopped at it (ui_repl_execute calls ui_repl_run_bp_commands
 * once it is done, so a `continue` among them does not nest one run inside another).
 */
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

static int too_many(ui_repl_t *r, int argc, char **argv, int max, const char *usage)
{
    if (argc > max)
        return ui_repl_error(r, usage, "\"%s\" is one word too many.", argv[max]);
    return 0;
}

static int parse_id(ui_repl_t *r, const char *text, const char *usage, int *id)
{
    uint64_t v;
    if (ui_repl_parse_value(r, text, usage, &v) != 0)
        return -1;
    *id = v > 100000 ? 100000 : (int)v;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------------------ */
int ui_repl_cmd_next(ui_repl_t *r, int argc, char **argv)
{
    uint64_t n = 1;
    if (too_many(r, argc, argv, 2, "next [N]") != 0 ||
        (argc == 2 && ui_repl_parse_value(r, argv[1], "next [N]", &n) != 0))
        return -1;
    ui_dbg_stop_t st;
    return ui_repl_report(r, ui_dbg_next(r->dbg, n, &st), &st);
}

int ui_repl_cmd_finish(ui_repl_t *r, int argc, char **argv)
{
    if (too_many(r, argc, argv, 1, "finish") != 0)
        return -1;
    ui_dbg_stop_t st;
    return ui_repl_report(r, ui_dbg_finish(r->dbg, &st), &st);
}

/* until/advance LOC: the location's address in the focus's own space. */
static int run_to(ui_repl_t *r, int argc, char **argv, const char *usage, bool in_frame)
{
    char text[256];
    ui_dbg_space_t space;
    uint32_t addr;
    if (ui_repl_parse_location(r, ui_repl_join(argc, argv, 1, text, sizeof text), &space, &addr))
        return -1; /* the parser has said why */
    if (space != ui_dbg_default_space(r->dbg))
        return ui_repl_error(r, usage,
                             "%s compares LOC with the pc, whose space here is %s: "
                             "give LOC as %s: (or with no prefix).",
                             argv[0], ui_dbg_space_name(ui_dbg_default_space(r->dbg)),
                             ui_dbg_space_name(ui_dbg_default_space(r->dbg)));
    ui_dbg_stop_t st;
    int rc =
        in_frame ? ui_dbg_until_location(r->dbg, addr, &st) : ui_dbg_advance(r->dbg, addr, &st);
    return ui_repl_report(r, rc, &st);
}

int ui_repl_cmd_until(ui_repl_t *r, int argc, char **argv)
{
    char text[256];
    if (argc == 1) {
        ui_dbg_stop_t st;
        return ui_repl_report(r, ui_dbg_until_next(r->dbg, &st), &st);
    }
    /* The old spelling, "until COND": a comparison is never a location. */
    if (strpbrk(ui_repl_join(argc, argv, 1, text, sizeof text), "=<>!&|")) {
        fprintf(r->out, "(\"until COND\" is now \"continue until COND\"; \"until LOC\" runs to a "
                        "location, as in gdb.)\n");
        return ui_repl_run_until_cond(r, argc, argv, 1);
    }
    return run_to(r, argc, argv, "until [LOC]", true);
}

int ui_repl_cmd_advance(ui_repl_t *r, int argc, char **argv)
{
    if (argc < 2)
        return ui_repl_error(r, "advance LOC",
                             "Give the location to run to, e.g. \"advance "
                             "done\".");
    return run_to(r, argc, argv, "advance LOC", false);
}

int ui_repl_cmd_run(ui_repl_t *r, int argc, char **argv)
{
    if (argc == 2) { /* the old spelling */
        fprintf(r->out, "(\"run N\" is now \"continue N\"; \"run\" alone starts again from cycle "
                        "0.)\n");
        return ui_repl_run_cycles(r, argv[1]);
    }
    if (too_many(r, argc, argv, 2, "run") != 0)
        return -1;
    if (ui_dbg_restart(r->dbg) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    r->list_file = NULL;
    fprintf(r->out, "Starting again from cycle 0.\n");
    ui_dbg_stop_t st;
    return ui_repl_report(r, ui_dbg_continue(r->dbg, &st), &st);
}

int ui_repl_cmd_restart(ui_repl_t *r, int argc, char **argv)
{
    char at[128];
    if (too_many(r, argc, argv, 1, "restart") != 0)
        return -1;
    if (ui_dbg_restart(r->dbg) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    r->list_file = NULL;
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, ui_dbg_focus(r->dbg));
    fprintf(r->out,
            "Restarted from cycle 0: cpu%u in %s at %s; breakpoints and displays are "
            "kept.\n",
            cpu->s.id, cpu_mode_name(cpu_mode(cpu)), ui_repl_addr(r, cpu->s.pc, at, sizeof at));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Breakpoints: condition, ignore, commands
 * ------------------------------------------------------------------------------------------ */
int ui_repl_cmd_condition(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "condition N [COND]";
    char text[512];
    int id;
    if (argc < 2)
        return ui_repl_error(r, usage,
                             "Give a breakpoint number, then the condition (none: "
                             "always stop).");
    if (parse_id(r, argv[1], usage, &id) != 0)
        return -1;
    ui_repl_join(argc, argv, 2, text, sizeof text);
    if (ui_dbg_bp_condition(r->dbg, id, text) != 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    if (text[0])
        fprintf(r->out, "Breakpoint %d stops only when %s.\n", id, text);
    else
        fprintf(r->out, "Breakpoint %d is now unconditional.\n", id);
    return 0;
}

int ui_repl_cmd_ignore(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "ignore N COUNT";
    uint64_t count;
    int id;
    if (argc != 3)
        return ui_repl_error(r, usage,
                             "Give a breakpoint number and how many hits to pass "
                             "over.");
    if (parse_id(r, argv[1], usage, &id) != 0 ||
        ui_repl_parse_value(r, argv[2], usage, &count) != 0)
        return -1;
    if (ui_dbg_bp_ignore(r->dbg, id, count) != 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    if (count == 0)
        fprintf(r->out, "Breakpoint %d stops at its next hit.\n", id);
    else
        fprintf(r->out, "Breakpoint %d passes over its next %llu hit%s.\n", id,
                (unsigned long long)count, count == 1 ? "" : "s");
    return 0;
}

int ui_repl_cmd_commands(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "commands [N]";
    int id;
    size_t n = ui_dbg_bp_count(r->dbg);
    if (too_many(r, argc, argv, 2, usage) != 0)
        return -1;
    if (argc == 2) {
        if (parse_id(r, argv[1], usage, &id) != 0)
            return -1;
    } else if (n > 0) {
        id = ui_dbg_bp(r->dbg, n - 1)->id; /* gdb: the last breakpoint set */
    } else {
        return ui_repl_error(r, usage, "There are no breakpoints to give commands to.");
    }
    if (!ui_dbg_bp_by_id(r->dbg, id))
        return ui_repl_error(r, usage,
                             "There is no breakpoint %d (\"info breakpoints\" lists "
                             "them).",
                             id);
    r->collecting = true;
    r->collect_id = id;
    r->collect_len = 0;
    if (r->interactive)
        fprintf(r->out, "Type commands for breakpoint %d, one per line; \"end\" ends them.\n", id);
    return 0;
}

bool ui_repl_collect_line(ui_repl_t *r, const char *line)
{
    if (!r->collecting)
        return false;
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strcspn(line, "\r\n");
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 3 && strncmp(line, "end", 3) == 0) {
        r->collecting = false;
        if (r->collect_text)
            r->collect_text[r->collect_len] = '\0';
        if (ui_dbg_bp_set_commands(r->dbg, r->collect_id, r->collect_len ? r->collect_text : NULL))
            ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
        return true;
    }
    char *more = realloc(r->collect_text, r->collect_len + n + 2);
    if (!more) {
        ui_repl_error(r, NULL, "out of memory");
        return true;
    }
    r->collect_text = more;
    memcpy(more + r->collect_len, line, n);
    r->collect_len += n;
    more[r->collect_len++] = '\n';
    more[r->collect_len] = '\0';
    return true;
}

void ui_repl_run_bp_commands(ui_repl_t *r)
{
    if (r->in_bp_commands)
        return; /* the outer loop runs what these commands' stops ask for */
    r->in_bp_commands = true;
    while (r->stop_bp && !r->quit) {
        const ui_dbg_bp_t *bp = ui_dbg_bp_by_id(r->dbg, r->stop_bp);
        r->stop_bp = 0;
        char *text = bp && bp->commands ? strdup(bp->commands) : NULL;
        for (char *line = text, *nl; line && *line && !r->quit; line = nl + 1) {
            nl = strchr(line, '\n');
            *nl = '\0';
            ui_repl_execute(r, line);
        }
        free(text);
    }
    r->in_bp_commands = false;
}

/* ------------------------------------------------------------------------------------------
 * Displays
 * ------------------------------------------------------------------------------------------ */
static void show_display(ui_repl_t *r, const ui_dbg_display_t *disp)
{
    char text[400];
    ui_dbg_display_text(r->dbg, disp, text, sizeof text);
    fprintf(r->out, "%s\n", text);
}

void ui_repl_after_stop(ui_repl_t *r, const ui_dbg_stop_t *st)
{
    for (size_t i = 0; i < ui_dbg_display_count(r->dbg); i++)
        show_display(r, ui_dbg_display(r->dbg, i));
    const ui_dbg_bp_t *bp =
        st->kind == UI_DBG_STOP_BREAKPOINT ? ui_dbg_bp_by_id(r->dbg, st->id) : NULL;
    if (bp && bp->commands)
        r->stop_bp = bp->id;
}

int ui_repl_cmd_display(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "display[/FMT] [EXPR]";
    const char *slash = strchr(argv[0], '/');
    int from = 1;
    if (!slash && argc > 1 && argv[1][0] == '/') /* gdb takes "display /x r3" too */
        slash = argv[from++];
    char fmt = slash ? slash[1] : 0, text[512];
    if (argc == 1) {
        for (size_t i = 0; i < ui_dbg_display_count(r->dbg); i++)
            show_display(r, ui_dbg_display(r->dbg, i));
        return 0;
    }
    if (slash && (!slash[1] || slash[2]))
        return ui_repl_error(r, usage, "Give one format letter after /: x, d, u, t, c or i.");
    if (from >= argc)
        return ui_repl_error(r, usage, "Give the expression to show after every stop.");
    int id = ui_dbg_display_add(r->dbg, fmt, ui_repl_join(argc, argv, from, text, sizeof text));
    if (id < 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    show_display(r, ui_dbg_display(r->dbg, ui_dbg_display_count(r->dbg) - 1));
    return 0;
}

int ui_repl_cmd_undisplay(ui_repl_t *r, int argc, char **argv)
{
    int id;
    if (argc == 1) {
        while (ui_dbg_display_count(r->dbg))
            ui_dbg_display_delete(r->dbg, ui_dbg_display(r->dbg, 0)->id);
        fprintf(r->out, "Every display is deleted.\n");
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (parse_id(r, argv[i], "undisplay [N...]", &id) != 0 ||
            ui_dbg_display_delete(r->dbg, id) != 0)
            return ui_repl_error(r, "undisplay [N...]", "%s", ui_dbg_error(r->dbg));
    return 0;
}

int ui_repl_info_display(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    size_t n = ui_dbg_display_count(r->dbg);
    if (n == 0) {
        fprintf(r->out, "No displays (\"display EXPR\" adds one).\n");
        return 0;
    }
    fprintf(r->out, "Shown after every stop:\n");
    for (size_t i = 0; i < n; i++) {
        const ui_dbg_display_t *d = ui_dbg_display(r->dbg, i);
        fprintf(r->out, "%d:   /%c %s\n", d->id, d->fmt, ui_dbg_cond_text(d->expr));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * set $REG = EXPR, set *ADDR = EXPR
 * ------------------------------------------------------------------------------------------ */
#define SET_USAGE UI_REPL_SET_USAGE

/* The '=' of an assignment (not part of ==, !=, <=, >=), or NULL. */
static const char *assignment(const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p == '=' && p[1] != '=' && (p == text || !strchr("=!<>", p[-1])))
            return p;
    return NULL;
}

/* Prints the edit's event, as the trace shows it. */
static void print_edit(ui_repl_t *r)
{
    char text[320];
    size_t n = ui_dbg_event_count(r->dbg);
    ui_dbg_describe_event(r->dbg, ui_dbg_event(r->dbg, n - 1), text, sizeof text);
    text[0] = (char)(text[0] == 't' ? 'T' : text[0]);
    fprintf(r->out, "%s.\n", text);
}

int ui_repl_cmd_set(ui_repl_t *r, int argc, char **argv)
{
    char lhs[256];
    const char *text = r->rest + strspn(r->rest, " \t");
    if (argc >= 2 && (strcmp(argv[1], "var") == 0 || strcmp(argv[1], "variable") == 0))
        text += strlen(argv[1]) + strspn(text + strlen(argv[1]), " \t");
    const char *eq = assignment(text);
    if (argc < 2 || !eq || (text[0] != '$' && text[0] != '*'))
        return ui_repl_error(r, SET_USAGE,
                             "\"set\" changes a register ($r3 = 5), a memory word "
                             "(*ADDR = 5) or a cost (set cost NAME VALUE).");
    size_t n = (size_t)(eq - text);
    while (n > 0 && text[n - 1] == ' ')
        n--;
    snprintf(lhs, sizeof lhs, "%.*s", (int)n, text);
    uint64_t v;
    if (ui_repl_parse_value(r, eq + 1, SET_USAGE, &v) != 0)
        return -1;
    if (v > 0xffffffffu && v < 0xffffffff80000000u)
        return ui_repl_error(r, SET_USAGE, "0x%llx does not fit in 32 bits.",
                             (unsigned long long)v);
    int rc;
    if (lhs[0] == '$') {
        rc = ui_dbg_set_register(r->dbg, lhs + 1, (uint32_t)v);
    } else {
        ui_dbg_space_t space;
        uint32_t addr;
        if (ui_repl_parse_location(r, lhs + 1, &space, &addr) != 0)
            return -1;
        rc = ui_dbg_write(r->dbg, space, addr, (uint32_t)v);
    }
    if (rc != 0)
        return ui_repl_error(r, SET_USAGE, "%s", ui_dbg_error(r->dbg));
    print_edit(r);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * bt, list
 * ------------------------------------------------------------------------------------------ */
static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int ui_repl_cmd_bt(ui_repl_t *r, int argc, char **argv)
{
    uint64_t max = UI_DBG_MAX_FRAMES;
    if (too_many(r, argc, argv, 2, "bt [N]") != 0 ||
        (argc == 2 && ui_repl_parse_value(r, argv[1], "bt [N]", &max) != 0))
        return -1;
    ui_dbg_frame_t fr[UI_DBG_MAX_FRAMES];
    size_t n;
    char why[320], at[128], where[96];
    ui_dbg_backtrace(r->dbg, fr, max < UI_DBG_MAX_FRAMES ? (size_t)max : UI_DBG_MAX_FRAMES, &n, why,
                     sizeof why);
    for (size_t i = 0; i < n; i++) {
        ui_dbg_line_t line;
        where[0] = '\0';
        if (ui_dbg_line_at(r->dbg, i ? fr[i].pc - 4 : fr[i].pc, &line))
            snprintf(where, sizeof where, "  at %s:%u", file_name(line.file), line.line);
        fprintf(r->out, "#%-2zu %s  sp 0x%08x%s", i, ui_repl_addr(r, fr[i].pc, at, sizeof at),
                fr[i].sp, where);
        if (i)
            fprintf(r->out, "  (return address from %s)",
                    strcmp(fr[i].from, "lr") == 0 ? "lr" : "the stack");
        fprintf(r->out, "\n");
    }
    fprintf(r->out, "%s\n", why);
    return 0;
}

/* Prints lines from..to of a file, marking the one at mark. */
static void list_lines(ui_repl_t *r, const char *file, unsigned from, unsigned to, unsigned mark)
{
    fprintf(r->out, "%s:\n", file_name(file));
    for (unsigned l = from ? from : 1; l <= to; l++) {
        const char *text = ui_dbg_source_line(r->dbg, file, l);
        if (!text)
            break;
        fprintf(r->out, "%s%5u  %s\n", l == mark ? "=>" : "  ", l, text);
        r->list_next = l + 1;
    }
    r->list_file = file;
}

int ui_repl_cmd_list(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "list [LOC]";
    char text[256];
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, ui_dbg_focus(r->dbg));
    uint32_t addr = cpu->s.pc;
    if (argc == 1 && r->list_file) { /* again: the next ten lines */
        list_lines(r, r->list_file, r->list_next, r->list_next + 9, 0);
        return 0;
    }
    if (argc > 1) {
        ui_dbg_space_t space;
        if (ui_repl_parse_location(r, ui_repl_join(argc, argv, 1, text, sizeof text), &space,
                                   &addr) != 0)
            return -1;
    }
    ui_dbg_line_t line;
    if (!ui_dbg_line_at(r->dbg, addr, &line))
        return ui_repl_error(r, usage,
                             "No source line is known for %s: hvasm writes PROG.lines beside "
                             "PROG.bin, and the debugger reads it with PROG.sym.",
                             ui_repl_addr(r, addr, text, sizeof text));
    if (!ui_dbg_source_line(r->dbg, line.file, line.line))
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_line_t here;
    bool pc_known = ui_dbg_line_at(r->dbg, cpu->s.pc, &here) && here.file == line.file;
    list_lines(r, line.file, line.line > 5 ? line.line - 5 : 1, line.line + 4,
               pc_known ? here.line : 0);
    return 0;
}

void ui_repl_free(ui_repl_t *r)
{
    free(r->collect_text);
    r->collect_text = NULL;
}
