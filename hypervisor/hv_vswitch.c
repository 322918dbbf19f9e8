/*
 * hv_vswitch.c - each VM's virtual network card and the virtual switch that connects them.
 *
 * Lecture idea: one network, many virtual machines on it. Every VM gets a network card with the
 * same registers, rings and rules as the physical one (sim/sim_nic.h: the model is shared), so
 * an unmodified driver runs on it; this is the emulated I/O path: every register access is a VM
 * exit and the hypervisor's device model answers it. The card's DMA is the hypervisor copying
 * through the VM's nested mapping (remapped to the VM's own memory, never anywhere else), and
 * its interrupt is a virtual line of the VM's first VCPU.
 *
 * A frame a VM sends goes into the virtual switch, a learning Ethernet switch in the
 * hypervisor: it learns which port each source MAC address came in on, forwards a frame to the
 * port its destination was learned on, and floods frames to unknown, broadcast and multicast
 * destinations to every other port. Port 1 + i is VM i's card; port 0 is the uplink to the
 * physical card and the peer host beyond it (hv_uplink.c). What crosses the switch can be
 * written to a .pcap file (libpcap) that Wireshark and tcpdump open.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD type names (u_int, u_char) */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "hv_internal.h"

/* ------------------------------------------------------------------------------------------
 * A VM's card: the shared model plugged into the VM
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    hv_t *hv;
    unsigned vm;
} vnic_ctx_t;

static bool vnic_dma(void *ctx, bool to_memory, uint32_t gpa, void *buf, uint32_t len, uint64_t at,
                     uint64_t *cycles)
{
    const vnic_ctx_t *c = ctx;
    (void)at, (void)cycles; /* the copy is the model's: its time is the frame's wire time */
    return to_memory ? hv_copy_to_guest(c->hv, c->vm, gpa, buf, len, "the virtual NIC's DMA")
                     : hv_copy_from_guest(c->hv, c->vm, gpa, buf, len, "the virtual NIC's DMA");
}

static void vnic_irq(void *ctx, bool level, uint64_t now)
{
    (void)now;                 /* hv_virq acts at once */
    const vnic_ctx_t *c = ctx; /* device lines go to vcpu0, as to CPU 0 natively */
    hv_virq(c->hv, hv_vcpu_of(c->hv, c->vm, 0), SIM_NIC_IRQ, level);
}

/* The frame leaves when it has, and when the VM's network bandwidth (net_bw) lets it: until
 * then it stays in flight on the card (TX_BUSY). */
static void vnic_schedule(void *ctx, uint64_t at)
{
    const vnic_ctx_t *c = ctx;
    hv_vm_t *v = &c->hv->vms[c->vm];
    at = hv_limit_pace(&v->net_limit, v->dev.nic.tx_len, at);
    SIM_ASSERT(sim_schedule(c->hv->m, at, c->hv->hub, HV_TIMED(HV_TIMED_NIC, c->vm)) == 0);
}

static void vnic_cancel(void *ctx)
{
    const vnic_ctx_t *c = ctx;
    sim_unschedule(c->hv->m, c->hv->hub, HV_TIMED(HV_TIMED_NIC, c->vm));
}

static void vnic_transmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now)
{
    const vnic_ctx_t *c = ctx;
    hv_vswitch_input(c->hv, HV_SWITCH_VM_PORT(c->vm), frame, len, now);
}

/* The environment lives as long as the call that uses it (ctx points at the caller's). */
static sim_nic_env_t vnic_env(vnic_ctx_t *c)
{
    return (sim_nic_env_t){.ctx = c,
                           .vm = (int)c->vm,
                           .dma = vnic_dma,
                           .irq = vnic_irq,
                           .schedule = vnic_schedule,
                           .cancel = vnic_cancel,
                           .transmit = vnic_transmit};
}

void hv_vnic_init(hv_t *hv, unsigned vm)
{
    uint8_t mac[6] = {0x02, 0x00, 0x00, 0x01, 0x00, (uint8_t)(vm + 1)};
    sim_nic_reset(&hv->vms[vm].dev.nic, mac);
}

uint32_t hv_vnic_read(hv_t *hv, unsigned vm, unsigned reg)
{
    return sim_nic_read(&hv->vms[vm].dev.nic, reg);
}

void hv_vnic_write(hv_t *hv, unsigned vm, unsigned reg, uint32_t value)
{
    vnic_ctx_t c = {hv, vm};
    sim_nic_env_t env = vnic_env(&c);
    sim_nic_write(hv->m, &env, &hv->vms[vm].dev.nic, reg, value, hv->cur->s.cycles);
}

void hv_vnic_sent(hv_t *hv, unsigned vm, uint64_t now)
{
    vnic_ctx_t c = {hv, vm};
    sim_nic_env_t env = vnic_env(&c);
    sim_nic_sent(hv->m, &env, &hv->vms[vm].dev.nic, now);
}

/* ------------------------------------------------------------------------------------------
 * The switch
 * ------------------------------------------------------------------------------------------ */
static bool same_mac(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 6) == 0;
}

/* Learns that `mac` is behind `port`: its entry is updated, or a free one (or the oldest) is
 * taken. A multicast source is not an address a station has: it is not learned. */
static void learn(hv_vswitch_t *sw, const uint8_t *mac, unsigned port, uint64_t now)
{
    if (mac[0] & 1)
        return;
    hv_mac_entry_t *slot = NULL;
    for (unsigned i = 0; i < HV_SWITCH_MACS; i++) {
        hv_mac_entry_t *e = &sw->table[i];
        if (e->used && same_mac(e->mac, mac)) {
            slot = e;
            break;
        }
        if (!slot || (slot->used && (!e->used || e->seen < slot->seen)))
            slot = e;
    }
    if (!slot->used || !same_mac(slot->mac, mac) || slot->port != port)
        sw->learned++;
    memcpy(slot->mac, mac, 6);
    slot->port = (uint8_t)port;
    slot->used = 1;
    slot->seen = now;
}

int hv_vswitch_lookup(const hv_t *hv, const uint8_t mac[6])
{
    for (unsigned i = 0; i < HV_SWITCH_MACS; i++) {
        const hv_mac_entry_t *e = &hv->vswitch.table[i];
        if (e->used && same_mac(e->mac, mac))
            return e->port;
    }
    return -1;
}

/* A port that can take a frame: the uplink, or a running VM's card. */
static bool port_up(const hv_t *hv, unsigned port)
{
    unsigned vm = port - HV_SWITCH_VM_PORT(0);
    if (port == HV_SWITCH_UPLINK)
        return true;
    return vm < HV_MAX_VMS && hv->vms[vm].used && hv->vms[vm].state == HV_VM_RUNNING &&
           (!hv->vms[vm].nic_pv || hv_pvnet_port_up(hv, vm));
}

static void output(hv_t *hv, unsigned port, const uint8_t *frame, uint32_t len, uint64_t now)
{
    hv->vswitch.out[port]++;
    if (port == HV_SWITCH_UPLINK) {
        hv_uplink_send(hv, frame, len, now);
        return;
    }
    vnic_ctx_t c = {hv, port - HV_SWITCH_VM_PORT(0)};
    if (hv->vms[c.vm].nic_pv) {
        hv_pvnet_deliver(hv, c.vm, frame, len, now);
        return;
    }
    sim_nic_env_t env = vnic_env(&c);
    sim_nic_deliver(hv->m, &env, &hv->vms[c.vm].dev.nic, frame, len, now);
}

static void capture(hv_t *hv, const uint8_t *frame, uint32_t len, uint64_t now);

void hv_vswitch_input(hv_t *hv, unsigned port, const uint8_t *frame, uint32_t len, uint64_t now)
{
    hv_vswitch_t *sw = &hv->vswitch;
    SIM_ASSERT(port < HV_SWITCH_PORTS && len >= SIM_NIC_MIN_FRAME);
    sw->in[port]++;
    capture(hv, frame, len, now);
    learn(sw, frame + 6, port, now);
    int to = frame[0] & 1 ? -1 : hv_vswitch_lookup(hv, frame);
    if (to == (int)port) { /* the destination is on the port it came from: not ours to send */
        sw->filtered++;
        return;
    }
    if (to >= 0) {
        sw->forwarded++;
        if (port_up(hv, (unsigned)to))
            output(hv, (unsigned)to, frame, len, now);
        return;
    }
    sw->flooded++;
    for (unsigned p = 0; p < HV_SWITCH_PORTS; p++)
        if (p != port && port_up(hv, p))
            output(hv, p, frame, len, now);
}

/* ------------------------------------------------------------------------------------------
 * The capture: a .pcap file, written to a temporary file and renamed when it is complete
 * ------------------------------------------------------------------------------------------ */
/* Timestamps are the cycle a frame entered the switch, read as nanoseconds (a 1 GHz clock):
 * deterministic, and a frame's place in time reads directly in Wireshark. */
static void capture(hv_t *hv, const uint8_t *frame, uint32_t len, uint64_t now)
{
    if (!hv->pcap)
        return;
    struct pcap_pkthdr h = {.caplen = len, .len = len};
    h.ts.tv_sec = (time_t)(now / 1000000000u);
    h.ts.tv_usec = (suseconds_t)(now % 1000000000u); /* nanoseconds: the file says so */
    pcap_dump((u_char *)hv->pcap, &h, frame);
    hv->vswitch.captured++;
}

int hv_vswitch_capture(hv_t *hv, const char *path, FILE *diag)
{
    if (hv->pcap || strlen(path) + 8 > sizeof hv->pcap_tmp) {
        fprintf(diag, "%s: error: %s\n", path,
                hv->pcap ? "a capture is being written already" : "the path is too long");
        return -1;
    }
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SIM_NIC_MAX_FRAME,
                                                        PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) {
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    snprintf(hv->pcap_tmp, sizeof hv->pcap_tmp, "%s.tmp", path);
    snprintf(hv->pcap_path, sizeof hv->pcap_path, "%s", path);
    hv->pcap = pcap_dump_open(dead, hv->pcap_tmp);
    if (!hv->pcap)
        fprintf(diag, "%s: error: cannot write the capture: %s\n", path, pcap_geterr(dead));
    pcap_close(dead); /* the dumper keeps what it needs */
    return hv->pcap ? 0 : -1;
}

int hv_vswitch_capture_end(hv_t *hv, FILE *diag)
{
    if (!hv->pcap)
        return 0;
    bool ok = pcap_dump_flush(hv->pcap) == 0;
    pcap_dump_close(hv->pcap);
    hv->pcap = NULL;
    if (ok && rename(hv->pcap_tmp, hv->pcap_path) == 0)
        return 0;
    if (diag)
        fprintf(diag, "%s: error: cannot write the capture: %s\n", hv->pcap_path, strerror(errno));
    remove(hv->pcap_tmp);
    return -1;
}
