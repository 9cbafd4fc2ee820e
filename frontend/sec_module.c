/* sec_module.c - the sections that declare the module's entities: type,
 * import, function, table, memory, global, export, start (binary 5.5.4-11,
 * validation 3.4). Index spaces hold imports first, then definitions.
 */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

bool
moatD_sec_type(Decode *d)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at_n = moatD_off(r);
    uint32_t n;

    if (!moatD_count(r, 1, &n) || !moatD_limit(r, at_n, LIM_TYPES, n) ||
        !(m->types = moatD_array(d, n, sizeof *m->types)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        FuncType *ft = &m->types[i];
        uint64_t  at = moatD_off(r);
        uint8_t   form;
        uint32_t  np, nr;
        if (!moatD_byte(r, &form))
            return false;
        const char *text, *feature;
        if (form != 0x60 &&
            (feature = moatD_future_byte(FUTURE_TYPEFORM, form, &text)))
            return moatD_malformed(r, at, "integer representation too long: "
                                   "function type must start with 0x60, "
                                   "got 0x%02x: %s (%s, WebAssembly 3.0) is "
                                   "not supported yet", form, text, feature);
        if (form != 0x60)
            return moatD_malformed(r, at, "integer representation too long: "
                                   "function type must start with 0x60, "
                                   "got 0x%02x", form);
        const uint8_t *save = r->p;
        uint64_t       at_np = moatD_off(r), at_nr;
        if (!moatD_count(r, 1, &np) ||
            !moatD_limit(r, at_np, LIM_PARAMS, np))
            return false;
        uint64_t at_p = moatD_off(r);
        if (!moatD_bytes(r, np, &save))
            return false;
        /* a 3.0 type of more than one byte ((ref ht)) would shift what
         * follows: name it here, before the result count reads garbage */
        for (uint32_t k = 0; k < np; k++)
            if (!moatD_is_valtype(save[k]))
                return moatD_future_type(r, at_p + k, "value", save[k]);
        at_nr = moatD_off(r);
        if (!moatD_count(r, 1, &nr) ||
            !moatD_limit(r, at_nr, LIM_RESULTS, nr))
            return false;
        ft->nparams = np;
        ft->nresults = nr;
        if (!(ft->types = moatD_array(d, (size_t)np + nr + 1, 1)))
            return false;
        Reader pr = moatD_reader(r->base, 0, r->err);
        pr.p = save;
        pr.end = save + np;
        for (uint32_t k = 0; k < np; k++)
            if (!moatD_valtype(&pr, &ft->types[k]))
                return false;
        for (uint32_t k = 0; k < nr; k++)
            if (!moatD_valtype(r, &ft->types[np + k]))
                return false;
    }
    m->ntypes = n;
    return true;
}

/* An import or export kind 2.0 does not know, named with its 3.0
 * feature when it has one (a tag: exception handling). */
static bool
malformed_kind(Reader *r, uint64_t at, const char *what, uint8_t kind)
{
    const char *text, *feature = moatD_future_byte(FUTURE_EXTERN, kind,
                                                   &text);
    if (!feature)
        return moatD_malformed(r, at, "malformed %s kind 0x%02x", what, kind);
    return moatD_malformed(r, at, "malformed %s kind 0x%02x: %s (%s, "
                           "WebAssembly 3.0) is not supported yet", what,
                           kind, text, feature);
}

static bool
check_type_idx(Decode *d, uint32_t idx, uint64_t at)
{
    if (idx >= d->m->ntypes)
        moatD_invalid(d, at, "unknown type %u", idx);
    return true;
}

static bool
read_import_desc(Decode *d, Import *im, uint32_t *counts)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at = moatD_off(r);

    switch (im->kind) {
    case EXT_FUNC:
        if (!moatD_u32(r, &im->idx))
            return false;
        return check_type_idx(d, im->idx, at);
    case EXT_TABLE: {
        TableType tt;
        if (!moatD_tabletype(d, &tt))
            return false;
        m->tables[counts[EXT_TABLE]] = tt;
        break;
    }
    case EXT_MEM:
        if (counts[EXT_MEM] > 0)
            moatD_invalid(d, at, "multiple memories");
        if (!moatD_limits(d, &m->mems[counts[EXT_MEM]], MAX_PAGES, "memory"))
            return false;
        break;
    case EXT_GLOBAL: {
        Global *g = &m->globals[counts[EXT_GLOBAL]];
        g->is_import = true;
        if (!moatD_globaltype(r, &g->type))
            return false;
        break;
    }
    }
    return true;
}

bool
moatD_sec_import(Decode *d)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at_n = moatD_off(r);
    uint32_t n, counts[4] = { 0 };

    if (!moatD_count(r, 1, &n) || !moatD_limit(r, at_n, LIM_IMPORTS, n) ||
        !(m->imports = moatD_array(d, n, sizeof *m->imports)) ||
        !(m->funcs = moatD_array(d, n, sizeof *m->funcs)) ||
        !(m->tables = moatD_array(d, n, sizeof *m->tables)) ||
        !(m->mems = moatD_array(d, n, sizeof *m->mems)) ||
        !(m->globals = moatD_array(d, n, sizeof *m->globals)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        Import  *im = &m->imports[i];
        uint64_t at;
        if (!moatD_name(r, &im->module) || !moatD_name(r, &im->name))
            return false;
        at = moatD_off(r);
        if (!moatD_byte(r, &im->kind))
            return false;
        if (im->kind > EXT_GLOBAL)
            return malformed_kind(r, at, "import", im->kind);
        if (!read_import_desc(d, im, counts))
            return false;
        if (im->kind == EXT_FUNC) {
            m->funcs[counts[EXT_FUNC]].type_idx = im->idx;
            m->funcs[counts[EXT_FUNC]].is_import = true;
        }
        im->idx = counts[im->kind]++;
    }
    m->nimports = n;
    m->nfuncs = m->nfunc_imports = counts[EXT_FUNC];
    m->ntables = m->ntable_imports = counts[EXT_TABLE];
    m->nmems = m->nmem_imports = counts[EXT_MEM];
    m->nglobals = m->nglobal_imports = counts[EXT_GLOBAL];
    return true;
}

/* Grows an index space (imports first) by n defined entities. */
static void *
extend(Decode *d, void *old, uint32_t nold, uint32_t n, size_t size)
{
    void *p = moatD_array(d, (size_t)nold + n, size);
    if (p && nold)
        memcpy(p, old, (size_t)nold * size);
    return p;
}

bool
moatD_sec_function(Decode *d)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at_n = moatD_off(r);
    uint32_t n;

    if (!moatD_count(r, 1, &n) ||
        !moatD_limit(r, at_n, LIM_FUNCS, (uint64_t)m->nfuncs + n) ||
        !(m->funcs = extend(d, m->funcs, m->nfuncs, n, sizeof *m->funcs)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t at = moatD_off(r);
        Func    *f = &m->funcs[m->nfuncs + i];
        if (!moatD_u32(r, &f->type_idx))
            return false;
        check_type_idx(d, f->type_idx, at);
    }
    m->nfuncs += n;
    d->nfunc_decls = n;
    return true;
}

bool
moatD_sec_table(Decode *d)
{
    Module  *m = d->m;
    uint64_t at_n = moatD_off(d->r);
    uint32_t n;

    if (!moatD_count(d->r, 1, &n) ||
        !moatD_limit(d->r, at_n, LIM_TABLES, (uint64_t)m->ntables + n) ||
        !(m->tables = extend(d, m->tables, m->ntables, n, sizeof *m->tables)))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!moatD_tabletype(d, &m->tables[m->ntables + i]))
            return false;
    m->ntables += n;
    return true;
}

bool
moatD_sec_memory(Decode *d)
{
    Module  *m = d->m;
    uint32_t n;

    if (!moatD_count(d->r, 1, &n) ||
        !(m->mems = extend(d, m->mems, m->nmems, n, sizeof *m->mems)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (m->nmems + i > 0)
            moatD_invalid(d, moatD_off(d->r), "multiple memories");
        if (!moatD_limits(d, &m->mems[m->nmems + i], MAX_PAGES, "memory"))
            return false;
    }
    m->nmems += n;
    return true;
}

bool
moatD_sec_global(Decode *d)
{
    Module  *m = d->m;
    uint64_t at_n = moatD_off(d->r);
    uint32_t n;

    if (!moatD_count(d->r, 1, &n) ||
        !moatD_limit(d->r, at_n, LIM_GLOBALS, (uint64_t)m->nglobals + n) ||
        !(m->globals = extend(d, m->globals, m->nglobals, n,
                              sizeof *m->globals)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        Global *g = &m->globals[m->nglobals + i];
        if (!moatD_globaltype(d->r, &g->type) ||
            !moatD_const_expr(d, &g->init, g->type.type, m->nglobal_imports))
            return false;
    }
    m->nglobals += n;
    return true;
}

static const Module *sort_module;              /* qsort has no user data */

static int
cmp_export_name(const void *a, const void *b)
{
    const Name *x = &sort_module->exports[*(const uint32_t *)a].name;
    const Name *y = &sort_module->exports[*(const uint32_t *)b].name;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->s, y->s, x->len);
}

/* Export names must be unique (validation 3.4.10): sort, compare neighbours. */
static bool
check_unique_exports(Decode *d)
{
    Module   *m = d->m;
    uint32_t *ix = moatD_array(d, m->nexports, sizeof *ix);
    if (!ix)
        return false;
    for (uint32_t i = 0; i < m->nexports; i++)
        ix[i] = i;
    sort_module = m;
    qsort(ix, m->nexports, sizeof *ix, cmp_export_name);
    for (uint32_t i = 1; i < m->nexports; i++)
        if (cmp_export_name(&ix[i - 1], &ix[i]) == 0) {
            uint32_t    later = ix[i] > ix[i - 1] ? ix[i] : ix[i - 1];
            const Name *nm = &m->exports[later].name;
            moatD_invalid(d, m->exports[later].off, "duplicate export name "
                          "\"%.*s\"", (int)nm->len, nm->s);
        }
    return true;
}

bool
moatD_declare_ref(Decode *d, uint32_t func)
{
    if (!d->declared_refs &&
        !(d->declared_refs = moatU_calloc(d->m->nfuncs + 1, 1)))
        return moatD_nomem(d);
    if (func < d->m->nfuncs)
        d->declared_refs[func] = 1;
    return true;
}

bool
moatD_sec_export(Decode *d)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at_n = moatD_off(r);
    uint32_t n;

    if (!moatD_count(r, 1, &n) || !moatD_limit(r, at_n, LIM_EXPORTS, n) ||
        !(m->exports = moatD_array(d, n, sizeof *m->exports)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        Export  *e = &m->exports[i];
        uint64_t at;
        e->off = moatD_off(r);
        if (!moatD_name(r, &e->name))
            return false;
        at = moatD_off(r);
        if (!moatD_byte(r, &e->kind) || !moatD_u32(r, &e->idx))
            return false;
        const uint32_t limit[4] = { m->nfuncs, m->ntables, m->nmems,
                                    m->nglobals };
        if (e->kind > EXT_GLOBAL)
            return malformed_kind(r, at, "export", e->kind);
        if (e->idx >= limit[e->kind])
            moatD_invalid(d, at, "unknown %s %u",
                          moatD_extern_text(e->kind), e->idx);
        else if (e->kind == EXT_FUNC && !moatD_declare_ref(d, e->idx))
            return false;
    }
    m->nexports = n;
    return check_unique_exports(d);
}

bool
moatD_sec_start(Decode *d)
{
    Module  *m = d->m;
    uint64_t at = moatD_off(d->r);

    if (!moatD_u32(d->r, &m->start))
        return false;
    m->has_start = true;
    if (m->start >= m->nfuncs) {
        moatD_invalid(d, at, "unknown function %u", m->start);
        return true;
    }
    uint32_t ti = m->funcs[m->start].type_idx;
    if (ti < m->ntypes &&
        (m->types[ti].nparams != 0 || m->types[ti].nresults != 0))
        moatD_invalid(d, at, "start function %u must have type [] -> []",
                      m->start);
    return true;
}
