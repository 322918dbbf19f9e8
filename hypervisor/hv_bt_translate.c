/*
 * hv_bt_translate.c - the binary translator: one guest basic block into the translation cache
 * (hv_bt.c has the lecture: what is translated how, and why).
 *
 * A block is read through the guest's own translation, at most BLOCK_MAX instructions, never
 * across a page. Each instruction becomes:
 *   - itself, copied (most of them: ALU, loads and stores, cmp, push and pop, syscall, ...);
 *   - an inline sequence on the state page (cli, sti, pushf, popf, rdmode, the plain CSRs,
 *     csrr and csrw im, `in` of the UART's status, csrr of the clock and the virtual timer):
 *     inline emulation, counted per site;
 *   - a callout, a brk the hypervisor recognises (iret, halt, in, out, the TLB, other CSRs),
 *     which ends the block;
 *   - for jalr: an inline lookup in the site's target cache, with a callout when it misses;
 *   - for a direct branch or jal: block exits, brk words that the first use chains.
 */
#include "hv_bt_internal.h"

/* ------------------------------------------------------------------------------------------
 * The translator
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    hv_t *hv;
    hv_vcpu_t *v;
    uint32_t at; /* the next TC word */
    uint32_t pc; /* the guest pc being translated */
    bool first;  /* the next word is the instruction's first */
} emitter_t;

static void emit(emitter_t *e, uint32_t insn)
{
    hv_bt_put_word(e->hv, e->v, e->at++, insn, e->pc, e->first ? W_INSN : W_INNER);
    e->first = false;
}

static void emit_kind(emitter_t *e, uint32_t insn, uint32_t guest_pc, unsigned kind)
{
    hv_bt_put_word(e->hv, e->v, e->at++, insn, guest_pc, kind);
    e->first = false;
}

/* The gate after an inline sti or popf (ST_GATE) or csrw im (ST_GATE_ANY): r1 is spilled
 * already; it comes back restored. */
static void emit_gate_at(emitter_t *e, uint32_t gate)
{
    emit(e, LD_STATE(1, gate));
    emit(e, hv_bt_encode(CPU_OP_JALR, 1, 1, 0, 0));
    emit(e, LD_STATE(1, ST_SPILL1));
}

static void emit_gate(emitter_t *e)
{
    emit_gate_at(e, ST_GATE);
}

/* r1 = VFLAGS with IE cleared (andi_mask = ~IE) or set (ori), stored back. */
static void emit_set_ie(emitter_t *e, bool on)
{
    emit(e, ST_STATE(1, ST_SPILL1));
    emit(e, LD_STATE(1, ST_VFLAGS));
    emit(e, on ? hv_bt_encode(CPU_OP_ORI, 1, 1, 0, CPU_FLAG_IE)
               : hv_bt_encode(CPU_OP_ANDI, 1, 1, 0, (int32_t)(0xffffu & ~CPU_FLAG_IE)));
    emit(e, ST_STATE(1, ST_VFLAGS));
}

/* pushf: the real pushf, then the word on the stack gets the virtual MODE and IE. */
static void emit_pushf(emitter_t *e)
{
    /* LAB 2 BEGIN: pushf: a real pushf, then the virtual MODE and IE into the pushed word */
    emit(e, hv_bt_encode(CPU_OP_PUSHF, 0, 0, 0, 0));
    emit(e, ST_STATE(1, ST_SPILL1));
    emit(e, ST_STATE(2, ST_SPILL2));
    emit(e, hv_bt_encode(CPU_OP_LD, 1, CPU_REG_SP, 0, 0));
    emit(e, hv_bt_encode(CPU_OP_ANDI, 1, 1, 0, CPU_FLAG_COND));
    emit(e, LD_STATE(2, ST_VFLAGS));
    emit(e, hv_bt_encode(CPU_OP_OR, 1, 1, 2, 0));
    emit(e, hv_bt_encode(CPU_OP_ST, 1, CPU_REG_SP, 0, 0));
    emit(e, LD_STATE(2, ST_SPILL2));
    emit(e, LD_STATE(1, ST_SPILL1));
    /* LAB 2 STUB: hv_lab_missing(e->hv, e->v, 2, "emit_pushf"); */
    /* LAB 2 END */
}

/* popf: the popped word's IE becomes the virtual IE; a real popf sets Z N C V and sp. The
 * guest's stack is read first, so that a fault there leaves nothing half done. */
static void emit_popf(emitter_t *e)
{
    /* LAB 2 BEGIN: popf: the popped word's IE into the virtual flags, a real popf, the gate */
    emit(e, ST_STATE(1, ST_SPILL1));
    emit(e, hv_bt_encode(CPU_OP_LD, 1, CPU_REG_SP, 0, 0));
    emit(e, hv_bt_encode(CPU_OP_ANDI, 1, 1, 0, CPU_FLAG_IE));
    emit(e, ST_STATE(2, ST_SPILL2));
    emit(e, LD_STATE(2, ST_VFLAGS));
    emit(e, hv_bt_encode(CPU_OP_ANDI, 2, 2, 0, (int32_t)(0xffffu & ~CPU_FLAG_IE)));
    emit(e, hv_bt_encode(CPU_OP_OR, 2, 2, 1, 0));
    emit(e, ST_STATE(2, ST_VFLAGS));
    emit(e, LD_STATE(2, ST_SPILL2));
    emit(e, hv_bt_encode(CPU_OP_POPF, 0, 0, 0, 0));
    emit_gate(e);
    /* LAB 2 STUB: hv_lab_missing(e->hv, e->v, 2, "emit_popf"); */
    /* LAB 2 END */
}

/* rd = the virtual mode, from VFLAGS. */
static void emit_rdmode(emitter_t *e, unsigned rd)
{
    /* LAB 2 BEGIN: rdmode: rd = the virtual mode, from the state page's VFLAGS */
    emit(e, LD_STATE(rd, ST_VFLAGS));
    emit(e, hv_bt_encode(CPU_OP_SHRI, rd, rd, 0, CPU_FLAG_MODE_SHIFT));
    emit(e, hv_bt_encode(CPU_OP_ANDI, rd, rd, 0, 3));
    /* LAB 2 STUB: (void)rd; */
    /* LAB 2 STUB: hv_lab_missing(e->hv, e->v, 2, "emit_rdmode"); */
    /* LAB 2 END */
}

static bool plain_csr(int32_t csr)
{
    return csr >= CPU_CSR_TVEC && csr <= CPU_CSR_SCRATCH;
}

/* csrw im: the interrupt mask a VMM need not intercept (VT did not exit on cr8 writes). The
 * new mask goes to the state page; then the gate, which goes out to the monitor when any
 * line is raised: the new mask may have enabled it. */
static void emit_csrw_im(emitter_t *e, unsigned rs1)
{
    emit(e, ST_STATE(rs1, ST_CSR(CPU_CSR_IM)));
    emit(e, ST_STATE(1, ST_SPILL1));
    emit_gate_at(e, ST_GATE_ANY);
}

/* `in rd, [r0 + port]` of the UART's status register: the monitor's copy on the state page
 * (ST_UART_STATUS). Other ports, and a port in a register, are callouts. */
static bool uart_status_read(const cpu_insn_t *i)
{
    return i->op == CPU_OP_IN && i->rs1 == 0 && i->imm == SIM_UART_PORT + 1;
}

/*
 * csrr rd, timer: the virtual timer's countdown, deadline - now, from the monitor's copy of
 * the timer (ST_TIMER_*) and the clock, which the monitor's own code may read (cpu.h,
 * control MONITOR). No flag is touched: the countdown is masked to 0 once it passes the value
 * last written (the deadline has gone by, or the timer is off: value 0). t is a scratch
 * register other than rd, spilled.
 */
static void emit_timer_read(emitter_t *e, unsigned rd)
{
    unsigned t = rd == 1 ? 2 : 1;
    emit(e, ST_STATE(t, ST_SPILL1));
    emit(e, hv_bt_encode(CPU_OP_CSRR, rd, 0, 0, CPU_CSR_CYCLE));
    emit(e, LD_STATE(t, ST_TIMER_DEADLINE));
    emit(e, hv_bt_encode(CPU_OP_SUB, rd, t, rd, 0));
    emit(e, LD_STATE(t, ST_TIMER_VALUE));
    emit(e, hv_bt_encode(CPU_OP_SLTU, t, t, rd, 0)); /* 1: past the deadline, or off */
    emit(e, hv_bt_encode(CPU_OP_ADDI, t, t, 0, -1)); /* all ones while it runs, else 0 */
    emit(e, hv_bt_encode(CPU_OP_AND, rd, rd, t, 0));
    emit(e, LD_STATE(t, ST_SPILL1));
}

/* The clock and the virtual timer, read inline (Adams and Agesen's rdtsc, emulated in the
 * TC): `csrr cycle` and `cycleh` run as they are in the monitor's code, `csrr timer`
 * computes the countdown. */
static bool emit_clock_read(emitter_t *e, const cpu_insn_t *i)
{
    if (i->op != CPU_OP_CSRR ||
        (i->imm != CPU_CSR_CYCLE && i->imm != CPU_CSR_CYCLEH && i->imm != CPU_CSR_TIMER))
        return false;
    if (i->rd == 0)
        emit(e, hv_bt_encode(CPU_OP_NOP, 0, 0, 0, 0));
    else if (i->imm == CPU_CSR_TIMER)
        emit_timer_read(e, i->rd);
    else
        emit(e, hv_bt_encode(CPU_OP_CSRR, i->rd, 0, 0, i->imm));
    hv_bt_stats(e->hv, e->v)->inline_clocks++;
    return true;
}

/* A site emulated inline that a VMM would otherwise emulate (a device register, an
 * unintercepted CSR): counted, as Adams and Agesen's in-TC emulation. */
static bool emit_inline_emulation(emitter_t *e, const cpu_insn_t *i)
{
    hv_bt_stats_t *s = hv_bt_stats(e->hv, e->v);
    if (uart_status_read(i)) {
        emit(e,
             i->rd == 0 ? hv_bt_encode(CPU_OP_NOP, 0, 0, 0, 0) : LD_STATE(i->rd, ST_UART_STATUS));
        s->inline_devices++;
        return true;
    }
    if (i->op == CPU_OP_CSRR && i->imm == CPU_CSR_IM) {
        emit(e, i->rd == 0 ? hv_bt_encode(CPU_OP_NOP, 0, 0, 0, 0)
                           : LD_STATE(i->rd, ST_CSR(CPU_CSR_IM)));
        s->inline_csrs++;
        return true;
    }
    if (i->op == CPU_OP_CSRW && i->imm == CPU_CSR_IM) {
        emit_csrw_im(e, i->rs1);
        s->inline_csrs++;
        return true;
    }
    return emit_clock_read(e, i);
}

/* A sensitive instruction with an inline translation: emits it, true. */
static bool emit_inline(emitter_t *e, const cpu_insn_t *i)
{
    switch (i->op) {
    case CPU_OP_CLI:
        emit_set_ie(e, false);
        emit(e, LD_STATE(1, ST_SPILL1));
        return true;
    case CPU_OP_STI:
        emit_set_ie(e, true);
        emit_gate(e);
        return true;
    case CPU_OP_PUSHF: emit_pushf(e); return true;
    case CPU_OP_POPF: emit_popf(e); return true;
    case CPU_OP_RDMODE:
        if (i->rd == 0)
            emit(e, hv_bt_encode(CPU_OP_NOP, 0, 0, 0, 0));
        else
            emit_rdmode(e, i->rd);
        return true;
    case CPU_OP_CSRR:
        if (i->imm != CPU_CSR_STATUS && !plain_csr(i->imm))
            return false;
        emit(e, i->rd == 0
                    ? hv_bt_encode(CPU_OP_NOP, 0, 0, 0, 0)
                    : LD_STATE(i->rd, i->imm == CPU_CSR_STATUS ? ST_VFLAGS : ST_CSR(i->imm)));
        return true;
    case CPU_OP_CSRW:
        if (!plain_csr(i->imm))
            return false;
        emit(e, ST_STATE(i->rs1, ST_CSR(i->imm)));
        return true;
    default: return false;
    }
}

static bool is_branch(cpu_op_t op)
{
    return op >= CPU_OP_B && op <= CPU_OP_BLEU;
}

/* An absolute load or store ([r0 + imm]) into the monitor's region: the hardware does not
 * truncate absolute addressing (it is the monitor's own segment), so the monitor performs it
 * (hv_bt_guard.c). */
static bool absolute_into_monitor(const cpu_insn_t *i)
{
    bool access = i->op >= CPU_OP_LD && i->op <= CPU_OP_STB;
    return access && i->rs1 == 0 && (uint32_t)i->imm >= HV_BT_REGION;
}

/* Needs the hypervisor: a callout that ends the block. */
static bool needs_callout(const cpu_insn_t *i)
{
    return (cpu_isa[i->op].cls & CPU_CLASS_PRIV) || i->op == CPU_OP_JALR ||
           absolute_into_monitor(i);
}

/* rd = the constant c (two words). */
static void emit_constant(emitter_t *e, unsigned rd, uint32_t c)
{
    emit(e, hv_bt_encode(CPU_OP_LUI, rd, 0, 0, (int32_t)(c >> 16)));
    emit(e, hv_bt_encode(CPU_OP_ORI, rd, rd, 0, (int32_t)(c & 0xffffu)));
}

/*
 * jalr rd, rs1, imm with an inline lookup in the site's target cache (VMware's translator did
 * its indirect jumps inline too). r1 and r2 are spilled; r1 = the guest target; the link goes
 * to rd (or to its spill slot when rd is r1 or r2); r2 = 0 if the cached tag is the target,
 * all ones if not, computed without flags (sub, sltu, sub); r1 = HIT + (r2 & (MISS - HIT)):
 * the cached translation's indirect entry (which reloads r1) or the miss callout. No flag is
 * touched, and every access to the site page is absolute ([r0 + imm]): the hardware truncates
 * the guest's other accesses below the monitor (hv_bt_guard.c).
 */
static void emit_jalr_site(emitter_t *e, const cpu_insn_t *i, unsigned site)
{
    emit(e, ST_STATE(1, ST_SPILL1));
    emit(e, ST_STATE(2, ST_SPILL2));
    emit(e, hv_bt_encode(CPU_OP_ADDI, 1, i->rs1, 0, i->imm));
    emit(e, ST_STATE(1, ST_TARGET));
    if (i->rd == 1 || i->rd == 2) {
        emit_constant(e, 2, e->pc + 4);
        emit(e, ST_STATE(2, i->rd == 1 ? ST_SPILL1 : ST_SPILL2));
    } else if (i->rd) {
        emit_constant(e, i->rd, e->pc + 4);
    }
    emit(e, hv_bt_encode(CPU_OP_LD, 2, 0, 0, R0_SITE(SITE_TAG(site))));
    emit(e, hv_bt_encode(CPU_OP_SUB, 2, 2, 1, 0));
    emit(e, hv_bt_encode(CPU_OP_SLTU, 2, 0, 2, 0));
    emit(e, hv_bt_encode(CPU_OP_SUB, 2, 0, 2, 0));
    emit(e, hv_bt_encode(CPU_OP_LD, 1, 0, 0, R0_SITE(SITE_DIFF(site))));
    emit(e, hv_bt_encode(CPU_OP_AND, 1, 1, 2, 0));
    emit(e, hv_bt_encode(CPU_OP_LD, 2, 0, 0, R0_SITE(SITE_HIT(site))));
    emit(e, hv_bt_encode(CPU_OP_ADD, 1, 1, 2, 0));
    emit(e, LD_STATE(2, ST_SPILL2));
    emit(e, hv_bt_encode(CPU_OP_JALR, 0, 1, 0, 0));
    uint32_t stub = e->at;
    emit_kind(e, BRK, e->pc, W_CALLOUT); /* the miss callout */
    e->v->bt.site_stub[site] = (uint16_t)stub;
    /* Until a target is cached, even a "hit" (a target equal to the empty tag) misses. */
    hv_bt_site_cache(e->hv, e->v, site, true, 0, hv_bt_tc_va(stub));
}

/* Ends the block after it: control leaves, or a trap's return starts a new block. */
static bool ends_block(const cpu_insn_t *i)
{
    return is_branch(i->op) || i->op == CPU_OP_JAL || needs_callout(i) || i->op == CPU_OP_SYSCALL ||
           i->op == CPU_OP_BRK;
}

/* Translates the guest instruction `word` at e->pc. Returns true when it ends the block. */
static bool translate_insn(emitter_t *e, uint32_t word)
{
    hv_bt_stats_t *s = hv_bt_stats(e->hv, e->v);
    cpu_insn_t i;
    e->first = true;
    hv_charge(e->hv, SIM_COST_bt_translate_insn);
    if (!cpu_decode(word, &i)) {
        emit(e, word); /* illegal: it traps as it would have, at its own guest pc */
        s->insns_identical++;
        return false;
    }
    if (is_branch(i.op)) {
        if (i.op != CPU_OP_B) /* taken: skip the fall-through exit to the target's exit */
            emit(e, hv_bt_encode(i.op, 0, 0, 0, 8));
        if (i.op != CPU_OP_B)
            emit_kind(e, BRK, e->pc + 4, W_EXIT);
        emit_kind(e, BRK, e->pc + (uint32_t)i.imm, W_EXIT);
        s->insns_identical++;
        return true;
    }
    if (i.op == CPU_OP_JAL) { /* rd gets the guest's return address, not the TC's */
        uint32_t ret = e->pc + 4;
        if (i.rd) {
            emit(e, hv_bt_encode(CPU_OP_LUI, i.rd, 0, 0, (int32_t)(ret >> 16)));
            emit(e, hv_bt_encode(CPU_OP_ORI, i.rd, i.rd, 0, (int32_t)(ret & 0xffffu)));
        }
        emit_kind(e, BRK, e->pc + (uint32_t)i.imm, W_EXIT);
        s->insns_inline++;
        return true;
    }
    if (emit_inline(e, &i) || emit_inline_emulation(e, &i)) {
        s->insns_inline++;
        return false;
    }
    if (i.op == CPU_OP_JALR && e->v->bt.nsites < HV_BT_SITES) {
        emit_jalr_site(e, &i, e->v->bt.nsites++);
        s->insns_inline++;
        return true;
    }
    if (needs_callout(&i)) {
        /* LAB 2 BEGIN: privileged: a callout (a brk the hypervisor knows) ends the block */
        emit_kind(e, BRK, e->pc, W_CALLOUT);
        s->insns_callout++;
        return true;
        /* LAB 2 STUB: return !hv_lab_missing(e->hv, e->v, 2, "translate_insn: the callout"); */
        /* LAB 2 END */
    }
    if (hv_bt_adapted_site(e->hv, (unsigned)e->v->vm, e->pc, word)) {
        emit_kind(e, BRK, e->pc, W_CALLOUT); /* adaptive BT: the store's in-TC sequence */
        emit(e, word);
        s->insns_inline++;
        return false;
    }
    emit(e, word);
    s->insns_identical++;
    if (!ends_block(&i))
        return false;
    emit_kind(e, BRK, e->pc + 4, W_EXIT); /* syscall, brk: their trap's pc maps here */
    return true;
}

/*
 * Emits the translation of the guest code at gva (host address hpa) into the TC, flushing the
 * TC first when it may not fit. Returns its TC address (0: no frame is left for the TC, the VM
 * crashed) and, in *n, the guest instructions it covers.
 */
static uint32_t emit_block(hv_t *hv, hv_vcpu_t *v, uint32_t gva, uint32_t hpa, unsigned *n)
{
    hv_bt_t *bt = &v->bt;
    if (bt->nblocks == HV_BT_MAX_BLOCKS || bt->tc_used + BLOCK_MAX * WORDS_MAX > TC_WORDS) {
        hv_bt_flush_tc(hv, v);
        hv_bt_stats(hv, v)->tc_flushes++;
    }
    if (!hv_bt_tc_reserve(hv, v, bt->tc_used + BLOCK_MAX * WORDS_MAX)) {
        hv_vm_crash(hv, (unsigned)v->vm, "no free frame is left for the translation cache");
        return 0;
    }
    /* The indirect entry: an inline jalr's hit jumps here with r1 still spilled. */
    hv_bt_put_word(hv, v, bt->tc_used, LD_STATE(1, ST_SPILL1), gva, W_INNER);
    emitter_t e = {.hv = hv, .v = v, .at = bt->tc_used + 1, .pc = gva};
    uint32_t start = e.at;
    *n = 0;
    for (;;) {
        bool end = translate_insn(&e, hv_read32(hv, hpa + 4 * *n));
        e.pc += 4;
        ++*n;
        if (end)
            break;
        if (*n == BLOCK_MAX || (e.pc & MMU_PAGE_OFFSET) == 0) { /* never across a page */
            emit_kind(&e, BRK, e.pc, W_EXIT);
            break;
        }
    }
    bt->tc_used = e.at;
    hv_bt_stats(hv, v)->blocks++;
    return hv_bt_tc_va(start);
}

/*
 * Translates the block at guest pc gva into the TC. Returns its TC address, or 0 when the
 * guest's own tables do not let its kernel fetch gva (the caller reflects the fault).
 */
uint32_t hv_bt_translate_block(hv_t *hv, hv_vcpu_t *v, uint32_t gva)
{
    uint32_t gpa, hpa;
    unsigned n;
    if (!hv_shadow_translate(hv, v, gva, MMU_FETCH, &gpa) ||
        !hv_gpa_to_hpa(hv, (unsigned)v->vm, gpa, true, &hpa))
        return 0;
    uint32_t tc = emit_block(hv, v, gva, hpa, &n);
    if (!tc)
        return 0;
    hv_bt_t *bt = &v->bt;
    bt->block[bt->nblocks] =
        (hv_bt_block_t){.gva = gva, .gpa = gpa, .tc = tc, .ninsns = (uint16_t)n};
    hv_bt_index_block(bt, bt->nblocks++);
    hv_bt_protect_page(hv, v, gpa);
    hv_emit(hv, SIM_HV_BT_TRANSLATE, v->vm, v->index, gva);
    return tc;
}

/*
 * Block b is translated again (its code read where it was, gpa), and its old translation's
 * first word becomes a branch to the new one, so that what was chained to it, and the
 * indirect entry before it, reach the new code; code running in the old translation goes on
 * there. False when the TC had to be flushed for it (every translation went) or the VM
 * crashed.
 */
bool hv_bt_retranslate_block(hv_t *hv, hv_vcpu_t *v, unsigned b)
{
    hv_bt_t *bt = &v->bt;
    uint32_t generation = bt->generation, old = bt->block[b].tc, hpa;
    unsigned n;
    if (!hv_gpa_to_hpa(hv, (unsigned)v->vm, bt->block[b].gpa, true, &hpa))
        return false;
    uint32_t tc = emit_block(hv, v, bt->block[b].gva, hpa, &n);
    if (!tc || bt->generation != generation)
        return false;
    hv_bt_patch_word(hv, v, old, hv_bt_encode(CPU_OP_B, 0, 0, 0, (int32_t)(tc - old)));
    bt->block[b].tc = tc;
    hv_emit(hv, SIM_HV_BT_TRANSLATE, v->vm, v->index, bt->block[b].gva);
    return true;
}
