/* table.c - tables (spec 4.2.7 table instances, 4.5.3.4 growtable) and
 * their bounds-checked operations, shared by the helpers compiled code
 * calls and by instantiation. Elements are MoatFuncRef * (funcref) or
 * host pointers (externref); NULL is the null reference. Every write of a
 * funcref element goes through funcref.c, which counts references that
 * the table's owner does not own; growth is charged to the owner's
 * budget (limits.c).
 */
#include <string.h>

#include "runtime.h"

/* Bytes per element: a funcref table keeps a code hint beside each
 * (abi.h, MoatTable). */
static uint64_t
elem_bytes(uint8_t elem_type)
{
    return elem_type == MOAT_FUNCREF ? 2 * sizeof(void *) : sizeof(void *);
}

uint64_t
moatR_table_bytes(uint8_t elem_type, uint64_t cap)
{
    return sizeof(Table) + cap * elem_bytes(elem_type);
}

static bool
is_funcref(const Table *t)
{
    return t->t.elem_type == MOAT_FUNCREF;
}

Table *
moatR_table_new(uint8_t elem_type, uint32_t min, uint32_t max, bool has_max,
                moat_error *err)
{
    if (min > MOAT_TABLE_LIMIT) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "table of %u elements beyond implementation limit", min);
        return NULL;
    }
    uint32_t cap = min ? min : 1;
    Table   *t = moatU_calloc(1, sizeof *t);
    void   **elems = moatU_calloc(cap, sizeof *elems);
    void   **codes = elem_type == MOAT_FUNCREF ?
                         moatU_calloc(cap, sizeof *codes) : NULL;
    if (!t || !elems || (elem_type == MOAT_FUNCREF && !codes)) {
        moatU_free(t);
        moatU_free(elems);
        moatU_free(codes);
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->t.elems = elems;
    t->t.codes = codes;
    t->t.size = min;
    t->t.cap = cap;
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
    if (is_funcref(t))
        moatR_ref_drop_all(t->t.elems, t->t.size, t->owner);
    moatR_budget_refund(t->budget,
                        moatR_table_bytes(t->t.elem_type, t->t.cap));
    moatU_free(t->t.elems);
    moatU_free(t->t.codes);
    moatU_free(t);
}

void
moatR_table_reset(Table *t, uint32_t n)
{
    if (is_funcref(t))
        moatR_ref_drop_all(t->t.elems, t->t.size, t->owner);
    memset(t->t.elems, 0, (size_t)t->t.cap * sizeof *t->t.elems);
    if (t->t.codes)
        memset(t->t.codes, 0, (size_t)t->t.cap * sizeof *t->t.codes);
    t->t.size = n;
}

/* n copies of v into [i, i + n), in bounds. */
static moat_trap
store_n(Table *t, uint32_t i, void *v, uint32_t n)
{
    void **e = t->t.elems + i;

    if (!is_funcref(t)) {
        for (uint32_t k = 0; k < n; k++)
            e[k] = v;
        return MOAT_TRAP_NONE;
    }
    void *h = moatR_ref_hold(v, t->owner, n);
    if (v && n && !h)
        return MOAT_TRAP_NOMEM;
    void *code = h ? ((MoatFuncRef *)h)->code : NULL;
    for (uint32_t k = 0; k < n; k++) {
        void *old = e[k];
        e[k] = h;
        t->t.codes[i + k] = code;       /* after elems: a race sees a
                                         * mismatch, the slow call */
        moatR_ref_drop(old, t->owner, 1);
    }
    return MOAT_TRAP_NONE;
}

/* elems (and codes) reallocated to cap elements; false, both as they
 * were, when out of memory. */
static bool
grow_arrays(Table *t, uint64_t cap)
{
    void **codes = NULL;

    if (t->t.codes) {
        codes = moatU_calloc((size_t)cap, sizeof *codes);
        if (!codes)
            return false;
        memcpy(codes, t->t.codes, (size_t)t->t.cap * sizeof *codes);
    }
    void **elems = moatU_realloc(t->t.elems, (size_t)cap * sizeof *elems);
    if (!elems) {
        moatU_free(codes);
        return false;
    }
    t->t.elems = elems;
    if (codes) {
        moatU_free(t->t.codes);
        t->t.codes = codes;
    }
    return true;
}

/* Room for want elements: capacity doubles, within the table's limit and
 * what the owner's budget can take (then exactly want). */
static bool
reserve(Table *t, uint64_t want)
{
    uint64_t cap = (uint64_t)t->t.cap * 2;
    uint64_t per = elem_bytes(t->t.elem_type);

    if (want <= t->t.cap)
        return true;
    if (cap < want)
        cap = want;
    if (cap > MOAT_TABLE_LIMIT)
        cap = MOAT_TABLE_LIMIT;
    if (!moatR_budget_charge(t->budget, (cap - t->t.cap) * per)) {
        cap = want;
        if (!moatR_budget_charge(t->budget, (cap - t->t.cap) * per))
            return false;
    }
    if (!grow_arrays(t, cap)) {
        moatR_budget_refund(t->budget, (cap - t->t.cap) * per);
        return false;
    }
    t->t.cap = (uint32_t)cap;
    return true;
}

uint32_t
moatR_table_grow_by(Table *t, uint32_t n, void *init)
{
    uint32_t old = t->t.size;
    uint64_t want = (uint64_t)old + n;

    if (want > t->t.max || want > MOAT_TABLE_LIMIT || !reserve(t, want))
        return UINT32_MAX;
    memset(t->t.elems + old, 0, (size_t)n * sizeof(void *));
    if (t->t.codes)
        memset(t->t.codes + old, 0, (size_t)n * sizeof(void *));
    if (store_n(t, old, init, n) != MOAT_TRAP_NONE)
        return UINT32_MAX;      /* out of memory: still the old size */
    t->t.size = (uint32_t)want;
    return old;
}

moat_trap
moatR_table_set_at(Table *t, uint32_t i, void *val)
{
    if (i >= t->t.size)
        return MOAT_TRAP_TABLE_OOB;
    return store_n(t, i, val, 1);
}

moat_trap
moatR_table_fill_range(Table *t, uint32_t i, void *val, uint32_t n)
{
    if ((uint64_t)i + n > t->t.size)
        return MOAT_TRAP_TABLE_OOB;
    return store_n(t, i, val, n);
}

moat_trap
moatR_table_copy_range(Table *dt, Table *st, uint32_t d, uint32_t s,
                       uint32_t n)
{
    if ((uint64_t)d + n > dt->t.size || (uint64_t)s + n > st->t.size)
        return MOAT_TRAP_TABLE_OOB;
    if (!is_funcref(dt)) {
        if (n)
            memmove(dt->t.elems + d, st->t.elems + s,
                    (size_t)n * sizeof(void *));
        return MOAT_TRAP_NONE;
    }
    /* element by element, in memmove's order (an element is read before
     * it is overwritten); each is held before the one it replaces goes */
    bool back = dt == st && d > s;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t  j = back ? n - 1 - k : k;
        moat_trap r = store_n(dt, d + j, st->t.elems[s + j], 1);
        if (r != MOAT_TRAP_NONE)
            return r;
    }
    return MOAT_TRAP_NONE;
}
