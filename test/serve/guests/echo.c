/* echo.c - copies stdin to stdout in small pieces (7 bytes a read, to
 * exercise short reads of the request body), answering with the request's
 * Content-Type (application/octet-stream when it has none).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
write_all(const void *p, size_t n)
{
    for (size_t o = 0; o < n;) {
        ssize_t w = write(1, (const char *)p + o, n - o);
        if (w <= 0)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

int
main(void)
{
    const char *ct = getenv("CONTENT_TYPE");
    char        buf[7];
    ssize_t     n;

    if (!ct || !*ct)
        ct = "application/octet-stream";
    if (write_all("Content-Type: ", 14) || write_all(ct, strlen(ct)) ||
        write_all("\n\n", 2))
        return 1;
    while ((n = read(0, buf, sizeof buf)) > 0)
        if (write_all(buf, (size_t)n))
            return 1;
    return n < 0 ? 1 : 0;
}
