/* module.c - module-wide lowering state: the LLVM context, cached types,
 * TBAA nodes, one LLVM function per wasm function, and the runtime helper
 * declarations (runtime/abi.h MOAT_HELPERS, the same rows as H_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* Helper signatures, read from MOAT_HELPERS (abi.h): one type code per
 * result and parameter, HT_<code> for each MOAT_HT_<code>. A code abi.h
 * gains without an HT_ here does not compile. */
enum { HT_void, HT_ctx, HT_i32, HT_i64, HT_ref };
#define HT_CODE_(code) HT_##code
#define HT_CODES_(...) MOAT_MAP(HT_CODE_, __VA_ARGS__)

static const struct {
    const char *name;
    uint8_t     ret, nparams, params[8];
} helper_sigs[NHELPERS] = {
#define X(id, name, ret, params) \
    [H_##id] = { #name, HT_##ret, MOAT_NARGS params, { HT_CODES_ params } },
    MOAT_HELPERS(X)
#undef X
};

static LLVMTypeRef
helper_type(Lower *L, uint8_t code)
{
    switch (code) {
    case HT_void: return L->voidt;
    case HT_i32: return L->i32;
    case HT_i64: return L->i64;
    default: assert(code == HT_ctx || code == HT_ref); return L->ptr;
    }
}

static void
declare_helpers(Lower *L)
{
    for (int h = 0; h < NHELPERS; h++) {
        unsigned    n = helper_sigs[h].nparams;
        LLVMTypeRef params[8];
        for (unsigned i = 0; i < n; i++)
            params[i] = helper_type(L, helper_sigs[h].params[i]);
        L->helper_types[h] = LLVMFunctionType(helper_type(L,
                                                          helper_sigs[h].ret),
                                              params, n, false);
        L->helpers[h] = LLVMAddFunction(L->mod, helper_sigs[h].name,
                                        L->helper_types[h]);
        if (h == H_TRAP)
            LLVMAddAttributeAtIndex(L->helpers[h], LLVMAttributeFunctionIndex,
                                    moatL_attr(L, "noreturn"));
        if (h == H_TRAP || h == H_EPOCH_CHECK)
            LLVMAddAttributeAtIndex(L->helpers[h], LLVMAttributeFunctionIndex,
                                    moatL_attr(L, "cold"));
    }
}

/* TBAA: heap accesses never alias the context area or globals. */
static void
make_tbaa(Lower *L)
{
    LLVMContextRef  c = L->llctx;
    LLVMMetadataRef root_name = LLVMMDStringInContext2(c, "moat tbaa", 9);
    LLVMMetadataRef root = LLVMMDNodeInContext2(c, &root_name, 1);
    LLVMMetadataRef zero = LLVMValueAsMetadata(moatL_const_i64(L, 0));
    LLVMValueRef   *tags[2] = { &L->tbaa_heap, &L->tbaa_ctx };
    const char     *names[2] = { "wasm heap", "moat ctx" };

    L->tbaa_kind = LLVMGetMDKindIDInContext(c, "tbaa", 4);
    for (int i = 0; i < 2; i++) {
        LLVMMetadataRef type[3] = {
            LLVMMDStringInContext2(c, names[i], strlen(names[i])), root, zero
        };
        LLVMMetadataRef t = LLVMMDNodeInContext2(c, type, 3);
        LLVMMetadataRef tag[3] = { t, t, zero };
        *tags[i] = LLVMMetadataAsValue(c, LLVMMDNodeInContext2(c, tag, 3));
    }
}

/* results f(ptr ctx, params...); more than MOAT_WIDE_PARAMS params travel
 * in memory, f(ptr ctx, ptr args); with two or more results the function
 * returns void and takes a results area as its last parameter:
 * runtime/abi.h, "how every function is called". */
static LLVMTypeRef
func_type(Lower *L, const FuncType *ft)
{
    bool         is_wide = ft->nparams > MOAT_WIDE_PARAMS;
    bool         has_area = ft->nresults >= 2;
    uint32_t     n = (is_wide ? 1 : ft->nparams) + 1 + has_area;
    LLVMTypeRef *params = moatU_alloc(n * sizeof *params);
    LLVMTypeRef  ret = L->voidt;

    if (!params)
        abort();
    params[0] = L->ptr;
    if (is_wide)
        params[1] = L->ptr;
    else
        for (uint32_t i = 0; i < ft->nparams; i++)
            params[i + 1] = moatL_type(L, ft->types[i]);
    if (has_area)
        params[n - 1] = L->ptr;
    if (ft->nresults == 1)
        ret = moatL_type(L, ft->types[ft->nparams]);
    LLVMTypeRef t = LLVMFunctionType(ret, params, n, false);
    moatU_free(params);
    return t;
}

/* Like clang: every function names its CPU and features, so that
 * target-specific lowering (SIMD) can rely on them. */
static void
add_target_attrs(Lower *L, LLVMValueRef fn, const LowerTarget *t)
{
    if (t->cpu && *t->cpu)
        LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", t->cpu);
    if (t->features && *t->features)
        LLVMAddTargetDependentFunctionAttr(fn, "target-features",
                                           t->features);
    /* frames larger than the wasm stack's 64 KiB guard are probed */
    LLVMAddTargetDependentFunctionAttr(fn, "probe-stack", "inline-asm");
    /* wasm 2.0 has no tail calls: endless recursion must exhaust the stack
     * ("call stack exhausted"), not become a loop */
    LLVMAddTargetDependentFunctionAttr(fn, "disable-tail-calls", "true");
    moatL_frame_pointer(fn);
    (void)L;
}

/* Frame pointers in every compiled function: the runtime walks the rbp
 * chain from a trap to the entry of the call (docs/backtraces.md). */
void
moatL_frame_pointer(LLVMValueRef fn)
{
    LLVMAddTargetDependentFunctionAttr(fn, "frame-pointer", "all");
}

/* The results area is the caller's scratch: nothing else reaches it
 * during the call, and the callee keeps no pointer to it. */
static void
mark_results_area(Lower *L, LLVMValueRef fn, const FuncType *ft)
{
    static const char *const attrs[] = { "noalias", "nocapture" };

    if (ft->nresults < 2)
        return;
    /* a wide function's trampoline passes its vals as both args and
     * results area (tramp.c): they alias, so no noalias there */
    for (int i = ft->nparams > MOAT_WIDE_PARAMS; i < 2; i++)
        LLVMAddAttributeAtIndex(fn, LLVMCountParams(fn),   /* the last */
                                moatL_attr(L, attrs[i]));
}

static void
declare_funcs(Lower *L, const LowerTarget *t)
{
    const Module *m = L->m;
    char          name[32];

    L->fn_types = moatU_calloc(m->ntypes + 1, sizeof *L->fn_types);
    L->funcs = moatU_calloc(m->nfuncs + 1, sizeof *L->funcs);
    if (!L->fn_types || !L->funcs)
        abort();
    for (uint32_t i = 0; i < m->ntypes; i++)
        L->fn_types[i] = func_type(L, &m->types[i]);
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        snprintf(name, sizeof name, "wasm_f%u", i);
        L->funcs[i] = LLVMAddFunction(L->mod, name,
                                      L->fn_types[m->funcs[i].type_idx]);
        if (t->owner) {         /* other partitions see it: hidden global */
            LLVMSetVisibility(L->funcs[i], LLVMHiddenVisibility);
        } else {
            LLVMSetLinkage(L->funcs[i], LLVMInternalLinkage);
        }
        add_target_attrs(L, L->funcs[i], t);
        mark_results_area(L, L->funcs[i], &m->types[m->funcs[i].type_idx]);
    }
}

void
moatL_init(Lower *L, const Module *m, const LowerTarget *t)
{
    memset(L, 0, sizeof *L);
    L->m = m;
    L->llctx = LLVMContextCreate();
    L->mod = LLVMModuleCreateWithNameInContext("wasm", L->llctx);
    LLVMSetTarget(L->mod, t->triple);
    LLVMSetModuleDataLayout(L->mod, t->layout);
    L->b = LLVMCreateBuilderInContext(L->llctx);
    L->slot_b = LLVMCreateBuilderInContext(L->llctx);
    L->i1 = LLVMInt1TypeInContext(L->llctx);
    L->i8 = LLVMInt8TypeInContext(L->llctx);
    L->i16 = LLVMInt16TypeInContext(L->llctx);
    L->i32 = LLVMInt32TypeInContext(L->llctx);
    L->i64 = LLVMInt64TypeInContext(L->llctx);
    L->f32 = LLVMFloatTypeInContext(L->llctx);
    L->f64 = LLVMDoubleTypeInContext(L->llctx);
    L->v128 = LLVMVectorType(L->i32, 4);
    L->ptr = LLVMPointerTypeInContext(L->llctx, 0);
    L->voidt = LLVMVoidTypeInContext(L->llctx);
    MoatLayoutIn li = { m->nfunc_imports, m->ntypes, m->nglobals, m->ntables,
                        m->nfuncs };
    L->layout = moatA_layout(&li);
    L->mem_is_ctx = m->nmems > 0 && m->nmem_imports == 0;
    L->is_interruptible = t->is_interruptible;
    L->is_provable = t->is_provable;
    L->owner = t->owner;
    L->self = t->self;
    L->guard = MOAT_HEAP_GUARD;
    moatU_arena_init(&L->scratch);
    make_tbaa(L);
    moatL_di_init(L);
    declare_helpers(L);
    declare_funcs(L, t);
}

/* The module stays alive (the caller owns L->mod and L->llctx after). */
void
moatL_fini(Lower *L)
{
    moatL_di_fini(L);
    LLVMDisposeBuilder(L->b);
    LLVMDisposeBuilder(L->slot_b);
    moatU_free(L->fn_types);
    moatU_free(L->funcs);
    moatU_free(L->vs);
    moatU_free(L->vs_arith);
    moatU_free(L->cs);
    moatU_arena_fini(&L->scratch);
}
