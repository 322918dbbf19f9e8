/*
 * repl_break.c - the commands that set and manage breakpoints and watchpoints: break, tbreak
 * and their sub-commands (trap, mode, cycle, instret, exit, handler, hv), watch, rwatch, awatch,
 * delete, enable and disable. Each turns its words into one call of the debugger API
 * (ui_debug.h) and prints what the debugger made of it.
 */
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

/* ------------------------------------------------------------------------------------------
 * Breakpoints
 * ------------------------------------------------------------------------------------------ */
static int created(ui_repl_t *r, int id, const char *kind)
{
    if (id < 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    char what[200];
    ui_dbg_bp_describe(r->dbg, ui_dbg_bp_by_id(r->dbg, id), what, sizeof what);
    fprintf(r->out, "%s %d: %s\n", kind, id, what);
    return 0;
}

/* A VM by number or name ("tinyos"). On bare metal any number goes on to the debugger, which
 * says there are no VMs. Returns 0, or -1 after printing the error. */
int ui_repl_parse_vm(ui_repl_t *r, const char *text, const char *usage, int *vm)
{
    uint64_t v;
    if (ui_dbg_has_hypervisor(r->dbg)) {
        if ((*vm = ui_dbg_vm_by_name(r->dbg, text)) < 0)
            return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
        return 0;
    }
    if (ui_repl_parse_value(r, text, usage, &v) != 0)
        return -1;
    *vm = (int)(v > 1000 ? 1000 : v);
    return 0;
}

/* break and tbreak: LOC, its options, and "if COND" to the end of the line. */
static int break_at(ui_repl_t *r, int argc, char **argv, bool temporary)
{
    const char *usage = temporary ? UI_REPL_TBREAK_USAGE : UI_REPL_BREAK_USAGE;
    char cond[512] = "";
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "if") == 0) {
            if (i + 1 == argc)
                return ui_repl_error(r, usage, "\"if\" needs a condition after it.");
            ui_repl_join(argc, argv, i + 1, cond, sizeof cond);
            argc = i;
        }
    if (argc < 2)
        return ui_repl_error(r, usage,
                             "Give a location: an address, a symbol, or an "
                             "expression, e.g. \"break main\" or \"break hpa:0x1010\".");
    ui_dbg_space_t space;
    uint32_t addr;
    int vm; /* a VM's symbol makes the breakpoint that VM's; "vm N" overrides */
    if (ui_repl_parse_location_vm(r, argv[1], &space, &addr, &vm) != 0)
        return -1;
    int cpu = UI_DBG_ANY_CPU;
    for (int i = 2; i < argc; i += 2) {
        uint64_t v;
        if (i + 1 >= argc)
            return ui_repl_error(r, UI_REPL_BREAK_USAGE, "\"%s\" needs a value after it.", argv[i]);
        if (strcmp(argv[i], "space") == 0) {
            int s = ui_dbg_space_by_name(argv[i + 1]);
            if (s < 0)
                return ui_repl_error(r, UI_REPL_BREAK_USAGE, "Unknown address space \"%s\".",
                                     argv[i + 1]);
            space = (ui_dbg_space_t)s;
        } else if (strcmp(argv[i], "vm") == 0) {
            if (ui_repl_parse_vm(r, argv[i + 1], UI_REPL_BREAK_USAGE, &vm) != 0)
                return -1;
        } else if (strcmp(argv[i], "cpu") == 0) {
            if (ui_repl_parse_value(r, argv[i + 1], UI_REPL_BREAK_USAGE, &v) != 0)
                return -1;
            cpu = (int)(v > 1000 ? 1000 : v);
        } else {
            return ui_repl_error(r, usage,
                                 "Unexpected \"%s\": after the location come "
                                 "cpu N, vm N, space S or if COND.",
                                 argv[i]);
        }
    }
    ui_dbg_cond_t *check = cond[0] ? ui_dbg_cond_parse(r->dbg, cond) : NULL;
    if (cond[0] && !check)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    ui_dbg_cond_free(check);
    int id = temporary ? ui_dbg_tbreak_addr(r->dbg, space, addr, cpu, vm)
                       : ui_dbg_break_addr(r->dbg, space, addr, cpu, vm);
    if (id > 0 && cond[0])
        ui_dbg_bp_condition(r->dbg, id, cond);
    return created(r, id, temporary ? "Temporary breakpoint" : "Breakpoint");
}

int ui_repl_cmd_break(ui_repl_t *r, int argc, char **argv)
{
    return break_at(r, argc, argv, false);
}

int ui_repl_cmd_tbreak(ui_repl_t *r, int argc, char **argv)
{
    return break_at(r, argc, argv, true);
}

static int sub_break_trap(ui_repl_t *r, int argc, char **argv)
{
    uint32_t cause;
    if (argc != 2)
        return ui_repl_error(r, "break trap CAUSE",
                             "Give one trap cause, e.g. \"break trap "
                             "system-call\" (Tab lists them).");
    if (ui_dbg_cause_by_name(argv[1], &cause) != 0)
        return ui_repl_error(r, "break trap CAUSE",
                             "Unknown trap cause \"%s\" (Tab lists them: "
                             "system-call, privileged-instruction, ..., interrupt, any).",
                             argv[1]);
    return created(r, ui_dbg_break_trap(r->dbg, cause), "Breakpoint");
}

static int sub_break_mode(ui_repl_t *r, int argc, char **argv)
{
    static const char *const modes[] = {"U", "K", "H"};
    for (int m = 0; argc == 2 && m < 3; m++)
        if (strcmp(argv[1], modes[m]) == 0)
            return created(r, ui_dbg_break_mode(r->dbg, (cpu_mode_t)m), "Breakpoint");
    return ui_repl_error(r, "break mode U|K|H",
                         "Give a mode: U (user), K (kernel) or H "
                         "(hypervisor).");
}

static int break_count(ui_repl_t *r, int argc, char **argv, bool cycle)
{
    const char *usage = cycle ? "break cycle N" : "break instret N";
    uint64_t n;
    if (argc != 2)
        return ui_repl_error(r, usage, "Give the %s to stop at.",
                             cycle ? "cycle" : "instruction count");
    if (ui_repl_parse_value(r, argv[1], usage, &n) != 0)
        return -1;
    int id = cycle ? ui_dbg_break_cycle(r->dbg, n) : ui_dbg_break_instret(r->dbg, n);
    return created(r, id, "Breakpoint");
}

static int sub_break_cycle(ui_repl_t *r, int argc, char **argv)
{
    return break_count(r, argc, argv, true);
}

static int sub_break_instret(ui_repl_t *r, int argc, char **argv)
{
    return break_count(r, argc, argv, false);
}

/* break exit|handler|hv NAME [vm N]: one name, then an optional VM, for `set`. */
static int break_named(ui_repl_t *r, int argc, char **argv, const char *usage, const char *what,
                       int (*set)(ui_dbg_t *, const char *, int))
{
    int vm = UI_DBG_ANY_VM;
    if (argc < 2)
        return ui_repl_error(r, usage, "Give %s.", what);
    if (argc == 4 && strcmp(argv[2], "vm") == 0) {
        if (ui_repl_parse_vm(r, argv[3], usage, &vm) != 0)
            return -1;
    } else if (argc != 2) {
        return ui_repl_error(r, usage, "Unexpected \"%s\": after the %s comes vm N.", argv[2],
                             argv[0]);
    }
    return created(r, set(r->dbg, argv[1], vm), "Breakpoint");
}

static int sub_break_exit(ui_repl_t *r, int argc, char **argv)
{
    return break_named(r, argc, argv, "break exit REASON [vm N]",
                       "an exit reason (IO_PORT, CPUID, HLT, ... or any)", ui_dbg_break_exit);
}

static int sub_break_handler(ui_repl_t *r, int argc, char **argv)
{
    return break_named(r, argc, argv, "break handler NAME [vm N]",
                       "an exit handler (hv_handle_io_port, ...: Tab lists them)",
                       ui_dbg_break_handler);
}

static int sub_break_hv(ui_repl_t *r, int argc, char **argv)
{
    return break_named(r, argc, argv, "break hv ACTION [vm N]",
                       "a hypervisor action (map, emulate, virq, switch, shadow-fill, ...: Tab "
                       "lists them)",
                       ui_dbg_break_hv);
}

/* watch, rwatch and awatch: one parser, each with its own default access (gdb's). */
static int watch_with(ui_repl_t *r, int argc, char **argv, unsigned access, const char *usage)
{
    static const struct {
        const char *name;
        unsigned access;
    } kinds[] = {{"r", UI_DBG_READ}, {"w", UI_DBG_WRITE}, {"rw", UI_DBG_READ | UI_DBG_WRITE}};
    if (argc < 2 || argc > 4)
        return ui_repl_error(r, usage,
                             "Give an address, then optionally r, w or rw and "
                             "a size in bytes.");
    ui_dbg_space_t space;
    uint32_t addr, len = 4;
    int vm;
    if (ui_repl_parse_location_vm(r, argv[1], &space, &addr, &vm) != 0)
        return -1;
    for (int i = 2; i < argc; i++) {
        bool known = false;
        for (size_t k = 0; k < 3; k++)
            if (strcmp(argv[i], kinds[k].name) == 0)
                access = kinds[k].access, known = true;
        if (!known &&
            (strcmp(argv[i], "1") == 0 || strcmp(argv[i], "2") == 0 || strcmp(argv[i], "4") == 0))
            len = (uint32_t)atoi(argv[i]), known = true;
        if (!known)
            return ui_repl_error(r, usage,
                                 "\"%s\" is neither r, w, rw nor a size (1, 2, "
                                 "4).",
                                 argv[i]);
    }
    return created(r, ui_dbg_watch_vm(r->dbg, space, addr, len, access, vm), "Watchpoint");
}

int ui_repl_cmd_watch(ui_repl_t *r, int argc, char **argv)
{
    return watch_with(r, argc, argv, UI_DBG_WRITE, UI_REPL_WATCH_USAGE);
}

int ui_repl_cmd_rwatch(ui_repl_t *r, int argc, char **argv)
{
    return watch_with(r, argc, argv, UI_DBG_READ, UI_REPL_RWATCH_USAGE);
}

int ui_repl_cmd_awatch(ui_repl_t *r, int argc, char **argv)
{
    return watch_with(r, argc, argv, UI_DBG_READ | UI_DBG_WRITE, UI_REPL_AWATCH_USAGE);
}

/* delete, disable and enable: each number given, or every breakpoint (delete only). */
static int for_each_id(ui_repl_t *r, int argc, char **argv, const char *usage, int what)
{
    if (argc == 1 && what == 0) {
        ui_dbg_delete_all(r->dbg);
        return 0;
    }
    if (argc == 1)
        return ui_repl_error(r, usage, "Give the numbers (\"info breakpoints\" lists them).");
    for (int i = 1; i < argc; i++) {
        char *end;
        errno = 0;
        long id = strtol(argv[i], &end, 10);
        if (*end || errno || id <= 0 || id > 1000000)
            return ui_repl_error(r, usage, "\"%s\" is not a breakpoint number.", argv[i]);
        int rc =
            what == 0 ? ui_dbg_delete(r->dbg, (int)id) : ui_dbg_enable(r->dbg, (int)id, what > 0);
        if (rc != 0)
            return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    }
    return 0;
}

int ui_repl_cmd_delete(ui_repl_t *r, int argc, char **argv)
{
    return for_each_id(r, argc, argv, "delete [N...]", 0);
}

int ui_repl_cmd_enable(ui_repl_t *r, int argc, char **argv)
{
    return for_each_id(r, argc, argv, "enable N...", 1);
}

int ui_repl_cmd_disable(ui_repl_t *r, int argc, char **argv)
{
    return for_each_id(r, argc, argv, "disable N...", -1);
}

/* break's sub-commands, for the command table. */
const ui_repl_sub_t ui_repl_break_subs[] = {
    {"trap", NULL, "break trap CAUSE",
     "stop when a trap of this cause (or interrupt, any) is "
     "entered",
     sub_break_trap, ui_repl_complete_causes},
    {"mode", NULL, "break mode U|K|H", "stop when a CPU enters this mode", sub_break_mode,
     ui_repl_complete_modes},
    {"cycle", NULL, "break cycle N", "stop when the focus CPU reaches cycle N", sub_break_cycle,
     NULL},
    {"instret", NULL, "break instret N", "stop when the focus CPU has retired N instructions",
     sub_break_instret, NULL},
    {"exit", NULL, "break exit REASON [vm N]",
     "stop at a VM exit (REASON or any), before its handler", sub_break_exit,
     ui_repl_complete_exits},
    {"handler", NULL, "break handler NAME [vm N]",
     "stop at an exit whose handler is NAME, before it runs", sub_break_handler,
     ui_repl_complete_handlers},
    {"hv", NULL, "break hv ACTION [vm N]",
     "stop at a hypervisor action (map, emulate, virq, switch, shadow-fill, ...)", sub_break_hv,
     ui_repl_complete_hv_actions},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};
