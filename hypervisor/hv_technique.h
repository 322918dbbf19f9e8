/*
 * hv_technique.h - what the software techniques of CPU virtualization share with the rest of
 * the hypervisor (issue 6): trap-and-emulate (hv_trap.c) today; emulation, binary translation
 * and shadow paging plug in here as they are built.
 *
 * The VMCB's software area. The hardware reads and writes a VMCB only below 0x318 (cpu.h);
 * the rest of the page is the hypervisor's, and a trap VCPU keeps there what the hardware has
 * no field for: its virtual mode and IE, and counters of what was emulated and reflected.
 * Keeping it in the VMCB makes it part of the VCPU's saved state for free.
 *
 *  0x800 +-----------------------------------------------------------+
 *        | virtual flags: MODE (13..12) and IE (8), FLAGS layout     |
 *  0x804 | interrupts reflected                                      |
 *  0x808 | emu: guest instructions already charged (64 bits)        |
 *  0x840 | traps reflected, one word per cause 0..9                  |
 *  0x900 | privileged instructions emulated, one word per ISA entry  |
 *        +-----------------------------------------------------------+
 */
#ifndef HVSIM_HV_TECHNIQUE_H
#define HVSIM_HV_TECHNIQUE_H

#include "hv_internal.h"

#define HV_SW_VFLAGS 0x800u                         /* virtual MODE and IE */
#define HV_SW_REFLECTED_IRQ 0x804u                  /* interrupts reflected */
#define HV_SW_EMU_CHARGED_LO 0x808u                 /* emu: instructions charged, low word */
#define HV_SW_EMU_CHARGED_HI 0x80cu
#define HV_SW_REFLECTED(cause) (0x840u + 4u * (cause)) /* traps reflected, per cause */
#define HV_SW_EMULATED(op) (0x900u + 4u * (op))       /* instructions emulated, per op */

/* True for a VCPU of a cpu = trap VM. */
bool hv_trap_vcpu(const hv_t *hv, const hv_vcpu_t *v);
/* Sets up a new VCPU's VMCB for trap-and-emulate (after hv_vcpu_create's defaults). */
void hv_trap_setup(hv_t *hv, hv_vcpu_t *v);
/* The EXCEPTION exit of a trap VCPU: emulates a privileged instruction of the guest kernel,
 * reflects anything else into the guest kernel. */
void hv_trap_exception(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval);
/* Delivers a trap or interrupt into the guest kernel in software (what hv_inject asks the
 * hardware to do for a hardware-assisted VCPU). */
void hv_trap_reflect(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval);
/* Before a VM entry: reflects an interrupt the guest can take now. */
void hv_trap_before_entry(hv_t *hv, hv_vcpu_t *v);
/* A virtual line rose: kicks the VCPU's pCPU when the guest can take it. */
void hv_trap_line_raised(hv_t *hv, hv_vcpu_t *v);
/* A VCPU's (virtual) interrupt mask: bt: its state page; others: the guest im of its VMCB. */
uint32_t hv_trap_vim(hv_t *hv, const hv_vcpu_t *v);
/* True when op has an emulation function (every instruction of class privileged). */
bool hv_trap_can_emulate(unsigned op);

/* True for a VCPU of a cpu = emu VM (hv_emu.c). */
bool hv_emu_vcpu(const hv_t *hv, const hv_vcpu_t *v);
/* At an exit: charges emu_insn for each guest instruction retired since the last exit. */
void hv_emu_charge(hv_t *hv, hv_vcpu_t *v);
/* Sets up a new VCPU's VMCB for emulation (the cycle counter's reads exit). */
void hv_emu_setup(hv_t *hv, hv_vcpu_t *v);
/* A CSR read exit of an emulated guest: true, with the value, for the cycle counter. */
bool hv_emu_csr_read(hv_t *hv, const hv_vcpu_t *v, unsigned csr, uint32_t *value);

/* Shadow paging (hv_shadow.c). */
/* True for a VCPU of a mem = shadow VM. */
bool hv_shadow_vcpu(const hv_t *hv, const hv_vcpu_t *v);
/* Sets up a new VCPU's VMCB for shadow paging (after the CPU technique's set-up): no nested
 * translation, page faults, tlbinv/tlbflush and ptroot accesses exit; paging off to start. */
bool hv_shadow_setup(hv_t *hv, hv_vcpu_t *v);
/* Before a VM entry: the shadow tree for the guest's address space and mode is the real
 * ptroot. False when no frame is left for it (the VM is crashed). */
bool hv_shadow_before_entry(hv_t *hv, hv_vcpu_t *v);
/* What the hypervisor made of a page fault of a shadow VCPU. */
typedef enum {
    HV_SHADOW_HIDDEN = 0, /* the shadow lacked the entry: filled; the instruction runs again */
    HV_SHADOW_EMULATED,   /* a device register (MMIO), emulated; the pc moved past it */
    HV_SHADOW_GUEST_FAULT, /* the guest's own tables fault: deliver the page fault to it */
    HV_SHADOW_BUS_ERROR,  /* the guest maps a guest-physical address nothing answers */
} hv_shadow_verdict_t;
hv_shadow_verdict_t hv_shadow_page_fault(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t va);
/* The instruction word at va through the guest's own tables, in its current mode (charged;
 * any memory technique). False when they refuse it (hv_shadow.c). */
bool hv_guest_fetch(hv_t *hv, hv_vcpu_t *v, uint32_t va, uint32_t *word);
/* A page fault of a bt VCPU at va: true when the truncated segment raised it (an access of
 * the guest to the monitor's region), which the monitor then served as bare hardware would
 * have: *verdict says how (hv_bt_guard.c). */
bool hv_bt_segment_fault(hv_t *hv, hv_vcpu_t *v, uint32_t va, hv_shadow_verdict_t *verdict);
/* An EXCEPTION exit of a shadow VCPU: true when the hypervisor dealt with it (hidden fault,
 * MMIO, bus error injected); false when the trap is the guest's own. */
bool hv_shadow_handles(hv_t *hv, hv_vcpu_t *v, uint32_t cause, uint32_t tval);
/* va through the guest's own tables, for an access of `kind` in its current mode (A and D set
 * as the MMU would); false when they refuse it. */
bool hv_shadow_translate(hv_t *hv, hv_vcpu_t *v, uint32_t va, mmu_access_t kind, uint32_t *gpa);
/* The guest's csrw ptroot, tlbinv and tlbflush, kept in step with the shadows. */
void hv_shadow_write_ptroot(hv_t *hv, hv_vcpu_t *v, uint32_t value);
void hv_shadow_tlbinv(hv_t *hv, hv_vcpu_t *v, uint32_t va);
void hv_shadow_tlbflush(hv_t *hv, hv_vcpu_t *v);
/* NULL, or what is wrong: a shadow table that is not a hypervisor frame, or a shadow entry
 * mapping a frame the VM does not own (hv_check_invariants). */
const char *hv_shadow_check(const hv_t *hv, unsigned vm, char *buf, size_t len);
/* Gives a VCPU's shadow tables back to the pool (VM destroyed). */
void hv_shadow_free(hv_t *hv, hv_vcpu_t *v);

/* The guest's mode as its kernel believes it (trap-and-emulate: the virtual mode). */
cpu_mode_t hv_trap_guest_mode(hv_t *hv, const hv_vcpu_t *v);
/* Emulates the privileged instruction `word` the guest kernel executed at the VMCB's pc (or
 * reflects it, as emulate_privileged decides): what a trap exit does, for bt's callouts. */
void hv_trap_emulate(hv_t *hv, hv_vcpu_t *v, uint32_t word);
/* Makes shadow entries mapping host frame `hpa` read-only in every VCPU of the VM (binary
 * translation protects the pages it translated); hpa = 0xffffffff: every frame the VM owns (a
 * live migration's dirty log, hv_migrate.c). The TLBs drop what they cached of them. */
void hv_shadow_write_protect(hv_t *hv, unsigned vm, uint32_t hpa);
/* Drops every shadow entry of VM vm that maps host frame `hpa` (it leaves the guest page:
 * swapped out, merged, given to the balloon), the TLBs included; nothing without shadows. */
void hv_shadow_unmap_frame(hv_t *hv, unsigned vm, uint32_t hpa);
/* Empties every shadow tree of VM vm (the roots stay; hidden faults refill them), the TLBs
 * included: after its gpa -> hpa map changed under it (a migration's switch of frames). */
void hv_shadow_forget_vm(hv_t *hv, unsigned vm);
/* Drops from shadow tree `slot` of VCPU v what stands for the guest entry of `level` that
 * maps va: a leaf (level 0), or the shadow table below it with everything it maps; the TLBs
 * forget them (hv_shadow.c, for the write-protect traces). */
void hv_shadow_drop_region(hv_t *hv, hv_vcpu_t *v, unsigned slot, uint32_t va, unsigned level);

/* Write-protect traces (hv_shadow_trace.c, [hypervisor] shadow_sync = trace). True for a
 * shadow VCPU of a hypervisor that traces. */
bool hv_shadow_tracing(const hv_t *hv, const hv_vcpu_t *v);
/* The hypervisor's walk of the guest's tables read the table at guest-physical `table` as
 * `level` on its way to va: the page is traced from now on (write-protected in the shadows). */
void hv_shadow_trace_table(hv_t *hv, hv_vcpu_t *v, uint32_t table, unsigned level, uint32_t va);
/* A shadow fill of guest-physical gpa (at hpa) for an access of `kind`: on a traced page a
 * store is emulated and the shadows updated (true: nothing to fill), any other access is
 * mapped without W (*bits). False when gpa is not traced. */
bool hv_shadow_trace_fill(hv_t *hv, hv_vcpu_t *v, mmu_access_t kind, uint32_t gpa, uint32_t hpa,
                          uint32_t *bits);
/* The guest's store to guest-physical gpa was performed without a fault (an adapted store,
 * hv_bt_adapt.c): if gpa is traced, the shadows drop what stood for the entry it changed, as
 * after a store fault, and the store is counted (true). */
bool hv_shadow_trace_stored(hv_t *hv, hv_vcpu_t *v, uint32_t gpa);
/* A device's DMA (or the hypervisor) wrote [gpa, gpa + len) of VM vm: if a traced page is in
 * it, no store fault told the shadows: every shadow of the VM is emptied and the traces go. */
void hv_shadow_trace_dma(hv_t *hv, unsigned vm, uint32_t gpa, size_t len);
/* Before an entry: a full set of traces is emptied, with every shadow of the VM. */
void hv_shadow_trace_before_entry(hv_t *hv, hv_vcpu_t *v);

/* Binary translation (hv_bt.c). The hypervisor's region at the top of the kernel's view. */
#define HV_BT_REGION CPU_MONITOR_BASE /* the hardware truncates the guest below it */
#define HV_BT_STATE_VA 0xfffff000u
bool hv_bt_vcpu(const hv_t *hv, const hv_vcpu_t *v);
bool hv_bt_in_tc(uint32_t va);
/* What a breakpoint trap of a bt VCPU at TC address `at` was, by the monitor's records (the
 * VCPU ran from the TC, the word's kind in the map), not by the address: a guest's own trap,
 * a call into the monitor, or an adapted store's sequence (hv_bt_adapt.c). Nothing charged. */
typedef enum { HV_BT_ENTRY_TRAP, HV_BT_ENTRY_CALL, HV_BT_ENTRY_ADAPTED } hv_bt_entry_t;
hv_bt_entry_t hv_bt_entry_kind(const hv_t *hv, unsigned vm, unsigned vcpu, uint32_t at);
/* The same for an exit event, told when it happens (the records change after it: a trace
 * export keeps the answer with the event); HV_BT_ENTRY_TRAP for any but a monitor's brk. */
hv_bt_entry_t hv_exit_monitor_kind(const hv_t *hv, const sim_event_t *ev);
/* hv_describe_exit (hv.h) with the kind told when the exit happened. */
void hv_describe_exit_as(const hv_t *hv, const sim_event_t *ev, hv_bt_entry_t kind, char *buf,
                         size_t len);
/* Sets up a new VCPU's state page and TC (before hv_trap_setup). False: no frame. */
bool hv_bt_setup(hv_t *hv, hv_vcpu_t *v);
void hv_bt_free(hv_t *hv, hv_vcpu_t *v);
/* The host address of a bt VCPU's virtual flags (csr 0) or virtual CSR tvec..scratch. */
uint32_t hv_bt_state_word(const hv_vcpu_t *v, unsigned csr);
/* An exit: true when it was a callout, handled; otherwise a trap's pc becomes a guest pc. */
bool hv_bt_exit(hv_t *hv, hv_vcpu_t *v, unsigned reason, uint32_t cause);
/* Before an entry, after reflections: the kernel's pc goes into the TC. False: VM stopped. */
bool hv_bt_before_entry(hv_t *hv, hv_vcpu_t *v);
/* First at entry: a hidden fault in translated code runs the same TC word again. */
void hv_bt_resume(hv_t *hv, hv_vcpu_t *v);
/* True unless the pc is in the middle of an inline sequence (no reflection there). */
bool hv_bt_at_boundary(hv_t *hv, hv_vcpu_t *v);
/* vm save: the guest pc of a stopped VCPU (a TC pc at a boundary becomes the guest's); false
 * inside an inline sequence, where it has none. Nothing charged. */
bool hv_bt_saved_pc(const hv_t *hv, const hv_vcpu_t *v, uint32_t *pc);
/* The pc leaves the TC for the guest address it stands for (before a reflection). */
void hv_bt_leave_tc(hv_t *hv, hv_vcpu_t *v);
/* A virtual line rose: inline sti and popf must exit to let it in. */
void hv_bt_line_raised(hv_t *hv, hv_vcpu_t *v);
/* The virtual timer was written or fired: the state page's copy for inline reads follows. */
void hv_bt_timer_changed(hv_t *hv, hv_vcpu_t *v);
/* For the shadow: the hypervisor's page at va of the kernel's view (the state page or a TC
 * page) and its leaf bits; whether a guest page holds translated code (protected); a store
 * stopped by that protection (true: performed, the guest goes on after it). */
bool hv_bt_region_page(hv_t *hv, hv_vcpu_t *v, uint32_t va, uint32_t *hpa, uint32_t *bits);
/* Every translation of VM vm goes (each VCPU flushes its translation cache at its next
 * entry) and no page is protected any more: a migration's switch, whose destination starts
 * with an empty cache. Returns the blocks the VCPUs held. */
unsigned hv_bt_drop_vm(hv_t *hv, unsigned vm);
/* A migration's switch, the VM now on host `to`: the VCPU's state page moves into a frame of
 * `to`, its translation cache and jump-site page are taken again there, empty (the source's
 * freed); its pc leaves the TC first. Returns the blocks it held. */
unsigned hv_bt_rehome(hv_t *hv, hv_vcpu_t *v, unsigned to);
bool hv_bt_page_protected(const hv_t *hv, unsigned vm, uint32_t gpa);
bool hv_bt_protected_store(hv_t *hv, hv_vcpu_t *v, uint32_t gpa, uint32_t hpa);
/* A device's DMA wrote [gpa, gpa + len) of a bt VM: translations of it are dropped. */
void hv_bt_dma_written(hv_t *hv, unsigned vm, uint32_t gpa, size_t len);

#endif
