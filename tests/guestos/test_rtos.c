/*
 * test_rtos.c - rtos booted from its image: the native-rtos transcript exactly, two runs
 * identical, every job run, no hypercall on bare hardware, and a slower CPU that misses
 * deadlines (the workload is tight enough to show it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

#define RAM (4u << 20)
#define MAX_CYCLES 400000000ull

/* The guests' clock rate (hw.inc's CYCLES_PER_MS, from which tinyos's tick and the rtos's
 * periods are set) is the simulator's (SIM_CYCLES_PER_MS): the two files cannot drift. */
Test(rtos_run, the_guests_clock_rate_is_the_models)
{
    FILE *f = fopen("guestos/include/hw.inc", "r");
    cr_assert_not_null(f, "guestos/include/hw.inc (run the tests from the source tree)");
    char line[256];
    unsigned long per_ms = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, " .equ CYCLES_PER_MS, %lu", &per_ms) == 1)
            break;
    fclose(f);
    cr_expect_eq(per_ms, SIM_CYCLES_PER_MS, "hw.inc says %lu cycles a millisecond, sim.h %u",
                 per_ms, SIM_CYCLES_PER_MS);
}

Test(rtos_transcript, native_rtos_exactly)
{
    gu_expect_transcript("native-rtos");
}

/* Same console output, same statistics (cycles, instructions, traps, TLB, disk), twice. */
Test(rtos_transcript, two_runs_are_identical)
{
    gu_expect_identical_runs("native-rtos");
}

Test(rtos_run, every_job_runs_in_time_on_bare_hardware)
{
    sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "rtos.img", RAM, NULL, MAX_CYCLES), SIM_RUN_POWEROFF);
    const char *out = sim_console_captured(&m);
    cr_expect(strstr(out, "[rtos] sensor: 50 runs, 0 deadline misses") != NULL, "%s", out);
    cr_expect(strstr(out, "[rtos] control: 20 runs, 0 deadline misses") != NULL, "%s", out);
    cr_expect(strstr(out, "[rtos] logger: 10 runs, 0 deadline misses") != NULL, "%s", out);
    cr_expect(strstr(out, ": 0 deadline misses\n") != NULL, "%s", out);
    cr_expect_eq(m.exit_code, 0);
    sim_machine_free(&m);
}

/* cpuid says there is no hypervisor, so the console is the UART and no hcall runs (on bare
 * hardware it would be an illegal instruction). */
Test(rtos_run, uart_console_without_hypervisor)
{
    sim_machine_t m;
    gu_boot(&m, "rtos.img", RAM, NULL, MAX_CYCLES);
    cr_expect(strstr(sim_console_captured(&m), "[rtos] no hypervisor (cpuid leaf 1, bit 31 "
                                                "clear): console on the UART\n") != NULL);
    cr_expect_eq(m.cpu[0].s.traps[CPU_CAUSE_ILLEGAL], 0);
    sim_machine_free(&m);
}

/* A slower CPU: a taken branch costs 5 cycles instead of 1, so each job's work loop takes
 * twice the cycles. Jobs run late and the sensor misses deadlines; the rtos still finishes. */
Test(rtos_run, slower_cpu_misses_deadlines)
{
    size_t len;
    uint8_t *img = gu_read("rtos.img", &len);
    sim_machine_t m;
    gu_machine(&m, RAM, img, len, NULL);
    free(img);
    m.costs.c[SIM_COST_branch_taken] = 5;
    cr_assert_eq(sim_run(&m, MAX_CYCLES), SIM_RUN_POWEROFF);
    const char *out = sim_console_captured(&m);
    const char *sensor = strstr(out, "[rtos] sensor: 50 runs, ");
    cr_assert_not_null(sensor, "%s", out);
    int misses = atoi(sensor + strlen("[rtos] sensor: 50 runs, "));
    cr_expect_gt(misses, 0, "the sensor should miss deadlines on a slower CPU:\n%s", out);
    cr_expect(strstr(out, "[rtos] sensor: 50 runs, 0 deadline") == NULL);
    cr_expect_eq(m.exit_code, 0);
    sim_machine_free(&m);
}

/* The rtos with telemetry (rtos-net.img, docs/io.md) on bare hardware: its driver programs
 * the machine's own card, the 25 frames go on the wire to the peer host, which ignores them,
 * and no job of the four tasks misses its deadline. */
Test(rtos_run, telemetry_on_bare_hardware)
{
    static sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "rtos-net.img", 4u << 20, NULL, 400000000ull), SIM_RUN_POWEROFF);
    const char *out = sim_console_captured(&m);
    cr_expect(strstr(out, "[rtos] no hypervisor"), "%s", out);
    cr_expect(strstr(out, "[rtos] telemetry: 25 runs, 0 deadline misses"), "%s", out);
    cr_expect(strstr(out, "cycles after the start: 0 deadline misses\n"), "%s", out);
    cr_expect(strstr(out, "[rtos] telemetry: 25 frames sent to 02:00:00:00:00:fe, 0 dropped"), "%s",
              out);
    cr_expect_eq(m.nic.tx_frames, 25);
    cr_expect_eq(m.nic.tx_bytes, 25 * 82);
    cr_expect_eq(m.peer.ignored, 25);
    sim_machine_free(&m);
}

/* The scenario `telemetry`, the whole transcript (tests/data/guests/telemetry.txt). */
Test(rtos_transcript, telemetry_scenario_exactly, .timeout = 120)
{
    gu_expect_transcript("telemetry");
}
