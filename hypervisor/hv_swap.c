/*
 * hv_swap.c - memory overcommit: the hypervisor gives VMs more guest-physical memory than it
 * has host frames for, and swaps guest pages to a swap device of its own.
 *
 * Lecture idea: a hypervisor overcommits memory the way an OS overcommits it to processes.
 * Each VM sees `memory` bytes; it gets `resident_max` host frames at most, and all VMs
 * together `host_memory` at most. When a nested fault needs a frame beyond a limit, the
 * hypervisor picks a victim page, writes it to its swap device and makes its nested entry
 * invalid, with the swap slot kept in the entry's free bits (as an OS keeps a swap entry in a
 * non-present PTE). The guest's next touch of that page is a nested fault like a first touch,
 * and the hypervisor reads the page back in.
 *
 * What the hypervisor knows to choose its victim is only what hardware shows it: the A bit
 * the walker sets in a nested leaf when the guest uses the page (mmu_nested_t.ad, turned on
 * for these VMs through the VMCB). It does not know what the guest keeps in the page or how
 * the guest will use it: that is why it guesses worse than the guest's own replacement, and
 * why double paging happens.
 *
 * A nested entry of a swapped page:
 *
 *   31                          12 11  10  9  8         1  0
 *  +------------------------------+------+---+------------+---+
 *  |  swap slot                   |  0   | 1 |     0      | 0 |   V = 0: the MMU faults
 *  +------------------------------+------+---+------------+---+
 *                                         HV_NPTE_SWAPPED
 *
 * The swap device is a block device of the host with the disk model's timing (swap_latency +
 * swap_sector per sector, sim_disk_cycles). The pCPU whose nested fault needs the page waits
 * for it: the cycles are charged there (a simplification: a real hypervisor would run another
 * VCPU meanwhile).
 */
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"
#include "../sim/sim_snap.h"

#define HV_NPTE_SWAPPED 0x200u /* an invalid nested leaf whose PFN field is a swap slot */
#define PAGE_SECTORS (MMU_PAGE_SIZE / SIM_SECTOR_SIZE)

/* hv_replacement_name, hv_replacement_by_name */
HV_NAMES_OF(replacement, HV_REPLACEMENTS, HV_REPLACE_COUNT)

bool hv_swap_entry(uint32_t pte)
{
    return !(pte & MMU_PTE_V) && (pte & HV_NPTE_SWAPPED);
}

bool hv_swappable_kind(unsigned backing, unsigned cpu)
{
    /* nested or shadow paging alike: a shadow entry that maps a frame leaving the guest page is
     * dropped (hv_shadow_unmap_frame); bt's translation cache would keep code of a frame */
    return backing == HV_BACKING_LAZY && cpu != HV_CPU_BT;
}

bool hv_swappable(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    return v->used && hv_swappable_kind(v->backing, v->cpu);
}

bool hv_swap_on(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    return hv_swappable(hv, vm) && (hv->host_frames || v->resident_max < v->memory / MMU_PAGE_SIZE);
}

int hv_swap_init(hv_t *hv, char *err, size_t len)
{
    uint32_t pool = hv->nframes - HV_RESERVED_BYTES / MMU_PAGE_SIZE;
    if (hv->cfg.host_memory && hv->cfg.host_memory / MMU_PAGE_SIZE > pool) {
        snprintf(err, len,
                 "host_memory = %u KiB, but the frame pool has only %u KiB (raise "
                 "[machine] ram)",
                 hv->cfg.host_memory / 1024, pool * (MMU_PAGE_SIZE / 1024));
        return -1;
    }
    if (hv->cfg.replacement >= HV_REPLACE_COUNT) {
        snprintf(err, len, "unknown replacement policy");
        return -1;
    }
    if (!hv->cfg.swap_size)
        hv->cfg.swap_size = HV_DEFAULT_SWAP;
    hv->host_frames = hv->cfg.host_memory / MMU_PAGE_SIZE;
    hv->swap_slots = hv->cfg.swap_size / MMU_PAGE_SIZE;
    hv->swap_rng = 0x2545f491u; /* fixed: the same run swaps the same pages */
    if (!(hv->swap_owner = calloc(hv->swap_slots ? hv->swap_slots : 1, 1))) {
        snprintf(err, len, "out of host memory");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The swap device
 * ------------------------------------------------------------------------------------------ */
/* The pCPU waits for one page's command on the swap device. */
static void swap_wait(hv_t *hv, hv_vm_t *v)
{
    const uint32_t *c = hv->m->costs.c;
    hv_charge(hv, SIM_COST_swap_latency);
    for (unsigned s = 0; s < PAGE_SECTORS; s++)
        hv_charge(hv, SIM_COST_swap_sector);
    if (hv->cur)
        v->stats.swap_wait +=
            sim_disk_cycles(c[SIM_COST_swap_latency], c[SIM_COST_swap_sector], PAGE_SECTORS);
}

/* A free slot (its bytes present), or -1 when the device is full or memory cannot be had. The
 * device's bytes grow as slots are first used, so that a machine that never swaps holds none. */
static int64_t slot_alloc(hv_t *hv, unsigned vm)
{
    uint32_t slot = 0;
    while (slot < hv->swap_slots && hv->swap_owner[slot] != HV_FRAME_FREE)
        slot++;
    if (slot == hv->swap_slots)
        return -1;
    uint32_t have = hv->swap.sectors / PAGE_SECTORS;
    if (slot >= have) {
        uint32_t want = have ? have * 2 : 64;
        if (want > hv->swap_slots)
            want = hv->swap_slots;
        uint8_t *b = realloc(hv->swap.bytes, (size_t)want * MMU_PAGE_SIZE);
        if (!b)
            return -1;
        memset(b + (size_t)have * MMU_PAGE_SIZE, 0, (size_t)(want - have) * MMU_PAGE_SIZE);
        hv->swap.bytes = b;
        hv->swap.sectors = want * PAGE_SECTORS;
    }
    hv->swap_owner[slot] = (uint8_t)HV_FRAME_VM(vm);
    hv->swap_used++;
    return slot;
}

void hv_swap_discard(hv_t *hv, unsigned vm, uint32_t pte)
{
    uint32_t slot = MMU_PTE_PFN(pte);
    SIM_ASSERT(slot < hv->swap_slots && hv->swap_owner[slot] == HV_FRAME_VM(vm));
    hv->swap_owner[slot] = HV_FRAME_FREE;
    hv->swap_used--;
    hv->vms[vm].swapped--;
}

void hv_swap_release(hv_t *hv, unsigned vm)
{
    for (uint32_t s = 0; s < hv->swap_slots; s++)
        if (hv->swap_owner[s] == HV_FRAME_VM(vm)) {
            hv->swap_owner[s] = HV_FRAME_FREE;
            hv->swap_used--;
        }
}

/* ------------------------------------------------------------------------------------------
 * Page out and page in
 * ------------------------------------------------------------------------------------------ */
/* Every pCPU drops what it cached of VM v's nested map: the translations through a page that
 * left, and those whose A bit was cleared (so that the walker sets it again on the next use). */
static void shoot_down(hv_t *hv, const hv_vm_t *v)
{
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, v->vmid, 0, 0);
}

/* Writes the page at gpa (its nested leaf at `leaf`, valid) to a swap slot and gives its frame
 * back to the pool. False when the swap device is full. */
static bool page_out(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t leaf)
{
    hv_vm_t *v = &hv->vms[vm];
    int64_t slot = slot_alloc(hv, vm);
    if (slot < 0)
        return false;
    uint32_t frame = MMU_PTE_PFN(hv_read32(hv, leaf));
    hv_shadow_unmap_frame(hv, vm, frame << MMU_PAGE_SHIFT); /* shadow paging: no entry keeps it */
    memcpy(hv->swap.bytes + (size_t)slot * MMU_PAGE_SIZE,
           hv->m->ram + ((size_t)frame << MMU_PAGE_SHIFT), MMU_PAGE_SIZE);
    swap_wait(hv, v);
    hv->swap.writes++;
    hv->swap.sectors_written += PAGE_SECTORS;
    hv_write32(hv, leaf, MMU_PTE_MAKE((uint32_t)slot, HV_NPTE_SWAPPED));
    /* the frame leaves the VM: zeroed, as every frame that changes hands */
    memset(hv->m->ram + ((size_t)frame << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, frame << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
    hv->owner[frame] = HV_FRAME_FREE;
    v->frames--;
    v->swapped++;
    v->stats.swap_outs++;
    shoot_down(hv, v);
    hv_emit_more(hv, SIM_HV_SWAP_OUT, (int)vm, -1, gpa, (uint32_t)slot);
    return true;
}

void hv_swap_in(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t pte, uint32_t frame)
{
    hv_vm_t *v = &hv->vms[vm];
    uint32_t slot = MMU_PTE_PFN(pte);
    SIM_ASSERT(slot < hv->swap_slots && hv->swap_owner[slot] == HV_FRAME_VM(vm));
    memcpy(hv->m->ram + frame, hv->swap.bytes + (size_t)slot * MMU_PAGE_SIZE, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, frame, MMU_PAGE_SIZE);
    swap_wait(hv, v);
    hv->swap.reads++;
    hv->swap.sectors_read += PAGE_SECTORS;
    hv_swap_discard(hv, vm, pte);
    v->stats.swap_ins++;
    uint32_t doubled = v->gswap_writing ? SIM_HV_DOUBLE_PAGED : 0; /* for the guest's page-out */
    hv_emit_more(hv, SIM_HV_SWAP_IN, (int)vm, -1, (gpa & ~MMU_PAGE_OFFSET) | doubled, slot);
}

void hv_swap_note_use(hv_t *hv, unsigned vm, uint32_t gpa)
{
    bool mapped = false, large = false;
    if (!hv_swap_on(hv, vm) || hv->cfg.replacement != HV_REPLACE_CLOCK)
        return; /* (random looks at no A bit) */
    uint32_t leaf = hv_nested_leaf(hv, vm, gpa, false, &mapped, &large), pte;
    if (leaf && mapped && !large && !((pte = hv_read32(hv, leaf)) & MMU_PTE_A))
        hv_write32(hv, leaf, pte | MMU_PTE_A);
}

/* ------------------------------------------------------------------------------------------
 * Replacement: which page goes
 * ------------------------------------------------------------------------------------------ */
/* The nested leaf of page `page` of VM vm when it maps a 4 KiB frame the VM owns (a page the
 * hypervisor may swap), else 0. */
static uint32_t candidate(hv_t *hv, unsigned vm, uint32_t page, uint32_t *pte)
{
    bool mapped = false, large = false;
    uint32_t leaf = hv_nested_leaf(hv, vm, page << MMU_PAGE_SHIFT, false, &mapped, &large);
    if (!leaf || !mapped || large)
        return 0;
    *pte = hv_read32(hv, leaf);
    uint32_t f = MMU_PTE_PFN(*pte);
    return f < hv->nframes && hv->owner[f] == HV_FRAME_VM(vm) ? leaf : 0;
}

/* Clock: the hand sweeps the VM's pages in order. A page with A set was used since the hand
 * last passed: it gets a second chance (A cleared); the first page found with A clear goes.
 * Two sweeps always find one (the first clears every A). Returns the page, or -1. */
static int64_t pick_clock(hv_t *hv, unsigned vm)
{
    /* LAB 6 BEGIN: sweep from the hand: A set gets a second chance (cleared), A clear goes */
    hv_vm_t *v = &hv->vms[vm];
    uint32_t pages = v->memory / MMU_PAGE_SIZE;
    for (uint32_t step = 0; step <= 2 * pages; step++) {
        uint32_t page = v->clock_hand, pte;
        v->clock_hand = (v->clock_hand + 1) % pages;
        uint32_t leaf = candidate(hv, vm, page, &pte);
        if (!leaf)
            continue;
        if (!(pte & MMU_PTE_A))
            return page;
        hv_write32(hv, leaf, pte & ~MMU_PTE_A);
        v->stats.swap_second_chances++;
    }
    return -1;
    /* LAB 6 STUB: hv_lab_missing(hv, hv_vcpu_of(hv, vm, 0), 6, "pick_clock"); */
    /* LAB 6 STUB: return -1; */
    /* LAB 6 END */
}

/* Random: a page picked by the generator (xorshift32, seeded by the hypervisor), the next
 * swappable one from there; its A bit is not looked at. */
static int64_t pick_random(hv_t *hv, unsigned vm)
{
    uint32_t pages = hv->vms[vm].memory / MMU_PAGE_SIZE, x = hv->swap_rng, pte;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    hv->swap_rng = x;
    for (uint32_t k = 0; k < pages; k++) {
        uint32_t page = (x + k) % pages;
        if (candidate(hv, vm, page, &pte))
            return page;
    }
    return -1;
}

/* The VM that gives up a page: the one that needs a frame when it is at its own limit; else
 * (all VMs together are at host_memory) the swappable VM holding the most frames, of those
 * above their reservation (hv_reserve.c). */
static int victim_vm(hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    if (v->frames >= v->resident_max)
        return hv_swappable(hv, vm) ? (int)vm : -1;
    int best = -1;
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv_swappable(hv, i) && hv_reserve_may_reclaim(hv, i) &&
            (best < 0 || hv->vms[i].frames > hv->vms[best].frames))
            best = (int)i;
    return best;
}

/* The frames the VMs hold: their own, and the shared ones (host memory too). */
static uint32_t guest_frames(const hv_t *hv)
{
    uint32_t n = hv->share.live;
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        n += hv->vms[i].used ? hv->vms[i].frames : 0;
    return n;
}

static bool at_limit(const hv_t *hv, unsigned vm)
{
    return hv->vms[vm].frames >= hv->vms[vm].resident_max ||
           (hv->host_frames && guest_frames(hv) >= hv->host_frames);
}

bool hv_swap_make_room(hv_t *hv, unsigned vm)
{
    while (at_limit(hv, vm)) {
        int from = victim_vm(hv, vm);
        /* its own resident_max binds (not host_memory): counted for `info limits` */
        hv->vms[vm].stats.limit_swaps += hv->vms[vm].frames >= hv->vms[vm].resident_max;
        int64_t page = from < 0                                   ? -1
                       : hv->cfg.replacement == HV_REPLACE_RANDOM ? pick_random(hv, (unsigned)from)
                                                                  : pick_clock(hv, (unsigned)from);
        uint32_t pte, leaf = page < 0 ? 0 : candidate(hv, (unsigned)from, (uint32_t)page, &pte);
        if (!leaf || !page_out(hv, (unsigned)from, (uint32_t)page << MMU_PAGE_SHIFT, leaf)) {
            hv_vm_crash(hv, vm,
                        from < 0 ? "out of host memory: no page can be swapped out"
                                 : "out of host memory: the swap device is full");
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Invariants (hv_check.c calls this): read straight from RAM, charging nothing
 * ------------------------------------------------------------------------------------------ */
const char *hv_swap_check(const hv_t *hv, const hv_tree_count_t *count, char *buf, size_t len)
{
    uint32_t slots[HV_MAX_VMS] = {0}, used = 0, frames = hv->share.live;
    for (uint32_t s = 0; s < hv->swap_slots; s++) {
        uint8_t o = hv->swap_owner[s];
        if (o == HV_FRAME_FREE)
            continue;
        if (o < HV_FRAME_VM(0) || o >= HV_FRAME_VM(HV_MAX_VMS) ||
            !hv->vms[o - HV_FRAME_VM(0)].used) {
            snprintf(buf, len, "swap slot %u belongs to no VM in use", s);
            return buf;
        }
        slots[o - HV_FRAME_VM(0)]++;
        used++;
    }
    if (used != hv->swap_used) {
        snprintf(buf, len, "%u swap slots are in use, but the count says %u", used, hv->swap_used);
        return buf;
    }
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        uint32_t entries = count[vm].swap_entries;
        if (!v->used)
            continue;
        frames += v->frames;
        if (entries != v->swapped || slots[vm] != v->swapped) {
            snprintf(buf, len, "VM %s: %u swapped pages counted, %u nested swap entries, %u slots",
                     v->name, v->swapped, entries, slots[vm]);
            return buf;
        }
        if (hv_swap_on(hv, vm) && v->frames > v->resident_max) {
            snprintf(buf, len, "VM %s holds %u frames, over its resident_max of %u", v->name,
                     v->frames, v->resident_max);
            return buf;
        }
    }
    if (hv->host_frames && frames > hv->host_frames) {
        snprintf(buf, len, "the VMs hold %u frames, over host_memory's %u", frames,
                 hv->host_frames);
        return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Copies (hv_clone) and the summary
 * ------------------------------------------------------------------------------------------ */
int hv_swap_clone(hv_t *dst, const hv_t *src)
{
    size_t bytes = (size_t)src->swap.sectors * SIM_SECTOR_SIZE;
    dst->swap_owner = malloc(src->swap_slots ? src->swap_slots : 1);
    dst->swap.bytes = bytes ? malloc(bytes) : NULL;
    if (!dst->swap_owner || (bytes && !dst->swap.bytes))
        return -1;
    memcpy(dst->swap_owner, src->swap_owner, src->swap_slots);
    if (bytes)
        memcpy(dst->swap.bytes, src->swap.bytes, bytes);
    return 0;
}

void hv_swap_save(const hv_t *hv, sim_snap_writer_t *w)
{
    sim_snap_put(w, "HVSO", 0, hv->swap_owner, hv->swap_slots);
    sim_snap_put(w, "HVSB", 0, hv->swap.bytes, (size_t)hv->swap.sectors * SIM_SECTOR_SIZE);
}

int hv_swap_load(hv_t *l, const hv_t *fresh, const sim_snap_t *s, char *err, size_t errlen)
{
    const sim_snap_section_t *own = sim_snap_need(s, "HVSO", 0, 0, err, errlen);
    const sim_snap_section_t *dev = sim_snap_need(s, "HVSB", 0, 0, err, errlen);
    if (!own || !dev)
        return -1;
    size_t bytes = (size_t)l->swap.sectors * SIM_SECTOR_SIZE;
    if (l->swap_slots != fresh->swap_slots || own->len != l->swap_slots ||
        l->swap.sectors % PAGE_SECTORS || l->swap.sectors / PAGE_SECTORS > l->swap_slots ||
        l->swap_used > l->swap_slots || dev->len != bytes || l->host_frames > l->nframes)
        return sim_snap_fail(s, own, err, errlen,
                             "the hypervisor's swap device does not match its state");
    l->swap.bytes = bytes ? malloc(bytes) : NULL;
    if (bytes && !l->swap.bytes)
        return sim_snap_fail(s, dev, err, errlen, "not enough memory");
    if (bytes)
        memcpy(l->swap.bytes, dev->data, bytes);
    memcpy(fresh->swap_owner, own->data, l->swap_slots);
    return 0;
}

void hv_swap_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    const hv_vm_stats_t *s = &v->stats;
    if (!hv_swap_on(hv, vm))
        return;
    char b1[48], b2[48], b3[32], b4[48];
    fprintf(out, "    swap (%s): %s out, %s in, %s cycles waiting for the device; %s\n",
            hv_replacement_name(hv->cfg.replacement), sim_counted(s->swap_outs, "page", b1, 48),
            sim_counted(s->swap_ins, "page", b2, 48), sim_group_digits(s->swap_wait, b3, 32),
            sim_counted(s->swap_second_chances, "second chance", b4, 48));
}
