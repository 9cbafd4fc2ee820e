/* call.c - calling exported functions from the host and reading exported
 * globals (spec 4.5.5 invocation). Arguments and results travel in 16-byte
 * slots through the trampoline the compiler emits per function type;
 * stack.c runs it on the wasm stack and catches traps.
 */
#include <string.h>

#include "runtime.h"

typedef void (*TrampFn)(void *code, void *ctx, uint64_t *vals);

typedef struct Invoke {
    TrampFn  tramp;
    void    *code, *ctx;
    uint64_t *vals;
} Invoke;

static void
run_invoke(void *arg)
{
    Invoke *iv = arg;

    iv->tramp(iv->code, iv->ctx, iv->vals);
}

bool
moatR_call_func(moat_instance *inst, uint32_t idx, uint64_t *vals,
                moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    const MoatFuncRef    *f = moatR_inst_funcref(inst, idx);
    Invoke                iv = { NULL, f->code, f->ctx, vals };

    memcpy(&iv.tramp, &d->types[d->funcs[idx].type_idx].tramp, sizeof iv.tramp);
    if (!moatR_deadline_enter(inst, err))       /* deadline.c */
        return false;
    bool ok = moatR_run(run_invoke, &iv, err);
    moatR_deadline_leave(inst);
    return ok;
}

static size_t
val_size(uint8_t type)
{
    switch (type) {
    case MOAT_I32: case MOAT_F32: return 4;
    case MOAT_V128: return 16;
    case MOAT_FUNCREF: case MOAT_EXTERNREF: return sizeof(void *);
    default: return 8;
    }
}

static void
to_slot(const moat_val *v, uint64_t *slot)
{
    slot[0] = slot[1] = 0;
    memcpy(slot, &v->of, val_size(v->type));
}

static void
from_slot(uint8_t type, const void *slot, moat_val *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    memcpy(&v->of, slot, val_size(type));
}

static bool
check_args(const MoatDescType *t, const char *name, const moat_val *args,
           size_t nargs, size_t nresults, moat_error *err)
{
    if (nargs != t->nparams || nresults != t->nresults)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "type mismatch: %s takes %llu arguments and gives "
                          "%llu results, not %zu and %zu", name,
                          (unsigned long long)t->nparams,
                          (unsigned long long)t->nresults, nargs, nresults);
    for (size_t i = 0; i < nargs; i++)
        if (args[i].type != t->types[i])
            return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                              "type mismatch: argument %zu of %s is %s, not "
                              "%s", i, name, moatR_valtype_text(t->types[i]),
                              moatR_valtype_text(args[i].type));
    return true;
}

enum { NSLOTS = 16 };

static bool
call_export(moat_instance *inst, const MoatDescExport *x, const char *name,
            const moat_val *args, size_t nargs, moat_val *results,
            size_t nresults, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    if (!x || x->kind != 0)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "unknown function export: %s", name);
    const MoatDescType *t = &d->types[d->funcs[x->idx].type_idx];
    if (!check_args(t, name, args, nargs, nresults, err))
        return false;
    uint64_t  local[2 * NSLOTS];
    size_t    n = nargs > nresults ? nargs : nresults;
    uint64_t *vals = n <= NSLOTS ? local : moatU_calloc(n, 16);
    if (!vals)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory");
    for (size_t i = 0; i < nargs; i++)
        to_slot(&args[i], vals + 2 * i);
    bool ok = moatR_call_func(inst, (uint32_t)x->idx, vals, err);
    for (size_t i = 0; ok && i < nresults; i++)
        from_slot(t->types[t->nparams + i], vals + 2 * i, &results[i]);
    if (vals != local)
        moatU_free(vals);
    return ok;
}

moat_status
moat_instance_call(moat_instance *inst, const char *name,
                   const moat_val *args, size_t nargs, moat_val *results,
                   size_t nresults, moat_error *err)
{
    moat_error e = { 0 };

    call_export(inst, moatR_inst_export(inst, name), name, args, nargs,
                results, nresults, &e);
    return moatR_report(err, &e);
}

moat_status
moat_instance_export_index(moat_instance *inst, const char *name, size_t len,
                           uint32_t *out, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    moat_error            e = { 0 };

    for (uint64_t i = 0; i < d->nexports; i++)
        if (d->exports[i].name.len == len &&
            memcmp(d->exports[i].name.p, name, len) == 0) {
            *out = (uint32_t)i;
            return MOAT_OK;
        }
    moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK, "unknown export: %.*s",
               (int)len, name);
    return moatR_report(err, &e);
}

moat_status
moat_instance_call_index(moat_instance *inst, uint32_t export_idx,
                         const moat_val *args, size_t nargs,
                         moat_val *results, size_t nresults, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    moat_error            e = { 0 };

    if (export_idx >= d->nexports)
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK, "no export %u",
                   export_idx);
    else
        call_export(inst, &d->exports[export_idx],
                    (const char *)d->exports[export_idx].name.p, args, nargs,
                    results, nresults, &e);
    return moatR_report(err, &e);
}

moat_status
moat_instance_global(moat_instance *inst, const char *name, moat_val *out,
                     moat_error *err)
{
    moat_error            e = { 0 };
    const MoatDescExport *x = moatR_inst_export(inst, name);

    if (!x || x->kind != 3) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                   "unknown global export: %s", name);
        return moatR_report(err, &e);
    }
    uint32_t i = (uint32_t)x->idx;
    from_slot((uint8_t)inst->module->desc->globals[i].type,
              moatR_inst_global(inst, i), out);
    return MOAT_OK;
}
