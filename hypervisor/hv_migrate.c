/*
 * hv_migrate.c - live migration by pre-copy, between two simulated hosts in one run
 * (docs/migration.md is the lecture this code follows).
 *
 * Lecture idea: a running VM moves to another host with its memory copied while it runs.
 * Round 0 sends every page the VM has; each next round sends the pages the guest dirtied while
 * the round before was on the wire. The dirty log is the hardware's: the walker sets D in a
 * nested leaf when the guest stores through it (nested A/D, on for the migrating VM), and the
 * hypervisor clears D on every page it sends, so D set at the end of a round means "written
 * since sent". Writes that do not go through the guest's MMU (a device's DMA, the hypervisor's
 * copies) are logged in software (hv_migrate_note_write). When the dirty set is small enough,
 * or the rounds run out, the VM is paused for the stop-and-copy: the last dirty pages go with
 * the VM stopped, the VM's nested map is pointed at the destination's frames, its VCPUs are
 * pinned to the destination's pCPUs, and it resumes there. Downtime is the pause: it is set by
 * how fast the guest dirties pages (its writable working set), not by its memory size.
 *
 *   round k: [copy the dirty pages, clear their D, flush the VM's TLB entries] -- the link --
 *            latency + pages x 4 KiB / bandwidth later: count the pages with D set again
 *            -> few enough or the last round: pause, send them, switch hosts, resume
 *            -> else round k + 1
 *
 * Any CPU technique moves: under emu, trap and hw the VCPU's state is its VMCB; under bt the
 * monitor's state page goes in the stop-and-copy and its translation cache is dropped (the
 * destination translates again). Each host has its own pCPUs (the scheduler runs a VM only on
 * its host's) and its own RAM (hv_host.c). A page "arrives" as a copy into a frame of the
 * destination's RAM that its hypervisor holds until the switch, when it becomes the VM's and the
 * source's frame goes back to the source's pool; the VM's nested tables, VMCBs, shadow trees and
 * monitor pages are built again in the destination's RAM then (hv_rehome.c). A destination
 * without room refuses the migration, or fails it with the VM going on at the source. The copying is done by the hosts' network cards: it costs the link's
 * time, not CPU cycles. Everything here is plain data in hv_t (hv_migration_t), so a snapshot taken
 * mid-migration goes on exactly.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

#define HV_MIGRATE_SETTLE 1000u /* cycles the switch waits for a VCPU still loaded */

static const char *const state_names[] = {
#define HV_X_MIGNAME(name, str) str,
    HV_MIGRATE_STATES(HV_X_MIGNAME)
#undef HV_X_MIGNAME
};

const char *hv_migrate_state_name(unsigned state)
{
    return state < sizeof state_names / sizeof state_names[0] ? state_names[state] : "?";
}

unsigned hv_cpu_host(const hv_t *hv, unsigned cpu)
{
    return hv->cfg.hosts > 1 && cpu < SIM_MAX_CPUS ? hv->cfg.cpu_host[cpu] : 0;
}

static bool migrating(const hv_t *hv, unsigned vm)
{
    const hv_migration_t *g = &hv->mig;
    return (g->state == HV_MIGRATE_PRECOPY || g->state == HV_MIGRATE_STOPCOPY) && g->vm == (int)vm;
}

bool hv_nested_ad_on(const hv_t *hv, unsigned vm)
{
    return hv_swap_on(hv, vm) || (migrating(hv, vm) && hv->vms[vm].mem == HV_MEM_NESTED);
}

/*
 * Lecture: under shadow paging the MMU never walks the nested tables, so no D bit logs the
 * guest's stores. The hypervisor logs them itself, by write-protection: every round makes
 * every shadow entry of the VM read-only (hv_shadow_write_protect), so the guest's first store
 * to a page after it was sent faults, hidden; the fill that serves it logs the page and gives
 * W back, and the stores after it run at full speed until the next round. A fill for a load
 * or a fetch leaves W off while the VM migrates, so that the first store still faults.
 */
uint32_t hv_migrate_shadow_fill(hv_t *hv, unsigned vm, mmu_access_t kind, uint32_t gpa,
                                uint32_t bits)
{
    if (!migrating(hv, vm) || !(bits & MMU_PTE_W))
        return bits;
    /* LAB 8 BEGIN: a store is logged, any other access is mapped read-only */
    if (kind == MMU_STORE) {
        hv_migrate_note_write(hv, vm, gpa, 1);
        return bits;
    }
    return bits & ~MMU_PTE_W;
    /* LAB 8 STUB: (void)kind, (void)gpa; */
    /* LAB 8 STUB: return bits; */
    /* LAB 8 END */
}

void hv_migrate_note_write(hv_t *hv, unsigned vm, uint32_t gpa, size_t len)
{
    if (!migrating(hv, vm) || len == 0)
        return;
    /* LAB 8 BEGIN: every page of [gpa, gpa + len) goes into the software log */
    for (uint32_t p = gpa >> MMU_PAGE_SHIFT; p <= (gpa + len - 1) >> MMU_PAGE_SHIFT; p++)
        if (p < HV_MIGRATE_MAX_PAGES)
            hv->mig.dma_dirty[p / 8] |= (uint8_t)(1u << (p % 8));
    /* LAB 8 STUB: (void)gpa; */
    /* LAB 8 END */
}

/* ------------------------------------------------------------------------------------------
 * The link and the dirty log
 * ------------------------------------------------------------------------------------------ */
static uint64_t link_cycles(const hv_t *hv, uint32_t pages)
{
    const hv_link_t *l = &hv->cfg.link;
    uint64_t bw = l->bandwidth ? l->bandwidth : HV_DEFAULT_LINK_BW;
    uint64_t bytes = (uint64_t)pages * MMU_PAGE_SIZE;
    return (l->latency ? l->latency : HV_DEFAULT_LINK_LATENCY) + (bytes * 1000 + bw - 1) / bw;
}

static uint32_t max_rounds(const hv_t *hv)
{
    uint32_t n = hv->cfg.link.max_rounds ? hv->cfg.link.max_rounds : HV_DEFAULT_MAX_ROUNDS;
    return n < HV_MIGRATE_MAX_ROUNDS ? n : HV_MIGRATE_MAX_ROUNDS;
}

static uint32_t stop_pages(const hv_t *hv)
{
    return hv->cfg.link.stop_pages ? hv->cfg.link.stop_pages : HV_DEFAULT_STOP_PAGES;
}

/* Page gpn of the VM must go (again): it is backed and was never sent, or it was written since
 * (D set in its nested leaf, or logged). *leaf: its nested leaf (0: not backed). */
static bool page_dirty(hv_t *hv, unsigned vm, uint32_t gpn, uint32_t *leaf)
{
    bool mapped = false, large = false;
    *leaf = hv_nested_leaf(hv, vm, gpn << MMU_PAGE_SHIFT, false, &mapped, &large);
    if (!*leaf || !mapped)
        return *leaf = 0, false;
    /* LAB 8 BEGIN: never sent, D set in the nested leaf, or written by DMA since sent */
    return !hv->mig.dst[gpn] || (hv_read32(hv, *leaf) & MMU_PTE_D) ||
           (hv->mig.dma_dirty[gpn / 8] >> (gpn % 8) & 1);
    /* LAB 8 STUB: return !hv->mig.dst[gpn]; */
    /* LAB 8 END */
}

static uint32_t count_dirty(hv_t *hv, unsigned vm)
{
    uint32_t n = 0, leaf;
    for (uint32_t gpn = 0; gpn < hv->vms[vm].memory / MMU_PAGE_SIZE; gpn++)
        n += page_dirty(hv, vm, gpn, &leaf);
    return n;
}

/* Every pCPU drops the VM's translations: a store must walk again to set D. */
static void flush_vm(hv_t *hv, unsigned vm)
{
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, hv->vms[vm].vmid, 0, 0);
}

/* Sends page gpn (its nested leaf `leaf`): its bytes to the destination's frame (taken at its
 * first sending), its D bit and log entry cleared. False when no frame can be had. */
static bool send_page(hv_t *hv, uint32_t gpn, uint32_t leaf)
{
    hv_migration_t *g = &hv->mig;
    if (!g->dst[gpn] && !(g->dst[gpn] = hv_frame_alloc_to_fill(hv, g->to, HV_FRAME_HV)))
        return false;
    uint32_t pte = hv_read32(hv, leaf);
    /* LAB 8 BEGIN: clear D (and the log) before the copy: a store after it dirties the page */
    hv_write32(hv, leaf, pte & ~MMU_PTE_D);
    g->dma_dirty[gpn / 8] &= (uint8_t) ~(1u << (gpn % 8));
    /* LAB 8 STUB: (void)pte; */
    /* LAB 8 END */
    memcpy(hv->m->ram + g->dst[gpn], hv->m->ram + ((size_t)MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT),
           MMU_PAGE_SIZE);
    sim_ram_written(hv->m, g->dst[gpn], MMU_PAGE_SIZE);
    return true;
}

/* The destination's RAM is full (a sentence in buf). */
static const char *full(const hv_t *hv, char *buf, size_t len)
{
    snprintf(buf, len, "host%u's RAM is full: no frame for the copy of a page", hv->mig.to);
    return buf;
}

/* The destination has the frames the VM's tables, VMCBs and monitor pages take at the switch
 * (else false, with a sentence). */
static bool room_for_tables(const hv_t *hv, unsigned vm, unsigned to, char *buf, size_t len)
{
    uint32_t need = hv_rehome_frames(hv, vm), free = hv_host_free_frames(hv, to);
    if (free >= need)
        return true;
    snprintf(buf, len, "host%u's RAM is full: its tables and VMCBs need %u frames, %u are free",
             to, need, free);
    return false;
}

/* Sends every dirty page now; returns how many, or -1 when the pool ran dry. Under shadow
 * paging every shadow entry of the VM becomes read-only: the next store to a page is logged. */
static int64_t send_dirty(hv_t *hv, unsigned vm)
{
    uint32_t n = 0, leaf;
    for (uint32_t gpn = 0; gpn < hv->vms[vm].memory / MMU_PAGE_SIZE; gpn++) {
        if (!page_dirty(hv, vm, gpn, &leaf))
            continue;
        if (!send_page(hv, gpn, leaf))
            return -1;
        n++;
    }
    if (hv->vms[vm].mem == HV_MEM_SHADOW)
        hv_shadow_write_protect(hv, vm, 0xffffffffu);
    flush_vm(hv, vm);
    return n;
}

/* ------------------------------------------------------------------------------------------
 * Starting, rounds, the stop-and-copy and the switch
 * ------------------------------------------------------------------------------------------ */
/* The VMCB's nested control of each VCPU says whether the walker keeps A/D (read at entry:
 * a running VCPU is kicked, so that it enters again with the new control). */
static void set_nested_ad(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus && v->mem == HV_MEM_NESTED; i++) {
        const hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        hv_write32(hv, e->vmcb + CPU_VMCB_NESTED_ENABLE,
                   1 | (hv_nested_ad_on(hv, vm) ? CPU_NESTED_AD : 0));
        hv_sched_kick(hv, v->vcpu[i]);
    }
    flush_vm(hv, vm);
}

/* Gives the destination's frames back (a migration that failed). */
static void drop_copies(hv_t *hv)
{
    hv_migration_t *g = &hv->mig;
    for (uint32_t gpn = 0; gpn < HV_MIGRATE_MAX_PAGES; gpn++)
        if (g->dst[gpn]) {
            hv_frame_free(hv, g->dst[gpn]);
            g->dst[gpn] = 0;
        }
}

static void fail(hv_t *hv, const char *why)
{
    hv_migration_t *g = &hv->mig;
    unsigned vm = (unsigned)g->vm;
    snprintf(g->why, sizeof g->why, "%s", why);
    drop_copies(hv);
    g->state = HV_MIGRATE_FAILED;
    if (hv->vms[vm].used)
        set_nested_ad(hv, vm);
    hv_emit_more(hv, SIM_HV_MIGRATE_DONE, (int)vm, -1, 0, 0);
}

static void schedule(hv_t *hv, uint64_t at)
{
    SIM_ASSERT(sim_schedule(hv->m, at, hv->hub, HV_TIMED(HV_TIMED_MIGRATE, 0)) == 0);
}

/* A pre-copy round begins at `now`: the dirty pages go; the round ends when they are across. */
static void begin_round(hv_t *hv, uint64_t now)
{
    hv_migration_t *g = &hv->mig;
    SIM_ASSERT(g->nrounds < HV_MIGRATE_MAX_ROUNDS); /* end_round stops before */
    int64_t n = send_dirty(hv, (unsigned)g->vm);
    if (n < 0) {
        char why[160];
        fail(hv, full(hv, why, sizeof why));
        return;
    }
    hv_migrate_round_t *r = &g->round[g->nrounds++];
    *r = (hv_migrate_round_t){
        .start = now, .end = now + link_cycles(hv, (uint32_t)n), .sent = (uint32_t)n};
    g->in_flight = (uint32_t)n;
    hv_emit_more(hv, SIM_HV_MIGRATE_ROUND, g->vm, -1, (uint32_t)n, g->nrounds - 1);
    schedule(hv, r->end);
}

/* cpu = bt: the monitor's pages that hold guest state, one per VCPU (its virtual flags, CSRs
 * and timer). They go in the stop-and-copy, once the VCPUs stopped changing them. The jump-site
 * page and the translation cache hold translations only: the destination starts them empty. */
static uint32_t monitor_pages(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    return v->cpu == HV_CPU_BT ? v->nvcpus : 0;
}

/* The stop-and-copy: the VM pauses; its remaining dirty pages (and under bt the monitor's state
 * pages) go when it has stopped. */
static void stop_and_copy(hv_t *hv, uint64_t now, uint32_t dirty)
{
    hv_migration_t *g = &hv->mig;
    g->state = HV_MIGRATE_STOPCOPY;
    g->paused = now;
    g->stop_planned = dirty;
    g->monitor_pages = monitor_pages(hv, (unsigned)g->vm);
    g->in_flight = dirty + g->monitor_pages;
    uint64_t end = now + link_cycles(hv, dirty + g->monitor_pages);
    g->round[g->nrounds++] = (hv_migrate_round_t){.start = now, .end = end};
    hv_vm_pause(hv, (unsigned)g->vm);
    hv_emit_more(hv, SIM_HV_MIGRATE_STOP, g->vm, -1, dirty, g->nrounds - 1);
    schedule(hv, end);
}

/* The VM's nested leaves take the destination's frames; the source's are freed (its tables,
 * VMCBs and shadow trees move next: hv_rehome_vm). */
static void switch_frames(hv_t *hv, unsigned vm)
{
    hv_migration_t *g = &hv->mig;
    for (uint32_t gpn = 0; gpn < hv->vms[vm].memory / MMU_PAGE_SIZE; gpn++) {
        bool mapped = false, large = false;
        uint32_t leaf = hv_nested_leaf(hv, vm, gpn << MMU_PAGE_SHIFT, false, &mapped, &large);
        if (!g->dst[gpn])
            continue;
        if (!leaf || !mapped) { /* cannot happen: no page of a migrating VM leaves it */
            hv_frame_free(hv, g->dst[gpn]);
        } else {
            uint32_t pte = hv_read32(hv, leaf), old = MMU_PTE_PFN(pte);
            uint32_t flags = pte & (MMU_PAGE_SIZE - 1) & ~(MMU_PTE_A | MMU_PTE_D);
            hv_write32(hv, leaf, MMU_PTE_MAKE(g->dst[gpn] >> MMU_PAGE_SHIFT, flags));
            hv->owner[g->dst[gpn] >> MMU_PAGE_SHIFT] = (uint8_t)HV_FRAME_VM(vm);
            memset(hv->m->ram + ((size_t)old << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
            sim_ram_written(hv->m, old << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
            hv->owner[old] = HV_FRAME_FREE;
        }
        g->dst[gpn] = 0;
    }
}

/* The VCPUs move to the destination's pCPUs (pinned ones to free pCPUs there). */
static void move_vcpus(hv_t *hv, unsigned vm, unsigned to)
{
    hv_vm_t *v = &hv->vms[vm];
    v->host = (uint8_t)to;
    for (unsigned i = 0; i < v->nvcpus; i++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        e->pin = -1;
        if (hv->cfg.sched == HV_SCHED_PIN)
            e->pin = (int8_t)hv_free_pcpu(hv, to);
    }
}

/* Every VCPU of the VM has left its pCPU (a pause takes effect at its next exit) and, under
 * bt, stands at a guest instruction's boundary: its VMCB and pages can move. */
static bool stopped_at_boundaries(const hv_t *hv, unsigned vm)
{
    const hv_vm_t *v = &hv->vms[vm];
    uint32_t pc;
    for (unsigned i = 0; i < v->nvcpus; i++) {
        const hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        if (e->on_cpu >= 0 || (v->cpu == HV_CPU_BT && !hv_bt_saved_pc(hv, e, &pc)))
            return false;
    }
    return true;
}

/* The stop-and-copy's pages are across (the VM stopped: nothing dirties them now, unless the
 * debugger resumed it, when the ones it wrote go too and take their time). */
static void finish(hv_t *hv, uint64_t now)
{
    hv_migration_t *g = &hv->mig;
    unsigned vm = (unsigned)g->vm;
    uint32_t dirty = count_dirty(hv, vm);
    if (dirty > g->stop_planned) { /* more than reckoned: their time on the link first */
        schedule(hv, now + link_cycles(hv, dirty - g->stop_planned) - link_cycles(hv, 0));
        g->stop_planned = dirty;
        g->in_flight = dirty + g->monitor_pages;
        return;
    }
    if (!stopped_at_boundaries(hv, vm)) { /* a VCPU still loaded: the switch waits for it */
        if (hv->vms[vm].state == HV_VM_RUNNING)
            hv_vm_pause(hv, vm); /* the debugger resumed it: it must stop to move */
        schedule(hv, now + HV_MIGRATE_SETTLE);
        return;
    }
    char why[160];
    bool copied = send_dirty(hv, vm) >= 0;
    if (!copied || !room_for_tables(hv, vm, g->to, why, sizeof why)) {
        if (hv->vms[vm].state == HV_VM_PAUSED)
            hv_vm_resume(hv, vm); /* it goes on where it was, on the source */
        fail(hv, copied ? why : full(hv, why, sizeof why));
        return;
    }
    hv_migrate_round_t *r = &g->round[g->nrounds - 1];
    r->sent = dirty + g->monitor_pages;
    r->end = now;
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    g->blocks_before = s->blocks;
    g->insns_before = s->insns_identical + s->insns_inline + s->insns_callout;
    switch_frames(hv, vm);
    move_vcpus(hv, vm, g->to);
    g->tc_dropped = hv_rehome_vm(hv, vm, g->to);
    g->state = HV_MIGRATE_DONE;
    g->in_flight = 0;
    set_nested_ad(hv, vm);
    g->resumed = now;
    hv_emit_more(hv, SIM_HV_MIGRATE_DONE, (int)vm, -1, g->to, (uint32_t)(now - g->paused));
    if (hv->vms[vm].state == HV_VM_PAUSED)
        hv_vm_resume(hv, vm);
}

/* A round is across: the pages dirtied meanwhile decide what comes next. */
static void end_round(hv_t *hv, uint64_t now)
{
    hv_migration_t *g = &hv->mig;
    uint32_t dirty = count_dirty(hv, (unsigned)g->vm);
    g->round[g->nrounds - 1].dirtied = dirty;
    /* LAB 8 BEGIN: stop-and-copy when few pages are dirty or the rounds are used up */
    if (dirty <= stop_pages(hv) || g->nrounds >= max_rounds(hv))
        stop_and_copy(hv, now, dirty);
    else
        begin_round(hv, now);
    /* LAB 8 STUB: hv_lab_missing(hv, hv_vcpu_of(hv, (unsigned)g->vm, 0), 8, "end_round"); */
    /* LAB 8 STUB: (void)dirty, (void)now, (void)stop_pages(hv), (void)max_rounds(hv); */
    /* LAB 8 END */
}

/* The destination's RAM has a frame for each page the VM has now and for its tables: else
 * false, with a sentence (the migration would run out of frames half-way). */
static bool room_in_ram(const hv_t *hv, unsigned vm, unsigned to, char *err, size_t len)
{
    const hv_vm_t *v = &hv->vms[vm];
    uint32_t need = v->frames + hv_rehome_frames(hv, vm), free = hv_host_free_frames(hv, to);
    if (free >= need)
        return true;
    snprintf(err, len,
             "host%u has no room for %s: its %u pages and %u frames of tables and VMCBs need "
             "%u frames of host%u's RAM, %u are free",
             to, v->name, v->frames, need - v->frames, need, to, free);
    return false;
}

void hv_migrate_timed(hv_t *hv, uint64_t now)
{
    hv_migration_t *g = &hv->mig;
    if (g->vm < 0 || g->state == HV_MIGRATE_IDLE || g->state >= HV_MIGRATE_DONE)
        return;
    unsigned vm = (unsigned)g->vm;
    const hv_vm_t *v = &hv->vms[vm];
    if (!v->used || v->state == HV_VM_OFF || v->state == HV_VM_CRASHED) {
        fail(hv, v->state == HV_VM_OFF ? "the VM powered off" : "the VM stopped");
        return;
    }
    char why[160];
    if (g->state == HV_MIGRATE_SCHEDULED && !room_in_ram(hv, vm, g->to, why, sizeof why)) {
        fail(hv, why); /* what the VM has grown to since migrate_at was read */
        return;
    }
    if (g->state == HV_MIGRATE_SCHEDULED) {
        g->state = HV_MIGRATE_PRECOPY;
        g->started = now;
        set_nested_ad(hv, vm);
        /* the destination is contacted first (one latency): by then every VCPU of the VM
         * has entered again with nested A/D on, and no store goes unlogged */
        schedule(hv, now + link_cycles(hv, 0));
        g->nrounds = 0;
        return;
    }
    if (g->state == HV_MIGRATE_PRECOPY && g->nrounds == 0)
        begin_round(hv, now);
    else if (g->state == HV_MIGRATE_PRECOPY && g->nrounds >= HV_MIGRATE_MAX_ROUNDS)
        stop_and_copy(hv, now, count_dirty(hv, vm)); /* the table is full, whatever end_round
                                                         would decide */
    else if (g->state == HV_MIGRATE_PRECOPY)
        end_round(hv, now);
    else
        finish(hv, now);
}

/* Why VM vm cannot migrate to host `to` now, or NULL. */
static const char *refusal(const hv_t *hv, unsigned vm, unsigned to, char *err, size_t len)
{
    const hv_vm_t *v = &hv->vms[vm];
    unsigned hosts = hv->cfg.hosts ? hv->cfg.hosts : 1;
    if (hosts < 2)
        snprintf(err, len, "the machine has one host: give the scenario [host.0] and [host.1]");
    else if (to >= hosts)
        snprintf(err, len, "there is no host%u (host0 and host1)", to);
    else if (to == v->host)
        snprintf(err, len, "%s already runs on host%u", v->name, to);
    else if (hv->mig.state >= HV_MIGRATE_SCHEDULED && hv->mig.state <= HV_MIGRATE_STOPCOPY)
        snprintf(err, len, "%s is migrating already (one migration at a time)",
                 hv->vms[hv->mig.vm].name);
    else if (v->state != HV_VM_RUNNING)
        snprintf(err, len, "%s is %s: only a running VM migrates live", v->name,
                 hv_vm_state_name(v->state));
    else if (v->assigned_nic)
        snprintf(err, len,
                 "%s has the physical network card assigned (assign = nic0): the card's state "
                 "is the machine's, not the VM's, so it cannot move with it",
                 v->name);
    else if (v->backing == HV_BACKING_LARGE || hv_swap_on(hv, vm) || hv->cfg.sharing)
        snprintf(err, len,
                 "%s has large pages, swapped or shared pages: pre-copy here sends "
                 "private 4 KiB pages only",
                 v->name);
    else if (v->memory / MMU_PAGE_SIZE > HV_MIGRATE_MAX_PAGES)
        snprintf(err, len, "%s has more than %u KiB of memory, the most a migration sends", v->name,
                 HV_MIGRATE_MAX_PAGES * 4);
    else
        return NULL;
    return err;
}

/* With pinning, every VCPU needs a free pCPU on the destination. */
static bool room_on(const hv_t *hv, unsigned vm, unsigned to)
{
    unsigned free = 0, need = hv->vms[vm].nvcpus;
    for (unsigned c = 0; c < hv->m->ncpus; c++) {
        bool taken = hv_cpu_host(hv, c) != to;
        for (unsigned e = 0; e < hv->nent && !taken; e++)
            taken = hv->ent[e].used && !hv->ent[e].host_process && hv->ent[e].pin == (int)c;
        free += !taken;
    }
    return hv->cfg.sched != HV_SCHED_PIN || free >= need;
}

int hv_migrate_schedule(hv_t *hv, unsigned vm, unsigned to, uint64_t at, char *err, size_t len)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used) {
        snprintf(err, len, "there is no VM %u", vm);
        return -1;
    }
    if (refusal(hv, vm, to, err, len))
        return -1;
    if (!room_on(hv, vm, to)) {
        snprintf(err, len, "host%u has no free pCPU for each of %s's VCPUs (scheduler = pin)", to,
                 hv->vms[vm].name);
        return -1;
    }
    if (!room_in_ram(hv, vm, to, err, len))
        return -1;
    hv_migration_t *g = &hv->mig;
    memset(g, 0, sizeof *g);
    *g = (hv_migration_t){.state = HV_MIGRATE_SCHEDULED,
                          .vm = (int8_t)vm,
                          .from = hv->vms[vm].host,
                          .to = (uint8_t)to,
                          .at = at};
    schedule(hv, at);
    return 0;
}

int hv_migrate_start(hv_t *hv, unsigned vm, unsigned to, char *err, size_t len)
{
    uint64_t now = 0;
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        if (hv->m->cpu[c].s.cycles > now)
            now = hv->m->cpu[c].s.cycles;
    return hv_migrate_schedule(hv, vm, to, now, err, len);
}

/* ------------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------------ */
/* cpu = bt: what the monitor's move cost: its state pages in the stop-and-copy, and on the
 * destination the translations made again from an empty cache (their instructions charged
 * bt_translate_insn each, as any translation). */
static void print_monitor(const hv_t *hv, const char *prefix, FILE *out)
{
    const hv_migration_t *g = &hv->mig;
    const hv_bt_stats_t *s = &hv->vms[g->vm].stats.bt;
    uint64_t insns = s->insns_identical + s->insns_inline + s->insns_callout - g->insns_before;
    char a[32], b[32], c[32];
    fprintf(out,
            "%s  monitor: %u state page%s in the stop-and-copy; %u translated blocks dropped at "
            "the switch, host%u translated %s blocks of %s instructions since (%s cycles)\n",
            prefix, g->monitor_pages, g->monitor_pages == 1 ? "" : "s", g->tc_dropped, g->to,
            sim_group_digits(s->blocks - g->blocks_before, a, sizeof a),
            sim_group_digits(insns, b, sizeof b),
            sim_group_digits(insns * hv->m->costs.c[SIM_COST_bt_translate_insn], c, sizeof c));
}

void hv_migrate_print(const hv_t *hv, const char *prefix, FILE *out)
{
    const hv_migration_t *g = &hv->mig;
    if (g->vm < 0 || g->state == HV_MIGRATE_IDLE || g->state == HV_MIGRATE_SCHEDULED)
        return;
    char a[32], b[32], c[32];
    const hv_link_t *l = &hv->cfg.link;
    fprintf(out,
            "%smigration of %s from host%u to host%u: %s (link %s bytes per 1 000 cycles, "
            "latency %s)\n",
            prefix, hv->vms[g->vm].name, g->from, g->to, hv_migrate_state_name(g->state),
            sim_group_digits(l->bandwidth ? l->bandwidth : HV_DEFAULT_LINK_BW, a, sizeof a),
            sim_group_digits(l->latency ? l->latency : HV_DEFAULT_LINK_LATENCY, b, sizeof b));
    fprintf(out, "%s  %-13s %14s %12s %8s %8s %s\n", prefix, "round", "start", "cycles", "sent",
            "dirtied", "dirty rate (pages per 1M cycles)");
    for (uint32_t i = 0; i < g->nrounds; i++) {
        const hv_migrate_round_t *r = &g->round[i];
        bool stop = g->state >= HV_MIGRATE_STOPCOPY && i + 1 == g->nrounds;
        char name[16], d[32];
        snprintf(name, sizeof name, stop ? "stop-and-copy" : "%u", i);
        uint64_t len = r->end > r->start ? r->end - r->start : 0;
        fprintf(out, "%s  %-13s %14s %12s %8u %8s", prefix, name,
                sim_group_digits(r->start, a, sizeof a), sim_group_digits(len, b, sizeof b),
                r->sent, stop ? "-" : sim_group_digits(r->dirtied, d, sizeof d));
        if (!stop && len)
            fprintf(out, " %llu", (unsigned long long)(r->dirtied * 1000000ull / len));
        fputc('\n', out);
    }
    if (g->state == HV_MIGRATE_DONE)
        fprintf(out, "%s  total time %s cycles, downtime %s cycles (the VM paused at %s)\n", prefix,
                sim_group_digits(g->resumed - g->started, a, sizeof a),
                sim_group_digits(g->resumed - g->paused, b, sizeof b),
                sim_group_digits(g->paused, c, sizeof c));
    if (g->state == HV_MIGRATE_DONE && hv->vms[g->vm].cpu == HV_CPU_BT)
        print_monitor(hv, prefix, out);
    else if (g->state == HV_MIGRATE_FAILED)
        fprintf(out, "%s  it failed: %s\n", prefix, g->why);
}
