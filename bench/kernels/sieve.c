/* sieve.c - integer: sieve of Eratosthenes over a byte array, n passes
 * with a limit that changes per pass; checksum = sum of prime counts. */
#include "bench.h"

#define LIMIT 4000000

static uint8_t composite[LIMIT + 1];

int64_t
run(int n)
{
    int64_t total = 0;

    for (int pass = 0; pass < n; pass++) {
        uint32_t limit = LIMIT - (uint32_t)(pass & 255);
        for (uint32_t i = 0; i <= limit; i++)
            composite[i] = 0;
        uint32_t count = 0;
        for (uint32_t i = 2; i <= limit; i++) {
            if (composite[i])
                continue;
            count++;
            for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
                composite[j] = 1;
        }
        total += count;
    }
    return total;
}
