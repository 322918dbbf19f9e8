/*
 * bench_speed.c - how fast the interpreter runs the paths a student's runs spend their time
 * on (issue 17; docs/interpreter.md): one loop shape (15 instructions, 3 loads and 3 stores,
 * one of them to a new page every iteration) with the MMU off, with paging on and under nested
 * 2x2 paging, where every iteration misses the TLB and walks; the MIPS of the last two against
 * the first.
 *
 * Where valgrind is installed it also counts host instructions per simulated instruction
 * (callgrind) for the flat loop, the loop with TLB hits and the loop with a miss every
 * iteration, running build/hvsim on them: a figure that does not move with the machine's load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* The loop. r5: a buffer in its own page; r6: where the third access goes (SPREAD: 1024
 * pages 4 KiB apart, a new one every iteration; or the buffer again: TLB hits only). */
#define SPEED_LOOP(iters, mask, shift)                                                             \
    "        li r1, " iters "\n"                                                                   \
    "loop:   ld r2, [r5]\n"                                                                        \
    "        ld r3, [r5+4]\n"                                                                      \
    "        andi r8, r1, " mask "\n"                                                              \
    "        shli r8, r8, " shift "\n"                                                             \
    "        add r8, r8, r6\n"                                                                     \
    "        ld r4, [r8]\n"                                                                        \
    "        add r2, r2, r3\n"                                                                     \
    "        xor r3, r3, r4\n"                                                                     \
    "        addi r4, r4, 1\n"                                                                     \
    "        st r2, [r5+8]\n"                                                                      \
    "        st r3, [r5+12]\n"                                                                     \
    "        st r4, [r8]\n"                                                                        \
    "        addi r1, r1, -1\n"                                                                    \
    "        cmpi r1, 0\n"                                                                         \
    "        bne loop\n"                                                                           \
    "        out r0, [0xf0]\n"

#define BUF "0x8000"
#define SPREAD "0x400000"

static const char spread_loop[] =
    "        li r5, " BUF "\n        li r6, " SPREAD "\n" SPEED_LOOP("3000000", "1023", "12");

#define MAPPED (12u << 20)
#define NESTED_POOL 0x800u, 0x900u
#define TABLE_POOL 0x900u, 0xa00u

/* Identity tables over MAPPED (guest tables, and nested ones under them when nested). */
static bool tables(sim_machine_t *m, bool nested)
{
    mmu_builder_t nb, gb;
    mmu_t *mmu = &m->cpu[0].mmu;
    if (nested) {
        mmu_nested_t ctl = {.enabled = true, .levels = 2, .vmid = 1};
        if (!mmu_build_init(&nb, m, 2, 0, NESTED_POOL) ||
            !mmu_build_map_range(&nb, 0, 0, MAPPED, MMU_PTE_RWX))
            return false;
        ctl.root_pfn = nb.root_pfn;
        if (!mmu_set_nested(mmu, &ctl))
            return false;
    }
    if (!mmu_build_init(&gb, m, 2, 0, TABLE_POOL) ||
        !mmu_build_map_range(&gb, 0, 0, MAPPED, MMU_PTE_RWX | MMU_PTE_A | MMU_PTE_D))
        return false;
    uint32_t ptroot = MMU_PTROOT_MAKE(gb.root_pfn, 1);
    m->cpu[0].s.csr[CPU_CSR_PTROOT] = ptroot;
    mmu_set_ptroot(mmu, ptroot);
    return true;
}

/* The loop with the MMU off (nested < 0), with paging on, or under nested 2x2 paging; the
 * last two report their MIPS against the first. */
static int loop_run(const char *name, int nested, bench_result_t *r, const bench_result_t *flat)
{
    sim_machine_t m;
    if (bench_prepare(&m, name, spread_loop))
        return -1;
    int rc = nested < 0 || tables(&m, nested > 0) ? bench_measure(&m, name, r) : -1;
    if (rc == 0 && flat) {
        const mmu_stats_t *st = &m.cpu[0].mmu.stats;
        printf("%-28s %5.2f x the MMU-off run's MIPS; %llu TLB misses (%.2f an iteration), %llu "
               "references\n",
               "", r->mips / flat->mips, (unsigned long long)st->misses,
               (double)st->misses / 3e6, (unsigned long long)st->walk_refs);
    } else if (rc != 0) {
        fprintf(stderr, "bench %s: cannot build the page tables or run\n", name);
    }
    sim_machine_free(&m);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Host instructions per simulated instruction (valgrind's callgrind, when installed)
 * ------------------------------------------------------------------------------------------ */

/* A short version of the loop as a program build/hvsim runs: paging off, on with hits, or on
 * with a miss every iteration. The tables: identity over 8 MiB, leaves with A and D set. */
static const char *const callgrind_programs[][2] = {
    {"flat (paging off)", "        li r5, " BUF "\n        li r6, " BUF "\n" SPEED_LOOP(
                              "200000", "255", "2")},
    {"paging on, TLB hits", "PAGING\n        li r5, " BUF "\n        li r6, " BUF "\n" SPEED_LOOP(
                                "200000", "255", "2")},
    {"paging on, a miss every iteration",
     "PAGING\n        li r5, " BUF "\n        li r6, " SPREAD "\n" SPEED_LOOP("200000", "1023",
                                                                             "12")},
};

static const char paging_prologue[] = "        li r1, 0x21000\n"
                                      "        li r2, 0x6f\n"
                                      "        li r3, 2048\n"
                                      "fill:   st r2, [r1]\n"
                                      "        addi r1, r1, 4\n"
                                      "        addi r2, r2, 0x1000\n"
                                      "        addi r3, r3, -1\n"
                                      "        cmpi r3, 0\n"
                                      "        bne fill\n"
                                      "        li r1, 0x20000\n"
                                      "        li r2, 0x21001\n"
                                      "        st r2, [r1]\n"
                                      "        li r2, 0x22001\n"
                                      "        st r2, [r1+4]\n"
                                      "        li r1, 0x20000 | 1 << 1 | 1\n"
                                      "        csrw ptroot, r1\n";

/* Writes the program (with the paging prologue in place of "PAGING") to path. */
static bool write_program(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    if (strncmp(text, "PAGING\n", 7) == 0) {
        fputs(paging_prologue, f);
        text += 7;
    }
    fputs(text, f);
    return fclose(f) == 0;
}

/* Runs callgrind with `opts` on the command `cmd` (its output thrown away); returns the host
 * instructions (Ir) it counted, or 0 when it did not run. The output file goes in dir. */
unsigned long long bench_callgrind(const char *opts, const char *cmd, const char *dir)
{
    char line[2048], out[640];
    snprintf(out, sizeof out, "%s/callgrind.out", dir);
    snprintf(line, sizeof line,
             "valgrind --tool=callgrind %s --callgrind-out-file=%s %s >/dev/null 2>&1", opts, out,
             cmd);
    if (system(line) != 0)
        return 0;
    FILE *f = fopen(out, "r");
    if (!f)
        return 0;
    unsigned long long ir = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "summary: %llu", &ir) == 1 || sscanf(line, "totals: %llu", &ir) == 1)
            break;
    fclose(f);
    unlink(out);
    return ir;
}

/* Runs callgrind on build/hvsim over the program; returns host instructions (Ir) or 0. */
static unsigned long long callgrind_ir(const char *hvsim, const char *prog, const char *dir)
{
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "%s --bare %s", hvsim, prog);
    return bench_callgrind("", cmd, dir);
}

/* Counts the program's own instructions by running it here (the figure hvsim --stats gives). */
static unsigned long long simulated_instructions(const char *text)
{
    char src[4096];
    if (strncmp(text, "PAGING\n", 7) == 0)
        snprintf(src, sizeof src, "%s%s", paging_prologue, text + 7);
    else
        snprintf(src, sizeof src, "%s", text);
    sim_machine_t m;
    if (bench_prepare(&m, "callgrind count", src))
        return 0;
    sim_run_result_t why = sim_run(&m, UINT64_MAX);
    unsigned long long n = why == SIM_RUN_POWEROFF ? m.cpu[0].s.instret : 0;
    sim_machine_free(&m);
    return n;
}

static void host_instructions(const char *hvsim)
{
    if (system("command -v valgrind >/dev/null 2>&1") != 0) {
        printf("\nhost instructions per simulated instruction: valgrind is not installed "
               "(apt-get install valgrind)\n");
        return;
    }
    char dir[] = "/tmp/hvsim-bench-XXXXXX";
    if (!mkdtemp(dir))
        return;
    printf("\nhost instructions per simulated instruction (callgrind, 200 000 iterations, "
           "start-up included)\n");
    for (size_t i = 0; i < sizeof callgrind_programs / sizeof callgrind_programs[0]; i++) {
        char prog[600];
        snprintf(prog, sizeof prog, "%s/loop%zu.s", dir, i);
        unsigned long long insns = simulated_instructions(callgrind_programs[i][1]);
        unsigned long long ir = write_program(prog, callgrind_programs[i][1])
                                    ? callgrind_ir(hvsim, prog, dir)
                                    : 0;
        if (ir && insns)
            printf("%-36s %8.1f\n", callgrind_programs[i][0], (double)ir / (double)insns);
        else
            printf("%-36s (callgrind did not run)\n", callgrind_programs[i][0]);
        unlink(prog);
    }
    rmdir(dir);
}

/* The default scenario headless to its end, as `hvsim --headless` runs it: its simulated
 * instructions (every pCPU's, from --stats) per host second, start-up included. */
static void default_scenario(const char *hvsim)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "%s --headless --scenario default --stats 2>&1", hvsim);
    double t0 = bench_now();
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char line[512];
    double insns = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned cpu;
        char digits[64] = "", *d = digits;
        if (sscanf(line, "cpu%u: instructions %63[0-9 ]", &cpu, digits) != 2)
            continue;
        double v = 0;
        for (; *d; d++)
            v = *d == ' ' ? v : v * 10 + (*d - '0');
        insns += v;
    }
    int rc = pclose(p);
    double secs = bench_now() - t0;
    if (rc != 0 || insns == 0) {
        printf("default scenario, headless: did not run (%s)\n", cmd);
        return;
    }
    printf("%-28s %12.0f instructions %7.3f s  %7.1f MIPS (start-up included)\n",
           "default scenario, headless", insns, secs, insns / secs / 1e6);
}

/* A binary beside this benchmark's (build/hvsim, or the benchmark itself): true when it is
 * there and executable. */
bool bench_beside(const char *name, char *out, size_t len)
{
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, len, "%s/%s", self, name);
    return access(out, X_OK) == 0;
}

int bench_speed_runs(void)
{
    bench_result_t off, paged, nested;
    printf("\nThe 15-instruction loop, a new page every iteration (3 000 000 iterations)\n");
    if (loop_run("MMU off", -1, &off, NULL) ||
        loop_run("paging, a miss per iteration", 0, &paged, &off) ||
        loop_run("nested 2x2, a miss per iter.", 1, &nested, &off))
        return 1;
    char hvsim[600];
    if (!bench_beside("hvsim", hvsim, sizeof hvsim)) {
        printf("(no hvsim beside the benchmark: the scenario and callgrind figures are left out)\n");
        return 0;
    }
    default_scenario(hvsim);
    host_instructions(hvsim);
    return 0;
}
