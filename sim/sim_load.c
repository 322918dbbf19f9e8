/*
 * sim_load.c - getting programs into the machine: flat images and assembly sources, and the
 * console input a program reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

char *sim_read_file_max(const char *path, size_t max, size_t *len)
{
    return cpu_asm_read_file(path, max, len); /* the assembler's reader: one bounded reader */
}

char *sim_read_file(const char *path, size_t *len)
{
    return sim_read_file_max(path, SIM_INPUT_MAX_BYTES, len);
}

const char *sim_read_error(int err, size_t max, char *buf, size_t len)
{
    return cpu_asm_read_error(err, max, buf, len);
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
        char why[96];
        fprintf(diag, "%s: error: cannot read: %s\n", path,
                sim_read_error(errno, SIM_INPUT_MAX_BYTES, why, sizeof why));
        return -1;
    }
    int rc = load_image(m, path, bin_base, bytes, len, diag);
    *entry = bin_base;
    free(bytes);
    return rc;
}

int sim_load_input(sim_machine_t *m, const char *path, FILE *diag)
{
    size_t len;
    char *text = sim_read_file(path, &len); /* capped; a device or a pipe is refused */
    if (!text) {
        char why[96];
        fprintf(diag, "hvsim: %s: cannot read console input: %s\n", path,
                sim_read_error(errno, SIM_INPUT_MAX_BYTES, why, sizeof why));
        return -1;
    }
    sim_console_set_input(m, text, len);
    free(text);
    return 0;
}
