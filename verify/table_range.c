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
 * (moatK_range_edge), and every register known to hold a copy of it
 * (`mov %r12d, %edi` before `cmp $3, %r12d`; a write of either ends
 * that). Joins take the larger bound, widened to the next
 * 2^k - 1, so that a bound grows at most 64 times (loops converge).
 *
 * Spills: a 4- or 8-byte `mov` of a register to rbp + disp keeps its
 * bound for a load of the same size there (LLVM spills an index it
 * cleared and reloads it 64 bits wide). A write to rbp, a store through
 * rsp or with an index from rbp drop them all; a store at rbp + disp
 * drops those it overlaps, a push those at the 8 bytes below sp (all when
 * rsp is not known relative to rbp); a call those below sp, or all when
 * rsp is not known relative to rbp or the callee is not known to keep
 * rbp (moatK_range_call). Assumed, not proven here: a
 * store through any other register does not reach the frame (the memory
 * rule proves it; without it a store may reach a return address anyway:
 * docs/verify.md). A register computed from rsp or rbp (`lea -0x40(%rbp),
 * %rdi`) may hold a frame address: a store through it drops them all,
 * and so does a call it is passed to; once one is stored to memory, any
 * store through another register and any call do.
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "regs.h"
#include "verify.h"

#define U32 UINT64_C(0xffffffff)

uint64_t
moatK_range_widen(uint64_t m)
{
    for (int k = 1; k < 64; k++)            /* 2^k - 1 at or above m */
        if (m <= (UINT64_C(1) << k) - 1)
            return (UINT64_C(1) << k) - 1;
    return UINT64_MAX;
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
result_max(const KRange *g, const uint64_t *max,
           const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
           uint64_t width)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    uint64_t                   a = src_max(max, d), b;

    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (s->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            s->mem.base == ZYDIS_REGISTER_RBP &&
            s->mem.index == ZYDIS_REGISTER_NONE &&
            s->mem.segment != ZYDIS_REGISTER_FS &&
            s->mem.segment != ZYDIS_REGISTER_GS &&
            (s->size == 32 || s->size == 64))
            return moatK_range_slot(g, s->mem.disp.value,
                                    (uint8_t)(s->size / 8));
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
moatK_range_unknown(KRange *g)
{
    for (int r = 0; r < 16; r++)
        g->max[r] = UINT64_MAX;
    g->nslot = 0;
    g->spk_ok = false;
    g->fd = 0;
    g->esc = false;
    memset(g->rep, 0, sizeof g->rep);
    memset(g->rep32, 0, sizeof g->rep32);
}

/* A call: the callee writes below sp (its frame), and keeps rbp and the
 * spills above sp when it keeps the callee-saved registers (see the
 * assumption above); else nothing is known of them. */
void
moatK_range_call(KRange *g, bool keeps)
{
    uint32_t n = 0;

    /* a frame address passed (rdi, rsi, rdx, rcx, r8, r9) or stored: the
     * callee may write the frame, and return a frame address */
    bool frame_kept = keeps && !(g->fd & 0x03c6u) && !g->esc;

    g->esc |= !frame_kept;
    for (int r = 0; r < 16; r++)
        if (!keeps || (0x0fc7u >> r & 1)) {     /* rax-rdi, r8-r11 */
            g->max[r] = UINT64_MAX;
            g->fd &= (uint16_t)~(1u << r);
            moatK_copy_forget(g, r);
        }
    for (uint32_t i = 0; i < g->nslot; i++)
        if (frame_kept && g->spk_ok && g->slot[i].disp >= g->spk)
            g->slot[n++] = g->slot[i];
    g->nslot = n;
    g->spk_ok &= keeps;
}

/* rsp relative to rbp: `mov %rsp, %rbp` sets it, push, pop, add and sub
 * of a constant move it; any other write of either loses it. */
static void
track_sp(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
         KRange *g)
{
    bool wsp = false, wbp = false;
    int  r0 = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                  ? moatK_gpr(ops[0].reg.value) : -1;

    for (uint8_t i = 0; i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
            wsp |= moatK_gpr(ops[i].reg.value) == 4;
            wbp |= moatK_gpr(ops[i].reg.value) == 5;
        }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && r0 == 5 && ops[0].size == 64 &&
        ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ops[1].reg.value == ZYDIS_REGISTER_RSP) {
        g->spk_ok = true;
        g->spk = 0;
        return;
    }
    if (wbp) {
        g->spk_ok = false;
        return;
    }
    if (!wsp || !g->spk_ok)
        return;
    int64_t k = ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
                    ? ops[1].imm.value.s : 0;
    if (in->mnemonic == ZYDIS_MNEMONIC_PUSH && in->operand_width == 64)
        g->spk -= 8;
    else if (in->mnemonic == ZYDIS_MNEMONIC_POP && in->operand_width == 64)
        g->spk += 8;
    else if (r0 == 4 && ops[0].size == 64 &&
             ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && k > -(1 << 30) &&
             k < (1 << 30) && (in->mnemonic == ZYDIS_MNEMONIC_ADD ||
                               in->mnemonic == ZYDIS_MNEMONIC_SUB))
        g->spk += in->mnemonic == ZYDIS_MNEMONIC_ADD ? k : -k;
    else
        g->spk_ok = false;
    if (g->spk < -(INT64_C(1) << 40) || g->spk > (INT64_C(1) << 40))
        g->spk_ok = false;
}

uint64_t
moatK_range_slot(const KRange *g, int64_t disp, uint8_t size)
{
    for (uint32_t i = 0; i < g->nslot; i++) {
        const KRSlot *t = &g->slot[i];
        if (t->disp == disp && t->size == size)
            return t->max;
        if (t->disp == disp && t->size == 8 && size == 4)
            return t->max < U32 ? t->max : U32;     /* its low half */
    }
    return UINT64_MAX;
}

/* A write of size bytes at rbp + disp (all: anywhere in the frame). */
static void
slot_drop(KRange *g, bool all, int64_t disp, int64_t size)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < g->nslot; i++)
        if (!all && (g->slot[i].disp + g->slot[i].size <= disp ||
                     disp + size <= g->slot[i].disp))
            g->slot[n++] = g->slot[i];
    g->nslot = n;
}

/* rsp, rbp, or a register that may hold a frame address. */
static bool
frame_reg(const KRange *g, int r)
{
    return r == 4 || r == 5 || (r >= 0 && (g->fd >> r & 1));
}

/* The frame writes of `in` (before its register writes). */
static void
frame_writes(const ZydisDecodedInstruction *in,
             const ZydisDecodedOperand *ops, KRange *g)
{
    if (in->mnemonic == ZYDIS_MNEMONIC_PUSH ||
        in->meta.category == ZYDIS_CATEGORY_CALL) {
        /* the 8 bytes below sp (a stack argument pushed before a call),
         * or anywhere when sp is not known relative to rbp; a frame
         * address pushed (`push %rax` of `lea -8(%rbp), %rax`; rbp once
         * `mov %rsp, %rbp` made it one, not the prologue's) may reach a
         * callee */
        int p = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                    ? moatK_gpr(ops[0].reg.value) : -1;
        slot_drop(g, !g->spk_ok || in->operand_width != 64, g->spk - 8, 8);
        if (in->mnemonic == ZYDIS_MNEMONIC_PUSH && p >= 0 &&
            (p == 5 ? g->spk_ok : frame_reg(g, p))) {
            g->esc = true;
            slot_drop(g, true, 0, 0);
        }
        return;
    }
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
            !(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        int b = moatK_gpr(o->mem.base), x = moatK_gpr(o->mem.index);
        /* a frame address stored: any store may reach the frame now */
        for (uint8_t k = 0; k < in->operand_count; k++)
            if (ops[k].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                ops[k].size == 64 && frame_reg(g, moatK_gpr(ops[k].reg.value)))
                g->esc = true;
        if (!frame_reg(g, b) && !frame_reg(g, x)) {
            if (g->esc)
                slot_drop(g, true, 0, 0);
            continue;           /* not the frame: assumed (see above) */
        }
        if (b != 5 || x >= 0 || o->size == 0 ||
            o->mem.segment == ZYDIS_REGISTER_FS ||
            o->mem.segment == ZYDIS_REGISTER_GS) {
            slot_drop(g, true, 0, 0);
            continue;
        }
        slot_drop(g, false, o->mem.disp.value, o->size / 8);
        if (in->mnemonic == ZYDIS_MNEMONIC_MOV && i == 0 &&
            (o->size == 32 || o->size == 64) && g->nslot < K_RSLOTS &&
            ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            moatK_gpr(ops[1].reg.value) >= 0) {
            KRSlot *t = &g->slot[g->nslot++];
            *t = (KRSlot){ .disp = o->mem.disp.value,
                           .size = (uint8_t)(o->size / 8),
                           .max = reg_max(g->max, ops[1].reg.value) };
            moatK_copy_store(g, t, moatK_gpr(ops[1].reg.value));
        }
    }
}

void
moatK_range_step(const ZydisDecodedInstruction *in,
                 const ZydisDecodedOperand *ops, KRange *g)
{
    uint64_t *max = g->max, old[16];
    uint8_t   crep, crep32;     /* a copy: the classes ops[0] joins */
    bool      copy = moatK_copy_of(g, in, ops, &crep, &crep32);
    bool      reads_frame = false;     /* a 64-bit result from a frame address */
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && o->size == 64 &&
            (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
            frame_reg(g, moatK_gpr(o->reg.value)))
            reads_frame = true;
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            in->mnemonic == ZYDIS_MNEMONIC_LEA &&
            (frame_reg(g, moatK_gpr(o->mem.base)) ||
             frame_reg(g, moatK_gpr(o->mem.index))))
            reads_frame = true;
    }
    frame_writes(in, ops, g);
    track_sp(in, ops, g);
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
        uint64_t v = i == 0 ? result_max(g, old, in, ops,
                                         o->size == 32 ? U32 : UINT64_MAX)
                            : UINT64_MAX;
        if (r == 5)             /* rbp moved: the spills are not known */
            slot_drop(g, true, 0, 0);
        if (reads_frame && o->size == 64 && r != 4 && r != 5)
            g->fd |= (uint16_t)(1u << r);
        else
            g->fd &= (uint16_t)~(1u << r);
        moatK_copy_forget(g, r);
        if (i == 0 && copy) {
            g->rep[r] = crep;
            g->rep32[r] = crep32;
        }
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
    const ZydisDecodedOperand *o = &ops[0];
    bool reg = o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
               moatK_gpr(o->reg.value) >= 0;
    bool slot = o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
                o->mem.base == ZYDIS_REGISTER_RBP &&
                o->mem.index == ZYDIS_REGISTER_NONE &&
                o->mem.segment != ZYDIS_REGISTER_FS &&
                o->mem.segment != ZYDIS_REGISTER_GS;

    /* a register's low 8 (not ah-dh), 16, 32 bits or all of it; a slot's
     * 4 or 8 bytes */
    if (in->mnemonic != ZYDIS_MNEMONIC_CMP || (!reg && !slot) ||
        (o->size != 32 && o->size != 64 && (!reg || o->size != 16) &&
         (!reg || o->size != 8 || o->reg.value == ZYDIS_REGISTER_AH ||
          o->reg.value == ZYDIS_REGISTER_BH ||
          o->reg.value == ZYDIS_REGISTER_CH ||
          o->reg.value == ZYDIS_REGISTER_DH)) ||
        ops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return false;
    uint64_t mask = o->size == 64 ? UINT64_MAX
                                  : (UINT64_C(1) << o->size) - 1;
    *cmp = (KCmp){ reg ? moatK_gpr(o->reg.value) : -1, (uint8_t)o->size,
                   ops[1].imm.value.u & mask,
                   slot ? o->mem.disp.value : 0 };
    return true;
}

/* The edge of jump `m` after cmp (taken or not): r at most what it says,
 * if the compare saw all of r (64 bits, or r's upper half is zero). */
void
moatK_range_edge(const KCmp *cmp, int m, bool taken, KRange *g)
{
    uint64_t bound;

    if ((m == ZYDIS_MNEMONIC_JNBE && !taken) ||
        (m == ZYDIS_MNEMONIC_JBE && taken))
        bound = cmp->imm;                       /* not above */
    else if (((m == ZYDIS_MNEMONIC_JNB && !taken) ||
              (m == ZYDIS_MNEMONIC_JB && taken)) && cmp->imm > 0)
        bound = cmp->imm - 1;                   /* below */
    else if ((m == ZYDIS_MNEMONIC_JZ && taken) ||
             (m == ZYDIS_MNEMONIC_JNZ && !taken))
        bound = cmp->imm;                       /* equal */
    else if ((m == ZYDIS_MNEMONIC_JNZ && taken) ||
             (m == ZYDIS_MNEMONIC_JZ && !taken)) {
        moatK_copy_bound(g, cmp, true, cmp->imm);   /* not equal: a bound */
        return;                                     /* of imm drops by 1 */
    } else
        return;
    moatK_copy_bound(g, cmp, false, bound);     /* it, and its copies */
}

bool
moatK_range_meet(KRange *to, const KRange *in, bool widen)
{
    bool     changed = false;
    uint32_t n = 0;

    for (int r = 0; r < 16; r++)
        if (in->max[r] > to->max[r]) {
            to->max[r] = widen ? moatK_range_widen(in->max[r]) : in->max[r];
            changed = true;
        }
    for (uint32_t i = 0; i < to->nslot; i++) {
        KRSlot  *t = &to->slot[i];
        uint64_t v = UINT64_MAX;
        for (uint32_t k = 0; k < in->nslot; k++)
            if (in->slot[k].disp == t->disp && in->slot[k].size == t->size)
                v = in->slot[k].max;
        if (v == UINT64_MAX) {
            changed = true;
            continue;
        }
        if (v > t->max) {
            t->max = widen ? moatK_range_widen(v) : v;
            changed = true;
        }
        to->slot[n++] = *t;
    }
    to->nslot = n;
    changed |= moatK_copy_meet(to, in);
    if ((in->fd & ~to->fd) || (in->esc && !to->esc)) {
        to->fd |= in->fd;
        to->esc |= in->esc;
        changed = true;
    }
    if (to->spk_ok && (!in->spk_ok || in->spk != to->spk)) {
        to->spk_ok = false;
        changed = true;
    }
    return changed;
}
