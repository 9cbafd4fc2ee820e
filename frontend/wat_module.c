/* wat_module.c - a text module (spec 6.6) in two passes. The first gives
 * each field its index and $id in every index space (so a name may be used
 * before its definition), reads the explicit type definitions and checks
 * that imports come first; the second (wat_fields.c) writes each field
 * into its section. Then the sections are put in binary order (5.5.2),
 * empty ones left out, as wabt writes them.
 */
#include <string.h>

#include "wat.h"
#include "util.h"

bool
moatX_skip(Wat *w)
{
    uint32_t depth = 0;

    do {
        const Tok *t = moatX_next(w);
        if (t->kind == TK_EOF)
            return moatX_fail(w, t, "expected ')'");
        depth += t->kind == TK_LPAR;
        depth -= t->kind == TK_RPAR;
    } while (depth > 0);
    return true;
}

static const char *const dup_text[NSPACE] = {
    "type", "func", "table", "memory", "global", "elem", "data",
};

static bool
add_name(Wat *w, int sp, const Tok *id)
{
    bool dup;

    if (id->kind == TK_ID) {
        if (!moatX_name_add(&w->names[sp], id->p, id->len, w->count[sp],
                            &dup))
            return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                              "out of memory");
        if (dup)
            return moatX_fail(w, id, "duplicate %s", dup_text[sp]);
    }
    w->count[sp]++;
    return true;
}

/* `(type $id? (func (param ...)* (result ...)*))`, after "(type". */
static bool
scan_type(Wat *w)
{
    const Tok *id = moatX_peek(w, 0);
    FuncSig    s;
    bool       has_idx;
    uint32_t   idx, got;

    if (id->kind == TK_ID)
        moatX_next(w);
    if (!moatX_lpar_kw(w, "func"))
        return moatX_fail(w, moatX_peek(w, 0), "expected '(func'");
    w->pos += 2;
    if (!moatX_typeuse(w, NAMES_IGNORE, &has_idx, &idx, &s))
        return false;
    if (has_idx) {
        moatU_free(s.types);
        return moatX_fail(w, id, "unexpected (type) in a type definition");
    }
    /* explicit definitions are never merged: appended even when equal */
    bool ok = moatX_type_add(w, &s, &got);
    moatU_free(s.types);
    if (!ok)
        return false;
    w->nexplicit = w->ntypes;
    return add_name(w, SP_TYPE, id) && moatX_expect(w, TK_RPAR, "')'") &&
           moatX_expect(w, TK_RPAR, "')'");
}

static int
space_of(const Tok *kw)
{
    static const char *const kws[] = { "func", "table", "memory", "global" };
    static const int sp[] = { SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL };

    for (int i = 0; i < 4; i++)
        if (moatX_tok_is(kw, kws[i]))
            return sp[i];
    return -1;
}

/* func, table, memory, global: an import (inline or not) or a definition;
 * tables and memories may define an elem or data segment inline. */
static const char *const def_text[NSPACE] = {
    [SP_FUNC] = "function", [SP_TABLE] = "table", [SP_MEM] = "memory",
    [SP_GLOBAL] = "global",
};

static bool
scan_entity(Wat *w, int sp, const char **def)
{
    const Tok *id = moatX_peek(w, 0);

    if (id->kind == TK_ID)
        moatX_next(w);
    while (moatX_lpar_kw(w, "export"))
        if (!moatX_skip(w))
            return false;
    if (moatX_lpar_kw(w, "import")) {
        if (*def)
            return moatX_fail(w, moatX_peek(w, 1), "import after %s", *def);
        return add_name(w, sp, id);
    }
    if (!*def)
        *def = def_text[sp];
    uint8_t rt;
    if (sp == SP_TABLE && moatX_reftype(w, moatX_peek(w, 0), &rt)) {
        w->pos++;
        if (moatX_lpar_kw(w, "elem"))
            w->count[SP_ELEM]++;
    }
    if (sp == SP_MEM && moatX_lpar_kw(w, "data"))
        w->count[SP_DATA]++;
    return add_name(w, sp, id);
}

static bool
scan_field(Wat *w, const char **def)
{
    uint32_t   start = w->pos;
    const Tok *kw;
    int        sp;

    if (!moatX_expect(w, TK_LPAR, "'(' (a module field)"))
        return false;
    kw = moatX_next(w);
    if (moatX_tok_is(kw, "type")) {
        return scan_type(w);
    } else if (moatX_tok_is(kw, "import")) {
        if (!moatX_expect(w, TK_STRING, "a module name") ||
            !moatX_expect(w, TK_STRING, "an import name") ||
            !moatX_expect(w, TK_LPAR, "'('"))
            return false;
        const Tok *desc = moatX_next(w);
        if ((sp = space_of(desc)) < 0)
            return moatX_fail(w, desc, "expected an import kind");
        if (*def)
            return moatX_fail(w, kw, "import after %s", *def);
        if (!add_name(w, sp, moatX_peek(w, 0)))
            return false;
    } else if ((sp = space_of(kw)) >= 0) {
        if (!scan_entity(w, sp, def))
            return false;
    } else if (moatX_tok_is(kw, "elem") || moatX_tok_is(kw, "data")) {
        if (!add_name(w, kw->p[0] == 'e' ? SP_ELEM : SP_DATA,
                      moatX_peek(w, 0)))
            return false;
    } else if (!moatX_tok_is(kw, "export") && !moatX_tok_is(kw, "start")) {
        return moatX_fail(w, kw, "expected a module field");
    }
    w->pos = start;
    return moatX_skip(w);
}

static void
write_types(Wat *w, Mod *m)
{
    for (uint32_t i = 0; i < w->ntypes; i++) {
        const FuncSig *s = &w->types[i];
        moatX_byte(&m->sec[S_TYPE], 0x60);
        moatX_uleb(&m->sec[S_TYPE], s->nparams);
        moatX_bytes(&m->sec[S_TYPE], s->types, s->nparams);
        moatX_uleb(&m->sec[S_TYPE], s->nresults);
        if (s->nresults)            /* types is NULL for [] -> [] */
            moatX_bytes(&m->sec[S_TYPE], s->types + s->nparams, s->nresults);
    }
    m->nsec[S_TYPE] = w->ntypes;
}

static void
assemble(Mod *m, Buf *out)
{
    static const uint8_t order[] = { S_TYPE, S_IMPORT, S_FUNC, S_TABLE,
        S_MEM, S_GLOBAL, S_EXPORT, S_START, S_ELEM, S_DATACOUNT, S_CODE,
        S_DATA };

    uint64_t start[NSEC] = { 0 };       /* where each section's entries
                                         * begin in out */

    moatX_bytes(out, "\0asm\1\0\0\0", 8);
    for (size_t i = 0; i < sizeof order; i++) {
        uint8_t id = order[i];
        Buf     body = { 0 };
        if (id == S_START) {
            start[S_START] = out->n + 2;    /* id, size */
            if (m->has_start)
                moatX_section(out, S_START, &m->sec[S_START]);
            continue;
        }
        if (id == S_DATACOUNT) {
            /* as wabt: only when an instruction needs it and there are
             * data segments (else the validator names the real fault) */
            if (!m->w->uses_datacount || m->w->count[SP_DATA] == 0)
                continue;
            moatX_uleb(&body, m->w->count[SP_DATA]);
        } else {
            if (m->nsec[id] == 0)
                continue;
            moatX_uleb(&body, m->nsec[id]);
            moatX_bytes(&body, m->sec[id].p, m->sec[id].n);
            if (m->sec[id].is_oom)
                body.is_oom = true;
        }
        /* after the id, size and count */
        start[id] = out->n + 1 + moatX_uleb_len(body.n) +
                    moatX_uleb_len(m->nsec[id]);
        moatX_section(out, id, &body);
        moatX_buf_free(&body);
    }
    for (uint32_t i = 0; i < m->w->nmarks; i++)
        m->w->marks[i].off += start[m->w->marks[i].sec];
}

/* The fields up to the closing ')' (or the end of input, bare). */
static bool
fields(Wat *w, Buf *out, bool bare)
{
    uint32_t start = w->pos;
    const char *def = NULL;     /* the first definition's kind */
    bool     ok = true;
    Mod      m = { .w = w };
    TokKind  stop = bare ? TK_EOF : TK_RPAR;

    while (ok && moatX_peek(w, 0)->kind != stop)
        ok = scan_field(w, &def);
    w->pos = start;
    while (ok && moatX_peek(w, 0)->kind != stop)
        ok = moatX_field(&m);
    if (ok) {
        write_types(w, &m);
        assemble(&m, out);
    }
    for (int i = 0; i < NSEC; i++) {
        if (m.sec[i].is_oom)
            out->is_oom = true;
        moatX_buf_free(&m.sec[i]);
    }
    if (ok && out->is_oom)
        return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    return ok;
}

/* The script forms `(module binary "..."*)` and `(module quote "..."*)`
 * (spec interpreter's script syntax): the strings' bytes are the module,
 * in binary or in text; after the keyword. */
static bool
script_module(Wat *w, Buf *out, bool is_quote)
{
    Buf bytes = { 0 };

    while (moatX_peek(w, 0)->kind == TK_STRING) {
        const Tok *t = moatX_next(w);
        size_t     n;
        if (!moatX_string(t, NULL, 0, &n))
            return moatX_buf_free(&bytes), moatX_fail(w, t, "bad string");
        uint8_t *p = moatU_alloc(n ? n : 1);
        if (!p)
            break;
        moatX_string(t, p, n, &n);
        moatX_bytes(&bytes, p, n);
        moatU_free(p);
    }
    bool ok = !bytes.is_oom && moatX_peek(w, 0)->kind != TK_STRING;
    if (!ok) {
        moatX_buf_free(&bytes);
        return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    }
    if (!is_quote) {
        moatX_bytes(out, bytes.p, bytes.n);
    } else {
        uint8_t   *bin;
        size_t     n;
        moat_error err = { 0 };
        /* errors inside the quote: its own line and column, said so */
        ok = moatX_wat_to_wasm(bytes.n ? (const char *)bytes.p : "",
                               bytes.n, &bin, &n, &err);
        if (ok)
            moatX_bytes(out, bin, n);
        else
            moatU_fail(w->err, MOAT_NO_OFFSET, err.code,
                       "%s (in the quoted module)", err.msg);
        moatU_free(bin);
    }
    moatX_buf_free(&bytes);
    return ok && moatX_expect(w, TK_RPAR, "')'");
}

bool
moatX_module(Wat *w, Buf *out)
{
    if (!moatX_lpar_kw(w, "module"))
        return fields(w, out, true);
    w->pos += 2;
    if (moatX_peek(w, 0)->kind == TK_ID)
        moatX_next(w);
    if (moatX_tok_is(moatX_peek(w, 0), "binary") ||
        moatX_tok_is(moatX_peek(w, 0), "quote"))
        return script_module(w, out, moatX_next(w)->p[0] == 'q');
    return fields(w, out, false) && moatX_expect(w, TK_RPAR, "')'");
}
