/*
 * grade.h - the lab grader (build/hvgrade, make grade LAB=N): what its files share. A lab's
 * manifest (labs/NN-name/lab.ini) names its tests, each a Criterion test (or a set of them,
 * by filter) of build/hvsim-tests with its points, part, time limit, parents, hint and the
 * commands to see it happen; grade_manifest.c reads it and writes what the grading gives
 * (Gradescope's results.json, a GitHub Classroom workflow); hvgrade.c runs the tests.
 */
#ifndef HVSIM_GRADE_H
#define HVSIM_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#define GRADE_MAX_TESTS 48
#define GRADE_MAX_DEPS 4
#define GRADE_TEXT 1024

typedef struct {
    char name[64];    /* the [test NAME] of the manifest */
    char title[160];  /* what a student reads */
    char part[16];    /* the part its points count in (A, B, ...) */
    char filter[160]; /* Criterion's --filter: which tests of hvsim-tests it runs */
    char hint[GRADE_TEXT];
    char see[GRADE_TEXT]; /* how to watch it in the REPL or the window */
    char deps[GRADE_MAX_DEPS][64];
    unsigned ndeps;
    unsigned points;
    unsigned timeout;    /* seconds */
    bool hidden;         /* left out of the handout; after the due date on Gradescope */
    bool handout_passes; /* a fresh handout passes it (it tests what the lab keeps) */
    /* what the run gave */
    bool ran, ok;
    unsigned score;
    double seconds;
    char output[4 * GRADE_TEXT]; /* the failure's details, for the student */
} grade_test_t;

typedef struct {
    char path[512];
    unsigned number;
    char title[128];
    char readme[256];
    char files[512]; /* what the student edits (Gradescope copies these in) */
    grade_test_t test[GRADE_MAX_TESTS];
    unsigned ntests;
} grade_lab_t;

/* Reads a manifest. On an error it prints "FILE:LINE: what" to stderr and returns false. */
bool grade_read_manifest(const char *path, grade_lab_t *lab);
/* The test named `name`, or NULL. */
grade_test_t *grade_find(grade_lab_t *lab, const char *name);
/* Writes Gradescope's results.json (through a temporary file and a rename); false, with a
 * message on stderr, when it cannot. */
bool grade_write_results(const grade_lab_t *lab, const char *path, const char *summary);
/* Writes the GitHub Classroom workflow of the lab (one step per test, with its points). */
bool grade_write_classroom(const grade_lab_t *lab, const char *path);

#endif
