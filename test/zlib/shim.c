/* shim.c - the plugin's own exports, built into zlib.wasm beside zlib's
 * sources (wasm32-wasi reactor): z_stream handles for the deflate and
 * inflate stream API, so that the host never needs the guest's struct
 * layout, and entry points for zlib's own test programs (test/example.c,
 * test/minigzip.c, test/infcover.c, compiled with their main renamed).
 * zlib's one-shot functions (compress2, uncompress, crc32, ...) and
 * malloc/free are exported as they are (build.sh, --export). Ours; not
 * zlib code.
 */
#include <stdio.h>
#include <stdlib.h>

#include "zlib.h"

#define EXPORT(name) __attribute__((export_name(name)))

int zlib_example_main(int argc, char *argv[]);
int zlib_infcover_main(void);
int zlib_minigzip_main(int argc, char *argv[]);

/* A zeroed z_stream (zalloc/zfree NULL: zlib's own allocator), or NULL. */
EXPORT("zs_new") z_stream *
zs_new(void)
{
    return calloc(1, sizeof(z_stream));
}

EXPORT("zs_free") void
zs_free(z_stream *s)
{
    free(s);
}

EXPORT("zs_deflate_init") int
zs_deflate_init(z_stream *s, int level, int window_bits, int mem_level,
                int strategy)
{
    return deflateInit2(s, level, Z_DEFLATED, window_bits, mem_level,
                        strategy);
}

EXPORT("zs_inflate_init") int
zs_inflate_init(z_stream *s, int window_bits)
{
    return inflateInit2(s, window_bits);
}

/* The next input and output buffers, both in guest memory. */
EXPORT("zs_set_in") void
zs_set_in(z_stream *s, unsigned char *in, unsigned len)
{
    s->next_in = in;
    s->avail_in = len;
}

EXPORT("zs_set_out") void
zs_set_out(z_stream *s, unsigned char *out, unsigned len)
{
    s->next_out = out;
    s->avail_out = len;
}

EXPORT("zs_deflate") int
zs_deflate(z_stream *s, int flush)
{
    return deflate(s, flush);
}

EXPORT("zs_inflate") int
zs_inflate(z_stream *s, int flush)
{
    return inflate(s, flush);
}

EXPORT("zs_avail_out") unsigned
zs_avail_out(const z_stream *s)
{
    return s->avail_out;
}

/* zlib's message for the last error, a C string in guest memory, or 0. */
EXPORT("zs_msg") const char *
zs_msg(const z_stream *s)
{
    return s->msg;
}

EXPORT("zs_deflate_end") int
zs_deflate_end(z_stream *s)
{
    return deflateEnd(s);
}

EXPORT("zs_inflate_end") int
zs_inflate_end(z_stream *s)
{
    return inflateEnd(s);
}

/* zlib's test/example.c with argv[1] = path (its gz* test file, in a
 * preopened directory). It exits (WASI proc_exit) with 1 on a failure. */
EXPORT("zs_example") int
zs_example(char *path)
{
    char *argv[] = { "example", path, NULL };
    int   rc = zlib_example_main(2, argv);

    fflush(stdout);             /* a reactor's main returns to no exit() */
    return rc;
}

/* zlib's test/minigzip.c as `minigzip OPTION PATH` (OPTION "-d" to
 * decompress PATH, "-1".."-9" to compress it into PATH.gz); it removes the
 * input, as gzip does, and exits with 1 on a failure. */
EXPORT("zs_minigzip") int
zs_minigzip(char *option, char *path)
{
    char *argv[] = { "minigzip", option, path, NULL };
    int   rc = zlib_minigzip_main(3, argv);

    fflush(stdout);
    return rc;
}

/* zlib's test/infcover.c: asserts (a trap) on a failure; reports leaks on
 * stderr as lines starting with "**". */
EXPORT("zs_infcover") int
zs_infcover(void)
{
    int rc = zlib_infcover_main();

    fflush(stderr);
    return rc;
}
