/* knapsack.c - i32 dynamic programming: 0/1 knapsack, 200 items into
 * capacity 20000, two rows: cur[w] = max(prev[w], prev[w - wt] + val),
 * n times with changing values. The row update has no dependency within
 * the row, so clang vectorises it natively (pcmpgtd + blend by masks).
 * Checksum: the best values folded. */
#include "../bench.h"

#define ITEMS 200
#define CAP 20000

static int32_t Wt[ITEMS], Val[ITEMS];
static int32_t Ra[CAP + 1], Rb[CAP + 1];

static int32_t
solve(void)
{
    int32_t *prev = Ra, *cur = Rb;
    for (int w = 0; w <= CAP; w++)
        prev[w] = 0;
    for (int it = 0; it < ITEMS; it++) {
        int32_t wt = Wt[it], v = Val[it];
        for (int w = 0; w < wt; w++)
            cur[w] = prev[w];
        for (int w = wt; w <= CAP; w++) {
            int32_t take = prev[w - wt] + v;
            cur[w] = take > prev[w] ? take : prev[w];
        }
        int32_t *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[CAP];
}

int64_t
run(int n)
{
    uint64_t seed = 21;
    for (int i = 0; i < ITEMS; i++) {
        Wt[i] = 1 + (int32_t)(bench_rand(&seed) >> 55);
        Val[i] = 1 + (int32_t)(bench_rand(&seed) >> 50);
    }
    uint64_t acc = 0;
    for (int pass = 0; pass < n; pass++) {
        int32_t best = solve();
        Val[pass % ITEMS] += (best & 7) - 3;
        acc = acc * 7 + (uint64_t)best;
    }
    return (int64_t)acc;
}
