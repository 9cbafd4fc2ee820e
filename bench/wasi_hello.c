/* wasi_hello.c - issue 4's "WASI hello": instantiate + run + tear down of
 * a WASI program that prints one line into a captured buffer, median per
 * instance on one core. Two ways a server could do it:
 *   fresh:  per instance a new moat_wasi (arguments, captured stdout, its
 *           own descriptor table), a new linker with the WASI imports, the
 *           instance; all freed after the run.
 *   bound:  one linker with WASI defined unbound (NULL); per instance a
 *           new moat_wasi bound to the instance (moat_wasi_bind).
 *   shared: one linker and moat_wasi for all; per instance only the
 *           instance (the WASI state is reused, its capture emptied).
 * Usage: wasi_hello HELLO.wasm [N]; the program must print
 * "Hello, world!\n" (bench/hello/hello.c). Last line:
 *   wasi-hello: fresh US us bound US us shared US us
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat.h"
#include "moat_compile.h"
#include "moat_wasi.h"

static const char expect[] = "Hello, world!\n";

static double
now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
die(const char *what, const moat_error *err)
{
    fprintf(stderr, "wasi_hello: %s: %s\n", what, err->msg);
    exit(1);
}

/* One run of _start in a new instance; checks what it printed. bind: w
 * is bound to the instance rather than to the linker's definitions. */
static void
run_once(moat_linker *l, moat_module *m, moat_wasi *w, bool bind)
{
    moat_instance *inst;
    moat_error     err = { 0 };
    size_t         len;

    if (moat_instance_new(l, m, &inst, &err) != MOAT_OK)
        die("instantiate", &err);
    if (bind && moat_wasi_bind(inst, w, &err) != MOAT_OK)
        die("bind", &err);
    moat_status st = moat_instance_call(inst, "_start", NULL, 0, NULL, 0,
                                        &err);
    if (st != MOAT_OK && !(st == MOAT_ERR_EXIT && err.exit_code == 0))
        die("_start", &err);
    const char *out = moat_wasi_captured(w, 1, &len);
    if (len != sizeof expect - 1 || memcmp(out, expect, len))
    {
        fprintf(stderr, "wasi_hello: got %zu bytes: %.*s\n", len, (int)len,
                out);
        exit(1);
    }
    moat_instance_free(inst);
}

static double
median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    return t[n / 2];
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wasi_hello HELLO.wasm [N]\n");
        return 2;
    }
    int   n = argc > 2 ? atoi(argv[2]) : 20000;
    FILE *f = fopen(argv[1], "rb");
    if (!f || n < 1) {
        perror(argv[1]);
        return 2;
    }
    static uint8_t wasm[1 << 22];
    size_t         wlen = fread(wasm, 1, sizeof wasm, f);
    fclose(f);

    moat_error           err = { 0 };
    moat_compile_config *cfg;
    uint8_t             *obj;
    size_t               objlen;
    moat_engine         *e;
    moat_module         *m;
    if (moat_compile_config_new(&cfg, &err) ||
        moat_compile(cfg, wasm, wlen, &obj, &objlen, &err) ||
        moat_engine_new(&e, &err) ||
        moat_module_load_object(e, obj, objlen, &m, &err))
        die("compile/load", &err);

    static const char *const args[] = { "hello" };
    double *t = calloc((size_t)n, sizeof *t);
    if (!t)
        return 1;

    /* fresh: everything per instance */
    for (int i = 0; i < n + n / 10; i++) {
        double     t0 = now_us();
        moat_wasi *w;
        moat_linker *l;
        if (moat_wasi_new(&w, &err) || moat_wasi_set_args(w, 1, args, &err) ||
            moat_wasi_capture(w, 1, &err) || moat_linker_new(e, &l, &err) ||
            moat_wasi_define(l, w, &err))
            die("wasi set-up", &err);
        run_once(l, m, w, false);
        moat_linker_free(l);
        moat_wasi_free(w);
        if (i >= n / 10)                    /* the first tenth warms up */
            t[i - n / 10] = now_us() - t0;
    }
    double fresh = median(t, n);

    /* bound: a shared linker, a WASI state per instance */
    moat_linker *lb;
    if (moat_linker_new(e, &lb, &err) || moat_wasi_define(lb, NULL, &err))
        die("wasi set-up", &err);
    for (int i = 0; i < n + n / 10; i++) {
        double     t0 = now_us();
        moat_wasi *w;
        if (moat_wasi_new(&w, &err) || moat_wasi_set_args(w, 1, args, &err) ||
            moat_wasi_capture(w, 1, &err))
            die("wasi set-up", &err);
        run_once(lb, m, w, true);
        moat_wasi_free(w);
        if (i >= n / 10)
            t[i - n / 10] = now_us() - t0;
    }
    double bound = median(t, n);
    moat_linker_free(lb);

    /* shared: one linker and WASI state */
    moat_wasi   *w;
    moat_linker *l;
    if (moat_wasi_new(&w, &err) || moat_wasi_set_args(w, 1, args, &err) ||
        moat_linker_new(e, &l, &err) || moat_wasi_define(l, w, &err))
        die("wasi set-up", &err);
    for (int i = 0; i < n + n / 10; i++) {
        double t0 = now_us();
        if (moat_wasi_capture(w, 1, &err))  /* empties the capture */
            die("capture", &err);
        run_once(l, m, w, false);
        if (i >= n / 10)
            t[i - n / 10] = now_us() - t0;
    }
    double shared = median(t, n);
    printf("instances: %d each way, median per instance\n", n);
    printf("wasi-hello: fresh %.2f us bound %.2f us shared %.2f us\n", fresh,
           bound, shared);
    moat_linker_free(l);
    moat_wasi_free(w);
    moat_module_free(m);
    moat_engine_free(e);
    moat_compile_config_free(cfg);
    moat_free(obj);
    free(t);
    return 0;
}
