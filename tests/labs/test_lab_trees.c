/*
 * test_lab_trees.c - every lab as the course uses it (labs/check-lab.sh, docs/labs.md): a fresh
 * handout compiles and grades below full marks with each test failing or passing as its
 * manifest says (the stubs break the lab and nothing else); each mutant (a deliberately wrong
 * solution) fails the test it targets; the reference scores full marks; and each handout's
 * grading table gives its manifest's tests and points.
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glob.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../support/harness.h"

#define MAX_LABS 8

/* The labs' manifests, labs/NN-name/lab.ini, in order. */
static size_t manifests(char names[MAX_LABS][64])
{
    glob_t g;
    size_t n = 0;
    if (glob("labs/[0-9][0-9]-*/lab.ini", 0, NULL, &g) == 0)
        for (; n < g.gl_pathc && n < MAX_LABS; n++)
            snprintf(names[n], sizeof names[0], "%s", g.gl_pathv[n]);
    globfree(&g);
    return n;
}

/* The trees are built beside the build's objects, which only a plain build can lend. */
static bool plain_build(void)
{
    return !strcmp(th_build_dir(), "build");
}

/* A student's handout (labs/HANDOUT says so) is not the reference: its labs are not all done. */
static bool handout_tree(void)
{
    FILE *f = fopen("labs/HANDOUT", "r");
    if (f)
        fclose(f);
    return f != NULL;
}

ParameterizedTestParameters(lab_trees, handout_and_mutants)
{
    TH_ROW_INDICES(MAX_LABS);
}

ParameterizedTest(size_t *row, lab_trees, handout_and_mutants, .timeout = 280)
{
    char names[MAX_LABS][64];
    size_t n = manifests(names);
    cr_assert_gt(n, 0, "no labs/NN-name/lab.ini");
    if (*row >= n)
        cr_skip_test("there are %zu labs", n);
    if (!plain_build())
        cr_skip_test("the lab trees are checked by make test (BUILD=build)");
    if (handout_tree())
        cr_skip_test("a handout: the lab trees are checked in the reference");
    unsigned lab = (unsigned)atoi(names[*row] + 5);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "sh labs/check-lab.sh %u \"$B\"", lab);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 0, "lab %u:\n%s", lab, out);
    free(out);
}

/* The reference tree scores full marks on every lab (make grade's own run). */
ParameterizedTestParameters(lab_trees, reference_scores_full_marks)
{
    TH_ROW_INDICES(MAX_LABS);
}

ParameterizedTest(size_t *row, lab_trees, reference_scores_full_marks, .timeout = 120)
{
    char names[MAX_LABS][64];
    size_t n = manifests(names);
    if (*row >= n)
        cr_skip_test("there are %zu labs", n);
    if (handout_tree())
        cr_skip_test("a handout: only the reference scores full marks");
    char cmd[160];
    snprintf(cmd, sizeof cmd, "\"$B/hvgrade\" --build \"$B\" %s", names[*row]);
    int status;
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 0, "%s:\n%s", names[*row], out);
    cr_expect(strstr(out, "Score: ") != NULL, "%s", out);
    free(out);
}

/* Each handout's grading table gives every visible test of its manifest with its points (and
 * the hidden ones as "a hidden test"): the README a student reads matches what is graded. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

ParameterizedTestParameters(lab_trees, readme_tables_match_the_manifests)
{
    TH_ROW_INDICES(MAX_LABS);
}

ParameterizedTest(size_t *row, lab_trees, readme_tables_match_the_manifests)
{
    char names[MAX_LABS][64], readme[128];
    size_t n = manifests(names);
    if (*row >= n)
        cr_skip_test("there are %zu labs", n);
    snprintf(readme, sizeof readme, "%.*sREADME.md", (int)(strlen(names[*row]) - 7), names[*row]);
    char *ini = slurp(names[*row]), *text = slurp(readme), *save = NULL;
    char test[64] = "", row_text[128];
    unsigned points = 0, tests = 0;
    bool hidden = false;
    for (char *line = strtok_r(ini, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
        if (!line || !strncmp(line, "[test ", 6)) {
            if (test[0]) {
                if (hidden)
                    snprintf(row_text, sizeof row_text,
                             "| a hidden test, run after the due date "
                             "| %u |",
                             points);
                else
                    snprintf(row_text, sizeof row_text, "| %s: ", test);
                cr_expect(strstr(text, row_text) != NULL, "%s: no row \"%s\"", readme, row_text);
                char *at = strstr(text, row_text), *end = at ? strchr(at, '\n') : NULL;
                char pts[16];
                snprintf(pts, sizeof pts, "| %u |", points);
                if (at && end && !hidden)
                    cr_expect(memmem(at, (size_t)(end - at), pts, strlen(pts)) != NULL,
                              "%s: the row of %s must give %u points", readme, test, points);
                tests++;
            }
            if (!line)
                break;
            snprintf(test, sizeof test, "%.*s", (int)strcspn(line + 6, "]"), line + 6);
            points = 0, hidden = false;
        } else if (sscanf(line, "points = %u", &points) == 1) {
        } else if (!strncmp(line, "hidden = true", 13))
            hidden = true;
    }
    cr_expect_gt(tests, 0, "%s has tests", names[*row]);
    free(ini);
    free(text);
}
