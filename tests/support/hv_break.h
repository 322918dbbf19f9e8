/*
 * hv_break.h - a deliberately broken hypervisor, for the tests that prove the isolation
 * checker (hv_check_invariants) and the fuzz harness's check catch what they promise to. A
 * break is made through the hypervisor's test hook (hv_t.test_hook), after an exit of the
 * attacking VM, while the machine runs: one of the attacker's nested entries is pointed at a
 * frame of the victim (a host frame in two VMs) or at a hypervisor frame (the victim's VMCB),
 * or a pCPU's TLB is given an entry of the attacker's that maps a victim's frame (a stale
 * translation that should have gone).
 */
#ifndef HVSIM_TEST_HV_BREAK_H
#define HVSIM_TEST_HV_BREAK_H

#include "../../hypervisor/hv.h"

#define HV_BREAKS(X)                                                                               \
    X(SHARED_FRAME, "shared-frame", "a victim's frame mapped into the attacker")                   \
    X(HV_FRAME, "hv-frame", "a hypervisor frame (the victim's VMCB) mapped into the attacker")     \
    X(STALE_TLB, "stale-tlb", "a TLB entry of the attacker's left mapping a victim's frame")

typedef enum {
#define HV_X_BREAK(name, str, doc) HV_BREAK_##name,
    HV_BREAKS(HV_X_BREAK)
#undef HV_X_BREAK
        HV_BREAK_COUNT
} hv_break_t;

typedef struct {
    hv_break_t what;
    int attacker, victim;
    uint32_t frame; /* the frame the break maps (0: not made yet) */
    unsigned cpu;   /* STALE_TLB: the pCPU whose TLB got the entry */
} hv_break_ctx_t;

const char *hv_break_name(hv_break_t what);
/* -1 for an unknown name. */
int hv_break_by_name(const char *name);
/* Breaks `ctx->what` at the attacker's exits from now on (gpa 0x1000 of both VMs must come to
 * be backed: both run code there). */
void hv_break_install(hv_t *hv, hv_break_ctx_t *ctx);
/* The sentence hv_check_invariants must give once the break is made, into buf. */
const char *hv_break_sentence(const hv_t *hv, const hv_break_ctx_t *ctx, char *buf, size_t len);

#endif
