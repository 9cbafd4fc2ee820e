/* reserve_fx.h - for test_reserve.c: a world that links every import of
 * reserve.wat (host functions of each kind, WASI, another instance), runs
 * of run(shape, n, op), sweeps of n across the depth where the stack check
 * fires, a thread that allocates meanwhile, and a watchdog for hangs.
 */
#ifndef MOAT_TEST_RESERVE_FX_H
#define MOAT_TEST_RESERVE_FX_H

#include <stdint.h>

#include "moat.h"
#include "moat_wasi.h"

/* reserve.wat's ops: what runs host code at the bottom of the recursion */
enum Op {
    OP_NOP, OP_TABLE_GROW, OP_TABLE_FILL, OP_TABLE_COPY, OP_TABLE_INIT,
    OP_ELEM_DROP, OP_MEMORY_GROW, OP_MEMORY_INIT, OP_MEMORY_FILL,
    OP_MEMORY_COPY, OP_DATA_DROP, OP_NATIVE, OP_CB, OP_NEST, OP_OTHER,
    OP_EPOCH, OP_POLL, OP_FD_WRITE, OP_WASI_FILE, OP_WASI_DIR,
    OP_WASI_ARGS, OP_SP, OP_YIELD, OP_UNREACHABLE, OP_FAIL, NOPS
};

/* frames on the way down: small, twelve live i64s, small + one frame
 * larger than the guard (only at -O0 is it large) */
enum Shape { S_SMALL, S_BIG, S_HUGE };

/* the guest compiled at -O2, at -O0, and at -O2 with epoch checks */
enum Variant { V_O2, V_O0, V_INT, NVARIANTS };

typedef struct World {
    moat_engine   *e;
    moat_module   *m[NVARIANTS], *other_m;
    moat_linker   *l;
    moat_instance *other;
    moat_wasi     *wasi;
    char           dir[64];
} World;

typedef enum Outcome {
    R_WORKED,                   /* the op did what it does */
    R_EXHAUSTED,                /* "call stack exhausted" in a wasm
                                 * function */
    R_SUSPENDED,                /* OP_YIELD yielded */
    R_BAD                       /* anything else: a failure */
} Outcome;

extern const char *const rfx_op_names[NOPS];
extern uintptr_t         rfx_sp;        /* where OP_SP found the stack */

/* Compiles the guests once (cmocka group setup / teardown). */
int  rfx_compile(void **state);
int  rfx_free(void **state);
/* A world whose engine pools at most instance_limit instances (0: none),
 * stacks of the reserve + 160 KiB. Inside each test body: the engine
 * installs the fault handlers, which cmocka swaps around tests. */
void rfx_world_new(World *w, uint32_t instance_limit);
void rfx_world_free(World *w);
moat_instance *rfx_instance(World *w, int variant);

/* One call of run(shape, n, op); err tells why when R_BAD. */
Outcome rfx_run(moat_instance *inst, int shape, uint32_t n, int op,
                moat_error *err);
/* Judges a finished call of op (also a resumed one). */
Outcome rfx_judge(int op, moat_status st, uint32_t result,
                  const moat_error *err);
/* The first depth at which run(shape, n, OP_NOP) is exhausted, and the
 * bytes of stack one level of shape takes. */
uint32_t rfx_boundary(moat_instance *inst, int shape);
uint32_t rfx_level_bytes(moat_instance *inst, int shape);
/* Every depth from where op's host code has 64 KiB more than the stack
 * check leaves it to past the boundary, each on a fresh instance: each
 * run must work or be exhausted (deeper runs too, once one is), the
 * process must still allocate after each trap, and no descriptor may
 * leak. Under the watchdog. With
 * fixed, every run is on that instance instead. */
void rfx_sweep(World *w, int variant, int shape, int op,
               moat_instance *fixed);
/* After a trap: malloc, free, a linker made and freed. */
void rfx_still_allocates(World *w);

/* Keeps inst's own stack busy: another thread runs OP_SP on it and waits
 * there until rfx_release (calls into inst from elsewhere meanwhile run on
 * the calling thread's spare stack). */
void rfx_hold(moat_instance *inst);
void rfx_release(void);

/* A thread that allocates and frees in a loop until stopped, and the
 * watchdog's thread. */
void rfx_allocator_start(void);
void rfx_allocator_stop(void);
/* Ends the process (exit 1, what on stderr) unless disarmed (seconds 0)
 * or re-armed before seconds pass. */
void rfx_watchdog(unsigned seconds, const char *what);

#endif
