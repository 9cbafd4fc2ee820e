/* table.c - tables (spec 4.2.7 table instances, 4.5.3.4 growtable) and
 * their bounds-checked bulk operations, shared by the helpers compiled
 * code calls and by instantiation. Elements are MoatFuncRef * (funcref) or
 * host pointers (externref); NULL is the null reference.
 */
#include <string.h>

#include "runtime.h"

Table *
moatR_table_new(uint8_t elem_type, uint32_t min, uint32_t max, bool has_max,
                moat_error *err)
{
    if (min > MOAT_TABLE_LIMIT) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "table of %u elements beyond implementation limit", min);
        return NULL;
    }
    Table *t = moatU_calloc(1, sizeof *t);
    void **elems = moatU_calloc(min ? min : 1, sizeof *elems);
    if (!t || !elems) {
        moatU_free(t);
        moatU_free(elems);
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->t.elems = elems;
    t->t.size = min;
    t->t.cap = min ? min : 1;
    t->t.max = has_max ? max : UINT32_MAX;
    t->t.elem_type = elem_type;
    t->has_max = has_max;
    return t;
}

void
moatR_table_free(Table *t)
{
    if (!t)
        return;
    moatU_free(t->t.elems);
    moatU_free(t);
}

uint32_t
moatR_table_grow_by(MoatTable *t, uint32_t n, void *init)
{
    uint32_t old = t->size;
    uint64_t want = (uint64_t)old + n;

    if (want > t->max || want > MOAT_TABLE_LIMIT)
        return UINT32_MAX;
    if (want > t->cap) {
        uint64_t cap = (uint64_t)t->cap * 2;
        if (cap < want)
            cap = want;
        if (cap > MOAT_TABLE_LIMIT)
            cap = MOAT_TABLE_LIMIT;
        void **elems = moatU_realloc(t->elems, (size_t)cap * sizeof *elems);
        if (!elems)
            return UINT32_MAX;
        t->elems = elems;
        t->cap = (uint32_t)cap;
    }
    for (uint32_t i = old; i < (uint32_t)want; i++)
        t->elems[i] = init;
    t->size = (uint32_t)want;
    return old;
}

moat_trap
moatR_table_fill_range(MoatTable *t, uint32_t i, void *val, uint32_t n)
{
    if ((uint64_t)i + n > t->size)
        return MOAT_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = val;
    return MOAT_TRAP_NONE;
}

moat_trap
moatR_table_copy_range(MoatTable *dt, MoatTable *st, uint32_t d, uint32_t s,
                       uint32_t n)
{
    if ((uint64_t)d + n > dt->size || (uint64_t)s + n > st->size)
        return MOAT_TRAP_TABLE_OOB;
    if (n)
        memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
    return MOAT_TRAP_NONE;
}
