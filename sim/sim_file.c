/*
 * sim_file.c - writing output files so that nothing is ever half-written (design principle 7):
 * the bytes go to a temporary file beside the target, which is renamed over it only when every
 * byte is on disk. Any tool that produces a file (hvimg, hvasm, snapshots) can use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

/* Writes all of buf to fd, retrying short writes. */
static bool write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

int sim_write_file_atomic(const char *path, const void *bytes, size_t len, FILE *diag)
{
    static const char suffix[] = ".tmp.XXXXXX";
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof suffix);
    if (!tmp) {
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(diag, "%s: error: cannot create a temporary file beside it: %s\n", path,
                strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    bool ok = fchmod(fd, 0666 & ~mask) == 0 && write_all(fd, bytes, len) && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        fprintf(diag, "%s: error: cannot write: %s\n", path, strerror(err));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}
