/*
 * sim.h - the public face of the machine: physical memory, the bus and its devices, the cost
 * table, the event stream, and the deterministic run loop that interleaves the CPUs.
 *
 * Front ends (the hvsim binary, the REPL, the GUI, the tests) build a machine with
 * sim_machine_init, load an image, and drive it with sim_run. They never reach inside a CPU
 * or a device except through what this header and cpu.h offer. The disk-image format is in
 * sim_image.h, which this header includes. The debugger, which reads both the machine and the
 * hypervisor, sits above them in ui/debug/ui_debug.h.
 */
#ifndef HVSIM_SIM_H
#define HVSIM_SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    X(tlb_hit, 0, "a translation found in the TLB (looked up alongside the cache access)")         \
    X(walk_ref, 12, "one page-walk memory reference (a page-table entry read, an L2 hit)")         \
    X(ad_update, 20, "the walker writing A/D bits back into a leaf (a locked read-modify-write)")  \
    X(pwc_hit, 2, "an upper-level entry found in the page-walk cache")                             \
    X(iotlb_miss, 100, "an IOTLB miss: the IOMMU's round trip to its walker, besides the walk")    \
    X(disk_latency, 10000, "a block-device command, from the command write to the transfer")       \
    X(disk_sector, 100, "each 512-byte sector a block-device command moves")                       \
    X(vm_entry, 200, "VM entry: checking the VMCB and switching to the guest (its words extra)")   \
    X(vm_exit, 200, "VM exit: leaving the guest and switching back to the host (words extra)")     \
    X(vmcb_word, 2, "one 32-bit VMCB word that entry or exit reads or writes (a cache hit)")       \
    X(hv_mem, 2, "one 32-bit word the hypervisor reads or writes in memory (a cache hit)")         \
    X(hv_dispatch, 60, "the hypervisor's exit path: read the reason, call its handler")            \
    X(hv_handler, 40, "a handler's own fixed work (decoding, bookkeeping)")                        \
    X(hv_emulate, 200, "a virtual device's model answering one register access")                   \
    X(hv_vcpu_switch, 400, "switching a pCPU to another VCPU: scheduler and bookkeeping")          \
    X(hv_zero_page, 500, "clearing a 4 KiB frame before a VM gets it (a block clear)")             \
    X(t2_to_vmm, 2000, "type 2: the host kernel hands an exit to the user-level VMM")              \
    X(t2_from_vmm, 2000, "type 2: the VMM goes back into the host kernel to resume the VCPU")      \
    X(emu_insn, 25,                                                                                \
      "emulation: the hypervisor's interpreter fetching, decoding, running one insn")              \
    X(bt_translate_insn, 40,                                                                       \
      "binary translation: decoding one guest instruction, emitting its code")                     \
    /* large pages and the nested TLB (issue 16) */                                                \
    X(ntlb_hit, 2, "a guest table's host frame found in the nested TLB (no nested walk)")          \
    /* The network card (sim_nic.c): the link speed (issue 20). */                                 \
    X(nic_frame, 1000, "a network frame's fixed cost: descriptor fetch, preamble, gap")            \
    X(nic_byte, 2, "each byte of a network frame on the wire (a 10 Gbit/s link at ~2.5 GHz)")      \
    SIM_COSTS_GENERATIONS(X)                                                                       \
    SIM_COSTS_MEMORY(X)

/* The entries of hardware generations and of the co-resident BT monitor (issue 15; the
 * profiles below): the hypervisor reading or writing one VMCB field that is not a register
 * (VMREAD and VMWRITE on VT-x), at the default an L1 hit like hv_mem; translated code calling
 * into the monitor and back; a guest trap into the monitor and its return; adaptive BT's
 * in-TC store sequence and how many traps make a store site adapt (hv_bt_adapt.c). */
#define SIM_COSTS_GENERATIONS(X)                                                                   \
    X(hv_vmcb_read, 2, "the hypervisor reading one VMCB field other than a register (VMREAD)")     \
    X(hv_vmcb_write, 2, "the hypervisor writing one VMCB field other than a register (VMWRITE)")   \
    X(bt_callout, 100, "binary translation: translated code calling into the monitor and back")    \
    X(bt_monitor_trap, 180, "binary translation: a guest trap into the monitor and its return")  \
    X(bt_adapted_store, 40,                                                                        \
      "binary translation: an adapted store's in-TC sequence (the store and its shadow update)")   \
    X(bt_adapt_traps, 8,                                                                           \
      "binary translation: traps at one store site before it is retranslated (a count; 0: never)")

/* Memory overcommit (issue 19, hypervisor/hv_swap.c): the hypervisor's swap device, a block
 * device of the host with the disk model's timing (sim_disk_cycles), its own figures. */
#define SIM_COSTS_MEMORY(X)                                                                        \
    X(swap_latency, 10000, "the hypervisor's swap device: one command, start to transfer")         \
    X(swap_sector, 100, "each 512-byte sector the swap device moves")                              \
    X(share_hash, 1000, "page sharing: hashing one 4 KiB page (xxh64, ~4 bytes a cycle)")          \
    X(share_compare, 500, "page sharing: comparing two 4 KiB pages byte by byte")                  \
    X(hv_copy_page, 1000, "copying a 4 KiB page (a copy-on-write break)")

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

/*
 * Cost profiles (sim_costs.c): a hardware generation, as the defaults with the entries that
 * generation changes; docs/cycle-model.md gives each figure's source. Profile 0 is the
 * default table (sandybridge-2011). A front end's `--costs NAME` chooses the profile every
 * machine starts from (sim_machine_init); a scenario's `[machine] costs = NAME` applies only
 * when no profile was chosen so.
 */
#define SIM_COST_PROFILE_NAMES "sandybridge-2011, core2-2007, p4-2006"
size_t sim_cost_profile_count(void);
int sim_cost_profile_by_name(const char *name); /* -1 when unknown */
const char *sim_cost_profile_name(size_t p);
const char *sim_cost_profile_summary(size_t p);
/* How many entries profile p changes, and the i-th of them (its entry and figure). */
size_t sim_cost_profile_changes(size_t p);
sim_cost_t sim_cost_profile_change(size_t p, size_t i, uint32_t *value);
/* The whole table under profile p. */
void sim_costs_profile(sim_costs_t *costs, size_t p);
void sim_cost_profile_choose(int p); /* -1: none chosen (the default) */
int sim_cost_profile_chosen(void);

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
    X(HV, "hv")               /* a hypervisor action: a = sim_hv_action_t, b = its argument */ \
    X(EDIT, "edit")           /* a debugger edit, not the program's: from_mode 0: register a \
                                 (0..15, 16 pc, 17 flags); 1 + space (hpa, gpa, gva): the   \
                                 word at address a; b = the new value, pc = the old one */ \
    X(NIC, "nic")             /* from_mode = sim_nic_event_t; a, b: as sim_nic.h says */

typedef enum {
#define SIM_X_EVENUM(name, str) SIM_EV_##name,
    SIM_EVENTS(SIM_X_EVENUM)
#undef SIM_X_EVENUM
        SIM_EV_COUNT
} sim_event_kind_t;

/* What the hypervisor does (SIM_EV_HV), X(NAME, name, what b is; pc, when it says). The actions
 * of one exit, in order, are the sub-steps a debugger steps through (docs/debugger.md). */
#define SIM_HV_ACTIONS(X)                                                                          \
    X(SWITCH, "switch",                                                                            \
      "the previous entity on this pCPU (-1: none); pc: the rule that chose (SIM_HV_PICK_*)")      \
    X(IDLE, "idle", "0: nothing can run on this pCPU")                                             \
    X(BLOCK, "block", "0: the VCPU halted and waits for a virtual interrupt")                      \
    X(WAKE, "wake", "the virtual lines that woke it")                                              \
    X(MAP, "map", "the guest-physical page now backed by a host frame")                            \
    X(EMULATE, "emulate", "the port or guest-physical address of the virtual device register")     \
    X(VIRQ, "virq", "the virtual line raised")                                                     \
    X(TO_VMM, "to-vmm", "type 2: the exit reason handed to the user-level VMM")                    \
    X(FROM_VMM, "from-vmm", "type 2: the exit reason the VMM has handled")                         \
    X(HOST, "host", "type 2: the cycles the host process runs")                                    \
    X(PAUSE, "pause", "0: the VM is paused")                                                       \
    X(RESUME, "resume", "0: the VM runs again")                                                    \
    X(VM_OFF, "vm-off", "the exit code the VM powered off with")                                   \
    X(CRASH, "crash", "0: the hypervisor stopped the VM")                                          \
    X(TRAP_EMULATE, "trap-emulate",                                                                \
      "trap-and-emulate: the privileged instruction's opcode emulated")                            \
    X(TRAP_REFLECT, "trap-reflect",                                                                \
      "trap-and-emulate: the trap cause reflected into the guest kernel")                          \
    X(SHADOW_FILL, "shadow-fill", "shadow paging: the guest-virtual page a hidden fault filled")   \
    X(SHADOW_RECLAIM, "shadow-reclaim",                                                            \
      "shadow paging: the VM reached its budget; its shadow trees were emptied (tables held)")     \
    X(SHADOW_SYNC, "shadow-sync",                                                                  \
      "shadow paging: the page the guest's tlbinv dropped, 0xffffffff for its tlbflush")           \
    X(BT_TRANSLATE, "bt-translate", "binary translation: the guest pc of the block translated")    \
    X(BT_CALLOUT, "bt-callout", "binary translation: the guest pc of the instruction emulated")    \
    X(BT_INVALIDATE, "bt-invalidate", "binary translation: the guest page whose code was written") \
    X(MARK, "mark", "a guest's named mark (hv_mark.c): name index << 24 | value (24 bits)")        \
    X(HANDLER, "handler", "the exit reason whose handler runs; pc: the guest pc of the exit")      \
    X(SKIP, "skip", "the guest pc before the move past the instruction; pc: the new guest pc")     \
    X(SET_REG, "set-reg", "the guest register the hypervisor wrote; pc: the value")                \
    X(INJECT, "inject", "the cause the next entry will deliver into the guest; pc: its tval")      \
    X(DISK, "disk",                                                                                \
      "a virtual disk command queued: command << 16 | other VMs' commands ahead of it at the "     \
      "host's disk << 8 | sectors; pc: cycles until it completes")                                 \
    X(VTIMER, "vtimer", "the virtual timer set: cycles until it fires (0: off)")                   \
    X(CONSOLE, "console", "a console hypercall: the bytes written; pc: their gpa")                 \
    X(ACK, "ack", "the physical interrupt lines the host acknowledged")                            \
    X(KEEP, "keep", "0: its slice is over, but the scheduler keeps the VCPU: no one else may run") \
    X(MONITOR_CALL, "monitor-call",                                                                \
      "binary translation: translated code called the co-resident monitor; pc: the guest pc")      \
    X(MONITOR_TRAP, "monitor-trap",                                                                \
      "binary translation: the trap cause taken by the co-resident monitor; pc: the guest pc")     \
    X(CPUID, "cpuid", "the cpuid leaf the virtual CPU answered; pc: the answer")                   \
    X(BT_MOVE_PC, "bt-move-pc",                                                                    \
      "binary translation: the pc the monitor moved the VCPU from (into, out of or within the "    \
      "translation cache); pc: the pc it moved it to")                                             \
    X(SWAP_OUT, "swap-out",                                                                        \
      "overcommit: the guest-physical page written to the swap device; pc: its swap slot")         \
    X(SWAP_IN, "swap-in",                                                                          \
      "overcommit: the guest-physical page read back from the swap device (SIM_HV_DOUBLE_PAGED "    \
      "set: for the guest's own page-out, double paging); pc: its swap slot")                      \
    X(SHARE, "share",                                                                              \
      "page sharing: the guest-physical page mapped read-only to a shared frame; pc: its hpa")     \
    X(COW, "cow", "page sharing: the shared page a store broke into a private copy; pc: its hpa")  \
    X(SHARE_SCAN, "share-scan",                                                                    \
      "page sharing: a scanner pass ended: the frames sharing saves now; pc: guest pages backed")  \
    X(MIGRATE_ROUND, "migrate-round",                                                              \
      "live migration: a pre-copy round began: the pages it sends; pc: the round's number")        \
    X(MIGRATE_STOP, "migrate-stop",                                                                \
      "live migration: the VM paused for the stop-and-copy: the pages left; pc: the round's "      \
      "number")                                                                                    \
    X(MIGRATE_DONE, "migrate-done",                                                                \
      "live migration: the VM resumed on the destination host (its number); pc: the downtime in "  \
      "cycles (both 0: the migration failed)")                                                     \
    X(MARK_RING, "mark-ring",                                                                      \
      "a guest registered its mark ring (hypercall 3, hv_mark.c): its gpa; pc: its slots")         \
    X(DMA_FAULT, "dma-fault",                                                                      \
      "passthrough: the IOVA of a DMA the IOMMU blocked for the VM's assigned device; pc: device " \
      "<< 16 | access << 8 | reason (iommu_reason_t)")                                             \
    X(BALLOON, "balloon",                                                                          \
      "ballooning: the pages the guest's balloon driver gave (SIM_HV_WRITE set: took back); pc: "  \
      "the pages in its balloon now")                                                              \
    X(PV_NOTIFY, "pv-notify",                                                                      \
      "paravirtual network card: a kick (hypercall 17): the frames it sent; pc: the receive "      \
      "queue's used index")                                                                        \
    X(BATCH, "batch",                                                                              \
      "exit batching: the guest pc of the next instruction, which would exit too, emulated in "    \
      "the same exit; pc: its word")                                                               \
    X(SHADOW_TRACE, "shadow-trace",                                                                \
      "shadow paging: the guest page-table page write-protected (shadow_sync = trace)")           \
    X(BT_ADAPT, "bt-adapt",                                                                        \
      "adaptive binary translation: the guest pc of a store site that trapped bt_adapt_traps "     \
      "times, retranslated; pc: the traps")                                                        \
    X(BT_ADAPTED_STORE, "bt-adapted-store",                                                        \
      "adaptive binary translation: the guest pc of an adapted store, done by its in-TC "          \
      "sequence (no trap); pc: the guest-physical address stored to")                              \
    X(GUEST_SWAP, "guest-swap",                                                                    \
      "double paging: the guest's disk command in its own swap area done: the slot (SIM_HV_WRITE " \
      "set: a page-out); pc: the hypervisor's swap-ins its DMA needed (double paging)")

/* SIM_HV_EMULATE: b has this bit for a write (pc: the value written or read). */
#define SIM_HV_WRITE 0x80000000u
/* SIM_HV_EMULATE: b has this bit when the guest reached the register by MMIO (a load or store
 * to the device's window, not an in or out); the event's span is then that guest-physical
 * address, and b's low bits still name the register by its port. */
#define SIM_HV_MMIO 0x40000000u
/* SIM_HV_SWAP_IN: b (a page's address) has this low bit when the page is read back while the
 * guest's disk DMA reads it for a write into the guest's own swap area: double paging
 * (hv_gswap.c). The page is b & ~SIM_HV_DOUBLE_PAGED. */
#define SIM_HV_DOUBLE_PAGED 0x1u
/* SIM_HV_SWITCH: which rule chose the entity (pc). */
enum {
    SIM_HV_PICK_PIN = 0, /* it is pinned to this pCPU */
    SIM_HV_PICK_PASS,    /* the lowest stride pass among those ready */
    SIM_HV_PICK_CAP,     /* the lowest pass, another VM being held back by its cap */
};

typedef enum {
#define SIM_X_HVENUM(name, str, doc) SIM_HV_##name,
    SIM_HV_ACTIONS(SIM_X_HVENUM)
#undef SIM_X_HVENUM
        SIM_HV_ACTION_COUNT
} sim_hv_action_t;

const char *sim_hv_action_name(unsigned action);
int sim_hv_action_by_name(const char *name); /* -1 when unknown */

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
    uint32_t span; /* VMENTRY and a failed entry: the hardware's cycles just before `cycle`;
                      VMEXIT: the hardware's cycles from `cycle` on (the world switch);
                      HV EMULATE with SIM_HV_MMIO: the guest-physical address */
    /* SIM_EV_HV on a pCPU: the cycles the hypervisor charged there for this action (since its
     * previous one) and the cost-table entries behind them, the largest first (cost_n 0: none;
     * what the entries do not explain, e.g. emulation's interpreter, is charged = the rest). */
    uint32_t charged;
    uint8_t cost[4];
    uint16_t cost_n[4];
    uint8_t flags; /* SIM_EVF_* */
} sim_event_t;

/* VMEXIT: a trap into a co-resident monitor (the VMCB control MONITOR: binary translation's
 * callout or a guest trap), VMENTRY: the monitor's return; neither is a world switch, and the
 * time between them is the monitor's (SIM_TIME_MONITOR), not the hypervisor's. */
#define SIM_EVF_MONITOR 1u

typedef void (*sim_event_sink_fn)(const sim_event_t *ev, void *ctx);

const char *sim_event_name(sim_event_kind_t kind);
/* One line describing an event, e.g. "cycle 1234 cpu0 trap system-call epc=0x1010 tval=0". */
void sim_event_format(const sim_event_t *ev, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------
 * Time accounting (sim_account.c): the one place that says where every cycle of every pCPU
 * went, read from the event stream. The statistics, `info stats`, the window's lanes and its
 * CPU-time and per-VM bars all read it, so a figure shown in two places is the same figure.
 * X(NAME, short name, what it is).
 * ------------------------------------------------------------------------------------------ */
#define SIM_TIMES(X)                                                                               \
    X(USER, "user", "guest user (bare metal: ring 3)")                                             \
    X(KERNEL, "kernel", "guest kernel, in its virtual ring (bare metal: ring 0)")                  \
    X(SWITCH, "exit/entry", "the hardware's VM exits and entries (the world switch)")              \
    X(HANDLER, "hypervisor", "the hypervisor's handlers and scheduler (type 2: the host kernel)")  \
    X(MONITOR, "BT monitor",                                                                       \
      "binary translation's co-resident monitor: its callouts and traps, in the guest's own "      \
      "address space (no world switch)")                                                           \
    X(VMM, "VMM", "type 2: the user-level VMM process")                                            \
    X(HOST, "host process", "type 2: the host's own process")                                      \
    X(IDLE, "idle", "halted, or nothing to run")

typedef enum {
#define SIM_X_TIMEENUM(name, str, doc) SIM_TIME_##name,
    SIM_TIMES(SIM_X_TIMEENUM)
#undef SIM_X_TIMEENUM
        SIM_TIME_COUNT
} sim_time_t;

const char *sim_time_name(sim_time_t kind);

#define SIM_ACCOUNT_VMS 8 /* VMs with their own figures (the hypervisor's HV_MAX_VMS) */
#define SIM_ACCOUNT_LISTENERS 4

/* A stretch of one pCPU's time spent on one thing: what the window's lanes and the trace draw. */
typedef struct {
    uint8_t cpu, kind; /* sim_time_t */
    uint8_t real_mode; /* the ring the CPU really ran in (a deprivileged kernel: ring 3) */
    int16_t vm, vcpu;  /* whose time (-1: nobody's) */
    uint64_t start, dur;
} sim_span_t;

typedef void (*sim_span_fn)(const sim_span_t *span, void *ctx);

typedef struct {
    uint8_t kind, real_mode;
    int16_t vm, vcpu;
    uint64_t since;                 /* the open span began here */
    uint64_t total[SIM_TIME_COUNT]; /* closed spans, by kind */
} sim_account_cpu_t;

typedef struct {
    sim_account_cpu_t cpu[SIM_MAX_CPUS];
    uint64_t vm[SIM_ACCOUNT_VMS][SIM_TIME_COUNT]; /* closed spans of each VM, by kind */
    /* The guest's own ring after an entry: a hypervisor that deprivileges kernels (trap, bt)
     * answers with the virtual mode; NULL, or -1 from it: the CPU's real mode. */
    int (*guest_mode)(void *ctx, const sim_event_t *entry);
    void *guest_mode_ctx;
    sim_span_fn listen[SIM_ACCOUNT_LISTENERS]; /* told of every span as it closes */
    void *listen_ctx[SIM_ACCOUNT_LISTENERS];
    unsigned nlisten;
} sim_account_t;

struct sim_machine;
/* Starts every CPU's accounting over at its current cycle, in the kind its mode says (a
 * hypervisor calls it once it has put the pCPUs in ring -1). */
void sim_account_restart(struct sim_machine *m);
/* Called by sim_emit for every event, before the sinks. */
void sim_account_event(struct sim_machine *m, const sim_event_t *ev);
/* A pCPU's cycles by kind, up to its current cycle (the open span included); their sum is the
 * CPU's cycle count. The open span is returned in *open when open is not NULL. */
void sim_account_cpu(const struct sim_machine *m, unsigned cpu, uint64_t out[SIM_TIME_COUNT],
                     sim_span_t *open);
/* A VM's cycles by kind on every pCPU, open spans included. */
void sim_account_vm(const struct sim_machine *m, unsigned vm, uint64_t out[SIM_TIME_COUNT]);
/* Adds or removes a listener told of every span as it closes. -1 when there are too many. */
int sim_account_listen(struct sim_machine *m, sim_span_fn fn, void *ctx);
void sim_account_unlisten(struct sim_machine *m, sim_span_fn fn, void *ctx);
/* Closes every pCPU's open span at its current cycle (before a trace is written). */
void sim_account_settle(struct sim_machine *m);

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
    uint16_t device;     /* index in m->devices */
    uint16_t background; /* 1: housekeeping that wakes no CPU (sim_schedule_background) */
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
    uint32_t refused;       /* commands written while BUSY, refused (the REFUSED register) */
    uint64_t started;       /* cycle the command in progress was written */
    uint16_t bus_index;     /* its place in m->devices */
    uint64_t reads, writes, sectors_read, sectors_written, errors; /* statistics */
} sim_disk_t;

/* A bounded text (sim_devices.c): the latest bytes written to it, `limit` at most; older ones
 * are dropped from the front (and counted), half a limit at a time, so that a flood costs one
 * move per half a limit and a chatty program cannot grow the host without bound. */
typedef struct {
    char *text; /* NUL-terminated (owned); NULL until the first byte */
    size_t len, cap;
    uint64_t dropped; /* bytes dropped from the front */
} sim_keep_t;
#define SIM_CONSOLE_KEEP (64u << 10) /* bytes of the bare machine's console kept in memory */
void sim_keep_add(sim_keep_t *k, const char *bytes, size_t n, size_t limit);
void sim_keep_free(sim_keep_t *k);

/* The console: UART output goes to a FILE (every byte: the complete output) and to a capture
 * of the latest SIM_CONSOLE_KEEP bytes; input comes from a script. */
typedef struct {
    FILE *out;          /* NULL: capture only */
    sim_keep_t capture; /* the latest bytes written */
    char *input;    /* the input script (owned), or NULL */
    size_t in_len, in_pos;
    bool irq_enabled; /* raise line SIM_UART_IRQ while input is ready */
} sim_console_t;

#define SIM_UART_PORT 0x3f8
#define SIM_UART_MMIO 0xf0000000u
#define SIM_UART_IRQ 1
#define SIM_POWER_PORT 0x0f0
#define SIM_POWER_MMIO 0xf0001000u

/* The network card: its registers, rings and state (sim_nic.h). */
#include "sim_nic.h"

/* ------------------------------------------------------------------------------------------
 * The machine
 * ------------------------------------------------------------------------------------------ */
struct sim_mem_access; /* "Watching memory", below */

/* The clock rate the cost table assumes, so that a cycle count can be read as time. The table's
 * exit round trip (824 cycles, docs/cycle-model.md) is Agesen et al.'s Sandy Bridge figure, and
 * Sandy Bridge desktop parts run at 3 to 3.4 GHz: the model's clock is 3 GHz, and a millisecond
 * of simulated time is 3 000 000 cycles. Guest ticks and the hypervisor's slice follow from it
 * (guestos/include/hw.inc repeats it for the guests; a test keeps the two equal). */
#define SIM_CLOCK_MHZ 3000u
#define SIM_CYCLES_PER_MS (SIM_CLOCK_MHZ * 1000u)

/* How many cycles a CPU runs before the next one takes its turn, unless a scenario says. */
#define SIM_DEFAULT_QUANTUM 10000u

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
    uint64_t quantum; /* cycles each CPU runs before the next one takes its turn (at first
                       * SIM_DEFAULT_QUANTUM) */
    /* The round of turns in progress (sim_run): the next CPU to take its turn, whether a stop
     * left that turn midway (turn_open: it goes on first, even past round_end, as it would have
     * without the stop), how many were found idle, and the cycle the round ends at. A run that
     * a debugger or a cycle limit stops resumes there, so stops never change how the CPUs
     * interleave. */
    bool turn_open;
    unsigned round_next, round_idle;
    uint64_t round_end;
    cpu_t *io_cpu;    /* the CPU whose access a device callback is serving (for event stamps) */
    sim_event_sink_fn sinks[SIM_MAX_SINKS];
    void *sink_ctx[SIM_MAX_SINKS];
    uint64_t sink_kinds[SIM_MAX_SINKS]; /* the kinds each sink asked for (SIM_EV_BIT) */
    uint64_t heard;                     /* their union: the kinds some sink reads */
    unsigned nsinks;
    uint64_t event_counts[SIM_EV_COUNT];
    sim_account_t account;   /* where every cycle went (sim_account.c); derived, not saved */
    mmu_config_t mmu_config; /* TLB size, page-table levels, page-walk cache: every CPU's MMU */
    iommu_t iommu;
    /* Device events, sorted by (at, seq); timed_next is the first one's cycle (UINT64_MAX when
     * there is none), which no CPU runs past: cpu_run stops there and sim_run fires it. */
    sim_timed_t timed[SIM_MAX_TIMED];
    unsigned ntimed;
    uint64_t timed_seq, timed_next;
    sim_disk_t disk;
    sim_nic_t nic;
    sim_peer_t peer; /* the host at the other end of the NIC's cable */
    /* The far end of the NIC's cable (sim_nic_set_wire): the peer host's at reset, or NULL. Not
     * machine state: a copy of the machine points it (and its ctx) at its own peer. */
    sim_nic_wire_fn nic_wire;
    void *nic_wire_ctx;
    /* Who takes the card's line 11 instead of CPU 0 (sim_nic_set_host_irq), or NULL. Not
     * machine state, as nic_wire. */
    sim_nic_host_irq_fn nic_host_irq;
    void *nic_host_irq_ctx;
    /* Who takes the IOMMU's fault interrupt instead of CPU 0 (iommu_set_fault_handler), or
     * NULL. Not machine state, as nic_wire. */
    iommu_fault_fn iommu_fault;
    void *iommu_fault_ctx;
    /* Who runs a CPU's turn in sim_run: cpu_run when NULL; a hypervisor installs its own, which
     * enters VCPUs, handles their exits and re-enters them within the budget. `limit` is the
     * cycle the run stops at: the turn returns at the first point at or past it where stopping
     * changes nothing (an instruction boundary; an idle pCPU waits out its turn). */
    cpu_stop_t (*run_turn)(struct sim_machine *m, cpu_t *cpu, uint64_t budget, uint64_t limit,
                           void *ctx);
    void *run_turn_ctx;
    /* A debugger watching memory (see "Watching memory" below), or NULL. Not machine state. */
    void (*mem_watch)(const struct sim_mem_access *acc, void *ctx);
    void *mem_watch_ctx;
    /* The CPUs' predecoded blocks (cpu_block.c): a host-side memo of the code in RAM, not
     * machine state. sim_ram_written keeps it right. */
    cpu_blocks_t blocks;
    /* The pages of RAM written since sim_ram_clear_written, a byte each (1: written): a
     * debugger's checkpoint copies only those (ui/debug/debug_reverse.c). Every page counts as
     * written until somebody clears them. Host-side, not machine state, kept right as the
     * blocks are: by sim_ram_written, and by the CPU's stores, whose translation cache mirrors
     * a store to a page only once the page is marked (mmu_walk.c's fast_kinds_at), so that the
     * first store there after a clear takes the slow path, which marks it. */
    uint8_t *ram_written;
} sim_machine_t;

/* Builds a machine with `ram_size` bytes of zeroed RAM, `ncpus` CPUs reset at CPU_RESET_PC,
 * the UART (console to stdout) and the power device. Returns -1 when memory cannot be had. */
int sim_machine_init(sim_machine_t *m, uint32_t ram_size, unsigned ncpus);
/* The one hook every write to RAM passes, after the bytes at [pa, pa + len) changed: the CPU's
 * stores, the walker's A/D bits, the hypervisor's writes into guest memory, DMA, the debugger,
 * the loader, a snapshot restore, page copies. It marks those pages written (ram_written) and
 * drops the predecoded blocks decoded from them (docs/interpreter.md); a writer that went
 * around it would leave the CPU running words that RAM no longer holds, and a debugger's
 * checkpoint keeping a page that RAM no longer holds. Costs a mark, and one test when the page
 * holds no code. */
static inline void sim_ram_written(sim_machine_t *m, uint32_t pa, size_t len)
{
    if (pa >= m->ram_size || !len)
        return;
    uint32_t n = len < m->ram_size - pa ? (uint32_t)len : m->ram_size - pa;
    uint32_t first = pa >> MMU_PAGE_SHIFT, last = (pa + (n - 1)) >> MMU_PAGE_SHIFT;
    if (first == last)
        m->ram_written[first] = 1;
    else
        memset(m->ram_written + first, 1, last - first + 1);
    cpu_blocks_written(&m->blocks, pa, n);
}
/* The number of pages of RAM (the last one may be short). */
static inline uint32_t sim_ram_pages(const sim_machine_t *m)
{
    return (uint32_t)(((uint64_t)m->ram_size + MMU_PAGE_SIZE - 1) >> MMU_PAGE_SHIFT);
}
/* Marks every page of RAM unwritten (ram_written), and makes every CPU's next store to each
 * page take the slow path, which marks it again. */
void sim_ram_clear_written(sim_machine_t *m);
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
/* Gives the console the whole file at path as its input (--input FILE), read with the cap
 * and checks of sim_read_file. -1 with a message naming the file (to diag) when it cannot. */
int sim_load_input(sim_machine_t *m, const char *path, FILE *diag);
/* Prints text that may quote bytes of a binary input: control bytes (but newline and tab),
 * DEL and bytes that are not valid UTF-8 are written as \xNN. The vfprintf form formats
 * first. */
void sim_fputs_printable(FILE *f, const char *text);
void sim_vfprintf_printable(FILE *f, const char *fmt, va_list ap);
/* Reads a whole regular file of at most `max` bytes into a malloc'd buffer (NUL-terminated).
 * Returns NULL and sets errno (EFBIG: larger than max; CPU_ENOTREG: a device or a pipe, which
 * could be read without end). sim_read_file caps at SIM_INPUT_MAX_BYTES. sim_read_error puts
 * into buf the sentence for such an errno ("it is larger than the 64 MiB limit ...") and
 * returns buf. */
#define SIM_INPUT_MAX_BYTES (64u << 20) /* scenarios, manifests, programs, console input */
char *sim_read_file_max(const char *path, size_t max, size_t *len);
char *sim_read_file(const char *path, size_t *len);
const char *sim_read_error(int err, size_t max, char *buf, size_t len);
/* Adds a device; returns -1 when the bus is full or the windows overlap another device. */
int sim_add_device(sim_machine_t *m, const sim_device_t *dev);

/* Schedules device `device` (its index in m->devices) to be called back through its `timed`
 * function when the machine reaches cycle `at`. Returns -1 when the queue is full. sim_run
 * fires the event once every CPU has reached `at`; a CPU running when it is scheduled stops at
 * `at` (at its first instruction boundary there), so an interrupt the device raises then is
 * taken on time. A machine whose CPUs are all halted is not idle while an event is pending. */
int sim_schedule(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what);
/* The same for housekeeping that never wakes a CPU (the hypervisor's page-sharing scanner): a
 * machine whose CPUs are all halted with only such events pending is idle, as it would be
 * without them, instead of ticking on to its cycle limit. */
int sim_schedule_background(sim_machine_t *m, uint64_t at, unsigned device, uint32_t what);
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
/* ------------------------------------------------------------------------------------------
 * Watching memory: how a debugger sees the accesses to RAM that no CPU's load or store makes
 * (those reach it through cpu->watch_fn): the hypervisor's words and copies, and device DMA.
 * m->mem_watch is NULL except while a debugger's run has watchpoints, so each such access pays
 * one test of a pointer. A write is reported before it changes RAM: the watcher can still read
 * the old value there.
 * ------------------------------------------------------------------------------------------ */
typedef enum {
    SIM_BY_CPU, /* a CPU's load or store (cpu, va, pc) */
    SIM_BY_HV,  /* the hypervisor's C code: on pCPU `cpu`, or outside any (cpu -1) */
    SIM_BY_DMA, /* a device, through the IOMMU (device: its IOMMU id) */
    SIM_BY_HW,  /* a CPU's own machinery (cpu; what: "page walker" with va, "VM exit", ...) */
} sim_accessor_t;

typedef struct sim_mem_access {
    uint8_t by; /* sim_accessor_t */
    bool write;
    int8_t cpu;          /* the CPU it was made on, -1: none (a device event) */
    int8_t vm;           /* HV: the VM it works for, -1: not known here */
    uint8_t device;      /* DMA: the device's IOMMU id */
    const char *what;    /* HV, HW: what it was doing ("the virtual disk's DMA"), or NULL */
    uint32_t hpa, len;   /* the bytes touched */
    const uint8_t *data; /* write: the bytes about to be written; read: NULL */
    uint32_t va, pc;     /* CPU: the address the program used and its instruction's; HW: the
                            address the page walker was translating */
} sim_mem_access_t;

typedef void (*sim_mem_watch_fn)(const sim_mem_access_t *acc, void *ctx);

/* Port accesses. A port with no device reads 0xffffffff and ignores writes. */
uint32_t sim_port_read(sim_machine_t *m, cpu_t *cpu, uint16_t port);
void sim_port_write(sim_machine_t *m, cpu_t *cpu, uint16_t port, uint32_t val);

/* The console. */
void sim_console_set_output(sim_machine_t *m, FILE *out); /* NULL: capture only */
void sim_console_set_input(sim_machine_t *m, const char *text, size_t len);
const char *sim_console_captured(const sim_machine_t *m); /* never NULL; the latest bytes */
uint64_t sim_console_dropped(const sim_machine_t *m);     /* bytes no longer captured */
/* True when the program has asked for the console's input interrupt and no input is left: a
 * halted CPU then waits for typing that will never come. */
bool sim_console_waits_for_input(const sim_machine_t *m);

/* Events. A sink sees every kind of event, or (sim_add_sink_for) the kinds it names, a bit per
 * kind (SIM_EV_BIT). */
#define SIM_EV_BIT(kind) (1ull << (kind))
#define SIM_EV_ALL (SIM_EV_BIT(SIM_EV_COUNT) - 1)
int sim_add_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx);
int sim_add_sink_for(sim_machine_t *m, sim_event_sink_fn fn, void *ctx, uint64_t kinds);
/* Removes the sink added with this fn and ctx (the others keep their order). */
void sim_remove_sink(sim_machine_t *m, sim_event_sink_fn fn, void *ctx);
void sim_emit(sim_machine_t *m, const sim_event_t *ev);
/* The kinds the accounting reads (sim_account_event); it ignores the others. */
#define SIM_ACCOUNT_KINDS                                                                          \
    (SIM_EV_BIT(SIM_EV_VMENTRY) | SIM_EV_BIT(SIM_EV_VMEXIT) | SIM_EV_BIT(SIM_EV_MODE) |            \
     SIM_EV_BIT(SIM_EV_TRAP) | SIM_EV_BIT(SIM_EV_INTERRUPT) | SIM_EV_BIT(SIM_EV_IRET) |            \
     SIM_EV_BIT(SIM_EV_WAKE) | SIM_EV_BIT(SIM_EV_HALT) | SIM_EV_BIT(SIM_EV_HV))
/* Does anyone read events of `kind` (the accounting or a sink)? A hot path (the page walk) may
 * skip building an event nobody reads and only count it (sim_count_unheard), which leaves the
 * counts exactly as sim_emit would. */
static inline bool sim_event_heard(const sim_machine_t *m, unsigned kind)
{
    return ((m->heard | SIM_ACCOUNT_KINDS) >> kind) & 1u;
}
static inline void sim_count_unheard(sim_machine_t *m, unsigned kind)
{
    m->event_counts[kind]++;
}

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
 *   0x1f7  REFUSED    r   commands written while BUSY (and refused) since the machine started
 *
 * A bad command (no disk, a count outside 1..128, sectors past the end, an unknown command)
 * completes at once with ERROR; a command written while BUSY is refused and counted in REFUSED:
 * the controller holds one command, so a driver that floods it queues nothing in the host. A DMA
 * the IOMMU blocks completes with ERROR and DMA_BLOCKED, having moved nothing.
 * ========================================================================================== */
#define SIM_DISK_PORT 0x1f0
#define SIM_DISK_IRQ 14
#define SIM_DISK_DMA_ID 1 /* the controller's IOMMU device id */
#define SIM_DISK_MAX_COUNT 128
#define SIM_DISK_MAX_BYTES (1u << 30) /* the largest disk image attached */
enum {
    SIM_DISK_SECTOR = 0,
    SIM_DISK_COUNT,
    SIM_DISK_ADDR,
    SIM_DISK_COMMAND,
    SIM_DISK_STATUS,
    SIM_DISK_ERROR,
    SIM_DISK_CAPACITY,
    SIM_DISK_REFUSED,
    SIM_DISK_NREGS = 8
};
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
/* The disk model's timing: a command moving `sectors` takes latency + per_sector * sectors
 * cycles (the machine's disk: disk_latency and disk_sector; the hypervisor's swap device:
 * swap_latency and swap_sector). */
uint64_t sim_disk_cycles(uint32_t latency, uint32_t per_sector, uint32_t sectors);
uint32_t sim_disk_reg(const sim_disk_t *d, unsigned reg);

/* Writes a whole file so that no reader ever sees it half-written: into a temporary file in the
 * same directory, then renamed over `path`. On failure prints "PATH: error: ..." to diag, removes
 * the temporary file and leaves any existing `path` as it was; returns -1. */
int sim_write_file_atomic(const char *path, const void *bytes, size_t len, FILE *diag);
/* The same for a file written in pieces (a trace too large to hold in memory): sim_atomic_open
 * gives a stream to write to (NULL after "PATH: error: ..." on diag); sim_atomic_commit makes
 * the file appear whole over `path` (0) or not at all (-1, with the message); sim_atomic_abort
 * drops it. Either ends the sim_atomic_t. */
typedef struct sim_atomic sim_atomic_t;
FILE *sim_atomic_open(const char *path, sim_atomic_t **out, FILE *diag);
int sim_atomic_commit(sim_atomic_t *a, FILE *diag);
void sim_atomic_abort(sim_atomic_t *a);

/* "1 284 512": digits in groups of three, as every count is shown (stats, REPL, window).
 * HVSIM_DIGITS=plain in the environment gives "1284512", for scripts that parse the output. */
const char *sim_group_digits(uint64_t n, char *buf, size_t len);
/* "1 injection", "2 injections", "1 284 VCPU switches": a count with its noun, in the plural
 * unless the count is 1 (English rules: -s, -es after s/x/ch/sh, -ies after a consonant + y). */
const char *sim_counted(uint64_t n, const char *noun, char *buf, size_t len);

/* The rest of the module's public face, in a header of its own: the disk-image format and its
 * reader, checker and builder. */
#include "sim_image.h"
/* Snapshots of the whole machine: the container and the machine's part. */
#include "sim_snap.h"

#endif
