/*
 * test_lab1.c - lab 1, trap-and-emulate (labs/01-trap): the graders beyond the hypervisor's own
 * suite. Random guest instruction streams in the guest's kernel and user modes (every
 * privileged instruction intercepted: emulated in virtual K, reflected from virtual U, each
 * checked by its own effect and counted exactly), the VCPU's registers and flags across every
 * exit, and tinyos running deprivileged. labs/01-trap/lab.ini gives the points.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../hypervisor/hv_technique.h"
#include "lab_util.h"

#define SEEDS 8

/* In virtual K every privileged instruction traps and is emulated: each has the effect it
 * has on bare hardware and is counted once as emulated. */
Test(lab1, kernel_streams_are_emulated, .timeout = 20)
{
    for (unsigned seed = 1; seed <= SEEDS; seed++) {
        static lu_stream_t s;
        static sim_machine_t m;
        hv_t *hv;
        lu_kernel_stream(&s, seed, 24, LU_PRIV);
        int vm = lu_run_stream(&m, &hv, &s, seed, HV_CPU_TRAP, HV_MEM_NESTED);
        for (unsigned op = 0; op < CPU_OP_COUNT; op++)
            cr_expect_eq(hv_trap_emulated(hv, (unsigned)vm, op), s.count[op],
                         "seed %u: %s emulated %u times, the stream has it %u times", seed,
                         cpu_isa[op].mnemonic, hv_trap_emulated(hv, (unsigned)vm, op), s.count[op]);
        hu_free(hv, &m);
    }
}

/* In virtual U the same instructions belong to the guest's kernel: each is reflected as its
 * privileged-instruction trap, exactly once. */
Test(lab1, user_streams_reach_the_guest_kernel, .timeout = 20)
{
    lu_user_streams(HV_CPU_TRAP, HV_MEM_NESTED, SEEDS);
}

Test(lab1, registers_survive_every_exit, .timeout = 20)
{
    lu_round_trip(HV_CPU_TRAP, HV_MEM_NESTED);
}

/* tinyos, paged and deprivileged (with shadow paging), prints what it prints natively. */
Test(lab1, tinyos_runs_deprivileged, .timeout = 60)
{
    hu_transcripts_equal_native("trap");
}
