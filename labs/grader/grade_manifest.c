/*
 * grade_manifest.c - a lab's grading manifest in, what the grading gives out.
 *
 * The manifest (labs/NN-name/lab.ini, read with inih) has a [lab] section (number, title,
 * readme, files the student edits, stub_also, hidden_files: those the handout generator
 * reads) and one [test NAME] section per graded test: title, part, points, filter, timeout,
 * depends (names of earlier tests), hint, see, hidden, handout (pass when a fresh handout
 * passes it). An unknown key, a bad number or a parent that is not an earlier test is an
 * error naming the file and line. Out: Gradescope's results.json (jansson) and a GitHub
 * Classroom workflow, one step per test with its points (docs/labs.md).
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

typedef struct {
    grade_lab_t *lab;
    char error[256];
} reader_t;

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src);
}

/* Long texts (hint, see) may continue on indented lines: inih hands each line over. */
static void append(char *dst, size_t len, const char *line)
{
    size_t used = strlen(dst);
    if (used && used + 1 < len)
        dst[used++] = '\n', dst[used] = '\0';
    snprintf(dst + used, len - used, "%s", line);
}

static bool number(const char *value, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (errno || end == value || *end || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool yes_no(const char *value, bool *out)
{
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "pass"))
        return *out = true;
    if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "fail"))
        return !(*out = false);
    return false;
}

static int lab_key(reader_t *r, const char *key, const char *value)
{
    grade_lab_t *lab = r->lab;
    if (!strcmp(key, "number")) {
        if (!number(value, 99, &lab->number))
            snprintf(r->error, sizeof r->error, "number = '%s': a lab number, 1 to 99", value);
    } else if (!strcmp(key, "title"))
        copy(lab->title, sizeof lab->title, value);
    else if (!strcmp(key, "readme"))
        copy(lab->readme, sizeof lab->readme, value);
    else if (!strcmp(key, "files"))
        copy(lab->files, sizeof lab->files, value);
    else if (strcmp(key, "stub_also") && strcmp(key, "hidden_files"))
        snprintf(r->error, sizeof r->error,
                 "unknown key '%s' in [lab] (known: number, title, readme, files, stub_also, "
                 "hidden_files)",
                 key);
    return !r->error[0];
}

static void add_dependencies(reader_t *r, grade_test_t *t, const char *value)
{
    char list[256], *save = NULL;
    copy(list, sizeof list, value);
    for (char *name = strtok_r(list, " ,", &save); name; name = strtok_r(NULL, " ,", &save)) {
        if (!grade_find(r->lab, name) || grade_find(r->lab, name) == t)
            snprintf(r->error, sizeof r->error,
                     "depends = '%s': a parent must be a test named above this one", name);
        else if (t->ndeps == GRADE_MAX_DEPS)
            snprintf(r->error, sizeof r->error, "at most %d parents", GRADE_MAX_DEPS);
        else
            copy(t->deps[t->ndeps++], sizeof t->deps[0], name);
    }
}

static int test_key(reader_t *r, grade_test_t *t, const char *key, const char *value)
{
    if (!strcmp(key, "title"))
        copy(t->title, sizeof t->title, value);
    else if (!strcmp(key, "part"))
        copy(t->part, sizeof t->part, value);
    else if (!strcmp(key, "filter"))
        copy(t->filter, sizeof t->filter, value);
    else if (!strcmp(key, "hint"))
        append(t->hint, sizeof t->hint, value);
    else if (!strcmp(key, "see"))
        append(t->see, sizeof t->see, value);
    else if (!strcmp(key, "depends"))
        add_dependencies(r, t, value);
    else if (!strcmp(key, "points")) {
        if (!number(value, 1000, &t->points))
            snprintf(r->error, sizeof r->error, "points = '%s': a number, 0 to 1000", value);
    } else if (!strcmp(key, "timeout")) {
        if (!number(value, 600, &t->timeout) || !t->timeout)
            snprintf(r->error, sizeof r->error, "timeout = '%s': seconds, 1 to 600", value);
    } else if (!strcmp(key, "hidden")) {
        if (!yes_no(value, &t->hidden))
            snprintf(r->error, sizeof r->error, "hidden = '%s': true or false", value);
    } else if (!strcmp(key, "handout")) {
        if (!yes_no(value, &t->handout_passes))
            snprintf(r->error, sizeof r->error, "handout = '%s': pass or fail", value);
    } else
        snprintf(r->error, sizeof r->error,
                 "unknown key '%s' in [test %s] (known: title, part, points, filter, timeout, "
                 "depends, hint, see, hidden, handout)",
                 key, t->name);
    return !r->error[0];
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    reader_t *r = user;
    grade_lab_t *lab = r->lab;
    if (!strcmp(section, "lab"))
        return lab_key(r, key, value);
    if (strncmp(section, "test ", 5) || !section[5]) {
        snprintf(r->error, sizeof r->error, "[%s]: sections are [lab] and [test NAME]", section);
        return 0;
    }
    grade_test_t *t = grade_find(lab, section + 5);
    if (!t) {
        if (lab->ntests == GRADE_MAX_TESTS) {
            snprintf(r->error, sizeof r->error, "at most %d tests", GRADE_MAX_TESTS);
            return 0;
        }
        t = &lab->test[lab->ntests++];
        copy(t->name, sizeof t->name, section + 5);
        copy(t->part, sizeof t->part, "A");
        t->timeout = 20;
    }
    return test_key(r, t, key, value);
}

grade_test_t *grade_find(grade_lab_t *lab, const char *name)
{
    for (unsigned i = 0; i < lab->ntests; i++)
        if (!strcmp(lab->test[i].name, name))
            return &lab->test[i];
    return NULL;
}

bool grade_read_manifest(const char *path, grade_lab_t *lab)
{
    reader_t r = {.lab = lab};
    memset(lab, 0, sizeof *lab);
    copy(lab->path, sizeof lab->path, path);
    int line = ini_parse(path, on_key, &r);
    if (line < 0) {
        fprintf(stderr, "hvgrade: %s: cannot read it\n", path);
        return false;
    }
    if (line > 0) {
        fprintf(stderr, "hvgrade: %s:%d: %s\n", path, line, r.error[0] ? r.error : "not INI");
        return false;
    }
    for (unsigned i = 0; i < lab->ntests; i++)
        if (!lab->test[i].filter[0]) {
            fprintf(stderr, "hvgrade: %s: [test %s] has no filter (the Criterion tests it runs)\n",
                    path, lab->test[i].name);
            return false;
        }
    if (!lab->number || !lab->ntests) {
        fprintf(stderr, "hvgrade: %s: a manifest needs [lab] number and at least one test\n", path);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Gradescope: results.json
 * ------------------------------------------------------------------------------------------ */
static json_t *test_result(const grade_test_t *t)
{
    return json_pack("{s:s, s:i, s:i, s:s, s:s}", "name", t->title[0] ? t->title : t->name, "score",
                     (int)t->score, "max_score", (int)t->points, "output", t->output, "visibility",
                     t->hidden ? "after_due_date" : "visible");
}

bool grade_write_results(const grade_lab_t *lab, const char *path, const char *summary)
{
    unsigned score = 0, max = 0;
    json_t *tests = json_array();
    for (unsigned i = 0; i < lab->ntests; i++) {
        score += lab->test[i].score;
        max += lab->test[i].points;
        json_array_append_new(tests, test_result(&lab->test[i]));
    }
    json_t *root = json_pack("{s:i, s:i, s:s, s:s, s:o}", "score", (int)score, "max_score",
                             (int)max, "output", summary, "visibility", "visible", "tests", tests);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    bool ok = root && json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "hvgrade: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
    }
    json_decref(root);
    return ok;
}

/* ------------------------------------------------------------------------------------------
 * GitHub Classroom: .github/workflows/classroom.yml
 * ------------------------------------------------------------------------------------------ */
/* A step id: the test's name in lower case with '-' for anything else. */
static void step_id(const char *name, char *id, size_t len)
{
    size_t n = 0;
    for (; *name && n + 1 < len; name++)
        id[n++] = (*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ? *name : '-';
    id[n] = '\0';
}

static void classroom_step(FILE *f, const grade_lab_t *lab, const grade_test_t *t)
{
    char id[64];
    step_id(t->name, id, sizeof id);
    fprintf(f, "    - name: %s\n      id: %s\n", t->name, id);
    fprintf(f, "      uses: classroom-resources/autograding-command-grader@v1\n      with:\n");
    fprintf(f, "        test-name: \"%s\"\n", t->name);
    fprintf(f, "        setup-command: \"\"\n");
    fprintf(f, "        command: \"build/hvgrade --only %s %s\"\n", t->name, lab->path);
    fprintf(f, "        timeout: %u\n        max-score: %u\n", (t->timeout + 59) / 60 + 1,
            t->points);
}

bool grade_write_classroom(const grade_lab_t *lab, const char *path)
{
    char tmp[600], id[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "hvgrade: cannot write %s: %s\n", tmp, strerror(errno));
        return false;
    }
    fprintf(f,
            "# Lab %u (%s): GitHub Classroom autograding, one step per graded test.\n"
            "# Written by `make classroom LAB=%u` from %s; do not edit, rewrite it.\n",
            lab->number, lab->title, lab->number, lab->path);
    fprintf(f, "name: Autograding Tests\n'on':\n- push\n- repository_dispatch\n"
               "permissions:\n  checks: write\n  actions: read\n  contents: read\n"
               "jobs:\n  run-autograding-tests:\n    runs-on: ubuntu-latest\n"
               "    if: github.actor != 'github-classroom[bot]'\n    steps:\n"
               "    - name: Checkout code\n      uses: actions/checkout@v4\n"
               "    - name: Build\n      run: sudo make deps-grade && make -j2 all "
               "build/hvsim-tests build/hvgrade\n");
    for (unsigned i = 0; i < lab->ntests; i++)
        if (!lab->test[i].hidden)
            classroom_step(f, lab, &lab->test[i]);
    fprintf(f, "    - name: Autograding Reporter\n"
               "      uses: classroom-resources/autograding-grading-reporter@v1\n      env:\n");
    for (unsigned i = 0; i < lab->ntests; i++) {
        if (lab->test[i].hidden)
            continue;
        step_id(lab->test[i].name, id, sizeof id);
        fprintf(f, "        ");
        for (const char *c = id; *c; c++) /* the reporter's name for it: the id in capitals */
            fputc(toupper((unsigned char)*c), f);
        fprintf(f, "_RESULTS: \"${{steps.%s.outputs.result}}\"\n", id);
    }
    fprintf(f, "      with:\n        runners: ");
    for (unsigned i = 0, n = 0; i < lab->ntests; i++)
        if (!lab->test[i].hidden) {
            step_id(lab->test[i].name, id, sizeof id);
            fprintf(f, "%s%s", n++ ? "," : "", id);
        }
    fprintf(f, "\n");
    bool ok = fclose(f) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "hvgrade: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
    }
    return ok;
}
