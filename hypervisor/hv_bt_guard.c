/*
 * hv_bt_guard.c - the co-resident monitor's protection (cpu = bt): the guest may not reach
 * the monitor's pages, and still gets, at those addresses, what bare hardware would give it.
 *
 * Lecture idea: VMware's monitor lived in the top of the guest's own address space, so the
 * guest's own loads and stores could have reached it. It truncated the guest's segments below
 * itself: a guest access up there faulted (a segment-limit violation) into the monitor, which
 * emulated it against the guest's own page tables, while the translated code reached the
 * monitor's state through a segment of its own (%gs). hvsim's CPU does the same under the
 * VMCB control MONITOR (cpu.h, CPU_MONITOR_BASE): in U, a load or store whose base register
 * is not r0 takes a page fault at or above the monitor's base; absolute addressing ([r0 +
 * imm]) is the monitor's segment, which its inline sequences use.
 *
 * So every guest access to the top 4 MiB arrives here, one of two ways:
 *   - the truncated segment stopped it: a trap into the monitor (based access, kernel or user);
 *   - the translator saw it was absolute into the region ([r0 + negative imm]) and made it a
 *     callout (it cannot let it run: absolute accesses are not truncated).
 * Either way the monitor performs the access as the hardware would have without a monitor:
 * through the guest's own tables (their page fault if they refuse, a device register or a bus
 * error where no RAM is), with the guest's own register effects. Only the guest's VM can tell
 * that anything happened: by the time it took.
 *
 * The same performer serves the stores that hit a write-protected page of translated code
 * (hv_bt.c, hv_bt_protected_store), where the hypervisor already knows the host address.
 */
#include "hv_bt_internal.h"

/* What one memory instruction does: its address, size, direction and effect on sp. */
typedef struct {
    cpu_insn_t i;
    uint32_t va;
    unsigned size;
    bool store;
    int32_t sp_delta;
} access_t;

/* Decodes a memory instruction against the VCPU's registers. False for any other word. */
static bool decode_access(hv_t *hv, const hv_vcpu_t *v, uint32_t word, access_t *a)
{
    if (!cpu_decode(word, &a->i))
        return false;
    uint32_t sp = hv_guest_reg(hv, v, CPU_REG_SP);
    a->va = hv_guest_reg(hv, v, a->i.rs1) + (uint32_t)a->i.imm;
    a->sp_delta = 0;
    switch (a->i.op) {
    case CPU_OP_LD: a->size = 4, a->store = false; return true;
    case CPU_OP_LDH:
    case CPU_OP_LDHU: a->size = 2, a->store = false; return true;
    case CPU_OP_LDB:
    case CPU_OP_LDBU: a->size = 1, a->store = false; return true;
    case CPU_OP_ST: a->size = 4, a->store = true; return true;
    case CPU_OP_STH: a->size = 2, a->store = true; return true;
    case CPU_OP_STB: a->size = 1, a->store = true; return true;
    case CPU_OP_PUSH:
    case CPU_OP_PUSHF: a->va = sp - 4, a->size = 4, a->store = true, a->sp_delta = -4; return true;
    case CPU_OP_POP:
    case CPU_OP_POPF: a->va = sp, a->size = 4, a->store = false, a->sp_delta = 4; return true;
    default: return false;
    }
}

/* The loaded value as the instruction sees it (sign-extended for ldh and ldb). */
static uint32_t extend(cpu_op_t op, uint32_t raw)
{
    if (op == CPU_OP_LDH)
        return (uint32_t)(int32_t)(int16_t)raw;
    if (op == CPU_OP_LDB)
        return (uint32_t)(int32_t)(int8_t)raw;
    return raw;
}

/* The access at guest address gpa, host address hpa (RAM), charged word by word, with its
 * register effects. The CPU runs the guest in real U, so a popf takes Z N C V only, as it would
 * there. A store sets no D bit (the hypervisor makes it): a migration logs it. */
static void perform(hv_t *hv, hv_vcpu_t *v, const access_t *a, uint32_t gpa, uint32_t hpa)
{
    uint32_t shift = 8 * (hpa & 3u), old = hv_read32(hv, hpa & ~3u);
    uint32_t mask = a->size == 4 ? 0xffffffffu : ((1u << (8 * a->size)) - 1) << shift;
    uint32_t flags = hv_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
    if (a->store) {
        uint32_t value = a->i.op == CPU_OP_PUSHF ? flags : hv_guest_reg(hv, v, a->i.rd);
        hv_write32(hv, hpa & ~3u, (old & ~mask) | ((value << shift) & mask));
        hv_migrate_note_write(hv, (unsigned)v->vm, gpa, a->size);
    }
    if (a->sp_delta)
        hv_set_guest_reg(hv, v, CPU_REG_SP,
                         hv_guest_reg(hv, v, CPU_REG_SP) + (uint32_t)a->sp_delta);
    if (a->store)
        return;
    uint32_t value = extend(a->i.op, (old & mask) >> shift);
    if (a->i.op == CPU_OP_POPF)
        hv_set_guest_word(hv, v, CPU_VMCB_GUEST + CPU_VMCB_FLAGS,
                          (flags & ~CPU_FLAG_COND) | (value & CPU_FLAG_COND));
    else
        hv_set_guest_reg(hv, v, a->i.rd, value); /* after sp: `pop sp` loads sp */
}

bool hv_bt_perform(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t gpa, uint32_t hpa)
{
    access_t a;
    if (!decode_access(hv, v, word, &a))
        return false;
    perform(hv, v, &a, gpa, hpa);
    return true;
}

uint32_t hv_bt_emulate_access(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t *tval,
                              uint32_t *stored_gpa, bool *code_written)
{
    access_t a;
    uint32_t gpa, hpa;
    *code_written = false;
    *stored_gpa = HV_BT_NO_GPA;
    if (!decode_access(hv, v, word, &a)) {
        *tval = word;
        return CPU_CAUSE_ILLEGAL;
    }
    *tval = a.va;
    if (a.va & (a.size - 1))
        return CPU_CAUSE_MISALIGNED;
    if (!hv_shadow_translate(hv, v, a.va, a.store ? MMU_STORE : MMU_LOAD, &gpa))
        return a.store ? CPU_CAUSE_STORE_PAGE_FAULT : CPU_CAUSE_LOAD_PAGE_FAULT;
    if (!hv_gpa_to_hpa(hv, (unsigned)v->vm, gpa, true, &hpa))
        return hv_emulate_mmio(hv, v, word, gpa, CPU_EXIT_EXCEPTION) ? 0 : CPU_CAUSE_BUS_ERROR;
    perform(hv, v, &a, gpa, hpa);
    if (a.store)
        *stored_gpa = gpa;
    if (a.store && hv_bt_page_protected(hv, (unsigned)v->vm, gpa))
        *code_written = hv_bt_code_written(hv, v, gpa, a.size);
    return 0;
}

/* The guest's access into the monitor's region, performed as bare hardware would (counted). */
static uint32_t emulate(hv_t *hv, hv_vcpu_t *v, uint32_t word, uint32_t *tval, bool *code_written)
{
    uint32_t gpa;
    hv_bt_stats(hv, v)->monitor_region++;
    return hv_bt_emulate_access(hv, v, word, tval, &gpa, code_written);
}

/* A callout for the guest's absolute access into the region (the translator's choice): done
 * and the pc past it, or the guest's fault delivered. */
void hv_bt_guard_callout(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t word)
{
    uint32_t tval;
    bool code_written;
    uint32_t cause = emulate(hv, v, word, &tval, &code_written);
    if (cause)
        hv_trap_reflect(hv, v, cause, tval);
    else
        hv_move_guest_pc(hv, v, gva, gva + 4);
}

/* True for an access the truncated segment stops: at or above the monitor, not absolute. */
bool hv_bt_truncated(uint32_t word, uint32_t va)
{
    cpu_insn_t i;
    return va >= HV_BT_REGION && cpu_decode(word, &i) &&
           (i.op == CPU_OP_PUSH || i.op == CPU_OP_PUSHF || i.op == CPU_OP_POP ||
            i.op == CPU_OP_POPF || i.rs1 != 0);
}

/*
 * A page fault of a bt VCPU at va (a load or store). When the truncated segment raised it,
 * the monitor performs the access (true, *verdict what became of it: emulated, the pc moved
 * on; or the guest's own fault or bus error, to deliver at the guest pc). False when it is
 * no concern of the segment (an ordinary shadow fault, or the monitor's own first touch of
 * its state page).
 */
bool hv_bt_segment_fault(hv_t *hv, hv_vcpu_t *v, uint32_t va, hv_shadow_verdict_t *verdict)
{
    uint32_t word, tval;
    if (va < HV_BT_REGION || !hv_bt_faulting_word(hv, v, &word) || !hv_bt_truncated(word, va))
        return false;
    bool code_written;
    uint32_t cause = emulate(hv, v, word, &tval, &code_written);
    if (cause == CPU_CAUSE_BUS_ERROR) {
        *verdict = HV_SHADOW_BUS_ERROR;
    } else if (cause) {
        *verdict = HV_SHADOW_GUEST_FAULT;
    } else {
        hv_bt_go_on(hv, v, code_written);
        *verdict = HV_SHADOW_EMULATED;
    }
    return true;
}
