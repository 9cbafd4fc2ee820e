/* table_copy.c - which general registers and frame slots hold the same
 * value, for table_range.c: a jump table's index is often compared in
 * one place and loaded from another (LLVM copies it, `mov %r12d, %edi`,
 * compares r12 and indexes with rdi; spills it, `mov %rdi, -0x60(%rbp)`,
 * and reloads it on the path from another jump; compares the slot,
 * `cmpl $0xc, -0x3c(%rbp)`, and indexes with a reload of another slot the
 * same value was spilled to; reloads a stack argument, `mov 0x10(%rbp),
 * %r11d`, in a loop whose index is a copy of the first load).
 *
 * Two relations, as class ids (0: none; an id is only a label, valid in
 * one state): rep, the whole 64-bit value is equal; rep32, the low 32
 * bits are equal. A 64-bit `mov` between registers, a 64-bit spill to an
 * 8-byte slot and its 64-bit reload copy both; a 32-bit one copies rep32,
 * and rep too when the source's upper half is known zero (then the
 * 32-bit copy is the whole value). A 4-byte slot holds a low half: rep32
 * only. A slot loaded before any store the state knows is made a slot of
 * its own on that load (it holds one value until a write drops it:
 * table_range.c's frame writes). Any other write of a register ends its
 * classes. A compare bounds every member of the compared value's classes
 * that it bounds soundly (moatK_copy_bound). A join keeps a register's or
 * slot's id only where both sides give it the same one, so two members
 * keep sharing an id only if they were equal on both sides.
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "regs.h"
#include "verify.h"

#define U32 UINT64_C(0xffffffff)

/* The id of *id's class, allocating one (the smallest not in use) when
 * it has none. low: the rep32 relation, else rep. 0 when all are used. */
static uint8_t
class_id(const KRange *g, uint8_t *id, bool low)
{
    uint64_t used = 1;                  /* id 0 is "none" */

    if (*id)
        return *id;
    for (int r = 0; r < 16; r++)
        used |= UINT64_C(1) << ((low ? g->rep32[r] : g->rep[r]) & 63);
    for (uint32_t i = 0; i < g->nslot; i++)
        used |= UINT64_C(1) << ((low ? g->slot[i].rep32 : g->slot[i].rep) &
                                63);
    for (uint8_t k = 1; k < 64; k++)
        if (!(used >> k & 1))
            return *id = k;
    return 0;
}

void
moatK_copy_forget(KRange *g, int r)
{
    g->rep[r] = 0;
    g->rep32[r] = 0;
}

KRSlot *
moatK_copy_slot(KRange *g, int64_t disp, uint8_t size)
{
    for (uint32_t i = 0; i < g->nslot; i++)
        if (g->slot[i].disp == disp && g->slot[i].size == size)
            return &g->slot[i];
    return NULL;
}

/* A load of size bytes at rbp + disp (4 or 8): its slot, made on this
 * first load when the state has none and nothing overlaps it. */
static KRSlot *
load_slot(KRange *g, int64_t disp, uint8_t size)
{
    KRSlot *t = moatK_copy_slot(g, disp, size);

    if (!t && size == 4)                        /* an 8-byte slot's low half */
        t = moatK_copy_slot(g, disp, 8);
    if (t || g->nslot >= K_RSLOTS)
        return t;
    for (uint32_t i = 0; i < g->nslot; i++)
        if (g->slot[i].disp < disp + size &&
            disp < g->slot[i].disp + g->slot[i].size)
            return NULL;
    t = &g->slot[g->nslot++];
    *t = (KRSlot){ disp, size, 0, 0, size == 4 ? U32 : UINT64_MAX };
    return t;
}

static bool
rbp_slot(const ZydisDecodedOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
           o->mem.base == ZYDIS_REGISTER_RBP &&
           o->mem.index == ZYDIS_REGISTER_NONE &&
           o->mem.segment != ZYDIS_REGISTER_FS &&
           o->mem.segment != ZYDIS_REGISTER_GS &&
           (o->size == 32 || o->size == 64);
}

bool
moatK_copy_of(KRange *g, const ZydisDecodedInstruction *in,
              const ZydisDecodedOperand *ops, uint8_t *rep, uint8_t *rep32)
{
    const ZydisDecodedOperand *d = &ops[0], *s = &ops[1];
    int                        w = d->size;

    *rep = *rep32 = 0;
    if (in->mnemonic != ZYDIS_MNEMONIC_MOV ||
        d->type != ZYDIS_OPERAND_TYPE_REGISTER || moatK_gpr(d->reg.value) < 0
        || (w != 32 && w != 64) || s->size != w)
        return false;
    if (s->type == ZYDIS_OPERAND_TYPE_REGISTER && moatK_gpr(s->reg.value) >= 0) {
        int r = moatK_gpr(s->reg.value);
        *rep32 = class_id(g, &g->rep32[r], true);
        if (w == 64 || g->max[r] <= U32)
            *rep = class_id(g, &g->rep[r], false);
        return true;
    }
    if (!rbp_slot(s))
        return false;
    KRSlot *t = load_slot(g, s->mem.disp.value, (uint8_t)(w / 8));
    if (!t)
        return false;
    *rep32 = class_id(g, &t->rep32, true);
    if (t->size == 8 && (w == 64 || t->max <= U32))
        *rep = class_id(g, &t->rep, false);
    return true;
}

void
moatK_copy_store(KRange *g, KRSlot *t, int src)
{
    t->rep32 = class_id(g, &g->rep32[src], true);
    t->rep = t->size == 8 ? class_id(g, &g->rep[src], false) : 0;
}

/* What the compared value is: its classes, its bound, its width. */
typedef struct Cmped {
    uint8_t  rep, rep32;
    uint64_t max;
} Cmped;

/* What a compare of c's low w bits (mask 2^w - 1) says of x: x is what
 * the compare saw when it is an equal whole value and the compare saw the
 * whole value, or a value with c's low 32 bits and none above bit w (then
 * it is c's low w bits, w <= 32); for a bound (not ne), also such a value
 * when the compare saw all of a 64-bit v (low32(v) <= v). The bound: x at
 * most v; ne: x is not v (a bound of v drops to v - 1). */
static void
bound_member(uint64_t *x, uint8_t rep, uint8_t rep32, uint64_t xmax,
             const Cmped *c, const KCmp *cmp, bool whole, bool ne,
             uint64_t v)
{
    uint64_t mask = cmp->width == 64 ? UINT64_MAX
                                     : (UINT64_C(1) << cmp->width) - 1;

    if (!(whole && c->rep && rep == c->rep) &&
        !(c->rep32 && rep32 == c->rep32 && xmax <= mask && xmax <= U32 &&
          (!ne || cmp->width <= 32)))
        return;
    if (!ne && v < *x)
        *x = v;
    else if (ne && *x == v && v > 0)
        *x = v - 1;
}

void
moatK_copy_bound(KRange *g, const KCmp *cmp, bool ne, uint64_t v)
{
    Cmped   c;
    KRSlot *src = NULL;

    if (cmp->reg >= 0) {
        c = (Cmped){ g->rep[cmp->reg], g->rep32[cmp->reg],
                     g->max[cmp->reg] };
    } else {
        src = moatK_copy_slot(g, cmp->disp, (uint8_t)(cmp->width / 8));
        if (!src && cmp->width == 32)   /* the low half of an 8-byte one */
            src = moatK_copy_slot(g, cmp->disp, 8);
        if (!src)
            return;
        c = (Cmped){ src->size == 8 && (cmp->width == 64 || src->max <= U32)
                         ? src->rep : 0, src->rep32, src->max };
    }
    /* the compare saw all of the value: 64 bits, or no bit above them */
    uint64_t mask = cmp->width == 64 ? UINT64_MAX
                                     : (UINT64_C(1) << cmp->width) - 1;
    bool     whole = c.max <= mask;
    if (whole) {        /* the value itself */
        uint64_t *x = cmp->reg >= 0 ? &g->max[cmp->reg] : &src->max;
        if (!ne && v < *x)
            *x = v;
        else if (ne && *x == v && v > 0)
            *x = v - 1;
    }
    for (int r = 0; r < 16; r++)
        bound_member(&g->max[r], g->rep[r], g->rep32[r], g->max[r], &c,
                     cmp, whole, ne, v);
    for (uint32_t i = 0; i < g->nslot; i++) {
        KRSlot *t = &g->slot[i];
        bound_member(&t->max, t->size == 8 ? t->rep : 0, t->rep32,
                     t->size == 4 ? U32 : t->max, &c, cmp, whole, ne, v);
    }
}

/* The ids of one relation at a join, as a partition intersection: two
 * elements stay in one class only if they share one on both sides; a
 * class of `to` that splits keeps its id for its first part, the others
 * get ids no class of `to` has. t[k]: to's id of element k (updated),
 * in[k]: the other side's. True when a class split or lost a member. */
static bool
meet_ids(uint8_t *const *t, const uint8_t *in, uint32_t n)
{
    uint8_t  old[16 + K_RSLOTS], out[16 + K_RSLOTS];
    uint64_t used = 1;
    bool     changed = false;

    for (uint32_t k = 0; k < n; k++) {
        old[k] = *t[k];
        used |= UINT64_C(1) << (old[k] & 63);
    }
    for (uint32_t k = 0; k < n; k++) {
        out[k] = 0;
        if (!old[k] || !in[k])
            continue;
        bool seen = false;          /* an earlier element of old[k]'s class */
        for (uint32_t j = 0; j < k && !out[k]; j++) {
            if (old[j] != old[k])
                continue;
            if (in[j] == in[k])
                out[k] = out[j];
            seen = true;
        }
        if (!out[k] && !seen)
            out[k] = old[k];
        for (uint8_t id = 1; !out[k] && id < 64; id++)
            if (!(used >> id & 1)) {
                out[k] = id;
                used |= UINT64_C(1) << id;
            }
    }
    for (uint32_t k = 0; k < n; k++) {     /* only a split renames */
        changed |= out[k] != old[k];
        *t[k] = out[k];
    }
    return changed;
}

bool
moatK_copy_meet(KRange *to, const KRange *in)
{
    uint8_t *t[2][16 + K_RSLOTS], o[2][16 + K_RSLOTS];
    uint32_t n = 0;

    for (int r = 0; r < 16; r++, n++) {
        t[0][n] = &to->rep[r];
        t[1][n] = &to->rep32[r];
        o[0][n] = in->rep[r];
        o[1][n] = in->rep32[r];
    }
    /* to's slots are those both have (table_range.c met them) */
    for (uint32_t i = 0; i < to->nslot; i++, n++) {
        KRSlot *s = &to->slot[i];
        t[0][n] = &s->rep;
        t[1][n] = &s->rep32;
        o[0][n] = o[1][n] = 0;
        for (uint32_t k = 0; k < in->nslot; k++)
            if (in->slot[k].disp == s->disp && in->slot[k].size == s->size) {
                o[0][n] = in->slot[k].rep;
                o[1][n] = in->slot[k].rep32;
            }
    }
    bool changed = meet_ids(t[0], o[0], n);
    return meet_ids(t[1], o[1], n) || changed;
}
