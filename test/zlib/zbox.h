/* zbox.h - zlib in the Moat sandbox, as a native host sees it: the plugin
 * built by build.sh (zlib.wasm compiled to zlibwasm.o) linked into the host,
 * one instance per ZBox. Buffers are the host's: each call copies its
 * input into guest memory (malloc'ed there), calls zlib in the sandbox and
 * copies the output back. The test host, the fuzz target and the bench
 * all go through here.
 */
#ifndef ZBOX_H
#define ZBOX_H

#include <stddef.h>
#include <stdint.h>

#include "moat.h"

typedef struct ZBox ZBox;

/* Returned instead of a zlib status when the call did not finish in the
 * sandbox: a trap, an exit, or the guest ran out of memory for the
 * host's buffers. zbox_error says which; the ZBox stays usable. */
#define ZBOX_FAILED (-1000)

/* A fresh instance. dir (may be NULL): a host directory the guest sees
 * as /work (for example.c's gz file). max_memory: the guest's budget in
 * bytes (0: none). Returns NULL with the reason on stderr. The guest's
 * stdout and stderr are captured (zbox_output). */
ZBox *zbox_open(const char *dir, uint64_t max_memory);
void  zbox_close(ZBox *b);                              /* NULL: no-op */
/* The instance, for calls past this API (the typed wrappers of
 * zlibwasm.h); borrowed. */
moat_instance *zbox_instance(ZBox *b);
/* Why the last call returned ZBOX_FAILED (borrowed, valid until the next
 * call). */
const moat_error *zbox_error(const ZBox *b);
/* What the guest wrote to descriptor fd (1 or 2) during the last
 * zbox_example or zbox_infcover, NUL-terminated (borrowed, valid until the
 * next of those); *len its length. */
const char *zbox_output(ZBox *b, int fd, size_t *len);

/* zlib's zlibVersion(), copied into buf (n bytes); 0 or ZBOX_FAILED. */
int zbox_version(ZBox *b, char *buf, size_t n);

/* zlib's one-shot API. *dst_len: in, the room at dst; out, the bytes
 * written. The return value is zlib's (Z_OK, Z_BUF_ERROR, ...) or
 * ZBOX_FAILED. */
int zbox_compress2(ZBox *b, uint8_t *dst, size_t *dst_len,
                   const uint8_t *src, size_t len, int level);
int zbox_uncompress(ZBox *b, uint8_t *dst, size_t *dst_len,
                    const uint8_t *src, size_t len);
int zbox_compress_bound(ZBox *b, size_t len, size_t *out);
/* crc32 / adler32 of src continuing from *sum; the result in *sum. */
int zbox_crc32(ZBox *b, uint32_t *sum, const uint8_t *src, size_t len);
int zbox_adler32(ZBox *b, uint32_t *sum, const uint8_t *src, size_t len);

/* The stream API. Deflate settings as deflateInit2's. */
typedef struct ZParams {
    int level, window_bits, mem_level, strategy;
} ZParams;

/* Deflates src through a z_stream in the sandbox, feeding at most chunk
 * bytes of input and taking at most chunk bytes of output per call, up to
 * Z_STREAM_END; *out (malloc'ed, the caller's) and *out_len the result.
 * Z_OK, zlib's error or ZBOX_FAILED. */
int zbox_deflate(ZBox *b, const ZParams *p, const uint8_t *src,
                 size_t len, size_t chunk, uint8_t **out, size_t *out_len);
/* Inflates likewise with inflateInit2(window_bits), producing at most
 * max_out bytes: Z_OK at Z_STREAM_END, Z_DATA_ERROR on corrupt input
 * (message in zbox_error's msg), Z_BUF_ERROR when the input ends early or
 * the output would exceed max_out, or ZBOX_FAILED. */
int zbox_inflate(ZBox *b, int window_bits, const uint8_t *src, size_t len,
                 size_t chunk, size_t max_out, uint8_t **out,
                 size_t *out_len);

/* zlib's test programs, run inside the sandbox: example.c with its gz file
 * at guest path `path` and minigzip.c (*exit_code: main's return value or
 * its exit status), infcover.c (a failed assertion traps: ZBOX_FAILED). */
int zbox_example(ZBox *b, const char *path, int *exit_code);
/* minigzip.c with one option ("-d", "-1".."-9") and a guest path. */
int zbox_minigzip(ZBox *b, const char *option, const char *path,
                  int *exit_code);
int zbox_infcover(ZBox *b);

#endif
