/*
 * sim_nic.c - the network card: two descriptor rings in memory, frames moved by DMA through
 * the IOMMU, an interrupt when a frame has gone or come, and a wire to whatever is plugged in.
 *
 * Sending: a doorbell (TX_TAIL) starts the descriptor at TX_HEAD. The NIC reads it and the
 * frame it points to (through the IOMMU, device SIM_NIC_DMA_ID) at once, as a real card
 * fetches a frame into its FIFO; the frame is on the wire for nic_frame + nic_byte * length
 * cycles, plus what the IOMMU's translations cost (a device event on the machine's queue).
 * When it has left, the wire's far end gets it, the descriptor is written back DONE, TX_HEAD
 * moves on, TX_DONE is set with line 11 up, and the next descriptor (if any) starts.
 *
 * Receiving: a frame that arrives goes into the buffer of the descriptor at RX_HEAD at once;
 * with no buffer free it is dropped and counted (the card has no memory of its own to queue
 * it in). The register map and the descriptor format are in sim_nic.h.
 *
 * The model works on a sim_nic_t through an environment (sim_nic_env_t): how it does DMA, raises
 * its line, schedules the end of a frame and hands a frame to its wire. The physical card's
 * environment, at the end of this file, is the IOMMU, CPU 0's line 11, the machine's event queue
 * and the cable; a hypervisor plugs the same model into a VM (hypervisor/hv_vswitch.c).
 */
#include <string.h>

#include "sim_internal.h"

/* What the physical card's events on the machine's queue mean. */
enum { NIC_EV_SENT = 1 };

static const uint8_t default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static const char *const error_names[SIM_NIC_E_COUNT] = {
#define SIM_X_NICERRNAME(name, str, doc) str,
    SIM_NIC_ERRORS(SIM_X_NICERRNAME)
#undef SIM_X_NICERRNAME
};

static const char *const error_docs[SIM_NIC_E_COUNT] = {
#define SIM_X_NICERRDOC(name, str, doc) doc,
    SIM_NIC_ERRORS(SIM_X_NICERRDOC)
#undef SIM_X_NICERRDOC
};

static const char *const event_names[SIM_NIC_EV_COUNT] = {
#define SIM_X_NICEVNAME(name, str) str,
    SIM_NIC_EVENTS(SIM_X_NICEVNAME)
#undef SIM_X_NICEVNAME
};

const char *sim_nic_error_name(unsigned error)
{
    return error < SIM_NIC_E_COUNT ? error_names[error] : "?";
}

const char *sim_nic_error_doc(unsigned error)
{
    return error < SIM_NIC_E_COUNT ? error_docs[error] : "?";
}

const char *sim_nic_event_name(unsigned what)
{
    return what < SIM_NIC_EV_COUNT ? event_names[what] : "?";
}

/* ------------------------------------------------------------------------------------------
 * Events, the interrupt line and errors
 * ------------------------------------------------------------------------------------------ */
/* One card at work: where it is plugged in, and its state. */
typedef struct {
    sim_machine_t *m;
    const sim_nic_env_t *env;
    sim_nic_t *n;
    uint64_t now; /* the cycle the card's work began (its DMAs follow, each after the last) */
} nic_t;

void sim_nic_emit(sim_machine_t *m, int vm, uint64_t cycle, sim_nic_event_t what, uint32_t a,
                  uint32_t b)
{
    cpu_t *cpu0 = &m->cpu[0];
    sim_event_t ev = {.cycle = cycle,
                      .kind = SIM_EV_NIC,
                      .cpu = 0,
                      .mode = (uint8_t)cpu_mode(cpu0),
                      .from_mode = (uint8_t)what,
                      .vm = (int16_t)vm,
                      .vcpu = -1,
                      .a = a,
                      .b = b};
    sim_emit(m, &ev);
}

static void emit_nic(const nic_t *c, uint64_t cycle, sim_nic_event_t what, uint32_t a, uint32_t b)
{
    sim_nic_emit(c->m, c->env->vm, cycle, what, a, b);
}

/* The line is a level: up while a frame was sent or received or an error is unacknowledged. */
static void update_irq(const nic_t *c, uint64_t now)
{
    const uint32_t causes = SIM_NIC_TX_DONE | SIM_NIC_RX | SIM_NIC_ERROR_BIT;
    c->env->irq(c->env->ctx, (c->n->status & causes) != 0, now);
}

static void raise_status(const nic_t *c, uint32_t bits, uint64_t now)
{
    c->n->status |= bits;
    update_irq(c, now);
}

/* Records an error: the ERROR register, the status bit (and line), the counter, an event. */
static void fail(const nic_t *c, uint64_t now, sim_nic_error_t why, uint32_t where)
{
    c->n->error = why;
    c->n->errors++;
    emit_nic(c, now, SIM_NIC_EV_ERROR, where, why);
    raise_status(c, SIM_NIC_ERROR_BIT, now);
}

/* A queue whose ring cannot be read or written back stops: the card turns itself off. */
static void stop(const nic_t *c, uint64_t now, uint32_t where)
{
    c->n->control &= ~SIM_NIC_ENABLE;
    c->n->status &= ~SIM_NIC_TX_BUSY;
    c->env->cancel(c->env->ctx);
    fail(c, now, SIM_NIC_E_DMA_BLOCKED, where);
}

/* ------------------------------------------------------------------------------------------
 * Descriptors: read and written only by the environment's DMA
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint32_t addr, len, status, rxlen;
} nic_desc_t;

static uint32_t desc_addr(const sim_nic_ring_t *ring, uint32_t index)
{
    return ring->base + index * SIM_NIC_DESC_SIZE;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool dma(const nic_t *c, bool to_memory, uint32_t addr, void *buf, uint32_t len,
                uint64_t *cycles)
{
    return c->env->dma(c->env->ctx, to_memory, addr, buf, len, c->now + *cycles, cycles);
}

/* Reads descriptor `index`; *cycles gains what the DMA cost. False when it was refused. */
static bool read_desc(const nic_t *c, const sim_nic_ring_t *ring, uint32_t index, nic_desc_t *d,
                      uint64_t *cycles)
{
    uint8_t raw[SIM_NIC_DESC_SIZE];
    if (!dma(c, false, desc_addr(ring, index), raw, sizeof raw, cycles))
        return false;
    *d = (nic_desc_t){le32(raw), le32(raw + 4), le32(raw + 8), le32(raw + 12)};
    return true;
}

/* Writes back a descriptor's STATUS and RXLEN words (the driver's ADDR and LEN stay). */
static bool write_back(const nic_t *c, const sim_nic_ring_t *ring, uint32_t index, uint32_t status,
                       uint32_t rxlen)
{
    uint8_t raw[8];
    uint64_t cycles = 0; /* the card writes back as it goes on: no delay */
    put_le32(raw, status);
    put_le32(raw + 4, rxlen);
    return dma(c, true, desc_addr(ring, index) + 8, raw, sizeof raw, &cycles);
}

static uint32_t desc_error(sim_nic_error_t why)
{
    return SIM_NIC_DESC_DONE | SIM_NIC_DESC_ERROR | (uint32_t)why << 8;
}

/* Marks a descriptor failed and moves past it; false when even that write was refused. */
static bool skip_bad(const nic_t *c, sim_nic_ring_t *ring, sim_nic_error_t why, uint64_t now)
{
    uint32_t index = ring->head;
    if (!write_back(c, ring, index, desc_error(why), 0)) {
        stop(c, now, index);
        return false;
    }
    ring->head = (index + 1) % ring->size;
    fail(c, now, why, index);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------------------------ */
static bool enabled(const sim_nic_t *n)
{
    return n->control & SIM_NIC_ENABLE;
}

/* Starts the next frame to send, if there is one and none is on the wire. Descriptors with a
 * bad length or a refused buffer are marked and skipped; each pass moves the head, so the loop
 * ends within one trip round the ring. */
static void start_next(const nic_t *c, uint64_t now)
{
    sim_nic_t *n = c->n;
    const uint32_t *cost = c->m->costs.c;
    while (enabled(n) && !(n->status & SIM_NIC_TX_BUSY) && n->tx.head != n->tx.tail) {
        uint64_t cycles = 0;
        nic_desc_t d;
        if (!read_desc(c, &n->tx, n->tx.head, &d, &cycles)) {
            stop(c, now, n->tx.head);
            return;
        }
        sim_nic_error_t why = SIM_NIC_E_NONE;
        if (d.len < SIM_NIC_MIN_FRAME || d.len > SIM_NIC_MAX_FRAME)
            why = SIM_NIC_E_BAD_LENGTH;
        else if (!dma(c, false, d.addr, n->tx_frame, d.len, &cycles))
            why = SIM_NIC_E_DMA_BLOCKED;
        if (why != SIM_NIC_E_NONE) {
            if (!skip_bad(c, &n->tx, why, now))
                return;
            continue;
        }
        n->tx_len = d.len;
        n->status |= SIM_NIC_TX_BUSY;
        emit_nic(c, now, SIM_NIC_EV_SEND, n->tx.head, d.len);
        uint64_t wire = cost[SIM_COST_nic_frame] + (uint64_t)cost[SIM_COST_nic_byte] * d.len;
        c->env->schedule(c->env->ctx, now + cycles + wire);
    }
}

static void deliver(const nic_t *c, const uint8_t *frame, uint32_t len, uint64_t now);

/* The frame has left the card: write the descriptor back, interrupt, hand the frame to the far
 * end (or back, in loopback), and start the next one. */
void sim_nic_sent(sim_machine_t *m, const sim_nic_env_t *env, sim_nic_t *n, uint64_t now)
{
    const nic_t c = {m, env, n, now};
    if (!(n->status & SIM_NIC_TX_BUSY))
        return;
    uint32_t index = n->tx.head;
    n->status &= ~SIM_NIC_TX_BUSY;
    if (!write_back(&c, &n->tx, index, SIM_NIC_DESC_DONE, 0)) {
        stop(&c, now, index);
        return;
    }
    n->tx.head = (index + 1) % n->tx.size;
    n->tx_frames++;
    n->tx_bytes += n->tx_len;
    emit_nic(&c, now, SIM_NIC_EV_SENT, index, n->tx_len);
    raise_status(&c, SIM_NIC_TX_DONE, now);
    if (n->control & SIM_NIC_LOOPBACK)
        deliver(&c, n->tx_frame, n->tx_len, now);
    else
        env->transmit(env->ctx, n->tx_frame, n->tx_len, now);
    start_next(&c, now);
}

/* ------------------------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------------------------ */
static void deliver(const nic_t *c, const uint8_t *frame, uint32_t len, uint64_t now)
{
    sim_nic_t *n = c->n;
    if (!enabled(n) || n->rx.head == n->rx.tail || len > SIM_NIC_MAX_FRAME) {
        n->rx_drops++;
        emit_nic(c, now, SIM_NIC_EV_DROP, n->rx.head, len);
        return;
    }
    uint64_t cycles = 0; /* receiving costs the sender's wire time only */
    nic_desc_t d;
    uint32_t index = n->rx.head;
    if (!read_desc(c, &n->rx, index, &d, &cycles)) {
        stop(c, now, index);
        return;
    }
    if (d.len < len) {
        skip_bad(c, &n->rx, SIM_NIC_E_BUFFER_SMALL, now);
        return;
    }
    if (!dma(c, true, d.addr, (void *)frame, len, &cycles)) {
        skip_bad(c, &n->rx, SIM_NIC_E_DMA_BLOCKED, now);
        return;
    }
    if (!write_back(c, &n->rx, index, SIM_NIC_DESC_DONE, len)) {
        stop(c, now, index);
        return;
    }
    n->rx.head = (index + 1) % n->rx.size;
    n->rx_frames++;
    n->rx_bytes += len;
    emit_nic(c, now, SIM_NIC_EV_RECEIVE, index, len);
    raise_status(c, SIM_NIC_RX, now);
}

void sim_nic_deliver(sim_machine_t *m, const sim_nic_env_t *env, sim_nic_t *n, const uint8_t *frame,
                     uint32_t len, uint64_t now)
{
    const nic_t c = {m, env, n, now};
    deliver(&c, frame, len, now);
}

/* ------------------------------------------------------------------------------------------
 * Registers
 * ------------------------------------------------------------------------------------------ */
static bool ring_ok(const sim_nic_ring_t *r)
{
    return r->size >= SIM_NIC_MIN_RING && r->size <= SIM_NIC_MAX_RING &&
           r->base % SIM_NIC_DESC_SIZE == 0;
}

/* CONTROL: enabling checks the rings and starts them empty; disabling drops the frame in
 * flight. LOOPBACK may change at any time. */
static void write_control(const nic_t *c, uint32_t value, uint64_t now)
{
    sim_nic_t *n = c->n;
    bool was_on = enabled(n), on = value & SIM_NIC_ENABLE;
    if (on && !was_on && (!ring_ok(&n->tx) || !ring_ok(&n->rx))) {
        fail(c, now, SIM_NIC_E_BAD_RING, 0);
        on = false;
    }
    n->control = (value & SIM_NIC_LOOPBACK) | (on ? SIM_NIC_ENABLE : 0);
    if (on && !was_on)
        n->tx.head = n->tx.tail = n->rx.head = n->rx.tail = 0;
    if (!on && was_on) {
        n->status &= ~SIM_NIC_TX_BUSY;
        c->env->cancel(c->env->ctx);
    }
}

/* A tail register: the driver hands the card descriptors up to (not including) `value`. */
static void write_tail(const nic_t *c, sim_nic_ring_t *ring, uint32_t value, uint64_t now)
{
    if (!enabled(c->n))
        return;
    if (value >= ring->size) {
        fail(c, now, SIM_NIC_E_BAD_INDEX, value);
        return;
    }
    ring->tail = value;
    if (ring == &c->n->tx)
        start_next(c, now);
}

/* The ring registers are the driver's only while the card is off. */
static void write_ring_reg(sim_nic_t *n, uint32_t *reg, uint32_t value)
{
    if (!enabled(n))
        *reg = value;
}

uint32_t sim_nic_read(const sim_nic_t *n, unsigned reg)
{
    switch (reg) {
    case SIM_NIC_CONTROL: return n->control;
    case SIM_NIC_TX_BASE: return n->tx.base;
    case SIM_NIC_TX_SIZE: return n->tx.size;
    case SIM_NIC_TX_TAIL: return n->tx.tail;
    case SIM_NIC_TX_HEAD: return n->tx.head;
    case SIM_NIC_RX_BASE: return n->rx.base;
    case SIM_NIC_RX_SIZE: return n->rx.size;
    case SIM_NIC_RX_TAIL: return n->rx.tail;
    case SIM_NIC_RX_HEAD: return n->rx.head;
    case SIM_NIC_STATUS: return n->status;
    case SIM_NIC_ERROR: return n->error;
    case SIM_NIC_MAC_LO: return le32(n->mac);
    case SIM_NIC_MAC_HI: return (uint32_t)n->mac[4] | (uint32_t)n->mac[5] << 8;
    case SIM_NIC_RX_DROPS: return (uint32_t)n->rx_drops;
    default: return 0;
    }
}

void sim_nic_write(sim_machine_t *m, const sim_nic_env_t *env, sim_nic_t *n, unsigned reg,
                   uint32_t value, uint64_t now)
{
    const nic_t c = {m, env, n, now};
    switch (reg) {
    case SIM_NIC_CONTROL: write_control(&c, value, now); break;
    case SIM_NIC_TX_BASE: write_ring_reg(n, &n->tx.base, value); break;
    case SIM_NIC_TX_SIZE: write_ring_reg(n, &n->tx.size, value); break;
    case SIM_NIC_TX_TAIL: write_tail(&c, &n->tx, value, now); break;
    case SIM_NIC_RX_BASE: write_ring_reg(n, &n->rx.base, value); break;
    case SIM_NIC_RX_SIZE: write_ring_reg(n, &n->rx.size, value); break;
    case SIM_NIC_RX_TAIL: write_tail(&c, &n->rx, value, now); break;
    case SIM_NIC_STATUS: /* acknowledge; TX_BUSY is the card's own */
        n->status &= ~(value & (SIM_NIC_TX_DONE | SIM_NIC_RX | SIM_NIC_ERROR_BIT));
        update_irq(&c, now);
        break;
    default: break; /* read-only registers */
    }
}

static bool ring_sane(const sim_nic_ring_t *r, bool on)
{
    if (!on)
        return true; /* the rings are checked, and heads and tails reset, when it is enabled */
    return ring_ok(r) && r->head < r->size && r->tail < r->size;
}

bool sim_nic_sane(const sim_nic_t *n)
{
    bool on = enabled(n);
    return n->tx_len <= SIM_NIC_MAX_FRAME && n->error < SIM_NIC_E_COUNT && ring_sane(&n->tx, on) &&
           ring_sane(&n->rx, on);
}

bool sim_peer_sane(const sim_peer_t *p)
{
    if (p->nqueued > SIM_PEER_QUEUE)
        return false;
    for (unsigned i = 0; i < p->nqueued; i++)
        if (p->len[i] > SIM_NIC_MAX_FRAME)
            return false;
    return true;
}

void sim_nic_reset(sim_nic_t *n, const uint8_t mac[6])
{
    memset(n, 0, sizeof *n);
    memcpy(n->mac, mac, sizeof n->mac);
}

/* ------------------------------------------------------------------------------------------
 * The physical card: on the bus, DMA through the IOMMU, line 11 on CPU 0, the machine's wire
 * ------------------------------------------------------------------------------------------ */
static bool phys_dma(void *ctx, bool to_memory, uint32_t addr, void *buf, uint32_t len, uint64_t at,
                     uint64_t *cycles)
{
    sim_machine_t *m = ctx;
    iommu_status_t st = to_memory ? iommu_dma_write(m, at, SIM_NIC_DMA_ID, addr, buf, len)
                                  : iommu_dma_read(m, at, SIM_NIC_DMA_ID, addr, buf, len);
    *cycles += m->iommu.last_cycles;
    return st == IOMMU_OK;
}

/* The line goes to CPU 0, or to the hypervisor that drives the card or gives it to a VM. */
static void phys_irq(void *ctx, bool level, uint64_t now)
{
    sim_machine_t *m = ctx;
    if (!m->nic_host_irq)
        cpu_set_irq(&m->cpu[0], SIM_NIC_IRQ, level);
    else
        m->nic_host_irq(m->nic_host_irq_ctx, level, now);
}

static void phys_schedule(void *ctx, uint64_t at)
{
    sim_machine_t *m = ctx;
    SIM_ASSERT(sim_schedule(m, at, m->nic.bus_index, NIC_EV_SENT) == 0);
}

static void phys_cancel(void *ctx)
{
    sim_machine_t *m = ctx;
    sim_unschedule(m, m->nic.bus_index, NIC_EV_SENT);
}

static void phys_transmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now)
{
    sim_machine_t *m = ctx; /* with nothing plugged in, the frame leaves into nothing */
    if (m->nic_wire)
        m->nic_wire(m->nic_wire_ctx, frame, len, now);
}

static sim_nic_env_t phys_env(sim_machine_t *m)
{
    return (sim_nic_env_t){.ctx = m,
                           .vm = -1,
                           .dma = phys_dma,
                           .irq = phys_irq,
                           .schedule = phys_schedule,
                           .cancel = phys_cancel,
                           .transmit = phys_transmit};
}

static void nic_timed(void *ctx, uint32_t what, uint64_t now)
{
    sim_machine_t *m = ctx;
    sim_nic_env_t env = phys_env(m);
    if (what == NIC_EV_SENT)
        sim_nic_sent(m, &env, &m->nic, now);
}

static uint32_t nic_read(void *ctx, uint32_t reg)
{
    return sim_nic_read(&((sim_machine_t *)ctx)->nic, reg);
}

static void nic_write(void *ctx, uint32_t reg, uint32_t value)
{
    sim_machine_t *m = ctx;
    sim_nic_env_t env = phys_env(m);
    sim_nic_write(m, &env, &m->nic, reg, value, sim_now(m));
}

void sim_nic_receive(sim_machine_t *m, const uint8_t *frame, uint32_t len, uint64_t now)
{
    sim_nic_env_t env = phys_env(m);
    sim_nic_deliver(m, &env, &m->nic, frame, len, now);
}

void sim_add_nic(sim_machine_t *m)
{
    sim_device_t nic = {.name = "nic",
                        .port_base = SIM_NIC_PORT,
                        .port_count = SIM_NIC_NREGS,
                        .ctx = m,
                        .read = nic_read,
                        .write = nic_write,
                        .timed = nic_timed};
    sim_nic_reset(&m->nic, default_mac);
    m->nic.bus_index = (uint16_t)m->ndevices;
    SIM_ASSERT(sim_add_device(m, &nic) == 0);
}

void sim_nic_set_wire(sim_machine_t *m, sim_nic_wire_fn fn, void *ctx)
{
    m->nic_wire = fn;
    m->nic_wire_ctx = ctx;
}

void sim_nic_set_host_irq(sim_machine_t *m, sim_nic_host_irq_fn fn, void *ctx)
{
    m->nic_host_irq = fn;
    m->nic_host_irq_ctx = ctx;
    if (fn) /* the line is the handler's now: CPU 0 no longer sees it */
        cpu_set_irq(&m->cpu[0], SIM_NIC_IRQ, false);
}

uint32_t sim_nic_host_read(const sim_machine_t *m, unsigned reg)
{
    return sim_nic_read(&m->nic, reg);
}

void sim_nic_host_write(sim_machine_t *m, unsigned reg, uint32_t value, uint64_t now)
{
    sim_nic_env_t env = phys_env(m);
    sim_nic_write(m, &env, &m->nic, reg, value, now);
}

void sim_nic_set_mac(sim_machine_t *m, const uint8_t mac[6])
{
    memcpy(m->nic.mac, mac, sizeof m->nic.mac);
}
