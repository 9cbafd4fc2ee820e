/* reduce_i32.c - i32 reductions over 256k ints (1 MiB), n passes: dot
 * product (wrapping u32), sum of squares (i64, widened) and max. Integer
 * reductions may be reassociated, so clang vectorises all three natively
 * (pmuludq/paddq, pcmpgtd); the wasm is scalar. Checksum: the three
 * results folded. */
#include "../bench.h"

#define N 262144

static int32_t X[N], Y[N];

int64_t
run(int n)
{
    uint64_t seed = 17;
    for (int i = 0; i < N; i++) {
        X[i] = (int32_t)(bench_rand(&seed) >> 44) - (1 << 19);
        Y[i] = (int32_t)(bench_rand(&seed) >> 52) - (1 << 11);
    }
    uint64_t acc = 0;
    for (int pass = 0; pass < n; pass++) {
        uint32_t dot = 0;
        for (int i = 0; i < N; i++)
            dot += (uint32_t)X[i] * (uint32_t)Y[i];
        int64_t sq = 0;
        for (int i = 0; i < N; i++)
            sq += (int64_t)Y[i] * Y[i];
        int32_t mx = INT32_MIN;
        for (int i = 0; i < N; i++)
            mx = X[i] > mx ? X[i] : mx;
        X[(pass * 7919) & (N - 1)] = (int32_t)(dot & 0xfffff);
        acc = acc * 1000003 + dot + (uint64_t)sq + (uint64_t)(int64_t)mx;
    }
    return (int64_t)acc;
}
