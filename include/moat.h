/* moat.h - public API of libmoat, the Moat runtime (no LLVM needed).
 *
 * Ownership rule for every function here: a pointer we hand out is either
 * *owned* by the caller (free it with the named _free function) or
 * *borrowed* (valid until the event named next to it). _free(NULL) is a
 * no-op. Out-parameters are written only on success (*out = NULL otherwise).
 */
#ifndef MOAT_H
#define MOAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MOAT_BUILDING)
#define MOAT_API __attribute__((visibility("default")))
#else
#define MOAT_API
#endif

#define MOAT_VERSION_MAJOR 0
#define MOAT_VERSION_MINOR 1

/* "MAJOR.MINOR"; static storage. */
MOAT_API const char *moat_version(void);

typedef enum moat_status {
    MOAT_OK = 0,
    MOAT_ERR_MALFORMED,     /* bytes are not a wasm binary (spec: decoding) */
    MOAT_ERR_INVALID,       /* decodes, but breaks a validation rule */
    MOAT_ERR_CONTRACT,      /* artifact's layout contract cannot be honoured */
    MOAT_ERR_LINK,          /* an import is missing or has the wrong type */
    MOAT_ERR_NOMEM,         /* an allocation failed */
    MOAT_ERR_LIMIT,         /* input exceeds an implementation limit */
    MOAT_ERR_IO,            /* reading or writing a file failed */
    MOAT_ERR_TRAP           /* guest code trapped, see moat_error.trap */
} moat_status;

typedef enum moat_trap {
    MOAT_TRAP_NONE = 0,
    MOAT_TRAP_UNREACHABLE,
    MOAT_TRAP_MEMORY_OOB,
    MOAT_TRAP_DIV_ZERO,
    MOAT_TRAP_INT_OVERFLOW,
    MOAT_TRAP_BAD_CONVERSION,
    MOAT_TRAP_TABLE_OOB,
    MOAT_TRAP_NULL_FUNC,
    MOAT_TRAP_SIG_MISMATCH,
    MOAT_TRAP_STACK_EXHAUSTED,
    MOAT_TRAP_INTERRUPTED,
    MOAT_TRAP_HOST
} moat_trap;

#define MOAT_NO_OFFSET UINT64_MAX

/* Filled by failing calls. The first error wins: a call never overwrites an
 * error that is already recorded (code != MOAT_OK). */
typedef struct moat_error {
    moat_status code;
    moat_trap   trap;       /* when code == MOAT_ERR_TRAP */
    uint64_t    offset;     /* byte offset in the input, MOAT_NO_OFFSET if none */
    char        msg[256];
} moat_error;

/* Spec-like name of a status ("invalid module", ...); static storage. */
MOAT_API const char *moat_status_string(moat_status s);

/* Allocator hook (like lua_Alloc): every heap allocation of the library goes
 * through it. realloc semantics: size 0 frees and returns NULL. NULL hook
 * restores the default (libc). Not thread-safe against concurrent calls. */
typedef void *(*moat_alloc_fn)(void *ud, void *ptr, size_t size);
MOAT_API void moat_set_allocator(moat_alloc_fn fn, void *ud);

#ifdef __cplusplus
}
#endif
#endif
