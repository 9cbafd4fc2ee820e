/* lower_mem.c - scalar loads and stores with no bounds check (the guard
 * region catches what is out of bounds), memory.size/grow and the bulk
 * memory instructions, which call runtime helpers (spec 4.4.7).
 */
#include <string.h>

#include "lower.h"

static bool
is_signed(int op)
{
    const char *t = moatD_ops[op].text;
    size_t      n = strlen(t);
    return n > 2 && t[n - 2] == '_' && t[n - 1] == 's';
}

/* The type in memory: the result/operand type, or iN for narrow ones. */
static LLVMTypeRef
mem_type(Lower *L, uint8_t valtype, unsigned bytes)
{
    LLVMTypeRef t = moatL_type(L, valtype);
    if (valtype == T_I32 || valtype == T_I64)
        return LLVMIntTypeInContext(L->llctx, bytes * 8);
    return t;
}

void
moatL_load(Lower *L, const Insn *in)
{
    const OpInfo *oi = &moatD_ops[in->op];
    unsigned      bytes = 1u << oi->n;
    LLVMValueRef  p = moatL_heap_addr(L, moatL_vpop(L), in->b, bytes);
    LLVMTypeRef   mt = mem_type(L, oi->push, bytes);
    LLVMValueRef  v = LLVMBuildLoad2(L->b, mt, p, oi->text);

    LLVMSetAlignment(v, 1);     /* wasm alignment is only a hint */
    moatL_keep_load(L, v);
    LLVMTypeRef rt = moatL_type(L, oi->push);
    if (mt != rt)
        v = is_signed(in->op) ? LLVMBuildSExt(L->b, v, rt, "")
                              : LLVMBuildZExt(L->b, v, rt, "");
    moatL_vpush(L, v);
}

void
moatL_store(Lower *L, const Insn *in)
{
    const OpInfo *oi = &moatD_ops[in->op];
    unsigned      bytes = 1u << oi->n;
    LLVMValueRef  v = moatL_vpop(L);
    LLVMValueRef  p = moatL_heap_addr(L, moatL_vpop(L), in->b, bytes);
    LLVMTypeRef   mt = mem_type(L, oi->pop[1], bytes);

    if (LLVMTypeOf(v) != mt)
        v = LLVMBuildTrunc(L->b, v, mt, "");
    LLVMValueRef st = LLVMBuildStore(L->b, v, p);
    LLVMSetAlignment(st, 1);
    moatL_tag_heap(L, st);
}

void
moatL_memory_size(Lower *L, const Insn *in)
{
    LLVMValueRef bytes = moatL_memory_bytes(L);
    LLVMValueRef pages = LLVMBuildLShr(L->b, bytes, moatL_const_i64(L, 16),
                                       "");
    (void)in;
    moatL_vpush(L, LLVMBuildTrunc(L->b, pages, L->i32, "memory.size"));
}

void
moatL_memory_grow(Lower *L, const Insn *in)
{
    LLVMValueRef args[] = { L->ctx, moatL_vpop(L) };
    (void)in;
    moatL_vpush(L, moatL_call_helper(L, H_MEMORY_GROW, args, 2));
}

void
moatL_memory_bulk(Lower *L, const Insn *in)
{
    LLVMValueRef args[5] = { L->ctx };

    switch (in->op) {
    case OP_MEMORY_INIT:            /* (d, s, n) with the segment first */
        args[4] = moatL_vpop(L);
        args[3] = moatL_vpop(L);
        args[2] = moatL_vpop(L);
        args[1] = moatL_const_i32(L, in->a);
        moatL_call_helper(L, H_MEMORY_INIT, args, 5);
        break;
    case OP_DATA_DROP:
        args[1] = moatL_const_i32(L, in->a);
        moatL_call_helper(L, H_DATA_DROP, args, 2);
        break;
    case OP_MEMORY_COPY: case OP_MEMORY_FILL:
        args[3] = moatL_vpop(L);
        args[2] = moatL_vpop(L);
        args[1] = moatL_vpop(L);
        moatL_call_helper(L, in->op == OP_MEMORY_COPY ? H_MEMORY_COPY
                                                      : H_MEMORY_FILL,
                          args, 4);
        break;
    default:
        assert(!"not a bulk memory instruction");
    }
}
