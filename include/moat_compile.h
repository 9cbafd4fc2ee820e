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

/* What moat_compile produces. */
typedef enum moat_output {
    MOAT_OUTPUT_OBJECT,         /* ELF relocatable object (default) */
    MOAT_OUTPUT_ASM,            /* target assembly text */
    MOAT_OUTPUT_LLVM_IR,        /* textual LLVM IR */
    MOAT_OUTPUT_LLVM_BC         /* LLVM bitcode */
} moat_output;

/* Compilation options; defaults: -O2, the host's triple, CPU and features,
 * an object file. Strings are copied. */
typedef struct moat_compile_config moat_compile_config;

MOAT_API moat_status moat_compile_config_new(moat_compile_config **out,
                                             moat_error *err);
MOAT_API void moat_compile_config_free(moat_compile_config *c);
MOAT_API void moat_compile_config_set_opt_level(moat_compile_config *c,
                                                int level);     /* 0..3 */
MOAT_API moat_status moat_compile_config_set_target(moat_compile_config *c,
                                                    const char *triple);
MOAT_API moat_status moat_compile_config_set_cpu(moat_compile_config *c,
                                                 const char *cpu);
MOAT_API void moat_compile_config_set_output(moat_compile_config *c,
                                             moat_output kind);
/* Threads for object output: 0 (default) = one per CPU for modules with
 * at least 256 KiB of code, else one; 1 = one; N = N partitions whenever
 * the module has at least N functions (merged with ld.lld). */
MOAT_API void moat_compile_config_set_threads(moat_compile_config *c,
                                              int n);

/* Interruption checks (default off): compiled code checks the instance's
 * deadline at function entries and loop headers, so that
 * moat_instance_set_deadline, moat_instance_interrupt and the engine
 * epoch (moat.h) can stop it. Costs some speed (docs/bench-deadline.md). */
MOAT_API void moat_compile_config_set_interruptible(moat_compile_config *c,
                                                    int on);

/* DWARF (default: kept). A module built with -g carries .debug_* custom
 * sections; the compiler copies them into the artifact, where
 * moat_module_source_locs (moat.h) reads them. on != 0 leaves them out:
 * a smaller artifact, no source locations. docs/debugging.md. */
MOAT_API void moat_compile_config_set_strip_debug(moat_compile_config *c,
                                                  int on);

/* Caps on one compilation (default: none). With either set, moat_compile
 * runs the compiler in a child process (fork): a compilation that takes
 * longer than ms milliseconds of wall time is killed, one that maps more
 * than bytes of address space, or holds more than bytes of memory,
 * beyond what the process had fails, and
 * moat_compile returns MOAT_ERR_LIMIT ("compilation exceeded the time
 * limit of N s" / "... memory limit of N MiB"). The caller's process is
 * untouched either way. fork() copies only the calling thread: call it
 * while no other thread of the process is inside the compiler.
 * docs/compiler.md, "Compile caps". */
MOAT_API void moat_compile_config_set_time_limit(moat_compile_config *c,
                                                 uint64_t ms);
MOAT_API void moat_compile_config_set_memory_limit(moat_compile_config *c,
                                                   uint64_t bytes);

/* Validates and compiles a wasm module (bytes read only during the call).
 * On success *out (free with moat_free) holds *out_len bytes of output. A
 * module the front-end rejects gives its error, byte offset included. */
MOAT_API moat_status moat_compile(const moat_compile_config *c,
                                  const uint8_t *bytes, size_t len,
                                  uint8_t **out, size_t *out_len,
                                  moat_error *err);

/* Frees memory the library handed out (NULL: no-op). */
MOAT_API void moat_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
