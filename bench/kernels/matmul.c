/* matmul.c - float: C = A * B for 256x256 doubles, i-k-j loop order
 * (the inner loop streams rows, so it vectorises without reassociating),
 * n times; A changes between passes. Checksum = bits of sum(C) xor-folded
 * with the number of passes. */
#include "bench.h"

#define N 256

static double A[N][N], B[N][N], C[N][N];

static void
matmul(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            C[i][j] = 0;
        for (int k = 0; k < N; k++) {
            double a = A[i][k];
            for (int j = 0; j < N; j++)
                C[i][j] += a * B[k][j];
        }
    }
}

int64_t
run(int n)
{
    uint64_t seed = 7;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
            B[i][j] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
        }
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        matmul();
        double s = 0;
        for (int i = 0; i < N; i++)
            s += C[i][(i * 7 + pass) & (N - 1)];
        A[pass & (N - 1)][(pass * 3) & (N - 1)] += s * 1e-3;
        sum += s;
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
