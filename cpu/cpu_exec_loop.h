/*
 * cpu_exec_loop.h - the interpreter's loop, run_block: included by cpu_exec.c once for each of
 * its five copies, with RUN_BLOCK (the copy's name), RUN_BLOCK_PAGED, RUN_BLOCK_TRUNCATED and
 * RUN_BLOCK_USER defined (constants the compiler folds away). The loop is written against the
 * macros of cpu_exec.c and cpu_exec_mem.h (FETCH, DISPATCH, CASE, NEXT, LOAD, STORE ...).
 */
/*
 * Runs instructions until cycles reach `limit`, or until one of them asks the caller to look
 * again at interrupts, halting or power (BLOCK_RESCAN), or the debugger stops (BLOCK_DEBUG),
 * or a nested fault stops the CPU (BLOCK_NESTED_FAULT). Traps are entered here, at the
 * boundary after the faulting instruction.
 *
 * The body is compiled five times, for three constants (cpu_exec.c includes this file once for
 * each, with RUN_BLOCK the function's name). `paged` false: the MMU is off,
 * addresses are physical and nothing is translated; true: every fetch, load and store is
 * translated, for the mode `user` says (the translation cache's key is then worked out with
 * fewer host instructions). `truncated`: the CPU runs a guest's user code under a co-resident
 * monitor, whose data segment stops below the monitor (TRUNCATE); everywhere else the check
 * costs nothing. Turning the MMU on or off (a ptroot write), a mode change and a VM entry or
 * exit end the block, so cpu_run picks the right copy for each block (run_some). A function of
 * its own for each copy, not one inlined five times: each copy's threaded dispatch has its own
 * table of its own cases' addresses (DISPATCH), and GCC inlines no function that jumps to a
 * computed address.
 */
static int RUN_BLOCK(cpu_t *cpu, uint64_t limit)
{
    const bool paged = RUN_BLOCK_PAGED, truncated = RUN_BLOCK_TRUNCATED, user = RUN_BLOCK_USER;
    static void *handler[256]; /* this copy's cases (DISPATCH) */
    if (RARELY(!handler[0]))
        FILL_HANDLERS(); /* once */
    sim_machine_t *m = cpu->mach;
    cpu_state_t *s = &cpu->s;
    uint32_t *r = s->r;
    uint8_t *ram = m->ram;
    const uint32_t ram_size = m->ram_size;
    const uint32_t ram_last_word = ram_size - 4;
    const uint32_t taken_cost = m->costs.c[SIM_COST_branch_taken];
    const uint32_t tlb_hit_cost = m->costs.c[SIM_COST_tlb_hit];
    uint64_t fast_hits = 0;
    uint32_t fetch_vpn = NO_PAGE, fetch_frame = 0;
    const cpu_block_t *block = NULL;   /* the last block entered, while no store touched it */
    const cpu_decoded_t *block_insn = &no_block; /* the next instruction, decoded */
    cpu_decoded_t one[2] = {{0}, no_block}; /* an instruction fetched alone, and its end */
    const cpu_decoded_t *in = &no_block;         /* the instruction that runs */
    uint32_t block_pa = 0;
    uint64_t loop_until = 0; /* a loop's taken branch enters `block` again below this (LOOP_BACK) */
    const uint64_t *const code_page = m->blocks.code; /* per page: its granules with code */
    uint8_t *const written_page = m->ram_written;      /* per page: written since a clear */
    uint32_t pc, word = 0, cause, tval;
    uint32_t cond, cmp_a = 0, cmp_b = 0; /* the condition flags Z N C V, or a compare's values */
    bool cond_pending;                    /* (then Z N C V of cmp_a - cmp_b: see COMPARE) */
    uint64_t cycles, instret;
    bool rescan = false;
    RESTORE();
    cond = s->flags & CPU_FLAG_COND;
    cond_pending = false;

    for (;;) {
        in = block_insn++;
        DISPATCH(in->opc) {
        CASE(BLOCK_END) /* after a block, or after an instruction run alone */
            block_insn = &no_block;
            r[0] = 0; /* the instruction just before may have written it (cpu_block.c) */
            if (cycles >= limit)
                goto out;
            if (cpu->debug) { /* in a block, nothing can turn the debugger on */
                SAVE();
                if (cpu->debug_fn && cpu->debug_fn(cpu, cpu->debug_ctx))
                    return BLOCK_DEBUG;
                cond = s->flags & CPU_FLAG_COND; /* as the loop read s->flags before (SAVE) */
                block = NULL; /* the debugger may write memory */
            } else {
                ENTER_BLOCK();
                if (block_insn != &no_block)
                    continue; /* decoded, checked and charged */
            }
            FETCH();
            if (word & zero_mask[CPU_INSN_OPCODE(word)])
                FAULT(CPU_CAUSE_ILLEGAL, word);
            cpu_decode_fields(word, &one[0]);
            block_insn = one; /* charged now that it has been fetched, as a block would be */
            cycles += base_cycles[one[0].opc] + (paged ? data_refs[one[0].opc] * tlb_hit_cost : 0);
            instret++;
            fast_hits += data_refs[one[0].opc];
            continue;
        CASE(NOP) break;
        CASE(ADD) RD = RS1 + RS2; break;
        CASE(SUB) RD = RS1 - RS2; break;
        CASE(AND) RD = RS1 & RS2; break;
        CASE(OR) RD = RS1 | RS2; break;
        CASE(XOR) RD = RS1 ^ RS2; break;
        CASE(SHL) RD = RS1 << (RS2 & 31); break;
        CASE(SHR) RD = RS1 >> (RS2 & 31); break;
        CASE(SRA) RD = (uint32_t)((int32_t)RS1 >> (RS2 & 31)); break;
        CASE(SLT) RD = (int32_t)RS1 < (int32_t)RS2; break;
        CASE(SLTU) RD = RS1 < RS2; break;
        CASE(MUL) RD = RS1 * RS2; break;
        CASE(MULHU) RD = (uint32_t)(((uint64_t)RS1 * RS2) >> 32); break;
        CASE(DIV)
        CASE(DIVU)
        CASE(REM)
        CASE(REMU) {
            uint32_t a = RS1, b = RS2;
            if (b == 0)
                FAULT(CPU_CAUSE_DIV_ZERO, 0);
            bool overflow = a == 0x80000000u && b == 0xffffffffu; /* INT_MIN / -1 */
            if (in->opc == CPU_OPC_DIV)
                RD = overflow ? a : (uint32_t)((int32_t)a / (int32_t)b);
            else if (in->opc == CPU_OPC_REM)
                RD = overflow ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
            else if (in->opc == CPU_OPC_DIVU)
                RD = a / b;
            else
                RD = a % b;
            break;
        }
        CASE(ADDI) RD = RS1 + IMM; break;
        CASE(ANDI) RD = RS1 & UIMM; break;
        CASE(ORI) RD = RS1 | UIMM; break;
        CASE(XORI) RD = RS1 ^ UIMM; break;
        CASE(SHLI) CASE(SHRI) CASE(SRAI) {
            uint32_t shamt = UIMM;
            if (shamt > 31) /* the one operand range the zero mask cannot express */
                FAULT(CPU_CAUSE_ILLEGAL, in->word);
            if (in->opc == CPU_OPC_SHLI)
                RD = RS1 << shamt;
            else if (in->opc == CPU_OPC_SHRI)
                RD = RS1 >> shamt;
            else
                RD = (uint32_t)((int32_t)RS1 >> shamt);
            break;
        }
        CASE(SLTI) RD = (int32_t)RS1 < (int32_t)IMM; break;
        CASE(SLTIU) RD = RS1 < IMM; break;
        CASE(LUI) RD = UIMM << 16; break;
        CASE(CMP) COMPARE(RS1, RS2); break;
        CASE(CMPI) COMPARE(RS1, IMM); break;
        CPU_BRANCHES(FUSED_CASES)
        CASE(LD) { uint32_t v; LOAD(RS1 + IMM, BASED, 4, v); RD = v; break; }
        CASE(LDH) { uint32_t v; LOAD(RS1 + IMM, BASED, 2, v); RD = (uint32_t)(int32_t)(int16_t)v; break; }
        CASE(LDHU) { uint32_t v; LOAD(RS1 + IMM, BASED, 2, v); RD = v; break; }
        CASE(LDB) { uint32_t v; LOAD(RS1 + IMM, BASED, 1, v); RD = (uint32_t)(int32_t)(int8_t)v; break; }
        CASE(LDBU) { uint32_t v; LOAD(RS1 + IMM, BASED, 1, v); RD = v; break; }
        CASE(ST) STORE(RS1 + IMM, BASED, 4, RD); break;
        CASE(STH) STORE(RS1 + IMM, BASED, 2, RD); break;
        CASE(STB) STORE(RS1 + IMM, BASED, 1, RD); break;
        CASE(PUSH) {
            STORE(r[CPU_REG_SP] - 4, true, 4, RD);
            r[CPU_REG_SP] -= 4;
            break;
        }
        CASE(POP) {
            uint32_t v;
            LOAD(r[CPU_REG_SP], true, 4, v);
            r[CPU_REG_SP] += 4;
            RD = v; /* after the increment, so that `pop sp` loads sp */
            break;
        }
#define CPU_X_BRANCH_CASE(name, taken, relation) CASE(name) BRANCH_IF(taken);
        CPU_BRANCHES(CPU_X_BRANCH_CASE)
#undef CPU_X_BRANCH_CASE
        CASE(BLOCK_LOOP) /* the branch of a block that loops on itself (cpu_block.c) */
            COND_NOW();
            if (!TAKEN(cond))
                break;
            LOOP_BACK();
        CASE(JAL)
            RD = pc + 4;
            JUMP(pc + (uint32_t)(CPU_INSN_REL20(in->word) * 4));
        CASE(JALR) {
            uint32_t target = RS1 + IMM; /* before writing rd: `jalr lr, lr, 0` works */
            RD = pc + 4;
            JUMP(target);
        }
        CASE(SYSCALL)
            NEXT();
            SAVE_RETIRED();
            cpu_enter_trap(cpu, CPU_CAUSE_SYSCALL, 0, pc);
            return BLOCK_RESCAN;
        CASE(BRK)
            NEXT();
            SAVE_RETIRED();
            cpu_enter_trap(cpu, CPU_CAUSE_BREAKPOINT, 0, pc);
            return BLOCK_RESCAN;
        CASE(HCALL)
            VMEXIT_IF(true, CPU_EXIT_HYPERCALL, 0);
            FAULT(CPU_CAUSE_ILLEGAL, in->word); /* no hypervisor to call on bare hardware */
        CASE(CPUID)
            VMEXIT_IF(s->vm.controls & CPU_VMCTL_CPUID, CPU_EXIT_CPUID, RS1);
            RD = cpuid_leaf(cpu, RS1);
            break;
        CASE(PUSHF) {
            COND_NOW();
            STORE(r[CPU_REG_SP] - 4, true, 4, (s->flags & ~CPU_FLAG_COND) | cond);
            r[CPU_REG_SP] -= 4;
            break;
        }
        CASE(POPF) {
            uint32_t v;
            LOAD(r[CPU_REG_SP], true, 4, v);
            r[CPU_REG_SP] += 4;
            /* The Popek-Goldberg flaw, on purpose: in U the IE bit is ignored, without a trap. */
            uint32_t keep = CPU_FLAG_MODE_MASK | CPU_FLAG_MONITOR |
                            ((s->flags & CPU_FLAG_MODE_MASK) ? 0 : CPU_FLAG_IE);
            s->flags = (s->flags & keep) | (v & (CPU_FLAG_COND | CPU_FLAG_IE) & ~keep);
            cond = s->flags & CPU_FLAG_COND;
            cond_pending = false;
            END_BLOCK_AFTER_THIS();
            break;
        }
        CASE(RDMODE) RD = (s->flags & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT; break;
        CASE(CSRR) {
            if (!monitor_clock_read(truncated, s->flags, pc, UIMM))
                REQUIRE_PRIVILEGE();
            VMEXIT_IF(cpu_vm_csr_exits(cpu, UIMM, false), CPU_EXIT_CSR_ACCESS, UIMM | in->rd << 20);
            uint32_t v;
            SAVE();
            if (!cpu_csr_read_checked(cpu, UIMM, &v))
                FAULT(CPU_CAUSE_ILLEGAL, in->word);
            RD = v;
            break;
        }
        CASE(CSRW)
            REQUIRE_PRIVILEGE();
            VMEXIT_IF(cpu_vm_csr_exits(cpu, UIMM, true), CPU_EXIT_CSR_ACCESS,
                      UIMM | CPU_EXITQ_WRITE | in->rs1 << 20);
            SAVE();
            if (!cpu_csr_write(cpu, UIMM, RS1))
                FAULT(CPU_CAUSE_ILLEGAL, in->word);
            END_BLOCK_AFTER_THIS();
            break;
        CASE(IRET)
            REQUIRE_PRIVILEGE();
            NEXT();
            SAVE_RETIRED();
            cpu_return_from_trap(cpu);
            return BLOCK_RESCAN;
        CASE(HALT)
            REQUIRE_PRIVILEGE();
            VMEXIT_IF(s->vm.controls & CPU_VMCTL_HALT, CPU_EXIT_HALT, 0);
            s->halted = 1;
            SAVE();
            cpu_emit(cpu, SIM_EV_HALT, pc, 0, 0, cpu_mode(cpu));
            END_BLOCK_AFTER_THIS();
            break;
        CASE(CLI) REQUIRE_PRIVILEGE(); s->flags &= ~CPU_FLAG_IE; break;
        CASE(STI) REQUIRE_PRIVILEGE(); s->flags |= CPU_FLAG_IE; END_BLOCK_AFTER_THIS(); break;
        CASE(TLBINV)
            REQUIRE_PRIVILEGE();
            if (s->vm.active && (s->vm.controls & CPU_VMCTL_TLB)) {
                SAVE();
                cpu_vm_exit(cpu, CPU_EXIT_TLB_INVALIDATE, 0, RS1, 0, 4, in->word);
                return BLOCK_VMEXIT;
            }
            mmu_tlbinv(&cpu->mmu, RS1);
            fetch_vpn = NO_PAGE;
            SAVE();
            cpu_emit(cpu, SIM_EV_TLBFLUSH, pc, MMU_FLUSH_ADDR, RS1, cpu_mode(cpu));
            break;
        CASE(TLBFLUSH)
            REQUIRE_PRIVILEGE();
            VMEXIT_IF(s->vm.controls & CPU_VMCTL_TLB, CPU_EXIT_TLB_INVALIDATE, CPU_EXITQ_TLBFLUSH);
            mmu_tlbflush(&cpu->mmu);
            fetch_vpn = NO_PAGE;
            SAVE();
            cpu_emit(cpu, SIM_EV_TLBFLUSH, pc, MMU_FLUSH_ASID, MMU_PTROOT_ASID(cpu->mmu.ptroot),
                     cpu_mode(cpu));
            break;
        CASE(IN) {
            REQUIRE_PRIVILEGE();
            VMEXIT_IF(cpu_vm_port_exits(cpu, (RS1 + IMM) & 0xffffu), CPU_EXIT_IO_PORT,
                      ((RS1 + IMM) & 0xffffu) | in->rd << 20);
            SAVE();
            uint32_t v = sim_port_read(m, cpu, (uint16_t)(RS1 + IMM));
            RESTORE();
            RD = v;
            END_BLOCK_AFTER_THIS();
            break;
        }
        CASE(OUT)
            REQUIRE_PRIVILEGE();
            VMEXIT_IF(cpu_vm_port_exits(cpu, (RS1 + IMM) & 0xffffu), CPU_EXIT_IO_PORT,
                      ((RS1 + IMM) & 0xffffu) | CPU_EXITQ_WRITE | in->rd << 20);
            SAVE();
            sim_port_write(m, cpu, (uint16_t)(RS1 + IMM), RD);
            RESTORE();
            END_BLOCK_AFTER_THIS();
            break;
        CASE(VMRUN) {
            /* Enter the VM; when it exits, the host goes on after vmrun (C clear). A failed
             * entry goes on at once with C set; the VMCB says why. */
            REQUIRE_H();
            uint32_t vmcb = RS1;
            NEXT();
            SAVE_RETIRED();
            if (!cpu_vm_enter(cpu, vmcb, pc))
                s->flags |= CPU_FLAG_C;
            return BLOCK_RESCAN;
        }
        CASE(INVVM) REQUIRE_H(); SAVE(); cpu_vm_invvm(cpu, (uint16_t)RS1); break;
        CASE(INVASID) REQUIRE_H(); SAVE(); cpu_vm_invasid(cpu, RS1); break;
        default:
        op_default:
            /* Unassigned opcodes. */
            FAULT(CPU_CAUSE_ILLEGAL, in->word);
        }
        NEXT();
    }
out:
    SAVE();
    return rescan ? BLOCK_RESCAN : BLOCK_LIMIT;

fault:
    /* The faulting instruction has changed nothing; it is not retired. */
    SAVE();
    cpu_enter_trap(cpu, cause, tval, pc);
    return BLOCK_RESCAN;

nested_fault:
    /* Not the guest's fault: the CPU stops with pc on the instruction, which has not run, for
     * the hypervisor to map the page and resume: a VM exit in guest mode. */
    SAVE();
    if (s->vm.active) {
        cpu_vm_exit_nested_fault(cpu, in->word); /* not read for a fetch */
        return BLOCK_VMEXIT;
    }
    return BLOCK_NESTED_FAULT;
}

#undef RUN_BLOCK
#undef RUN_BLOCK_PAGED
#undef RUN_BLOCK_TRUNCATED
#undef RUN_BLOCK_USER
