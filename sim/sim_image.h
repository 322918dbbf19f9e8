/*
 * sim_image.h - part of the sim module's public face (sim.h includes it): the disk-image
 * format, its reader and checker (sim_image.c, sim_image_check.c) and builder
 * (sim_image_build.c).
 */
#ifndef HVSIM_SIM_IMAGE_H
#define HVSIM_SIM_IMAGE_H

#include "sim.h"

/* ==========================================================================================
 * Disk images (docs/disk-image.md): a partition table in sector 0, a raw boot partition, and
 * file-system partitions (superblock, hierarchical directories of fixed 32-byte entries, one
 * contiguous extent per file), all in 512-byte sectors with little-endian u32 fields.
 *
 * sim_image_open checks every rule of SIM_IMAGE_RULES up front; after it succeeds, the lookup,
 * iteration and read functions trust the bytes. They never copy: a sim_image_t borrows the
 * caller's buffer, which must outlive it and stay unchanged. Nothing here allocates after open,
 * so there is nothing to close.
 * ========================================================================================== */
#define SIM_SECTOR_SIZE 512u
#define SIM_IMAGE_MAX_PARTS 8
#define SIM_IMAGE_PART_NAME_MAX 15   /* characters of a partition name */
#define SIM_IMAGE_NAME_MAX 19        /* characters of a file or directory name */
#define SIM_IMAGE_MAX_DEPTH 8        /* directory levels below the root */
#define SIM_IMAGE_PATH_MAX 192       /* bytes, with the NUL: 9 levels of "/" + 19 chars */
#define SIM_IMAGE_BOOT_MAX_SECTORS 128
#define SIM_IMAGE_BUILD_MAX (1u << 30) /* the largest image sim_image_build makes */
#define SIM_IMAGE_VERSION 1u
#define SIM_IMAGE_PT_MAGIC 0x54505648u  /* "HVPT" */
#define SIM_IMAGE_FS_MAGIC 0x53465648u  /* "HVFS" */
#define SIM_IMAGE_DIR_MAGIC 0x52445648u /* "HVDR" */

/*
 * Sector 0, the partition table, and one of its 8 entries (at 32 + 32 * i):
 *
 *   0        4        8        12       16              32               288          512
 *  +--------+--------+--------+--------+---------------+----------------+------------+
 *  | magic  |version | count  |sectors | reserved (0)  | 8 entries x 32 |reserved (0)|
 *  +--------+--------+--------+--------+---------------+----------------+------------+
 *
 *   0                          16       20       24       28       32
 *  +--------------------------+--------+--------+--------+--------+
 *  | name[16], NUL-padded     | type   | first  |sectors |reserved|
 *  +--------------------------+--------+--------+--------+--------+
 */
#define SIM_PT_MAGIC 0     /* u32 "HVPT" */
#define SIM_PT_VERSION 4   /* u32 1 */
#define SIM_PT_COUNT 8     /* u32 entries in use, 1..8 */
#define SIM_PT_SECTORS 12  /* u32 sectors in the image */
#define SIM_PT_ENTRIES 32  /* the first entry */
#define SIM_PT_END 288     /* reserved from here to the end of the sector */
#define SIM_PTE_NAME 0     /* char[16] */
#define SIM_PTE_TYPE 16    /* u32 sim_part_type_t */
#define SIM_PTE_FIRST 20   /* u32 absolute first sector */
#define SIM_PTE_COUNT 24   /* u32 sectors */
#define SIM_PTE_RESERVED 28
#define SIM_PTE_SIZE 32

/*
 * The superblock (partition sector 0), a directory header and a directory entry:
 *
 *   0        4        8        12       16       20       24                        512
 *  +--------+--------+--------+--------+--------+--------+---------------------------+
 *  | magic  |version |sectors |data end|root 1st|root sz | reserved (0)              |
 *  +--------+--------+--------+--------+--------+--------+---------------------------+
 *
 *   0        4        8        12                                  32
 *  +--------+--------+--------+-----------------------------------+
 *  | magic  |version | count  | reserved (0)                      |   directory header
 *  +--------+--------+--------+-----------------------------------+
 *
 *   0                                   20  21      24       28       32
 *  +-----------------------------------+---+-------+--------+--------+
 *  | name[20], NUL-padded              |typ|rsv (0)| first  | size   |   directory entry
 *  +-----------------------------------+---+-------+--------+--------+
 */
#define SIM_SB_MAGIC 0      /* u32 "HVFS" */
#define SIM_SB_VERSION 4    /* u32 1 */
#define SIM_SB_SECTORS 8    /* u32 = the partition's sector count */
#define SIM_SB_DATA_END 12  /* u32 first free sector: every extent lies below it */
#define SIM_SB_ROOT_FIRST 16 /* u32 root directory's first sector (partition-relative) */
#define SIM_SB_ROOT_SIZE 20 /* u32 root directory's size in bytes */
#define SIM_SB_RESERVED 24
#define SIM_DIR_MAGIC 0     /* u32 "HVDR" */
#define SIM_DIR_VERSION 4   /* u32 1 */
#define SIM_DIR_COUNT 8     /* u32 entries after the header */
#define SIM_DIR_RESERVED 12
#define SIM_DE_NAME 0       /* char[20] */
#define SIM_DE_TYPE 20      /* u8 sim_entry_type_t; the u32 here equals it */
#define SIM_DE_RESERVED 21  /* 3 zero bytes */
#define SIM_DE_FIRST 24     /* u32 first sector (partition-relative) */
#define SIM_DE_SIZE 28      /* u32 bytes */
#define SIM_DE_BYTES 32     /* the size of a header and of an entry */

typedef enum { SIM_PART_BOOT = 1, SIM_PART_FS = 2 } sim_part_type_t;
typedef enum { SIM_ENTRY_FILE = 1, SIM_ENTRY_DIR = 2 } sim_entry_type_t;

/* The rules an image must follow, X(id, statement); docs/disk-image.md lists the same. */
#define SIM_IMAGE_RULES(X)                                                                         \
    X(I1, "the image is a whole number of 512-byte sectors, at least one")                         \
    X(P1, "sector 0 starts with the partition table magic \"HVPT\"")                               \
    X(P2, "the partition table version is 1")                                                      \
    X(P3, "the partition count is 1 to 8")                                                         \
    X(P4, "the table's sector count equals the image size in sectors")                            \
    X(P5, "reserved bytes and unused partition entries are zero")                                  \
    X(P6, "a partition name is 1 to 15 characters [A-Za-z0-9._-], NUL-padded")                     \
    X(P7, "partition names are unique")                                                            \
    X(P8, "a partition type is 1 (boot) or 2 (fs)")                                                \
    X(P9, "a partition has at least one sector")                                                   \
    X(P10, "a partition lies within sectors 1 .. end of the image")                                \
    X(P11, "partitions do not overlap")                                                            \
    X(P12, "there is at most one boot partition, of at most 128 sectors")                          \
    X(F1, "an fs partition starts with the superblock magic \"HVFS\"")                             \
    X(F2, "the superblock version is 1")                                                           \
    X(F3, "the superblock's sector count equals the partition's")                                 \
    X(F4, "the data end lies within 1 .. the partition's sector count")                            \
    X(F5, "the superblock's reserved bytes are zero")                                             \
    X(D1, "a directory's size is a multiple of 32, at least 32")                                   \
    X(D2, "a directory starts with the magic \"HVDR\"")                                            \
    X(D3, "the directory version is 1")                                                            \
    X(D4, "a directory's entry count matches its size (size = 32 * (1 + count))")                  \
    X(D5, "a directory header's reserved bytes are zero")                                          \
    X(D6, "a directory entry does not point into its own directory or an ancestor (no loops)")     \
    X(D7, "directories nest at most 8 levels below the root")                                      \
    X(E1, "an entry name is 1 to 19 characters [A-Za-z0-9._-], NUL-padded, not \".\" or \"..\"")  \
    X(E2, "entry names are unique within a directory")                                             \
    X(E3, "an entry type is 1 (file) or 2 (directory)")                                            \
    X(E4, "an entry's reserved bytes are zero")                                                    \
    X(E5, "an entry's extent lies within sectors 1 .. data end - 1 of its partition")              \
    X(E6, "extents do not overlap (each sector belongs to at most one file or directory)")

typedef enum {
#define SIM_X_RULEENUM(id, text) SIM_RULE_##id,
    SIM_IMAGE_RULES(SIM_X_RULEENUM)
#undef SIM_X_RULEENUM
        SIM_RULE_COUNT
} sim_image_rule_t;

const char *sim_image_rule_id(sim_image_rule_t rule);   /* "P3" */
const char *sim_image_rule_text(sim_image_rule_t rule); /* the statement */

/* One problem found in an image: where (byte offset of the offending field), which rule, and
 * what exactly is wrong. The checker keeps the first SIM_IMAGE_MAX_PROBLEMS. */
#define SIM_IMAGE_MAX_PROBLEMS 16
typedef struct {
    uint64_t offset;
    sim_image_rule_t rule;
    char text[160];
} sim_image_problem_t;

typedef struct {
    unsigned count;
    bool more; /* problems were found beyond the ones kept */
    sim_image_problem_t p[SIM_IMAGE_MAX_PROBLEMS];
} sim_image_error_t;

/* Formats a problem as "offset 0x1234: rule E5: <text>". */
void sim_image_problem_format(const sim_image_problem_t *p, char *buf, size_t len);

typedef struct {
    char name[SIM_IMAGE_PART_NAME_MAX + 1];
    sim_part_type_t type;
    uint32_t first, sectors; /* absolute */
    /* fs partitions only, from the superblock and the check: */
    uint32_t data_end, root_first, root_size, files, dirs; /* dirs counts the root */
} sim_image_part_t;

typedef struct {
    const uint8_t *bytes; /* borrowed */
    size_t len;
    uint32_t sectors;
    unsigned nparts;
    sim_image_part_t part[SIM_IMAGE_MAX_PARTS];
    uint32_t files, dirs; /* over all fs partitions */
} sim_image_t;

/* A file or directory as found in a directory (the root has name "" and entry_offset 0). */
typedef struct {
    char name[SIM_IMAGE_NAME_MAX + 1];
    sim_entry_type_t type;
    uint32_t first, size; /* partition-relative first sector; size in bytes */
    uint32_t sectors;     /* ceil(size / 512) */
    uint64_t offset;      /* byte offset of the data (or directory) in the image */
    uint64_t entry_offset;
} sim_image_entry_t;

/* Checks an image of `len` bytes against every rule. Returns 0 and fills *img when it is good;
 * returns -1 and fills *err (count >= 1) when not, and *img must not be used. `err` may be
 * NULL. The check allocates only while it runs; it never recurses and is linear in `len`. */
int sim_image_open(const uint8_t *bytes, size_t len, sim_image_t *img, sim_image_error_t *err);

/* The index of the partition called `name`, or of the first fs partition when name is NULL;
 * -1 when there is none. */
int sim_image_find_part(const sim_image_t *img, const char *name);

/* Lookup results. */
#define SIM_IMAGE_ENOENT (-1)  /* no such file or directory */
#define SIM_IMAGE_ENOTDIR (-2) /* a component on the way is a file */
#define SIM_IMAGE_EPATH (-3)   /* not an absolute path of valid names */
#define SIM_IMAGE_EPART (-4)   /* no such partition, or not an fs partition */
const char *sim_image_strerror(int code);

/* Splits "PART:/path", "PART:" or "/path" (the first fs partition). *path is NULL for "PART:"
 * (the whole partition). Returns 0, or SIM_IMAGE_EPART / SIM_IMAGE_EPATH. */
int sim_image_parse_spec(const sim_image_t *img, const char *spec, unsigned *part,
                         const char **path);

/* Finds `path` ("/", "/bin", "/bin/hello"; a trailing '/' is allowed on directories) in fs
 * partition `part`. Returns 0 and fills *out, or a SIM_IMAGE_E* code. */
int sim_image_lookup(const sim_image_t *img, unsigned part, const char *path,
                     sim_image_entry_t *out);

/* The file at `path`: points *data into the image (no copy) and sets *size. Returns 0, a
 * SIM_IMAGE_E* code, or SIM_IMAGE_ENOENT for a directory. */
int sim_image_read_file(const sim_image_t *img, unsigned part, const char *path,
                        const uint8_t **data, uint32_t *size);

/* Iterates over the entries of one directory, in stored order. */
typedef struct {
    const sim_image_t *img;
    unsigned part;
    uint64_t next, end; /* byte offsets of the next entry and the directory's end */
} sim_image_dir_t;
void sim_image_opendir(const sim_image_t *img, unsigned part, const sim_image_entry_t *dir,
                       sim_image_dir_t *it);
bool sim_image_readdir(sim_image_dir_t *it, sim_image_entry_t *out);

/* Calls fn for the entry at `path` and then, depth first in stored order, for everything below
 * it, with the entry's full path and depth (0 for `path` itself). Iterative. Returns 0 or a
 * lookup error code. */
typedef void (*sim_image_walk_fn)(const char *path, const sim_image_entry_t *e, unsigned depth,
                                  void *ctx);
int sim_image_walk(const sim_image_t *img, unsigned part, const char *path, sim_image_walk_fn fn,
                   void *ctx);

/* Builds an image from an INI manifest (format: docs/disk-image.md). Returns 0 and a malloc'd
 * image in *bytes / *len, or -1 after printing every problem to diag as "MANIFEST:LINE: error:
 * ..." (then *bytes is NULL). Deterministic: the same manifest and files give the same bytes. */
int sim_image_build(const char *manifest, uint8_t **bytes, size_t *len, FILE *diag);

#endif
