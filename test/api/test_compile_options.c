/* test_compile_options.c - target triples and CPUs through the compile
 * API (moat_compile.h): an unknown or unsupported one is MOAT_ERR_OPTION
 * from the setter and from moat_compile, with a message naming it, and
 * never reaches LLVM (which aborted the process on them); "native" and
 * the x86-64 levels compile code that the runtime loads and runs here.
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

/* (module (func (export "f") (result i32) i32.const 42)) */
static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};

/* Compiles with cpu and triple (NULL: not set), expecting want from
 * moat_compile; on MOAT_OK also loads and calls f. */
static void
compile_with(const char *triple, const char *cpu, moat_status want,
             const char *msg, bool is_capped)
{
    moat_compile_config *c = NULL;
    moat_error           err = { 0 };
    uint8_t             *obj = NULL;
    size_t               len = 0;

    assert_int_equal(moat_compile_config_new(&c, &err), MOAT_OK);
    if (is_capped)                      /* the forked path checks too */
        moat_compile_config_set_time_limit(c, 60000);
    if (triple)
        assert_int_equal(moat_compile_config_set_target(c, triple),
                         want == MOAT_ERR_OPTION && !cpu ? want : MOAT_OK);
    if (cpu)
        assert_int_equal(moat_compile_config_set_cpu(c, cpu), want);
    assert_int_equal(moat_compile(c, wasm, sizeof wasm, &obj, &len, &err),
                     want);
    moat_compile_config_free(c);
    if (want != MOAT_OK) {
        assert_null(obj);
        assert_int_equal(err.code, want);
        assert_non_null(strstr(err.msg, msg));
        return;
    }
    moat_engine   *e = NULL;
    moat_module   *m = NULL;
    moat_instance *inst = NULL;
    moat_linker   *l = NULL;
    moat_val       res;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(e, obj, len, &m, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    assert_int_equal(moat_instance_call(inst, "f", NULL, 0, &res, 1, &err),
                     MOAT_OK);
    assert_int_equal(res.of.i32, 42);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
}

static void
unknown_cpu_is_an_option_error(void **state)
{
    (void)state;
    compile_with(NULL, "bogus", MOAT_ERR_OPTION, "unknown CPU 'bogus'",
                 false);
    compile_with(NULL, "bogus", MOAT_ERR_OPTION, "unknown CPU 'bogus'",
                 true);
    compile_with(NULL, "", MOAT_ERR_OPTION, "unknown CPU ''", false);
    /* LLVM knows it, but it has no 64-bit mode: LLVM aborted on it */
    compile_with(NULL, "i686", MOAT_ERR_OPTION, "cannot run x86-64 code",
                 false);
    compile_with("x86_64-linux-gnu", "pentium4", MOAT_ERR_OPTION,
                 "cannot run x86-64 code", false);
}

static void
unknown_target_is_an_option_error(void **state)
{
    (void)state;
    compile_with("bogus", NULL, MOAT_ERR_OPTION, "unknown target 'bogus'",
                 false);
    compile_with("", NULL, MOAT_ERR_OPTION, "unknown target", false);
    /* LLVM knows these; the lowering's x86-64 code made it abort */
    compile_with("aarch64-linux-gnu", NULL, MOAT_ERR_OPTION,
                 "not supported", false);
    compile_with("i686-linux-gnu", NULL, MOAT_ERR_OPTION, "not supported",
                 true);
    compile_with("x86_64-pc-windows-msvc", NULL, MOAT_ERR_OPTION,
                 "not supported", false);
    compile_with("x86_64-linux-gnux32", NULL, MOAT_ERR_OPTION,
                 "not supported", false);
}

static void
a_good_value_replaces_a_bad_one(void **state)
{
    moat_compile_config *c = NULL;
    uint8_t             *obj = NULL;
    size_t               len = 0;

    (void)state;
    assert_int_equal(moat_compile_config_new(&c, NULL), MOAT_OK);
    assert_int_equal(moat_compile_config_set_cpu(c, "nope"), MOAT_ERR_OPTION);
    assert_int_equal(moat_compile_config_set_target(c, "nope"),
                     MOAT_ERR_OPTION);
    assert_int_equal(moat_compile_config_set_cpu(c, "x86-64-v2"), MOAT_OK);
    assert_int_equal(moat_compile_config_set_target(c, NULL), MOAT_OK);
    assert_int_equal(moat_compile(c, wasm, sizeof wasm, &obj, &len, NULL),
                     MOAT_OK);
    moat_free(obj);
    moat_compile_config_free(c);
}

static void
native_and_levels_run_here(void **state)
{
    (void)state;
    compile_with(NULL, "native", MOAT_OK, NULL, false);
    compile_with("x86_64-linux-gnu", "native", MOAT_OK, NULL, false);
    compile_with("x86_64-linux-gnu", NULL, MOAT_OK, NULL, false); /* v2 */
    compile_with("x86_64-unknown-none", "x86-64", MOAT_OK, NULL, false);
    compile_with(NULL, "x86-64-v2", MOAT_OK, NULL, true);
}

static void
cpu_names_are_listed(void **state)
{
    moat_compile_config *c = NULL;
    bool                 has_v3 = false, has_i686 = false;
    const char          *name;
    size_t               n = 0;

    (void)state;
    assert_int_equal(moat_compile_config_new(&c, NULL), MOAT_OK);
    assert_string_equal(moat_compile_cpu_name(0), "native");
    for (; (name = moat_compile_cpu_name(n)); n++) {
        has_v3 |= !strcmp(name, "x86-64-v3");
        has_i686 |= !strcmp(name, "i686");
        assert_int_equal(moat_compile_config_set_cpu(c, name), MOAT_OK);
    }
    moat_compile_config_free(c);
    assert_true(n > 50);                /* LLVM 19 knows 92 */
    assert_true(has_v3);
    assert_false(has_i686);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_cpu_is_an_option_error),
        cmocka_unit_test(unknown_target_is_an_option_error),
        cmocka_unit_test(a_good_value_replaces_a_bad_one),
        cmocka_unit_test(native_and_levels_run_here),
        cmocka_unit_test(cpu_names_are_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
