/*
 * sim_costs.c - cost profiles: the cost table as one generation of hardware had it.
 *
 * The defaults of SIM_COSTS (sim.h) are calibrated to a 2011 Sandy Bridge. What changed most
 * between hardware generations is the price of a VM exit and of the VMM's VMREAD/VMWRITE:
 * Adams and Agesen (ASPLOS 2006) ran first-generation VT-x on a Pentium 4, whose exits cost
 * about five times today's, and that is much of why binary translation beat it. A profile is
 * the default table with the entries its generation changes; each figure and its source is in
 * docs/cycle-model.md ("Cost profiles"). Entry and exit are split as the cost table splits
 * them: the measured latency minus the VMCB words the hardware moves (81 on entry, 69 on
 * exit, `vmcb_word` each), so that a profile's round trip is the measured one.
 */
#include <string.h>

#include "sim.h"

typedef struct {
    sim_cost_t cost;
    uint32_t value;
} change_t;

#define MAX_CHANGES 8

static const struct {
    const char *name, *summary;
    change_t changes[MAX_CHANGES];
    size_t nchanges;
} profiles[] = {
    {"sandybridge-2011",
     "the default table: a 2011 Sandy Bridge (exit round trip ~800 cycles, Agesen et al. 2012)",
     {{0, 0}},
     0},
    {"core2-2007",
     "a 2007 Core 2 (Merom): entry 937, page-fault exit 1 186, VMREAD 52, VMWRITE 44 cycles",
     {{SIM_COST_vm_entry, 937 - 81 * 2},
      {SIM_COST_vm_exit, 1186 - 69 * 2},
      {SIM_COST_hv_vmcb_read, 52},
      {SIM_COST_hv_vmcb_write, 44}},
     4},
    {"p4-2006",
     "a 2006 Pentium 4 (Prescott), Adams and Agesen's: VT entry 2 409, page-fault exit 1 931, "
     "VMREAD 178, VMWRITE 171; BT callout 1 038, monitor trap 1 814 cycles",
     {{SIM_COST_vm_entry, 2409 - 81 * 2},
      {SIM_COST_vm_exit, 1931 - 69 * 2},
      {SIM_COST_hv_vmcb_read, 178},
      {SIM_COST_hv_vmcb_write, 171},
      {SIM_COST_bt_callout, 1254 - 216},
      {SIM_COST_bt_monitor_trap, 2030 - 216}},
     6},
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

/* The profile `hvsim --costs NAME` chose for every machine of the run; -1: none. */
static int chosen = -1;

size_t sim_cost_profile_count(void)
{
    return NPROFILES;
}

int sim_cost_profile_by_name(const char *name)
{
    for (size_t p = 0; p < NPROFILES; p++)
        if (strcmp(profiles[p].name, name) == 0)
            return (int)p;
    return -1;
}

const char *sim_cost_profile_name(size_t p)
{
    return p < NPROFILES ? profiles[p].name : NULL;
}

const char *sim_cost_profile_summary(size_t p)
{
    return p < NPROFILES ? profiles[p].summary : NULL;
}

size_t sim_cost_profile_changes(size_t p)
{
    return p < NPROFILES ? profiles[p].nchanges : 0;
}

sim_cost_t sim_cost_profile_change(size_t p, size_t i, uint32_t *value)
{
    SIM_ASSERT(p < NPROFILES && i < profiles[p].nchanges);
    *value = profiles[p].changes[i].value;
    return profiles[p].changes[i].cost;
}

void sim_costs_profile(sim_costs_t *costs, size_t p)
{
    sim_costs_default(costs);
    for (size_t i = 0; i < sim_cost_profile_changes(p); i++)
        costs->c[profiles[p].changes[i].cost] = profiles[p].changes[i].value;
}

void sim_cost_profile_choose(int p)
{
    chosen = p >= 0 && (size_t)p < NPROFILES ? p : -1;
}

int sim_cost_profile_chosen(void)
{
    return chosen;
}
