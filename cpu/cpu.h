/*
 * cpu.h - the public face of the CPU module: the ISA table, decoded instructions, CPU state,
 * the step function, and the assembler and disassembler that share the table.
 *
 * Everything about an instruction (mnemonic, opcode, operands, base cost, privilege class)
 * is written once, in CPU_ISA below. The decoder, the executor's dispatch, the assembler, the
 * disassembler and the Popek-Goldberg report are all built from that list. docs/isa.md is the
 * specification this header implements.
 */
#ifndef HVSIM_CPU_H
#define HVSIM_CPU_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../mmu/mmu.h"

struct sim_machine;

/* ------------------------------------------------------------------------------------------
 * Instruction word layout (fixed 32 bits, little-endian in memory)
 *
 *   31      24 23    20 19    16 15    12 11                       0
 *  +----------+--------+--------+--------+--------------------------+
 *  |  opcode  |   rd   |  rs1   |  rs2   |      must be zero        |   R: register operands
 *  +----------+--------+--------+--------+--------------------------+
 *  |  opcode  |   rd   |  rs1   |        imm16 (signed/unsigned)    |   I: immediate, memory, CSR
 *  +----------+--------+--------+-----------------------------------+
 *  |  opcode  |   rd   |        rel20 (signed word offset)          |   J: jal
 *  +----------+--------+--------------------------------------------+
 *  |  opcode  |        rel24 (signed word offset)                   |   B: branches
 *  +----------+-----------------------------------------------------+
 *
 * Bits that an instruction's operands do not use must be zero; otherwise the word is an
 * illegal instruction. That keeps decoding exact: every legal word disassembles to text that
 * assembles back to the same word.
 * ------------------------------------------------------------------------------------------ */
#define CPU_INSN_OPCODE(w) ((uint32_t)(w) >> 24)        /* bits 31..24 */
#define CPU_INSN_RD(w) (((uint32_t)(w) >> 20) & 0xfu)    /* bits 23..20 */
#define CPU_INSN_RS1(w) (((uint32_t)(w) >> 16) & 0xfu)   /* bits 19..16 */
#define CPU_INSN_RS2(w) (((uint32_t)(w) >> 12) & 0xfu)   /* bits 15..12 */
#define CPU_INSN_IMM16(w) ((int32_t)(int16_t)((w) & 0xffffu)) /* bits 15..0, sign-extended */
#define CPU_INSN_UIMM16(w) ((uint32_t)(w) & 0xffffu)     /* bits 15..0, zero-extended */
#define CPU_INSN_REL20(w) (((int32_t)((uint32_t)(w) << 12)) >> 12) /* bits 19..0, signed */
#define CPU_INSN_REL24(w) (((int32_t)((uint32_t)(w) << 8)) >> 8)   /* bits 23..0, signed */

/* Operand kinds: how an operand is written in assembly and which bits hold it. */
typedef enum {
    CPU_OPK_NONE = 0,
    CPU_OPK_RD,    /* register in rd */
    CPU_OPK_RS1,   /* register in rs1 */
    CPU_OPK_RS2,   /* register in rs2 */
    CPU_OPK_IMM,   /* signed 16-bit immediate in imm16 */
    CPU_OPK_UIMM,  /* unsigned 16-bit immediate in imm16 */
    CPU_OPK_SHAMT, /* shift amount 0..31 in imm16 */
    CPU_OPK_MEM,   /* [rs1 + signed imm16]: rs1 and imm16 */
    CPU_OPK_CSR,   /* CSR number (or name) in imm16 */
    CPU_OPK_REL20, /* pc-relative target, word offset in bits 19..0 */
    CPU_OPK_REL24, /* pc-relative target, word offset in bits 23..0 */
} cpu_opkind_t;

/* Privilege classes (Popek and Goldberg, 1974). */
#define CPU_CLASS_PRIV 0x1u  /* traps when executed in U */
#define CPU_CLASS_SENS 0x2u  /* reads or changes privileged state (mode, interrupt enable) */
#define CPU_CLASS_HYPER 0x4u /* ring -1 extension: reserved, illegal outside H */

/*
 * The ISA table. X(NAME, mnemonic, opcode, operand1, operand2, operand3, cycles, class, summary)
 * Operands are written in assembly in the order given. Cycles are the base cost of the
 * instruction; memory, trap and device costs are added from the cost table (sim.h).
 */
#define CPU_ISA(X)                                                                                 \
    X(NOP, "nop", 0x01, NONE, NONE, NONE, 1, 0, "do nothing")                                      \
    X(ADD, "add", 0x10, RD, RS1, RS2, 1, 0, "rd = rs1 + rs2")                                      \
    X(SUB, "sub", 0x11, RD, RS1, RS2, 1, 0, "rd = rs1 - rs2")                                      \
    X(AND, "and", 0x12, RD, RS1, RS2, 1, 0, "rd = rs1 & rs2")                                      \
    X(OR, "or", 0x13, RD, RS1, RS2, 1, 0, "rd = rs1 | rs2")                                        \
    X(XOR, "xor", 0x14, RD, RS1, RS2, 1, 0, "rd = rs1 ^ rs2")                                      \
    X(SHL, "shl", 0x15, RD, RS1, RS2, 1, 0, "rd = rs1 << (rs2 & 31)")                              \
    X(SHR, "shr", 0x16, RD, RS1, RS2, 1, 0, "rd = rs1 >> (rs2 & 31), logical")                     \
    X(SRA, "sra", 0x17, RD, RS1, RS2, 1, 0, "rd = rs1 >> (rs2 & 31), arithmetic")                  \
    X(SLT, "slt", 0x18, RD, RS1, RS2, 1, 0, "rd = (rs1 < rs2) signed ? 1 : 0")                     \
    X(SLTU, "sltu", 0x19, RD, RS1, RS2, 1, 0, "rd = (rs1 < rs2) unsigned ? 1 : 0")                 \
    X(MUL, "mul", 0x1a, RD, RS1, RS2, 3, 0, "rd = low 32 bits of rs1 * rs2")                       \
    X(MULHU, "mulhu", 0x1b, RD, RS1, RS2, 3, 0, "rd = high 32 bits of rs1 * rs2, unsigned")        \
    X(DIV, "div", 0x1c, RD, RS1, RS2, 20, 0, "rd = rs1 / rs2 signed; divide-by-zero trap")         \
    X(DIVU, "divu", 0x1d, RD, RS1, RS2, 20, 0, "rd = rs1 / rs2 unsigned; divide-by-zero trap")     \
    X(REM, "rem", 0x1e, RD, RS1, RS2, 20, 0, "rd = rs1 % rs2 signed; divide-by-zero trap")         \
    X(REMU, "remu", 0x1f, RD, RS1, RS2, 20, 0, "rd = rs1 % rs2 unsigned; divide-by-zero trap")     \
    X(ADDI, "addi", 0x20, RD, RS1, IMM, 1, 0, "rd = rs1 + simm16")                                 \
    X(ANDI, "andi", 0x21, RD, RS1, UIMM, 1, 0, "rd = rs1 & uimm16")                                \
    X(ORI, "ori", 0x22, RD, RS1, UIMM, 1, 0, "rd = rs1 | uimm16")                                  \
    X(XORI, "xori", 0x23, RD, RS1, UIMM, 1, 0, "rd = rs1 ^ uimm16")                                \
    X(SHLI, "shli", 0x24, RD, RS1, SHAMT, 1, 0, "rd = rs1 << shamt")                               \
    X(SHRI, "shri", 0x25, RD, RS1, SHAMT, 1, 0, "rd = rs1 >> shamt, logical")                      \
    X(SRAI, "srai", 0x26, RD, RS1, SHAMT, 1, 0, "rd = rs1 >> shamt, arithmetic")                   \
    X(SLTI, "slti", 0x27, RD, RS1, IMM, 1, 0, "rd = (rs1 < simm16) signed ? 1 : 0")                \
    X(SLTIU, "sltiu", 0x28, RD, RS1, IMM, 1, 0, "rd = (rs1 < simm16) unsigned ? 1 : 0")            \
    X(LUI, "lui", 0x29, RD, UIMM, NONE, 1, 0, "rd = uimm16 << 16")                                 \
    X(CMP, "cmp", 0x2c, RS1, RS2, NONE, 1, 0, "set flags Z N C V from rs1 - rs2")                  \
    X(CMPI, "cmpi", 0x2d, RS1, IMM, NONE, 1, 0, "set flags Z N C V from rs1 - simm16")             \
    X(LD, "ld", 0x30, RD, MEM, NONE, 2, 0, "rd = 32-bit word at [rs1 + simm16]")                   \
    X(LDH, "ldh", 0x31, RD, MEM, NONE, 2, 0, "rd = sign-extended 16-bit half at [rs1 + simm16]")   \
    X(LDHU, "ldhu", 0x32, RD, MEM, NONE, 2, 0, "rd = zero-extended 16-bit half at [rs1 + simm16]") \
    X(LDB, "ldb", 0x33, RD, MEM, NONE, 2, 0, "rd = sign-extended byte at [rs1 + simm16]")          \
    X(LDBU, "ldbu", 0x34, RD, MEM, NONE, 2, 0, "rd = zero-extended byte at [rs1 + simm16]")        \
    X(ST, "st", 0x38, RD, MEM, NONE, 2, 0, "32-bit word at [rs1 + simm16] = rd")                   \
    X(STH, "sth", 0x39, RD, MEM, NONE, 2, 0, "16-bit half at [rs1 + simm16] = low half of rd")     \
    X(STB, "stb", 0x3a, RD, MEM, NONE, 2, 0, "byte at [rs1 + simm16] = low byte of rd")            \
    X(PUSH, "push", 0x3c, RD, NONE, NONE, 2, 0, "sp = sp - 4; word at [sp] = rd")                  \
    X(POP, "pop", 0x3d, RD, NONE, NONE, 2, 0, "rd = word at [sp]; sp = sp + 4")                    \
    X(B, "b", 0x40, REL24, NONE, NONE, 1, 0, "branch always")                                      \
    X(BEQ, "beq", 0x41, REL24, NONE, NONE, 1, 0, "branch if equal (Z)")                            \
    X(BNE, "bne", 0x42, REL24, NONE, NONE, 1, 0, "branch if not equal (!Z)")                       \
    X(BLT, "blt", 0x43, REL24, NONE, NONE, 1, 0, "branch if less, signed (N != V)")                \
    X(BGE, "bge", 0x44, REL24, NONE, NONE, 1, 0, "branch if greater or equal, signed (N == V)")    \
    X(BGT, "bgt", 0x45, REL24, NONE, NONE, 1, 0, "branch if greater, signed (!Z and N == V)")      \
    X(BLE, "ble", 0x46, REL24, NONE, NONE, 1, 0, "branch if less or equal, signed (Z or N != V)")  \
    X(BLTU, "bltu", 0x47, REL24, NONE, NONE, 1, 0, "branch if below, unsigned (C)")                \
    X(BGEU, "bgeu", 0x48, REL24, NONE, NONE, 1, 0, "branch if above or equal, unsigned (!C)")      \
    X(BGTU, "bgtu", 0x49, REL24, NONE, NONE, 1, 0, "branch if above, unsigned (!C and !Z)")        \
    X(BLEU, "bleu", 0x4a, REL24, NONE, NONE, 1, 0, "branch if below or equal, unsigned (C or Z)")  \
    X(JAL, "jal", 0x4c, RD, REL20, NONE, 1, 0, "rd = pc + 4; jump to target")                      \
    X(JALR, "jalr", 0x4d, RD, RS1, IMM, 2, 0, "rd = pc + 4; jump to rs1 + simm16")                 \
    X(SYSCALL, "syscall", 0x50, NONE, NONE, NONE, 1, 0, "system call trap")                        \
    X(BRK, "brk", 0x51, NONE, NONE, NONE, 1, 0, "breakpoint trap")                                 \
    X(HCALL, "hcall", 0x52, NONE, NONE, NONE, 1, 0, "hypercall: exits to the hypervisor")          \
    X(CPUID, "cpuid", 0x53, RD, RS1, NONE, 4, 0, "rd = CPU identification word for leaf rs1")      \
    X(PUSHF, "pushf", 0x54, NONE, NONE, NONE, 2, CPU_CLASS_SENS,                                   \
      "push flags, including the mode and IE bits")                                                \
    X(POPF, "popf", 0x55, NONE, NONE, NONE, 2, CPU_CLASS_SENS,                                     \
      "pop flags; in U the IE bit is silently left unchanged")                                     \
    X(RDMODE, "rdmode", 0x56, RD, NONE, NONE, 1, CPU_CLASS_SENS, "rd = current privilege mode")    \
    X(CSRR, "csrr", 0x60, RD, CSR, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS, "rd = csr")           \
    X(CSRW, "csrw", 0x61, CSR, RS1, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS, "csr = rs1")         \
    X(IRET, "iret", 0x62, NONE, NONE, NONE, 4, CPU_CLASS_PRIV | CPU_CLASS_SENS,                    \
      "return from trap: pc = epc, flags = eflags")                                                \
    X(HALT, "halt", 0x63, NONE, NONE, NONE, 1, CPU_CLASS_PRIV | CPU_CLASS_SENS,                    \
      "wait for an interrupt")                                                                     \
    X(CLI, "cli", 0x64, NONE, NONE, NONE, 1, CPU_CLASS_PRIV | CPU_CLASS_SENS,                      \
      "disable interrupts (IE = 0)")                                                               \
    X(STI, "sti", 0x65, NONE, NONE, NONE, 1, CPU_CLASS_PRIV | CPU_CLASS_SENS,                      \
      "enable interrupts (IE = 1)")                                                                \
    X(TLBINV, "tlbinv", 0x66, RS1, NONE, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS,                 \
      "invalidate the TLB entry for the virtual address in rs1")                                   \
    X(TLBFLUSH, "tlbflush", 0x67, NONE, NONE, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS,            \
      "invalidate every TLB entry of the current address space")                                   \
    X(IN, "in", 0x68, RD, MEM, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS,                           \
      "rd = word read from I/O port rs1 + simm16")                                                 \
    X(OUT, "out", 0x69, RD, MEM, NONE, 2, CPU_CLASS_PRIV | CPU_CLASS_SENS,                         \
      "write rd to I/O port rs1 + simm16")                                                         \
    X(VMRUN, "vmrun", 0x70, RS1, NONE, NONE, 1, CPU_CLASS_HYPER,                                   \
      "ring -1: enter the VM whose control block is at rs1")                                       \
    X(INVVM, "invvm", 0x71, RS1, NONE, NONE, 1, CPU_CLASS_HYPER,                                   \
      "ring -1: invalidate TLB entries of VM id rs1")                                              \
    X(INVASID, "invasid", 0x72, RS1, NONE, NONE, 1, CPU_CLASS_HYPER,                               \
      "ring -1: invalidate TLB entries of ASID rs1 & 0x7ff in VM id rs1 >> 16")

/* One enumerator per instruction: CPU_OP_ADD, ...; and its opcode byte CPU_OPC_ADD. */
typedef enum {
#define CPU_X_ENUM(name, mn, opc, a, b, c, cyc, cls, sum) CPU_OP_##name,
    CPU_ISA(CPU_X_ENUM)
#undef CPU_X_ENUM
        CPU_OP_COUNT
} cpu_op_t;

enum {
#define CPU_X_OPC(name, mn, opc, a, b, c, cyc, cls, sum) CPU_OPC_##name = opc,
    CPU_ISA(CPU_X_OPC)
#undef CPU_X_OPC
};

typedef struct {
    const char *mnemonic;
    uint8_t opcode;
    uint8_t operands[3]; /* cpu_opkind_t, CPU_OPK_NONE when unused */
    uint8_t cycles;
    uint8_t cls;          /* CPU_CLASS_* bits */
    uint32_t zero_mask;   /* bits that must be zero in a legal encoding */
    const char *summary;
} cpu_insn_info_t;

extern const cpu_insn_info_t cpu_isa[CPU_OP_COUNT];

/* A decoded instruction. Fields an instruction does not use are zero. */
typedef struct {
    cpu_op_t op;
    uint8_t rd, rs1, rs2;
    int32_t imm; /* imm16 (sign- or zero-extended by kind), shamt, CSR number, or byte offset */
} cpu_insn_t;

/* Returns the instruction for an opcode byte, or -1 when the opcode is not assigned. */
int cpu_op_of_opcode(uint8_t opcode);
/* Finds an instruction by mnemonic (case-insensitive); -1 when there is none. */
int cpu_op_by_mnemonic(const char *mnemonic);
/* Decodes one word. Returns false (illegal instruction) for an unassigned opcode, non-zero
 * reserved bits or a shift amount above 31. Branch targets come back as byte offsets. */
bool cpu_decode(uint32_t word, cpu_insn_t *out);
/* Encodes a decoded instruction. The caller has checked ranges (cpu_operand_fits). */
uint32_t cpu_encode(const cpu_insn_t *insn);
/* True when value fits the operand kind (byte offsets for REL20/REL24 must be multiples of 4). */
bool cpu_operand_fits(cpu_opkind_t kind, int64_t value);
/* "privileged", "sensitive", "privileged+sensitive", "ring -1" or "neither". */
const char *cpu_class_name(unsigned cls);

/* ------------------------------------------------------------------------------------------
 * Registers, modes, flags
 * ------------------------------------------------------------------------------------------ */
#define CPU_NREGS 16
#define CPU_REG_ZERO 0 /* r0 always reads 0; writes are ignored */
#define CPU_REG_SP 14  /* stack pointer, used by push, pop, pushf, popf */
#define CPU_REG_LR 15  /* link register, used by call and ret */

typedef enum { CPU_MODE_U = 0, CPU_MODE_K = 1, CPU_MODE_H = 2 } cpu_mode_t;

/* FLAGS register:
 *   31          14 13  12 11     9  8   7     4  3   2   1   0
 *  +--------------+------+--------+----+-------+---+---+---+---+
 *  |   zero       | MODE |  zero  | IE | zero  | V | C | N | Z |
 *  +--------------+------+--------+----+-------+---+---+---+---+
 * MODE is read-only (0 = U, 1 = K, 2 = H); pushf reveals it. */
#define CPU_FLAG_Z 0x001u         /* result was zero */
#define CPU_FLAG_N 0x002u         /* result was negative */
#define CPU_FLAG_C 0x004u         /* unsigned borrow: rs1 < rs2 */
#define CPU_FLAG_V 0x008u         /* signed overflow */
#define CPU_FLAG_IE 0x100u        /* interrupts enabled */
/* Under the control MONITOR only: the pc is in the co-resident monitor's code (x86's code
 * segment of VMware's monitor), where U may read the clock. The monitor sets it in the guest
 * state when it enters its translated code and clears it for the guest's own code; popf and
 * the guest keep it as it is, so guest code at the same addresses never has it. */
#define CPU_FLAG_MONITOR 0x200u
#define CPU_FLAG_MODE_SHIFT 12
#define CPU_FLAG_MODE_MASK 0x3000u /* current privilege mode */
#define CPU_FLAG_COND (CPU_FLAG_Z | CPU_FLAG_N | CPU_FLAG_C | CPU_FLAG_V)

/* Control and status registers, X(NAME, name, number, writable, summary). */
#define CPU_CSRS(X)                                                                                \
    X(STATUS, "status", 0x00, 1, "IE and MODE bits of FLAGS; writes change IE only")               \
    X(TVEC, "tvec", 0x01, 1, "trap vector: address where traps and interrupts enter K")            \
    X(CAUSE, "cause", 0x02, 1, "cause of the last trap; bit 31 set for interrupts")                \
    X(TVAL, "tval", 0x03, 1, "trap value: faulting address or instruction word")                   \
    X(EPC, "epc", 0x04, 1, "saved PC: where iret returns")                                         \
    X(EFLAGS, "eflags", 0x05, 1, "saved FLAGS (mode and IE before the trap)")                      \
    X(SCRATCH, "scratch", 0x06, 1, "free for the kernel (e.g. a kernel stack pointer)")            \
    X(PTROOT, "ptroot", 0x07, 1, "page-table root; 0 = paging off")                                \
    X(TIMER, "timer", 0x08, 1, "timer countdown in cycles; 0 = off; writing acknowledges")         \
    X(IM, "im", 0x09, 1, "interrupt mask: bit n enables line n")                                   \
    X(IP, "ip", 0x0a, 0, "interrupt pending lines (read-only)")                                    \
    X(CYCLE, "cycle", 0x0b, 0, "cycle counter, low 32 bits (read-only)")                           \
    X(CYCLEH, "cycleh", 0x0c, 0, "cycle counter, high 32 bits (read-only)")                        \
    X(INSTRET, "instret", 0x0d, 0, "instructions retired, low 32 bits (read-only)")                \
    X(CPUNUM, "cpunum", 0x0e, 0, "number of this CPU (read-only)")

typedef enum {
#define CPU_X_CSR(name, str, num, wr, sum) CPU_CSR_##name = num,
    CPU_CSRS(CPU_X_CSR)
#undef CPU_X_CSR
        CPU_CSR_COUNT
} cpu_csr_t;

/* Looks a CSR up by name; -1 when unknown. */
int cpu_csr_by_name(const char *name);
/* The name of a CSR number, or NULL. */
const char *cpu_csr_name(unsigned num);

/* Trap causes, X(NAME, name, code, summary). Interrupts use CPU_CAUSE_INTERRUPT | line. */
#define CPU_CAUSES(X)                                                                              \
    X(ILLEGAL, "illegal-instruction", 0, "the word is not a legal instruction")                    \
    X(PRIVILEGED, "privileged-instruction", 1, "a privileged instruction was executed in U")       \
    X(MISALIGNED, "misaligned-access", 2, "a fetch, load or store address is not aligned")         \
    X(BREAKPOINT, "breakpoint", 3, "brk was executed")                                             \
    X(SYSCALL, "system-call", 4, "syscall was executed")                                           \
    X(BUS_ERROR, "bus-error", 5, "no memory or device answers at the physical address")            \
    X(DIV_ZERO, "divide-by-zero", 6, "div, divu, rem or remu with a zero divisor")                 \
    X(FETCH_PAGE_FAULT, "fetch-page-fault", 7, "no page, or no X for this mode, at the pc")       \
    X(LOAD_PAGE_FAULT, "load-page-fault", 8, "no page, or no R for this mode, at the address")     \
    X(STORE_PAGE_FAULT, "store-page-fault", 9, "no page, or no W for this mode, at the address")

typedef enum {
#define CPU_X_CAUSE(name, str, code, sum) CPU_CAUSE_##name = code,
    CPU_CAUSES(CPU_X_CAUSE)
#undef CPU_X_CAUSE
        CPU_CAUSE_COUNT
} cpu_cause_t;

#define CPU_CAUSE_INTERRUPT 0x80000000u
#define CPU_IRQ_TIMER 0   /* line 0: this CPU's timer */
#define CPU_IRQ_LINES 16  /* lines 1..15 come from devices */

/* "system-call", "interrupt 0 (timer)", ... for any cause value; buf holds interrupt names. */
const char *cpu_cause_name(uint32_t cause, char *buf, size_t len);

/* cpuid leaves */
#define CPU_CPUID_VENDOR 0x4d535648u /* leaf 0: "HVSM" in little-endian bytes */
#define CPU_CPUID_FEAT_HYPERVISOR 0x80000000u /* leaf 1 bit 31: running under a hypervisor */

/* ------------------------------------------------------------------------------------------
 * Ring -1: the VM control block (VMCB), VM entry and VM exit (cpu_vm.c; docs/isa.md, "Ring -1")
 *
 * A VMCB is one 4 KiB page of host-physical memory. The hypervisor (in H) fills it and enters
 * the VM with `vmrun` (or cpu_vm_enter from C); the CPU then runs the guest in *guest mode*:
 * its U and K are the guest's, its CSRs are the guest's, every guest-physical address goes
 * through the nested tables named here, and TLB entries carry the VM id. When something
 * listed in the controls happens, the CPU exits: it writes the guest state and the exit
 * information back into the VMCB, reloads the host state and returns to H.
 *
 *  0x000 +--------------------------------------------------------------+
 *        | revision | vm label | vcpu id |  (reserved)                   |  identification
 *  0x010 +--------------------------------------------------------------+
 *        | controls | exceptions | csr read exits | csr write exits       |
 *  0x020 | preempt timer | nested enable | nested levels | nested root    |  controls
 *  0x030 | vmid | inject valid | inject cause | inject tval               |
 *  0x040 | vip | tsc offset lo | tsc offset hi |                          |
 *  0x100 +--------------------------------------------------------------+
 *        | r0 .. r15 | pc | flags | tvec cause tval epc eflags scratch   |  guest state
 *        | ptroot timer im | timer pending | halted | instret lo hi      |  (0x100..0x17b)
 *  0x200 +--------------------------------------------------------------+
 *        | the same layout for the host, saved by entry, reloaded by   |  host state
 *        | exit (timer = the host's deadline, lo/hi in the instret slots) |  (0x200..0x27b)
 *  0x300 +--------------------------------------------------------------+
 *        | exit reason | qualification | gva | gpa | insn length | insn  |  exit information
 *  0x318 +--------------------------------------------------------------+
 *        | (reserved, zero)                                              |
 *  0x1000+--------------------------------------------------------------+
 *
 * All fields are 32-bit little-endian words. A state area (guest at 0x100, host at 0x200)
 * holds r0..r15 at +0x00..+0x3c, pc at +0x40, flags at +0x44, CSR n (1 = tvec .. 9 = im) at
 * +0x44 + 4n, timer pending at +0x6c, halted at +0x70 and a 64-bit count at +0x74/+0x78.
 * ------------------------------------------------------------------------------------------ */
#define CPU_VMCB_SIZE 4096u
#define CPU_VMCB_REVISION 1u

#define CPU_VMCB_REV 0x000u            /* must be CPU_VMCB_REVISION */
#define CPU_VMCB_VM_LABEL 0x004u       /* the VM number events carry (the hypervisor's choice) */
#define CPU_VMCB_VCPU_ID 0x008u        /* what the guest's cpunum reads; events carry it too */
#define CPU_VMCB_CONTROLS 0x010u       /* exit-control bits, CPU_VMCTL_* */
#define CPU_VMCB_EXCEPTIONS 0x014u     /* bit n set: trap cause n exits instead of entering K */
#define CPU_VMCB_CSR_READ 0x018u       /* bit n set: csrr of CSR n exits (with CPU_VMCTL_CSR) */
#define CPU_VMCB_CSR_WRITE 0x01cu      /* bit n set: csrw of CSR n exits (with CPU_VMCTL_CSR) */
#define CPU_VMCB_PREEMPT 0x020u        /* cycles until a PREEMPT exit; 0 = off; exit writes back
                                          what was left (0 when it fired) */
#define CPU_VMCB_NESTED_ENABLE 0x024u  /* bit 0: nested tables on; bit 1: CPU_NESTED_AD */
#define CPU_NESTED_AD 0x2u             /* (EPT's A/D flags: what a hypervisor's replacement sees) */
#define CPU_VMCB_NESTED_LEVELS 0x028u  /* 2..4 */
#define CPU_VMCB_NESTED_ROOT 0x02cu    /* host-physical address of the root nested table */
#define CPU_VMCB_VMID 0x030u           /* 1..65535: the TLB tag of this VM (0 is the host's) */
#define CPU_VMCB_INJECT_VALID 0x034u   /* 1: deliver the event below on entry (entry clears it) */
#define CPU_VMCB_INJECT_CAUSE 0x038u   /* a trap cause, or CPU_CAUSE_INTERRUPT | line */
#define CPU_VMCB_INJECT_TVAL 0x03cu    /* the tval the guest's handler sees */
#define CPU_VMCB_VIP 0x040u            /* virtual interrupt lines pending (level, bit n = line n) */
#define CPU_VMCB_TSC_OFFSET_LO 0x044u  /* the guest's cycle CSR reads host cycles - offset */
#define CPU_VMCB_TSC_OFFSET_HI 0x048u
#define CPU_VMCB_MONITOR_RESUME                                                                    \
    0x04cu                             /* 1: the last exit was a trap into the co-resident         \
                                        * monitor (CPU_VMCTL_MONITOR), so the next entry is        \
                                        * the monitor's return: free (entry clears it) */
#define CPU_VMCB_PORT_FIRST 0x050u     /* control PORTS: the first port that does not exit */
#define CPU_VMCB_PORT_COUNT 0x054u     /* ... and how many ports from it */
#define CPU_VMCB_GUEST 0x100u          /* guest state area */
#define CPU_VMCB_HOST 0x200u           /* host state area */
#define CPU_VMCB_EXIT_REASON 0x300u    /* cpu_exit_reason_t */
#define CPU_VMCB_EXIT_QUAL 0x304u      /* qualification: what exactly (per reason, docs/isa.md) */
#define CPU_VMCB_EXIT_GVA 0x308u       /* guest-virtual address involved (or a bad field value) */
#define CPU_VMCB_EXIT_GPA 0x30cu       /* guest-physical address involved */
#define CPU_VMCB_EXIT_LEN 0x310u       /* length of the exiting instruction (4), 0 if none */
#define CPU_VMCB_EXIT_INSN 0x314u      /* the exiting instruction word, 0 if none */

/* Offsets inside a state area (add CPU_VMCB_GUEST or CPU_VMCB_HOST). */
#define CPU_VMCB_R(n) (4u * (n))                 /* r0..r15 */
#define CPU_VMCB_PC 0x40u
#define CPU_VMCB_FLAGS 0x44u
#define CPU_VMCB_CSR(n) (0x44u + 4u * (n))       /* n = CPU_CSR_TVEC (1) .. CPU_CSR_IM (9) */
#define CPU_VMCB_TIMER_PENDING 0x6cu
#define CPU_VMCB_HALTED 0x70u
#define CPU_VMCB_COUNT_LO 0x74u                  /* guest: instret; host: timer deadline */
#define CPU_VMCB_COUNT_HI 0x78u
#define CPU_VMCB_STATE_WORDS 31u                 /* words a state area holds */

/* Exit controls, X(NAME, bit, name as sentences say it, what setting it does). */
#define CPU_VM_CONTROLS(X)                                                                         \
    X(HALT, 0x01u, "halt", "halt exits instead of waiting for an interrupt")                       \
    X(IO, 0x02u, "port I/O", "in and out exit instead of reaching the bus")                        \
    X(CPUID, 0x04u, "cpuid", "cpuid exits, so that the hypervisor describes the virtual CPU")      \
    X(EXTINT, 0x08u, "external interrupt",                                                         \
      "a pending physical interrupt line exits at once, whatever the guest's IE")                  \
    X(CSR, 0x10u, "CSR access", "csrr and csrw of the CSRs marked in the CSR exit bitmaps exit")   \
    X(TLB, 0x20u, "TLB invalidation",                                                              \
      "tlbinv and tlbflush exit, so that a hypervisor's shadow page tables follow the guest's")    \
    X(MONITOR, 0x40u, "co-resident monitor",                                                       \
      "an exception exit is a trap into a monitor in the guest's own address space (binary "       \
      "translation): no world switch, so neither it nor the entry back costs exit, entry or "      \
      "words; and the guest's data segment is truncated below the monitor (a load or store in "    \
      "U with a base register other than r0 at or above CPU_MONITOR_BASE takes a page fault; "     \
      "the monitor's code up there, run with the flag MONITOR, may read cycle and cycleh in U, "   \
      "as x86's rdtsc)")                                                                           \
    X(PORTS, 0x80u, "device ports",                                                                \
      "in and out of the VMCB's port window (first port at 0x050, count at 0x054) reach the bus "  \
      "even with 'port I/O' set: the registers of a device assigned to the VM (VT-x's I/O "        \
      "bitmaps, reduced to one window)")

enum {
#define CPU_X_VMCTL(name, bit, str, doc) CPU_VMCTL_##name = bit,
    CPU_VM_CONTROLS(CPU_X_VMCTL)
#undef CPU_X_VMCTL
};
#define CPU_VMCTL_ALL 0xffu

/*
 * The co-resident monitor's region (control MONITOR): the top 4 MiB of the guest's address
 * space. As VMware's monitor truncated the guest's segments so that the guest could not reach
 * it, the hardware truncates a MONITOR guest's data segment here: a load or store (push and
 * pop too) in U whose base register is not r0 and whose address is at or above this base
 * takes a load or store page fault instead of reaching memory (after the alignment check).
 * Absolute addressing, [r0 + imm], is the monitor's own segment (x86's %gs): its translated
 * code reaches its state that way, and it translates the guest's own r0-based accesses up
 * there into calls into itself.
 */
#define CPU_MONITOR_BASE 0xffc00000u

/*
 * Exit reasons, X(NAME, code, "because ..." sentence). For an exit caused by an instruction,
 * the saved guest pc is the instruction's own address (it has not run) and the instruction
 * length is 4: the hypervisor adds it to skip the instruction once emulated. The qualification
 * of each reason is in docs/isa.md.
 */
#define CPU_EXIT_REASONS(X)                                                                        \
    X(EXCEPTION, 0, "the exception bitmap has the bit of this trap cause set")                     \
    X(EXTERNAL_INTERRUPT, 1,                                                                       \
      "the exit control 'external interrupt' is set and a physical interrupt line is pending")     \
    X(HALT, 2, "the exit control 'halt' is set")                                                   \
    X(IO_PORT, 3, "the exit control 'port I/O' is set")                                            \
    X(CSR_ACCESS, 4, "the exit control 'CSR access' is set and the CSR exit bitmap marks this CSR") \
    X(CPUID, 5, "the exit control 'cpuid' is set")                                                 \
    X(HYPERCALL, 6, "hcall always exits to the hypervisor")                                        \
    X(NESTED_FAULT, 7, "the nested page tables do not map this guest-physical address for the "    \
                       "access")                                                                   \
    X(PREEMPT, 8, "the preemption timer expired (the hypervisor's time slice is over)")            \
    X(ENTRY_FAILED, 9, "a field of the VMCB is invalid, so the VM entry failed")                   \
    X(TLB_INVALIDATE, 10, "the exit control 'TLB invalidation' is set")

typedef enum {
#define CPU_X_EXITENUM(name, code, why) CPU_EXIT_##name = code,
    CPU_EXIT_REASONS(CPU_X_EXITENUM)
#undef CPU_X_EXITENUM
        CPU_EXIT_COUNT
} cpu_exit_reason_t;

/* Qualification bits of IO_PORT and CSR_ACCESS exits. */
#define CPU_EXITQ_PORT(q) ((q)&0xffffu)        /* IO_PORT: the port */
#define CPU_EXITQ_CSR(q) ((q)&0xffffu)         /* CSR_ACCESS: the CSR number */
#define CPU_EXITQ_WRITE 0x10000u               /* out / csrw (else in / csrr) */
#define CPU_EXITQ_REG(q) (((q) >> 20) & 0xfu)  /* the register read or written */
#define CPU_EXITQ_TLBFLUSH 1u                  /* TLB_INVALIDATE: tlbflush (else tlbinv, gva) */
/* NESTED_FAULT: access | nested access << 2 | reason << 4 | guest level << 8 | nested level
 * << 16 (the fields of mmu_nested_fault_t). */
#define CPU_EXITQ_NESTED(f)                                                                        \
    ((uint32_t)(f).access | (uint32_t)(f).nested_access << 2 | (uint32_t)(f).reason << 4 |        \
     (uint32_t)(f).for_level << 8 | (uint32_t)(f).level << 16)

/* Why a VM entry fails, X(NAME, VMCB field, message with one %08x for the bad value). */
#define CPU_ENTRY_CHECKS(X)                                                                        \
    X(NOT_H, "mode", "vmrun needs ring -1: the CPU is in mode 0x%08x, not H (2)")                  \
    X(VMCB_ADDRESS, "VMCB address",                                                                \
      "the VMCB address 0x%08x is not a 4 KiB-aligned page of RAM")                                \
    X(REVISION, "revision (0x000)",                                                                \
      "the VMCB revision is 0x%08x; this CPU understands revision 1 (write it at offset 0x000)")   \
    X(CONTROLS, "controls (0x010)",                                                                \
      "the exit controls 0x%08x set reserved bits (only 0xff are defined)")                        \
    X(GUEST_MODE, "guest flags (0x144)",                                                           \
      "the guest flags 0x%08x ask for mode H or 3; a guest runs in U (0) or K (1)")                \
    X(GUEST_PC, "guest pc (0x140)", "the guest pc 0x%08x is not 4-byte aligned")                   \
    X(VMID, "vmid (0x030)", "the VM id %u is not 1..65535 (0 is the host's TLB tag)")              \
    X(NESTED_LEVELS, "nested levels (0x028)",                                                      \
      "nested translation is on with %u levels; it must be 2 to 4")                                \
    X(NESTED_ROOT, "nested root (0x02c)",                                                          \
      "the nested root 0x%08x is not a 4 KiB-aligned page of RAM")                                 \
    X(INJECT_CAUSE, "inject cause (0x038)",                                                        \
      "the injected cause 0x%08x is neither a trap cause (0..9) nor an interrupt "                \
      "(0x80000000 + line 0..15)")                                                                 \
    X(INJECT_IE, "guest flags (0x144)",                                                            \
      "an interrupt is injected but the guest flags 0x%08x have IE = 0 (interrupts disabled)")

typedef enum {
#define CPU_X_ENTRYENUM(name, field, msg) CPU_ENTRY_##name,
    CPU_ENTRY_CHECKS(CPU_X_ENTRYENUM)
#undef CPU_X_ENTRYENUM
        CPU_ENTRY_CHECK_COUNT
} cpu_entry_check_t;

/* The CPU's guest-mode state: plain data, saved with the CPU. The VMCB in memory is the
 * architectural copy; these are what the CPU keeps loaded while the guest runs. */
typedef struct {
    uint8_t active;           /* 1: the CPU is in guest mode */
    uint8_t exit_pending;     /* an exit happened: cpu_run returns CPU_STOP_VMEXIT */
    uint16_t vmid;            /* the loaded VMCB's VM id */
    int16_t vm_label;         /* events carry it as the VM */
    int16_t vcpu;             /* events carry it as the VCPU; the guest's cpunum */
    uint32_t vmcb;            /* host-physical address of the loaded (or last) VMCB */
    uint32_t controls;        /* CPU_VMCTL_* */
    uint32_t exceptions;      /* exception bitmap */
    uint32_t csr_read_exits, csr_write_exits;
    uint32_t port_first, port_count; /* control PORTS: the window of ports that do not exit */
    uint32_t vip;             /* virtual interrupt lines pending */
    uint64_t preempt_deadline; /* cycle of the PREEMPT exit; 0 = off */
    uint64_t tsc_offset;
    uint64_t instret_base;    /* guest instret = instret_base + s.instret */
    /* the last exit (also in the VMCB's exit information) */
    uint32_t exit_reason, exit_qual, exit_gva, exit_gpa, exit_insn;
    /* statistics */
    uint64_t entries, failed_entries;
    uint64_t exits[CPU_EXIT_COUNT];
} cpu_vm_state_t;

/* ------------------------------------------------------------------------------------------
 * CPU state: plain data, copied and compared as a whole
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    uint32_t r[CPU_NREGS];
    uint32_t pc;
    uint32_t flags;
    uint32_t csr[CPU_CSR_COUNT]; /* STATUS, IP, CYCLE*, INSTRET, CPUNUM are computed on read */
    uint64_t cycles;             /* cycles this CPU has spent */
    uint64_t instret;            /* instructions retired */
    uint64_t timer_deadline;     /* cycle at which the timer fires; 0 = off */
    uint32_t irq_lines;          /* device lines raised (level), bit n = line n */
    uint32_t timer_pending;      /* 1 while the timer interrupt waits to be acknowledged */
    uint8_t halted;              /* waiting for an interrupt (after halt) */
    uint8_t id;                  /* CPU number */
    /* statistics */
    uint64_t traps[CPU_CAUSE_COUNT];
    uint64_t interrupts[CPU_IRQ_LINES];
    cpu_vm_state_t vm; /* ring -1: guest mode (see "Ring -1" above) */
} cpu_state_t;

/* Why cpu_run returned. */
typedef enum {
    CPU_STOP_BUDGET = 0, /* the cycle budget is spent */
    CPU_STOP_HALTED,     /* waiting for an interrupt that no timer will bring (cycles advanced) */
    CPU_STOP_POWEROFF,   /* a device powered the machine off */
    CPU_STOP_DEBUG,      /* a debugger hook asked to stop */
    CPU_STOP_NESTED_FAULT, /* a nested fault (mmu.last_nested_fault); pc is on the instruction,
                              which has not run: a hypervisor must map the page and resume */
    CPU_STOP_VMEXIT,     /* the guest exited: the CPU is back in H, the VMCB says why */
} cpu_stop_t;

typedef struct cpu cpu_t;
/* Called before each instruction (and before a halted CPU waits, with s.halted set) while
 * cpu->debug is set; returning true stops cpu_run before the instruction at cpu->s.pc. */
typedef bool (*cpu_debug_fn)(cpu_t *cpu, void *ctx);
/* Called while cpu->debug is set for each load that succeeded (after it) and each store whose
 * address translated (before it changes memory, so the old value can still be read): va is the
 * address the instruction used, pa the host-physical one, value what was read or is written.
 * cpu->s.pc is the instruction's address. The debugger's watchpoints. */
typedef void (*cpu_watch_fn)(cpu_t *cpu, void *ctx, uint32_t va, uint32_t pa, unsigned size,
                             bool write, uint32_t value);

struct cpu {
    cpu_state_t s;
    mmu_t mmu;                /* this CPU's MMU and TLB: plain data, saved with the CPU */
    struct sim_machine *mach; /* rebuilt on restore, never saved */
    bool debug;               /* the one flag the hot loop checks */
    cpu_debug_fn debug_fn;
    cpu_watch_fn watch_fn;    /* called with debug_ctx too */
    void *debug_ctx;
};

/*
 * Predecoded blocks (cpu_block.c; docs/interpreter.md): a host-side memo of decoded code, one
 * table per machine, shared by its CPUs. A block is keyed by the physical address it starts
 * at. Every store to RAM, whoever makes it, passes cpu_blocks_written (through the machine's
 * sim_ram_written): a page that blocks were decoded from is marked, with the 64-byte granules
 * their words came from, and a write into a marked granule bumps the page's generation, which
 * drops every block decoded from it at once. A write elsewhere on the page (a kernel's variable
 * beside its code) drops nothing.
 */
struct cpu_block;
typedef struct {
    struct cpu_block *slot; /* direct-mapped by start address; mask + 1 of them */
    uint32_t mask;
    uint32_t pages; /* RAM's pages: the size of code and gen */
    uint64_t *code; /* per physical page: bit g set while blocks decoded from granule g of it
                     * may be in use (0: no code) */
    uint64_t *gen;  /* per physical page: a block is valid while it has its page's gen */
} cpu_blocks_t;
/* Allocates the table for `ram_size` bytes of RAM; -1 when memory cannot be had. */
int cpu_blocks_init(cpu_blocks_t *t, uint32_t ram_size);
void cpu_blocks_free(cpu_blocks_t *t);
/* Drops the blocks of the marked pages among pages first..last (cpu_blocks_written's slow
 * path). */
void cpu_blocks_drop(cpu_blocks_t *t, uint32_t first, uint32_t last);
/* A page's code is marked in granules of 64 bytes, 64 to a page: one bit each in code[page]. */
#define CPU_BLOCK_GRANULE_SHIFT 6u
_Static_assert(MMU_PAGE_SIZE >> CPU_BLOCK_GRANULE_SHIFT == 64, "a page's granules fill a uint64_t");
/* The granules of [pa, pa + len) (len >= 1), within pa's page. */
static inline uint64_t cpu_blocks_granules(uint32_t pa, uint32_t len)
{
    uint32_t off = pa & MMU_PAGE_OFFSET, end = off + len - 1;
    uint32_t first = off >> CPU_BLOCK_GRANULE_SHIFT;
    uint32_t last = end > MMU_PAGE_OFFSET ? 63 : end >> CPU_BLOCK_GRANULE_SHIFT;
    uint64_t upto_last = last == 63 ? ~0ull : (1ull << (last + 1)) - 1;
    return upto_last & ~((1ull << first) - 1);
}
/* RAM changed at [pa, pa + len): drops the blocks decoded from those bytes' pages. The common
 * case, a store to a page with no code, costs one test; a store beside a page's code, two. */
static inline void cpu_blocks_written(cpu_blocks_t *t, uint32_t pa, uint32_t len)
{
    if (len == 0 || !t->code)
        return;
    uint32_t first = pa >> MMU_PAGE_SHIFT, last = (pa + (len - 1)) >> MMU_PAGE_SHIFT;
    if (first == last ? (t->code[first] & cpu_blocks_granules(pa, len)) != 0 : 1)
        cpu_blocks_drop(t, first, last);
}

/* Resets a CPU: registers 0, pc = reset_pc, mode K, interrupts disabled, all lines masked in. */
void cpu_reset(cpu_t *cpu, struct sim_machine *mach, uint8_t id, uint32_t reset_pc);
/* Runs until `budget` more cycles are spent, the machine powers off, or a hook stops it.
 * An instruction is never split: the last one may overrun the budget by its cost. */
cpu_stop_t cpu_run(cpu_t *cpu, uint64_t budget);
/* Raises or lowers a device interrupt line (1..15). */
void cpu_set_irq(cpu_t *cpu, unsigned line, bool level);
/* Reads a CSR as the csrr instruction would (computed ones included). */
uint32_t cpu_csr_read(const cpu_t *cpu, unsigned num);
/* The current privilege mode. */
static inline cpu_mode_t cpu_mode(const cpu_t *cpu)
{
    return (cpu_mode_t)((cpu->s.flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
}
/* "U", "K" or "H". */
const char *cpu_mode_name(cpu_mode_t mode);

/* ------------------------------------------------------------------------------------------
 * Ring -1 operations (cpu_vm.c). The hypervisor (C code entered in H) uses the same functions
 * that the vmrun, invvm and invasid instructions use.
 * ------------------------------------------------------------------------------------------ */
/* True while the CPU runs a guest. */
static inline bool cpu_in_guest(const cpu_t *cpu)
{
    return cpu->s.vm.active != 0;
}
/* Puts the CPU in H (ring -1), as a machine does for the CPUs a hypervisor owns from reset
 * (there is no instruction that climbs into H). */
void cpu_set_hypervisor_mode(cpu_t *cpu);
/*
 * VM entry (the vmrun instruction): checks the VMCB at host-physical `vmcb` (CPU_ENTRY_CHECKS,
 * in that order), saves the host state into it (with `host_pc` as the host's pc), loads the
 * guest state and the controls, turns nested translation on as the VMCB says, delivers an
 * injected event, and leaves the CPU in guest mode; cpu_run then runs the guest until it
 * exits. Charges vm_entry plus vmcb_word per word moved. Returns true on success; on failure
 * the CPU stays in H, nothing of the guest is loaded, and the reason is in the VMCB's exit
 * information (ENTRY_FAILED, qualification = cpu_entry_check_t, gva = the bad value) when the
 * VMCB address itself was usable, and always in cpu->s.vm.exit_*. The TLB is not flushed:
 * entries carry the VM id.
 */
bool cpu_vm_enter(cpu_t *cpu, uint32_t vmcb, uint32_t host_pc);
/* The sentence of a failed entry: "VM entry failed: the VMCB revision is 0x00000000; ...". */
void cpu_vm_entry_error(const cpu_t *cpu, char *buf, size_t len);
/* The message of one entry check with the bad value filled in, and the VMCB field it names. */
void cpu_entry_check_message(unsigned check, uint32_t value, char *buf, size_t len);
const char *cpu_entry_check_field(unsigned check);
const char *cpu_entry_check_name(unsigned check); /* "REVISION" */
/*
 * Posts virtual interrupt lines to a guest (the VMCB's vip field), as interrupt-posting
 * hardware does: a guest running on this CPU takes them at its next instruction boundary
 * when its IE and im allow, without an exit. Also writes the VMCB's vip word. `lines` replaces
 * the pending set (levels, like device lines).
 */
void cpu_vm_set_vip(cpu_t *cpu, uint32_t lines);
/* The invvm and invasid instructions: drop the TLB entries of one VM id, or of one (VM id,
 * ASID) pair (asid_and_vmid = vmid << 16 | asid). */
void cpu_vm_invvm(cpu_t *cpu, uint16_t vmid);
void cpu_vm_invasid(cpu_t *cpu, uint32_t asid_and_vmid);

/* Exit reasons by number and name: "IO_PORT", and the "because" clause of the table. */
const char *cpu_exit_reason_name(unsigned reason);
const char *cpu_exit_reason_why(unsigned reason);
int cpu_exit_reason_by_name(const char *name); /* case-insensitive; -1 when unknown */
/* The name of one exit-control bit ("port I/O"), NULL for an unknown bit. */
const char *cpu_vm_control_name(uint32_t bit);
/* One word of a VMCB as memory holds it, without charging anything (for debuggers and
 * tests); 0 when it lies outside RAM. */
uint32_t cpu_vmcb_peek(const cpu_t *cpu, uint32_t vmcb, uint32_t offset);

/* The Popek-Goldberg report behind `hvsim isa`, and the table of docs/isa.md. */
void cpu_print_isa_report(FILE *out);
void cpu_print_isa_markdown(FILE *out);

/* ------------------------------------------------------------------------------------------
 * Assembler and disassembler (cpu_asm.c, cpu_disasm.c)
 * ------------------------------------------------------------------------------------------ */
#define CPU_RESET_PC 0x1000u /* where a flat image is loaded and execution starts */

typedef struct {
    char *name;
    uint32_t addr;
} cpu_symbol_t;

/* Where an instruction came from: the source file (an index into cpu_asm_result_t.files) and
 * its 1-based line. The debugger's `list` and `bt` use these (hvasm writes them as PROG.lines). */
typedef struct {
    uint32_t addr;
    uint32_t file;
    uint32_t line;
} cpu_line_t;

/* The output of an assembly: a flat image starting at `base`, its symbols, and a line for each
 * instruction (sorted by address) with the files they name (paths as the assembler opened
 * them: the main file as given, includes beside the file that includes them). */
typedef struct {
    uint32_t base;
    uint8_t *bytes;
    size_t size;
    cpu_symbol_t *syms;
    size_t nsyms;
    cpu_line_t *lines;
    size_t nlines;
    char **files;
    size_t nfiles;
    int errors; /* number of errors reported; the image is unusable when non-zero */
} cpu_asm_result_t;

/* Assembles `path` (its .include files are read relative to it). Every error is written to
 * `diag` as FILE:LINE:COL: error: MESSAGE. Returns 0 when there were none. */
int cpu_asm_file(const char *path, FILE *diag, cpu_asm_result_t *out);
/* Assembles source text held in memory; `name` is used in messages. */
int cpu_asm_string(const char *name, const char *text, FILE *diag, cpu_asm_result_t *out);
void cpu_asm_free(cpu_asm_result_t *res);

/* Writes the text of one instruction at `pc` into buf (e.g. "addi r1, r2, -4"). Branch targets
 * are written as absolute addresses, or as symbols when `syms` names them. Returns false and
 * writes ".word 0x..." for an illegal word. `syms` must be sorted (cpu_syms_sort). */
bool cpu_disasm(uint32_t word, uint32_t pc, const cpu_symbol_t *syms, size_t nsyms, char *buf,
                size_t len);

#define CPU_ASM_MAX_IMAGE (64u << 20) /* largest image the assembler makes, in bytes */
#define CPU_ASM_MAX_ERRORS 100        /* errors reported before the assembler gives up */

typedef struct {
    FILE *listing;  /* when set and there were no errors: address, word(s), source line */
    int max_errors; /* 0 means CPU_ASM_MAX_ERRORS */
} cpu_asm_options_t;

/* The assembler behind cpu_asm_file and cpu_asm_string: assembles `text` (or, when text is
 * NULL, the file `name`), reporting errors to `diag` (may be NULL). Returns 0 when there were
 * no errors; otherwise -1, with out->errors set and no image. Free `out` with cpu_asm_free. */
int cpu_asm(const char *name, const char *text, const cpu_asm_options_t *opts, FILE *diag,
            cpu_asm_result_t *out);

/* Writes a whole image as assembly source that assembles back to the same bytes: a `.org`,
 * one instruction (or `.word` for an illegal word) a line with a comment giving its address
 * and word, `.byte` for a trailing partial word, `name:` lines for the symbols (and generated
 * labels L0000xxxx for branch targets in the image that no symbol names). Symbols the image
 * has no line for become `name = 0x...` lines. Returns 0, or -1 after writing a message to
 * `diag` when the image does not fit the address space or the assembler's size limit. */
int cpu_disasm_image(FILE *out, const uint8_t *bytes, size_t size, uint32_t base,
                     const cpu_symbol_t *syms, size_t nsyms, FILE *diag);

/* Reads a whole regular file of at most `max` bytes into memory (with a NUL after it, which
 * *len does not count). Returns NULL with errno set: EFBIG when the file is larger than max,
 * CPU_ENOTREG when it is a device or a pipe (which may never end), EISDIR for a directory. */
#define CPU_ENOTREG ENODEV
char *cpu_asm_read_file(const char *path, size_t max, size_t *len);
/* The sentence for an errno of cpu_asm_read_file with that max, put in buf (returned). */
const char *cpu_asm_read_error(int err, size_t max, char *buf, size_t len);

/* Symbol files (cpu_syms.c): one "XXXXXXXX name" line per symbol, 8 lowercase hex digits,
 * sorted by address and then by name. */
/* Sorts symbols by address, then by name. */
void cpu_syms_sort(cpu_symbol_t *syms, size_t n);
/* Writes symbols (in the order given) in symbol-file format. Returns 0, or -1 on a write error. */
int cpu_syms_write(FILE *out, const cpu_symbol_t *syms, size_t n);
/* Reads a symbol file into a new sorted array. Every malformed line is reported to `diag` as
 * FILE:LINE: error: MESSAGE. Returns 0, or -1 with *syms = NULL and *n = 0. */
int cpu_syms_load(const char *path, cpu_symbol_t **syms, size_t *n, FILE *diag);
/* The symbol at or below `addr` (the first by name among equals), with addr - its address in
 * *offset (may be NULL): "main+0x14". NULL when every symbol is above addr. `syms` sorted. */
const cpu_symbol_t *cpu_syms_lookup(const cpu_symbol_t *syms, size_t n, uint32_t addr,
                                    uint32_t *offset);
/* Frees an array from cpu_syms_load (names included). */
void cpu_syms_free(cpu_symbol_t *syms, size_t n);

#endif
