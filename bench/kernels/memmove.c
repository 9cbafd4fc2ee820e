/* memmove.c - memory: memmove within an 8 MiB buffer (overlap allowed)
 * with lengths skewed to the small end (70% 8-255 B, 25% 256 B-4 KiB, 5%
 * 4-64 KiB) plus a memset every 16th move, 400k operations per unit of
 * n. In wasm these are memory.copy / memory.fill; natively libc calls.
 * Checksum = xor-fold of one byte per operation and a final sample. */
#include "bench.h"

#define LEN (8u << 20)
#define OPS 400000u

static uint8_t buf[LEN];

static uint32_t
pick_len(uint64_t r)
{
    uint32_t sel = (uint32_t)(r % 100);
    r >>= 8;
    if (sel < 70)
        return 8 + (uint32_t)(r % 248);
    if (sel < 95)
        return 256 + (uint32_t)(r % 3840);
    return 4096 + (uint32_t)(r % 61440);
}

int64_t
run(int n)
{
    uint64_t seed = 99, h = 0;

    for (uint32_t i = 0; i < LEN; i++)
        buf[i] = (uint8_t)(i * 31 + (i >> 9));
    for (uint32_t op = 0; op < (uint32_t)n * OPS; op++) {
        uint64_t r = bench_rand(&seed);
        uint32_t len = pick_len(r);
        uint32_t src = (uint32_t)(r >> 20) % (LEN - len);
        uint32_t dst = (uint32_t)(r >> 42) % (LEN - len);
        if ((op & 15) == 15)
            __builtin_memset(buf + dst, (int)(r & 0xff), len);
        else
            __builtin_memmove(buf + dst, buf + src, len);
        h = (h * 31) ^ buf[(dst + len / 2) % LEN];
    }
    for (uint32_t i = 0; i < LEN; i += 4093)
        h = h * 131 + buf[i];
    return (int64_t)h;
}
