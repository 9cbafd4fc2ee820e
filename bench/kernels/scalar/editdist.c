/* editdist.c - i32 dynamic programming: Levenshtein distance between two
 * 2000-byte strings over a 4-letter alphabet, one row of the table at a
 * time (min of three neighbours), n pairs. Each cell depends on its left
 * neighbour, so the row loop stays scalar natively too. Checksum: the
 * distances folded. */
#include "../bench.h"

#define LEN 2000

static uint8_t S[LEN], T[LEN];
static int32_t Row[LEN + 1];

static int32_t
distance(void)
{
    for (int j = 0; j <= LEN; j++)
        Row[j] = j;
    for (int i = 1; i <= LEN; i++) {
        int32_t diag = Row[0];
        Row[0] = i;
        uint8_t c = S[i - 1];
        for (int j = 1; j <= LEN; j++) {
            int32_t up = Row[j];
            int32_t best = diag + (c != T[j - 1]);
            int32_t ins = Row[j - 1] + 1, del = up + 1;
            best = ins < best ? ins : best;
            best = del < best ? del : best;
            Row[j] = best;
            diag = up;
        }
    }
    return Row[LEN];
}

int64_t
run(int n)
{
    uint64_t seed = 20;
    for (int i = 0; i < LEN; i++) {
        S[i] = (uint8_t)(bench_rand(&seed) >> 62);
        T[i] = (uint8_t)(bench_rand(&seed) >> 62);
    }
    uint64_t acc = 0;
    for (int pass = 0; pass < n; pass++) {
        int32_t d = distance();
        S[(pass * 37) % LEN] ^= 1;
        T[(pass * 53) % LEN] ^= 2;
        acc = acc * 1009 + (uint64_t)d;
    }
    return (int64_t)acc;
}
