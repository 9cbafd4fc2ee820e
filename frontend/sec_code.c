/* sec_code.c - the code section: per body its size, local declarations and
 * instructions (binary 5.5.13). The instructions are validated as they are
 * read, by valid_func.c.
 */
#include "frontend.h"

static bool
read_locals(Decode *d, Func *f)
{
    Reader  *r = d->r;
    uint64_t at = moatD_off(r), total = 0;

    if (!moatD_count(r, 1, &f->nruns) ||
        !(f->runs = moatD_array(d, f->nruns, sizeof *f->runs)))
        return false;
    for (uint32_t i = 0; i < f->nruns; i++) {
        LocalRun *run = &f->runs[i];
        if (!moatD_u32(r, &run->count) || !moatD_valtype(r, &run->type))
            return false;
        total += run->count;
        if (total > UINT32_MAX)
            return moatD_malformed(r, at, "too many locals");
    }
    uint32_t ti = f->type_idx;
    uint64_t nparams = ti < d->m->ntypes ? d->m->types[ti].nparams : 0;
    if (!moatD_limit(r, at, LIM_LOCALS, total + nparams))
        return false;
    f->nlocals = (uint32_t)total;
    return true;
}

static bool
read_body(Decode *d, uint32_t idx)
{
    Reader  *r = d->r;
    Func    *f = &d->m->funcs[idx];
    uint64_t at = moatD_off(r);
    uint32_t size;

    if (!moatD_u32(r, &size))
        return false;
    if ((size_t)(r->end - r->p) < size)
        return moatD_malformed(r, at, "unexpected end: function body of %u "
                               "bytes", size);
    if (!moatD_limit(r, at, LIM_BODY_SIZE, size))
        return false;
    const uint8_t *end = r->end;
    r->end = r->p + size;
    f->body_off = at;
    bool ok = read_locals(d, f);
    if (ok) {
        f->code = r->p;
        f->code_len = (size_t)(r->end - r->p);
        f->code_off = moatD_off(r);
        ok = moatV_func(d, idx);
    }
    if (ok && r->p != r->end)
        ok = moatD_malformed(r, moatD_off(r), "section size mismatch: "
                             "%zu bytes after the end of function %u",
                             (size_t)(r->end - r->p), idx);
    r->end = end;
    return ok;
}

bool
moatD_sec_code(Decode *d)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at = moatD_off(r);
    uint32_t n;

    m->code_start = at;
    if (!moatD_count(r, 1, &n))
        return false;
    if (n != d->nfunc_decls)
        return moatD_malformed(r, at, "function and code section have "
                               "inconsistent lengths: %u functions, %u "
                               "bodies", d->nfunc_decls, n);
    for (uint32_t i = 0; i < n; i++)
        if (!read_body(d, m->nfunc_imports + i))
            return false;
    return true;
}
