/* lower_int.c - the i32 and i64 instructions (spec 4.3.2, integer
 * operations): eqz and comparisons, bit counts, arithmetic with the traps
 * of division, bitwise operations, shifts, rotations and sign extensions.
 * Constants are in lower_num.c, conversions between types in lower_conv.c.
 * One table row per instruction names its lowering and that lowering's
 * argument (a predicate, an LLVMOpcode, an intrinsic or a width).
 */
#include <string.h>

#include "lower.h"

typedef struct IntOp IntOp;
typedef void (*IntFn)(Lower *L, const Insn *in, const IntOp *io);

struct IntOp {
    IntFn       fn;
    int         arg;            /* LLVMIntPredicate, LLVMOpcode, width or
                                 * argument count */
    const char *intrinsic;      /* count and rotate rows */
};

static const char *
text(const Insn *in)
{
    return moatD_op_text(in->op);
}

/* Calls name the wasm result too; LLVMBuildCall2 takes no name here. */
static LLVMValueRef
named(LLVMValueRef v, const Insn *in)
{
    LLVMSetValueName2(v, text(in), strlen(text(in)));
    return v;
}

static LLVMValueRef
to_i32(Lower *L, LLVMValueRef cond, const Insn *in)
{
    return LLVMBuildZExt(L->b, cond, L->i32, text(in));
}

static unsigned
width(LLVMValueRef v)
{
    return LLVMGetIntTypeWidth(LLVMTypeOf(v));
}

static void
lower_eqz(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef x = moatL_vpop(L);

    (void)io;
    moatL_vpush(L, to_i32(L, moatL_ieq(L, x, LLVMConstNull(LLVMTypeOf(x))),
                          in));
}

static void
lower_cmp(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef rhs = moatL_vpop(L), lhs = moatL_vpop(L);

    moatL_vpush(L, to_i32(L, LLVMBuildICmp(L->b, (LLVMIntPredicate)io->arg,
                                           lhs, rhs, ""), in));
}

/* arg = the intrinsic's argument count: ctpop(x), and ctlz/cttz(x, false)
 * since clz and ctz are defined at 0 in wasm (is_zero_poison = false). */
static void
lower_count(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef x = moatL_vpop(L);
    LLVMTypeRef  t = LLVMTypeOf(x);
    LLVMValueRef args[2] = { x, LLVMConstNull(L->i1) };

    moatL_vpush(L, named(moatL_intrinsic(L, io->intrinsic, &t, 1, args,
                                         (unsigned)io->arg), in));
}

static void
lower_bin(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef rhs = moatL_vpop(L), lhs = moatL_vpop(L);

    moatL_vpush(L, LLVMBuildBinOp(L->b, (LLVMOpcode)io->arg, lhs, rhs,
                                  text(in)));
}

/* wasm takes the shift count modulo the width; LLVM makes a count >= the
 * width poison. x86 masks the count itself, so the `and` costs nothing. */
static void
lower_shift(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef rhs = moatL_vpop(L), lhs = moatL_vpop(L);
    LLVMValueRef mask = LLVMConstInt(LLVMTypeOf(rhs), width(rhs) - 1, false);

    rhs = LLVMBuildAnd(L->b, rhs, mask, "");
    moatL_vpush(L, LLVMBuildBinOp(L->b, (LLVMOpcode)io->arg, lhs, rhs,
                                  text(in)));
}

/* A rotation is a funnel shift of x with itself; fshl/fshr take the count
 * modulo the width, as wasm does. */
static void
lower_rot(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef n = moatL_vpop(L), x = moatL_vpop(L);
    LLVMTypeRef  t = LLVMTypeOf(x);
    LLVMValueRef args[3] = { x, x, n };

    moatL_vpush(L, named(moatL_intrinsic(L, io->intrinsic, &t, 1, args, 3),
                         in));
}

/* Division traps on a zero divisor; div_s also on MIN / -1, whose quotient
 * does not fit. rem_s of MIN by -1 is 0 in wasm but undefined for LLVM's
 * srem, so the divisor -1 becomes 1: x % -1 == x % 1 == 0 for every x. */
static void
lower_div(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef rhs = moatL_vpop(L), lhs = moatL_vpop(L);
    LLVMTypeRef  t = LLVMTypeOf(lhs);
    LLVMValueRef minus1 = LLVMConstAllOnes(t);

    moatL_trap_if(L, moatL_ieq(L, rhs, LLVMConstNull(t)),
                  MOAT_ABI_TRAP_DIV_ZERO);
    if (io->arg == LLVMSDiv) {
        LLVMValueRef min = LLVMConstInt(t, 1ull << (width(lhs) - 1), false);
        LLVMValueRef ovf = LLVMBuildAnd(L->b, moatL_ieq(L, lhs, min),
                                        moatL_ieq(L, rhs, minus1), "");
        moatL_trap_if(L, ovf, MOAT_ABI_TRAP_INT_OVERFLOW);
    } else if (io->arg == LLVMSRem) {
        rhs = LLVMBuildSelect(L->b, moatL_ieq(L, rhs, minus1),
                              LLVMConstInt(t, 1, false), rhs, "");
    }
    moatL_vpush(L, LLVMBuildBinOp(L->b, (LLVMOpcode)io->arg, lhs, rhs,
                                  text(in)));
}

/* extendN_s (arg = N): keep the low N bits, sign-extended. */
static void
lower_ext(Lower *L, const Insn *in, const IntOp *io)
{
    LLVMValueRef x = moatL_vpop(L);
    LLVMTypeRef  t = LLVMTypeOf(x);
    LLVMTypeRef  narrow = LLVMIntTypeInContext(L->llctx, (unsigned)io->arg);

    x = LLVMBuildTrunc(L->b, x, narrow, "");
    moatL_vpush(L, LLVMBuildSExt(L->b, x, t, text(in)));
}

#define ROW(f, a)           { .fn = (f), .arg = (a) }
#define CALL(f, name, a)    { .fn = (f), .arg = (a), .intrinsic = (name) }
#define BOTH(op, row)       [OP_I32_##op] = row, [OP_I64_##op] = row

static const IntOp int_ops[NOP_COUNT] = {
    BOTH(EQZ, ROW(lower_eqz, 0)),
    BOTH(EQ, ROW(lower_cmp, LLVMIntEQ)),
    BOTH(NE, ROW(lower_cmp, LLVMIntNE)),
    BOTH(LT_S, ROW(lower_cmp, LLVMIntSLT)),
    BOTH(LT_U, ROW(lower_cmp, LLVMIntULT)),
    BOTH(GT_S, ROW(lower_cmp, LLVMIntSGT)),
    BOTH(GT_U, ROW(lower_cmp, LLVMIntUGT)),
    BOTH(LE_S, ROW(lower_cmp, LLVMIntSLE)),
    BOTH(LE_U, ROW(lower_cmp, LLVMIntULE)),
    BOTH(GE_S, ROW(lower_cmp, LLVMIntSGE)),
    BOTH(GE_U, ROW(lower_cmp, LLVMIntUGE)),
    BOTH(CLZ, CALL(lower_count, "llvm.ctlz", 2)),
    BOTH(CTZ, CALL(lower_count, "llvm.cttz", 2)),
    BOTH(POPCNT, CALL(lower_count, "llvm.ctpop", 1)),
    BOTH(ADD, ROW(lower_bin, LLVMAdd)),
    BOTH(SUB, ROW(lower_bin, LLVMSub)),
    BOTH(MUL, ROW(lower_bin, LLVMMul)),
    BOTH(DIV_S, ROW(lower_div, LLVMSDiv)),
    BOTH(DIV_U, ROW(lower_div, LLVMUDiv)),
    BOTH(REM_S, ROW(lower_div, LLVMSRem)),
    BOTH(REM_U, ROW(lower_div, LLVMURem)),
    BOTH(AND, ROW(lower_bin, LLVMAnd)),
    BOTH(OR, ROW(lower_bin, LLVMOr)),
    BOTH(XOR, ROW(lower_bin, LLVMXor)),
    BOTH(SHL, ROW(lower_shift, LLVMShl)),
    BOTH(SHR_S, ROW(lower_shift, LLVMAShr)),
    BOTH(SHR_U, ROW(lower_shift, LLVMLShr)),
    BOTH(ROTL, CALL(lower_rot, "llvm.fshl", 0)),
    BOTH(ROTR, CALL(lower_rot, "llvm.fshr", 0)),
    BOTH(EXTEND8_S, ROW(lower_ext, 8)),
    BOTH(EXTEND16_S, ROW(lower_ext, 16)),
    [OP_I64_EXTEND32_S] = ROW(lower_ext, 32),
};

void
moatL_int(Lower *L, const Insn *in)
{
    assert(in->op >= 0 && in->op < NOP_COUNT && int_ops[in->op].fn);
    int_ops[in->op].fn(L, in, &int_ops[in->op]);
}
