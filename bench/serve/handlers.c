/* handlers.c - the hello and sha256 handlers of bench/serve, written
 * once against BenchIO (handlers.h). What the body is and where output
 * goes is the front end's business (sha_handler.c, native_handlers.c).
 */
#include "handlers.h"

#include <stdint.h>
#include <string.h>

#include "sha256.h"

static const char text_plain[] = "Content-Type: text/plain\n\n";

void
bench_hello(const BenchIO *io)
{
    static const char out[] = "Content-Type: text/plain\n\nHello, world\n";

    io->write(io->ctx, out, sizeof out - 1);
}

void
bench_sha256(const BenchIO *io, size_t limit)
{
    uint8_t buf[4096], digest[32];
    char    hex[66];
    Sha256  s;
    size_t  got;

    sha256_init(&s);
    while (limit > 0) {
        got = io->read(io->ctx, buf, limit < sizeof buf ? limit : sizeof buf);
        if (got == 0)
            break;
        sha256_update(&s, buf, got);
        limit -= got;
    }
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
    hex[64] = '\n';
    io->write(io->ctx, text_plain, sizeof text_plain - 1);
    io->write(io->ctx, hex, 65);
}

size_t
bench_content_length(const char *value)
{
    size_t n = 0;

    if (value == NULL || *value == '\0')
        return SIZE_MAX;
    for (; *value; value++) {
        if (*value < '0' || *value > '9' || n > SIZE_MAX / 10 - 1)
            return SIZE_MAX;
        n = n * 10 + (size_t)(*value - '0');
    }
    return n;
}
