/* moat_compile.h - public API of libmoatc, the Moat compiler (front-end and,
 * later, LLVM lowering). Links libmoat. Same ownership rules as moat.h.
 */
#ifndef MOAT_COMPILE_H
#define MOAT_COMPILE_H

#include "moat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes and validates a WebAssembly 2.0 binary module. bytes are read only
 * during the call. Returns MOAT_OK, or MOAT_ERR_MALFORMED / MOAT_ERR_INVALID /
 * MOAT_ERR_LIMIT / MOAT_ERR_NOMEM with err (may be NULL) naming the byte
 * offset and the rule broken. */
MOAT_API moat_status moat_wasm_validate(const uint8_t *bytes, size_t len,
                                        moat_error *err);

#ifdef __cplusplus
}
#endif
#endif
