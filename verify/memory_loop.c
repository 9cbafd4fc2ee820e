/* memory_loop.c - the memory rule's loops (docs/verify.md, "Loops"):
 * intervals of heap offsets (A_HEAPPTR: heap + [lo, c]) and of integers
 * (A_BND: [lo, c], lo >= 0), their joins with widening, and what a heap
 * access that did not fault says about the registers that formed it.
 *
 * Why an access bounds its registers: a memory's reservation is
 * MOAT_HEAP_RESERVE + MOAT_HEAP_GUARD bytes from its base, and only the
 * first `size` of them are accessible (size <= 2^32: MOAT_MAX_PAGES pages
 * of 64 KiB, memory64 is refused by the frontend; the rest is PROT_NONE or
 * opened by the pool's fault handler only below `size`). An access the
 * rule proved to lie in [heap, heap + reservation) that did not fault
 * therefore touched heap + x with x < 2^32; a fault is a trap, and the
 * function does not go on. So after it, base + index * scale + disp + 1
 * <= 2^32, and each register of the sum is at most 2^32 - disp - 1 minus
 * the others' lowest values. That is what makes a pointer walking upwards
 * converge: at the loop's head it is at most 2^32 + stride, which stays
 * inside the reservation for any stride below the guard.
 *
 * Only accesses that fault refine: not prefetches, not lea or nops with a
 * memory operand (they are no accesses), not masked forms (a zero mask
 * faults on nothing), not bt with a register bit offset (it reaches past
 * its operand). The byte at the address itself is what every other access
 * touches first, so one byte is what is assumed, whatever Zydis says the
 * operand's size is.
 */
#include <string.h>

#include "elfload.h"
#include "memory.h"

/* Where growing bounds jump when a block keeps changing (widening): the
 * function's compare constants, the 32-bit range, then 5, 5.5 and 5.75
 * GiB (a walk's head is at most 2^32 + its stride, and an access there
 * may add what is left of the reservation as displacement; a pointer
 * widened at one rung and moved by a stride lands on the next), then
 * unknown. */
#define WIDE1 U32MAX
#define WIDE2 (REACH - (INT64_C(1) << 30))
#define WIDE4 (REACH - (INT64_C(1) << 28))

AVal
moatK_heapptr(int64_t lo, int64_t hi)
{
    if (hi > REACH || lo < HEAP_LO_MIN || lo > hi)
        return moatK_top();
    return (AVal){ A_HEAPPTR, hi, lo };
}

AVal
moatK_sint(int64_t lo, int64_t hi)
{
    if (lo >= 0)
        return moatK_ival(lo, hi);
    if (lo < HEAP_LO_MIN || hi > REACH || lo > hi)
        return moatK_top();
    return (AVal){ A_SINT, hi, lo };
}

AVal
moatK_ival(int64_t lo, int64_t hi)
{
    if (lo < 0 || hi > REACH || lo > hi)
        return moatK_top();
    return (AVal){ A_BND, hi, lo };
}

/* The next threshold at or above hi: the function's compare constants
 * (thr, sorted), then WIDE1, WIDE2, then none (INT64_MAX). */
static int64_t
widen_hi(int64_t hi, const int64_t *thr, int nthr)
{
    for (int i = 0; i < nthr; i++)
        if (thr[i] >= hi && thr[i] < WIDE1)
            return thr[i];
    if (hi <= WIDE1)
        return WIDE1;
    for (int64_t w = WIDE2; w <= WIDE4; w = REACH - (REACH - w) / 2)
        if (hi <= w)
            return w;
    return INT64_MAX;
}

/* a and b of one kind, A_BND or A_HEAPPTR; w: the widening thresholds'
 * holder (NULL: WIDE1 and WIDE2 only). */
AVal
moatK_ival_join(AVal a, AVal b, bool widen, const AState *w)
{
    int64_t hi = a.c > b.c ? a.c : b.c;
    int64_t lo = a.lo < b.lo ? a.lo : b.lo;

    if (widen && hi > a.c)
        hi = widen_hi(hi, w ? w->thr : NULL, w ? w->nthr : 0);
    if (widen && lo < a.lo)
        lo = lo >= 0 ? 0 : HEAP_LO_MIN;
    if (a.k == A_SINT)
        return moatK_sint(lo, hi);
    return a.k == A_BND ? moatK_ival(lo, hi) : moatK_heapptr(lo, hi);
}

/* An access through o that faults when its first byte is not
 * accessible. */
static bool
faults(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o)
{
    ZydisMnemonic m = in->mnemonic;

    if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        o->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
        !(o->actions & (ZYDIS_OPERAND_ACTION_MASK_READ |
                        ZYDIS_OPERAND_ACTION_MASK_WRITE)) ||
        o->mem.segment == ZYDIS_REGISTER_FS ||
        o->mem.segment == ZYDIS_REGISTER_GS ||
        o->mem.base == ZYDIS_REGISTER_RIP || in->address_width != 64)
        return false;
    if (in->meta.category == ZYDIS_CATEGORY_PREFETCH ||
        in->meta.category == ZYDIS_CATEGORY_NOP ||
        in->meta.category == ZYDIS_CATEGORY_WIDENOP ||
        in->meta.category == ZYDIS_CATEGORY_BITBYTE ||
        in->meta.category == ZYDIS_CATEGORY_AVX2GATHER ||
        in->meta.category == ZYDIS_CATEGORY_GATHER ||
        in->meta.category == ZYDIS_CATEGORY_COMPRESS ||
        in->meta.category == ZYDIS_CATEGORY_EXPAND)
        return false;
    if (in->avx.mask.reg != ZYDIS_REGISTER_NONE &&
        in->avx.mask.reg != ZYDIS_REGISTER_K0)
        return false;
    return m != ZYDIS_MNEMONIC_LEA && m != ZYDIS_MNEMONIC_VMASKMOVPS &&
           m != ZYDIS_MNEMONIC_VMASKMOVPD && m != ZYDIS_MNEMONIC_VPMASKMOVD &&
           m != ZYDIS_MNEMONIC_VPMASKMOVQ && m != ZYDIS_MNEMONIC_MASKMOVDQU &&
           m != ZYDIS_MNEMONIC_VMASKMOVDQU && m != ZYDIS_MNEMONIC_MASKMOVQ;
}

static void pair_note(AState *st, int a, int b, int s, int64_t c);

/* The lowest value a part of a heap address adds (heap base: 0). */
static int64_t
part_lo(const MS *ms, AVal v, int64_t scale)
{
    if (moatK_is_heap_base(ms, v))
        return 0;
    return v.lo * scale;
}

/* Register r (a part of the address, times scale) is at most `room`
 * over the lowest of the other parts: cut its upper bound. */
static void
cut(AState *st, int r, int64_t scale, int64_t room)
{
    AVal *v = &st->r[r];

    if (room < 0)
        room = 0;               /* the access always faults: unreached */
    int64_t hi = room / scale;
    if (v->k == A_HEAPPTR && hi < v->c)
        *v = moatK_heapptr(v->lo < hi ? v->lo : hi, hi);
    else if (moatK_is_int(*v) && hi < v->c)
        *v = moatK_sint(v->lo < hi ? v->lo : hi, hi);
}

void
moatK_access_refine(const MS *ms, AState *st,
                    const ZydisDecodedInstruction *in,
                    const ZydisDecodedOperand *o)
{
    if (!faults(in, o))
        return;
    /* the shape, not its bounds: where the bounds do not hold in the
     * fixpoint, the check pass rejects the function; where they hold,
     * the access was inside the reservation */
    Addr a = moatK_addr_of(st, o);
    if (!moatK_heap_shape(ms, &a))
        return;
    int     rb = o->mem.base != ZYDIS_REGISTER_NONE ? moatK_gpr(o->mem.base)
                                                     : -1;
    int     ri = o->mem.index != ZYDIS_REGISTER_NONE
                     ? moatK_gpr(o->mem.index) : -1;
    int64_t s = a.scale ? a.scale : 1;
    int64_t blo = a.has_b ? part_lo(ms, a.b, 1) : 0;
    int64_t ilo = a.has_i ? part_lo(ms, a.i, s) : 0;
    /* base + index * s + disp + 1 <= 2^32 */
    int64_t room = (INT64_C(1) << 32) - a.disp - 1;

    if (rb >= 0 && rb == ri)
        return;                 /* one register twice: leave it */
    if (rb >= 0 && ri >= 0 && a.b.k == A_HEAPPTR)
        pair_note(st, rb, ri, (int)s, room);
    if (rb >= 0)
        cut(st, rb, 1, room - ilo);
    if (ri >= 0)
        cut(st, ri, s, room - blo);
}

/* ---- pairs: what an access says of the sum of its two registers.
 * A pointer and an index that both walk (nested loops: the row pointer
 * in the outer loop, the column in the inner one) are each as large as
 * the reservation allows at the inner loop's head, but their sum is what
 * the access adds, and it is at most 2^32 + the inner stride there. */

static int
pair_find(const AState *st, int a, int b, int s)
{
    for (int k = 0; k < st->npair; k++)
        if (st->pa[k] == a && st->pb[k] == b && st->ps[k] == s)
            return k;
    return -1;
}

int64_t
moatK_pair_bound(const AState *st, int a, int b, int s)
{
    int k = a >= 0 && b >= 0 ? pair_find(st, a, b, s) : -1;

    return k >= 0 ? st->pc[k] : INT64_MAX;
}

static void
pair_remove(AState *st, int k)
{
    st->npair--;
    st->pa[k] = st->pa[st->npair];
    st->pb[k] = st->pb[st->npair];
    st->ps[k] = st->ps[st->npair];
    st->pc[k] = st->pc[st->npair];
}

/* r[a] + r[b] * s <= c from now on (the tighter of two); a full table
 * keeps what it has. */
static void
pair_note(AState *st, int a, int b, int s, int64_t c)
{
    int k = pair_find(st, a, b, s);

    if (k >= 0) {
        st->pc[k] = c < st->pc[k] ? c : st->pc[k];
        return;
    }
    if (st->npair >= NPAIR)
        return;
    k = st->npair++;
    st->pa[k] = (int8_t)a;
    st->pb[k] = (int8_t)b;
    st->ps[k] = (uint8_t)s;
    st->pc[k] = c;
}

/* What instruction in adds to register r, a 64-bit register it writes,
 * when it only adds a constant (add, sub, inc, dec, lea k(r)); false
 * for any other write. */
static bool
adds_const(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
           int r, int64_t *k)
{
    const ZydisDecodedOperand *s = &ops[1];

    if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER || ops[0].size != 64 ||
        moatK_gpr(ops[0].reg.value) != r)
        return false;
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_INC: *k = 1; return true;
    case ZYDIS_MNEMONIC_DEC: *k = -1; return true;
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB:
        if (s->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return false;
        *k = in->mnemonic == ZYDIS_MNEMONIC_ADD ? s->imm.value.s
                                                : -s->imm.value.s;
        return *k > -REACH && *k < REACH;
    case ZYDIS_MNEMONIC_LEA:
        if (s->mem.base == ZYDIS_REGISTER_NONE ||
            moatK_gpr(s->mem.base) != r ||
            s->mem.index != ZYDIS_REGISTER_NONE || in->address_width != 64)
            return false;
        *k = s->mem.disp.value;
        return true;
    default:
        return false;
    }
}

void
moatK_pair_write(AState *st, const ZydisDecodedInstruction *in,
                 const ZydisDecodedOperand *ops)
{
    if (!st->npair)
        return;
    if (in->meta.category == ZYDIS_CATEGORY_CALL) {
        st->npair = 0;                  /* registers clobbered */
        return;
    }
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                        (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
                    ? moatK_gpr(o->reg.value) : -1;
        int64_t k = 0;
        if (r < 0)
            continue;
        bool moves = i == 0 && adds_const(in, ops, r, &k);
        for (int p = st->npair - 1; p >= 0; p--) {
            if (st->pa[p] != r && st->pb[p] != r)
                continue;
            int64_t add = st->pa[p] == r ? k : k * st->ps[p];
            if (st->pa[p] == st->pb[p] || !moves ||
                st->pc[p] + add > REACH || st->pc[p] + add < -REACH)
                pair_remove(st, p);
            else
                st->pc[p] += add;
        }
    }
}

/* A pair's bound from the intervals alone (INT64_MAX: none). */
static int64_t
pair_from_ivals(const AState *st, int a, int b, int s)
{
    AVal x = moatK_as_bnd(st->r[a]), y = moatK_as_bnd(st->r[b]);

    if (x.k != A_HEAPPTR || !moatK_is_int(y))
        return INT64_MAX;
    return x.c + y.c * s;
}

bool
moatK_pair_merge(AState *to, const AState *in, bool widen)
{
    bool changed = false;

    /* the pairs of `to` hold where in's hold or its intervals say so */
    for (int p = to->npair - 1; p >= 0; p--) {
        int     a = to->pa[p], b = to->pb[p], s = to->ps[p];
        int64_t c = moatK_pair_bound(in, a, b, s);
        if (c == INT64_MAX)
            c = pair_from_ivals(in, a, b, s);
        if (c > to->pc[p] && widen)
            c = widen_hi(c, NULL, 0);
        if (c == INT64_MAX || c > REACH) {
            pair_remove(to, p);
            changed = true;
        } else if (c > to->pc[p]) {
            to->pc[p] = c;
            changed = true;
        }
    }
    /* in's pairs that `to` has not: where to's intervals bound the sum
     * (the same fact, made explicit) */
    for (int p = 0; p < in->npair; p++) {
        int a = in->pa[p], b = in->pb[p], s = in->ps[p];
        if (pair_find(to, a, b, s) >= 0)
            continue;
        int64_t c = pair_from_ivals(to, a, b, s);
        if (c == INT64_MAX)
            continue;
        c = in->pc[p] > c ? in->pc[p] : c;
        if (c <= REACH)
            pair_note(to, a, b, s, c);
    }
    return changed;
}

/* ---- counted loops: `cmp $K, r` then `jne` back. On the edge where r
 * differs from K an interval that ends at K ends before it; on the
 * edge where it equals K, it is K. With widening to K - 1 (the
 * thresholds moatK_note_thresholds collects), a counter from 0 by 1 to
 * K settles at [0, K - 1] at the loop's head. */
void
moatK_refine_eq(AState *st, bool equal)
{
    AVal   *v = &st->r[st->freg];
    int64_t k = (int64_t)st->fimm;

    if (st->fk != FK_CMP || st->freg < 0 || v->k != A_BND ||
        st->fimm > (uint64_t)REACH ||
        (st->fwidth != 64 && (st->fwidth != 32 || v->c > U32MAX)))
        return;                 /* the whole value was not compared */
    if (equal) {
        if (k >= v->lo && k <= v->c)
            *v = moatK_ival(k, k);
        else
            st->seen = false;   /* never equal: the edge is not taken */
        return;
    }
    if (v->c == k && v->lo == k)
        st->seen = false;       /* always equal */
    else if (v->c == k)
        v->c = k - 1;
    else if (v->lo == k)
        v->lo = k + 1;
}

bool
moatK_sets_zf(const ZydisDecodedInstruction *in,
              const ZydisDecodedOperand *ops)
{
    ZydisMnemonic m = in->mnemonic;

    if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        (ops[0].size != 32 && ops[0].size != 64))
        return false;
    if (m == ZYDIS_MNEMONIC_TEST)       /* test r, r: r's value */
        return ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
               ops[1].reg.value == ops[0].reg.value;
    return (m == ZYDIS_MNEMONIC_AND || m == ZYDIS_MNEMONIC_OR ||
            m == ZYDIS_MNEMONIC_XOR || m == ZYDIS_MNEMONIC_ADD ||
            m == ZYDIS_MNEMONIC_SUB) &&
           (ops[0].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
}

void
moatK_refine_zero(AState *st, bool zero)
{
    AVal *v = &st->r[st->freg];

    /* a 32-bit result is the whole (zero-extended) value; a 64-bit one
     * is, for an integer interval */
    if (v->k != A_BND || (st->fwidth == 32 && v->c > U32MAX))
        return;
    if (zero && v->lo > 0)
        st->seen = false;       /* never 0: the edge is not taken */
    else if (zero)
        *v = moatK_ival(0, 0);
    else if (v->c == 0)
        st->seen = false;       /* always 0 */
    else if (v->lo == 0)
        v->lo = 1;
}

void
moatK_refine_sign(AState *st, bool neg)
{
    AVal *v = &st->r[st->freg];

    if (st->fwidth != 64 || !moatK_is_int(*v))
        return;
    if (neg && v->lo >= 0)
        st->seen = false;       /* never negative: the edge is not taken */
    else if (neg)
        *v = moatK_sint(v->lo, v->c < -1 ? v->c : -1);
    else if (v->c < 0)
        st->seen = false;
    else
        *v = moatK_sint(v->lo > 0 ? v->lo : 0, v->c);
}

void
moatK_refine_lo(AState *st, uint64_t min)
{
    AVal *v = &st->r[st->freg];

    if (st->fk == FK_CMP && st->freg >= 0 && st->fwidth == 32 &&
        min <= (uint64_t)U32MAX && (v->k == A_TOP || v->k == A_LOW32)) {
        if (v->k == A_TOP)              /* the low half only */
            *v = (AVal){ A_LOW32, U32MAX, 0 };
        if ((int64_t)min > v->c)
            st->seen = false;
        else if ((int64_t)min > v->lo)
            v->lo = (int64_t)min;
        return;
    }
    if (st->fk != FK_CMP || st->freg < 0 || v->k != A_BND ||
        min > (uint64_t)REACH ||
        (st->fwidth != 64 && (st->fwidth != 32 || v->c > U32MAX)))
        return;                 /* the whole value was not compared */
    if ((int64_t)min > v->c)
        st->seen = false;       /* never so large: the edge is not taken */
    else if ((int64_t)min > v->lo)
        v->lo = (int64_t)min;
}

/* The constants of a function's `cmp $K, r` as widening thresholds
 * (K - 1 and K), sorted, at most NTHR. */
void
moatK_note_threshold(MS *ms, const ZydisDecodedInstruction *in)
{
    if (in->mnemonic != ZYDIS_MNEMONIC_CMP || !in->raw.imm[0].size ||
        in->raw.imm[0].is_relative ||
        (in->operand_width != 32 && in->operand_width != 64))
        return;
    int64_t k = in->raw.imm[0].value.s;
    if (in->operand_width == 32)
        k &= U32MAX;
    for (int64_t t = k - 1; t <= k; t++) {
        if (t < 1 || t > REACH || ms->nthr >= NTHR)
            continue;
        int i = ms->nthr;
        while (i > 0 && ms->thr[i - 1] > t)
            i--;
        if (i > 0 && ms->thr[i - 1] == t)
            continue;
        memmove(&ms->thr[i + 1], &ms->thr[i],
                (size_t)(ms->nthr - i) * sizeof ms->thr[0]);
        ms->thr[i] = t;
        ms->nthr++;
    }
}
