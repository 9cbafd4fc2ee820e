/* util_sha256.c - SHA-256 (FIPS 180-4), for the module hash in a compiled
 * artifact's descriptor, for cache keys and for the cache's entry tags
 * (HMAC, and several messages hashed interleaved). Written from the
 * standard.
 */
#include <stdint.h>
#include <string.h>

#include "util.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t
load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* One round with the working variables in registers: the caller rotates
 * the names instead of moving eight words every round. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                     \
    do {                                                                     \
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +            \
                      ((e & f) ^ (~e & g)) + K[i] + w[i];                    \
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +                \
                      ((a & b) ^ (a & c) ^ (b & c));                         \
        d += t1;                                                             \
        h = t1 + t2;                                                         \
    } while (0)

static void
blocks_portable(uint32_t st[8], const uint8_t *p, size_t n)
{
    uint32_t w[64];

    for (; n; n--, p += 64) {
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(p + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
                          w[i - 15] >> 3;
            uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
                          w[i - 2] >> 10;
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 64; i += 8) {
            ROUND(a, b, c, d, e, f, g, h, i);
            ROUND(h, a, b, c, d, e, f, g, i + 1);
            ROUND(g, h, a, b, c, d, e, f, i + 2);
            ROUND(f, g, h, a, b, c, d, e, i + 3);
            ROUND(e, f, g, h, a, b, c, d, i + 4);
            ROUND(d, e, f, g, h, a, b, c, i + 5);
            ROUND(c, d, e, f, g, h, a, b, i + 6);
            ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a, st[1] += b, st[2] += c, st[3] += d;
        st[4] += e, st[5] += f, st[6] += g, st[7] += h;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The SHA extensions (x86 SHA-NI): four rounds per step, the message
 * schedule in four registers. State layout the instructions want: ABEF
 * and CDGH, A in the top lane. */
__attribute__((target("sha,sse4.1"))) static inline void
shani_load(const uint32_t st[8], __m128i *abef, __m128i *cdgh)
{
    __m128i t = _mm_shuffle_epi32(
        _mm_loadu_si128((const __m128i *)st), 0xb1);        /* B A D C */
    __m128i h = _mm_shuffle_epi32(
        _mm_loadu_si128((const __m128i *)(st + 4)), 0x1b);  /* H G F E */

    *abef = _mm_alignr_epi8(t, h, 8);                       /* F E B A */
    *cdgh = _mm_blend_epi16(h, t, 0xf0);                    /* H G D C */
}

__attribute__((target("sha,sse4.1"))) static inline void
shani_store(uint32_t st[8], __m128i abef, __m128i cdgh)
{
    __m128i t = _mm_shuffle_epi32(abef, 0x1b);              /* A B E F */

    cdgh = _mm_shuffle_epi32(cdgh, 0xb1);                   /* G H C D */
    _mm_storeu_si128((__m128i *)st, _mm_blend_epi16(t, cdgh, 0xf0));
    _mm_storeu_si128((__m128i *)(st + 4), _mm_alignr_epi8(cdgh, t, 8));
}

/* Step i (0..15) of a block: message words 4i..4i+3 (loaded, or made from
 * the four before), then four rounds. */
__attribute__((target("sha,sse4.1"), always_inline)) static inline void
shani_step(int i, const uint8_t *p, __m128i m[4], __m128i *abef,
           __m128i *cdgh)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
                                         0x0405060700010203LL);
    __m128i      *cur = &m[i % 4];

    if (i < 4) {
        *cur = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
    } else {
        __m128i prev = m[(i + 3) % 4];
        *cur = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(*cur, m[(i + 1) % 4]),
                          _mm_alignr_epi8(prev, m[(i + 2) % 4], 4)),
            prev);
    }
    __m128i wk = _mm_add_epi32(*cur,
                               _mm_loadu_si128((const __m128i *)&K[4 * i]));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    /* the old ABEF is the new CDGH: two more rounds */
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

__attribute__((target("sha,sse4.1"))) static void
blocks_shani(uint32_t st[8], const uint8_t *p, size_t n)
{
    __m128i abef, cdgh;

    shani_load(st, &abef, &cdgh);
    for (; n; n--, p += 64) {
        __m128i m[4], save_abef = abef, save_cdgh = cdgh;
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            shani_step(i, p, m, &abef, &cdgh);
        abef = _mm_add_epi32(abef, save_abef);
        cdgh = _mm_add_epi32(cdgh, save_cdgh);
    }
    shani_store(st, abef, cdgh);
}

/* n blocks of each of MOATU_SHA256_LANES messages, the lanes' rounds
 * interleaved: one stream's rounds wait on each other (sha256rnds2 has a
 * latency of several cycles and depends on the previous one), independent
 * streams fill those cycles. */
__attribute__((target("sha,sse4.1"))) static void
blocks_shani_lanes(uint32_t st[][8], const uint8_t *const p0[], size_t n)
{
    __m128i        abef[MOATU_SHA256_LANES], cdgh[MOATU_SHA256_LANES];
    const uint8_t *p[MOATU_SHA256_LANES];

    for (int l = 0; l < MOATU_SHA256_LANES; l++) {
        shani_load(st[l], &abef[l], &cdgh[l]);
        p[l] = p0[l];
    }
    for (; n; n--) {
        __m128i m[MOATU_SHA256_LANES][4];
        __m128i save_abef[MOATU_SHA256_LANES], save_cdgh[MOATU_SHA256_LANES];
        for (int l = 0; l < MOATU_SHA256_LANES; l++)
            save_abef[l] = abef[l], save_cdgh[l] = cdgh[l];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
#pragma GCC unroll 4
            for (int l = 0; l < MOATU_SHA256_LANES; l++)
                shani_step(i, p[l], m[l], &abef[l], &cdgh[l]);
        }
        for (int l = 0; l < MOATU_SHA256_LANES; l++) {
            abef[l] = _mm_add_epi32(abef[l], save_abef[l]);
            cdgh[l] = _mm_add_epi32(cdgh[l], save_cdgh[l]);
            p[l] += 64;
        }
    }
    for (int l = 0; l < MOATU_SHA256_LANES; l++)
        shani_store(st[l], abef[l], cdgh[l]);
}

static bool
has_shani(void)
{
    /* the words read once per process (util_cpuid.c): SHA (leaf 7 ebx
     * bit 29) and SSE4.1 (leaf 1 ecx bit 19) */
    const MoatCpuid *c = moatU_cpuid();

    return (c->l7[1] >> 29 & 1) && (c->l1[2] >> 19 & 1);
}

static void
blocks(uint32_t st[8], const uint8_t *p, size_t n)
{
    if (has_shani())
        blocks_shani(st, p, n);
    else
        blocks_portable(st, p, n);
}

/* The first n blocks of every lane together; false: not on this CPU. */
static bool
blocks_lanes(uint32_t st[][8], const uint8_t *const p[], size_t n)
{
    if (!has_shani())
        return false;
    blocks_shani_lanes(st, p, n);
    return true;
}
#else
#define blocks blocks_portable
static bool
blocks_lanes(uint32_t st[][8], const uint8_t *const p[], size_t n)
{
    (void)st, (void)p, (void)n;
    return false;
}
#endif

static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                0xa54ff53a, 0x510e527f, 0x9b05688c,
                                0x1f83d9ab, 0x5be0cd19 };

/* The last of a message: its rest (under 64 bytes) and the padding with
 * the length in bits of all of it, then the digest. */
static void
finish(uint32_t h[8], const uint8_t *rest, size_t nrest, uint64_t total,
       uint8_t out[32])
{
    uint8_t tail[128] = { 0 };
    size_t  n = nrest >= 56 ? 128 : 64;

    memcpy(tail, rest, nrest);
    tail[nrest] = 0x80;
    for (unsigned i = 0; i < 8; i++)
        tail[n - 1 - i] = (uint8_t)(total * 8 >> (8 * i));
    blocks(h, tail, n / 64);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void
moatU_sha256_lanes(const uint8_t *const data[MOATU_SHA256_LANES],
                   const size_t len[MOATU_SHA256_LANES],
                   uint8_t out[MOATU_SHA256_LANES][32])
{
    uint32_t h[MOATU_SHA256_LANES][8];
    size_t   common = SIZE_MAX;

    for (int l = 0; l < MOATU_SHA256_LANES; l++) {
        memcpy(h[l], H0, sizeof H0);
        if (len[l] / 64 < common)
            common = len[l] / 64;
    }
    if (common == 0 || !blocks_lanes(h, data, common))
        common = 0;
    for (int l = 0; l < MOATU_SHA256_LANES; l++) {
        size_t full = len[l] / 64;
        blocks(h[l], data[l] + 64 * common, full - common);
        finish(h[l], data[l] + 64 * full, len[l] % 64, len[l], out[l]);
    }
}

/* SHA-256 of block[0..64) (when not NULL) followed by data[0..len): HMAC's
 * padded key block goes first without a copy of the message. */
static void
sha256_after(const uint8_t *block, const void *data, size_t len,
             uint8_t out[32])
{
    uint32_t       h[8];
    const uint8_t *p = data;

    memcpy(h, H0, sizeof H0);
    if (block)
        blocks(h, block, 1);
    blocks(h, p, len / 64);
    finish(h, p + len / 64 * 64, len % 64, len + (block ? 64u : 0u), out);
}

void
moatU_sha256(const void *data, size_t len, uint8_t out[32])
{
    sha256_after(NULL, data, len, out);
}

/* HMAC (RFC 2104) with SHA-256 and a 32-byte key: H(K^opad || H(K^ipad ||
 * m)). */
void
moatU_hmac_sha256(const uint8_t key[32], const void *data, size_t len,
                  uint8_t out[32])
{
    uint8_t pad[64], inner[32];

    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)((i < 32 ? key[i] : 0) ^ 0x36);
    sha256_after(pad, data, len, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)((i < 32 ? key[i] : 0) ^ 0x5c);
    sha256_after(pad, inner, 32, out);
}
