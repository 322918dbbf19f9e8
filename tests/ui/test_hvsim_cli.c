/*
 * test_hvsim_cli.c - the hvsim command as a student runs it: the examples with their exact
 * console output and exit status, --stats, --trace, the limits, bad input, --help, and the
 * `isa` report (whose table must match docs/isa.md).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static void expect_run(const char *cmd, const char *want_out, int want_status)
{
    int status;
    char *out = th_sh(cmd, false, &status);
    cr_expect_str_eq(out, want_out, "%s: output differs", cmd);
    cr_expect_eq(status, want_status, "%s: exit status %d, want %d", cmd, status, want_status);
    free(out);
}

Test(hvsim_cli, hello)
{
    expect_run("$B/hvsim --bare examples/hello.s", "Hello, world!\n", 0);
}

Test(hvsim_cli, traps)
{
    expect_run("$B/hvsim --bare examples/traps.s",
               "trap: system-call (cause 4), from user mode\n"
               "trap: privileged-instruction (cause 1), from user mode\n"
               "the kernel stops the program\n",
               0);
}

Test(hvsim_cli, timer)
{
    expect_run("$B/hvsim --bare examples/timer.s", "timer interrupts counted: 10\n", 0);
}

Test(hvsim_cli, popf)
{
    expect_run("$B/hvsim --bare examples/popf.s",
               "user: pushf gives FLAGS = 0x00000100 (MODE bits 13..12 = 0: user code can see it "
               "runs in U)\n"
               "user: popf with IE = 0 did not trap; FLAGS now = 0x00000100 (IE is still 1)\n"
               "kernel: timer interrupt taken in user mode: popf never disabled interrupts\n",
               0);
}

Test(hvsim_cli, exit_code_is_the_programs)
{
    int status;
    char *out = th_sh("f=$(mktemp --suffix=.s) && printf 'li r1, 42\\n out r1, [0xf0]\\n' > $f && "
                      "$B/hvsim --bare $f; s=$?; rm -f $f; exit $s",
                      false, &status);
    cr_expect_eq(status, 42);
    free(out);
}

/* The cycle count of hello.s follows from the cost tables: `la` is two instructions, each of
 * the 14 characters costs six (ldbu, cmpi, beq not taken, out + a device access, addi, b taken),
 * and the end is ldbu, cmpi, beq taken, out + a device access. */
Test(hvsim_cli, hello_cycles_follow_from_the_cost_tables)
{
    sim_costs_t c;
    sim_costs_default(&c);
    uint64_t dev = c.c[SIM_COST_device_access], taken = c.c[SIM_COST_branch_taken];
    uint64_t per_char = cpu_isa[CPU_OP_LDBU].cycles + cpu_isa[CPU_OP_CMPI].cycles +
                        cpu_isa[CPU_OP_BEQ].cycles + cpu_isa[CPU_OP_OUT].cycles + dev +
                        cpu_isa[CPU_OP_ADDI].cycles + cpu_isa[CPU_OP_B].cycles + taken;
    uint64_t la = cpu_isa[CPU_OP_LUI].cycles + cpu_isa[CPU_OP_ORI].cycles;
    uint64_t end = cpu_isa[CPU_OP_LDBU].cycles + cpu_isa[CPU_OP_CMPI].cycles +
                   cpu_isa[CPU_OP_BEQ].cycles + taken + cpu_isa[CPU_OP_OUT].cycles + dev;
    uint64_t want = la + 14 * per_char + end;
    char expect[256], cycles[32];
    sim_group_digits(want, cycles, sizeof cycles);
    snprintf(expect, sizeof expect,
             "cpu0: instructions %d, cycles %s, CPI %.2f\n  time: kernel %s\n", 2 + 14 * 6 + 4,
             cycles, (double)want / (2 + 14 * 6 + 4),
             cycles); /* it never leaves ring 0: every cycle is kernel time */
    expect_run("$B/hvsim --bare examples/hello.s --stats 2>&1 >/dev/null", expect, 0);
}

/* Scripts (../shared/peers/run among them) read --stats with a plain-digits pattern; with
 * HVSIM_DIGITS=plain every count of the same run prints ungrouped, and nothing else changes. */
Test(hvsim_cli, plain_digits_for_scripts)
{
    int status;
    char *grouped = th_sh("$B/hvsim --bare tests/data/figures/walk-loop.s --stats 2>&1 >/dev/null",
                          false, &status);
    cr_expect(strstr(grouped, "cpu0: instructions 67 307, cycles 286 317,") != NULL, "%s", grouped);
    char *plain = th_sh("HVSIM_DIGITS=plain $B/hvsim --bare tests/data/figures/walk-loop.s --stats "
                        "2>&1 >/dev/null",
                        false, &status);
    cr_expect(strstr(plain, "cpu0: instructions 67307, cycles 286317,") != NULL, "%s", plain);
    cr_expect(strstr(plain, "  tlb: 68822 hits, 6183 misses,") != NULL, "%s", plain);
    cr_expect(strstr(plain, "  page walks: 6183, 12366 references,") != NULL, "%s", plain);
    /* The same text once the groups' spaces are taken out of the grouped run's digits. */
    size_t o = 0;
    for (size_t i = 0; grouped[i]; i++)
        if (!(grouped[i] == ' ' && i > 0 && grouped[i - 1] >= '0' && grouped[i - 1] <= '9' &&
              grouped[i + 1] >= '0' && grouped[i + 1] <= '9'))
            grouped[o++] = grouped[i];
    grouped[o] = '\0';
    cr_expect_str_eq(plain, grouped);
    free(grouped);
    free(plain);
}

Test(hvsim_cli, stats_count_traps_and_interrupts)
{
    int status;
    char *out = th_sh("$B/hvsim --bare examples/traps.s --stats 2>&1 >/dev/null", false, &status);
    cr_expect(strstr(out, "  trap system-call              1\n") != NULL, "%s", out);
    cr_expect(strstr(out, "  trap privileged-instruction   1\n") != NULL, "%s", out);
    free(out);
    out = th_sh("$B/hvsim --bare examples/timer.s --stats 2>&1 >/dev/null", false, &status);
    cr_expect(strstr(out, "  interrupt 0 (timer)           10\n") != NULL, "%s", out);
    free(out);
}

Test(hvsim_cli, trace_prints_events_in_order)
{
    int status;
    char *out = th_sh("$B/hvsim --bare examples/traps.s --trace 2>&1 >/dev/null | grep -v ' io '",
                      false, &status);
    /* iret into U, the syscall, back to U, the privileged instruction */
    const char *want[] = {"cpu0  iret      from K to U at 0x", "cpu0  mode      K -> U",
                          "cpu0  trap      system-call in U at 0x", "cpu0  mode      U -> K",
                          "cpu0  iret      from K to U", "cpu0  mode      K -> U",
                          "cpu0  trap      privileged-instruction in U", "cpu0  mode      U -> K"};
    const char *p = out;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(p, want[i]);
        cr_expect_not_null(hit, "trace line %zu '%s' missing or out of order in:\n%s", i, want[i], out);
        if (hit)
            p = hit + 1;
    }
    free(out);
}

Test(hvsim_cli, max_cycles_is_reported)
{
    int status;
    char *out = th_sh("f=$(mktemp --suffix=.s) && printf 'spin: b spin\\n' > $f && "
                      "$B/hvsim --bare $f --max-cycles 5000; s=$?; rm -f $f; exit $s",
                      true, &status);
    cr_expect_eq(status, 124);
    cr_expect(strstr(out, "did not power off within 5 000 cycles") != NULL, "%s", out);
    free(out);
}

Test(hvsim_cli, idle_machine_is_reported)
{
    int status;
    char *out = th_sh("f=$(mktemp --suffix=.s) && printf 'halt\\n' > $f && "
                      "$B/hvsim --bare $f; s=$?; rm -f $f; exit $s",
                      true, &status);
    cr_expect_eq(status, 125);
    cr_expect(strstr(out, "nothing can wake it") != NULL, "%s", out);
    free(out);
}

Test(hvsim_cli, a_crashing_program_ends_with_a_message_not_a_crash)
{
    int status;
    /* a wild jump: illegal instructions trap to vector 0 forever */
    char *out = th_sh("f=$(mktemp --suffix=.s) && printf 'lui r1, 0x7fff\\n jr r1\\n' > $f && "
                      "$B/hvsim --bare $f --max-cycles 100000; s=$?; rm -f $f; exit $s",
                      true, &status);
    cr_expect_eq(status, 124);
    cr_expect(strstr(out, "last trap: bus-error at 0x7fff0000") != NULL ||
                  strstr(out, "last trap: illegal-instruction") != NULL,
              "%s", out);
    free(out);
}

Test(hvsim_cli, bad_input_files)
{
    int status;
    char *out = th_sh("$B/hvsim --bare /nonexistent/prog.bin", true, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, "/nonexistent/prog.bin: error: cannot read") != NULL, "%s", out);
    free(out);
    out = th_sh("f=$(mktemp --suffix=.s) && printf 'frob r1\\n' > $f && $B/hvsim --bare $f; "
                "s=$?; rm -f $f; exit $s",
                true, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, ":1:1: error:") != NULL, "%s", out);
    free(out);
    out = th_sh("$B/hvsim --bare examples/hello.s --input /nonexistent/in.txt", true, &status);
    cr_expect_eq(status, 1);
    cr_expect(strstr(out, "/nonexistent/in.txt: cannot read console input") != NULL, "%s", out);
    free(out);
}

Test(hvsim_cli, usage_errors_exit_2)
{
    static const char *cmds[] = {
        "$B/hvsim --frobnicate",
        "$B/hvsim --bare",
        "$B/hvsim --bare examples/hello.s --max-cycles lots",
        "$B/hvsim --bare examples/hello.s --ram 12",
        "$B/hvsim --bare examples/hello.s extra",
        "$B/hvsim isa --frob",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int status;
        char *out = th_sh(cmds[i], true, &status);
        cr_expect_eq(status, 2, "%s: status %d", cmds[i], status);
        cr_expect(strstr(out, "usage: hvsim") != NULL, "%s: no usage in:\n%s", cmds[i], out);
        free(out);
    }
}

Test(hvsim_cli, help)
{
    int status;
    char *out = th_sh("$B/hvsim --help", false, &status);
    cr_expect_eq(status, 0);
    cr_expect(strstr(out, "--bare PROG") && strstr(out, "--max-cycles N") && strstr(out, "--trace") &&
                  strstr(out, "Exit status") && strstr(out, "Examples"),
              "%s", out);
    free(out);
}

Test(hvsim_cli, isa_report_gives_the_popek_goldberg_verdict)
{
    int status;
    char *out = th_sh("$B/hvsim isa | grep '^verdict:'", false, &status);
    cr_expect_str_eq(out, "verdict: the ISA does NOT meet the Popek-Goldberg condition for "
                          "trap-and-emulate: 3 sensitive instructions are not privileged: pushf, "
                          "popf, rdmode (they run in U without trapping, so a deprivileged guest "
                          "kernel misbehaves silently; binary translation or hardware support is "
                          "needed).\n");
    free(out);
    out = th_sh("$B/hvsim isa | grep -c '^0x'", false, &status);
    cr_expect_eq(atoi(out), CPU_OP_COUNT, "one line per instruction");
    free(out);
}

Test(hvsim_cli, docs_isa_table_matches_the_isa_table)
{
    int status;
    char *out = th_sh("t=$(mktemp) && sed -n '/isa-table:begin/,/isa-table:end/p' docs/isa.md | "
                      "sed '1d;$d' > $t && $B/hvsim isa --markdown | diff $t - && echo same; rm -f $t",
                      true, &status);
    cr_expect_str_eq(out, "same\n", "docs/isa.md is out of date with CPU_ISA:\n%s", out);
    free(out);
}

/* --pcap FILE with the output piped into a reader that has gone (`| head`): SIGPIPE ends the
 * run, and neither FILE nor FILE.tmp is left behind, half-written. The shell's `:` exits at
 * once, so the first line the run prints raises SIGPIPE while the capture is being written. */
Test(hvsim_cli, pcap_piped_into_a_closed_reader_leaves_no_file)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && { $B/hvsim --scenario examples/vswitch.ini --trace "
                      "--pcap $d/x.pcap 2>/dev/null; echo $? > $d/status; } | : ; "
                      "cat $d/status; ls $d; rm -rf $d",
                      false, &status);
    cr_expect_str_eq(out, "141\nstatus\n",
                     "the run ends by SIGPIPE (128 + 13) and leaves no "
                     "capture: %s",
                     out);
    free(out);
}

/* The summary names the devices the port I/O exits reached, from what was counted, most exits
 * first: the VMs of vswitch.ini drive their consoles and network cards, the default's its
 * consoles and disks; the first are never told "the disk", which they do not use. */
Test(hvsim_cli, summary_names_the_devices_port_io_reached)
{
    expect_run("$B/hvsim --scenario examples/vswitch.ini | grep -o 'was port I/O ([^)]*)'",
               "was port I/O (the console, the network card, the power-off port)\n"
               "was port I/O (the console, the network card, the power-off port)\n",
               0);
    expect_run("$B/hvsim | grep -o 'was port I/O ([^)]*)'",
               "was port I/O (the console, the disk, the power-off port)\n"
               "was port I/O (the console, the disk, the power-off port)\n",
               0);
}

/* A per-VM network bandwidth limit, measured: the scenario vswitch with net_bw = 20 on a. Its
 * bulk transfer, 69 bytes per 1 000 cycles unlimited, is held to 19 (its 1 514-byte frames are
 * counted whole, bulk counts their 1 500 bytes of payload), and `info nic` says how many frames
 * the limit held back and for how long. A limit of 0 is refused at its line. */
Test(hvsim_cli, net_bw_limits_a_vms_bulk_transfer, .timeout = 240)
{
    expect_run(
        "d=$(mktemp -d) && $B/hvsim scenario show vswitch | sed '/^\\[vm a\\]/a net_bw = 20' "
        "> $d/lim.ini && printf 'continue\\ninfo nic\\n' > $d/x.cmd && "
        "$B/hvsim -x $d/x.cmd --scenario $d/lim.ini | grep 'bulk:\\|limit:'; rm -rf $d",
        "[a] bulk: 66000 bytes to 02:00:00:01:00:02 in 3352362 cycles: 19 bytes per 1000 "
        "cycles\n"
        "  limit: 20 bytes per 1 000 cycles (net_bw); 45 frames held back, 3 123 207 cycles "
        "in all\n",
        0);
    expect_run("d=$(mktemp -d) && printf '[vm x]\\nkernel = examples/hello.s\\nnet_bw = 0\\n' > "
               "$d/z.ini && $B/hvsim --scenario $d/z.ini 2>&1 | sed \"s|$d/||\"; rm -rf $d",
               "z.ini:3: error: net_bw = '0': it must be a whole number from 1 to 1000000\n", 0);
}

/* A per-VM disk bandwidth limit, measured: the default scenario with disk_bw = 100 on tinyos.
 * Its boot loader's one large read (the kernel) is held back until its share of time has
 * passed, so tinyos ends 359 817 cycles later than its 70 755 391 unlimited; the summary's
 * limits line says what the limit held back. */
Test(hvsim_cli, disk_bw_limits_a_vms_disk, .timeout = 240)
{
    expect_run("d=$(mktemp -d) && $B/hvsim scenario show default | "
               "sed '/^\\[vm tinyos\\]/a disk_bw = 100' > $d/dl.ini && "
               "$B/hvsim --scenario $d/dl.ini | grep 'limits: .*disk_bw [0-9]\\|stats\\] tinyos'; "
               "rm -rf $d",
               "[stats] tinyos (hw + nested, 1 vcpu, 8 192 KiB): off, ran 71 128 134 cycles from "
               "start to end\n"
               "    limits: share 256; cap none; resident_max none; disk_bw 100 bytes per 1 000 "
               "cycles, held 1 command back for 356 400 cycles; net_bw none\n",
               0);
}
