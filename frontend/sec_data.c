/* sec_data.c - data count and data sections (binary 5.5.13-14, validation
 * 3.4.7). Segment flags: 0 active in memory 0, 1 passive, 2 active with an
 * explicit memory index.
 */
#include "frontend.h"

bool
moatD_sec_datacount(Decode *d)
{
    Module  *m = d->m;
    uint64_t at = moatD_off(d->r);

    if (!moatD_u32(d->r, &m->datacount) ||
        !moatD_limit(d->r, at, LIM_DATA_SEGMENTS, m->datacount))
        return false;
    m->has_datacount = true;
    return true;
}

static bool
read_segment(Decode *d, Data *s)
{
    Reader  *r = d->r;
    Module  *m = d->m;
    uint64_t at = moatD_off(r);
    uint32_t flags;

    if (!moatD_u32(r, &flags))
        return false;
    if (flags > 2)
        return moatD_malformed(r, at, "malformed data segment kind %u",
                               flags);
    s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
    if (flags == 2 && !moatD_u32(r, &s->mem))
        return false;
    if (s->mode == SEG_ACTIVE) {
        if (!moatD_const_expr(d, &s->offset, T_I32, m->nglobal_imports))
            return false;
        if (s->mem >= m->nmems)
            moatD_invalid(d, at, "unknown memory %u", s->mem);
    }
    if (!moatD_count(r, 1, &s->len))
        return false;
    return moatD_bytes(r, s->len, &s->bytes);
}

bool
moatD_sec_data(Decode *d)
{
    Module  *m = d->m;
    uint64_t at = moatD_off(d->r);
    uint32_t n;

    if (!moatD_count(d->r, 1, &n) ||
        !moatD_limit(d->r, at, LIM_DATA_SEGMENTS, n) ||
        !(m->datas = moatD_array(d, n, sizeof *m->datas)))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!read_segment(d, &m->datas[i]))
            return false;
    m->ndatas = n;
    return true;
}
