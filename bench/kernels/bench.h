/* bench.h - shared by every kernel: the exports and a small PRNG. A kernel
 * is one .c file defining `int64_t run(int n)` (a fixed amount of work,
 * scaled by n, returning a checksum) and including this header, which adds
 * `int64_t nop(void)`, the empty export used to measure start-up.
 * Built for wasm32 (no libc) and natively (driver.c calls run/nop).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
#define BENCH_EXPORT(name) __attribute__((export_name(name)))
#else
#define BENCH_EXPORT(name)
#endif

BENCH_EXPORT("run") int64_t run(int n);
BENCH_EXPORT("nop") int64_t nop(void);

int64_t
nop(void)
{
    return 0;
}

/* xorshift64*: the same sequence on every target */
static inline uint64_t
bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

#endif
