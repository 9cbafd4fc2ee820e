/* sha256.h - SHA-256 (FIPS 180-4) for the sha256 handler of bench/serve:
 * the same code runs as a wasm32-wasi handler, a native CGI program and
 * an in-process native handler, so all three do the same hashing work.
 */
#ifndef BENCH_SHA256_H
#define BENCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct Sha256 {
    uint32_t h[8];
    uint64_t nbytes;            /* message length so far */
    uint8_t  block[64];         /* the partial block */
    size_t   nblock;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *p, size_t n);
/* Writes the 32-byte digest; s must be re-initialised before reuse. */
void sha256_final(Sha256 *s, uint8_t digest[32]);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
