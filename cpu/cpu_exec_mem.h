/*
 * cpu_exec_mem.h - the interpreter's memory accesses, included by cpu_exec.c alone: RAM read
 * and written directly, the translation of a load's or store's address (the translation cache,
 * then the TLB and the walker), the checks before it, and a store's invalidation of blocks.
 *
 * The macros are parts of run_block's body: they read and change its locals (pc, cycles, the
 * block, fetch_vpn ...) and leave through its labels (FAULT, nested_fault), as the rest of the
 * loop's macros in cpu_exec.c do.
 */
#ifndef HVSIM_CPU_EXEC_MEM_H
#define HVSIM_CPU_EXEC_MEM_H

#include <string.h>

#include "cpu_internal.h"

/* ------------------------------------------------------------------------------------------
 * Memory: RAM is reached directly; anything else goes to the bus (devices, bus errors).
 * ------------------------------------------------------------------------------------------ */
/* Simulated memory is little-endian; on a little-endian host a copy is the whole conversion. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_IS_LITTLE_ENDIAN 1
#else
#define HOST_IS_LITTLE_ENDIAN 0
#endif

static inline uint32_t ram_read(const uint8_t *p, unsigned size)
{
    if (HOST_IS_LITTLE_ENDIAN) {
        if (size == 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            return v;
        }
        if (size == 2) {
            uint16_t v;
            memcpy(&v, p, 2);
            return v;
        }
        return p[0];
    }
    switch (size) {
    case 1: return p[0];
    case 2: return (uint32_t)p[0] | (uint32_t)p[1] << 8;
    default: return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
}

static inline void ram_write(uint8_t *p, unsigned size, uint32_t v)
{
    if (HOST_IS_LITTLE_ENDIAN && size == 4) {
        memcpy(p, &v, 4);
        return;
    }
    p[0] = (uint8_t)v;
    if (size >= 2)
        p[1] = (uint8_t)(v >> 8);
    if (size == 4) {
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
}

/* With the MMU on (`paged`, a constant in each copy of the loop) an access's va becomes the
 * physical address pa. First the translation cache (mmu_fast_access): a hit is a TLB hit
 * (prepaid), and says too that the access is aligned and its frame in RAM, so that it goes
 * straight to RAM (FAST_MISS false). Anything else takes the access's slow path: the
 * alignment and truncation checks, then TRANSLATE (the TLB and the walker; a page fault traps
 * with the virtual address in tval, a nested fault stops the CPU), then RAM or a device. In
 * the flat loop FAST_MISS is always true and TRANSLATE compiled away (pa is va). The copy for
 * a truncated segment checks before it looks in the cache, as the checks come first. */
#define FAST_MISS(va, kind, size, pa)                                                              \
    (!paged || truncated || RARELY(!mmu_fast_access(&cpu->mmu, (kind), (va), (size), user, &(pa))))
#define TRANSLATE(va, kind, size, pa)                                                              \
    do {                                                                                           \
        if (paged &&                                                                               \
            !(truncated && mmu_fast_access(&cpu->mmu, (kind), (va), (size), user, &(pa)))) {      \
            UNCHARGE_ACCESS();                                                                     \
            TRANSLATE_SLOW(va, kind, pa);                                                          \
        }                                                                                          \
    } while (0)
#define TRANSLATE_SLOW(va, kind, pa)                                                               \
    do {                                                                                           \
        uint32_t slow_pa_; /* not &(pa): pa stays a register on the fast path */                   \
        tval = (va); /* kept for a fault: va need not live across the call */                      \
        mmu_status_t st_;                                                                          \
        SAVED_CALL(st_ = translate_slow(cpu, tval, (kind), user, &slow_pa_));                      \
        (pa) = slow_pa_;                                                                           \
        AFTER_TLB_CALL();                                                                          \
        if (st_ == MMU_PAGE_FAULT)                                                                 \
            FAULT(page_fault_cause[kind], tval);                                                   \
        if (st_ == MMU_NESTED_FAULT)                                                               \
            goto nested_fault;                                                                     \
    } while (0)
/* After a call into the TLB for a load or store: the code page's translation stays only while
 * the translation cache still mirrors it (the fill may have replaced its TLB entry), and the
 * block goes on only with it, while its page was not written (the walk's A/D bits), the rest
 * of it ends before the limit (the walk cost cycles; all the rest costs but a taken branch is
 * in `cycles` already) and no event turned the debugger on. */
#define AFTER_TLB_CALL()                                                                           \
    do {                                                                                           \
        uint32_t frame_;                                                                           \
        if (fetch_vpn != NO_PAGE &&                                                                \
            (!mmu_fast_lookup(&cpu->mmu, MMU_FETCH, fetch_vpn << MMU_PAGE_SHIFT, user, &frame_) || \
             frame_ != fetch_frame))                                                               \
            fetch_vpn = NO_PAGE;                                                                   \
        if (fetch_vpn == NO_PAGE || !block || cpu->debug ||                                        \
            block->gen != m->blocks.gen[block_pa >> MMU_PAGE_SHIFT] ||                             \
            cycles + taken_cost >= limit) {                                                        \
            block = NULL;                                                                          \
            LEAVE_BLOCK();                                                                         \
        }                                                                                          \
    } while (0)
/* A debugger's watch hook sees each access that succeeded (behind the one debug flag). */
#define WATCH(addr, pa, write, size, value)                                                        \
    do {                                                                                           \
        if (RARELY(cpu->debug) && cpu->watch_fn) {                                                 \
            SAVE();                                                                                \
            cpu->watch_fn(cpu, cpu->debug_ctx, (addr), (pa), (size), (write), (value));            \
            cond = s->flags & CPU_FLAG_COND; /* as the loop read s->flags before (SAVE) */         \
        }                                                                                          \
    } while (0)
/* The truncated data segment of a guest under a co-resident monitor (CPU_MONITOR_BASE): an
 * access through a base register other than r0 (`based`) may not reach the monitor. */
#define TRUNCATE(a, based, kind)                                                                   \
    do {                                                                                           \
        if (truncated && (based) && (a) >= CPU_MONITOR_BASE) {                                     \
            UNCHARGE_ACCESS();                                                                     \
            FAULT(page_fault_cause[kind], (a));                                                    \
        }                                                                                          \
    } while (0)
/* Load `size` bytes at addr into dst, or fault: from RAM at once on a hit in the translation
 * cache, else through the checks and the TLB (LOAD_SLOW); devices are reached through the
 * bus. */
#define LOAD(addr, based, size, dst)                                                               \
    do {                                                                                           \
        uint32_t p_;                                                                               \
        if (FAST_MISS((addr), MMU_LOAD, (size), p_)) {                                             \
            LOAD_SLOW(addr, based, size, dst);                                                     \
        } else {                                                                                   \
            dst = ram_read(ram + p_, (size));                                                      \
            WATCH((addr), p_, false, (size), dst);                                                 \
        }                                                                                          \
    } while (0)
/* The slow path, and the flat loop's only one. addr is worked out again where it is needed (no
 * register has changed): a_ is then not live across the calls of the slow paths, and the
 * compiler keeps it in a register instead of storing it to the stack and loading it back on
 * every access. */
#define LOAD_SLOW(addr, based, size, dst)                                                          \
    do {                                                                                           \
        uint32_t a_ = (addr), p_ = a_;                                                             \
        CHECK_ACCESS(a_, based, size, MMU_LOAD);                                                   \
        TRANSLATE(a_, MMU_LOAD, (size), p_);                                                       \
        if (!RARELY(p_ > ram_size - (size))) {                                                     \
            dst = ram_read(ram + p_, (size));                                                      \
        } else {                                                                                   \
            uint32_t dev_; /* not &dst: dst stays a register on the RAM path */                  \
            SAVE();                                                                                \
            bool ok_ = sim_phys_read(m, cpu, p_, (size), &dev_);                                  \
            RESTORE();                                                                             \
            dst = dev_;                                                                            \
            if (!ok_)                                                                              \
                FAULT(CPU_CAUSE_BUS_ERROR, (addr));                                                \
            END_BLOCK_AFTER_THIS();                                                                \
        }                                                                                          \
        WATCH((addr), p_, false, (size), dst);                                                     \
    } while (0)
/* The checks before an access's translation, in the order of their faults: alignment, then
 * the truncated segment. */
#define CHECK_ACCESS(a, based, size, kind)                                                         \
    do {                                                                                           \
        if (RARELY((a) & ((size)-1))) {                                                            \
            UNCHARGE_ACCESS();                                                                     \
            FAULT(CPU_CAUSE_MISALIGNED, (a));                                                      \
        }                                                                                          \
        TRUNCATE((a), based, kind);                                                                \
    } while (0)
/* A store that hits in the translation cache writes RAM at once: the cache mirrors no store to
 * a page that blocks were decoded from (forget_stores_to_code), so the hit needs no test of
 * the page's mark. */
#define STORE(addr, based, size, val)                                                              \
    do {                                                                                           \
        uint32_t p_;                                                                               \
        if (FAST_MISS((addr), MMU_STORE, (size), p_)) {                                            \
            STORE_SLOW(addr, based, size, val);                                                    \
        } else {                                                                                   \
            WATCH((addr), p_, true, (size), (val)); /* before the write: it reads the old value */ \
            ram_write(ram + p_, (size), (val));                                                    \
        }                                                                                          \
    } while (0)
#define STORE_SLOW(addr, based, size, val)                                                         \
    do {                                                                                           \
        uint32_t a_ = (addr), p_ = a_;                                                             \
        CHECK_ACCESS(a_, based, size, MMU_STORE);                                                  \
        TRANSLATE(a_, MMU_STORE, (size), p_);                                                      \
        WATCH((addr), p_, true, (size), (val));                                                    \
        if (!RARELY(p_ > ram_size - (size))) {                                                     \
            RAM_WRITE(p_, size, val);                                                              \
        } else {                                                                                   \
            SAVE();                                                                                \
            bool ok_ = sim_phys_write(m, cpu, p_, (size), (val));                                 \
            RESTORE();                                                                             \
            if (!ok_)                                                                              \
                FAULT(CPU_CAUSE_BUS_ERROR, (addr));                                                \
            END_BLOCK_AFTER_THIS();                                                                \
        }                                                                                          \
    } while (0)
/* A store's write to RAM, marked written (sim_ram_clear_written), and the invalidation of the
 * blocks decoded from its page when it lands in a granule they came from (an aligned store is
 * within one). */
#define RAM_WRITE(pa, size, val)                                                                   \
    do {                                                                                           \
        ram_write(ram + (pa), (size), (val));                                                      \
        written_page[(pa) >> MMU_PAGE_SHIFT] = 1;                                                  \
        if (RARELY(code_page[(pa) >> MMU_PAGE_SHIFT] & cpu_blocks_granules((pa), (size)))) {       \
            cpu_blocks_drop(&m->blocks, (pa) >> MMU_PAGE_SHIFT, (pa) >> MMU_PAGE_SHIFT);           \
            block = NULL; /* the running block may be one of them */                               \
            LEAVE_BLOCK();                                                                         \
        }                                                                                          \
    } while (0)

#endif
