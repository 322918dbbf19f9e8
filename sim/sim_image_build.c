/*
 * sim_image_build.c - sim_image_build: makes a disk image from an INI manifest (the format is in
 * docs/disk-image.md, the manifest at its end).
 *
 * It works in four passes, so that each error can name the manifest line it comes from:
 *   1. parse: libinih reads key = value pairs; our line reader counts lines, notices section
 *      headers and records every key with its line in the current section;
 *   2. resolve: check each section's keys and values, read the source files, and insert files
 *      and directories into their partition's tree;
 *   3. lay out: size the partitions and place the directories (breadth first) and the files
 *      (in manifest order) in contiguous extents;
 *   4. emit: write the bytes, then check them with sim_image_open (a failure is our bug).
 * Nothing is written to disk here: the caller gets the bytes and writes them atomically.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>

#include "sim_image_internal.h"

/* The keys a section can have; each section kind allows some of them. */
typedef enum { KEY_SIZE, KEY_TYPE, KEY_FILE, KEY_SOURCE, KEY_PARTITION, KEY_COUNT } key_id_t;
static const char *const key_names[KEY_COUNT] = {"size", "type", "file", "source", "partition"};

typedef enum { SEC_IMAGE, SEC_PART, SEC_FILE, SEC_DIR, SEC_BAD } sec_kind_t;
static const struct {
    const char *word;
    bool has_arg;
    unsigned keys; /* bit per key_id_t */
} sec_kinds[] = {
    [SEC_IMAGE] = {"image", false, 1u << KEY_SIZE},
    [SEC_PART] = {"partition", true, 1u << KEY_SIZE | 1u << KEY_TYPE | 1u << KEY_FILE},
    [SEC_FILE] = {"file", true, 1u << KEY_SOURCE | 1u << KEY_PARTITION},
    [SEC_DIR] = {"dir", true, 1u << KEY_PARTITION},
};

typedef struct {
    sec_kind_t kind;
    int line;
    char *arg; /* partition name or path; NULL for [image] */
    char *value[KEY_COUNT];
    int key_line[KEY_COUNT]; /* 0: not given */
} section_t;

/* A file or directory of an fs partition; node 0 is the root. */
typedef struct {
    char name[SIM_IMAGE_NAME_MAX + 1];
    sim_entry_type_t type;
    int line;     /* the section that made it (or first implied it) */
    bool given;   /* named by its own section, not only implied */
    long parent;  /* -1 for the root */
    long child, last_child, next; /* first child, last child, next sibling; -1: none */
    uint32_t nchildren;
    char *data; /* a file's contents (malloc'd) */
    size_t size;
    uint32_t first; /* laid out: partition-relative first sector */
} node_t;

typedef struct {
    section_t *sec;
    char name[SIM_IMAGE_PART_NAME_MAX + 1];
    sim_part_type_t type;
    uint64_t size; /* bytes; 0 when not given */
    char *data;    /* boot partition contents */
    size_t data_len;
    node_t *nodes;
    size_t nnodes, nodes_cap;
    uint32_t first, sectors, needed, data_end;
} bpart_t;

typedef struct {
    const char *manifest;
    FILE *diag;
    int errors;
    char *text; /* the manifest */
    size_t pos, len;
    int line;
    section_t *secs;
    size_t nsecs, secs_cap;
    bpart_t part[SIM_IMAGE_MAX_PARTS];
    unsigned nparts;
    uint64_t image_size; /* bytes; 0 when not given */
    bool oom;
} build_t;

static bool error_at(build_t *b, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "MANIFEST:LINE: error: ..." (or "MANIFEST: error: ..." when line is 0). Returns false,
 * so that a function can report and fail in one statement. */
static bool error_at(build_t *b, int line, const char *fmt, ...)
{
    b->errors++;
    if (line > 0)
        fprintf(b->diag, "%s:%d: error: ", b->manifest, line);
    else
        fprintf(b->diag, "%s: error: ", b->manifest);
    va_list ap;
    va_start(ap, fmt);
    sim_vfprintf_printable(b->diag, fmt, ap); /* it may quote a binary file's bytes */
    va_end(ap);
    fputc('\n', b->diag);
    return false;
}

/* simg_grow, reporting when memory is out (once). */
static bool grow(build_t *b, void **arr, size_t *cap, size_t used, size_t elem)
{
    if (simg_grow(arr, cap, used, elem))
        return true;
    if (!b->oom)
        error_at(b, 0, "out of memory");
    b->oom = true;
    return false;
}

/* ==========================================================================================
 * Pass 1: parsing
 * ========================================================================================== */

/* A section header line "[kind arg]": opens a new section. */
static void begin_section(build_t *b, const char *line)
{
    const char *end = strchr(line, ']');
    if (!end || !grow(b, (void **)&b->secs, &b->secs_cap, b->nsecs, sizeof(section_t)))
        return; /* inih reports the missing ']' */
    section_t *s = &b->secs[b->nsecs++];
    memset(s, 0, sizeof *s);
    s->line = b->line;
    s->kind = SEC_BAD;
    const char *p = line + 1;
    p += strspn(p, " \t");
    size_t wlen = strcspn(p, " \t]");
    const char *arg = p + wlen + strspn(p + wlen, " \t");
    size_t alen = (size_t)(end - arg);
    while (alen > 0 && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t'))
        alen--;
    for (unsigned k = 0; k < SEC_BAD; k++)
        if (strlen(sec_kinds[k].word) == wlen && strncmp(p, sec_kinds[k].word, wlen) == 0 &&
            sec_kinds[k].has_arg == (alen > 0))
            s->kind = (sec_kind_t)k;
    if (s->kind == SEC_BAD) {
        error_at(b, b->line, "unknown section %.*s: expected [image], [partition NAME], "
                 "[file /PATH] or [dir /PATH]", (int)(end - line + 1), line);
        return;
    }
    if (alen > 0 && !(s->arg = strndup(arg, alen)))
        b->oom = true;
}

/* The line reader libinih calls: one manifest line per call, with leading white space removed
 * (so there are no continuation lines), counted, and section headers noticed. */
static char *read_line(char *str, int num, void *stream)
{
    build_t *b = stream;
    if (b->pos >= b->len)
        return NULL;
    const char *s = b->text + b->pos;
    const char *nl = memchr(s, '\n', b->len - b->pos);
    size_t n = nl ? (size_t)(nl - s) : b->len - b->pos;
    b->pos += n + (nl != NULL);
    b->line++;
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    if (n >= (size_t)num) {
        error_at(b, b->line, "the line is longer than %d characters", num - 1);
        str[0] = '\0';
        return str;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    if (str[0] == '[')
        begin_section(b, str);
    return str;
}

/* libinih's handler: records one key = value in the current section. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    (void)section;
    build_t *b = user;
    section_t *s = b->nsecs ? &b->secs[b->nsecs - 1] : NULL;
    if (!s) {
        error_at(b, b->line, "'%s' is outside any section", name);
        return 1;
    }
    if (s->kind == SEC_BAD)
        return 1; /* already reported */
    int k = 0;
    while (k < KEY_COUNT && (strcmp(key_names[k], name) || !(sec_kinds[s->kind].keys >> k & 1)))
        k++;
    if (k == KEY_COUNT)
        error_at(b, b->line, "unknown key '%s' in [%s%s%s]", name, sec_kinds[s->kind].word,
                 s->arg ? " " : "", s->arg ? s->arg : "");
    else if (s->key_line[k])
        error_at(b, b->line, "'%s' is given twice (first at line %d)", name, s->key_line[k]);
    else if (!(s->value[k] = strdup(value)))
        b->oom = true;
    else
        s->key_line[k] = b->line;
    return 1;
}

static bool parse(build_t *b)
{
    int rc = ini_parse_stream(read_line, b, on_key, b);
    if (rc > 0)
        error_at(b, rc, "syntax error: expected [SECTION], KEY = VALUE, a comment or nothing");
    else if (rc < 0)
        error_at(b, 0, "out of memory");
    return b->errors == 0 && !b->oom;
}

/* ==========================================================================================
 * Pass 2: resolving sections
 * ========================================================================================== */

/* Parses a size "N", "NK" or "NM": whole sectors, more than 0, at most 1 GiB. */
static bool parse_size(build_t *b, const section_t *s, uint64_t *out)
{
    const char *text = s->value[KEY_SIZE];
    int line = s->key_line[KEY_SIZE];
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t mult = *end == 'K' || *end == 'k' ? 1024 : *end == 'M' || *end == 'm' ? 1 << 20 : 1;
    end += mult > 1;
    if (errno || end == text || *end || text[0] == '-' || text[0] == '+') {
        error_at(b, line, "size '%s' is not a number of bytes (with an optional K or M)", text);
        return false;
    }
    if (v > SIM_IMAGE_BUILD_MAX / mult || v * mult > SIM_IMAGE_BUILD_MAX)
        error_at(b, line, "size '%s' is more than 1 GiB", text);
    else if (v == 0 || (v * mult) % SIM_SECTOR_SIZE)
        error_at(b, line, "size '%s' is not a whole number of 512-byte sectors", text);
    else {
        *out = v * mult;
        return true;
    }
    return false;
}

/* Reads a source file named relative to the manifest's directory. */
static char *read_source(build_t *b, const char *name, int line, size_t *len)
{
    const char *slash = strrchr(b->manifest, '/');
    size_t dlen = name[0] == '/' || !slash ? 0 : (size_t)(slash - b->manifest) + 1;
    char *path = malloc(dlen + strlen(name) + 1);
    if (!path) {
        b->oom = true;
        return NULL;
    }
    memcpy(path, b->manifest, dlen);
    strcpy(path + dlen, name);
    char *data = sim_read_file_max(path, SIM_IMAGE_BUILD_MAX, len);
    char why[96];
    if (!data)
        error_at(b, line, "cannot read '%s': %s", path,
                 sim_read_error(errno, SIM_IMAGE_BUILD_MAX, why, sizeof why));
    free(path);
    return data;
}

static bool resolve_partition(build_t *b, section_t *s)
{
    char why[80];
    if (simg_name_problem(s->arg, SIM_IMAGE_PART_NAME_MAX, why, sizeof why))
        return error_at(b, s->line, "partition name '%s' %s", s->arg, why);
    for (unsigned i = 0; i < b->nparts; i++)
        if (strcmp(b->part[i].name, s->arg) == 0)
            return error_at(b, s->line, "partition '%s' is defined twice (first at line %d)",
                            s->arg, b->part[i].sec->line);
    if (b->nparts == SIM_IMAGE_MAX_PARTS)
        return error_at(b, s->line, "more than 8 partitions");
    bpart_t *p = &b->part[b->nparts++];
    p->sec = s;
    strcpy(p->name, s->arg);
    const char *type = s->value[KEY_TYPE];
    if (!type)
        return error_at(b, s->line, "partition '%s' has no 'type' (boot or fs)", p->name);
    if (strcmp(type, "boot") == 0) {
        p->type = SIM_PART_BOOT;
        for (unsigned i = 0; i + 1 < b->nparts; i++)
            if (b->part[i].type == SIM_PART_BOOT)
                return error_at(b, s->key_line[KEY_TYPE],
                                "a second boot partition (the first is '%s', line %d)",
                                b->part[i].name, b->part[i].sec->line);
    } else if (strcmp(type, "fs") == 0) {
        p->type = SIM_PART_FS;
        if (s->value[KEY_FILE])
            return error_at(b, s->key_line[KEY_FILE],
                            "'file' is only for boot partitions; an fs partition gets [file] "
                            "sections");
    } else
        return error_at(b, s->key_line[KEY_TYPE], "type '%s' is not 'boot' or 'fs'", type);
    if (s->value[KEY_SIZE] && !parse_size(b, s, &p->size))
        return false;
    if (s->value[KEY_FILE])
        p->data = read_source(b, s->value[KEY_FILE], s->key_line[KEY_FILE], &p->data_len);
    return p->data || !s->value[KEY_FILE];
}

/* The fs partition a [file] or [dir] section goes to, or NULL (reported). */
static bpart_t *target_partition(build_t *b, const section_t *s)
{
    const char *want = s->value[KEY_PARTITION];
    bpart_t *found = NULL;
    unsigned nfs = 0;
    for (unsigned i = 0; i < b->nparts; i++) {
        if (want ? strcmp(b->part[i].name, want) == 0 : b->part[i].type == SIM_PART_FS)
            found = found ? found : &b->part[i];
        nfs += b->part[i].type == SIM_PART_FS;
    }
    if (want && !found)
        error_at(b, s->key_line[KEY_PARTITION], "there is no partition '%s'", want);
    else if (want && found->type != SIM_PART_FS)
        error_at(b, s->key_line[KEY_PARTITION],
                 "partition '%s' is not an fs partition: it holds no files", want);
    else if (!want && nfs == 0)
        error_at(b, s->line, "there is no fs partition to hold '%s'", s->arg);
    else if (!want && nfs > 1)
        error_at(b, s->line, "there are %u fs partitions: say which one holds '%s' with "
                 "'partition = NAME'", nfs, s->arg);
    else
        return found;
    return NULL;
}

static long add_node(build_t *b, bpart_t *p, long parent, const char *name, size_t n,
                     sim_entry_type_t type, int line)
{
    if (!grow(b, (void **)&p->nodes, &p->nodes_cap, p->nnodes, sizeof(node_t)))
        return -1;
    long id = (long)p->nnodes++;
    node_t *nd = &p->nodes[id];
    memset(nd, 0, sizeof *nd);
    memcpy(nd->name, name, n);
    nd->type = type;
    nd->line = line;
    nd->parent = parent;
    nd->child = nd->last_child = nd->next = -1;
    if (parent >= 0) {
        node_t *pp = &p->nodes[parent];
        if (pp->last_child >= 0)
            p->nodes[pp->last_child].next = id;
        else
            pp->child = id;
        pp->last_child = id;
        pp->nchildren++;
    }
    return id;
}

static long find_child(const bpart_t *p, long dir, const char *name, size_t n)
{
    for (long c = p->nodes[dir].child; c >= 0; c = p->nodes[c].next)
        if (strlen(p->nodes[c].name) == n && memcmp(p->nodes[c].name, name, n) == 0)
            return c;
    return -1;
}

/* Inserts the path of a [file] or [dir] section, creating the directories on the way. Returns
 * the node, or -1 (reported). */
static long insert_path(build_t *b, bpart_t *p, const section_t *s, sim_entry_type_t type)
{
    const char *path = s->arg, *c = path + 1;
    if (path[0] != '/' || path[1] == '\0')
        return error_at(b, s->line, "'%s' is not an absolute path below '/'", path), -1;
    long cur = 0;
    for (unsigned depth = 0;; depth++) {
        size_t n = strcspn(c, "/");
        char name[SIM_IMAGE_NAME_MAX + 2], why[80];
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), c);
        if (n > SIM_IMAGE_NAME_MAX)
            snprintf(why, sizeof why, "is %zu characters long, more than %d", n,
                     SIM_IMAGE_NAME_MAX);
        if (n > SIM_IMAGE_NAME_MAX || simg_name_problem(name, SIM_IMAGE_NAME_MAX, why, sizeof why))
            return error_at(b, s->line, "in '%s': the name '%.*s' %s", path, (int)n, c, why), -1;
        bool last = c[n] == '\0';
        unsigned levels = depth + (type == SIM_ENTRY_DIR || !last);
        if (levels > SIM_IMAGE_MAX_DEPTH)
            return error_at(b, s->line, "'%s' is nested more than 8 directories deep", path), -1;
        long found = find_child(p, cur, c, n);
        node_t *f = found >= 0 ? &p->nodes[found] : NULL;
        if (f && f->type == SIM_ENTRY_FILE)
            return error_at(b, s->line, "'%.*s' is a file (line %d)%s", (int)(c + n - path), path,
                            f->line, last ? ", given again here" : ", not a directory"), -1;
        if (last && f && (f->given || type == SIM_ENTRY_FILE))
            return error_at(b, s->line, "'%s' is already a directory (line %d)", path, f->line),
                   -1;
        if (!f && (found = add_node(b, p, cur, c, n, last ? type : SIM_ENTRY_DIR, s->line)) < 0)
            return -1;
        if (last) {
            p->nodes[found].given = true;
            return found;
        }
        cur = found;
        c += n + 1;
    }
}

static bool resolve_entry(build_t *b, const section_t *s)
{
    if (s->kind == SEC_FILE && !s->value[KEY_SOURCE])
        return error_at(b, s->line, "[file %s] has no 'source'", s->arg);
    bpart_t *p = target_partition(b, s);
    if (!p || (!p->nodes && add_node(b, p, -1, "", 0, SIM_ENTRY_DIR, p->sec->line) < 0))
        return false;
    long id = insert_path(b, p, s, s->kind == SEC_FILE ? SIM_ENTRY_FILE : SIM_ENTRY_DIR);
    if (id < 0 || s->kind != SEC_FILE)
        return id >= 0;
    size_t len;
    char *data = read_source(b, s->value[KEY_SOURCE], s->key_line[KEY_SOURCE], &len);
    p->nodes[id].data = data;
    p->nodes[id].size = data ? len : 0;
    return data != NULL;
}

static bool resolve(build_t *b)
{
    const section_t *image = NULL;
    for (size_t i = 0; i < b->nsecs; i++) {
        section_t *s = &b->secs[i];
        if (s->kind == SEC_IMAGE && image)
            error_at(b, s->line, "[image] is given twice (first at line %d)", image->line);
        else if (s->kind == SEC_IMAGE && (image = s)->value[KEY_SIZE])
            parse_size(b, s, &b->image_size);
        else if (s->kind == SEC_PART)
            resolve_partition(b, s);
    }
    if (b->nparts == 0 && b->errors == 0)
        error_at(b, 0, "no [partition NAME] section: an image needs at least one partition");
    for (size_t i = 0; i < b->nsecs && b->errors == 0; i++)
        if (b->secs[i].kind == SEC_FILE || b->secs[i].kind == SEC_DIR)
            resolve_entry(b, &b->secs[i]);
    return b->errors == 0 && !b->oom;
}

/* ==========================================================================================
 * Pass 3: layout
 * ========================================================================================== */

static uint32_t dir_bytes(const node_t *n)
{
    return SIM_DE_BYTES * (1 + n->nchildren);
}

/* Places the directories breadth first from sector 1, then the files in manifest order, and
 * sets p->needed. Nodes are created parents first, so BFS order is a queue over the array. */
static void layout_fs(build_t *b, bpart_t *p)
{
    if (!p->nodes && add_node(b, p, -1, "", 0, SIM_ENTRY_DIR, p->sec->line) < 0)
        return;
    long *queue = malloc(p->nnodes * sizeof *queue);
    if (!queue) {
        b->oom = true;
        return;
    }
    size_t head = 0, tail = 0;
    uint64_t next = 1;
    queue[tail++] = 0;
    while (head < tail) {
        node_t *d = &p->nodes[queue[head++]];
        d->first = (uint32_t)next;
        next += simg_sectors(dir_bytes(d));
        for (long c = d->child; c >= 0; c = p->nodes[c].next)
            if (p->nodes[c].type == SIM_ENTRY_DIR)
                queue[tail++] = c;
    }
    free(queue);
    p->data_end = (uint32_t)next; /* where the files start, until they are placed */
    for (size_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].type == SIM_ENTRY_FILE)
            next += simg_sectors((uint32_t)p->nodes[i].size);
    p->needed = next > UINT32_MAX ? UINT32_MAX : (uint32_t)next;
}

/* Gives files their sectors inside p->sectors; reports the first one that does not fit. */
static bool place_files(build_t *b, bpart_t *p)
{
    uint64_t next = p->data_end;
    if (next > p->sectors)
        return error_at(b, p->sec->line, "partition '%s' (%u sectors) is too small even for its "
                        "%llu sectors of directories", p->name, p->sectors,
                        (unsigned long long)next - 1);
    for (size_t i = 0; i < p->nnodes; i++) {
        node_t *f = &p->nodes[i];
        if (f->type != SIM_ENTRY_FILE)
            continue;
        uint32_t n = simg_sectors((uint32_t)f->size);
        if (next + n > p->sectors)
            return error_at(b, f->line, "the file (%zu bytes, %u sectors) does not fit in "
                            "partition '%s' (%u sectors, %llu of them still free)", f->size, n,
                            p->name, p->sectors, (unsigned long long)(p->sectors - next));
        f->first = (uint32_t)next;
        next += n;
    }
    p->data_end = (uint32_t)next;
    return true;
}

/* The sectors of a boot partition, or 0 (reported). */
static uint32_t boot_sectors(build_t *b, const bpart_t *p)
{
    const section_t *s = p->sec;
    uint64_t n = p->size ? p->size / SIM_SECTOR_SIZE : simg_sectors((uint32_t)p->data_len);
    int line = s->key_line[KEY_SIZE] ? s->key_line[KEY_SIZE] : s->key_line[KEY_FILE];
    if (n == 0)
        n = 1;
    if (p->data_len > n * SIM_SECTOR_SIZE)
        error_at(b, s->key_line[KEY_FILE], "the file (%zu bytes) does not fit in partition '%s' "
                 "(%llu bytes)", p->data_len, p->name, (unsigned long long)n * SIM_SECTOR_SIZE);
    else if (n > SIM_IMAGE_BOOT_MAX_SECTORS)
        error_at(b, line, "boot partition '%s' would have %llu sectors, more than 128 (64 KiB)", p->name,
                 (unsigned long long)n);
    else
        return (uint32_t)n;
    return 0;
}

/* Sizes every partition and places them after sector 0; returns the image's sector count, or
 * 0 (reported). At most one fs partition without a size takes what the image has left. */
static uint64_t layout(build_t *b)
{
    bpart_t *rest = NULL;
    uint64_t used = 1;
    for (unsigned i = 0; i < b->nparts; i++) {
        bpart_t *p = &b->part[i];
        if (p->type == SIM_PART_BOOT)
            p->sectors = boot_sectors(b, p);
        else {
            layout_fs(b, p);
            if (p->size)
                p->sectors = (uint32_t)(p->size / SIM_SECTOR_SIZE);
            else if (!b->image_size)
                p->sectors = p->needed;
            else if (rest)
                error_at(b, p->sec->line, "only one partition can take the rest of the image "
                         "('%s', line %d): give '%s' a size", rest->name, rest->sec->line, p->name);
            else
                rest = p;
        }
        used += p->sectors;
    }
    uint64_t total = b->image_size ? b->image_size / SIM_SECTOR_SIZE : used;
    if (b->errors || b->oom)
        return 0;
    if (used + (rest != NULL) > total) {
        const section_t *img = NULL;
        for (size_t i = 0; i < b->nsecs && !img; i++)
            img = b->secs[i].kind == SEC_IMAGE ? &b->secs[i] : NULL;
        error_at(b, img->key_line[KEY_SIZE], "the image (%llu sectors) is too small for the "
                 "partition table and its partitions (%llu sectors%s)", (unsigned long long)total,
                 (unsigned long long)used, rest ? " and one for the rest" : "");
        return 0;
    }
    if (rest)
        rest->sectors = (uint32_t)(total - used);
    if (total * SIM_SECTOR_SIZE > SIM_IMAGE_BUILD_MAX) {
        error_at(b, 0, "the image would be %llu bytes, more than 1 GiB",
                 (unsigned long long)total * SIM_SECTOR_SIZE);
        return 0;
    }
    uint32_t next = 1;
    for (unsigned i = 0; i < b->nparts; i++) {
        b->part[i].first = next;
        next += b->part[i].sectors;
        if (b->part[i].type == SIM_PART_FS)
            place_files(b, &b->part[i]);
    }
    return b->errors ? 0 : total;
}

/* ==========================================================================================
 * Pass 4: the bytes
 * ========================================================================================== */

static void emit_fs(const bpart_t *p, uint8_t *img)
{
    uint8_t *base = img + (uint64_t)p->first * SIM_SECTOR_SIZE;
    const node_t *root = &p->nodes[0];
    simg_put32(base + SIM_SB_MAGIC, SIM_IMAGE_FS_MAGIC);
    simg_put32(base + SIM_SB_VERSION, SIM_IMAGE_VERSION);
    simg_put32(base + SIM_SB_SECTORS, p->sectors);
    simg_put32(base + SIM_SB_DATA_END, p->data_end);
    simg_put32(base + SIM_SB_ROOT_FIRST, root->first);
    simg_put32(base + SIM_SB_ROOT_SIZE, dir_bytes(root));
    for (size_t i = 0; i < p->nnodes; i++) {
        const node_t *n = &p->nodes[i];
        uint8_t *at = base + (uint64_t)n->first * SIM_SECTOR_SIZE;
        if (n->type == SIM_ENTRY_FILE) {
            if (n->size)
                memcpy(at, n->data, n->size);
            continue;
        }
        simg_put32(at + SIM_DIR_MAGIC, SIM_IMAGE_DIR_MAGIC);
        simg_put32(at + SIM_DIR_VERSION, SIM_IMAGE_VERSION);
        simg_put32(at + SIM_DIR_COUNT, n->nchildren);
        for (long c = n->child; c >= 0; c = p->nodes[c].next) {
            const node_t *k = &p->nodes[c];
            at += SIM_DE_BYTES;
            memcpy(at + SIM_DE_NAME, k->name, sizeof k->name);
            at[SIM_DE_TYPE] = (uint8_t)k->type;
            simg_put32(at + SIM_DE_FIRST, k->first);
            simg_put32(at + SIM_DE_SIZE,
                       k->type == SIM_ENTRY_DIR ? dir_bytes(k) : (uint32_t)k->size);
        }
    }
}

static uint8_t *emit(const build_t *b, uint64_t sectors)
{
    uint8_t *img = calloc(sectors, SIM_SECTOR_SIZE);
    if (!img)
        return NULL;
    simg_put32(img + SIM_PT_MAGIC, SIM_IMAGE_PT_MAGIC);
    simg_put32(img + SIM_PT_VERSION, SIM_IMAGE_VERSION);
    simg_put32(img + SIM_PT_COUNT, b->nparts);
    simg_put32(img + SIM_PT_SECTORS, (uint32_t)sectors);
    for (unsigned i = 0; i < b->nparts; i++) {
        const bpart_t *p = &b->part[i];
        uint8_t *e = img + SIM_PT_ENTRIES + SIM_PTE_SIZE * i;
        memcpy(e + SIM_PTE_NAME, p->name, sizeof p->name);
        simg_put32(e + SIM_PTE_TYPE, p->type);
        simg_put32(e + SIM_PTE_FIRST, p->first);
        simg_put32(e + SIM_PTE_COUNT, p->sectors);
        if (p->type == SIM_PART_FS)
            emit_fs(p, img);
        else if (p->data_len)
            memcpy(img + (uint64_t)p->first * SIM_SECTOR_SIZE, p->data, p->data_len);
    }
    return img;
}

static void free_build(build_t *b)
{
    for (size_t i = 0; i < b->nsecs; i++) {
        free(b->secs[i].arg);
        for (int k = 0; k < KEY_COUNT; k++)
            free(b->secs[i].value[k]);
    }
    free(b->secs);
    for (unsigned i = 0; i < b->nparts; i++) {
        for (size_t n = 0; n < b->part[i].nnodes; n++)
            free(b->part[i].nodes[n].data);
        free(b->part[i].nodes);
        free(b->part[i].data);
    }
    free(b->text);
}

int sim_image_build(const char *manifest, uint8_t **bytes, size_t *len, FILE *diag)
{
    build_t b = {.manifest = manifest, .diag = diag};
    *bytes = NULL;
    *len = 0;
    if (!(b.text = sim_read_file(manifest, &b.len))) {
        char why[96];
        fprintf(diag, "%s: error: cannot read: %s\n", manifest,
                sim_read_error(errno, SIM_INPUT_MAX_BYTES, why, sizeof why));
        return -1;
    }
    uint64_t sectors = 0;
    if (parse(&b) && resolve(&b) && (sectors = layout(&b)) > 0 && !b.oom) {
        if ((*bytes = emit(&b, sectors)) != NULL)
            *len = (size_t)sectors * SIM_SECTOR_SIZE;
        else
            error_at(&b, 0, "out of memory for a %llu-byte image",
                     (unsigned long long)sectors * SIM_SECTOR_SIZE);
    }
    if (b.oom && !b.errors)
        error_at(&b, 0, "out of memory");
    free_build(&b);
    if (!*bytes)
        return -1;
    sim_image_t img;
    sim_image_error_t err;
    if (sim_image_open(*bytes, *len, &img, &err) != 0) {
        char msg[256];
        sim_image_problem_format(&err.p[0], msg, sizeof msg);
        sim_panic(__FILE__, __LINE__, "the built image breaks its own rules: %s", msg);
    }
    return 0;
}
