/* lower_stack.c - the stack check (runtime/abi.h, "the stack limit"). Host
 * code (helpers, moatR_trap, host functions, WASI) runs on the wasm stack
 * under the compiled frames that called it, so compiled code leaves it a
 * reserve: in the entry block, after the allocas,
 *     if (rsp < *(%fs:ctx[MOAT_CTX_STACK_LIMIT])) {
 *         (volatile) *(rsp - MOAT_STACK_TRAP_ROOM);
 *         moatR_trap(ctx, MOAT_ABI_TRAP_STACK_EXHAUSTED);
 *     }
 * rsp is read in the body, after the prologue has allocated the frame
 * (shrink-wrapping keeps the prologue above any non-call use of rsp), so
 * every call the function makes starts with at least the reserve left.
 * A function that calls nothing loses the check again once its body is
 * lowered (moatL_stack_finish). docs/compiler.md, "Stack checks".
 */
#include <string.h>

#include "lower.h"

enum { ADDRSPACE_FS = 257 };    /* x86: loads relative to the %fs base */

/* Intrinsics that are instructions on every x86-64, never calls: a body
 * that uses them is still a leaf. Any other call, intrinsic or not (a
 * rounding intrinsic is a libm call without SSE4.1), keeps the check. */
static const char *const inline_intrinsics[] = {
    "llvm.abs.",       "llvm.copysign.",  "llvm.ctlz.",     "llvm.ctpop.",
    "llvm.cttz.",      "llvm.fabs.",      "llvm.fptosi.sat.",
    "llvm.fptoui.sat.", "llvm.fshl.",     "llvm.fshr.",
    "llvm.read_register.",
    "llvm.sadd.sat.",  "llvm.smax.",      "llvm.smin.",     "llvm.sqrt.",
    "llvm.ssub.sat.",  "llvm.uadd.sat.",  "llvm.umax.",     "llvm.umin.",
    "llvm.usub.sat.",  "llvm.x86.",
};

static LLVMValueRef
read_sp(Lower *L)
{
    LLVMMetadataRef rsp = LLVMMDStringInContext2(L->llctx, "rsp", 3);
    LLVMValueRef    md = LLVMMetadataAsValue(L->llctx,
                                             LLVMMDNodeInContext2(L->llctx,
                                                                  &rsp, 1));

    return moatL_intrinsic(L, "llvm.read_register", &L->i64, 1, &md, 1);
}

/* The thread's limit word: its offset from the thread pointer is a
 * context-area word written once (invariant), the word itself changes
 * only around calls into the runtime, which restore it before they
 * return. */
static LLVMValueRef
load_limit(Lower *L, LLVMValueRef ctx)
{
    LLVMValueRef idx = LLVMConstInt(L->i64, (uint64_t)(int64_t)
                                                MOAT_CTX_STACK_LIMIT, true);
    LLVMValueRef at = LLVMBuildGEP2(L->b, L->i8, ctx, &idx, 1, "");
    LLVMValueRef off = LLVMBuildLoad2(L->b, L->i64, at, "stack.limit.at");
    LLVMTypeRef  fs = LLVMPointerTypeInContext(L->llctx, ADDRSPACE_FS);
    LLVMValueRef word = LLVMBuildIntToPtr(L->b, off, fs, "");
    LLVMValueRef limit = LLVMBuildLoad2(L->b, L->i64, word, "stack.limit");

    LLVMSetMetadata(off, L->tbaa_kind, L->tbaa_ctx);
    LLVMSetMetadata(off, LLVMGetMDKindIDInContext(L->llctx, "invariant.load",
                                                  14),
                    LLVMMDNodeInContext(L->llctx, NULL, 0));
    LLVMSetAlignment(off, 8);
    LLVMSetAlignment(limit, 8);
    return limit;
}

/* The cold path: probe, so that moatR_trap has MOAT_STACK_TRAP_ROOM
 * bytes (else the probe faults in the guard, from compiled code: the same
 * trap), then trap. */
static LLVMValueRef
exhausted(Lower *L, LLVMValueRef ctx, LLVMValueRef sp)
{
    LLVMValueRef at = LLVMBuildSub(L->b, sp,
                                   moatL_const_i64(L, MOAT_STACK_TRAP_ROOM),
                                   "");
    LLVMValueRef probe = LLVMBuildLoad2(L->b, L->i8,
                                        LLVMBuildIntToPtr(L->b, at, L->ptr,
                                                          ""),
                                        "stack.probe");
    LLVMValueRef args[] = {
        ctx, moatL_const_i32(L, MOAT_ABI_TRAP_STACK_EXHAUSTED)
    };

    LLVMSetVolatile(probe, true);
    LLVMValueRef call = moatL_call_helper(L, H_TRAP, args, 2);
    moatL_nomerge(L, call);
    LLVMBuildUnreachable(L->b);
    return call;
}

StackCheck
moatL_stack_check(Lower *L, LLVMValueRef fn, LLVMValueRef ctx)
{
    StackCheck sc;

    sc.entry = LLVMGetInsertBlock(L->b);
    sc.trap = LLVMAppendBasicBlockInContext(L->llctx, fn, "stack.exhausted");
    sc.ok = LLVMAppendBasicBlockInContext(L->llctx, fn, "stack.ok");
    LLVMValueRef sp = read_sp(L);
    LLVMValueRef low = LLVMBuildICmp(L->b, LLVMIntULT, sp,
                                     load_limit(L, ctx), "stack.low");
    /* moatR_trap is cold and noreturn: LLVM lays the branch out as
     * unlikely without weights */
    sc.br = LLVMBuildCondBr(L->b, low, sc.trap, sc.ok);
    LLVMPositionBuilderAtEnd(L->b, sc.trap);
    sc.trap_call = exhausted(L, ctx, sp);
    LLVMPositionBuilderAtEnd(L->b, sc.ok);
    return sc;
}

static bool
is_inline_intrinsic(LLVMValueRef callee)
{
    size_t      len;
    const char *name;

    if (!callee || !LLVMIsAFunction(callee))
        return false;
    name = LLVMGetValueName2(callee, &len);
    for (size_t i = 0; i < sizeof inline_intrinsics / sizeof *inline_intrinsics;
         i++)
        if (strncmp(name, inline_intrinsics[i],
                    strlen(inline_intrinsics[i])) == 0)
            return true;
    return false;
}

/* Bytes of arguments a call passes on the stack (System V x86-64: six
 * integer or pointer registers, eight vector registers), 16 per argument
 * to be safe about alignment. LLVM may push them after the check instead
 * of reserving them in the frame. */
static uint64_t
stack_args(LLVMValueRef call)
{
    unsigned n = LLVMGetNumArgOperands(call), ngp = 0, nvec = 0;

    for (unsigned i = 0; i < n; i++) {
        LLVMTypeKind k = LLVMGetTypeKind(LLVMTypeOf(LLVMGetOperand(call, i)));
        if (k == LLVMIntegerTypeKind || k == LLVMPointerTypeKind)
            ngp++;
        else
            nvec++;
    }
    return 16 * ((uint64_t)(ngp > 6 ? ngp - 6 : 0) +
                 (uint64_t)(nvec > 8 ? nvec - 8 : 0));
}

/* Whether fn calls anything but the check's own moatR_trap; *args: the
 * most any of its calls passes on the stack. */
static bool
calls_out(LLVMValueRef fn, LLVMValueRef own, uint64_t *args)
{
    bool calls = false;

    *args = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
         bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
             i = LLVMGetNextInstruction(i))
            if (LLVMGetInstructionOpcode(i) == LLVMCall && i != own &&
                !is_inline_intrinsic(LLVMGetCalledValue(i))) {
                uint64_t a = stack_args(i);
                calls = true;
                *args = a > *args ? a : *args;
            }
    return calls;
}

/* Deletes v when nothing uses it, then its operands the same way: the
 * check's loads and the stack pointer read, up to ctx. */
static void
erase_unused(LLVMValueRef v)
{
    if (!LLVMIsAInstruction(v) || LLVMGetFirstUse(v))
        return;
    int          n = LLVMGetNumOperands(v);
    LLVMValueRef ops[4];

    assert(n <= 4);
    for (int i = 0; i < n; i++)
        ops[i] = LLVMGetOperand(v, (unsigned)i);
    LLVMInstructionEraseFromParent(v);
    for (int i = 0; i < n; i++)
        erase_unused(ops[i]);
}

/* After the body. A leaf touches only its own frame: whatever its size,
 * running out of stack there faults in compiled code, which is a trap. So
 * the check goes where nothing is called. Where something is, the check
 * also counts the arguments the largest call passes on the stack: LLVM
 * may push them (X86CallFrameOptimization) after the check. */
void
moatL_stack_finish(Lower *L, const StackCheck *sc, const FuncFacts *x)
{
    LLVMValueRef      cond = LLVMGetCondition(sc->br);
    LLVMBasicBlockRef at = LLVMGetInsertBlock(L->b);
    uint64_t          args;

    /* a wasm loop can become a call: LLVM turns a store loop into
     * memset or memcpy */
    if (calls_out(L->fn, sc->trap_call, &args) || x->has_loop) {
        if (args) {
            LLVMPositionBuilderBefore(L->b, cond);
            LLVMValueRef sp = LLVMGetOperand(cond, 0);
            LLVMSetOperand(cond, 0, LLVMBuildSub(L->b, sp,
                                                 moatL_const_i64(L, args),
                                                 "stack.args"));
        }
        LLVMPositionBuilderAtEnd(L->b, at);
        return;
    }
    LLVMInstructionEraseFromParent(sc->br);
    LLVMDeleteBasicBlock(sc->trap);
    LLVMPositionBuilderAtEnd(L->b, sc->entry);
    LLVMBuildBr(L->b, sc->ok);
    erase_unused(cond);
    LLVMPositionBuilderAtEnd(L->b, at);
}
