/*
 * hv_stats.h - the figures the hypervisor keeps per VM (hv_stats.c keeps most of them from the
 * event stream; shadow paging, binary translation and the devices count their own as they
 * work). Plain data, saved with the VM. Part of hv.h's public face, which includes it.
 */
#ifndef HV_STATS_H
#define HV_STATS_H

#include <stdint.h>

#include "../sim/sim.h"

/* Shadow paging's figures, per VM (hv_shadow.c counts them as it works). */
typedef struct {
    uint64_t hidden_faults;  /* page faults the guest never sees: a shadow entry was filled */
    uint64_t guest_faults;   /* page faults the guest's own tables cause: delivered to it */
    uint64_t ad_updates;     /* A/D bits the hypervisor wrote into the guest's tables */
    uint64_t tlbinv_syncs;   /* the guest's tlbinv: the page dropped from its shadows */
    uint64_t tlbflush_syncs; /* the guest's tlbflush: a shadow tree emptied */
    uint64_t switches;       /* loading another shadow tree (ptroot write, mode change) */
    uint64_t builds;         /* shadow trees started (a new address space or view) */
    uint64_t tables;         /* shadow table frames taken from the pool */
    uint64_t mmio;           /* device-register accesses emulated after a shadow fault */
    uint64_t reclaims;       /* the budget was reached: every shadow tree of the VM emptied */
    uint64_t splinters;      /* shadow entries filled for a guest large page (4 KiB each) */
    uint64_t large_syncs;    /* tlbinv in a splintered tree: the large page's region dropped */
    uint64_t traces;         /* shadow_sync = trace: guest page-table pages write-protected */
    uint64_t trace_stores;   /* ... guest stores to them, emulated and the shadows updated */
    uint64_t trace_resets;   /* ... every trace dropped and every shadow emptied (set full) */
} hv_shadow_stats_t;

/* Binary translation's figures, per VM (hv_bt.c). */
typedef struct {
    uint64_t blocks;            /* blocks translated */
    uint64_t insns_identical;   /* guest instructions copied as they are */
    uint64_t insns_inline;      /* sensitive ones replaced by an inline sequence */
    uint64_t insns_callout;     /* replaced by a callout to the hypervisor */
    uint64_t inline_devices;    /* of the inline ones: device registers emulated in the TC */
    uint64_t inline_csrs;       /* of the inline ones: unintercepted CSRs (im) in the TC */
    uint64_t inline_clocks;     /* of the inline ones: clock (cycle) and virtual timer reads */
    uint64_t lookups, hits;     /* guest pc -> translation lookups; found translated */
    uint64_t site_misses;       /* inline jalr lookups that missed (hits cost no exit) */
    uint64_t chains;            /* block exits patched into direct jumps */
    uint64_t callouts;          /* callouts taken: privileged instructions, jalr, block exits */
    uint64_t monitor_traps;     /* the guest's traps taken by the co-resident monitor */
    uint64_t gate_exits;        /* inline sti/popf found an interrupt waiting */
    uint64_t invalidations;     /* the guest wrote translated code: translations dropped */
    uint64_t protected_writes;  /* data stores to a page holding translated code, emulated */
    uint64_t tc_flushes;        /* the TC was full */
    uint64_t monitor_region;    /* guest accesses to the monitor's region, performed by it */
    uint64_t adaptations;       /* store sites retranslated after bt_adapt_traps traps */
    uint64_t adapted_stores;    /* stores their in-TC sequences did (no trap) */
    uint64_t adapted_traced;    /* ... of them to traced page tables (the rest: other pages) */
    /* vm restore built it here (hv_vm_snap.c): how often, the blocks its last save dropped,
     * and the blocks and instructions translated before it (the rest: translated again) */
    uint64_t restores, restore_dropped, restore_blocks, restore_insns;
} hv_bt_stats_t;

/* The device a port I/O exit reached (hv_dev_port_device), X(NAME, name in a sentence). */
#define HV_IO_DEVICES(X)                                                                           \
    X(CONSOLE, "the console")                                                                      \
    X(POWER, "the power-off port")                                                                 \
    X(DISK, "the disk")                                                                            \
    X(NIC, "the network card")                                                                     \
    X(ENTROPY, "the entropy source")                                                               \
    X(NONE, "ports of no device")

typedef enum {
#define HV_X_IODEV(name, str) HV_IO_##name,
    HV_IO_DEVICES(HV_X_IODEV)
#undef HV_X_IODEV
        HV_IO_DEVICE_COUNT
} hv_io_device_t;
const char *hv_io_device_name(unsigned device);

/* What the comparison table (hv_compare.c) reads from a VM's marks: its services' start times
 * ("cspawn" starts one, "up" ends it; without a "cspawn", the VM's start does), and the
 * secrets an attack read ("attack" names whose process attacks, "secret" whose secret). */
#define HV_COMPARE_PENDING 4
typedef struct {
    uint64_t pending[HV_COMPARE_PENDING]; /* "cspawn" marks not yet matched by an "up" */
    uint64_t starts, start_cycles;        /* "up" marks, and the cycles each took in all */
    uint32_t npending, attacker;          /* attacker: the "attack" mark's value + 1, 0: none */
    uint64_t secrets_own, secrets_other;  /* "secret" marks: its own service's, the others' */
} hv_compare_stats_t;

/* Per-VM statistics (hv_stats.c keeps them from the event stream). */
typedef struct {
    /* where its time went: the machine's accounting, sim_account_vm (sim_account.c) */
    uint64_t exits[CPU_EXIT_COUNT], exit_cycles[CPU_EXIT_COUNT]; /* count, round-trip total */
    uint64_t io_exits[HV_IO_DEVICE_COUNT]; /* the port I/O exits, by the device they reached */
    /* cpu = bt: calls and traps into the co-resident monitor (not exits), round-trip total */
    uint64_t monitor_entries, monitor_cycles;
    uint64_t injections, frames_mapped, vcpu_switches, hypercalls, t2_trips;
    uint64_t first_touches; /* frames mapped at a guest's first touch (in an exit's handler) */
    uint64_t large_mapped;  /* backing = large: large nested pages mapped */
    uint64_t large_refused; /* ... and large pages backed by 4 KiB frames (no aligned run) */
    mmu_stats_t mmu; /* TLB and walk counters while its VCPUs ran */
    hv_shadow_stats_t shadow; /* mem = shadow */
    hv_bt_stats_t bt;         /* cpu = bt */
    uint64_t started, ended; /* host cycles at creation and at power-off */
    uint64_t marks, marks_lost; /* marks recorded; ring records overwritten before read */
    /* hv_swap.c: pages written to the swap device and read back, the cycles the pCPUs waited
     * for it, the A bits the clock cleared (second chances given) */
    uint64_t swap_outs, swap_ins, swap_wait, swap_second_chances;
    /* hv_share.c: its pages mapped to a shared frame (merged), copy-on-write breaks */
    uint64_t shares, cow_breaks;
    /* hv_balloon.c: pages its balloon driver gave, took back, and touched after giving */
    uint64_t balloon_given, balloon_taken, balloon_touched;
    uint64_t reserve_spared; /* times it was passed over as a victim at its reservation */
    uint64_t balloon_moved;                /* times its target changed while it ran */
    uint64_t console_calls, console_bytes; /* console writes by hypercall, and their bytes */
    uint64_t dma_faults; /* DMAs of its assigned device the IOMMU blocked (hv_passthrough.c) */
    uint64_t syscalls;   /* system calls its guest's programs made (syscall traps) */
    uint64_t cap_stops;  /* times its cap took the pCPU from it, its budget spent (hv_sched.c) */
    uint64_t limit_swaps;       /* its pages swapped out because it held resident_max (hv_swap.c) */
    hv_compare_stats_t compare; /* the comparison table's marks (hv_compare.c) */
    uint64_t batched;    /* batch_exits: instructions emulated in an earlier exit (exits saved) */
    /* hv_hostdisk.c: its disk commands the host's disk served, those that waited behind
     * another VM's, and the cycles they waited in all */
    uint64_t disk_requests, disk_waits, disk_wait_cycles;
    /* hv_gswap.c: its guest's page-outs and page-ins in its swap area, and double paging: its
     * page-outs of pages in the hypervisor's swap, the swap-device operations made for them
     * (the reads, and writes of pages that made room), the cycles those kept its disk */
    uint64_t guest_swap_outs, guest_swap_ins, double_paged, double_paged_ops, double_paged_cycles;
} hv_vm_stats_t;

#endif
