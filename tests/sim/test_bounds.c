/*
 * test_bounds.c - what a program can make the host spend is bounded (issue 23): the bare
 * machine's console capture keeps the latest SIM_CONSOLE_KEEP bytes, however much is written
 * (all of it still goes to the console's FILE); the trace recorder holds a bounded number of
 * spans and instants and spills the rest to a file; a disk flooded with commands runs one at a
 * time, so the machine's device-event queue never grows.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_trace.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"

/* 300 000 bytes on the UART: 'a'..'z' over and over, then "END". */
#define FLOOD                                                                                      \
    "        li r2, 0\n"                                                                           \
    "        li r3, 300000\n"                                                                      \
    "        li r4, 26\n"                                                                          \
    "loop:   remu r1, r2, r4\n"                                                                    \
    "        addi r1, r1, 'a'\n"                                                                   \
    "        out r1, [0x3f8]\n"                                                                    \
    "        addi r2, r2, 1\n"                                                                     \
    "        cmp r2, r3\n"                                                                         \
    "        bltu loop\n"                                                                          \
    "        li r1, 'E'\n        out r1, [0x3f8]\n"                                                \
    "        li r1, 'N'\n        out r1, [0x3f8]\n"                                                \
    "        li r1, 'D'\n        out r1, [0x3f8]\n" TH_POWEROFF

Test(bounds, the_console_capture_keeps_the_latest_bytes_only, .timeout = 60)
{
    static sim_machine_t m;
    th_machine(&m, ".org 0x1000\n" FLOOD);
    char *all = NULL;
    size_t all_len = 0;
    FILE *out = open_memstream(&all, &all_len);
    sim_console_set_output(&m, out);
    cr_assert_eq(sim_run(&m, 4000000000u), SIM_RUN_POWEROFF);
    fclose(out);
    const char *kept = sim_console_captured(&m);
    size_t len = strlen(kept);
    cr_expect_leq(len, SIM_CONSOLE_KEEP, "%zu bytes kept", len);
    cr_expect_geq(len, SIM_CONSOLE_KEEP / 2, "the latest half a budget at least: %zu", len);
    cr_expect_eq(sim_console_dropped(&m) + len, 300003, "every byte kept or counted");
    cr_expect_eq(all_len, 300003, "the console's FILE has every byte");
    cr_expect_str_eq(kept, all + all_len - len, "the capture is the output's end");
    cr_expect_str_eq(kept + len - 3, "END");
    free(all);
    sim_machine_free(&m);
}

/* Overcommit with tinyos deprivileged (trap + shadow: an exit for every privileged
 * instruction): enough events to spill, and the rtos's deadline misses marked. */
static const char spill_scenario[] =
    "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\nscheduler = overcommit\n\n"
    "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = trap\nmem = shadow\n"
    "input = hello\\nsyscalls\\npoweroff\\n\n\n"
    "[vm rtos]\nimage = rtos.img\nmemory = 4M\n";

/* The trace recorder holds HV_TRACE_KEEP spans and instants at most; the rest wait in its
 * spill file, and the trace written has every one of them, every mark among them. */
Test(bounds, the_trace_recorder_spills_beyond_its_bound, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, "spill", spill_scenario);
    cr_assert_eq(hv_trace_start(hv), 0);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    const hv_tracker_t *t = hv->tracker;
    cr_expect_leq(t->spans_cap, HV_TRACE_KEEP);
    cr_expect_leq(t->inst_cap, HV_TRACE_KEEP);
    cr_expect_gt(t->spilled, HV_TRACE_KEEP, "a run long enough to spill: %llu",
                 (unsigned long long)t->spilled);
    char path[64];
    snprintf(path, sizeof path, "/tmp/hvsim-bounds-%d.json", (int)getpid());
    cr_assert_eq(hv_trace_write(hv, path, stderr), 0);
    uint64_t recorded = t->spilled + t->nspans + t->ninst;
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "%s:%d: %s", path, err.line, err.text);
    size_t n = json_array_size(json_object_get(root, "traceEvents")), meta = 0, marks = 0;
    json_t *ev;
    size_t i;
    json_array_foreach(json_object_get(root, "traceEvents"), i, ev)
    {
        meta += !strcmp(json_string_value(json_object_get(ev, "ph")), "M");
        const char *cat = json_string_value(json_object_get(ev, "cat"));
        marks += cat && !strcmp(cat, "mark");
    }
    cr_expect_eq(n - meta, recorded, "%zu events in the file, %llu recorded", n - meta,
                 (unsigned long long)recorded);
    const char *rtos = hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "rtos"));
    const char *misses = strstr(rtos, "after the start: ");
    cr_assert_not_null(misses, "%s", rtos);
    cr_expect_gt(marks, 0);
    cr_expect_eq(marks, strtoul(misses + strlen("after the start: "), NULL, 10),
                 "every mark (one per deadline miss), spilled or not");
    json_decref(root);
    remove(path);
    hu_scenario_free(&sc, hv, &m);
}

/* A driver that writes the command register 5 000 times while the first command runs: the
 * controller holds that one command, refuses the rest (the REFUSED register counts them) and
 * schedules nothing more, so the machine's device queue holds one event of it at most. */
Test(bounds, a_flooded_disk_holds_one_command_and_counts_the_refused)
{
    static sim_machine_t m;
    static uint8_t image[8 * SIM_SECTOR_SIZE];
    th_machine(&m, ".org 0x1000\n"
                   "        li r1, 1\n        out r1, [0x1f1]\n" /* one sector */
                   "        li r1, 0x8000\n        out r1, [0x1f2]\n"
                   "        li r2, 15\n        li r1, 1\n"
                   "again:  out r1, [0x1f3]\n" /* read, again and again */
                   "        addi r2, r2, -1\n        cmpi r2, 0\n        bgt again\n"
                   "        in r3, [0x1f7]\n" /* REFUSED */
                   "        in r4, [0x1f4]\n" TH_POWEROFF);
    cr_assert_eq(sim_disk_attach(&m, image, sizeof image), 0);
    cr_assert_eq(sim_run(&m, 10000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[3], 14, "every command but the first refused and counted");
    cr_expect_eq(m.cpu[0].s.r[4] & SIM_DISK_BUSY, SIM_DISK_BUSY, "the first still runs");
    cr_expect_eq(m.ntimed, 1, "one event of the disk's in the machine's queue");
    cr_expect_eq(m.disk.refused, 14);
    sim_machine_free(&m);
}
