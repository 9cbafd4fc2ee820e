/* func.c - lowers one function body: prologue (locals, heap base), the
 * instruction loop dispatching through moatL_ops_table[] (built from
 * opcodes.def's `lower` column), and the epilogue.
 * The body was validated before, so decoding here cannot fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* Every row of opcodes.def names its handler in the `lower` column; the
 * dispatch table is that column, so an instruction is lowered by the
 * function its row names and by no other (test/llvm-lower/test_dispatch.c
 * checks both). A row must name a LowerFn: taking its address rejects
 * NULL or 0, and _Generic rejects a function of another type, at compile
 * time. */
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    _Static_assert(_Generic(&(lower), LowerFn: 1, default: 0), \
                   "opcodes.def: " #name ": " #lower " is not a LowerFn");
#include "../frontend/opcodes.def"
#undef OP

const LowerFn moatL_ops_table[NOP_COUNT] = {
#define OP(name, prefix, code, text, imm, a, b, c, r, n, lower) \
    [OP_##name] = lower,
#include "../frontend/opcodes.def"
#undef OP
};

static void
prologue(Lower *L, const Func *f, const FuncType *ft)
{
    uint32_t n = ft->nparams + f->nlocals;
    uint8_t *types = moatU_arena_alloc(&L->scratch, n + 1);
    L->locals = moatU_arena_alloc(&L->scratch, (n + 1) * sizeof *L->locals);
    if (!types || !L->locals)
        abort();
    /* slots are made on first use (lower_var.c): a local or parameter the
     * body never names costs nothing, whatever the declarations say */
    memset(L->locals, 0, (n + 1) * sizeof *L->locals);
    memcpy(types, ft->types, ft->nparams);
    uint32_t k = ft->nparams;
    for (uint32_t i = 0; i < f->nruns; i++)
        for (uint32_t j = 0; j < f->runs[i].count; j++)
            types[k++] = f->runs[i].type;
    L->local_types = types;
    L->nlocals = n;
    L->nparams = ft->nparams;
    L->ctx = LLVMGetParam(L->fn, 0);
    if (L->mem_is_ctx || L->m->nmems == 0) {
        L->heap = L->ctx;
    } else {                    /* imported memory: base from MoatMemory */
        LLVMValueRef base = LLVMBuildLoad2(L->b, L->ptr, moatL_memory(L),
                                           "heap");
        LLVMSetMetadata(base, LLVMGetMDKindIDInContext(L->llctx,
                                                       "invariant.load", 14),
                        LLVMMDNodeInContext(L->llctx, NULL, 0));
        L->heap = base;
    }
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(L->llctx, L->fn,
                                                           "body");
    L->slots_at = LLVMBuildBr(L->b, body);
    LLVMPositionBuilderAtEnd(L->b, body);
}

/* One result in its register; two or more into the caller's results
 * area, the last parameter (runtime/abi.h, "how every function is
 * called"). */
static void
epilogue(Lower *L, const FuncType *ft)
{
    if (!L->is_dead) {
        uint32_t n = ft->nresults;
        if (n == 0) {
            LLVMBuildRetVoid(L->b);
        } else if (n == 1) {
            LLVMBuildRet(L->b, moatL_vpop(L));
        } else {
            LLVMValueRef area = LLVMGetParam(L->fn,
                                             LLVMCountParams(L->fn) - 1);
            for (uint32_t i = 0; i < n; i++)
                moatL_result_store(L, area, i, moatL_vpeek(L, n - 1 - i));
            LLVMBuildRetVoid(L->b);
        }
    }
    /* blocks that nothing reaches still need a terminator */
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(L->fn); bb;
         bb = LLVMGetNextBasicBlock(bb)) {
        if (!LLVMGetBasicBlockTerminator(bb)) {
            LLVMPositionBuilderAtEnd(L->b, bb);
            LLVMBuildUnreachable(L->b);
        }
    }
}

static bool
is_structural(int op)
{
    return op == OP_BLOCK || op == OP_LOOP || op == OP_IF || op == OP_ELSE ||
           op == OP_END;
}

void
moatL_func(Lower *L, uint32_t idx)
{
    const Module   *m = L->m;
    const Func     *f = &m->funcs[idx];
    const FuncType *ft = &m->types[f->type_idx];
    moat_error      err = { 0 };
    Reader          r = moatD_reader(m->bytes, m->len, &err);
    Insn            in = { 0 };

    L->func = idx;
    L->fn = L->funcs[idx];
    L->nvs = L->ncs = 0;
    L->is_dead = false;
    L->r = &r;
    char name[32];
    snprintf(name, sizeof name, "wasm_f%u", idx);
    /* the prologue's code (stack and epoch checks) is at the body */
    moatL_di_func(L, L->fn, name, (unsigned)(f->code - m->bytes));
    LLVMPositionBuilderAtEnd(L->b, LLVMAppendBasicBlockInContext(
                                       L->llctx, L->fn, "entry"));
    FuncFacts facts = moatL_func_facts(m, f);
    prologue(L, f, ft);
    moatL_call_areas(L, &facts);
    StackCheck stack = moatL_stack_check(L, L->fn, L->ctx);
    /* a body without calls runs at most as many instructions as it has,
     * but for its loops, which have their own checks: whatever runs long
     * passes a loop header or the entry of a function that calls */
    if (L->is_interruptible && facts.has_call)
        moatL_epoch_check(L);
    moatL_ctrl_init(L);
    r.p = f->code;
    r.end = f->code + f->code_len;
    while (L->ncs > 0) {
        moatL_di_at(L, (uint64_t)(r.p - m->bytes));
        bool ok = moatD_insn(&r, &in);
        assert(ok);
        (void)ok;
        if (L->is_dead && !is_structural(in.op))
            continue;
        assert(moatL_ops_table[in.op]);
        moatL_ops_table[in.op](L, &in);
    }
    epilogue(L, ft);
    moatL_stack_finish(L, &stack, &facts);
    moatL_di_leave(L);
    moatU_arena_fini(&L->scratch);
}
