/* simd_f32.c - SIMD, float: 8192 particles (structure of arrays) pulled
 * towards the origin, a = -p / |p|^3 (sqrt and div), semi-implicit Euler,
 * f32x4 intrinsics in wasm, SSE natively: the same IEEE operations in the
 * same order, so results are bit-identical. n steps.
 * Checksum = bits of the sum (in double, in index order) of x and y. */
#include "bench.h"

#ifdef __wasm__
#include <wasm_simd128.h>
typedef v128_t V;
#define LOAD(p)     wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)
#define SPLAT(x)    wasm_f32x4_splat(x)
#define ADD         wasm_f32x4_add
#define SUB         wasm_f32x4_sub
#define MUL         wasm_f32x4_mul
#define DIV         wasm_f32x4_div
#define SQRT        wasm_f32x4_sqrt
#define LT          wasm_f32x4_lt
#define AND         wasm_v128_and
#define ANDNOT      wasm_v128_andnot /* a & ~b */
#define OR          wasm_v128_or
#else
#include <emmintrin.h>
typedef __m128 V;
#define LOAD(p)     _mm_load_ps(p)
#define STORE(p, v) _mm_store_ps(p, v)
#define SPLAT(x)    _mm_set1_ps(x)
#define ADD         _mm_add_ps
#define SUB         _mm_sub_ps
#define MUL         _mm_mul_ps
#define DIV         _mm_div_ps
#define SQRT        _mm_sqrt_ps
#define LT          _mm_cmplt_ps
#define AND         _mm_and_ps
#define ANDNOT(a, b) _mm_andnot_ps(b, a)
#define OR          _mm_or_ps
#endif

#define NP 8192

static float x[NP] __attribute__((aligned(16)));
static float y[NP] __attribute__((aligned(16)));
static float vx[NP] __attribute__((aligned(16)));
static float vy[NP] __attribute__((aligned(16)));

static void
step(float dt)
{
    V vdt = SPLAT(dt), eps = SPLAT(0.01f), minr2 = SPLAT(0.25f);
    V damp = SPLAT(0.5f);

    for (int i = 0; i < NP; i += 4) {
        V px = LOAD(x + i), py = LOAD(y + i);
        V qx = LOAD(vx + i), qy = LOAD(vy + i);
        V r2 = ADD(ADD(MUL(px, px), MUL(py, py)), eps);
        V inv = DIV(SPLAT(1.0f), MUL(r2, SQRT(r2)));
        /* inside r2 < 0.25 the pull is damped: a select via masks */
        V near = LT(r2, minr2);
        inv = OR(AND(near, MUL(inv, damp)), ANDNOT(inv, near));
        qx = SUB(qx, MUL(MUL(px, inv), vdt));
        qy = SUB(qy, MUL(MUL(py, inv), vdt));
        STORE(vx + i, qx);
        STORE(vy + i, qy);
        STORE(x + i, ADD(px, MUL(qx, vdt)));
        STORE(y + i, ADD(py, MUL(qy, vdt)));
    }
}

int64_t
run(int n)
{
    uint64_t seed = 11;
    for (int i = 0; i < NP; i++) {
        x[i] = (float)(bench_rand(&seed) >> 40) / 8388608.0f - 1.0f;
        y[i] = (float)(bench_rand(&seed) >> 40) / 8388608.0f - 1.0f;
        vx[i] = -y[i] * 0.8f;
        vy[i] = x[i] * 0.8f;
    }
    for (int s = 0; s < n; s++)
        step(0.001f);
    double sum = 0;
    for (int i = 0; i < NP; i++)
        sum += (double)x[i] + (double)y[i];
    union { double d; int64_t i; } u = { sum };
    return u.i;
}
