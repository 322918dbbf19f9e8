/*
 * hv_break.c - a deliberately broken hypervisor (see hv_break.h).
 */
#include <stdio.h>
#include <string.h>

#include "hv_break.h"

#define BREAK_GPA 0x1000u /* both VMs' code page */
#define STALE_VPN 0x3f5u  /* a page neither VM uses, in a TLB set of its own */

static const char *const names[HV_BREAK_COUNT] = {
#define HV_X_BREAK(name, str, doc) str,
    HV_BREAKS(HV_X_BREAK)
#undef HV_X_BREAK
};

const char *hv_break_name(hv_break_t what)
{
    return what < HV_BREAK_COUNT ? names[what] : "?";
}

int hv_break_by_name(const char *name)
{
    for (int i = 0; i < HV_BREAK_COUNT; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* The host address of VM vm's nested leaf for gpa, walked the way the MMU walks (0: none). */
static uint32_t nested_leaf(const hv_t *hv, int vm, uint32_t gpa)
{
    unsigned levels = hv->m->mmu_config.nested_levels;
    uint32_t table = hv->vms[vm].nested_root;
    for (int level = (int)levels - 1; level >= 0; level--) {
        uint32_t at = table + mmu_table_index(levels, (unsigned)level, gpa) * 4, pte;
        memcpy(&pte, hv->m->ram + at, 4);
        if (!(pte & MMU_PTE_V))
            return 0;
        if (level == 0)
            return at;
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    return 0;
}

static uint32_t leaf_frame(const hv_t *hv, uint32_t leaf)
{
    uint32_t pte;
    memcpy(&pte, hv->m->ram + leaf, 4);
    return MMU_PTE_PFN(pte);
}

/* Points the attacker's leaf for BREAK_GPA at `frame`, keeping its permissions. */
static void remap(hv_t *hv, uint32_t leaf, uint32_t frame)
{
    uint32_t pte;
    memcpy(&pte, hv->m->ram + leaf, 4);
    pte = MMU_PTE_MAKE(frame, pte & ((1u << MMU_PAGE_SHIFT) - 1));
    memcpy(hv->m->ram + leaf, &pte, 4);
}

static void hook(hv_t *hv, int vm, void *p)
{
    hv_break_ctx_t *ctx = p;
    uint32_t mine = nested_leaf(hv, ctx->attacker, BREAK_GPA);
    uint32_t theirs = nested_leaf(hv, ctx->victim, BREAK_GPA);
    if (vm != ctx->attacker || !mine || !theirs)
        return;
    switch (ctx->what) {
    case HV_BREAK_SHARED_FRAME:
        ctx->frame = leaf_frame(hv, theirs);
        remap(hv, mine, ctx->frame);
        break;
    case HV_BREAK_HV_FRAME:
        ctx->frame = hv_vcpu_vmcb(hv, (unsigned)ctx->victim, 0) >> MMU_PAGE_SHIFT;
        remap(hv, mine, ctx->frame);
        break;
    case HV_BREAK_STALE_TLB: { /* again at every exit: the guest may flush its own */
        ctx->frame = leaf_frame(hv, theirs);
        ctx->cpu = hv->cur ? hv->cur->s.id : 0;
        mmu_tlb_entry_t e = {.vpn = STALE_VPN,
                             .pfn = ctx->frame,
                             .tag = MMU_TAG(hv->vms[ctx->attacker].vmid, true, 0),
                             .perm = MMU_TLBE_VALID | MMU_PTE_R};
        mmu_tlb_insert(&hv->m->cpu[ctx->cpu].mmu, &e);
        break;
    }
    default: break;
    }
}

void hv_break_install(hv_t *hv, hv_break_ctx_t *ctx)
{
    ctx->frame = 0;
    hv->test_hook = hook;
    hv->test_hook_ctx = ctx;
}

const char *hv_break_sentence(const hv_t *hv, const hv_break_ctx_t *ctx, char *buf, size_t len)
{
    const char *name = hv->vms[ctx->attacker].name;
    if (ctx->what == HV_BREAK_STALE_TLB)
        snprintf(buf, len,
                 "pCPU%u's TLB maps page 0x%05x of VM %s to frame 0x%05x, which is neither the "
                 "VM's nor its monitor's",
                 ctx->cpu, STALE_VPN, name, ctx->frame);
    else
        snprintf(buf, len, "VM %s: its nested tables map frame 0x%05x, which it does not own", name,
                 ctx->frame);
    return buf;
}
