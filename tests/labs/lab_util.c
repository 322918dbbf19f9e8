/*
 * lab_util.c - random self-checking guest streams, the isolation checker and scenario
 * fingerprints for the graded labs' suites (see lab_util.h).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "lab_util.h"

/* A small deterministic generator (no libc rand: the same seed everywhere). */
static unsigned next(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fffu;
}

static void add(lu_stream_t *s, const char *fmt, ...)
{
    size_t used = strlen(s->src);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->src + used, sizeof s->src - used, fmt, ap);
    va_end(ap);
}

static void counts(lu_stream_t *s, const char *mnemonics)
{
    char list[128], *save = NULL;
    snprintf(list, sizeof list, "%s", mnemonics);
    for (char *m = strtok_r(list, " ", &save); m; m = strtok_r(NULL, " ", &save))
        s->count[cpu_op_by_mnemonic(m)]++;
}

/* ------------------------------------------------------------------------------------------
 * Kernel streams: one template per instruction, each checking its effect and the flags
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    unsigned cls;     /* LU_PRIV or LU_SENS */
    const char *ops;  /* the instructions it executes, for the expected counts */
    const char *body; /* %1$u: a step number for labels, %2$u: a random 12-bit value */
} template_t;

/* Each begins with Z set (cmpi r1, r1's value) and checks Z right after the instruction: the
 * flags survived the exit. Virtual state at each template's start: K, IE = 0. */
static const template_t templates[] = {
    {"csrw/csrr scratch", LU_PRIV, "csrw csrr",
     "li r11, %2$u\ncsrw scratch, r11\nbne fail\ncsrr r12, scratch\ncmpi r12, %2$u\nbne fail\n"},
    {"cli", LU_PRIV, "cli csrr",
     "cli\nbne fail\ncsrr r11, status\nandi r11, r11, 0x100\ncmpi r11, 0\nbne fail\n"},
    {"sti", LU_PRIV, "sti csrr cli",
     "sti\nbne fail\ncsrr r11, status\nandi r11, r11, 0x100\ncmpi r11, 0x100\nbne fail\ncli\n"},
    {"tlbinv", LU_PRIV, "tlbinv", "li r11, 0x3000\ntlbinv r11\nbne fail\n"},
    {"tlbflush", LU_PRIV, "tlbflush", "tlbflush\nbne fail\n"},
    {"in", LU_PRIV, "in", "in r11, [0x3f9]\nbne fail\ncmpi r11, 2\nbne fail\n"},
    {"out", LU_PRIV, "out", "li r11, %2$u\nout r11, [0x2f0]\nbne fail\n"},
    {"iret", LU_PRIV, "csrw csrw iret csrr",
     "la r11, back%1$u\ncsrw epc, r11\nli r11, 0x1000\ncsrw eflags, r11\niret\nb fail\n"
     "back%1$u: csrr r12, status\nandi r12, r12, 0x3100\ncmpi r12, 0x1000\nbne fail\n"},
    {"rdmode", LU_SENS, "rdmode", "rdmode r11\nbne fail\ncmpi r11, 1\nbne fail\n"},
    {"pushf", LU_SENS, "pushf",
     "pushf\nbne fail\npop r11\nandi r11, r11, 0x3100\n"
     "cmpi r11, 0x1000\nbne fail\n"},
    {"popf", LU_SENS, "popf csrr cli",
     "li r11, 0x1101\npush r11\npopf\nbne fail\n"
     "csrr r12, status\nandi r12, r12, 0x100\ncmpi r12, 0x100\n"
     "bne fail\ncli\n"},
};
#define NTEMPLATES (sizeof templates / sizeof templates[0])

/* r1 .. r9 hold these for the whole stream; they are checked at its end. */
static uint32_t reg_value(unsigned r)
{
    return 0x0700u * r + 0x11u;
}

void lu_kernel_stream(lu_stream_t *s, unsigned seed, unsigned steps, unsigned classes)
{
    unsigned state = seed * 2654435761u + 1;
    memset(s, 0, sizeof *s);
    add(s, ".org 0x1000\nli r10, 0\nli r14, 0x7000\n");
    for (unsigned r = 1; r <= 9; r++)
        add(s, "li r%u, %u\n", r, reg_value(r));
    for (unsigned k = 0; k < steps && k < 64; k++) {
        const template_t *t;
        do
            t = &templates[next(&state) % NTEMPLATES];
        while (!(t->cls & classes));
        add(s, "li r13, %u\ncmpi r1, %u\n", k, reg_value(1));
        add(s, t->body, k, next(&state) & 0xfff);
        counts(s, t->ops);
        snprintf(s->what[k], sizeof s->what[k], "%s", t->name);
        s->steps++;
    }
    for (unsigned r = 1; r <= 9; r++)
        add(s, "cmpi r%u, %u\nbne regs\n", r, reg_value(r));
    add(s,
        "cmpi r14, 0x7000\nbne regs\nli r10, 1\nout r0, [0xf0]\n"
        "regs: li r13, %u\nfail: li r10, 2\nout r0, [0xf0]\n",
        steps);
    s->count[CPU_OP_OUT]++; /* the power-off */
}

/* ------------------------------------------------------------------------------------------
 * User streams: privileged instructions in the guest's user mode, each the kernel's trap
 * ------------------------------------------------------------------------------------------ */
static const char *const user_insns[] = {
    "csrr r11, scratch",
    "csrw scratch, r11",
    "cli",
    "sti",
    "halt",
    "iret",
    "tlbflush",
    "tlbinv r11",
    "in r11, [0x3f9]",
    "out r11, [0x3f8]",
};

void lu_user_stream(lu_stream_t *s, unsigned seed, unsigned steps)
{
    unsigned state = seed * 2246822519u + 7;
    memset(s, 0, sizeof *s);
    add(s,
        ".org 0x1000\nli r10, 0\nli r8, 0\nla r13, handler\ncsrw tvec, r13\n"
        "la r13, user\ncsrw epc, r13\nli r13, 0\ncsrw eflags, r13\niret\n"
        "handler: csrr r13, cause\ncmpi r13, %u\nbeq done\ncmpi r13, %u\nbne fail\n"
        "addi r8, r8, 1\ncsrr r13, epc\naddi r13, r13, 4\ncsrw epc, r13\niret\n"
        "done: li r10, 1\nout r0, [0xf0]\nfail: li r10, 2\nout r0, [0xf0]\nuser:\n",
        CPU_CAUSE_SYSCALL, CPU_CAUSE_PRIVILEGED);
    for (unsigned k = 0; k < steps && k < 64; k++) {
        const char *insn = user_insns[next(&state) % (sizeof user_insns / sizeof *user_insns)];
        add(s, "%s\n", insn);
        snprintf(s->what[k], sizeof s->what[k], "%s", insn);
        s->steps++;
    }
    add(s, "syscall\n");
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------------------ */
int lu_run_guest(sim_machine_t *m, hv_t **hv, const char *src, unsigned cpu, unsigned mem)
{
    hv_config_t cfg = hu_config();
    *hv = hu_machine(m, 1, &cfg);
    hv_vm_config_t c = {.cpu = cpu, .mem = mem, .pin = {-1, -1, -1, -1}};
    int vm = hu_vm(*hv, "guest", src, &c);
    sim_run_result_t r = hv_run(*hv, 20000000);
    cr_assert_eq(r, SIM_RUN_POWEROFF, "the guest did not power off (run result %d): %s", r,
                 (*hv)->vms[vm].state == HV_VM_CRASHED ? (*hv)->vms[vm].why : "it ran on");
    return vm;
}

int lu_run_stream(sim_machine_t *m, hv_t **hv, const lu_stream_t *s, unsigned seed, unsigned cpu,
                  unsigned mem)
{
    int vm = lu_run_guest(m, hv, s->src, cpu, mem);
    unsigned step = lu_reg(*hv, vm, 13);
    cr_assert_eq(lu_reg(*hv, vm, 10), 1,
                 "seed %u, under %s: step %u (%s) did not do what it does on bare hardware, or "
                 "a register or flag changed across an exit", seed, hv_cpu_technique_name(cpu),
                 step, step < s->steps ? s->what[step] : "the registers at the end");
    return vm;
}

void lu_user_streams(unsigned cpu, unsigned mem, unsigned seeds)
{
    for (unsigned seed = 1; seed <= seeds; seed++) {
        static lu_stream_t s;
        static sim_machine_t m;
        hv_t *hv;
        lu_user_stream(&s, seed, 24);
        int vm = lu_run_guest(&m, &hv, s.src, cpu, mem);
        cr_assert_eq(lu_reg(hv, vm, 10), 1,
                     "seed %u: the guest kernel's handler saw a trap "
                     "that is not the privileged-instruction trap (r10 = %u)",
                     seed, lu_reg(hv, vm, 10));
        cr_expect_eq(lu_reg(hv, vm, 8), s.steps,
                     "seed %u: the guest kernel counted %u "
                     "privileged-instruction traps of %u",
                     seed, lu_reg(hv, vm, 8), s.steps);
        cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_PRIVILEGED), s.steps,
                     "seed %u: reflected as privileged", seed);
        cr_expect_eq(hv_trap_reflected(hv, (unsigned)vm, CPU_CAUSE_SYSCALL), 1,
                     "seed %u: the final syscall reflected", seed);
        hu_free(hv, &m);
    }
}

uint32_t lu_reg(hv_t *hv, int vm, unsigned reg)
{
    return cpu_vmcb_peek(&hv->m->cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                         CPU_VMCB_GUEST + CPU_VMCB_R(reg));
}

static const char *const round_trip_insns[] = {
    "csrw scratch, r3", "cli",          "sti",           "tlbinv r2", "tlbflush",
    "out r4, [0x2f0]",  "csrw epc, r5", "csrw tvec, r6",
};

void lu_round_trip(unsigned cpu, unsigned mem)
{
    for (size_t k = 0; k < sizeof round_trip_insns / sizeof *round_trip_insns; k++) {
        static sim_machine_t m;
        hv_t *hv;
        char src[1024] = ".org 0x1000\n";
        for (unsigned r = 1; r <= 14; r++)
            snprintf(src + strlen(src), sizeof src - strlen(src), "li r%u, %u\n", r,
                     r == CPU_REG_SP ? 0x8000u : reg_value(r));
        /* r1 - r2 is negative with a borrow: N and C set, Z and V clear */
        snprintf(src + strlen(src), sizeof src - strlen(src), "cmp r1, r2\n%s\nout r0, [0xf0]\n",
                 round_trip_insns[k]);
        int vm = lu_run_guest(&m, &hv, src, cpu, mem);
        for (unsigned r = 1; r <= 14; r++) {
            uint32_t want = r == CPU_REG_SP ? 0x8000u : reg_value(r);
            cr_expect_eq(lu_reg(hv, vm, r), want,
                         "after `%s` (an exit and an entry): r%u = "
                         "0x%08x, want 0x%08x",
                         round_trip_insns[k], r, lu_reg(hv, vm, r), want);
        }
        uint32_t flags = cpu_vmcb_peek(&m.cpu[0], hv_vcpu_vmcb(hv, (unsigned)vm, 0),
                                       CPU_VMCB_GUEST + CPU_VMCB_FLAGS);
        cr_expect_eq(flags & CPU_FLAG_COND, CPU_FLAG_N | CPU_FLAG_C,
                     "after `%s`: the condition flags are 0x%x, want N and C (0x%x)",
                     round_trip_insns[k], flags & CPU_FLAG_COND, CPU_FLAG_N | CPU_FLAG_C);
        hu_free(hv, &m);
    }
}

/* ------------------------------------------------------------------------------------------
 * Isolation
 * ------------------------------------------------------------------------------------------ */
static uint32_t word(const hv_t *hv, uint32_t hpa)
{
    uint32_t w = 0;
    if (hpa <= hv->m->ram_size - 4)
        memcpy(&w, hv->m->ram + hpa, 4);
    return w;
}

/* Marks every leaf frame of a table tree as reachable from `vm` (1 + vm in `seen`); false,
 * with the sentence in buf, when another VM reaches it too or it is the hypervisor's. */
static bool mark_tree(const hv_t *hv, int8_t *seen, unsigned vm, uint32_t table, unsigned level,
                      bool shadow, char *buf, size_t len)
{
    for (uint32_t i = 0; i < MMU_PAGE_SIZE / 4; i++) {
        uint32_t pte = word(hv, table + 4 * i), f = MMU_PTE_PFN(pte);
        if (!(pte & MMU_PTE_V))
            continue;
        if (f >= hv->nframes) {
            snprintf(buf, len, "VM %s: a table maps frame 0x%05x, beyond host RAM",
                     hv->vms[vm].name, f);
            return false;
        }
        if (level > 0 && !(pte & (MMU_PTE_R | MMU_PTE_W | MMU_PTE_X))) {
            if (!mark_tree(hv, seen, vm, f << MMU_PAGE_SHIFT, level - 1, shadow, buf, len))
                return false;
            continue;
        }
        /* A shadow may map the hypervisor's translation cache (execute-only, cpu = bt). */
        bool hv_frame = hv->owner[f] == HV_FRAME_HV || (f << MMU_PAGE_SHIFT) < HV_RESERVED_BYTES;
        if (hv_frame && !(shadow && !(pte & (MMU_PTE_R | MMU_PTE_W)))) {
            snprintf(buf, len, "VM %s can reach frame 0x%05x of the hypervisor (pte 0x%08x)",
                     hv->vms[vm].name, f, pte);
            return false;
        }
        /* seen: 1 + the VM that reaches it, bit 6 when some mapping of it is writable */
        bool writable = pte & MMU_PTE_W, other = (seen[f] & 0x3f) && (seen[f] & 0x3f) != 1 + vm;
        if (!hv_frame && other && (writable || (seen[f] & 0x40))) {
            snprintf(buf, len,
                     "frame 0x%05x is reachable from VM %s and from VM %s, and "
                     "writable (only a read-only frame may be shared)",
                     f, hv->vms[(seen[f] & 0x3f) - 1].name, hv->vms[vm].name);
            return false;
        }
        if (!hv_frame)
            seen[f] = (int8_t)((1 + vm) | (writable || (seen[f] & 0x40) ? 0x40 : 0));
    }
    return true;
}

const char *lu_isolation(hv_t *hv, char *buf, size_t len)
{
    int8_t *seen = calloc(hv->nframes, 1);
    unsigned nested = hv->m->mmu_config.nested_levels, guest = hv->m->mmu_config.levels;
    bool ok = seen != NULL;
    for (unsigned vm = 0; ok && vm < HV_MAX_VMS; vm++) {
        if (!hv->vms[vm].used)
            continue;
        ok = mark_tree(hv, seen, vm, hv->vms[vm].nested_root, nested - 1, false, buf, len);
        for (unsigned i = 0; ok && i < hv->vms[vm].nvcpus; i++) {
            const hv_shadow_t *sh = &hv->ent[hv->vms[vm].vcpu[i]].shadow;
            for (unsigned c = 0; ok && c < HV_SHADOW_CONTEXTS; c++)
                if (sh->ctx[c].root)
                    ok = mark_tree(hv, seen, vm, sh->ctx[c].root, guest - 1, true, buf, len);
        }
    }
    free(seen);
    if (!ok)
        return buf;
    return hv_check_invariants(hv, buf, len);
}

void lu_isolation_all_along(const char *scenario)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    sim_run_result_t r = SIM_RUN_MAX_CYCLES;
    for (unsigned k = 1; k <= 10 && r == SIM_RUN_MAX_CYCLES; k++) {
        r = hv_run(hv, sc.max_cycles / 10 * k);
        char why[200];
        cr_assert_null(lu_isolation(hv, why, sizeof why), "%s, at cycle %llu: %s", scenario,
                       (unsigned long long)m.cpu[0].s.cycles, why);
    }
    cr_expect_eq(r, SIM_RUN_POWEROFF, "%s ran to its end", scenario);
    for (unsigned vm = 0; vm < sc.nvms; vm++)
        cr_expect_neq(hv->vms[vm].state, HV_VM_CRASHED, "%s: %s stopped: %s", scenario,
                      hv->vms[vm].name, hv->vms[vm].why);
    hu_scenario_free(&sc, hv, &m);
}

/* ------------------------------------------------------------------------------------------
 * Fingerprints
 * ------------------------------------------------------------------------------------------ */
char *lu_fingerprint(const char *scenario)
{
    static hv_scenario_t sc;
    static sim_machine_t m;
    hv_t *hv = hu_scenario(&sc, &m, scenario);
    sim_run_result_t r = hv_run(hv, sc.max_cycles);
    size_t cap = 1 << 20, used = 0;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    used += (size_t)snprintf(out, cap, "run %d\n", r);
    for (unsigned vm = 0; vm < HV_MAX_VMS && used < cap; vm++) {
        const hv_vm_t *v = &hv->vms[vm];
        if (!v->used)
            continue;
        used += (size_t)snprintf(out + used, cap - used, "%s: ended %llu exits", v->name,
                                 (unsigned long long)v->stats.ended);
        for (unsigned x = 0; x < CPU_EXIT_COUNT && used < cap; x++)
            used += (size_t)snprintf(out + used, cap - used, " %llu",
                                     (unsigned long long)v->stats.exits[x]);
        if (used < cap)
            used += (size_t)snprintf(out + used, cap - used, "\n%s\n", hv_vm_console(hv, vm));
    }
    hu_scenario_free(&sc, hv, &m);
    return out;
}
