/*
 * bench_io.c - `hvsim bench-io [--json]`: the I/O paths compared. The same transfer (tinyos's
 * `netbench`: 16 full-size pings to the peer host, each waiting for its full-size answer) runs
 * natively and in a VM by each I/O path the hypervisor has: the emulated card (every register
 * access exits), the paravirtual card (shared queues, one hypercall per batch) and the
 * physical card assigned to the VM (passthrough: no exit, the IOMMU remapping its DMA). Each
 * run is alone on a one-pCPU machine.
 *
 * Every figure is counted from the event stream over one window: from the first frame the
 * guest's card sends to the last frame it receives. The `nic` events give the window and the
 * bytes moved (both ways), the VM exits in it are counted, and the time accounting's spans
 * (sim_account.c), clipped to the window, give the guest's cycles (user + kernel) and the
 * hypervisor's (the world switches and its handlers). docs/experiments.md explains each figure.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "../../sim/sim_nic.h"
#include "ui_hvsim.h"

/* The paths: name, what the VM's section adds ("native": no hypervisor), and whose card's
 * events and whose time are counted (-1: the machine's own card, or no VM). */
static const struct {
    const char *name, *type, *vm_key;
    int card_vm, time_vm;
} paths[] = {
    {"native", "none", "", -1, -1},
    {"emulated", "1", "nic = emulated\n", 0, 0},
    {"paravirtual", "1", "nic = pv\n", 0, 0},
    {"passthrough", "1", "assign = nic0\n", -1, 0},
};
#define NPATHS (sizeof paths / sizeof paths[0])

/* What one run counted. */
typedef struct {
    int card_vm, time_vm;
    bool open;
    uint64_t start, end;   /* the window: the first frame sent, the last frame received */
    uint64_t bytes_at_end; /* bytes sent and received up to the end */
    uint64_t bytes;        /* ... so far */
    uint64_t *exits;       /* the cycle of each VM exit (a growing array) */
    size_t nexits, exits_cap;
    sim_span_t *spans; /* the VM's time (a growing array) */
    size_t nspans, spans_cap;
} counter_t;

typedef struct {
    uint64_t cycles, exits, hv, guest, bytes;
    bool ok;
} result_t;

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? 2 * *cap : 1024;
    void *q = realloc(*p, ncap * size);
    if (!q)
        return false;
    *p = q;
    *cap = ncap;
    return true;
}

static void on_event(const sim_event_t *ev, void *ctx)
{
    counter_t *c = ctx;
    if (ev->kind == SIM_EV_VMEXIT && ev->vm == c->time_vm && !(ev->flags & SIM_EVF_MONITOR) &&
        grow((void **)&c->exits, &c->exits_cap, c->nexits, sizeof *c->exits))
        c->exits[c->nexits++] = ev->cycle;
    if (ev->kind != SIM_EV_NIC || ev->vm != c->card_vm)
        return;
    if (ev->from_mode == SIM_NIC_EV_SEND) {
        if (!c->open)
            c->start = ev->cycle;
        c->open = true;
        c->bytes += ev->b;
    } else if (ev->from_mode == SIM_NIC_EV_RECEIVE && c->open) {
        c->bytes += ev->b;
        c->end = ev->cycle;
        c->bytes_at_end = c->bytes;
    }
}

static void on_span(const sim_span_t *s, void *ctx)
{
    counter_t *c = ctx;
    if (s->vm == c->time_vm && grow((void **)&c->spans, &c->spans_cap, c->nspans, sizeof *c->spans))
        c->spans[c->nspans++] = *s;
}

/* The counted figures, clipped to the window. */
static result_t tally(const counter_t *c)
{
    result_t r = {.ok = c->open && c->end > c->start};
    if (!r.ok)
        return r;
    r.cycles = c->end - c->start;
    r.bytes = c->bytes_at_end;
    for (size_t i = 0; i < c->nexits; i++)
        r.exits += c->exits[i] >= c->start && c->exits[i] < c->end;
    for (size_t i = 0; i < c->nspans; i++) {
        const sim_span_t *s = &c->spans[i];
        uint64_t a = s->start > c->start ? s->start : c->start;
        uint64_t b = s->start + s->dur < c->end ? s->start + s->dur : c->end;
        if (b <= a)
            continue;
        if (s->kind == SIM_TIME_USER || s->kind == SIM_TIME_KERNEL)
            r.guest += b - a;
        else if (s->kind == SIM_TIME_SWITCH || s->kind == SIM_TIME_HANDLER ||
                 s->kind == SIM_TIME_VMM)
            r.hv += b - a;
    }
    return r;
}

/* Runs the transfer by path p. Returns 0, or -1 after a message. */
static int run_path(const char *dir, unsigned p, result_t *out)
{
    char text[512];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = %s\n\n"
             "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n%s"
             "input = netbench\\npoweroff\\n\n",
             paths[p].type, paths[p].vm_key);
    static hv_scenario_t sc;
    static sim_machine_t m;
    counter_t c = {.card_vm = paths[p].card_vm, .time_vm = paths[p].time_vm};
    FILE *quiet = fopen("/dev/null", "w");
    int rc = hv_scenario_parse(&sc, "bench-io", text, NULL, dir, stderr);
    hv_t *hv = NULL;
    if (rc == 0 && sc.native)
        rc = hv_scenario_start_native(&sc, 0, &m, NULL, stderr);
    else if (rc == 0 && !(hv = hv_scenario_start(&sc, &m, quiet, stderr)))
        rc = -1;
    if (rc == 0) {
        sim_add_sink(&m, on_event, &c);
        sim_account_listen(&m, on_span, &c);
        if (hv)
            hv_run(hv, sc.max_cycles);
        else
            sim_run(&m, sc.max_cycles);
        sim_account_settle(&m);
        *out = tally(&c);
        if (!out->ok)
            fprintf(stderr, "hvsim bench-io: the %s run moved no frame\n", paths[p].name);
        rc = out->ok ? 0 : -1;
        if (hv)
            hv_free(hv);
        sim_machine_free(&m);
    }
    hv_scenario_free(&sc);
    free(c.exits);
    free(c.spans);
    if (quiet)
        fclose(quiet);
    return rc;
}

static uint64_t per_kib(const result_t *r)
{
    return r->bytes ? r->cycles * 1024 / r->bytes : 0;
}

static void print_table(const result_t *r)
{
    printf("%-12s %10s %7s %12s %12s %10s %14s %7s\n", "path", "cycles", "exits", "hypervisor",
           "guest", "bytes", "cycles per KiB", "ratio");
    for (unsigned p = 0; p < NPATHS; p++)
        printf("%-12s %10llu %7llu %12llu %12llu %10llu %14llu %6.2fx\n", paths[p].name,
               (unsigned long long)r[p].cycles, (unsigned long long)r[p].exits,
               (unsigned long long)r[p].hv, (unsigned long long)r[p].guest,
               (unsigned long long)r[p].bytes, (unsigned long long)per_kib(&r[p]),
               (double)per_kib(&r[p]) / (double)per_kib(&r[0]));
    printf("tinyos's netbench (16 full-size pings to the peer host and their answers), from the\n"
           "first frame sent to the last received; hypervisor: the world switches and its\n"
           "handlers; ratio: cycles per KiB against native (docs/experiments.md)\n");
}

static int print_json(const result_t *r)
{
    json_t *list = json_array();
    for (unsigned p = 0; p < NPATHS; p++) {
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(paths[p].name));
        json_object_set_new(o, "cycles", json_integer((json_int_t)r[p].cycles));
        json_object_set_new(o, "exits", json_integer((json_int_t)r[p].exits));
        json_object_set_new(o, "hypervisor_cycles", json_integer((json_int_t)r[p].hv));
        json_object_set_new(o, "guest_cycles", json_integer((json_int_t)r[p].guest));
        json_object_set_new(o, "bytes", json_integer((json_int_t)r[p].bytes));
        json_object_set_new(o, "cycles_per_kib", json_integer((json_int_t)per_kib(&r[p])));
        json_object_set_new(o, "ratio_to_native",
                            json_real((double)per_kib(&r[p]) / (double)per_kib(&r[0])));
        json_array_append_new(list, o);
    }
    json_t *root = json_object();
    json_object_set_new(root, "transfer", json_string("netbench"));
    json_object_set_new(root, "paths", list);
    int rc = json_dumpf(root, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
    printf("\n");
    json_decref(root);
    return rc;
}

int ui_cmd_bench_io(const char *argv0, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0) {
            fprintf(stderr, "hvsim bench-io: unexpected argument '%s' (only --json)\n", argv[i]);
            return 2;
        }
        json = true;
    }
    char dir[4096];
    ui_guest_dir(argv0, dir, sizeof dir);
    result_t r[NPATHS];
    for (unsigned p = 0; p < NPATHS; p++)
        if (run_path(dir, p, &r[p]) != 0)
            return 1;
    if (json)
        return print_json(r);
    print_table(r);
    return 0;
}
