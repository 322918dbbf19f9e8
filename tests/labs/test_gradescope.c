/*
 * test_gradescope.c - each lab's Gradescope autograder, run as Gradescope runs it
 * (labs/check-gradescope.sh; docs/labs.md): the zip unpacked into an /autograder-shaped root,
 * setup's build, then run_autograder on three submissions. The reference solution scores full
 * marks test by test; a submission without the lab's files grades the handout's stubs (below
 * full marks); one that does not compile scores 0 with the compiler's complaint in every test;
 * hidden tests are shown after the due date; the zip holds the hidden tests and no mutants.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

#define MAX_LABS 8

static size_t lab_numbers(unsigned labs[MAX_LABS])
{
    glob_t g;
    size_t n = 0;
    if (glob("labs/[0-9][0-9]-*/lab.ini", 0, NULL, &g) == 0)
        for (; n < g.gl_pathc && n < MAX_LABS; n++)
            labs[n] = (unsigned)atoi(g.gl_pathv[n] + 5);
    globfree(&g);
    return n;
}

static json_t *results(const char *dir, const char *kind)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.json", dir, kind);
    json_error_t err;
    json_t *r = json_load_file(path, 0, &err);
    cr_assert_not_null(r, "%s: %s (line %d)", path, err.text, err.line);
    return r;
}

static json_int_t score_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number \"%s\"", key);
    return (json_int_t)json_number_value(v);
}

/* The tests' scores add up to the summary's, and so do their maxima. */
static void expect_sums(json_t *r, const char *kind)
{
    json_t *tests = json_object_get(r, "tests"), *t;
    size_t i;
    json_int_t score = 0, max = 0;
    cr_assert(json_array_size(tests) > 0, "%s: no tests", kind);
    json_array_foreach (tests, i, t) {
        score += score_of(t, "score");
        max += score_of(t, "max_score");
    }
    cr_expect_eq(score, score_of(r, "score"), "%s: the tests' scores do not add up", kind);
    cr_expect_eq(max, score_of(r, "max_score"), "%s: the tests' maxima do not add up", kind);
}

static bool file_has(const char *path, const char *what)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -q -e '%s' %s", what, path);
    int status;
    free(th_sh(cmd, true, &status));
    return status == 0;
}

ParameterizedTestParameters(gradescope, autograder_grades_three_submissions)
{
    TH_ROW_INDICES(MAX_LABS);
}

ParameterizedTest(size_t *row, gradescope, autograder_grades_three_submissions, .timeout = 240)
{
    unsigned labs[MAX_LABS];
    size_t n = lab_numbers(labs);
    cr_assert_gt(n, 0, "no labs/NN-name/lab.ini");
    if (*row >= n)
        cr_skip_test("there are %zu labs", n);
    if (strcmp(th_build_dir(), "build"))
        cr_skip_test("the autograder is checked by make test (BUILD=build)");
    FILE *handout = fopen("labs/HANDOUT", "r");
    if (handout) {
        fclose(handout);
        cr_skip_test("a handout: the autograder is built from the reference");
    }
    char dir[] = "/tmp/hvsim-gradescope-test.XXXXXX", cmd[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "sh labs/check-gradescope.sh %u %s/out \"$B\"", labs[*row], dir);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_assert_eq(status, 0, "lab %u:\n%s", labs[*row], out);
    free(out);
    char outdir[64], path[96];
    snprintf(outdir, sizeof outdir, "%s/out", dir);

    json_t *ref = results(outdir, "reference"), *t;
    size_t i;
    expect_sums(ref, "reference");
    cr_expect_eq(score_of(ref, "score"), score_of(ref, "max_score"), "the reference must score full marks");
    json_array_foreach (json_object_get(ref, "tests"), i, t)
        cr_expect_eq(score_of(t, "score"), score_of(t, "max_score"), "reference: %s",
                     json_string_value(json_object_get(t, "name")));

    json_t *empty = results(outdir, "empty");
    expect_sums(empty, "empty");
    cr_expect_lt(score_of(empty, "score"), score_of(empty, "max_score"),
                 "the handout's stubs must score below full marks");
    snprintf(path, sizeof path, "%s/empty.log", outdir);
    cr_expect(file_has(path, "the handout.s is graded"), "an empty submission must say so");

    json_t *broken = results(outdir, "broken");
    expect_sums(broken, "broken");
    cr_expect_eq(score_of(broken, "score"), 0);
    json_array_foreach (json_object_get(broken, "tests"), i, t) {
        const char *o = json_string_value(json_object_get(t, "output"));
        cr_expect(o && strstr(o, "does not compile") && strstr(o, "error:"),
                  "broken: every test gives the compiler's complaint");
    }

    /* Hidden tests: in the zip, shown after the due date; the mutants stay out. */
    snprintf(path, sizeof path, "%s/zip-files", outdir);
    cr_expect(!file_has(path, "/mutants/"), "the zip must not hold the mutants");
    cr_expect(file_has(path, "^setup.sh$") && file_has(path, "^run_autograder$"));
    char ini[64];
    snprintf(ini, sizeof ini, "labs/%02u-*/lab.ini", labs[*row]);
    snprintf(cmd, sizeof cmd, "grep -q '^hidden *= *true' %s", ini);
    free(th_sh(cmd, true, &status));
    bool has_hidden = status == 0;
    bool after = false;
    json_array_foreach (json_object_get(ref, "tests"), i, t)
        after |= !strcmp(json_string_value(json_object_get(t, "visibility")), "after_due_date");
    cr_expect_eq(after, has_hidden, "hidden tests (and only they) are shown after the due date");
    snprintf(path, sizeof path, "%s/setup-packages", outdir);
    cr_expect(file_has(path, "libcriterion-dev"), "setup.sh installs what the tests need");

    json_decref(ref);
    json_decref(empty);
    json_decref(broken);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(th_sh(cmd, true, &status));
}
