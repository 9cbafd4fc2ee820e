/* test_wat.c - the text front-end's edge cases: numbers in every form and
 * their ranges, string escapes, comments and annotations, the binary it
 * writes for abbreviations (implicit types in order, inline exports,
 * labels), error messages with line and column, nesting limits and an
 * out-of-memory loop. The spec suite comparison is run-wat-spec.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "wat.h"

static Tok
num(const char *s)
{
    return (Tok){ s, (uint32_t)strlen(s), 1, 1, TK_NUM };
}

static void
integers(void **state)
{
    uint64_t v;
    uint32_t u;
    Tok      t;

    (void)state;
    t = num("0x1_0");
    assert_true(moatX_u32(&t, &u) && u == 16);
    t = num("4_294_967_295");
    assert_true(moatX_u32(&t, &u) && u == UINT32_MAX);
    t = num("4294967296");
    assert_false(moatX_u32(&t, &u));
    const char *bad[] = { "1__2", "1_", "0x_1", "0x", "1a", "+1", "0x1g" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = num(bad[i]);
        assert_false(moatX_u32(&t, &u));
    }
    t = num("0xffffffff");
    assert_true(moatX_int(&t, 32, &v) && v == 0xffffffffu);
    t = num("-0x80000000");
    assert_true(moatX_int(&t, 32, &v) && v == 0x80000000u);
    t = num("-1");
    assert_true(moatX_int(&t, 32, &v) && v == 0xffffffffu);
    t = num("+0x7fffffff");
    assert_true(moatX_int(&t, 32, &v) && v == 0x7fffffffu);
    t = num("0x100000000");
    assert_false(moatX_int(&t, 32, &v));
    t = num("-0x80000001");
    assert_false(moatX_int(&t, 32, &v));
    t = num("18446744073709551615");
    assert_true(moatX_int(&t, 64, &v) && v == UINT64_MAX);
    t = num("18446744073709551616");
    assert_false(moatX_int(&t, 64, &v));
    t = num("-9223372036854775808");
    assert_true(moatX_int(&t, 64, &v) && v == UINT64_C(1) << 63);
    t = num("-9223372036854775809");
    assert_false(moatX_int(&t, 64, &v));
}

static uint32_t
f32_of(const char *s, bool *ok)
{
    Tok      t = num(s);
    uint32_t b = 0;

    *ok = moatX_f32(&t, &b);
    return b;
}

static void
floats(void **state)
{
    static const struct { const char *text; uint32_t bits; } good[] = {
        { "0", 0 }, { "-0", 0x80000000u }, { "1", 0x3f800000u },
        { "1.", 0x3f800000u }, { "1.5e+0", 0x3fc00000u },
        { "1_000.2_5", 0x447a1000u }, { "0x1p-149", 1 },
        { "0x1.fffffep127", 0x7f7fffffu }, { "0x1.", 0x3f800000u },
        { "0x1.8", 0x3fc00000u }, { "0x1.8P+1", 0x40400000u },
        { "inf", 0x7f800000u }, { "-inf", 0xff800000u },
        { "nan", 0x7fc00000u }, { "-nan", 0xffc00000u },
        { "nan:0x1", 0x7f800001u }, { "+nan:0x7f_ffff", 0x7fffffffu },
        /* ties to even: halfway between 1 and 1 + 2^-23 */
        { "0x1.000001p0", 0x3f800000u }, { "0x1.000003p0", 0x3f800002u },
        { "3.4028235677973366e38", 0x7f7fffffu },
    };
    static const char *const bad[] = {
        "1e39", "0x1p128", "0x1.ffffffp127", "nan:0x0", "nan:0x800000",
        "nan:1", "1._5", "1e", "1e+", "0x1p", ".5", "1..5", "infinity",
    };
    bool ok;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint32_t b = f32_of(good[i].text, &ok);
        if (!ok || b != good[i].bits)
            fail_msg("%s: got %d 0x%08x, want 0x%08x", good[i].text, ok, b,
                     good[i].bits);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f32_of(bad[i], &ok);
        if (ok)
            fail_msg("%s accepted", bad[i]);
    }
    Tok      t = num("0x1.00000000000008p0");     /* tie: to even */
    uint64_t d;
    assert_true(moatX_f64(&t, &d) && d == UINT64_C(0x3ff0000000000000));
    t = num("nan:0xf_ffff_ffff_ffff");
    assert_true(moatX_f64(&t, &d) && d == UINT64_C(0x7fffffffffffffff));
    t = num("1e309");
    assert_false(moatX_f64(&t, &d));
}

static void
strings(void **state)
{
    const char *s = "\"a\\t\\n\\r\\\"\\'\\\\\\00\\ff\\u{1F600}\\u{0_41}\"";
    Tok         t = { s, (uint32_t)strlen(s), 1, 1, TK_STRING };
    uint8_t     buf[32];
    size_t      n;
    static const uint8_t want[] = { 'a', '\t', '\n', '\r', '"', '\'', '\\',
                                    0, 0xff, 0xf0, 0x9f, 0x98, 0x80, 'A' };

    (void)state;
    assert_true(moatX_string(&t, buf, sizeof buf, &n));
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, n);
    const char *sur = "\"\\u{d800}\"";
    t = (Tok){ sur, (uint32_t)strlen(sur), 1, 1, TK_STRING };
    assert_false(moatX_string(&t, buf, sizeof buf, &n));
}

/* Translates text; returns the bytes (moat_free) or NULL with
 * the error in *err. */
static uint8_t *
wat(const char *text, size_t *n, moat_error *err)
{
    uint8_t *out = NULL;

    *err = (moat_error){ 0 };
    if (moat_wasm_from_wat(text, strlen(text), &out, n, err) != MOAT_OK)
        return NULL;
    return out;
}

static void
expect_error(const char *text, const char *msg)
{
    moat_error err;
    size_t     n;
    uint8_t   *out = wat(text, &n, &err);

    if (out) {
        moat_free(out);
        fail_msg("accepted: %s", text);
    }
    assert_int_equal(err.code, MOAT_ERR_MALFORMED);
    if (strncmp(err.msg, msg, strlen(msg)))
        fail_msg("for %s\n got: %s\nwant: %s...", text, err.msg, msg);
}

static void
errors_name_line_and_column(void **state)
{
    (void)state;
    expect_error("(module\n  (func (result i32)\n    (i32.add (i32.const 1)",
                 "3:27: expected ')', got end of input");
    expect_error("(module (func\n   (i32.bogus)))",
                 "2:5: unknown operator, got 'i32.bogus'");
    expect_error("(module (func (br $nope)))", "1:19: unknown label");
    expect_error("(module (func (call $f)))", "1:21: unknown function");
    expect_error("(module (func (i32.const 0x100000000)))",
                 "1:26: constant out of range");
    expect_error("(module (func (f32.const 1e39)))",
                 "1:26: constant out of range");
    expect_error("(module (func) (import \"a\" \"b\" (func)))",
                 "1:17: import after function");
    expect_error("(module (func $f) (func $f))", "1:25: duplicate func");
    expect_error("(module (func block $a end $b))", "1:28: mismatching label");
    expect_error("(module (memory 1) (func (i32.load align=3 (i32.const 0))))",
                 "1:36: alignment must be a power of two");
    expect_error("(module (; unclosed", "1:19: unclosed block comment");
    expect_error("(module (data \"\\q\"))", "1:17: unknown escape in string");
    expect_error("(module (type $t (func)) (func (type $t) (param i32)))",
                 "1:32: inline function type does not match (type 0)");
    expect_error("(module (func (export \"\\ff\")))",
                 "1:23: malformed UTF-8 encoding");
}

static void
expect_bytes(const char *text, const uint8_t *want, size_t nwant)
{
    moat_error err;
    size_t     n;
    uint8_t   *out = wat(text, &n, &err);

    if (!out)
        fail_msg("%s: %s", text, err.msg);
    assert_int_equal(n, nwant + 8);
    assert_memory_equal(out, "\0asm\1\0\0\0", 8);
    assert_memory_equal(out + 8, want, nwant);
    moat_free(out);
}

static void
abbreviations(void **state)
{
    (void)state;
    /* explicit types first, implicit ones appended in order of use;
     * comments, annotations and a second module-less form */
    static const uint8_t types[] = {
        1, 8, 2, 0x60, 0, 0, 0x60, 1, 0x7f, 0,          /* type */
        3, 3, 2, 1, 0,                                  /* function */
        10, 7, 2, 2, 0, 0x0b, 2, 0, 0x0b,               /* code */
    };
    expect_bytes("(module (@custom \"x\" (nested)) ;; line\n"
                 "  (func (param i32)) (; (; nested ;) ;) (type (func))"
                 "  (func))", types, sizeof types);
    expect_bytes("(func (param i32)) (type (func)) (func)", types,
                 sizeof types);
    /* labels by name, inline export, folded and flat if */
    static const uint8_t labels[] = {
        1, 4, 1, 0x60, 0, 0,
        3, 2, 1, 0,
        7, 5, 1, 1, 'f', 0, 0,
        10, 19, 1, 17, 0,
        0x02, 0x40, 0x02, 0x40, 0x0c, 0x01, 0x0b, 0x0b, /* block block br 1 */
        0x41, 0x00, 0x04, 0x40, 0x05, 0x01, 0x0b,       /* if else nop end */
        0x0b,
    };
    expect_bytes("(module (func $g (export \"f\")\n"
                 "  (block $a (block $b (br $a)))\n"
                 "  (if (i32.const 0) (then) (else nop))))",
                 labels, sizeof labels);
    /* an empty else is left out, flat or folded */
    static const uint8_t no_else[] = {
        1, 4, 1, 0x60, 0, 0, 3, 3, 2, 0, 0,
        10, 17, 2, 7, 0, 0x41, 1, 0x04, 0x40, 0x0b, 0x0b,
        7, 0, 0x41, 1, 0x04, 0x40, 0x0b, 0x0b,
    };
    expect_bytes("(func (if (i32.const 1) (then) (else)))"
                 "(func i32.const 1 if else end)", no_else, sizeof no_else);
    /* the script forms: a module's bytes, or its text, in strings */
    expect_bytes("(module $m binary \"\\00asm\" \"\\01\\00\\00\\00\""
                 " \"\\01\\04\\01\\60\\00\\00\")", labels, 6);
    expect_bytes("(module quote \"(type (func))\")", labels, 6);
}

/* A validation error's byte offset maps back to the instruction's line
 * and column; also in a global's initializer and a data offset. */
static void
positions(void **state)
{
    static const struct { const char *text; uint32_t line, col; } cases[] = {
        { "(module\n  (func $f (param i32) (result i32)\n    (local.get 0)\n"
          "    (i32.add (local.get 0) (f32.const 1))))", 4, 6 },
        { "(module (global i32\n (i64.const 0)))", 2, 3 },
        { "(module (memory 1)\n  (func nop nop\n   i32.const 0 i64.const 1\n"
          "   i32.add drop))", 4, 4 },
        { "(module (memory 1) (data (i64.const 0) \"x\"))", 1, 27 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].text;
        moat_error  err;
        size_t      n;
        uint32_t    line, col;
        uint8_t    *bin = wat(t, &n, &err);
        assert_non_null(bin);
        assert_int_equal(moat_wasm_validate(bin, n, &err), MOAT_ERR_INVALID);
        moat_free(bin);
        assert_int_equal(moat_wasm_wat_position(t, strlen(t), err.offset,
                                                &line, &col), MOAT_OK);
        if (line != cases[i].line || col != cases[i].col)
            fail_msg("case %zu (%s): got %u:%u, want %u:%u", i, err.msg,
                     line, col, cases[i].line, cases[i].col);
        assert_int_equal(moat_wasm_wat_position(t, strlen(t), 0, &line,
                                                &col), MOAT_OK);
        assert_int_equal(line, 0);
    }
}

static void
nesting_is_bounded(void **state)
{
    enum { DEEP = 100000 };
    char      *text = malloc(DEEP * 8 + 64);
    size_t     n = 0;
    moat_error err;
    uint8_t   *out;

    (void)state;
    n += (size_t)sprintf(text, "(module (func ");
    for (int i = 0; i < DEEP; i++)
        n += (size_t)sprintf(text + n, "(block ");
    for (int i = 0; i < DEEP + 2; i++)
        text[n++] = ')';
    text[n] = 0;
    out = wat(text, &n, &err);
    assert_null(out);
    assert_non_null(strstr(err.msg, "nesting deeper than"));
    free(text);
}

typedef struct Faulty {
    long fail_at, nallocs, live;
    bool refused;
} Faulty;

static void *
faulty_alloc(void *ud, void *ptr, size_t size)
{
    Faulty *f = ud;

    if (size == 0) {
        if (ptr)
            f->live--;
        free(ptr);
        return NULL;
    }
    if (++f->nallocs == f->fail_at) {
        f->refused = true;
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p && !ptr)
        f->live++;
    return p;
}

static void
out_of_memory(void **state)
{
    const char *text =
        "(module $m (type $t (func (param i32) (result i32)))\n"
        "  (import \"a\" \"b\" (func $imp (param i64)))\n"
        "  (table $tab (export \"t\") funcref (elem $f $f))\n"
        "  (memory (export \"m\") (data \"hello\" \"\\00\"))\n"
        "  (global $g (mut i32) (i32.const 7))\n"
        "  (elem declare func $f) (data $d \"x\")\n"
        "  (func $f (type $t) (local $x i64) (local f32 f32)\n"
        "    (block $out (result i32) (loop $l (br_if $l (i32.const 0)))\n"
        "      (call_indirect (type $t) (local.get 0) (i32.const 0)))\n"
        "    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))\n"
        "    (drop (v128.const i32x4 1 2 3 4)) (br_table 0 0 0))\n"
        "  (func (block (param i32) (result i32 i32) (i32.const 1))"
        " drop drop) (start 1))";

    (void)state;
    for (long k = 1;; k++) {
        Faulty     f = { .fail_at = k };
        moat_error err = { 0 };
        uint8_t   *out = NULL;
        size_t     n;
        moat_set_allocator(faulty_alloc, &f);
        moat_status st = moat_wasm_from_wat(text, strlen(text), &out, &n,
                                            &err);
        moat_free(out);
        moat_set_allocator(NULL, NULL);
        if (f.live != 0)
            fail_msg("allocation %ld refused (%s): %ld blocks leaked", k,
                     err.msg, f.live);
        if (!f.refused) {
            assert_int_equal(st, MOAT_OK);
            assert_true(k > 10);
            break;
        }
        if (st != MOAT_ERR_NOMEM)
            fail_msg("allocation %ld refused: status %d, %s", k, st,
                     err.msg);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),
        cmocka_unit_test(floats),
        cmocka_unit_test(strings),
        cmocka_unit_test(errors_name_line_and_column),
        cmocka_unit_test(abbreviations),
        cmocka_unit_test(positions),
        cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
