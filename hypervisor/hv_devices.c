/*
 * hv_devices.c - the virtual devices of each VM: console, power-off, block device, timer.
 *
 * Lecture idea: one physical machine, many virtual ones. Each VM gets its own devices, with
 * the same registers as the bare machine's (docs/isa.md, sim/sim.h), so an unmodified guest
 * drives them with the same code; none of them exists in hardware. A guest reaches only the
 * devices it was given: a port or window of no device of its own answers as an empty bus.
 *
 *   console   UART ports 0x3f8..0x3fa and MMIO 0xf0000000; the hypercall console. Output is
 *             kept per VM and printed by lines as "[name] line" (the one physical console
 *             multiplexed); input comes from the VM's own script; line 1 while it waits
 *   power     port 0x0f0, MMIO 0xf0001000: the VM (not the machine) powers off
 *   disk      ports 0x1f0..0x1f7, line 14: serves the VM's own disk image, a region of the
 *             host's one disk where its commands queue with the other VMs' (hv_hostdisk.c);
 *             the data is copied into guest memory through the VM's nested mapping (DMA
 *             remapped to the VM's memory), never anywhere else
 *   timer     the timer CSR of each VCPU, in host cycles (virtual time = wall time); line 0
 *   nic       ports 0x300..0x30f, line 11: the physical card's model, its DMA into the VM's
 *             memory, its frames into the virtual switch (hv_vswitch.c)
 *   entropy   ports 0x320..0x321, with `entropy = on` only: a device no hardware has
 *             (hv_entropy.c)
 *
 * A device register access costs hv_emulate on the pCPU (the device model's work).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"

enum { UART_DATA = 0, UART_STATUS = 1, UART_CONTROL = 2 };
#define UART_INPUT_READY 0x1u
#define UART_OUTPUT_READY 0x2u

/* ------------------------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------------------------ */
int hv_dev_init(hv_t *hv, unsigned vm, const hv_vm_config_t *cfg, char *err, size_t len)
{
    hv_vdev_t *d = &hv->vms[vm].dev;
    memset(d, 0, sizeof *d);
    hv_vnic_init(hv, vm);
    hv_entropy_init(&d->entropy, cfg->entropy, cfg->entropy_seed);
    if (cfg->input && *cfg->input) {
        d->in_len = strlen(cfg->input);
        d->input = malloc(d->in_len);
        if (!d->input)
            goto oom;
        memcpy(d->input, cfg->input, d->in_len);
    }
    if (cfg->disk && cfg->disk_len) {
        if (cfg->disk_len % SIM_SECTOR_SIZE || cfg->disk_len > SIM_DISK_MAX_BYTES) {
            snprintf(err, len, "VM %s: a disk image is a whole number of 512-byte sectors, at "
                               "most 1 GiB", cfg->name);
            hv_dev_free(d);
            return -1;
        }
        /* guest_swap: zeroed sectors past the image, the guest's swap area (hv_gswap.c) */
        d->disk.bytes = calloc(1, cfg->disk_len + cfg->guest_swap);
        if (!d->disk.bytes)
            goto oom;
        memcpy(d->disk.bytes, cfg->disk, cfg->disk_len);
        d->disk.sectors = (uint32_t)((cfg->disk_len + cfg->guest_swap) / SIM_SECTOR_SIZE);
        hv->vms[vm].guest_swap_slots = cfg->guest_swap / MMU_PAGE_SIZE;
    } else if (cfg->guest_swap) {
        snprintf(err, len, "VM %s: guest_swap adds a swap area to a disk: give it a disk image",
                 cfg->name);
        hv_dev_free(d);
        return -1;
    }
    if (cfg->transcript && !(d->transcript_file = fopen(cfg->transcript, "w"))) {
        snprintf(err, len, "VM %s: cannot write its transcript to %s: %s", cfg->name,
                 cfg->transcript, strerror(errno));
        hv_dev_free(d);
        return -1;
    }
    return 0;
oom:
    hv_dev_free(d);
    snprintf(err, len, "VM %s: out of host memory", cfg->name);
    return -1;
}

void hv_dev_free(hv_vdev_t *d)
{
    if (d->transcript_file)
        fclose(d->transcript_file);
    d->transcript_file = NULL;
    sim_keep_free(&d->transcript);
    free(d->input);
    free(d->disk.bytes);
    d->input = NULL;
    d->disk.bytes = NULL;
}

static hv_vcpu_t *boot_vcpu(hv_t *hv, unsigned vm)
{
    return &hv->ent[hv->vms[vm].vcpu[0]]; /* device lines go to vcpu0, as to CPU 0 natively */
}

/* ------------------------------------------------------------------------------------------
 * Console
 * ------------------------------------------------------------------------------------------ */
static void keep(hv_t *hv, hv_vdev_t *d, const char *bytes, size_t n)
{
    if (d->transcript_file)
        fwrite(bytes, 1, n, d->transcript_file);
    sim_keep_add(&d->transcript, bytes, n,
                 hv->cfg.console_keep ? hv->cfg.console_keep : HV_DEFAULT_CONSOLE_KEEP);
}

/* A whole line goes out at once, with the VM's name: the physical console is shared. */
static void flush_line(hv_t *hv, unsigned vm, bool newline)
{
    hv_vdev_t *d = &hv->vms[vm].dev;
    keep(hv, d, d->line, d->line_len);
    if (newline)
        keep(hv, d, "\n", 1);
    if (hv->cfg.console && (d->line_len || newline))
        fprintf(hv->cfg.console, "[%s] %.*s\n", hv->vms[vm].name, (int)d->line_len, d->line);
    d->line_len = 0;
}

static void console_byte(hv_t *hv, unsigned vm, char c)
{
    hv_vdev_t *d = &hv->vms[vm].dev;
    if (c == '\n') {
        flush_line(hv, vm, true);
        return;
    }
    if (d->line_len == sizeof d->line)
        flush_line(hv, vm, false);
    d->line[d->line_len++] = c;
}

void hv_dev_flush_console(hv_t *hv, unsigned vm)
{
    if (hv->vms[vm].dev.line_len)
        flush_line(hv, vm, false);
}

static bool input_ready(const hv_vdev_t *d)
{
    return d->in_pos < d->in_len;
}

uint32_t hv_dev_uart_status(const hv_t *hv, unsigned vm)
{
    return UART_OUTPUT_READY | (input_ready(&hv->vms[vm].dev) ? UART_INPUT_READY : 0);
}

static void update_uart_line(hv_t *hv, unsigned vm)
{
    const hv_vdev_t *d = &hv->vms[vm].dev;
    hv_virq(hv, boot_vcpu(hv, vm), SIM_UART_IRQ, d->uart_irq && input_ready(d));
}

static uint32_t uart_read(hv_t *hv, unsigned vm, uint32_t reg)
{
    hv_vdev_t *d = &hv->vms[vm].dev;
    switch (reg) {
    case UART_DATA: {
        if (!input_ready(d))
            return 0xffffffffu;
        uint32_t c = (uint8_t)d->input[d->in_pos++];
        update_uart_line(hv, vm);
        return c;
    }
    case UART_STATUS: return hv_dev_uart_status(hv, vm);
    case UART_CONTROL: return d->uart_irq ? 1 : 0;
    default: return 0xffffffffu;
    }
}

static void uart_write(hv_t *hv, unsigned vm, uint32_t reg, uint32_t value)
{
    if (reg == UART_DATA) {
        console_byte(hv, vm, (char)(value & 0xff));
    } else if (reg == UART_CONTROL) {
        hv->vms[vm].dev.uart_irq = value & 1;
        update_uart_line(hv, vm);
    }
}

int32_t hv_dev_console_write(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t len)
{
    enum { HC_MAX = 4096 };
    char buf[HC_MAX];
    if (len > HC_MAX)
        return -2; /* too long for one call */
    if (!hv_copy_from_guest(hv, vm, gpa, buf, len, "reading a console hypercall's text"))
        return -3; /* not the VM's memory */
    hv_charge(hv, SIM_COST_hv_emulate);
    hv->vms[vm].stats.console_calls++;
    hv->vms[vm].stats.console_bytes += len;
    for (uint32_t i = 0; i < len; i++) /* as the UART would take them: a line ends at '\n' */
        console_byte(hv, vm, buf[i]);
    hv_emit_more(hv, SIM_HV_CONSOLE, (int)vm, -1, len, gpa);
    return (int32_t)len;
}

/* ------------------------------------------------------------------------------------------
 * Block device
 * ------------------------------------------------------------------------------------------ */
static void disk_complete(hv_t *hv, unsigned vm, sim_disk_error_t error)
{
    sim_disk_t *d = &hv->vms[vm].dev.disk;
    d->error = error;
    d->status = SIM_DISK_DONE | (error ? SIM_DISK_ERROR_BIT : 0);
    d->errors += error != SIM_DISK_E_NONE;
    hv_virq(hv, boot_vcpu(hv, vm), SIM_DISK_IRQ, true);
}

static void disk_command(hv_t *hv, unsigned vm, uint32_t command)
{
    sim_disk_t *d = &hv->vms[vm].dev.disk;
    if (d->status & SIM_DISK_BUSY) {
        d->refused++; /* one command at a time: a flood queues nothing in the host */
        return;
    }
    d->command = command;
    d->error = SIM_DISK_E_NONE;
    d->started = hv->cur->s.cycles;
    sim_disk_error_t why = sim_disk_check(d, command);
    if (why != SIM_DISK_E_NONE) {
        disk_complete(hv, vm, why);
        return;
    }
    d->status = SIM_DISK_BUSY;
    unsigned ahead; /* the host's one disk serves the other VMs' commands queued before it */
    uint64_t at = hv_hostdisk_submit(hv, vm, hv->cur->s.cycles, &ahead);
    at = hv_limit_pace(&hv->vms[vm].disk_limit, d->count * SIM_SECTOR_SIZE, at); /* disk_bw */
    SIM_ASSERT(sim_schedule(hv->m, at, hv->hub, HV_TIMED(HV_TIMED_DISK, vm)) == 0);
    hv_emit_more(hv, SIM_HV_DISK, (int)vm, -1, command << 16 | (ahead & 0xff) << 8 | d->count,
                 (uint32_t)(at - hv->cur->s.cycles));
}

/* The transfer, when the command's time is up: between the VM's own image and its own
 * memory, page by page through its nested mapping. An address outside its memory moves
 * nothing and fails the command, as a DMA the IOMMU blocks does. */
static void disk_transfer(hv_t *hv, unsigned vm, uint64_t now)
{
    hv_vm_t *v = &hv->vms[vm];
    sim_disk_t *d = &v->dev.disk;
    if (v->disk_late) { /* moved already; its DMA waited for the hypervisor's swap device */
        v->disk_late = 0;
        disk_complete(hv, vm, SIM_DISK_E_NONE);
        return;
    }
    hv_hostdisk_done(hv, vm, now);
    uint8_t *bytes = d->bytes + (size_t)d->sector * SIM_SECTOR_SIZE;
    size_t len = (size_t)d->count * SIM_SECTOR_SIZE;
    hv_gswap_mark_t before = hv_gswap_mark(hv, vm);
    bool ok = d->command == SIM_DISK_CMD_READ
                  ? hv_copy_to_guest(hv, vm, d->addr, bytes, len, "the virtual disk's DMA")
                  : hv_copy_from_guest(hv, vm, d->addr, bytes, len, "the virtual disk's DMA");
    if (ok && d->command == SIM_DISK_CMD_READ) {
        d->reads++;
        d->sectors_read += d->count;
    } else if (ok) {
        d->writes++;
        d->sectors_written += d->count;
    }
    uint64_t late = hv_gswap_transferred(hv, vm, ok, &before); /* double paging */
    if (late) {
        v->disk_late = 1;
        SIM_ASSERT(sim_schedule(hv->m, now + late, hv->hub, HV_TIMED(HV_TIMED_DISK, vm)) == 0);
        return;
    }
    disk_complete(hv, vm, ok ? SIM_DISK_E_NONE : SIM_DISK_E_DMA_BLOCKED);
}

static void disk_write(hv_t *hv, unsigned vm, uint32_t reg, uint32_t value)
{
    sim_disk_t *d = &hv->vms[vm].dev.disk;
    bool busy = d->status & SIM_DISK_BUSY;
    switch (reg) {
    case SIM_DISK_SECTOR: if (!busy) d->sector = value; break;
    case SIM_DISK_COUNT: if (!busy) d->count = value; break;
    case SIM_DISK_ADDR: if (!busy) d->addr = value; break;
    case SIM_DISK_COMMAND: disk_command(hv, vm, value); break;
    case SIM_DISK_STATUS:
        d->status &= SIM_DISK_BUSY;
        hv_virq(hv, boot_vcpu(hv, vm), SIM_DISK_IRQ, false);
        break;
    default: break;
    }
}

/* ------------------------------------------------------------------------------------------
 * The VM's bus: ports and MMIO windows to device models
 * ------------------------------------------------------------------------------------------ */
/* The virtual devices' ports: a port's device model reads or writes one register. */
static bool is_nic_port(uint16_t port)
{
    return port >= SIM_NIC_PORT && port < SIM_NIC_PORT + SIM_NIC_NREGS;
}

hv_io_device_t hv_dev_port_device(const hv_t *hv, unsigned vm, uint16_t port)
{
    if (hv_entropy_port(hv, vm, port))
        return HV_IO_ENTROPY; /* only in a VM that has it: elsewhere the bus is empty there */
    if (port >= SIM_UART_PORT && port < SIM_UART_PORT + 3)
        return HV_IO_CONSOLE;
    if (port >= SIM_DISK_PORT && port < SIM_DISK_PORT + SIM_DISK_NREGS)
        return HV_IO_DISK;
    if (port == SIM_POWER_PORT)
        return HV_IO_POWER;
    return is_nic_port(port) ? HV_IO_NIC : HV_IO_NONE;
}

const char *hv_io_device_name(unsigned device)
{
    static const char *const names[HV_IO_DEVICE_COUNT] = {
#define HV_X_IODEVNAME(name, str) str,
        HV_IO_DEVICES(HV_X_IODEVNAME)
#undef HV_X_IODEVNAME
    };
    return device < HV_IO_DEVICE_COUNT ? names[device] : "?";
}

static bool port_known(const hv_t *hv, unsigned vm, uint16_t port)
{
    return hv_dev_port_device(hv, vm, port) != HV_IO_NONE;
}

static void port_write(hv_t *hv, unsigned vm, uint16_t port, uint32_t value)
{
    if (port >= SIM_UART_PORT && port < SIM_UART_PORT + 3)
        uart_write(hv, vm, port - SIM_UART_PORT, value);
    else if (port >= SIM_DISK_PORT && port < SIM_DISK_PORT + SIM_DISK_NREGS)
        disk_write(hv, vm, port - SIM_DISK_PORT, value);
    else if (port == SIM_POWER_PORT)
        hv_vm_power_off(hv, vm, value);
    else if (is_nic_port(port))
        hv_vnic_write(hv, vm, port - SIM_NIC_PORT, value);
}

static uint32_t port_read(hv_t *hv, unsigned vm, uint16_t port)
{
    if (port >= SIM_UART_PORT && port < SIM_UART_PORT + 3)
        return uart_read(hv, vm, port - SIM_UART_PORT);
    if (port >= SIM_DISK_PORT && port < SIM_DISK_PORT + SIM_DISK_NREGS)
        return sim_disk_reg(&hv->vms[vm].dev.disk, port - SIM_DISK_PORT);
    if (is_nic_port(port))
        return hv_vnic_read(hv, vm, port - SIM_NIC_PORT);
    if (hv_entropy_port(hv, vm, port))
        return hv_entropy_read(hv, vm, port - HV_ENTROPY_PORT);
    return 0;
}

const char *hv_dev_port_name(uint16_t port, const char **reg)
{
    static const char *const uart_regs[] = {"data", "status", "control"};
    static const char *const disk_regs[SIM_DISK_NREGS] = {
        "sector", "count", "DMA address", "command", "status", "error", "capacity", "refused"};
    static const char *const nic_regs[SIM_NIC_NREGS] = {
        "control",      "transmit ring",     "transmit ring size", "transmit tail", "transmit head",
        "receive ring", "receive ring size", "receive tail",       "receive head",  "status",
        "error",        "MAC address (low)", "MAC address (high)", "receive drops", "reserved",
        "reserved"};
    if (port >= SIM_UART_PORT && port < SIM_UART_PORT + 3) {
        *reg = uart_regs[port - SIM_UART_PORT];
        return "virtual console (UART)";
    }
    if (port >= SIM_DISK_PORT && port < SIM_DISK_PORT + SIM_DISK_NREGS) {
        *reg = disk_regs[port - SIM_DISK_PORT];
        return "virtual disk";
    }
    if (port == SIM_POWER_PORT) {
        *reg = "power-off";
        return "virtual power controller";
    }
    if (is_nic_port(port)) {
        *reg = nic_regs[port - SIM_NIC_PORT];
        return "virtual network card";
    }
    if (port >= HV_ENTROPY_PORT && port < HV_ENTROPY_PORT + HV_ENTROPY_NREGS) {
        *reg = port == HV_ENTROPY_PORT ? "data" : "count"; /* hv_entropy.c; only some VMs */
        return "virtual entropy source";
    }
    *reg = "";
    return NULL;
}

/* The emulate action, named by port or (gpa not 0) by the MMIO address the guest used. */
static void emulated(hv_t *hv, unsigned vm, uint32_t what, uint32_t value, uint32_t gpa)
{
    if (gpa)
        hv_emit_mmio(hv, (int)vm, what, value, gpa);
    else
        hv_emit_more(hv, SIM_HV_EMULATE, (int)vm, -1, what, value);
}

/* A device register, reached by port or (gpa not 0) by MMIO at gpa. The emulate action comes
 * when the device's work is charged and (for a write) before what the write sets off (a disk
 * command, a power-off), so the sub-steps read in causal order. */
static bool dev_access(hv_t *hv, unsigned vm, uint16_t port, bool write, uint32_t *value,
                       uint32_t gpa)
{
    if (!port_known(hv, vm, port)) {
        emulated(hv, vm, port | (write ? SIM_HV_WRITE : 0), 0xffffffffu, gpa);
        return false;
    }
    hv_charge(hv, SIM_COST_hv_emulate);
    if (write) {
        emulated(hv, vm, port | SIM_HV_WRITE, *value, gpa);
        port_write(hv, vm, port, *value);
    } else {
        *value = port_read(hv, vm, port);
        emulated(hv, vm, port, *value, gpa);
    }
    return true;
}

bool hv_dev_port(hv_t *hv, unsigned vm, uint16_t port, bool write, uint32_t *value)
{
    return dev_access(hv, vm, port, write, value, 0);
}

/* The port behind an MMIO address, or 0 when no device's window holds it. */
static uint16_t mmio_port(uint32_t gpa)
{
    if (gpa >= SIM_UART_MMIO && gpa < SIM_UART_MMIO + 16)
        return (uint16_t)(SIM_UART_PORT + (gpa - SIM_UART_MMIO) / 4);
    if (gpa == SIM_POWER_MMIO)
        return SIM_POWER_PORT;
    return 0;
}

bool hv_dev_mmio(hv_t *hv, unsigned vm, uint32_t gpa, bool write, uint32_t *value)
{
    uint16_t port = mmio_port(gpa);
    return port && dev_access(hv, vm, port, write, value, gpa);
}

const char *hv_dev_mmio_name(uint32_t gpa, const char **reg, uint16_t *port)
{
    *port = mmio_port(gpa & ~3u);
    if (!*port) {
        *reg = "";
        return NULL;
    }
    return hv_dev_port_name(*port, reg);
}

/* ------------------------------------------------------------------------------------------
 * The virtual timer
 * ------------------------------------------------------------------------------------------ */
void hv_vtimer_write(hv_t *hv, hv_vcpu_t *v, uint32_t value)
{
    unsigned ent = (unsigned)(v - hv->ent);
    sim_unschedule(hv->m, hv->hub, HV_TIMED(HV_TIMED_VTIMER, ent));
    hv_virq(hv, v, CPU_IRQ_TIMER, false); /* writing acknowledges, as on bare hardware */
    v->timer_deadline = value ? hv->cur->s.cycles + value : 0;
    if (value)
        SIM_ASSERT(sim_schedule(hv->m, v->timer_deadline, hv->hub, HV_TIMED(HV_TIMED_VTIMER, ent)) == 0);
    hv_action(hv, v, SIM_HV_VTIMER, value, 0);
    hv_bt_timer_changed(hv, v);
}

uint32_t hv_vtimer_read(hv_t *hv, const hv_vcpu_t *v)
{
    uint64_t now = hv->cur->s.cycles;
    return v->timer_deadline > now ? (uint32_t)(v->timer_deadline - now) : 0;
}

/* The hub's device events: a virtual timer firing, a disk command completing, a frame leaving
 * a VM's network card. */
void hv_dev_timed(void *ctx, uint32_t what, uint64_t now)
{
    hv_t *hv = ctx;
    unsigned kind = what >> 8, index = what & 0xff;
    hv->now = now;
    if (kind == HV_TIMED_VTIMER && index < HV_MAX_ENTITIES && hv->ent[index].used) {
        hv_vcpu_t *v = &hv->ent[index];
        if (v->timer_deadline && v->timer_deadline <= now) {
            v->timer_deadline = 0;
            hv_bt_timer_changed(hv, v);
            hv_virq(hv, v, CPU_IRQ_TIMER, true);
        }
    } else if (kind == HV_TIMED_DISK && index < HV_MAX_VMS && hv->vms[index].used) {
        disk_transfer(hv, index, now);
    } else if (kind == HV_TIMED_NIC && index < HV_MAX_VMS && hv->vms[index].used) {
        hv_vnic_sent(hv, index, now);
    } else if (kind == HV_TIMED_SHARE) {
        hv_share_scan(hv, now);
    } else if (kind == HV_TIMED_MIGRATE) {
        hv_migrate_timed(hv, now);
    } else if (kind == HV_TIMED_PVNET && index < HV_MAX_VMS && hv->vms[index].used) {
        hv_pvnet_timed(hv, index, now);
    } else if (kind == HV_TIMED_BALLOON && index < HV_MAX_VMS && hv->vms[index].used) {
        hv_balloon_timed(hv, index, now);
    }
    hv->now = 0;
#ifdef HV_CHECK_ALWAYS
    /* The sanitizer build checks isolation after the hub's actions too (the scanner's merges,
     * migration rounds, balloon moves, device completions), as after every exit (hv_exit.c). */
    char why[240];
    if (hv_check_invariants(hv, why, sizeof why))
        sim_panic(__FILE__, __LINE__, "isolation broken after a hypervisor event (kind %u): %s",
                  kind, why);
#endif
}

/* ------------------------------------------------------------------------------------------
 * Why nothing can go on
 * ------------------------------------------------------------------------------------------ */
/* Appends one VM's (or the bare program's) sentence: who waits, and what its console shows on
 * the line it has not ended (a shell's prompt, most often). */
static void explain_waiting(char *buf, size_t len, const char *who, const char *shown, size_t n)
{
    size_t used = strlen(buf);
    while (n > 0 && shown[n - 1] == '\n')
        n--;
    const char *nl = memchr(shown, '\n', n);
    while (nl) { /* only the last line */
        n -= (size_t)(nl + 1 - shown);
        shown = nl + 1;
        nl = memchr(shown, '\n', n);
    }
    snprintf(buf + used, len - used,
             "%s%s waits for console input, and its input is used up%s%.*s%s", used ? "; " : "",
             who, n ? " (the console shows \"" : "", (int)(n > 40 ? 40 : n), shown, n ? "\")" : "");
}

const char *hv_explain_idle(const sim_machine_t *m, char *buf, size_t len)
{
    const hv_t *hv = hv_of_machine(m);
    buf[0] = '\0';
    if (!hv) {
        if (sim_console_waits_for_input(m)) {
            const char *out = sim_console_captured(m);
            explain_waiting(buf, len, "the program", out, strlen(out));
        }
        return buf[0] ? buf : NULL;
    }
    for (unsigned i = 0; i < HV_MAX_VMS; i++) {
        const hv_vm_t *v = &hv->vms[i];
        if (v->used && v->state == HV_VM_RUNNING && v->dev.uart_irq && !input_ready(&v->dev))
            explain_waiting(buf, len, v->name, v->dev.line, v->dev.line_len);
    }
    return buf[0] ? buf : NULL;
}
