/* native_handlers.c - the bench handlers as ServeNativeFn (serve/serve.h),
 * called in the server process for routes "native:hello" and
 * "native:sha256": the same work as the wasm handlers (handlers.c) without
 * the sandbox, which is what bench/serve's baseline (a) measures.
 */
#include <stdint.h>
#include <string.h>

#include "handlers.h"
#include "native_handlers.h"
#include "serve.h"

typedef struct BodyReader {
    const ServeNativeIO *io;
    size_t               off;
} BodyReader;

static size_t
read_body(void *ctx, void *p, size_t n)
{
    BodyReader *r = ctx;
    size_t      left = r->io->body_len - r->off;

    if (n > left)
        n = left;
    memcpy(p, r->io->body + r->off, n);
    r->off += n;
    return n;
}

static void
write_out(void *ctx, const void *p, size_t n)
{
    BodyReader *r = ctx;

    r->io->write(r->io->ctx, p, n);
}

static const char *
env_get(char *const *env, const char *name)
{
    size_t len = strlen(name);

    for (; env && *env; env++)
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

static void
native_hello(const ServeNativeIO *sio)
{
    BodyReader r = {sio, 0};
    BenchIO    io = {read_body, write_out, &r};

    bench_hello(&io);
}

static void
native_sha256(const ServeNativeIO *sio)
{
    BodyReader r = {sio, 0};
    BenchIO    io = {read_body, write_out, &r};

    bench_sha256(&io, bench_content_length(env_get(sio->env,
                                                   "CONTENT_LENGTH")));
}

void
bench_native_register(void)
{
    serve_native_register("hello", native_hello);
    serve_native_register("sha256", native_sha256);
}
