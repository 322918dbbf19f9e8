/*
 * test_lab1_hidden.c - lab 1's hidden test (labs/01-trap/lab.ini: hidden = true): left out of
 * the students' handout, run by the instructor and on Gradescope after the due date.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "lab_util.h"

/* Deterministic: the trap scenario twice gives the same transcript, exits and cycles. */
Test(lab1, two_runs_are_identical, .timeout = 60)
{
    char *a = lu_fingerprint("trap"), *b = lu_fingerprint("trap");
    cr_expect_str_eq(a, b, "two runs of the trap scenario differ");
    free(a);
    free(b);
}
