/*
 * hv_limits.c - a VM's limits in one place: CPU share and cap (hv_sched.c), resident_max
 * (hv_swap.c), disk_bw and net_bw (hv_limit_pace), each with how often it bound, and its
 * reservation, a floor (hv_reserve.c), with how often reclaim stopped at it. The statistics
 * print them as a VM's `limits:` line; `info limits`, `info memory` and the window's VM
 * figures read the same figures through the debugger (docs/hypervisor.md, "Limits per VM in
 * one place").
 *
 * Lecture idea: a hypervisor's promise to each VM is also a bound on it. A limit that never
 * bound cost nothing; one that bound shows where (the cap took the pCPU, resident_max swapped
 * a page, a bandwidth held a command or a frame back), counted where it happened.
 */
#include <stdarg.h>

#include "hv_internal.h"

void hv_vm_limits(const hv_t *hv, unsigned vm, hv_limits_t *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    *out = (hv_limits_t){.share = v->share,
                         .cap = v->cap,
                         .cap_stops = v->stats.cap_stops,
                         .resident_max = v->resident_max,
                         .pages = v->memory / MMU_PAGE_SIZE,
                         .limit_swaps = v->stats.limit_swaps,
                         .reserved = v->reserved,
                         .reserve_spared = v->stats.reserve_spared,
                         .disk_bw = v->disk_limit.rate,
                         .net_bw = v->net_limit.rate,
                         .disk_held = v->disk_limit.held,
                         .disk_held_cycles = v->disk_limit.held_cycles,
                         .net_held = v->net_limit.held,
                         .net_held_cycles = v->net_limit.held_cycles};
}

/* Appends to buf (at *at, which it moves on), never past len. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *at < len ? vsnprintf(buf + *at, len - *at, fmt, ap) : 0;
    va_end(ap);
    if (n > 0)
        *at += (size_t)n;
}

/* ", bound 12 times" (nothing when it never bound). */
static void bound(char *buf, size_t len, size_t *at, uint64_t times)
{
    char b[48];
    if (times)
        put(buf, len, at, ", bound %s", sim_counted(times, "time", b, sizeof b));
}

/* "disk_bw 100 bytes per 1 000 cycles, held 1 command back for 319 657 cycles", or "none". */
static void bandwidth(char *buf, size_t len, size_t *at, const char *key, uint32_t rate,
                      uint64_t held, const char *unit, uint64_t cycles)
{
    char b[3][48];
    if (!rate) {
        put(buf, len, at, "%s none", key);
        return;
    }
    put(buf, len, at, "%s %s bytes per 1 000 cycles", key, sim_group_digits(rate, b[0], 48));
    if (held)
        put(buf, len, at, ", held %s back for %s", sim_counted(held, unit, b[1], 48),
            sim_counted(cycles, "cycle", b[2], 48));
}

const char *hv_limits_text(const hv_limits_t *l, char *buf, size_t len)
{
    char b[2][32];
    size_t at = 0;
    buf[0] = '\0';
    put(buf, len, &at, "share %u; ", l->share);
    if (l->cap) {
        put(buf, len, &at, "cap %u%% of a pCPU", l->cap);
        bound(buf, len, &at, l->cap_stops);
    } else {
        put(buf, len, &at, "cap none");
    }
    if (l->resident_max < l->pages) {
        put(buf, len, &at, "; resident_max %s of %s frames",
            sim_group_digits(l->resident_max, b[0], 32), sim_group_digits(l->pages, b[1], 32));
        bound(buf, len, &at, l->limit_swaps);
    } else {
        put(buf, len, &at, "; resident_max none");
    }
    if (l->reserved) {
        put(buf, len, &at, "; reservation %s of %s frames", sim_group_digits(l->reserved, b[0], 32),
            sim_group_digits(l->pages, b[1], 32));
        if (l->reserve_spared)
            put(buf, len, &at, ", reclaim stopped at it %s",
                sim_counted(l->reserve_spared, "time", b[0], 32));
    }
    put(buf, len, &at, "; ");
    bandwidth(buf, len, &at, "disk_bw", l->disk_bw, l->disk_held, "command", l->disk_held_cycles);
    put(buf, len, &at, "; ");
    bandwidth(buf, len, &at, "net_bw", l->net_bw, l->net_held, "frame", l->net_held_cycles);
    return buf;
}

/* Lecture: resource limits. A device's bandwidth is the hypervisor's to share out: a transfer of
 * `bytes` completes no sooner than its share of time (bytes x 1 000 / rate cycles) after the one
 * before. The device just looks slower to the guest. */
uint64_t hv_limit_pace(hv_limit_t *l, uint32_t bytes, uint64_t at)
{
    if (!l->rate)
        return at;
    uint64_t earliest = l->paced + (uint64_t)bytes * 1000u / l->rate;
    if (earliest > at) {
        l->held++;
        l->held_cycles += earliest - at;
        at = earliest;
    }
    l->paced = at;
    return at;
}
