/* saxpy.c - streams: y = a*x + y in f32 over 128k floats and the STREAM
 * triad z = x + s*y in f64 over 64k doubles (arrays 512 KiB each, in L2),
 * n passes of both. Vectorised natively (mulps/addps, mulpd/addpd).
 * Checksum: bits of folded samples. */
#include "../bench.h"

#define NF 131072
#define ND 65536

static float Xf[NF], Yf[NF];
static double Xd[ND], Yd[ND], Zd[ND];

int64_t
run(int n)
{
    uint64_t seed = 22;
    for (int i = 0; i < NF; i++) {
        Xf[i] = (float)(bench_rand(&seed) >> 44) / 1048576.0f - 0.5f;
        Yf[i] = (float)(bench_rand(&seed) >> 44) / 1048576.0f - 0.5f;
    }
    for (int i = 0; i < ND; i++) {
        Xd[i] = (double)(bench_rand(&seed) >> 40) / 16777216.0;
        Yd[i] = (double)(bench_rand(&seed) >> 40) / 16777216.0;
    }
    double sum = 0;
    for (int pass = 0; pass < n; pass++) {
        float a = (pass & 1) ? -0.5f : 0.5f;
        for (int i = 0; i < NF; i++)
            Yf[i] = a * Xf[i] + Yf[i];
        double s = 1.0 / (double)(1 + (pass & 3));
        for (int i = 0; i < ND; i++)
            Zd[i] = Xd[i] + s * Yd[i];
        for (int i = 0; i < ND; i++)
            Xd[i] = Zd[i] * 0.5;
        sum += (double)Yf[(pass * 101) & (NF - 1)] + Zd[(pass * 7) & (ND - 1)];
    }
    union { double d; int64_t i; } u = { sum };
    return u.i ^ n;
}
