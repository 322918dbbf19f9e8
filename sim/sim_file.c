/*
 * sim_file.c - writing output files so that nothing is ever half-written (design principle 7):
 * the bytes go to a temporary file beside the target, which is renamed over it only when every
 * byte is on disk. Any tool that produces a file (hvimg, hvasm, snapshots) can use it. And
 * printing messages that quote bytes of an input file, which may be binary: control bytes and
 * broken UTF-8 are shown as \xNN, never sent raw to a terminal.
 */
#include <errno.h>
#include <stdarg.h>
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

/* ------------------------------------------------------------------------------------------
 * Messages that quote input
 * ------------------------------------------------------------------------------------------ */
/* The length of the valid UTF-8 sequence of two to four bytes at s, or 0. */
static size_t utf8_length(const unsigned char *s)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] >= 0xf8)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void sim_fputs_printable(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        size_t n = *s >= 0x80 ? utf8_length(s) : 1;
        if (n > 1) {
            fwrite(s, 1, n, f);
            s += n;
        } else if (n == 1 && ((*s >= 0x20 && *s != 0x7f) || *s == '\n' || *s == '\t')) {
            fputc(*s++, f);
        } else {
            fprintf(f, "\\x%02x", *s++);
        }
    }
}

void sim_vfprintf_printable(FILE *f, const char *fmt, va_list ap)
{
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (text)
        vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    sim_fputs_printable(f, text ? text : small); /* without memory: the first 511 bytes */
    free(text);
}
