/* nan.c - arithmetic NaNs (spec 4.3.3: a NaN that add, sub, mul, div,
 * sqrt, min, max, ceil, floor, trunc, nearest, promote or demote returns,
 * scalar or in SIMD lanes, has its quiet bit set; abs, neg, copysign,
 * pmin/pmax and every copy keep the bits). LLVM's NaN model lets it fold
 * x * 1, x + -0, x - 0, x / 1 and fptrunc(fpext x) to x, in the optimiser
 * after inlining and constant propagation and again in the code generator,
 * which hands a signalling x back unquieted. Two steps close that:
 *
 *  1. Marks (builder.c, moatL_vpush_arith): such a result is wrapped in
 *     llvm.canonicalize (moatL_nan_arith) where its bits can be seen: when
 *     anything but a float operation takes it off the value stack. The
 *     optimiser folds through a mark (canonicalize of x * 1 becomes
 *     canonicalize of x) but never drops it.
 *  2. After optimisation (moatL_nan_finish), a mark whose operand is still
 *     an arithmetic instruction that the code generator cannot fold goes:
 *     the CPU quiets a NaN by itself there (SSE addss, sqrtss, roundss,
 *     cvtss2sd... set the quiet bit). Every other one becomes an explicit
 *     quieting: NaN lanes get the quiet bit or-ed in. LLVM 19's x86 back
 *     end cannot select llvm.canonicalize itself, so none may reach it.
 *
 * Ordinary code keeps nothing of the marks; x * 1.0 and its kin pay 3-5
 * instructions (docs/compiler.md, "Arithmetic NaNs").
 */
#include <math.h>
#include <string.h>

#include "lower.h"

LLVMValueRef
moatL_nan_arith(Lower *L, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);

    return moatL_intrinsic(L, "llvm.canonicalize", &t, 1, &v, 1);
}

static unsigned
intrinsic_id(const char *name)
{
    return LLVMLookupIntrinsicID(name, strlen(name));
}

/* The intrinsic called by v, or 0. */
static unsigned
called_intrinsic(LLVMValueRef v)
{
    if (!LLVMIsACallInst(v))
        return 0;
    LLVMValueRef fn = LLVMGetCalledValue(v);
    return fn && LLVMIsAFunction(fn) ? LLVMGetIntrinsicID(fn) : 0;
}

typedef struct Ids {
    unsigned canonicalize;
    unsigned rounding[6];       /* sqrt and the roundings: SSE quiets */
} Ids;

static LLVMValueRef
strip_canonicalize(const Ids *ids, LLVMValueRef v)
{
    while (called_intrinsic(v) == ids->canonicalize && ids->canonicalize)
        v = LLVMGetOperand(v, 0);
    return v;
}

/* What the code generator sees v as: through the canonicalize calls
 * (which go away) and bit casts (which it folds). */
static LLVMValueRef
strip_copies(const Ids *ids, LLVMValueRef v)
{
    for (;;) {
        if (called_intrinsic(v) == ids->canonicalize && ids->canonicalize)
            v = LLVMGetOperand(v, 0);
        else if (LLVMIsABitCastInst(v))
            v = LLVMGetOperand(v, 0);
        else
            return v;
    }
}

/* Constants SelectionDAG folds an operation with into a copy of the
 * other operand (or its negation), with no fast-math flags: x + -0,
 * x - +0, -0 - x, x * +-1, x / +-1; a NaN operand it may return as is. */
enum { NEG0 = 1, POS0 = 2, POS1 = 4, NEG1 = 8, ANYNAN = 16 };

static unsigned
fold_consts(LLVMOpcode op, unsigned operand)
{
    switch (op) {
    case LLVMFAdd: return NEG0 | ANYNAN;
    case LLVMFSub: return (operand == 0 ? NEG0 : POS0) | ANYNAN;
    case LLVMFMul: return POS1 | NEG1 | ANYNAN;
    case LLVMFDiv: return (operand == 1 ? POS1 | NEG1 : 0) | ANYNAN;
    default: return NEG0 | POS0 | POS1 | NEG1 | ANYNAN;
    }
}

static bool
is_fold_const(LLVMValueRef c, unsigned which)
{
    LLVMBool loses;

    if (LLVMIsAUndefValue(c) || LLVMIsAPoisonValue(c))
        return false;           /* SIMD splats' filler */
    if (LLVMIsAConstantFP(c)) {
        double d = LLVMConstRealGetDouble(c, &loses);
        bool   neg = signbit(d);
        return (d != d && (which & ANYNAN)) ||
               (d == 0.0 && (which & (neg ? NEG0 : POS0))) ||
               (d == 1.0 && (which & POS1)) || (d == -1.0 && (which & NEG1));
    }
    if (LLVMIsAConstantAggregateZero(c))
        return which & POS0;
    if (LLVMIsAConstantDataVector(c) || LLVMIsAConstantVector(c)) {
        unsigned n = LLVMGetVectorSize(LLVMTypeOf(c));
        for (unsigned i = 0; i < n; i++)
            if (is_fold_const(LLVMGetAggregateElement(c, i), which))
                return true;
        return false;
    }
    return true;                /* an integer vector, an expression: maybe */
}

/* Might the code generator see v as such a constant? Looks through what
 * SelectionDAG looks through within a block: selects, bit casts, lane
 * inserts, extracts and shuffles (a splat). */
static bool
may_fold_with(const Ids *ids, LLVMValueRef v, unsigned which, int depth)
{
    v = strip_copies(ids, v);
    if (LLVMIsAConstant(v))
        return is_fold_const(v, which);
    if (depth > 4 || !LLVMIsAInstruction(v))
        return false;
    LLVMOpcode op = LLVMGetInstructionOpcode(v);
    unsigned   first = op == LLVMSelect ? 1 : 0, n = 0;
    if (op == LLVMSelect)
        n = 3;                  /* the two arms */
    else if (op == LLVMInsertElement || op == LLVMShuffleVector)
        n = 2;                  /* not the lane index */
    else if (op == LLVMExtractElement)
        n = 1;
    for (unsigned i = first; i < n; i++)
        if (may_fold_with(ids, LLVMGetOperand(v, i), which, depth + 1))
            return true;
    return false;
}

static LLVMTypeRef
lane_type(LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);

    return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetElementType(t)
                                                    : t;
}

static bool
is_rounding(const Ids *ids, unsigned id)
{
    for (int i = 0; i < 6; i++)
        if (id && id == ids->rounding[i])
            return true;
    return false;
}

/* Is v computed by an instruction the CPU executes, quieting a NaN,
 * whatever the code generator does with it? A lane, a shuffle or a gather
 * (insertelement) of such values, or of constants without NaNs, is too
 * (vectorisers make them; demote's zero lanes). */
static bool
quiets_itself(const Ids *ids, LLVMValueRef v, int depth)
{
    LLVMTypeRef lane = lane_type(v);

    v = strip_copies(ids, v);
    /* a quiet f32 lane pair is no quiet f64 lane: same lanes only */
    if (!LLVMIsAInstruction(v) || depth > 4 || lane_type(v) != lane)
        return false;
    LLVMOpcode op = LLVMGetInstructionOpcode(v);
    switch (op) {
    case LLVMFAdd: case LLVMFSub: case LLVMFMul: case LLVMFDiv:
        return !may_fold_with(ids, LLVMGetOperand(v, 0), fold_consts(op, 0),
                              0) &&
               !may_fold_with(ids, LLVMGetOperand(v, 1), fold_consts(op, 1),
                              0);
    case LLVMFPExt: case LLVMFPTrunc: {
        /* fptrunc(fpext x) folds to x */
        LLVMValueRef x = strip_copies(ids, LLVMGetOperand(v, 0));
        return !LLVMIsAConstant(x) && !LLVMIsAFPExtInst(x) &&
               !LLVMIsAFPTruncInst(x);
    }
    case LLVMCall:
        return is_rounding(ids, called_intrinsic(v)) &&
               !LLVMIsAConstant(strip_copies(ids, LLVMGetOperand(v, 0)));
    case LLVMExtractElement:
        return quiets_itself(ids, LLVMGetOperand(v, 0), depth + 1);
    case LLVMInsertElement:     /* the SLP vectoriser's gathers */
    case LLVMShuffleVector: {
        for (unsigned i = 0; i < 2; i++) {
            LLVMValueRef x = LLVMGetOperand(v, i);
            bool is_no_nan = LLVMIsAConstant(x) && !is_fold_const(x, ANYNAN);
            if (!LLVMIsAUndefValue(x) && !is_no_nan &&
                !quiets_itself(ids, x, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

/* v with the quiet bit set where it is a NaN, lane by lane; b is
 * positioned before v's use. Constants fold. */
static LLVMValueRef
quiet(LLVMBuilderRef b, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    bool        is_vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
    LLVMTypeRef lane = is_vec ? LLVMGetElementType(t) : t;
    bool        is32 = LLVMGetTypeKind(lane) == LLVMFloatTypeKind;
    LLVMTypeRef ilane = LLVMIntTypeInContext(LLVMGetTypeContext(t),
                                             is32 ? 32 : 64);
    unsigned    n = is_vec ? LLVMGetVectorSize(t) : 1;
    LLVMTypeRef it = is_vec ? LLVMVectorType(ilane, n) : ilane;
    LLVMValueRef bit = LLVMConstInt(ilane, is32 ? UINT64_C(1) << 22
                                                : UINT64_C(1) << 51, false);
    LLVMValueRef bits[64];      /* the vectorisers' widest: 16 lanes */

    assert(n <= 64);
    for (unsigned i = 0; i < n; i++)
        bits[i] = bit;
    LLVMValueRef mask = is_vec ? LLVMConstVector(bits, n) : bit;
    LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
    LLVMValueRef q = LLVMBuildOr(b, LLVMBuildBitCast(b, v, it, ""), mask, "");
    return LLVMBuildSelect(b, is_nan, LLVMBuildBitCast(b, q, t, ""), v,
                           "quiet");
}

static void
init_ids(Ids *ids)
{
    static const char *const rounding[6] = {
        "llvm.sqrt", "llvm.ceil", "llvm.floor", "llvm.trunc",
        "llvm.roundeven", "llvm.nearbyint",
    };

    ids->canonicalize = intrinsic_id("llvm.canonicalize");
    for (int i = 0; i < 6; i++)
        ids->rounding[i] = intrinsic_id(rounding[i]);
}

/* Decided on the final IR: an operand is looked at through the
 * canonicalize calls around it, which may go away here too. */
static void
finish_function(const Ids *ids, LLVMBuilderRef b, LLVMValueRef fn)
{
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
         bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef next;
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = next) {
            next = LLVMGetNextInstruction(i);
            if (called_intrinsic(i) != ids->canonicalize)
                continue;
            LLVMValueRef x = strip_canonicalize(ids, LLVMGetOperand(i, 0));
            if (!quiets_itself(ids, x, 0)) {
                LLVMPositionBuilderBefore(b, i);
                x = quiet(b, x);
            }
            LLVMReplaceAllUsesWith(i, x);
            LLVMInstructionEraseFromParent(i);
        }
    }
}

void
moatL_nan_finish(LLVMModuleRef mod)
{
    Ids            ids;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetModuleContext(mod));

    init_ids(&ids);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn;
         fn = LLVMGetNextFunction(fn))
        finish_function(&ids, b, fn);
    LLVMDisposeBuilder(b);
}
