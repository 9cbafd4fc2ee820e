/* test_limits.c - every implementation limit of frontend/impl_limits.h:
 * a module exactly at the limit is accepted, one above is refused with
 * MOAT_ERR_LIMIT at the offset of the count or size that crossed it, and
 * the message names the value and what is counted. Where a module at the
 * limit would take hundreds of MB to decode (element segments), the
 * at-limit case checks that the count passes and decoding stops later for
 * another reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "frontend.h"
#include "moat_compile.h"
#include "wbuf.h"

static moat_error
validate(const Buf *b)
{
    moat_error err = { 0 };
    moat_wasm_validate(b->p, b->len, &err);
    return err;
}

static void
assert_ok(moat_error e)
{
    if (e.code != MOAT_OK)
        fail_msg("rejected at %llu: %s", (unsigned long long)e.offset,
                 e.msg);
}

/* A section of n copies of item after the count; *at = the count's
 * offset. */
static void
repeat_section(Buf *b, uint8_t id, uint32_t n, const uint8_t *item,
               size_t len, size_t *at)
{
    Buf c = { 0 };
    moatT_u32(&c, n);
    for (uint32_t i = 0; i < n; i++)
        moatT_bytes(&c, item, len);
    *at = moatT_section(b, id, &c);
    moatT_free(&c);
}

static moat_error
types_module(uint32_t n, size_t *at)
{
    static const uint8_t t[] = { 0x60, 0x00, 0x00 };
    Buf b = { 0 };
    moatT_header(&b);
    repeat_section(&b, S_TYPE, n, t, sizeof t, at);
    moat_error e = validate(&b);
    moatT_free(&b);
    return e;
}

static void
types(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(types_module(LIM_TYPES_MAX, &at));
    err = types_module(LIM_TYPES_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT, at,
                 "1000001 types, more than the limit of 1000000");
}

/* One type with np params and nr results (i32); *at = the count that
 * matters (params when np is over, else results). */
static moat_error
arity_module(uint32_t np, uint32_t nr, size_t *at)
{
    Buf b = { 0 }, c = { 0 };
    moatT_header(&b);
    BYTES(&c, 0x01, 0x60);
    size_t np_at = c.len;
    moatT_u32(&c, np);
    for (uint32_t i = 0; i < np; i++)
        moatT_byte(&c, 0x7f);
    size_t nr_at = c.len;
    moatT_u32(&c, nr);
    for (uint32_t i = 0; i < nr; i++)
        moatT_byte(&c, 0x7f);
    size_t sec = moatT_section(&b, S_TYPE, &c);
    *at = sec + (np > LIM_PARAMS_MAX ? np_at : nr_at);
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
params_and_results(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(arity_module(LIM_PARAMS_MAX, LIM_RESULTS_MAX, &at));
    err = arity_module(LIM_PARAMS_MAX + 1, 0, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "1001 parameters of a function type");
    err = arity_module(0, LIM_RESULTS_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "1001 results of a function type");
}

/* nimports imported functions and n defined ones of type [] -> []. */
static moat_error
funcs_module(uint32_t nimports, uint32_t n, size_t *imp_at, size_t *at)
{
    static const uint8_t imp[] = { 0x01, 'm', 0x01, 'f', 0x00, 0x00 };
    static const uint8_t decl[] = { 0x00 }, body[] = { 0x02, 0x00, 0x0b };
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    if (nimports)
        repeat_section(&b, S_IMPORT, nimports, imp, sizeof imp, imp_at);
    repeat_section(&b, S_FUNC, n, decl, sizeof decl, at);
    size_t code_at;
    repeat_section(&b, S_CODE, n, body, sizeof body, &code_at);
    moat_error e = validate(&b);
    moatT_free(&b);
    return e;
}

static void
functions(void **state)
{
    (void)state;
    moat_error err;
    size_t imp_at, at;
    assert_ok(funcs_module(0, LIM_FUNCS_MAX, &imp_at, &at));
    err = funcs_module(0, LIM_FUNCS_MAX + 1, &imp_at, &at);
    assert_error(err, MOAT_ERR_LIMIT, at, "1000001 functions");
    /* imported functions count too */
    assert_ok(funcs_module(1, LIM_FUNCS_MAX - 1, &imp_at, &at));
    err = funcs_module(1, LIM_FUNCS_MAX, &imp_at, &at);
    assert_error(err, MOAT_ERR_LIMIT, at, "1000001 functions");
}

static void
imports(void **state)
{
    (void)state;
    moat_error err;
    size_t imp_at, at;
    assert_ok(funcs_module(LIM_IMPORTS_MAX, 0, &imp_at, &at));
    err = funcs_module(LIM_IMPORTS_MAX + 1, 0, &imp_at, &at);
    assert_error(err, MOAT_ERR_LIMIT, imp_at,
                 "100001 imports, more than the limit of 100000");
}

static moat_error
exports_module(uint32_t n, size_t *at)
{
    Buf b = { 0 }, c = { 0 };
    char name[16];
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    moatT_u32(&c, n);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "e%u", i);
        moatT_name(&c, name);
        BYTES(&c, 0x00, 0x00);
    }
    *at = moatT_section(&b, S_EXPORT, &c);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
exports(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(exports_module(LIM_EXPORTS_MAX, &at));
    err = exports_module(LIM_EXPORTS_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "100001 exports");
}

static moat_error
globals_module(uint32_t n, size_t *at)
{
    static const uint8_t g[] = { 0x7f, 0x00, 0x41, 0x00, 0x0b };
    Buf b = { 0 };
    moatT_header(&b);
    repeat_section(&b, S_GLOBAL, n, g, sizeof g, at);
    moat_error e = validate(&b);
    moatT_free(&b);
    return e;
}

static void
globals(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(globals_module(LIM_GLOBALS_MAX, &at));
    err = globals_module(LIM_GLOBALS_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "1000001 globals");
}

/* n passive data segments, with a data count section of `count`. */
static moat_error
datas_module(uint32_t count, uint32_t n, size_t *count_at, size_t *at)
{
    static const uint8_t seg[] = { 0x01, 0x00 };
    Buf b = { 0 }, c = { 0 };
    moatT_header(&b);
    moatT_u32(&c, count);
    *count_at = moatT_section(&b, S_DATACOUNT, &c);
    repeat_section(&b, S_DATA, n, seg, sizeof seg, at);
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
data_segments(void **state)
{
    (void)state;
    moat_error err;
    size_t cat, at;
    uint32_t max = LIM_DATA_SEGMENTS_MAX;
    assert_ok(datas_module(max, max, &cat, &at));
    err = datas_module(max, max + 1, &cat, &at);
    assert_error(err, MOAT_ERR_LIMIT, at,
                 "100001 data segments");
    err = datas_module(max + 1, max + 1, &cat, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 cat, "100001 data segments");
}

static moat_error
tables_module(uint32_t n, size_t *at)
{
    static const uint8_t t[] = { 0x70, 0x00, 0x00 };
    Buf b = { 0 };
    moatT_header(&b);
    repeat_section(&b, S_TABLE, n, t, sizeof t, at);
    moat_error e = validate(&b);
    moatT_free(&b);
    return e;
}

static void
tables(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(tables_module(LIM_TABLES_MAX, &at));
    err = tables_module(LIM_TABLES_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT, at,
                 "100001 tables");
}

/* One table: flag, min (and max); *at = the limits' offset. */
static moat_error
table_size_module(uint32_t min, bool has_max, uint32_t max, size_t *at)
{
    Buf b = { 0 }, c = { 0 };
    moatT_header(&b);
    BYTES(&c, 0x01, 0x70, has_max ? 0x01 : 0x00);
    moatT_u32(&c, min);
    if (has_max)
        moatT_u32(&c, max);
    *at = moatT_section(&b, S_TABLE, &c) + 2;
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
table_size(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(table_size_module(LIM_TABLE_SIZE_MAX, false, 0, &at));
    assert_ok(table_size_module(0, true, 0xffffffffu, &at));   /* a max */
    err = table_size_module(LIM_TABLE_SIZE_MAX + 1, false, 0, &at);
    assert_error(err, MOAT_ERR_LIMIT, at, "10000001 elements of a table's");
    /* min > max stays the spec's invalid module */
    err = table_size_module(0xffffffffu, true, 0, &at);
    assert_error(err, MOAT_ERR_INVALID, at, "size minimum must not be greater");
}

/* An element section of `count` segments whose first holds `entries`
 * function indices, each the byte `fill` (0: function 0; 0xff: a
 * malformed index), followed by 0xff bytes (malformed flags); *at = the
 * count that matters. */
static moat_error
elem_module(uint32_t count, uint32_t entries, uint8_t fill, size_t *at)
{
    Buf b = { 0 }, c = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    size_t count_at = c.len;
    moatT_u32(&c, count);
    BYTES(&c, 0x01, 0x00);                  /* passive, elemkind funcref */
    size_t entries_at = c.len;
    moatT_u32(&c, entries);
    for (uint32_t i = 0; i < entries; i++)
        moatT_byte(&c, fill);
    while (c.len < (size_t)count + 16)      /* bytes for the count */
        moatT_byte(&c, 0xff);
    size_t sec = moatT_section(&b, S_ELEM, &c);
    *at = sec + (count > LIM_ELEM_SEGMENTS_MAX ? count_at : entries_at);
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
element_segments(void **state)
{
    (void)state;
    moat_error err;
    size_t     at;
    moat_error e = elem_module(LIM_ELEM_SEGMENTS_MAX, 1, 0x00, &at);
    assert_int_equal(e.code, MOAT_ERR_MALFORMED);   /* the 2nd segment */
    err = elem_module(LIM_ELEM_SEGMENTS_MAX + 1, 1, 0x00, &at);
    assert_error(err, MOAT_ERR_LIMIT, at, "10000001 element segments");
    /* the count passes; the first entry is malformed */
    e = elem_module(2, LIM_ELEM_ENTRIES_MAX, 0xff, &at);
    assert_int_equal(e.code, MOAT_ERR_MALFORMED);
    assert_int_equal(e.offset, at + 4);
    err = elem_module(2, LIM_ELEM_ENTRIES_MAX + 1, 0xff, &at);
    assert_error(err, MOAT_ERR_LIMIT, at, "10000001 entries in an element");
}

/* One function whose body is `size` bytes: no locals, nops, end. */
static moat_error
body_module(uint32_t size, size_t *at)
{
    Buf b = { 0 }, c = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    moatT_u32(&c, 1);
    size_t size_at = c.len;
    moatT_u32(&c, size);
    moatT_byte(&c, 0x00);
    for (uint32_t i = 0; i + 2 < size; i++)
        moatT_byte(&c, 0x01);
    moatT_byte(&c, 0x0b);
    *at = moatT_section(&b, S_CODE, &c) + size_at;
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    return e;
}

static void
body_size(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(body_module(LIM_BODY_SIZE_MAX, &at));
    err = body_module(LIM_BODY_SIZE_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "7654322 bytes in a function body");
}

/* block, i32.const 0, br_table with n targets (all 0) and default 0. */
static moat_error
br_table_module(uint32_t n, size_t *at)
{
    Buf b = { 0 }, c = { 0 }, body = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    BYTES(&body, 0x00, 0x02, 0x40, 0x41, 0x00, 0x0e);
    size_t count_at = body.len;
    moatT_u32(&body, n);
    for (uint32_t i = 0; i < n; i++)
        moatT_byte(&body, 0x00);
    BYTES(&body, 0x00, 0x0b, 0x0b);
    moatT_u32(&c, 1);
    moatT_u32(&c, (uint32_t)body.len);
    size_t body_at = c.len;
    moatT_bytes(&c, body.p, body.len);
    *at = moatT_section(&b, S_CODE, &c) + body_at + count_at;
    moat_error e = validate(&b);
    moatT_free(&b);
    moatT_free(&c);
    moatT_free(&body);
    return e;
}

static void
br_table(void **state)
{
    (void)state;
    moat_error err;
    size_t at;
    assert_ok(br_table_module(LIM_BR_TABLE_MAX, &at));
    err = br_table_module(LIM_BR_TABLE_MAX + 1, &at);
    assert_error(err, MOAT_ERR_LIMIT,
                 at, "65521 br_table targets");
}

/* The size is judged before anything is read or copied: the input is a
 * mapping of zero pages that is never touched. */
static void
module_size(void **state)
{
    (void)state;
    size_t   max = LIM_MODULE_SIZE_MAX;
    uint8_t *p = mmap(NULL, max + 1, PROT_READ,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    moat_error e = { 0 };
    assert_int_equal(moat_wasm_validate(p, max + 1, &e), MOAT_ERR_LIMIT);
    assert_error(e, MOAT_ERR_LIMIT, max, "1073741825 bytes in a module");
    memset(&e, 0, sizeof e);
    moat_wasm_validate(p, max, &e);            /* size passes; no magic */
    assert_error(e, MOAT_ERR_MALFORMED, 0, "magic header not detected");
    munmap(p, max + 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types),
        cmocka_unit_test(params_and_results),
        cmocka_unit_test(functions),
        cmocka_unit_test(imports),
        cmocka_unit_test(exports),
        cmocka_unit_test(globals),
        cmocka_unit_test(data_segments),
        cmocka_unit_test(tables),
        cmocka_unit_test(table_size),
        cmocka_unit_test(element_segments),
        cmocka_unit_test(body_size),
        cmocka_unit_test(br_table),
        cmocka_unit_test(module_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
