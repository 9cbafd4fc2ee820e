/* memory_slot.c - the memory rule's frame slots (verify/memory.h): what
 * stores of 8, 4 or 1 bytes left at constant offsets of the frame. A slot
 * stored from a register stays equal to it until that register is
 * written (AState.seq), so a check the register gets later holds for the
 * slot too: -O0 spills a value, compares the register, reloads the slot.
 * At most NSLOTS, kept sorted by offset (they never overlap), so that a
 * merge of two states is one walk over both: hostile code with many
 * slots costs in proportion to them, not to their square. When full, the
 * least useful one goes (slot_worth).
 */
#include <string.h>

#include "memory.h"

/* The slot at frame offset off of at least `size` bytes (4 or 8), or -1.
 * A 4-byte load reads the low half of an 8-byte slot. */
int
moatK_slot_find(const AState *st, int64_t off, uint32_t size)
{
    uint32_t lo = 0, hi = st->nslot;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (st->soff[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->nslot && st->soff[lo] == off && st->ssize[lo] >= size
               ? (int)lo : -1;
}

/* The low 32 bits of v, as a 4-byte store keeps them. */
AVal
moatK_low32(AVal v)
{
    if ((v.k == A_BND || v.k == A_LOW32) && v.c <= U32MAX)
        return moatK_bnd(v.c);
    if (v.k == A_TIDX || v.k == A_TLOW)     /* sizes are 32-bit */
        return (AVal){ A_TIDX, v.c, 0 };
    if (v.k == A_TSIZE || v.k == A_RTYPE || v.k == A_TYPEID)
        return v;                           /* 32-bit values */
    return moatK_bnd(U32MAX);
}

const AVal *
moatK_slot(const AState *st, int64_t off)
{
    int i = moatK_slot_find(st, off, 8);

    return i >= 0 ? &st->sval[i] : NULL;
}

/* Copies slot i to j. */
static void
slot_move(AState *st, uint32_t j, uint32_t i)
{
    st->soff[j] = st->soff[i];
    st->sval[j] = st->sval[i];
    st->ssize[j] = st->ssize[i];
    st->seq[j] = st->seq[i];
}

void
moatK_slot_remove(AState *st, uint32_t i)
{
    for (st->nslot--; i < st->nslot; i++)
        slot_move(st, i, i + 1);
}

/* Drops slots overlapping [lo, hi) (frame offsets). */
void
moatK_slot_drop(AState *st, int64_t lo, int64_t hi)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < st->nslot; i++)
        if (!(st->soff[i] < hi && lo < st->soff[i] + st->ssize[i]))
            slot_move(st, n++, i);
    st->nslot = n;
}

/* How much a slot is worth keeping when the table is full: 0 says no
 * more than a 4-byte load would; 1 a value of a call_indirect sequence
 * (funcref, code, flag byte: the oldest load goes first, by id); 2 a
 * bound; 3 anything else; 4 ctx or a saved callee-saved register (the
 * calls and ret need them). */
static int
slot_worth(const AState *st, uint32_t i)
{
    AVal v = st->sval[i];

    if (v.k == A_BND && st->seq[i] < 0)
        return st->ssize[i] == 4 && v.c == U32MAX ? 0 : 2;
    if (v.k == A_REFNULL || v.k == A_REF || v.k == A_RCODE ||
        v.k == A_RTYPE || v.k == A_HINT || v.k == A_BOOL || v.k == A_NBOOL)
        return 1;
    return v.k == A_CTX || v.k == A_ENTRY ? 4 : 3;
}

/* Makes room in a full slot table; false: nothing may go. */
static bool
slot_evict(AState *st)
{
    uint32_t best = 0;
    int      bw = 5;

    for (uint32_t i = 0; i < st->nslot; i++) {
        int w = slot_worth(st, i);
        if (w < bw || (w == bw && w == 1 && (st->sval[i].c & ID_MASK) <
                                              (st->sval[best].c & ID_MASK))) {
            best = i;
            bw = w;
        }
    }
    if (bw >= 4)
        return false;
    moatK_slot_remove(st, best);
    return true;
}

/* A store of size bytes (8, 4 or 1) of v at off; eq: the register it was
 * stored from (still equal to it until that register is written), or -1. */
void
moatK_slot_put(AState *st, int64_t off, AVal v, uint32_t size, int eq)
{
    moatK_slot_drop(st, off, off + size);
    if (v.k == A_FRAMES)                /* a range: rsp's alone */
        v = moatK_top();
    if (v.k == A_TOP && eq < 0)
        return;
    if (st->nslot == NSLOTS && !slot_evict(st))
        return;
    uint32_t i = st->nslot++;
    for (; i > 0 && st->soff[i - 1] > off; i--)
        slot_move(st, i, i - 1);        /* (j > i here: one up) */
    st->soff[i] = off;
    st->sval[i] = v;
    st->ssize[i] = (uint8_t)size;
    st->seq[i] = (int8_t)eq;
}

void
moatK_slot_set(AState *st, int64_t off, AVal v)
{
    moatK_slot_put(st, off, v, 8, -1);
}

/* Merges the slots of `in` into *to (both sorted: one walk); true when
 * *to changed. A slot stays where both have it, of one size. */
bool
moatK_slot_merge(AState *to, const AState *in, bool widen)
{
    uint32_t n = 0, k = 0;
    bool     changed = false;

    for (uint32_t i = 0; i < to->nslot; i++) {
        while (k < in->nslot && in->soff[k] < to->soff[i])
            k++;
        bool same = k < in->nslot && in->soff[k] == to->soff[i] &&
                    in->ssize[k] == to->ssize[i];
        AVal j = same ? moatK_join_w(to->sval[i], in->sval[k], widen)
                      : moatK_top();
        int8_t eq = same && in->seq[k] == to->seq[i] ? to->seq[i] : -1;
        if (j.k == A_TOP && eq < 0) {
            changed = true;
            continue;
        }
        changed |= !moatK_same(j, to->sval[i]) || eq != to->seq[i];
        to->sval[i] = j;
        to->seq[i] = eq;
        slot_move(to, n++, i);
    }
    to->nslot = n;
    return changed;
}

/* Drops the slots whose value is unknown and equal to no register. */
void
moatK_slot_compact(AState *st)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < st->nslot; i++)
        if (st->sval[i].k != A_TOP || st->seq[i] >= 0)
            slot_move(st, n++, i);
    st->nslot = n;
}

/* Register r is written: slots stored from it are no longer equal to it. */
void
moatK_slot_unalias(AState *st, int r)
{
    for (uint32_t i = 0; i < st->nslot; i++)
        if (st->seq[i] == r)
            st->seq[i] = -1;
}

/* A store to the frame at offset `at` by operand i of in: a register or
 * constant moved there is followed (4 or 8 bytes; the slot stays equal
 * to the register it came from until that register is written, so a
 * bound the register gets later holds for the slot too: -O0 spills a
 * value, then compares the register, then reloads it); anything else
 * forgets what was there. */
void
moatK_frame_store(AState *st, const ZydisDecodedInstruction *in,
            const ZydisDecodedOperand *ops, int64_t at, uint8_t i)
{
    const ZydisDecodedOperand *o = &ops[i];
    int rs = ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER
                 ? moatK_gpr(ops[1].reg.value) : -1;
    bool mov = in->mnemonic == ZYDIS_MNEMONIC_MOV && i == 0;

    if (mov && o->size == 64 && rs >= 0)
        moatK_slot_put(st, at, st->r[rs], 8, rs);
    else if (mov && o->size == 32 && rs >= 0)
        moatK_slot_put(st, at, moatK_low32(st->r[rs]), 4, rs);
    else if (mov && o->size == 8 && rs >= 0 &&
             (st->r[rs].k == A_BOOL || st->r[rs].k == A_NBOOL) &&
             ops[1].reg.value != ZYDIS_REGISTER_AH &&
             ops[1].reg.value != ZYDIS_REGISTER_BH &&
             ops[1].reg.value != ZYDIS_REGISTER_CH &&
             ops[1].reg.value != ZYDIS_REGISTER_DH)
        moatK_slot_put(st, at, st->r[rs], 1, -1);     /* a flag byte */
    else if (mov && o->size == 32 &&
             ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        moatK_slot_put(st, at, moatK_bnd((int64_t)(ops[1].imm.value.u &
                                                   U32MAX)), 4, -1);
    else
        moatK_slot_drop(st, at, at + (o->size / 8 ? o->size / 8 : 1));
}

/* A mov of 4 or 8 bytes from a frame slot into register r (already
 * written): r has the slot's value, and the slot stays equal to it. */
void
moatK_frame_load(AState *st, const ZydisDecodedInstruction *in,
           const ZydisDecodedOperand *ops, int r)
{
    if (in->mnemonic != ZYDIS_MNEMONIC_MOV ||
        ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY)
        return;
    Addr a = moatK_addr_of(st, &ops[1]);
    if (!a.has_b || a.has_i || a.b.k != A_FRAME ||
        moatK_gpr(ops[1].mem.base) == r)
        return;
    uint32_t size = ops[0].size / 8;
    int      k = moatK_slot_find(st, a.b.c + a.disp, size);
    if (k < 0)
        return;
    st->r[r] = size == 4 ? moatK_low32(st->sval[k]) : st->sval[k];
    if (st->ssize[k] == size)
        st->seq[k] = (int8_t)r;
}

