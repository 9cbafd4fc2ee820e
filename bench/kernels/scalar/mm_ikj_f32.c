/* mm_ikj_f32.c - f32: C = A * B for 160x160 floats in i-k-j order, n
 * times. The inner loop streams a row of B into a row of C (c += a * b,
 * no reduction): clang vectorises it natively with packed SSE2
 * (mulps/addps); the wasm has no SIMD, so the AOT compiler must
 * re-vectorise it. Checksum: bits of a folded sum of C. */
#include "../bench.h"

#define N 160

static float A[N][N], B[N][N], C[N][N];

int64_t
run(int n)
{
    uint64_t seed = 12;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (float)(bench_rand(&seed) >> 44) / 1048576.0f - 0.5f;
            B[i][j] = (float)(bench_rand(&seed) >> 44) / 1048576.0f - 0.5f;
        }
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++)
                C[i][j] = 0;
            for (int k = 0; k < N; k++) {
                float a = A[i][k];
                for (int j = 0; j < N; j++)
                    C[i][j] += a * B[k][j];
            }
        }
        float s = 0;
        for (int i = 0; i < N; i++)
            s += C[i][(i * 3 + pass) % N];
        A[pass % N][(pass * 11) % N] += s * 1e-3f;
        sum += s;
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
