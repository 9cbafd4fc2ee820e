/* lower_call.c - direct, imported and indirect calls (spec 4.4.8). Every
 * compiled function takes ctx first; an imported function is called with
 * the ctx its exporter gave it (MoatImportFunc), an indirect one with the
 * ctx in its MoatFuncRef after the table bound, null and type checks.
 */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* ---- the frame's call areas ----
 * One area for wide calls' arguments and one for results, shared by all
 * the function's call sites: each call fills and reads them around the
 * call. An area per call site would make frames of megabytes at -O0,
 * where stack colouring does not run (10,000 calls of 1,000 results:
 * 160 MB). Sized by the body's facts (facts.c), made in the
 * entry block with a pointer per slot, so that a call of 1,000 params
 * and 1,000 results costs 2,000 stores and loads, not also 2,000 GEPs. */

static LLVMValueRef
make_area(Lower *L, uint64_t slots, LLVMValueRef **geps, const char *name)
{
    if (slots == 0)
        return NULL;
    LLVMPositionBuilderBefore(L->slot_b, L->slots_at);
    LLVMValueRef a = LLVMBuildAlloca(L->slot_b,
                                     LLVMArrayType2(L->i8, slots * 16), name);
    LLVMSetAlignment(a, 16);
    *geps = moatU_arena_alloc(&L->scratch, slots * sizeof **geps);
    if (!*geps)
        abort();
    memset(*geps, 0, slots * sizeof **geps);
    return a;
}

void
moatL_call_areas(Lower *L, const FuncFacts *x)
{
    L->wide_area = make_area(L, x->max_wide_params, &L->wide_geps,
                             "wide.args");
    L->res_area = make_area(L, x->max_results, &L->res_geps, "results");
}

/* Slot i of a shared area, its pointer made once in the entry block. */
static LLVMValueRef
area_slot(Lower *L, LLVMValueRef area, LLVMValueRef *geps, uint32_t i)
{
    if (!geps[i]) {
        LLVMValueRef off = moatL_const_i64(L, (uint64_t)i * 16);
        LLVMPositionBuilderBefore(L->slot_b, L->slots_at);
        geps[i] = LLVMBuildGEP2(L->slot_b, L->i8, area, &off, 1, "");
    }
    return geps[i];
}

/* Slot i of a results area (runtime/abi.h MOAT_RESULT_SLOT); the area is
 * only known to be 8-byte aligned. */
static LLVMValueRef
result_slot(Lower *L, LLVMValueRef area, uint32_t i)
{
    LLVMValueRef off = moatL_const_i64(L, (uint64_t)i * MOAT_RESULT_SLOT);
    return LLVMBuildGEP2(L->b, L->i8, area, &off, 1, "");
}

void
moatL_result_store(Lower *L, LLVMValueRef area, uint32_t i, LLVMValueRef v)
{
    LLVMSetAlignment(LLVMBuildStore(L->b, v, result_slot(L, area, i)), 8);
}

/* With two or more results the callee writes them into the frame's
 * results area, passed last. */
void
moatL_call_typed(Lower *L, uint32_t ti, LLVMValueRef code,
                 LLVMValueRef callee_ctx)
{
    const FuncType *ft = &L->m->types[ti];
    uint32_t        np = ft->nparams, nr = ft->nresults;
    bool            has_area = nr >= 2;
    LLVMValueRef   *args = moatU_arena_alloc(&L->scratch,
                                             (np + 2) * sizeof *args);

    if (!args)
        abort();
    args[0] = callee_ctx;
    for (uint32_t i = np; i > 0; i--)
        args[i] = moatL_vpop(L);
    unsigned nargs = np + 1;
    if (np > MOAT_WIDE_PARAMS) {            /* (ctx, args): abi.h */
        for (uint32_t i = 0; i < np; i++) {
            LLVMValueRef p = area_slot(L, L->wide_area, L->wide_geps, i);
            LLVMSetAlignment(LLVMBuildStore(L->b, args[i + 1], p), 8);
        }
        args[1] = L->wide_area;
        nargs = 2;
    }
    if (has_area)
        args[nargs++] = L->res_area;
    LLVMValueRef call = LLVMBuildCall2(L->b, L->fn_types[ti], code, args,
                                       nargs, "");
    if (nr == 1)
        moatL_vpush(L, call);
    for (uint32_t i = 0; has_area && i < nr; i++) {
        LLVMTypeRef  t = moatL_type(L, ft->types[np + i]);
        LLVMValueRef p = area_slot(L, L->res_area, L->res_geps, i);
        LLVMValueRef v = LLVMBuildLoad2(L->b, t, p, "");
        LLVMSetAlignment(v, 8);
        moatL_vpush(L, v);
    }
}

void
moatL_call(Lower *L, const Insn *in)
{
    const Func *f = &L->m->funcs[in->a];

    if (!f->is_import) {
        moatL_call_typed(L, f->type_idx, L->funcs[in->a], L->ctx);
        return;
    }
    int64_t      at = moatA_import_at(&L->layout, in->a);
    int64_t      code_at = at + (int64_t)offsetof(MoatImportFunc, code);
    int64_t      ctx_at = at + (int64_t)offsetof(MoatImportFunc, ctx);
    LLVMValueRef code = moatL_ctx_load_fixed(L, L->ptr, code_at,
                                             "import.code");
    LLVMValueRef cctx = moatL_ctx_load_fixed(L, L->ptr, ctx_at, "import.ctx");
    moatL_call_typed(L, f->type_idx, code, cctx);
}

static LLVMValueRef
load_field(Lower *L, LLVMTypeRef t, LLVMValueRef base, size_t off,
           const char *name)
{
    LLVMValueRef idx = moatL_const_i64(L, off);
    LLVMValueRef p = LLVMBuildGEP2(L->b, L->i8, base, &idx, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(L->b, t, p, name);
    LLVMSetMetadata(v, L->tbaa_kind, L->tbaa_ctx);
    return v;
}

/* A MoatFuncRef never changes once the runtime made it. */
static LLVMValueRef
load_ref_field(Lower *L, LLVMTypeRef t, LLVMValueRef ref, size_t off,
               const char *name)
{
    LLVMValueRef v = load_field(L, t, ref, off, name);
    LLVMSetMetadata(v, LLVMGetMDKindIDInContext(L->llctx, "invariant.load",
                                                14),
                    LLVMMDNodeInContext(L->llctx, NULL, 0));
    return v;
}

/* The MoatTable * of table t. */
LLVMValueRef
moatL_table_ptr(Lower *L, uint32_t t)
{
    return moatL_ctx_load_fixed(L, L->ptr, moatA_table_at(&L->layout, t),
                                "table");
}

/* The number of elements table t has: a constant when its limits pin it
 * (max == min: an own table cannot grow past max, an imported one is at
 * least min and at most max elements, spec "import matching"), else its
 * size now. */
static LLVMValueRef
table_bound(Lower *L, uint32_t t, LLVMValueRef tbl)
{
    const Limits *lim = &L->m->tables[t].limits;

    if (lim->has_max && lim->max == lim->min)
        return moatL_const_i32(L, lim->min);
    return load_field(L, L->i32, tbl, offsetof(MoatTable, size),
                      "table.size");
}

/* The code to call for ref, after its type check: hint when the type
 * is want and hint is ref's code (the common case, one branch: the call's
 * target is then one load after the index), else, on a cold path, the
 * type trap or ref's code. The cold path holds an empty asm with side
 * effects so that LLVM keeps the branch: as a select, "hint == code ?
 * hint : code" would fold to code, and the target would wait for the
 * ref's load again. */
static LLVMValueRef
checked_code(Lower *L, LLVMValueRef hint, LLVMValueRef ref, LLVMValueRef want)
{
    LLVMValueRef      got = load_ref_field(L, L->i32, ref,
                                           offsetof(MoatFuncRef, type_id),
                                           "ref.type");
    LLVMValueRef      code = load_ref_field(L, L->ptr, ref,
                                            offsetof(MoatFuncRef, code),
                                            "ref.code");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(L->b);
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "hint.stale");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "");
    LLVMValueRef      type_ok = LLVMBuildICmp(L->b, LLVMIntEQ, want, got, "");
    LLVMValueRef      same = LLVMBuildAnd(
        L->b, type_ok, LLVMBuildICmp(L->b, LLVMIntEQ, hint, code, ""),
        "hint.ok");

    moatL_branch_likely(L, LLVMBuildCondBr(L->b, same, join, slow));
    LLVMPositionBuilderAtEnd(L->b, slow);
    moatL_trap_if(L, LLVMBuildNot(L->b, type_ok, ""),
                  MOAT_ABI_TRAP_SIG_MISMATCH);
    LLVMTypeRef  vt = LLVMFunctionType(LLVMVoidTypeInContext(L->llctx), NULL,
                                       0, false);
    LLVMValueRef fence = LLVMGetInlineAsm(vt, "", 0, "", 0, true, false,
                                          LLVMInlineAsmDialectATT, false);
    LLVMBuildCall2(L->b, vt, fence, NULL, 0, "");
    LLVMBasicBlockRef stale = LLVMGetInsertBlock(L->b);
    LLVMBuildBr(L->b, join);
    LLVMPositionBuilderAtEnd(L->b, join);
    LLVMValueRef      target = LLVMBuildPhi(L->b, L->ptr, "target");
    LLVMValueRef      vals[2] = { hint, code };
    LLVMBasicBlockRef bbs[2] = { from, stale };
    LLVMAddIncoming(target, vals, bbs, 2);
    return target;
}

/* A deliberately broken lowering, for the checker's test only: in a
 * build with -Dtest_knobs=true, MOAT_TEST_BREAK=table-bound drops
 * call_indirect's table bound check (test/verify/run-broken-lowering.sh
 * asserts `moat verify --memory` rejects the result). Else never. */
static bool
broken_table_bound(void)
{
#ifdef MOAT_TEST_KNOBS
    const char *e = getenv("MOAT_TEST_BREAK");
    return e && !strcmp(e, "table-bound");
#else
    return false;
#endif
}

/* Bounds, null and type checks in the spec's order (4.4.8 call_indirect),
 * then the call. The code hint is loaded before the element, so that LLVM
 * numbers it first and keeps it, not the ref's code, as the target where
 * the two are known equal. */
void
moatL_call_indirect(Lower *L, const Insn *in)
{
    LLVMValueRef idx = moatL_vpop(L);
    LLVMValueRef tbl = moatL_table_ptr(L, in->b);

    if (!broken_table_bound())
        moatL_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGE, idx,
                                       table_bound(L, in->b, tbl), ""),
                      MOAT_ABI_TRAP_UNDEFINED_ELEM);
    LLVMValueRef elems = load_field(L, L->ptr, tbl,
                                    offsetof(MoatTable, elems), "elems");
    LLVMValueRef codes = load_field(L, L->ptr, tbl,
                                    offsetof(MoatTable, codes), "codes");
    LLVMValueRef i64 = LLVMBuildZExt(L->b, idx, L->i64, "");
    LLVMValueRef hp = LLVMBuildGEP2(L->b, L->ptr, codes, &i64, 1, "");
    LLVMValueRef hint = LLVMBuildLoad2(L->b, L->ptr, hp, "code.hint");
    LLVMValueRef slot = LLVMBuildGEP2(L->b, L->ptr, elems, &i64, 1, "");
    LLVMValueRef ref = LLVMBuildLoad2(L->b, L->ptr, slot, "funcref");
    moatL_trap_if(L, LLVMBuildIsNull(L->b, ref, ""),
                  MOAT_ABI_TRAP_NULL_FUNC);
    LLVMValueRef want = moatL_ctx_load_fixed(L, L->i32,
                                             moatA_type_id_at(&L->layout,
                                                              in->a),
                                             "type.id");
    LLVMValueRef code = checked_code(L, hint, ref, want);
    LLVMValueRef cctx = load_ref_field(L, L->ptr, ref,
                                       offsetof(MoatFuncRef, ctx), "ref.ctx");
    moatL_call_typed(L, in->a, code, cctx);
}
