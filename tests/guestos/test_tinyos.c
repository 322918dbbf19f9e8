/*
 * test_tinyos.c - tinyos booted from its image: the native-tinyos transcript exactly, two runs
 * identical, each system call, preemption (two CPU-bound programs both progress), fault
 * isolation (a faulting program is killed, the others and the kernel go on), no memory lost,
 * a failed program load, and an idle machine that really stops.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "guest_util.h"

#define RAM (8u << 20)
#define MAX_CYCLES 400000000ull

/* Boots tinyos with a shell script; the run must end with a power-off (exit 0). */
static const char *run_script(sim_machine_t *m, const char *script)
{
    cr_assert_eq(gu_boot(m, "tinyos.img", RAM, script, MAX_CYCLES), SIM_RUN_POWEROFF,
                 "tinyos did not power off; console:\n%s", sim_console_captured(m));
    cr_expect_eq(m->exit_code, 0, "exit code %u", m->exit_code);
    return sim_console_captured(m);
}

static void expect_line(const char *out, const char *line)
{
    cr_expect(strstr(out, line) != NULL, "no line \"%s\" in:\n%s", line, out);
}

Test(tinyos_transcript, native_tinyos_exactly)
{
    gu_expect_transcript("native-tinyos");
}

/* Same console output, same statistics (cycles, instructions, traps, TLB, disk), twice. */
Test(tinyos_transcript, two_runs_are_identical)
{
    gu_expect_identical_runs("native-tinyos");
}

/* ---- system calls ---------------------------------------------------------------------- */
/* The lines that show each call working: systest's checks, and the programs that use them. */
static const char *const syscall_lines[] = {
    "[systest] ok: getpid gives a positive id\n",
    "[systest] ok: write from kernel memory is refused\n",
    "[systest] ok: write of more than 4096 bytes is refused\n",
    "[systest] ok: write of 0 bytes gives 0\n",
    "[systest] ok: spawn of a missing program gives -1\n",
    "[systest] ok: spawn with a name in kernel memory gives -1\n",
    "[systest] ok: spawn with a name in an untouched heap page gives -1\n",
    "[systest] ok: wait without children gives -1\n",
    "[systest] ok: spawn + wait give the child's id and status 0\n",
    "[systest] ok: an unknown system call gives -1\n",
    "[systest] ok: yield gives 0\n",
    "[systest] ok: sleep(2) gives 0 after more than one tick (1 ms)\n",
    "Hello from a tinyos process!\n",                             /* write, exit */
    "$ hello\n",                                                  /* read, with its echo */
    "[syscalls] 1000 getpid calls: ",                             /* getpid, cycles */
    "[syscalls] 100 yield calls: ",                               /* yield */
    "[syscalls] sleep(3 ticks of 1 ms): woke after ",     /* sleep */
    "[forkwait] 5 rounds of spawn(true) + wait: ",                /* spawn, wait */
    "[tinyos]   pid  state     pages  program\n",                 /* ps */
    "[tinyos]     1  running     2  shell\n",
};
#define NSYSCALL_LINES (sizeof syscall_lines / sizeof syscall_lines[0])

ParameterizedTestParameters(tinyos_syscalls, each_call)
{
    TH_ROW_INDICES(NSYSCALL_LINES);
}

ParameterizedTest(size_t *index, tinyos_syscalls, each_call)
{
    sim_machine_t m;
    const char *out =
        run_script(&m, "systest\nhello\nsyscalls\nforkwait\nps\npoweroff\n");
    expect_line(out, syscall_lines[*index]);
    cr_expect_eq(gu_count(out, "FAILED"), 0, "%s", out);
    sim_machine_free(&m);
}

/* A bad buffer handed to the kernel kills the caller, not the kernel. */
Test(tinyos_syscalls, bad_buffer_kills_the_caller)
{
    sim_machine_t m;
    const char *out = run_script(&m, "systest\nhello\npoweroff\n");
    expect_line(out, "[systest] last: write from an address we do not own\n"
                     "[tinyos] process 2 (systest) killed: load-page-fault at 0x50000000 (pc ");
    expect_line(out, "[shell] exit status -1\n$ hello\nHello from a tinyos process!\n");
    cr_expect_eq(gu_count(out, "[systest] ok: "), 12);
    sim_machine_free(&m);
}

/* ---- preemption -------------------------------------------------------------------------- */
/* Two programs that never yield both progress: their rounds interleave. */
Test(tinyos_sched, two_cpu_bound_programs_both_progress)
{
    sim_machine_t m;
    const char *out = run_script(&m, "counter &\ncounter\npoweroff\n");
    const char *a1 = strstr(out, "[counter 2] round 1 of 5\n");
    const char *a5 = strstr(out, "[counter 2] round 5 of 5\n");
    const char *b1 = strstr(out, "[counter 3] round 1 of 5\n");
    const char *b5 = strstr(out, "[counter 3] round 5 of 5\n");
    cr_assert(a1 && a5 && b1 && b5, "%s", out);
    cr_expect(b1 < a5, "the second counter started only after the first finished:\n%s", out);
    cr_expect(a1 < b5, "the first counter started only after the second finished:\n%s", out);
    for (int r = 1; r <= 4; r++) { /* strictly alternating rounds */
        char x[64], y[64];
        snprintf(x, sizeof x, "[counter 3] round %d of 5\n", r);
        snprintf(y, sizeof y, "[counter 2] round %d of 5\n", r + 1);
        cr_expect(strstr(out, x) < strstr(out, y), "round %d of counter 3 comes too late", r);
    }
    cr_expect_gt(m.cpu[0].s.interrupts[CPU_IRQ_TIMER], 10, "preemption needs the timer");
    sim_machine_free(&m);
}

/* ---- fault isolation ------------------------------------------------------------------- */
Test(tinyos_faults, faulting_program_is_killed_others_go_on)
{
    sim_machine_t m;
    const char *out = run_script(&m, "counter &\nfault\nhello\nwait\npoweroff\n");
    expect_line(out, "[fault] about to read address 0\n"
                     "[tinyos] process 3 (fault) killed: load-page-fault at 0x00000000 "
                     "(pc 0x4000000c)\n");
    expect_line(out, "[shell] exit status -1\n");
    expect_line(out, "Hello from a tinyos process!\n");
    expect_line(out, "[counter 2] round 5 of 5\n");
    expect_line(out, "[shell] pid 2 done, status 0\n");
    expect_line(out, "[tinyos] the shell exited with status 0: powering off\n");
    cr_expect_eq(gu_count(out, "[fault] still alive"), 0);
    sim_machine_free(&m);
}

/* Every page a process had comes back when it ends (killed or not). The free-frame count is
 * read from the kernel's memory, at the address its symbol file gives. */
static uint32_t free_frames_after(const char *script)
{
    char path[512];
    snprintf(path, sizeof path, "%s/guestos/tinyos.sym", th_build_dir());
    cpu_symbol_t *syms;
    size_t n;
    cr_assert_eq(cpu_syms_load(path, &syms, &n, stderr), 0);
    uint32_t addr = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(syms[i].name, "free_frames") == 0)
            addr = syms[i].addr;
    cpu_syms_free(syms, n);
    cr_assert_neq(addr, 0, "no symbol free_frames in %s", path);
    sim_machine_t m;
    run_script(&m, script);
    uint32_t v = (uint32_t)m.ram[addr] | (uint32_t)m.ram[addr + 1] << 8 |
                 (uint32_t)m.ram[addr + 2] << 16 | (uint32_t)m.ram[addr + 3] << 24;
    sim_machine_free(&m);
    return v;
}

Test(tinyos_faults, no_memory_is_lost)
{
    uint32_t before = free_frames_after("poweroff\n");
    uint32_t after = free_frames_after("pagetouch\nforkwait\nfault\nsystest\ncounter &\n"
                                       "counter &\nwait\npoweroff\n");
    cr_expect_eq(after, before, "%u frames free after the programs, %u before", after, before);
}

/* A program whose file points past the end of the disk: the load fails, the process ends. */
Test(tinyos_faults, failed_load_ends_the_process)
{
    size_t len;
    uint8_t *bytes = gu_read("tinyos.img", &len);
    sim_image_t img;
    sim_image_entry_t e;
    cr_assert_eq(sim_image_open(bytes, len, &img, NULL), 0);
    cr_assert_eq(sim_image_lookup(&img, (unsigned)sim_image_find_part(&img, NULL), "/bin/hello",
                                  &e), 0);
    uint32_t past = img.sectors + 100;
    memcpy(bytes + e.entry_offset + 24, &past, 4); /* little-endian host */
    sim_machine_t m;
    gu_machine(&m, RAM, bytes, len, "hello\nhello\npoweroff\n");
    free(bytes);
    cr_assert_eq(sim_run(&m, MAX_CYCLES), SIM_RUN_POWEROFF);
    const char *out = sim_console_captured(&m);
    expect_line(out, "$ hello\n[tinyos] process 2 (hello): disk error 3 while loading its "
                     "program\n[shell] exit status -1\n$ hello\n[tinyos] process 3 (hello)");
    cr_expect_eq(m.exit_code, 0);
    sim_machine_free(&m);
}

/* ---- the shell and idling ------------------------------------------------------------------ */
Test(tinyos_shell, unknown_program_and_background)
{
    sim_machine_t m;
    const char *out = run_script(&m, "nothere\nhello &\nwait\npoweroff\n");
    expect_line(out, "$ nothere\n[shell] no program 'nothere' in /bin\n");
    expect_line(out, "$ hello &\n[shell] pid 2 runs in the background\n");
    expect_line(out, "[shell] pid 2 done, status 0\n");
    sim_machine_free(&m);
}

/* Without `poweroff` the shell waits for input for ever: with nothing asleep the kernel stops
 * its timer, so the simulator finds the machine idle instead of ticking to the cycle limit. */
Test(tinyos_shell, waiting_for_input_that_never_comes_is_idle)
{
    sim_machine_t m;
    cr_expect_eq(gu_boot(&m, "tinyos.img", RAM, "hello\n", MAX_CYCLES), SIM_RUN_IDLE);
    const char *out = sim_console_captured(&m);
    size_t n = strlen(out);
    cr_expect(n >= 2 && strcmp(out + n - 2, "$ ") == 0, "%s", out);
    cr_expect_lt(m.cpu[0].s.cycles, 5000000);
    sim_machine_free(&m);
}
