/*
 * sim_image.c - reading a disk image that sim_image_open has checked: partitions, path lookup,
 * directory iteration, the tree walk, file data; and the small things the checker and builder
 * share (the rule table, the name rules, error texts).
 *
 * Everything after the check trusts the bytes: the checker guarantees that every directory and
 * file lies inside its partition, that names are NUL-padded, and that the tree has no loops and
 * is at most SIM_IMAGE_MAX_DEPTH deep. So none of these functions can read outside the image,
 * and the walk needs only a fixed-size stack.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_image_internal.h"

/* ==========================================================================================
 * Rules, problems, error texts
 * ========================================================================================== */

static const struct {
    const char *id, *text;
} rules[SIM_RULE_COUNT] = {
#define SIM_X_RULETAB(id, text) {#id, text},
    SIM_IMAGE_RULES(SIM_X_RULETAB)
#undef SIM_X_RULETAB
};

const char *sim_image_rule_id(sim_image_rule_t rule)
{
    return (unsigned)rule < SIM_RULE_COUNT ? rules[rule].id : "?";
}

const char *sim_image_rule_text(sim_image_rule_t rule)
{
    return (unsigned)rule < SIM_RULE_COUNT ? rules[rule].text : "";
}

void sim_image_problem_format(const sim_image_problem_t *p, char *buf, size_t len)
{
    if ((unsigned)p->rule < SIM_RULE_COUNT)
        snprintf(buf, len, "offset 0x%llx: rule %s: %s", (unsigned long long)p->offset,
                 rules[p->rule].id, p->text);
    else
        snprintf(buf, len, "offset 0x%llx: %s", (unsigned long long)p->offset, p->text);
}

const char *sim_image_strerror(int code)
{
    switch (code) {
    case 0: return "no error";
    case SIM_IMAGE_ENOENT: return "no such file or directory";
    case SIM_IMAGE_ENOTDIR: return "not a directory";
    case SIM_IMAGE_EPATH: return "not an absolute path of valid names";
    case SIM_IMAGE_EPART: return "no such file-system partition";
    default: return "unknown error";
    }
}

static bool name_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

const char *simg_name_problem(const char *name, size_t max, char *why, size_t why_len)
{
    size_t n = strlen(name);
    if (n == 0)
        snprintf(why, why_len, "is empty");
    else if (n > max)
        snprintf(why, why_len, "is %zu characters long, more than %zu", n, max);
    else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        snprintf(why, why_len, "is \"%s\", which is not allowed", name);
    else {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)name[i];
            if (name_char_ok((char)ch))
                continue;
            if (isprint(ch))
                snprintf(why, why_len, "has the character '%c' at position %zu, not one of "
                         "[A-Za-z0-9._-]", ch, i);
            else
                snprintf(why, why_len, "has the byte 0x%02x at position %zu, not one of "
                         "[A-Za-z0-9._-]", ch, i);
            return why;
        }
        return NULL;
    }
    return why;
}

const char *simg_field_name_problem(const uint8_t *field, size_t field_len, char *why,
                                    size_t why_len)
{
    const uint8_t *nul = memchr(field, 0, field_len);
    if (!nul) {
        snprintf(why, why_len, "is not NUL-terminated within its %zu bytes", field_len);
        return why;
    }
    size_t n = (size_t)(nul - field);
    for (size_t i = n + 1; i < field_len; i++)
        if (field[i]) {
            snprintf(why, why_len, "has the non-zero byte 0x%02x after its end (at +%zu)",
                     field[i], i);
            return why;
        }
    return simg_name_problem((const char *)field, field_len - 1, why, why_len);
}

bool simg_grow(void **arr, size_t *cap, size_t used, size_t elem)
{
    if (used < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = ncap < SIZE_MAX / elem ? realloc(*arr, ncap * elem) : NULL;
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

/* ==========================================================================================
 * Partitions and paths
 * ========================================================================================== */

int sim_image_find_part(const sim_image_t *img, const char *name)
{
    for (unsigned i = 0; i < img->nparts; i++)
        if (name ? strcmp(img->part[i].name, name) == 0 : img->part[i].type == SIM_PART_FS)
            return (int)i;
    return -1;
}

int sim_image_parse_spec(const sim_image_t *img, const char *spec, unsigned *part,
                         const char **path)
{
    const char *colon = strchr(spec, ':'), *slash = strchr(spec, '/');
    int i;
    if (colon && (!slash || colon < slash)) {
        char name[SIM_IMAGE_PART_NAME_MAX + 1];
        size_t n = (size_t)(colon - spec);
        if (n == 0 || n >= sizeof name)
            return SIM_IMAGE_EPART;
        memcpy(name, spec, n);
        name[n] = '\0';
        if ((i = sim_image_find_part(img, name)) < 0)
            return SIM_IMAGE_EPART;
        *path = colon[1] ? colon + 1 : NULL;
        if (*path && **path != '/')
            return SIM_IMAGE_EPATH;
        if (*path && img->part[i].type != SIM_PART_FS)
            return SIM_IMAGE_EPART;
    } else {
        if ((i = sim_image_find_part(img, NULL)) < 0)
            return SIM_IMAGE_EPART;
        if (spec[0] != '/')
            return SIM_IMAGE_EPATH;
        *path = spec;
    }
    *part = (unsigned)i;
    return 0;
}

static void root_entry(const sim_image_t *img, unsigned part, sim_image_entry_t *e)
{
    const sim_image_part_t *p = &img->part[part];
    memset(e, 0, sizeof *e);
    e->type = SIM_ENTRY_DIR;
    e->first = p->root_first;
    e->size = p->root_size;
    e->sectors = simg_sectors(e->size);
    e->offset = ((uint64_t)p->first + e->first) * SIM_SECTOR_SIZE;
}

/* Decodes the (checked) directory entry at image offset `at`. */
static void read_entry(const sim_image_t *img, unsigned part, uint64_t at, sim_image_entry_t *e)
{
    const uint8_t *b = img->bytes + at;
    simg_field_name(b + SIM_DE_NAME, sizeof e->name, e->name);
    e->type = (sim_entry_type_t)b[SIM_DE_TYPE];
    e->first = simg_le32(b + SIM_DE_FIRST);
    e->size = simg_le32(b + SIM_DE_SIZE);
    e->sectors = simg_sectors(e->size);
    e->offset = ((uint64_t)img->part[part].first + e->first) * SIM_SECTOR_SIZE;
    e->entry_offset = at;
}

void sim_image_opendir(const sim_image_t *img, unsigned part, const sim_image_entry_t *dir,
                       sim_image_dir_t *it)
{
    it->img = img;
    it->part = part;
    it->next = dir->offset + SIM_DE_BYTES; /* past the header */
    it->end = dir->type == SIM_ENTRY_DIR ? dir->offset + dir->size : it->next;
}

bool sim_image_readdir(sim_image_dir_t *it, sim_image_entry_t *out)
{
    if (it->next + SIM_DE_BYTES > it->end)
        return false;
    read_entry(it->img, it->part, it->next, out);
    it->next += SIM_DE_BYTES;
    return true;
}

/* Replaces *e (a directory) by its entry called `name`. */
static int find_in_dir(const sim_image_t *img, unsigned part, const char *name,
                       sim_image_entry_t *e)
{
    sim_image_dir_t it;
    sim_image_entry_t child;
    sim_image_opendir(img, part, e, &it);
    while (sim_image_readdir(&it, &child))
        if (strcmp(child.name, name) == 0) {
            *e = child;
            return 0;
        }
    return SIM_IMAGE_ENOENT;
}

int sim_image_lookup(const sim_image_t *img, unsigned part, const char *path,
                     sim_image_entry_t *out)
{
    if (part >= img->nparts || img->part[part].type != SIM_PART_FS)
        return SIM_IMAGE_EPART;
    if (!path || path[0] != '/')
        return SIM_IMAGE_EPATH;
    root_entry(img, part, out);
    const char *p = path + 1;
    while (*p) {
        size_t n = strcspn(p, "/");
        char name[SIM_IMAGE_NAME_MAX + 1], why[80];
        if (n == 0 || n > SIM_IMAGE_NAME_MAX)
            return SIM_IMAGE_EPATH;
        memcpy(name, p, n);
        name[n] = '\0';
        if (simg_name_problem(name, SIM_IMAGE_NAME_MAX, why, sizeof why))
            return SIM_IMAGE_EPATH;
        if (out->type != SIM_ENTRY_DIR)
            return SIM_IMAGE_ENOTDIR;
        int rc = find_in_dir(img, part, name, out);
        if (rc)
            return rc;
        p += n;
        if (*p == '/' && *++p == '\0' && out->type != SIM_ENTRY_DIR)
            return SIM_IMAGE_ENOTDIR;
    }
    return 0;
}

int sim_image_read_file(const sim_image_t *img, unsigned part, const char *path,
                        const uint8_t **data, uint32_t *size)
{
    sim_image_entry_t e;
    int rc = sim_image_lookup(img, part, path, &e);
    if (rc)
        return rc;
    if (e.type != SIM_ENTRY_FILE)
        return SIM_IMAGE_ENOENT;
    *data = img->bytes + e.offset;
    *size = e.size;
    return 0;
}

/* ==========================================================================================
 * The walk: depth first, with a fixed stack (the checker bounds the depth)
 * ========================================================================================== */

int sim_image_walk(const sim_image_t *img, unsigned part, const char *path, sim_image_walk_fn fn,
                   void *ctx)
{
    sim_image_entry_t e;
    int rc = sim_image_lookup(img, part, path, &e);
    if (rc)
        return rc;
    char buf[SIM_IMAGE_PATH_MAX];
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len >= sizeof buf)
        return SIM_IMAGE_EPATH;
    memcpy(buf, path, len);
    buf[len] = '\0';
    fn(buf, &e, 0, ctx);
    struct {
        sim_image_dir_t it;
        size_t len;
    } stack[SIM_IMAGE_MAX_DEPTH + 1];
    int top = -1;
    if (e.type == SIM_ENTRY_DIR) {
        sim_image_opendir(img, part, &e, &stack[++top].it);
        stack[top].len = len == 1 ? 0 : len; /* the root's children are "/name" */
    }
    while (top >= 0) {
        sim_image_entry_t child;
        if (!sim_image_readdir(&stack[top].it, &child)) {
            top--;
            continue;
        }
        size_t at = stack[top].len;
        snprintf(buf + at, sizeof buf - at, "/%s", child.name);
        fn(buf, &child, (unsigned)top + 1, ctx);
        if (child.type == SIM_ENTRY_DIR && top + 1 < (int)(sizeof stack / sizeof stack[0])) {
            sim_image_opendir(img, part, &child, &stack[++top].it);
            stack[top].len = strlen(buf);
        }
    }
    return 0;
}
