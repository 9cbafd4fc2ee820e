/* spec_host.c - the `spectest` module the spec suite imports (its
 * harness/spectest.wast): print functions that do nothing visible, four
 * globals, a table of 10..20 funcrefs and a memory of 1..2 pages.
 */
#include <string.h>

#include "spec.h"

static void
print(void *ctx)
{
    (void)ctx;
}

static void
print_i32(void *ctx, uint32_t a)
{
    (void)ctx, (void)a;
}

static void
print_i64(void *ctx, uint64_t a)
{
    (void)ctx, (void)a;
}

static void
print_f32(void *ctx, float a)
{
    (void)ctx, (void)a;
}

static void
print_f64(void *ctx, double a)
{
    (void)ctx, (void)a;
}

static void
print_i32_f32(void *ctx, uint32_t a, float b)
{
    (void)ctx, (void)a, (void)b;
}

static void
print_f64_f64(void *ctx, double a, double b)
{
    (void)ctx, (void)a, (void)b;
}

static const uint8_t P_I32[] = { MOAT_I32 }, P_I64[] = { MOAT_I64 };
static const uint8_t P_F32[] = { MOAT_F32 }, P_F64[] = { MOAT_F64 };
static const uint8_t P_I32_F32[] = { MOAT_I32, MOAT_F32 };
static const uint8_t P_F64_F64[] = { MOAT_F64, MOAT_F64 };

static const struct {
    const char    *name;
    const uint8_t *params;
    uint32_t       n;
    moat_native_fn fn;
} funcs[] = {
    { "print", NULL, 0, (moat_native_fn)print },
    { "print_i32", P_I32, 1, (moat_native_fn)print_i32 },
    { "print_i64", P_I64, 1, (moat_native_fn)print_i64 },
    { "print_f32", P_F32, 1, (moat_native_fn)print_f32 },
    { "print_f64", P_F64, 1, (moat_native_fn)print_f64 },
    { "print_i32_f32", P_I32_F32, 2, (moat_native_fn)print_i32_f32 },
    { "print_f64_f64", P_F64_F64, 2, (moat_native_fn)print_f64_f64 },
};

static moat_val
val(uint8_t type, uint64_t bits)
{
    moat_val v = { .type = type };
    if (type == MOAT_I32 || type == MOAT_F32)
        v.of.i32 = (uint32_t)bits;
    else
        v.of.i64 = bits;
    return v;
}

moat_status
moatT_define_spectest(moat_linker *l, moat_error *err)
{
    moat_status st = MOAT_OK;
    for (size_t i = 0; st == MOAT_OK && i < sizeof funcs / sizeof *funcs; i++)
        st = moat_linker_define_func(l, "spectest", funcs[i].name,
                                     funcs[i].params, funcs[i].n, NULL, 0,
                                     funcs[i].fn, NULL, err);
    if (st == MOAT_OK)      /* 666, 666.6f, 666.6 */
        st = moat_linker_define_global(l, "spectest", "global_i32",
                                       val(MOAT_I32, 666), 0, err);
    if (st == MOAT_OK)
        st = moat_linker_define_global(l, "spectest", "global_i64",
                                       val(MOAT_I64, 666), 0, err);
    if (st == MOAT_OK)
        st = moat_linker_define_global(l, "spectest", "global_f32",
                                       val(MOAT_F32, 0x4426a666u), 0, err);
    if (st == MOAT_OK)
        st = moat_linker_define_global(l, "spectest", "global_f64",
                                       val(MOAT_F64, 0x4084d4cccccccccdu), 0,
                                       err);
    if (st == MOAT_OK)
        st = moat_linker_define_table(l, "spectest", "table", MOAT_FUNCREF,
                                      10, 20, err);
    if (st == MOAT_OK)
        st = moat_linker_define_memory(l, "spectest", "memory", 1, 2, err);
    if (st == MOAT_OK)                  /* the threads proposal's tests */
        st = moat_linker_define_shared_memory(l, "spectest", "shared_memory",
                                              1, 2, err);
    return st;
}
