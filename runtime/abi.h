/* abi.h - THE layout contract between compiled code (llvm-lower/) and the
 * runtime (runtime/). Both sides include this file; nothing here depends on
 * LLVM. Change anything and bump MOAT_ABI_VERSION.
 *
 * Every compiled function takes `ctx` as its first argument. For a module
 * with its own memory, ctx is the heap base: a load is ctx + zext(addr) +
 * offset, unchecked; an access outside the memory lands in the PROT_NONE
 * part of the reservation and becomes a trap in the signal handler. A
 * module that imports its memory (or has none) gets a ctx that points just
 * past its context area, and loads the heap base from its MoatMemory.
 *
 * Below ctx, at negative offsets, lies the context area: a fixed header,
 * then per-module arrays whose offsets moatA_layout() computes from counts
 * in the descriptor. The runtime fills it; compiled code only reads it,
 * except for globals.
 *
 * Every number both sides must agree on is named here (kinds and modes,
 * offsets, helper signatures, the symbols compiled code may reference),
 * so that a checker of the machine code can read the same contract;
 * docs/compiler.md, "Where each part of the contract lives", says who
 * uses each part and what checks it.
 */
#ifndef MOAT_ABI_H
#define MOAT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define MOAT_ABI_MAGIC   0x54414f4du        /* "MOAT" little-endian */
/* 4: compiled code keeps frame pointers, each trap check calls moatR_trap
 * from its own site, and objects carry DWARF of wasm offsets: the
 * runtime walks and names a trap's frames (docs/backtraces.md). The
 * descriptor gained a named plugin's code bounds (code_lo, code_hi) and
 * the module's own DWARF sections (code_start, ndebug, debug).
 * 5: MoatTable.codes, a code pointer per element beside elems, so that a
 * call_indirect finds its target with one load after the index
 * (docs/compiler.md, "call_indirect"). */
#define MOAT_ABI_VERSION 7u
#define MOAT_DESC_SYMBOL "moat_descriptor"
/* `moat compile --name NAME`: the descriptor is NAME MOAT_DESC_SUFFIX, the
 * only global symbol the object defines, and the code lies in the section
 * MOAT_CODE_SECTION NAME, whose bounds the linker provides (__start_ and
 * __stop_ of a section named like a C identifier) */
#define MOAT_DESC_SUFFIX "_descriptor"
#define MOAT_CODE_SECTION "moat_text_"

#define MOAT_PAGE_SIZE   65536u
#define MOAT_MAX_PAGES   65536u
/* Default reservation per memory: 4 GiB addressable + 2 GiB guard. An access
 * whose static offset + size could pass the guard is checked explicitly. */
#define MOAT_HEAP_RESERVE (UINT64_C(4) << 30)
#define MOAT_HEAP_GUARD   (UINT64_C(2) << 30)

/* A function type with more parameters than this takes them in memory:
 * code(ctx, args), args = 16-byte slots like a trampoline's vals (value
 * at offset 0). Otherwise each parameter is a native argument. A host
 * function (native or callback) has at most this many parameters. */
#define MOAT_WIDE_PARAMS 64u

/* ---- objects the runtime owns and compiled code reads ---- */

typedef struct MoatMemory {
    uint8_t *base;              /* never moves */
    uint64_t size;              /* bytes accessible now (pages * 64 KiB) */
    uint64_t max_pages;         /* what memory.grow may reach */
    uint64_t reserve;           /* bytes of address space behind base */
} MoatMemory;

/* A function reference: what funcref table elements and ref.func values
 * point at. code has the native signature of the function's wasm type
 * (see "how every function is called" below). One per function per
 * instance (in the instance's array, MOAT_CTX_FUNCS), or a runtime-made
 * copy that outlives it (runtime/funcref.c). Compiled code reads code,
 * ctx and type_id; kind is the runtime's. */
typedef struct MoatFuncRef {
    void    *code;
    void    *ctx;               /* the callee's ctx */
    uint32_t type_id;           /* canonical id of its function type */
    uint32_t kind;              /* runtime's: what owns it (funcref.c) */
} MoatFuncRef;

/* codes[i] is a hint: the code of elems[i] when it is a funcref, else
 * anything (NULL). call_indirect loads it with elems[i] and calls it only
 * when it equals elems[i]->code, else elems[i]->code itself: so a stale or
 * torn hint costs a slower call, never a wrong one, and the target of the
 * common call is one load after the index. Both arrays hold cap elements;
 * only funcref tables have codes (NULL for externref tables). */
typedef struct MoatTable {
    void   **elems;             /* MoatFuncRef* or externref; NULL = null */
    uint32_t size;
    uint32_t max;               /* UINT32_MAX when none */
    uint32_t cap;               /* allocated elements */
    uint8_t  elem_type;         /* MOAT_ABI_T_FUNCREF or _EXTERNREF */
    void   **codes;             /* funcref: hints, see above */
} MoatTable;

/* ---- how every function is called (compiled, imported, host) ----
 *     result f(void *ctx, params...)
 * with i32 as uint32_t, i64 uint64_t, f32 float, f64 double, v128 a
 * 16-byte vector (__m128i), references void *; no result: void. With
 * more than MOAT_WIDE_PARAMS params, f(void *ctx, void *args) instead
 * (args: 16-byte slots). A function with two or more results returns void
 * and takes one more argument, its last, after the params (or after
 * args): a pointer to a results area the caller provides, at least
 * 8-byte aligned, MOAT_RESULT_SLOT bytes per result; the callee writes
 * result i into the low bytes of the slot at byte MOAT_RESULT_SLOT * i,
 * the same slots as MoatDescType.tramp's vals. Never an aggregate return:
 * the x86-64 C convention hands a third float result back in an x87
 * register, whose load quiets a signalling NaN that wasm must keep, and an
 * aggregate of hundreds of results costs the code generator dearly. */
#define MOAT_RESULT_SLOT 16u

/* An imported function as compiled code calls it. */
typedef struct MoatImportFunc {
    void *code;
    void *ctx;
} MoatImportFunc;

/* ---- the context area ---- */

/* Fixed header, as offsets below ctx (ctx + MOAT_CTX_x). */
enum {
    MOAT_CTX_MEMORY = -8,       /* MoatMemory * (memory 0), or NULL */
    MOAT_CTX_INSTANCE = -16,    /* runtime's instance, for helpers */
    MOAT_CTX_STACK_LIMIT = -24, /* int64_t: where the thread's stack limit
                                 * word is (see "the stack limit") */
    MOAT_CTX_EPOCH_PTR = -32,   /* uint64_t *epoch (the engine's) */
    MOAT_CTX_DEADLINE = -40,    /* uint64_t: checks call moatR_epoch_check
                                 * when *epoch >= it (runtime/deadline.c) */
    MOAT_CTX_FUNCS = -48,       /* MoatFuncRef *: the instance's own array,
                                 * one per function index */
    MOAT_CTX_FUNCS_SIZE = -56,  /* uint64_t: its size in bytes. A funcref
                                 * inside it may be stored as is into the
                                 * instance's own tables and globals; any
                                 * other store goes through the runtime
                                 * (moatR_table_set, moatR_global_set_ref) */
    MOAT_CTX_HEADER = 64        /* bytes of header, a multiple of 16 */
};

/* ---- the stack limit ----
 * Host code (the helpers below, host functions, WASI) runs on the wasm
 * stack, under the compiled frames that called it. So compiled code leaves
 * it a reserve: every function that calls anything checks, after its
 * frame is allocated,
 *     limit = *(uintptr_t *)(thread pointer + ctx[MOAT_CTX_STACK_LIMIT]);
 *     if (sp < limit) {
 *         (volatile load of sp - MOAT_STACK_TRAP_ROOM);
 *         moatR_trap(ctx, MOAT_ABI_TRAP_STACK_EXHAUSTED);
 *     }
 * The runtime keeps limit = lowest usable address of the stack the thread
 * runs on + the host reserve. The word is per thread, not per instance:
 * code of one instance also runs on other instances' stacks (direct calls
 * to imported functions, calls back in from host functions) and on two
 * threads at once. ctx holds its offset from the thread pointer (x86-64:
 * the %fs base; the word is initial-exec TLS, so the offset is the same in
 * every thread). The probe gives moatR_trap MOAT_STACK_TRAP_ROOM bytes: a
 * frame larger than the reserve can leave sp near the guard, and then the
 * probe faults in compiled code, which is the same trap. The guard below a
 * wasm stack must exceed MOAT_STACK_TRAP_ROOM plus a page (a frame smaller
 * than a page is not probed). */
#define MOAT_STACK_TRAP_ROOM 16384u

/* A global's slot in the context area: its value (little-endian, unused
 * bytes zero), or an imported global's pointer to the exporter's slot. */
#define MOAT_CTX_GLOBAL_SLOT 16u

/* Counts that decide the layout; from the descriptor. */
typedef struct MoatLayoutIn {
    uint32_t nfunc_imports, ntypes, nglobals, ntables, nfuncs;
} MoatLayoutIn;

/* Negative offsets from ctx of each array's element 0; arrays grow upward
 * (element i at off + i * size). size: total bytes of the context area. */
typedef struct MoatLayout {
    int64_t  imports;           /* MoatImportFunc[nfunc_imports] */
    int64_t  type_ids;          /* uint32_t[ntypes] */
    int64_t  globals;           /* MOAT_CTX_GLOBAL_SLOT each */
    int64_t  tables;            /* MoatTable *[ntables] */
    int64_t  funcrefs;          /* MoatFuncRef *[nfuncs] */
    uint64_t size;
} MoatLayout;

static inline uint64_t
moatA_align16(uint64_t n)
{
    return (n + 15) & ~(uint64_t)15;
}

static inline MoatLayout
moatA_layout(const MoatLayoutIn *in)
{
    MoatLayout l;
    uint64_t   at = MOAT_CTX_HEADER;    /* bytes used below ctx so far */

    at += moatA_align16((uint64_t)in->nfunc_imports * sizeof(MoatImportFunc));
    l.imports = -(int64_t)at;
    at += moatA_align16((uint64_t)in->ntypes * sizeof(uint32_t));
    l.type_ids = -(int64_t)at;
    at += (uint64_t)in->nglobals * MOAT_CTX_GLOBAL_SLOT;
    l.globals = -(int64_t)at;
    at += moatA_align16((uint64_t)in->ntables * sizeof(MoatTable *));
    l.tables = -(int64_t)at;
    at += moatA_align16((uint64_t)in->nfuncs * sizeof(MoatFuncRef *));
    l.funcrefs = -(int64_t)at;
    l.size = at;
    return l;
}

/* Offsets from ctx of element i of each array: what compiled code loads
 * and the runtime stores, computed here only. */
static inline int64_t
moatA_import_at(const MoatLayout *l, uint32_t i)
{
    return l->imports + (int64_t)i * (int64_t)sizeof(MoatImportFunc);
}

static inline int64_t
moatA_type_id_at(const MoatLayout *l, uint32_t i)
{
    return l->type_ids + (int64_t)i * (int64_t)sizeof(uint32_t);
}

static inline int64_t
moatA_global_at(const MoatLayout *l, uint32_t i)
{
    return l->globals + (int64_t)i * MOAT_CTX_GLOBAL_SLOT;
}

static inline int64_t
moatA_table_at(const MoatLayout *l, uint32_t i)
{
    return l->tables + (int64_t)i * (int64_t)sizeof(MoatTable *);
}

static inline int64_t
moatA_funcref_at(const MoatLayout *l, uint32_t i)
{
    return l->funcrefs + (int64_t)i * (int64_t)sizeof(MoatFuncRef *);
}

/* ---- traps ---- */

/* Trap codes compiled code passes to moatR_trap; the same numbers as
 * moat_trap in moat.h (checked in runtime/trap.c). */
enum {
    MOAT_ABI_TRAP_UNREACHABLE = 1,
    MOAT_ABI_TRAP_MEMORY_OOB = 2,
    MOAT_ABI_TRAP_DIV_ZERO = 3,
    MOAT_ABI_TRAP_INT_OVERFLOW = 4,
    MOAT_ABI_TRAP_BAD_CONVERSION = 5,
    MOAT_ABI_TRAP_TABLE_OOB = 6,
    MOAT_ABI_TRAP_NULL_FUNC = 7,
    MOAT_ABI_TRAP_SIG_MISMATCH = 8,
    MOAT_ABI_TRAP_STACK_EXHAUSTED = 9,
    MOAT_ABI_TRAP_UNDEFINED_ELEM = 12,  /* call_indirect index >= size */
    MOAT_ABI_TRAP_UNALIGNED_ATOMIC = 14,
    MOAT_ABI_TRAP_UNSHARED_WAIT = 15,   /* memory.atomic.wait, unshared */
};

/* ---- runtime entry points compiled code calls (by these names) ----
 * Arguments are wasm values: i32 as uint32_t, i64 as uint64_t. Every
 * helper bounds-checks and traps itself (it does not return on a trap).
 * One row per helper, the only place its signature is written:
 *     X(ID, name, result, (params))
 * in the type codes of MOAT_HT_<code> below. The runtime declares the C
 * prototypes from it (MOAT_HELPER_PROTO, runtime.h), so a definition that
 * disagrees does not compile; the lowering derives its H_ID enum and the
 * LLVM declarations from it (llvm-lower/module.c), and the allow-list
 * (MOAT_LIBCALLS below, runtime/symbols.c) lists its names. */
#define MOAT_HELPERS(X) \
    X(TRAP, moatR_trap, void, (ctx, i32)) /* code */ \
    X(MEMORY_GROW, moatR_memory_grow, i32, (ctx, i32)) /* delta */ \
    X(MEMORY_FILL, moatR_memory_fill, void, \
      (ctx, i32, i32, i32)) /* d, val, n */ \
    X(MEMORY_COPY, moatR_memory_copy, void, \
      (ctx, i32, i32, i32)) /* d, s, n */ \
    X(MEMORY_INIT, moatR_memory_init, void, \
      (ctx, i32, i32, i32, i32)) /* seg, d, s, n */ \
    X(DATA_DROP, moatR_data_drop, void, (ctx, i32)) /* seg */ \
    X(TABLE_GROW, moatR_table_grow, i32, \
      (ctx, i32, ref, i32)) /* t, init, n */ \
    X(TABLE_FILL, moatR_table_fill, void, \
      (ctx, i32, i32, ref, i32)) /* t, i, val, n */ \
    X(TABLE_COPY, moatR_table_copy, void, \
      (ctx, i32, i32, i32, i32, i32)) /* dt, st, d, s, n */ \
    X(TABLE_INIT, moatR_table_init, void, \
      (ctx, i32, i32, i32, i32, i32)) /* t, seg, d, s, n */ \
    X(ELEM_DROP, moatR_elem_drop, void, (ctx, i32)) /* seg */ \
    X(EPOCH_CHECK, moatR_epoch_check, void, (ctx)) \
    X(TABLE_SET, moatR_table_set, void, (ctx, i32, i32, ref)) /* t, i, val */ \
    X(GLOBAL_SET_REF, moatR_global_set_ref, void, \
      (ctx, i32, ref)) /* g, val */ \
    X(ATOMIC_WAIT, moatR_atomic_wait, i32, \
      (ctx, i64, i64, i64, i32)) /* addr, expected, timeout ns, bytes */ \
    X(ATOMIC_NOTIFY, moatR_atomic_notify, i32, \
      (ctx, i64, i32)) /* addr, count */

/* The type codes of MOAT_HELPERS as C types. ctx: the caller's ctx; ref:
 * a reference value (MoatFuncRef * or externref); void: results only. */
#define MOAT_HT_void void
#define MOAT_HT_ctx  void *
#define MOAT_HT_i32  uint32_t
#define MOAT_HT_i64  uint64_t
#define MOAT_HT_ref  void *
#define MOAT_HT_(code) MOAT_HT_##code

/* MOAT_MAP(F, a, b, ...) is F(a), F(b), ...: for 1 to 6 arguments (a
 * helper's parameters, ctx included); MOAT_NARGS(...) counts them. */
#define MOAT_PICK6_(a1, a2, a3, a4, a5, a6, x, ...) x
#define MOAT_NARGS(...) MOAT_PICK6_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define MOAT_MAP(F, ...) \
    MOAT_PICK6_(__VA_ARGS__, MOAT_MAP6_, MOAT_MAP5_, MOAT_MAP4_, MOAT_MAP3_, \
                MOAT_MAP2_, MOAT_MAP1_, 0)(F, __VA_ARGS__)
#define MOAT_MAP1_(F, a) F(a)
#define MOAT_MAP2_(F, a, ...) F(a), MOAT_MAP1_(F, __VA_ARGS__)
#define MOAT_MAP3_(F, a, ...) F(a), MOAT_MAP2_(F, __VA_ARGS__)
#define MOAT_MAP4_(F, a, ...) F(a), MOAT_MAP3_(F, __VA_ARGS__)
#define MOAT_MAP5_(F, a, ...) F(a), MOAT_MAP4_(F, __VA_ARGS__)
#define MOAT_MAP6_(F, a, ...) F(a), MOAT_MAP5_(F, __VA_ARGS__)

/* The C prototype of one row (without the ';'): in an X of MOAT_HELPERS,
 *     #define X(id, name, ret, params) MOAT_HELPER_PROTO(name, ret, params);
 */
#define MOAT_HT_LIST_(...) MOAT_MAP(MOAT_HT_, __VA_ARGS__)
#define MOAT_HELPER_PROTO(name, ret, params) \
    MOAT_HT_##ret name(MOAT_HT_LIST_ params)

/* ---- the allow-list: the only names compiled code may reference outside
 * its own object (runtime/symbols.c resolves them; a machine-code checker
 * reads the same list). The helpers of MOAT_HELPERS, and these functions
 * of the C library LLVM may call for wasm instructions (wasm 2.0, 4.3.3)
 * or its own intrinsics when the target has no instruction for them.
 * Needs -lm; roundeven needs glibc >= 2.25. ---- */
#define MOAT_LIBCALLS(X) \
    /* memory.copy/fill lowered inline when bounds are known, data */ \
    X(memcpy) X(memmove) X(memset) \
    /* f32/f64.ceil, floor, trunc, nearest (nearbyint, rint and \
     * roundeven: all round half to even in the default rounding mode) */ \
    X(ceil) X(ceilf) X(floor) X(floorf) X(trunc) X(truncf) \
    X(nearbyint) X(nearbyintf) X(rint) X(rintf) \
    X(roundeven) X(roundevenf) \
    /* f32/f64.sqrt, abs, copysign: usually single instructions, but \
     * LLVM keeps the libcall at -O0 or without the target feature */ \
    X(sqrt) X(sqrtf) X(fabs) X(fabsf) X(copysign) X(copysignf) \
    /* llvm.minnum/maxnum (the lowering must still give wasm's NaN and \
     * signed-zero rules) and frem, which wasm lacks but LLVM may form */ \
    X(fmin) X(fminf) X(fmax) X(fmaxf) X(fmod) X(fmodf)

/* ---- the descriptor: one constant symbol MOAT_DESC_SYMBOL per artifact.
 * Pointers inside are relocated by the loader (R_X86_64_64). All structs
 * use only 8-byte-aligned members in this order, so the lowering can emit
 * them as LLVM struct constants without padding surprises. ---- */

/* Value types: their wasm binary encoding (binary 5.3.1), the same bytes
 * as moat_valtype (moat.h) and ValType (frontend/module.h): in
 * MoatDescType.types, MoatDescGlobal.type, and as the element type of
 * tables (MoatTable, MoatDescLimits, MoatDescElem: reference types). */
enum {
    MOAT_ABI_T_I32 = 0x7f,
    MOAT_ABI_T_I64 = 0x7e,
    MOAT_ABI_T_F32 = 0x7d,
    MOAT_ABI_T_F64 = 0x7c,
    MOAT_ABI_T_V128 = 0x7b,
    MOAT_ABI_T_FUNCREF = 0x70,
    MOAT_ABI_T_EXTERNREF = 0x6f,
    MOAT_ABI_T_NONE = 0,        /* MoatDescLimits.elem_type of a memory */
};

/* MoatDescImport.kind and MoatDescExport.kind: the wasm external kinds
 * (binary 5.5.5), the same numbers as moat_extern_kind (moat.h) and
 * ExternKind (frontend/module.h). */
enum {
    MOAT_DESC_EXT_FUNC = 0,
    MOAT_DESC_EXT_TABLE = 1,
    MOAT_DESC_EXT_MEMORY = 2,
    MOAT_DESC_EXT_GLOBAL = 3,
    MOAT_DESC_EXT_NKINDS = 4
};

/* MoatDescElem.mode and MoatDescData.mode (data: active or passive),
 * like SegMode (frontend/module.h). */
enum {
    MOAT_DESC_SEG_ACTIVE = 0,
    MOAT_DESC_SEG_PASSIVE = 1,
    MOAT_DESC_SEG_DECLARATIVE = 2
};

/* MoatDescConst.kind: the one instruction of a constant expression (wasm
 * 2.0), like ConstKind (frontend/module.h); or an extended constant
 * expression (3.0): kind EXPR, idx the number of its instructions (at
 * most MOAT_DESC_CONST_MAX_OPS), lo the address of an array of that many
 * MoatDescConst in order (I32, I64 and GLOBAL_GET push a value, the
 * I32_/I64_ operators pop two of their type and push one; the program
 * leaves one value). */
enum {
    MOAT_DESC_CONST_I32 = 0,            /* lo: the bits */
    MOAT_DESC_CONST_I64 = 1,            /* lo */
    MOAT_DESC_CONST_F32 = 2,            /* lo: the bits */
    MOAT_DESC_CONST_F64 = 3,            /* lo: the bits */
    MOAT_DESC_CONST_V128 = 4,           /* lo: bytes 0-7, hi: 8-15 */
    MOAT_DESC_CONST_REF_NULL = 5,       /* idx: the reference type */
    MOAT_DESC_CONST_REF_FUNC = 6,       /* idx: the function */
    MOAT_DESC_CONST_GLOBAL_GET = 7,     /* idx: the global */
    MOAT_DESC_CONST_EXPR = 8,           /* idx: count, lo: &ops[0] */
    MOAT_DESC_CONST_I32_ADD = 9,        /* operators: inside an EXPR only */
    MOAT_DESC_CONST_I32_SUB = 10,
    MOAT_DESC_CONST_I32_MUL = 11,
    MOAT_DESC_CONST_I64_ADD = 12,
    MOAT_DESC_CONST_I64_SUB = 13,
    MOAT_DESC_CONST_I64_MUL = 14,
    MOAT_DESC_CONST_NKINDS = 15
};

#define MOAT_DESC_CONST_MAX_OPS 256u   /* evaluated on a small stack */

/* MoatDescriptor.start of a module without a start function. */
#define MOAT_DESC_NO_START UINT64_MAX

typedef struct MoatDescBytes {
    const uint8_t *p;
    uint64_t       len;
} MoatDescBytes;

/* A constant expression: one instruction, or an EXPR program. */
typedef struct MoatDescConst {
    uint64_t kind;              /* MOAT_DESC_CONST_* */
    uint64_t idx;               /* function, global or reference type */
    uint64_t lo, hi;            /* value bits; v128: lo = bytes 0-7 */
} MoatDescConst;

typedef struct MoatDescType {
    uint64_t       nparams, nresults;
    const uint8_t *types;       /* MOAT_ABI_T_*: params then results */
    /* void tramp(void *code, void *ctx, uint64_t *vals): calls code with
     * params read from vals (16 bytes each) and stores the results there */
    void          *tramp;
} MoatDescType;

typedef struct MoatDescImport {
    MoatDescBytes module, name;
    uint64_t      kind;         /* MOAT_DESC_EXT_* */
    uint64_t      idx;          /* in its kind's index space */
} MoatDescImport;

typedef struct MoatDescExport {
    MoatDescBytes name;
    uint64_t      kind, idx;    /* MOAT_DESC_EXT_*, in its index space */
} MoatDescExport;

typedef struct MoatDescFunc {
    uint64_t      type_idx;
    void         *code;         /* NULL for imported functions */
    MoatDescBytes name;         /* from the name section; p NULL if none */
} MoatDescFunc;

typedef struct MoatDescGlobal {
    uint64_t      type;         /* MOAT_ABI_T_* */
    uint64_t      is_mut;
    uint64_t      is_import;
    MoatDescConst init;
} MoatDescGlobal;

typedef struct MoatDescLimits {
    uint64_t min, max, has_max;
    uint64_t elem_type;         /* tables: MOAT_ABI_T_FUNCREF or
                                 * _EXTERNREF; memories: MOAT_ABI_T_NONE */
    uint64_t flags;             /* MOAT_DESC_LIM_* */
} MoatDescLimits;

enum {
    MOAT_DESC_LIM_SHARED = 1,   /* a shared memory (threads proposal) */
    MOAT_DESC_LIM_KNOWN = MOAT_DESC_LIM_SHARED,
};

typedef struct MoatDescElem {
    uint64_t             mode;  /* MOAT_DESC_SEG_* */
    uint64_t             table;
    uint64_t             elem_type; /* a reference type, MOAT_ABI_T_* */
    MoatDescConst        offset;
    uint64_t             count;
    const MoatDescConst *items;
} MoatDescElem;

typedef struct MoatDescData {
    uint64_t      mode;         /* MOAT_DESC_SEG_ACTIVE or _PASSIVE */
    uint64_t      mem;
    MoatDescConst offset;
    MoatDescBytes bytes;
} MoatDescData;

/* A custom section carried into the artifact: the DWARF sections
 * (".debug_*") of a module built with -g, read for source locations
 * (runtime/dwarf.c). DWARF code addresses count from the module offset
 * MoatDescriptor.code_start. */
typedef struct MoatDescSection {
    MoatDescBytes name;         /* NUL after it, like every name */
    MoatDescBytes bytes;
} MoatDescSection;

typedef struct MoatDescriptor {
    uint32_t magic, abi_version;
    uint64_t flags;             /* MOAT_DESC_F_* */
    uint64_t heap_reserve, heap_guard;
    uint64_t ntypes, nimports, nexports, nfuncs, nfunc_imports;
    uint64_t nglobals, ntables, nmems, nelems, ndatas;
    uint64_t start;             /* function index, MOAT_DESC_NO_START */
    const MoatDescType   *types;
    const MoatDescImport *imports;
    const MoatDescExport *exports;
    const MoatDescFunc   *funcs;
    const MoatDescGlobal *globals;
    const MoatDescLimits *tables;
    const MoatDescLimits *mems;
    const MoatDescElem   *elems;
    const MoatDescData   *datas;
    const char           *cpu;         /* target CPU the code needs */
    const char           *features;    /* target features, LLVM syntax */
    /* Named plugins (--name), linked into a program: [code_lo, code_hi)
     * holds all their code, so that the fault handler knows it. NULL in
     * artifacts Moat's loader loads (it knows the image's code). */
    const void           *code_lo, *code_hi;
    uint8_t               hash[32];    /* of the source module */
    uint64_t              code_start;  /* module offset of the code
                                        * section's content, 0 if none */
    uint64_t              ndebug;      /* at most MOAT_DESC_MAX_DEBUG */
    const MoatDescSection *debug;      /* DWARF sections, or NULL */
} MoatDescriptor;

/* Sections kept (.debug_* only; a module has a dozen at most). */
#define MOAT_DESC_MAX_DEBUG 64u

enum {
    MOAT_DESC_F_MEM_IS_CTX = 1, /* ctx is the heap base (own memory 0) */
    MOAT_DESC_F_EPOCH = 2,      /* epoch checks compiled in */
    MOAT_DESC_F_KNOWN = MOAT_DESC_F_MEM_IS_CTX | MOAT_DESC_F_EPOCH
};

_Static_assert(sizeof(MoatFuncRef) == 24, "MoatFuncRef layout");
_Static_assert(sizeof(MoatImportFunc) == 16 &&
               offsetof(MoatImportFunc, ctx) == 8, "MoatImportFunc layout");
_Static_assert(offsetof(MoatMemory, size) == 8, "MoatMemory layout");
_Static_assert(offsetof(MoatTable, size) == 8, "MoatTable layout");
_Static_assert(offsetof(MoatTable, codes) == 24, "MoatTable layout");
_Static_assert(sizeof(MoatDescConst) == 32, "MoatDescConst layout");
_Static_assert(sizeof(MoatDescSection) == 32, "MoatDescSection layout");
_Static_assert(sizeof(MoatDescriptor) == 8 * 31 + 32,
               "MoatDescriptor layout");

#endif
