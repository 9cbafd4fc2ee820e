/* table_dirty.c - which frame slots table.c's window has written since
 * its start, where table_range.c's state at the start (bounds and copy
 * classes of spills at rbp + disp) no longer says what they hold. A
 * store at rbp + disp makes that range dirty; a store through rsp, a
 * push, the return address of a call the bytes they write, when rsp is
 * known relative to rbp (from the start's state, then push, pop, add and
 * sub of a constant, `mov %rsp, %rbp`); a call everything below sp (the
 * callee's frame), or everything when a frame address may be passed to
 * it or be in memory (the callee may write through it: registers computed
 * from rsp, rbp or such a register, as table_range.c's fd and esc, which
 * the start's state gives) or the callee is not known to keep rbp; a
 * write of rbp, a store anywhere else in the frame, or more ranges than
 * it keeps: everything.
 */
#include <Zydis/Zydis.h>

#include "regs.h"
#include "verify.h"

void
moatK_dirty_init(KDirty *d, const KRange *g)
{
    *d = (KDirty){ .all = !g, .spk_ok = g && g->spk_ok,
                   .spk = g ? g->spk : 0, .fd = g ? g->fd : 0xffff,
                   .esc = !g || g->esc };
}

static void
mark(KDirty *d, int64_t lo, int64_t hi)
{
    if (d->n == K_NDIRTY)
        d->all = true;
    else
        d->r[d->n++] = (KDirtyRange){ lo, hi };
}

void
moatK_dirty_write(KDirty *d, int base, int64_t disp, uint16_t size)
{
    if (base == 5)
        mark(d, disp, disp + size);
    else if (base == 4 && d->spk_ok)
        mark(d, d->spk + disp, d->spk + disp + size);
    else
        d->all = true;
}

void
moatK_dirty_push(KDirty *d)
{
    if (d->spk_ok)              /* the 8 bytes below sp */
        mark(d, d->spk - 8, d->spk);
    else
        d->all = true;
}

void
moatK_dirty_call(KDirty *d, bool keeps)
{
    /* a frame address in rdi, rsi, rdx, rcx, r8, r9, or stored */
    if (!keeps || !d->spk_ok || (d->fd & 0x03c6u) || d->esc)
        d->all = true;
    else                        /* the return address, the callee's frame */
        mark(d, INT64_MIN / 2, d->spk);
}

/* rsp relative to rbp, and registers computed from either (after the
 * instruction's own memory writes). */
void
moatK_dirty_step(KDirty *d, const ZydisDecodedInstruction *in,
                 const ZydisDecodedOperand *ops)
{
    int  r0 = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                  ? moatK_gpr(ops[0].reg.value) : -1;
    bool reads = false;         /* a 64-bit value from a frame address */

    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER
                    ? moatK_gpr(o->reg.value) : -1;
        reads |= (r == 4 || r == 5 || (r >= 0 && (d->fd >> r & 1))) &&
                 o->size == 64 && (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
                 && o->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT;
        reads |= in->mnemonic == ZYDIS_MNEMONIC_LEA && i == 1 &&
                 o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
                 (moatK_gpr(o->mem.base) == 4 || moatK_gpr(o->mem.base) == 5
                  || moatK_gpr(o->mem.index) == 4 ||
                  moatK_gpr(o->mem.index) == 5 ||
                  (moatK_gpr(o->mem.base) >= 0 &&
                   (d->fd >> moatK_gpr(o->mem.base) & 1)) ||
                  (moatK_gpr(o->mem.index) >= 0 &&
                   (d->fd >> moatK_gpr(o->mem.index) & 1)));
        if (r == 5 && (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            d->all = true;
    }
    /* a frame address pushed (rbp once it is one) or stored: a callee
     * may find it */
    int p0 = in->mnemonic == ZYDIS_MNEMONIC_PUSH &&
             ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[0].reg.value) : -1;
    if (p0 == 4 || (p0 == 5 && d->spk_ok) || (p0 >= 0 && (d->fd >> p0 & 1)))
        d->esc = true;
    for (uint8_t i = 0; in->mnemonic != ZYDIS_MNEMONIC_PUSH &&
                        in->meta.category != ZYDIS_CATEGORY_CALL &&
                        i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && reads)
            d->esc = true;
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
                (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
                    ? moatK_gpr(o->reg.value) : -1;
        if (r < 0 || r == 4 || r == 5)
            continue;
        if (reads && o->size == 64)
            d->fd |= (uint16_t)(1u << r);
        else
            d->fd &= (uint16_t)~(1u << r);
    }
    if (in->meta.category == ZYDIS_CATEGORY_CALL)   /* results: not ours */
        d->fd &= (uint16_t)~0x0fc7u;
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && r0 == 5 &&
        ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ops[1].reg.value == ZYDIS_REGISTER_RSP) {
        d->spk_ok = true;
        d->spk = 0;
        return;
    }
    bool wsp = false;
    for (uint8_t i = 0; i < in->operand_count; i++)
        wsp |= ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
               moatK_gpr(ops[i].reg.value) == 4 &&
               (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
    if (!wsp || !d->spk_ok || in->meta.category == ZYDIS_CATEGORY_CALL)
        return;                 /* a call's callee returns sp as it was */
    int64_t k = ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE
                    ? ops[1].imm.value.s : 0;
    if (in->mnemonic == ZYDIS_MNEMONIC_PUSH && in->operand_width == 64)
        d->spk -= 8;
    else if (in->mnemonic == ZYDIS_MNEMONIC_POP && in->operand_width == 64)
        d->spk += 8;
    else if (r0 == 4 && ops[0].size == 64 &&
             ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && k > -(1 << 30) &&
             k < (1 << 30) && (in->mnemonic == ZYDIS_MNEMONIC_ADD ||
                               in->mnemonic == ZYDIS_MNEMONIC_SUB))
        d->spk += in->mnemonic == ZYDIS_MNEMONIC_ADD ? k : -k;
    else
        d->spk_ok = false;
}

bool
moatK_dirty_holds(const KDirty *d, int64_t disp, uint8_t size)
{
    if (d->all)
        return false;
    for (uint32_t i = 0; i < d->n; i++)
        if (d->r[i].lo < disp + size && disp < d->r[i].hi)
            return false;
    return true;
}
