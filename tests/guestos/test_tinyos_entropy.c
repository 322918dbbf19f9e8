/*
 * test_tinyos_entropy.c - the entropy source, a device no hardware has
 * (hypervisor/hv_entropy.c), its tinyos driver (guestos/tinyos/entropy.inc) and `dice`. The
 * built-in scenario `entropy` runs dice under every CPU technique: the same seed gives the same
 * rolls whatever the technique, another seed others, a VM without the source finds none; and
 * natively the driver finds no source (nothing answers at its port). Exact transcripts.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../hypervisor/hv_util.h"
#include "../support/harness.h"
#include "guest_util.h"

#define RAM (8u << 20)
#define MAX_CYCLES 100000000ull

/* A VM's console transcript ("" before its first byte). */
static const char *console_of(const hv_t *hv, int vm)
{
    const char *t = hv->vms[vm].dev.transcript.text;
    return t ? t : "";
}

static const char roll1[] =
    "dice: 1 4 1 4 6 4 5 3 (8 rolls from the hypervisor's entropy source)\n";
static const char roll2[] =
    "dice: 1 4 3 3 6 6 2 6 (8 rolls from the hypervisor's entropy source)\n";
static const char none[] = "dice: no entropy source (it is a hypervisor's device: entropy = on)\n";

/* The whole transcript of `entropy` (tests/data/guests/entropy.txt). */
Test(tinyos_entropy, scenario_exactly, .timeout = 120)
{
    gu_expect_transcript("entropy");
}

/* Under hw, trap and bt with the default seed the two rolls are the same words, 16 read; emu's seed
 * 7 gives others; `none` has no source. Each VM's console alone, in order. */
Test(tinyos_entropy, same_seed_same_rolls_under_every_technique, .timeout = 120)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, "entropy");
    hv_run(hv, sc.max_cycles);
    char want[512];
    const char *same[] = {"hw", "trap", "bt"};
    for (unsigned i = 0; i < 3; i++) {
        int vm = hv_vm_by_name(hv, same[i]);
        snprintf(want, sizeof want, "$ dice\n%s$ dice\n%s", roll1, roll2);
        cr_expect(strstr(console_of(hv, vm), want) != NULL, "%s:\n%s", same[i], console_of(hv, vm));
        cr_expect_eq(hv->vms[vm].dev.entropy.words, 16);
    }
    /* under hw each read is an IO_PORT exit; trap and bt emulate the `in` from a trap */
    cr_expect_eq(hv->vms[hv_vm_by_name(hv, "hw")].stats.io_exits[HV_IO_ENTROPY], 16);
    int emu = hv_vm_by_name(hv, "emu"), off = hv_vm_by_name(hv, "none");
    cr_expect(strstr(console_of(hv, emu),
                     "dice: 6 6 1 3 6 1 5 2 (8 rolls from the hypervisor's entropy source)\n") !=
              NULL);
    snprintf(want, sizeof want, "$ dice\n%s[shell] exit status 1\n$ dice\n%s", none, none);
    cr_expect(strstr(console_of(hv, off), want) != NULL, "%s", console_of(hv, off));
    cr_expect_eq(hv->vms[off].stats.io_exits[HV_IO_ENTROPY], 0);
    cr_expect_eq(hv->vms[off].dev.entropy.words, 0);
    hu_scenario_free(&sc, hv, &m);
}

/* Natively: the machine has no such device, and the driver does not touch its port. */
Test(tinyos_entropy, none_on_bare_hardware)
{
    static sim_machine_t m;
    cr_assert_eq(gu_boot(&m, "tinyos.img", RAM, "dice\npoweroff\n", MAX_CYCLES), SIM_RUN_POWEROFF,
                 "%s", sim_console_captured(&m));
    char want[256];
    snprintf(want, sizeof want, "$ dice\n%s[shell] exit status 1\n$ poweroff\n", none);
    cr_expect(strstr(sim_console_captured(&m), want) != NULL, "%s", sim_console_captured(&m));
    sim_machine_free(&m);
}

/* A bad scenario value names its file and line. */
Test(tinyos_entropy, a_bad_key_is_an_error)
{
    hu_expect_scenario_error("[vm a]\nkernel = x.s\nentropy = maybe\n", false,
                             "entropy = 'maybe': it must be on or off");
    hu_expect_scenario_error("[vm a]\nkernel = x.s\nentropy_seed = -1\n", false,
                             "entropy_seed = '-1': it must be a whole number");
}
