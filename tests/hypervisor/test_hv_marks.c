/*
 * test_hv_marks.c - the guests' marks on the timeline (hv_mark.c): a mark ring registered
 * with hypercall 3 and written with plain stores costs the guest no exit, so the rtos misses
 * exactly as many deadlines when its misses are marked as when nobody reads its marks; each
 * mark is stamped with the cycle the guest made it, inside a time its VCPU ran; a full ring
 * loses its oldest records (counted); a bad ring is refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"

/* What a run's event stream said about the rtos: its marks, and when its VCPU ran. */
#define MAX_RUNS 8192
typedef struct {
    uint64_t from, to;
    unsigned cpu;
} guest_run_t;

typedef struct {
    int vm;
    unsigned marks, max_value, outside;
    uint64_t entered[SIM_MAX_CPUS]; /* the VM's last entry on each pCPU */
    uint64_t last_exit[SIM_MAX_CPUS];
    guest_run_t run[MAX_RUNS]; /* from entry to exit, the VM's runs on the pCPUs */
    unsigned nruns;
    sim_event_t mark[256];
} watch_t;

/* Was the VM running on pCPU `cpu` at `cycle`? (Its runs so far, the newest first.) */
static bool ran_at(const watch_t *w, unsigned cpu, uint64_t cycle)
{
    for (unsigned i = w->nruns; i-- > 0;)
        if (w->run[i].cpu == cpu && w->run[i].from <= cycle && cycle <= w->run[i].to)
            return true;
    return false;
}

static void watch(const sim_event_t *ev, void *ctx)
{
    watch_t *w = ctx;
    if (ev->vm != w->vm || ev->cpu >= SIM_MAX_CPUS)
        return;
    if (ev->kind == SIM_EV_VMENTRY)
        w->entered[ev->cpu] = ev->cycle;
    if (ev->kind == SIM_EV_VMEXIT) {
        w->last_exit[ev->cpu] = ev->cycle;
        cr_assert_lt(w->nruns, MAX_RUNS);
        w->run[w->nruns++] = (guest_run_t){w->entered[ev->cpu], ev->cycle, ev->cpu};
    }
    if (ev->kind != SIM_EV_HV || ev->a != SIM_HV_MARK)
        return;
    /* Delivered at an exit, stamped when the guest made it: while it ran on that pCPU. */
    if (!ran_at(w, ev->cpu, ev->cycle))
        w->outside++;
    if (w->marks < 256)
        w->mark[w->marks] = *ev;
    w->marks++;
    if (hv_mark_value(ev->b) > w->max_value)
        w->max_value = hv_mark_value(ev->b);
}

/* The number after `key` in text (the rtos's report), or -1. */
static long after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The largest "worst lateness N" the rtos reports over its tasks. */
static long worst_lateness(const char *text)
{
    long worst = -1;
    for (const char *p = text; (p = strstr(p, "worst lateness ")); p++) {
        long v = after(p, "worst lateness ");
        worst = v > worst ? v : worst;
    }
    return worst;
}

typedef struct {
    char *rtos, *tinyos;
    uint64_t ended;
    watch_t w;
} run_t;

static void run_overcommit(const char *scenario, bool marks_off, run_t *r)
{
    static sim_machine_t m;
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    r->w.vm = hv_vm_by_name(hv, "rtos");
    cr_assert_geq(r->w.vm, 0);
    hv->vms[r->w.vm].marks_off = marks_off; /* what `marks = off` in [vm rtos] sets */
    sim_add_sink(&m, watch, &r->w);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    r->rtos = strdup(hv_vm_console(hv, (unsigned)r->w.vm));
    r->tinyos = strdup(hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "tinyos")));
    r->ended = hv->vms[r->w.vm].stats.ended;
    cr_expect_eq(hv->vms[r->w.vm].stats.marks, r->w.marks);
    cr_expect_eq(hv->vms[r->w.vm].stats.marks_lost, 0);
    hu_scenario_free(&sc, hv, &m);
}

/* The observer effect, gone: with its misses marked and with nobody reading its marks, the
 * rtos misses the same deadlines, as late, and both VMs end on the same cycle with the same
 * transcripts. Every miss has its mark, its value the lateness, stamped while the rtos ran. */
static void marks_change_nothing(const char *scenario, long expect_misses)
{
    static run_t on, off;
    memset(&on, 0, sizeof on);
    memset(&off, 0, sizeof off);
    run_overcommit(scenario, false, &on);
    run_overcommit(scenario, true, &off);
    long misses = after(on.rtos, "after the start: ");
    cr_expect_eq(misses, expect_misses, "%s", on.rtos);
    cr_expect_eq(after(off.rtos, "after the start: "), misses, "%s", off.rtos);
    cr_expect_str_eq(on.rtos, off.rtos);
    cr_expect_str_eq(on.tinyos, off.tinyos);
    cr_expect_eq(on.ended, off.ended);
    cr_expect_eq(on.w.marks, (unsigned)misses);
    cr_expect_eq(off.w.marks, 0, "marks = off: the ring is never read");
    cr_expect_eq((long)on.w.max_value, worst_lateness(on.rtos));
    cr_expect_eq(on.w.outside, 0, "%u marks stamped outside a run of the rtos", on.w.outside);
    free(on.rtos);
    free(on.tinyos);
    free(off.rtos);
    free(off.tinyos);
}

Test(hv_marks, overcommit_misses_as_many_deadlines_with_marks_as_without, .timeout = 120)
{
    marks_change_nothing("overcommit", 126);
}

Test(hv_marks, overcommit_boost_misses_as_many_deadlines_with_marks_as_without, .timeout = 120)
{
    marks_change_nothing("overcommit-boost", 59);
}

/* A small guest: registers a ring of 4 slots, writes 6 records with plain stores (no exit
 * between them), then powers off. The recorder finds the 4 newest (2 lost), each stamped with
 * the cycle the guest wrote in it, named and valued as the guest said. */
#define RING_GUEST                                                                                 \
    ".org 0x1000\n"                                                                                \
    "li r1, 3\nla r2, ring\nli r3, 4\nhcall\nmov r10, r1\n"    /* register: 0 */                   \
    "li r1, 3\nla r2, ring\nli r3, 65\nhcall\nmov r11, r1\n"   /* too many slots */                \
    "li r1, 3\nli r2, 2\nli r3, 4\nhcall\nmov r12, r1\n"       /* misaligned */                    \
    "li r1, 3\nlui r2, 0x7000\nli r3, 4\nhcall\nmov r13, r1\n" /* outside its memory */            \
    "li r8, 0\n"                                                                                   \
    "next: la r4, ring\nld r5, [r4]\nandi r6, r5, 3\nli r7, 12\nmul r6, r6, r7\nadd r6, r6, r4\n"  \
    "csrr r2, cycle\nst r2, [r6 + 4]\nla r7, name\nst r7, [r6 + 8]\naddi r1, r8, 100\n"            \
    "st r1, [r6 + 12]\naddi r5, r5, 1\nst r5, [r4]\naddi r8, r8, 1\ncmpi r8, 6\nblt next\n"        \
    "out r0, [0xf0]\n"                                                                             \
    "name: .asciz \"tick\"\n.align 4\nring: .word 0\n.space 48\n"

Test(hv_marks, a_full_ring_keeps_the_newest_records_and_counts_the_rest)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "guest", RING_GUEST, NULL);
    static watch_t w;
    memset(&w, 0, sizeof w);
    w.vm = vm;
    sim_add_sink(&m, watch, &w);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    uint32_t vmcb = hv_vcpu_vmcb(hv, (unsigned)vm, 0);
    uint32_t answer[4];
    for (unsigned r = 0; r < 4; r++)
        answer[r] = cpu_vmcb_peek(&m.cpu[0], vmcb, CPU_VMCB_GUEST + CPU_VMCB_R(10 + r));
    cr_expect_eq(answer[0], 0, "a good ring is accepted");
    for (unsigned r = 1; r < 4; r++)
        cr_expect_eq(answer[r], 0xffffffffu, "bad ring %u refused", r);
    cr_expect_eq(hv->vms[vm].stats.hypercalls, 4, "marking itself made no hypercall");
    cr_assert_eq(w.marks, 4);
    cr_expect_eq(hv->vms[vm].stats.marks_lost, 2);
    cr_expect_eq(w.outside, 0);
    for (unsigned i = 0; i < 4; i++) {
        cr_expect_str_eq(hv_mark_name(hv, w.mark[i].b), "tick");
        cr_expect_eq(hv_mark_value(w.mark[i].b), 102 + i, "the 3rd to 6th records, in order");
        if (i)
            cr_expect_gt(w.mark[i].cycle, w.mark[i - 1].cycle);
    }
    hu_free(hv, &m);
}

/* The stamp: the cycle the guest read is the VM's time (host cycles since it started), so the
 * mark lands on the host cycle the guest read it at. */
Test(hv_marks, a_mark_is_stamped_with_the_guests_own_cycle)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    int vm = hu_vm(hv, "guest",
                   ".org 0x1000\nli r1, 3\nla r2, ring\nli r3, 1\nhcall\n"
                   "csrr r9, cycle\nla r4, ring\nst r9, [r4 + 4]\nla r7, name\nst r7, [r4 + 8]\n"
                   "li r1, 7\nst r1, [r4 + 12]\nli r5, 1\nst r5, [r4]\n"
                   "li r1, 200\nspin: addi r1, r1, -1\ncmpi r1, 0\nbgt spin\nout r0, [0xf0]\n"
                   "name: .asciz \"here\"\n.align 4\nring: .word 0\n.space 12\n",
                   NULL);
    static watch_t w;
    memset(&w, 0, sizeof w);
    w.vm = vm;
    sim_add_sink(&m, watch, &w);
    cr_assert_eq(hv_run(hv, 1000000), SIM_RUN_POWEROFF);
    uint32_t r9 =
        cpu_vmcb_peek(&m.cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0), CPU_VMCB_GUEST + CPU_VMCB_R(9));
    cr_assert_eq(w.marks, 1);
    cr_expect_eq(w.mark[0].cycle, hv->vms[vm].tsc_offset + r9);
    cr_expect_lt(w.mark[0].cycle + 600, w.last_exit[0], "stamped long before the exit it came at");
    cr_expect_str_eq(hv_mark_name(hv, w.mark[0].b), "here");
    cr_expect_eq(hv_mark_value(w.mark[0].b), 7);
    hu_free(hv, &m);
}

/* `marks = off` in a VM's section: parsed, written back by `scenario show`; anything but on
 * or off is refused at its line. */
Test(hv_marks, the_scenario_key_marks)
{
    hv_scenario_t sc;
    char *text = NULL;
    size_t len = 0;
    FILE *diag = open_memstream(&text, &len);
    cr_assert_eq(
        hv_scenario_parse(&sc, "s.ini", "[vm a]\nkernel = k.bin\nmarks = off\n", ".", ".", diag),
        0);
    cr_expect(sc.vm[0].marks_off);
    char *shown = NULL;
    size_t shown_len = 0;
    FILE *out = open_memstream(&shown, &shown_len);
    hv_scenario_write(&sc, ".", out);
    fclose(out);
    cr_expect_not_null(strstr(shown, "\nmarks = off\n"), "%s", shown);
    free(shown);
    hv_scenario_free(&sc);
    cr_assert_eq(
        hv_scenario_parse(&sc, "s.ini", "[vm a]\nkernel = k.bin\nmarks = maybe\n", ".", ".", diag),
        -1);
    hv_scenario_free(&sc);
    fclose(diag);
    cr_expect_str_eq(text, "s.ini:3: error: marks = 'maybe': it must be on or off\n");
    free(text);
}
