/* lower_var.c - locals (allocas, promoted to registers by LLVM) and
 * globals (16-byte slots in the context area; an imported global's slot
 * holds a pointer to the exporter's storage). Spec 4.4.5.
 */
#include "lower.h"

/* Local i's alloca, made on first use in the entry block and initialised
 * there (the parameter's value, or zero): the cost of locals is that of
 * the body's local.get/set/tee, not of the declarations, which can name
 * 50,000 locals in 5 bytes (docs/bench-compile-adversarial.md). */
static LLVMValueRef
slot(Lower *L, uint32_t i)
{
    if (L->locals[i])
        return L->locals[i];
    LLVMTypeRef t = moatL_type(L, L->local_types[i]);
    LLVMPositionBuilderBefore(L->slot_b, L->slots_at);
    LLVMValueRef a = LLVMBuildAlloca(L->slot_b, t, "");
    LLVMValueRef init = LLVMConstNull(t);
    if (i < L->nparams && L->nparams > MOAT_WIDE_PARAMS) {
        /* wide: parameter i is in the caller's 16-byte slot i */
        LLVMValueRef off = moatL_const_i64(L, (uint64_t)i * 16);
        LLVMValueRef p = LLVMBuildGEP2(L->slot_b, L->i8,
                                       LLVMGetParam(L->fn, 1), &off, 1, "");
        init = LLVMBuildLoad2(L->slot_b, t, p, "param");
        LLVMSetAlignment(init, 8);
    } else if (i < L->nparams) {
        init = LLVMGetParam(L->fn, i + 1);
    }
    LLVMBuildStore(L->slot_b, init, a);
    return L->locals[i] = a;
}

void
moatL_local_get(Lower *L, const Insn *in)
{
    LLVMTypeRef t = moatL_type(L, L->local_types[in->a]);
    moatL_vpush(L, LLVMBuildLoad2(L->b, t, slot(L, in->a), "local.get"));
}

void
moatL_local_set(Lower *L, const Insn *in)
{
    LLVMBuildStore(L->b, moatL_vpop(L), slot(L, in->a));
}

void
moatL_local_tee(Lower *L, const Insn *in)
{
    LLVMBuildStore(L->b, moatL_vpeek(L, 0), slot(L, in->a));
}

/* Address of global idx's value. */
static LLVMValueRef
global_ptr(Lower *L, uint32_t idx)
{
    int64_t off = moatA_global_at(&L->layout, idx);
    if (L->m->globals[idx].is_import)
        return moatL_ctx_load_fixed(L, L->ptr, off, "global.ptr");
    return moatL_ctx_ptr(L, off);
}

void
moatL_global_get(Lower *L, const Insn *in)
{
    const Global *g = &L->m->globals[in->a];
    LLVMValueRef  v = LLVMBuildLoad2(L->b, moatL_type(L, g->type.type),
                                     global_ptr(L, in->a), "global.get");
    LLVMSetMetadata(v, L->tbaa_kind, L->tbaa_ctx);
    moatL_vpush(L, v);
}

/* A funcref global: inline when the old and the new value are null or
 * the instance's own and the global is its own (lower_table.c says why);
 * else moatR_global_set_ref counts the reference. */
static void
global_set_ref(Lower *L, uint32_t idx, LLVMValueRef v)
{
    LLVMValueRef args[3] = { L->ctx, moatL_const_i32(L, idx), v };

    if (L->m->globals[idx].is_import) {
        moatL_call_helper(L, H_GLOBAL_SET_REF, args, 3);
        return;
    }
    LLVMValueRef p = global_ptr(L, idx);
    LLVMValueRef old = LLVMBuildLoad2(L->b, L->ptr, p, "global.old");
    LLVMSetMetadata(old, L->tbaa_kind, L->tbaa_ctx);
    LLVMValueRef ok = LLVMBuildAnd(L->b, moatL_ref_is_own(L, v),
                                   moatL_ref_is_own(L, old), "");
    moatL_ref_store(L, ok, v, p, L->tbaa_ctx, H_GLOBAL_SET_REF, args, 3);
}

void
moatL_global_set(Lower *L, const Insn *in)
{
    if (L->m->globals[in->a].type.type == T_FUNCREF) {
        global_set_ref(L, in->a, moatL_vpop(L));
        return;
    }
    LLVMValueRef st = LLVMBuildStore(L->b, moatL_vpop(L),
                                     global_ptr(L, in->a));
    LLVMSetMetadata(st, L->tbaa_kind, L->tbaa_ctx);
}
