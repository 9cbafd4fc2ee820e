/* jacobi2d.c - f64: 5-point Jacobi sweeps over a 256x256 grid (two 512
 * KiB arrays), 2 sweeps per pass, n passes. The inner loop reads three
 * rows and writes one: vectorised natively. Checksum: bits of a folded
 * sample sum. */
#include "../bench.h"

#define N 256

static double U[N][N], V[N][N];

static void
sweep(double (*restrict dst)[N], double (*restrict src)[N])
{
    for (int i = 1; i < N - 1; i++)
        for (int j = 1; j < N - 1; j++)
            dst[i][j] = 0.2 * (src[i][j] + src[i - 1][j] + src[i + 1][j]
                               + src[i][j - 1] + src[i][j + 1]);
}

int64_t
run(int n)
{
    uint64_t seed = 14;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            U[i][j] = V[i][j] = (double)(bench_rand(&seed) >> 40)
                                / 16777216.0;
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        sweep(V, U);
        sweep(U, V);
        U[1 + pass % (N - 2)][1 + (pass * 7) % (N - 2)] += 1.0;
        sum += U[1 + (pass * 5) % (N - 2)][N / 2];
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
