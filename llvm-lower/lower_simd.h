/* lower_simd.h - what the SIMD lowering files (lower_simd*.c) share: lane
 * shapes, the op table of lower_simd.c and the class handlers it names.
 * A v128 travels as L->v128 (<4 x i32>); a handler bitcasts its operands to
 * the lane shape it needs and its result back (moatL_simd_push).
 */
#ifndef MOAT_LOWER_SIMD_H
#define MOAT_LOWER_SIMD_H

#include "lower.h"

/* Lane shapes; 0 marks an empty table row. */
typedef enum Shape {
    SH_NONE, SH_I8X16, SH_I16X8, SH_I32X4, SH_I64X2, SH_F32X4, SH_F64X2
} Shape;

enum {
    F_S = 1,            /* signed (extract_lane_s, narrow_s, extend_s...) */
    F_HI = 2,           /* the high half of the lanes (extend, extmul) */
    F_MAX = 4,          /* max rather than min (f*.max, f*.pmax) */
    F_LOW = 8,          /* the low half only (convert_low) */
    F_ARITH = 16,       /* float lanes: a NaN result must be quiet, and a
                         * NaN operand is quieted (nan.c) */
};

/* One row per 0xfd instruction that is not a memory access. `code` is an
 * LLVMOpcode, LLVMIntPredicate or LLVMRealPredicate, as fn needs. */
typedef struct SimdOp SimdOp;
typedef void (*SimdFn)(Lower *L, const Insn *in, const SimdOp *s);
struct SimdOp {
    SimdFn      fn;
    uint8_t     shape;  /* Shape of the operands (of the input, for
                         * conversions) */
    uint8_t     flags;  /* F_* */
    int         code;
    const char *intr;   /* intrinsic, for rows that call one */
};

/* lower_simd.c: shapes and small builders. */
unsigned     moatL_simd_lanes(int shape);
LLVMTypeRef  moatL_simd_lane_type(Lower *L, int shape);
LLVMTypeRef  moatL_simd_type(Lower *L, int shape);
/* The same lanes as integers of the same width (f32x4 -> i32x4). */
int          moatL_simd_int_shape(int shape);
/* Lanes twice as wide, half as many (i8x16 -> i16x8). */
int          moatL_simd_wide_shape(int shape);
LLVMValueRef moatL_simd_as(Lower *L, LLVMValueRef v, int shape);
LLVMValueRef moatL_simd_pop(Lower *L, int shape);
void         moatL_simd_push(Lower *L, LLVMValueRef v);
/* Float lanes whose NaNs must be quiet, and the operations that quiet a
 * NaN themselves or only test for one (moatL_vpush_arith, nan.c). */
LLVMValueRef moatL_simd_pop_arith(Lower *L, int shape);
void         moatL_simd_push_arith(Lower *L, LLVMValueRef float_lanes);
/* n lanes, each x. */
LLVMValueRef moatL_simd_splat(Lower *L, LLVMValueRef x, unsigned n,
                              const char *name);
/* An integer vector constant of type vt, every lane `lane`. */
LLVMValueRef moatL_simd_iconst(LLVMTypeRef vt, uint64_t lane);
/* shufflevector of a and b (b NULL: poison) with lanes idx[0..n). */
LLVMValueRef moatL_simd_shuffle(Lower *L, LLVMValueRef a, LLVMValueRef b,
                                const unsigned *idx, unsigned n,
                                const char *name);
/* Lanes first, first + step, ... (n of them) of v. */
LLVMValueRef moatL_simd_pick(Lower *L, LLVMValueRef v, unsigned first,
                             unsigned step, unsigned n, const char *name);
/* The low or high half of v's lanes, sign- or zero-extended to twice the
 * width. */
LLVMValueRef moatL_simd_extend_half(Lower *L, LLVMValueRef v, bool is_high,
                                    bool is_signed, const char *name);
/* Calls intrinsic intr, overloaded on the vector type of shape. */
LLVMValueRef moatL_simd_call(Lower *L, const char *intr, int shape,
                             LLVMValueRef *args, unsigned n,
                             const char *name);
/* A <n x i1> comparison result as lanes of all ones or zeros. */
LLVMValueRef moatL_simd_mask(Lower *L, LLVMValueRef cmp, int shape,
                             const char *name);

/* The target: x86-64 (SSE2 at least), and whether the function being
 * lowered may use an x86 feature ("ssse3"), from its "target-features"
 * attribute. Without that attribute only baseline x86-64 is assumed. */
bool         moatL_simd_is_x86(Lower *L);
bool         moatL_simd_has(Lower *L, const char *feature);

/* lower_simd_lane.c */
void moatL_simd_const(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_shuffle_op(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_swizzle(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_splat_op(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_extract(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_replace(Lower *L, const Insn *in, const SimdOp *s);

/* lower_simd_int.c */
void moatL_simd_binop(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_andnot(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_not(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_bitselect(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_any_true(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_all_true(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_bitmask(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_icmp(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_shift(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_intr1(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_intr2(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_ineg(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_iabs(Lower *L, const Insn *in, const SimdOp *s);

/* lower_simd_widen.c */
void moatL_simd_narrow(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_extend(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_extmul(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_extadd(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_dot(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_q15mulr(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_avgr(Lower *L, const Insn *in, const SimdOp *s);

/* lower_simd_float.c */
void moatL_simd_fcmp(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_fneg(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_fminmax(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_pminmax(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_trunc_sat(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_convert(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_demote(Lower *L, const Insn *in, const SimdOp *s);
void moatL_simd_promote(Lower *L, const Insn *in, const SimdOp *s);

#endif
