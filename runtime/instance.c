/* instance.c - instantiation (spec 4.5.4): links the imports, places the
 * instance (in a pool slot of the engine, pool.c, when the module fits
 * one: its parts carved from the slot, no system call; else each part
 * allocated and mapped on its own), fills the context area as abi.h lays
 * it out, creates tables, then hands over to init.c for globals, segments
 * and the start function. Also moat_instance_reset, and the accessors the
 * helpers and call.c use.
 */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

static void
instance_destroy(Owner *o)
{
    moat_instance        *inst = (moat_instance *)o;
    moat_module          *m = inst->module;
    const MoatDescriptor *d = m->desc;
    Slot                 *s = inst->slot;
    Fiber                *f = inst->fiber;

    if (inst->ctx)
        moatR_drop_globals(inst);
    for (uint64_t i = 0; inst->own_tables && i < d->ntables; i++)
        moatR_table_free(inst->own_tables[i]);
    moatR_refs_orphan(inst);            /* stored elsewhere: now stale */
    for (uint64_t i = 0; inst->imports && i < d->nimports; i++)
        moatR_release(inst->imports[i].owner);
    if (f && atomic_load(&f->state) == MOAT_FIBER_SUSPENDED)
        moatR_fiber_abandon(f);         /* its frames never run again */
    if (s) {
        moatR_pool_release(s);          /* inst itself is gone after this */
    } else {
        moatR_memory_free(inst->own_mem);
        if (inst->area)
            munmap(inst->area, inst->area_len);
        if (f) {
            moatR_fiber_unregister(f);
            moatR_fiber_fini(f);
            moatU_free(f);
        }
        moatU_free(inst->imports);
        moatU_free(inst->callers);
        moatU_free(inst->own_tables);
        moatU_free(inst->funcs);
        moatU_free(inst->dropped);
        moatU_free(inst);
    }
    moatR_release(&m->o);
}

/* Where the parts come from: a slot's meta area (zero already: the last
 * tenant's release zeroed it) or the allocator. */
typedef struct Parts {
    uint8_t *p, *end;           /* carving; NULL: allocate */
} Parts;

static void *
part(Parts *pt, uint64_t n, size_t size)
{
    if (!pt->p)
        return moatU_calloc((size_t)n, size);
    uint64_t len = (n * size + 15) & ~(uint64_t)15;
    if (len > (uint64_t)(pt->end - pt->p))
        return NULL;            /* moatR_pool_meta_need says it fits */
    void *r = pt->p;
    pt->p += len;
    return r;
}

static moat_instance *
instance_alloc(moat_module *m, Slot *s)
{
    const MoatDescriptor *d = m->desc;
    uint64_t              max = m->engine->max_memory;
    Parts                 pt = { NULL, NULL };

    if (s) {
        pt.p = s->meta;
        pt.end = s->base - ((m->layout.size + 4095) & ~(uint64_t)4095);
    }
    moat_instance *inst = part(&pt, 1, sizeof *inst);
    if (!inst) {
        if (s)
            moatR_pool_release(s);
        return NULL;
    }
    atomic_init(&inst->o.refs, 1);
    inst->o.destroy = instance_destroy;
    inst->module = m;
    inst->slot = s;
    inst->wasi = NULL;
    inst->budget.limit = max ? max : UINT64_MAX;
    moatR_retain(&m->o);
    inst->imports = part(&pt, d->nimports + 1, sizeof(Extern));
    inst->own_tables = part(&pt, d->ntables + 1, sizeof(Table *));
    inst->funcs = part(&pt, d->nfuncs + 1, sizeof(MoatFuncRef));
    inst->dropped = part(&pt, (d->nelems + d->ndatas) / 8 + 1, 1);
    inst->callers = part(&pt, d->nfunc_imports + 1, sizeof(moat_caller));
    if (s) {
        inst->own_mem = part(&pt, 1, sizeof(Memory));
        inst->fiber = &s->fiber;
        s->meta_used = (size_t)(pt.p - s->meta);
    } else if ((inst->fiber = moatU_calloc(1, sizeof(Fiber))) != NULL) {
        moatR_fiber_init(inst->fiber, 0, 0);
        moatR_fiber_register(inst->fiber);
    }
    if (!inst->imports || !inst->own_tables || !inst->funcs ||
        !inst->dropped || !inst->callers || !inst->fiber ||
        (s && !inst->own_mem)) {
        moatR_release(&inst->o);
        return NULL;
    }
    return inst;
}

static void
put_ptr(uint8_t *ctx, int64_t off, const void *p)
{
    memcpy(ctx + off, &p, sizeof p);
}

/* The engine's limit on memory, in pages (UINT64_MAX: none). */
static uint64_t
page_limit(const moat_engine *e)
{
    return e->max_memory ? e->max_memory / MOAT_PAGE_SIZE : UINT64_MAX;
}

/* Memory 0 defined here: in the slot, or mapped with the context area as
 * its prefix. */
static bool
make_memory(moat_instance *inst, size_t area, moat_error *err)
{
    const MoatDescLimits *l = &inst->module->desc->mems[0];
    uint64_t              limit = page_limit(inst->module->engine);

    if (inst->slot) {
        if (!moatR_memory_in_slot(inst->own_mem, inst->slot,
                                  (uint32_t)l->min, (uint32_t)l->max,
                                  l->has_max != 0, err))
            return false;
    } else {
        inst->own_mem = moatR_memory_new(area, (uint32_t)l->min,
                                         (uint32_t)l->max, l->has_max != 0,
                                         inst->module->desc->heap_reserve,
                                         inst->module->desc->heap_guard,
                                         err);
        if (!inst->own_mem)
            return false;
    }
    /* memory.grow stops at the engine's limit: a failed grow (-1), which
     * the guest sees, not a trap */
    if (inst->own_mem->m.max_pages > limit)
        inst->own_mem->m.max_pages = limit;
    inst->own_mem->shared = (l->flags & MOAT_DESC_LIM_SHARED) != 0;
    inst->own_mem->budget = &inst->budget;  /* charged by limits.c */
    inst->own_mem->huge_at = inst->module->engine->huge_at;
    moatR_memory_advise_huge(inst->own_mem);
    inst->mem = &inst->own_mem->m;
    return true;
}

/* The context area: below the heap base (in a slot, always; else when the
 * module defines memory 0, MOAT_DESC_F_MEM_IS_CTX), or a mapping of its
 * own with ctx at its end. Either way page-aligned, zeroed, read-write. */
static bool
make_context(moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    size_t                size = (size_t)inst->module->layout.size;
    bool                  has_mem = (d->flags & MOAT_DESC_F_MEM_IS_CTX) != 0;

    if (inst->slot) {
        inst->slot->ctx_used = size;
        inst->ctx = inst->slot->base;
        if (!has_mem)
            inst->own_mem = NULL;           /* the carved one stays unused */
        return !has_mem || make_memory(inst, size, err);
    }
    if (has_mem) {
        if (!make_memory(inst, size, err))
            return false;
        inst->ctx = inst->own_mem->m.base;
        return true;
    }
    size_t len = (size + 4095) & ~(size_t)4095;
    void  *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory: context area");
    inst->area = p;
    inst->area_len = len;
    inst->ctx = inst->area + len;
    return true;
}

/* Imports into the context area: functions (MoatImportFunc and funcref),
 * tables, memory 0, globals (a pointer to the exporter's storage). */
static void
fill_imports(moat_instance *inst)
{
    const MoatDescriptor *d = inst->module->desc;
    const MoatLayout     *lay = &inst->module->layout;

    for (uint64_t i = 0; i < d->nimports; i++) {
        const Extern *x = &inst->imports[i];
        uint32_t      idx = (uint32_t)d->imports[i].idx;
        if (x->kind == MOAT_DESC_EXT_FUNC) {
            const MoatFuncRef *r = x->u.func;
            if (x->caller) {
                moatR_bind_caller(inst, idx, x->u.func);
                r = &inst->funcs[idx];
            }
            MoatImportFunc f = { r->code, r->ctx };
            memcpy(inst->ctx + moatA_import_at(lay, idx), &f, sizeof f);
            put_ptr(inst->ctx, moatA_funcref_at(lay, idx), r);
        } else if (x->kind == MOAT_DESC_EXT_TABLE) {
            put_ptr(inst->ctx, moatA_table_at(lay, idx), &x->u.table->t);
        } else if (x->kind == MOAT_DESC_EXT_MEMORY) {
            inst->mem = &x->u.mem->m;
        } else {                /* MOAT_DESC_EXT_GLOBAL */
            put_ptr(inst->ctx, moatA_global_at(lay, idx), x->u.global.cell);
        }
    }
}

/* Header, type ids and defined functions. */
static void
fill_context(moat_instance *inst)
{
    const moat_module    *m = inst->module;
    const MoatDescriptor *d = m->desc;
    uint8_t              *ctx = inst->ctx;
    uint64_t              never = UINT64_MAX;
    int64_t               limit_at = moatR_stack_limit_offset();

    fill_imports(inst);
    put_ptr(ctx, MOAT_CTX_MEMORY, inst->mem);
    put_ptr(ctx, MOAT_CTX_INSTANCE, inst);
    put_ptr(ctx, MOAT_CTX_EPOCH_PTR, &m->engine->epoch);
    memcpy(ctx + MOAT_CTX_DEADLINE, &never, sizeof never);
    uint64_t funcs_size = d->nfuncs * sizeof(MoatFuncRef);
    put_ptr(ctx, MOAT_CTX_FUNCS, inst->funcs);
    memcpy(ctx + MOAT_CTX_FUNCS_SIZE, &funcs_size, sizeof funcs_size);
    memcpy(ctx + MOAT_CTX_STACK_LIMIT, &limit_at, sizeof limit_at);
    if (d->ntypes)
        memcpy(ctx + moatA_type_id_at(&m->layout, 0), m->type_ids,
               d->ntypes * sizeof m->type_ids[0]);
    for (uint64_t i = d->nfunc_imports; i < d->nfuncs; i++) {
        MoatFuncRef *f = &inst->funcs[i];
        f->code = d->funcs[i].code;
        f->ctx = ctx;
        f->type_id = m->type_ids[d->funcs[i].type_idx];
        f->kind = MOAT_REF_OWN;
        put_ptr(ctx, moatA_funcref_at(&m->layout, (uint32_t)i), f);
    }
}

/* Own tables (their minimum charged by limits.c): the engine's limit on
 * elements applies to their minimum and, for tables without a declared
 * maximum, to table.grow. */
static bool
make_tables(moat_instance *inst, moat_error *err)
{
    const moat_module    *m = inst->module;
    const MoatDescriptor *d = m->desc;
    uint32_t limit = m->engine->table_limit ? m->engine->table_limit
                                            : MOAT_TABLE_LIMIT;

    for (uint64_t i = m->nimp[MOAT_DESC_EXT_TABLE]; i < d->ntables; i++) {
        const MoatDescLimits *l = &d->tables[i];
        if (l->min > limit)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                              "table of %llu elements exceeds the limit of "
                              "%u", (unsigned long long)l->min, limit);
        inst->own_tables[i] = moatR_table_new((uint8_t)l->elem_type,
                                              (uint32_t)l->min,
                                              (uint32_t)l->max,
                                              l->has_max != 0, err);
        if (!inst->own_tables[i])
            return false;
        inst->own_tables[i]->owner = inst;
        inst->own_tables[i]->budget = &inst->budget;
        if (!l->has_max)
            inst->own_tables[i]->t.max = limit;
        put_ptr(inst->ctx, moatA_table_at(&m->layout, (uint32_t)i),
                &inst->own_tables[i]->t);
    }
    return true;
}

/* Globals, element and data segments, start: the part of instantiation
 * that reset repeats. */
static bool
initialize(moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    if (!moatR_init_globals(inst, err) || !moatR_init_segments(inst, err))
        return false;
    if (d->start == MOAT_DESC_NO_START)
        return true;
    uint64_t vals[2] = { 0, 0 };
    inst->fiber->no_yield = true;
    int r = moatR_call_func(inst, (uint32_t)d->start, vals, err);
    inst->fiber->no_yield = false;
    return r == MOAT_RUN_DONE;
}

/* Spec 4.5.4, after linking: allocation, then globals, element and data
 * segments, start. A trap from the segments or the start function may
 * have left writes in imported tables and memories that refer to this
 * instance, so the linker keeps it alive. */
static bool
instantiate(moat_linker *l, moat_instance *inst, moat_error *err)
{
    if (!moatR_link_imports(l, inst->module, inst->imports, err) ||
        !moatR_budget_instance(inst, err) || !make_context(inst, err))
        return false;
    fill_context(inst);
    if (!make_tables(inst, err))
        return false;
    bool ok = initialize(inst, err);
    if (!ok && err->code == MOAT_ERR_TRAP)
        moatR_linker_keep(l, &inst->o);
    return ok;
}

moat_status
moat_instance_new(moat_linker *l, moat_module *m, moat_instance **out,
                  moat_error *err)
{
    moat_error     e = { 0 };
    moat_instance *inst = NULL;
    Slot          *s = NULL;

    *out = NULL;
    if (m->engine != l->engine)
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                   "module and linker belong to different engines");
    else if (moatR_pool_fits(m->engine, m) &&
             !(s = moatR_pool_acquire(m->engine, &e)))
        ;                       /* e says why: the limit, address space */
    else if (!(inst = instance_alloc(m, s)))
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    else if (instantiate(l, inst, &e))
        *out = inst;
    if (inst && !*out)
        moatR_release(&inst->o);
    return moatR_report(err, &e);
}

/* Frees the caller's reference; linkers and importing instances may keep
 * the instance (and its memory, tables and code) alive longer. */
void
moat_instance_free(moat_instance *inst)
{
    if (inst)
        moatR_release(&inst->o);
}

/* ---- reset: the state right after moat_instance_new, in place ---- */

static void
reset_tables(moat_instance *inst)
{
    const moat_module *m = inst->module;

    for (uint64_t i = m->nimp[MOAT_DESC_EXT_TABLE]; i < m->desc->ntables; i++)
        moatR_table_reset(inst->own_tables[i],
                          (uint32_t)m->desc->tables[i].min);
}

moat_status
moat_instance_reset(moat_instance *inst, moat_error *err)
{
    moat_error            e = { 0 };
    const MoatDescriptor *d = inst->module->desc;
    Fiber                *f = inst->fiber;
    int                   state = atomic_load(&f->state);

    if (state == MOAT_FIBER_RUNNING) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "cannot reset an instance while it runs");
        return moatR_report(err, &e);
    }
    if (state == MOAT_FIBER_SUSPENDED)
        moatR_fiber_abandon(f);
    moatR_fiber_scrub(f);
    if (inst->own_mem &&
        !moatR_memory_reset(inst->own_mem, (uint32_t)d->mems[0].min, &e))
        return moatR_report(err, &e);
    moatR_drop_globals(inst);
    reset_tables(inst);
    memset(inst->dropped, 0, (size_t)((d->nelems + d->ndatas) / 8 + 1));
    initialize(inst, &e);
    return moatR_report(err, &e);
}
