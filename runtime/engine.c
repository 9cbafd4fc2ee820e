/* engine.c - the engine (process-wide state: canonical function types,
 * the fault handlers) and the reference counts that keep shared objects
 * alive. Types live in types.c, handlers in signal.c.
 */
#include "runtime.h"

void
moatR_retain(Owner *o)
{
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

void
moatR_release(Owner *o)
{
    if (!o)
        return;
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
        o->destroy(o);
}

moat_status
moatR_report(moat_error *err, const moat_error *e)
{
    if (e->code != MOAT_OK && err && err->code == MOAT_OK)
        *err = *e;
    return e->code;
}

moat_status
moat_engine_new(moat_engine **out, moat_error *err)
{
    moat_error e = { 0 };

    *out = NULL;
    moat_engine *eng = moatU_calloc(1, sizeof *eng);
    if (!eng) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
        return moatR_report(err, &e);
    }
    if (!moatR_signals_install(&e)) {
        moatU_free(eng);
        return moatR_report(err, &e);
    }
    moatR_types_init(&eng->types);
    *out = eng;
    return MOAT_OK;
}

/* Everything made from the engine must be gone. The calling thread's wasm
 * stack goes with the last engine; other threads free theirs at exit. */
void
moat_engine_free(moat_engine *eng)
{
    if (!eng)
        return;
    moatR_deadline_engine_fini(eng);
    moatR_types_fini(&eng->types);
    moatR_signals_uninstall();
    moatU_free(eng);
}

void
moat_engine_set_max_memory(moat_engine *e, uint64_t bytes)
{
    e->max_memory = bytes;
}

/* The wasm stack is per thread, not per engine: the size applies to
 * stacks made from now on, and to this thread's when it is not in use. */
void
moat_engine_set_stack_size(moat_engine *e, uint64_t bytes)
{
    (void)e;
    moatR_set_stack_size(bytes);
}
