/*
 * iommu.h - the I/O memory-management unit: every DMA a device makes goes through here.
 *
 * Devices never touch physical memory themselves; they call iommu_dma_read/iommu_dma_write
 * with their device id and an I/O virtual address (IOVA). Each device id has a context: no
 * context (its DMA is blocked), pass-through (IOVA = host-physical) or translated through its
 * own I/O page tables, which have the same format as the CPU's and are read by the same walker
 * (mmu_walk_io). Translations are cached in an IOTLB tagged with the context's domain id, so
 * devices of different domains never share an entry. A blocked DMA writes nothing, is logged
 * (device, IOVA, access, reason) and raises an interrupt line. This is VT-d's DMA remapping,
 * reduced to what the course needs: device passthrough with isolation.
 *
 * With the IOMMU disabled (the bare-metal "off" mode, the reset state) every DMA is
 * pass-through: IOVA = host-physical address, as on a machine with no IOMMU at all.
 */
#ifndef HVSIM_IOMMU_H
#define HVSIM_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "../mmu/mmu.h"

struct sim_machine;

#define IOMMU_MAX_DEVICES 16 /* device ids 0..15 */
#define IOMMU_FAULT_LOG 32   /* fault records kept; older ones are overwritten */
#define IOMMU_IRQ 15         /* the interrupt line (on CPU 0) raised by a blocked DMA */
#define IOMMU_IOTLB_ENTRIES 32
#define IOMMU_IOTLB_WAYS 4
#define IOMMU_DMA_MAX (64u * 1024u) /* the longest single DMA, in bytes */

/* A device's context: what its DMA addresses mean. */
typedef struct {
    bool valid;        /* false: the device may not DMA at all */
    bool translate;    /* false: pass-through, IOVA = host-physical address */
    uint8_t levels;    /* levels of its I/O page tables, 2..4 */
    uint16_t domain;   /* IOTLB tag; devices assigned to one VM share a domain */
    uint32_t root_pfn; /* host frame of the root I/O page table */
} iommu_context_t;

/* Why a DMA was blocked. X(NAME, name, explanation) */
#define IOMMU_REASONS(X)                                                                           \
    X(NONE, "none", "not blocked")                                                                 \
    X(BAD_DEVICE, "bad-device", "the device id is beyond the context table")                       \
    X(NO_CONTEXT, "no-context", "the device has no valid context")                                 \
    X(NOT_PRESENT, "not-present", "no I/O page-table entry maps the IOVA")                         \
    X(PERMISSION, "permission", "the I/O page lacks R (device reads) or W (device writes)")        \
    X(MALFORMED, "malformed", "the I/O page-table leaf has W without R")                           \
    X(BAD_TABLE, "bad-table", "an I/O page table is outside RAM")                                  \
    X(NOT_RAM, "not-ram", "the (translated) address is not RAM")                                   \
    X(TOO_LONG, "too-long", "the transfer is longer than IOMMU_DMA_MAX or wraps around")

typedef enum {
#define IOMMU_X_RENUM(name, str, doc) IOMMU_REASON_##name,
    IOMMU_REASONS(IOMMU_X_RENUM)
#undef IOMMU_X_RENUM
        IOMMU_REASON_COUNT
} iommu_reason_t;

/* One blocked DMA. access is MMU_LOAD for a device read of memory, MMU_STORE for a write. */
typedef struct {
    uint64_t seq;   /* number of the fault since reset, from 0 */
    uint64_t cycle; /* when it happened: the cycle of the DMA (the device's time) */
    uint32_t iova;  /* the first address that failed */
    uint16_t device;
    uint16_t domain;
    uint8_t access; /* mmu_access_t */
    uint8_t reason; /* iommu_reason_t */
} iommu_fault_t;

typedef struct {
    uint64_t dma_reads, dma_writes, bytes; /* transfers that went through, and their bytes */
    uint64_t blocked;                      /* transfers blocked */
    uint64_t translations;                 /* pages translated through I/O page tables */
    uint64_t passthrough;                  /* pages passed through untranslated */
    uint64_t iotlb_hits, iotlb_misses, iotlb_fills, iotlb_flushes;
    uint64_t walk_refs;
    uint64_t cycles; /* IOTLB misses and walks, in cycles */
} iommu_stats_t;

typedef struct {
    bool enabled; /* false: the "off" mode, every DMA passes through */
    iommu_context_t ctx[IOMMU_MAX_DEVICES];
    mmu_tlb_t iotlb;
    iommu_fault_t log[IOMMU_FAULT_LOG]; /* a ring: the oldest at log_head */
    uint8_t log_head, log_count;
    uint64_t faults;        /* faults ever logged (the next seq) */
    uint64_t log_overflows; /* records overwritten before they were read */
    uint32_t last_cycles;   /* what the last DMA cost in the IOMMU */
    iommu_stats_t stats;
    mmu_trace_t trace; /* the last I/O page walk */
} iommu_t;

typedef enum { IOMMU_OK = 0, IOMMU_BLOCKED } iommu_status_t;

/* Resets the IOMMU: off, no contexts, empty IOTLB and log, zero statistics. */
void iommu_init(iommu_t *io);

/* Turns translation on (contexts decide) or off (everything passes through). The IOTLB is
 * flushed either way. */
void iommu_enable(iommu_t *io, bool on);

/* Sets a device's context and flushes the IOTLB entries of its old and new domains, so the
 * change is seen by the next DMA. Returns false (changing nothing) for a device id out of
 * range or, when translating, levels outside 2..4. After changing a context's I/O page tables
 * call iommu_invalidate_domain. */
bool iommu_set_context(iommu_t *io, unsigned device, const iommu_context_t *ctx);

/* Drops the IOTLB entries of one domain, or all of them. */
void iommu_invalidate_domain(iommu_t *io, uint16_t domain);
void iommu_invalidate_all(iommu_t *io);

/*
 * DMA: the device `device` reads len bytes at IOVA iova into buf (iommu_dma_read, the pages
 * need R) or writes len bytes from buf there (iommu_dma_write, the pages need W), at cycle
 * `at`: the device's time, which a blocked DMA's record and event carry (a device works on
 * its own schedule, not at any CPU's count). The
 * transfer is translated page by page, and every page is checked before any byte moves: a
 * transfer with one bad page moves nothing. Returns IOMMU_OK, or IOMMU_BLOCKED after logging
 * the fault and raising IOMMU_IRQ on CPU 0. The IOMMU's cycles go to stats.cycles and
 * last_cycles (the device model adds them to its own latency).
 */
iommu_status_t iommu_dma_read(struct sim_machine *m, uint64_t at, unsigned device, uint32_t iova,
                              void *buf, uint32_t len);
iommu_status_t iommu_dma_write(struct sim_machine *m, uint64_t at, unsigned device, uint32_t iova,
                               const void *buf, uint32_t len);

/* Translates one address for a device as a DMA would (IOTLB, walk, counters), without moving
 * data or logging. Returns IOMMU_OK with *pa, or IOMMU_BLOCKED with *reason. */
iommu_status_t iommu_translate(struct sim_machine *m, unsigned device, uint32_t iova,
                               mmu_access_t kind, uint32_t *pa, iommu_reason_t *reason);

/* A hypervisor that handles DMA faults itself takes the IOMMU's interrupt: with fn set, a
 * blocked DMA no longer raises IOMMU_IRQ on CPU 0; fn is called with the record as it is
 * logged (the record stays in the log for debuggers). NULL gives the line back to CPU 0. Not
 * machine state: the owner installs it again after a restore. */
typedef void (*iommu_fault_fn)(void *ctx, const iommu_fault_t *f);
void iommu_set_fault_handler(struct sim_machine *m, iommu_fault_fn fn, void *ctx);

/* Takes the oldest fault record out of the log; false when the log is empty. The interrupt
 * line is lowered when the log becomes empty. */
bool iommu_fault_pop(struct sim_machine *m, iommu_fault_t *out);

const char *iommu_reason_name(unsigned reason);
const char *iommu_reason_doc(unsigned reason);

#endif
