/*
 * cpu_block.c - predecoded blocks: straight-line runs of instructions, decoded once.
 *
 * The interpreter spends most of its host instructions on work that gives the same answer
 * every time an instruction runs: the alignment and bounds checks of the fetch, the read of
 * the word, the check of the bits that must be zero, taking its fields apart. A block does that
 * work once, for a run of instructions that starts at a physical address and ends at the first
 * branch or jump, at the end of the page, or before any instruction that is not plain (not ALU
 * work, a load, a store, a compare or a branch: those leave the loop often and keep the
 * one-at-a-time path). The loop then takes the decoded instructions from the block
 * (docs/interpreter.md).
 *
 * Blocks are a host-side memo, not machine state: the decoding of a word never changes, so a
 * block is right exactly while RAM still holds the words it was built from. Each machine keeps
 * its own table (cpu_blocks_t). Decoding a block marks the 64-byte granules of its physical
 * page that its words came from; every write to RAM (the CPU's stores, the walker's A/D bits,
 * the hypervisor, DMA, the debugger, the loader, a snapshot restore) passes cpu_blocks_written,
 * and a write into a marked granule bumps the page's generation: every block decoded from the
 * page is stale at once, and the next entry decodes it again. A page that holds no code costs a
 * writer one test; a kernel's variable beside its code, a second one and no decoding.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "../sim/sim.h"

/* Slots: about one for every page of RAM (a loop's blocks rarely collide), within limits. */
#define BLOCK_SLOTS_MIN 1024u
#define BLOCK_SLOTS_MAX 16384u

/* The ISA table (cpu.h) numbers the plain instructions first: ALU work, compares, loads and
 * stores below the branches and jumps (B .. JALR), and all of them below syscall, where the
 * instructions that trap, exit or touch privileged state begin. An unassigned opcode in that
 * range ends a block: the one-at-a-time path faults on it. */
_Static_assert(CPU_OPC_ADD < CPU_OPC_B && CPU_OPC_B < CPU_OPC_JALR &&
                   CPU_OPC_JALR < CPU_OPC_SYSCALL && CPU_OPC_POPF > CPU_OPC_SYSCALL,
               "the plain instructions come first in the ISA table");
_Static_assert(CPU_OPC_BLEU - CPU_OPC_B < 16 &&
                   CPU_OPC_FUSED(CPU_FUSED_CMPI_LOOP, CPU_OPC_BLEU) < CPU_OPC_BLOCK_LOOP,
               "the fused compares' and branches' opcodes fit below the loop branch's");

int cpu_blocks_init(cpu_blocks_t *t, uint32_t ram_size)
{
    memset(t, 0, sizeof *t);
    t->pages = (uint32_t)(((uint64_t)ram_size + MMU_PAGE_SIZE - 1) >> MMU_PAGE_SHIFT);
    uint32_t slots = BLOCK_SLOTS_MIN;
    while (slots < t->pages && slots < BLOCK_SLOTS_MAX)
        slots *= 2;
    t->slot = calloc(slots, sizeof *t->slot);
    t->code = calloc(t->pages ? t->pages : 1, sizeof *t->code);
    t->gen = malloc((t->pages ? t->pages : 1) * sizeof *t->gen);
    if (!t->slot || !t->code || !t->gen) {
        cpu_blocks_free(t);
        return -1;
    }
    t->mask = slots - 1;
    /* Empty slots hold generation 0, which no page has: they never match. */
    for (uint32_t p = 0; p < t->pages; p++)
        t->gen[p] = 1;
    return 0;
}

void cpu_blocks_free(cpu_blocks_t *t)
{
    free(t->slot);
    free(t->code);
    free(t->gen);
    memset(t, 0, sizeof *t);
}

void cpu_blocks_drop(cpu_blocks_t *t, uint32_t first, uint32_t last)
{
    if (last >= t->pages)
        last = t->pages - 1;
    for (uint32_t p = first; p <= last && p < t->pages; p++) {
        if (t->code[p]) {
            t->code[p] = 0;
            t->gen[p]++;
        }
    }
}

static bool plain(uint32_t opc)
{
    return opc < CPU_OPC_SYSCALL;
}

bool cpu_opc_transfers(uint32_t opc)
{
    return opc >= CPU_OPC_B && opc <= CPU_OPC_JALR;
}

/* Per opcode, from the ISA table at compile time (a block is decoded again after every store
 * into its page, so decoding must be cheap): what the block needs to know of it. */
#define RD_IS_SOURCE(o) /* rd is the value these store or send */                                 \
    ((o) == CPU_OPC_ST || (o) == CPU_OPC_STH || (o) == CPU_OPC_STB || (o) == CPU_OPC_PUSH ||      \
     (o) == CPU_OPC_OUT)
#define THROUGH_TRANSLATION(o, b) /* [rs1 + imm] of in and out is a port, not translated */        \
    (((b) == CPU_OPK_MEM && (o) != CPU_OPC_IN && (o) != CPU_OPC_OUT) || (o) == CPU_OPC_PUSH ||     \
     (o) == CPU_OPC_POP || (o) == CPU_OPC_PUSHF || (o) == CPU_OPC_POPF)
static const bool writes_rd[256] = {
#define CPU_X_WRITES(name, mn, opc, a, b, c, cyc, cls, sum)                                         \
    [opc] = CPU_OPK_##a == CPU_OPK_RD && !RD_IS_SOURCE(CPU_OPC_##name),
    CPU_ISA(CPU_X_WRITES)
#undef CPU_X_WRITES
};
static const bool accesses_memory[256] = {
#define CPU_X_ACCESSES(name, mn, opc, a, b, c, cyc, cls, sum)                                       \
    [opc] = THROUGH_TRANSLATION(CPU_OPC_##name, CPU_OPK_##b),
    CPU_ISA(CPU_X_ACCESSES)
#undef CPU_X_ACCESSES
};
static const uint8_t base_cycles[256] = {
#define CPU_X_CYCLES(name, mn, opc, a, b, c, cyc, cls, sum) [opc] = cyc,
    CPU_ISA(CPU_X_CYCLES)
#undef CPU_X_CYCLES
};
static const bool assigned[256] = {
#define CPU_X_ASSIGNED(name, mn, opc, a, b, c, cyc, cls, sum) [opc] = true,
    CPU_ISA(CPU_X_ASSIGNED)
#undef CPU_X_ASSIGNED
};

bool cpu_opc_writes_rd(uint32_t opc)
{
    return writes_rd[opc & 0xffu];
}

bool cpu_opc_accesses_memory(uint32_t opc)
{
    return accesses_memory[opc & 0xffu];
}

/* No instruction has a block end's opcode (the interpreter's switch takes it for one). */
#define CPU_X_NOT_AN_END(name, mn, opc, a, b, c, cyc, cls, sum)                                     \
    _Static_assert(!CPU_OPC_IS_PSEUDO(opc), "an instruction has a block's pseudo-opcode");
CPU_ISA(CPU_X_NOT_AN_END)
#undef CPU_X_NOT_AN_END

/* True when the block's last instruction is a branch (b, beq .. bleu: a 24-bit offset) to the
 * block's own first instruction: a loop on one page, which the interpreter's case for
 * CPU_OPC_BLOCK_LOOP enters again from its branch. */
static bool branches_to_itself(const cpu_block_t *b)
{
    const cpu_decoded_t *last = &b->insn[b->n - 1];
    return last->opc >= CPU_OPC_B && last->opc <= CPU_OPC_BLEU &&
           CPU_INSN_REL24(last->word) == -(int32_t)(b->n - 1);
}

/* Whether the branch opc is taken with the condition flags `flags` (CPU_BRANCHES). */
static bool branch_taken(uint32_t opc, uint32_t flags)
{
#define FZ ((flags & CPU_FLAG_Z) != 0)
#define FN ((flags & CPU_FLAG_N) != 0)
#define FC ((flags & CPU_FLAG_C) != 0)
#define FV ((flags & CPU_FLAG_V) != 0)
#define CPU_X_TAKEN(name, taken, relation)                                                         \
    case CPU_OPC_##name: return (taken);
    switch (opc) {
        CPU_BRANCHES(CPU_X_TAKEN)
    default: return false;
    }
#undef CPU_X_TAKEN
#undef FZ
#undef FN
#undef FC
#undef FV
}

/* The loop branch's condition as a mask: bit f is set when the branch opc is taken with the
 * flags' Z N C V bits equal to f (the interpreter shifts it by the flags: no case per
 * branch). */
_Static_assert(CPU_FLAG_COND == 0xfu, "the condition flags are the four low bits");
static uint32_t taken_mask(uint32_t opc)
{
    uint32_t mask = 0;
    for (uint32_t f = 0; f <= CPU_FLAG_COND; f++)
        mask |= (uint32_t)branch_taken(opc, f) << f;
    return mask;
}

/* The block's last instruction, when it is a branch, gets its condition as a mask in imm (the
 * interpreter shifts it by the flags); one that loops on its block becomes CPU_OPC_BLOCK_LOOP,
 * with the offset back to the block's start, in bytes, in imm's high half (at most 15
 * instructions back: it fits). A compare right before the branch is fused with it
 * (CPU_OPC_FUSED). */
static void mark_branches(cpu_block_t *b)
{
    cpu_decoded_t *last = &b->insn[b->n - 1];
    if (last->opc < CPU_OPC_B || last->opc > CPU_OPC_BLEU)
        return;
    const uint32_t branch = last->opc;
    bool loop = branches_to_itself(b);
    _Static_assert(CPU_BLOCK_MAX * 4 <= 0x8000u, "a loop's offset back fits in imm's high half");
    last->imm = taken_mask(last->opc) |
                (loop ? (uint32_t)(CPU_INSN_REL24(last->word) * 4) << 16 : 0);
    if (loop)
        last->opc = CPU_OPC_BLOCK_LOOP;
    if (b->n < 2)
        return;
    cpu_decoded_t *cmp = &b->insn[b->n - 2];
    if (cmp->opc == CPU_OPC_CMP)
        cmp->opc = (uint8_t)CPU_OPC_FUSED(loop ? CPU_FUSED_CMP_LOOP : CPU_FUSED_CMP_BRANCH, branch);
    else if (cmp->opc == CPU_OPC_CMPI)
        cmp->opc =
            (uint8_t)CPU_OPC_FUSED(loop ? CPU_FUSED_CMPI_LOOP : CPU_FUSED_CMPI_BRANCH, branch);
}

/* Sums what each instruction and the rest of the block after it cost, for the loop's
 * prepayment (docs/interpreter.md), what entering the block costs with the table's costs,
 * and puts the end of the block after the last. */
static void sum_rests(cpu_block_t *b, uint32_t tlb_hit, uint32_t taken)
{
    static const cpu_decoded_t end = {.opc = CPU_OPC_BLOCK_END};
    b->insn[b->n] = end;
    b->charge[0] = b->cycles;
    b->charge[1] = b->cycles + (uint64_t)b->refs * tlb_hit;
    b->most[0] = b->charge[0] + taken;
    b->most[1] = b->charge[1] + taken;
    b->again[0] = b->most[0] + taken;
    b->again[1] = b->most[1] + taken;
    b->tlb_hit = tlb_hit;
    b->taken = taken;
    for (uint32_t i = b->n; i-- > 0;) {
        cpu_decoded_t *d = &b->insn[i];
        const cpu_decoded_t *next = &b->insn[i + 1];
        d->rest_cycles = (uint16_t)(next->rest_cycles + base_cycles[d->opc]);
        d->rest_n = (uint8_t)(next->rest_n + 1);
        d->rest_refs = (uint8_t)(next->rest_refs + 1 + accesses_memory[d->opc]);
    }
}

/* Marks the granules block b was decoded from: its words, or the first word for an empty block
 * (it remembers that the word is not plain). The word that ended a block need not be marked: if
 * a write made it plain, the block would be shorter than it could be, which is still right. */
static void mark_code(cpu_blocks_t *t, const cpu_block_t *b)
{
    t->code[b->pa >> MMU_PAGE_SHIFT] |= cpu_blocks_granules(b->pa, 4 * (b->n ? b->n : 1));
}

/* Decodes the block at pa into b and marks its granules as code; n is 0 when its first
 * instruction is not plain, and then the slot still says so, so that the next look at pa
 * needs no decoding either. */
static void build(cpu_blocks_t *t, cpu_block_t *b, const uint8_t *ram, uint32_t ram_size,
                  uint32_t pa, const uint32_t *zero_mask, uint32_t tlb_hit, uint32_t taken)
{
    uint32_t page_end = (pa | CPU_BLOCK_PAGE_OFFSET) + 1;
    uint32_t page = pa >> MMU_PAGE_SHIFT;
    b->pa = pa;
    b->gen = t->gen[page];
    b->n = b->cycles = b->refs = 0;
    for (uint32_t a = pa; a != page_end && a <= ram_size - 4 && b->n < CPU_BLOCK_MAX; a += 4) {
        const uint8_t *p = ram + a;
        uint32_t word = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24; /* RAM is little-endian */
        uint32_t opc = CPU_INSN_OPCODE(word);
        if (!assigned[opc] || !plain(opc) || (word & zero_mask[opc]))
            break; /* the one-at-a-time path runs it (or faults on it) */
        cpu_decode_fields(word, &b->insn[b->n]);
        b->n++;
        b->cycles += base_cycles[opc];
        b->refs += 1 + accesses_memory[opc];
        if (cpu_opc_transfers(opc))
            break;
        /* Only the block's end sets r0 back to 0: an instruction that writes it is the last. */
        if (writes_rd[opc] && CPU_INSN_RD(word) == 0)
            break;
    }
    mark_code(t, b);
    sum_rests(b, tlb_hit, taken);
    if (b->n)
        mark_branches(b); /* after the sums, which read the instructions' opcodes */
#ifdef HVSIM_BLOCK_CHECK
    memcpy(b->raw, ram + pa, 4 * b->n);
#endif
}

#ifdef HVSIM_BLOCK_CHECK
/* A check build (make blockcheck): a valid block whose words RAM no longer holds means a
 * writer went around sim_ram_written. */
static void check(const cpu_block_t *b, const uint8_t *ram)
{
    if (memcmp(b->raw, ram + b->pa, 4 * b->n) != 0)
        sim_panic(__FILE__, __LINE__,
                  "the block at 0x%08x is stale: RAM was written without sim_ram_written", b->pa);
}
#endif

const cpu_block_t *cpu_block_at(cpu_blocks_t *t, const uint8_t *ram, uint32_t ram_size, uint32_t pa,
                                const uint32_t *zero_mask, const uint32_t *costs)
{
    if (ram_size < 4 || (pa & 3) || pa > ram_size - 4)
        return NULL;
    cpu_block_t *b = &t->slot[(pa >> 2) & t->mask];
    uint32_t tlb_hit = costs[SIM_COST_tlb_hit], taken = costs[SIM_COST_branch_taken];
    if (b->pa != pa || b->gen != t->gen[pa >> MMU_PAGE_SHIFT] || b->tlb_hit != tlb_hit ||
        b->taken != taken) /* a cost changed (the debugger's `set cost`): summed again */
        build(t, b, ram, ram_size, pa, zero_mask, tlb_hit, taken);
#ifdef HVSIM_BLOCK_CHECK
    else
        check(b, ram);
#endif
    return b->n ? b : NULL;
}
