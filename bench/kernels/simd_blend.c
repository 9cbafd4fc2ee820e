/* simd_blend.c - SIMD, integer: alpha blending of two 256 KiB byte
 * images, out = (a * alpha + b * (256 - alpha)) >> 8 in 16-bit lanes, and
 * the byte sum of the result; the output is the next pass's first input.
 * wasm_simd128.h intrinsics in wasm, SSE2 natively (same arithmetic).
 * Checksum = sum of all output bytes over all passes. */
#include "bench.h"

#ifdef __wasm__
#include <wasm_simd128.h>
#else
#include <emmintrin.h>
#endif

#define LEN (256u << 10)

static uint8_t img[2][LEN] __attribute__((aligned(16)));
static uint8_t other[LEN] __attribute__((aligned(16)));

#ifdef __wasm__
static uint64_t
blend(const uint8_t *a, const uint8_t *b, uint8_t *out, uint16_t alpha)
{
    v128_t va16 = wasm_i16x8_splat((int16_t)alpha);
    v128_t vb16 = wasm_i16x8_splat((int16_t)(256 - alpha));
    v128_t acc = wasm_i32x4_splat(0);

    for (uint32_t i = 0; i < LEN; i += 16) {
        v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
        v128_t lo = wasm_i16x8_add(
            wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(x), va16),
            wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(y), vb16));
        v128_t hi = wasm_i16x8_add(
            wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(x), va16),
            wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(y), vb16));
        v128_t r = wasm_u8x16_narrow_i16x8(wasm_u16x8_shr(lo, 8),
                                           wasm_u16x8_shr(hi, 8));
        wasm_v128_store(out + i, r);
        acc = wasm_i32x4_add(acc, wasm_u32x4_extadd_pairwise_u16x8(
                                      wasm_u16x8_extadd_pairwise_u8x16(r)));
    }
    return (uint64_t)wasm_u32x4_extract_lane(acc, 0) +
           wasm_u32x4_extract_lane(acc, 1) + wasm_u32x4_extract_lane(acc, 2) +
           wasm_u32x4_extract_lane(acc, 3);
}
#else
static uint64_t
blend(const uint8_t *a, const uint8_t *b, uint8_t *out, uint16_t alpha)
{
    __m128i va16 = _mm_set1_epi16((short)alpha);
    __m128i vb16 = _mm_set1_epi16((short)(256 - alpha));
    __m128i zero = _mm_setzero_si128(), acc = zero;

    for (uint32_t i = 0; i < LEN; i += 16) {
        __m128i x = _mm_load_si128((const __m128i *)(a + i));
        __m128i y = _mm_load_si128((const __m128i *)(b + i));
        __m128i lo = _mm_add_epi16(
            _mm_mullo_epi16(_mm_unpacklo_epi8(x, zero), va16),
            _mm_mullo_epi16(_mm_unpacklo_epi8(y, zero), vb16));
        __m128i hi = _mm_add_epi16(
            _mm_mullo_epi16(_mm_unpackhi_epi8(x, zero), va16),
            _mm_mullo_epi16(_mm_unpackhi_epi8(y, zero), vb16));
        __m128i r = _mm_packus_epi16(_mm_srli_epi16(lo, 8),
                                     _mm_srli_epi16(hi, 8));
        _mm_store_si128((__m128i *)(out + i), r);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(r, zero));
    }
    return (uint64_t)_mm_cvtsi128_si64(acc) +
           (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
}
#endif

int64_t
run(int n)
{
    uint64_t seed = 5, total = 0;

    for (uint32_t i = 0; i < LEN; i++) {
        uint64_t r = bench_rand(&seed);
        img[0][i] = (uint8_t)r;
        other[i] = (uint8_t)(r >> 8);
    }
    for (int pass = 0; pass < n; pass++) {
        uint16_t alpha = (uint16_t)(96 + (pass * 37) % 128);
        total += blend(img[pass & 1], other, img[(pass + 1) & 1], alpha);
        other[(uint32_t)pass % LEN] ^= (uint8_t)total;
    }
    return (int64_t)total;
}
