/* trisolve.c - f64: solve L x = b for a dense unit-diagonal-free lower
 * triangular 384x384 L (1.1 MiB), column-oriented forward substitution:
 * after x[j] is known, b[i] -= L[i][j] * x[j] for i > j, a strided
 * update. L is stored transposed (Lt[j][i]) so that update is a
 * contiguous axpy, which clang vectorises natively. n solves with a
 * changing right-hand side. Checksum: bits of a folded sum of x. */
#include "../bench.h"

#define N 384

static double Lt[N][N], X[N], Bv[N];

int64_t
run(int n)
{
    uint64_t seed = 19;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            Lt[j][i] = i < j ? 0.0
                     : i == j ? 2.0 + (double)(bench_rand(&seed) >> 60)
                     : ((double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5)
                       / (double)N;
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        for (int i = 0; i < N; i++)
            X[i] = (double)((i * 7 + pass) % 23) - 11.0;
        for (int j = 0; j < N; j++) {
            double xj = X[j] / Lt[j][j];
            X[j] = xj;
            for (int i = j + 1; i < N; i++)
                X[i] -= Lt[j][i] * xj;
        }
        double s = 0;
        for (int i = 0; i < N; i += 17)
            s += X[i];
        Bv[pass % N] = s;
        sum += s;
    }
    union { double d; int64_t i; } u = { sum + Bv[n % N] };
    return u.i ^ n;
}
