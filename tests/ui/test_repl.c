/*
 * test_repl.c - the REPL as a student uses it: scripted sessions (hvsim -x and --repl with a
 * pipe) compared with golden transcripts in tests/data/repl/, completion called directly,
 * commands run in-process, and one interactive run under tmux (prompt, stepi, Ctrl-C).
 *
 * To regenerate the transcripts after an intended change of wording, run the tests with
 * HVSIM_UPDATE_GOLDEN=1 and review the diff.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../ui/repl/ui_repl.h"
#include "../support/harness.h"

#define DATA "tests/data/repl/"

/* Runs a session and compares its transcript (stdout and stderr) with DATA/golden. */
static void golden(const char *cmdline, const char *golden_name, int want_status)
{
    int status;
    char *out = th_sh(cmdline, true, &status);
    char path[256];
    snprintf(path, sizeof path, DATA "%s", golden_name);
    th_expect_golden(path, out, cmdline);
    cr_expect_eq(status, want_status, "%s: exit status %d, want %d", cmdline, status, want_status);
    free(out);
}

Test(repl_session, basics_through_a_trap)
{
    golden("$B/hvsim -x " DATA "basics.cmd --bare " DATA "demo.s", "basics.out", 5);
}

/* Stepping backwards and forward again (debug_reverse.c), and its errors. */
Test(repl_session, reverse_stepi)
{
    golden("$B/hvsim -x " DATA "reverse.cmd --bare " DATA "demo.s", "reverse.out", 5);
}

/* Each error names the script's file and line; a script with a failed command exits 1. */
Test(repl_session, every_error_prints_usage_and_goes_on)
{
    golden("$B/hvsim -x " DATA "errors.cmd --bare " DATA "demo.s", "errors.out", 1);
}

Test(repl_session, completion)
{
    golden("$B/hvsim -x " DATA "complete.cmd --bare " DATA "demo.s", "complete.out", 0);
}

/* The network card in loopback: info nic before and after a frame went round, its events. */
Test(repl_session, nic_in_loopback)
{
    golden("$B/hvsim -x " DATA "nic.cmd --bare examples/nic.s", "nic.out", 0);
}

/* A driver gives the card a buffer outside memory: the fault log in info iommu names the device,
 * the address and why; the descriptor is marked dma-blocked (status 0x503). */
Test(repl_session, nic_dma_outside_memory_is_logged)
{
    golden("$B/hvsim -x " DATA "nic-rogue.cmd --bare " DATA "nic-rogue.s", "nic-rogue.out", 0);
}

/* A passthrough card's blocked DMAs: the hypervisor's dma-fault action stops the run with a
 * sentence naming the device, its VM, the IOVA and why; `info iommu` lists all three. */
Test(repl_session, rogue_dma_blocked)
{
    golden("$B/hvsim -x " DATA "rogue-dma.cmd --scenario rogue-dma", "rogue-dma.out", 0);
}

/* The host's one disk: three VMs' first commands queue at it (the second and third stops say
 * behind how many), `info disk` shows the queue and each VM's region, then what all waited. */
Test(repl_session, shared_disk_queue)
{
    golden("$B/hvsim -x " DATA "shared-disk.cmd --scenario shared-disk", "shared-disk.out", 0);
}

/* The rtos's telemetry: its 25 frames flooded by the switch to the uplink and the peer host, and
 * to the plain rtos's card, which drops them; the switch's table fits the VM's long name. */
Test(repl_session, telemetry_after_the_run)
{
    golden("$B/hvsim -x " DATA "telemetry.cmd --scenario telemetry", "telemetry.out", 0);
}

/* Two VMs on the virtual switch: each VM's card and the switch's table after the exchange. */
Test(repl_session, vswitch_after_a_ping)
{
    golden("$B/hvsim -x " DATA "vswitch.cmd --scenario examples/vswitch.ini", "vswitch.out", 0);
}

/* The entropy source, a device only the hypervisor has: `info entropy` before the VMs boot (no
 * word given) and at the end (each VM's two dice rolls took 16 words; the VM without it none). */
Test(repl_session, entropy_sources)
{
    golden("$B/hvsim -x " DATA "entropy.cmd --scenario entropy", "entropy.out", 0);
}

Test(repl_session, piped_repl_repeats_step_commands_on_empty_lines)
{
    golden("$B/hvsim --repl --bare " DATA "demo.s < " DATA "repeat.cmd", "repeat.out", 0);
}

Test(repl_session, scripts_do_not_repeat_on_empty_lines)
{
    golden("$B/hvsim -x " DATA "repeat.cmd --bare " DATA "demo.s", "repeat-x.out", 0);
}

/* The default scenario backed lazily (lazy) under the hypervisor: VMs, a VM-exit breakpoint, the
 * VMCB, a 2-D walk, gpa memory, the focus, step exit, pause and the scheduling policy. */
Test(repl_session, hypervisor_scenario_through_a_vm_exit, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "vmexit.cmd --scenario lazy", "vmexit.out", 1);
}

/* Symbols in a scenario without focus: qualified (tinyos:timer_tick), ambiguous (an error
 * listing the choices), `info symbol`, focus and symbol completion, hpa not labelled with a
 * guest's symbols, a watchpoint on a VM's qualified symbol. */
Test(repl_session, symbols_of_every_vm, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "symbols.cmd --scenario lazy", "symbols.out", 1);
}

/* gdb's vocabulary (next, finish, until, advance, tbreak, condition, ignore, commands, display,
 * set, bt, list, run, restart and the old spellings) on a bare program with calls. */
Test(repl_session, gdb_vocabulary_on_a_bare_program)
{
    golden("$B/hvsim -x " DATA "gdb-bare.cmd --bare " DATA "calls.s", "gdb-bare.out", 3);
}

/* A native scenario: the kernel's line tables, bt, and a restart that stops at the same cycle. */
Test(repl_session, gdb_vocabulary_on_a_native_scenario)
{
    golden("$B/hvsim -x " DATA "gdb-native.cmd --scenario native-tinyos", "gdb-native.out", 0);
}

/* The same on the default scenario: tinyos's kernel under the hypervisor, a finish from a VM
 * exit to its entry, and a restart of the whole scenario. */
Test(repl_session, gdb_vocabulary_on_a_scenario)
{
    golden("$B/hvsim -x " DATA "gdb-vm.cmd --scenario lazy", "gdb-vm.out", 0);
}
/* info registers NAME...: the registers named, a bad name an error (status 1). */
Test(repl_session, info_registers_by_name)
{
    golden("$B/hvsim -x " DATA "registers.cmd --bare " DATA "demo.s", "registers.out", 1);
}

/* The VM exit, step by step (issue 13): each session stops at an exit (or a hypervisor
 * action), shows the exiting VCPU, `info exit`, and steps through the hypervisor's actions,
 * each with its cycles and cost-table entries, to the VM entry. */
#define EXIT_SESSION(name, scenario, status)                                                       \
    Test(repl_exit, name, .timeout = 120)                                                          \
    {                                                                                              \
        golden("$B/hvsim -x " DATA "exit-" #name ".cmd --scenario " scenario,                      \
               "exit-" #name ".out", status);                                                      \
    }
/* io begins with what has no answer before the first exit (a failed command: status 1). */
EXIT_SESSION(io, "lazy", 1)
EXIT_SESSION(nested, "lazy", 0)
EXIT_SESSION(trap, "trap", 0)
EXIT_SESSION(bt, "bt", 0)
EXIT_SESSION(shadow, "shadow", 0)
EXIT_SESSION(type2, "type2", 0)
EXIT_SESSION(cpuid, "default", 0)
EXIT_SESSION(extint, "trap", 0)
EXIT_SESSION(failed, "default", 0)
EXIT_SESSION(hypercall, "default", 0)
EXIT_SESSION(emu, "emu", 0)

/* Memory overcommit and page sharing (issue 19): break hv swap-out|swap-in|share|cow, step
 * event, info memory (a VM that is not there: status 1). */
Test(repl_session, memory_overcommit, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "memory.cmd --scenario mem-overcommit", "memory.out", 1);
}

/* Resource limits (issue 21): info limits before and after the limits scenario's run, one VM
 * by name, a VM that is not there (status 1). */
Test(repl_session, limits, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "limits.cmd --scenario limits", "limits.out", 1);
}

/* Reservations (issue 19): info memory and info limits show a VM's floor and how often reclaim
 * stopped at it, before the run and at its end (examples/reserve.ini). */
Test(repl_session, reservation_shown, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "reserve.cmd --scenario examples/reserve.ini", "reserve.out", 0);
}

/* Two hosts (docs/migration.md): info memory says each host's RAM, before and after tinyos
 * moves to host1. */
Test(repl_session, each_host_s_ram, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "hosts.cmd --scenario migrate", "hosts.out", 0);
}

Test(repl_session, page_sharing, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "sharing.cmd --scenario sharing", "sharing.out", 0);
}

/* Ballooning with a moving target (issue 19): balloon VM SIZE, break hv balloon, step event,
 * info memory; a size too large, not a size, a VM that is not there (status 1). */
Test(repl_session, balloon_target_moves, .timeout = 120)
{
    golden("$B/hvsim -x " DATA "balloon.cmd --scenario balloon", "balloon.out", 1);
}

Test(repl_session, scenario_that_is_not_there_is_a_usage_error)
{
    int status;
    char *out = th_sh("$B/hvsim -x /dev/null --scenario nosuch", true, &status);
    cr_expect(strstr(out, "hvsim: --repl and -x debug a scenario (hvsim --list-scenarios) or a "
                          "program (--bare); 'nosuch' is neither\n") == out,
              "%s", out);
    cr_expect_eq(status, 2);
    free(out);
}

Test(repl_session, help)
{
    golden("printf 'help\\nhelp break\\nhelp info\\n' | $B/hvsim --repl --bare " DATA "demo.s",
           "help.out", 0);
}

Test(repl_session, source_and_trace)
{
    golden("printf 'trace on\\nsource " DATA "trace.cmd\\ntrace off\\nc\\n' | "
           "$B/hvsim --repl --bare " DATA "demo.s",
           "trace.out", 5);
}

Test(repl_session, a_bin_with_its_symbol_file)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && $B/hvasm -o $d/demo.bin " DATA "demo.s && "
                      "printf 'break puts\\nc\\n' | $B/hvsim --repl --bare $d/demo.bin; "
                      "s=$?; rm -rf $d; exit $s",
                      true, &status);
    cr_expect(strstr(out, "Breakpoint 1 at hpa 0x00001050 <puts>."), "%s", out);
    cr_expect_eq(status, 0);
    free(out);
}

Test(repl_session, a_missing_script_or_program_is_an_error)
{
    int status;
    char *out = th_sh("$B/hvsim -x /nonexistent.cmd --bare " DATA "demo.s", true, &status);
    cr_expect_str_eq(out, "hvsim: /nonexistent.cmd: cannot read the script: No such file or "
                          "directory\n");
    cr_expect_eq(status, 1);
    free(out);
    out = th_sh("echo c | $B/hvsim --repl --bare /nonexistent.s", true, &status);
    cr_expect_eq(status, 1);
    free(out);
}

/* ------------------------------------------------------------------------------------------
 * In-process: the completer and the command runner, without readline
 * ------------------------------------------------------------------------------------------ */
static sim_machine_t m;
static ui_dbg_t *dbg;
static ui_repl_t repl;
static char *out_text, *err_text;
static size_t out_len, err_len;

static void setup(void)
{
    cr_assert_eq(sim_machine_init(&m, 1u << 20, 1), 0);
    sim_console_set_output(&m, NULL);
    cpu_asm_result_t res;
    cr_assert_eq(cpu_asm_file(DATA "demo.s", stderr, &res), 0);
    cr_assert_eq(sim_load(&m, res.base, res.bytes, res.size), 0);
    dbg = ui_dbg_new(&m);
    cr_assert_eq(ui_dbg_set_symbols(dbg, res.syms, res.nsyms), 0);
    cpu_asm_free(&res);
    FILE *o = open_memstream(&out_text, &out_len), *e = open_memstream(&err_text, &err_len);
    ui_repl_init(&repl, &m, dbg, o, e);
}

static void teardown(void)
{
    fclose(repl.out);
    fclose(repl.err);
    free(out_text);
    free(err_text);
    ui_dbg_free(dbg);
    sim_machine_free(&m);
}

/* The completions of the last word of `line`, joined by spaces. */
static const char *completions(const char *line)
{
    static char buf[1024];
    size_t end = strlen(line), start = end;
    while (start > 0 && line[start - 1] != ' ')
        start--;
    ui_repl_matches_t mt = {0};
    ui_repl_complete(&repl, line, start, end, &mt);
    buf[0] = '\0';
    for (size_t i = 0; i < mt.n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", mt.v[i]);
    ui_repl_matches_free(&mt);
    return buf;
}

Test(repl_complete, commands_subcommands_and_arguments, .init = setup, .fini = teardown)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"inf", "info"},
        {"info re", "registers"},
        {"i b", "breakpoints"},
        {"break trap sys", "system-call"},
        {"break trap priv", "privileged-instruction"},
        {"break mode ", "H K U"},
        {"set cost tr", "trap_entry"},
        {"b cou", "count counter"},
        {"break hpa:me", "hpa:message"},
        {"x/4x hand", "handler"},
        {"help unt", "until"},
        {"step e", "event exit"},
        {"trace ", "off on save"},
        {"vm ", "pause restore resume save"},
        {"sched o", "overcommit"},
        {"frobnicate ", ""},
        {"stepi 1", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(completions(cases[i].line), cases[i].want, "completing \"%s\"",
                         cases[i].line);
}

Test(repl_run, commands_in_process, .init = setup, .fini = teardown)
{
    cr_expect_eq(ui_repl_execute(&repl, "break done"), 0);
    cr_expect_eq(ui_repl_execute(&repl, "continue"), 0);
    cr_expect_eq(ui_repl_execute(&repl, "  # a comment"), 0);
    cr_expect_eq(ui_repl_execute(&repl, "frobnicate"), -1);
    cr_expect_eq(ui_repl_execute(&repl, "x/s"), -1);
    cr_expect_eq(ui_repl_execute(&repl, "quit"), 0);
    cr_expect(repl.quit);
    fflush(repl.out);
    fflush(repl.err);
    cr_expect(strstr(out_text, "Breakpoint 1 at hpa 0x00001068 <done>."), "%s", out_text);
    cr_expect_str_eq(err_text, "Unknown command \"frobnicate\". Try \"help\".\n"
                               "Give an address, e.g. \"x/4x hpa:0x2000\" or \"x/s msg\".\n"
                               "Usage: x/NFU ADDR\n");
    cr_expect_str_eq(sim_console_captured(&m), "hi\n");
}

Test(repl_run, every_command_has_help_and_usage)
{
    for (const ui_repl_cmd_t *c = ui_repl_commands; c->name; c++) {
        cr_expect(c->usage && c->help && c->long_help && c->handler, "%s", c->name);
        cr_expect_eq(ui_repl_find(c->name), c);
        for (const ui_repl_sub_t *s = c->subs; s && s->name; s++)
            cr_expect(s->usage && s->help && s->handler, "%s %s", c->name, s->name);
    }
    cr_expect_eq(ui_repl_find("si"), ui_repl_find("stepi"));
    cr_expect_eq(ui_repl_find("c"), ui_repl_find("continue"));
    cr_expect_null(ui_repl_find("frobnicate"));
}

/* ------------------------------------------------------------------------------------------
 * The terminal, under tmux
 * ------------------------------------------------------------------------------------------ */
static char sock[64];

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char pane[8192]; /* what the pane showed last */

/* Waits until the pane shows `want` (at least `times` times); false after 10 s. */
static bool pane_shows(const char *want, int times)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t hv", sock);
    for (int tries = 0; tries < 200; tries++) {
        int status, n = 0;
        char *text = th_sh(cmd, true, &status);
        snprintf(pane, sizeof pane, "%s", text);
        free(text);
        for (const char *p = pane; (p = strstr(p, want)) != NULL; p += strlen(want))
            n++;
        if (n >= times)
            return true;
        nap_ms(50);
    }
    return false;
}

static void tmux(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tmux -L %s %s", sock, args);
    int status;
    free(th_sh(cmd, true, &status));
    cr_assert_eq(status, 0, "%s failed", cmd);
}

static void kill_tmux(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "tmux -L %s kill-server 2>/dev/null", sock);
    int status;
    free(th_sh(cmd, true, &status));
}

/* Starts `hvsim --repl --bare PROG` in a tmux pane with its history in hist (a new temporary
 * file); skips the test when there is no tmux. */
static void open_pane(const char *prog, char *hist)
{
    int status;
    free(th_sh("command -v tmux", true, &status));
    if (status != 0)
        cr_skip_test("tmux is not installed (make test installs it)");
    snprintf(sock, sizeof sock, "hvsim-test-%d", (int)getpid());
    int fd = mkstemp(hist);
    cr_assert_geq(fd, 0);
    close(fd);
    char cwd[512], cmd[1400];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    const char *b = th_build_dir();
    snprintf(cmd, sizeof cmd,
             "new-session -d -s hv -x 110 -y 30 -c '%s' \"HVSIM_HISTORY=%s %s%s/hvsim --repl "
             "--max-cycles 100G --bare " DATA "%s\"",
             cwd, hist, b[0] == '/' ? "" : "./", b, prog);
    tmux(cmd);
    cr_assert(pane_shows("(hvsim)", 1), "no prompt; the pane shows:\n%s", pane);
}

/* `commands` at the prompt: gdb's ">" prompt until `end`, then the commands at each stop. */
Test(repl_tmux, commands_at_the_prompt, .fini = kill_tmux, .timeout = 60)
{
    char hist[] = "/tmp/hvsim-history-XXXXXX";
    open_pane("calls.s", hist);
    tmux("send-keys -t hv 'break putc' Enter");
    tmux("send-keys -t hv commands Enter");
    cr_assert(pane_shows("\"end\" ends them.\n>", 1), "no > prompt:\n%s", pane);
    tmux("send-keys -t hv 'print r1 + 1' Enter");
    tmux("send-keys -t hv -l end");
    tmux("send-keys -t hv Enter");
    cr_assert(pane_shows("(hvsim)", 3), "no prompt after end:\n%s", pane);
    tmux("send-keys -t hv c Enter");
    cr_assert(pane_shows("0x0000002f = 47", 1), "the commands did not run:\n%s", pane);
    tmux("send-keys -t hv quit Enter");
    unlink(hist);
}

Test(repl_tmux, prompt_stepi_ctrl_c_and_history, .fini = kill_tmux, .timeout = 60)
{
    int status;
    char hist[] = "/tmp/hvsim-history-XXXXXX", cmd[200];
    open_pane("loop.s", hist);
    tmux("send-keys -t hv si Enter");
    cr_assert(pane_shows("Stepped 1 instruction on cpu0.", 1), "stepi did not step");
    cr_assert(pane_shows("(hvsim)", 2));
    tmux("send-keys -t hv c Enter");
    nap_ms(300);
    tmux("send-keys -t hv C-c");
    cr_assert(pane_shows("Interrupted (Ctrl-C) on cpu0, after ", 1), "Ctrl-C did not stop it");
    cr_assert(pane_shows("(hvsim)", 3), "no prompt after Ctrl-C");
    tmux("send-keys -t hv 'info reg' Tab Enter");
    cr_assert(pane_shows("flags 0x", 1), "Tab did not complete \"info reg\"");
    tmux("send-keys -t hv quit Enter");
    for (int tries = 0; tries < 100; tries++) { /* the session ends with hvsim */
        snprintf(cmd, sizeof cmd, "tmux -L %s has-session -t hv 2>/dev/null", sock);
        free(th_sh(cmd, true, &status));
        if (status != 0)
            break;
        nap_ms(50);
    }
    size_t len;
    char *h = sim_read_file(hist, &len);
    cr_assert_not_null(h);
    cr_expect_str_eq(h, "si\nc\ninfo registers\nquit\n", "the history file is:\n%s", h);
    free(h);
    unlink(hist);
}

Test(repl_run, docs_list_every_command_and_sub_command)
{
    size_t len;
    char *doc = sim_read_file("docs/debugger.md", &len);
    cr_assert_not_null(doc);
    char want[256];
    for (const ui_repl_cmd_t *c = ui_repl_commands; c->name; c++) {
        snprintf(want, sizeof want, "### `%s`", c->usage);
        cr_expect(strstr(doc, want), "docs/debugger.md lacks %s", want);
        cr_expect(strstr(doc, c->long_help), "docs/debugger.md lacks the help of %s", c->name);
        for (const ui_repl_sub_t *s = c->subs; s && s->name; s++) {
            snprintf(want, sizeof want, "| `%s` | %s |", s->usage, s->help);
            cr_expect(strstr(doc, want), "docs/debugger.md lacks %s", want);
        }
    }
    free(doc);
}
