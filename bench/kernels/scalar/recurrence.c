/* recurrence.c - i32 + f64: linear recurrences over 64k elements, n
 * passes: an inclusive prefix sum of u32 (wrapping), then a first-order
 * IIR low-pass y[i] = a*x[i] + b*y[i-1] in f64. Both carry a dependency
 * from one iteration to the next, so neither vectorises natively: the
 * cost is the latency chain (and the address arithmetic around it).
 * Checksum: the last sums folded with the bits of the filter output. */
#include "../bench.h"

#define N 65536

static uint32_t X[N], P[N];
static double Y[N];

int64_t
run(int n)
{
    uint64_t seed = 16;
    for (int i = 0; i < N; i++)
        X[i] = (uint32_t)(bench_rand(&seed) >> 48);
    uint64_t acc = 0;
    double y = 0;
    for (int pass = 0; pass < n; pass++) {
        uint32_t s = (uint32_t)pass;
        for (int i = 0; i < N; i++) {
            s += X[i];
            P[i] = s;
        }
        for (int i = 0; i < N; i++) {
            y = 0.125 * (double)(P[i] & 0xffff) + 0.875 * y;
            Y[i] = y;
        }
        X[(pass * 13) & (N - 1)] ^= P[N - 1] & 0xff;
        acc = acc * 31 + s;
    }
    union { double d; uint64_t i; } u = { Y[N / 3] + y };
    return (int64_t)(acc ^ u.i);
}
