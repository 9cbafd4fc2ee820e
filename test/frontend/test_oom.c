/* test_oom.c - out of memory while decoding: an allocator hook that
 * refuses the k-th allocation, for k = 1, 2, ... until decoding no longer
 * needs k allocations. Every refusal must end in MOAT_ERR_NOMEM with
 * nothing left allocated; the module uses every section, and bodies deep
 * and wide enough to grow each validator stack (style.md, "Tests").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "moat_compile.h"
#include "wbuf.h"

typedef struct Faulty {
    long fail_at;               /* this allocation is refused; 0: none */
    long nallocs;               /* allocations and reallocations asked */
    long live;                  /* blocks handed out and not yet freed */
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
        return NULL;                            /* ptr, if any, stays */
    }
    void *p = realloc(ptr, size);
    if (p && !ptr)
        f->live++;
    return p;
}

/* Decodes b with allocation k refused; the hook is gone on return. */
static moat_error
decode_failing(const Buf *b, long k, Faulty *f, bool *ok)
{
    moat_error err = { 0 };
    Module    *m = NULL;

    *f = (Faulty){ .fail_at = k };
    moat_set_allocator(faulty_alloc, f);
    *ok = moatD_module(b->p, b->len, &m, &err);
    moatD_module_free(m);
    moat_set_allocator(NULL, NULL);
    return err;
}

/* The loop of style.md. want: the result once nothing is refused (MOAT_OK,
 * or the module's own error). Returns how many allocations it needed. */
static long
oom_loop(const Buf *b, moat_status want)
{
    for (long k = 1;; k++) {
        Faulty     f;
        bool       ok;
        moat_error err = decode_failing(b, k, &f, &ok);

        if (f.live != 0)
            fail_msg("allocation %ld refused: %ld blocks leaked", k, f.live);
        if (!f.refused) {                       /* k > allocations needed */
            assert_int_equal(err.code, want);
            assert_int_equal(ok, want == MOAT_OK);
            return k - 1;
        }
        if (ok || err.code != MOAT_ERR_NOMEM)
            fail_msg("allocation %ld of %ld refused: %s, code %d \"%s\"", k,
                     f.nallocs, ok ? "decoded" : "rejected", (int)err.code,
                     err.msg);
        assert_string_equal(err.msg, "out of memory");
    }
}

/* A body: n nested blocks around m constants that are then dropped, so
 * both validator stacks outgrow their first capacity (64 and 256). */
static void
deep_body(Buf *code, uint32_t n, uint32_t m)
{
    Buf body = { 0 };
    moatT_byte(&body, 0x00);                    /* no locals */
    for (uint32_t i = 0; i < n; i++)
        BYTES(&body, 0x02, 0x40);               /* block */
    for (uint32_t i = 0; i < m; i++)
        BYTES(&body, 0x41, 0x07);               /* i32.const 7 */
    for (uint32_t i = 0; i < m; i++)
        moatT_byte(&body, 0x1a);                /* drop */
    for (uint32_t i = 0; i <= n; i++)
        moatT_byte(&body, 0x0b);                /* end */
    moatT_u32(code, (uint32_t)body.len);
    moatT_bytes(code, body.p, body.len);
    moatT_free(&body);
}

static void
code_section(Buf *b)
{
    Buf code = { 0 };
    moatT_u32(&code, 3);
    deep_body(&code, 70, 300);                  /* func 1: [] -> [] */
    BYTES(&code, 0x08, 0x02, 0x64, 0x7f, 0x64, 0x7e,   /* func 2: 200 */
          0x20, 0x00, 0x0b);                    /* locals; local.get 0 */
    BYTES(&code, 0x1d, 0x01, 0xac, 0x02, 0x7b,  /* func 3: 300 v128 */
          0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x01, 0x00,
          0xfc, 0x09, 0x00,                     /* memory.init, data.drop */
          0xd2, 0x00, 0x1a,                     /* ref.func 0 */
          0x41, 0x05, 0x41, 0x00, 0x11, 0x01, 0x00, 0x1a, /* call_indirect */
          0x0b);
    moatT_section(b, S_CODE, &code);
    moatT_free(&code);
}

static void
type_section(Buf *b)
{
    Buf t = { 0 };
    moatT_u32(&t, 302);
    BYTES(&t, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f);
    for (int i = 0; i < 300; i++)
        BYTES(&t, 0x60, 0x00, 0x00);
    moatT_section(b, S_TYPE, &t);
    moatT_free(&t);
}

/* (module  custom "meta"
 *   (type $v (func)) (type $ii (func (param i32) (result i32)))
 *   300 more (type (func)), so that the arena needs several blocks
 *   (import "env" "f" (func (type $v)))  (import "env" "t" (table 1 funcref))
 *   (import "env" "g" (global i32))
 *   (func 1 (type $v)) (func 2 (type $ii)) (func 3 (type $v))
 *   (table 2 funcref) (memory 1)
 *   (global i32 (i32.const 1)) (global (mut i32) (global.get 0))
 *   (export "f" (func 1)) (export "m" (memory 0)) (export "t" (table 1))
 *   (start 3)  (elem (i32.const 0) 1 2) (elem func 3) (elem declare func 0)
 *   data count 2, code, (data (i32.const 8) "hi") (data "x")
 *   custom "name": module and function names) */
static void
every_section(Buf *b)
{
    moatT_header(b);
    SEC(b, S_CUSTOM, 0x04, 'm', 'e', 't', 'a', 0x01, 0x02);
    type_section(b);
    SEC(b, S_IMPORT, 0x03, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,
        0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x70, 0x00, 0x01,
        0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7f, 0x00);
    SEC(b, S_FUNC, 0x03, 0x00, 0x01, 0x00);
    SEC(b, S_TABLE, 0x01, 0x70, 0x00, 0x02);
    SEC(b, S_MEM, 0x01, 0x00, 0x01);
    SEC(b, S_GLOBAL, 0x02, 0x7f, 0x00, 0x41, 0x01, 0x0b,
        0x7f, 0x01, 0x23, 0x00, 0x0b);
    SEC(b, S_EXPORT, 0x03, 0x01, 'f', 0x00, 0x01, 0x01, 'm', 0x02, 0x00,
        0x01, 't', 0x01, 0x01);
    SEC(b, S_START, 0x03);
    SEC(b, S_ELEM, 0x03, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02,
        0x01, 0x00, 0x01, 0x03, 0x03, 0x00, 0x01, 0x00);
    SEC(b, S_DATACOUNT, 0x02);
    code_section(b);
    SEC(b, S_DATA, 0x02, 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i',
        0x01, 0x01, 'x');
    SEC(b, S_CUSTOM, 0x04, 'n', 'a', 'm', 'e', 0x00, 0x02, 0x01, 'M',
        0x01, 0x07, 0x02, 0x00, 0x01, 'f', 0x03, 0x01, 's');
}

static void
oom_every_section(void **state)
{
    (void)state;
    Buf b = { 0 };
    every_section(&b);
    Module *m = moatT_decode(&b);               /* valid, and all there */
    assert_int_equal(m->nfuncs, 4);
    assert_int_equal(m->nelems, 3);
    assert_int_equal(m->ndatas, 2);
    assert_int_equal(m->ncustoms, 2);
    assert_int_equal(m->nfunc_names, 2);
    moatD_module_free(m);

    long n = oom_loop(&b, MOAT_OK);
    print_message("%ld allocations, each refused once\n", n);
    assert_true(n >= 12);       /* module, bytes, arena blocks, stacks.. */
    moatT_free(&b);
}

/* An invalid module: refusals still give NOMEM (decoding goes on after a
 * validation error), and without one the validation error stands. */
static void
oom_invalid_module(void **state)
{
    (void)state;
    Buf b = { 0 }, code = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x01, 0x7f, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    SEC(&b, S_START, 0x00);                     /* takes a parameter */
    moatT_u32(&code, 1);
    deep_body(&code, 100, 400);
    moatT_section(&b, S_CODE, &code);
    assert_true(oom_loop(&b, MOAT_ERR_INVALID) >= 4);
    moatT_free(&b);
    moatT_free(&code);
}

/* A malformed module: refusals before the bad byte give NOMEM. */
static void
oom_malformed_module(void **state)
{
    (void)state;
    Buf b = { 0 };
    every_section(&b);
    SEC(&b, S_TYPE, 0x00);                      /* type section again */
    assert_true(oom_loop(&b, MOAT_ERR_MALFORMED) >= 8);
    moatT_free(&b);
}

/* Modules where a refusal once got lost (fixed; kept as regressions). */
/* (global funcref (ref.func 0)): C.refs is first allocated here */
static void
oom_ref_func_in_global(void **state)
{
    (void)state;
    Buf b = { 0 };
    moatT_header(&b);
    SEC(&b, S_TYPE, 0x01, 0x60, 0x00, 0x00);
    SEC(&b, S_FUNC, 0x01, 0x00);
    SEC(&b, S_GLOBAL, 0x01, 0x70, 0x00, 0xd2, 0x00, 0x0b);
    SEC(&b, S_CODE, 0x01, 0x02, 0x00, 0x0b);
    oom_loop(&b, MOAT_OK);
    moatT_free(&b);
}

/* A name section of 400 function names needs a new arena block. */
static void
oom_in_name_section(void **state)
{
    (void)state;
    Buf b = { 0 }, c = { 0 }, map = { 0 };
    moatT_header(&b);
    moatT_void_funcs(&b, 1);
    moatT_name(&c, "name");
    moatT_u32(&map, 400);
    for (uint32_t i = 0; i < 400; i++) {
        moatT_u32(&map, i);
        moatT_name(&map, "f");
    }
    moatT_byte(&c, 0x01);
    moatT_u32(&c, (uint32_t)map.len);
    moatT_bytes(&c, map.p, map.len);
    moatT_section(&b, S_CUSTOM, &c);
    moatT_free(&c);
    moatT_free(&map);
    oom_loop(&b, MOAT_OK);
    moatT_free(&b);
}

/* After the loops the default allocator is back and counts nothing. */
static void
default_allocator_restored(void **state)
{
    (void)state;
    Faulty f = { .fail_at = 1 };
    Buf    b = { 0 };
    every_section(&b);
    moat_set_allocator(faulty_alloc, &f);
    moat_set_allocator(NULL, NULL);
    assert_int_equal(moat_wasm_validate(b.p, b.len, NULL), MOAT_OK);
    assert_int_equal(f.nallocs, 0);
    moatT_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oom_every_section),
        cmocka_unit_test(oom_invalid_module),
        cmocka_unit_test(oom_malformed_module),
        cmocka_unit_test(oom_ref_func_in_global),
        cmocka_unit_test(oom_in_name_section),
        cmocka_unit_test(default_allocator_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
