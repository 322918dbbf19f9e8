/*
 * test_image.c - disk images through the library (suite image): building from a manifest and
 * reading everything back byte for byte, the exact layout, lookups, partition specs, the walk,
 * atomic writes; and every manifest error with its MANIFEST:LINE (suite image_manifest).
 * Corrupt images are in test_image_corrupt.c; the hvimg command in tests/ui/test_hvimg_cli.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/harness.h"

#define DATA "tests/data/images/"

/* Builds a manifest; returns the bytes (or NULL) and the diagnostics in *diag (malloc'd). */
static uint8_t *build(const char *manifest, size_t *len, char **diag)
{
    uint8_t *bytes;
    size_t dlen = 0;
    FILE *d = open_memstream(diag, &dlen);
    int rc = sim_image_build(manifest, &bytes, len, d);
    fclose(d);
    cr_assert_eq(rc == 0, bytes != NULL);
    return bytes;
}

static uint8_t *build_ok(const char *manifest, size_t *len, sim_image_t *img)
{
    char *diag;
    uint8_t *bytes = build(manifest, len, &diag);
    cr_assert_not_null(bytes, "%s does not build:\n%s", manifest, diag);
    cr_assert_str_empty(diag);
    free(diag);
    sim_image_error_t err;
    cr_assert_eq(sim_image_open(bytes, *len, img, &err), 0, "%s", err.p[0].text);
    return bytes;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ==========================================================================================
 * Round trip
 * ========================================================================================== */

static const struct {
    const char *path, *source;
} good_files[] = {
    {"/kernel", DATA "files/kernel.bin"},
    {"/bin/hello", DATA "files/hello.txt"},
    {"/bin/empty", DATA "files/empty.txt"},
    {"/a/b/c/d/e/f/g/h/deep.txt", DATA "files/docs/deep.txt"},
};

Test(image, files_read_back_byte_identical)
{
    size_t len;
    sim_image_t img;
    uint8_t *bytes = build_ok(DATA "good.ini", &len, &img);
    cr_expect_eq(img.nparts, 2);
    cr_expect_str_eq(img.part[0].name, "boot");
    cr_expect_eq(img.part[0].type, SIM_PART_BOOT);
    cr_expect_str_eq(img.part[1].name, "root");
    cr_expect_eq(img.part[1].type, SIM_PART_FS);
    cr_expect_eq(img.files, 4);
    cr_expect_eq(img.dirs, 11);
    for (size_t i = 0; i < sizeof good_files / sizeof good_files[0]; i++) {
        size_t want_len;
        char *want = sim_read_file(good_files[i].source, &want_len);
        cr_assert_not_null(want);
        const uint8_t *data;
        uint32_t size;
        cr_assert_eq(sim_image_read_file(&img, 1, good_files[i].path, &data, &size), 0, "%s",
                     good_files[i].path);
        cr_expect_eq(size, want_len, "%s", good_files[i].path);
        cr_expect_eq(memcmp(data, want, want_len), 0, "%s differs", good_files[i].path);
        free(want);
    }
    size_t boot_len;
    char *boot = sim_read_file(DATA "files/boot.bin", &boot_len);
    cr_expect_eq(memcmp(bytes + SIM_SECTOR_SIZE, boot, boot_len), 0);
    for (size_t i = boot_len; i < SIM_SECTOR_SIZE; i++)
        cr_expect_eq(bytes[SIM_SECTOR_SIZE + i], 0, "boot padding byte %zu", i);
    free(boot);
    free(bytes);
}

/* The layout docs/disk-image.md promises: table, partitions in manifest order from sector 1,
 * superblock, directories breadth first from sector 1, files in manifest order after them. */
Test(image, layout_is_as_documented)
{
    size_t len;
    sim_image_t img;
    uint8_t *b = build_ok(DATA "good.ini", &len, &img);
    cr_expect_eq(len, 80 * 1024);
    cr_expect_eq(memcmp(b, "HVPT", 4), 0);
    uint32_t want_table[] = {SIM_IMAGE_PT_MAGIC, 1, 2, 160};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(le32(b + 4 * i), want_table[i], "table word %d", i);
    cr_expect_str_eq((const char *)b + 32, "boot");
    cr_expect_eq(le32(b + 32 + 16), SIM_PART_BOOT);
    cr_expect_eq(le32(b + 32 + 20), 1);
    cr_expect_eq(le32(b + 32 + 24), 1);
    cr_expect_eq(le32(b + 64 + 20), 2);
    cr_expect_eq(le32(b + 64 + 24), 158);
    const uint8_t *sb = b + 2 * SIM_SECTOR_SIZE;
    cr_expect_eq(memcmp(sb, "HVFS", 4), 0);
    /* 1 superblock + 10 directories of one sector each + 3 + 1 + 0 + 1 file sectors */
    uint32_t want_sb[] = {SIM_IMAGE_FS_MAGIC, 1, 158, 17, 1, 32 * 5};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(le32(sb + 4 * i), want_sb[i], "superblock word %d", i);
    const uint8_t *root = sb + SIM_SECTOR_SIZE;
    cr_expect_eq(memcmp(root, "HVDR", 4), 0);
    cr_expect_eq(le32(root + 8), 4);
    const char *names[] = {"kernel", "bin", "home", "a"};
    uint32_t types[] = {1, 2, 2, 2}, firsts[] = {12, 2, 3, 4}, sizes[] = {1500, 96, 32, 64};
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = root + 32 * (i + 1);
        cr_expect_str_eq((const char *)e, names[i]);
        cr_expect_eq(le32(e + 20), types[i], "%s: the word at +20 is the type", names[i]);
        cr_expect_eq(le32(e + 24), firsts[i], "%s first", names[i]);
        cr_expect_eq(le32(e + 28), sizes[i], "%s size", names[i]);
    }
    free(b);
}

Test(image, build_is_deterministic)
{
    size_t l1, l2;
    sim_image_t img;
    uint8_t *a = build_ok(DATA "good.ini", &l1, &img), *b = build_ok(DATA "good.ini", &l2, &img);
    cr_assert_eq(l1, l2);
    cr_expect_eq(memcmp(a, b, l1), 0);
    free(a);
    free(b);
}

static void record_path(const char *path, const sim_image_entry_t *e, unsigned depth, void *ctx)
{
    char **out = ctx;
    size_t n = strlen(*out);
    *out = realloc(*out, n + strlen(path) + 16);
    sprintf(*out + n, "%u %s%s\n", depth, path, e->type == SIM_ENTRY_DIR ? "/" : "");
}

Test(image, walk_is_depth_first_in_stored_order)
{
    size_t len;
    sim_image_t img;
    uint8_t *b = build_ok(DATA "good.ini", &len, &img);
    char *out = calloc(1, 1);
    cr_assert_eq(sim_image_walk(&img, 1, "/", record_path, &out), 0);
    cr_expect_str_eq(out, "0 //\n1 /kernel\n1 /bin/\n2 /bin/hello\n2 /bin/empty\n1 /home/\n"
                          "1 /a/\n2 /a/b/\n3 /a/b/c/\n4 /a/b/c/d/\n5 /a/b/c/d/e/\n"
                          "6 /a/b/c/d/e/f/\n7 /a/b/c/d/e/f/g/\n8 /a/b/c/d/e/f/g/h/\n"
                          "9 /a/b/c/d/e/f/g/h/deep.txt\n");
    out[0] = '\0';
    cr_assert_eq(sim_image_walk(&img, 1, "/a/b/c/d/e/f/g/", record_path, &out), 0);
    cr_expect_str_eq(out, "0 /a/b/c/d/e/f/g/\n1 /a/b/c/d/e/f/g/h/\n"
                          "2 /a/b/c/d/e/f/g/h/deep.txt\n");
    out[0] = '\0';
    cr_assert_eq(sim_image_walk(&img, 1, "/bin/hello", record_path, &out), 0);
    cr_expect_str_eq(out, "0 /bin/hello\n");
    cr_expect_eq(sim_image_walk(&img, 1, "/nope", record_path, &out), SIM_IMAGE_ENOENT);
    free(out);
    free(b);
}

/* ==========================================================================================
 * Lookups and partition specs
 * ========================================================================================== */

static const struct {
    const char *path;
    int rc;
    sim_entry_type_t type;
} lookups[] = {
    {"/", 0, SIM_ENTRY_DIR},
    {"/bin", 0, SIM_ENTRY_DIR},
    {"/bin/", 0, SIM_ENTRY_DIR},
    {"/bin/hello", 0, SIM_ENTRY_FILE},
    {"/a/b/c/d/e/f/g/h/deep.txt", 0, SIM_ENTRY_FILE},
    {"/bin/hello/", SIM_IMAGE_ENOTDIR, 0},
    {"/bin/hello/x", SIM_IMAGE_ENOTDIR, 0},
    {"/nope", SIM_IMAGE_ENOENT, 0},
    {"/bin/nope", SIM_IMAGE_ENOENT, 0},
    {"/Kernel", SIM_IMAGE_ENOENT, 0},
    {"bin", SIM_IMAGE_EPATH, 0},
    {"", SIM_IMAGE_EPATH, 0},
    {"//bin", SIM_IMAGE_EPATH, 0},
    {"/bin//hello", SIM_IMAGE_EPATH, 0},
    {"/bad name", SIM_IMAGE_EPATH, 0},
    {"/..", SIM_IMAGE_EPATH, 0},
    {"/abcdefghijklmnopqrst", SIM_IMAGE_EPATH, 0},
};

Test(image, lookups)
{
    size_t len;
    sim_image_t img;
    uint8_t *b = build_ok(DATA "good.ini", &len, &img);
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        sim_image_entry_t e;
        int rc = sim_image_lookup(&img, 1, lookups[i].path, &e);
        cr_expect_eq(rc, lookups[i].rc, "'%s': %d, want %d", lookups[i].path, rc, lookups[i].rc);
        if (rc == 0)
            cr_expect_eq(e.type, lookups[i].type, "'%s'", lookups[i].path);
    }
    sim_image_entry_t e;
    cr_expect_eq(sim_image_lookup(&img, 0, "/", &e), SIM_IMAGE_EPART, "boot has no files");
    cr_expect_eq(sim_image_lookup(&img, 7, "/", &e), SIM_IMAGE_EPART);
    const uint8_t *data;
    uint32_t size;
    cr_expect_eq(sim_image_read_file(&img, 1, "/bin", &data, &size), SIM_IMAGE_ENOENT);
    free(b);
}

static const struct {
    const char *spec;
    int rc;
    unsigned part;
    const char *path; /* NULL: the whole partition */
} specs[] = {
    {"/kernel", 0, 1, "/kernel"},
    {"root:/kernel", 0, 1, "/kernel"},
    {"root:/", 0, 1, "/"},
    {"boot:", 0, 0, NULL},
    {"root:", 0, 1, NULL},
    {"boot:/x", SIM_IMAGE_EPART, 0, NULL},
    {"nope:/x", SIM_IMAGE_EPART, 0, NULL},
    {":/x", SIM_IMAGE_EPART, 0, NULL},
    {"root:kernel", SIM_IMAGE_EPATH, 0, NULL},
    {"kernel", SIM_IMAGE_EPATH, 0, NULL},
    {"/dir:with/colon", 0, 1, "/dir:with/colon"},
};

Test(image, partition_specs)
{
    size_t len;
    sim_image_t img;
    uint8_t *b = build_ok(DATA "good.ini", &len, &img);
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        unsigned part = 99;
        const char *path = "unset";
        int rc = sim_image_parse_spec(&img, specs[i].spec, &part, &path);
        cr_expect_eq(rc, specs[i].rc, "'%s': %d", specs[i].spec, rc);
        if (rc != 0)
            continue;
        cr_expect_eq(part, specs[i].part, "'%s'", specs[i].spec);
        if (specs[i].path)
            cr_expect_str_eq(path, specs[i].path, "'%s'", specs[i].spec);
        else
            cr_expect_null(path, "'%s'", specs[i].spec);
    }
    cr_expect_eq(sim_image_find_part(&img, NULL), 1);
    cr_expect_eq(sim_image_find_part(&img, "boot"), 0);
    cr_expect_eq(sim_image_find_part(&img, "nope"), -1);
    free(b);
}

/* ==========================================================================================
 * Small manifests written on the fly (into a fresh temporary directory)
 * ========================================================================================== */

static char tmpdir[64];

/* Makes a temporary directory holding a.bin (100 bytes), big.bin (4000 bytes) and m.ini. */
static void write_manifest(const char *text)
{
    strcpy(tmpdir, "/tmp/hvimg-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    static const struct {
        const char *name;
        size_t size;
    } files[] = {{"a.bin", 100}, {"big.bin", 4000}};
    char path[128];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i].name);
        FILE *f = fopen(path, "wb");
        for (size_t k = 0; k < files[i].size; k++)
            fputc((int)(k * 7 + i) & 0xff, f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/m.ini", tmpdir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void remove_tmpdir(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static uint8_t *build_text(const char *text, size_t *len, char **diag)
{
    write_manifest(text);
    char path[96];
    snprintf(path, sizeof path, "%s/m.ini", tmpdir);
    uint8_t *bytes = build(path, len, diag);
    remove_tmpdir();
    return bytes;
}

Test(image, sizes_default_to_what_the_content_needs)
{
    size_t len;
    char *diag;
    uint8_t *b = build_text("[partition boot]\ntype = boot\n"
                            "[partition root]\ntype = fs\n"
                            "[file /x]\nsource = big.bin\n",
                            &len, &diag);
    cr_assert_not_null(b, "%s", diag);
    /* table + 1 boot sector + superblock + root directory + 8 sectors of big.bin */
    cr_expect_eq(len, (1 + 1 + 1 + 1 + 8) * SIM_SECTOR_SIZE);
    sim_image_t img;
    cr_assert_eq(sim_image_open(b, len, &img, NULL), 0);
    cr_expect_eq(img.part[1].data_end, img.part[1].sectors);
    free(b);
    free(diag);
}

Test(image, an_fs_partition_without_files)
{
    size_t len;
    char *diag;
    uint8_t *b = build_text("[partition data]\ntype = fs\n[dir /tmp]\n", &len, &diag);
    cr_assert_not_null(b, "%s", diag);
    sim_image_t img;
    cr_assert_eq(sim_image_open(b, len, &img, NULL), 0);
    cr_expect_eq(img.nparts, 1);
    cr_expect_eq(img.files, 0);
    cr_expect_eq(img.dirs, 2);
    free(b);
    free(diag);
}

/* An empty root is the first directory checked, so its list of names was never allocated:
 * sorting it must not call qsort with NULL (UBSan in `make asan` reports that). */
Test(image, an_fs_partition_with_an_empty_root)
{
    size_t len;
    char *diag;
    uint8_t *b = build_text("[partition data]\ntype = fs\n", &len, &diag);
    cr_assert_not_null(b, "%s", diag);
    sim_image_t img;
    cr_assert_eq(sim_image_open(b, len, &img, NULL), 0);
    cr_expect_eq(img.files, 0);
    cr_expect_eq(img.dirs, 1);
    free(b);
    free(diag);
}

Test(image, rule_table)
{
    for (int r = 0; r < SIM_RULE_COUNT; r++) {
        cr_expect_gt(strlen(sim_image_rule_text(r)), 10);
        for (int q = 0; q < r; q++)
            cr_expect_str_neq(sim_image_rule_id(r), sim_image_rule_id(q));
    }
}

Test(image, atomic_write_replaces_or_leaves_alone)
{
    char dir[] = "/tmp/hvimg-atomic-XXXXXX", path[64], *diag = NULL;
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.img", dir);
    size_t dlen;
    FILE *d = open_memstream(&diag, &dlen);
    cr_expect_eq(sim_write_file_atomic(path, "first", 5, d), 0);
    cr_expect_eq(sim_write_file_atomic(path, "second", 6, d), 0);
    size_t n;
    char *got = sim_read_file(path, &n);
    cr_expect_str_eq(got, "second");
    free(got);
    char missing[96];
    snprintf(missing, sizeof missing, "%s/no/such/dir/out.img", dir);
    cr_expect_eq(sim_write_file_atomic(missing, "x", 1, d), -1);
    fclose(d);
    cr_expect_not_null(strstr(diag, "no/such/dir/out.img: error: cannot create"), "%s", diag);
    free(diag);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = out.img && rm -rf '%s'", dir, dir);
    cr_expect_eq(system(cmd), 0, "a temporary file was left behind");
}

/* ==========================================================================================
 * Manifest errors: each names m.ini:LINE and the problem
 * ========================================================================================== */

#define ROOT "[partition root]\ntype = fs\n"

static const struct {
    const char *name, *text, *want;
} manifest_errors[] = {
    {"syntax", ROOT "size 4K\n", "m.ini:3: error: syntax error"},
    {"unclosed section", "[partition root\n", "m.ini:1: error: syntax error"},
    {"key outside a section", "size = 4K\n", "m.ini:1: error: 'size' is outside any section"},
    {"unknown section", "[disk]\nsize = 4K\n", "m.ini:1: error: unknown section [disk]"},
    {"section without its name", "[partition]\n", "m.ini:1: error: unknown section"},
    {"unknown key", ROOT "[file /x]\nsorce = a.bin\n",
     "m.ini:4: error: unknown key 'sorce' in [file /x]"},
    {"key of another section", "[image]\ntype = fs\n", "m.ini:2: error: unknown key 'type'"},
    {"key twice", ROOT "type = fs\n", "m.ini:3: error: 'type' is given twice (first at line 2)"},
    {"line too long", ROOT "[file /x]\nsource = a.bin ; "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     "m.ini:4: error: the line is longer than 199 characters"},
    {"no partitions", "# nothing\n", "m.ini: error: no [partition NAME] section"},
    {"image twice", "[image]\n[image]\n" ROOT, "m.ini:2: error: [image] is given twice"},
    {"bad image size", "[image]\nsize = 4X\n" ROOT, "m.ini:2: error: size '4X' is not a number"},
    {"size not whole sectors", "[image]\nsize = 1000\n" ROOT,
     "m.ini:2: error: size '1000' is not a whole number of 512-byte sectors"},
    {"size zero", ROOT "size = 0\n", "m.ini:3: error: size '0' is not a whole number"},
    {"size too big", ROOT "size = 2048M\n", "m.ini:3: error: size '2048M' is more than 1 GiB"},
    {"negative size", ROOT "size = -512\n", "m.ini:3: error: size '-512' is not a number"},
    {"missing type", "[partition root]\nsize = 4K\n", "m.ini:1: error: partition 'root' has no 'type'"},
    {"bad type", "[partition root]\ntype = ext4\n", "m.ini:2: error: type 'ext4' is not"},
    {"bad partition name", "[partition a/b]\ntype = fs\n",
     "m.ini:1: error: partition name 'a/b' has the character '/'"},
    {"partition name too long", "[partition abcdefghijklmnop]\ntype = fs\n",
     "m.ini:1: error: partition name 'abcdefghijklmnop' is 16 characters long, more than 15"},
    {"partition twice", ROOT ROOT, "m.ini:3: error: partition 'root' is defined twice (first at "
                                   "line 1)"},
    {"nine partitions", "[partition p1]\ntype=fs\n[partition p2]\ntype=fs\n[partition p3]\ntype="
     "fs\n[partition p4]\ntype=fs\n[partition p5]\ntype=fs\n[partition p6]\ntype=fs\n[partition "
     "p7]\ntype=fs\n[partition p8]\ntype=fs\n[partition p9]\ntype=fs\n",
     "m.ini:17: error: more than 8 partitions"},
    {"two boot partitions", "[partition b1]\ntype = boot\n[partition b2]\ntype = boot\n",
     "m.ini:4: error: a second boot partition (the first is 'b1', line 1)"},
    {"boot partition too big", "[partition b]\ntype = boot\nsize = 65K\n",
     "m.ini:3: error: boot partition 'b' would have 130 sectors, more than 128"},
    {"boot file too big", "[partition b]\ntype = boot\nfile = big.bin\nsize = 1K\n",
     "m.ini:3: error: the file (4000 bytes) does not fit in partition 'b' (1024 bytes)"},
    {"boot file missing", "[partition b]\ntype = boot\nfile = nothere.bin\n",
     "m.ini:3: error: cannot read '"},
    {"file key on fs", ROOT "file = a.bin\n", "m.ini:3: error: 'file' is only for boot"},
    {"file without source", ROOT "[file /x]\n", "m.ini:3: error: [file /x] has no 'source'"},
    {"missing source file", ROOT "[file /x]\nsource = nothere.bin\n",
     "m.ini:4: error: cannot read '"},
    {"file does not fit", ROOT "size = 2K\n[file /x]\nsource = big.bin\n",
     "m.ini:4: error: the file (4000 bytes, 8 sectors) does not fit in partition 'root' "
     "(4 sectors, 2 of them still free)"},
    {"directories do not fit", "[partition root]\ntype = fs\nsize = 1K\n[dir /a]\n[dir /b]\n",
     "m.ini:1: error: partition 'root' (2 sectors) is too small even for its 3 sectors of "
     "directories"},
    {"image too small", "[image]\nsize = 1K\n" ROOT "size = 1K\n",
     "m.ini:2: error: the image (2 sectors) is too small for the partition table and its "
     "partitions (3 sectors)"},
    {"two partitions take the rest", "[image]\nsize = 8K\n" ROOT "[partition r2]\ntype = fs\n",
     "m.ini:5: error: only one partition can take the rest of the image ('root', line 3)"},
    {"duplicate path", ROOT "[file /x]\nsource = a.bin\n[file /x]\nsource = a.bin\n",
     "m.ini:5: error: '/x' is a file (line 3), given again here"},
    {"duplicate dir", ROOT "[dir /d]\n[dir /d]\n",
     "m.ini:4: error: '/d' is already a directory (line 3)"},
    {"file where a directory is", ROOT "[file /d/x]\nsource = a.bin\n[file /d]\nsource = a.bin\n",
     "m.ini:5: error: '/d' is already a directory (line 3)"},
    {"file inside a file", ROOT "[file /x]\nsource = a.bin\n[file /x/y]\nsource = a.bin\n",
     "m.ini:5: error: '/x' is a file (line 3), not a directory"},
    {"bad name", ROOT "[file /bin/bad name]\nsource = a.bin\n",
     "m.ini:3: error: in '/bin/bad name': the name 'bad name' has the character ' '"},
    {"name too long", ROOT "[file /abcdefghijklmnopqrst]\nsource = a.bin\n",
     "m.ini:3: error: in '/abcdefghijklmnopqrst': the name 'abcdefghijklmnopqrst' is 20 "
     "characters long, more than 19"},
    {"dot-dot", ROOT "[file /a/../b]\nsource = a.bin\n",
     "m.ini:3: error: in '/a/../b': the name '..' is \"..\", which is not allowed"},
    {"empty component", ROOT "[file /a//b]\nsource = a.bin\n",
     "m.ini:3: error: in '/a//b': the name '' is empty"},
    {"relative path", ROOT "[file x]\nsource = a.bin\n",
     "m.ini:3: error: 'x' is not an absolute path below '/'"},
    {"the root", ROOT "[dir /]\n", "m.ini:3: error: '/' is not an absolute path below '/'"},
    {"too deep", ROOT "[file /1/2/3/4/5/6/7/8/9/f]\nsource = a.bin\n",
     "m.ini:3: error: '/1/2/3/4/5/6/7/8/9/f' is nested more than 8 directories deep"},
    {"too deep dir", ROOT "[dir /1/2/3/4/5/6/7/8/9]\n",
     "m.ini:3: error: '/1/2/3/4/5/6/7/8/9' is nested more than 8 directories deep"},
    {"unknown partition", ROOT "[file /x]\nsource = a.bin\npartition = nope\n",
     "m.ini:5: error: there is no partition 'nope'"},
    {"file in a boot partition", "[partition b]\ntype = boot\n" ROOT
     "[file /x]\nsource = a.bin\npartition = b\n",
     "m.ini:7: error: partition 'b' is not an fs partition"},
    {"no fs partition", "[partition b]\ntype = boot\n[file /x]\nsource = a.bin\n",
     "m.ini:3: error: there is no fs partition to hold '/x'"},
    {"which fs partition", ROOT "[partition r2]\ntype = fs\n[file /x]\nsource = a.bin\n",
     "m.ini:5: error: there are 2 fs partitions: say which one holds '/x'"},
};
#define NMANIFEST_ERRORS (sizeof manifest_errors / sizeof manifest_errors[0])

ParameterizedTestParameters(image_manifest, errors)
{
    TH_ROW_INDICES(NMANIFEST_ERRORS);
}

ParameterizedTest(size_t *index, image_manifest, errors)
{
    const char *name = manifest_errors[*index].name, *want = manifest_errors[*index].want;
    size_t len;
    char *diag;
    uint8_t *b = build_text(manifest_errors[*index].text, &len, &diag);
    cr_expect_null(b, "%s: the manifest built", name);
    cr_expect_not_null(strstr(diag, want), "%s: got\n%s\nwant a line with: %s", name, diag, want);
    free(b);
    free(diag);
}

Test(image_manifest, missing_manifest)
{
    size_t len;
    char *diag;
    uint8_t *b = build("tests/data/images/no-such.ini", &len, &diag);
    cr_expect_null(b);
    cr_expect_str_eq(diag, "tests/data/images/no-such.ini: error: cannot read: No such file or "
                           "directory\n");
    free(diag);
}

Test(image_manifest, several_errors_are_all_reported)
{
    size_t len;
    char *diag;
    uint8_t *b = build_text("[partition root]\ntype = fs\nsorce = 1\n[file /x]\nwhat = 2\n",
                            &len, &diag);
    cr_expect_null(b);
    cr_expect_not_null(strstr(diag, "m.ini:3: error: unknown key 'sorce'"), "%s", diag);
    cr_expect_not_null(strstr(diag, "m.ini:5: error: unknown key 'what'"), "%s", diag);
    free(diag);
}
