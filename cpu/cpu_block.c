/*
 * cpu_block.c - predecoded blocks: straight-line runs of instructions, decoded once.
 *
 * With the MMU off, the interpreter spends most of its host instructions on work that gives
 * the same answer every time an instruction runs: the alignment and bounds checks of the
 * fetch, the read of the word, the check of the bits that must be zero. A block does that
 * work once, for a run of instructions that starts at a physical address and ends at the
 * first branch or jump, at the end of the page, or before any instruction that is not plain
 * (not ALU work, a load, a store, a compare or a branch: those leave the loop often and keep
 * the one-at-a-time path). The loop then takes the words from the block (docs/interpreter.md).
 *
 * Blocks are a host-side memo, not machine state: the decoding of a word never changes, so a
 * block is right exactly while RAM still holds the words it was built from. Rather than
 * relying on every writer of RAM (the CPU, the hypervisor, DMA, the debugger, a restore, the
 * loader) to say so, a block keeps its words and is compared with RAM each time it is
 * entered; nothing runs between its instructions but the CPU's own stores, and the loop ends
 * the block when one of them lands inside it (self-modifying code).
 */
#include <string.h>

#include "cpu_internal.h"
#include "../sim/sim.h"

/* Blocks kept, direct-mapped by start address: a loop's blocks rarely collide. */
#define BLOCK_SLOTS 1024u

static cpu_block_t blocks[BLOCK_SLOTS] = {[0] = {.pa = 1}}; /* slot 0 starts empty: no pa 0 */

/* The ISA table (cpu.h) numbers the plain instructions first: ALU work, compares, loads and
 * stores below the branches and jumps (B .. JALR), and all of them below syscall, where the
 * instructions that trap, exit or touch privileged state begin. An unassigned opcode in that
 * range is illegal in a block as on the one-at-a-time path (the switch's default). */
_Static_assert(CPU_OPC_ADD < CPU_OPC_B && CPU_OPC_B < CPU_OPC_JALR &&
                   CPU_OPC_JALR < CPU_OPC_SYSCALL && CPU_OPC_POPF > CPU_OPC_SYSCALL,
               "the plain instructions come first in the ISA table");

static bool plain(uint32_t opc)
{
    return opc < CPU_OPC_SYSCALL;
}

bool cpu_opc_transfers(uint32_t opc)
{
    return opc >= CPU_OPC_B && opc <= CPU_OPC_JALR;
}

/* Decodes the block at pa into b; n is 0 when its first instruction is not plain, and then
 * that word is kept anyway, so that the next look at pa needs no decoding either. */
static void build(cpu_block_t *b, const uint8_t *ram, uint32_t ram_size, uint32_t pa,
                  const uint32_t *zero_mask)
{
    uint32_t page_end = (pa | CPU_BLOCK_PAGE_OFFSET) + 1;
    b->pa = pa;
    b->n = 0;
    memcpy(&b->raw[0], ram + pa, 4);
    for (uint32_t a = pa; a != page_end && a <= ram_size - 4 && b->n < CPU_BLOCK_MAX; a += 4) {
        const uint8_t *p = ram + a;
        uint32_t word = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24; /* RAM is little-endian */
        uint32_t opc = CPU_INSN_OPCODE(word);
        if (!plain(opc) || (word & zero_mask[opc]))
            break; /* the one-at-a-time path runs it (or faults on it) */
        memcpy(&b->raw[b->n], p, 4);
        b->word[b->n] = word;
        b->n++;
        if (cpu_opc_transfers(opc))
            break;
    }
}

const cpu_block_t *cpu_block_at(const uint8_t *ram, uint32_t ram_size, uint32_t pa,
                                const uint32_t *zero_mask)
{
    if (ram_size < 4 || (pa & 3) || pa > ram_size - 4)
        return NULL;
    cpu_block_t *b = &blocks[(pa >> 2) % BLOCK_SLOTS];
    /* Another machine's RAM may be smaller: the words must fit before they are compared. */
    uint32_t bytes = 4u * (b->n ? b->n : 1);
    bool same = b->pa == pa && bytes <= ram_size - pa && memcmp(b->raw, ram + pa, bytes) == 0;
    if (!same)
        build(b, ram, ram_size, pa, zero_mask);
    return b->n ? b : NULL;
}
