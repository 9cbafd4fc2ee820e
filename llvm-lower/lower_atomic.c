/* lower_atomic.c - the atomic memory instructions of the threads proposal
 * (prefix 0xfe): sequentially consistent LLVM atomics on the heap, all
 * volatile (an atomic whose result is unused, or an idempotent one such
 * as an add of 0, must still touch memory and trap out of bounds: x86's
 * lowering otherwise turns `atomicrmw or p, 0` with an unused result into
 * a fence alone, which differential testing against V8 caught), after
 * the alignment check wasm requires (an address that is not a multiple of
 * the access size traps "unaligned atomic", before the bounds check the
 * guard region does); memory.atomic.wait32/64 and notify call the runtime.
 * Narrow forms (rmw8, load16_u, ...) act on the low bytes and zero-extend
 * what they return; a narrow cmpxchg compares the loaded bytes with the
 * expected value wrapped to the access size, as V8 and the reference
 * interpreter do.
 */
#include <string.h>

#include "lower.h"

typedef enum AtomicKind {
    A_LOAD, A_STORE, A_RMW, A_CMPXCHG, A_WAIT32, A_WAIT64, A_NOTIFY, A_FENCE
} AtomicKind;

/* What an op is, from its text: "i32.atomic.rmw8.add_u" is A_RMW with the
 * operation "add". opcodes.def keeps the encodings; this keeps the verbs. */
static AtomicKind
kind_of(const char *t, LLVMAtomicRMWBinOp *bin)
{
    static const struct {
        const char        *verb;
        LLVMAtomicRMWBinOp op;
    } rmw[] = {
        { ".add", LLVMAtomicRMWBinOpAdd }, { ".sub", LLVMAtomicRMWBinOpSub },
        { ".and", LLVMAtomicRMWBinOpAnd }, { ".or", LLVMAtomicRMWBinOpOr },
        { ".xor", LLVMAtomicRMWBinOpXor },
        { ".xchg", LLVMAtomicRMWBinOpXchg },
    };
    if (!strcmp(t, "atomic.fence"))
        return A_FENCE;
    if (!strcmp(t, "memory.atomic.notify"))
        return A_NOTIFY;
    if (!strcmp(t, "memory.atomic.wait32"))
        return A_WAIT32;
    if (!strcmp(t, "memory.atomic.wait64"))
        return A_WAIT64;
    if (strstr(t, ".cmpxchg"))
        return A_CMPXCHG;
    for (size_t i = 0; i < sizeof rmw / sizeof *rmw; i++)
        if (strstr(t, rmw[i].verb)) {
            *bin = rmw[i].op;
            return A_RMW;
        }
    return strstr(t, ".load") ? A_LOAD : A_STORE;
}

/* The alignment trap of an access of bytes at addr + offset. Bounds come
 * first, as in the proposal's execution rules (and V8): a misaligned
 * address that is also out of bounds traps "out of bounds memory access".
 * Only the misaligned path, which is cold, reads the size; an aligned
 * access leaves bounds to the guard region (or to the helper). */
static void
check_alignment(Lower *L, LLVMValueRef addr, uint32_t offset, unsigned bytes)
{
    if (bytes == 1)
        return;
    LLVMValueRef ea = LLVMBuildAdd(L->b, LLVMBuildZExt(L->b, addr, L->i64, ""),
                                   moatL_const_i64(L, offset), "ea");
    LLVMValueRef low = LLVMBuildAnd(L->b, ea, moatL_const_i64(L, bytes - 1),
                                    "");
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                          "misaligned");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                         "aligned");
    LLVMValueRef br = LLVMBuildCondBr(L->b, LLVMBuildICmp(L->b, LLVMIntNE, low,
                                                          moatL_const_i64(L, 0),
                                                          ""),
                                      bad, ok);
    moatL_cold_branch(L, br);
    LLVMPositionBuilderAtEnd(L->b, bad);
    LLVMValueRef end = LLVMBuildAdd(L->b, ea, moatL_const_i64(L, bytes), "");
    moatL_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGT, end,
                                   moatL_memory_bytes(L), ""),
                  MOAT_ABI_TRAP_MEMORY_OOB);
    moatL_trap(L, MOAT_ABI_TRAP_UNALIGNED_ATOMIC);
    LLVMBuildUnreachable(L->b);         /* the block moatL_trap left open */
    LLVMPositionBuilderAtEnd(L->b, ok);
}

/* The heap address of an access, after the alignment trap. */
static LLVMValueRef
aligned_addr(Lower *L, LLVMValueRef addr, uint32_t offset, unsigned bytes)
{
    check_alignment(L, addr, offset, bytes);
    return moatL_heap_addr(L, addr, offset, bytes);
}

static LLVMValueRef
narrow(Lower *L, LLVMValueRef v, LLVMTypeRef mt)
{
    return LLVMTypeOf(v) == mt ? v : LLVMBuildTrunc(L->b, v, mt, "");
}

static LLVMValueRef
widen(Lower *L, LLVMValueRef v, uint8_t valtype)
{
    LLVMTypeRef rt = moatL_type(L, valtype);
    return LLVMTypeOf(v) == rt ? v : LLVMBuildZExt(L->b, v, rt, "");
}

static void
wait_or_notify(Lower *L, const Insn *in, AtomicKind k, unsigned bytes)
{
    LLVMValueRef timeout = k == A_NOTIFY ? NULL : moatL_vpop(L);
    LLVMValueRef value = moatL_vpop(L);      /* expected, or count */
    LLVMValueRef addr = moatL_vpop(L);
    check_alignment(L, addr, in->b, bytes);  /* bounds: the helper's */
    LLVMValueRef ea = LLVMBuildAdd(L->b, LLVMBuildZExt(L->b, addr, L->i64, ""),
                                   moatL_const_i64(L, in->b), "");
    if (k == A_NOTIFY) {
        LLVMValueRef args[] = { L->ctx, ea, value };
        moatL_vpush(L, moatL_call_helper(L, H_ATOMIC_NOTIFY, args, 3));
        return;
    }
    if (k == A_WAIT32)
        value = LLVMBuildZExt(L->b, value, L->i64, "");
    LLVMValueRef args[] = { L->ctx, ea, value, timeout,
                            LLVMConstInt(L->i32, bytes, false) };
    moatL_vpush(L, moatL_call_helper(L, H_ATOMIC_WAIT, args, 5));
}

void
moatL_atomic(Lower *L, const Insn *in)
{
    const OpInfo      *oi = &moatD_ops[in->op];
    unsigned           bytes = 1u << oi->n;
    LLVMAtomicRMWBinOp bin = LLVMAtomicRMWBinOpAdd;
    AtomicKind         k = kind_of(oi->text, &bin);
    LLVMAtomicOrdering sc = LLVMAtomicOrderingSequentiallyConsistent;
    LLVMTypeRef        mt = LLVMIntTypeInContext(L->llctx, bytes * 8);

    if (k == A_FENCE) {
        LLVMBuildFence(L->b, sc, false, "");
        return;
    }
    if (k == A_WAIT32 || k == A_WAIT64 || k == A_NOTIFY) {
        wait_or_notify(L, in, k, bytes);
        return;
    }
    LLVMValueRef repl = k == A_CMPXCHG ? moatL_vpop(L) : NULL;
    LLVMValueRef v = k == A_LOAD ? NULL : moatL_vpop(L);
    LLVMValueRef p = aligned_addr(L, moatL_vpop(L), in->b, bytes);
    LLVMValueRef r;

    switch (k) {
    case A_LOAD:
        r = LLVMBuildLoad2(L->b, mt, p, oi->text);
        LLVMSetOrdering(r, sc);
        LLVMSetAlignment(r, bytes);
        moatL_keep_load(L, r);                  /* volatile too */
        moatL_vpush(L, widen(L, r, oi->push));
        return;
    case A_STORE:
        r = LLVMBuildStore(L->b, narrow(L, v, mt), p);
        LLVMSetOrdering(r, sc);
        LLVMSetAlignment(r, bytes);
        LLVMSetVolatile(r, true);
        moatL_tag_heap(L, r);
        return;
    case A_RMW:
        r = LLVMBuildAtomicRMW(L->b, bin, p, narrow(L, v, mt), sc, false);
        LLVMSetVolatile(r, true);
        moatL_tag_heap(L, r);
        break;
    default:                                    /* A_CMPXCHG */
        r = LLVMBuildAtomicCmpXchg(L->b, p, narrow(L, v, mt),
                                   narrow(L, repl, mt), sc, sc, false);
        LLVMSetVolatile(r, true);
        moatL_tag_heap(L, r);
        r = LLVMBuildExtractValue(L->b, r, 0, "");
        break;
    }
    moatL_vpush(L, widen(L, r, oi->push));
}
