/* wat_insn.c - instructions in the text format (spec 6.5), flat and
 * folded, written in binary. Names and immediate kinds come from
 * opcodes.def (moatD_ops), the table the decoder reads too, so the two
 * formats cannot disagree about an instruction. Labels ($id or depth) are
 * resolved here; other indices through wat_parse.c.
 */
#include <string.h>

#include "wat.h"
#include "util.h"

/* Folded and block nesting deeper than this is refused, not recursed
 * into: the parser must not exhaust the C stack on any input. */
enum { MAX_DEPTH = 1000 };

static bool instr(Wat *w, Buf *out, uint32_t depth);
static bool instrs(Wat *w, Buf *out, uint32_t depth);

static bool
oom(Wat *w)
{
    w->is_oom = true;
    return moatU_fail(w->err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                      "out of memory");
}

bool
moatX_ops_init(Wat *w)
{
    bool dup;

    for (int i = 0; i < NOP_COUNT; i++) {
        const char *s = moatD_ops[i].text;
        if (!moatX_name_add(&w->ops, s, (uint32_t)strlen(s), (uint32_t)i,
                            &dup))
            return oom(w);      /* a second "select" (typed) is skipped */
    }
    return true;
}

static void
opcode(Buf *out, int op)
{
    const OpInfo *o = &moatD_ops[op];

    if (o->prefix) {
        moatX_byte(out, o->prefix);
        moatX_uleb(out, o->code);
    } else {
        moatX_byte(out, (uint8_t)o->code);
    }
}

/* --- labels --- */

static bool
push_label(Wat *w, const Tok *id)
{
    if (w->nlabels == w->caplabels) {
        uint32_t    cap = w->caplabels ? w->caplabels * 2 : 16;
        const Tok **p = moatU_realloc(w->labels, cap * sizeof *p);
        if (!p)
            return oom(w);
        w->labels = p;
        w->caplabels = cap;
    }
    w->labels[w->nlabels++] = id;
    return true;
}

bool
moatX_label_index(Wat *w, uint32_t *out)
{
    const Tok *t = moatX_peek(w, 0);

    if (t->kind == TK_ID) {
        for (uint32_t i = w->nlabels; i-- > 0;) {
            const Tok *l = w->labels[i];
            if (l && l->len == t->len && !memcmp(l->p, t->p, t->len)) {
                *out = w->nlabels - 1 - i;
                moatX_next(w);
                return true;
            }
        }
        return moatX_fail(w, t, "unknown label");
    }
    if (!moatX_u32(t, out))
        return moatX_fail(w, t, "expected a label");
    moatX_next(w);
    return true;
}

/* `end $l` / `else $l`: the label, if any, must be the block's. */
static bool
closing_label(Wat *w)
{
    const Tok *t = moatX_peek(w, 0), *l = w->labels[w->nlabels - 1];

    if (t->kind != TK_ID)
        return true;
    if (!l || l->len != t->len || memcmp(l->p, t->p, t->len))
        return moatX_fail(w, t, "mismatching label");
    moatX_next(w);
    return true;
}

/* A block type: the short forms (empty, one result) when they fit, as
 * wabt writes them, else a type index, implicit types added (6.5.2). */
static bool
block_type(Wat *w, Buf *out)
{
    bool     has_idx, ok = true;
    uint32_t idx;
    FuncSig  s;

    if (!moatX_typeuse(w, NAMES_NONE, &has_idx, &idx, &s))
        return false;
    if (s.nparams == 0 && s.nresults <= 1) {
        moatX_byte(out, s.nresults ? s.types[0] : 0x40);
    } else {
        ok = has_idx || moatX_type_for(w, &s, &idx);
        moatX_sleb(out, idx);
    }
    moatU_free(s.types);
    return ok;
}

/* A keyword that opens a clause, not an instruction: out of place. */
static bool
is_clause(const Tok *t)
{
    static const char *const kws[] = { "type", "param", "result", "local",
                                       "then", "export", "import" };

    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (moatX_tok_is(t, kws[i]))
            return true;
    return false;
}

/* The instruction named by the next token, or -1 (error recorded). */
static int
op_of(Wat *w)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   op;

    if (t->kind != TK_KEYWORD)
        return moatX_fail(w, t, "expected an instruction"), -1;
    if (!moatX_name_find(&w->ops, t->p, t->len, &op))
        return moatX_fail(w, t, is_clause(t) ? "unexpected token"
                                             : "unknown operator"), -1;
    if (op == OP_SELECT && moatX_peek(w, 1)->kind == TK_LPAR &&
        moatX_tok_is(moatX_peek(w, 2), "result"))
        op = OP_SELECT_T;
    if (op == OP_MEMORY_INIT || op == OP_DATA_DROP)
        w->uses_datacount = true;
    return (int)op;
}

/* A plain instruction, flat: name and immediates. */
static bool
plain(Wat *w, int op, Buf *out)
{
    moatX_mark(w, out, out->n, moatX_peek(w, 0));
    moatX_next(w);
    opcode(out, op);
    return moatX_immediates(w, op, out);
}

/* The instructions of an else branch; an empty one is left out of the
 * binary (no 0x05), as the reference interpreter and wabt write it. */
static bool
else_branch(Wat *w, Buf *out, uint32_t depth)
{
    size_t mark = out->n;

    moatX_byte(out, 0x05);
    if (!instrs(w, out, depth))
        return false;
    if (out->n == mark + 1 && !out->is_oom)
        out->n = mark;
    return true;
}

/* block, loop and if, in flat form, from the keyword to `end`. */
static bool
flat_block(Wat *w, int op, Buf *out, uint32_t depth)
{
    const Tok *label = NULL;

    moatX_mark(w, out, out->n, moatX_next(w));
    if (moatX_peek(w, 0)->kind == TK_ID)
        label = moatX_next(w);
    opcode(out, op);
    if (!block_type(w, out) || !push_label(w, label) ||
        !instrs(w, out, depth))
        return false;
    if (op == OP_IF && moatX_tok_is(moatX_peek(w, 0), "else")) {
        moatX_next(w);
        if (!closing_label(w) || !else_branch(w, out, depth))
            return false;
    }
    if (!moatX_tok_is(moatX_peek(w, 0), "end"))
        return moatX_fail(w, moatX_peek(w, 0), "expected 'end'");
    moatX_next(w);
    if (!closing_label(w))
        return false;
    moatX_byte(out, 0x0b);
    w->nlabels--;
    return true;
}

/* `(if label bt folded* (then instr*) (else instr*)?)`, after "(if". */
static bool
folded_if(Wat *w, const Tok *at, Buf *out, uint32_t depth)
{
    const Tok *label = NULL;
    Buf        bt = { 0 };
    bool       ok;

    if (moatX_peek(w, 0)->kind == TK_ID)
        label = moatX_next(w);
    ok = block_type(w, &bt);
    while (ok && moatX_peek(w, 0)->kind == TK_LPAR &&
           !moatX_lpar_kw(w, "then"))
        ok = instr(w, out, depth);
    moatX_mark(w, out, out->n, at);
    opcode(out, OP_IF);
    moatX_bytes(out, bt.p, bt.n);
    moatX_buf_free(&bt);
    if (!ok || !push_label(w, label))
        return false;
    if (!moatX_lpar_kw(w, "then"))
        return moatX_fail(w, moatX_peek(w, 0), "expected '(then'");
    w->pos += 2;
    if (!instrs(w, out, depth) || !moatX_expect(w, TK_RPAR, "')'"))
        return false;
    if (moatX_lpar_kw(w, "else")) {
        w->pos += 2;
        if (!else_branch(w, out, depth) ||
            !moatX_expect(w, TK_RPAR, "')'"))
            return false;
    }
    moatX_byte(out, 0x0b);
    w->nlabels--;
    return moatX_expect(w, TK_RPAR, "')'");
}

/* A folded instruction, from its '('. */
static bool
folded(Wat *w, Buf *out, uint32_t depth)
{
    moatX_next(w);
    int op = op_of(w);
    if (op < 0)
        return false;
    if (op == OP_BLOCK || op == OP_LOOP) {
        const Tok *label = NULL;
        moatX_mark(w, out, out->n, moatX_next(w));
        if (moatX_peek(w, 0)->kind == TK_ID)
            label = moatX_next(w);
        opcode(out, op);
        if (!block_type(w, out) || !push_label(w, label) ||
            !instrs(w, out, depth) || !moatX_expect(w, TK_RPAR, "')'"))
            return false;
        moatX_byte(out, 0x0b);
        w->nlabels--;
        return true;
    }
    if (op == OP_IF)
        return folded_if(w, moatX_next(w), out, depth);
    Buf        self = { 0 };
    const Tok *at = moatX_peek(w, 0);
    bool       ok = plain(w, op, &self);
    while (ok && moatX_peek(w, 0)->kind == TK_LPAR)
        ok = instr(w, out, depth);
    moatX_mark(w, out, out->n, at);
    moatX_bytes(out, self.p, self.n);
    if (self.is_oom)
        out->is_oom = true;
    moatX_buf_free(&self);
    return ok && moatX_expect(w, TK_RPAR, "')'");
}

static bool
instr(Wat *w, Buf *out, uint32_t depth)
{
    if (depth >= MAX_DEPTH)
        return moatX_fail(w, moatX_peek(w, 0), "nesting deeper than %d",
                          MAX_DEPTH);
    if (moatX_peek(w, 0)->kind == TK_LPAR)
        return folded(w, out, depth + 1);
    int op = op_of(w);
    if (op < 0)
        return false;
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF)
        return flat_block(w, op, out, depth + 1);
    return plain(w, op, out);
}

/* Instructions until ')', `end`, `else` or the end of input. */
static bool
instrs(Wat *w, Buf *out, uint32_t depth)
{
    for (;;) {
        const Tok *t = moatX_peek(w, 0);
        if (t->kind == TK_RPAR || t->kind == TK_EOF ||
            moatX_tok_is(t, "end") || moatX_tok_is(t, "else"))
            return true;
        if (!instr(w, out, depth))
            return false;
        if (out->is_oom)
            return oom(w);
    }
}

bool
moatX_instrs(Wat *w, Buf *out)
{
    if (!instrs(w, out, 0))
        return false;
    const Tok *t = moatX_peek(w, 0);
    if (t->kind != TK_RPAR)
        return moatX_fail(w, t, "expected an instruction or ')'");
    return true;
}

bool
moatX_instr1(Wat *w, Buf *out)
{
    return instr(w, out, 0) && (!out->is_oom || oom(w));
}

bool
moatX_expr(Wat *w, Buf *out)
{
    if (!moatX_instrs(w, out))
        return false;
    moatX_byte(out, 0x0b);
    return true;
}
