/* fuzz_validate.c - libFuzzer target over the front-end: decode + validate
 * (moatD_module) and the public moat_wasm_validate. Checks the error
 * contract of include/moat_compile.h on every input; a broken invariant is a
 * __builtin_trap(), so libFuzzer reports it as a crash. Built by
 * build-fuzz.sh; run by smoke.sh and as described in docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "moat_compile.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless the failure record is one the front-end may produce: a
 * decode/validate status, a NUL-ended non-empty message and an offset inside
 * the input (len itself is "unexpected end") or MOAT_NO_OFFSET. */
static void
check_failure(const moat_error *err, size_t len)
{
    switch (err->code) {
    case MOAT_ERR_MALFORMED:
    case MOAT_ERR_INVALID:
    case MOAT_ERR_LIMIT:
    case MOAT_ERR_NOMEM:
        break;
    default:
        __builtin_trap();
    }
    if (err->trap != MOAT_TRAP_NONE)
        __builtin_trap();
    if (err->msg[0] == '\0' || !memchr(err->msg, '\0', sizeof err->msg))
        __builtin_trap();
    if (err->offset != MOAT_NO_OFFSET && err->offset > (uint64_t)len)
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    moat_error err = { 0 };
    Module    *m = NULL;
    bool       ok = moatD_module(data, size, &m, &err);

    if (ok) {
        if (!m || err.code != MOAT_OK)
            __builtin_trap();
        moatD_module_free(m);
    } else {
        if (m)                          /* *out stays NULL on failure */
            __builtin_trap();
        check_failure(&err, size);
    }

    /* The public entry must agree: same status, and the same error record,
     * since decoding is deterministic. */
    moat_error  err2 = { 0 };
    moat_status st = moat_wasm_validate(data, size, &err2);

    if (st != err.code || err2.code != err.code)
        __builtin_trap();
    if (!ok && (err2.offset != err.offset ||
                strcmp(err2.msg, err.msg) != 0))
        __builtin_trap();
    if (moat_wasm_validate(data, size, NULL) != st)  /* err may be NULL */
        __builtin_trap();
    return 0;
}
