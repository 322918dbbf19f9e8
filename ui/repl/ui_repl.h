/*
 * ui_repl.h - the REPL: a gdb-like command line over the debugger API (sim.h, "The debugger").
 *
 * The command table (repl_commands.c) is the single source of the vocabulary: names, aliases,
 * usage, help and completion all come from it. Only repl_readline.c knows readline; the rest
 * runs commands from any text, so scripts, pipes, the tests and (later) the GUI's console use
 * the same code. Output goes to r->out, errors to r->err.
 */
#ifndef HVSIM_UI_REPL_H
#define HVSIM_UI_REPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../debug/ui_debug.h"

/* How hvsim starts the REPL (filled in by hvsim's option parser). */
typedef struct {
    const char *program;  /* --bare PROG (.s or .bin with PROG.sym beside it), or NULL */
    const char *input;    /* console input file, or NULL */
    const char *script;   /* -x SCRIPT: run it and exit, or NULL */
    uint64_t max_cycles;
    uint32_t ram_size;
    uint32_t base;        /* load address of a .bin */
} ui_repl_options_t;

typedef struct ui_repl ui_repl_t;

/* A command's handler: argv[0] is the command as typed. Returns 0, or -1 after printing an
 * error (with the usage when the arguments were wrong). */
typedef int (*ui_repl_handler_t)(ui_repl_t *r, int argc, char **argv);

/* Completion candidates, collected by the completers. */
typedef struct {
    char **v;
    size_t n, cap;
} ui_repl_matches_t;

/* A completer offers candidates for word `argi` (1 = the first argument) that start with
 * `prefix`; argv holds the words before it. */
typedef void (*ui_repl_completer_t)(ui_repl_t *r, int argi, char **argv, const char *prefix,
                                    ui_repl_matches_t *out);

/* A sub-command of a command (info registers, break trap, step event, ...). */
typedef struct {
    const char *name;
    const char *aliases; /* space-separated, or NULL */
    const char *usage;
    const char *help;
    ui_repl_handler_t handler; /* gets argv[0] = the sub-command */
    ui_repl_completer_t complete;
} ui_repl_sub_t;

/* One command of the REPL. */
typedef struct {
    const char *name;
    const char *aliases;   /* space-separated gdb aliases, or NULL */
    const char *usage;
    const char *help;      /* one line, for `help` */
    const char *long_help; /* a paragraph, for `help CMD` and docs/debugger.md */
    ui_repl_handler_t handler;
    ui_repl_completer_t complete;  /* arguments (after any sub-command) */
    const ui_repl_sub_t *subs;     /* NULL-name-terminated, or NULL */
    bool repeat;                   /* an empty line repeats it (the step commands) */
} ui_repl_cmd_t;

extern const ui_repl_cmd_t ui_repl_commands[];
/* The command a word names (its name or an alias, before any "/FMT"), or NULL. */
const ui_repl_cmd_t *ui_repl_find(const char *word);
const ui_repl_sub_t *ui_repl_find_sub(const ui_repl_cmd_t *cmd, const char *name);

struct ui_repl {
    sim_machine_t *m;
    ui_dbg_t *dbg;
    FILE *out, *err;
    bool interactive;      /* prompts; an empty line repeats the last step command */
    bool quit;
    bool has_program;
    uint64_t console_seen; /* console bytes up to which a stop report has begun a fresh line */
    int depth;             /* `source` nesting */
    char last[256];        /* the last repeatable command line */
    const char *rest;      /* the command being run: its raw text after the first word */
    char xfmt, xsize;      /* the last x format and size */
    FILE *trace_out;       /* `trace on`: events as they happen */
    /* `commands N` ... `end` (repl_gdb.c): the lines collected so far. */
    bool collecting;
    int collect_id;
    char *collect_text;
    size_t collect_len;
    int stop_bp;           /* the breakpoint whose commands run after this command, or 0 */
    bool in_bp_commands;   /* running a breakpoint's commands now */
    const char *list_file; /* `list`: the file and the next line to list */
    unsigned list_next;
    const char *src_name;  /* the script being run (errors start "FILE:LINE: "), or NULL */
    unsigned src_line;     /* its line being run */
};

/* Sets up a session on a machine with a debugger attached. */
void ui_repl_init(ui_repl_t *r, sim_machine_t *m, ui_dbg_t *dbg, FILE *out, FILE *err);
/* Runs one line. Returns 0, or -1 when the command failed (the message is printed). */
int ui_repl_execute(ui_repl_t *r, const char *line);
/* Runs every line of a stream (no prompt, no echo). With a name (a script file), each error
 * starts with "name:line: ". Returns the number of failed commands. */
int ui_repl_run_stream(ui_repl_t *r, FILE *in, bool repeat_empty, const char *name);
/* Prints an error sentence, then "Usage: ..." for cmd when it is not NULL. Returns -1. */
int ui_repl_error(ui_repl_t *r, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints a stop: its sentence and, unless the machine is off, where the CPU is now. */
void ui_repl_print_stop(ui_repl_t *r, const ui_dbg_stop_t *st);
/* "0x00001010 <puts+0x4>" into buf. */
const char *ui_repl_addr(ui_repl_t *r, uint32_t addr, char *buf, size_t len);
/* Parses "[SPACE:]EXPR" (also gdb's "*EXPR"; EXPR may name "vm:symbol"). Returns 0, or -1
 * after printing the error. The _vm form also says whose symbol it named (-1: none, any). */
int ui_repl_parse_location(ui_repl_t *r, const char *text, ui_dbg_space_t *space, uint32_t *addr);
int ui_repl_parse_location_vm(ui_repl_t *r, const char *text, ui_dbg_space_t *space, uint32_t *addr,
                              int *vm);
/* Evaluates a count or value argument. Returns 0, or -1 after printing the error (with the
 * usage only when text is empty: a bad expression is no misuse of the command). */
int ui_repl_parse_value(ui_repl_t *r, const char *text, const char *usage, uint64_t *value);

/* Shared by the handlers: prints a run's stop or its error; the words from argv[from] on,
 * joined by single spaces. */
int ui_repl_report(ui_repl_t *r, int rc, const ui_dbg_stop_t *st);
const char *ui_repl_join(int argc, char **argv, int from, char *buf, size_t len);
/* continue N and continue until COND (repl_commands.c), also behind the old spellings. */
int ui_repl_run_cycles(ui_repl_t *r, const char *count);
int ui_repl_run_until_cond(ui_repl_t *r, int argc, char **argv, int from);

/* The gdb vocabulary (repl_gdb.c): next, finish, until, advance, condition, ignore, commands,
 * display, undisplay, set $REG / set *ADDR, bt, list, run, restart. */
int ui_repl_cmd_next(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_finish(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_until(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_advance(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_condition(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_ignore(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_commands(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_display(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_undisplay(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_set(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_bt(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_list(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_run(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_restart(ui_repl_t *r, int argc, char **argv);
/* repl_snap.c: save FILE, restore FILE. */
int ui_repl_cmd_save(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_restore(ui_repl_t *r, int argc, char **argv);
/* The usage line of `set` (its gdb-style assignments and its subcommands). */
#define UI_REPL_SET_USAGE                                                                          \
    "set $REG = EXPR | set *ADDR = EXPR | set cost NAME VALUE | set checkpoint-interval N"
int ui_repl_sub_checkpoint_interval(ui_repl_t *r, int argc, char **argv);
int ui_repl_info_display(ui_repl_t *r, int argc, char **argv);
/* A line while `commands` collects (true: it was taken); after a stop, the displays and the
 * stopping breakpoint's commands (remembered in stop_bp, run by ui_repl_execute). */
bool ui_repl_collect_line(ui_repl_t *r, const char *line);
void ui_repl_after_stop(ui_repl_t *r, const ui_dbg_stop_t *st);
void ui_repl_run_bp_commands(ui_repl_t *r);
void ui_repl_free(ui_repl_t *r);

/* The completer (repl_complete.c): every candidate for the word that ends at `end` in `line`
 * (the word starts at `start`). The caller frees with ui_repl_matches_free. */
void ui_repl_complete(ui_repl_t *r, const char *line, size_t start, size_t end,
                      ui_repl_matches_t *out);
void ui_repl_matches_add(ui_repl_matches_t *m, const char *prefix, const char *candidate);
void ui_repl_matches_free(ui_repl_matches_t *m);
/* Completers the command table uses. */
void ui_repl_complete_symbols(ui_repl_t *r, int argi, char **argv, const char *prefix,
                              ui_repl_matches_t *out);
void ui_repl_complete_causes(ui_repl_t *r, int argi, char **argv, const char *prefix,
                             ui_repl_matches_t *out);
void ui_repl_complete_costs(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out);
void ui_repl_complete_focus(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out);
void ui_repl_complete_vms(ui_repl_t *r, int argi, char **argv, const char *prefix,
                          ui_repl_matches_t *out);
void ui_repl_complete_exits(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out);
/* The VM exit, step by step (repl_exit.c): handler and action names, info exit, finish, the
 * registers a stop at an exit shows, and the line under such a stop. */
void ui_repl_complete_handlers(ui_repl_t *r, int argi, char **argv, const char *prefix,
                               ui_repl_matches_t *out);
void ui_repl_complete_hv_actions(ui_repl_t *r, int argi, char **argv, const char *prefix,
                                 ui_repl_matches_t *out);
int ui_repl_info_exit(ui_repl_t *r, int argc, char **argv);
/* Where the focus is when it is not a live CPU: prints it and returns true (in ring -1 with
 * no exit: the sentence; at an exit: nothing, *view says whose saved registers to show). */
bool ui_repl_view(ui_repl_t *r, ui_dbg_view_t *view);
/* The line under a stop at an exit whose handler has not run; false when st is not one. */
bool ui_repl_print_exit_line(ui_repl_t *r, const ui_dbg_stop_t *st);
void ui_repl_complete_commands(ui_repl_t *r, int argi, char **argv, const char *prefix,
                               ui_repl_matches_t *out);
void ui_repl_complete_modes(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out);
void ui_repl_complete_files(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out);

/* The handlers of the query commands (repl_info.c). */
/* Breakpoints and watchpoints (repl_break.c). */
#define UI_REPL_BREAK_USAGE "break LOC [cpu N] [vm N] [space hpa|gpa|gva] [if COND]"
#define UI_REPL_TBREAK_USAGE "tbreak LOC [cpu N] [vm N] [space hpa|gpa|gva] [if COND]"
#define UI_REPL_WATCH_USAGE "watch ADDR [r|w|rw] [1|2|4]"
#define UI_REPL_RWATCH_USAGE "rwatch ADDR [1|2|4]"
#define UI_REPL_AWATCH_USAGE "awatch ADDR [1|2|4]"
int ui_repl_cmd_break(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_tbreak(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_watch(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_rwatch(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_awatch(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_delete(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_enable(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_disable(ui_repl_t *r, int argc, char **argv);
extern const ui_repl_sub_t ui_repl_break_subs[];
/* A VM by number or name ("tinyos"); 0, or -1 after printing the error with `usage`. */
int ui_repl_parse_vm(ui_repl_t *r, const char *text, const char *usage, int *vm);

int ui_repl_cmd_info(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_x(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_disassemble(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_translate(ui_repl_t *r, int argc, char **argv);
int ui_repl_cmd_print(ui_repl_t *r, int argc, char **argv);
extern const ui_repl_sub_t ui_repl_info_subs[];
/* info vms, info vcpus, info vmcb (repl_vm.c). */
int ui_repl_info_vms(ui_repl_t *r, int argc, char **argv);
int ui_repl_info_vcpus(ui_repl_t *r, int argc, char **argv);
int ui_repl_info_memory(ui_repl_t *r, int argc, char **argv); /* repl_memory.c */
int ui_repl_info_limits(ui_repl_t *r, int argc, char **argv); /* repl_limits.c */
int ui_repl_info_vmcb(ui_repl_t *r, int argc, char **argv);

/* The interactive terminal (repl_readline.c): readline with history and completion; Ctrl-C
 * stops a running machine. Returns when the user quits or at end of input. */
int ui_repl_terminal(ui_repl_t *r);
/*
 * The same terminal for a front end with its own event loop (the GUI), in one thread:
 * ui_repl_terminal_open installs readline's callback handler, the SIGINT handler and the
 * history, prints the prompt and returns the file descriptor to watch. The loop then calls
 * ui_repl_terminal_poll often (or when the descriptor is readable): it waits at most
 * timeout_ms (0: not at all, -1: until input) for input, feeds every character typed so far to
 * readline and runs each completed line as a command (which may run the machine, and returns
 * when that run stops). It returns true when Ctrl-C was pressed at the prompt since the last
 * call (the front end may pause its own run). r->quit is set once the student quits.
 * ui_repl_terminal_print prints a line and/or a stop that the front end caused without
 * garbling the prompt or the line being typed. ui_repl_terminal_close restores the terminal
 * and saves the history. ui_repl_terminal is open, poll until quit, close.
 */
int ui_repl_terminal_open(ui_repl_t *r);
bool ui_repl_terminal_poll(ui_repl_t *r, int timeout_ms);
void ui_repl_terminal_print(ui_repl_t *r, const char *line, const ui_dbg_stop_t *st);
void ui_repl_terminal_close(ui_repl_t *r);
/* Ctrl-C: ui_repl_sigint is the SIGINT handler; while a command runs it asks that command's
 * debugger to stop (ui_repl_execute sets and clears the target). */
void ui_repl_set_sigint_target(ui_dbg_t *dbg);
void ui_repl_sigint(int sig);

/* Loads opt->program as `hvsim --repl --bare` does (a .s assembled, a .bin with PROG.sym beside
 * it) into a machine built by the caller: *entry is where it starts, *syms its symbols (NULL, 0
 * when it has none; free with cpu_syms_free). Returns 0, or -1 after a message to stderr. */
int ui_repl_load_program(sim_machine_t *m, const ui_repl_options_t *opt, uint32_t *entry,
                         cpu_symbol_t **syms, size_t *nsyms);
/* The line table of opt->program for the debugger: a .s's own (assembled again), or PROG.lines
 * beside a .bin. Returns 0 (a .bin without one has none), or -1 (ui_dbg_error says why). */
int ui_repl_load_lines(ui_dbg_t *dbg, const ui_repl_options_t *opt);
/* A ui_dbg_rebuild_fn for the bare machine: ctx is the ui_repl_options_t it was built from
 * (which must outlive the debugger). */
int ui_repl_rebuild_bare(sim_machine_t *m, void *ctx, char *err, size_t len);
/* `hvsim --repl` and `hvsim -x`: builds the machine, loads the program and its symbols, and
 * runs the session (terminal, pipe or script). Returns the process exit status. */
int ui_repl_main(const ui_repl_options_t *opt, bool terminal);

#endif
