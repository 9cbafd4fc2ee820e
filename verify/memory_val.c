/* memory_val.c - the memory rule's abstract values (verify/memory.h):
 * joins, frame slots, merging block states, and what the instructions the
 * rule follows compute (moves, loads from fixed places, add, lea, cmov).
 * Everything else a register receives is unknown (or, for a 32-bit write,
 * a value below 2^32).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

AVal
moatK_bnd(int64_t max)
{
    return max >= 0 && max <= REACH ? (AVal){ A_BND, max, 0 } : moatK_top();
}

/* Join: equal values stay; intervals of one kind (integers, heap
 * offsets) take the smallest interval holding both, within the
 * reservation (memory_loop.c); low halves the larger bound while it stays
 * 32-bit; else top. With widen (a block whose state keeps changing), a
 * bound that grows jumps to the next of a few thresholds at once: a
 * counter that climbs by one per pass would otherwise take 2^32 passes
 * (the fixpoint's budget rejects it). */
static AVal
join(AVal a, AVal b, bool widen, const AState *w)
{
    if (moatK_same(a, b))
        return a;
    AVal r = moatK_ref_join(a, b);
    if (r.k != A_TOP)
        return r;
    if (a.k != b.k) {                   /* below 2^32 both: a bound */
        a = moatK_as_bnd(a);
        b = moatK_as_bnd(b);
    }
    if (moatK_is_int(a) && moatK_is_int(b) && a.k != b.k)
        a.k = b.k = A_SINT;                     /* signed, both */
    if (a.k == b.k && (a.k == A_BND || a.k == A_HEAPPTR || a.k == A_SINT))
        return moatK_ival_join(a, b, widen, w);  /* memory_loop.c */
    if (a.k == b.k && a.k == A_LOW32) {     /* low half in [lo, c] */
        int64_t mx = a.c > b.c ? a.c : b.c;
        int64_t lo = a.lo < b.lo ? a.lo : b.lo;
        if (widen && mx > a.c)
            mx = mx <= U32MAX ? U32MAX : mx;
        if (widen && lo < a.lo)
            lo = 0;
        return mx <= U32MAX ? (AVal){ a.k, mx, lo } : moatK_top();
    }
    return moatK_top();
}

AVal
moatK_join(AVal a, AVal b)
{
    return join(a, b, false, NULL);
}

AVal
moatK_join_w(AVal a, AVal b, bool widen)
{
    return join(a, b, widen, NULL);
}

/* Merges `in` into *to; true when *to changed. */
bool
moatK_merge(AState *to, const AState *in)
{
    bool changed = false;
    bool widen = to->nchange >= WIDEN_AFTER;

    if (!to->seen) {
        *to = *in;
        to->nchange = 0;
        return true;
    }
    changed |= moatK_pair_merge(to, in, widen);    /* before the joins */
    for (int r = 0; r < 16; r++) {
        AVal j = join(to->r[r], in->r[r], widen, to);
        changed |= !moatK_same(j, to->r[r]);
        to->r[r] = j;
    }
    changed |= moatK_tmap_merge(to, in);
    if (to->sp_slack < in->sp_slack) {  /* the wider range holds */
        to->sp_slack = in->sp_slack;
        changed = true;
    }
    if (to->touched < in->touched) {    /* the shallower one holds */
        to->touched = in->touched;
        changed = true;
    }
    if (to->fk != in->fk || to->freg != in->freg || to->freg2 != in->freg2 ||
        to->fwidth != in->fwidth || to->fimm != in->fimm ||
        !moatK_same(to->fa, in->fa) || !moatK_same(to->fb, in->fb)) {
        changed |= to->fk != FK_NONE;
        to->fk = FK_NONE;
    }
    changed |= moatK_slot_merge(to, in, widen);
    if (changed && to->nchange < UINT8_MAX)
        to->nchange++;
    return changed;
}

void
moatK_mfail(MS *ms, uint64_t off, const char *fmt, const char *what)
{
    moatK_rfail(ms, K_MEMORY, off, fmt, what);
}

void
moatK_rfail(MS *ms, KRule rule, uint64_t off, const char *fmt,
            const char *what)
{
    if (getenv("MOAT_VERIFY_DEBUG") && ms->dbg && !ms->dry) {
        fprintf(stderr, "at 0x%" PRIx64 " %s:", off, moatK_rule_name[rule]);
        for (int r = 0; r < 16; r++)
            fprintf(stderr, " r%d=%d/%" PRId64 "/%" PRId64, r,
                    ms->dbg->r[r].k, ms->dbg->r[r].lo, ms->dbg->r[r].c);
        for (uint32_t i = 0; i < ms->dbg->nslot; i++)
            fprintf(stderr, " [%" PRId64 ":%u]=%d/%" PRId64 "~r%d",
                    ms->dbg->soff[i], ms->dbg->ssize[i], ms->dbg->sval[i].k,
                    ms->dbg->sval[i].c, ms->dbg->seq[i]);
        for (int p = 0; p < ms->dbg->npair; p++)
            fprintf(stderr, " r%d+r%d*%u<=%" PRId64, ms->dbg->pa[p],
                    ms->dbg->pb[p], ms->dbg->ps[p], ms->dbg->pc[p]);
        fprintf(stderr, "\n");
    }
    if (!ms->dry && getenv("MOAT_VERIFY_TRACE")) {  /* every one: the
                                                      * report keeps 64 */
        fprintf(stderr, "trace: %s+0x%" PRIx64 ": %s: ", ms->f->name,
                off - ms->f->lo, moatK_rule_name[rule]);
        fprintf(stderr, fmt, what);
        fprintf(stderr, "\n");
    }
    ms->failed = true;
    if (!ms->dry)
        moatK_violation(ms->c, rule, off, fmt, what);
}

/* A pointer in the context area: table pointers, imported globals'
 * cells, the funcref array. */
static AVal
ctx_pointer(const MS *ms, int64_t disp)
{
    const KDesc *d = ms->d;
    int64_t      t = disp - d->layout.tables, g = disp - d->layout.globals;

    if (disp == MOAT_CTX_STACK_LIMIT)
        return (AVal){ A_STKLIM, 0, 0 };
    if (disp == MOAT_CTX_MEMORY)
        return (AVal){ A_MEMPTR, 0, 0 };
    if (disp == MOAT_CTX_EPOCH_PTR)
        return (AVal){ A_EPOCH, 0, 0 };
    if (disp == MOAT_CTX_FUNCS)
        return (AVal){ A_FUNCS, 0, 0 };
    if (t >= 0 && t % 8 == 0 && (uint64_t)t / 8 < d->ntables)
        return (AVal){ A_TABLE, t / 8, 0 };
    if (g >= 0 && g % 16 == 0 && (uint64_t)g / 16 < d->nglobals &&
        d->gimport[g / 16])
        return (AVal){ A_GPTR, g / 16, 0 };
    return moatK_top();
}

AVal
moatK_load_kind(const MS *ms, const AState *st, const Addr *a)
{
    if (a->has_b && a->b.k == A_ELEMS)      /* an element (or NULL) */
        return ms->d->tmin[a->b.c] ? moatK_ref_loaded(ms) : moatK_top();
    AVal code = moatK_load_code(ms, a);
    if (code.k != A_TOP)
        return code;
    if (a->has_i || !a->has_b)
        return moatK_top();
    if (a->b.k == A_CTX)
        return ctx_pointer(ms, a->disp);
    if (a->b.k == A_TABLE && a->disp == offsetof(MoatTable, elems))
        return (AVal){ A_ELEMS, a->b.c, 0 };
    if (a->b.k == A_TABLE && a->disp == offsetof(MoatTable, codes) &&
        ms->d->tmin[a->b.c])                /* only funcref tables */
        return (AVal){ A_CODES, a->b.c, 0 };
    if (a->b.k == A_MEMPTR && a->disp == offsetof(MoatMemory, base))
        return (AVal){ A_HEAPB, 0, 0 };
    if (a->b.k == A_FRAME) {
        const AVal *v = moatK_slot(st, a->b.c + a->disp);
        return v ? *v : moatK_top();
    }
    return moatK_top();
}

/* A compare operand's value: a register, or what a load gives. */
static AVal
operand_val(const MS *ms, const AState *st, const ZydisDecodedOperand *o)
{
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int r = moatK_gpr(o->reg.value);
        return r >= 0 ? st->r[r] : moatK_top();
    }
    if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        o->mem.base == ZYDIS_REGISTER_RIP)
        return moatK_top();
    Addr a = moatK_addr_of(st, o);
    if (o->size == 32 && a.has_b && !a.has_i && a.b.k == A_FRAME) {
        int k = moatK_slot_find(st, a.b.c + a.disp, 4);
        return k >= 0 ? moatK_low32(st->sval[k]) : moatK_top();
    }
    if (o->size == 32)
        return moatK_load32_kind(ms, &a);
    return o->size == 64 ? moatK_load_kind(ms, st, &a) : moatK_top();
}

void
moatK_flags(const MS *ms, AState *st, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops)
{
    bool writes = in->cpu_flags && in->cpu_flags->modified;
    int  r = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[0].reg.value) : -1;

    if (writes) {
        st->fk = FK_NONE;
        if (in->mnemonic == ZYDIS_MNEMONIC_CMP && r >= 0 &&
            (ops[0].size == 32 || ops[0].size == 64) &&
            ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            st->fk = FK_CMP;
            st->fimm = ops[1].imm.value.u &
                       (ops[0].size == 32 ? 0xffffffffu : UINT64_MAX);
        } else if (in->mnemonic == ZYDIS_MNEMONIC_CMP &&
                   (ops[0].size == 32 || ops[0].size == 64) &&
                   ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            st->fk = FK_CMPREG;
            st->freg2 = (int8_t)(ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                                     ? moatK_gpr(ops[1].reg.value) : -1);
            st->fa = operand_val(ms, st, &ops[0]);
            st->fb = operand_val(ms, st, &ops[1]);
            if (st->fa.k == A_TYPEID && st->fb.k == A_RTYPE)
                moatK_tmap_note(st, st->fb.c & ID_MASK, st->fa.c);
            else if (st->fb.k == A_TYPEID && st->fa.k == A_RTYPE)
                moatK_tmap_note(st, st->fa.c & ID_MASK, st->fb.c);
        } else if (in->mnemonic == ZYDIS_MNEMONIC_TEST && r >= 0 &&
                   ops[0].size == 8 &&
                   ops[0].reg.value != ZYDIS_REGISTER_AH &&
                   ops[0].reg.value != ZYDIS_REGISTER_BH &&
                   ops[0].reg.value != ZYDIS_REGISTER_CH &&
                   ops[0].reg.value != ZYDIS_REGISTER_DH &&
                   ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
                   ops[1].imm.value.u == 1) {
            st->fk = FK_BIT0;           /* a flag byte's bit 0 */
            st->fa = st->r[r];
        } else if (in->mnemonic == ZYDIS_MNEMONIC_TEST && r >= 0 &&
                   ops[0].size == 64 &&
                   ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                   ops[1].reg.value == ops[0].reg.value) {
            st->fk = FK_ZERO;
        } else if (r >= 0 && moatK_sets_zf(in, ops)) {
            st->fk = FK_RESULT;                 /* memory_loop.c */
        }
        st->freg = (int8_t)r;
        st->fwidth = (uint8_t)ops[0].size;
        return;
    }
    /* the compared register rewritten: the flags say nothing of it */
    for (uint8_t i = 0; st->fk && i < in->operand_count; i++) {
        int w = ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                        (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
                    ? moatK_gpr(ops[i].reg.value) : -1;
        if (w >= 0 && (w == st->freg ||
                       (st->fk == FK_CMPREG && w == st->freg2)))
            st->fk = FK_NONE;
    }
}

/* v <= max (unsigned), v a register or an 8-byte slot, compared at the
 * flags' width. */
static void
bound_val(const AState *st, AVal *v, uint64_t max)
{
    *v = moatK_as_bnd(*v);
    int64_t lo = v->k == A_BND && v->lo <= (int64_t)max ? v->lo : 0;
    if (st->fwidth == 64)
        *v = moatK_ival(lo, v->k == A_BND && v->c < (int64_t)max
                                ? v->c : (int64_t)max);
    else if (v->k == A_BND && v->c <= U32MAX)   /* the low half is all */
        *v = moatK_ival(lo, v->c < (int64_t)max ? v->c : (int64_t)max);
    else if (v->k == A_LOW32) {
        v->c = v->c < (int64_t)max ? v->c : (int64_t)max;
        v->lo = v->lo < v->c ? v->lo : v->c;
    }
    else
        *v = (AVal){ A_LOW32, (int64_t)max, 0 };   /* the low half only */
}

/* reg <= max on this edge (unsigned), and so the slots stored from it: a
 * 4-byte slot holds its low half, which either width bounds. */
static void
bound_reg(AState *st, uint64_t max)
{
    if (max > (uint64_t)REACH)
        return;
    bound_val(st, &st->r[st->freg], max);
    for (uint32_t i = 0; i < st->nslot; i++) {
        if (st->seq[i] != st->freg)
            continue;
        AVal *v = &st->sval[i];
        if (st->ssize[i] == 8)
            bound_val(st, v, max);
        else
            *v = moatK_bnd(v->k == A_BND && v->c < (int64_t)max
                               ? v->c : (int64_t)max);
    }
}

void
moatK_refine(AState *st, ZydisMnemonic m, bool taken)
{
    bool zero_test = st->fk == FK_ZERO ||
                     (st->fk == FK_CMP && st->fimm == 0 && st->fwidth == 64);

    if (st->fk == FK_BIT0) {
        bool set = (m == ZYDIS_MNEMONIC_JNZ && taken) ||
                   (m == ZYDIS_MNEMONIC_JZ && !taken);
        bool clear = (m == ZYDIS_MNEMONIC_JZ && taken) ||
                     (m == ZYDIS_MNEMONIC_JNZ && !taken);
        if ((set && st->fa.k == A_BOOL) || (clear && st->fa.k == A_NBOOL))
            moatK_facts_hold(st, st->fa.c);
        return;
    }
    if (st->fk == FK_CMPREG) {
        if ((m == ZYDIS_MNEMONIC_JZ && taken) ||
            (m == ZYDIS_MNEMONIC_JNZ && !taken))
            moatK_refine_equal(st);
        else if ((m == ZYDIS_MNEMONIC_JB && taken) ||
                 (m == ZYDIS_MNEMONIC_JNB && !taken))
            moatK_refine_below(st, true, false);         /* fa < fb */
        else if ((m == ZYDIS_MNEMONIC_JNBE && taken) ||
                 (m == ZYDIS_MNEMONIC_JBE && !taken))
            moatK_refine_below(st, false, false);        /* fa > fb */
        return;
    }
    if (st->fk == FK_NONE || st->freg < 0)
        return;
    if (st->fk == FK_RESULT) {
        if (m == ZYDIS_MNEMONIC_JZ || m == ZYDIS_MNEMONIC_JNZ)
            moatK_refine_zero(st, (m == ZYDIS_MNEMONIC_JZ) == taken);
        return;
    }
    if (st->fk == FK_ZERO && (m == ZYDIS_MNEMONIC_JS ||
                              m == ZYDIS_MNEMONIC_JNS)) {
        moatK_refine_sign(st, (m == ZYDIS_MNEMONIC_JS) == taken);
        return;                                 /* memory_loop.c */
    }
    if (zero_test && ((m == ZYDIS_MNEMONIC_JZ && !taken) ||
                      (m == ZYDIS_MNEMONIC_JNZ && taken))) {
        if (st->r[st->freg].k == A_REFNULL)
            st->r[st->freg].k = A_REF;
        for (uint32_t i = 0; i < st->nslot; i++)
            if (st->seq[i] == st->freg && st->ssize[i] == 8 &&
                st->sval[i].k == A_REFNULL)
                st->sval[i].k = A_REF;
        return;
    }
    if (st->fk != FK_CMP)
        return;
    if ((m == ZYDIS_MNEMONIC_JNZ && taken) ||
        (m == ZYDIS_MNEMONIC_JZ && !taken))
        moatK_refine_eq(st, false);             /* memory_loop.c */
    else if ((m == ZYDIS_MNEMONIC_JZ && taken) ||
             (m == ZYDIS_MNEMONIC_JNZ && !taken))
        moatK_refine_eq(st, true);
    else if ((m == ZYDIS_MNEMONIC_JB && taken) ||
             (m == ZYDIS_MNEMONIC_JNB && !taken)) {
        if (st->fimm > 0)
            bound_reg(st, st->fimm - 1);
    } else if ((m == ZYDIS_MNEMONIC_JBE && taken) ||
               (m == ZYDIS_MNEMONIC_JNBE && !taken)) {
        bound_reg(st, st->fimm);
    } else if ((m == ZYDIS_MNEMONIC_JNB && taken) ||
               (m == ZYDIS_MNEMONIC_JB && !taken)) {
        moatK_refine_lo(st, st->fimm);          /* memory_loop.c */
    } else if ((m == ZYDIS_MNEMONIC_JNBE && taken) ||
               (m == ZYDIS_MNEMONIC_JBE && !taken)) {
        moatK_refine_lo(st, st->fimm + 1);
    }
}

/* a + b for add/lea (64-bit): intervals add, frames move, heap base
 * plus an integer is a heap pointer. */
static AVal
add_vals(const MS *ms, AVal a, AVal b)
{
    a = moatK_as_bnd(a);
    b = moatK_as_bnd(b);
    if (moatK_is_int(b) && moatK_is_heap_base(ms, a))
        return moatK_heapptr(b.lo, b.c);
    if (moatK_is_int(b) && a.k == A_HEAPPTR)
        return moatK_heapptr(a.lo + b.lo, a.c + b.c);
    if (moatK_is_int(a) && (b.k == A_HEAPPTR || moatK_is_heap_base(ms, b)))
        return add_vals(ms, b, a);
    if (moatK_is_int(a) && moatK_is_int(b))
        return moatK_sint(a.lo + b.lo, a.c + b.c);
    return moatK_top();
}

/* a + k: frames move; integers stay integers while they stay >= 0; a
 * heap pointer may go below the base (a walk downwards, a negative
 * displacement to come) down to HEAP_LO_MIN. */
static AVal
add_const(const MS *ms, AVal a, int64_t k)
{
    a = moatK_as_bnd(a);
    if (a.k == A_FRAME || a.k == A_FRAMES)
        return (AVal){ a.k, a.c + k, 0 };
    if (a.k == A_RODATA && k > -REACH && k < REACH)
        return (AVal){ A_RODATA, a.c, a.lo + k };   /* checked at use */
    if (k < -REACH || k > REACH)
        return moatK_top();
    if (moatK_is_int(a))
        return moatK_sint(a.lo + k, a.c + k);  /* 64 bits: no wrap here */
    if (a.k == A_HEAPPTR)
        return moatK_heapptr(a.lo + k, a.c + k);
    if (moatK_is_heap_base(ms, a))
        return moatK_heapptr(k, k);
    return moatK_top();
}

/* The value an instruction writes to its first operand, a 64-bit GPR,
 * when it is a shape followed; else top. */
AVal
moatK_result64(const MS *ms, const AState *st,
               const ZydisDecodedInstruction *in,
         const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *src = &ops[1];
    int                        rs = src->type == ZYDIS_OPERAND_TYPE_REGISTER
                                        ? moatK_gpr(src->reg.value) : -1;
    AVal dst = st->r[moatK_gpr(ops[0].reg.value)];

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (rs >= 0)
            return st->r[rs];
        if (src->type == ZYDIS_OPERAND_TYPE_MEMORY && src->size == 64) {
            Addr a = moatK_addr_of(st, src);
            return moatK_load_kind(ms, st, &a);
        }
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return moatK_sint(src->imm.value.s, src->imm.value.s);
        return moatK_top();
    case ZYDIS_MNEMONIC_MOVZX:
        return moatK_bnd(src->size == 8 ? 0xff : 0xffff);
    case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD: {
        int64_t half = src->size >= 8 && src->size <= 32
                           ? INT64_C(1) << (src->size - 1) : 0;
        return half ? moatK_sint(-half, half - 1) : moatK_top();
    }
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE:
    case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE:
    case ZYDIS_MNEMONIC_CMOVNZ: case ZYDIS_MNEMONIC_CMOVZ:
    case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVNS:
        return moatK_cmov(ms, st, in, ops);
    case ZYDIS_MNEMONIC_LEA: {
        Addr a = moatK_addr_of(st, src);
        if (in->address_width != 64)    /* the sum is cut to 32 bits */
            return moatK_bnd(U32MAX);
        if (src->mem.base == ZYDIS_REGISTER_RIP)
            return moatK_rip_lea(ms, in);       /* memory_int.c */
        AVal v = a.has_b ? a.b : moatK_bnd(0);
        if (a.has_i && a.scale > 1) {   /* an integer, scaled */
            AVal i = moatK_as_bnd(a.i);
            if (!moatK_is_int(i))
                return moatK_top();
            a.i = moatK_sint(i.lo * a.scale, i.c * a.scale);
        }
        if (a.has_i)
            v = add_vals(ms, v, a.i);
        return add_const(ms, v, a.disp);
    }
    case ZYDIS_MNEMONIC_ADD:
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return add_const(ms, dst, src->imm.value.s);
        return rs >= 0 ? add_vals(ms, dst, st->r[rs]) : moatK_top();
    case ZYDIS_MNEMONIC_SUB:
        if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return add_const(ms, dst, -src->imm.value.s);
        return moatK_top();
    case ZYDIS_MNEMONIC_INC:
        return add_const(ms, dst, 1);
    case ZYDIS_MNEMONIC_DEC:
        return add_const(ms, dst, -1);
    case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_IMUL:
    case ZYDIS_MNEMONIC_BEXTR: case ZYDIS_MNEMONIC_OR:
    case ZYDIS_MNEMONIC_XOR:
        return moatK_int64(st, in, ops);        /* memory_int.c */
    default:
        return moatK_top();
    }
}
