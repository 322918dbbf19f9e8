/*
 * cpu_exec.c - the interpreter: fetch, decode, execute, count cycles.
 *
 * cpu_run is the step function with a budget. Its inner loop, run_block, keeps pc, cycles and
 * the instruction count in locals and runs straight-line until a limit (the budget or the next
 * timer tick) or until an instruction changes something the loop must look at (privilege,
 * interrupt enable, a device). Faults record their cause and leave through one label, where
 * the trap is entered at the instruction boundary; the faulting instruction changes nothing.
 *
 * The loop is written against a few macros (FETCH, DISPATCH, CASE, NEXT) so that the shape of
 * an interpreter is visible: one dispatch per instruction, cycle accounting as one addition a
 * block (charged when it is entered, see SAVE), and the debugger behind one flag test at the
 * end of each block. Its body is cpu_exec_loop.h, compiled once for each of five copies (see
 * there); the memory accesses' macros are in cpu_exec_mem.h.
 */
#include <string.h>

#include "cpu_internal.h"
#include "cpu_exec_mem.h"
#include "../sim/sim.h"

void cpu_reset(cpu_t *cpu, struct sim_machine *mach, uint8_t id, uint32_t reset_pc)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->mach = mach;
    cpu->s.id = id;
    cpu->s.pc = reset_pc;
    cpu->s.flags = (uint32_t)CPU_MODE_K << CPU_FLAG_MODE_SHIFT;
    cpu->s.csr[CPU_CSR_IM] = (1u << CPU_IRQ_LINES) - 1;
    mmu_config_t defaults = MMU_CONFIG_DEFAULT;
    mmu_init(&cpu->mmu, mach ? &mach->mmu_config : &defaults);
}

/* Per-opcode data the hot loop reads, built from the ISA table. */
static const uint8_t base_cycles[256] = {
#define CPU_X_CYC(name, mn, opc, a, b, c, cyc, cls, sum) [opc] = cyc,
    CPU_ISA(CPU_X_CYC)
#undef CPU_X_CYC
};

static uint32_t zero_mask[256];
/* 1 for the instructions that load or store through a translation: an instruction run alone
 * is charged its TLB hit in advance, as a block's are. */
static uint8_t data_refs[256];
/* The end of no block: where the loop goes when a block ends early, and where it starts. */
static const cpu_decoded_t no_block = {.opc = CPU_OPC_BLOCK_END};

static void build_tables(void)
{
    static bool built;
    if (built)
        return;
    for (int i = 0; i < CPU_OP_COUNT; i++)
        zero_mask[cpu_isa[i].opcode] = cpu_isa[i].zero_mask;
    /* No instruction has a block end's opcode: a word with one is illegal at the zero-mask
     * check, before the switch could take it for the end of a block (and loop on it). */
    for (unsigned opc = 0; opc < 256; opc++)
        if (CPU_OPC_IS_PSEUDO(opc))
            zero_mask[opc] = ~0u;
    for (unsigned opc = 0; opc < 256; opc++)
        data_refs[opc] = cpu_opc_accesses_memory(opc);
    built = true;
}

/* The rare side of a test in the hot loop (a slow path, a fault, the debugger): told to the
 * compiler, which then keeps the hot path's values in registers and spills around the calls
 * of the rare side instead. */
#define RARELY(cond) __builtin_expect(!!(cond), 0)

/* Why a block ended early. */
enum { BLOCK_LIMIT, BLOCK_RESCAN, BLOCK_DEBUG, BLOCK_NESTED_FAULT, BLOCK_VMEXIT };

static uint32_t cpuid_leaf(const cpu_t *cpu, uint32_t leaf)
{
    switch (leaf) {
    case 0: return CPU_CPUID_VENDOR;
    case 1: return 0; /* bare hardware: no hypervisor bit */
    case 2: return cpu->mach->ncpus;
    default: return 0;
    }
}

/* The condition flags Z N C V of a - b (see FLAGS in docs/isa.md). */
static inline uint32_t compare_cond(uint32_t a, uint32_t b)
{
    /* The host's own subtraction sets the same four flags: asking for its overflow and
     * borrow lets the compiler read them from one host `sub` (cmp) instead of working them
     * out with shifts and masks. */
    int32_t res;
    uint32_t v = __builtin_sub_overflow((int32_t)a, (int32_t)b, &res);
    uint32_t z = res == 0, n = res < 0, c = a < b;
    return z * CPU_FLAG_Z | n * CPU_FLAG_N | c * CPU_FLAG_C | v * CPU_FLAG_V;
}

/* ------------------------------------------------------------------------------------------
 * The hot loop
 * ------------------------------------------------------------------------------------------ */
/* Prepayment. A block is charged when it is entered, all at once: its instructions' base
 * cycles and count, and with paging on a TLB hit for each fetch, load and store. The part of
 * the instructions not yet begun (from block_insn on: their rest_* fields sum it), and the base
 * cycles and count of the one that runs (`in`, which retires at its end), is paid in advance:
 * SAVE leaves it out of the state it stores, RESTORE puts it back in the locals and LEAVE_BLOCK
 * refunds it when the block ends early, so that every figure anyone reads is what the
 * one-at-a-time loop would show there. An instruction run alone is charged the same way when it
 * has been fetched. A load or store that does not hit in the translation cache, or faults
 * before its access, hands its prepaid hit back (UNCHARGE_ACCESS) and pays what the TLB says. */
#define REST_CYCLES()                                                                              \
    (block_insn->rest_cycles + (paged ? (uint64_t)block_insn->rest_refs * tlb_hit_cost : 0))
#define PREPAID_CYCLES(retired) (REST_CYCLES() + ((retired) ? 0u : base_cycles[in->opc]))
#define PREPAID_COUNT(retired)                                                                     \
    (block_insn->rest_n + ((retired) ? 0u : in->opc != CPU_OPC_BLOCK_END))
/* The state as the one-at-a-time loop would have it: during an instruction (SAVE), or after
 * the one that ran retired (SAVE_RETIRED: it will not retire again). The condition flags Z N C
 * V live in locals too (`cond`, or a compare's values: see COMPARE), stored here. RESTORE need
 * not load them again: nothing the loop calls and then goes on after (the TLB and the walker,
 * a device) changes them; what does (trap entry, a VM exit or entry, iret) ends the loop, and
 * the debugger's hooks, which may, are followed by a load of their own. */
#define SAVE_LESS(pre_cycles, pre_count)                                                           \
    do {                                                                                           \
        s->pc = pc;                                                                                \
        COND_NOW();                                                                                \
        s->flags = (s->flags & ~CPU_FLAG_COND) | cond;                                             \
        s->cycles = cycles - (pre_cycles);                                                         \
        s->instret = instret - (pre_count);                                                        \
        if (paged) {                                                                               \
            cpu->mmu.stats.hits += fast_hits - block_insn->rest_refs;                              \
            fast_hits = block_insn->rest_refs;                                                     \
        }                                                                                          \
    } while (0)
#define SAVE() SAVE_LESS(PREPAID_CYCLES(false), PREPAID_COUNT(false))
#define SAVE_RETIRED() SAVE_LESS(PREPAID_CYCLES(true), PREPAID_COUNT(true))
#define RESTORE_MORE(pre_cycles, pre_count)                                                        \
    do {                                                                                           \
        pc = s->pc;                                                                                \
        cycles = s->cycles + (pre_cycles);                                                         \
        instret = s->instret + (pre_count);                                                        \
    } while (0)
#define RESTORE() RESTORE_MORE(PREPAID_CYCLES(false), PREPAID_COUNT(false))
/* A call that reads or changes the CPU's state, in the middle of an instruction: SAVE before
 * it and RESTORE after, with the prepayment worked out once. */
#define SAVED_CALL(call)                                                                           \
    do {                                                                                           \
        const uint64_t pre_c_ = PREPAID_CYCLES(false), pre_n_ = PREPAID_COUNT(false);             \
        SAVE_LESS(pre_c_, pre_n_);                                                                 \
        call;                                                                                      \
        RESTORE_MORE(pre_c_, pre_n_);                                                              \
    } while (0)
/* The block ends after this instruction: the rest of it is refunded. */
#define LEAVE_BLOCK()                                                                              \
    do {                                                                                           \
        cycles -= REST_CYCLES();                                                                   \
        instret -= block_insn->rest_n;                                                             \
        fast_hits -= block_insn->rest_refs;                                                        \
        block_insn = &no_block;                                                                    \
    } while (0)
/* A load or store that will not take the TLB hit prepaid for it. */
#define UNCHARGE_ACCESS()                                                                          \
    do {                                                                                           \
        if (paged) {                                                                               \
            cycles -= tlb_hit_cost;                                                                \
            fast_hits--;                                                                           \
        }                                                                                          \
    } while (0)
#define FAULT(c, v)                                                                                \
    do {                                                                                           \
        cause = (c);                                                                               \
        tval = (v);                                                                                \
        goto fault;                                                                                \
    } while (0)
/* Fetches come from one code page for long stretches: while pc stays on the page of the last
 * fetch, its frame (a TLB entry's, kept in locals) serves without a lookup, at the cost of a
 * TLB hit as before. fetch_vpn is forgotten whenever the TLB may have changed. */
#define NO_PAGE 0xffffffffu
#define FETCH()                                                                                    \
    do {                                                                                           \
        uint32_t p_ = pc;                                                                          \
        if (pc & 3)                                                                                \
            FAULT(CPU_CAUSE_MISALIGNED, pc);                                                       \
        if (!paged) {                                                                              \
        } else if ((pc >> MMU_PAGE_SHIFT) == fetch_vpn) {                                          \
            p_ = fetch_frame | (pc & MMU_PAGE_OFFSET);                                             \
            cycles += tlb_hit_cost;                                                                \
            fast_hits++;                                                                           \
        } else {                                                                                   \
            if (mmu_fast_lookup(&cpu->mmu, MMU_FETCH, pc, user, &p_)) {                            \
                cycles += tlb_hit_cost;                                                            \
                fast_hits++;                                                                       \
            } else {                                                                               \
                TRANSLATE_SLOW(pc, MMU_FETCH, p_);                                                 \
            }                                                                                      \
            fetch_vpn = pc >> MMU_PAGE_SHIFT;                                                      \
            fetch_frame = p_ & ~MMU_PAGE_OFFSET;                                                   \
        }                                                                                          \
        if (p_ > ram_last_word)                                                                    \
            FAULT(CPU_CAUSE_BUS_ERROR, pc);                                                        \
        word = ram_read(ram + p_, 4);                                                              \
    } while (0)
/* Straight-line code runs from predecoded blocks (cpu_block.c): the block at pc's physical
 * address gives the next words, already fetched and checked. With the MMU on, a block is
 * entered only while pc's page is the code page of the last fetch (fetch_vpn): every fetch
 * from it is then a TLB hit, charged as FETCH charges it, and anything that may change that
 * translation forgets fetch_vpn and ends the block. Otherwise FETCH translates pc and the
 * next instruction enters a block. A block is straight-line, so its words follow pc until it
 * ends or a store lands on its page. */
#define ENTER_BLOCK()                                                                              \
    do {                                                                                           \
        uint32_t pa_ = pc;                                                                         \
        if (paged) {                                                                               \
            if ((pc >> MMU_PAGE_SHIFT) != fetch_vpn)                                               \
                break; /* FETCH translates pc first */                                             \
            pa_ = fetch_frame | (pc & MMU_PAGE_OFFSET);                                            \
        }                                                                                          \
        if (!block || pa_ != block_pa) {                                                           \
            const cpu_block_t *b_ = cpu_block_current(&m->blocks, pa_, tlb_hit_cost, taken_cost); \
            block = !b_ ? decode_block(m, pa_) : b_->n ? b_ : NULL;                                \
            block_pa = pa_;                                                                        \
            loop_until = 0; /* LOOP_BACK works it out for this block */                            \
        }                                                                                          \
        if (block && cycles + block->most[paged] < limit) /* all of it, in advance */         \
            CHARGE_BLOCK(block, block->charge[paged]);                                             \
    } while (0)
/* Enters block b, paying for all of it in advance: `price` cycles (its base cycles and TLB
 * hits, worked out when it was decoded), its count and its hits. */
#define CHARGE_BLOCK(b, price)                                                                     \
    do {                                                                                           \
        block_insn = (b)->insn;                                                                    \
        cycles += (price);                                                                         \
        instret += (b)->n;                                                                         \
        fast_hits += (b)->refs;                                                                    \
    } while (0)
/* A block runs without looking at the limit: it is entered only when all of it, at its most
 * (its base cycles, a taken branch, a TLB hit for each fetch, load and store: block->most),
 * ends before the limit. Near the limit the loop goes one instruction at a time and stops where
 * it always did. Anything that costs more (a walk) or must end the block early leaves it
 * (LEAVE_BLOCK). */
/* Threaded dispatch: each copy of the loop has a table of the addresses of its cases
 * (`handler`, GCC's labels as values, filled the first time the copy runs: FILL_HANDLERS), and
 * an instruction goes to its case with one load and one indirect jump, without the switch's
 * table of offsets and the addition that turns one into an address. The switch stays, never
 * entered from its head, for its `break` (to NEXT) and its case labels (the compiler checks
 * that no opcode has two cases); each CASE is a case and a label, and an opcode without one
 * goes to `default` (op_default). */
#define DISPATCH(opc)                                                                              \
    goto *handler[opc];                                                                            \
    switch (opc)
#define CASE(name)                                                                                 \
    case CPU_OPC_##name:                                                                           \
    op_##name:
#define FILL_HANDLERS()                                                                            \
    do {                                                                                           \
        for (unsigned o_ = 0; o_ < 256; o_++)                                                      \
            handler[o_] = &&op_default;                                                            \
        CPU_ISA(HANDLER_OF)                                                                        \
        handler[CPU_OPC_BLOCK_END] = &&op_BLOCK_END;                                               \
        handler[CPU_OPC_BLOCK_LOOP] = &&op_BLOCK_LOOP;                                             \
        CPU_BRANCHES(HANDLERS_OF_FUSED)                                                            \
    } while (0)
#define HANDLER_OF(name, mn, opc, a, b, c, cyc, cls, sum) handler[opc] = &&op_##name;
#define HANDLERS_OF_FUSED(name, taken, relation)                                                   \
    handler[CPU_OPC_FUSED(CPU_FUSED_CMP_BRANCH, CPU_OPC_##name)] = &&op_CMP_BRANCH_##name;         \
    handler[CPU_OPC_FUSED(CPU_FUSED_CMPI_BRANCH, CPU_OPC_##name)] = &&op_CMPI_BRANCH_##name;       \
    handler[CPU_OPC_FUSED(CPU_FUSED_CMP_LOOP, CPU_OPC_##name)] = &&op_CMP_LOOP_##name;             \
    handler[CPU_OPC_FUSED(CPU_FUSED_CMPI_LOOP, CPU_OPC_##name)] = &&op_CMPI_LOOP_##name;
/* The instruction retires: its count and base cost were charged in advance (see SAVE); NEXT
 * moves pc on a word, JUMP to a branch's or jump's target (and on to the next instruction at
 * once), charging the taken branch. */
#define NEXT() pc += 4
#define JUMP(target)                                                                               \
    {                                                                                              \
        pc = (target);                                                                             \
        cycles += taken_cost;                                                                      \
        continue; /* the for loop: no do-while here, whose continue would only leave it */         \
    }
/* The condition flags, for the branches (`cond`, after COND_NOW: see SAVE). */
#define FZ ((cond & CPU_FLAG_Z) != 0)
#define FN ((cond & CPU_FLAG_N) != 0)
#define FC ((cond & CPU_FLAG_C) != 0)
#define FV ((cond & CPU_FLAG_V) != 0)
#define BRANCH_TARGET() (pc + (uint32_t)(CPU_INSN_REL24(in->word) * 4))
#define BRANCH_IF(taken)                                                                           \
    COND_NOW();                                                                                    \
    if (taken)                                                                                     \
        JUMP(BRANCH_TARGET());                                                                     \
    break
/* The branch `in` at the end of a block that loops on itself (CPU_OPC_BLOCK_LOOP) is taken:
 * it enters the block again at once when all of it fits before the limit again, without the
 * block's end, which would do the same: r0 is 0 (no instruction of this block writes it), the
 * limit is further than the block's most, the debugger is off (blocks are entered only while it
 * is, and nothing that can turn it on lets a block go on), pc is on the code page of the last
 * fetch, and `block` is the block running (a store to its page or a walk's A/D bit in it would
 * have ended it before its branch). The offset back to the block's start is in imm's high half
 * (cpu_block.c). Nothing here reads `in`'s opcode for its cost (SAVE): no call. The test
 * `cycles + again < limit` is `cycles < limit - again`: loop_until, worked out at the first
 * turn (it holds for the block and the limit it was worked out with; whatever changes either
 * sets it to 0, the limit's never-true value, until the next first turn). */
#define LOOP_BACK()                                                                                \
    {                                                                                              \
        pc += (uint32_t)((int32_t)IMM >> 16); /* the block's first instruction */                  \
        if (cycles < loop_until) { /* the branch and all of the block end before the limit */     \
            CHARGE_BLOCK(block, block->most[paged]);                                               \
        } else if (cycles + block->again[paged] < limit) { /* the first turn: the same test */    \
            loop_until = limit - block->again[paged];                                              \
            CHARGE_BLOCK(block, block->most[paged]);                                               \
        } else {                                                                                   \
            cycles += taken_cost; /* and on to the block's end */                                  \
        }                                                                                          \
        continue;                                                                                  \
    }
/* Whether the branch `in`, whose condition is a mask in imm (cpu_block.c), is taken with the
 * condition flags `cond`. */
#define TAKEN(cond) ((IMM >> (cond)) & 1)
/* A compare sets the flags Z N C V of a - b, and the loop keeps them as the compare left them:
 * its two values (CA, CB) with cond_pending set. Who reads the flags (a branch, SAVE, pushf)
 * works them out first (COND_NOW); the fused compare and branch reads the relation its branch
 * stands for straight from the two values (CPU_BRANCHES), so a loop's compare costs two moves. */
#define CA cmp_a
#define CB cmp_b
#define COMPARE(a, b)                                                                              \
    do {                                                                                           \
        cmp_a = (a);                                                                               \
        cmp_b = (b);                                                                               \
        cond_pending = true;                                                                       \
    } while (0)
#define COND_NOW()                                                                                 \
    do {                                                                                           \
        if (cond_pending) {                                                                        \
            cond = compare_cond(cmp_a, cmp_b);                                                     \
            cond_pending = false;                                                                  \
        }                                                                                          \
    } while (0)
/* A compare fused with the branch after it (CPU_OPC_FUSED): the compare sets the flags and
 * retires; the branch, the next entry of the block, becomes `in` (as the loop's head would
 * make it, so that SAVE sees it running) and is taken when `relation` holds between the
 * compared values. Taken, the case goes on with `then`. */
#define COMPARE_THEN_BRANCH(b, relation, then)                                                     \
    {                                                                                              \
        COMPARE(RS1, (b));                                                                         \
        NEXT();                                                                                    \
        in = block_insn++;                                                                         \
        if (!(relation))                                                                           \
            break;                                                                                 \
        then;                                                                                      \
    }
#define CASE_FUSED(kind, name)                                                                     \
    case CPU_OPC_FUSED(CPU_FUSED_##kind, CPU_OPC_##name):                                          \
    op_##kind##_##name:
#define FUSED_CASES(name, taken, relation)                                                         \
    CASE_FUSED(CMP_BRANCH, name) COMPARE_THEN_BRANCH(RS2, relation, JUMP(BRANCH_TARGET()));        \
    CASE_FUSED(CMPI_BRANCH, name) COMPARE_THEN_BRANCH(IMM, relation, JUMP(BRANCH_TARGET()));       \
    CASE_FUSED(CMP_LOOP, name) COMPARE_THEN_BRANCH(RS2, relation, LOOP_BACK());                    \
    CASE_FUSED(CMPI_LOOP, name) COMPARE_THEN_BRANCH(IMM, relation, LOOP_BACK());
/* The instruction retires normally, then the loop ends so that cpu_run looks again at
 * interrupts, halting, the MMU mode or the power (setting the limit to 0 keeps this test out
 * of the per-instruction path; a device access in a predecoded block ends the block too). */
#define END_BLOCK_AFTER_THIS()                                                                     \
    do {                                                                                           \
        rescan = true;                                                                             \
        limit = 0;                                                                                 \
        loop_until = 0;                                                                            \
        LEAVE_BLOCK();                                                                             \
    } while (0)
/* The operands of the instruction `in`, decoded (cpu_decoded_t). */
#define BASED (in->rs1 != 0) /* the address is not absolute ([r0 + imm]) */
#define RD r[in->rd]
#define RS1 r[in->rs1]
#define RS2 r[in->rs2]
#define IMM in->imm
#define UIMM (uint32_t)(uint16_t)in->imm
/* Ring -1: in guest mode, an instruction the VMCB's controls name exits before it runs (pc on
 * it, length 4, the word in the exit information). */
#define VMEXIT_IF(cond, reason, qual)                                                              \
    do {                                                                                           \
        if (s->vm.active && (cond)) {                                                              \
            SAVE();                                                                                \
            cpu_vm_exit(cpu, (reason), (qual), 0, 0, 4, in->word);                                 \
            return BLOCK_VMEXIT;                                                                   \
        }                                                                                          \
    } while (0)
#define REQUIRE_H()                                                                                \
    do {                                                                                           \
        if ((s->flags & CPU_FLAG_MODE_MASK) != ((uint32_t)CPU_MODE_H << CPU_FLAG_MODE_SHIFT))      \
            FAULT(CPU_CAUSE_ILLEGAL, in->word);                                                    \
    } while (0)
#define REQUIRE_PRIVILEGE()                                                                        \
    do {                                                                                           \
        if ((s->flags & CPU_FLAG_MODE_MASK) == 0)                                                  \
            FAULT(CPU_CAUSE_PRIVILEGED, in->word);                                                 \
    } while (0)
/* A read of the clock (cycle, cycleh) by the co-resident monitor's own code, run in U under
 * control MONITOR with the flag MONITOR (its code segment) at or above CPU_MONITOR_BASE:
 * allowed, as x86's rdtsc was to VMware's translated code (unprivileged with CR4.TSD clear),
 * so that a translator can emulate a clock or timer read inline. Anywhere else in U, the
 * guest's own code mapped up there too, csrr stays privileged. */
static inline bool monitor_clock_read(bool truncated, uint32_t flags, uint32_t pc, uint32_t csr)
{
    return truncated && (flags & CPU_FLAG_MONITOR) && pc >= CPU_MONITOR_BASE &&
           (csr == CPU_CSR_CYCLE || csr == CPU_CSR_CYCLEH);
}
/* ------------------------------------------------------------------------------------------
 * The MMU's slow path: a TLB lookup and, on a miss, a walk
 * ------------------------------------------------------------------------------------------ */
static const uint32_t page_fault_cause[MMU_ACCESS_KINDS] = {
    [MMU_FETCH] = CPU_CAUSE_FETCH_PAGE_FAULT,
    [MMU_LOAD] = CPU_CAUSE_LOAD_PAGE_FAULT,
    [MMU_STORE] = CPU_CAUSE_STORE_PAGE_FAULT,
};

/* Blocks were just decoded from the physical page at `frame`: no CPU of the machine may keep
 * a store translation to it in its cache, so that every store there takes the slow path and
 * its test of the page's mark (RAM_WRITE), which drops the blocks. */
static void forget_stores_to_code(sim_machine_t *m, uint32_t frame)
{
    for (unsigned i = 0; i < m->ncpus; i++)
        mmu_fast_forget_stores(&m->cpu[i].mmu, frame);
}

/* Decodes the block at pa (cpu_block_at), which marks its page as code: a page marked just now
 * loses every CPU's store translations (forget_stores_to_code). */
static const cpu_block_t *decode_block(sim_machine_t *m, uint32_t pa)
{
    const bool in_ram = m->ram_size >= 4 && pa <= m->ram_size - 4;
    const bool marked = in_ram && m->blocks.code[pa >> MMU_PAGE_SHIFT];
    const cpu_block_t *b = cpu_block_at(&m->blocks, m->ram, m->ram_size, pa, zero_mask, m->costs.c);
    if (in_ram && !marked && m->blocks.code[pa >> MMU_PAGE_SHIFT])
        forget_stores_to_code(m, pa & ~MMU_PAGE_OFFSET);
    return b;
}

/* Translates va when the last-translation cache missed: charges the cycles to the CPU (whose
 * state the caller has saved) and emits the walk and nested-fault events. */
static mmu_status_t translate_slow(cpu_t *cpu, uint32_t va, mmu_access_t kind, bool user,
                                   uint32_t *pa)
{
    mmu_result_t res = mmu_translate(&cpu->mmu, cpu->mach, va, kind,
                                     user ? MMU_PRIV_USER : MMU_PRIV_KERNEL);
    cpu->s.cycles += res.cycles;
    cpu_mode_t mode = cpu_mode(cpu);
    if (res.walked && !sim_event_heard(cpu->mach, SIM_EV_WALK))
        sim_count_unheard(cpu->mach, SIM_EV_WALK); /* nobody reads it: no need to build it */
    else if (res.walked)
        cpu_emit(cpu, SIM_EV_WALK, cpu->s.pc, va, cpu->mmu.trace.refs, mode);
    if (res.status == MMU_NESTED_FAULT)
        cpu_emit(cpu, SIM_EV_NESTEDFAULT, cpu->s.pc, res.nested.gva, res.nested.gpa, mode);
    *pa = res.pa;
    return res.status;
}

/* The five copies of the loop (cpu_exec_loop.h): paging off and on (for kernel and user mode),
 * and a guest's user code under a co-resident monitor, paging off and on (user is read only
 * when paged). */
#define RUN_BLOCK run_block_flat
#define RUN_BLOCK_PAGED false
#define RUN_BLOCK_TRUNCATED false
#define RUN_BLOCK_USER false
#include "cpu_exec_loop.h"

#define RUN_BLOCK run_block_paged_kernel
#define RUN_BLOCK_PAGED true
#define RUN_BLOCK_TRUNCATED false
#define RUN_BLOCK_USER false
#include "cpu_exec_loop.h"

#define RUN_BLOCK run_block_paged_user
#define RUN_BLOCK_PAGED true
#define RUN_BLOCK_TRUNCATED false
#define RUN_BLOCK_USER true
#include "cpu_exec_loop.h"

#define RUN_BLOCK run_block_flat_monitor
#define RUN_BLOCK_PAGED false
#define RUN_BLOCK_TRUNCATED true
#define RUN_BLOCK_USER true
#include "cpu_exec_loop.h"

#define RUN_BLOCK run_block_paged_monitor
#define RUN_BLOCK_PAGED true
#define RUN_BLOCK_TRUNCATED true
#define RUN_BLOCK_USER true
#include "cpu_exec_loop.h"

/* Runs one block in the copy of the loop that fits the CPU's state now (a mode change ends
 * the block, so `user` holds for all of it). */
static int run_some(cpu_t *cpu, uint64_t limit)
{
    const cpu_state_t *s = &cpu->s;
    bool user = (s->flags & CPU_FLAG_MODE_MASK) == 0;
    bool truncated = user && s->vm.active && (s->vm.controls & CPU_VMCTL_MONITOR);
    if (truncated)
        return mmu_active(&cpu->mmu) ? run_block_paged_monitor(cpu, limit)
                                     : run_block_flat_monitor(cpu, limit);
    if (!mmu_active(&cpu->mmu))
        return run_block_flat(cpu, limit);
    return user ? run_block_paged_user(cpu, limit) : run_block_paged_kernel(cpu, limit);
}

/* Moves a fired timer into the pending state. */
static void check_timer(cpu_t *cpu)
{
    cpu_state_t *s = &cpu->s;
    if (s->timer_deadline && s->cycles >= s->timer_deadline) {
        s->timer_deadline = 0;
        s->timer_pending = 1;
    }
}

/* A halted CPU: wake it if a line is pending, else let time pass to the next tick. Returns
 * false when nothing armed can ever wake it. */
static bool idle_until(cpu_t *cpu, uint64_t end)
{
    cpu_state_t *s = &cpu->s;
    if (cpu_pending_lines(cpu)) {
        s->halted = 0;
        s->cycles += cpu->mach->costs.c[SIM_COST_halt_wakeup];
        cpu_emit(cpu, SIM_EV_WAKE, s->pc, cpu_pending_lines(cpu), 0, cpu_mode(cpu));
        return true;
    }
    if (!s->timer_deadline) {
        s->cycles = end > s->cycles ? end : s->cycles;
        /* A guest's preemption timer still ends the wait (end is no later than it). */
        return s->vm.active && s->vm.preempt_deadline;
    }
    s->cycles = s->timer_deadline < end ? s->timer_deadline : end;
    return true;
}

cpu_stop_t cpu_run(cpu_t *cpu, uint64_t budget)
{
    cpu_state_t *s = &cpu->s;
    const uint64_t budget_end = s->cycles + budget;
    build_tables();
    for (;;) {
        /* A device event due earlier (a disk completing) ends the run there, so that the
         * machine can fire it and its interrupt is taken on time. An instruction may have
         * just scheduled one, so this is looked at again after every block. */
        uint64_t end = cpu->mach->timed_next < budget_end ? cpu->mach->timed_next : budget_end;
        if (s->cycles >= end)
            break;
        if (cpu->mach->powered_off)
            return CPU_STOP_POWEROFF;
        if (s->vm.active) { /* ring -1: exits from outside the instruction stream */
            if (cpu_vm_check_async(cpu))
                break;
            if (s->vm.preempt_deadline && s->vm.preempt_deadline < end)
                end = s->vm.preempt_deadline;
        }
        check_timer(cpu);
        if (cpu_take_interrupt(cpu))
            continue;
        if (s->halted) {
            if (cpu->debug && cpu->debug_fn && cpu->debug_fn(cpu, cpu->debug_ctx))
                return CPU_STOP_DEBUG;
            if (!idle_until(cpu, end))
                return CPU_STOP_HALTED;
            continue;
        }
        uint64_t limit = end;
        if (s->timer_deadline && s->timer_deadline < limit)
            limit = s->timer_deadline;
        int why = run_some(cpu, limit);
        if (why == BLOCK_DEBUG)
            return CPU_STOP_DEBUG;
        if (why == BLOCK_NESTED_FAULT)
            return CPU_STOP_NESTED_FAULT;
        if (s->vm.exit_pending) /* a VM exit: here, or from trap entry (exception bitmap) */
            break;
    }
    if (s->vm.exit_pending) {
        s->vm.exit_pending = 0;
        return CPU_STOP_VMEXIT;
    }
    check_timer(cpu);
    return cpu->mach->powered_off ? CPU_STOP_POWEROFF : CPU_STOP_BUDGET;
}
