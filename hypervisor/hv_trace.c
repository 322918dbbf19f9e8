/*
 * hv_trace.c - the Chrome / Perfetto trace of a run (open it in ui.perfetto.dev or
 * chrome://tracing).
 *
 * Trace Event Format (JSON): one process per VM, one thread per VCPU; complete events ("X")
 * for the spans of guest user, guest kernel, hypervisor and (type 2) VMM time; instant events
 * ("i") for exits, injections, the hypervisor's actions and the guests' own marks
 * (hv_mark.c: the rtos marks each deadline it misses); a "host" process whose threads are
 * the pCPUs carries idle time and the type-2 host process. Cycles are mapped to time as on a
 * 1 GHz machine: 1 cycle = 1 ns, so ts and dur (microseconds) are cycles / 1000. The JSON is
 * made with jansson, event by event, and the file is written atomically. A long run's trace
 * is not held in memory: past HV_TRACE_KEEP spans or instants, the oldest are written out to
 * a temporary spill file, which is copied into the trace at the end.
 *
 * A VM run natively (its baseline, hv_scenario_start_native) is traced in the same layout: the
 * VM is process 1 with one thread, vcpu0, its guest user and kernel spans as under the
 * hypervisor, its traps and interrupts as instants, and the host's pCPU0 carries its idle time
 * (halted, waiting for an interrupt). Opened side by side, the two traces show what the
 * hypervisor added.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hv_trace.h"
#include "hv_technique.h"

/* The trace's names for the accounting's kinds (sim_time_t). */
static const char *const span_names[SIM_TIME_COUNT] = {
    [SIM_TIME_USER] = "guest user",    [SIM_TIME_KERNEL] = "guest kernel",
    [SIM_TIME_SWITCH] = "exit/entry",  [SIM_TIME_HANDLER] = "hypervisor",
    [SIM_TIME_MONITOR] = "BT monitor", [SIM_TIME_VMM] = "VMM (host user)",
    [SIM_TIME_HOST] = "host process",  [SIM_TIME_IDLE] = "idle"};

static void put_span(FILE *out, const hv_span_t *s, bool *first);
static void put_instant(FILE *out, const hv_t *hv, const sim_event_t *ev, bool *first);
static void guest_swap_totals(sim_event_t *kept, const hv_vm_stats_t *s);

/* ------------------------------------------------------------------------------------------
 * Recording
 * ------------------------------------------------------------------------------------------ */
/* Room for one more of n held (up to HV_TRACE_KEEP). */
static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 1024;
    c = c < HV_TRACE_KEEP ? c : HV_TRACE_KEEP;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* Writes out every span and instant held, as the trace's JSON (after the processes, so each
 * begins with a comma), and empties memory. False when there is no spill file to be had. */
static bool spill(hv_tracker_t *t)
{
    if (!t->spill && !(t->spill = tmpfile()))
        return false;
    bool first = false;
    for (size_t i = 0; i < t->nspans; i++)
        put_span(t->spill, &t->spans[i], &first);
    for (size_t i = 0; i < t->ninst; i++)
        put_instant(t->spill, t->hv, &t->inst[i], &first);
    t->spilled += t->nspans + t->ninst;
    t->nspans = t->ninst = 0;
    return true;
}

/* Room for one more span or instant (n held): held in memory, or what is held spilled first. */
static bool room(hv_tracker_t *t, void **p, size_t *cap, size_t n, size_t size)
{
    if (n == HV_TRACE_KEEP && !spill(t))
        return false;
    return grow(p, cap, n == HV_TRACE_KEEP ? 0 : n, size);
}

void hv_trace_add_span(hv_tracker_t *t, unsigned cpu, unsigned kind, int vm, int vcpu,
                       uint64_t start, uint64_t dur)
{
    if (!room(t, (void **)&t->spans, &t->spans_cap, t->nspans, sizeof *t->spans)) {
        t->oom = true;
        return;
    }
    t->spans[t->nspans++] = (hv_span_t){.cpu = (uint8_t)cpu, .kind = (uint8_t)kind,
                                        .vm = (int16_t)vm, .vcpu = (int16_t)vcpu,
                                        .start = start, .dur = dur};
}

void hv_trace_add_instant(hv_tracker_t *t, const sim_event_t *ev)
{
    if (!room(t, (void **)&t->inst, &t->inst_cap, t->ninst, sizeof *t->inst)) {
        t->oom = true;
        return;
    }
    t->inst[t->ninst] = *ev;
    if (ev->kind == SIM_EV_VMEXIT) /* a call or a trap, told now: `charged` is free in an exit */
        t->inst[t->ninst].charged = hv_exit_monitor_kind(t->hv, ev);
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_GUEST_SWAP) /* a point of a series: the totals */
        guest_swap_totals(&t->inst[t->ninst], &t->hv->vms[ev->vm].stats);
    t->ninst++;
}

void hv_trace_free(hv_tracker_t *t)
{
    free(t->spans);
    free(t->inst);
    if (t->spill)
        fclose(t->spill);
    t->spill = NULL;
    t->spans = NULL;
    t->inst = NULL;
    t->nspans = t->ninst = t->spans_cap = t->inst_cap = 0;
    t->spilled = 0;
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

/* A process named `name` with `nthreads` threads named prefix0, prefix1, ... */
static void put_process(FILE *out, int pid, const char *name, const char *prefix, unsigned nthreads,
                        bool *first)
{
    put(out,
        json_pack("{s:s,s:s,s:i,s:{s:s}}", "name", "process_name", "ph", "M", "pid", pid, "args",
                  "name", name),
        first);
    for (unsigned k = 0; k < nthreads; k++) {
        char thread[24];
        snprintf(thread, sizeof thread, "%s%u", prefix, k);
        put(out,
            json_pack("{s:s,s:s,s:i,s:i,s:{s:s}}", "name", "thread_name", "ph", "M", "pid", pid,
                      "tid", (int)k, "args", "name", thread),
            first);
    }
}

static void put_metadata(FILE *out, const hv_t *hv, bool *first)
{
    put_process(out, 0, "host (pCPUs)", "pCPU", hv->m->ncpus, first);
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used)
            put_process(out, pid_of((int)i), hv->vms[i].name, "vcpu", hv->vms[i].nvcpus, first);
}

static void put_span(FILE *out, const hv_span_t *s, bool *first)
{
    int pid = pid_of(s->vm), tid = s->vm >= 0 ? s->vcpu : s->cpu;
    const char *cat = s->kind == SIM_TIME_USER || s->kind == SIM_TIME_KERNEL ? "guest"
                      : s->kind == SIM_TIME_IDLE || s->kind == SIM_TIME_HOST ? "host"
                                                                             : "hypervisor";
    put(out, json_pack("{s:s,s:s,s:s,s:f,s:f,s:i,s:i,s:{s:i,s:I}}", "name", span_names[s->kind],
                       "cat", cat, "ph", "X", "ts", us(s->start), "dur", us(s->dur), "pid", pid,
                       "tid", tid < 0 ? 0 : tid, "args", "pcpu", (int)s->cpu, "cycles",
                       (json_int_t)s->dur),
        first);
}

/* Page sharing's scanner passes are a series (hv_share.c): the frames saved and the sharing
 * ratio, saved frames per 100 guest pages backed, as a counter track of the host. */
static void put_sharing(FILE *out, const sim_event_t *ev, bool *first)
{
    put(out,
        json_pack("{s:s,s:s,s:f,s:i,s:{s:I,s:f}}", "name", "page sharing", "ph", "C", "ts",
                  us(ev->cycle), "pid", 0, "args", "frames saved", (json_int_t)ev->b,
                  "sharing ratio %", ev->pc ? 100.0 * ev->b / ev->pc : 0.0),
        first);
}

/* Double paging (hv_gswap.c): each disk command of a guest in its own swap area is a point
 * of the VM's series "guest swap": its page-outs and page-ins so far (the guest's layer) and
 * how many of the page-outs were double paging. The kept event carries the totals of when it
 * happened (guest_swap_totals, at recording: the series is the same however often the trace
 * is written). */
static void guest_swap_totals(sim_event_t *kept, const hv_vm_stats_t *s)
{
    kept->b = (uint32_t)s->guest_swap_outs;
    kept->pc = (uint32_t)s->guest_swap_ins;
    kept->span = (uint32_t)s->double_paged;
}

static void put_guest_swap(FILE *out, const sim_event_t *kept, bool *first)
{
    put(out,
        json_pack("{s:s,s:s,s:f,s:i,s:{s:I,s:I,s:I}}", "name", "guest swap", "ph", "C", "ts",
                  us(kept->cycle), "pid", pid_of(kept->vm), "args", "page-outs",
                  (json_int_t)kept->b, "page-ins", (json_int_t)kept->pc, "double paged",
                  (json_int_t)kept->span),
        first);
}

static void put_instant(FILE *out, const hv_t *hv, const sim_event_t *ev, bool *first)
{
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SHARE_SCAN) {
        put_sharing(out, ev, first);
        return;
    }
    if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_GUEST_SWAP) {
        put_guest_swap(out, ev, first);
        return;
    }
    char name[64], why[320], cause[48];
    const char *cat = "hypervisor";
    why[0] = '\0';
    if (ev->kind == SIM_EV_VMEXIT) {
        snprintf(name, sizeof name, "exit %s", cpu_exit_reason_name(ev->a));
        hv_describe_exit_as(hv, ev, (hv_bt_entry_t)ev->charged, why, sizeof why);
        cat = "exit";
    } else if (ev->kind == SIM_EV_TRAP || ev->kind == SIM_EV_INTERRUPT) { /* a native run's */
        if (ev->kind == SIM_EV_TRAP)
            snprintf(name, sizeof name, "trap %s", cpu_cause_name(ev->a, cause, sizeof cause));
        else /* "interrupt 0 (timer)" */
            cpu_cause_name(CPU_CAUSE_INTERRUPT | ev->a, name, sizeof name);
        cat = "guest";
    } else if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_MARK) { /* a guest's own mark */
        snprintf(name, sizeof name, "mark: %s", hv_mark_name(hv, ev->b));
        snprintf(why, sizeof why, "the guest marked \"%s\" with value %u", hv_mark_name(hv, ev->b),
                 hv_mark_value(ev->b));
        cat = "mark";
    } else if (ev->kind == SIM_EV_INJECT) {
        snprintf(name, sizeof name, "inject %s", cpu_cause_name(ev->a, cause, sizeof cause));
        cat = "injection";
    } else if (ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWAP_IN &&
               (ev->b & SIM_HV_DOUBLE_PAGED)) { /* b stays the page, as in every swap-in */
        snprintf(name, sizeof name, "swap-in: double paging");
        snprintf(why, sizeof why,
                 "the hypervisor reads gpa 0x%08x back from its swap device for the guest's own "
                 "page-out to its disk: double paging (the page goes straight back out)",
                 ev->b & ~SIM_HV_DOUBLE_PAGED);
    } else {
        snprintf(name, sizeof name, "%s", sim_hv_action_name(ev->a));
    }
    uint32_t b = ev->kind == SIM_EV_HV && ev->a == SIM_HV_SWAP_IN ? ev->b & ~SIM_HV_DOUBLE_PAGED
                                                                  : ev->b;
    int tid = ev->vm >= 0 ? (ev->vcpu < 0 ? 0 : ev->vcpu) : ev->cpu;
    put(out, json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:{s:i,s:I,s:I,s:I,s:s}}", "name", name,
                       "cat", cat, "ph", "i", "s", "t", "ts", us(ev->cycle), "pid", pid_of(ev->vm),
                       "tid", tid, "args", "pcpu", (int)ev->cpu, "pc", (json_int_t)ev->pc, "a",
                       (json_int_t)ev->a, "b", (json_int_t)b, "why", why),
        first);
}

/* Copies the spilled spans and instants into the trace. */
static bool copy_spill(FILE *spill, FILE *out)
{
    char buf[65536];
    size_t n;
    if (fflush(spill) != 0 || fseek(spill, 0, SEEK_SET) != 0)
        return false;
    while ((n = fread(buf, 1, sizeof buf, spill)) > 0)
        fwrite(buf, 1, n, out);
    bool ok = !ferror(spill);
    fseek(spill, 0, SEEK_END); /* more may be spilled after this trace */
    return ok;
}

/* The file: the processes (a hypervisor's VMs, or the one VM of a native run), then every span
 * and instant recorded (the spilled ones first). */
static int write_trace(const hv_tracker_t *t, const hv_t *hv, const char *native_vm,
                       const char *path, FILE *diag)
{
    sim_atomic_t *file;
    FILE *out = sim_atomic_open(path, &file, diag);
    if (!out)
        return -1;
    bool first = true;
    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock\":\"1 cycle = 1 ns (a 1 GHz "
          "machine)\"},\"traceEvents\":[",
          out);
    if (hv) {
        put_metadata(out, hv, &first);
    } else {
        put_process(out, 0, "host (pCPUs)", "pCPU", 1, &first);
        put_process(out, pid_of(0), native_vm, "vcpu", 1, &first);
    }
    if (t->spill && !copy_spill(t->spill, out)) {
        fprintf(diag, "%s: error: cannot read the trace's temporary file back\n", path);
        sim_atomic_abort(file);
        return -1;
    }
    for (size_t i = 0; i < t->nspans; i++)
        put_span(out, &t->spans[i], &first);
    for (size_t i = 0; i < t->ninst; i++)
        put_instant(out, hv, &t->inst[i], &first);
    fputs("\n]}\n", out);
    return sim_atomic_commit(file, diag);
}

int hv_trace_write(hv_t *hv, const char *path, FILE *diag)
{
    hv_tracker_t *t = hv->tracker;
    if (!t || !t->recording) {
        fprintf(diag, "%s: error: the trace was not recorded (hv_trace_start)\n", path);
        return -1;
    }
    hv_stats_settle(hv);
    return write_trace(t, hv, NULL, path, diag);
}

/* ------------------------------------------------------------------------------------------
 * A native run
 * ------------------------------------------------------------------------------------------ */
struct hv_native_trace {
    hv_tracker_t t; /* only the spans and the instants are used */
    sim_machine_t *m;
    char vm[HV_NAME_MAX + 1];
};

/* pCPU0's spans are the machine's accounting's (sim_account.c), the same as under a
 * hypervisor; the bare machine's code is the one VM's (its process in the trace). */
static void on_native_span(const sim_span_t *sp, void *ctx)
{
    hv_native_trace_t *nt = ctx;
    if (sp->cpu != 0)
        return;
    int who = sp->kind == SIM_TIME_IDLE ? -1 : 0;
    hv_trace_add_span(&nt->t, 0, sp->kind, who, who, sp->start, sp->dur);
}

static void on_native_event(const sim_event_t *ev, void *ctx)
{
    hv_native_trace_t *nt = ctx;
    if (ev->cpu != 0 || (ev->kind != SIM_EV_TRAP && ev->kind != SIM_EV_INTERRUPT))
        return;
    sim_event_t inst = *ev;
    inst.vm = 0; /* the VM's process in the trace */
    inst.vcpu = 0;
    hv_trace_add_instant(&nt->t, &inst);
}

hv_native_trace_t *hv_native_trace_start(sim_machine_t *m, const char *vm)
{
    hv_native_trace_t *nt = calloc(1, sizeof *nt);
    if (!nt)
        return NULL;
    nt->m = m;
    snprintf(nt->vm, sizeof nt->vm, "%s", vm);
    nt->t.recording = true;
    if (sim_add_sink(m, on_native_event, nt) != 0) {
        free(nt);
        return NULL;
    }
    if (sim_account_listen(m, on_native_span, nt) != 0) {
        sim_remove_sink(m, on_native_event, nt);
        free(nt);
        return NULL;
    }
    return nt;
}

int hv_native_trace_write(hv_native_trace_t *nt, const char *path, FILE *diag)
{
    sim_account_settle(nt->m); /* the span still open */
    return write_trace(&nt->t, NULL, nt->vm, path, diag);
}

void hv_native_trace_free(hv_native_trace_t *nt)
{
    if (!nt)
        return;
    sim_remove_sink(nt->m, on_native_event, nt);
    sim_account_unlisten(nt->m, on_native_span, nt);
    hv_trace_free(&nt->t);
    free(nt);
}
