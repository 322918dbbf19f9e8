/*
 * replay_main.c - runs a fuzz harness without libFuzzer: every file named on the command line
 * (or every file in a directory named there) is fed once to LLVMFuzzerTestOneInput. `make
 * test` replays each harness's whole corpus this way, so a crash found once stays fixed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../sim/sim.h"
#include "fuzz.h"

#define REPLAY_MAX_INPUT (1u << 20) /* libFuzzer's default -max_len is far below this */

static int replay_file(const char *path)
{
    size_t len;
    char *bytes = sim_read_file_max(path, REPLAY_MAX_INPUT, &len);
    if (!bytes) {
        perror(path);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)bytes, len);
    free(bytes);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of `dir`, in name order (so the replay is the same each time). */
static int replay_dir(const char *dir, unsigned *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name), rc = n < 0 ? -1 : 0;
    if (n < 0)
        perror(dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc |= replay_dir(argv[i], &count);
        } else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    printf("%s: %u inputs replayed%s\n", argv[0], count, rc ? ", some unreadable" : "");
    return rc ? 1 : 0;
}
