/* contract_bounds.c - a loaded artifact's descriptor against its image,
 * before anything reads through it (contract.c then checks what the
 * values mean). The descriptor and every array it points at lie in the
 * image's data with all their elements, every name is NUL-terminated
 * there (the compiler puts a NUL after each; the runtime prints them),
 * the CPU and feature strings end there, and every code pointer points
 * into the image's code. Relocations can make a pointer point anywhere:
 * without these checks a damaged file crashes the loader instead of being
 * refused. A descriptor built in memory by the host (moatR_module_from_desc)
 * is the host's own and is not checked here.
 */
#include <string.h>

#include "runtime.h"

static bool
fail(moat_error *err, const char *what)
{
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                      "contract violation: %s outside the artifact's data",
                      what);
}

/* n elements of size bytes at p, 8-byte aligned (every descriptor struct
 * is made of 8-byte members). n was checked against MOAT_DESC_MAX_ITEMS,
 * so n * size cannot overflow. */
static bool
has_array(const ElfImage *img, const void *p, uint64_t n, size_t size)
{
    return n == 0 || (((uintptr_t)p & 7) == 0
                      && moatR_elf_has_data(img, p, n * size));
}

/* A name: len bytes and the NUL after them, or NULL and empty. */
static bool
has_name(const ElfImage *img, const MoatDescBytes *b)
{
    if (!b->p)
        return b->len == 0;
    return b->len < UINT32_MAX && moatR_elf_has_data(img, b->p, b->len + 1)
           && b->p[b->len] == 0;
}

static bool
has_string(const ElfImage *img, const char *s)
{
    size_t n = s ? moatR_elf_data_left(img, s) : 0;

    return !s || (n && memchr(s, 0, n));
}

static bool
has_code(const ElfImage *img, const void *p)
{
    return moatR_elf_contains_pc(img, (uintptr_t)p);
}

static bool
check_arrays(const MoatDescriptor *d, const ElfImage *img, moat_error *err)
{
    uint64_t counts[] = { d->ntypes, d->nimports, d->nexports, d->nfuncs,
                          d->nglobals, d->ntables, d->nmems, d->nelems,
                          d->ndatas };

    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i] > MOAT_DESC_MAX_ITEMS)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                              "contract violation: count beyond "
                              "implementation limit");
    if (!has_array(img, d->types, d->ntypes, sizeof *d->types))
        return fail(err, "type array");
    if (!has_array(img, d->imports, d->nimports, sizeof *d->imports))
        return fail(err, "import array");
    if (!has_array(img, d->exports, d->nexports, sizeof *d->exports))
        return fail(err, "export array");
    if (!has_array(img, d->funcs, d->nfuncs, sizeof *d->funcs))
        return fail(err, "function array");
    if (!has_array(img, d->globals, d->nglobals, sizeof *d->globals))
        return fail(err, "global array");
    if (!has_array(img, d->tables, d->ntables, sizeof *d->tables))
        return fail(err, "table array");
    if (!has_array(img, d->mems, d->nmems, sizeof *d->mems))
        return fail(err, "memory array");
    if (!has_array(img, d->elems, d->nelems, sizeof *d->elems))
        return fail(err, "element segment array");
    if (!has_array(img, d->datas, d->ndatas, sizeof *d->datas))
        return fail(err, "data segment array");
    if (!has_string(img, d->cpu) || !has_string(img, d->features))
        return fail(err, "CPU name or feature string");
    return true;
}

static bool
check_types_funcs(const MoatDescriptor *d, const ElfImage *img,
                  moat_error *err)
{
    for (uint64_t i = 0; i < d->ntypes; i++) {
        const MoatDescType *t = &d->types[i];
        if (t->nparams > MOAT_DESC_MAX_ARITY
            || t->nresults > MOAT_DESC_MAX_ARITY)
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                              "contract violation: type arity beyond "
                              "implementation limit");
        if (t->nparams + t->nresults
            && !moatR_elf_has_data(img, t->types, t->nparams + t->nresults))
            return fail(err, "function type");
        /* NULL: no trampoline (only types the host can call have one;
         * contract.c requires it for exported and start types) */
        if (t->tramp && !has_code(img, t->tramp))
            return fail(err, "trampoline (in code)");
    }
    for (uint64_t i = 0; i < d->nfuncs; i++) {
        const MoatDescFunc *f = &d->funcs[i];
        if (f->code && !has_code(img, f->code))
            return fail(err, "function code (in code)");
        if (f->name.p && !has_name(img, &f->name))
            return fail(err, "function name");
    }
    return true;
}

static bool
check_names(const MoatDescriptor *d, const ElfImage *img, moat_error *err)
{
    for (uint64_t i = 0; i < d->nimports; i++)
        if (!has_name(img, &d->imports[i].module)
            || !has_name(img, &d->imports[i].name))
            return fail(err, "import name");
    for (uint64_t i = 0; i < d->nexports; i++)
        if (!has_name(img, &d->exports[i].name))
            return fail(err, "export name");
    return true;
}

static bool
check_segments(const MoatDescriptor *d, const ElfImage *img,
               moat_error *err)
{
    for (uint64_t i = 0; i < d->nelems; i++) {
        const MoatDescElem *e = &d->elems[i];
        if (e->count > UINT32_MAX
            || !has_array(img, e->items, e->count, sizeof *e->items))
            return fail(err, "element segment items");
    }
    for (uint64_t i = 0; i < d->ndatas; i++) {
        const MoatDescBytes *b = &d->datas[i].bytes;
        if (b->len > UINT32_MAX
            || (b->len && !moatR_elf_has_data(img, b->p, b->len)))
            return fail(err, "data segment bytes");
    }
    return true;
}

/* Last: these fields come after the ones ABI 3 had, so that a damaged
 * older artifact is refused for what the older checks find. */
static bool
check_debug(const MoatDescriptor *d, const ElfImage *img, moat_error *err)
{
    if (d->ndebug > MOAT_DESC_MAX_DEBUG
        || !has_array(img, d->debug, d->ndebug, sizeof *d->debug))
        return fail(err, "DWARF section array");
    for (uint64_t i = 0; i < d->ndebug; i++) {
        const MoatDescSection *s = &d->debug[i];
        if (!has_name(img, &s->name) || s->bytes.len > UINT32_MAX
            || (s->bytes.len && !moatR_elf_has_data(img, s->bytes.p,
                                                    s->bytes.len)))
            return fail(err, "DWARF section");
    }
    return true;
}

bool
moatR_check_desc_bounds(const MoatDescriptor *d, const ElfImage *img,
                        moat_error *err)
{
    if (!d || ((uintptr_t)d & 7) || !moatR_elf_has_data(img, d, sizeof *d))
        return fail(err, "descriptor");
    return check_arrays(d, img, err) && check_types_funcs(d, img, err)
           && check_names(d, img, err) && check_segments(d, img, err)
           && check_debug(d, img, err);
}
