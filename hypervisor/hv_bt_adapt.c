/*
 * hv_bt_adapt.c - adaptive binary translation (cpu = bt with shadow_sync = trace): a store
 * that keeps trapping into the monitor is translated again so that it no longer traps.
 *
 * Lecture idea: with write-protect traces (hv_shadow_trace.c) every guest store to a page
 * table faults, and the monitor performs it and updates the shadows. A binary translator
 * knows which instruction faulted, and it owns that instruction's translation: VMware's
 * translated such an instruction again once it had seen it trap, into code that does the
 * trace's work in the translation cache, with no trap at all (Adams and Agesen, ASPLOS 2006,
 * section 3.3, "adaptive binary translation"; their BT's PTE write cost 391 cycles on the
 * Pentium 4, where `rdtsc` by a trap into the same monitor cost 2 030). Hardware assist cannot
 * do this: every such store stays a VM exit.
 *
 * Here the monitor counts the traps of each store site (the store's guest pc) on traced
 * pages. At the site's bt_adapt_traps-th trap (a cost-table entry: docs/cycle-model.md) the
 * site is marked adapted and every block of the VCPU's translation cache that holds it is
 * translated again (the old translation's first word becomes a branch to the new one, so what
 * was chained to it follows). The translator turns the adapted site into its sequence
 * (hv_bt_translate.c): the monitor's marker word, then the guest's store word, which
 * the sequence performs through the guest's own tables, and the shadows drop what stood for
 * the entry it changed. The sequence is charged bt_adapted_store (its own instructions), plus
 * the words it reads and writes (the guest's tables, the store, the shadow entries), but no
 * trap: the guest goes on at the next TC word. A store of the site that turns out to reach an
 * ordinary page is done the same way (the sequence cannot know before it looks); one the
 * guest's tables refuse is the guest's own fault, at the site.
 *
 * In the simulator the sequence is carried out by the monitor's C code when the CPU reaches
 * the marker, so the event stream shows it as an entry of the monitor (a call); what it costs
 * is the sequence's entry, not bt_callout or bt_monitor_trap, and `--stats` counts it apart
 * ("adapted stores").
 */
#include "hv_bt_internal.h"

/* A plain store the translator copies as it is (st, sth, stb: the stores that write page
 * tables; push and pushf write stacks). */
static bool adaptable_store(uint32_t word)
{
    cpu_insn_t i;
    return cpu_decode(word, &i) && (i.op == CPU_OP_ST || i.op == CPU_OP_STH || i.op == CPU_OP_STB);
}

static hv_bt_store_site_t *find_site(hv_bt_adapt_t *a, uint32_t gva)
{
    for (unsigned s = 0; s < a->nsites; s++)
        if (a->site[s].gva == gva)
            return &a->site[s];
    return NULL;
}

bool hv_bt_site_adapted(const hv_t *hv, unsigned vm, uint32_t gva)
{
    const hv_bt_adapt_t *a = &hv->vms[vm].bt_adapt;
    for (unsigned s = 0; s < a->nsites; s++)
        if (a->site[s].gva == gva)
            return a->site[s].adapted;
    return false;
}

bool hv_bt_adapted_site(const hv_t *hv, unsigned vm, uint32_t gva, uint32_t word)
{
    return hv_bt_site_adapted(hv, vm, gva) && adaptable_store(word);
}

bool hv_bt_adapt_count(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word)
{
    hv_bt_adapt_t *a = &hv->vms[v->vm].bt_adapt;
    uint32_t n = hv->m->costs.c[SIM_COST_bt_adapt_traps];
    if (!n || !adaptable_store(word) || hv_bt_tc_kind(hv, v, v->bt.resume_tc) != W_INSN)
        return false;
    hv_bt_store_site_t *s = find_site(a, gva);
    if (!s && a->nsites == HV_BT_STORE_SITES)
        return false; /* the record is full: later sites keep trapping */
    if (!s)
        s = &a->site[a->nsites++], *s = (hv_bt_store_site_t){.gva = gva};
    if (s->adapted)
        return true; /* another VCPU adapted it: this one's TC still traps there */
    if (++s->traps < n && s->traps < UINT16_MAX) /* (a threshold past the counter's range
                                                    adapts at its end) */
        return false;
    s->adapted = 1;
    hv_bt_stats(hv, v)->adaptations++;
    hv_action(hv, v, SIM_HV_BT_ADAPT, gva, s->traps);
    return true;
}

uint32_t hv_bt_adapted_store(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word, uint32_t *tval,
                             bool *code_written)
{
    uint32_t gpa;
    hv_charge(hv, SIM_COST_bt_adapted_store);
    uint32_t cause = hv_bt_emulate_access(hv, v, word, tval, &gpa, code_written);
    if (cause)
        return cause;
    hv_bt_stats(hv, v)->adapted_stores++;
    hv_action(hv, v, SIM_HV_BT_ADAPTED_STORE, gva, gpa);
    if (gpa != HV_BT_NO_GPA && hv_shadow_trace_stored(hv, v, gpa))
        hv_bt_stats(hv, v)->adapted_traced++;
    return 0;
}
