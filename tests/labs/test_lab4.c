/*
 * test_lab4.c - lab 4, nested paging (labs/04-nested): the adversary guest (it sweeps all of
 * guest-physical memory, writes wild page tables, pokes MMIO where no device is) with
 * isolation checked all along; memory given page by page and never beyond the VM's size. The
 * hypervisor's suites grade the rest; labs/04-nested/lab.ini gives the points.
 */
#include <criterion/criterion.h>

#include "lab_util.h"

Test(lab4, isolation_holds_beside_the_adversary, .timeout = 60)
{
    lu_isolation_all_along("isolation");
}

/* A guest that touches every page of its 1 MiB and one beyond: each page is backed once, on its
 * first touch; the one beyond is a bus error its kernel sees; never more frames than pages. */
Test(lab4, memory_is_backed_on_first_touch_and_never_beyond, .timeout = 20)
{
    static sim_machine_t m;
    hv_t *hv;
    const char *src = ".org 0x1000\nla r1, fault\ncsrw tvec, r1\nli r8, 0\n"
                      "lui r1, 0x2\nlui r2, 0x10\n" /* 0x20000 .. 0x100000 */
                      "loop: st r1, [r1]\nld r3, [r1]\ncmp r3, r1\nbne bad\n"
                      "addi r1, r1, 4096\ncmp r1, r2\nbltu loop\n"
                      "ld r3, [r2]\nbad: li r10, 2\nout r0, [0xf0]\n"
                      "fault: csrr r4, cause\nli r10, 1\nout r0, [0xf0]\n";
    int vm = lu_run_guest(&m, &hv, src, HV_CPU_HW, HV_MEM_NESTED);
    cr_expect_eq(lu_reg(hv, vm, 10), 1,
                 "the load beyond the VM's memory must be the guest's fault");
    cr_expect_eq(lu_reg(hv, vm, 4), CPU_CAUSE_BUS_ERROR, "a bus error, as on bare hardware");
    cr_expect_leq(hv->vms[vm].frames, hv->vms[vm].memory / 4096, "never more frames than pages");
    cr_expect_geq(hv->vms[vm].stats.frames_mapped, (0x100000 - 0x20000) / 4096,
                  "every page touched was backed");
    cr_expect_geq(hv->vms[vm].stats.exits[CPU_EXIT_NESTED_FAULT], (0x100000 - 0x20000) / 4096,
                  "each on its first touch, by a nested fault");
    char why[200];
    cr_expect_null(lu_isolation(hv, why, sizeof why), "%s", why);
    hu_free(hv, &m);
}
