/* symbols.c - the allow-list: the only names compiled code may reference
 * outside its own object, as an ElfResolveFn for moatR_elf_load. The
 * runtime helpers of abi.h (MOAT_HELPERS), the three memory functions LLVM
 * calls for large copies and fills, and the libm functions LLVM may call
 * when it lowers wasm float instructions (wasm 2.0, 4.3.3) or their
 * intrinsics without a native instruction. Anything else is refused, so a
 * tampered or miscompiled object cannot reach system(), dlopen() or the
 * like. Needs -lm; roundeven needs glibc >= 2.25.
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

#define HELPER(name, ret, args) { #name, (AnyFn)name },
#define FN(name) { #name, (AnyFn)name }

static const Allowed allowed[] = {
    /* runtime helpers: traps, memory.grow, bulk memory, tables */
    MOAT_HELPERS(HELPER)

    /* memory.copy/fill lowered inline when bounds are known, data copies */
    FN(memcpy), FN(memmove), FN(memset),

    /* f32/f64.ceil, floor, trunc, nearest (nearbyint, rint and roundeven:
     * all round half to even in the default rounding mode) */
    FN(ceil), FN(ceilf), FN(floor), FN(floorf), FN(trunc), FN(truncf),
    FN(nearbyint), FN(nearbyintf), FN(rint), FN(rintf),
    FN(roundeven), FN(roundevenf),

    /* f32/f64.sqrt, abs, copysign: usually single instructions, but LLVM
     * keeps the libcall at -O0 or without the target feature */
    FN(sqrt), FN(sqrtf), FN(fabs), FN(fabsf), FN(copysign), FN(copysignf),

    /* llvm.minnum/maxnum (the lowering must still give wasm's NaN and
     * signed-zero rules) and frem, which wasm lacks but LLVM may form */
    FN(fmin), FN(fminf), FN(fmax), FN(fmaxf), FN(fmod), FN(fmodf),
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
