/* test_sections.c - decode.c and sec_*.c on hand-assembled modules: each
 * section's contents land in the Module, and each framing, count and
 * cross-section rule rejects with the right code, offset and words
 * (binary 5.5, validation 3.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"
#include "wbuf.h"

static bool
name_is(Name n, const char *s)
{
    return n.len == strlen(s) && memcmp(n.s, s, n.len) == 0;
}

/* ---- what each section decodes to ---- */

static void
header_only_module_is_empty(void **state)
{
    (void)state;
    Buf     b = { 0 };
    moatT_header(&b);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->len, 8);
    assert_ptr_not_equal(m->bytes, b.p);        /* the input is copied */
    assert_memory_equal(m->bytes, b.p, 8);
    assert_int_equal(m->ntypes + m->nimports + m->nfuncs + m->ntables +
                     m->nmems + m->nglobals + m->nexports + m->nelems +
                     m->ndatas + m->ncustoms, 0);
    assert_false(m->has_start);
    assert_false(m->has_datacount);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
type_section(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x03, 0x60, 0x00, 0x00,             /* [] -> [] */
        0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7d,             /* i32 i64 -> f32 */
        0x60, 0x03, 0x7b, 0x70, 0x6f, 0x02, 0x7c, 0x7f);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->ntypes, 3);
    assert_int_equal(m->types[0].nparams + m->types[0].nresults, 0);
    assert_int_equal(m->types[1].nparams, 2);
    assert_int_equal(m->types[1].nresults, 1);
    assert_memory_equal(m->types[1].types, "\x7f\x7e\x7d", 3);
    assert_int_equal(m->types[2].nparams, 3);
    assert_int_equal(m->types[2].nresults, 2);
    assert_memory_equal(m->types[2].types, "\x7b\x70\x6f\x7c\x7f", 5);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
import_section_all_kinds(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x01, 0x7f, 0x00);
    SEC(&b, S_IMPORT, 0x05,
        0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,     /* func type 0 */
        0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x0a,
        0x03, 'e', 'n', 'v', 0x01, 'm', 0x02, 0x00, 0x01,
        0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7e, 0x01, /* mut i64 */
        0x01, 'x', 0x02, 'f', '2', 0x00, 0x00);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->nimports, 5);
    assert_int_equal(m->nfunc_imports, 2);
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->ntable_imports + m->nmem_imports, 2);
    assert_int_equal(m->nglobal_imports, 1);
    assert_true(name_is(m->imports[0].module, "env"));
    assert_true(name_is(m->imports[4].name, "f2"));
    assert_int_equal(m->imports[4].kind, EXT_FUNC);
    assert_int_equal(m->imports[4].idx, 1);     /* second function */
    assert_int_equal(m->imports[1].kind, EXT_TABLE);
    assert_true(m->funcs[1].is_import);
    assert_int_equal(m->funcs[1].type_idx, 0);
    assert_int_equal(m->tables[0].elem, T_FUNCREF);
    assert_int_equal(m->tables[0].limits.min, 1);
    assert_int_equal(m->tables[0].limits.max, 10);
    assert_true(m->tables[0].limits.has_max);
    assert_int_equal(m->mems[0].min, 1);
    assert_false(m->mems[0].has_max);
    assert_true(m->globals[0].is_import);
    assert_int_equal(m->globals[0].type.type, T_I64);
    assert_true(m->globals[0].type.is_mut);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
function_and_code_sections(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f);
    SEC(&b, S_FUNC, 0x02, 0x01, 0x00);
    size_t at = SEC(&b, S_CODE, 0x02,
                    0x08, 0x02, 0x02, 0x7e, 0x01, 0x7d,  /* 2 i64, 1 f32 */
                    0x20, 0x00, 0x0b,                    /* local.get 0 */
                    0x02, 0x00, 0x0b);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->funcs[0].type_idx, 1);
    assert_false(m->funcs[0].is_import);
    assert_int_equal(m->funcs[0].nlocals, 3);
    assert_int_equal(m->funcs[0].nruns, 2);
    assert_int_equal(m->funcs[0].runs[0].count, 2);
    assert_int_equal(m->funcs[0].runs[0].type, T_I64);
    assert_int_equal(m->funcs[0].runs[1].type, T_F32);
    assert_int_equal(m->funcs[0].body_off, at + 1);
    assert_int_equal(m->funcs[0].code_off, at + 7);
    assert_int_equal(m->funcs[0].code_len, 3);
    assert_ptr_equal(m->funcs[0].code, m->bytes + at + 7);
    assert_int_equal(m->funcs[1].nlocals, 0);
    assert_int_equal(m->funcs[1].code_len, 1);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
table_and_memory_sections(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_IMPORT, 0x01, 0x01, 'a', 0x01, 't', 0x01, 0x6f, 0x00, 0x05);
    SEC(&b, S_TABLE, 0x02, 0x70, 0x00, 0x00, 0x6f, 0x01, 0x02, 0x03);
    SEC(&b, S_MEM, 0x01, 0x01, 0x01, 0x80, 0x80, 0x04);  /* 1..65536 */
    Module *m = moatT_decode(&b);

    assert_int_equal(m->ntables, 3);            /* the import comes first */
    assert_int_equal(m->ntable_imports, 1);
    assert_int_equal(m->tables[0].elem, T_EXTERNREF);
    assert_int_equal(m->tables[0].limits.min, 5);
    assert_int_equal(m->tables[1].elem, T_FUNCREF);
    assert_false(m->tables[1].limits.has_max);
    assert_int_equal(m->tables[2].limits.min, 2);
    assert_int_equal(m->tables[2].limits.max, 3);
    assert_int_equal(m->nmems, 1);
    assert_int_equal(m->mems[0].min, 1);
    assert_int_equal(m->mems[0].max, 65536);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
global_section(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_IMPORT, 0x01, 0x01, 'a', 0x01, 'g', 0x03, 0x7f, 0x00);
    SEC(&b, S_GLOBAL, 0x04,
        0x7f, 0x00, 0x41, 0x2a, 0x0b,                   /* i32 42 */
        0x7c, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b, /* mut 1.0 */
        0x7f, 0x00, 0x23, 0x00, 0x0b,                   /* global.get 0 */
        0x70, 0x00, 0xd0, 0x70, 0x0b);                  /* ref.null func */
    Module *m = moatT_decode(&b);

    assert_int_equal(m->nglobals, 5);
    assert_false(m->globals[1].is_import);
    assert_int_equal(m->globals[1].init.kind, CONST_I32);
    assert_int_equal(m->globals[1].init.u.i32, 42);
    assert_true(m->globals[2].type.is_mut);
    assert_int_equal(m->globals[2].init.kind, CONST_F64);
    assert_int_equal(m->globals[2].init.u.i64, 0x3ff0000000000000ULL);
    assert_int_equal(m->globals[3].init.kind, CONST_GLOBAL_GET);
    assert_int_equal(m->globals[3].init.idx, 0);
    assert_int_equal(m->globals[3].init.type, T_I32);
    assert_int_equal(m->globals[4].init.kind, CONST_REF_NULL);
    assert_int_equal(m->globals[4].init.type, T_FUNCREF);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
export_and_start_sections(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    SEC(&b, S_TABLE, 0x01, 0x70, 0x00, 0x00);
    SEC(&b, S_MEM, 0x01, 0x00, 0x00);
    SEC(&b, S_GLOBAL, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b);
    SEC(&b, S_EXPORT, 0x04, 0x01, 'f', 0x00, 0x00, 0x01, 't', 0x01, 0x00,
        0x01, 'm', 0x02, 0x00, 0x02, 'g', 'g', 0x03, 0x00);
    SEC(&b, S_START, 0x00);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->nexports, 4);
    for (uint8_t k = 0; k < 4; k++) {
        assert_int_equal(m->exports[k].kind, k);
        assert_int_equal(m->exports[k].idx, 0);
    }
    assert_true(name_is(m->exports[0].name, "f"));
    assert_true(name_is(m->exports[3].name, "gg"));
    assert_true(m->has_start);
    assert_int_equal(m->start, 0);
    moatD_module_free(m);
    moatT_free(&b);
}

/* Flags 0-7 (binary 5.5.12), and an externref segment. */
static void
element_section_all_encodings(void **state)
{
    (void)state;
    static const struct { uint8_t mode, type; uint32_t table, off, n; } want[]
        = { { SEG_ACTIVE, T_FUNCREF, 0, 0, 1 },
            { SEG_PASSIVE, T_FUNCREF, 0, 0, 1 },
            { SEG_ACTIVE, T_FUNCREF, 1, 1, 1 },
            { SEG_DECLARATIVE, T_FUNCREF, 0, 0, 1 },
            { SEG_ACTIVE, T_FUNCREF, 0, 2, 2 },
            { SEG_PASSIVE, T_FUNCREF, 0, 0, 1 },
            { SEG_ACTIVE, T_FUNCREF, 1, 3, 1 },
            { SEG_DECLARATIVE, T_FUNCREF, 0, 0, 1 },
            { SEG_PASSIVE, T_EXTERNREF, 0, 0, 1 } };
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x03, 0x00, 0x00, 0x00);
    SEC(&b, S_TABLE, 0x02, 0x70, 0x00, 0x0a, 0x70, 0x00, 0x0a);
    SEC(&b, S_ELEM, 0x09,
        0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,             /* active, funcs */
        0x01, 0x00, 0x01, 0x01,                         /* passive */
        0x02, 0x01, 0x41, 0x01, 0x0b, 0x00, 0x01, 0x02, /* table 1 */
        0x03, 0x00, 0x01, 0x00,                         /* declarative */
        0x04, 0x41, 0x02, 0x0b, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b,
        0x05, 0x70, 0x01, 0xd2, 0x01, 0x0b,             /* passive exprs */
        0x06, 0x01, 0x41, 0x03, 0x0b, 0x70, 0x01, 0xd2, 0x02, 0x0b,
        0x07, 0x70, 0x01, 0xd0, 0x70, 0x0b,             /* declarative */
        0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b);            /* externref */
    SEC(&b, S_CODE, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00,
        0x0b);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->nelems, 9);
    for (uint32_t i = 0; i < 9; i++) {
        const Elem *e = &m->elems[i];
        bool        off_ok = e->mode != SEG_ACTIVE ||
                             (e->offset.kind == CONST_I32 &&
                              e->offset.u.i32 == want[i].off);
        if (e->mode != want[i].mode || e->type != want[i].type ||
            e->table != want[i].table || e->count != want[i].n || !off_ok)
            fail_msg("segment %u: mode %u type 0x%02x table %u count %u",
                     i, e->mode, e->type, e->table, e->count);
    }
    assert_int_equal(m->elems[2].items[0].kind, CONST_REF_FUNC);
    assert_int_equal(m->elems[2].items[0].idx, 2);
    assert_int_equal(m->elems[4].items[0].kind, CONST_REF_FUNC);
    assert_int_equal(m->elems[4].items[1].kind, CONST_REF_NULL);
    assert_int_equal(m->elems[6].items[0].idx, 2);
    assert_int_equal(m->elems[8].items[0].type, T_EXTERNREF);
    moatD_module_free(m);
    moatT_free(&b);
}

static void
data_count_and_data_sections(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_MEM, 0x01, 0x00, 0x01);
    SEC(&b, S_DATACOUNT, 0x03);
    size_t at = SEC(&b, S_DATA, 0x03,
                    0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i',   /* active */
                    0x01, 0x01, 'x',                          /* passive */
                    0x02, 0x00, 0x41, 0x10, 0x0b, 0x00);      /* mem 0 */
    Module *m = moatT_decode(&b);

    assert_true(m->has_datacount);
    assert_int_equal(m->datacount, 3);
    assert_int_equal(m->ndatas, 3);
    assert_int_equal(m->datas[0].mode, SEG_ACTIVE);
    assert_int_equal(m->datas[0].offset.u.i32, 8);
    assert_int_equal(m->datas[0].len, 2);
    assert_ptr_equal(m->datas[0].bytes, m->bytes + at + 6);
    assert_int_equal(m->datas[1].mode, SEG_PASSIVE);
    assert_memory_equal(m->datas[1].bytes, "x", 1);
    assert_int_equal(m->datas[2].mode, SEG_ACTIVE);
    assert_int_equal(m->datas[2].mem, 0);
    assert_int_equal(m->datas[2].offset.u.i32, 16);
    assert_int_equal(m->datas[2].len, 0);
    moatD_module_free(m);
    moatT_free(&b);
}

/* Custom sections may come anywhere, any number of times. */
static void
custom_sections(void **state)
{
    (void)state;
    size_t at[5];
    Buf    b = { 0 };
    moatT_header(&b);
    at[0] = SEC(&b, S_CUSTOM, 0x01, 'a', 0xff, 0xfe);   /* opaque bytes */
    SEC(&b, S_TYPE, 0x00);
    at[1] = SEC(&b, S_CUSTOM, 0x01, 'b');
    at[2] = SEC(&b, S_CUSTOM, 0x00);                    /* empty name */
    SEC(&b, S_MEM, 0x00);
    at[3] = SEC(&b, S_CUSTOM, 0x01, 'd', 0x01);
    at[4] = SEC(&b, S_CUSTOM, 0x02, 0xc3, 0xa9);
    Module *m = moatT_decode(&b);

    assert_int_equal(m->ncustoms, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(m->customs[i].off, at[i]);
    assert_true(name_is(m->customs[0].name, "a"));
    assert_int_equal(m->customs[0].size, 4);
    assert_int_equal(m->customs[2].name.len, 0);
    assert_true(name_is(m->customs[4].name, "\xc3\xa9"));
    moatD_module_free(m);
    moatT_free(&b);
}

static void
name_section_gives_function_names(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    moatT_void_funcs(&b, 3);
    SEC(&b, S_CUSTOM, 0x04, 'n', 'a', 'm', 'e',
        0x00, 0x04, 0x03, 'm', 'o', 'd',                /* module name */
        0x01, 0x0c, 0x02, 0x00, 0x04, 'z', 'e', 'r', 'o', /* functions */
        0x02, 0x03, 't', 'w', 'o',
        0x02, 0x06, 0x01, 0x00, 0x01, 0x00, 0x01, 'x'); /* locals */
    Module *m = moatT_decode(&b);

    assert_true(name_is(m->module_name, "mod"));
    assert_int_equal(m->nfunc_names, 2);
    assert_true(name_is(*moatD_func_name(m, 0), "zero"));
    assert_null(moatD_func_name(m, 1));
    assert_true(name_is(*moatD_func_name(m, 2), "two"));
    assert_null(moatD_func_name(m, 3));
    assert_true(name_is(*moatD_local_name(m, 0, 0), "x"));
    assert_null(moatD_local_name(m, 0, 1));
    assert_null(moatD_local_name(m, 1, 0));
    moatD_module_free(m);
    moatT_free(&b);
}

static void
malformed_name_section_is_ignored(void **state)
{
    (void)state;
    static const struct { uint8_t len; uint8_t bytes[16]; } bad[] = {
        { 9, { 0x01, 0x07, 0x02, 0x02, 0x01, 'a', 0x00, 0x01, 'b' } },
        { 5, { 0x01, 0x09, 0x01, 0x00, 0x01 } },        /* sub too long */
        { 6, { 0x01, 0x04, 0x01, 0x00, 0x01, 0xff } },  /* bad UTF-8 */
        { 4, { 0x01, 0x02, 0x05, 0x00 } },              /* count too big */
        { 2, { 0x00, 0x05 } },                          /* module name */
        { 8, { 0x01, 0x04, 0x01, 0x00, 0x01, 'a', 0x00, 0x05 } }, /* late */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Buf c = { 0 }, b = { 0 };
        moatT_header(&b);
        moatT_void_funcs(&b, 3);
        moatT_name(&c, "name");
        moatT_bytes(&c, bad[i].bytes, bad[i].len);
        moatT_section(&b, S_CUSTOM, &c);
        Module *m = moatT_decode(&b);
        assert_int_equal(m->nfunc_names, 0);
        assert_null(moatD_func_name(m, 0));
        assert_int_equal(m->module_name.len, 0);
        assert_int_equal(m->ncustoms, 1);
        moatD_module_free(m);
        moatT_free(&b);
        moatT_free(&c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_only_module_is_empty),
        cmocka_unit_test(type_section),
        cmocka_unit_test(import_section_all_kinds),
        cmocka_unit_test(function_and_code_sections),
        cmocka_unit_test(table_and_memory_sections),
        cmocka_unit_test(global_section),
        cmocka_unit_test(export_and_start_sections),
        cmocka_unit_test(element_section_all_encodings),
        cmocka_unit_test(data_count_and_data_sections),
        cmocka_unit_test(custom_sections),
        cmocka_unit_test(name_section_gives_function_names),
        cmocka_unit_test(malformed_name_section_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
