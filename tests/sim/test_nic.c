/*
 * test_nic.c - the network card: registers, descriptor rings in memory, frames sent and
 * received by DMA (through the IOMMU), the interrupt, the wire time to the cycle, the far end of
 * the cable, bounded queues (drops when no buffer is free), and malformed descriptors and rings
 * giving a device error (never a simulator fault).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

/* Where the tests put things in the 1 MiB machine. */
#define TX_RING 0x10000u
#define RX_RING 0x10100u
#define TX_BUF 0x11000u
#define RX_BUF 0x12000u /* buffer i at RX_BUF + i * 0x800 */
#define RING 4u

static void put32(sim_machine_t *m, uint32_t addr, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        m->ram[addr + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const sim_machine_t *m, uint32_t addr)
{
    const uint8_t *p = m->ram + addr;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_desc(sim_machine_t *m, uint32_t ring, unsigned i, uint32_t addr, uint32_t len)
{
    put32(m, ring + i * SIM_NIC_DESC_SIZE, addr);
    put32(m, ring + i * SIM_NIC_DESC_SIZE + 4, len);
    put32(m, ring + i * SIM_NIC_DESC_SIZE + 8, 0);
    put32(m, ring + i * SIM_NIC_DESC_SIZE + 12, 0);
}

/* A frame of `len` bytes in memory at addr: to ff:ff:ff:ff:ff:ff from 02:00:00:00:00:01,
 * EtherType 0x88b5 (local experimental), payload bytes seed + i. */
static void put_frame(sim_machine_t *m, uint32_t addr, uint32_t len, uint8_t seed)
{
    static const uint8_t hdr[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                                    0,    0,    0,    0,    1,    0x88, 0xb5};
    memcpy(m->ram + addr, hdr, 14);
    for (uint32_t i = 14; i < len; i++)
        m->ram[addr + i] = (uint8_t)(seed + i);
}

static void nic_out(sim_machine_t *m, unsigned reg, uint32_t v)
{
    sim_port_write(m, &m->cpu[0], (uint16_t)(SIM_NIC_PORT + reg), v);
}

static uint32_t nic_in(sim_machine_t *m, unsigned reg)
{
    return sim_port_read(m, &m->cpu[0], (uint16_t)(SIM_NIC_PORT + reg));
}

/* A machine whose CPU only waits, with both rings of RING descriptors set up: transmit
 * descriptors point at TX_BUF + i * 0x800, receive ones at RX_BUF + i * 0x800 (2 KiB each).
 * The NIC is enabled with `control`; `rx_given` buffers are handed to it. */
static void nic_machine(sim_machine_t *m, th_events_t *rec, uint32_t control, unsigned rx_given)
{
    th_machine(m, "loop: halt\n b loop\n");
    if (rec)
        th_record_events(m, rec);
    for (unsigned i = 0; i < RING; i++) {
        put_desc(m, TX_RING, i, TX_BUF + i * 0x800, 0);
        put_desc(m, RX_RING, i, RX_BUF + i * 0x800, 0x800);
    }
    nic_out(m, SIM_NIC_TX_BASE, TX_RING);
    nic_out(m, SIM_NIC_TX_SIZE, RING);
    nic_out(m, SIM_NIC_RX_BASE, RX_RING);
    nic_out(m, SIM_NIC_RX_SIZE, RING);
    nic_out(m, SIM_NIC_CONTROL, control);
    nic_out(m, SIM_NIC_RX_TAIL, rx_given);
}

/* Puts frame i (len bytes) in transmit descriptor i. */
static void queue_frame(sim_machine_t *m, unsigned i, uint32_t len)
{
    put_frame(m, TX_BUF + i * 0x800, len, (uint8_t)(i * 16));
    put32(m, TX_RING + i * SIM_NIC_DESC_SIZE + 4, len);
}

static const sim_event_t *find_nic(const th_events_t *rec, sim_nic_event_t what, unsigned nth)
{
    for (unsigned i = 0; i < rec->n; i++)
        if (rec->ev[i].kind == SIM_EV_NIC && rec->ev[i].from_mode == what && nth-- == 0)
            return &rec->ev[i];
    return NULL;
}

static uint64_t wire_cycles(const sim_machine_t *m, uint32_t len)
{
    return m->costs.c[SIM_COST_nic_frame] + (uint64_t)m->costs.c[SIM_COST_nic_byte] * len;
}

/* ------------------------------------------------------------------------------------------
 * A guest program drives it: loopback, the interrupt, the frame in the receive buffer
 * ------------------------------------------------------------------------------------------ */
#define NIC_PROGRAM                                                                                \
    ".equ NIC, 0x300\n"                                                                            \
    "        b start\n"                                                                            \
    "handler: csrr r10, cycle\n in r11, [NIC + 9]\n in r12, [NIC + 4]\n in r13, [NIC + 8]\n"       \
    "        csrr r14, cause\n li r5, 7\n out r5, [NIC + 9]\n in r9, [NIC + 9]\n out r0, [0xf0]\n" \
    "start:  la r5, handler\n csrw tvec, r5\n li sp, 0x7000\n"                                     \
    "        li r1, 0x10000\n out r1, [NIC + 1]\n li r1, 4\n out r1, [NIC + 2]\n"                  \
    "        li r1, 0x10100\n out r1, [NIC + 5]\n li r1, 4\n out r1, [NIC + 6]\n"                  \
    "        li r1, 3\n out r1, [NIC]\n li r1, 2\n out r1, [NIC + 7]\n"                            \
    "        li r1, 1\n out r1, [NIC + 3]\n sti\n halt\n b .\n"

Test(nic_io, loopback_frame_arrives_by_dma_then_interrupts)
{
    sim_machine_t m;
    th_events_t rec = {0};
    th_machine(&m, NIC_PROGRAM);
    th_record_events(&m, &rec);
    for (unsigned i = 0; i < RING; i++) {
        put_desc(&m, TX_RING, i, TX_BUF + i * 0x800, 0);
        put_desc(&m, RX_RING, i, RX_BUF + i * 0x800, 0x800);
    }
    queue_frame(&m, 0, 60);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[14], CPU_CAUSE_INTERRUPT | SIM_NIC_IRQ, "line 11 interrupts");
    cr_expect_eq(r[11], SIM_NIC_TX_DONE | SIM_NIC_RX, "sent and received, no error");
    cr_expect_eq(r[12], 1, "TX_HEAD moved past the frame");
    cr_expect_eq(r[13], 1, "RX_HEAD moved past the buffer filled");
    cr_expect_eq(r[9], 0, "acknowledging clears the status");
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << SIM_NIC_IRQ), 0, "and lowers the line");
    cr_expect_eq(memcmp(m.ram + RX_BUF, m.ram + TX_BUF, 60), 0, "the frame came back");
    cr_expect_eq(m.ram[RX_BUF + 60], 0, "nothing past the frame");
    cr_expect_eq(get32(&m, TX_RING + 8), SIM_NIC_DESC_DONE, "the transmit descriptor: DONE");
    cr_expect_eq(get32(&m, RX_RING + 8), SIM_NIC_DESC_DONE, "the receive descriptor: DONE");
    cr_expect_eq(get32(&m, RX_RING + 12), 60, "with the frame's length");
    cr_expect_eq(get32(&m, RX_RING + 16 + 8), 0, "the next one untouched");
    cr_expect_eq(m.nic.tx_frames, 1);
    cr_expect_eq(m.nic.rx_bytes, 60);
    /* reads: the transmit descriptor, the frame, the receive descriptor; writes: the transmit
     * status, the frame, the receive status */
    cr_expect_eq(m.iommu.stats.dma_reads, 3);
    cr_expect_eq(m.iommu.stats.dma_writes, 3);
    const sim_event_t *send = find_nic(&rec, SIM_NIC_EV_SEND, 0);
    const sim_event_t *sent = find_nic(&rec, SIM_NIC_EV_SENT, 0);
    const sim_event_t *got = find_nic(&rec, SIM_NIC_EV_RECEIVE, 0);
    cr_assert(send && sent && got);
    cr_expect_eq(sent->cycle - send->cycle, wire_cycles(&m, 60),
                 "1000 + 2 * 60 cycles on the wire");
    cr_expect_eq(got->cycle, sent->cycle, "loopback: received as it leaves");
    cr_expect_eq(r[10] >= sent->cycle, true, "the handler runs after the frame left");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * The wire
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint8_t frame[8][SIM_NIC_MAX_FRAME];
    uint32_t len[8];
    uint64_t at[8];
    unsigned n;
} wire_log_t;

static void log_wire(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now)
{
    wire_log_t *w = ctx;
    cr_assert_lt(w->n, 8);
    memcpy(w->frame[w->n], frame, len);
    w->len[w->n] = len;
    w->at[w->n++] = now;
}

/* Three frames back to back: each starts when the one before has left; the ring wraps. */
Test(nic_io, frames_go_on_the_wire_one_after_another)
{
    sim_machine_t m;
    th_events_t rec = {0};
    static wire_log_t w;
    nic_machine(&m, &rec, SIM_NIC_ENABLE, 0);
    sim_nic_set_wire(&m, log_wire, &w);
    queue_frame(&m, 0, 14);
    queue_frame(&m, 1, 1514);
    queue_frame(&m, 2, 100);
    nic_out(&m, SIM_NIC_TX_TAIL, 3);
    uint64_t rang = m.cpu[0].s.cycles;
    cr_expect_eq(nic_in(&m, SIM_NIC_STATUS), SIM_NIC_TX_BUSY, "busy with the first frame");
    sim_run(&m, 100000);
    cr_assert_eq(w.n, 3);
    cr_expect_eq(w.at[0], rang + wire_cycles(&m, 14));
    cr_expect_eq(w.at[1], w.at[0] + wire_cycles(&m, 1514));
    cr_expect_eq(w.at[2], w.at[1] + wire_cycles(&m, 100));
    cr_expect_eq(w.len[1], 1514);
    cr_expect_eq(memcmp(w.frame[1], m.ram + TX_BUF + 0x800, 1514), 0);
    cr_expect_eq(nic_in(&m, SIM_NIC_TX_HEAD), 3);
    cr_expect_eq(m.nic.tx_bytes, 14 + 1514 + 100);
    /* the fourth descriptor wraps to index 0: the ring is reused */
    queue_frame(&m, 3, 20);
    queue_frame(&m, 0, 30);
    nic_out(&m, SIM_NIC_TX_TAIL, 1);
    sim_run(&m, 200000);
    cr_expect_eq(w.n, 5, "head 3 to tail 1: descriptors 3 and 0");
    cr_expect_eq(w.len[3], 20);
    cr_expect_eq(w.len[4], 30);
    sim_machine_free(&m);
}

/* A frame from the wire fills the next buffer; with none free it is dropped and counted. */
Test(nic_io, receive_fills_buffers_then_drops)
{
    sim_machine_t m;
    th_events_t rec = {0};
    nic_machine(&m, &rec, SIM_NIC_ENABLE, 2);
    uint8_t frame[64];
    for (unsigned i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(0xa0 + i);
    for (unsigned k = 0; k < 3; k++)
        sim_nic_receive(&m, frame, (uint32_t)(sizeof frame - k), 500 + k);
    cr_expect_eq(memcmp(m.ram + RX_BUF, frame, 64), 0);
    cr_expect_eq(memcmp(m.ram + RX_BUF + 0x800, frame, 63), 0);
    cr_expect_eq(get32(&m, RX_RING + 16 + 12), 63);
    cr_expect_eq(m.nic.rx_frames, 2);
    cr_expect_eq(m.nic.rx_drops, 1, "two buffers given: the third frame is dropped");
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_DROPS), 1);
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_HEAD), 2);
    cr_expect_eq(m.ram[RX_BUF + 0x1000], 0, "the third buffer was never given: untouched");
    const sim_event_t *d = find_nic(&rec, SIM_NIC_EV_DROP, 0);
    cr_assert_not_null(d);
    cr_expect_eq(d->cycle, 502);
    cr_expect_eq(d->b, 62);
    /* the driver gives the buffers back (tail 2 -> 1, round the ring): frames come in again */
    nic_out(&m, SIM_NIC_RX_TAIL, 1);
    sim_nic_receive(&m, frame, 20, 600);
    cr_expect_eq(get32(&m, RX_RING + 2 * 16 + 12), 20);
    cr_expect_eq(m.nic.rx_frames, 3);
    sim_machine_free(&m);
}

Test(nic_io, registers_read_back)
{
    sim_machine_t m;
    nic_machine(&m, NULL, SIM_NIC_ENABLE | SIM_NIC_LOOPBACK, 3);
    static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    sim_nic_set_mac(&m, mac);
    cr_expect_eq(nic_in(&m, SIM_NIC_MAC_LO), 0x33221102);
    cr_expect_eq(nic_in(&m, SIM_NIC_MAC_HI), 0x5544);
    cr_expect_eq(nic_in(&m, SIM_NIC_CONTROL), SIM_NIC_ENABLE | SIM_NIC_LOOPBACK);
    cr_expect_eq(nic_in(&m, SIM_NIC_TX_BASE), TX_RING);
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_SIZE), RING);
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_TAIL), 3);
    cr_expect_eq(nic_in(&m, SIM_NIC_STATUS), 0);
    cr_expect_eq(nic_in(&m, 15), 0, "the reserved register reads 0");
    nic_out(&m, SIM_NIC_TX_BASE, 0x20000);
    cr_expect_eq(nic_in(&m, SIM_NIC_TX_BASE), TX_RING, "no ring change while enabled");
    nic_out(&m, SIM_NIC_CONTROL, 0);
    nic_out(&m, SIM_NIC_TX_BASE, 0x20000);
    cr_expect_eq(nic_in(&m, SIM_NIC_TX_BASE), 0x20000, "but while disabled");
    sim_machine_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Malformed descriptors and rings: a device error, the NIC goes on (or stops the queue)
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    uint32_t addr, len; /* transmit descriptor 0 */
    sim_nic_error_t want;
} bad_desc_t;

static bad_desc_t bad_descs[] = {
    {"a frame shorter than a header", TX_BUF, 13, SIM_NIC_E_BAD_LENGTH},
    {"a frame longer than 1514 bytes", TX_BUF, 1515, SIM_NIC_E_BAD_LENGTH},
    {"a wild length", TX_BUF, 0xffffffffu, SIM_NIC_E_BAD_LENGTH},
    {"a buffer beyond memory", 0x00fff000u, 60, SIM_NIC_E_DMA_BLOCKED},
    {"a buffer running off the end of memory", (1u << 20) - 30, 60, SIM_NIC_E_DMA_BLOCKED},
    {"a buffer wrapping around 2^32", 0xfffffff0u, 60, SIM_NIC_E_DMA_BLOCKED},
};

ParameterizedTestParameters(nic_errors, bad_descriptor)
{
    TH_ROW_INDICES(sizeof bad_descs / sizeof bad_descs[0]);
}

/* The bad descriptor is marked ERROR with its reason and skipped; the good one after it goes. */
ParameterizedTest(size_t *index, nic_errors, bad_descriptor)
{
    const bad_desc_t *p = &bad_descs[*index];
    sim_machine_t m;
    static wire_log_t w;
    memset(&w, 0, sizeof w);
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 0);
    sim_nic_set_wire(&m, log_wire, &w);
    put_desc(&m, TX_RING, 0, p->addr, p->len);
    queue_frame(&m, 1, 40);
    nic_out(&m, SIM_NIC_TX_TAIL, 2);
    sim_run(&m, 100000);
    cr_expect_eq(get32(&m, TX_RING + 8), SIM_NIC_DESC_DONE | SIM_NIC_DESC_ERROR | p->want << 8,
                 "%s: descriptor status 0x%x", p->name, get32(&m, TX_RING + 8));
    cr_expect_eq(nic_in(&m, SIM_NIC_ERROR), p->want, "%s", p->name);
    cr_expect(nic_in(&m, SIM_NIC_STATUS) & SIM_NIC_ERROR_BIT, "%s", p->name);
    cr_expect(m.cpu[0].s.irq_lines & (1u << SIM_NIC_IRQ), "%s: line 11 up", p->name);
    cr_expect_eq(w.n, 1, "%s: the good frame after it was sent", p->name);
    cr_expect_eq(w.len[0], 40, "%s", p->name);
    cr_expect_eq(m.nic.errors, 1, "%s", p->name);
    sim_machine_free(&m);
}

/* A ring the NIC cannot read stops that queue: ENABLE clears, DMA_BLOCKED, nothing sent. */
Test(nic_errors, ring_beyond_memory_stops_the_queue)
{
    sim_machine_t m;
    static wire_log_t w;
    th_machine(&m, "loop: halt\n b loop\n");
    sim_nic_set_wire(&m, log_wire, &w);
    nic_out(&m, SIM_NIC_TX_BASE, 0x7ffffff0u);
    nic_out(&m, SIM_NIC_TX_SIZE, 16);
    nic_out(&m, SIM_NIC_RX_BASE, RX_RING);
    nic_out(&m, SIM_NIC_RX_SIZE, RING);
    nic_out(&m, SIM_NIC_CONTROL, SIM_NIC_ENABLE);
    nic_out(&m, SIM_NIC_TX_TAIL, 5);
    cr_expect_eq(nic_in(&m, SIM_NIC_CONTROL), 0, "the NIC stopped itself");
    cr_expect_eq(nic_in(&m, SIM_NIC_ERROR), SIM_NIC_E_DMA_BLOCKED);
    cr_expect_eq(w.n, 0);
    cr_expect_eq(m.iommu.stats.blocked, 1, "the IOMMU said no: the address is not RAM");
    iommu_fault_t f;
    cr_assert(iommu_fault_pop(&m, &f));
    cr_expect_eq(f.device, SIM_NIC_DMA_ID);
    cr_expect_eq(f.reason, IOMMU_REASON_NOT_RAM);
    sim_run(&m, 10000);
    cr_expect_eq(m.nic.tx_frames, 0);
    sim_machine_free(&m);
}

typedef struct {
    const char *name;
    uint32_t base, size;
} bad_ring_t;

static bad_ring_t bad_rings[] = {
    {"size 0", TX_RING, 0},
    {"size 1", TX_RING, 1},
    {"size 257", TX_RING, 257},
    {"size 2^32 - 1", TX_RING, 0xffffffffu},
    {"a base not 16-byte aligned", TX_RING + 4, RING},
};

ParameterizedTestParameters(nic_errors, bad_ring)
{
    TH_ROW_INDICES(sizeof bad_rings / sizeof bad_rings[0]);
}

ParameterizedTest(size_t *index, nic_errors, bad_ring)
{
    const bad_ring_t *p = &bad_rings[*index];
    sim_machine_t m;
    th_machine(&m, "loop: halt\n b loop\n");
    nic_out(&m, SIM_NIC_TX_BASE, p->base);
    nic_out(&m, SIM_NIC_TX_SIZE, p->size);
    nic_out(&m, SIM_NIC_RX_BASE, RX_RING);
    nic_out(&m, SIM_NIC_RX_SIZE, RING);
    nic_out(&m, SIM_NIC_CONTROL, SIM_NIC_ENABLE);
    cr_expect_eq(nic_in(&m, SIM_NIC_CONTROL), 0, "%s: not enabled", p->name);
    cr_expect_eq(nic_in(&m, SIM_NIC_ERROR), SIM_NIC_E_BAD_RING, "%s", p->name);
    nic_out(&m, SIM_NIC_TX_TAIL, 1);
    cr_expect_eq(m.nic.tx.tail, 0, "%s: a disabled NIC takes no doorbell", p->name);
    sim_machine_free(&m);
}

Test(nic_errors, tail_outside_the_ring_is_ignored)
{
    sim_machine_t m;
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 0);
    nic_out(&m, SIM_NIC_TX_TAIL, RING);
    cr_expect_eq(nic_in(&m, SIM_NIC_ERROR), SIM_NIC_E_BAD_INDEX);
    cr_expect_eq(nic_in(&m, SIM_NIC_TX_TAIL), 0);
    nic_out(&m, SIM_NIC_RX_TAIL, 0xffffffffu);
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_TAIL), 0);
    cr_expect_eq(m.nic.errors, 2);
    cr_expect_eq(nic_in(&m, SIM_NIC_STATUS), SIM_NIC_ERROR_BIT);
    nic_out(&m, SIM_NIC_STATUS, SIM_NIC_ERROR_BIT);
    cr_expect_eq(nic_in(&m, SIM_NIC_STATUS), 0, "acknowledged");
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << SIM_NIC_IRQ), 0);
    sim_machine_free(&m);
}

Test(nic_errors, receive_buffer_too_small)
{
    sim_machine_t m;
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 2);
    put32(&m, RX_RING + 4, 50);
    uint8_t frame[60] = {1, 2, 3};
    sim_nic_receive(&m, frame, sizeof frame, 100);
    cr_expect_eq(get32(&m, RX_RING + 8),
                 SIM_NIC_DESC_DONE | SIM_NIC_DESC_ERROR | SIM_NIC_E_BUFFER_SMALL << 8);
    cr_expect_eq(m.ram[RX_BUF], 0, "nothing written into the small buffer");
    cr_expect_eq(nic_in(&m, SIM_NIC_RX_HEAD), 1, "the NIC goes on with the next buffer");
    sim_nic_receive(&m, frame, sizeof frame, 200);
    cr_expect_eq(m.ram[RX_BUF + 0x800], 1);
    cr_expect_eq(m.nic.rx_frames, 1);
    sim_machine_free(&m);
}

/* With the IOMMU on, the NIC's DMA is translated by its context: a context that maps only the
 * rings and the transmit buffer lets the frame go; without any context nothing moves and the
 * fault log names device 2. */
Test(nic_errors, iommu_without_context_blocks_the_nic)
{
    sim_machine_t m;
    static wire_log_t w;
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 0);
    sim_nic_set_wire(&m, log_wire, &w);
    iommu_enable(&m.iommu, true);
    queue_frame(&m, 0, 60);
    nic_out(&m, SIM_NIC_TX_TAIL, 1);
    sim_run(&m, 10000);
    cr_expect_eq(w.n, 0);
    cr_expect_eq(nic_in(&m, SIM_NIC_ERROR), SIM_NIC_E_DMA_BLOCKED);
    iommu_fault_t f;
    cr_assert(iommu_fault_pop(&m, &f));
    cr_expect_eq(f.device, SIM_NIC_DMA_ID);
    cr_expect_eq(f.iova, TX_RING);
    cr_expect_eq(f.reason, IOMMU_REASON_NO_CONTEXT);
    sim_machine_free(&m);
}

/* Same inputs, same cycles: two runs give identical event streams. */
Test(nic_io, deterministic)
{
    th_events_t a = {0}, b = {0};
    for (int k = 0; k < 2; k++) {
        sim_machine_t m;
        nic_machine(&m, k ? &b : &a, SIM_NIC_ENABLE | SIM_NIC_LOOPBACK, 3);
        queue_frame(&m, 0, 200);
        queue_frame(&m, 1, 300);
        nic_out(&m, SIM_NIC_TX_TAIL, 2);
        sim_run(&m, 50000);
        sim_machine_free(&m);
    }
    cr_assert_eq(a.n, b.n);
    cr_expect_eq(memcmp(a.ev, b.ev, a.n * sizeof a.ev[0]), 0);
}

/* ------------------------------------------------------------------------------------------
 * The peer host at the other end of the cable
 * ------------------------------------------------------------------------------------------ */
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};

/* Transmit descriptor i: a frame of len bytes to `to`, EtherType 0x88b5, payload `text`. */
static void queue_to(sim_machine_t *m, unsigned i, const uint8_t *to, const char *text,
                     uint32_t len)
{
    queue_frame(m, i, len);
    uint8_t *f = m->ram + TX_BUF + i * 0x800;
    memcpy(f, to, 6);
    memset(f + 14, 0, len - 14);
    memcpy(f + 14, text, strlen(text));
}

/* A ping to the peer comes back as a pong, to our address, one reply wire time after it left. */
Test(nic_peer, answers_a_ping_after_its_own_wire_time)
{
    sim_machine_t m;
    th_events_t rec = {0};
    nic_machine(&m, &rec, SIM_NIC_ENABLE, 2);
    queue_to(&m, 0, peer_mac, "ping 1", 60);
    nic_out(&m, SIM_NIC_TX_TAIL, 1);
    sim_run(&m, 100000);
    const uint8_t *r = m.ram + RX_BUF;
    cr_expect_eq(get32(&m, RX_RING + 12), 60, "the reply is as long as the request");
    cr_expect_eq(memcmp(r, m.nic.mac, 6), 0, "back to us");
    cr_expect_eq(memcmp(r + 6, peer_mac, 6), 0, "from the peer");
    cr_expect_str_eq((const char *)r + 14, "pong from peer");
    const sim_event_t *sent = find_nic(&rec, SIM_NIC_EV_SENT, 0);
    const sim_event_t *got = find_nic(&rec, SIM_NIC_EV_RECEIVE, 0);
    cr_assert(sent && got);
    cr_expect_eq(got->cycle - sent->cycle, wire_cycles(&m, 60));
    cr_expect_eq(m.peer.answered, 1);
    sim_machine_free(&m);
}

/* Frames that are not pings to it are counted and ignored: not its EtherType, not its address,
 * not "ping". */
Test(nic_peer, ignores_what_is_not_a_ping_to_it)
{
    sim_machine_t m;
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 3);
    static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x33};
    queue_to(&m, 0, other, "ping", 60);
    queue_to(&m, 1, peer_mac, "hello", 60);
    queue_frame(&m, 2, 60); /* broadcast, "ping"-less payload */
    nic_out(&m, SIM_NIC_TX_TAIL, 3);
    sim_run(&m, 100000);
    cr_expect_eq(m.nic.tx_frames, 3);
    cr_expect_eq(m.peer.received, 3);
    cr_expect_eq(m.peer.ignored, 3);
    cr_expect_eq(m.nic.rx_frames, 0);
    sim_machine_free(&m);
}

/* Five pings arriving at once: four replies wait (one after another on its wire), the fifth is
 * dropped: the peer's queue is bounded. */
Test(nic_peer, its_queue_is_bounded)
{
    sim_machine_t m;
    nic_machine(&m, NULL, SIM_NIC_ENABLE, 3);
    uint8_t ping[60] = {0};
    memcpy(ping, peer_mac, 6);
    memcpy(ping + 6, m.nic.mac, 6);
    ping[12] = 0x88, ping[13] = 0xb5;
    memcpy(ping + 14, "ping", 4);
    for (int i = 0; i < 5; i++)
        m.nic_wire(m.nic_wire_ctx, ping, sizeof ping, 1000);
    cr_expect_eq(m.peer.nqueued, SIM_PEER_QUEUE);
    cr_expect_eq(m.peer.dropped, 1);
    cr_expect_eq(m.peer.due[1] - m.peer.due[0], wire_cycles(&m, 60), "one reply at a time");
    sim_run(&m, 100000);
    cr_expect_eq(m.peer.answered, 4);
    cr_expect_eq(m.nic.rx_frames, 3, "three buffers given");
    cr_expect_eq(m.nic.rx_drops, 1, "the fourth reply found none");
    sim_machine_free(&m);
}
