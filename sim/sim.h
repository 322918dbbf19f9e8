/*
 * sim.h - the public face of the machine: physical memory, the bus and its devices, the cost
 * table, the event stream, and the deterministic run loop that interleaves the CPUs.
 *
 * Front ends (the hvsim binary, the REPL, the GUI, the tests) build a machine with
 * sim_machine_init, load an image, and drive it with sim_run. They never reach inside a CPU
 * or a device except through what this header and cpu.h offer.
 */
#ifndef HVSIM_SIM_H
#define HVSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../cpu/cpu.h"
#include "../iommu/iommu.h"

#define SIM_MAX_CPUS 8
#define SIM_MAX_DEVICES 16
#define SIM_MAX_SINKS 4

/* Simulator bugs (never guest behaviour): print where and stop. */
#define SIM_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            sim_panic(__FILE__, __LINE__, "assertion failed: %s", #cond);                         \
    } while (0)
_Noreturn void sim_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------------------------
 * The cost table: primitive costs in cycles, X(name, default, what it is). Each default and
 * its source is in docs/cycle-model.md. Instruction base costs are in the ISA table (cpu.h).
 * ------------------------------------------------------------------------------------------ */
#define SIM_COSTS(X)                                                                               \
    X(trap_entry, 80, "entering K on a trap or system call (saving pc, flags)")                    \
    X(interrupt_entry, 80, "entering K on an interrupt")                                           \
    X(branch_taken, 1, "extra cycle when a branch or jump is taken")                               \
    X(device_access, 500, "an uncached access to a device register (port or MMIO)")                \
    X(halt_wakeup, 20, "going on after halt (IE = 0) when a line becomes pending")                 \
    X(tlb_hit, 0, "a translation found in the TLB (looked up alongside the cache access)")        \
    X(walk_ref, 12, "one page-walk memory reference (a page-table entry read, an L2 hit)")       \
    X(ad_update, 20, "the walker writing A/D bits back into a leaf (a locked read-modify-write)") \
    X(pwc_hit, 2, "an upper-level entry found in the page-walk cache")                            \
    X(iotlb_miss, 100, "an IOTLB miss: the IOMMU's round trip to its walker, besides the walk") \
    X(disk_latency, 10000, "a block-device command, from the command write to the transfer")     \
    X(disk_sector, 100, "each 512-byte sector a block-device command moves")                     \
    X(vm_entry, 200, "VM entry: checking the VMCB and switching to the guest (its words extra)") \
    X(vm_exit, 200, "VM exit: leaving the guest and switching back to the host (words extra)")  \
    X(vmcb_word, 2, "one 32-bit VMCB word that entry or exit reads or writes (a cache hit)")    \
    X(hv_mem, 2, "one 32-bit word the hypervisor reads or writes in memory (a cache hit)")      \
    X(hv_dispatch, 60, "the hypervisor's exit path: read the reason, call its handler")         \
    X(hv_handler, 40, "a handler's own fixed work (decoding, bookkeeping)")                     \
    X(hv_emulate, 200, "a virtual device's model answering one register access")                \
    X(hv_vcpu_switch, 400, "switching a pCPU to another VCPU: scheduler and bookkeeping")       \
    X(hv_zero_page, 500, "clearing a 4 KiB frame before a VM gets it (a block clear)")           \
    X(t2_to_vmm, 2000, "type 2: the host kernel hands an exit to the user-level VMM")           \
    X(t2_from_vmm, 2000, "type 2: the VMM goes back into the host kernel to resume the VCPU")    \
    X(emu_insn, 25, "emulation: the hypervisor's interpreter fetching, decoding, running one insn")

typedef enum {
#define SIM_X_COSTENUM(name, def, doc) SIM_COST_##name,
    SIM_COSTS(SIM_X_COSTENUM)
#undef SIM_X_COSTENUM
        SIM_COST_COUNT
} sim_cost_t;

typedef struct {
    uint32_t c[SIM_COST_COUNT];
} sim_costs_t;

void sim_costs_default(sim_costs_t *costs);
int sim_cost_by_name(const char *name); /* -1 when unknown */
const char *sim_cost_name(sim_cost_t cost);
const char *sim_cost_doc(sim_cost_t cost);

/* ------------------------------------------------------------------------------------------
 * Events: every trap, interrupt, mode change and device operation, with its cycle stamp.
 * ------------------------------------------------------------------------------------------ */
#define SIM_EVENTS(X)                                                                              \
    X(TRAP, "trap")           /* a = cause, b = tval, pc = epc */                                  \
    X(INTERRUPT, "interrupt") /* a = line, pc = epc */                                            \
    X(IRET, "iret")           /* pc = where execution resumes */                                  \
    X(MODE, "mode")           /* from_mode -> mode */                                             \
    X(HALT, "halt")           /* the CPU waits for an interrupt */                                \
    X(WAKE, "wake")           /* a = pending lines */                                             \
    X(IO, "io")               /* a = port or address, b = value, from_mode = 1 when a write */   \
    X(POWEROFF, "poweroff")   /* a = exit code */                                             \
    X(WALK, "walk")           /* a = address, b = references; the steps: the CPU's mmu.trace */ \
    X(TLBFLUSH, "tlbflush")   /* a = mmu_flush_t kind, b = address (addr) or ASID (asid) */       \
    X(NESTEDFAULT, "nestedfault") /* a = gva, b = gpa, pc; report in mmu.last_nested_fault */     \
    X(DMAFAULT, "dmafault")   /* a = device, b = IOVA; the record is in the IOMMU's log */   \
    X(DISK, "disk")           /* a = first sector, b = DMA address, pc = sectors |           \
                                 command << 16 | error << 24; from_mode 0 = started, 1 = done */ \
    X(VMENTRY, "vmentry")     /* a = VMCB, b = vmid, pc = guest pc; cycle = the guest starts */ \
    X(VMEXIT, "vmexit")       /* a = cpu_exit_reason_t, b = qualification, pc = guest pc;    \
                                 cycle = the exit begins; the rest is in the VMCB */         \
    X(INJECT, "inject")       /* a = cause, b = tval, pc = guest pc: an event entry delivered */ \
    X(HV, "hv")               /* a hypervisor action: a = sim_hv_action_t, b = its argument */

typedef enum {
#define SIM_X_EVENUM(name, str) SIM_EV_##name,
    SIM_EVENTS(SIM_X_EVENUM)
#undef SIM_X_EVENUM
        SIM_EV_COUNT
} sim_event_kind_t;

/* What the hypervisor does (SIM_EV_HV), X(NAME, name, what b is). */
#define SIM_HV_ACTIONS(X)                                                                          \
    X(SWITCH, "switch", "the previous entity on this pCPU (-1: none)")                            \
    X(IDLE, "idle", "0: nothing can run on this pCPU")                                            \
    X(BLOCK, "block", "0: the VCPU halted and waits for a virtual interrupt")                     \
    X(WAKE, "wake", "the virtual lines that woke it")                                             \
    X(MAP, "map", "the guest-physical page now backed by a host frame")                           \
    X(EMULATE, "emulate", "the port or guest-physical address of the virtual device register")    \
    X(VIRQ, "virq", "the virtual line raised")                                                    \
    X(TO_VMM, "to-vmm", "type 2: the exit reason handed to the user-level VMM")                   \
    X(FROM_VMM, "from-vmm", "type 2: the exit reason the VMM has handled")                       \
    X(HOST, "host", "type 2: the cycles the host process runs")                                  \
    X(PAUSE, "pause", "0: the VM is paused")                                                      \
    X(RESUME, "resume", "0: the VM runs again")                                                   \
    X(VM_OFF, "vm-off", "the exit code the VM powered off with")                                  \
    X(CRASH, "crash", "0: the hypervisor stopped the VM")                                         \
    X(TRAP_EMULATE, "trap-emulate", "trap-and-emulate: the privileged instruction's opcode emulated") \
    X(TRAP_REFLECT, "trap-reflect", "trap-and-emulate: the trap cause reflected into the guest kernel") \
    X(SHADOW_FILL, "shadow-fill", "shadow paging: the guest-virtual page a hidden fault filled")   \
    X(SHADOW_SYNC, "shadow-sync",                                                                 \
      "shadow paging: the page the guest's tlbinv dropped, 0xffffffff for its tlbflush")

typedef enum {
#define SIM_X_HVENUM(name, str, doc) SIM_HV_##name,
    SIM_HV_ACTIONS(SIM_X_HVENUM)
#undef SIM_X_HVENUM
        SIM_HV_ACTION_COUNT
} sim_hv_action_t;

const char *sim_hv_action_name(unsigned action);

typedef struct {
    uint64_t cycle;    /* the CPU's cycle count when it happened */
    uint8_t kind;      /* sim_event_kind_t */
    uint8_t cpu;       /* physical CPU */
    uint8_t mode;      /* mode after the event */
    uint8_t from_mode; /* mode before the event (MODE), direction (IO) */
    int16_t vm;        /* -1: no VM (bare metal) */
    int16_t vcpu;      /* -1: no VCPU */
    uint32_t pc;
    uint32_t a, b;
} sim_event_t;

typedef void (*sim_event_sink_fn)(const sim_event_t *ev, void *ctx);

const char *sim_event_name(sim_event_kind_t kind);
/* One line describing an event, e.g. "cycle 1234 cpu0 trap system-call epc=0x1010 tval=0". */
void sim_event_format(const sim_event_t *ev, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------
 * Devices on the bus. A device answers MMIO words and/or I/O ports; `reg` is the word index
 * within its MMIO window (offset / 4) or the port offset from port_base.
 * ------------------------------------------------------------------------------------------ */
typedef struct sim_device {
    const char *name;
    uint32_t mmio_base, mmio_size; /* size 0: no MMIO window */
    uint16_t port_base, port_count;
    void *ctx;
    uint32_t (*read)(void *ctx, uint32_t reg);
    void (*write)(void *ctx, uint32_t reg, uint32_t value);
    /* A device event it scheduled (sim_schedule) is due: `what` is the device's own tag, `now`
     * the cycle it was due at. NULL for a device that schedules nothing. */
    void (*timed)(void *ctx, uint32_t what, uint64_t now);
} sim_device_t;

/* A device event: a device asked to be called back at cycle `at` (a disk completing a
 * transfer). Plain data: the device is named by its place on the bus, so a snapshot can save
 * the queue. Events fire in order of `at`, then of scheduling (`seq`). */
#define SIM_MAX_TIMED 32
typedef struct {
    uint64_t at;
    uint64_t seq;
    uint32_t what;
    uint16_t device; /* index in m->devices */
} sim_timed_t;

/* The block device (sim_disk.c): its registers, its medium and its counters. See the "Block
 * device" section below for its ports and the API. */
typedef struct {
    uint8_t *bytes;         /* the disk image (the machine's own copy); writes change it */
    uint32_t sectors;       /* 0: no disk attached */
    uint32_t sector, count, addr; /* the command's registers: first sector, sectors, DMA address */
    uint32_t command;       /* the last command written */
    uint32_t status;        /* SIM_DISK_BUSY | SIM_DISK_DONE | SIM_DISK_ERROR */
    uint32_t error;         /* sim_disk_error_t of the last command */
    uint64_t started;       /* cycle the command in progress was written */
    uint16_t bus_index;     /* its place in m->devices */
    uint64_t reads, writes, sectors_read, sectors_written, errors; /* statistics */
} sim_disk_t;

/* The console: UART output goes to a FILE or a capture buffer; input comes from a script. */
typedef struct {
    FILE *out;      /* NULL: capture only */
    char *capture;  /* everything written, NUL-terminated; NULL until the first byte */
    size_t cap_len, cap_size;
    char *input;    /* the input script (owned), or NULL */
    size_t in_len, in_pos;
    bool irq_enabled; /* raise line SIM_UART_IRQ while input is ready */
} sim_console_t;

#define SIM_UART_PORT 0x3f8
#define SIM_UART_MMIO 0xf0000000u
#define SIM_UART_IRQ 1
#define SIM_POWER_PORT 0x0f0
#define SIM_POWER_MMIO 0xf0001000u

/* ------------------------------------------------------------------------------------------
 * The machine
 * ------------------------------------------------------------------------------------------ */
typedef struct sim_machine {
    uint8_t *ram;
    uint32_t ram_size;
    cpu_t cpu[SIM_MAX_CPUS];
    unsigned ncpus;
    sim_costs_t costs;
    sim_device_t devices[SIM_MAX_DEVICES];
    unsigned ndevices;
    sim_console_t console;
    bool powered_off;
    uint32_t exit_code;
    uint64_t quantum; /* cycles each CPU runs before the next one takes its turn */
    /* The round of turns in progress (sim_run): the next CPU to take its turn, how many were
     * found idle, and the cycle the round ends at. A run that a debugger stops mid-round
     * resumes it there, so that stops never change how the CPUs interleave. */
    unsigned round_next, round_idle;
    uint64_t round_end;
    cpu_t *io_cpu;    /* the CPU whose access a device callback is serving (for event stamps) */
    sim_event_sink_fn sinks[SIM_MAX_SINKS];
    void *sink_ctx[SIM_MAX_SINKS];
    unsigned nsinks;
    uint64_t event_counts[SIM_EV_COUNT];
    mmu_config_t mmu_config; /* TLB size, page-table levels, page-walk cache: every CPU's MMU */
    iommu_t iommu;
    /* Device events, sorted by (at, seq); timed_next is the first one's cycle (UINT64_MAX when
     * there is none), which no CPU runs past: cpu_run stops there and sim_run fires it. */
    sim_timed_t timed[SIM_MAX_TIMED];
    unsigned ntimed;
    uint64_t timed_seq, timed_next;
    sim_disk_t disk;
    /* Who runs a CPU's turn in sim_run: cpu_run when NULL; a hypervisor installs its own, which
     * enters VCPUs, handles their exits and re-enters them within the budget. */
    cpu_stop_t (*run_turn)(struct sim_machine *m, cpu_t *cpu, uint64_t budget, void *ctx);
    void *run_turn_ctx;
} sim_machine_t;

/* Builds a machine with `ram_size` bytes of zeroed RAM, `ncpus` CPUs reset at CPU_RESET_PC,
 * the UART (console to stdout) and the power device. Returns -1 when memory cannot be had. */
int sim_machine_init(sim_machine_t *m, uint32_t ram_size, unsigned ncpus);
void sim_machine_free(sim_machine_t *m);
/* Re-initializes every CPU's MMU from m->mmu_config (TLBs emptied, paging and nested
 * translation off). Returns NULL, or what is wrong with the configuration (nothing changed). */
const char *sim_configure_mmu(sim_machine_t *m);
/* Copies an image into RAM at addr. Returns -1 (and copies nothing) if it does not fit. */
int sim_load(sim_machine_t *m, uint32_t addr, const void *bytes, size_t size);
/* Loads a program: PATH.s is assembled (errors go to diag), anything else is a flat image
 * loaded at bin_base. On success *entry is where execution should start (the image base).
 * Errors name the file and return -1; the machine's RAM is then unchanged. */
int sim_load_program(sim_machine_t *m, const char *path, uint32_t bin_base, FILE *diag,
                     uint32_t *entry);
/* Reads a whole file into a malloc'd buffer (NUL-terminated). Returns NULL and sets errno. */
char *sim_read_file(const char *path, size_t *len);
/* Adds a device; returns -1 when the bus is full or the windows overlap another device. */
int sim_add_device(sim_machine_t *m, const sim_device_t *dev);

/* Schedules device `device` (its index in m->devices) to be called back through its `timed`
 * function when the machine reaches cycle `at`. Returns -1 when the queue is full. sim_run
 * fires the event once every CPU has reached `at`; a CPU running when it is scheduled stops at
 * `at` (at its first instruction boundary there), so an interrupt the device raises then is
 * taken on time. A machine whose CPUs are all halted is not idle while an event is pending. */
int sim_schedule(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what);
/* Cancels every pending event of `device` with tag `what` (a re-armed timer). */
void sim_unschedule(sim_machine_t *m, unsigned device, uint32_t what);
/* The cycle a device access happens at: the cycle count of the CPU making it (m->io_cpu), or
 * of CPU 0 outside an access. Devices measure their latencies from here. */
uint64_t sim_now(const sim_machine_t *m);

/* Physical accesses of 1, 2 or 4 bytes. They return false for a bus error (nothing there, or a
 * byte/half access to a device). Device accesses emit IO events and cost device_access, which
 * is added to *cycles. */
bool sim_phys_read(sim_machine_t *m, cpu_t *cpu, uint32_t addr, unsigned size, uint32_t *val);
bool sim_phys_write(sim_machine_t *m, cpu_t *cpu, uint32_t addr, unsigned size, uint32_t val);
/* Port accesses. A port with no device reads 0xffffffff and ignores writes. */
uint32_t sim_port_read(sim_machine_t *m, cpu_t *cpu, uint16_t port);
void sim_port_write(sim_machine_t *m, cpu_t *cpu, uint16_t port, uint32_t val);

/* The console. */
void sim_console_set_output(sim_machine_t *m, FILE *out); /* NULL: capture only */
void sim_console_set_input(sim_machine_t *m, const char *text, size_t len);
const char *sim_console_captured(const sim_machine_t *m); /* never NULL */

/* Events. */
int sim_add_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx);
/* Removes the sink added with this fn and ctx (the others keep their order). */
void sim_remove_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx);
void sim_emit(sim_machine_t *m, const sim_event_t *ev);

/* Why sim_run returned. */
typedef enum {
    SIM_RUN_POWEROFF = 0, /* the program powered the machine off; m->exit_code holds its code */
    SIM_RUN_MAX_CYCLES,   /* the cycle limit was reached */
    SIM_RUN_IDLE,         /* every CPU is halted and nothing can wake it */
    SIM_RUN_DEBUG,        /* a debugger hook stopped a CPU */
    SIM_RUN_NESTED_FAULT, /* a CPU stopped on a nested fault with no hypervisor to take it */
} sim_run_result_t;

/* Runs the CPUs in turn, `quantum` cycles each, in a fixed order, until the machine powers off
 * or CPU 0 has spent `max_cycles` cycles in total. Deterministic. */
sim_run_result_t sim_run(sim_machine_t *m, uint64_t max_cycles);

/* Statistics printed by --stats: instructions, cycles, CPI, traps by cause, interrupts. */
void sim_print_stats(const sim_machine_t *m, FILE *out);

/* ==========================================================================================
 * Block device (sim_disk.c): a disk controller on ports 0x1f0..0x1f7 that moves whole 512-byte
 * sectors between its disk image and memory by DMA, only through the IOMMU (device id
 * SIM_DISK_DMA_ID: pass-through while the IOMMU is off, as on bare metal), and raises
 * interrupt line 14 on CPU 0 when a command completes. A command takes disk_latency +
 * disk_sector * count cycles (the cost table); the data moves when it completes. Every machine
 * has the controller; without a disk attached its capacity reads 0 and commands fail.
 *
 *   port   register   access
 *   0x1f0  SECTOR     rw  first sector of the transfer
 *   0x1f1  COUNT      rw  sectors to move, 1..128 (64 KiB, the IOMMU's longest DMA)
 *   0x1f2  ADDR       rw  DMA address (an IOVA; physical while the IOMMU is off)
 *   0x1f3  COMMAND    rw  write 1 = read sectors into memory, 2 = write memory to sectors
 *   0x1f4  STATUS     rw  read: BUSY (bit 0), DONE (bit 1), ERROR (bit 2); write: acknowledge
 *                         (clears DONE and ERROR and lowers line 14)
 *   0x1f5  ERROR      r   why the last command failed (sim_disk_error_t), 0 if it did not
 *   0x1f6  CAPACITY   r   sectors on the disk, 0 when none is attached
 *   0x1f7  (reserved) r   reads 0
 *
 * A bad command (no disk, a count outside 1..128, sectors past the end, an unknown command)
 * completes at once with ERROR; a command written while BUSY is ignored. A DMA the IOMMU
 * blocks completes with ERROR and DMA_BLOCKED, having moved nothing.
 * ========================================================================================== */
#define SIM_DISK_PORT 0x1f0
#define SIM_DISK_IRQ 14
#define SIM_DISK_DMA_ID 1 /* the controller's IOMMU device id */
#define SIM_DISK_MAX_COUNT 128
#define SIM_DISK_MAX_BYTES (1u << 30) /* the largest disk image attached */
enum { SIM_DISK_SECTOR = 0, SIM_DISK_COUNT, SIM_DISK_ADDR, SIM_DISK_COMMAND, SIM_DISK_STATUS,
       SIM_DISK_ERROR, SIM_DISK_CAPACITY, SIM_DISK_NREGS = 8 };
enum { SIM_DISK_CMD_READ = 1, SIM_DISK_CMD_WRITE = 2 };
#define SIM_DISK_BUSY 0x1u
#define SIM_DISK_DONE 0x2u
#define SIM_DISK_ERROR_BIT 0x4u

/* Why a command failed, X(NAME, name, explanation). */
#define SIM_DISK_ERRORS(X)                                                                         \
    X(NONE, "none", "the command succeeded")                                                       \
    X(NO_DISK, "no-disk", "no disk image is attached")                                             \
    X(BAD_COUNT, "bad-count", "the sector count is 0 or above 128")                                \
    X(BAD_SECTOR, "bad-sector", "the sectors lie past the end of the disk")                        \
    X(BAD_COMMAND, "bad-command", "the command is neither 1 (read) nor 2 (write)")                 \
    X(DMA_BLOCKED, "dma-blocked", "the IOMMU blocked the transfer: nothing moved")

typedef enum {
#define SIM_X_DISKERR(name, str, doc) SIM_DISK_E_##name,
    SIM_DISK_ERRORS(SIM_X_DISKERR)
#undef SIM_X_DISKERR
        SIM_DISK_E_COUNT
} sim_disk_error_t;

const char *sim_disk_error_name(unsigned error);

/* Attaches a disk image: the machine keeps its own copy of `len` bytes (a whole number of
 * sectors, at most SIM_DISK_MAX_BYTES), replacing any disk attached before. The bytes need not
 * be a valid image: the device moves sectors and knows no format. Returns -1 (attaching
 * nothing) for a bad length or when memory cannot be had. */
int sim_disk_attach(sim_machine_t *m, const void *bytes, size_t len);
/* The same from a file; errors are written to diag as "PATH: error: ...". */
int sim_disk_attach_file(sim_machine_t *m, const char *path, FILE *diag);
/* The disk's bytes as they are now (writes included), or NULL when none is attached. */
const uint8_t *sim_disk_bytes(const sim_machine_t *m, size_t *len);
/* The controller's rules, shared with the hypervisor's virtual disk (same registers, same
 * rules): why `command` cannot start with d's registers (NONE when it can), and what reading
 * register `reg` gives. */
sim_disk_error_t sim_disk_check(const sim_disk_t *d, uint32_t command);
uint32_t sim_disk_reg(const sim_disk_t *d, unsigned reg);

/* ==========================================================================================
 * Disk images (docs/disk-image.md): a partition table in sector 0, a raw boot partition, and
 * file-system partitions (superblock, hierarchical directories of fixed 32-byte entries, one
 * contiguous extent per file), all in 512-byte sectors with little-endian u32 fields.
 *
 * sim_image_open checks every rule of SIM_IMAGE_RULES up front; after it succeeds, the lookup,
 * iteration and read functions trust the bytes. They never copy: a sim_image_t borrows the
 * caller's buffer, which must outlive it and stay unchanged. Nothing here allocates after open,
 * so there is nothing to close.
 * ========================================================================================== */
#define SIM_SECTOR_SIZE 512u
#define SIM_IMAGE_MAX_PARTS 8
#define SIM_IMAGE_PART_NAME_MAX 15   /* characters of a partition name */
#define SIM_IMAGE_NAME_MAX 19        /* characters of a file or directory name */
#define SIM_IMAGE_MAX_DEPTH 8        /* directory levels below the root */
#define SIM_IMAGE_PATH_MAX 192       /* bytes, with the NUL: 9 levels of "/" + 19 chars */
#define SIM_IMAGE_BOOT_MAX_SECTORS 128
#define SIM_IMAGE_BUILD_MAX (1u << 30) /* the largest image sim_image_build makes */
#define SIM_IMAGE_VERSION 1u
#define SIM_IMAGE_PT_MAGIC 0x54505648u  /* "HVPT" */
#define SIM_IMAGE_FS_MAGIC 0x53465648u  /* "HVFS" */
#define SIM_IMAGE_DIR_MAGIC 0x52445648u /* "HVDR" */

/*
 * Sector 0, the partition table, and one of its 8 entries (at 32 + 32 * i):
 *
 *   0        4        8        12       16              32               288          512
 *  +--------+--------+--------+--------+---------------+----------------+------------+
 *  | magic  |version | count  |sectors | reserved (0)  | 8 entries x 32 |reserved (0)|
 *  +--------+--------+--------+--------+---------------+----------------+------------+
 *
 *   0                          16       20       24       28       32
 *  +--------------------------+--------+--------+--------+--------+
 *  | name[16], NUL-padded     | type   | first  |sectors |reserved|
 *  +--------------------------+--------+--------+--------+--------+
 */
#define SIM_PT_MAGIC 0     /* u32 "HVPT" */
#define SIM_PT_VERSION 4   /* u32 1 */
#define SIM_PT_COUNT 8     /* u32 entries in use, 1..8 */
#define SIM_PT_SECTORS 12  /* u32 sectors in the image */
#define SIM_PT_ENTRIES 32  /* the first entry */
#define SIM_PT_END 288     /* reserved from here to the end of the sector */
#define SIM_PTE_NAME 0     /* char[16] */
#define SIM_PTE_TYPE 16    /* u32 sim_part_type_t */
#define SIM_PTE_FIRST 20   /* u32 absolute first sector */
#define SIM_PTE_COUNT 24   /* u32 sectors */
#define SIM_PTE_RESERVED 28
#define SIM_PTE_SIZE 32

/*
 * The superblock (partition sector 0), a directory header and a directory entry:
 *
 *   0        4        8        12       16       20       24                        512
 *  +--------+--------+--------+--------+--------+--------+---------------------------+
 *  | magic  |version |sectors |data end|root 1st|root sz | reserved (0)              |
 *  +--------+--------+--------+--------+--------+--------+---------------------------+
 *
 *   0        4        8        12                                  32
 *  +--------+--------+--------+-----------------------------------+
 *  | magic  |version | count  | reserved (0)                      |   directory header
 *  +--------+--------+--------+-----------------------------------+
 *
 *   0                                   20  21      24       28       32
 *  +-----------------------------------+---+-------+--------+--------+
 *  | name[20], NUL-padded              |typ|rsv (0)| first  | size   |   directory entry
 *  +-----------------------------------+---+-------+--------+--------+
 */
#define SIM_SB_MAGIC 0      /* u32 "HVFS" */
#define SIM_SB_VERSION 4    /* u32 1 */
#define SIM_SB_SECTORS 8    /* u32 = the partition's sector count */
#define SIM_SB_DATA_END 12  /* u32 first free sector: every extent lies below it */
#define SIM_SB_ROOT_FIRST 16 /* u32 root directory's first sector (partition-relative) */
#define SIM_SB_ROOT_SIZE 20 /* u32 root directory's size in bytes */
#define SIM_SB_RESERVED 24
#define SIM_DIR_MAGIC 0     /* u32 "HVDR" */
#define SIM_DIR_VERSION 4   /* u32 1 */
#define SIM_DIR_COUNT 8     /* u32 entries after the header */
#define SIM_DIR_RESERVED 12
#define SIM_DE_NAME 0       /* char[20] */
#define SIM_DE_TYPE 20      /* u8 sim_entry_type_t; the u32 here equals it */
#define SIM_DE_RESERVED 21  /* 3 zero bytes */
#define SIM_DE_FIRST 24     /* u32 first sector (partition-relative) */
#define SIM_DE_SIZE 28      /* u32 bytes */
#define SIM_DE_BYTES 32     /* the size of a header and of an entry */

typedef enum { SIM_PART_BOOT = 1, SIM_PART_FS = 2 } sim_part_type_t;
typedef enum { SIM_ENTRY_FILE = 1, SIM_ENTRY_DIR = 2 } sim_entry_type_t;

/* The rules an image must follow, X(id, statement); docs/disk-image.md lists the same. */
#define SIM_IMAGE_RULES(X)                                                                         \
    X(I1, "the image is a whole number of 512-byte sectors, at least one")                         \
    X(P1, "sector 0 starts with the partition table magic \"HVPT\"")                               \
    X(P2, "the partition table version is 1")                                                      \
    X(P3, "the partition count is 1 to 8")                                                         \
    X(P4, "the table's sector count equals the image size in sectors")                            \
    X(P5, "reserved bytes and unused partition entries are zero")                                  \
    X(P6, "a partition name is 1 to 15 characters [A-Za-z0-9._-], NUL-padded")                     \
    X(P7, "partition names are unique")                                                            \
    X(P8, "a partition type is 1 (boot) or 2 (fs)")                                                \
    X(P9, "a partition has at least one sector")                                                   \
    X(P10, "a partition lies within sectors 1 .. end of the image")                                \
    X(P11, "partitions do not overlap")                                                            \
    X(P12, "there is at most one boot partition, of at most 128 sectors")                          \
    X(F1, "an fs partition starts with the superblock magic \"HVFS\"")                             \
    X(F2, "the superblock version is 1")                                                           \
    X(F3, "the superblock's sector count equals the partition's")                                 \
    X(F4, "the data end lies within 1 .. the partition's sector count")                            \
    X(F5, "the superblock's reserved bytes are zero")                                             \
    X(D1, "a directory's size is a multiple of 32, at least 32")                                   \
    X(D2, "a directory starts with the magic \"HVDR\"")                                            \
    X(D3, "the directory version is 1")                                                            \
    X(D4, "a directory's entry count matches its size (size = 32 * (1 + count))")                  \
    X(D5, "a directory header's reserved bytes are zero")                                          \
    X(D6, "a directory entry does not point into its own directory or an ancestor (no loops)")     \
    X(D7, "directories nest at most 8 levels below the root")                                      \
    X(E1, "an entry name is 1 to 19 characters [A-Za-z0-9._-], NUL-padded, not \".\" or \"..\"")  \
    X(E2, "entry names are unique within a directory")                                             \
    X(E3, "an entry type is 1 (file) or 2 (directory)")                                            \
    X(E4, "an entry's reserved bytes are zero")                                                    \
    X(E5, "an entry's extent lies within sectors 1 .. data end - 1 of its partition")              \
    X(E6, "extents do not overlap (each sector belongs to at most one file or directory)")

typedef enum {
#define SIM_X_RULEENUM(id, text) SIM_RULE_##id,
    SIM_IMAGE_RULES(SIM_X_RULEENUM)
#undef SIM_X_RULEENUM
        SIM_RULE_COUNT
} sim_image_rule_t;

const char *sim_image_rule_id(sim_image_rule_t rule);   /* "P3" */
const char *sim_image_rule_text(sim_image_rule_t rule); /* the statement */

/* One problem found in an image: where (byte offset of the offending field), which rule, and
 * what exactly is wrong. The checker keeps the first SIM_IMAGE_MAX_PROBLEMS. */
#define SIM_IMAGE_MAX_PROBLEMS 16
typedef struct {
    uint64_t offset;
    sim_image_rule_t rule;
    char text[160];
} sim_image_problem_t;

typedef struct {
    unsigned count;
    bool more; /* problems were found beyond the ones kept */
    sim_image_problem_t p[SIM_IMAGE_MAX_PROBLEMS];
} sim_image_error_t;

/* Formats a problem as "offset 0x1234: rule E5: <text>". */
void sim_image_problem_format(const sim_image_problem_t *p, char *buf, size_t len);

typedef struct {
    char name[SIM_IMAGE_PART_NAME_MAX + 1];
    sim_part_type_t type;
    uint32_t first, sectors; /* absolute */
    /* fs partitions only, from the superblock and the check: */
    uint32_t data_end, root_first, root_size, files, dirs; /* dirs counts the root */
} sim_image_part_t;

typedef struct {
    const uint8_t *bytes; /* borrowed */
    size_t len;
    uint32_t sectors;
    unsigned nparts;
    sim_image_part_t part[SIM_IMAGE_MAX_PARTS];
    uint32_t files, dirs; /* over all fs partitions */
} sim_image_t;

/* A file or directory as found in a directory (the root has name "" and entry_offset 0). */
typedef struct {
    char name[SIM_IMAGE_NAME_MAX + 1];
    sim_entry_type_t type;
    uint32_t first, size; /* partition-relative first sector; size in bytes */
    uint32_t sectors;     /* ceil(size / 512) */
    uint64_t offset;      /* byte offset of the data (or directory) in the image */
    uint64_t entry_offset;
} sim_image_entry_t;

/* Checks an image of `len` bytes against every rule. Returns 0 and fills *img when it is good;
 * returns -1 and fills *err (count >= 1) when not, and *img must not be used. `err` may be
 * NULL. The check allocates only while it runs; it never recurses and is linear in `len`. */
int sim_image_open(const uint8_t *bytes, size_t len, sim_image_t *img, sim_image_error_t *err);

/* The index of the partition called `name`, or of the first fs partition when name is NULL;
 * -1 when there is none. */
int sim_image_find_part(const sim_image_t *img, const char *name);

/* Lookup results. */
#define SIM_IMAGE_ENOENT (-1)  /* no such file or directory */
#define SIM_IMAGE_ENOTDIR (-2) /* a component on the way is a file */
#define SIM_IMAGE_EPATH (-3)   /* not an absolute path of valid names */
#define SIM_IMAGE_EPART (-4)   /* no such partition, or not an fs partition */
const char *sim_image_strerror(int code);

/* Splits "PART:/path", "PART:" or "/path" (the first fs partition). *path is NULL for "PART:"
 * (the whole partition). Returns 0, or SIM_IMAGE_EPART / SIM_IMAGE_EPATH. */
int sim_image_parse_spec(const sim_image_t *img, const char *spec, unsigned *part,
                         const char **path);

/* Finds `path` ("/", "/bin", "/bin/hello"; a trailing '/' is allowed on directories) in fs
 * partition `part`. Returns 0 and fills *out, or a SIM_IMAGE_E* code. */
int sim_image_lookup(const sim_image_t *img, unsigned part, const char *path,
                     sim_image_entry_t *out);

/* The file at `path`: points *data into the image (no copy) and sets *size. Returns 0, a
 * SIM_IMAGE_E* code, or SIM_IMAGE_ENOENT for a directory. */
int sim_image_read_file(const sim_image_t *img, unsigned part, const char *path,
                        const uint8_t **data, uint32_t *size);

/* Iterates over the entries of one directory, in stored order. */
typedef struct {
    const sim_image_t *img;
    unsigned part;
    uint64_t next, end; /* byte offsets of the next entry and the directory's end */
} sim_image_dir_t;
void sim_image_opendir(const sim_image_t *img, unsigned part, const sim_image_entry_t *dir,
                       sim_image_dir_t *it);
bool sim_image_readdir(sim_image_dir_t *it, sim_image_entry_t *out);

/* Calls fn for the entry at `path` and then, depth first in stored order, for everything below
 * it, with the entry's full path and depth (0 for `path` itself). Iterative. Returns 0 or a
 * lookup error code. */
typedef void (*sim_image_walk_fn)(const char *path, const sim_image_entry_t *e, unsigned depth,
                                  void *ctx);
int sim_image_walk(const sim_image_t *img, unsigned part, const char *path, sim_image_walk_fn fn,
                   void *ctx);

/* Builds an image from an INI manifest (format: docs/disk-image.md). Returns 0 and a malloc'd
 * image in *bytes / *len, or -1 after printing every problem to diag as "MANIFEST:LINE: error:
 * ..." (then *bytes is NULL). Deterministic: the same manifest and files give the same bytes. */
int sim_image_build(const char *manifest, uint8_t **bytes, size_t *len, FILE *diag);

/* Writes a whole file so that no reader ever sees it half-written: into a temporary file in the
 * same directory, then renamed over `path`. On failure prints "PATH: error: ..." to diag, removes
 * the temporary file and leaves any existing `path` as it was; returns -1. */
int sim_write_file_atomic(const char *path, const void *bytes, size_t len, FILE *diag);


/* ==========================================================================================
 * The debugger (sim_debug.c, _query.c, _expr.c, _text.c): run control, breakpoints,
 * watchpoints and state queries, the one API that every front end (the REPL now, the GUI
 * later, the tests always) drives a machine through. It holds no front-end code.
 *
 * A debugger attaches to a machine with sim_dbg_new: it installs an event sink and the CPUs'
 * debug hooks, and turns cpu->debug on only while a run needs per-instruction checks (a step
 * count, a breakpoint, a watchpoint, a condition), so a plain `continue` runs at full speed.
 * Runs go through sim_run, whose round-robin schedule resumes exactly where a stop left it:
 * a run with stops gives the same cycles, traces and console output as one without.
 *
 * Every run ends in a stop (sim_dbg_stop_t) whose `text` says in one sentence what happened
 * and why. A stop happens at an instruction boundary of the CPU named in it, which becomes
 * the focus; continuing from a breakpoint does not stop at it again at once (as in gdb).
 *
 * Functions that can fail for a user's reason return -1 (or NULL) and leave a sentence in
 * sim_dbg_error(). On a machine the hypervisor runs (hv_of_machine), the VM functions answer
 * about its VMs; a VM exit stops the pCPU in H before the hypervisor's handler runs.
 * ========================================================================================== */

/* Address spaces, X(NAME, prefix, what it is). */
#define SIM_SPACES(X)                                                                              \
    X(HPA, "hpa", "host-physical: the machine's RAM as the bus sees it")                           \
    X(GPA, "gpa", "guest-physical: a VM's memory, mapped to host memory by nested page tables")   \
    X(GVA, "gva", "virtual: what a program sees through the page tables of its CPU")

typedef enum {
#define SIM_X_SPACEENUM(name, str, doc) SIM_SPACE_##name,
    SIM_SPACES(SIM_X_SPACEENUM)
#undef SIM_X_SPACEENUM
        SIM_SPACE_COUNT
} sim_space_t;

const char *sim_space_name(sim_space_t space); /* "hpa", "gpa", "gva" */
int sim_space_by_name(const char *name);       /* -1 when unknown */

/* Why a run stopped, X(NAME, name). */
#define SIM_DBG_STOPS(X)                                                                           \
    X(STEP, "step")                 /* the instructions asked for have run */                      \
    X(BREAKPOINT, "breakpoint")     /* id: an address, trap, mode, cycle or instret breakpoint */  \
    X(WATCHPOINT, "watchpoint")     /* id: the watchpoint; access in the text */                   \
    X(TRAP, "trap")                 /* step trap: the trap or interrupt is in ev */                \
    X(EVENT, "event")               /* step event: the event is in ev */                          \
    X(CONDITION, "condition")       /* until: the condition became true (or failed to evaluate) */ \
    X(CYCLES, "cycles")             /* run N: the cycles have passed */                           \
    X(INTERRUPTED, "interrupted")   /* sim_dbg_request_stop (Ctrl-C) */                            \
    X(POWEROFF, "poweroff")         /* the program powered the machine off */                      \
    X(IDLE, "idle")                 /* every CPU halted with nothing to wake it */                 \
    X(LIMIT, "limit")               /* the cycle limit (sim_dbg_set_max_cycles) */                 \
    X(NESTED_FAULT, "nested-fault") /* a nested fault with no hypervisor to take it */             \
    X(VM_EXIT, "vm-exit")           /* step exit: the exit is in ev, its handler not yet run */

typedef enum {
#define SIM_X_STOPENUM(name, str) SIM_DBG_STOP_##name,
    SIM_DBG_STOPS(SIM_X_STOPENUM)
#undef SIM_X_STOPENUM
        SIM_DBG_STOP_COUNT
} sim_dbg_stop_kind_t;

typedef struct {
    sim_dbg_stop_kind_t kind;
    int id;             /* BREAKPOINT, WATCHPOINT: its number; else 0 */
    unsigned cpu;       /* the CPU that stopped (now the focus) */
    cpu_mode_t mode;    /* its mode at the stop */
    uint32_t pc;        /* the next instruction it will run */
    uint64_t cycle;     /* its cycle count at the stop */
    uint64_t instret;   /* its instructions retired at the stop */
    uint64_t steps;     /* instructions it retired during this run */
    bool has_event;     /* ev holds the event behind the stop */
    sim_event_t ev;
    sim_event_t before; /* the event just before ev on that CPU (what led to a mode change) */
    unsigned access;    /* WATCHPOINT: SIM_DBG_READ or SIM_DBG_WRITE */
    uint32_t addr;      /* WATCHPOINT: the address accessed (in the watchpoint's space) */
    uint32_t value;     /* WATCHPOINT: the value read or written */
    uint32_t old;       /* WATCHPOINT: the value seen there before (when old_known) */
    bool old_known;
    uint32_t insn_pc;   /* WATCHPOINT: the instruction that made the access */
    char text[320];     /* one sentence: what happened, where, and why */
} sim_dbg_stop_t;

const char *sim_dbg_stop_name(sim_dbg_stop_kind_t kind);

/* Breakpoint kinds, X(NAME, name as `info breakpoints` shows it). */
#define SIM_DBG_BPS(X)                                                                             \
    X(ADDR, "breakpoint") /* the pc reaches an address (in a space) */                            \
    X(TRAP, "trap")       /* a trap or interrupt of a cause is entered */                         \
    X(MODE, "mode")       /* a CPU enters a mode (U, K, H) */                                     \
    X(CYCLE, "cycle")     /* a CPU's cycle count reaches a value */                               \
    X(INSTRET, "instret") /* a CPU's instruction count reaches a value */                         \
    X(WATCH, "watchpoint") /* a load or store touches a range */                                   \
    X(EXIT, "vm-exit")    /* a VM exits for a reason (cause; SIM_DBG_CAUSE_ANY: any) */

typedef enum {
#define SIM_X_BPENUM(name, str) SIM_DBG_BP_##name,
    SIM_DBG_BPS(SIM_X_BPENUM)
#undef SIM_X_BPENUM
        SIM_DBG_BP_COUNT
} sim_dbg_bp_kind_t;

#define SIM_DBG_READ 1u  /* watch loads */
#define SIM_DBG_WRITE 2u /* watch stores */
#define SIM_DBG_ANY_CPU (-1)
#define SIM_DBG_ANY_VM (-1)
/* Trap breakpoint causes beyond the CPU's: any interrupt, and anything at all. */
#define SIM_DBG_CAUSE_ANY_INTERRUPT 0x8000ffffu
#define SIM_DBG_CAUSE_ANY 0xffffffffu
#define SIM_DBG_MAX_BPS 64

typedef struct {
    int id;                 /* 1, 2, ... in order of creation, never reused */
    sim_dbg_bp_kind_t kind;
    bool enabled;
    int cpu;                /* SIM_DBG_ANY_CPU or a CPU number */
    int vm;                 /* SIM_DBG_ANY_VM or the VM it is limited to */
    sim_space_t space;      /* ADDR, WATCH */
    uint32_t addr, len;     /* ADDR (len 4), WATCH: the range watched */
    unsigned access;        /* WATCH: SIM_DBG_READ | SIM_DBG_WRITE */
    uint32_t cause;         /* TRAP: a cause value or SIM_DBG_CAUSE_ANY* */
    cpu_mode_t mode;        /* MODE */
    uint64_t at;            /* CYCLE, INSTRET */
    bool done;              /* CYCLE, INSTRET: reached once, does not fire again */
    uint64_t hits;
    uint32_t last;          /* WATCH: the value last seen there (for "was ...") */
} sim_dbg_bp_t;

typedef struct sim_dbg sim_dbg_t;
typedef struct sim_dbg_cond sim_dbg_cond_t;

/* Attaches a debugger to a machine whose CPUs are reset and whose program is loaded; the
 * focus is CPU 0. Returns NULL when memory or an event-sink slot cannot be had. */
sim_dbg_t *sim_dbg_new(sim_machine_t *m);
/* Detaches (sink and hooks removed, cpu->debug off) and frees. The machine stays as it is. */
void sim_dbg_free(sim_dbg_t *dbg);
/* The sentence explaining the last failure (never NULL). */
const char *sim_dbg_error(const sim_dbg_t *dbg);
sim_machine_t *sim_dbg_machine(const sim_dbg_t *dbg);

/* Symbols: copied and sorted. Addresses print as "0x00001010 <puts+0x4>" when a symbol is at
 * or below them, less than 64 KiB away. */
int sim_dbg_set_symbols(sim_dbg_t *dbg, const cpu_symbol_t *syms, size_t n);
const cpu_symbol_t *sim_dbg_symbols(const sim_dbg_t *dbg, size_t *n);
bool sim_dbg_symbol_addr(const sim_dbg_t *dbg, const char *name, uint32_t *addr);
/* " <puts+0x4>" (with the leading space) or "" when no symbol is at or below addr. */
const char *sim_dbg_symbolize(const sim_dbg_t *dbg, uint32_t addr, char *buf, size_t len);

/* The focus: the CPU that steps, and whose registers, mode and page tables expressions and
 * virtual addresses use. */
unsigned sim_dbg_focus(const sim_dbg_t *dbg);
int sim_dbg_set_focus(sim_dbg_t *dbg, unsigned cpu);
/* A CPU's state now (NULL when there is no such CPU), and as it was when the last run began
 * (to show what the run changed). */
const cpu_t *sim_dbg_cpu(const sim_dbg_t *dbg, unsigned cpu);
const cpu_state_t *sim_dbg_prev_state(const sim_dbg_t *dbg, unsigned cpu);

/* Memory by space. The default space is gva while the focus CPU translates (paging or nested
 * translation on), else hpa. An address in gva or gpa is translated as the focus CPU would
 * (without touching its TLB or the A/D bits). Only RAM can be read: device registers are not
 * read, since reading them has side effects. */
sim_space_t sim_dbg_default_space(const sim_dbg_t *dbg);
int sim_dbg_to_hpa(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, uint32_t *hpa);
int sim_dbg_read(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, void *buf, size_t len);
/* Translates addr (gva, or gpa) as the focus CPU would for `kind`, into *res with the walk
 * reference by reference in *trace. -1 when the space has no translation on this machine. */
int sim_dbg_translate(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, mmu_access_t kind,
                      mmu_result_t *res, mmu_trace_t *trace);
/* The text of the instruction at addr in a space ("ld r1, [r2 + 4]"); false when unreadable. */
bool sim_dbg_disasm(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, char *buf, size_t len);

/* Expressions over the focus CPU (sim_debug_expr.c): numbers (10, 0x10, 0b10), registers
 * (r0..r15, sp, lr, pc, flags), CSRs by name, mode (with constants U K H), cycle, instret,
 * symbols, [ADDR] for a word in the default space, C operators with C precedence
 * (|| && | ^ & == != < <= > >= << >> + - * / % and unary - ~ !) and parentheses.
 * Arithmetic is 64-bit; a negated 32-bit number stays 32-bit, so `r3 == -1` works. */
int sim_dbg_eval(sim_dbg_t *dbg, const char *text, uint64_t *value);
sim_dbg_cond_t *sim_dbg_cond_parse(sim_dbg_t *dbg, const char *text);
/* Evaluates on a CPU. Returns -1 (message in sim_dbg_error) when it cannot be evaluated. */
int sim_dbg_cond_eval(sim_dbg_t *dbg, const sim_dbg_cond_t *cond, const cpu_t *cpu,
                      uint64_t *value);
const char *sim_dbg_cond_text(const sim_dbg_cond_t *cond);
void sim_dbg_cond_free(sim_dbg_cond_t *cond);

/* Breakpoints. Each returns the new id, or -1. */
int sim_dbg_break_addr(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, int cpu, int vm);
int sim_dbg_break_trap(sim_dbg_t *dbg, uint32_t cause);
int sim_dbg_break_mode(sim_dbg_t *dbg, cpu_mode_t mode);
int sim_dbg_break_cycle(sim_dbg_t *dbg, uint64_t cycle);
int sim_dbg_break_instret(sim_dbg_t *dbg, uint64_t count);
int sim_dbg_break_exit(sim_dbg_t *dbg, const char *reason, int vm); /* REASON or "any" */
int sim_dbg_watch(sim_dbg_t *dbg, sim_space_t space, uint32_t addr, uint32_t len,
                  unsigned access);
int sim_dbg_delete(sim_dbg_t *dbg, int id);
void sim_dbg_delete_all(sim_dbg_t *dbg);
int sim_dbg_enable(sim_dbg_t *dbg, int id, bool enabled);
size_t sim_dbg_bp_count(const sim_dbg_t *dbg);
const sim_dbg_bp_t *sim_dbg_bp(const sim_dbg_t *dbg, size_t index);
const sim_dbg_bp_t *sim_dbg_bp_by_id(const sim_dbg_t *dbg, int id);
/* What a breakpoint watches, e.g. "hpa 0x00001010 <puts+0x4>", "write hpa 0x00002000, 4 bytes",
 * "trap system-call", "mode U", "cycle 1 000". */
void sim_dbg_bp_describe(const sim_dbg_t *dbg, const sim_dbg_bp_t *bp, char *buf, size_t len);
/* Trap causes by name: the CPU's (cpu_cause_name), "interrupt" (any) and "any". */
int sim_dbg_cause_by_name(const char *name, uint32_t *cause);
const char *sim_dbg_cause_list(size_t i); /* the i-th name for completion, NULL past the end */

/* Running. Each returns 0 with *stop filled, or -1 when the machine cannot run (powered off)
 * or the request makes no sense here. */
int sim_dbg_stepi(sim_dbg_t *dbg, uint64_t n, sim_dbg_stop_t *stop);
int sim_dbg_step_trap(sim_dbg_t *dbg, sim_dbg_stop_t *stop);
int sim_dbg_step_exit(sim_dbg_t *dbg, sim_dbg_stop_t *stop); /* bare metal: -1 */
int sim_dbg_step_event(sim_dbg_t *dbg, sim_dbg_stop_t *stop);
int sim_dbg_run_cycles(sim_dbg_t *dbg, uint64_t n, sim_dbg_stop_t *stop);
int sim_dbg_until(sim_dbg_t *dbg, const sim_dbg_cond_t *cond, sim_dbg_stop_t *stop);
int sim_dbg_continue(sim_dbg_t *dbg, sim_dbg_stop_t *stop);
/* Asks a run in progress to stop at the next instruction boundary. Async-signal-safe: a
 * SIGINT handler may call it. A request made while nothing runs is dropped by the next run. */
void sim_dbg_request_stop(sim_dbg_t *dbg);
/* Runs end when CPU 0 reaches this many cycles (default 1 000 000 000). */
void sim_dbg_set_max_cycles(sim_dbg_t *dbg, uint64_t max_cycles);
/* The last stop, or NULL before the first. */
const sim_dbg_stop_t *sim_dbg_last_stop(const sim_dbg_t *dbg);

/* The event log: the last SIM_DBG_LOG events, oldest first; and a sink for tracing them as
 * they happen (NULL turns it off). */
#define SIM_DBG_LOG 4096
size_t sim_dbg_event_count(const sim_dbg_t *dbg);
const sim_event_t *sim_dbg_event(const sim_dbg_t *dbg, size_t index);
void sim_dbg_set_trace(sim_dbg_t *dbg, sim_event_sink_fn fn, void *ctx);
/* One sentence about an event, e.g. "cpu0 wrote 0x00000048 to port 0x3f8 at 0x00001010
 * <start+0x10>". */
void sim_dbg_describe_event(const sim_dbg_t *dbg, const sim_event_t *ev, char *buf, size_t len);
/* "1 284 512": digits in groups of three, as every count is shown. */
const char *sim_dbg_group(uint64_t n, char *buf, size_t len);

/* Commands. */
int sim_dbg_set_cost(sim_dbg_t *dbg, const char *name, uint32_t value);

/* VMs and the hypervisor (sim_debug_vm.c), read through hypervisor/hv.h. On a bare-metal
 * machine there are no VMs, and these answer so (sim_dbg_error) instead of pretending. */
#define SIM_DBG_NO_VMS                                                                             \
    "No VMs: this is a bare-metal run (hvsim --bare). Start a hypervisor scenario (hvsim --repl " \
    "--scenario default) for VMs."
#define SIM_DBG_MAX_VMS 8
typedef struct {
    int id;
    char name[16];
    const char *state;     /* running, halted (every VCPU waits), paused, off, crashed */
    unsigned vcpus;
    uint32_t memory;       /* bytes of guest-physical RAM */
    uint32_t frames;       /* host frames it owns now */
    const char *cpu, *mem; /* its CPU and memory virtualization techniques */
    uint64_t exits;        /* VM exits so far */
    uint64_t cycles_guest, cycles_hv, cycles_exit; /* guest time, hypervisor (and VMM) time,
                                                      and the round trips of its exits */
    const char *why;       /* crashed: what the hypervisor saw; else "" */
    uint32_t exit_code;    /* off: the code it powered off with */
} sim_dbg_vm_t;
typedef struct {
    int vm;
    unsigned index;
    const char *state;     /* ready, running, blocked, stopped */
    int pcpu, pin;         /* the pCPU it is loaded on / pinned to, or -1 */
    uint32_t vmcb;         /* host-physical address of its VMCB */
    uint64_t slices;
    uint32_t pc;           /* its guest pc: live when in_guest, else from the VMCB */
    cpu_mode_t mode;       /* the real mode it runs in */
    cpu_mode_t guest_mode; /* the mode its kernel believes (deprivileged: the virtual mode) */
    bool in_guest;         /* loaded and running guest code on its pCPU now */
    bool shadow;           /* shadow paging: the real ptroot is a shadow's root */
    uint32_t guest_ptroot; /* the guest's own ptroot (with shadow paging: the virtual one) */
} sim_dbg_vcpu_t;
bool sim_dbg_has_hypervisor(const sim_dbg_t *dbg);
unsigned sim_dbg_vm_count(const sim_dbg_t *dbg);
int sim_dbg_vm_info(sim_dbg_t *dbg, unsigned vm, sim_dbg_vm_t *out);
int sim_dbg_vcpu_info(sim_dbg_t *dbg, unsigned vm, unsigned vcpu, sim_dbg_vcpu_t *out);
/* A VM by name or number, or -1. */
int sim_dbg_vm_by_name(sim_dbg_t *dbg, const char *name);
/* One word of a VCPU's VMCB (offsets CPU_VMCB_*, cpu.h), as memory holds it now. */
int sim_dbg_vmcb_read(sim_dbg_t *dbg, int vm, unsigned vcpu, uint32_t offset, uint32_t *value);
/* The VM (and VCPU) loaded on a pCPU, -1 when none; true while an exit there waits for its
 * handler (a debugger stopped the pCPU in H first). */
int sim_dbg_pcpu_vm(const sim_dbg_t *dbg, unsigned cpu, int *vcpu);
bool sim_dbg_pcpu_exit_pending(const sim_dbg_t *dbg, unsigned cpu);
/* What a VM wrote on its console ("" when none). */
const char *sim_dbg_vm_console(const sim_dbg_t *dbg, unsigned vm);
/* Who owns a host frame: a VM number, or one of these. */
#define SIM_DBG_OWNER_NONE (-1)
#define SIM_DBG_OWNER_HV (-2)
int sim_dbg_frame_owner(const sim_dbg_t *dbg, uint32_t frame);
/* The focus VM: its symbols, and gva/gpa addresses mean its own (through its VMCB when it is
 * not loaded on the focus CPU). -1: the hypervisor. A stop in or at the exit of a VM focuses
 * it. Setting a VM also moves the focus CPU to a pCPU running it, if any. */
int sim_dbg_focus_vm(const sim_dbg_t *dbg);
int sim_dbg_set_focus_vm(sim_dbg_t *dbg, int vm);
/* A VM's own symbols (its guest kernel's), used while it is the focus and in its stops. */
int sim_dbg_set_vm_symbols(sim_dbg_t *dbg, int vm, const cpu_symbol_t *syms, size_t n);
/* As sim_dbg_symbolize, in VM vm's symbols (the machine's when it has none). */
const char *sim_dbg_symbolize_vm(const sim_dbg_t *dbg, int vm, uint32_t addr, char *buf,
                                 size_t len);
int sim_dbg_vm_pause(sim_dbg_t *dbg, int vm, bool pause);
/* "pin" or "overcommit"; sim_dbg_sched_name says which is in force ("" on bare metal). */
int sim_dbg_sched_policy(sim_dbg_t *dbg, const char *policy);
const char *sim_dbg_sched_name(const sim_dbg_t *dbg);

#endif
