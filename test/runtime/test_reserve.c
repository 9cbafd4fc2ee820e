/* test_reserve.c - compiled code leaves host code its reserve of the wasm
 * stack (runtime/abi.h, "the stack limit"). The guest (reserve.wat)
 * recurses to every depth across the one where the stack check fires,
 * with frames of three shapes, at -O2, -O0 and with epoch checks, then
 * runs host code: every helper that allocates or locks, host functions
 * (native, libffi callback, one calling back in, one in another instance,
 * an error message and a trap), the epoch check, WASI calls. Another
 * thread allocates all along. Each run must work or end "call stack
 * exhausted", and the process must go on allocating: before the stack
 * check, the guard page turned a fault inside malloc into a trap and the
 * next allocation hung (the watchdog catches that). Also on own stacks
 * (no pool), on a thread's spare stack, after a resume on another thread;
 * and what each host path uses of the stack, against the reserve.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reserve_fx.h"
#include "runtime.h"

typedef struct Case {
    int variant, shape;
} Case;

/* frames: small and big at -O2; small and one larger than the guard at
 * -O0 */
static const Case cases[] = {
    { V_O2, S_SMALL }, { V_O2, S_BIG }, { V_O0, S_SMALL }, { V_O0, S_HUGE },
};

static void
sweep_ops(uint32_t instance_limit, const int *ops, size_t nops)
{
    World w;

    rfx_world_new(&w, instance_limit);
    for (size_t i = 0; i < nops; i++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            rfx_sweep(&w, cases[c].variant, cases[c].shape, ops[i], NULL);
    rfx_world_free(&w);
}

static void
helpers_keep_their_reserve(void **state)
{
    static const int ops[] = {
        OP_TABLE_GROW, OP_TABLE_FILL, OP_TABLE_COPY, OP_TABLE_INIT,
        OP_ELEM_DROP, OP_MEMORY_GROW, OP_MEMORY_INIT, OP_MEMORY_FILL,
        OP_MEMORY_COPY, OP_DATA_DROP, OP_UNREACHABLE,
    };

    (void)state;
    sweep_ops(16, ops, sizeof ops / sizeof ops[0]);
}

static void
host_functions_keep_their_reserve(void **state)
{
    static const int ops[] = {
        OP_NATIVE, OP_CB, OP_NEST, OP_OTHER, OP_FAIL,
    };

    (void)state;
    sweep_ops(16, ops, sizeof ops / sizeof ops[0]);
}

static void
wasi_keeps_its_reserve(void **state)
{
    static const int ops[] = {
        OP_POLL, OP_FD_WRITE, OP_WASI_FILE, OP_WASI_DIR, OP_WASI_ARGS,
    };

    (void)state;
    sweep_ops(16, ops, sizeof ops / sizeof ops[0]);
}

static void
epoch_check_keeps_its_reserve(void **state)
{
    World w;

    (void)state;
    rfx_world_new(&w, 16);
    rfx_sweep(&w, V_INT, S_SMALL, OP_EPOCH, NULL);
    rfx_sweep(&w, V_INT, S_BIG, OP_EPOCH, NULL);
    rfx_sweep(&w, V_INT, S_SMALL, OP_TABLE_GROW, NULL);
    rfx_world_free(&w);
}

/* Without the pool every instance maps its own stack. */
static void
own_stacks_keep_the_reserve(void **state)
{
    static const int ops[] = { OP_TABLE_GROW, OP_CB, OP_WASI_FILE };

    (void)state;
    sweep_ops(0, ops, sizeof ops / sizeof ops[0]);
}

/* The instance's own stack is busy on another thread: these calls run on
 * this thread's spare stack, which has its own limit. */
static void
spare_stack_keeps_the_reserve(void **state)
{
    World          w;
    moat_instance *inst;

    (void)state;
    rfx_world_new(&w, 16);
    inst = rfx_instance(&w, V_O2);
    rfx_hold(inst);
    rfx_sweep(&w, V_O2, S_SMALL, OP_NATIVE, inst);
    rfx_sweep(&w, V_O2, S_BIG, OP_CB, inst);
    rfx_sweep(&w, V_O2, S_SMALL, OP_WASI_DIR, inst);
    rfx_release();
    moat_instance_free(inst);
    rfx_world_free(&w);
}

/* ---- yield at every depth, resume on another thread ---- */

typedef struct Resume {
    moat_instance *inst;
    moat_status    st;
    moat_val       r;
    moat_error     err;
} Resume;

static void *
resume_main(void *arg)
{
    Resume  *x = arg;
    moat_val v = { .type = MOAT_I32, .of.i32 = 8 };

    x->st = moat_instance_resume(x->inst, v, &x->r, 1, &x->err);
    moatR_thread_release();
    return NULL;
}

/* After the resume, the guest enters a fresh function and grows its
 * table: the resuming thread must check against the limit of the stack
 * it resumed, not of its own. */
static void
resumed_runs_keep_the_reserve(void **state)
{
    World          w;
    moat_instance *probe;
    uint32_t       n0, span, nworked = 0, nexhausted = 0;

    (void)state;
    rfx_world_new(&w, 16);
    probe = rfx_instance(&w, V_O2);
    n0 = rfx_boundary(probe, S_SMALL);
    span = (32 << 10) / rfx_level_bytes(probe, S_SMALL) + 16;
    moat_instance_free(probe);
    rfx_watchdog(120, "yield and resume");
    for (uint32_t n = n0 > span ? n0 - span : 0; n <= n0 + 8; n++) {
        moat_instance *inst = rfx_instance(&w, V_O2);
        Resume         x = { .inst = inst };
        pthread_t      t;
        Outcome        o = rfx_run(inst, S_SMALL, n, OP_YIELD, &x.err);
        if (o == R_SUSPENDED) {
            memset(&x.err, 0, sizeof x.err);
            assert_int_equal(pthread_create(&t, NULL, resume_main, &x), 0);
            assert_int_equal(pthread_join(t, NULL), 0);
            o = rfx_judge(OP_TABLE_GROW, x.st, x.r.of.i32, &x.err);
        }
        moat_instance_free(inst);
        if (o == R_BAD)
            fail_msg("yield, depth %u: %s", n, x.err.msg);
        if (o == R_WORKED && nexhausted)
            fail_msg("yield: depth %u worked after a shallower one was "
                     "exhausted", n);
        *(o == R_WORKED ? &nworked : &nexhausted) += 1;
        if (o == R_EXHAUSTED)
            rfx_still_allocates(&w);
    }
    rfx_watchdog(120, "the end of a test");
    assert_true(nworked > 0 && nexhausted > 0);
    rfx_world_free(&w);
}

/* ---- what host code uses of the stack ---- */

/* The lowest byte of [lo, hi) that is not zero: a fresh stack is all
 * zero, so this is as deep as a run went. Reads redzones too. */
__attribute__((no_sanitize("address"), noinline)) static uintptr_t
deepest(uintptr_t lo, uintptr_t hi)
{
    const volatile uint8_t *p = (const uint8_t *)lo;

    while ((uintptr_t)p < hi && *p == 0)
        p++;
    return (uintptr_t)p;
}

/* Bytes below the top of the stack that a run of op at depth 0 wrote. */
static uint64_t
depth_of(World *w, int variant, int op)
{
    moat_instance *inst = rfx_instance(w, variant);
    moat_error     err;
    Outcome        o = rfx_run(inst, S_SMALL, 0, op, &err);
    uintptr_t      top = inst->fiber->top;
    uintptr_t      low = deepest(inst->fiber->lo, top);

    if (o != R_WORKED)
        fail_msg("%s: %s", rfx_op_names[op], err.msg);
    moat_instance_free(inst);
    return top - low;
}

/* How far below the top of the stack the guest calls the host (OP_SP's
 * host function finds its frame there). */
static uint64_t
call_depth(World *w, int variant)
{
    moat_instance *inst = rfx_instance(w, variant);
    moat_error     err;

    assert_int_equal(rfx_run(inst, S_SMALL, 0, OP_SP, &err), R_WORKED);
    uintptr_t top = inst->fiber->top;   /* mapped by the first run */
    moat_instance_free(inst);
    return top - (rfx_sp + 16);         /* its frame: return address, rbp */
}

/* Prints the bytes each host path took below the wasm frame that called
 * it, the first time it runs in the process (lazy binding included;
 * docs/runtime.md, "Faults", has the numbers) and checks them against the
 * reserve; the trap path against the room the check's probe makes. */
static void
host_stack_use_fits_the_reserve(void **state)
{
    World    w;
    uint64_t most = 0;

    (void)state;
    rfx_world_new(&w, 0);               /* own stacks: fresh, all zero */
    for (int op = OP_TABLE_GROW; op < NOPS; op++) {
        if (op == OP_YIELD || op == OP_SP)
            continue;
        int      v = op == OP_EPOCH ? V_INT : V_O2;
        uint64_t depth = depth_of(&w, v, op), at = call_depth(&w, v);
        uint64_t use = depth > at ? depth - at : 0;
        print_message("host stack use: %-30s %6llu bytes\n",
                      rfx_op_names[op], (unsigned long long)use);
        if (op == OP_UNREACHABLE)
            assert_true(use < MOAT_STACK_TRAP_ROOM);
        else if (use > most)
            most = use;
    }
    print_message("host stack use: most %llu bytes, reserve %llu\n",
                  (unsigned long long)most,
                  (unsigned long long)moatR_stack_reserve());
    assert_true(most < moatR_stack_reserve());
    rfx_world_free(&w);
}

/* Compiled code finds the limit word at one offset from the thread
 * pointer, whichever thread runs it. */
static void *
offset_main(void *arg)
{
    *(int64_t *)arg = moatR_stack_limit_offset();
    return NULL;
}

static void
limit_word_is_at_one_offset(void **state)
{
    pthread_t t;
    int64_t   there = 0;

    (void)state;
    assert_int_equal(pthread_create(&t, NULL, offset_main, &there), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(there == moatR_stack_limit_offset());
    assert_true(moatR_stack_limit == 0);        /* no moat call running */
}

/* test_reserve [NAME-PATTERN]: runs only the tests that match */
int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_word_is_at_one_offset),
        cmocka_unit_test(host_stack_use_fits_the_reserve),
        cmocka_unit_test(helpers_keep_their_reserve),
        cmocka_unit_test(host_functions_keep_their_reserve),
        cmocka_unit_test(wasi_keeps_its_reserve),
        cmocka_unit_test(epoch_check_keeps_its_reserve),
        cmocka_unit_test(own_stacks_keep_the_reserve),
        cmocka_unit_test(spare_stack_keeps_the_reserve),
        cmocka_unit_test(resumed_runs_keep_the_reserve),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, rfx_compile, rfx_free);
}
