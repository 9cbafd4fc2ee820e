/* jacobi1d.c - f64: 3-point Jacobi sweeps over 64k doubles (512 KiB per
 * array, in L2), ping-ponging between two arrays, 2 sweeps per pass, n
 * passes. Vectorised natively (mulpd/addpd). Checksum: bits of a folded
 * sample sum. */
#include "../bench.h"

#define N 65536

static double U[N], V[N];

static void
sweep(double *restrict dst, const double *restrict src)
{
    for (int i = 1; i < N - 1; i++)
        dst[i] = 0.25 * src[i - 1] + 0.5 * src[i] + 0.25 * src[i + 1];
}

int64_t
run(int n)
{
    uint64_t seed = 13;
    for (int i = 0; i < N; i++)
        U[i] = V[i] = (double)(bench_rand(&seed) >> 40) / 16777216.0;
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        sweep(V, U);
        sweep(U, V);
        U[pass & (N - 1)] += 1.0;
        sum += U[(pass * 97) & (N - 1)];
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
