/*
 * sim_snap_machine.c - the machine's part of a snapshot: its own state is plain data (design
 * principle 8), so the machine struct is saved whole, CPUs, MMUs, TLBs, page-walk caches,
 * IOMMU, device registers, timed events and the clock's round included, with every pointer
 * zeroed; RAM, the disk's contents and the console's buffers are sections of their own.
 *
 * Sections: MACH (sim_machine_t, pointers zeroed), RAM (the bytes), DIMG (the disk's bytes),
 * CONS (the console's captured output), CINP (the console's input script).
 *
 * Saving the struct whole means a field someone adds to the machine, a CPU or a device is in
 * the next snapshot without a line here; a pointer is not, and keep_pointers is the one list of
 * them (the completeness test in tests/sim/test_snapshot.c fails when the struct changes size,
 * as a reminder to look here). A loaded struct is checked wherever a value indexes an array, so
 * that a crafted file cannot make the simulator read out of bounds.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* Copies every pointer of `from` (and the debugger's hooks, which are not machine state) into
 * `into`: with a zeroed `from` it strips a machine for saving, with the fresh machine it gives
 * a loaded one its own RAM, callbacks, sinks and console. */
static void keep_pointers(sim_machine_t *into, const sim_machine_t *from)
{
    into->ram = from->ram;
    into->blocks = from->blocks;
    into->ram_written = from->ram_written;
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++) {
        cpu_t *c = &into->cpu[i];
        c->mach = from->cpu[i].mach;
        c->debug = from->cpu[i].debug;
        c->debug_fn = from->cpu[i].debug_fn;
        c->watch_fn = from->cpu[i].watch_fn;
        c->debug_ctx = from->cpu[i].debug_ctx;
        c->mmu.record_trace = from->cpu[i].mmu.record_trace; /* a window's wish, not state */
    }
    for (unsigned i = 0; i < SIM_MAX_DEVICES; i++) {
        sim_device_t *d = &into->devices[i];
        d->name = from->devices[i].name;
        d->ctx = from->devices[i].ctx;
        d->read = from->devices[i].read;
        d->write = from->devices[i].write;
        d->timed = from->devices[i].timed;
    }
    into->console.out = from->console.out;
    into->console.capture.text = from->console.capture.text;
    into->console.capture.cap = from->console.capture.cap;
    into->console.input = from->console.input;
    into->io_cpu = from->io_cpu;
    memcpy(into->sinks, from->sinks, sizeof into->sinks);
    memcpy(into->sink_ctx, from->sink_ctx, sizeof into->sink_ctx);
    memcpy(into->sink_kinds, from->sink_kinds, sizeof into->sink_kinds);
    into->heard = from->heard;
    into->nsinks = from->nsinks;
    sim_account_t *a = &into->account;
    a->guest_mode = from->account.guest_mode;
    a->guest_mode_ctx = from->account.guest_mode_ctx;
    memcpy(a->listen, from->account.listen, sizeof a->listen);
    memcpy(a->listen_ctx, from->account.listen_ctx, sizeof a->listen_ctx);
    a->nlisten = from->account.nlisten;
    into->disk.bytes = from->disk.bytes;
    into->nic_wire = from->nic_wire;
    into->nic_wire_ctx = from->nic_wire_ctx;
    into->nic_host_irq = from->nic_host_irq;
    into->nic_host_irq_ctx = from->nic_host_irq_ctx;
    into->iommu_fault = from->iommu_fault;
    into->iommu_fault_ctx = from->iommu_fault_ctx;
    into->run_turn = from->run_turn;
    into->run_turn_ctx = from->run_turn_ctx;
    into->mem_watch = from->mem_watch;
    into->mem_watch_ctx = from->mem_watch_ctx;
}

void sim_machine_save(const sim_machine_t *m, sim_snap_writer_t *w)
{
    static const sim_machine_t zero;
    sim_machine_t *copy = malloc(sizeof *copy);
    if (!copy) {
        w->oom = true;
        return;
    }
    memcpy(copy, m, sizeof *copy); /* padding too: the same machine saves the same bytes */
    keep_pointers(copy, &zero);
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++) /* host-side, not state: saved as zeros */
        memset(copy->cpu[i].mmu.fast, 0, sizeof copy->cpu[i].mmu.fast);
    copy->console.capture.cap = 0;
    sim_snap_put(w, "MACH", 0, copy, sizeof *copy);
    free(copy);
    sim_snap_put(w, "RAM ", 0, m->ram, w->ram_apart ? 0 : m->ram_size);
    sim_snap_put(w, "DIMG", 0, m->disk.bytes, (size_t)m->disk.sectors * SIM_SECTOR_SIZE);
    sim_snap_put(w, "CONS", 0, m->console.capture.text,
                 m->console.capture.text ? m->console.capture.len : 0);
    sim_snap_put(w, "CINP", 0, m->console.input, m->console.input ? m->console.in_len : 0);
}

int sim_machine_fresh(sim_machine_t *m, const sim_snap_t *s, char *err, size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_need(s, "MACH", 0, sizeof *m, err, errlen);
    if (!sec)
        return -1;
    uint32_t ram_size;
    unsigned ncpus;
    mmu_config_t mmu;
    memcpy(&ram_size, sec->data + offsetof(sim_machine_t, ram_size), sizeof ram_size);
    memcpy(&ncpus, sec->data + offsetof(sim_machine_t, ncpus), sizeof ncpus);
    memcpy(&mmu, sec->data + offsetof(sim_machine_t, mmu_config), sizeof mmu);
    if (sim_machine_init(m, ram_size, ncpus) != 0)
        return sim_snap_fail(s, sec, err, errlen,
                             "a machine of %u bytes of RAM and %u CPUs cannot be built", ram_size,
                             ncpus);
    m->mmu_config = mmu;
    const char *why = sim_configure_mmu(m);
    if (why) {
        sim_machine_free(m);
        return sim_snap_fail(s, sec, err, errlen, "its MMU configuration is wrong: %s", why);
    }
    return 0;
}

/* A TLB's shape and its victim pointers, as mmu_init makes them. */
/* Every bool of the machine holds 0 or 1. */
static bool bools_ok(const sim_machine_t *l)
{
    bool ok = SIM_SNAP_BOOL_OK(l->powered_off) && SIM_SNAP_BOOL_OK(l->turn_open) &&
              SIM_SNAP_BOOL_OK(l->console.irq_enabled) && SIM_SNAP_BOOL_OK(l->iommu.enabled) &&
              SIM_SNAP_BOOL_OK(l->mmu_config.pwc) && SIM_SNAP_BOOL_OK(l->mmu_config.ntlb);
    for (unsigned i = 0; i < IOMMU_MAX_DEVICES; i++)
        ok &=
            SIM_SNAP_BOOL_OK(l->iommu.ctx[i].valid) && SIM_SNAP_BOOL_OK(l->iommu.ctx[i].translate);
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++) {
        const mmu_t *u = &l->cpu[i].mmu;
        ok &= SIM_SNAP_BOOL_OK(u->cfg.pwc) && SIM_SNAP_BOOL_OK(u->cfg.ntlb) &&
              SIM_SNAP_BOOL_OK(u->nested.enabled) && SIM_SNAP_BOOL_OK(u->nested.ad) &&
              SIM_SNAP_BOOL_OK(u->record_trace);
    }
    return ok;
}

/* The loaded struct against the fresh machine it goes into: its shape, every value that
 * indexes an array, every bool. NULL or what is wrong. */
static const char *check_loaded(const sim_machine_t *l, const sim_machine_t *m)
{
    if (!bools_ok(l))
        return "a flag (a bool) holds neither 0 nor 1";
    if (l->ram_size != m->ram_size || l->ncpus != m->ncpus)
        return "its RAM size or CPU count differs from the machine built for it";
    if (l->ndevices != m->ndevices)
        return "wrong machine: it has another number of devices on its bus";
    for (unsigned i = 0; i < m->ndevices; i++)
        if (l->devices[i].port_base != m->devices[i].port_base ||
            l->devices[i].mmio_base != m->devices[i].mmio_base)
            return "wrong machine: a device sits at other ports or addresses";
    if (l->ntimed > SIM_MAX_TIMED || l->round_next > l->ncpus || l->nsinks > SIM_MAX_SINKS)
        return "a count (timed events, the round's next CPU) is out of range";
    for (unsigned i = 0; i < l->ntimed; i++)
        if (l->timed[i].device >= l->ndevices || l->timed[i].background > 1)
            return "a timed event names a device that is not on the bus, or a kind not known";
    if (l->disk.bus_index >= l->ndevices || l->disk.sectors > SIM_DISK_MAX_BYTES / SIM_SECTOR_SIZE)
        return "the disk's place on the bus or its size is out of range";
    if (l->nic.bus_index >= l->ndevices || l->peer.bus_index >= l->ndevices ||
        !sim_nic_sane(&l->nic) || !sim_peer_sane(&l->peer))
        return "the network card's or the peer host's place on the bus, rings or queue is out "
               "of range";
    if (l->console.in_pos > l->console.in_len)
        return "the console has read past its input";
    if (l->iommu.log_head >= IOMMU_FAULT_LOG || l->iommu.log_count > IOMMU_FAULT_LOG ||
        !mmu_tlb_sane(&l->iommu.iotlb))
        return "the IOMMU's fault log or IOTLB is out of range";
    for (unsigned i = 0; i < l->ncpus; i++) {
        const mmu_t *u = &l->cpu[i].mmu;
        if (l->cpu[i].s.id != i || mmu_config_check(&u->cfg) || u->pwc.used > MMU_PWC_ENTRIES ||
            u->pwc.next >= MMU_PWC_ENTRIES || u->trace.n > MMU_TRACE_MAX ||
            l->iommu.trace.n > MMU_TRACE_MAX)
            return "a CPU's number, MMU configuration, page-walk cache or walk trace is out of "
                   "range";
        const char *why = mmu_state_check(u);
        if (why)
            return why;
    }
    return NULL;
}

/* A console buffer section: a malloc'd copy with a NUL after it (NULL for an empty one). */
static int load_buffer(const sim_snap_t *s, const char *tag, char **out, size_t want, char *err,
                       size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_need(s, tag, 0, 0, err, errlen);
    if (!sec)
        return -1;
    if (sec->len != want)
        return sim_snap_fail(s, sec, err, errlen, "%llu bytes, where the machine says %zu",
                             (unsigned long long)sec->len, want);
    *out = NULL;
    if (!sec->len)
        return 0;
    if (!(*out = malloc(sec->len + 1)))
        return sim_snap_fail(s, sec, err, errlen, "not enough memory");
    memcpy(*out, sec->data, sec->len);
    (*out)[sec->len] = '\0';
    return 0;
}

/* RAM as the snapshot holds it: its section, or the pages kept apart (s->ram_pages), of which
 * only those not all zeros are copied (m is fresh: its RAM is zeros). */
static void load_ram(sim_machine_t *m, const sim_snap_t *s, const sim_snap_section_t *ram)
{
    if (!s->ram_pages) {
        memcpy(m->ram, ram->data, m->ram_size);
        return;
    }
    for (uint32_t p = 0; p < sim_ram_pages(m); p++) {
        size_t at = (size_t)p << MMU_PAGE_SHIFT;
        if (s->ram_pages[p])
            memcpy(m->ram + at, s->ram_pages[p],
                   m->ram_size - at < MMU_PAGE_SIZE ? m->ram_size - at : MMU_PAGE_SIZE);
    }
}

int sim_machine_load(sim_machine_t *m, const sim_snap_t *s, char *err, size_t errlen)
{
    const sim_snap_section_t *mach = sim_snap_need(s, "MACH", 0, sizeof *m, err, errlen);
    if (!mach)
        return -1;
    const sim_snap_section_t *ram = s->ram_pages
                                        ? sim_snap_find(s, "RAM ", 0)
                                        : sim_snap_need(s, "RAM ", 0, m->ram_size, err, errlen);
    if (s->ram_pages && (!ram || ram->len != 0))
        return sim_snap_fail(s, ram ? ram : mach, err, errlen, "its RAM is not kept apart");
    if (!ram)
        return -1;
    sim_machine_t *l = malloc(sizeof *l);
    if (!l)
        return sim_snap_fail(s, mach, err, errlen, "not enough memory");
    memcpy(l, mach->data, sizeof *l);
    const char *why = check_loaded(l, m);
    char *capture = NULL, *input = NULL, *disk = NULL;
    if (why) {
        sim_snap_fail(s, mach, err, errlen, "%s", why);
    } else if (load_buffer(s, "CONS", &capture, l->console.capture.len, err, errlen) == 0 &&
               load_buffer(s, "CINP", &input, l->console.in_len, err, errlen) == 0 &&
               load_buffer(s, "DIMG", &disk, (size_t)l->disk.sectors * SIM_SECTOR_SIZE, err,
                           errlen) == 0) {
        free(m->console.capture.text);
        free(m->console.input);
        free(m->disk.bytes);
        m->console.capture.text = capture;
        m->console.capture.cap = capture ? l->console.capture.len + 1 : 0;
        m->console.input = input;
        m->disk.bytes = (uint8_t *)disk;
        keep_pointers(l, m);
        load_ram(m, s, ram);
        memcpy(m, l, sizeof *m);
        sim_ram_written(m, 0, m->ram_size);
        for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
            mmu_forget_host_cache(&m->cpu[i].mmu);
        free(l);
        return 0;
    }
    free(capture);
    free(input);
    free(l);
    return -1;
}

void sim_machine_move(sim_machine_t *dst, sim_machine_t *src)
{
    memcpy(dst, src, sizeof *dst);
    for (unsigned i = 0; i < SIM_MAX_CPUS; i++)
        if (dst->cpu[i].mach == src)
            dst->cpu[i].mach = dst;
    for (unsigned i = 0; i < dst->ndevices; i++)
        if (dst->devices[i].ctx == (void *)src)
            dst->devices[i].ctx = dst;
    if (dst->io_cpu)
        dst->io_cpu = &dst->cpu[dst->io_cpu - src->cpu];
    memset(src, 0, sizeof *src);
}
