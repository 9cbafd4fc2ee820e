/* jacobi3d_f32.c - f32: 7-point Jacobi sweeps over a 48^3 grid (two 432
 * KiB arrays), 2 sweeps per pass, n passes. The inner loop reads five
 * rows of two planes and writes one: vectorised natively (mulps/addps).
 * Checksum: bits of a folded sample sum. */
#include "../bench.h"

#define N 48

static float U[N][N][N], V[N][N][N];

static void
sweep(float (*restrict dst)[N][N], float (*restrict src)[N][N])
{
    for (int i = 1; i < N - 1; i++)
        for (int j = 1; j < N - 1; j++)
            for (int k = 1; k < N - 1; k++)
                dst[i][j][k] = 0.4f * src[i][j][k]
                    + 0.1f * (src[i - 1][j][k] + src[i + 1][j][k]
                              + src[i][j - 1][k] + src[i][j + 1][k]
                              + src[i][j][k - 1] + src[i][j][k + 1]);
}

int64_t
run(int n)
{
    uint64_t seed = 15;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int k = 0; k < N; k++)
                U[i][j][k] = V[i][j][k] = (float)(bench_rand(&seed) >> 44)
                                          / 1048576.0f;
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        sweep(V, U);
        sweep(U, V);
        U[1 + pass % (N - 2)][N / 2][1 + (pass * 7) % (N - 2)] += 1.0f;
        sum += U[N / 2][1 + (pass * 5) % (N - 2)][N / 3];
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
