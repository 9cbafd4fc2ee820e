/* sec_elem.c - the element section: the eight segment encodings, flags 0-7
 * (binary 5.5.12), and their validation (3.4.6).
 *   bit 0: passive or declarative (else active)
 *   bit 1: active with explicit table index / declarative (with bit 0)
 *   bit 2: items are expressions (else function indices)
 */
#include "frontend.h"

static bool
read_elemkind(Reader *r, uint8_t *type)
{
    uint64_t at = moatD_off(r);
    uint8_t  k;
    if (!moatD_byte(r, &k))
        return false;
    if (k != 0x00)
        return moatD_malformed(r, at, "malformed element kind 0x%02x", k);
    *type = T_FUNCREF;
    return true;
}

static bool
read_items(Decode *d, Elem *e, bool exprs)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at_n = moatD_off(r);

    if (!moatD_count(r, 1, &e->count) ||
        !moatD_limit(r, at_n, LIM_ELEM_ENTRIES, e->count) ||
        !(e->items = moatD_array(d, e->count, sizeof *e->items)))
        return false;
    for (uint32_t i = 0; i < e->count; i++) {
        ConstExpr *it = &e->items[i];
        if (exprs) {
            if (!moatD_const_expr(d, it, e->type, m->nglobal_imports))
                return false;
            continue;
        }
        uint64_t at = moatD_off(r);
        it->kind = CONST_REF_FUNC;
        it->type = T_FUNCREF;
        if (!moatD_u32(r, &it->idx))
            return false;
        if (it->idx >= m->nfuncs)
            moatD_invalid(d, at, "unknown function %u", it->idx);
        else if (!moatD_declare_ref(d, it->idx))
            return false;
    }
    return true;
}

static bool
read_segment(Decode *d, Elem *e)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at = moatD_off(r);
    uint32_t flags;

    if (!moatD_u32(r, &flags))
        return false;
    if (flags > 7)
        return moatD_malformed(r, at, "malformed elements segment kind %u",
                               flags);
    bool exprs = flags & 4;
    e->mode = !(flags & 1) ? SEG_ACTIVE
              : (flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE;
    e->type = T_FUNCREF;
    if (e->mode == SEG_ACTIVE) {
        if ((flags & 2) && !moatD_u32(r, &e->table))
            return false;
        if (!moatD_const_expr(d, &e->offset, T_I32, m->nglobal_imports))
            return false;
    }
    if (flags & 3) {                           /* explicit elemkind/reftype */
        if (exprs ? !moatD_reftype(r, &e->type) : !read_elemkind(r, &e->type))
            return false;
    }
    if (!read_items(d, e, exprs))
        return false;
    if (e->mode == SEG_ACTIVE) {
        if (e->table >= m->ntables)
            moatD_invalid(d, at, "unknown table %u", e->table);
        else if (m->tables[e->table].elem != e->type)
            moatD_invalid(d, at, "type mismatch: element segment of %s for "
                          "table of %s", moatD_valtype_text(e->type),
                          moatD_valtype_text(m->tables[e->table].elem));
    }
    return true;
}

bool
moatD_sec_elem(Decode *d)
{
    Module  *m = d->m;
    uint64_t at_n = moatD_off(d->r);
    uint32_t n;

    if (!moatD_count(d->r, 1, &n) ||
        !moatD_limit(d->r, at_n, LIM_ELEM_SEGMENTS, n) ||
        !(m->elems = moatD_array(d, n, sizeof *m->elems)))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_segment(d, &m->elems[i]))
            return false;
    m->nelems = n;
    return true;
}
