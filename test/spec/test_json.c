/* test_json.c - unit tests of the spec runner's JSON parser (json.c):
 * scalars, escapes, nesting, the wast2json shape, malformed input rejected
 * with code, offset and message, truncated and mutated input, and an OOM
 * loop through the allocator hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* Parses s (NUL not included) from an exact-size heap copy, so that ASan
 * sees any read past the end. */
static bool
parse(JsonDoc *doc, const char *s, size_t len, moat_error *err)
{
    char *copy = malloc(len ? len : 1);

    assert_non_null(copy);
    memcpy(copy, s, len);
    bool ok = moatT_json_parse(doc, copy, len, err);
    free(copy);             /* the DOM must not point into the input */
    return ok;
}

static const JsonValue *
parse_ok(JsonDoc *doc, const char *s)
{
    moat_error err = { .code = MOAT_OK };

    if (!parse(doc, s, strlen(s), &err))
        fail_msg("parse of %s failed at %llu: %s", s,
                 (unsigned long long)err.offset, err.msg);
    return doc->root;
}

static void
scalars_keep_their_text(void **state)
{
    (void)state;
    JsonDoc          doc;
    const JsonValue *v = parse_ok(&doc, " [true, false, null, -1.5e+3, 0,"
                                        " 12.25E-2, \"\"] ");

    assert_int_equal(v->kind, JSON_ARRAY);
    assert_int_equal(moatT_json_len(v), 7);
    assert_int_equal(moatT_json_at(v, 0)->kind, JSON_TRUE);
    assert_int_equal(moatT_json_at(v, 1)->kind, JSON_FALSE);
    assert_int_equal(moatT_json_at(v, 2)->kind, JSON_NULL);
    assert_int_equal(moatT_json_at(v, 3)->kind, JSON_NUMBER);
    assert_string_equal(moatT_json_at(v, 3)->u.text, "-1.5e+3");
    assert_string_equal(moatT_json_at(v, 4)->u.text, "0");
    assert_string_equal(moatT_json_at(v, 5)->u.text, "12.25E-2");
    assert_string_equal(moatT_json_str(moatT_json_at(v, 6)), "");
    assert_null(moatT_json_at(v, 7));
    assert_null(moatT_json_str(moatT_json_at(v, 3)));   /* not a string */
    moatT_json_free(&doc);
}

static void
escapes_are_decoded(void **state)
{
    (void)state;
    JsonDoc          doc;
    const JsonValue *v = parse_ok(&doc, "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
                                        " \"\\u0041\\u00e9\\u20AC\","
                                        " \"\\ud83d\\ude00\","
                                        " \"a\\u0000b\", \"caf\xc3\xa9\"]");

    assert_string_equal(moatT_json_str(moatT_json_at(v, 0)),
                        "\"\\/\b\f\n\r\t");
    assert_string_equal(moatT_json_str(moatT_json_at(v, 1)),
                        "A\xc3\xa9\xe2\x82\xac");
    assert_string_equal(moatT_json_str(moatT_json_at(v, 2)),
                        "\xf0\x9f\x98\x80");
    const JsonValue *nul = moatT_json_at(v, 3);
    assert_int_equal(nul->len, 3);
    assert_memory_equal(nul->u.text, "a\0b", 4);        /* NUL-terminated */
    assert_string_equal(moatT_json_str(moatT_json_at(v, 4)), "caf\xc3\xa9");
    moatT_json_free(&doc);
}

static void
nesting_and_lookup(void **state)
{
    (void)state;
    JsonDoc          doc;
    const JsonValue *v = parse_ok(&doc, "{\"a\": {\"b\": [[], {}, [1, [2]]]}, "
                                        "\"k\": 1, \"k\": 2, "
                                        "\"\\u006b2\": 3}");

    assert_int_equal(moatT_json_len(v), 4);
    assert_string_equal(v->u.members[0].key, "a");
    const JsonValue *b = moatT_json_get(moatT_json_get(v, "a"), "b");
    assert_int_equal(moatT_json_len(b), 3);
    assert_int_equal(moatT_json_len(moatT_json_at(b, 0)), 0);
    assert_int_equal(moatT_json_at(b, 1)->kind, JSON_OBJECT);
    assert_int_equal(moatT_json_len(moatT_json_at(b, 1)), 0);
    const JsonValue *two = moatT_json_at(moatT_json_at(moatT_json_at(b, 2), 1),
                                         0);
    assert_string_equal(two->u.text, "2");
    assert_string_equal(moatT_json_get(v, "k")->u.text, "1"); /* first wins */
    assert_string_equal(moatT_json_get(v, "k2")->u.text, "3");
    assert_null(moatT_json_get(v, "missing"));
    assert_null(moatT_json_get(b, "a"));                /* not an object */
    assert_null(moatT_json_get(NULL, "a"));
    moatT_json_free(&doc);
}

static void
wast2json_command_shape(void **state)
{
    (void)state;
    JsonDoc          doc;
    const JsonValue *v = parse_ok(&doc,
        "{\"source_filename\": \"binary.wast\",\n"
        " \"commands\": [\n"
        "  {\"type\": \"module\", \"line\": 1, \"filename\": \"b.0.wasm\"}, \n"
        "  {\"type\": \"assert_malformed\", \"line\": 6, \"filename\": "
        "\"b.4.wasm\", \"text\": \"unexpected end\", \"module_type\": "
        "\"binary\"}]}\n");
    int64_t line = 0;

    const JsonValue *cmds = moatT_json_get(v, "commands");
    assert_int_equal(moatT_json_len(cmds), 2);
    const JsonValue *c = moatT_json_at(cmds, 1);
    assert_string_equal(moatT_json_str(moatT_json_get(c, "type")),
                        "assert_malformed");
    assert_true(moatT_json_int(moatT_json_get(c, "line"), &line));
    assert_int_equal(line, 6);
    assert_string_equal(moatT_json_str(moatT_json_get(c, "text")),
                        "unexpected end");
    moatT_json_free(&doc);
}

static void
integers_are_range_checked(void **state)
{
    (void)state;
    JsonDoc          doc;
    const JsonValue *v = parse_ok(&doc, "[9223372036854775807, "
                                        "-9223372036854775808, "
                                        "9223372036854775808, 1.0, 1e2, -0]");
    int64_t          x = 42;

    assert_true(moatT_json_int(moatT_json_at(v, 0), &x));
    assert_true(x == INT64_MAX);
    assert_true(moatT_json_int(moatT_json_at(v, 1), &x));
    assert_true(x == INT64_MIN);
    assert_false(moatT_json_int(moatT_json_at(v, 2), &x));   /* overflow */
    assert_false(moatT_json_int(moatT_json_at(v, 3), &x));   /* fraction */
    assert_false(moatT_json_int(moatT_json_at(v, 4), &x));   /* exponent */
    assert_true(moatT_json_int(moatT_json_at(v, 5), &x));
    assert_int_equal(x, 0);
    assert_false(moatT_json_int(v, &x));                    /* an array */
    assert_false(moatT_json_int(NULL, &x));
    moatT_json_free(&doc);
}

static void
malformed_input_is_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned    offset;
        const char *msg;        /* prefix */
    } cases[] = {
        { "", 0, "unexpected end" },
        { "   ", 3, "unexpected end" },
        { "[", 1, "unexpected end" },
        { "[1,]", 3, "expected a value, got ']'" },
        { "[1 2]", 3, "expected ',' or ']', got '2'" },
        { "{\"a\" 1}", 5, "expected ':', got '1'" },
        { "{a:1}", 1, "expected a string key, got 'a'" },
        { "{\"a\":1,}", 7, "expected a string key, got '}'" },
        { "{\"a\":1", 6, "unexpected end" },
        { "01", 1, "leading zero in number" },
        { "-", 1, "unexpected end" },
        { "-x", 1, "expected a digit, got 'x'" },
        { "1.", 2, "unexpected end" },
        { "1.e5", 2, "expected a digit, got 'e'" },
        { "1e+", 3, "unexpected end" },
        { "+1", 0, "expected a value, got '+'" },
        { "tru", 0, "expected a value, got 't'" },
        { "nulL", 0, "expected a value" },
        { "[1] 2", 4, "expected end of input after the value, got '2'" },
        { "\"abc", 4, "unterminated string" },
        { "\"abc\\", 5, "unterminated string" },
        { "\"\\x\"", 1, "invalid escape" },
        { "\"\\u12\"", 1, "invalid \\u escape" },
        { "\"\\u12G4\"", 1, "invalid \\u escape" },
        { "\"\\ud800\"", 1, "lone high surrogate" },
        { "\"\\ud800\\u0041\"", 1, "lone high surrogate" },
        { "\"\\udc00\"", 1, "lone low surrogate" },
        { "\"a\nb\"", 2, "control character in string" },
        { "[\x01]", 1, "expected a value, got byte 0x01" },
        { "\xef\xbb\xbf{}", 0, "expected a value, got byte 0xef" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        JsonDoc    doc;
        moat_error err = { .code = MOAT_OK };
        bool       ok = parse(&doc, cases[i].in, strlen(cases[i].in), &err);

        if (ok || err.code != MOAT_ERR_MALFORMED ||
            err.offset != cases[i].offset ||
            strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("input %zu \"%s\": ok=%d code=%d offset=%llu msg=\"%s\"",
                     i, cases[i].in, ok, err.code,
                     (unsigned long long)err.offset, err.msg);
        assert_null(doc.root);
        moatT_json_free(&doc);                  /* allowed after failure */
    }
}

static void
embedded_nul_byte_is_rejected(void **state)
{
    (void)state;
    JsonDoc    doc;
    moat_error err = { .code = MOAT_OK };

    assert_false(parse(&doc, "[1]\0", 4, &err));
    assert_int_equal(err.offset, 3);
    assert_false(parse(&doc, "\"a\0\"", 4, &(moat_error){ .code = 0 }));
}

static void
nesting_depth_is_bounded(void **state)
{
    (void)state;
    enum { N = 100000 };
    char      *s = malloc(2 * N);
    JsonDoc    doc;
    moat_error err = { .code = MOAT_OK };

    assert_non_null(s);
    memset(s, '[', N);
    memset(s + N, ']', N);
    assert_false(parse(&doc, s, 2 * N, &err));
    assert_int_equal(err.offset, JSON_MAX_DEPTH);
    assert_string_equal(err.msg, "nesting too deep");
    /* exactly JSON_MAX_DEPTH levels are fine */
    memmove(s + JSON_MAX_DEPTH, s + 2 * N - JSON_MAX_DEPTH, JSON_MAX_DEPTH);
    assert_true(parse(&doc, s, 2 * JSON_MAX_DEPTH, &err));
    moatT_json_free(&doc);
    free(s);
}

static const char sample[] =
    "{\"source_filename\": \"names.wast\", \"commands\": [{\"type\": "
    "\"assert_return\", \"line\": 621, \"action\": {\"type\": \"invoke\", "
    "\"field\": \"~!@#\\u005c:\\u0022;\\ud83d\\ude00\", \"args\": []}, "
    "\"expected\": [{\"type\": \"i32\", \"value\": \"6\"}, -0.5e-7, true, "
    "false, null]}]}";

static void
truncated_input_is_rejected(void **state)
{
    (void)state;
    size_t n = sizeof sample - 1;
    JsonDoc doc;

    for (size_t len = 0; len < n; len++) {
        moat_error err = { .code = MOAT_OK };
        if (parse(&doc, sample, len, &err))
            fail_msg("prefix of %zu bytes accepted", len);
        assert_int_equal(err.code, MOAT_ERR_MALFORMED);
        assert_true(err.offset <= len);
    }
    assert_true(parse(&doc, sample, n, NULL));
    moatT_json_free(&doc);
}

/* Every byte replaced by a few troublemakers: no crash, no leak (ASan). */
static void
mutated_input_never_crashes(void **state)
{
    (void)state;
    static const char subst[] = { '"', '\\', '[', ']', '{', '}', ',', ':',
                                  'u', '0', '\0', '\n', (char)0xff };
    char buf[sizeof sample];

    for (size_t i = 0; i < sizeof sample - 1; i++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            JsonDoc doc;
            memcpy(buf, sample, sizeof sample);
            buf[i] = subst[k];
            if (parse(&doc, buf, sizeof sample - 1, NULL))
                moatT_json_free(&doc);
        }
    }
}

/* Allocator hook that fails allocation number fail_at (1-based) and counts
 * live blocks. */
typedef struct Meter {
    long nalloc, fail_at, live;
} Meter;

static void *
metered(void *ud, void *ptr, size_t size)
{
    Meter *m = ud;

    if (size == 0) {
        m->live -= ptr != NULL;
        free(ptr);
        return NULL;
    }
    if (++m->nalloc == m->fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    m->live += p && !ptr;
    return p;
}

static void
out_of_memory_is_reported(void **state)
{
    (void)state;
    enum { BIG = 10240 };       /* the arena needs more than one block */
    static char big[BIG + sizeof sample + 16];
    int         n = snprintf(big, sizeof big, "[\"%0*d\", %s]", BIG, 7,
                             sample);
    bool        is_done = false;

    assert_true(n > 0 && (size_t)n < sizeof big);
    for (long k = 1; !is_done && k < 10000; k++) {
        Meter      m = { .fail_at = k };
        JsonDoc    doc;
        moat_error err = { .code = MOAT_OK };

        moat_set_allocator(metered, &m);
        is_done = moatT_json_parse(&doc, big, (size_t)n, &err);
        if (is_done) {
            assert_int_equal(err.code, MOAT_OK);
            moatT_json_free(&doc);
        } else {
            assert_int_equal(err.code, MOAT_ERR_NOMEM);
            assert_string_equal(err.msg, "out of memory");
            assert_null(doc.root);
        }
        moat_set_allocator(NULL, NULL);
        assert_int_equal(m.live, 0);
    }
    assert_true(is_done);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars_keep_their_text),
        cmocka_unit_test(escapes_are_decoded),
        cmocka_unit_test(nesting_and_lookup),
        cmocka_unit_test(wast2json_command_shape),
        cmocka_unit_test(integers_are_range_checked),
        cmocka_unit_test(malformed_input_is_rejected),
        cmocka_unit_test(embedded_nul_byte_is_rejected),
        cmocka_unit_test(nesting_depth_is_bounded),
        cmocka_unit_test(truncated_input_is_rejected),
        cmocka_unit_test(mutated_input_never_crashes),
        cmocka_unit_test(out_of_memory_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
