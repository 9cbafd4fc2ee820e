/* test_callhint.c - call_indirect's code hints (runtime/abi.h, MoatTable;
 * docs/compiler.md, "call_indirect"). A funcref table keeps, beside each
 * element, a copy of its code pointer; compiled code calls the copy only
 * when it equals the element's own code. Instance A (callhint.wat) owns a
 * table that B (callhint_user.wat) imports, writes and grows: every path
 * that writes an element keeps its hint, and a hint that is wrong (written
 * here behind the runtime's back) is never what gets called, nor what
 * gets checked: bounds, null and type traps stay exact. Guests at -O0 and
 * -O2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "guest_fx.h"
#include "runtime.h"

#ifndef CALLHINT_WASM
#error "CALLHINT_WASM, CALLHINT_USER_WASM: paths of the guests"
#endif

enum { NOPT = 2 };
static const int opt_levels[NOPT] = { 0, 2 };
static uint8_t  *a_obj[NOPT], *b_obj[NOPT];
static size_t    a_len[NOPT], b_len[NOPT];

static int
compile_guests(void **state)
{
    (void)state;
    for (int i = 0; i < NOPT; i++) {
        a_obj[i] = moatT_compile_file(CALLHINT_WASM, opt_levels[i],
                                      &a_len[i]);
        b_obj[i] = moatT_compile_file(CALLHINT_USER_WASM, opt_levels[i],
                                      &b_len[i]);
    }
    return 0;
}

static int
free_guests(void **state)
{
    (void)state;
    for (int i = 0; i < NOPT; i++) {
        moat_free(a_obj[i]);
        moat_free(b_obj[i]);
    }
    return 0;
}

typedef struct World {
    moat_engine   *e;
    moat_module   *ma, *mb;
    moat_linker   *l;
    moat_instance *a, *b;
} World;

static void
world_new(World *w, int opt)
{
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, a_obj[opt], a_len[opt],
                                             &w->ma, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, b_obj[opt], b_len[opt],
                                             &w->mb, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w->l, w->ma, &w->a, &err), MOAT_OK);
    assert_int_equal(moat_linker_define_instance(w->l, "a", w->a, &err),
                     MOAT_OK);
    if (moat_instance_new(w->l, w->mb, &w->b, &err) != MOAT_OK)
        fail_msg("instance B: %s", err.msg);
}

static void
world_free(World *w)
{
    moat_instance_free(w->b);
    moat_linker_free(w->l);
    moat_instance_free(w->a);
    moat_module_free(w->mb);
    moat_module_free(w->ma);
    moat_engine_free(w->e);
}

/* Calls inst's export name(args...) -> i32; a trap gives -(trap code). */
static int64_t
call(moat_instance *inst, const char *name, size_t nargs, ...)
{
    moat_val   args[2], r = { 0 };
    moat_error err = { 0 };
    va_list    ap;

    va_start(ap, nargs);
    for (size_t i = 0; i < nargs; i++)
        args[i] = (moat_val){ .type = MOAT_I32,
                              .of.i32 = va_arg(ap, uint32_t) };
    va_end(ap);
    bool has_result = strcmp(name, "copy1") != 0 && strcmp(name, "clear") &&
                      strcmp(name, "put");
    moat_status s = moat_instance_call(inst, name, args, nargs, &r,
                                       has_result ? 1 : 0, &err);
    if (s == MOAT_ERR_TRAP)
        return -(int64_t)err.trap;
    if (s != MOAT_OK)
        fail_msg("%s: %s", name, err.msg);
    return has_result ? (int64_t)r.of.i32 : 0;
}

static MoatTable *
table_of(World *w)
{
    return &w->a->own_tables[0]->t;
}

/* Every element that holds a function has its code as its hint. */
static void
assert_hints_kept(World *w)
{
    const MoatTable *t = table_of(w);

    assert_non_null(t->codes);
    for (uint32_t i = 0; i < t->size; i++) {
        const MoatFuncRef *f = t->elems[i];
        if (f)
            assert_ptr_equal(t->codes[i], f->code);
    }
}

static void
hints_follow_every_write(void **state)
{
    (void)state;
    for (int opt = 0; opt < NOPT; opt++) {
        World w;
        world_new(&w, opt);
        assert_hints_kept(&w);                  /* active segment */
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        assert_int_equal(call(w.a, "sum", 2, 1, 3), 6);
        assert_int_equal(call(w.b, "put", 1, 0), 0);    /* helper path */
        assert_hints_kept(&w);
        assert_int_equal(call(w.a, "call", 1, 0), 9);
        assert_int_equal(call(w.a, "sum", 2, 0, 3), 27);
        assert_int_equal(call(w.a, "copy1", 2, 3, 1), 0);   /* inline */
        assert_hints_kept(&w);
        assert_int_equal(call(w.a, "call", 1, 3), 2);
        assert_int_equal(call(w.b, "call", 1, 3), 2);
        assert_int_equal(call(w.b, "grow", 1, 1000), 4);    /* moves */
        assert_hints_kept(&w);
        assert_int_equal(call(w.a, "call", 1, 1003), 9);
        assert_int_equal(call(w.a, "call", 1, 1004), -MOAT_TRAP_UNDEFINED_ELEMENT);
        assert_int_equal(call(w.a, "call", 1, 2), -MOAT_TRAP_SIG_MISMATCH);
        assert_int_equal(call(w.a, "clear", 1, 3), 0);  /* hint stays */
        assert_int_equal(call(w.a, "call", 1, 3), -MOAT_TRAP_NULL_FUNC);
        assert_int_equal(call(w.b, "call", 1, 3), -MOAT_TRAP_NULL_FUNC);
        assert_int_equal(moat_instance_reset(w.a, NULL), MOAT_OK);
        assert_hints_kept(&w);
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        assert_int_equal(call(w.a, "call", 1, 4), -MOAT_TRAP_UNDEFINED_ELEMENT);
        world_free(&w);
    }
}

/* Hints written here, behind the runtime's back: each is a function the
 * call must not run, or one that would pass the type check where the
 * element itself must not. */
static void
wrong_hints_are_never_called(void **state)
{
    (void)state;
    for (int opt = 0; opt < NOPT; opt++) {
        World      w;
        world_new(&w, opt);
        MoatTable *t = table_of(&w);
        void      *one = t->elems[0], *one_code = t->codes[0];

        t->codes[0] = t->codes[1];              /* $two, same type */
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        assert_int_equal(call(w.b, "call", 1, 0), 1);
        assert_int_equal(call(w.a, "sum", 2, 0, 4), 4);
        t->codes[0] = t->codes[2];              /* $echo, another type */
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        t->codes[0] = NULL;
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        t->codes[0] = one_code;                 /* a right type's code ... */
        t->elems[0] = t->elems[2];              /* ... for a wrong element */
        assert_int_equal(call(w.a, "call", 1, 0), -MOAT_TRAP_SIG_MISMATCH);
        assert_int_equal(call(w.b, "call", 1, 0), -MOAT_TRAP_SIG_MISMATCH);
        t->elems[0] = NULL;                     /* ... for no element */
        assert_int_equal(call(w.a, "call", 1, 0), -MOAT_TRAP_NULL_FUNC);
        assert_int_equal(call(w.a, "sum", 2, 0, 2), -MOAT_TRAP_NULL_FUNC);
        t->elems[0] = one;
        assert_int_equal(call(w.a, "call", 1, 0), 1);
        world_free(&w);
    }
}

/* A table whose maximum is its minimum: the bound is a constant in the
 * code, and still the spec's. */
static void
pinned_table_keeps_its_bound(void **state)
{
    (void)state;
    for (int opt = 0; opt < NOPT; opt++) {
        World w;
        world_new(&w, opt);
        assert_int_equal(call(w.a, "call_fixed", 1, 0), 1);
        assert_int_equal(call(w.a, "call_fixed", 1, 1), 2);
        assert_int_equal(call(w.a, "call_fixed", 1, 2),
                         -MOAT_TRAP_UNDEFINED_ELEMENT);
        assert_int_equal(call(w.a, "call_fixed", 1, UINT32_MAX),
                         -MOAT_TRAP_UNDEFINED_ELEMENT);
        world_free(&w);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hints_follow_every_write),
        cmocka_unit_test(wrong_hints_are_never_called),
        cmocka_unit_test(pinned_table_keeps_its_bound),
    };
    return cmocka_run_group_tests(tests, compile_guests, free_guests);
}
