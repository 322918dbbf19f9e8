/*
 * test_lab2.c - lab 2, binary translation (labs/02-bt): random guest kernel streams with the
 * sensitive instructions that trap-and-emulate cannot see (pushf, popf, rdmode) beside the
 * privileged ones, under cpu = bt: each does what it does on bare hardware, every sensitive
 * instruction of the ISA table's classes is met and translated (inline or a callout, never
 * copied), and the registers and flags survive every callout. labs/02-bt/lab.ini gives the
 * points.
 */
#include <criterion/criterion.h>

#include "../../hypervisor/hv_technique.h"
#include "lab_util.h"

#define SEEDS 8

/* The sensitive instructions a stream met, and how many of them ran (each ran once: the
 * streams are straight-line code, translated once). */
static unsigned sensitive_in(const lu_stream_t *s, unsigned met[CPU_OP_COUNT])
{
    unsigned n = 0;
    for (unsigned op = 0; op < CPU_OP_COUNT; op++)
        if (cpu_isa[op].cls & CPU_CLASS_SENS) {
            met[op] += s->count[op];
            n += s->count[op];
        }
    return n;
}

Test(lab2, kernel_streams_are_translated, .timeout = 20)
{
    unsigned met[CPU_OP_COUNT] = {0};
    for (unsigned seed = 1; seed <= SEEDS; seed++) {
        static lu_stream_t s;
        static sim_machine_t m;
        hv_t *hv;
        lu_kernel_stream(&s, seed, 24, LU_PRIV | LU_SENS);
        int vm = lu_run_stream(&m, &hv, &s, seed, HV_CPU_BT, HV_MEM_SHADOW);
        unsigned sensitive = sensitive_in(&s, met);
        const hv_bt_stats_t *b = &hv->vms[vm].stats.bt;
        cr_expect_geq(b->insns_inline + b->insns_callout, sensitive,
                      "seed %u: %u sensitive instructions ran, only %llu were translated (inline "
                      "%llu, callouts %llu)",
                      seed, sensitive, (unsigned long long)(b->insns_inline + b->insns_callout),
                      (unsigned long long)b->insns_inline, (unsigned long long)b->insns_callout);
        hu_free(hv, &m);
    }
    /* Interception completeness against the ISA table: every sensitive instruction the
     * guest kernel can run without stopping (all but halt) was met by the streams. */
    for (unsigned op = 0; op < CPU_OP_COUNT; op++)
        if ((cpu_isa[op].cls & CPU_CLASS_SENS) && op != CPU_OP_HALT)
            cr_expect_gt(met[op], 0, "the streams never ran %s", cpu_isa[op].mnemonic);
}

Test(lab2, registers_survive_every_callout, .timeout = 20)
{
    lu_round_trip(HV_CPU_BT, HV_MEM_SHADOW);
}

/* The same streams on hardware assist (no translation): the baseline they are checked by. */
Test(lab2, kernel_streams_run_under_hardware_assist, .timeout = 20)
{
    for (unsigned seed = 1; seed <= SEEDS; seed++) {
        static lu_stream_t s;
        static sim_machine_t m;
        hv_t *hv;
        lu_kernel_stream(&s, seed, 24, LU_PRIV | LU_SENS);
        lu_run_stream(&m, &hv, &s, seed, HV_CPU_HW, HV_MEM_NESTED);
        hu_free(hv, &m);
    }
}

/* The guest's user mode runs untranslated: its privileged instructions still reach the guest's
 * (translated) kernel as privileged-instruction traps, each once. */
Test(lab2, user_streams_reach_the_translated_kernel, .timeout = 20)
{
    lu_user_streams(HV_CPU_BT, HV_MEM_SHADOW, SEEDS);
}
