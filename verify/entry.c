/* entry.c - the checker as libmoat-verify.so sees it: the one entry point
 * libmoat calls (runtime/verify_iface.h) on an artifact it must verify
 * before running it. The runtime's allow-list comes with each call (the
 * library cannot link the runtime it is loaded into: it would be a second
 * copy, and libmoat may be linked statically into the host).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify.h"
#include "verify_iface.h"

/* The runtime's allow-list, given with each call. One for the process,
 * not per thread: every libmoat passes a resolver of the same list (a
 * host may hold two copies of libmoat: static and shared), so a store
 * racing another call's changes nothing that call sees; and no dynamic
 * TLS in a dlopened library (LeakSanitizer's tracer faulted on it in
 * threaded hosts). */
typedef const void *(*Resolve)(const char *name);
static _Atomic(Resolve) resolve;

bool
moatK_allow_resolve(const char *name)
{
    Resolve r = atomic_load_explicit(&resolve, memory_order_acquire);

    return r && r(name) != NULL;
}

static void
describe(const KViolation *v, char *buf, size_t n)
{
    if (v->func[0] == '-' && !v->func[1])
        snprintf(buf, n, "offset 0x%" PRIx64 ": %s: %s", v->off,
                 moatK_rule_name[v->rule], v->msg);
    else
        snprintf(buf, n, "%s+0x%" PRIx64 ": %s: %s", v->func, v->func_off,
                 moatK_rule_name[v->rule], v->msg);
}

__attribute__((visibility("default"))) bool
moat_verify_iface_1(MoatVerifyCall *call)
{
    KReport *rep = moatU_calloc(1, sizeof *rep);

    call->first[0] = call->unchecked[0] = 0;
    call->nfuncs = call->ninsns = 0;
    if (!rep) {
        call->nviol = 1;
        snprintf(call->first, sizeof call->first, "out of memory");
        return false;
    }
    atomic_store_explicit(&resolve, call->resolve, memory_order_release);
    rep->check_memory = call->check_memory;
    moatK_verify(call->bytes, call->len, rep);
    call->nviol = rep->nviol;
    call->nfuncs = rep->nfuncs;
    call->ninsns = rep->ninsns;
    if (rep->nkept)
        describe(&rep->kept[0], call->first, sizeof call->first);
    size_t used = 0;
    for (int i = rep->check_memory ? 1 : 0; moatK_unchecked[i]; i++) {
        int k = snprintf(call->unchecked + used, sizeof call->unchecked - used,
                         "%s%s", used ? " " : "", moatK_unchecked[i]);
        if (k < 0 || (size_t)k >= sizeof call->unchecked - used)
            break;
        used += (size_t)k;
    }
    moatU_free(rep);
    return true;
}
