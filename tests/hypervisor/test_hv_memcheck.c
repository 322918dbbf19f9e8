/*
 * test_hv_memcheck.c - the memory invariants (hv_check_invariants: a frame is one VM's or
 * shared read-only, never writable through a nested entry or the TLB; no VM maps another's or
 * the hypervisor's frames; the swap slots and limits add up) checked after every exit of long
 * random runs in which VMs swap, share and break their sharing at once.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../../hypervisor/hv_internal.h"
#include "hv_util.h"

/* 3000 random steps over 48 pages from 1 MiB up: a load, or a store of one of 4 values to the
 * page's first word (so that pages often end equal, within a VM and across VMs). The seed is
 * patched in by the test. */
static const char walker_fmt[] = ".org 0x1000\n"
                                 "        li r7, %u\n"
                                 "        li r6, 3000\n"
                                 "        li r8, 1103515245\n"
                                 "        li r10, 0x100000\n"
                                 "loop:   mul r7, r7, r8\n"
                                 "        addi r7, r7, 12345\n"
                                 "        shri r9, r7, 16\n"
                                 "        li r11, 48\n"
                                 "        remu r9, r9, r11\n"
                                 "        shli r9, r9, 12\n"
                                 "        add r9, r9, r10\n"
                                 "        shri r11, r7, 8\n"
                                 "        andi r11, r11, 7\n"
                                 "        cmpi r11, 4\n"
                                 "        bltu store\n"
                                 "        ld r12, [r9]\n"
                                 "        j next\n"
                                 "store:  st r11, [r9]\n"
                                 "next:   addi r6, r6, -1\n"
                                 "        cmpi r6, 0\n"
                                 "        bne loop\n"
                                 "        li r5, 0\n"
                                 "        out r5, [0xf0]\n";

static sim_machine_t m;

typedef struct {
    unsigned checks;
    char first[240]; /* the first broken invariant, "" while none */
} checked_t;

static void check_after_exit(hv_t *hv, int vm, void *ctx)
{
    (void)vm;
    checked_t *c = ctx;
    char why[200];
    c->checks++;
    if (!c->first[0] && hv_check_invariants(hv, why, sizeof why))
        snprintf(c->first, sizeof c->first, "after exit %u: %.200s", c->checks, why);
}

static void random_run(hv_replacement_t policy, unsigned seed)
{
    hv_config_t cfg = hu_config();
    cfg.host_memory = 56 * MMU_PAGE_SIZE; /* two VMs of 49 pages each: both swap */
    cfg.replacement = policy;
    cfg.sharing = true;
    cfg.share_pages = 16;
    cfg.share_period = 20000;
    hv_t *hv = hu_machine(&m, 2, &cfg);
    checked_t c = {0};
    hv->test_hook = check_after_exit;
    hv->test_hook_ctx = &c;
    char src[sizeof walker_fmt + 16];
    int vm[2];
    for (unsigned i = 0; i < 2; i++) {
        snprintf(src, sizeof src, walker_fmt, seed + i);
        hv_vm_config_t vc = {.memory = 2u << 20, .resident_max = 32 * MMU_PAGE_SIZE, .pin = {-1}};
        vm[i] = hu_vm(hv, i ? "b" : "a", src, &vc);
    }
    sim_run_result_t res = hv_run(hv, 200000000);
    cr_assert_eq(res, SIM_RUN_POWEROFF, "seed %u: %s %s (%s), %s %s (%s), run result %d", seed,
                 hv->vms[vm[0]].name, hv_vm_state_name(hv->vms[vm[0]].state), hv->vms[vm[0]].why,
                 hv->vms[vm[1]].name, hv_vm_state_name(hv->vms[vm[1]].state), hv->vms[vm[1]].why,
                 (int)res);
    cr_expect_str_eq(c.first, "", "seed %u", seed);
    cr_expect_gt(c.checks, 100, "checked after every exit: %u", c.checks);
    uint64_t outs = 0, shares = 0, cows = 0;
    for (unsigned i = 0; i < 2; i++) {
        const hv_vm_t *v = &hv->vms[vm[i]];
        cr_expect_eq(v->exit_code, 0);
        outs += v->stats.swap_outs;
        shares += v->stats.shares;
        cows += v->stats.cow_breaks;
    }
    cr_expect(outs && shares && cows, "the run swapped (%llu), shared (%llu) and broke (%llu)",
              (unsigned long long)outs, (unsigned long long)shares, (unsigned long long)cows);
    char why[200];
    cr_expect_null(hv_check_invariants(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}

Test(hv_memcheck, invariants_after_every_exit_clock, .timeout = 120)
{
    for (unsigned seed = 1; seed <= 3; seed++)
        random_run(HV_REPLACE_CLOCK, seed * 7919);
}

Test(hv_memcheck, invariants_after_every_exit_random, .timeout = 120)
{
    for (unsigned seed = 1; seed <= 3; seed++)
        random_run(HV_REPLACE_RANDOM, seed * 104729);
}
