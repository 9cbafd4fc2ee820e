/* test_atomic_wait.c - the threads proposal in the runtime: a shared
 * memory the host defines, imported by instances that run on several
 * threads at once (atomic read-modify-writes really are atomic), and
 * memory.atomic.wait/notify (atomic_wait.c): a wait times out, sees a
 * different value, is woken by a notify from another thread, and ends
 * when the call is interrupted (a guest cannot hang its host by waiting);
 * on an unshared memory wait traps and notify wakes nobody; misaligned
 * and out-of-bounds addresses trap.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat.h"
#include "moat_compile.h"

typedef struct World {
    moat_engine *e;
    moat_linker *l;
    moat_module *shared, *unshared;
} World;

static World w;

/* Called by each test itself: the engine installs its signal handlers
 * (a pool slot's pages open on first touch), which must go in after the
 * ones cmocka installs around each test and each fixture. */
static void
world_up(void)
{
    size_t   n;
    uint8_t *obj = moatT_compile_file_with(ATOMIC_WAIT_WASM, 2, 1, &n);

    assert_int_equal(moat_engine_new(&w.e, NULL), MOAT_OK);
    assert_int_equal(moat_linker_new(w.e, &w.l, NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_shared_memory(w.l, "env", "mem", 1, 1,
                                                      NULL), MOAT_OK);
    assert_int_equal(moat_module_load_object(w.e, obj, n, &w.shared, NULL),
                     MOAT_OK);
    moat_free(obj);
    obj = moatT_compile_file(ATOMIC_UNSHARED_WASM, 2, &n);
    assert_int_equal(moat_module_load_object(w.e, obj, n, &w.unshared, NULL),
                     MOAT_OK);
    moat_free(obj);
}

/* A cmocka test that runs name_body in a world of its own. */
#define WORLD_TEST(name)                                                \
    static void name(void **state)                                      \
    {                                                                   \
        (void)state;                                                    \
        world_up();                                                     \
        name##_body();                                                  \
        world_down();                                                   \
    }

static void
world_down(void)
{
    moat_module_free(w.shared);
    moat_module_free(w.unshared);
    moat_linker_free(w.l);
    moat_engine_free(w.e);
}

static moat_instance *
instance(moat_module *m)
{
    moat_instance *inst = NULL;
    assert_int_equal(moat_instance_new(w.l, m, &inst, NULL), MOAT_OK);
    return inst;
}

static moat_val
i32(uint32_t v)
{
    return (moat_val){ .type = MOAT_I32, .of.i32 = v };
}

static moat_val
i64(uint64_t v)
{
    return (moat_val){ .type = MOAT_I64, .of.i64 = v };
}

/* Calls name; the i32 result, or -trap when it traps. */
static int64_t
call(moat_instance *inst, const char *name, moat_val *args, size_t n)
{
    moat_val   r = { 0 };
    moat_error err = { 0 };
    size_t     nres = strcmp(name, "store") && strcmp(name, "add_n") ? 1 : 0;

    if (moat_instance_call(inst, name, args, n, &r, nres, &err) != MOAT_OK)
        return err.code == MOAT_ERR_TRAP ? -(int64_t)err.trap : -1000;
    return nres ? (int64_t)r.of.i32 : 0;
}

static uint64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void
times_out_or_sees_another_value_body(void)
{
    moat_instance *a = instance(w.shared);
    moat_val       st[] = { i32(64), i32(0) };
    call(a, "store", st, 2);

    uint64_t t0 = now_ms();
    moat_val wait[] = { i32(64), i32(0), i64(30 * 1000000) };   /* 30 ms */
    assert_int_equal(call(a, "wait32", wait, 3), 2);            /* timed out */
    assert_true(now_ms() - t0 >= 30);

    moat_val wait64[] = { i32(64), i64(0), i64(0) };
    assert_int_equal(call(a, "wait64", wait64, 3), 2);  /* 0 ns: at once */
    st[1] = i32(5);
    call(a, "store", st, 2);
    moat_val ne[] = { i32(64), i32(0), i64(UINT64_MAX) };       /* forever */
    assert_int_equal(call(a, "wait32", ne, 3), 1);              /* not-equal */
    moat_val nobody[] = { i32(64), i32(10) };
    assert_int_equal(call(a, "notify", nobody, 2), 0);
    moat_instance_free(a);
}
WORLD_TEST(times_out_or_sees_another_value)

typedef struct Waiting {
    moat_instance *inst;
    uint32_t       addr;
    int64_t        result;
} Waiting;

static void *
wait_forever(void *p)
{
    Waiting *t = p;
    moat_val args[] = { i32(t->addr), i32(0), i64(UINT64_MAX) };
    t->result = call(t->inst, "wait32", args, 3);
    return NULL;
}

static void
woken_by_a_notify_from_another_thread_body(void)
{
    Waiting   t = { instance(w.shared), 128, -99 };
    moat_instance *b = instance(w.shared);
    moat_val  st[] = { i32(128), i32(0) };
    pthread_t tid;

    call(b, "store", st, 2);
    assert_int_equal(pthread_create(&tid, NULL, wait_forever, &t), 0);
    /* notify until the waiter is there to be woken (10 s at most) */
    int64_t  woke = 0;
    uint64_t t0 = now_ms();
    moat_val other[] = { i32(132), i32(1) };
    moat_val one[] = { i32(128), i32(1) };
    while (woke == 0 && now_ms() - t0 < 10000) {
        assert_int_equal(call(b, "notify", other, 2), 0);   /* other address */
        woke = call(b, "notify", one, 2);
    }
    assert_int_equal(woke, 1);
    pthread_join(tid, NULL);
    assert_int_equal(t.result, 0);                          /* "ok" */
    moat_instance_free(t.inst);
    moat_instance_free(b);
}
WORLD_TEST(woken_by_a_notify_from_another_thread)

static void
an_interrupt_ends_a_wait_body(void)
{
    Waiting   t = { instance(w.shared), 256, -99 };
    moat_val  st[] = { i32(256), i32(0) };
    pthread_t tid;

    call(t.inst, "store", st, 2);
    assert_int_equal(pthread_create(&tid, NULL, wait_forever, &t), 0);
    struct timespec ms = { 0, 20 * 1000000 };
    nanosleep(&ms, NULL);
    moat_instance_interrupt(t.inst);
    pthread_join(tid, NULL);
    assert_int_equal(t.result, -MOAT_TRAP_INTERRUPTED);
    moat_instance_free(t.inst);
}
WORLD_TEST(an_interrupt_ends_a_wait)

typedef struct Adder {
    moat_instance *inst;
    uint32_t       n;
} Adder;

static void *
add_n(void *p)
{
    Adder   *a = p;
    moat_val args[] = { i32(512), i32(a->n) };
    call(a->inst, "add_n", args, 2);
    return NULL;
}

static void
rmw_is_atomic_across_threads_body(void)
{
    enum { NT = 4, N = 200000 };
    Adder     a[NT];
    pthread_t tid[NT];
    moat_instance *main_inst = instance(w.shared);
    moat_val  zero[] = { i32(512), i32(0) };

    call(main_inst, "store", zero, 2);
    for (int k = 0; k < NT; k++) {
        a[k] = (Adder){ instance(w.shared), N };
        assert_int_equal(pthread_create(&tid[k], NULL, add_n, &a[k]), 0);
    }
    for (int k = 0; k < NT; k++) {
        pthread_join(tid[k], NULL);
        moat_instance_free(a[k].inst);
    }
    moat_val at[] = { i32(512) };
    assert_int_equal(call(main_inst, "load", at, 1), NT * N);
    moat_instance_free(main_inst);
}
WORLD_TEST(rmw_is_atomic_across_threads)

static void
unshared_misaligned_out_of_bounds_body(void)
{
    moat_instance *u = instance(w.unshared);
    moat_instance *s = instance(w.shared);

    moat_val wait[] = { i32(0), i32(0), i64(0) };
    assert_int_equal(call(u, "wait32", wait, 3), -MOAT_TRAP_UNSHARED_WAIT);
    moat_val note[] = { i32(0), i32(5) };
    assert_int_equal(call(u, "notify", note, 2), 0);
    /* narrow cmpxchg: the expected value wraps to the access size */
    moat_val cx[] = { i32(3), i32(0x100), i32(0x7f) };
    assert_int_equal(call(u, "cmpxchg8", cx, 3), 0);        /* was 0 */
    cx[1] = i32(0);
    assert_int_equal(call(u, "cmpxchg8", cx, 3), 0x7f);     /* stored */

    moat_val odd[] = { i32(2), i32(0), i64(0) };
    assert_int_equal(call(s, "wait32", odd, 3), -MOAT_TRAP_UNALIGNED_ATOMIC);
    moat_val odd_n[] = { i32(6), i32(1) };
    assert_int_equal(call(s, "notify", odd_n, 2), -MOAT_TRAP_UNALIGNED_ATOMIC);
    moat_val past[] = { i32(65536), i32(1) };
    assert_int_equal(call(s, "notify", past, 2), -MOAT_TRAP_MEMORY_OOB);
    moat_val past_w[] = { i32(65536), i32(0), i64(0) };
    assert_int_equal(call(s, "wait32", past_w, 3), -MOAT_TRAP_MEMORY_OOB);
    moat_val last[] = { i32(65532), i32(1) };
    assert_int_equal(call(s, "notify", last, 2), 0);        /* in bounds */
    moat_instance_free(u);
    moat_instance_free(s);
}
WORLD_TEST(unshared_misaligned_out_of_bounds)

static void
shared_must_match_on_import_body(void)
{
    moat_linker   *l;
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    assert_int_equal(moat_linker_new(w.e, &l, NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_memory(l, "env", "mem", 1, 1, NULL),
                     MOAT_OK);
    assert_int_equal(moat_instance_new(l, w.shared, &inst, &err),
                     MOAT_ERR_LINK);
    assert_non_null(strstr(err.msg, "incompatible import type"));
    assert_non_null(strstr(err.msg, "shared"));
    moat_linker_free(l);
    err = (moat_error){ 0 };
    assert_int_equal(moat_linker_new(w.e, &l, NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_shared_memory(l, "env", "m", 1,
                                                      UINT32_MAX, &err),
                     MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "shared memory must have maximum"));
    moat_linker_free(l);
}
WORLD_TEST(shared_must_match_on_import)

int
main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(times_out_or_sees_another_value),
        T(woken_by_a_notify_from_another_thread),
        T(an_interrupt_ends_a_wait),
        T(rmw_is_atomic_across_threads),
        T(unshared_misaligned_out_of_bounds),
        T(shared_must_match_on_import),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
