/* lower_simd_mem.c - v128 memory instructions: load, load-and-extend,
 * load-and-splat, load-and-zero, store, and the lane loads and stores
 * (spec 4.4.7). Addresses come from moatL_heap_addr (builder.c), which
 * owns bounds checks; every access here has alignment 1, since wasm's
 * alignment is only a hint.
 */
#include "lower_simd.h"

typedef struct SimdMem SimdMem;
typedef void (*MemFn)(Lower *L, const Insn *in, const SimdMem *m);
struct SimdMem {
    MemFn   fn;
    uint8_t shape;      /* lane shape of the v128 */
    uint8_t flags;      /* F_S: sign-extending load */
};

static void load_v128(Lower *L, const Insn *in, const SimdMem *m);
static void load_extend(Lower *L, const Insn *in, const SimdMem *m);
static void load_splat(Lower *L, const Insn *in, const SimdMem *m);
static void load_zero(Lower *L, const Insn *in, const SimdMem *m);
static void load_lane(Lower *L, const Insn *in, const SimdMem *m);
static void store_v128(Lower *L, const Insn *in, const SimdMem *m);
static void store_lane(Lower *L, const Insn *in, const SimdMem *m);

#define MEM(op, f, sh, fl) [OP_##op] = { f, SH_##sh, fl }

static const SimdMem simd_mem[NOP_COUNT] = {
    MEM(V128_LOAD, load_v128, I32X4, 0),
    MEM(V128_LOAD8X8_S, load_extend, I8X16, F_S),
    MEM(V128_LOAD8X8_U, load_extend, I8X16, 0),
    MEM(V128_LOAD16X4_S, load_extend, I16X8, F_S),
    MEM(V128_LOAD16X4_U, load_extend, I16X8, 0),
    MEM(V128_LOAD32X2_S, load_extend, I32X4, F_S),
    MEM(V128_LOAD32X2_U, load_extend, I32X4, 0),
    MEM(V128_LOAD8_SPLAT, load_splat, I8X16, 0),
    MEM(V128_LOAD16_SPLAT, load_splat, I16X8, 0),
    MEM(V128_LOAD32_SPLAT, load_splat, I32X4, 0),
    MEM(V128_LOAD64_SPLAT, load_splat, I64X2, 0),
    MEM(V128_LOAD32_ZERO, load_zero, I32X4, 0),
    MEM(V128_LOAD64_ZERO, load_zero, I64X2, 0),
    MEM(V128_LOAD8_LANE, load_lane, I8X16, 0),
    MEM(V128_LOAD16_LANE, load_lane, I16X8, 0),
    MEM(V128_LOAD32_LANE, load_lane, I32X4, 0),
    MEM(V128_LOAD64_LANE, load_lane, I64X2, 0),
    MEM(V128_STORE, store_v128, I32X4, 0),
    MEM(V128_STORE8_LANE, store_lane, I8X16, 0),
    MEM(V128_STORE16_LANE, store_lane, I16X8, 0),
    MEM(V128_STORE32_LANE, store_lane, I32X4, 0),
    MEM(V128_STORE64_LANE, store_lane, I64X2, 0),
};

void
moatL_simd_mem(Lower *L, const Insn *in)
{
    const SimdMem *m = &simd_mem[in->op];

    assert(m->fn != NULL);
    m->fn(L, in, m);
}

static uint32_t
lane_bytes(int shape)
{
    return 16 / moatL_simd_lanes(shape);
}

/* A load of t (size bytes) at addr + in's offset. */
static LLVMValueRef
load(Lower *L, const Insn *in, LLVMTypeRef t, uint32_t size,
     LLVMValueRef addr, const char *name)
{
    LLVMValueRef p = moatL_heap_addr(L, addr, in->b, size);
    LLVMValueRef v = LLVMBuildLoad2(L->b, t, p, name);

    LLVMSetAlignment(v, 1);
    moatL_keep_load(L, v);
    return v;
}

static void
store(Lower *L, const Insn *in, LLVMValueRef v, uint32_t size,
      LLVMValueRef addr)
{
    LLVMValueRef p = moatL_heap_addr(L, addr, in->b, size);
    LLVMValueRef st = LLVMBuildStore(L->b, v, p);

    LLVMSetAlignment(st, 1);
    moatL_tag_heap(L, st);
}

static void
load_v128(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef addr = moatL_vpop(L);

    moatL_simd_push(L, load(L, in, moatL_simd_type(L, m->shape), 16, addr,
                            moatD_op_text(in->op)));
}

/* v128.load8x8_s/u ..: eight bytes as half as many lanes of shape, each
 * extended to twice the width */
static void
load_extend(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef addr = moatL_vpop(L);
    unsigned     n = moatL_simd_lanes(m->shape) / 2;
    LLVMTypeRef  t = LLVMVectorType(moatL_simd_lane_type(L, m->shape), n);
    LLVMTypeRef  wide = moatL_simd_type(L, moatL_simd_wide_shape(m->shape));
    LLVMValueRef v = load(L, in, t, 8, addr, "");
    const char  *name = moatD_op_text(in->op);

    moatL_simd_push(L, (m->flags & F_S) ? LLVMBuildSExt(L->b, v, wide, name)
                                        : LLVMBuildZExt(L->b, v, wide, name));
}

static void
load_splat(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef addr = moatL_vpop(L);
    LLVMValueRef x = load(L, in, moatL_simd_lane_type(L, m->shape),
                          lane_bytes(m->shape), addr, "");

    moatL_simd_push(L, moatL_simd_splat(L, x, moatL_simd_lanes(m->shape),
                                        moatD_op_text(in->op)));
}

/* v128.load32_zero, load64_zero: lane 0 from memory, the rest zero */
static void
load_zero(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef addr = moatL_vpop(L);
    LLVMValueRef x = load(L, in, moatL_simd_lane_type(L, m->shape),
                          lane_bytes(m->shape), addr, "");
    LLVMValueRef zero = LLVMConstNull(moatL_simd_type(L, m->shape));

    moatL_simd_push(L, LLVMBuildInsertElement(L->b, zero, x,
                                              moatL_const_i32(L, 0),
                                              moatD_op_text(in->op)));
}

static void
load_lane(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef v = moatL_simd_pop(L, m->shape);
    LLVMValueRef addr = moatL_vpop(L);
    LLVMValueRef x = load(L, in, moatL_simd_lane_type(L, m->shape),
                          lane_bytes(m->shape), addr, "");

    assert(in->lane < moatL_simd_lanes(m->shape));
    moatL_simd_push(L, LLVMBuildInsertElement(L->b, v, x,
                                              moatL_const_i32(L, in->lane),
                                              moatD_op_text(in->op)));
}

static void
store_v128(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef v = moatL_simd_pop(L, m->shape);
    LLVMValueRef addr = moatL_vpop(L);

    store(L, in, v, 16, addr);
}

static void
store_lane(Lower *L, const Insn *in, const SimdMem *m)
{
    LLVMValueRef v = moatL_simd_pop(L, m->shape);
    LLVMValueRef addr = moatL_vpop(L);

    assert(in->lane < moatL_simd_lanes(m->shape));
    store(L, in, LLVMBuildExtractElement(L->b, v,
                                         moatL_const_i32(L, in->lane),
                                         moatD_op_text(in->op)),
          lane_bytes(m->shape), addr);
}
