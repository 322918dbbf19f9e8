/*
 * repl_snap.c - `save FILE` and `restore FILE`: the whole machine to a snapshot file and back
 * (docs/snapshot.md), through the debugger API (ui_dbg_save, ui_dbg_restore).
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
