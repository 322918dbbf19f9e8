/*
 * sim_disk.c - the block device: a disk controller that moves 512-byte sectors between its
 * disk image and memory by DMA, and interrupts when a command completes.
 *
 * The driver writes the sector, the count and the DMA address, then the command. The
 * controller is busy for disk_latency + disk_sector * count cycles (a device event on the
 * machine's queue), then moves the data, only through the IOMMU as device SIM_DISK_DMA_ID,
 * sets DONE (and ERROR when it failed) and raises line 14 on CPU 0 until the driver
 * acknowledges by writing STATUS. The data moves at the end, as with a real disk: memory is
 * unchanged while the command is in progress. The register map is in sim.h ("Block device").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* What the device's events on the machine's queue mean. */
enum { DISK_EV_TRANSFER = 1, DISK_EV_COMPLETE = 2 };

static const char *const disk_error_names[SIM_DISK_E_COUNT] = {
#define SIM_X_DISKERRNAME(name, str, doc) str,
    SIM_DISK_ERRORS(SIM_X_DISKERRNAME)
#undef SIM_X_DISKERRNAME
};

const char *sim_disk_error_name(unsigned error)
{
    return error < SIM_DISK_E_COUNT ? disk_error_names[error] : "?";
}

/* The DISK event: when a command starts (done = false) and when it completes. */
static void emit_disk(sim_machine_t *m, uint64_t cycle, bool done)
{
    const sim_disk_t *d = &m->disk;
    cpu_t *cpu0 = &m->cpu[0];
    sim_event_t ev = {.cycle = cycle, .kind = SIM_EV_DISK, .cpu = 0,
                      .mode = (uint8_t)cpu_mode(cpu0), .from_mode = done, .vm = -1, .vcpu = -1,
                      .pc = (d->count & 0xffffu) | (d->command & 0xffu) << 16 |
                            (d->error & 0xffu) << 24,
                      .a = d->sector, .b = d->addr};
    sim_emit(m, &ev);
}

/* Ends the command: DONE (with ERROR when it failed), and the interrupt line up. */
static void complete(sim_machine_t *m, uint64_t now, sim_disk_error_t error)
{
    sim_disk_t *d = &m->disk;
    d->error = error;
    d->status = SIM_DISK_DONE | (error ? SIM_DISK_ERROR_BIT : 0);
    if (error)
        d->errors++;
    cpu_set_irq(&m->cpu[0], SIM_DISK_IRQ, true);
    emit_disk(m, now, true);
}

uint64_t sim_disk_cycles(uint32_t latency, uint32_t per_sector, uint32_t sectors)
{
    return latency + (uint64_t)per_sector * sectors;
}

sim_disk_error_t sim_disk_check(const sim_disk_t *d, uint32_t command)
{
    if (command != SIM_DISK_CMD_READ && command != SIM_DISK_CMD_WRITE)
        return SIM_DISK_E_BAD_COMMAND;
    if (!d->sectors)
        return SIM_DISK_E_NO_DISK;
    if (d->count == 0 || d->count > SIM_DISK_MAX_COUNT)
        return SIM_DISK_E_BAD_COUNT;
    if (d->sector >= d->sectors || d->count > d->sectors - d->sector)
        return SIM_DISK_E_BAD_SECTOR;
    return SIM_DISK_E_NONE;
}

/* A command register write: reject a bad command at once, else start the transfer. */
static void start_command(sim_machine_t *m, uint32_t command)
{
    sim_disk_t *d = &m->disk;
    if (d->status & SIM_DISK_BUSY) {
        d->refused++; /* one command at a time; the one in progress goes on */
        return;
    }
    uint64_t now = sim_now(m);
    d->command = command;
    d->started = now;
    d->error = SIM_DISK_E_NONE;
    emit_disk(m, now, false);
    sim_disk_error_t why = sim_disk_check(d, command);
    if (why != SIM_DISK_E_NONE) {
        complete(m, now, why);
        return;
    }
    d->status = SIM_DISK_BUSY;
    uint64_t busy = sim_disk_cycles(m->costs.c[SIM_COST_disk_latency],
                                    m->costs.c[SIM_COST_disk_sector], d->count);
    SIM_ASSERT(sim_schedule(m, now + busy, d->bus_index, DISK_EV_TRANSFER) == 0);
}

/* The transfer at the end of the command: only through the IOMMU, which checks every page
 * before moving a byte. What the IOMMU's translations cost delays the completion. */
static void transfer(sim_machine_t *m, uint64_t now)
{
    sim_disk_t *d = &m->disk;
    uint8_t *sectors = d->bytes + (size_t)d->sector * SIM_SECTOR_SIZE;
    uint32_t len = d->count * SIM_SECTOR_SIZE;
    iommu_status_t st = d->command == SIM_DISK_CMD_READ
                            ? iommu_dma_write(m, now, SIM_DISK_DMA_ID, d->addr, sectors, len)
                            : iommu_dma_read(m, now, SIM_DISK_DMA_ID, d->addr, sectors, len);
    if (st != IOMMU_OK) {
        complete(m, now, SIM_DISK_E_DMA_BLOCKED);
        return;
    }
    if (d->command == SIM_DISK_CMD_READ) {
        d->reads++;
        d->sectors_read += d->count;
    } else {
        d->writes++;
        d->sectors_written += d->count;
    }
    uint32_t iommu_cycles = m->iommu.last_cycles;
    if (iommu_cycles)
        SIM_ASSERT(sim_schedule(m, now + iommu_cycles, d->bus_index, DISK_EV_COMPLETE) == 0);
    else
        complete(m, now, SIM_DISK_E_NONE);
}

static void disk_timed(void *ctx, uint32_t what, uint64_t now)
{
    sim_machine_t *m = ctx;
    if (what == DISK_EV_TRANSFER)
        transfer(m, now);
    else
        complete(m, now, SIM_DISK_E_NONE);
}

static uint32_t disk_read(void *ctx, uint32_t reg)
{
    return sim_disk_reg(&((sim_machine_t *)ctx)->disk, reg);
}

uint32_t sim_disk_reg(const sim_disk_t *d, unsigned reg)
{
    switch (reg) {
    case SIM_DISK_SECTOR: return d->sector;
    case SIM_DISK_COUNT: return d->count;
    case SIM_DISK_ADDR: return d->addr;
    case SIM_DISK_COMMAND: return d->command;
    case SIM_DISK_STATUS: return d->status;
    case SIM_DISK_ERROR: return d->error;
    case SIM_DISK_CAPACITY: return d->sectors;
    case SIM_DISK_REFUSED: return d->refused;
    default: return 0;
    }
}

static void disk_write(void *ctx, uint32_t reg, uint32_t value)
{
    sim_machine_t *m = ctx;
    sim_disk_t *d = &m->disk;
    bool busy = d->status & SIM_DISK_BUSY;
    switch (reg) {
    /* The parameters of a command in progress stay as they are: the transfer uses them. */
    case SIM_DISK_SECTOR: if (!busy) d->sector = value; break;
    case SIM_DISK_COUNT: if (!busy) d->count = value; break;
    case SIM_DISK_ADDR: if (!busy) d->addr = value; break;
    case SIM_DISK_COMMAND: start_command(m, value); break;
    case SIM_DISK_STATUS:
        d->status &= SIM_DISK_BUSY; /* acknowledge: DONE and ERROR go, the line goes down */
        cpu_set_irq(&m->cpu[0], SIM_DISK_IRQ, false);
        break;
    default: break; /* read-only registers */
    }
}

void sim_add_disk(sim_machine_t *m)
{
    sim_device_t disk = {.name = "disk", .port_base = SIM_DISK_PORT,
                         .port_count = SIM_DISK_NREGS, .ctx = m, .read = disk_read,
                         .write = disk_write, .timed = disk_timed};
    m->disk.bus_index = (uint16_t)m->ndevices;
    SIM_ASSERT(sim_add_device(m, &disk) == 0);
}

int sim_disk_attach(sim_machine_t *m, const void *bytes, size_t len)
{
    if (len == 0 || len % SIM_SECTOR_SIZE || len > SIM_DISK_MAX_BYTES)
        return -1;
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    free(m->disk.bytes);
    m->disk.bytes = copy;
    m->disk.sectors = (uint32_t)(len / SIM_SECTOR_SIZE);
    return 0;
}

int sim_disk_attach_file(sim_machine_t *m, const char *path, FILE *diag)
{
    size_t len;
    char *bytes = sim_read_file_max(path, SIM_DISK_MAX_BYTES, &len);
    if (!bytes) {
        char why[96];
        if (diag)
            fprintf(diag, "%s: error: cannot read the disk image: %s\n", path,
                    sim_read_error(errno, SIM_DISK_MAX_BYTES, why, sizeof why));
        return -1;
    }
    int rc = sim_disk_attach(m, bytes, len);
    if (rc != 0 && diag) {
        if (len == 0 || len % SIM_SECTOR_SIZE)
            fprintf(diag, "%s: error: a disk image is a whole number of 512-byte sectors; this "
                          "file has %zu bytes\n", path, len);
        else if (len > SIM_DISK_MAX_BYTES)
            fprintf(diag, "%s: error: the disk image is larger than 1 GiB\n", path);
        else
            fprintf(diag, "%s: error: out of memory\n", path);
    }
    free(bytes);
    return rc;
}

const uint8_t *sim_disk_bytes(const sim_machine_t *m, size_t *len)
{
    *len = (size_t)m->disk.sectors * SIM_SECTOR_SIZE;
    return m->disk.sectors ? m->disk.bytes : NULL;
}
