/* verify_cost.c - what verification costs on a load (docs/verify.md,
 * "Where verification runs"): for each artifact given, the time of the
 * machine-code checker (moat_artifact_verify) and of the cache tag's
 * check (HMAC-SHA-256 of the whole file, what a cache hit pays instead),
 * as the median of N runs, in ms and ms per MB of code (.text size).
 * Usage: verify_cost [-n N] FILE.o...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat.h"
#include "util.h"

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The size of the object's code: its executable sections. */
static double
code_mb(const uint8_t *b, size_t len)
{
    uint64_t shoff, total = 0;
    uint16_t shnum;

    if (len < 64)
        return 0;
    memcpy(&shoff, b + 0x28, 8);
    memcpy(&shnum, b + 0x3c, 2);
    for (uint16_t i = 0; i < shnum && shoff + 64u * (i + 1u) <= len; i++) {
        uint64_t flags, size;
        memcpy(&flags, b + shoff + 64u * i + 8, 8);
        memcpy(&size, b + shoff + 64u * i + 32, 8);
        if (flags & 4)
            total += size;
    }
    return (double)total / 1e6;
}

int
main(int argc, char **argv)
{
    int n = 5, first = 1;

    if (argc > 2 && !strcmp(argv[1], "-n"))
        n = atoi(argv[2]), first = 3;
    if (first >= argc || n < 1 || n > 1000)
        return fprintf(stderr, "usage: verify_cost [-n N] FILE.o...\n"), 2;
    double *t_ver = calloc((size_t)n, sizeof *t_ver);
    double *t_tag = calloc((size_t)n, sizeof *t_tag);
    printf("%-28s %9s %11s %9s %11s %9s\n", "artifact", "code MB",
           "verify ms", "ms/MB", "tag ms", "ms/MB");
    for (int f = first; f < argc; f++) {
        FILE   *fp = fopen(argv[f], "rb");
        uint8_t *b = malloc(1u << 30);
        size_t  len = fp ? fread(b, 1, 1u << 30, fp) : 0;
        uint8_t key[32] = { 1 }, tag[32];
        moat_error err = { 0 };
        if (fp)
            fclose(fp);
        if (!len)
            return fprintf(stderr, "%s: cannot read\n", argv[f]), 1;
        for (int i = 0; i < n; i++) {
            double t0 = now_ms();
            moat_status st = moat_artifact_verify(b, len, &err);
            double t1 = now_ms();
            moatU_hmac_sha256(key, b, len, tag);
            double t2 = now_ms();
            if (st != MOAT_OK)
                printf("%s: %s\n", argv[f], err.msg);
            t_ver[i] = t1 - t0;
            t_tag[i] = t2 - t1;
        }
        qsort(t_ver, (size_t)n, sizeof *t_ver, cmp_double);
        qsort(t_tag, (size_t)n, sizeof *t_tag, cmp_double);
        double mb = code_mb(b, len);
        const char *name = strrchr(argv[f], '/');
        printf("%-28s %9.3f %11.2f %9.2f %11.3f %9.3f\n",
               name ? name + 1 : argv[f], mb, t_ver[n / 2],
               mb > 0 ? t_ver[n / 2] / mb : 0, t_tag[n / 2],
               mb > 0 ? t_tag[n / 2] / mb : 0);
        free(b);
    }
    free(t_ver);
    free(t_tag);
    return 0;
}
