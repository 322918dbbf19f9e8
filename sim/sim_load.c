/*
 * sim_load.c - getting programs into the machine: flat images and assembly sources.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

char *sim_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t size = 0, cap = 4096;
    char *buf = malloc(cap);
    while (buf) {
        if (size + 1 >= cap) {
            char *p = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!p) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t n = fread(buf + size, 1, cap - size - 1, f);
        size += n;
        if (n == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                buf = NULL;
                errno = e ? e : EIO;
            }
            break;
        }
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = size;
    }
    return buf;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int load_image(sim_machine_t *m, const char *path, uint32_t base, const void *bytes,
                      size_t size, FILE *diag)
{
    if (sim_load(m, base, bytes, size) != 0) {
        fprintf(diag, "%s: error: the image (%zu bytes at 0x%08x) does not fit in %u bytes of RAM\n",
                path, size, base, m->ram_size);
        return -1;
    }
    return 0;
}

int sim_load_program(sim_machine_t *m, const char *path, uint32_t bin_base, FILE *diag,
                     uint32_t *entry)
{
    if (has_suffix(path, ".s") || has_suffix(path, ".S")) {
        cpu_asm_result_t res;
        if (cpu_asm_file(path, diag, &res) != 0) {
            cpu_asm_free(&res);
            return -1;
        }
        int rc = load_image(m, path, res.base, res.bytes, res.size, diag);
        *entry = res.base;
        cpu_asm_free(&res);
        return rc;
    }
    size_t len;
    char *bytes = sim_read_file(path, &len);
    if (!bytes) {
        fprintf(diag, "%s: error: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = load_image(m, path, bin_base, bytes, len, diag);
    *entry = bin_base;
    free(bytes);
    return rc;
}
