/*
 * test_iommu.c - DMA remapping: translation through a device context's I/O page tables and
 * the IOTLB, pass-through (the IOMMU off, or a pass-through context), blocked DMA (it writes
 * nothing, is logged and raises the interrupt), isolation between device contexts, and the
 * fault log's ring.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "../mmu/mmu_util.h"

#define IOVA 0x00010000u
#define PA1 0x00020000u
#define PA2 0x00022000u

/* A machine with the IOMMU on, and I/O tables for domain 1 (and 2) in the host pool:
 * tables[0] maps IOVA..+2 pages to PA1 (read-write), tables[1] maps IOVA to PA2. */
typedef struct {
    sim_machine_t m;
    mmu_builder_t tables[2];
} io_fixture_t;

static void fixture(io_fixture_t *f)
{
    mt_machine(&f->m, 2, 2);
    cr_assert(mmu_build_init(&f->tables[0], &f->m, 2, 0, 0x40, 0x60));
    cr_assert(mmu_build_init(&f->tables[1], &f->m, 3, 0, 0x60, 0x80));
    cr_assert(
        mmu_build_map_range(&f->tables[0], IOVA, PA1, 2 * MMU_PAGE_SIZE, MMU_PTE_R | MMU_PTE_W));
    cr_assert(mmu_build_map(&f->tables[1], IOVA, PA2, MMU_PTE_R | MMU_PTE_W));
    iommu_enable(&f->m.iommu, true);
}

/* Gives `device` the context of tables[t] in `domain`. */
static void attach(io_fixture_t *f, unsigned device, int t, uint16_t domain)
{
    iommu_context_t ctx = {.valid = true,
                           .translate = true,
                           .levels = f->tables[t].levels,
                           .domain = domain,
                           .root_pfn = f->tables[t].root_pfn};
    cr_assert(iommu_set_context(&f->m.iommu, device, &ctx));
}

Test(iommu_translate, dma_through_io_page_tables)
{
    io_fixture_t f;
    fixture(&f);
    attach(&f, 1, 0, 1);
    iommu_t *io = &f.m.iommu;
    cr_assert_eq(iommu_dma_write(&f.m, 0, 1, IOVA + 0x10, "hello", 6), IOMMU_OK);
    cr_expect_str_eq((const char *)f.m.ram + PA1 + 0x10, "hello");
    char back[6] = {0};
    cr_assert_eq(iommu_dma_read(&f.m, 0, 1, IOVA + 0x10, back, 6), IOMMU_OK);
    cr_expect_str_eq(back, "hello");
    cr_expect_eq(io->stats.translations, 2);
    cr_expect_eq(io->stats.iotlb_misses, 1);
    cr_expect_eq(io->stats.iotlb_hits, 1);
    cr_expect_eq(io->stats.iotlb_fills, 1);
    cr_expect_eq(io->stats.walk_refs, 2);
    cr_expect_eq(io->stats.dma_writes, 1);
    cr_expect_eq(io->stats.dma_reads, 1);
    cr_expect_eq(io->stats.bytes, 12);
    uint32_t miss = f.m.costs.c[SIM_COST_iotlb_miss] + 2 * f.m.costs.c[SIM_COST_walk_ref];
    cr_expect_eq(io->stats.cycles, miss);
    cr_expect_eq(io->last_cycles, 0, "the read hit the IOTLB");
    cr_expect_eq(io->trace.ref[0].space, MMU_SPACE_IO);
    cr_expect_eq(io->log_count, 0);
    sim_machine_free(&f.m);
}

Test(iommu_translate, page_crossing_dma_is_translated_page_by_page)
{
    io_fixture_t f;
    fixture(&f);
    attach(&f, 1, 0, 1);
    uint8_t data[64];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    cr_assert_eq(iommu_dma_write(&f.m, 0, 1, IOVA + MMU_PAGE_SIZE - 32, data, 64), IOMMU_OK);
    cr_expect_eq(memcmp(f.m.ram + PA1 + MMU_PAGE_SIZE - 32, data, 64), 0);
    cr_expect_eq(f.m.iommu.stats.translations, 2, "one translation per page");
    sim_machine_free(&f.m);
}

Test(iommu_passthrough, off_mode_and_passthrough_contexts)
{
    io_fixture_t f;
    fixture(&f);
    iommu_t *io = &f.m.iommu;
    iommu_enable(io, false);
    cr_assert_eq(iommu_dma_write(&f.m, 0, 9, 0x30000, "raw", 4), IOMMU_OK,
                 "the off mode lets any device write physical memory");
    cr_expect_str_eq((const char *)f.m.ram + 0x30000, "raw");
    iommu_enable(io, true);
    iommu_context_t pass = {.valid = true, .translate = false, .domain = 4};
    cr_assert(iommu_set_context(io, 2, &pass));
    cr_assert_eq(iommu_dma_write(&f.m, 0, 2, 0x31000, "pass", 5), IOMMU_OK);
    cr_expect_str_eq((const char *)f.m.ram + 0x31000, "pass");
    cr_expect_eq(io->stats.passthrough, 2);
    cr_expect_eq(io->stats.translations, 0);
    cr_expect_eq(iommu_dma_write(&f.m, 0, 9, 0x30000, "x", 2), IOMMU_BLOCKED,
                 "on, a device without a context is blocked");
    sim_machine_free(&f.m);
}

/* ------------------------------------------------------------------------------------------
 * Blocked DMA
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    unsigned device;
    bool write;
    uint32_t iova, len;
    uint32_t fault_iova;
    iommu_reason_t reason;
} block_case_t;

static const block_case_t block_cases[] = {
    {"no context", 3, true, IOVA, 16, IOVA, IOMMU_REASON_NO_CONTEXT},
    {"device id out of range", 99, true, IOVA, 16, IOVA, IOMMU_REASON_BAD_DEVICE},
    {"unmapped IOVA", 1, true, 0x00500000, 16, 0x00500000, IOMMU_REASON_NOT_PRESENT},
    {"write to a read-only page", 1, true, IOVA + 2 * MMU_PAGE_SIZE, 16, IOVA + 2 * MMU_PAGE_SIZE,
     IOMMU_REASON_PERMISSION},
    {"read from a write-only (malformed) page", 1, false, IOVA + 3 * MMU_PAGE_SIZE, 16,
     IOVA + 3 * MMU_PAGE_SIZE, IOMMU_REASON_MALFORMED},
    {"a good first page and a bad second page", 1, true, IOVA + 2 * MMU_PAGE_SIZE - 8, 16,
     IOVA + 2 * MMU_PAGE_SIZE, IOMMU_REASON_PERMISSION},
    {"a read crossing into an unmapped page", 1, false, IOVA + 6 * MMU_PAGE_SIZE - 8, 16,
     IOVA + 6 * MMU_PAGE_SIZE, IOMMU_REASON_NOT_PRESENT},
    {"pass-through beyond RAM", 2, true, MT_RAM - 8, 16, MT_RAM, IOMMU_REASON_NOT_RAM},
    {"longer than IOMMU_DMA_MAX", 1, true, IOVA, IOMMU_DMA_MAX + 1, IOVA, IOMMU_REASON_TOO_LONG},
    {"wrapping around the address space", 1, false, 0xfffffff8u, 16, 0xfffffff8u,
     IOMMU_REASON_TOO_LONG},
};

static void check_block_case(const block_case_t *c)
{
    io_fixture_t f;
    th_events_t ev;
    fixture(&f);
    attach(&f, 1, 0, 1);
    iommu_context_t pass = {.valid = true, .translate = false, .domain = 2};
    cr_assert(iommu_set_context(&f.m.iommu, 2, &pass));
    cr_assert(mmu_build_map(&f.tables[0], IOVA + 2 * MMU_PAGE_SIZE, PA1 + 0x2000, MMU_PTE_R));
    cr_assert(mmu_build_map(&f.tables[0], IOVA + 3 * MMU_PAGE_SIZE, PA1 + 0x3000, MMU_PTE_W));
    cr_assert(mmu_build_map(&f.tables[0], IOVA + 5 * MMU_PAGE_SIZE, PA1 + 0x5000, MMU_PTE_R));
    th_record_events(&f.m, &ev);
    uint8_t *ram_before = malloc(f.m.ram_size);
    uint8_t *buf = malloc(c->len);
    cr_assert(ram_before && buf);
    memcpy(ram_before, f.m.ram, f.m.ram_size);
    memset(buf, 0xab, c->len);

    iommu_status_t st = c->write ? iommu_dma_write(&f.m, 0, c->device, c->iova, buf, c->len)
                                 : iommu_dma_read(&f.m, 0, c->device, c->iova, buf, c->len);
    cr_expect_eq(st, IOMMU_BLOCKED, "%s: not blocked", c->name);
    cr_expect_eq(memcmp(ram_before, f.m.ram, f.m.ram_size), 0, "%s: memory changed", c->name);
    for (uint32_t i = 0; i < c->len; i++)
        cr_assert_eq(buf[i], 0xab, "%s: the device's buffer changed", c->name);
    iommu_t *io = &f.m.iommu;
    cr_expect_eq(io->log_count, 1, "%s", c->name);
    cr_expect(f.m.cpu[0].s.irq_lines & (1u << IOMMU_IRQ), "%s: no interrupt", c->name);
    cr_expect_eq(ev.n, 1, "%s", c->name);
    cr_expect_eq(ev.ev[0].kind, SIM_EV_DMAFAULT, "%s", c->name);
    iommu_fault_t rec;
    cr_assert(iommu_fault_pop(&f.m, &rec));
    cr_expect_eq(rec.device, c->device, "%s", c->name);
    cr_expect_eq(rec.iova, c->fault_iova, "%s: iova 0x%08x", c->name, rec.iova);
    cr_expect_eq(rec.access, c->write ? MMU_STORE : MMU_LOAD, "%s", c->name);
    cr_expect_eq(rec.reason, c->reason, "%s: %s", c->name, iommu_reason_name(rec.reason));
    cr_expect_not(f.m.cpu[0].s.irq_lines & (1u << IOMMU_IRQ), "%s: the line stays up", c->name);
    cr_expect_eq(io->stats.blocked, 1, "%s", c->name);
    free(ram_before);
    free(buf);
    sim_machine_free(&f.m);
}

Test(iommu_fault, blocked_dma_moves_nothing_logs_and_interrupts)
{
    for (size_t i = 0; i < sizeof block_cases / sizeof block_cases[0]; i++)
        check_block_case(&block_cases[i]);
}

Test(iommu_fault, the_log_is_a_ring_that_counts_what_it_lost)
{
    io_fixture_t f;
    fixture(&f);
    for (uint32_t i = 0; i < IOMMU_FAULT_LOG + 8; i++)
        cr_assert_eq(iommu_dma_write(&f.m, 0, 5, 0x1000 * i, "x", 1), IOMMU_BLOCKED);
    iommu_t *io = &f.m.iommu;
    cr_expect_eq(io->log_count, IOMMU_FAULT_LOG);
    cr_expect_eq(io->log_overflows, 8);
    cr_expect_eq(io->faults, IOMMU_FAULT_LOG + 8);
    iommu_fault_t rec;
    for (uint32_t i = 8; i < IOMMU_FAULT_LOG + 8; i++) {
        cr_assert(iommu_fault_pop(&f.m, &rec));
        cr_expect_eq(rec.seq, i, "oldest first");
        cr_expect_eq(rec.iova, 0x1000 * i);
        if (i + 1 < IOMMU_FAULT_LOG + 8)
            cr_expect(f.m.cpu[0].s.irq_lines & (1u << IOMMU_IRQ), "up while records wait");
    }
    cr_expect_not(iommu_fault_pop(&f.m, &rec));
    cr_expect_not(f.m.cpu[0].s.irq_lines & (1u << IOMMU_IRQ));
    sim_machine_free(&f.m);
}

/* A blocked DMA's record and event carry the device's time, not CPU 0's count (a device
 * works on its own schedule: a transfer at the end of a disk command, a NIC's descriptor). */
Test(iommu_fault, the_record_carries_the_dma_time)
{
    io_fixture_t f;
    fixture(&f);
    f.m.cpu[0].s.cycles = 1000;
    cr_assert_eq(iommu_dma_write(&f.m, 123456, 5, 0x1000, "x", 1), IOMMU_BLOCKED);
    iommu_fault_t rec;
    cr_assert(iommu_fault_pop(&f.m, &rec));
    cr_expect_eq(rec.cycle, 123456, "the fault happened at cycle %llu, want the DMA's 123456",
                 (unsigned long long)rec.cycle);
    sim_machine_free(&f.m);
}

/* ------------------------------------------------------------------------------------------
 * Isolation
 * ------------------------------------------------------------------------------------------ */
Test(iommu_isolation, two_contexts_see_different_memory)
{
    io_fixture_t f;
    fixture(&f);
    attach(&f, 1, 0, 1);
    attach(&f, 2, 1, 2);
    attach(&f, 3, 0, 1); /* a second device of domain 1 */
    iommu_t *io = &f.m.iommu;
    cr_assert_eq(iommu_dma_write(&f.m, 0, 1, IOVA, "one", 4), IOMMU_OK);
    uint64_t misses = io->stats.iotlb_misses;
    cr_assert_eq(iommu_dma_write(&f.m, 0, 2, IOVA, "two", 4), IOMMU_OK);
    cr_expect_eq(io->stats.iotlb_misses, misses + 1, "domain 2 must not hit domain 1's entry");
    cr_expect_str_eq((const char *)f.m.ram + PA1, "one");
    cr_expect_str_eq((const char *)f.m.ram + PA2, "two");
    /* Device 2's tables do not map device 1's second page: it cannot reach it. */
    cr_expect_eq(iommu_dma_write(&f.m, 0, 2, IOVA + MMU_PAGE_SIZE, "evil", 5), IOMMU_BLOCKED);
    cr_expect_eq(f.m.ram[PA1 + MMU_PAGE_SIZE], 0);
    /* The other device of domain 1 shares its tables and its IOTLB entries. */
    uint64_t hits = io->stats.iotlb_hits;
    char back[4];
    cr_assert_eq(iommu_dma_read(&f.m, 0, 3, IOVA, back, 4), IOMMU_OK);
    cr_expect_str_eq(back, "one");
    cr_expect_eq(io->stats.iotlb_hits, hits + 1);
    sim_machine_free(&f.m);
}

Test(iommu_isolation, a_new_context_is_seen_at_once)
{
    io_fixture_t f;
    fixture(&f);
    attach(&f, 1, 0, 1);
    cr_assert_eq(iommu_dma_write(&f.m, 0, 1, IOVA, "A", 2), IOMMU_OK);
    attach(&f, 1, 1, 1); /* same domain, other tables: the stale entry must go */
    cr_assert_eq(iommu_dma_write(&f.m, 0, 1, IOVA, "B", 2), IOMMU_OK);
    cr_expect_str_eq((const char *)f.m.ram + PA1, "A");
    cr_expect_str_eq((const char *)f.m.ram + PA2, "B");
    iommu_context_t off = {.valid = false};
    cr_assert(iommu_set_context(&f.m.iommu, 1, &off));
    cr_expect_eq(iommu_dma_write(&f.m, 0, 1, IOVA, "C", 2), IOMMU_BLOCKED);
    sim_machine_free(&f.m);
}

Test(iommu_isolation, bad_contexts_are_refused)
{
    iommu_t io;
    iommu_init(&io);
    iommu_context_t ctx = {.valid = true, .translate = true, .levels = 5, .root_pfn = 0x40};
    cr_expect_not(iommu_set_context(&io, 0, &ctx));
    ctx.levels = 2;
    cr_expect_not(iommu_set_context(&io, IOMMU_MAX_DEVICES, &ctx));
    cr_expect(iommu_set_context(&io, IOMMU_MAX_DEVICES - 1, &ctx));
    cr_expect_not(io.ctx[0].valid);
}
