/* bench_zlib.c - throughput of zlib in the Moat sandbox against the same
 * zlib linked natively into the same process: compress2 at level 6 and
 * uncompress, on text (zlib's own C sources), binary records and random
 * bytes. Three ways for each: native; the sandbox through zbox (the host's
 * buffers copied into guest memory and back, as a real embedder does);
 * the sandbox with the buffers already in guest memory (the call alone).
 * MB/s of uncompressed data (1 MB = 10^6 bytes) per second of this
 * thread's CPU time, median of RUNS runs, the ways taking turns.
 * Usage: bench_zlib ZLIB_SRC_DIR [RUNS] [MiB].
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "corpus.h"
#include "zbox.h"
#include "zlibwasm.h"

enum { NATIVE, BOXED, IN_GUEST, NWAYS };

static double
now(void)
{
    struct timespec ts;

    /* CPU time of this thread (the guest runs on it too): the machine is
     * shared, and waiting for a core is not zlib's time. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Whether name ends in ".c" or ".h". */
static int
is_source(const char *name)
{
    size_t l = strlen(name);

    return l > 2 && name[l - 2] == '.' &&
           (name[l - 1] == 'c' || name[l - 1] == 'h');
}

/* zlib's *.c and *.h files, in name order, repeated to len bytes; NULL
 * when dir has none. */
static uint8_t *
zlib_sources(const char *dir, size_t len)
{
    struct dirent **names;
    int      n = scandir(dir, &names, NULL, alphasort);
    uint8_t *p = n >= 0 ? malloc(len) : NULL;
    size_t   at = 0, before = 1;

    while (p && at < len && at != before) {
        before = at;
        for (int i = 0; i < n && at < len; i++) {
            char  path[4096];
            FILE *f;

            if (!is_source(names[i]->d_name))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            if ((f = fopen(path, "rb"))) {
                at += fread(p + at, 1, len - at, f);
                fclose(f);
            }
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (n >= 0)
        free(names);
    if (p && at < len) {
        free(p);
        p = NULL;
    }
    return p;
}

/* Seconds for one compress (or uncompress) of in by the given way. */
static double
one(ZBox *b, int way, int comp, const Input *in, uint8_t *z, size_t zlen,
    uint8_t *buf, size_t cap, const uint32_t g[4])
{
    double   t0 = now();
    uLongf   n = (uLongf)cap;
    size_t   m = cap;
    int32_t  r = -1;
    uint32_t room = (uint32_t)cap;
    int      rc;

    if (way == NATIVE)
        rc = comp ? compress2(buf, &n, in->p, (uLong)in->len, 6)
                  : uncompress(buf, &n, z, (uLong)zlen);
    else if (way == BOXED)
        rc = comp ? zbox_compress2(b, buf, &m, in->p, in->len, 6)
                  : zbox_uncompress(b, buf, &m, z, zlen);
    else {
        /* g: the input, the compressed data, the output, its length */
        moat_instance_memory_write(zbox_instance(b), g[3], &room, 4, NULL);
        r = (int32_t)(comp ? zlibwasm_compress2(zbox_instance(b), g[2],
                                                g[3], g[0],
                                                (uint32_t)in->len, 6)
                           : zlibwasm_uncompress(zbox_instance(b), g[2],
                                                 g[3], g[1],
                                                 (uint32_t)zlen));
        rc = moat_instance_last_error(zbox_instance(b))->code == MOAT_OK
                 ? r : -1;
    }
    double t = now() - t0;
    if (rc != Z_OK) {
        fprintf(stderr, "bench_zlib: %s way %d failed: %d\n", in->name,
                way, rc);
        exit(1);
    }
    return t;
}

/* Guest buffers holding the input and its compressed form, for IN_GUEST. */
static void
guest_buffers(ZBox *b, const Input *in, const uint8_t *z, size_t zlen,
              size_t cap, uint32_t g[4])
{
    moat_instance *inst = zbox_instance(b);
    size_t         sizes[4] = { in->len, zlen, cap, 4 };

    for (int i = 0; i < 4; i++)
        if (!(g[i] = zlibwasm_malloc(inst, (uint32_t)sizes[i])))
            exit(1);
    moat_instance_memory_write(inst, g[0], in->p, in->len, NULL);
    moat_instance_memory_write(inst, g[1], z, zlen, NULL);
}

static void
bench(ZBox *b, const Input *in, int runs)
{
    size_t   cap = compressBound((uLong)in->len);
    uLongf   zlen = (uLongf)cap;
    uint8_t *z = malloc(cap), *buf = malloc(cap);
    double   t[2][NWAYS][64], mbs[2][NWAYS];
    uint32_t g[4];

    if (!z || !buf || compress2(z, &zlen, in->p, (uLong)in->len, 6) != Z_OK)
        exit(1);
    guest_buffers(b, in, z, zlen, cap, g);
    for (int r = -1; r < runs; r++)             /* run -1: warm-up */
        for (int c = 0; c < 2; c++)
            for (int w = 0; w < NWAYS; w++) {
                double s = one(b, w, c, in, z, zlen, buf, cap, g);
                if (r >= 0)
                    t[c][w][r] = s;
            }
    for (int c = 0; c < 2; c++)
        for (int w = 0; w < NWAYS; w++)
            mbs[c][w] = (double)in->len / 1e6 / median(t[c][w], runs);
    printf("| %-8s | %5.2f | compress -6 | %7.1f | %7.1f | %7.1f | "
           "%.2f | %.2f |\n", in->name, (double)in->len / (double)zlen,
           mbs[1][NATIVE], mbs[1][BOXED], mbs[1][IN_GUEST],
           mbs[1][NATIVE] / mbs[1][BOXED], mbs[1][NATIVE] / mbs[1][IN_GUEST]);
    printf("| %-8s |       | uncompress  | %7.1f | %7.1f | %7.1f | "
           "%.2f | %.2f |\n", in->name, mbs[0][NATIVE], mbs[0][BOXED],
           mbs[0][IN_GUEST], mbs[0][NATIVE] / mbs[0][BOXED],
           mbs[0][NATIVE] / mbs[0][IN_GUEST]);
    fflush(stdout);
    free(buf);
    free(z);
}

/* Round trip of an empty call (crc32 of 0 bytes at a fixed address). */
static void
call_cost(ZBox *b)
{
    moat_instance *inst = zbox_instance(b);
    uint32_t       sum = 0;
    double         t0 = now();
    int            n = 200000;

    for (int i = 0; i < n; i++)
        sum += zlibwasm_crc32(inst, 0, 0, 0);
    printf("\nempty guest call (crc32 of 0 bytes, typed wrapper): %.0f ns%s\n",
           (now() - t0) / n * 1e9, sum ? " (wrong result)" : "");
}

int
main(int argc, char **argv)
{
    int    runs = argc > 2 ? atoi(argv[2]) : 7;
    size_t len = (size_t)(argc > 3 ? atoi(argv[3]) : 4) << 20;
    Input  in[3] = { { "text", NULL, len }, { "binary", NULL, len },
                     { "random", NULL, len } };
    double t0, t_open;
    ZBox  *b;

    if (argc < 2 || runs < 1 || runs > 64 || len == 0)
        return fprintf(stderr, "usage: bench_zlib ZLIB_SRC [RUNS] [MiB]\n"),
               2;
    t0 = now();
    if (!(b = zbox_open(NULL, 0)))
        return 1;
    t_open = now() - t0;
    in[0].p = zlib_sources(argv[1], len);
    in[1].p = corpus_make(CORPUS_BINARY, len, 1);
    in[2].p = corpus_make(CORPUS_RANDOM, len, 1);
    if (!in[0].p || !in[1].p || !in[2].p)
        return fprintf(stderr, "bench_zlib: no input\n"), 1;
    printf("zlib %s, %zu MiB inputs, median of %d runs, MB/s of "
           "uncompressed data per CPU second\n\n",
           zlibVersion(), len >> 20, runs);
    printf("| input | ratio | operation | native | sandbox | in guest | "
           "native/sandbox | native/in guest |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < 3; i++)
        bench(b, &in[i], runs);
    call_cost(b);
    printf("instance creation (engine, module, WASI, _initialize): "
           "%.2f ms\n", t_open * 1e3);
    for (int i = 0; i < 3; i++)
        free(in[i].p);
    zbox_close(b);
    return 0;
}
