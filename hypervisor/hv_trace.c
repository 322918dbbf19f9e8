/*
 * hv_trace.c - the Chrome / Perfetto trace of a run (open it in ui.perfetto.dev or
 * chrome://tracing).
 *
 * Trace Event Format (JSON): one process per VM, one thread per VCPU; complete events ("X")
 * for the spans of guest user, guest kernel, hypervisor and (type 2) VMM time; instant events
 * ("i") for exits, injections and the hypervisor's actions; a "host" process whose threads are
 * the pCPUs carries idle time and the type-2 host process. Cycles are mapped to time as on a
 * 1 GHz machine: 1 cycle = 1 ns, so ts and dur (microseconds) are cycles / 1000. The JSON is
 * made with jansson, event by event, and the file is written atomically.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hv_trace.h"

static const char *const span_names[] = {
#define HV_X_SPANNAME(name, str) str,
    HV_SPANS(HV_X_SPANNAME)
#undef HV_X_SPANNAME
};

/* ------------------------------------------------------------------------------------------
 * Recording
 * ------------------------------------------------------------------------------------------ */
static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 1024;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

void hv_trace_add_span(hv_tracker_t *t, unsigned cpu, unsigned kind, int vm, int vcpu,
                       uint64_t start, uint64_t dur)
{
    if (!grow((void **)&t->spans, &t->spans_cap, t->nspans, sizeof *t->spans)) {
        t->oom = true;
        return;
    }
    t->spans[t->nspans++] = (hv_span_t){.cpu = (uint8_t)cpu, .kind = (uint8_t)kind,
                                        .vm = (int16_t)vm, .vcpu = (int16_t)vcpu,
                                        .start = start, .dur = dur};
}

void hv_trace_add_instant(hv_tracker_t *t, const sim_event_t *ev)
{
    if (!grow((void **)&t->inst, &t->inst_cap, t->ninst, sizeof *t->inst)) {
        t->oom = true;
        return;
    }
    t->inst[t->ninst++] = *ev;
}

void hv_trace_free(hv_tracker_t *t)
{
    free(t->spans);
    free(t->inst);
    t->spans = NULL;
    t->inst = NULL;
    t->nspans = t->ninst = t->spans_cap = t->inst_cap = 0;
}

int hv_trace_start(hv_t *hv)
{
    if (!hv->tracker)
        return -1;
    hv->tracker->recording = true;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------------------------ */
/* pid 0 is the host (the pCPUs' idle time and host process); VM i is pid i + 1. */
static int pid_of(int vm)
{
    return vm >= 0 ? vm + 1 : 0;
}

static double us(uint64_t cycles)
{
    return (double)cycles / 1000.0;
}

static void put(FILE *out, json_t *obj, bool *first)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!text)
        return;
    fprintf(out, "%s\n%s", *first ? "" : ",", text);
    *first = false;
    free(text);
}

static void put_metadata(FILE *out, const hv_t *hv, bool *first)
{
    put(out, json_pack("{s:s,s:s,s:i,s:{s:s}}", "name", "process_name", "ph", "M", "pid", 0,
                       "args", "name", "host (pCPUs)"), first);
    for (unsigned c = 0; c < hv->m->ncpus; c++) {
        char name[16];
        snprintf(name, sizeof name, "pCPU%u", c);
        put(out, json_pack("{s:s,s:s,s:i,s:i,s:{s:s}}", "name", "thread_name", "ph", "M", "pid", 0,
                           "tid", (int)c, "args", "name", name), first);
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vm_t *v = &hv->vms[i];
        if (!v->used)
            continue;
        put(out, json_pack("{s:s,s:s,s:i,s:{s:s}}", "name", "process_name", "ph", "M", "pid",
                           pid_of((int)i), "args", "name", v->name), first);
        for (unsigned k = 0; k < v->nvcpus; k++) {
            char name[16];
            snprintf(name, sizeof name, "vcpu%u", k);
            put(out, json_pack("{s:s,s:s,s:i,s:i,s:{s:s}}", "name", "thread_name", "ph", "M",
                               "pid", pid_of((int)i), "tid", (int)k, "args", "name", name), first);
        }
    }
}

static void put_span(FILE *out, const hv_span_t *s, bool *first)
{
    int pid = pid_of(s->vm), tid = s->vm >= 0 ? s->vcpu : s->cpu;
    const char *cat = s->kind == HV_SPAN_USER || s->kind == HV_SPAN_KERNEL ? "guest"
                      : s->kind == HV_SPAN_IDLE || s->kind == HV_SPAN_HOST ? "host"
                                                                           : "hypervisor";
    put(out, json_pack("{s:s,s:s,s:s,s:f,s:f,s:i,s:i,s:{s:i,s:I}}", "name", span_names[s->kind],
                       "cat", cat, "ph", "X", "ts", us(s->start), "dur", us(s->dur), "pid", pid,
                       "tid", tid < 0 ? 0 : tid, "args", "pcpu", (int)s->cpu, "cycles",
                       (json_int_t)s->dur),
        first);
}

static void put_instant(FILE *out, const hv_t *hv, const sim_event_t *ev, bool *first)
{
    char name[64], why[320], cause[48];
    const char *cat = "hypervisor";
    why[0] = '\0';
    if (ev->kind == SIM_EV_VMEXIT) {
        snprintf(name, sizeof name, "exit %s", cpu_exit_reason_name(ev->a));
        hv_describe_exit(hv, ev, why, sizeof why);
        cat = "exit";
    } else if (ev->kind == SIM_EV_INJECT) {
        snprintf(name, sizeof name, "inject %s", cpu_cause_name(ev->a, cause, sizeof cause));
        cat = "injection";
    } else {
        snprintf(name, sizeof name, "%s", sim_hv_action_name(ev->a));
    }
    int tid = ev->vm >= 0 ? (ev->vcpu < 0 ? 0 : ev->vcpu) : ev->cpu;
    put(out, json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:{s:i,s:I,s:I,s:I,s:s}}", "name", name,
                       "cat", cat, "ph", "i", "s", "t", "ts", us(ev->cycle), "pid", pid_of(ev->vm),
                       "tid", tid, "args", "pcpu", (int)ev->cpu, "pc", (json_int_t)ev->pc, "a",
                       (json_int_t)ev->a, "b", (json_int_t)ev->b, "why", why),
        first);
}

int hv_trace_write(hv_t *hv, const char *path, FILE *diag)
{
    hv_tracker_t *t = hv->tracker;
    if (!t || !t->recording) {
        fprintf(diag, "%s: error: the trace was not recorded (hv_trace_start)\n", path);
        return -1;
    }
    hv_stats_settle(hv);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    bool first = true;
    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock\":\"1 cycle = 1 ns (a 1 GHz "
          "machine)\"},\"traceEvents\":[",
          out);
    put_metadata(out, hv, &first);
    for (size_t i = 0; i < t->nspans; i++)
        put_span(out, &t->spans[i], &first);
    for (size_t i = 0; i < t->ninst; i++)
        put_instant(out, hv, &t->inst[i], &first);
    fputs("\n]}\n", out);
    if (fclose(out) != 0 || !buf) {
        free(buf);
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    int rc = sim_write_file_atomic(path, buf, len, diag);
    free(buf);
    return rc;
}
