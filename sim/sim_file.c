/*
 * sim_file.c - writing output files so that nothing is ever half-written (design principle 7):
 * the bytes go to an unnamed file in the target's directory (or, where the file system has
 * none, a named temporary file beside it), which is named and renamed over the target only
 * when every byte is on disk: a run killed midway leaves nothing visible. Any tool that produces a
 * file (hvimg, hvasm, snapshots) can use it. And printing messages that quote bytes of an input
 * file, which may be binary: control bytes and broken UTF-8 are shown as \xNN, never sent raw to a
 * terminal.
 */
#define _GNU_SOURCE /* O_TMPFILE and linkat's AT_SYMLINK_FOLLOW (Linux); without them, a named     \
                        temporary file */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

/* Creates a file for the bytes of `path`: an unnamed file in its directory (O_TMPFILE), so
 * that a run killed while writing leaves nothing behind; where the file system has none, a
 * named temporary file beside it. *tmp gets the malloc'd temporary name (for the named
 * kind, or the name the unnamed one will be linked under). Returns the fd, or -1. */
static int create_temp(const char *path, char **tmp, bool *unnamed)
{
    static const char suffix[] = ".tmp.XXXXXX";
    size_t plen = strlen(path);
    if (!(*tmp = malloc(plen + sizeof suffix))) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(*tmp, path, plen);
    memcpy(*tmp + plen, suffix, sizeof suffix);
    *unnamed = false;
#ifdef O_TMPFILE
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
    int fd = dir ? open(dir, O_TMPFILE | O_WRONLY, 0600) : -1;
    free(dir);
    if (fd >= 0) {
        *unnamed = true;
        return fd;
    }
#endif
    return mkstemp(*tmp);
}

/* Gives the unnamed file its temporary name, at the last moment (a fresh name each try). */
static bool link_temp(int fd, char *tmp)
{
#ifdef O_TMPFILE
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    size_t n = strlen(tmp);
    for (unsigned try = 0; try < 100; try++) {
        snprintf(tmp + n - 6, 7, "%06u", ((unsigned)getpid() * 131u + try) % 1000000u);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
            return true;
        if (errno != EEXIST)
            return false;
    }
#else
    (void)fd;
    (void)tmp;
#endif
    errno = EEXIST;
    return false;
}

struct sim_atomic {
    FILE *f;
    char *path, *tmp;
    bool unnamed;
};

FILE *sim_atomic_open(const char *path, sim_atomic_t **out, FILE *diag)
{
    sim_atomic_t *a = calloc(1, sizeof *a);
    int fd = -1;
    if (a && (a->path = strdup(path)))
        fd = create_temp(path, &a->tmp, &a->unnamed);
    else
        errno = ENOMEM;
    if (fd >= 0 && !(a->f = fdopen(fd, "w")))
        close(fd);
    if (!a || !a->f) {
        fprintf(diag, "%s: error: cannot create a temporary file beside it: %s\n", path,
                strerror(errno));
        if (a && fd >= 0 && !a->unnamed)
            unlink(a->tmp);
        sim_atomic_abort(a);
        return NULL;
    }
    *out = a;
    return a->f;
}

static void atomic_free(sim_atomic_t *a)
{
    free(a->path);
    free(a->tmp);
    free(a);
}

int sim_atomic_commit(sim_atomic_t *a, FILE *diag)
{
    mode_t mask = umask(0);
    umask(mask);
    int fd = fileno(a->f);
    bool ok = fflush(a->f) == 0 && !ferror(a->f) && fchmod(fd, 0666 & ~mask) == 0 &&
              fsync(fd) == 0 && (!a->unnamed || link_temp(fd, a->tmp));
    bool named = ok || !a->unnamed;
    int err = errno;
    if (fclose(a->f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(a->tmp, a->path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        fprintf(diag, "%s: error: cannot write: %s\n", a->path, strerror(err));
        if (named)
            unlink(a->tmp);
    }
    atomic_free(a);
    return ok ? 0 : -1;
}

void sim_atomic_abort(sim_atomic_t *a)
{
    if (!a)
        return;
    if (a->f) {
        fclose(a->f);
        if (!a->unnamed)
            unlink(a->tmp);
    }
    atomic_free(a);
}

int sim_write_file_atomic(const char *path, const void *bytes, size_t len, FILE *diag)
{
    sim_atomic_t *a;
    FILE *f = sim_atomic_open(path, &a, diag);
    if (!f)
        return -1;
    if (len && fwrite(bytes, 1, len, f) != len) {
        int err = errno;
        fprintf(diag, "%s: error: cannot write: %s\n", path, strerror(err));
        sim_atomic_abort(a);
        return -1;
    }
    return sim_atomic_commit(a, diag);
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
