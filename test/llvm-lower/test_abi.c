/* test_abi.c - the lowering against the layout contract (runtime/abi.h):
 * every runtime helper of MOAT_HELPERS is declared in the LLVM module with
 * the type its row gives (read here independently of module.c) and the
 * sizes of the C prototype's types; every descriptor struct's LLVM type
 * (desc_shape.c) has abi.h's size and member offsets under the target's
 * data layout; the emitted descriptor global has sizeof(MoatDescriptor).
 * The compile-time halves are _Static_asserts in desc_shape.c, module.c
 * and descriptor.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "desc_shape.h"
#include "emit.h"

/* This test's own reading of the type codes: the LLVM type kind and the
 * size of the C type each stands for. */
typedef struct Want {
    LLVMTypeKind kind;
    unsigned     bits;          /* integers */
    size_t       c_size;        /* sizeof the C type; 0: void */
} Want;

#define WANT_void { LLVMVoidTypeKind, 0, 0 }
#define WANT_ctx  { LLVMPointerTypeKind, 0, sizeof(MOAT_HT_ctx) }
#define WANT_i32  { LLVMIntegerTypeKind, 32, sizeof(MOAT_HT_i32) }
#define WANT_i64  { LLVMIntegerTypeKind, 64, sizeof(MOAT_HT_i64) }
#define WANT_ref  { LLVMPointerTypeKind, 0, sizeof(MOAT_HT_ref) }
#define WANT_(code) WANT_##code

typedef struct Row {
    const char *name;
    int         h;              /* H_* */
    Want        ret;
    unsigned    nparams;
    Want        params[8];
} Row;

static const Row rows[] = {
#define WANTS(...) MOAT_MAP(WANT_, __VA_ARGS__)
#define X(id, name, ret, params) \
    { #name, H_##id, WANT_##ret, MOAT_NARGS params, { WANTS params } },
    MOAT_HELPERS(X)
#undef X
};

typedef struct Fixture {
    Module               m;     /* empty: the helpers and descriptor only */
    LLVMTargetMachineRef tm;
    LLVMTargetDataRef    td;
    Lower                L;
} Fixture;

static int
setup(void **state)
{
    static Fixture fx;
    EmitOptions    o = { .cpu = "x86-64", .features = "" };
    moat_error     err = { 0 };

    memset(&fx, 0, sizeof fx);
    if (!moatL_target_machine(&o, &fx.tm, &err))
        return -1;
    char       *triple = LLVMGetTargetMachineTriple(fx.tm);
    LowerTarget t = { .triple = triple, .cpu = "", .features = "" };
    fx.td = LLVMCreateTargetDataLayout(fx.tm);
    t.layout = fx.td;
    moatL_init(&fx.L, &fx.m, &t);
    LLVMDisposeMessage(triple);
    *state = &fx;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *fx = *state;

    moatL_fini(&fx->L);
    LLVMDisposeModule(fx->L.mod);
    LLVMContextDispose(fx->L.llctx);
    LLVMDisposeTargetData(fx->td);
    LLVMDisposeTargetMachine(fx->tm);
    return 0;
}

static void
check_type(const Fixture *fx, LLVMTypeRef t, const Want *w, const char *name,
           unsigned i)
{
    if (LLVMGetTypeKind(t) != w->kind ||
        (w->kind == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) != w->bits))
        fail_msg("%s: %s %u has the wrong LLVM type", name,
                 i ? "parameter" : "result", i);
    if (w->kind != LLVMVoidTypeKind &&
        LLVMABISizeOfType(fx->td, t) != w->c_size)
        fail_msg("%s: %s %u: LLVM size %llu, C size %zu", name,
                 i ? "parameter" : "result", i,
                 (unsigned long long)LLVMABISizeOfType(fx->td, t),
                 w->c_size);
}

/* Every row of MOAT_HELPERS is an LLVM declaration of its name with the
 * row's type, and it is what the lowering calls for H_<ID>. */
static void
helpers_are_declared_as_the_table_says(void **state)
{
    const Fixture *fx = *state;
    size_t         n = sizeof rows / sizeof rows[0];

    assert_int_equal(n, NHELPERS);
    for (size_t r = 0; r < n; r++) {
        const Row   *row = &rows[r];
        LLVMValueRef fn = LLVMGetNamedFunction(fx->L.mod, row->name);

        if (!fn)
            fail_msg("%s: not declared", row->name);
        assert_ptr_equal(fx->L.helpers[row->h], fn);
        LLVMTypeRef ft = LLVMGlobalGetValueType(fn);
        assert_ptr_equal(fx->L.helper_types[row->h], ft);
        check_type(fx, LLVMGetReturnType(ft), &row->ret, row->name, 0);
        if (LLVMCountParamTypes(ft) != row->nparams)
            fail_msg("%s: %u parameters, the table has %u", row->name,
                     LLVMCountParamTypes(ft), row->nparams);
        LLVMTypeRef params[8];
        LLVMGetParamTypes(ft, params);
        for (unsigned i = 0; i < row->nparams; i++)
            check_type(fx, params[i], &row->params[i], row->name, i + 1);
        assert_true(LLVMIsDeclaration(fn));
    }
}

/* sizeof each descriptor struct, read here from abi.h directly. */
static const struct {
    const char *name;
    size_t      size;
} c_structs[NDESC_STRUCTS] = {
#define C_STRUCT(S, ds, list) [DS_##ds] = { #S, sizeof(S) },
    DESC_STRUCTS(C_STRUCT)
#undef C_STRUCT
};

static void
descriptor_structs_have_abi_sizes(void **state)
{
    Fixture    *fx = *state;
    LLVMTypeRef t[NDESC_STRUCTS];

    moatL_desc_types(&fx->L, t);
    for (int ds = 0; ds < NDESC_STRUCTS; ds++) {
        unsigned long long got = LLVMABISizeOfType(fx->td, t[ds]);
        if (got != c_structs[ds].size)
            fail_msg("%s: LLVM size %llu, sizeof %zu", c_structs[ds].name,
                     got, c_structs[ds].size);
        assert_string_equal(moatL_desc_shapes[ds].name, c_structs[ds].name);
    }
    int bad = moatL_desc_check(fx->td, t);
    if (bad >= 0)
        fail_msg("%s: member offsets differ from abi.h", c_structs[bad].name);
}

/* The global moatL_descriptor emits is one MoatDescriptor. */
static void
emitted_descriptor_has_abi_size(void **state)
{
    Fixture      *fx = *state;
    const uint8_t hash[32] = { 0 };

    moatL_descriptor(&fx->L, NULL, hash, "", "", NULL, false);
    LLVMValueRef g = LLVMGetNamedGlobal(fx->L.mod, MOAT_DESC_SYMBOL);
    assert_non_null(g);
    assert_int_equal(LLVMABISizeOfType(fx->td, LLVMGlobalGetValueType(g)),
                     sizeof(MoatDescriptor));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(helpers_are_declared_as_the_table_says),
        cmocka_unit_test(descriptor_structs_have_abi_sizes),
        cmocka_unit_test(emitted_descriptor_has_abi_size),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
