/*
 * test_grader.c - the lab grader itself (build/hvgrade, labs/grader): run against a stand-in
 * for hvsim-tests (a shell script) whose tests pass, fail, loop, crash or match nothing, it
 * gives each test its points or 0 with the reason, skips a test whose parent failed, prints
 * the exact report and Score line, exits 1 below full marks, and writes results.json; a bad
 * manifest is an error naming its file and line.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/harness.h"

/* A directory with a stand-in hvsim-tests and a manifest; returns its path (static). */
static const char *setup(const char *manifest)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/hvgrade-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/hvsim-tests", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(
        "#!/bin/sh\n"
        "case \"$2\" in\n"
        "good/*) echo '[====] Synthesis: Tested: 2 | Passing: 2 | Failing: 0 | Crashing: 0' ;;\n"
        "bad/*) echo '[----] t.c:9: Assertion Failed'; echo '[----]   '; echo '[----]   r10 = 2, "
        "want 1'; echo '[FAIL] bad::one: (0.00s)';\n"
        "  echo '[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0'; exit 1 ;;\n"
        "loop/*) while :; do :; done ;;\n"
        "crash/*) echo '[----] t.c:3: Unexpected signal caught below this line!';\n"
        "  echo '[FAIL] crash::one: CRASH!';\n"
        "  echo '[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 0 | Crashing: 1'; exit 1 ;;\n"
        "stub/*) echo 'hvsim: LAB 9: hv_thing is not written yet (see the lab'\\''s README.md)';\n"
        "  echo '[====] Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0'; exit 1 ;;\n"
        "*) echo '[====] Synthesis: Tested: 0 | Passing: 0 | Failing: 0 | Crashing: 0' ;;\n"
        "esac\n",
        f);
    fclose(f);
    cr_assert_eq(chmod(path, 0755), 0);
    snprintf(path, sizeof path, "%s/lab.ini", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(manifest, f);
    fclose(f);
    return dir;
}

static const char manifest[] =
    "[lab]\nnumber = 9\ntitle = the grader\n\n"
    "[test good]\ntitle = a test that passes\npoints = 10\nfilter = good/*\n\n"
    "[test bad]\ntitle = a test that fails\npart = B\npoints = 20\nfilter = bad/*\n"
    "hint = look at hv_thing\nsee = hvsim --repl, then `c`\n\n"
    "[test child]\ntitle = a test whose parent failed\npart = B\npoints = 5\nfilter = good/*\n"
    "depends = bad\n\n"
    "[test loop]\ntitle = a test that loops\npart = C\npoints = 5\nfilter = loop/*\ntimeout = 1\n\n"
    "[test crash]\ntitle = a test that crashes\npart = C\npoints = 5\nfilter = crash/*\n\n"
    "[test stub]\ntitle = a test that meets a stub\npart = C\npoints = 5\nfilter = stub/*\n\n"
    "[test none]\ntitle = a test that matches nothing\npart = C\npoints = 5\nfilter = none/*\n"
    "hidden = true\n";

/* The report without its timings, which vary: "(1.2s)" becomes "(t)". */
static char *untimed(char *text)
{
    char *r = text, *w = text;
    while (*r) {
        if (*r == '(' && r[1] >= '0' && r[1] <= '9' && strstr(r, "s)") &&
            strchr(r, ')') == strstr(r, "s)") + 1) {
            r = strchr(r, ')') + 1; /* past it first: "(t)" may be written over it */
            memcpy(w, "(t)", 3);
            w += 3;
        } else
            *w++ = *r++;
    }
    *w = '\0';
    return text;
}

Test(grader, points_parents_time_limits_crashes_and_results, .timeout = 60)
{
    const char *dir = setup(manifest);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "\"$B/hvgrade\" --build %s --results %s/results.json %s/lab.ini", dir,
             dir, dir);
    int status;
    char *out = untimed(th_sh(cmd, true, &status));
    cr_expect_eq(status, 1, "below full marks: exit status 1");
    cr_expect_str_eq(
        out,
        "== lab 9: the grader ==\n"
        "a test that passes ....................................................... OK   (t)  "
        "10/10\n"
        "a test that fails ........................................................ FAIL (t)  "
        "0/20\n"
        "    r10 = 2, want 1\n"
        "    hint: look at hv_thing\n"
        "    see it: hvsim --repl, then `c`\n"
        "a test whose parent failed ............................................... FAIL (t)  0/5\n"
        "    not run: it needs \"a test that fails\", which failed\n"
        "a test that loops ........................................................ FAIL (t)  0/5\n"
        "    killed after its time limit of 1 s: the code under test loops or waits for ever\n"
        "a test that crashes ...................................................... FAIL (t)  0/5\n"
        "    the test crashed (a signal, such as SIGSEGV): the code under test used a bad pointer "
        "or corrupted memory\n"
        "a test that meets a stub ................................................. FAIL (t)  0/5\n"
        "    LAB 9: hv_thing is not written yet (see the lab's README.md)\n"
        "a test that matches nothing .............................................. FAIL (t)  0/5\n"
        "    no test matched its filter: the manifest is wrong\n"
        "Part A score: 10/10\n"
        "Part B score: 0/25\n"
        "Part C score: 0/20\n"
        "Score: 10/55\n");
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "%s: %s", path, err.text);
    cr_expect_eq(json_integer_value(json_object_get(root, "score")), 10);
    json_t *tests = json_object_get(root, "tests");
    cr_assert_eq(json_array_size(tests), 7);
    json_t *bad = json_array_get(tests, 1), *none = json_array_get(tests, 6);
    cr_expect_str_eq(json_string_value(json_object_get(bad, "name")), "a test that fails");
    cr_expect_eq(json_integer_value(json_object_get(bad, "max_score")), 20);
    cr_expect_str_eq(json_string_value(json_object_get(bad, "output")), "r10 = 2, want 1\n");
    cr_expect_str_eq(json_string_value(json_object_get(bad, "visibility")), "visible");
    cr_expect_str_eq(json_string_value(json_object_get(none, "visibility")), "after_due_date");
    json_decref(root);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(th_sh(cmd, true, &status));
}

/* --only runs one test and its parents: the exit status is the test's. */
Test(grader, only_one_test, .timeout = 30)
{
    const char *dir = setup(manifest);
    char cmd[512];
    int status;
    snprintf(cmd, sizeof cmd, "\"$B/hvgrade\" --build %s --only good %s/lab.ini", dir, dir);
    free(th_sh(cmd, true, &status));
    cr_expect_eq(status, 0, "a test that passes");
    snprintf(cmd, sizeof cmd, "\"$B/hvgrade\" --build %s --only child %s/lab.ini", dir, dir);
    char *out = th_sh(cmd, true, &status);
    cr_expect_eq(status, 1, "its parent fails");
    cr_expect(strstr(out, "a test that fails ...") && strstr(out, "not run: it needs"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(th_sh(cmd, true, &status));
}

/* A bad manifest: the file, the line and what is wrong; exit status 2. */
typedef struct {
    const char *text, *error;
} bad_manifest_t;

static const bad_manifest_t bad_manifests[] = {
    {"[lab]\nnumber = 9\n[test a]\nfilter = x\npoints = ten\n",
     "lab.ini:5: points = 'ten': a number, 0 to 1000"},
    {"[lab]\nnumber = 9\n[test a]\nfilter = x\ncolour = red\n",
     "lab.ini:5: unknown key 'colour' in [test a]"},
    {"[lab]\nnumber = 9\n[test a]\nfilter = x\ndepends = b\n[test b]\nfilter = y\n",
     "lab.ini:5: depends = 'b': a parent must be a test named above this one"},
    {"[lab]\nnumber = 9\n[test a]\npoints = 1\n", "[test a] has no filter"},
    {"[lab]\nnumber = 9\n[thing]\nx = 1\n",
     "lab.ini:4: [thing]: sections are [lab] and [test NAME]"},
};

Test(grader, bad_manifests_name_file_and_line)
{
    for (size_t i = 0; i < sizeof bad_manifests / sizeof *bad_manifests; i++) {
        const char *dir = setup(bad_manifests[i].text);
        char cmd[512];
        int status;
        snprintf(cmd, sizeof cmd, "\"$B/hvgrade\" --build %s %s/lab.ini", dir, dir);
        char *out = th_sh(cmd, true, &status);
        cr_expect_eq(status, 2, "%s", out);
        cr_expect(strstr(out, bad_manifests[i].error) != NULL, "want \"%s\" in:\n%s",
                  bad_manifests[i].error, out);
        free(out);
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        free(th_sh(cmd, true, &status));
    }
}
