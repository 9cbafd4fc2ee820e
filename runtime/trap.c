/* trap.c - ending a moat call with a trap: moatR_trap (compiled code's
 * noreturn entry), moatR_unwind (helpers and the fault handler), the trap
 * texts of the spec's assert_trap (spec 4.4, "trap"). The activation that
 * catches them is set up in stack.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"

#define SAME(a, b) _Static_assert((int)MOAT_ABI_TRAP_##a == (int)MOAT_TRAP_##b, \
                                  "trap code " #a)
SAME(UNREACHABLE, UNREACHABLE);
SAME(MEMORY_OOB, MEMORY_OOB);
SAME(DIV_ZERO, DIV_ZERO);
SAME(INT_OVERFLOW, INT_OVERFLOW);
SAME(BAD_CONVERSION, BAD_CONVERSION);
SAME(TABLE_OOB, TABLE_OOB);
SAME(NULL_FUNC, NULL_FUNC);
SAME(SIG_MISMATCH, SIG_MISMATCH);
SAME(STACK_EXHAUSTED, STACK_EXHAUSTED);
SAME(UNDEFINED_ELEM, UNDEFINED_ELEMENT);
#undef SAME

static const char *const trap_text[] = {
    [MOAT_TRAP_NONE] = "no trap",
    [MOAT_TRAP_UNREACHABLE] = "unreachable",
    [MOAT_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [MOAT_TRAP_DIV_ZERO] = "integer divide by zero",
    [MOAT_TRAP_INT_OVERFLOW] = "integer overflow",
    [MOAT_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
    [MOAT_TRAP_TABLE_OOB] = "out of bounds table access",
    [MOAT_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [MOAT_TRAP_NULL_FUNC] = "uninitialized element",
    [MOAT_TRAP_SIG_MISMATCH] = "indirect call type mismatch",
    [MOAT_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
    [MOAT_TRAP_INTERRUPTED] = "interrupted",
    [MOAT_TRAP_HOST] = "host function trapped",
};

const char *
moat_trap_string(moat_trap t)
{
    if ((unsigned)t < sizeof trap_text / sizeof trap_text[0])
        return trap_text[t];
    return "unknown trap";
}

void
moatR_unwind(moat_trap t)
{
    Activation *a = moatR_tls.act;

    if (!a) {                   /* broken invariant: no moat call to end */
        fprintf(stderr, "moat: trap '%s' outside of a moat call\n",
                moat_trap_string(t));
        abort();
    }
    a->trap = (int)t;
    moatR_stack_leaving(a);
    siglongjmp(a->env, 1);
}

void
moatR_trap(void *ctx, uint32_t code)
{
    (void)ctx;
    if (code == MOAT_TRAP_NONE || code > MOAT_TRAP_UNDEFINED_ELEMENT)
        code = MOAT_TRAP_UNREACHABLE;   /* a bad code is still a trap */
    moatR_unwind((moat_trap)code);
}
