/* tramp.c - trampolines for the function types the host can call (one
 * per distinct signature): the runtime calls every export through
 * `void tramp(void *code, void *ctx, uint64_t *vals)`, which reads the
 * parameters from 16-byte slots, calls code(ctx, params...) with
 * the native signature and writes the results back into the slots (with
 * two or more results, the slots are the callee's results area). So the
 * runtime needs no libffi to call wasm, whatever the signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    moatL_frame_pointer(fn);
    /* a subprogram of its own: functions inlined into it keep theirs */
    moatL_di_func(L, fn, "moat_tramp", 0);
    LLVMPositionBuilderAtEnd(L->b, LLVMAppendBasicBlockInContext(
                                       L->llctx, fn, "entry"));
    LLVMValueRef code = LLVMGetParam(fn, 0), vals = LLVMGetParam(fn, 2);
    bool          has_area = ft->nresults >= 2;
    LLVMValueRef *args = moatU_alloc((ft->nparams + 2) * sizeof *args);
    if (!args)
        abort();
    args[0] = LLVMGetParam(fn, 1);
    bool     is_wide = ft->nparams > MOAT_WIDE_PARAMS;
    uint32_t nargs = is_wide ? 2 : ft->nparams + 1;
    if (is_wide)                            /* the slots are the args */
        args[1] = vals;
    for (uint32_t i = 0; !is_wide && i < ft->nparams; i++) {
        LLVMValueRef v = LLVMBuildLoad2(L->b, moatL_type(L, ft->types[i]),
                                        slot(L, vals, i), "");
        LLVMSetAlignment(v, 8);
        args[i + 1] = v;
    }
    /* two or more results: the callee writes them into vals itself (its
     * results area, runtime/abi.h). The params were read before the call,
     * or (wide) the callee reads them in its entry block, before any
     * result is written: one buffer serves both. */
    if (has_area)
        args[nargs++] = vals;
    LLVMValueRef r = LLVMBuildCall2(L->b, L->fn_types[ti], code, args,
                                    nargs, "");
    moatU_free(args);
    if (ft->nresults == 1)
        LLVMSetAlignment(LLVMBuildStore(L->b, r, slot(L, vals, 0)), 8);
    LLVMBuildRetVoid(L->b);
    moatL_di_leave(L);
    return fn;
}

/* Marks the type of function f as callable from the host. */
static void
mark(const Module *m, uint8_t *need, uint32_t f)
{
    if (f < m->nfuncs && m->funcs[f].type_idx < m->ntypes)
        need[m->funcs[f].type_idx] = 1;
}

/* The type indices the host can reach: exports, the start function,
 * and every function a table can hold (element segments, ref.func in
 * global initialisers; a ref.func in code must name one of those). */
static uint8_t *
callable_types(const Module *m)
{
    uint8_t *need = moatU_calloc(m->ntypes + 1, 1);
    if (!need)
        abort();
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == EXT_FUNC)
            mark(m, need, m->exports[i].idx);
    if (m->has_start)
        mark(m, need, m->start);
    for (uint32_t i = 0; i < m->nelems; i++)
        for (uint32_t k = 0; k < m->elems[i].count; k++)
            if (m->elems[i].items[k].kind == CONST_REF_FUNC)
                mark(m, need, m->elems[i].items[k].idx);
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (!m->globals[i].is_import &&
            m->globals[i].init.kind == CONST_REF_FUNC)
            mark(m, need, m->globals[i].init.idx);
    return need;
}

static uint64_t
sig_hash(const FuncType *ft)
{
    uint64_t h = 1469598103934665603u ^ ft->nparams;      /* FNV-1a */
    for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++)
        h = (h ^ ft->types[i]) * 1099511628211u;
    return (h ^ ft->nresults) * 1099511628211u;
}

static bool
sig_equal(const FuncType *a, const FuncType *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           !memcmp(a->types, b->types, a->nparams + a->nresults);
}

LLVMValueRef *
moatL_trampolines(Lower *L)
{
    const Module *m = L->m;
    uint8_t      *need = callable_types(m);
    LLVMValueRef *out = moatU_calloc(m->ntypes + 1, sizeof *out);
    uint32_t      cap = 16;
    while (cap < 2 * (uint64_t)m->ntypes)
        cap *= 2;
    uint32_t     *seen = moatU_alloc(cap * sizeof *seen);  /* type + 1 */
    if (!out || !seen)
        abort();
    memset(seen, 0, cap * sizeof *seen);
    for (uint32_t ti = 0; ti < m->ntypes; ti++) {
        if (!need[ti])
            continue;
        const FuncType *ft = &m->types[ti];
        uint32_t        h = (uint32_t)sig_hash(ft) & (cap - 1);
        while (seen[h] && !sig_equal(&m->types[seen[h] - 1], ft))
            h = (h + 1) & (cap - 1);
        if (!seen[h]) {
            seen[h] = ti + 1;
            out[ti] = moatL_trampoline(L, ti);
        } else {
            out[ti] = out[seen[h] - 1];
        }
    }
    moatU_free(need);
    moatU_free(seen);
    return out;
}
