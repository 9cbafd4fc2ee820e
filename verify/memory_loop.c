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

/* The interval of a 32-bit source: a register's (when below 2^32), an
 * immediate's, else [0, 2^32 - 1]. */
static AVal
src32(const AState *st, const ZydisDecodedOperand *o)
{
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return moatK_ival((int64_t)(o->imm.value.u & 0xffffffffu),
                          (int64_t)(o->imm.value.u & 0xffffffffu));
    int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER && o->size == 32
                ? moatK_gpr(o->reg.value) : -1;
    AVal v = r >= 0 ? moatK_as_bnd(st->r[r]) : moatK_top();
    if (v.k == A_LOW32 && v.c <= U32MAX)        /* the low half is all */
        return moatK_ival(v.lo <= v.c ? v.lo : 0, v.c);
    return v.k == A_BND && v.c <= U32MAX ? v : moatK_ival(0, U32MAX);
}

/* The index of the highest bit set of x > 0. */
static int64_t
top_bit(int64_t x)
{
    int64_t h = 62;

    while (h > 0 && !((x >> h) & 1))
        h--;
    return h;
}

/* x | y (or) or x ^ y of two intervals of non-negative values, at most
 * max: no bit above both's highest, so below their sum. */
static AVal
or_xor(AVal x, AVal y, bool is_or, int64_t max)
{
    int64_t hi = x.c + y.c < max ? x.c + y.c : max;   /* c <= REACH */
    int64_t lo = !is_or ? 0 : x.lo > y.lo ? x.lo : y.lo;

    return moatK_ival(lo < hi ? lo : hi, hi);
}

/* x + k in 32 bits, when no value of x wraps around. */
static AVal
add32(AVal x, int64_t k)
{
    if (x.lo + k < 0 || x.c + k > U32MAX)
        return moatK_ival(0, U32MAX);
    return moatK_ival(x.lo + k, x.c + k);
}

/* bextr dst, src, ctl (BMI1): a field of ctl's bits 15:8 bits, so below
 * 2^len when ctl is a known constant (a register set by mov $ctl). */
static AVal
bextr(const AState *st, const ZydisDecodedInstruction *in,
      const ZydisDecodedOperand *ops, int width)
{
    int r = in->operand_count_visible == 3 &&
                    ops[2].type == ZYDIS_OPERAND_TYPE_REGISTER
                ? moatK_gpr(ops[2].reg.value) : -1;
    AVal c = r >= 0 ? st->r[r] : moatK_top();

    if (c.k != A_BND || c.lo != c.c)
        return width == 32 ? moatK_ival(0, U32MAX) : moatK_top();
    int64_t len = (c.c >> 8) & 0xff;
    if (len >= width)
        return width == 32 ? moatK_ival(0, U32MAX) : moatK_top();
    return moatK_ival(0, (INT64_C(1) << len) - 1);
}

/* v, a 32-bit value, where the flags of `cmp $K, v` say cond (jcc's
 * meaning) holds: the interval's upper end cut for b and be. */
static AVal
cut_by_flags(const AState *st, AVal v, int r, ZydisMnemonic cond)
{
    int64_t k = (int64_t)st->fimm;

    if (st->fk != FK_CMP || st->freg != r || r < 0 ||
        (st->fwidth != 32 && st->fwidth != 64) || k > U32MAX)
        return v;
    if (cond == ZYDIS_MNEMONIC_JB && k > 0 && v.c > k - 1)
        return moatK_ival(v.lo < k - 1 ? v.lo : k - 1, k - 1);
    if (cond == ZYDIS_MNEMONIC_JBE && v.c > k)
        return moatK_ival(v.lo < k ? v.lo : k, k);
    return v;
}

/* cmov (32 bits): the source where the condition holds, the old value
 * where it does not; a `cmp $K` of either says how large it is then (the
 * min idiom `mov $K, %ecx; cmp $K, %eax; cmovb %eax, %ecx`). */
static AVal
cmov32(const AState *st, const ZydisDecodedInstruction *in,
       const ZydisDecodedOperand *ops)
{
    int  rd = moatK_gpr(ops[0].reg.value);
    int  rs = ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                  ? moatK_gpr(ops[1].reg.value) : -1;
    AVal x = src32(st, &ops[0]), y = src32(st, &ops[1]);

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_CMOVB:          /* moved: below */
        y = cut_by_flags(st, y, rs, ZYDIS_MNEMONIC_JB);
        break;
    case ZYDIS_MNEMONIC_CMOVBE:
        y = cut_by_flags(st, y, rs, ZYDIS_MNEMONIC_JBE);
        break;
    case ZYDIS_MNEMONIC_CMOVNB:         /* kept: below */
        x = cut_by_flags(st, x, rd, ZYDIS_MNEMONIC_JB);
        break;
    case ZYDIS_MNEMONIC_CMOVNBE:
        x = cut_by_flags(st, x, rd, ZYDIS_MNEMONIC_JBE);
        break;
    default:
        break;
    }
    return moatK_ival(x.lo < y.lo ? x.lo : y.lo, x.c > y.c ? x.c : y.c);
}

/* The interval a 32-bit write of in gives its first operand (zero-
 * extended), for the integer shapes that bound scaled indices and
 * counters: constants, copies, and, shifts, add/sub of constants,
 * zeroing idioms, counts of bits. false: not one of them (memory_flow.c
 * then says what it knows). */
bool
moatK_int32(const AState *st, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops, AVal *out)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    bool imm = in->operand_count_visible > 1 &&
               s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    bool same = in->operand_count_visible > 1 &&
                s->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                s->reg.value == d->reg.value;
    AVal x = src32(st, d);              /* the old value, for dst ops */
    int64_t k = imm ? (int64_t)(int32_t)s->imm.value.s : 0;

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (s->type == ZYDIS_OPERAND_TYPE_MEMORY)
            return false;
        *out = src32(st, s);
        return true;
    case ZYDIS_MNEMONIC_OR:             /* x | y <= x + y, >= either */
        if (s->type == ZYDIS_OPERAND_TYPE_MEMORY)
            return false;
        *out = or_xor(x, src32(st, s), true, U32MAX);
        return true;
    case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_SUB: {
        if (same) {
            *out = moatK_ival(0, 0);
            return true;
        }
        if (in->mnemonic == ZYDIS_MNEMONIC_XOR) {   /* x ^ y <= x + y */
            if (s->type == ZYDIS_OPERAND_TYPE_MEMORY)
                return false;
            *out = or_xor(x, src32(st, s), false, U32MAX);
            return true;
        }
        if (in->mnemonic != ZYDIS_MNEMONIC_SUB ||
            s->type == ZYDIS_OPERAND_TYPE_MEMORY)
            return false;
        if (imm) {
            *out = add32(x, -k);
            return true;
        }
        AVal y = src32(st, s);          /* x - y, when it cannot wrap */
        *out = x.lo >= y.c ? moatK_ival(x.lo - y.c, x.c - y.lo)
                           : moatK_ival(0, U32MAX);
        return true;
    }
    case ZYDIS_MNEMONIC_ADD: {
        if (imm) {
            *out = add32(x, k);
            return true;
        }
        if (s->type != ZYDIS_OPERAND_TYPE_REGISTER)
            return false;
        AVal y = src32(st, s);          /* (same: the value doubled) */
        *out = x.c + y.c <= U32MAX ? moatK_ival(x.lo + y.lo, x.c + y.c)
                                   : moatK_ival(0, U32MAX);
        return true;
    }
    case ZYDIS_MNEMONIC_ADC:            /* + the carry, 0 or 1 */
        if (!imm)
            return false;
        *out = k >= 0 && x.c + k + 1 <= U32MAX
                   ? moatK_ival(x.lo + k, x.c + k + 1) : moatK_ival(0, U32MAX);
        return true;
    case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
        *out = add32(x, in->mnemonic == ZYDIS_MNEMONIC_INC ? 1 : -1);
        return true;
    case ZYDIS_MNEMONIC_LEA: {          /* lea disp(%r), %e..: the low half */
        int rb = s->mem.base != ZYDIS_REGISTER_NONE &&
                         s->mem.base != ZYDIS_REGISTER_RIP
                     ? moatK_gpr(s->mem.base) : -1;
        if (rb < 0 || s->mem.index != ZYDIS_REGISTER_NONE)
            return false;
        AVal b = moatK_as_bnd(st->r[rb]);
        if (b.k == A_LOW32 && b.c <= U32MAX)
            b = moatK_ival(b.lo <= b.c ? b.lo : 0, b.c);
        else if (b.k != A_BND || b.c > U32MAX)
            b = moatK_ival(0, U32MAX);
        *out = add32(b, (int64_t)(int32_t)s->mem.disp.value);
        return true;
    }
    case ZYDIS_MNEMONIC_AND: {
        if (s->type == ZYDIS_OPERAND_TYPE_MEMORY)
            return false;
        AVal m = src32(st, s);
        *out = moatK_ival(0, m.c < x.c ? m.c : x.c);
        return true;
    }
    case ZYDIS_MNEMONIC_SHR:
        if (!imm)
            return false;
        k &= 31;
        *out = moatK_ival(x.lo >> k, x.c >> k);
        return true;
    case ZYDIS_MNEMONIC_SHL:
        if (!imm || (x.c << (k & 31)) > U32MAX)
            return false;
        *out = moatK_ival(x.lo << (k & 31), x.c << (k & 31));
        return true;
    case ZYDIS_MNEMONIC_MOVZX:
        *out = moatK_ival(0, s->size == 8 ? 0xff : 0xffff);
        return true;
    case ZYDIS_MNEMONIC_BEXTR:
        *out = bextr(st, in, ops, 32);
        return true;
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE:
    case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE:
    case ZYDIS_MNEMONIC_CMOVZ: case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVNS:
        if (s->type != ZYDIS_OPERAND_TYPE_REGISTER)
            return false;
        *out = cmov32(st, in, ops);
        return true;
    case ZYDIS_MNEMONIC_IMUL: {         /* imul $k, src, dst */
        if (in->operand_count_visible != 3 ||
            ops[2].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
            s->type != ZYDIS_OPERAND_TYPE_REGISTER)
            return false;
        AVal v = src32(st, s);
        int64_t m = (int64_t)(int32_t)ops[2].imm.value.s;
        if (m < 0 || m > U32MAX || (m && v.c > U32MAX / m))
            return false;
        *out = moatK_ival(v.lo * m, v.c * m);
        return true;
    }
    case ZYDIS_MNEMONIC_LZCNT: case ZYDIS_MNEMONIC_TZCNT: {
        /* of a value never 0: lzcnt of [lo, c] is [lz(c), lz(lo)]; a CPU
         * without LZCNT/TZCNT runs them as bsr/bsf (31 - lz, or the
         * lowest bit), whose result on 0 is undefined: so the source must
         * not be 0, and the result covers both */
        AVal y = s->type == ZYDIS_OPERAND_TYPE_REGISTER
                     ? src32(st, s) : moatK_ival(0, U32MAX);
        if (y.lo < 1)
            return false;
        int64_t a = 31 - top_bit(y.c), b = 31 - top_bit(y.lo);
        if (in->mnemonic == ZYDIS_MNEMONIC_TZCNT)
            *out = moatK_ival(0, 31);
        else
            *out = moatK_ival(a < 31 - b ? a : 31 - b, b > 31 - a ? b : 31 - a);
        return true;
    }
    case ZYDIS_MNEMONIC_POPCNT:         /* (#UD where it does not exist) */
        *out = moatK_ival(0, 32);
        return true;
    default:
        return false;
    }
}

/* The interval a 64-bit shr, shl, and or imul by a constant gives,
 * from the destination's old value x (or src for a three-operand imul);
 * top when not an integer below the reservation. */
AVal
moatK_int64(const AState *st, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *s = &ops[1];
    int  rd = moatK_gpr(ops[0].reg.value);
    AVal x = moatK_as_bnd(st->r[rd]);
    bool known = x.k == A_BND;
    bool imm = s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    int64_t k = imm ? s->imm.value.s : 0;

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_BEXTR:
        return bextr(st, in, ops, 64);
    case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: {
        bool sreg = s->type == ZYDIS_OPERAND_TYPE_REGISTER;
        if (in->mnemonic == ZYDIS_MNEMONIC_XOR && sreg &&
            s->reg.value == ops[0].reg.value)
            return moatK_ival(0, 0);            /* the zeroing idiom */
        int  rs = sreg ? moatK_gpr(s->reg.value) : -1;
        AVal y = imm && k >= 0 ? moatK_ival(k, k)
               : rs >= 0 ? moatK_as_bnd(st->r[rs]) : moatK_top();
        if (!known || y.k != A_BND)
            return moatK_top();
        /* (past REACH, moatK_ival says top) */
        return or_xor(x, y, in->mnemonic == ZYDIS_MNEMONIC_OR, INT64_MAX);
    }
    case ZYDIS_MNEMONIC_SHR:
        if (!imm)
            return moatK_top();
        k &= 63;
        if (known)
            return moatK_ival(x.lo >> k, x.c >> k);
        return k ? moatK_ival(0, (int64_t)(UINT64_MAX >> k)) : moatK_top();
    case ZYDIS_MNEMONIC_SHL:
        k &= 63;
        if (!imm || !known || x.c > (REACH >> k))     /* no overflow */
            return moatK_top();
        return moatK_ival(x.lo << k, x.c << k);
    case ZYDIS_MNEMONIC_AND:
        if (!imm || k < 0)
            return moatK_top();
        return moatK_ival(0, known && x.c < k ? x.c : k);
    case ZYDIS_MNEMONIC_IMUL: {
        if (in->operand_count_visible != 3 ||
            ops[2].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
            s->type != ZYDIS_OPERAND_TYPE_REGISTER)
            return moatK_top();
        int  rs = moatK_gpr(s->reg.value);
        AVal v = rs >= 0 ? moatK_as_bnd(st->r[rs]) : moatK_top();
        int64_t m = ops[2].imm.value.s;
        if (v.k != A_BND || m < 0 || m > 8)
            return moatK_top();
        return moatK_ival(v.lo * m, v.c * m);
    }
    default:
        return moatK_top();
    }
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

/* ---- lookup tables: switches LLVM turns into loads from read-only data
 * (`lea T(%rip), %r9; movslq (%r9,%rdx,4), %rdx` with rdx bounded by a
 * compare). The lea's one relocation names a symbol of a section that is
 * allocated, not written and not code; the value is that section and the
 * offset in it. */
AVal
moatK_rip_lea(const MS *ms, const ZydisDecodedInstruction *in)
{
    uint32_t    n;
    const KRel *r = moatK_rels_in(ms->s, ms->at, ms->at + in->length, &n);
    const KObj *o = &ms->c->obj;

    if (n != 1 || in->raw.disp.size != 32 || r->type != K_R_PC32 ||
        r->off != ms->at + in->raw.disp.offset)
        return moatK_top();             /* (a GOT slot is not the data) */
    const KSym *s = &o->sym[r->sym];
    if (s->shndx == 0 || s->shndx >= o->nsec)
        return moatK_top();
    const KSec *t = &o->sec[s->shndx];
    if (t->is_code || !(t->flags & ELF_SHF_ALLOC) ||
        (t->flags & ELF_SHF_WRITE) || t->size > (uint64_t)REACH)
        return moatK_top();
    /* PC32: S + A - P, P the field; the lea adds the next instruction's
     * address, 4 bytes (the field is its last) past P */
    uint64_t at = s->value + (uint64_t)r->addend +
                  (ms->at + in->length - r->off);
    if (at > t->size)
        return moatK_top();
    return (AVal){ A_RODATA, s->shndx, (int64_t)at };
}

bool
moatK_rodata_ok(const MS *ms, const Addr *a, int64_t size, bool write)
{
    if (a->has_b && a->has_i && a->i.k == A_RODATA && a->scale <= 1) {
        Addr t = *a;                    /* (idx, T, 1): the same sum */
        t.b = a->i;
        t.i = a->b;
        return moatK_rodata_ok(ms, &t, size, write);
    }
    if (write || !a->has_b || a->b.k != A_RODATA)
        return false;
    int64_t lo = a->b.lo + a->disp, hi = lo, s = a->scale ? a->scale : 1;
    if (a->has_i) {
        AVal i = moatK_as_bnd(a->i);
        if (i.k != A_BND)
            return false;
        lo += i.lo * s;
        hi += i.c * s;
    }
    const KSec *t = &ms->c->obj.sec[a->b.c];
    return lo >= 0 && hi + size <= (int64_t)t->size;
}

/* Entries a lookup-table load may read: at most this many are looked at
 * (each visit of the load reads them all: a bound on the work). */
#define TAB_MAX 256

bool
moatK_rodata_load(const MS *ms, const AState *st,
                  const ZydisDecodedInstruction *in,
                  const ZydisDecodedOperand *ops, AVal *out)
{
    ZydisMnemonic m = in->mnemonic;
    bool sx = m == ZYDIS_MNEMONIC_MOVSX || m == ZYDIS_MNEMONIC_MOVSXD;

    if ((m != ZYDIS_MNEMONIC_MOV && m != ZYDIS_MNEMONIC_MOVZX && !sx) ||
        ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        (ops[0].size != 32 && ops[0].size != 64) ||
        ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
        ops[1].mem.base == ZYDIS_REGISTER_RIP)
        return false;
    Addr a = moatK_addr_of(st, &ops[1]);
    int64_t n = ops[1].size / 8, s = a.scale ? a.scale : 1;
    AVal    i = a.has_i ? moatK_as_bnd(a.i) : moatK_ival(0, 0);
    if (!a.has_b || a.b.k != A_RODATA || i.k != A_BND ||
        i.c - i.lo >= TAB_MAX || (n != 1 && n != 2 && n != 4 && n != 8) ||
        !moatK_rodata_ok(ms, &a, n, false))
        return false;
    const KSec *t = &ms->c->obj.sec[a.b.c];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t k = i.lo; k <= i.c; k++) {
        uint64_t at = (uint64_t)(a.b.lo + a.disp + k * s), v = 0;
        uint32_t nrel;
        moatK_rels_in(t, at, at + (uint64_t)n, &nrel);
        if (!t->data || nrel)
            return false;               /* patched at load: not known */
        for (int64_t b = n - 1; b >= 0; b--)
            v = v << 8 | t->data[at + (uint64_t)b];
        int64_t x = (int64_t)v;
        if (sx && n < 8 && (v >> (8 * n - 1)) & 1)
            x = (int64_t)(v | ~((UINT64_C(1) << (8 * n)) - 1));
        if (ops[0].size == 32)
            x = (int64_t)((uint64_t)x & 0xffffffffu);
        if (x < 0)
            return false;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    *out = moatK_ival(lo, hi);
    return out->k == A_BND;
}
