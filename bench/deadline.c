/* deadline.c - how late a deadline stops a guest (docs/bench-deadline.md).
 * Compiles a two-function module with interruption checks and measures,
 * over N runs each: the overshoot of a per-call timeout past its deadline
 * for an endless loop (`loop br 0`) and for endless recursion; the time
 * from moat_instance_interrupt on another thread to the call's return;
 * and what arming a timeout adds to a call that returns at once.
 *
 *   build/bench/deadline [--runs N] [--timeout-ms MS]
 *
 * Run it also under `chrt -f 10` to see the mechanism without the other
 * processes' share of the CPU (docs/bench-deadline.md).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"

#define MS 1000000.0

/* spin: () -> (), loop br 0; fib: (i64) -> i64, doubly recursive */
static const uint8_t wasm[] = {
    0, 'a', 's', 'm', 1, 0, 0, 0,
    1, 9, 2, 0x60, 0, 0, 0x60, 1, 0x7e, 1, 0x7e,
    3, 3, 2, 0, 1,
    7, 14, 2, 4, 's', 'p', 'i', 'n', 0, 0, 3, 'f', 'i', 'b', 0, 1,
    10, 38, 2,
    7, 0, 0x03, 0x40, 0x0c, 0, 0x0b, 0x0b,
    28, 0, 0x20, 0, 0x42, 2, 0x54, 0x04, 0x7e, 0x20, 0, 0x05,
    0x20, 0, 0x42, 1, 0x7d, 0x10, 1,
    0x20, 0, 0x42, 2, 0x7d, 0x10, 1, 0x7c, 0x0b, 0x0b,
};

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
    fprintf(stderr, "deadline: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

/* Between runs: the other processes get the CPU the spinning guest held,
 * and under `chrt` the kernel's real-time throttling (0.95 s of every 1 s)
 * never kicks in. */
static void
pause_between_runs(void)
{
    struct timespec ts = { 0, 10000000 };

    nanosleep(&ts, NULL);
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v and prints median, 90th percentile, max, and how many are
 * under 1 ms. */
static void
report(const char *what, uint64_t *v, int n)
{
    int within = 0;

    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    for (int i = 0; i < n; i++)
        within += v[i] < 1000000u;
    printf("%-34s median %7.3f ms  p90 %7.3f ms  max %7.3f ms  "
           "< 1 ms: %d/%d\n", what, (double)v[n / 2] / MS,
           (double)v[n * 9 / 10] / MS, (double)v[n - 1] / MS, within, n);
}

/* Calls name (fib gets 90: it never ends) and checks that it was stopped. */
static void
call_stopped(moat_instance *inst, const char *name)
{
    moat_val   arg = { .type = MOAT_I64, .of.i64 = 90 }, res;
    size_t     is_fib = name[0] == 'f';
    moat_error err = { 0 };

    if (moat_instance_call(inst, name, &arg, is_fib, &res, is_fib, &err) !=
            MOAT_ERR_TRAP || err.trap != MOAT_TRAP_INTERRUPTED)
        die("expected an interrupted call", &err);
}

static void
timeout_overshoot(moat_instance *inst, const char *name, int runs,
                  uint64_t timeout)
{
    uint64_t  *v = calloc((size_t)runs, sizeof *v);
    moat_error err = { 0 };
    char       what[64];

    if (!v || moat_instance_set_deadline(inst, timeout, &err) != MOAT_OK)
        die("set_deadline", &err);
    for (int i = 0; i < runs; i++) {
        uint64_t t0 = now_ns();
        call_stopped(inst, name);
        uint64_t took = now_ns() - t0;
        if (took < timeout)
            die("stopped before its deadline", NULL);
        v[i] = took - timeout;
        pause_between_runs();
    }
    moat_instance_set_deadline(inst, 0, &err);
    snprintf(what, sizeof what, "timeout overshoot (%s):", name);
    report(what, v, runs);
    free(v);
}

typedef struct Shot {
    moat_instance *inst;
    uint64_t       at;          /* when the interrupt was sent */
} Shot;

static void *
shoot(void *arg)
{
    Shot           *s = arg;
    struct timespec ts = { 0, 2000000 };

    nanosleep(&ts, NULL);       /* the call is running by now */
    s->at = now_ns();
    moat_instance_interrupt(s->inst);
    return NULL;
}

static void
interrupt_latency(moat_instance *inst, int runs)
{
    uint64_t *v = calloc((size_t)runs, sizeof *v);

    if (!v)
        die("out of memory", NULL);
    for (int i = 0; i < runs; i++) {
        Shot      s = { inst, 0 };
        pthread_t tid;
        if (pthread_create(&tid, NULL, shoot, &s) != 0)
            die("pthread_create", NULL);
        call_stopped(inst, "spin");
        uint64_t end = now_ns();
        pthread_join(tid, NULL);
        v[i] = end - s.at;
        pause_between_runs();
    }
    report("interrupt -> call returns (spin):", v, runs);
    free(v);
}

/* fib(1) returns at once: the time per call with no timeout and with
 * one armed (the timer thread's list, a clock read, a lock). */
static void
arming_cost(moat_instance *inst)
{
    enum { CALLS = 200000 };
    moat_val   arg = { .type = MOAT_I64, .of.i64 = 1 }, res;
    moat_error err = { 0 };
    double     per[2];

    for (int armed = 0; armed < 2; armed++) {
        moat_instance_set_deadline(inst, armed ? 1000 * 1000000ull : 0,
                                   &err);
        uint64_t t0 = now_ns();
        for (int i = 0; i < CALLS; i++)
            if (moat_instance_call(inst, "fib", &arg, 1, &res, 1, &err) !=
                MOAT_OK)
                die("fib(1)", &err);
        per[armed] = (double)(now_ns() - t0) / CALLS;
    }
    moat_instance_set_deadline(inst, 0, &err);
    printf("call of fib(1): %.0f ns without a timeout, %.0f ns with one "
           "(+%.0f ns)\n", per[0], per[1], per[1] - per[0]);
}

static moat_instance *
setup(moat_engine **e, moat_linker **l, moat_module **m)
{
    moat_compile_config *cfg = NULL;
    moat_instance       *inst = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               len = 0;

    if (moat_compile_config_new(&cfg, &err) != MOAT_OK)
        die("config", &err);
    moat_compile_config_set_interruptible(cfg, 1);
    if (moat_compile(cfg, wasm, sizeof wasm, &obj, &len, &err) != MOAT_OK)
        die("compile", &err);
    moat_compile_config_free(cfg);
    if (moat_engine_new(e, &err) != MOAT_OK ||
        moat_module_load_object(*e, obj, len, m, &err) != MOAT_OK ||
        moat_linker_new(*e, l, &err) != MOAT_OK ||
        moat_instance_new(*l, *m, &inst, &err) != MOAT_OK)
        die("load", &err);
    moat_free(obj);
    return inst;
}

int
main(int argc, char **argv)
{
    int          runs = 100;
    double       timeout_ms = 10;
    moat_engine *e;
    moat_linker *l;
    moat_module *m;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
            timeout_ms = atof(argv[++i]);
        else
            return fprintf(stderr, "usage: deadline [--runs N] "
                           "[--timeout-ms MS]\n"), 2;
    }
    if (runs < 1 || timeout_ms <= 0)
        return fprintf(stderr, "deadline: bad --runs or --timeout-ms\n"), 2;
    moat_instance *inst = setup(&e, &l, &m);
    uint64_t       timeout = (uint64_t)(timeout_ms * MS);
    printf("%d runs, timeout %.3f ms\n", runs, timeout_ms);
    timeout_overshoot(inst, "spin", runs, timeout);
    timeout_overshoot(inst, "fib", runs, timeout);
    interrupt_latency(inst, runs);
    arming_cost(inst);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    return 0;
}
