/* refs.c - what counting function references costs (docs/runtime.md,
 * "Lifetimes"): ns per table.set / global.set of an own funcref (the
 * inline check), per table.set of a host function (the runtime's helper
 * and a reference count), and per call_indirect (no change), at -O2.
 *
 *   build/bench/refs [N]      (default 100,000,000 iterations each)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "moat_compile.h"

#ifndef REFS_WASM
#error "REFS_WASM: path of refs.wasm"
#endif

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
check(moat_status st, const char *what, const moat_error *err)
{
    if (st != MOAT_OK) {
        fprintf(stderr, "refs: %s: %s\n", what, err->msg);
        exit(1);
    }
}

static uint32_t
host_f(void *ctx)
{
    (void)ctx;
    return 2;
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
        fprintf(stderr, "refs: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int
main(int argc, char **argv)
{
    static const char *const ops[] = { "set_own", "gset_own", "set_host",
                                       "call_ind" };
    static const uint8_t     r_i32[] = { MOAT_I32 };
    uint32_t             n = argc > 1 ? (uint32_t)atol(argv[1]) : 100000000;
    moat_error           err = { 0 };
    moat_compile_config *cfg;
    size_t               wlen, olen;
    uint8_t             *wasm = read_file(REFS_WASM, &wlen), *obj = NULL;
    moat_engine         *e;
    moat_module         *m;
    moat_linker         *l;
    moat_instance       *inst;

    check(moat_compile_config_new(&cfg, &err), "config", &err);
    moat_compile_config_set_opt_level(cfg, 2);
    check(moat_compile(cfg, wasm, wlen, &obj, &olen, &err), "compile", &err);
    check(moat_engine_new(&e, &err), "engine", &err);
    check(moat_module_load_object(e, obj, olen, &m, &err), "load", &err);
    check(moat_linker_new(e, &l, &err), "linker", &err);
    check(moat_linker_define_func(l, "host", "f", NULL, 0, r_i32, 1,
                                  (moat_native_fn)host_f, NULL, &err),
          "define", &err);
    check(moat_instance_new(l, m, &inst, &err), "instantiate", &err);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        moat_val arg = { .type = MOAT_I32, .of.i32 = n }, res;
        size_t   nres = k == 3 ? 1 : 0;
        uint64_t best = UINT64_MAX;
        for (int round = 0; round < 5; round++) {
            uint64_t t0 = now_ns();
            check(moat_instance_call(inst, ops[k], &arg, 1, &res, nres, &err),
                  ops[k], &err);
            uint64_t t = now_ns() - t0;
            if (t < best)
                best = t;
        }
        printf("%-9s %.2f ns\n", ops[k], (double)best / n);
    }
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_compile_config_free(cfg);
    moat_free(obj);
    free(wasm);
    return 0;
}
