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
#include <string.h>

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

/* ------------------------------------------------------------------------------------------
 * The invariant: a VM reaches only frames of its own host
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const hv_t *hv;
    unsigned vm;
    const char *what; /* the structure being walked, for the message */
    char *buf;
    size_t len;
} host_walk_t;

static const char *other_host(host_walk_t *w, uint32_t frame, const char *role)
{
    const hv_vm_t *v = &w->hv->vms[w->vm];
    if (frame >= w->hv->nframes || hv_frame_host(w->hv, frame) == v->host)
        return NULL; /* beyond RAM: the other checks say it */
    snprintf(w->buf, w->len, "VM %s runs on host%u, but %s %s frame 0x%05x, which is host%u's",
             v->name, v->host, w->what, role, frame, hv_frame_host(w->hv, frame));
    return w->buf;
}

/* Every table of the tree at `table` (of `level`) and every frame its leaves map. */
static const char *walk_tree(host_walk_t *w, uint32_t table, unsigned level)
{
    if (other_host(w, table >> MMU_PAGE_SHIFT, "has a table in"))
        return w->buf;
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
        uint32_t pte;
        memcpy(&pte, w->hv->m->ram + table + 4 * i, 4);
        if (!(pte & MMU_PTE_V))
            continue;
        bool leaf = level == 0 || (level == 1 && (pte & MMU_PTE_S));
        if (leaf ? other_host(w, MMU_PTE_PFN(pte), "maps")
                 : walk_tree(w, MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT, level - 1))
            return w->buf;
    }
    return NULL;
}

/* The pages a VCPU's technique keeps for it: its VMCB, the monitor's pages, shadow trees. */
static const char *walk_vcpu(host_walk_t *w, const hv_vcpu_t *e)
{
    w->what = "its VMCB is in";
    if (other_host(w, e->vmcb >> MMU_PAGE_SHIFT, "a"))
        return w->buf;
    w->what = "its binary translator has";
    uint32_t pages[2 + 2 * HV_BT_TC_PAGES] = {e->bt.state, e->bt.sites};
    memcpy(pages + 2, e->bt.tc, sizeof e->bt.tc);
    memcpy(pages + 2 + HV_BT_TC_PAGES, e->bt.aux, sizeof e->bt.aux);
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (pages[i] && other_host(w, pages[i] >> MMU_PAGE_SHIFT, "a page in"))
            return w->buf;
    w->what = "its shadow page tables";
    for (unsigned s = 0; s < HV_SHADOW_CONTEXTS; s++)
        if (e->shadow.ctx[s].root &&
            walk_tree(w, e->shadow.ctx[s].root, w->hv->m->mmu_config.levels - 1))
            return w->buf;
    return NULL;
}

const char *hv_host_check(const hv_t *hv, unsigned vm, char *buf, size_t len)
{
    const hv_vm_t *v = &hv->vms[vm];
    if (hosts(hv) == 1)
        return NULL;
    host_walk_t w = {.hv = hv, .vm = vm, .what = "its nested tables", .buf = buf, .len = len};
    uint32_t first, end;
    hv_host_frames(hv, v->host, &first, &end);
    for (uint32_t f = 0; f < hv->nframes; f++)
        if (hv->owner[f] == HV_FRAME_VM(vm) && (f < first || f >= end)) {
            snprintf(buf, len, "VM %s runs on host%u, but owns frame 0x%05x, which is host%u's",
                     v->name, v->host, f, hv_frame_host(hv, f));
            return buf;
        }
    if (walk_tree(&w, v->nested_root, hv->m->mmu_config.nested_levels - 1))
        return buf;
    for (unsigned i = 0; i < v->nvcpus; i++)
        if (walk_vcpu(&w, &hv->ent[v->vcpu[i]]))
            return buf;
    return NULL;
}
