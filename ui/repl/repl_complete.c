/*
 * repl_complete.c - completion for Tab (and the `complete` command): command names, then
 * sub-commands, then each command's own arguments (symbols, trap causes, cost names, modes,
 * files), all taken from the command table and the debugger. Knows nothing of readline.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

void ui_repl_matches_add(ui_repl_matches_t *m, const char *prefix, const char *candidate)
{
    if (strncmp(candidate, prefix, strlen(prefix)) != 0)
        return;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i], candidate) == 0)
            return;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        char **v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return;
        m->v = v;
        m->cap = cap;
    }
    char *copy = strdup(candidate);
    if (copy)
        m->v[m->n++] = copy;
}

void ui_repl_matches_free(ui_repl_matches_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    memset(m, 0, sizeof *m);
}

void ui_repl_complete_commands(ui_repl_t *r, int argi, char **argv, const char *prefix,
                               ui_repl_matches_t *out)
{
    (void)r, (void)argv;
    if (argi > 1)
        return;
    for (const ui_repl_cmd_t *c = ui_repl_commands; c->name; c++)
        ui_repl_matches_add(out, prefix, c->name);
}

void ui_repl_complete_symbols(ui_repl_t *r, int argi, char **argv, const char *prefix,
                              ui_repl_matches_t *out)
{
    (void)argi, (void)argv;
    /* Complete after a space prefix ("hpa:sta") or gdb's '*', and keep it in the candidate. */
    const char *colon = strchr(prefix, ':');
    char space[8];
    snprintf(space, sizeof space, "%.*s", colon ? (int)(colon - prefix) : 0, prefix);
    size_t keep =
        colon && ui_dbg_space_by_name(space) >= 0 ? (size_t)(colon - prefix) + 1 : prefix[0] == '*';
    size_t n;
    const cpu_symbol_t *syms = ui_dbg_symbols(r->dbg, &n);
    char cand[160];
    for (size_t i = 0; i < n; i++) {
        snprintf(cand, sizeof cand, "%.*s%s", (int)keep, prefix, syms[i].name);
        ui_repl_matches_add(out, prefix, cand);
    }
    /* Every VM's symbols, qualified: "tinyos:disk_read". */
    for (unsigned vm = 0; vm < ui_dbg_vm_count(r->dbg); vm++) {
        ui_dbg_vm_t info;
        if (ui_dbg_vm_info(r->dbg, vm, &info) != 0)
            continue;
        syms = ui_dbg_vm_symbols(r->dbg, (int)vm, &n);
        for (size_t i = 0; i < n; i++) {
            snprintf(cand, sizeof cand, "%.*s%s:%s", (int)keep, prefix, info.name, syms[i].name);
            ui_repl_matches_add(out, prefix, cand);
        }
    }
}

void ui_repl_complete_causes(ui_repl_t *r, int argi, char **argv, const char *prefix,
                             ui_repl_matches_t *out)
{
    (void)r, (void)argv;
    if (argi > 1)
        return;
    for (size_t i = 0; ui_dbg_cause_list(i); i++)
        ui_repl_matches_add(out, prefix, ui_dbg_cause_list(i));
}

/* The VMs' names (and "hv" for focus). */
void ui_repl_complete_vms(ui_repl_t *r, int argi, char **argv, const char *prefix,
                          ui_repl_matches_t *out)
{
    (void)argv;
    if (argi > 1)
        return;
    for (unsigned i = 0; i < ui_dbg_vm_count(r->dbg); i++) {
        ui_dbg_vm_t vm;
        if (ui_dbg_vm_info(r->dbg, i, &vm) == 0)
            ui_repl_matches_add(out, prefix, vm.name);
    }
}

/* focus: "hv" and the VMs' names with a hypervisor, and every CPU (cpu0, cpu1, ...). */
void ui_repl_complete_focus(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out)
{
    if (argi > 1)
        return;
    if (ui_dbg_has_hypervisor(r->dbg))
        ui_repl_matches_add(out, prefix, "hv");
    ui_repl_complete_vms(r, argi, argv, prefix, out);
    char name[16];
    for (unsigned c = 0; ui_dbg_cpu(r->dbg, c); c++) {
        snprintf(name, sizeof name, "cpu%u", c);
        ui_repl_matches_add(out, prefix, name);
    }
}

/* break exit REASON [vm NAME]: the exit reasons, then "vm", then the VMs. */
void ui_repl_complete_exits(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out)
{
    if (argi == 1) {
        for (unsigned i = 0; i < CPU_EXIT_COUNT; i++)
            ui_repl_matches_add(out, prefix, cpu_exit_reason_name(i));
        ui_repl_matches_add(out, prefix, "any");
    } else if (argi == 2) {
        ui_repl_matches_add(out, prefix, "vm");
    } else if (argi == 3) {
        ui_repl_complete_vms(r, 1, argv, prefix, out);
    }
}

void ui_repl_complete_costs(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out)
{
    (void)r, (void)argv;
    if (argi > 1)
        return;
    for (int i = 0; i < SIM_COST_COUNT; i++)
        ui_repl_matches_add(out, prefix, sim_cost_name((sim_cost_t)i));
}

void ui_repl_complete_modes(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out)
{
    (void)r, (void)argv;
    static const char *const modes[] = {"U", "K", "H"};
    for (size_t i = 0; argi == 1 && i < 3; i++)
        ui_repl_matches_add(out, prefix, modes[i]);
}

void ui_repl_complete_files(ui_repl_t *r, int argi, char **argv, const char *prefix,
                            ui_repl_matches_t *out)
{
    (void)r, (void)argv;
    if (argi > 1)
        return;
    const char *slash = strrchr(prefix, '/');
    char dir[512];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - prefix + 1) : 0, prefix);
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d)
        return;
    struct dirent *e;
    char cand[768];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!slash ? prefix[0] != '.' : slash[1] != '.'))
            continue;
        snprintf(cand, sizeof cand, "%s%s", dir, e->d_name);
        ui_repl_matches_add(out, prefix, cand);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ui_repl_complete(ui_repl_t *r, const char *line, size_t start, size_t end,
                      ui_repl_matches_t *out)
{
    char before[512], prefix[256];
    snprintf(before, sizeof before, "%.*s", (int)(start < sizeof before ? start : 0), line);
    snprintf(prefix, sizeof prefix, "%.*s", (int)(end - start), line + start);
    char *argv[33];
    int argc = 0;
    for (char *w = strtok(before, " \t"); w && argc < 32; w = strtok(NULL, " \t"))
        argv[argc++] = w;
    argv[argc] = NULL;
    if (argc == 0) {
        ui_repl_complete_commands(r, 1, argv, prefix, out);
    } else {
        const ui_repl_cmd_t *cmd = ui_repl_find(argv[0]);
        const ui_repl_sub_t *sub = cmd && argc >= 2 ? ui_repl_find_sub(cmd, argv[1]) : NULL;
        if (sub) {
            if (sub->complete)
                sub->complete(r, argc - 1, argv + 1, prefix, out);
        } else if (cmd) {
            for (const ui_repl_sub_t *s = cmd->subs; argc == 1 && s && s->name; s++)
                ui_repl_matches_add(out, prefix, s->name);
            if (cmd->complete)
                cmd->complete(r, argc, argv, prefix, out);
        }
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, by_name);
}
