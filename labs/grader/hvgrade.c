/*
 * hvgrade.c - the lab grader: `make grade LAB=N` runs build/hvgrade on labs/NN-name/lab.ini.
 *
 * Each graded test of the manifest runs as its own process, build/hvsim-tests --filter F,
 * under a watchdog: a student's handler that loops costs that test (killed at its time limit),
 * one that crashes or corrupts memory costs that test (Criterion reports the signal), and the
 * others still run. A test whose parent failed is not run and scores 0, saying which parent.
 * Per test a line `title ..... OK|FAIL (1.2s)  p/P`, the failure's details indented, the hint
 * and the commands to watch it; then the part scores and `Score: N/M` (the model is MIT
 * 6.1810's make grade; points, parents and time limits are OS/161's test161). The exit status
 * is 0 at full marks only. The same run writes Gradescope's results.json.
 *
 *   hvgrade [--build DIR] [--results FILE] [--only TEST] [--check-handout] MANIFEST
 *   hvgrade --classroom FILE MANIFEST
 *   hvgrade --failed-build LOG --results FILE MANIFEST
 *
 * --failed-build writes the results of a submission that does not compile: every test 0, the
 * compiler's last lines as the output (Gradescope's run_autograder, labs/gradescope.sh).
 * --check-handout grades a fresh handout: the exit status is 0 when every test failed or
 * passed as its manifest's `handout` says and the score is below full marks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grade.h"

#define LINE_WIDTH 74

typedef struct {
    const char *build;   /* the build directory: hvsim-tests and the guests */
    const char *results; /* results.json, or NULL */
    const char *only;    /* one test (GitHub Classroom's steps), or NULL */
    const char *classroom;
    const char *failed_build; /* the log of a submission that did not compile */
    bool check_handout;
} options_t;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------------------------
 * Running one test
 * ------------------------------------------------------------------------------------------ */
/* Starts hvsim-tests on the filter in a process group of its own, its output to `out`. */
static pid_t start(const options_t *o, const grade_test_t *t, FILE *out)
{
    char bin[600], timeout[16];
    snprintf(bin, sizeof bin, "%s/hvsim-tests", o->build);
    snprintf(timeout, sizeof timeout, "%u", t->timeout);
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    dup2(fileno(out), 1);
    dup2(fileno(out), 2);
    setenv("HVSIM_BUILD", o->build, 1);
    setenv("DISPLAY", "", 1);
    setenv("WAYLAND_DISPLAY", "", 1);
    setenv("LANG", "C", 1);
    unsetenv("BXFI_MAP"); /* run from a Criterion test, the tests would take it for their own */
    execl(bin, bin, "--filter", t->filter, "--jobs", "1", "--timeout", timeout, "--color=never",
          "-S", (char *)NULL);
    fprintf(stderr, "hvgrade: cannot run %s: %s (make grade builds it)\n", bin, strerror(errno));
    _exit(127);
}

/* Waits for it, at most the test's time limit and a grace second; then kills the group. */
static int finish(pid_t pid, const grade_test_t *t, bool *killed)
{
    double deadline = now_seconds() + t->timeout + 1.0;
    int status = 0;
    *killed = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (now_seconds() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            *killed = true;
            break;
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return status;
}

static void add_output(grade_test_t *t, const char *line)
{
    size_t used = strlen(t->output);
    snprintf(t->output + used, sizeof t->output - used, "%s\n", line);
}

/* One line of Criterion's report as a sentence for the student, or NULL when it says nothing
 * to them (the assertion's location, a blank, the FAIL line itself). */
static const char *sentence(const char *line)
{
    if (!strncmp(line, "hvsim: LAB ", 11)) /* a stub of the handout ran (hv_lab.c) */
        return line + 7;
    if (strncmp(line, "[----]", 6) && strncmp(line, "[FAIL]", 6))
        return NULL;
    const char *text = line + 6;
    while (*text == ' ')
        text++;
    if (strstr(text, "CRASH"))
        return "the test crashed (a signal, such as SIGSEGV): the code under test used a bad "
               "pointer or corrupted memory";
    if (strstr(text, "Timed out"))
        return "the test ran out of its time limit: a loop that never ends?";
    if (!*text || strstr(text, "Assertion Failed") || strstr(text, "Unexpected signal") ||
        !strncmp(line, "[FAIL]", 6))
        return NULL;
    return text;
}

/* True when the output has this line already. */
static bool said_already(const grade_test_t *t, const char *text)
{
    size_t n = strlen(text);
    for (const char *p = t->output; (p = strstr(p, text)) != NULL; p += n)
        if ((p == t->output || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

/* Criterion's report: the counts of its synthesis line, the sentences into t->output. */
static void read_report(grade_test_t *t, FILE *out, unsigned *tested, unsigned *failing)
{
    char line[1024];
    unsigned shown = 0;
    rewind(out);
    while (fgets(line, sizeof line, out)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned a, b, c, d;
        if (sscanf(line, "[====] Synthesis: Tested: %u | Passing: %u | Failing: %u | Crashing: %u",
                   &a, &b, &c, &d) == 4) {
            *tested = a, *failing = c + d;
            continue;
        }
        const char *text = sentence(line);
        if (text && said_already(t, text))
            continue; /* each case of a parameterized test may say it again */
        if (text && ++shown <= 8)
            add_output(t, text);
        else if (text && shown == 9)
            add_output(t, "(and more: run the test itself, docs/labs.md says how)");
    }
}

/* Runs one test and fills in its result. */
static void run_test(const options_t *o, grade_test_t *t)
{
    FILE *out = tmpfile();
    unsigned tested = 0, failing = 0;
    bool killed;
    t->ran = true;
    if (!out) {
        snprintf(t->output, sizeof t->output, "hvgrade: no temporary file: %s\n", strerror(errno));
        return;
    }
    double t0 = now_seconds();
    pid_t pid = start(o, t, out);
    int status = pid > 0 ? finish(pid, t, &killed) : -1;
    t->seconds = now_seconds() - t0;
    if (pid > 0 && killed)
        snprintf(t->output, sizeof t->output,
                 "killed after its time limit of %u s: the code under test loops or waits for "
                 "ever\n",
                 t->timeout);
    read_report(t, out, &tested, &failing);
    fclose(out);
    if (pid > 0 && !killed && WIFSIGNALED(status))
        add_output(t, "the tests' process died of a signal: the code under test crashed it");
    else if (pid > 0 && !killed && WIFEXITED(status) && WEXITSTATUS(status) == 127 && !tested)
        add_output(t, "hvgrade could not start build/hvsim-tests (make grade builds it)");
    else if (pid > 0 && !killed && !tested)
        add_output(t, "no test matched its filter: the manifest is wrong");
    t->ok =
        pid > 0 && !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0 && tested && !failing;
    t->score = t->ok ? t->points : 0;
}

/* ------------------------------------------------------------------------------------------
 * The report
 * ------------------------------------------------------------------------------------------ */
static void print_indented(const char *label, const char *text)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (first && label)
            printf("    %s: %.*s\n", label, (int)n, p);
        else
            printf("    %s%.*s\n", label ? "      " : "", (int)n, p);
        first = false;
        p += n + (p[n] == '\n');
    }
}

static void print_result(const grade_test_t *t)
{
    const char *title = t->title[0] ? t->title : t->name;
    int dots = LINE_WIDTH - (int)strlen(title) - 1;
    printf("%s %.*s %s (%.1fs)  %u/%u\n", title, dots > 2 ? dots : 2,
           "..............................................................................",
           t->ok ? "OK  " : "FAIL", t->seconds, t->score, t->points);
    if (t->ok)
        return;
    print_indented(NULL, t->output);
    if (t->hint[0])
        print_indented("hint", t->hint);
    if (t->see[0])
        print_indented("see it", t->see);
}

/* A parent that failed (or was not run): the test is not run and scores 0. */
static const grade_test_t *failed_parent(grade_lab_t *lab, const grade_test_t *t)
{
    for (unsigned d = 0; d < t->ndeps; d++) {
        const grade_test_t *p = grade_find(lab, t->deps[d]);
        if (p && !p->ok)
            return p;
    }
    return NULL;
}

/* Runs the tests (all, or `only` and the parents it needs) and prints each. */
static void run_all(const options_t *o, grade_lab_t *lab)
{
    grade_test_t *only = o->only ? grade_find(lab, o->only) : NULL;
    for (unsigned i = 0; i < lab->ntests; i++) {
        grade_test_t *t = &lab->test[i];
        bool needed = !only || t == only;
        for (unsigned d = 0; only && d < only->ndeps && !needed; d++)
            needed = !strcmp(only->deps[d], t->name);
        if (!needed)
            continue;
        const grade_test_t *parent = failed_parent(lab, t);
        if (parent)
            snprintf(t->output, sizeof t->output, "not run: it needs \"%s\", which failed\n",
                     parent->title[0] ? parent->title : parent->name);
        else
            run_test(o, t);
        print_result(t);
    }
}

/* Part scores, the total, and the summary results.json opens with. */
static void print_scores(const grade_lab_t *lab, unsigned *score, unsigned *max, char *summary,
                         size_t len)
{
    char parts[GRADE_MAX_TESTS][16];
    unsigned nparts = 0;
    *score = *max = 0;
    for (unsigned i = 0; i < lab->ntests; i++) {
        unsigned p = 0;
        while (p < nparts && strcmp(parts[p], lab->test[i].part))
            p++;
        if (p == nparts)
            snprintf(parts[nparts++], sizeof parts[0], "%s", lab->test[i].part);
        *score += lab->test[i].score;
        *max += lab->test[i].points;
    }
    for (unsigned p = 0; nparts > 1 && p < nparts; p++) {
        unsigned s = 0, m = 0;
        for (unsigned i = 0; i < lab->ntests; i++)
            if (!strcmp(parts[p], lab->test[i].part))
                s += lab->test[i].score, m += lab->test[i].points;
        printf("Part %s score: %u/%u\n", parts[p], s, m);
    }
    printf("Score: %u/%u\n", *score, *max);
    snprintf(summary, len, "Lab %u (%s): %u/%u", lab->number, lab->title, *score, *max);
}

/* A fresh handout must fail the lab's tests and pass the ones that test what it keeps. */
static bool check_handout(const grade_lab_t *lab, unsigned score, unsigned max)
{
    bool good = score < max;
    if (!good)
        printf("handout check: the handout scores full marks: its stubs change nothing\n");
    for (unsigned i = 0; i < lab->ntests; i++) {
        const grade_test_t *t = &lab->test[i];
        if (t->ok != t->handout_passes) {
            printf("handout check: \"%s\" %s in the handout, the manifest says it %s\n", t->name,
                   t->ok ? "passes" : "fails", t->handout_passes ? "passes" : "fails");
            good = false;
        }
    }
    printf("handout check: %s\n", good ? "as expected" : "NOT as expected");
    return good;
}

/* A submission that does not compile: every test scores 0, with the compiler's last lines. */
static int failed_build(grade_lab_t *lab, const options_t *o)
{
    char lines[40][256], summary[256];
    unsigned n = 0;
    FILE *f = fopen(o->failed_build, "r");
    while (f && fgets(lines[n % 40], sizeof lines[0], f))
        n++;
    if (f)
        fclose(f);
    for (unsigned i = 0; i < lab->ntests; i++) {
        grade_test_t *t = &lab->test[i];
        snprintf(t->output, sizeof t->output, "the submission does not compile:\n");
        for (unsigned k = n > 40 ? n - 40 : 0; k < n; k++)
            strncat(t->output, lines[k % 40], sizeof t->output - strlen(t->output) - 1);
    }
    snprintf(summary, sizeof summary, "Lab %u: the submission does not compile; score 0",
             lab->number);
    printf("%s\n", summary);
    return o->results && grade_write_results(lab, o->results, summary) ? 1 : 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: hvgrade [--build DIR] [--results FILE] [--only TEST] "
                    "[--check-handout] MANIFEST\n       hvgrade --classroom FILE MANIFEST\n"
                    "       hvgrade --failed-build LOG --results FILE MANIFEST\n");
    return 2;
}

static bool parse_options(int argc, char **argv, options_t *o, const char **manifest)
{
    *o = (options_t){.build = "build"};
    *manifest = NULL;
    for (int i = 1; i < argc; i++) {
        const char **value = !strcmp(argv[i], "--build")          ? &o->build
                             : !strcmp(argv[i], "--results")      ? &o->results
                             : !strcmp(argv[i], "--only")         ? &o->only
                             : !strcmp(argv[i], "--classroom")    ? &o->classroom
                             : !strcmp(argv[i], "--failed-build") ? &o->failed_build
                                                                  : NULL;
        if (value && i + 1 < argc)
            *value = argv[++i];
        else if (!strcmp(argv[i], "--check-handout"))
            o->check_handout = true;
        else if (argv[i][0] != '-' && !*manifest)
            *manifest = argv[i];
        else
            return false;
    }
    return *manifest != NULL;
}

int main(int argc, char **argv)
{
    options_t o;
    const char *manifest;
    static grade_lab_t lab;
    if (!parse_options(argc, argv, &o, &manifest))
        return usage();
    if (!grade_read_manifest(manifest, &lab))
        return 2;
    if (o.classroom)
        return grade_write_classroom(&lab, o.classroom) ? 0 : 1;
    if (o.failed_build)
        return failed_build(&lab, &o);
    if (o.only && !grade_find(&lab, o.only)) {
        fprintf(stderr, "hvgrade: %s has no test named '%s'\n", manifest, o.only);
        return 2;
    }
    printf("== lab %u: %s ==\n", lab.number, lab.title);
    run_all(&o, &lab);
    if (o.only) {
        const grade_test_t *t = grade_find(&lab, o.only);
        return t->ok ? 0 : 1;
    }
    unsigned score, max;
    char summary[256];
    print_scores(&lab, &score, &max, summary, sizeof summary);
    if (o.results && !grade_write_results(&lab, o.results, summary))
        return 1;
    if (o.check_handout)
        return check_handout(&lab, score, max) ? 0 : 1;
    return score == max ? 0 : 1;
}
