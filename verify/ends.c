/* ends.c - the part of rule "end" that needs every function: a function
 * whose last instruction calls a function of the object ends only if that
 * one never returns (LLVM at -O3 infers it: a function that always traps
 * ends in `call moatR_trap`, and its callers then end in a call of it).
 *
 * g never returns when it has no `ret`, no jump out of it (a tail call),
 * no trampoline's `jmp *code`, and it ends: its last instruction does not
 * fall on (a jump, or a call of a helper that never returns), or is a
 * call of a function that never returns. The least such set (a cycle of
 * functions that end in calls of each other is not in it, and is
 * rejected): each function's last call is followed once, so the work is
 * linear in the number of functions.
 */
#include <inttypes.h>

#include "util.h"
#include "verify.h"

enum { E_UNSEEN, E_PATH, E_DONE };

void
moatK_ends_init(KCheck *c)
{
    for (uint32_t i = 0; c->ends && i < c->obj.nfn; i++)
        c->ends[i] = (KEnd){ .exits = true, .call = UINT32_MAX };
}

/* Whether function i never returns, following last calls from i; every
 * function on the way is settled (E_DONE, with .ends and .noret). */
static bool
never_returns(KCheck *c, uint32_t i, uint32_t *path)
{
    KEnd    *e = c->ends;
    uint32_t n = 0, j = i;
    bool     v;

    while (e[j].state == E_UNSEEN && !e[j].local && e[j].call != UINT32_MAX &&
           e[j].call < c->obj.nfn) {
        e[j].state = E_PATH;
        path[n++] = j;
        j = e[j].call;
    }
    if (e[j].state == E_DONE) {
        v = e[j].noret;
    } else if (e[j].state == E_PATH) {
        v = false;              /* a cycle: not proven to end */
    } else {
        e[j].ends = e[j].local;
        e[j].noret = v = !e[j].exits && e[j].ends;
        e[j].state = E_DONE;
    }
    while (n > 0) {             /* back along the path: each ends in j */
        KEnd *k = &e[path[--n]];
        k->ends = v;
        k->noret = v = !k->exits && k->ends;
        k->state = E_DONE;
    }
    return e[i].noret;
}

bool
moatK_ends_solve(KCheck *c)
{
    uint32_t *path;

    if (!c->ends || c->obj.nfn == 0)
        return true;
    if (!(path = moatU_calloc(c->obj.nfn, sizeof *path)))
        return false;
    for (uint32_t i = 0; i < c->obj.nfn; i++)
        never_returns(c, i, path);
    moatU_free(path);
    return true;
}

void
moatK_ends_settle(KCheck *c)
{
    if (!moatK_ends_solve(c)) {
        moatK_violation(c, K_END, 0, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < c->obj.nfn; i++) {
        const KEnd *e = &c->ends[i];
        if (e->local || e->call == UINT32_MAX || e->ends)
            continue;
        c->fn = &c->obj.fn[i];
        moatK_violation(c, K_END, e->last, "the function can run past its "
                        "last instruction (a call of %s, which is not "
                        "proven never to return)", c->obj.fn[e->call].name);
        c->rep->failed[K_END]++;
        c->broke[K_END] = false;
        c->fn = NULL;
    }
}
