/* dot_f64.c - f64 reductions over 64k doubles (two 512 KiB arrays), n
 * passes: a dot product and a sum of squares, each written with four
 * partial sums (i, i+1, i+2, i+3), as hand-tuned scalar code does, since
 * strict FP forbids reassociating one sum. The four independent chains
 * pair up into packed mulpd/addpd natively (SLP). Checksum: bits of the
 * folded sums. */
#include "../bench.h"

#define N 65536

static double X[N], Y[N];

int64_t
run(int n)
{
    uint64_t seed = 18;
    for (int i = 0; i < N; i++) {
        X[i] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
        Y[i] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
    }
    double total = 0;
    for (int pass = 0; pass < n; pass++) {
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (int i = 0; i < N; i += 4) {
            d0 += X[i] * Y[i];
            d1 += X[i + 1] * Y[i + 1];
            d2 += X[i + 2] * Y[i + 2];
            d3 += X[i + 3] * Y[i + 3];
            q0 += X[i] * X[i];
            q1 += X[i + 1] * X[i + 1];
            q2 += X[i + 2] * X[i + 2];
            q3 += X[i + 3] * X[i + 3];
        }
        double d = (d0 + d1) + (d2 + d3), q = (q0 + q1) + (q2 + q3);
        X[(pass * 31) & (N - 1)] = d * 1e-3;
        total += d + q * 1e-6;
    }
    union { double d; int64_t i; } u = { total };
    return u.i ^ n;
}
