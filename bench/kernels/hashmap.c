/* hashmap.c - integer: open-addressing hash map (linear probing, 2^20
 * slots, multiplicative hash) from u32 keys to u32 counts. Each pass
 * clears the map, counts 700k random keys drawn from a range of 2^20, then
 * looks up 700k keys of which about half were inserted.
 * Checksum = sum over passes of (distinct keys + sum of counts found). */
#include "bench.h"

#define SLOTS (1u << 20)
#define NOPS 700000u

static uint32_t keys[SLOTS];      /* 0 = empty; stored keys are key + 1 */
static uint32_t vals[SLOTS];

static inline uint32_t
slot_of(uint32_t k)
{
    return (k * 0x9e3779b1u) >> 12;             /* top 20 bits */
}

static uint32_t
insert(uint32_t k)
{
    uint32_t i = slot_of(k);
    for (;;) {
        if (keys[i] == k + 1) {
            vals[i]++;
            return 0;
        }
        if (keys[i] == 0) {
            keys[i] = k + 1;
            vals[i] = 1;
            return 1;
        }
        i = (i + 1) & (SLOTS - 1);
    }
}

static uint32_t
lookup(uint32_t k)
{
    uint32_t i = slot_of(k);
    for (;;) {
        if (keys[i] == k + 1)
            return vals[i];
        if (keys[i] == 0)
            return 0;
        i = (i + 1) & (SLOTS - 1);
    }
}

int64_t
run(int n)
{
    int64_t total = 0;

    for (int pass = 0; pass < n; pass++) {
        uint64_t seed = 0x1234567u + (uint64_t)pass;
        for (uint32_t i = 0; i < SLOTS; i++)
            keys[i] = 0;
        uint32_t distinct = 0;
        for (uint32_t i = 0; i < NOPS; i++)
            distinct += insert((uint32_t)(bench_rand(&seed) >> 44));
        uint64_t found = 0;
        for (uint32_t i = 0; i < NOPS; i++)
            found += lookup((uint32_t)(bench_rand(&seed) >> 43));
        total += distinct + (int64_t)found;
    }
    return total;
}
