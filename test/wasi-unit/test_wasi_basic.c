/* test_wasi_basic.c - WASI preview 1 outside the file system: every import
 * links, args and environ (sizes and contents), the four clocks,
 * random_get, writes to captured stdout/stderr, proc_exit, proc_raise,
 * sched_yield, and bad guest pointers (EFAULT, never a host crash).
 */
#include "guest_fx.h"
#include "wasi_fx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moat_compile.h"

#ifndef WASI_WASM
#error "WASI_WASM, ALL_WASM: paths of the compiled guests"
#endif

/* all.wat imports the 46 functions: it links against moat_wasi_define and
 * not against an empty linker. */
static void
defines_every_preview1_function(void **state)
{
    (void)state;
    moat_error err = { 0 };
    size_t     olen;
    uint8_t   *o = moatT_compile_file(ALL_WASM, 2, &olen);

    moat_engine   *e;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst = NULL;
    moat_wasi     *w;
    assert_int_equal(moat_engine_new(&e, &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(e, o, olen, &m, &err), MOAT_OK);
    assert_int_equal(moat_module_import_count(m), 46);
    assert_int_equal(moat_linker_new(e, &l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_ERR_LINK);
    memset(&err, 0, sizeof err);
    assert_int_equal(moat_wasi_new(&w, &err), MOAT_OK);
    assert_int_equal(moat_wasi_define(l, w, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(l, m, &inst, &err), MOAT_OK);
    moat_instance_free(inst);
    moat_linker_free(l);
    moat_module_free(m);
    moat_engine_free(e);
    moat_wasi_free(w);
    moat_free(o);
}

static void
args_sizes_and_contents(void **state)
{
    static const char *const argv[] = { "prog", "a b", "", "ccc" };
    Fx         fx;
    moat_error err = { 0 };
    char       buf[32];

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_args(fx.w, 4, argv, &err), MOAT_OK);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "args_sizes_get", "ii", 100, 104),
                     E_SUCCESS);
    assert_int_equal(fx_get32(&fx, 100), 4);
    assert_int_equal(fx_get32(&fx, 104), 5 + 4 + 1 + 4);
    assert_int_equal(fx_call(&fx, "args_get", "ii", 200, 300), E_SUCCESS);
    for (int i = 0; i < 4; i++) {
        uint32_t p = fx_get32(&fx, 200 + 4 * (uint32_t)i);
        assert_in_range(p, 300, 300 + 13);
        fx_read(&fx, p, buf, strlen(argv[i]) + 1);
        assert_string_equal(buf, argv[i]);
    }
    assert_int_equal(fx_get32(&fx, 200), 300);      /* packed in order */
    assert_int_equal(fx_get32(&fx, 204), 305);
    fx_free(&fx);
}

static void
environ_sizes_and_contents(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    char       buf[32];

    (void)state;
    fx_new(&fx);
    /* nothing yet: zero variables, zero bytes */
    fx_start(&fx);
    fx_put32(&fx, 100, 77);
    fx_put32(&fx, 104, 77);
    assert_int_equal(fx_call(&fx, "environ_sizes_get", "ii", 100, 104), 0);
    assert_int_equal(fx_get32(&fx, 100), 0);
    assert_int_equal(fx_get32(&fx, 104), 0);
    fx_free(&fx);

    fx_new(&fx);
    assert_int_equal(moat_wasi_add_env(fx.w, "A=1", &err), MOAT_OK);
    assert_int_equal(moat_wasi_add_env(fx.w, "HOME=/x=y", &err), MOAT_OK);
    assert_int_equal(moat_wasi_add_env(fx.w, "nonsense", &err),
                     MOAT_ERR_LIMIT);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "environ_sizes_get", "ii", 100, 104), 0);
    assert_int_equal(fx_get32(&fx, 100), 2);
    assert_int_equal(fx_get32(&fx, 104), 4 + 10);
    assert_int_equal(fx_call(&fx, "environ_get", "ii", 200, 300), 0);
    fx_read(&fx, fx_get32(&fx, 200), buf, 4);
    assert_string_equal(buf, "A=1");
    fx_read(&fx, fx_get32(&fx, 204), buf, 10);
    assert_string_equal(buf, "HOME=/x=y");
    fx_free(&fx);
}

static void
bad_pointers_are_efault(void **state)
{
    static const char *const argv[] = { "prog", "arg" };
    Fx         fx;
    moat_error err = { 0 };

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_args(fx.w, 2, argv, &err), MOAT_OK);
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    fx_start(&fx);
    const uint64_t end = 65536;
    assert_int_equal(fx_call(&fx, "args_sizes_get", "ii", end - 2, 0),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "args_sizes_get", "ii", 0, 0xfffffffc),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "args_get", "ii", 0xfffffff0, 64),
                     E_FAULT);
    /* the strings would run past the end */
    assert_int_equal(fx_call(&fx, "args_get", "ii", 0, end - 5), E_FAULT);
    assert_int_equal(fx_call(&fx, "environ_get", "ii", end, end), E_SUCCESS);
    assert_int_equal(fx_call(&fx, "clock_time_get", "iIi", 1, 0, end - 4),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "clock_res_get", "ii", 0, 0xffffffff),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "random_get", "ii", end - 10, 11), E_FAULT);
    assert_int_equal(fx_call(&fx, "random_get", "ii", 0xffffffff, 0xffffffff),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "random_get", "ii", end, 0), E_SUCCESS);
    /* iovec array, a buffer it names, the result pointer */
    fx_iovec(&fx, 16, 64, 4);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, end - 4, 1, 8),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 0x20000000, 8),
                     E_FAULT);
    fx_iovec(&fx, 24, (uint32_t)end - 2, 4);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 2, 8), E_FAULT);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 1, end), E_FAULT);
    size_t len;
    moat_wasi_captured(fx.w, 1, &len);
    assert_int_equal(len, 0);               /* nothing half-written */
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 1, end - 23),
                     E_FAULT);
    assert_int_equal(fx_call(&fx, "poll_oneoff", "iiii", end - 40, 0, 1, 8),
                     E_FAULT);
    fx_free(&fx);
}

static uint64_t
clock_now(Fx *fx, uint32_t id)
{
    assert_int_equal(fx_call(fx, "clock_time_get", "iIi", id, 1, 512), 0);
    return fx_get64(fx, 512);
}

static void
clocks_tick(void **state)
{
    Fx fx;

    (void)state;
    fx_new(&fx);
    fx_start(&fx);
    for (uint32_t id = 0; id < 4; id++) {
        assert_int_equal(fx_call(&fx, "clock_res_get", "ii", id, 600), 0);
        assert_in_range(fx_get64(&fx, 600), 1, 1000000000);
    }
    uint64_t a = clock_now(&fx, 1), b = clock_now(&fx, 1);
    assert_true(b >= a);
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    assert_true(clock_now(&fx, 1) >= a + 2000000);
    uint64_t host = (uint64_t)time(NULL) * 1000000000u;
    uint64_t real = clock_now(&fx, 0);
    assert_true(real > host - 5000000000u && real < host + 5000000000u);
    /* CPU clocks move while we spin */
    uint64_t p = clock_now(&fx, 2), t = clock_now(&fx, 3);
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < 20000000; i++)
        sink += i;
    assert_true(clock_now(&fx, 2) > p);
    assert_true(clock_now(&fx, 3) > t);
    assert_int_equal(fx_call(&fx, "clock_time_get", "iIi", 4, 0, 512),
                     E_INVAL);
    assert_int_equal(fx_call(&fx, "clock_res_get", "ii", 0x80000000, 512),
                     E_INVAL);
    fx_free(&fx);
}

static void
random_fills(void **state)
{
    Fx      fx;
    uint8_t a[256], b[256], zero[256] = { 0 };

    (void)state;
    fx_new(&fx);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "random_get", "ii", 1000, 256), 0);
    fx_read(&fx, 1000, a, sizeof a);
    assert_int_equal(fx_call(&fx, "random_get", "ii", 1000, 256), 0);
    fx_read(&fx, 1000, b, sizeof b);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    /* a large request (more than one getrandom call may return) */
    assert_int_equal(fx_call(&fx, "random_get", "ii", 0, 65536), 0);
    fx_read(&fx, 60000, a, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    /* only the requested bytes change */
    fx_write(&fx, 2000, zero, 16);
    assert_int_equal(fx_call(&fx, "random_get", "ii", 2000, 8), 0);
    fx_read(&fx, 2008, b, 8);
    assert_memory_equal(b, zero, 8);
    fx_free(&fx);
}

static void
stdout_and_stderr_capture(void **state)
{
    Fx         fx;
    moat_error err = { 0 };
    size_t     len;

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_capture(fx.w, 1, &err), MOAT_OK);
    assert_int_equal(moat_wasi_capture(fx.w, 2, &err), MOAT_OK);
    assert_int_equal(moat_wasi_capture(fx.w, 0, &err), MOAT_ERR_LIMIT);
    fx_start(&fx);
    fx_write(&fx, 100, "hello, world\n", 13);
    fx_iovec(&fx, 16, 100, 7);
    fx_iovec(&fx, 24, 107, 0);              /* empty iovecs are fine */
    fx_iovec(&fx, 32, 107, 6);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 3, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 13);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 2, 16, 1, 8), 0);
    assert_int_equal(fx_get32(&fx, 8), 7);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 1, 16, 1, 8), 0);
    const char *out = moat_wasi_captured(fx.w, 1, &len);
    assert_int_equal(len, 20);
    assert_memory_equal(out, "hello, world\nhello, ", 20);
    out = moat_wasi_captured(fx.w, 2, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(out, "hello, ", 7);
    /* a capture is write-only and not seekable */
    assert_int_equal(fx_call(&fx, "fd_read", "iiii", 1, 16, 1, 8),
                     E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_seek", "iIii", 1, 0, 0, 8),
                     E_NOTCAPABLE);
    assert_int_equal(fx_call(&fx, "fd_fdstat_get", "ii", 1, 200), 0);
    uint8_t st[24];
    fx_read(&fx, 200, st, sizeof st);
    assert_true((fx_get64(&fx, 208) & (1u << 6)) != 0);     /* fd_write */
    assert_true((fx_get64(&fx, 208) & (1u << 1)) == 0);     /* fd_read */
    /* closing it leaves what was written */
    assert_int_equal(fx_call(&fx, "fd_close", "i", 2), 0);
    assert_int_equal(fx_call(&fx, "fd_write", "iiii", 2, 16, 1, 8), E_BADF);
    moat_wasi_captured(fx.w, 2, &len);
    assert_int_equal(len, 7);
    fx_free(&fx);
}

static void
proc_exit_gives_exit_status(void **state)
{
    Fx         fx;
    moat_error err;

    (void)state;
    fx_new(&fx);
    fx_start(&fx);
    assert_int_equal(fx_call_status(&fx, "proc_exit", 7, &err),
                     MOAT_ERR_EXIT);
    assert_int_equal(err.code, MOAT_ERR_EXIT);
    assert_int_equal(err.exit_code, 7);
    /* the instance stays usable, and exit 0 is an exit too */
    assert_int_equal(fx_call(&fx, "sched_yield", ""), 0);
    assert_int_equal(fx_call_status(&fx, "proc_exit", 0, &err),
                     MOAT_ERR_EXIT);
    assert_int_equal(err.exit_code, 0);
    fx_free(&fx);
}

static void
proc_raise_and_sched_yield(void **state)
{
    Fx fx;

    (void)state;
    fx_new(&fx);
    fx_start(&fx);
    assert_int_equal(fx_call(&fx, "sched_yield", ""), 0);
    assert_int_equal(fx_call(&fx, "proc_raise", "i", 0), 0);
    assert_int_equal(fx_call(&fx, "proc_raise", "i", 6), E_NOSYS);  /* ABRT */
    assert_int_equal(fx_call(&fx, "proc_raise", "i", 9), E_NOSYS);  /* KILL */
    assert_int_equal(fx_call(&fx, "proc_raise", "i", 31), E_INVAL);
    fx_free(&fx);
}

/* One linker, WASI defined with NULL: each instance uses the state bound
 * to it, and an instance with none traps instead of touching another's. */
static void
state_bound_per_instance(void **state)
{
    Fx             fx;
    moat_wasi     *w2;
    moat_instance *i2, *i3;
    moat_error     err = { 0 };
    static const char *const a1[] = { "one" }, *const a2[] = { "two", "x" };

    (void)state;
    fx_new(&fx);
    assert_int_equal(moat_wasi_set_args(fx.w, 1, a1, &err), MOAT_OK);
    assert_int_equal(moat_wasi_new(&w2, &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_args(w2, 2, a2, &err), MOAT_OK);
    assert_int_equal(moat_engine_new(&fx.e, &err), MOAT_OK);
    fx_load(&fx);
    assert_int_equal(moat_linker_new(fx.e, &fx.l, &err), MOAT_OK);
    assert_int_equal(moat_wasi_define(fx.l, NULL, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(fx.l, fx.m, &fx.inst, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(fx.l, fx.m, &i2, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(fx.l, fx.m, &i3, &err), MOAT_OK);
    assert_int_equal(moat_wasi_bind(fx.inst, fx.w, &err), MOAT_OK);
    assert_int_equal(moat_wasi_bind(i2, w2, &err), MOAT_OK);

    assert_int_equal(fx_call(&fx, "args_sizes_get", "ii", 0, 8), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, 0), 1);
    moat_instance *keep = fx.inst;
    fx.inst = i2;
    assert_int_equal(fx_call(&fx, "args_sizes_get", "ii", 0, 8), E_SUCCESS);
    assert_int_equal(fx_get32(&fx, 0), 2);
    assert_int_equal(fx_get32(&fx, 8), sizeof "two" + sizeof "x");

    moat_val args[2] = { { .type = MOAT_I32 }, { .type = MOAT_I32 } }, r;
    args[1].of.i32 = 8;
    assert_int_equal(moat_instance_call(i3, "args_sizes_get", args, 2, &r, 1,
                                        &err), MOAT_ERR_TRAP);
    assert_int_equal(err.trap, MOAT_TRAP_HOST);
    assert_non_null(strstr(err.msg, "moat_wasi_bind"));

    fx.inst = keep;
    moat_instance_free(i2);
    moat_instance_free(i3);
    moat_wasi_free(w2);
    fx_free(&fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defines_every_preview1_function),
        cmocka_unit_test(args_sizes_and_contents),
        cmocka_unit_test(environ_sizes_and_contents),
        cmocka_unit_test(bad_pointers_are_efault),
        cmocka_unit_test(clocks_tick),
        cmocka_unit_test(random_fills),
        cmocka_unit_test(stdout_and_stderr_capture),
        cmocka_unit_test(proc_exit_gives_exit_status),
        cmocka_unit_test(proc_raise_and_sched_yield),
        cmocka_unit_test(state_bound_per_instance),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
