/* test_read.c - read.c: LEB128 integers at their boundaries, over-long and
 * overflowing encodings, truncation, floats, names, counts and UTF-8
 * (binary 5.2). Every rejection is checked for code, offset and message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "wbuf.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One encoding: the bytes, and the value or the error it must give. */
typedef struct Leb {
    uint8_t     in[12];
    size_t      len;
    int64_t     want;           /* on success, as the signed/unsigned value */
    const char *err;            /* NULL: must decode */
    uint64_t    err_off;        /* offset the error names */
} Leb;

typedef bool (*ReadFn)(Reader *r, int64_t *out);

static bool
read_u32(Reader *r, int64_t *out)
{
    uint32_t v = 0;
    bool     ok = moatD_u32(r, &v);
    *out = v;
    return ok;
}

static bool
read_s32(Reader *r, int64_t *out)
{
    int32_t v = 0;
    bool    ok = moatD_s32(r, &v);
    *out = v;
    return ok;
}

/* Decodes each row after a one-byte prefix, so that offsets are not 0. */
static void
check_lebs(ReadFn fn, const Leb *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Leb *t = &rows[i];
        uint8_t    in[16] = { 0xaa };
        moat_error err = { 0 };
        int64_t    v = 0;
        uint8_t    pre;

        memcpy(in + 1, t->in, t->len);
        Reader r = moatD_reader(in, t->len + 1, &err);
        assert_true(moatD_byte(&r, &pre));
        bool ok = fn(&r, &v);
        if (!t->err) {
            if (!ok || v != t->want || moatD_off(&r) != t->len + 1)
                fail_msg("row %zu: ok %d value %lld consumed %llu (%s)", i,
                         ok, (long long)v, (unsigned long long)moatD_off(&r),
                         err.msg);
        } else {
            if (ok)
                fail_msg("row %zu: decoded %lld, want an error", i,
                         (long long)v);
            if (err.offset != t->err_off + 1)
                print_error("row %zu\n", i);
            assert_error(err, MOAT_ERR_MALFORMED, t->err_off + 1, t->err);
        }
    }
}

#define TOO_LONG "integer representation too long"
#define TOO_LARGE "integer too large"
#define END "unexpected end"

static void
u32_boundaries(void **state)
{
    (void)state;
    static const Leb rows[] = {
        { { 0x00 }, 1, 0, NULL, 0 },
        { { 0x7f }, 1, 127, NULL, 0 },
        { { 0x80, 0x01 }, 2, 128, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x00 }, 5, 0, NULL, 0 },  /* padded */
        { { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0xffffffff, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, 0, TOO_LONG, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x8f, 0x00 }, 6, 0, TOO_LONG, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x1f }, 5, 0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, 0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x40 }, 5, 0, TOO_LARGE, 0 },
        { { 0x80 }, 1, 0, END, 1 },
        { { 0xff, 0xff, 0xff, 0xff }, 4, 0, END, 4 },
        { { 0 }, 0, 0, END, 0 },
    };
    check_lebs(read_u32, rows, LEN(rows));
}

static void
s32_boundaries(void **state)
{
    (void)state;
    static const Leb rows[] = {
        { { 0x00 }, 1, 0, NULL, 0 },
        { { 0x7f }, 1, -1, NULL, 0 },
        { { 0x3f }, 1, 63, NULL, 0 },
        { { 0x40 }, 1, -64, NULL, 0 },
        { { 0xc0, 0x00 }, 2, 64, NULL, 0 },
        { { 0xbf, 0x7f }, 2, -65, NULL, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x07 }, 5, INT32_MAX, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x78 }, 5, INT32_MIN, NULL, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x7f }, 5, -1, NULL, 0 },  /* padded */
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, 6, 0, TOO_LONG, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, 0, TOO_LONG, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, 0, TOO_LARGE, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x4f }, 5, 0, TOO_LARGE, 0 },
        { { 0xff, 0xff }, 2, 0, END, 2 },
    };
    check_lebs(read_s32, rows, LEN(rows));
}

static void
s33_boundaries(void **state)
{
    (void)state;
    static const Leb rows[] = {
        { { 0x40 }, 1, -64, NULL, 0 },                      /* empty bt */
        { { 0x7f }, 1, -1, NULL, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0xffffffffLL, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, -0x100000000LL, NULL, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0x1f }, 5, 0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x60 }, 5, 0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, 0, TOO_LONG, 0 },
        { { 0xc0 }, 1, 0, END, 1 },
    };
    check_lebs(moatD_s33, rows, LEN(rows));
}

static void
s64_boundaries(void **state)
{
    (void)state;
    static const Leb rows[] = {
        { { 0x00 }, 1, 0, NULL, 0 },
        { { 0x7f }, 1, -1, NULL, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 }, 10,
          INT64_MAX, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f }, 10,
          INT64_MIN, NULL, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 },
          11, 0, TOO_LONG, 0 },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10,
          0, TOO_LARGE, 0 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e }, 10,
          0, TOO_LARGE, 0 },
        { { 0xff, 0xff, 0xff }, 3, 0, END, 3 },
    };
    check_lebs(moatD_s64, rows, LEN(rows));
}

/* The first error wins: a later failure must not overwrite it. */
static void
first_error_is_kept(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0xff, 0xff, 0xff, 0xff, 0x7f, 0x80 };
    moat_error err = { 0 };
    Reader     r = moatD_reader(in, sizeof in, &err);
    uint32_t   v;

    assert_false(moatD_u32(&r, &v));
    assert_false(moatD_u32(&r, &v));            /* 0x80: unexpected end */
    assert_error(err, MOAT_ERR_MALFORMED, 0, TOO_LARGE);
}

static void
floats_are_little_endian(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0x00, 0x00, 0x80, 0x3f,       /* 1.0f */
                                  0, 0, 0, 0, 0, 0, 0xf0, 0x3f, /* 1.0 */
                                  0x01, 0x02 };
    moat_error err = { 0 };
    Reader     r = moatD_reader(in, sizeof in, &err);
    uint32_t   f;
    uint64_t   d;

    assert_true(moatD_f32(&r, &f));
    assert_int_equal(f, 0x3f800000);
    assert_true(moatD_f64(&r, &d));
    assert_int_equal(d, 0x3ff0000000000000ULL);
    assert_false(moatD_f32(&r, &f));            /* 2 of 4 bytes left */
    assert_error(err, MOAT_ERR_MALFORMED, 12, END);
    assert_int_equal(moatD_off(&r), 12);        /* nothing consumed */
}

static void
bytes_check_what_remains(void **state)
{
    (void)state;
    static const uint8_t in[] = { 1, 2, 3 };
    moat_error     err = { 0 };
    Reader         r = moatD_reader(in, sizeof in, &err);
    const uint8_t *p = NULL;
    uint8_t        b;

    assert_true(moatD_bytes(&r, 2, &p));
    assert_ptr_equal(p, in);
    assert_false(moatD_bytes(&r, SIZE_MAX, &p));
    assert_error(err, MOAT_ERR_MALFORMED, 2, END);
    assert_true(moatD_byte(&r, &b));
    assert_int_equal(b, 3);
    assert_true(moatD_eof(&r));
}

/* Inside a section or body (end below the input's end) the spec's words
 * are "unexpected end of section or function". */
static void
end_of_confined_reader_names_the_section(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0x80, 0x80, 0x01 };
    moat_error err = { 0 };
    Reader     r = moatD_reader(in, sizeof in, &err);
    uint32_t   v;

    r.end = in + 2;                             /* a 2-byte section */
    assert_false(moatD_u32(&r, &v));
    assert_error(err, MOAT_ERR_MALFORMED, 2,
                 "unexpected end of section or function");
}

static void
name_reads_valid_utf8(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0x00, 0x03, 'a', 0xc3, 0xa9, 0x7f };
    moat_error err = { 0 };
    Reader     r = moatD_reader(in, sizeof in, &err);
    Name       n;

    assert_true(moatD_name(&r, &n));
    assert_int_equal(n.len, 0);
    assert_true(moatD_name(&r, &n));
    assert_int_equal(n.len, 3);
    assert_memory_equal(n.s, "a\xc3\xa9", 3);
    assert_ptr_equal(n.s, in + 2);              /* borrowed, not copied */
    assert_int_equal(moatD_off(&r), 5);
}

static void
name_rejects_bad_utf8_and_truncation(void **state)
{
    (void)state;
    static const uint8_t bad[] = { 0x02, 0xc0, 0x80 };
    static const uint8_t cut[] = { 0x05, 'a', 'b' };
    moat_error err = { 0 };
    Reader     r = moatD_reader(bad, sizeof bad, &err);
    Name       n;

    assert_false(moatD_name(&r, &n));
    assert_error(err, MOAT_ERR_MALFORMED, 1, "malformed UTF-8 encoding");
    err = (moat_error){ 0 };
    r = moatD_reader(cut, sizeof cut, &err);
    assert_false(moatD_name(&r, &n));
    assert_error(err, MOAT_ERR_MALFORMED, 1, "length out of bounds");
}

static void
count_is_checked_before_allocation(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0x00, 0x03, 1, 2, 3, 4, 5, 6 };
    moat_error err = { 0 };
    Reader     r = moatD_reader(in, sizeof in, &err);
    uint32_t   n;
    uint8_t    b;

    assert_true(moatD_byte(&r, &b));
    assert_true(moatD_count(&r, 2, &n));        /* 3 items of 2 bytes: 6 */
    assert_int_equal(n, 3);
    r = moatD_reader(in, sizeof in, &err);
    assert_true(moatD_byte(&r, &b));
    assert_false(moatD_count(&r, 3, &n));       /* would need 9 bytes */
    assert_error(err, MOAT_ERR_MALFORMED, 1, "length out of bounds");
}

/* ---- UTF-8 (binary 5.2.4): Unicode scalar values only ---- */

typedef struct Utf8 {
    const char *s;
    size_t      len;
    bool        ok;
    const char *what;
} Utf8;

#define U(lit, ok, what) { lit, sizeof(lit) - 1, ok, what }

static const Utf8 utf8_rows[] = {
    U("", true, "empty"),
    U("hello\x7f", true, "ASCII"),
    U("\xc2\x80", true, "U+0080, shortest 2-byte"),
    U("\xdf\xbf", true, "U+07FF"),
    U("\xe0\xa0\x80", true, "U+0800, shortest 3-byte"),
    U("\xed\x9f\xbf", true, "U+D7FF, below the surrogates"),
    U("\xee\x80\x80", true, "U+E000, above the surrogates"),
    U("\xef\xbf\xbf", true, "U+FFFF"),
    U("\xf0\x90\x80\x80", true, "U+10000, shortest 4-byte"),
    U("\xf4\x8f\xbf\xbf", true, "U+10FFFF, the last scalar value"),
    U("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", true, "1 to 4 bytes mixed"),
    U("\xc0\x80", false, "overlong NUL"),
    U("\xc1\xbf", false, "overlong 2-byte"),
    U("\xe0\x80\x80", false, "overlong 3-byte"),
    U("\xe0\x9f\xbf", false, "overlong U+07FF in 3 bytes"),
    U("\xf0\x80\x80\x80", false, "overlong 4-byte"),
    U("\xf0\x8f\xbf\xbf", false, "overlong U+FFFF in 4 bytes"),
    U("\xed\xa0\x80", false, "surrogate U+D800"),
    U("\xed\xbf\xbf", false, "surrogate U+DFFF"),
    U("\xf4\x90\x80\x80", false, "U+110000"),
    U("\xf5\x80\x80\x80", false, "lead byte 0xf5"),
    U("\xf7\xbf\xbf\xbf", false, "U+1FFFFF"),
    U("\xf8\x88\x80\x80\x80", false, "5-byte form"),
    U("\xfe", false, "byte 0xfe"),
    U("\xff", false, "byte 0xff"),
    U("\x80", false, "lone continuation byte"),
    U("a\xbf", false, "continuation after ASCII"),
    U("\xc2", false, "2-byte sequence cut after 1"),
    U("\xe0\xa0", false, "3-byte sequence cut after 2"),
    U("\xf0\x90\x80", false, "4-byte sequence cut after 3"),
    U("\xc2\x41", false, "continuation byte missing"),
    U("\xe0\xa0\xc0", false, "third byte not a continuation"),
    U("ok\xf0\x90\x80\x80\xed\xa0\x80", false, "surrogate after valid"),
};

static void
utf8_validity(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(utf8_rows); i++) {
        const Utf8 *t = &utf8_rows[i];
        bool ok = moatD_utf8_valid((const uint8_t *)t->s, t->len);
        if (ok != t->ok)
            fail_msg("%s: got %s, want %s", t->what,
                     ok ? "valid" : "invalid", t->ok ? "valid" : "invalid");
    }
}

/* A NUL byte is a valid scalar value: names are counted, not NUL-ended. */
static void
utf8_allows_embedded_nul(void **state)
{
    (void)state;
    static const uint8_t s[] = { 'a', 0x00, 'b' };
    assert_true(moatD_utf8_valid(s, sizeof s));
    assert_false(moatD_utf8_valid((const uint8_t *)"\xc3", 1));
    assert_true(moatD_utf8_valid((const uint8_t *)"\xc3", 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(u32_boundaries),
        cmocka_unit_test(s32_boundaries),
        cmocka_unit_test(s33_boundaries),
        cmocka_unit_test(s64_boundaries),
        cmocka_unit_test(first_error_is_kept),
        cmocka_unit_test(floats_are_little_endian),
        cmocka_unit_test(bytes_check_what_remains),
        cmocka_unit_test(end_of_confined_reader_names_the_section),
        cmocka_unit_test(name_reads_valid_utf8),
        cmocka_unit_test(name_rejects_bad_utf8_and_truncation),
        cmocka_unit_test(count_is_checked_before_allocation),
        cmocka_unit_test(utf8_validity),
        cmocka_unit_test(utf8_allows_embedded_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
