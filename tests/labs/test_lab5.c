/*
 * test_lab5.c - lab 5, VCPU scheduling (labs/05-sched): the rtos beside two tinyos VMs on two
 * pCPUs misses deadlines when every VCPU floats and none when it has a pCPU of its own
 * (pinning); on one pCPU, the boost policy (a large share, and a VCPU that wakes under its
 * share preempts) cuts its lateness from a time slice to a few thousand cycles; shares divide
 * a pCPU in proportion whatever they are. labs/05-sched/lab.ini gives the points.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_util.h"

/* The rtos's "all jobs done ... : N deadline misses" and its sensor task's worst lateness. */
typedef struct {
    unsigned misses;
    long lateness;
} rtos_result_t;

static rtos_result_t rtos_result(hv_t *hv, const char *scenario)
{
    const char *text = hv_vm_console(hv, (unsigned)hv_vm_by_name(hv, "rtos"));
    const char *done = strstr(text, "all jobs done"), *sensor = strstr(text, "sensor: ");
    const char *worst = sensor ? strstr(sensor, "worst lateness ") : NULL;
    cr_assert(done && worst, "%s: the rtos did not finish:\n%s", scenario, text);
    rtos_result_t r = {(unsigned)strtoul(strstr(done, ": ") + 2, NULL, 10),
                       strtol(worst + strlen("worst lateness "), NULL, 10)};
    return r;
}

static rtos_result_t run_text(const char *name, const char *text)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario_text(&sc, &m, name, text);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s", name);
    rtos_result_t r = rtos_result(hv, name);
    for (unsigned vm = 0; vm < sc.nvms; vm++)
        cr_expect_eq(hv->vms[vm].state, HV_VM_OFF, "%s: %s ran to its end", name, hv->vms[vm].name);
    hu_scenario_free(&sc, hv, &m);
    return r;
}

static rtos_result_t run_builtin(const char *name)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, name);
    cr_assert_eq(hv_run(hv, sc.max_cycles), SIM_RUN_POWEROFF, "%s", name);
    rtos_result_t r = rtos_result(hv, name);
    hu_scenario_free(&sc, hv, &m);
    return r;
}

/* Three VMs on two pCPUs: two tinyos and the rtos; `pins` gives each its pCPU, or none. */
static rtos_result_t three_vms(bool pinned)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[machine]\npcpus = 2\nram = 32M\n\n[hypervisor]\ntype = 1\nscheduler = overcommit\n\n"
             "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\n%s\n"
             "input = pagetouch\\ncounter\\npoweroff\\n\n\n"
             "[vm tinyos2]\nimage = tinyos.img\nmemory = 8M\n%s\n"
             "input = counter\\ncounter\\npoweroff\\n\n\n"
             "[vm rtos]\nimage = rtos.img\nmemory = 4M\n%s\n",
             pinned ? "pin = 0" : "", pinned ? "pin = 0" : "", pinned ? "pin = 1" : "");
    return run_text(pinned ? "three VMs, the rtos pinned" : "three VMs, floating", text);
}

Test(lab5, pinning_gives_the_rtos_a_pcpu_of_its_own, .timeout = 60)
{
    rtos_result_t floating = three_vms(false), pinned = three_vms(true);
    cr_expect_gt(floating.misses, 0,
                 "floating among two tinyos on two pCPUs, the rtos misses "
                 "deadlines (it missed %u)",
                 floating.misses);
    cr_expect_eq(pinned.misses, 0,
                 "pinned alone on pCPU 1, the rtos misses no deadline (it "
                 "missed %u, worst lateness %ld)",
                 pinned.misses, pinned.lateness);
}

Test(lab5, boost_cuts_the_rtos_lateness, .timeout = 60)
{
    rtos_result_t plain = run_builtin("overcommit"), boost = run_builtin("overcommit-boost");
    cr_expect_lt(boost.misses * 2, plain.misses,
                 "with boost the rtos missed %u deadlines, "
                 "without %u: want fewer than half",
                 boost.misses, plain.misses);
    cr_expect_lt(boost.lateness, 5000,
                 "with boost the sensor's worst lateness is %ld cycles "
                 "(without: %ld): a woken rtos must not wait for a slice",
                 boost.lateness, plain.lateness);
}

/* Shares in proportion, whatever they are: three CPU-bound VMs with random shares. */
static const char spin[] = ".org 0x1000\nloop: addi r1, r1, 1\nb loop\n";

Test(lab5, shares_are_proportional, .timeout = 30)
{
    unsigned state = 7;
    for (unsigned round = 0; round < 3; round++) {
        static sim_machine_t m;
        hv_config_t cfg = hu_config();
        cfg.sched = HV_SCHED_OVERCOMMIT;
        cfg.slice = 10000;
        hv_t *hv = hu_machine(&m, 1, &cfg);
        unsigned share[3];
        int vm[3];
        for (unsigned i = 0; i < 3; i++) {
            state = state * 1103515245u + 12345u;
            share[i] = 64 + (state >> 16) % 960;
            hv_vm_config_t c = {.share = share[i], .pin = {-1, -1, -1, -1}};
            char name[8];
            snprintf(name, sizeof name, "spin%u", i);
            vm[i] = hu_vm(hv, name, spin, &c);
        }
        cr_assert_eq(hv_run(hv, 6000000), SIM_RUN_MAX_CYCLES);
        double total_share = share[0] + share[1] + share[2], total = 0, kernel[3];
        for (unsigned i = 0; i < 3; i++) { /* the machine's time accounting, per VM */
            uint64_t t[SIM_TIME_COUNT];
            sim_account_vm(hv->m, (unsigned)vm[i], t);
            kernel[i] = (double)t[SIM_TIME_KERNEL];
            total += kernel[i];
        }
        for (unsigned i = 0; i < 3; i++) {
            double got = kernel[i] / total, want = share[i] / total_share;
            cr_expect(got > want - 0.04 && got < want + 0.04,
                      "round %u: shares %u %u %u: %s got "
                      "%.1f%% of the guest time, want %.1f%%",
                      round, share[0], share[1], share[2], hv->vms[vm[i]].name, 100 * got,
                      100 * want);
        }
        hu_free(hv, &m);
    }
}
