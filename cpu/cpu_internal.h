/*
 * cpu_internal.h - what the CPU's own files share and nobody else needs: trap entry, CSR
 * access as the instructions see it, and the per-opcode tables the hot loop reads.
 */
#ifndef HVSIM_CPU_INTERNAL_H
#define HVSIM_CPU_INTERNAL_H

#include "cpu.h"

/* Enters K at tvec for a trap or interrupt: saves flags, epc, cause and tval, charges the
 * entry cost and emits the events. This is the only way into a trap handler. */
void cpu_enter_trap(cpu_t *cpu, uint32_t cause, uint32_t tval, uint32_t epc);
/* Trap entry itself, with no look at the exception bitmap (event injection uses it). */
void cpu_deliver_trap(cpu_t *cpu, uint32_t cause, uint32_t tval, uint32_t epc);
/* The iret instruction: pc = epc, flags = eflags, with the events. */
void cpu_return_from_trap(cpu_t *cpu);
/* Takes the lowest pending, unmasked interrupt if IE is set. Returns true if one was taken. */
bool cpu_take_interrupt(cpu_t *cpu);
/* Interrupt lines pending and enabled by im (IE not considered). */
uint32_t cpu_pending_lines(const cpu_t *cpu);
/* Emits an event (sim_event_kind_t) stamped with this CPU's cycle count and current mode. */
void cpu_emit(cpu_t *cpu, unsigned kind, uint32_t pc, uint32_t a, uint32_t b, cpu_mode_t from);
/* Emits a MODE event when `from` differs from the current mode. */
void cpu_note_mode_change(cpu_t *cpu, cpu_mode_t from);

/* The csrw instruction. Returns false for a read-only or unknown CSR (illegal instruction). */
bool cpu_csr_write(cpu_t *cpu, unsigned num, uint32_t value);
/* The csrr instruction. Returns false for an unknown CSR. */
bool cpu_csr_read_checked(const cpu_t *cpu, unsigned num, uint32_t *value);

/* Ring -1 (cpu_vm.c). */
/* VM exit: saves the guest (pc as it stands in cpu->s.pc), writes the exit information,
 * reloads the host, charges the exit and marks exit_pending for cpu_run. */
void cpu_vm_exit(cpu_t *cpu, unsigned reason, uint32_t qual, uint32_t gva, uint32_t gpa,
                 uint32_t insn_len, uint32_t insn);
/* The exit for mmu.last_nested_fault; `word` is the instruction (ignored for a fetch). */
void cpu_vm_exit_nested_fault(cpu_t *cpu, uint32_t word);
/* Exits that come from outside the instruction stream: a pending physical line (with the
 * control set), the preemption timer. Returns true when it exited. */
bool cpu_vm_check_async(cpu_t *cpu);
/* True when csrr (write false) or csrw (write true) of `csr` must exit. */
bool cpu_vm_csr_exits(const cpu_t *cpu, unsigned csr, bool write);
/* Whether in/out of `port` exits: control IO is set and the port is outside the PORTS window. */
bool cpu_vm_port_exits(const cpu_t *cpu, uint32_t port);

/* Predecoded blocks (cpu_block.c): a straight run of plain instructions (ALU work, loads,
 * stores, compares) ending at the first branch or jump, inside one page. It stays valid while
 * its page's generation (cpu_blocks_t) is the one it was decoded at. */
/* At most 16 instructions: kernel code's blocks are a few instructions long, and each slot of
 * the table holds room for the longest; at 32 the slots of a page's blocks spread over twice
 * the host memory (the issue-17 filing's workload: 3 542 page faults against 3 288 at 16, and
 * 4 % more time). The peers' 15-instruction loop is still one block. */
#define CPU_BLOCK_MAX 16u
/* The pseudo-instruction after the last of a block (and after an instruction run alone): its
 * case in the interpreter's switch is the block's end, where the loop looks at the limit and
 * the debugger and takes the next block. No instruction has this opcode. */
#define CPU_OPC_BLOCK_END 0xffu
/* The last instruction of a block that loops on itself: a branch (b, beq .. bleu) to the
 * block's own first instruction (a loop such as `addi; cmpi; bgt`), its condition kept as a
 * mask in `imm` (taken when bit f is set, f the flags' Z N C V bits). Its case takes the
 * branch and enters the block again at once when all of it fits before the limit again,
 * without the block's end. No instruction has this opcode either. */
#define CPU_OPC_BLOCK_LOOP 0xfeu
/* A compare (cmp, cmpi) right before its block's last instruction, a branch: the two are fused
 * (a superinstruction), one pseudo-opcode for each kind of compare, each branch and whether the
 * branch loops on its block (CPU_OPC_BLOCK_LOOP). The compare's case sets the flags as cmp or
 * cmpi does, retires, and goes on to the branch in the same case, which decides by its own
 * relation between the compared values (`bgt` after `cmp a, b`: a > b signed), with no dispatch
 * of its own; the branch's entry stays in the block and is the one SAVE and the prepayment see
 * from there on, so the pair still counts, costs and retires as two instructions. The one-at-a-
 * time path (the debugger, the limit near) never fuses. No instruction has these opcodes. */
enum { CPU_FUSED_CMP_BRANCH, CPU_FUSED_CMPI_BRANCH, CPU_FUSED_CMP_LOOP, CPU_FUSED_CMPI_LOOP };
#define CPU_OPC_FUSED_BASE 0xc0u
#define CPU_OPC_FUSED(kind, branch) (CPU_OPC_FUSED_BASE + 16u * (kind) + ((branch) - CPU_OPC_B))
/* True for the pseudo-opcodes the blocks use (a word with one is illegal: its zero mask). */
#define CPU_OPC_IS_PSEUDO(opc) ((opc) >= CPU_OPC_FUSED_BASE)
/* The branches' conditions, on the flags' bits (FZ FN FC FV, which each user defines), and the
 * same condition right after a compare of CA with CB (uint32_t, which each user defines too),
 * as a relation between them: one list for the interpreter's cases, the loop branch's mask
 * (cpu_block.c) and the fused compare and branch. */
#define CPU_BRANCHES(X)                                                                            \
    X(B, true, true)                                                                               \
    X(BEQ, FZ, CA == CB)                                                                           \
    X(BNE, !FZ, CA != CB)                                                                          \
    X(BLT, FN != FV, (int32_t)CA < (int32_t)CB)                                                    \
    X(BGE, FN == FV, (int32_t)CA >= (int32_t)CB)                                                   \
    X(BGT, !FZ && FN == FV, (int32_t)CA > (int32_t)CB)                                             \
    X(BLE, FZ || FN != FV, (int32_t)CA <= (int32_t)CB)                                             \
    X(BLTU, FC, CA < CB)                                                                           \
    X(BGEU, !FC, CA >= CB)                                                                         \
    X(BGTU, !FC && !FZ, CA > CB)                                                                   \
    X(BLEU, FC || FZ, CA <= CB)
/* An instruction word taken apart once: the fields the interpreter's cases read, and what the
 * block from it on was charged in advance when it was entered (docs/interpreter.md). */
typedef struct {
    uint32_t word;             /* the whole word (faults and exits report it) */
    uint8_t opc, rd, rs1, rs2; /* the opcode and the register fields */
    uint32_t imm;              /* imm16 sign-extended (its low half is uimm16) */
    uint16_t rest_cycles;      /* the base cycles of this instruction and the rest of its block */
    uint8_t rest_n;            /* instructions from this one to the block's end */
    uint8_t rest_refs;         /* their memory references: a fetch each, a load or store */
} cpu_decoded_t;
static inline void cpu_decode_fields(uint32_t word, cpu_decoded_t *d)
{
    d->word = word;
    d->opc = (uint8_t)CPU_INSN_OPCODE(word);
    d->rd = (uint8_t)CPU_INSN_RD(word);
    d->rs1 = (uint8_t)CPU_INSN_RS1(word);
    d->rs2 = (uint8_t)CPU_INSN_RS2(word);
    d->imm = (uint32_t)CPU_INSN_IMM16(word);
}
/* True for the instructions whose rd is written (r0 must read 0 again after them). */
bool cpu_opc_writes_rd(uint32_t opc);
/* True for the instructions that load or store through a translation (one reference each). */
bool cpu_opc_accesses_memory(uint32_t opc);
#define CPU_BLOCK_PAGE_OFFSET 0xfffu
struct cpu_block {
    uint32_t pa;                  /* physical address of the first instruction; 1: none */
    uint32_t cycles;              /* the sum of their base cycles */
    /* 64 bits wide, as the counts they are added to when the block is entered: one host add. */
    uint64_t n;                   /* instructions; 0: the first is not plain */
    uint64_t refs;                /* their memory references: a fetch each, a load or store */
    /* What entering it costs, worked out once, indexed by paging (0 off, 1 on): charge, its
     * base cycles and with paging a TLB hit for each reference, added when it is entered;
     * most, charge and a taken branch, which must end before the limit for the block to be
     * entered; again, most and a taken branch: a loop's taken branch (CPU_OPC_BLOCK_LOOP)
     * enters the block again when `again` ends before the limit, and adds `most` (the branch
     * and the block). They were summed with the costs tlb_hit and taken (the machine's, which
     * the debugger can change between runs: cpu_block_at sums them again then). */
    uint64_t charge[2], most[2], again[2];
    uint32_t tlb_hit, taken;
    uint64_t gen;                 /* its page's generation when decoded */
    /* the instructions, checked against their zero masks, and the block's end after them */
    cpu_decoded_t insn[CPU_BLOCK_MAX + 1];
#ifdef HVSIM_BLOCK_CHECK
    uint8_t raw[4 * CPU_BLOCK_MAX]; /* the bytes decoded, compared at each entry (a check build) */
#endif
};
typedef struct cpu_block cpu_block_t;
/* The block that starts at physical pa, decoded again if a write to its page dropped it or
 * its charges were summed with other costs than the machine's `costs` (sim_costs_t's c); NULL
 * when pa is outside RAM or holds an instruction that is not plain. The interpreter looks a
 * block up here at least once in each run (its local copy starts empty), so no cost can change
 * under it. */
const cpu_block_t *cpu_block_at(cpu_blocks_t *t, const uint8_t *ram, uint32_t ram_size, uint32_t pa,
                                const uint32_t *zero_mask, const uint32_t *costs);
/* cpu_block_at's first look, inline for the loop: the slot of pa when it holds pa's block,
 * current (its page not written since, its charges summed with the machine's costs tlb_hit
 * and taken), else NULL (then ask cpu_block_at). The block may be empty (n 0: pa's
 * instruction is not plain). Kernel code moves from block to block (calls, branches, returns)
 * and looks one up at each move: a call for each cost more than the look itself. A check
 * build always asks cpu_block_at, which compares every block it returns with RAM. */
static inline const cpu_block_t *cpu_block_current(const cpu_blocks_t *t, uint32_t pa,
                                                   uint32_t tlb_hit, uint32_t taken)
{
#ifdef HVSIM_BLOCK_CHECK
    (void)t, (void)pa, (void)tlb_hit, (void)taken;
    return NULL;
#else
    const cpu_block_t *b = &t->slot[(pa >> 2) & t->mask];
    return b->pa == pa && b->gen == t->gen[pa >> MMU_PAGE_SHIFT] && b->tlb_hit == tlb_hit &&
                   b->taken == taken
               ? b
               : NULL;
#endif
}
/* True for the branches and jumps (the last instruction of a block). */
bool cpu_opc_transfers(uint32_t opc);

#endif
