/*
 * debug_step.c - frames and the run commands that know about them: `bt`, `next` (over a
 * call), `finish` (out of a routine, or to the VM entry that ends an exit's handling), and
 * gdb's `until` and `advance`.
 *
 * The guests follow one calling convention (docs/isa.md, "Calling convention"): `call` puts
 * the return address in lr; a routine that calls another pushes lr first, then the registers
 * it saves, pops them in reverse and returns with `ret`. There is no frame pointer, so a frame
 * is found as gdb finds one without debug information: by reading the routine's code from its
 * symbol to the pc and counting what it pushed (prologue analysis). The reading is linear;
 * after an unconditional jump (`b`, `ret`) it goes back to the state the routine's first
 * branch saw, which is what the code after a label in the body sees in this convention. A
 * return address is believed only when the word before it is a call, so a walk ends with a
 * sentence saying why rather than with a made-up frame.
 */
#include <string.h>

#include "debug_internal.h"

#define MAX_SCAN 4096 /* instructions read from a routine's start to the pc */

/* ------------------------------------------------------------------------------------------
 * Reading code
 * ------------------------------------------------------------------------------------------ */
static bool read_word(ui_dbg_t *d, uint32_t addr, uint32_t *word)
{
    return ui_dbg_read(d, ui_dbg_default_space(d), addr, word, 4) == 0;
}

static bool insn_at(ui_dbg_t *d, uint32_t addr, cpu_insn_t *insn)
{
    uint32_t w;
    return read_word(d, addr, &w) && cpu_decode(w, insn);
}

/* A call: jal or jalr that links through lr. */
static bool is_call(const cpu_insn_t *in)
{
    return (in->op == CPU_OP_JAL || in->op == CPU_OP_JALR) && in->rd == CPU_REG_LR;
}

/* True when the word before addr is a call, so addr is a return address. */
static bool follows_call(ui_dbg_t *d, uint32_t addr)
{
    cpu_insn_t in;
    return addr >= 4 && insn_at(d, addr - 4, &in) && is_call(&in);
}

static bool is_jump(const cpu_insn_t *in)
{
    return in->op == CPU_OP_B || (in->op == CPU_OP_JALR && in->rd == 0) || in->op == CPU_OP_IRET ||
           (in->op == CPU_OP_JAL && in->rd == 0);
}

static bool is_control(const cpu_insn_t *in)
{
    return (in->op >= CPU_OP_B && in->op <= CPU_OP_JALR) || in->op == CPU_OP_IRET;
}

/* What a routine has on the stack at a pc: `depth` bytes pushed since its entry, and lr saved
 * `lr_at` bytes below its entry sp (0: lr not saved). */
typedef struct {
    uint32_t depth, lr_at;
} stack_state_t;

/* Reads the routine from func to pc (see the file's comment). False when its code cannot be
 * read or is too long to be one routine. */
static bool scan_routine(ui_dbg_t *d, uint32_t func, uint32_t pc, stack_state_t *out)
{
    stack_state_t now = {0, 0}, body = {0, 0};
    bool in_body = false;
    if (pc < func || (pc - func) / 4 > MAX_SCAN)
        return false;
    for (uint32_t a = func; a < pc; a += 4) {
        cpu_insn_t in;
        if (!insn_at(d, a, &in))
            return false;
        if (in.op == CPU_OP_PUSH || in.op == CPU_OP_PUSHF) {
            now.depth += 4;
            if (in.op == CPU_OP_PUSH && in.rd == CPU_REG_LR)
                now.lr_at = now.depth;
        } else if (in.op == CPU_OP_POP || in.op == CPU_OP_POPF) {
            if (in.op == CPU_OP_POP && in.rd == CPU_REG_LR)
                now.lr_at = 0;
            now.depth -= now.depth >= 4 ? 4 : now.depth;
        } else if (in.op == CPU_OP_ADDI && in.rd == CPU_REG_SP && in.rs1 == CPU_REG_SP) {
            now.depth -= (uint32_t)in.imm;
        }
        if (!in_body && is_control(&in)) {
            in_body = true;
            body = now;
        }
        if (in_body && is_jump(&in))
            now = body; /* the next instruction is reached only by a branch */
    }
    *out = now;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------------------------ */
static bool routine_of(const ui_dbg_t *d, uint32_t pc, uint32_t *func)
{
    uint32_t off;
    const cpu_symbol_t *s = cpu_syms_lookup(d->syms, d->nsyms, pc, &off);
    if (!s || off >= 0x10000)
        return false;
    *func = s->addr;
    return true;
}

static const char *name_of(const ui_dbg_t *d, uint32_t addr, char *buf, size_t len)
{
    uint32_t off;
    const cpu_symbol_t *s = cpu_syms_lookup(d->syms, d->nsyms, addr, &off);
    if (s && off < 0x10000)
        snprintf(buf, len, "%s", s->name);
    else
        snprintf(buf, len, "0x%08x", addr);
    return buf;
}

/* The caller of frame f: fills next and returns true, or writes why not. */
static bool unwind(ui_dbg_t *d, ui_dbg_frame_t *f, bool innermost, ui_dbg_frame_t *next, char *why,
                   size_t whylen)
{
    const cpu_t *cpu = &d->m->cpu[d->focus];
    char name[64];
    if (!f->has_func) {
        snprintf(why, whylen, "0x%08x is in no routine with a symbol: the walk stops there.",
                 f->pc);
        return false;
    }
    name_of(d, f->func, name, sizeof name);
    if (cpu_mode(cpu) == CPU_MODE_K && f->func == cpu->s.csr[CPU_CSR_TVEC]) {
        snprintf(why, whylen,
                 "%s is the trap vector: it was entered by a trap from epc 0x%08x, not called, "
                 "and the interrupted registers are wherever the kernel saved them.",
                 name, cpu->s.csr[CPU_CSR_EPC]);
        return false;
    }
    stack_state_t st;
    if (!scan_routine(d, f->func, f->pc, &st)) {
        snprintf(why, whylen, "The code of %s cannot be read from its symbol to 0x%08x.", name,
                 f->pc);
        return false;
    }
    uint32_t ret;
    if (st.lr_at) {
        if (!read_word(d, f->sp + st.depth - st.lr_at, &ret)) {
            snprintf(why, whylen, "The stack word where %s saved lr cannot be read.", name);
            return false;
        }
        next->from = "stack";
    } else if (innermost) {
        ret = cpu->s.r[CPU_REG_LR];
        next->from = "lr";
    } else {
        snprintf(why, whylen,
                 "%s has not saved lr at 0x%08x and has called since: its caller, if it has "
                 "one, is unknown (it may be where the program starts).",
                 name, f->pc);
        return false;
    }
    uint32_t ret_func;
    if (!st.lr_at && routine_of(d, ret, &ret_func) && ret_func == f->func) {
        /* A routine that calls itself saves lr; one that has not must have made this call. */
        snprintf(why, whylen,
                 "lr (0x%08x) points back into %s: a call %s made earlier left it there, so "
                 "%s's own caller is unknown (it may be where the program starts).",
                 ret, name, name, name);
        return false;
    }
    if (!follows_call(d, ret)) {
        snprintf(why, whylen,
                 "%s would return to 0x%08x (from %s), which does not follow a call: %s was "
                 "jumped to, not called, or this is the bottom of the stack.",
                 name, ret, next->from, name);
        return false;
    }
    next->pc = ret;
    next->sp = f->sp + st.depth;
    next->has_func = routine_of(d, ret, &next->func);
    return true;
}

int ui_dbg_backtrace(ui_dbg_t *dbg, ui_dbg_frame_t *frames, size_t max, size_t *n, char *why,
                     size_t whylen)
{
    const cpu_t *cpu = &dbg->m->cpu[dbg->focus];
    *n = 0;
    why[0] = '\0';
    if (ui_dbg_pcpu_exit_pending(dbg, dbg->focus) ||
        (cpu_mode(cpu) == CPU_MODE_H && ui_dbg_has_hypervisor(dbg))) {
        snprintf(why, whylen,
                 "cpu%u is in the hypervisor (ring -1, C code): there is no stack of the "
                 "toy ISA to walk (\"finish\" runs to the VM entry).",
                 dbg->focus);
        return 0;
    }
    if (max == 0)
        return 0;
    ui_dbg_frame_t f = {.pc = cpu->s.pc, .sp = cpu->s.r[CPU_REG_SP], .from = ""};
    f.has_func = routine_of(dbg, f.pc, &f.func);
    frames[(*n)++] = f;
    while (*n < max) {
        ui_dbg_frame_t next = {0};
        if (!unwind(dbg, &frames[*n - 1], *n == 1, &next, why, whylen))
            return 0;
        frames[(*n)++] = next;
    }
    snprintf(why, whylen, "The walk stops at %zu frame%s, as many as were asked for.", max,
             max == 1 ? "" : "s");
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Runs to a frame's pc
 * ------------------------------------------------------------------------------------------ */
static int vm_of(const cpu_t *cpu)
{
    return cpu_in_guest(cpu) ? cpu->s.vm.vm_label : -1;
}

bool dbg_goal_reached(ui_dbg_t *d, const cpu_t *cpu)
{
    const dbg_goal_t *g = &d->goal;
    uint32_t pc = cpu->s.pc, sp = cpu->s.r[CPU_REG_SP];
    if (cpu->s.instret == d->prev[cpu->s.id].instret || cpu_mode(cpu) != g->mode ||
        vm_of(cpu) != g->vm)
        return false; /* at least one instruction; and only in the frame's own context */
    if (g->has_ret && pc == g->ret_pc && sp >= g->ret_sp) {
        d->goal.returned = true;
        return true;
    }
    if (!(g->any_pc || (g->past ? pc > g->pc : pc == g->pc)))
        return false;
    if (!g->in_frame)
        return true;
    /* This frame: not a deeper one (whose sp is below, or the same at a callee's entry). */
    uint32_t func;
    return sp >= g->sp && (!g->has_from || (routine_of(d, pc, &func) && func == g->from_func));
}

/* Starts a goal from where the focus CPU is now: its mode, VM, routine and caller. */
static void goal_here(ui_dbg_t *d, ui_dbg_stop_kind_t kind)
{
    const cpu_t *cpu = &d->m->cpu[d->focus];
    memset(&d->goal, 0, sizeof d->goal);
    d->goal.kind = kind;
    d->goal.mode = cpu_mode(cpu);
    d->goal.vm = vm_of(cpu);
    d->goal.sp = cpu->s.r[CPU_REG_SP];
    d->goal.has_from = routine_of(d, cpu->s.pc, &d->goal.from_func);
    ui_dbg_frame_t fr[2];
    size_t n;
    char why[256];
    ui_dbg_backtrace(d, fr, 2, &n, why, sizeof why);
    if (n == 2) {
        d->goal.has_ret = true;
        d->goal.ret_pc = fr[1].pc;
        d->goal.ret_sp = fr[1].sp;
    }
}

static int next_one(ui_dbg_t *d, ui_dbg_stop_t *stop)
{
    const cpu_t *cpu = &d->m->cpu[d->focus];
    cpu_insn_t in;
    if (cpu->s.halted || ui_dbg_pcpu_exit_pending(d, d->focus) || !insn_at(d, cpu->s.pc, &in) ||
        !is_call(&in))
        return ui_dbg_stepi(d, 1, stop);
    goal_here(d, UI_DBG_STOP_NEXT);
    d->goal.pc = cpu->s.pc + 4;
    d->goal.in_frame = true;
    d->goal.has_ret = false; /* stepping over: the call returns to pc + 4 in this frame */
    d->goal.call_to =
        in.op == CPU_OP_JAL ? cpu->s.pc + (uint32_t)in.imm : cpu->s.r[in.rs1] + (uint32_t)in.imm;
    return dbg_go(d, DBG_GO_FRAME, stop);
}

int ui_dbg_next(ui_dbg_t *dbg, uint64_t n, ui_dbg_stop_t *stop)
{
    if (n == 0)
        return dbg_fail(dbg, "Stepping 0 instructions does nothing; give a count of 1 or more.");
    if (dbg_check_powered(dbg) != 0)
        return -1;
    uint64_t done = 0, first = dbg->m->cpu[dbg->focus].s.instret;
    while (done < n) {
        if (next_one(dbg, stop) != 0)
            return -1;
        done++;
        if ((stop->kind != UI_DBG_STOP_STEP && stop->kind != UI_DBG_STOP_NEXT) ||
            dbg->m->powered_off)
            break; /* a breakpoint, a watchpoint or the end came first */
    }
    stop->steps = dbg->m->cpu[stop->cpu].s.instret - first;
    if (n > 1 && (stop->kind == UI_DBG_STOP_STEP || stop->kind == UI_DBG_STOP_NEXT)) {
        char num[32];
        snprintf(stop->text, sizeof stop->text, "Stepped %s instruction%s on cpu%u, over calls.",
                 sim_group_digits(stop->steps, num, sizeof num), stop->steps == 1 ? "" : "s",
                 stop->cpu);
        dbg->last = *stop;
    }
    return 0;
}

int ui_dbg_finish(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    if (dbg_check_powered(dbg) != 0)
        return -1;
    if (dbg_in_exit(dbg)) /* at an exit or one of its sub-steps: to the entry (debug_exit.c) */
        return ui_dbg_finish_exit(dbg, stop);
    goal_here(dbg, UI_DBG_STOP_FINISH);
    if (!dbg->goal.has_ret) {
        ui_dbg_frame_t fr[2];
        size_t n;
        char why[256];
        ui_dbg_backtrace(dbg, fr, 2, &n, why, sizeof why);
        return dbg_fail(dbg,
                        "\"finish\" needs the caller of this frame, and there is none "
                        "known: %s",
                        why);
    }
    return dbg_go(dbg, DBG_GO_FRAME, stop);
}

static int run_to(ui_dbg_t *d, uint32_t addr, bool in_frame, ui_dbg_stop_t *stop)
{
    if (dbg_check_powered(d) != 0)
        return -1;
    if (addr & 3)
        return dbg_fail(d, "0x%08x is not a multiple of 4: instructions are 4-byte aligned.", addr);
    goal_here(d, UI_DBG_STOP_LOCATION);
    d->goal.pc = addr;
    d->goal.in_frame = in_frame;
    return dbg_go(d, DBG_GO_FRAME, stop);
}

int ui_dbg_until_location(ui_dbg_t *dbg, uint32_t addr, ui_dbg_stop_t *stop)
{
    return run_to(dbg, addr, true, stop);
}

int ui_dbg_advance(ui_dbg_t *dbg, uint32_t addr, ui_dbg_stop_t *stop)
{
    return run_to(dbg, addr, false, stop);
}

int ui_dbg_until_next(ui_dbg_t *dbg, ui_dbg_stop_t *stop)
{
    const cpu_t *cpu = &dbg->m->cpu[dbg->focus];
    cpu_insn_t in;
    if (dbg_check_powered(dbg) != 0)
        return -1;
    bool backward =
        insn_at(dbg, cpu->s.pc, &in) && in.op >= CPU_OP_B && in.op <= CPU_OP_BLEU && in.imm < 0;
    if (!backward || cpu->s.halted)
        return ui_dbg_next(dbg, 1, stop);
    goal_here(dbg, UI_DBG_STOP_LOCATION);
    dbg->goal.pc = cpu->s.pc;
    dbg->goal.past = true;
    dbg->goal.in_frame = true;
    return dbg_go(dbg, DBG_GO_FRAME, stop);
}

/* ------------------------------------------------------------------------------------------
 * The sentences
 * ------------------------------------------------------------------------------------------ */
void dbg_text_goal(ui_dbg_t *d, ui_dbg_stop_t *st)
{
    char a[64], b[64], n[32], vm[48] = "";
    const dbg_goal_t *g = &d->goal;
    const char *s = st->steps == 1 ? "" : "s";
    sim_group_digits(st->steps, n, sizeof n);
    if (st->kind == UI_DBG_STOP_FINISH && st->has_event) { /* the VM entry after an exit */
        snprintf(st->text, sizeof st->text,
                 "The hypervisor finished handling the exit: VM entry into %s at 0x%08x.",
                 dbg_vm_name(d, st->ev.vm), st->ev.pc);
        return;
    }
    if (g->vm >= 0)
        snprintf(vm, sizeof vm, " in %s", dbg_vm_name(d, g->vm));
    if (st->kind == UI_DBG_STOP_NEXT)
        snprintf(st->text, sizeof st->text,
                 "Stepped over the call to %s on cpu%u%s (%s instruction%s).",
                 name_of(d, g->call_to, a, sizeof a), st->cpu, vm, n, s);
    else if (st->kind == UI_DBG_STOP_FINISH || g->returned)
        snprintf(st->text, sizeof st->text,
                 "Run till exit from %s: returned to %s on cpu%u%s "
                 "(%s instruction%s).",
                 g->has_from ? name_of(d, g->from_func, a, sizeof a) : "this routine",
                 name_of(d, st->pc, b, sizeof b), st->cpu, vm, n, s);
    else
        snprintf(st->text, sizeof st->text, "Reached 0x%08x%s on cpu%u%s (%s instruction%s).",
                 st->pc, ui_dbg_symbolize(d, st->pc, a, sizeof a), st->cpu, vm, n, s);
}
