/* rt_fake.c - hand-built descriptors for the runtime tests (rt_fake.h):
 * the trampolines the compiler would emit, written in C for the handful of
 * signatures the tests use, and the builder functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "rt_fake.h"

typedef void (*Tramp)(void *code, void *ctx, uint64_t *v);

#define AS(T, fn, code) __typeof__(T) fn; memcpy(&fn, &code, sizeof fn)

static uint32_t
arg32(const uint64_t *v, int i)
{
    return (uint32_t)v[2 * i];
}

static void
t_v(void *code, void *ctx, uint64_t *v)
{
    (void)v;
    AS(void (*)(void *), fn, code);
    fn(ctx);
}

static void
t_i(void *code, void *ctx, uint64_t *v)
{
    AS(uint32_t (*)(void *), fn, code);
    v[0] = fn(ctx);
}

static void
t_i_v(void *code, void *ctx, uint64_t *v)
{
    AS(void (*)(void *, uint32_t), fn, code);
    fn(ctx, arg32(v, 0));
}

static void
t_i_i(void *code, void *ctx, uint64_t *v)
{
    AS(uint32_t (*)(void *, uint32_t), fn, code);
    v[0] = fn(ctx, arg32(v, 0));
}

static void
t_ii_i(void *code, void *ctx, uint64_t *v)
{
    AS(uint32_t (*)(void *, uint32_t, uint32_t), fn, code);
    v[0] = fn(ctx, arg32(v, 0), arg32(v, 1));
}

static void
t_ii_v(void *code, void *ctx, uint64_t *v)
{
    AS(void (*)(void *, uint32_t, uint32_t), fn, code);
    fn(ctx, arg32(v, 0), arg32(v, 1));
}

static void
t_iii_v(void *code, void *ctx, uint64_t *v)
{
    AS(void (*)(void *, uint32_t, uint32_t, uint32_t), fn, code);
    fn(ctx, arg32(v, 0), arg32(v, 1), arg32(v, 2));
}

static void
t_iiii_v(void *code, void *ctx, uint64_t *v)
{
    AS(void (*)(void *, uint32_t, uint32_t, uint32_t, uint32_t), fn, code);
    fn(ctx, arg32(v, 0), arg32(v, 1), arg32(v, 2), arg32(v, 3));
}

static void
t_I_I(void *code, void *ctx, uint64_t *v)
{
    AS(uint64_t (*)(void *, uint64_t), fn, code);
    v[0] = fn(ctx, v[0]);
}

static void
t_fF_F(void *code, void *ctx, uint64_t *v)
{
    float  a;
    double b, r;

    memcpy(&a, &v[0], 4);
    memcpy(&b, &v[2], 8);
    AS(double (*)(void *, float, double), fn, code);
    r = fn(ctx, a, b);
    memcpy(&v[0], &r, 8);
}

static const struct {
    const char *sig;
    Tramp       fn;
} tramps[] = {
    { ":", t_v }, { ":i", t_i }, { "i:", t_i_v }, { "i:i", t_i_i },
    { "ii:i", t_ii_i }, { "ii:", t_ii_v }, { "iii:", t_iii_v },
    { "iiii:", t_iiii_v }, { "I:I", t_I_I }, { "fF:F", t_fF_F },
};

static uint8_t
letter_type(char c)
{
    switch (c) {
    case 'i': return MOAT_I32;
    case 'I': return MOAT_I64;
    case 'f': return MOAT_F32;
    default: return MOAT_F64;
    }
}

void
fake_init(Fake *f)
{
    memset(f, 0, sizeof *f);
    f->d.magic = MOAT_ABI_MAGIC;
    f->d.abi_version = MOAT_ABI_VERSION;
    f->d.heap_reserve = MOAT_HEAP_RESERVE;
    f->d.heap_guard = MOAT_HEAP_GUARD;
    f->d.start = MOAT_DESC_NO_START;
    f->d.types = f->types;
    f->d.imports = f->imports;
    f->d.exports = f->exports;
    f->d.funcs = f->funcs;
    f->d.globals = f->globals;
    f->d.tables = f->tables;
    f->d.mems = f->mems;
    f->d.elems = f->elems;
    f->d.datas = f->datas;
}

/* Valtype bytes live in a static pool: descriptors point at them. */
static uint8_t pool[4096];
static size_t  npool;

uint32_t
fake_type(Fake *f, const char *sig)
{
    const char *colon = strchr(sig, ':');
    size_t      n = strlen(sig) - 1;
    uint8_t    *types = pool + npool;
    Tramp       tr = NULL;

    assert_non_null(colon);
    for (size_t i = 0; i < LEN(tramps); i++)
        if (strcmp(tramps[i].sig, sig) == 0)
            tr = tramps[i].fn;
    assert_non_null(tr);
    assert_true(npool + n <= sizeof pool);
    for (const char *p = sig; *p; p++)
        if (*p != ':')
            pool[npool++] = letter_type(*p);
    MoatDescType *t = &f->types[f->d.ntypes];
    t->nparams = (uint64_t)(colon - sig);
    t->nresults = n - t->nparams;
    t->types = types;
    memcpy(&t->tramp, &tr, sizeof tr);
    return (uint32_t)f->d.ntypes++;
}

uint32_t
fake_func(Fake *f, const char *sig, void (*code)(void))
{
    uint32_t ti = fake_type(f, sig);
    memcpy(&f->funcs[f->d.nfuncs].code, &code, sizeof code);
    f->funcs[f->d.nfuncs].type_idx = ti;
    return (uint32_t)f->d.nfuncs++;
}

static MoatDescBytes
bytes_of(const char *s)
{
    return (MoatDescBytes){ (const uint8_t *)s, strlen(s) };
}

static void
add_import(Fake *f, const char *mod, const char *name, uint64_t kind,
           uint64_t idx)
{
    f->imports[f->d.nimports++] = (MoatDescImport){ bytes_of(mod),
                                                    bytes_of(name), kind,
                                                    idx };
}

uint32_t
fake_import_func(Fake *f, const char *mod, const char *name, const char *sig)
{
    assert_int_equal(f->d.nfuncs, f->d.nfunc_imports);   /* imports first */
    uint32_t ti = fake_type(f, sig);
    f->funcs[f->d.nfuncs].type_idx = ti;
    add_import(f, mod, name, K_FUNC, f->d.nfuncs);
    f->d.nfunc_imports++;
    return (uint32_t)f->d.nfuncs++;
}

void
fake_export(Fake *f, const char *name, uint64_t kind, uint64_t idx)
{
    f->exports[f->d.nexports++] = (MoatDescExport){ bytes_of(name), kind,
                                                    idx };
}

static MoatDescLimits
limits(uint64_t min, uint64_t max, uint64_t elem_type)
{
    return (MoatDescLimits){ min, max == UINT64_MAX ? 0 : max,
                             max != UINT64_MAX, elem_type, 0 };
}

uint32_t
fake_table(Fake *f, uint8_t elem_type, uint64_t min, uint64_t max)
{
    f->tables[f->d.ntables] = limits(min, max, elem_type);
    return (uint32_t)f->d.ntables++;
}

uint32_t
fake_import_table(Fake *f, const char *mod, const char *name,
                  uint8_t elem_type, uint64_t min, uint64_t max)
{
    add_import(f, mod, name, K_TABLE, f->d.ntables);
    return fake_table(f, elem_type, min, max);
}

void
fake_memory(Fake *f, uint64_t min, uint64_t max)
{
    f->mems[0] = limits(min, max, 0);
    f->d.nmems = 1;
    f->d.flags |= MOAT_DESC_F_MEM_IS_CTX;
}

void
fake_import_memory(Fake *f, const char *mod, const char *name, uint64_t min,
                   uint64_t max)
{
    f->mems[0] = limits(min, max, 0);
    f->d.nmems = 1;
    add_import(f, mod, name, K_MEMORY, 0);
}

uint32_t
fake_global(Fake *f, uint8_t type, int is_mut, MoatDescConst init)
{
    f->globals[f->d.nglobals] = (MoatDescGlobal){ type, (uint64_t)is_mut, 0,
                                                  init };
    return (uint32_t)f->d.nglobals++;
}

uint32_t
fake_import_global(Fake *f, const char *mod, const char *name, uint8_t type,
                   int is_mut)
{
    add_import(f, mod, name, K_GLOBAL, f->d.nglobals);
    f->globals[f->d.nglobals] = (MoatDescGlobal){ type, (uint64_t)is_mut, 1,
                                                  { 0, 0, 0, 0 } };
    return (uint32_t)f->d.nglobals++;
}

MoatDescConst
fake_i32(uint32_t v)
{
    return (MoatDescConst){ C_I32, 0, v, 0 };
}

uint32_t
fake_elem(Fake *f, uint64_t mode, uint64_t table, uint32_t offset,
          const uint32_t *funcs, uint32_t n)
{
    uint64_t       i = f->d.nelems++;
    MoatDescConst *items = f->items[i];

    for (uint32_t k = 0; k < n; k++)
        items[k] = funcs[k] == UINT32_MAX
                       ? (MoatDescConst){ C_NULL, 0, 0, 0 }
                       : (MoatDescConst){ C_FUNC, funcs[k], 0, 0 };
    f->elems[i] = (MoatDescElem){ mode, table, MOAT_FUNCREF,
                                  fake_i32(offset), n, items };
    return (uint32_t)i;
}

uint32_t
fake_data(Fake *f, uint64_t mode, uint32_t offset, const char *bytes,
          uint32_t n)
{
    f->datas[f->d.ndatas] = (MoatDescData){
        mode, 0, fake_i32(offset), { (const uint8_t *)bytes, n }
    };
    return (uint32_t)f->d.ndatas++;
}

moat_module *
fake_module(moat_engine *e, Fake *f)
{
    moat_module *m = NULL;
    moat_error   err = { 0 };

    if (!moatR_module_from_desc(e, &f->d, &m, &err))
        fail_msg("module: %s", err.msg);
    return m;
}

/* made by the linker for the WASM section; weak: a test may have none */
extern char __start_moat_test_code[] __attribute__((weak));
extern char __stop_moat_test_code[] __attribute__((weak));

void
fake_register_code(void)
{
    static int key;
    static bool done;

    if (!done)
        assert_true(moatR_code_add(&key, NULL,
                                   (uintptr_t)__start_moat_test_code,
                                   (uintptr_t)__stop_moat_test_code));
    done = true;
}

void *
fake_fn(void (*fn)(void))
{
    void *p;

    memcpy(&p, &fn, sizeof p);
    return p;
}

moat_val
fake_val_i32(uint32_t v)
{
    moat_val x = { .type = MOAT_I32 };
    x.of.i32 = v;
    return x;
}

moat_val
fake_val_i64(uint64_t v)
{
    moat_val x = { .type = MOAT_I64 };
    x.of.i64 = v;
    return x;
}

void
fake_assert_trap(const moat_error *err, moat_trap t)
{
    assert_int_equal(err->code, MOAT_ERR_TRAP);
    assert_int_equal(err->trap, t);
    assert_string_equal(err->msg, moat_trap_string(t));
}

void
fake_assert_err(moat_status st, const moat_error *err, moat_status code,
                const char *prefix)
{
    if (st != code || err->code != code ||
        strncmp(err->msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected status %d '%s...', got %d/%d '%s'", code, prefix,
                 st, err->code, err->msg);
}
