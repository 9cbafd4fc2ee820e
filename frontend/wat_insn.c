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

static bool
label_index(Wat *w, uint32_t *out)
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

/* --- immediates --- */

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

static bool
memarg(Wat *w, int op, Buf *out)
{
    unsigned   n = moatD_ops[op].n;
    uint64_t   offset = 0, align;

    /* lane instructions: n is the lane count, the natural alignment the
     * lane's size (16 lanes: 1 byte ... 2 lanes: 8 bytes) */
    if (moatD_ops[op].imm == IMM_MEMARG_LANE)
        n = n == 16 ? 0 : n == 8 ? 1 : n == 4 ? 2 : 3;
    align = UINT64_C(1) << n;
    const Tok *t = moatX_peek(w, 0);

    if (t->kind == TK_KEYWORD && t->len > 7 && !memcmp(t->p, "offset=", 7)) {
        Tok v = { t->p + 7, t->len - 7, t->line, t->col + 7, TK_NUM };
        if (!moatX_u64(&v, &offset) || offset > UINT32_MAX)
            return moatX_fail(w, t, moatX_num_shape(&v)
                              ? "i32 constant out of range in offset="
                              : "unknown operator (offset=N, N a u32)");
        moatX_next(w);
        t = moatX_peek(w, 0);
    }
    if (t->kind == TK_KEYWORD && t->len > 6 && !memcmp(t->p, "align=", 6)) {
        Tok v = { t->p + 6, t->len - 6, t->line, t->col + 6, TK_NUM };
        if (!moatX_u64(&v, &align) || align > UINT32_MAX)
            return moatX_fail(w, t, moatX_num_shape(&v)
                              ? "i32 constant out of range in align="
                              : "unknown operator (align=N, N a u32)");
        if (align == 0 || (align & (align - 1)))
            return moatX_fail(w, t, "alignment must be a power of two");
        moatX_next(w);
    }
    unsigned log2 = 0;
    while ((UINT64_C(1) << log2) < align)
        log2++;
    moatX_uleb(out, log2);
    moatX_uleb(out, offset);
    return true;
}

static bool
lane(Wat *w, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   v;

    if (!moatX_u32(t, &v) || v > 255)
        return moatX_fail(w, t, t->kind == TK_NUM ? "malformed lane index"
                                : "unexpected token, expected a lane index");
    moatX_byte(out, (uint8_t)v);
    moatX_next(w);
    return true;
}

static bool
v128_const(Wat *w, Buf *out)
{
    static const struct {
        const char *shape;
        unsigned    n, bytes;
        bool        is_float;
    } sh[] = {
        { "i8x16", 16, 1, false }, { "i16x8", 8, 2, false },
        { "i32x4", 4, 4, false }, { "i64x2", 2, 8, false },
        { "f32x4", 4, 4, true }, { "f64x2", 2, 8, true },
    };
    const Tok *t = moatX_next(w);
    size_t     k = 0;

    while (k < 6 && !moatX_tok_is(t, sh[k].shape))
        k++;
    if (k == 6)
        return moatX_fail(w, t, "expected a vector shape (i8x16 ... f64x2)");
    for (unsigned i = 0; i < sh[k].n; i++) {
        const Tok *v = moatX_peek(w, 0);
        uint64_t   bits = 0;
        uint32_t   f = 0;
        bool       ok;
        if (!sh[k].is_float)
            ok = moatX_int(v, sh[k].bytes * 8, &bits);
        else if (sh[k].bytes == 4)
            ok = moatX_f32(v, &f), bits = f;
        else
            ok = moatX_f64(v, &bits);
        if (!ok)
            return moatX_fail(w, v, moatX_num_shape(v)
                              ? "constant out of range for a %s lane"
                              : v->kind == TK_NUM
                              ? "unknown operator (malformed %s lane)"
                              : "unexpected token, expected a %s lane",
                              sh[k].shape);
        for (unsigned b = 0; b < sh[k].bytes; b++)
            moatX_byte(out, (uint8_t)(bits >> (8 * b)));
        moatX_next(w);
    }
    return true;
}

static bool
num_const(Wat *w, int op, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    uint64_t   v = 0;
    uint32_t   f;
    bool       ok;

    switch (moatD_ops[op].imm) {
    case IMM_I32:
        ok = moatX_int(t, 32, &v);
        if (ok)
            moatX_sleb(out, (int32_t)(uint32_t)v);
        break;
    case IMM_I64:
        ok = moatX_int(t, 64, &v);
        if (ok)
            moatX_sleb(out, (int64_t)v);
        break;
    case IMM_F32:
        ok = moatX_f32(t, &f);
        for (unsigned b = 0; ok && b < 4; b++)
            moatX_byte(out, (uint8_t)(f >> (8 * b)));
        break;
    default:
        ok = moatX_f64(t, &v);
        for (unsigned b = 0; ok && b < 8; b++)
            moatX_byte(out, (uint8_t)(v >> (8 * b)));
        break;
    }
    if (!ok)
        return moatX_fail(w, t, moatX_num_shape(t) ? "constant out of range"
                                : t->kind == TK_NUM
                                ? "unknown operator (malformed number)"
                                : "unexpected token, expected a number");
    moatX_next(w);
    return true;
}

static bool
index_imm(Wat *w, int sp, Buf *out)
{
    uint32_t x;

    if (!moatX_index(w, sp, &x))
        return false;
    moatX_uleb(out, x);
    return true;
}

/* An index that may be left out (then 0): table.get, table.copy, ... */
static uint32_t
opt_index(Wat *w, int sp, bool *ok)
{
    uint32_t x = 0;

    if (moatX_is_index(w))
        *ok = moatX_index(w, sp, &x);
    return x;
}

static bool
local_imm(Wat *w, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   x;

    if (t->kind == TK_ID) {
        if (!moatX_name_find(&w->locals, t->p, t->len, &x))
            return moatX_fail(w, t, "unknown local");
    } else if (!moatX_u32(t, &x)) {
        return moatX_fail(w, t, "expected a local index");
    }
    moatX_uleb(out, x);
    moatX_next(w);
    return true;
}

static bool
br_table(Wat *w, Buf *out)
{
    Buf      labels = { 0 };
    uint32_t n = 0, x = 0, last = 0;

    while (moatX_is_index(w)) {
        if (!label_index(w, &x)) {
            moatX_buf_free(&labels);
            return false;
        }
        if (n++)
            moatX_uleb(&labels, last);
        last = x;
    }
    if (n == 0)
        return moatX_fail(w, moatX_peek(w, 0), "expected a label");
    moatX_uleb(out, n - 1);
    moatX_bytes(out, labels.p, labels.n);
    moatX_uleb(out, last);
    if (labels.is_oom)
        out->is_oom = true;
    moatX_buf_free(&labels);
    return true;
}

static bool
call_indirect(Wat *w, Buf *out)
{
    bool     ok = true, has_idx;
    uint32_t table = opt_index(w, SP_TABLE, &ok), idx = 0;
    FuncSig  s;

    if (!ok || !moatX_typeuse(w, NAMES_NONE, &has_idx, &idx, &s))
        return false;
    ok = has_idx || moatX_type_for(w, &s, &idx);
    moatU_free(s.types);
    moatX_uleb(out, idx);
    moatX_uleb(out, table);
    return ok;
}

static bool
select_t(Wat *w, Buf *out)
{
    uint8_t t[64];
    uint32_t n = 0;

    while (moatX_lpar_kw(w, "result")) {
        w->pos += 2;
        while (moatX_peek(w, 0)->kind != TK_RPAR) {
            if (n == sizeof t)
                return moatX_fail(w, moatX_peek(w, 0), "too many types");
            if (!moatX_valtype(w, &t[n++]))
                return false;
        }
        moatX_next(w);
    }
    moatX_uleb(out, n);
    moatX_bytes(out, t, n);
    return true;
}

/* The immediates of a plain instruction (not block, loop, if). */
static bool
immediates(Wat *w, int op, Buf *out)
{
    bool     ok = true;
    uint32_t x, y;

    switch (moatD_ops[op].imm) {
    case IMM_NONE:
        return true;
    case IMM_LABEL:
        if (!label_index(w, &x))
            return false;
        moatX_uleb(out, x);
        return true;
    case IMM_BR_TABLE:      return br_table(w, out);
    case IMM_FUNC:          return index_imm(w, SP_FUNC, out);
    case IMM_CALL_INDIRECT: return call_indirect(w, out);
    case IMM_LOCAL:         return local_imm(w, out);
    case IMM_GLOBAL:        return index_imm(w, SP_GLOBAL, out);
    case IMM_ELEM:          return index_imm(w, SP_ELEM, out);
    case IMM_DATA:          return index_imm(w, SP_DATA, out);
    case IMM_MEMARG:        return memarg(w, op, out);
    case IMM_MEMARG_LANE:   return memarg(w, op, out) && lane(w, out);
    case IMM_LANE:          return lane(w, out);
    case IMM_V128:          return v128_const(w, out);
    case IMM_SELECT_T:      return select_t(w, out);
    case IMM_I32: case IMM_I64: case IMM_F32: case IMM_F64:
        return num_const(w, op, out);
    case IMM_MEMIDX:
        moatX_byte(out, 0);
        return true;
    case IMM_MEMORY_COPY:
        moatX_bytes(out, "\0\0", 2);
        return true;
    case IMM_MEMORY_INIT:
        if (!index_imm(w, SP_DATA, out))
            return false;
        moatX_byte(out, 0);
        return true;
    case IMM_TABLE:
        x = opt_index(w, SP_TABLE, &ok);
        moatX_uleb(out, x);
        return ok;
    case IMM_TABLE_COPY:
        x = opt_index(w, SP_TABLE, &ok);
        y = ok && moatX_is_index(w) ? opt_index(w, SP_TABLE, &ok) : x;
        moatX_uleb(out, x);
        moatX_uleb(out, y);
        return ok;
    case IMM_TABLE_INIT: {
        const Tok *second = moatX_peek(w, 1);
        uint32_t   v;
        x = 0;
        if (second->kind == TK_ID || moatX_u32(second, &v))
            ok = moatX_index(w, SP_TABLE, &x);
        if (!ok || !moatX_index(w, SP_ELEM, &y))
            return false;
        moatX_uleb(out, y);
        moatX_uleb(out, x);
        return true;
    }
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            if (!lane(w, out))
                return false;
        return true;
    case IMM_REFTYPE: {
        const Tok *t = moatX_next(w);
        if (moatX_tok_is(t, "func"))
            moatX_byte(out, T_FUNCREF);
        else if (moatX_tok_is(t, "extern"))
            moatX_byte(out, T_EXTERNREF);
        else
            return moatX_fail(w, t, "expected func or extern");
        return true;
    }
    default:
        return moatX_fail(w, moatX_peek(w, 0), "unexpected immediate");
    }
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
    return immediates(w, op, out);
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
