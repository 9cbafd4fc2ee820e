/* verify_iface.h - the interface between libmoat and the machine-code
 * checker's library, libmoat-verify.so (verify/entry.c, docs/verify.md).
 * libmoat loads that library with dlopen() on the first artifact it must
 * verify (runtime/verify_dl.c): the decoder (Zydis) has 2,600 relocations
 * that a run from the compile cache, which verifies nothing, must not pay
 * for at start-up (docs/bench-hello.md). One entry point, looked up by a
 * name that carries the interface version, so that a library of another
 * version is not found rather than misread.
 */
#ifndef MOAT_VERIFY_IFACE_H
#define MOAT_VERIFY_IFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOAT_VERIFY_ENTRY "moat_verify_iface_1"

typedef struct MoatVerifyCall {
    /* in */
    const uint8_t *bytes;       /* the ELF object, borrowed for the call */
    size_t         len;
    bool           check_memory;    /* also the (partial) memory rule */
    /* the runtime's symbol allow-list (runtime/symbols.c): the names
     * compiled code may reference outside its object */
    const void *(*resolve)(const char *name);
    /* out */
    uint64_t nviol, nfuncs, ninsns;
    char     first[320];        /* the first violation: "FUNC+0xOFF: rule:
                                 * message", or "" when none */
    char     unchecked[160];    /* the rules NOT checked, space-separated */
} MoatVerifyCall;

/* Fills the out fields; returns false only when the call's own memory ran
 * out (then nviol is at least 1: a check that cannot finish is a
 * rejection). */
typedef bool (*MoatVerifyEntry)(MoatVerifyCall *call);
/* The entry's definition (verify/entry.c), named by MOAT_VERIFY_ENTRY. */
bool moat_verify_iface_1(MoatVerifyCall *call);

#endif
