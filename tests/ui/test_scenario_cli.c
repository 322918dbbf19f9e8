/*
 * test_scenario_cli.c - hvsim --scenario and --list-scenarios as a student runs them: the
 * list, an unknown name, missing images ("run make first"), bad combinations, the cycle
 * limit and --stats.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

Test(scenario_cli, list)
{
    int status;
    char *out = th_sh("$B/hvsim --list-scenarios", false, &status);
    cr_expect(strstr(out, "native-tinyos  tinyos (paged, preemptive, multi-process) boots on "
                          "bare hardware") == out, "%s", out);
    cr_expect(strstr(out, "\nnative-rtos    rtos (soft real-time, EDF) boots on bare hardware") !=
              NULL, "%s", out);
    cr_expect_eq(status, 0);
    free(out);
}

Test(scenario_cli, unknown_name_lists_the_scenarios)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario nope", true, &status);
    cr_expect(strstr(out, "hvsim: no scenario 'nope'; the built-in scenarios are:\n"
                          "native-tinyos ") == out, "%s", out);
    cr_expect_eq(status, 2);
    free(out);
}

Test(scenario_cli, missing_images_say_run_make)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && cp $B/hvsim $d/ && $d/hvsim --scenario native-rtos; "
                      "s=$?; rm -rf $d; exit $s",
                      true, &status);
    cr_expect(strstr(out, "/guestos/rtos.img: No such file or directory\n"
                          "hvsim: the guests' disk images are built by make: run make first\n") !=
              NULL, "%s", out);
    cr_expect_eq(status, 1);
    free(out);
}

Test(scenario_cli, not_with_bare)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario native-rtos --bare examples/hello.s", true, &status);
    cr_expect(strstr(out, "hvsim: --scenario runs on its own: not with --bare, --repl or -x\n") ==
              out, "%s", out);
    cr_expect_eq(status, 2);
    free(out);
}

Test(scenario_cli, cycle_limit_and_stats)
{
    int status;
    char *out = th_sh("$B/hvsim --scenario native-rtos --max-cycles 200000 --stats", true,
                      &status);
    cr_expect(strstr(out, "hvsim: the program did not power off within 200 000 cycles") != NULL,
              "%s", out);
    cr_expect(strstr(out, "disk: 6 reads (") != NULL, "%s", out);
    cr_expect_eq(status, 124);
    free(out);
}

Test(scenario_cli, input_replaces_the_script)
{
    int status;
    char *out = th_sh("f=$(mktemp) && printf 'hello\\npoweroff\\n' > $f && "
                      "$B/hvsim --scenario native-tinyos --input $f; s=$?; rm -f $f; exit $s",
                      false, &status);
    cr_expect(strstr(out, "$ hello\nHello from a tinyos process!\n$ poweroff\n[tinyos] the shell "
                          "exited with status 0: powering off\n") != NULL, "%s", out);
    cr_expect_eq(status, 0);
    free(out);
}

/* A scenario file's errors come in line order (those found only once the whole file is read,
 * like a VM with nothing to run, at their line too), each with what is allowed; every line
 * that is not INI is named, not only the first. */
Test(scenario_cli, errors_in_line_order_with_what_is_allowed)
{
    int status;
    char *out = th_sh("d=$(mktemp -d) && printf '[machine]\\npcpus = 9\\nram = 3M5\\nlevels = 9\\n"
                      "this is junk\\n[hypervisor]\\nscheduler = fastest\\nslice = 5K\\n[vm a]\\n"
                      "memory = 8Q\\ncolour = blue\\npin = 0, 12\\nbacking = huge\\n[vm b]\\nimage "
                      "= nothing.img\\n"
                      "[weird\\nmore junk\\n[machine]\\ntlb_ways = 3\\n' > $d/bad.ini && "
                      "$B/hvsim --scenario $d/bad.ini > $d/out 2>&1; s=$?; "
                      "sed \"s|$d/||\" $d/out; rm -rf $d; exit $s",
                      true, &status);
    cr_expect_str_eq(
        out,
        "bad.ini:2: error: pcpus = '9': it must be a whole number from 1 to 8\n"
        "bad.ini:3: error: ram = '3M5': it must be a size in bytes from 1M to 3840M, a multiple "
        "of 4K (K, M, G allowed: 64K, 8M)\n"
        "bad.ini:4: error: levels = '9': it must be a whole number from 2 to 4\n"
        "bad.ini:5: error: 'this is junk' is not [SECTION], KEY = VALUE, a comment or nothing\n"
        "bad.ini:7: error: scheduler = 'fastest': it must be pin or overcommit\n"
        "bad.ini:8: error: slice = '5K': it must be a whole number from 1000 to 1000000000\n"
        "bad.ini:9: error: [vm a] has neither image (a disk image) nor kernel (a program)\n"
        "bad.ini:10: error: memory = '8Q': it must be a size in bytes from 64K to 3840M, a "
        "multiple of 64K (K, M, G allowed: 64K, 8M)\n"
        "bad.ini:11: error: unknown key 'colour' in [vm a] (known: image, kernel, base, rom, "
        "vcpus, memory, cpu, mem, pin, share, cap, input, input_file, transcript, "
        "shadow_budget, marks, backing, resident_max, reservation, net_bw, disk_bw, host, "
        "migrate_at, migrate_to, assign, nic, balloon, balloon_at, guest_swap, compare)\n"
        "bad.ini:12: error: pin = '12': it must be a whole number from 0 to 7\n"
        "bad.ini:13: error: backing = 'huge': it must be lazy, eager or large\n"
        "bad.ini:16: error: [weird: a section header ends with ']'\n"
        "bad.ini:16: error: unknown section [weird] (known: [machine], [costs], [hypervisor], "
        "[vm NAME], [host.0], [host.1], [link])\n"
        "bad.ini:17: error: 'more junk' is not [SECTION], KEY = VALUE, a comment or nothing\n"
        "bad.ini:18: error: [machine]: TLB ways must be a power of two no larger than the "
        "number of entries\n");
    cr_expect_eq(status, 1);
    free(out);
}

/* A VM whose shell waits for console input that never comes: the end says so, with the prompt
 * the console shows, under the hypervisor, natively and in the debugger. */
Test(scenario_cli, a_guest_waiting_for_input_says_so)
{
    int status;
    char *out =
        th_sh("d=$(mktemp -d) && printf '[vm tinyos]\\nimage = tinyos.img\\n' > $d/s.ini && "
              "$B/hvsim --scenario $d/s.ini 2>&1 >/dev/null; s=$?; rm -rf $d; exit $s",
              false, &status);
    cr_expect_str_eq(out, "hvsim: every VCPU waits and nothing can wake it\n"
                          "hvsim: tinyos waits for console input, and its input is used up (the "
                          "console shows \"$ \"); a VM's console input is input = or input_file = "
                          "in its [vm] section\n");
    cr_expect_eq(status, 125);
    free(out);
    /* An empty file: no console input at all (a device such as /dev/null is refused). */
    out = th_sh("d=$(mktemp -d) && : > $d/empty && $B/hvsim --scenario native-tinyos --input "
                "$d/empty 2>&1 | tail -5 | head -3; rm -rf $d",
                false, &status);
    cr_expect_str_eq(out, "$ \n"
                          "hvsim: every CPU is halted and nothing can wake it (no timer armed, no "
                          "interrupt pending)\n"
                          "hvsim: the program waits for console input, and its input is used up "
                          "(the console shows \"$ \"); give it console input with --input FILE\n");
    free(out);
    out = th_sh("d=$(mktemp -d) && : > $d/empty && printf 'c\\n' | $B/hvsim --repl --scenario "
                "native-tinyos --input $d/empty | grep -o 'Every CPU.*'; rm -rf $d",
                false, &status);
    cr_expect_str_eq(out, "Every CPU is halted and nothing can wake it (no timer armed, no "
                          "interrupt pending): the program waits for console input, and its input "
                          "is used up (the console shows \"$ \").\n");
    free(out);
}

/* A program that halts without asking for console input is not said to wait for it. */
Test(scenario_cli, a_halt_without_input_is_not_input)
{
    int status;
    char *out = th_sh("f=$(mktemp --suffix=.s) && printf 'halt\\n' > $f && $B/hvsim --bare $f "
                      "2>&1 | grep -c 'console input'; rm -f $f",
                      false, &status);
    cr_expect_str_eq(out, "0\n");
    free(out);
}
