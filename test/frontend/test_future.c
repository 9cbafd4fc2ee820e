/* test_future.c - modules that use a WebAssembly 3.0 feature Moat does not
 * implement yet are rejected as malformed (as a 2.0 decoder must), and the
 * message names the feature (frontend/future.def): an opcode, a value
 * type, a type-section form, a section, an import and an export kind, a
 * limits flag. (The threads proposal's atomics and shared memories and
 * extended constant expressions are implemented: not here.) Also: no encoding is both
 * an instruction (opcodes.def) and a future one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "wbuf.h"

/* Fails unless e is code at offset off and its message holds want. */
static void
expect(moat_error e, moat_status code, uint64_t off, const char *want)
{
    if (e.code != code || e.offset != off || !strstr(e.msg, want))
        print_error("got code %d at 0x%llx: \"%s\"; want code %d at 0x%llx "
                    "holding \"%s\"\n", (int)e.code,
                    (unsigned long long)e.offset, e.msg, (int)code,
                    (unsigned long long)off, want);
    assert_int_equal(e.code, code);
    assert_int_equal(e.offset, off);
    assert_non_null(strstr(e.msg, want));
}

/* One function [] -> [] whose body is code (without the final end); the
 * offset of code's first byte. */
static size_t
body_module(Buf *b, const uint8_t *code, size_t n)
{
    Buf c = { 0 };
    moatT_header(b);
    SEC(b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(b, S_FUNC, 0x01, 0x00);
    SEC(b, S_TABLE, 0x01, 0x70, 0x00, 0x01);
    moatT_u32(&c, 1);
    moatT_u32(&c, (uint32_t)n + 2);
    moatT_byte(&c, 0);                          /* no locals */
    moatT_bytes(&c, code, n);
    moatT_byte(&c, 0x0b);
    size_t at = moatT_section(b, S_CODE, &c);
    moatT_free(&c);
    return at + 3;                              /* count, size, locals */
}

static void
opcodes_name_their_feature(void **state)
{
    (void)state;
    static const struct {
        uint8_t     code[4];
        size_t      n;
        const char *want;
    } cases[] = {
        { { 0x12, 0x00 }, 2, "0x12: return_call (tail calls, WebAssembly "
                             "3.0) is not supported yet" },
        { { 0x13, 0x00, 0x00 }, 3, "return_call_indirect (tail calls" },
        { { 0x1f, 0x40, 0x00 }, 3, "try_table (exception handling" },
        { { 0x06, 0x40 }, 2, "try (legacy exception handling" },
        { { 0x14, 0x00 }, 2, "call_ref (typed function references" },
        { { 0xd5 }, 1, "ref.eq (garbage collection (GC)" },
        { { 0xfb, 0x00, 0x00 }, 3, "0xfb 0x0: struct.new (garbage" },
        { { 0xfb, 0x05, 0x00 }, 3, "0xfb 0x5: an instruction of garbage "
                                   "collection (GC)" },
        { { 0xfd, 0x80, 0x02 }, 3, "0xfd 0x100: i8x16.relaxed_swizzle "
                                   "(relaxed SIMD" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Buf    b = { 0 };
        size_t at = body_module(&b, cases[i].code, cases[i].n);
        expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at, cases[i].want);
        moatT_free(&b);
    }
}

static void
still_plain_for_unknown_opcodes(void **state)
{
    (void)state;
    Buf    b = { 0 };
    size_t at = body_module(&b, (const uint8_t[]){ 0x27 }, 1);
    moat_error e = moatT_reject(&b);
    expect(e, MOAT_ERR_MALFORMED, at, "illegal opcode 0x27");
    assert_null(strstr(e.msg, "WebAssembly 3.0"));
    moatT_free(&b);
}

static void
types_forms_sections_kinds_limits(void **state)
{
    (void)state;
    Buf    b = { 0 };
    moatT_header(&b);
    size_t at = SEC(&b, S_TYPE, 0x01, 0x60, 0x01, 0x64, 0x70, 0x00);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 3,
           "value type 0x64: (ref ht) (typed function references");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, S_TYPE, 0x01, 0x4e, 0x01, 0x60, 0x00, 0x00);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 1,
           "got 0x4e: rec (garbage collection (GC)");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, 13, 0x00);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at - 2,
           "section id 13: the tag section (exception handling");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, S_IMPORT, 0x01, 0x01, 'm', 0x01, 't', 0x04, 0x00, 0x00);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 5,
           "import kind 0x04: tag (exception handling");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, S_EXPORT, 0x01, 0x01, 't', 0x04, 0x00);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 3,
           "export kind 0x04: tag (exception handling");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, S_MEM, 0x01, 0x04, 0x01);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 1,
           "limits flag 0x04 (64-bit indices (memory64)");
    moatT_free(&b);

    moatT_header(&b);
    at = SEC(&b, S_TABLE, 0x01, 0x70, 0x03, 0x01, 0x02);
    expect(moatT_reject(&b), MOAT_ERR_MALFORMED, at + 2,
           "limits flag 0x03 (a shared table (threads)");
    moatT_free(&b);
}

/* Extended constant expressions are implemented now: the module that
 * named the feature before decodes, and a mistyped one is invalid. */
static void
extended_constant_expressions(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    /* (global i32 (i32.add (i32.const 1) (i32.const 2))) */
    SEC(&b, S_GLOBAL, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b);
    Module *m = moatT_decode(&b);
    assert_int_equal(m->globals[0].init.kind, CONST_EXPR);
    assert_int_equal(m->globals[0].init.idx, 3);
    assert_int_equal(m->globals[0].init.u.ops[2].kind, CONST_I32_ADD);
    moatD_module_free(m);
    moatT_free(&b);

    moatT_header(&b);
    /* (global i32 (i32.add (i64.const 1) (i32.const 2))) */
    size_t at = SEC(&b, S_GLOBAL, 0x01, 0x7f, 0x00, 0x42, 0x01, 0x41, 0x02,
                    0x6a, 0x0b);
    expect(moatT_reject(&b), MOAT_ERR_INVALID, at + 7,
           "type mismatch: i32.add needs two i32 values");
    moatT_free(&b);

    /* 129 consts and 128 adds: one instruction past the limit (256) */
    Buf g = { 0 };
    moatT_byte(&g, 0x01);
    BYTES(&g, 0x7f, 0x00);
    for (int k = 0; k < 129; k++)
        BYTES(&g, 0x41, 0x01);
    size_t last = 0;
    for (int k = 0; k < 128; k++) {
        last = g.len;
        moatT_byte(&g, 0x6a);
    }
    moatT_byte(&g, 0x0b);
    moatT_header(&b);
    at = moatT_section(&b, S_GLOBAL, &g);
    expect(moatT_reject(&b), MOAT_ERR_LIMIT, at + last,
           "instructions in a constant expression");
    moatT_free(&b);
    moatT_free(&g);
}

/* A row of future.def that opcodes.def also decodes would never be
 * reached: the feature landed and the row must go. */
static void
no_encoding_is_both(void **state)
{
    (void)state;
    static const uint8_t prefixes[] = { 0, 0xfb, 0xfc, 0xfd, 0xfe };
    unsigned            future = 0;
    for (size_t p = 0; p < sizeof prefixes; p++)
        for (uint32_t code = 0; code < 0x200; code++) {
            const char *text, *feature;
            if (!moatD_future_op(prefixes[p], code, &text, &feature))
                continue;
            future++;
            if (moatD_op_lookup(prefixes[p], code) >= 0)
                fail_msg("0x%02x 0x%x is in opcodes.def and future.def",
                         prefixes[p], code);
            assert_non_null(feature);
        }
    assert_true(future > 40);           /* GC, relaxed SIMD, ... */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opcodes_name_their_feature),
        cmocka_unit_test(still_plain_for_unknown_opcodes),
        cmocka_unit_test(types_forms_sections_kinds_limits),
        cmocka_unit_test(extended_constant_expressions),
        cmocka_unit_test(no_encoding_is_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
