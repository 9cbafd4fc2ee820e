/* lower_epoch.c - interruption checks, compiled in when the module is
 * compiled interruptible (moat_compile_config_set_interruptible): at
 * function entries and loop headers,
 *     if (*ctx[MOAT_CTX_EPOCH_PTR] >= ctx[MOAT_CTX_DEADLINE])
 *         moatR_epoch_check(ctx);
 * The runtime (runtime/deadline.c) makes the deadline word 0 to stop a
 * call, and decides in the helper whether to trap. docs/runtime.md,
 * "Deadlines", has the design and its cost.
 */
#include "lower.h"

/* Relaxed (monotonic) loads: another thread writes both words, and the
 * check must see the write in a loop that stores nothing itself, so LLVM
 * may neither hoist the loads out of the loop nor fold them together. On
 * x86-64 they are plain moves. */
static LLVMValueRef
relaxed_load(Lower *L, LLVMValueRef ptr, const char *name)
{
    LLVMValueRef v = LLVMBuildLoad2(L->b, L->i64, ptr, name);

    LLVMSetOrdering(v, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(v, 8);
    LLVMSetMetadata(v, L->tbaa_kind, L->tbaa_ctx);   /* never the heap */
    return v;
}

/* Weights the check's branch like a trap: the call is the cold path. */
static void
mark_unlikely(Lower *L, LLVMValueRef br)
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
moatL_epoch_check(Lower *L)
{
    /* the epoch pointer never changes: an invariant load, hoisted out of
     * loops; the epoch and the deadline are reloaded at every check */
    LLVMValueRef epoch_ptr = moatL_ctx_load_fixed(L, L->ptr,
                                                  MOAT_CTX_EPOCH_PTR,
                                                  "epoch.ptr");
    LLVMValueRef epoch = relaxed_load(L, epoch_ptr, "epoch");
    LLVMValueRef deadline = relaxed_load(L, moatL_ctx_ptr(L,
                                                          MOAT_CTX_DEADLINE),
                                         "deadline");
    LLVMValueRef is_due = LLVMBuildICmp(L->b, LLVMIntUGE, epoch, deadline,
                                        "epoch.due");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "epoch.check");
    LLVMBasicBlockRef go_on = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                            "epoch.ok");

    mark_unlikely(L, LLVMBuildCondBr(L->b, is_due, slow, go_on));
    LLVMPositionBuilderAtEnd(L->b, slow);
    LLVMValueRef args[] = { L->ctx };
    moatL_call_helper(L, H_EPOCH_CHECK, args, 1);   /* may not return */
    LLVMBuildBr(L->b, go_on);
    LLVMPositionBuilderAtEnd(L->b, go_on);
}
