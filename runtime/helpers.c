/* helpers.c - the runtime entry points compiled code calls for the
 * instructions it does not inline (abi.h MOAT_HELPERS): memory.grow and
 * the bulk memory and table instructions (spec 4.4.6 table instructions,
 * 4.4.7 memory instructions). Each one bounds-checks before it touches
 * anything and traps with the spec's code; moatR_trap is in trap.c.
 */
#include <string.h>

#include "runtime.h"

static MoatMemory *
ctx_memory(void *ctx)
{
    MoatMemory *m;

    memcpy(&m, (uint8_t *)ctx + MOAT_CTX_MEMORY, sizeof m);
    return m;
}

/* The helper's return address is in the compiled function that called
 * it: where the trap happened, for its name in the message. A macro, so
 * that it is taken in the helper's own frame. */
#define HERE ((uintptr_t)__builtin_return_address(0))
#define trap_if(t) do {                                                  \
        moat_trap t_ = (t);                                              \
        if (t_ != MOAT_TRAP_NONE)                                        \
            moatR_unwind_at((int)t_, HERE);                              \
    } while (0)

uint32_t
moatR_memory_grow(void *ctx, uint32_t delta)
{
    return moatR_memory_grow_by(ctx_memory(ctx), delta);
}

void
moatR_memory_fill(void *ctx, uint32_t d, uint32_t val, uint32_t n)
{
    MoatMemory *m = ctx_memory(ctx);

    if ((uint64_t)d + n > m->size)
        moatR_unwind_at(MOAT_TRAP_MEMORY_OOB, HERE);
    memset(m->base + d, (int)(val & 0xff), n);
}

void
moatR_memory_copy(void *ctx, uint32_t d, uint32_t s, uint32_t n)
{
    MoatMemory *m = ctx_memory(ctx);

    if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size)
        moatR_unwind_at(MOAT_TRAP_MEMORY_OOB, HERE);
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
    return moatR_table_grow_by(moatR_inst_table(moatR_ctx_instance(ctx), t),
                               n, init);
}

void
moatR_table_fill(void *ctx, uint32_t t, uint32_t i, void *val, uint32_t n)
{
    MoatTable *tab = moatR_inst_table(moatR_ctx_instance(ctx), t);

    trap_if(moatR_table_fill_range(tab, i, val, n));
}

void
moatR_table_copy(void *ctx, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                 uint32_t n)
{
    moat_instance *inst = moatR_ctx_instance(ctx);

    trap_if(moatR_table_copy_range(moatR_inst_table(inst, dt),
                                   moatR_inst_table(inst, st), d, s, n));
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
