/*
 * hv_pvnet.c - the paravirtual network card: a shared ring in guest memory and one
 * notification per batch.
 *
 * Lecture idea: paravirtual I/O (virtio). The emulated card (hv_vswitch.c) makes every register
 * access of an unmodified driver a VM exit. A guest that knows it is virtual can do better: it
 * puts its frames into queues in its own memory that the hypervisor reads directly, and calls
 * the hypervisor once for a whole batch (a hypercall: the "kick"). Nothing is a device register,
 * so nothing else exits; completions need no register either, since the hypervisor writes them
 * into the same memory. The queues are of this project's own design, in virtio's shape: a
 * descriptor table, an available ring the driver fills and a used ring the hypervisor fills,
 * each with a free-running index.
 *
 * The page the driver gives at set-up (4 KiB, guest-physical, page-aligned):
 *
 *   +0x000 MAC_LO    the card's address, bytes 0..3   (the hypervisor writes them at set-up)
 *   +0x004 MAC_HI    bytes 4..5
 *   +0x008 RX_SEEN   the receive queue's used index when the driver last looked (the driver)
 *   +0x100 the transmit queue      +0x200 the receive queue
 *
 * A queue (HV_PVNET_QSIZE = 8 entries; `i mod 8` is an index's slot):
 *
 *   +0x00 DESC[8]        {ADDR (gpa), LEN}: a buffer; transmit: the frame's length, receive:
 *                        the buffer's size                                    (the driver)
 *   +0x40 AVAIL_IDX      how many buffers the driver has made available     (the driver)
 *   +0x44 AVAIL_RING[8]  the descriptor number of each                      (the driver)
 *   +0x80 USED_IDX       how many the hypervisor has used                   (the hypervisor)
 *   +0x84 USED_RING[8]   {ID, LEN}: the descriptor and the bytes written (receive), or the
 *                        frame's length (transmit); LEN 0: the buffer was bad (the hypervisor)
 *
 * Hypercalls (r1 = the call, r2 = its argument, the answer in r1): 16 PVNET_SETUP (r2 = the
 * page: answers 0, or -1 for a page that is not the VM's memory) and 17 PVNET_NOTIFY, the kick:
 * every frame made available on the transmit queue goes into the virtual switch now, and the
 * card's interrupt is acknowledged. Receive buffers need no kick: the hypervisor looks at the
 * receive queue's available ring when a frame comes. A frame that comes raises line 11 of vcpu0
 * (the emulated card's line); the kick lowers it, unless a frame came after RX_SEEN.
 */
#include <stdio.h>
#include <string.h>

#include "hv_internal.h"

#define PV_MAC_LO 0x000u
#define PV_MAC_HI 0x004u
#define PV_RX_SEEN 0x008u
#define PV_QUEUE(q) (0x100u + 0x100u * (q)) /* q: 0 transmit, 1 receive */
#define PV_DESC(i) (8u * (i))
#define PV_AVAIL_IDX 0x40u
#define PV_AVAIL_RING(slot) (0x44u + 4u * (slot))
#define PV_USED_IDX 0x80u
#define PV_USED_RING(slot) (0x84u + 8u * (slot))
#define PV_TX 0
#define PV_RX 1

/* ------------------------------------------------------------------------------------------
 * The shared page: words the hypervisor reads and writes, hv_mem each
 * ------------------------------------------------------------------------------------------ */
static bool pv_get(hv_t *hv, unsigned vm, uint32_t off, uint32_t *value)
{
    uint8_t b[4];
    hv_charge(hv, SIM_COST_hv_mem);
    if (!hv_copy_from_guest(hv, vm, hv->vms[vm].dev.pvnet.page + off, b, 4, "the pv queues"))
        return false;
    *value = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static bool pv_put(hv_t *hv, unsigned vm, uint32_t off, uint32_t value)
{
    uint8_t b[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                    (uint8_t)(value >> 24)};
    hv_charge(hv, SIM_COST_hv_mem);
    return hv_copy_to_guest(hv, vm, hv->vms[vm].dev.pvnet.page + off, b, 4, "the pv queues");
}

/* A frame's bytes copied by the hypervisor: a read and a write of each word, hv_mem each. */
static void charge_copy(hv_t *hv, uint32_t len)
{
    for (uint32_t w = 0; w < 2 * ((len + 3) / 4); w++)
        hv_charge(hv, SIM_COST_hv_mem);
}

/* The queue's next available buffer (its descriptor number, address and length) when the
 * driver has made one available; false when none is, or the queue is broken (an index that
 * ran more than a ring ahead, a descriptor number outside the table): then `broken` is set. */
static bool next_avail(hv_t *hv, unsigned vm, unsigned q, uint32_t *id, uint32_t *addr,
                       uint32_t *len, bool *broken)
{
    /* LAB 7 BEGIN: the entry at avail[q], if the driver's AVAIL_IDX is past it; check the queue */
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    uint32_t base = PV_QUEUE(q), idx;
    *broken = !pv_get(hv, vm, base + PV_AVAIL_IDX, &idx) || idx - p->avail[q] > HV_PVNET_QSIZE;
    if (*broken || idx == p->avail[q])
        return false;
    uint32_t slot = p->avail[q] % HV_PVNET_QSIZE;
    *broken = !pv_get(hv, vm, base + PV_AVAIL_RING(slot), id) || *id >= HV_PVNET_QSIZE ||
              !pv_get(hv, vm, base + PV_DESC(*id), addr) ||
              !pv_get(hv, vm, base + PV_DESC(*id) + 4, len);
    if (!*broken)
        p->avail[q]++;
    return !*broken;
    /* LAB 7 STUB: (void)q, (void)id, (void)addr, (void)len; */
    /* LAB 7 STUB: *broken = false; */
    /* LAB 7 STUB: return hv_lab_missing(hv, hv_vcpu_of(hv, vm, 0), 7, "next_avail"); */
    /* LAB 7 END */
}

/* The buffer goes back to the driver on the used ring, with `len` bytes (0: it was bad). */
static void put_used(hv_t *hv, unsigned vm, unsigned q, uint32_t id, uint32_t len)
{
    /* LAB 7 BEGIN: the used entry {id, len} in its slot first, then the used index */
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    uint32_t base = PV_QUEUE(q), slot = p->used[q] % HV_PVNET_QSIZE;
    pv_put(hv, vm, base + PV_USED_RING(slot), id);
    pv_put(hv, vm, base + PV_USED_RING(slot) + 4, len);
    pv_put(hv, vm, base + PV_USED_IDX, ++p->used[q]);
    /* LAB 7 STUB: (void)q, (void)id, (void)len; */
    /* LAB 7 STUB: hv_lab_missing(hv, hv_vcpu_of(hv, vm, 0), 7, "put_used"); */
    /* LAB 7 END */
}

/* A buffer of queue q is done: back on the used ring with the frame's `len` bytes, the copy
 * charged, the frame counted and told as a `nic` event; len 0: it was bad, an error. Returns
 * whether the frame went. */
static bool buffer_done(hv_t *hv, unsigned vm, unsigned q, uint32_t id, uint32_t len, uint64_t now)
{
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    put_used(hv, vm, q, id, len);
    if (!len) {
        p->errors++;
        return false;
    }
    charge_copy(hv, len);
    *(q == PV_TX ? &p->sent : &p->received) += 1;
    p->bytes += len;
    sim_nic_emit(hv->m, (int)vm, now, q == PV_TX ? SIM_NIC_EV_SEND : SIM_NIC_EV_RECEIVE, id, len);
    return true;
}

/* A broken queue stops the card, as a virtio device that needs a reset: a guest's mistake,
 * counted, never the simulator's. */
static void broken_queue(hv_t *hv, unsigned vm)
{
    hv->vms[vm].dev.pvnet.up = 0;
    hv->vms[vm].dev.pvnet.errors++;
}

/* ------------------------------------------------------------------------------------------
 * The hypercalls
 * ------------------------------------------------------------------------------------------ */
int32_t hv_pvnet_setup(hv_t *hv, unsigned vm, uint32_t page)
{
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    if (!hv->vms[vm].nic_pv || (page & MMU_PAGE_OFFSET) || page >= hv->vms[vm].memory)
        return -1;
    memset(p, 0, sizeof *p);
    p->page = page;
    const uint8_t *mac = hv->vms[vm].dev.nic.mac;
    p->up = pv_put(hv, vm, PV_MAC_LO,
                   (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 |
                       (uint32_t)mac[3] << 24) &&
            pv_put(hv, vm, PV_MAC_HI, (uint32_t)mac[4] | (uint32_t)mac[5] << 8);
    return p->up ? 0 : -1;
}

/* One transmit buffer into the switch: copied out of the guest's buffer now (the hypervisor's
 * copy is the only transfer; there is no wire between a VM and the switch). Returns whether a
 * frame went (a bad buffer comes back with length 0). */
static bool transmit_one(hv_t *hv, unsigned vm, uint32_t id, uint32_t addr, uint32_t len,
                         uint64_t now)
{
    uint8_t frame[SIM_NIC_MAX_FRAME];
    bool ok = len >= SIM_NIC_MIN_FRAME && len <= SIM_NIC_MAX_FRAME &&
              hv_copy_from_guest(hv, vm, addr, frame, len, "the pv transmit queue");
    if (!buffer_done(hv, vm, PV_TX, id, ok ? len : 0, now))
        return false;
    hv_vswitch_input(hv, HV_SWITCH_VM_PORT(vm), frame, len, now);
    return true;
}

/* net_bw, as for the emulated card: a frame goes no sooner than its share of time after the one
 * before. One that must wait is held (taken from the available ring, its buffer not yet
 * used: the driver sees it in flight) and the queue stops behind it until then. */
static bool held_back(hv_t *hv, unsigned vm, uint32_t id, uint32_t addr, uint32_t len, uint64_t now)
{
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    bool good = len >= SIM_NIC_MIN_FRAME && len <= SIM_NIC_MAX_FRAME; /* a bad one costs none */
    uint64_t at = good ? hv_limit_pace(&hv->vms[vm].net_limit, len, now) : now;
    if (at <= now)
        return false;
    p->held = 1;
    p->held_id = id;
    p->held_addr = addr;
    p->held_len = len;
    p->held_until = at;
    SIM_ASSERT(sim_schedule(hv->m, at, hv->hub, HV_TIMED(HV_TIMED_PVNET, vm)) == 0);
    return true;
}

/* Each frame the transmit queue holds into the switch, unless net_bw holds one back. */
static unsigned transmit_all(hv_t *hv, unsigned vm, uint64_t now)
{
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    uint32_t id = 0, addr = 0, len = 0;
    bool broken = false;
    unsigned n = 0;
    if (p->held && p->held_until <= now) { /* its time has come (normally its own event) */
        p->held = 0;
        n += transmit_one(hv, vm, p->held_id, p->held_addr, p->held_len, now);
    }
    while (p->up && !p->held && next_avail(hv, vm, PV_TX, &id, &addr, &len, &broken))
        if (!held_back(hv, vm, id, addr, len, now))
            n += transmit_one(hv, vm, id, addr, len, now);
    if (broken)
        broken_queue(hv, vm);
    return n;
}

void hv_pvnet_timed(hv_t *hv, unsigned vm, uint64_t now)
{
    if (hv->vms[vm].dev.pvnet.up)
        transmit_all(hv, vm, now);
}

int32_t hv_pvnet_notify(hv_t *hv, hv_vcpu_t *v)
{
    unsigned vm = (unsigned)v->vm;
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    if (!p->up)
        return -1;
    p->notifies++;
    uint64_t now = hv->cur ? hv->cur->s.cycles : hv->now;
    unsigned sent = transmit_all(hv, vm, now);
    if (sent) {
        p->batches++;
        if (sent > p->largest)
            p->largest = sent;
    }
    uint32_t seen = 0;
    bool again = p->up && pv_get(hv, vm, PV_RX_SEEN, &seen) && seen != p->used[PV_RX];
    hv_vcpu_t *irq_vcpu = hv_vcpu_of(hv, vm, 0); /* the card's line goes to vcpu0 */
    hv_virq(hv, irq_vcpu, SIM_NIC_IRQ, false);   /* the kick acknowledges the interrupt ... */
    if (again) /* ... unless a frame came after the driver looked */
        hv_virq(hv, irq_vcpu, SIM_NIC_IRQ, true);
    hv_action(hv, v, SIM_HV_PV_NOTIFY, sent, p->used[PV_RX]);
    return p->up ? (int32_t)sent : -1;
}

/* ------------------------------------------------------------------------------------------
 * Frames from the switch
 * ------------------------------------------------------------------------------------------ */
bool hv_pvnet_port_up(const hv_t *hv, unsigned vm)
{
    return hv->vms[vm].dev.pvnet.up;
}

void hv_pvnet_deliver(hv_t *hv, unsigned vm, const uint8_t *frame, uint32_t len, uint64_t now)
{
    hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    uint32_t id = 0, addr = 0, size = 0;
    bool broken = false;
    if (!next_avail(hv, vm, PV_RX, &id, &addr, &size, &broken)) {
        if (broken)
            broken_queue(hv, vm);
        else
            p->rx_drops++; /* no buffer: the driver has not given one back yet */
        return;
    }
    bool ok = size >= len && hv_copy_to_guest(hv, vm, addr, frame, len, "the pv receive queue");
    if (buffer_done(hv, vm, PV_RX, id, ok ? len : 0, now))
        hv_virq(hv, hv_vcpu_of(hv, vm, 0), SIM_NIC_IRQ, true);
}

/* ------------------------------------------------------------------------------------------
 * Snapshots and statistics
 * ------------------------------------------------------------------------------------------ */
bool hv_pvnet_sane(const hv_vm_t *v)
{
    const hv_pvnet_t *p = &v->dev.pvnet;
    if (p->up == 0)
        return true;
    return p->up == 1 && p->held <= 1 && v->nic_pv && !(p->page & MMU_PAGE_OFFSET) &&
           p->page < v->memory;
}

/* "  transmit  16  16  16": a queue's indices, the driver's first (read, nothing charged). */
static void print_queue(hv_t *hv, unsigned vm, unsigned q, FILE *out)
{
    const hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    uint8_t b[4];
    char avail[16] = "?";
    if (hv_peek_guest(hv, vm, p->page + PV_QUEUE(q) + PV_AVAIL_IDX, b, 4))
        snprintf(avail, sizeof avail, "%u",
                 (unsigned)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24));
    fprintf(out, "  %-9s %14s  %8u  %8u\n", q == PV_TX ? "transmit" : "receive", avail, p->avail[q],
            p->used[q]);
}

void hv_pvnet_print(hv_t *hv, unsigned vm, FILE *out)
{
    const hv_vm_t *v = &hv->vms[vm];
    const hv_pvnet_t *p = &v->dev.pvnet;
    const uint8_t *mac = v->dev.nic.mac;
    char b[6][48];
    fprintf(out, "%s's paravirtual NIC %02x:%02x:%02x:%02x:%02x:%02x (switch port %u): ", v->name,
            mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], HV_SWITCH_VM_PORT(vm));
    if (!p->up) {
        fprintf(out, "%s\n",
                p->errors ? "stopped (a queue broke: set it up again)"
                          : "not set up by its driver");
        return;
    }
    fprintf(out, "up, shared page at gpa 0x%08x\n", p->page);
    fprintf(out, "  %-9s %14s  %8s  %8s\n", "queue", "made available", "taken", "used");
    print_queue(hv, vm, PV_TX, out);
    print_queue(hv, vm, PV_RX, out);
    fprintf(out, "  %s (kicks), %s sent a batch (at most %s); %s sent in all",
            sim_counted(p->notifies, "notification", b[0], 48),
            sim_group_digits(p->batches, b[1], 48), sim_counted(p->largest, "frame", b[2], 48),
            sim_counted(p->sent, "frame", b[3], 48));
    if (p->held)
        fprintf(out, "; a frame of %u bytes held back by net_bw until cycle %s", p->held_len,
                sim_group_digits(p->held_until, b[0], 48));
    fprintf(out, "\n  received %s (%s both ways), %s dropped (no buffer), %s\n",
            sim_counted(p->received, "frame", b[4], 48), sim_counted(p->bytes, "byte", b[5], 48),
            sim_group_digits(p->rx_drops, b[0], 48),
            p->errors ? "errors in its queues" : "no error");
}

void hv_pvnet_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_pvnet_t *p = &hv->vms[vm].dev.pvnet;
    if (!hv->vms[vm].nic_pv)
        return;
    char b[5][48];
    fprintf(out, "    nic (paravirtual): %s sent, %s received (%s), %s; %s dropped, %s\n",
            sim_counted(p->sent, "frame", b[0], 48), sim_counted(p->received, "frame", b[1], 48),
            sim_counted(p->bytes, "byte", b[2], 48),
            sim_counted(p->notifies, "notification", b[3], 48),
            sim_counted(p->rx_drops, "frame", b[4], 48),
            p->errors ? "errors in its queues" : "no error");
}
