/*
 * hv_share.c - content-based page sharing: guest pages with the same bytes, in one VM or in
 * several, are mapped read-only to one host frame; a store to such a page gets a private copy
 * (copy-on-write).
 *
 * Lecture idea (VMware ESX's page sharing, Linux's KSM): VMs that run the same kernel hold many
 * identical pages, and pages full of zeros. The hypervisor cannot know which, since it does not
 * see inside the guests, so it looks: a scanner, rate-limited in simulated time (share_pages
 * pages every share_period cycles), hashes guest pages with xxh64. A page whose hash matches a
 * shared frame's, or a page remembered earlier (a candidate), is compared byte by byte (equal
 * hashes do not prove equal pages), and when equal both are mapped read-only to one frame and
 * the spare frame goes back to the pool. A store to a shared page is a nested fault
 * (permission: W is clear) that breaks the sharing: the hypervisor copies the frame into a
 * private one for the writer and maps it writable again.
 *
 * The scanner is a timed event of the hypervisor's hub, a host thread on no pCPU the
 * simulation models: what it does is counted (scanner_cycles: share_hash per page hashed,
 * share_compare per byte compare), not charged to a guest. A copy-on-write break is charged to
 * the pCPU whose store took the nested fault (hv_copy_page).
 *
 * Only pages the hypervisor can move are shared: VMs backed lazily, not bt (as for swapping,
 * hv_swappable). Under shadow paging the shadows copied the frames into their entries: a merge
 * and a copy-on-write drop the VM's shadow entries of the frame that left
 * (hv_shadow_unmap_frame), and a hidden fault maps a shared frame without W (hv_shadow.c), so
 * that a store faults to the hypervisor as under nested paging.
 */
#include <string.h>
#include <xxhash.h>

#include "hv_internal.h"
#include "hv_technique.h"

static uint32_t pages_per_scan(const hv_t *hv)
{
    return hv->cfg.share_pages ? hv->cfg.share_pages : HV_DEFAULT_SHARE_PAGES;
}

static uint64_t scan_period(const hv_t *hv)
{
    return hv->cfg.share_period ? hv->cfg.share_period : HV_DEFAULT_SHARE_PERIOD;
}

/* The page's hash, cut to share_hash_bits when a test asks for collisions. */
static uint64_t page_hash(const hv_t *hv, uint32_t pfn)
{
    uint64_t h = XXH64(hv->m->ram + ((size_t)pfn << MMU_PAGE_SHIFT), MMU_PAGE_SIZE, 0);
    unsigned bits = hv->share_hash_bits;
    return bits && bits < 64 ? h & ((1ull << bits) - 1) : h;
}

/* Byte compare, counted; a mismatch after equal hashes is a collision. */
static bool same_bytes(hv_t *hv, uint32_t a, uint32_t b)
{
    if (hv_frame_host(hv, a) != hv_frame_host(hv, b))
        return false; /* two hosts share no RAM (hv_host.c): twins only within one host */
    hv->share.scanner_cycles += hv->m->costs.c[SIM_COST_share_compare];
    const uint8_t *ram = hv->m->ram;
    bool same = memcmp(ram + ((size_t)a << MMU_PAGE_SHIFT), ram + ((size_t)b << MMU_PAGE_SHIFT),
                       MMU_PAGE_SIZE) == 0;
    hv->share.failed_compares += !same;
    return same;
}

static void flush_vm(hv_t *hv, unsigned vm)
{
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, hv->vms[vm].vmid, 0, 0);
}

/* The nested leaf of guest page gpn when it maps a private 4 KiB frame of the VM, else 0. */
static uint32_t private_leaf(hv_t *hv, unsigned vm, uint32_t gpn, uint32_t *pfn)
{
    bool mapped = false, large = false;
    uint32_t leaf = hv_nested_leaf(hv, vm, gpn << MMU_PAGE_SHIFT, false, &mapped, &large);
    if (!leaf || !mapped || large)
        return 0;
    uint32_t pte;
    memcpy(&pte, hv->m->ram + leaf, 4);
    *pfn = MMU_PTE_PFN(pte);
    return *pfn < hv->nframes && hv->owner[*pfn] == HV_FRAME_VM(vm) ? leaf : 0;
}

/* Maps guest page gpn (its leaf, its private frame old) to shared frame s, read-only, and
 * gives the private frame back to the pool, zeroed. */
static void map_shared(hv_t *hv, unsigned vm, uint32_t gpn, uint32_t leaf, uint32_t old,
                       hv_shared_frame_t *s)
{
    hv_vm_t *v = &hv->vms[vm];
    memcpy(hv->m->ram + leaf, &(uint32_t){MMU_PTE_MAKE(s->pfn, MMU_PTE_V | MMU_PTE_R | MMU_PTE_X)},
           4);
    sim_ram_written(hv->m, leaf, 4);
    if (old != s->pfn) { /* (a twin's own frame became the shared one: nothing to free) */
        memset(hv->m->ram + ((size_t)old << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
        sim_ram_written(hv->m, old << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
        hv->owner[old] = HV_FRAME_FREE;
    }
    v->frames--;
    v->shared++;
    v->stats.shares++;
    s->refs++;
    hv_shadow_unmap_frame(hv, vm, old << MMU_PAGE_SHIFT); /* (a twin's: it was writable) */
    flush_vm(hv, vm);
    hv_emit_more(hv, SIM_HV_SHARE, (int)vm, -1, gpn << MMU_PAGE_SHIFT, s->pfn << MMU_PAGE_SHIFT);
}

static hv_shared_frame_t *shared_by_hash(hv_t *hv, uint64_t hash)
{
    for (uint32_t i = 0; i < HV_SHARE_FRAMES; i++)
        if (hv->share.frame[i].pfn && hv->share.frame[i].hash == hash)
            return &hv->share.frame[i];
    return NULL;
}

static hv_shared_frame_t *shared_by_pfn(hv_t *hv, uint32_t pfn)
{
    for (uint32_t i = 0; i < HV_SHARE_FRAMES; i++)
        if (hv->share.frame[i].pfn == pfn)
            return &hv->share.frame[i];
    return NULL;
}

/* A free slot for a new shared frame made of `pfn` (which becomes HV_FRAME_SHARED), or NULL
 * when the table is full. */
static hv_shared_frame_t *new_shared(hv_t *hv, uint32_t pfn, uint64_t hash)
{
    hv_shared_frame_t *s = shared_by_pfn(hv, 0);
    if (!s)
        return NULL;
    *s = (hv_shared_frame_t){.hash = hash, .pfn = pfn, .refs = 0};
    hv->owner[pfn] = HV_FRAME_SHARED;
    hv->share.frames_made++;
    hv->share.live++;
    return s;
}

/* ------------------------------------------------------------------------------------------
 * The scanner
 * ------------------------------------------------------------------------------------------ */
/* Looks at one guest page: shares it with a shared frame or with a candidate of equal bytes,
 * or remembers it as a candidate. */
static void scan_page(hv_t *hv, unsigned vm, uint32_t gpn)
{
    /* LAB 6 BEGIN: hash the page; a twin of equal bytes (a shared frame, a candidate) shares */
    uint32_t pfn, leaf = private_leaf(hv, vm, gpn, &pfn);
    if (!leaf)
        return;
    hv->share.scanned++;
    hv->share.scanner_cycles += hv->m->costs.c[SIM_COST_share_hash];
    uint64_t hash = page_hash(hv, pfn);
    hv_shared_frame_t *s = shared_by_hash(hv, hash);
    if (s) {
        if (same_bytes(hv, pfn, s->pfn))
            map_shared(hv, vm, gpn, leaf, pfn, s);
        return;
    }
    hv_share_candidate_t *c = &hv->share.cand[hash % HV_SHARE_CANDIDATES];
    uint32_t twin_pfn, twin_leaf = 0;
    if (c->used && c->hash == hash && !(c->vm == vm && c->gpn == gpn))
        twin_leaf = private_leaf(hv, c->vm, c->gpn, &twin_pfn);
    if (twin_leaf && same_bytes(hv, pfn, twin_pfn) && (s = new_shared(hv, twin_pfn, hash))) {
        map_shared(hv, c->vm, c->gpn, twin_leaf, twin_pfn, s);
        map_shared(hv, vm, gpn, leaf, pfn, s);
        c->used = 0;
        return;
    }
    *c = (hv_share_candidate_t){.hash = hash, .used = 1, .vm = (uint8_t)vm, .gpn = gpn};
    /* LAB 6 STUB: (void)gpn, (void)private_leaf, (void)page_hash, (void)same_bytes; */
    /* LAB 6 STUB: (void)shared_by_hash, (void)new_shared, (void)map_shared; */
    /* LAB 6 STUB: hv_lab_missing(hv, hv_vcpu_of(hv, vm, 0), 6, "scan_page"); */
    /* LAB 6 END */
}

/* The next page in the scanner's sweep over every sharable VM's memory. */
static bool next_page(hv_t *hv, unsigned *vm, uint32_t *gpn)
{
    hv_share_state_t *st = &hv->share;
    for (unsigned tries = 0; tries <= HV_MAX_VMS; tries++) {
        unsigned i = st->scan_vm % HV_MAX_VMS;
        const hv_vm_t *v = &hv->vms[i];
        if (hv_swappable(hv, i) && v->state == HV_VM_RUNNING &&
            st->scan_gpn < v->memory / MMU_PAGE_SIZE) {
            *vm = i;
            *gpn = st->scan_gpn++;
            return true;
        }
        st->scan_vm = (uint8_t)((i + 1) % HV_MAX_VMS);
        st->scan_gpn = 0;
    }
    return false;
}

static void schedule_scan(hv_t *hv, uint64_t now)
{
    hv->share.scheduled = 1;
    /* background: the scanner alone keeps no halted machine running */
    SIM_ASSERT(sim_schedule_background(hv->m, now + scan_period(hv), hv->hub,
                                       HV_TIMED(HV_TIMED_SHARE, 0)) == 0);
}

void hv_share_start(hv_t *hv)
{
    if (hv->cfg.sharing && !hv->share.scheduled)
        schedule_scan(hv, hv->m->cpu[0].s.cycles);
}

void hv_share_scan(hv_t *hv, uint64_t now)
{
    hv->share.scheduled = 0;
    unsigned vm;
    uint32_t gpn;
    for (uint32_t n = pages_per_scan(hv); n && next_page(hv, &vm, &gpn); n--)
        scan_page(hv, vm, gpn);
    uint32_t backed = 0; /* guest pages with a frame: private or shared */
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        backed += hv->vms[i].used ? hv->vms[i].frames + hv->vms[i].shared : 0;
    hv_emit_more(hv, SIM_HV_SHARE_SCAN, -1, -1, hv_share_saved(hv), backed);
    if (hv->vms_alive)
        schedule_scan(hv, now);
}

/* ------------------------------------------------------------------------------------------
 * Copy-on-write and release
 * ------------------------------------------------------------------------------------------ */
/* One fewer guest page maps shared frame s: the last one gone frees it. */
static void unref(hv_t *hv, hv_shared_frame_t *s)
{
    if (--s->refs)
        return;
    memset(hv->m->ram + ((size_t)s->pfn << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, s->pfn << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
    hv->owner[s->pfn] = HV_FRAME_FREE;
    *s = (hv_shared_frame_t){0};
    hv->share.live--;
}

bool hv_share_break(hv_t *hv, unsigned vm, uint32_t gpa)
{
    bool mapped = false, large = false;
    uint32_t leaf = hv_nested_leaf(hv, vm, gpa, false, &mapped, &large);
    if (!leaf || !mapped || large)
        return false;
    uint32_t pte = hv_read32(hv, leaf), pfn = MMU_PTE_PFN(pte);
    hv_shared_frame_t *s =
        pfn < hv->nframes && hv->owner[pfn] == HV_FRAME_SHARED ? shared_by_pfn(hv, pfn) : NULL;
    if (!s)
        return false;
    hv_vm_t *v = &hv->vms[vm];
    uint32_t copy =
        hv_swap_make_room(hv, vm) ? hv_frame_alloc_to_fill(hv, v->host, (uint8_t)HV_FRAME_VM(vm)) : 0;
    if (!copy)
        return true; /* the VM is stopped: no frame for its copy */
    memcpy(hv->m->ram + copy, hv->m->ram + ((size_t)pfn << MMU_PAGE_SHIFT), MMU_PAGE_SIZE);
    sim_ram_written(hv->m, copy, MMU_PAGE_SIZE);
    hv_charge(hv, SIM_COST_hv_copy_page);
    hv_write32(hv, leaf, MMU_PTE_MAKE(copy >> MMU_PAGE_SHIFT, MMU_PTE_V | MMU_PTE_RWX));
    v->frames++;
    v->shared--;
    v->stats.cow_breaks++;
    hv_shadow_unmap_frame(hv, vm, pfn << MMU_PAGE_SHIFT); /* its other virtual addresses too */
    unref(hv, s);
    flush_vm(hv, vm);
    hv_emit_more(hv, SIM_HV_COW, (int)vm, -1, gpa & ~MMU_PAGE_OFFSET, copy);
    return true;
}

void hv_share_drop(hv_t *hv, uint32_t pfn)
{
    hv_shared_frame_t *s = shared_by_pfn(hv, pfn);
    SIM_ASSERT(s && s->refs);
    unref(hv, s);
}

const char *hv_share_check(const hv_t *hv, char *buf, size_t len)
{
    uint32_t in_table = 0, owned = 0;
    for (uint32_t i = 0; i < HV_SHARE_FRAMES; i++) {
        const hv_shared_frame_t *s = &hv->share.frame[i];
        if (!s->pfn)
            continue;
        in_table++;
        if (s->pfn >= hv->nframes || hv->owner[s->pfn] != HV_FRAME_SHARED || !s->refs) {
            snprintf(buf, len, "shared frame 0x%05x is not a shared frame in use", s->pfn);
            return buf;
        }
    }
    for (uint32_t f = 0; f < hv->nframes; f++)
        owned += hv->owner[f] == HV_FRAME_SHARED;
    if (in_table != hv->share.live || owned != hv->share.live) {
        snprintf(buf, len, "%u shared frames counted, %u in the table, %u owned as shared",
                 hv->share.live, in_table, owned);
        return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Figures
 * ------------------------------------------------------------------------------------------ */
uint32_t hv_share_saved(const hv_t *hv)
{
    uint32_t mappings = 0, frames = 0;
    for (uint32_t i = 0; i < HV_SHARE_FRAMES; i++)
        if (hv->share.frame[i].pfn) {
            mappings += hv->share.frame[i].refs;
            frames++;
        }
    return mappings - frames;
}

void hv_share_print_vm(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    char b1[48], b2[48], b3[48];
    if (hv->cfg.sharing && hv_swappable(hv, vm))
        fprintf(out, "    sharing: %s shared now; %s merged, %s\n",
                sim_counted(v->shared, "page", b1, 48),
                sim_counted(v->stats.shares, "page", b2, 48),
                sim_counted(v->stats.cow_breaks, "copy-on-write break", b3, 48));
}

void hv_share_print_stats(const hv_t *hv, FILE *out)
{
    if (!hv->cfg.sharing)
        return;
    const hv_share_state_t *st = &hv->share;
    uint32_t mappings = 0, frames = 0, cow = 0;
    for (uint32_t i = 0; i < HV_SHARE_FRAMES; i++)
        if (st->frame[i].pfn) {
            mappings += st->frame[i].refs;
            frames++;
        }
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        cow += hv->vms[i].used ? (uint32_t)hv->vms[i].stats.cow_breaks : 0;
    char b1[48], b2[48], b3[48], b4[48], b5[48], b6[48], b7[32];
    fprintf(out,
            "[stats] page sharing: %s mapped to %s (%s saved); %s; %s; %s hashed, %s cycles "
            "of scanner work\n",
            sim_counted(mappings, "guest page", b1, 48),
            sim_counted(frames, "shared frame", b2, 48),
            sim_counted(mappings - frames, "frame", b3, 48),
            sim_counted(cow, "copy-on-write break", b4, 48),
            sim_counted(st->failed_compares, "failed byte compare", b5, 48),
            sim_counted(st->scanned, "page", b6, 48), sim_group_digits(st->scanner_cycles, b7, 32));
}
