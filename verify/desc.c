/* desc.c - what the memory rule needs of the object's descriptor
 * (runtime/abi.h, MoatDescriptor): whether ctx is the heap base
 * (MOAT_DESC_F_MEM_IS_CTX), the context area's layout (moatA_layout of the
 * descriptor's counts: the contract's own function), and which functions
 * are wasm functions (funcs[i].code: ctx in the first argument) and which
 * trampolines (types[i].tramp: code, ctx, vals). Integers are read from
 * the file's bytes, pointers from their R_X86_64_64 relocations. Anything
 * it cannot read leaves the descriptor unknown, and the memory rule then
 * proves nothing (rejects).
 */
#include <string.h>

#include "abi.h"
#include "elfload.h"
#include "verify.h"

/* The relocation at (sec, off), or NULL. */
static const KRel *
rel_at(const KObj *o, uint32_t sec, uint64_t off)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(&o->sec[sec], off, off + 8, &n);

    return n == 1 && r->off == off && r->type == K_R_64 ? r : NULL;
}

/* The pointer field at (sec, off) as (sec, off) of what it points at. */
static bool
ptr_at(const KObj *o, uint32_t sec, uint64_t off, uint32_t *tsec,
       uint64_t *toff)
{
    const KRel *r = rel_at(o, sec, off);

    if (!r || o->sym[r->sym].shndx == 0 || o->sym[r->sym].shndx >= o->nsec)
        return false;
    *tsec = o->sym[r->sym].shndx;
    *toff = o->sym[r->sym].value + (uint64_t)r->addend;
    return true;
}

static uint64_t
ptr_off(const KObj *o, uint32_t sec, uint64_t off, uint32_t *tsec)
{
    uint64_t toff = 0;

    if (!rel_at(o, sec, off) || !ptr_at(o, sec, off, tsec, &toff))
        *tsec = 0;
    return toff;
}

static bool
u64_at(const KObj *o, uint32_t sec, uint64_t off, uint64_t *v)
{
    const KSec *s = &o->sec[sec];

    if (!s->data || off > s->size || s->size - off < 8)
        return false;
    memcpy(v, s->data + off, 8);
    return true;
}

/* n entries of size each at the pointer at (sec, off) fit in the section
 * it points into (n == 0: nothing to fit). */
static bool
array_fits(const KObj *o, uint32_t sec, uint64_t off, uint64_t n,
           uint64_t size)
{
    uint32_t tsec;
    uint64_t toff;

    return n == 0 || (ptr_at(o, sec, off, &tsec, &toff) &&
                      n <= o->sec[tsec].size / size);
}

static const KSym *
find_descriptor(const KObj *o)
{
    size_t nsuf = strlen(MOAT_DESC_SUFFIX);

    for (uint32_t i = 0; i < o->nsym; i++) {
        const KSym *s = &o->sym[i];
        size_t      n = strlen(s->name);
        if (s->bind == ELF_STB_LOCAL || s->shndx == 0 ||
            s->shndx >= o->nsec)
            continue;
        if (!strcmp(s->name, MOAT_DESC_SYMBOL) ||
            (n > nsuf && !strcmp(s->name + n - nsuf, MOAT_DESC_SUFFIX)))
            return s;
    }
    return NULL;
}

/* Marks the function whose start a pointer field names; vals: bytes of
 * its trampoline's vals, or of a wasm function's stack arguments. */
static bool
mark(const KObj *o, uint32_t sec, uint64_t off, KDesc *d, uint8_t role,
     uint64_t vals, uint64_t type)
{
    uint32_t tsec;
    uint64_t toff;

    if (!rel_at(o, sec, off))
        return true;            /* NULL: an imported function, no tramp */
    if (!ptr_at(o, sec, off, &tsec, &toff))
        return false;
    const KFunc *f = moatK_func_at(o, tsec, toff);
    if (!f)
        return false;           /* codeptr rejects it too */
    size_t    i = (size_t)(f - o->fn);
    uint64_t *n = role == K_ROLE_TRAMP ? &d->vals[i] : &d->args[i];
    d->role[i] |= role;
    if (role == K_ROLE_WASM)
        d->ftype[i] = (uint32_t)type + 1;
    else
        d->ttype[i] = (uint32_t)type + 1;
    if (vals > *n)
        *n = vals;
    return true;
}

bool
moatK_desc_read(const KObj *o, KDesc *d)
{
    const KSym *s = find_descriptor(o);
    uint64_t    v[6], base;
    uint32_t    sec, fsec, tsec;
    uint64_t    foff, toff;

    d->ok = false;
    if (!s)
        return false;
    sec = s->shndx;
    base = s->value;
    if (!u64_at(o, sec, base + offsetof(MoatDescriptor, flags), &v[0]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, ntypes), &v[1]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, nfuncs), &v[2]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, nfunc_imports),
                &v[3]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, nglobals), &v[4]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, ntables), &v[5]) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, nmems), &d->nmems))
        return false;
    for (int i = 1; i < 6; i++)
        if (v[i] > UINT32_MAX)
            return false;
    MoatLayoutIn in = { (uint32_t)v[3], (uint32_t)v[1], (uint32_t)v[4],
                        (uint32_t)v[5], (uint32_t)v[2] };
    d->flags = v[0];
    /* the reservation behind each memory's base (the runtime maps what
     * the descriptor asks): the memory rule's heap shapes need 6 GiB */
    uint64_t res, guard;
    if (!u64_at(o, sec, base + offsetof(MoatDescriptor, heap_reserve),
                &res) ||
        !u64_at(o, sec, base + offsetof(MoatDescriptor, heap_guard),
                &guard))
        return false;
    d->heap_room = res > UINT64_MAX - guard ? UINT64_MAX : res + guard;
    /* counts from the file: a damaged one must not make the checker
     * allocate gigabytes (found by fuzz_verify) */
    if (!array_fits(o, sec, base + offsetof(MoatDescriptor, globals), v[4],
                    sizeof(MoatDescGlobal)) ||
        !array_fits(o, sec, base + offsetof(MoatDescriptor, tables), v[5],
                    sizeof(MoatDescLimits)) ||
        !array_fits(o, sec, base + offsetof(MoatDescriptor, funcs), v[2],
                    sizeof(MoatDescFunc)) ||
        !array_fits(o, sec, base + offsetof(MoatDescriptor, types), v[1],
                    sizeof(MoatDescType)))
        return false;
    if (!(d->gwritable = moatU_calloc(v[4] ? v[4] : 1, 1)) ||
        !(d->gimport = moatU_calloc(v[4] ? v[4] : 1, 1)) ||
        !(d->tmin = moatU_calloc(v[5] ? v[5] : 1, sizeof(uint64_t))) ||
        !(d->textern = moatU_calloc(v[5] ? v[5] : 1, sizeof(uint64_t))))
        return false;
    d->layout = moatA_layout(&in);
    d->nglobals = v[4];
    if (v[4] && !ptr_at(o, sec, base + offsetof(MoatDescriptor, globals),
                        &tsec, &toff))
        return false;
    for (uint64_t i = 0; i < v[4]; i++) {
        uint64_t at = toff + i * sizeof(MoatDescGlobal), mut, imp;
        if (!u64_at(o, tsec, at + offsetof(MoatDescGlobal, is_mut), &mut) ||
            !u64_at(o, tsec, at + offsetof(MoatDescGlobal, is_import), &imp))
            return false;
        d->gwritable[i] = mut && !imp;
        d->gimport[i] = imp ? (uint8_t)(1 | (mut ? 2 : 0)) : 0;
    }
    if (v[5] && !ptr_at(o, sec, base + offsetof(MoatDescriptor, tables),
                        &tsec, &toff))
        return false;
    for (uint64_t i = 0; i < v[5]; i++) {
        uint64_t at = toff + i * sizeof(MoatDescLimits), min, et;
        if (!u64_at(o, tsec, at + offsetof(MoatDescLimits, min), &min) ||
            !u64_at(o, tsec, at + offsetof(MoatDescLimits, elem_type), &et))
            return false;
        /* an imported table was matched at link time to have at least
         * min elements; cap >= size >= min, and size never shrinks */
        d->tmin[i] = et == 0x70 && min <= UINT32_MAX ? min : 0;
        d->textern[i] = et == MOAT_ABI_T_EXTERNREF && min <= UINT32_MAX
                            ? min + 1 : 0;
    }
    d->ntables = v[5];
    d->ntypes = v[1];
    d->nfuncs = v[2];
    if (v[2] && !ptr_at(o, sec, base + offsetof(MoatDescriptor, funcs),
                        &fsec, &foff))
        return false;
    if (v[1] && !ptr_at(o, sec, base + offsetof(MoatDescriptor, types),
                        &tsec, &toff))
        return false;
    if (!(d->wtype = moatU_calloc(v[2] + 1, sizeof *d->wtype)) ||
        !(d->ftype = moatU_calloc(o->nfn + 1, sizeof *d->ftype)) ||
        !(d->ttype = moatU_calloc(o->nfn + 1, sizeof *d->ttype)) ||
        (v[1] && !moatK_desc_areas(o, d, tsec, toff, ptr_off)))
        return false;
    for (uint64_t i = 0; i < v[2]; i++) {
        uint64_t at = foff + i * sizeof(MoatDescFunc), ti, np;
        if (!u64_at(o, fsec, at + offsetof(MoatDescFunc, type_idx), &ti) ||
            ti >= v[1] ||
            !u64_at(o, tsec, toff + ti * sizeof(MoatDescType) +
                                 offsetof(MoatDescType, nparams), &np))
            return false;
        /* stack arguments: at most 16 bytes per parameter, plus a results
         * pointer; a wide list is one pointer (abi.h) */
        np = np > MOAT_WIDE_PARAMS ? 1 : np;
        d->wtype[i] = (uint32_t)ti;
        if (!mark(o, fsec, at + offsetof(MoatDescFunc, code), d,
                  K_ROLE_WASM, 16 * (np + 1), ti))
            return false;
    }
    for (uint64_t i = 0; i < v[1]; i++) {
        uint64_t at = toff + i * sizeof(MoatDescType), np, nr;
        if (!u64_at(o, tsec, at + offsetof(MoatDescType, nparams), &np) ||
            !u64_at(o, tsec, at + offsetof(MoatDescType, nresults), &nr) ||
            np > UINT32_MAX || nr > UINT32_MAX ||
            !mark(o, tsec, at + offsetof(MoatDescType, tramp), d,
                  K_ROLE_TRAMP, (np > nr ? np : nr) * 16, i))
            return false;
    }
    d->ok = true;
    return true;
}
