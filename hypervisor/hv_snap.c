/*
 * hv_snap.c - the hypervisor's part of a snapshot, and whole-machine snapshots (the machine
 * with or without its hypervisor): save to a file, load into a fresh machine, swap it in.
 *
 * Everything the hypervisor keeps is plain data in hv_t (VMs, VCPUs with their shadow trees'
 * bookkeeping and translation caches' index, pCPUs, the scheduler's passes and slices, the
 * virtual devices' registers), so hv_t is saved whole with its pointers zeroed; the
 * structures it points to are sections of their own:
 *
 *   HV    hv_t, pointers zeroed        HVOW  the frame ownership map (one byte per frame)
 *   HVTK  the statistics' per-pCPU exit timing (hv_span_state_t x SIM_MAX_CPUS)
 *   VMTR  a VM's console transcript    VMIN  its console input    VMDK  its disk's bytes
 *   HVSO  the swap slots' owners       HVSB  the swap device's bytes (hv_swap.c)
 *
 * The VMCBs, nested and shadow tables and translated code live in simulated RAM and come with
 * it. As in sim_snap_machine.c, keep_pointers is the one list of pointers, and a loaded hv_t
 * is checked wherever a value indexes an array.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_trace.h"

#define HV_SNAP_MAKER "hvsim 0.1"

/* Copies every pointer of `from` into `into` (see sim_snap_machine.c's). */
static void keep_pointers(hv_t *into, const hv_t *from)
{
    into->m = from->m;
    into->cfg.console = from->cfg.console;
    into->owner = from->owner;
    into->swap_owner = from->swap_owner;
    into->swap.bytes = from->swap.bytes;
    into->cur = from->cur;
    into->tracker = from->tracker;
    into->pcap = from->pcap;
    into->test_hook = from->test_hook;
    into->test_hook_ctx = from->test_hook_ctx;
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        hv_vdev_t *d = &into->vms[i].dev;
        const hv_vdev_t *f = &from->vms[i].dev;
        d->transcript.text = f->transcript.text;
        d->transcript.cap = f->transcript.cap;
        d->transcript_file = f->transcript_file;
        d->input = f->input;
        d->disk.bytes = f->disk.bytes;
    }
}

static void hv_save(const hv_t *hv, sim_snap_writer_t *w)
{
    static const hv_t zero;
    hv_t *copy = malloc(sizeof *copy);
    if (!copy) {
        w->oom = true;
        return;
    }
    memcpy(copy, hv, sizeof *copy);
    keep_pointers(copy, &zero);
    sim_snap_put(w, "HV  ", 0, copy, sizeof *copy);
    free(copy);
    sim_snap_put(w, "HVOW", 0, hv->owner, hv->nframes);
    sim_snap_put(w, "HVTK", 0, hv->tracker->cpu, sizeof hv->tracker->cpu);
    hv_swap_save(hv, w);
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vdev_t *d = &hv->vms[i].dev;
        if (!hv->vms[i].used)
            continue;
        sim_snap_put(w, "VMTR", i, d->transcript.text, d->transcript.text ? d->transcript.len : 0);
        sim_snap_put(w, "VMIN", i, d->input, d->input ? d->in_len : 0);
        sim_snap_put(w, "VMDK", i, d->disk.bytes, (size_t)d->disk.sectors * SIM_SECTOR_SIZE);
    }
}

/* An entity's indices. */
static bool entity_sane(const hv_vcpu_t *e, unsigned ncpus)
{
    const hv_bt_t *bt = &e->bt;
    return e->vm < HV_MAX_VMS && e->index < HV_MAX_VCPUS && e->pin < (int)ncpus &&
           e->on_cpu < (int)ncpus && e->last_cpu < (int)ncpus &&
           e->shadow.current < HV_SHADOW_CONTEXTS && bt->nblocks <= HV_BT_MAX_BLOCKS &&
           bt->nsites <= HV_BT_SITES && bt->tc_used <= HV_BT_TC_PAGES * MMU_PAGE_SIZE / 4;
}

/* A VM's indices. */
static bool vm_sane(const hv_vm_t *v, unsigned nent)
{
    if (v->nvcpus > HV_MAX_VCPUS || v->bt_npages > HV_BT_TC_PAGES * 4 ||
        v->ntraced > HV_SHADOW_TRACES || v->bt_adapt.nsites > HV_BT_STORE_SITES ||
        v->balloon_moves > HV_BALLOON_MOVES ||
        v->dev.line_len >= sizeof v->dev.line || v->dev.in_pos > v->dev.in_len ||
        v->dev.disk.sectors > SIM_DISK_MAX_BYTES / SIM_SECTOR_SIZE ||
        memchr(v->name, '\0', sizeof v->name) == NULL ||
        memchr(v->compare, '\0', sizeof v->compare) == NULL ||
        v->stats.compare.npending > HV_COMPARE_PENDING)
        return false;
    for (unsigned c = 0; c < v->nvcpus; c++)
        if (v->vcpu[c] >= nent)
            return false;
    for (unsigned t = 0; t < v->ntraced; t++)
        if (v->traced[t].level >= MMU_MAX_LEVELS)
            return false;
    return true;
}

/* The live migration's indices (hv_migrate.c): its VM, hosts and rounds, and every
 * destination frame a hypervisor frame of the pool. */
static bool migration_sane(const hv_t *l)
{
    const hv_migration_t *g = &l->mig;
    if (g->state > HV_MIGRATE_FAILED || g->vm >= HV_MAX_VMS || g->from >= HV_MAX_HOSTS ||
        g->to >= HV_MAX_HOSTS || g->nrounds > HV_MIGRATE_MAX_ROUNDS + 1 ||
        g->monitor_pages > HV_MAX_VCPUS || l->cfg.hosts > HV_MAX_HOSTS ||
        memchr(g->why, '\0', sizeof g->why) == NULL)
        return false;
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (l->vms[i].host >= HV_MAX_HOSTS)
            return false;
    for (unsigned c = 0; c < SIM_MAX_CPUS; c++)
        if (l->cfg.cpu_host[c] >= HV_MAX_HOSTS)
            return false;
    for (uint32_t p = 0; p < HV_MIGRATE_MAX_PAGES; p++)
        if (g->dst[p] &&
            ((g->dst[p] & MMU_PAGE_OFFSET) || (g->dst[p] >> MMU_PAGE_SHIFT) >= l->nframes))
            return false;
    return true;
}

/* The loaded hv_t against the fresh one built for it. NULL or what is wrong. */
static const char *check_loaded(const hv_t *l, const hv_t *fresh)
{
    bool flags = SIM_SNAP_BOOL_OK(l->cfg.untagged_tlb) && SIM_SNAP_BOOL_OK(l->cfg.host_process) &&
                 SIM_SNAP_BOOL_OK(l->cfg.boost) && SIM_SNAP_BOOL_OK(l->cfg.shadow_trace);
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        flags &= SIM_SNAP_BOOL_OK(l->vms[i].dev.uart_irq);
    if (!flags)
        return "a flag (a bool) holds neither 0 nor 1";
    if (l->nframes != fresh->nframes || l->hub != fresh->hub || l->next_frame[0] >= l->nframes ||
        l->next_frame[1] >= l->nframes)
        return "wrong machine: its frame pool or its device on the bus differs";
    if (memcmp(l->cfg.host_ram, fresh->cfg.host_ram, sizeof l->cfg.host_ram))
        return "wrong machine: its hosts split the RAM differently ([host.N] ram)";
    if (l->nvms > HV_MAX_VMS || l->nent > HV_MAX_ENTITIES || l->nmarks > HV_MAX_MARKS ||
        l->vms_alive > HV_MAX_VMS)
        return "a count (VMs, entities, marks) is out of range";
    for (unsigned i = 0; i < HV_MAX_ENTITIES; i++)
        if (l->ent[i].used && !entity_sane(&l->ent[i], fresh->m->ncpus))
            return "an entity's VM, pCPU, shadow context or translation cache is out of range";
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (l->vms[i].used && !vm_sane(&l->vms[i], l->nent))
            return "a VM's VCPUs, console or disk is out of range";
    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        if (l->vms[i].used && (!sim_nic_sane(&l->vms[i].dev.nic) || !hv_pvnet_sane(&l->vms[i])))
            return "a VM's network card is out of range";
    for (unsigned i = 0; i < HV_SWITCH_MACS; i++)
        if (l->vswitch.table[i].port >= HV_SWITCH_PORTS)
            return "the virtual switch's table names a port it does not have";
    if (!hv_uplink_sane(l, &l->uplink))
        return "the uplink's rings are out of range";
    for (unsigned c = 0; c < SIM_MAX_CPUS; c++)
        if (l->pcpu[c].current >= (int)l->nent || l->pcpu[c].previous >= (int)l->nent)
            return "a pCPU's current entity is out of range";
    if (!migration_sane(l))
        return "the migration's VM, hosts, rounds or destination frames are out of range";
    for (unsigned h = 0; h < HV_MAX_HOSTS; h++)
        if (!hv_hostdisk_sane(&l->hostdisk[h]))
            return "the host disk's queue is out of range";
    return NULL;
}

/* A malloc'd copy of section (tag, vm) of exactly `want` bytes plus a NUL (NULL when empty). */
static int take(const sim_snap_t *s, const char *tag, unsigned vm, size_t want, char **out,
                char *err, size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_need(s, tag, vm, 0, err, errlen);
    *out = NULL;
    if (!sec)
        return -1;
    if (sec->len != want)
        return sim_snap_fail(s, sec, err, errlen, "%llu bytes, where VM %u's state says %zu",
                             (unsigned long long)sec->len, vm, want);
    if (want && !(*out = malloc(want + 1)))
        return sim_snap_fail(s, sec, err, errlen, "not enough memory");
    if (want) {
        memcpy(*out, sec->data, want);
        (*out)[want] = '\0';
    }
    return 0;
}

/* Gives loaded VM i its buffers from the snapshot. */
static int load_vm_buffers(const sim_snap_t *s, hv_t *l, unsigned i, char *err, size_t errlen)
{
    hv_vdev_t *d = &l->vms[i].dev;
    char *tr, *in, *disk;
    if (take(s, "VMTR", i, d->transcript.len, &tr, err, errlen) != 0)
        return -1;
    if (take(s, "VMIN", i, d->in_len, &in, err, errlen) != 0 ||
        take(s, "VMDK", i, (size_t)d->disk.sectors * SIM_SECTOR_SIZE, &disk, err, errlen) != 0) {
        free(tr);
        free(in);
        return -1;
    }
    d->transcript.text = tr;
    d->transcript.cap = tr ? d->transcript.len + 1 : 0;
    d->input = in;
    d->disk.bytes = (uint8_t *)disk;
    d->transcript_file = NULL; /* a restored VM keeps its transcript in memory only */
    return 0;
}

/* Loads the hypervisor's state into `fresh` (made by hv_new on the fresh machine). */
static int hv_load(hv_t *fresh, const sim_snap_t *s, char *err, size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_need(s, "HV  ", 0, sizeof(hv_t), err, errlen);
    const sim_snap_section_t *own = sim_snap_need(s, "HVOW", 0, fresh->nframes, err, errlen);
    const sim_snap_section_t *tk =
        sim_snap_need(s, "HVTK", 0, sizeof fresh->tracker->cpu, err, errlen);
    if (!sec || !own || !tk)
        return -1;
    hv_t *l = malloc(sizeof *l);
    if (!l)
        return sim_snap_fail(s, sec, err, errlen, "not enough memory");
    memcpy(l, sec->data, sizeof *l);
    const char *why = check_loaded(l, fresh);
    if (why) {
        free(l);
        return sim_snap_fail(s, sec, err, errlen, "%s", why);
    }
    keep_pointers(l, fresh);
    if (hv_swap_load(l, fresh, s, err, errlen) != 0) {
        free(l);
        return -1;
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        if (l->vms[i].used && load_vm_buffers(s, l, i, err, errlen) != 0) {
            for (unsigned j = 0; j < i; j++)
                if (l->vms[j].used)
                    hv_dev_free(&l->vms[j].dev);
            free(l->swap.bytes);
            free(l);
            return -1;
        }
    }
    memcpy(fresh->owner, own->data, fresh->nframes);
    memcpy(fresh->tracker->cpu, tk->data, sizeof fresh->tracker->cpu);
    l->cur = NULL;
    memcpy(fresh, l, sizeof *fresh);
    free(l);
    return 0;
}

/* ==========================================================================================
 * Whole-machine snapshots
 * ========================================================================================== */
/* What made the snapshot: the text block (docs/snapshot.md, "The text block"). */
static void describe(sim_snap_writer_t *w, const sim_machine_t *m, const hv_t *hv,
                     const char *scenario)
{
    sim_snap_info(w, "made by", "%s", HV_SNAP_MAKER);
    sim_snap_info(w, "scenario", "%s", scenario && scenario[0] ? scenario : "(none)");
    sim_snap_info(w, "cycle", "%llu", (unsigned long long)m->cpu[0].s.cycles);
    sim_snap_info(w, "pcpus", "%u", m->ncpus);
    sim_snap_info(w, "ram", "%u", m->ram_size);
    sim_snap_info(w, "hypervisor", "%s",
                  !hv                        ? "none"
                  : hv->cfg.type == HV_TYPE2 ? "type 2"
                                             : "type 1");
    char vms[HV_MAX_VMS * (HV_NAME_MAX + 2) + 1] = "";
    for (unsigned i = 0; hv && i < HV_MAX_VMS; i++)
        if (hv->vms[i].used)
            snprintf(vms + strlen(vms), sizeof vms - strlen(vms), "%s%s", vms[0] ? " " : "",
                     hv->vms[i].name);
    if (hv)
        sim_snap_info(w, "vms", "%s", vms);
}

int hv_snapshot_build(const sim_machine_t *m, const char *scenario, sim_snap_writer_t *w)
{
    sim_snap_writer_init(w, m->cpu[0].s.cycles);
    return hv_snapshot_fill(m, scenario, w);
}

int hv_snapshot_fill(const sim_machine_t *m, const char *scenario, sim_snap_writer_t *w)
{
    const hv_t *hv = hv_of_machine(m);
    describe(w, m, hv, scenario);
    sim_machine_save(m, w);
    if (hv)
        hv_save(hv, w);
    return w->oom ? -1 : 0;
}

int hv_snapshot_save(const sim_machine_t *m, const char *scenario, const char *path, FILE *diag)
{
    sim_snap_writer_t w;
    int rc = hv_snapshot_build(m, scenario, &w) == 0 ? sim_snap_write(&w, path, diag) : -1;
    if (w.oom)
        fprintf(diag, "%s: error: not enough memory to build the snapshot\n", path);
    sim_snap_writer_free(&w);
    return rc;
}

/* The saved hypervisor's configuration, to build a fresh one like it. */
static int saved_config(const sim_snap_t *s, hv_config_t *cfg, char *err, size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_need(s, "HV  ", 0, sizeof(hv_t), err, errlen);
    if (!sec)
        return -1;
    memcpy(cfg, sec->data + offsetof(hv_t, cfg), sizeof *cfg);
    return 0;
}

int hv_snapshot_load_parsed(sim_machine_t *m, const sim_snap_t *s, FILE *console, char *err,
                            size_t errlen)
{
    if (sim_machine_fresh(m, s, err, errlen) != 0)
        return -1;
    sim_console_set_output(m, console);
    hv_t *hv = NULL;
    if (sim_snap_find(s, "HV  ", 0)) {
        hv_config_t cfg;
        char why[200];
        if (saved_config(s, &cfg, err, errlen) != 0)
            goto fail;
        cfg.console = console;
        if (!(hv = hv_new(m, &cfg, why, sizeof why))) {
            sim_snap_fail(s, sim_snap_find(s, "HV  ", 0), err, errlen,
                          "its hypervisor cannot be built: %s", why);
            goto fail;
        }
    }
    if (sim_machine_load(m, s, err, errlen) != 0 || (hv && hv_load(hv, s, err, errlen) != 0))
        goto fail;
    return 0;
fail:
    hv_free(hv);
    sim_machine_free(m);
    return -1;
}

int hv_snapshot_load(sim_machine_t *m, const char *path, FILE *console, char *err, size_t errlen)
{
    sim_snap_t s;
    memset(m, 0, sizeof *m);
    if (sim_snap_read(&s, path, err, errlen) != 0)
        return -1;
    int rc = hv_snapshot_load_parsed(m, &s, console, err, errlen);
    sim_snap_free(&s);
    return rc;
}

void hv_machine_release(sim_machine_t *m)
{
    hv_free(hv_of_machine(m));
    sim_machine_free(m);
}

void hv_machine_swap(sim_machine_t *running, sim_machine_t *fresh)
{
    hv_machine_release(running);
    sim_machine_move(running, fresh);
    hv_t *hv = hv_of_machine(running);
    if (hv)
        hv->m = running;
}
