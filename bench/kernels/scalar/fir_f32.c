/* fir_f32.c - f32: a 32-tap FIR filter over 64k samples, n passes,
 * written tap-outer / sample-inner (y[i] += h[t] * x[i + t]) so that the
 * inner loop is an axpy that clang vectorises natively (unaligned loads,
 * mulps/addps). Checksum: bits of a folded sample sum. */
#include "../bench.h"

#define N 65536
#define TAPS 32

static float X[N + TAPS], Y[N], H[TAPS];

int64_t
run(int n)
{
    uint64_t seed = 24;
    for (int i = 0; i < N + TAPS; i++)
        X[i] = (float)(bench_rand(&seed) >> 44) / 1048576.0f - 0.5f;
    for (int t = 0; t < TAPS; t++)
        H[t] = (float)(t + 1) / (float)(TAPS * TAPS);
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        for (int i = 0; i < N; i++)
            Y[i] = 0;
        for (int t = 0; t < TAPS; t++) {
            float h = H[t];
            for (int i = 0; i < N; i++)
                Y[i] += h * X[i + t];
        }
        X[(pass * 17) & (N - 1)] = Y[(pass * 29) & (N - 1)];
        sum += Y[(pass * 3) & (N - 1)];
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
