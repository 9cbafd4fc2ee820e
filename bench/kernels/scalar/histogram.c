/* histogram.c - integer: 256-bin histogram of 1 MiB of skewed bytes into
 * u32 counters, then a prefix sum over the bins and a lookup of each
 * byte's rank (a gather through the bin table), n passes. Scattered
 * increments and table lookups: scalar natively too. Checksum: the
 * folded ranks. */
#include "../bench.h"

#define N (1 << 20)

static uint8_t Data[N];
static uint32_t Hist[256], Start[256];

int64_t
run(int n)
{
    uint64_t seed = 23;
    for (int i = 0; i < N; i++) {
        uint64_t r = bench_rand(&seed);
        Data[i] = (uint8_t)((r >> 56) & (r >> 48));     /* skewed to 0 */
    }
    uint64_t acc = 0;
    for (int pass = 0; pass < n; pass++) {
        for (int b = 0; b < 256; b++)
            Hist[b] = 0;
        for (int i = 0; i < N; i++)
            Hist[Data[i]]++;
        uint32_t s = 0;
        for (int b = 0; b < 256; b++) {
            Start[b] = s;
            s += Hist[b];
        }
        uint32_t h = 0;
        for (int i = 0; i < N; i++)
            h = h * 31 + Start[Data[i]];
        Data[(pass * 4099) & (N - 1)] += 1;
        acc = acc * 3 + h;
    }
    return (int64_t)acc;
}
