/* tramp.c - one trampoline per function type: the runtime calls every
 * export through `void tramp(void *code, void *ctx, uint64_t *vals)`, which
 * reads the parameters from 16-byte slots, calls code(ctx, params...) with
 * the native signature and writes the results back into the slots (with
 * two or more results, the slots are the callee's results area). So the
 * runtime needs no libffi to call wasm, whatever the signature.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lower.h"

static LLVMValueRef
slot(Lower *L, LLVMValueRef vals, uint32_t i)
{
    LLVMValueRef off = moatL_const_i64(L, (uint64_t)i * 16);
    return LLVMBuildGEP2(L->b, L->i8, vals, &off, 1, "");
}

LLVMValueRef
moatL_trampoline(Lower *L, uint32_t ti)
{
    const FuncType *ft = &L->m->types[ti];
    LLVMTypeRef     ps[3] = { L->ptr, L->ptr, L->ptr };
    LLVMTypeRef     t = LLVMFunctionType(L->voidt, ps, 3, false);
    char            name[32];

    snprintf(name, sizeof name, "wasm_tramp%u", ti);
    LLVMValueRef fn = LLVMAddFunction(L->mod, name, t);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMPositionBuilderAtEnd(L->b, LLVMAppendBasicBlockInContext(
                                       L->llctx, fn, "entry"));
    LLVMValueRef code = LLVMGetParam(fn, 0), vals = LLVMGetParam(fn, 2);
    bool          has_area = ft->nresults >= 2;
    LLVMValueRef *args = moatU_alloc((ft->nparams + 2) * sizeof *args);
    if (!args)
        abort();
    args[0] = LLVMGetParam(fn, 1);
    for (uint32_t i = 0; i < ft->nparams; i++) {
        LLVMValueRef v = LLVMBuildLoad2(L->b, moatL_type(L, ft->types[i]),
                                        slot(L, vals, i), "");
        LLVMSetAlignment(v, 8);
        args[i + 1] = v;
    }
    /* two or more results: the callee writes them into vals itself (its
     * results area, runtime/abi.h); the params were read before the call */
    if (has_area)
        args[ft->nparams + 1] = vals;
    LLVMValueRef r = LLVMBuildCall2(L->b, L->fn_types[ti], code, args,
                                    ft->nparams + 1 + has_area, "");
    moatU_free(args);
    if (ft->nresults == 1)
        LLVMSetAlignment(LLVMBuildStore(L->b, r, slot(L, vals, 0)), 8);
    LLVMBuildRetVoid(L->b);
    return fn;
}
