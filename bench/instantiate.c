/* instantiate.c - cold start: instantiate + call an exported no-op + free,
 * for a module with one memory page and a 4 KiB data segment, on one
 * thread (docs/runtime-scale.md). bench/instantiate runs it beside node.
 *
 *   build/bench/instantiate_bench [--batches N] [--per-batch K]
 *                                 [--no-pool] [FILE.wasm]
 *
 * The module is instantiate.wat (built beside this program) unless FILE
 * is given. Prints the median, 10th and 90th percentile of the
 * per-instance time of N batches of K (the mean inside a batch, so that
 * the clock costs nothing), and last `moat: US us`. --no-pool measures
 * instances outside the pool (each maps its own memory and stack).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"

#ifndef INSTANTIATE_WASM
#error "INSTANTIATE_WASM: path of instantiate.wasm"
#endif

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, const moat_error *err)
{
    fprintf(stderr, "instantiate: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long     n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "instantiate: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One batch: k instances made, called and freed; ns per instance. */
static double
batch(moat_linker *l, moat_module *m, int k)
{
    moat_error err = { 0 };
    uint64_t   t0 = now_ns();

    for (int i = 0; i < k; i++) {
        moat_instance *inst;
        if (moat_instance_new(l, m, &inst, &err) != MOAT_OK)
            die("instantiate", &err);
        if (moat_instance_call_index(inst, 0, NULL, 0, NULL, 0, &err) !=
            MOAT_OK)
            die("call", &err);
        moat_instance_free(inst);
    }
    return (double)(now_ns() - t0) / k;
}

int
main(int argc, char **argv)
{
    int         nbatch = 400, per = 250;
    int         pool = 1;
    const char *path = INSTANTIATE_WASM;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batches") && i + 1 < argc)
            nbatch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--per-batch") && i + 1 < argc)
            per = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-pool"))
            pool = 0;
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: %s [--batches N] [--per-batch K] "
                    "[--no-pool] [FILE.wasm]\n", argv[0]);
            return 2;
        }
    }
    size_t   len;
    uint8_t *wasm = read_file(path, &len);

    moat_error           err = { 0 };
    moat_compile_config *cfg;
    uint8_t             *obj;
    size_t               objlen;
    moat_engine         *e;
    moat_module         *m;
    moat_linker         *l;
    if (moat_compile_config_new(&cfg, &err) != MOAT_OK ||
        moat_compile(cfg, wasm, len, &obj, &objlen, &err) != MOAT_OK)
        die("compile", &err);
    moat_compile_config_free(cfg);
    if (moat_engine_new(&e, &err) != MOAT_OK)
        die("engine", &err);
    if (!pool)
        moat_engine_set_instance_limit(e, 0);
    if (moat_module_load_object(e, obj, objlen, &m, &err) != MOAT_OK ||
        moat_linker_new(e, &l, &err) != MOAT_OK)
        die("load", &err);

    batch(l, m, per);                           /* warm-up */
    double *v = malloc(sizeof *v * (size_t)nbatch);
    for (int b = 0; b < nbatch; b++)
        v[b] = batch(l, m, per);
    qsort(v, (size_t)nbatch, sizeof *v, cmp_double);
    printf("instantiate + call + free, %s, %d x %d: median %.3f us, "
           "p10 %.3f us, p90 %.3f us\n", pool ? "pooled" : "not pooled",
           nbatch, per, v[nbatch / 2] / 1000, v[nbatch / 10] / 1000,
           v[nbatch * 9 / 10] / 1000);
    printf("moat: %.3f us\n", v[nbatch / 2] / 1000);
    free(v);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
    free(wasm);
    return 0;
}
