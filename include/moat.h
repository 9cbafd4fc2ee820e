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
#include <string.h>             /* memcpy, memset: the moat_val helpers */

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
    MOAT_ERR_TRAP,          /* guest code trapped, see moat_error.trap */
    MOAT_ERR_EXIT,          /* guest asked to exit (WASI proc_exit), see
                             * moat_error.exit_code; not an error of the
                             * guest, but the call did not return */
    MOAT_YIELDED,           /* not an error: a host function suspended the
                             * call (moat_caller_yield); moat_error is not
                             * written. See "yield and resume" below. */
    MOAT_ERR_OPTION,        /* an option value is not accepted (an unknown
                             * target triple or CPU, moat_compile.h) */
    MOAT_ERR_VERIFY         /* an artifact's machine code was rejected by
                             * the checker, or could not be checked
                             * (docs/verify.md) */
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
    MOAT_TRAP_HOST,
    MOAT_TRAP_UNDEFINED_ELEMENT = 12, /* call_indirect past the table end */
    MOAT_TRAP_STALE_REF = 13,   /* call through a function reference whose
                                 * instance (or host definition) was freed
                                 * (see "function references" below) */
    MOAT_TRAP_UNALIGNED_ATOMIC = 14, /* an atomic access (threads) at an
                                      * address not a multiple of its size */
    MOAT_TRAP_UNSHARED_WAIT = 15    /* memory.atomic.wait on a memory that
                                     * is not shared */
} moat_trap;

#define MOAT_NO_OFFSET UINT64_MAX

typedef struct moat_module moat_module;

/* One wasm frame of a trap's backtrace (docs/backtraces.md). */
typedef struct moat_frame {
    const moat_module *module;  /* borrowed: valid while the module lives;
                                 * NULL when the code is no module's */
    uint32_t func;              /* wasm function index (imports counted),
                                 * MOAT_NO_FUNC if unknown */
    uint32_t inlined;           /* nonzero: the compiler inlined this frame
                                 * into the next (outer) one */
    uint64_t offset;            /* byte offset in the wasm module (file) of
                                 * the trapping instruction (innermost
                                 * frame) or of the call (outer frames);
                                 * MOAT_NO_OFFSET if unknown */
} moat_frame;

/* Frames a moat_error holds: a trap deeper than this keeps its innermost
 * MOAT_MAX_FRAMES and counts the native frames it left out. 32 covers
 * the depth of real programs' traps (a C++ or Rust panic path is 10-20
 * deep) and keeps moat_error under 1.1 KiB for hosts' stacks. */
#define MOAT_MAX_FRAMES 32

/* Filled by failing calls. The first error wins: a call never overwrites an
 * error that is already recorded (code != MOAT_OK). */
typedef struct moat_error {
    moat_status code;
    moat_trap   trap;       /* when code == MOAT_ERR_TRAP */
    uint64_t    offset;     /* byte offset in the input, MOAT_NO_OFFSET if none */
    uint32_t    exit_code;  /* when code == MOAT_ERR_EXIT */
    uint32_t    func;       /* traps: index of the innermost wasm function
                             * (frames[0].func), MOAT_NO_FUNC when not
                             * known (a host function, the start of a
                             * call) */
    char        msg[256];   /* traps: "WORDING in function NAME" */
    /* traps: the wasm frames from the trap out to the entry of the call,
     * innermost first (inlined ones included); nframes_dropped native
     * frames further out did not fit. 0 frames: none known. */
    uint32_t    nframes;
    uint32_t    nframes_dropped;
    moat_frame  frames[MOAT_MAX_FRAMES];
} moat_error;

#define MOAT_NO_FUNC UINT32_MAX

/* A printable name of f's function: its name-section name demangled
 * (C++ Itanium, Rust legacy and v0), else its export name, else "#IDX";
 * "?" for an unknown frame. Written into buf (n bytes, cut to fit;
 * control characters escaped); returns buf. */
MOAT_API const char *moat_frame_name(const moat_frame *f, char *buf,
                                     size_t n);
/* Demangles a C++ (Itanium) or Rust (legacy, v0) symbol into buf; NULL
 * when sym is not one (buf untouched). */
MOAT_API const char *moat_demangle(const char *sym, char *buf, size_t n);

/* Spec-like name of a status ("invalid module", ...); static storage. */
MOAT_API const char *moat_status_string(moat_status s);

/* Allocator hook (like lua_Alloc): every heap allocation of the library goes
 * through it. realloc semantics: size 0 frees and returns NULL. NULL hook
 * restores the default (libc). Not thread-safe against concurrent calls. */
typedef void *(*moat_alloc_fn)(void *ud, void *ptr, size_t size);
MOAT_API void moat_set_allocator(moat_alloc_fn fn, void *ud);


/* ---- values ---- */

typedef enum moat_valtype {
    MOAT_I32 = 0x7f, MOAT_I64 = 0x7e, MOAT_F32 = 0x7d, MOAT_F64 = 0x7c,
    MOAT_V128 = 0x7b, MOAT_FUNCREF = 0x70, MOAT_EXTERNREF = 0x6f
} moat_valtype;

/* A wasm value. Floats are carried as their bits, so NaN payloads survive.
 * References are opaque pointers; NULL is the null reference. */
typedef struct moat_val {
    uint8_t type;               /* moat_valtype */
    union {
        uint32_t i32;           /* also f32 bits */
        uint64_t i64;           /* also f64 bits */
        uint8_t  v128[16];      /* lane 0 first (little-endian) */
        void    *ref;
    } of;
} moat_val;

/* Making and reading values. Floats go in and out as their bits (memcpy,
 * never a conversion), so a NaN keeps its payload and its sign; a
 * signalling NaN held in a float variable keeps its bits on x86-64, where
 * floats travel in SSE registers (to be exact everywhere, use the bits:
 * moat_val_i32/.of.i32 with type MOAT_F32). */
static inline moat_val
moat_val_i32(uint32_t v)
{
    moat_val r;
    memset(&r, 0, sizeof r);
    r.type = MOAT_I32;
    r.of.i32 = v;
    return r;
}

static inline moat_val
moat_val_i64(uint64_t v)
{
    moat_val r;
    memset(&r, 0, sizeof r);
    r.type = MOAT_I64;
    r.of.i64 = v;
    return r;
}

static inline moat_val
moat_val_f32(float f)
{
    moat_val r;
    memset(&r, 0, sizeof r);
    r.type = MOAT_F32;
    memcpy(&r.of.i32, &f, sizeof f);
    return r;
}

static inline moat_val
moat_val_f64(double d)
{
    moat_val r;
    memset(&r, 0, sizeof r);
    r.type = MOAT_F64;
    memcpy(&r.of.i64, &d, sizeof d);
    return r;
}

static inline float
moat_val_as_f32(moat_val v)
{
    float f;
    memcpy(&f, &v.of.i32, sizeof f);
    return f;
}

static inline double
moat_val_as_f64(moat_val v)
{
    double d;
    memcpy(&d, &v.of.i64, sizeof d);
    return d;
}

/* Spec wording of a trap ("integer divide by zero", ...); static storage. */
MOAT_API const char *moat_trap_string(moat_trap t);

/* ---- engine, modules, linking, instances ----
 * moat_engine: process-wide state (canonical function types, signal
 * handlers). Create one, free it after everything made from it.
 * moat_module: a loaded compiled artifact (ELF object or shared object with
 * a Moat descriptor); immutable, shared by its instances.
 * moat_linker: what imports resolve to: host functions and globals, tables
 * and memories the host defines, and instances registered under a name.
 * moat_instance: a running instance of a module. */
typedef struct moat_engine   moat_engine;
/* moat_module is declared above, with moat_frame */
typedef struct moat_linker   moat_linker;
typedef struct moat_instance moat_instance;

/* On success *out is the caller's (free with moat_engine_free). */
MOAT_API moat_status moat_engine_new(moat_engine **out, moat_error *err);
MOAT_API void moat_engine_free(moat_engine *e);           /* NULL: no-op */
/* Limits for what is made from now on. max_memory (0: none, the default):
 * one budget per instance for everything its guest makes the runtime
 * allocate - the memory it defines, the elements of the tables it defines
 * and the instance data its module's counts decide (context area,
 * per-function, per-import and per-segment arrays); docs/runtime.md,
 * "Limits". An instance whose minimums and data do not fit fails with
 * MOAT_ERR_LIMIT, the message naming what exceeded the limit; a
 * memory.grow or table.grow that does not fit gives -1 (also when an
 * importer grows the instance's exported memory or table); a reset gives
 * back what the memory grew. Not counted: the stack, host-defined memories
 * and tables. stack_size: bytes of stack each call into an instance may
 * use (each instance has its own stack; default 8 MiB, at least the stack
 * reserve below + 64 KiB, applies to calls started from now on; pooled
 * instances have room for at most max(8 MiB, the size set when the engine
 * made its pool)); deep recursion past it traps with "call stack
 * exhausted". */
MOAT_API void moat_engine_set_max_memory(moat_engine *e, uint64_t bytes);
MOAT_API void moat_engine_set_stack_size(moat_engine *e, uint64_t bytes);
/* Host functions (and Moat's helpers and WASI) run on the instance's
 * stack, under the wasm frames that called them. Compiled code leaves
 * them at least `bytes` of it: a wasm call that would leave less traps
 * with "call stack exhausted" before the host code runs. Default 64 KiB
 * (128 KiB in AddressSanitizer builds of libmoat), rounded up to 4 KiB,
 * clamped to [16 KiB, 4 MiB]; process-wide like the stack size, for
 * calls started from now on. A stack is at least the reserve + 64 KiB. A
 * host function that needs more than the reserve crashes the process
 * (SIGSEGV with a line on stderr): it is never turned into a trap. */
MOAT_API void moat_engine_set_stack_reserve(moat_engine *e, uint64_t bytes);

/* What outside tools are told about the code of each module the engine
 * loads from now on (docs/profiling.md); flags, or-ed together.
 * PERFMAP appends "START SIZE NAME" lines for every function and
 * trampoline to /tmp/perf-PID.map, which `perf report` reads; the file is
 * created 0600 by this process, and refused (nothing written) if the path
 * is a symlink or a file of another user. GDB registers an in-memory
 * symbol file per module with the GDB JIT interface, so that gdb's `bt`
 * names guest frames; unregistered by moat_module_free. A new engine
 * takes MOAT_PROFILER_DEFAULT, or what the environment variable
 * MOAT_PROFILE says ("perfmap", "gdb", "none", or a comma-separated
 * list: hosts whose code cannot change). */
typedef enum moat_profiler {
    MOAT_PROFILER_NONE = 0,
    MOAT_PROFILER_PERFMAP = 1,
    MOAT_PROFILER_GDB = 2
} moat_profiler;
#define MOAT_PROFILER_DEFAULT MOAT_PROFILER_GDB
MOAT_API void moat_engine_set_profiler(moat_engine *e, unsigned profilers);

/* The largest file moat_module_load_file and the moat command read: 1 GiB,
 * the module size limit of the web engines. */
#define MOAT_FILE_LIMIT (UINT64_C(1) << 30)

/* Loads an artifact produced by `moat compile`: a relocatable ELF object,
 * or a shared object (-shared), told apart by the ELF header; bytes are
 * read only during the call. An artifact is native code. The loader
 * bounds-checks every read of the file, runs none of its code while
 * loading (no constructors, initialisers or IFUNC resolvers; no dlopen)
 * and checks the layout contract and every pointer of the descriptor;
 * then, before any of its code can run, the machine-code checker proves
 * the sandbox rules on the code itself (docs/verify.md; the rules it does
 * not prove yet are listed there). Rejected code, or a checker that cannot
 * be loaded (libmoat-verify.so.0, installed beside libmoat), gives
 * MOAT_ERR_VERIFY naming the first violation. A shared object cannot be
 * verified yet: it is refused (MOAT_ERR_VERIFY) unless loaded trusted.
 * *out is the caller's (moat_module_free), valid while the engine lives. */
MOAT_API moat_status moat_module_load_object(moat_engine *e,
                                             const uint8_t *bytes,
                                             size_t len, moat_module **out,
                                             moat_error *err);
/* Same from a file: ELF relocatable object (.o) or shared object (.so), of
 * at most MOAT_FILE_LIMIT bytes (MOAT_ERR_LIMIT past it); directories and
 * devices are refused (MOAT_ERR_IO). Verified the same way. */
MOAT_API moat_status moat_module_load_file(moat_engine *e, const char *path,
                                           moat_module **out,
                                           moat_error *err);
/* Flags of moat_module_load_object_flags and moat_module_load_file_flags. */
typedef enum moat_load_flags {
    /* The caller vouches for the artifact (it compiled it moments ago in
     * this process and verified it, or keeps it where only it can write
     * and authenticates it): the checker is skipped, so the artifact is
     * trusted like an executable. Needed for shared objects. */
    MOAT_LOAD_TRUSTED = 1u << 0
} moat_load_flags;
/* moat_module_load_object / _file with flags (moat_load_flags; 0 is the
 * default: verify). */
MOAT_API moat_status moat_module_load_object_flags(moat_engine *e,
                                                   const uint8_t *bytes,
                                                   size_t len, unsigned flags,
                                                   moat_module **out,
                                                   moat_error *err);
MOAT_API moat_status moat_module_load_file_flags(moat_engine *e,
                                                 const char *path,
                                                 unsigned flags,
                                                 moat_module **out,
                                                 moat_error *err);
/* Runs the machine-code checker over an artifact (bytes borrowed during
 * the call) without loading it: MOAT_OK when no rule it checks is broken,
 * MOAT_ERR_VERIFY naming the first violation (or why the checker cannot
 * run) otherwise. What the load functions above run; `moat compile` runs
 * it before writing its output. A shared object is MOAT_ERR_VERIFY. */
MOAT_API moat_status moat_artifact_verify(const uint8_t *bytes, size_t len,
                                          moat_error *err);
/* SHA-256 of the wasm module the artifact was compiled from (32 bytes,
 * borrowed from the module). */
MOAT_API const uint8_t *moat_module_hash(const moat_module *m);
/* ---- plugins linked into the program (docs/plugins.md) ----
 * `moat compile --name NAME --header NAME.h -c IN.wasm -o NAME.o` makes an
 * object to link into the host (with the static libmoat) whose only
 * global symbol is `const moat_descriptor NAME_descriptor`, and a header
 * with typed wrappers for its exports. The descriptor is static data of
 * the program: borrowed forever, never copied or freed. */
typedef struct moat_descriptor moat_descriptor;

/* A module from a linked-in plugin's descriptor: no file, no ELF loading.
 * The same checks as moat_module_load_*: magic and ABI version, every
 * count and pointer of the descriptor sane (code pointers inside the
 * plugin's code), the CPU features its code needs present on this host
 * (MOAT_ERR_CONTRACT otherwise). *out is the caller's (moat_module_free);
 * d must stay valid for as long as the module lives (static data does). */
MOAT_API moat_status moat_module_from_descriptor(moat_engine *e,
                                                 const moat_descriptor *d,
                                                 moat_module **out,
                                                 moat_error *err);

/* Frees the module; its instances must be freed first. */
MOAT_API void moat_module_free(moat_module *m);

/* What an import or export is (the wasm external kinds, binary 5.5.5). */
typedef enum moat_extern_kind {
    MOAT_EXTERN_FUNC = 0, MOAT_EXTERN_TABLE = 1, MOAT_EXTERN_MEMORY = 2,
    MOAT_EXTERN_GLOBAL = 3
} moat_extern_kind;

/* Export and import descriptions. Strings are borrowed from the module
 * (valid until moat_module_free). For functions, params/results point at
 * moat_valtype bytes. */
typedef struct moat_extern_info {
    const char    *module;      /* imports only; NUL-terminated */
    const char    *name;
    uint8_t        kind;        /* moat_extern_kind */
    uint32_t       nparams, nresults;
    const uint8_t *params, *results;
    uint8_t        global_type;
    uint8_t        global_mut;
} moat_extern_info;

MOAT_API size_t moat_module_export_count(const moat_module *m);
MOAT_API size_t moat_module_import_count(const moat_module *m);
MOAT_API moat_status moat_module_export(const moat_module *m, size_t i,
                                        moat_extern_info *out);
MOAT_API moat_status moat_module_import(const moat_module *m, size_t i,
                                        moat_extern_info *out);

/* ---- source locations, from the module's own DWARF ----
 * A module built with -g (clang, rustc) carries DWARF in .debug_* custom
 * sections; `moat compile` keeps them in the artifact unless told
 * --strip-debug (moat_compile_config_set_strip_debug). docs/debugging.md.
 */
typedef struct moat_source_loc {
    const char *function;       /* source-level function name: DW_AT_name
                                 * (C++/Rust: with its namespaces and
                                 * classes, "calc::Ratio::per"), else the
                                 * linkage name; NULL if unknown */
    const char *file;           /* NULL if unknown */
    uint32_t    line, column;   /* 0 if unknown */
} moat_source_loc;

/* The source frames at offset, a byte offset in the wasm module (file),
 * innermost first: a function clang inlined gives a frame of its own, at
 * its line, and the frame out of it is at the call's line (as
 * addr2line -i prints them). Writes at most max of them to out and
 * returns how many there are (0: no DWARF, or nothing covers offset; the
 * same for DWARF libdw cannot read). Strings are borrowed from the module
 * (valid until moat_module_free). Thread-safe (a mutex in the module;
 * not for signal handlers); the first call reads the DWARF's unit
 * headers, about as long as a query. */
MOAT_API size_t moat_module_source_locs(const moat_module *m,
                                        uint64_t offset,
                                        moat_source_loc *out, size_t max);
/* Bytes of DWARF the artifact carries (0: none). */
MOAT_API uint64_t moat_module_debug_size(const moat_module *m);

/* A host function with the native signature of its wasm type:
 *   result fn(void *ctx, params...)
 * with i32 as uint32_t, i64 as uint64_t, f32 float, f64 double, v128
 * __m128i, references void *; void when it has no result. ctx is the
 * value given here (host_ctx). With two or more results:
 *   void fn(void *ctx, params..., void *results)
 * writes result i into the low bytes of the 16-byte slot at
 * (char *)results + 16 * i (the area is 8-byte aligned; MOAT_RESULT_SLOT
 * in runtime/abi.h). */
typedef void (*moat_native_fn)(void);   /* cast your function to this */

MOAT_API moat_status moat_linker_new(moat_engine *e, moat_linker **out,
                                     moat_error *err);
MOAT_API void moat_linker_free(moat_linker *l);           /* NULL: no-op */
MOAT_API moat_status moat_linker_define_func(moat_linker *l,
                                             const char *module,
                                             const char *name,
                                             const uint8_t *params,
                                             uint32_t nparams,
                                             const uint8_t *results,
                                             uint32_t nresults,
                                             moat_native_fn fn,
                                             void *host_ctx,
                                             moat_error *err);
/* A host function that needs its caller (guest memory, per-linker data):
 *   results fn(moat_caller *caller, params...)
 * same value mapping as moat_native_fn. host_ctx is what
 * moat_caller_data returns. The caller is the instance that imported the
 * function (also when the function reaches another instance through a
 * table or a re-export). */
typedef struct moat_caller moat_caller;

MOAT_API moat_status moat_linker_define_func_caller(moat_linker *l,
                                                    const char *module,
                                                    const char *name,
                                                    const uint8_t *params,
                                                    uint32_t nparams,
                                                    const uint8_t *results,
                                                    uint32_t nresults,
                                                    moat_native_fn fn,
                                                    void *host_ctx,
                                                    moat_error *err);
/* A host function as a generic callback, for hosts that do not know the
 * signature when they are compiled (language bindings, tables of
 * handlers): args holds nargs values of the declared parameter types;
 * write results[0..nresults) (their types are preset). host_ctx is the
 * value given at definition. Made callable from compiled code by a libffi
 * closure. Limits: at most 64 parameters and 64 results, no v128
 * (MOAT_ERR_LIMIT): use a native function for those. */
typedef void (*moat_callback)(moat_caller *caller, void *host_ctx,
                              const moat_val *args, size_t nargs,
                              moat_val *results, size_t nresults);
MOAT_API moat_status moat_linker_define_callback(moat_linker *l,
                                                 const char *module,
                                                 const char *name,
                                                 const uint8_t *params,
                                                 uint32_t nparams,
                                                 const uint8_t *results,
                                                 uint32_t nresults,
                                                 moat_callback fn,
                                                 void *host_ctx,
                                                 moat_error *err);

/* Inside such a host function (borrowed, valid during the call): */
MOAT_API void          *moat_caller_data(moat_caller *c);
MOAT_API moat_instance *moat_caller_instance(moat_caller *c);
/* The caller's memory 0: its base and, in *size, its current size in
 * bytes; NULL (and *size 0) when it has none. The base never moves;
 * addresses in [base, base + size) are valid until the guest runs again
 * (which may grow, never shrink, the memory). */
MOAT_API uint8_t *moat_caller_memory(moat_caller *c, uint64_t *size);
/* End the running call: with a trap (MOAT_ERR_TRAP, MOAT_TRAP_HOST, msg
 * copied into moat_error.msg) or an exit (MOAT_ERR_EXIT with code). They
 * do not return: they unwind the guest's frames and the host function's
 * own, so release what the host function holds before calling them. */
MOAT_API __attribute__((noreturn)) void moat_caller_trap(moat_caller *c,
                                                         const char *msg);
MOAT_API __attribute__((noreturn)) void moat_caller_exit(moat_caller *c,
                                                         uint32_t code);

/* Host-owned globals, memories and tables, kept alive by the linker. */
MOAT_API moat_status moat_linker_define_global(moat_linker *l,
                                               const char *module,
                                               const char *name,
                                               moat_val value, int is_mut,
                                               moat_error *err);
MOAT_API moat_status moat_linker_define_memory(moat_linker *l,
                                               const char *module,
                                               const char *name,
                                               uint32_t min_pages,
                                               uint32_t max_pages,
                                               moat_error *err);
/* A shared memory (threads proposal): importable only where the import
 * says shared; max_pages is required (MOAT_ERR_LIMIT without one).
 * memory.atomic.wait blocks on it until a notify, its timeout, or the
 * call's deadline or interrupt. */
MOAT_API moat_status moat_linker_define_shared_memory(moat_linker *l,
                                                      const char *module,
                                                      const char *name,
                                                      uint32_t min_pages,
                                                      uint32_t max_pages,
                                                      moat_error *err);
MOAT_API moat_status moat_linker_define_table(moat_linker *l,
                                              const char *module,
                                              const char *name,
                                              uint8_t elem_type,
                                              uint32_t min, uint32_t max,
                                              moat_error *err);
/* Makes every export of inst importable as (module, export name). The
 * instance must outlive the linker's use of it. */
MOAT_API moat_status moat_linker_define_instance(moat_linker *l,
                                                 const char *module,
                                                 moat_instance *inst,
                                                 moat_error *err);

/* Links the module's imports through l, instantiates it (globals, tables,
 * memory, segments) and runs its start function. A trap in the start
 * function gives MOAT_ERR_TRAP; an unresolved or mistyped import
 * MOAT_ERR_LINK. *out is the caller's (moat_instance_free). */
MOAT_API moat_status moat_instance_new(moat_linker *l, moat_module *m,
                                       moat_instance **out, moat_error *err);
MOAT_API void moat_instance_free(moat_instance *inst);    /* NULL: no-op */

/* Calls the exported function `name`. args must match its parameters in
 * number and type; results receives its results. A trap returns
 * MOAT_ERR_TRAP with err->trap set; the instance stays usable. */
MOAT_API moat_status moat_instance_call(moat_instance *inst, const char *name,
                                        const moat_val *args, size_t nargs,
                                        moat_val *results, size_t nresults,
                                        moat_error *err);
/* Exports by index: names may hold any bytes, NUL included, so the name is
 * given with its length. *out is the export's index, usable with
 * moat_instance_call_index for as long as the instance lives (a handle
 * that skips the name lookup on every call). */
MOAT_API moat_status moat_instance_export_index(moat_instance *inst,
                                                const char *name, size_t len,
                                                uint32_t *out,
                                                moat_error *err);
MOAT_API moat_status moat_instance_call_index(moat_instance *inst,
                                              uint32_t export_idx,
                                              const moat_val *args,
                                              size_t nargs,
                                              moat_val *results,
                                              size_t nresults,
                                              moat_error *err);
/* A typed call, what the wrappers of a plugin header (docs/plugins.md)
 * make: like moat_instance_call_index, but first checks that inst is an
 * instance of the module whose SHA-256 (moat_module_hash) is hash, so
 * that an instance of another plugin is an error (MOAT_ERR_LINK) rather
 * than a call of whatever that module exports at export_idx. The outcome
 * goes to moat_instance_last_error(inst); on failure (also MOAT_YIELDED)
 * results[0..nresults) are zeroed. inst NULL: MOAT_ERR_LINK. */
MOAT_API moat_status moat_instance_call_typed(moat_instance *inst,
                                              const uint8_t hash[32],
                                              uint32_t export_idx,
                                              const moat_val *args,
                                              size_t nargs,
                                              moat_val *results,
                                              size_t nresults);
/* The outcome of the last moat_instance_call_typed on inst: code MOAT_OK
 * after a successful call (and before the first), else the error
 * (MOAT_ERR_TRAP with trap and msg, MOAT_YIELDED when the call was
 * suspended: moat_instance_resume continues it). Borrowed: valid until
 * the next typed call on inst or its free. inst NULL: a static error
 * saying so. */
MOAT_API const moat_error *moat_instance_last_error(moat_instance *inst);

/* The name of function idx of the instance's module: from the name
 * section when the module had one, else "#idx" written into buf (n
 * bytes). Borrowed from the module or buf. */
MOAT_API const char *moat_instance_func_name(moat_instance *inst,
                                             uint32_t idx, char *buf,
                                             size_t n);
/* Memory 0 of the instance (own or imported) with *size its current size
 * in bytes; NULL when it has none. Bounds-checked copies in and out:
 * MOAT_ERR_LIMIT when [offset, offset + len) is not inside the memory. */
MOAT_API uint8_t *moat_instance_memory(moat_instance *inst, uint64_t *size);
MOAT_API moat_status moat_instance_memory_read(moat_instance *inst,
                                               uint64_t offset, void *buf,
                                               size_t len, moat_error *err);
MOAT_API moat_status moat_instance_memory_write(moat_instance *inst,
                                                uint64_t offset,
                                                const void *buf, size_t len,
                                                moat_error *err);

/* Reads the exported global `name`. */
MOAT_API moat_status moat_instance_global(moat_instance *inst,
                                          const char *name, moat_val *out,
                                          moat_error *err);

/* ---- function references (docs/runtime.md, "Lifetimes") ----
 * A funcref stored into a table or global that its own instance does not
 * own (another instance's, the host's) stays safe after that instance is
 * freed: calling it traps with MOAT_TRAP_STALE_REF, whatever now lives in
 * the freed instance's pool slot; a host function's reference stays
 * callable while its definition lives (a linker or an importer holds it).
 * Storing a reference never keeps its instance alive, so instances that
 * share tables can be freed in any order.
 * A funcref value the HOST holds (a call's result, an exported global, a
 * host function's argument, a yield value) is borrowed: valid while the
 * instance it is a function of lives (for a reference read out of a
 * table or global of another instance: while that storage holds it).
 * Passing one that is no longer valid back into a call, as a global's
 * value (moat_linker_define_global) or a resume value is undefined: it may
 * reach another tenant's function. Keep the instance to keep the value.
 * An instance must not be freed while a call that may be executing one of
 * its functions (called through a reference, then suspended in a yield
 * or inside a host function) is running or suspended. */

/* ---- deadlines: stopping guest code that runs too long ----
 * They need a module compiled with interruption checks (`moat compile
 * --interruptible`, moat_compile_config_set_interruptible): compiled code
 * checks at function entries and loop headers, and a stopped call ends
 * with MOAT_ERR_TRAP, MOAT_TRAP_INTERRUPTED. The instance stays usable.
 * Checks are per instance: code of another instance that a call reaches
 * through an import checks that instance's deadline, not the caller's. */

/* 1 when m was compiled with interruption checks, else 0. */
MOAT_API int moat_module_is_interruptible(const moat_module *m);
/* Every later call into inst (moat_instance_call and _call_index; not a
 * call already running) traps once it has run timeout_ns nanoseconds;
 * 0 = no timeout (the default). Measured from the start of the outermost
 * call; calls a host function makes back into inst share its time.
 * MOAT_ERR_LIMIT when timeout_ns != 0 and the module has no checks;
 * MOAT_ERR_NOMEM when the engine's timer thread cannot start. */
MOAT_API moat_status moat_instance_set_deadline(moat_instance *inst,
                                                uint64_t timeout_ns,
                                                moat_error *err);
/* Thread-safe: the running call into inst, or else the next one, traps at
 * its next check (a call that starts with an interrupt pending traps
 * before running). One interrupt stops one call. No-op without checks. */
MOAT_API void moat_instance_interrupt(moat_instance *inst);
/* The engine epoch, for embedders who keep time themselves: a counter the
 * host advances (thread-safe, e.g. from a timer of its own), and per
 * instance a deadline ticks_from_now increments after the current epoch
 * (UINT64_MAX = none, the default). Once the epoch reaches it, every call
 * into inst traps at its next check until a new deadline is set. */
MOAT_API void moat_engine_increment_epoch(moat_engine *e);
MOAT_API void moat_instance_set_epoch_deadline(moat_instance *inst,
                                               uint64_t ticks_from_now);
/* Thread-safe: the running call into inst yields at its next interruption
 * check, as if a host function had called moat_caller_yield: the call
 * returns MOAT_YIELDED, moat_instance_was_preempted(inst) is 1 until the
 * next resume, and moat_instance_resume (any value) continues it where it
 * was. For schedulers that time-slice guests: a loop cannot hold a thread.
 * Where the call cannot yield (a call made back into a running instance,
 * a start function), or with no call running (the request is dropped at
 * the next call's start: it must not carry over), it goes on undisturbed.
 * An interrupt, timeout or epoch deadline that is due at the same check
 * wins (the call traps). No-op without interruption checks. */
MOAT_API void moat_instance_preempt(moat_instance *inst);
/* 1 when the suspended call of inst was suspended by moat_instance_preempt
 * rather than by a host function's yield. */
MOAT_API int moat_instance_was_preempted(const moat_instance *inst);

/* ---- instance pools, reset, yield and resume (docs/embedding.md,
 * docs/runtime-scale.md) ----
 * An engine keeps its instances in a pool of slots carved from large
 * address-space reservations: each slot holds one instance's stack, its
 * context and its memory, and is reused, zeroed, by the next instance, so
 * that instantiation makes no system call in the common case. Modules
 * compiled for another reservation than the default 4 GiB + 2 GiB guard,
 * or with a very large context (~30,000+ functions), are instantiated
 * outside the pool, each part mapped on its own. */

/* At most n pooled instances alive at once (default 16384; address space
 * allows ~20,000 with the default reservation). One more gives
 * MOAT_ERR_LIMIT ("instance limit reached"). 0 turns pooling off: every
 * instance then maps its own memory and stack (slower, no limit). */
MOAT_API void moat_engine_set_instance_limit(moat_engine *e, uint32_t n);
/* Elements a table defined by an instance may have: a larger minimum
 * fails with MOAT_ERR_LIMIT; table.grow of a table without a declared
 * maximum stops there. 0: the runtime's limit (10,000,000). */
MOAT_API void moat_engine_set_table_limit(moat_engine *e, uint32_t n);
/* Transparent huge pages for linear memory: once a memory of an instance
 * of e reaches `bytes`, the runtime advises the kernel that its
 * reservation wants huge pages (madvise MADV_HUGEPAGE) and, in a pool
 * slot, opens its pages 2 MiB at a time, so that the kernel can back it
 * with 2 MiB pages: far fewer page faults and TLB misses for memory-heavy
 * guests. The price: a touch anywhere in a 2 MiB page makes all of it
 * resident, and the advice adds one or two mappings to the instance's
 * slot. So the default is 0, never: a host with many instances (20,000 at
 * 2 mappings each is 40,000 of vm.max_map_count's 65,530) keeps its RSS
 * and mappings; one that runs few memory-heavy instances asks for it.
 * `moat run` uses MOAT_HUGE_PAGES_RUN (docs/runtime-scale.md, "Huge
 * pages"). Applies to memories made or grown from now on. The kernel has
 * the last word: its transparent_hugepage setting must be "madvise" or
 * "always". */
#define MOAT_HUGE_PAGES_RUN (UINT64_C(2) << 20)
MOAT_API void moat_engine_set_huge_pages(moat_engine *e, uint64_t bytes);

typedef struct moat_pool_stats {
    uint32_t limit;             /* moat_engine_set_instance_limit */
    uint32_t live;              /* pooled instances alive */
    uint32_t reserved;          /* slots with address space reserved */
    uint32_t reservations;      /* mappings they were reserved in */
    uint64_t slot_bytes;        /* address space per slot */
    uint64_t address_space;     /* bytes reserved in all */
} moat_pool_stats;
MOAT_API void moat_engine_pool_stats(moat_engine *e, moat_pool_stats *out);

/* Restores inst to the state moat_instance_new left it in, in place:
 * memory back to its initial size and zeroed, globals, own tables and
 * dropped segments as declared, data and element segments applied again,
 * the start function run again, its stack zeroed. Imported memories,
 * tables and globals are shared and not touched (the segments write into
 * them again, as instantiation did). A suspended call is discarded.
 * MOAT_ERR_LIMIT while the instance is running; a trap in the segments or
 * the start function gives MOAT_ERR_TRAP. */
MOAT_API moat_status moat_instance_reset(moat_instance *inst,
                                         moat_error *err);

/* Yield and resume. Inside a caller-aware host function or callback (and
 * only in one called, directly or through wasm, by the outermost call into
 * the caller's instance on this thread), moat_caller_yield suspends the
 * call: moat_instance_call (or _call_index, or _resume) returns
 * MOAT_YIELDED at once, and the instance keeps its stack with the host
 * function's frame on it. The embedder may then run other instances, and
 * later resume this one, on any thread (one at a time): the host function
 * gets the resume value as moat_caller_yield's result and goes on.
 * While suspended the instance takes no other call (MOAT_ERR_LIMIT);
 * moat_instance_reset or _free discards the suspended call (the host
 * function never returns: release what it holds before yielding).
 * Yielding where it is not allowed (a start function, a call made back
 * into an instance that is already running) traps (MOAT_TRAP_HOST). */
MOAT_API moat_val moat_caller_yield(moat_caller *c, moat_val value);
/* 1 while a call of inst is suspended, else 0. */
MOAT_API int moat_instance_is_suspended(const moat_instance *inst);
/* The value the suspended call yielded (zeroed when none). */
MOAT_API moat_val moat_instance_yielded(const moat_instance *inst);
/* Continues the suspended call: value is what moat_caller_yield returns.
 * results receives the results of the call that was suspended
 * (nresults must match). MOAT_OK when it returns, MOAT_YIELDED when it
 * yields again, MOAT_ERR_TRAP / MOAT_ERR_EXIT as moat_instance_call;
 * MOAT_ERR_LIMIT when nothing is suspended. Each resume runs under the
 * instance's deadline afresh (moat_instance_set_deadline). */
MOAT_API moat_status moat_instance_resume(moat_instance *inst,
                                          moat_val value,
                                          moat_val *results,
                                          size_t nresults, moat_error *err);

#ifdef __cplusplus
}
#endif
#endif
