/*
 * fuzz_image.c - the disk-image reader and checker on any bytes. sim_image_open must accept
 * or reject every input with problems named by offset; for an image it accepts, every file
 * and directory reachable by a walk must be readable within the image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/sim_image.h"
#include "fuzz.h"

typedef struct {
    const sim_image_t *img;
    unsigned part;
} walk_ctx_t;

/* Each entry found by the walk: its data lies inside the image, and a file reads back. */
static void visit(const char *path, const sim_image_entry_t *e, unsigned depth, void *ctx)
{
    const walk_ctx_t *w = ctx;
    (void)depth;
    if (e->offset > w->img->len || e->size > w->img->len - e->offset)
        fuzz_fail("%s: data at offset %llu, %u bytes, beyond the %zu-byte image", path,
                  (unsigned long long)e->offset, e->size, w->img->len);
    if (e->type == SIM_ENTRY_FILE) {
        const uint8_t *data;
        uint32_t size;
        if (sim_image_read_file(w->img, w->part, path, &data, &size) != 0 || size != e->size)
            fuzz_fail("%s: found by the walk but cannot be read", path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_image_t img;
    sim_image_error_t err;
    if (sim_image_open(data, size, &img, &err) != 0) {
        if (err.count == 0)
            fuzz_fail("an image was refused with no problem named");
        char line[256];
        for (unsigned i = 0; i < err.count; i++)
            sim_image_problem_format(&err.p[i], line, sizeof line);
        return 0;
    }
    for (unsigned p = 0; p < img.nparts; p++) {
        if (img.part[p].type != SIM_PART_FS)
            continue;
        walk_ctx_t w = {&img, p};
        if (sim_image_walk(&img, p, "/", visit, &w) != 0)
            fuzz_fail("partition %u: an accepted image's root cannot be walked", p);
    }
    return 0;
}
