/*
 * test_endless_input.c - inputs that never end or are too large (suite endless_input): every
 * tool that reads a file refuses a device such as /dev/zero and caps a regular file's size,
 * with an error naming the file and the limit, a non-zero exit and no output left behind.
 * Each command runs under `timeout`, so a tool that reads without end fails its case (status
 * 124) instead of hanging the suite. Suite binary_input: messages that quote bytes of a binary
 * file show them as \xNN, never raw.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

/* Each command runs in a fresh temporary directory $T holding a.s, a 65 MiB sparse file
 * big.bin, and scenarios and a manifest that name /dev/zero. */
#define SETUP                                                                                      \
    "B=$(cd \"$B\" && pwd); T=$(mktemp -d) && trap 'rm -rf \"$T\"' EXIT && cd \"$T\" && "          \
    "printf 'halt\\n' > a.s && $B/hvasm -o a.bin a.s && truncate -s 65M big.bin && "               \
    "printf '[vm a]\\nkernel = /dev/zero\\n' > kernel.ini && "                                     \
    "printf '[vm a]\\nimage = /dev/zero\\n' > image.ini && "                                       \
    "printf '[vm a]\\nkernel = a.bin\\ninput_file = /dev/zero\\n' > input.ini && "                 \
    "printf '[vm a]\\nkernel = big.bin\\n' > bigkernel.ini && "                                    \
    "printf '[image]\\nsize = 80K\\n[partition root]\\ntype = fs\\n[file /z]\\n"                   \
    "source = /dev/zero\\n' > zero.manifest && "

static const char notreg[] = "it is not a regular file (a device or a pipe may never end)";

typedef struct {
    const char *cmd;
    const char *want; /* a substring of stdout + stderr */
} endless_case_t;

static const endless_case_t cases[] = {
    {"$B/hvsim --bare /dev/zero", "/dev/zero: error: cannot read: "},
    {"$B/hvsim --bare big.bin", "big.bin: error: cannot read: it is larger than the 64 MiB limit"},
    {"$B/hvsim --bare a.s --input /dev/zero", "hvsim: /dev/zero: cannot read console input: "},
    {"$B/hvsim --scenario kernel.ini", "kernel.ini:2: error: kernel /dev/zero: cannot read: "},
    {"$B/hvsim --scenario image.ini", "image.ini:2: error: image /dev/zero: cannot read: "},
    {"$B/hvsim --scenario input.ini",
     "input.ini:3: error: input_file = '/dev/zero': cannot read /dev/zero: "},
    {"$B/hvsim --scenario bigkernel.ini",
     "bigkernel.ini:2: error: kernel ./big.bin: cannot read: it is larger than the 64 MiB limit"},
    {"$B/hvsim --scenario /dev/zero", "/dev/zero: error: no built-in scenario of that name, "},
    {"$B/hvimg check /dev/zero", "hvimg: /dev/zero: cannot read: "},
    {"$B/hvimg build /dev/zero -o out.img", "/dev/zero: error: cannot read: "},
    {"$B/hvimg build zero.manifest -o out.img", "cannot read '/dev/zero': "},
    {"$B/hvasm /dev/zero -o out.bin", "cannot open '/dev/zero': "},
    {"$B/hvasm -d /dev/zero", "hvasm: error: cannot read '/dev/zero': "},
    {"$B/hvasm -d big.bin", "larger than the 64 MiB limit"},
};

ParameterizedTestParameters(endless_input, refused)
{
    TH_ROW_INDICES(sizeof cases / sizeof *cases);
}

ParameterizedTest(size_t *i, endless_input, refused, .timeout = 60)
{
    const endless_case_t *c = &cases[*i];
    char full[2048];
    snprintf(full, sizeof full, SETUP "{ timeout 20 %s; echo \"status $?\"; ls out.* 2>&1; }",
             c->cmd);
    int status;
    char *out = th_sh(full, true, &status);
    cr_expect(strstr(out, c->want) != NULL, "%s: want \"%s\" in:\n%s", c->cmd, c->want, out);
    if (strstr(c->cmd, "/dev/zero") && !strstr(c->cmd, "--scenario /dev/zero"))
        cr_expect(strstr(out, notreg) != NULL, "%s: want \"%s\" in:\n%s", c->cmd, notreg, out);
    cr_expect(strstr(out, "status 1\n") != NULL, "%s: want exit status 1:\n%s", c->cmd, out);
    cr_expect(strstr(out, "No such file or directory") != NULL, "%s: left output behind:\n%s",
              c->cmd, out);
    free(out);
}

/* Files with control bytes and broken UTF-8 in words that errors quote; é stays as it is. */
#define BINARY_SETUP                                                                               \
    "B=$(cd \"$B\" && pwd); T=$(mktemp -d) && trap 'rm -rf \"$T\"' EXIT && cd \"$T\" && "          \
    "printf 'halt\\n' > a.s && "                                                                   \
    "printf 'fo\\001o\\033[31m \\377caf\\303\\251\\n' > script && "                                \
    "printf '[vm a]\\nkernel = a.s\\nk\\001ey = 1\\n' > s.ini && "                                 \
    "printf '[image]\\nsize = 80K\\n[partition p\\033]\\ntype = fs\\n' > m.manifest && "

static const endless_case_t binary_cases[] = {
    {"$B/hvsim -x script --bare a.s", "script:1: Unknown command \"fo\\x01o\\x1b[31m\""},
    {"$B/hvsim --scenario s.ini", "s.ini:3: error: unknown key 'k\\x01ey'"},
    {"$B/hvimg build m.manifest -o out.img", "partition name 'p\\x1b'"},
};

ParameterizedTestParameters(binary_input, is_escaped)
{
    TH_ROW_INDICES(sizeof binary_cases / sizeof *binary_cases);
}

ParameterizedTest(size_t *i, binary_input, is_escaped, .timeout = 60)
{
    const endless_case_t *c = &binary_cases[*i];
    char full[2048];
    snprintf(full, sizeof full, BINARY_SETUP "{ %s; echo \"status $?\"; }", c->cmd);
    int status;
    char *out = th_sh(full, true, &status);
    cr_expect(strstr(out, c->want) != NULL, "%s: want \"%s\" in:\n%s", c->cmd, c->want, out);
    cr_expect(strpbrk(out, "\001\033\377") == NULL, "%s: raw bytes in:\n%s", c->cmd, out);
    cr_expect(strstr(out, "status 0\n") == NULL, "%s: exit status 0:\n%s", c->cmd, out);
    free(out);
}
