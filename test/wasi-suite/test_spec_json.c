/* test_spec_json.c - spec_json.c: the spec forms the testsuite uses, JSON
 * escapes, what makes a spec skipped and what makes it malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "suite.h"

static bool
parse(const char *text, Spec *s, char *why)
{
    return moatT_spec_parse(text, strlen(text), s, why, 200);
}

static void
root_and_empty_args(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\n  \"root\": \"fs-tests.dir\",\n  \"args\": []\n}\n",
                      &s, why));
    assert_string_equal(s.root, "fs-tests.dir");
    assert_int_equal(s.nargs, 0);
    assert_int_equal(s.exit_code, 0);
    assert_null(s.want_out);
    assert_string_equal(s.skip, "");
    moatT_spec_free(&s);
}

static void
args_with_escaped_quotes(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"args\": [\"first\", \"the \\\"second\\\" arg\", "
                      "\"3\"]}", &s, why));
    assert_int_equal(s.nargs, 3);
    assert_string_equal(s.args[0], "first");
    assert_string_equal(s.args[1], "the \"second\" arg");
    assert_string_equal(s.args[2], "3");
    moatT_spec_free(&s);
}

static void
env_becomes_name_value(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"env\": {\"a\": \"text\", \"b\": \"escap \\\" ing\","
                      " \"c\": \"new\\nline\"}}", &s, why));
    assert_int_equal(s.nenv, 3);
    assert_string_equal(s.env[0], "a=text");
    assert_string_equal(s.env[1], "b=escap \" ing");
    assert_string_equal(s.env[2], "c=new\nline");
    assert_string_equal(s.skip, "");
    moatT_spec_free(&s);
}

static void
exit_code_and_outputs(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"exit_code\": 33, \"stdout\": \"hello\", "
                      "\"stderr\": \"a\\u0000b\"}", &s, why));
    assert_int_equal(s.exit_code, 33);
    assert_int_equal(s.want_outlen, 5);
    assert_memory_equal(s.want_out, "hello", 5);
    assert_int_equal(s.want_errlen, 3);
    assert_memory_equal(s.want_err, "a\0b", 3);
    moatT_spec_free(&s);
}

static void
unicode_escapes_to_utf8(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"stdout\": \"\\u00e9\\u20ac\\ud83d\\ude00/\\/\"}",
                      &s, why));
    assert_string_equal(s.want_out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80//");
    moatT_spec_free(&s);
}

static void
unknown_key_is_a_skip(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"root\": \"x\", \"mystery\": [1, {\"k\": null}, "
                      "-2.5e3, true]}", &s, why));
    assert_string_equal(s.skip, "unknown spec key 'mystery'");
    moatT_spec_free(&s);
}

static void
operation_form_is_a_skip(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"proposals\": [\"sockets\"], \"operations\": "
                      "[{\"type\": \"run\"}]}", &s, why));
    assert_non_null(strstr(s.skip, "operation-based"));
    moatT_spec_free(&s);
}

static void
env_name_with_equals_is_a_skip(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse("{\"env\": {\"a=b\": \"c\"}}", &s, why));
    assert_non_null(strstr(s.skip, "'a=b'"));
    moatT_spec_free(&s);
}

static void
empty_object_means_defaults(void **state)
{
    (void)state;
    Spec s;
    char why[200];

    assert_true(parse(" { } ", &s, why));
    assert_null(s.root);
    assert_int_equal(s.nargs + s.nenv + s.ndirs, 0);
    moatT_spec_free(&s);
}

static void
malformed_specs_fail_with_offset(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        { "", "offset 0: expected '{'" },
        { "{\"root\": \"x\"} x", "offset 14: text after the object" },
        { "{\"root\": \"x", "offset 11: unterminated string" },
        { "{\"exit_code\": 1.5}", "offset 15: expected an integer, got" },
        { "{\"root\": \"a\", \"root\": \"b\"}", "offset 21: duplicate key" },
        { "{\"args\": [\"a\" \"b\"]}", "offset 14: expected ']'" },
        { "{\"stdout\": \"\\q\"}", "offset 14: bad escape" },
        { "{\"stdout\": \"\\ud800\"}", "offset 18: lone high surrogate" },
        { "{\"stdout\": \"a\nb\"}", "offset 13: control character" },
        { "{\"args\": [1]}", "offset 10: expected '\"'" },
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Spec s;
        char why[200] = "";
        assert_false(parse(bad[i].text, &s, why));
        if (strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, why,
                     bad[i].why);
        assert_null(s.root);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_and_empty_args),
        cmocka_unit_test(args_with_escaped_quotes),
        cmocka_unit_test(env_becomes_name_value),
        cmocka_unit_test(exit_code_and_outputs),
        cmocka_unit_test(unicode_escapes_to_utf8),
        cmocka_unit_test(unknown_key_is_a_skip),
        cmocka_unit_test(operation_form_is_a_skip),
        cmocka_unit_test(env_name_with_equals_is_a_skip),
        cmocka_unit_test(empty_object_means_defaults),
        cmocka_unit_test(malformed_specs_fail_with_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
