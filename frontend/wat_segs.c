/* wat_segs.c - elem and data segments in the text format (6.6.9-6.6.10),
 * as fields and inline in tables and memories, written in binary (5.5.12,
 * 5.5.14). Of the eight elem encodings, the one wabt picks: function
 * indices when every item is one ref.func and the type is funcref, else
 * expressions; the table index and element type only when not implied.
 */
#include <string.h>

#include "wat.h"
#include "util.h"

enum { ACTIVE, PASSIVE, DECLARATIVE };

typedef struct Items {
    Buf      funcs;             /* uleb function indices */
    Buf      exprs;             /* expressions, each ending with 0x0b */
    uint32_t n;
    bool     all_ref_func;
} Items;

static bool
nomem(Wat *w)
{
    w->is_oom = true;
    return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                      "out of memory");
}

static void
items_free(Items *it)
{
    moatX_buf_free(&it->funcs);
    moatX_buf_free(&it->exprs);
}

/* funcidx* */
static bool
func_items(Wat *w, Items *it)
{
    uint32_t x;

    while (moatX_is_index(w)) {
        if (!moatX_index(w, SP_FUNC, &x))
            return false;
        moatX_uleb(&it->funcs, x);
        moatX_byte(&it->exprs, 0xd2);
        moatX_uleb(&it->exprs, x);
        moatX_byte(&it->exprs, 0x0b);
        it->n++;
    }
    return true;
}

/* Whether e is exactly `ref.func x end`; x into *x. */
static bool
is_ref_func(const Buf *e, uint64_t *x)
{
    size_t   i = 1;
    unsigned shift = 0;

    if (e->n < 3 || e->p[0] != 0xd2)
        return false;
    *x = 0;
    while (i < e->n && shift < 35) {
        *x |= (uint64_t)(e->p[i] & 0x7f) << shift;
        shift += 7;
        if (!(e->p[i++] & 0x80))
            break;
    }
    return i + 1 == e->n && e->p[i] == 0x0b;
}

/* elemexpr*: `(item instr*)` or one folded instruction each */
static bool
expr_items(Wat *w, Items *it)
{
    while (moatX_peek(w, 0)->kind == TK_LPAR) {
        Buf      e = { 0 };
        uint64_t x;
        bool     ok;
        if (moatX_lpar_kw(w, "item")) {
            w->pos += 2;
            ok = moatX_instrs(w, &e) && moatX_expect(w, TK_RPAR, "')'");
        } else {
            ok = moatX_instr1(w, &e);
        }
        moatX_byte(&e, 0x0b);
        if (ok && is_ref_func(&e, &x))
            moatX_uleb(&it->funcs, x);
        else
            it->all_ref_func = false;
        moatX_bytes(&it->exprs, e.p, e.n);
        if (e.is_oom)
            it->exprs.is_oom = true;
        moatX_buf_free(&e);
        if (!ok)
            return false;
        it->n++;
    }
    return true;
}

static void
write_elem(Mod *m, int mode, uint32_t table, const Buf *offset, uint8_t rt,
           const Items *it)
{
    Buf    *out = &m->sec[S_ELEM];
    bool    as_funcs = it->all_ref_func && rt == T_FUNCREF;
    uint8_t flags;

    if (mode == ACTIVE)
        flags = as_funcs ? (table ? 2 : 0)
                         : (table || rt != T_FUNCREF ? 6 : 4);
    else
        flags = (uint8_t)((mode == PASSIVE ? 1 : 3) | (as_funcs ? 0 : 4));
    moatX_byte(out, flags);
    if (mode == ACTIVE && (flags & 2))
        moatX_uleb(out, table);
    if (mode == ACTIVE)
        moatX_bytes(out, offset->p, offset->n);
    if (flags & 3)
        moatX_byte(out, as_funcs ? 0x00 : rt);
    moatX_uleb(out, it->n);
    if (as_funcs)
        moatX_bytes(out, it->funcs.p, it->funcs.n);
    else
        moatX_bytes(out, it->exprs.p, it->exprs.n);
    if (it->funcs.is_oom || it->exprs.is_oom || offset->is_oom)
        out->is_oom = true;
    m->nsec[S_ELEM]++;
}

/* `(offset instr*)` or one folded instruction, as a constant expr */
static bool
offset_expr(Wat *w, Buf *out)
{
    if (moatX_lpar_kw(w, "offset")) {
        w->pos += 2;
        return moatX_expr(w, out) && moatX_expect(w, TK_RPAR, "')'");
    }
    if (moatX_peek(w, 0)->kind != TK_LPAR)
        return moatX_fail(w, moatX_peek(w, 0), "expected an offset");
    if (!moatX_instr1(w, out))
        return false;
    moatX_byte(out, 0x0b);
    return true;
}

/* elemlist: `func funcidx*` or `reftype elemexpr*`; bare funcidx* only
 * in the old active form `(elem offset funcidx*)` (legacy = true). */
static bool
elem_list(Wat *w, bool legacy, uint8_t *rt, Items *it)
{
    const Tok *t = moatX_peek(w, 0);

    *rt = T_FUNCREF;
    if (moatX_tok_is(t, "func")) {
        moatX_next(w);
        return func_items(w, it);
    }
    if (moatX_reftype(w, t, rt)) {
        moatX_next(w);
        return expr_items(w, it);
    }
    if (legacy)
        return func_items(w, it);
    return moatX_fail(w, t, "expected 'func' or a reference type");
}

bool
moatX_elem_field(Mod *m)
{
    Wat     *w = m->w;
    Items    it = { .all_ref_func = true };
    Buf      offset = { 0 };
    int      mode = PASSIVE;
    uint32_t table = 0;
    uint8_t  rt;
    bool     ok = true, has_table = false;

    m->next[SP_ELEM]++;
    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    /* 1.0's `(elem x (offset) funcidx*)`, a bare table index, which
     * wabt and the reference interpreter still take (the threads
     * proposal's tests use it) */
    bool bare = moatX_is_index(w) && moatX_peek(w, 1)->kind == TK_LPAR;
    if (moatX_tok_is(moatX_peek(w, 0), "declare")) {
        mode = DECLARATIVE;
        moatX_next(w);
    } else if (bare || moatX_peek(w, 0)->kind == TK_LPAR) {
        mode = ACTIVE;
        if (bare) {
            ok = moatX_index(w, SP_TABLE, &table);
        } else if (moatX_lpar_kw(w, "table")) {
            w->pos += 2;
            has_table = true;
            ok = moatX_index(w, SP_TABLE, &table) &&
                 moatX_expect(w, TK_RPAR, "')'");
        }
        ok = ok && offset_expr(w, &offset);
    }
    ok = ok && elem_list(w, mode == ACTIVE && !has_table, &rt, &it) &&
         moatX_expect(w, TK_RPAR, "')'");
    if (ok)
        write_elem(m, mode, table, &offset, rt, &it);
    items_free(&it);
    moatX_buf_free(&offset);
    return ok && (!w->is_oom || nomem(w));
}

bool
moatX_elem_inline(Mod *m, uint32_t table, uint8_t rt, uint32_t *n)
{
    Wat  *w = m->w;
    Items it = { .all_ref_func = true };
    Buf   offset = { 0 };
    bool  ok;

    m->next[SP_ELEM]++;
    if (moatX_peek(w, 0)->kind == TK_LPAR)
        ok = expr_items(w, &it);
    else
        ok = func_items(w, &it);
    moatX_bytes(&offset, "\x41\x00\x0b", 3);        /* i32.const 0 end */
    if (ok)
        write_elem(m, ACTIVE, table, &offset, rt, &it);
    *n = it.n;
    items_free(&it);
    moatX_buf_free(&offset);
    return ok;
}

/* string*: the bytes of all, as one vec(byte) */
static bool
data_strings(Wat *w, Buf *out, uint64_t *len)
{
    Buf bytes = { 0 };

    while (moatX_peek(w, 0)->kind == TK_STRING) {
        const Tok *t = moatX_next(w);
        size_t     n;
        if (!moatX_string(t, NULL, 0, &n)) {
            moatX_buf_free(&bytes);
            return moatX_fail(w, t, "malformed string");
        }
        uint8_t *p = moatU_alloc(n ? n : 1);
        if (!p) {
            moatX_buf_free(&bytes);
            return nomem(w);
        }
        moatX_string(t, p, n, &n);
        moatX_bytes(&bytes, p, n);
        moatU_free(p);
    }
    moatX_uleb(out, bytes.n);
    moatX_bytes(out, bytes.p, bytes.n);
    *len = bytes.n;
    if (bytes.is_oom)
        out->is_oom = true;
    moatX_buf_free(&bytes);
    return true;
}

static void
data_head(Mod *m, uint32_t mem)
{
    moatX_byte(&m->sec[S_DATA], mem ? 2 : 0);
    if (mem)
        moatX_uleb(&m->sec[S_DATA], mem);
}

bool
moatX_data_field(Mod *m)
{
    Wat     *w = m->w;
    Buf     *out = &m->sec[S_DATA];
    uint32_t mem = 0;
    uint64_t len;

    m->next[SP_DATA]++;
    m->nsec[S_DATA]++;
    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    /* 1.0's `(data x (offset) ...)`, a bare memory index (as for elem) */
    bool bare = moatX_is_index(w) && moatX_peek(w, 1)->kind == TK_LPAR;
    if (!bare && moatX_peek(w, 0)->kind != TK_LPAR) {
        moatX_byte(out, 1);
    } else {
        if (bare && !moatX_index(w, SP_MEM, &mem))
            return false;
        if (!bare && moatX_lpar_kw(w, "memory")) {
            w->pos += 2;
            if (!moatX_index(w, SP_MEM, &mem) ||
                !moatX_expect(w, TK_RPAR, "')'"))
                return false;
        }
        data_head(m, mem);
        w->track = out;
        w->track_sec = S_DATA;
        bool ok = offset_expr(w, out);
        w->track = NULL;
        if (!ok)
            return false;
    }
    return data_strings(w, out, &len) && moatX_expect(w, TK_RPAR, "')'");
}

bool
moatX_data_inline(Mod *m, uint32_t mem, uint64_t *len)
{
    m->next[SP_DATA]++;
    m->nsec[S_DATA]++;
    data_head(m, mem);
    moatX_bytes(&m->sec[S_DATA], "\x41\x00\x0b", 3);
    return data_strings(m->w, &m->sec[S_DATA], len);
}
