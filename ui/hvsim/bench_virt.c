/*
 * bench_virt.c - `hvsim bench-virt [--json]`: the technique table. The nanobenchmark guest
 * (guestos/bench: system call, port read, two port reads back to back, CSR write,
 * call/return, page fault, divide by zero, page-table-entry write, spawn-and-wait, compute;
 * in the style of Adams and Agesen, ASPLOS 2006) runs once natively and once under each CPU and
 * memory technique the hypervisor has, each alone on a one-pCPU machine; every run prints "bench
 * ROW CYCLES" lines, and this file gathers them into one table of cycles per operation and the
 * ratio to native (docs/experiments.md explains each row). A row a technique gave no figure for is
 * shown as
 * "-" (null in JSON).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "ui_hvsim.h"

#define NROWS 11
static const char *const rows[NROWS] = {"syscall", "in",       "in2",     "csrwr",
                                        "imwr",    "callret",  "pgfault", "divzero",
                                        "ptemod",  "forkwait", "compute"};

/* --batch-exits: every column runs with [hypervisor] batch_exits = on (hv_exit.c). */
static bool batch_exits;
/* --traces: every column runs with [hypervisor] shadow_sync = trace (hv_shadow_trace.c). */
static bool traces;

/* Adams and Agesen's own figures (ASPLOS 2006, on a Pentium 4), for --compare: VMware's
 * binary translator and the VT-x VMM, in cycles per operation; forkwait as tenths of the
 * ratio to native (their figure is a time). 0: not given here. */
static const struct {
    const char *row;
    long long bt, vt;
} paper[] = {
    {"in", 216, 15826},
    {"pgfault", 3927, 11242},
    {"ptemod", 391, 12733},
    {"forkwait", 61, 177},
};
#define NPAPER (sizeof paper / sizeof paper[0])

/* The columns: name, hypervisor type ("none": native), cpu, mem. */
static const struct {
    const char *name, *type, *cpu, *mem;
} columns[] = {
    {"native", "none", "hw", "nested"},   {"emu", "1", "emu", "nested"},
    {"trap-shadow", "1", "trap", "shadow"}, {"bt-shadow", "1", "bt", "shadow"},
    {"hw-shadow", "1", "hw", "shadow"},   {"hw-nested", "1", "hw", "nested"},
};
#define NCOLS (sizeof columns / sizeof columns[0])

/* Cycles per operation, -1 when the technique did not run. */
typedef struct {
    long long c[NROWS][NCOLS];
} table_t;

/* Reads "bench ROW C" lines of a transcript into column `col`. */
static void take_lines(table_t *t, unsigned col, const char *text)
{
    for (const char *l = text; (l = strstr(l, "bench ")) != NULL; l++) {
        char name[32];
        long long c;
        if (sscanf(l, "bench %31s %lld", name, &c) != 2)
            continue;
        for (unsigned r = 0; r < NROWS; r++)
            if (!strcmp(name, rows[r]))
                t->c[r][col] = c;
    }
}

/* Runs the bench guest under one column's technique and cost profile. Returns 0, or -1
 * after a message. */
static int run_column(const char *dir, unsigned col, const char *costs, table_t *t)
{
    char text[512];
    bool hv = strcmp(columns[col].type, "none") != 0;
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 16M\ncosts = %s\n\n[hypervisor]\ntype = %s\n%s%s\n"
             "[vm bench]\nimage = bench.img\nmemory = 4M\ncpu = %s\nmem = %s\n",
             costs, columns[col].type, batch_exits && hv ? "batch_exits = on\n" : "",
             traces && hv ? "shadow_sync = trace\n" : "", columns[col].cpu, columns[col].mem);
    static hv_scenario_t sc;
    static sim_machine_t m;
    FILE *quiet = fopen("/dev/null", "w");
    if (hv_technique_refusal(hv_cpu_technique_by_name(columns[col].cpu),
                             hv_mem_technique_by_name(columns[col].mem))) {
        if (quiet)
            fclose(quiet);
        return 0; /* not built yet: the column stays empty */
    }
    int rc = hv_scenario_parse(&sc, "bench-virt", text, NULL, dir, stderr);
    if (rc == 0 && sc.native) {
        rc = hv_scenario_start_native(&sc, 0, &m, NULL, stderr);
        if (rc == 0) {
            sim_run(&m, sc.max_cycles);
            take_lines(t, col, sim_console_captured(&m));
            sim_machine_free(&m);
        }
    } else if (rc == 0) {
        hv_t *hv = hv_scenario_start(&sc, &m, quiet, stderr);
        if (!hv) {
            rc = -1;
        } else {
            hv_run(hv, sc.max_cycles);
            take_lines(t, col, hv_vm_console(hv, 0));
            hv_free(hv);
            sim_machine_free(&m);
        }
    }
    hv_scenario_free(&sc);
    if (quiet)
        fclose(quiet);
    return rc;
}

static void print_table(const table_t *t)
{
    printf("%-10s", "row");
    for (unsigned c = 0; c < NCOLS; c++)
        printf(" %17s", columns[c].name);
    printf("\n");
    for (unsigned r = 0; r < NROWS; r++) {
        printf("%-10s", rows[r]);
        for (unsigned c = 0; c < NCOLS; c++) {
            char cell[40];
            long long v = t->c[r][c], native = t->c[r][0];
            if (v < 0)
                snprintf(cell, sizeof cell, "-");
            else if (c == 0 || native <= 0)
                snprintf(cell, sizeof cell, "%lld", v);
            else
                snprintf(cell, sizeof cell, "%lld (%.1fx)", v, (double)v / (double)native);
            printf(" %17s", cell);
        }
        printf("\n");
    }
    printf("cycles per operation (ratio to native); '-': no figure (the technique is not built, "
           "or the guest did not get that far under it)\n");
}

/* One profile's rows as JSON: [{"name": ROW, COLUMN: C or null, ...}]. */
static json_t *json_rows(const table_t *t)
{
    json_t *list = json_array();
    for (unsigned r = 0; r < NROWS; r++) {
        json_t *row = json_object();
        json_object_set_new(row, "name", json_string(rows[r]));
        for (unsigned c = 0; c < NCOLS; c++)
            json_object_set_new(row, columns[c].name,
                                t->c[r][c] < 0 ? json_null() : json_integer(t->c[r][c]));
        json_array_append_new(list, row);
    }
    return list;
}

static int dump_json(json_t *root)
{
    int rc = json_dumpf(root, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
    printf("\n");
    json_decref(root);
    return rc;
}

/* Runs every column under a profile. Returns 0, or 1 after a message. */
static int run_table(const char *dir, const char *costs, table_t *t)
{
    for (unsigned r = 0; r < NROWS; r++)
        for (unsigned c = 0; c < NCOLS; c++)
            t->c[r][c] = -1;
    for (unsigned c = 0; c < NCOLS; c++)
        if (run_column(dir, c, costs, t) != 0)
            return 1;
    for (unsigned r = 0; r < NROWS; r++)
        if (t->c[r][0] < 0) {
            fprintf(stderr, "hvsim bench-virt: the native run printed no '%s' row\n", rows[r]);
            return 1;
        }
    return 0;
}

static int column_index(const char *name)
{
    for (unsigned c = 0; c < NCOLS; c++)
        if (!strcmp(columns[c].name, name))
            return (int)c;
    return -1;
}

/* A cell of the comparison: cycles per operation, or the ratio to native for forkwait (a
 * whole workload, whose paper figure is a ratio of times). */
static void compare_cell(char *cell, size_t len, const table_t *t, unsigned r, const char *col)
{
    long long v = t->c[r][column_index(col)], native = t->c[r][0];
    if (v < 0)
        snprintf(cell, len, "-");
    else if (!strcmp(rows[r], "forkwait") && native > 0)
        snprintf(cell, len, "%.1fx", (double)v / (double)native);
    else
        snprintf(cell, len, "%lld", v);
}

/* bt-shadow against hw-shadow under each profile, beside the paper's BT and VT. */
static void print_comparison(table_t *const t[])
{
    size_t np = sim_cost_profile_count();
    printf("\nbt-shadow / hw-shadow under each profile, beside Adams and Agesen's BT / VT "
           "(Pentium 4;\ncycles per operation, forkwait as the ratio to native):\n%-10s",
           "row");
    for (size_t p = np; p-- > 0;)
        printf(" %21s", sim_cost_profile_name(p));
    printf(" %21s\n", "Adams & Agesen");
    for (unsigned r = 0; r < NROWS; r++) {
        printf("%-10s", rows[r]);
        for (size_t p = np; p-- > 0;) {
            char bt[24], hw[24], both[56];
            compare_cell(bt, sizeof bt, t[p], r, "bt-shadow");
            compare_cell(hw, sizeof hw, t[p], r, "hw-shadow");
            snprintf(both, sizeof both, "%s / %s", bt, hw);
            printf(" %21s", both);
        }
        char both[64] = "-";
        for (size_t i = 0; i < NPAPER; i++)
            if (!strcmp(paper[i].row, rows[r]) && !strcmp(rows[r], "forkwait"))
                snprintf(both, sizeof both, "%.1fx / %.1fx", paper[i].bt / 10.0,
                         paper[i].vt / 10.0);
            else if (!strcmp(paper[i].row, rows[r]))
                snprintf(both, sizeof both, "%lld / %lld", paper[i].bt, paper[i].vt);
        printf(" %21s\n", both);
    }
}

/* --compare: the table under each profile, oldest first, then the comparison. */
static int compare(const char *dir, bool json)
{
    size_t np = sim_cost_profile_count();
    static table_t tables[8];
    table_t *t[8];
    json_t *list = json_array();
    for (size_t p = np; p-- > 0;) {
        t[p] = &tables[p];
        if (run_table(dir, sim_cost_profile_name(p), t[p]) != 0) {
            json_decref(list);
            return 1;
        }
        if (json) {
            json_t *one = json_object();
            json_object_set_new(one, "costs", json_string(sim_cost_profile_name(p)));
            json_object_set_new(one, "rows", json_rows(t[p]));
            json_array_append_new(list, one);
        } else {
            printf("%scosts = %s: %s\n", p + 1 < np ? "\n" : "", sim_cost_profile_name(p),
                   sim_cost_profile_summary(p));
            print_table(t[p]);
        }
    }
    if (!json) {
        json_decref(list);
        print_comparison(t);
        return 0;
    }
    json_t *root = json_object(), *ref = json_array();
    for (size_t i = 0; i < NPAPER; i++) {
        json_t *row = json_object();
        json_object_set_new(row, "name", json_string(paper[i].row));
        bool ratio = !strcmp(paper[i].row, "forkwait");
        json_object_set_new(row, "bt",
                            ratio ? json_real(paper[i].bt / 10.0) : json_integer(paper[i].bt));
        json_object_set_new(row, "vt",
                            ratio ? json_real(paper[i].vt / 10.0) : json_integer(paper[i].vt));
        json_array_append_new(ref, row);
    }
    json_object_set_new(root, "profiles", list);
    json_object_set_new(root, "adams_agesen", ref);
    return dump_json(root);
}

int ui_cmd_bench_virt(const char *argv0, int argc, char **argv)
{
    bool json = false, all = false;
    const char *costs = sim_cost_profile_name(0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--compare")) {
            all = true;
        } else if (!strcmp(argv[i], "--batch-exits")) {
            batch_exits = true;
        } else if (!strcmp(argv[i], "--traces")) {
            traces = true;
        } else if (!strcmp(argv[i], "--costs") && i + 1 < argc) {
            costs = argv[++i];
            if (sim_cost_profile_by_name(costs) < 0) {
                fprintf(stderr,
                        "hvsim bench-virt: --costs: '%s' is not a cost profile "
                        "(known: " SIM_COST_PROFILE_NAMES ")\n",
                        costs);
                return 2;
            }
        } else {
            fprintf(stderr,
                    "hvsim bench-virt: unexpected argument '%s' (only --json, --costs NAME, "
                    "--compare, --batch-exits, --traces)\n",
                    argv[i]);
            return 2;
        }
    }
    char dir[4096];
    ui_guest_dir(argv0, dir, sizeof dir);
    if (all)
        return compare(dir, json);
    static table_t t;
    if (run_table(dir, costs, &t) != 0)
        return 1;
    if (!json) {
        print_table(&t);
        return 0;
    }
    json_t *root = json_object();
    json_object_set_new(root, "costs", json_string(costs));
    if (batch_exits)
        json_object_set_new(root, "batch_exits", json_true());
    if (traces)
        json_object_set_new(root, "shadow_sync", json_string("trace"));
    json_object_set_new(root, "rows", json_rows(&t));
    return dump_json(root);
}
