/*
 * hv_mark.c - the guests' own marks on the timeline: named instants a guest kernel puts there
 * (the rtos marks each deadline it misses), shown on the window's lanes, described by the
 * debugger and written to `--trace-out` as instant events.
 *
 * Lecture idea: the observer effect. A tool that measures a real-time guest must not change
 * what it measures. A mark made by hypercall (call 2) is a VM exit, and an exit costs the
 * guest hundreds of cycles: under overcommit the marks alone made later jobs later still. So a
 * guest registers a mark ring in its own memory once (call 3) and then marks with plain
 * stores, which cost it no more than any other store. The recorder reads the ring when the
 * VCPU next exits anyway (and whenever a debugger, the statistics or the trace ask), and
 * stamps each mark with the cycle the guest wrote in it. Reading the ring is the recorder's
 * work, like a hardware trace buffer's: it is charged to no CPU.
 *
 * The ring, in guest-physical memory (docs/guests.md), word-aligned:
 *
 *   ring + 0              head: the records written so far (the guest adds 1 after each)
 *   ring + 4 + 12 * slot  record number n, slot = n % slots:
 *                           + 0  the guest's cycle counter (low 32 bits) when it marked
 *                           + 4  the guest-physical address of the mark's name (NUL-ended)
 *                           + 8  a value (its low 24 bits are kept)
 */
#include <string.h>

#include "hv_internal.h"

#define RING_HEAD 0u
#define RING_RECORDS 4u
#define RECORD_BYTES 12u
#define RECORD_CYCLE 0u
#define RECORD_NAME 4u
#define RECORD_VALUE 8u
#define MARK_VALUE_MASK 0xffffffu

/* ------------------------------------------------------------------------------------------
 * Names and events
 * ------------------------------------------------------------------------------------------ */
/* The index of a mark's name, interned on first use; -1 for an empty name or a full table. */
static int intern(hv_t *hv, const char *name)
{
    unsigned k = 0;
    while (k < hv->nmarks && strcmp(hv->mark_name[k], name) != 0)
        k++;
    if (k == HV_MAX_MARKS || !name[0])
        return -1;
    if (k == hv->nmarks)
        snprintf(hv->mark_name[hv->nmarks++], HV_MARK_NAME + 1, "%s", name);
    return (int)k;
}

/* The mark event: name index << 24 | value, on pCPU `cpu` at cycle `at`. It carries no
 * charges: a mark is the guest's, not the hypervisor's work. */
static void emit_mark(hv_t *hv, const hv_vcpu_t *v, unsigned cpu, uint64_t at, unsigned k,
                      uint32_t value)
{
    sim_event_t ev = {.cycle = at,
                      .kind = SIM_EV_HV,
                      .cpu = (uint8_t)cpu,
                      .mode = CPU_MODE_H,
                      .from_mode = CPU_MODE_H,
                      .vm = v->vm,
                      .vcpu = v->index,
                      .a = SIM_HV_MARK,
                      .b = (uint32_t)k << 24 | (value & MARK_VALUE_MASK)};
    hv->vms[v->vm].stats.marks++;
    sim_emit(hv->m, &ev);
}

const char *hv_mark_name(const hv_t *hv, uint32_t arg)
{
    unsigned k = arg >> 24;
    return k < hv->nmarks ? hv->mark_name[k] : "?";
}

uint32_t hv_mark_value(uint32_t arg)
{
    return arg & MARK_VALUE_MASK;
}

/* ------------------------------------------------------------------------------------------
 * Hypercall 2: a mark made by an exit
 * ------------------------------------------------------------------------------------------ */
int32_t hv_mark_hypercall(hv_t *hv, const hv_vcpu_t *v, uint32_t gpa, uint32_t value)
{
    char name[HV_MARK_NAME + 1] = "";
    for (unsigned i = 0; i < HV_MARK_NAME; i++) {
        if (!hv_copy_from_guest(hv, (unsigned)v->vm, gpa + i, &name[i], 1, "reading a mark's name"))
            return -1;
        if (!name[i])
            break;
    }
    int k = intern(hv, name);
    if (k < 0)
        return -1;
    hv_emit(hv, SIM_HV_MARK, v->vm, v->index, (uint32_t)k << 24 | (value & MARK_VALUE_MASK));
    return k;
}

/* ------------------------------------------------------------------------------------------
 * Hypercall 3 and the ring: marks made by stores
 * ------------------------------------------------------------------------------------------ */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool peek_word(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t *value)
{
    uint8_t b[4];
    if (!hv_peek_guest(hv, vm, gpa, b, 4))
        return false;
    *value = le32(b);
    return true;
}

int32_t hv_mark_ring_register(hv_t *hv, hv_vcpu_t *v, uint32_t ring, uint32_t slots)
{
    const hv_vm_t *vm = &hv->vms[v->vm];
    uint32_t bytes = RING_RECORDS + slots * RECORD_BYTES, head = 0;
    if (slots == 0 || slots > HV_MARK_RING_SLOTS || (ring & 3) || ring >= vm->memory ||
        bytes > vm->memory - ring)
        return -1;
    hv_emit_more(hv, SIM_HV_MARK_RING, v->vm, v->index, ring, slots);
    if (vm->marks_off)
        return 0; /* accepted, never read: the guest cannot tell whether it is watched */
    if (!peek_word(hv, (unsigned)v->vm, ring + RING_HEAD, &head))
        head = 0; /* not backed yet: the guest has written nothing there */
    v->mark_ring = ring;
    v->mark_slots = slots;
    v->mark_read = head; /* what the ring held before is not this registration's */
    return 0;
}

/* The host cycle a guest's 32-bit cycle stamp stands for: the latest one at or before the
 * VM's time `guest_now` with those low bits (never before the VM started). */
static uint64_t stamp_time(const hv_t *hv, const hv_vcpu_t *v, uint64_t host_now, uint32_t stamp)
{
    uint64_t start = hv->vms[v->vm].tsc_offset;
    uint64_t guest_now = host_now > start ? host_now - start : 0;
    uint64_t age = (uint32_t)((uint32_t)guest_now - stamp);
    return start + (age < guest_now ? guest_now - age : 0);
}

/* Turns the records the guest wrote since the last read into mark events on pCPU `cpu`
 * (where the VCPU ran), host_now being a cycle no earlier than any of them. A guest that
 * wrote more than its ring holds loses the oldest (counted in marks_lost). */
static void read_ring(hv_t *hv, hv_vcpu_t *v, unsigned cpu, uint64_t host_now)
{
    unsigned vm = (unsigned)v->vm;
    uint32_t head;
    if (!v->mark_slots || !peek_word(hv, vm, v->mark_ring + RING_HEAD, &head))
        return;
    uint32_t n = head - v->mark_read;
    if (n > v->mark_slots) {
        hv->vms[vm].stats.marks_lost += n - v->mark_slots;
        n = v->mark_slots;
    }
    for (uint32_t i = head - n; i != head; i++) {
        uint8_t rec[RECORD_BYTES];
        uint32_t at = v->mark_ring + RING_RECORDS + (i % v->mark_slots) * RECORD_BYTES;
        char name[HV_MARK_NAME + 1] = "";
        if (!hv_peek_guest(hv, vm, at, rec, RECORD_BYTES))
            break;
        uint32_t name_gpa = le32(rec + RECORD_NAME);
        for (unsigned c = 0; c < HV_MARK_NAME && hv_peek_guest(hv, vm, name_gpa + c, &name[c], 1);
             c++)
            if (!name[c])
                break;
        int k = intern(hv, name);
        if (k >= 0)
            emit_mark(hv, v, cpu, stamp_time(hv, v, host_now, le32(rec + RECORD_CYCLE)),
                      (unsigned)k, le32(rec + RECORD_VALUE));
    }
    v->mark_read = head;
}

void hv_mark_ring_read(hv_t *hv, hv_vcpu_t *v, const cpu_t *cpu)
{
    read_ring(hv, v, cpu->s.id, cpu->s.cycles);
}

void hv_marks_collect(hv_t *hv)
{
    uint64_t newest = 0;
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        if (hv->m->cpu[c].s.cycles > newest)
            newest = hv->m->cpu[c].s.cycles;
    for (unsigned e = 0; e < hv->nent; e++) {
        hv_vcpu_t *v = &hv->ent[e];
        int cpu = v->on_cpu >= 0 ? v->on_cpu : v->last_cpu;
        bool alive = v->used && !v->host_process && hv->vms[v->vm].state != HV_VM_OFF &&
                     hv->vms[v->vm].state != HV_VM_CRASHED; /* a stopped VM's frames are gone */
        if (alive && v->mark_slots)
            read_ring(hv, v, cpu >= 0 ? (unsigned)cpu : 0, newest);
    }
}
