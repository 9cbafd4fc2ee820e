/* test_val_helpers.c - the moat_val helpers of moat.h: floats go in and
 * out as bits, so NaN payloads (signalling ones included) and -0 survive,
 * here and through a call into compiled code, which returns its f32 and
 * f64 arguments unchanged (wasm's local.get keeps the bits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "moat.h"
#include "moat_compile.h"

static uint32_t
bits32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t
bits64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static float
from32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double
from64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static const uint32_t f32_cases[] = {
    0x7fa00001u,        /* signalling NaN, payload 0x200001 */
    0xffc12345u,        /* quiet negative NaN with a payload */
    0x80000000u,        /* -0 */
    0x3f800000u,        /* 1.0 */
};
static const uint64_t f64_cases[] = {
    0x7ff4000000000001u, 0xfff8000000abcdefu, 0x8000000000000000u,
    0x3ff0000000000000u,
};

static void
constructors_keep_bits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof f32_cases / sizeof *f32_cases; i++) {
        moat_val v = moat_val_f32(from32(f32_cases[i]));
        assert_int_equal(v.type, MOAT_F32);
        assert_int_equal(v.of.i32, f32_cases[i]);
        assert_int_equal(bits32(moat_val_as_f32(v)), f32_cases[i]);
    }
    for (size_t i = 0; i < sizeof f64_cases / sizeof *f64_cases; i++) {
        moat_val v = moat_val_f64(from64(f64_cases[i]));
        assert_int_equal(v.type, MOAT_F64);
        assert_true(v.of.i64 == f64_cases[i]);
        assert_true(bits64(moat_val_as_f64(v)) == f64_cases[i]);
    }
    moat_val i = moat_val_i32(0xfffffffeu), l = moat_val_i64(1ull << 40);
    assert_int_equal(i.type, MOAT_I32);
    assert_int_equal(i.of.i32, 0xfffffffeu);
    assert_int_equal(l.type, MOAT_I64);
    assert_true(l.of.i64 == 1ull << 40);
}

/* (module (func (export "id32") (param f32) (result f32) local.get 0)
 *         (func (export "id64") (param f64) (result f64) local.get 0)) */
static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x0b, 0x02, 0x60, 0x01, 0x7d, 0x01, 0x7d, 0x60, 0x01, 0x7c, 0x01,
    0x7c,
    0x03, 0x03, 0x02, 0x00, 0x01,
    0x07, 0x0f, 0x02, 0x04, 'i', 'd', '3', '2', 0x00, 0x00,
    0x04, 'i', 'd', '6', '4', 0x00, 0x01,
    0x0a, 0x0b, 0x02, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x04, 0x00, 0x20, 0x00,
    0x0b,
};

static void
nan_payload_round_trip_through_a_call(void **state)
{
    moat_compile_config *c = NULL;
    moat_engine         *e = NULL;
    moat_module         *m = NULL;
    moat_linker         *l = NULL;
    moat_instance       *inst = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               len = 0;
    moat_val             res;

    (void)state;
    assert_int_equal(moat_compile_config_new(&c, &err), MOAT_OK);
    assert_int_equal(moat_compile(c, wasm, sizeof wasm, &obj, &len, &err),
                     MOAT_OK);
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(e, obj, len, &m, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    for (size_t i = 0; i < sizeof f32_cases / sizeof *f32_cases; i++) {
        moat_val arg = moat_val_f32(from32(f32_cases[i]));
        assert_int_equal(moat_instance_call(inst, "id32", &arg, 1, &res, 1,
                                            &err), MOAT_OK);
        assert_int_equal(bits32(moat_val_as_f32(res)), f32_cases[i]);
    }
    for (size_t i = 0; i < sizeof f64_cases / sizeof *f64_cases; i++) {
        moat_val arg = moat_val_f64(from64(f64_cases[i]));
        assert_int_equal(moat_instance_call(inst, "id64", &arg, 1, &res, 1,
                                            &err), MOAT_OK);
        assert_true(bits64(moat_val_as_f64(res)) == f64_cases[i]);
    }
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
    moat_compile_config_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constructors_keep_bits),
        cmocka_unit_test(nan_payload_round_trip_through_a_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
