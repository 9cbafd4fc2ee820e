/* lower_float.c - the f32 and f64 instructions (spec 4.3.3, floating-point
 * operations): comparisons, abs/neg/copysign, rounding, sqrt, arithmetic,
 * min and max. abs, neg and copysign only touch the sign bit, so they keep
 * NaN payloads bit for bit; other NaN results must be arithmetic NaNs
 * (canonical when the NaN operands are), as x86 SSE gives. LLVM may fold
 * x - 0, x * 1, x / 1 to x, signalling NaNs included, so such results go
 * on the stack as arithmetic (moatL_vpush_arith) and are marked when
 * something takes their bits (nan.c); operations here that quiet a NaN or
 * only test for one take operands as they are (moatL_vpop_arith).
 */
#include <string.h>

#include "lower.h"

typedef struct FloatOp FloatOp;
typedef void (*FloatFn)(Lower *L, const Insn *in, const FloatOp *fo);

struct FloatOp {
    FloatFn     fn;
    int         arg;            /* LLVMRealPredicate or LLVMOpcode */
    const char *intrinsic;
    bool        is_arith;       /* a NaN result must be quiet */
};

static const char *
text(const Insn *in)
{
    return moatD_op_text(in->op);
}

static LLVMValueRef
named(LLVMValueRef v, const Insn *in)
{
    LLVMSetValueName2(v, text(in), strlen(text(in)));
    return v;
}

/* An operand for an operation that quiets a NaN or only tests for one:
 * an arithmetic result comes unmarked (nan.c). */
static LLVMValueRef
take(Lower *L)
{
    return moatL_vpop_arith(L, NULL);
}

/* eq, lt, gt, le, ge are false on NaN (ordered); ne is true (unordered). */
static void
lower_fcmp(Lower *L, const Insn *in, const FloatOp *fo)
{
    LLVMValueRef rhs = take(L), lhs = take(L);
    LLVMValueRef cond = LLVMBuildFCmp(L->b, (LLVMRealPredicate)fo->arg, lhs,
                                      rhs, "");

    moatL_vpush(L, LLVMBuildZExt(L->b, cond, L->i32, text(in)));
}

static void
lower_unary(Lower *L, const Insn *in, const FloatOp *fo)
{
    LLVMValueRef x = fo->is_arith ? take(L) : moatL_vpop(L);
    LLVMTypeRef  t = LLVMTypeOf(x);
    LLVMValueRef r = named(moatL_intrinsic(L, fo->intrinsic, &t, 1, &x, 1),
                           in);

    moatL_vpush_arith(L, r, fo->is_arith ? t : NULL);
}

static void
lower_neg(Lower *L, const Insn *in, const FloatOp *fo)
{
    (void)fo;
    moatL_vpush(L, LLVMBuildFNeg(L->b, moatL_vpop(L), text(in)));
}

static void
lower_bin(Lower *L, const Insn *in, const FloatOp *fo)
{
    LLVMValueRef rhs = take(L), lhs = take(L);

    moatL_vpush_arith(L, LLVMBuildBinOp(L->b, (LLVMOpcode)fo->arg, lhs, rhs,
                                        text(in)), LLVMTypeOf(lhs));
}

static void
lower_bin_call(Lower *L, const Insn *in, const FloatOp *fo)
{
    LLVMValueRef args[2];
    LLVMTypeRef  t;

    args[1] = moatL_vpop(L);
    args[0] = moatL_vpop(L);
    t = LLVMTypeOf(args[0]);
    moatL_vpush(L, named(moatL_intrinsic(L, fo->intrinsic, &t, 1, args, 2),
                         in));
}

/* min and max (spec: fmin, fmax): NaN if either operand is, and -0 < +0.
 * llvm.minimum/maximum mean exactly that, but LLVM 19 lowers them on x86-64
 * to minss/maxss plus fix-ups that hand back a signalling NaN operand
 * unquieted, where wasm wants an arithmetic NaN. So, explicitly:
 *     a uno b ? a + b : a == b ? (a | b, or a & b for max, as bits)
 *                              : a < b ? a : b     (a > b for max)
 * a + b quiets the NaN (marked at once, as a + -0 folds to a); OR/AND of
 * the bits picks -0/+0 when a, b are zeros of both signs and is a no-op
 * for other equal values. The result is a NaN only through a + b, so it
 * needs no mark of its own. */
static void
lower_minmax(Lower *L, const Insn *in, const FloatOp *fo)
{
    LLVMValueRef b = take(L), a = take(L);
    LLVMTypeRef  t = LLVMTypeOf(a);
    LLVMTypeRef  it = (t == L->f32) ? L->i32 : L->i64;
    bool         is_min = (fo->arg == LLVMRealOLT);
    LLVMValueRef ab = LLVMBuildBitCast(L->b, a, it, "");
    LLVMValueRef bb = LLVMBuildBitCast(L->b, b, it, "");
    LLVMValueRef zeros = is_min ? LLVMBuildOr(L->b, ab, bb, "")
                                : LLVMBuildAnd(L->b, ab, bb, "");
    LLVMValueRef r;

    r = LLVMBuildSelect(L->b,
                        LLVMBuildFCmp(L->b, (LLVMRealPredicate)fo->arg, a,
                                      b, ""), a, b, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, LLVMRealOEQ, a, b, ""),
                        LLVMBuildBitCast(L->b, zeros, t, ""), r, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, LLVMRealUNO, a, b, ""),
                        moatL_nan_arith(L, LLVMBuildFAdd(L->b, a, b, "")),
                        r, text(in));
    moatL_vpush(L, r);
}

#define ROW(f, a)       { .fn = (f), .arg = (a) }
#define CALL(f, name)   { .fn = (f), .intrinsic = (name) }
#define ARITH(name)     { .fn = lower_unary, .intrinsic = (name), \
                          .is_arith = true }
#define BOTH(op, row)   [OP_F32_##op] = row, [OP_F64_##op] = row

static const FloatOp float_ops[NOP_COUNT] = {
    BOTH(EQ, ROW(lower_fcmp, LLVMRealOEQ)),
    BOTH(NE, ROW(lower_fcmp, LLVMRealUNE)),
    BOTH(LT, ROW(lower_fcmp, LLVMRealOLT)),
    BOTH(GT, ROW(lower_fcmp, LLVMRealOGT)),
    BOTH(LE, ROW(lower_fcmp, LLVMRealOLE)),
    BOTH(GE, ROW(lower_fcmp, LLVMRealOGE)),
    BOTH(ABS, CALL(lower_unary, "llvm.fabs")),
    BOTH(NEG, ROW(lower_neg, 0)),
    BOTH(CEIL, ARITH("llvm.ceil")),
    BOTH(FLOOR, ARITH("llvm.floor")),
    BOTH(TRUNC, ARITH("llvm.trunc")),
    BOTH(NEAREST, ARITH("llvm.roundeven")),
    BOTH(SQRT, ARITH("llvm.sqrt")),
    BOTH(ADD, ROW(lower_bin, LLVMFAdd)),
    BOTH(SUB, ROW(lower_bin, LLVMFSub)),
    BOTH(MUL, ROW(lower_bin, LLVMFMul)),
    BOTH(DIV, ROW(lower_bin, LLVMFDiv)),
    BOTH(MIN, ROW(lower_minmax, LLVMRealOLT)),
    BOTH(MAX, ROW(lower_minmax, LLVMRealOGT)),
    BOTH(COPYSIGN, CALL(lower_bin_call, "llvm.copysign")),
};

void
moatL_float(Lower *L, const Insn *in)
{
    assert(in->op >= 0 && in->op < NOP_COUNT && float_ops[in->op].fn);
    float_ops[in->op].fn(L, in, &float_ops[in->op]);
}
