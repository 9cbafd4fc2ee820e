/* engine.c - the engine (process-wide state: canonical function types,
 * the fault handlers, the instance pool, limits) and the reference counts
 * that keep shared objects alive. Types live in types.c, handlers in
 * signal.c, the pool in pool.c.
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
    eng->max_instances = moatR_pool_default_slots();
    eng->profilers = moatR_profilers_from_env();
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
    moatR_pool_free(eng);
    moatR_refs_drain();         /* stale references of its instances */
    moatR_types_fini(&eng->types);
    moatR_signals_uninstall();
    moatU_free(eng);
}

void
moat_engine_set_max_memory(moat_engine *e, uint64_t bytes)
{
    e->max_memory = bytes;
}

/* Process-wide, like the stacks of a thread: the size applies to calls
 * started from now on (fiber.c). */
void
moat_engine_set_stack_size(moat_engine *e, uint64_t bytes)
{
    (void)e;
    moatR_set_stack_size(bytes);
}

/* Process-wide too: the limit compiled code checks is the thread's. */
void
moat_engine_set_stack_reserve(moat_engine *e, uint64_t bytes)
{
    (void)e;
    moatR_set_stack_reserve(bytes);
}

void
moat_engine_set_table_limit(moat_engine *e, uint32_t n)
{
    e->table_limit = n;
}

void
moat_engine_set_huge_pages(moat_engine *e, uint64_t bytes)
{
    e->huge_at = bytes;
}
