/* test_memory.c - memory.c and the memory paths of the fault handler:
 * reservations with a context prefix, memory.grow within the declared
 * maximum and the reservation (spec 4.5.3.5 growmem), fresh pages zeroed,
 * out-of-bounds accesses of compiled code trapping "out of bounds memory
 * access", memory.size/grow through the helper, and a memory shared with
 * an importing instance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

#define PAGE MOAT_PAGE_SIZE

static MoatMemory *
ctx_mem(void *ctx)
{
    MoatMemory *m;

    memcpy(&m, (uint8_t *)ctx + MOAT_CTX_MEMORY, sizeof m);
    return m;
}

/* Compiled code of a module with its own memory: ctx is the heap base. */
/* Wasm loads need no alignment: memcpy, as compiled code does. */
WASM static uint32_t
load32(void *ctx, uint32_t addr)
{
    uint32_t v;

    __builtin_memcpy(&v, (uint8_t *)ctx + addr, 4);
    return v;
}

WASM static void
store8(void *ctx, uint32_t addr, uint32_t v)
{
    *(volatile uint8_t *)((uint8_t *)ctx + addr) = (uint8_t)v;
}

/* ... and of one that imports it: the base comes from its MoatMemory. */
WASM static uint32_t
load32_imported(void *ctx, uint32_t addr)
{
    uint32_t v;

    __builtin_memcpy(&v, ctx_mem(ctx)->base + addr, 4);
    return v;
}

WASM static uint32_t
mem_grow(void *ctx, uint32_t delta)
{
    return moatR_memory_grow(ctx, delta);
}

WASM static uint32_t
mem_size(void *ctx)
{
    return (uint32_t)(ctx_mem(ctx)->size / PAGE);
}

static void
grow_within_limits(void **state)
{
    moat_error err = { 0 };
    Memory    *mem = moatR_memory_new(100, 2, 5, true, 16 * PAGE, 65536, &err);

    (void)state;
    assert_non_null(mem);
    MoatMemory *m = &mem->m;
    assert_int_equal(m->size, 2 * PAGE);
    assert_int_equal(m->max_pages, 5);
    assert_int_equal(m->reserve, 16 * PAGE);
    assert_true(m->base == mem->map + 4096);            /* prefix rounded */
    memset(mem->map, 0xab, 4096);                       /* prefix is RW */
    assert_int_equal(m->base[2 * PAGE - 1], 0);
    m->base[2 * PAGE - 1] = 7;
    assert_int_equal(moatR_memory_grow_by(m, 0), 2);
    assert_int_equal(moatR_memory_grow_by(m, 4), UINT32_MAX);  /* past max */
    assert_int_equal(m->size, 2 * PAGE);
    assert_int_equal(moatR_memory_grow_by(m, 3), 2);
    assert_int_equal(moatR_memory_pages(m), 5);
    assert_int_equal(m->base[5 * PAGE - 1], 0);         /* new pages zero */
    m->base[5 * PAGE - 1] = 1;
    assert_int_equal(m->base[2 * PAGE - 1], 7);         /* base never moved */
    assert_int_equal(moatR_memory_grow_by(m, 1), UINT32_MAX);
    assert_int_equal(moatR_memory_grow_by(m, UINT32_MAX), UINT32_MAX);
    moatR_memory_free(mem);
    moatR_memory_free(NULL);
}

static void
no_maximum_stops_at_the_reservation(void **state)
{
    moat_error err = { 0 };
    Memory    *mem = moatR_memory_new(0, 0, 0, false, 8 * PAGE, 4096, &err);

    (void)state;
    assert_non_null(mem);
    assert_int_equal(mem->m.max_pages, 8);
    assert_int_equal(moatR_memory_grow_by(&mem->m, 8), 0);
    assert_int_equal(moatR_memory_grow_by(&mem->m, 1), UINT32_MAX);
    moatR_memory_free(mem);

    mem = moatR_memory_new(0, 1, 0, false, MOAT_HEAP_RESERVE, MOAT_HEAP_GUARD,
                           &err);
    assert_non_null(mem);
    assert_int_equal(mem->m.max_pages, MOAT_MAX_PAGES);
    moatR_memory_free(mem);

    mem = moatR_memory_new(0, 9, 0, false, 8 * PAGE, 4096, &err);
    assert_null(mem);
    assert_int_equal(err.code, MOAT_ERR_LIMIT);
}

typedef struct Env {
    moat_engine   *e;
    Fake           f;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} Env;

static Env *
env_new(uint64_t min, uint64_t max)
{
    Env       *v = calloc(1, sizeof *v);
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&v->e, &err), MOAT_OK);
    fake_register_code();
    fake_init(&v->f);
    fake_memory(&v->f, min, max);
    fake_export(&v->f, "mem", K_MEMORY, 0);
    fake_export(&v->f, "load", K_FUNC,
                fake_func(&v->f, "i:i", (void (*)(void))load32));
    fake_export(&v->f, "store", K_FUNC,
                fake_func(&v->f, "ii:", (void (*)(void))store8));
    fake_export(&v->f, "grow", K_FUNC,
                fake_func(&v->f, "i:i", (void (*)(void))mem_grow));
    fake_export(&v->f, "size", K_FUNC,
                fake_func(&v->f, ":i", (void (*)(void))mem_size));
    fake_data(&v->f, S_ACTIVE, 8, "\x2a\0\0\0", 4);
    v->m = fake_module(v->e, &v->f);
    assert_int_equal(moat_linker_new(v->e, &v->l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(v->l, v->m, &v->inst, &err), MOAT_OK);
    return v;
}

static void
env_free(Env *v)
{
    moat_instance_free(v->inst);
    moat_linker_free(v->l);
    moat_module_free(v->m);
    moat_engine_free(v->e);
    free(v);
}

static moat_status
call(moat_instance *inst, const char *name, uint32_t x, moat_val *res,
     moat_error *err)
{
    moat_val arg = fake_val_i32(x);
    return moat_instance_call(inst, name, &arg, 1, res, 1, err);
}

static void
out_of_bounds_traps(void **state)
{
    Env       *v = env_new(1, 3);
    moat_error err = { 0 };
    moat_val   r;

    (void)state;
    assert_int_equal(call(v->inst, "load", 8, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 42);                     /* data segment */
    assert_int_equal(call(v->inst, "load", PAGE - 4, &r, &err), MOAT_OK);
    assert_int_equal(call(v->inst, "load", PAGE - 2, &r, &err),
                     MOAT_ERR_TRAP);
    fake_assert_trap(&err, MOAT_TRAP_MEMORY_OOB);
    uint32_t far[] = { PAGE, 3 * PAGE, 0x80000000u, 0xfffffffcu };
    for (size_t i = 0; i < LEN(far); i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(call(v->inst, "load", far[i], &r, &err),
                         MOAT_ERR_TRAP);
        assert_string_equal(err.msg, "out of bounds memory access");
    }
    env_free(v);
}

static void
grow_opens_pages(void **state)
{
    Env       *v = env_new(1, 3);
    moat_error err = { 0 };
    moat_val   r;

    (void)state;
    assert_int_equal(moat_instance_call(v->inst, "size", NULL, 0, &r, 1,
                                        &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1);
    assert_int_equal(call(v->inst, "grow", 1, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1);
    assert_int_equal(call(v->inst, "load", PAGE, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 0);
    assert_int_equal(call(v->inst, "grow", 2, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, UINT32_MAX);             /* max is 3 */
    assert_int_equal(call(v->inst, "grow", 1, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 2);
    assert_int_equal(call(v->inst, "load", 3 * PAGE - 4, &r, &err), MOAT_OK);
    assert_int_equal(call(v->inst, "load", 3 * PAGE, &r, &err),
                     MOAT_ERR_TRAP);
    env_free(v);
}

static void
imported_memory_is_shared(void **state)
{
    Env           *v = env_new(1, UINT64_MAX);
    Fake           g;
    moat_module   *m2;
    moat_instance *i2;
    moat_error     err = { 0 };
    moat_val       r, args[2] = { fake_val_i32(100), fake_val_i32(0x5a) };

    (void)state;
    fake_init(&g);
    fake_import_memory(&g, "a", "mem", 1, UINT64_MAX);
    fake_export(&g, "load", K_FUNC,
                fake_func(&g, "i:i", (void (*)(void))load32_imported));
    m2 = fake_module(v->e, &g);
    assert_int_equal(moat_linker_define_instance(v->l, "a", v->inst, &err),
                     MOAT_OK);
    assert_int_equal(moat_instance_new(v->l, m2, &i2, &err), MOAT_OK);
    assert_int_equal(moat_instance_call(v->inst, "store", args, 2, NULL, 0,
                                        &err), MOAT_OK);
    assert_int_equal(call(i2, "load", 100, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 0x5a);
    assert_int_equal(call(v->inst, "grow", 1, &r, &err), MOAT_OK);
    assert_int_equal(call(i2, "load", 2 * PAGE - 4, &r, &err), MOAT_OK);
    assert_int_equal(call(i2, "load", 2 * PAGE, &r, &err), MOAT_ERR_TRAP);
    fake_assert_trap(&err, MOAT_TRAP_MEMORY_OOB);
    /* the exporter goes first; the importer keeps the memory alive */
    moat_linker_free(v->l);
    v->l = NULL;
    moat_instance_free(v->inst);
    v->inst = NULL;
    memset(&err, 0, sizeof err);
    assert_int_equal(call(i2, "load", 100, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 0x5a);
    moat_instance_free(i2);
    moat_module_free(m2);
    env_free(v);
}

static void
many_instances_come_and_go(void **state)
{
    Env       *v = env_new(1, 1);
    moat_error err = { 0 };
    moat_instance *insts[64];

    (void)state;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < LEN(insts); i++)
            assert_int_equal(moat_instance_new(v->l, v->m, &insts[i], &err),
                             MOAT_OK);
        for (size_t i = 0; i < LEN(insts); i++)
            moat_instance_free(insts[i]);
    }
    env_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grow_within_limits),
        cmocka_unit_test(no_maximum_stops_at_the_reservation),
        cmocka_unit_test(out_of_bounds_traps),
        cmocka_unit_test(grow_opens_pages),
        cmocka_unit_test(imported_memory_is_shared),
        cmocka_unit_test(many_instances_come_and_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
