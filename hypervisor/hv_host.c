/*
 * hv_host.c - each host's own RAM (docs/migration.md, "Two hosts, each with its RAM").
 *
 * Lecture idea: two machines do not share memory. With [host.0] and [host.1] the simulator's
 * RAM is split in two ranges of frames, one per host, and each host's hypervisor takes frames
 * only from its own pool: a VM's memory, its nested tables and VMCBs, its shadow tables and its
 * monitor's pages are all its host's. A migration copies the pages into frames of the
 * destination's pool, rebuilds the VM's structures there and gives the source's frames back
 * to the source (hv_migrate.c, hv_rehome.c). The checker (hv_check.c) proves that no VM maps a
 * frame of another host.
 *
 *   frame 0                      host_ram[0] / 4 KiB                    nframes
 *   | host0: the hypervisor's image, |  host1: its pool                       |
 *   |        then its pool           |                                        |
 *
 * With one host, host 0 has every frame and nothing changes. The split is configuration
 * (hv_config_t.host_ram, normalized here), so a snapshot says which frames are whose host's.
 */
#include "hv_internal.h"

#define MIN_HOST_RAM (1u << 20)

static unsigned hosts(const hv_t *hv)
{
    return hv->cfg.hosts > 1 ? hv->cfg.hosts : 1;
}

void hv_host_frames(const hv_t *hv, unsigned host, uint32_t *first, uint32_t *end)
{
    if (hosts(hv) == 1) {
        *first = 0;
        *end = hv->nframes;
        return;
    }
    uint32_t split = hv->cfg.host_ram[0] / MMU_PAGE_SIZE;
    *first = host == 0 ? 0 : split;
    *end = host == 0 ? split : hv->nframes;
}

unsigned hv_frame_host(const hv_t *hv, uint32_t frame)
{
    return hosts(hv) > 1 && frame >= hv->cfg.host_ram[0] / MMU_PAGE_SIZE ? 1 : 0;
}

uint32_t hv_host_free_frames(const hv_t *hv, unsigned host)
{
    uint32_t first, end, n = 0;
    hv_host_frames(hv, host, &first, &end);
    for (uint32_t f = first; f < end; f++)
        n += hv->owner[f] == HV_FRAME_FREE;
    return n;
}

const char *hv_host_ram_refusal(uint32_t ram0, uint32_t ram1, uint32_t machine, char *buf,
                                size_t len)
{
    if (ram0 % MMU_PAGE_SIZE || ram1 % MMU_PAGE_SIZE)
        snprintf(buf, len, "a host's ram must be a multiple of 4 KiB");
    else if (ram0 && ram1 && (uint64_t)ram0 + ram1 != machine)
        snprintf(buf, len,
                 "host0's ram (%u KiB) and host1's (%u KiB) add up to %llu KiB, but the machine "
                 "has %u KiB: the hosts split the machine's RAM between them",
                 ram0 >> 10, ram1 >> 10, ((unsigned long long)ram0 + ram1) >> 10, machine >> 10);
    else if ((ram0 ? ram0 : machine - ram1) < MIN_HOST_RAM + HV_RESERVED_BYTES ||
             (ram0 && ram0 >= machine) || (ram1 && ram1 >= machine) ||
             (ram1 ? ram1 : machine - ram0) < MIN_HOST_RAM)
        snprintf(buf, len,
                 "host0 needs at least %u KiB of ram (its hypervisor's image and 1 MiB) and "
                 "host1 at least 1 MiB, of the machine's %u KiB",
                 (MIN_HOST_RAM + HV_RESERVED_BYTES) >> 10, machine >> 10);
    else
        return NULL;
    return buf;
}

int hv_host_split(hv_t *hv, char *err, size_t len)
{
    uint32_t *ram = hv->cfg.host_ram, machine = hv->nframes * MMU_PAGE_SIZE;
    if (hosts(hv) == 1) {
        if (!ram[0] && !ram[1])
            return 0;
        snprintf(err, len, "host RAM is given, but the machine has one host");
        return -1;
    }
    if (!ram[0] && !ram[1]) /* an even split, host0's half rounded down to whole frames */
        ram[0] = machine / 2 / MMU_PAGE_SIZE * MMU_PAGE_SIZE;
    if (hv_host_ram_refusal(ram[0], ram[1], machine, err, len))
        return -1;
    if (!ram[0])
        ram[0] = machine - ram[1];
    ram[1] = machine - ram[0];
    return 0;
}
