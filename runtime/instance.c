/* instance.c - instantiation (spec 4.5.4): links the imports, makes the
 * context area (below the heap base of the instance's own memory, or a
 * mapping of its own) and fills it as abi.h lays it out, creates tables,
 * then hands over to init.c for globals, segments and the start function.
 * Also the accessors the helpers and call.c use.
 */
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

static void
instance_destroy(Owner *o)
{
    moat_instance        *inst = (moat_instance *)o;
    const MoatDescriptor *d = inst->module->desc;

    for (uint64_t i = 0; inst->imports && i < d->nimports; i++)
        moatR_release(inst->imports[i].owner);
    for (uint64_t i = 0; inst->own_tables && i < d->ntables; i++)
        moatR_table_free(inst->own_tables[i]);
    moatR_memory_free(inst->own_mem);
    if (inst->area)
        munmap(inst->area, inst->area_len);
    moatU_free(inst->imports);
    moatU_free(inst->callers);
    moatU_free(inst->import_funcs);
    moatU_free(inst->own_tables);
    moatU_free(inst->own_funcs);
    moatU_free(inst->dropped);
    moatR_release(&inst->module->o);
    moatU_free(inst);
}

static moat_instance *
instance_alloc(moat_module *m)
{
    const MoatDescriptor *d = m->desc;
    moat_instance        *inst = moatU_calloc(1, sizeof *inst);
    uint64_t              nown = d->nfuncs - d->nfunc_imports;

    if (!inst)
        return NULL;
    atomic_init(&inst->o.refs, 1);
    inst->o.destroy = instance_destroy;
    inst->module = m;
    moatR_retain(&m->o);
    inst->imports = moatU_calloc(d->nimports + 1, sizeof(Extern));
    inst->own_tables = moatU_calloc(d->ntables + 1, sizeof(Table *));
    inst->own_funcs = moatU_calloc(nown + 1, sizeof(MoatFuncRef));
    inst->dropped = moatU_calloc((d->nelems + d->ndatas) / 8 + 1, 1);
    inst->callers = moatU_calloc(d->nfunc_imports + 1, sizeof(moat_caller));
    inst->import_funcs = moatU_calloc(d->nfunc_imports + 1,
                                      sizeof(MoatFuncRef));
    if (!inst->imports || !inst->own_tables || !inst->own_funcs ||
        !inst->dropped || !inst->callers || !inst->import_funcs) {
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

/* The context area: below the heap base when the module defines memory 0
 * (MOAT_DESC_F_MEM_IS_CTX), else a mapping of its own with ctx at its end.
 * Either way page-aligned, zeroed, read-write. */
static bool
make_context(moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    size_t                size = (size_t)inst->module->layout.size;

    if (d->flags & MOAT_DESC_F_MEM_IS_CTX) {
        const MoatDescLimits *l = &d->mems[0];
        uint64_t limit = inst->module->engine->max_memory / MOAT_PAGE_SIZE;
        if (inst->module->engine->max_memory && l->min > limit)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                              "memory of %llu pages (%llu KiB) exceeds the "
                              "limit of %llu KiB",
                              (unsigned long long)l->min,
                              (unsigned long long)l->min * 64,
                              (unsigned long long)(inst->module->engine
                                                       ->max_memory >> 10));
        inst->own_mem = moatR_memory_new(size, (uint32_t)l->min,
                                         (uint32_t)l->max, l->has_max != 0,
                                         d->heap_reserve, d->heap_guard, err);
        if (!inst->own_mem)
            return false;
        /* memory.grow stops at the engine's limit: a failed grow (-1),
         * which the guest sees, not a trap */
        if (inst->module->engine->max_memory &&
            inst->own_mem->m.max_pages > limit)
            inst->own_mem->m.max_pages = limit;
        inst->mem = &inst->own_mem->m;
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
        int64_t       idx = (int64_t)d->imports[i].idx;
        if (x->kind == 0) {
            const MoatFuncRef *r = x->u.func;
            if (x->caller) {
                moatR_bind_caller(inst, (uint32_t)idx, x->u.func);
                r = &inst->import_funcs[idx];
            }
            MoatImportFunc f = { r->code, r->ctx };
            memcpy(inst->ctx + lay->imports + idx * 16, &f, sizeof f);
            put_ptr(inst->ctx, lay->funcrefs + idx * 8, r);
        } else if (x->kind == 1) {
            put_ptr(inst->ctx, lay->tables + idx * 8, &x->u.table->t);
        } else if (x->kind == 2) {
            inst->mem = &x->u.mem->m;
        } else {
            put_ptr(inst->ctx, lay->globals + idx * 16, x->u.global.cell);
        }
    }
}

/* Header, type ids, defined functions and tables. */
static bool
fill_context(moat_instance *inst, moat_error *err)
{
    const moat_module    *m = inst->module;
    const MoatDescriptor *d = m->desc;
    uint8_t              *ctx = inst->ctx;
    uint64_t              never = UINT64_MAX;

    fill_imports(inst);
    put_ptr(ctx, MOAT_CTX_MEMORY, inst->mem);
    put_ptr(ctx, MOAT_CTX_INSTANCE, inst);
    put_ptr(ctx, MOAT_CTX_EPOCH_PTR, &m->engine->epoch);
    memcpy(ctx + MOAT_CTX_DEADLINE, &never, sizeof never);
    if (d->ntypes)
        memcpy(ctx + m->layout.type_ids, m->type_ids, d->ntypes * 4);
    for (uint64_t i = d->nfunc_imports; i < d->nfuncs; i++) {
        MoatFuncRef *f = &inst->own_funcs[i - d->nfunc_imports];
        f->code = d->funcs[i].code;
        f->ctx = ctx;
        f->type_id = m->type_ids[d->funcs[i].type_idx];
        put_ptr(ctx, m->layout.funcrefs + (int64_t)i * 8, f);
    }
    for (uint64_t i = m->nimp[1]; i < d->ntables; i++) {
        const MoatDescLimits *l = &d->tables[i];
        inst->own_tables[i] = moatR_table_new((uint8_t)l->elem_type,
                                              (uint32_t)l->min,
                                              (uint32_t)l->max,
                                              l->has_max != 0, err);
        if (!inst->own_tables[i])
            return false;
        put_ptr(ctx, m->layout.tables + (int64_t)i * 8,
                &inst->own_tables[i]->t);
    }
    return true;
}

/* Spec 4.5.4, after linking: allocation, then globals, element and data
 * segments, start. A trap from the segments or the start function may
 * have left writes in imported tables and memories that refer to this
 * instance, so the linker keeps it alive. */
static bool
instantiate(moat_linker *l, moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    if (!moatR_link_imports(l, inst->module, inst->imports, err) ||
        !make_context(inst, err) || !fill_context(inst, err))
        return false;
    moatR_init_globals(inst);
    bool ok = moatR_init_segments(inst, err);
    if (ok && d->start != UINT64_MAX) {
        uint64_t vals[2] = { 0, 0 };
        ok = moatR_call_func(inst, (uint32_t)d->start, vals, err);
    }
    if (!ok && err->code == MOAT_ERR_TRAP)
        moatR_linker_keep(l, &inst->o);
    return ok;
}

moat_status
moat_instance_new(moat_linker *l, moat_module *m, moat_instance **out,
                  moat_error *err)
{
    moat_error     e = { 0 };
    moat_instance *inst = instance_alloc(m);

    *out = NULL;
    if (!inst)
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    else if (m->engine != l->engine)
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                   "module and linker belong to different engines");
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
