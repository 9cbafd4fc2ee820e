/* reserve_fx.c - see reserve_fx.h. The host functions here allocate with
 * the C library's malloc on purpose: a trap that unwound one of them in
 * the middle would leave an arena locked, and the allocating thread or the
 * next instance would hang (the watchdog's job to notice).
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest_fx.h"
#include "moat_compile.h"
#include "reserve_fx.h"
#include "runtime.h"

#ifndef RESERVE_WASM
#error "RESERVE_WASM, RESERVE_OTHER_WASM: paths of the guests"
#endif

const char *const rfx_op_names[NOPS] = {
    "nop", "table.grow", "table.fill", "table.copy", "table.init",
    "elem.drop", "memory.grow", "memory.init", "memory.fill", "memory.copy",
    "data.drop", "native host function", "libffi callback",
    "host function calling back in", "other instance", "epoch check",
    "poll_oneoff", "fd_write", "path_open", "fd_readdir", "args/environ",
    "sp", "yield", "unreachable", "host trap with message",
};

uintptr_t rfx_sp;

static uint8_t *objs[NVARIANTS], *other_obj;
static size_t   lens[NVARIANTS], other_len;

int
rfx_compile(void **state)
{
    (void)state;
    objs[V_O2] = moatT_compile_file_with(RESERVE_WASM, 2, 0, &lens[V_O2]);
    objs[V_O0] = moatT_compile_file_with(RESERVE_WASM, 0, 0, &lens[V_O0]);
    objs[V_INT] = moatT_compile_file_with(RESERVE_WASM, 2, 1, &lens[V_INT]);
    other_obj = moatT_compile_file(RESERVE_OTHER_WASM, 2, &other_len);
    rfx_allocator_start();
    return 0;
}

int
rfx_free(void **state)
{
    (void)state;
    rfx_allocator_stop();
    for (int v = 0; v < NVARIANTS; v++)
        moat_free(objs[v]);
    moat_free(other_obj);
    return 0;
}

/* ---- the host functions ---- */

static uint32_t
host_native(void *host_ctx, uint32_t x)
{
    char *p = malloc(64 + x * 512);

    (void)host_ctx;
    if (!p)
        return 0;
    p[0] = (char)x;
    free(p);
    return x + 1;
}

static void
host_cb(moat_caller *c, void *host_ctx, const moat_val *args, size_t nargs,
        moat_val *res, size_t nres)
{
    char *p = calloc(1, 200);

    (void)c, (void)host_ctx, (void)nargs, (void)nres;
    free(p);
    res[0].of.i32 = p ? args[0].of.i32 + 1 : 0;
}

/* Back into the calling instance, in place on its stack: 0 when the
 * nested call worked, 1 when it was exhausted. */
static uint32_t
host_nest(moat_caller *c)
{
    moat_error err = { 0 };
    moat_val   r;
    moat_status st = moat_instance_call(moat_caller_instance(c), "leaf_grow",
                                        NULL, 0, &r, 1, &err);

    if (st == MOAT_OK)
        return r.of.i32;
    return st == MOAT_ERR_TRAP && err.trap == MOAT_TRAP_STACK_EXHAUSTED ? 1
                                                                        : 2;
}

static void
host_interrupt(moat_caller *c)
{
    moat_instance_interrupt(moat_caller_instance(c));
}

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  hold_cond = PTHREAD_COND_INITIALIZER;
static bool            is_holding, is_held;
static pthread_t       holder;

/* Where the stack is; the holder thread waits here (its instance's stack
 * stays busy) until rfx_release. */
static uint32_t
host_sp(void *host_ctx)
{
    (void)host_ctx;
    rfx_sp = (uintptr_t)__builtin_frame_address(0);
    pthread_mutex_lock(&hold_lock);
    if (is_holding && pthread_equal(pthread_self(), holder)) {
        is_held = true;
        pthread_cond_broadcast(&hold_cond);
        while (is_holding)
            pthread_cond_wait(&hold_cond, &hold_lock);
    }
    pthread_mutex_unlock(&hold_lock);
    return 0;
}

typedef struct Hold {
    moat_instance *inst;
    Outcome        outcome;
} Hold;

static void *
hold_main(void *arg)
{
    Hold      *h = arg;
    moat_error err;

    pthread_mutex_lock(&hold_lock);
    holder = pthread_self();
    pthread_mutex_unlock(&hold_lock);
    h->outcome = rfx_run(h->inst, S_SMALL, 0, OP_SP, &err);
    return NULL;
}

static Hold      hold;
static pthread_t hold_thread;

void
rfx_hold(moat_instance *inst)
{
    hold.inst = inst;
    pthread_mutex_lock(&hold_lock);
    is_holding = true;
    is_held = false;
    pthread_mutex_unlock(&hold_lock);
    assert_int_equal(pthread_create(&hold_thread, NULL, hold_main, &hold),
                     0);
    pthread_mutex_lock(&hold_lock);
    while (!is_held)
        pthread_cond_wait(&hold_cond, &hold_lock);
    pthread_mutex_unlock(&hold_lock);
}

void
rfx_release(void)
{
    pthread_mutex_lock(&hold_lock);
    is_holding = false;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&hold_lock);
    pthread_join(hold_thread, NULL);
    assert_int_equal(hold.outcome, R_WORKED);
}

static uint32_t
host_yield(moat_caller *c)
{
    moat_val v = { .type = MOAT_I32, .of.i32 = 7 };

    return moat_caller_yield(c, v).of.i32 == 8 ? 0 : 1;
}

/* An error message formatted on the way (moatU_fail), then a trap. */
static void
host_fail(moat_caller *c)
{
    moat_error err = { 0 };

    moat_instance_call(moat_caller_instance(c), "no such export", NULL, 0,
                       NULL, 0, &err);
    moat_caller_trap(c, err.msg);
}

/* ---- the world ---- */

static const uint8_t I32[] = { MOAT_I32 };

static void
define_env(World *w)
{
    moat_linker *l = w->l;
    moat_error   err = { 0 };
    int          bad = 0;

#define NATIVE(name, fn, np, nr) \
    bad |= moat_linker_define_func(l, "env", name, I32, np, I32, nr, \
                                   (moat_native_fn)fn, NULL, &err) != MOAT_OK
#define CALLER(name, fn, nr) \
    bad |= moat_linker_define_func_caller(l, "env", name, NULL, 0, I32, nr, \
                                          (moat_native_fn)fn, NULL, \
                                          &err) != MOAT_OK
    NATIVE("native", host_native, 1, 1);
    NATIVE("sp", host_sp, 0, 1);
    CALLER("nest", host_nest, 1);
    CALLER("interrupt", host_interrupt, 0);
    CALLER("yield", host_yield, 1);
    CALLER("fail", host_fail, 0);
#undef NATIVE
#undef CALLER
    bad |= moat_linker_define_callback(l, "env", "cb", I32, 1, I32, 1,
                                       host_cb, NULL, &err) != MOAT_OK;
    if (bad)
        fail_msg("defining env: %s", err.msg);
}

static void
define_wasi(World *w)
{
    const char *argv[] = { "reserve", "a", "b" };
    moat_error  err = { 0 };

    strcpy(w->dir, "/tmp/moat-reserve-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    assert_int_equal(moat_wasi_new(&w->wasi, &err), MOAT_OK);
    assert_int_equal(moat_wasi_set_args(w->wasi, 3, argv, &err), MOAT_OK);
    assert_int_equal(moat_wasi_add_env(w->wasi, "K=V", &err), MOAT_OK);
    assert_int_equal(moat_wasi_preopen(w->wasi, w->dir, "/", &err), MOAT_OK);
    assert_int_equal(moat_wasi_capture(w->wasi, 1, &err), MOAT_OK);
    assert_int_equal(moat_wasi_define(w->l, w->wasi, &err), MOAT_OK);
}

void
rfx_world_new(World *w, uint32_t instance_limit)
{
    moat_error err = { 0 };

    memset(w, 0, sizeof *w);
    rfx_watchdog(120, "making a world");
    assert_int_equal(moat_engine_new(&w->e, &err), MOAT_OK);
    moat_engine_set_instance_limit(w->e, instance_limit);
    moat_engine_set_stack_size(w->e, moatR_stack_reserve() + (160 << 10));
    for (int v = 0; v < NVARIANTS; v++)
        assert_int_equal(moat_module_load_object(w->e, objs[v], lens[v],
                                                 &w->m[v], &err), MOAT_OK);
    assert_int_equal(moat_module_load_object(w->e, other_obj, other_len,
                                             &w->other_m, &err), MOAT_OK);
    assert_int_equal(moat_linker_new(w->e, &w->l, &err), MOAT_OK);
    define_env(w);
    define_wasi(w);
    assert_int_equal(moat_instance_new(w->l, w->other_m, &w->other, &err),
                     MOAT_OK);
    assert_int_equal(moat_linker_define_instance(w->l, "other", w->other,
                                                 &err), MOAT_OK);
}

void
rfx_world_free(World *w)
{
    char path[96];

    moat_linker_free(w->l);
    moat_instance_free(w->other);
    for (int v = 0; v < NVARIANTS; v++)
        moat_module_free(w->m[v]);
    moat_module_free(w->other_m);
    moat_wasi_free(w->wasi);
    moat_engine_set_stack_size(w->e, MOAT_STACK_SIZE);
    moat_engine_free(w->e);
    snprintf(path, sizeof path, "%s/f.txt", w->dir);
    unlink(path);
    rmdir(w->dir);
    rfx_watchdog(0, NULL);
}

moat_instance *
rfx_instance(World *w, int variant)
{
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    if (moat_instance_new(w->l, w->m[variant], &inst, &err) != MOAT_OK)
        fail_msg("instance: %s", err.msg);
    return inst;
}

/* ---- runs ---- */

Outcome
rfx_judge(int op, moat_status st, uint32_t result, const moat_error *err)
{
    if (st == MOAT_YIELDED)
        return op == OP_YIELD ? R_SUSPENDED : R_BAD;
    /* compiled code trapped (the check or a fault of its own): the trap
     * names the wasm function; a fault of host code made a trap would not */
    if (st == MOAT_ERR_TRAP && err->trap == MOAT_TRAP_STACK_EXHAUSTED)
        return err->func != MOAT_NO_FUNC ? R_EXHAUSTED : R_BAD;
    if (st == MOAT_ERR_TRAP)
        return (op == OP_EPOCH && err->trap == MOAT_TRAP_INTERRUPTED) ||
                       (op == OP_UNREACHABLE &&
                        err->trap == MOAT_TRAP_UNREACHABLE) ||
                       (op == OP_FAIL && err->trap == MOAT_TRAP_HOST &&
                        strstr(err->msg, "no such export"))
                   ? R_WORKED
                   : R_BAD;
    if (st != MOAT_OK)
        return R_BAD;
    return result == 0 || (op == OP_NEST && result == 1) ? R_WORKED : R_BAD;
}

Outcome
rfx_run(moat_instance *inst, int shape, uint32_t n, int op, moat_error *err)
{
    moat_val args[3] = {
        { .type = MOAT_I32, .of.i32 = (uint32_t)shape },
        { .type = MOAT_I32, .of.i32 = n },
        { .type = MOAT_I32, .of.i32 = (uint32_t)op },
    };
    moat_val r = { .type = MOAT_I32 };

    memset(err, 0, sizeof *err);
    moat_status st = moat_instance_call(inst, "run", args, 3, &r, 1, err);
    Outcome     o = rfx_judge(op, st, r.of.i32, err);

    if (o == R_BAD && st == MOAT_OK)
        snprintf(err->msg, sizeof err->msg, "returned %u", r.of.i32);
    else if (o == R_BAD && err->trap == MOAT_TRAP_STACK_EXHAUSTED)
        snprintf(err->msg, sizeof err->msg, "call stack exhausted outside "
                 "compiled code: host code ran out of stack");
    return o;
}

uint32_t
rfx_boundary(moat_instance *inst, int shape)
{
    uint32_t   ok = 0, exhausted = 1u << 22;
    moat_error err;

    assert_int_equal(rfx_run(inst, shape, 0, OP_NOP, &err), R_WORKED);
    assert_int_equal(rfx_run(inst, shape, exhausted, OP_NOP, &err),
                     R_EXHAUSTED);
    while (exhausted - ok > 1) {
        uint32_t mid = ok + (exhausted - ok) / 2;
        Outcome  o = rfx_run(inst, shape, mid, OP_NOP, &err);
        if (o == R_BAD)
            fail_msg("boundary at %u: %s", mid, err.msg);
        *(o == R_WORKED ? &ok : &exhausted) = mid;
    }
    return exhausted;
}

uint32_t
rfx_level_bytes(moat_instance *inst, int shape)
{
    moat_error err;
    uintptr_t  sp0;

    assert_int_equal(rfx_run(inst, shape, 0, OP_SP, &err), R_WORKED);
    sp0 = rfx_sp;
    assert_int_equal(rfx_run(inst, shape, 64, OP_SP, &err), R_WORKED);
    assert_true(sp0 > rfx_sp);
    return (uint32_t)((sp0 - rfx_sp + 63) / 64);
}

void
rfx_still_allocates(World *w)
{
    moat_linker *l = NULL;
    moat_error   err = { 0 };
    void        *p = malloc(1000);

    assert_non_null(p);
    free(p);
    assert_int_equal(moat_linker_new(w->e, &l, &err), MOAT_OK);
    moat_linker_free(l);
}

enum { SPAN = 64 << 10 };       /* bytes of stack a sweep covers */

/* Descriptors this process has open: a host function unwound in the
 * middle (a trap out of path_open) leaks the ones it had opened. */
static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int  n = 0;

    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

void
rfx_sweep(World *w, int variant, int shape, int op, moat_instance *fixed)
{
    static const char *const vname[] = { "-O2", "-O0", "interruptible" };
    char           what[128];
    uint32_t       nworked = 0, nexhausted = 0;

    snprintf(what, sizeof what, "%s, %s, shape %d", rfx_op_names[op],
             vname[variant], shape);
    rfx_watchdog(120, what);
    int            nfds = open_fds();
    moat_instance *probe = fixed ? fixed : rfx_instance(w, variant);
    uint32_t       n0 = rfx_boundary(probe, shape);
    uint32_t       span = SPAN / rfx_level_bytes(probe, shape) + 16;

    if (!fixed)
        moat_instance_free(probe);
    for (uint32_t n = n0 > span ? n0 - span : 0; n <= n0 + 8; n++) {
        moat_instance *inst = fixed ? fixed : rfx_instance(w, variant);
        moat_error     err;
        Outcome        o = rfx_run(inst, shape, n, op, &err);
        if (!fixed)
            moat_instance_free(inst);
        if (o == R_BAD)
            fail_msg("%s, depth %u: %s", what, n, err.msg);
        if (o == R_WORKED && nexhausted)
            fail_msg("%s: depth %u worked, a shallower one was exhausted",
                     what, n);
        if (o == R_WORKED) {
            nworked++;
        } else {
            nexhausted++;
            rfx_still_allocates(w);
        }
    }
    rfx_watchdog(120, "the end of a test");    /* disarmed by world_free */
    if (!nworked || !nexhausted)
        fail_msg("%s: the sweep did not cross the boundary (%u worked, %u "
                 "exhausted)", what, nworked, nexhausted);
    if (open_fds() != nfds)
        fail_msg("%s: %d descriptors open before, %d after", what, nfds,
                 open_fds());
}

/* ---- the allocating thread ---- */

static atomic_bool stop_allocating;
static pthread_t   allocator;

static void *
allocate_loop(void *arg)
{
    unsigned seed = 1;

    (void)arg;
    while (!atomic_load(&stop_allocating)) {
        size_t n = (size_t)(rand_r(&seed) % 70000) + 1;
        char  *p = malloc(n);
        if (p) {
            p[n - 1] = 1;
            char *q = realloc(p, n / 2 + 1);
            free(q ? q : p);
        }
    }
    return NULL;
}

static void     *watch_loop(void *arg);
static pthread_t watcher;

/* Both helper threads: the allocator and the watchdog. */
void
rfx_allocator_start(void)
{
    atomic_store(&stop_allocating, false);
    assert_int_equal(pthread_create(&allocator, NULL, allocate_loop, NULL),
                     0);
    assert_int_equal(pthread_create(&watcher, NULL, watch_loop, NULL), 0);
}

void
rfx_allocator_stop(void)
{
    atomic_store(&stop_allocating, true);
    pthread_join(allocator, NULL);
    pthread_join(watcher, NULL);
}

/* ---- the watchdog: a thread, not a signal, so that it needs nothing of
 * a thread that hangs (a signal handler would run on its stack, maybe an
 * exhausted wasm stack, and call whatever the hung thread holds) ---- */

static _Atomic uint64_t due_ns;         /* CLOCK_MONOTONIC; 0: disarmed */
static char             watched[160];

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *
watch_loop(void *arg)
{
    static const char head[] = "watchdog: hung (a deadlock?) in ";
    struct timespec   tick = { 0, 50 * 1000 * 1000 };

    (void)arg;
    while (!atomic_load(&stop_allocating)) {
        uint64_t due = atomic_load(&due_ns);
        if (due && now_ns() > due) {
            if (write(2, head, sizeof head - 1) < 0 ||
                write(2, watched, strlen(watched)) < 0)
                _exit(1);
            if (write(2, "\n", 1) < 0)
                _exit(1);
            _exit(1);
        }
        nanosleep(&tick, NULL);
    }
    return NULL;
}

void
rfx_watchdog(unsigned seconds, const char *what)
{
    atomic_store(&due_ns, 0);
    if (what)
        snprintf(watched, sizeof watched, "%s", what);
    if (seconds)
        atomic_store(&due_ns, now_ns() + (uint64_t)seconds * 1000000000u);
}
