/* lower_simd_widen.c - integer lane instructions that change the lane
 * width on the way: narrow, extend, extmul, extadd_pairwise, dot,
 * q15mulr_sat_s and avgr_u (spec 4.4.3). Each is plain IR on wider lanes,
 * in the shapes LLVM's x86 back end matches to packss/packus, pmovsx/pmovzx,
 * pmaddwd and pavg; pmulhrsw and pmaddubsw, which it does not match, are
 * x86 intrinsics when the target has them.
 */
#include <string.h>

#include "lower_simd.h"

static LLVMValueRef
intr2(Lower *L, const char *intr, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef  t = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, b };

    return moatL_intrinsic(L, intr, &t, 1, args, 2);
}

/* The integer vector type with v's lane count and lanes of `bits`. */
static LLVMTypeRef
lanes_of(Lower *L, LLVMValueRef v, unsigned bits)
{
    return LLVMVectorType(LLVMIntTypeInContext(L->llctx, bits),
                          LLVMGetVectorSize(LLVMTypeOf(v)));
}

static LLVMValueRef
ext(Lower *L, LLVMValueRef v, unsigned bits, bool is_signed)
{
    LLVMTypeRef t = lanes_of(L, v, bits);

    return is_signed ? LLVMBuildSExt(L->b, v, t, "")
                     : LLVMBuildZExt(L->b, v, t, "");
}

/* i8x16.narrow_i16x8_s/u, i16x8.narrow_i32x4_s/u: the lanes of a, then of
 * b, each saturated to the narrow range, signed or unsigned; the inputs are
 * signed either way. */
void
moatL_simd_narrow(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    unsigned     n = moatL_simd_lanes(s->shape);
    unsigned     bits = 128 / n / 2;
    unsigned     idx[16];
    int64_t      lo = (s->flags & F_S) ? -((int64_t)1 << (bits - 1)) : 0;
    int64_t      hi = (s->flags & F_S) ? ((int64_t)1 << (bits - 1)) - 1
                                       : ((int64_t)1 << bits) - 1;

    for (unsigned i = 0; i < 2 * n; i++)
        idx[i] = i;
    LLVMValueRef ab = moatL_simd_shuffle(L, a, b, idx, 2 * n, "");
    LLVMTypeRef  t = LLVMTypeOf(ab);
    ab = intr2(L, "llvm.smax", ab, moatL_simd_iconst(t, (uint64_t)lo));
    ab = intr2(L, "llvm.smin", ab, moatL_simd_iconst(t, (uint64_t)hi));
    moatL_simd_push(L, LLVMBuildTrunc(L->b, ab, lanes_of(L, ab, bits),
                                      moatD_op_text(in->op)));
}

/* *.extend_low/high_*: shape is the narrow input. */
void
moatL_simd_extend(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef v = moatL_simd_pop(L, s->shape);

    moatL_simd_push(L, moatL_simd_extend_half(L, v, s->flags & F_HI,
                                              s->flags & F_S,
                                              moatD_op_text(in->op)));
}

/* *.extmul_low/high_*: the product of the extended halves; exact. */
void
moatL_simd_extmul(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    bool         is_high = s->flags & F_HI, is_signed = s->flags & F_S;

    a = moatL_simd_extend_half(L, a, is_high, is_signed, "");
    b = moatL_simd_extend_half(L, b, is_high, is_signed, "");
    moatL_simd_push(L, LLVMBuildMul(L->b, a, b, moatD_op_text(in->op)));
}

/* extadd_pairwise as one pmaddubsw (SSSE3; unsigned bytes of the first
 * operand times signed bytes of the second, pairs added: no pair of bytes
 * times 1 reaches its saturation) or pmaddwd (SSE2, signed words); LLVM
 * matches neither. NULL when the target has no such instruction. */
static LLVMValueRef
x86_extadd(Lower *L, const SimdOp *s, LLVMValueRef v)
{
    LLVMValueRef ones = moatL_simd_iconst(LLVMTypeOf(v), 1);
    LLVMValueRef args[2] = { v, ones };

    if (s->shape == SH_I8X16 && moatL_simd_has(L, "ssse3")) {
        if (s->flags & F_S) {
            args[0] = ones;
            args[1] = v;
        }
        return moatL_intrinsic(L, "llvm.x86.ssse3.pmadd.ub.sw.128", NULL, 0,
                               args, 2);
    }
    if (s->shape == SH_I16X8 && (s->flags & F_S) && moatL_simd_is_x86(L))
        return moatL_intrinsic(L, "llvm.x86.sse2.pmadd.wd", NULL, 0, args, 2);
    return NULL;
}

/* *.extadd_pairwise_*: lane i is v[2i] + v[2i+1], extended; exact. */
void
moatL_simd_extadd(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef v = moatL_simd_pop(L, s->shape);
    unsigned     n = moatL_simd_lanes(s->shape) / 2;
    unsigned     bits = 2 * 128 / moatL_simd_lanes(s->shape);
    const char  *name = moatD_op_text(in->op);
    LLVMValueRef r = x86_extadd(L, s, v);

    if (r != NULL) {
        LLVMSetValueName2(r, name, strlen(name));
        moatL_simd_push(L, r);
        return;
    }
    LLVMValueRef even = ext(L, moatL_simd_pick(L, v, 0, 2, n, ""), bits,
                            s->flags & F_S);
    LLVMValueRef odd = ext(L, moatL_simd_pick(L, v, 1, 2, n, ""), bits,
                           s->flags & F_S);
    moatL_simd_push(L, LLVMBuildAdd(L->b, even, odd, name));
}

/* i32x4.dot_i16x8_s: lane i is a[2i]*b[2i] + a[2i+1]*b[2i+1] in 32 bits;
 * only -32768 * -32768 * 2 wraps, to INT32_MIN, as pmaddwd does. */
void
moatL_simd_dot(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = ext(L, moatL_simd_pop(L, s->shape), 32, true);
    LLVMValueRef a = ext(L, moatL_simd_pop(L, s->shape), 32, true);
    LLVMValueRef p = LLVMBuildMul(L->b, a, b, "");
    LLVMValueRef even = moatL_simd_pick(L, p, 0, 2, 4, "");
    LLVMValueRef odd = moatL_simd_pick(L, p, 1, 2, 4, "");

    moatL_simd_push(L, LLVMBuildAdd(L->b, even, odd, moatD_op_text(in->op)));
}

/* i16x8.q15mulr_sat_s: (a*b + 0x4000) >> 15, saturated. That is pmulhrsw
 * (SSSE3), but for -32768 * -32768, which it wraps to -32768 and which is
 * the only product out of range; no other lane gives -32768, so a select
 * turns -32768 into 32767. LLVM does not match pmulhrsw itself. */
void
moatL_simd_q15mulr(Lower *L, const Insn *in, const SimdOp *s)
{
    LLVMValueRef b = moatL_simd_pop(L, s->shape);
    LLVMValueRef a = moatL_simd_pop(L, s->shape);
    LLVMTypeRef  vt = LLVMTypeOf(a);
    LLVMValueRef r;

    if (moatL_simd_has(L, "ssse3")) {
        LLVMValueRef args[2] = { a, b };
        r = moatL_intrinsic(L, "llvm.x86.ssse3.pmul.hr.sw.128", NULL, 0,
                            args, 2);
    } else {
        LLVMValueRef p = LLVMBuildMul(L->b, ext(L, a, 32, true),
                                      ext(L, b, 32, true), "");
        LLVMTypeRef  t = LLVMTypeOf(p);
        p = LLVMBuildAdd(L->b, p, moatL_simd_iconst(t, 0x4000), "");
        p = LLVMBuildAShr(L->b, p, moatL_simd_iconst(t, 15), "");
        r = LLVMBuildTrunc(L->b, p, vt, "");
    }
    LLVMValueRef wrapped = LLVMBuildICmp(L->b, LLVMIntEQ, r,
                                         moatL_simd_iconst(vt, 0x8000), "");
    moatL_simd_push(L, LLVMBuildSelect(L->b, wrapped,
                                       moatL_simd_iconst(vt, 0x7fff), r,
                                       moatD_op_text(in->op)));
}

/* i8x16.avgr_u, i16x8.avgr_u: (a + b + 1) >> 1 without overflow */
void
moatL_simd_avgr(Lower *L, const Insn *in, const SimdOp *s)
{
    unsigned     bits = 2 * 128 / moatL_simd_lanes(s->shape);
    LLVMValueRef b = ext(L, moatL_simd_pop(L, s->shape), bits, false);
    LLVMValueRef a = ext(L, moatL_simd_pop(L, s->shape), bits, false);
    LLVMTypeRef  t = LLVMTypeOf(a);
    LLVMValueRef sum = LLVMBuildAdd(L->b, a, b, "");

    sum = LLVMBuildAdd(L->b, sum, moatL_simd_iconst(t, 1), "");
    sum = LLVMBuildLShr(L->b, sum, moatL_simd_iconst(t, 1), "");
    moatL_simd_push(L, LLVMBuildTrunc(L->b, sum, moatL_simd_type(L, s->shape),
                                      moatD_op_text(in->op)));
}
