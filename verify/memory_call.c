/* memory_call.c - the indirect-call rule (docs/verify.md), on the memory
 * rule's dataflow. A funcref loaded from a table's elems (the memory rule
 * proves the index below the table's size) gets an id: the offset of the
 * load in the function, + 1. The values read from it after its null check
 * (its code, its type id) carry the same id, and an equal compare of its
 * type id with a canonical type id of the context area (abi.h: the
 * module's types) marks every value of that id "typed". When the load at
 * that offset runs again, the values of the older funcref lose their id
 * first, so on every path one id names one funcref. A call through a
 * register or memory must reach a typed funcref's code (or the table's
 * code hint, codes[i], after an equal 64-bit compare with that code), an
 * imported function's code (its type was matched at link time), or, in a
 * trampoline, the code the runtime passed it.
 */
#include <stddef.h>

#include "memory.h"

static bool
ref_kind(uint8_t k)
{
    return k == A_REFNULL || k == A_REF || k == A_RCODE || k == A_RTYPE ||
           k == A_RCTX;
}

static bool
same_ref(AVal v, int64_t id)
{
    return ref_kind(v.k) && (v.c & ~REF_TYPED) == id;
}

/* v says something of the value loaded with id (a funcref or a hint). */
static bool
mentions(AVal v, int64_t id)
{
    if (v.k == A_BOOL || v.k == A_NBOOL)
        return (v.c & ID_MASK) == id || (v.c >> ID_BITS & ID_MASK) == id ||
               (v.c >> 2 * ID_BITS & ID_MASK) == id;
    return same_ref(v, id) || (v.k == A_HINT && v.c == id);
}

/* The id of a load at the instruction being followed; 0: none (a
 * function too large: the value is then not followed). */
static int64_t
load_id(const MS *ms)
{
    uint64_t id = ms->at - ms->f->lo + 1;

    return id < (uint64_t)PHI_ID ? (int64_t)id : 0;
}

AVal
moatK_ref_join(AVal a, AVal b)
{
    if (!ref_kind(a.k) || !ref_kind(b.k))
        return moatK_top();
    /* typed on both paths; two funcrefs: one of them, no id (id 0 is
     * never typed: it stays a valid funcref to read, not to call) */
    int64_t c = ((a.c ^ b.c) & ~REF_TYPED) == 0 ? a.c & b.c : 0;
    if (a.k == b.k)
        return (AVal){ a.k, c, 0 };
    if ((a.k == A_REF && b.k == A_REFNULL) ||
        (a.k == A_REFNULL && b.k == A_REF))
        return (AVal){ A_REFNULL, c, 0 };
    return moatK_top();
}

AVal
moatK_ref_loaded(const MS *ms)
{
    int64_t id = load_id(ms);

    return id ? (AVal){ A_REFNULL, id, 0 } : moatK_top();
}

/* Register r was just loaded: when with an id, every older value that
 * says something of that id is forgotten. */
void
moatK_ref_fresh(const MS *ms, AState *st, int r)
{
    int64_t id = load_id(ms);

    if (!id || (st->r[r].k != A_REFNULL && st->r[r].k != A_HINT) ||
        st->r[r].c != id)
        return;
    moatK_tmap_forget(st, id);
    for (int k = 0; k < 16; k++)
        if (k != r && mentions(st->r[k], id))
            st->r[k] = moatK_top();
    for (uint32_t i = 0; i < st->nslot; i++)
        if (mentions(st->sval[i], id)) {
            st->sval[i] = moatK_top();
            st->seq[i] = -1;
        }
    moatK_slot_compact(st);
}

/* 4-byte loads the rule follows: a funcref's type id, a canonical type
 * id of the context area; else (k = A_TOP) the caller's bound. */
AVal
moatK_load32_kind(const MS *ms, const Addr *a)
{
    const KDesc *d = ms->d;

    if (!a->has_b || a->has_i)
        return moatK_top();
    if (a->b.k == A_TABLE && a->disp == (int64_t)offsetof(MoatTable, size))
        return (AVal){ A_TSIZE, a->b.c, 0 };
    if (a->b.k == A_REF &&
        a->disp == (int64_t)offsetof(MoatFuncRef, type_id))
        return (AVal){ A_RTYPE, a->b.c, 0 };
    int64_t t = a->disp - d->layout.type_ids;
    if (a->b.k == A_CTX && t >= 0 && t % 4 == 0 &&
        (uint64_t)t / 4 < d->ntypes)
        return (AVal){ A_TYPEID, t / 4, 0 };
    return moatK_top();
}

/* 8-byte loads: code pointers. */
AVal
moatK_load_code(const MS *ms, const Addr *a)
{
    const KDesc *d = ms->d;

    if (a->has_b && a->b.k == A_CODES)
        return load_id(ms) ? (AVal){ A_HINT, load_id(ms), 0 } : moatK_top();
    if (!a->has_b || a->has_i)
        return moatK_top();
    if (a->b.k == A_REF && a->disp == (int64_t)offsetof(MoatFuncRef, code))
        return (AVal){ A_RCODE, a->b.c, 0 };
    if (a->b.k == A_REF && a->disp == (int64_t)offsetof(MoatFuncRef, ctx))
        return (AVal){ A_RCTX, a->b.c, 0 };
    int64_t i = a->disp - d->layout.imports;
    int64_t n = (int64_t)sizeof(MoatImportFunc);
    if (a->b.k != A_CTX || i < 0 || a->disp >= -(int64_t)MOAT_CTX_HEADER)
        return moatK_top();                     /* above: the header */
    if (i % n == (int64_t)offsetof(MoatImportFunc, code))
        return (AVal){ A_IMPCODE, i / n, 0 };
    if (i % n == (int64_t)offsetof(MoatImportFunc, ctx))
        return (AVal){ A_IMPCTX, i / n, 0 };
    return moatK_top();
}

/* Every value of funcref id: typed. */
static void
mark_typed(AState *st, int64_t c)
{
    int64_t id = c & ~REF_TYPED;

    for (int k = 0; k < 16; k++)
        if (same_ref(st->r[k], id))
            st->r[k].c |= REF_TYPED;
    for (uint32_t i = 0; i < st->nslot; i++)
        if (same_ref(st->sval[i], id))
            st->sval[i].c |= REF_TYPED;
}

/* The facts an equal compare of fa and fb gives (A_BOOL's c). */
static int64_t
equal_facts(const AState *st)
{
    AVal a = st->fa, b = st->fb;

    if (b.k == A_TYPEID && a.k == A_RTYPE)
        return a.c & ID_MASK;
    if (a.k == A_TYPEID && b.k == A_RTYPE)
        return b.c & ID_MASK;
    if (st->fwidth == 64 && b.k == A_HINT && a.k == A_RCODE) {
        AVal t = a;
        a = b;
        b = t;
    }
    if (st->fwidth == 64 && a.k == A_HINT && b.k == A_RCODE)
        return a.c << ID_BITS | (b.c & ID_MASK) << 2 * ID_BITS |
               ((b.c & REF_TYPED) ? (b.c & ID_MASK) : 0);
    return 0;
}

void
moatK_facts_hold(AState *st, int64_t c)
{
    int64_t h = c >> ID_BITS & ID_MASK, y = c >> 2 * ID_BITS & ID_MASK;

    if (h && y) {                       /* hint h is funcref y's code */
        for (int k = 0; k < 16; k++)
            if (st->r[k].k == A_HINT && st->r[k].c == h)
                st->r[k] = (AVal){ A_RCODE, y, 0 };
        for (uint32_t i = 0; i < st->nslot; i++)
            if (st->sval[i].k == A_HINT && st->sval[i].c == h)
                st->sval[i] = (AVal){ A_RCODE, y, 0 };
    }
    if (c & ID_MASK)
        mark_typed(st, c & ID_MASK);
}

/* The edge where the compare found fa and fb equal. */
void
moatK_refine_equal(AState *st)
{
    moatK_facts_hold(st, equal_facts(st));
}

/* Register r (or -1), known below size v (A_TSIZE), compared at width
 * bits: below the size when all of it was compared or its high half is
 * zero; else only its low half is. Slots stored from it follow. */
static void
below_size(AState *st, int r, AVal v, unsigned width)
{
    if (r < 0 || v.k != A_TSIZE)
        return;
    AVal *x = &st->r[r];
    bool  whole = width == 64 || (x->k == A_BND && x->c <= U32MAX) ||
                  x->k == A_TIDX;
    AVal  n = { whole ? A_TIDX : A_TLOW, v.c, 0 };
    *x = n;
    for (uint32_t i = 0; i < st->nslot; i++)
        if (st->seq[i] == r)
            st->sval[i] = st->ssize[i] == 4 ? (AVal){ A_TIDX, v.c, 0 } : n;
}

void
moatK_refine_below(AState *st, bool a_first, bool or_equal)
{
    if (or_equal)
        return;                 /* idx <= size: one too many */
    if (a_first)                /* fa < fb: fa is the index */
        below_size(st, st->freg, st->fb, st->fwidth);
    else                        /* fb < fa */
        below_size(st, st->freg2, st->fa, st->fwidth);
}

static bool
byte_reg(const ZydisDecodedOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_REGISTER && o->size == 8 &&
           moatK_gpr(o->reg.value) >= 0 && o->reg.value != ZYDIS_REGISTER_AH &&
           o->reg.value != ZYDIS_REGISTER_BH &&
           o->reg.value != ZYDIS_REGISTER_CH &&
           o->reg.value != ZYDIS_REGISTER_DH;
}

static bool
is_flag(AVal v)
{
    return v.k == A_BOOL || v.k == A_NBOOL;
}

bool
moatK_bool_op(const AState *st, const ZydisDecodedInstruction *in,
              const ZydisDecodedOperand *ops, AVal *out)
{
    if (!byte_reg(&ops[0]))
        return false;
    AVal a = st->r[moatK_gpr(ops[0].reg.value)], b = moatK_top();
    if (byte_reg(&ops[1]))
        b = st->r[moatK_gpr(ops[1].reg.value)];
    else if (ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[1].size == 8) {
        Addr m = moatK_addr_of(st, &ops[1]);
        int  k = m.has_b && !m.has_i && m.b.k == A_FRAME
                     ? moatK_slot_find(st, m.b.c + m.disp, 1) : -1;
        if (k >= 0 && st->ssize[k] == 1)
            b = st->sval[k];
    }
    int64_t f = st->fk == FK_CMPREG ? equal_facts(st) : 0;
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_SETZ:
    case ZYDIS_MNEMONIC_SETNZ:
        if (!f)
            return false;
        *out = (AVal){ in->mnemonic == ZYDIS_MNEMONIC_SETZ ? A_BOOL : A_NBOOL,
                       f, 0 };
        return true;
    case ZYDIS_MNEMONIC_MOV:
        *out = b;
        return is_flag(b);
    case ZYDIS_MNEMONIC_AND:            /* bit 0 set: both were */
        if (a.k != A_BOOL || b.k != A_BOOL)
            return false;
        *out = (AVal){ A_BOOL, a.c | b.c, 0 };
        for (int s = 0; s < 3; s++) {   /* a field set in both: a's */
            int64_t m = ID_MASK << (s * ID_BITS);
            if ((a.c & m) && (b.c & m))
                out->c = (out->c & ~m) | (a.c & m);
        }
        if ((a.c >> ID_BITS & ID_MASK) && (b.c >> ID_BITS & ID_MASK)) {
            int64_t hy = ID_MASK << ID_BITS | ID_MASK << 2 * ID_BITS;
            out->c = (out->c & ~hy) | (a.c & hy);   /* h and y together */
        }
        return true;
    case ZYDIS_MNEMONIC_XOR:            /* bit 0 flipped */
        if (!is_flag(a) || ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
            !(ops[1].imm.value.u & 1))
            return false;
        *out = (AVal){ a.k == A_BOOL ? A_NBOOL : A_BOOL, a.c, 0 };
        return true;
    default:
        return false;
    }
}

/* The target, and the callee's ctx in rdi: the funcref's own, the
 * import's, or in a trampoline the ctx the runtime passed (a callee run
 * with another instance's context area would read and write it with its
 * own layout). */
static bool
target_ok(const MS *ms, AVal v, AVal ctx)
{
    bool tramp = ms->tramp;

    if (v.k == A_RCODE && (v.c & REF_TYPED))
        return ctx.k == A_RCTX && ((ctx.c ^ v.c) & ID_MASK) == 0;
    if (v.k == A_IMPCODE && !tramp)
        return ctx.k == A_IMPCTX && ctx.c == v.c;
    return v.k == A_TCODE && tramp && ctx.k == A_CTX;
}

static AVal
call_target(const MS *ms, const AState *st, const ZydisDecodedOperand *ops)
{
    if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int r = moatK_gpr(ops[0].reg.value);
        if (r >= 0 && ops[0].size == 64)
            return st->r[r];
    } else if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
               ops[0].mem.base != ZYDIS_REGISTER_RIP) {
        Addr a = moatK_addr_of(st, &ops[0]);    /* code pointers, slots */
        return moatK_load_kind(ms, st, &a);
    }
    return moatK_top();
}

int64_t
moatK_icall_type(const MS *ms, const AState *st,
                 const ZydisDecodedOperand *ops)
{
    AVal v = call_target(ms, st, ops);

    if (v.k == A_TCODE)
        return -2;
    if (v.k == A_IMPCODE && (uint64_t)v.c < ms->d->nfuncs)
        return ms->d->wtype[v.c];
    if (v.k == A_RCODE && (v.c & REF_TYPED))
        return moatK_tmap_type(st, v.c & ID_MASK);
    return -3;                  /* not a target the rule proves */
}

void
moatK_check_icall(MS *ms, const AState *st, uint64_t off,
                  const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops)
{
    AVal v = call_target(ms, st, ops);

    if (target_ok(ms, v, st->r[7]))
        return;
    ms->dbg = st;
    moatK_rfail(ms, K_ICALL, off, "%s through a value that is not a "
                "funcref's code after the bound, null and type checks, an "
                "import's code or a trampoline's code argument, with its "
                "ctx first", ZydisMnemonicGetString(in->mnemonic));
}
