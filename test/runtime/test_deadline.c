/* test_deadline.c - deadlines (moat.h, "deadlines"): a small module is
 * compiled here with and without interruption checks, and its endless
 * loop and endless recursion are stopped by a per-call timeout, by an
 * interrupt from another thread and by the engine epoch. Time bounds are
 * loose (deadline + 50 ms) so that a loaded CI machine passes; the 1 ms
 * figure is measured by bench/deadline (docs/bench-deadline.md).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "moat_compile.h"

#define MS UINT64_C(1000000)
#define SLACK_NS (50 * MS)      /* what a loaded machine may add */

/* ---- a wasm module, written byte by byte ---- */

typedef struct Buf {
    uint8_t b[512];
    size_t  n;
} Buf;

static void
put(Buf *o, const uint8_t *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void
put_byte(Buf *o, uint8_t c)
{
    put(o, &c, 1);
}

/* Sizes here stay below 128: one LEB128 byte. */
static void
section(Buf *o, uint8_t id, const Buf *content)
{
    assert_true(content->n < 128);
    put_byte(o, id);
    put_byte(o, (uint8_t)content->n);
    put(o, content->b, content->n);
}

static void
body(Buf *code, const uint8_t *p, size_t n)
{
    assert_true(n < 128);
    put_byte(code, (uint8_t)n);
    put(code, p, n);
}

/*  0 spin    () -> ()        loop br 0 end
 *  1 fib     (i64) -> i64    n < 2 ? n : fib(n - 1) + fib(n - 2)
 *  2 count   (i32) -> i32    counts n down in a block/loop, returns n
 *  3 loopval (i32) -> i32    a loop with a parameter: returns n (n >= 1)
 *  4 inc     (i32) -> i32    n + 1: no call, no loop, so no check */
static void
make_module(Buf *o)
{
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    static const uint8_t types[] = { 3, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f,
                                     0x60, 1, 0x7e, 1, 0x7e };
    static const uint8_t funcs[] = { 5, 0, 2, 1, 1, 1 };
    static const uint8_t spin[] = { 0, 0x03, 0x40, 0x0c, 0, 0x0b, 0x0b };
    static const uint8_t fib[] = {
        0, 0x20, 0, 0x42, 2, 0x54, 0x04, 0x7e, 0x20, 0, 0x05,
        0x20, 0, 0x42, 1, 0x7d, 0x10, 1,
        0x20, 0, 0x42, 2, 0x7d, 0x10, 1, 0x7c, 0x0b, 0x0b,
    };
    static const uint8_t count[] = {
        1, 1, 0x7f, 0x02, 0x40, 0x03, 0x40,
        0x20, 0, 0x45, 0x0d, 1,                         /* n == 0: out */
        0x20, 0, 0x41, 1, 0x6b, 0x21, 0,                /* n -= 1 */
        0x20, 1, 0x41, 1, 0x6a, 0x21, 1,                /* k += 1 */
        0x0c, 0, 0x0b, 0x0b, 0x20, 1, 0x0b,
    };
    static const uint8_t loopval[] = {
        0, 0x41, 0, 0x03, 1,                            /* loop (i32)->i32 */
        0x41, 1, 0x6a,                                  /* acc + 1 */
        0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0,       /* --n: again */
        0x0b, 0x0b,
    };
    static const uint8_t inc[] = { 0, 0x20, 0, 0x41, 1, 0x6a, 0x0b };
    static const char *const names[] = { "spin", "fib", "count", "loopval",
                                          "inc" };
    Buf s = { .n = 0 };

    put(o, head, sizeof head);
    put(&s, types, sizeof types);
    section(o, 1, &s);
    s.n = 0;
    put(&s, funcs, sizeof funcs);
    section(o, 3, &s);
    s.n = 0;
    put_byte(&s, 5);
    for (uint8_t i = 0; i < 5; i++) {
        put_byte(&s, (uint8_t)strlen(names[i]));
        put(&s, (const uint8_t *)names[i], strlen(names[i]));
        put_byte(&s, 0);
        put_byte(&s, i);
    }
    section(o, 7, &s);
    s.n = 0;
    put_byte(&s, 5);
    body(&s, spin, sizeof spin);
    body(&s, fib, sizeof fib);
    body(&s, count, sizeof count);
    body(&s, loopval, sizeof loopval);
    body(&s, inc, sizeof inc);
    section(o, 10, &s);
}

/* ---- fixture: one engine, the module compiled both ways ---- */

typedef struct Fx {
    moat_engine *engine;
    moat_linker *linker;
    moat_module *checked, *plain;
} Fx;

static moat_module *
compile_load(moat_engine *e, int is_interruptible)
{
    Buf                  wasm = { .n = 0 };
    moat_compile_config *cfg = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               len = 0;
    moat_module         *m = NULL;

    make_module(&wasm);
    assert_int_equal(moat_compile_config_new(&cfg, &err), MOAT_OK);
    moat_compile_config_set_interruptible(cfg, is_interruptible);
    if (moat_compile(cfg, wasm.b, wasm.n, &obj, &len, &err) != MOAT_OK)
        fail_msg("compile: %s", err.msg);
    moat_compile_config_free(cfg);
    if (moat_module_load_object(e, obj, len, &m, &err) != MOAT_OK)
        fail_msg("load: %s", err.msg);
    moat_free(obj);
    return m;
}

static int
setup(void **state)
{
    static Fx  fx;
    moat_error err = { 0 };

    if (moat_engine_new(&fx.engine, &err) != MOAT_OK ||
        moat_linker_new(fx.engine, &fx.linker, &err) != MOAT_OK)
        return -1;
    fx.checked = compile_load(fx.engine, 1);
    fx.plain = compile_load(fx.engine, 0);
    *state = &fx;
    return 0;
}

static int
teardown(void **state)
{
    Fx *fx = *state;

    moat_module_free(fx->checked);
    moat_module_free(fx->plain);
    moat_linker_free(fx->linker);
    moat_engine_free(fx->engine);
    return 0;
}

static moat_instance *
instantiate(Fx *fx, moat_module *m)
{
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    if (moat_instance_new(fx->linker, m, &inst, &err) != MOAT_OK)
        fail_msg("instantiate: %s", err.msg);
    return inst;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Calls export name with one argument (type 0: none); the status, the
 * error in *err, the i32/i64 result in *out, the time taken in *ns. */
static moat_status
call(moat_instance *inst, const char *name, uint8_t type, uint64_t arg,
     uint64_t *out, uint64_t *ns, moat_error *err)
{
    moat_val a = { .type = type }, r = { .type = 0 };
    size_t   n = type ? 1 : 0;
    uint64_t t0 = now_ns();

    if (type == MOAT_I32)
        a.of.i32 = (uint32_t)arg;
    else
        a.of.i64 = arg;
    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_call(inst, name, &a, n, &r, n, err);
    if (ns)
        *ns = now_ns() - t0;
    if (out)
        *out = type == MOAT_I32 ? r.of.i32 : r.of.i64;
    return st;
}

static void
expect_interrupted(moat_status st, const moat_error *err)
{
    assert_int_equal(st, MOAT_ERR_TRAP);
    assert_int_equal(err->code, MOAT_ERR_TRAP);
    assert_int_equal(err->trap, MOAT_TRAP_INTERRUPTED);
    assert_non_null(strstr(err->msg, "interrupted"));
}

static void
expect_result(moat_instance *inst, const char *name, uint32_t arg,
             uint32_t want)
{
    moat_error err;
    uint64_t   got = 0;

    if (call(inst, name, MOAT_I32, arg, &got, NULL, &err) != MOAT_OK)
        fail_msg("%s(%u): %s", name, arg, err.msg);
    assert_int_equal(got, want);
}

/* ---- tests ---- */

static void
checks_keep_results(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    uint64_t       got = 0;

    assert_int_equal(moat_module_is_interruptible(fx->checked), 1);
    assert_int_equal(moat_module_is_interruptible(fx->plain), 0);
    expect_result(inst, "count", 100000, 100000);
    expect_result(inst, "count", 0, 0);
    expect_result(inst, "loopval", 777, 777);
    expect_result(inst, "inc", 41, 42);
    assert_int_equal(call(inst, "fib", MOAT_I64, 20, &got, NULL, &err),
                     MOAT_OK);
    assert_int_equal(got, 6765);
    moat_instance_free(inst);
}

static void
timeout_stops_endless_loop(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    uint64_t       ns = 0;

    assert_int_equal(moat_instance_set_deadline(inst, 10 * MS, &err),
                     MOAT_OK);
    expect_interrupted(call(inst, "spin", 0, 0, NULL, &ns, &err), &err);
    assert_true(ns >= 10 * MS);
    assert_true(ns < 10 * MS + SLACK_NS);
    /* the next call gets its own 10 ms */
    expect_interrupted(call(inst, "spin", 0, 0, NULL, &ns, &err), &err);
    assert_true(ns >= 10 * MS && ns < 10 * MS + SLACK_NS);
    moat_instance_free(inst);
}

static void
timeout_stops_endless_recursion(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    uint64_t       ns = 0;

    assert_int_equal(moat_instance_set_deadline(inst, 10 * MS, &err),
                     MOAT_OK);
    /* fib(90): 10^18 calls, 90 deep; only the entry checks can stop it */
    expect_interrupted(call(inst, "fib", MOAT_I64, 90, NULL, &ns, &err),
                       &err);
    assert_true(ns >= 10 * MS && ns < 10 * MS + SLACK_NS);
    moat_instance_free(inst);
}

static void
instance_usable_after_trap(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;

    assert_int_equal(moat_instance_set_deadline(inst, 5 * MS, &err),
                     MOAT_OK);
    expect_interrupted(call(inst, "spin", 0, 0, NULL, NULL, &err), &err);
    /* with the deadline still set, and then without one */
    expect_result(inst, "count", 1000, 1000);
    assert_int_equal(moat_instance_set_deadline(inst, 0, &err), MOAT_OK);
    expect_result(inst, "count", 1000, 1000);
    expect_result(inst, "loopval", 5, 5);
    moat_instance_free(inst);
}

/* Calls that finish in time are never stopped, and a deadline does not
 * fire between calls (after one call it would hit the next one). */
static void
deadline_spares_calls_in_time(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    struct timespec pause = { 0, (long)(30 * MS) };

    assert_int_equal(moat_instance_set_deadline(inst, 20 * MS, &err),
                     MOAT_OK);
    for (int i = 0; i < 200; i++)
        expect_result(inst, "count", 1000, 1000);
    for (int i = 0; i < 3; i++) {
        expect_result(inst, "loopval", 100, 100);
        nanosleep(&pause, NULL);        /* past the deadline, between calls */
    }
    expect_result(inst, "count", 10, 10);
    moat_instance_free(inst);
}

typedef struct Later {
    moat_instance *inst;
    moat_engine   *engine;
    uint64_t       delay_ns;
    uint64_t       timeout_ns;  /* run_spin: the deadline to set */
    uint64_t       took_ns;
    moat_status    st;
    moat_error     err;
} Later;

static void *
interrupt_later(void *arg)
{
    Later          *l = arg;
    struct timespec ts = { 0, (long)l->delay_ns };

    nanosleep(&ts, NULL);
    if (l->inst)
        moat_instance_interrupt(l->inst);
    else
        moat_engine_increment_epoch(l->engine);
    return NULL;
}

static void
interrupt_from_another_thread(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    uint64_t       ns = 0;
    pthread_t      tid;
    Later          l = { .inst = inst, .delay_ns = 5 * MS };
    uint64_t       t0 = now_ns();

    assert_int_equal(pthread_create(&tid, NULL, interrupt_later, &l), 0);
    expect_interrupted(call(inst, "spin", 0, 0, NULL, NULL, &err), &err);
    ns = now_ns() - t0;
    pthread_join(tid, NULL);
    assert_true(ns >= 5 * MS && ns < 5 * MS + SLACK_NS);
    /* one interrupt stops one call */
    expect_result(inst, "count", 1000, 1000);
    moat_instance_free(inst);
}

/* Between calls, the interrupt waits for the next call, which traps at
 * its start even when its function has no check of its own. */
static void
interrupt_stops_next_call(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;

    moat_instance_interrupt(inst);
    expect_interrupted(call(inst, "inc", MOAT_I32, 1, NULL, NULL, &err),
                       &err);
    expect_result(inst, "inc", 1, 2);
    moat_instance_interrupt(inst);
    moat_instance_interrupt(inst);      /* not counted: still one */
    expect_interrupted(call(inst, "count", MOAT_I32, 5, NULL, NULL, &err),
                       &err);
    expect_result(inst, "count", 5, 5);
    moat_instance_free(inst);
}

static void
epoch_deadline_stops_call(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->checked);
    moat_error     err;
    uint64_t       ns = 0;
    pthread_t      tid;
    Later          l = { .engine = fx->engine, .delay_ns = 5 * MS };

    moat_instance_set_epoch_deadline(inst, 1);
    expect_result(inst, "count", 1000, 1000);    /* epoch not reached */
    uint64_t t0 = now_ns();
    assert_int_equal(pthread_create(&tid, NULL, interrupt_later, &l), 0);
    expect_interrupted(call(inst, "spin", 0, 0, NULL, NULL, &err), &err);
    ns = now_ns() - t0;
    pthread_join(tid, NULL);
    assert_true(ns >= 5 * MS && ns < 5 * MS + SLACK_NS);
    /* a passed epoch deadline stays passed, until a new one is set */
    expect_interrupted(call(inst, "count", MOAT_I32, 5, NULL, NULL, &err),
                       &err);
    moat_instance_set_epoch_deadline(inst, 2);
    expect_result(inst, "count", 5, 5);
    moat_engine_increment_epoch(fx->engine);
    expect_result(inst, "count", 5, 5);
    moat_engine_increment_epoch(fx->engine);
    expect_interrupted(call(inst, "fib", MOAT_I64, 30, NULL, NULL, &err),
                       &err);
    moat_instance_set_epoch_deadline(inst, UINT64_MAX);
    expect_result(inst, "count", 5, 5);
    moat_instance_free(inst);
}

static void *
run_spin(void *arg)
{
    Later *l = arg;

    moat_instance_set_deadline(l->inst, l->timeout_ns, &l->err);
    l->st = call(l->inst, "spin", 0, 0, NULL, &l->took_ns, &l->err);
    return NULL;
}

/* Two calls armed at once on two threads: each stops at its own time. */
static void
deadlines_on_two_threads(void **state)
{
    Fx       *fx = *state;
    Later     a = { .inst = instantiate(fx, fx->checked),
                    .timeout_ns = 40 * MS };
    Later     b = { .inst = instantiate(fx, fx->checked),
                    .timeout_ns = 10 * MS };
    pthread_t ta, tb;

    assert_int_equal(pthread_create(&ta, NULL, run_spin, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, run_spin, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    expect_interrupted(a.st, &a.err);
    expect_interrupted(b.st, &b.err);
    assert_true(a.took_ns >= 40 * MS && a.took_ns < 40 * MS + SLACK_NS);
    assert_true(b.took_ns >= 10 * MS && b.took_ns < 10 * MS + SLACK_NS);
    moat_instance_free(a.inst);
    moat_instance_free(b.inst);
}

static void
module_without_checks_refuses(void **state)
{
    Fx            *fx = *state;
    moat_instance *inst = instantiate(fx, fx->plain);
    moat_error     err = { 0 };

    assert_int_equal(moat_instance_set_deadline(inst, 10 * MS, &err),
                     MOAT_ERR_LIMIT);
    assert_int_equal(err.code, MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "interruption checks"));
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_set_deadline(inst, 0, &err), MOAT_OK);
    /* an interrupt has nothing to stop, and must not linger */
    moat_instance_interrupt(inst);
    expect_result(inst, "count", 1000, 1000);
    expect_result(inst, "inc", 1, 2);
    moat_instance_free(inst);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checks_keep_results),
        cmocka_unit_test(timeout_stops_endless_loop),
        cmocka_unit_test(timeout_stops_endless_recursion),
        cmocka_unit_test(instance_usable_after_trap),
        cmocka_unit_test(deadline_spares_calls_in_time),
        cmocka_unit_test(interrupt_from_another_thread),
        cmocka_unit_test(interrupt_stops_next_call),
        cmocka_unit_test(epoch_deadline_stops_call),
        cmocka_unit_test(deadlines_on_two_threads),
        cmocka_unit_test(module_without_checks_refuses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
