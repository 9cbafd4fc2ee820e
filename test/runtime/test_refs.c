/* test_refs.c - function references that outlive their instance
 * (runtime/funcref.c, docs/runtime.md "Lifetimes"). Instance A
 * (reflib.wat) owns a table and funcref globals; tenants (reftenant.wat)
 * store references to their own function into them, and into the host's
 * table and global, by every path there is. A tenant is freed and the
 * next one moves into its pool slot: every call through the stored
 * references must trap with MOAT_TRAP_STALE_REF and never run the new
 * tenant's code. Nothing may leak: no cycle keeps an instance alive, the
 * slots come back, and every allocation is freed (counted through the
 * allocator hook). Guests compiled at -O0 and -O2 (-O2 inlines the own
 * table.set / global.set fast path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>

#include "moat_compile.h"
#include "guest_fx.h"
#include "runtime.h"

#ifndef REFLIB_WASM
#error "REFLIB_WASM, REFTENANT_WASM: paths of the guests"
#endif

enum { NOPT = 2 };
static const int opt_levels[NOPT] = { 0, 2 };
static uint8_t  *lib_obj[NOPT], *ten_obj[NOPT], *relay_obj, *ruser_obj;
static size_t    lib_len[NOPT], ten_len[NOPT], relay_len, ruser_len;

/* ---- counting allocator: live allocations of the library; what is
 * freed is poisoned first, so that a use after free shows ---- */

static long live_allocs;

static void *
counting_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        if (ptr) {
            live_allocs--;
            memset(ptr, 0xdd, malloc_usable_size(ptr));
        }
        free(ptr);
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p && !ptr)
        live_allocs++;
    return p;
}

static int
compile_guests(void **state)
{
    (void)state;
    for (int i = 0; i < NOPT; i++) {
        lib_obj[i] = moatT_compile_file(REFLIB_WASM, opt_levels[i],
                                        &lib_len[i]);
        ten_obj[i] = moatT_compile_file(REFTENANT_WASM, opt_levels[i],
                                        &ten_len[i]);
    }
    relay_obj = moatT_compile_file(REFRELAY_WASM, 2, &relay_len);
    ruser_obj = moatT_compile_file(REFRELAYUSER_WASM, 2, &ruser_len);
    return 0;
}

static int
free_guests(void **state)
{
    (void)state;
    for (int i = 0; i < NOPT; i++) {
        moat_free(lib_obj[i]);
        moat_free(ten_obj[i]);
    }
    moat_free(relay_obj);
    moat_free(ruser_obj);
    return 0;
}

/* ---- the world: engine, A, a linker with the host's parts ---- */

static uint32_t
host_seven(void *ctx)
{
    (void)ctx;
    return 77;
}

static uint32_t
host_who(moat_caller *c)
{
    (void)moat_caller_instance(c);
    return 55;
}

static void
host_pause(moat_caller *c)
{
    moat_val v = { .type = MOAT_I32 };

    moat_caller_yield(c, v);
}

typedef struct World {
    moat_engine   *e;
    moat_module   *lib, *ten;
    moat_linker   *l;
    moat_instance *a;
    uint32_t       off;         /* host.off as defined last, or 0 */
} World;

static const uint8_t r_i32[] = { MOAT_I32 };

static void
world_new(World *w, int opt)
{
    moat_error err = { 0 };
    moat_val   null_ref = { .type = MOAT_FUNCREF };

    w->off = 0;
    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, lib_obj[opt],
                                             lib_len[opt], &w->lib, &err),
                     MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, ten_obj[opt],
                                             ten_len[opt], &w->ten, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_table(w->l, "host", "table",
                                              MOAT_FUNCREF, 4, 4, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_global(w->l, "host", "g", null_ref,
                                               1, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func(w->l, "host", "seven", NULL, 0,
                                             r_i32, 1,
                                             (moat_native_fn)host_seven,
                                             NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "who",
                                                    NULL, 0, r_i32, 1,
                                                    (moat_native_fn)host_who,
                                                    NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "pause",
                                                    NULL, 0, NULL, 0,
                                                    (moat_native_fn)
                                                        host_pause,
                                                    NULL, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w->l, w->lib, &w->a, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_instance(w->l, "lib", w->a, &err),
                     MOAT_OK);
}

static void
world_free(World *w)
{
    moat_instance_free(w->a);
    moat_linker_free(w->l);
    moat_module_free(w->lib);
    moat_module_free(w->ten);
    moat_engine_free(w->e);
}

static uint32_t
live_instances(World *w)
{
    moat_pool_stats st;

    moat_engine_pool_stats(w->e, &st);
    return st.live;
}

/* Calls name with up to two i32 arguments; its i32 result, if any, in
 * *res. */
static moat_status
call(moat_instance *inst, const char *name, int nargs, uint32_t a0,
     uint32_t a1, uint32_t *res, moat_error *err)
{
    moat_val args[2] = { { .type = MOAT_I32, .of.i32 = a0 },
                         { .type = MOAT_I32, .of.i32 = a1 } };
    moat_val r;

    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_call(inst, name, args, (size_t)nargs, &r,
                                        res ? 1 : 0, err);
    if (st == MOAT_OK && res)
        *res = r.of.i32;
    return st;
}

static void
ok(moat_instance *inst, const char *name, int nargs, uint32_t a0,
   uint32_t a1)
{
    moat_error err;

    if (call(inst, name, nargs, a0, a1, NULL, &err) != MOAT_OK)
        fail_msg("%s: %s", name, err.msg);
}

/* A tenant whose active segment writes A's table at off, with id. */
static moat_instance *
tenant(World *w, uint32_t off, uint32_t id)
{
    moat_error     err = { 0 };
    moat_val       v = { .type = MOAT_I32, .of.i32 = off };
    moat_instance *t = NULL;

    if (w->off != off)          /* shadows the last definition */
        assert_int_equal(moat_linker_define_global(w->l, "host", "off", v,
                                                   0, &err), MOAT_OK);
    w->off = off;
    if (moat_instance_new(w->l, w->ten, &t, &err) != MOAT_OK)
        fail_msg("tenant: %s", err.msg);
    ok(t, "set_id", 1, id, 0);
    return t;
}

/* What a call through A gives: the result, or the trap (+ 1000). */
static uint32_t
through(World *w, const char *name, int nargs, uint32_t i)
{
    moat_error err;
    uint32_t   r = 0;

    if (call(w->a, name, nargs, i, 0, &r, &err) == MOAT_OK)
        return r;
    assert_int_equal(err.code, MOAT_ERR_TRAP);
    return 1000 + err.trap;
}

#define STALE (1000 + MOAT_TRAP_STALE_REF)

/* Indexes of A's table the tenant writes with its own function. */
static const uint32_t mine_at[] = { 1, 2, 3, 4, 5, 6, 7, 32, 33 };
static const char *const mine_via[] = { "call_g", "call_g2",
                                        "call_hg" };

/* The tenant stores $mine everywhere (and the host functions at 8, 9). */
static void
store_everywhere(World *w, moat_instance *b)
{
    moat_error err;
    uint32_t   r = 0;

    ok(b, "by_set", 1, 2, 0);
    ok(b, "by_fill", 2, 3, 2);
    ok(b, "by_copy", 1, 5, 0);
    ok(b, "by_init", 1, 6, 0);
    ok(b, "by_call", 1, 7, 0);
    ok(b, "host_fn", 1, 8, 0);
    ok(b, "caller_fn", 1, 9, 0);
    assert_int_equal(call(b, "by_grow", 1, 2, 0, &r, &err), MOAT_OK);
    assert_int_equal(r, 32);
    ok(b, "by_global", 0, 0, 0);
    ok(b, "by_call_global", 0, 0, 0);
    ok(b, "by_host_table", 1, 0, 0);
    ok(b, "by_host_global", 0, 0, 0);
    (void)w;
}

static void
stale_refs_trap(int opt)
{
    World w;

    world_new(&w, opt);
    moat_instance *b = tenant(&w, 1, 42);
    Slot          *slot = b->slot;
    assert_non_null(slot);
    store_everywhere(&w, b);
    for (size_t i = 0; i < sizeof mine_at / sizeof mine_at[0]; i++)
        assert_int_equal(through(&w, "call", 1, mine_at[i]), 42);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(through(&w, mine_via[i], 0, 0), 42);
    assert_int_equal(through(&w, "call_host_table", 1, 0), 42);
    assert_int_equal(through(&w, "call", 1, 8), 77);
    assert_int_equal(through(&w, "call", 1, 9), 55);
    assert_int_equal(live_instances(&w), 2);

    moat_instance_free(b);
    assert_int_equal(live_instances(&w), 1);
    moat_instance *c = tenant(&w, 20, 666);
    assert_ptr_equal(c->slot, slot);    /* B's slot, reused */
    assert_int_equal(through(&w, "call", 1, 20), 666);  /* C's own */
    for (size_t i = 0; i < sizeof mine_at / sizeof mine_at[0]; i++)
        assert_int_equal(through(&w, "call", 1, mine_at[i]), STALE);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(through(&w, mine_via[i], 0, 0), STALE);
    assert_int_equal(through(&w, "call_host_table", 1, 0), STALE);
    /* the host function lives on (the linker holds it); the caller-aware
     * one was bound to B */
    assert_int_equal(through(&w, "call", 1, 8), 77);
    assert_int_equal(through(&w, "call", 1, 9), STALE);
    /* the message names the function that called */
    moat_error err;
    uint32_t   r;
    assert_int_equal(call(w.a, "call", 1, 2, 0, &r, &err), MOAT_ERR_TRAP);
    assert_non_null(strstr(err.msg, "call to a function of a freed instance "
                               "in function"));

    /* C overwrites two stale elements, A one: they go, the rest stays */
    ok(c, "by_set", 1, 2, 0);
    ok(w.a, "own", 1, 3, 0);
    assert_int_equal(through(&w, "call", 1, 2), 666);
    assert_int_equal(through(&w, "call", 1, 3), 7);
    assert_int_equal(through(&w, "call", 1, 4), STALE);
    moat_instance_free(c);
    assert_int_equal(through(&w, "call", 1, 2), STALE);

    /* the host function's definition goes with the linker */
    moat_linker_free(w.l);
    w.l = NULL;
    assert_int_equal(through(&w, "call", 1, 8), STALE);
    world_free(&w);
}

static void
stale_refs_trap_O0(void **state)
{
    (void)state;
    stale_refs_trap(0);
}

static void
stale_refs_trap_O2(void **state)
{
    (void)state;
    stale_refs_trap(1);
}

/* B imports A's table and stores into it (A's table -> B's reference,
 * B -> A through the import): freed in either order, everything goes. */
static void
no_cycle_keeps_instances(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        World w;
        live_allocs = 0;
        moat_set_allocator(counting_alloc, NULL);
        world_new(&w, order);
        moat_instance *b = tenant(&w, 1, 42);
        store_everywhere(&w, b);
        moat_linker_free(w.l);          /* it held A and the host parts */
        w.l = NULL;
        if (order == 0) {
            moat_instance_free(w.a);    /* B still imports it */
            assert_int_equal(live_instances(&w), 2);
            moat_instance_free(b);
        } else {
            moat_instance_free(b);
            assert_int_equal(through(&w, "call", 1, 2), STALE);
            moat_instance_free(w.a);
        }
        w.a = NULL;
        assert_int_equal(live_instances(&w), 0);
        world_free(&w);
        moat_set_allocator(NULL, NULL);
        assert_int_equal(live_allocs, 0);
    }
}

/* A server's churn: tenant after tenant stores into A's table, globals
 * and the host's, and is freed. Nothing accumulates: a stale element's
 * proxy goes (through the quarantine, which holds at most 64 here) when
 * the next tenant overwrites it. */
static void
churn_does_not_accumulate(void **state)
{
    World w;
    long  after_first = 0;

    (void)state;
    live_allocs = 0;
    moat_set_allocator(counting_alloc, NULL);
    world_new(&w, 1);
    for (uint32_t k = 0; k < 300; k++) {
        moat_instance *b = tenant(&w, 1, k);
        ok(b, "by_set", 1, 2, 0);
        ok(b, "by_call", 1, 7, 0);
        ok(b, "by_global", 0, 0, 0);
        ok(b, "by_host_table", 1, 0, 0);
        assert_int_equal(through(&w, "call", 1, 2), k);
        moat_instance_free(b);
        assert_int_equal(through(&w, "call", 1, 7), STALE);
        if (k == 0)
            after_first = live_allocs;
        assert_true(live_allocs <= after_first + 64);
    }
    assert_int_equal(live_instances(&w), 1);
    world_free(&w);
    moat_set_allocator(NULL, NULL);
    assert_int_equal(live_allocs, 0);
}

/* A reference held only in the frames of a suspended run: A takes B's
 * reference out of its table and yields; B is freed (round 1: then
 * tenants come and go, their proxies reusing memory, and one stays);
 * when A resumes, its call traps - it must neither read freed memory
 * (poisoned here) nor reach the tenant that stayed. */
static void
suspended_runs_keep_what_they_hold(void **state)
{
    moat_val args[1] = { { .type = MOAT_I32, .of.i32 = 1 } };
    moat_val none = { .type = MOAT_I32 }, r;
    uint32_t got = 0;

    (void)state;
    for (int round = 0; round < 2; round++) {
        World      w;
        moat_error err = { 0 };
        live_allocs = 0;
        moat_set_allocator(counting_alloc, NULL);
        world_new(&w, 1);
        moat_instance *b = tenant(&w, 1, 42);   /* its segment: at 1 */
        assert_int_equal(moat_instance_call(w.a, "hold", args, 1, &r, 1,
                                            &err), MOAT_YIELDED);
        moat_instance_free(b);
        moat_instance *d = NULL;
        for (uint32_t k = 0; round == 1 && k < 200; k++) {
            moat_instance *t = tenant(&w, 1, 100 + k);
            ok(t, "by_set", 1, 3, 0);
            ok(t, "by_global", 0, 0, 0);
            moat_instance_free(t);
        }
        if (round == 1) {
            d = tenant(&w, 1, 999);
            ok(d, "by_set", 1, 3, 0);
            ok(d, "by_set", 1, 4, 0);
        }
        memset(&err, 0, sizeof err);
        assert_int_equal(moat_instance_resume(w.a, none, &r, 1, &err),
                         MOAT_ERR_TRAP);
        assert_int_equal(err.trap, MOAT_TRAP_STALE_REF);
        if (d) {
            assert_int_equal(call(w.a, "call", 1, 3, 0, &got, &err),
                             MOAT_OK);
            assert_int_equal(got, 999);
        }
        moat_instance_free(d);
        world_free(&w);
        moat_set_allocator(NULL, NULL);
        assert_int_equal(live_allocs, 0);
    }
}

/* R re-exports A's global; C stores R's function into it through R's
 * export: the global is still A's, so the reference is counted, and
 * stale once R is gone. */
static void
reexported_globals_keep_their_owner(void **state)
{
    World          w;
    moat_error     err = { 0 };
    moat_module   *rm, *um;
    moat_instance *r = NULL, *c = NULL;

    (void)state;
    world_new(&w, 1);
    assert_int_equal(moat_module_load_object(w.e, relay_obj, relay_len, &rm,
                                             &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w.e, ruser_obj, ruser_len, &um,
                                             &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w.l, rm, &r, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_instance(w.l, "relay", r, &err),
                     MOAT_OK);
    assert_int_equal(moat_instance_new(w.l, um, &c, &err), MOAT_OK);
    ok(c, "store", 0, 0, 0);
    assert_int_equal(through(&w, "call_g", 0, 0), 31);
    moat_instance_free(c);
    moat_instance_free(r);
    moat_linker_free(w.l);              /* the last to hold R */
    w.l = NULL;
    assert_int_equal(live_instances(&w), 1);
    assert_int_equal(through(&w, "call_g", 0, 0), STALE);
    moat_module_free(rm);
    moat_module_free(um);
    world_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_refs_trap_O0),
        cmocka_unit_test(stale_refs_trap_O2),
        cmocka_unit_test(no_cycle_keeps_instances),
        cmocka_unit_test(churn_does_not_accumulate),
        cmocka_unit_test(suspended_runs_keep_what_they_hold),
        cmocka_unit_test(reexported_globals_keep_their_owner),
    };
    return cmocka_run_group_tests(tests, compile_guests, free_guests);
}
