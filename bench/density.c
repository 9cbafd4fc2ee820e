/* density.c - 20,000 live instances at once (docs/runtime-scale.md): each
 * of density.wat, one memory page of which it touches 4 bytes, is created
 * and called until it waits in a host function that yields; then all are
 * resumed to completion and freed. Default kernel settings.
 *
 *   build/bench/density [N]           (default 20000)
 *
 * Prints the time of each phase, the resident memory and mappings before,
 * with all N suspended (per instance) and after, and the pool's address
 * space.
 * Exits 1 unless every instance is created, suspended and finished with
 * the right result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"
#include "procstat.h"

#ifndef DENSITY_WASM
#error "DENSITY_WASM: path of density.wasm"
#endif

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, long i, const moat_error *err)
{
    fprintf(stderr, "density: %s (instance %ld): %s\n", what, i,
            err ? err->msg : "");
    exit(1);
}

/* Waits: suspends the call, yielding its id; returns what the embedder
 * resumes it with. */
static uint32_t
host_wait(moat_caller *c, uint32_t id)
{
    moat_val v = { .type = MOAT_I32, .of.i32 = id };
    return moat_caller_yield(c, v).of.i32;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = malloc(1 << 16);

    if (!f || !buf)
        die("cannot read module", -1, NULL);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

int
main(int argc, char **argv)
{
    long                 n = argc > 1 ? atol(argv[1]) : 20000;
    moat_error           err = { 0 };
    moat_compile_config *cfg;
    moat_engine         *e;
    moat_module         *m;
    moat_linker         *l;
    uint8_t             *obj;
    size_t               len, objlen;
    uint8_t             *wasm = read_file(DENSITY_WASM, &len);
    static const uint8_t i32[] = { MOAT_I32 };

    if (moat_compile_config_new(&cfg, &err) != MOAT_OK ||
        moat_compile(cfg, wasm, len, &obj, &objlen, &err) != MOAT_OK)
        die("compile", -1, &err);
    moat_compile_config_free(cfg);
    if (moat_engine_new(&e, &err) != MOAT_OK)
        die("engine", -1, &err);
    moat_engine_set_instance_limit(e, (uint32_t)n);
    if (moat_module_load_object(e, obj, objlen, &m, &err) != MOAT_OK ||
        moat_linker_new(e, &l, &err) != MOAT_OK ||
        moat_linker_define_func_caller(l, "host", "wait", i32, 1, i32, 1,
                                       (moat_native_fn)host_wait, NULL,
                                       &err) != MOAT_OK)
        die("load", -1, &err);
    moat_instance **inst = calloc((size_t)n, sizeof *inst);
    long            rss0 = proc_rss_kib(), maps0 = proc_maps();

    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        moat_val arg = { .type = MOAT_I32, .of.i32 = (uint32_t)i }, r;
        if (moat_instance_new(l, m, &inst[i], &err) != MOAT_OK)
            die("instantiate", i, &err);
        if (moat_instance_call(inst[i], "run", &arg, 1, &r, 1, &err) !=
                MOAT_YIELDED ||
            moat_instance_yielded(inst[i]).of.i32 != (uint32_t)i)
            die("call did not yield", i, &err);
    }
    double t1 = now_s();
    long   rss1 = proc_rss_kib(), maps1 = proc_maps();
    moat_pool_stats ps;
    moat_engine_pool_stats(e, &ps);
    for (long i = 0; i < n; i++) {
        moat_val v = { .type = MOAT_I32, .of.i32 = 2 * (uint32_t)i }, r;
        if (moat_instance_resume(inst[i], v, &r, 1, &err) != MOAT_OK ||
            r.of.i32 != 3 * (uint32_t)i)
            die("resume", i, &err);
    }
    double t2 = now_s();
    for (long i = 0; i < n; i++)
        moat_instance_free(inst[i]);
    double t3 = now_s();
    long   rss3 = proc_rss_kib(), maps3 = proc_maps();

    printf("density: %ld instances of density.wat (1 page, touches 4 "
           "bytes), each suspended in a host call\n", n);
    printf("  create + call to the yield: %.3f s (%.2f us each)\n",
           t1 - t0, (t1 - t0) * 1e6 / (double)n);
    printf("  resume to completion:       %.3f s (%.2f us each)\n",
           t2 - t1, (t2 - t1) * 1e6 / (double)n);
    printf("  free:                       %.3f s (%.2f us each)\n",
           t3 - t2, (t3 - t2) * 1e6 / (double)n);
    printf("  RSS: %ld KiB before, %ld KiB with all suspended: %.1f KiB "
           "per instance\n", rss0, rss1, (double)(rss1 - rss0) / (double)n);
    printf("  mappings: %ld before, %ld with all suspended: %.2f per "
           "instance (vm.max_map_count 65530)\n", maps0, maps1,
           (double)(maps1 - maps0) / (double)n);
    printf("  after free: RSS %ld KiB, %ld mappings (free slots keep "
           "their zeroed pages for the next tenant)\n", rss3, maps3);
    printf("  address space: %u slots of %.3f GiB in %u reservations, "
           "%.1f TiB\n", ps.reserved, (double)ps.slot_bytes / (1 << 30),
           ps.reservations, (double)ps.address_space / (1ull << 40));
    printf("density: %ld ok, %.1f KiB RSS per instance, %.2f mappings per "
           "instance\n", n, (double)(rss1 - rss0) / (double)n,
           (double)(maps1 - maps0) / (double)n);
    free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
    free(wasm);
    return 0;
}
