/* test_multi.c - functions with two or more results (runtime/abi.h, "how
 * every function is called": a results area the caller provides), at -O0
 * and -O2: wasm to wasm directly and through a table, the runtime calling
 * wasm and host functions through the trampolines, wasm calling native
 * host functions, caller-aware ones and generic callbacks. Every value is
 * a signalling NaN or has all bits set: a copy keeps it bit for bit (the
 * old aggregate return handed a third float back through the x87 stack,
 * which quieted it). The guest is multi.wat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat.h"
#include "moat_compile.h"

#ifndef MULTI_WASM
#error "MULTI_WASM: path of multi.wasm"
#endif

enum { SLOT = 16 };             /* bytes per result in a results area */

static const uint32_t SNAN32 = 0x7fa00001u, SNAN32B = 0x7f800001u;
static const uint64_t SNAN64 = UINT64_C(0x7ff4000000000001);

static uint8_t *obj[2];         /* the guest at -O0 and -O2 */
static size_t   objlen[2];

static int
compile_guest(void **state)
{
    (void)state;
    obj[0] = moatT_compile_file(MULTI_WASM, 0, &objlen[0]);
    obj[1] = moatT_compile_file(MULTI_WASM, 2, &objlen[1]);
    return 0;
}

static int
free_guest(void **state)
{
    (void)state;
    moat_free(obj[0]);
    moat_free(obj[1]);
    return 0;
}

/* ---- host functions with the native signature ---- */

static int native_calls, caller_calls;

/* (a, b, c) -> (c, b, a) */
static void
host_native3(void *ctx, float a, double b, float c, void *results)
{
    uint8_t *r = results;

    assert_ptr_equal(ctx, &native_calls);
    native_calls++;
    memcpy(r, &c, sizeof c);
    memcpy(r + SLOT, &b, sizeof b);
    memcpy(r + 2 * SLOT, &a, sizeof a);
}

/* x -> (x + 1, x << 32 | 7) */
static void
host_caller2(moat_caller *c, uint32_t x, void *results)
{
    uint8_t *r = results;
    uint32_t a = x + 1;
    uint64_t b = (uint64_t)x << 32 | 7;

    assert_non_null(moat_caller_instance(c));
    caller_calls++;
    memcpy(r, &a, sizeof a);
    memcpy(r + SLOT, &b, sizeof b);
}

/* x -> (42, x, a signalling f64, all ones) */
static void
cb4(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
    moat_val *res, size_t nres)
{
    (void)c, (void)host_ctx;
    assert_int_equal(nargs, 1);
    assert_int_equal(nres, 4);
    assert_int_equal(res[0].type, MOAT_I32);
    assert_int_equal(res[1].type, MOAT_F32);
    assert_int_equal(res[2].type, MOAT_F64);
    assert_int_equal(res[3].type, MOAT_I64);
    res[0].of.i32 = 42;
    res[1].of.i32 = args[0].of.i32;
    res[2].of.i64 = SNAN64;
    res[3].of.i64 = UINT64_MAX;
}

typedef struct World {
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} World;

static void
world_new(World *w, int opt)
{
    static const uint8_t p3[] = { MOAT_F32, MOAT_F64, MOAT_F32 },
                         i[] = { MOAT_I32 }, iI[] = { MOAT_I32, MOAT_I64 },
                         f[] = { MOAT_F32 },
                         r4[] = { MOAT_I32, MOAT_F32, MOAT_F64, MOAT_I64 };
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, obj[opt], objlen[opt],
                                             &w->m, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func(w->l, "host", "native3", p3, 3,
                         p3, 3, (moat_native_fn)host_native3, &native_calls,
                         &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "caller2",
                         i, 1, iI, 2, (moat_native_fn)host_caller2, NULL,
                         &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(w->l, "host", "cb4", f, 1,
                         r4, 4, cb4, NULL, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w->l, w->m, &w->inst, &err), MOAT_OK);
}

static void
world_free(World *w)
{
    moat_instance_free(w->inst);
    moat_linker_free(w->l);
    moat_module_free(w->m);
    moat_engine_free(w->e);
}

static moat_val
val(uint8_t type, uint64_t bits)
{
    moat_val v;

    memset(&v, 0, sizeof v);
    v.type = type;
    if (type == MOAT_I32 || type == MOAT_F32)
        v.of.i32 = (uint32_t)bits;
    else
        v.of.i64 = bits;
    return v;
}

/* Calls name(a = SNAN32, b = SNAN64, c = SNAN32B[, idx]) and checks the
 * three results' bits: (a, b, c), or (c, b, a) when is_reversed. */
static void
check3(World *w, const char *name, int idx, bool is_reversed)
{
    moat_val   args[4] = { val(MOAT_F32, SNAN32), val(MOAT_F64, SNAN64),
                           val(MOAT_F32, SNAN32B), val(MOAT_I32, 0) };
    moat_val   r[3];
    moat_error err = { 0 };

    args[3].of.i32 = (uint32_t)idx;
    assert_int_equal(moat_instance_call(w->inst, name, args, idx < 0 ? 3 : 4,
                                        r, 3, &err), MOAT_OK);
    assert_int_equal(r[0].type, MOAT_F32);
    assert_int_equal(r[1].type, MOAT_F64);
    assert_int_equal(r[0].of.i32, is_reversed ? SNAN32B : SNAN32);
    assert_int_equal(r[1].of.i64, SNAN64);
    assert_int_equal(r[2].of.i32, is_reversed ? SNAN32 : SNAN32B);
}

/* ---- tests ---- */

static void
wasm_results_keep_their_bits(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        World w;
        world_new(&w, opt);
        check3(&w, "id3", -1, false);           /* runtime -> wasm */
        check3(&w, "id3_call", -1, false);      /* wasm -> wasm */
        check3(&w, "id3_indirect", 1, false);   /* through the table */
        world_free(&w);
    }
}

static void
twenty_results(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        World      w;
        moat_val   args[2] = { val(MOAT_F32, SNAN32), val(MOAT_F64, SNAN64) };
        moat_val   r[20];
        moat_error err = { 0 };

        world_new(&w, opt);
        assert_int_equal(moat_instance_call(w.inst, "many", args, 2, r, 20,
                                            &err), MOAT_OK);
        for (int i = 0; i < 20; i++) {
            if (i % 2 == 0)
                assert_int_equal(r[i].of.i32, SNAN32);
            else
                assert_int_equal(r[i].of.i64, SNAN64);
        }
        assert_int_equal(moat_instance_call(w.inst, "many_19th", args, 2, r,
                                            1, &err), MOAT_OK);
        assert_int_equal(r[0].of.i32, SNAN32);
        world_free(&w);
    }
}

static void
native_host_results(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        World w;
        world_new(&w, opt);
        native_calls = 0;
        check3(&w, "native3", -1, true);        /* runtime -> host */
        check3(&w, "native3_call", -1, true);   /* wasm -> host */
        check3(&w, "id3_indirect", 0, true);    /* table -> host */
        assert_int_equal(native_calls, 3);
        world_free(&w);
    }
}

static void
caller_and_callback_results(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        World      w;
        moat_val   a = val(MOAT_I32, 5), r[4];
        moat_error err = { 0 };

        world_new(&w, opt);
        caller_calls = 0;
        assert_int_equal(moat_instance_call(w.inst, "caller2", &a, 1, r, 2,
                                            &err), MOAT_OK);
        assert_int_equal(caller_calls, 1);
        assert_int_equal(r[0].of.i32, 6);
        assert_int_equal(r[1].of.i64, UINT64_C(5) << 32 | 7);
        a = val(MOAT_F32, SNAN32);
        assert_int_equal(moat_instance_call(w.inst, "cb4", &a, 1, r, 4, &err),
                         MOAT_OK);
        assert_int_equal(r[0].of.i32, 42);
        assert_int_equal(r[1].of.i32, SNAN32);
        assert_int_equal(r[2].of.i64, SNAN64);
        assert_int_equal(r[3].of.i64, UINT64_MAX);
        world_free(&w);
    }
}

static void
callback_result_limit(void **state)
{
    uint8_t      many[65];
    moat_engine *e;
    moat_linker *l;
    moat_error   err = { 0 };

    (void)state;
    memset(many, MOAT_I32, sizeof many);
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "ok", NULL, 0,
                         many, 64, cb4, NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "no", NULL, 0,
                         many, 65, cb4, NULL, &err), MOAT_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "64 results"));
    moat_linker_free(l);
    moat_engine_free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wasm_results_keep_their_bits),
        cmocka_unit_test(twenty_results),
        cmocka_unit_test(native_host_results),
        cmocka_unit_test(caller_and_callback_results),
        cmocka_unit_test(callback_result_limit),
    };
    return cmocka_run_group_tests(tests, compile_guest, free_guest);
}
