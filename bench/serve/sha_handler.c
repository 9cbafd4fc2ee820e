/* sha_handler.c - the sha256 handler as a CGI/WAGI program: reads the
 * request body from stdin (CONTENT_LENGTH bytes, or to EOF without it),
 * prints "Content-Type: text/plain", a blank line and the body's SHA-256
 * in hex. Built for wasm32-wasi (moat serve, node) and natively (lighttpd
 * mod_cgi); the work itself is handlers.c's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "handlers.h"

static size_t
read_stdin(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return fread(p, 1, n, stdin);
}

static void
write_stdout(void *ctx, const void *p, size_t n)
{
    (void)ctx;
    fwrite(p, 1, n, stdout);
}

int
main(void)
{
    BenchIO io = {read_stdin, write_stdout, NULL};

    bench_sha256(&io, bench_content_length(getenv("CONTENT_LENGTH")));
    return fflush(stdout) == 0 ? 0 : 1;
}
