/*
 * repl_commands.c - the command table, and the handlers of the commands that run the machine
 * (step, continue, the reverse commands) and change settings (focus, vm, sched, set, trace);
 * breakpoints and watchpoints are in repl_break.c. `help`, completion and docs/debugger.md all
 * come from the table: a command exists for the student exactly when it has a row here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

/* The words from argv[from] on, joined by single spaces (an expression with spaces in it). */
const char *ui_repl_join(int argc, char **argv, int from, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = from; i < argc && used + 1 < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i > from ? " " : "", argv[i]);
        if (n < 0)
            break;
        used += (size_t)n < len - used ? (size_t)n : len - used - 1;
    }
    return buf;
}

/* Prints a run's stop, or its error. */
int ui_repl_report(ui_repl_t *r, int rc, const ui_dbg_stop_t *st)
{
    if (rc != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_repl_print_stop(r, st);
    return 0;
}

static int no_args(ui_repl_t *r, int argc, char **argv, const char *usage)
{
    if (argc > 1)
        return ui_repl_error(r, usage, "\"%s\" takes no arguments; \"%s\" is one too many.",
                             argv[0], argv[1]);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------------------ */

static int stepi_by(ui_repl_t *r, int argc, char **argv, const char *usage,
                    int (*run)(ui_dbg_t *, uint64_t, ui_dbg_stop_t *))
{
    uint64_t n = 1;
    if (argc > 2)
        return ui_repl_error(r, usage, "Give one count, not %d words.", argc - 1);
    if (argc == 2 && ui_repl_parse_value(r, argv[1], usage, &n) != 0)
        return -1;
    ui_dbg_stop_t st;
    return ui_repl_report(r, run(r->dbg, n, &st), &st);
}

static int stepi(ui_repl_t *r, int argc, char **argv, const char *usage)
{
    return stepi_by(r, argc, argv, usage, ui_dbg_stepi);
}

/* Back N instructions (debug_reverse.c). */
static int cmd_reverse_stepi(ui_repl_t *r, int argc, char **argv)
{
    return stepi_by(r, argc, argv, "reverse-stepi [N]", ui_dbg_reverse_stepi);
}

static int cmd_stepi(ui_repl_t *r, int argc, char **argv)
{
    return stepi(r, argc, argv, "stepi [N]");
}

static int cmd_step(ui_repl_t *r, int argc, char **argv)
{
    return stepi(r, argc, argv, "step [trap|exit|event|N]");
}

/* step trap, step exit, step event: no arguments, one run. */
static int step_to(ui_repl_t *r, int argc, char **argv, const char *usage,
                   int (*run)(ui_dbg_t *, ui_dbg_stop_t *))
{
    ui_dbg_stop_t st;
    if (no_args(r, argc, argv, usage) != 0)
        return -1;
    return ui_repl_report(r, run(r->dbg, &st), &st);
}

/* reverse-step event, reverse-continue, reverse-finish: no arguments, one replay. */
static int sub_reverse_step_event(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "reverse-step event", ui_dbg_reverse_step_event);
}

static int cmd_reverse_step(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ui_repl_error(r, "reverse-step event",
                         "Say what to step back to: \"reverse-step event\" (instructions: "
                         "\"reverse-stepi\").");
}

static int cmd_reverse_continue(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "reverse-continue", ui_dbg_reverse_continue);
}

static int cmd_reverse_finish(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "reverse-finish", ui_dbg_reverse_finish);
}

static int sub_step_trap(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "step trap", ui_dbg_step_trap);
}

static int sub_step_exit(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "step exit", ui_dbg_step_exit);
}

static int sub_step_event(ui_repl_t *r, int argc, char **argv)
{
    return step_to(r, argc, argv, "step event", ui_dbg_step_event);
}

#define CONTINUE_USAGE "continue [N | until COND]"

int ui_repl_run_until_cond(ui_repl_t *r, int argc, char **argv, int from)
{
    char text[512];
    if (from >= argc)
        return ui_repl_error(r, CONTINUE_USAGE,
                             "Give a condition, e.g. \"continue until r3 == "
                             "10\".");
    ui_dbg_cond_t *cond =
        ui_dbg_cond_parse(r->dbg, ui_repl_join(argc, argv, from, text, sizeof text));
    if (!cond)
        return ui_repl_error(r, CONTINUE_USAGE, "%s", ui_dbg_error(r->dbg));
    ui_dbg_stop_t st;
    int rc = ui_repl_report(r, ui_dbg_until(r->dbg, cond, &st), &st);
    ui_dbg_cond_free(cond);
    return rc;
}

int ui_repl_run_cycles(ui_repl_t *r, const char *count)
{
    uint64_t n;
    if (ui_repl_parse_value(r, count, CONTINUE_USAGE, &n) != 0)
        return -1;
    ui_dbg_stop_t st;
    return ui_repl_report(r, ui_dbg_run_cycles(r->dbg, n, &st), &st);
}

/* continue; continue N (cycles of the focus CPU); continue until COND. */
static int cmd_continue(ui_repl_t *r, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "until") == 0)
        return ui_repl_run_until_cond(r, argc, argv, 2);
    if (argc == 2)
        return ui_repl_run_cycles(r, argv[1]);
    return step_to(r, argc, argv, CONTINUE_USAGE, ui_dbg_continue);
}

/* ------------------------------------------------------------------------------------------
 * Focus, VMs, settings
 * ------------------------------------------------------------------------------------------ */
static int cmd_focus(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "focus VM|hv|cpuN";
    if (argc != 2)
        return ui_repl_error(r, usage, "Give what to focus on: a VM, hv, or a CPU (cpu0, "
                             "cpu1, ...).");
    if (strncmp(argv[1], "cpu", 3) == 0 && argv[1][3]) {
        char *end;
        long n = strtol(argv[1] + 3, &end, 10);
        if (*end || n < 0 || ui_dbg_set_focus(r->dbg, (unsigned)(n > 255 ? 255 : n)) != 0)
            return ui_repl_error(r, usage, "%s",
                                 *end || n < 0 ? "Not a CPU name." : ui_dbg_error(r->dbg));
        fprintf(r->out, "Focus: cpu%ld (registers, stepping and virtual addresses are its).\n", n);
        return 0;
    }
    if (!ui_dbg_has_hypervisor(r->dbg)) {
        if (strcmp(argv[1], "hv") == 0) {
            fprintf(r->out,
                    "No hypervisor: this machine runs without one (a bare program or a native "
                    "scenario); the focus stays on the machine, cpu%u, with hpa addresses.\n",
                    ui_dbg_focus(r->dbg));
            return 0;
        }
        return ui_repl_error(r, NULL, "%s", UI_DBG_NO_VMS);
    }
    if (strcmp(argv[1], "hv") == 0) {
        ui_dbg_set_focus_vm(r->dbg, -1);
        fprintf(r->out, "Focus: the hypervisor on cpu%u (hpa addresses, its own symbols).\n",
                ui_dbg_focus(r->dbg));
        return 0;
    }
    int vm;
    if (ui_repl_parse_vm(r, argv[1], usage, &vm) != 0 || ui_dbg_set_focus_vm(r->dbg, vm) != 0)
        return vm < 0 ? -1 : ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_vm_t info;
    ui_dbg_vm_info(r->dbg, (unsigned)vm, &info);
    fprintf(r->out,
            "Focus: %s (vm %d): gva addresses and symbols are its own, gpa: its "
            "guest-physical memory; cpu%u.\n",
            info.name, vm, ui_dbg_focus(r->dbg));
    return 0;
}

static int sub_vm(ui_repl_t *r, int argc, char **argv, bool pause)
{
    int vm = 0;
    const char *usage = pause ? "vm pause N" : "vm resume N";
    if (argc != 2)
        return ui_repl_error(r, usage, "Give the VM's number (\"info vms\" lists them).");
    if (ui_repl_parse_vm(r, argv[1], usage, &vm) != 0)
        return -1;
    if (ui_dbg_vm_pause(r->dbg, vm, pause) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_vm_t info;
    ui_dbg_vm_info(r->dbg, (unsigned)vm, &info);
    fprintf(r->out, "%s %s (vm %d): %s.\n", pause ? "Paused" : "Resumed", info.name, vm,
            pause ? "its VCPUs stop at once and nothing of it runs; its virtual time goes on"
                  : "its VCPUs can be scheduled again");
    return 0;
}

/* vm save NAME|N FILE, vm restore FILE (cold migration, docs/snapshot.md). */
static int sub_vm_save(ui_repl_t *r, int argc, char **argv)
{
    int vm = 0;
    const char *usage = "vm save N FILE";
    if (argc != 3)
        return ui_repl_error(r, usage, "Give the VM (its number or name) and the file.");
    if (ui_repl_parse_vm(r, argv[1], usage, &vm) != 0)
        return -1;
    if (ui_dbg_vm_save(r->dbg, vm, argv[2]) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_vm_t info;
    ui_dbg_vm_info(r->dbg, (unsigned)vm, &info);
    fprintf(r->out,
            "Saved %s (vm %d) to %s: \"vm restore %s\" builds it again, here or in "
            "another scenario.\n",
            info.name, vm, argv[2], argv[2]);
    return 0;
}

static int sub_vm_restore(ui_repl_t *r, int argc, char **argv)
{
    if (argc != 2)
        return ui_repl_error(r, "vm restore FILE", "Give the file a \"vm save\" wrote.");
    int vm = ui_dbg_vm_restore(r->dbg, argv[1]);
    if (vm < 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    ui_dbg_vm_t info;
    ui_dbg_vm_info(r->dbg, (unsigned)vm, &info);
    fprintf(r->out,
            "Restored %s as vm %d, paused: \"vm resume %d\" lets it go on where it "
            "stopped.\n",
            info.name, vm, vm);
    return 0;
}

/* migrate VM to HOST: live migration by pre-copy (docs/migration.md). */
static int cmd_migrate(ui_repl_t *r, int argc, char **argv)
{
    int vm = 0;
    const char *usage = "migrate VM to host1";
    if (argc != 4 || strcmp(argv[2], "to") != 0)
        return ui_repl_error(r, usage, "Give the VM (its number or name) and the host.");
    if (ui_repl_parse_vm(r, argv[1], usage, &vm) != 0)
        return -1;
    if (ui_dbg_migrate(r->dbg, vm, argv[3]) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    fprintf(r->out,
            "Migrating %s to %s: pre-copy rounds start as the machine runs (\"continue\"); "
            "\"info migration\" shows them.\n",
            argv[1], argv[3]);
    return 0;
}

/* balloon VM SIZE: the balloon's target moves (docs/memory.md, "Ballooning"). */
static int cmd_balloon(ui_repl_t *r, int argc, char **argv)
{
    int vm = 0;
    const char *usage = "balloon VM SIZE";
    if (argc != 3)
        return ui_repl_error(r, usage, "Give the VM (its number or name) and the balloon's size.");
    if (ui_repl_parse_vm(r, argv[1], usage, &vm) != 0)
        return -1;
    if (ui_dbg_balloon(r->dbg, vm, argv[2]) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    fprintf(r->out,
            "%s's balloon should hold %s now: its driver inflates or deflates as the machine "
            "runs (\"continue\"); \"info memory\" shows it.\n",
            argv[1], argv[2]);
    return 0;
}

static int sub_vm_pause(ui_repl_t *r, int argc, char **argv)
{
    return sub_vm(r, argc, argv, true);
}

static int sub_vm_resume(ui_repl_t *r, int argc, char **argv)
{
    return sub_vm(r, argc, argv, false);
}

static int sub_sched(ui_repl_t *r, int argc, char **argv)
{
    if (ui_dbg_sched_policy(r->dbg, argv[0]) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    (void)argc;
    fprintf(r->out, "Scheduling: %s.\n", strcmp(argv[0], "pin") == 0
            ? "pin (each VCPU keeps its own pCPU)"
            : "overcommit (the VCPUs share the pCPUs in time slices)");
    return 0;
}

static int sub_set_cost(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "set cost NAME VALUE";
    uint64_t v;
    if (argc != 3)
        return ui_repl_error(r, usage, "Give a cost's name and its new value in cycles (\"info "
                             "costs\" lists them).");
    if (ui_repl_parse_value(r, argv[2], usage, &v) != 0)
        return -1;
    if (v > 0xffffffffu)
        return ui_repl_error(r, usage, "A cost is at most 4294967295 cycles.");
    if (ui_dbg_set_cost(r->dbg, argv[1], (uint32_t)v) != 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    char cycles[48];
    fprintf(r->out, "Cost %s = %s.\n", argv[1], sim_counted(v, "cycle", cycles, sizeof cycles));
    return 0;
}

/* The trace sink: one sentence per event, as it happens. */
static void print_event(const sim_event_t *ev, void *ctx)
{
    ui_repl_t *r = ctx;
    char text[320], cyc[32];
    ui_dbg_describe_event(r->dbg, ev, text, sizeof text);
    fprintf(r->trace_out, "  [cycle %s] %s\n", sim_group_digits(ev->cycle, cyc, sizeof cyc), text);
}

static int sub_trace_on(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    r->trace_out = r->out;
    ui_dbg_set_trace(r->dbg, print_event, r);
    fprintf(r->out, "Tracing: every event is printed as it happens.\n");
    return 0;
}

static int sub_trace_off(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    ui_dbg_set_trace(r->dbg, NULL, NULL);
    fprintf(r->out, "Tracing off.\n");
    return 0;
}

static int sub_trace_save(ui_repl_t *r, int argc, char **argv)
{
    if (argc != 2)
        return ui_repl_error(r, "trace save FILE", "Give the file to write the event log to.");
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return ui_repl_error(r, NULL, "%s: cannot write: %s", argv[1], strerror(errno));
    size_t n = ui_dbg_event_count(r->dbg);
    char line[200];
    for (size_t i = 0; i < n; i++) {
        sim_event_format(ui_dbg_event(r->dbg, i), line, sizeof line);
        fprintf(f, "%s\n", line);
    }
    if (fclose(f) != 0)
        return ui_repl_error(r, NULL, "%s: cannot write: %s", argv[1], strerror(errno));
    char events[48];
    fprintf(r->out, "Saved %s to %s.\n", sim_counted(n, "event", events, sizeof events), argv[1]);
    return 0;
}

static int cmd_source(ui_repl_t *r, int argc, char **argv)
{
    if (argc != 2)
        return ui_repl_error(r, "source FILE", "Give the file of commands to run.");
    if (r->depth >= 8)
        return ui_repl_error(r, NULL, "%s: sourced files nest too deep (8 levels).", argv[1]);
    FILE *f = fopen(argv[1], "r");
    if (!f)
        return ui_repl_error(r, NULL, "%s: cannot read: %s", argv[1], strerror(errno));
    r->depth++;
    int failed = ui_repl_run_stream(r, f, false, argv[1]);
    r->depth--;
    fclose(f);
    return failed ? -1 : 0;
}

static int cmd_quit(ui_repl_t *r, int argc, char **argv)
{
    if (no_args(r, argc, argv, "quit") != 0)
        return -1;
    r->quit = true;
    return 0;
}

static int cmd_complete(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    /* The raw text after "complete ", trailing space and all: completion as Tab would see it. */
    const char *line = r->rest;
    size_t end = strlen(line), start = end;
    while (start > 0 && line[start - 1] != ' ')
        start--;
    ui_repl_matches_t m = {0};
    ui_repl_complete(r, line, start, end, &m);
    for (size_t i = 0; i < m.n; i++)
        fprintf(r->out, "%.*s%s\n", (int)start, line, m.v[i]);
    ui_repl_matches_free(&m);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * help
 * ------------------------------------------------------------------------------------------ */
static int cmd_help(ui_repl_t *r, int argc, char **argv)
{
    char head[64];
    if (argc == 1) {
        fprintf(r->out, "Commands (gdb aliases in brackets; \"help CMD\" tells more):\n");
        for (const ui_repl_cmd_t *c = ui_repl_commands; c->name; c++) {
            snprintf(head, sizeof head, "%s%s%s%s", c->name, c->aliases ? " [" : "",
                     c->aliases ? c->aliases : "", c->aliases ? "]" : "");
            fprintf(r->out, "  %-22s %s\n", head, c->help);
        }
        fprintf(r->out, "Addresses take a space prefix: hpa: (host-physical), gpa: (guest-physical), "
                        "gva: (virtual).\nAn empty line repeats the last step command; Ctrl-C stops "
                        "a running machine.\n");
        return 0;
    }
    const ui_repl_cmd_t *c = ui_repl_find(argv[1]);
    if (!c)
        return ui_repl_error(r, "help [CMD]", "Unknown command \"%s\". Try \"help\".", argv[1]);
    fprintf(r->out, "Usage: %s\n", c->usage);
    if (c->aliases)
        fprintf(r->out, "Aliases: %s\n", c->aliases);
    fprintf(r->out, "%s\n", c->long_help);
    if (c->subs) {
        fprintf(r->out, "Sub-commands:\n");
        for (const ui_repl_sub_t *s = c->subs; s->name; s++)
            fprintf(r->out, "  %-30s %s\n", s->usage, s->help);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------------ */
#define SET_USAGE UI_REPL_SET_USAGE

static const ui_repl_sub_t reverse_step_subs[] = {
    {"event", NULL, "reverse-step event", "back to the event before the one shown",
     sub_reverse_step_event, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const ui_repl_sub_t step_subs[] = {
    {"trap", NULL, "step trap", "run to the next trap or interrupt", sub_step_trap, NULL},
    {"exit", NULL, "step exit", "run to the next VM exit (stops before the handler)", sub_step_exit,
     NULL},
    {"event", NULL, "step event", "run to the next event of any kind (trap, I/O, mode, ...)",
     sub_step_event, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const ui_repl_sub_t vm_subs[] = {
    {"pause", NULL, "vm pause N", "pause a VM (needs the hypervisor)", sub_vm_pause,
     ui_repl_complete_vms},
    {"resume", NULL, "vm resume N", "resume a paused VM (needs the hypervisor)", sub_vm_resume,
     ui_repl_complete_vms},
    {"save", NULL, "vm save N FILE", "save a paused VM with its memory and disk to FILE",
     sub_vm_save, ui_repl_complete_vms},
    {"restore", NULL, "vm restore FILE", "build a VM saved by vm save here, paused", sub_vm_restore,
     ui_repl_complete_files},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const ui_repl_sub_t sched_subs[] = {
    {"pin", NULL, "sched pin", "one VCPU per physical CPU", sub_sched,
     NULL},
    {"overcommit", NULL, "sched overcommit", "more VCPUs than CPUs, time-shared", sub_sched, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const ui_repl_sub_t set_subs[] = {
    {"cost", NULL, "set cost NAME VALUE", "change one entry of the cycle cost table", sub_set_cost,
     ui_repl_complete_costs},
    {"checkpoint-interval", NULL, "set checkpoint-interval N",
     "take a checkpoint every N cycles (reverse-stepi replays from them)",
     ui_repl_sub_checkpoint_interval, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const ui_repl_sub_t trace_subs[] = {
    {"on", NULL, "trace on", "print every event as it happens", sub_trace_on, NULL},
    {"off", NULL, "trace off", "stop printing events", sub_trace_off, NULL},
    {"save", NULL, "trace save FILE", "write the event log (the last 4096 events) to FILE",
     sub_trace_save, ui_repl_complete_files},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* A command whose sub-command is missing or unknown. */
static int need_sub(ui_repl_t *r, int argc, char **argv)
{
    const ui_repl_cmd_t *c = ui_repl_find(argv[0]);
    if (argc == 1) {
        char list[512];
        size_t used = 0;
        for (const ui_repl_sub_t *s = c->subs; s->name && used < sizeof list; s++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     s == c->subs ? "" : ", ", s->name);
        return ui_repl_error(r, c->usage, "\"%s\" needs a sub-command: %s.", c->name, list);
    }
    return ui_repl_error(r, c->usage, "Unknown sub-command \"%s %s\". Try \"help %s\".", c->name,
                         argv[1], c->name);
}

const ui_repl_cmd_t ui_repl_commands[] = {
    {"help", "h", "help [CMD]", "list the commands, or explain one",
     "Without an argument, lists every command with its aliases. With one, shows its usage and "
     "what it does.",
     cmd_help, ui_repl_complete_commands, NULL, false},
    {"continue", "c cont", CONTINUE_USAGE, "run until a breakpoint, a watchpoint or the end",
     "Runs every CPU until a breakpoint or watchpoint fires, the program powers the machine off, "
     "every CPU halts for good, or Ctrl-C. Continuing from a breakpoint does not stop at it "
     "again at once. \"continue N\" runs until the focus CPU has spent N more cycles (it stops "
     "at the first instruction boundary at or past them; this was \"run N\"; gdb's own "
     "\"continue N\" ignores a breakpoint, which \"ignore\" does here). \"continue until "
     "COND\" runs the focus CPU until COND is true before an instruction (after at least one); "
     "COND is an expression over r0..r15, sp, lr, pc, flags, mode (U K H), cycle, instret, "
     "CSRs, symbols and [ADDR], with C's operators: \"continue until r3 == 10\".",
     cmd_continue, ui_repl_complete_symbols, NULL, true},
    {"next", "n ni nexti", "next [N]", "run one instruction (N), over calls",
     "As stepi, but a call (jal or jalr through lr) runs until it returns to the next "
     "instruction in this frame, so the routine called is stepped over. A breakpoint inside it "
     "still stops the machine. This machine has no source lines of a higher language, so next "
     "and ni are the same.",
     ui_repl_cmd_next, NULL, NULL, true},
    {"finish", "fin", "finish", "run until the current routine returns",
     "Runs until the routine the focus CPU is in returns to its caller (frame 1 of bt). At a "
     "VM-exit stop, before the hypervisor's handler has run, runs to the VM entry that ends "
     "the handling.",
     ui_repl_cmd_finish, NULL, NULL, true},
    {"stepi", "si", "stepi [N]", "run N instructions (1) on the focus CPU",
     "Runs one instruction (or N) on the focus CPU. A trap or interrupt taken on the way is "
     "named in the stop. An instruction that exits is one step: the hypervisor's handling runs "
     "and the step ends where the guest resumes (\"step event\" walks through the handling). "
     "Other CPUs run as they would have without the debugger.",
     cmd_stepi, NULL, NULL, true},
    {"reverse-stepi", "rsi", "reverse-stepi [N]", "go back N instructions (1) on the focus CPU",
     "Puts the whole machine back where it was N steps ago on the focus CPU: exactly where "
     "\"stepi N\" would come back here from (an instruction that exited, with the "
     "hypervisor's handling, is one step; so is a trap entered). It restores the last "
     "checkpoint before that (one is taken every checkpoint-interval cycles while the machine "
     "runs) and runs forward to it, breakpoints asleep. A \"set\" of a register or memory "
     "word drops the checkpoints: the past no longer leads here.",
     cmd_reverse_stepi, NULL, NULL, true},
    {"reverse-step", "rs", "reverse-step event", "go back one event",
     "\"reverse-step event\" puts the machine back at the event before the one the last stop "
     "showed (or before this point), stopped as \"step event\" stops there: from a guest "
     "instruction after a VM entry it goes back into the exit's handling, one hypervisor "
     "action at a time, then to the exit. It replays from the last checkpoint before it.",
     cmd_reverse_step, NULL, reverse_step_subs, true},
    {"reverse-continue", "rc", "reverse-continue", "go back to the last breakpoint hit",
     "Puts the machine back at the last stop of a breakpoint or watchpoint before now: it "
     "replays from the checkpoints, the latest first, until one holds a hit, then replays to "
     "the last hit. Hit counts, ignore counts and tbreaks stay as they are. With no hit "
     "since the first checkpoint it says so and the machine stays where it was.",
     cmd_reverse_continue, NULL, NULL, true},
    {"reverse-finish", NULL, "reverse-finish", "go back to the call of this routine",
     "Puts the machine back at the `call` that entered the routine the focus CPU is in (frame "
     "1 of bt: the caller's call, with its sp). In a VM exit's handling, back to the exit.",
     cmd_reverse_finish, NULL, NULL, true},
    {"step", "s", "step [trap|exit|event|N]", "step to the next trap, VM exit or event",
     "\"step trap\" runs to the next trap or interrupt, \"step exit\" to the next VM exit, "
     "\"step event\" to the next event of any kind (several events of one instruction come "
     "one by one; from a VM exit, the hypervisor's actions one by one, up to the VM entry). "
     "\"step\" or \"step N\" is stepi: this machine has no source lines.",
     cmd_step, NULL, step_subs, true},
    {"until", "u", "until [LOC]", "run to a location in this frame, or past a loop",
     "As gdb: \"until LOC\" runs until the pc reaches LOC in the current frame (or a caller), "
     "or the current routine returns. Bare \"until\" is next, except at a backward jump (a "
     "loop's end), where it runs on until the pc is past it. The old \"until COND\" (a "
     "comparison) still works and says its new name: \"continue until COND\".",
     ui_repl_cmd_until, ui_repl_complete_symbols, NULL, true},
    {"advance", NULL, "advance LOC", "run to a location (in any frame), or the return",
     "Runs until the pc reaches LOC, in any frame, or the current routine returns.",
     ui_repl_cmd_advance, ui_repl_complete_symbols, NULL, false},
    {"run", "r", "run", "start the program or scenario again from cycle 0, and continue",
     "Builds the machine again as hvsim built it at the start (the same program or scenario, "
     "so the same cycles follow) and continues it. Breakpoints and displays are kept. The old "
     "\"run N\" still runs N cycles and says its new name, \"continue N\".",
     ui_repl_cmd_run, NULL, NULL, false},
    {"restart", NULL, "restart", "start again from cycle 0, stopped",
     "As run, but stops at cycle 0, before the first instruction.", ui_repl_cmd_restart, NULL, NULL,
     false},
    {"save", NULL, "save FILE", "save the whole machine to a snapshot file",
     "Writes every CPU, RAM, the devices, the disks and the hypervisor with its VMs to FILE "
     "(docs/snapshot.md), crash-safely: a save that fails leaves any earlier FILE as it was. "
     "\"restore FILE\" (or hvsim --restore FILE) goes on from there, cycle for cycle.",
     ui_repl_cmd_save, ui_repl_complete_files, NULL, false},
    {"restore", NULL, "restore FILE", "go back to the machine a snapshot file holds",
     "Loads a snapshot made by save into a fresh machine, which replaces this one only when the "
     "whole file is good (a bad file is refused with the byte offset and the rule broken, and "
     "changes nothing). Breakpoints and displays are kept.",
     ui_repl_cmd_restore, ui_repl_complete_files, NULL, false},
    {"break", "b br", UI_REPL_BREAK_USAGE, "set a breakpoint on an address, trap, mode, cycle, ...",
     "Stops before the instruction at LOC runs. LOC is an address, a symbol or an expression, "
     "with an optional space prefix (hpa:, gva:; gpa: needs a VM), or FILE:LINE of the source "
     "(\"kernel.s:120\", from the line tables). A VM's symbol (tinyos:NAME, or a name only one "
     "VM has) makes it that VM's breakpoint. \"cpu N\" limits it to one "
     "CPU. \"if COND\" stops only when COND is true there (see condition). The sub-commands "
     "break on other things.",
     ui_repl_cmd_break, ui_repl_complete_symbols, ui_repl_break_subs, false},
    {"tbreak", NULL, UI_REPL_TBREAK_USAGE, "a breakpoint deleted at its first stop",
     "As break LOC, but the breakpoint is deleted once it has stopped the machine.",
     ui_repl_cmd_tbreak, ui_repl_complete_symbols, NULL, false},
    {"condition", NULL, "condition N [COND]", "stop at breakpoint N only when COND is true",
     "COND (an expression, as for print) is evaluated on the CPU that hits breakpoint N; it "
     "stops only when COND is not 0 (a hit that cannot be evaluated stops, so that you see "
     "why). Without COND the breakpoint stops every time again.",
     ui_repl_cmd_condition, ui_repl_complete_symbols, NULL, false},
    {"ignore", NULL, "ignore N COUNT", "pass over the next COUNT hits of breakpoint N",
     "The next COUNT hits of breakpoint N (where its condition holds) are counted but do not "
     "stop the machine.",
     ui_repl_cmd_ignore, NULL, NULL, false},
    {"commands", NULL, "commands [N]", "commands to run when breakpoint N stops (... end)",
     "The lines after it, up to a line \"end\", are run each time breakpoint N (the last one "
     "set, without N) stops the machine, after its stop and displays are printed. In a script "
     "(-x, source) as at the prompt. An empty list (\"commands N\" then \"end\") removes "
     "them.",
     ui_repl_cmd_commands, NULL, NULL, false},
    {"watch", NULL, UI_REPL_WATCH_USAGE, "stop when memory is written (or read)",
     "Stops after a store (w, the default), a load (r) or either (rw) reaches the bytes at ADDR "
     "(4, or the size given): a gva or gpa is followed to the host-physical word behind it, so "
     "the guest's own stores, the hypervisor's accesses on its behalf and device DMA all fire. "
     "The stop names who made the access, the value and what was there before.",
     ui_repl_cmd_watch, ui_repl_complete_symbols, NULL, false},
    {"rwatch", NULL, UI_REPL_RWATCH_USAGE, "stop when memory is read",
     "gdb's rwatch: \"watch ADDR r\". Stops after any load (a CPU's, the hypervisor's, a DMA "
     "read) of the bytes at ADDR.",
     ui_repl_cmd_rwatch, ui_repl_complete_symbols, NULL, false},
    {"awatch", NULL, UI_REPL_AWATCH_USAGE, "stop when memory is read or written",
     "gdb's awatch: \"watch ADDR rw\". Stops after any access to the bytes at ADDR.",
     ui_repl_cmd_awatch, ui_repl_complete_symbols, NULL, false},
    {"delete", "d", "delete [N...]", "delete breakpoints (all of them without N)",
     "Deletes the breakpoints and watchpoints with these numbers, or all of them.",
     ui_repl_cmd_delete, NULL, NULL, false},
    {"disable", NULL, "disable N...", "turn breakpoints off without deleting them",
     "Disabled breakpoints stay in the list and never fire until enabled.", ui_repl_cmd_disable,
     NULL, NULL, false},
    {"enable", NULL, "enable N...", "turn disabled breakpoints back on", "The opposite of disable.",
     ui_repl_cmd_enable, NULL, NULL, false},
    {"info", "i", "info WHAT", "show registers, breakpoints, TLB, stats, ...",
     "Shows a part of the machine's state; the sub-commands say which.", need_sub, NULL,
     ui_repl_info_subs, false},
    {"x", NULL, "x/NFU ADDR", "examine memory (gdb formats x d u t c s i, sizes b h w)",
     "Shows N units of memory at ADDR. F is the format: x hex, d signed, u unsigned, t binary, "
     "c character, s string, i instruction. U is the unit: b byte, h half, w word. A prefix "
     "hpa:, gpa: or gva: chooses the address space. F and U are remembered.",
     ui_repl_cmd_x, ui_repl_complete_symbols, NULL, false},
    {"display", NULL, "display[/FMT] [EXPR]", "show an expression after every stop",
     "Evaluates EXPR (as print) after every stop and shows it in format FMT: x (the default), "
     "d, u, t, c, or i (the instruction at that address: \"display/i pc\"). Without EXPR, "
     "shows every display now; \"info display\" lists them.",
     ui_repl_cmd_display, ui_repl_complete_symbols, NULL, false},
    {"undisplay", NULL, "undisplay [N...]", "stop showing displays (all of them without N)",
     "Deletes the displays with these numbers, or all of them.", ui_repl_cmd_undisplay, NULL, NULL,
     false},
    {"backtrace", "bt where", "backtrace [N]", "the chain of calls that led here",
     "Walks the focus CPU's stack from lr and the frames of the guests' calling convention "
     "(docs/isa.md, \"Calling convention\"): frame 0 is where the CPU is; each next one is "
     "where the routine before returns to. The last line says where and why the walk ends: a "
     "trap vector, a routine jumped to rather than called, or no symbol.",
     ui_repl_cmd_bt, NULL, NULL, false},
    {"list", "l", "list [LOC]", "the assembly source around the pc (or LOC)",
     "Prints ten lines of the source around the pc (or LOC), \"=>\" marking the pc's line, "
     "from the line table hvasm writes beside each image (PROG.lines). \"list\" again goes "
     "on with the next ten.",
     ui_repl_cmd_list, ui_repl_complete_symbols, NULL, false},
    {"print", "p", "print EXPR", "evaluate an expression",
     "Evaluates EXPR on the focus CPU (the language of \"until\") and prints it in hex and "
     "decimal.",
     ui_repl_cmd_print, ui_repl_complete_symbols, NULL, false},
    {"disassemble", "disas", "disassemble [ADDR [N]]", "list instructions with symbols",
     "Lists N instructions (8) from ADDR (a little before the pc). \"=>\" marks the pc, "
     "\"B\" an enabled breakpoint, \"b\" a disabled one.",
     ui_repl_cmd_disassemble, ui_repl_complete_symbols, NULL, false},
    {"translate", "tr", "translate ADDR", "show a page walk, reference by reference",
     "Translates ADDR (gva by default, or gpa:) as the focus CPU would, without touching its "
     "TLB, and shows every memory reference of the walk; a 2-D walk as a grid.",
     ui_repl_cmd_translate, ui_repl_complete_symbols, NULL, false},
    {"focus", NULL, "focus VM|hv|cpuN", "choose the default VM, CPU and address space",
     "Sets the CPU that steps and whose registers and virtual addresses commands use; with "
     "the hypervisor also the default VM and its symbols (every VM's symbols work without it, "
     "as tinyos:NAME).",
     cmd_focus, ui_repl_complete_focus, NULL, false},
    {"vm", NULL, "vm pause|resume|save|restore ...", "pause, resume, save or restore a VM",
     "Pauses or resumes a whole VM (all its VCPUs). \"vm save N FILE\" writes a paused VM "
     "(its memory, VCPUs, devices and disk) to FILE; \"vm restore FILE\" builds it in this "
     "machine's hypervisor, in this scenario or another, paused, its guest time going on where "
     "it stopped: cold migration (docs/snapshot.md).",
     need_sub, NULL, vm_subs, false},
    {"migrate", NULL, "migrate VM to host1", "move a running VM to the other host, live",
     "Live migration by pre-copy (docs/migration.md): as the machine runs on, the VM's pages "
     "go to the other host in rounds, each sending the pages its guest dirtied (nested D bits) "
     "during the last; then the VM pauses for the stop-and-copy and resumes on the other host. "
     "\"info migration\" shows the rounds, the total time and the downtime.",
     cmd_migrate, NULL, NULL, false},
    {"balloon", NULL, "balloon VM SIZE", "give a VM's balloon a new target",
     "The hypervisor asks VM's balloon driver to hold SIZE (2M, 512K, 0) from now on: the "
     "guest gives free pages of its own choosing (inflate) or takes pages back (deflate) "
     "(docs/memory.md, \"Ballooning\").",
     cmd_balloon, NULL, NULL, false},
    {"sched", NULL, "sched pin|overcommit", "change the VCPU scheduling policy",
     "pin: each VCPU has a physical CPU of its own; overcommit: VCPUs share CPUs by time "
     "slices.",
     need_sub, NULL, sched_subs, false},
    {"set", NULL, SET_USAGE, "change a register, a memory word or a cycle cost",
     "\"set $REG = EXPR\" sets a register of the focus CPU (r1..r15, sp, lr, pc, flags); "
     "\"set *ADDR = EXPR\" a word of RAM (ADDR with hpa:, gpa: or gva:, as for x). Each is a "
     "debugger edit, logged as an event (\"edit\") so the trace shows it. \"set cost NAME "
     "VALUE\" changes one entry of the cost table from now on.",
     ui_repl_cmd_set, NULL, set_subs, false},
    {"trace", NULL, "trace on|off|save FILE", "print events as they happen, or save the log",
     "\"trace on\" prints every event as it happens, \"trace off\" stops, \"trace save FILE\" "
     "writes the event log.",
     need_sub, NULL, trace_subs, false},
    {"source", NULL, "source FILE", "run the commands in a file",
     "Runs FILE's lines as commands (empty lines and lines starting with # are skipped).",
     cmd_source, ui_repl_complete_files, NULL, false},
    {"complete", NULL, "complete TEXT", "list the completions of TEXT (as Tab would)",
     "Prints every completion of the last word of TEXT, one per line, as Tab would offer.",
     cmd_complete, NULL, NULL, false},
    {"quit", "q exit", "quit", "leave hvsim",
     "Leaves hvsim. With -x, the exit status is the program's exit code if it powered off, "
     "else 1 when a command of the script failed, else 0.",
     cmd_quit, NULL, NULL, false},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
};
