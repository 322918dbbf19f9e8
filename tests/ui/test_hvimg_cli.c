/*
 * test_hvimg_cli.c - the hvimg command as a student runs it (suite hvimg_cli): build, ls, cat
 * and check round trips; corrupt images; help, usage errors and their exit statuses; a failed
 * build leaving nothing behind; and the rule table of docs/disk-image.md matching the code.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

/* Every command runs in a fresh temporary directory $T holding good.img, built from
 * tests/data/images/good.ini; $D is the data directory. */
#define SETUP                                                                                      \
    "B=$(cd \"$B\" && pwd); D=\"$PWD/tests/data/images\"; T=$(mktemp -d) && "                 \
    "trap 'rm -rf \"$T\"' EXIT && "                                                                \
    "$B/hvimg build \"$D/good.ini\" -o \"$T/good.img\" && "

static char *run(const char *cmd, bool merge, int *status)
{
    char full[2048];
    snprintf(full, sizeof full, SETUP "{ %s; }", cmd);
    return th_sh(full, merge, status);
}

static const struct {
    const char *cmd;
    int status;
    const char *want; /* a substring of stdout + stderr */
} cases[] = {
    /* help and usage */
    {"$B/hvimg --help", 0, "usage: hvimg build MANIFEST -o OUT.img"},
    {"$B/hvimg --help", 0, "Exit status:"},
    {"$B/hvimg build --help", 0, "usage: hvimg build MANIFEST -o OUT.img\n\nBuilds"},
    {"$B/hvimg ls --help", 0, "usage: hvimg ls IMG [PATH]"},
    {"$B/hvimg cat --help", 0, "usage: hvimg cat IMG PATH"},
    {"$B/hvimg check --help", 0, "usage: hvimg check IMG"},
    {"$B/hvimg rules --help", 0, "usage: hvimg rules [--markdown]"},
    {"$B/hvimg --version", 0, "hvimg 0.1"},
    {"$B/hvimg", 2, "hvimg: no command\nusage: hvimg build"},
    {"$B/hvimg frob", 2, "hvimg: unknown command 'frob'"},
    {"$B/hvimg build \"$D/good.ini\"", 2, "hvimg: build: no output: give -o OUT.img"},
    {"$B/hvimg build -o \"$T/x.img\"", 2, "hvimg: build: no manifest"},
    {"$B/hvimg build \"$D/good.ini\" -o", 2, "hvimg: build: -o needs a file name"},
    {"$B/hvimg build \"$D/good.ini\" -x -o \"$T/x.img\"", 2, "unknown option '-x'"},
    {"$B/hvimg build a.ini b.ini -o \"$T/x.img\"", 2, "unexpected argument 'b.ini'"},
    {"$B/hvimg ls", 2, "hvimg: ls: no image"},
    {"$B/hvimg ls a b c", 2, "hvimg: ls: too many arguments"},
    {"$B/hvimg cat \"$T/good.img\"", 2, "hvimg: cat: give an image and a path"},
    {"$B/hvimg check", 2, "hvimg: check: no image"},
    {"$B/hvimg rules --html", 2, "unexpected argument '--html'"},
    /* missing files and paths */
    {"$B/hvimg check \"$T/none.img\"", 1, "none.img: cannot read: No such file or directory"},
    {"$B/hvimg ls \"$T/none.img\"", 1, "cannot read"},
    {"$B/hvimg build \"$T/none.ini\" -o \"$T/x.img\"", 1,
     "none.ini: error: cannot read: No such file or directory"},
    {"$B/hvimg cat \"$T/good.img\" /nope", 1, "good.img: '/nope': no such file or directory"},
    {"$B/hvimg cat \"$T/good.img\" /bin", 1, "good.img: '/bin': is a directory"},
    {"$B/hvimg cat \"$T/good.img\" /kernel/x", 1, "'/kernel/x': not a directory"},
    {"$B/hvimg cat \"$T/good.img\" nope:/x", 1, "'nope:/x': no such file-system partition"},
    {"$B/hvimg ls \"$T/good.img\" /nope", 1, "'root:/nope': no such file or directory"},
    /* round trip */
    {"$B/hvimg check \"$T/good.img\"", 0, "/good.img: ok (2 partitions, 4 files, 11 directories)\n"},
    {"$B/hvimg cat \"$T/good.img\" /bin/hello", 0, "hello from the image\n"},
    {"$B/hvimg cat \"$T/good.img\" /kernel | cmp - \"$D/files/kernel.bin\" && echo same", 0,
     "same"},
    {"$B/hvimg cat \"$T/good.img\" root:/a/b/c/d/e/f/g/h/deep.txt", 0, "deep file\n"},
    {"$B/hvimg cat \"$T/good.img\" /bin/empty | wc -c", 0, "0\n"},
    {"$B/hvimg cat \"$T/good.img\" boot: | wc -c", 0, "512\n"},
    {"$B/hvimg cat \"$T/good.img\" boot: | head -c 10", 0, "BOOTLOADER"},
    {"$B/hvimg ls \"$T/good.img\" /bin", 0,
     "root: 4 files, 11 directories; sectors 1..16 of 158 in use\n"
     "    sector       bytes  path\n"
     "         2          96  /bin/\n"
     "        15          21  /bin/hello\n"
     "        16           0  /bin/empty\n"},
    {"$B/hvimg ls \"$T/good.img\" boot:", 0, "  0  boot             boot         1         1\n"},
    /* corrupt images: the message names the offset and the rule */
    {"printf 'XXXX' | dd of=\"$T/good.img\" conv=notrunc 2>/dev/null; $B/hvimg check "
     "\"$T/good.img\"", 1, "good.img: offset 0x0: rule P1: the partition table magic is "
     "0x58585858"},
    {"truncate -s 5000 \"$T/good.img\"; $B/hvimg check \"$T/good.img\"", 1,
     "good.img: offset 0x1388: rule I1: the image is 5000 bytes: not a whole number of 512-byte "
     "sectors (truncated?)\n"},
    {"printf '\\377\\377' | dd of=\"$T/good.img\" bs=1 seek=$((0x63c)) conv=notrunc 2>/dev/null;"
     " $B/hvimg check \"$T/good.img\"", 1,
     "good.img: offset 0x63c: rule E5: '/kernel' is 65535 bytes (128 sectors) from sector 12: "
     "it ends past the data end (sector 17)\n"},
    {"printf '\\004' | dd of=\"$T/good.img\" bs=1 seek=$((0xc38)) conv=notrunc 2>/dev/null;"
     " $B/hvimg ls \"$T/good.img\"", 1, "rule D6: directory '/a/b' points to sector 4, inside "
     "'/a'"},
    {"printf '!' | dd of=\"$T/good.img\" bs=1 seek=$((0x841)) conv=notrunc 2>/dev/null;"
     " $B/hvimg cat \"$T/good.img\" /kernel", 1, "rule E1:"},
};

Test(hvimg_cli, commands)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status;
        char *out = run(cases[i].cmd, true, &status);
        cr_expect_eq(status, cases[i].status, "%s: exit %d, want %d; output:\n%s", cases[i].cmd,
                     status, cases[i].status, out);
        cr_expect_not_null(strstr(out, cases[i].want), "%s: output\n%s\nlacks\n%s", cases[i].cmd,
                           out, cases[i].want);
        free(out);
    }
}

Test(hvimg_cli, ls_lists_the_table_and_the_tree)
{
    int status;
    char *out = run("cd \"$T\" && $B/hvimg ls good.img", false, &status);
    cr_expect_eq(status, 0);
    cr_expect_str_eq(out,
                     "good.img: 160 sectors (81920 bytes), 2 partitions, 4 files, 11 directories\n"
                     "  #  name             type     first   sectors\n"
                     "  0  boot             boot         1         1\n"
                     "  1  root             fs           2       158\n"
                     "\n"
                     "root: 4 files, 11 directories; sectors 1..16 of 158 in use\n"
                     "    sector       bytes  path\n"
                     "         1         160  /\n"
                     "        12        1500  /kernel\n"
                     "         2          96  /bin/\n"
                     "        15          21  /bin/hello\n"
                     "        16           0  /bin/empty\n"
                     "         3          32  /home/\n"
                     "         4          64  /a/\n"
                     "         5          64  /a/b/\n"
                     "         6          64  /a/b/c/\n"
                     "         7          64  /a/b/c/d/\n"
                     "         8          64  /a/b/c/d/e/\n"
                     "         9          64  /a/b/c/d/e/f/\n"
                     "        10          64  /a/b/c/d/e/f/g/\n"
                     "        11          64  /a/b/c/d/e/f/g/h/\n"
                     "        16          10  /a/b/c/d/e/f/g/h/deep.txt\n");
    free(out);
}

/* A failed build writes nothing: the old output stays, and no temporary file is left. */
Test(hvimg_cli, failed_build_leaves_nothing_behind)
{
    int status;
    char *out = run("cd \"$T\" && printf 'old' > out.img && "
                    "printf '[partition root]\\ntype = fs\\n[file /x]\\nsource = none\\n' > m.ini "
                    "&& $B/hvimg build m.ini -o out.img; echo \"status $?\"; cat out.img; echo; "
                    "ls -A",
                    true, &status);
    cr_expect_str_eq(out, "m.ini:4: error: cannot read 'none': No such file or directory\n"
                          "status 1\nold\ngood.img\nm.ini\nout.img\n");
    free(out);
}

Test(hvimg_cli, build_replaces_an_existing_output)
{
    int status;
    char *out = run("cd \"$T\" && printf 'old' > out.img && "
                    "$B/hvimg build \"$D/good.ini\" -o out.img && cmp out.img good.img && ls -A",
                    true, &status);
    cr_expect_eq(status, 0, "%s", out);
    cr_expect_str_eq(out, "good.img\nout.img\n");
    free(out);
}

/* The rule table of docs/disk-image.md is what `hvimg rules --markdown` prints. */
Test(hvimg_cli, docs_rule_table_matches_the_code)
{
    int status;
    char *doc = th_sh("sed -n '/^<!-- rules:/,/^<!-- end of rules/p' docs/disk-image.md | "
                      "sed '1d;$d'",
                      false, &status);
    char *code = th_sh("$B/hvimg rules --markdown", false, &status);
    cr_expect_eq(status, 0);
    cr_expect_gt(strlen(doc), 100, "no rule table found in docs/disk-image.md");
    cr_expect_str_eq(doc, code, "docs/disk-image.md's rule table differs from the code");
    free(doc);
    free(code);
}

/* A build killed while it writes a large image leaves no *.tmp.* file beside the target: the
 * bytes go to an unnamed file until they are all on disk. (If the build ends before the
 * kill, there is nothing to see either; the kill comes when the writing is under way.) */
Test(hvimg_cli, a_killed_build_leaves_nothing, .timeout = 120)
{
    int status;
    char *out = run("printf '[image]\\nsize = 256M\\n[partition root]\\ntype = fs\\n' > "
                    "\"$T/big.ini\" && { $B/hvimg build \"$T/big.ini\" -o \"$T/big.img\" & "
                    "p=$!; sleep 0.4; kill -TERM $p; wait $p; ls \"$T\"; }",
                    true, &status);
    cr_expect(strstr(out, ".tmp") == NULL, "a temporary file was left behind:\n%s", out);
    free(out);
}
