/*
 * test_hv_isolation.c - the guest can never hurt the host (design principle 6). The adversary
 * (guestos/adversary/kernel.s) sweeps all of guest-physical memory, writes wild page tables,
 * touches every I/O port, MMIO where no device is, floods the hypervisor with bad hypercalls,
 * tries the ring -1 instructions and every CSR number, exhausts its shadow budget, storms the
 * hypervisor with exits and interrupts, jumps and irets to misaligned pcs and floods its
 * console, under every technique pair, on a pCPU of its own and on one it shares. Every attempt
 * must end as an exit the hypervisor handles or a fault the adversary gets back; the rtos beside it
 * must print exactly what it prints beside tinyos; the hypervisor's memory and invariants must
 * hold; the machine's real devices must see nothing; and the simulator must not crash (make asan
 * runs this too).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "hv_util.h"

static char *rtos_transcript(const char *scenario)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    char *text = strdup(hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "rtos")));
    hu_scenario_free(&sc, hv, &m);
    return text;
}

Test(hv_isolation, the_adversary_hurts_nobody, .timeout = 240)
{
    char *beside_tinyos = rtos_transcript("default");

    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "isolation");
    uint32_t image = hv_image_checksum(hv);
    sim_run_result_t r = hv_run(hv, sc.max_cycles);
    cr_assert_eq(r, SIM_RUN_POWEROFF, "the run ended with %d", r);

    int adv = hv_vm_by_name(hv, "adversary"), rtos = hv_vm_by_name(hv, "rtos");
    const char *said = hv_vm_console(hv, (unsigned)adv);
    cr_expect(strstr(said, "[adversary] done") != NULL, "the adversary ran to its end:\n%s", said);
    cr_expect_eq(hv->vms[adv].state, HV_VM_OFF);
    cr_expect_eq(hv->vms[adv].exit_code, 0);
    const hv_vm_stats_t *st = &hv->vms[adv].stats;
    cr_expect_gt(st->exits[CPU_EXIT_IO_PORT], 65536, "every port tried");
    cr_expect_gt(st->exits[CPU_EXIT_HYPERCALL], 2000, "the hypercall flood");
    cr_expect_gt(st->exits[CPU_EXIT_NESTED_FAULT], 8000, "the memory sweep");
    cr_expect_gt(st->injections, 8000, "faults given back");
    cr_expect_leq(hv->vms[adv].frames, hv->vms[adv].memory / 4096, "never more than its memory");

    cr_expect_str_eq(hv_vm_console(hv, (unsigned)rtos), beside_tinyos,
                     "the rtos's transcript, to the cycle, is what it is beside tinyos");
    cr_expect_eq(hv_image_checksum(hv), image, "the hypervisor's image is untouched");
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    cr_expect_str_eq(sim_console_captured(&m), "", "nothing reached the real console");
    cr_expect_eq(m.disk.reads + m.disk.writes + m.disk.errors, 0, "nor the real disk");
    cr_expect_eq(m.exit_code, 0);

    hu_scenario_free(&sc, hv, &m);
    free(beside_tinyos);
}

/* The adversary again under each technique pair but hw + nested (above), beside the rtos:
 * its wild page tables, sweeps, misaligned jumps and floods end as hidden or guest faults;
 * the shadows map nothing but its own frames; the rtos prints what it prints beside tinyos.
 * trap + nested cannot run a paged kernel: the adversary is stopped with that sentence when
 * it turns paging on, and the rtos still prints the same. */
typedef struct {
    const char *cpu, *mem;
} pair_t;

static const pair_t pairs[] = {{"hw", "shadow"},  {"trap", "shadow"}, {"bt", "shadow"},
                               {"emu", "nested"}, {"emu", "shadow"},  {"trap", "nested"}};

ParameterizedTestParameters(hv_isolation, the_adversary_hurts_nobody_under_every_pair)
{
    TH_ROW_INDICES(sizeof pairs / sizeof *pairs);
}

ParameterizedTest(size_t *row, hv_isolation, the_adversary_hurts_nobody_under_every_pair,
                  .timeout = 240)
{
    const char *cpu = pairs[*row].cpu, *mem = pairs[*row].mem;
    char *beside_tinyos = rtos_transcript("default");
    char text[512];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 2\nram = 32M\n\n[hypervisor]\ntype = 1\nscheduler = pin\n\n"
             "[vm adversary]\nimage = adversary.img\nmemory = 2M\ncpu = %s\nmem = %s\n\n"
             "[vm rtos]\nimage = rtos.img\nmemory = 4M\n",
             cpu, mem);
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, cpu, text);
    uint32_t image = hv_image_checksum(hv);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s/%s", cpu, mem);
    int adv = hv_vm_by_name(hv, "adversary"), rtos = hv_vm_by_name(hv, "rtos");
    const char *said = hv_vm_console(hv, (unsigned)adv);
    if (strcmp(cpu, "trap") == 0 && strcmp(mem, "nested") == 0) {
        cr_expect_eq(hv->vms[adv].state, HV_VM_CRASHED, "trap/nested");
        cr_expect(strstr(hv->vms[adv].why, "cpu = trap cannot run a paged kernel") != NULL,
                  "trap/nested: %s", hv->vms[adv].why);
    } else {
        cr_expect(strstr(said, "[adversary] done") != NULL,
                  "%s/%s: the adversary ran to its end:\n%s", cpu, mem, said);
        cr_expect(strstr(said, "misaligned jump and iret, console flood: 2 faults given back") !=
                      NULL,
                  "%s/%s: both misaligned transfers faulted:\n%s", cpu, mem, said);
        const hv_vm_stats_t *st = &hv->vms[adv].stats;
        cr_expect_gt(st->injections, 8000, "%s/%s: faults given back", cpu, mem);
    }
    cr_expect_leq(hv->vms[adv].frames, hv->vms[adv].memory / 4096, "%s/%s", cpu, mem);
    cr_expect_str_eq(hv_vm_console(hv, (unsigned)rtos), beside_tinyos, "%s/%s", cpu, mem);
    cr_expect_eq(hv_image_checksum(hv), image, "%s/%s: the hypervisor's image is untouched", cpu,
                 mem);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s/%s: %s", cpu, mem, why);
    cr_expect_str_eq(sim_console_captured(&m), "", "%s/%s", cpu, mem);
    hu_scenario_free(&sc, hv, &m);
    free(beside_tinyos);
}

/* The adversary and tinyos share one pCPU (overcommit), under every technique pair for the
 * adversary: its exit and interrupt storms, shadow exhaustion and floods take turns with
 * tinyos's slices, and tinyos still prints what it prints in the default scenario but for the
 * lines that report its timing, each phase of the adversary having run. */
static const pair_t all_pairs[] = {{"hw", "nested"},  {"hw", "shadow"},  {"trap", "shadow"},
                                   {"bt", "shadow"},  {"emu", "nested"}, {"emu", "shadow"},
                                   {"trap", "nested"}};

/* The default scenario's script for tinyos's shell (hv_scenario_builtin.c). */
#define TINYOS_INPUT                                                                               \
    "help\\nhello\\nsyscalls\\npagetouch\\nforkwait\\nfault\\ncounter &\\ncounter "                \
    "&\\nps\\nwait\\n"                                                                             \
    "poweroff\\n"

static char *tinyos_transcript(void)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "default");
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF);
    char *text = strdup(hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "tinyos")));
    hu_scenario_free(&sc, hv, &m);
    return text;
}

ParameterizedTestParameters(hv_isolation, the_adversary_on_a_shared_pcpu_hurts_nobody)
{
    TH_ROW_INDICES(sizeof all_pairs / sizeof *all_pairs);
}

ParameterizedTest(size_t *row, hv_isolation, the_adversary_on_a_shared_pcpu_hurts_nobody,
                  .timeout = 300)
{
    const char *cpu = all_pairs[*row].cpu, *mem = all_pairs[*row].mem;
    char *alone = tinyos_transcript();
    char text[768];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 1\nram = 32M\n\n[hypervisor]\ntype = 1\nscheduler = overcommit\n\n"
             "[vm adversary]\nimage = adversary.img\nmemory = 2M\ncpu = %s\nmem = %s\n\n"
             "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ninput = %s\n",
             cpu, mem, TINYOS_INPUT);
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, cpu, text);
    uint32_t image = hv_image_checksum(hv);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s/%s", cpu, mem);
    int adv = hv_vm_by_name(hv, "adversary"), tiny = hv_vm_by_name(hv, "tinyos");
    const char *said = hv_vm_console(hv, (unsigned)adv);
    static const char *const phases[] = {"sweep of guest-physical memory",
                                         "wild page tables",
                                         "ports and disk commands",
                                         "MMIO",
                                         "hypercall flood",
                                         "ring -1 instructions and CSRs",
                                         "every CSR number read and written back",
                                         "shadow exhaustion under 8 ASIDs",
                                         "exit and interrupt storms",
                                         "misaligned jump and iret, console flood: 2 faults",
                                         "[adversary] done"};
    bool paged_kernel_refused = !strcmp(cpu, "trap") && !strcmp(mem, "nested");
    for (size_t i = 0; i < sizeof phases / sizeof *phases; i++)
        if (!paged_kernel_refused || i < 1)
            cr_expect(strstr(said, phases[i]) != NULL, "%s/%s: no \"%s\":\n%s", cpu, mem, phases[i],
                      said);
    if (paged_kernel_refused)
        cr_expect_eq(hv->vms[adv].state, HV_VM_CRASHED, "trap/nested");
    if (!strcmp(mem, "shadow"))
        cr_expect_gt(hv->vms[adv].stats.shadow.reclaims, 0, "%s/%s: the budget was reached", cpu,
                     mem);
    cr_expect_leq(hv->vms[adv].frames, hv->vms[adv].memory / 4096, "%s/%s", cpu, mem);
    char *got = hu_untimed(hv_vm_console(hv, (unsigned)tiny)), *want = hu_untimed(alone);
    cr_expect_str_eq(got, want, "%s/%s", cpu, mem);
    free(got);
    free(want);
    cr_expect_eq(hv_image_checksum(hv), image, "%s/%s", cpu, mem);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s/%s: %s", cpu, mem, why);
    cr_expect_str_eq(sim_console_captured(&m), "", "%s/%s", cpu, mem);
    hu_scenario_free(&sc, hv, &m);
    free(alone);
}
