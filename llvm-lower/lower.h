/* lower.h - internal header of llvm-lower/: a validated Module to LLVM IR
 * and on to a native object, through the LLVM C API only. Sectioned by
 * file. Lowering sees only validated input: invariants are asserts, and
 * functions return void; only target setup and emission can fail.
 *
 * Values: i32/i64/f32/f64 as LLVM i32/i64/float/double, v128 as <4 x i32>
 * (L->v128; a SIMD op bitcasts to its lane shape and back), funcref and
 * externref as ptr (NULL = null reference).
 */
#ifndef MOAT_LOWER_H
#define MOAT_LOWER_H

#include <assert.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>

#include "../frontend/frontend.h"
#include "../runtime/abi.h"

/* facts.c: what one decoding pass tells about a body before lowering. */
/* Runtime helpers, H_<ID> for each row X(ID, ...) of MOAT_HELPERS (abi.h);
 * module.c declares them from the same rows. */
enum {
#define X(id, name, ret, params) H_##id,
    MOAT_HELPERS(X)
#undef X
    NHELPERS
};

typedef struct FuncFacts {
    bool     has_call, has_loop;
    uint32_t max_wide_params;   /* most params of a wide call (abi.h), 0 */
    uint32_t max_results;       /* most results of a call with 2+, 0 */
    uint64_t weight;            /* about its IR instructions: a call
                                 * weighs 1 + params + results */
    uint64_t longest_run;       /* weight between control instructions */
} FuncFacts;
FuncFacts moatL_func_facts(const Module *m, const Func *f);

/* A control frame (structured control, spec 3.3.8). Branch targets carry
 * their values through phis: at `cont` (block/if results) or at the loop
 * header (loop params). */
typedef struct LCtrl {
    int               op;        /* OP_BLOCK (and the function), LOOP, IF */
    bool              is_dead;   /* entered from unreachable code */
    bool              has_else;
    uint32_t          height;    /* value stack height below the params */
    uint32_t          nparams, nresults;
    const uint8_t    *params, *results;
    LLVMBasicBlockRef cont;      /* after `end` */
    LLVMBasicBlockRef header;    /* loop: branch target */
    LLVMBasicBlockRef else_bb;   /* if: false edge until `else` */
    LLVMValueRef     *cont_phis;   /* nresults, at cont */
    LLVMValueRef     *header_phis; /* loop: nparams, at header */
    LLVMValueRef     *if_params; /* if: param values, for the else arm */
} LCtrl;

typedef struct Lower {
    /* module-wide */
    LLVMContextRef  llctx;
    LLVMModuleRef   mod;
    LLVMBuilderRef  b;
    const Module   *m;
    MoatLayout      layout;
    bool            mem_is_ctx;  /* ctx is the heap base (own memory) */
    bool            is_interruptible;   /* epoch checks (lower_epoch.c) */
    bool            is_provable;  /* heap indices as explicit moves
                                   * (moatL_heap_addr, docs/verify.md) */
    uint64_t        guard;       /* bytes of guard behind 4 GiB */
    LLVMTypeRef     i1, i8, i16, i32, i64, f32, f64, v128, ptr, voidt;
    LLVMTypeRef    *fn_types;    /* per type index: (ptr ctx, params) */
    LLVMValueRef   *funcs;       /* per function index; NULL for imports */
    const uint8_t  *owner;       /* see LowerTarget */
    int             self;
    LLVMValueRef    helpers[NHELPERS];   /* runtime entry points, by H_* */
    LLVMTypeRef     helper_types[NHELPERS];
    unsigned        tbaa_kind;   /* metadata kind id of !tbaa */
    LLVMValueRef    tbaa_heap, tbaa_ctx;

    /* per function */
    Arena           scratch;     /* reset after each function */
    uint32_t        func;        /* function index being lowered */
    LLVMValueRef    fn, ctx, heap;
    LLVMValueRef   *locals;      /* allocas, NULL until first used */
    const uint8_t  *local_types;
    uint32_t        nlocals, nparams;
    LLVMValueRef    slots_at;    /* the entry block's branch: allocas go
                                  * before it (lower_var.c) */
    LLVMBuilderRef  slot_b;      /* positioned there */
    LLVMValueRef    wide_area;   /* lower_call.c: wide calls' arguments */
    LLVMValueRef    res_area;    /* lower_call.c: calls' results */
    LLVMValueRef   *wide_geps, *res_geps;  /* their slots, made on use */
    LLVMValueRef   *vs;          /* value stack */
    LLVMTypeRef    *vs_arith;    /* per slot: the float type of an
                                  * unmarked arithmetic result, or NULL */
    uint32_t        nvs, capvs;
    LCtrl          *cs;          /* control stack */
    uint32_t        ncs, capcs;
    bool            is_dead;     /* current position is unreachable */
    Reader         *r;           /* over the function body */

    /* debuginfo.c: wasm offsets of native code, for backtraces */
    LLVMDIBuilderRef di;
    LLVMMetadataRef  di_file, di_cu, di_type;
    LLVMMetadataRef  di_scope;   /* the function being built, or NULL */
    unsigned         di_line;    /* its current location's line */
} Lower;

/* debuginfo.c: a subprogram per compiled function, and the location
 * (line = wasm byte offset) of the instructions built next. */
void moatL_di_init(Lower *L);
void moatL_di_func(Lower *L, LLVMValueRef fn, const char *name,
                   unsigned line);
void moatL_di_at(Lower *L, uint64_t off);
void moatL_di_leave(Lower *L);
void moatL_di_fini(Lower *L);

/* builder.c: small pieces every lowering file uses. The value stack:
 * an arithmetic result whose NaN must be quiet is pushed with
 * moatL_vpush_arith and its float type (lanes: the type the bits are
 * floats of, v a float value or a v128); moatL_vpop and moatL_vpeek hand
 * it out marked (moatL_nan_arith), moatL_vpop_arith as it is, for float
 * operations on the same lane type (lanes; NULL: the value's own type)
 * that quiet a NaN themselves or never show its bits. */
void         moatL_vpush(Lower *L, LLVMValueRef v);
void         moatL_vpush_arith(Lower *L, LLVMValueRef v, LLVMTypeRef lanes);
LLVMValueRef moatL_vpop(Lower *L);
LLVMValueRef moatL_vpop_arith(Lower *L, LLVMTypeRef lanes);
LLVMValueRef moatL_vpeek(Lower *L, uint32_t depth);    /* 0 = top */
LLVMTypeRef  moatL_type(Lower *L, uint8_t valtype);
LLVMValueRef moatL_const_i32(Lower *L, uint32_t v);
LLVMValueRef moatL_const_i64(Lower *L, uint64_t v);
LLVMValueRef moatL_zero(Lower *L, uint8_t valtype);
/* Traps with code (MOAT_ABI_TRAP_*) when cond is true; code goes on in a
 * fresh block. */
void         moatL_trap_if(Lower *L, LLVMValueRef cond, uint32_t code);
void         moatL_cold_branch(Lower *L, LLVMValueRef br);
LLVMValueRef moatL_memory_bytes(Lower *L);      /* MoatMemory.size */
/* An enum attribute by its LLVM 19 name ("nocapture" is translated for
 * LLVMs that renamed it); aborts, naming it, if this LLVM lacks it.
 * moatL_attr_kind: its kind, 0 if this LLVM lacks it. */
LLVMAttributeRef moatL_attr(Lower *L, const char *name);
unsigned         moatL_attr_kind(const char *name);
/* Keeps LLVM from merging call with another (traps: one per site). */
void         moatL_nomerge(Lower *L, LLVMValueRef call);
void         moatL_trap(Lower *L, uint32_t code);      /* unconditional */
/* Loads and stores of the context area: ctx + off, marked !tbaa ctx. */
LLVMValueRef moatL_ctx_ptr(Lower *L, int64_t off);
LLVMValueRef moatL_ctx_load(Lower *L, LLVMTypeRef t, int64_t off,
                            const char *name);
/* The address of a heap access of `size` bytes at addr (i32) + offset:
 * no check when the guard covers it, an explicit one otherwise. */
LLVMValueRef moatL_heap_addr(Lower *L, LLVMValueRef addr, uint32_t offset,
                             uint32_t size);
LLVMValueRef moatL_ctx_load_fixed(Lower *L, LLVMTypeRef t, int64_t off,
                                  const char *name);
void         moatL_tag_heap(Lower *L, LLVMValueRef load_or_store);
void         moatL_keep_load(Lower *L, LLVMValueRef load);   /* volatile */
LLVMValueRef moatL_memory(Lower *L);    /* MoatMemory * of memory 0 */
/* lower_call.c: the frame's shared call areas, sized by the facts. */
void         moatL_call_areas(Lower *L, const FuncFacts *x);
LLVMValueRef moatL_call_helper(Lower *L, int h, LLVMValueRef *args,
                               unsigned n);
LLVMValueRef moatL_intrinsic(Lower *L, const char *name, LLVMTypeRef *tys,
                             unsigned ntys, LLVMValueRef *args, unsigned n);
LLVMValueRef moatL_ieq(Lower *L, LLVMValueRef a, LLVMValueRef b);

/* nan.c: arithmetic NaNs. moatL_nan_arith marks the result of an
 * operation whose NaN must be quiet (spec 4.3.3); moatL_nan_finish, run on
 * the module after optimisation and before any output, keeps that
 * promise where LLVM folded the operation away and drops the marks. */
LLVMValueRef moatL_nan_arith(Lower *L, LLVMValueRef v);
void         moatL_nan_finish(LLVMModuleRef mod);

/* func.c: one function body, dispatching through moatL_ops_table[op],
 * which is opcodes.def's `lower` column: each row there names the LowerFn
 * below that lowers its instruction. */
typedef void (*LowerFn)(Lower *L, const Insn *in);
extern const LowerFn moatL_ops_table[NOP_COUNT];
void moatL_func(Lower *L, uint32_t func_idx);

/* Per class of instruction. Each fn pops its operands and pushes results
 * with moatL_vpop/moatL_vpush; in->op tells which instruction. */
void moatL_ctrl_init(Lower *L);          /* lower_ctrl.c */
void moatL_unreachable(Lower *L, const Insn *in);
void moatL_nop(Lower *L, const Insn *in);
void moatL_block(Lower *L, const Insn *in);
void moatL_loop(Lower *L, const Insn *in);
void moatL_if(Lower *L, const Insn *in);
void moatL_else(Lower *L, const Insn *in);
void moatL_end(Lower *L, const Insn *in);
void moatL_br(Lower *L, const Insn *in);
void moatL_br_if(Lower *L, const Insn *in);
void moatL_br_table(Lower *L, const Insn *in);
void moatL_return(Lower *L, const Insn *in);
void moatL_drop(Lower *L, const Insn *in);
void moatL_select(Lower *L, const Insn *in);

void moatL_call(Lower *L, const Insn *in);            /* lower_call.c */
void moatL_call_indirect(Lower *L, const Insn *in);
/* Calls code(ctx, args...) with the wasm type ti; pushes the results. */
void moatL_call_typed(Lower *L, uint32_t ti, LLVMValueRef code,
                      LLVMValueRef callee_ctx);
/* Stores v as result i into a results area (runtime/abi.h). */
void moatL_result_store(Lower *L, LLVMValueRef area, uint32_t i,
                        LLVMValueRef v);
LLVMValueRef moatL_table_ptr(Lower *L, uint32_t t);   /* MoatTable * */
/* lower_table.c: weights br, its first successor the likely one. */
void moatL_branch_likely(Lower *L, LLVMValueRef br);

void moatL_local_get(Lower *L, const Insn *in);       /* lower_var.c */
void moatL_local_set(Lower *L, const Insn *in);
void moatL_local_tee(Lower *L, const Insn *in);
void moatL_global_get(Lower *L, const Insn *in);
void moatL_global_set(Lower *L, const Insn *in);

void moatL_load(Lower *L, const Insn *in);            /* lower_mem.c */
void moatL_store(Lower *L, const Insn *in);
void moatL_memory_size(Lower *L, const Insn *in);
void moatL_memory_grow(Lower *L, const Insn *in);
void moatL_memory_bulk(Lower *L, const Insn *in);     /* init/copy/fill/drop */

void moatL_table(Lower *L, const Insn *in);           /* lower_table.c */
void moatL_ref(Lower *L, const Insn *in);             /* ref.null/is_null/func */
/* Funcref stores into an own table or global: inline when the stored and
 * the replaced reference are null or the instance's own
 * (moatL_ref_is_own), else through the runtime helper h, which counts. */
LLVMValueRef moatL_ref_is_own(Lower *L, LLVMValueRef ref);
void moatL_ref_store(Lower *L, LLVMValueRef is_inline, LLVMValueRef v,
                     LLVMValueRef p, LLVMValueRef tbaa, int h,
                     LLVMValueRef *args, unsigned n);

void moatL_const(Lower *L, const Insn *in);           /* lower_num.c */
void moatL_int(Lower *L, const Insn *in);             /* lower_int.c */
void moatL_float(Lower *L, const Insn *in);           /* lower_float.c */
void moatL_conv(Lower *L, const Insn *in);            /* lower_conv.c */
void moatL_simd(Lower *L, const Insn *in);            /* lower_simd*.c */
void moatL_simd_mem(Lower *L, const Insn *in);        /* v128 loads/stores */
void moatL_atomic(Lower *L, const Insn *in);          /* lower_atomic.c */

/* module.c: state, types, declarations. The LLVM module and context
 * outlive moatL_fini: the caller disposes of them. */
typedef struct LowerTarget {
    const char          *triple;      /* never NULL */
    LLVMTargetDataRef    layout;
    const char          *cpu, *features;
    /* Partitioned compilation (partition.c): owner[i] is the partition
     * that defines function i; the others only declare it. NULL: one. */
    const uint8_t       *owner;
    int                  self;
    bool                 is_interruptible;  /* epoch checks compiled in */
    bool                 is_provable;       /* heap indices as moves */
} LowerTarget;

void moatL_init(Lower *L, const Module *m, const LowerTarget *t);
void moatL_fini(Lower *L);
/* module.c: keeps frame pointers in fn (the runtime's backtraces). */
void moatL_frame_pointer(LLVMValueRef fn);

/* lower_epoch.c: interruption checks (docs/runtime.md, "Deadlines").
 * moatL_epoch_check emits one at the builder's position: at function
 * entry (only in functions that call: a body without calls or loops runs
 * a bounded number of instructions) and at every loop header. */
void moatL_epoch_check(Lower *L);

/* lower_stack.c: the stack check (runtime/abi.h, "the stack limit").
 * moatL_stack_check emits it at the builder's position, in fn's entry
 * block after the allocas, and leaves the builder in the block after it.
 * moatL_stack_finish, once the body of wasm function f is lowered, takes
 * it out again when the body calls nothing, and else makes it count the
 * arguments that calls pass on the stack. */
typedef struct StackCheck {
    LLVMBasicBlockRef entry, trap, ok;
    LLVMValueRef      br, trap_call;
} StackCheck;
StackCheck moatL_stack_check(Lower *L, LLVMValueRef fn, LLVMValueRef ctx);
void       moatL_stack_finish(Lower *L, const StackCheck *sc,
                              const FuncFacts *x);

/* tramp.c: void tramp(ptr code, ptr ctx, ptr vals) for a function type,
 * the runtime's way to call any signature (abi.h MoatDescType.tramp).
 * moatL_trampolines: one per type index that the host can call (types
 * of exported functions, the start function, functions that can reach a
 * table), shared by structurally equal types; NULL for the others. An
 * array of ntypes + 1 (moatU_free). */
LLVMValueRef  moatL_trampoline(Lower *L, uint32_t type_idx);
LLVMValueRef *moatL_trampolines(Lower *L);

/* descriptor.c: the MOAT_DESC_SYMBOL constant, or NAME_descriptor when
 * name is not NULL (a named plugin, whose code bounds it also holds);
 * with is_debug_kept, the module's DWARF sections go into it too. tramps
 * (borrowed): moatL_trampolines' array, which the types table points at;
 * the descriptor emits no code of its own. */
void moatL_descriptor(Lower *L, LLVMValueRef const *tramps,
                      const uint8_t hash[32], const char *cpu,
                      const char *features, const char *name,
                      bool is_debug_kept);

#endif
