/*
 * hv_lab.c - what a lab's handout runs in place of a solution it has not written yet.
 *
 * The graded labs (labs/, docs/labs.md) are marked regions of the real hypervisor: between
 * `LAB n BEGIN` and `LAB n END` comments. `make handout LAB=n` replaces each region of lab n
 * with its stub, and the stubs call hv_lab_missing: the VM that reaches the missing code stops
 * with a sentence naming the lab and the function, instead of running on with a half-built
 * hypervisor and failing somewhere far away. The first such stop of a process is also said on
 * stderr, where the grader (labs/grader) finds it and shows it beside the failed test. The
 * reference tree never calls it.
 */
#include "hv_internal.h"

bool hv_lab_missing(hv_t *hv, const hv_vcpu_t *v, unsigned lab, const char *what)
{
    char why[160];
    snprintf(why, sizeof why, "LAB %u: %s is not written yet (see the lab's README.md)", lab, what);
    static bool said; /* once per process: a test's report needs it once */
    if (!said)
        fprintf(stderr, "hvsim: %s\n", why);
    said = true;
    if (v->vm >= 0)
        hv_vm_crash(hv, (unsigned)v->vm, why);
    return false;
}
