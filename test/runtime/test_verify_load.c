/* test_verify_load.c - the runtime verifies every artifact it is given
 * unless the embedder marks it trusted (docs/verify.md, "Where
 * verification runs"): an honest object loads and runs; the same object
 * with a syscall over its first function's first two bytes is refused
 * with MOAT_ERR_VERIFY naming function, offset and rule, by the loads and
 * by moat_artifact_verify, and loads when marked trusted; a shared object
 * is refused unless trusted; verification on several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat.h"
#include "moat_compile.h"

/* The object with its first code section's first two bytes made a
 * syscall (0f 05): a copy, malloc'd. */
static uint8_t *
with_syscall(const uint8_t *obj, size_t len)
{
    uint8_t *b = malloc(len);
    uint64_t shoff;
    uint16_t shnum;

    assert_non_null(b);
    memcpy(b, obj, len);
    memcpy(&shoff, b + 0x28, 8);
    memcpy(&shnum, b + 0x3c, 2);
    for (uint16_t i = 0; i < shnum; i++) {
        const uint8_t *h = b + shoff + 64u * i;
        uint64_t       flags, off;
        memcpy(&flags, h + 8, 8);
        memcpy(&off, h + 24, 8);
        if (flags & 4) {                /* SHF_EXECINSTR */
            b[off] = 0x0f;
            b[off + 1] = 0x05;
            return b;
        }
    }
    fail_msg("no code section");
    return NULL;
}

static int32_t
call_add(moat_engine *e, moat_module *m)
{
    moat_linker   *l;
    moat_instance *inst;
    moat_error     err = { 0 };
    moat_val       args[2] = { moat_val_i32(40), moat_val_i32(2) }, res;

    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    assert_int_equal(moat_instance_call(inst, "add", args, 2, &res, 1, &err),
                     MOAT_OK);
    moat_instance_free(inst);
    moat_linker_free(l);
    return res.of.i32;
}

static void
honest_object_verifies_and_runs(void **state)
{
    size_t       len;
    uint8_t     *obj = moatT_compile_file(VERIFY_LOAD_WASM, 2, &len);
    moat_engine *e;
    moat_module *m = NULL;
    moat_error   err = { 0 };

    (void)state;
    assert_int_equal(moat_artifact_verify(obj, len, &err), MOAT_OK);
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    if (moat_module_load_object(e, obj, len, &m, &err) != MOAT_OK)
        fail_msg("honest object refused: %s", err.msg);
    assert_int_equal(call_add(e, m), 42);
    moat_module_free(m);
    moat_engine_free(e);
    moat_free(obj);
}

static void
planted_syscall_is_refused_unless_trusted(void **state)
{
    size_t       len;
    uint8_t     *obj = moatT_compile_file(VERIFY_LOAD_WASM, 2, &len);
    uint8_t     *bad = with_syscall(obj, len);
    moat_engine *e;
    moat_module *m = (moat_module *)1;
    moat_error   err = { 0 };

    (void)state;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(e, bad, len, &m, &err),
                     MOAT_ERR_VERIFY);
    assert_null(m);
    assert_int_equal(err.code, MOAT_ERR_VERIFY);
    if (!strstr(err.msg, "wasm_f0+0x0: insn: syscall"))
        fail_msg("message does not name the violation: %s", err.msg);
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_artifact_verify(bad, len, &err), MOAT_ERR_VERIFY);
    assert_non_null(strstr(err.msg, "insn: syscall"));
    /* trusted: the checker is skipped (only "add" is called: it does not
     * run the planted syscall) */
    assert_int_equal(moat_module_load_object_flags(e, bad, len,
                                                   MOAT_LOAD_TRUSTED, &m,
                                                   &err), MOAT_OK);
    assert_int_equal(call_add(e, m), 42);
    moat_module_free(m);
    moat_engine_free(e);
    free(bad);
    moat_free(obj);
}

static void
shared_object_is_refused_unless_trusted(void **state)
{
    moat_engine *e;
    moat_module *m = (moat_module *)1;
    moat_error   err = { 0 };

    (void)state;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_file(e, VERIFY_LOAD_SO, &m, &err),
                     MOAT_ERR_VERIFY);
    assert_null(m);
    assert_non_null(strstr(err.msg, "a shared object cannot be verified"));
    assert_int_equal(moat_module_load_file_flags(e, VERIFY_LOAD_SO,
                                                 MOAT_LOAD_TRUSTED, &m,
                                                 &err), MOAT_OK);
    assert_int_equal(call_add(e, m), 42);
    moat_module_free(m);
    moat_engine_free(e);
}

typedef struct Job {
    const uint8_t *good, *bad;
    size_t         len;
    int            ok, refused;
} Job;

static void *
verify_many(void *arg)
{
    Job *j = arg;

    for (int i = 0; i < 25; i++) {
        moat_error err = { 0 };
        j->ok += moat_artifact_verify(j->good, j->len, &err) == MOAT_OK;
        j->refused += moat_artifact_verify(j->bad, j->len, &err) ==
                      MOAT_ERR_VERIFY;
    }
    return NULL;
}

static void
verification_on_several_threads(void **state)
{
    size_t    len;
    uint8_t  *obj = moatT_compile_file(VERIFY_LOAD_WASM, 0, &len);
    uint8_t  *bad = with_syscall(obj, len);
    Job       jobs[4];
    pthread_t t[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        jobs[i] = (Job){ obj, bad, len, 0, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, verify_many, &jobs[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].ok, 25);
        assert_int_equal(jobs[i].refused, 25);
    }
    free(bad);
    moat_free(obj);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_object_verifies_and_runs),
        cmocka_unit_test(planted_syscall_is_refused_unless_trusted),
        cmocka_unit_test(shared_object_is_refused_unless_trusted),
        cmocka_unit_test(verification_on_several_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
