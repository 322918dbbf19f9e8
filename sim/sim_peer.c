/*
 * sim_peer.c - the peer host: the simulated machine at the other end of the network card's
 * cable, so that a guest's ping has someone to answer it.
 *
 * It answers a frame of EtherType 0x88b5 (local experimental) sent to its address or to
 * everyone, whose payload starts with "ping": back to the sender's address comes a frame whose
 * payload is "pong from peer" (padded with zeros to the request's length). Its own card takes
 * nic_frame + nic_byte * length cycles to send the reply, as ours does, so a round trip costs
 * twice a frame's wire time. Every other frame is counted and ignored. The replies waiting are
 * bounded (SIM_PEER_QUEUE): a request beyond them is dropped, as a busy host drops packets.
 */
#include <string.h>

#include "sim_internal.h"

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
static const char pong[] = "pong from peer";

/* The reply due first leaves; the next one's time is already on the queue. */
static void peer_timed(void *ctx, uint32_t what, uint64_t now)
{
    sim_machine_t *m = ctx;
    sim_peer_t *p = &m->peer;
    (void)what;
    if (p->nqueued == 0)
        return;
    sim_nic_receive(m, p->frame[0], p->len[0], now);
    p->answered++;
    p->nqueued--;
    memmove(p->due, p->due + 1, p->nqueued * sizeof p->due[0]);
    memmove(p->len, p->len + 1, p->nqueued * sizeof p->len[0]);
    memmove(p->frame, p->frame + 1, p->nqueued * sizeof p->frame[0]);
}

static bool is_ping(const sim_peer_t *p, const uint8_t *frame, uint32_t len)
{
    bool to_us = memcmp(frame, p->mac, 6) == 0 || (frame[0] & 1);
    uint32_t type = (uint32_t)frame[12] << 8 | frame[13];
    return to_us && type == SIM_PEER_ETHERTYPE && len >= 18 && memcmp(frame + 14, "ping", 4) == 0;
}

/* A frame has left our card: answer it if it is a ping, after the reply's wire time. */
static void peer_wire(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now)
{
    sim_machine_t *m = ctx;
    sim_peer_t *p = &m->peer;
    p->received++;
    if (!is_ping(p, frame, len)) {
        p->ignored++;
        return;
    }
    if (p->nqueued == SIM_PEER_QUEUE) {
        p->dropped++;
        return;
    }
    uint8_t *r = p->frame[p->nqueued];
    uint32_t rlen = len < 14 + sizeof pong ? 14 + (uint32_t)sizeof pong : len;
    memset(r, 0, rlen);
    memcpy(r, frame + 6, 6); /* back to the sender */
    memcpy(r + 6, p->mac, 6);
    memcpy(r + 12, frame + 12, 2);
    memcpy(r + 14, pong, sizeof pong);
    uint64_t start = p->nqueued ? p->due[p->nqueued - 1] : now; /* one reply at a time */
    if (start < now)
        start = now;
    uint64_t due =
        start + m->costs.c[SIM_COST_nic_frame] + (uint64_t)m->costs.c[SIM_COST_nic_byte] * rlen;
    p->due[p->nqueued] = due;
    p->len[p->nqueued++] = rlen;
    SIM_ASSERT(sim_schedule(m, due, p->bus_index, 0) == 0);
}

void sim_add_peer(sim_machine_t *m)
{
    sim_device_t peer = {.name = "peer host", .ctx = m, .timed = peer_timed};
    memcpy(m->peer.mac, peer_mac, sizeof peer_mac);
    m->peer.bus_index = (uint16_t)m->ndevices;
    SIM_ASSERT(sim_add_device(m, &peer) == 0);
    sim_nic_set_wire(m, peer_wire, m);
}
