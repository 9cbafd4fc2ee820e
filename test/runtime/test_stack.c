/* test_stack.c - stack.c, switch_x86_64.S, trap.c, signal.c: C functions
 * standing in for compiled code run on the wasm stack; deep recursion hits
 * the guard and traps "call stack exhausted"; moatR_trap and hardware
 * faults (SIGFPE, SIGILL) in compiled code become traps; calls nest
 * through host functions; threads calling one instance at once run on
 * their own stacks; and faults that are not ours reach the host's handler
 * instead of being swallowed, host code that overflows the wasm stack
 * included.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_fake.h"

static uintptr_t      seen_sp;
static moat_instance *the_inst;

WASM static uint32_t
where(void *ctx, uint32_t x)
{
    volatile char c = 0;

    (void)ctx;
    seen_sp = (uintptr_t)&c;
    return x * 2 + (uint32_t)c;
}

WASM static uint32_t
recurse(void *ctx, uint32_t n)
{
    volatile char buf[200];

    buf[0] = (char)n;
    if (n == UINT32_MAX)
        return 0;
    return recurse(ctx, n + 1) + (uint32_t)buf[0];
}

WASM static void
trap_div(void *ctx)
{
    moatR_trap(ctx, MOAT_ABI_TRAP_DIV_ZERO);
}

WASM static uint32_t
hw_div(void *ctx, uint32_t a, uint32_t b)
{
    uint32_t q, r;

    (void)ctx;
    __asm__ volatile("divl %2" : "=a"(q), "=d"(r) : "r"(b), "a"(a), "d"(0));
    return q;
}

WASM static void
hw_ud2(void *ctx)
{
    (void)ctx;
    __builtin_trap();
}

/* A host function the "compiled code" below calls: it calls back in. */
static moat_status inner_trap, inner_ok;
static moat_val    inner_res;

static void
host_reenter(void)
{
    moat_error e1 = { 0 }, e2 = { 0 };
    moat_val   arg = fake_val_i32(5);

    inner_trap = moat_instance_call(the_inst, "trap", NULL, 0, NULL, 0, &e1);
    inner_ok = moat_instance_call(the_inst, "where", &arg, 1, &inner_res, 1,
                                  &e2);
}

static void (*volatile host_hook)(void);

WASM static uint32_t
outer(void *ctx, uint32_t x)
{
    (void)ctx;
    host_hook();
    return x + 1;
}

/* Address 8: a fault that is nobody's trap. */
static int *volatile wild = (int *)(uintptr_t)8;

static void
host_crash(void)
{
    *wild = 1;
}

/* Host code that recurses until it runs out of the wasm stack. */
static volatile int never;

static int
host_dig(volatile char *above)
{
    volatile char buf[512];

    buf[0] = (char)(above[0] + 1);
    if (never)
        return buf[0];
    return host_dig(buf) + buf[1];
}

static void
host_overflow(void)
{
    volatile char top[1] = { 0 };

    host_dig(top);
}

WASM static void
wasm_wild(void *ctx)
{
    (void)ctx;
    *wild = 1;
}

typedef struct Env {
    moat_engine   *e;
    Fake           f;
    moat_module   *m;
    moat_linker   *l;
    moat_instance *inst;
} Env;

/* Made inside each test body, not in a cmocka setup: cmocka swaps in
 * its own fault handlers around every setup, test and teardown, so the
 * engine must install ours (chaining to cmocka's) within the test. */
static Env *
env_new(void)
{
    Env       *v = calloc(1, sizeof *v);
    moat_error err = { 0 };

    assert_int_equal(moat_engine_new(&v->e, &err), MOAT_OK);
    fake_register_code();
    fake_init(&v->f);
    fake_export(&v->f, "where", K_FUNC,
                fake_func(&v->f, "i:i", (void (*)(void))where));
    fake_export(&v->f, "recurse", K_FUNC,
                fake_func(&v->f, "i:i", (void (*)(void))recurse));
    fake_export(&v->f, "trap", K_FUNC,
                fake_func(&v->f, ":", (void (*)(void))trap_div));
    fake_export(&v->f, "hw_div", K_FUNC,
                fake_func(&v->f, "ii:i", (void (*)(void))hw_div));
    fake_export(&v->f, "hw_ud2", K_FUNC,
                fake_func(&v->f, ":", (void (*)(void))hw_ud2));
    fake_export(&v->f, "outer", K_FUNC,
                fake_func(&v->f, "i:i", (void (*)(void))outer));
    fake_export(&v->f, "wild", K_FUNC,
                fake_func(&v->f, ":", (void (*)(void))wasm_wild));
    v->m = fake_module(v->e, &v->f);
    assert_int_equal(moat_linker_new(v->e, &v->l, &err), MOAT_OK);
    assert_int_equal(moat_instance_new(v->l, v->m, &v->inst, &err), MOAT_OK);
    the_inst = v->inst;
    return v;
}

static void
env_free(Env *v)
{
    moat_instance_free(v->inst);
    moat_linker_free(v->l);
    moat_module_free(v->m);
    moat_engine_free(v->e);
    assert_null(moatR_tls.spare);       /* the last engine freed it */
    free(v);
}

static moat_status
call1(Env *v, const char *name, uint32_t x, moat_val *res, moat_error *err)
{
    moat_val arg = fake_val_i32(x);
    return moat_instance_call(v->inst, name, &arg, 1, res, 1, err);
}

static void
runs_on_the_wasm_stack(void **state)
{
    Env       *v = env_new();
    moat_error err = { 0 };
    moat_val   res;

    (void)state;
    assert_int_equal(call1(v, "where", 21, &res, &err), MOAT_OK);
    assert_int_equal(res.type, MOAT_I32);
    assert_int_equal(res.of.i32, 42);
    /* the instance's own stack (its pool slot's), not the host's */
    assert_true(seen_sp >= v->inst->fiber->lo);
    assert_true(seen_sp < v->inst->fiber->top);
    assert_null(moatR_tls.act);
    assert_null(moatR_tls.fiber);
    env_free(v);
}

static void
recursion_exhausts_the_stack(void **state)
{
    Env *v = env_new();

    (void)state;
    for (int round = 0; round < 3; round++) {
        moat_error err = { 0 };
        moat_val   res;
        assert_int_equal(call1(v, "recurse", 0, &res, &err), MOAT_ERR_TRAP);
        fake_assert_trap(&err, MOAT_TRAP_STACK_EXHAUSTED);
        assert_string_equal(err.msg, "call stack exhausted");
        assert_null(moatR_tls.act);
    }
    moat_error err = { 0 };
    moat_val   res;
    assert_int_equal(call1(v, "where", 1, &res, &err), MOAT_OK);
    assert_int_equal(res.of.i32, 2);
    env_free(v);
}

static void
explicit_and_hardware_traps(void **state)
{
    Env       *v = env_new();
    moat_error err = { 0 };
    moat_val   args[2] = { fake_val_i32(7), fake_val_i32(0) };
    moat_val   res;

    (void)state;
    assert_int_equal(moat_instance_call(v->inst, "trap", NULL, 0, NULL, 0,
                                        &err), MOAT_ERR_TRAP);
    fake_assert_trap(&err, MOAT_TRAP_DIV_ZERO);
    assert_string_equal(err.msg, "integer divide by zero");

    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_call(v->inst, "hw_div", args, 2, &res, 1,
                                        &err), MOAT_ERR_TRAP);
    fake_assert_trap(&err, MOAT_TRAP_DIV_ZERO);

    memset(&err, 0, sizeof err);
    args[1] = fake_val_i32(2);
    assert_int_equal(moat_instance_call(v->inst, "hw_div", args, 2, &res, 1,
                                        &err), MOAT_OK);
    assert_int_equal(res.of.i32, 3);

    memset(&err, 0, sizeof err);
    assert_int_equal(moat_instance_call(v->inst, "hw_ud2", NULL, 0, NULL, 0,
                                        &err), MOAT_ERR_TRAP);
    fake_assert_trap(&err, MOAT_TRAP_UNREACHABLE);
    assert_string_equal(err.msg, "unreachable");
    env_free(v);
}

static void
nested_calls_trap_innermost(void **state)
{
    Env       *v = env_new();
    moat_error err = { 0 };
    moat_val   res;

    (void)state;
    host_hook = host_reenter;
    inner_trap = inner_ok = MOAT_OK;
    assert_int_equal(call1(v, "outer", 9, &res, &err), MOAT_OK);
    assert_int_equal(res.of.i32, 10);
    assert_int_equal(inner_trap, MOAT_ERR_TRAP);
    assert_int_equal(inner_ok, MOAT_OK);
    assert_int_equal(inner_res.of.i32, 10);
    env_free(v);
}

static void
first_error_wins(void **state)
{
    Env       *v = env_new();
    moat_error err = { 0 };
    moat_val   res;

    (void)state;
    err.code = MOAT_ERR_IO;
    strcpy(err.msg, "earlier");
    assert_int_equal(call1(v, "recurse", 0, &res, &err), MOAT_ERR_TRAP);
    assert_int_equal(err.code, MOAT_ERR_IO);
    assert_string_equal(err.msg, "earlier");
    assert_int_equal(call1(v, "recurse", 0, &res, NULL), MOAT_ERR_TRAP);
    env_free(v);
}

static void
bad_calls_are_refused(void **state)
{
    Env       *v = env_new();
    moat_error err = { 0 };
    moat_val   res, arg = fake_val_i64(1);

    (void)state;
    fake_assert_err(moat_instance_call(v->inst, "nope", NULL, 0, NULL, 0,
                                       &err),
                    &err, MOAT_ERR_LINK, "unknown function export: nope");
    memset(&err, 0, sizeof err);
    fake_assert_err(moat_instance_call(v->inst, "where", &arg, 1, &res, 1,
                                       &err),
                    &err, MOAT_ERR_LINK, "type mismatch: argument 0");
    memset(&err, 0, sizeof err);
    fake_assert_err(moat_instance_call(v->inst, "where", NULL, 0, &res, 1,
                                       &err),
                    &err, MOAT_ERR_LINK, "type mismatch: where takes 1");
    env_free(v);
}

static void *
thread_main(void *arg)
{
    Env      *v = arg;
    uintptr_t ok = 1;

    for (uint32_t i = 0; i < 200 && ok; i++) {
        moat_error err = { 0 };
        moat_val   res;
        ok = call1(v, "where", i, &res, &err) == MOAT_OK &&
             res.of.i32 == 2 * i;
        if (i % 50 == 0)
            ok = ok && call1(v, "recurse", 0, &res, &err) == MOAT_ERR_TRAP &&
                 err.trap == MOAT_TRAP_STACK_EXHAUSTED;
    }
    moatR_thread_release();
    return (void *)ok;
    env_free(v);
}

static void
threads_have_their_own_stacks(void **state)
{
    Env      *v = env_new();
    pthread_t t[3];
    void     *ok;

    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, v), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(t[i], &ok), 0);
        assert_true(ok == (void *)1);
    }
    env_free(v);
}

/* Runs fn in a child whose host handler for SIGSEGV is the default one
 * (cmocka's would longjmp back into the test run): the fault must reach
 * it and kill the child, not come back as a trap. */
static void
child_must_crash(Env *v, void (*fn)(Env *))
{
    pid_t pid = fork();
    int   status;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        moatR_signals_uninstall();
        signal(SIGSEGV, SIG_DFL);
        if (!moatR_signals_install(NULL))
            _exit(2);
        fn(v);
        _exit(0);               /* survived: the fault was swallowed */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

/* The same, and the child's stderr holds want. */
static void
child_must_crash_saying(Env *v, void (*fn)(Env *), const char *want)
{
    FILE *err = tmpfile();
    char  text[1024];
    size_t n;

    assert_non_null(err);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(err), 2) >= 0);
    child_must_crash(v, fn);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(err);
    n = fread(text, 1, sizeof text - 1, err);
    text[n] = 0;
    fclose(err);
    if (!strstr(text, want))
        fail_msg("stderr of the child: \"%s\", not \"%s\"", text, want);
}

static void
crash_outside_calls(Env *v)
{
    (void)v;
    host_crash();
}

static void
crash_in_host_function(Env *v)
{
    moat_val res;

    host_hook = host_crash;
    call1(v, "outer", 1, &res, NULL);
}

static void
overflow_in_host_function(Env *v)
{
    moat_val res;

    host_hook = host_overflow;
    call1(v, "outer", 1, &res, NULL);
}

static void
crash_in_code_outside_memory(Env *v)
{
    moat_instance_call(v->inst, "wild", NULL, 0, NULL, 0, NULL);
}

static void
host_faults_are_not_swallowed(void **state)
{
    Env *v = env_new();

    (void)state;
    child_must_crash(v, crash_outside_calls);
    child_must_crash(v, crash_in_host_function);
    child_must_crash(v, crash_in_code_outside_memory);
    env_free(v);
}

/* A host function that runs out of the wasm stack is the host's bug, not
 * the guest's: no trap unwinds its frames (they may hold locks); one line
 * on stderr names it, and the fault goes to the host's handler. */
static void
host_overflow_is_not_a_trap(void **state)
{
    Env *v = env_new();
    char want[96];

    (void)state;
    snprintf(want, sizeof want,
             "moat: host code overflowed the stack reserve of %llu KiB",
             (unsigned long long)(moatR_stack_reserve() >> 10));
    child_must_crash_saying(v, overflow_in_host_function, want);
    env_free(v);
}

static void
trap_strings(void **state)
{
    (void)state;
    assert_string_equal(moat_trap_string(MOAT_TRAP_MEMORY_OOB),
                        "out of bounds memory access");
    assert_string_equal(moat_trap_string(MOAT_TRAP_INT_OVERFLOW),
                        "integer overflow");
    assert_string_equal(moat_trap_string(MOAT_TRAP_BAD_CONVERSION),
                        "invalid conversion to integer");
    assert_string_equal(moat_trap_string(MOAT_TRAP_TABLE_OOB),
                        "out of bounds table access");
    assert_string_equal(moat_trap_string(MOAT_TRAP_NULL_FUNC),
                        "uninitialized element");
    assert_string_equal(moat_trap_string(MOAT_TRAP_SIG_MISMATCH),
                        "indirect call type mismatch");
    assert_string_equal(moat_trap_string((moat_trap)99), "unknown trap");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_on_the_wasm_stack),
        cmocka_unit_test(recursion_exhausts_the_stack),
        cmocka_unit_test(explicit_and_hardware_traps),
        cmocka_unit_test(nested_calls_trap_innermost),
        cmocka_unit_test(first_error_wins),
        cmocka_unit_test(bad_calls_are_refused),
        cmocka_unit_test(threads_have_their_own_stacks),
        cmocka_unit_test(host_faults_are_not_swallowed),
        cmocka_unit_test(host_overflow_is_not_a_trap),
        cmocka_unit_test(trap_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
