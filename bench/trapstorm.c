/* trapstorm.c - 100,000 instantiations, each ending in a trap of the next
 * kind in turn (docs/runtime-scale.md): every kind moat_trap has, from
 * trapstorm.wat, compiled with interruption checks so that
 * moat_instance_interrupt can stop one. Resident memory and mappings must
 * stay flat after warm-up: traps leave nothing behind.
 *
 *   build/bench/trapstorm [N]         (default 100000)
 *
 * Stacks are 1 MiB (moat_engine_set_stack_size), so that "call stack
 * exhausted" takes a server-like depth, not 8 MiB. Exits 1 when a call
 * does not trap as it should.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"
#include "procstat.h"

#ifndef TRAPSTORM_WASM
#error "TRAPSTORM_WASM: path of trapstorm.wasm"
#endif

static const struct {
    const char *name;
    uint32_t    arg;
    moat_trap   trap;
} kinds[] = {
    { "unreachable", 0, MOAT_TRAP_UNREACHABLE },
    { "memory", 0, MOAT_TRAP_MEMORY_OOB },
    { "div", 0, MOAT_TRAP_DIV_ZERO },
    { "overflow", UINT32_MAX, MOAT_TRAP_INT_OVERFLOW },
    { "conversion", 0, MOAT_TRAP_BAD_CONVERSION },
    { "table", 5, MOAT_TRAP_TABLE_OOB },
    { "undefined", 5, MOAT_TRAP_UNDEFINED_ELEMENT },
    { "null", 1, MOAT_TRAP_NULL_FUNC },
    { "signature", 0, MOAT_TRAP_SIG_MISMATCH },
    { "stack", 0, MOAT_TRAP_STACK_EXHAUSTED },
    { "interrupted", 0, MOAT_TRAP_INTERRUPTED },
    { "host", 0, MOAT_TRAP_HOST },
};
enum { NKINDS = sizeof kinds / sizeof kinds[0] };

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
    fprintf(stderr, "trapstorm: %s (instantiation %ld): %s\n", what, i,
            err ? err->msg : "");
    exit(1);
}

static void
host_fail(moat_caller *c)
{
    moat_caller_trap(c, "host function failed");
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

/* One instantiation ending in kind k. */
static void
storm_one(moat_linker *l, moat_module *m, long i)
{
    int            k = (int)(i % NKINDS);
    moat_instance *inst;
    moat_error     err = { 0 };
    moat_val       arg = { .type = MOAT_I32, .of.i32 = kinds[k].arg };

    if (moat_instance_new(l, m, &inst, &err) != MOAT_OK)
        die("instantiate", i, &err);
    if (kinds[k].trap == MOAT_TRAP_INTERRUPTED)
        moat_instance_interrupt(inst);
    if (moat_instance_call(inst, kinds[k].name, &arg, 1, NULL, 0, &err) !=
            MOAT_ERR_TRAP ||
        err.trap != kinds[k].trap)
        die(kinds[k].name, i, &err);
    moat_instance_free(inst);
}

int
main(int argc, char **argv)
{
    long                 n = argc > 1 ? atol(argv[1]) : 100000;
    long                 warm = n / 10 < 1000 ? n / 10 : 1000;
    moat_error           err = { 0 };
    moat_compile_config *cfg;
    moat_engine         *e;
    moat_module         *m;
    moat_linker         *l;
    uint8_t             *obj;
    size_t               len, objlen;
    uint8_t             *wasm = read_file(TRAPSTORM_WASM, &len);

    if (moat_compile_config_new(&cfg, &err) != MOAT_OK)
        die("compile", -1, &err);
    moat_compile_config_set_interruptible(cfg, 1);
    if (moat_compile(cfg, wasm, len, &obj, &objlen, &err) != MOAT_OK)
        die("compile", -1, &err);
    moat_compile_config_free(cfg);
    if (moat_engine_new(&e, &err) != MOAT_OK)
        die("engine", -1, &err);
    moat_engine_set_stack_size(e, 1 << 20);
    if (moat_module_load_object(e, obj, objlen, &m, &err) != MOAT_OK ||
        moat_linker_new(e, &l, &err) != MOAT_OK ||
        moat_linker_define_func_caller(l, "host", "fail", NULL, 0, NULL, 0,
                                       (moat_native_fn)host_fail, NULL,
                                       &err) != MOAT_OK)
        die("load", -1, &err);

    long   rss0 = proc_rss_kib(), maps0 = proc_maps();
    double t0 = now_s();
    for (long i = 0; i < warm; i++)
        storm_one(l, m, i);
    long   rss1 = proc_rss_kib(), maps1 = proc_maps();
    double t1 = now_s();
    for (long i = warm; i < n; i++)
        storm_one(l, m, i);
    double t2 = now_s();
    long   rss2 = proc_rss_kib(), maps2 = proc_maps();

    printf("trapstorm: %ld instantiations, %d trap kinds in turn\n", n,
           NKINDS);
    printf("  start:                 RSS %ld KiB, %ld mappings\n", rss0,
           maps0);
    printf("  after %ld (warm-up): RSS %ld KiB, %ld mappings (%.2f us "
           "each)\n", warm, rss1, maps1, (t1 - t0) * 1e6 / (double)warm);
    printf("  end:                   RSS %ld KiB, %ld mappings (%.2f us "
           "each after warm-up)\n", rss2, maps2,
           (t2 - t1) * 1e6 / (double)(n - warm));
    printf("trapstorm: %ld ok, RSS %+ld KiB and mappings %+ld after "
           "warm-up\n", n, rss2 - rss1, maps2 - maps1);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
    free(wasm);
    return 0;
}
