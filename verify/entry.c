/* entry.c - the checker as libmoat-verify.so sees it: the one entry point
 * libmoat calls (runtime/verify_iface.h) on an artifact it must verify
 * before running it. The runtime's allow-list comes with each call (the
 * library cannot link the runtime it is loaded into: it would be a second
 * copy, and libmoat may be linked statically into the host).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify.h"
#include "verify_iface.h"

/* The call's allow-list, per thread: hosts verify on several threads. */
static _Thread_local const void *(*resolve)(const char *name);

bool
moatK_allow_resolve(const char *name)
{
    return resolve && resolve(name) != NULL;
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
    resolve = call->resolve;
    rep->check_memory = call->check_memory;
    moatK_verify(call->bytes, call->len, rep);
    resolve = NULL;
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
