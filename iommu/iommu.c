/*
 * iommu.c - DMA remapping: device contexts, the IOTLB, the DMA calls devices must use, and the
 * fault log with its interrupt.
 *
 * A DMA is checked whole before any byte moves: every page of the transfer is translated (and
 * must land in RAM) first, and only then is the data copied. So a device that is allowed to
 * write one page and tries to write two writes nothing at all, and the fault log says which
 * page stopped it. This is what lets a hypervisor give a guest a real device (passthrough)
 * without the device being able to reach memory the guest does not own.
 */
#include <string.h>

#include "iommu.h"
#include "../sim/sim.h"

static const char *const reason_names[IOMMU_REASON_COUNT] = {
#define IOMMU_X_RNAME(name, str, doc) str,
    IOMMU_REASONS(IOMMU_X_RNAME)
#undef IOMMU_X_RNAME
};

static const char *const reason_docs[IOMMU_REASON_COUNT] = {
#define IOMMU_X_RDOC(name, str, doc) doc,
    IOMMU_REASONS(IOMMU_X_RDOC)
#undef IOMMU_X_RDOC
};

const char *iommu_reason_name(unsigned reason)
{
    return reason < IOMMU_REASON_COUNT ? reason_names[reason] : "?";
}

const char *iommu_reason_doc(unsigned reason)
{
    return reason < IOMMU_REASON_COUNT ? reason_docs[reason] : "?";
}

/* What an I/O page walk's failure means for the DMA. */
static const uint8_t reason_of_outcome[MMU_OUTCOME_COUNT] = {
    [MMU_OUTCOME_NOT_PRESENT] = IOMMU_REASON_NOT_PRESENT,
    [MMU_OUTCOME_PERMISSION] = IOMMU_REASON_PERMISSION,
    [MMU_OUTCOME_PRIVILEGE] = IOMMU_REASON_PERMISSION,
    [MMU_OUTCOME_MALFORMED] = IOMMU_REASON_MALFORMED,
    [MMU_OUTCOME_BAD_TABLE] = IOMMU_REASON_BAD_TABLE,
};

/* ------------------------------------------------------------------------------------------
 * Contexts and the IOTLB
 * ------------------------------------------------------------------------------------------ */
void iommu_init(iommu_t *io)
{
    memset(io, 0, sizeof *io);
    mmu_tlb_init(&io->iotlb, IOMMU_IOTLB_ENTRIES, IOMMU_IOTLB_WAYS);
}

static bool match_any(const mmu_tlb_entry_t *e, const void *ctx)
{
    (void)e;
    (void)ctx;
    return true;
}

static bool match_domain(const mmu_tlb_entry_t *e, const void *ctx)
{
    return MMU_TAG_VMID(e->tag) == *(const uint16_t *)ctx;
}

void iommu_invalidate_all(iommu_t *io)
{
    io->stats.iotlb_flushes++;
    mmu_tlb_remove(&io->iotlb, match_any, NULL);
}

void iommu_invalidate_domain(iommu_t *io, uint16_t domain)
{
    io->stats.iotlb_flushes++;
    mmu_tlb_remove(&io->iotlb, match_domain, &domain);
}

void iommu_enable(iommu_t *io, bool on)
{
    io->enabled = on;
    iommu_invalidate_all(io);
}

bool iommu_set_context(iommu_t *io, unsigned device, const iommu_context_t *ctx)
{
    if (device >= IOMMU_MAX_DEVICES)
        return false;
    if (ctx->valid && ctx->translate &&
        (ctx->levels < MMU_MIN_LEVELS || ctx->levels > MMU_MAX_LEVELS))
        return false;
    iommu_context_t old = io->ctx[device];
    /* field by field into a zeroed slot: the padding is part of a snapshot's bytes too */
    memset(&io->ctx[device], 0, sizeof io->ctx[device]);
    io->ctx[device].valid = ctx->valid;
    io->ctx[device].translate = ctx->translate;
    io->ctx[device].levels = ctx->levels;
    io->ctx[device].domain = ctx->domain;
    io->ctx[device].root_pfn = ctx->root_pfn;
    if (old.valid)
        iommu_invalidate_domain(io, old.domain);
    if (ctx->valid && (!old.valid || old.domain != ctx->domain))
        iommu_invalidate_domain(io, ctx->domain);
    return true;
}

/* The leaf bit a DMA needs: R when the device reads memory, W when it writes it. */
static uint32_t needed_bit(mmu_access_t kind)
{
    return kind == MMU_STORE ? MMU_PTE_W : MMU_PTE_R;
}

/* Translates through a context's I/O page tables: the IOTLB, else a walk and a fill. */
static iommu_status_t translate_context(sim_machine_t *m, const iommu_context_t *ctx, uint32_t iova,
                                        mmu_access_t kind, uint32_t *pa, iommu_reason_t *reason)
{
    iommu_t *io = &m->iommu;
    uint32_t tag = MMU_TAG(ctx->domain, 0, 0), vpn = iova >> MMU_PAGE_SHIFT;
    io->stats.translations++;
    mmu_tlb_entry_t *e = mmu_tlb_lookup(&io->iotlb, tag, vpn);
    if (e && (e->perm & needed_bit(kind))) {
        io->stats.iotlb_hits++;
        *pa = (e->pfn << MMU_PAGE_SHIFT) | (iova & MMU_PAGE_OFFSET);
        return IOMMU_OK;
    }
    io->stats.iotlb_misses++;
    uint32_t leaf = 0;
    uint8_t outcome = MMU_OUTCOME_OK;
    mmu_status_t st =
        mmu_walk_io(m, ctx->root_pfn, ctx->levels, iova, kind, &io->trace, &leaf, &outcome);
    io->stats.walk_refs += io->trace.refs;
    io->stats.cycles += m->costs.c[SIM_COST_iotlb_miss] + io->trace.cycles;
    if (st != MMU_OK) {
        *reason = (iommu_reason_t)reason_of_outcome[outcome];
        return IOMMU_BLOCKED;
    }
    mmu_tlb_entry_t fill = {.vpn = vpn,
                            .pfn = MMU_PTE_PFN(leaf),
                            .tag = tag,
                            .perm = (uint16_t)(leaf & (MMU_PTE_R | MMU_PTE_W))};
    mmu_tlb_fill(&io->iotlb, &fill, NULL);
    io->stats.iotlb_fills++;
    *pa = io->trace.pa;
    return IOMMU_OK;
}

iommu_status_t iommu_translate(sim_machine_t *m, unsigned device, uint32_t iova, mmu_access_t kind,
                               uint32_t *pa, iommu_reason_t *reason)
{
    iommu_t *io = &m->iommu;
    const iommu_context_t *ctx = device < IOMMU_MAX_DEVICES ? &io->ctx[device] : NULL;
    *reason = IOMMU_REASON_NONE;
    if (io->enabled && !ctx)
        *reason = IOMMU_REASON_BAD_DEVICE;
    else if (io->enabled && !ctx->valid)
        *reason = IOMMU_REASON_NO_CONTEXT;
    if (*reason != IOMMU_REASON_NONE)
        return IOMMU_BLOCKED;
    if (!io->enabled || !ctx->translate) {
        io->stats.passthrough++;
        *pa = iova;
        return IOMMU_OK;
    }
    return translate_context(m, ctx, iova, kind, pa, reason);
}

/* ------------------------------------------------------------------------------------------
 * The fault log
 * ------------------------------------------------------------------------------------------ */

/* Records a blocked DMA, raises the IOMMU's interrupt line and emits the event. */
static void block(sim_machine_t *m, uint64_t at, unsigned device, uint32_t iova, mmu_access_t kind,
                  iommu_reason_t reason)
{
    iommu_t *io = &m->iommu;
    cpu_t *cpu0 = &m->cpu[0];
    if (io->log_count == IOMMU_FAULT_LOG) {
        io->log_head = (uint8_t)((io->log_head + 1) % IOMMU_FAULT_LOG); /* lose the oldest */
        io->log_count--;
        io->log_overflows++;
    }
    iommu_fault_t *f = &io->log[(io->log_head + io->log_count) % IOMMU_FAULT_LOG];
    *f = (iommu_fault_t){.seq = io->faults++,
                         .cycle = at,
                         .iova = iova,
                         .device = (uint16_t)device,
                         .access = (uint8_t)kind,
                         .reason = (uint8_t)reason,
                         .domain = device < IOMMU_MAX_DEVICES ? io->ctx[device].domain : 0};
    io->log_count++;
    io->stats.blocked++;
    if (!m->iommu_fault)
        cpu_set_irq(cpu0, IOMMU_IRQ, true);
    sim_event_t ev = {.cycle = at,
                      .kind = SIM_EV_DMAFAULT,
                      .cpu = 0,
                      .mode = (uint8_t)cpu_mode(cpu0),
                      .from_mode = (uint8_t)cpu_mode(cpu0),
                      .vm = -1,
                      .vcpu = -1,
                      .pc = cpu0->s.pc,
                      .a = device,
                      .b = iova};
    sim_emit(m, &ev);
    if (m->iommu_fault) /* after the event: the handler's own events follow it */
        m->iommu_fault(m->iommu_fault_ctx, f);
}

void iommu_set_fault_handler(sim_machine_t *m, iommu_fault_fn fn, void *ctx)
{
    m->iommu_fault = fn;
    m->iommu_fault_ctx = ctx;
    if (fn)
        cpu_set_irq(&m->cpu[0], IOMMU_IRQ, false);
}

bool iommu_fault_pop(sim_machine_t *m, iommu_fault_t *out)
{
    iommu_t *io = &m->iommu;
    if (io->log_count == 0)
        return false;
    *out = io->log[io->log_head];
    io->log_head = (uint8_t)((io->log_head + 1) % IOMMU_FAULT_LOG);
    io->log_count--;
    if (io->log_count == 0)
        cpu_set_irq(&m->cpu[0], IOMMU_IRQ, false);
    return true;
}

/* ------------------------------------------------------------------------------------------
 * DMA
 * ------------------------------------------------------------------------------------------ */
#define DMA_MAX_PIECES (IOMMU_DMA_MAX / MMU_PAGE_SIZE + 1)

/* One page's worth of a transfer: where it goes in RAM and how long it is. */
typedef struct {
    uint32_t pa, len;
} piece_t;

/* Translates every page of a transfer and checks that each lands in RAM. Returns true with
 * the pieces, or false after logging the first page that failed. */
static bool plan(sim_machine_t *m, uint64_t at, unsigned device, uint32_t iova, uint32_t len,
                 mmu_access_t kind, piece_t *pieces, unsigned *npieces)
{
    *npieces = 0;
    if (len > IOMMU_DMA_MAX || (uint64_t)iova + len > 0x100000000ull) {
        block(m, at, device, iova, kind, IOMMU_REASON_TOO_LONG);
        return false;
    }
    for (uint32_t done = 0; done < len;) {
        uint32_t va = iova + done, pa;
        uint32_t chunk = MMU_PAGE_SIZE - (va & MMU_PAGE_OFFSET);
        if (chunk > len - done)
            chunk = len - done;
        iommu_reason_t reason;
        if (iommu_translate(m, device, va, kind, &pa, &reason) != IOMMU_OK) {
            block(m, at, device, va, kind, reason);
            return false;
        }
        if (pa > m->ram_size || chunk > m->ram_size - pa) {
            block(m, at, device, va, kind, IOMMU_REASON_NOT_RAM);
            return false;
        }
        pieces[(*npieces)++] = (piece_t){.pa = pa, .len = chunk};
        done += chunk;
    }
    return true;
}

/* A whole transfer: plan it, then move the bytes (a STORE copies src into RAM, a LOAD copies
 * RAM into buf). */
static iommu_status_t dma(sim_machine_t *m, uint64_t at, unsigned device, uint32_t iova,
                          uint8_t *buf, const uint8_t *src, uint32_t len, mmu_access_t kind)
{
    iommu_t *io = &m->iommu;
    uint64_t before = io->stats.cycles;
    piece_t pieces[DMA_MAX_PIECES];
    unsigned n;
    bool ok = plan(m, at, device, iova, len, kind, pieces, &n);
    io->last_cycles = (uint32_t)(io->stats.cycles - before);
    if (!ok)
        return IOMMU_BLOCKED;
    uint32_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        if (m->mem_watch) { /* a debugger's watchpoints see the bytes before they change */
            sim_mem_access_t acc = {.by = SIM_BY_DMA,
                                    .write = kind == MMU_STORE,
                                    .cpu = -1,
                                    .vm = -1,
                                    .device = (uint8_t)device,
                                    .hpa = pieces[i].pa,
                                    .len = pieces[i].len,
                                    .data = kind == MMU_STORE ? src + off : NULL};
            m->mem_watch(&acc, m->mem_watch_ctx);
        }
        if (kind == MMU_STORE) {
            memcpy(m->ram + pieces[i].pa, src + off, pieces[i].len);
            sim_ram_written(m, pieces[i].pa, pieces[i].len);
        } else {
            memcpy(buf + off, m->ram + pieces[i].pa, pieces[i].len);
        }
        off += pieces[i].len;
    }
    if (kind == MMU_STORE)
        io->stats.dma_writes++;
    else
        io->stats.dma_reads++;
    io->stats.bytes += len;
    return IOMMU_OK;
}

iommu_status_t iommu_dma_read(sim_machine_t *m, uint64_t at, unsigned device, uint32_t iova,
                              void *buf, uint32_t len)
{
    return dma(m, at, device, iova, buf, NULL, len, MMU_LOAD);
}

iommu_status_t iommu_dma_write(sim_machine_t *m, uint64_t at, unsigned device, uint32_t iova,
                               const void *buf, uint32_t len)
{
    return dma(m, at, device, iova, NULL, buf, len, MMU_STORE);
}
