/*
 * bench_virt.c - `hvsim bench-virt [--json]`: the technique table. The nanobenchmark guest
 * (guestos/bench: system call, port read, CSR write, call/return, page fault, divide by zero,
 * page-table-entry write, spawn-and-wait, compute; in the style of Adams and Agesen, ASPLOS
 * 2006) runs once natively and once under each CPU and memory technique the hypervisor has,
 * each alone on a one-pCPU machine; every run prints "bench ROW CYCLES" lines, and this file
 * gathers them into one table of cycles per operation and the ratio to native
 * (docs/experiments.md explains each row). A row a technique gave no figure for is shown as
 * "-" (null in JSON).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "ui_hvsim.h"

#define NROWS 9
static const char *const rows[NROWS] = {"syscall", "in",     "csrwr",    "callret", "pgfault",
                                        "divzero", "ptemod", "forkwait", "compute"};

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

/* Runs the bench guest under one column's technique. Returns 0, or -1 after a message. */
static int run_column(const char *dir, unsigned col, table_t *t)
{
    char text[512];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 16M\n\n[hypervisor]\ntype = %s\n\n"
             "[vm bench]\nimage = bench.img\nmemory = 4M\ncpu = %s\nmem = %s\n",
             columns[col].type, columns[col].cpu, columns[col].mem);
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

static int print_json(const table_t *t)
{
    json_t *root = json_object(), *list = json_array();
    for (unsigned r = 0; r < NROWS; r++) {
        json_t *row = json_object();
        json_object_set_new(row, "name", json_string(rows[r]));
        for (unsigned c = 0; c < NCOLS; c++)
            json_object_set_new(row, columns[c].name,
                                t->c[r][c] < 0 ? json_null() : json_integer(t->c[r][c]));
        json_array_append_new(list, row);
    }
    json_object_set_new(root, "rows", list);
    int rc = json_dumpf(root, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
    printf("\n");
    json_decref(root);
    return rc;
}

int ui_cmd_bench_virt(const char *argv0, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            fprintf(stderr, "hvsim bench-virt: unexpected argument '%s' (only --json)\n", argv[i]);
            return 2;
        }
    }
    char dir[4096];
    ui_guest_dir(argv0, dir, sizeof dir);
    static table_t t;
    for (unsigned r = 0; r < NROWS; r++)
        for (unsigned c = 0; c < NCOLS; c++)
            t.c[r][c] = -1;
    for (unsigned c = 0; c < NCOLS; c++)
        if (run_column(dir, c, &t) != 0)
            return 1;
    for (unsigned r = 0; r < NROWS; r++)
        if (t.c[r][0] < 0) {
            fprintf(stderr, "hvsim bench-virt: the native run printed no '%s' row\n", rows[r]);
            return 1;
        }
    return json ? print_json(&t) : (print_table(&t), 0);
}
