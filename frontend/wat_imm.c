/* wat_imm.c - the immediates of plain instructions in the text format
 * (spec 6.5), written in binary: one function per immediate kind (Imm,
 * frontend.h), chosen by the kind opcodes.def gives each instruction.
 * Block types and labels are wat_insn.c's.
 */
#include <string.h>

#include "wat.h"
#include "util.h"

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
lane(Wat *w, int op, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   v;

    (void)op;
    if (!moatX_u32(t, &v) || v > 255)
        return moatX_fail(w, t, t->kind == TK_NUM ? "malformed lane index"
                                : "unexpected token, expected a lane index");
    moatX_byte(out, (uint8_t)v);
    moatX_next(w);
    return true;
}

static bool
v128_const(Wat *w, int op, Buf *out)
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

    (void)op;
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
local_imm(Wat *w, int op, Buf *out)
{
    const Tok *t = moatX_peek(w, 0);
    uint32_t   x;

    (void)op;
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
br_table(Wat *w, int op, Buf *out)
{
    Buf      labels = { 0 };
    uint32_t n = 0, x = 0, last = 0;

    (void)op;
    while (moatX_is_index(w)) {
        if (!moatX_label_index(w, &x)) {
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
call_indirect(Wat *w, int op, Buf *out)
{
    bool     ok = true, has_idx;
    uint32_t table = opt_index(w, SP_TABLE, &ok), idx = 0;
    FuncSig  s;

    (void)op;
    if (!ok || !moatX_typeuse(w, NAMES_NONE, &has_idx, &idx, &s))
        return false;
    ok = has_idx || moatX_type_for(w, &s, &idx);
    moatU_free(s.types);
    moatX_uleb(out, idx);
    moatX_uleb(out, table);
    return ok;
}

static bool
select_t(Wat *w, int op, Buf *out)
{
    uint8_t  t[64];
    uint32_t n = 0;

    (void)op;
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

static bool
label_imm(Wat *w, int op, Buf *out)
{
    uint32_t x;

    (void)op;
    if (!moatX_label_index(w, &x))
        return false;
    moatX_uleb(out, x);
    return true;
}

static bool
func_imm(Wat *w, int op, Buf *out)
{
    (void)op;
    return index_imm(w, SP_FUNC, out);
}

static bool
global_imm(Wat *w, int op, Buf *out)
{
    (void)op;
    return index_imm(w, SP_GLOBAL, out);
}

static bool
elem_imm(Wat *w, int op, Buf *out)
{
    (void)op;
    return index_imm(w, SP_ELEM, out);
}

static bool
data_imm(Wat *w, int op, Buf *out)
{
    (void)op;
    return index_imm(w, SP_DATA, out);
}

static bool
memarg_lane(Wat *w, int op, Buf *out)
{
    return memarg(w, op, out) && lane(w, op, out);
}

/* memory.size/grow/fill: the memory index byte; memory.copy: two */
static bool
mem_zero(Wat *w, int op, Buf *out)
{
    (void)w;
    moatX_bytes(out, "\0\0", moatD_ops[op].imm == IMM_MEMORY_COPY ? 2 : 1);
    return true;
}

static bool
memory_init(Wat *w, int op, Buf *out)
{
    (void)op;
    if (!index_imm(w, SP_DATA, out))
        return false;
    moatX_byte(out, 0);
    return true;
}

static bool
table_imm(Wat *w, int op, Buf *out)
{
    bool     ok = true;
    uint32_t x = opt_index(w, SP_TABLE, &ok);

    (void)op;
    moatX_uleb(out, x);
    return ok;
}

static bool
table_copy(Wat *w, int op, Buf *out)
{
    bool     ok = true;
    uint32_t x = opt_index(w, SP_TABLE, &ok);
    uint32_t y = ok && moatX_is_index(w) ? opt_index(w, SP_TABLE, &ok) : x;

    (void)op;
    moatX_uleb(out, x);
    moatX_uleb(out, y);
    return ok;
}

/* `table.init x? y`: with two indices the first is the table's */
static bool
table_init(Wat *w, int op, Buf *out)
{
    const Tok *second = moatX_peek(w, 1);
    uint32_t   v, x = 0, y;
    bool       ok = true;

    (void)op;
    if (second->kind == TK_ID || moatX_u32(second, &v))
        ok = moatX_index(w, SP_TABLE, &x);
    if (!ok || !moatX_index(w, SP_ELEM, &y))
        return false;
    moatX_uleb(out, y);
    moatX_uleb(out, x);
    return true;
}

static bool
shuffle(Wat *w, int op, Buf *out)
{
    for (int i = 0; i < 16; i++)
        if (!lane(w, op, out))
            return false;
    return true;
}

static bool
reftype_imm(Wat *w, int op, Buf *out)
{
    const Tok *t = moatX_next(w);

    (void)op;
    if (moatX_tok_is(t, "func"))
        moatX_byte(out, T_FUNCREF);
    else if (moatX_tok_is(t, "extern"))
        moatX_byte(out, T_EXTERNREF);
    else
        return moatX_fail(w, t, "expected func or extern");
    return true;
}

static bool
none(Wat *w, int op, Buf *out)
{
    (void)w, (void)op, (void)out;
    return true;
}

typedef bool (*ImmFn)(Wat *w, int op, Buf *out);

/* Imm (frontend.h) -> its text form; IMM_BLOCKTYPE is wat_insn.c's */
static const ImmFn imm_fn[] = {
    [IMM_NONE] = none, [IMM_LABEL] = label_imm, [IMM_BR_TABLE] = br_table,
    [IMM_FUNC] = func_imm, [IMM_CALL_INDIRECT] = call_indirect,
    [IMM_LOCAL] = local_imm, [IMM_GLOBAL] = global_imm,
    [IMM_MEMARG] = memarg, [IMM_MEMIDX] = mem_zero, [IMM_I32] = num_const,
    [IMM_I64] = num_const, [IMM_F32] = num_const, [IMM_F64] = num_const,
    [IMM_V128] = v128_const, [IMM_SHUFFLE] = shuffle, [IMM_LANE] = lane,
    [IMM_MEMARG_LANE] = memarg_lane, [IMM_SELECT_T] = select_t,
    [IMM_REFTYPE] = reftype_imm, [IMM_TABLE] = table_imm,
    [IMM_TABLE_COPY] = table_copy, [IMM_TABLE_INIT] = table_init,
    [IMM_ELEM] = elem_imm, [IMM_MEMORY_INIT] = memory_init,
    [IMM_DATA] = data_imm, [IMM_MEMORY_COPY] = mem_zero,
};

bool
moatX_immediates(Wat *w, int op, Buf *out)
{
    uint8_t imm = moatD_ops[op].imm;

    if (imm >= sizeof imm_fn / sizeof imm_fn[0] || !imm_fn[imm])
        return moatX_fail(w, moatX_peek(w, 0), "unexpected immediate");
    return imm_fn[imm](w, op, out);
}
