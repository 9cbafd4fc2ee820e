/* test_types.c - types.c: canonical function type ids. Equal signatures
 * get equal ids, different ones (also where params end and results begin)
 * different ids, ids survive the table growing, and threads interning the
 * same signatures in different orders agree.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime.h"

static const uint8_t I = MOAT_I32, L = MOAT_I64, F = MOAT_F32,
                     D = MOAT_F64;

static void
equal_signatures_equal_ids(void **state)
{
    moat_engine *e;
    uint8_t      a[] = { I, L }, b[] = { I, L }, r[] = { F };

    (void)state;
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    uint32_t x = moatR_type_id(e, a, 2, r, 1);
    uint32_t y = moatR_type_id(e, b, 2, r, 1);
    assert_int_not_equal(x, 0);
    assert_int_equal(x, y);
    uint32_t empty = moatR_type_id(e, NULL, 0, NULL, 0);
    assert_int_not_equal(empty, 0);
    assert_int_equal(empty, moatR_type_id(e, NULL, 0, NULL, 0));
    assert_int_not_equal(empty, x);
    moat_engine_free(e);
}

static void
split_between_params_and_results_counts(void **state)
{
    moat_engine  *e;
    const uint8_t ii[] = { I, I };

    (void)state;
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    uint32_t a = moatR_type_id(e, ii, 2, NULL, 0);      /* (i32 i32) -> () */
    uint32_t b = moatR_type_id(e, ii, 1, ii + 1, 1);    /* (i32) -> (i32) */
    uint32_t c = moatR_type_id(e, NULL, 0, ii, 2);      /* () -> (i32 i32) */
    uint32_t d = moatR_type_id(e, ii, 1, NULL, 0);      /* (i32) -> () */
    assert_int_not_equal(a, b);
    assert_int_not_equal(a, c);
    assert_int_not_equal(b, c);
    assert_int_not_equal(a, d);
    moat_engine_free(e);
}

/* Signature k: k's base-4 digits as valtypes, split after the first. */
static uint32_t
sig_k(moat_engine *e, unsigned k)
{
    static const uint8_t t4[] = { MOAT_I32, MOAT_I64, MOAT_F32, MOAT_F64 };
    uint8_t  ts[12];
    uint32_t n = 0;

    ts[n++] = t4[k % 4];
    for (unsigned v = k; v > 0 && n < 12; v /= 4)
        ts[n++] = t4[v % 4];
    return moatR_type_id(e, ts, 1, ts + 1, n - 1);
}

static void
ids_survive_growth(void **state)
{
    moat_engine *e;
    uint32_t     ids[3000];

    (void)state;
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    for (unsigned k = 0; k < 3000; k++)
        ids[k] = sig_k(e, k);
    for (unsigned k = 0; k < 3000; k++) {
        assert_int_not_equal(ids[k], 0);
        assert_int_equal(sig_k(e, k), ids[k]);
    }
    /* distinct signatures, distinct ids: count them */
    unsigned ndistinct = 0;
    for (unsigned k = 0; k < 3000; k++)
        ndistinct += ids[k] > ndistinct ? 1 : 0;
    assert_int_equal(ndistinct, e->types.n);
    moat_engine_free(e);
}

typedef struct Job {
    moat_engine *e;
    unsigned     start;
    uint32_t     ids[500];
} Job;

static void *
intern_all(void *arg)
{
    Job *j = arg;

    for (unsigned i = 0; i < 500; i++) {
        unsigned k = (i + j->start) % 500;
        j->ids[k] = sig_k(j->e, k);
    }
    return NULL;
}

static void
threads_agree(void **state)
{
    moat_engine *e;
    static Job   jobs[4];
    pthread_t    t[4];

    (void)state;
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    for (int i = 0; i < 4; i++) {
        jobs[i].e = e;
        jobs[i].start = (unsigned)i * 131;
        assert_int_equal(pthread_create(&t[i], NULL, intern_all, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 1; i < 4; i++)
        assert_memory_equal(jobs[0].ids, jobs[i].ids, sizeof jobs[0].ids);
    moat_engine_free(e);
}

static void
signature_text(void **state)
{
    moat_engine  *e;
    const uint8_t p[] = { I, D }, r[] = { MOAT_FUNCREF };
    char          buf[64];

    (void)state;
    moatR_sig_text(buf, sizeof buf, p, 2, r, 1);
    assert_string_equal(buf, "(i32 f64) -> (funcref)");
    moatR_sig_text(buf, 8, p, 2, r, 1);                /* truncates safely */
    assert_string_equal(buf, "(i32 f6");
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    moatR_type_text(e, moatR_type_id(e, NULL, 0, p, 1), buf, sizeof buf);
    assert_string_equal(buf, "() -> (i32)");
    moatR_type_text(e, 12345, buf, sizeof buf);
    assert_string_equal(buf, "(unknown type)");
    moat_engine_free(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equal_signatures_equal_ids),
        cmocka_unit_test(split_between_params_and_results_counts),
        cmocka_unit_test(ids_survive_growth),
        cmocka_unit_test(threads_agree),
        cmocka_unit_test(signature_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
