/* wat_fields.c - the second pass over a text module: each field written
 * into its section (binary 5.5), with the abbreviations of 6.6 expanded:
 * inline exports and imports on func/table/memory/global, inline elem and
 * data segments in tables and memories, typeuses with inline params.
 * Indices and $ids were assigned by the first pass (wat_module.c).
 */
#include <string.h>

#include "wat.h"
#include "util.h"

enum { K_FUNC = 0, K_TABLE = 1, K_MEM = 2, K_GLOBAL = 3 };

static bool
nomem(Wat *w)
{
    w->is_oom = true;
    return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                      "out of memory");
}

static bool
close_paren(Wat *w)
{
    return moatX_expect(w, TK_RPAR, "')'");
}

static bool
u32_tok(Wat *w, uint32_t *out, const char *what)
{
    const Tok *t = moatX_peek(w, 0);

    if (!moatX_u32(t, out))
        return moatX_fail(w, t, moatX_num_shape(t) && t->p[0] != '-'
                          ? "i32 constant out of range for %s"
                          : "unexpected token, expected %s", what);
    moatX_next(w);
    return true;
}

static bool
limits(Wat *w, Buf *out)
{
    uint32_t min, max;

    if (!u32_tok(w, &min, "a limit (u32)"))
        return false;
    if (moatX_peek(w, 0)->kind != TK_NUM) {
        moatX_byte(out, 0x00);
        moatX_uleb(out, min);
        return true;
    }
    if (!u32_tok(w, &max, "a maximum (u32)"))
        return false;
    moatX_byte(out, 0x01);
    moatX_uleb(out, min);
    moatX_uleb(out, max);
    return true;
}

/* A memory type: limits, then `shared` (threads proposal), which sets bit
 * 1 of the flag byte limits() wrote first (binary 5.3.8 with threads). */
static bool
memtype(Wat *w, Buf *out)
{
    size_t at = out->n;

    if (!limits(w, out))
        return false;
    if (moatX_tok_is(moatX_peek(w, 0), "shared")) {
        out->p[at] |= 0x02;
        moatX_next(w);
    }
    return true;
}

static bool
reftype(Wat *w, uint8_t *out)
{
    if (!moatX_reftype(w, moatX_peek(w, 0), out))
        return moatX_fail(w, moatX_peek(w, 0), "expected funcref or externref");
    moatX_next(w);
    return true;
}

static bool
tabletype(Wat *w, Buf *out)
{
    Buf     lim = { 0 };
    uint8_t rt;
    bool    ok = limits(w, &lim) && reftype(w, &rt);

    if (ok) {
        moatX_byte(out, rt);
        moatX_bytes(out, lim.p, lim.n);
    }
    moatX_buf_free(&lim);
    return ok;
}

static bool
globaltype(Wat *w, Buf *out)
{
    uint8_t t;

    if (moatX_lpar_kw(w, "mut")) {
        w->pos += 2;
        if (!moatX_valtype(w, &t) || !close_paren(w))
            return false;
        moatX_byte(out, t);
        moatX_byte(out, 1);
        return true;
    }
    if (!moatX_valtype(w, &t))
        return false;
    moatX_byte(out, t);
    moatX_byte(out, 0);
    return true;
}

/* A typeuse that must name a type index: implicit types are added. */
static bool
func_type(Wat *w, bool bind, uint32_t *idx, FuncSig *s)
{
    bool has_idx;

    if (!moatX_typeuse(w, bind ? NAMES_BIND : NAMES_IGNORE, &has_idx, idx,
                       s))
        return false;
    return has_idx || moatX_type_for(w, s, idx);
}

static bool
inline_exports(Mod *m, uint8_t kind, uint32_t idx)
{
    Wat *w = m->w;

    while (moatX_lpar_kw(w, "export")) {
        w->pos += 2;
        if (!moatX_utf8_string(w, &m->sec[S_EXPORT]) || !close_paren(w))
            return false;
        moatX_byte(&m->sec[S_EXPORT], kind);
        moatX_uleb(&m->sec[S_EXPORT], idx);
        m->nsec[S_EXPORT]++;
    }
    return true;
}

/* The description of an import, after its names: kind and type. */
static bool
import_desc(Mod *m, uint8_t kind)
{
    Wat     *w = m->w;
    Buf     *out = &m->sec[S_IMPORT];
    uint32_t idx;
    FuncSig  s = { 0 };
    bool     ok;

    moatX_byte(out, kind);
    m->nsec[S_IMPORT]++;
    switch (kind) {
    case K_FUNC:
        ok = func_type(w, false, &idx, &s);
        moatU_free(s.types);
        moatX_uleb(out, idx);
        return ok;
    case K_TABLE:
        return tabletype(w, out);
    case K_MEM:
        return memtype(w, out);
    default:
        return globaltype(w, out);
    }
}

/* `(import "m" "n")` inside a func/table/memory/global: true in *is. */
static bool
inline_import(Mod *m, uint8_t kind, bool *is)
{
    Wat *w = m->w;

    *is = moatX_lpar_kw(w, "import");
    if (!*is)
        return true;
    w->pos += 2;
    return moatX_utf8_string(w, &m->sec[S_IMPORT]) &&
           moatX_utf8_string(w, &m->sec[S_IMPORT]) && close_paren(w) &&
           import_desc(m, kind);
}

static bool
import_field(Mod *m)
{
    static const char *const kws[] = { "func", "table", "memory", "global" };
    static const int sp[] = { SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL };
    Wat *w = m->w;

    if (!moatX_utf8_string(w, &m->sec[S_IMPORT]) ||
        !moatX_utf8_string(w, &m->sec[S_IMPORT]) ||
        !moatX_expect(w, TK_LPAR, "'('"))
        return false;
    const Tok *kw = moatX_next(w);
    for (uint8_t k = 0; k < 4; k++) {
        if (!moatX_tok_is(kw, kws[k]))
            continue;
        m->next[sp[k]]++;
        if (moatX_peek(w, 0)->kind == TK_ID)
            moatX_next(w);
        return import_desc(m, k) && close_paren(w) && close_paren(w);
    }
    return moatX_fail(w, kw, "expected an import kind");
}

/* `(local $id t)` / `(local t*)`, then the body: one code entry. */
static bool
func_body(Mod *m, uint32_t nparams)
{
    Wat     *w = m->w;
    Buf      types = { 0 }, body = { 0 }, entry = { 0 };
    bool     ok = true, dup;
    uint32_t ngroups = 0;

    while (ok && moatX_lpar_kw(w, "local")) {
        w->pos += 2;
        const Tok *id = moatX_peek(w, 0);
        uint8_t    t = 0;
        if (id->kind == TK_ID) {
            moatX_next(w);
            ok = moatX_valtype(w, &t) &&
                 (moatX_name_add(&w->locals, id->p, id->len,
                                 nparams + (uint32_t)types.n, &dup) ||
                  nomem(w));
            if (ok && dup)
                ok = moatX_fail(w, id, "duplicate local");
            moatX_byte(&types, t);
            ok = ok && close_paren(w);
            continue;
        }
        while (ok && moatX_peek(w, 0)->kind != TK_RPAR &&
               moatX_valtype(w, &t))
            moatX_byte(&types, t);
        ok = ok && !moatU_failed(w->err) && close_paren(w);
    }
    uint32_t first = w->nmarks;        /* this body's positions */
    w->track = &body;
    w->track_sec = S_CODE;
    ok = ok && moatX_expr(w, &body);
    w->track = NULL;
    for (size_t i = 0; ok && i < types.n; i++)
        ngroups += i == 0 || types.p[i] != types.p[i - 1];
    moatX_uleb(&entry, ngroups);
    for (size_t i = 0; ok && i < types.n;) {
        size_t j = i;
        while (j < types.n && types.p[j] == types.p[i])
            j++;
        moatX_uleb(&entry, j - i);
        moatX_byte(&entry, types.p[i]);
        i = j;
    }
    moatX_bytes(&entry, body.p, body.n);
    /* body offsets -> offsets in the code section's entries */
    for (uint32_t i = first; i < w->nmarks; i++)
        w->marks[i].off += m->sec[S_CODE].n + moatX_uleb_len(entry.n) +
                         entry.n - body.n;
    moatX_uleb(&m->sec[S_CODE], entry.n);
    moatX_bytes(&m->sec[S_CODE], entry.p, entry.n);
    m->nsec[S_CODE]++;
    if (types.is_oom || body.is_oom || entry.is_oom)
        ok = ok && nomem(w);
    moatX_buf_free(&types);
    moatX_buf_free(&body);
    moatX_buf_free(&entry);
    return ok;
}

static bool
func_field(Mod *m)
{
    Wat     *w = m->w;
    uint32_t idx = m->next[SP_FUNC]++, type;
    bool     is_import, ok;
    FuncSig  s = { 0 };

    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    if (!inline_exports(m, K_FUNC, idx) ||
        !inline_import(m, K_FUNC, &is_import))
        return false;
    if (is_import)
        return close_paren(w);
    moatX_name_free(&w->locals);
    w->nlabels = 0;
    ok = func_type(w, true, &type, &s);
    moatU_free(s.types);
    if (!ok)
        return false;
    moatX_uleb(&m->sec[S_FUNC], type);
    m->nsec[S_FUNC]++;
    return func_body(m, s.nparams) && close_paren(w);
}

static bool
global_field(Mod *m)
{
    Wat     *w = m->w;
    uint32_t idx = m->next[SP_GLOBAL]++;
    bool     is_import;

    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    if (!inline_exports(m, K_GLOBAL, idx) ||
        !inline_import(m, K_GLOBAL, &is_import))
        return false;
    if (!is_import) {
        w->track = &m->sec[S_GLOBAL];
        w->track_sec = S_GLOBAL;
        bool ok = globaltype(w, &m->sec[S_GLOBAL]) &&
                  moatX_expr(w, &m->sec[S_GLOBAL]);
        w->track = NULL;
        if (!ok)
            return false;
        m->nsec[S_GLOBAL]++;
    }
    return close_paren(w);
}

static bool
export_field(Mod *m)
{
    static const char *const kws[] = { "func", "table", "memory", "global" };
    static const int sp[] = { SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL };
    Wat     *w = m->w;
    uint32_t idx;

    if (!moatX_utf8_string(w, &m->sec[S_EXPORT]) ||
        !moatX_expect(w, TK_LPAR, "'('"))
        return false;
    const Tok *kw = moatX_next(w);
    for (uint8_t k = 0; k < 4; k++) {
        if (!moatX_tok_is(kw, kws[k]))
            continue;
        if (!moatX_index(w, sp[k], &idx))
            return false;
        moatX_byte(&m->sec[S_EXPORT], k);
        moatX_uleb(&m->sec[S_EXPORT], idx);
        m->nsec[S_EXPORT]++;
        return close_paren(w) && close_paren(w);
    }
    return moatX_fail(w, kw, "expected an export kind");
}

static bool
start_field(Mod *m)
{
    uint32_t idx;

    if (m->has_start)
        return moatX_fail(m->w, moatX_peek(m->w, 0), "multiple start sections");
    if (!moatX_index(m->w, SP_FUNC, &idx))
        return false;
    moatX_uleb(&m->sec[S_START], idx);
    m->has_start = true;
    return close_paren(m->w);
}

static bool
table_field(Mod *m)
{
    Wat     *w = m->w;
    uint32_t idx = m->next[SP_TABLE]++;
    bool     is_import;
    uint8_t  rt;

    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    if (!inline_exports(m, K_TABLE, idx) ||
        !inline_import(m, K_TABLE, &is_import))
        return false;
    if (is_import)
        return close_paren(w);
    m->nsec[S_TABLE]++;
    if (!moatX_reftype(w, moatX_peek(w, 0), &rt))
        return tabletype(w, &m->sec[S_TABLE]) && close_paren(w);
    moatX_next(w);
    if (!moatX_lpar_kw(w, "elem"))
        return moatX_fail(w, moatX_peek(w, 0), "expected '(elem'");
    w->pos += 2;
    uint32_t n;
    if (!moatX_elem_inline(m, idx, rt, &n) || !close_paren(w))
        return false;
    moatX_byte(&m->sec[S_TABLE], rt);
    moatX_byte(&m->sec[S_TABLE], 0x01);
    moatX_uleb(&m->sec[S_TABLE], n);
    moatX_uleb(&m->sec[S_TABLE], n);
    return close_paren(w);
}

static bool
memory_field(Mod *m)
{
    Wat     *w = m->w;
    uint32_t idx = m->next[SP_MEM]++;
    bool     is_import;

    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    if (!inline_exports(m, K_MEM, idx) ||
        !inline_import(m, K_MEM, &is_import))
        return false;
    if (is_import)
        return close_paren(w);
    m->nsec[S_MEM]++;
    if (!moatX_lpar_kw(w, "data"))
        return memtype(w, &m->sec[S_MEM]) && close_paren(w);
    w->pos += 2;
    uint64_t len;
    if (!moatX_data_inline(m, idx, &len) || !close_paren(w))
        return false;
    uint64_t pages = (len + 65535) / 65536;
    moatX_byte(&m->sec[S_MEM], 0x01);
    moatX_uleb(&m->sec[S_MEM], pages);
    moatX_uleb(&m->sec[S_MEM], pages);
    return close_paren(w);
}

bool
moatX_field(Mod *m)
{
    static const struct {
        const char *kw;
        bool (*fn)(Mod *);
        uint8_t     sec;        /* where the field's own entry goes */
    } fields[] = {
        { "import", import_field, S_IMPORT }, { "func", func_field, S_FUNC },
        { "table", table_field, S_TABLE }, { "memory", memory_field, S_MEM },
        { "global", global_field, S_GLOBAL },
        { "export", export_field, S_EXPORT },
        { "start", start_field, S_START },
        { "elem", moatX_elem_field, S_ELEM },
        { "data", moatX_data_field, S_DATA },
    };
    Wat       *w = m->w;
    uint32_t   start = w->pos;
    const Tok *kw = moatX_peek(w, 1);

    if (moatX_tok_is(kw, "type"))               /* read by the first pass */
        return moatX_skip(w);
    w->pos += 2;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (moatX_tok_is(kw, fields[i].kw)) {
            uint8_t sec = fields[i].sec;
            moatX_mark_at(w, sec, m->sec[sec].n, &w->t[start]);
            bool ok = fields[i].fn(m);
            if (ok && w->is_oom)
                return nomem(w);
            return ok;
        }
    w->pos = start;
    return moatX_fail(w, kw, "expected a module field");
}
