/* saved_val.c - rule saved's abstract values (saved.h) and what one
 * instruction does to them: registers and 8-byte frame slots hold the
 * entry value of a register, the entry sp + c (within c - d .. c), an
 * sp-derived value of unknown offset, or unknown. saved.c runs them over
 * the function's blocks. What the rule assumes: saved.c.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <string.h>

#include "regs.h"
#include "saved.h"

static bool
is_sp(KAVal v)
{
    return v.kind == K_A_SP || v.kind == K_A_SPX;
}

bool
moatK_sv_same(KAVal a, KAVal b)
{
    return a.kind == b.kind && a.reg == b.reg && a.c == b.c && a.d == b.d;
}

/* The meet of two values: equal; two frame addresses: at most the
 * higher, unbounded below (a stack probe loop moves sp down a page per
 * turn: widened at once, so loops converge); else an sp-derived one stays
 * sp-derived (of unknown offset); else unknown. */
static KAVal
meet_val(KAVal a, KAVal b)
{
    if (moatK_sv_same(a, b))
        return a;
    if (a.kind == K_A_SP && b.kind == K_A_SP)
        return (KAVal){ K_A_SP, 0, a.c > b.c ? a.c : b.c, K_SV_FAR };
    if (is_sp(a) || is_sp(b))
        return (KAVal){ K_A_SPX, 0, 0, 0 };
    return (KAVal){ K_A_UNK, 0, 0, 0 };
}

bool
moatK_sv_meet(KAState *to, const KAState *in)
{
    bool changed = false;

    if (!in->seen)
        return false;
    if (!to->seen) {
        *to = *in;
        return true;
    }
    for (int r = 0; r < 16; r++) {
        KAVal v = meet_val(to->r[r], in->r[r]);
        changed |= !moatK_sv_same(v, to->r[r]);
        to->r[r] = v;
    }
    uint8_t n = 0;
    for (uint8_t i = 0; i < to->nslot; i++) {
        const KASlot *o = NULL;
        for (uint8_t k = 0; k < in->nslot && !o; k++)
            if (in->slot[k].off == to->slot[i].off)
                o = &in->slot[k];
        if (!o) {
            changed = true;
            continue;
        }
        KASlot s = { to->slot[i].off, meet_val(to->slot[i].v, o->v) };
        changed |= !moatK_sv_same(s.v, to->slot[i].v);
        to->slot[n++] = s;
    }
    to->nslot = n;
    return changed;
}

/* A write of size bytes at entry sp + off (known: false when the offset
 * is not): drops the slots it may overlap. */
void
moatK_sv_slot_drop(KAState *st, bool known, int64_t off, int64_t size)
{
    uint8_t n = 0;

    for (uint8_t i = 0; i < st->nslot; i++)
        if (known && (st->slot[i].off + 8 <= off ||
                      off + size <= st->slot[i].off))
            st->slot[n++] = st->slot[i];
    st->nslot = n;
}

static void
slot_put(KAState *st, int64_t off, KAVal v)
{
    moatK_sv_slot_drop(st, true, off, 8);
    if (st->nslot < K_SV_SLOTS && v.kind != K_A_UNK)
        st->slot[st->nslot++] = (KASlot){ off, v };
}

KAVal
moatK_sv_slot_get(const KAState *st, int64_t off)
{
    for (uint8_t i = 0; i < st->nslot; i++)
        if (st->slot[i].off == off)
            return st->slot[i].v;
    return (KAVal){ K_A_UNK, 0, 0, 0 };
}

/* The frame address of a memory operand: sp-derived, *known when in
 * [entry sp + *off - *d, entry sp + *off]; false when not sp-derived. */
static bool
frame_addr(const KAState *st, const ZydisDecodedOperand *o, bool *known,
           int64_t *off, int64_t *d)
{
    int b = moatK_gpr(o->mem.base), x = moatK_gpr(o->mem.index);
    bool sp_b = b >= 0 && is_sp(st->r[b]), sp_x = x >= 0 &&
                                                  is_sp(st->r[x]);

    if (!sp_b && !sp_x)
        return false;
    *known = sp_b && st->r[b].kind == K_A_SP && o->mem.index ==
             ZYDIS_REGISTER_NONE && o->mem.segment != ZYDIS_REGISTER_FS &&
             o->mem.segment != ZYDIS_REGISTER_GS;
    *off = *known ? st->r[b].c + o->mem.disp.value : 0;
    *d = *known ? st->r[b].d : 0;
    return true;
}

static KAVal
reg_val(const KAState *st, const ZydisDecodedOperand *o)
{
    int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER ? moatK_gpr(o->reg.value)
                                                   : -1;
    return r >= 0 && o->size == 64 ? st->r[r] : (KAVal){ K_A_UNK, 0, 0, 0 };
}

/* What a written 64-bit register gets from mov, lea, add/sub imm. */
static bool
model(const KAState *st, const ZydisDecodedInstruction *in,
      const ZydisDecodedOperand *ops, KAVal *v)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    bool    known;
    int64_t off, spread;

    if (d->size != 64 || d->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        moatK_gpr(d->reg.value) < 0)        /* e.g. an MMX register */
        return false;
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        s->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        *v = reg_val(st, s);
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
        s->type == ZYDIS_OPERAND_TYPE_MEMORY && s->size == 64 &&
        frame_addr(st, s, &known, &off, &spread) && known && !spread) {
        *v = moatK_sv_slot_get(st, off);
        return true;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_LEA && in->address_width == 64 &&
        frame_addr(st, s, &known, &off, &spread)) {
        *v = known ? (KAVal){ K_A_SP, 0, off, spread }
                   : (KAVal){ K_A_SPX, 0, 0, 0 };
        return true;
    }
    KAVal a = st->r[moatK_gpr(d->reg.value)];
    if ((in->mnemonic == ZYDIS_MNEMONIC_ADD ||
         in->mnemonic == ZYDIS_MNEMONIC_SUB) && a.kind == K_A_SP &&
        s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        int64_t k = s->imm.value.s;
        int64_t c = in->mnemonic == ZYDIS_MNEMONIC_ADD ? a.c + k : a.c - k;
        *v = c > -K_SV_FAR && c < K_SV_FAR      /* no overflow */
                 ? (KAVal){ K_A_SP, 0, c, a.d }
                 : (KAVal){ K_A_SPX, 0, 0, 0 };
        return true;
    }
    /* `and $-2^k`: rounds down by less than 2^k (a realigned frame) */
    if (in->mnemonic == ZYDIS_MNEMONIC_AND && a.kind == K_A_SP &&
        s->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && s->imm.value.s < 0 &&
        s->imm.value.s > -4096 &&
        (s->imm.value.u & (~s->imm.value.u + 1)) == (uint64_t)-s->imm.value.s
        ) {
        *v = (KAVal){ K_A_SP, 0, a.c, a.d - s->imm.value.s - 1 };
        v->d = v->d < K_SV_FAR ? v->d : K_SV_FAR;
        return true;
    }
    return false;
}

/* Registers and frame slots after one ordinary instruction (not push,
 * pop, leave, call, ret). */
void
moatK_sv_step_plain(KAState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops)
{
    KAVal    v;
    bool    known = model(st, in, ops, &v), reads_sp = false, fk;
    int64_t off, spread;

    for (uint8_t i = 0; i < in->operand_count; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
            moatK_gpr(ops[i].reg.value) >= 0 &&
            is_sp(st->r[moatK_gpr(ops[i].reg.value)]))
            reads_sp = true;
    for (uint8_t i = 0; i < in->operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            continue;
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
            frame_addr(st, o, &fk, &off, &spread)) {
            fk = fk && o->size > 0;
            moatK_sv_slot_drop(st, fk, off - spread, spread + o->size / 8);
            if (fk && !spread && in->mnemonic == ZYDIS_MNEMONIC_MOV &&
                i == 0 && o->size == 64)
                slot_put(st, off, reg_val(st, &ops[1]));
            continue;
        }
        int r = o->type == ZYDIS_OPERAND_TYPE_REGISTER
                    ? moatK_gpr(o->reg.value) : -1;
        if (r < 0)
            continue;
        if (i == 0 && known)
            st->r[r] = v;
        else            /* a value cut to 32 bits is not a frame address:
                         * as an address it is a heap index, the memory
                         * rule's */
            st->r[r] = (KAVal){ reads_sp && o->size == 64 ? K_A_SPX : K_A_UNK,
                               0, 0, 0 };
    }
}

/* push and pop: through rsp at a known offset, else rsp is lost. */
void
moatK_sv_step_stack(KAState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops)
{
    KAVal sp = st->r[K_SV_RSP];
    bool push = in->mnemonic == ZYDIS_MNEMONIC_PUSH;
    int  r = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[0].reg.value) : -1;

    if (sp.kind != K_A_SP || in->operand_width != 64) {
        moatK_sv_slot_drop(st, false, 0, 0);
        st->r[K_SV_RSP] = (KAVal){ K_A_SPX, 0, 0, 0 };
        if (!push && r >= 0)
            st->r[r] = (KAVal){ K_A_UNK, 0, 0, 0 };
        return;
    }
    if (push) {
        if (sp.d)
            moatK_sv_slot_drop(st, true, sp.c - 8 - sp.d, sp.d + 8);
        else
            slot_put(st, sp.c - 8, reg_val(st, &ops[0]));
        st->r[K_SV_RSP].c -= 8;
        return;
    }
    KAVal v = sp.d ? (KAVal){ K_A_UNK, 0, 0, 0 } : moatK_sv_slot_get(st, sp.c);
    st->r[K_SV_RSP].c += 8;
    if (r >= 0 && r != K_SV_RSP)
        st->r[r] = v;
    else if (r < 0)         /* pop to memory: anywhere in the frame */
        moatK_sv_slot_drop(st, false, 0, 0);
}

/* At a ret or a tail jump: rsp at the return address, the callee-saved
 * registers as on entry. */
void
moatK_sv_check_exit(KCheck *c, uint64_t off, const KAState *st,
                    const char *what, bool *failed)
{
    if (*failed)
        return;         /* one violation per function */
    const KAVal *sp = &st->r[K_SV_RSP];

    if (sp->kind != K_A_SP || sp->c != 0 || sp->d) {
        moatK_violation(c, K_SAVED, off, "%s with rsp not proven at the "
                        "return address", what);
        *failed = true;
        return;
    }
    for (int r = 0; r < 16; r++)
        if ((K_CALLEE_SAVED >> r & 1) &&
            (st->r[r].kind != K_A_ORIG || st->r[r].reg != r)) {
            moatK_violation(c, K_SAVED, off, "%s with %s not proven "
                            "restored", what, ZydisRegisterGetString(
                                (ZydisRegister)(ZYDIS_REGISTER_RAX + r)));
            *failed = true;
            return;
        }
}

