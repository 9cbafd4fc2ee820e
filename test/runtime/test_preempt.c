/* test_preempt.c - moat_instance_preempt (moat.h, "deadlines"): a running
 * call yields at its next interruption check and is resumed to the same
 * result; timeouts still stop a call that is preempted; a request made
 * with no call running, or reaching a call that cannot yield, is dropped;
 * a host function's own yield is not a preemption; preempted instances
 * can be reset and freed; two worker threads time-sliced by a third.
 * Guest: preempt.wat, compiled here with interruption checks. Timing
 * bounds are loose (SLACK_NS) for a loaded machine; a watchdog (alarm)
 * ends the run if a loop is never stopped.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "guest_fx.h"

#ifndef PREEMPT_WASM
#error "PREEMPT_WASM: the path of the guest"
#endif

#define MS       UINT64_C(1000000)
#define SLACK_NS (150 * MS)     /* what a loaded machine may add */
#define BIG_N    100000000u     /* sum(BIG_N): ~0.1 s at -O2 */

static uint8_t *obj;
static size_t   obj_len;

/* ---- host functions (preempt.wat's imports) ---- */

static uint32_t poke_sleep_ms;          /* set per test (one thread) */
static moat_status reenter_status;
static uint64_t    reenter_result;

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u),
                           (long)(ns % 1000000000u) };

    nanosleep(&ts, NULL);
}

/* Preempts its own instance: the guest's next check yields. */
static uint32_t
host_poke(moat_caller *c, uint32_t x)
{
    moat_instance_preempt(moat_caller_instance(c));
    if (poke_sleep_ms)
        sleep_ns(poke_sleep_ms * MS);
    return x;
}

/* Preempts its instance, then calls back into it (a call that cannot
 * yield), then preempts it again for the outer call. */
static uint32_t
host_reenter(moat_caller *c, uint32_t x)
{
    moat_instance *inst = moat_caller_instance(c);
    moat_val       arg = { .type = MOAT_I32, .of.i32 = x }, r;
    moat_error     err = { 0 };

    moat_instance_preempt(inst);
    reenter_status = moat_instance_call(inst, "sum", &arg, 1, &r, 1, &err);
    reenter_result = r.of.i64;
    moat_instance_preempt(inst);
    return x;
}

static uint32_t
host_yield(moat_caller *c, uint32_t x)
{
    moat_val v = { .type = MOAT_I32, .of.i32 = x };

    return moat_caller_yield(c, v).of.i32;
}

/* ---- fixture ---- */

typedef struct World {
    moat_engine *e;
    moat_linker *l;
    moat_module *m;
} World;

static int
setup(void **state)
{
    static World         w;
    static const uint8_t i[] = { MOAT_I32 };
    moat_error           err = { 0 };

    obj = moatT_compile_file_with(PREEMPT_WASM, 2, 1, &obj_len);
    if (moat_engine_new(&w.e, &err) != MOAT_OK ||
        moat_module_load_object(w.e, obj, obj_len, &w.m, &err) != MOAT_OK ||
        moat_linker_new(w.e, &w.l, &err) != MOAT_OK ||
        moat_linker_define_func_caller(w.l, "host", "poke", i, 1, i, 1,
                                       (moat_native_fn)host_poke, NULL,
                                       &err) != MOAT_OK ||
        moat_linker_define_func_caller(w.l, "host", "reenter", i, 1, i, 1,
                                       (moat_native_fn)host_reenter, NULL,
                                       &err) != MOAT_OK ||
        moat_linker_define_func_caller(w.l, "host", "yield", i, 1, i, 1,
                                       (moat_native_fn)host_yield, NULL,
                                       &err) != MOAT_OK)
        return -1;
    *state = &w;
    return 0;
}

static int
teardown(void **state)
{
    World *w = *state;

    moat_linker_free(w->l);
    moat_module_free(w->m);
    moat_engine_free(w->e);
    moat_free(obj);
    return 0;
}

static moat_instance *
instantiate(World *w)
{
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    if (moat_instance_new(w->l, w->m, &inst, &err) != MOAT_OK)
        fail_msg("instantiate: %s", err.msg);
    return inst;
}

/* sum(n) as the guest computes it */
static uint64_t
checksum(uint32_t n)
{
    uint64_t acc = 0;

    for (uint32_t i = 0; i < n; i++)
        acc = acc * 31 + i;
    return acc;
}

static moat_status
call(moat_instance *inst, const char *name, uint32_t n, uint64_t *out,
     moat_error *err)
{
    moat_val a = { .type = MOAT_I32, .of.i32 = n }, r = { .type = 0 };

    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_call(inst, name, &a, 1, &r, 1, err);
    *out = r.of.i64;
    return st;
}

static moat_status
resume(moat_instance *inst, uint64_t *out, moat_error *err)
{
    moat_val v = { .type = MOAT_I32, .of.i32 = 0 }, r = { .type = 0 };

    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_resume(inst, v, &r, 1, err);
    *out = r.of.i64;
    return st;
}

/* ---- a thread that preempts instances every period until told ---- */

typedef struct Preempter {
    moat_instance *inst[2];
    int            n;
    uint64_t       period_ns;
    atomic_bool    stop;
    pthread_t      thread;
} Preempter;

static void *
preempter_main(void *p)
{
    Preempter *pr = p;

    while (!atomic_load(&pr->stop)) {
        for (int i = 0; i < pr->n; i++)
            moat_instance_preempt(pr->inst[i]);
        sleep_ns(pr->period_ns);
    }
    return NULL;
}

static void
preempter_start(Preempter *pr)
{
    atomic_init(&pr->stop, false);
    assert_int_equal(pthread_create(&pr->thread, NULL, preempter_main, pr),
                     0);
}

static void
preempter_stop(Preempter *pr)
{
    atomic_store(&pr->stop, true);
    assert_int_equal(pthread_join(pr->thread, NULL), 0);
}

/* Drives sum(n) to the end, resuming each preempted yield, counting them
 * in *yields: 1 when every yield was a preemption and the call ended well
 * (no cmocka assertion here: workers run it on their own threads). */
static int
drive_sum(moat_instance *inst, uint32_t n, uint64_t *out, uint32_t *yields)
{
    moat_error  err;
    moat_status st = call(inst, "sum", n, out, &err);

    while (st == MOAT_YIELDED) {
        if (!moat_instance_was_preempted(inst))
            return 0;
        (*yields)++;
        st = resume(inst, out, &err);
    }
    return st == MOAT_OK && !moat_instance_was_preempted(inst);
}

/* ---- tests ---- */

static void
preempted_loop_keeps_its_result(void **state)
{
    moat_instance *inst = instantiate(*state);
    Preempter      pr = { .inst = { inst }, .n = 1, .period_ns = 2 * MS };
    uint64_t       got = 0, t0 = now_ns();
    uint32_t       yields = 0;

    assert_int_equal(drive_sum(inst, BIG_N, &got, &yields), 1);
    uint64_t plain = now_ns() - t0;
    assert_int_equal(yields, 0);
    preempter_start(&pr);
    t0 = now_ns();
    int ok = drive_sum(inst, BIG_N, &got, &yields);
    uint64_t preempted = now_ns() - t0;
    preempter_stop(&pr);
    print_message("sum(%u): %.1f ms alone, %.1f ms preempted every 2 ms "
                  "(%u yields)\n", BIG_N, (double)plain / 1e6,
                  (double)preempted / 1e6, yields);
    assert_true(ok);
    assert_true(yields > 0);
    assert_true(got == checksum(BIG_N));
    assert_int_equal(moat_instance_was_preempted(inst), 0);
    assert_int_equal(moat_instance_is_suspended(inst), 0);
    moat_instance_free(inst);
}

/* Each stretch runs under the deadline afresh: the driver gives each
 * resume what is left of 200 ms, and the trap comes once one overruns.
 * (200 ms, not 50: a CI machine running two builds at once once kept the
 * preempter thread off the cores for the whole of 50 ms, so no yield
 * came before the deadline.) */
static void
deadline_stops_a_preempted_loop(void **state)
{
    const uint64_t deadline = 200 * MS;
    moat_instance *inst = instantiate(*state);
    Preempter      pr = { .inst = { inst }, .n = 1, .period_ns = 2 * MS };
    moat_val       none = { .type = MOAT_I32 };
    moat_error     err = { 0 };
    uint32_t       yields = 0;
    uint64_t       t0 = now_ns(), spent = 0;

    preempter_start(&pr);
    assert_int_equal(moat_instance_set_deadline(inst, deadline, &err),
                     MOAT_OK);
    moat_status st = moat_instance_call(inst, "spin", NULL, 0, NULL, 0,
                                        &err);
    while (st == MOAT_YIELDED) {
        assert_int_equal(moat_instance_was_preempted(inst), 1);
        yields++;
        spent = now_ns() - t0;
        uint64_t left = spent < deadline ? deadline - spent : 1;
        assert_int_equal(moat_instance_set_deadline(inst, left, &err),
                         MOAT_OK);
        st = moat_instance_resume(inst, none, NULL, 0, &err);
    }
    spent = now_ns() - t0;
    preempter_stop(&pr);
    assert_int_equal(st, MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_INTERRUPTED);
    assert_true(yields > 0);
    assert_true(spent >= deadline - 2 * MS);
    assert_true(spent <= deadline + SLACK_NS);
    assert_int_equal(moat_instance_is_suspended(inst), 0);
    moat_instance_free(inst);
}

/* The timer fires while poke sleeps, after it preempted: at the next
 * check both are due and the timeout wins. */
static void
timeout_wins_over_preemption(void **state)
{
    moat_instance *inst = instantiate(*state);
    moat_error     err = { 0 };
    uint64_t       got;

    assert_int_equal(moat_instance_set_deadline(inst, 1 * MS, &err),
                     MOAT_OK);
    poke_sleep_ms = 20;
    moat_status st = call(inst, "poke_sum", 1000, &got, &err);
    poke_sleep_ms = 0;
    assert_int_equal(st, MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_INTERRUPTED);
    assert_int_equal(moat_instance_is_suspended(inst), 0);
    /* the preemption the trap left is not carried over */
    assert_int_equal(moat_instance_set_deadline(inst, 0, &err), MOAT_OK);
    assert_int_equal(call(inst, "sum", 1000, &got, &err), MOAT_OK);
    assert_true(got == checksum(1000));
    moat_instance_free(inst);
}

static void
request_with_no_call_running_is_dropped(void **state)
{
    moat_instance *inst = instantiate(*state);
    moat_error     err;
    uint64_t       got;

    moat_instance_preempt(inst);
    assert_int_equal(call(inst, "sum", 1000, &got, &err), MOAT_OK);
    assert_true(got == checksum(1000));
    assert_int_equal(moat_instance_was_preempted(inst), 0);
    /* also while suspended: the resume drops it */
    assert_int_equal(call(inst, "poke_sum", 1000, &got, &err), MOAT_YIELDED);
    moat_instance_preempt(inst);
    assert_int_equal(resume(inst, &got, &err), MOAT_OK);
    assert_true(got == checksum(1000));
    moat_instance_free(inst);
}

/* reenter preempts, calls back in (in place: that call cannot yield and
 * runs to its end), preempts again: the outer call yields. */
static void
nested_call_is_not_preempted(void **state)
{
    moat_instance *inst = instantiate(*state);
    moat_error     err;
    uint64_t       got;

    reenter_status = MOAT_ERR_LIMIT;
    assert_int_equal(call(inst, "reenter_sum", 5000, &got, &err),
                     MOAT_YIELDED);
    assert_int_equal(reenter_status, MOAT_OK);
    assert_true(reenter_result == checksum(5000));
    assert_int_equal(moat_instance_was_preempted(inst), 1);
    assert_int_equal(resume(inst, &got, &err), MOAT_OK);
    assert_true(got == checksum(5000));
    moat_instance_free(inst);
}

static void
host_yield_is_not_a_preemption(void **state)
{
    moat_instance *inst = instantiate(*state);
    moat_error     err;
    uint64_t       got;

    assert_int_equal(call(inst, "poke_sum", 100, &got, &err), MOAT_YIELDED);
    assert_int_equal(moat_instance_was_preempted(inst), 1);
    assert_int_equal(moat_instance_yielded(inst).type, 0);
    assert_int_equal(resume(inst, &got, &err), MOAT_OK);
    assert_int_equal(moat_instance_was_preempted(inst), 0);
    assert_int_equal(call(inst, "yield_sum", 100, &got, &err), MOAT_YIELDED);
    assert_int_equal(moat_instance_was_preempted(inst), 0);
    assert_int_equal(moat_instance_yielded(inst).of.i32, 100);
    assert_int_equal(resume(inst, &got, &err), MOAT_OK);
    assert_true(got == checksum(100));
    moat_instance_free(inst);
}

static void
preempted_instance_resets_and_frees(void **state)
{
    moat_instance *inst = instantiate(*state);
    moat_error     err = { 0 };
    uint64_t       got;

    assert_int_equal(call(inst, "poke_sum", 100, &got, &err), MOAT_YIELDED);
    assert_int_equal(moat_instance_reset(inst, &err), MOAT_OK);
    assert_int_equal(moat_instance_is_suspended(inst), 0);
    assert_int_equal(moat_instance_was_preempted(inst), 0);
    assert_int_equal(call(inst, "sum", 100, &got, &err), MOAT_OK);
    assert_true(got == checksum(100));
    /* freed while suspended: ASan's leak check covers what it held */
    assert_int_equal(call(inst, "poke_sum", 100, &got, &err), MOAT_YIELDED);
    moat_instance_free(inst);
}

typedef struct Worker {
    moat_instance *inst;
    uint32_t       yields;
    int            ok;
} Worker;

static void *
worker_main(void *p)
{
    Worker  *wk = p;
    uint64_t got = 0;

    wk->ok = 1;
    for (int round = 0; round < 4; round++) {
        wk->ok = wk->ok && drive_sum(wk->inst, BIG_N / 4, &got,
                                     &wk->yields) &&
                 got == checksum(BIG_N / 4);
    }
    return NULL;
}

static void
two_workers_time_sliced(void **state)
{
    Worker    wk[2];
    pthread_t t[2];
    Preempter pr = { .n = 2, .period_ns = 1 * MS };

    for (int i = 0; i < 2; i++) {
        wk[i] = (Worker){ instantiate(*state), 0, 0 };
        pr.inst[i] = wk[i].inst;
    }
    preempter_start(&pr);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &wk[i]),
                         0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    preempter_stop(&pr);
    for (int i = 0; i < 2; i++) {
        assert_true(wk[i].ok);
        moat_instance_free(wk[i].inst);
    }
    assert_true(wk[0].yields + wk[1].yields > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(preempted_loop_keeps_its_result),
        cmocka_unit_test(deadline_stops_a_preempted_loop),
        cmocka_unit_test(timeout_wins_over_preemption),
        cmocka_unit_test(request_with_no_call_running_is_dropped),
        cmocka_unit_test(nested_call_is_not_preempted),
        cmocka_unit_test(host_yield_is_not_a_preemption),
        cmocka_unit_test(preempted_instance_resets_and_frees),
        cmocka_unit_test(two_workers_time_sliced),
    };

    alarm(100);                 /* watchdog: a loop nothing stopped */
    return cmocka_run_group_tests(tests, setup, teardown);
}
