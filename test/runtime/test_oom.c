/* test_oom.c - out of memory in the runtime: an allocator hook refuses
 * the k-th allocation, k = 1, 2, ... until a whole session (engine,
 * linker with host definitions, module, instance importing from the host
 * and registered back, a call) no longer needs k allocations. Every
 * refusal must end in MOAT_ERR_NOMEM with nothing left allocated
 * (style.md, "Tests").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

typedef struct Faulty {
    long fail_at;               /* this allocation is refused */
    long nallocs;
    long live;                  /* blocks handed out, not yet freed */
    bool refused;
} Faulty;

static void *
faulty_alloc(void *ud, void *ptr, size_t size)
{
    Faulty *f = ud;

    if (size == 0) {
        if (ptr)
            f->live--;
        free(ptr);
        return NULL;
    }
    if (++f->nallocs == f->fail_at) {
        f->refused = true;
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p && !ptr)
        f->live++;
    return p;
}

WASM static uint32_t twice(void *ctx, uint32_t x) { (void)ctx; return 2 * x; }

static uint32_t
host_id(void *ctx, uint32_t x)
{
    (void)ctx;
    return x;
}

static const uint8_t I32[] = { MOAT_I32 };

static void
build(Fake *f)
{
    fake_init(f);
    fake_import_func(f, "env", "id", "i:i");
    fake_import_global(f, "env", "g", MOAT_I32, 0);
    fake_import_memory(f, "env", "mem", 1, UINT64_MAX);
    fake_import_table(f, "env", "tab", MOAT_FUNCREF, 2, UINT64_MAX);
    fake_table(f, MOAT_FUNCREF, 3, UINT64_MAX);
    uint32_t fn = fake_func(f, "i:i", (void (*)(void))twice);
    fake_global(f, MOAT_I32, 1, (MoatDescConst){ C_GLOBAL, 0, 0, 0 });
    fake_export(f, "twice", K_FUNC, fn);
    fake_export(f, "t", K_TABLE, 1);
    fake_export(f, "g", K_GLOBAL, 1);
    uint32_t items[] = { fn, 0 };
    fake_elem(f, S_ACTIVE, 0, 0, items, 2);
    fake_elem(f, S_ACTIVE, 1, 1, items, 2);
    fake_data(f, S_ACTIVE, 4, "data", 4);
}

static moat_status
define_host(moat_linker *l, moat_error *err)
{
    moat_val    g = fake_val_i32(5);
    moat_status st;

    st = moat_linker_define_func(l, "env", "id", I32, 1, I32, 1,
                                 (moat_native_fn)host_id, NULL,
                                 err);
    if (st == MOAT_OK)
        st = moat_linker_define_global(l, "env", "g", g, 0, err);
    if (st == MOAT_OK)
        st = moat_linker_define_memory(l, "env", "mem", 1, 3, err);
    if (st == MOAT_OK)
        st = moat_linker_define_table(l, "env", "tab", MOAT_FUNCREF, 2,
                                      UINT32_MAX, err);
    return st;
}

/* The whole session; its first failure. */
static moat_status
session(Fake *f, moat_error *err)
{
    moat_engine   *e = NULL;
    moat_linker   *l = NULL;
    moat_module   *m = NULL;
    moat_instance *inst = NULL;
    moat_val       arg = fake_val_i32(21), r;
    moat_status    st = moat_engine_new(&e, err);

    if (st == MOAT_OK)
        st = moat_linker_new(e, &l, err);
    if (st == MOAT_OK)
        st = define_host(l, err);
    if (st == MOAT_OK && !moatR_module_from_desc(e, &f->d, &m, err))
        st = err->code;
    if (st == MOAT_OK)
        st = moat_instance_new(l, m, &inst, err);
    if (st == MOAT_OK)
        st = moat_linker_define_instance(l, "self", inst, err);
    if (st == MOAT_OK)
        st = moat_instance_call(inst, "twice", &arg, 1, &r, 1, err);
    if (st == MOAT_OK)
        assert_int_equal(r.of.i32, 42);
    moat_instance_free(inst);
    moat_module_free(m);
    moat_linker_free(l);
    moat_engine_free(e);
    return st;
}

static void
every_allocation_may_fail(void **state)
{
    Fake f;

    (void)state;
    build(&f);
    for (long k = 1;; k++) {
        Faulty      fa = { .fail_at = k };
        moat_error  err = { 0 };
        moat_set_allocator(faulty_alloc, &fa);
        moat_status st = session(&f, &err);
        moat_set_allocator(NULL, NULL);
        if (fa.live != 0)
            fail_msg("allocation %ld refused: %ld blocks leaked", k, fa.live);
        if (!fa.refused) {
            assert_int_equal(st, MOAT_OK);
            assert_true(k > 20);        /* the session did allocate */
            return;
        }
        if (st != MOAT_ERR_NOMEM || err.code != MOAT_ERR_NOMEM)
            fail_msg("allocation %ld refused: status %d \"%s\"", k, (int)st,
                     err.msg);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
