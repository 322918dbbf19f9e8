/*
 * sim_snap.c - the snapshot container: a checksummed header, a text block saying what made
 * the snapshot, and a zstd-compressed payload of checksummed sections (docs/snapshot.md is
 * the specification, and its "Rules" section lists what the reader checks).
 *
 *   0        8        12       16                24                32               40
 *  +--------+--------+--------+----------------+----------------+----------------+
 *  | magic  |version |info len| payload length | compressed len | payload xxh64  |
 *  +--------+--------+--------+----------------+----------------+----------------+
 *   40               48               56               64
 *  +----------------+----------------+----------------+------------+------------------+
 *  | cycle          | reserved (0)   | header xxh64   | info text  | zstd payload     |
 *  +----------------+----------------+----------------+------------+------------------+
 *
 * The header's checksum covers bytes 0..55 and the text block; the payload's covers the
 * compressed bytes. Inside the payload each section is tag[4], index u32, length u64, the
 * xxh64 of its data, then the data. Numbers are little-endian.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "sim.h"

#define SNAP_ZSTD_LEVEL 3 /* fast, and RAM (mostly zero pages) shrinks a hundredfold */

/* ---- Little-endian fields ------------------------------------------------------------- */
static void put_u32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ==========================================================================================
 * Writing
 * ========================================================================================== */
void sim_snap_writer_init(sim_snap_writer_t *w, uint64_t cycle)
{
    memset(w, 0, sizeof *w);
    w->cycle = cycle;
}

void sim_snap_writer_restart(sim_snap_writer_t *w, uint64_t cycle)
{
    uint8_t *buf = w->buf;
    size_t cap = w->cap;
    sim_snap_writer_init(w, cycle);
    w->buf = buf;
    w->cap = cap;
}

void sim_snap_writer_free(sim_snap_writer_t *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void sim_snap_info(sim_snap_writer_t *w, const char *key, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    int n = snprintf(w->info + w->info_len, sizeof w->info - w->info_len, "%s = %s\n", key, value);
    if (n > 0 && (size_t)n < sizeof w->info - w->info_len)
        w->info_len += (size_t)n;
}

static bool reserve(sim_snap_writer_t *w, size_t more)
{
    if (w->oom)
        return false;
    if (w->len + more <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 1u << 16;
    while (cap < w->len + more)
        cap *= 2;
    uint8_t *p = realloc(w->buf, cap);
    if (!p) {
        w->oom = true;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

void sim_snap_put(sim_snap_writer_t *w, const char *tag, uint32_t index, const void *data,
                  size_t len)
{
    if (!reserve(w, SIM_SNAP_SECTION_HEADER + len))
        return;
    uint8_t *h = w->buf + w->len;
    memcpy(h, tag, 4);
    put_u32(h + 4, index);
    put_u64(h + 8, len);
    put_u64(h + 16, XXH64(data, len, 0));
    if (len)
        memcpy(h + SIM_SNAP_SECTION_HEADER, data, len);
    w->len += SIM_SNAP_SECTION_HEADER + len;
}

int sim_snap_finish(sim_snap_writer_t *w, uint8_t **out, size_t *out_len)
{
    if (w->oom)
        return -1;
    size_t bound = ZSTD_compressBound(w->len);
    size_t head = SIM_SNAP_HEADER + w->info_len;
    uint8_t *f = malloc(head + bound);
    if (!f)
        return -1;
    size_t z = ZSTD_compress(f + head, bound, w->buf ? w->buf : (const uint8_t *)"", w->len,
                             SNAP_ZSTD_LEVEL);
    if (ZSTD_isError(z)) {
        free(f);
        return -1;
    }
    memset(f, 0, SIM_SNAP_HEADER);
    memcpy(f, SIM_SNAP_MAGIC, 8);
    put_u32(f + 8, SIM_SNAP_VERSION);
    put_u32(f + 12, (uint32_t)w->info_len);
    put_u64(f + 16, w->len);
    put_u64(f + 24, z);
    put_u64(f + 32, XXH64(f + head, z, 0));
    put_u64(f + 40, w->cycle);
    memcpy(f + SIM_SNAP_HEADER, w->info, w->info_len);
    XXH64_state_t *st = XXH64_createState();
    if (!st) {
        free(f);
        return -1;
    }
    XXH64_reset(st, 0);
    XXH64_update(st, f, 56);
    XXH64_update(st, f + SIM_SNAP_HEADER, w->info_len);
    put_u64(f + 56, XXH64_digest(st));
    XXH64_freeState(st);
    uint8_t *fit = realloc(f, head + z); /* the bound is the payload's size: give back the rest */
    *out = fit ? fit : f;
    *out_len = head + z;
    return 0;
}

int sim_snap_write(sim_snap_writer_t *w, const char *path, FILE *diag)
{
    uint8_t *bytes;
    size_t len;
    if (sim_snap_finish(w, &bytes, &len) != 0) {
        fprintf(diag, "%s: error: not enough memory to build the snapshot\n", path);
        return -1;
    }
    int rc = sim_write_file_atomic(path, bytes, len, diag);
    free(bytes);
    return rc;
}

/* ==========================================================================================
 * Reading: every rule is checked before anything is used
 * ========================================================================================== */
/* Appends the sentence after the `n` characters of prefix already in err. Returns -1. */
static int append(char *err, size_t errlen, int n, const char *fmt, va_list ap)
{
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    return -1;
}

static int fail_at(char *err, size_t errlen, const char *name, uint64_t offset, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int fail_at(char *err, size_t errlen, const char *name, uint64_t offset, const char *fmt,
                   ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(err, errlen,
           snprintf(err, errlen, "%s: offset %llu: ", name, (unsigned long long)offset), fmt, ap);
    va_end(ap);
    return -1;
}

/* The fixed header and the text block: magic, version, lengths, the header's checksum. */
static int check_header(const char *name, const uint8_t *b, size_t len, char *err, size_t el)
{
    if (len < SIM_SNAP_HEADER)
        return fail_at(err, el, name, len,
                       "the file ends inside the %u-byte header (it has %zu bytes): truncated",
                       SIM_SNAP_HEADER, len);
    if (memcmp(b, SIM_SNAP_MAGIC, 8) != 0)
        return fail_at(err, el, name, 0,
                       "the magic is not \"HVSNAP\\r\\n\": this is not an hvsim snapshot");
    if (get_u32(b + 8) != SIM_SNAP_VERSION)
        return fail_at(err, el, name, 8,
                       "format version %u, this hvsim reads version %u: wrong version",
                       get_u32(b + 8), SIM_SNAP_VERSION);
    uint32_t info = get_u32(b + 12);
    if (info > SIM_SNAP_INFO_MAX)
        return fail_at(err, el, name, 12, "the text block is %u bytes, more than the %u allowed",
                       info, SIM_SNAP_INFO_MAX);
    if (get_u64(b + 16) > SIM_SNAP_MAX_BYTES)
        return fail_at(err, el, name, 16, "the payload is %llu bytes, more than the %llu allowed",
                       (unsigned long long)get_u64(b + 16), (unsigned long long)SIM_SNAP_MAX_BYTES);
    uint64_t want = (uint64_t)SIM_SNAP_HEADER + info + get_u64(b + 24);
    if (get_u64(b + 24) > len || want != len)
        return fail_at(err, el, name, len < want ? len : want,
                       "the header promises %llu bytes in all, the file has %zu: %s",
                       (unsigned long long)want, len, len < want ? "truncated" : "trailing bytes");
    XXH64_state_t *st = XXH64_createState();
    if (!st)
        return fail_at(err, el, name, 0, "not enough memory to check the header");
    XXH64_reset(st, 0);
    XXH64_update(st, b, 56);
    XXH64_update(st, b + SIM_SNAP_HEADER, info);
    uint64_t sum = XXH64_digest(st);
    XXH64_freeState(st);
    if (sum != get_u64(b + 56))
        return fail_at(err, el, name, 56,
                       "the header's checksum does not match its bytes (xxh64 %016llx, "
                       "stored %016llx): the header or its text block is corrupted",
                       (unsigned long long)sum, (unsigned long long)get_u64(b + 56));
    if (memchr(b + SIM_SNAP_HEADER, '\0', info))
        return fail_at(err, el, name, SIM_SNAP_HEADER, "the text block holds a NUL byte");
    return 0;
}

/* Decompresses the payload after checking its checksum. */
static int inflate(sim_snap_t *s, const uint8_t *b, size_t len, char *err, size_t el)
{
    uint64_t at = s->payload_at, z = len - at, plen = get_u64(b + 16);
    uint64_t sum = XXH64(b + at, z, 0);
    if (sum != get_u64(b + 32))
        return fail_at(err, el, s->name, at,
                       "the compressed payload's checksum does not match (xxh64 %016llx, "
                       "stored %016llx): the file is corrupted",
                       (unsigned long long)sum, (unsigned long long)get_u64(b + 32));
    unsigned long long content = ZSTD_getFrameContentSize(b + at, z);
    if (content != plen)
        return fail_at(err, el, s->name, at,
                       "the compressed payload is not one zstd frame of %llu bytes",
                       (unsigned long long)plen);
    s->payload = malloc(plen ? plen : 1);
    if (!s->payload)
        return fail_at(err, el, s->name, at, "not enough memory for %llu bytes of state",
                       (unsigned long long)plen);
    size_t got = ZSTD_decompress(s->payload, plen, b + at, z);
    if (ZSTD_isError(got) || got != plen)
        return fail_at(err, el, s->name, at, "the payload does not decompress: %s",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
    s->payload_len = plen;
    return 0;
}

/* Walks the sections: each header whole, each length inside the payload, each checksum. The
 * offsets in messages are in the uncompressed payload ("payload offset N"). */
static int index_sections(sim_snap_t *s, char *err, size_t el)
{
    size_t cap = 0;
    for (uint64_t at = 0; at < s->payload_len;) {
        const uint8_t *h = s->payload + at;
        if (s->payload_len - at < SIM_SNAP_SECTION_HEADER)
            return fail_at(err, el, s->name, at,
                           "(payload) a section header is cut off by the payload's end");
        uint64_t len = get_u64(h + 8);
        if (len > s->payload_len - at - SIM_SNAP_SECTION_HEADER)
            return fail_at(err, el, s->name, at,
                           "(payload) section %.4s %u claims %llu bytes, past the payload's end",
                           (const char *)h, get_u32(h + 4), (unsigned long long)len);
        if (XXH64(h + SIM_SNAP_SECTION_HEADER, len, 0) != get_u64(h + 16))
            return fail_at(err, el, s->name, at,
                           "(payload) section %.4s %u: its checksum does not match its data",
                           (const char *)h, get_u32(h + 4));
        if (s->nsec == cap) {
            cap = cap ? cap * 2 : 32;
            sim_snap_section_t *p = realloc(s->sec, cap * sizeof *p);
            if (!p)
                return fail_at(err, el, s->name, at, "not enough memory");
            s->sec = p;
        }
        sim_snap_section_t *sec = &s->sec[s->nsec++];
        memcpy(sec->tag, h, 4);
        sec->tag[4] = '\0';
        sec->index = get_u32(h + 4);
        sec->offset = at;
        sec->data = h + SIM_SNAP_SECTION_HEADER;
        sec->len = len;
        at += SIM_SNAP_SECTION_HEADER + len;
    }
    return 0;
}

int sim_snap_parse(sim_snap_t *s, const char *name, const uint8_t *b, size_t len, char *err,
                   size_t errlen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    if (check_header(name, b, len, err, errlen) != 0)
        return -1;
    uint32_t info = get_u32(b + 12);
    s->cycle = get_u64(b + 40);
    s->payload_at = SIM_SNAP_HEADER + info;
    s->info = malloc(info + 1);
    if (!s->info)
        return fail_at(err, errlen, name, 0, "not enough memory");
    memcpy(s->info, b + SIM_SNAP_HEADER, info);
    s->info[info] = '\0';
    if (inflate(s, b, len, err, errlen) != 0 || index_sections(s, err, errlen) != 0) {
        sim_snap_free(s);
        return -1;
    }
    return 0;
}

int sim_snap_read(sim_snap_t *s, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *bytes = sim_read_file_max(path, SIM_SNAP_MAX_BYTES, &len);
    if (!bytes) {
        char why[160];
        memset(s, 0, sizeof *s);
        snprintf(err, errlen, "%s: cannot read the snapshot: %s", path,
                 sim_read_error(errno, SIM_SNAP_MAX_BYTES, why, sizeof why));
        return -1;
    }
    int rc = sim_snap_parse(s, path, (const uint8_t *)bytes, len, err, errlen);
    free(bytes);
    return rc;
}

void sim_snap_free(sim_snap_t *s)
{
    free(s->info);
    free(s->payload);
    free(s->sec);
    memset(s, 0, sizeof *s);
}

const sim_snap_section_t *sim_snap_find(const sim_snap_t *s, const char *tag, uint32_t index)
{
    for (size_t i = 0; i < s->nsec; i++)
        if (memcmp(s->sec[i].tag, tag, 4) == 0 && s->sec[i].index == index)
            return &s->sec[i];
    return NULL;
}

const char *sim_snap_info_get(const sim_snap_t *s, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    for (const char *line = s->info; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > klen + 3 && strncmp(line, key, klen) == 0 && strncmp(line + klen, " = ", 3) == 0) {
            snprintf(buf, len, "%.*s", (int)(n - klen - 3), line + klen + 3);
            return buf;
        }
        line = end ? end + 1 : line + n;
    }
    return NULL;
}

int sim_snap_fail(const sim_snap_t *s, const sim_snap_section_t *sec, char *err, size_t errlen,
                  const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s: offset %llu: (payload) section %s %u: ", s->name,
                     (unsigned long long)(sec ? sec->offset : 0), sec ? sec->tag : "?",
                     sec ? sec->index : 0);
    va_list ap;
    va_start(ap, fmt);
    append(err, errlen, n, fmt, ap);
    va_end(ap);
    return -1;
}

const sim_snap_section_t *sim_snap_need(const sim_snap_t *s, const char *tag, uint32_t index,
                                        size_t len, char *err, size_t errlen)
{
    const sim_snap_section_t *sec = sim_snap_find(s, tag, index);
    if (!sec) {
        snprintf(err, errlen, "%s: offset %zu: (payload) section %.4s %u is missing", s->name,
                 s->payload_len, tag, index);
        return NULL;
    }
    if (len && sec->len != len) {
        sim_snap_fail(s, sec, err, errlen,
                      "%llu bytes, where this build's state needs %zu: wrong version (a "
                      "snapshot of another hvsim build)",
                      (unsigned long long)sec->len, len);
        return NULL;
    }
    return sec;
}
