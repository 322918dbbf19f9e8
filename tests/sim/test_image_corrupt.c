/*
 * test_image_corrupt.c - hostile disk images: every rule of the format broken on purpose, one
 * row of the table each (suite image_corrupt), plus a seeded random-mutation loop that must
 * never crash the checker or the readers behind it.
 *
 * Each row builds the good image of tests/data/images/good.ini in memory, applies up to four
 * edits at places found through the API (a partition entry, the superblock, a directory, an
 * entry), and expects the first problem to be exactly "offset 0xN: rule ID: ..." with a given
 * phrase in it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"

#define GOOD "tests/data/images/good.ini"

/* Where an edit or an expected offset is: an anchor plus a byte offset. */
typedef enum {
    AT_IMAGE,   /* offset 0 of the image */
    AT_PTE,     /* partition entry n (arg = "0".."7") */
    AT_SB,      /* the root partition's superblock */
    AT_DIR,     /* the data of directory arg */
    AT_ENT,     /* the directory entry of arg */
    AT_END,     /* the image's (possibly truncated) end */
} anchor_t;

typedef enum {
    ED_NONE,
    ED_SET32,  /* u32 at the place = value */
    ED_SET8,   /* byte at the place = value */
    ED_FILL,   /* `value` bytes from the place = fill */
    ED_STR,    /* a NUL-padded string of 20 bytes */
    ED_FIRST,  /* u32 at the place = the first sector of entry `str` */
    ED_TRUNC,  /* the image length = value */
} edit_op_t;

typedef struct {
    edit_op_t op;
    anchor_t anchor;
    const char *arg; /* for AT_PTE / AT_DIR / AT_ENT */
    uint32_t off;
    uint32_t value;
    uint8_t fill;
    const char *str;
} edit_t;

typedef struct {
    const char *name;
    edit_t edit[4];
    sim_image_rule_t rule;
    anchor_t at;
    const char *at_arg;
    uint32_t at_off;
    const char *phrase;
} corrupt_row_t;

#define PTE(n) AT_PTE, #n
#define SB AT_SB, NULL
#define DIR(p) AT_DIR, p
#define ENT(p) AT_ENT, p
#define IMG AT_IMAGE, NULL
#define END AT_END, NULL
#define SET32(where, off, v) {ED_SET32, where, off, v, 0, NULL}
#define SET8(where, off, v) {ED_SET8, where, off, v, 0, NULL}
#define FILL(where, off, n, b) {ED_FILL, where, off, n, b, NULL}
#define STR(where, s) {ED_STR, where, 0, 0, 0, s}
#define FIRST(where, off, p) {ED_FIRST, where, off, 0, 0, p}
#define TRUNC(n) {ED_TRUNC, IMG, 0, n, 0, NULL}
#define R(id) SIM_RULE_##id

static const corrupt_row_t rows[] = {
    /* The image and the partition table */
    {"truncated mid-sector", {TRUNC(80 * 1024 - 100)}, R(I1), END, 0, "truncated"},
    {"empty file", {TRUNC(0)}, R(I1), END, 0, "less than one sector"},
    {"truncated to whole sectors", {TRUNC(64 * 512)}, R(P4), IMG, 12, "has 64"},
    {"table magic", {SET32(IMG, 0, 0x12345678)}, R(P1), IMG, 0, "not an hvsim disk image"},
    {"table version", {SET32(IMG, 4, 2)}, R(P2), IMG, 4, "version 2"},
    {"no partitions", {SET32(IMG, 8, 0)}, R(P3), IMG, 8, "count is 0"},
    {"nine partitions", {SET32(IMG, 8, 9)}, R(P3), IMG, 8, "count is 9"},
    {"table sector count", {SET32(IMG, 12, 161)}, R(P4), IMG, 12, "says the image has 161"},
    {"header reserved", {SET8(IMG, 21, 1)}, R(P5), IMG, 21, "reserved"},
    {"unused entry", {SET8(PTE(2), 5, 7)}, R(P5), PTE(2), 5, "unused partition entry 2"},
    {"table tail", {SET8(IMG, 300, 1)}, R(P5), IMG, 300, "tail"},
    {"entry reserved", {SET8(PTE(0), 30, 1)}, R(P5), PTE(0), 30, "reserved"},
    {"partition name empty", {FILL(PTE(1), 0, 16, 0)}, R(P6), PTE(1), 0, "is empty"},
    {"partition name unterminated", {FILL(PTE(1), 0, 16, 'A')}, R(P6), PTE(1), 0,
     "not NUL-terminated"},
    {"partition name bad char", {SET8(PTE(1), 1, ' ')}, R(P6), PTE(1), 0, "character ' '"},
    {"partition name junk after NUL", {SET8(PTE(1), 10, 'x')}, R(P6), PTE(1), 0,
     "after its end"},
    {"duplicate partition names", {SET8(PTE(1), 0, 'b')}, R(P7), PTE(1), 0, "same name 'boot'"},
    {"partition type unknown", {SET32(PTE(1), 16, 7)}, R(P8), PTE(1), 16, "type 7"},
    {"zero-size partition", {SET32(PTE(1), 24, 0)}, R(P9), PTE(1), 24, "no sectors"},
    {"partition over the table", {SET32(PTE(0), 20, 0)}, R(P10), PTE(0), 20,
     "the partition table"},
    {"partition past the end", {SET32(PTE(1), 20, 1000)}, R(P10), PTE(1), 20,
     "past the end of the image"},
    {"partition runs past the end", {SET32(PTE(1), 24, 1000)}, R(P10), PTE(1), 24,
     "ends past the end of the image"},
    {"partition count overflows", {SET32(PTE(1), 24, 0xffffffffu)}, R(P10), PTE(1), 24,
     "ends past"},
    {"overlapping partitions", {SET32(PTE(1), 20, 1)}, R(P11), PTE(1), 20, "overlaps partition 0"},
    {"two boot partitions", {SET32(PTE(1), 16, 1)}, R(P12), PTE(1), 16, "second boot"},
    {"boot partition too big", {SET32(PTE(0), 24, 129)}, R(P12), PTE(0), 24, "more than 128"},
    /* The superblock */
    {"superblock magic", {SET32(SB, 0, 0)}, R(F1), SB, 0, "\"HVFS\""},
    {"superblock version", {SET32(SB, 4, 9)}, R(F2), SB, 4, "version 9"},
    {"superblock sector count", {SET32(SB, 8, 125)}, R(F3), SB, 8, "says 125 sectors"},
    {"data end zero", {SET32(SB, 12, 0)}, R(F4), SB, 12, "data end 0"},
    {"data end past the partition", {SET32(SB, 12, 159)}, R(F4), SB, 12, "outside 1..158"},
    {"superblock reserved", {SET8(SB, 100, 1)}, R(F5), SB, 100, "reserved"},
    /* Directories */
    {"root size odd", {SET32(SB, 20, 33)}, R(D1), SB, 20, "not a multiple of 32"},
    {"root size zero", {SET32(SB, 20, 0)}, R(D1), SB, 20, "is 0 bytes"},
    {"root at sector 0", {SET32(SB, 16, 0)}, R(E5), SB, 16, "the superblock"},
    {"root past the partition", {SET32(SB, 16, 500)}, R(E5), SB, 16, "past the end of partition"},
    {"directory magic", {SET32(DIR("/bin"), 0, 0x52445649)}, R(D2), DIR("/bin"), 0, "'/bin'"},
    {"directory version", {SET32(DIR("/bin"), 4, 0)}, R(D3), DIR("/bin"), 4, "version 0"},
    {"directory count", {SET32(DIR("/bin"), 8, 5)}, R(D4), DIR("/bin"), 8, "says it has 5"},
    {"directory size and count disagree", {SET32(ENT("/bin"), 28, 128)}, R(D4), DIR("/bin"), 8,
     "holds 3"},
    {"directory reserved", {SET8(DIR("/bin"), 16, 1)}, R(D5), DIR("/bin"), 16, "reserved"},
    {"unaligned directory size", {SET32(ENT("/bin"), 28, 95)}, R(D1), ENT("/bin"), 28,
     "'/bin' is 95 bytes"},
    {"directory size too small", {SET32(ENT("/bin"), 28, 16)}, R(D1), ENT("/bin"), 28,
     "at least 32"},
    {"loop: directory holds itself", {FIRST(ENT("/a/b"), 24, "/a")}, R(D6), ENT("/a/b"), 24,
     "directory loop"},
    {"loop: directory holds an ancestor", {FIRST(ENT("/a/b/c"), 24, "/")}, R(D6),
     ENT("/a/b/c"), 24, "inside '/'"},
    {"directory reached twice", {FIRST(ENT("/home"), 24, "/bin")}, R(E6), ENT("/home"), 24,
     "overlaps '/bin'"},
    {"too deep", {SET8(ENT("/a/b/c/d/e/f/g/h/deep.txt"), 20, 2),
                  SET32(ENT("/a/b/c/d/e/f/g/h/deep.txt"), 28, 32)},
     R(D7), ENT("/a/b/c/d/e/f/g/h/deep.txt"), 24, "9 levels"},
    /* Entries */
    {"entry name unterminated", {FILL(ENT("/bin/hello"), 0, 20, 'x')}, R(E1), ENT("/bin/hello"),
     0, "not NUL-terminated"},
    {"entry name empty", {FILL(ENT("/bin/hello"), 0, 20, 0)}, R(E1), ENT("/bin/hello"), 0,
     "is empty"},
    {"entry name with a slash", {SET8(ENT("/bin/hello"), 2, '/')}, R(E1), ENT("/bin/hello"), 0,
     "character '/'"},
    {"entry name control byte", {SET8(ENT("/bin/hello"), 0, 1)}, R(E1), ENT("/bin/hello"), 0,
     "byte 0x01"},
    {"entry name dot-dot", {STR(ENT("/bin/hello"), "..")}, R(E1), ENT("/bin/hello"), 0,
     "not allowed"},
    {"entry name junk after NUL", {SET8(ENT("/bin/hello"), 19, 'z')}, R(E1), ENT("/bin/hello"),
     0, "after its end"},
    {"duplicate entry names", {STR(ENT("/bin/empty"), "hello")}, R(E2), ENT("/bin/empty"), 0,
     "appears twice"},
    {"entry type unknown", {SET8(ENT("/bin/hello"), 20, 3)}, R(E3), ENT("/bin/hello"), 20,
     "type 3"},
    {"entry type zero", {SET8(ENT("/kernel"), 20, 0)}, R(E3), ENT("/kernel"), 20, "type 0"},
    {"entry reserved", {SET8(ENT("/bin/hello"), 22, 1)}, R(E4), ENT("/bin/hello"), 22,
     "reserved"},
    {"entry at sector 0", {SET32(ENT("/kernel"), 24, 0)}, R(E5), ENT("/kernel"), 24,
     "the superblock"},
    {"entry past the partition end", {SET32(ENT("/kernel"), 24, 200)}, R(E5), ENT("/kernel"), 24,
     "past the end of partition 'root'"},
    {"entry past the data end", {SET32(ENT("/kernel"), 24, 20)}, R(E5), ENT("/kernel"), 24,
     "data end"},
    {"file length past the data end", {SET32(ENT("/bin/hello"), 28, 5000)}, R(E5),
     ENT("/bin/hello"), 28, "ends past the data end"},
    {"file length past the partition", {SET32(ENT("/bin/hello"), 28, 0xffffffffu)}, R(E5),
     ENT("/bin/hello"), 28, "ends past the end of partition 'root'"},
    {"directory entry past the partition", {SET32(ENT("/bin"), 24, 0xffffffffu)}, R(E5),
     ENT("/bin"), 24, "past the end of partition"},
    {"files overlap", {FIRST(ENT("/bin/hello"), 24, "/kernel")}, R(E6), ENT("/bin/hello"), 24,
     "overlaps '/kernel'"},
    {"file overlaps a directory", {FIRST(ENT("/bin/hello"), 24, "/home")}, R(E6),
     ENT("/bin/hello"), 24, "overlaps '/home'"},
};

/* ==========================================================================================
 * Helpers
 * ========================================================================================== */

static uint8_t *good_image(size_t *len)
{
    uint8_t *bytes;
    char *diag = NULL;
    size_t dlen = 0;
    FILE *d = open_memstream(&diag, &dlen);
    int rc = sim_image_build(GOOD, &bytes, len, d);
    fclose(d);
    cr_assert_eq(rc, 0, "%s does not build:\n%s", GOOD, diag);
    free(diag);
    return bytes;
}

static sim_image_entry_t must_lookup(const sim_image_t *img, const char *path)
{
    sim_image_entry_t e;
    int rc = sim_image_lookup(img, 1, path, &e);
    cr_assert_eq(rc, 0, "%s: %s", path, sim_image_strerror(rc));
    return e;
}

/* The byte offset of an anchor in the good image `img` (whose length is now `len`). */
static uint64_t anchor_offset(const sim_image_t *img, anchor_t a, const char *arg, size_t len)
{
    switch (a) {
    case AT_IMAGE: return 0;
    case AT_PTE: return SIM_PT_ENTRIES + SIM_PTE_SIZE * (uint64_t)atoi(arg);
    case AT_SB: return (uint64_t)img->part[1].first * SIM_SECTOR_SIZE;
    case AT_DIR: return must_lookup(img, arg).offset;
    case AT_ENT: return must_lookup(img, arg).entry_offset;
    case AT_END: return len;
    }
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void apply(uint8_t *bytes, size_t *len, const sim_image_t *img, const edit_t *e)
{
    uint64_t at = anchor_offset(img, e->anchor, e->arg, *len) + e->off;
    switch (e->op) {
    case ED_NONE: break;
    case ED_SET32: put32(bytes + at, e->value); break;
    case ED_SET8: bytes[at] = (uint8_t)e->value; break;
    case ED_FILL: memset(bytes + at, e->fill, e->value); break;
    case ED_STR: memset(bytes + at, 0, 20), memcpy(bytes + at, e->str, strlen(e->str)); break;
    case ED_FIRST: put32(bytes + at, must_lookup(img, e->str).first); break;
    case ED_TRUNC: *len = e->value; break;
    }
}

/* ==========================================================================================
 * The table
 * ========================================================================================== */

#define NROWS (sizeof rows / sizeof rows[0])

ParameterizedTestParameters(image_corrupt, each_rule)
{
    TH_ROW_INDICES(NROWS);
}

ParameterizedTest(size_t *index, image_corrupt, each_rule)
{
    const corrupt_row_t *row = &rows[*index];
    size_t len;
    uint8_t *good = good_image(&len);
    sim_image_t img;
    cr_assert_eq(sim_image_open(good, len, &img, NULL), 0);
    /* A copy of exactly the (possibly truncated) length, so ASan sees any read past it. */
    uint8_t *bad = malloc(len);
    memcpy(bad, good, len);
    size_t bad_len = len;
    for (int i = 0; i < 4; i++)
        apply(bad, &bad_len, &img, &row->edit[i]);
    uint64_t want_at = anchor_offset(&img, row->at, row->at_arg, bad_len) + row->at_off;
    uint8_t *exact = malloc(bad_len ? bad_len : 1);
    memcpy(exact, bad, bad_len);

    sim_image_t out;
    sim_image_error_t err;
    cr_assert_eq(sim_image_open(exact, bad_len, &out, &err), -1, "%s: the image opened",
                 row->name);
    cr_assert_geq(err.count, 1);
    char msg[256], want[64];
    sim_image_problem_format(&err.p[0], msg, sizeof msg);
    snprintf(want, sizeof want, "offset 0x%llx: rule %s: ", (unsigned long long)want_at,
             sim_image_rule_id(row->rule));
    cr_expect_eq(strncmp(msg, want, strlen(want)), 0, "%s: got \"%s\", want it to start \"%s\"",
                 row->name, msg, want);
    cr_expect_not_null(strstr(msg, row->phrase), "%s: \"%s\" does not say \"%s\"", row->name,
                       msg, row->phrase);
    free(exact);
    free(bad);
    free(good);
}

/* Every rule of the format is broken by at least one row. */
Test(image_corrupt, every_rule_has_a_row)
{
    bool seen[SIM_RULE_COUNT] = {false};
    for (size_t i = 0; i < NROWS; i++)
        seen[rows[i].rule] = true;
    for (int r = 0; r < SIM_RULE_COUNT; r++)
        cr_expect(seen[r], "no corruption row breaks rule %s", sim_image_rule_id(r));
}

/* The checker goes on after a problem and lists the independent ones too. */
Test(image_corrupt, lists_several_problems)
{
    size_t len;
    uint8_t *bytes = good_image(&len);
    sim_image_t img;
    cr_assert_eq(sim_image_open(bytes, len, &img, NULL), 0);
    uint64_t hello = must_lookup(&img, "/bin/hello").entry_offset;
    uint64_t kernel = must_lookup(&img, "/kernel").entry_offset;
    bytes[21] = 1;                  /* P5 */
    bytes[hello + SIM_DE_TYPE] = 9; /* E3 */
    put32(bytes + kernel + SIM_DE_SIZE, 1u << 30); /* E5 */
    sim_image_error_t err;
    cr_assert_eq(sim_image_open(bytes, len, &img, &err), -1);
    cr_assert_eq(err.count, 3);
    cr_expect_eq(err.p[0].rule, SIM_RULE_P5);
    cr_expect_eq(err.p[1].rule, SIM_RULE_E5);
    cr_expect_eq(err.p[2].rule, SIM_RULE_E3);
    cr_expect(!err.more);
    free(bytes);
}

/* ==========================================================================================
 * Random mutations: each must open cleanly or fail with a message, never crash
 * ========================================================================================== */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A value for a u32 field that is likely to be interesting: small, near a boundary, huge. */
static uint32_t interesting(uint64_t *s, const sim_image_t *img)
{
    static const uint32_t fixed[] = {0, 1, 2, 3, 31, 32, 33, 64, 96, 128, 129, 160, 511, 512,
                                     513, 0x7fffffff, 0x80000000u, 0xfffffffe, 0xffffffff};
    switch (rng_next(s) % 3) {
    case 0: return fixed[rng_next(s) % (sizeof fixed / sizeof fixed[0])];
    case 1: return (uint32_t)(rng_next(s) % (img->sectors + 4));
    default: return (uint32_t)rng_next(s);
    }
}

typedef struct {
    const sim_image_t *img;
    unsigned part;
} walk_ctx_t;

/* Reads everything an opened image offers, as a kernel would. */
static void visit(const char *path, const sim_image_entry_t *e, unsigned depth, void *ctx)
{
    const walk_ctx_t *w = ctx;
    cr_assert_leq(depth, SIM_IMAGE_MAX_DEPTH + 1);
    sim_image_entry_t again;
    cr_assert_eq(sim_image_lookup(w->img, w->part, path, &again), 0, "%s", path);
    cr_assert_eq(again.offset, e->offset);
    if (e->type == SIM_ENTRY_FILE) {
        const uint8_t *data;
        uint32_t size;
        cr_assert_eq(sim_image_read_file(w->img, w->part, path, &data, &size), 0);
        cr_assert_leq(e->offset + size, w->img->len);
        volatile uint8_t sum = 0;
        for (uint32_t i = 0; i < size; i++)
            sum ^= data[i];
    }
}

/* Opens a mutated image of n bytes (copied to a buffer of exactly that size, so that ASan sees
 * any read past it) and reads all of it; or checks that the failure says why. */
static bool open_and_read(const uint8_t *buf, size_t n, int round)
{
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    sim_image_t out;
    sim_image_error_t err;
    bool ok = sim_image_open(exact, n, &out, &err) == 0;
    for (unsigned p = 0; ok && p < out.nparts; p++)
        if (out.part[p].type == SIM_PART_FS) {
            walk_ctx_t w = {&out, p};
            cr_assert_eq(sim_image_walk(&out, p, "/", visit, &w), 0);
        }
    if (!ok) {
        cr_assert_geq(err.count, 1, "round %d: failed without a problem", round);
        for (unsigned i = 0; i < err.count; i++) {
            cr_assert_lt(err.p[i].rule, SIM_RULE_COUNT, "round %d", round);
            cr_assert_gt(strlen(err.p[i].text), 0, "round %d", round);
        }
    }
    free(exact);
    return ok;
}

Test(image_corrupt, random_mutations_never_crash)
{
    size_t len;
    uint8_t *good = good_image(&len);
    sim_image_t img;
    cr_assert_eq(sim_image_open(good, len, &img, NULL), 0);
    /* Metadata lives in sector 0 and the root partition's first 17 sectors. */
    uint64_t meta_end = ((uint64_t)img.part[1].first + 17) * SIM_SECTOR_SIZE;
    uint8_t *buf = malloc(len);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned opened = 0, failed = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, good, len);
        size_t n = len;
        unsigned edits = 1 + rng_next(&seed) % 4;
        for (unsigned k = 0; k < edits; k++) {
            uint64_t at = rng_next(&seed) % meta_end;
            switch (rng_next(&seed) % 8) {
            case 0: n = rng_next(&seed) % (len + 1); break;
            case 1: case 2: buf[at] = (uint8_t)rng_next(&seed); break;
            case 3: buf[at] ^= (uint8_t)(1u << (rng_next(&seed) % 8)); break;
            default: put32(buf + (at & ~3ull), interesting(&seed, &img)); break;
            }
        }
        if (open_and_read(buf, n, round))
            opened++;
        else
            failed++;
    }
    cr_expect_gt(opened, 0, "no mutation kept the image good: the loop tests too little");
    cr_expect_gt(failed, 10000, "too few mutations broke the image");
    free(buf);
    free(good);
}
