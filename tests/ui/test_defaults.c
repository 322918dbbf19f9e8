/*
 * test_defaults.c - what hvsim does when a student gives little: the debugger with no program
 * opens the default scenario; the native scenarios take --headless, --stats and --trace-out
 * like the hypervisor's (and a trace of theirs is laid out like a virtualized one); a scenario
 * file with type = none runs natively; --trace never splits a console line.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static const char info_vms[] = "  id  name       state    vcpus  memory   cpu  mem     exits\n"
                               "  0   tinyos     running  1      8 MiB    hw   nested        0\n"
                               "  1   rtos       running  1      4 MiB    hw   nested        0\n";

Test(defaults, repl_alone_opens_the_default_scenario)
{
    int status;
    char *out = th_sh("echo 'info vms' | $B/hvsim --repl", true, &status);
    cr_expect_str_eq(out, info_vms);
    cr_expect_eq(status, 0);
    free(out);
    out = th_sh("$B/hvsim --repl </dev/null; echo status $?", true, &status);
    cr_expect_str_eq(out, "status 0\n");
    free(out);
}

Test(defaults, script_alone_opens_the_default_scenario)
{
    int status;
    char *out = th_sh("echo 'info vms' | $B/hvsim -x /dev/stdin", true, &status);
    cr_expect_str_eq(out, info_vms);
    free(out);
}

/* The native scenarios under the debugger, with their symbols. */
Test(defaults, repl_on_a_native_scenario)
{
    int status;
    char *out = th_sh("printf 'break main_loop\\nc\\ninfo vms\\n' | "
                      "$B/hvsim --repl --scenario native-rtos 2>&1 | grep -v '^\\[[a-z]*\\]'",
                      false, &status);
    cr_expect_str_eq(out, "Breakpoint 1: hpa 0x00020070 <main_loop>\n"
                          "Breakpoint 1 at hpa 0x00020070 <main_loop>.\n"
                          "[cpu0 K cycle 338 998] 0x00020070 <main_loop>:  pushf\n"
                          "No VMs: this machine runs without a hypervisor (a bare program or a "
                          "native scenario). Start a hypervisor scenario (hvsim --repl "
                          "--scenario default) for VMs.\n");
    free(out);
}

Test(defaults, headless_native_is_the_native_run)
{
    int s1, s2;
    char *plain = th_sh("$B/hvsim --scenario native-rtos", true, &s1);
    char *headless = th_sh("$B/hvsim --headless --scenario native-rtos", true, &s2);
    cr_expect_str_eq(headless, plain);
    cr_expect_eq(s1, 0);
    cr_expect_eq(s2, 0);
    cr_expect(strstr(plain, "[rtos] all jobs done") != NULL, "%s", plain);
    free(plain);
    free(headless);
}

Test(defaults, vs_native_on_a_native_scenario_is_refused)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario native-rtos --vs-native 2>&1 | head -1", false, &status);
    cr_expect_str_eq(out, "hvsim: --vs-native compares a hypervisor scenario with its VMs run "
                          "natively; native-rtos runs natively already\n");
    free(out);
}

/* The statistics of --stats are those the debugger shows after the same run. */
Test(defaults, native_stats_are_the_debuggers)
{
    int status;
    char *stats =
        th_sh("$B/hvsim --headless --scenario native-rtos --stats 2>&1 >/dev/null", false, &status);
    char *repl = th_sh("printf 'c\\ninfo stats\\n' | $B/hvsim --repl --scenario native-rtos "
                       "| sed -n '/^cpu0:/,$p' | grep -v '^events:'",
                       false, &status);
    cr_expect(strncmp(stats, "cpu0: instructions ", 19) == 0, "%s", stats);
    cr_expect_str_eq(stats, repl);
    free(stats);
    free(repl);
}

/* Sums the durations (in cycles) of the trace's spans named `name` in process pid; counts the
 * instants named `name`. */
static uint64_t span_cycles(json_t *events, const char *name, int pid, unsigned *instants)
{
    uint64_t sum = 0;
    size_t i;
    json_t *ev;
    *instants = 0;
    json_array_foreach(events, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "name")), name) != 0)
            continue;
        const char *ph = json_string_value(json_object_get(ev, "ph"));
        if (ph[0] == 'i')
            (*instants)++;
        else if (ph[0] == 'X' && json_integer_value(json_object_get(ev, "pid")) == pid)
            sum += (uint64_t)json_integer_value(
                json_object_get(json_object_get(ev, "args"), "cycles"));
    }
    return sum;
}

static json_t *process_names(json_t *events)
{
    json_t *names = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "name")), "process_name") == 0)
            json_array_append(names, json_object_get(json_object_get(ev, "args"), "name"));
    }
    return names;
}

/* A native trace: its spans cover every cycle of the run (guest user + guest kernel + idle =
 * the cycles --stats gives), its system-call instants are the traps --stats counts, and its
 * processes are laid out as under the hypervisor (tinyos is process 1, thread vcpu0). */
Test(defaults, native_trace_out)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && $B/hvsim --scenario native-tinyos --stats "
                      "--trace-out $d/n.json 2>&1 >/dev/null | "
                      "sed -n 's/^cpu0: .*cycles \\([0-9 ]*\\),.*/\\1/p; "
                      "s/^  trap system-call *//p' | tr -d ' ' && "
                      "cat $d/n.json && $B/hvsim --trace-out $d/v.json >/dev/null && "
                      "cat $d/v.json; rm -rf $d",
                      false, &status);
    cr_assert_eq(status, 0, "%s", out);
    unsigned long long cycles = 0, syscalls = 0;
    int used = 0;
    cr_assert_eq(sscanf(out, "%llu %llu %n", &cycles, &syscalls, &used), 2, "%s", out);
    json_error_t err;
    json_t *native = json_loadb(out + used, strlen(out + used), JSON_DISABLE_EOF_CHECK, &err);
    cr_assert_not_null(native, "%s", err.text);
    json_t *ev = json_object_get(native, "traceEvents");
    unsigned n_user, n_kernel, n_idle, n_sys;
    uint64_t user = span_cycles(ev, "guest user", 1, &n_user);
    uint64_t kernel = span_cycles(ev, "guest kernel", 1, &n_kernel);
    uint64_t idle = span_cycles(ev, "idle", 0, &n_idle);
    span_cycles(ev, "trap system-call", 1, &n_sys);
    cr_expect_eq(user + kernel + idle, cycles, "%llu + %llu + %llu != %llu",
                 (unsigned long long)user, (unsigned long long)kernel, (unsigned long long)idle,
                 cycles);
    cr_expect_gt(user, 0);
    cr_expect_gt(idle, 0);
    cr_expect_eq(n_sys, syscalls);
    json_t *names = process_names(ev);
    char *names_text = json_dumps(names, JSON_COMPACT);
    cr_expect_str_eq(names_text, "[\"host (pCPUs)\",\"tinyos\"]");
    free(names_text);
    /* The virtualized trace that follows names tinyos the same way, as process 1. */
    const char *second = strstr(out + used, "\n]}\n{");
    cr_assert_not_null(second);
    json_t *virt = json_loads(second + 4, 0, &err);
    cr_assert_not_null(virt, "%s", err.text);
    json_t *vnames = process_names(json_object_get(virt, "traceEvents"));
    cr_expect_str_eq(json_string_value(json_array_get(vnames, 1)), "tinyos");
    json_decref(names);
    json_decref(vnames);
    json_decref(native);
    json_decref(virt);
    free(out);
}

/* A scenario file with type = none runs its one VM natively, with the same options. */
Test(defaults, type_none_file_runs_natively)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && printf '[hypervisor]\\ntype = none\\n[vm hello]\\n"
                      "kernel = %s/examples/hello.s\\n' $PWD > $d/n.ini && "
                      "$B/hvsim --headless --scenario $d/n.ini --stats --trace-out $d/t.json "
                      "2>&1 && test -s $d/t.json; s=$?; rm -rf $d; exit $s",
                      false, &status);
    cr_expect(strncmp(out, "Hello, world!\ncpu0: instructions 90, ", 37) == 0, "%s", out);
    cr_expect_eq(status, 0);
    free(out);
}

/* Every line of a traced run is either a whole console line or a whole trace line. */
Test(defaults, trace_never_splits_a_console_line)
{
    th_expect_output("$B/hvsim --bare examples/traps.s --trace 2>&1 | grep -v '^cycle '",
                     "trap: system-call (cause 4), from user mode\n"
                     "trap: privileged-instruction (cause 1), from user mode\n"
                     "the kernel stops the program\n");
    /* stderr holds trace lines only */
    th_expect_output(
        "$B/hvsim --bare examples/traps.s --trace 2>&1 >/dev/null | grep -vc '^cycle '", "0\n");
}
