/*
 * sim_machine.c - the machine as a whole: RAM, the bus that routes physical and port accesses
 * to devices, and the run loop that interleaves the CPUs in a fixed order.
 *
 * Determinism lives here: CPUs take turns of `quantum` cycles in CPU-number order, and nothing
 * in the machine reads the wall clock or an unseeded random source.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_internal.h"

#define SIM_MIN_RAM (64u * 1024u)

_Noreturn void sim_panic(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hvsim: internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

int sim_machine_init(sim_machine_t *m, uint32_t ram_size, unsigned ncpus)
{
    memset(m, 0, sizeof *m);
    if (ram_size < SIM_MIN_RAM || ram_size > 0xf0000000u || ncpus == 0 || ncpus > SIM_MAX_CPUS)
        return -1;
    m->ram = calloc(ram_size, 1);
    m->ram_size = ram_size;
    m->ram_written = malloc(sim_ram_pages(m));
    if (!m->ram || !m->ram_written || cpu_blocks_init(&m->blocks, ram_size) != 0) {
        free(m->ram);
        free(m->ram_written);
        memset(m, 0, sizeof *m);
        return -1;
    }
    memset(m->ram_written, 1, sim_ram_pages(m)); /* written, until a debugger clears them */
    m->ncpus = ncpus;
    m->quantum = SIM_DEFAULT_QUANTUM;
    /* the profile `--costs NAME` chose, or else the defaults (profile 0) */
    sim_costs_profile(&m->costs,
                      sim_cost_profile_chosen() < 0 ? 0 : (size_t)sim_cost_profile_chosen());
    m->mmu_config = (mmu_config_t)MMU_CONFIG_DEFAULT;
    iommu_init(&m->iommu);
    for (unsigned i = 0; i < ncpus; i++)
        cpu_reset(&m->cpu[i], m, (uint8_t)i, CPU_RESET_PC);
    m->console.out = stdout;
    m->timed_next = UINT64_MAX;
    sim_add_uart(m);
    sim_add_power(m);
    sim_add_disk(m);
    sim_add_nic(m);
    sim_add_peer(m);
    sim_account_restart(m);
    return 0;
}

const char *sim_configure_mmu(sim_machine_t *m)
{
    const char *why = mmu_config_check(&m->mmu_config);
    if (why)
        return why;
    for (unsigned i = 0; i < m->ncpus; i++) {
        mmu_init(&m->cpu[i].mmu, &m->mmu_config);
        m->cpu[i].s.csr[CPU_CSR_PTROOT] = 0;
    }
    return NULL;
}

void sim_ram_clear_written(sim_machine_t *m)
{
    memset(m->ram_written, 0, sim_ram_pages(m));
    for (unsigned i = 0; i < m->ncpus; i++)
        mmu_fast_forget_all_stores(&m->cpu[i].mmu);
}

void sim_machine_free(sim_machine_t *m)
{
    free(m->ram);
    free(m->ram_written);
    cpu_blocks_free(&m->blocks);
    sim_keep_free(&m->console.capture);
    free(m->console.input);
    free(m->disk.bytes);
    memset(m, 0, sizeof *m);
}

int sim_load(sim_machine_t *m, uint32_t addr, const void *bytes, size_t size)
{
    if (addr > m->ram_size || size > m->ram_size - addr)
        return -1;
    memcpy(m->ram + addr, bytes, size);
    sim_ram_written(m, addr, size);
    return 0;
}

static bool windows_overlap(const sim_device_t *a, const sim_device_t *b)
{
    bool mmio = a->mmio_size && b->mmio_size && a->mmio_base < b->mmio_base + b->mmio_size &&
                b->mmio_base < a->mmio_base + a->mmio_size;
    bool ports = a->port_count && b->port_count &&
                 a->port_base < b->port_base + b->port_count &&
                 b->port_base < a->port_base + a->port_count;
    return mmio || ports;
}

int sim_add_device(sim_machine_t *m, const sim_device_t *dev)
{
    if (m->ndevices == SIM_MAX_DEVICES)
        return -1;
    if (dev->mmio_size && dev->mmio_base < m->ram_size)
        return -1;
    for (unsigned i = 0; i < m->ndevices; i++)
        if (windows_overlap(&m->devices[i], dev))
            return -1;
    m->devices[m->ndevices++] = *dev;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The bus
 * ------------------------------------------------------------------------------------------ */
static sim_device_t *device_at_address(sim_machine_t *m, uint32_t addr)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        sim_device_t *d = &m->devices[i];
        if (d->mmio_size && addr >= d->mmio_base && addr - d->mmio_base < d->mmio_size)
            return d;
    }
    return NULL;
}

static sim_device_t *device_at_port(sim_machine_t *m, uint16_t port)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        sim_device_t *d = &m->devices[i];
        if (d->port_count && port >= d->port_base && port - d->port_base < d->port_count)
            return d;
    }
    return NULL;
}

static void note_io(sim_machine_t *m, cpu_t *cpu, uint32_t where, uint32_t val, bool write)
{
    cpu->s.cycles += m->costs.c[SIM_COST_device_access];
    sim_event_t ev = {.cycle = cpu->s.cycles, .kind = SIM_EV_IO, .cpu = cpu->s.id,
                      .mode = (uint8_t)cpu_mode(cpu), .from_mode = write, .vm = -1, .vcpu = -1,
                      .pc = cpu->s.pc, .a = where, .b = val};
    sim_emit(m, &ev);
}

bool sim_phys_read(sim_machine_t *m, cpu_t *cpu, uint32_t addr, unsigned size, uint32_t *val)
{
    if (addr < m->ram_size && size <= m->ram_size - addr) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)m->ram[addr + i] << (8 * i);
        *val = v;
        return true;
    }
    sim_device_t *d = device_at_address(m, addr);
    if (!d || size != 4 || (addr & 3))
        return false;
    m->io_cpu = cpu;
    *val = d->read(d->ctx, (addr - d->mmio_base) / 4);
    note_io(m, cpu, addr, *val, false);
    return true;
}

bool sim_phys_write(sim_machine_t *m, cpu_t *cpu, uint32_t addr, unsigned size, uint32_t val)
{
    if (addr < m->ram_size && size <= m->ram_size - addr) {
        for (unsigned i = 0; i < size; i++)
            m->ram[addr + i] = (uint8_t)(val >> (8 * i));
        sim_ram_written(m, addr, size);
        return true;
    }
    sim_device_t *d = device_at_address(m, addr);
    if (!d || size != 4 || (addr & 3))
        return false;
    note_io(m, cpu, addr, val, true);
    m->io_cpu = cpu;
    d->write(d->ctx, (addr - d->mmio_base) / 4, val);
    return true;
}

uint32_t sim_port_read(sim_machine_t *m, cpu_t *cpu, uint16_t port)
{
    sim_device_t *d = device_at_port(m, port);
    m->io_cpu = cpu;
    uint32_t v = d ? d->read(d->ctx, (uint32_t)(port - d->port_base)) : 0xffffffffu;
    note_io(m, cpu, port, v, false);
    return v;
}

void sim_port_write(sim_machine_t *m, cpu_t *cpu, uint16_t port, uint32_t val)
{
    note_io(m, cpu, port, val, true);
    sim_device_t *d = device_at_port(m, port);
    m->io_cpu = cpu;
    if (d)
        d->write(d->ctx, (uint32_t)(port - d->port_base), val);
}

/* ------------------------------------------------------------------------------------------
 * Device events: a queue kept in time order, small enough that insertion sort is the clearest
 * ------------------------------------------------------------------------------------------ */
uint64_t sim_now(const sim_machine_t *m)
{
    return m->io_cpu ? m->io_cpu->s.cycles : m->cpu[0].s.cycles;
}

static int schedule(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what, bool background)
{
    if (m->ntimed == SIM_MAX_TIMED || device >= m->ndevices || !m->devices[device].timed)
        return -1;
    sim_timed_t ev = {.at = at,
                      .seq = m->timed_seq++,
                      .what = what,
                      .device = (uint16_t)device,
                      .background = background};
    unsigned i = m->ntimed++;
    for (; i > 0 && m->timed[i - 1].at > at; i--) /* equal times keep their order (seq) */
        m->timed[i] = m->timed[i - 1];
    m->timed[i] = ev;
    m->timed_next = m->timed[0].at;
    /* The round in progress ends when the event is due, so that no CPU runs past it. */
    if (at < m->round_end)
        m->round_end = at;
    return 0;
}

int sim_schedule(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what)
{
    return schedule(m, at, device, what, false);
}

int sim_schedule_background(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what)
{
    return schedule(m, at, device, what, true);
}

/* An event is pending that may wake a halted CPU (not only housekeeping). */
static bool wake_pending(const sim_machine_t *m)
{
    for (unsigned i = 0; i < m->ntimed; i++)
        if (!m->timed[i].background)
            return true;
    return false;
}

void sim_unschedule(sim_machine_t *m, unsigned device, uint32_t what)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < m->ntimed; i++)
        if (m->timed[i].device != device || m->timed[i].what != what)
            m->timed[kept++] = m->timed[i];
    m->ntimed = kept;
    m->timed_next = kept ? m->timed[0].at : UINT64_MAX;
}

/* Fires, in order, every device event due at or before `upto` (including any that a fired
 * event schedules within that time). */
static void fire_due_events(sim_machine_t *m, uint64_t upto)
{
    while (m->ntimed && m->timed[0].at <= upto) {
        sim_timed_t ev = m->timed[0];
        m->ntimed--;
        memmove(&m->timed[0], &m->timed[1], m->ntimed * sizeof m->timed[0]);
        m->timed_next = m->ntimed ? m->timed[0].at : UINT64_MAX;
        const sim_device_t *d = &m->devices[ev.device];
        m->io_cpu = NULL;
        d->timed(d->ctx, ev.what, ev.at);
    }
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------------------ */
/* One CPU's turn up to `end`: the hypervisor's runner when one is installed, else the CPU
 * itself (a VM exit then returns to the H code after its vmrun, which goes on within the same
 * turn). Either returns early at the first instruction boundary at or past `limit`. A turn
 * resumed after a stop may be past `end` already: it then only finishes what the stop cut
 * short (an exit's handling, the timer check that ends cpu_run). */
static cpu_stop_t run_turn(sim_machine_t *m, cpu_t *cpu, uint64_t end, uint64_t limit)
{
    uint64_t now = cpu->s.cycles;
    if (m->run_turn)
        return m->run_turn(m, cpu, end > now ? end - now : 0, limit, m->run_turn_ctx);
    uint64_t stop = limit < end ? limit : end;
    cpu_stop_t why;
    do
        why = cpu_run(cpu, stop > cpu->s.cycles ? stop - cpu->s.cycles : 0);
    while (why == CPU_STOP_VMEXIT && cpu->s.cycles < stop);
    return why;
}

/*
 * Runs the rounds of turns until the machine powers off, idles for good, a hook stops it, or
 * the CPU whose turn it is reaches `max_cycles`. The rounds never depend on `max_cycles`:
 * a limit that falls in a CPU's turn stops that turn where it is (round_next stays on it,
 * turn_open set) and the next run goes on from there, so that a run stopped at any cycle and
 * resumed ends exactly as one that never stopped (the debugger's stops and reverse execution
 * rest on this).
 */
sim_run_result_t sim_run(sim_machine_t *m, uint64_t max_cycles)
{
    for (;;) {
        if (m->powered_off)
            return SIM_RUN_POWEROFF;
        uint64_t now = m->cpu[0].s.cycles;
        if (m->round_next == 0 && !m->turn_open && now >= m->round_end) { /* a new round */
            if (now >= max_cycles)
                return SIM_RUN_MAX_CYCLES;
            /* Every CPU runs up to the same point in time, so none drifts ahead of another;
             * the round also ends where the next device event is due. */
            m->round_end = now + m->quantum;
            if (m->timed_next < m->round_end)
                m->round_end = m->timed_next;
            m->round_idle = 0;
        }
        for (; m->round_next < m->ncpus && !m->powered_off; m->round_next++) {
            cpu_t *cpu = &m->cpu[m->round_next];
            if (!m->turn_open && cpu->s.cycles >= m->round_end)
                continue;
            if (!m->turn_open && cpu->s.cycles >= max_cycles)
                return SIM_RUN_MAX_CYCLES; /* its turn begins at the next run */
            m->turn_open = true;
            cpu_stop_t why = run_turn(m, cpu, m->round_end, max_cycles);
            /* After these the turn goes on at the next run. */
            if (why == CPU_STOP_DEBUG)
                return SIM_RUN_DEBUG;
            if (why == CPU_STOP_NESTED_FAULT)
                return SIM_RUN_NESTED_FAULT;
            if (why != CPU_STOP_POWEROFF && !m->powered_off && cpu->s.cycles >= max_cycles &&
                cpu->s.cycles < m->round_end)
                return SIM_RUN_MAX_CYCLES;
            m->turn_open = false;
            if (why == CPU_STOP_HALTED)
                m->round_idle++;
        }
        m->round_next = 0;
        /* Halted CPUs are only idle when no device event is left to wake them. */
        if (m->round_idle == m->ncpus && !wake_pending(m))
            return SIM_RUN_IDLE;
        fire_due_events(m, m->round_end);
    }
}
