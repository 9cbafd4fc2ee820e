/* lower_simd_lane.c - v128.const and the lane instructions: shuffle,
 * swizzle, splat, extract_lane, replace_lane (spec 4.4.3). The op table and
 * the shape helpers are lower_simd.c's.
 */
#include "lower_simd.h"

void
moatL_simd_const(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef   lanes[4];
    const uint8_t *p = in->bytes;

    (void)s;
    for (unsigned i = 0; i < 4; i++, p += 4) {
        uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8
                     | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        lanes[i] = moatL_const_i32(L, v);
    }
    moatL_vpush(L, LLVMConstVector(lanes, 4));
}

/* i8x16.shuffle: lane i is byte in->bytes[i] of a:b (each < 32). */
void
moatL_simd_shuffle_op(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    unsigned     idx[16];

    for (unsigned i = 0; i < 16; i++) {
        assert(in->bytes[i] < 32);
        idx[i] = in->bytes[i];
    }
    moatL_simd_push(L, moatL_simd_shuffle(L, a, b, idx, 16,
                                          moatD_op_text(in->op)));
}

/* i8x16.swizzle: lane i is a[s[i]], or 0 when s[i] >= 16. The gather of
 * a[s[i] & 15] lane by lane is the pattern LLVM turns into one variable
 * permute (pshufb with SSSE3, tbl on AArch64); the select clears the lanes
 * whose index is out of range. */
void
moatL_simd_swizzle(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef idx = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMTypeRef  vt = moatL_simd_type(L, s->shape);
    LLVMValueRef low = LLVMBuildAnd(L->b, idx, moatL_simd_iconst(vt, 15), "");
    LLVMValueRef r = LLVMGetPoison(vt);

    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef at = moatL_const_i32(L, i);
        LLVMValueRef j = LLVMBuildExtractElement(L->b, low, at, "");
        LLVMValueRef x = LLVMBuildExtractElement(L->b, a, j, "");
        r = LLVMBuildInsertElement(L->b, r, x, at, "");
    }
    LLVMValueRef in_range = LLVMBuildICmp(L->b, LLVMIntULT, idx,
                                          moatL_simd_iconst(vt, 16), "");
    moatL_simd_push(L, LLVMBuildSelect(L->b, in_range, r, LLVMConstNull(vt),
                                       moatD_op_text(in->op)));
}

/* i8x16.splat and i16x8.splat take the low bits of an i32. */
void
moatL_simd_splat_op(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef x = moatL_vpop(L);
    LLVMTypeRef  lt = moatL_simd_lane_type(L, s->shape);

    if (s->shape == SH_I8X16 || s->shape == SH_I16X8)
        x = LLVMBuildTrunc(L->b, x, lt, "");
    assert(LLVMTypeOf(x) == lt);
    moatL_simd_push(L, moatL_simd_splat(L, x, moatL_simd_lanes(s->shape),
                                        moatD_op_text(in->op)));
}

void
moatL_simd_extract(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef v = moatL_simd_pop(L, s->shape);
    const char  *name = moatD_op_text(in->op);
    bool         is_narrow = s->shape == SH_I8X16 || s->shape == SH_I16X8;

    assert(in->lane < moatL_simd_lanes(s->shape));
    LLVMValueRef x = LLVMBuildExtractElement(
        L->b, v, moatL_const_i32(L, in->lane), is_narrow ? "" : name);
    if (is_narrow)
        x = (s->flags & F_S) ? LLVMBuildSExt(L->b, x, L->i32, name)
                             : LLVMBuildZExt(L->b, x, L->i32, name);
    moatL_vpush(L, x);
}

void
moatL_simd_replace(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef x = moatL_vpop(L);
    LLVMValueRef v = moatL_simd_pop(L, s->shape);
    LLVMTypeRef  lt = moatL_simd_lane_type(L, s->shape);

    assert(in->lane < moatL_simd_lanes(s->shape));
    if (s->shape == SH_I8X16 || s->shape == SH_I16X8)
        x = LLVMBuildTrunc(L->b, x, lt, "");
    assert(LLVMTypeOf(x) == lt);
    moatL_simd_push(L, LLVMBuildInsertElement(L->b, v, x,
                                              moatL_const_i32(L, in->lane),
                                              moatD_op_text(in->op)));
}
