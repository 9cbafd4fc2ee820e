/* big.c - streams mib=N MiB (default 8) of a known pattern in 64 KiB
 * writes, with no Content-Length: byte I of the body is
 * (I + I / 65536) % 251. The server must send it chunked and keep its
 * own memory bounded while the guest writes.
 */
#include <unistd.h>

#include "wagi.h"

enum { CHUNK = 65536 };

int
main(void)
{
    static unsigned char buf[CHUNK];
    long                 mib = query_long("mib", 8);
    size_t               total = (size_t)mib << 20;

    printf("Content-Type: application/octet-stream\n\n");
    fflush(stdout);
    for (size_t off = 0; off < total; off += CHUNK) {
        for (size_t i = 0; i < CHUNK; i++) {
            size_t at = off + i;
            buf[i] = (unsigned char)((at + at / 65536) % 251);
        }
        for (size_t o = 0; o < CHUNK;) {
            ssize_t w = write(1, buf + o, CHUNK - o);
            if (w <= 0)
                return 1;
            o += (size_t)w;
        }
    }
    return 0;
}
