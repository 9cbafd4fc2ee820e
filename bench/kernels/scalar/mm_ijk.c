/* mm_ijk.c - f64: C = A * B for 192x192 doubles in i-j-k order, n times.
 * The inner loop is a dot product down a column of B (stride 192*8 bytes):
 * a strict-FP reduction, so clang keeps it scalar natively too; the
 * reference point for a loop nobody vectorises. Checksum: bits of a
 * folded sum of C. */
#include "../bench.h"

#define N 192

static double A[N][N], B[N][N], C[N][N];

int64_t
run(int n)
{
    uint64_t seed = 11;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
            B[i][j] = (double)(bench_rand(&seed) >> 40) / 16777216.0 - 0.5;
        }
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++)
                    s += A[i][k] * B[k][j];
                C[i][j] = s;
            }
        double s = 0;
        for (int i = 0; i < N; i++)
            s += C[i][(i * 5 + pass) % N];
        B[pass % N][(pass * 7) % N] += s * 1e-3;
        sum += s;
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
