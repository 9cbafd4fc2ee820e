/* memory_phi.c - funcrefs joined where paths meet (the indirect-call
 * rule, memory_call.c). LLVM merges two call_indirect sites into one
 * call: the funcref, its code, its type id and its ctx reach the call
 * from two loads, one per path. A join of two ids keeps no id (a code of
 * one funcref and a ctx of the other must never be called together), so
 * such a call was rejected. Here a block gives the values of one funcref
 * a new id of its own, the phi id, when on every path into it they come
 * from one funcref:
 *
 * Invariant (of every state): on every execution reaching it, all values
 * that carry the same id were read from the same funcref.
 *
 * A merge of `in` into a block's input `to` keeps it when the positions
 * (registers, frame slots at one offset and size) that get the phi id
 * carry one id a in `to` and one id b in `in`: by the invariant of each,
 * they name one funcref on each path. Of the pairs (a, b) that differ (or
 * are the phi id itself: a loop's values of an earlier pass), the one
 * held by most positions wins; every other such position joins to id 0
 * (a funcref, readable, never callable). Typed (REF_TYPED) is kept per
 * position only when both sides are typed (the ordinary join), and the
 * type a funcref was compared with (the type map) goes with its id.
 */
#include "memory.h"

static bool
is_ref(AVal v)
{
    return (v.k == A_REFNULL || v.k == A_REF || v.k == A_RCODE ||
            v.k == A_RTYPE || v.k == A_RCTX) && (v.c & ID_MASK) != 0;
}

/* The pair of ids of one position, or false when not a candidate. */
static bool
pair_of(AVal a, AVal b, int64_t phi, int64_t *pa, int64_t *pb)
{
    if (!is_ref(a) || !is_ref(b))
        return false;
    *pa = a.c & ID_MASK;
    *pb = b.c & ID_MASK;
    return *pa != *pb || *pa == phi;
}

typedef struct Pairs {
    int64_t  a[8], b[8];
    uint32_t n[8];
    uint32_t count;             /* at most 8 counted: the rest lose */
} Pairs;

static void
count_pair(Pairs *p, int64_t a, int64_t b)
{
    for (uint32_t i = 0; i < p->count; i++)
        if (p->a[i] == a && p->b[i] == b) {
            p->n[i]++;
            return;
        }
    if (p->count == 8)
        return;
    p->a[p->count] = a;
    p->b[p->count] = b;
    p->n[p->count++] = 1;
}

/* Slot k of in at the offset and size of to's slot i, or -1. */
static int
same_slot(const AState *to, uint32_t i, const AState *in)
{
    int k = moatK_slot_find(in, to->soff[i], to->ssize[i]);

    return k >= 0 && in->soff[k] == to->soff[i] &&
                   in->ssize[k] == to->ssize[i] ? k : -1;
}

/* One position: the winning pair's ids become phi on both sides; any
 * other candidate pair is made to join to id 0. */
static bool
phi_rename(AVal *t, AVal *s, int64_t phi, int64_t wa, int64_t wb)
{
    int64_t a, b;

    if (!pair_of(*t, *s, phi, &a, &b))
        return false;
    if (a == wa && b == wb) {
        bool changed = a != phi;
        t->c = (t->c & REF_TYPED) | phi;
        s->c = (s->c & REF_TYPED) | phi;
        return changed;
    }
    s->c &= REF_TYPED;          /* ids differ: the join keeps none */
    if (a == b)                 /* phi on both sides, of another pair */
        t->c &= REF_TYPED;
    return a == b;
}

/* The type map: phi takes a's type in to, b's in s (the merge keeps it
 * when they agree). */
static void
rename_type(AState *to, AState *s, int64_t phi, int64_t a, int64_t b)
{
    int64_t ta = moatK_tmap_type(to, a), tb = moatK_tmap_type(s, b);

    moatK_tmap_forget(to, phi);
    moatK_tmap_forget(s, phi);
    if (ta >= 0)
        moatK_tmap_note(to, phi, ta);
    if (tb >= 0)
        moatK_tmap_note(s, phi, tb);
}

const AState *
moatK_ref_phi(AState *to, const AState *in, int64_t phi, AState *scratch,
              bool *changed)
{
    Pairs   p = { 0 };
    int64_t a, b;

    *changed = false;
    if (!to->seen || !phi)
        return in;
    for (int r = 0; r < 16; r++)
        if (pair_of(to->r[r], in->r[r], phi, &a, &b))
            count_pair(&p, a, b);
    for (uint32_t i = 0; i < to->nslot; i++) {
        int k = same_slot(to, i, in);
        if (k >= 0 && pair_of(to->sval[i], in->sval[k], phi, &a, &b))
            count_pair(&p, a, b);
    }
    if (!p.count)
        return in;
    uint32_t w = 0;
    for (uint32_t i = 1; i < p.count; i++)
        if (p.n[i] > p.n[w])
            w = i;
    *scratch = *in;
    for (int r = 0; r < 16; r++)
        *changed |= phi_rename(&to->r[r], &scratch->r[r], phi, p.a[w], p.b[w]);
    for (uint32_t i = 0; i < to->nslot; i++) {
        int k = same_slot(to, i, scratch);
        if (k >= 0)
            *changed |= phi_rename(&to->sval[i], &scratch->sval[k], phi, p.a[w],
                               p.b[w]);
    }
    rename_type(to, scratch, phi, p.a[w], p.b[w]);
    return scratch;
}
