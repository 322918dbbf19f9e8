/*
 * repl_info.c - the commands that show state without running anything: info, x, print,
 * disassemble and translate. Everything comes from the debugger API; columns line up and
 * every address carries its space.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ui_repl.h"

/* ------------------------------------------------------------------------------------------
 * info registers, csr, cpus
 * ------------------------------------------------------------------------------------------ */
static const char *const reg_names[CPU_NREGS] = {"r0", "r1", "r2",  "r3",  "r4",  "r5",
                                                 "r6", "r7", "r8",  "r9",  "r10", "r11",
                                                 "r12", "r13", "sp", "lr"};

/* "Z=0 N=0 C=0 V=0 IE=0 MODE=K": the flags decoded. */
static void print_flag_bits(ui_repl_t *r, uint32_t f)
{
    cpu_mode_t mode = (cpu_mode_t)((f & CPU_FLAG_MODE_MASK) >> CPU_FLAG_MODE_SHIFT);
    fprintf(r->out, "Z=%u N=%u C=%u V=%u IE=%u MODE=%s\n", !!(f & CPU_FLAG_Z), !!(f & CPU_FLAG_N),
            !!(f & CPU_FLAG_C), !!(f & CPU_FLAG_V), !!(f & CPU_FLAG_IE), cpu_mode_name(mode));
}

/* `info registers NAME...`: just those, one a line, as gdb prints them (a bad name is an
 * error before anything is printed). */
static int some_registers(ui_repl_t *r, int argc, char **argv, const cpu_state_t *s,
                          const cpu_state_t *prev)
{
    for (int i = 1; i < argc; i++)
        if (ui_dbg_register_number(argv[i]) < 0)
            return ui_repl_error(r, "info registers [NAME...]",
                                 "There is no register \"%s\" (r0..r15, sp, lr, pc, flags).",
                                 argv[i]);
    for (int i = 1; i < argc; i++) {
        int reg = ui_dbg_register_number(argv[i]);
        const char *name = argv[i][0] == '$' ? argv[i] + 1 : argv[i];
        uint32_t v = reg == UI_DBG_REG_PC ? s->pc : reg == UI_DBG_REG_FLAGS ? s->flags : s->r[reg];
        uint32_t was = reg == UI_DBG_REG_PC      ? prev->pc
                       : reg == UI_DBG_REG_FLAGS ? prev->flags
                                                 : prev->r[reg];
        char at[128];
        fprintf(r->out, "%-6s 0x%08x%s ", name, v, v != was ? "*" : " ");
        if (reg == UI_DBG_REG_PC)
            fprintf(r->out, "%s\n", ui_repl_addr(r, v, at, sizeof at));
        else if (reg == UI_DBG_REG_FLAGS)
            print_flag_bits(r, v);
        else
            fprintf(r->out, "%u\n", v);
    }
    return 0;
}

static int info_registers(ui_repl_t *r, int argc, char **argv)
{
    unsigned n = ui_dbg_focus(r->dbg);
    const cpu_state_t *prev = ui_dbg_prev_state(r->dbg, n);
    char at[128], cyc[32], ins[32];
    ui_dbg_view_t view;
    if (ui_repl_view(r, &view)) /* ring -1 with no exit: no registers to show */
        return 0;
    const cpu_state_t *s = &view.s; /* a live CPU's, or the exiting VCPU's as saved */
    char mode[64];                  /* a deprivileged kernel's virtual mode, the real beside */
    ui_dbg_view_mode(&view, mode, sizeof mode);
    if (!view.substep && view.kind == UI_DBG_VIEW_GUEST)
        prev = s; /* an exit stop: nothing to compare a saved state with */
    if (argc > 1)
        return some_registers(r, argc, argv, s, prev);
    bool changed = view.substep && s->pc != prev->pc; /* a sub-step marks the pc it moved */
    const char *pcmark = changed ? "*" : "";
    if (view.kind == UI_DBG_VIEW_GUEST) {
        fprintf(r->out, "%s (pCPU%u is in ring -1, handling its exit): pc %s%s, mode %s\n",
                view.label, n, ui_repl_addr(r, s->pc, at, sizeof at), pcmark, mode);
    } else {
        fprintf(r->out, "cpu%u in %s, pc %s%s, cycle %s, instret %s%s\n", n, mode,
                ui_repl_addr(r, s->pc, at, sizeof at), pcmark,
                sim_group_digits(s->cycles, cyc, sizeof cyc),
                sim_group_digits(s->instret, ins, sizeof ins), s->halted ? ", halted" : "");
    }
    char line[128];
    size_t used = 0;
    for (int i = 0; i < CPU_NREGS; i++) {
        bool c = s->r[i] != prev->r[i];
        changed |= c;
        used += (size_t)snprintf(line + used, sizeof line - used, "  %-3s 0x%08x%c", reg_names[i],
                                 s->r[i], c ? '*' : ' ');
        if (i % 4 == 3) {
            while (used && line[used - 1] == ' ')
                line[--used] = '\0';
            fprintf(r->out, "%s\n", line);
            used = 0;
        }
    }
    uint32_t f = s->flags;
    bool fc = f != prev->flags;
    fprintf(r->out, "  flags 0x%08x%s  ", f, fc ? "*" : "");
    print_flag_bits(r, f);
    if (changed || fc)
        fprintf(r->out, "  (* changed by %s)\n",
                view.substep ? "the action of this sub-step"
                             : "the last command that ran the machine");
    return 0;
}

static const struct {
    const char *name, *doc;
    unsigned num;
} csr_rows[] = {
#define X_CSRROW(name, str, num, wr, sum) {str, sum, num},
    CPU_CSRS(X_CSRROW)
#undef X_CSRROW
};

static int info_csr(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    unsigned n = ui_dbg_focus(r->dbg);
    const cpu_t *cpu = ui_dbg_cpu(r->dbg, n);
    fprintf(r->out, "cpu%u  %-8s %-5s %-10s  %s\n", n, "csr", "num", "value", "meaning");
    for (size_t i = 0; i < sizeof csr_rows / sizeof csr_rows[0]; i++)
        fprintf(r->out, "      %-8s 0x%02x  0x%08x  %s\n", csr_rows[i].name, csr_rows[i].num,
                cpu_csr_read(cpu, csr_rows[i].num), csr_rows[i].doc);
    return 0;
}

static int info_cpus(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    char at[128], cyc[32], ins[32];
    fprintf(r->out, "  %-5s %-4s %-14s %-14s %s\n", "cpu", "mode", "cycle", "instret", "pc");
    for (unsigned i = 0; ui_dbg_cpu(r->dbg, i); i++) {
        const cpu_t *cpu = ui_dbg_cpu(r->dbg, i);
        fprintf(r->out, "%c cpu%-2u %-4s %-14s %-14s %s%s\n", i == ui_dbg_focus(r->dbg) ? '*' : ' ',
                i, cpu_mode_name(cpu_mode(cpu)), sim_group_digits(cpu->s.cycles, cyc, sizeof cyc),
                sim_group_digits(cpu->s.instret, ins, sizeof ins),
                ui_repl_addr(r, cpu->s.pc, at, sizeof at), cpu->s.halted ? " (halted)" : "");
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * info breakpoints, stats, events, costs
 * ------------------------------------------------------------------------------------------ */
static const char *const bp_kind_names[UI_DBG_BP_COUNT] = {
#define X_BPNAME(name, str) str,
    UI_DBG_BPS(X_BPNAME)
#undef X_BPNAME
};

/* What gdb's vocabulary added to a breakpoint: tbreak, its condition, ignore count, commands. */
static void print_bp_extras(ui_repl_t *r, const ui_dbg_bp_t *bp)
{
    if (bp->temporary)
        fprintf(r->out, "     temporary: deleted when it stops the machine\n");
    if (bp->cond)
        fprintf(r->out, "     stops only if %s\n", ui_dbg_cond_text(bp->cond));
    if (bp->ignore)
        fprintf(r->out, "     passes over its next %llu hit%s\n", (unsigned long long)bp->ignore,
                bp->ignore == 1 ? "" : "s");
    for (const char *p = bp->commands; p && *p; p += strcspn(p, "\n") + 1)
        fprintf(r->out, "     then: %.*s\n", (int)strcspn(p, "\n"), p);
}

static int info_breakpoints(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    size_t n = ui_dbg_bp_count(r->dbg);
    if (n == 0) {
        fprintf(r->out, "No breakpoints or watchpoints.\n");
        return 0;
    }
    char what[200], hits[32];
    fprintf(r->out, "%-4s %-11s %-4s %-6s %s\n", "Num", "Type", "Enb", "Hits", "What");
    for (size_t i = 0; i < n; i++) {
        const ui_dbg_bp_t *bp = ui_dbg_bp(r->dbg, i);
        ui_dbg_bp_describe(r->dbg, bp, what, sizeof what);
        fprintf(r->out, "%-4d %-11s %-4s %-6s %s\n", bp->id, bp_kind_names[bp->kind],
                bp->enabled ? "y" : "n", sim_group_digits(bp->hits, hits, sizeof hits), what);
        print_bp_extras(r, bp);
    }
    return 0;
}

static int info_stats(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    fflush(r->out);
    sim_print_stats(r->m, r->out);
    ui_dbg_print_vm_stats(r->dbg, r->out);
    char n[32];
    fprintf(r->out, "events:");
    for (int k = 0; k < SIM_EV_COUNT; k++)
        if (r->m->event_counts[k])
            fprintf(r->out, " %s %s", sim_event_name((sim_event_kind_t)k),
                    sim_group_digits(r->m->event_counts[k], n, sizeof n));
    fprintf(r->out, "\n");
    return 0;
}

static int info_events(ui_repl_t *r, int argc, char **argv)
{
    uint64_t want = 10;
    if (argc > 2)
        return ui_repl_error(r, "info events [N]", "Give at most one count.");
    if (argc == 2 && ui_repl_parse_value(r, argv[1], "info events [N]", &want) != 0)
        return -1;
    size_t n = ui_dbg_event_count(r->dbg);
    while (n > 0 && !ui_dbg_event_happened(r->dbg, n - 1))
        n--; /* at a sub-step: the rest of the handling has not happened yet */
    if (n == 0) {
        fprintf(r->out, "No events yet.\n");
        return 0;
    }
    size_t from = want < n ? n - (size_t)want : 0;
    char text[320], cyc[32];
    for (size_t i = from; i < n; i++) {
        const sim_event_t *ev = ui_dbg_event(r->dbg, i);
        if (!ui_dbg_event_happened(r->dbg, i))
            continue;
        ui_dbg_describe_event(r->dbg, ev, text, sizeof text);
        fprintf(r->out, "  [cycle %s] %s\n", sim_group_digits(ev->cycle, cyc, sizeof cyc), text);
    }
    return 0;
}

static int info_costs(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(r->out, "  %-18s %8s  %s\n", "cost", "cycles", "what it is");
    for (int i = 0; i < SIM_COST_COUNT; i++)
        fprintf(r->out, "  %-18s %8u  %s\n", sim_cost_name((sim_cost_t)i), r->m->costs.c[i],
                sim_cost_doc((sim_cost_t)i));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * info tlb, iommu, and the VM queries
 * ------------------------------------------------------------------------------------------ */
static void perm_text(uint16_t perm, char *buf, size_t len)
{
    snprintf(buf, len, "%c%c%c%c%c", perm & MMU_PTE_R ? 'r' : '-', perm & MMU_PTE_W ? 'w' : '-',
             perm & MMU_PTE_X ? 'x' : '-', perm & MMU_PTE_U ? 'u' : '-',
             perm & MMU_PTE_G ? 'g' : '-');
}

static size_t print_tlb(ui_repl_t *r, const mmu_tlb_t *tlb, const char *from, const char *to)
{
    size_t valid = 0;
    char perm[8];
    for (unsigned i = 0; i < tlb->entries; i++) {
        const mmu_tlb_entry_t *e = &tlb->e[i];
        if (!(e->perm & MMU_TLBE_VALID))
            continue;
        if (valid++ == 0)
            fprintf(r->out, "  %-4s %-4s %-4s %-5s %-14s    %-14s %s\n", "set", "way", "vm",
                    "asid", from, to, "perm");
        perm_text(e->perm, perm, sizeof perm);
        char size[32] = "";
        if (e->shift) { /* a large entry: it covers its whole large page */
            mmu_page_size_name(e->shift, size + 2, sizeof size - 2);
            memcpy(size, "  ", 2);
        }
        fprintf(r->out, "  %-4u %-4u %-4u %-5u 0x%08x         0x%08x     %s%s\n", i / tlb->ways,
                i % tlb->ways, MMU_TAG_VMID(e->tag), MMU_TAG_ASID(e->tag), e->vpn << MMU_PAGE_SHIFT,
                e->pfn << MMU_PAGE_SHIFT, perm, size);
    }
    return valid;
}

static int info_tlb(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    unsigned n = ui_dbg_focus(r->dbg);
    const mmu_t *mmu = &ui_dbg_cpu(r->dbg, n)->mmu;
    fprintf(r->out, "cpu%u TLB: %u entries (%u sets of %u ways); paging %s (ptroot 0x%08x), "
            "nested translation %s\n", n, mmu->tlb.entries, mmu->tlb.sets, mmu->tlb.ways,
            mmu->ptroot & MMU_PTROOT_E ? "on" : "off", mmu->ptroot,
            mmu->nested.enabled ? "on" : "off");
    if (print_tlb(r, &mmu->tlb, "page (virtual)", "frame (hpa)") == 0)
        fprintf(r->out, "  The TLB is empty.\n");
    return 0;
}

/* The fault log, oldest first: one sentence a blocked DMA. */
static void print_iommu_faults(ui_repl_t *r, const iommu_t *io)
{
    for (unsigned i = 0; i < io->log_count; i++) {
        const iommu_fault_t *f = &io->log[(io->log_head + i) % IOMMU_FAULT_LOG];
        char cyc[32], text[256];
        fprintf(r->out, "  fault %llu at cycle %s (domain %u): %s\n", (unsigned long long)f->seq,
                sim_group_digits(f->cycle, cyc, sizeof cyc), f->domain,
                ui_dbg_dma_fault_text(r->m, f, text, sizeof text));
    }
    if (io->log_overflows)
        fprintf(r->out, "  (%llu older fault%s overwritten)\n",
                (unsigned long long)io->log_overflows, io->log_overflows == 1 ? "" : "s");
}

static int info_iommu(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    const iommu_t *io = &r->m->iommu;
    fprintf(r->out, "IOMMU %s; %llu DMA fault%s logged\n", io->enabled ? "on" : "off (every DMA "
            "passes through untranslated)", (unsigned long long)io->faults,
            io->faults == 1 ? "" : "s");
    unsigned nctx = 0;
    for (unsigned d = 0; d < IOMMU_MAX_DEVICES; d++) {
        const iommu_context_t *c = &io->ctx[d];
        if (!c->valid)
            continue;
        if (nctx++ == 0)
            fprintf(r->out, "  %-7s %-7s %-12s %-7s %s\n", "device", "domain", "translate",
                    "levels", "root (hpa)");
        fprintf(r->out, "  %-7u %-7u %-12s %-7u 0x%08x\n", d, c->domain,
                c->translate ? "yes" : "passthrough", c->levels, c->root_pfn << MMU_PAGE_SHIFT);
    }
    if (nctx == 0)
        fprintf(r->out, "  No device has a context.\n");
    if (print_tlb(r, &io->iotlb, "page (iova)", "frame (hpa)") == 0)
        fprintf(r->out, "  The IOTLB is empty.\n");
    print_iommu_faults(r, io);
    return 0;
}

static int info_disk(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    ui_dbg_print_disk(r->dbg, r->out);
    return 0;
}

static int info_nic(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    ui_dbg_print_nic(r->dbg, r->out);
    return 0;
}

static int info_entropy(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    ui_dbg_print_entropy(r->dbg, r->out);
    return 0;
}

/* gdb's info symbol: which symbol an address is in, in its own space (and VM). */
static int info_symbol(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "info symbol ADDR";
    if (argc != 2)
        return ui_repl_error(r, usage,
                             "Give one address, e.g. \"info symbol pc\" or "
                             "\"info symbol gva:0x82c0\".");
    ui_dbg_space_t space;
    uint32_t addr;
    int vm;
    char text[200];
    if (ui_repl_parse_location_vm(r, argv[1], &space, &addr, &vm) != 0)
        return -1;
    if (ui_dbg_info_symbol(r->dbg, space, addr, vm, text, sizeof text) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    fprintf(r->out, "%s\n", text);
    return 0;
}

static void complete_registers(ui_repl_t *r, int argi, char **argv, const char *prefix,
                               ui_repl_matches_t *out)
{
    (void)r, (void)argi, (void)argv;
    static const char *const extra[] = {"sp", "lr", "pc", "flags"};
    char name[8];
    for (unsigned i = 0; i < CPU_REG_SP; i++) {
        snprintf(name, sizeof name, "r%u", i);
        ui_repl_matches_add(out, prefix, name);
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        ui_repl_matches_add(out, prefix, extra[i]);
}

static int info_migration(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (ui_dbg_migration_print(r->dbg, r->out) != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    return 0;
}

const ui_repl_sub_t ui_repl_info_subs[] = {
    {"registers", "r reg regs", "info registers [NAME...]",
     "the focus CPU's registers and flags (or just those named: r1 sp $pc flags)", info_registers,
     complete_registers},
    {"csr", "csrs", "info csr", "the focus CPU's control and status registers", info_csr, NULL},
    {"cpus", NULL, "info cpus", "every CPU: mode, cycle, pc", info_cpus, NULL},
    {"breakpoints", "b break watchpoints", "info breakpoints", "breakpoints and watchpoints",
     info_breakpoints, NULL},
    {"stats", NULL, "info stats",
     "instructions, cycles, where each CPU's cycles went, traps, events; per VM under a hypervisor",
     info_stats, NULL},
    {"events", NULL, "info events [N]", "the last N events (10)", info_events, NULL},
    {"display", NULL, "info display", "the expressions shown after every stop",
     ui_repl_info_display, NULL},
    {"costs", NULL, "info costs", "the cycle cost table", info_costs, NULL},
    {"tlb", NULL, "info tlb", "the focus CPU's TLB", info_tlb, NULL},
    {"iommu", NULL, "info iommu", "IOMMU device contexts, IOTLB and the DMA fault log", info_iommu,
     NULL},
    {"nic", NULL, "info nic", "the network card: its rings, status and counters", info_nic, NULL},
    {"entropy", NULL, "info entropy", "each VM's entropy source (a device no hardware has)",
     info_entropy, NULL},
    {"disk", NULL, "info disk",
     "the disk: its registers and counters; under a hypervisor each VM's and the host's one "
     "disk they share, with its queue",
     info_disk, NULL},
    {"vms", NULL, "info vms", "the VMs: state, VCPUs, memory, techniques, exits", ui_repl_info_vms,
     NULL},
    {"memory", "mem", "info memory [VM]",
     "each VM's memory: resident, its limit, swapped, shared, ballooned, its reservation, its "
     "guest's own swapping; the host's frames and swap device",
     ui_repl_info_memory, NULL},
    {"limits", NULL, "info limits [VM]",
     "each VM's limits (cpu share and cap, resident_max, reservation, disk_bw, net_bw) and how "
     "often each bound",
     ui_repl_info_limits, NULL},
    {"migration", NULL, "info migration",
     "the live migration: its rounds (pages sent, dirtied), total time and downtime",
     info_migration, NULL},
    {"vcpus", NULL, "info vcpus",
     "the VCPUs: state, pCPU, pinning, VMCB, guest pc and mode (virtual too)", ui_repl_info_vcpus,
     NULL},
    {"exit", NULL, "info exit", "the exit being handled (or the last): handler, source line, why",
     ui_repl_info_exit, NULL},
    {"vmcb", NULL, "info vmcb [VM [VCPU]]", "a VCPU's VM control block (the focus VM's)",
     ui_repl_info_vmcb, NULL},
    {"symbol", "sym", "info symbol ADDR", "the symbol an address is in (its space, its VM)",
     info_symbol, ui_repl_complete_symbols},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------------------------------------
 * print, x, disassemble
 * ------------------------------------------------------------------------------------------ */
static const char *rest_or_error(ui_repl_t *r, const char *usage, const char *what)
{
    if (!*r->rest)
        ui_repl_error(r, usage, "Give %s.", what);
    return *r->rest ? r->rest : NULL;
}

int ui_repl_cmd_print(ui_repl_t *r, int argc, char **argv)
{
    (void)argc, (void)argv;
    uint64_t v;
    const char *text = rest_or_error(r, "print EXPR", "an expression, e.g. \"print r1 + 4\"");
    if (!text || ui_repl_parse_value(r, text, "print EXPR", &v) != 0)
        return -1;
    if (v > 0xffffffffu)
        fprintf(r->out, "0x%llx = %llu\n", (unsigned long long)v, (unsigned long long)v);
    else
        fprintf(r->out, "0x%08llx = %llu\n", (unsigned long long)v, (unsigned long long)v);
    return 0;
}

/* The pc of binary translation's monitor, in the translation cache, where the exit left it:
 * the guest's own instruction the monitor handles, in the guest's space. */
static void monitor_line(ui_repl_t *r, const ui_dbg_view_t *view, uint32_t gpc)
{
    char sym[96], insn[96];
    if (!ui_dbg_disasm_vm(r->dbg, view->vm, gpc, insn, sizeof insn))
        snprintf(insn, sizeof insn, "(%s)", ui_dbg_error(r->dbg));
    fprintf(r->out,
            " => gva 0x%08x%s:  %s\n    (the guest's instruction the monitor handles; the pc, "
            "0x%08x, is in the translation cache)\n",
            gpc, ui_dbg_symbolize_vm(r->dbg, view->vm, gpc, sym, sizeof sym), insn, view->s.pc);
}

/* One line of a listing: markers, address, symbol (padded to `width`), instruction. */
static void listing_line(ui_repl_t *r, ui_dbg_space_t space, uint32_t addr, int width)
{
    char sym[96], label[112], insn[96];
    ui_dbg_view_t view;
    ui_dbg_view(r->dbg, ui_dbg_focus(r->dbg), &view); /* at an exit: the guest's pc */
    char mark[4] = "   ";
    for (size_t i = 0; i < ui_dbg_bp_count(r->dbg); i++) {
        const ui_dbg_bp_t *bp = ui_dbg_bp(r->dbg, i);
        if (bp->kind == UI_DBG_BP_ADDR && bp->addr == addr && bp->space == space)
            mark[0] = bp->enabled ? 'B' : 'b';
    }
    if (addr == view.s.pc && space == ui_dbg_default_space(r->dbg))
        mark[1] = '=', mark[2] = '>';
    uint32_t gpc;
    if (mark[1] == '=' && ui_dbg_monitor_insn(r->dbg, &view, &gpc)) {
        monitor_line(r, &view, gpc);
        return;
    }
    ui_dbg_symbolize_in(r->dbg, space, addr, sym, sizeof sym);
    snprintf(label, sizeof label, "%s:", sym[0] ? sym + 1 : "");
    if (!ui_dbg_disasm(r->dbg, space, addr, insn, sizeof insn))
        snprintf(insn, sizeof insn, "(%s)", ui_dbg_error(r->dbg));
    fprintf(r->out, "%s %s 0x%08x %-*s  %s\n", mark, ui_dbg_space_name(space), addr, width, label,
            insn);
}

static void listing(ui_repl_t *r, ui_dbg_space_t space, uint32_t addr, uint64_t n)
{
    char sym[96];
    int width = 1;
    for (uint64_t i = 0; i < n; i++) { /* the widest "<sym+off>:" label */
        int w = (int)strlen(
            ui_dbg_symbolize_in(r->dbg, space, addr + 4 * (uint32_t)i, sym, sizeof sym));
        width = w > width ? w : width;
    }
    for (uint64_t i = 0; i < n; i++)
        listing_line(r, space, addr + 4 * (uint32_t)i, width);
}

int ui_repl_cmd_disassemble(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "disassemble [ADDR [N]]";
    ui_dbg_space_t space = ui_dbg_default_space(r->dbg);
    ui_dbg_view_t view;
    ui_dbg_view(r->dbg, ui_dbg_focus(r->dbg), &view); /* at an exit: the guest's pc */
    uint32_t pc = view.s.pc, addr = pc >= 8 ? pc - 8 : 0;
    uint64_t n = 8;
    if (argc > 3)
        return ui_repl_error(r, usage, "Give at most an address and a count.");
    int vm = UI_DBG_ANY_VM;
    if (argc < 2 && view.kind == UI_DBG_VIEW_NONE) /* no current code around no pc */
        return ui_repl_error(r, NULL, "%s", view.why);
    if (argc >= 2 && ui_repl_parse_location_vm(r, argv[1], &space, &addr, &vm) != 0)
        return -1;
    if (argc == 3 && ui_repl_parse_value(r, argv[2], usage, &n) != 0)
        return -1;
    if (n == 0 || n > 4096)
        return ui_repl_error(r, usage, "Give a count of 1 to 4096 instructions.");
    ui_dbg_use_vm(r->dbg, vm); /* another VM's symbol: that VM's memory */
    listing(r, space, addr & ~3u, n);
    ui_dbg_use_vm(r->dbg, UI_DBG_ANY_VM);
    return 0;
}

/* The x command's "/NFU": count, format and unit, remembered between uses. */
static int parse_xfmt(ui_repl_t *r, const char *spec, uint64_t *count)
{
    *count = 1;
    if (!spec)
        return 0;
    const char *p = spec;
    if (isdigit((unsigned char)*p)) {
        char *end;
        *count = strtoull(p, &end, 10);
        p = end;
    }
    for (; *p; p++) {
        if (strchr("xdutcsi", *p))
            r->xfmt = *p;
        else if (strchr("bhw", *p))
            r->xsize = *p;
        else
            return ui_repl_error(r, "x/NFU ADDR", "\"%c\" in \"/%s\" is neither a format (x d u t "
                                 "c s i) nor a unit (b h w).", *p, spec);
    }
    if (*count == 0 || *count > 4096)
        return ui_repl_error(r, "x/NFU ADDR", "Give a count of 1 to 4096.");
    return 0;
}

static void x_value(ui_repl_t *r, uint32_t v, unsigned size)
{
    int digits = (int)size * 2, bits = (int)size * 8;
    int32_t sv = size == 1 ? (int8_t)v : size == 2 ? (int16_t)v : (int32_t)v;
    static const int dec_width[5] = {0, 4, 6, 0, 11};
    switch (r->xfmt) {
    case 'd': fprintf(r->out, "  %*d", dec_width[size], sv); break;
    case 'u': fprintf(r->out, "  %*u", dec_width[size], v); break;
    case 't':
        fputs("  ", r->out);
        for (int b = bits - 1; b >= 0; b--)
            fputc(v >> b & 1 ? '1' : '0', r->out);
        break;
    case 'c':
        if (isprint((int)v) && v < 128)
            fprintf(r->out, "  '%c' ", (char)v);
        else
            fprintf(r->out, "  \\x%02x", v & 0xff);
        break;
    default: fprintf(r->out, "  0x%0*x", digits, v); break;
    }
}

/* x/s: a NUL-terminated string, escaped. Returns the bytes it used (with the NUL). */
static int x_string(ui_repl_t *r, ui_dbg_space_t space, uint32_t addr, char *label)
{
    fprintf(r->out, "%s  \"", label);
    for (uint32_t i = 0; i < 256; i++) {
        uint8_t ch;
        if (ui_dbg_read(r->dbg, space, addr + i, &ch, 1) != 0)
            return ui_repl_error(r, NULL, "\"\n%s", ui_dbg_error(r->dbg));
        if (ch == 0) {
            fprintf(r->out, "\"\n");
            return (int)i + 1;
        }
        if (ch == '\n')
            fputs("\\n", r->out);
        else if (ch == '"' || ch == '\\')
            fprintf(r->out, "\\%c", ch);
        else if (isprint(ch))
            fputc(ch, r->out);
        else
            fprintf(r->out, "\\x%02x", ch);
    }
    fprintf(r->out, "\"...\n");
    return 256;
}

/* x at a parsed location: count units in the remembered format. */
static int x_at(ui_repl_t *r, ui_dbg_space_t space, uint32_t addr, uint64_t count)
{
    if (r->xfmt == 'i') {
        listing(r, space, addr & ~3u, count);
        return 0;
    }
    char sym[96], label[160];
    if (r->xfmt == 's') {
        for (uint64_t i = 0; i < count; i++) {
            snprintf(label, sizeof label, "%s 0x%08x%s:", ui_dbg_space_name(space), addr,
                     ui_dbg_symbolize_in(r->dbg, space, addr, sym, sizeof sym));
            int used = x_string(r, space, addr, label);
            if (used < 0)
                return -1;
            addr += (uint32_t)used;
        }
        return 0;
    }
    unsigned size = r->xfmt == 'c' ? 1 : r->xsize == 'b' ? 1 : r->xsize == 'h' ? 2 : 4;
    uint8_t first[4];
    if (ui_dbg_read(r->dbg, space, addr, first, size) != 0) /* an error before any output */
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    unsigned per_line = r->xfmt == 't' ? 16 / size : size == 4 ? 4 : 8;
    if (r->xfmt == 't' && size == 1)
        per_line = 8;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t a = addr + (uint32_t)i * size;
        if (i % per_line == 0) {
            if (i)
                fputc('\n', r->out);
            fprintf(r->out, "%s 0x%08x%s:", ui_dbg_space_name(space), a,
                    ui_dbg_symbolize_in(r->dbg, space, a, sym, sizeof sym));
        }
        uint8_t b[4] = {0};
        if (ui_dbg_read(r->dbg, space, a, b, size) != 0) {
            fputc('\n', r->out);
            return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
        }
        x_value(r, (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                       (uint32_t)b[3] << 24, size);
    }
    fputc('\n', r->out);
    return 0;
}

int ui_repl_cmd_x(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "x/NFU ADDR";
    uint64_t count;
    const char *slash = strchr(argv[0], '/');
    if (parse_xfmt(r, slash ? slash + 1 : NULL, &count) != 0)
        return -1;
    if (argc < 2)
        return ui_repl_error(r, usage, "Give an address, e.g. \"x/4x hpa:0x2000\" or \"x/s msg\".");
    ui_dbg_space_t space;
    uint32_t addr;
    int vm;
    if (ui_repl_parse_location_vm(r, r->rest, &space, &addr, &vm) != 0)
        return -1;
    ui_dbg_use_vm(r->dbg, vm); /* another VM's symbol: that VM's memory */
    int rc = x_at(r, space, addr, count);
    ui_dbg_use_vm(r->dbg, UI_DBG_ANY_VM);
    const char *note = ui_dbg_memory_note(r->dbg); /* never silently after the handler */
    if (rc == 0 && note)
        fprintf(r->out, "%s\n", note);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * translate
 * ------------------------------------------------------------------------------------------ */
/* A 2-D walk as a grid: one row per guest table (and the data page), one column per nested
 * level, then what the guest read there. */
static void walk_grid(ui_repl_t *r, const mmu_trace_t *t)
{
    char head[64];
    fprintf(r->out, "  %-29s", "what is translated");
    for (int l = t->nested_levels - 1; l >= 0; l--) {
        snprintf(head, sizeof head, "nested L%d entry", l);
        fprintf(r->out, "  %-16s", head);
    }
    fprintf(r->out, "  then read\n");
    for (int row = 0; row <= t->levels; row++) { /* the top guest table first, data last */
        unsigned want = row == t->levels ? MMU_FOR_DATA : (unsigned)(t->levels - 1 - row);
        uint32_t gpa = 0;
        bool any = false;
        char cells[8][32] = {{0}};
        const mmu_trace_ref_t *guest = NULL;
        for (unsigned i = 0; i < t->n; i++) {
            const mmu_trace_ref_t *ref = &t->ref[i];
            if (ref->space == MMU_SPACE_NESTED && ref->for_level == want && ref->level < 8) {
                snprintf(cells[ref->level], sizeof cells[0], "hpa 0x%08x", ref->addr);
                gpa = ref->gpa, any = true;
            } else if (ref->space == MMU_SPACE_TABLE && want != MMU_FOR_DATA &&
                       ref->level == want && ref->outcome != MMU_OUTCOME_AD_WRITE) {
                guest = ref;
            }
        }
        if (!any && !guest)
            continue;
        if (want == MMU_FOR_DATA)
            snprintf(head, sizeof head, "data page      gpa 0x%08x", gpa);
        else
            snprintf(head, sizeof head, "guest L%u table gpa 0x%08x", want, gpa);
        fprintf(r->out, "  %-29s", head);
        for (int l = t->nested_levels - 1; l >= 0; l--)
            fprintf(r->out, "  %-16s", cells[l][0] ? cells[l] : "(pwc or none)");
        if (guest) {
            char flags[40];
            mmu_pte_flags(guest->value, flags, sizeof flags);
            fprintf(r->out, "  guest L%u pte = 0x%08x (%s)\n", guest->level, guest->value, flags);
        } else {
            fprintf(r->out, "  -> hpa 0x%08x\n", t->pa);
        }
    }
}

int ui_repl_cmd_translate(ui_repl_t *r, int argc, char **argv)
{
    const char *usage = "translate ADDR";
    if (argc < 2)
        return ui_repl_error(r, usage, "Give a virtual address, e.g. \"translate gva:0x00401a2c\".");
    (void)argv;
    ui_dbg_space_t space;
    uint32_t addr;
    int vm;
    if (ui_repl_parse_location_vm(r, r->rest, &space, &addr, &vm) != 0)
        return -1;
    if (space == UI_DBG_SPACE_HPA && !strchr(r->rest, ':'))
        space = UI_DBG_SPACE_GVA; /* translate means a virtual address unless told otherwise */
    static mmu_trace_t trace;
    mmu_result_t res;
    ui_dbg_use_vm(r->dbg, vm); /* another VM's symbol: through that VM's tables */
    int rc = ui_dbg_translate(r->dbg, space, addr, MMU_LOAD, &res, &trace);
    ui_dbg_use_vm(r->dbg, UI_DBG_ANY_VM);
    if (rc != 0)
        return ui_repl_error(r, NULL, "%s", ui_dbg_error(r->dbg));
    char refs[48], cycles[48];
    fprintf(r->out, "%s 0x%08x, a load: %s walk, %s, %s\n", ui_dbg_space_name(space), addr,
            trace.nested ? "2-D" : "1-D", sim_counted(trace.refs, "reference", refs, sizeof refs),
            sim_counted(trace.cycles, "cycle", cycles, sizeof cycles));
    char line[200];
    if (trace.nested && space == UI_DBG_SPACE_GVA)
        walk_grid(r, &trace);
    else
        for (unsigned i = 0; i < trace.n; i++) {
            mmu_trace_format_ref(&trace, &trace.ref[i], line, sizeof line);
            fprintf(r->out, "  %s\n", line);
        }
    if (res.status == MMU_OK && trace.nested && space == UI_DBG_SPACE_GVA)
        fprintf(r->out, "  gva 0x%08x -> gpa 0x%08x -> hpa 0x%08x\n", addr, trace.gpa, res.pa);
    else if (res.status == MMU_OK)
        fprintf(r->out, "  %s 0x%08x -> hpa 0x%08x\n", ui_dbg_space_name(space), addr, res.pa);
    else if (res.status == MMU_NESTED_FAULT)
        fprintf(r->out, "  nested fault: gpa 0x%08x is not mapped (%s); a hypervisor would see a "
                "VM exit\n", res.nested.gpa, mmu_outcome_name(res.nested.reason));
    else
        fprintf(r->out, "  page fault: %s; the CPU would trap\n", mmu_outcome_name(res.reason));
    return 0;
}
