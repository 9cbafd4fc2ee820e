/* test_helpers.c - helpers.c, table.c and the segment parts of init.c:
 * the bulk memory and table instructions called from "compiled code"
 * inside a moat call (spec 4.4.6, 4.4.7): every bounds rule, including the
 * zero-length ones at and past the end, the trap codes and texts, dropped
 * segments acting as empty, and active and declarative segments dropped at
 * instantiation (spec 4.5.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

#define PAGE MOAT_PAGE_SIZE

static void *grow_init, *fill_val;

WASM static uint32_t f_a(void *ctx) { (void)ctx; return 1; }
WASM static uint32_t f_b(void *ctx) { (void)ctx; return 2; }

WASM static void
fill(void *ctx, uint32_t d, uint32_t v, uint32_t n)
{
    moatR_memory_fill(ctx, d, v, n);
}

WASM static void
copy(void *ctx, uint32_t d, uint32_t s, uint32_t n)
{
    moatR_memory_copy(ctx, d, s, n);
}

WASM static void
init(void *ctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    moatR_memory_init(ctx, seg, d, s, n);
}

WASM static void
ddrop(void *ctx, uint32_t seg)
{
    moatR_data_drop(ctx, seg);
}

WASM static uint32_t
load8(void *ctx, uint32_t addr)
{
    return *(volatile uint8_t *)((uint8_t *)ctx + addr);
}

WASM static uint32_t
tgrow(void *ctx, uint32_t t, uint32_t n)
{
    return moatR_table_grow(ctx, t, grow_init, n);
}

WASM static void
tfill(void *ctx, uint32_t t, uint32_t i, uint32_t n)
{
    moatR_table_fill(ctx, t, i, fill_val, n);
}

/* tables packed: dt << 4 | st */
WASM static void
tcopy(void *ctx, uint32_t tables, uint32_t d, uint32_t s, uint32_t n)
{
    moatR_table_copy(ctx, tables >> 4, tables & 15, d, s, n);
}

/* table and segment packed: t << 8 | seg */
WASM static void
tinit(void *ctx, uint32_t t_seg, uint32_t d, uint32_t s, uint32_t n)
{
    moatR_table_init(ctx, t_seg >> 8, t_seg & 255, d, s, n);
}

WASM static void
edrop(void *ctx, uint32_t seg)
{
    moatR_elem_drop(ctx, seg);
}

typedef struct Env {
    moat_engine   *e;
    Fake           f;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
    uint32_t       fa, fb;      /* function indexes */
} Env;

#define EXPORT(v, name, sig, fn) \
    fake_export(&(v)->f, name, K_FUNC, \
                fake_func(&(v)->f, sig, (void (*)(void))(fn)))

static Env *
env_new(void)
{
    Env       *v = calloc(1, sizeof *v);
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&v->e, &err), MOAT_OK);
    fake_register_code();
    fake_init(&v->f);
    fake_memory(&v->f, 1, 2);
    fake_table(&v->f, MOAT_FUNCREF, 4, 6);
    fake_table(&v->f, MOAT_FUNCREF, 2, UINT64_MAX);
    v->fa = fake_func(&v->f, ":i", (void (*)(void))f_a);
    v->fb = fake_func(&v->f, ":i", (void (*)(void))f_b);
    EXPORT(v, "fill", "iii:", fill);
    EXPORT(v, "copy", "iii:", copy);
    EXPORT(v, "init", "iiii:", init);
    EXPORT(v, "data.drop", "i:", ddrop);
    EXPORT(v, "load8", "i:i", load8);
    EXPORT(v, "tgrow", "ii:i", tgrow);
    EXPORT(v, "tfill", "iii:", tfill);
    EXPORT(v, "tcopy", "iiii:", tcopy);
    EXPORT(v, "tinit", "iiii:", tinit);
    EXPORT(v, "elem.drop", "i:", edrop);
    fake_data(&v->f, S_PASSIVE, 0, "hello", 5);        /* 0 */
    fake_data(&v->f, S_ACTIVE, 0, "AB", 2);             /* 1 */
    uint32_t seg0[] = { v->fa, v->fb, UINT32_MAX }, seg1[] = { v->fa };
    fake_elem(&v->f, S_PASSIVE, 0, 0, seg0, 3);         /* 0 */
    fake_elem(&v->f, S_ACTIVE, 0, 0, seg1, 1);          /* 1 */
    fake_elem(&v->f, S_DECLARATIVE, 0, 0, seg1, 1);     /* 2 */
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

/* Calls name with up to 4 i32 arguments; the trap it gave or NONE. */
static moat_trap
run(Env *v, const char *name, int nargs, uint32_t a, uint32_t b, uint32_t c,
    uint32_t d)
{
    moat_val   args[4] = { fake_val_i32(a), fake_val_i32(b), fake_val_i32(c),
                           fake_val_i32(d) };
    moat_error err = { 0 };
    moat_status st = moat_instance_call(v->inst, name, args, (size_t)nargs,
                                        NULL, 0, &err);
    if (st == MOAT_OK)
        return MOAT_TRAP_NONE;
    assert_int_equal(st, MOAT_ERR_TRAP);
    assert_string_equal(err.msg, moat_trap_string(err.trap));
    return err.trap;
}

static uint32_t
ret(Env *v, const char *name, int nargs, uint32_t a, uint32_t b)
{
    moat_val   args[2] = { fake_val_i32(a), fake_val_i32(b) }, r;
    moat_error err = { 0 };

    assert_int_equal(moat_instance_call(v->inst, name, args, (size_t)nargs,
                                        &r, 1, &err), MOAT_OK);
    return r.of.i32;
}

static const MoatTable *
table(Env *v, uint32_t t)
{
    return moatR_inst_table(v->inst, t);
}

static void *
ref(Env *v, uint32_t func)
{
    return moatR_inst_funcref(v->inst, func);
}

#define OOB MOAT_TRAP_MEMORY_OOB
#define TOOB MOAT_TRAP_TABLE_OOB
#define OK MOAT_TRAP_NONE

static void
memory_fill(void **state)
{
    Env *v = env_new();

    (void)state;
    assert_int_equal(run(v, "fill", 3, 10, 0x11, 10, 0), OK);
    assert_int_equal(ret(v, "load8", 1, 19, 0), 0x11);
    assert_int_equal(ret(v, "load8", 1, 20, 0), 0);
    assert_int_equal(run(v, "fill", 3, PAGE - 1, 0x122, 1, 0), OK);
    assert_int_equal(ret(v, "load8", 1, PAGE - 1, 0), 0x22);  /* low byte */
    assert_int_equal(run(v, "fill", 3, PAGE, 0, 0, 0), OK);   /* at end */
    assert_int_equal(run(v, "fill", 3, PAGE + 1, 0, 0, 0), OOB);
    assert_int_equal(run(v, "fill", 3, PAGE - 1, 0, 2, 0), OOB);
    assert_int_equal(ret(v, "load8", 1, PAGE - 1, 0), 0x22);  /* untouched */
    assert_int_equal(run(v, "fill", 3, UINT32_MAX, 0, 2, 0), OOB);
    assert_int_equal(run(v, "fill", 3, 0, 0, UINT32_MAX, 0), OOB);
    env_free(v);
}

static void
memory_copy(void **state)
{
    Env *v = env_new();

    (void)state;
    assert_int_equal(ret(v, "load8", 1, 0, 0), 'A');    /* active data */
    assert_int_equal(run(v, "copy", 3, 1, 0, 2, 0), OK); /* overlapping */
    assert_int_equal(ret(v, "load8", 1, 1, 0), 'A');
    assert_int_equal(ret(v, "load8", 1, 2, 0), 'B');
    assert_int_equal(run(v, "copy", 3, 2, 1, 2, 0), OK);
    assert_int_equal(ret(v, "load8", 1, 3, 0), 'B');
    assert_int_equal(run(v, "copy", 3, PAGE - 1, 0, 2, 0), OOB);
    assert_int_equal(run(v, "copy", 3, 0, PAGE - 1, 2, 0), OOB);
    assert_int_equal(ret(v, "load8", 1, 0, 0), 'A');
    assert_int_equal(run(v, "copy", 3, PAGE, PAGE, 0, 0), OK);
    assert_int_equal(run(v, "copy", 3, 0, PAGE + 1, 0, 0), OOB);
    assert_int_equal(run(v, "copy", 3, PAGE + 1, 0, 0, 0), OOB);
    env_free(v);
}

static void
memory_init_and_drop(void **state)
{
    Env *v = env_new();

    (void)state;
    assert_int_equal(run(v, "init", 4, 0, 100, 0, 5), OK);
    assert_int_equal(ret(v, "load8", 1, 104, 0), 'o');
    assert_int_equal(run(v, "init", 4, 0, 200, 4, 2), OOB);   /* s + n > 5 */
    assert_int_equal(ret(v, "load8", 1, 200, 0), 0);
    assert_int_equal(run(v, "init", 4, 0, PAGE - 2, 0, 3), OOB);
    assert_int_equal(run(v, "init", 4, 0, PAGE, 5, 0), OK);
    assert_int_equal(run(v, "init", 4, 0, PAGE + 1, 0, 0), OOB);
    assert_int_equal(run(v, "init", 4, 0, 0, 6, 0), OOB);
    assert_int_equal(run(v, "data.drop", 1, 0, 0, 0, 0), OK);
    assert_int_equal(run(v, "init", 4, 0, 100, 0, 0), OK);    /* now empty */
    assert_int_equal(run(v, "init", 4, 0, 100, 0, 1), OOB);
    assert_int_equal(run(v, "data.drop", 1, 0, 0, 0, 0), OK); /* again: ok */
    /* the active segment was dropped when it was applied */
    assert_int_equal(run(v, "init", 4, 1, 0, 0, 0), OK);
    assert_int_equal(run(v, "init", 4, 1, 0, 0, 1), OOB);
    env_free(v);
}

static void
table_grow(void **state)
{
    Env *v = env_new();

    (void)state;
    grow_init = ref(v, v->fb);
    assert_int_equal(ret(v, "tgrow", 2, 0, 2), 4);
    assert_int_equal(table(v, 0)->size, 6);
    assert_ptr_equal(table(v, 0)->elems[5], ref(v, v->fb));
    assert_int_equal(ret(v, "tgrow", 2, 0, 1), UINT32_MAX);  /* max 6 */
    assert_int_equal(ret(v, "tgrow", 2, 0, 0), 6);
    assert_int_equal(ret(v, "tgrow", 2, 1, 1000), 2);
    assert_int_equal(table(v, 1)->size, 1002);
    assert_ptr_equal(table(v, 1)->elems[1001], ref(v, v->fb));
    assert_null(table(v, 1)->elems[1]);
    assert_int_equal(ret(v, "tgrow", 2, 1, UINT32_MAX), UINT32_MAX);
    assert_int_equal(ret(v, "tgrow", 2, 1, MOAT_TABLE_LIMIT), UINT32_MAX);
    assert_int_equal(table(v, 1)->size, 1002);
    grow_init = NULL;
    env_free(v);
}

static void
table_fill(void **state)
{
    Env *v = env_new();

    (void)state;
    fill_val = ref(v, v->fb);
    assert_int_equal(run(v, "tfill", 3, 0, 1, 2, 0), OK);
    assert_ptr_equal(table(v, 0)->elems[2], ref(v, v->fb));
    assert_null(table(v, 0)->elems[3]);
    assert_int_equal(run(v, "tfill", 3, 0, 3, 2, 0), TOOB);
    assert_null(table(v, 0)->elems[3]);
    assert_int_equal(run(v, "tfill", 3, 0, 4, 0, 0), OK);
    assert_int_equal(run(v, "tfill", 3, 0, 5, 0, 0), TOOB);
    assert_int_equal(run(v, "tfill", 3, 1, 0, UINT32_MAX, 0), TOOB);
    fill_val = NULL;
    assert_int_equal(run(v, "tfill", 3, 0, 0, 4, 0), OK);
    assert_null(table(v, 0)->elems[0]);
    env_free(v);
}

static void
table_copy(void **state)
{
    Env *v = env_new();
    void *a, *b;

    (void)state;
    a = ref(v, v->fa), b = ref(v, v->fb);
    assert_ptr_equal(table(v, 0)->elems[0], a);         /* active elem */
    table(v, 0)->elems[1] = b;
    assert_int_equal(run(v, "tcopy", 4, 0x00, 1, 0, 2), OK);  /* overlap */
    assert_ptr_equal(table(v, 0)->elems[1], a);
    assert_ptr_equal(table(v, 0)->elems[2], b);
    assert_int_equal(run(v, "tcopy", 4, 0x10, 0, 1, 2), OK);  /* 0 -> 1 */
    assert_ptr_equal(table(v, 1)->elems[0], a);
    assert_ptr_equal(table(v, 1)->elems[1], b);
    assert_int_equal(run(v, "tcopy", 4, 0x10, 1, 0, 2), TOOB);
    assert_int_equal(run(v, "tcopy", 4, 0x01, 0, 1, 2), TOOB);
    assert_int_equal(run(v, "tcopy", 4, 0x01, 4, 2, 0), OK);
    assert_int_equal(run(v, "tcopy", 4, 0x01, 5, 0, 0), TOOB);
    assert_int_equal(run(v, "tcopy", 4, 0x01, 0, 3, 0), TOOB);
    env_free(v);
}

static void
table_init_and_drop(void **state)
{
    Env *v = env_new();

    (void)state;
    table(v, 0)->elems[3] = ref(v, v->fa);
    assert_int_equal(run(v, "tinit", 4, 0x000, 1, 0, 3), OK);
    assert_ptr_equal(table(v, 0)->elems[1], ref(v, v->fa));
    assert_ptr_equal(table(v, 0)->elems[2], ref(v, v->fb));
    assert_null(table(v, 0)->elems[3]);                 /* ref.null item */
    assert_int_equal(run(v, "tinit", 4, 0x100, 0, 1, 2), OK);
    assert_ptr_equal(table(v, 1)->elems[0], ref(v, v->fb));
    assert_int_equal(run(v, "tinit", 4, 0x000, 0, 2, 2), TOOB);  /* s + n */
    assert_int_equal(run(v, "tinit", 4, 0x000, 2, 0, 3), TOOB);  /* d + n */
    assert_int_equal(run(v, "tinit", 4, 0x000, 4, 3, 0), OK);
    assert_int_equal(run(v, "tinit", 4, 0x000, 5, 0, 0), TOOB);
    assert_int_equal(run(v, "elem.drop", 1, 0, 0, 0, 0), OK);
    assert_int_equal(run(v, "tinit", 4, 0x000, 0, 0, 0), OK);
    assert_int_equal(run(v, "tinit", 4, 0x000, 0, 0, 1), TOOB);
    /* active (1) and declarative (2) segments are dropped already */
    assert_int_equal(run(v, "tinit", 4, 0x001, 0, 0, 1), TOOB);
    assert_int_equal(run(v, "tinit", 4, 0x002, 0, 0, 1), TOOB);
    assert_int_equal(run(v, "tinit", 4, 0x002, 0, 0, 0), OK);
    env_free(v);
}

static void
funcrefs_point_at_the_instance(void **state)
{
    Env               *v = env_new();
    const MoatFuncRef *f = table(v, 0)->elems[0];

    (void)state;
    assert_ptr_equal(f, ref(v, v->fa));
    assert_ptr_equal(f->ctx, v->inst->ctx);
    assert_int_equal(f->type_id, v->m->type_ids[v->f.funcs[v->fa].type_idx]);
    uint32_t (*code)(void *);
    memcpy(&code, &f->code, sizeof code);
    assert_int_equal(code(f->ctx), 1);
    /* a trap leaves the instance usable */
    assert_int_equal(run(v, "fill", 3, PAGE, 0, 1, 0), OOB);
    assert_int_equal(run(v, "fill", 3, 0, 0, 1, 0), OK);
    env_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_fill),
        cmocka_unit_test(memory_copy),
        cmocka_unit_test(memory_init_and_drop),
        cmocka_unit_test(table_grow),
        cmocka_unit_test(table_fill),
        cmocka_unit_test(table_copy),
        cmocka_unit_test(table_init_and_drop),
        cmocka_unit_test(funcrefs_point_at_the_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
