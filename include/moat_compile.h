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

/* Translates a module in the WebAssembly text format (.wat, spec chapter
 * 6; WebAssembly 2.0) to the binary format, without validating it (give
 * the bytes to moat_wasm_validate or moat_compile). text is read only
 * during the call and need not be NUL-terminated. On success *out (free
 * with moat_free) holds *out_len bytes; on failure *out is NULL and err
 * (may be NULL) says what was expected where: MOAT_ERR_MALFORMED, the
 * message "LINE:COLUMN: expected ..., got '...'" (offset MOAT_NO_OFFSET),
 * or MOAT_ERR_NOMEM. docs/frontend.md, "Text format". */
MOAT_API moat_status moat_wasm_from_wat(const char *text, size_t len,
                                        uint8_t **out, size_t *out_len,
                                        moat_error *err);

/* Where in text the byte at offset of moat_wasm_from_wat's output came
 * from: *line and *col (1-based) of the instruction or module field that
 * starts at or last before it, 0 and 0 when none does (the header, the
 * type section). For reporting a validation error (whose moat_error
 * offset is such an offset) in terms of the text. MOAT_OK, or the error
 * moat_wasm_from_wat gives for text. */
MOAT_API moat_status moat_wasm_wat_position(const char *text, size_t len,
                                            uint64_t offset, uint32_t *line,
                                            uint32_t *col);

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
/* The target triple (NULL: the host's). The runtime (moat.h) runs x86-64
 * Linux objects only, and the lowering emits x86-64 code, so the triple
 * must name x86_64 with Linux or no OS and an ELF object
 * ("x86_64-linux-gnu", "x86_64-unknown-none"); its use is an artifact for
 * other x86-64 machines: the CPU then defaults to x86-64-v2 instead of the
 * host's. Anything else gives MOAT_ERR_OPTION, here and from moat_compile
 * (with the message); the value is kept, so moat_compile fails rather
 * than compile for another target. MOAT_ERR_NOMEM: no copy was made. */
MOAT_API moat_status moat_compile_config_set_target(moat_compile_config *c,
                                                    const char *triple);
/* The CPU (NULL: the default above). "native" is the host's CPU with its
 * features (the default without a triple): the artifact lists the
 * features its code uses, and the runtime checks them on load. An x86-64
 * CPU of LLVM's ("x86-64-v3", "znver4"; moat_compile_cpu_name) is taken;
 * x86-64[-vN] artifacts load where the host has that level, other names
 * compile (for -S, say) but the runtime refuses them, as it cannot check
 * what they imply. An unknown or 32-bit-only CPU gives MOAT_ERR_OPTION,
 * here and from moat_compile, as for the target. */
MOAT_API moat_status moat_compile_config_set_cpu(moat_compile_config *c,
                                                 const char *cpu);
/* The i-th name moat_compile_config_set_cpu accepts ("native" first, then
 * LLVM's x86-64 CPUs in alphabetical order), NULL past the last; static
 * storage. */
MOAT_API const char *moat_compile_cpu_name(size_t i);
MOAT_API void moat_compile_config_set_output(moat_compile_config *c,
                                             moat_output kind);
/* A plugin to link into a program (`moat compile --name NAME`, default
 * NULL: none): the object's descriptor is the symbol NAME_descriptor
 * instead of moat_descriptor, and it is the only global symbol the object
 * defines (all else is local), so any number of plugins link into one
 * program; moat_module_from_descriptor (moat.h) makes its module.
 * MOAT_ERR_INVALID when name is not a C identifier of at most
 * MOAT_PLUGIN_NAME_MAX characters. docs/plugins.md. */
#define MOAT_PLUGIN_NAME_MAX 100
MOAT_API moat_status moat_compile_config_set_name(moat_compile_config *c,
                                                  const char *name);

/* Threads for object output: 0 (default) = one per CPU for modules with
 * at least 256 KiB of code, else one; 1 = one; N = N threads whenever
 * the module has at least N functions. With more than one, the module is
 * split into up to 4 partitions per thread, merged with ld.lld. */
MOAT_API void moat_compile_config_set_threads(moat_compile_config *c,
                                              int n);

/* Interruption checks (default off): compiled code checks the instance's
 * deadline at function entries and loop headers, so that
 * moat_instance_set_deadline, moat_instance_interrupt and the engine
 * epoch (moat.h) can stop it. Costs some speed (docs/bench-deadline.md). */
MOAT_API void moat_compile_config_set_interruptible(moat_compile_config *c,
                                                    int on);

/* Provable heap addresses (default off): on != 0 computes every heap
 * index through an explicit 32-bit move the optimiser cannot see through
 * (an inline `mov %eN,%eN`), so each access reaches the machine code as
 * heap base + zero-extended 32-bit index + constant, the shape the
 * machine-code checker's memory rule proves on its own (docs/verify.md,
 * "Item 2: provable heap addresses"). Costs the loop optimisations that
 * rewrite addresses (strength reduction, vectorised address arithmetic);
 * the numbers are in docs/verify.md. */
MOAT_API void moat_compile_config_set_provable(moat_compile_config *c,
                                               int on);

/* DWARF (default: kept). A module built with -g carries .debug_* custom
 * sections; the compiler copies them into the artifact, where
 * moat_module_source_locs (moat.h) reads them. on != 0 leaves them out:
 * a smaller artifact, no source locations. docs/debugging.md. */
MOAT_API void moat_compile_config_set_strip_debug(moat_compile_config *c,
                                                  int on);

/* Progress and timing (default: none). fn(user, ev) is called at the end
 * of each phase of the compilation: "decode" (decoding and validation),
 * then per partition "lower" (wasm to LLVM IR), "descriptor" (trampolines,
 * the descriptor, the module's DWARF), "verify", "optimise" (the IR pass
 * pipeline), "codegen" (instruction selection to the object in memory),
 * then "merge" (the partitions' objects into one, ld.lld -r). Partitions
 * run in threads, but the calls never overlap; fn must not call back into
 * the compiler. ev and its strings live only during the call. */
typedef struct moat_compile_event {
    const char *phase;
    int         partition;      /* -1: the whole compilation */
    double      seconds;        /* the phase's wall time */
    double      cpu_seconds;    /* its thread's CPU time in it */
    uint32_t    funcs_done;     /* functions of the module compiled so far */
    uint32_t    funcs_total;    /* defined functions of the module */
} moat_compile_event;
typedef void (*moat_compile_observer)(void *user,
                                      const moat_compile_event *ev);
MOAT_API void moat_compile_config_set_observer(moat_compile_config *c,
                                               moat_compile_observer fn,
                                               void *user);

/* LLVM's per-pass timers (default off): on != 0 turns on LLVM's
 * -time-passes for the rest of the process (an LLVM global: it cannot be
 * turned off again); LLVM prints its tables to standard error, one per
 * partition's IR pipeline and one for code generation at exit. */
MOAT_API void moat_compile_config_set_time_passes(moat_compile_config *c,
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
 * module the front-end rejects gives its error, byte offset included; an
 * unknown or unsupported target or CPU MOAT_ERR_OPTION, before any work.
 *
 * Where it can still end the process: everything above is checked before
 * LLVM sees it, but LLVM does not return from two failures, it aborts:
 * running out of memory ("LLVM ERROR: out of memory"; a module at the
 * implementation limits can need gigabytes), and an LLVM fatal error on
 * some valid module (a bug in Moat's lowering or in LLVM; none known).
 * LLVMInstallFatalErrorHandler cannot prevent the exit. The remedy: set a
 * time or memory limit (above), and the compiler runs in a child process
 * whose death gives MOAT_ERR_LIMIT or MOAT_ERR_NOMEM ("the compiler
 * process died of signal 6") here; docs/embedding.md, "Compiling
 * in-process". */
MOAT_API moat_status moat_compile(const moat_compile_config *c,
                                  const uint8_t *bytes, size_t len,
                                  uint8_t **out, size_t *out_len,
                                  moat_error *err);

/* The typed C header of a plugin (`moat compile --header`): for every
 * exported function a typed wrapper prefix_EXPORT(moat_instance *, ...),
 * for every imported one the native prototype the host provides, and
 * prefix_define_imports; with the config's name set it also declares
 * NAME_descriptor. prefix NULL: the config's name (then required).
 * MOAT_ERR_INVALID when prefix is not a C identifier; the module's own
 * errors as moat_compile. On success *out (moat_free) holds *out_len
 * bytes of C text, not NUL-terminated. docs/plugins.md. */
MOAT_API moat_status moat_compile_header(const moat_compile_config *c,
                                         const uint8_t *bytes, size_t len,
                                         const char *prefix, char **out,
                                         size_t *out_len, moat_error *err);

/* Frees memory the library handed out (NULL: no-op). */
MOAT_API void moat_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
