/* memory_area.c - results areas and wide argument lists (desc_area.c) in
 * the memory rule. In a function whose type has one, the pointer argument
 * is an area of its size (A_AREA, c = bytes), read and written at
 * constant offsets inside it. At every call whose callee's type is known
 * (a direct call or tail call: the descriptor's type of that function; an
 * import: its declared type, matched at link time; a funcref: the type
 * its type id was compared with, AState.tm*), the caller must pass an
 * area at least that large: its own frame at or above sp (below the
 * return address), its own area, or a trampoline's vals; and the frame
 * slots there are forgotten (the callee writes them). A call whose
 * callee's type is not known is accepted only when no type of the module
 * has such an argument. A trampoline's call of its code passes vals,
 * sized by the descriptor for that type, as the runtime's contract says.
 */
#include "memory.h"

void
moatK_area_entry(const MS *ms, AState *st)
{
    size_t   idx = (size_t)(ms->f - ms->c->obj.fn);
    uint32_t t = ms->d->ftype[idx];

    if (!t--)
        return;
    const KArea *a = &ms->d->tarea[t];
    if (a->res_reg >= 0)
        st->r[a->res_reg] = (AVal){ A_AREA, (int64_t)a->res_size, 0 };
    if (a->res_reg == K_AREA_STACK)     /* above the return address */
        moatK_slot_put(st, 8 + (int64_t)a->res_stack,
                       (AVal){ A_AREA, (int64_t)a->res_size, 0 }, 8, -1);
    if (a->args_reg >= 0)
        st->r[a->args_reg] = (AVal){ A_AREA, (int64_t)a->args_size, 0 };
}

bool
moatK_area_ok(const Addr *a, int64_t size)
{
    return a->has_b && !a->has_i && a->b.k == A_AREA && a->disp >= 0 &&
           a->disp + size <= a->b.c;
}

/* The pointer in register r (or, r = K_AREA_STACK, in the outgoing
 * argument at sp + at) is an area of n bytes for the callee. */
static bool
passes_area(MS *ms, AState *st, int r, uint64_t n, uint64_t at)
{
    AVal p = moatK_top(), sp = st->r[4];

    if (r >= 0) {
        p = st->r[r];
    } else if (sp.k == A_FRAME) {
        const AVal *v = moatK_slot(st, sp.c + (int64_t)at);
        p = v ? *v : p;
    }
    if (p.k == A_FRAME && sp.k == A_FRAME && p.c >= sp.c &&
        p.c + (int64_t)n <= 0) {
        moatK_slot_drop(st, p.c, p.c + (int64_t)n);
        return true;
    }
    return (p.k == A_VALS && ms->vals >= n) ||
           (p.k == A_AREA && (uint64_t)p.c >= n);
}

void
moatK_area_call(MS *ms, AState *st, uint64_t off, int64_t type, bool check)
{
    if (type < 0) {
        if (check && ms->d->any_area)
            moatK_mfail(ms, off, "%s: a callee of unknown type where some "
                        "type takes a results or args pointer", "call");
        return;
    }
    const KArea *a = &ms->d->tarea[type];
    int8_t       reg[2] = { a->res_reg, a->args_reg };
    uint64_t     size[2] = { a->res_size, a->args_size };
    for (int k = 0; k < 2; k++) {
        if (reg[k] == K_AREA_NONE)
            continue;
        bool ok = passes_area(ms, st, reg[k], size[k], a->res_stack);
        if (check && !ok)
            moatK_mfail(ms, off, "%s: the results or args pointer passed is "
                        "not an area of the callee type's size", "call");
    }
}

/* The bytes of stack arguments a callee of type `type` owns: -1 a type
 * not known (the most of any type), -2 a trampoline's code (its own
 * type's). */
uint64_t
moatK_callee_stack(const MS *ms, int64_t type)
{
    const KDesc *d = ms->d;
    uint32_t     tt = d->ttype[ms->f - ms->c->obj.fn];

    if (type >= 0)
        return d->tarea[type].stack_args;
    if (type == -1)
        return d->max_stack_args;
    return tt ? d->tarea[tt - 1].stack_args : d->max_stack_args;
}

/* A call whose callee owns n bytes of stack arguments (it may write
 * them): they must lie in the caller's frame, below its return address,
 * and the caller forgets its slots there. A tail call's callee owns the
 * function's own incoming ones: n may not exceed them. */
void
moatK_stack_args(MS *ms, AState *st, uint64_t off, uint64_t n, bool tail,
                 bool check)
{
    int64_t hi;

    if (n == 0)
        return;
    if (tail) {
        if (check && n > ms->own_stack)
            moatK_mfail(ms, off, "%s: the callee's stack arguments pass the "
                        "function's own", "tail call");
        return;
    }
    if (!moatK_sp_high(st, &hi) || hi + (int64_t)n > 0) {
        if (check)
            moatK_mfail(ms, off, "%s: the callee's stack arguments pass the "
                        "frame", "call");
        return;
    }
    int64_t lo = hi - (st->r[4].k == A_FRAMES ? st->sp_slack : 0);
    moatK_slot_drop(st, lo, hi + (int64_t)n);
}

/* tm: funcref id -> the type its type id was compared with. */
static int
tm_find(const AState *st, int64_t id)
{
    for (int i = 0; i < st->ntm; i++)
        if (st->tm_id[i] == id)
            return i;
    return -1;
}

void
moatK_tmap_note(AState *st, int64_t id, int64_t type)
{
    int i = tm_find(st, id);

    if (i >= 0) {
        if (st->tm_type[i] != type)
            st->tm_type[i] = -1;        /* two types: neither is known */
        return;
    }
    if (st->ntm == NTMAP)               /* the oldest goes: unknown */
        moatK_tmap_forget(st, st->tm_id[0]);
    st->tm_id[st->ntm] = id;
    st->tm_type[st->ntm++] = type;
}

void
moatK_tmap_forget(AState *st, int64_t id)
{
    int i = tm_find(st, id);

    if (i < 0)
        return;
    st->ntm--;
    st->tm_id[i] = st->tm_id[st->ntm];
    st->tm_type[i] = st->tm_type[st->ntm];
}

int64_t
moatK_tmap_type(const AState *st, int64_t id)
{
    int i = tm_find(st, id);

    return i >= 0 ? st->tm_type[i] : -1;
}

bool
moatK_tmap_merge(AState *to, const AState *in)
{
    bool changed = false;

    for (int i = 0; i < to->ntm;) {
        if (moatK_tmap_type(in, to->tm_id[i]) != to->tm_type[i]) {
            moatK_tmap_forget(to, to->tm_id[i]);
            changed = true;
        } else {
            i++;
        }
    }
    return changed;
}
