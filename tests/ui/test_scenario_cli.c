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
    cr_expect(strstr(out, "hvsim: the program did not power off within 200000 cycles") != NULL,
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
