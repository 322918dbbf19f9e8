/*
 * test_hv_emu.c - emulation (cpu = emu, hypervisor/hv_emu.c): every guest instruction costs
 * the interpreter's emu_insn on top of its own cost, the guests behave as natively (tinyos
 * prints the same lines; only timing differs), and the slowdown is what makes the rtos miss
 * its deadlines.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"

#define LOOP ".org 0x1000\nli r1, 2000\nloop: addi r1, r1, -1\ncmpi r1, 0\nbne loop\n" \
             "out r0, [0xf0]\n"

static uint64_t run_loop(hv_cpu_technique_t cpu, uint64_t *retired)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = HV_MEM_NESTED, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(hv, "loop", LOOP, &c);
    cr_assert_eq(hv_run(hv, 10000000), SIM_RUN_POWEROFF);
    *retired = hv_emu_interpreted(hv, (unsigned)vm);
    uint64_t cycles = m.cpu[0].s.cycles;
    hu_free(hv, &m);
    return cycles;
}

Test(hv_emu, every_instruction_costs_the_interpreter)
{
    uint64_t hw_retired, emu_retired;
    uint64_t hw = run_loop(HV_CPU_HW, &hw_retired), emu = run_loop(HV_CPU_EMU, &emu_retired);
    cr_expect_eq(hw_retired, 0, "nothing is interpreted under hw");
    cr_expect_eq(emu_retired, 1 + 3 * 2000, "li, the loop; the exiting out does not retire: %lu",
                 (unsigned long)emu_retired);
    sim_costs_t costs;
    sim_costs_default(&costs);
    uint64_t extra = emu_retired * costs.c[SIM_COST_emu_insn];
    cr_expect(emu - hw >= extra && emu - hw < extra + 2000, "emu %lu, hw %lu, extra %lu",
              (unsigned long)emu, (unsigned long)hw, (unsigned long)extra);
}

/* The lines a guest printed, without timing: cycle reports dropped, the shell's prompt taken
 * off, the pages of ps's rows masked (how far a background program got by then), sorted
 * (under emulation the background programs start earlier relative to the shell). */
static void mask_ps_pages(char *l)
{
    static const char *const states[] = {" ready ", " running ", " sleeping ", " waiting "};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        char *at = strstr(l, states[i]);
        if (!strncmp(l, "[tinyos] ", 9) && at)
            for (char *c = at + strlen(states[i]); *c == ' ' || (*c >= '0' && *c <= '9'); c++)
                *c = *c == ' ' ? ' ' : '#';
    }
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *line_set(const char *text)
{
    char *copy = strdup(text), *out = calloc(strlen(text) + 1, 1), *lines[4096];
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 4096;
         l = strtok_r(NULL, "\n", &save)) {
        while (!strncmp(l, "$ ", 2))
            l += 2;
        mask_ps_pages(l);
        if (!strstr(l, " cycles") && *l && strcmp(l, "$"))
            lines[n++] = l;
    }
    qsort(lines, n, sizeof lines[0], by_text);
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(copy);
    return out;
}

Test(hv_emu, tinyos_prints_what_it_prints_natively_and_the_rtos_misses, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m, native;
    hv_t *hv = hu_scenario(&sc, &m, "emu");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    int t = hv_vm_by_name(hv, "tinyos");
    cr_assert_eq(hv_scenario_start_native(&sc, (unsigned)t, &native, NULL, stderr), 0);
    cr_assert_eq(sim_run(&native, sc.max_cycles), SIM_RUN_POWEROFF);
    char *a = line_set(sim_console_captured(&native)), *b = line_set(hv_vm_console(hv, (unsigned)t));
    cr_expect_str_eq(b, a);
    cr_expect_gt(strlen(a), 200);
    free(a);
    free(b);
    sim_machine_free(&native);
    const char *rtos = hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "rtos"));
    cr_expect(strstr(rtos, "all jobs done") != NULL);
    cr_expect(strstr(rtos, " 0 deadline misses\n") == NULL, "emulated, the rtos is too slow:\n%s",
              rtos);
    cr_expect_gt(hv_emu_interpreted(hv, (unsigned)t), 1000000);
    hu_scenario_free(&sc, hv, &m);
}
