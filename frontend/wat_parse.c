/* wat_parse.c - the token stream the text parsers share: lookahead, errors
 * that name line and column, $id maps per index space, value types,
 * indices, type uses (6.6.3) and the implicit type definitions they add
 * (6.6.5). Modules are in wat_module.c, instructions in wat_insn.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wat.h"
#include "util.h"

const Tok *
moatX_peek(const Wat *w, uint32_t ahead)
{
    uint32_t at = w->pos + ahead;

    return &w->t[at < w->ntok ? at : w->ntok - 1];   /* t[ntok-1]: EOF */
}

const Tok *
moatX_next(Wat *w)
{
    const Tok *t = moatX_peek(w, 0);

    if (w->pos < w->ntok - 1)
        w->pos++;
    return t;
}

bool
moatX_fail(Wat *w, const Tok *t, const char *fmt, ...)
{
    char    msg[200], got[48], text[40];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t->kind == TK_EOF) {
        snprintf(got, sizeof got, "end of input");
    } else {
        size_t n = t->len < sizeof text - 1 ? t->len : sizeof text - 1;
        char   raw[40];
        memcpy(raw, t->p, n);
        raw[n] = 0;
        moatU_printable(text, sizeof text, raw);
        snprintf(got, sizeof got, "'%s%s'", text, t->len > n ? "..." : "");
    }
    return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_MALFORMED,
                      "%u:%u: %s, got %s", t->line, t->col, msg, got);
}

static const char *const kind_text[] = {
    [TK_EOF] = "end of input", [TK_LPAR] = "'('", [TK_RPAR] = "')'",
    [TK_KEYWORD] = "a keyword", [TK_ID] = "a $name", [TK_NUM] = "a number",
    [TK_STRING] = "a string", [TK_RESERVED] = "a token",
};

bool
moatX_expect(Wat *w, TokKind kind, const char *what)
{
    const Tok *t = moatX_peek(w, 0);

    if (t->kind != kind)
        return moatX_fail(w, t, "expected %s", what ? what : kind_text[kind]);
    moatX_next(w);
    return true;
}

void
moatX_mark_at(Wat *w, uint8_t sec, uint64_t off, const Tok *t)
{
    if (!w->want_pos)
        return;
    if (w->nmarks == w->capmarks) {
        uint32_t cap = w->capmarks ? w->capmarks * 2 : 256;
        Pos     *p = moatU_realloc(w->marks, cap * sizeof *p);
        if (!p) {
            w->is_oom = true;
            return;
        }
        w->marks = p;
        w->capmarks = cap;
    }
    w->marks[w->nmarks++] = (Pos){ off, t->line, t->col, sec };
}

void
moatX_mark(Wat *w, const void *out, size_t n, const Tok *t)
{
    if (out == w->track)
        moatX_mark_at(w, w->track_sec, n, t);
}

bool
moatX_lpar_kw(const Wat *w, const char *kw)
{
    return moatX_peek(w, 0)->kind == TK_LPAR &&
           moatX_tok_is(moatX_peek(w, 1), kw);
}

/* --- $id maps: open addressing, FNV-1a --- */

static uint32_t
hash(const char *p, uint32_t len)
{
    uint32_t h = 2166136261u;

    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static NameEnt *
slot(const NameMap *m, const char *p, uint32_t len)
{
    uint32_t i = hash(p, len) & (m->cap - 1);

    while (m->e[i].p && !(m->e[i].len == len && !memcmp(m->e[i].p, p, len)))
        i = (i + 1) & (m->cap - 1);
    return &m->e[i];
}

bool
moatX_name_add(NameMap *m, const char *p, uint32_t len, uint32_t idx,
               bool *dup)
{
    *dup = false;
    if ((m->n + 1) * 2 > m->cap) {
        NameMap big = { 0 };
        big.cap = m->cap ? m->cap * 2 : 16;
        big.e = moatU_calloc(big.cap, sizeof *big.e);
        if (!big.e)
            return false;
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->e[i].p)
                *slot(&big, m->e[i].p, m->e[i].len) = m->e[i];
        big.n = m->n;
        moatU_free(m->e);
        *m = big;
    }
    NameEnt *e = slot(m, p, len);
    if (e->p) {
        *dup = true;
        return true;
    }
    *e = (NameEnt){ p, len, idx };
    m->n++;
    return true;
}

bool
moatX_name_find(const NameMap *m, const char *p, uint32_t len,
                uint32_t *idx)
{
    if (m->cap == 0)
        return false;
    NameEnt *e = slot(m, p, len);
    if (!e->p)
        return false;
    *idx = e->idx;
    return true;
}

void
moatX_name_free(NameMap *m)
{
    moatU_free(m->e);
    *m = (NameMap){ 0 };
}

/* --- types and indices --- */

bool
moatX_reftype(Wat *w, const Tok *t, uint8_t *out)
{
    (void)w;
    if (moatX_tok_is(t, "funcref"))
        *out = T_FUNCREF;
    else if (moatX_tok_is(t, "externref"))
        *out = T_EXTERNREF;
    else
        return false;
    return true;
}

bool
moatX_valtype(Wat *w, uint8_t *out)
{
    static const struct { const char *text; uint8_t t; } vt[] = {
        { "i32", T_I32 }, { "i64", T_I64 }, { "f32", T_F32 },
        { "f64", T_F64 }, { "v128", T_V128 }, { "funcref", T_FUNCREF },
        { "externref", T_EXTERNREF },
    };
    const Tok *t = moatX_peek(w, 0);

    for (size_t i = 0; i < sizeof vt / sizeof vt[0]; i++)
        if (moatX_tok_is(t, vt[i].text)) {
            *out = vt[i].t;
            moatX_next(w);
            return true;
        }
    return moatX_fail(w, t, "expected a value type");
}

bool
moatX_is_index(const Wat *w)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   v;

    return t->kind == TK_ID || moatX_u32(t, &v);
}

static const char *const space_text[NSPACE] = {
    "type", "function", "table", "memory", "global", "elem segment",
    "data segment",
};

bool
moatX_index(Wat *w, int sp, uint32_t *out)
{
    const Tok *t = moatX_peek(w, 0);

    if (t->kind == TK_ID) {
        if (!moatX_name_find(&w->names[sp], t->p, t->len, out))
            return moatX_fail(w, t, "unknown %s", space_text[sp]);
    } else if (!moatX_u32(t, out)) {
        return moatX_fail(w, t, "expected a %s index", space_text[sp]);
    }
    moatX_next(w);
    return true;
}

static bool
sig_push(Wat *w, FuncSig *s, uint8_t t)
{
    uint32_t n = s->nparams + s->nresults;

    if ((n & (n - 1)) == 0 || n < 4) {       /* 0..4, then powers of two */
        uint32_t cap = n < 4 ? 4 : n * 2;
        uint8_t *p = moatU_realloc(s->types, cap);
        if (!p) {
            w->is_oom = true;
            return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory");
        }
        s->types = p;
    }
    s->types[n] = t;
    return true;
}

static bool
sig_equal(const FuncSig *a, const FuncSig *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           (a->nparams + a->nresults == 0 ||
            !memcmp(a->types, b->types, a->nparams + a->nresults));
}

bool
moatX_type_for(Wat *w, const FuncSig *sig, uint32_t *out)
{
    for (uint32_t i = 0; i < w->ntypes; i++)
        if (sig_equal(&w->types[i], sig)) {
            *out = i;
            return true;
        }
    return moatX_type_add(w, sig, out);
}

bool
moatX_type_add(Wat *w, const FuncSig *sig, uint32_t *out)
{
    if (w->ntypes == w->captypes) {
        uint32_t cap = w->captypes ? w->captypes * 2 : 16;
        FuncSig *p = moatU_realloc(w->types, cap * sizeof *p);
        if (!p)
            return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory");
        w->types = p;
        w->captypes = cap;
    }
    FuncSig  copy = { 0 };
    uint32_t n = sig->nparams + sig->nresults;
    if (n > 0) {
        copy.types = moatU_alloc(n);
        if (!copy.types)
            return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory");
        memcpy(copy.types, sig->types, n);
    }
    copy.nparams = sig->nparams;
    copy.nresults = sig->nresults;
    w->types[w->ntypes] = copy;
    *out = w->ntypes++;
    return true;
}

/* `(param $id t)` or `(param t*)`; the "(param" is consumed. Block
 * types and call_indirect take no names (NAMES_NONE). */
static bool
param(Wat *w, FuncSig *s, Names names)
{
    const Tok *id = moatX_peek(w, 0);
    bool       dup, bind = names == NAMES_BIND;

    if (id->kind == TK_ID) {
        uint8_t t;
        if (names == NAMES_NONE)
            return moatX_fail(w, id, "unexpected token (no parameter names "
                              "here)");
        moatX_next(w);
        if (!moatX_valtype(w, &t))
            return false;
        if (bind) {
            if (!moatX_name_add(&w->locals, id->p, id->len, s->nparams,
                                &dup))
                return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                                  "out of memory");
            if (dup)
                return moatX_fail(w, id, "duplicate local");
        }
        if (!sig_push(w, s, t))
            return false;
        s->nparams++;
        return moatX_expect(w, TK_RPAR, "')'");
    }
    while (moatX_peek(w, 0)->kind != TK_RPAR) {
        uint8_t t;
        if (!moatX_valtype(w, &t) || !sig_push(w, s, t))
            return false;
        s->nparams++;
    }
    moatX_next(w);
    return true;
}

static bool typeuse(Wat *w, Names names, bool *has_idx, uint32_t *idx,
                    FuncSig *s);

bool
moatX_typeuse(Wat *w, Names names, bool *has_idx, uint32_t *idx, FuncSig *s)
{
    *s = (FuncSig){ 0 };
    if (typeuse(w, names, has_idx, idx, s))
        return true;
    moatU_free(s->types);
    *s = (FuncSig){ 0 };
    return false;
}

static bool
typeuse(Wat *w, Names names, bool *has_idx, uint32_t *idx, FuncSig *s)
{
    const Tok *at = moatX_peek(w, 0);

    *has_idx = false;
    if (moatX_lpar_kw(w, "type")) {
        w->pos += 2;
        if (!moatX_index(w, SP_TYPE, idx) ||
            !moatX_expect(w, TK_RPAR, "')'"))
            return false;
        *has_idx = true;
    }
    while (moatX_lpar_kw(w, "param")) {
        w->pos += 2;
        if (!param(w, s, names))
            return false;
    }
    while (moatX_lpar_kw(w, "result")) {
        w->pos += 2;
        while (moatX_peek(w, 0)->kind != TK_RPAR) {
            uint8_t t;
            if (!moatX_valtype(w, &t) || !sig_push(w, s, t))
                return false;
            s->nresults++;
        }
        moatX_next(w);
    }
    if (!*has_idx)
        return true;
    /* an unknown index alone is the validator's to reject */
    if (*idx >= w->ntypes && (s->nparams || s->nresults))
        return moatX_fail(w, at, "unknown type %u", *idx);
    if (*idx >= w->ntypes)
        return true;
    FuncSig *def = &w->types[*idx];
    if ((s->nparams || s->nresults) && !sig_equal(def, s))
        return moatX_fail(w, at, "inline function type does not match "
                          "(type %u)", *idx);
    moatU_free(s->types);
    *s = *def;
    s->types = NULL;            /* a copy of def's follows */
    if (s->nparams + s->nresults) {
        s->types = moatU_alloc(s->nparams + s->nresults);
        if (!s->types)
            return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory");
        memcpy(s->types, def->types, s->nparams + s->nresults);
    }
    return true;
}

bool
moatX_utf8_string(Wat *w, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    size_t     n;

    if (t->kind != TK_STRING || !moatX_string(t, NULL, 0, &n))
        return moatX_fail(w, t, "expected a string");
    uint8_t *p = moatU_alloc(n ? n : 1);
    if (!p)
        return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    moatX_string(t, p, n, &n);
    bool ok = moatD_utf8_valid(p, n);
    if (ok)
        moatX_name(out, p, n);
    moatU_free(p);
    if (!ok)
        return moatX_fail(w, t, "malformed UTF-8 encoding");
    moatX_next(w);
    return true;
}
