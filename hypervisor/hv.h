/*
 * hv.h - the miniature hypervisor: C code that the simulated CPU enters in ring -1 on every VM
 * exit (docs/hypervisor.md is the lecture this code follows).
 *
 * The loop of a hardware-assisted hypervisor, as every file here tells part of it:
 *
 *        +--------------------------------------------------------------+
 *        v                                                              |
 *   schedule a VCPU on this pCPU --> VM entry --> the guest runs natively |
 *   (hv_sched.c)                    (cpu_vm_enter)      |               |
 *                                                       | VM exit       |
 *                                                       v               |
 *                         the handler for the exit reason (hv_exit.c) --+
 *                         memory (hv_vm.c), devices (hv_devices.c),
 *                         type 2's trip through a user-level VMM (hv_type2.c)
 *
 * Everything the hypervisor keeps is plain data in hv_t (VMs, VCPUs, pCPUs, the frame
 * ownership map, virtual devices, statistics): a snapshot can save it and a debugger can
 * read it. Its work is charged to the pCPU it runs on: every word it reads or writes in
 * simulated memory (hv_read32 / hv_write32) and a fixed cost per step from the cost table.
 */
#ifndef HVSIM_HV_H
#define HVSIM_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/sim.h"
#include "hv_bt_adapt.h"

#define HV_MAX_VMS 8
#define HV_MAX_VCPUS 4 /* per VM */
#define HV_MAX_ENTITIES (HV_MAX_VMS * HV_MAX_VCPUS + 1) /* VCPUs and the type-2 host process */
#define HV_NAME_MAX 15
#define HV_MAX_MARKS 16            /* different mark names (hypercalls 2 and 3) */
#define HV_MARK_RING_SLOTS 64      /* records a guest's mark ring holds at most (hypercall 3) */
#define HV_MARK_NAME 23            /* characters of a mark's name */
#define HV_RESERVED_BYTES 0x10000u /* host RAM below this is the hypervisor's own image */
#define HV_GUEST_ROM 0x1000u       /* where the boot ROM sits in every VM (gpa) */
#define HV_KICK_IRQ 13             /* the physical line the hypervisor kicks a pCPU with */
/* A VCPU's time slice: 1 ms of the model's clock, the order of the slices Linux's CFS gives
 * KVM's VCPU threads (0.75 to a few ms); Xen's credit scheduler uses up to 30 ms. */
#define HV_DEFAULT_SLICE SIM_CYCLES_PER_MS
#define HV_DEFAULT_SHARE 256u
#define HV_CAP_PERIOD 100000u      /* cycles over which a cap is measured */
#define HV_DEFAULT_CONSOLE_KEEP (64u << 10) /* bytes of a VM's console kept in memory */
#define HV_DEFAULT_SHADOW_BUDGET 256u       /* shadow table frames per VM (1 MiB) */
#define HV_MIN_SHADOW_BUDGET 64u            /* enough for every VCPU's roots and one walk */

/* Memory overcommit (hv_swap.c): how the hypervisor picks the guest page it swaps out. It sees
 * only what the hardware shows it: the A bits the walker sets in nested leaves. X(NAME, name,
 * what it does) */
#define HV_REPLACEMENTS(X)                                                                         \
    X(CLOCK, "clock",                                                                              \
      "second chance: a hand sweeps the VM's pages, clearing A; the first "                        \
      "page found with A clear goes")                                                              \
    X(RANDOM, "random", "a page of the VM picked by a seeded generator, whatever its A bit")
typedef enum {
#define HV_X_REPLENUM(name, str, doc) HV_REPLACE_##name,
    HV_REPLACEMENTS(HV_X_REPLENUM)
#undef HV_X_REPLENUM
        HV_REPLACE_COUNT
} hv_replacement_t;
const char *hv_replacement_name(unsigned r);
int hv_replacement_by_name(const char *name); /* -1 when unknown */
#define HV_DEFAULT_SWAP (32u << 20)           /* bytes of the hypervisor's swap device */
#define HV_MIN_RESIDENT 0x10000u /* the least resident_max: a walk's pages and the data */
#define HV_GUEST_SWAP_MAX 0x1000000u /* the largest swap area added to a VM's disk (16 MiB) */
#define HV_DEFAULT_SHARE_PAGES 64u
#define HV_DEFAULT_SHARE_PERIOD 100000u
#define HV_SHARE_FRAMES 2048u     /* shared frames tracked at most */
#define HV_SHARE_CANDIDATES 2048u /* pages remembered by their hash, waiting for a twin */

/* Live migration between two simulated hosts in one run (hv_migrate.c; docs/migration.md).
 * Each host has its own pCPUs and its own RAM (a range of the simulator's frames, hv_host.c);
 * the link between them is what a page's journey costs. Plain data. */
#define HV_MAX_HOSTS 2
#define HV_MIGRATE_MAX_PAGES 8192u /* a VM of 32 MiB at most */
#define HV_MIGRATE_MAX_ROUNDS 30u  /* pre-copy rounds at most (the stop-and-copy is one more) */
typedef struct {
    uint32_t bandwidth;  /* bytes per 1 000 cycles (0: HV_DEFAULT_LINK_BW) */
    uint32_t latency;    /* cycles before the first byte of a round arrives (0: the default) */
    uint32_t max_rounds; /* pre-copy rounds before the stop-and-copy at the latest (0: default) */
    uint32_t stop_pages; /* the stop-and-copy starts once at most this many pages are dirty */
} hv_link_t;
#define HV_DEFAULT_LINK_BW 1000u /* a byte per cycle: a 4 KiB page in 4 096 cycles */
#define HV_DEFAULT_LINK_LATENCY 10000u
#define HV_DEFAULT_MAX_ROUNDS 8u
#define HV_DEFAULT_STOP_PAGES 16u

/* Type 1 runs on the bare machine; type 2 is a host kernel whose user-level VMM process
 * emulates the devices (docs/hypervisor.md, "Type 1 and type 2"). */
typedef enum { HV_TYPE1 = 1, HV_TYPE2 = 2 } hv_type_t;
/* pin: every VCPU has its own pCPU; overcommit: VCPUs share the pCPUs in time slices. */
typedef enum { HV_SCHED_PIN = 0, HV_SCHED_OVERCOMMIT } hv_sched_policy_t;

/* Per VM, the CPU and the memory virtualization technique (docs/hypervisor.md, "Techniques").
 * hw stays first: a zeroed configuration means hardware assist with nested paging. */
#define HV_CPU_TECHNIQUES(X)                                                                       \
    X(HW, "hw", "hardware-assisted: ring -1, VM entry and exit")                                   \
    X(EMU, "emu", "emulation: the hypervisor interprets every guest instruction")                  \
    X(TRAP, "trap", "trap-and-emulate: the guest kernel runs in U, privileged instructions trap")  \
    X(BT, "bt", "binary translation of the guest kernel's code")
#define HV_MEM_TECHNIQUES(X)                                                                       \
    X(NESTED, "nested", "nested page tables walked by the MMU (2-D)")                              \
    X(SHADOW, "shadow", "shadow page tables built by the hypervisor from the guest's")
typedef enum {
#define HV_X_CPUT(name, str, doc) HV_CPU_##name,
    HV_CPU_TECHNIQUES(HV_X_CPUT)
#undef HV_X_CPUT
        HV_CPU_TECHNIQUE_COUNT
} hv_cpu_technique_t;
typedef enum {
#define HV_X_MEMT(name, str, doc) HV_MEM_##name,
    HV_MEM_TECHNIQUES(HV_X_MEMT)
#undef HV_X_MEMT
        HV_MEM_TECHNIQUE_COUNT
} hv_mem_technique_t;
const char *hv_cpu_technique_name(unsigned t);
const char *hv_mem_technique_name(unsigned t);
int hv_cpu_technique_by_name(const char *name); /* -1 when unknown */
int hv_mem_technique_by_name(const char *name);
/* NULL when this hypervisor can run a VM with these techniques, else the sentence saying why
 * not ("cpu = bt is not built yet: ..."). */
const char *hv_technique_refusal(unsigned cpu, unsigned mem);

/* ------------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    hv_type_t type;
    hv_sched_policy_t sched;
    uint64_t slice;        /* cycles of a time slice (0: HV_DEFAULT_SLICE) */
    bool untagged_tlb;     /* one TLB tag for every VM: the TLB is flushed on VM switches */
    bool host_process;     /* type 2: a CPU-bound host process shares the pCPUs */
    unsigned host_share;   /* its share (0: HV_DEFAULT_SHARE) */
    bool boost;            /* a VCPU that wakes under its share preempts (Xen credit's BOOST) */
    FILE *console;         /* VM console lines go here as "[name] line"; NULL: kept only */
    uint32_t console_keep; /* bytes of each VM's transcript kept in memory, the latest (0:
                              HV_DEFAULT_CONSOLE_KEEP); a VM's transcript file has them all */
    /* Memory overcommit (hv_swap.c): bytes of guest frames all VMs together get at most (0: as
     * many as the frame pool has), the swap device's size (0: HV_DEFAULT_SWAP) and the
     * replacement policy. */
    uint32_t host_memory;
    uint32_t swap_size;
    hv_replacement_t replacement;
    /* Content-based page sharing (hv_share.c): the scanner runs every share_period cycles
     * (0: HV_DEFAULT_SHARE_PERIOD) and looks at share_pages pages each time (0: the default). */
    bool sharing;
    uint32_t share_pages, share_period;
    /* Exit batching (hv_exit.c): a port I/O exit also emulates the instructions after it that
     * would exit too, before the entry. */
    bool batch_exits;
    /* Shadow paging's synchronisation (hv_shadow_trace.c): shadow_sync = trace write-protects
     * every guest page-table page the shadows were built from and emulates each store to one
     * (false: tlbinv, the default: the shadows follow the guest's tlbinv and tlbflush). */
    bool shadow_trace;
    /* Two hosts (hv_migrate.c): how many (0 or 1: one), the host each pCPU belongs to, and
     * the link between them. */
    uint8_t hosts;
    uint8_t cpu_host[SIM_MAX_CPUS];
    uint32_t host_ram[HV_MAX_HOSTS]; /* bytes of RAM each host has (hv_host.c; 0: even split) */
    hv_link_t link;
    /* Passthrough (hv_passthrough.c): iommu = off leaves the IOMMU off, so an assigned card's
     * DMA addresses are host-physical (the scenario that shows why the IOMMU matters). */
    bool iommu_off;
} hv_config_t;

/* How a VM's guest-physical memory gets host frames. X(NAME, name, what it means) */
#define HV_BACKINGS(X)                                                                             \
    X(LAZY, "lazy", "a 4 KiB frame at the guest's first touch of each page (a nested fault)")      \
    X(EAGER, "eager", "every 4 KiB page backed when the VM is created: no first-touch faults")     \
    X(LARGE, "large", "backed when created with large nested pages (4 MiB with 2 nested levels)")

typedef enum {
#define HV_X_BACKENUM(name, str, doc) HV_BACKING_##name,
    HV_BACKINGS(HV_X_BACKENUM)
#undef HV_X_BACKENUM
        HV_BACKING_COUNT
} hv_backing_t;

const char *hv_backing_name(unsigned backing);
int hv_backing_by_name(const char *name); /* -1 when unknown */

typedef struct {
    const char *name;
    unsigned vcpus;              /* 1..HV_MAX_VCPUS */
    uint32_t memory;             /* bytes of guest-physical RAM, a multiple of 64 KiB */
    hv_cpu_technique_t cpu;
    hv_mem_technique_t mem;
    int pin[HV_MAX_VCPUS];       /* pCPU of each VCPU, -1: the scheduler's choice */
    unsigned share;              /* CPU share (weight); 0: HV_DEFAULT_SHARE */
    unsigned cap;                /* percent of one pCPU at most, 0: no cap */
    /* What it runs: the boot ROM (at gpa 0x1000) with a disk image, or a flat program. */
    const uint8_t *rom;
    size_t rom_len;
    const uint8_t *disk;         /* the VM's own disk image (copied) */
    size_t disk_len;
    const uint8_t *program;      /* a flat image loaded at program_base (copied) */
    size_t program_len;
    uint32_t program_base;
    uint32_t entry;              /* the first pc (0: HV_GUEST_ROM or program_base) */
    const char *input;           /* console input, NUL-terminated (may be NULL) */
    const char *transcript;      /* a file for the VM's whole console transcript, or NULL */
    uint32_t shadow_budget;      /* mem = shadow: table frames at most (0: the default) */
    uint32_t net_bw;             /* bytes per 1 000 cycles its network card may send; 0: no limit */
    uint32_t disk_bw;            /* bytes per 1 000 cycles its disk may move; 0: no limit */
    bool marks_off;              /* never read the guest's mark ring (hypercall 3): no marks */
    hv_backing_t backing;        /* how its memory is backed (hv_backing.c) */
    unsigned host;               /* the host it starts on (hv_config_t.hosts) */
    uint32_t resident_max;       /* bytes of host frames it gets at most (0: its memory);
                                    the rest is swapped (hv_swap.c) */
    bool assign_nic;             /* assign = nic0: the physical card is the VM's (passthrough) */
    bool nic_pv;                 /* nic = pv: a paravirtual card, not the emulated one */
    bool entropy;                /* entropy = on: the entropy source (hv_entropy.c) */
    uint64_t entropy_seed;       /* its seed */
    uint32_t balloon;            /* bytes its balloon driver should hold (hv_balloon.c) */
    const char *compare;         /* its column in the comparison table (hv_compare.c), or NULL */
    uint32_t reservation;        /* bytes of host frames never reclaimed from it (hv_reserve.c) */
    uint32_t guest_swap;         /* bytes added past its disk image: its own swap area (hv_gswap.c) */
} hv_vm_config_t;

/* A change of a VM's balloon target planned for a cycle (the scenario's balloon_at). */
#define HV_BALLOON_MOVES 8
typedef struct {
    uint64_t at;    /* the cycle it happens at */
    uint32_t pages; /* the balloon's new target */
} hv_balloon_move_t;

/* ------------------------------------------------------------------------------------------
 * State: plain data
 * ------------------------------------------------------------------------------------------ */
/* Where a VCPU is, X(NAME, name). */
#define HV_VCPU_STATES(X)                                                                          \
    X(READY, "ready")     /* can run, waits for a pCPU */                                          \
    X(RUNNING, "running") /* loaded on a pCPU */                                                   \
    X(BLOCKED, "blocked") /* halted: waits for a virtual interrupt */                              \
    X(STOPPED, "stopped") /* its VM is paused or off */

typedef enum {
#define HV_X_VCPUST(name, str) HV_VCPU_##name,
    HV_VCPU_STATES(HV_X_VCPUST)
#undef HV_X_VCPUST
} hv_vcpu_state_t;
const char *hv_vcpu_state_name(unsigned state);

/* Shadow paging (hv_shadow.c): a VCPU keeps a few shadow page-table trees, one per guest
 * address space it ran in lately (and, when its kernel runs deprivileged, per virtual mode:
 * the kernel's view maps the guest's kernel pages for real U). Plain data; the tables are
 * hypervisor frames. */
#define HV_SHADOW_CONTEXTS 8
#define HV_SHADOW_TRACES 128    /* guest page-table pages traced at most per VM */
#define HV_SHADOW_VIEW_ANY 0    /* hardware-assisted: the CPU checks U and K itself */
#define HV_SHADOW_VIEW_KERNEL 1 /* deprivileged guest kernel (virtual K) */
#define HV_SHADOW_VIEW_USER 2   /* deprivileged guest, virtual U */
typedef struct {
    uint32_t root;         /* hpa of the shadow root table; 0: the slot is free */
    uint32_t guest_ptroot; /* the guest's ptroot it mirrors (E = 0: paging off) */
    uint8_t view;          /* HV_SHADOW_VIEW_* */
    uint8_t splintered;    /* it holds 4 KiB entries that stand for a guest large page */
    uint8_t pad[2];
    uint64_t last_used;    /* for replacing the least recently used */
} hv_shadow_ctx_t;

typedef struct {
    hv_shadow_ctx_t ctx[HV_SHADOW_CONTEXTS];
    int8_t current;        /* the context loaded as the real ptroot, -1: none */
    uint32_t guest_ptroot; /* the guest's ptroot: what its csrr reads */
    uint64_t clock;        /* ticks for last_used */
} hv_shadow_t;

/* A guest page-table page under a write-protect trace (hv_shadow_trace.c): where it is, the
 * level its entries were walked at and the first guest-virtual address its entry 0 maps, so
 * that a store to entry i names the region to drop from the shadows. A page seen at two
 * levels or places is `ambiguous`: a store to it empties every shadow of the VM. */
typedef struct {
    uint32_t gpa;
    uint32_t base;
    uint8_t level;
    uint8_t ambiguous;
    uint8_t pad[2];
} hv_shadow_trace_t;

/* Binary translation (hv_bt.c): per VCPU, a translation cache (TC) of the guest kernel's
 * blocks in hypervisor frames, mapped for the translated kernel at the top of its address
 * space, and the index of its blocks. Plain data; the frames hold the code and, beside each
 * TC page, the guest pc every TC word stands for. */
#define HV_BT_TC_PAGES 32      /* 128 KiB of translated code at most, then it is flushed */
#define HV_BT_MAX_BLOCKS 1024
#define HV_BT_HASH 2048        /* the block index: open addressing on the guest pc */
#define HV_BT_SITES 256        /* indirect jumps with an inline target cache, per VCPU */
typedef struct {
    uint32_t gva;    /* the guest-virtual pc the block translates */
    uint32_t gpa;    /* where its code is in guest-physical memory */
    uint32_t tc;     /* the address of its translation (guest-virtual, in the TC) */
    uint16_t ninsns; /* guest instructions it covers */
    uint16_t pad;
} hv_bt_block_t;

typedef struct {
    uint32_t state;                   /* hpa of the VCPU's BT state page (0: not a bt VCPU) */
    uint32_t tc[HV_BT_TC_PAGES];      /* hpa of each TC page (0: not yet taken) */
    uint32_t aux[HV_BT_TC_PAGES];     /* hpa of the page of guest pcs beside each TC page */
    uint32_t tc_used;                 /* words of the TC in use */
    uint32_t resume_guest, resume_tc; /* a fault left the TC at resume_tc for resume_guest */
    uint8_t flush_pending;            /* another VCPU wrote translated code: flush at exit */
    uint8_t in_tc;                    /* the monitor entered the guest with its pc in the TC */
    uint8_t pad[2];
    uint32_t generation;              /* counts flushes: a stub is patched only in its own */
    uint32_t tc_pc;                   /* the TC address the pc holds (the monitor put it), or 0 */
    uint32_t sites;                   /* hpa of the jump-site page: a target cache per jalr */
    uint16_t nsites;                  /* jalr sites translated with an inline lookup */
    uint16_t site_stub[HV_BT_SITES];  /* the TC word of each site's miss callout */
    uint16_t nblocks;
    uint16_t hash[HV_BT_HASH];        /* block index + 1, 0: empty */
    hv_bt_block_t block[HV_BT_MAX_BLOCKS];
} hv_bt_t;

/* A schedulable entity: a VCPU, or (type 2) the host process. Its CPU state is its VMCB,
 * where the hardware saved it at the last exit. */
typedef struct {
    uint8_t used;
    uint8_t state;          /* hv_vcpu_state_t */
    uint8_t host_process;   /* the type-2 host process, not a VCPU */
    int8_t vm;              /* its VM (-1 for the host process) */
    uint8_t index;          /* VCPU number within its VM */
    int8_t pin;             /* its pCPU, or -1 */
    int8_t on_cpu;          /* the pCPU it is loaded on, or -1 */
    int8_t last_cpu;        /* where it ran last, or -1 */
    uint32_t vmcb;          /* host-physical address of its VMCB */
    uint32_t vip;           /* virtual interrupt lines raised (posted into the VMCB) */
    uint64_t timer_deadline; /* the virtual timer, in host cycles; 0 = off */
    uint64_t pass;          /* stride scheduling: the lowest pass runs next */
    uint64_t slices;        /* time slices it was given */
    uint64_t host_work;     /* host process: cycles of work done */
    hv_shadow_t shadow;     /* mem = shadow: its shadow page tables */
    hv_bt_t bt;             /* cpu = bt: its translation cache */
    /* Its mark ring (hypercall 3, hv_mark.c): where the guest writes its marks, and how many of
     * them the recorder has read. mark_slots 0: none registered. */
    uint32_t mark_ring, mark_slots, mark_read;
} hv_vcpu_t;

/* The paravirtual network card (hv_pvnet.c, `nic = pv`): where the driver's shared page is,
 * how far the hypervisor has taken each queue's available ring and filled its used ring
 * (free-running indices; 0 transmit, 1 receive), and its figures. Plain data. */
#define HV_PVNET_QSIZE 8u
#define HV_CPUID_FEAT_PVNET 0x40000000u /* cpuid leaf 1 bit 30: the card is paravirtual */
typedef struct {
    uint8_t up; /* set up by the driver (hypercall 16), and no queue broken since */
    uint8_t pad[3];
    uint32_t page;                  /* gpa of the shared page */
    uint32_t avail[2];              /* the next available entry to take */
    uint32_t used[2];               /* the used index last written */
    uint64_t notifies;              /* kicks (hypercall 17) */
    uint64_t sent, received, bytes; /* frames and their bytes, both ways */
    uint64_t rx_drops;              /* frames that found no receive buffer */
    uint64_t errors;                /* bad descriptors (a length, an address) and broken queues */
    /* net_bw: the transmit entry taken but held back until its share of time (its buffer stays
     * the driver's to see as in flight: no used entry yet), and when it may go */
    uint8_t held;
    uint8_t pad2[3];
    uint32_t held_id, held_addr, held_len;
    uint64_t held_until;
    uint64_t batches; /* kicks that sent frames */
    uint32_t largest; /* the most frames one kick sent */
    uint32_t pad3;
} hv_pvnet_t;

/* The virtual entropy source (hv_entropy.c, `entropy = on`): a device no hardware has. Ports
 * 0x320 DATA (a read takes the next word) and 0x321 COUNT; cpuid leaf 1 bit 29 says it is there.
 * Plain data: the generator's state and the words given. */
#define HV_ENTROPY_PORT 0x320u
#define HV_ENTROPY_NREGS 2u
#define HV_ENTROPY_DATA 0u
#define HV_ENTROPY_COUNT 1u
#define HV_CPUID_FEAT_ENTROPY 0x20000000u /* cpuid leaf 1 bit 29: the entropy source */
typedef struct {
    uint8_t on; /* the VM has the source */
    uint8_t pad[7];
    uint64_t state; /* xorshift64*'s state, never 0 */
    uint64_t words; /* words read from DATA */
} hv_entropy_t;

/* The virtual devices of one VM: console (UART ports and MMIO, and the hypercall console),
 * power-off, block device. The timer is per VCPU (hv_vcpu_t). */
typedef struct {
    char line[256];         /* the console line being written */
    uint32_t line_len;
    sim_keep_t transcript;  /* the latest console_keep bytes the VM wrote at most (older ones
                               are dropped: a chatty guest cannot grow the host) */
    FILE *transcript_file;  /* every byte, when the scenario asked for a file (owned; a
                               clone gets none) */
    char *input;            /* console input (owned), and how far it was read */
    size_t in_len, in_pos;
    bool uart_irq;          /* UART control: raise line 1 while input waits */
    sim_disk_t disk;        /* the block device: the same registers as the physical one, and
                               the VM's own disk image (bytes: owned; writes change it) */
    sim_nic_t nic;          /* the network card: the physical one's model (hv_vswitch.c) */
    hv_pvnet_t pvnet;       /* nic = pv: the paravirtual card instead (hv_pvnet.c) */
    hv_entropy_t entropy;   /* entropy = on: the entropy source (hv_entropy.c) */
} hv_vdev_t;

/* The virtual switch (hv_vswitch.c): a learning Ethernet switch. Port 1 + i is VM i's network
 * card; port 0 is the uplink to the physical card. Plain data. */
#define HV_SWITCH_PORTS (HV_MAX_VMS + 1)
#define HV_SWITCH_VM_PORT(vm) (1u + (unsigned)(vm))
#define HV_SWITCH_UPLINK 0u /* the physical card (hv_uplink.c), to the peer host */
#define HV_SWITCH_MACS 32 /* addresses learned at most; the one seen longest ago goes first */
typedef struct {
    uint8_t mac[6];
    uint8_t port;
    uint8_t used;
    uint64_t seen; /* the cycle a frame from it last came in */
} hv_mac_entry_t;

typedef struct {
    hv_mac_entry_t table[HV_SWITCH_MACS];
    uint64_t in[HV_SWITCH_PORTS], out[HV_SWITCH_PORTS]; /* frames per port */
    uint64_t forwarded; /* to the one port their destination was learned on */
    uint64_t flooded;   /* broadcast, multicast or an unknown destination: to every other port */
    uint64_t filtered;  /* the destination is on the port the frame came from: not sent */
    uint64_t learned;   /* addresses learned or moved to another port */
    uint64_t captured;  /* frames written to the capture file */
} hv_vswitch_t;

/* The switch's uplink (hv_uplink.c): the hypervisor's driver of the physical network card,
 * which it brings up the first time a frame has to leave the machine. Its two rings share one
 * hypervisor frame (transmit at +0, receive at +HV_UPLINK_RX_OFFSET); each of the 2 x
 * HV_UPLINK_RING buffers is half a frame (transmit buffers first). Plain data. */
#define HV_UPLINK_RING 8
#define HV_UPLINK_RX_OFFSET 2048u
#define HV_UPLINK_BUF 2048u
typedef struct {
    uint32_t rings;                /* hpa of the rings' frame; 0: not brought up */
    uint32_t bufs[HV_UPLINK_RING]; /* hpa of the buffers' frames, two buffers each */
    uint32_t tx_tail;              /* the next transmit descriptor the driver fills */
    uint32_t rx_next;              /* the next receive descriptor it reads */
    uint64_t sent, received;       /* frames handed to the card, taken from it */
    uint64_t dropped;              /* to send with the transmit ring full, or no frame */
    uint64_t errors;               /* the card's errors the driver acknowledged */
} hv_uplink_t;

/* The host's one disk (hv_hostdisk.c): every VM's virtual disk is a region of it, and every
 * VM's command queues at it, served one at a time in the order they came (each VM has at most
 * one command in flight, so first come is also round robin between VMs). Plain data. */
typedef struct {
    uint8_t vm, command;  /* whose command, SIM_DISK_CMD_READ or _WRITE */
    uint16_t count;       /* sectors */
    uint32_t sector;      /* its first sector on the host's disk (the VM's region + its own) */
    uint64_t issued;      /* the cycle the VM wrote the command */
    uint64_t start, done; /* when the host's disk begins it and has moved its sectors */
} hv_disk_request_t;

typedef struct {
    hv_disk_request_t queue[HV_MAX_VMS]; /* in order of issue; [0] is served first */
    uint32_t queued;                     /* requests in queue */
    uint32_t deepest;                    /* the most requests ever queued at once */
    uint64_t free_at;                    /* the cycle the disk finishes the last request queued */
    uint64_t requests;                   /* requests served (or being served) */
    uint64_t waited;                     /* ... that found another VM's request ahead of them */
    uint64_t wait_cycles;                /* ... and how long they waited for the disk in all */
    uint64_t busy_cycles;                /* cycles the disk was moving sectors */
} hv_hostdisk_t;

/* A bandwidth limit on one of a VM's devices (hv_limit_pace): at most `rate` bytes per 1 000
 * cycles; 0: no limit. Plain data. */
typedef struct {
    uint32_t rate;
    uint64_t paced;             /* when its last transfer was let complete */
    uint64_t held, held_cycles; /* transfers the limit held back, and for how long in all */
} hv_limit_t;

/* Where a VM is, X(NAME, name). */
#define HV_VM_STATES(X)                                                                            \
    X(RUNNING, "running")                                                                          \
    X(PAUSED, "paused")                                                                            \
    X(OFF, "off")         /* it powered off (exit_code) */                                         \
    X(CRASHED, "crashed") /* the hypervisor stopped it (why) */

typedef enum {
#define HV_X_VMST(name, str) HV_VM_##name,
    HV_VM_STATES(HV_X_VMST)
#undef HV_X_VMST
} hv_vm_state_t;
const char *hv_vm_state_name(unsigned state);

/* Per-VM statistics: hv_stats.h. */
#include "hv_stats.h"

typedef struct {
    uint8_t used;
    uint8_t state;          /* hv_vm_state_t */
    char name[HV_NAME_MAX + 1];
    uint16_t vmid;          /* its TLB tag */
    uint8_t cpu, mem;       /* hv_cpu_technique_t, hv_mem_technique_t */
    uint32_t memory;        /* bytes of guest-physical RAM */
    uint32_t nested_root;   /* hpa of its nested root table */
    uint32_t frames;        /* host frames it owns */
    uint32_t shadow_tables; /* mem = shadow: the hypervisor's table frames it holds now */
    uint32_t shadow_budget; /* ... and the most it may hold (reclaimed when reached) */
    uint8_t nvcpus;
    uint8_t vcpu[HV_MAX_VCPUS]; /* entity indices */
    uint32_t share, cap;
    uint64_t cap_period, cap_used; /* the cap's current period and the cycles used in it */
    hv_limit_t net_limit;          /* its network card's bandwidth (net_bw, hv_vswitch.c) */
    hv_limit_t disk_limit;         /* its disk's bandwidth (disk_bw, hv_devices.c) */
    uint64_t tsc_offset;
    uint32_t exit_code;
    char why[160];          /* CRASHED: what the hypervisor saw */
    hv_vdev_t dev;
    hv_vm_stats_t stats;
    uint8_t marks_off;      /* the scenario's `marks = off`: its mark rings are never read */
    uint8_t backing;        /* hv_backing_t */
    uint16_t bt_npages;     /* cpu = bt: guest-physical pages holding translated code */
    uint32_t bt_page[HV_BT_TC_PAGES * 4]; /* (write-protected in the shadows) */
    uint16_t ntraced;    /* shadow_sync = trace: guest page-table pages traced now */
    uint8_t trace_reset; /* ... the set is full: emptied with the shadows before an entry */
    hv_shadow_trace_t traced[HV_SHADOW_TRACES];
    hv_bt_adapt_t bt_adapt; /* cpu = bt, shadow_sync = trace: store sites and their traps */
    uint32_t resident_max; /* host frames it may hold (hv_swap.c); memory / 4 KiB: no limit */
    uint32_t swapped;      /* its pages in the swap device now */
    uint32_t clock_hand;   /* the clock's next guest-physical page */
    uint32_t shared;       /* its pages mapped read-only to a shared frame now (hv_share.c) */
    uint8_t host;          /* the host it runs on (hv_migrate.c) */
    uint8_t assigned_nic;  /* the physical network card is assigned to it (hv_passthrough.c) */
    uint32_t io_root;      /* hpa of the card's I/O page table root (0: none, the IOMMU off) */
    uint8_t nic_pv;        /* its card is the paravirtual one (hv_pvnet.c) */
    uint32_t balloon_target; /* pages its balloon should hold (hv_balloon.c) */
    uint32_t ballooned;      /* pages in its balloon now: no frame behind them */
    char compare[HV_NAME_MAX + 1]; /* its column in the comparison table; "": none */
    uint32_t reserved;       /* frames never reclaimed from it by another VM (hv_reserve.c) */
    uint32_t balloon_moves;  /* planned target changes in balloon_move, the earliest first */
    hv_balloon_move_t balloon_move[HV_BALLOON_MOVES];
    uint32_t guest_swap_slots; /* page slots of its guest's swap area, its disk's end (hv_gswap.c) */
    uint8_t disk_late; /* its disk's data moved; the completion waits for the hypervisor's swap */
    /* Set only during its disk's DMA for a write into its swap area (hv_gswap_mark to
     * hv_gswap_transferred, one C call): swap-ins then are double paging. 0 between events,
     * so every snapshot holds it as 0. */
    uint8_t gswap_writing;
} hv_vm_t;

/* A live migration (hv_migrate.c): where it is, X(NAME, name). */
#define HV_MIGRATE_STATES(X)                                                                       \
    X(IDLE, "idle")                                                                                \
    X(SCHEDULED, "scheduled")    /* migrate_at: it starts at `at` */                               \
    X(PRECOPY, "pre-copy")       /* rounds of copying while the VM runs */                         \
    X(STOPCOPY, "stop-and-copy") /* the VM is paused; the last dirty pages go */                   \
    X(DONE, "done")              /* the VM runs on the destination */                              \
    X(FAILED, "failed")          /* the VM stopped during it (why) */

typedef enum {
#define HV_X_MIGST(name, str) HV_MIGRATE_##name,
    HV_MIGRATE_STATES(HV_X_MIGST)
#undef HV_X_MIGST
} hv_migrate_state_t;
const char *hv_migrate_state_name(unsigned state);

/* One round of a migration: when it started and ended, the pages it sent and the pages the
 * guest dirtied while it went (what the next round must send). */
typedef struct {
    uint64_t start, end;
    uint32_t sent, dirtied;
} hv_migrate_round_t;

typedef struct {
    uint8_t state; /* hv_migrate_state_t */
    int8_t vm;     /* the VM migrating, -1: none */
    uint8_t from, to;
    uint32_t nrounds; /* rounds begun, the stop-and-copy included */
    hv_migrate_round_t round[HV_MIGRATE_MAX_ROUNDS + 1];
    uint64_t at; /* SCHEDULED: when it starts */
    uint64_t started, paused, resumed;
    uint32_t in_flight;    /* pages of the round under way */
    uint32_t stop_planned; /* STOPCOPY: the pages its time was reckoned for */
    char why[160];         /* FAILED: what happened */
    /* The destination's frame of each guest page (its hpa; 0: not sent yet), and the pages a device
     * or the hypervisor wrote since they were sent (DMA sets no D bit: a software dirty log). */
    uint32_t dst[HV_MIGRATE_MAX_PAGES];
    uint8_t dma_dirty[HV_MIGRATE_MAX_PAGES / 8];
    /* cpu = bt: the monitor's state pages (one per VCPU: virtual flags, CSRs, timer) the
     * stop-and-copy sends beside the guest's pages; the translated blocks the switch dropped
     * (the destination's translation cache starts empty); the VM's blocks and instructions
     * translated before the switch (what it translated since is what the destination paid) */
    uint32_t monitor_pages, tc_dropped;
    uint64_t blocks_before, insns_before;
} hv_migration_t;

/* Per pCPU. */
typedef struct {
    int8_t current;         /* the entity loaded here, or -1 */
    int8_t previous;        /* the one before (a switch costs hv_vcpu_switch) */
    uint8_t exit_pending;   /* an exit waits for its handler (a debugger stopped first) */
    uint8_t in_handler;     /* 1 + the exit reason whose handler runs now; 0: none */
    uint8_t idle;
    int8_t last_vm;         /* untagged TLB: the VM whose entries the TLB may hold, or -1 */
    uint64_t slice_end;     /* host cycle the current slice ends at */
    uint64_t loaded_at;     /* host cycle the current entity was loaded */
    uint64_t switches, idle_cycles;
    mmu_stats_t mmu_mark;   /* the MMU's counters when the guest last entered */
    /* The hypervisor's charges here since its last action event (hv_action hands them to the
     * next one, so each sub-step of an exit says what it cost): per cost-table entry. */
    uint64_t charged_since;
    uint16_t charges[SIM_COST_COUNT];
    uint64_t charged_kinds; /* a bit per entry of charges that may be nonzero */
} hv_pcpu_t;

/* Content-based page sharing (hv_share.c): the shared frames with their content's hash and
 * how many guest pages map each; the candidates, private pages remembered by their hash (a
 * table indexed by the hash: a newer page replaces an older one); the scanner's place and
 * figures. Plain data. */
typedef struct {
    uint64_t hash;
    uint32_t pfn;  /* 0: the slot is free */
    uint32_t refs; /* guest pages mapping it */
} hv_shared_frame_t;

typedef struct {
    uint64_t hash;
    uint8_t used, vm;
    uint16_t pad;
    uint32_t gpn; /* its guest-physical page */
} hv_share_candidate_t;

typedef struct {
    hv_shared_frame_t frame[HV_SHARE_FRAMES];
    hv_share_candidate_t cand[HV_SHARE_CANDIDATES];
    uint8_t scan_vm, scheduled;
    uint32_t scan_gpn;
    uint64_t scanned;         /* pages the scanner hashed */
    uint64_t failed_compares; /* equal hashes whose bytes differed (collisions) */
    uint64_t scanner_cycles;  /* what its hashing, compares and copies cost (share_hash, ...) */
    uint64_t frames_made;     /* shared frames made */
    uint32_t live;            /* shared frames now (they count against host_memory) */
} hv_share_state_t;

/* Frame owners. */
#define HV_FRAME_FREE 0
#define HV_FRAME_HV 1       /* the hypervisor's: its image, VMCBs, nested tables */
#define HV_FRAME_VM(i) (2 + (i))
#define HV_FRAME_SHARED 0xffu /* shared read-only by guest pages of one or more VMs */

typedef struct hv {
    sim_machine_t *m;       /* rebuilt on restore, never saved */
    hv_config_t cfg;
    hv_vm_t vms[HV_MAX_VMS];
    unsigned nvms;
    hv_vcpu_t ent[HV_MAX_ENTITIES];
    unsigned nent;
    hv_pcpu_t pcpu[SIM_MAX_CPUS];
    uint8_t *owner;         /* per host frame: HV_FRAME_* (owned array, nframes long) */
    uint32_t nframes, next_frame[HV_MAX_HOSTS]; /* where each host's pool search starts */
    cpu_t *cur;             /* the pCPU the hypervisor runs on now (charged), or NULL */
    uint64_t now;           /* while a device event is handled (no pCPU): its time; else 0 */
    unsigned hub;           /* its device on the bus: the timed events of virtual devices */
    unsigned vms_alive;
    /* The names guests have put marks on the timeline with (hypercalls 2 and 3), in order of
     * first use: a mark event names one by its index. */
    char mark_name[HV_MAX_MARKS][HV_MARK_NAME + 1];
    unsigned nmarks;
    struct hv_tracker *tracker; /* hv_stats.c: spans and instants from the event stream */
    hv_vswitch_t vswitch;
    hv_migration_t mig; /* hv_migrate.c: the live migration, if any */
    /* Memory overcommit (hv_swap.c): the guest frames all VMs may hold (0: no limit), the swap
     * device (a block device of the host: its bytes grow as slots are used, up to its size),
     * the owner of each slot (HV_FRAME_FREE or HV_FRAME_VM(i), owned array of swap_slots),
     * how many slots are in use and the random policy's generator. */
    uint32_t host_frames;
    sim_disk_t swap;
    uint8_t *swap_owner;
    uint32_t swap_slots, swap_used, swap_rng;
    hv_share_state_t share;
    /* For tests only: the scanner keeps this many low bits of each hash (0: all 64), so that
     * different pages collide and the byte compare must tell them apart. */
    uint8_t share_hash_bits;
    hv_uplink_t uplink;
    hv_hostdisk_t hostdisk[HV_MAX_HOSTS]; /* each host machine's one disk */
    /* The .pcap capture being written (hv_vswitch_capture), or NULL; not machine state: a
     * clone writes none. It goes to pcap_tmp and is renamed to pcap_path when complete. */
    struct pcap_dumper *pcap;
    char pcap_path[256], pcap_tmp[264];
    /* For tests only (nothing in hvsim sets it): called after every exit a handler served,
     * with the exiting VM, before the sanitizer build's isolation check. The tests that prove
     * the checker catches a broken hypervisor break an invariant there on purpose. */
    void (*test_hook)(struct hv *hv, int vm, void *ctx);
    void *test_hook_ctx;
} hv_t;

/* ------------------------------------------------------------------------------------------
 * The API
 * ------------------------------------------------------------------------------------------ */
/*
 * Takes over a machine whose CPUs are reset: every pCPU goes to H, the hypervisor's image is
 * written below HV_RESERVED_BYTES, the rest of RAM becomes its frame pool, and sim_run now
 * runs VCPUs on the pCPUs (m->run_turn). Returns NULL, with a sentence in err, when the
 * configuration is wrong or memory cannot be had.
 */
hv_t *hv_new(sim_machine_t *m, const hv_config_t *cfg, char *err, size_t errlen);
/* Gives the machine back (m->run_turn cleared) and frees the hypervisor. */
void hv_free(hv_t *hv);
/*
 * Copies the hypervisor onto m2, a copy of hv->m made by the caller (RAM, CPUs, devices and
 * disk copied, the pointers inside it rebuilt, no event sinks): every piece of the
 * hypervisor's state is plain data, so the copy goes on exactly like the original (design
 * principle 8; the seed of save, restore and migration). Installs it as m2's runner. Returns
 * NULL when memory cannot be had.
 */
hv_t *hv_clone(const hv_t *hv, sim_machine_t *m2);
/* Snapshots of the whole machine and of one VM: hv_snap.h (included at the end). */

/* Frees a machine and its hypervisor, if it has one. */
void hv_machine_release(sim_machine_t *m);
/* Replaces the running machine (and its hypervisor) by a fresh one loaded from a snapshot:
 * the old one is freed, the fresh one moved into its place, fresh left empty. */
void hv_machine_swap(sim_machine_t *running, sim_machine_t *fresh);

/* The hypervisor running a machine, or NULL (for debuggers). */
hv_t *hv_of_machine(const sim_machine_t *m);
/* Why a machine whose CPUs all wait can never go on, when a guest waits for console input that
 * will not come (its virtual UART's input interrupt is on, its input used up): a sentence such
 * as "tinyos waits for console input, and its input is used up (the console shows \"$ \")",
 * one per such VM, joined by "; " (or the bare machine's program's). Returns NULL (buf empty)
 * when no guest waits for input. Works with or without a hypervisor (hv_devices.c). */
const char *hv_explain_idle(const sim_machine_t *m, char *buf, size_t len);

/*
 * Creates a VM: its VCPUs with their VMCBs, nested tables (empty: memory is mapped when the
 * guest first touches it), the ROM or program copied into its memory, its virtual devices.
 * Returns its index, or -1 with a sentence in err (bad configuration, no room).
 */
int hv_vm_create(hv_t *hv, const hv_vm_config_t *cfg, char *err, size_t errlen);
/* Destroys a VM: its VCPUs leave their pCPUs, its frames (zeroed) and tables go back to the
 * pool, and its TLB entries are invalidated on every pCPU. */
void hv_vm_destroy(hv_t *hv, unsigned vm);
/* Pause: the VM's VCPUs stop at once (a running one is kicked off its pCPU with an
 * interrupt to that pCPU) and nothing of it runs until hv_vm_resume. Its virtual time goes
 * on: a paused guest's timer deadlines pass. Returns -1 when the VM is not running/paused. */
int hv_vm_pause(hv_t *hv, unsigned vm);
int hv_vm_resume(hv_t *hv, unsigned vm);
/* The VM called `name`, or -1. */
int hv_vm_by_name(const hv_t *hv, const char *name);
/* Runs the machine (sim_run) until every VM is off, the cycle limit, a debugger stop or
 * nothing can run any more. */
sim_run_result_t hv_run(hv_t *hv, uint64_t max_cycles);

/* What a VM wrote on its console, its latest console_keep bytes at most (never NULL); how
 * many bytes before them were dropped. */
const char *hv_vm_console(const hv_t *hv, unsigned vm);
uint64_t hv_vm_console_dropped(const hv_t *hv, unsigned vm);
/* The VMCB of a VM's VCPU (for debuggers: read it with cpu_vmcb_peek), 0 when none. */
uint32_t hv_vcpu_vmcb(const hv_t *hv, unsigned vm, unsigned vcpu);
/* The VM and VCPU loaded on a pCPU (-1 when none). */
int hv_pcpu_vm(const hv_t *hv, unsigned cpu);
int hv_pcpu_vcpu(const hv_t *hv, unsigned cpu);

/* The stop sentence of an exit, for debuggers and the trace: "VM exit IO_PORT in tinyos
 * (vcpu0), because the exit control 'port I/O' is set". */
void hv_describe_exit(const hv_t *hv, const sim_event_t *ev, char *buf, size_t len);
/* What an entry into binary translation's co-resident monitor was: "call" (translated code
 * calling out), "trap" (a guest trap) or "adapted store" (an adapted store's sequence); NULL
 * for a VM exit (the event is the VMEXIT event, with SIM_EVF_MONITOR for the monitor's). Ask
 * when the event happens: the monitor's record of a call is gone once it returns. */
const char *hv_monitor_entry_name(const hv_t *hv, const sim_event_t *ev);
/* The handler table, for help and docs: the handler's name and what it does. */
const char *hv_exit_handler_name(unsigned reason);
const char *hv_exit_handler_doc(unsigned reason);
/* Where the handlers are: "hypervisor/hv_exit.c" and the line a reason's handler starts on
 * (recorded by its definition, never written by hand); the reason a handler name serves
 * ("hv_handle_io_port"), or -1. */
const char *hv_exit_handler_file(void);
unsigned hv_exit_handler_line(unsigned reason);
int hv_exit_handler_by_name(const char *name);

/* Ballooning (hv_balloon.c; docs/memory.md). hv_balloon_set_target gives VM vm's balloon a
 * new target of `bytes` now and raises the balloon's virtual line, so that the guest's driver
 * asks the target and inflates or deflates; hv_balloon_plan does the same at cycle `at` (the
 * scenario's balloon_at). Both return -1 with a sentence in err when it cannot be (a VM whose
 * frames cannot move, a size not below its memory or not whole pages, too many plans). */
int hv_balloon_set_target(hv_t *hv, unsigned vm, uint32_t bytes, char *err, size_t len);
int hv_balloon_plan(hv_t *hv, unsigned vm, uint64_t at, uint32_t bytes, char *err, size_t len);

/* Live migration (hv_migrate.c; docs/migration.md). hv_migrate_start begins the pre-copy of
 * a running VM to host `to` now; hv_migrate_schedule at cycle `at` (the scenario's
 * migrate_at). Both return -1 with a sentence in err when it cannot be (one host, a technique
 * whose writes the hypervisor cannot log, no free pCPU on the destination, one already under
 * way). hv_migrate_print writes the rounds table, total time and downtime, each line after
 * `prefix` (nothing when no migration began). */
int hv_migrate_start(hv_t *hv, unsigned vm, unsigned to, char *err, size_t len);
int hv_migrate_schedule(hv_t *hv, unsigned vm, unsigned to, uint64_t at, char *err, size_t len);
void hv_migrate_print(const hv_t *hv, const char *prefix, FILE *out);

/* The virtual switch (hv_vswitch.c). hv_vswitch_capture starts writing every frame that
 * enters the switch to a .pcap file (Ethernet, nanosecond timestamps: the cycle, read as
 * nanoseconds); hv_vswitch_capture_end completes it (written to PATH.tmp, then renamed; hv_free
 * ends it too). Both return -1 after a message on diag. hv_vswitch_lookup gives the port an
 * address was learned on, or -1. */
int hv_vswitch_capture(hv_t *hv, const char *path, FILE *diag);
int hv_vswitch_capture_end(hv_t *hv, FILE *diag);
int hv_vswitch_lookup(const hv_t *hv, const uint8_t mac[6]);

/* The VM whose assigned device has IOMMU domain `domain` (its VM id), or -1 (hv_passthrough.c). */
int hv_vm_of_domain(const hv_t *hv, unsigned domain);

/* A paravirtual card as `info nic` shows it (hv_pvnet.c): its shared page, each queue's indices
 * (the driver's AVAIL_IDX read from the page, the entries the hypervisor took and used), its
 * kicks and batches, a frame net_bw holds back, its counters. */
void hv_pvnet_print(hv_t *hv, unsigned vm, FILE *out);
/* A VM's entropy source as `info entropy` shows it, in one line (hv_entropy.c). */
void hv_entropy_print(const hv_t *hv, unsigned vm, FILE *out);

/* The host's one disk as `info disk` shows it at cycle `now` (hv_hostdisk.c): what its
 * commands waited, each VM's region and commands, and the queue. */
void hv_hostdisk_print(const hv_t *hv, uint64_t now, FILE *out);
/* The first sector of a VM's region on its host's disk: the disks of the VMs before it. */
uint32_t hv_hostdisk_region(const hv_t *hv, unsigned vm);

/* The virtual device behind a port of every VM ("virtual disk"), and in *reg the register
 * ("command"); NULL (and "") when none answers there. MMIO windows are ports (hv_dev_mmio). */
const char *hv_dev_port_name(uint16_t port, const char **reg);
/* The same for a guest-physical address in a device's MMIO window (a whole word of it); the
 * port of that register in *port. NULL (and "") when no device's window holds gpa. */
const char *hv_dev_mmio_name(uint32_t gpa, const char **reg, uint16_t *port);

/* Checks the hypervisor's isolation invariants: every nested or shadow table and VMCB is a
 * hypervisor frame; every frame a VM's nested or shadow tables map belongs to that VM (so no
 * frame is in two VMs), or is shared read-only (hv_share.c), and lies outside the hypervisor's
 * image; every TLB entry of a VM maps its own frame (a shared one read-only) or its monitor's
 * page (translated code never writable), and a stopped VM has none left; the frame pool's
 * accounting adds up, the shared frames' and the swap slots' too, and no VM is over its memory
 * limits (hv_swap.c); no VM holds more shadow tables than its budget. Returns NULL or a
 * sentence saying what is broken. The sanitizer build
 * (HV_CHECK_ALWAYS, set by `make asan`) calls it after every exit a handler served and every
 * event of the hypervisor's hub (hv_dev_timed). */
const char *hv_check_invariants(hv_t *hv, char *buf, size_t len);
/* A checksum of the hypervisor's image (host RAM below HV_RESERVED_BYTES). */
uint32_t hv_image_checksum(const hv_t *hv);

/* Trap-and-emulate (hv_trap.c): per VM, the privileged instructions emulated (per ISA
 * entry) and the traps reflected into the guest kernel (per cause; CPU_CAUSE_INTERRUPT: the
 * interrupts); a VCPU's virtual flags (MODE and IE); the line of figures the summary prints. */
uint32_t hv_trap_emulated(const hv_t *hv, unsigned vm, unsigned op);
uint32_t hv_trap_reflected(const hv_t *hv, unsigned vm, uint32_t cause);
uint32_t hv_trap_virtual_flags(const hv_t *hv, unsigned vm, unsigned vcpu);
void hv_trap_print_stats(const hv_t *hv, unsigned vm, FILE *out);
/* Binary translation (hv_bt.c): the line of figures the summary prints for a bt VM; the
 * guest pc a VCPU's translated code at `tc` stands for (false when tc is not translated code). */
void hv_bt_print_stats(const hv_t *hv, unsigned vm, FILE *out);
bool hv_bt_guest_pc(const hv_t *hv, unsigned vm, unsigned vcpu, uint32_t tc, uint32_t *guest_pc);
/* Shadow paging (hv_shadow.c): the line of figures the summary prints for a shadow VM; the
 * guest's ptroot of a VCPU. */
void hv_shadow_print_stats(const hv_t *hv, unsigned vm, FILE *out);
uint32_t hv_shadow_guest_ptroot(const hv_t *hv, unsigned vm, unsigned vcpu);
/* Emulation (hv_emu.c): the guest instructions a cpu = emu VM's interpreter has run. */
uint64_t hv_emu_interpreted(const hv_t *hv, unsigned vm);

/* Statistics (hv_stats.c): per VM, for the summary hvsim prints at the end. Where the time
 * went is the machine's accounting (sim_account.c), read up to each pCPU's current cycle;
 * hv_stats_settle closes the open spans (before a trace is written). */
void hv_stats_settle(hv_t *hv);
void hv_print_stats(const hv_t *hv, FILE *out);
/* The name of the mark a SIM_HV_MARK event's argument names, and its value. */
const char *hv_mark_name(const hv_t *hv, uint32_t arg);
/* A VM's limits, one per resource, and how often each bound (hv_limits.c): what `info
 * limits`, the statistics' limits line and the window's VM figures show. */
typedef struct {
    unsigned share, cap;          /* CPU share (a weight), cap (percent of a pCPU, 0: none) */
    uint64_t cap_stops;           /* times the cap took the pCPU from it, its budget spent */
    uint32_t resident_max, pages; /* host frames it may hold; its memory's pages (equal: none) */
    uint64_t limit_swaps;         /* pages swapped out because it held resident_max */
    uint32_t reserved;            /* host frames never reclaimed from it (0: no reservation) */
    uint64_t reserve_spared;      /* times reclaim stopped at its reservation (hv_reserve.c) */
    uint32_t disk_bw, net_bw;     /* bytes per 1 000 cycles its disk, its card moves (0: none) */
    uint64_t disk_held, disk_held_cycles; /* disk commands held back, and for how long */
    uint64_t net_held, net_held_cycles;   /* frames held back, and for how long */
} hv_limits_t;
void hv_vm_limits(const hv_t *hv, unsigned vm, hv_limits_t *out);
/* The limits in one line: "share 256; cap 30% of a pCPU, bound 12 times; resident_max 768 of
 * 2 048 frames, bound 40 times; disk_bw none; net_bw none". A reservation, where there is one,
 * follows resident_max: "; reservation 1 024 of 2 048 frames, reclaim stopped at it 1 575
 * times". Returns buf. */
const char *hv_limits_text(const hv_limits_t *l, char *buf, size_t len);
uint32_t hv_mark_value(uint32_t arg);
/* Reads every VCPU's mark ring now (hv_mark.c): the marks its guest wrote since its last exit
 * become events, stamped when the guest made them. Costs the machine nothing; called before
 * the marks are shown (a debugger stop, statistics, the trace). */
void hv_marks_collect(hv_t *hv);
/* What the accounting's kinds are called under this hypervisor ("host kernel" under type 2). */
const char *hv_time_name(const hv_t *hv, sim_time_t kind);

/* The Chrome/Perfetto trace (hv_trace.c): starts recording spans and instants; the file is
 * written by hv_trace_write (atomically). Returns -1 with a message on diag on failure. */
int hv_trace_start(hv_t *hv);
int hv_trace_write(hv_t *hv, const char *path, FILE *diag);
/* The same trace of a VM run natively on machine m (hv_scenario_start_native), so that it can be
 * compared with the VM's trace under the hypervisor: start it before the run, write it after
 * (atomically; -1 after a message on diag), free it (which detaches it from m). Start returns
 * NULL when out of memory. */
typedef struct hv_native_trace hv_native_trace_t;
hv_native_trace_t *hv_native_trace_start(sim_machine_t *m, const char *vm);
int hv_native_trace_write(hv_native_trace_t *nt, const char *path, FILE *diag);
void hv_native_trace_free(hv_native_trace_t *nt);

#include "hv_snap.h" /* needs hv_t, above */

#endif
