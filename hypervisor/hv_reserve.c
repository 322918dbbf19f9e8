/*
 * hv_reserve.c - memory reservations: a floor of host frames the hypervisor promises a VM
 * and never reclaims below.
 *
 * Lecture idea (VMware ESX's reservation, limit and shares, Waldspurger 2002): under
 * overcommit a hypervisor takes frames from one VM to give them to another (hv_swap.c picks
 * the VM holding the most). A VM that must not be paged below some size (a database's buffer
 * cache, a real-time guest) gets a reservation: `[vm] reservation`, whole pages, at most its
 * memory and its resident_max. Two rules keep the promise:
 *
 * - admission control: a VM is created only if all the VMs' reservations together fit in
 *   host_memory, so that the hypervisor can always honour every one of them;
 * - reclaim: when all VMs together are at host_memory, the victim is the VM holding the most
 *   frames *above its reservation*; a VM at or below its floor is passed over (counted).
 *
 * A VM at its own resident_max still pages against itself: its frames are then at or above
 * its reservation (which is at most its resident_max). A reservation is a floor the VM may
 * grow to, not frames handed out at creation: pages are still backed at first touch.
 *
 * The statistics' limits line, `info limits` and `info memory` show each VM's reservation and
 * how often reclaim stopped at it (hv_limits.c).
 */
#include "hv_internal.h"

/* The reservations of the VMs there are now, in frames. */
static uint32_t reserved_now(const hv_t *hv)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        n += hv->vms[i].used ? hv->vms[i].reserved : 0;
    return n;
}

const char *hv_reserve_refusal(const hv_t *hv, const hv_vm_config_t *c, char *buf, size_t len)
{
    uint32_t want = c->reservation / MMU_PAGE_SIZE, others = reserved_now(hv);
    if (!c->reservation)
        return NULL;
    if ((c->reservation & MMU_PAGE_OFFSET) || c->reservation > c->memory)
        snprintf(buf, len, "reservation = %u KiB; it must be whole 4 KiB pages, at most its memory",
                 c->reservation / 1024);
    else if (c->resident_max && c->reservation > c->resident_max)
        snprintf(buf, len,
                 "reservation = %u KiB is above its resident_max (%u KiB): a floor "
                 "above the ceiling",
                 c->reservation / 1024, c->resident_max / 1024);
    else if (hv->host_frames && others + want > hv->host_frames)
        snprintf(buf, len,
                 "reservation = %u KiB; with the other VMs' (%u KiB) it is more than "
                 "host_memory (%u KiB), so the hypervisor could not keep every promise "
                 "(admission control)",
                 c->reservation / 1024, others * (MMU_PAGE_SIZE / 1024),
                 hv->host_frames * (MMU_PAGE_SIZE / 1024));
    else
        return NULL;
    return buf;
}

bool hv_reserve_may_reclaim(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    if (v->frames > v->reserved)
        return true;
    if (v->frames)
        v->stats.reserve_spared++; /* it holds frames, but none above its floor */
    return false;
}
