/*
 * sim_nic.h - the network card of the simulated machine (sim_nic.c): part of sim's public face,
 * included by sim.h (one module, one header; this part has its own file to keep sim.h short).
 *
 * The NIC moves Ethernet frames between memory and its wire. The driver gives it two rings of
 * descriptors in memory, one to transmit and one to receive, and rings a doorbell (a TAIL
 * register); the NIC reads descriptors and frames, and writes received frames and descriptor
 * status, only by DMA through the IOMMU (device id SIM_NIC_DMA_ID: pass-through while the
 * IOMMU is off, as on bare metal). It raises interrupt line 11 on CPU 0 when a frame has been
 * sent or received, or on an error. A frame takes nic_frame + nic_byte * length cycles on the
 * wire (the cost table: the link speed). Everything the NIC holds is plain data in
 * sim_nic_t, so a snapshot can save it.
 *
 *   port   register   access
 *   0x300  CONTROL    rw  bit 0 ENABLE, bit 1 LOOPBACK (sent frames come back to the receive
 *                         ring instead of going on the wire). Enabling checks both rings and
 *                         starts them empty (heads and tails 0); disabling stops both queues
 *                         (a frame being sent is lost)
 *   0x301  TX_BASE    rw  the transmit ring: address of descriptor 0 (an IOVA, 16-byte aligned)
 *   0x302  TX_SIZE    rw  descriptors in the transmit ring, 2..256
 *   0x303  TX_TAIL    rw  doorbell: the descriptor after the last frame ready to send
 *   0x304  TX_HEAD    r   the next descriptor the NIC sends (head = tail: nothing to send)
 *   0x305  RX_BASE    rw  the receive ring (as TX_BASE)
 *   0x306  RX_SIZE    rw  descriptors in the receive ring, 2..256
 *   0x307  RX_TAIL    rw  the descriptor after the last empty buffer given to the NIC
 *   0x308  RX_HEAD    r   the next buffer the NIC fills (head = tail: no buffer, frames dropped)
 *   0x309  STATUS     rw  read: TX_DONE (bit 0), RX (bit 1), ERROR (bit 2), TX_BUSY (bit 3);
 *                         write: the bits written as 1 are acknowledged (cleared); line 11 is
 *                         raised while any of bits 0..2 is set
 *   0x30a  ERROR      r   why the last thing failed (sim_nic_error_t), 0 if nothing did
 *   0x30b  MAC_LO     r   the card's MAC address, bytes 0..3 (byte 0 in bits 0..7)
 *   0x30c  MAC_HI     r   bytes 4..5
 *   0x30d  RX_DROPS   r   frames dropped because no receive buffer was free
 *
 * The base and size registers can be written only while the NIC is disabled. A descriptor is
 * 16 bytes (four little-endian words):
 *
 *   +0  ADDR     the frame's buffer (an IOVA)
 *   +4  LEN      transmit: the frame's length, 14..1514 bytes; receive: the buffer's size
 *   +8  STATUS   written by the NIC: DONE (bit 0), ERROR (bit 1), the sim_nic_error_t in
 *                bits 8..15
 *   +12 RXLEN    written by the NIC on receive: the frame's length
 *
 * Malformed input is a device error, never a simulator fault: a wild length or a buffer the
 * IOMMU blocks marks that descriptor ERROR and the NIC goes on with the next; a ring the IOMMU
 * blocks (its descriptors cannot be read or written back) stops that queue (CONTROL's ENABLE
 * clears) with DMA_BLOCKED; a tail outside the ring is ignored with BAD_INDEX. The queues are
 * bounded by the rings: the NIC holds one frame in flight and buffers nothing else.
 */
#ifndef HVSIM_SIM_NIC_H
#define HVSIM_SIM_NIC_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_NIC_PORT 0x300
#define SIM_NIC_IRQ 11
#define SIM_NIC_DMA_ID 2        /* the card's IOMMU device id */
#define SIM_NIC_MIN_FRAME 14u   /* an Ethernet header */
#define SIM_NIC_MAX_FRAME 1514u /* header + 1500-byte payload (no frame check sequence) */
#define SIM_NIC_MIN_RING 2u
#define SIM_NIC_MAX_RING 256u
#define SIM_NIC_DESC_SIZE 16u
enum {
    SIM_NIC_CONTROL = 0,
    SIM_NIC_TX_BASE,
    SIM_NIC_TX_SIZE,
    SIM_NIC_TX_TAIL,
    SIM_NIC_TX_HEAD,
    SIM_NIC_RX_BASE,
    SIM_NIC_RX_SIZE,
    SIM_NIC_RX_TAIL,
    SIM_NIC_RX_HEAD,
    SIM_NIC_STATUS,
    SIM_NIC_ERROR,
    SIM_NIC_MAC_LO,
    SIM_NIC_MAC_HI,
    SIM_NIC_RX_DROPS,
    SIM_NIC_NREGS = 16
};
#define SIM_NIC_ENABLE 0x1u   /* CONTROL */
#define SIM_NIC_LOOPBACK 0x2u /* CONTROL */
#define SIM_NIC_TX_DONE 0x1u  /* STATUS */
#define SIM_NIC_RX 0x2u
#define SIM_NIC_ERROR_BIT 0x4u
#define SIM_NIC_TX_BUSY 0x8u
#define SIM_NIC_DESC_DONE 0x1u /* descriptor STATUS */
#define SIM_NIC_DESC_ERROR 0x2u

/* Why something failed, X(NAME, name, explanation). */
#define SIM_NIC_ERRORS(X)                                                                          \
    X(NONE, "none", "nothing failed")                                                              \
    X(BAD_RING, "bad-ring", "a ring's size is outside 2..256 or its base is not 16-byte aligned")  \
    X(BAD_INDEX, "bad-index", "a tail written is outside its ring")                                \
    X(BAD_LENGTH, "bad-length", "a frame to send is shorter than 14 or longer than 1514 bytes")    \
    X(BUFFER_SMALL, "buffer-small", "a received frame is longer than the buffer given for it")     \
    X(DMA_BLOCKED, "dma-blocked", "the IOMMU blocked a DMA of a descriptor or a buffer")

typedef enum {
#define SIM_X_NICERR(name, str, doc) SIM_NIC_E_##name,
    SIM_NIC_ERRORS(SIM_X_NICERR)
#undef SIM_X_NICERR
        SIM_NIC_E_COUNT
} sim_nic_error_t;

/* What a NIC event (SIM_EV_NIC, its from_mode) reports. */
#define SIM_NIC_EVENTS(X)                                                                          \
    X(SEND, "send")       /* a frame starts on the wire: a = descriptor, b = length */             \
    X(SENT, "sent")       /* it has left: a = descriptor, b = length */                            \
    X(RECEIVE, "receive") /* a frame written to a buffer: a = descriptor, b = length */            \
    X(DROP, "drop")       /* a frame lost, no buffer free or the NIC off: b = length */            \
    X(ERROR, "error")     /* a = descriptor (or the tail written), b = sim_nic_error_t */

typedef enum {
#define SIM_X_NICEV(name, str) SIM_NIC_EV_##name,
    SIM_NIC_EVENTS(SIM_X_NICEV)
#undef SIM_X_NICEV
        SIM_NIC_EV_COUNT
} sim_nic_event_t;

/* One direction's ring, as the driver set it and as the NIC has got through it. */
typedef struct {
    uint32_t base, size; /* address of descriptor 0 (an IOVA), descriptors */
    uint32_t head, tail; /* the NIC's next descriptor; the driver's first one not given */
} sim_nic_ring_t;

/* The whole card: registers, the frame in flight and the counters. Plain data. */
typedef struct {
    uint32_t control, status, error;
    uint8_t mac[6];
    sim_nic_ring_t tx, rx;
    uint16_t bus_index;                  /* its place in m->devices */
    uint32_t tx_len;                     /* the frame being sent (TX_BUSY), its bytes below */
    uint8_t tx_frame[SIM_NIC_MAX_FRAME]; /* read from memory when its sending started */
    uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes, rx_drops, errors; /* statistics */
} sim_nic_t;

/* The peer host at the other end of the card's cable (sim_peer.c): a simulated machine that
 * answers pings. Plain data: the replies it has still to send, with the cycle each is due. */
#define SIM_PEER_QUEUE 4           /* replies waiting at most; a request beyond them is dropped */
#define SIM_PEER_ETHERTYPE 0x88b5u /* what it answers: local experimental frames */
typedef struct {
    uint8_t mac[6];
    uint16_t bus_index;
    uint32_t nqueued;
    uint64_t due[SIM_PEER_QUEUE];
    uint32_t len[SIM_PEER_QUEUE];
    uint8_t frame[SIM_PEER_QUEUE][SIM_NIC_MAX_FRAME];
    uint64_t received, answered, ignored, dropped; /* statistics */
} sim_peer_t;

struct sim_machine;

/* ------------------------------------------------------------------------------------------
 * The card's model, shared by the physical card and a hypervisor's virtual ones (the same
 * registers, rings and rules). What differs is where it is plugged in: its environment.
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    void *ctx;
    int vm; /* the VM whose card it is (the events name it), -1: the physical card */
    /* Moves len bytes between memory at `addr` and buf (into memory when `to_memory`) at
     * cycle `at`; adds what it cost to *cycles. False, having moved nothing, when the DMA is
     * refused. */
    bool (*dma)(void *ctx, bool to_memory, uint32_t addr, void *buf, uint32_t len, uint64_t at,
                uint64_t *cycles);
    void (*irq)(void *ctx, bool level, uint64_t now); /* the card's interrupt line, at `now` */
    /* Calls sim_nic_sent at cycle `at` (a device event); cancel drops that call. */
    void (*schedule)(void *ctx, uint64_t at);
    void (*cancel)(void *ctx);
    /* A frame has left the card (not called in loopback). */
    void (*transmit)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now);
} sim_nic_env_t;

/* Resets a card: registers 0, rings empty, counters 0, the MAC address given. */
void sim_nic_reset(sim_nic_t *n, const uint8_t mac[6]);
/* A register read and write (reg: the port offset, 0..15) at cycle `now`. */
uint32_t sim_nic_read(const sim_nic_t *n, unsigned reg);
void sim_nic_write(struct sim_machine *m, const sim_nic_env_t *env, sim_nic_t *n, unsigned reg,
                   uint32_t value, uint64_t now);
/* The frame in flight has left (the call env->schedule asked for). */
void sim_nic_sent(struct sim_machine *m, const sim_nic_env_t *env, sim_nic_t *n, uint64_t now);
/* A frame arrives at cycle `now`: into the next free receive buffer, or dropped and counted. */
void sim_nic_deliver(struct sim_machine *m, const sim_nic_env_t *env, sim_nic_t *n,
                     const uint8_t *frame, uint32_t len, uint64_t now);

/* A `nic` event (SIM_EV_NIC) of the card of VM `vm` (-1: the machine's own) at `cycle`: how
 * every card reports its frames, the paravirtual one of the hypervisor included. */
void sim_nic_emit(struct sim_machine *m, int vm, uint64_t cycle, sim_nic_event_t what, uint32_t a,
                  uint32_t b);

/* ------------------------------------------------------------------------------------------
 * The physical card
 * ------------------------------------------------------------------------------------------ */
/* What the other end of the cable does with a frame that has left the card at cycle `now`.
 * At reset the peer host is plugged in (sim_peer.c): frames of EtherType 0x88b5 to its address
 * (02:00:00:00:00:fe) or to everyone whose payload starts with "ping" are answered, after the
 * reply's own wire time, with a frame back to the sender whose payload is "pong from peer";
 * every other frame is ignored. NULL: nothing is plugged in and frames are lost. Not machine state:
 * the owner of the other end installs it again after a restore. */
typedef void (*sim_nic_wire_fn)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t now);
void sim_nic_set_wire(struct sim_machine *m, sim_nic_wire_fn fn, void *ctx);

/* A hypervisor that drives the card itself (the virtual switch's uplink) or gives it to a VM
 * (passthrough) takes its interrupt: with fn set, line 11 no longer goes to CPU 0; fn is called
 * at the cycle the line rises or falls (level), and the uplink's acknowledges STATUS. NULL gives
 * the line back to CPU 0. Not machine state, as the wire. */
typedef void (*sim_nic_host_irq_fn)(void *ctx, bool level, uint64_t now);
void sim_nic_set_host_irq(struct sim_machine *m, sim_nic_host_irq_fn fn, void *ctx);
/* The physical card's registers as the machine's owner (a hypervisor's driver) reads and writes
 * them at cycle `now`, outside any CPU's instruction. */
uint32_t sim_nic_host_read(const struct sim_machine *m, unsigned reg);
void sim_nic_host_write(struct sim_machine *m, unsigned reg, uint32_t value, uint64_t now);

/* A frame arrives from the wire at cycle `now` (at most SIM_NIC_MAX_FRAME bytes; longer ones
 * are dropped): it goes into the next free receive buffer, or is dropped and counted. */
void sim_nic_receive(struct sim_machine *m, const uint8_t *frame, uint32_t len, uint64_t now);

/* Sets the card's MAC address (at reset 02:00:00:00:00:01, a locally administered one). */
void sim_nic_set_mac(struct sim_machine *m, const uint8_t mac[6]);

/* A card or the peer host as a snapshot loads it: false when a value that indexes an array or
 * divides (a ring's size, head and tail; a length; the replies waiting) is out of range. */
bool sim_nic_sane(const sim_nic_t *n);
bool sim_peer_sane(const sim_peer_t *p);

const char *sim_nic_error_name(unsigned error);
const char *sim_nic_error_doc(unsigned error);
const char *sim_nic_event_name(unsigned what);

#endif
