/*
 * debug_net.c - the network as the debugger shows it (`info nic`): the physical card's rings,
 * status and counters, the peer host at the other end of its cable, and under a hypervisor each
 * VM's virtual card, the virtual switch (which address was learned on which port, and what it
 * forwarded, flooded and filtered) and its uplink to the physical card.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "debug_internal.h"

static void print_ring(FILE *out, const char *name, const sim_nic_ring_t *ring)
{
    uint32_t in_use = ring->size ? (ring->tail + ring->size - ring->head) % ring->size : 0;
    fprintf(out, "  %-9s 0x%08x  %4u  %4u  %4u  %6u\n", name, ring->base, ring->size, ring->head,
            ring->tail, in_use);
}

static void print_mac(FILE *out, const uint8_t *mac)
{
    fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* One card: its address and state, its two rings, its status and its counters. */
static void print_card(FILE *out, const char *name, const char *where, const sim_nic_t *n)
{
    char a[32], b[32], c[32], d[32], e[32], f[32];
    fprintf(out, "%s ", name);
    print_mac(out, n->mac);
    fprintf(out, " (%s): %s, loopback %s\n", where,
            n->control & SIM_NIC_ENABLE ? "enabled" : "disabled",
            n->control & SIM_NIC_LOOPBACK ? "on" : "off");
    fprintf(out, "  %-9s %-10s  %4s  %4s  %4s  %6s\n", "ring", "base", "size", "head", "tail",
            "in use");
    print_ring(out, "transmit", &n->tx);
    print_ring(out, "receive", &n->rx);
    fprintf(out, "  status:%s%s%s%s%s; last error: %s\n",
            n->status & SIM_NIC_TX_DONE ? " TX_DONE" : "", n->status & SIM_NIC_RX ? " RX" : "",
            n->status & SIM_NIC_ERROR_BIT ? " ERROR" : "",
            n->status & SIM_NIC_TX_BUSY ? " TX_BUSY" : "", n->status ? "" : " clear",
            sim_nic_error_name(n->error));
    fprintf(
        out, "  sent %s (%s bytes), received %s (%s bytes), %s dropped, %s\n",
        sim_counted(n->tx_frames, "frame", a, sizeof a), sim_group_digits(n->tx_bytes, b, sizeof b),
        sim_counted(n->rx_frames, "frame", c, sizeof c), sim_group_digits(n->rx_bytes, d, sizeof d),
        sim_group_digits(n->rx_drops, e, sizeof e), sim_counted(n->errors, "error", f, sizeof f));
}

/* A VM's network bandwidth limit (net_bw), when it has one: what it held back. */
static void print_limit(FILE *out, const hv_vm_t *v)
{
    const hv_limit_t *l = &v->net_limit;
    char a[32], b[32], c[32];
    if (!l->rate)
        return;
    fprintf(out, "  limit: %s bytes per 1 000 cycles (net_bw); %s held back, %s in all\n",
            sim_group_digits(l->rate, a, sizeof a), sim_counted(l->held, "frame", b, sizeof b),
            sim_counted(l->held_cycles, "cycle", c, sizeof c));
}

/* The name of what is behind a switch port: a VM, or the uplink. */
static const char *port_owner(const hv_t *hv, unsigned port)
{
    unsigned vm = port - HV_SWITCH_VM_PORT(0);
    return port >= HV_SWITCH_VM_PORT(0) && vm < HV_MAX_VMS ? hv->vms[vm].name : "uplink";
}

/* The switch: its counters and the addresses it learned, with the VM behind each port. */
static void print_switch(FILE *out, const hv_t *hv)
{
    const hv_vswitch_t *sw = &hv->vswitch;
    char a[32], b[32], c[32], d[32];
    fprintf(out, "virtual switch: %s forwarded, %s flooded, %s filtered; %s captured\n",
            sim_group_digits(sw->forwarded, a, sizeof a),
            sim_group_digits(sw->flooded, b, sizeof b), sim_group_digits(sw->filtered, c, sizeof c),
            sim_counted(sw->captured, "frame", d, sizeof d));
    int width = 8; /* the vm column: as wide as its longest name */
    for (unsigned i = 0; i < HV_SWITCH_MACS; i++)
        if (sw->table[i].used && (int)strlen(port_owner(hv, sw->table[i].port)) > width)
            width = (int)strlen(port_owner(hv, sw->table[i].port));
    unsigned n = 0;
    for (unsigned i = 0; i < HV_SWITCH_MACS; i++) {
        const hv_mac_entry_t *e = &sw->table[i];
        if (!e->used)
            continue;
        if (n++ == 0)
            fprintf(out, "  %-17s  %-4s  %-*s  %s\n", "address", "port", width, "vm",
                    "last seen (cycle)");
        fprintf(out, "  ");
        print_mac(out, e->mac);
        fprintf(out, "  %-4u  %-*s  %s\n", e->port, width, port_owner(hv, e->port),
                sim_group_digits(e->seen, a, sizeof a));
    }
    if (n == 0)
        fprintf(out, "  No address learned yet.\n");
}

/* The uplink: the hypervisor's driver of the physical card, port 0. */
static void print_uplink(FILE *out, const hv_t *hv)
{
    const hv_uplink_t *u = &hv->uplink;
    char a[32], b[32], c[32], d[32];
    if (!u->rings) {
        fprintf(out, "uplink (port 0): the physical NIC, not brought up (no frame has left the "
                     "machine)\n");
        return;
    }
    fprintf(out,
            "uplink (port 0): the physical NIC, driven by the hypervisor (rings at hpa "
            "0x%08x): %s sent, %s received, %s dropped, %s\n",
            u->rings, sim_counted(u->sent, "frame", a, sizeof a),
            sim_group_digits(u->received, b, sizeof b), sim_group_digits(u->dropped, c, sizeof c),
            sim_counted(u->errors, "error", d, sizeof d));
}

void ui_dbg_print_nic(const ui_dbg_t *dbg, FILE *out)
{
    const sim_machine_t *m = dbg->m;
    char name[64], where[64];
    snprintf(where, sizeof where, "ports 0x%x..0x%x, line %u, IOMMU device %u", SIM_NIC_PORT,
             SIM_NIC_PORT + SIM_NIC_NREGS - 1, SIM_NIC_IRQ, SIM_NIC_DMA_ID);
    print_card(out, "NIC", where, &m->nic);
    char a[32], b[32], c[32], d[32];
    fprintf(out, "  its cable leads to the peer host ");
    print_mac(out, m->peer.mac);
    fprintf(out, ": %s received, %s answered, %s ignored, %s dropped\n",
            sim_counted(m->peer.received, "frame", a, sizeof a),
            sim_group_digits(m->peer.answered, b, sizeof b),
            sim_group_digits(m->peer.ignored, c, sizeof c),
            sim_group_digits(m->peer.dropped, d, sizeof d));
    hv_t *hv = hv_of_machine(m);
    if (!hv)
        return;
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        if (!hv->vms[i].used)
            continue;
        snprintf(name, sizeof name, "%s's virtual NIC", hv->vms[i].name);
        snprintf(where, sizeof where, "switch port %u", HV_SWITCH_VM_PORT(i));
        if (hv->vms[i].nic_pv)
            hv_pvnet_print(hv, i, out); /* no registers: its queues in the VM's memory */
        else
            print_card(out, name, where, &hv->vms[i].dev.nic);
        print_limit(out, &hv->vms[i]);
    }
    print_switch(out, hv);
    print_uplink(out, hv);
}
