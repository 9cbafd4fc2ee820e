/* limits.c - the engine's memory limit (moat_engine_set_max_memory) as
 * one budget per instance: its linear memory, its tables' elements and
 * the instance data its module's counts decide (context area, arrays per
 * function, import and segment) all draw on it, so that a guest cannot
 * reach more memory by asking for it in another shape (docs/runtime.md,
 * "Limits"). Instantiation charges what it allocates before the guest
 * runs; memory.grow and table.grow charge as they go, from any thread (an
 * exported table or memory may be grown by its importers). Without a
 * limit nothing is counted.
 */
#include <stdio.h>

#include "runtime.h"

bool
moatR_budget_charge(Budget *b, uint64_t n)
{
    if (!b || b->limit == UINT64_MAX)
        return true;
    uint64_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    do {
        if (n > b->limit || used > b->limit - n)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&b->used, &used,
                                                    used + n,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

void
moatR_budget_refund(Budget *b, uint64_t n)
{
    if (b && b->limit != UINT64_MAX)
        atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
}

static unsigned long long
kib(uint64_t n)
{
    return (unsigned long long)((n + 1023) >> 10);
}

/* what: "memory of 3 pages", "table 2 of 70000 elements", ...; before:
 * what was charged already ("its instance data takes"), or NULL. */
static bool
over(const Budget *b, moat_error *err, const char *what, uint64_t n,
     const char *before)
{
    if (!before)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "%s (%llu KiB) exceeds the memory limit of %llu "
                          "KiB", what, kib(n), kib(b->limit));
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                      "%s (%llu KiB) exceeds the memory limit of %llu KiB "
                      "(%s %llu KiB of it)", what, kib(n),
                      kib(b->limit), before, kib(atomic_load(&b->used)));
}

static bool
charge_data(moat_instance *inst, moat_error *err)
{
    const moat_module    *m = inst->module;
    const MoatDescriptor *d = m->desc;
    /* the slot's part (instance, its arrays, the context area) and the
     * table of proxies made when its functions are stored elsewhere */
    uint64_t              n = moatR_pool_meta_need(m) +
                              d->nfuncs * sizeof(Proxy *);
    char                  what[160];

    if (moatR_budget_charge(&inst->budget, n))
        return true;
    snprintf(what, sizeof what, "instance data for %llu functions, %llu "
             "globals, %llu tables, %llu imports and %llu segments",
             (unsigned long long)d->nfuncs, (unsigned long long)d->nglobals,
             (unsigned long long)d->ntables, (unsigned long long)d->nimports,
             (unsigned long long)(d->nelems + d->ndatas));
    return over(&inst->budget, err, what, n, NULL);
}

/* Before anything is allocated: instance data, then memory 0's minimum
 * when the instance defines it, then each own table's minimum. */
bool
moatR_budget_instance(moat_instance *inst, moat_error *err)
{
    const moat_module    *m = inst->module;
    const MoatDescriptor *d = m->desc;
    char                  what[96];

    if (inst->budget.limit == UINT64_MAX)
        return true;
    if (!charge_data(inst, err))
        return false;
    if (d->nmems && m->nimp[MOAT_DESC_EXT_MEMORY] == 0) {
        uint64_t n = d->mems[0].min * MOAT_PAGE_SIZE;
        snprintf(what, sizeof what, "memory of %llu pages",
                 (unsigned long long)d->mems[0].min);
        if (!moatR_budget_charge(&inst->budget, n))
            return over(&inst->budget, err, what, n, "its instance data takes");
    }
    for (uint64_t i = m->nimp[MOAT_DESC_EXT_TABLE]; i < d->ntables; i++) {
        uint64_t min = d->tables[i].min;
        uint64_t n = moatR_table_bytes((uint8_t)d->tables[i].elem_type,
                                      min ? min : 1);
        snprintf(what, sizeof what, "table %llu of %llu elements",
                 (unsigned long long)i, (unsigned long long)min);
        if (!moatR_budget_charge(&inst->budget, n))
            return over(&inst->budget, err, what, n,
                        "its instance data, memory and earlier tables "
                        "take");
    }
    return true;
}
