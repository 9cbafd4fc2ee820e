/* helpers.c - the runtime entry points compiled code calls for the
 * instructions it does not inline (abi.h MOAT_HELPERS): memory.grow, the
 * bulk memory and table instructions (spec 4.4.6 table instructions,
 * 4.4.7 memory instructions), and the funcref stores that count
 * references (table.set, global.set: funcref.c). Each one bounds-checks
 * before it touches anything and traps with the spec's code; moatR_trap
 * is in trap.c.
 */
#include <string.h>

#include "runtime.h"

/* The helper's frame leads to the compiled function that called it:
 * where the trap happened, for the backtrace (moatR_unwind_here). */
#define trap_if(t) do {                                                  \
        moat_trap t_ = (t);                                              \
        if (t_ == MOAT_TRAP_NOMEM)                                       \
            moat_caller_trap(NULL, "out of memory: function reference"); \
        if (t_ != MOAT_TRAP_NONE)                                        \
            moatR_unwind_here((int)t_);                                  \
    } while (0)

static Table *
table_of(void *ctx, uint32_t t)
{
    return (Table *)moatR_inst_table(moatR_ctx_instance(ctx), t);
}

uint32_t
moatR_memory_grow(void *ctx, uint32_t delta)
{
    return moatR_memory_grow_by((MoatMemory *)moatR_ctx_memory(ctx), delta);
}

void
moatR_memory_fill(void *ctx, uint32_t d, uint32_t val, uint32_t n)
{
    MoatMemory *m = (MoatMemory *)moatR_ctx_memory(ctx);

    if ((uint64_t)d + n > m->size)
        moatR_unwind_here(MOAT_TRAP_MEMORY_OOB);
    memset(m->base + d, (int)(val & 0xff), n);
}

void
moatR_memory_copy(void *ctx, uint32_t d, uint32_t s, uint32_t n)
{
    MoatMemory *m = (MoatMemory *)moatR_ctx_memory(ctx);

    if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size)
        moatR_unwind_here(MOAT_TRAP_MEMORY_OOB);
    memmove(m->base + d, m->base + s, n);
}

void
moatR_memory_init(void *ctx, uint32_t seg, uint32_t d, uint32_t s,
                  uint32_t n)
{
    trap_if(moatR_memory_init_at(moatR_ctx_instance(ctx), seg, d, s, n));
}

void
moatR_data_drop(void *ctx, uint32_t seg)
{
    moatR_seg_drop(moatR_ctx_instance(ctx), true, seg);
}

uint32_t
moatR_table_grow(void *ctx, uint32_t t, void *init, uint32_t n)
{
    return moatR_table_grow_by(table_of(ctx, t), n, init);
}

void
moatR_table_fill(void *ctx, uint32_t t, uint32_t i, void *val, uint32_t n)
{
    trap_if(moatR_table_fill_range(table_of(ctx, t), i, val, n));
}

void
moatR_table_copy(void *ctx, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                 uint32_t n)
{
    trap_if(moatR_table_copy_range(table_of(ctx, dt), table_of(ctx, st), d,
                                   s, n));
}

void
moatR_table_set(void *ctx, uint32_t t, uint32_t i, void *val)
{
    trap_if(moatR_table_set_at(table_of(ctx, t), i, val));
}

void
moatR_global_set_ref(void *ctx, uint32_t g, void *val)
{
    moat_instance *inst = moatR_ctx_instance(ctx);

    trap_if(moatR_ref_store((void **)(void *)moatR_inst_global(inst, g), val,
                            moatR_global_owner(inst, g)));
}

void
moatR_table_init(void *ctx, uint32_t t, uint32_t seg, uint32_t d, uint32_t s,
                 uint32_t n)
{
    trap_if(moatR_table_init_at(moatR_ctx_instance(ctx), t, seg, d, s, n));
}

void
moatR_elem_drop(void *ctx, uint32_t seg)
{
    moatR_seg_drop(moatR_ctx_instance(ctx), false, seg);
}
