/*
 * test_hv_break.c - the isolation checker catches a broken hypervisor. Through the
 * hypervisor's test hook (tests/support/hv_break.h), each break is made while two VMs run: a
 * victim's frame mapped into the attacker, a hypervisor frame mapped into it, a stale TLB entry
 * of the attacker's mapping a victim's frame. hv_check_invariants must name each (and nothing
 * when the hook breaks nothing), under every technique pair; and the fuzz harness's check
 * (fuzz_cpu, fuzz_fail) must fire on each under every pair and both hypervisor types.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hypervisor/hv_technique.h"
#include "../support/harness.h"
#include "../support/hv_break.h"
#include "hv_util.h"

/* The attacker touches its data page once, then writes to the console for ever; the victim
 * prints a line and powers off. */
static const char attacker[] = ".org 0x1000\n"
                               "        li r3, 0x2000\n        ld r2, [r3]\n"
                               "loop:   li r1, 'a'\n        out r1, [0x3f8]\n        b loop\n";
static const char victim[] = ".org 0x1000\n"
                             "        li r1, 'v'\n        out r1, [0x3f8]\n"
                             "        li r1, 10\n        out r1, [0x3f8]\n"
                             "spin:   li r2, 2000\nwait:   addi r2, r2, -1\n        cmpi r2, 0\n"
                             "        bgt wait\n        b spin\n";

typedef struct {
    unsigned cpu, mem;
} pair_t;

static unsigned pairs(pair_t *out)
{
    unsigned n = 0;
    for (unsigned c = 0; c < HV_CPU_TECHNIQUE_COUNT; c++)
        for (unsigned m = 0; m < HV_MEM_TECHNIQUE_COUNT; m++)
            if (!hv_technique_refusal(c, m))
                out[n++] = (pair_t){c, m};
    return n;
}

/* Runs attacker (under pair p) beside the victim (hw, nested), with `what` broken (or nothing
 * when what == HV_BREAK_COUNT); returns what the checker says ("" for nothing) and, in want,
 * the sentence the break must give. */
static void run_broken(const pair_t *p, int what, char *said, char *want, size_t len)
{
    static sim_machine_t m;
    hv_config_t cfg = hu_config();
    hv_t *hv = hu_machine(&m, 2, &cfg);
    hv_vm_config_t plain = {.cpu = HV_CPU_HW, .mem = HV_MEM_NESTED, .pin = {1, -1, -1, -1}};
    hv_vm_config_t tech = {.cpu = p->cpu, .mem = p->mem, .pin = {0, -1, -1, -1}};
    int v = hu_vm(hv, "victim", victim, &plain);
    int a = hu_vm(hv, "attacker", attacker, &tech);
    static hv_break_ctx_t broken;
    broken = (hv_break_ctx_t){.what = (hv_break_t)what, .attacker = a, .victim = v};
    if (what < HV_BREAK_COUNT)
        hv_break_install(hv, &broken);
    hv_run(hv, 300000);
    const char *why = hv_check_invariants(hv, said, len);
    if (!why)
        said[0] = '\0';
    want[0] = '\0';
    if (what < HV_BREAK_COUNT) {
        cr_assert_neq(broken.frame, 0, "%s: the break was made", hv_break_name(what));
        hv_break_sentence(hv, &broken, want, len);
    }
    hu_free(hv, &m);
}

Test(hv_break, the_checker_names_every_break_under_every_pair, .timeout = 120)
{
#ifdef HV_CHECK_ALWAYS
    /* The sanitizer build checks after every exit and stops the run at the break itself:
     * the fuzz-harness test below sees that stop, with the same sentence. */
    cr_skip_test("make asan: the run stops at the break (see the_fuzz_harness_fails_...)");
#endif
    pair_t p[HV_CPU_TECHNIQUE_COUNT * HV_MEM_TECHNIQUE_COUNT];
    unsigned n = pairs(p);
    cr_assert_eq(n, 7);
    for (unsigned i = 0; i < n; i++) {
        const char *pair = hv_cpu_technique_name(p[i].cpu), *mem = hv_mem_technique_name(p[i].mem);
        char said[256], want[256];
        run_broken(&p[i], HV_BREAK_COUNT, said, want, sizeof said);
        cr_expect_str_eq(said, "", "%s/%s unbroken: %s", pair, mem, said);
        for (int what = 0; what < HV_BREAK_COUNT; what++) {
            run_broken(&p[i], what, said, want, sizeof said);
            cr_expect_str_eq(said, want, "%s/%s, %s", pair, mem, hv_break_name(what));
        }
    }
}

/* The fuzz harness's own check fires too: fuzz_cpu, replaying one input (the attacker) with a
 * break, aborts with the checker's sentence, under every pair and both hypervisor types. */
Test(hv_break, the_fuzz_harness_fails_on_every_break, .timeout = 240)
{
    char dir[] = "/tmp/hvsim-break-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_string("attacker.s", attacker, stderr, &res), 0);
    unsigned setups = 2 * pairs((pair_t[HV_CPU_TECHNIQUE_COUNT *HV_MEM_TECHNIQUE_COUNT]){{0}});
    for (unsigned pick = 2; pick < 2 + setups; pick++) {
        char path[64];
        snprintf(path, sizeof path, "%s/in-%u", dir, pick);
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        fputc((int)pick, f);
        fwrite(res.bytes, 1, res.size, f);
        fclose(f);
        for (int what = 0; what < HV_BREAK_COUNT; what++) {
            char cmd[256];
            int status;
            snprintf(cmd, sizeof cmd,
                     "HVSIM_FUZZ_BREAK=%s $B/fuzz-replay/fuzz_cpu %s; echo \"exit $?\"",
                     hv_break_name(what), path);
            char *out = th_sh(cmd, true, &status);
            const char *want = what == HV_BREAK_STALE_TLB ? "which is neither the VM's nor its"
                                                          : "which it does not own";
            /* (The shell says how it ended: the harness is killed, not the test's shell.) */
            cr_expect(strstr(out, "\nexit 134\n"), "setup %u, %s: the harness did not abort: %s",
                      pick, hv_break_name(what), out);
            /* fuzz_fail's report, or (make asan) the check after every exit stopping the run */
            cr_expect((strstr(out, "fuzz: type ") || strstr(out, "isolation broken after")) &&
                          strstr(out, want) && strstr(out, "VM attacker"),
                      "setup %u, %s: %s", pick, hv_break_name(what), out);
            free(out);
        }
        remove(path);
    }
    cpu_asm_free(&res);
    rmdir(dir);
}
