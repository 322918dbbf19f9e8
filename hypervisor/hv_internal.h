/*
 * hv_internal.h - what the hypervisor's own files share: its memory accesses (charged), the
 * guest's registers as the VMCB holds them, the virtual devices' entry points, the
 * scheduler's, type 2's and the statistics' hooks.
 */
#ifndef HVSIM_HV_INTERNAL_H
#define HVSIM_HV_INTERNAL_H

#include "hv.h"
#include "hv_host.h"

/* Timed events of the hypervisor's hub device: what = kind << 8 | index. */
enum {
    HV_TIMED_VTIMER = 1,
    HV_TIMED_DISK = 2,
    HV_TIMED_NIC = 3,
    HV_TIMED_SHARE = 4,
    HV_TIMED_MIGRATE = 5,
    HV_TIMED_BALLOON = 6,
    HV_TIMED_PVNET = 7 /* a paravirtual card's frame that net_bw held back may go */
};
#define HV_TIMED(kind, index) ((uint32_t)(kind) << 8 | (uint32_t)(index))

/* The index of `name` (any case) in a table of `count` names, or -1. */
int hv_name_index(const char *const *names, int count, const char *name);
/* The names of an X-macro list X(NAME, "name", what it means) whose enum ends in `count`:
 * defines the table hv_<what>_names and the two functions hv.h declares for it,
 * hv_<what>_name(i) ("?" outside the list) and hv_<what>_by_name(s) (any case; -1 when
 * unknown). One definition serves the techniques, the backings and the replacement policies. */
#define HV_X_NAME_STRING(name, str, doc) str,
#define HV_NAMES_OF(what, LIST, count)                                                             \
    static const char *const hv_##what##_names[] = {LIST(HV_X_NAME_STRING)};                       \
    const char *hv_##what##_name(unsigned i)                                                       \
    {                                                                                              \
        return i < (count) ? hv_##what##_names[i] : "?";                                           \
    }                                                                                              \
    int hv_##what##_by_name(const char *name)                                                      \
    {                                                                                              \
        return hv_name_index(hv_##what##_names, (count), name);                                    \
    }

/* ---- Memory (hv_vm.c) ------------------------------------------------------------------ */
/* Charges a fixed cost from the table to the pCPU the hypervisor runs on (none at set-up). */
void hv_charge(hv_t *hv, sim_cost_t cost);
/* The same, `times` times in one go (the interpreter's emu_insn per instruction retired). */
void hv_charge_n(hv_t *hv, sim_cost_t cost, uint64_t times);
/* The hypervisor's own word accesses to host-physical memory, hv_mem each. hpa must be a
 * word of RAM (a simulator bug otherwise). */
uint32_t hv_read32(hv_t *hv, uint32_t hpa);
void hv_write32(hv_t *hv, uint32_t hpa, uint32_t value);
/* The same, charged `cost` instead of hv_mem (a VMCB field: hv_vmcb_read, hv_vmcb_write). */
uint32_t hv_read32_as(hv_t *hv, uint32_t hpa, sim_cost_t cost);
void hv_write32_as(hv_t *hv, uint32_t hpa, uint32_t value, sim_cost_t cost);
/* When a transfer of `bytes` that would complete at `at` may complete under the limit `l`
 * (`at` itself when there is none, or it is not reached); counts what it holds back. */
uint64_t hv_limit_pace(hv_limit_t *l, uint32_t bytes, uint64_t at);
/* The pCPU a pinned VCPU gets when none is named: the first of `host` no other pinned VCPU
 * holds. -1 when every one is taken. */
int hv_free_pcpu(const hv_t *hv, unsigned host);
/* A zeroed frame of host `host`'s pool for `owner`, or 0 when that pool is empty. A VM's frames
 * (its memory, nested tables, VMCBs, shadow tables, monitor pages) come from its host's pool. */
uint32_t hv_frame_alloc(hv_t *hv, unsigned host, uint8_t owner);
/* The frames free in the pool, every host's (hv_frames.c). */
uint32_t hv_free_frames(const hv_t *hv);
/* The same without clearing it, for a frame its new owner's data fills whole at once (a page
 * read back from the swap device): nothing of the previous owner's survives. */
uint32_t hv_frame_alloc_to_fill(hv_t *hv, unsigned host, uint8_t owner);
/* The host of VM vm (where its frames come from). */
unsigned hv_vm_host(const hv_t *hv, unsigned vm);
/* Gives a hypervisor frame back to the pool (it is zeroed when it is next handed out). */
void hv_frame_free(hv_t *hv, uint32_t hpa);
/* Translates a guest-physical address of a VM through its nested tables (walked by the
 * hypervisor in software, charged). With `allocate`, an unbacked page inside the VM's memory
 * gets a frame first. Returns false for an address outside the VM's memory (or when the pool
 * is empty). */
bool hv_gpa_to_hpa(hv_t *hv, unsigned vm, uint32_t gpa, bool allocate, uint32_t *hpa);
/* Backs a new VM's memory as its `backing` says (hv_backing.c): nothing for lazy, every page
 * for eager, large nested pages (4 KiB ones where no aligned run of frames is free, and for a
 * tail smaller than a large page) for large. Returns false when the pool runs out. */
bool hv_vm_back(hv_t *hv, unsigned vm);
/* The frames of a large nested leaf at level 1 (its PFN is its first): how many. */
uint32_t hv_large_frames(const hv_t *hv);
/* Copies between a VM's guest-physical memory and the simulator (DMA: not charged to a CPU).
 * Returns false, having copied nothing, when any byte lies outside the VM's memory. */
bool hv_copy_to_guest(hv_t *hv, unsigned vm, uint32_t gpa, const void *src, size_t len,
                      const char *what);
bool hv_copy_from_guest(hv_t *hv, unsigned vm, uint32_t gpa, void *dst, size_t len,
                        const char *what);
/* The same read for an observer (the mark recorder): it backs no page (false for one the guest
 * never touched) and no debugger watching memory is told. */
bool hv_peek_guest(hv_t *hv, unsigned vm, uint32_t gpa, void *dst, size_t len);
/* Emits a hypervisor action event stamped with the pCPU (or CPU 0 at set-up), carrying what
 * the hypervisor charged there since its previous action (hv_pcpu_t.charges). hv_action is the
 * one line a handler writes for a VCPU's sub-step: `more` is the action's second argument
 * (sim.h, SIM_HV_ACTIONS says what each carries). */
void hv_emit(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg);
void hv_emit_more(hv_t *hv, unsigned action, int vm, int vcpu, uint32_t arg, uint32_t more);
/* The emulate action of a device register the guest reached by MMIO at gpa (arg: the
 * register's port, with SIM_HV_WRITE for a store; value: what was written or read). */
void hv_emit_mmio(hv_t *hv, int vm, uint32_t arg, uint32_t value, uint32_t gpa);
void hv_action(hv_t *hv, const hv_vcpu_t *v, unsigned action, uint32_t arg, uint32_t more);
/* The same, stamped at cycle `at` (an action whose cost was charged after it began). */
void hv_action_at(hv_t *hv, const hv_vcpu_t *v, unsigned action, uint32_t arg, uint32_t more,
                  uint64_t at);
/* Starts counting the hypervisor's charges on a pCPU afresh (at an exit, at a turn's start). */
void hv_ledger_reset(hv_t *hv, const cpu_t *cpu);
/* Stops a VM for good with a sentence (a broken VMCB, ...). */
void hv_vm_crash(hv_t *hv, unsigned vm, const char *why);
/* A VM powered off. */
void hv_vm_power_off(hv_t *hv, unsigned vm, uint32_t code);
/* A lab's handout reached code the student has not written yet (hv_lab.c): the VCPU's VM is
 * stopped with a sentence naming the lab and `what`. Returns false, for stubs to return. */
bool hv_lab_missing(hv_t *hv, const hv_vcpu_t *v, unsigned lab, const char *what);

/* Finds (and with `allocate`, creates) the nested leaf for gpa in VM vm: its host-physical
 * address, or 0 when a table is missing (not allocating) or no frame can be had. *mapped: the
 * leaf is valid; *large: it is a large page's. Allocating gives an unmapped page a frame:
 * zeroed at a first touch, read back from the swap device for a swapped page (hv_swap.c). */
uint32_t hv_nested_leaf(hv_t *hv, unsigned vm, uint32_t gpa, bool allocate, bool *mapped,
                        bool *large);

/* The entry that maps gpa's page in VM vm's nested tables: a level-0 leaf, or (*large) a
 * large page's level-1 entry; valid or not. 0 when a table on the way is missing (and not
 * `make_tables`) or no frame can be had for one. The page itself gets no frame. */
uint32_t hv_nested_leaf_entry(hv_t *hv, unsigned vm, uint32_t gpa, bool make_tables, bool *large);

/* ---- Ballooning (hv_balloon.c) ---------------------------------------------------------- */
/* The paravirtual network card's hypercalls (r1) and its side of the queues (hv_pvnet.c). */
enum { HV_HC_PVNET_SETUP = 16, HV_HC_PVNET_NOTIFY = 17 };
/* Hypercall 16: the driver's shared page at gpa `page`; writes the card's address into it.
 * Answers 0, or -1 for a VM without `nic = pv` or a page that is not the VM's. */
int32_t hv_pvnet_setup(hv_t *hv, unsigned vm, uint32_t page);
/* Hypercall 17, the kick: the transmit queue's frames into the switch, the interrupt
 * acknowledged. Answers the frames sent, or -1 when the card is not up (or its queue broke). */
int32_t hv_pvnet_notify(hv_t *hv, hv_vcpu_t *v);
/* The time a frame net_bw held back on the transmit queue may go has come: it goes, and the
 * frames behind it. */
void hv_pvnet_timed(hv_t *hv, unsigned vm, uint64_t now);
/* Whether the VM's paravirtual card takes frames from the switch (it has been set up). */
bool hv_pvnet_port_up(const hv_t *hv, unsigned vm);
/* A frame from the switch at cycle `now` into the next receive buffer, line 11 raised; dropped and
 * counted when no buffer is available. */
void hv_pvnet_deliver(hv_t *hv, unsigned vm, const uint8_t *frame, uint32_t len, uint64_t now);
/* A restored VM's paravirtual card is one the hypervisor could have made. */
bool hv_pvnet_sane(const hv_vm_t *v);
/* "    nic (paravirtual): ..." in the summary, for a VM with nic = pv. */
void hv_pvnet_print_stats(const hv_t *hv, unsigned vm, FILE *out);

/* The entropy source (hv_entropy.c): set up with its seed (off: the VM has none); whether `port` is
 * one of its registers in that VM; a read of register `reg` (DATA takes the next word). */
void hv_entropy_init(hv_entropy_t *e, bool on, uint64_t seed);
bool hv_entropy_port(const hv_t *hv, unsigned vm, uint16_t port);
uint32_t hv_entropy_read(hv_t *hv, unsigned vm, unsigned reg);

/* The host's one disk (hv_hostdisk.c). A VM's checked command reaches it at `now`: answers the
 * cycle its sectors have moved, after the requests ahead of it (*ahead: how many). */
uint64_t hv_hostdisk_submit(hv_t *hv, unsigned vm, uint64_t now, unsigned *ahead);
/* The VM's command completed at `now`; its request leaves the queue. */
void hv_hostdisk_done(hv_t *hv, unsigned vm, uint64_t now);
/* The VM is destroyed: its request leaves the queue. */
void hv_hostdisk_forget(hv_t *hv, unsigned vm);
/* A restored queue indexes only VMs. */
bool hv_hostdisk_sane(const hv_hostdisk_t *h);
/* The statistics' host-disk table, for each host whose disk a command waited at. */
void hv_hostdisk_print_stats(const hv_t *hv, FILE *out);

/* Double paging (hv_gswap.c). Hypercall 7 answers the page slots of the VM's swap area at the
 * end of its disk (guest_swap), or -1 when it has none. hv_gswap_mark notes the VM's swap-ins
 * and the swap device's operations before a disk command's DMA; hv_gswap_transferred counts
 * the finished command of VM vm (ok: it moved its data) when it lies in the swap area: the
 * swap-ins since the mark, in a write's DMA, are double paging (between the two, the VM's
 * gswap_writing is set: its swap-in events are flagged SIM_HV_DOUBLE_PAGED), and says so in
 * a SIM_HV_GUEST_SWAP event. It returns the cycles of swap-device operations the command must
 * wait for (0: none). */
enum { HV_HC_SWAP_AREA = 7 };
typedef struct {
    uint64_t swap_ins, reads, writes;
} hv_gswap_mark_t;
int32_t hv_gswap_area(const hv_t *hv, unsigned vm);
hv_gswap_mark_t hv_gswap_mark(hv_t *hv, unsigned vm);
uint64_t hv_gswap_transferred(hv_t *hv, unsigned vm, bool ok, const hv_gswap_mark_t *before);
void hv_gswap_print_stats(const hv_t *hv, unsigned vm, FILE *out);

/* The balloon's hypercalls (r1): its target, give and take (docs/guests.md). */
enum { HV_HC_BALLOON_TARGET = 4, HV_HC_BALLOON_GIVE = 5, HV_HC_BALLOON_TAKE = 6 };
/* The virtual line the hypervisor raises when a balloon's target moves (virtio's
 * configuration-change interrupt); asking the target (hypercall 4) lowers it. */
#define HV_BALLOON_IRQ 12
/* The hub's event for VM vm's planned target changes: those due by `now` happen. */
void hv_balloon_timed(hv_t *hv, unsigned vm, uint64_t now);
/* A balloon hypercall of VCPU vc (r2, r3 its arguments): the target in pages, or how many
 * pages the list at gpa r2 of r3 entries gave (took back); -1 for a VM without a balloon
 * (its frames cannot move) or a bad list. */
int32_t hv_balloon_hypercall(hv_t *hv, hv_vcpu_t *vc, uint32_t call, uint32_t r2, uint32_t r3);
/* An invalid nested leaf of a page in the guest's balloon. */
bool hv_balloon_entry(uint32_t pte);
/* The guest touched a page it had given (its leaf was a balloon entry): it got a new frame. */
void hv_balloon_touched(hv_t *hv, unsigned vm);
/* What hv_check_invariants' one walk of each VM's nested tree counted, for the checks of swap
 * and the balloon (indexed by VM). */
typedef struct {
    uint32_t swap_entries, balloon_entries;
} hv_tree_count_t;
/* Every VM's balloon count equals its nested balloon entries (counted in `count`): NULL, or
 * what is broken. */
const char *hv_balloon_check(const hv_t *hv, const hv_tree_count_t *count, char *buf, size_t len);
void hv_balloon_print_stats(const hv_t *hv, unsigned vm, FILE *out);
/* When a VM has a balloon: every swappable VM's relief from memory pressure side by side. */
void hv_balloon_print_table(const hv_t *hv, FILE *out);
/* hv_compare.c: a guest's mark `name` with `value` at `cycle` in VM `vm`, as the comparison
 * table reads it; and the table, when the scenario gives two columns or more (compare =). */
void hv_compare_mark(hv_t *hv, unsigned vm, uint64_t cycle, const char *name, uint32_t value);
void hv_compare_print(const hv_t *hv, FILE *out);

/* ---- Memory overcommit (hv_swap.c) ----------------------------------------------------- */
/* Checks [hypervisor] host_memory and sets up the swap device's bookkeeping (hv_new). */
int hv_swap_init(hv_t *hv, char *err, size_t len);
/* A VM whose pages the hypervisor may swap (lazy backing, not bt); one it
 * does swap (a limit applies to it): the walker then sets A/D in its nested leaves. */
bool hv_swappable(const hv_t *hv, unsigned vm);
bool hv_swappable_kind(unsigned backing, unsigned cpu); /* (the same, of a VM's configuration) */
bool hv_swap_on(const hv_t *hv, unsigned vm);
/* An invalid nested leaf that holds a swap slot. */
bool hv_swap_entry(uint32_t pte);
/* Before VM vm gets a frame: while it (or all VMs) is at its limit, a victim page is chosen
 * by the replacement policy and written to the swap device. False when none can be (the VM
 * is then crashed with the reason). */
bool hv_swap_make_room(hv_t *hv, unsigned vm);
/* Under shadow paging the hypervisor notes a use of page gpa in its own map when it fills a
 * shadow entry (the nested leaf's A bit, which its clock reads). */
void hv_swap_note_use(hv_t *hv, unsigned vm, uint32_t gpa);
/* Reads the swapped page at gpa (its leaf was `pte`) into the VM's new frame (hpa). */
void hv_swap_in(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t pte, uint32_t frame);
/* Frees the swap slot a swap entry names, its bytes unread (the guest ballooned the page). */
void hv_swap_discard(hv_t *hv, unsigned vm, uint32_t pte);
/* Frees every swap slot of a VM (destroyed). */
void hv_swap_release(hv_t *hv, unsigned vm);
/* The swap invariants: every used slot is a VM's, and that VM's nested tables hold exactly as
 * many swap entries (counted in `count`; the walk checked that each names its own slot); no
 * VM over resident_max, all of them not over host_memory. NULL, or the sentence saying what
 * is broken (charges nothing). */
const char *hv_swap_check(const hv_t *hv, const hv_tree_count_t *count, char *buf, size_t len);
/* Copies src's swap device into dst (hv_clone): -1 when memory cannot be had. */
int hv_swap_clone(hv_t *dst, const hv_t *src);
void hv_swap_print_stats(const hv_t *hv, unsigned vm, FILE *out);
/* Snapshots (hv_snap.c): the swap device's sections HVSO (slot owners) and HVSB (its bytes);
 * loading them into l (the loaded hv_t, with fresh's pointers): -1 with the rule broken. */
void hv_swap_save(const hv_t *hv, sim_snap_writer_t *w);
int hv_swap_load(hv_t *l, const hv_t *fresh, const sim_snap_t *s, char *err, size_t errlen);

/* ---- Page sharing (hv_share.c) ---------------------------------------------------------- */
/* Starts the scanner when the scenario shares pages (a VM was created); its timed tick. */
void hv_share_start(hv_t *hv);
void hv_share_scan(hv_t *hv, uint64_t now);
/* A store (or DMA) to gpa of VM vm: when the page is mapped to a shared frame, it gets a
 * private copy, writable (copy-on-write). Returns true when it was shared. */
bool hv_share_break(hv_t *hv, unsigned vm, uint32_t gpa);
/* A VM destroyed drops its mapping of shared frame pfn. */
void hv_share_drop(hv_t *hv, uint32_t pfn);
/* Frames sharing saves now: guest pages mapped to shared frames less those frames. */
uint32_t hv_share_saved(const hv_t *hv);
void hv_share_print_stats(const hv_t *hv, FILE *out);
void hv_share_print_vm(const hv_t *hv, unsigned vm, FILE *out);
/* The shared frames add up: each in the table is a shared frame in use, and there are as many
 * as counted. NULL, or the sentence saying what is broken. */
const char *hv_share_check(const hv_t *hv, char *buf, size_t len);

/* ---- Each host's RAM (hv_host.c) ------------------------------------------------------ */
/* (hv_host.h: each host's frames, public for the debugger) */
/* Why two hosts cannot have ram0 and ram1 bytes (0: the rest of the machine's `machine`
 * bytes; both 0: an even split) in buf, or NULL. */
const char *hv_host_ram_refusal(uint32_t ram0, uint32_t ram1, uint32_t machine, char *buf,
                                size_t len);
/* The invariant (hv_check.c): every frame VM vm owns or reaches (its nested tables and what
 * they map, its VMCBs, shadow trees, the monitor's pages) is its host's; else the sentence. */
const char *hv_host_check(const hv_t *hv, unsigned vm, char *buf, size_t len);
/* hv_new: checks cfg.host_ram and fills it in (both hosts' bytes); -1 with a sentence. */
int hv_host_split(hv_t *hv, char *err, size_t len);
/* A migration's switch (hv_rehome.c): the frames VM vm's hypervisor structures take on the
 * destination (nested tables, VMCBs, the monitor's pages), and the move itself, the VM's
 * host already `to` and its VCPUs off their pCPUs: the source's frames are freed. */
uint32_t hv_rehome_frames(const hv_t *hv, unsigned vm);
unsigned hv_rehome_vm(hv_t *hv, unsigned vm, unsigned to); /* the translated blocks dropped */

/* ---- Live migration (hv_migrate.c) ----------------------------------------------------- */
/* The hub's timed event of a migration: it starts, a round ends, the stop-and-copy ends. */
void hv_migrate_timed(hv_t *hv, uint64_t now);
/* The hypervisor or a device wrote [gpa, gpa + len) of VM vm without the MMU: no D bit says
 * so, so the migration's software log does. */
void hv_migrate_note_write(hv_t *hv, unsigned vm, uint32_t gpa, size_t len);
/* A shadow fill of VM vm for an access of `kind` at gpa with shadow bits `bits`: logs a store
 * while the VM migrates, and returns the bits with W taken off for any other access then. */
uint32_t hv_migrate_shadow_fill(hv_t *hv, unsigned vm, mmu_access_t kind, uint32_t gpa,
                                uint32_t bits);
/* The walker must set A/D in the VM's nested leaves: it swaps, or it is migrating (nested). */
bool hv_nested_ad_on(const hv_t *hv, unsigned vm);
/* The host of a pCPU (0 with one host). */
unsigned hv_cpu_host(const hv_t *hv, unsigned cpu);

/* ---- Marks (hv_mark.c) ----------------------------------------------------------------- */
/* Hypercall 2: a mark named by the string at gpa, made now. Answers the name's index or -1. */
int32_t hv_mark_hypercall(hv_t *hv, const hv_vcpu_t *v, uint32_t gpa, uint32_t value);
/* Hypercall 3: registers the VCPU's mark ring at gpa `ring` with `slots` records. Answers 0
 * (also when the VM's marks are off: then it is never read), or -1 for a ring outside the
 * VM's memory or a bad size. */
int32_t hv_mark_ring_register(hv_t *hv, hv_vcpu_t *v, uint32_t ring, uint32_t slots);
/* At an exit of VCPU v on `cpu`: the marks its guest wrote since it last exited. */
void hv_mark_ring_read(hv_t *hv, hv_vcpu_t *v, const cpu_t *cpu);

/* Walks a table tree of `levels` levels from `root` down to the table of level `stop` on the way
 * to addr, making the missing tables above it (hypervisor frames, zeroed); its hpa, or 0 when
 * the pool is empty (hv_backing.c). */
uint32_t hv_table_down(hv_t *hv, unsigned host, uint32_t root, unsigned levels, unsigned stop,
                       uint32_t addr);

/* ---- Passthrough (hv_passthrough.c) ------------------------------------------------------- */
/* The VM the physical network card is assigned to, or -1. */
int hv_passthrough_nic_vm(const hv_t *hv);
/* Why a VM configuration's `assign` cannot be done here, or NULL. */
const char *hv_passthrough_refusal(const hv_t *hv, const hv_vm_config_t *c);

/* ---- Reservations (hv_reserve.c) ------------------------------------------------------- */
/* Why a new VM's reservation cannot be granted (in buf), or NULL. */
const char *hv_reserve_refusal(const hv_t *hv, const hv_vm_config_t *c, char *buf, size_t len);
/* VM vm may give up a frame to another VM: it holds frames above its reservation. Counts a
 * VM passed over at its floor. */
bool hv_reserve_may_reclaim(hv_t *hv, unsigned vm);
/* Gives the card to a created VM (its VCPUs exist): pins and maps its memory in the card's I/O
 * page table, confines the card's DMA with the IOMMU (unless iommu = off), opens the card's
 * ports to the VM. -1 with a sentence in err. */
int hv_passthrough_assign(hv_t *hv, unsigned vm, char *err, size_t len);
/* Takes the card back from a VM being destroyed: the card stopped, its context and I/O page
 * table gone. */
void hv_passthrough_release(hv_t *hv, unsigned vm);
/* LAB 7: builds the card's I/O page table at `root` from the VM's nested map: every
 * guest-physical page of the VM at its own address (the IOVA the driver uses), readable and
 * writable by the card; nothing else. False when out of frames. */
bool hv_iommu_map_vm(hv_t *hv, unsigned vm, uint32_t root);
/* Takes (gives back) the IOMMU's fault interrupt: the hypervisor's DMA-fault handler. */
void hv_passthrough_attach(hv_t *hv);
void hv_passthrough_detach(hv_t *hv);
/* The card's line rose or fell: true when it went to the VM the card is assigned to. */
bool hv_passthrough_irq(hv_t *hv, bool level);
/* cpuid leaf 3: for a VM with the card assigned while the IOMMU is off, the host-physical
 * address of its guest-physical 0 (its memory is one run, so its driver can give the card real
 * addresses); 0 otherwise (the IOMMU remaps guest-physical addresses, or no card). */
uint32_t hv_passthrough_dma_base(hv_t *hv, unsigned vm);
/* The summary's line for a VM with the card assigned (nothing for the others). */
void hv_passthrough_print_stats(const hv_t *hv, unsigned vm, FILE *out);

/* ---- VCPUs (hv_vcpu.c) ------------------------------------------------------------------ */
int hv_vcpu_create(hv_t *hv, unsigned vm, unsigned index, uint32_t entry, char *err, size_t len);
/* The guest's state as the VMCB holds it while the VCPU is not running (after an exit). */
uint32_t hv_guest_reg(hv_t *hv, const hv_vcpu_t *v, unsigned reg);
void hv_set_guest_reg(hv_t *hv, const hv_vcpu_t *v, unsigned reg, uint32_t value);
uint32_t hv_guest_word(hv_t *hv, const hv_vcpu_t *v, uint32_t offset);
void hv_set_guest_word(hv_t *hv, const hv_vcpu_t *v, uint32_t offset, uint32_t value);
/* Moves the guest's pc past the exiting instruction (the exit's instruction length). */
void hv_skip_instruction(hv_t *hv, const hv_vcpu_t *v);
/* hv_batch.c: `in` (into reg) or `out` (from reg) of port, emulated on the VM's devices; and,
 * after a port I/O exit with batch_exits = on, the next port accesses that would exit too. */
void hv_emulate_port(hv_t *hv, hv_vcpu_t *v, bool write, unsigned reg, uint16_t port);
void hv_batch_exits(hv_t *hv, hv_vcpu_t *v);
/* Moves the guest's pc from `from` (its instruction, emulated) to `to`: a SKIP action, so
 * that a debugger sees the pc move at this step of the handling and at no other. */
void hv_move_guest_pc(hv_t *hv, const hv_vcpu_t *v, uint32_t from, uint32_t to);
/* Asks the next entry to deliver a trap or interrupt into the guest. */
void hv_inject(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval);
/* Raises or lowers a virtual line of a VCPU (posted to the pCPU when it is loaded); a raised
 * line wakes a blocked VCPU. */
void hv_virq(hv_t *hv, hv_vcpu_t *v, unsigned line, bool level);
/* The guest could take an interrupt now, or wake from halt: a raised line that im enables. */
bool hv_vcpu_interrupt_waiting(hv_t *hv, const hv_vcpu_t *v);
/* Loads a VCPU on a pCPU (VM entry); false when the entry failed (the VM is crashed). */
bool hv_vcpu_enter(hv_t *hv, cpu_t *cpu, unsigned ent);
hv_vcpu_t *hv_vcpu_of(hv_t *hv, unsigned vm, unsigned index);

/* ---- Exits (hv_exit.c) ------------------------------------------------------------------ */
/* Handles the exit the pCPU's VCPU just took (the reason is in its VMCB). */
void hv_handle_exit(hv_t *hv, cpu_t *cpu, unsigned ent);
/* Emulates the guest's ld or st `word` to a device register at gpa (the pc is not moved).
 * False when it is not a whole-word ld/st or no device answers there. */
bool hv_emulate_mmio(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t gpa, unsigned reason);

/* ---- Virtual devices (hv_devices.c) ----------------------------------------------------- */
int hv_dev_init(hv_t *hv, unsigned vm, const hv_vm_config_t *cfg, char *err, size_t len);
void hv_dev_free(hv_vdev_t *d);
/* A port access: true when one of the VM's devices answers it (*value in/out). */
bool hv_dev_port(hv_t *hv, unsigned vm, uint16_t port, bool write, uint32_t *value);
/* A word access to a device window in guest-physical space: true when a device answers. */
bool hv_dev_mmio(hv_t *hv, unsigned vm, uint32_t gpa, bool write, uint32_t *value);
/* The virtual UART's status register as a read of it returns it (no side effect: binary
 * translation's inline `in` reads the monitor's copy of it). */
uint32_t hv_dev_uart_status(const hv_t *hv, unsigned vm);
/* Which of a VM's virtual devices a port belongs to (HV_IO_NONE: none of them). */
hv_io_device_t hv_dev_port_device(const hv_t *hv, unsigned vm, uint16_t port);
/* The console hypercall: copies `len` bytes at gpa to the console; bytes written or < 0. */
int32_t hv_dev_console_write(hv_t *hv, unsigned vm, uint32_t gpa, uint32_t len);
/* The virtual timer: the guest wrote or reads its timer CSR. */
void hv_vtimer_write(hv_t *hv, hv_vcpu_t *v, uint32_t value);
uint32_t hv_vtimer_read(hv_t *hv, const hv_vcpu_t *v);
/* The hub device's timed callback (sim_device_t.timed). */
void hv_dev_timed(void *ctx, uint32_t what, uint64_t now);
/* Writes out the VM's unfinished console line (at power-off). */
void hv_dev_flush_console(hv_t *hv, unsigned vm);

/* ---- The network (hv_vswitch.c) --------------------------------------------------------- */
/* A VM's network card: reset (its MAC 02:00:00:01:00:NN, NN = VM + 1), a register access
 * (reg 0..15, from an exit on the pCPU hv->cur), its frame in flight having left. */
void hv_vnic_init(hv_t *hv, unsigned vm);
uint32_t hv_vnic_read(hv_t *hv, unsigned vm, unsigned reg);
void hv_vnic_write(hv_t *hv, unsigned vm, unsigned reg, uint32_t value);
void hv_vnic_sent(hv_t *hv, unsigned vm, uint64_t now);
/* A frame enters the switch on `port` at cycle `now`: learned, forwarded or flooded. */
void hv_vswitch_input(hv_t *hv, unsigned port, const uint8_t *frame, uint32_t len, uint64_t now);

/* The uplink (hv_uplink.c): a frame the switch sends to port 0 goes out on the physical card
 * (brought up at the first one; dropped and counted when its ring is full). attach makes the
 * hypervisor take the card's line 11 (hv_new, a clone, a restore); detach gives it back. */
void hv_uplink_send(hv_t *hv, const uint8_t *frame, uint32_t len, uint64_t now);
void hv_uplink_attach(hv_t *hv);
void hv_uplink_detach(hv_t *hv);
/* A loaded uplink (of hypervisor hv's machine): its indices and frames in range. */
bool hv_uplink_sane(const hv_t *hv, const hv_uplink_t *u);

/* ---- Scheduling (hv_sched.c) ------------------------------------------------------------ */
cpu_stop_t hv_run_turn(sim_machine_t *m, cpu_t *cpu, uint64_t budget, uint64_t limit, void *ctx);
/* The VCPU halted: it waits until a virtual line wakes it. */
void hv_sched_block(hv_t *hv, unsigned ent);
void hv_sched_wake(hv_t *hv, unsigned ent);
/* A virtual line rose for a VCPU that is ready but waits for a pCPU (boost: it may go first). */
void hv_sched_interrupt_waiting(hv_t *hv, unsigned ent);
/* Makes a VCPU that runs a guest on some pCPU exit soon, with an interrupt to that pCPU (an
 * IPI). One that is not in guest mode needs nothing: the scheduler looks at it before the
 * next entry. */
void hv_sched_kick(hv_t *hv, unsigned ent);
/* The pCPU should give the VCPU up at the end of its exit handling (blocked, paused, ...). */
bool hv_sched_keep(hv_t *hv, cpu_t *cpu, unsigned ent);

/* ---- Type 2 (hv_type2.c) ---------------------------------------------------------------- */
/* The exit needs a device model: in type 2 it goes to the user-level VMM and back. */
void hv_t2_enter_vmm(hv_t *hv, const hv_vcpu_t *v, unsigned reason);
void hv_t2_leave_vmm(hv_t *hv, const hv_vcpu_t *v, unsigned reason);
int hv_t2_create_host_process(hv_t *hv);
/* Runs the host process on a pCPU until `end` or its slice ends. */
void hv_t2_run_host(hv_t *hv, cpu_t *cpu, unsigned ent, uint64_t end);

/* ---- Statistics (hv_stats.c) ------------------------------------------------------------ */
int hv_stats_attach(hv_t *hv);
/* Attaches to dst a tracker in the state of src's (what each pCPU is doing), not recording. */
int hv_stats_clone(hv_t *dst, const hv_t *src);
void hv_stats_detach(hv_t *hv);
/* Adds a pCPU's TLB and walk counters since the VCPU was loaded to its VM. */
void hv_stats_mmu(hv_t *hv, unsigned vm, const mmu_stats_t *before, const mmu_stats_t *after);

#endif
