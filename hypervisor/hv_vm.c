/*
 * hv_vm.c - virtual machines and their memory: the hypervisor's frame pool, nested page
 * tables built in simulated memory, VM create / destroy / pause / resume.
 *
 * Lecture idea: memory virtualization with nested paging. A guest believes it owns physical
 * memory from 0 up to its size (guest-physical addresses, gpa). The hypervisor backs each gpa
 * page with a host frame (host-physical address, hpa) through nested tables that the MMU walks
 * on every TLB miss (the 2-D walk). Frames are given lazily: a VM starts with no memory at all,
 * and its first touch of a page is a NESTED_FAULT exit that hv_handle_nested_fault answers by
 * calling hv_gpa_to_hpa(..., allocate). A frame belongs to exactly one VM (the owner map), so
 * no guest can ever reach another's memory or the hypervisor's: isolation is the owner map
 * plus the nested tables, which the guest cannot see.
 *
 * Host RAM under the hypervisor:
 *
 *   0 .............. HV_RESERVED_BYTES ..................................... ram_size
 *   | hypervisor image | frame pool: VMCBs, nested tables (HV), guest frames (VM i) |
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv_internal.h"
#include "hv_technique.h"

/* ------------------------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------------------------ */
static const char *const vm_state_names[] = {
#define HV_X_VMSTN(name, str) str,
    HV_VM_STATES(HV_X_VMSTN)
#undef HV_X_VMSTN
};

int hv_name_index(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcasecmp(names[i], name) == 0)
            return i;
    return -1;
}

/* hv_cpu_technique_name, hv_cpu_technique_by_name; hv_mem_technique_name, ... */
HV_NAMES_OF(cpu_technique, HV_CPU_TECHNIQUES, HV_CPU_TECHNIQUE_COUNT)
HV_NAMES_OF(mem_technique, HV_MEM_TECHNIQUES, HV_MEM_TECHNIQUE_COUNT)

const char *hv_vm_state_name(unsigned state)
{
    return state < sizeof vm_state_names / sizeof vm_state_names[0] ? vm_state_names[state] : "?";
}

/* ------------------------------------------------------------------------------------------
 * The hypervisor's memory accesses: each word goes through memory and is charged
 * ------------------------------------------------------------------------------------------ */
void hv_charge(hv_t *hv, sim_cost_t cost)
{
    hv_charge_n(hv, cost, 1);
}

void hv_charge_n(hv_t *hv, sim_cost_t cost, uint64_t times)
{
    if (!hv->cur)
        return;
    hv->cur->s.cycles += times * hv->m->costs.c[cost];
    hv_pcpu_t *p = &hv->pcpu[hv->cur->s.id];
    uint16_t *n = &p->charges[cost];
    *n = *n + times < UINT16_MAX ? (uint16_t)(*n + times) : UINT16_MAX; /* beyond: "other" */
    p->charged_kinds |= 1ull << cost;
}

_Static_assert(SIM_COST_COUNT <= 64, "charged_kinds has a bit per cost-table entry");

/* The lowest cost-table entry in a set of them (kinds != 0). */
static unsigned lowest_kind(uint64_t kinds)
{
    return (unsigned)__builtin_ctzll(kinds);
}

void hv_ledger_reset(hv_t *hv, const cpu_t *cpu)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    p->charged_since = cpu->s.cycles;
    for (uint64_t kinds = p->charged_kinds; kinds; kinds &= kinds - 1)
        p->charges[lowest_kind(kinds)] = 0;
    p->charged_kinds = 0;
}

/* Hands the pCPU's charges since the last action to ev (the largest entries first) and
 * starts a new count: an action's cost is the hypervisor's work that led to it. Only the
 * entries charged since (charged_kinds) are looked at: an exit charges a handful of the
 * table's forty, and a scan of all of them four times an action was most of its cost. */
static void take_ledger(hv_t *hv, const cpu_t *cpu, sim_event_t *ev)
{
    hv_pcpu_t *p = &hv->pcpu[cpu->s.id];
    const uint32_t *c = hv->m->costs.c;
    ev->charged = (uint32_t)(cpu->s.cycles - p->charged_since);
    for (unsigned slot = 0; slot < 4; slot++) {
        int best = -1;
        for (uint64_t kinds = p->charged_kinds; kinds; kinds &= kinds - 1) {
            unsigned k = lowest_kind(kinds); /* in the table's order: the first of equals wins */
            if (p->charges[k] && c[k] &&
                (best < 0 || (uint64_t)p->charges[k] * c[k] > (uint64_t)p->charges[best] * c[best]))
                best = (int)k;
        }
        if (best < 0)
            break;
        ev->cost[slot] = (uint8_t)best;
        ev->cost_n[slot] = p->charges[best];
        p->charges[best] = 0;
    }
    hv_ledger_reset(hv, cpu);
}

/* Tells a debugger watching memory (m->mem_watch) about an access the hypervisor makes: on
 * its pCPU, or (hv->cur NULL) outside any, for VM vm (-1: not known here). A write is told
 * before it is made. */
static void watched(hv_t *hv, int vm, uint32_t hpa, uint32_t len, const void *data,
                    const char *what)
{
    sim_mem_access_t acc = {.by = SIM_BY_HV,
                            .write = data != NULL,
                            .cpu = (int8_t)(hv->cur ? (int)hv->cur->s.id : -1),
                            .vm = (int8_t)vm,
                            .what = what,
                            .hpa = hpa,
                            .len = len,
                            .data = data};
    hv->m->mem_watch(&acc, hv->m->mem_watch_ctx);
}

uint32_t hv_read32(hv_t *hv, uint32_t hpa)
{
    return hv_read32_as(hv, hpa, SIM_COST_hv_mem);
}

void hv_write32(hv_t *hv, uint32_t hpa, uint32_t value)
{
    hv_write32_as(hv, hpa, value, SIM_COST_hv_mem);
}

uint32_t hv_read32_as(hv_t *hv, uint32_t hpa, sim_cost_t cost)
{
    sim_machine_t *m = hv->m;
    SIM_ASSERT((hpa & 3) == 0 && hpa <= m->ram_size - 4);
    hv_charge(hv, cost);
    if (m->mem_watch)
        watched(hv, -1, hpa, 4, NULL, NULL);
    const uint8_t *p = m->ram + hpa;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void hv_write32_as(hv_t *hv, uint32_t hpa, uint32_t value, sim_cost_t cost)
{
    sim_machine_t *m = hv->m;
    SIM_ASSERT((hpa & 3) == 0 && hpa <= m->ram_size - 4);
    hv_charge(hv, cost);
    uint8_t *p = m->ram + hpa;
    if (m->mem_watch) {
        uint8_t bytes[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                            (uint8_t)(value >> 24)};
        watched(hv, -1, hpa, 4, bytes, NULL);
    }
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
    p[2] = (uint8_t)(value >> 16);
    p[3] = (uint8_t)(value >> 24);
    sim_ram_written(m, hpa, 4);
}

static void emit(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg, uint32_t more,
                 const uint64_t *at, uint32_t span);

void hv_emit(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg)
{
    hv_emit_more(hv, action, vm, vcpu, arg, 0);
}

void hv_action(hv_t *hv, const hv_vcpu_t *v, unsigned action, uint32_t arg, uint32_t more)
{
    hv_emit_more(hv, action, v->vm, v->host_process ? -1 : v->index, arg, more);
}

void hv_action_at(hv_t *hv, const hv_vcpu_t *v, unsigned action, uint32_t arg, uint32_t more,
                  uint64_t at)
{
    emit(hv, action, v->vm, v->host_process ? -1 : v->index, arg, more, &at, 0);
}

void hv_emit_more(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg, uint32_t more)
{
    emit(hv, action, vm, vcpu, arg, more, NULL, 0);
}

void hv_emit_mmio(hv_t *hv, int vm, uint32_t arg, uint32_t value, uint32_t gpa)
{
    emit(hv, SIM_HV_EMULATE, vm, -1, arg | SIM_HV_MMIO, value, NULL, gpa);
}

static void emit(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg, uint32_t more,
                 const uint64_t *at, uint32_t span)
{
    cpu_t *cpu = hv->cur;
    /* On a pCPU: its time; in a device event: the event's; from outside a run: CPU 0's. */
    uint64_t now = at ? *at : cpu ? cpu->s.cycles : hv->now ? hv->now : hv->m->cpu[0].s.cycles;
    int cur = cpu ? hv->pcpu[cpu->s.id].current : -1;
    if (vcpu < 0 && vm >= 0 && cur >= 0 && hv->ent[cur].vm == vm)
        vcpu = hv->ent[cur].index; /* done for the VCPU whose exit this pCPU handles */
    sim_event_t ev = {.cycle = now,
                      .kind = SIM_EV_HV,
                      .cpu = cpu ? cpu->s.id : 0,
                      .mode = CPU_MODE_H,
                      .from_mode = CPU_MODE_H,
                      .vm = (int16_t)vm,
                      .vcpu = (int16_t)vcpu,
                      .pc = more,
                      .a = action,
                      .b = arg,
                      .span = span};
    if (cpu)
        take_ledger(hv, cpu, &ev);
    sim_emit(hv->m, &ev);
}

/* ------------------------------------------------------------------------------------------
 * Nested tables, walked and filled by the hypervisor in software
 * ------------------------------------------------------------------------------------------ */
static unsigned nested_levels(const hv_t *hv)
{
    return hv->m->mmu_config.nested_levels;
}

/*
 * Finds (and with `allocate`, creates) the nested leaf for gpa in VM `vm`: walks from the root
 * like the MMU does, adding a missing table on the way and a zeroed frame at the end. Returns
 * the leaf's host-physical address, or 0 when a table is missing (not allocating) or the pool
 * is empty. *mapped says whether the leaf is valid, *large whether it is a large page's
 * (backing = large, hv_backing.c).
 */
/* The walk alone (hv_internal.h): the leaf entry's address, the page's own frame untouched. */
uint32_t hv_nested_leaf_entry(hv_t *hv, unsigned vm, uint32_t gpa, bool make_tables, bool *large)
{
    hv_vm_t *v = &hv->vms[vm];
    unsigned levels = nested_levels(hv);
    uint32_t table = v->nested_root;
    *large = false;
    for (int level = (int)levels - 1; level > 0; level--) {
        uint32_t entry = table + mmu_table_index(levels, (unsigned)level, gpa) * 4;
        uint32_t pte = hv_read32(hv, entry);
        if (level == 1 && (pte & MMU_PTE_V) && (pte & MMU_PTE_S)) {
            *large = true;
            return entry;
        }
        if (!(pte & MMU_PTE_V)) {
            if (!make_tables)
                return 0;
            uint32_t t = hv_frame_alloc(hv, v->host, HV_FRAME_HV);
            if (!t)
                return 0;
            pte = MMU_PTE_MAKE(t >> MMU_PAGE_SHIFT, MMU_PTE_V);
            hv_write32(hv, entry, pte);
        }
        table = MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT;
    }
    return table + mmu_table_index(levels, 0, gpa) * 4;
}

uint32_t hv_nested_leaf(hv_t *hv, unsigned vm, uint32_t gpa, bool allocate, bool *mapped,
                        bool *large)
{
    hv_vm_t *v = &hv->vms[vm];
    uint32_t leaf = hv_nested_leaf_entry(hv, vm, gpa, allocate, large);
    if (!leaf || *large) {
        *mapped = *large;
        return leaf;
    }
    uint32_t pte = hv_read32(hv, leaf);
    *mapped = (pte & MMU_PTE_V) != 0;
    if (!*mapped && allocate) {
        bool back_in = hv_swap_entry(pte); /* its frame is filled whole from the swap device */
        uint8_t owner = (uint8_t)HV_FRAME_VM(vm);
        uint32_t frame = !hv_swap_make_room(hv, vm) ? 0
                         : back_in                  ? hv_frame_alloc_to_fill(hv, v->host, owner)
                                                    : hv_frame_alloc(hv, v->host, owner);
        if (!frame)
            return 0;
        if (hv_balloon_entry(pte)) /* a page the guest gave to its balloon: a first touch */
            hv_balloon_touched(hv, vm);
        hv_write32(hv, leaf, MMU_PTE_MAKE(frame >> MMU_PAGE_SHIFT, MMU_PTE_V | MMU_PTE_RWX));
        v->frames++;
        if (back_in) {
            hv_swap_in(hv, vm, gpa, pte, frame); /* overcommit: the page comes back */
        } else {
            v->stats.frames_mapped++;
            v->stats.first_touches += hv->cur != NULL; /* not a load or DMA: the guest's touch */
            hv_emit_more(hv, SIM_HV_MAP, (int)vm, -1, gpa & ~MMU_PAGE_OFFSET, frame);
        }
        *mapped = true;
    }
    return leaf;
}

bool hv_gpa_to_hpa(hv_t *hv, unsigned vm, uint32_t gpa, bool allocate, uint32_t *hpa)
{
    /* LAB 4 BEGIN: refuse what is outside the VM's memory: nothing of the host is mapped there */
    if (gpa >= hv->vms[vm].memory)
        return false; /* not the VM's memory: the hypervisor maps nothing there */
    /* LAB 4 END */
    bool mapped = false, large;
    uint32_t leaf = hv_nested_leaf(hv, vm, gpa, allocate, &mapped, &large);
    if (!leaf || !mapped)
        return false;
    uint32_t offset = large ? (hv_large_frames(hv) << MMU_PAGE_SHIFT) - 1 : MMU_PAGE_OFFSET;
    *hpa = (MMU_PTE_PFN(hv_read32(hv, leaf)) << MMU_PAGE_SHIFT) | (gpa & offset);
    return true;
}

/* Copies page by page through the nested mapping; the whole range is checked first so that a
 * bad range moves nothing. An observer's read (hv_peek_guest) backs no page and no debugger is
 * told of it. */
typedef enum { COPY_FROM_GUEST, COPY_TO_GUEST, COPY_PEEK } copy_kind_t;
static bool copy_guest(hv_t *hv, unsigned vm, uint32_t gpa, void *buf, size_t len, copy_kind_t kind,
                       const char *what)
{
    bool to_guest = kind == COPY_TO_GUEST, observer = kind == COPY_PEEK;
    const hv_vm_t *v = &hv->vms[vm];
    if (len == 0)
        return true;
    if (gpa >= v->memory || len > v->memory - gpa)
        return false;
    cpu_t *charged = hv->cur;
    hv->cur = NULL; /* a copy is DMA-like: its words are not the CPU's */
    uint8_t *p = buf;
    bool ok = true;
    while (len && ok) {
        uint32_t chunk = MMU_PAGE_SIZE - (gpa & MMU_PAGE_OFFSET);
        if (chunk > len)
            chunk = (uint32_t)len;
        uint32_t hpa;
        if (to_guest && v->shared) /* DMA into a shared page: copy-on-write first */
            hv_share_break(hv, vm, gpa);
        if (to_guest)
            hv_migrate_note_write(hv, vm, gpa, chunk);
        ok = hv_gpa_to_hpa(hv, vm, gpa, !observer, &hpa);
        if (ok && !observer && hv->m->mem_watch)
            watched(hv, (int)vm, hpa, chunk, to_guest ? p : NULL, what);
        if (ok && to_guest) {
            memcpy(hv->m->ram + hpa, p, chunk);
            sim_ram_written(hv->m, hpa, chunk);
        } else if (ok) {
            memcpy(p, hv->m->ram + hpa, chunk);
        }
        gpa += chunk;
        p += chunk;
        len -= chunk;
    }
    hv->cur = charged;
    return ok;
}

bool hv_copy_to_guest(hv_t *hv, unsigned vm, uint32_t gpa, const void *src, size_t len,
                      const char *what)
{
    if (!copy_guest(hv, vm, gpa, (void *)src, len, COPY_TO_GUEST, what))
        return false;
    if (hv->vms[vm].cpu == HV_CPU_BT) /* DMA over translated code: no store fault tells */
        hv_bt_dma_written(hv, vm, gpa, len);
    hv_shadow_trace_dma(hv, vm, gpa, len); /* over a traced page table: no store fault tells */
    return true;
}

bool hv_copy_from_guest(hv_t *hv, unsigned vm, uint32_t gpa, void *dst, size_t len,
                        const char *what)
{
    return copy_guest(hv, vm, gpa, dst, len, COPY_FROM_GUEST, what);
}

bool hv_peek_guest(hv_t *hv, unsigned vm, uint32_t gpa, void *dst, size_t len)
{
    return copy_guest(hv, vm, gpa, dst, len, COPY_PEEK, NULL);
}

/* ------------------------------------------------------------------------------------------
 * The hypervisor as a whole
 * ------------------------------------------------------------------------------------------ */
/* The hypervisor's own image: a fixed pattern standing for its code and data. No guest may
 * ever change it (the isolation test checksums it). */
static uint32_t image_word(uint32_t i)
{
    uint32_t x = i * 2654435761u + 0x68767369u; /* "hvsi" */
    return x ^ (x >> 15);
}

uint32_t hv_image_checksum(const hv_t *hv)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < HV_RESERVED_BYTES; i++)
        sum = sum * 31u + hv->m->ram[i];
    return sum;
}

hv_t *hv_new(sim_machine_t *m, const hv_config_t *cfg, char *err, size_t errlen)
{
    if (m->ram_size < HV_RESERVED_BYTES + 64 * MMU_PAGE_SIZE) {
        snprintf(err, errlen, "the hypervisor needs at least %u KiB of RAM",
                 (HV_RESERVED_BYTES + 64 * MMU_PAGE_SIZE) / 1024);
        return NULL;
    }
    if (cfg->type != HV_TYPE1 && cfg->type != HV_TYPE2) {
        snprintf(err, errlen, "hypervisor type %d: it must be 1 (bare metal) or 2 (hosted)",
                 (int)cfg->type);
        return NULL;
    }
    hv_t *hv = calloc(1, sizeof *hv);
    if (!hv || !(hv->owner = calloc(m->ram_size / MMU_PAGE_SIZE, 1))) {
        free(hv);
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    hv->m = m;
    hv->cfg = *cfg;
    if (!hv->cfg.slice)
        hv->cfg.slice = HV_DEFAULT_SLICE;
    if (!hv->cfg.host_share)
        hv->cfg.host_share = HV_DEFAULT_SHARE;
    hv->nframes = m->ram_size / MMU_PAGE_SIZE;
    if (hv_host_split(hv, err, errlen) != 0 || hv_swap_init(hv, err, errlen) != 0) {
        free(hv->owner);
        free(hv);
        return NULL;
    }
    for (uint32_t f = 0; f < HV_RESERVED_BYTES / MMU_PAGE_SIZE; f++)
        hv->owner[f] = HV_FRAME_HV;
    hv->next_frame[0] = HV_RESERVED_BYTES / MMU_PAGE_SIZE;
    uint32_t end;
    hv_host_frames(hv, 1, &hv->next_frame[1], &end);
    for (uint32_t i = 0; i < HV_RESERVED_BYTES / 4; i++) {
        uint32_t w = image_word(i);
        memcpy(m->ram + 4 * i, &w, 4);
        sim_ram_written(m, 4 * i, 4);
    }
    sim_device_t hub = {.name = "hypervisor", .ctx = hv, .timed = hv_dev_timed};
    if (sim_add_device(m, &hub) != 0) {
        hv_free(hv);
        snprintf(err, errlen, "the machine's bus is full");
        return NULL;
    }
    hv->hub = m->ndevices - 1;
    for (unsigned i = 0; i < m->ncpus; i++) {
        hv->pcpu[i] = (hv_pcpu_t){.current = -1, .previous = -1};
        cpu_set_hypervisor_mode(&m->cpu[i]);
    }
    m->run_turn = hv_run_turn;
    m->run_turn_ctx = hv;
    hv_uplink_attach(hv);
    hv_passthrough_attach(hv);
    if (hv_stats_attach(hv) != 0 ||
        (cfg->type == HV_TYPE2 && cfg->host_process && hv_t2_create_host_process(hv) < 0)) {
        hv_free(hv);
        snprintf(err, errlen, "cannot set up the hypervisor's statistics or host process");
        return NULL;
    }
    return hv;
}

void hv_free(hv_t *hv)
{
    if (!hv)
        return;
    if (hv->m->run_turn_ctx == hv) {
        hv->m->run_turn = NULL;
        hv->m->run_turn_ctx = NULL;
    }
    hv_uplink_detach(hv);
    hv_passthrough_detach(hv);
    hv_stats_detach(hv);
    hv_vswitch_capture_end(hv, stderr);
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used)
            hv_dev_free(&hv->vms[i].dev);
    free(hv->owner);
    free(hv->swap_owner);
    free(hv->swap.bytes);
    free(hv);
}

static void *dup_bytes(const void *src, size_t len, bool *ok)
{
    if (!src)
        return NULL;
    void *p = malloc(len ? len : 1);
    if (p)
        memcpy(p, src, len);
    else
        *ok = false;
    return p;
}

hv_t *hv_clone(const hv_t *hv, sim_machine_t *m2)
{
    hv_t *n = malloc(sizeof *n);
    if (!n)
        return NULL;
    *n = *hv;
    bool ok = true;
    n->m = m2;
    n->cur = NULL;
    n->pcap = NULL; /* the original writes the capture */
    n->test_hook = NULL; /* a test's breakage stays with the machine it was made for */
    n->owner = dup_bytes(hv->owner, hv->nframes, &ok);
    ok &= hv_swap_clone(n, hv) == 0;
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        hv_vdev_t *d = &n->vms[i].dev;
        const hv_vdev_t *s = &hv->vms[i].dev;
        d->transcript_file = NULL; /* the original writes its file; the copy keeps memory */
        if (!n->vms[i].used)
            continue;
        d->transcript.text = dup_bytes(s->transcript.text, s->transcript.cap, &ok);
        d->input = dup_bytes(s->input, s->in_len, &ok);
        d->disk.bytes = dup_bytes(s->disk.bytes, (size_t)s->disk.sectors * SIM_SECTOR_SIZE, &ok);
    }
    if (!ok || hv_stats_clone(n, hv) != 0) {
        n->tracker = NULL;
        hv_free(n);
        return NULL;
    }
    m2->devices[n->hub].ctx = n;
    m2->run_turn = hv_run_turn;
    m2->run_turn_ctx = n;
    hv_uplink_attach(n);
    hv_passthrough_attach(n);
    return n;
}

hv_t *hv_of_machine(const sim_machine_t *m)
{
    return m->run_turn == hv_run_turn ? m->run_turn_ctx : NULL;
}

int hv_vm_by_name(const hv_t *hv, const char *name)
{
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (hv->vms[i].used && strcmp(hv->vms[i].name, name) == 0)
            return (int)i;
    return -1;
}

uint64_t hv_vm_console_dropped(const hv_t *hv, unsigned vm)
{
    return vm < HV_MAX_VMS && hv->vms[vm].used ? hv->vms[vm].dev.transcript.dropped : 0;
}

const char *hv_vm_console(const hv_t *hv, unsigned vm)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || !hv->vms[vm].dev.transcript.text)
        return "";
    return hv->vms[vm].dev.transcript.text;
}

sim_run_result_t hv_run(hv_t *hv, uint64_t max_cycles)
{
    return sim_run(hv->m, max_cycles);
}

/* ------------------------------------------------------------------------------------------
 * VM create and destroy
 * ------------------------------------------------------------------------------------------ */
static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > HV_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

int hv_free_pcpu(const hv_t *hv, unsigned host)
{
    for (unsigned c = 0; c < hv->m->ncpus; c++) {
        bool taken = hv_cpu_host(hv, c) != host;
        for (unsigned e = 0; e < hv->nent; e++)
            taken |= hv->ent[e].used && !hv->ent[e].host_process && hv->ent[e].pin == (int)c;
        if (!taken)
            return (int)c;
    }
    return -1;
}

/* The host frames a new VM may hold at most: its memory, less under overcommit (a VM that
 * cannot be swapped holds all of its memory whatever the limits say). */
static uint32_t resident_need(const hv_t *hv, const hv_vm_config_t *c)
{
    uint32_t pages = c->memory / MMU_PAGE_SIZE;
    bool swappable = hv_swappable_kind(c->backing, c->cpu);
    if (swappable && c->resident_max && c->resident_max / MMU_PAGE_SIZE < pages)
        pages = c->resident_max / MMU_PAGE_SIZE;
    if (swappable && hv->host_frames && hv->host_frames < pages)
        pages = hv->host_frames;
    return pages;
}

static const char *check_vm_config(const hv_t *hv, const hv_vm_config_t *c, char *err, size_t len)
{
    char why[200];
    if (!valid_name(c->name))
        snprintf(err, len, "VM name '%s': 1 to %d letters, digits, '-', '_' or '.'",
                 c->name ? c->name : "", HV_NAME_MAX);
    else if (hv_vm_by_name(hv, c->name) >= 0)
        snprintf(err, len, "VM name '%s' is used twice", c->name);
    else if (c->vcpus < 1 || c->vcpus > HV_MAX_VCPUS)
        snprintf(err, len, "VM %s: vcpus = %u; it must be 1 to %d", c->name, c->vcpus, HV_MAX_VCPUS);
    else if (c->memory < 0x10000 || (c->memory & 0xffff) || c->memory > 0xf0000000u)
        snprintf(err, len, "VM %s: memory = %u bytes; it must be a multiple of 64 KiB, at least 64 "
                           "KiB", c->name, c->memory);
    else if (c->resident_max && (c->resident_max < HV_MIN_RESIDENT || (c->resident_max & 0xfff)))
        snprintf(err, len,
                 "VM %s: resident_max = %u bytes; it must be whole 4 KiB pages, at "
                 "least %u KiB",
                 c->name, c->resident_max, HV_MIN_RESIDENT / 1024);
    else if (c->resident_max && c->resident_max < c->memory &&
             !hv_swappable_kind(c->backing, c->cpu))
        snprintf(err, len,
                 "VM %s: resident_max below its memory needs swapping, which works "
                 "with backing = lazy and cpu other than bt",
                 c->name);
    else if (c->balloon && (c->balloon >= c->memory || !hv_swappable_kind(c->backing, c->cpu)))
        snprintf(err, len,
                 "VM %s: balloon = %u KiB; a balloon must be smaller than the VM's memory, "
                 "and it works with backing = lazy and cpu other than bt",
                 c->name, c->balloon / 1024);
    else if (hv->host_frames && c->backing == HV_BACKING_LARGE)
        snprintf(err, len,
                 "VM %s: backing = large takes its frames at creation in runs that "
                 "host_memory cannot swap; use lazy or eager",
                 c->name);
    else if (resident_need(hv, c) > hv_free_frames(hv))
        snprintf(err, len,
                 "VM %s: %u KiB of memory, but the hypervisor has only %u KiB free "
                 "(raise [machine] ram, or overcommit: resident_max, host_memory)",
                 c->name, resident_need(hv, c) * (MMU_PAGE_SIZE / 1024),
                 hv_free_frames(hv) * (MMU_PAGE_SIZE / 1024));
    else if (c->cpu >= HV_CPU_TECHNIQUE_COUNT || c->mem >= HV_MEM_TECHNIQUE_COUNT)
        snprintf(err, len, "VM %s: unknown virtualization technique", c->name);
    else if (c->cap > 100)
        snprintf(err, len, "VM %s: cap = %u%%; it must be 0 (none) to 100", c->name, c->cap);
    else if (hv_reserve_refusal(hv, c, why, sizeof why))
        snprintf(err, len, "VM %s: %s", c->name, why);
    else if (hv_passthrough_refusal(hv, c))
        snprintf(err, len, "VM %s: %s", c->name, hv_passthrough_refusal(hv, c));
    else if (!c->program && !c->rom)
        snprintf(err, len, "VM %s: nothing to run (give it a disk image or a program)", c->name);
    else if (c->program && (c->program_base >= c->memory || c->program_len > c->memory - c->program_base))
        snprintf(err, len, "VM %s: the program (%zu bytes at 0x%x) does not fit in its memory",
                 c->name, c->program_len, c->program_base);
    else if (c->rom && c->rom_len > c->memory - HV_GUEST_ROM)
        snprintf(err, len, "VM %s: the boot ROM does not fit in its memory", c->name);
    else {
        for (unsigned i = 0; i < c->vcpus; i++)
            if (c->pin[i] >= (int)hv->m->ncpus) {
                snprintf(err, len, "VM %s: vcpu%u is pinned to pCPU %d, but the machine has %u",
                         c->name, i, c->pin[i], hv->m->ncpus);
                return err;
            } else if (c->pin[i] >= 0 && hv_cpu_host(hv, (unsigned)c->pin[i]) != c->host) {
                snprintf(err, len,
                         "VM %s: vcpu%u is pinned to pCPU %d, which is host%u's, but "
                         "the VM runs on host%u",
                         c->name, i, c->pin[i], hv_cpu_host(hv, (unsigned)c->pin[i]), c->host);
                return err;
            }
        if (c->host >= (hv->cfg.hosts ? hv->cfg.hosts : 1u)) {
            snprintf(err, len, "VM %s: host = %u, but the machine has %u host%s", c->name, c->host,
                     hv->cfg.hosts ? hv->cfg.hosts : 1u, hv->cfg.hosts > 1 ? "s" : "");
            return err;
        }
        return NULL;
    }
    return err;
}

int hv_vm_create(hv_t *hv, const hv_vm_config_t *c, char *err, size_t len)
{
    if (check_vm_config(hv, c, err, len))
        return -1;
    int idx = -1;
    for (int i = 0; i < HV_MAX_VMS && idx < 0; i++)
        if (!hv->vms[i].used)
            idx = i;
    if (idx < 0 || hv->nent + c->vcpus > HV_MAX_ENTITIES) {
        snprintf(err, len, "VM %s: the hypervisor runs at most %d VMs", c->name, HV_MAX_VMS);
        return -1;
    }
    hv_vm_t *v = &hv->vms[idx];
    memset(v, 0, sizeof *v);
    v->used = 1;
    v->state = HV_VM_RUNNING;
    snprintf(v->name, sizeof v->name, "%s", c->name);
    v->vmid = hv->cfg.untagged_tlb ? 1 : (uint16_t)(idx + 1);
    v->cpu = (uint8_t)c->cpu;
    v->mem = (uint8_t)c->mem;
    v->memory = c->memory;
    v->share = c->share ? c->share : HV_DEFAULT_SHARE;
    v->cap = c->cap;
    v->net_limit.rate = c->net_bw;
    v->disk_limit.rate = c->disk_bw;
    v->shadow_budget = !c->shadow_budget                         ? HV_DEFAULT_SHADOW_BUDGET
                       : c->shadow_budget < HV_MIN_SHADOW_BUDGET ? HV_MIN_SHADOW_BUDGET
                                                                 : c->shadow_budget;
    v->marks_off = c->marks_off;
    v->nic_pv = c->nic_pv;
    v->backing = (uint8_t)c->backing;
    v->host = (uint8_t)c->host;
    v->resident_max =
        (c->resident_max && c->resident_max < c->memory ? c->resident_max : c->memory) /
        MMU_PAGE_SIZE;
    v->balloon_target = c->balloon / MMU_PAGE_SIZE;
    snprintf(v->compare, sizeof v->compare, "%s", c->compare ? c->compare : "");
    v->reserved = c->reservation / MMU_PAGE_SIZE;
    v->tsc_offset = hv->m->cpu[0].s.cycles;
    v->stats.started = v->tsc_offset;
    v->nested_root = hv_frame_alloc(hv, v->host, HV_FRAME_HV);
    if (!v->nested_root) {
        snprintf(err, len, "VM %s: out of memory", c->name);
        v->used = 0;
        return -1;
    }
    if (hv_dev_init(hv, (unsigned)idx, c, err, len) != 0) { /* err says what the device saw */
        hv_frame_free(hv, v->nested_root);
        v->used = 0;
        return -1;
    }
    hv->nvms++;
    hv->vms_alive++;
    bool loaded = hv_vm_back(hv, (unsigned)idx);
    if (c->rom)
        loaded &= hv_copy_to_guest(hv, (unsigned)idx, HV_GUEST_ROM, c->rom, c->rom_len,
                                   "loading the ROM");
    if (c->program)
        loaded &= hv_copy_to_guest(hv, (unsigned)idx, c->program_base, c->program, c->program_len,
                                   "loading the program");
    uint32_t entry = c->entry ? c->entry : c->rom ? HV_GUEST_ROM : c->program_base;
    for (unsigned i = 0; i < c->vcpus && loaded; i++) {
        int pin = c->pin[i];
        if (hv->cfg.sched == HV_SCHED_PIN && pin < 0 && (pin = hv_free_pcpu(hv, c->host)) < 0) {
            snprintf(err, len, "VM %s: scheduler = pin needs a pCPU of its own for every VCPU, "
                               "and all %u are taken (use scheduler = overcommit)",
                     c->name, hv->m->ncpus);
            hv_vm_destroy(hv, (unsigned)idx);
            return -1;
        }
        int e = hv_vcpu_create(hv, (unsigned)idx, i, entry, err, len);
        if (e < 0) {
            hv_vm_destroy(hv, (unsigned)idx);
            return -1;
        }
        hv->ent[e].pin = (int8_t)pin;
    }
    if (!loaded) {
        snprintf(err, len, "VM %s: out of memory while loading it", c->name);
        hv_vm_destroy(hv, (unsigned)idx);
        return -1;
    }
    if (c->assign_nic && hv_passthrough_assign(hv, (unsigned)idx, err, len) != 0) {
        hv_vm_destroy(hv, (unsigned)idx);
        return -1;
    }
    hv_share_start(hv);
    return idx;
}

/* Returns frames [f, f + n) to the pool, zeroed (a large page's run, or one frame). */
static void free_run(hv_t *hv, uint32_t f, uint32_t n)
{
    for (uint32_t k = f; k < f + n && k < hv->nframes; k++) {
        memset(hv->m->ram + ((size_t)k << MMU_PAGE_SHIFT), 0, MMU_PAGE_SIZE);
        sim_ram_written(hv->m, k << MMU_PAGE_SHIFT, MMU_PAGE_SIZE);
        hv->owner[k] = HV_FRAME_FREE;
    }
}

/* Returns every frame a VM's nested tables reach (and the tables) to the pool, zeroed. */
static void free_tree(hv_t *hv, uint32_t table, unsigned level)
{
    const uint8_t *ram = hv->m->ram;
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4 && level > 0; i++) {
        uint32_t pte;
        memcpy(&pte, ram + table + 4 * i, 4);
        if ((pte & MMU_PTE_V) && level == 1 && (pte & MMU_PTE_S))
            free_run(hv, MMU_PTE_PFN(pte), hv_large_frames(hv));
        else if (pte & MMU_PTE_V)
            free_tree(hv, MMU_PTE_PFN(pte) << MMU_PAGE_SHIFT, level - 1);
    }
    if (level == 0) {
        for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
            uint32_t pte;
            memcpy(&pte, ram + table + 4 * i, 4);
            if ((pte & MMU_PTE_V) && hv->owner[MMU_PTE_PFN(pte)] == HV_FRAME_SHARED)
                hv_share_drop(hv, MMU_PTE_PFN(pte)); /* others may still map it */
            else if (pte & MMU_PTE_V)
                free_run(hv, MMU_PTE_PFN(pte), 1);
        }
    }
    memset(hv->m->ram + table, 0, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, table, MMU_PAGE_SIZE);
    hv->owner[table >> MMU_PAGE_SHIFT] = HV_FRAME_FREE;
}

void hv_vm_destroy(hv_t *hv, unsigned vm)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used)
        return;
    hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus; i++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        SIM_ASSERT(e->on_cpu < 0 || !cpu_in_guest(&hv->m->cpu[e->on_cpu]));
        if (e->on_cpu >= 0)
            hv->pcpu[e->on_cpu].current = -1;
        sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_VTIMER, v->vcpu[i]));
        if (v->mem == HV_MEM_SHADOW)
            hv_shadow_free(hv, e);
        if (v->cpu == HV_CPU_BT)
            hv_bt_free(hv, e);
        memset(hv->m->ram + e->vmcb, 0, MMU_PAGE_SIZE);
        sim_ram_written(hv->m, e->vmcb, MMU_PAGE_SIZE);
        hv->owner[e->vmcb >> MMU_PAGE_SHIFT] = HV_FRAME_FREE;
        memset(e, 0, sizeof *e);
    }
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_DISK, vm));
    hv_hostdisk_forget(hv, vm);
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_PVNET, vm));
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_NIC, vm));
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_BALLOON, vm)); /* not a new VM's plan */
    hv_passthrough_release(hv, vm);
    if (v->nested_root)
        free_tree(hv, v->nested_root, nested_levels(hv) - 1);
    hv_swap_release(hv, vm);
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, v->vmid, 0, 0);
    if (v->state == HV_VM_RUNNING || v->state == HV_VM_PAUSED)
        hv->vms_alive--;
    hv_dev_free(&v->dev);
    memset(v, 0, sizeof *v);
    hv->nvms--;
}

/* ------------------------------------------------------------------------------------------
 * Pause, resume, power-off, crash
 * ------------------------------------------------------------------------------------------ */
/* Takes a VM's VCPUs out of the run (they stop at their next exit; a running one is kicked). */
static void stop_vcpus(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus; i++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        if (e->state != HV_VCPU_RUNNING)
            e->state = HV_VCPU_STOPPED;
        hv_sched_kick(hv, v->vcpu[i]);
    }
}

int hv_vm_pause(hv_t *hv, unsigned vm)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || hv->vms[vm].state != HV_VM_RUNNING)
        return -1;
    hv->vms[vm].state = HV_VM_PAUSED;
    stop_vcpus(hv, vm);
    hv_emit(hv, SIM_HV_PAUSE, (int)vm, -1, 0);
    return 0;
}

int hv_vm_resume(hv_t *hv, unsigned vm)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || hv->vms[vm].state != HV_VM_PAUSED)
        return -1;
    hv_vm_t *v = &hv->vms[vm];
    v->state = HV_VM_RUNNING;
    for (unsigned i = 0; i < v->nvcpus; i++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[i]];
        if (e->state == HV_VCPU_STOPPED)
            e->state = HV_VCPU_READY;
        if (e->state == HV_VCPU_READY)
            hv_sched_wake(hv, v->vcpu[i]);
    }
    hv_emit(hv, SIM_HV_RESUME, (int)vm, -1, 0);
    return 0;
}

/* A stopped VM gives back the frames the hypervisor held for it that can be built again:
 * its shadow tables (a crashed attacker must not keep the pool empty for the others). Its
 * memory stays, for the debugger to read, until the VM is destroyed. */
static void release_rebuildable(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->nvcpus && v->mem == HV_MEM_SHADOW; i++)
        hv_shadow_free(hv, &hv->ent[v->vcpu[i]]);
    for (unsigned c = 0; c < hv->m->ncpus; c++)
        mmu_invalidate(&hv->m->cpu[c].mmu, MMU_FLUSH_VM, v->vmid, 0, 0);
}

static void vm_ended(hv_t *hv, unsigned vm)
{
    hv_vm_t *v = &hv->vms[vm];
    v->stats.ended = hv->cur ? hv->cur->s.cycles : hv->now ? hv->now : hv->m->cpu[0].s.cycles;
    hv_dev_flush_console(hv, vm);
    stop_vcpus(hv, vm);
    release_rebuildable(hv, vm);
    if (hv->vms_alive && --hv->vms_alive == 0) {
        /* The last VM is done: the machine's run ends, with the first bad exit code. */
        sim_machine_t *m = hv->m;
        m->powered_off = true;
        m->exit_code = 0;
        for (unsigned i = 0; i < HV_MAX_VMS; i++)
            if (hv->vms[i].used && !m->exit_code)
                m->exit_code = hv->vms[i].state == HV_VM_CRASHED ? 3 : hv->vms[i].exit_code;
    }
}

void hv_vm_power_off(hv_t *hv, unsigned vm, uint32_t code)
{
    hv_vm_t *v = &hv->vms[vm];
    if (v->state != HV_VM_RUNNING && v->state != HV_VM_PAUSED)
        return;
    v->state = HV_VM_OFF;
    v->exit_code = code;
    hv_emit(hv, SIM_HV_VM_OFF, (int)vm, -1, code);
    vm_ended(hv, vm);
}

void hv_vm_crash(hv_t *hv, unsigned vm, const char *why)
{
    hv_vm_t *v = &hv->vms[vm];
    if (v->state == HV_VM_OFF || v->state == HV_VM_CRASHED)
        return;
    bool alive = v->state == HV_VM_RUNNING || v->state == HV_VM_PAUSED;
    v->state = HV_VM_CRASHED;
    snprintf(v->why, sizeof v->why, "%s", why);
    hv_emit(hv, SIM_HV_CRASH, (int)vm, -1, 0);
    if (hv->cfg.console)
        fprintf(hv->cfg.console, "[hv] %s stopped: %s\n", v->name, why);
    if (alive)
        vm_ended(hv, vm);
}
