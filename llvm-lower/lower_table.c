/* lower_table.c - references and tables (spec 4.4.2, 4.4.6). A funcref is
 * a MoatFuncRef *, an externref an opaque pointer; NULL is null. table.get
 * and table.set are inline; the rest call runtime helpers.
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
        moatL_vpush(L, moatL_ctx_load_fixed(L, L->ptr, L->layout.funcrefs +
                                                           (int64_t)in->a * 8,
                                            "ref.func"));
        break;
    default:
        assert(!"not a reference instruction");
    }
}

/* Address of element idx of table t, after the bounds check. */
static LLVMValueRef
elem_ptr(Lower *L, uint32_t t, LLVMValueRef idx)
{
    LLVMValueRef tbl = moatL_table_ptr(L, t);
    LLVMValueRef off = moatL_const_i64(L, offsetof(MoatTable, size));
    LLVMValueRef sp = LLVMBuildGEP2(L->b, L->i8, tbl, &off, 1, "");
    LLVMValueRef size = LLVMBuildLoad2(L->b, L->i32, sp, "table.size");

    moatL_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGE, idx, size, ""),
                  MOAT_ABI_TRAP_TABLE_OOB);
    LLVMValueRef elems = LLVMBuildLoad2(L->b, L->ptr, tbl, "elems");
    LLVMValueRef i64 = LLVMBuildZExt(L->b, idx, L->i64, "");
    return LLVMBuildGEP2(L->b, L->ptr, elems, &i64, 1, "");
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
        LLVMValueRef p = elem_ptr(L, in->a, moatL_vpop(L));
        moatL_vpush(L, LLVMBuildLoad2(L->b, L->ptr, p, "table.get"));
        break;
    }
    case OP_TABLE_SET: {
        LLVMValueRef v = moatL_vpop(L);
        LLVMBuildStore(L->b, v, elem_ptr(L, in->a, moatL_vpop(L)));
        break;
    }
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
