/* lower_conv.c - conversions between the number types (spec 4.3.4):
 * wrap and extend, the trapping and the saturating float-to-int
 * truncations, int-to-float conversions, demote/promote and the four
 * reinterpretations. Sign extension within one type (extend8_s, ...) is in
 * lower_int.c.
 */
#include <string.h>

#include "lower.h"

typedef struct ConvOp ConvOp;
typedef void (*ConvFn)(Lower *L, const Insn *in, const ConvOp *co);

struct ConvOp {
    ConvFn      fn;
    LLVMOpcode  cast;           /* the LLVM cast doing the conversion */
    const char *intrinsic;      /* saturating rows */
    /* trapping truncations: x converts iff lo < x < hi, both exact in
     * the source type. hi is 2^31, 2^32, 2^63 or 2^64. lo is -1 for an
     * unsigned result; for a signed N-bit one it is the greatest source
     * value <= -2^(N-1) - 1: -2^31 - 1 in f64 for i32, else the next value
     * below -2^(N-1), -2^(N-1) - ulp (256 for f32/i32, 2^40 for f32/i64,
     * 2048 for f64/i64). */
    double      lo, hi;
};

static const char *
text(const Insn *in)
{
    return moatD_op_text(in->op);
}

static LLVMTypeRef
result_type(Lower *L, const Insn *in)
{
    return moatL_type(L, moatD_ops[in->op].push);
}

/* wrap, extend, convert, demote, promote, reinterpret: one LLVM cast.
 * sitofp/uitofp round to nearest even, as wasm's convert does; fptrunc
 * and fpext quiet a NaN and keep the top of its payload, but LLVM folds
 * demote(promote(x)) to x, signalling NaNs included: arithmetic results
 * (nan.c). reinterpret shows a NaN's bits: its operand is marked. */
static void
lower_cast(Lower *L, const Insn *in, const ConvOp *co)
{
    bool         is_arith = co->cast == LLVMFPTrunc || co->cast == LLVMFPExt;
    LLVMValueRef v = is_arith ? moatL_vpop_arith(L, NULL) : moatL_vpop(L);
    LLVMValueRef r = LLVMBuildCast(L->b, co->cast, v, result_type(L, in),
                                   text(in));

    moatL_vpush_arith(L, r, is_arith ? LLVMTypeOf(r) : NULL);
}

/* trunc_fN_s/u: NaN traps as an invalid conversion, a value whose
 * truncation does not fit as an integer overflow. Past the checks, fptosi
 * and fptoui are defined (no poison). */
static void
lower_trunc(Lower *L, const Insn *in, const ConvOp *co)
{
    LLVMValueRef x = moatL_vpop_arith(L, NULL);
    LLVMTypeRef  t = LLVMTypeOf(x);
    LLVMValueRef is_nan = LLVMBuildFCmp(L->b, LLVMRealUNO, x, x, "");
    LLVMValueRef too_low, too_high;

    moatL_trap_if(L, is_nan, MOAT_ABI_TRAP_BAD_CONVERSION);
    too_low = LLVMBuildFCmp(L->b, LLVMRealOLE, x, LLVMConstReal(t, co->lo),
                            "");
    too_high = LLVMBuildFCmp(L->b, LLVMRealOGE, x, LLVMConstReal(t, co->hi),
                             "");
    moatL_trap_if(L, LLVMBuildOr(L->b, too_low, too_high, ""),
                  MOAT_ABI_TRAP_INT_OVERFLOW);
    moatL_vpush(L, LLVMBuildCast(L->b, co->cast, x, result_type(L, in),
                                 text(in)));
}

/* trunc_sat_fN_s/u: llvm.fptosi.sat/fptoui.sat clamp to the range and give
 * 0 for NaN, exactly wasm's trunc_sat. */
static void
lower_trunc_sat(Lower *L, const Insn *in, const ConvOp *co)
{
    LLVMValueRef x = moatL_vpop_arith(L, NULL);
    LLVMTypeRef  tys[2] = { result_type(L, in), LLVMTypeOf(x) };
    LLVMValueRef v = moatL_intrinsic(L, co->intrinsic, tys, 2, &x, 1);

    LLVMSetValueName2(v, text(in), strlen(text(in)));
    moatL_vpush(L, v);
}

#define CAST(op)          { .fn = lower_cast, .cast = (op) }
#define TRUNC(op, l, h)   { .fn = lower_trunc, .cast = (op), .lo = (l), \
                            .hi = (h) }
#define SAT(name)         { .fn = lower_trunc_sat, .intrinsic = (name) }

#define P31     2147483648.0                    /* 2^31 */
#define P32     4294967296.0
#define P63     9223372036854775808.0
#define P64     18446744073709551616.0

static const ConvOp conv_ops[NOP_COUNT] = {
    [OP_I32_WRAP_I64] = CAST(LLVMTrunc),
    [OP_I32_TRUNC_F32_S] = TRUNC(LLVMFPToSI, -P31 - 256.0, P31),
    [OP_I32_TRUNC_F32_U] = TRUNC(LLVMFPToUI, -1.0, P32),
    [OP_I32_TRUNC_F64_S] = TRUNC(LLVMFPToSI, -P31 - 1.0, P31),
    [OP_I32_TRUNC_F64_U] = TRUNC(LLVMFPToUI, -1.0, P32),
    [OP_I64_EXTEND_I32_S] = CAST(LLVMSExt),
    [OP_I64_EXTEND_I32_U] = CAST(LLVMZExt),
    [OP_I64_TRUNC_F32_S] = TRUNC(LLVMFPToSI, -P63 - 1099511627776.0, P63),
    [OP_I64_TRUNC_F32_U] = TRUNC(LLVMFPToUI, -1.0, P64),
    [OP_I64_TRUNC_F64_S] = TRUNC(LLVMFPToSI, -P63 - 2048.0, P63),
    [OP_I64_TRUNC_F64_U] = TRUNC(LLVMFPToUI, -1.0, P64),
    [OP_F32_CONVERT_I32_S] = CAST(LLVMSIToFP),
    [OP_F32_CONVERT_I32_U] = CAST(LLVMUIToFP),
    [OP_F32_CONVERT_I64_S] = CAST(LLVMSIToFP),
    [OP_F32_CONVERT_I64_U] = CAST(LLVMUIToFP),
    [OP_F32_DEMOTE_F64] = CAST(LLVMFPTrunc),
    [OP_F64_CONVERT_I32_S] = CAST(LLVMSIToFP),
    [OP_F64_CONVERT_I32_U] = CAST(LLVMUIToFP),
    [OP_F64_CONVERT_I64_S] = CAST(LLVMSIToFP),
    [OP_F64_CONVERT_I64_U] = CAST(LLVMUIToFP),
    [OP_F64_PROMOTE_F32] = CAST(LLVMFPExt),
    [OP_I32_REINTERPRET_F32] = CAST(LLVMBitCast),
    [OP_I64_REINTERPRET_F64] = CAST(LLVMBitCast),
    [OP_F32_REINTERPRET_I32] = CAST(LLVMBitCast),
    [OP_F64_REINTERPRET_I64] = CAST(LLVMBitCast),
    [OP_I32_TRUNC_SAT_F32_S] = SAT("llvm.fptosi.sat"),
    [OP_I32_TRUNC_SAT_F32_U] = SAT("llvm.fptoui.sat"),
    [OP_I32_TRUNC_SAT_F64_S] = SAT("llvm.fptosi.sat"),
    [OP_I32_TRUNC_SAT_F64_U] = SAT("llvm.fptoui.sat"),
    [OP_I64_TRUNC_SAT_F32_S] = SAT("llvm.fptosi.sat"),
    [OP_I64_TRUNC_SAT_F32_U] = SAT("llvm.fptoui.sat"),
    [OP_I64_TRUNC_SAT_F64_S] = SAT("llvm.fptosi.sat"),
    [OP_I64_TRUNC_SAT_F64_U] = SAT("llvm.fptoui.sat"),
};

void
moatL_conv(Lower *L, const Insn *in)
{
    assert(in->op >= 0 && in->op < NOP_COUNT && conv_ops[in->op].fn);
    conv_ops[in->op].fn(L, in, &conv_ops[in->op]);
}
