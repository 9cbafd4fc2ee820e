/* lower_simd_float.c - f32x4 and f64x2 lanes: comparisons, neg, min/max,
 * pmin/pmax, and the conversions between float and integer lanes (spec
 * 4.4.3). add/sub/mul/div and the rounding ops are plain rows of
 * lower_simd.c (binop, intr1, F_ARITH). NaNs (nan.c): demote and promote
 * give arithmetic results; comparisons, min/max (NaN lanes become the
 * canonical NaN) and trunc_sat take operands as they are; neg, pmin and
 * pmax show a NaN's bits and take them marked.
 */
#include <string.h>

#include "lower_simd.h"

void
moatL_simd_fcmp(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop_arith(L, s->shape);
    LLVMValueRef a = moatL_simd_pop_arith(L, s->shape);
    LLVMValueRef c = LLVMBuildFCmp(L->b, (LLVMRealPredicate)s->code, a, b,
                                   "");

    moatL_simd_push(L, moatL_simd_mask(L, c, s->shape,
                                       moatD_op_text(in->op)));
}

/* flips the sign bit only, NaNs included */
void
moatL_simd_fneg(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pop(L, s->shape);

    moatL_simd_push(L, LLVMBuildFNeg(L->b, a, moatD_op_text(in->op)));
}

/* x < y ? x : y, or (is_max) x > y ? x : y: y when either is NaN or both
 * are zeros. On x86-64 this is minps/maxps (minpd/maxpd) by definition,
 * and the intrinsic keeps it so: instcombine moves a select of bitcast
 * v128s to the integer domain, where the back end no longer sees a min. */
static LLVMValueRef
select_minmax(Lower *L, int shape, bool is_max, LLVMValueRef x,
              LLVMValueRef y)
{
    static const char *const x86[2][2] = {
        { "llvm.x86.sse.min.ps", "llvm.x86.sse.max.ps" },
        { "llvm.x86.sse2.min.pd", "llvm.x86.sse2.max.pd" },
    };
    LLVMValueRef args[2] = { x, y };

    if (moatL_simd_is_x86(L))
        return moatL_intrinsic(L, x86[shape == SH_F64X2][is_max], NULL, 0,
                               args, 2);
    LLVMValueRef c = LLVMBuildFCmp(L->b, is_max ? LLVMRealOGT : LLVMRealOLT,
                                   x, y, "");
    return LLVMBuildSelect(L->b, c, x, y, "");
}

/* f32x4/f64x2.min and max (spec fmin, fmax): a NaN in either lane gives a
 * NaN, and -0 < +0. Not llvm.minimum/maximum: x86 lowers those to a
 * sequence that passes a signalling NaN through unquieted, where wasm wants
 * an arithmetic NaN. select_minmax both ways round gives the answer unless
 * a lane holds a NaN or two zeros; for zeros the bitwise or (min) or and
 * (max) of the two picks -0 or +0, and NaN lanes become the canonical
 * NaN. */
void
moatL_simd_fminmax(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop_arith(L, s->shape);
    LLVMValueRef a = moatL_simd_pop_arith(L, s->shape);
    bool         is_max = s->flags & F_MAX;
    int          is = moatL_simd_int_shape(s->shape);
    LLVMTypeRef  it = moatL_simd_type(L, is);
    uint64_t     nan = is == SH_I32X4 ? 0x7fc00000u
                                      : UINT64_C(0x7ff8000000000000);
    LLVMValueRef ab = select_minmax(L, s->shape, is_max, a, b);
    LLVMValueRef ba = select_minmax(L, s->shape, is_max, b, a);

    ab = moatL_simd_as(L, ab, is);
    ba = moatL_simd_as(L, ba, is);
    LLVMValueRef r = is_max ? LLVMBuildAnd(L->b, ab, ba, "")
                            : LLVMBuildOr(L->b, ab, ba, "");
    LLVMValueRef uno = LLVMBuildFCmp(L->b, LLVMRealUNO, a, b, "");
    moatL_simd_push(L, LLVMBuildSelect(L->b, uno, moatL_simd_iconst(it, nan),
                                       r, moatD_op_text(in->op)));
}

/* pmin = b < a ? b : a, pmax = a < b ? b : a = b > a ? b : a, exactly:
 * NaNs pass through unchanged. */
void
moatL_simd_pminmax(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMValueRef r = select_minmax(L, s->shape, s->flags & F_MAX, b, a);
    const char  *name = moatD_op_text(in->op);

    LLVMSetValueName2(r, name, strlen(name));
    moatL_simd_push(L, r);
}

/* Two lanes, then two zero lanes. */
static LLVMValueRef
zero_high(Lower *L, LLVMValueRef v, const char *name)
{
    static const unsigned idx[4] = { 0, 1, 2, 3 };

    return moatL_simd_shuffle(L, v, LLVMConstNull(LLVMTypeOf(v)), idx, 4,
                              name);
}

static LLVMValueRef
fsplat(Lower *L, int shape, double x)
{
    LLVMValueRef lanes[4];
    unsigned     n = moatL_simd_lanes(shape);

    for (unsigned i = 0; i < n; i++)
        lanes[i] = LLVMConstReal(moatL_simd_lane_type(L, shape), x);
    return LLVMConstVector(lanes, n);
}

/* i32x4.trunc_sat_f32x4_s/u, i32x4.trunc_sat_f64x2_s/u_zero: NaN is 0,
 * out-of-range values saturate. Clamped into the range first, so that
 * fptosi/fptoui (cvttps2dq...) is exact; f32 cannot hold INT32_MAX or
 * UINT32_MAX, so values from 2^31 (2^32) up get it by a select. LLVM 19
 * scalarizes llvm.fpto[su]i.sat on x86, hence not that. */
void
moatL_simd_trunc_sat(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef x = moatL_simd_pop_arith(L, s->shape);
    bool         is_signed = s->flags & F_S, is_f32 = s->shape == SH_F32X4;
    unsigned     n = moatL_simd_lanes(s->shape);
    LLVMTypeRef  it = LLVMVectorType(L->i32, n);
    double       lo = is_signed ? -2147483648.0 : 0.0;
    double       hi = is_signed ? 2147483647.0 : 4294967295.0;
    double       top = !is_f32 ? hi : is_signed ? 2147483520.0 : 4294967040.0;
    const char  *name = moatD_op_text(in->op);

    LLVMValueRef v = select_minmax(L, s->shape, true, x, fsplat(L, s->shape,
                                                                 lo));
    v = select_minmax(L, s->shape, false, v, fsplat(L, s->shape, top));
    LLVMValueRef r = LLVMBuildCast(L->b, (LLVMOpcode)s->code, v, it, "");
    if (is_f32) {
        LLVMValueRef big = LLVMBuildFCmp(L->b, LLVMRealOGE, x,
                                         fsplat(L, s->shape, hi + 1), "");
        r = LLVMBuildSelect(L->b, big, moatL_simd_iconst(it, (uint64_t)hi), r,
                            "");
    }
    if (is_signed)                      /* NaN became lo */
        r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, LLVMRealUNO, x, x, ""),
                            LLVMConstNull(it), r, "");
    if (n == 4)
        LLVMSetValueName2(r, name, strlen(name));
    moatL_simd_push(L, n == 4 ? r : zero_high(L, r, name));
}

/* f32x4.convert_i32x4_s/u; F_LOW: f64x2.convert_low_i32x4_s/u */
void
moatL_simd_convert(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMTypeRef  t = moatL_simd_type(L, SH_F32X4);

    if (s->flags & F_LOW) {
        a = moatL_simd_pick(L, a, 0, 1, 2, "");
        t = moatL_simd_type(L, SH_F64X2);
    }
    moatL_simd_push(L, LLVMBuildCast(L->b, (LLVMOpcode)s->code, a, t,
                                     moatD_op_text(in->op)));
}

void
moatL_simd_demote(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pop_arith(L, s->shape);
    LLVMValueRef r = LLVMBuildFPTrunc(L->b, a, LLVMVectorType(L->f32, 2), "");

    moatL_simd_push_arith(L, zero_high(L, r, moatD_op_text(in->op)));
}

void
moatL_simd_promote(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef a = moatL_simd_pick(L, moatL_simd_pop_arith(L, s->shape),
                                     0, 1, 2, "");

    moatL_simd_push_arith(L, LLVMBuildFPExt(L->b, a,
                                            moatL_simd_type(L, SH_F64X2),
                                            moatD_op_text(in->op)));
}
