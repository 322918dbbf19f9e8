/*
 * hv_trace.h - the tracker shared by the statistics (hv_stats.c) and the trace export
 * (hv_trace.c): what each pCPU is doing, and the spans and instants recorded for the trace.
 * Derived from the event stream, so not part of the machine's state.
 */
#ifndef HVSIM_HV_TRACE_H
#define HVSIM_HV_TRACE_H

#include "hv_internal.h"

/* Per pCPU: the exit whose round trip is being timed (the time itself is the machine's
 * accounting, sim_account.c, whose spans the trace records). */
typedef struct {
    uint8_t exit_open; /* an exit's round trip is being timed */
    uint8_t exit_reason;
    uint8_t exit_monitor; /* cpu = bt: the "exit" is a call or trap into the monitor */
    int16_t exit_vm;
    uint64_t exit_start;
} hv_span_state_t;

typedef struct {
    uint8_t cpu, kind; /* kind: sim_time_t */
    int16_t vm, vcpu;
    uint64_t start, dur;
} hv_span_t;

/* Spans and instants held in memory at most, each: beyond, they go to the spill file as the
 * trace's JSON, so that a long run's trace costs disk, not the host's memory. */
#define HV_TRACE_KEEP 16384

typedef struct hv_tracker {
    hv_t *hv;
    hv_span_state_t cpu[SIM_MAX_CPUS];
    bool recording; /* keep spans and instants for the trace */
    hv_span_t *spans;
    size_t nspans, spans_cap;
    sim_event_t *inst;
    size_t ninst, inst_cap;
    FILE *spill;      /* the older spans and instants, as JSON lines (an unnamed temporary) */
    uint64_t spilled; /* how many went there */
    bool oom;         /* some were dropped for want of host memory or a temporary file */
} hv_tracker_t;

void hv_trace_add_span(hv_tracker_t *t, unsigned cpu, unsigned kind, int vm, int vcpu,
                       uint64_t start, uint64_t dur);
void hv_trace_add_instant(hv_tracker_t *t, const sim_event_t *ev);
void hv_trace_free(hv_tracker_t *t);

#endif
