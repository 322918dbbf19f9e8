/*
 * snapshot.c - `hvsim snapshot info FILE` and `hvsim snapshot diff A B` (docs/snapshot.md):
 * read snapshots without running them.
 */
#include <string.h>

#include "../../hypervisor/hv.h"
#include "ui_hvsim.h"

static int snapshot_usage(FILE *out)
{
    fputs("usage: hvsim snapshot info FILE.snap    what made it, its sections and sizes\n"
          "       hvsim snapshot diff A.snap B.snap   what differs, page by page and device by\n"
          "                                            device (exit 1 when they differ)\n",
          out);
    return out == stdout ? 0 : 2;
}

int ui_cmd_snapshot(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return snapshot_usage(stdout);
    bool info = argc == 3 && strcmp(argv[1], "info") == 0;
    if (!info && !(argc == 4 && strcmp(argv[1], "diff") == 0))
        return snapshot_usage(stderr);
    sim_snap_t a, b;
    char err[512];
    if (sim_snap_read(&a, argv[2], err, sizeof err) != 0) {
        fprintf(stderr, "hvsim: %s\n", err);
        return 2;
    }
    int status = 0;
    if (info) {
        hv_snapshot_info(&a, stdout);
    } else if (sim_snap_read(&b, argv[3], err, sizeof err) != 0) {
        fprintf(stderr, "hvsim: %s\n", err);
        status = 2;
    } else {
        status = hv_snapshot_diff(&a, &b, stdout) ? 1 : 0;
        sim_snap_free(&b);
    }
    sim_snap_free(&a);
    return status;
}
