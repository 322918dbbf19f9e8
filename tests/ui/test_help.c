/*
 * test_help.c - what --help promises holds: every example that hvsim --help, hvasm --help and
 * hvimg --help give runs and succeeds (in a temporary directory, with the tree's files where
 * the examples look for them); options that a kind of run cannot use are refused, not ignored.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

/* Each tool's examples: the lines of its --help from "xamples:" on that start with its name,
 * the command being what comes before two spaces (a description may follow). Each runs in a
 * fresh directory holding links to build/, examples/ and tests/, with the tool on PATH, and
 * must exit 0 (output aside); a line "FAIL: ..." names one that did not. */
static const char *const tools[] = {"hvsim", "hvasm", "hvimg"};

ParameterizedTestParameters(help, every_example_runs)
{
    TH_ROW_INDICES(sizeof tools / sizeof tools[0]);
}

ParameterizedTest(size_t *row, help, every_example_runs)
{
    char cmd[2048];
    const char *t = tools[*row];
    snprintf(cmd, sizeof cmd,
             "b=$(cd $B && pwd); top=$(pwd); d=$(mktemp -d); n=0; "
             "$B/%s --help | sed -n '/xamples:/,$p' | grep '^  %s ' | sed 's/^  //; s/  .*//' "
             "> $d/examples; "
             "cd $d && ln -s $b build && ln -s $top/examples examples && ln -s $top/tests tests "
             "&& "
             "while read -r c; do n=$((n+1)); PATH=$b:$PATH sh -c \"$c\" >/dev/null 2>&1 "
             "</dev/null || echo \"FAIL: $c\"; done < $d/examples; echo \"$n examples\"; "
             "cd /; rm -rf $d",
             t, t);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect(strstr(out, "FAIL") == NULL, "%s --help: examples that fail:\n%s", t, out);
    cr_expect(strncmp(out, "0 examples", 10) != 0, "%s --help has no examples", t);
    free(out);
}

/* A hypervisor scenario's VMs take their input and memory from the scenario: the options of the
 * bare machine are refused, not silently dropped. */
Test(help, bare_machine_options_on_a_hypervisor_scenario_are_refused)
{
    th_expect_output("$B/hvsim --scenario default --input /dev/null 2>&1 | head -1",
                     "hvsim: --input, --ram and --base go with --bare or a native scenario; a "
                     "hypervisor scenario gives each VM its input = and memory = in its [vm] "
                     "section (hvsim scenario show NAME)\n");
    th_expect_output("$B/hvsim --repl --ram 4M </dev/null 2>/dev/null; echo $?", "2\n");
}
