/*
 * test_handout.c - the handout generator (labs/handout.sh, labs/strip-lab.awk): marked regions
 * become their TODO line and stubs for the labs asked, stay for the others; a marker out of
 * place is an error naming the file and line; a lab's handout leaves out the hidden tests (file
 * and manifest section) and the mutants, and refuses to overwrite a directory.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

static const char source[] = "int f(int x)\n"
                             "{\n"
                             "    /* LAB 1 BEGIN: double it */\n"
                             "    x *= 2;\n"
                             "    /* LAB 1 STUB: (void)0; */\n"
                             "    /* LAB 1 STUB:     return missing(1); */\n"
                             "    /* LAB 1 END */\n"
                             "    /* LAB 2 BEGIN: add one */\n"
                             "    x += 1;\n"
                             "    /* LAB 2 END */\n"
                             "    return x;\n"
                             "}\n";

/* Runs strip-lab.awk on `text` for the labs `stub`; the output, and the status in *status. */
static char *strip(const char *text, const char *stub, int *status)
{
    char path[] = "/tmp/hvsim-strip.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "awk -v stub='%s' -f labs/strip-lab.awk %s; r=$?; rm -f %s; exit $r",
             stub, path, path);
    char *out = th_sh(cmd, true, status);
    /* the temporary file's name varies: "FILE:LINE:" becomes "F:LINE:" */
    char *p = strstr(out, path);
    if (p)
        memmove(p + 1, p + strlen(path), strlen(p + strlen(path)) + 1), *p = 'F';
    return out;
}

Test(handout, regions_become_stubs_for_the_labs_asked)
{
    int status;
    char *one = strip(source, "1", &status);
    cr_expect_eq(status, 0);
    cr_expect_str_eq(one, "int f(int x)\n{\n"
                          "    /* LAB 1: TODO: double it */\n"
                          "    (void)0;\n"
                          "        return missing(1);\n"
                          "    /* LAB 2 BEGIN: add one */\n    x += 1;\n    /* LAB 2 END */\n"
                          "    return x;\n}\n");
    char *both = strip(source, "1 2", &status);
    cr_expect(strstr(both, "    /* LAB 2: TODO: add one */\n    return x;") != NULL, "%s", both);
    char *none = strip(source, "", &status);
    cr_expect_str_eq(none, source, "no lab asked: the text as it is");
    free(one);
    free(both);
    free(none);
}

typedef struct {
    const char *text, *error;
} bad_marker_t;

static const bad_marker_t bad_markers[] = {
    {"a\n/* LAB 2 BEGIN: x */\nb\n", "F:2: LAB 2 BEGIN has no END"},
    {"a\n/* LAB 2 END */\n", "F:2: LAB 2 END without its BEGIN"},
    {"/* LAB 1 BEGIN: x */\n/* LAB 2 BEGIN: y */\n", "F:2: LAB 2 BEGIN inside the region of LAB 1"},
    {"/* LAB 1 BEGIN: x */\n/* LAB 2 STUB: y; */\n/* LAB 1 END */\n",
     "F:2: LAB 2 STUB outside its region"},
};

Test(handout, a_marker_out_of_place_names_file_and_line)
{
    for (size_t i = 0; i < sizeof bad_markers / sizeof *bad_markers; i++) {
        int status;
        char *out = strip(bad_markers[i].text, "1 2", &status);
        cr_expect_eq(status, 1, "%s", out);
        cr_expect(strstr(out, bad_markers[i].error) != NULL, "want \"%s\" in:\n%s",
                  bad_markers[i].error, out);
        free(out);
    }
}

/* Lab 1's handout: stubbed, without its hidden test (file and manifest section) or mutants;
 * a second handout into the same directory is refused. */
Test(handout, hidden_tests_and_mutants_stay_out, .timeout = 60)
{
    int status;
    char *out =
        th_sh("d=$(mktemp -d /tmp/hvsim-handout.XXXXXX); sh labs/handout.sh 1 $d/h >/dev/null"
              " && cd $d/h && ls tests/labs labs/01-trap; grep -c 'LAB 1: TODO' "
              "hypervisor/hv_trap.c; grep -c '^\\[test ' labs/01-trap/lab.ini; "
              "grep -c 'determinism' labs/01-trap/lab.ini; cat labs/HANDOUT | cut -c1-16;"
              " sh labs/handout.sh 1 $d/h; echo \"again: $?\"; rm -rf $d",
              true, &status);
    cr_expect(strstr(out, "test_lab1.c") != NULL, "%s", out);
    cr_expect(strstr(out, "test_lab1_hidden.c") == NULL, "the hidden test stays out:\n%s", out);
    cr_expect(strstr(out, "mutants") == NULL, "the mutants stay out:\n%s", out);
    cr_expect(strstr(out, "\n5\n8\n0\nlab 1's handout,") != NULL,
              "5 stubbed regions, 8 visible tests, no hidden one:\n%s", out);
    cr_expect(strstr(out, "exists already") && strstr(out, "again: 2"), "%s", out);
    free(out);
}
