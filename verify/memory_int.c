/* memory_int.c - the memory rule's integer intervals (memory_loop.c has
 * the loops that use them): what 32- and 64-bit instructions compute from
 * intervals (the shapes LLVM bounds scaled indices and counters with:
 * constants, copies, and, or, xor, shifts, add/sub/adc, imul by a
 * constant, cmov, bextr, lzcnt/tzcnt, movzx), and lookup tables in
 * read-only data (a switch made a table: the interval of the entries a
 * load may read). Every result is a sound interval of the value the
 * instruction writes, or "not followed" (top, or false: memory_flow.c
 * then says what it knows).
 */
#include <string.h>

#include "elfload.h"
#include "memory.h"

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

/* What a 32-bit instruction of in computes (moatK_int32's parts): the
 * operands, whether the source is an immediate k or the destination
 * itself, and the destination's old value x. */
typedef struct Op32 {
    const AState                *st;
    const ZydisDecodedInstruction *in;
    const ZydisDecodedOperand   *ops, *s;
    bool                         imm, same;
    AVal                         x;
    int64_t                      k;
} Op32;

/* Moves and arithmetic: mov, or, xor, sub, add, adc, inc, dec, lea. */
static bool
arith32(const Op32 *o, AVal *out)
{
    const AState *st = o->st;
    const ZydisDecodedInstruction *in = o->in;
    const ZydisDecodedOperand *s = o->s;
    bool    imm = o->imm, same = o->same;
    AVal    x = o->x;
    int64_t k = o->k;

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
    default:
        return false;
    }
}

/* Bit fields and counts: and, shr, shl, movzx, bextr, cmov, imul $k,
 * lzcnt, tzcnt, popcnt. */
static bool
bits32(const Op32 *o, AVal *out)
{
    const AState *st = o->st;
    const ZydisDecodedInstruction *in = o->in;
    const ZydisDecodedOperand *ops = o->ops, *s = o->s;
    bool    imm = o->imm;
    AVal    x = o->x;
    int64_t k = o->k;

    switch (in->mnemonic) {
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

/* The interval a 32-bit write of in gives its first operand (zero-
 * extended), for the integer shapes that bound scaled indices and
 * counters: constants, copies, and, shifts, add/sub of constants,
 * zeroing idioms, counts of bits. false: not one of them (memory_flow.c
 * then says what it knows). */
bool
moatK_int32(const AState *st, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops, AVal *out)
{
    const ZydisDecodedOperand *s = &ops[1];
    Op32 o = { .st = st, .in = in, .ops = ops, .s = s };

    o.imm = in->operand_count_visible > 1 &&
            s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE;
    o.same = in->operand_count_visible > 1 &&
             s->type == ZYDIS_OPERAND_TYPE_REGISTER &&
             s->reg.value == ops[0].reg.value;
    o.x = src32(st, &ops[0]);           /* the old value, for dst ops */
    o.k = o.imm ? (int64_t)(int32_t)s->imm.value.s : 0;
    return arith32(&o, out) || bits32(&o, out);
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
