/*
 * hv_balloon.c - ballooning: the hypervisor asks a guest for memory back, and the guest
 * chooses which pages to give.
 *
 * Lecture idea (Waldspurger, "Memory Resource Management in VMware ESX Server", 2002; Xen's
 * and virtio's balloon drivers): when host memory is short, a hypervisor that swaps guest
 * pages guesses which ones the guest will not need, from A bits alone (hv_swap.c). The guest
 * knows better: its free pages hold nothing. A balloon driver in the guest kernel "inflates"
 * by allocating frames from the guest's own allocator, which the kernel then never uses, and
 * hands their guest-physical addresses to the hypervisor, which frees the host frames behind
 * them (and the swap slots of those it had swapped out: the guest does not need their bytes).
 * Deflating gives the pages back to the guest's allocator; the next touch of each is a first
 * touch, a fresh zeroed frame.
 *
 * The protocol is three hypercalls (docs/guests.md, "Hypercalls"):
 *   4  target        -> r1 = the pages the balloon should hold now
 *   5  give  r2 = gpa of a list of page addresses, r3 = how many -> r1 = how many were taken
 *   6  take  r2, r3 likewise: the pages go back to the guest      -> r1 = how many
 * The target is the scenario's `[vm] balloon` (a size); tinyos's driver asks for it at boot
 * (guestos/tinyos/balloon.inc). The target moves while the guest runs (the REPL's `balloon VM
 * SIZE`, the scenario's `balloon_at`): the hypervisor raises a virtual line of the VM's own
 * (HV_BALLOON_IRQ, virtio's configuration-change interrupt), the driver asks the target again,
 * which lowers the line, and inflates or deflates towards it.
 *
 * A ballooned page's nested leaf is invalid and marked, as a swapped one is:
 *
 *   31                          12 11  10  9  8         1  0
 *  +------------------------------+---+---+---+------------+---+
 *  |  0                           | 0 | 1 | 0 |     0      | 0 |   V = 0: the MMU faults
 *  +------------------------------+---+---+---+------------+---+
 *                                       HV_NPTE_BALLOON
 *
 * so that the checker can count them, and so that a guest that touches a page it gave away
 * (a driver bug) only gets a fresh zeroed frame, counted: never another VM's data.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

#define HV_NPTE_BALLOON 0x400u /* an invalid nested leaf: the page is in the guest's balloon */
#define BATCH_MAX 256u         /* page addresses one give or take may carry */

bool hv_balloon_entry(uint32_t pte)
{
    return !(pte & MMU_PTE_V) && (pte & HV_NPTE_BALLOON);
}

/* The page at gpa leaves the VM: its frame (or swap slot, or share of a frame) is freed and
 * its nested leaf marked. False when it cannot be ballooned (outside the VM's memory, in a
 * large nested page, or in the balloon already). */
static bool give_page(hv_t *hv, unsigned vm, uint32_t gpa)
{
    hv_vm_t *v = &hv->vms[vm];
    bool mapped = false, large = false;
    if ((gpa & MMU_PAGE_OFFSET) || gpa >= v->memory)
        return false;
    /* (a page never touched may have no leaf table yet: it is made, the page gets no frame) */
    uint32_t leaf = hv_nested_leaf_entry(hv, vm, gpa, true, &large);
    if (!leaf || large)
        return false;
    uint32_t pte = hv_read32(hv, leaf), pfn = MMU_PTE_PFN(pte);
    mapped = (pte & MMU_PTE_V) != 0;
    if (hv_balloon_entry(pte))
        return false;
    if (mapped) /* shadow paging: no entry keeps the frame */
        hv_shadow_unmap_frame(hv, vm, pfn << MMU_PAGE_SHIFT);
    if (hv_swap_entry(pte)) {
        hv_swap_discard(hv, vm, pte); /* its bytes are not needed: no read back */
    } else if (mapped && pfn < hv->nframes && hv->owner[pfn] == HV_FRAME_SHARED) {
        hv_share_drop(hv, pfn);
        v->shared--;
    } else if (mapped) {
        memset(hv->m->ram + ((size_t)pfn << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
        sim_ram_written(hv->m, pfn << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
        hv->owner[pfn] = HV_FRAME_FREE;
        v->frames--;
    }
    hv_write32(hv, leaf, HV_NPTE_BALLOON);
    v->ballooned++;
    return true;
}

/* The page at gpa comes back to the VM: its leaf unmarked, a first touch will back it. */
static bool take_page(hv_t *hv, unsigned vm, uint32_t gpa)
{
    bool mapped = false, large = false;
    if ((gpa & MMU_PAGE_OFFSET) || gpa >= hv->vms[vm].memory)
        return false;
    uint32_t leaf = hv_nested_leaf(hv, vm, gpa, false, &mapped, &large);
    if (!leaf || large || !hv_balloon_entry(hv_read32(hv, leaf)))
        return false;
    hv_write32(hv, leaf, 0);
    hv->vms[vm].ballooned--;
    return true;
}

/* Gives (or takes back) the `count` pages listed at gpa `list`: how many moved, or -1 for a
 * list outside the VM's memory or too long. */
static int32_t move_pages(hv_t *hv, hv_vcpu_t *vc, uint32_t list, uint32_t count, bool give)
{
    unsigned vm = (unsigned)vc->vm;
    hv_vm_t *v = &hv->vms[vm];
    uint32_t gpa[BATCH_MAX];
    if (count > BATCH_MAX || !hv_copy_from_guest(hv, vm, list, gpa, 4 * (size_t)count, "balloon"))
        return -1;
    hv_charge(hv, SIM_COST_hv_mem); /* the list is read as the VMCB's words are: one charge */
    int32_t moved = 0;
    for (uint32_t i = 0; i < count; i++)
        moved += give ? give_page(hv, vm, gpa[i]) : take_page(hv, vm, gpa[i]);
    if (give) {
        v->stats.balloon_given += (uint64_t)moved;
        for (unsigned c = 0; c < hv->m->ncpus; c++) /* no TLB keeps a frame that left */
            mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, v->vmid, 0, 0);
    } else {
        v->stats.balloon_taken += (uint64_t)moved;
    }
    hv_action(hv, vc, SIM_HV_BALLOON, (uint32_t)moved | (give ? 0 : SIM_HV_WRITE), v->ballooned);
    return moved;
}

int32_t hv_balloon_hypercall(hv_t *hv, hv_vcpu_t *vc, uint32_t call, uint32_t r2, uint32_t r3)
{
    hv_vm_t *v = &hv->vms[vc->vm];
    if (!hv_swappable(hv, (unsigned)vc->vm))
        return -1; /* its frames cannot be moved: no balloon (its target stays 0) */
    if (call == HV_HC_BALLOON_TARGET) {
        hv_virq(hv, hv_vcpu_of(hv, (unsigned)vc->vm, 0), HV_BALLOON_IRQ, false); /* acknowledged */
        return (int32_t)v->balloon_target;
    }
    return move_pages(hv, vc, r2, r3, call == HV_HC_BALLOON_GIVE);
}

/* ------------------------------------------------------------------------------------------
 * The target moves
 * ------------------------------------------------------------------------------------------ */
/* False, with the sentence in err, when VM vm's balloon cannot be given a target of `bytes`. */
static bool target_allowed(const hv_t *hv, unsigned vm, uint32_t bytes, char *err, size_t len)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used) {
        snprintf(err, len, "there is no VM %u", vm);
        return false;
    }
    const hv_vm_t *v = &hv->vms[vm];
    if (!hv_swappable(hv, vm)) {
        snprintf(err, len,
                 "VM %s has no balloon: it works with backing = lazy and cpu other than bt",
                 v->name);
        return false;
    }
    if (bytes % MMU_PAGE_SIZE || bytes >= v->memory) {
        snprintf(err, len,
                 "a balloon of %u KiB in VM %s: it must be whole 4 KiB pages, smaller than its "
                 "memory (%u KiB)",
                 bytes / 1024, v->name, v->memory / 1024);
        return false;
    }
    return true;
}

/* The new target, and the line that tells the guest's driver to ask it. */
static void move_target(hv_t *hv, unsigned vm, uint32_t pages)
{
    hv_vm_t *v = &hv->vms[vm];
    if (v->balloon_target == pages)
        return;
    v->balloon_target = pages;
    v->stats.balloon_moved++;
    hv_virq(hv, hv_vcpu_of(hv, vm, 0), HV_BALLOON_IRQ, true);
}

int hv_balloon_set_target(hv_t *hv, unsigned vm, uint32_t bytes, char *err, size_t len)
{
    if (!target_allowed(hv, vm, bytes, err, len))
        return -1;
    move_target(hv, vm, bytes / MMU_PAGE_SIZE);
    return 0;
}

/* Only the earliest planned change waits in the machine's event queue. */
static void schedule_next(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_BALLOON, vm));
    if (v->balloon_moves)
        SIM_ASSERT(sim_schedule(hv->m, v->balloon_move[0].at, hv->hub,
                                HV_TIMED(HV_TIMED_BALLOON, vm)) == 0);
}

int hv_balloon_plan(hv_t *hv, unsigned vm, uint64_t at, uint32_t bytes, char *err, size_t len)
{
    if (!target_allowed(hv, vm, bytes, err, len))
        return -1;
    hv_vm_t *v = &hv->vms[vm];
    if (v->balloon_moves == HV_BALLOON_MOVES) {
        snprintf(err, len, "VM %s has %u balloon target changes planned already (the most)",
                 v->name, HV_BALLOON_MOVES);
        return -1;
    }
    uint32_t i = v->balloon_moves++; /* kept in order of cycle; equal cycles in order given */
    for (; i > 0 && v->balloon_move[i - 1].at > at; i--)
        v->balloon_move[i] = v->balloon_move[i - 1];
    v->balloon_move[i] = (hv_balloon_move_t){.at = at, .pages = bytes / MMU_PAGE_SIZE};
    schedule_next(hv, vm);
    return 0;
}

void hv_balloon_timed(hv_t *hv, unsigned vm, uint64_t now)
{
    hv_vm_t *v = &hv->vms[vm];
    while (v->balloon_moves && v->balloon_move[0].at <= now) {
        move_target(hv, vm, v->balloon_move[0].pages);
        v->balloon_moves--;
        memmove(&v->balloon_move[0], &v->balloon_move[1],
                v->balloon_moves * sizeof v->balloon_move[0]);
    }
    schedule_next(hv, vm);
}

void hv_balloon_touched(hv_t *hv, unsigned vm)
{
    hv->vms[vm].ballooned--;
    hv->vms[vm].stats.balloon_touched++;
}

const char *hv_balloon_check(const hv_t *hv, const hv_tree_count_t *count, char *buf, size_t len)
{
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        if (!v->used || v->mem != HV_MEM_NESTED)
            continue;
        uint32_t n = count[vm].balloon_entries;
        if (n != v->ballooned) {
            snprintf(buf, len, "VM %s: %u balloon pages counted, %u nested balloon entries",
                     v->name, v->ballooned, n);
            return buf;
        }
    }
    return NULL;
}

void hv_balloon_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    if (!v->stats.balloon_given && !v->balloon_target)
        return;
    char b1[48], b2[48], b3[48], b4[48], b5[48];
    fprintf(out, "    balloon: %s in it now (target %s", sim_counted(v->ballooned, "page", b1, 48),
            sim_group_digits(v->balloon_target, b4, 48));
    if (v->stats.balloon_moved) /* (only then: the other scenarios' lines stay as they were) */
        fprintf(out, ", moved %s", sim_counted(v->stats.balloon_moved, "time", b5, 48));
    fprintf(out, "); %s given, %s taken back, %s\n",
            sim_counted(v->stats.balloon_given, "page", b2, 48),
            sim_group_digits(v->stats.balloon_taken, b3, 48),
            v->stats.balloon_touched ? "some touched again after being given" : "none touched");
}

/* The lesson's table: for each VM the hypervisor may page, what memory pressure cost it. A
 * balloon lets the guest choose its free pages; swap makes the hypervisor guess. */
void hv_balloon_print_table(const hv_t *hv, FILE *out)
{
    bool any = false;
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++)
        any |= hv->vms[vm].used && hv->vms[vm].balloon_target;
    if (!any)
        return;
    fprintf(out, "[stats] memory pressure relieved by the balloon (the guest chooses) and by swap "
                 "(the hypervisor guesses):\n");
    fprintf(out, "    %-12s %9s %14s %9s %9s %14s %14s\n", "vm", "balloon", "nested faults",
            "swap out", "swap in", "swap I/O bytes", "ran (cycles)");
    for (unsigned vm = 0; vm < HV_MAX_VMS; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        if (!v->used || !hv_swappable(hv, vm))
            continue;
        const hv_vm_stats_t *s = &v->stats;
        uint64_t end = s->ended ? s->ended : hv->m->cpu[0].s.cycles;
        char b[6][32];
        fprintf(out, "    %-12s %9s %14s %9s %9s %14s %14s\n", v->name,
                sim_group_digits(v->ballooned, b[0], 32),
                sim_group_digits(s->exits[CPU_EXIT_NESTED_FAULT], b[1], 32),
                sim_group_digits(s->swap_outs, b[2], 32), sim_group_digits(s->swap_ins, b[3], 32),
                sim_group_digits((s->swap_outs + s->swap_ins) * MMU_PAGE_SIZE, b[4], 32),
                sim_group_digits(end - s->started, b[5], 32));
    }
}
