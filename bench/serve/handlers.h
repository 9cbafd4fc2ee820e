/* handlers.h - the bench/serve handlers' logic behind read/write
 * callbacks, so the wasm32-wasi handler, the native CGI program and the
 * in-process native handler (native_handlers.c) do the same work; each
 * front end only supplies its I/O (stdio or the server's buffers).
 */
#ifndef BENCH_HANDLERS_H
#define BENCH_HANDLERS_H

#include <stddef.h>

typedef struct BenchIO {
    /* Reads up to n bytes of the request body; 0 at its end. */
    size_t (*read)(void *ctx, void *p, size_t n);
    /* Appends n bytes to the response (CGI headers, blank line, body). */
    void   (*write)(void *ctx, const void *p, size_t n);
    void    *ctx;
} BenchIO;

/* "Content-Type: text/plain", a blank line and "Hello, world\n", as
 * examples/serve/hello.c prints without a name. */
void bench_hello(const BenchIO *io);

/* Hashes the body, at most limit bytes (CONTENT_LENGTH; SIZE_MAX: to its
 * end), and answers with its SHA-256 in hex and a newline. */
void bench_sha256(const BenchIO *io, size_t limit);

/* CONTENT_LENGTH's value as a limit for bench_sha256: SIZE_MAX when it
 * is missing or not a number. */
size_t bench_content_length(const char *value);

#endif
