/* test_load.c - module.c end to end without the compiler: an artifact
 * written in C (rt_fx_module.c), compiled to a relocatable object and a
 * shared object at build time, is loaded through the ELF loaders (elf.c,
 * elf_dyn.c), instantiated and called; its memory accesses fault into
 * traps because its code is registered with the fault handler. Also the
 * errors of loading: no descriptor, an uncheckable CPU feature, a missing
 * file, a file that is not ELF; and shared objects with code that dlopen
 * would run at load (constructors, DT_INIT, an IFUNC resolver) or a
 * library they need: none of it runs, whether the load succeeds or not.
 */
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime.h"

#ifndef RT_FX_DIR
#error "RT_FX_DIR: the build directory holding the fixture artifacts"
#endif

static void
must_fail(const char *file, moat_status code, const char *prefix)
{
    moat_engine *e;
    moat_module *m = (moat_module *)1;
    moat_error   err = { 0 };

    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    assert_int_equal(moat_module_load_file_flags(e, file, MOAT_LOAD_TRUSTED,
                                                 &m, &err), code);
    assert_null(m);
    assert_int_equal(err.code, code);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected '%s...', got '%s'", prefix, err.msg);
    moat_engine_free(e);
}

static moat_status
call(moat_instance *inst, const char *name, uint32_t x, moat_val *r,
     moat_error *err)
{
    moat_val arg = { .type = MOAT_I32 };

    arg.of.i32 = x;
    memset(err, 0, sizeof *err);
    return moat_instance_call(inst, name, &arg, 1, r, 1, err);
}

/* Runs the module's exports through their paces. */
static void
exercise(moat_engine *e, moat_module *m)
{
    moat_linker   *l;
    moat_instance *inst;
    moat_error     err = { 0 };
    moat_val       r;

    assert_int_equal(moat_module_export_count(m), 4);
    assert_int_equal(moat_linker_new(e, &l, NULL), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    assert_int_equal(call(inst, "load", 16, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 42);
    assert_int_equal(call(inst, "load", MOAT_PAGE_SIZE, &r, &err),
                     MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_MEMORY_OOB);
    /* the trap names its function: no name section, so its export name */
    assert_string_equal(err.msg, "out of bounds memory access in function load");
    assert_int_equal(err.func, 0);
    assert_int_equal(call(inst, "grow", 1, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 1);
    assert_int_equal(call(inst, "load", MOAT_PAGE_SIZE, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, 0);
    assert_int_equal(call(inst, "grow", 1, &r, &err), MOAT_OK);
    assert_int_equal(r.of.i32, UINT32_MAX);
    assert_int_equal(moat_instance_call(inst, "boom", NULL, 0, NULL, 0, &err),
                     MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_UNREACHABLE);
    moat_instance_free(inst);
    moat_linker_free(l);
}

static void
load_file(const char *file)
{
    moat_engine *e;
    moat_module *m;
    moat_error   err = { 0 };

    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    if (moat_module_load_file_flags(e, file, MOAT_LOAD_TRUSTED, &m, &err) !=
        MOAT_OK)
        fail_msg("%s: %s", file, err.msg);
    exercise(e, m);
    moat_module_free(m);
    moat_engine_free(e);
}

static void
object_through_the_elf_loader(void **state)
{
    FILE    *f = fopen(RT_FX_DIR "/rt_fx_module.o", "rb");
    uint8_t *buf = malloc(1 << 20);
    size_t   n;

    (void)state;
    assert_non_null(f);
    n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    moat_engine *e;
    moat_module *m;
    moat_error   err = { 0 };
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    if (moat_module_load_object_flags(e, buf, n, MOAT_LOAD_TRUSTED, &m,
                                      &err) != MOAT_OK)
        fail_msg("%s", err.msg);
    memset(buf, 0, n);                  /* the bytes are only borrowed */
    free(buf);
    exercise(e, m);
    moat_module_free(m);
    moat_engine_free(e);
}

static void
object_file(void **state)
{
    (void)state;
    load_file(RT_FX_DIR "/rt_fx_module.o");
}

static void
shared_object_file(void **state)
{
    (void)state;
    load_file(RT_FX_DIR "/rt_fx_module.so");
}

static void
load_errors(void **state)
{
    (void)state;
    must_fail(RT_FX_DIR "/rt_fx_nodesc.o", MOAT_ERR_CONTRACT,
              "contract violation: no symbol moat_descriptor");
    must_fail(RT_FX_DIR "/rt_fx_badcpu.o", MOAT_ERR_CONTRACT,
              "contract violation: CPU feature frobnicate cannot be checked");
    must_fail(RT_FX_DIR "/no-such-file.o", MOAT_ERR_IO,
              RT_FX_DIR "/no-such-file.o: ");
    must_fail(__FILE__, MOAT_ERR_MALFORMED, __FILE__ ": not an ELF");
}

#ifndef RT_FX_MARKER
#error "RT_FX_MARKER: the file the fixtures' constructors would create"
#endif

/* Loads file expecting status code (message prefix when it fails), and
 * checks that none of its load-time code ran: the marker is not there. */
static void
no_code_runs(const char *file, moat_status code, const char *prefix)
{
    moat_engine *e;
    moat_module *m = NULL;
    moat_error   err = { 0 };

    unlink(RT_FX_MARKER);
    assert_int_equal(moat_engine_new(&e, NULL), MOAT_OK);
    moat_status st = moat_module_load_file_flags(e, file, MOAT_LOAD_TRUSTED,
                                                 &m, &err);
    if (st != code)
        fail_msg("%s: status %d, expected %d: %s", file, st, code, err.msg);
    if (st == MOAT_OK)
        exercise(e, m);
    else if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("%s: expected '%s...', got '%s'", file, prefix, err.msg);
    moat_module_free(m);
    moat_engine_free(e);
    if (access(RT_FX_MARKER, F_OK) == 0)
        fail_msg("%s: code of the file ran at load", file);
}

static void
constructors_never_run(void **state)
{
    (void)state;
    /* the contract passes: loads and runs, but no initialiser ran */
    no_code_runs(RT_FX_DIR "/rt_fx_ctor.so", MOAT_OK, "");
    /* the contract fails */
    no_code_runs(RT_FX_DIR "/rt_fx_ctor_badcpu.so", MOAT_ERR_CONTRACT,
                 "contract violation: CPU feature frobnicate cannot be "
                 "checked");
}

static void
ifunc_and_needed_refused(void **state)
{
    (void)state;
    no_code_runs(RT_FX_DIR "/rt_fx_ifunc.so", MOAT_ERR_CONTRACT,
                 "symbol 'rt_fx_picked' of unsupported type 10");
    no_code_runs(RT_FX_DIR "/rt_fx_needed.so", MOAT_ERR_CONTRACT,
                 "needs library 'libm.so.6'");
}

typedef struct Faulty {
    long fail_at, nallocs, live;
} Faulty;

static void *
faulty_alloc(void *ud, void *ptr, size_t size)
{
    Faulty *f = ud;

    if (size == 0) {
        f->live -= ptr != NULL;
        free(ptr);
        return NULL;
    }
    if (++f->nallocs == f->fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    f->live += p && !ptr;
    return p;
}

/* Refuses the k-th allocation of loading file, k = 1, 2, ... until the
 * load no longer needs k: each refusal ends in MOAT_ERR_NOMEM with
 * nothing left allocated. */
static void
out_of_memory(const char *file)
{
    for (long k = 1;; k++) {
        Faulty       f = { k, 0, 0 };
        moat_engine *e = NULL;
        moat_module *m = NULL;
        moat_error   err = { 0 };
        moat_status  st;

        moat_set_allocator(faulty_alloc, &f);
        st = moat_engine_new(&e, &err);
        if (st == MOAT_OK)
            st = moat_module_load_file_flags(e, file, MOAT_LOAD_TRUSTED, &m,
                                             &err);
        moat_module_free(m);
        moat_engine_free(e);
        moat_set_allocator(NULL, NULL);
        if (f.live != 0)
            fail_msg("%s: %ld blocks leaked when allocation %ld failed",
                     file, f.live, k);
        if (st == MOAT_OK && f.nallocs < k)
            break;
        if (st != MOAT_ERR_NOMEM)
            fail_msg("%s: allocation %ld failed: status %d: %s", file, k, st,
                     err.msg);
    }
}

static void
loads_out_of_memory(void **state)
{
    (void)state;
    out_of_memory(RT_FX_DIR "/rt_fx_module.o");
    out_of_memory(RT_FX_DIR "/rt_fx_module.so");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(object_through_the_elf_loader),
        cmocka_unit_test(object_file),
        cmocka_unit_test(shared_object_file),
        cmocka_unit_test(load_errors),
        cmocka_unit_test(constructors_never_run),
        cmocka_unit_test(ifunc_and_needed_refused),
        cmocka_unit_test(loads_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
