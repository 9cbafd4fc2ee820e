/* load_profile.c - what telling perf and gdb about guest code costs a
 * module load (docs/profiling.md): compiles WASM once (-O2), then loads
 * and frees the object RUNS times under each moat_profiler setting and
 * prints the median and minimum load time. No debugger is attached, so
 * GDB is the cost of building and linking the symbol file (gdb, when
 * attached, adds its own time reading it). The perf map of this process
 * is removed at the end. An ELF object (`moat compile` output) is loaded
 * as it is.
 * MODE runs one setting only (to profile it).
 *     load_profile WASM|OBJECT [RUNS [MODE]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "moat.h"
#include "moat_compile.h"

static uint8_t *
read_all(const char *path, size_t *len)
{
    FILE    *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long     n = -1;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0
        && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n))
        && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static double
now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median and minimum of runs loads; false if a load fails. */
static int
time_loads(moat_engine *e, const uint8_t *obj, size_t len, int runs,
           double *med, double *min)
{
    double *t = calloc((size_t)runs, sizeof *t);

    for (int i = 0; t && i < runs; i++) {
        moat_module *m = NULL;
        moat_error   err = { 0 };
        double       t0 = now_us();
        if (moat_module_load_object(e, obj, len, &m, &err) != MOAT_OK) {
            fprintf(stderr, "load: %s\n", err.msg);
            free(t);
            return 0;
        }
        t[i] = now_us() - t0;
        moat_module_free(m);
    }
    if (!t)
        return 0;
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    *med = t[runs / 2];
    *min = t[0];
    free(t);
    return 1;
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        unsigned    flags;
    } modes[] = {
        { "none", MOAT_PROFILER_NONE },
        { "gdb", MOAT_PROFILER_GDB },
        { "perfmap", MOAT_PROFILER_PERFMAP },
        { "perfmap,gdb", MOAT_PROFILER_PERFMAP | MOAT_PROFILER_GDB },
    };
    size_t               len, objlen = 0;
    uint8_t             *wasm, *obj = NULL;
    moat_compile_config *cfg = NULL;
    moat_engine         *e = NULL;
    moat_error           err = { 0 };
    int                  runs = argc > 2 ? atoi(argv[2]) : 50;
    char                 map[64];

    if (argc < 2 || runs < 1)
        return fprintf(stderr, "usage: load_profile WASM|OBJECT [RUNS [MODE]]\n"), 2;
    if (!(wasm = read_all(argv[1], &len)))
        return fprintf(stderr, "%s: cannot read\n", argv[1]), 1;
    if (len > 4 && memcmp(wasm, "\177ELF", 4) == 0) {
        obj = wasm;                     /* compiled already */
        objlen = len;
        wasm = NULL;
    } else if (moat_compile_config_new(&cfg, &err) != MOAT_OK
               || moat_compile(cfg, wasm, len, &obj, &objlen, &err)
                      != MOAT_OK)
        return fprintf(stderr, "%s: %s\n", argv[1], err.msg), 1;
    if (moat_engine_new(&e, &err) != MOAT_OK)
        return fprintf(stderr, "engine: %s\n", err.msg), 1;
    printf("%s: %zu bytes of object, %d loads each\n", argv[1], objlen,
           runs);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        double med, min;
        if (argc > 3 && strcmp(argv[3], modes[i].name) != 0)
            continue;
        moat_engine_set_profiler(e, modes[i].flags);
        if (!time_loads(e, obj, objlen, runs, &med, &min))
            return 1;
        printf("  %-12s median %9.1f us   min %9.1f us\n", modes[i].name,
               med, min);
    }
    snprintf(map, sizeof map, "/tmp/perf-%ld.map", (long)getpid());
    unlink(map);
    moat_engine_free(e);
    if (wasm)
        moat_free(obj);
    else
        free(obj);
    moat_compile_config_free(cfg);
    free(wasm);
    return 0;
}
