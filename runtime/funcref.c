/* funcref.c - function references stored where their function's owner
 * does not own the storage (docs/runtime.md, "Lifetimes"). An instance's
 * functions are MoatFuncRefs in its own array, which lives in its pool
 * slot and is reused by the slot's next tenant; a host function's is in
 * its definition. Such a "primary" may be stored as is only into storage
 * of the same instance, which dies with it. Every other store (another
 * instance's or the host's table or global) stores a Proxy instead: a
 * copy of the primary, made once per function and kept by the owner,
 * counted by every element that holds it. When the owner goes, its
 * proxies are stubbed (calling one traps with MOAT_TRAP_STALE_REF, the
 * type id stays, so a call of the wrong type still says so) and each is
 * freed when the last element lets go of it. Proxies hold nothing, so no
 * cycle can keep anything alive; a dead instance costs what its stale
 * elements point at: one proxy per function still referenced.
 *
 * A reference also lives in the frames of a run (a local, an operand)
 * that read it before its last element let go. So a stale proxy is not
 * freed at once: it waits in a quarantine until every run that was in
 * progress when it was let go (running, or suspended in a yield) has
 * ended. Runs record the reference epoch when they start (Fiber.since,
 * stack.c); a proxy let go is stamped with the epoch, which moves on;
 * the quarantine frees the proxies stamped before the oldest run in
 * progress, looking at every fiber (fiber.c) once it has grown by a
 * quarter of their number, so that the scan costs a few reads per proxy.
 * Such a run may store a stale proxy again: it leaves the quarantine
 * then, and is stamped anew when let go again.
 */
#include <string.h>

#include "runtime.h"

enum { LIMBO_MIN = 64 };

static _Atomic uint64_t ref_epoch = 1;
static pthread_mutex_t  limbo_lock = PTHREAD_MUTEX_INITIALIZER;
static Proxy           *limbo;
static uint64_t         nlimbo, limbo_cap = LIMBO_MIN;

/* The trap a stale reference's call ends in. Compiled code calls it as
 * code(ctx, args...) with the function's wasm type: the arguments are
 * ignored and it never returns, so any signature will do. */
__attribute__((noinline, noreturn)) static void
stale_call(void)
{
    moatR_unwind_here(MOAT_TRAP_STALE_REF);
}

static bool
owns(const moat_instance *owner, const MoatFuncRef *f)
{
    uintptr_t lo = (uintptr_t)owner->funcs;
    uint64_t  n = owner->module->desc->nfuncs;

    return (uintptr_t)f - lo < n * sizeof(MoatFuncRef);
}

/* Where the proxy of primary f is kept: in its instance (an array made
 * on the first use) or its host definition. NULL when out of memory. */
static Proxy *_Atomic *
memo_of(MoatFuncRef *f)
{
    moat_instance *inst;

    if (f->kind == MOAT_REF_HOST)
        return &((HostFunc *)(void *)f)->proxy;
    if (f->kind == MOAT_REF_OWN)
        inst = moatR_ctx_instance(f->ctx);
    else
        inst = ((moat_caller *)f->ctx)->inst;
    Proxy *_Atomic *memo = atomic_load(&inst->proxies);
    if (!memo) {
        Proxy *_Atomic *none = NULL;
        memo = moatU_calloc((size_t)inst->module->desc->nfuncs,
                            sizeof *memo);
        if (!memo)
            return NULL;
        if (!atomic_compare_exchange_strong(&inst->proxies, &none, memo)) {
            moatU_free((void *)memo);
            memo = none;
        }
    }
    return &memo[f - inst->funcs];
}

/* The proxy of primary f, made on first use with one reference for its
 * owner. NULL when out of memory. */
static Proxy *
proxy_of(MoatFuncRef *f, Proxy *_Atomic *memo)
{
    Proxy *p = atomic_load(memo);

    if (p)
        return p;
    Proxy *mine = moatU_alloc(sizeof *mine);
    if (!mine)
        return NULL;
    memset(mine, 0, sizeof *mine);
    mine->ref = *f;
    mine->ref.kind = MOAT_REF_PROXY;
    atomic_init(&mine->refs, 1);
    if (atomic_compare_exchange_strong(memo, &p, mine))
        return mine;
    moatU_free(mine);
    return p;
}

void *
moatR_ref_hold(void *v, const moat_instance *owner, uint64_t n)
{
    MoatFuncRef *f = v;

    if (!f || n == 0 || (owner && owns(owner, f)))
        return v;
    if (f->kind == MOAT_REF_PROXY) {
        atomic_fetch_add(&((Proxy *)v)->refs, n);
        return v;
    }
    if (f->kind != MOAT_REF_OWN && f->kind != MOAT_REF_BOUND &&
        f->kind != MOAT_REF_HOST)
        return v;       /* not made by the runtime (hand-made test refs) */
    Proxy *_Atomic *memo = memo_of(f);
    Proxy *p = memo ? proxy_of(f, memo) : NULL;
    if (p)
        atomic_fetch_add(&p->refs, n);
    return p;
}

uint64_t
moatR_ref_epoch(void)
{
    return atomic_load(&ref_epoch);
}

/* Under limbo_lock: frees what no run in progress can hold. */
static void
drain_locked(void)
{
    uint32_t nfibers = 0;
    uint64_t oldest = moatR_fibers_oldest_run(&nfibers);
    Proxy  **at = &limbo;

    while (*at) {
        Proxy   *p = *at;
        uint64_t refs = atomic_load(&p->refs);
        if (refs == 0 && p->stamp >= oldest) {
            at = &p->next;              /* a run may still hold it */
            continue;
        }
        *at = p->next;
        nlimbo--;
        p->in_limbo = false;
        if (refs == 0)
            moatU_free(p);              /* else stored again: it stays */
    }
    limbo_cap = nlimbo * 2;
    if (limbo_cap < nfibers / 4)
        limbo_cap = nfibers / 4;
    if (limbo_cap < LIMBO_MIN)
        limbo_cap = LIMBO_MIN;
}

void
moatR_refs_drain(void)
{
    pthread_mutex_lock(&limbo_lock);
    drain_locked();
    pthread_mutex_unlock(&limbo_lock);
}

/* The last element let go of a stale proxy (its owner is gone). */
static void
retire(Proxy *p)
{
    pthread_mutex_lock(&limbo_lock);
    p->stamp = atomic_fetch_add(&ref_epoch, 1);
    if (!p->in_limbo) {
        p->in_limbo = true;
        p->next = limbo;
        limbo = p;
        nlimbo++;
    }
    if (nlimbo >= limbo_cap)
        drain_locked();
    pthread_mutex_unlock(&limbo_lock);
}

static void
proxy_release(Proxy *p, uint64_t n)
{
    if (atomic_fetch_sub(&p->refs, n) == n)
        retire(p);
}

void
moatR_ref_drop(void *v, const moat_instance *owner, uint64_t n)
{
    MoatFuncRef *f = v;

    if (!f || n == 0 || (owner && owns(owner, f)) ||
        f->kind != MOAT_REF_PROXY)
        return;
    proxy_release((Proxy *)v, n);
}

void
moatR_ref_drop_all(void *const *elems, uint64_t n, const moat_instance *owner)
{
    for (uint64_t i = 0; i < n; i++)
        moatR_ref_drop(elems[i], owner, 1);
}

/* Stale from now on: a call traps, its type stays. ctx stays too (a
 * thread racing with the free reads either code, never a mix). */
static void
stub(Proxy *p)
{
    void (*fn)(void) = stale_call;
    void *code;

    memcpy(&code, &fn, sizeof code);
    __atomic_store_n(&p->ref.code, code, __ATOMIC_RELEASE);
}

void
moatR_refs_orphan(moat_instance *inst)
{
    Proxy *_Atomic *memo = atomic_load(&inst->proxies);

    if (!memo)
        return;
    for (uint64_t i = 0; i < inst->module->desc->nfuncs; i++) {
        Proxy *p = atomic_load(&memo[i]);
        if (p) {
            stub(p);
            proxy_release(p, 1);
        }
    }
    moatU_free((void *)memo);
    atomic_store(&inst->proxies, NULL);
}

void
moatR_refs_orphan_host(HostFunc *h)
{
    Proxy *p = atomic_load(&h->proxy);

    if (p) {
        stub(p);
        proxy_release(p, 1);
    }
}

/* ---- stores into tables and globals ---- */

moat_trap
moatR_ref_store(void **slot, void *v, const moat_instance *owner)
{
    void *h = moatR_ref_hold(v, owner, 1);

    if (v && !h)
        return MOAT_TRAP_NOMEM;
    void *old = *slot;
    *slot = h;
    moatR_ref_drop(old, owner, 1);
    return MOAT_TRAP_NONE;
}
