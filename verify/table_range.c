/* table_range.c - upper bounds of general registers, for table_base.c's
 * must-analysis: a jump table's index is often bounded in an earlier
 * block than the jump's window (an index zero-extended by a 32-bit
 * write, `cmp $3, %r11d; ja` on one path, or a value no compare bounds:
 * atan2's quadrant `shr $63; shr $31; lea (%rsi,%rdx,2), %esi` is at most
 * 3, and LLVM leaves the check out). Each register has a bound max
 * (the value is at most max, unsigned; UINT64_MAX: unknown). Transfer
 * (moatK_range_step): a 32-bit write is at most 2^32 - 1 (it
 * zero-extends), and less for mov of a constant or of a bounded register,
 * `and` with a constant, `shr` by a constant, `movzx`, `lea`/`add` of
 * bounded parts, `xor r, r`; an 8- or 16-bit write keeps the bits above
 * it; any other write is unknown. A compare of a register with a constant
 * bounds it on the edge where the jump says it is not above
 * (moatK_range_edge). Joins take the larger bound, widened to 2^8 - 1,
 * 2^16 - 1, 2^32 - 1 or unknown so that loops converge.
 */
#include <Zydis/Zydis.h>

#include "regs.h"
#include "verify.h"

#define U32 UINT64_C(0xffffffff)

uint64_t
moatK_range_widen(uint64_t m)
{
    if (m <= 0xff)
        return 0xff;
    if (m <= 0xffff)
        return 0xffff;
    return m <= U32 ? U32 : UINT64_MAX;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
reg_max(const uint64_t *max, ZydisRegister r)
{
    int g = moatK_gpr(r);

    if (r == ZYDIS_REGISTER_NONE)
        return 0;
    if (g < 0)
        return UINT64_MAX;
    switch (ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r)) {
    case 8:
        return ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR8 &&
               (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_BH ||
                r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH)
                   ? (max[g] >> 8 < 0xff ? max[g] >> 8 : 0xff)
                   : (max[g] < 0xff ? max[g] : 0xff);
    case 16:
        return max[g] < 0xffff ? max[g] : 0xffff;
    case 32:
        return max[g] < U32 ? max[g] : U32;
    default:
        return max[g];
    }
}

static uint64_t
src_max(const uint64_t *max, const ZydisDecodedOperand *o)
{
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER)
        return reg_max(max, o->reg.value);
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return o->size == 64 || o->imm.is_signed == 0 ||
               o->imm.value.s >= 0 ? o->imm.value.u : UINT64_MAX;
    return UINT64_MAX;
}

/* The bound of what `in` writes to its first operand, at most `width`
 * all-ones (32 or 64 bits), or UINT64_MAX when not modelled. */
static uint64_t
result_max(const uint64_t *max, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops, uint64_t width)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    uint64_t                   a = src_max(max, d), b;

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        return src_max(max, s);
    case ZYDIS_MNEMONIC_MOVZX:
        return s->size == 8 ? 0xff : 0xffff;
    case ZYDIS_MNEMONIC_AND:
        b = src_max(max, s);
        return a < b ? a : b;
    case ZYDIS_MNEMONIC_SHR:
        if (s->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return a;
        return (a < width ? a : width) >> (s->imm.value.u &
                                           (width == U32 ? 31 : 63));
    case ZYDIS_MNEMONIC_XOR:
        return s->type == ZYDIS_OPERAND_TYPE_REGISTER &&
               s->reg.value == d->reg.value ? 0 : UINT64_MAX;
    case ZYDIS_MNEMONIC_ADD:
        return add_sat(a, src_max(max, s));
    case ZYDIS_MNEMONIC_LEA:
        if (in->address_width != 64 || s->mem.base == ZYDIS_REGISTER_RIP ||
            s->mem.disp.value < 0)
            return UINT64_MAX;
        b = reg_max(max, s->mem.index);
        if (b > UINT64_MAX / 8)
            return UINT64_MAX;
        return add_sat(add_sat(reg_max(max, s->mem.base),
                               b * (s->mem.scale ? s->mem.scale : 1)),
                       (uint64_t)s->mem.disp.value);
    default:
        return UINT64_MAX;
    }
}

void
moatK_range_step(const ZydisDecodedInstruction *in,
                 const ZydisDecodedOperand *ops, uint64_t *max)
{
    uint64_t old[16];

    for (int r = 0; r < 16; r++)
        old[r] = max[r];
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
                    ? moatK_gpr(o->reg.value) : -1;
        if (r < 0)
            continue;
        int      up = moatK_upper_after(in, o);
        uint64_t v = i == 0 ? result_max(old, in, ops, o->size == 32
                                                           ? U32 : UINT64_MAX)
                            : UINT64_MAX;
        if (o->size == 8 || o->size == 16)       /* the bits above kept */
            max[r] = old[r] | 0xffff;
        else if (up > 0)
            max[r] = v < U32 ? v : U32;
        else if (up == 0)                       /* may not be written */
            max[r] = old[r] > U32 ? old[r] : U32;
        else
            max[r] = i == 0 && (in->mnemonic == ZYDIS_MNEMONIC_MOV ||
                                in->mnemonic == ZYDIS_MNEMONIC_MOVZX ||
                                in->mnemonic == ZYDIS_MNEMONIC_AND ||
                                in->mnemonic == ZYDIS_MNEMONIC_SHR ||
                                in->mnemonic == ZYDIS_MNEMONIC_XOR ||
                                in->mnemonic == ZYDIS_MNEMONIC_ADD ||
                                in->mnemonic == ZYDIS_MNEMONIC_LEA)
                         ? v : UINT64_MAX;
    }
}

/* `cmp r, imm` (or `sub`) of a general register: what the flags say
 * about r. */
bool
moatK_range_cmp(const ZydisDecodedInstruction *in,
                const ZydisDecodedOperand *ops, KCmp *cmp)
{
    if ((in->mnemonic != ZYDIS_MNEMONIC_CMP) ||
        ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        moatK_gpr(ops[0].reg.value) < 0 ||
        (ops[0].size != 32 && ops[0].size != 64) ||
        ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return false;
    *cmp = (KCmp){ moatK_gpr(ops[0].reg.value), (uint8_t)ops[0].size,
                   ops[1].imm.value.u & (ops[0].size == 32 ? U32
                                                           : UINT64_MAX) };
    return true;
}

/* The edge of jump `m` after cmp (taken or not): r at most what it says,
 * if the compare saw all of r (64 bits, or r's upper half is zero). */
void
moatK_range_edge(const KCmp *cmp, int m, bool taken, uint64_t *max)
{
    uint64_t bound;

    if (cmp->width == 32 && max[cmp->reg] > U32)
        return;
    if ((m == ZYDIS_MNEMONIC_JNBE && !taken) ||
        (m == ZYDIS_MNEMONIC_JBE && taken))
        bound = cmp->imm;                       /* not above */
    else if (((m == ZYDIS_MNEMONIC_JNB && !taken) ||
              (m == ZYDIS_MNEMONIC_JB && taken)) && cmp->imm > 0)
        bound = cmp->imm - 1;                   /* below */
    else
        return;
    if (bound < max[cmp->reg])
        max[cmp->reg] = bound;
}
