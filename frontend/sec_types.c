/* sec_types.c - pieces several sections share: value and reference types,
 * limits, table and global types, constant expressions (binary 5.3,
 * validation 3.2 and 3.3.10).
 */
#include "frontend.h"

bool
moatD_is_num_or_vec(uint8_t t)
{
    return t == T_I32 || t == T_I64 || t == T_F32 || t == T_F64 ||
           t == T_V128;
}

bool
moatD_is_ref(uint8_t t)
{
    return t == T_FUNCREF || t == T_EXTERNREF;
}

bool
moatD_is_valtype(uint8_t t)
{
    return moatD_is_num_or_vec(t) || moatD_is_ref(t);
}

/* A type byte 2.0 does not know: malformed, naming the WebAssembly 3.0
 * feature it belongs to when it has one (future.def). */
bool
moatD_future_type(Reader *r, uint64_t at, const char *what, uint8_t t)
{
    const char *text, *feature = moatD_future_byte(FUTURE_VALTYPE, t, &text);
    if (!feature)
        return moatD_malformed(r, at, "malformed %s type 0x%02x", what, t);
    return moatD_malformed(r, at, "malformed %s type 0x%02x: %s (%s, "
                           "WebAssembly 3.0) is not supported yet", what, t,
                           text, feature);
}

bool
moatD_valtype(Reader *r, uint8_t *out)
{
    uint64_t at = moatD_off(r);
    uint8_t  t;
    if (!moatD_byte(r, &t))
        return false;
    if (!moatD_is_valtype(t))
        return moatD_future_type(r, at, "value", t);
    *out = t;
    return true;
}

bool
moatD_reftype(Reader *r, uint8_t *out)
{
    uint64_t at = moatD_off(r);
    uint8_t  t;
    if (!moatD_byte(r, &t))
        return false;
    if (!moatD_is_ref(t))
        return moatD_future_type(r, at, "reference", t);
    *out = t;
    return true;
}

/* Limits: flag 0 = min only, 1 = min and max (binary 5.3.7); for memories
 * also 2 and 3, the same shared (threads proposal). bound is the largest
 * value validation allows (validation 3.2.1); MAX_PAGES means a memory. */
bool
moatD_limits(Decode *d, Limits *out, uint64_t bound, const char *what)
{
    Reader  *r = d->r;
    uint64_t at = moatD_off(r);
    uint8_t  flag;

    if (!moatD_byte(r, &flag))
        return false;
    if (flag & 0x80)                    /* read as a one-byte LEB128 */
        return moatD_malformed(r, at, "integer representation too long: "
                               "limits flag 0x%02x", flag);
    /* threads: 2 shared without maximum (invalid), 3 shared with one */
    bool shared = bound == MAX_PAGES && (flag == 2 || flag == 3);
    if (shared)
        flag &= 1;
    if (flag > 1 && moatD_future_limits(flag))
        return moatD_malformed(r, at, "integer too large: limits flag 0x%02x "
                               "(%s, WebAssembly 3.0, is not supported yet)",
                               flag, moatD_future_limits(flag));
    if (flag > 1)
        return moatD_malformed(r, at, "integer too large: limits flag 0x%02x",
                               flag);
    if (!moatD_u32(r, &out->min))
        return false;
    out->has_max = flag == 1;
    out->shared = shared;
    out->max = 0;
    if (out->has_max && !moatD_u32(r, &out->max))
        return false;
    if (shared && !out->has_max)
        moatD_invalid(d, at, "shared memory must have maximum");
    if (out->min > bound || (out->has_max && out->max > bound)) {
        if (bound == MAX_PAGES)
            moatD_invalid(d, at, "memory size must be at most 65536 pages "
                          "(4GiB)");
        else
            moatD_invalid(d, at, "%s size must be at most %llu", what,
                          (unsigned long long)bound);
    }
    if (out->has_max && out->min > out->max)
        moatD_invalid(d, at, "size minimum must not be greater than maximum "
                      "(%s %u > %u)", what, out->min, out->max);
    return true;
}

bool
moatD_tabletype(Decode *d, TableType *out)
{
    uint64_t at;
    if (!moatD_reftype(d->r, &out->elem))
        return false;
    at = moatD_off(d->r);
    if (!moatD_limits(d, &out->limits, MAX_TABLE, "table"))
        return false;
    /* a minimum above the maximum is invalid (the spec's words win) */
    const Limits *l = &out->limits;
    return (l->has_max && l->min > l->max) ||
           moatD_limit(d->r, at, LIM_TABLE_SIZE, l->min);
}

bool
moatD_globaltype(Reader *r, GlobalType *out)
{
    uint64_t at;
    uint8_t  mut;

    if (!moatD_valtype(r, &out->type))
        return false;
    at = moatD_off(r);
    if (!moatD_byte(r, &mut))
        return false;
    if (mut > 1)
        return moatD_malformed(r, at, "malformed mutability 0x%02x", mut);
    out->is_mut = mut == 1;
    return true;
}

/* One constant instruction: its type, or T_ANY when it is not constant. */
static uint8_t
const_insn(Decode *d, const Insn *in, ConstExpr *out, uint32_t nglobals)
{
    Module *m = d->m;

    /* idx only means something for ref.func and global.get: keep it 0
     * otherwise, so the same module always compiles to the same bytes */
    out->idx = (in->op == OP_REF_FUNC || in->op == OP_GLOBAL_GET) ? in->a : 0;
    switch (in->op) {
    case OP_I32_CONST: out->kind = CONST_I32; out->u.i32 = (uint32_t)in->bits;
                       return T_I32;
    case OP_I64_CONST: out->kind = CONST_I64; out->u.i64 = in->bits;
                       return T_I64;
    case OP_F32_CONST: out->kind = CONST_F32; out->u.i32 = (uint32_t)in->bits;
                       return T_F32;
    case OP_F64_CONST: out->kind = CONST_F64; out->u.i64 = in->bits;
                       return T_F64;
    case OP_V128_CONST:
        out->kind = CONST_V128;
        for (int i = 0; i < 16; i++)
            out->u.v128[i] = in->bytes[i];
        return T_V128;
    case OP_REF_NULL: out->kind = CONST_REF_NULL; return (uint8_t)in->a;
    case OP_REF_FUNC:
        out->kind = CONST_REF_FUNC;
        if (in->a >= m->nfuncs) {
            moatD_invalid(d, in->off, "unknown function %u", in->a);
            return T_ANY;
        }
        moatD_declare_ref(d, in->a);           /* NOMEM shows in r->err */
        return T_FUNCREF;
    case OP_GLOBAL_GET:
        out->kind = CONST_GLOBAL_GET;
        if (in->a >= nglobals) {
            moatD_invalid(d, in->off, "unknown global %u", in->a);
            return T_ANY;
        }
        if (m->globals[in->a].type.is_mut) {
            moatD_invalid(d, in->off, "constant expression required: "
                          "global.get of mutable global %u", in->a);
            return T_ANY;
        }
        return m->globals[in->a].type.type;
    default:
        moatD_invalid(d, in->off, "constant expression required: %s",
                      moatD_op_text(in->op));
        return T_ANY;
    }
}

/* An extended constant's operator (3.0): its ConstKind and type. */
static bool
extended_op(int op, uint8_t *kind, uint8_t *type)
{
    static const struct { int op; uint8_t kind, type; } ops[] = {
        { OP_I32_ADD, CONST_I32_ADD, T_I32 },
        { OP_I32_SUB, CONST_I32_SUB, T_I32 },
        { OP_I32_MUL, CONST_I32_MUL, T_I32 },
        { OP_I64_ADD, CONST_I64_ADD, T_I64 },
        { OP_I64_SUB, CONST_I64_SUB, T_I64 },
        { OP_I64_MUL, CONST_I64_MUL, T_I64 },
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (ops[i].op == op) {
            *kind = ops[i].kind;
            *type = ops[i].type;
            return true;
        }
    return false;
}

/* Typing of a constant expression as a stack machine: the types of the
 * values it has pushed and not popped. One instruction at a time. */
typedef struct ConstStack {
    uint32_t depth;
    bool     is_bad;            /* an error has been reported */
    uint8_t  t[LIM_CONST_OPS_MAX];
} ConstStack;

static uint8_t
const_top(const ConstStack *s, uint32_t from_top)
{
    return s->depth > from_top ? s->t[s->depth - 1 - from_top] : T_ANY;
}

/* One instruction of a constant expression into *op (NULL: not kept).
 * Extended operators pop two values of their type and push one. */
static void
const_step(Decode *d, const Insn *in, ConstExpr *op, ConstStack *s,
           uint32_t nglobals)
{
    uint8_t kind, type;
    if (extended_op(in->op, &kind, &type)) {
        if (const_top(s, 0) != type || const_top(s, 1) != type) {
            if (!s->is_bad)
                moatD_invalid(d, in->off, "type mismatch: %s needs two %s "
                              "values", moatD_op_text(in->op),
                              moatD_valtype_text(type));
            s->is_bad = true;
        }
        if (op)
            *op = (ConstExpr){ .kind = kind, .type = type };
        s->depth = s->depth >= 2 ? s->depth - 2 : 0;
        s->t[s->depth++] = type;
        return;
    }
    ConstExpr tmp;
    uint8_t   t = const_insn(d, in, op ? op : &tmp, nglobals);
    if (t == T_ANY)
        s->is_bad = true;
    s->t[s->depth++] = t;       /* depth <= ops <= LIM_CONST_OPS_MAX */
}

/* Reads instructions up to the matching `end`: one constant instruction
 * of type want (T_ANY: any type), or an extended constant expression. */
bool
moatD_const_expr(Decode *d, ConstExpr *out, uint8_t want, uint32_t nglobals)
{
    Reader    *r = d->r;
    uint64_t   at = moatD_off(r);
    uint32_t   n = 0, depth = 0;
    ConstStack st = { .depth = 0 };
    Insn       in;
    Reader     again = *r;          /* the second pass keeps the ops */

    for (;;) {                      /* pass 1: check and count */
        if (!moatD_insn(r, &in))
            return false;
        if (in.op == OP_END && depth == 0)
            break;
        if (in.op == OP_END)
            depth--;
        else if (in.op == OP_BLOCK || in.op == OP_LOOP || in.op == OP_IF)
            depth++;
        if (++n > LIM_CONST_OPS_MAX)
            return moatD_limit(r, in.off, LIM_CONST_OPS, n);
        const_step(d, &in, n == 1 ? out : NULL, &st, nglobals);
        if (moatU_failed(r->err))
            return false;                   /* NOMEM in declare_ref */
    }
    if (n == 0) {
        moatD_invalid(d, at, "type mismatch: empty constant expression");
        return true;
    }
    if (!st.is_bad && st.depth != 1)
        moatD_invalid(d, at, "type mismatch: constant expression leaves %u "
                      "values", st.depth);
    else if (!st.is_bad && want != T_ANY && const_top(&st, 0) != want)
        moatD_invalid(d, at, "type mismatch: constant expression has type "
                      "%s, expected %s", moatD_valtype_text(const_top(&st, 0)),
                      moatD_valtype_text(want));
    if (n > 1 && !st.is_bad && st.depth == 1) {     /* pass 2: the ops */
        ConstExpr *ops = moatD_array(d, n, sizeof *ops);
        if (!ops)
            return false;
        ConstStack s2 = { .depth = 0 };
        for (uint32_t k = 0; k < n; k++) {
            if (!moatD_insn(&again, &in))
                return false;
            const_step(d, &in, &ops[k], &s2, nglobals);
        }
        *out = (ConstExpr){ .kind = CONST_EXPR, .idx = n, .u.ops = ops };
    }
    out->type = const_top(&st, 0);
    return true;
}
