/* runtime.h - internal header of runtime/: engine, modules, linker,
 * instances, memories, tables, the helpers compiled code calls, traps,
 * signals and the wasm stack. Sectioned by file (QBE's all.h). What
 * compiled code sees is fixed in abi.h; this header is the runtime's side.
 */
#ifndef MOAT_RUNTIME_H
#define MOAT_RUNTIME_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi.h"
#include "elfload.h"
#include "util.h"

/* ---- the helpers compiled code calls (helpers.c, trap.c). Artifacts
 * reach them through the loaders' allow-list (symbols.c); the default
 * visibility is what older hosts that dlopen()ed artifacts relied on. ---- */
#define X(id, name, ret, params) \
    MOAT_API MOAT_HELPER_PROTO(name, ret, params);
MOAT_HELPERS(X)
#undef X
__attribute__((noreturn)) void moatR_trap(void *ctx, uint32_t code);

/* ---- engine.c ---- */

/* Reference count of an object other objects keep alive: instances (kept by
 * importers and linkers) and host definitions (kept by linkers and
 * importers). destroy runs when the count drops to 0. */
typedef struct Owner {
    atomic_int refs;
    void     (*destroy)(struct Owner *o);
} Owner;

void moatR_retain(Owner *o);
void moatR_release(Owner *o);                  /* NULL: no-op */

/* Public calls record into a local moat_error e (so that they know the
 * status even when the caller passed no err), then report: copies e into
 * err unless err already holds an error; returns e.code. */
moat_status moatR_report(moat_error *err, const moat_error *e);
/* verify_dl.c: the machine-code checker over an artifact's bytes; false
 * with MOAT_ERR_VERIFY in err when it rejects them or cannot run. */
bool moatR_verify(const uint8_t *bytes, size_t len, moat_error *err);

typedef struct TypeEntry {
    uint32_t hash;
    uint32_t nparams, nresults;
    uint8_t *types;                            /* params then results */
} TypeEntry;

/* Canonical function types: id i + 1 is entries[i]; 0 is never an id, so
 * a zeroed MoatFuncRef matches no call_indirect. */
typedef struct TypeReg {
    pthread_mutex_t lock;
    TypeEntry      *entries;
    uint32_t        n, cap;
    uint32_t       *slots;                     /* hash -> id, 0 = empty */
    uint32_t        nslots;                    /* a power of two */
} TypeReg;

struct moat_engine {
    TypeReg  types;
    uint64_t epoch;             /* MOAT_CTX_EPOCH_PTR points here */
    struct DeadlineTimer *_Atomic timer;    /* deadline.c; lazily */
    uint64_t max_memory;        /* bytes a memory may reach; 0: no limit */
    /* pool.c: instance slots, made on the first instantiation */
    struct Pool *_Atomic pool;
    uint32_t max_instances;     /* pooled instances alive at once; 0: no
                                 * pool, every instance maps its own */
    uint32_t table_limit;       /* elements per table; 0: MOAT_TABLE_LIMIT */
    unsigned profilers;         /* moat_profiler flags (profile.c) */
    uint64_t huge_at;           /* memory bytes from which huge pages are
                                 * asked for (memory.c); 0: never */
};

/* ---- types.c ---- */
void     moatR_types_init(TypeReg *r);
void     moatR_types_fini(TypeReg *r);
/* The canonical id of a signature (equal signatures, equal ids); 0 when out
 * of memory. Thread-safe. */
uint32_t moatR_type_id(moat_engine *e, const uint8_t *params, uint32_t np,
                       const uint8_t *results, uint32_t nr);
/* Writes "(i32 i64) -> (f32)" into buf. */
void     moatR_sig_text(char *buf, size_t n, const uint8_t *params,
                        uint32_t np, const uint8_t *results, uint32_t nr);
const char *moatR_valtype_text(uint8_t t);
/* The signature of a canonical id, as moatR_sig_text writes it. */
void     moatR_type_text(moat_engine *e, uint32_t id, char *buf, size_t n);

/* ---- contract.c: what an artifact may ask of us ---- */
/* Limits we impose on descriptors (the spec's appendix "implementation
 * limits" lets us); generous for real modules, small enough to keep sums
 * and products of counts and sizes exact. */
enum { MOAT_DESC_MAX_ITEMS = 1000000, MOAT_DESC_MAX_ARITY = 1000 };
bool moatR_check_contract(const MoatDescriptor *d, moat_error *err);
/* Its first part, which reads only the descriptor's own fields (magic,
 * ABI version, flags, counts, which arrays are present): safe on a
 * descriptor whose pointers are not yet known to be good. */
bool moatR_check_header(const MoatDescriptor *d, moat_error *err);
/* contract_bounds.c: every pointer of a loaded artifact's descriptor lies
 * in img (data, or code for code pointers), with its length; run before
 * moatR_check_contract reads through them. */
bool moatR_check_desc_bounds(const MoatDescriptor *d, const ElfImage *img,
                             moat_error *err);
bool moatR_check_cpu(const char *cpu, const char *features, moat_error *err);

/* ---- module.c ---- */
struct moat_module {
    Owner                 o;            /* user + each instance */
    moat_engine          *engine;
    const MoatDescriptor *desc;
    ElfImage             *img;          /* loaded artifacts (.o, .so) */
    MoatLayout            layout;
    uint32_t              nimp[MOAT_DESC_EXT_NKINDS]; /* imports per kind */
    uint32_t             *type_ids;     /* canonical id per type index */
    moat_extern_info     *exports, *imports;
    Arena                 arena;        /* the two arrays, their strings */
    uint32_t             *by_code;      /* defined functions by address */
    uint32_t              nby_code;
    struct JitEntry      *jit;          /* gdbjit.c's, while registered */
    /* dwarf.c: the DWARF reader, opened on the first query */
    pthread_mutex_t       debug_lock;
    struct DebugInfo     *debug;
    bool                  is_debug_tried;
};

/* dwarf.c: frees m's DWARF reader, if it was opened. */
void moatR_debug_free(moat_module *m);

/* The defined function whose code holds pc (the one starting last at or
 * before it), or MOAT_NO_FUNC. */
uint32_t moatR_module_func_at(const moat_module *m, uintptr_t pc);
/* Its name: name section, export name, or "#idx" written into buf. */
const char *moatR_func_name(const moat_module *m, uint32_t idx, char *buf,
                            size_t n);

/* Checks the contract of d and wraps it in a module (no code image: d and
 * the code it points at must outlive the module). Tests use it with
 * descriptors written in C; the loaders below finish through it. */
bool moatR_module_from_desc(moat_engine *e, const MoatDescriptor *d,
                            moat_module **out, moat_error *err);

/* ---- profile.c: telling perf and gdb where guest code is ---- */

/* One piece of a module's code: a function or a trampoline. */
typedef struct CodeSym {
    uintptr_t   addr;
    uint64_t    size;
    const char *name;           /* the function's name alone */
} CodeSym;

typedef struct CodeSyms {
    CodeSym *v;                 /* by address, no two at one address */
    uint32_t n;
    char     tag[9];            /* the module's hash, 8 hex digits */
    Arena    arena;             /* v and the names */
} CodeSyms;

/* The engine's flags from MOAT_PROFILE, else MOAT_PROFILER_DEFAULT. */
unsigned moatR_profilers_from_env(void);
/* Names and sizes of every function and trampoline of m's loaded code:
 * the name section's name, else the first export name, else
 * "wasm-function[N]"; trampolines "trampoline[SIGNATURE]". Sizes from the
 * object's symbol table, else up to the next piece of code. False when
 * out of memory (s is then empty). Free with moatR_code_syms_fini. */
bool moatR_code_syms(const moat_module *m, CodeSyms *s);
void moatR_code_syms_fini(CodeSyms *s);
/* module.c, after a module's code is loaded and before it is freed.
 * False only when out of memory (the load then fails like any other
 * allocation); a map file that cannot be written is not the load's
 * failure. */
bool moatR_profile_loaded(moat_module *m);
void moatR_profile_freed(moat_module *m);

/* ---- gdbjit.c: the GDB JIT interface ---- */
bool moatR_gdbjit_register(moat_module *m, const CodeSyms *s);
void moatR_gdbjit_unregister(moat_module *m);

/* ---- limits.c: the engine's memory limit, one budget per instance for
 * everything its guest makes the runtime allocate (docs/runtime.md,
 * "Limits") ---- */

typedef struct Budget {
    uint64_t         limit;     /* bytes; UINT64_MAX: none */
    _Atomic uint64_t used;
} Budget;

/* Takes n bytes from b: false (and nothing taken) when they do not fit.
 * A NULL budget (host-defined memories and tables) always fits. */
bool moatR_budget_charge(Budget *b, uint64_t n);
void moatR_budget_refund(Budget *b, uint64_t n);
/* Charges what instantiation allocates before the guest runs (instance
 * data, memory 0's and own tables' minimums): false with MOAT_ERR_LIMIT
 * naming what does not fit. */
bool moatR_budget_instance(moat_instance *inst, moat_error *err);

/* ---- memory.c ---- */

/* A linear memory. The mapping is [prefix][reserve][guard]: prefix bytes
 * of context area (instances whose ctx is the heap base), then the heap,
 * of which size bytes are read-write, then PROT_NONE to the end. */
typedef struct Memory {
    MoatMemory m;               /* what compiled code reads; first member */
    uint8_t   *map;             /* own mapping; NULL in a pool slot */
    size_t     maplen;
    uint64_t   guard;
    uint32_t   decl_max;        /* declared maximum, when has_max */
    bool       has_max;
    bool       shared;          /* threads: imports must say shared too;
                                 * memory.atomic.wait may block on it */
    /* In a pool slot (pool.c) the pages in [base + slot->open, base + size)
     * are PROT_NONE until touched: the fault handler opens them. Once the
     * host has been given the base pointer (is_exposed) every page up to
     * size is kept open, since the kernel does not fault for us. */
    struct Slot *slot;
    bool         is_exposed;
    Budget      *budget;        /* its instance's (limits.c), or NULL */
    /* Huge pages (memory.c): asked for once the size reaches huge_at
     * (0: never); is_huge once they are, after which a slot's fault
     * handler opens 2 MiB at a time. */
    uint64_t     huge_at;
    _Atomic bool is_huge;
} Memory;

Memory  *moatR_memory_new(size_t prefix, uint32_t min, uint32_t max,
                          bool has_max, uint64_t reserve, uint64_t guard,
                          moat_error *err);
void     moatR_memory_free(Memory *mem);                /* NULL: no-op */
/* A memory living in pool slot s (mem is carved from the slot). */
bool     moatR_memory_in_slot(Memory *mem, struct Slot *s, uint32_t min,
                              uint32_t max, bool has_max, moat_error *err);
/* Advises huge pages for mem's reservation once its size has reached
 * mem->huge_at (no-op before, after, or when huge_at is 0). */
void     moatR_memory_advise_huge(Memory *mem);
/* deadline.c: whether ctx's running call has a reason to stop (interrupt,
 * timeout, epoch) without using it up; a blocking helper then calls
 * moatR_epoch_check, which unwinds. */
bool     moatR_stop_pending(void *ctx);
/* The runtime is about to write [lo, hi) (data segments): accessible
 * now, and remembered as written for the slot's release. */
bool     moatR_memory_will_write(MoatMemory *m, uint64_t lo, uint64_t hi);
/* Makes every page up to size accessible, now and after each grow: the
 * host holds the base pointer (caller.c, moat_instance_memory). */
void     moatR_memory_expose(MoatMemory *m);
/* moat_instance_reset: back to min pages, all zero. */
bool     moatR_memory_reset(Memory *mem, uint32_t min, moat_error *err);
/* memory.grow: the old size in pages, or UINT32_MAX. */
uint32_t moatR_memory_grow_by(MoatMemory *m, uint32_t delta);
uint32_t moatR_memory_pages(const MoatMemory *m);

/* ---- table.c ---- */
typedef struct Table {
    MoatTable      t;           /* what compiled code reads; first member */
    bool           has_max;
    moat_instance *owner;       /* defining instance; NULL: the host's */
    Budget        *budget;      /* owner's: elements are charged to it */
} Table;

/* Tables never grow past this many elements (an implementation limit). */
#define MOAT_TABLE_LIMIT 10000000u

Table   *moatR_table_new(uint8_t elem_type, uint32_t min, uint32_t max,
                         bool has_max, moat_error *err);
void     moatR_table_free(Table *t);                    /* NULL: no-op */
/* table.grow: the old size, or UINT32_MAX (also when the owner's budget
 * or memory cannot take it). */
uint32_t moatR_table_grow_by(Table *t, uint32_t n, void *init);
/* Stores into funcref tables count references (funcref.c). Bounds-
 * checked; MOAT_TRAP_NONE, MOAT_TRAP_TABLE_OOB or MOAT_TRAP_NOMEM. */
moat_trap moatR_table_set_at(Table *t, uint32_t i, void *val);
moat_trap moatR_table_fill_range(Table *t, uint32_t i, void *val,
                                 uint32_t n);
moat_trap moatR_table_copy_range(Table *dt, Table *st, uint32_t d,
                                 uint32_t s, uint32_t n);
/* moat_instance_reset: back to n elements, all null. */
void      moatR_table_reset(Table *t, uint32_t n);
/* Bytes a table of cap elements is charged. */
uint64_t  moatR_table_bytes(uint8_t elem_type, uint64_t cap);

/* ---- funcref.c: references that outlive their function's owner ---- */

/* MoatFuncRef.kind: what owns a reference. */
enum {
    MOAT_REF_OWN = 1,           /* an instance's function: ctx is its ctx */
    MOAT_REF_BOUND,             /* an instance's caller-aware import: ctx is
                                 * its moat_caller */
    MOAT_REF_HOST,              /* a host function: a HostFunc */
    MOAT_REF_PROXY              /* a Proxy */
};

/* A copy of a primary reference for storage its owner does not own:
 * counted by the elements holding it, plus one while the owner lives. */
typedef struct Proxy {
    MoatFuncRef      ref;       /* first: elements point here */
    _Atomic uint64_t refs;
    /* the quarantine's, under its lock: when the last element let go
     * (a stale proxy can be stored again from a run's frames, and let go
     * again later) */
    uint64_t         stamp;
    struct Proxy    *next;
    bool             in_limbo;
} Proxy;

/* A host function's reference and its proxy, made on first use. */
typedef struct HostFunc {
    MoatFuncRef     ref;        /* first */
    Proxy *_Atomic  proxy;
} HostFunc;

/* Not a trap the guest sees: a store could not allocate its proxy. */
#define MOAT_TRAP_NOMEM ((moat_trap)0x101)

/* What to store, n times, into funcref storage of owner (NULL: the
 * host's) for the reference v: v itself (null, the owner's own, a
 * proxy), or the proxy of another's primary; n references are taken.
 * NULL for a non-null v when out of memory. */
void     *moatR_ref_hold(void *v, const moat_instance *owner, uint64_t n);
/* Lets go of n references of a stored value. */
void      moatR_ref_drop(void *v, const moat_instance *owner, uint64_t n);
void      moatR_ref_drop_all(void *const *elems, uint64_t n,
                             const moat_instance *owner);
/* *slot = v, counted; MOAT_TRAP_NONE or MOAT_TRAP_NOMEM. */
moat_trap moatR_ref_store(void **slot, void *v, const moat_instance *owner);
/* The owner is going: its proxies become stale. */
void      moatR_refs_orphan(moat_instance *inst);
void      moatR_refs_orphan_host(HostFunc *h);
/* The reference epoch a run starting now records (Fiber.since). */
uint64_t  moatR_ref_epoch(void);
/* Frees the quarantined proxies no run in progress can hold. */
void      moatR_refs_drain(void);

/* ---- linker.c ---- */

/* Something an import can resolve to. owner keeps it alive. */
typedef struct Extern {
    uint8_t kind;               /* MOAT_DESC_EXT_* */
    bool    caller;             /* host function taking moat_caller *: its
                                 * func->ctx is the host_ctx, and each
                                 * importer binds its own moat_caller */
    Owner  *owner;
    const moat_instance *inst;  /* globals: the instance whose storage it
                                 * is (also when re-exported), or NULL */
    union {
        MoatFuncRef *func;
        Table       *table;
        Memory      *mem;
        struct {
            uint8_t *cell;      /* 16 bytes of storage */
            uint8_t  type;
            bool     is_mut;
        } global;
    } u;
} Extern;

typedef struct LinkDef {
    char  *module, *name;
    Extern ext;                 /* ext.owner retained by the linker */
} LinkDef;

struct moat_linker {
    moat_engine *engine;
    LinkDef     *defs;          /* later definitions shadow earlier ones */
    size_t       ndefs, capdefs;
    Owner      **keep;          /* instances that failed to start, kept
                                 * for the writes they left in shared
                                 * tables (spec 4.5.4; linking.wast) */
    size_t       nkeep, capkeep;
};

/* Resolves and type-checks every import of m; exts[i] for import i, each
 * owner retained (released by the caller). */
bool moatR_link_imports(moat_linker *l, const moat_module *m, Extern *exts,
                        moat_error *err);
bool moatR_linker_keep(moat_linker *l, Owner *o);
/* Defines a host function; fini(fini_arg) runs when the last user of the
 * definition is gone (also when this call fails). */
moat_status moatR_define_func(moat_linker *l, const char *module,
                              const char *name, const uint8_t *params,
                              uint32_t nparams, const uint8_t *results,
                              uint32_t nresults, moat_native_fn fn,
                              void *host_ctx, bool caller,
                              void (*fini)(void *), void *fini_arg,
                              moat_error *err);

/* ---- deadline.c: interruption (docs/runtime.md, "Deadlines") ---- */

/* Per instance. The context area's deadline word is what the compiled
 * checks compare the epoch with: 0 while an interrupt, an overrun or a
 * preemption is pending, else the epoch deadline; the fields here say
 * why. */
typedef struct Deadline {
    _Atomic uint64_t timeout_ns;    /* per call, 0 = none */
    _Atomic uint64_t epoch_not;     /* ~epoch deadline: 0 = none */
    atomic_bool      interrupt;     /* moat_instance_interrupt pending */
    atomic_bool      timed_out;     /* the running call overran */
    atomic_bool      preempt;       /* moat_instance_preempt pending */
    uint32_t         depth;         /* nested calls (calling thread) */
    bool             was_armed;     /* the outermost call armed a timeout */
    /* under the engine timer's lock */
    bool             is_armed;
    uint64_t         due;           /* CLOCK_MONOTONIC ns */
    struct Deadline *next;          /* armed list, earliest due first */
    moat_instance   *inst;
} Deadline;

/* call.c, around every call into an instance: enter arms the timeout of
 * the outermost call and drops a pending preemption, or fails (a trap in
 * err) when an interrupt is pending; leave disarms it. */
bool moatR_deadline_enter(moat_instance *inst, moat_error *err);
void moatR_deadline_leave(moat_instance *inst);
/* engine.c, moat_engine_free: stops the timer thread. */
void moatR_deadline_engine_fini(moat_engine *e);

/* ---- instance.c, init.c ---- */

/* What a caller-aware host function gets as its first argument: one per
 * such import per instance (moat.h, moat_linker_define_func_caller). */
struct moat_caller {
    moat_instance *inst;
    void          *data;        /* the definition's host_ctx */
};

struct moat_instance {
    Owner        o;             /* user + linkers + importers */
    moat_module *module;
    uint8_t     *ctx;
    uint8_t     *area;          /* context area mapping, unless in own_mem */
    size_t       area_len;
    Memory      *own_mem;       /* memory 0 when defined here */
    MoatMemory  *mem;           /* memory 0, own or imported, or NULL */
    Table      **own_tables;    /* per table index; NULL when imported */
    MoatFuncRef *funcs;         /* per function index: defined functions,
                                 * caller-aware imports bound to
                                 * callers[i] (MOAT_CTX_FUNCS) */
    Proxy *_Atomic *_Atomic proxies;    /* per function index, made on
                                 * first use (funcref.c) */
    Extern      *imports;       /* per import, owners retained */
    moat_caller *callers;       /* per function import (caller-aware) */
    void        *wasi;          /* moat_wasi bound by moat_wasi_bind, for
                                 * WASI imports defined without one */
    uint8_t     *dropped;       /* bits: elem segments, then data */
    Budget       budget;        /* the engine's max_memory (limits.c) */
    Deadline     deadline;      /* deadline.c; zeroed = none */
    struct Slot  *slot;         /* pool slot holding all of the above, or
                                 * NULL (each part allocated on its own) */
    struct Fiber *fiber;        /* its stack (fiber.c) */
    moat_error   last_error;    /* of the last typed call (plugin.c) */
};

static inline moat_instance *
moatR_ctx_instance(void *ctx)
{
    return *(moat_instance **)((uint8_t *)ctx + MOAT_CTX_INSTANCE);
}

/* Memory 0 of the instance whose context is ctx (helpers compiled code
 * calls get only ctx), or NULL. A Memory: MoatMemory is its first member. */
static inline Memory *
moatR_ctx_memory(void *ctx)
{
    MoatMemory *m;

    memcpy(&m, (uint8_t *)ctx + MOAT_CTX_MEMORY, sizeof m);
    return (Memory *)m;
}

MoatTable   *moatR_inst_table(const moat_instance *inst, uint32_t i);
/* caller.c: the WASI state bound to inst (wasi/ knows its type). */
void        *moatR_instance_wasi(const moat_instance *inst);
void         moatR_instance_set_wasi(moat_instance *inst, void *w);
/* caller.c: binds function import idx to the instance's moat_caller. */
void         moatR_bind_caller(moat_instance *inst, uint32_t idx,
                               const MoatFuncRef *f);
MoatFuncRef *moatR_inst_funcref(const moat_instance *inst, uint32_t i);
uint8_t     *moatR_inst_global(const moat_instance *inst, uint32_t i);
/* An export as an Extern (owner: inst, not retained). */
void         moatR_inst_extern(moat_instance *inst, const MoatDescExport *x,
                               Extern *out);
const MoatDescExport *moatR_inst_export(const moat_instance *inst,
                                        const char *name);

bool moatR_seg_dropped(const moat_instance *inst, bool is_data, uint32_t i);
void moatR_seg_drop(moat_instance *inst, bool is_data, uint32_t i);
/* Value of a reference constant (ref.null, ref.func, global.get). */
void *moatR_const_ref(const moat_instance *inst, const MoatDescConst *c);
/* table.init / memory.init on inst; MOAT_TRAP_NONE or the trap. */
moat_trap moatR_table_init_at(moat_instance *inst, uint32_t t, uint32_t seg,
                              uint32_t d, uint32_t s, uint32_t n);
moat_trap moatR_memory_init_at(moat_instance *inst, uint32_t seg, uint32_t d,
                               uint32_t s, uint32_t n);
/* Spec 4.5.4 steps after allocation: globals, segments (false on a
 * trap or when out of memory, recorded in err). */
bool moatR_init_globals(moat_instance *inst, moat_error *err);
bool moatR_init_segments(moat_instance *inst, moat_error *err);
/* Lets go of the references the own funcref globals hold (zeroing them). */
void moatR_drop_globals(moat_instance *inst);
/* The instance owning the storage of global i (NULL: the host). */
const moat_instance *moatR_global_owner(const moat_instance *inst,
                                        uint32_t i);

/* ---- call.c ---- */

/* What running compiled code came to. */
enum { MOAT_RUN_DONE, MOAT_RUN_TRAP, MOAT_RUN_YIELD };

/* Runs function idx of inst with vals (16-byte slots: arguments in,
 * results out): on the instance's own stack when it is free. MOAT_RUN_TRAP
 * fills err; MOAT_RUN_YIELD leaves the call suspended (vals untouched; its
 * results come from moat_instance_resume). */
int moatR_call_func(moat_instance *inst, uint32_t idx, uint64_t *vals,
                    moat_error *err);

/* ---- fiber.c, stack.c, switch_x86_64.S: running on an instance's stack */

#if defined(__SANITIZE_ADDRESS__)
#define MOAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOAT_ASAN 1
#endif
#endif

#define MOAT_STACK_SIZE    (UINT64_C(8) << 20)
#define MOAT_STACK_GUARD   (UINT64_C(64) << 10)
#define MOAT_ALTSTACK_SIZE (UINT64_C(64) << 10)
/* The host reserve (abi.h, "the stack limit"): bytes of every wasm stack
 * that compiled code leaves to host code. docs/runtime.md, "Faults", has
 * the measurements behind the default; AddressSanitizer's frames are
 * larger. A stack is at least the reserve + MOAT_STACK_MIN_WASM. */
#ifdef MOAT_ASAN
#define MOAT_STACK_RESERVE (UINT64_C(128) << 10)
#else
#define MOAT_STACK_RESERVE (UINT64_C(64) << 10)
#endif
#define MOAT_STACK_RESERVE_MIN (UINT64_C(16) << 10)
#define MOAT_STACK_RESERVE_MAX (UINT64_C(4) << 20)
#define MOAT_STACK_MIN_WASM    (UINT64_C(64) << 10)
_Static_assert(MOAT_STACK_GUARD > MOAT_STACK_TRAP_ROOM + 4096,
               "the trap probe must land in the guard");

enum { MOAT_FIBER_IDLE, MOAT_FIBER_RUNNING, MOAT_FIBER_SUSPENDED };

/* A stack compiled code runs on: an instance's (in its pool slot, or a
 * mapping of its own), or a thread's spare one for calls into an instance
 * whose stack is busy on another thread. The stack is [lo, cap_hi), a run
 * starts at top (lo + the stack size) and grows down towards the guard,
 * [lo - MOAT_STACK_GUARD, lo), which is PROT_NONE. */
typedef struct Fiber {
    void               *sp;        /* saved while suspended */
    void               *ret_sp;    /* the entering frame, to switch back */
    _Atomic int         state;     /* MOAT_FIBER_* */
    struct ThreadState *thread;    /* the thread running it */
    uintptr_t           lo, cap_hi, top;
    uint8_t            *map;       /* own mapping (guard + stack), or NULL */
    size_t              maplen;
    uintptr_t           tops[4];   /* tops of runs since the last scrub */
    uint32_t            ntops;
    bool                scrub_all; /* more tops than that */
    bool                no_yield;  /* start functions, spare stacks */
    /* the run */
    void              (*fn)(void *);
    void               *arg;
    int                 result;    /* MOAT_RUN_DONE or MOAT_RUN_YIELD */
    moat_val            yield_val, resume_val;
    bool                preempted; /* suspended by moat_instance_preempt */
    uint32_t            func;      /* function of a suspended call */
    uint64_t           *vals;      /* its slots: local, or allocated */
    uint64_t            local[32];
    /* AddressSanitizer's fiber bookkeeping (the frame that entered) */
    void               *asan_fake;
    const void         *caller_bottom;
    size_t              caller_size;
    /* funcref.c's quarantine: the reference epoch when the run on this
     * stack (or the run that started it) began; 0 = no run. Registered
     * fibers are the ones it looks at. */
    _Atomic uint64_t    since;
    struct Fiber       *reg_prev, *reg_next;
    bool                is_registered;
} Fiber;

/* One moat call on this thread; traps unwind to the innermost. */
typedef struct Activation {
    sigjmp_buf         env;
    struct Activation *prev;
    volatile int       trap;                    /* moat_trap, or
                                                 * MOAT_UNWIND_EXIT */
    uintptr_t          trap_pc;     /* in compiled code, 0 if unknown */
    /* backtrace.c: return addresses of compiled frames from the trap out
     * (pcs[0] the trap's own pc: exact for a fault, else a return
     * address), taken before the stack is left */
    uintptr_t          pcs[MOAT_MAX_FRAMES];
    uint32_t           npcs, ndropped;
    bool               is_pc0_exact;
    uint32_t           exit_code;   /* MOAT_UNWIND_EXIT */
    char              *host_msg;    /* MOAT_TRAP_HOST text (owned) */
    Fiber             *fiber;       /* switched to (NULL: ran in place) */
    /* where the thread was before: restored when the activation ends */
    Fiber             *prev_fiber;
    uintptr_t          prev_guard_lo, prev_guard_hi, prev_stack_hi;
    uintptr_t          prev_limit;  /* moatR_stack_limit */
    void              *asan_fake;   /* AddressSanitizer, entering side */
} Activation;

typedef struct ThreadState {
    Fiber      *fiber;                          /* running on; NULL: host */
    uintptr_t   guard_lo, guard_hi, stack_hi;   /* its guard and stack */
    Fiber      *spare;                          /* made on demand */
    void       *alt;                            /* our sigaltstack, if any */
    size_t      alt_len;
    Activation *act;
    bool        in_handler;
} ThreadState;

extern _Thread_local ThreadState moatR_tls;

/* stack.c. Runs fn(arg) in a new activation: on fiber f from its top
 * (switching to it; f must be MOAT_FIBER_RUNNING, owned by the caller),
 * or, f NULL, on the stack the thread is on. Resume continues suspended
 * fiber f. MOAT_RUN_TRAP fills err (first error wins). */
int      moatR_run(Fiber *f, void (*fn)(void *), void *arg, moat_error *err);
int      moatR_resume(Fiber *f, moat_error *err);
/* This thread's spare stack, made on demand; NULL when busy or on error. */
Fiber   *moatR_spare_fiber(moat_error *err);
/* Stack size of runs from now on (rounded to pages; at least the host
 * reserve + MOAT_STACK_MIN_WASM). */
void     moatR_set_stack_size(uint64_t bytes);
uint64_t moatR_stack_size(void);
/* The host reserve of runs from now on (rounded to pages, clamped to
 * [MOAT_STACK_RESERVE_MIN, MOAT_STACK_RESERVE_MAX]). */
void     moatR_set_stack_reserve(uint64_t bytes);
uint64_t moatR_stack_reserve(void);
/* The stack limit word compiled code checks (abi.h, "the stack limit"):
 * 0 on a thread that runs no compiled code; else the lowest address +
 * the reserve of the stack the thread runs on. */
extern _Thread_local uintptr_t moatR_stack_limit
    __attribute__((tls_model("initial-exec")));
/* Its offset from the thread pointer: the value of MOAT_CTX_STACK_LIMIT. */
int64_t  moatR_stack_limit_offset(void);
/* Frees this thread's spare stack and alternate signal stack. */
void     moatR_thread_release(void);
/* Tells AddressSanitizer (when built with it) that a trap is about to
 * leave an instance stack for the entering one. */
void     moatR_stack_leaving(Activation *a);

/* fiber.c. A fiber over [lo, hi) of a pool slot (its guard below lo). */
void     moatR_fiber_init(Fiber *f, uintptr_t lo, uintptr_t hi);
/* Unmaps an own stack. */
void     moatR_fiber_fini(Fiber *f);
/* AddressSanitizer: forget the stack's redzones (before it is unmapped). */
void     moatR_fiber_unpoison(Fiber *f);
/* Before a fresh run: picks its top from the stack size, mapping an own
 * stack (f->map) first when the fiber has none or a smaller one. */
bool     moatR_fiber_ready(Fiber *f, bool own, moat_error *err);
/* Switches from the entering frame into f: a fresh run of fn(arg), or
 * (is_resume) where it yielded. Returns when the run ends or yields
 * (f->result) or not at all on a trap (the activation's siglongjmp). */
void     moatR_fiber_enter(Activation *a, Fiber *f, bool is_resume);
/* After a trap left f: AddressSanitizer's view of both stacks. */
void     moatR_fiber_landed(Activation *a, Fiber *f);
/* A suspended call that will never be resumed. */
void     moatR_fiber_abandon(Fiber *f);
/* On f's stack, in the run that switched to it (f->no_yield false):
 * suspends the run with v as its yield value (MOAT_RUN_YIELD); returns
 * the resume value once moat_instance_resume continues it. */
moat_val moatR_fiber_yield(Fiber *f, moat_val v);
/* Every fiber that may run is registered (a slot's on its first use,
 * an own one when made, a thread's spare), for
 * moatR_fibers_oldest_run. */
void     moatR_fiber_register(Fiber *f);
void     moatR_fiber_unregister(Fiber *f);
/* The smallest since of a run in progress (UINT64_MAX: none), and how
 * many fibers there are. */
uint64_t moatR_fibers_oldest_run(uint32_t *nfibers);
/* Zeroes every page of the stack runs since the last scrub wrote. */
void     moatR_fiber_scrub(Fiber *f);
/* Whether the 4 KiB page at p (aligned) is all zero. */
bool     moatR_page_is_zero(const uint8_t *p);
/* switch_x86_64.S: saves the callee-saved registers on this stack and the
 * stack pointer in *save, then continues on to (saved the same way). */
void     moatR_fiber_switch(void **save, void *to);
/* switch_x86_64.S: the first frame of a fresh run; calls r12(r13). */
void     moatR_fiber_start(void);

/* ---- pool.c: instance slots (docs/runtime-scale.md) ---- */

typedef struct Pool Pool;

/* One instance's share of a pool reservation:
 *   [stack | meta: instance, arrays, context area | heap ... | guard]
 * with the stack's guard in the guard of the slot below. A released slot
 * keeps its read-write pages (zeroed), so that the next tenant costs no
 * system call. */
typedef struct Slot {
    Pool            *pool;
    uint8_t         *stack_lo;      /* stack [stack_lo, meta) */
    uint8_t         *meta;          /* [meta, base) */
    uint8_t         *base;          /* heap base and the instance's ctx */
    Memory *_Atomic  mem;           /* memory 0 living here, or NULL */
    _Atomic uint64_t open;          /* heap bytes read-write from base */
    uint64_t         wrote_lo;      /* heap bytes the runtime wrote */
    uint64_t         wrote_hi;      /* (data segments), to zero as is */
    size_t           meta_used;     /* carved from meta, to zero */
    size_t           ctx_used;      /* context area below base, to zero */
    Fiber            fiber;         /* the instance's stack */
    bool             is_ready;      /* stack and meta are read-write */
    bool             is_huge;       /* heap advised MADV_HUGEPAGE (kept) */
    struct Slot     *next_free;
} Slot;

/* Bytes of meta an instance of m needs, and whether m can live in a slot
 * of e's pool (its contract's reservation and guard, that meta). */
size_t moatR_pool_meta_need(const moat_module *m);
bool   moatR_pool_fits(moat_engine *e, const moat_module *m);
/* A free slot (making the pool and reserving address space on demand);
 * NULL with MOAT_ERR_LIMIT when max_instances are alive. */
Slot  *moatR_pool_acquire(moat_engine *e, moat_error *err);
/* Zeroes what the tenant wrote and puts the slot back. */
void   moatR_pool_release(Slot *s);
/* Zeroes the slot's heap pages and stack for a reset in place. */
void   moatR_slot_scrub_heap(Slot *s);
/* Read-write heap up to end bytes (no-op when already so). */
bool   moatR_slot_open(Slot *s, uint64_t end);
/* PROT_NONE from end up (those pages are zero): open never exceeds the
 * memory's size, so that out-of-bounds accesses still fault. */
bool   moatR_slot_close(Slot *s, uint64_t end);
/* signal.c: a fault at addr in a slot's heap below its memory's size,
 * which is opened: true when the access can be retried. Lock-free. */
bool   moatR_pool_fault(uintptr_t addr);
/* engine.c: unmaps the pool (its instances must be gone). */
void   moatR_pool_free(moat_engine *e);
/* engine.c: max_instances of a new engine. */
uint32_t moatR_pool_default_slots(void);

/* ---- trap.c ---- */
/* Not a trap: the guest asked to exit (moat_caller_exit). */
#define MOAT_UNWIND_EXIT 0x100

/* Ends the innermost activation of this thread with trap t. pc is where
 * in compiled code it happened (0 if unknown), fp the frame pointer of the
 * compiled function there (0: none), is_ret whether pc is a return
 * address (a call to the runtime) rather than the faulting instruction:
 * they start the backtrace. */
__attribute__((noreturn)) void moatR_unwind_at(int t, uintptr_t pc,
                                               uintptr_t fp, bool is_ret);
/* From a function compiled code called (a helper, a host function's
 * moat_caller_trap): __builtin_frame_address(0) gives that function a
 * frame pointer, so its frame holds the caller's rbp and the return
 * address into it. A macro, to take the frame of the function using it. */
#define moatR_unwind_here(t)                                             \
    do {                                                                 \
        const uintptr_t *fr_ = __builtin_frame_address(0);               \
        moatR_unwind_at((t), fr_[1], fr_[0], true);                      \
    } while (0)
/* Fills err for a finished activation that did not return normally. */
void moatR_activation_error(const Activation *a, moat_error *err);

/* ---- backtrace.c, backtrace_dw.c: wasm frames of a trap
 * (docs/backtraces.md) ---- */
/* Walks the frame-pointer chain from (pc, fp) on this thread's wasm stack
 * into a->pcs: compiled frames only, out to the entry of the call. Reads
 * only inside the stack's bounds. Async-signal-safe but for the code
 * registry's lock (signal.c takes it in the handler too). */
void   moatR_backtrace_walk(Activation *a, uintptr_t pc, uintptr_t fp,
                            bool is_ret);
/* From host code on the wasm stack: the innermost compiled frame's
 * return address and frame pointer (0, 0 when none is found). */
void   moatR_backtrace_host(uintptr_t *pc, uintptr_t *fp);
/* a's frames into err (frames, nframes, func). */
void   moatR_backtrace_fill(const Activation *a, moat_error *err);
/* The wasm frames (innermost first, module not set) of code address pc
 * in img from its DWARF: how many (0: pc is in a trampoline), -1 when
 * no DWARF covers pc. */
typedef struct DwState DwState;
int    moatR_dw_frames(const ElfImage *img, uintptr_t pc, moat_frame *out,
                       size_t max);

/* ---- signal.c: fault handlers and the registries they consult ---- */
bool moatR_signals_install(moat_error *err);    /* counted, per engine */
void moatR_signals_uninstall(void);
/* Code ranges of loaded artifacts (img != NULL: ask the image, else
 * [lo, hi)), and memory reservations. Removal is by key. */
bool moatR_code_add(const void *key, const ElfImage *img, uintptr_t lo,
                    uintptr_t hi);
void moatR_code_remove(const void *key);
/* Same for a module's code (key m), which traps can then name. */
bool moatR_code_add_module(const moat_module *m, const ElfImage *img,
                           uintptr_t lo, uintptr_t hi);
/* The module whose loaded code holds pc, or NULL. */
const moat_module *moatR_code_module(uintptr_t pc);
/* Whether pc is in loaded compiled code (any module's or key's), and
 * then the contiguous code [*lo, *hi) around it, which stays code while
 * a call into it runs (backtrace.c walks with it). */
bool moatR_code_span(uintptr_t pc, uintptr_t *lo, uintptr_t *hi);
bool moatR_resv_add(const void *key, uintptr_t lo, uintptr_t hi);
void moatR_resv_remove(const void *key);

#endif
