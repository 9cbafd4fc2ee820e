/* linker.c - what imports resolve to (spec 4.5.4 "instantiation", steps
 * 1-3; 4.5.2 external types and import matching): host functions,
 * globals, memories and tables, and the exports of instances registered
 * under a module name. Each definition keeps its owner alive; so does each
 * instance that imports it.
 */
#include <stdio.h>
#include <string.h>

#include "runtime.h"

/* A host definition: the linker and its importers share it. */
typedef struct HostObj {
    Owner       o;
    uint8_t     kind;
    HostFunc    func;           /* its reference and proxy (funcref.c) */
    Table      *table;
    Memory     *mem;
    void      (*fini)(void *);  /* frees what fini_arg holds, if set */
    void       *fini_arg;
    uint8_t     cell_type;      /* globals: the value's type */
    _Alignas(16) uint8_t cell[16];
} HostObj;

static void
host_destroy(Owner *o)
{
    HostObj *h = (HostObj *)o;

    moatR_refs_orphan_host(&h->func);
    if (h->kind == MOAT_DESC_EXT_GLOBAL && h->cell_type == MOAT_FUNCREF) {
        void *v;
        memcpy(&v, h->cell, sizeof v);
        moatR_ref_drop(v, NULL, 1);
    }
    if (h->fini)
        h->fini(h->fini_arg);
    moatR_table_free(h->table);
    moatR_memory_free(h->mem);
    moatU_free(h);
}

static HostObj *
host_new(uint8_t kind)
{
    HostObj *h = moatU_calloc(1, sizeof *h);

    if (h) {
        atomic_init(&h->o.refs, 1);
        h->o.destroy = host_destroy;
        h->kind = kind;
    }
    return h;
}

static moat_status
nomem(moat_error *err)
{
    moat_error e = { 0 };

    moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    return moatR_report(err, &e);
}

moat_status
moat_linker_new(moat_engine *e, moat_linker **out, moat_error *err)
{
    *out = moatU_calloc(1, sizeof **out);
    if (!*out)
        return nomem(err);
    (*out)->engine = e;
    return MOAT_OK;
}

void
moat_linker_free(moat_linker *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->ndefs; i++) {
        moatR_release(l->defs[i].ext.owner);
        moatU_free(l->defs[i].module);
        moatU_free(l->defs[i].name);
    }
    for (size_t i = 0; i < l->nkeep; i++)
        moatR_release(l->keep[i]);
    moatU_free(l->defs);
    moatU_free(l->keep);
    moatU_free(l);
}

bool
moatR_linker_keep(moat_linker *l, Owner *o)
{
    if (l->nkeep == l->capkeep) {
        size_t  cap = l->capkeep ? l->capkeep * 2 : 8;
        Owner **v = moatU_realloc(l->keep, cap * sizeof *v);
        if (!v)
            return false;
        l->keep = v;
        l->capkeep = cap;
    }
    moatR_retain(o);
    l->keep[l->nkeep++] = o;
    return true;
}

/* Adds (module, name) -> ext, retaining ext.owner. */
static bool
add_def(moat_linker *l, const char *module, const char *name,
        const Extern *ext)
{
    if (l->ndefs == l->capdefs) {
        size_t   cap = l->capdefs ? l->capdefs * 2 : 16;
        LinkDef *v = moatU_realloc(l->defs, cap * sizeof *v);
        if (!v)
            return false;
        l->defs = v;
        l->capdefs = cap;
    }
    LinkDef *d = &l->defs[l->ndefs];
    d->module = moatU_strdup(module);
    d->name = moatU_strdup(name);
    if (!d->module || !d->name) {
        moatU_free(d->module);
        moatU_free(d->name);
        return false;
    }
    d->ext = *ext;
    moatR_retain(ext->owner);
    l->ndefs++;
    return true;
}

/* Adds a host definition; the linker takes over h (its reference). */
static moat_status
add_host(moat_linker *l, const char *module, const char *name, HostObj *h,
         const Extern *ext, moat_error *err)
{
    bool ok = add_def(l, module, name, ext);

    moatR_release(&h->o);       /* the definition holds it now, if made */
    return ok ? MOAT_OK : nomem(err);
}

static moat_status
define_func(moat_linker *l, const char *module, const char *name,
            const uint8_t *params, uint32_t nparams, const uint8_t *results,
            uint32_t nresults, moat_native_fn fn, void *host_ctx,
            bool caller, moat_error *err)
{
    return moatR_define_func(l, module, name, params, nparams, results,
                             nresults, fn, host_ctx, caller, NULL, NULL,
                             err);
}

moat_status
moatR_define_func(moat_linker *l, const char *module, const char *name,
                  const uint8_t *params, uint32_t nparams,
                  const uint8_t *results, uint32_t nresults,
                  moat_native_fn fn, void *host_ctx, bool caller,
                  void (*fini)(void *), void *fini_arg, moat_error *err)
{
    if (nparams > MOAT_WIDE_PARAMS) {   /* compiled code would pass them
                                         * in memory (abi.h) */
        if (fini)
            fini(fini_arg);
        moat_error e = { 0 };
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "host function %s: "
                   "at most %u parameters", name, MOAT_WIDE_PARAMS);
        return moatR_report(err, &e);
    }
    HostObj *h = host_new(MOAT_DESC_EXT_FUNC);

    if (!h) {
        if (fini)
            fini(fini_arg);
        return nomem(err);
    }
    h->fini = fini;
    h->fini_arg = fini_arg;
    MoatFuncRef *f = &h->func.ref;
    memcpy(&f->code, &fn, sizeof f->code);  /* ISO C: no cast */
    f->ctx = host_ctx;
    f->kind = MOAT_REF_HOST;
    f->type_id = moatR_type_id(l->engine, params, nparams, results,
                               nresults);
    if (f->type_id == 0) {
        moatR_release(&h->o);
        return nomem(err);
    }
    Extern ext = { .kind = MOAT_DESC_EXT_FUNC, .caller = caller, .owner = &h->o,
                   .u.func = f };
    return add_host(l, module, name, h, &ext, err);
}

moat_status
moat_linker_define_func(moat_linker *l, const char *module, const char *name,
                        const uint8_t *params, uint32_t nparams,
                        const uint8_t *results, uint32_t nresults,
                        moat_native_fn fn, void *host_ctx, moat_error *err)
{
    return define_func(l, module, name, params, nparams, results, nresults,
                       fn, host_ctx, false, err);
}

moat_status
moat_linker_define_func_caller(moat_linker *l, const char *module,
                               const char *name, const uint8_t *params,
                               uint32_t nparams, const uint8_t *results,
                               uint32_t nresults, moat_native_fn fn,
                               void *host_ctx, moat_error *err)
{
    return define_func(l, module, name, params, nparams, results, nresults,
                       fn, host_ctx, true, err);
}

moat_status
moat_linker_define_global(moat_linker *l, const char *module,
                          const char *name, moat_val value, int is_mut,
                          moat_error *err)
{
    HostObj *h = host_new(MOAT_DESC_EXT_GLOBAL);

    if (!h)
        return nomem(err);
    size_t n = value.type == MOAT_V128 ? 16
               : value.type == MOAT_I32 || value.type == MOAT_F32 ? 4
               : value.type == MOAT_FUNCREF || value.type == MOAT_EXTERNREF
                   ? sizeof(void *)
                   : 8;
    if (value.type == MOAT_FUNCREF) {     /* counted (funcref.c) */
        void *r = moatR_ref_hold(value.of.ref, NULL, 1);
        if (value.of.ref && !r) {
            moatR_release(&h->o);
            return nomem(err);
        }
        value.of.ref = r;
    }
    memcpy(h->cell, &value.of, n);
    h->cell_type = value.type;
    Extern ext = { .kind = MOAT_DESC_EXT_GLOBAL, .owner = &h->o };
    ext.u.global.cell = h->cell;
    ext.u.global.type = value.type;
    ext.u.global.is_mut = is_mut != 0;
    return add_host(l, module, name, h, &ext, err);
}

/* A host memory; max_pages UINT32_MAX: no maximum. */
static moat_status
define_memory(moat_linker *l, const char *module, const char *name,
              uint32_t min_pages, uint32_t max_pages, bool shared,
              moat_error *err)
{
    moat_error e = { 0 };
    bool       has_max = max_pages != UINT32_MAX;
    HostObj   *h;

    if (min_pages > MOAT_MAX_PAGES || (has_max && (max_pages < min_pages ||
                                                   max_pages > MOAT_MAX_PAGES))) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "bad memory limits");
        return moatR_report(err, &e);
    }
    if (!(h = host_new(MOAT_DESC_EXT_MEMORY)))
        return nomem(err);
    h->mem = moatR_memory_new(0, min_pages, max_pages, has_max,
                              MOAT_HEAP_RESERVE, MOAT_HEAP_GUARD, &e);
    if (!h->mem) {
        moatR_release(&h->o);
        return moatR_report(err, &e);
    }
    h->mem->shared = shared;
    Extern ext = { .kind = MOAT_DESC_EXT_MEMORY, .owner = &h->o,
                   .u.mem = h->mem };
    return add_host(l, module, name, h, &ext, err);
}

/* max_pages UINT32_MAX: no maximum. */
moat_status
moat_linker_define_memory(moat_linker *l, const char *module,
                          const char *name, uint32_t min_pages,
                          uint32_t max_pages, moat_error *err)
{
    return define_memory(l, module, name, min_pages, max_pages, false, err);
}

moat_status
moat_linker_define_shared_memory(moat_linker *l, const char *module,
                                 const char *name, uint32_t min_pages,
                                 uint32_t max_pages, moat_error *err)
{
    if (max_pages == UINT32_MAX) {
        moat_error e = { 0 };
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "shared memory must have maximum");
        return moatR_report(err, &e);
    }
    return define_memory(l, module, name, min_pages, max_pages, true, err);
}

/* max UINT32_MAX: no maximum. */
moat_status
moat_linker_define_table(moat_linker *l, const char *module,
                         const char *name, uint8_t elem_type, uint32_t min,
                         uint32_t max, moat_error *err)
{
    moat_error e = { 0 };
    bool       has_max = max != UINT32_MAX;
    HostObj   *h;

    if ((elem_type != MOAT_FUNCREF && elem_type != MOAT_EXTERNREF) ||
        (has_max && max < min)) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT, "bad table type");
        return moatR_report(err, &e);
    }
    if (!(h = host_new(MOAT_DESC_EXT_TABLE)))
        return nomem(err);
    h->table = moatR_table_new(elem_type, min, max, has_max, &e);
    if (!h->table) {
        moatR_release(&h->o);
        return moatR_report(err, &e);
    }
    Extern ext = { .kind = MOAT_DESC_EXT_TABLE, .owner = &h->o,
                   .u.table = h->table };
    return add_host(l, module, name, h, &ext, err);
}

moat_status
moat_linker_define_instance(moat_linker *l, const char *module,
                            moat_instance *inst, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    for (uint64_t i = 0; i < d->nexports; i++) {
        Extern ext;
        moatR_inst_extern(inst, &d->exports[i], &ext);
        if (!add_def(l, module, inst->module->exports[i].name, &ext))
            return nomem(err);
    }
    return MOAT_OK;
}

/* ---- import matching (spec 4.5.2, "import matching") ---- */

static const char *const kind_name[MOAT_DESC_EXT_NKINDS] = {
    [MOAT_DESC_EXT_FUNC] = "func", [MOAT_DESC_EXT_TABLE] = "table",
    [MOAT_DESC_EXT_MEMORY] = "memory", [MOAT_DESC_EXT_GLOBAL] = "global"
};

static const LinkDef *
lookup(const moat_linker *l, const char *module, const char *name)
{
    /* names first: they tell definitions apart sooner than modules */
    for (size_t i = l->ndefs; i-- > 0;)
        if (strcmp(l->defs[i].name, name) == 0 &&
            strcmp(l->defs[i].module, module) == 0)
            return &l->defs[i];
    return NULL;
}

/* Limits {min, max?} match declared {dmin, dmax?} (spec "limits"). */
static bool
limits_match(uint64_t min, bool has_max, uint64_t max,
             const MoatDescLimits *want)
{
    return min >= want->min &&
           (!want->has_max || (has_max && max <= want->max));
}

static void
limits_text(char *buf, size_t n, uint64_t min, bool has_max, uint64_t max)
{
    if (has_max)
        snprintf(buf, n, "%llu %llu", (unsigned long long)min,
                 (unsigned long long)max);
    else
        snprintf(buf, n, "%llu", (unsigned long long)min);
}

/* Whether ext matches the import; on a mismatch also writes what the
 * import wants and what ext is (only then: linking is on the path of
 * every instantiation). */
static bool
match(const moat_module *m, const MoatDescImport *im, const Extern *ext,
      char *want, char *got, size_t n)
{
    const MoatDescriptor *d = m->desc;

    switch (im->kind) {
    case MOAT_DESC_EXT_FUNC: {
        uint32_t tidx = (uint32_t)d->funcs[im->idx].type_idx;
        if (ext->u.func->type_id == m->type_ids[tidx])
            return true;
        const MoatDescType *t = &d->types[tidx];
        const uint8_t *res = t->types ? t->types + t->nparams : NULL;
        moatR_sig_text(want, n, t->types, (uint32_t)t->nparams, res,
                       (uint32_t)t->nresults);
        moatR_type_text(m->engine, ext->u.func->type_id, got, n);
        return false;
    }
    case MOAT_DESC_EXT_TABLE: {
        const MoatDescLimits *w = &d->tables[im->idx];
        const Table          *t = ext->u.table;
        if (t->t.elem_type == w->elem_type &&
            limits_match(t->t.size, t->has_max, t->t.max, w))
            return true;
        limits_text(want, n, w->min, w->has_max, w->max);
        limits_text(got, n, t->t.size, t->has_max, t->t.max);
        return false;
    }
    case MOAT_DESC_EXT_MEMORY: {
        const MoatDescLimits *w = &d->mems[im->idx];
        const Memory         *mem = ext->u.mem;
        bool                  want_shared =
            (w->flags & MOAT_DESC_LIM_SHARED) != 0;
        if (limits_match(moatR_memory_pages(&mem->m), mem->has_max,
                         mem->decl_max, w) && mem->shared == want_shared)
            return true;
        limits_text(want, n, w->min, w->has_max, w->max);
        limits_text(got, n, moatR_memory_pages(&mem->m), mem->has_max,
                    mem->decl_max);
        if (want_shared)                /* threads: shared must match */
            strncat(want, " shared", n - strlen(want) - 1);
        if (mem->shared)
            strncat(got, " shared", n - strlen(got) - 1);
        return false;
    }
    default: {                  /* MOAT_DESC_EXT_GLOBAL */
        const MoatDescGlobal *g = &d->globals[im->idx];
        if (ext->u.global.type == g->type &&
            ext->u.global.is_mut == (g->is_mut != 0))
            return true;
        snprintf(want, n, "%s %s", g->is_mut ? "mut" : "const",
                 moatR_valtype_text((uint8_t)g->type));
        snprintf(got, n, "%s %s", ext->u.global.is_mut ? "mut" : "const",
                 moatR_valtype_text(ext->u.global.type));
        return false;
    }
    }
}

/* The memory must leave the importer's code its reservation and guard:
 * everything it may touch without a check either is memory or faults. */
static bool
memory_room(const moat_module *m, const Memory *mem)
{
    return mem->m.reserve + mem->guard >=
           m->desc->heap_reserve + m->desc->heap_guard;
}

static bool
link_one(moat_linker *l, const moat_module *m, size_t i, Extern *ext,
         moat_error *err)
{
    const MoatDescImport   *im = &m->desc->imports[i];
    const moat_extern_info *info = &m->imports[i];
    const LinkDef          *def = lookup(l, info->module, info->name);
    char                    want[160], got[160];

    if (!def)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "unknown import: %s.%s", info->module, info->name);
    if (def->ext.kind != im->kind)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "incompatible import type: %s.%s: expected %s, "
                          "got %s", info->module, info->name,
                          kind_name[im->kind], kind_name[def->ext.kind]);
    if (!match(m, im, &def->ext, want, got, sizeof want))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "incompatible import type: %s.%s: expected %s %s, "
                          "got %s", info->module, info->name,
                          kind_name[im->kind], want, got);
    if (im->kind == MOAT_DESC_EXT_MEMORY && !memory_room(m, def->ext.u.mem))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                          "contract violation: %s.%s: memory reservation "
                          "smaller than the code needs", info->module,
                          info->name);
    *ext = def->ext;
    moatR_retain(ext->owner);
    return true;
}

bool
moatR_link_imports(moat_linker *l, const moat_module *m, Extern *exts,
                   moat_error *err)
{
    for (size_t i = 0; i < m->desc->nimports; i++)
        if (!link_one(l, m, i, &exts[i], err))
            return false;
    return true;
}
