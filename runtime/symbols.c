/* symbols.c - the allow-list: the only names compiled code may reference
 * outside its own object, as an ElfResolveFn for moatR_elf_load. The
 * list itself is abi.h's (MOAT_HELPERS and MOAT_LIBCALLS: the runtime
 * helpers, the three memory functions and the libm functions LLVM may
 * call), so that a checker of machine code reads the same one; this file
 * maps each name to the function this process links. Anything else is
 * refused, so a tampered or miscompiled object cannot reach system(),
 * dlopen() or the like. Needs -lm; roundeven needs glibc >= 2.25.
 */
#include <math.h>
#include <string.h>

#include "elfload.h"
#include "runtime.h"        /* the helpers, declared from MOAT_HELPERS */

/* void (*)(void) converts to and from every function pointer type (and
 * -Wcast-function-type accepts it); data pointers are made with memcpy,
 * valid on every POSIX system. */
typedef void (*AnyFn)(void);

_Static_assert(sizeof(AnyFn) == sizeof(void *), "function pointer size");

typedef struct Allowed {
    const char *name;
    AnyFn       fn;
} Allowed;

#define HELPER(id, name, ret, params) { #name, (AnyFn)name },
#define FN(name) { #name, (AnyFn)name },

static const Allowed allowed[] = {
    MOAT_HELPERS(HELPER)
    MOAT_LIBCALLS(FN)
};

#undef HELPER
#undef FN

void *
moatR_resolve_symbol(const char *name)
{
    void *p;

    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strcmp(allowed[i].name, name) != 0)
            continue;
        memcpy(&p, &allowed[i].fn, sizeof p);
        return p;
    }
    return NULL;
}
