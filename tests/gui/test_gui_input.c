/*
 * test_gui_input.c - the real window under Xvfb, driven by xdotool as a student's keyboard
 * would: `s` steps one instruction, so three presses and `q` leave pCPU0 three instructions
 * on, which hvsim says when the window closes; `g` runs hello.s to its power-off, and the
 * window stays open. Xvfb and xdotool are installed through
 * .ci/ensure-deps (make test lists them too); without them (not root) the test is skipped.
 * Under `make asan` the same run is the window's sanitizer check (leaks included; the one
 * suppression, for a library below SDL, is in tests/gui/lsan.supp).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

/* A free display number, Xvfb on it, the window, the keys, then both closed. */
static const char script[] =
    "command -v Xvfb >/dev/null && command -v xdotool >/dev/null ||"
    "  sh .ci/ensure-deps xvfb xdotool >/dev/null 2>&1 || { echo SKIP; exit 0; }\n"
    /* Xvfb picks a free display itself and says which (tests run side by side). */
    "dfile=$(mktemp)\n"
    "Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>$dfile >/dev/null 2>&1 & xp=$!\n"
    "i=0; while [ ! -s $dfile ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n"
    "d=$(head -1 $dfile); rm -f $dfile\n"
    "export DISPLAY=:$d LSAN_OPTIONS=suppressions=$PWD/tests/gui/lsan.supp\n"
    "out=$(mktemp)\n"
    "$B/hvsim --gui --bare examples/%s </dev/null >$out 2>&1 & hp=$!\n"
    "w=$(timeout 20 xdotool search --sync --name '^hvsim' | head -1)\n"
    "for k in %s; do xdotool key --window \"$w\" $k; sleep 0.2; done\n"
    "%s\n" /* what the test looks at before q */
    "xdotool key --window \"$w\" q\n"
    "i=0; while kill -0 $hp 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n"
    "kill $hp 2>/dev/null; kill $xp; wait $xp 2>/dev/null\n"
    "cat $out; rm -f $out\n";

static char *run_program_keys(const char *program, const char *keys, const char *then)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, script, program, keys, then);
    int status;
    char *out = th_sh(cmd, true, &status);
    if (strncmp(out, "SKIP", 4) == 0) {
        free(out);
        cr_skip_test("Xvfb or xdotool is missing and cannot be installed here");
    }
    /* Under make asan hvsim is the sanitizer build: the window's run must be clean too. */
    cr_expect(strstr(out, "Sanitizer") == NULL && strstr(out, "runtime error") == NULL,
              "the window ran without sanitizer reports: %s", out);
    return out;
}

static char *run_keys(const char *keys)
{
    return run_program_keys("traps.s", keys, "");
}

Test(gui_input, keys_step_the_machine, .timeout = 60)
{
    char *out = run_keys("s s s");
    cr_expect(strstr(out, "pCPU0 retired 3 instructions") != NULL,
              "three presses of s step three instructions: %s", out);
    free(out);
}

Test(gui_input, step_to_trap_key, .timeout = 60)
{
    /* traps.s makes its first system call after a few instructions in user mode: t runs to
     * it, and the machine is then in its trap handler, having retired more than one. */
    char *out = run_keys("t");
    cr_expect(strstr(out, "window closed at cycle") != NULL, "the window opened: %s", out);
    cr_expect(strstr(out, "retired 0 instructions") == NULL, "t ran the machine: %s", out);
    free(out);
}

/* g runs hello.s at full speed to its power-off: a second later the window is still open
 * (and says so), and q closes it, hvsim saying the machine was off. */
Test(gui_input, the_window_stays_open_at_power_off, .timeout = 60)
{
    char *out =
        run_program_keys("hello.s", "g", "sleep 1; kill -0 $hp 2>/dev/null && echo 'still open'");
    cr_expect(strstr(out, "still open") != NULL, "the window stayed open: %s", out);
    cr_expect(strstr(out, "the machine powered off (exit code 0)") != NULL, "%s", out);
    free(out);
}
