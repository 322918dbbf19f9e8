/*
 * test_hv_gswap_shown.c - double paging, where a student sees it (hypervisor/hv_gswap.c,
 * guestos/tinyos/swap.inc): tinyos prints its own page-outs and page-ins when its shell
 * exits, only when it swapped, and its counts equal what the hypervisor counted of its disk;
 * a swap-in made for the guest's own page-out is flagged double paging in its event and its
 * sentence (break hv swap-in stops say so), every disk command in the guest's swap area is a
 * guest-swap event; --trace-out carries the guest swap series and the double-paged swap-ins
 * (the window's memory panel: tests/gui/test_gui_memmap.c).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ui/debug/ui_debug.h"
#include "../support/harness.h"
#include "hv_util.h"

static sim_machine_t m;

/* What the event stream said of the guests' swapping, per VM. */
typedef struct {
    unsigned outs[HV_MAX_VMS], ins[HV_MAX_VMS], doubled_outs[HV_MAX_VMS];
    unsigned swap_ins[HV_MAX_VMS], flagged[HV_MAX_VMS];
} seen_t;

static void on_event(const sim_event_t *ev, void *ctx)
{
    seen_t *s = ctx;
    if (ev->kind != SIM_EV_HV || ev->vm < 0 || ev->vm >= HV_MAX_VMS)
        return;
    if (ev->a == SIM_HV_GUEST_SWAP && (ev->b & SIM_HV_WRITE)) {
        s->outs[ev->vm]++;
        s->doubled_outs[ev->vm] += ev->pc;
    } else if (ev->a == SIM_HV_GUEST_SWAP) {
        s->ins[ev->vm]++;
    } else if (ev->a == SIM_HV_SWAP_IN) {
        s->swap_ins[ev->vm]++;
        s->flagged[ev->vm] += (ev->b & SIM_HV_DOUBLE_PAGED) != 0;
    }
}

/* The guest's own line, "[tinyos] swap: 86 pages out, 66 in": true with its two counts. */
static bool guest_counts(const char *transcript, unsigned *outs, unsigned *ins)
{
    const char *line = strstr(transcript, "[tinyos] swap: ");
    return line && sscanf(line, "[tinyos] swap: %u pages out, %u in\n", outs, ins) == 2;
}

/* The two layers agree: the counts tinyos printed are the hypervisor's guest_swap_outs/ins,
 * and the events say the same, double paging included. */
Test(hv_gswap_shown, the_guests_own_counts_equal_the_hypervisors, .timeout = 120)
{
    hv_scenario_t sc;
    seen_t seen = {0};
    hv_t *hv = hu_scenario(&sc, &m, "double-paging");
    cr_assert_eq(sim_add_sink(&m, on_event, &seen), 0);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    for (unsigned i = 0; i < 2; i++) {
        const hv_vm_t *v = &hv->vms[i];
        const char *t = v->dev.transcript.text;
        unsigned outs, ins;
        cr_assert(guest_counts(t, &outs, &ins), "%s", t);
        cr_expect(strstr(t, "[tinyos] swap: 86 pages out, 66 in\n"
                            "[tinyos] the shell exited with status 0: powering off\n"),
                  "the line comes just before the power-off: %s", t);
        cr_expect_eq(outs, v->stats.guest_swap_outs, "%s: the guest's page-outs", v->name);
        cr_expect_eq(ins, v->stats.guest_swap_ins, "%s: the guest's page-ins", v->name);
        cr_expect_eq(seen.outs[i], outs, "%s: a guest-swap event per page-out", v->name);
        cr_expect_eq(seen.ins[i], ins, "%s: a guest-swap event per page-in", v->name);
        cr_expect_eq(seen.doubled_outs[i], v->stats.double_paged, "%s", v->name);
        cr_expect_eq(seen.flagged[i], v->stats.double_paged, "%s: flagged swap-ins", v->name);
        cr_expect_eq(seen.swap_ins[i], v->stats.swap_ins, "%s: every swap-in an event", v->name);
    }
    cr_expect_eq(seen.flagged[1], 35, "'both': 35 of its 95 swap-ins were double paging");
    cr_expect_eq(seen.flagged[0], 0, "'guest': the hypervisor swaps nothing of it");
    hu_scenario_free(&sc, hv, &m);
}

/* A tinyos with a swap area it never needs, and one that runs out of memory without one:
 * neither prints the line (so no other transcript changes). */
Test(hv_gswap_shown, no_line_unless_the_guest_swapped, .timeout = 120)
{
    static const char *const vms[] = {
        "memory = 8M\nguest_swap = 1M\ninput = pagetouch\\npoweroff\\n\n",
        "memory = 384K\ninput = pagetouch\\npoweroff\\n\n",
    };
    for (size_t i = 0; i < sizeof vms / sizeof vms[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\n\n"
                 "[vm t]\nimage = tinyos.img\ncpu = hw\nmem = nested\n%s",
                 vms[i]);
        hv_scenario_t sc;
        hv_t *hv = hu_scenario_text(&sc, &m, "t.ini", text);
        cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
        const char *t = hv->vms[0].dev.transcript.text;
        cr_expect(strstr(t, "the shell exited with status 0"), "%s", t);
        cr_expect_null(strstr(t, "[tinyos] swap:"), "%s", t);
        cr_expect_eq(hv->vms[0].stats.guest_swap_outs, 0);
        hu_scenario_free(&sc, hv, &m);
    }
}

/* The sentences, exact: a swap-in with and without the flag, and the guest's page-outs and
 * page-ins. */
Test(hv_gswap_shown, the_sentences_say_when_it_is_double_paging)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "double-paging");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    static const struct {
        uint32_t action, b, pc;
        const char *want;
    } rows[] = {
        {SIM_HV_SWAP_IN, 0x47000, 16,
         "overcommit: gpa 0x00047000 of both was swapped out; the hypervisor reads it back from "
         "swap slot 16 into a host frame"},
        {SIM_HV_SWAP_IN, 0x47000 | SIM_HV_DOUBLE_PAGED, 16,
         "overcommit: gpa 0x00047000 of both was swapped out; the hypervisor reads it back from "
         "swap slot 16 into a host frame for the guest's own page-out to its disk: double paging "
         "(the page goes straight back out)"},
        {SIM_HV_GUEST_SWAP, 3 | SIM_HV_WRITE, 1,
         "guest swapping: both wrote a page out to slot 3 of its own swap area, on its disk; the "
         "hypervisor had swapped the page out and read it back for the DMA first: double paging"},
        {SIM_HV_GUEST_SWAP, 3 | SIM_HV_WRITE, 0,
         "guest swapping: both wrote a page out to slot 3 of its own swap area, on its disk; its "
         "DMA found the page in a host frame"},
        {SIM_HV_GUEST_SWAP, 3, 0,
         "guest swapping: both read a page back in from slot 3 of its own swap area, on its "
         "disk"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sim_event_t ev = {.kind = SIM_EV_HV, .vm = 1, .vcpu = -1, .a = rows[i].action,
                          .b = rows[i].b, .pc = rows[i].pc};
        char buf[400];
        ui_dbg_describe_event(dbg, &ev, buf, sizeof buf);
        cr_expect_str_eq(buf, rows[i].want, "row %zu", i);
    }
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* `break hv swap-in vm both` stops at swap-ins (several in one step stop once): those in the
 * guest's DMA for its own page-out say double paging, the others (its own touches) do not. */
Test(hv_gswap_shown, a_swap_in_stop_says_double_paging, .timeout = 120)
{
    hv_scenario_t sc;
    hv_t *hv = hu_scenario(&sc, &m, "double-paging");
    ui_dbg_t *dbg = ui_dbg_new(&m);
    cr_assert_gt(ui_dbg_break_hv(dbg, "swap-in", 1), 0, "%s", ui_dbg_error(dbg));
    ui_dbg_stop_t st;
    unsigned stops = 0, doubled = 0;
    while (ui_dbg_continue(dbg, &st) == 0 && st.kind == UI_DBG_STOP_BREAKPOINT) {
        stops++;
        bool flagged = (st.ev.b & SIM_HV_DOUBLE_PAGED) != 0;
        cr_expect_eq(strstr(st.text, "for the guest's own page-out to its disk: double paging "
                                     "(the page goes straight back out)") != NULL,
                     flagged, "%s", st.text);
        doubled += flagged;
    }
    cr_expect_gt(stops, doubled, "stops at its own touches' swap-ins too");
    cr_expect_gt(doubled, 0, "and at double paging's");
    /* every one: those of the guest's disk DMA come while its pCPU idles, waiting for the
     * disk, and the stop is made at another pCPU's boundary */
    cr_expect_eq(stops, hv->vms[1].stats.swap_ins, "a stop at each swap-in");
    cr_expect_eq(st.kind, UI_DBG_STOP_POWEROFF, "%s", st.text);
    ui_dbg_free(dbg);
    hu_scenario_free(&sc, hv, &m);
}

/* In the REPL: the first guest-swap of 'both' is a page-out of a page in a host frame. */
Test(hv_gswap_shown, break_hv_guest_swap_in_the_repl, .timeout = 120)
{
    th_expect_output("printf 'break hv guest-swap vm both\\nc\\nquit\\n' | "
                 "$B/hvsim --repl --scenario double-paging 2>&1 | grep '^Breakpoint 1, hv'",
                 "Breakpoint 1, hv: guest swapping: both wrote a page out to slot 0 of its own "
                 "swap area, on its disk; its DMA found the page in a host frame.\n");
}

/* The value of key `k` of the counter event ev's args. */
static json_int_t arg(json_t *ev, const char *k)
{
    return json_integer_value(json_object_get(json_object_get(ev, "args"), k));
}

/* --trace-out: a "guest swap" counter series per VM that swaps (its last point the run's
 * totals), and each double-paged swap-in an instant of its own, with the page in b. */
Test(hv_gswap_shown, trace_out_has_the_guest_swap_series, .timeout = 120)
{
    char path[] = "/tmp/hvsim-gswap-XXXXXX";
    close(mkstemp(path));
    char cmd[200];
    snprintf(cmd, sizeof cmd, "$B/hvsim --scenario double-paging --trace-out %s >/dev/null",
             path);
    int status;
    free(th_sh(cmd, true, &status));
    cr_assert_eq(status, 0);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "line %d: %s", err.line, err.text);
    json_t *last[3] = {NULL}, *ev;
    unsigned points[3] = {0}, doubled = 0;
    size_t i;
    json_array_foreach(json_object_get(root, "traceEvents"), i, ev) {
        const char *name = json_string_value(json_object_get(ev, "name"));
        json_int_t pid = json_integer_value(json_object_get(ev, "pid"));
        if (name && !strcmp(name, "guest swap") && pid >= 1 && pid <= 2) {
            cr_expect_str_eq(json_string_value(json_object_get(ev, "ph")), "C");
            last[pid] = ev;
            points[pid]++;
        } else if (name && !strcmp(name, "swap-in: double paging")) {
            cr_expect_eq(pid, 2, "only 'both' double pages");
            cr_expect_eq(arg(ev, "b") & 0xfff, 0, "b is the page");
            doubled++;
        }
    }
    for (unsigned p = 1; p <= 2; p++) {
        cr_assert_not_null(last[p], "a series for VM %u", p - 1);
        cr_expect_eq(points[p], 86 + 66, "a point per guest disk command in the swap area");
        cr_expect_eq(arg(last[p], "page-outs"), 86);
        cr_expect_eq(arg(last[p], "page-ins"), 66);
        cr_expect_eq(arg(last[p], "double paged"), p == 2 ? 35 : 0);
    }
    cr_expect_eq(doubled, 35);
    json_decref(root);
    unlink(path);
}
