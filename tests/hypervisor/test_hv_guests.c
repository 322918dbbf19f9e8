/*
 * test_hv_guests.c - the real guests under the hypervisor: tinyos and rtos boot from their own
 * disk images through the boot ROM, each in its VM, and their transcripts equal their native
 * ones (timing lines aside).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv_scenario.h"
#include "../guestos/guest_util.h"
#include "../support/harness.h"
#include "hv_util.h"

static const char tinyos_script[] = "help\nhello\nsyscalls\npagetouch\nforkwait\nfault\n"
                                    "counter &\ncounter &\nps\nwait\npoweroff\n";

/* A VM booting a built image with the boot ROM. */
static int boot_vm(hv_t *hv, const char *name, const char *image, uint32_t memory,
                   const char *input, int pin)
{
    size_t rom_len, disk_len;
    uint8_t *rom = gu_read("rom.bin", &rom_len);
    uint8_t *disk = gu_read(image, &disk_len);
    hv_vm_config_t c = {.name = name, .vcpus = 1, .memory = memory, .rom = rom, .rom_len = rom_len,
                        .disk = disk, .disk_len = disk_len, .input = input, .pin = {pin, -1, -1, -1}};
    char err[200] = "";
    int vm = hv_vm_create(hv, &c, err, sizeof err);
    free(rom);
    free(disk);
    cr_assert_geq(vm, 0, "%s", err);
    return vm;
}

/* Both guests boot and end on their own under the hypervisor, on two pinned pCPUs. */
Test(hv_guests, both_guests_run_to_the_end, .timeout = 120)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    int t = boot_vm(hv, "tinyos", "tinyos.img", 8u << 20, tinyos_script, -1);
    int r = boot_vm(hv, "rtos", "rtos.img", 4u << 20, NULL, -1);
    cr_assert_eq(hv_run(hv, 2000000000ull), SIM_RUN_POWEROFF);
    cr_expect_eq(m.exit_code, 0);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)t), "powering off") != NULL);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)r), "hypervisor present") != NULL);
    cr_expect(strstr(hv_vm_console(hv, (unsigned)r), ": 0 deadline misses") != NULL,
              "pinned, the rtos misses nothing:\n%s", hv_vm_console(hv, (unsigned)r));
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

Test(hv_guests, transcripts_equal_native_but_for_timing, .timeout = 120)
{
    hu_transcripts_equal_native("default");
}

/* Shadow paging under hardware assist (both guests), and trap-and-emulate with shadow paging
 * (tinyos, paged and deprivileged: its popf loses IE only until its iret restores it). */
Test(hv_guests, transcripts_equal_native_with_shadow_paging, .timeout = 120)
{
    hu_transcripts_equal_native("shadow");
    hu_transcripts_equal_native("trap");
}

/* Write-protect traces (shadow_sync = trace) under hardware assist, trap-and-emulate and
 * binary translation: every store to a guest page table is emulated, nothing else changes. */
Test(hv_guests, transcripts_equal_native_with_write_protect_traces, .timeout = 180)
{
    hu_transcripts_equal_native_traced("shadow", -1, true);
    hu_transcripts_equal_native_traced("trap", -1, true);
    hu_transcripts_equal_native_traced("bt", -1, true);
}

/* Binary translation (with shadow paging): both kernels run translated. */
Test(hv_guests, transcripts_equal_native_under_binary_translation, .timeout = 120)
{
    hu_transcripts_equal_native("bt");
}

/* tinyos's console under a hypervisor is paravirtual: one hypercall per line its kernel
 * sends, where each byte was an IO_PORT exit. A line is sent at a newline and at the end of
 * each write() (a prompt), so a prompt line ("$ hello") takes two: the prompt, then the echo.
 * The [rom] and [boot] lines come before tinyos, through the UART. */
static unsigned count_lines(const char *text, const char *prefix)
{
    unsigned n = 0;
    for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        n += !strncmp(l, prefix, strlen(prefix));
    return n;
}

Test(hv_guests, tinyos_sends_a_line_per_hypercall, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "default");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    unsigned t = (unsigned)hv_vm_by_name(hv, "tinyos");
    const char *text = hv_vm_console(hv, t);
    unsigned lines = count_lines(text, ""),
             before = count_lines(text, "[rom]") + count_lines(text, "[boot]");
    unsigned prompts = count_lines(text, "$ ");
    cr_assert_gt(prompts, 10, "%s", text);
    /* (and one more: its balloon driver asks the target once, at boot) */
    cr_expect_eq(hv->vms[t].stats.exits[CPU_EXIT_HYPERCALL], lines - before + prompts + 1,
                 "%u lines (%u before tinyos, %u prompts): %llu hypercalls", lines, before, prompts,
                 (unsigned long long)hv->vms[t].stats.exits[CPU_EXIT_HYPERCALL]);
    /* every byte after the [rom] and [boot] lines came by hypercall, and the summary says
     * what the UART would have cost for them */
    const char *own = strstr(text, "[tinyos]");
    cr_assert_not_null(own);
    uint64_t bytes = strlen(own);
    cr_expect_eq(hv->vms[t].stats.console_bytes, bytes);
    char *stats = NULL, digits[32];
    size_t len = 0;
    FILE *f = open_memstream(&stats, &len);
    hv_print_stats(hv, f);
    fclose(f);
    char want[200];
    snprintf(want, sizeof want, "    console: %s bytes in %u hypercalls (paravirtual); ",
             sim_group_digits(bytes, digits, sizeof digits), lines - before + prompts);
    cr_expect(strstr(stats, want), "want \"%s\" in\n%s", want, stats);
    free(stats);
    hu_scenario_free(&sc, hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Type 1 against type 2
 * ------------------------------------------------------------------------------------------ */
static void exit_costs(const char *scenario, uint64_t avg[CPU_EXIT_COUNT], uint64_t *vmm,
                       uint64_t *host_work)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    hv_stats_settle(hv);
    const hv_vm_stats_t *s = &hv->vms[hv_vm_by_name(hv, "tinyos")].stats;
    for (unsigned r = 0; r < CPU_EXIT_COUNT; r++)
        avg[r] = s->exits[r] ? s->exit_cycles[r] / s->exits[r] : 0;
    uint64_t t[SIM_TIME_COUNT];
    sim_account_vm(&m, (unsigned)hv_vm_by_name(hv, "tinyos"), t);
    *vmm = t[SIM_TIME_VMM];
    *host_work = 0;
    for (unsigned e = 0; e < hv->nent; e++)
        if (hv->ent[e].used && hv->ent[e].host_process)
            *host_work += hv->ent[e].host_work;
    hu_scenario_free(&sc, hv, &m);
}

Test(hv_guests, type2_device_exits_cost_two_more_transitions, .timeout = 120)
{
    uint64_t t1[CPU_EXIT_COUNT], t2[CPU_EXIT_COUNT], vmm1, vmm2, host1, host2;
    exit_costs("default", t1, &vmm1, &host1);
    exit_costs("type2", t2, &vmm2, &host2);
    sim_costs_t c;
    sim_costs_default(&c);
    uint64_t trip = c.c[SIM_COST_t2_to_vmm] + c.c[SIM_COST_t2_from_vmm];
    int64_t extra = (int64_t)t2[CPU_EXIT_IO_PORT] - (int64_t)t1[CPU_EXIT_IO_PORT];
    cr_expect(extra >= (int64_t)trip - 50 && extra <= (int64_t)trip + 50,
              "an I/O exit costs %llu in type 1, %llu in type 2 (the trip: %llu)",
              (unsigned long long)t1[CPU_EXIT_IO_PORT], (unsigned long long)t2[CPU_EXIT_IO_PORT],
              (unsigned long long)trip);
    cr_expect_eq(t2[CPU_EXIT_CSR_ACCESS], t1[CPU_EXIT_CSR_ACCESS],
                 "the timer is emulated in the host kernel: no trip");
    cr_expect_eq(vmm1, 0);
    cr_expect_gt(vmm2, 1000000, "the VMM's time shows");
    cr_expect_eq(host1, 0);
    cr_expect_gt(host2, 1000000, "the host process ran beside the VCPUs");
}
