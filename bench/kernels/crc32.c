/* crc32.c - integer: CRC-32 (IEEE, reflected), slice-by-8 tables over a
 * 1 MiB buffer, n passes chained through the CRC. Checksum = last CRC. */
#include "bench.h"

#define LEN (1u << 20)

static uint8_t  buf[LEN];
static uint32_t T[8][256];

static void
make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        T[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            T[t][i] = (T[t - 1][i] >> 8) ^ T[0][T[t - 1][i] & 0xff];
}

static uint32_t
crc32(uint32_t crc, const uint8_t *p, uint32_t len)
{
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
                      (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = T[7][lo & 0xff] ^ T[6][(lo >> 8) & 0xff] ^
              T[5][(lo >> 16) & 0xff] ^ T[4][lo >> 24] ^ T[3][hi & 0xff] ^
              T[2][(hi >> 8) & 0xff] ^ T[1][(hi >> 16) & 0xff] ^
              T[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = T[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int64_t
run(int n)
{
    uint64_t seed = 42;
    uint32_t crc = 0;

    make_tables();
    for (uint32_t i = 0; i < LEN; i++)
        buf[i] = (uint8_t)bench_rand(&seed);
    for (int pass = 0; pass < n; pass++) {
        crc = crc32(crc, buf + (pass & 7), LEN - 8);
        buf[crc & (LEN - 1)] ^= (uint8_t)crc;
    }
    return crc;
}
