/*
 * test_disk.c - the block device and the machine's device-event queue: sector reads and
 * writes by DMA, the completion interrupt, the latency to the cycle, blocked DMA and bad
 * commands (an error status, never a crash), a machine whose CPUs are all halted while a
 * transfer is pending (not idle), and determinism.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

#define DISK_SECTORS 16u

/* A disk whose sector s holds the byte (s * 16 + i) & 0xff at offset i. */
static void attach_pattern(sim_machine_t *m)
{
    static uint8_t img[DISK_SECTORS * SIM_SECTOR_SIZE];
    for (unsigned i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)((i / SIM_SECTOR_SIZE) * 16 + i % SIM_SECTOR_SIZE);
    cr_assert_eq(sim_disk_attach(m, img, sizeof img), 0);
}

/* The snippets' shared parts: program a command (r1 sector, r2 count, r3 address, r4 the
 * command), and an interrupt handler that records cycle (r10), status (r11), error (r12) and
 * cause (r13), acknowledges and powers off. */
#define DISK_DEFS                                                                                  \
    ".equ DISK, 0x1f0\n"                                                                           \
    "        b start\n"                                                                            \
    "handler: csrr r10, cycle\n in r11, [DISK + 4]\n in r12, [DISK + 5]\n csrr r13, cause\n"      \
    "        out r0, [DISK + 4]\n in r9, [DISK + 4]\n out r0, [0xf0]\n"                           \
    "command: out r1, [DISK]\n out r2, [DISK + 1]\n out r3, [DISK + 2]\n"                        \
    "        csrr r8, cycle\n out r4, [DISK + 3]\n ret\n"                                          \
    "start:  la r5, handler\n csrw tvec, r5\n li sp, 0x7000\n"

/* Runs a snippet on a machine with the pattern disk; returns why it stopped. */
static sim_run_result_t run_disk(sim_machine_t *m, const char *src)
{
    th_machine(m, src);
    attach_pattern(m);
    return sim_run(m, 1000000);
}

static uint64_t busy_cycles(const sim_machine_t *m, unsigned count)
{
    return m->costs.c[SIM_COST_disk_latency] + (uint64_t)m->costs.c[SIM_COST_disk_sector] * count;
}

Test(disk_io, read_by_dma_then_interrupt)
{
    sim_machine_t m;
    cr_assert_eq(run_disk(&m, DISK_DEFS " li r1, 3\n li r2, 2\n li r3, 0x8000\n li r4, 1\n"
                                        " call command\n sti\n halt\n b .\n"),
                 SIM_RUN_POWEROFF);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[13], CPU_CAUSE_INTERRUPT | SIM_DISK_IRQ, "line 14 interrupts");
    cr_expect_eq(r[11], SIM_DISK_DONE, "status DONE, no error");
    cr_expect_eq(r[12], SIM_DISK_E_NONE);
    cr_expect_eq(r[9], 0, "acknowledging clears DONE");
    cr_expect_eq(m.cpu[0].s.irq_lines & (1u << SIM_DISK_IRQ), 0, "and lowers the line");
    for (unsigned i = 0; i < 2 * SIM_SECTOR_SIZE; i++)
        cr_assert_eq(m.ram[0x8000 + i], (uint8_t)((3 + i / SIM_SECTOR_SIZE) * 16 + i % SIM_SECTOR_SIZE),
                     "byte %u", i);
    cr_expect_eq(m.ram[0x8000 + 2 * SIM_SECTOR_SIZE], 0, "nothing past the sectors asked for");
    cr_expect_eq(m.disk.reads, 1);
    cr_expect_eq(m.disk.sectors_read, 2);
    cr_expect_eq(m.iommu.stats.dma_writes, 1, "the data went through the IOMMU");
    sim_machine_free(&m);
}

/* The interrupt comes exactly disk_latency + disk_sector * count cycles after the command
 * write's bus access; the halted CPU then pays interrupt_entry (an interrupt taken from halt
 * costs no halt_wakeup, as with the timer). */
Test(disk_io, latency_is_exact_in_cycles)
{
    sim_machine_t m;
    run_disk(&m, DISK_DEFS " li r1, 0\n li r2, 5\n li r3, 0x8000\n li r4, 1\n call command\n"
                           " sti\n halt\n b .\n");
    const sim_costs_t *c = &m.costs;
    /* r8 was read by a csrr (2 cycles) just before the out; the out's bus access comes next. */
    uint64_t command_at = m.cpu[0].s.r[8] + 2 + c->c[SIM_COST_device_access];
    uint64_t want = command_at + busy_cycles(&m, 5) + c->c[SIM_COST_interrupt_entry];
    cr_expect_eq(m.cpu[0].s.r[10], want, "handler entered at cycle %u, want %llu",
                 m.cpu[0].s.r[10], (unsigned long long)want);
    sim_machine_free(&m);
}

/* A CPU busy in a loop is stopped at the completion cycle (at its first instruction boundary
 * there), not at the end of its quantum. */
Test(disk_io, running_cpu_takes_the_interrupt_on_time)
{
    sim_machine_t m;
    run_disk(&m, DISK_DEFS " li r1, 0\n li r2, 1\n li r3, 0x8000\n li r4, 1\n call command\n"
                           " sti\nspin: nop\n nop\n b spin\n");
    uint64_t due = m.cpu[0].s.r[8] + 2 + m.costs.c[SIM_COST_device_access] + busy_cycles(&m, 1);
    uint64_t entered = m.cpu[0].s.r[10] - m.costs.c[SIM_COST_interrupt_entry];
    cr_expect(entered >= due && entered < due + 2,
              "interrupt taken at cycle %llu, due at %llu", (unsigned long long)entered,
              (unsigned long long)due);
    sim_machine_free(&m);
}

Test(disk_io, write_by_dma_changes_the_disk)
{
    sim_machine_t m;
    run_disk(&m, DISK_DEFS " li r6, 0x8000\n li r7, 0x5a5a5a5a\n st r7, [r6]\n st r7, [r6 + 508]\n"
                           " li r1, 7\n li r2, 1\n li r3, 0x8000\n li r4, 2\n call command\n"
                           " sti\n halt\n b .\n");
    cr_expect_eq(m.cpu[0].s.r[11], SIM_DISK_DONE);
    size_t len;
    const uint8_t *disk = sim_disk_bytes(&m, &len);
    cr_assert_not_null(disk);
    cr_expect_eq(len, DISK_SECTORS * SIM_SECTOR_SIZE);
    cr_expect_eq(disk[7 * SIM_SECTOR_SIZE], 0x5a);
    cr_expect_eq(disk[7 * SIM_SECTOR_SIZE + 511], 0x5a);
    cr_expect_eq(disk[7 * SIM_SECTOR_SIZE + 4], 0, "the rest of the page was zero");
    cr_expect_eq(disk[8 * SIM_SECTOR_SIZE], (uint8_t)(8 * 16), "the next sector is untouched");
    cr_expect_eq(m.disk.writes, 1);
    sim_machine_free(&m);
}

Test(disk_io, capacity_and_registers_read_back)
{
    sim_machine_t m;
    run_disk(&m, ".equ DISK, 0x1f0\n in r1, [DISK + 6]\n li r2, 9\n out r2, [DISK]\n"
                 " in r3, [DISK]\n in r4, [DISK + 7]\n in r5, [DISK + 4]\n out r0, [0xf0]\n");
    cr_expect_eq(m.cpu[0].s.r[1], DISK_SECTORS);
    cr_expect_eq(m.cpu[0].s.r[3], 9);
    cr_expect_eq(m.cpu[0].s.r[4], 0, "the reserved register reads 0");
    cr_expect_eq(m.cpu[0].s.r[5], 0, "idle: neither busy nor done");
    sim_machine_free(&m);
}

/* Bad commands complete at once with ERROR and a reason; the machine goes on. */
typedef struct {
    const char *name;
    uint32_t sector, count, command;
    bool attach;
    sim_disk_error_t want;
} bad_command_t;

static bad_command_t bad_commands[] = {
    {"sector past the end", DISK_SECTORS, 1, 1, true, SIM_DISK_E_BAD_SECTOR},
    {"sectors running past the end", DISK_SECTORS - 1, 2, 1, true, SIM_DISK_E_BAD_SECTOR},
    {"sector + count wrapping around 2^32", 0xffffffffu, 2, 2, true, SIM_DISK_E_BAD_SECTOR},
    {"count 0", 0, 0, 1, true, SIM_DISK_E_BAD_COUNT},
    {"count above 128", 0, 129, 1, true, SIM_DISK_E_BAD_COUNT},
    {"count 2^32 - 1", 0, 0xffffffffu, 2, true, SIM_DISK_E_BAD_COUNT},
    {"unknown command", 0, 1, 7, true, SIM_DISK_E_BAD_COMMAND},
    {"command 0", 0, 1, 0, true, SIM_DISK_E_BAD_COMMAND},
    {"no disk attached", 0, 1, 1, false, SIM_DISK_E_NO_DISK},
};

ParameterizedTestParameters(disk_errors, bad_command)
{
    TH_ROW_INDICES(sizeof bad_commands / sizeof bad_commands[0]);
}

ParameterizedTest(size_t *index, disk_errors, bad_command)
{
    const bad_command_t *p = &bad_commands[*index];
    sim_machine_t m;
    char src[1024];
    snprintf(src, sizeof src,
             DISK_DEFS " la r1, %u\n la r2, %u\n li r3, 0x8000\n la r4, %u\n call command\n"
                       " csrr r7, cycle\n sti\n halt\n b .\n",
             p->sector, p->count, p->command);
    th_machine(&m, src);
    if (p->attach)
        attach_pattern(&m);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF, "%s", p->name);
    const uint32_t *r = m.cpu[0].s.r;
    cr_expect_eq(r[11], SIM_DISK_DONE | SIM_DISK_ERROR_BIT, "%s: status", p->name);
    cr_expect_eq(r[12], p->want, "%s: error %u, want %u", p->name, r[12], p->want);
    cr_expect_lt(r[10] - r[7], 200, "%s: rejected at once, not after the latency", p->name);
    cr_expect_eq(m.ram[0x8000], 0, "%s: nothing moved", p->name);
    cr_expect_eq(m.disk.errors, 1);
    sim_machine_free(&m);
}

/* With the IOMMU on and no context for the disk, the DMA is blocked: nothing moves, the
 * IOMMU logs it, and the disk reports DMA_BLOCKED after its latency. */
Test(disk_errors, blocked_dma_sets_an_error)
{
    sim_machine_t m;
    th_machine(&m, DISK_DEFS " li r1, 1\n li r2, 1\n li r3, 0x8000\n li r4, 1\n call command\n"
                             " sti\n halt\n b .\n");
    attach_pattern(&m);
    iommu_enable(&m.iommu, true);
    cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[11], SIM_DISK_DONE | SIM_DISK_ERROR_BIT);
    cr_expect_eq(m.cpu[0].s.r[12], SIM_DISK_E_DMA_BLOCKED);
    cr_expect_eq(m.ram[0x8000], 0, "nothing moved");
    iommu_fault_t f;
    cr_assert(iommu_fault_pop(&m, &f));
    cr_expect_eq(f.device, SIM_DISK_DMA_ID);
    cr_expect_eq(f.iova, 0x8000);
    cr_expect_eq(f.reason, IOMMU_REASON_NO_CONTEXT);
    uint64_t transfer_at =
        m.cpu[0].s.r[8] + 2 + m.costs.c[SIM_COST_device_access] + busy_cycles(&m, 1);
    cr_expect_eq(f.cycle, transfer_at, "the fault is logged at the transfer's cycle %llu, not %llu",
                 (unsigned long long)transfer_at, (unsigned long long)f.cycle);
    cr_expect_eq(m.disk.reads, 0);
    sim_machine_free(&m);
}

/* DMA aimed outside RAM (or wrapping) is blocked by the IOMMU's own checks. */
Test(disk_errors, dma_outside_ram_is_blocked)
{
    sim_machine_t m;
    run_disk(&m, DISK_DEFS " li r1, 0\n li r2, 4\n li r3, 0xffffff00\n li r4, 1\n call command\n"
                           " sti\n halt\n b .\n");
    cr_expect_eq(m.cpu[0].s.r[12], SIM_DISK_E_DMA_BLOCKED);
    sim_machine_free(&m);
}

/* A command written while one is in progress is ignored, and so are parameter writes. */
Test(disk_io, command_while_busy_is_ignored)
{
    sim_machine_t m;
    run_disk(&m, DISK_DEFS " li r1, 2\n li r2, 1\n li r3, 0x8000\n li r4, 1\n call command\n"
                           " li r1, 5\n out r1, [DISK]\n li r1, 1\n out r1, [DISK + 3]\n"
                           " in r6, [DISK]\n in r7, [DISK + 4]\n sti\n halt\n b .\n");
    cr_expect_eq(m.cpu[0].s.r[6], 2, "the sector of the command in progress stays");
    cr_expect_eq(m.cpu[0].s.r[7], SIM_DISK_BUSY);
    cr_expect_eq(m.ram[0x8000], 2 * 16, "sector 2 was read");
    cr_expect_eq(m.disk.reads, 1);
    sim_machine_free(&m);
}

/* Every CPU halted with interrupts off, a transfer pending: the machine is not idle. It lets
 * time pass to the completion, whose line wakes the CPU (which continues after halt). */
Test(disk_events, halted_with_a_pending_transfer_is_not_idle)
{
    sim_machine_t m;
    cr_expect_eq(run_disk(&m, DISK_DEFS " li r1, 0\n li r2, 1\n li r3, 0x8000\n li r4, 1\n"
                                        " call command\n halt\n in r6, [DISK + 4]\n"
                                        " out r0, [0xf0]\n"),
                 SIM_RUN_POWEROFF);
    cr_expect_eq(m.cpu[0].s.r[6], SIM_DISK_DONE);
    cr_expect_geq(m.cpu[0].s.cycles, busy_cycles(&m, 1));
    sim_machine_free(&m);
}

/* With nothing pending, a halted machine still is idle. */
Test(disk_events, halted_after_completion_is_idle)
{
    sim_machine_t m;
    cr_expect_eq(run_disk(&m, DISK_DEFS " li r1, 0\n li r2, 1\n li r3, 0x8000\n li r4, 1\n"
                                        " call command\n halt\n out r0, [DISK + 4]\n halt\n"),
                 SIM_RUN_IDLE);
    sim_machine_free(&m);
}

/* The queue itself: events fire in time order, equal times in the order scheduled. */
static uint32_t fired[8];
static unsigned nfired;
static void record_timed(void *ctx, uint32_t what, uint64_t now)
{
    (void)ctx;
    (void)now;
    fired[nfired++] = what;
}

Test(disk_events, queue_fires_in_time_then_schedule_order)
{
    sim_machine_t m;
    th_machine(&m, "li r1, 100\nl: addi r1, r1, -1\n cmpi r1, 0\n bne l\n out r0, [0xf0]\n");
    sim_device_t dev = {.name = "probe", .port_base = 0x500, .port_count = 1, .ctx = NULL,
                        .read = NULL, .write = NULL, .timed = record_timed};
    cr_assert_eq(sim_add_device(&m, &dev), 0);
    unsigned idx = m.ndevices - 1;
    nfired = 0;
    cr_assert_eq(sim_schedule(&m, 50, idx, 3), 0);
    cr_assert_eq(sim_schedule(&m, 20, idx, 1), 0);
    cr_assert_eq(sim_schedule(&m, 50, idx, 4), 0);
    cr_assert_eq(sim_schedule(&m, 30, idx, 2), 0);
    cr_expect_eq(m.timed_next, 20);
    cr_expect_eq(sim_schedule(&m, 10, 0, 0), -1, "the UART schedules nothing");
    sim_run(&m, 100000);
    cr_assert_eq(nfired, 4);
    for (unsigned i = 0; i < 4; i++)
        cr_expect_eq(fired[i], i + 1, "event %u fired as %u", i + 1, fired[i]);
    cr_expect_eq(m.timed_next, UINT64_MAX);
    sim_machine_free(&m);
}

Test(disk_events, two_runs_are_identical)
{
    const char *src = DISK_DEFS " li r1, 4\n li r2, 3\n li r3, 0x8000\n li r4, 1\n call command\n"
                                " sti\nspin: addi r6, r6, 1\n b spin\n";
    sim_machine_t a, b;
    run_disk(&a, src);
    run_disk(&b, src);
    cr_expect_eq(a.cpu[0].s.cycles, b.cpu[0].s.cycles);
    cr_expect_eq(a.cpu[0].s.instret, b.cpu[0].s.instret);
    cr_expect_eq(memcmp(a.cpu[0].s.r, b.cpu[0].s.r, sizeof a.cpu[0].s.r), 0);
    cr_expect_eq(memcmp(a.ram, b.ram, a.ram_size), 0);
    sim_machine_free(&a);
    sim_machine_free(&b);
}

Test(disk_attach, rejects_partial_sectors_and_keeps_the_old_disk)
{
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    uint8_t bytes[1024] = {1};
    size_t len;
    cr_expect_null(sim_disk_bytes(&m, &len));
    cr_expect_eq(sim_disk_attach(&m, bytes, 0), -1);
    cr_expect_eq(sim_disk_attach(&m, bytes, 513), -1);
    cr_expect_eq(sim_disk_attach(&m, bytes, 1024), 0);
    cr_expect_eq(sim_disk_attach(&m, bytes, 100), -1);
    cr_expect_eq(m.disk.sectors, 2, "the disk attached before stays");
    cr_expect_not_null(sim_disk_bytes(&m, &len));
    cr_expect_eq(len, 1024);
    sim_machine_free(&m);
}

Test(disk_attach, file_errors_name_the_file)
{
    sim_machine_t m;
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    char *msg = NULL;
    size_t n = 0;
    FILE *diag = open_memstream(&msg, &n);
    cr_expect_eq(sim_disk_attach_file(&m, "/nonexistent/disk.img", diag), -1);
    fclose(diag);
    cr_expect(strstr(msg, "/nonexistent/disk.img: error: cannot read the disk image") != NULL,
              "%s", msg);
    free(msg);
    sim_machine_free(&m);
}

Test(disk_events, disk_events_in_the_trace)
{
    sim_machine_t m;
    th_events_t rec;
    th_machine(&m, DISK_DEFS " li r1, 1\n li r2, 2\n li r3, 0x8000\n li r4, 1\n call command\n"
                             " sti\n halt\n b .\n");
    attach_pattern(&m);
    th_record_events(&m, &rec);
    sim_run(&m, 1000000);
    char line[160];
    int seen = 0;
    for (unsigned i = 0; i < rec.n; i++) {
        if (rec.ev[i].kind != SIM_EV_DISK)
            continue;
        sim_event_format(&rec.ev[i], line, sizeof line);
        if (seen++ == 0)
            cr_expect(strstr(line, "disk      read start: 2 sectors at 1, memory 0x00008000"), "%s",
                      line);
        else
            cr_expect(strstr(line, "disk      read done: 2 sectors at 1, memory 0x00008000"), "%s",
                      line);
    }
    cr_expect_eq(seen, 2);
    sim_machine_free(&m);
}

/* Two CPUs: CPU 1 spins while CPU 0 waits for the disk. The round in progress is cut at the
 * completion, so CPU 0 takes the interrupt exactly on time though CPU 1 is busy, and the run
 * is the same every time. */
Test(disk_events, two_cpus_one_waits_one_spins)
{
    uint64_t entered[2];
    for (int run = 0; run < 2; run++) {
        sim_machine_t m;
        cr_assert_eq(sim_machine_init(&m, 1u << 20, 2), 0);
        sim_console_set_output(&m, NULL);
        cpu_asm_result_t res;
        cr_assert_eq(cpu_asm_string("two.s",
                                    DISK_DEFS " csrr r1, cpunum\n cmpi r1, 0\n bne spin\n"
                                              " li r1, 0\n li r2, 1\n li r3, 0x8000\n li r4, 1\n"
                                              " call command\n sti\n halt\n b .\n"
                                              "spin: addi r6, r6, 1\n b spin\n",
                                    stderr, &res),
                     0);
        cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
        m.cpu[0].s.pc = m.cpu[1].s.pc = res.base;
        cpu_asm_free(&res);
        attach_pattern(&m);
        cr_assert_eq(sim_run(&m, 1000000), SIM_RUN_POWEROFF);
        uint64_t due = m.cpu[0].s.r[8] + 2 + m.costs.c[SIM_COST_device_access] + busy_cycles(&m, 1);
        entered[run] = m.cpu[0].s.r[10];
        cr_expect_eq(entered[run], due + m.costs.c[SIM_COST_interrupt_entry]);
        cr_expect_gt(m.cpu[1].s.r[6], 1000, "CPU 1 ran meanwhile");
        cr_expect_eq(m.cpu[1].s.interrupts[SIM_DISK_IRQ], 0, "line 14 goes to CPU 0 only");
        sim_machine_free(&m);
    }
    cr_expect_eq(entered[0], entered[1]);
}
