/* lower_simd_int.c - bitwise v128 instructions and integer lanes of one
 * shape: arithmetic, saturating arithmetic, min/max, comparisons, shifts,
 * abs/neg/popcnt, any_true/all_true/bitmask (spec 4.4.3). Instructions
 * that change the lane width are lower_simd_widen.c's.
 */
#include "lower_simd.h"

/* The rows of lower_simd.c give the LLVMOpcode: add, sub, mul, and, or,
 * xor, and the float fadd, fsub, fmul, fdiv. */
void
moatL_simd_binop(Lower *L, const Insn *in, const SimdOp *s)
{
    bool         is_arith = s->flags & F_ARITH;
    LLVMValueRef b = is_arith ? moatL_simd_pop_arith(L, s->shape)
                              : moatL_simd_pop(L, s->shape);
    LLVMValueRef a = is_arith ? moatL_simd_pop_arith(L, s->shape)
                              : moatL_simd_pop(L, s->shape);
    LLVMValueRef r = LLVMBuildBinOp(L->b, (LLVMOpcode)s->code, a, b,
                                    moatD_op_text(in->op));

    if (is_arith)
        moatL_simd_push_arith(L, r);
    else
        moatL_simd_push(L, r);
}

void
moatL_simd_andnot(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);

    moatL_simd_push(L, LLVMBuildAnd(L->b, a, LLVMBuildNot(L->b, b, ""),
                                    moatD_op_text(in->op)));
}

void
moatL_simd_not(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pop(L, s->shape);

    moatL_simd_push(L, LLVMBuildNot(L->b, a, moatD_op_text(in->op)));
}

/* v128.bitselect v1 v2 c = (v1 & c) | (v2 & ~c) */
void
moatL_simd_bitselect(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef c = moatL_simd_pop(L, s->shape);
    LLVMValueRef v2 = moatL_simd_pop(L, s->shape);
    LLVMValueRef v1 = moatL_simd_pop(L, s->shape);
    LLVMValueRef t = LLVMBuildAnd(L->b, v1, c, "");
    LLVMValueRef f = LLVMBuildAnd(L->b, v2, LLVMBuildNot(L->b, c, ""), "");

    moatL_simd_push(L, LLVMBuildOr(L->b, t, f, moatD_op_text(in->op)));
}

void
moatL_simd_any_true(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMTypeRef  i128 = LLVMIntTypeInContext(L->llctx, 128);
    LLVMValueRef v = LLVMBuildBitCast(L->b, moatL_simd_pop(L, s->shape),
                                      i128, "");
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v, LLVMConstNull(i128),
                                    "");

    moatL_vpush(L, LLVMBuildZExt(L->b, nz, L->i32, moatD_op_text(in->op)));
}

/* The lanes of a <n x i1> as the n bits of an integer. */
static LLVMValueRef
lane_bits(Lower *L, LLVMValueRef cmp)
{
    unsigned n = LLVMGetVectorSize(LLVMTypeOf(cmp));

    return LLVMBuildBitCast(L->b, cmp, LLVMIntTypeInContext(L->llctx, n), "");
}

void
moatL_simd_all_true(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef v = moatL_simd_pop(L, s->shape);
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v,
                                    LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMValueRef bits = lane_bits(L, nz);
    LLVMValueRef all = LLVMBuildICmp(L->b, LLVMIntEQ, bits,
                                     LLVMConstAllOnes(LLVMTypeOf(bits)), "");

    moatL_vpush(L, LLVMBuildZExt(L->b, all, L->i32, moatD_op_text(in->op)));
}

/* bit i of the result is the sign of lane i */
void
moatL_simd_bitmask(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef v = moatL_simd_pop(L, s->shape);
    LLVMValueRef neg = LLVMBuildICmp(L->b, LLVMIntSLT, v,
                                     LLVMConstNull(LLVMTypeOf(v)), "");

    moatL_vpush(L, LLVMBuildZExt(L->b, lane_bits(L, neg), L->i32,
                                 moatD_op_text(in->op)));
}

void
moatL_simd_icmp(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMValueRef c = LLVMBuildICmp(L->b, (LLVMIntPredicate)s->code, a, b, "");

    moatL_simd_push(L, moatL_simd_mask(L, c, s->shape,
                                       moatD_op_text(in->op)));
}

/* The count is taken modulo the lane width (spec: ishl, ishr_s, ishr_u). */
void
moatL_simd_shift(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef n = moatL_vpop(L);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMTypeRef  lt = moatL_simd_lane_type(L, s->shape);
    unsigned     bits = LLVMGetIntTypeWidth(lt);

    n = LLVMBuildAnd(L->b, n, moatL_const_i32(L, bits - 1), "");
    if (bits < 32)
        n = LLVMBuildTrunc(L->b, n, lt, "");
    else if (bits > 32)
        n = LLVMBuildZExt(L->b, n, lt, "");
    n = moatL_simd_splat(L, n, moatL_simd_lanes(s->shape), "");
    moatL_simd_push(L, LLVMBuildBinOp(L->b, (LLVMOpcode)s->code, a, n,
                                      moatD_op_text(in->op)));
}

/* popcnt, and the float abs, sqrt, ceil, floor, trunc, nearest */
void
moatL_simd_intr1(Lower *L, const Insn *in, const SimdOp *s)
{
    bool         is_arith = s->flags & F_ARITH;
    LLVMValueRef a = is_arith ? moatL_simd_pop_arith(L, s->shape)
                              : moatL_simd_pop(L, s->shape);
    LLVMValueRef r = moatL_simd_call(L, s->intr, s->shape, &a, 1,
                                     moatD_op_text(in->op));

    if (is_arith)
        moatL_simd_push_arith(L, r);
    else
        moatL_simd_push(L, r);
}

/* add_sat, sub_sat, min, max */
void
moatL_simd_intr2(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef args[2];

    args[1] = moatL_simd_pop(L, s->shape);
    args[0] = moatL_simd_pop(L, s->shape);
    moatL_simd_push(L, moatL_simd_call(L, s->intr, s->shape, args, 2,
                                       moatD_op_text(in->op)));
}

void
moatL_simd_ineg(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pop(L, s->shape);

    moatL_simd_push(L, LLVMBuildNeg(L->b, a, moatD_op_text(in->op)));
}

/* abs of the most negative lane value is that value: not poison */
void
moatL_simd_iabs(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef args[2];

    args[0] = moatL_simd_pop(L, s->shape);
    args[1] = LLVMConstInt(L->i1, 0, false);
    moatL_simd_push(L, moatL_simd_call(L, "llvm.abs", s->shape, args, 2,
                                       moatD_op_text(in->op)));
}
