/*
 * hv_uplink.c - the virtual switch's uplink: the hypervisor's own driver of the physical network
 * card, so that the VMs' frames reach the peer host at the other end of its cable and its
 * answers come back.
 *
 * Lecture idea: the host keeps its devices. The VMs never touch the physical card (each has a
 * virtual one, hv_vswitch.c); the hypervisor drives it like any driver, with two rings and
 * buffers in its own memory, and bridges it to the switch as port 0. A frame the switch sends
 * to port 0 is copied into a transmit buffer and the card's doorbell rung; the card fetches it
 * by DMA and puts it on the wire (nic_frame + nic_byte x length cycles, sim_nic.c). A frame
 * from the wire lands by DMA in a receive buffer, the card raises line 11, and the hypervisor's
 * handler hands it to the switch and gives the buffer back. The card takes every frame
 * (promiscuous, as a bridge's card must): the switch decides where it goes.
 *
 * The driver brings the card up the first time a frame has to leave the machine, so a
 * scenario without a network spends no frame on it. While the card is assigned to a VM
 * (hv_passthrough.c) it is that VM's: frames for the uplink are dropped, and the card's line
 * goes to the VM. Its handler runs at the cycle the line
 * rises, like the virtual devices' completions (hv_dev_timed): not charged to a pCPU.
 *
 *   the rings' frame   +0      transmit ring: HV_UPLINK_RING descriptors (sim_nic.h)
 *                      +2048   receive ring:  HV_UPLINK_RING descriptors
 *   buffer i           bufs[i / 2] + (i % 2) x 2048: transmit buffers 0..7, receive 8..15
 */
#include <string.h>

#include "hv_internal.h"

static uint32_t buffer(const hv_uplink_t *u, unsigned i)
{
    return u->bufs[i / 2] + (i % 2) * HV_UPLINK_BUF;
}

static uint32_t tx_desc(const hv_uplink_t *u, uint32_t i)
{
    return u->rings + i * SIM_NIC_DESC_SIZE;
}

static uint32_t rx_desc(const hv_uplink_t *u, uint32_t i)
{
    return u->rings + HV_UPLINK_RX_OFFSET + i * SIM_NIC_DESC_SIZE;
}

/* The last receive buffer given to the card: all but one of the ring (a full ring would look
 * empty), the one before the next to read. */
static uint32_t rx_tail(const hv_uplink_t *u)
{
    return (u->rx_next + HV_UPLINK_RING - 1) % HV_UPLINK_RING;
}

/* Takes the frames for the rings and buffers; false (and nothing kept) when the pool is empty. */
static bool take_frames(hv_t *hv)
{
    hv_uplink_t *u = &hv->uplink;
    uint32_t got[1 + HV_UPLINK_RING];
    for (unsigned i = 0; i < 1 + HV_UPLINK_RING; i++) {
        got[i] = hv_frame_alloc(hv, 0, HV_FRAME_HV); /* the machine's card: host0's */
        if (!got[i]) {
            while (i-- > 0)
                hv_frame_free(hv, got[i]);
            return false;
        }
    }
    u->rings = got[0];
    memcpy(u->bufs, got + 1, sizeof u->bufs);
    return true;
}

/* Brings the card up: rings in the hypervisor's memory, every receive buffer but one given,
 * the card enabled. False when the pool has no frames for it (the frame is then dropped). */
static bool bring_up(hv_t *hv, uint64_t now)
{
    hv_uplink_t *u = &hv->uplink;
    sim_machine_t *m = hv->m;
    if (!take_frames(hv))
        return false;
    for (uint32_t i = 0; i < HV_UPLINK_RING; i++) {
        hv_write32(hv, rx_desc(u, i), buffer(u, HV_UPLINK_RING + i));
        hv_write32(hv, rx_desc(u, i) + 4, HV_UPLINK_BUF);
    }
    sim_nic_host_write(m, SIM_NIC_CONTROL, 0, now);
    sim_nic_host_write(m, SIM_NIC_TX_BASE, u->rings, now);
    sim_nic_host_write(m, SIM_NIC_TX_SIZE, HV_UPLINK_RING, now);
    sim_nic_host_write(m, SIM_NIC_RX_BASE, u->rings + HV_UPLINK_RX_OFFSET, now);
    sim_nic_host_write(m, SIM_NIC_RX_SIZE, HV_UPLINK_RING, now);
    sim_nic_host_write(m, SIM_NIC_CONTROL, SIM_NIC_ENABLE, now);
    u->tx_tail = u->rx_next = 0;
    sim_nic_host_write(m, SIM_NIC_RX_TAIL, rx_tail(u), now);
    return true;
}

void hv_uplink_send(hv_t *hv, const uint8_t *frame, uint32_t len, uint64_t now)
{
    hv_uplink_t *u = &hv->uplink;
    if (hv_passthrough_nic_vm(hv) >= 0 || (!u->rings && !bring_up(hv, now))) {
        u->dropped++;
        return;
    }
    uint32_t next = (u->tx_tail + 1) % HV_UPLINK_RING;
    if (next == sim_nic_host_read(hv->m, SIM_NIC_TX_HEAD) || len > HV_UPLINK_BUF) {
        u->dropped++; /* the card has not sent the ring's frames yet: no room */
        return;
    }
    uint32_t buf = buffer(u, u->tx_tail);
    memcpy(hv->m->ram + buf, frame, len); /* the hypervisor's own buffer, inside RAM */
    sim_ram_written(hv->m, buf, len);
    hv_write32(hv, tx_desc(u, u->tx_tail), buf);
    hv_write32(hv, tx_desc(u, u->tx_tail) + 4, len);
    hv_write32(hv, tx_desc(u, u->tx_tail) + 8, 0);
    u->tx_tail = next;
    u->sent++;
    sim_nic_host_write(hv->m, SIM_NIC_TX_TAIL, u->tx_tail, now);
}

/* Every frame the card has received, into the switch; each buffer goes back to the card. */
static void drain_receive_ring(hv_t *hv, uint64_t now)
{
    hv_uplink_t *u = &hv->uplink;
    uint8_t frame[SIM_NIC_MAX_FRAME];
    while (u->rx_next != sim_nic_host_read(hv->m, SIM_NIC_RX_HEAD)) {
        uint32_t d = rx_desc(u, u->rx_next);
        uint32_t status = hv_read32(hv, d + 8), len = hv_read32(hv, d + 12);
        hv_write32(hv, d + 8, 0);
        bool good = (status & SIM_NIC_DESC_DONE) && !(status & SIM_NIC_DESC_ERROR) &&
                    len >= SIM_NIC_MIN_FRAME && len <= SIM_NIC_MAX_FRAME;
        if (good) /* the buffer it gave, not the address read back: the driver trusts its own */
            memcpy(frame, hv->m->ram + buffer(u, HV_UPLINK_RING + u->rx_next), len);
        u->rx_next = (u->rx_next + 1) % HV_UPLINK_RING;
        sim_nic_host_write(hv->m, SIM_NIC_RX_TAIL, rx_tail(u), now);
        if (good) {
            u->received++;
            hv_vswitch_input(hv, HV_SWITCH_UPLINK, frame, len, now);
        }
    }
}

/* The card's line 11: acknowledge what it says, count an error, take what it received. When
 * the card is assigned to a VM (passthrough) the line is that VM's. */
static void uplink_irq(void *ctx, bool level, uint64_t now)
{
    hv_t *hv = ctx;
    if (hv_passthrough_irq(hv, level))
        return;
    if (!level)
        return;
    uint32_t status = sim_nic_host_read(hv->m, SIM_NIC_STATUS);
    sim_nic_host_write(hv->m, SIM_NIC_STATUS, status, now);
    if (status & SIM_NIC_ERROR_BIT)
        hv->uplink.errors++;
    if (hv->uplink.rings)
        drain_receive_ring(hv, now);
}

void hv_uplink_attach(hv_t *hv)
{
    sim_nic_set_host_irq(hv->m, uplink_irq, hv);
}

void hv_uplink_detach(hv_t *hv)
{
    if (hv->m->nic_host_irq_ctx == hv)
        sim_nic_set_host_irq(hv->m, NULL, NULL);
}

bool hv_uplink_sane(const hv_t *hv, const hv_uplink_t *u)
{
    if (!u->rings)
        return true;
    if (u->tx_tail >= HV_UPLINK_RING || u->rx_next >= HV_UPLINK_RING)
        return false;
    for (unsigned i = 0; i <= HV_UPLINK_RING; i++) {
        uint32_t hpa = i ? u->bufs[i - 1] : u->rings;
        if (hpa % MMU_PAGE_SIZE || hpa / MMU_PAGE_SIZE >= hv->nframes)
            return false;
    }
    return true;
}
