/* sec_custom.c - custom sections, and the `name` section (custom 7.4) whose
 * function and local names make errors and traps readable. A malformed name
 * section is ignored, as the spec allows: it never rejects a module.
 */
#include <string.h>

#include "frontend.h"

enum { NAME_MODULE = 0, NAME_FUNCTION = 1, NAME_LOCAL = 2 };

static bool
read_name_map(Decode *d, Reader *r, uint32_t *count, NameEntry **out)
{
    uint32_t n;
    if (!moatD_count(r, 2, &n) || !(*out = moatD_array(d, n, sizeof **out)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        NameEntry *e = &(*out)[i];
        if (!moatD_u32(r, &e->idx) || !moatD_name(r, &e->name))
            return false;
        if (i > 0 && e->idx <= (*out)[i - 1].idx)
            return false;                       /* must be sorted, unique */
    }
    *count = n;
    return true;
}

/* Local names: vec(funcidx, name map), sorted by function. */
static bool
read_local_names(Decode *d, Reader *r, uint32_t *count, LocalNames **out)
{
    uint32_t n;
    if (!moatD_count(r, 2, &n) || !(*out = moatD_array(d, n, sizeof **out)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        LocalNames *l = &(*out)[i];
        if (!moatD_u32(r, &l->func) ||
            (i > 0 && l->func <= (*out)[i - 1].func) ||
            !read_name_map(d, r, &l->n, &l->names))
            return false;
    }
    *count = n;
    return true;
}

/* Reads into a scratch error; on any problem the names are dropped. Only
 * running out of memory (recorded in the module's error) returns false. */
static bool
read_name_section(Decode *d, const uint8_t *p, const uint8_t *end)
{
    Module    *m = d->m;
    moat_error scratch = { 0 };
    Reader     r = moatD_reader(m->bytes, 0, &scratch);
    Name       module_name = { 0 };
    uint32_t   nfn = 0, nloc = 0;
    NameEntry *fn = NULL;
    LocalNames *loc = NULL;

    r.p = p;
    r.end = end;
    int last = -1;
    while (!moatD_eof(&r)) {
        uint8_t        id;
        uint32_t       size;
        const uint8_t *sub;
        if (!moatD_byte(&r, &id) || !moatD_u32(&r, &size) ||
            !moatD_bytes(&r, size, &sub) || id <= last)
            return true;                    /* subsections: once, in order */
        last = id;
        Reader s = r;
        s.p = sub;
        s.end = sub + size;
        bool ok = true;
        if (id == NAME_MODULE)
            ok = moatD_name(&s, &module_name);
        else if (id == NAME_FUNCTION)
            ok = read_name_map(d, &s, &nfn, &fn);
        else if (id == NAME_LOCAL)
            ok = read_local_names(d, &s, &nloc, &loc);
        else
            s.p = s.end;                    /* later subsections: skip */
        if (!ok || s.p != s.end)
            return !moatU_failed(d->r->err);
    }
    m->module_name = module_name;
    m->nfunc_names = nfn;
    m->func_names = fn;
    m->nlocal_names = nloc;
    m->local_names = loc;
    return true;
}

bool
moatD_sec_custom(Decode *d, Name name, uint64_t off, uint32_t size)
{
    Module *m = d->m;
    Reader *r = d->r;

    uint32_t n = m->ncustoms;                       /* capacity 4, 8, 16.. */
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        uint32_t cap = m->ncustoms ? m->ncustoms * 2 : 4;
        Custom  *c = moatD_array(d, cap, sizeof *c);
        if (!c)
            return false;
        if (m->ncustoms)
            memcpy(c, m->customs, m->ncustoms * sizeof *c);
        m->customs = c;
    }
    Custom *c = &m->customs[m->ncustoms++];
    c->name = name;
    c->off = off;
    c->size = size;
    c->data = r->p;
    c->len = (uint32_t)(r->end - r->p);
    if (name.len == 4 && memcmp(name.s, "name", 4) == 0 &&
        !read_name_section(d, r->p, r->end))
        return false;
    r->p = r->end;                              /* contents are opaque */
    return true;
}
