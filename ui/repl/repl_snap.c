/*
 * repl_snap.c - `save FILE` and `restore FILE`: the whole machine to a snapshot file and back
 * (docs/snapshot.md), through the debugger API (ui_dbg_save, ui_dbg_restore); and what rests on
 * in-memory snapshots: `set checkpoint-interval N` (docs/debugger.md, "Stepping backwards").
 */
#include "ui_repl.h"

/* The one FILE argument both commands take. NULL after an error. */
static const char *file_argument(ui_repl_t *r, int argc, char **argv, const char *usage)
{
    if (argc != 2) {
        ui_repl_error(r, usage, "\"%s\" takes one argument, the snapshot file.", argv[0]);
        return NULL;
    }
    return argv[1];
}

int ui_repl_cmd_save(ui_repl_t *r, int argc, char **argv)
{
    const char *path = file_argument(r, argc, argv, "save FILE");
    if (!path)
        return -1;
    if (ui_dbg_save(r->dbg, path) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    char cycle[32];
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, 0);
    fprintf(r->out, "Saved the machine at cycle %s to %s.\n",
            sim_group_digits(cpu->s.cycles, cycle, sizeof cycle), path);
    return 0;
}

int ui_repl_cmd_restore(ui_repl_t *r, int argc, char **argv)
{
    const char *path = file_argument(r, argc, argv, "restore FILE");
    if (!path)
        return -1;
    if (ui_dbg_restore(r->dbg, path) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    r->list_file = NULL;
    char cycle[32], at[128];
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, ui_dbg_focus(r->dbg));
    fprintf(r->out,
            "Restored the machine from %s: cycle %s, cpu%u in %s at %s; breakpoints and "
            "displays are kept.\n",
            path, sim_group_digits(ui_dbg_cpu(r->dbg, 0)->s.cycles, cycle, sizeof cycle), cpu->s.id,
            cpu_mode_name(cpu_mode(cpu)), ui_repl_addr(r, cpu->s.pc, at, sizeof at));
    return 0;
}

int ui_repl_sub_checkpoint_interval(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "set checkpoint-interval N";
    uint64_t n;
    if (argc != 2)
        return ui_repl_error(r, usage, "Give the cycles between two checkpoints (now %llu).",
                             (unsigned long long)ui_dbg_checkpoint_interval(r->dbg));
    if (ui_repl_parse_value(r, argv[1], usage, &n) != 0)
        return -1;
    if (ui_dbg_set_checkpoint_interval(r->dbg, n) != 0)
        return ui_repl_error(r, usage, "%s", ui_dbg_error(r->dbg));
    char cycles[48];
    fprintf(r->out, "A checkpoint every %s from here on.\n",
            sim_counted(n, "cycle", cycles, sizeof cycles));
    return 0;
}
