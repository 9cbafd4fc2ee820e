/* lower_simd.c - fixed-width SIMD (spec 4.4.3, vector instructions): the
 * table from each 0xfd instruction to its handler and lane shape, the
 * dispatch, and the small builders the other lower_simd_*.c files share.
 * Memory accesses are lower_simd_mem.c's; the handlers live by class in
 * lower_simd_{lane,int,widen,float}.c.
 */
#include <string.h>

#include "lower_simd.h"

#define ROW(op, f, sh, fl, c, i) [OP_##op] = { f, SH_##sh, fl, c, i }
#define FN(op, f, sh, fl)   ROW(op, moatL_simd_##f, sh, fl, 0, NULL)
#define BIN(op, sh, c)      ROW(op, moatL_simd_binop, sh, 0, c, NULL)
#define SHIFT(op, sh, c)    ROW(op, moatL_simd_shift, sh, 0, c, NULL)
#define INTR1(op, sh, i)    ROW(op, moatL_simd_intr1, sh, 0, 0, i)
#define INTR2(op, sh, i)    ROW(op, moatL_simd_intr2, sh, 0, 0, i)
#define FBIN(op, sh, c)     ROW(op, moatL_simd_binop, sh, F_ARITH, c, NULL)
#define FINTR1(op, sh, i)   ROW(op, moatL_simd_intr1, sh, F_ARITH, 0, i)
#define ICMP(op, sh, c)     ROW(op, moatL_simd_icmp, sh, 0, c, NULL)
#define FCMP(op, sh, c)     ROW(op, moatL_simd_fcmp, sh, 0, c, NULL)
#define CONV(op, f, sh, fl, c, i) ROW(op, moatL_simd_##f, sh, fl, c, i)

/* eq ne lt gt le ge of a lane shape p, signed and unsigned */
#define ICMP10(p) \
    ICMP(p##_EQ, p, LLVMIntEQ), ICMP(p##_NE, p, LLVMIntNE), \
    ICMP(p##_LT_S, p, LLVMIntSLT), ICMP(p##_LT_U, p, LLVMIntULT), \
    ICMP(p##_GT_S, p, LLVMIntSGT), ICMP(p##_GT_U, p, LLVMIntUGT), \
    ICMP(p##_LE_S, p, LLVMIntSLE), ICMP(p##_LE_U, p, LLVMIntULE), \
    ICMP(p##_GE_S, p, LLVMIntSGE), ICMP(p##_GE_U, p, LLVMIntUGE)
#define FCMP6(p) \
    FCMP(p##_EQ, p, LLVMRealOEQ), FCMP(p##_NE, p, LLVMRealUNE), \
    FCMP(p##_LT, p, LLVMRealOLT), FCMP(p##_GT, p, LLVMRealOGT), \
    FCMP(p##_LE, p, LLVMRealOLE), FCMP(p##_GE, p, LLVMRealOGE)
/* add, sub, add/sub_sat and avgr_u of i8x16 and i16x8 */
#define IARITH(p) \
    BIN(p##_ADD, p, LLVMAdd), BIN(p##_SUB, p, LLVMSub), \
    INTR2(p##_ADD_SAT_S, p, "llvm.sadd.sat"), \
    INTR2(p##_ADD_SAT_U, p, "llvm.uadd.sat"), \
    INTR2(p##_SUB_SAT_S, p, "llvm.ssub.sat"), \
    INTR2(p##_SUB_SAT_U, p, "llvm.usub.sat"), \
    FN(p##_AVGR_U, avgr, p, 0)
#define IMINMAX(p) \
    INTR2(p##_MIN_S, p, "llvm.smin"), INTR2(p##_MIN_U, p, "llvm.umin"), \
    INTR2(p##_MAX_S, p, "llvm.smax"), INTR2(p##_MAX_U, p, "llvm.umax")
#define ISHIFT(p) \
    SHIFT(p##_SHL, p, LLVMShl), SHIFT(p##_SHR_S, p, LLVMAShr), \
    SHIFT(p##_SHR_U, p, LLVMLShr)
#define IBOOL(p) \
    FN(p##_ABS, iabs, p, 0), FN(p##_NEG, ineg, p, 0), \
    FN(p##_ALL_TRUE, all_true, p, 0), FN(p##_BITMASK, bitmask, p, 0)
/* extend and extmul of the narrow shape n into the wide shape w */
#define IWIDEN(w, n) \
    FN(w##_EXTEND_LOW_##n##_S, extend, n, F_S), \
    FN(w##_EXTEND_HIGH_##n##_S, extend, n, F_S | F_HI), \
    FN(w##_EXTEND_LOW_##n##_U, extend, n, 0), \
    FN(w##_EXTEND_HIGH_##n##_U, extend, n, F_HI), \
    FN(w##_EXTMUL_LOW_##n##_S, extmul, n, F_S), \
    FN(w##_EXTMUL_HIGH_##n##_S, extmul, n, F_S | F_HI), \
    FN(w##_EXTMUL_LOW_##n##_U, extmul, n, 0), \
    FN(w##_EXTMUL_HIGH_##n##_U, extmul, n, F_HI)
/* F_ARITH: the NaN a lane gets must be quiet (spec 4.3.3); abs, neg,
 * pmin and pmax keep NaN bits as they are */
#define FARITH(p) \
    FBIN(p##_ADD, p, LLVMFAdd), FBIN(p##_SUB, p, LLVMFSub), \
    FBIN(p##_MUL, p, LLVMFMul), FBIN(p##_DIV, p, LLVMFDiv), \
    FN(p##_MIN, fminmax, p, 0), FN(p##_MAX, fminmax, p, F_MAX), \
    FN(p##_PMIN, pminmax, p, 0), FN(p##_PMAX, pminmax, p, F_MAX), \
    INTR1(p##_ABS, p, "llvm.fabs"), FN(p##_NEG, fneg, p, 0), \
    FINTR1(p##_SQRT, p, "llvm.sqrt"), FINTR1(p##_CEIL, p, "llvm.ceil"), \
    FINTR1(p##_FLOOR, p, "llvm.floor"), FINTR1(p##_TRUNC, p, "llvm.trunc"), \
    FINTR1(p##_NEAREST, p, "llvm.roundeven")

static const SimdOp simd_ops[NOP_COUNT] = {
    /* lanes: lower_simd_lane.c */
    FN(V128_CONST, const, I32X4, 0),
    FN(I8X16_SHUFFLE, shuffle_op, I8X16, 0),
    FN(I8X16_SWIZZLE, swizzle, I8X16, 0),
    FN(I8X16_SPLAT, splat_op, I8X16, 0), FN(I16X8_SPLAT, splat_op, I16X8, 0),
    FN(I32X4_SPLAT, splat_op, I32X4, 0), FN(I64X2_SPLAT, splat_op, I64X2, 0),
    FN(F32X4_SPLAT, splat_op, F32X4, 0), FN(F64X2_SPLAT, splat_op, F64X2, 0),
    FN(I8X16_EXTRACT_LANE_S, extract, I8X16, F_S),
    FN(I8X16_EXTRACT_LANE_U, extract, I8X16, 0),
    FN(I16X8_EXTRACT_LANE_S, extract, I16X8, F_S),
    FN(I16X8_EXTRACT_LANE_U, extract, I16X8, 0),
    FN(I32X4_EXTRACT_LANE, extract, I32X4, 0),
    FN(I64X2_EXTRACT_LANE, extract, I64X2, 0),
    FN(F32X4_EXTRACT_LANE, extract, F32X4, 0),
    FN(F64X2_EXTRACT_LANE, extract, F64X2, 0),
    FN(I8X16_REPLACE_LANE, replace, I8X16, 0),
    FN(I16X8_REPLACE_LANE, replace, I16X8, 0),
    FN(I32X4_REPLACE_LANE, replace, I32X4, 0),
    FN(I64X2_REPLACE_LANE, replace, I64X2, 0),
    FN(F32X4_REPLACE_LANE, replace, F32X4, 0),
    FN(F64X2_REPLACE_LANE, replace, F64X2, 0),

    /* bitwise and boolean: lower_simd_int.c */
    FN(V128_NOT, not, I32X4, 0),
    BIN(V128_AND, I32X4, LLVMAnd), BIN(V128_OR, I32X4, LLVMOr),
    BIN(V128_XOR, I32X4, LLVMXor), FN(V128_ANDNOT, andnot, I32X4, 0),
    FN(V128_BITSELECT, bitselect, I32X4, 0),
    FN(V128_ANY_TRUE, any_true, I32X4, 0),

    /* integer lanes: lower_simd_int.c, lower_simd_widen.c */
    ICMP10(I8X16), ICMP10(I16X8), ICMP10(I32X4),
    ICMP(I64X2_EQ, I64X2, LLVMIntEQ), ICMP(I64X2_NE, I64X2, LLVMIntNE),
    ICMP(I64X2_LT_S, I64X2, LLVMIntSLT), ICMP(I64X2_GT_S, I64X2, LLVMIntSGT),
    ICMP(I64X2_LE_S, I64X2, LLVMIntSLE), ICMP(I64X2_GE_S, I64X2, LLVMIntSGE),
    IARITH(I8X16), IARITH(I16X8),
    BIN(I32X4_ADD, I32X4, LLVMAdd), BIN(I32X4_SUB, I32X4, LLVMSub),
    BIN(I64X2_ADD, I64X2, LLVMAdd), BIN(I64X2_SUB, I64X2, LLVMSub),
    BIN(I16X8_MUL, I16X8, LLVMMul), BIN(I32X4_MUL, I32X4, LLVMMul),
    BIN(I64X2_MUL, I64X2, LLVMMul),
    IMINMAX(I8X16), IMINMAX(I16X8), IMINMAX(I32X4),
    ISHIFT(I8X16), ISHIFT(I16X8), ISHIFT(I32X4), ISHIFT(I64X2),
    IBOOL(I8X16), IBOOL(I16X8), IBOOL(I32X4), IBOOL(I64X2),
    INTR1(I8X16_POPCNT, I8X16, "llvm.ctpop"),
    FN(I8X16_NARROW_I16X8_S, narrow, I16X8, F_S),
    FN(I8X16_NARROW_I16X8_U, narrow, I16X8, 0),
    FN(I16X8_NARROW_I32X4_S, narrow, I32X4, F_S),
    FN(I16X8_NARROW_I32X4_U, narrow, I32X4, 0),
    IWIDEN(I16X8, I8X16), IWIDEN(I32X4, I16X8), IWIDEN(I64X2, I32X4),
    FN(I16X8_EXTADD_PAIRWISE_I8X16_S, extadd, I8X16, F_S),
    FN(I16X8_EXTADD_PAIRWISE_I8X16_U, extadd, I8X16, 0),
    FN(I32X4_EXTADD_PAIRWISE_I16X8_S, extadd, I16X8, F_S),
    FN(I32X4_EXTADD_PAIRWISE_I16X8_U, extadd, I16X8, 0),
    FN(I16X8_Q15MULR_SAT_S, q15mulr, I16X8, 0),
    FN(I32X4_DOT_I16X8_S, dot, I16X8, 0),

    /* float lanes: lower_simd_float.c */
    FCMP6(F32X4), FCMP6(F64X2), FARITH(F32X4), FARITH(F64X2),
    CONV(I32X4_TRUNC_SAT_F32X4_S, trunc_sat, F32X4, F_S, LLVMFPToSI, NULL),
    CONV(I32X4_TRUNC_SAT_F32X4_U, trunc_sat, F32X4, 0, LLVMFPToUI, NULL),
    CONV(I32X4_TRUNC_SAT_F64X2_S_ZERO, trunc_sat, F64X2, F_S, LLVMFPToSI,
         NULL),
    CONV(I32X4_TRUNC_SAT_F64X2_U_ZERO, trunc_sat, F64X2, 0, LLVMFPToUI,
         NULL),
    CONV(F32X4_CONVERT_I32X4_S, convert, I32X4, 0, LLVMSIToFP, NULL),
    CONV(F32X4_CONVERT_I32X4_U, convert, I32X4, 0, LLVMUIToFP, NULL),
    CONV(F64X2_CONVERT_LOW_I32X4_S, convert, I32X4, F_LOW, LLVMSIToFP, NULL),
    CONV(F64X2_CONVERT_LOW_I32X4_U, convert, I32X4, F_LOW, LLVMUIToFP, NULL),
    FN(F32X4_DEMOTE_F64X2_ZERO, demote, F64X2, 0),
    FN(F64X2_PROMOTE_LOW_F32X4, promote, F32X4, 0),
};

void
moatL_simd(Lower *L, const Insn *in)
{
    const SimdOp *s = &simd_ops[in->op];

    assert(s->fn != NULL);       /* a memory access goes to moatL_simd_mem */
    s->fn(L, in, s);
}

/* ---- shapes ---- */

unsigned
moatL_simd_lanes(int shape)
{
    static const unsigned lanes[] = {
        [SH_I8X16] = 16, [SH_I16X8] = 8, [SH_I32X4] = 4, [SH_I64X2] = 2,
        [SH_F32X4] = 4, [SH_F64X2] = 2,
    };

    assert(shape > SH_NONE && shape <= SH_F64X2);
    return lanes[shape];
}

LLVMTypeRef
moatL_simd_lane_type(Lower *L, int shape)
{
    LLVMTypeRef types[] = {
        [SH_I8X16] = L->i8, [SH_I16X8] = L->i16, [SH_I32X4] = L->i32,
        [SH_I64X2] = L->i64, [SH_F32X4] = L->f32, [SH_F64X2] = L->f64,
    };

    assert(shape > SH_NONE && shape <= SH_F64X2);
    return types[shape];
}

LLVMTypeRef
moatL_simd_type(Lower *L, int shape)
{
    return LLVMVectorType(moatL_simd_lane_type(L, shape),
                          moatL_simd_lanes(shape));
}

int
moatL_simd_int_shape(int shape)
{
    return shape == SH_F32X4 ? SH_I32X4 : shape == SH_F64X2 ? SH_I64X2
                                                            : shape;
}

int
moatL_simd_wide_shape(int shape)
{
    assert(shape >= SH_I8X16 && shape <= SH_I32X4);
    return shape + 1;
}

/* ---- builders ---- */

LLVMValueRef
moatL_simd_as(Lower *L, LLVMValueRef v, int shape)
{
    return LLVMBuildBitCast(L->b, v, moatL_simd_type(L, shape), "");
}

LLVMValueRef
moatL_simd_pop(Lower *L, int shape)
{
    return moatL_simd_as(L, moatL_vpop(L), shape);
}

void
moatL_simd_push(Lower *L, LLVMValueRef v)
{
    moatL_vpush(L, LLVMBuildBitCast(L->b, v, L->v128, ""));
}

LLVMValueRef
moatL_simd_pop_arith(Lower *L, int shape)
{
    return moatL_simd_as(L, moatL_vpop_arith(L, moatL_simd_type(L, shape)),
                         shape);
}

void
moatL_simd_push_arith(Lower *L, LLVMValueRef v)
{
    moatL_vpush_arith(L, LLVMBuildBitCast(L->b, v, L->v128, ""),
                      LLVMTypeOf(v));
}

LLVMValueRef
moatL_simd_splat(Lower *L, LLVMValueRef x, unsigned n, const char *name)
{
    LLVMTypeRef  vt = LLVMVectorType(LLVMTypeOf(x), n);
    LLVMValueRef one = LLVMBuildInsertElement(L->b, LLVMGetPoison(vt), x,
                                              moatL_const_i32(L, 0), "");
    LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(L->i32, n));

    return LLVMBuildShuffleVector(L->b, one, LLVMGetPoison(vt), zeros, name);
}

LLVMValueRef
moatL_simd_iconst(LLVMTypeRef vt, uint64_t lane)
{
    LLVMValueRef lanes[32];
    LLVMTypeRef  lt = LLVMGetElementType(vt);
    unsigned     n = LLVMGetVectorSize(vt);
    unsigned     bits = LLVMGetIntTypeWidth(lt);

    assert(n <= 32);
    if (bits < 64)
        lane &= ((uint64_t)1 << bits) - 1;
    for (unsigned i = 0; i < n; i++)
        lanes[i] = LLVMConstInt(lt, lane, false);
    return LLVMConstVector(lanes, n);
}

LLVMValueRef
moatL_simd_shuffle(Lower *L, LLVMValueRef a, LLVMValueRef b,
                   const unsigned *idx, unsigned n, const char *name)
{
    LLVMValueRef mask[32];

    assert(n <= 32);
    for (unsigned i = 0; i < n; i++)
        mask[i] = moatL_const_i32(L, idx[i]);
    if (b == NULL)
        b = LLVMGetPoison(LLVMTypeOf(a));
    return LLVMBuildShuffleVector(L->b, a, b, LLVMConstVector(mask, n), name);
}

LLVMValueRef
moatL_simd_pick(Lower *L, LLVMValueRef v, unsigned first, unsigned step,
                unsigned n, const char *name)
{
    unsigned idx[16];

    assert(n <= 16);
    for (unsigned i = 0; i < n; i++)
        idx[i] = first + i * step;
    return moatL_simd_shuffle(L, v, NULL, idx, n, name);
}

LLVMValueRef
moatL_simd_extend_half(Lower *L, LLVMValueRef v, bool is_high,
                       bool is_signed, const char *name)
{
    LLVMTypeRef  vt = LLVMTypeOf(v);
    unsigned     n = LLVMGetVectorSize(vt) / 2;
    unsigned     bits = LLVMGetIntTypeWidth(LLVMGetElementType(vt));
    LLVMTypeRef  wide = LLVMVectorType(LLVMIntTypeInContext(L->llctx,
                                                            2 * bits), n);
    LLVMValueRef half = moatL_simd_pick(L, v, is_high ? n : 0, 1, n, "");

    return is_signed ? LLVMBuildSExt(L->b, half, wide, name)
                     : LLVMBuildZExt(L->b, half, wide, name);
}

LLVMValueRef
moatL_simd_mask(Lower *L, LLVMValueRef cmp, int shape, const char *name)
{
    int is = moatL_simd_int_shape(shape);

    return LLVMBuildSExt(L->b, cmp, moatL_simd_type(L, is), name);
}

LLVMValueRef
moatL_simd_call(Lower *L, const char *intr, int shape, LLVMValueRef *args,
                unsigned n, const char *name)
{
    LLVMTypeRef  vt = moatL_simd_type(L, shape);
    LLVMValueRef v = moatL_intrinsic(L, intr, &vt, 1, args, n);

    LLVMSetValueName2(v, name, strlen(name));
    return v;
}

/* ---- target ---- */

bool
moatL_simd_is_x86(Lower *L)
{
    return strncmp(LLVMGetTarget(L->mod), "x86_64", 6) == 0;
}

/* The last "+feature" or "-feature" in the list wins, as in LLVM. */
bool
moatL_simd_has(Lower *L, const char *feature)
{
    LLVMAttributeRef a = LLVMGetStringAttributeAtIndex(
        L->fn, (LLVMAttributeIndex)LLVMAttributeFunctionIndex,
        "target-features", 15);
    size_t           n = strlen(feature);
    unsigned         len = 0;
    bool             has = false;

    if (!moatL_simd_is_x86(L) || a == NULL)
        return false;
    const char *p = LLVMGetStringAttributeValue(a, &len);
    const char *end = p + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t      k = (size_t)((comma ? comma : end) - p);
        if (k == n + 1 && memcmp(p + 1, feature, n) == 0)
            has = p[0] == '+';
        p += k + 1;
    }
    return has;
}
