/*
 * test_lab_build.c - what keeps make test and the lab checks fast without changing what they
 * build (Makefile, labs/handout.sh --lend; docs/labs.md): make test builds with every core unless
 * make was given -j; the guests are assembled again when the assembler's bytes change, not when
 * a lab file relinks it; a tree lent the build's objects links them and never writes into them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"

/* The checks below build a tree beside the build's objects, which only a plain build lends. */
static void need_plain_build(void)
{
    if (strcmp(th_build_dir(), "build"))
        cr_skip_test("a tree is lent the objects of a plain build (BUILD=build)");
}

/* Runs cmd (stderr too); expects it to exit 0 and returns its output. */
static char *run(const char *cmd)
{
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_assert_eq(status, 0, "%s:\n%s", cmd, out);
    return out;
}

/* How many lines of `text` hold `what`. */
static unsigned lines_with(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* A copy of this tree (the reference) at DIR/tree, lent $B's objects and guests. */
static void lent_tree(char *dir)
{
    cr_assert_not_null(mkdtemp(dir));
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "sh labs/handout.sh --reference 1 %s/tree >/dev/null && "
             "sh labs/handout.sh --lend \"$B\" %s/tree",
             dir, dir);
    free(run(cmd));
}

static void remove_tree(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(run(cmd));
}

/* Runs the shell `steps` in a lent tree ($b names the build directory) and returns their
 * output; the tree is removed. */
static char *in_lent_tree(const char *steps)
{
    char dir[] = "/tmp/hvsim-lab-build.XXXXXX", cmd[512];
    lent_tree(dir);
    snprintf(cmd, sizeof cmd, "b=$PWD/$B && cd %s/tree && %s", dir, steps);
    char *out = run(cmd);
    remove_tree(dir);
    return out;
}

Test(lab_build, make_test_builds_with_every_core_unless_given_j)
{
    const char *env = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -n --no-print-directory";
    char cmd[256], want[64];
    snprintf(want, sizeof want, "make --no-print-directory -j%ld --output-sync=target all",
             sysconf(_SC_NPROCESSORS_ONLN));
    snprintf(cmd, sizeof cmd, "%s test BUILD=\"$B\"", env);
    char *plain = run(cmd);
    cr_expect(strstr(plain, want) != NULL, "make test builds with every core:\n%s", plain);
    snprintf(cmd, sizeof cmd, "%s -j3 test BUILD=\"$B\"", env);
    char *given = run(cmd);
    cr_expect(strstr(given, "make --no-print-directory  all") != NULL && !strstr(given, "--output-sync"),
              "make -j3 test shares make's jobs:\n%s", given);
    cr_expect(!strstr(given, "warning"), "%s", given);
    free(plain);
    free(given);
}

Test(lab_build, a_relinked_assembler_assembles_no_guest_again)
{
    need_plain_build();
    char *log = in_lent_tree("touch hypervisor/hv_trap.c && make -j2 all 2>&1");
    cr_expect(strstr(log, "-o build/hvasm ") != NULL, "a lab file relinks hvasm:\n%s", log);
    cr_expect_eq(lines_with(log, "build/hvasm -o"), 0, "no guest is assembled again:\n%s", log);
    cr_expect_eq(lines_with(log, "build/hvimg build build/guestos/"), 0, "no image is packed again:\n%s", log);
    free(log);
}

Test(lab_build, a_changed_assembler_assembles_every_guest_again)
{
    need_plain_build();
    /* a message of the assembler's: its bytes change, the guests it writes do not */
    char *log = in_lent_tree("sed -i 's/is not a 32-bit address\"/is not a 32-bit address!\"/' "
                             "cpu/cpu_asm_dir.c && make -j2 all 2>&1 && "
                             "cmp build/guestos/tinyos.img \"$b/guestos/tinyos.img\" && "
                             "cmp build/guestos/rom.bin \"$b/guestos/rom.bin\"");
    char *list = run("ls \"$B\"/guestos/*.bin \"$B\"/guestos/tinyos/*.bin");
    unsigned bins = lines_with(list, ".bin");
    cr_expect_eq(lines_with(log, "build/hvasm -o"), bins, "every guest is assembled again:\n%s", log);
    cr_expect_gt(lines_with(log, "build/hvimg build build/guestos/"), 0, "and packed:\n%s", log);
    free(list);
    free(log);
}

Test(lab_build, a_lent_tree_links_the_objects_and_never_writes_into_them)
{
    need_plain_build();
    char dir[] = "/tmp/hvsim-lab-build.XXXXXX", cmd[1024];
    lent_tree(dir);
    snprintf(cmd, sizeof cmd, "ln \"$B/hvasm.sum\" %s/link 2>/dev/null", dir);
    int status;
    free(th_sh(cmd, true, &status));
    if (status)
        cr_skip_test("%s is on another file system than the build: the objects are copied", dir);
    const char *o = "obj/hypervisor/hv_trap.o";
    snprintf(cmd, sizeof cmd,
             "t=%s/tree; i() { stat -c %%i \"$1\"; }; sum=$(sha1sum <\"$B/%s\"); "
             "[ $(i \"$B/%s\") = $(i \"$t/build/%s\") ] || echo 'not linked'; "
             "[ $(i \"$B/guestos/rom.bin\") != $(i \"$t/build/guestos/rom.bin\") ] || echo 'guests linked'; "
             "(cd $t && touch hypervisor/hv_trap.c && make -j2 build/hvsim-tests >/dev/null 2>&1) || echo 'no build'; "
             "[ $(i \"$B/%s\") != $(i \"$t/build/%s\") ] || echo 'object written in place'; "
             "[ $(i \"$B/%.*s.d\") != $(i \"$t/build/%.*s.d\") ] || echo '.d written in place'; "
             "[ \"$(sha1sum <\"$B/%s\")\" = \"$sum\" ] || echo 'the build changed'",
             dir, o, o, o, o, o, (int)strlen(o) - 2, o, (int)strlen(o) - 2, o, o);
    char *out = run(cmd);
    cr_expect_str_eq(out, "");
    free(out);
    remove_tree(dir);
}
