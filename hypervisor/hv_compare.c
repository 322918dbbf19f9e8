/*
 * hv_compare.c - the comparison table at the end of the statistics: VMs grouped in columns by
 * the scenario's `compare = NAME`, each column the sum of its VMs, side by side. The
 * containers-vs-vms scenario puts one tinyos with three containers in one column and three
 * tinyos VMs in the other (docs/containers.md).
 *
 * Lecture idea: containers and VMs isolate by different means. A container is the shared
 * kernel's bookkeeping; a VM is a boundary the hypervisor draws with the nested page tables.
 * The table puts a price on each (memory, start time, exits, the hypervisor's time, system
 * calls) and tests each against the same attack. Every figure is counted: frames mapped,
 * exits, the one accounting's cycles, syscall traps, and the guests' marks:
 *
 *   cspawn (tinyos, under a hypervisor)  a container is being started: its start time begins
 *   up (a service, value: which)         the service runs: its start time ends (it began at
 *                                        the oldest unmatched "cspawn", or at the VM's start)
 *   attack (value: whose process)        the attack begins, from that service's side
 *   secret (value: whose)                the attack read that service's secret
 */
#include <stddef.h>
#include <string.h>

#include "hv_internal.h"

#define COLUMNS HV_MAX_VMS

void hv_compare_mark(hv_t *hv, unsigned vm, uint64_t cycle, const char *name, uint32_t value)
{
    hv_vm_t *v = &hv->vms[vm];
    hv_compare_stats_t *c = &v->stats.compare;
    if (!strcmp(name, "cspawn") && c->npending < HV_COMPARE_PENDING) {
        c->pending[c->npending++] = cycle;
    } else if (!strcmp(name, "up")) {
        uint64_t from = v->stats.started;
        if (c->npending) { /* the services start in the order they were spawned */
            from = c->pending[0];
            memmove(c->pending, c->pending + 1, --c->npending * sizeof c->pending[0]);
        }
        c->starts++;
        c->start_cycles += cycle > from ? cycle - from : 0;
    } else if (!strcmp(name, "attack")) {
        c->attacker = value + 1;
    } else if (!strcmp(name, "secret")) {
        if (c->attacker && value == c->attacker - 1)
            c->secrets_own++;
        else
            c->secrets_other++;
    }
}

/* A column: the sums of its VMs' figures. */
typedef struct {
    const char *name;
    uint64_t vms, frames, starts, start_cycles, start_average, exits, hv_cycles, syscalls;
    uint64_t attacks, secrets_own, secrets_other;
} column_t;

static void add_vm(const hv_t *hv, unsigned vm, column_t *col)
{
    const hv_vm_stats_t *s = &hv->vms[vm].stats;
    uint64_t t[SIM_TIME_COUNT];
    sim_account_vm(hv->m, vm, t);
    col->vms++;
    col->frames += s->frames_mapped;
    col->starts += s->compare.starts;
    col->start_cycles += s->compare.start_cycles;
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
        col->exits += s->exits[r];
    col->hv_cycles +=
        t[SIM_TIME_SWITCH] + t[SIM_TIME_HANDLER] + t[SIM_TIME_MONITOR] + t[SIM_TIME_VMM];
    col->syscalls += s->syscalls;
    col->attacks += s->compare.attacker != 0;
    col->secrets_own += s->compare.secrets_own;
    col->secrets_other += s->compare.secrets_other;
}

/* The columns, in the order their first VM was created; returns how many. */
static unsigned gather(const hv_t *hv, column_t cols[COLUMNS])
{
    unsigned n = 0;
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        if (!v->used || !v->compare[0])
            continue;
        unsigned k = 0;
        while (k < n && strcmp(cols[k].name, v->compare) != 0)
            k++;
        if (k == n)
            cols[n++] = (column_t){.name = v->compare};
        add_vm(hv, vm, &cols[k]);
    }
    for (unsigned k = 0; k < n; k++)
        cols[k].start_average = cols[k].starts ? cols[k].start_cycles / cols[k].starts : 0;
    return n;
}

/* The rows of figures: a label and the column's field. */
static const struct {
    const char *label;
    size_t field;
} rows[] = {
    {"VMs", offsetof(column_t, vms)},
    {"memory used (host frames)", offsetof(column_t, frames)},
    {"services started", offsetof(column_t, starts)},
    {"start time (cycles, average)", offsetof(column_t, start_average)},
    {"exits", offsetof(column_t, exits)},
    {"hypervisor cycles", offsetof(column_t, hv_cycles)},
    {"system calls", offsetof(column_t, syscalls)},
    {"attack: its own service's secrets", offsetof(column_t, secrets_own)},
    {"attack: other services' secrets", offsetof(column_t, secrets_other)},
};
#define ATTACK_ROWS 2 /* the last rows: only when there was an attack */

/* One row: its label, then the field's figure in each column. */
static void row(FILE *out, unsigned r, const column_t *cols, unsigned n)
{
    char b[32];
    fprintf(out, "    %-34s", rows[r].label);
    for (unsigned k = 0; k < n; k++) {
        uint64_t figure;
        memcpy(&figure, (const char *)&cols[k] + rows[r].field, sizeof figure);
        fprintf(out, " %14s", sim_group_digits(figure, b, sizeof b));
    }
    fputc('\n', out);
}

void hv_compare_print(const hv_t *hv, FILE *out)
{
    column_t cols[COLUMNS];
    unsigned n = gather(hv, cols);
    if (n < 2)
        return;
    uint64_t attacks = 0;
    for (unsigned k = 0; k < n; k++)
        attacks += cols[k].attacks;
    fputs("[stats] side by side (each column the sum of its VMs; docs/containers.md):\n", out);
    fprintf(out, "    %-34s", "");
    for (unsigned k = 0; k < n; k++)
        fprintf(out, " %14s", cols[k].name);
    fputc('\n', out);
    unsigned nrows = sizeof rows / sizeof rows[0] - (attacks ? 0 : ATTACK_ROWS);
    for (unsigned r = 0; r < nrows; r++)
        row(out, r, cols, n);
    if (!attacks)
        return;
    fprintf(out, "    %-34s", "isolation against the flaw");
    for (unsigned k = 0; k < n; k++)
        fprintf(out, " %14s", !cols[k].attacks ? "-" : cols[k].secrets_other ? "broken" : "held");
    fputc('\n', out);
}
