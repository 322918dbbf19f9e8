/*
 * hv_snap_diff.c - what a snapshot holds (`hvsim snapshot info`) and what differs between two
 * (`hvsim snapshot diff`): the machine CPU by CPU and device by device, RAM page by page (each
 * page named by its owner when a hypervisor keeps the frame map), the disks sector by sector,
 * and the hypervisor VM by VM and VCPU by VCPU. It reads the sections as the loader does
 * (docs/snapshot.md), but never builds a machine.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

/* ---- snapshot info ------------------------------------------------------------------------ */
void hv_snapshot_info(const sim_snap_t *s, FILE *out)
{
    fprintf(out, "%s", s->info);
    char n[32];
    fprintf(out, "sections (%s bytes of state, uncompressed):\n",
            sim_group_digits(s->payload_len, n, sizeof n));
    for (size_t i = 0; i < s->nsec; i++)
        fprintf(out, "  %-4s %-3u %14s bytes\n", s->sec[i].tag, s->sec[i].index,
                sim_group_digits(s->sec[i].len, n, sizeof n));
}

/* ---- snapshot diff ------------------------------------------------------------------------ */
typedef struct {
    const sim_snap_t *a, *b;
    FILE *out;
    unsigned count; /* differences reported */
} differ_t;

static void say(differ_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(differ_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("  ", d->out);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    va_end(ap);
    d->count++;
}

/* A value that differs: "what: A -> B". */
static void field(differ_t *d, const char *what, uint64_t a, uint64_t b)
{
    if (a != b)
        say(d, "%s: %llu -> %llu", what, (unsigned long long)a, (unsigned long long)b);
}

static void hexfield(differ_t *d, const char *what, uint32_t a, uint32_t b)
{
    if (a != b)
        say(d, "%s: 0x%08x -> 0x%08x", what, a, b);
}

/* Blocks of `unit` bytes that differ between two buffers, as ranges; `name` labels each range
 * ("hpa", "sector") and owner (when not NULL) names whose a RAM page is. */
static void blocks(differ_t *d, const char *what, const uint8_t *a, uint64_t alen, const uint8_t *b,
                   uint64_t blen, uint32_t unit, const char *name, const uint8_t *owner,
                   const hv_t *hv)
{
    if (alen != blen) {
        say(d, "%s: %llu bytes -> %llu bytes", what, (unsigned long long)alen,
            (unsigned long long)blen);
        return;
    }
    uint64_t n = alen / unit, changed = 0, shown = 0;
    for (uint64_t i = 0; i < n;) {
        if (memcmp(a + i * unit, b + i * unit, unit) == 0) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < n && memcmp(a + j * unit, b + j * unit, unit) != 0 &&
               (!owner || owner[j] == owner[i]))
            j++;
        changed += j - i;
        if (shown++ < 12) {
            char whose[40] = "";
            if (owner && owner[i] >= HV_FRAME_VM(0) && owner[i] - 2 < HV_MAX_VMS)
                snprintf(whose, sizeof whose, " (%s)", hv->vms[owner[i] - 2].name);
            else if (owner && owner[i] == HV_FRAME_HV)
                snprintf(whose, sizeof whose, " (hypervisor)");
            if (unit == 1)
                say(d, "%s: bytes %llu..%llu differ", what, (unsigned long long)i,
                    (unsigned long long)(j - 1));
            else if (name[0] == 'h')
                say(d, "%s: %s 0x%08llx..0x%08llx differs%s", what, name,
                    (unsigned long long)(i * unit), (unsigned long long)(j * unit - 1), whose);
            else
                say(d, "%s: %s %llu..%llu differ", what, name, (unsigned long long)i,
                    (unsigned long long)(j - 1));
        }
        i = j;
    }
    if (shown > 12)
        say(d, "%s: ... %llu more ranges", what, (unsigned long long)(shown - 12));
    if (changed && unit > 1)
        fprintf(d->out, "  %s: %llu of %llu %s%s differ\n", what, (unsigned long long)changed,
                (unsigned long long)n, unit == MMU_PAGE_SIZE ? "page" : "sector",
                n == 1 ? "" : "s");
}

static const sim_snap_section_t *pair(differ_t *d, const char *tag, uint32_t index,
                                      const sim_snap_section_t **b)
{
    *b = sim_snap_find(d->b, tag, index);
    return sim_snap_find(d->a, tag, index);
}

/* A section that holds bytes (RAM, a disk, a console): compared by blocks. */
static void bytes_section(differ_t *d, const char *tag, uint32_t index, const char *what,
                          uint32_t unit, const char *name, const uint8_t *owner, const hv_t *hv)
{
    const sim_snap_section_t *sa, *sb;
    sa = pair(d, tag, index, &sb);
    if (!sa || !sb) {
        if (sa || sb)
            say(d, "%s: only in %s", what, sa ? "the first" : "the second");
        return;
    }
    blocks(d, what, sa->data, sa->len, sb->data, sb->len, unit, name, owner, hv);
}

static void cpu_diff(differ_t *d, unsigned i, const cpu_t *a, const cpu_t *b)
{
    char what[48];
    for (unsigned r = 0; r < CPU_NREGS; r++) {
        snprintf(what, sizeof what, "cpu%u r%u", i, r);
        hexfield(d, what, a->s.r[r], b->s.r[r]);
    }
    snprintf(what, sizeof what, "cpu%u pc", i);
    hexfield(d, what, a->s.pc, b->s.pc);
    snprintf(what, sizeof what, "cpu%u flags", i);
    hexfield(d, what, a->s.flags, b->s.flags);
    snprintf(what, sizeof what, "cpu%u cycles", i);
    field(d, what, a->s.cycles, b->s.cycles);
    snprintf(what, sizeof what, "cpu%u instructions", i);
    field(d, what, a->s.instret, b->s.instret);
    if (memcmp(&a->s.vm, &b->s.vm, sizeof a->s.vm) != 0)
        say(d, "cpu%u: its ring -1 state differs (guest mode, the loaded VMCB, exits)", i);
    unsigned tlb = 0;
    for (unsigned e = 0; e < MMU_TLB_MAX; e++)
        tlb += memcmp(&a->mmu.tlb.e[e], &b->mmu.tlb.e[e], sizeof a->mmu.tlb.e[e]) != 0;
    if (tlb)
        say(d, "cpu%u: %u TLB entries differ", i, tlb);
    if (memcmp(&a->mmu.pwc, &b->mmu.pwc, sizeof a->mmu.pwc) != 0)
        say(d, "cpu%u: its page-walk cache differs", i);
}

/* The machine: CPUs, devices, RAM, the disk. */
static void machine_diff(differ_t *d, const uint8_t *owner, const hv_t *hv)
{
    const sim_snap_section_t *sa, *sb;
    sa = pair(d, "MACH", 0, &sb);
    if (!sa || !sb || sa->len != sizeof(sim_machine_t) || sb->len != sa->len) {
        say(d, "the machines cannot be compared (a section is missing or of another build)");
        return;
    }
    sim_machine_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (a && b) {
        memcpy(a, sa->data, sizeof *a);
        memcpy(b, sb->data, sizeof *b);
        field(d, "pCPUs", a->ncpus, b->ncpus);
        for (unsigned i = 0; i < a->ncpus && i < b->ncpus && i < SIM_MAX_CPUS; i++)
            cpu_diff(d, i, &a->cpu[i], &b->cpu[i]);
        field(d, "powered off", a->powered_off, b->powered_off);
        field(d, "console: bytes written", a->console.capture.len + a->console.capture.dropped,
              b->console.capture.len + b->console.capture.dropped);
        field(d, "console: input read", a->console.in_pos, b->console.in_pos);
        a->disk.bytes = b->disk.bytes = NULL;
        if (memcmp(&a->disk, &b->disk, sizeof a->disk) != 0)
            say(d, "disk controller: its registers or counters differ (command in flight, "
                   "status)");
        if (memcmp(&a->iommu, &b->iommu, sizeof a->iommu) != 0)
            say(d, "IOMMU: its contexts, IOTLB, fault log or counters differ");
        field(d, "timed device events pending", a->ntimed, b->ntimed);
    }
    free(a);
    free(b);
    bytes_section(d, "RAM ", 0, "RAM", MMU_PAGE_SIZE, "hpa", owner, hv);
    bytes_section(d, "DIMG", 0, "disk", SIM_SECTOR_SIZE, "sectors", NULL, NULL);
}

static void vm_diff(differ_t *d, const hv_t *a, const hv_t *b, unsigned i)
{
    const hv_vm_t *va = &a->vms[i], *vb = &b->vms[i];
    if (!va->used || !vb->used) {
        if (va->used || vb->used)
            say(d, "VM %s: only in the %s", va->used ? va->name : vb->name,
                va->used ? "first" : "second");
        return;
    }
    if (va->state != vb->state)
        say(d, "VM %s: %s -> %s", va->name, hv_vm_state_name(va->state),
            hv_vm_state_name(vb->state));
    char what[64];
    snprintf(what, sizeof what, "VM %s: frames", va->name);
    field(d, what, va->frames, vb->frames);
    snprintf(what, sizeof what, "VM %s: console", va->name);
    bytes_section(d, "VMTR", i, what, 1, "", NULL, NULL);
    snprintf(what, sizeof what, "VM %s: disk", va->name);
    bytes_section(d, "VMDK", i, what, SIM_SECTOR_SIZE, "sectors", NULL, NULL);
    for (unsigned c = 0; c < va->nvcpus && c < vb->nvcpus; c++) {
        const hv_vcpu_t *ea = &a->ent[va->vcpu[c]], *eb = &b->ent[vb->vcpu[c]];
        if (ea->state != eb->state)
            say(d, "VM %s vcpu%u: %s -> %s", va->name, c, hv_vcpu_state_name(ea->state),
                hv_vcpu_state_name(eb->state));
        snprintf(what, sizeof what, "VM %s vcpu%u: time slices", va->name, c);
        field(d, what, ea->slices, eb->slices);
        if (memcmp(&ea->shadow, &eb->shadow, sizeof ea->shadow) != 0)
            say(d, "VM %s vcpu%u: its shadow page tables' bookkeeping differs", va->name, c);
        if (memcmp(&ea->bt, &eb->bt, sizeof ea->bt) != 0)
            say(d, "VM %s vcpu%u: its translation cache differs", va->name, c);
    }
}

int hv_snapshot_diff(const sim_snap_t *a, const sim_snap_t *b, FILE *out)
{
    differ_t d = {.a = a, .b = b, .out = out};
    char ca[64] = "", cb[64] = "";
    sim_snap_info_get(a, "scenario", ca, sizeof ca);
    sim_snap_info_get(b, "scenario", cb, sizeof cb);
    fprintf(out, "%s (cycle %llu) -> %s (cycle %llu)\n", a->name, (unsigned long long)a->cycle,
            b->name, (unsigned long long)b->cycle);
    if (strcmp(ca, cb) != 0)
        say(&d, "scenario: %s -> %s", ca, cb);
    const sim_snap_section_t *ha, *hb, *own = sim_snap_find(b, "HVOW", 0);
    ha = pair(&d, "HV  ", 0, &hb);
    hv_t *hva = NULL, *hvb = NULL;
    if (ha && hb && ha->len == sizeof(hv_t) && hb->len == sizeof(hv_t) &&
        (hva = malloc(sizeof *hva)) && (hvb = malloc(sizeof *hvb))) {
        memcpy(hva, ha->data, sizeof *hva);
        memcpy(hvb, hb->data, sizeof *hvb);
    } else if (ha || hb) {
        say(&d, "the hypervisor is only in one of them, or of another build");
    }
    bool owners = hvb && own && own->len == hvb->nframes;
    fprintf(out, "machine:\n");
    machine_diff(&d, owners ? own->data : NULL, hvb);
    if (hva && hvb) {
        fprintf(out, "hypervisor:\n");
        unsigned before = d.count;
        for (unsigned i = 0; i < HV_MAX_VMS; i++)
            vm_diff(&d, hva, hvb, i);
        for (unsigned c = 0; c < SIM_MAX_CPUS; c++)
            if (hva->pcpu[c].current != hvb->pcpu[c].current)
                say(&d, "pCPU%u runs entity %d -> %d", c, hva->pcpu[c].current,
                    hvb->pcpu[c].current);
        if (d.count == before) /* a header with nothing under it would look like a cut list */
            fprintf(out, "  its VMs and pCPUs are as they were\n");
    }
    free(hva);
    free(hvb);
    fprintf(out, d.count ? "%u differences\n" : "the same machine\n", d.count);
    return (int)d.count;
}
