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
 *
 * The table rule needs the same fact earlier, while it proves a function
 * that calls one not checked yet (LLVM keeps an index in a caller-saved
 * register across a call of a function that never returns: nothing
 * after the call is reached from it). moatK_ends_now decides it from the
 * callee's code alone, and more strictly: no `ret`, no jump that leaves
 * it or goes through a register or memory (not even a table jump), and a
 * last instruction that is a jump or a call of a helper or function that
 * never returns by the same test (a cycle, or a chain past 32, is not
 * proven). A call within it returns to it or never (rule saved; a
 * function that fails it makes the calling proof rejected: saved.c).
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>

#include "elfload.h"
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

enum { N_UNKNOWN, N_NORET, N_RETURNS, N_BUSY };

/* The function a direct call or jump at off (length len) goes to, or
 * NULL; *helper: the undefined symbol it names instead (or NULL). */
static const KFunc *
callee(const KCheck *c, const KFunc *f, uint64_t off,
       const ZydisDecodedInstruction *in, const KSym **helper)
{
    const KObj *o = &c->obj;
    uint64_t    next = off + in->length;
    uint32_t    n;
    const KRel *r = moatK_rels_in(&o->sec[f->sec], off, next, &n);

    *helper = NULL;
    if (n == 0)
        return moatK_func_at(o, f->sec, next + (uint64_t)
                                            in->raw.imm[0].value.s);
    if (n != 1 || r->off != off + in->raw.imm[0].offset)
        return NULL;
    const KSym *s = &o->sym[r->sym];
    if (s->shndx == ELF_SHN_UNDEF) {
        *helper = s;
        return NULL;
    }
    if (s->shndx >= o->nsec || !o->sec[s->shndx].is_code)
        return NULL;
    return moatK_func_at(o, s->shndx, s->value + (uint64_t)r->addend +
                                          (next - r->off));
}

/* Whether f's code leaves f only through its last instruction, which
 * calls *last_to (or a helper: *noret says whether it never returns), or
 * does not leave it at all (a jump: *noret). */
static bool
scan(const KCheck *c, const KFunc *f, const KFunc **last_to, bool *noret)
{
    const KSec  *s = &c->obj.sec[f->sec];
    ZydisDecoder d;
    uint64_t     off = f->lo;

    *last_to = NULL;
    *noret = false;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    while (off < f->hi) {
        ZydisDecodedInstruction in;
        const KSym             *helper;
        if (!s->data || !ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
                            &d, NULL, s->data + off, f->hi - off, &in)))
            return false;
        uint8_t cat = (uint8_t)in.meta.category;
        bool    last = off + in.length >= f->hi;
        if (cat == ZYDIS_CATEGORY_RET || in.meta.branch_type ==
                                             ZYDIS_BRANCH_TYPE_FAR)
            return false;
        if (cat == ZYDIS_CATEGORY_UNCOND_BR || cat == ZYDIS_CATEGORY_COND_BR) {
            if (!in.raw.imm[0].is_relative)
                return false;
            uint32_t n;
            uint64_t to = off + in.length + (uint64_t)in.raw.imm[0].value.s;
            moatK_rels_in(s, off, off + in.length, &n);
            if (n || to < f->lo || to >= f->hi)
                return false;               /* leaves f */
            *noret = last && cat == ZYDIS_CATEGORY_UNCOND_BR;
        } else if (last && cat == ZYDIS_CATEGORY_CALL &&
                   in.raw.imm[0].is_relative) {
            *last_to = callee(c, f, off, &in, &helper);
            *noret = helper && moatK_symbol_allowed(helper->name) &&
                     moatK_symbol_noreturn(helper->name);
        }
        off += in.length;
    }
    return *noret || *last_to;
}

bool
moatK_ends_now(KCheck *c, const KFunc *g)
{
    const KFunc *path[32];
    uint32_t     n = 0;
    bool         v = false;

    if (!c->noret_now &&
        !(c->noret_now = moatU_calloc(c->obj.nfn + 1, 1)))
        return false;
    /* follow last calls until a function is known, ends, or cannot */
    while (g && c->noret_now[g - c->obj.fn] == N_UNKNOWN && n < 32) {
        const KFunc *to;
        bool         noret;
        c->noret_now[g - c->obj.fn] = N_BUSY;
        path[n++] = g;
        if (!scan(c, g, &to, &noret) || noret) {
            v = noret;
            g = NULL;
            break;
        }
        g = to;
    }
    if (g)              /* known; busy (a cycle) or too far: not proven */
        v = c->noret_now[g - c->obj.fn] == N_NORET;
    while (n > 0)
        c->noret_now[path[--n] - c->obj.fn] = v ? N_NORET : N_RETURNS;
    return v;
}

bool
moatK_call_ends_now(KCheck *c, uint64_t off,
                    const ZydisDecodedInstruction *in)
{
    const KSym *helper;

    if (!c->fn || in->meta.category != ZYDIS_CATEGORY_CALL ||
        !in->raw.imm[0].is_relative)
        return false;
    const KFunc *g = callee(c, c->fn, off, in, &helper);
    return g && moatK_ends_now(c, g);
}
