/* builder.c - small pieces every lowering file uses: the value stack,
 * types and constants, traps, context-area and heap addressing, calls to
 * runtime helpers and intrinsics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm/Config/llvm-config.h>

#include "lower.h"

void
moatL_vpush_arith(Lower *L, LLVMValueRef v, LLVMTypeRef lanes)
{
    if (L->nvs == L->capvs) {
        uint32_t      cap = L->capvs ? L->capvs * 2 : 64;
        LLVMValueRef *p = moatU_realloc(L->vs, cap * sizeof *p);
        LLVMTypeRef  *a = p ? moatU_realloc(L->vs_arith, cap * sizeof *a)
                            : NULL;
        if (p)
            L->vs = p;
        if (!a)
            abort();            /* lowering has no error path: see emit.c */
        L->vs_arith = a;
        L->capvs = cap;
    }
    L->vs_arith[L->nvs] = lanes;
    L->vs[L->nvs++] = v;
}

void
moatL_vpush(Lower *L, LLVMValueRef v)
{
    moatL_vpush_arith(L, v, NULL);
}

/* Slot i as its taker sees it: an arithmetic result gets its mark now
 * (nan.c), in its float type, and keeps it. */
static LLVMValueRef
marked(Lower *L, uint32_t i)
{
    LLVMTypeRef lanes = L->vs_arith[i];
    LLVMValueRef v = L->vs[i];

    if (lanes) {
        LLVMTypeRef t = LLVMTypeOf(v);
        v = moatL_nan_arith(L, LLVMBuildBitCast(L->b, v, lanes, ""));
        L->vs[i] = LLVMBuildBitCast(L->b, v, t, "");
        L->vs_arith[i] = NULL;
    }
    return L->vs[i];
}

LLVMValueRef
moatL_vpop(Lower *L)
{
    assert(L->nvs > 0);
    LLVMValueRef v = marked(L, L->nvs - 1);
    L->nvs--;
    return v;
}

/* Unmarked only for a taker that reads the bits as the same floats: an
 * f32x4 lane pair quieted or not is a different f64. */
LLVMValueRef
moatL_vpop_arith(Lower *L, LLVMTypeRef lanes)
{
    assert(L->nvs > 0);
    LLVMTypeRef t = L->vs_arith[L->nvs - 1];
    if (t && lanes && t != lanes)
        return moatL_vpop(L);
    return L->vs[--L->nvs];
}

LLVMValueRef
moatL_vpeek(Lower *L, uint32_t depth)
{
    assert(depth < L->nvs);
    return marked(L, L->nvs - 1 - depth);
}

LLVMTypeRef
moatL_type(Lower *L, uint8_t t)
{
    switch (t) {
    case T_I32: return L->i32;
    case T_I64: return L->i64;
    case T_F32: return L->f32;
    case T_F64: return L->f64;
    case T_V128: return L->v128;
    case T_FUNCREF: case T_EXTERNREF: return L->ptr;
    default: assert(!"not a value type"); return L->i32;
    }
}

LLVMValueRef
moatL_const_i32(Lower *L, uint32_t v)
{
    return LLVMConstInt(L->i32, v, false);
}

LLVMValueRef
moatL_const_i64(Lower *L, uint64_t v)
{
    return LLVMConstInt(L->i64, v, false);
}

LLVMValueRef
moatL_zero(Lower *L, uint8_t t)
{
    return LLVMConstNull(moatL_type(L, t));
}

LLVMValueRef
moatL_ieq(Lower *L, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildICmp(L->b, LLVMIntEQ, a, b, "");
}

/* A cold block of its own per trap site, whose call to moatR_trap is
 * marked nomerge: LLVM may not fold two sites into one call, so the
 * call's return address and its location (the wasm offset, debuginfo.c)
 * name the instruction that trapped (docs/backtraces.md). */
static LLVMBasicBlockRef
trap_block(Lower *L, uint32_t code)
{
    LLVMBasicBlockRef here = LLVMGetInsertBlock(L->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                         "trap");
    LLVMValueRef      args[] = { L->ctx, moatL_const_i32(L, code) };

    LLVMPositionBuilderAtEnd(L->b, bb);
    moatL_nomerge(L, moatL_call_helper(L, H_TRAP, args, 2));
    LLVMBuildUnreachable(L->b);
    LLVMPositionBuilderAtEnd(L->b, here);
    return bb;
}

/* LLVM 21 replaced nocapture by captures(none), an integer attribute
 * whose value 0 says "none". */
unsigned
moatL_attr_kind(const char *name)
{
#if LLVM_VERSION_MAJOR >= 21
    if (strcmp(name, "nocapture") == 0)
        name = "captures";
#endif
    return LLVMGetEnumAttributeKindForName(name, strlen(name));
}

/* A name this LLVM does not know would give kind 0, which the verifier
 * crashes on much later: stop here instead, naming it (a build against
 * an LLVM that renamed an attribute; test/lower checks our names). */
LLVMAttributeRef
moatL_attr(Lower *L, const char *name)
{
    unsigned k = moatL_attr_kind(name);
    if (k == 0) {
        fprintf(stderr, "moat: LLVM " LLVM_VERSION_STRING " has no function "
                "attribute '%s' (llvm-lower/builder.c)\n", name);
        abort();
    }
    return LLVMCreateEnumAttribute(L->llctx, k, 0);
}

void
moatL_nomerge(Lower *L, LLVMValueRef call)
{
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             moatL_attr(L, "nomerge"));
}

void
moatL_trap_if(Lower *L, LLVMValueRef cond, uint32_t code)
{
    LLVMBasicBlockRef trap = trap_block(L, code);
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                         "");

    /* traps are cold: weight the branch */
    moatL_cold_branch(L, LLVMBuildCondBr(L->b, cond, trap, ok));
    LLVMPositionBuilderAtEnd(L->b, ok);
}

/* br's true edge is taken about once in a million. */
void
moatL_cold_branch(Lower *L, LLVMValueRef br)
{
    LLVMMetadataRef md[3] = {
        LLVMMDStringInContext2(L->llctx, "branch_weights", 14),
        LLVMValueAsMetadata(moatL_const_i32(L, 1)),
        LLVMValueAsMetadata(moatL_const_i32(L, 1u << 20)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(L->llctx, "prof", 4),
                    LLVMMetadataAsValue(L->llctx,
                                        LLVMMDNodeInContext2(L->llctx, md,
                                                             3)));
}

void
moatL_trap(Lower *L, uint32_t code)
{
    LLVMBuildBr(L->b, trap_block(L, code));
    /* code after the trap is dead: give it a block of its own */
    LLVMPositionBuilderAtEnd(L->b, LLVMAppendBasicBlockInContext(
                                       L->llctx, L->fn, "dead"));
}

LLVMValueRef
moatL_ctx_ptr(Lower *L, int64_t off)
{
    LLVMValueRef idx = LLVMConstInt(L->i64, (uint64_t)off, true);
    return LLVMBuildGEP2(L->b, L->i8, L->ctx, &idx, 1, "");
}

LLVMValueRef
moatL_ctx_load(Lower *L, LLVMTypeRef t, int64_t off, const char *name)
{
    LLVMValueRef v = LLVMBuildLoad2(L->b, t, moatL_ctx_ptr(L, off), name);
    LLVMSetMetadata(v, L->tbaa_kind, L->tbaa_ctx);
    return v;
}

/* A context-area word the runtime writes once, at instantiation (memory,
 * table and import pointers, type ids, function references): marked
 * invariant so that LLVM may hoist it out of loops and across calls. */
LLVMValueRef
moatL_ctx_load_fixed(Lower *L, LLVMTypeRef t, int64_t off, const char *name)
{
    LLVMValueRef v = moatL_ctx_load(L, t, off, name);
    LLVMSetMetadata(v, LLVMGetMDKindIDInContext(L->llctx, "invariant.load",
                                                14),
                    LLVMMDNodeInContext(L->llctx, NULL, 0));
    return v;
}

void
moatL_tag_heap(Lower *L, LLVMValueRef v)
{
    LLVMSetMetadata(v, L->tbaa_kind, L->tbaa_heap);
}

/* Every heap load is volatile: an out-of-bounds load must trap even when
 * its value turns out unused, and LLVM deletes unused loads at any -O
 * (differential testing found 184 of 2,000 random modules affected). The
 * cost on the kernel benchmark is about 2% (docs/bench-kernels.md). */
void
moatL_keep_load(Lower *L, LLVMValueRef load)
{
    moatL_tag_heap(L, load);
    LLVMSetVolatile(load, true);
}

LLVMValueRef
moatL_memory(Lower *L)
{
    return moatL_ctx_load_fixed(L, L->ptr, MOAT_CTX_MEMORY, "memory");
}

/* Memory 0's size in bytes (MoatMemory.size), loaded now. */
LLVMValueRef
moatL_memory_bytes(Lower *L)
{
    LLVMValueRef off = LLVMConstInt(L->i64, offsetof(MoatMemory, size), false);
    LLVMValueRef p = LLVMBuildGEP2(L->b, L->i8, moatL_memory(L), &off, 1, "");
    return LLVMBuildLoad2(L->b, L->i64, p, "mem.size");
}

/* The zero extension of a heap index (i32) as `mov %eN,%eN` in inline
 * asm (moat_compile_config_set_provable): the optimiser cannot see
 * through it, so it cannot fold the index into a 64-bit induction
 * variable or a walking pointer, and every access keeps the shape heap +
 * (32-bit write) + constant that the checker proves locally. Not
 * volatile and without side effects: LLVM may still hoist or share it. */
static LLVMValueRef
provable_index(Lower *L, LLVMValueRef addr)
{
    static const char tpl[] = "movl ${1:k}, ${0:k}";
    static const char cons[] = "=r,r";
    LLVMTypeRef  ft = LLVMFunctionType(L->i64, &L->i32, 1, false);
    LLVMValueRef fn = LLVMGetInlineAsm(ft, (char *)tpl, sizeof tpl - 1,
                                       (char *)cons, sizeof cons - 1,
                                       false, false, LLVMInlineAsmDialectATT,
                                       false);
    LLVMValueRef v = LLVMBuildCall2(L->b, ft, fn, &addr, 1, "");
    unsigned     nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    unsigned     memnone = LLVMGetEnumAttributeKindForName("memory", 6);

    LLVMAddCallSiteAttribute(v, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(L->llctx, nounwind, 0));
    /* memory(none): the move reads and writes no memory (LLVM 16+) */
    LLVMAddCallSiteAttribute(v, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(L->llctx, memnone, 0));
    return v;
}

/* ctx (or the heap base) + zext(addr) + offset. The reservation behind the
 * heap base is 4 GiB + guard: when offset + size fits in the guard, any
 * address lands in the reservation and a fault does the check. */
LLVMValueRef
moatL_heap_addr(Lower *L, LLVMValueRef addr, uint32_t offset, uint32_t size)
{
    LLVMValueRef a64 = L->is_provable ? provable_index(L, addr)
                                      : LLVMBuildZExt(L->b, addr, L->i64, "");
    LLVMValueRef ea = a64;

    if (offset)
        ea = LLVMBuildAdd(L->b, a64, moatL_const_i64(L, offset), "");
    if ((uint64_t)offset + size > L->guard) {
        LLVMValueRef len = moatL_memory_bytes(L);
        LLVMValueRef end = LLVMBuildAdd(L->b, ea, moatL_const_i64(L, size),
                                        "");
        moatL_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGT, end, len, ""),
                      MOAT_ABI_TRAP_MEMORY_OOB);
    }
    return LLVMBuildGEP2(L->b, L->i8, L->heap, &ea, 1, "");
}

LLVMValueRef
moatL_call_helper(Lower *L, int h, LLVMValueRef *args, unsigned n)
{
    assert(n == LLVMCountParamTypes(L->helper_types[h]));   /* abi.h row */
    return LLVMBuildCall2(L->b, L->helper_types[h], L->helpers[h], args, n,
                          "");
}

LLVMValueRef
moatL_intrinsic(Lower *L, const char *name, LLVMTypeRef *tys, unsigned ntys,
                LLVMValueRef *args, unsigned n)
{
    unsigned     id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn;
    LLVMTypeRef  ft;

    assert(id != 0);
    fn = LLVMGetIntrinsicDeclaration(L->mod, id, tys, ntys);
    ft = LLVMIntrinsicGetType(L->llctx, id, tys, ntys);
    return LLVMBuildCall2(L->b, ft, fn, args, n, "");
}
