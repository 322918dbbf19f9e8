/*
 * sim_image_check.c - sim_image_open: checks a disk image against every rule of SIM_IMAGE_RULES
 * (docs/disk-image.md) before anything trusts its bytes.
 *
 * The image may be hostile: a corrupted file, a student's experiment, a fuzzer. So every offset
 * is checked against the buffer before it is read, sector arithmetic is done in 64 bits, and the
 * directory tree is walked breadth first from an explicit queue, never by recursion. Each sector
 * of a file system's data area records which extent claimed it; that one table finds overlapping
 * files, directories reached twice and directory loops, and it guarantees that every directory is
 * read at most once. Time and memory are therefore linear in the image size (plus sorting names).
 *
 * The check goes on after a problem where it safely can (skipping the bad structure), so that
 * `hvimg check` can list everything wrong with an image at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_image_internal.h"

/* Buffers for paths in messages: a directory path (< SIM_IMAGE_PATH_MAX) plus one name. */
#define PATH_BUF (SIM_IMAGE_PATH_MAX + 32)

typedef struct {
    const uint8_t *b;
    size_t len;
    sim_image_error_t *err; /* may be NULL */
    unsigned problems;
} check_t;

static void problem(check_t *c, uint64_t offset, sim_image_rule_t rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records a problem (the first SIM_IMAGE_MAX_PROBLEMS are kept, the rest only counted). */
static void problem(check_t *c, uint64_t offset, sim_image_rule_t rule, const char *fmt, ...)
{
    c->problems++;
    if (!c->err)
        return;
    if (c->err->count == SIM_IMAGE_MAX_PROBLEMS) {
        c->err->more = true;
        return;
    }
    sim_image_problem_t *p = &c->err->p[c->err->count++];
    p->offset = offset;
    p->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
}

/* Finds the first non-zero byte in [from, to), which the caller has checked lies in the image. */
static bool first_nonzero(const check_t *c, uint64_t from, uint64_t to, uint64_t *at)
{
    for (uint64_t i = from; i < to; i++)
        if (c->b[i]) {
            *at = i;
            return true;
        }
    return false;
}

/* Reports rule `rule` at the first non-zero byte of [from, to), if there is one. */
static bool expect_zero(check_t *c, uint64_t from, uint64_t to, sim_image_rule_t rule,
                        const char *what)
{
    uint64_t at;
    if (!first_nonzero(c, from, to, &at))
        return true;
    problem(c, at, rule, "%s: byte 0x%02x where 0 is required", what, c->b[at]);
    return false;
}

/* ==========================================================================================
 * The partition table (sector 0)
 * ========================================================================================== */

typedef struct {
    bool name_ok, range_ok, good; /* good: every per-entry rule holds */
} part_state_t;

/* I1 and P1..P4. Returns false when the table cannot be read any further (I1 with less than a
 * sector, P1, P2, P3); *count is then undefined. */
static bool check_table_header(check_t *c, uint32_t *count)
{
    if (c->len < SIM_SECTOR_SIZE || c->len % SIM_SECTOR_SIZE) {
        problem(c, c->len, SIM_RULE_I1, "the image is %zu bytes: %s", c->len,
                c->len < SIM_SECTOR_SIZE ? "less than one sector"
                                         : "not a whole number of 512-byte sectors (truncated?)");
        if (c->len < SIM_SECTOR_SIZE)
            return false;
    }
    uint32_t magic = simg_le32(c->b + SIM_PT_MAGIC);
    if (magic != SIM_IMAGE_PT_MAGIC) {
        problem(c, SIM_PT_MAGIC, SIM_RULE_P1,
                "the partition table magic is 0x%08x, not 0x%08x (\"HVPT\"): not an hvsim disk "
                "image", magic, SIM_IMAGE_PT_MAGIC);
        return false;
    }
    uint32_t version = simg_le32(c->b + SIM_PT_VERSION);
    if (version != SIM_IMAGE_VERSION) {
        problem(c, SIM_PT_VERSION, SIM_RULE_P2, "the partition table has version %u, not 1",
                version);
        return false;
    }
    *count = simg_le32(c->b + SIM_PT_COUNT);
    if (*count < 1 || *count > SIM_IMAGE_MAX_PARTS) {
        problem(c, SIM_PT_COUNT, SIM_RULE_P3, "the partition count is %u, not 1 to 8", *count);
        return false;
    }
    uint32_t sectors = simg_le32(c->b + SIM_PT_SECTORS);
    if (sectors != c->len / SIM_SECTOR_SIZE)
        problem(c, SIM_PT_SECTORS, SIM_RULE_P4,
                "the partition table says the image has %u sectors, but it has %zu (%zu bytes)",
                sectors, c->len / SIM_SECTOR_SIZE, c->len);
    return true;
}

/* P5 for the header's and the sector's reserved bytes and the unused entries. */
static void check_table_reserved(check_t *c, uint32_t count)
{
    expect_zero(c, SIM_PT_SECTORS + 4, SIM_PT_ENTRIES, SIM_RULE_P5,
                "the partition table's reserved field");
    for (uint32_t i = count; i < SIM_IMAGE_MAX_PARTS; i++) {
        char what[64];
        snprintf(what, sizeof what, "unused partition entry %u", i);
        expect_zero(c, SIM_PT_ENTRIES + SIM_PTE_SIZE * i, SIM_PT_ENTRIES + SIM_PTE_SIZE * (i + 1),
                    SIM_RULE_P5, what);
    }
    expect_zero(c, SIM_PT_END, SIM_SECTOR_SIZE, SIM_RULE_P5, "the partition table's tail");
}

/* P5, P6, P8, P9, P10 for entry i; fills *p with what it holds. */
static void check_part_entry(check_t *c, unsigned i, uint32_t img_sectors, sim_image_part_t *p,
                             part_state_t *st)
{
    uint64_t e = SIM_PT_ENTRIES + (uint64_t)SIM_PTE_SIZE * i;
    const uint8_t *b = c->b + e;
    char why[80], what[64];
    snprintf(what, sizeof what, "partition %u's reserved field", i);
    st->good = expect_zero(c, e + SIM_PTE_RESERVED, e + SIM_PTE_SIZE, SIM_RULE_P5, what);
    st->name_ok = !simg_field_name_problem(b + SIM_PTE_NAME, SIM_IMAGE_PART_NAME_MAX + 1, why,
                                           sizeof why);
    if (st->name_ok)
        simg_field_name(b + SIM_PTE_NAME, SIM_IMAGE_PART_NAME_MAX + 1, p->name);
    else
        problem(c, e + SIM_PTE_NAME, SIM_RULE_P6, "partition %u's name %s", i, why);
    p->type = (sim_part_type_t)simg_le32(b + SIM_PTE_TYPE);
    p->first = simg_le32(b + SIM_PTE_FIRST);
    p->sectors = simg_le32(b + SIM_PTE_COUNT);
    if (p->type != SIM_PART_BOOT && p->type != SIM_PART_FS) {
        problem(c, e + SIM_PTE_TYPE, SIM_RULE_P8,
                "partition %u has type %u, not 1 (boot) or 2 (fs)", i, (unsigned)p->type);
        st->good = false;
    }
    uint64_t end = (uint64_t)p->first + p->sectors;
    st->range_ok = false;
    if (p->sectors == 0)
        problem(c, e + SIM_PTE_COUNT, SIM_RULE_P9, "partition %u has no sectors", i);
    else if (p->first == 0)
        problem(c, e + SIM_PTE_FIRST, SIM_RULE_P10,
                "partition %u starts at sector 0, the partition table", i);
    else if (p->first >= img_sectors)
        problem(c, e + SIM_PTE_FIRST, SIM_RULE_P10,
                "partition %u starts at sector %u, past the end of the image (%u sectors)", i,
                p->first, img_sectors);
    else if (end > img_sectors)
        problem(c, e + SIM_PTE_COUNT, SIM_RULE_P10,
                "partition %u (sectors %u..%llu) ends past the end of the image (%u sectors)", i,
                p->first, (unsigned long long)end - 1, img_sectors);
    else
        st->range_ok = true;
    st->good = st->good && st->name_ok && st->range_ok;
}

/* P7, P11, P12: what must hold between the entries. A partition that overlaps an earlier one
 * is not checked further. */
static void check_part_relations(check_t *c, const sim_image_part_t *p, part_state_t *st,
                                 unsigned n)
{
    unsigned boots = 0;
    for (unsigned j = 0; j < n; j++) {
        uint64_t e = SIM_PT_ENTRIES + (uint64_t)SIM_PTE_SIZE * j;
        for (unsigned i = 0; i < j; i++) {
            if (st[i].name_ok && st[j].name_ok && strcmp(p[i].name, p[j].name) == 0)
                problem(c, e + SIM_PTE_NAME, SIM_RULE_P7,
                        "partition %u has the same name '%s' as partition %u", j, p[j].name, i);
            if (st[i].range_ok && st[j].range_ok && p[i].first < p[j].first + p[j].sectors &&
                p[j].first < p[i].first + p[i].sectors) {
                problem(c, e + SIM_PTE_FIRST, SIM_RULE_P11,
                        "partition %u (sectors %u..%u) overlaps partition %u (sectors %u..%u)", j,
                        p[j].first, p[j].first + p[j].sectors - 1, i, p[i].first,
                        p[i].first + p[i].sectors - 1);
                st[j].good = false;
            }
        }
        if (p[j].type != SIM_PART_BOOT)
            continue;
        if (++boots == 2)
            problem(c, e + SIM_PTE_TYPE, SIM_RULE_P12,
                    "partition %u is a second boot partition", j);
        if (p[j].sectors > SIM_IMAGE_BOOT_MAX_SECTORS)
            problem(c, e + SIM_PTE_COUNT, SIM_RULE_P12,
                    "boot partition %u has %u sectors, more than 128", j, p[j].sectors);
    }
}

/* ==========================================================================================
 * A file system: superblock, then the directory tree, breadth first
 * ========================================================================================== */

typedef struct {
    uint32_t first, size; /* partition-relative */
    int32_t parent;       /* index in dirs; -1 for the root */
    uint32_t depth;       /* 0 for the root */
    uint64_t entry;       /* image offset of the entry naming it (0 for the root) */
} dir_t;

typedef struct {
    int32_t dir;    /* index in dirs when the extent is a directory being walked, else -1 */
    int32_t parent; /* the directory holding the entry; -1 for the root */
    uint64_t entry; /* image offset of the entry */
} claim_t;

typedef struct {
    char name[SIM_IMAGE_NAME_MAX + 1];
    uint64_t entry;
} named_t;

typedef struct {
    check_t *c;
    const sim_image_part_t *part;
    uint64_t base;     /* image offset of the partition */
    uint32_t data_end; /* from the superblock */
    uint32_t *owner;   /* per sector below data_end: 0 free, else 1 + index into claims */
    claim_t *claims;
    size_t nclaims, claims_cap;
    dir_t *dirs;
    size_t ndirs, dirs_cap;
    named_t *names; /* the current directory's entry names, for E2 */
    size_t nnames, names_cap;
    uint32_t files;
    bool oom;
} fs_t;

/* simg_grow, reporting when memory is out (once) and setting fs->oom. */
static bool grow(fs_t *fs, void **arr, size_t *cap, size_t used, size_t elem)
{
    if (simg_grow(arr, cap, used, elem))
        return true;
    if (!fs->oom)
        problem(fs->c, fs->base, SIM_RULE_COUNT, "out of memory while checking");
    fs->oom = true;
    return false;
}

/* The path of directory d ("/" for the root), built from the names along its parent chain. */
static void dir_path(const fs_t *fs, int32_t d, char *out, size_t len)
{
    int32_t chain[SIM_IMAGE_MAX_DEPTH + 1];
    unsigned n = 0;
    for (int32_t x = d; x > 0 && n < SIM_IMAGE_MAX_DEPTH + 1; x = fs->dirs[x].parent)
        chain[n++] = x;
    size_t at = 0;
    out[0] = '\0';
    while (n-- > 0) {
        char name[SIM_IMAGE_NAME_MAX + 1];
        simg_field_name(fs->c->b + fs->dirs[chain[n]].entry, sizeof name, name);
        at += (size_t)snprintf(out + at, at < len ? len - at : 0, "/%s", name);
        if (at >= len)
            return;
    }
    if (at == 0)
        snprintf(out, len, "/");
}

/* The path of the (valid) entry at image offset `entry` in directory `parent`. */
static void entry_path(const fs_t *fs, int32_t parent, uint64_t entry, char *out, size_t len)
{
    if (parent < 0) {
        snprintf(out, len, "/");
        return;
    }
    char dir[SIM_IMAGE_PATH_MAX], name[SIM_IMAGE_NAME_MAX + 1];
    dir_path(fs, parent, dir, sizeof dir);
    simg_field_name(fs->c->b + entry, sizeof name, name);
    snprintf(out, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);
}

/* F1..F5. Returns false when the file system cannot be walked. */
static bool check_superblock(fs_t *fs)
{
    check_t *c = fs->c;
    const uint8_t *sb = c->b + fs->base;
    const char *pn = fs->part->name;
    uint32_t v = simg_le32(sb + SIM_SB_MAGIC);
    if (v != SIM_IMAGE_FS_MAGIC) {
        problem(c, fs->base + SIM_SB_MAGIC, SIM_RULE_F1,
                "partition '%s' has superblock magic 0x%08x, not 0x%08x (\"HVFS\")", pn, v,
                SIM_IMAGE_FS_MAGIC);
        return false;
    }
    if ((v = simg_le32(sb + SIM_SB_VERSION)) != SIM_IMAGE_VERSION) {
        problem(c, fs->base + SIM_SB_VERSION, SIM_RULE_F2,
                "partition '%s' has superblock version %u, not 1", pn, v);
        return false;
    }
    if ((v = simg_le32(sb + SIM_SB_SECTORS)) != fs->part->sectors)
        problem(c, fs->base + SIM_SB_SECTORS, SIM_RULE_F3,
                "partition '%s': the superblock says %u sectors, the partition table %u", pn, v,
                fs->part->sectors);
    fs->data_end = simg_le32(sb + SIM_SB_DATA_END);
    if (fs->data_end == 0 || fs->data_end > fs->part->sectors) {
        problem(c, fs->base + SIM_SB_DATA_END, SIM_RULE_F4,
                "partition '%s': the data end %u is outside 1..%u", pn, fs->data_end,
                fs->part->sectors);
        return false;
    }
    char what[64];
    snprintf(what, sizeof what, "partition '%s': the superblock's reserved field", pn);
    expect_zero(c, fs->base + SIM_SB_RESERVED, fs->base + SIM_SECTOR_SIZE, SIM_RULE_F5, what);
    return true;
}

/* D1: the size of a directory. */
static bool check_dir_size(fs_t *fs, const char *path, uint32_t size, uint64_t size_at)
{
    if (size >= SIM_DE_BYTES && size % SIM_DE_BYTES == 0)
        return true;
    problem(fs->c, size_at, SIM_RULE_D1,
            "directory '%s' is %u bytes, not a multiple of 32 that is at least 32", path, size);
    return false;
}

/* E5: the extent [first, first + ceil(size / 512)) lies in 1 .. data end - 1. */
static bool check_extent(fs_t *fs, const char *path, uint32_t first, uint32_t size,
                         uint64_t first_at, uint64_t size_at)
{
    uint32_t n = simg_sectors(size), de = fs->data_end, ps = fs->part->sectors;
    uint64_t end = (uint64_t)first + n;
    const char *pn = fs->part->name;
    if (first == 0)
        problem(fs->c, first_at, SIM_RULE_E5, "'%s' starts at sector 0, the superblock", path);
    else if (first >= ps)
        problem(fs->c, first_at, SIM_RULE_E5,
                "'%s' starts at sector %u, past the end of partition '%s' (%u sectors)", path,
                first, pn, ps);
    else if (first > de || (first == de && n > 0))
        problem(fs->c, first_at, SIM_RULE_E5,
                "'%s' starts at sector %u, at or past the data end (sector %u)", path, first, de);
    else if (end > ps)
        problem(fs->c, size_at, SIM_RULE_E5,
                "'%s' is %u bytes (%u sectors) from sector %u: it ends past the end of partition "
                "'%s' (%u sectors)", path, size, n, first, pn, ps);
    else if (end > de)
        problem(fs->c, size_at, SIM_RULE_E5,
                "'%s' is %u bytes (%u sectors) from sector %u: it ends past the data end (sector "
                "%u)", path, size, n, first, de);
    else
        return true;
    return false;
}

static bool is_ancestor(const fs_t *fs, int32_t a, int32_t d)
{
    for (int32_t x = d; x >= 0; x = fs->dirs[x].parent)
        if (x == a)
            return true;
    return false;
}

/* Claims the sectors of an extent for the entry at `entry` in directory `parent` (D6, E6).
 * `as_dir` is the index the directory will get in dirs, or -1 for a file. Returns the claim's
 * index, or -1 when a sector was taken (the problem is reported). */
static long claim_extent(fs_t *fs, int32_t parent, uint64_t entry, int32_t as_dir,
                         const char *path, uint32_t first, uint32_t size)
{
    if (!grow(fs, (void **)&fs->claims, &fs->claims_cap, fs->nclaims, sizeof(claim_t)))
        return -1;
    size_t id = fs->nclaims++;
    fs->claims[id] = (claim_t){.dir = as_dir, .parent = parent, .entry = entry};
    uint32_t end = first + simg_sectors(size); /* <= data end: E5 holds */
    for (uint32_t s = first; s < end; s++) {
        if (!fs->owner[s]) {
            fs->owner[s] = (uint32_t)id + 1;
            continue;
        }
        fs->claims[id].dir = -1; /* what it claimed so far is not a directory to walk */
        const claim_t *o = &fs->claims[fs->owner[s] - 1];
        char other[PATH_BUF];
        entry_path(fs, o->parent, o->entry, other, sizeof other);
        uint64_t at = entry ? entry + SIM_DE_FIRST : fs->base + SIM_SB_ROOT_FIRST;
        if (as_dir >= 0 && o->dir >= 0 && is_ancestor(fs, o->dir, parent))
            problem(fs->c, at, SIM_RULE_D6,
                    "directory '%s' points to sector %u, inside '%s', its own directory or an "
                    "ancestor: a directory loop", path, first, other);
        else
            problem(fs->c, at, SIM_RULE_E6, "'%s' (sectors %u..%u) overlaps '%s' at sector %u",
                    path, first, end - 1, other, s);
        return -1;
    }
    return (long)id;
}

/* Queues a directory whose extent has been claimed; D7. */
static void queue_dir(fs_t *fs, int32_t parent, uint64_t entry, const char *path, uint32_t first,
                      uint32_t size, long claim)
{
    uint32_t depth = parent < 0 ? 0 : fs->dirs[parent].depth + 1;
    if (depth > SIM_IMAGE_MAX_DEPTH) {
        problem(fs->c, entry + SIM_DE_FIRST, SIM_RULE_D7,
                "directory '%s' is %u levels below the root; at most 8 are allowed", path, depth);
        fs->claims[claim].dir = -1;
        return;
    }
    if (!grow(fs, (void **)&fs->dirs, &fs->dirs_cap, fs->ndirs, sizeof(dir_t)))
        return;
    fs->claims[claim].dir = (int32_t)fs->ndirs;
    fs->dirs[fs->ndirs++] =
        (dir_t){.first = first, .size = size, .parent = parent, .depth = depth, .entry = entry};
}

/* E1, E3, E4, D1, E5, D6, E6, D7 for the entry at image offset e of directory d. */
static void check_entry(fs_t *fs, int32_t d, uint64_t e)
{
    const uint8_t *b = fs->c->b + e;
    char why[80], path[PATH_BUF];
    if (simg_field_name_problem(b + SIM_DE_NAME, SIM_IMAGE_NAME_MAX + 1, why, sizeof why)) {
        dir_path(fs, d, path, sizeof path);
        problem(fs->c, e + SIM_DE_NAME, SIM_RULE_E1, "an entry of directory '%s': its name %s",
                path, why);
        return;
    }
    entry_path(fs, d, e, path, sizeof path);
    uint8_t type = b[SIM_DE_TYPE];
    if (type != SIM_ENTRY_FILE && type != SIM_ENTRY_DIR) {
        problem(fs->c, e + SIM_DE_TYPE, SIM_RULE_E3,
                "'%s' has type %u, not 1 (file) or 2 (directory)", path, type);
        return;
    }
    char what[PATH_BUF + 64];
    snprintf(what, sizeof what, "'%s': the entry's reserved field", path);
    if (!expect_zero(fs->c, e + SIM_DE_RESERVED, e + SIM_DE_FIRST, SIM_RULE_E4, what))
        return;
    if (grow(fs, (void **)&fs->names, &fs->names_cap, fs->nnames, sizeof(named_t))) {
        simg_field_name(b + SIM_DE_NAME, SIM_IMAGE_NAME_MAX + 1, fs->names[fs->nnames].name);
        fs->names[fs->nnames++].entry = e;
    }
    uint32_t first = simg_le32(b + SIM_DE_FIRST), size = simg_le32(b + SIM_DE_SIZE);
    bool is_dir = type == SIM_ENTRY_DIR;
    if (is_dir && !check_dir_size(fs, path, size, e + SIM_DE_SIZE))
        return;
    if (!check_extent(fs, path, first, size, e + SIM_DE_FIRST, e + SIM_DE_SIZE))
        return;
    long claim = claim_extent(fs, d, e, is_dir ? 0 : -1, path, first, size);
    if (claim < 0)
        return;
    if (is_dir)
        queue_dir(fs, d, e, path, first, size, claim);
    else
        fs->files++;
}

static int compare_named(const void *a, const void *b)
{
    const named_t *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->entry > y->entry) - (x->entry < y->entry);
}

/* E2: sorts the directory's names and reports each one found again. */
static void check_unique_names(fs_t *fs, int32_t d)
{
    if (fs->nnames < 2)
        return; /* nothing to compare (and names may be NULL, which qsort must not get) */
    qsort(fs->names, fs->nnames, sizeof(named_t), compare_named);
    for (size_t i = 1; i < fs->nnames; i++) {
        if (strcmp(fs->names[i].name, fs->names[i - 1].name))
            continue;
        char path[PATH_BUF];
        dir_path(fs, d, path, sizeof path);
        problem(fs->c, fs->names[i].entry, SIM_RULE_E2,
                "the name '%s' appears twice in directory '%s' (first at offset 0x%llx)",
                fs->names[i].name, path, (unsigned long long)fs->names[i - 1].entry);
    }
}

/* D2..D5 for directory d, then each of its entries and E2. */
static void check_directory(fs_t *fs, int32_t d)
{
    const dir_t dir = fs->dirs[d];
    uint64_t at = fs->base + (uint64_t)dir.first * SIM_SECTOR_SIZE;
    const uint8_t *h = fs->c->b + at;
    char path[PATH_BUF];
    dir_path(fs, d, path, sizeof path);
    uint32_t v = simg_le32(h + SIM_DIR_MAGIC), count = simg_le32(h + SIM_DIR_COUNT);
    if (v != SIM_IMAGE_DIR_MAGIC) {
        problem(fs->c, at + SIM_DIR_MAGIC, SIM_RULE_D2,
                "directory '%s' has magic 0x%08x, not 0x%08x (\"HVDR\")", path, v,
                SIM_IMAGE_DIR_MAGIC);
        return;
    }
    if ((v = simg_le32(h + SIM_DIR_VERSION)) != SIM_IMAGE_VERSION) {
        problem(fs->c, at + SIM_DIR_VERSION, SIM_RULE_D3, "directory '%s' has version %u, not 1",
                path, v);
        return;
    }
    if (count != dir.size / SIM_DE_BYTES - 1) {
        problem(fs->c, at + SIM_DIR_COUNT, SIM_RULE_D4,
                "directory '%s' says it has %u entries, but its size %u bytes holds %u", path,
                count, dir.size, dir.size / SIM_DE_BYTES - 1);
        return;
    }
    char what[PATH_BUF + 64];
    snprintf(what, sizeof what, "directory '%s': the header's reserved field", path);
    expect_zero(fs->c, at + SIM_DIR_RESERVED, at + SIM_DE_BYTES, SIM_RULE_D5, what);
    fs->nnames = 0;
    for (uint32_t i = 1; i <= count && !fs->oom; i++)
        check_entry(fs, d, at + (uint64_t)SIM_DE_BYTES * i);
    check_unique_names(fs, d);
}

/* Checks one fs partition whose table entry is good; fills its counts in *part. */
static void check_fs(check_t *c, sim_image_part_t *part)
{
    fs_t fs = {.c = c, .part = part, .base = (uint64_t)part->first * SIM_SECTOR_SIZE};
    if (!check_superblock(&fs))
        return;
    const uint8_t *sb = c->b + fs.base;
    uint32_t rf = simg_le32(sb + SIM_SB_ROOT_FIRST), rs = simg_le32(sb + SIM_SB_ROOT_SIZE);
    fs.owner = calloc(fs.data_end, sizeof *fs.owner);
    if (!fs.owner) {
        problem(c, fs.base, SIM_RULE_COUNT, "out of memory while checking");
        return;
    }
    long claim;
    if (check_dir_size(&fs, "/", rs, fs.base + SIM_SB_ROOT_SIZE) &&
        check_extent(&fs, "/", rf, rs, fs.base + SIM_SB_ROOT_FIRST, fs.base + SIM_SB_ROOT_SIZE) &&
        (claim = claim_extent(&fs, -1, 0, 0, "/", rf, rs)) >= 0)
        queue_dir(&fs, -1, 0, "/", rf, rs, claim);
    for (size_t d = 0; d < fs.ndirs && !fs.oom; d++)
        check_directory(&fs, (int32_t)d);
    part->data_end = fs.data_end;
    part->root_first = rf;
    part->root_size = rs;
    part->files = fs.files;
    part->dirs = (uint32_t)fs.ndirs;
    free(fs.owner);
    free(fs.claims);
    free(fs.dirs);
    free(fs.names);
}

/* ==========================================================================================
 * The whole image
 * ========================================================================================== */

int sim_image_open(const uint8_t *bytes, size_t len, sim_image_t *img, sim_image_error_t *err)
{
    check_t c = {.b = bytes, .len = len, .err = err};
    if (err)
        memset(err, 0, sizeof *err);
    memset(img, 0, sizeof *img);
    uint32_t count;
    if (!bytes || !check_table_header(&c, &count))
        return -1;
    uint32_t sectors = (uint32_t)(len / SIM_SECTOR_SIZE > UINT32_MAX ? UINT32_MAX
                                                                     : len / SIM_SECTOR_SIZE);
    check_table_reserved(&c, count);
    part_state_t st[SIM_IMAGE_MAX_PARTS];
    for (unsigned i = 0; i < count; i++)
        check_part_entry(&c, i, sectors, &img->part[i], &st[i]);
    check_part_relations(&c, img->part, st, count);
    for (unsigned i = 0; i < count; i++)
        if (st[i].good && img->part[i].type == SIM_PART_FS)
            check_fs(&c, &img->part[i]);
    if (c.problems)
        return -1;
    img->bytes = bytes;
    img->len = len;
    img->sectors = sectors;
    img->nparts = count;
    for (unsigned i = 0; i < count; i++) {
        img->files += img->part[i].files;
        img->dirs += img->part[i].dirs;
    }
    return 0;
}
