/* test_yield.c - running on instance stacks (fiber.c, stack.c, call.c):
 * host functions suspend calls with moat_caller_yield and the embedder
 * resumes them, in any order, interleaved on one thread or handed to
 * another; what yield refuses; suspended instances take no calls and can
 * be freed or reset; traps inside host -> wasm -> host -> wasm chains end
 * the innermost call only; two threads run instances at once. Guests:
 * gen.wat, nest.wat, yieldstart.wat, compiled here at -O0.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "guest_fx.h"
#include "runtime.h"

#ifndef GEN_WASM
#error "GEN_WASM, NEST_WASM, YIELDSTART_WASM: paths of the guests"
#endif

static uint8_t *gen_obj, *nest_obj, *ys_obj;
static size_t   gen_len, nest_len, ys_len;

static int
compile_guests(void **state)
{
    (void)state;
    gen_obj = moatT_compile_file(GEN_WASM, 0, &gen_len);
    nest_obj = moatT_compile_file(NEST_WASM, 0, &nest_len);
    ys_obj = moatT_compile_file(YIELDSTART_WASM, 0, &ys_len);
    return 0;
}

static int
free_guests(void **state)
{
    (void)state;
    moat_free(gen_obj);
    moat_free(nest_obj);
    moat_free(ys_obj);
    return 0;
}

static moat_val
i32(uint32_t v)
{
    moat_val x = { .type = MOAT_I32, .of.i32 = v };
    return x;
}

/* ---- host functions ---- */

static uint32_t
host_yield(moat_caller *c, uint32_t v)
{
    return moat_caller_yield(c, i32(v)).of.i32;
}

static void
cb_yield(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
         moat_val *res, size_t nres)
{
    (void)host_ctx, (void)nargs, (void)nres;
    res[0].of.i32 = moat_caller_yield(c, args[0]).of.i32;
}

/* What gen.wat's "back" import does; set per test (one thread). */
static uint32_t (*back_hook)(moat_caller *c, uint32_t x);

static uint32_t
host_back(moat_caller *c, uint32_t x)
{
    return back_hook(c, x);
}

typedef struct World {
    moat_engine *e;
    moat_module *gen, *nest, *ys;
    moat_linker *l;
} World;

static void
world_new(World *w, int use_callback)
{
    static const uint8_t i[] = { MOAT_I32 };
    moat_error           err = { 0 };

    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, gen_obj, gen_len, &w->gen,
                                             &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, nest_obj, nest_len,
                                             &w->nest, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, ys_obj, ys_len, &w->ys,
                                             &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    if (use_callback)
        assert_int_equal(moat_linker_define_callback(w->l, "host", "yield",
                             i, 1, i, 1, cb_yield, NULL, &err), MOAT_OK);
    else
        assert_int_equal(moat_linker_define_func_caller(w->l, "host",
                             "yield", i, 1, i, 1, (moat_native_fn)host_yield,
                             NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "back", i,
                         1, i, 1, (moat_native_fn)host_back, NULL, &err),
                     MOAT_OK);
}

static void
world_free(World *w)
{
    moat_linker_free(w->l);
    moat_module_free(w->gen);
    moat_module_free(w->nest);
    moat_module_free(w->ys);
    moat_engine_free(w->e);
}

static moat_instance *
new_gen(World *w, uint32_t id)
{
    moat_instance *inst = NULL;
    moat_error     err = { 0 };
    moat_val       arg = i32(id);

    assert_int_equal(moat_instance_new(w->l, w->gen, &inst, &err), MOAT_OK);
    assert_int_equal(moat_instance_call(inst, "set_id", &arg, 1, NULL, 0,
                                        &err), MOAT_OK);
    return inst;
}

static moat_status
call1(moat_instance *inst, const char *name, uint32_t x, moat_val *res,
      moat_error *err)
{
    moat_val arg = i32(x);

    memset(err, 0, sizeof *err);
    return moat_instance_call(inst, name, &arg, 1, res, 1, err);
}

static moat_status
resume(moat_instance *inst, uint32_t v, moat_val *res, moat_error *err)
{
    memset(err, 0, sizeof *err);
    return moat_instance_resume(inst, i32(v), res, 1, err);
}

/* ---- yield and resume ---- */

/* Three generators on one thread, resumed in a scrambled order: each
 * yields its own sequence and sums what it was resumed with. */
static void
generators_interleave(World *w)
{
    enum { N = 3, STEPS = 5 };
    moat_instance *g[N];
    uint32_t       next[N] = { 0 }, sum[N] = { 0 };
    moat_error     err;
    moat_val       r;
    static const int order[] = { 1, 0, 2, 2, 0, 1, 1, 1, 0, 2, 0, 2, 1,
                                 0, 2 };

    for (int k = 0; k < N; k++) {
        g[k] = new_gen(w, (uint32_t)k + 1);
        assert_int_equal(call1(g[k], "gen", STEPS, &r, &err), MOAT_YIELDED);
        assert_int_equal(moat_instance_is_suspended(g[k]), 1);
        assert_int_equal(moat_instance_yielded(g[k]).type, MOAT_I32);
        assert_int_equal(moat_instance_yielded(g[k]).of.i32,
                         (uint32_t)(k + 1) * 100);
    }
    for (size_t s = 0; s < sizeof order / sizeof order[0]; s++) {
        int      k = order[s];
        uint32_t v = 1000 * (uint32_t)s + (uint32_t)k;     /* resume value */
        sum[k] += v;
        next[k]++;
        moat_status st = resume(g[k], v, &r, &err);
        if (next[k] < STEPS) {
            assert_int_equal(st, MOAT_YIELDED);
            assert_int_equal(moat_instance_yielded(g[k]).of.i32,
                             (uint32_t)(k + 1) * 100 + next[k]);
        } else {
            assert_int_equal(st, MOAT_OK);
            assert_int_equal(r.of.i32, sum[k]);
            assert_int_equal(moat_instance_is_suspended(g[k]), 0);
        }
    }
    for (int k = 0; k < N; k++) {
        assert_int_equal(next[k], STEPS);
        assert_int_equal(call1(g[k], "fib", 10, &r, &err), MOAT_OK);
        assert_int_equal(r.of.i32, 55);
        moat_instance_free(g[k]);
    }
}

static void
yield_and_resume_in_any_order(void **state)
{
    World w;

    (void)state;
    world_new(&w, 0);
    generators_interleave(&w);
    world_free(&w);
    world_new(&w, 1);                       /* a generic callback yields */
    generators_interleave(&w);
    moat_pool_stats ps;
    moat_engine_pool_stats(w.e, &ps);
    assert_int_equal(ps.live, 0);
    world_free(&w);
}

static void
suspended_instances(void **state)
{
    World      w;
    moat_error err;
    moat_val   r, two[2];

    (void)state;
    world_new(&w, 0);
    moat_instance *g = new_gen(&w, 1);
    /* nothing to resume */
    assert_int_equal(resume(g, 0, &r, &err), MOAT_ERR_LIMIT);
    assert_int_equal(moat_instance_yielded(g).type, 0);
    assert_int_equal(call1(g, "gen", 2, &r, &err), MOAT_YIELDED);
    /* no calls while suspended; a resume must take the call's results */
    assert_int_equal(call1(g, "fib", 3, &r, &err), MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "suspended"));
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_resume(g, i32(1), two, 2, &err),
                     MOAT_ERR_LINK);
    assert_int_equal(moat_instance_is_suspended(g), 1);
    /* reset discards the suspended call */
    assert_int_equal(moat_instance_reset(g, &err), MOAT_OK);
    assert_int_equal(moat_instance_is_suspended(g), 0);
    assert_int_equal(call1(g, "fib", 6, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 8);
    /* a trap after a resume ends the call; the instance stays usable */
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_call(g, "div", NULL, 0, &r, 1, &err),
                     MOAT_YIELDED);
    assert_int_equal(moat_instance_yielded(g).of.i32, 7);
    assert_int_equal(resume(g, 4, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 25);
    assert_int_equal(moat_instance_call(g, "div", NULL, 0, &r, 1, &err),
                     MOAT_YIELDED);
    assert_int_equal(resume(g, 0, &r, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_DIV_ZERO);
    assert_int_equal(call1(g, "fib", 7, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 13);
    /* freed while suspended: its frames are dropped */
    assert_int_equal(call1(g, "gen", 3, &r, &err), MOAT_YIELDED);
    moat_instance_free(g);
    world_free(&w);
}

/* ---- where yield is refused ---- */

static moat_instance *self;
static moat_status    inner_st;
static moat_error     inner_err;

/* Calls back into the running instance, whose generator then tries to
 * yield from a call that runs in place. */
static uint32_t
back_reenter(moat_caller *c, uint32_t x)
{
    moat_val r;

    (void)c;
    memset(&inner_err, 0, sizeof inner_err);
    moat_val arg = i32(x);
    inner_st = moat_instance_call(self, "gen", &arg, 1, &r, 1, &inner_err);
    return 5;
}

static void
yield_is_refused_where_it_cannot_work(void **state)
{
    World          w;
    moat_error     err = { 0 };
    moat_val       r;
    moat_instance *bad = NULL;

    (void)state;
    world_new(&w, 0);
    self = new_gen(&w, 1);
    back_hook = back_reenter;
    assert_int_equal(call1(self, "back", 2, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 5);
    assert_int_equal(inner_st, MOAT_ERR_TRAP);
    assert_int_equal(inner_err.trap, MOAT_TRAP_HOST);
    assert_non_null(strstr(inner_err.msg, "cannot yield"));
    moat_instance_free(self);

    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_new(w.l, w.ys, &bad, &err), MOAT_ERR_TRAP);
    assert_null(bad);
    assert_non_null(strstr(err.msg, "start functions"));
    world_free(&w);
}

/* ---- yields inside yields: A's host function drives B ---- */

static moat_instance *other;
static uint32_t       seen[8];
static int            nseen;

/* B yields to A's host function, which resumes it to the end; then A's
 * host function suspends A itself. */
static uint32_t
back_drive_other(moat_caller *c, uint32_t n)
{
    moat_error e = { 0 };
    moat_val   r, arg = i32(n);
    moat_status st = moat_instance_call(other, "gen", &arg, 1, &r, 1, &e);

    while (st == MOAT_YIELDED) {
        seen[nseen++] = moat_instance_yielded(other).of.i32;
        st = moat_instance_resume(other, i32(10), &r, 1, &e);
    }
    assert_int_equal(st, MOAT_OK);
    return r.of.i32 + moat_caller_yield(c, i32(77)).of.i32;
}

static void
yields_nest(void **state)
{
    World      w;
    moat_error err;
    moat_val   r;

    (void)state;
    world_new(&w, 0);
    moat_instance *a = new_gen(&w, 1);
    other = new_gen(&w, 2);
    back_hook = back_drive_other;
    nseen = 0;
    assert_int_equal(call1(a, "back", 3, &r, &err), MOAT_YIELDED);
    assert_int_equal(nseen, 3);
    assert_int_equal(seen[0], 200);
    assert_int_equal(seen[2], 202);
    assert_int_equal(moat_instance_yielded(a).of.i32, 77);
    assert_int_equal(moat_instance_is_suspended(other), 0);
    assert_int_equal(resume(a, 5, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 30 + 5);
    moat_instance_free(a);
    moat_instance_free(other);
    world_free(&w);
}

/* ---- traps in host -> wasm -> host -> wasm ---- */

static moat_instance *nest_inst[2];
static int            propagate;
static moat_error     deepest;

/* nest.wat's import: level n - 1 of the other instance. A trap below is
 * swallowed (recorded, 1000 returned) or passed on as a host trap. */
static uint32_t
host_down(moat_caller *c, uint32_t n)
{
    moat_instance *me = moat_caller_instance(c);
    moat_instance *peer = me == nest_inst[0] ? nest_inst[1] : nest_inst[0];
    moat_error     e = { 0 };
    moat_val       r, arg = i32(n);
    const char    *fn = n == 99 ? "deep" : "level";
    moat_status    st = moat_instance_call(peer, fn, n == 99 ? NULL : &arg,
                                           n == 99 ? 0 : 1, &r, 1, &e);

    if (st == MOAT_OK)
        return r.of.i32;
    assert_int_equal(st, MOAT_ERR_TRAP);
    if (deepest.code == MOAT_OK)
        deepest = e;
    if (propagate)
        moat_caller_trap(c, e.msg);
    return 1000;
}

static void
traps_end_the_innermost_call(void **state)
{
    moat_error err = { 0 };
    moat_val   r;
    World      w;

    (void)state;
    world_new(&w, 0);
    moat_linker *l;
    static const uint8_t i[] = { MOAT_I32 };
    assert_int_equal(moat_linker_new(w.e, &l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(l, "host", "down", i, 1,
                         i, 1, (moat_native_fn)host_down, NULL, &err),
                     MOAT_OK);
    for (int k = 0; k < 2; k++)
        assert_int_equal(moat_instance_new(l, w.nest, &nest_inst[k], &err),
                         MOAT_OK);
    /* A.level(3) -> B.level(2) -> A.level(1) -> B.level(0): 1 / 0 */
    propagate = 0;
    memset(&deepest, 0, sizeof deepest);
    assert_int_equal(call1(nest_inst[0], "level", 3, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1003);
    assert_int_equal(deepest.trap, MOAT_TRAP_DIV_ZERO);
    assert_non_null(strstr(deepest.msg, "integer divide by zero"));
    /* passed on: every level ends, the outermost with the host's trap */
    propagate = 1;
    memset(&deepest, 0, sizeof deepest);
    assert_int_equal(call1(nest_inst[0], "level", 5, &r, &err),
                     MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_HOST);
    assert_non_null(strstr(err.msg, "integer divide by zero"));
    /* B runs out of its own stack below A's host function: A goes on */
    propagate = 0;
    memset(&deepest, 0, sizeof deepest);
    assert_int_equal(call1(nest_inst[0], "level", 100, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1001);
    assert_int_equal(deepest.trap, MOAT_TRAP_STACK_EXHAUSTED);
    /* both still work */
    for (int k = 0; k < 2; k++) {
        memset(&deepest, 0, sizeof deepest);
        assert_int_equal(call1(nest_inst[k], "level", 1, &r, &err), MOAT_OK);
        assert_int_equal(r.of.i32, 1001);
        assert_int_equal(deepest.trap, MOAT_TRAP_DIV_ZERO);
    }
    for (int k = 0; k < 2; k++)
        moat_instance_free(nest_inst[k]);
    moat_linker_free(l);
    world_free(&w);
}

/* ---- threads ---- */

typedef struct Job {
    World         *w;
    uint32_t       id;
    moat_instance *handed;      /* suspended elsewhere, resumed here */
    uintptr_t      ok;
} Job;

/* Its own generators, interleaved, and fib, many times over. */
static void *
thread_main(void *p)
{
    Job           *j = p;
    moat_instance *g[3];
    moat_error     err;
    moat_val       r;
    uintptr_t      ok = 1;

    if (j->handed) {
        ok = resume(j->handed, 40, &r, &err) == MOAT_OK && r.of.i32 == 40;
        j->ok = ok;
        moatR_thread_release();
        return NULL;
    }
    for (int k = 0; k < 3; k++)
        g[k] = new_gen(j->w, j->id * 10 + (uint32_t)k);
    for (int round = 0; round < 200 && ok; round++) {
        for (int k = 0; k < 3 && ok; k++)
            ok = call1(g[k], "gen", 3, &r, &err) == MOAT_YIELDED;
        for (int step = 0; step < 3 && ok; step++)
            for (int k = 2; k >= 0 && ok; k--) {
                uint32_t want = (j->id * 10 + (uint32_t)k) * 100 +
                                (uint32_t)step;
                ok = moat_instance_yielded(g[k]).of.i32 == want;
                moat_status st = resume(g[k], 1, &r, &err);
                ok = ok && (step < 2 ? st == MOAT_YIELDED
                                     : st == MOAT_OK && r.of.i32 == 3);
            }
        ok = ok && call1(g[round % 3], "fib", 12, &r, &err) == MOAT_OK &&
             r.of.i32 == 144;
    }
    for (int k = 0; k < 3; k++)
        moat_instance_free(g[k]);
    j->ok = ok;
    moatR_thread_release();
    return NULL;
}

static void
two_threads_at_once(void **state)
{
    World      w;
    pthread_t  t[2];
    Job        job[2];
    moat_error err;
    moat_val   r;

    (void)state;
    world_new(&w, 0);
    for (int i = 0; i < 2; i++) {
        job[i] = (Job){ &w, (uint32_t)i + 1, NULL, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, &job[i]),
                         0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(job[i].ok);
    }
    /* suspended here, resumed on another thread */
    moat_instance *g = new_gen(&w, 5);
    assert_int_equal(call1(g, "gen", 1, &r, &err), MOAT_YIELDED);
    job[0] = (Job){ &w, 0, g, 0 };
    assert_int_equal(pthread_create(&t[0], NULL, thread_main, &job[0]), 0);
    assert_int_equal(pthread_join(t[0], NULL), 0);
    assert_true(job[0].ok);
    assert_int_equal(moat_instance_is_suspended(g), 0);
    moat_instance_free(g);
    world_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yield_and_resume_in_any_order),
        cmocka_unit_test(suspended_instances),
        cmocka_unit_test(yield_is_refused_where_it_cannot_work),
        cmocka_unit_test(yields_nest),
        cmocka_unit_test(traps_end_the_innermost_call),
        cmocka_unit_test(two_threads_at_once),
    };
    return cmocka_run_group_tests(tests, compile_guests, free_guests);
}
