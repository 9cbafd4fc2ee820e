/* lower_num.c - the numeric constants i32/i64/f32/f64.const (spec 4.4.1).
 * A float constant is built by bitcasting an integer constant of its bits,
 * never through a C double, so every NaN payload survives exactly. The
 * operations on numbers are in lower_int.c, lower_float.c and lower_conv.c.
 */
#include "lower.h"

void
moatL_const(Lower *L, const Insn *in)
{
    uint8_t      t = moatD_ops[in->op].push;
    bool         is_64 = (t == T_I64 || t == T_F64);
    LLVMValueRef bits = is_64 ? moatL_const_i64(L, in->bits)
                              : moatL_const_i32(L, (uint32_t)in->bits);

    assert(in->op == OP_I32_CONST || in->op == OP_I64_CONST ||
           in->op == OP_F32_CONST || in->op == OP_F64_CONST);
    if (t == T_F32 || t == T_F64)       /* folds to a ConstantFP */
        bits = LLVMConstBitCast(bits, moatL_type(L, t));
    moatL_vpush(L, bits);
}
