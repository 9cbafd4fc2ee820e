/* test_backtrace.c - the frames of moat_error (docs/backtraces.md) on
 * bt.wat and btlib.wat, compiled at -O0, -O2 (and -O3 for inlining):
 * every frame names the
 * right function and module, the innermost offset is the trapping
 * instruction and every outer one a call of the frame inside it (checked
 * on the wasm bytes themselves); traps in guest code (faults, explicit
 * checks, unreachable), stack exhaustion (frames capped), host functions
 * (native and libffi callbacks) and another module's code. Also the
 * demangler on C++ and Rust (legacy and v0) symbols.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat.h"
#include "moat_compile.h"

#ifndef BT_DIR
#error "BT_DIR: where bt.wasm and btlib.wasm are"
#endif

typedef struct Guest {
    uint8_t *wasm, *obj;
    size_t   wasm_len, obj_len;
} Guest;

/* [0] -O0, [1] -O2, [2] -O3: -O3 is the level that inlines (the -O2
 * pipeline leaves inlining to the wasm's producer, docs/compiler.md). */
static Guest bt[3], lib[3];
static const int opt_level[3] = { 0, 2, 3 };

static int
setup(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        bt[k].wasm = moatT_read_file(BT_DIR "/bt.wasm", &bt[k].wasm_len);
        bt[k].obj = moatT_compile_file(BT_DIR "/bt.wasm", opt_level[k],
                                       &bt[k].obj_len);
        lib[k].wasm = moatT_read_file(BT_DIR "/btlib.wasm", &lib[k].wasm_len);
        lib[k].obj = moatT_compile_file(BT_DIR "/btlib.wasm", opt_level[k],
                                        &lib[k].obj_len);
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        free(bt[k].wasm);
        free(lib[k].wasm);
        moat_free(bt[k].obj);
        moat_free(lib[k].obj);
    }
    return 0;
}

/* ---- the world: bt linked against host functions and lib ---- */

typedef struct World {
    moat_engine   *e;
    moat_module   *m, *mlib;
    moat_linker   *l;
    moat_instance *inst, *ilib;
    int            k;
} World;

static void
host_fail(moat_caller *c)
{
    moat_caller_trap(c, "host says no");
}

static void
cb_fail(moat_caller *c, void *ctx, const moat_val *args, size_t nargs,
        moat_val *results, size_t nresults)
{
    (void)ctx, (void)args, (void)nargs, (void)results, (void)nresults;
    moat_caller_trap(c, "callback says no");
}

static void
world_new(World *w, int k)
{
    moat_error err = { 0 };

    w->k = k;
    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, bt[k].obj, bt[k].obj_len,
                                             &w->m, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, lib[k].obj,
                                             lib[k].obj_len, &w->mlib,
                                             &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w->l, w->mlib, &w->ilib, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_instance(w->l, "lib", w->ilib, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_func_caller(w->l, "host", "fail",
                         NULL, 0, NULL, 0, (moat_native_fn)host_fail, NULL,
                         &err), MOAT_OK);
    assert_int_equal(moat_linker_define_callback(w->l, "host", "cb_fail",
                         NULL, 0, NULL, 0, cb_fail, NULL, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(w->l, w->m, &w->inst, &err), MOAT_OK);
}

static void
world_free(World *w)
{
    moat_instance_free(w->inst);
    moat_instance_free(w->ilib);
    moat_linker_free(w->l);
    moat_module_free(w->m);
    moat_module_free(w->mlib);
    moat_engine_free(w->e);
}

/* Printed before the checks: what a failure is about. */
static void
dump(const moat_error *err)
{
    char name[64];

    fprintf(stderr, "# %s (%u frames, %u dropped)\n", err->msg,
            err->nframes, err->nframes_dropped);
    for (uint32_t i = 0; i < err->nframes && i < 6; i++)
        fprintf(stderr, "#   %u %s func %u inlined %u offset 0x%llx\n", i,
                moat_frame_name(&err->frames[i], name, sizeof name),
                err->frames[i].func, err->frames[i].inlined,
                (unsigned long long)err->frames[i].offset);
}

static void
call(World *w, const char *name, int has_arg, uint32_t arg, moat_trap want,
     moat_error *err)
{
    moat_val a = { .type = MOAT_I32 }, r;

    a.of.i32 = arg;
    memset(err, 0, sizeof *err);
    /* "divide", "down" and "cross" return an i32, the others nothing */
    size_t nres = strcmp(name, "divide") == 0 || strcmp(name, "down") == 0
                  || strcmp(name, "cross") == 0;

    assert_int_equal(moat_instance_call(w->inst, name, &a, has_arg ? 1 : 0,
                                        &r, nres, err), MOAT_ERR_TRAP);
    assert_int_equal(err->trap, want);
    dump(err);
}

/* ---- checking frames against the wasm bytes ---- */

static uint32_t
leb_u32(const uint8_t *p)
{
    uint32_t v = 0;

    for (unsigned s = 0; s < 35; s += 7, p++) {
        v |= (uint32_t)(*p & 0x7f) << s;
        if (!(*p & 0x80))
            break;
    }
    return v;
}

static const Guest *
guest_of(const World *w, const moat_frame *f)
{
    assert_true(f->module == w->m || f->module == w->mlib);
    return f->module == w->m ? &bt[w->k] : &lib[w->k];
}

/* Frame i names `name`; its offset is a call of frame i - 1's function
 * (same module) or of callee (an import index, frame i - 1 elsewhere or
 * absent), or for i == 0 an instruction with opcode op0. */
static void
check_frame(const World *w, const moat_error *err, uint32_t i,
            const char *name, int op0, uint32_t callee)
{
    char              buf[64];
    const moat_frame *f = &err->frames[i];

    assert_true(i < err->nframes);
    assert_string_equal(moat_frame_name(f, buf, sizeof buf), name);
    assert_true(f->offset != MOAT_NO_OFFSET);
    const Guest *g = guest_of(w, f);
    assert_true(f->offset < g->wasm_len);
    const uint8_t *at = g->wasm + f->offset;
    if (i == 0 && op0 >= 0) {
        assert_int_equal(*at, op0);
        return;
    }
    assert_int_equal(*at, 0x10);                /* call */
    if (callee != MOAT_NO_FUNC)
        assert_int_equal(leb_u32(at + 1), callee);
    else
        assert_int_equal(leb_u32(at + 1), err->frames[i - 1].func);
}

static void
check_no_inlining_at_o0(const World *w, const moat_error *err)
{
    for (uint32_t i = 0; w->k == 0 && i < err->nframes; i++)
        assert_int_equal(err->frames[i].inlined, 0);
    assert_int_equal(err->frames[err->nframes - 1].inlined, 0);
}

/* ---- tests ---- */

static void
fault_three_calls_deep(void **state)
{
    moat_error err;

    (void)state;
    for (int k = 0; k < 2; k++) {
        World w;
        world_new(&w, k);
        call(&w, "oob", 0, 0, MOAT_TRAP_MEMORY_OOB, &err);
        assert_int_equal(err.nframes, 4);
        assert_int_equal(err.nframes_dropped, 0);
        check_frame(&w, &err, 0, "store3", 0x36, MOAT_NO_FUNC); /* store */
        check_frame(&w, &err, 1, "store2", -1, MOAT_NO_FUNC);
        check_frame(&w, &err, 2, "store1", -1, MOAT_NO_FUNC);
        check_frame(&w, &err, 3, "oob", -1, MOAT_NO_FUNC);
        assert_int_equal(err.func, err.frames[0].func);
        assert_string_equal(err.msg,
                            "out of bounds memory access in function store3");
        check_no_inlining_at_o0(&w, &err);
        world_free(&w);
    }
}

static void
explicit_checks(void **state)
{
    moat_error err;

    (void)state;
    for (int k = 0; k < 2; k++) {
        World w;
        world_new(&w, k);
        call(&w, "unreachable", 0, 0, MOAT_TRAP_UNREACHABLE, &err);
        assert_int_equal(err.nframes, 2);
        check_frame(&w, &err, 0, "boom", 0x00, MOAT_NO_FUNC);
        check_frame(&w, &err, 1, "unreachable", -1, MOAT_NO_FUNC);
        call(&w, "divide", 1, 0, MOAT_TRAP_DIV_ZERO, &err);
        assert_int_equal(err.nframes, 2);
        check_frame(&w, &err, 0, "quot", 0x6e, MOAT_NO_FUNC);  /* div_u */
        check_frame(&w, &err, 1, "divide", -1, MOAT_NO_FUNC);
        check_no_inlining_at_o0(&w, &err);
        world_free(&w);
    }
}

/* At -O3 LLVM inlines the small callees: their frames stay, marked. */
static void
inlined_frames_at_o3(void **state)
{
    moat_error err;
    World      w;

    (void)state;
    world_new(&w, 2);
    call(&w, "divide", 1, 0, MOAT_TRAP_DIV_ZERO, &err);
    assert_int_equal(err.nframes, 2);
    assert_int_not_equal(err.frames[0].inlined, 0);
    assert_int_equal(err.frames[1].inlined, 0);
    call(&w, "oob", 0, 0, MOAT_TRAP_MEMORY_OOB, &err);
    uint32_t ninlined = 0;
    for (uint32_t i = 0; i < err.nframes; i++)
        ninlined += err.frames[i].inlined != 0;
    assert_true(ninlined >= 1);
    world_free(&w);
}

static void
stack_exhaustion_keeps_the_innermost(void **state)
{
    moat_error err;

    (void)state;
    for (int k = 0; k < 2; k++) {
        World w;
        world_new(&w, k);
        call(&w, "down", 0, 0, MOAT_TRAP_STACK_EXHAUSTED, &err);
        assert_int_equal(err.nframes, MOAT_MAX_FRAMES);
        assert_true(err.nframes_dropped > 1000);
        assert_true(err.frames[0].offset != MOAT_NO_OFFSET);
        for (uint32_t i = 1; i < err.nframes; i++)
            check_frame(&w, &err, i, "down", -1, MOAT_NO_FUNC);
        world_free(&w);
    }
}

/* A host function's trap: frames from the guest function that called
 * it, whose offset is the call of the import (index 0 or 1). */
static void
host_function_traps(void **state)
{
    moat_error err;

    (void)state;
    for (int k = 0; k < 2; k++) {
        World w;
        world_new(&w, k);
        call(&w, "host", 0, 0, MOAT_TRAP_HOST, &err);
        assert_string_equal(err.msg, "host says no");
        assert_int_equal(err.nframes, 2);
        check_frame(&w, &err, 0, "host_mid", -1, 0);
        check_frame(&w, &err, 1, "host", -1, MOAT_NO_FUNC);
        call(&w, "callback", 0, 0, MOAT_TRAP_HOST, &err);
        assert_string_equal(err.msg, "callback says no");
        assert_int_equal(err.nframes, 2);
        check_frame(&w, &err, 0, "cb_mid", -1, 1);
        check_frame(&w, &err, 1, "callback", -1, MOAT_NO_FUNC);
        world_free(&w);
    }
}

/* A trap in another module's code: each frame names its own module. */
static void
frames_cross_modules(void **state)
{
    moat_error err;

    (void)state;
    for (int k = 0; k < 2; k++) {
        World w;
        world_new(&w, k);
        call(&w, "cross", 1, 0, MOAT_TRAP_DIV_ZERO, &err);
        assert_int_equal(err.nframes, 4);
        assert_ptr_equal(err.frames[0].module, w.mlib);
        assert_ptr_equal(err.frames[1].module, w.mlib);
        assert_ptr_equal(err.frames[2].module, w.m);
        assert_ptr_equal(err.frames[3].module, w.m);
        check_frame(&w, &err, 0, "inner", 0x6d, MOAT_NO_FUNC); /* div_s */
        check_frame(&w, &err, 1, "lib_div", -1, MOAT_NO_FUNC);
        check_frame(&w, &err, 2, "lib_mid", -1, 2);   /* import lib_div */
        check_frame(&w, &err, 3, "cross", -1, MOAT_NO_FUNC);
        world_free(&w);
    }
}

static void
names_demangle(void **state)
{
    char buf[128];

    (void)state;
    assert_string_equal(moat_demangle("_ZN2ns4Calc3divEii", buf, sizeof buf),
                        "ns::Calc::div(int, int)");
    /* Rust legacy: the hash is left out */
    assert_string_equal(moat_demangle("_ZN4core9panicking5panic"
                                      "17h0123456789abcdefE", buf,
                                      sizeof buf),
                        "core::panicking::panic");
    /* Rust v0 (RFC 2603): crate root with a disambiguator, a module, a
     * function */
    assert_string_equal(moat_demangle("_RNvNtCs1234_7mycrate3foo3bar", buf,
                                      sizeof buf),
                        "mycrate::foo::bar");
    assert_null(moat_demangle("main", buf, sizeof buf));
    assert_null(moat_demangle("_Znotmangled", buf, sizeof buf));
    /* cut to fit, still terminated */
    assert_string_equal(moat_demangle("_ZN2ns4Calc3divEii", buf, 8),
                        "ns::Cal");
    moat_frame none = { NULL, MOAT_NO_FUNC, 0, MOAT_NO_OFFSET };
    assert_string_equal(moat_frame_name(&none, buf, sizeof buf), "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault_three_calls_deep),
        cmocka_unit_test(explicit_checks),
        cmocka_unit_test(inlined_frames_at_o3),
        cmocka_unit_test(stack_exhaustion_keeps_the_innermost),
        cmocka_unit_test(host_function_traps),
        cmocka_unit_test(frames_cross_modules),
        cmocka_unit_test(names_demangle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
