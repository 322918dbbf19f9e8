/*
 * hv_bt.c - binary translation (cpu = bt): VMware's answer to an ISA that cannot be
 * trap-and-emulated (Adams and Agesen, ASPLOS 2006).
 *
 * Lecture idea: trap-and-emulate fails here because pushf, popf and rdmode are sensitive but
 * do not trap in U. A binary translator never lets the CPU run the guest kernel's own code.
 * While the guest believes it is in K, the hypervisor runs a *translation* of it instead: it
 * reads a basic block of guest code, copies every harmless instruction as it is (most of
 * them), replaces each sensitive one by a short inline sequence that works on the virtual CPU
 * state, or by a *callout* to the hypervisor, and puts the result in a translation cache (TC).
 * The guest's user code still runs directly, as under trap-and-emulate, whose virtual CPU
 * state, reflection and emulation functions this file reuses (hv_trap.c).
 *
 * Where things are. The translated kernel runs in real U with the shadow page table's kernel
 * view, in which the hypervisor owns the top 4 MiB of the address space (the guest's own
 * mappings there are hidden while its kernel runs, as in VMware's VMM):
 *
 *   0xffc00000  TC page 0: the gate stubs, then translated blocks, growing up (X only)
 *   ...         TC pages 1..31
 *   0xfffff000  the VCPU's state page (R W): its virtual flags (MODE, IE), the virtual CSRs
 *               tvec cause tval epc eflags scratch im, two spill slots, the gate words and
 *               the monitor's copies of the UART's status register and the virtual timer
 *
 * The state page is reachable from translated code as [r0 + negative offset], so inline
 * sequences need at most two spilled registers and never change the condition flags:
 *
 *   cli      st r1, SPILL; ld r1, VFLAGS; andi r1, r1, ~IE; st r1, VFLAGS; ld r1, SPILL
 *   sti      ... ori r1, r1, IE; st r1, VFLAGS; ld r1, GATE; jalr r1, r1; ld r1, SPILL
 *   pushf    pushf (the real flags); then the pushed word gets the virtual MODE and IE
 *   popf     the popped word's IE goes to VFLAGS; then a real popf for Z N C V; the gate
 *   rdmode, csrr status|tvec..scratch|im, csrw tvec..scratch: one load or store, or three
 *   csrw im  st rs1, IM; st r1, SPILL; ld r1, GATE_ANY; jalr r1, r1; ld r1, SPILL
 *   in rd, [0x3f9] (the UART's status)   ld rd, UART_STATUS
 *   csrr rd, cycle|cycleh                 itself: the monitor's code may read the clock
 *   csrr rd, timer                        deadline - cycle, masked to 0 once past (9 words)
 *
 * The last two are *inline emulation* (Adams and Agesen's in-TC emulation): what a VMM would
 * emulate on an exit (an unintercepted CSR, a device register without side effects) is done
 * by the translated code against state the monitor keeps on the state page, at the cost of a
 * load or a store. Each such site is counted (inline_devices, inline_csrs, inline_clocks).
 *
 * The gate: GATE holds the address of a stub that returns (no interrupt waits) or of a
 * callout (one does: the hypervisor sets it when a virtual line rises). So an inline sti or
 * popf that enables interrupts costs nothing unless an interrupt is waiting.
 *
 * The monitor is co-resident, as VMware's was: it lives in the top of the guest's address
 * space, so entering it is no world switch. A bt VCPU's VMCB has the exit control MONITOR,
 * with which a trap costs no VM exit or entry; the monitor charges its own entry instead: a
 * callout is a call into it (bt_callout), any other trap of the guest a trap into it
 * (bt_monitor_trap). Callouts are `brk` words in the TC: a breakpoint at a TC word whose map
 * says "callout" or "block exit" is the monitor's, not the guest's. A
 * block exit (a direct branch's target) is translated on first use and the brk is patched
 * into a direct branch to it (*chaining*), so a loop runs without the hypervisor. Indirect
 * jumps (jalr, every return) look their target up inline, in their site's entry of the
 * jump-site page, as VMware's did; a miss is a callout.
 *
 * The guest may not reach the monitor's pages: the hardware truncates its data segment below
 * them (control MONITOR), and the monitor performs what the truncation stopped against the
 * guest's own tables (hv_bt_guard.c).
 *
 * Beside every TC page lies a page of guest pcs, one per TC word (its low bits the word's
 * kind), so that a fault in translated code is reported to the guest at the guest address
 * of the instruction, and a callout knows which guest instruction it stands for.
 *
 * Self-modifying code: a guest page holding translated code is write-protected in the
 * shadows. A store to it exits; if it overlaps a translated block, every translation is
 * dropped (the whole TC: simple and always correct); either way the hypervisor performs the
 * store itself and the guest goes on. Kernel data on the same pages as kernel code (tinyos
 * has both) costs an exit per store: a real cost of binary translation.
 *
 * Costs: every word the translator reads or writes (hv_mem), bt_translate_insn per guest
 * instruction translated, bt_callout per callout and bt_monitor_trap per trap, with the
 * words the monitor's emulation touches; inline sequences cost their own instructions.
 * docs/hypervisor.md ("Binary translation") and docs/experiments.md.
 *
 * This file keeps the translation cache, its index, callouts, entry and exit, and the
 * self-modifying code; the translator itself is hv_bt_translate.c.
 */
#include <string.h>

#include "hv_internal.h"
#include "hv_technique.h"
#include "hv_bt_internal.h"

bool hv_bt_vcpu(const hv_t *hv, const hv_vcpu_t *v)
{
    return v->vm >= 0 && hv->vms[v->vm].cpu == HV_CPU_BT;
}

hv_bt_stats_t *hv_bt_stats(hv_t *hv, const hv_vcpu_t *v)
{
    return &hv->vms[v->vm].stats.bt;
}

uint32_t hv_bt_tc_va(uint32_t word)
{
    return HV_BT_REGION + 4 * word;
}

bool hv_bt_in_tc(uint32_t va)
{
    return va >= HV_BT_REGION && va < HV_BT_REGION + HV_BT_TC_PAGES * MMU_PAGE_SIZE;
}

static uint32_t tc_word_of(uint32_t va)
{
    return (va - HV_BT_REGION) / 4;
}

/* ------------------------------------------------------------------------------------------
 * The TC and its map, word by word (charged: they are the hypervisor's memory)
 * ------------------------------------------------------------------------------------------ */
static uint32_t map_entry(hv_t *hv, const hv_vcpu_t *v, uint32_t word)
{
    uint32_t page = word / (MMU_PAGE_SIZE / 4), off = 4 * (word % (MMU_PAGE_SIZE / 4));
    return v->bt.aux[page] ? hv_read32(hv, v->bt.aux[page] + off) : W_EXIT;
}

void hv_bt_put_word(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t insn, uint32_t guest_pc,
                    unsigned kind)
{
    uint32_t page = word / (MMU_PAGE_SIZE / 4), off = 4 * (word % (MMU_PAGE_SIZE / 4));
    hv_write32(hv, v->bt.tc[page] + off, insn);
    hv_write32(hv, v->bt.aux[page] + off, guest_pc | kind);
}

/* Makes sure the TC pages up to `words` exist. False when the pool is empty. */
bool hv_bt_tc_reserve(hv_t *hv, hv_vcpu_t *v, uint32_t words)
{
    for (uint32_t p = 0; p * (MMU_PAGE_SIZE / 4) < words && p < HV_BT_TC_PAGES; p++) {
        if (v->bt.tc[p])
            continue;
        unsigned host = hv_vm_host(hv, (unsigned)v->vm);
        v->bt.tc[p] = hv_frame_alloc(hv, host, HV_FRAME_HV);
        v->bt.aux[p] = v->bt.tc[p] ? hv_frame_alloc(hv, host, HV_FRAME_HV) : 0;
        if (!v->bt.aux[p])
            return false;
    }
    return true;
}

uint32_t hv_bt_encode(cpu_op_t op, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm)
{
    cpu_insn_t i = {
        .op = op, .rd = (uint8_t)rd, .rs1 = (uint8_t)rs1, .rs2 = (uint8_t)rs2, .imm = imm};
    return cpu_encode(&i);
}

/* ------------------------------------------------------------------------------------------
 * The block index: guest pc -> translation
 * ------------------------------------------------------------------------------------------ */
static unsigned hash_of(uint32_t gva)
{
    return (gva >> 2) & (HV_BT_HASH - 1);
}

/* The translation of gva, or 0. Charged as a hash-table probe of two words. */
static uint32_t lookup(hv_t *hv, hv_vcpu_t *v, uint32_t gva)
{
    hv_charge(hv, SIM_COST_hv_mem);
    hv_charge(hv, SIM_COST_hv_mem);
    hv_bt_stats(hv, v)->lookups++;
    for (unsigned h = hash_of(gva), n = 0; n < HV_BT_HASH && v->bt.hash[h]; n++) {
        const hv_bt_block_t *b = &v->bt.block[v->bt.hash[h] - 1];
        if (b->gva == gva) {
            hv_bt_stats(hv, v)->hits++;
            return b->tc;
        }
        h = (h + 1) & (HV_BT_HASH - 1);
    }
    return 0;
}

void hv_bt_index_block(hv_bt_t *bt, unsigned b)
{
    unsigned h = hash_of(bt->block[b].gva);
    while (bt->hash[h])
        h = (h + 1) & (HV_BT_HASH - 1);
    bt->hash[h] = (uint16_t)(b + 1);
}

/* Drops every translation of a VCPU: the blocks, their index and the TC's contents (the
 * pages stay, for the next translations). */
void hv_bt_flush_tc(hv_t *hv, hv_vcpu_t *v)
{
    hv_bt_t *bt = &v->bt;
    if (bt->nsites && bt->sites) { /* the sites' cached targets are TC addresses too */
        memset(hv->m->ram + bt->sites, 0, MMU_PAGE_SIZE);
        sim_ram_written(hv->m, bt->sites, MMU_PAGE_SIZE);
        hv_charge(hv, SIM_COST_hv_zero_page);
    }
    bt->nsites = 0;
    bt->nblocks = 0;
    bt->generation++;
    bt->tc_used = TC_FIRST_BLOCK;
    bt->resume_tc = bt->resume_guest = bt->tc_pc = 0;
    memset(bt->hash, 0, sizeof bt->hash);
}

/* ------------------------------------------------------------------------------------------
 * Write protection of translated guest pages
 * ------------------------------------------------------------------------------------------ */
bool hv_bt_page_protected(const hv_t *hv, unsigned vm, uint32_t gpa)
{
    const hv_vm_t *v = &hv->vms[vm];
    for (unsigned i = 0; i < v->bt_npages; i++)
        if (v->bt_page[i] == (gpa & ~MMU_PAGE_OFFSET))
            return true;
    return false;
}

/* Every translation of every VCPU of the VM goes, and no page is protected any more (a page
 * is protected again when it is next translated). The VCPU whose store it was (self, whose pc
 * is a guest address by now) flushes at once; any other at its next entry, when its pc can
 * still be read back to a guest address (a running one is kicked out first). */
static void drop_all_translations(hv_t *hv, hv_vm_t *vm, const hv_vcpu_t *self)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        hv_vcpu_t *o = &hv->ent[vm->vcpu[i]];
        if (o == self) {
            hv_bt_flush_tc(hv, o);
            continue;
        }
        o->bt.flush_pending = 1;
        if (o->on_cpu >= 0 && cpu_in_guest(&hv->m->cpu[o->on_cpu]))
            hv_sched_kick(hv, vm->vcpu[i]);
    }
    vm->bt_npages = 0;
}

unsigned hv_bt_drop_vm(hv_t *hv, unsigned vm)
{
    hv_vm_t *m = &hv->vms[vm];
    unsigned blocks = 0;
    for (unsigned i = 0; i < m->nvcpus; i++)
        blocks += hv->ent[m->vcpu[i]].bt.nblocks;
    drop_all_translations(hv, m, NULL);
    return blocks;
}

void hv_bt_protect_page(hv_t *hv, hv_vcpu_t *v, uint32_t gpa)
{
    hv_vm_t *vm = &hv->vms[v->vm];
    if (hv_bt_page_protected(hv, (unsigned)v->vm, gpa))
        return;
    if (vm->bt_npages == sizeof vm->bt_page / sizeof vm->bt_page[0]) {
        drop_all_translations(hv, vm, v);
        hv_bt_stats(hv, v)->tc_flushes++;
    }
    vm->bt_page[vm->bt_npages++] = gpa & ~MMU_PAGE_OFFSET;
    uint32_t hpa;
    if (hv_gpa_to_hpa(hv, (unsigned)v->vm, gpa, false, &hpa))
        hv_shadow_write_protect(hv, (unsigned)v->vm, hpa & ~MMU_PAGE_OFFSET);
}

/* Why the guest cannot fetch va, as the CPU would say, in the CPU's order (cpu_exec.c's
 * FETCH): a pc that is not word-aligned first; then its tables refuse it (a page fault), or
 * they allow it but nothing is there (a bus error: the hypervisor's region, say). */
static uint32_t fetch_fault_cause(hv_t *hv, hv_vcpu_t *v, uint32_t va)
{
    uint32_t gpa;
    if (va & 3)
        return CPU_CAUSE_MISALIGNED;
    return hv_shadow_translate(hv, v, va, MMU_FETCH, &gpa) ? CPU_CAUSE_BUS_ERROR
                                                           : CPU_CAUSE_FETCH_PAGE_FAULT;
}

/* The translation of gva, translated now if need be (0: the guest cannot fetch it). */
static uint32_t translation_of(hv_t *hv, hv_vcpu_t *v, uint32_t gva)
{
    /* A misaligned pc (a jalr or an iret to x+2) is the guest's misaligned-fetch fault, as on
     * the hardware. Any other guest pc may be translated, the monitor's region too: the guest's
     * code there is read through its own tables, and where the pc is (the guest's address or
     * the TC's) is the monitor's record (tc_pc, in_tc), never told from the address. */
    if (gva & 3)
        return 0;
    uint32_t tc = lookup(hv, v, gva);
    return tc ? tc : hv_bt_translate_block(hv, v, gva);
}

/* ------------------------------------------------------------------------------------------
 * The VCPU's pc: guest addresses outside, TC addresses while the translated kernel runs
 * ------------------------------------------------------------------------------------------ */
static uint32_t vmcb_pc(hv_t *hv, const hv_vcpu_t *v)
{
    return hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC);
}

/* Every move of the pc by the monitor (a callout's guest instruction, into or out of the
 * translation cache) is an action, as hv_move_guest_pc's are, so that a debugger stepping
 * through the monitor's work can say it. The pc it moves from is looked at, not read: the
 * monitor knows where it put it, so no VMREAD is charged. Here the pc becomes a guest
 * address: the monitor's record of a TC pc goes (set_tc_pc puts one back). */
static void set_vmcb_pc(hv_t *hv, hv_vcpu_t *v, uint32_t pc)
{
    uint32_t from = cpu_vmcb_peek(&hv->m->cpu[0], v->vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
    hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_PC, pc);
    v->bt.tc_pc = 0;
    if (from != pc)
        hv_action(hv, v, SIM_HV_BT_MOVE_PC, from, pc);
}

/* True when pc is translated code the CPU or the hypervisor put there (or just past it: a
 * hypercall or cpuid handled in place). The monitor's record decides, not the address: a
 * guest may map and run its own code anywhere, in the monitor's region too. */
static bool legit_tc_pc(const hv_vcpu_t *v, uint32_t pc)
{
    return v->bt.tc_pc && (pc == v->bt.tc_pc || pc == v->bt.tc_pc + 4);
}

/* The pc goes to translated code. Only the hypervisor (and the CPU running there) may put it
 * in the TC: it remembers where, so that a guest's own jump into its region is told apart. */
static void set_tc_pc(hv_t *hv, hv_vcpu_t *v, uint32_t tc)
{
    set_vmcb_pc(hv, v, tc);
    v->bt.tc_pc = tc;
}

/* The guest pc a TC address stands for (its map entry without the kind). */
static uint32_t guest_pc_of(hv_t *hv, const hv_vcpu_t *v, uint32_t tc)
{
    return map_entry(hv, v, tc_word_of(tc)) & ~3u;
}

/* The site whose miss callout is TC word `word`, or -1. */
static int site_of_stub(const hv_vcpu_t *v, uint32_t word)
{
    for (unsigned s = 0; s < v->bt.nsites; s++)
        if (v->bt.site_stub[s] == word)
            return (int)s;
    return -1;
}

/* True when the pc is at a guest instruction boundary: outside the TC, or at the first word
 * of an instruction's translation or a block exit; not inside an inline sequence or the gate
 * stubs. A jalr site's miss callout is a callout word but inside its sequence: r1 holds the
 * stub's own address and the link is written, so an interrupt reflected there would hand the
 * guest's handler a TC address in r1 (the brk runs first; site_missed finishes the jalr). */
bool hv_bt_at_boundary(hv_t *hv, hv_vcpu_t *v)
{
    uint32_t pc = vmcb_pc(hv, v);
    if (!legit_tc_pc(v, pc))
        return true;
    uint32_t word = tc_word_of(pc);
    return word >= TC_FIRST_BLOCK && (map_entry(hv, v, word) & 3u) != W_INNER &&
           site_of_stub(v, word) < 0;
}

/* A fault in translated code was handled without moving the guest on (a hidden fault): the
 * same TC word runs again. Called first at entry, before any reflection. */
void hv_bt_resume(hv_t *hv, hv_vcpu_t *v)
{
    if (v->bt.resume_tc && vmcb_pc(hv, v) == v->bt.resume_guest)
        set_tc_pc(hv, v, v->bt.resume_tc);
    v->bt.resume_tc = v->bt.resume_guest = 0;
}

/* Before a reflection: the pc becomes the guest address the translated code stood at. */
void hv_bt_leave_tc(hv_t *hv, hv_vcpu_t *v)
{
    uint32_t pc = vmcb_pc(hv, v);
    if (legit_tc_pc(v, pc))
        set_vmcb_pc(hv, v, guest_pc_of(hv, v, pc));
}

/* For vm save (nothing charged: the debugger looks, the machine does not run). A saved VCPU
 * carries no translation cache, so its pc must be a guest address: outside the TC it is one,
 * at a boundary in the TC it is the guest address the word stands for, and inside an inline
 * sequence there is none (false, *pc the TC address: the VCPU holds TC state in its
 * registers). */
bool hv_bt_saved_pc(const hv_t *hv, const hv_vcpu_t *v, uint32_t *pc)
{
    *pc = cpu_vmcb_peek(&hv->m->cpu[0], v->vmcb, CPU_VMCB_GUEST + CPU_VMCB_PC);
    if (!legit_tc_pc(v, *pc))
        return true;
    uint32_t word = tc_word_of(*pc), page = word / (MMU_PAGE_SIZE / 4);
    if (word < TC_FIRST_BLOCK || !v->bt.aux[page] || site_of_stub(v, word) >= 0)
        return false;
    uint32_t entry = cpu_vmcb_peek(&hv->m->cpu[0], v->bt.aux[page], 4 * (word % (MMU_PAGE_SIZE / 4)));
    if ((entry & 3u) == W_INNER)
        return false; /* *pc: where in the TC it stopped */
    *pc = entry & ~3u;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Callouts
 * ------------------------------------------------------------------------------------------ */
void hv_bt_patch_word(hv_t *hv, hv_vcpu_t *v, uint32_t tc, uint32_t insn)
{
    uint32_t word = tc_word_of(tc), page = word / (MMU_PAGE_SIZE / 4);
    hv_write32(hv, v->bt.tc[page] + 4 * (word % (MMU_PAGE_SIZE / 4)), insn);
}

/* A conditional branch is translated as `bcc +8` over its fall-through exit onto its taken
 * exit (hv_bt_translate.c). When the taken exit is chained, the bcc itself goes straight to
 * the target's translation: a loop's back edge is then one taken branch, as natively, not a
 * branch onto a branch. */
static void chain_taken_branch(hv_t *hv, hv_vcpu_t *v, uint32_t stub, uint32_t tc)
{
    cpu_insn_t i;
    uint32_t at = stub - 8;
    if (tc_word_of(stub) < TC_FIRST_BLOCK + 2 ||
        (map_entry(hv, v, tc_word_of(at)) & 3u) != W_INSN ||
        !cpu_decode(hv_bt_tc_word(hv, v, at), &i) || i.op < CPU_OP_BEQ || i.op > CPU_OP_BLEU ||
        i.imm != 8)
        return;
    hv_bt_patch_word(hv, v, at, hv_bt_encode(i.op, 0, 0, 0, (int32_t)(tc - at)));
}

/* A block exit: translate (or find) the target, patch the brk into a branch to it. */
static void take_exit(hv_t *hv, hv_vcpu_t *v, uint32_t stub, uint32_t target)
{
    uint32_t generation = v->bt.generation;
    uint32_t tc = translation_of(hv, v, target);
    if (!tc) { /* the guest cannot fetch its target: its fault, at the target */
        set_vmcb_pc(hv, v, target);
        if (hv->vms[v->vm].state != HV_VM_CRASHED)
            hv_trap_reflect(hv, v, fetch_fault_cause(hv, v, target), target);
        return;
    }
    if (v->bt.generation == generation) { /* the stub is still there (no flush meanwhile) */
        hv_bt_patch_word(hv, v, stub, hv_bt_encode(CPU_OP_B, 0, 0, 0, (int32_t)(tc - stub)));
        chain_taken_branch(hv, v, stub, tc);
        hv_bt_stats(hv, v)->chains++;
    }
    set_tc_pc(hv, v, tc);
}

/* The guest instruction a callout stands for, read again from the guest's memory. */
static bool callout_insn(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t *word)
{
    return hv_guest_fetch(hv, v, gva, word);
}

/* jalr: rd = the guest's return address; the target's translation is looked up at entry. */
static void indirect_jump(hv_t *hv, hv_vcpu_t *v, uint32_t gva, const cpu_insn_t *i)
{
    uint32_t target = hv_guest_reg(hv, v, i->rs1) + (uint32_t)i->imm;
    hv_set_guest_reg(hv, v, i->rd, gva + 4);
    set_vmcb_pc(hv, v, target);
}

void hv_bt_site_cache(hv_t *hv, hv_vcpu_t *v, unsigned site, bool fresh, uint32_t tag, uint32_t hit)
{
    uint32_t at = v->bt.sites, miss = hv_bt_tc_va(v->bt.site_stub[site]);
    if (fresh)
        hv_write32(hv, at + SITE_MISS(site), miss);
    else
        hv_write32(hv, at + SITE_TAG(site), tag);
    hv_write32(hv, at + SITE_HIT(site), hit);
    hv_write32(hv, at + SITE_DIFF(site), miss - hit);
}

/* An inline jalr lookup missed: its spilled registers go back, and the site now caches the
 * target it saw (the entry of its block that reloads r1, as the inline hit path expects). The
 * link register was already written by the sequence. */
static void site_missed(hv_t *hv, hv_vcpu_t *v, unsigned site)
{
    uint32_t target = hv_read32(hv, v->bt.state + ST_TARGET);
    hv_set_guest_reg(hv, v, 1, hv_read32(hv, v->bt.state + ST_SPILL1));
    hv_set_guest_reg(hv, v, 2, hv_read32(hv, v->bt.state + ST_SPILL2));
    hv_bt_stats(hv, v)->site_misses++;
    uint32_t generation = v->bt.generation, tc = translation_of(hv, v, target);
    if (!tc) {
        set_vmcb_pc(hv, v, target);
        if (hv->vms[v->vm].state != HV_VM_CRASHED)
            hv_trap_reflect(hv, v, fetch_fault_cause(hv, v, target), target);
        return;
    }
    if (v->bt.generation == generation) /* the site is still there (no flush meanwhile) */
        hv_bt_site_cache(hv, v, site, false, target, tc - 4);
    set_tc_pc(hv, v, tc);
}

static void run_callout(hv_t *hv, hv_vcpu_t *v, uint32_t gva)
{
    uint32_t word;
    cpu_insn_t i;
    set_vmcb_pc(hv, v, gva);
    if (!callout_insn(hv, v, gva, &word)) {
        hv_trap_reflect(hv, v, CPU_CAUSE_FETCH_PAGE_FAULT, gva);
        return;
    }
    bool decoded = cpu_decode(word, &i);
    if (decoded && i.op == CPU_OP_JALR)
        indirect_jump(hv, v, gva, &i);
    else if (decoded && !(cpu_isa[i.op].cls & CPU_CLASS_PRIV))
        hv_bt_guard_callout(hv, v, gva, word); /* an absolute access into the monitor's region */
    else
        hv_trap_emulate(hv, v, word); /* as trap-and-emulate does, at the guest pc */
    hv_emit(hv, SIM_HV_BT_CALLOUT, v->vm, v->index, gva);
}

/* The gate's callout: an interrupt waits after an inline sti or popf. r1 holds the return
 * address into the sequence; the guest goes on (and takes the interrupt at entry) at the
 * next guest instruction. */
static void open_gate(hv_t *hv, hv_vcpu_t *v)
{
    uint32_t back = hv_guest_reg(hv, v, 1); /* the ld r1, SPILL1 the gate returns to */
    hv_set_guest_reg(hv, v, 1, hv_read32(hv, v->bt.state + ST_SPILL1));
    set_vmcb_pc(hv, v, hv_bt_in_tc(back + 4) ? guest_pc_of(hv, v, back + 4) : back);
    hv_bt_stats(hv, v)->gate_exits++;
}

/*
 * The marker of an adapted store's sequence at TC address `at` (guest pc gva), followed by the
 * guest's store word (hv_bt_adapt.c): the sequence does the store and its shadow update, and
 * the translated code goes on after it, with no trap (true). False when the brk is no such
 * marker: the word after it is not the site's store.
 */
static bool adapted_store_at(hv_t *hv, hv_vcpu_t *v, uint32_t at, uint32_t gva)
{
    uint32_t next = tc_word_of(at) + 1, word, tval;
    bool code_written;
    if (!hv_bt_site_adapted(hv, (unsigned)v->vm, gva) || next >= v->bt.tc_used ||
        map_entry(hv, v, next) != (gva | W_INNER))
        return false; /* (the site's record first: a callout's own path is charged alone) */
    word = hv_bt_tc_word(hv, v, at + 4);
    if (!hv_bt_adapted_site(hv, (unsigned)v->vm, gva, word))
        return false;
    uint32_t cause = hv_bt_adapted_store(hv, v, gva, word, &tval, &code_written);
    if (cause) { /* the guest's own fault, at the store */
        set_vmcb_pc(hv, v, gva);
        hv_trap_reflect(hv, v, cause, tval);
    } else if (code_written) { /* the translations went: on at the next guest instruction */
        set_vmcb_pc(hv, v, gva + 4);
    } else {
        set_tc_pc(hv, v, at + 4 * ADAPTED_STORE_WORDS);
    }
    return true;
}

bool hv_bt_retranslate_site(hv_t *hv, hv_vcpu_t *v, uint32_t gva)
{
    hv_bt_t *bt = &v->bt;
    for (unsigned b = 0; b < bt->nblocks; b++)
        if (gva >= bt->block[b].gva && gva - bt->block[b].gva < 4u * bt->block[b].ninsns &&
            !hv_bt_retranslate_block(hv, v, b))
            return false;
    return true;
}

/*
 * An exit of a bt VCPU, before the handlers: a breakpoint at a TC word the hypervisor put
 * there is a callout and is handled here (true). Any other exit out of the TC leaves the pc
 * where it is, except a trap, whose pc becomes the guest instruction's (false: the handlers
 * go on, and a hidden fault returns to the same TC word at the next entry).
 */
bool hv_bt_exit(hv_t *hv, hv_vcpu_t *v, unsigned reason, uint32_t cause)
{
    /* Entered in the TC, the CPU ran translated code until now: it leaves the TC only by an
     * exit (block exits and misses are callouts), so the pc it stopped at is a TC address. */
    uint32_t pc = vmcb_pc(hv, v);
    bool in_tc = v->bt.in_tc;
    v->bt.tc_pc = in_tc ? pc : 0;
    if (reason != CPU_EXIT_EXCEPTION)
        return false; /* a real VM exit: a world switch */
    if (cause == CPU_CAUSE_BREAKPOINT && in_tc && hv_bt_in_tc(pc - 4)) {
        uint32_t at = pc - 4, m = map_entry(hv, v, tc_word_of(at));
        if ((m & 3u) == W_CALLOUT && adapted_store_at(hv, v, at, m & ~3u))
            return true;
        if (tc_word_of(at) == TC_GATE_EXIT || (m & 3u) == W_CALLOUT || (m & 3u) == W_EXIT) {
            /* a call into the monitor, as VMware's translated code made one */
            hv_charge(hv, SIM_COST_bt_callout);
            hv_action(hv, v, SIM_HV_MONITOR_CALL, tc_word_of(at) == TC_GATE_EXIT ? 0 : m & ~3u, 0);
            hv_bt_stats(hv, v)->callouts++;
            int site = (m & 3u) == W_CALLOUT ? site_of_stub(v, tc_word_of(at)) : -1;
            if (tc_word_of(at) == TC_GATE_EXIT)
                open_gate(hv, v);
            else if (site >= 0)
                site_missed(hv, v, (unsigned)site);
            else if ((m & 3u) == W_CALLOUT)
                run_callout(hv, v, m & ~3u);
            else
                take_exit(hv, v, at, m & ~3u);
            return true;
        }
    }
    /* a trap of the guest (its kernel's translated code or its user code) into the monitor */
    uint32_t guest_pc = in_tc ? guest_pc_of(hv, v, pc) : pc;
    hv_charge(hv, SIM_COST_bt_monitor_trap);
    hv_action(hv, v, SIM_HV_MONITOR_TRAP, cause, guest_pc);
    hv_bt_stats(hv, v)->monitor_traps++;
    if (!in_tc)
        return false;
    v->bt.resume_tc = pc;
    v->bt.resume_guest = guest_pc;
    set_vmcb_pc(hv, v, guest_pc);
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Entry: the translated kernel runs from the TC
 * ------------------------------------------------------------------------------------------ */
/* The words of the state page the monitor keeps for inline code, at every return to it: the
 * gates (an sti or popf looks whether a raised line is enabled in im; a `csrw im` whether any
 * line is raised, since it may enable it) and the UART's status. */
static void refresh_state_page(hv_t *hv, hv_vcpu_t *v)
{
    bool waiting = (v->vip & hv_trap_vim(hv, v)) != 0;
    hv_write32(hv, v->bt.state + ST_GATE, hv_bt_tc_va(waiting ? TC_GATE_EXIT : TC_GATE_RETURN));
    hv_write32(hv, v->bt.state + ST_GATE_ANY, hv_bt_tc_va(v->vip ? TC_GATE_EXIT : TC_GATE_RETURN));
    hv_write32(hv, v->bt.state + ST_UART_STATUS, hv_dev_uart_status(hv, (unsigned)v->vm));
}

/* A virtual line rose: the next inline sti, popf or csrw im must look. */
void hv_bt_line_raised(hv_t *hv, hv_vcpu_t *v)
{
    if (!v->bt.state)
        return;
    hv_write32(hv, v->bt.state + ST_GATE, hv_bt_tc_va(TC_GATE_EXIT));
    hv_write32(hv, v->bt.state + ST_GATE_ANY, hv_bt_tc_va(TC_GATE_EXIT));
}

/* The virtual timer's copy on the state page (ST_TIMER_*): an inline `csrr timer` computes
 * deadline - now from it with the clock, which the monitor's code may read. Written only
 * when the timer changes, so that returns from the monitor cost nothing more. */
void hv_bt_timer_changed(hv_t *hv, hv_vcpu_t *v)
{
    if (!hv_bt_vcpu(hv, v) || !v->bt.state)
        return;
    uint64_t guest_deadline = v->timer_deadline - hv->vms[v->vm].tsc_offset;
    uint64_t now = hv->cur ? hv->cur->s.cycles : hv->now;
    uint32_t left = v->timer_deadline > now ? (uint32_t)(v->timer_deadline - now) : 0;
    hv_write32(hv, v->bt.state + ST_TIMER_DEADLINE, (uint32_t)guest_deadline);
    hv_write32(hv, v->bt.state + ST_TIMER_VALUE, v->timer_deadline ? left : 0);
}

/* Before a VM entry (after any reflection): in virtual K the pc moves into the TC. False when
 * the VM was stopped. */
bool hv_bt_before_entry(hv_t *hv, hv_vcpu_t *v)
{
    if (v->bt.flush_pending && hv_bt_at_boundary(hv, v)) {
        hv_bt_leave_tc(hv, v);
        hv_bt_flush_tc(hv, v);
        v->bt.flush_pending = 0;
    }
    refresh_state_page(hv, v);
    uint32_t pc = vmcb_pc(hv, v);
    v->bt.in_tc = hv_trap_guest_mode(hv, v) == CPU_MODE_K; /* the translated kernel runs */
    if (!v->bt.in_tc || legit_tc_pc(v, pc))
        return true;
    for (unsigned tries = 0; tries < 2; tries++) {
        uint32_t tc = translation_of(hv, v, pc);
        if (tc) {
            set_tc_pc(hv, v, tc);
            return true;
        }
        if (hv->vms[v->vm].state == HV_VM_CRASHED)
            return false;
        hv_trap_reflect(hv, v, fetch_fault_cause(hv, v, pc), pc); /* the guest's own fault */
        pc = vmcb_pc(hv, v);
    }
    char why[160];
    snprintf(why, sizeof why,
             "the guest kernel cannot fetch its trap vector 0x%08x to handle "
             "a fetch fault (a double fault)",
             pc);
    hv_vm_crash(hv, (unsigned)v->vm, why);
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Stores to pages holding translated code
 * ------------------------------------------------------------------------------------------ */
/* True when [gpa, gpa + len) overlaps a block some VCPU of the VM translated. */
static bool overlaps_translation(const hv_t *hv, unsigned vm, uint32_t gpa, uint32_t len)
{
    const hv_vm_t *m = &hv->vms[vm];
    for (unsigned k = 0; k < m->nvcpus; k++) {
        const hv_bt_t *bt = &hv->ent[m->vcpu[k]].bt;
        for (unsigned b = 0; b < bt->nblocks; b++)
            if (gpa < bt->block[b].gpa + 4u * bt->block[b].ninsns && bt->block[b].gpa < gpa + len)
                return true;
    }
    return false;
}

/* A device's DMA (hv_copy_to_guest) wrote guest memory: if it overwrote translated code,
 * every translation goes, as for a store (no fault tells the hypervisor about DMA). */
void hv_bt_dma_written(hv_t *hv, unsigned vm, uint32_t gpa, size_t len)
{
    if (!overlaps_translation(hv, vm, gpa, (uint32_t)len))
        return;
    hv->vms[vm].stats.bt.invalidations++;
    drop_all_translations(hv, &hv->vms[vm], NULL);
}

/* The translations go and the guest pc runs again, on a page no longer protected. */
static bool run_again_unprotected(hv_t *hv, hv_vcpu_t *v)
{
    hv_bt_leave_tc(hv, v);
    drop_all_translations(hv, &hv->vms[v->vm], v);
    v->bt.resume_tc = v->bt.resume_guest = 0;
    return false;
}

/*
 * A store hit a write-protected page of translated code (gpa, hpa: where). The hypervisor
 * performs it, and the guest goes on after it: in the TC when the store is data beside the
 * code (the translations stay), at the next guest instruction when it overwrote translated
 * code (every translation goes: self-modifying code). Returns false when it could not (a
 * store in the middle of an inline sequence that overwrites code): the instruction then runs
 * again with the translations gone.
 */
bool hv_bt_protected_store(hv_t *hv, hv_vcpu_t *v, uint32_t gpa, uint32_t hpa)
{
    uint32_t tc = v->bt.resume_tc; /* set only for a trap in translated code */
    if (!tc)
        return run_again_unprotected(hv, v);
    uint32_t w = tc_word_of(tc), page = w / (MMU_PAGE_SIZE / 4);
    uint32_t word = hv_read32(hv, v->bt.tc[page] + 4 * (w % (MMU_PAGE_SIZE / 4)));
    unsigned kind = map_entry(hv, v, w) & 3u;
    bool smc = overlaps_translation(hv, (unsigned)v->vm, gpa & ~3u, 4);
    if (smc) {
        hv_bt_stats(hv, v)->invalidations++;
        hv_emit(hv, SIM_HV_BT_INVALIDATE, v->vm, v->index, gpa & ~MMU_PAGE_OFFSET);
    }
    if ((smc && kind != W_INSN) || !hv_bt_perform(hv, v, word, gpa, hpa))
        return run_again_unprotected(hv, v);
    if (smc) {
        set_vmcb_pc(hv, v, guest_pc_of(hv, v, tc) + 4);
        drop_all_translations(hv, &hv->vms[v->vm], v);
    } else {
        set_tc_pc(hv, v, tc + 4);
        hv_bt_stats(hv, v)->protected_writes++;
    }
    v->bt.resume_tc = v->bt.resume_guest = 0;
    return true;
}

bool hv_bt_code_written(hv_t *hv, hv_vcpu_t *v, uint32_t gpa, uint32_t size)
{
    if (!overlaps_translation(hv, (unsigned)v->vm, gpa, size))
        return false;
    hv_bt_stats(hv, v)->invalidations++;
    hv_emit(hv, SIM_HV_BT_INVALIDATE, v->vm, v->index, gpa & ~MMU_PAGE_OFFSET);
    drop_all_translations(hv, &hv->vms[v->vm], v); /* the pc is a guest address by now */
    return true;
}

uint32_t hv_bt_tc_word(hv_t *hv, const hv_vcpu_t *v, uint32_t tc)
{
    uint32_t w = tc_word_of(tc), page = w / (MMU_PAGE_SIZE / 4);
    return v->bt.tc[page] ? hv_read32(hv, v->bt.tc[page] + 4 * (w % (MMU_PAGE_SIZE / 4))) : 0;
}

unsigned hv_bt_tc_kind(hv_t *hv, const hv_vcpu_t *v, uint32_t tc)
{
    return map_entry(hv, v, tc_word_of(tc)) & 3u;
}

bool hv_bt_faulting_word(hv_t *hv, hv_vcpu_t *v, uint32_t *word)
{
    if (v->bt.resume_tc) {
        *word = hv_bt_tc_word(hv, v, v->bt.resume_tc);
        return true;
    }
    return callout_insn(hv, v, vmcb_pc(hv, v), word);
}

/*
 * After the monitor performed the instruction a trap stopped at. The guest's user code goes
 * on at the next instruction; its translated kernel at the next TC word, unless the store
 * overwrote translated code: then at the next guest instruction, untranslated (a store inside
 * an inline sequence, pushf's, is its last work but for reloading the spilled r1 and r2).
 */
void hv_bt_go_on(hv_t *hv, hv_vcpu_t *v, bool code_written)
{
    uint32_t tc = v->bt.resume_tc, pc = vmcb_pc(hv, v);
    v->bt.resume_tc = v->bt.resume_guest = 0;
    if (!tc) {
        hv_move_guest_pc(hv, v, pc, pc + 4);
    } else if (code_written) {
        if (hv_bt_tc_kind(hv, v, tc) == W_INNER) {
            hv_set_guest_reg(hv, v, 1, hv_read32(hv, v->bt.state + ST_SPILL1));
            hv_set_guest_reg(hv, v, 2, hv_read32(hv, v->bt.state + ST_SPILL2));
        }
        hv_move_guest_pc(hv, v, pc, pc + 4);
    } else {
        set_tc_pc(hv, v, tc + 4);
    }
}

/* ------------------------------------------------------------------------------------------
 * The hypervisor's region in the kernel's view, and set-up
 * ------------------------------------------------------------------------------------------ */
bool hv_bt_region_page(hv_t *hv, hv_vcpu_t *v, uint32_t va, uint32_t *hpa, uint32_t *bits)
{
    (void)hv;
    if (!v->bt.state || va < HV_BT_REGION)
        return false;
    if ((va & ~MMU_PAGE_OFFSET) == HV_BT_STATE_VA || (va & ~MMU_PAGE_OFFSET) == HV_BT_SITES_VA) {
        *hpa = (va & ~MMU_PAGE_OFFSET) == HV_BT_STATE_VA ? v->bt.state : v->bt.sites;
        *bits = MMU_PTE_V | MMU_PTE_R | MMU_PTE_W | MMU_PTE_U | MMU_PTE_A | MMU_PTE_D;
        return true;
    }
    uint32_t page = (va - HV_BT_REGION) >> MMU_PAGE_SHIFT;
    if (page >= HV_BT_TC_PAGES || !v->bt.tc[page])
        return false;
    *hpa = v->bt.tc[page];
    *bits = MMU_PTE_V | MMU_PTE_X | MMU_PTE_U | MMU_PTE_A | MMU_PTE_D; /* execute only */
    return true;
}

/* The state page's home for the virtual flags and CSRs of a bt VCPU (hv_trap.c's accessors). */
uint32_t hv_bt_state_word(const hv_vcpu_t *v, unsigned csr)
{
    return v->bt.state + (csr == 0 ? ST_VFLAGS : ST_CSR(csr));
}

bool hv_bt_setup(hv_t *hv, hv_vcpu_t *v)
{
    memset(&v->bt, 0, sizeof v->bt);
    unsigned host = hv_vm_host(hv, (unsigned)v->vm);
    v->bt.state = hv_frame_alloc(hv, host, HV_FRAME_HV);
    v->bt.sites = v->bt.state ? hv_frame_alloc(hv, host, HV_FRAME_HV) : 0;
    if (!v->bt.sites || !hv_bt_tc_reserve(hv, v, TC_FIRST_BLOCK))
        return false;
    hv_bt_put_word(hv, v, TC_GATE_RETURN, hv_bt_encode(CPU_OP_JALR, 0, 1, 0, 0), 0, W_INNER);
    hv_bt_put_word(hv, v, TC_GATE_EXIT, BRK, 0, W_EXIT);
    hv_bt_flush_tc(hv, v);
    /* As a CPU at reset: every line unmasked (the virtual im lives here, for inline code). */
    hv_write32(hv, v->bt.state + ST_CSR(CPU_CSR_IM), (1u << CPU_IRQ_LINES) - 1);
    /* The monitor is co-resident: the guest's traps enter it without a world switch. */
    hv_set_guest_word(hv, v, CPU_VMCB_CONTROLS,
                      hv_guest_word(hv, v, CPU_VMCB_CONTROLS) | CPU_VMCTL_MONITOR);
    return true;
}

unsigned hv_bt_rehome(hv_t *hv, hv_vcpu_t *v, unsigned to)
{
    uint32_t pc;
    bool at_boundary = hv_bt_saved_pc(hv, v, &pc);
    SIM_ASSERT(at_boundary); /* the switch waits for one (hv_migrate.c) */
    hv_write32(hv, v->vmcb + CPU_VMCB_GUEST + CPU_VMCB_PC, pc); /* out of the TC, as it goes */
    unsigned blocks = v->bt.nblocks;
    uint8_t state[MMU_PAGE_SIZE];
    memcpy(state, hv->m->ram + v->bt.state, sizeof state);
    hv_bt_free(hv, v);
    SIM_ASSERT(hv_vm_host(hv, (unsigned)v->vm) == to);
    bool taken = hv_bt_setup(hv, v);
    SIM_ASSERT(taken); /* its frames were counted before the switch (hv_rehome_frames) */
    memcpy(hv->m->ram + v->bt.state, state, sizeof state);
    sim_ram_written(hv->m, v->bt.state, sizeof state);
    hv->vms[v->vm].bt_npages = 0; /* nothing is translated: no guest page is protected */
    return blocks;
}

void hv_bt_free(hv_t *hv, hv_vcpu_t *v)
{
    for (unsigned p = 0; p < HV_BT_TC_PAGES; p++) {
        if (v->bt.tc[p])
            hv_frame_free(hv, v->bt.tc[p]);
        if (v->bt.aux[p])
            hv_frame_free(hv, v->bt.aux[p]);
    }
    if (v->bt.state)
        hv_frame_free(hv, v->bt.state);
    if (v->bt.sites)
        hv_frame_free(hv, v->bt.sites);
    memset(&v->bt, 0, sizeof v->bt);
}

/* ------------------------------------------------------------------------------------------
 * Figures, and the guest pc of translated code (for debuggers: nothing charged)
 * ------------------------------------------------------------------------------------------ */
/* The map entry (guest pc | kind) of TC address tc of a VCPU whose pc the monitor put in the
 * TC at its last entry (its in_tc record: guest code of its own at those addresses, run in
 * virtual U, is not translated code), peeked, not charged. False for any other. */
static bool peek_map(const hv_t *hv, unsigned vm, unsigned vcpu, uint32_t tc, uint32_t *entry)
{
    if (vm >= HV_MAX_VMS || !hv->vms[vm].used || vcpu >= hv->vms[vm].nvcpus || !hv_bt_in_tc(tc))
        return false;
    const hv_vcpu_t *v = &hv->ent[hv->vms[vm].vcpu[vcpu]];
    uint32_t w = tc_word_of(tc), page = w / (MMU_PAGE_SIZE / 4);
    if (!v->bt.in_tc || !v->bt.aux[page] || w < TC_FIRST_BLOCK - 1)
        return false;
    *entry = cpu_vmcb_peek(&hv->m->cpu[0], v->bt.aux[page], 4 * (w % (MMU_PAGE_SIZE / 4)));
    return true;
}

bool hv_bt_guest_pc(const hv_t *hv, unsigned vm, unsigned vcpu, uint32_t tc, uint32_t *guest_pc)
{
    uint32_t entry;
    if (tc_word_of(tc) < TC_FIRST_BLOCK || !peek_map(hv, vm, vcpu, tc, &entry))
        return false;
    *guest_pc = entry & ~3u;
    return true;
}

hv_bt_entry_t hv_bt_entry_kind(const hv_t *hv, unsigned vm, unsigned vcpu, uint32_t at)
{
    uint32_t entry, next;
    if (!peek_map(hv, vm, vcpu, at, &entry))
        return HV_BT_ENTRY_TRAP;
    if (tc_word_of(at) == TC_GATE_EXIT)
        return HV_BT_ENTRY_CALL;
    unsigned kind = entry & 3u;
    if (kind == W_CALLOUT && hv_bt_site_adapted(hv, vm, entry & ~3u) &&
        peek_map(hv, vm, vcpu, at + 4, &next) && next == ((entry & ~3u) | W_INNER))
        return HV_BT_ENTRY_ADAPTED;
    return kind == W_CALLOUT || kind == W_EXIT ? HV_BT_ENTRY_CALL : HV_BT_ENTRY_TRAP;
}

void hv_bt_print_stats(const hv_t *hv, unsigned vm, FILE *out)
{
    const hv_bt_stats_t *s = &hv->vms[vm].stats.bt;
    char g[16][48];
    fprintf(
        out,
        "    binary translation: %s, instructions %s identical, %s inline (emulated in the TC: "
        "%s, %s, %s), %s; lookups %s "
        "(%s), inline jalr misses %s, chains %s, callouts taken %s (gate %s); invalidations "
        "%s, protected-page stores %s, TC flushes %s\n",
        sim_counted(s->blocks, "block", g[0], 48), sim_group_digits(s->insns_identical, g[1], 48),
        sim_group_digits(s->insns_inline, g[2], 48),
        sim_counted(s->inline_devices, "device register", g[13], 48),
        sim_counted(s->inline_csrs, "CSR", g[14], 48),
        sim_counted(s->inline_clocks, "clock read", g[15], 48),
        sim_counted(s->insns_callout, "callout", g[3], 48), sim_group_digits(s->lookups, g[4], 48),
        sim_counted(s->hits, "hit", g[5], 48), sim_group_digits(s->site_misses, g[6], 48),
        sim_group_digits(s->chains, g[7], 48), sim_group_digits(s->callouts, g[8], 48),
        sim_group_digits(s->gate_exits, g[9], 48), sim_group_digits(s->invalidations, g[10], 48),
        sim_group_digits(s->protected_writes, g[11], 48),
        sim_group_digits(s->tc_flushes, g[12], 48));
    if (s->adaptations || s->adapted_stores) /* adaptive BT: only with traces */
        fprintf(out,
                "    adaptive binary translation: %s (retranslated after %s each), %s done "
                "in the TC without a trap (%s to traced page tables)\n",
                sim_counted(s->adaptations, "store site", g[0], 48),
                sim_counted(hv->m->costs.c[SIM_COST_bt_adapt_traps], "trap", g[1], 48),
                sim_counted(s->adapted_stores, "adapted store", g[2], 48),
                sim_group_digits(s->adapted_traced, g[3], 48));
    if (s->restores) { /* cold migration: what the empty cache cost here (as live migration's) */
        uint64_t insns = s->insns_identical + s->insns_inline + s->insns_callout - s->restore_insns;
        fprintf(out,
                "    moved by vm restore: %s dropped at the save, %s of %s instructions translated "
                "here since (%s cycles)\n",
                sim_counted(s->restore_dropped, "translated block", g[0], 48),
                sim_counted(s->blocks - s->restore_blocks, "block", g[1], 48),
                sim_group_digits(insns, g[2], 48),
                sim_group_digits(insns * hv->m->costs.c[SIM_COST_bt_translate_insn], g[3], 48));
    }
    if (s->monitor_region) /* a guest reaching for its monitor's region: rare, said when seen */
        fprintf(out, "    the guest's accesses to the monitor's region, performed by it: %s\n",
                sim_group_digits(s->monitor_region, g[0], 48));
}
