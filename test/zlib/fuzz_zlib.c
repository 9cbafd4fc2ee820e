/* fuzz_zlib.c - libFuzzer over the host/plugin boundary: random bytes to
 * the sandboxed uncompress and inflate, random sizes, levels, strategies
 * and windows to the sandboxed deflate, each result compared with native
 * zlib (the same 1.2.13 sources, built into this fuzzer with coverage, so
 * that the native twin's paths guide the inputs). Any difference, any
 * trap or failed call across the boundary, and anything ASan or UBSan
 * sees on the host side stop the run (__builtin_trap). Built by
 * fuzz-zlib.sh; docs/plugin-zlib.md.
 *
 * Input: byte 0 picks the operation, bytes 1-3 its parameters, the rest
 * is the data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "native.h"
#include "zbox.h"

#define MAX_OUT (256u << 10)

static ZBox *box;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A difference from native zlib, or a failure across the boundary. */
static void
finding(const char *what)
{
    const moat_error *e = zbox_error(box);

    fprintf(stderr, "fuzz_zlib: %s (moat: %s, %s: %s)\n", what,
            moat_status_string(e->code), moat_trap_string(e->trap), e->msg);
    __builtin_trap();
}

static void
fuzz_uncompress(const uint8_t *d, size_t n, size_t room)
{
    static uint8_t x[MAX_OUT], y[MAX_OUT];
    uLongf nx = (uLongf)room;
    size_t ny = room;
    int    rx = uncompress(x, &nx, d, (uLong)n);
    int    ry = zbox_uncompress(box, y, &ny, d, n);

    if (rx != ry)
        finding("uncompress: status differs");
    if (rx == Z_OK && (nx != ny || (nx && memcmp(x, y, nx) != 0)))
        finding("uncompress: output differs");
}

static void
fuzz_inflate(const uint8_t *d, size_t n, int window_bits, size_t chunk)
{
    uint8_t *x = NULL, *y = NULL;
    size_t   nx = 0, ny = 0;
    char     msg[128] = "";
    int      rx = native_inflate(window_bits, d, n, chunk, MAX_OUT, &x,
                                 &nx, msg, sizeof msg);
    int      ry = zbox_inflate(box, window_bits, d, n, chunk, MAX_OUT, &y,
                               &ny);

    if (rx != ry)
        finding("inflate: status differs");
    if (rx == Z_OK && (nx != ny || (nx && memcmp(x, y, nx) != 0)))
        finding("inflate: output differs");
    if (rx == Z_DATA_ERROR && strcmp(msg, zbox_error(box)->msg) != 0)
        finding("inflate: message differs");
    free(y);
    free(x);
}

static void
fuzz_deflate(const uint8_t *d, size_t n, uint8_t a, uint8_t b, uint8_t c)
{
    static const int wbits[] = { 15, 9, 12, -15, -9, 31, 25, 8 };
    ZParams  p = { .level = a % 11 - 1, .window_bits = wbits[b % 8],
                   .mem_level = 1 + (b >> 3) % 9, .strategy = c % 5 };
    size_t   chunk = 1 + (size_t)(c >> 3) * 97;
    uint8_t *x = NULL, *y = NULL, *back = NULL;
    size_t   nx = 0, ny = 0, nback = 0;
    int      rx = native_deflate(&p, d, n, chunk, &x, &nx);
    int      ry = zbox_deflate(box, &p, d, n, chunk, &y, &ny);

    if (rx != ry)
        finding("deflate: status differs");
    if (rx == Z_OK && (nx != ny || memcmp(x, y, nx) != 0))
        finding("deflate: output differs");
    if (rx == Z_OK &&
        (zbox_inflate(box, p.window_bits == 8 ? 9 : p.window_bits, y, ny,
                      chunk, n, &back, &nback) != Z_OK ||
         nback != n || (n && memcmp(back, d, n) != 0)))
        finding("deflate: the sandbox does not inflate its own output");
    free(back);
    free(y);
    free(x);
}

static void
fuzz_sums(const uint8_t *d, size_t n, uint32_t seed)
{
    uint32_t c = seed, a = seed;

    if (zbox_crc32(box, &c, d, n) != 0 || zbox_adler32(box, &a, d, n) != 0)
        finding("checksum call failed");
    if (c != crc32(seed, d, (uInt)n) || a != adler32(seed, d, (uInt)n))
        finding("checksum differs");
}

/* inflateInit2's windowBits from one byte: 8..15 (zlib), -8..-15 (raw),
 * 24..31 (gzip) or 40..47 (either, detected). */
static int
inflate_window(uint8_t b)
{
    int w = 8 + b % 8;

    if (b & 8)
        return -w;
    return w + (b & 16 ? 16 : b & 32 ? 32 : 0);
}

/* The instance keeps pointers in memory LeakSanitizer does not scan (its
 * mappings), so it is made before the first input and freed at exit. */
static void
close_box(void)
{
    zbox_close(box);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!(box = zbox_open(NULL, UINT64_C(256) << 20)))
        abort();
    atexit(close_box);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const uint8_t *d = data + 4;
    size_t         n = size - 4;

    switch (data[0] % 4) {
    case 0:
        fuzz_uncompress(d, n, ((size_t)data[1] << 10 | data[2]) % MAX_OUT);
        break;
    case 1:
        fuzz_inflate(d, n, inflate_window(data[1]),
                     1 + (size_t)data[2] * 31 + data[3]);
        break;
    case 2:
        fuzz_deflate(d, n, data[1], data[2], data[3]);
        break;
    default:
        fuzz_sums(d, n, (uint32_t)data[1] << 16 | data[2] << 8 | data[3]);
        break;
    }
    return 0;
}
