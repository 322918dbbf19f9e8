/*
 * hv_vm_snap.c - one VM alone, saved to a file and restored into another machine: the cold
 * migration of the lecture ("pause a whole guest; save it to a file; move it to another
 * machine"). The file is the snapshot container (docs/snapshot.md, "VM snapshots").
 *
 * What moves is what the guest can see: its guest-physical memory (the pages its nested
 * tables back), each VCPU's guest state as its VMCB holds it after the pause (registers, CSRs,
 * an event waiting to be injected, virtual lines), its virtual timer, its virtual devices
 * (console with its transcript and input, the disk with its contents and a command in
 * flight) and its statistics. What stays is what belongs to the host: host frames, nested
 * tables, VMCB addresses, the VM's TLB tag and place in the scheduler. Guest time goes on where
 * it stopped: the VM's cycle offset and its deadlines move by the difference of the two hosts'
 * clocks, so the guest sees no jump.
 *
 *   VM    hv_vm_t as it was (pointers zeroed)     VCPU  hv_vcpu_t of each VCPU (index)
 *   VMCB  each VCPU's VMCB page                    GMAP  one byte per guest page: 1 = backed
 *   GMEM  the backed pages, in order               VTIM  its pending device events
 *   VMTR, VMIN, VMDK  console transcript, console input, disk (as in a machine snapshot)
 *
 * A VM is saved paused, with no VCPU loaded on a pCPU, under any technique. What the
 * software techniques keep outside the guest's memory moves as live migration moves it
 * (docs/migration.md): trap-and-emulate's and emulation's virtual mode, IE, CSRs and counters
 * are the VMCB's (its guest words and its software area, copied); shadow trees are a cache of
 * the guest's tables and the hypervisor's map, so they are dropped and refill on the receiving
 * host from the guest's ptroot, which the VCPU carries; binary translation's state page (virtual
 * flags, CSRs, timer) goes as a section of its own, and its translation cache is dropped: the
 * receiving monitor translates again, and the statistics count what that cost.
 *
 *   BTST  cpu = bt: each VCPU's monitor state page (index)
 */
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

/* A pending event of the VM's devices: due `in` cycles after the save. */
typedef struct {
    uint64_t in;
    uint32_t kind; /* HV_TIMED_* */
    uint32_t vcpu; /* VTIMER: the VCPU's index in its VM */
} hv_vm_timed_t;

/* What a VM may hold that vm save does not move: how much of it (0: none), what it is
 * (after the VM's name) and why it stays (with the count). */
static uint32_t card(const hv_vm_t *v)
{
    return v->assigned_nic;
}
static uint32_t balloon_pages(const hv_vm_t *v)
{
    return v->ballooned;
}
static uint32_t swapped_pages(const hv_vm_t *v)
{
    return v->swapped;
}
static uint32_t balloon_plans(const hv_vm_t *v)
{
    return v->balloon_moves;
}
static const struct {
    uint32_t (*count)(const hv_vm_t *v);
    const char *what, *why;
} stays[] = {
    {card, "has the physical network card assigned (assign = nic0)",
     ": the card's state is the machine's, not the VM's, so it cannot move with it"},
    {balloon_pages, "has pages in its balloon",
     " (%u): vm save moves resident memory only (the balloon's pages would come back as "
     "memory the guest gave away)"},
    {swapped_pages, "has pages in the hypervisor's swap device",
     " (%u): vm save moves resident memory only (give it room: resident_max, host_memory)"},
    {balloon_plans, "has balloon target changes planned (balloon_at)",
     " (%u): they are the host's plan for the VM, which it does not carry to another host"},
};

/* Why a VM cannot be saved now, or NULL. */
static const char *cannot_save(const hv_t *hv, unsigned vm, char *buf, size_t len)
{
    const hv_vm_t *v = &hv->vms[vm];
    if (v->state != HV_VM_PAUSED) {
        snprintf(buf, len, "VM %s is %s: pause it first (vm pause), it is saved as it stands",
                 v->name, hv_vm_state_name(v->state));
        return buf;
    }
    for (size_t i = 0; i < sizeof stays / sizeof stays[0]; i++)
        if (stays[i].count(v)) {
            snprintf(buf, len, "VM %s %s", v->name, stays[i].what);
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, stays[i].why, stays[i].count(v));
            return buf;
        }
    for (unsigned c = 0; c < v->nvcpus; c++)
        if (hv->ent[v->vcpu[c]].on_cpu >= 0) {
            snprintf(buf, len,
                     "VM %s's vcpu%u is still loaded on pCPU%d: continue a little, it "
                     "leaves at its next exit",
                     v->name, c, hv->ent[v->vcpu[c]].on_cpu);
            return buf;
        }
    uint32_t pc;
    for (unsigned c = 0; c < v->nvcpus && v->cpu == HV_CPU_BT; c++)
        if (!hv_bt_saved_pc(hv, &hv->ent[v->vcpu[c]], &pc)) {
            snprintf(buf, len,
                     "VM %s's vcpu%u stopped inside the translation of one guest instruction "
                     "(at 0x%08x in the translation cache, which does not move): resume it and "
                     "pause it again",
                     v->name, c, pc);
            return buf;
        }
    return NULL;
}

/* The guest's memory: which pages are backed, and their bytes. */
static void save_memory(hv_t *hv, unsigned vm, sim_snap_writer_t *w)
{
    uint32_t pages = hv->vms[vm].memory / MMU_PAGE_SIZE;
    uint8_t *map = calloc(pages ? pages : 1, 1);
    uint8_t *mem = malloc((size_t)hv->vms[vm].memory + 1);
    size_t n = 0;
    for (uint32_t p = 0; map && mem && p < pages; p++) {
        uint32_t hpa;
        if (!hv_gpa_to_hpa(hv, vm, p * MMU_PAGE_SIZE, false, &hpa))
            continue;
        map[p] = 1;
        memcpy(mem + n, hv->m->ram + hpa, MMU_PAGE_SIZE);
        n += MMU_PAGE_SIZE;
    }
    if (!map || !mem)
        w->oom = true;
    else {
        sim_snap_put(w, "GMAP", 0, map, pages);
        sim_snap_put(w, "GMEM", 0, mem, n);
    }
    free(map);
    free(mem);
}

/* The VM's pending device events (its disk's completion, its VCPUs' timers). */
static void save_timed(const hv_t *hv, unsigned vm, sim_snap_writer_t *w)
{
    const sim_machine_t *m = hv->m;
    hv_vm_timed_t t[SIM_MAX_TIMED];
    unsigned n = 0;
    const hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < m->ntimed; i++) {
        const sim_timed_t *e = &m->timed[i];
        if (e->device != hv->hub)
            continue;
        uint32_t kind = e->what >> 8, index = e->what & 0xff;
        uint64_t in = e->at - m->cpu[0].s.cycles;
        if (kind == HV_TIMED_DISK && index == vm)
            t[n++] = (hv_vm_timed_t){.in = in, .kind = kind};
        for (unsigned c = 0; kind == HV_TIMED_VTIMER && c < v->nvcpus; c++)
            if (v->vcpu[c] == index)
                t[n++] = (hv_vm_timed_t){.in = in, .kind = kind, .vcpu = c};
    }
    sim_snap_put(w, "VTIM", 0, t, n * sizeof *t);
}

/* A VCPU: its hv_vcpu_t, its VMCB page and, under bt, its monitor's state page. The VMCB's
 * pc is the guest's (a TC pc becomes the guest address it stands for: the cache does not go). */
static void save_vcpu(const hv_t *hv, const hv_vcpu_t *e, unsigned c, sim_snap_writer_t *w)
{
    sim_snap_put(w, "VCPU", c, e, sizeof *e);
    uint8_t vmcb[CPU_VMCB_SIZE];
    memcpy(vmcb, hv->m->ram + e->vmcb, sizeof vmcb);
    uint32_t pc;
    if (hv_bt_vcpu(hv, e) && hv_bt_saved_pc(hv, e, &pc))
        for (unsigned b = 0; b < 4; b++) /* RAM's words are little-endian */
            vmcb[CPU_VMCB_GUEST + CPU_VMCB_PC + b] = (uint8_t)(pc >> 8 * b);
    sim_snap_put(w, "VMCB", c, vmcb, sizeof vmcb);
    if (hv_bt_vcpu(hv, e))
        sim_snap_put(w, "BTST", c, hv->m->ram + e->bt.state, MMU_PAGE_SIZE);
}

int hv_vm_save(hv_t *hv, unsigned vm, const char *path, FILE *diag)
{
    char why[300];
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used) {
        fprintf(diag, "%s: error: there is no VM %u\n", path, vm);
        return -1;
    }
    if (cannot_save(hv, vm, why, sizeof why)) {
        fprintf(diag, "%s: error: %s\n", path, why);
        return -1;
    }
    const hv_vm_t *v = &hv->vms[vm];
    sim_snap_writer_t w;
    sim_snap_writer_init(&w, hv->m->cpu[0].s.cycles);
    sim_snap_info(&w, "made by", "hvsim 0.1");
    sim_snap_info(&w, "kind", "vm");
    sim_snap_info(&w, "vm", "%s", v->name);
    sim_snap_info(&w, "cycle", "%llu", (unsigned long long)hv->m->cpu[0].s.cycles);
    hv_vm_t copy = *v;
    if (v->cpu == HV_CPU_BT) { /* the cache stays behind: what the receiving host pays */
        hv_bt_stats_t *bt = &copy.stats.bt;
        bt->restore_dropped = 0;
        for (unsigned c = 0; c < v->nvcpus; c++)
            bt->restore_dropped += hv->ent[v->vcpu[c]].bt.nblocks;
    }
    copy.dev.transcript.text = copy.dev.input = NULL;
    copy.dev.transcript_file = NULL;
    copy.dev.disk.bytes = NULL;
    copy.dev.transcript.cap = 0;
    sim_snap_put(&w, "VM  ", 0, &copy, sizeof copy);
    for (unsigned c = 0; c < v->nvcpus; c++)
        save_vcpu(hv, &hv->ent[v->vcpu[c]], c, &w);
    save_memory(hv, vm, &w);
    save_timed(hv, vm, &w);
    const hv_vdev_t *d = &v->dev;
    sim_snap_put(&w, "VMTR", 0, d->transcript.text, d->transcript.text ? d->transcript.len : 0);
    sim_snap_put(&w, "VMIN", 0, d->input, d->input ? d->in_len : 0);
    sim_snap_put(&w, "VMDK", 0, d->disk.bytes, (size_t)d->disk.sectors * SIM_SECTOR_SIZE);
    int rc = sim_snap_write(&w, path, diag);
    sim_snap_writer_free(&w);
    return rc;
}

/* ==========================================================================================
 * Restore
 * ========================================================================================== */
typedef struct {
    const sim_snap_t *s;
    hv_vm_t vm;
    const sim_snap_section_t *map, *mem, *timed, *tr, *in, *disk;
    char *err;
    size_t errlen;
} vm_file_t;

/* Finds and checks every section of a VM snapshot against what the target can take. */
static int check_vm_file(hv_t *hv, vm_file_t *f)
{
    const sim_snap_t *s = f->s;
    const sim_snap_section_t *sec = sim_snap_need(s, "VM  ", 0, sizeof(hv_vm_t), f->err, f->errlen);
    if (!sec)
        return -1;
    memcpy(&f->vm, sec->data, sizeof f->vm);
    hv_vm_t *v = &f->vm;
    if (!SIM_SNAP_BOOL_OK(v->dev.uart_irq) || !memchr(v->name, '\0', sizeof v->name) ||
        v->nvcpus < 1 || v->nvcpus > HV_MAX_VCPUS || v->memory == 0 || v->memory % (64u << 10) ||
        v->dev.in_pos > v->dev.in_len || v->dev.line_len >= sizeof v->dev.line ||
        v->dev.disk.sectors > SIM_DISK_MAX_BYTES / SIM_SECTOR_SIZE || !sim_nic_sane(&v->dev.nic) ||
        !hv_pvnet_sane(v) || hv_technique_refusal(v->cpu, v->mem))
        return sim_snap_fail(s, sec, f->err, f->errlen,
                             "the VM's shape (name, VCPUs, memory, techniques, devices) is out "
                             "of range");
    if (hv_vm_by_name(hv, v->name) >= 0)
        return sim_snap_fail(s, sec, f->err, f->errlen,
                             "wrong machine: a VM named %s is here already", v->name);
    uint32_t pages = v->memory / MMU_PAGE_SIZE, backed = 0;
    if (!(f->map = sim_snap_need(s, "GMAP", 0, pages, f->err, f->errlen)) ||
        !(f->mem = sim_snap_need(s, "GMEM", 0, 0, f->err, f->errlen)) ||
        !(f->timed = sim_snap_need(s, "VTIM", 0, 0, f->err, f->errlen)) ||
        !(f->tr = sim_snap_need(s, "VMTR", 0, v->dev.transcript.len, f->err, f->errlen)) ||
        !(f->in = sim_snap_need(s, "VMIN", 0, v->dev.in_len, f->err, f->errlen)) ||
        !(f->disk = sim_snap_need(s, "VMDK", 0, (size_t)v->dev.disk.sectors * SIM_SECTOR_SIZE,
                                  f->err, f->errlen)))
        return -1;
    for (uint32_t p = 0; p < pages; p++)
        backed += f->map->data[p] != 0;
    if (f->mem->len != (uint64_t)backed * MMU_PAGE_SIZE || backed == 0)
        return sim_snap_fail(s, f->mem, f->err, f->errlen, "%llu bytes for %u backed pages",
                             (unsigned long long)f->mem->len, backed);
    if (f->timed->len % sizeof(hv_vm_timed_t) ||
        f->timed->len > SIM_MAX_TIMED * sizeof(hv_vm_timed_t))
        return sim_snap_fail(s, f->timed, f->err, f->errlen, "not a list of device events");
    for (unsigned c = 0; c < v->nvcpus; c++)
        if (!sim_snap_need(s, "VCPU", c, sizeof(hv_vcpu_t), f->err, f->errlen) ||
            !sim_snap_need(s, "VMCB", c, CPU_VMCB_SIZE, f->err, f->errlen) ||
            (v->cpu == HV_CPU_BT &&
             !sim_snap_need(s, "BTST", c, MMU_PAGE_SIZE, f->err, f->errlen)))
            return -1;
    return 0;
}

/* The configuration of the VM built to receive the saved one: its shape, its input and disk,
 * and the first backed page as its "program" (so that no other page is backed). */
static hv_vm_config_t receiving_config(const vm_file_t *f, char *input)
{
    const hv_vm_t *v = &f->vm;
    hv_vm_config_t c = {.name = v->name,
                        .vcpus = v->nvcpus,
                        .memory = v->memory,
                        .cpu = v->cpu,
                        .mem = v->mem,
                        .share = v->share,
                        .cap = v->cap,
                        .shadow_budget = v->shadow_budget,
                        .input = input};
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
        c.pin[i] = -1;
    uint32_t first = 0;
    while (!f->map->data[first])
        first++;
    c.program = f->mem->data;
    c.program_len = 4;
    c.program_base = first * MMU_PAGE_SIZE;
    c.disk = f->disk->len ? f->disk->data : NULL;
    c.disk_len = f->disk->len;
    return c;
}

/* The guest-visible words of a VMCB: the guest state area, the event to inject, the virtual
 * lines, whether the next entry is a return from the co-resident monitor, the last exit's
 * information, and the software area (trap-and-emulate's virtual mode and IE, emulation's
 * charged instructions, the counters). The rest (controls, nested root, VM id, the host area)
 * is the receiving host's, and so is the real ptroot under shadow paging: the shadow root
 * (the guest's own ptroot is the VCPU's shadow.guest_ptroot). */
static void copy_vmcb(hv_t *hv, const hv_vcpu_t *e, const uint8_t *saved)
{
    static const uint32_t ranges[][2] = {
        {CPU_VMCB_INJECT_VALID, CPU_VMCB_VIP + 4},
        {CPU_VMCB_MONITOR_RESUME, CPU_VMCB_MONITOR_RESUME + 4},
        {CPU_VMCB_GUEST, CPU_VMCB_GUEST + 4 * CPU_VMCB_STATE_WORDS},
        {CPU_VMCB_EXIT_REASON, CPU_VMCB_EXIT_INSN + 4},
        {HV_SW_VFLAGS, CPU_VMCB_SIZE},
    };
    uint32_t ptroot = CPU_VMCB_GUEST + CPU_VMCB_CSR(CPU_CSR_PTROOT);
    uint32_t real = cpu_vmcb_peek(&hv->m->cpu[0], e->vmcb, ptroot);
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        memcpy(hv->m->ram + e->vmcb + ranges[r][0], saved + ranges[r][0],
               ranges[r][1] - ranges[r][0]);
        sim_ram_written(hv->m, e->vmcb + ranges[r][0], ranges[r][1] - ranges[r][0]);
    }
    if (hv_shadow_vcpu(hv, e))
        hv_write32(hv, e->vmcb + ptroot, real);
}

/* What a VCPU's technique keeps outside its VMCB: under shadow paging the guest's ptroot (the
 * trees refill from it: the VCPU has none yet), under binary translation the monitor's state
 * page (the translation cache starts empty). */
static void carry_technique(hv_t *hv, hv_vcpu_t *e, const hv_vcpu_t *saved, const vm_file_t *f,
                            unsigned c)
{
    if (hv_shadow_vcpu(hv, e))
        e->shadow.guest_ptroot = saved->shadow.guest_ptroot;
    if (!hv_bt_vcpu(hv, e))
        return;
    memcpy(hv->m->ram + e->bt.state, sim_snap_find(f->s, "BTST", c)->data, MMU_PAGE_SIZE);
    sim_ram_written(hv->m, e->bt.state, MMU_PAGE_SIZE);
}

/* Carries the saved VM's guest-visible state into VM `idx`, just built for it; `delta` is
 * the receiving host's clock minus the saving host's. */
static void carry_state(hv_t *hv, unsigned idx, const vm_file_t *f, uint64_t delta)
{
    hv_vm_t *v = &hv->vms[idx];
    const hv_vm_t *o = &f->vm;
    uint32_t pages = o->memory / MMU_PAGE_SIZE;
    const uint8_t *page = f->mem->data;
    for (uint32_t p = 0; p < pages; p++)
        if (f->map->data[p]) {
            hv_copy_to_guest(hv, idx, p * MMU_PAGE_SIZE, page, MMU_PAGE_SIZE, "vm restore");
            page += MMU_PAGE_SIZE;
        }
    v->tsc_offset = o->tsc_offset + delta;
    v->stats = o->stats;
    v->bt_adapt = o->bt_adapt; /* its adapted store sites stay adapted where it goes */
    if (v->cpu == HV_CPU_BT) { /* counted from here: the blocks translated again */
        hv_bt_stats_t *bt = &v->stats.bt;
        bt->restores++;
        bt->restore_blocks = bt->blocks;
        bt->restore_insns = bt->insns_identical + bt->insns_inline + bt->insns_callout;
    }
    v->exit_code = o->exit_code;
    v->guest_swap_slots = o->guest_swap_slots; /* its disk, area included, came in the file */
    v->disk_late = o->disk_late;
    v->cap_used = 0;
    v->cap_period = hv->m->cpu[0].s.cycles;
    for (unsigned c = 0; c < v->nvcpus; c++) {
        hv_vcpu_t *e = &hv->ent[v->vcpu[c]];
        hv_vcpu_t saved;
        memcpy(&saved, sim_snap_find(f->s, "VCPU", c)->data, sizeof saved);
        copy_vmcb(hv, e, sim_snap_find(f->s, "VMCB", c)->data);
        carry_technique(hv, e, &saved, f, c);
        hv_write32(hv, e->vmcb + CPU_VMCB_TSC_OFFSET_LO, (uint32_t)v->tsc_offset);
        hv_write32(hv, e->vmcb + CPU_VMCB_TSC_OFFSET_HI, (uint32_t)(v->tsc_offset >> 32));
        e->vip = saved.vip;
        e->slices = saved.slices;
        e->timer_deadline = saved.timer_deadline ? saved.timer_deadline + delta : 0;
        e->state = HV_VCPU_STOPPED;
    }
    hv_vdev_t *d = &v->dev;
    const hv_vdev_t *od = &o->dev;
    memcpy(d->line, od->line, sizeof d->line);
    d->line_len = od->line_len;
    d->transcript.dropped = od->transcript.dropped;
    d->in_pos = od->in_pos;
    d->uart_irq = od->uart_irq;
    uint8_t *bytes = d->disk.bytes;
    uint16_t bus = d->disk.bus_index;
    d->disk = od->disk;
    d->disk.bytes = bytes;
    d->disk.bus_index = bus;
    d->disk.started += delta;
    v->state = HV_VM_PAUSED;
}

/* The saved console transcript replaces the new VM's (empty) one. */
static int carry_transcript(hv_vdev_t *d, const sim_snap_section_t *tr)
{
    char *t = malloc(tr->len + 1);
    if (!t)
        return -1;
    memcpy(t, tr->data, tr->len);
    t[tr->len] = '\0';
    free(d->transcript.text);
    d->transcript.text = t;
    d->transcript.len = tr->len;
    d->transcript.cap = tr->len + 1;
    return 0;
}

/* Its pending device events, due as far ahead as they were. */
static void carry_timed(hv_t *hv, unsigned idx, const sim_snap_section_t *sec)
{
    uint64_t now = hv->m->cpu[0].s.cycles;
    for (size_t i = 0; i < sec->len / sizeof(hv_vm_timed_t); i++) {
        hv_vm_timed_t t;
        memcpy(&t, sec->data + i * sizeof t, sizeof t);
        uint32_t what = t.kind == HV_TIMED_DISK ? HV_TIMED(HV_TIMED_DISK, idx)
                        : t.vcpu < hv->vms[idx].nvcpus
                            ? HV_TIMED(HV_TIMED_VTIMER, hv->vms[idx].vcpu[t.vcpu])
                            : 0;
        if (what && (t.kind == HV_TIMED_DISK || t.kind == HV_TIMED_VTIMER))
            sim_schedule(hv->m, now + t.in, hv->hub, what);
    }
}

int hv_vm_restore(hv_t *hv, const char *path, char *err, size_t errlen)
{
    sim_snap_t s;
    if (sim_snap_read(&s, path, err, errlen) != 0)
        return -1;
    vm_file_t f = {.s = &s, .err = err, .errlen = errlen};
    char kind[16] = "";
    int idx = -1;
    if (!sim_snap_info_get(&s, "kind", kind, sizeof kind) || strcmp(kind, "vm") != 0) {
        snprintf(err, errlen,
                 "%s: offset %u: the text block says no \"kind = vm\": a snapshot "
                 "of a whole machine, not of one VM (restore FILE takes those)",
                 path, SIM_SNAP_HEADER);
    } else if (check_vm_file(hv, &f) == 0) {
        char *input = malloc(f.in->len + 1);
        if (input) {
            memcpy(input, f.in->data, f.in->len);
            input[f.in->len] = '\0';
            hv_vm_config_t cfg = receiving_config(&f, f.in->len ? input : NULL);
            char why[300];
            idx = hv_vm_create(hv, &cfg, why, sizeof why);
            if (idx < 0)
                snprintf(err, errlen, "%s: the VM cannot be built here: %s", path, why);
            else if (carry_transcript(&hv->vms[idx].dev, f.tr) != 0) {
                hv_vm_destroy(hv, (unsigned)idx);
                snprintf(err, errlen, "%s: not enough memory", path);
                idx = -1;
            } else {
                carry_state(hv, (unsigned)idx, &f, hv->m->cpu[0].s.cycles - s.cycle);
                carry_timed(hv, (unsigned)idx, f.timed);
            }
        }
        free(input);
    }
    sim_snap_free(&s);
    return idx;
}
