/* test_section_errors.c - decode.c and sec_*.c on hand-assembled modules
 * that must be rejected: header, section framing and order, counts that
 * must agree, limits, unknown indices, start function, locals. Each is
 * checked for code, offset and the spec's words (binary 5.5, valid. 3.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "moat_compile.h"
#include "wbuf.h"

/* ---- framing and order ---- */

static void
bad_magic_and_version(void **state)
{
    (void)state;
    static const uint8_t magic[] = { 0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0 };
    static const uint8_t version[] = { 0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0 };
    static const uint8_t cut[] = { 0x00, 0x61, 0x73, 0x6d, 1, 0 };
    moat_error err = { 0 };

    assert_int_equal(moat_wasm_validate(magic, sizeof magic, &err),
                     MOAT_ERR_MALFORMED);
    assert_error(err, MOAT_ERR_MALFORMED, 0, "magic header not detected");
    err = (moat_error){ 0 };
    moat_wasm_validate(version, sizeof version, &err);
    assert_error(err, MOAT_ERR_MALFORMED, 4, "unknown binary version");
    err = (moat_error){ 0 };
    moat_wasm_validate(cut, sizeof cut, &err);
    assert_error(err, MOAT_ERR_MALFORMED, 4, "unexpected end");
    err = (moat_error){ 0 };
    moat_wasm_validate(magic, 0, &err);
    assert_error(err, MOAT_ERR_MALFORMED, 0, "unexpected end");
    assert_int_equal(moat_wasm_validate(magic, 3, NULL), MOAT_ERR_MALFORMED);
}

static void
sections_out_of_order_or_repeated(void **state)
{
    (void)state;
    static const uint8_t order[][2] = {
        { S_FUNC, S_TYPE }, { S_TYPE, S_TYPE }, { S_CODE, S_DATACOUNT },
        { S_DATA, S_DATACOUNT }, { S_DATACOUNT, S_ELEM },
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        Buf b = { 0 };
        moatT_header(&b);
        SEC(&b, S_CUSTOM, 0x00);                    /* never counts */
        moatT_sec(&b, order[i][0], (const uint8_t[]){ 0x00 }, 1);
        size_t at = b.len;
        moatT_sec(&b, order[i][1], (const uint8_t[]){ 0x00 }, 1);
        moat_error err = moatT_reject(&b);
        assert_error(err, MOAT_ERR_MALFORMED, at, "unexpected content after"
                     " last section");
        moatT_free(&b);
    }
}

static void
section_framing(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, 13, 0x00);
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, 8,
                 "malformed section id");
    b.len = 8;
    size_t at = SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00, 0x00);
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 4,
                 "section size mismatch");
    b.len = 8;
    at = SEC(&b, S_TYPE, 0x02, 0x60, 0x00, 0x00);       /* 2nd type cut */
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 4,
                 "unexpected end of section or function");
    b.len = 8;
    BYTES(&b, S_TYPE, 0x05, 0x01, 0x60, 0x00);          /* size > input */
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, 10,
                 "length out of bounds");
    moatT_free(&b);
}

static void
function_and_code_counts_must_match(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x02, 0x00, 0x00);
    size_t mark = b.len;
    size_t at = SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    const char *msg = "function and code section have inconsistent lengths";

    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, at, msg);
    b.len = mark;                                   /* no code section */
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, b.len, msg);
    b.len = 8;                                      /* code, no functions */
    at = SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, at, msg);
    moatT_free(&b);
}

static void
data_count_must_match(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_MEM, 0x01, 0x00, 0x01);
    SEC(&b, S_DATACOUNT, 0x02);
    size_t mark = b.len;
    SEC(&b, S_DATA, 0x01, 0x01, 0x00);
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, b.len, "data count and "
                 "data section have inconsistent lengths");
    b.len = mark;                                   /* no data section */
    assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, b.len, "data count and "
                 "data section have inconsistent lengths");
    moatT_free(&b);
}

/* One byte (or a few) that no encoding allows, per section. */
static void
malformed_encodings(void **state)
{
    (void)state;
    static const struct {
        uint8_t     id, len, bytes[8], at;
        const char *msg;
    } rows[] = {
        { S_TYPE, 4, { 0x01, 0x61, 0x00, 0x00 }, 1,
          "integer representation too long" },
        { S_TYPE, 5, { 0x01, 0x60, 0x01, 0x7a, 0x00 }, 3,
          "malformed value type" },
        { S_IMPORT, 7, { 0x01, 0x01, 'a', 0x01, 'b', 0x04, 0x00 }, 5,
          "malformed import kind" },
        { S_IMPORT, 6, { 0x01, 0x01, 0xc0, 0x01, 'b', 0x00 }, 2,
          "malformed UTF-8 encoding" },
        { S_TABLE, 4, { 0x01, 0x7f, 0x00, 0x00 }, 1,
          "malformed reference type" },
        { S_GLOBAL, 6, { 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b }, 2,
          "malformed mutability" },
        { S_ELEM, 3, { 0x01, 0x08, 0x00 }, 1,
          "malformed elements segment kind" },
        { S_ELEM, 4, { 0x01, 0x01, 0x01, 0x00 }, 2,
          "malformed element kind" },
        { S_DATA, 3, { 0x01, 0x03, 0x00 }, 1,
          "malformed data segment kind" },
        { S_CUSTOM, 2, { 0x01, 0xff }, 1, "malformed UTF-8 encoding" },
        { S_CUSTOM, 0, { 0 }, 0, "unexpected end" },     /* no name */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Buf b = { 0 };
        moatT_header(&b);
        size_t at = moatT_sec(&b, rows[i].id, rows[i].bytes, rows[i].len);
        assert_error(moatT_reject(&b), MOAT_ERR_MALFORMED, at + rows[i].at,
                     rows[i].msg);
        moatT_free(&b);
    }
}

/* ---- limits, types and indices ---- */

static void
limits(void **state)
{
    (void)state;
    static const struct {
        uint8_t id, len, bytes[8];
        moat_status code;
        const char *msg;
    } rows[] = {
        { S_MEM, 3, { 0x01, 0x04, 0x00 }, MOAT_ERR_MALFORMED,
          "integer too large" },
        /* threads: flag 2 is a shared memory, which needs a maximum */
        { S_MEM, 3, { 0x01, 0x02, 0x00 }, MOAT_ERR_INVALID,
          "shared memory must have maximum" },
        { S_MEM, 3, { 0x01, 0x81, 0x00 }, MOAT_ERR_MALFORMED,
          "integer representation too long" },
        { S_MEM, 5, { 0x01, 0x00, 0x81, 0x80, 0x04 }, MOAT_ERR_INVALID,
          "memory size must be at most 65536 pages" },
        { S_MEM, 6, { 0x01, 0x01, 0x00, 0x81, 0x80, 0x04 }, MOAT_ERR_INVALID,
          "memory size must be at most 65536 pages" },
        { S_MEM, 4, { 0x01, 0x01, 0x02, 0x01 }, MOAT_ERR_INVALID,
          "size minimum must not be greater than maximum" },
        { S_TABLE, 5, { 0x01, 0x70, 0x01, 0x05, 0x04 }, MOAT_ERR_INVALID,
          "size minimum must not be greater than maximum" },
        { S_TABLE, 4, { 0x01, 0x70, 0x02, 0x00 }, MOAT_ERR_MALFORMED,
          "integer too large" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Buf b = { 0 };
        moatT_header(&b);
        size_t at = moatT_sec(&b, rows[i].id, rows[i].bytes, rows[i].len);
        at += rows[i].id == S_TABLE ? 2 : 1;        /* the limits flag */
        assert_error(moatT_reject(&b), rows[i].code, at, rows[i].msg);
        moatT_free(&b);
    }
}

/* One function, then these exports, then its body. */
static moat_error
exports_module(const uint8_t *exports, size_t n, size_t *at)
{
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    *at = moatT_sec(&b, S_EXPORT, exports, n);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    moat_error err = moatT_reject(&b);
    moatT_free(&b);
    return err;
}

static void
exports_must_be_unique_and_known(void **state)
{
    (void)state;
    static const uint8_t dup[] = { 0x03, 0x01, 'a', 0x00, 0x00, 0x01, 'b',
                                   0x00, 0x00, 0x01, 'a', 0x00, 0x00 };
    static const uint8_t func[] = { 0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'b',
                                    0x00, 0x05 };
    static const uint8_t global[] = { 0x01, 0x01, 'g', 0x03, 0x00 };
    static const uint8_t kind[] = { 0x01, 0x01, 'k', 0x04, 0x00 };
    size_t at;

    moat_error e = exports_module(dup, sizeof dup, &at);
    assert_error(e, MOAT_ERR_INVALID, at + 9,           /* the second "a" */
                 "duplicate export name");
    assert_error(exports_module(func, sizeof func, &at), MOAT_ERR_INVALID,
                 at + 7, "unknown function 5");
    assert_error(exports_module(global, sizeof global, &at),
                 MOAT_ERR_INVALID, at + 3, "unknown global 0");
    assert_error(exports_module(kind, sizeof kind, &at), MOAT_ERR_MALFORMED,
                 at + 3, "malformed export kind");
}

static void
unknown_indices(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    size_t at = SEC(&b, S_FUNC, 0x02, 0x00, 0x01);
    SEC(&b, S_CODE, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at + 2, "unknown type 1");

    b.len = 8;
    SEC(&b, S_TYPE, 0x00);
    at = SEC(&b, S_IMPORT, 0x01, 0x01, 'a', 0x01, 'f', 0x00, 0x00);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at + 6, "unknown type 0");

    b.len = 8;
    at = SEC(&b, S_GLOBAL, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at + 3,
                 "unknown global 0");

    b.len = 8;
    SEC(&b, S_TABLE, 0x01, 0x70, 0x00, 0x00);
    at = SEC(&b, S_ELEM, 0x01, 0x02, 0x01, 0x41, 0x00, 0x0b, 0x00, 0x00);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at + 1, "unknown table 1");

    b.len = 8;
    at = SEC(&b, S_ELEM, 0x01, 0x01, 0x00, 0x01, 0x03);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at + 4,
                 "unknown function 3");
    moatT_free(&b);
}

static void
start_function_rules(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x01, 0x7f, 0x00);      /* [i32] -> [] */
    SEC(&b, S_FUNC, 0x01, 0x00);
    size_t mark = b.len;
    size_t at = SEC(&b, S_START, 0x00);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at, "start function");
    b.len = mark;
    at = SEC(&b, S_START, 0x01);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    assert_error(moatT_reject(&b), MOAT_ERR_INVALID, at, "unknown function 1");
    moatT_free(&b);
}

/* Locals: a u32 total over 2^32 is malformed; over Moat's limit of 50000
 * (parameters included) it is MOAT_ERR_LIMIT; 50000 itself is fine. */
static moat_error
locals_module(uint8_t nparams, const uint8_t *runs, size_t n, size_t *at)
{
    Buf b = { 0 }, c = { 0 }, body = { 0 };
    moatT_header(&b);
    BYTES(&c, 0x01, 0x60, nparams);                 /* i32 params */
    for (uint8_t i = 0; i < nparams; i++)
        moatT_byte(&c, 0x7f);
    moatT_byte(&c, 0x00);
    moatT_section(&b, S_TYPE, &c);
    c.len = 0;
    SEC(&b, S_FUNC, 0x01, 0x00);
    moatT_bytes(&body, runs, n);
    moatT_byte(&body, 0x0b);
    moatT_u32(&c, 1);
    moatT_u32(&c, (uint32_t)body.len);
    size_t locals_at = c.len;
    moatT_bytes(&c, body.p, body.len);
    *at = moatT_section(&b, S_CODE, &c) + locals_at;
    moat_error err = { 0 };
    moat_wasm_validate(b.p, b.len, &err);
    moatT_free(&b);
    moatT_free(&c);
    moatT_free(&body);
    return err;
}

static void
too_many_locals(void **state)
{
    (void)state;
    static const uint8_t wrap[] = { 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f,
                                    0x01, 0x7e };
    static const uint8_t over[] = { 0x02, 0xd0, 0x86, 0x03, 0x7f, 0x01, 0x7e };
    static const uint8_t at_limit[] = { 0x01, 0xd0, 0x86, 0x03, 0x7f };
    size_t at;

    moat_error err = locals_module(0, wrap, sizeof wrap, &at);
    assert_error(err, MOAT_ERR_MALFORMED, at, "too many locals");
    err = locals_module(0, over, sizeof over, &at);       /* 50000 + 1 */
    assert_error(err, MOAT_ERR_LIMIT, at, "50001 locals of a function");
    err = locals_module(1, at_limit, sizeof at_limit, &at); /* 1 + 50000 */
    assert_error(err, MOAT_ERR_LIMIT, at, "50001 locals of a function");
    err = locals_module(0, at_limit, sizeof at_limit, &at);
    assert_int_equal(err.code, MOAT_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_magic_and_version),
        cmocka_unit_test(sections_out_of_order_or_repeated),
        cmocka_unit_test(section_framing),
        cmocka_unit_test(function_and_code_counts_must_match),
        cmocka_unit_test(data_count_must_match),
        cmocka_unit_test(malformed_encodings),
        cmocka_unit_test(limits),
        cmocka_unit_test(exports_must_be_unique_and_known),
        cmocka_unit_test(unknown_indices),
        cmocka_unit_test(start_function_rules),
        cmocka_unit_test(too_many_locals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
