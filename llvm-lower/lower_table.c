/* lower_table.c - references and tables (spec 4.4.2, 4.4.6). A funcref is
 * a MoatFuncRef *, an externref an opaque pointer; NULL is null. table.get
 * is inline; so is table.set of a funcref into an own table when both the
 * stored and the replaced reference are null or the instance's own (the
 * runtime counts every other: docs/runtime.md, "Lifetimes"); the rest
 * call runtime helpers.
 */
#include "lower.h"

void
moatL_ref(Lower *L, const Insn *in)
{
    switch (in->op) {
    case OP_REF_NULL:
        moatL_vpush(L, LLVMConstPointerNull(L->ptr));
        break;
    case OP_REF_IS_NULL: {
        LLVMValueRef isn = LLVMBuildIsNull(L->b, moatL_vpop(L), "");
        moatL_vpush(L, LLVMBuildZExt(L->b, isn, L->i32, "ref.is_null"));
        break;
    }
    case OP_REF_FUNC:
        moatL_vpush(L, moatL_ctx_load_fixed(L, L->ptr,
                                            moatA_funcref_at(&L->layout,
                                                             in->a),
                                            "ref.func"));
        break;
    default:
        assert(!"not a reference instruction");
    }
}

/* Address of element idx of table t, after the bounds check; *at, if
 * not NULL, gets idx as an i64. */
static LLVMValueRef
elem_ptr(Lower *L, uint32_t t, LLVMValueRef idx, LLVMValueRef *at)
{
    LLVMValueRef tbl = moatL_table_ptr(L, t);
    LLVMValueRef off = moatL_const_i64(L, offsetof(MoatTable, size));
    LLVMValueRef sp = LLVMBuildGEP2(L->b, L->i8, tbl, &off, 1, "");
    LLVMValueRef size = LLVMBuildLoad2(L->b, L->i32, sp, "table.size");

    moatL_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGE, idx, size, ""),
                  MOAT_ABI_TRAP_TABLE_OOB);
    LLVMValueRef elems = LLVMBuildLoad2(L->b, L->ptr, tbl, "elems");
    LLVMValueRef i64 = LLVMBuildZExt(L->b, idx, L->i64, "");
    if (at)
        *at = i64;
    return LLVMBuildGEP2(L->b, L->ptr, elems, &i64, 1, "");
}

/* Whether funcref ref is null or one of this instance's own (inside
 * [ctx[MOAT_CTX_FUNCS], + ctx[MOAT_CTX_FUNCS_SIZE])): such a reference
 * may be stored into the instance's own tables and globals uncounted. */
LLVMValueRef
moatL_ref_is_own(Lower *L, LLVMValueRef ref)
{
    LLVMValueRef lo = moatL_ctx_load_fixed(L, L->i64, MOAT_CTX_FUNCS,
                                           "funcs");
    LLVMValueRef len = moatL_ctx_load_fixed(L, L->i64, MOAT_CTX_FUNCS_SIZE,
                                            "funcs.size");
    LLVMValueRef r = LLVMBuildPtrToInt(L->b, ref, L->i64, "");
    LLVMValueRef off = LLVMBuildSub(L->b, r, lo, "");
    LLVMValueRef own = LLVMBuildICmp(L->b, LLVMIntULT, off, len, "");
    LLVMValueRef null = LLVMBuildICmp(L->b, LLVMIntEQ, r,
                                      moatL_const_i64(L, 0), "");
    return LLVMBuildOr(L->b, own, null, "ref.own");
}

/* Weights br: its first successor is the likely one. */
void
moatL_branch_likely(Lower *L, LLVMValueRef br)
{
    LLVMMetadataRef md[3] = {
        LLVMMDStringInContext2(L->llctx, "branch_weights", 14),
        LLVMValueAsMetadata(moatL_const_i32(L, 1u << 20)),
        LLVMValueAsMetadata(moatL_const_i32(L, 1)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(L->llctx, "prof", 4),
                    LLVMMetadataAsValue(L->llctx,
                                        LLVMMDNodeInContext2(L->llctx, md,
                                                             3)));
}

/* if (is_inline) *p = v (tagged tbaa, if any); else helper h(args): a
 * funcref store. */
void
moatL_ref_store(Lower *L, LLVMValueRef is_inline, LLVMValueRef v,
                LLVMValueRef p, LLVMValueRef tbaa, int h, LLVMValueRef *args,
                unsigned n)
{
    LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                         "ref.inline");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "ref.counted");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "");
    LLVMValueRef      br = LLVMBuildCondBr(L->b, is_inline, st, slow);

    moatL_branch_likely(L, br);
    LLVMPositionBuilderAtEnd(L->b, st);
    LLVMValueRef store = LLVMBuildStore(L->b, v, p);
    if (tbaa)
        LLVMSetMetadata(store, L->tbaa_kind, tbaa);
    LLVMBuildBr(L->b, done);
    LLVMPositionBuilderAtEnd(L->b, slow);
    moatL_call_helper(L, h, args, n);
    LLVMBuildBr(L->b, done);
    LLVMPositionBuilderAtEnd(L->b, done);
}

/* Element i64 of table t now holds funcref v: its code hint follows
 * (runtime/abi.h, MoatTable; a null element's hint may stay, the null
 * check comes first). */
static void
store_code_hint(Lower *L, uint32_t t, LLVMValueRef i64, LLVMValueRef v)
{
    LLVMBasicBlockRef st = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                         "hint.store");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "");
    LLVMValueRef      tbl = moatL_table_ptr(L, t);
    LLVMValueRef      off = moatL_const_i64(L, offsetof(MoatTable, codes));

    LLVMBuildCondBr(L->b, LLVMBuildIsNull(L->b, v, ""), done, st);
    LLVMPositionBuilderAtEnd(L->b, st);
    LLVMValueRef codes = LLVMBuildLoad2(L->b, L->ptr,
                                        LLVMBuildGEP2(L->b, L->i8, tbl, &off,
                                                      1, ""), "codes");
    LLVMValueRef code = LLVMBuildLoad2(L->b, L->ptr, v, "ref.code");
    LLVMBuildStore(L->b, code,
                   LLVMBuildGEP2(L->b, L->ptr, codes, &i64, 1, ""));
    LLVMBuildBr(L->b, done);
    LLVMPositionBuilderAtEnd(L->b, done);
}

static void
table_set(Lower *L, uint32_t t)
{
    LLVMValueRef v = moatL_vpop(L);
    LLVMValueRef idx = moatL_vpop(L);
    LLVMValueRef args[4] = { L->ctx, moatL_const_i32(L, t), idx, v };

    if (L->m->tables[t].elem != T_FUNCREF) {
        LLVMBuildStore(L->b, v, elem_ptr(L, t, idx, NULL));
        return;
    }
    if (t < L->m->ntable_imports) {     /* owner unknown here */
        moatL_call_helper(L, H_TABLE_SET, args, 4);
        return;
    }
    LLVMValueRef i64;
    LLVMValueRef p = elem_ptr(L, t, idx, &i64);
    LLVMValueRef old = LLVMBuildLoad2(L->b, L->ptr, p, "table.old");
    LLVMValueRef ok = LLVMBuildAnd(L->b, moatL_ref_is_own(L, v),
                                   moatL_ref_is_own(L, old), "");
    moatL_ref_store(L, ok, v, p, NULL, H_TABLE_SET, args, 4);
    store_code_hint(L, t, i64, v);      /* the helper's store made one too */
}

static void
table_size(Lower *L, uint32_t t)
{
    LLVMValueRef tbl = moatL_table_ptr(L, t);
    LLVMValueRef off = moatL_const_i64(L, offsetof(MoatTable, size));
    LLVMValueRef sp = LLVMBuildGEP2(L->b, L->i8, tbl, &off, 1, "");
    moatL_vpush(L, LLVMBuildLoad2(L->b, L->i32, sp, "table.size"));
}

/* Helpers take (ctx, immediates..., operands...) in wasm operand order. */
static void
call_with_operands(Lower *L, int h, LLVMValueRef *imm, unsigned nimm,
                   unsigned nops, bool has_result)
{
    LLVMValueRef args[8] = { L->ctx };
    for (unsigned i = 0; i < nimm; i++)
        args[1 + i] = imm[i];
    for (unsigned i = nops; i > 0; i--)
        args[nimm + i] = moatL_vpop(L);
    LLVMValueRef r = moatL_call_helper(L, h, args, 1 + nimm + nops);
    if (has_result)
        moatL_vpush(L, r);
}

void
moatL_table(Lower *L, const Insn *in)
{
    LLVMValueRef a = moatL_const_i32(L, in->a);
    LLVMValueRef ab[2] = { a, moatL_const_i32(L, in->b) };

    switch (in->op) {
    case OP_TABLE_GET: {
        LLVMValueRef p = elem_ptr(L, in->a, moatL_vpop(L), NULL);
        moatL_vpush(L, LLVMBuildLoad2(L->b, L->ptr, p, "table.get"));
        break;
    }
    case OP_TABLE_SET: table_set(L, in->a); break;
    case OP_TABLE_SIZE: table_size(L, in->a); break;
    case OP_TABLE_GROW: call_with_operands(L, H_TABLE_GROW, &a, 1, 2, true);
                        break;
    case OP_TABLE_FILL: call_with_operands(L, H_TABLE_FILL, &a, 1, 3, false);
                        break;
    case OP_TABLE_COPY: call_with_operands(L, H_TABLE_COPY, ab, 2, 3, false);
                        break;
    case OP_TABLE_INIT: {           /* helper takes (table, segment) */
        LLVMValueRef ts[2] = { ab[1], ab[0] };
        call_with_operands(L, H_TABLE_INIT, ts, 2, 3, false);
        break;
    }
    case OP_ELEM_DROP: call_with_operands(L, H_ELEM_DROP, &a, 1, 0, false);
                       break;
    default:
        assert(!"not a table instruction");
    }
}
