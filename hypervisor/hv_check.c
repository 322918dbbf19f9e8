/*
 * hv_check.c - the hypervisor's isolation invariants (hv_check_invariants), checked by tests,
 * by the fuzz harnesses and, in the sanitizer build, after every VM exit and hub event: no
 * host frame reachable from two VMs, nothing of the hypervisor's reachable from a guest, the
 * monitor's pages out of a guest's reach, no TLB entry outliving what the architecture says
 * removes it, a frame pool whose accounting adds up (docs/fuzzing.md), and with two hosts no
 * VM reaching a frame of the other host's RAM (hv_host.c).
 */
#include <stdio.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"
/* A leaf that maps nothing: a swap entry must name a slot of the VM's own; swap and balloon
 * entries are counted for their checks (hv_swap_check, hv_balloon_check). */
static const char *count_leaf(const hv_t *hv, unsigned vm, uint32_t pte, hv_tree_count_t *count,
                              char *buf, size_t len)
{
    if (hv_swap_entry(pte)) {
        uint32_t slot = MMU_PTE_PFN(pte);
        if (slot >= hv->swap_slots || hv->swap_owner[slot] != HV_FRAME_VM(vm)) {
            snprintf(buf, len, "VM %s: a nested entry names swap slot %u, which is not its own",
                     hv->vms[vm].name, slot);
            return buf;
        }
        count->swap_entries++;
    } else if (hv_balloon_entry(pte)) {
        count->balloon_entries++;
    }
    return NULL;
}

/* One walk of a VM's nested tree: every table a hypervisor frame, every frame mapped the VM's
 * own (or shared read-only), and the leaves that map nothing counted. */
static const char *check_tree(hv_t *hv, unsigned vm, uint32_t table, unsigned level,
                              hv_tree_count_t *count, char *buf, size_t len)
{
    uint32_t tf = table >> MMU_PAGE_SHIFT;
    if (tf >= hv->nframes || hv->owner[tf] != HV_FRAME_HV) {
        snprintf(buf, len, "VM %s: a nested table at 0x%08x is not a hypervisor frame",
                 hv->vms[vm].name, table);
        return buf;
    }
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
        uint32_t pte;
        memcpy(&pte, hv->m->ram + table + 4 * i, 4);
        if (!(pte & MMU_PTE_V)) {
            if (level == 0 && pte && count_leaf(hv, vm, pte, count, buf, len))
                return buf;
            continue;
        }
        uint32_t f = MMU_PTE_PFN(pte);
        bool large = level == 1 && (pte & MMU_PTE_S);
        if (level > 0 && !large) {
            if (check_tree(hv, vm, f << MMU_PAGE_SHIFT, level - 1, count, buf, len))
                return buf;
            continue;
        }
        if (!large && f < hv->nframes && hv->owner[f] == HV_FRAME_SHARED) {
            if (pte & MMU_PTE_W) {
                snprintf(buf, len, "VM %s: its nested tables map shared frame 0x%05x writable",
                         hv->vms[vm].name, f);
                return buf;
            }
            continue; /* shared read-only (hv_share.c counts who maps it) */
        }
        for (uint32_t k = f; k < f + (large ? hv_large_frames(hv) : 1); k++)
            if (k >= hv->nframes || hv->owner[k] != HV_FRAME_VM(vm) ||
                (k << MMU_PAGE_SHIFT) < HV_RESERVED_BYTES) {
                snprintf(buf, len,
                         "VM %s: its nested tables map frame 0x%05x, which it does not own",
                         hv->vms[vm].name, k);
                return buf;
            }
    }
    return NULL;
}

/* The host frame pool adds up: every frame a VM owns is counted in its `frames`, no frame
 * belongs to a VM slot that is not in use, the hypervisor's image is the hypervisor's. */
static const char *check_pool(const hv_t *hv, char *buf, size_t len)
{
    uint32_t owned[HV_MAX_VMS] = {0};
    for (uint32_t f = 0; f < hv->nframes; f++) {
        uint8_t o = hv->owner[f];
        if ((f << MMU_PAGE_SHIFT) < HV_RESERVED_BYTES && o != HV_FRAME_HV) {
            snprintf(buf, len, "frame 0x%05x of the hypervisor's image is not the hypervisor's", f);
            return buf;
        }
        if (o < HV_FRAME_VM(0) || o == HV_FRAME_SHARED)
            continue;
        if (o >= HV_FRAME_VM(HV_MAX_VMS) || !hv->vms[o - HV_FRAME_VM(0)].used) {
            snprintf(buf, len, "frame 0x%05x belongs to VM slot %d, which is not in use", f,
                     o - HV_FRAME_VM(0));
            return buf;
        }
        owned[o - HV_FRAME_VM(0)]++;
    }
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++)
        if (hv->vms[vm].used && owned[vm] != hv->vms[vm].frames) {
            snprintf(buf, len, "VM %s owns %u frames, but its count says %u", hv->vms[vm].name,
                     owned[vm], hv->vms[vm].frames);
            return buf;
        }
    return NULL;
}

/* The monitor's page of a bt VCPU that holds frame f: 1 for translated code (which guest
 * code must not write), 2 for the other pages (its state, its jump sites, the map), 0: not
 * one. */
static int monitor_page(const hv_vcpu_t *v, uint32_t f)
{
    for (unsigned p = 0; p < HV_BT_TC_PAGES; p++) {
        if (v->bt.tc[p] && v->bt.tc[p] >> MMU_PAGE_SHIFT == f)
            return 1;
        if (v->bt.aux[p] && v->bt.aux[p] >> MMU_PAGE_SHIFT == f)
            return 2;
    }
    return (v->bt.state && v->bt.state >> MMU_PAGE_SHIFT == f) ||
                   (v->bt.sites && v->bt.sites >> MMU_PAGE_SHIFT == f)
               ? 2
               : 0;
}

/* What the TLBs hold: an entry of a VM maps a frame of that VM, or one of its monitor's pages
 * (translated code never writable); a VM that stopped has no entry left. (With one TLB tag
 * for every VM, entries do not say their VM: nothing to check.) */
static const char *check_tlbs(const hv_t *hv, char *buf, size_t len)
{
    for (unsigned c = 0; c < hv->m->ncpus && !hv->cfg.untagged_tlb; c++) {
        const mmu_tlb_t *t = &hv->m->cpu[c].mmu.tlb;
        for (unsigned i = 0; i < t->entries; i++) {
            const mmu_tlb_entry_t *e = &t->e[i];
            uint32_t vmid = MMU_TAG_VMID(e->tag);
            if (!(e->perm & MMU_TLBE_VALID) || vmid == 0 || vmid > HV_MAX_VMS)
                continue;
            const hv_vm_t *v = &hv->vms[vmid - 1];
            if (!v->used)
                continue;
            if (v->state == HV_VM_OFF || v->state == HV_VM_CRASHED) {
                snprintf(buf, len, "VM %s stopped, but pCPU%u's TLB still maps its page 0x%05x",
                         v->name, c, e->vpn);
                return buf;
            }
            if (e->pfn < hv->nframes && hv->owner[e->pfn] == HV_FRAME_VM(vmid - 1))
                continue;
            if (e->pfn < hv->nframes && hv->owner[e->pfn] == HV_FRAME_SHARED &&
                !(e->perm & MMU_PTE_W))
                continue; /* a shared frame, read-only */
            int kind = 0;
            for (unsigned k = 0; k < v->nvcpus && !kind && v->cpu == HV_CPU_BT; k++)
                kind = monitor_page(&hv->ent[v->vcpu[k]], e->pfn);
            if (kind == 0 || (kind == 1 && (e->perm & MMU_PTE_W))) {
                snprintf(buf, len, "pCPU%u's TLB maps page 0x%05x of VM %s to frame 0x%05x, %s", c,
                         e->vpn, v->name, e->pfn,
                         kind ? "the monitor's translated code, writable"
                              : "which is neither the VM's nor its monitor's");
                return buf;
            }
        }
    }
    return NULL;
}

const char *hv_check_invariants(hv_t *hv, char *buf, size_t len)
{
    if (check_pool(hv, buf, len) || check_tlbs(hv, buf, len))
        return buf;
    hv_tree_count_t count[HV_MAX_VMS] = {{0}};
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        if (!v->used)
            continue;
        if (check_tree(hv, vm, v->nested_root, hv->m->mmu_config.nested_levels - 1, &count[vm],
                       buf, len) ||
            hv_shadow_check(hv, vm, buf, len) || hv_host_check(hv, vm, buf, len))
            return buf;
        if (v->shadow_tables > v->shadow_budget) {
            snprintf(buf, len, "VM %s holds %u shadow tables, over its budget of %u", v->name,
                     v->shadow_tables, v->shadow_budget);
            return buf;
        }
        for (unsigned i = 0; i < v->nvcpus; i++)
            if (hv->owner[hv->ent[v->vcpu[i]].vmcb >> MMU_PAGE_SHIFT] != HV_FRAME_HV) {
                snprintf(buf, len, "VM %s: vcpu%u's VMCB is not a hypervisor frame", v->name, i);
                return buf;
            }
    }
    if (hv_swap_check(hv, count, buf, len) || hv_share_check(hv, buf, len) ||
        hv_balloon_check(hv, count, buf, len))
        return buf;
    return NULL;
}
