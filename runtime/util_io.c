/* util_io.c - file input and output shared by the runtime, the compiler
 * and the CLI: reading a whole input file within a size limit (artifacts,
 * modules; a pipe or /dev/zero must not make us read forever), and a
 * write that survives short writes and signals (partition objects for
 * ld.lld, cache entries).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Opens path and says how much to read: a regular file's size (refused
 * above limit before reading), or UINT64_MAX for a pipe or socket, read to
 * its end. Directories and devices are refused: /dev/zero never ends, and
 * a terminal or disk is no input for us. */
static int
open_input(const char *path, uint64_t limit, uint64_t *size,
           moat_error *err)
{
    struct stat st;
    int         fd;

    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "%s: %s", path,
                          strerror(errno)), -1;
    if (fstat(fd, &st) != 0) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "%s: %s", path,
                   strerror(errno));
    } else if (S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
        if (*size <= limit)
            return fd;
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "%s: larger than "
                   "the limit of %" PRIu64 " bytes", path, limit);
    } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        *size = UINT64_MAX;
        return fd;
    } else {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "%s: %s", path,
                   S_ISDIR(st.st_mode) ? "is a directory"
                                       : "not a regular file or a pipe");
    }
    close(fd);
    return -1;
}

/* Reads fd to its end into *buf (grown as needed), holding at most
 * limit + 1 bytes: one more than allowed tells an input that is too
 * large. hint: the file's size, or UINT64_MAX. */
static bool
read_all(int fd, const char *path, uint64_t limit, uint64_t hint,
         uint8_t **buf, size_t *len, moat_error *err)
{
    uint64_t max = limit + 1;
    size_t   n = 0, cap = 0;

    for (;;) {
        if (n == cap) {
            uint64_t want = cap ? (uint64_t)cap * 2
                                : (hint < limit ? hint + 1 : 65536);
            want = want < max ? want : max;
            uint8_t *p = moatU_realloc(*buf, (size_t)want);
            if (!p)
                return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                                  "%s: out of memory", path);
            *buf = p;
            cap = (size_t)want;
        }
        ssize_t got = read(fd, *buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_IO, "%s: %s",
                              path, strerror(errno));
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > limit)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                              "%s: larger than the limit of %" PRIu64
                              " bytes", path, limit);
    }
    *len = n;
    return true;
}

bool
moatU_read_file(const char *path, uint64_t limit, uint8_t **out,
                size_t *len, moat_error *err)
{
    uint64_t size = 0;
    uint8_t *buf = NULL;
    int      fd = open_input(path, limit, &size, err);

    *out = NULL;
    if (fd < 0)
        return false;
    bool ok = read_all(fd, path, limit, size, &buf, len, err);
    close(fd);
    if (!ok) {
        moatU_free(buf);
        return false;
    }
    *out = buf;
    return true;
}

bool
moatU_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}
