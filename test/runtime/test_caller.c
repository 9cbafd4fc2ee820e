/* test_caller.c - host functions that see their caller
 * (moat_linker_define_func_caller): guest memory through the caller,
 * per-definition data, the caller bound per importing instance (also
 * through a table), traps and exits raised by the host, traps named by
 * their wasm function, bounds-checked host access to guest memory, and
 * the engine's memory and stack limits, and generic callbacks through
 * libffi closures. The guest is caller.wat, compiled
 * here with the compiler library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat.h"
#include "guest_fx.h"
#include "moat_compile.h"

#ifndef CALLER_WASM
#error "CALLER_WASM: path of caller.wasm"
#endif

static uint8_t *obj;
static size_t   objlen;

static int
compile_guest(void **state)
{
    (void)state;
    /* -O0: no inlining, so that a trap's function is the one written */
    obj = moatT_compile_file(CALLER_WASM, 0, &objlen);
    return 0;
}

static int
free_guest(void **state)
{
    (void)state;
    moat_free(obj);
    return 0;
}

/* ---- host functions ---- */

static int tag_a = 'a', tag_b = 'b';

/* Sums n bytes of the caller's memory at p; traps on a bad range. */
static uint32_t
host_sum(moat_caller *c, uint32_t p, uint32_t n)
{
    uint64_t size;
    uint8_t *mem = moat_caller_memory(c, &size);
    if (!mem || (uint64_t)p + n > size)
        moat_caller_trap(c, "sum: range outside guest memory");
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += mem[p + i];
    return s;
}

static void
host_exit(moat_caller *c, uint32_t code)
{
    moat_caller_exit(c, code);
}

static void
host_fail(moat_caller *c)
{
    moat_caller_trap(c, "host says no");
}

/* The definition's data and the calling instance, as one number. */
static uint64_t
host_tag(moat_caller *c)
{
    int *tag = moat_caller_data(c);
    return (uint64_t)*tag << 32 | (uint32_t)(moat_caller_instance(c) != NULL);
}

typedef struct World {
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} World;

static void
define(moat_linker *l, int *tag)
{
    static const uint8_t ii[] = { MOAT_I32, MOAT_I32 }, i[] = { MOAT_I32 },
                         I[] = { MOAT_I64 };
    moat_error err = { 0 };
    assert_int_equal(moat_linker_define_func_caller(l, "host", "sum", ii, 2,
                         i, 1, (moat_native_fn)host_sum, NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(l, "host", "exit", i, 1,
                         NULL, 0, (moat_native_fn)host_exit, NULL, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(l, "host", "fail", NULL,
                         0, NULL, 0, (moat_native_fn)host_fail, NULL, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(l, "host", "tag", NULL, 0,
                         I, 1, (moat_native_fn)host_tag, tag, &err), MOAT_OK);
}

static void
world_new(World *w, uint64_t max_memory)
{
    moat_error err = { 0 };
    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    if (max_memory)
        moat_engine_set_max_memory(w->e, max_memory);
    assert_int_equal(moat_module_load_object(w->e, obj, objlen, &w->m, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    define(w->l, &tag_a);
    w->inst = NULL;
    if (moat_instance_new(w->l, w->m, &w->inst, &err) != MOAT_OK)
        w->inst = NULL;
}

static void
world_free(World *w)
{
    moat_instance_free(w->inst);
    moat_linker_free(w->l);
    moat_module_free(w->m);
    moat_engine_free(w->e);
}

static moat_status
call0(moat_instance *inst, const char *name, moat_val *res, size_t nres,
      moat_error *err)
{
    memset(err, 0, sizeof *err);
    return moat_instance_call(inst, name, NULL, 0, res, nres, err);
}

static moat_status
call1(moat_instance *inst, const char *name, uint32_t x, moat_val *res,
      size_t nres, moat_error *err)
{
    moat_val a = { .type = MOAT_I32 };
    a.of.i32 = x;
    memset(err, 0, sizeof *err);
    return moat_instance_call(inst, name, &a, 1, res, nres, err);
}

/* ---- tests ---- */

static void
caller_sees_guest_memory(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;

    (void)state;
    world_new(&w, 0);
    assert_non_null(w.inst);
    assert_int_equal(call0(w.inst, "sum_direct", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    /* through the table: the funcref carries the same caller */
    assert_int_equal(call0(w.inst, "sum_indirect", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    /* host writes, guest reads back through the host */
    uint8_t b[5] = { 10, 20, 30, 40, 50 };
    assert_int_equal(moat_instance_memory_write(w.inst, 16, b, 5, &err),
                     MOAT_OK);
    assert_int_equal(call0(w.inst, "sum_direct", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 150);
    world_free(&w);
}

static void
caller_data_is_per_definition(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;

    (void)state;
    world_new(&w, 0);
    assert_int_equal(call0(w.inst, "tag", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i64, (uint64_t)'a' << 32 | 1);
    /* a second linker with other data: its instance sees its own */
    moat_linker   *l2;
    moat_instance *i2;
    assert_int_equal(moat_linker_new(w.e, &l2, &err), MOAT_OK);
    define(l2, &tag_b);
    assert_int_equal(moat_instance_new(l2, w.m, &i2, &err), MOAT_OK);
    assert_int_equal(call0(i2, "tag", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i64, (uint64_t)'b' << 32 | 1);
    assert_int_equal(call0(w.inst, "tag", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i64, (uint64_t)'a' << 32 | 1);
    moat_instance_free(i2);
    moat_linker_free(l2);
    world_free(&w);
}

static void
host_traps_and_exits(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;

    (void)state;
    world_new(&w, 0);
    assert_int_equal(call0(w.inst, "fail", NULL, 0, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_HOST);
    assert_string_equal(err.msg, "host says no");
    assert_int_equal(call0(w.inst, "sum_oob", &r, 1, &err), MOAT_ERR_TRAP);
    assert_string_equal(err.msg, "sum: range outside guest memory");
    assert_int_equal(call1(w.inst, "exit", 33, NULL, 0, &err),
                     MOAT_ERR_EXIT);
    assert_int_equal(err.exit_code, 33);
    assert_int_equal(err.func, MOAT_NO_FUNC);
    assert_int_equal(call1(w.inst, "exit", 0, NULL, 0, &err), MOAT_ERR_EXIT);
    assert_int_equal(err.exit_code, 0);
    /* the instance still works */
    assert_int_equal(call0(w.inst, "sum_direct", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    world_free(&w);
}

static void
traps_name_their_function(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;
    char       buf[16];

    (void)state;
    world_new(&w, 0);
    assert_int_equal(call0(w.inst, "oob", NULL, 0, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_MEMORY_OOB);
    assert_string_equal(err.msg,
                        "out of bounds memory access in function deep_inside");
    assert_string_equal(moat_instance_func_name(w.inst, err.func, buf,
                                                sizeof buf), "deep_inside");
    /* no name section entry: the export name, else the index */
    assert_string_equal(moat_instance_func_name(w.inst, 11, buf, sizeof buf),
                        "oob");
    assert_string_equal(moat_instance_func_name(w.inst, 1000, buf,
                                                sizeof buf), "#1000");
    /* stack exhaustion names the recursive function */
    assert_int_equal(call1(w.inst, "down", 100000000, &r, 1, &err),
                     MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_STACK_EXHAUSTED);
    assert_non_null(strstr(err.msg, "in function down"));
    world_free(&w);
}

static void
host_memory_access_is_bounds_checked(void **state)
{
    World      w;
    moat_error err = { 0 };
    uint8_t    b[8] = { 0 };
    uint64_t   size;

    (void)state;
    world_new(&w, 0);
    assert_non_null(moat_instance_memory(w.inst, &size));
    assert_int_equal(size, 65536);
    assert_int_equal(moat_instance_memory_read(w.inst, 65528, b, 8, &err),
                     MOAT_OK);
    assert_int_equal(moat_instance_memory_read(w.inst, 65529, b, 8, &err),
                     MOAT_ERR_LIMIT);
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_memory_write(w.inst, UINT64_MAX - 2, b, 8,
                                                &err), MOAT_ERR_LIMIT);
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_memory_read(w.inst, 16, b, 5, &err),
                     MOAT_OK);
    assert_int_equal(b[4], 5);
    world_free(&w);
}

static void
engine_limits_memory(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;

    (void)state;
    /* 2 pages and room for the instance data (limits.c): one budget */
    world_new(&w, 2 * 65536 + 32768);
    assert_non_null(w.inst);
    assert_int_equal(call1(w.inst, "grow", 1, &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1);
    assert_int_equal(call1(w.inst, "grow", 1, &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, UINT32_MAX);     /* past the limit: -1 */
    world_free(&w);
    /* a minimum above the limit: the instance is refused */
    world_new(&w, 32768);
    assert_null(w.inst);
    moat_error e2 = { 0 };
    moat_instance *i2 = NULL;
    assert_int_equal(moat_instance_new(w.l, w.m, &i2, &e2), MOAT_ERR_LIMIT);
    assert_non_null(strstr(e2.msg, "memory of 1 pages (64 KiB) exceeds "
                                   "the memory limit of 32 KiB"));
    world_free(&w);
}

static void
engine_limits_stack(void **state)
{
    World      w;
    moat_val   r;
    moat_error err;

    (void)state;
    world_new(&w, 0);
    assert_int_equal(call1(w.inst, "down", 20000, &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 20000);
    moat_engine_set_stack_size(w.e, 64 << 10);
    assert_int_equal(call1(w.inst, "down", 20000, &r, 1, &err),
                     MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_STACK_EXHAUSTED);
    moat_engine_set_stack_size(w.e, 8 << 20);
    assert_int_equal(call1(w.inst, "down", 20000, &r, 1, &err), MOAT_OK);
    world_free(&w);
}

/* ---- the same imports as generic callbacks (libffi closures) ---- */

static void
cb_sum(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
       moat_val *res, size_t nres)
{
    assert_int_equal(nargs, 2);
    assert_int_equal(nres, 1);
    assert_int_equal(args[0].type, MOAT_I32);
    assert_int_equal(res[0].type, MOAT_I32);
    *(int *)host_ctx += 1;                      /* counts the calls */
    res[0].of.i32 = host_sum(c, args[0].of.i32, args[1].of.i32);
}

static void
cb_exit(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
        moat_val *res, size_t nres)
{
    (void)host_ctx, (void)nargs, (void)res, (void)nres;
    moat_caller_exit(c, args[0].of.i32 + 1);
}

static void
cb_fail(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
        moat_val *res, size_t nres)
{
    (void)host_ctx, (void)args, (void)nargs, (void)res, (void)nres;
    moat_caller_trap(c, "callback says no");
}

static void
cb_tag(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
       moat_val *res, size_t nres)
{
    (void)c, (void)args, (void)nargs, (void)nres;
    res[0].of.i64 = UINT64_C(0x1122334455667788) + *(int *)host_ctx;
}

static void
generic_callbacks(void **state)
{
    static const uint8_t ii[] = { MOAT_I32, MOAT_I32 }, i[] = { MOAT_I32 },
                         I[] = { MOAT_I64 }, v[] = { MOAT_V128 };
    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
    moat_error     err = { 0 };
    moat_val       r;
    int            calls = 0;

    (void)state;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(e, obj, objlen, &m, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "sum", ii, 2, i,
                         1, cb_sum, &calls, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "exit", i, 1,
                         NULL, 0, cb_exit, NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "fail", NULL, 0,
                         NULL, 0, cb_fail, NULL, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(l, "host", "tag", NULL, 0,
                         I, 1, cb_tag, &calls, &err), MOAT_OK);
    /* what libffi cannot pass is refused, not miscompiled */
    assert_int_equal(moat_linker_define_callback(l, "host", "vec", v, 1,
                         NULL, 0, cb_fail, NULL, &err), MOAT_ERR_LIMIT);
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    assert_int_equal(call0(inst, "sum_direct", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    assert_int_equal(call0(inst, "sum_indirect", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    assert_int_equal(calls, 2);
    assert_int_equal(call0(inst, "tag", &r, 1, &err), MOAT_OK);
    assert_int_equal(r.of.i64, UINT64_C(0x1122334455667788) + 2);
    assert_int_equal(call0(inst, "sum_oob", &r, 1, &err), MOAT_ERR_TRAP);
    assert_string_equal(err.msg, "sum: range outside guest memory");
    assert_int_equal(call0(inst, "fail", NULL, 0, &err), MOAT_ERR_TRAP);
    assert_string_equal(err.msg, "callback says no");
    assert_int_equal(call1(inst, "exit", 6, NULL, 0, &err), MOAT_ERR_EXIT);
    assert_int_equal(err.exit_code, 7);
    moat_instance_free(inst);
    moat_linker_free(l);                /* frees the closures */
    moat_module_free(m);
    moat_engine_free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(caller_sees_guest_memory),
        cmocka_unit_test(caller_data_is_per_definition),
        cmocka_unit_test(host_traps_and_exits),
        cmocka_unit_test(traps_name_their_function),
        cmocka_unit_test(host_memory_access_is_bounds_checked),
        cmocka_unit_test(engine_limits_memory),
        cmocka_unit_test(engine_limits_stack),
        cmocka_unit_test(generic_callbacks),
    };
    return cmocka_run_group_tests(tests, compile_guest, free_guest);
}
