/* call.c - calling exported functions from the host, suspending and
 * resuming such calls (moat_caller_yield is fiber.c's), and reading
 * exported globals (spec 4.5.5 invocation). Arguments and results travel
 * in 16-byte slots through the trampoline the compiler emits per function
 * type; stack.c runs it on the instance's stack and catches traps;
 * deadline.c's hooks arm a timeout around every stretch of running.
 */
#include <string.h>

#include "runtime.h"

typedef void (*TrampFn)(void *code, void *ctx, uint64_t *vals);

/* Read once, when the run starts: it may live in a frame that a yield
 * ends before the run does. */
typedef struct Invoke {
    TrampFn   tramp;
    void     *code, *ctx;
    uint64_t *vals;
} Invoke;

static void
run_invoke(void *arg)
{
    Invoke   *iv = arg;
    TrampFn   tramp = iv->tramp;
    void     *code = iv->code, *ctx = iv->ctx;
    uint64_t *vals = iv->vals;

    tramp(code, ctx, vals);
}

static size_t
nslots(const MoatDescType *t)
{
    return (size_t)(t->nparams > t->nresults ? t->nparams : t->nresults);
}

/* A run of f is over (done or trapped) or suspended. */
static void
settle(Fiber *f, int r)
{
    f->thread = NULL;
    if (r == MOAT_RUN_YIELD) {
        atomic_store(&f->state, MOAT_FIBER_SUSPENDED);
        return;
    }
    if (f->vals != f->local)
        moatU_free(f->vals);
    f->vals = NULL;
    atomic_store(&f->state, MOAT_FIBER_IDLE);
}

/* A fresh run on the instance's own stack (f is ours: RUNNING). Its slots
 * live in the fiber, since a yield may end this frame before the run. */
static int
run_fresh(moat_instance *inst, Fiber *f, Invoke *iv, uint32_t idx,
          size_t n, moat_error *err)
{
    uint64_t *out = iv->vals;

    f->thread = &moatR_tls;
    if (!moatR_fiber_ready(f, !inst->slot, err)) {
        settle(f, MOAT_RUN_TRAP);
        return MOAT_RUN_TRAP;
    }
    f->vals = n <= sizeof f->local / 16 ? f->local : moatU_calloc(n, 16);
    if (!f->vals) {
        settle(f, MOAT_RUN_TRAP);
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_RUN_TRAP;
    }
    memcpy(f->vals, out, n * 16);
    iv->vals = f->vals;
    f->func = idx;
    int r = moatR_run(f, run_invoke, iv, err);
    if (r == MOAT_RUN_DONE)
        memcpy(out, f->vals, n * 16);
    settle(f, r);
    return r;
}

/* Which stack a call runs on: the instance's when it is free; in place
 * when the instance is already running on this thread (a host function
 * called back in); this thread's spare one when the instance's stack is
 * busy on another thread. A suspended instance takes no calls. */
int
moatR_call_func(moat_instance *inst, uint32_t idx, uint64_t *vals,
                moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    const MoatFuncRef    *fr = moatR_inst_funcref(inst, idx);
    const MoatDescType   *t = &d->types[d->funcs[idx].type_idx];
    Invoke                iv = { NULL, fr->code, fr->ctx, vals };
    Fiber                *f = inst->fiber, *spare;
    int                   idle = MOAT_FIBER_IDLE, r;

    memcpy(&iv.tramp, &t->tramp, sizeof iv.tramp);
    if (atomic_load(&f->state) == MOAT_FIBER_SUSPENDED)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "instance is suspended in a yield: resume or "
                          "reset it first"), MOAT_RUN_TRAP;
    if (!moatR_deadline_enter(inst, err))       /* deadline.c */
        return MOAT_RUN_TRAP;
    if (atomic_compare_exchange_strong(&f->state, &idle,
                                       MOAT_FIBER_RUNNING)) {
        r = run_fresh(inst, f, &iv, idx, nslots(t), err);
    } else if (f->thread == &moatR_tls) {
        r = moatR_run(NULL, run_invoke, &iv, err);
    } else if ((spare = moatR_spare_fiber(err)) != NULL) {
        r = moatR_run(spare, run_invoke, &iv, err);
        settle(spare, MOAT_RUN_DONE);
    } else if (moatU_failed(err)) {
        r = MOAT_RUN_TRAP;
    } else {
        r = moatR_run(NULL, run_invoke, &iv, err);  /* on the spare */
    }
    moatR_deadline_leave(inst);
    return r;
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

/* Calls x; MOAT_RUN_*. results are written when it returns. */
static int
call_export(moat_instance *inst, const MoatDescExport *x, const char *name,
            const moat_val *args, size_t nargs, moat_val *results,
            size_t nresults, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;

    if (!x || x->kind != MOAT_DESC_EXT_FUNC)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                          "unknown function export: %s", name),
               MOAT_RUN_TRAP;
    const MoatDescType *t = &d->types[d->funcs[x->idx].type_idx];
    if (!check_args(t, name, args, nargs, nresults, err))
        return MOAT_RUN_TRAP;
    uint64_t  local[2 * NSLOTS];
    size_t    n = nargs > nresults ? nargs : nresults;
    uint64_t *vals = n <= NSLOTS ? local : moatU_calloc(n, 16);
    if (!vals)
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_RUN_TRAP;
    for (size_t i = 0; i < nargs; i++)
        to_slot(&args[i], vals + 2 * i);
    int r = moatR_call_func(inst, (uint32_t)x->idx, vals, err);
    for (size_t i = 0; r == MOAT_RUN_DONE && i < nresults; i++)
        from_slot(t->types[t->nparams + i], vals + 2 * i, &results[i]);
    if (vals != local)
        moatU_free(vals);
    return r;
}

/* A suspended call is not an error: err stays as it was. */
static moat_status
outcome(int r, moat_error *err, const moat_error *e)
{
    return r == MOAT_RUN_YIELD ? MOAT_YIELDED : moatR_report(err, e);
}

moat_status
moat_instance_call(moat_instance *inst, const char *name,
                   const moat_val *args, size_t nargs, moat_val *results,
                   size_t nresults, moat_error *err)
{
    moat_error e = { 0 };
    int        r = call_export(inst, moatR_inst_export(inst, name), name,
                               args, nargs, results, nresults, &e);

    return outcome(r, err, &e);
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
    int                   r = MOAT_RUN_TRAP;

    if (export_idx >= d->nexports)
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK, "no export %u",
                   export_idx);
    else
        r = call_export(inst, &d->exports[export_idx],
                        (const char *)d->exports[export_idx].name.p, args,
                        nargs, results, nresults, &e);
    return outcome(r, err, &e);
}

/* ---- resuming a suspended call (moat_caller_yield or a preemption,
 * deadline.c, suspended it) ---- */

moat_status
moat_instance_resume(moat_instance *inst, moat_val value, moat_val *results,
                     size_t nresults, moat_error *err)
{
    const MoatDescriptor *d = inst->module->desc;
    Fiber                *f = inst->fiber;
    moat_error            e = { 0 };
    int                   susp = MOAT_FIBER_SUSPENDED;

    if (!atomic_compare_exchange_strong(&f->state, &susp,
                                        MOAT_FIBER_RUNNING)) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                   "instance is not suspended");
        return moatR_report(err, &e);
    }
    const MoatDescType *t = &d->types[d->funcs[f->func].type_idx];
    if (nresults != t->nresults) {
        atomic_store(&f->state, MOAT_FIBER_SUSPENDED);
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                   "type mismatch: the suspended call gives %llu results, "
                   "not %zu", (unsigned long long)t->nresults, nresults);
        return moatR_report(err, &e);
    }
    f->thread = &moatR_tls;
    f->preempted = false;
    if (!moatR_deadline_enter(inst, &e)) {      /* an interrupt: the call */
        moatR_fiber_abandon(f);                 /* ends with it */
        f->thread = NULL;
        return moatR_report(err, &e);
    }
    f->resume_val = value;
    int r = moatR_resume(f, &e);
    moatR_deadline_leave(inst);
    for (size_t i = 0; r == MOAT_RUN_DONE && i < nresults; i++)
        from_slot(t->types[t->nparams + i], f->vals + 2 * i, &results[i]);
    settle(f, r);
    return outcome(r, err, &e);
}

int
moat_instance_is_suspended(const moat_instance *inst)
{
    return atomic_load(&inst->fiber->state) == MOAT_FIBER_SUSPENDED;
}

int
moat_instance_was_preempted(const moat_instance *inst)
{
    return moat_instance_is_suspended(inst) && inst->fiber->preempted;
}

moat_val
moat_instance_yielded(const moat_instance *inst)
{
    moat_val none;

    if (moat_instance_is_suspended(inst))
        return inst->fiber->yield_val;
    memset(&none, 0, sizeof none);
    return none;
}

moat_status
moat_instance_global(moat_instance *inst, const char *name, moat_val *out,
                     moat_error *err)
{
    moat_error            e = { 0 };
    const MoatDescExport *x = moatR_inst_export(inst, name);

    if (!x || x->kind != MOAT_DESC_EXT_GLOBAL) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK,
                   "unknown global export: %s", name);
        return moatR_report(err, &e);
    }
    uint32_t i = (uint32_t)x->idx;
    from_slot((uint8_t)inst->module->desc->globals[i].type,
              moatR_inst_global(inst, i), out);
    return MOAT_OK;
}
