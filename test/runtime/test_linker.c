/* test_linker.c - linker.c, instance.c, init.c: resolving imports and
 * the errors when that fails (spec 4.5.2 import matching: "unknown
 * import", "incompatible import type"); host functions, globals, tables
 * and memories; instances importing from instances; instantiation order
 * and partial initialisation (spec 4.5.4, linking.wast); start functions;
 * lifetimes; export and import descriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

static const uint8_t I32[] = { MOAT_I32 };

/* ---- "compiled code" ---- */

static uint8_t *
ctx_area(void *ctx, int64_t off)
{
    return (uint8_t *)ctx + off;
}

static const MoatLayout *
layout_of(void *ctx)
{
    return &moatR_ctx_instance(ctx)->module->layout;
}

/* Calls imported function 0, (i32) -> i32, as compiled code does. */
WASM static uint32_t
call_import(void *ctx, uint32_t x)
{
    MoatImportFunc f;
    uint32_t (*fn)(void *, uint32_t);

    memcpy(&f, ctx_area(ctx, layout_of(ctx)->imports), sizeof f);
    memcpy(&fn, &f.code, sizeof fn);
    return fn(f.ctx, x);
}

/* Sets global 0 (imported: its slot holds a pointer to the storage). */
WASM static void
set_imported_global(void *ctx, uint32_t v)
{
    uint8_t *cell;

    memcpy(&cell, ctx_area(ctx, layout_of(ctx)->globals), sizeof cell);
    memcpy(cell, &v, 4);
}

WASM static uint32_t seven(void *ctx) { (void)ctx; return 7; }

WASM static void
start_sets_global(void *ctx)
{
    uint32_t v = 99;
    memcpy(ctx_area(ctx, layout_of(ctx)->globals), &v, 4);
}

WASM static void
start_traps(void *ctx)
{
    moatR_trap(ctx, MOAT_ABI_TRAP_UNREACHABLE);
}

static uint32_t
host_add(void *hctx, uint32_t x)
{
    return x + *(uint32_t *)hctx;
}

/* ---- set-up ---- */

typedef struct Env {
    moat_engine *e;
    moat_linker *l;
    moat_error   err;
} Env;

static Env *
env_new(void)
{
    Env *v = calloc(1, sizeof *v);

    assert_int_equal(moat_engine_new(&v->e, NULL), MOAT_OK);
    assert_int_equal(moat_linker_new(v->e, &v->l, NULL), MOAT_OK);
    fake_register_code();
    return v;
}

static void
env_free(Env *v)
{
    moat_linker_free(v->l);
    moat_engine_free(v->e);
    free(v);
}

/* Instantiates f; on failure checks the status and message prefix. */
static moat_instance *
inst_of(Env *v, Fake *f, moat_module **m, moat_status want,
        const char *prefix)
{
    moat_instance *inst = NULL;

    *m = fake_module(v->e, f);
    memset(&v->err, 0, sizeof v->err);
    moat_status st = moat_instance_new(v->l, *m, &inst, &v->err);
    if (want == MOAT_OK && st != MOAT_OK)
        fail_msg("instantiation: %s", v->err.msg);
    if (want != MOAT_OK) {
        fake_assert_err(st, &v->err, want, prefix);
        assert_null(inst);
    }
    return inst;
}

/* A module of one import, instantiated: must fail with prefix, or link. */
static void
links(Env *v, Fake *f, const char *prefix)
{
    moat_module   *m;
    moat_instance *inst = inst_of(v, f, &m, prefix ? MOAT_ERR_LINK : MOAT_OK,
                                  prefix ? prefix : "");
    moat_instance_free(inst);
    moat_module_free(m);
}

static void
define_host(Env *v)
{
    static uint32_t ten = 10;
    moat_val        g = fake_val_i32(42);

    assert_int_equal(moat_linker_define_func(v->l, "env", "add", I32, 1, I32,
                                             1, (moat_native_fn)host_add,
                                             &ten, NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_global(v->l, "env", "g", g, 0, NULL),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_global(v->l, "env", "gm", g, 1, NULL),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_table(v->l, "env", "tab",
                                              MOAT_FUNCREF, 10, 20, NULL),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_table(v->l, "env", "tab_nomax",
                                              MOAT_FUNCREF, 10, UINT32_MAX,
                                              NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_memory(v->l, "env", "mem", 1, 2,
                                               NULL), MOAT_OK);
    assert_int_equal(moat_linker_define_memory(v->l, "env", "mem_nomax", 1,
                                               UINT32_MAX, NULL), MOAT_OK);
}

/* ---- tests ---- */

static void
unknown_and_mistyped_imports(void **state)
{
    Env *v = env_new();
    Fake f;

    (void)state;
    define_host(v);
    fake_init(&f);
    fake_import_func(&f, "env", "nope", "i:i");
    links(v, &f, "unknown import: env.nope");
    fake_init(&f);
    fake_import_func(&f, "nope", "add", "i:i");
    links(v, &f, "unknown import: nope.add");
    fake_init(&f);
    fake_import_func(&f, "env", "g", "i:i");
    links(v, &f, "incompatible import type: env.g: expected func, got "
                 "global");
    fake_init(&f);
    fake_import_func(&f, "env", "add", "I:I");
    links(v, &f, "incompatible import type: env.add: expected func (i64) -> "
                 "(i64), got (i32) -> (i32)");
    fake_init(&f);
    fake_import_func(&f, "env", "add", "i:");
    links(v, &f, "incompatible import type");
    fake_init(&f);
    fake_import_global(&f, "env", "g", MOAT_I64, 0);
    links(v, &f, "incompatible import type: env.g: expected global const "
                 "i64, got const i32");
    fake_init(&f);
    fake_import_global(&f, "env", "g", MOAT_I32, 1);
    links(v, &f, "incompatible import type: env.g: expected global mut i32");
    fake_init(&f);
    fake_import_global(&f, "env", "gm", MOAT_I32, 0);
    links(v, &f, "incompatible import type");
    fake_init(&f);
    fake_import_global(&f, "env", "gm", MOAT_I32, 1);
    links(v, &f, NULL);
    env_free(v);
}

static void
table_and_memory_limits(void **state)
{
    Env *v = env_new();
    Fake f;
    static const struct {
        const char *name;
        uint8_t     type;
        uint64_t    min, max;
        bool        is_ok;
    } tabs[] = {
        { "tab", MOAT_FUNCREF, 10, 20, true },
        { "tab", MOAT_FUNCREF, 5, 30, true },
        { "tab", MOAT_FUNCREF, 10, UINT64_MAX, true },
        { "tab", MOAT_FUNCREF, 11, UINT64_MAX, false },
        { "tab", MOAT_FUNCREF, 10, 15, false },
        { "tab", MOAT_EXTERNREF, 10, 20, false },
        { "tab_nomax", MOAT_FUNCREF, 10, UINT64_MAX, true },
        { "tab_nomax", MOAT_FUNCREF, 10, 0xffffffff, false },
    }, mems[] = {
        { "mem", 0, 1, 2, true }, { "mem", 0, 0, UINT64_MAX, true },
        { "mem", 0, 2, UINT64_MAX, false }, { "mem", 0, 1, 1, false },
        { "mem_nomax", 0, 1, UINT64_MAX, true },
        { "mem_nomax", 0, 1, 65536, false },
    };

    (void)state;
    define_host(v);
    for (size_t i = 0; i < LEN(tabs); i++) {
        fake_init(&f);
        fake_import_table(&f, "env", tabs[i].name, tabs[i].type, tabs[i].min,
                          tabs[i].max);
        links(v, &f, tabs[i].is_ok ? NULL : "incompatible import type");
    }
    for (size_t i = 0; i < LEN(mems); i++) {
        fake_init(&f);
        fake_import_memory(&f, "env", mems[i].name, mems[i].min,
                           mems[i].max);
        links(v, &f, mems[i].is_ok ? NULL : "incompatible import type");
    }
    /* code compiled for a bigger reservation than the memory has */
    fake_init(&f);
    fake_import_memory(&f, "env", "mem", 1, 2);
    f.d.heap_guard = MOAT_HEAP_GUARD * 2;
    moat_module *m;
    inst_of(v, &f, &m, MOAT_ERR_CONTRACT, "contract violation: env.mem");
    moat_module_free(m);
    env_free(v);
}

static void
host_functions_and_globals(void **state)
{
    Env           *v = env_new();
    Fake           f;
    moat_module   *m;
    moat_val       r, arg = fake_val_i32(5);
    MoatDescConst  from_import = { C_GLOBAL, 0, 0, 0 };

    (void)state;
    define_host(v);
    fake_init(&f);
    uint32_t add = fake_import_func(&f, "env", "add", "i:i");
    fake_import_global(&f, "env", "g", MOAT_I32, 0);
    fake_export(&f, "call", K_FUNC,
                fake_func(&f, "i:i", (void (*)(void))call_import));
    fake_export(&f, "add", K_FUNC, add);                /* re-exported */
    fake_export(&f, "g", K_GLOBAL, 0);
    fake_export(&f, "copy", K_GLOBAL, fake_global(&f, MOAT_I32, 0,
                                                  from_import));
    fake_export(&f, "big", K_GLOBAL,
                fake_global(&f, MOAT_I64, 1,
                            (MoatDescConst){ C_I64, 0, 1ull << 40, 0 }));
    moat_instance *inst = inst_of(v, &f, &m, MOAT_OK, "");
    assert_int_equal(moat_instance_call(inst, "call", &arg, 1, &r, 1, NULL),
                     MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    assert_int_equal(moat_instance_call(inst, "add", &arg, 1, &r, 1, NULL),
                     MOAT_OK);
    assert_int_equal(r.of.i32, 15);
    assert_int_equal(moat_instance_global(inst, "g", &r, NULL), MOAT_OK);
    assert_int_equal(r.type, MOAT_I32);
    assert_int_equal(r.of.i32, 42);
    assert_int_equal(moat_instance_global(inst, "copy", &r, NULL), MOAT_OK);
    assert_int_equal(r.of.i32, 42);
    assert_int_equal(moat_instance_global(inst, "big", &r, NULL), MOAT_OK);
    assert_int_equal(r.type, MOAT_I64);
    assert_int_equal(r.of.i64, 1ull << 40);
    fake_assert_err(moat_instance_global(inst, "call", &r, &v->err), &v->err,
                    MOAT_ERR_LINK, "unknown global export: call");
    moat_instance_free(inst);
    moat_module_free(m);
    env_free(v);
}

static void
instances_share_globals_and_functions(void **state)
{
    Env         *v = env_new();
    Fake         fa, fb;
    moat_module *ma, *mb;
    moat_val     r, arg = fake_val_i32(77);

    (void)state;
    fake_init(&fa);
    fake_export(&fa, "g", K_GLOBAL, fake_global(&fa, MOAT_I32, 1,
                                                fake_i32(1)));
    fake_export(&fa, "seven", K_FUNC,
                fake_func(&fa, ":i", (void (*)(void))seven));
    moat_instance *a = inst_of(v, &fa, &ma, MOAT_OK, "");
    assert_int_equal(moat_linker_define_instance(v->l, "A", a, NULL),
                     MOAT_OK);
    fake_init(&fb);
    fake_import_global(&fb, "A", "g", MOAT_I32, 1);
    fake_export(&fb, "seven", K_FUNC, fake_import_func(&fb, "A", "seven",
                                                       ":i"));
    fake_export(&fb, "set", K_FUNC,
                fake_func(&fb, "i:", (void (*)(void))set_imported_global));
    moat_instance *b = inst_of(v, &fb, &mb, MOAT_OK, "");
    assert_int_equal(moat_instance_call(b, "set", &arg, 1, NULL, 0, NULL),
                     MOAT_OK);
    assert_int_equal(moat_instance_global(a, "g", &r, NULL), MOAT_OK);
    assert_int_equal(r.of.i32, 77);
    /* a goes first (user and linker); b keeps it alive */
    moat_linker_free(v->l);
    moat_instance_free(a);
    moat_module_free(ma);
    assert_int_equal(moat_instance_call(b, "seven", NULL, 0, &r, 1, NULL),
                     MOAT_OK);
    assert_int_equal(r.of.i32, 7);
    moat_instance_free(b);
    moat_module_free(mb);
    assert_int_equal(moat_linker_new(v->e, &v->l, NULL), MOAT_OK);
    env_free(v);
}

/* Spec 4.5.4 / linking.wast: segments are applied one by one, so a
 * failing one leaves the earlier writes, which must stay usable. */
static void
failed_instantiation_keeps_earlier_writes(void **state)
{
    Env         *v = env_new();
    Fake         f, g;           /* the kept instances use both */
    moat_module *m;

    (void)state;
    define_host(v);
    fake_init(&f);
    fake_import_table(&f, "env", "tab", MOAT_FUNCREF, 10, UINT64_MAX);
    fake_import_memory(&f, "env", "mem", 1, UINT64_MAX);
    uint32_t fn = fake_func(&f, ":i", (void (*)(void))seven);
    uint32_t one[] = { fn }, three[] = { fn, fn, fn };
    fake_elem(&f, S_ACTIVE, 0, 7, one, 1);
    fake_elem(&f, S_ACTIVE, 0, 8, three, 3);            /* 8 + 3 > 10 */
    fake_data(&f, S_ACTIVE, 0, "hi", 2);                /* never reached */
    inst_of(v, &f, &m, MOAT_ERR_TRAP, "out of bounds table access");
    assert_int_equal(v->err.trap, MOAT_TRAP_TABLE_OOB);
    moat_module_free(m);                /* the kept instance holds it */

    const LinkDef *d = NULL;
    for (size_t i = 0; i < v->l->ndefs; i++)
        if (!strcmp(v->l->defs[i].name, "tab"))
            d = &v->l->defs[i];
    const MoatTable *t = &d->ext.u.table->t;
    assert_null(t->elems[6]);
    assert_null(t->elems[8]);           /* the failing segment wrote none */
    const MoatFuncRef *ref = t->elems[7];
    assert_non_null(ref);
    uint32_t (*code)(void *);
    memcpy(&code, &ref->code, sizeof code);
    assert_int_equal(code(ref->ctx), 7);

    /* data: the first segment lands, the second traps */
    fake_init(&g);
    fake_import_memory(&g, "env", "mem", 1, UINT64_MAX);
    fake_data(&g, S_ACTIVE, 0, "hi", 2);
    fake_data(&g, S_ACTIVE, MOAT_PAGE_SIZE - 1, "xyz", 3);
    inst_of(v, &g, &m, MOAT_ERR_TRAP, "out of bounds memory access");
    moat_module_free(m);
    for (size_t i = 0; i < v->l->ndefs; i++)
        if (!strcmp(v->l->defs[i].name, "mem"))
            d = &v->l->defs[i];
    const uint8_t *base = d->ext.u.mem->m.base;
    assert_memory_equal(base, "hi", 2);
    assert_int_equal(base[MOAT_PAGE_SIZE - 1], 0);
    env_free(v);
}

static void
start_function(void **state)
{
    Env         *v = env_new();
    Fake         f;
    moat_module *m;
    moat_val     r;

    (void)state;
    fake_init(&f);
    fake_export(&f, "g", K_GLOBAL, fake_global(&f, MOAT_I32, 1,
                                               fake_i32(1)));
    f.d.start = fake_func(&f, ":", (void (*)(void))start_sets_global);
    moat_instance *inst = inst_of(v, &f, &m, MOAT_OK, "");
    assert_int_equal(moat_instance_global(inst, "g", &r, NULL), MOAT_OK);
    assert_int_equal(r.of.i32, 99);
    moat_instance_free(inst);
    moat_module_free(m);

    fake_init(&f);
    f.d.start = fake_func(&f, ":", (void (*)(void))start_traps);
    inst_of(v, &f, &m, MOAT_ERR_TRAP, "unreachable");
    assert_int_equal(v->err.trap, MOAT_TRAP_UNREACHABLE);
    moat_module_free(m);
    env_free(v);
}

static void
later_definitions_shadow(void **state)
{
    Env         *v = env_new();
    Fake         f;
    moat_module *m;
    moat_val     r;

    (void)state;
    assert_int_equal(moat_linker_define_global(v->l, "m", "x",
                                               fake_val_i32(1), 0, NULL),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_global(v->l, "m", "x",
                                               fake_val_i32(2), 0, NULL),
                     MOAT_OK);
    fake_init(&f);
    fake_import_global(&f, "m", "x", MOAT_I32, 0);
    fake_export(&f, "x", K_GLOBAL, 0);
    moat_instance *inst = inst_of(v, &f, &m, MOAT_OK, "");
    assert_int_equal(moat_instance_global(inst, "x", &r, NULL), MOAT_OK);
    assert_int_equal(r.of.i32, 2);
    moat_instance_free(inst);
    moat_module_free(m);
    env_free(v);
}

static void
bad_host_definitions(void **state)
{
    Env *v = env_new();

    (void)state;
    fake_assert_err(moat_linker_define_memory(v->l, "m", "x", 2, 1, &v->err),
                    &v->err, MOAT_ERR_LIMIT, "bad memory limits");
    memset(&v->err, 0, sizeof v->err);
    fake_assert_err(moat_linker_define_memory(v->l, "m", "x", 65537,
                                              UINT32_MAX, &v->err),
                    &v->err, MOAT_ERR_LIMIT, "bad memory limits");
    memset(&v->err, 0, sizeof v->err);
    fake_assert_err(moat_linker_define_table(v->l, "m", "x", MOAT_I32, 1, 2,
                                             &v->err),
                    &v->err, MOAT_ERR_LIMIT, "bad table type");
    assert_int_equal(v->l->ndefs, 0);
    env_free(v);
}

static void
engines_do_not_mix(void **state)
{
    Env           *v = env_new();
    moat_engine   *e2;
    Fake           f;
    moat_instance *inst = (moat_instance *)1;

    (void)state;
    assert_int_equal(moat_engine_new(&e2, NULL), MOAT_OK);
    fake_init(&f);
    moat_module *m = fake_module(e2, &f);
    fake_assert_err(moat_instance_new(v->l, m, &inst, &v->err), &v->err,
                    MOAT_ERR_LINK, "module and linker belong to different "
                                   "engines");
    assert_null(inst);
    moat_module_free(m);
    moat_engine_free(e2);
    env_free(v);
}

static void
export_and_import_info(void **state)
{
    Env             *v = env_new();
    Fake             f;
    moat_extern_info info;

    (void)state;
    fake_init(&f);
    fake_import_func(&f, "env", "add", "ii:i");
    fake_import_global(&f, "env", "g", MOAT_F64, 1);
    fake_export(&f, "f", K_FUNC, fake_func(&f, "I:I",
                                           (void (*)(void))seven));
    fake_export(&f, "g", K_GLOBAL, 0);
    moat_module *m = fake_module(v->e, &f);
    assert_int_equal(moat_module_import_count(m), 2);
    assert_int_equal(moat_module_export_count(m), 2);
    assert_int_equal(moat_module_import(m, 0, &info), MOAT_OK);
    assert_string_equal(info.module, "env");
    assert_string_equal(info.name, "add");
    assert_int_equal(info.kind, MOAT_EXTERN_FUNC);
    assert_int_equal(info.nparams, 2);
    assert_int_equal(info.nresults, 1);
    assert_int_equal(info.params[1], MOAT_I32);
    assert_int_equal(moat_module_import(m, 1, &info), MOAT_OK);
    assert_int_equal(info.kind, MOAT_EXTERN_GLOBAL);
    assert_int_equal(info.global_type, MOAT_F64);
    assert_int_equal(info.global_mut, 1);
    assert_int_equal(moat_module_export(m, 0, &info), MOAT_OK);
    assert_string_equal(info.name, "f");
    assert_int_equal(info.results[0], MOAT_I64);
    assert_int_not_equal(moat_module_export(m, 2, &info), MOAT_OK);
    assert_int_not_equal(moat_module_import(m, 2, &info), MOAT_OK);
    moat_module_free(m);
    env_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_and_mistyped_imports),
        cmocka_unit_test(table_and_memory_limits),
        cmocka_unit_test(host_functions_and_globals),
        cmocka_unit_test(instances_share_globals_and_functions),
        cmocka_unit_test(failed_instantiation_keeps_earlier_writes),
        cmocka_unit_test(start_function),
        cmocka_unit_test(later_definitions_shadow),
        cmocka_unit_test(bad_host_definitions),
        cmocka_unit_test(engines_do_not_mix),
        cmocka_unit_test(export_and_import_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
