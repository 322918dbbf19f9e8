/*
 * test_docs.c - every command that README.md and the pages in docs/ show is run, and its output
 * checked, so that the documentation stays current.
 *
 * What counts as a command: every line of a ```sh block (a trailing "# comment" is dropped),
 * and in any other fenced block a line that starts with build/hvsim, build/hvasm, build/hvimg,
 * hvsim, hvasm or hvimg (a description after two spaces is dropped). A block that starts with
 * "$ hvsim ..." and goes on with "(hvsim) COMMAND" lines is a debugger session: its commands
 * are fed to it and what it prints must be exactly what the page shows (the VMs' console lines,
 * which the pages leave out, aside). A line with placeholders (FILE.ini, MANIFEST) is a
 * synopsis, and `make` and `--gui` lines start a build or a window that waits for a person:
 * those are listed in the transcript as not run.
 *
 * Each page's commands run in order in one fresh temporary directory (with build, examples and
 * tests linked into it), so whatever they write is left nowhere; each file they write must be
 * one .gitignore covers, for a student who runs them in a checkout. The transcript of a page ("$
 * command", its output with stderr, a non-zero exit status) is compared with
 * tests/data/docs/PAGE.out; HVSIM_UPDATE_GOLDEN=1 rewrites it (review the diff).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"

static const char *const pages[] = {
    "README.md",          "docs/containers.md",  "docs/cycle-model.md", "docs/debugger.md",
    "docs/disk-image.md", "docs/experiments.md", "docs/fuzzing.md",     "docs/guests.md",
    "docs/hypervisor.md", "docs/interpreter.md", "docs/io.md",          "docs/isa.md",
    "docs/labs.md",       "docs/memory.md",      "docs/migration.md",   "docs/snapshot.md",
};
#define NPAGES (sizeof pages / sizeof pages[0])

/* A growing string. */
typedef struct {
    char *s;
    size_t len;
} text_t;

static void add(text_t *t, const char *s, size_t n)
{
    t->s = realloc(t->s, t->len + n + 1);
    cr_assert_not_null(t->s);
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void adds(text_t *t, const char *s)
{
    add(t, s, strlen(s));
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A word like FILE.ini, MANIFEST, IMG or OUT.img, or an optional part in brackets: something
 * the reader fills in or chooses. */
static bool has_placeholder(const char *cmd)
{
    if (strstr(cmd, " ["))
        return true;
    for (const char *w = cmd; *w;) {
        size_t n = strcspn(w, " |[]");
        size_t caps = 0;
        while (caps < n && (isupper((unsigned char)w[caps]) || w[caps] == '_'))
            caps++;
        if (caps >= 3 && (caps == n || w[caps] == '.'))
            return true;
        w += n;
        w += strspn(w, " |[]");
    }
    return false;
}

/* The command of a line of a ```sh block (NULL: none): its text before a "  # comment". */
static char *sh_command(const char *line)
{
    if (!line[0] || line[0] == '#')
        return NULL;
    const char *hash = strstr(line, "  #");
    size_t n = hash ? (size_t)(hash - line) : strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    return strndup(line, n);
}

/* The command of a line of another block (NULL: none): a tool's name first, and a description
 * after two spaces dropped. */
static char *listed_command(const char *line)
{
    static const char *const tools[] = {"build/hvsim", "build/hvasm", "build/hvimg",
                                        "hvsim ",      "hvasm ",      "hvimg "};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (starts(line, tools[i])) {
            const char *gap = strstr(line, "  ");
            return strndup(line, gap ? (size_t)(gap - line) : strlen(line));
        }
    return NULL;
}

/* Why a command is not run, or NULL. */
static const char *not_run(const char *cmd)
{
    if (starts(cmd, "make "))
        return "a build target: the test suite runs inside one";
    if (strstr(cmd, "--gui"))
        return "it opens a window that waits for a person";
    if (has_placeholder(cmd))
        return "a synopsis: the reader fills in its capitals and chooses its [options]";
    return NULL;
}

/* Runs cmd in dir, adding "$ cmd", its output and a non-zero status to the transcript. */
static void run(text_t *t, const char *dir, const char *cmd, const char *input)
{
    char line[200];
    adds(t, "---- $ ");
    adds(t, cmd);
    adds(t, "\n");
    const char *why = not_run(cmd);
    if (why) {
        snprintf(line, sizeof line, "(not run: %s)\n", why);
        adds(t, line);
        return;
    }
    char sh[1024];
    snprintf(sh, sizeof sh, "cd %s && PATH=%s/build:$PATH; export PATH; %s%s%s 2>&1", dir, dir,
             input ? "printf '%s' \"$IN\" | " : "", cmd, input ? "" : " </dev/null");
    if (input)
        setenv("IN", input, 1);
    int status;
    char *out = th_sh(sh, false, &status);
    adds(t, out);
    if (status != 0) {
        snprintf(line, sizeof line, "[exit status %d]\n", status);
        adds(t, line);
    }
    free(out);
}

/* Whether the session's lines match the page's, where a page line "..." stands for any number
 * of lines (the page leaves them out). */
static bool lines_match(char **page, size_t np, char **got, size_t ng)
{
    if (np == 0)
        return ng == 0;
    if (strcmp(page[0] + strspn(page[0], " "), "...") == 0) {
        for (size_t skip = 0; skip <= ng; skip++)
            if (lines_match(page + 1, np - 1, got + skip, ng - skip))
                return true;
        return false;
    }
    return ng > 0 && strcmp(page[0], got[0]) == 0 && lines_match(page + 1, np - 1, got + 1, ng - 1);
}

static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < max;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    return n;
}

/* A debugger session shown on the page: what it prints is what the page shows (where the page
 * writes "...", lines are left out), but the VMs' console lines (which the pages leave out),
 * the banner a terminal gets and the exit status. */
static void run_session(text_t *t, const char *dir, const char *page, char **lines, size_t n)
{
    text_t input = {0}, want = {0};
    for (size_t i = 1; i < n; i++) {
        if (starts(lines[i], "(hvsim) ")) {
            adds(&input, lines[i] + 8);
            adds(&input, "\n");
        } else if (!starts(lines[i], "hvsim debugger: ")) {
            adds(&want, lines[i]);
            adds(&want, "\n");
        }
    }
    text_t got = {0};
    run(&got, dir, lines[0] + 2, input.s);
    text_t kept = {0};
    for (char *save = NULL, *l = strtok_r(strchr(got.s, '\n') + 1, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '[' && !starts(l, "[cpu") && strchr(l, ']') && strchr(l, ']')[1] == ' ')
            continue; /* "[tinyos] ...": a VM's console */
        if (starts(l, "[exit status "))
            continue;
        adds(&kept, l);
        adds(&kept, "\n");
    }
    adds(&kept, "");
    adds(&want, "");
    char *shown = strdup(want.s), *printed = strdup(kept.s), *pl[400], *gl[1000];
    size_t np = split_lines(want.s, pl, 400), ng = split_lines(kept.s, gl, 1000);
    cr_expect(lines_match(pl, np, gl, ng),
              "%s: the session `%s` prints otherwise than the page shows:\n--- the page\n"
              "%s--- the session\n%s",
              page, lines[0], shown, printed);
    free(shown);
    free(printed);
    adds(t, "---- ");
    adds(t, lines[0]);
    adds(t, "\n(a session: what it prints is checked against the page)\n");
    free(input.s);
    free(want.s);
    free(got.s);
    free(kept.s);
}

/* One fenced block of a page: its commands, run. */
static void run_block(text_t *t, const char *dir, const char *page, const char *lang, char **lines,
                      size_t n)
{
    bool session = false;
    for (size_t i = 1; i < n; i++)
        session |= starts(lines[i], "(hvsim) ");
    if (session && starts(lines[0], "$ hvsim")) {
        run_session(t, dir, page, lines, n);
        return;
    }
    if (n > 0 && starts(lines[0], "$ hvsim") && strcmp(lang, "sh") != 0) {
        char *cmd = strdup(lines[0] + 2);
        run(t, dir, cmd, NULL);
        free(cmd);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *cmd = strcmp(lang, "sh") == 0 ? sh_command(lines[i]) : listed_command(lines[i]);
        if (cmd)
            run(t, dir, cmd, NULL);
        free(cmd);
    }
}

/* The transcript of every command of a page. */
static char *page_transcript(const char *page, const char *dir)
{
    size_t len;
    char *text = sim_read_file(page, &len);
    cr_assert_not_null(text, "%s", page);
    text_t t = {0};
    adds(&t, "");
    char *lines[400], lang[16] = "";
    size_t n = 0;
    bool in_block = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (starts(l, "```")) {
            if (in_block)
                run_block(&t, dir, page, lang, lines, n);
            snprintf(lang, sizeof lang, "%s", l + 3);
            in_block = !in_block;
            n = 0;
        } else if (in_block && n < sizeof lines / sizeof lines[0]) {
            lines[n++] = l;
        }
    }
    free(text);
    return t.s;
}

ParameterizedTestParameters(docs, every_command_shown_is_current)
{
    TH_ROW_INDICES(NPAGES);
}

ParameterizedTest(size_t *row, docs, every_command_shown_is_current, .timeout = 240)
{
    const char *page = pages[*row];
    char dir[] = "/tmp/hvsim-docs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    int status;
    char *cwd = getcwd(NULL, 0), *b = th_sh("cd $B && pwd | tr -d '\\n'", false, &status);
    char sh[2048];
    cr_assert(cwd && b);
    snprintf(sh, sizeof sh,
             "ln -s %s %s/build && for d in examples tests guestos docs; do "
             "ln -s %s/$d %s/$d; done",
             b, dir, cwd, dir);
    free(th_sh(sh, true, &status));
    cr_assert_eq(status, 0);
    char *got = page_transcript(page, dir);
    snprintf(sh, sizeof sh,
             "git rev-parse 2>/dev/null || exit 0; for f in $(cd %s && find . "
             "-mindepth 1 -maxdepth 1 ! -type l); do git check-ignore -q \"$f\" || "
             "echo \"$f\"; done; rm -rf %s",
             dir, dir);
    char *untracked = th_sh(sh, true, &status);
    cr_expect_str_eq(untracked, "", "%s: its commands leave files .gitignore does not cover:\n%s",
                     page, untracked);
    free(untracked);

    char golden[256];
    snprintf(golden, sizeof golden, "tests/data/docs/%s.out",
             strrchr(page, '/') ? strrchr(page, '/') + 1 : page);
    th_expect_golden(golden, got, page);
    free(got);
    free(cwd);
    free(b);
}

/* Every page is in the table above, so a new one is not left out. */
Test(docs, every_page_is_checked)
{
    DIR *d = opendir("docs");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 3, ".md") != 0)
            continue;
        char path[300];
        snprintf(path, sizeof path, "docs/%s", e->d_name);
        bool found = false;
        for (size_t i = 0; i < NPAGES; i++)
            found |= strcmp(pages[i], path) == 0;
        cr_expect(found, "%s is not in test_docs.c's pages", path);
    }
    closedir(d);
}

/* The rules above, on lines of the kinds the pages use. */
Test(docs, what_counts_as_a_command)
{
    char *c = sh_command("build/hvsim --bare examples/hello.s            # Hello, world!");
    cr_expect_str_eq(c, "build/hvsim --bare examples/hello.s");
    free(c);
    c = listed_command("hvsim --scenario native-rtos       rtos on bare hardware");
    cr_expect_str_eq(c, "hvsim --scenario native-rtos");
    free(c);
    cr_expect_null(listed_command("  id  name       state"));
    cr_expect(has_placeholder("hvimg build MANIFEST -o OUT.img"));
    cr_expect(has_placeholder("hvsim --scenario FILE.ini"));
    cr_expect(!has_placeholder("build/hvsim --scenario native-tinyos --trace-out t.json"));
    cr_expect(!has_placeholder("build/hvsim walkdemo --guest-levels 4 --nested-levels 4"));
    cr_expect(has_placeholder("hvimg rules [--markdown]"));
    cr_expect_str_eq(not_run("make test"), "a build target: the test suite runs inside one");
}
