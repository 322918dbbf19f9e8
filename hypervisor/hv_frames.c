/*
 * hv_frames.c - the hypervisor's frame pool: every host frame the hypervisor hands out (VMCBs,
 * nested and shadow tables, guest frames), taken from the right host's RAM, zeroed before
 * anyone gets it, and given back. The owner map says whose each frame is: isolation rests on
 * it (hv_check.c checks it).
 */
#include <string.h>

#include "hv_internal.h"

/* A frame is zeroed before anyone gets it (a guest must never see what a frame held for
 * someone else), with a block clear that costs hv_zero_page. */
static void zero_frame(hv_t *hv, uint32_t hpa)
{
    memset(hv->m->ram + hpa, 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, hpa, MMU_PAGE_SIZE);
    hv_charge(hv, SIM_COST_hv_zero_page);
}

/* The first free frame of the host's pool from where its last search stopped (so that freed
 * frames are not handed out again at once). */
static uint32_t frame_take(hv_t *hv, unsigned host, uint8_t owner, bool zero)
{
    uint32_t first, end;
    hv_host_frames(hv, host, &first, &end);
    uint32_t *next = &hv->next_frame[host < HV_MAX_HOSTS ? host : 0];
    uint32_t start = *next >= first && *next < end ? *next - first : 0, size = end - first;
    for (uint32_t n = 0; n < size; n++) {
        uint32_t f = first + (start + n) % size;
        if (hv->owner[f] != HV_FRAME_FREE)
            continue;
        hv->owner[f] = owner;
        *next = first + (f - first + 1) % size;
        if (zero)
            zero_frame(hv, f << MMU_PAGE_SHIFT);
        return f << MMU_PAGE_SHIFT;
    }
    return 0;
}

uint32_t hv_frame_alloc(hv_t *hv, unsigned host, uint8_t owner)
{
    return frame_take(hv, host, owner, true);
}

uint32_t hv_frame_alloc_to_fill(hv_t *hv, unsigned host, uint8_t owner)
{
    return frame_take(hv, host, owner, false);
}

unsigned hv_vm_host(const hv_t *hv, unsigned vm)
{
    return vm < HV_MAX_VMS ? hv->vms[vm].host : 0;
}

void hv_frame_free(hv_t *hv, uint32_t hpa)
{
    uint32_t f = hpa >> MMU_PAGE_SHIFT;
    SIM_ASSERT(f < hv->nframes && hv->owner[f] == HV_FRAME_HV);
    hv->owner[f] = HV_FRAME_FREE;
}

uint32_t hv_free_frames(const hv_t *hv)
{
    uint32_t n = 0;
    for (uint32_t f = 0; f < hv->nframes; f++)
        n += hv->owner[f] == HV_FRAME_FREE;
    return n;
}
