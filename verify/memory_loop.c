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
#include "memory.h"

/* Where growing bounds jump when a block keeps changing (widening): the
 * 32-bit range, then 5 GiB (a walk's head is at most 2^32 + its stride,
 * and an access there may add 1 GiB of displacement), then unknown. */
#define WIDE1 U32MAX
#define WIDE2 (REACH - (INT64_C(1) << 30))

AVal
moatK_heapptr(int64_t lo, int64_t hi)
{
    if (hi > REACH || lo < HEAP_LO_MIN || lo > hi)
        return moatK_top();
    return (AVal){ A_HEAPPTR, hi, lo };
}

AVal
moatK_ival(int64_t lo, int64_t hi)
{
    if (lo < 0 || hi > REACH || lo > hi)
        return moatK_top();
    return (AVal){ A_BND, hi, lo };
}

static int64_t
widen_hi(int64_t hi)
{
    if (hi <= WIDE1)
        return WIDE1;
    return hi <= WIDE2 ? WIDE2 : INT64_MAX;
}

/* a and b of one kind, A_BND or A_HEAPPTR. */
AVal
moatK_ival_join(AVal a, AVal b, bool widen)
{
    int64_t hi = a.c > b.c ? a.c : b.c;
    int64_t lo = a.lo < b.lo ? a.lo : b.lo;

    if (widen && hi > a.c)
        hi = widen_hi(hi);
    if (widen && lo < a.lo)
        lo = lo >= 0 ? 0 : HEAP_LO_MIN;
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
    else if (v->k == A_BND && hi < v->c)
        *v = moatK_ival(v->lo < hi ? v->lo : hi, hi);
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
        return moatK_ival(0, v.c);
    return v.k == A_BND && v.c <= U32MAX ? v : moatK_ival(0, U32MAX);
}

/* x + k in 32 bits, when no value of x wraps around. */
static AVal
add32(AVal x, int64_t k)
{
    if (x.lo + k < 0 || x.c + k > U32MAX)
        return moatK_ival(0, U32MAX);
    return moatK_ival(x.lo + k, x.c + k);
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
    case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_SUB:
        if (!same)
            return in->mnemonic == ZYDIS_MNEMONIC_SUB && imm &&
                   (*out = add32(x, -k), true);
        *out = moatK_ival(0, 0);
        return true;
    case ZYDIS_MNEMONIC_ADD:
        if (!imm)
            return false;
        *out = add32(x, k);
        return true;
    case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
        *out = add32(x, in->mnemonic == ZYDIS_MNEMONIC_INC ? 1 : -1);
        return true;
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
    case ZYDIS_MNEMONIC_LZCNT: case ZYDIS_MNEMONIC_TZCNT:
    case ZYDIS_MNEMONIC_POPCNT:
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
    case ZYDIS_MNEMONIC_SHR:
        if (!imm)
            return moatK_top();
        k &= 63;
        if (known)
            return moatK_ival(x.lo >> k, x.c >> k);
        return k ? moatK_ival(0, (int64_t)(UINT64_MAX >> k)) : moatK_top();
    case ZYDIS_MNEMONIC_SHL:
        k &= 63;
        if (!imm || !known || k > 3)
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
        AVal v = moatK_as_bnd(st->r[moatK_gpr(s->reg.value)]);
        int64_t m = ops[2].imm.value.s;
        if (v.k != A_BND || m < 0 || m > 8)
            return moatK_top();
        return moatK_ival(v.lo * m, v.c * m);
    }
    default:
        return moatK_top();
    }
}
