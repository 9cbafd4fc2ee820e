/* util_io.c - file writing shared by the compiler (partition objects for
 * ld.lld) and the CLI (cache entries): a write that survives short writes
 * and signals. */
#include <errno.h>
#include <unistd.h>

#include "util.h"

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
