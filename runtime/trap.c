/* trap.c - ending a moat call with a trap: moatR_trap (compiled code's
 * noreturn entry), moatR_unwind_at (helpers and the fault handler), the
 * trap texts of the spec's assert_trap (spec 4.4, "trap"). The activation
 * that catches them is set up in stack.c; the backtrace is backtrace.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
SAME(UNALIGNED_ATOMIC, UNALIGNED_ATOMIC);
SAME(UNSHARED_WAIT, UNSHARED_WAIT);
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
    [MOAT_TRAP_STALE_REF] = "call to a function of a freed instance",
    [MOAT_TRAP_UNALIGNED_ATOMIC] = "unaligned atomic",
    [MOAT_TRAP_UNSHARED_WAIT] = "expected shared memory",
};

const char *
moat_trap_string(moat_trap t)
{
    if ((unsigned)t < sizeof trap_text / sizeof trap_text[0])
        return trap_text[t];
    return "unknown trap";
}

void
moatR_unwind_at(int t, uintptr_t pc, uintptr_t fp, bool is_ret)
{
    Activation *a = moatR_tls.act;

    if (!a) {                   /* broken invariant: no moat call to end */
        fprintf(stderr, "moat: trap '%s' outside of a moat call\n",
                moat_trap_string((moat_trap)t));
        abort();
    }
    a->trap = t;
    a->trap_pc = pc;
    a->npcs = a->ndropped = 0;
    if (t != MOAT_UNWIND_EXIT)  /* the frames are still on this stack */
        moatR_backtrace_walk(a, pc, fp, is_ret);
    moatR_stack_leaving(a);
    siglongjmp(a->env, 1);
}

void
moatR_trap(void *ctx, uint32_t code)
{
    (void)ctx;
    /* the codes compiled code passes (abi.h); a bad one is still a trap */
    if (code == MOAT_TRAP_NONE || (code > MOAT_TRAP_UNDEFINED_ELEMENT &&
                                   code != MOAT_TRAP_UNALIGNED_ATOMIC))
        code = MOAT_TRAP_UNREACHABLE;
    moatR_unwind_here((int)code);
}

/* "WORDING in function NAME" (the innermost wasm frame, demangled), and
 * the backtrace. A host function's message stays as the host wrote it
 * (err->func and the frames say which guest function called it). */
static void
trap_error(const Activation *a, moat_error *err)
{
    moat_trap   t = (moat_trap)a->trap;
    const char *text = t == MOAT_TRAP_HOST && a->host_msg ? a->host_msg
                                                          : moat_trap_string(t);

    moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_TRAP, "%s", text);
    err->trap = t;
    moatR_backtrace_fill(a, err);
    if (err->nframes > 0 && t != MOAT_TRAP_HOST) {
        char   name[160];
        size_t n = strlen(err->msg);
        moat_frame_name(&err->frames[0], name, sizeof name);
        snprintf(err->msg + n, sizeof err->msg - n, " in function %s",
                 name);
    }
}

void
moatR_activation_error(const Activation *a, moat_error *err)
{
    if (!err || err->code != MOAT_OK)
        return;
    if (a->trap == MOAT_UNWIND_EXIT) {
        moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_EXIT, "exit status %u",
                   a->exit_code);
        err->exit_code = a->exit_code;
        err->func = MOAT_NO_FUNC;
        return;
    }
    trap_error(a, err);
}

/* ---- ending a call from a caller-aware host function (moat.h) ---- */

void
moat_caller_trap(moat_caller *c, const char *msg)
{
    Activation *a = moatR_tls.act;

    (void)c;
    if (a && msg && !a->host_msg) {
        size_t n = strlen(msg);
        if ((a->host_msg = moatU_alloc(n + 1)))
            memcpy(a->host_msg, msg, n + 1);
    }
    uintptr_t pc, fp;
    moatR_backtrace_host(&pc, &fp);
    moatR_unwind_at(MOAT_TRAP_HOST, pc, fp, true);
}

void
moat_caller_exit(moat_caller *c, uint32_t code)
{
    Activation *a = moatR_tls.act;

    (void)c;
    if (a)
        a->exit_code = code;
    moatR_unwind_at(MOAT_UNWIND_EXIT, 0, 0, false);
}
