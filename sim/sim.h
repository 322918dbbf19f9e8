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
    X(halt_wakeup, 20, "leaving the halted state when an interrupt arrives")                    \
    X(tlb_hit, 0, "a translation found in the TLB (looked up alongside the cache access)")        \
    X(walk_ref, 12, "one page-walk memory reference (a page-table entry read, an L2 hit)")       \
    X(ad_update, 20, "the walker writing A/D bits back into a leaf (a locked read-modify-write)") \
    X(pwc_hit, 2, "an upper-level entry found in the page-walk cache")                            \
    X(iotlb_miss, 100, "an IOTLB miss: the IOMMU's round trip to its walker, besides the walk")

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
    X(DMAFAULT, "dmafault")   /* a = device, b = IOVA; the record is in the IOMMU's log */

typedef enum {
#define SIM_X_EVENUM(name, str) SIM_EV_##name,
    SIM_EVENTS(SIM_X_EVENUM)
#undef SIM_X_EVENUM
        SIM_EV_COUNT
} sim_event_kind_t;

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
} sim_device_t;

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
    cpu_t *io_cpu;    /* the CPU whose access a device callback is serving (for event stamps) */
    sim_event_sink_fn sinks[SIM_MAX_SINKS];
    void *sink_ctx[SIM_MAX_SINKS];
    unsigned nsinks;
    uint64_t event_counts[SIM_EV_COUNT];
    mmu_config_t mmu_config; /* TLB size, page-table levels, page-walk cache: every CPU's MMU */
    iommu_t iommu;
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

#endif
