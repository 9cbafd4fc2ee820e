/* caller.c - host functions that see their caller (moat.h,
 * moat_linker_define_func_caller): the binding of one moat_caller per
 * such import per instance, and what a host function may ask of it:
 * its data, its instance and the instance's memory. Ending the call
 * (moat_caller_trap, moat_caller_exit) is in trap.c, beside the other
 * ways a call unwinds.
 */
#include <stdio.h>
#include <string.h>

#include "runtime.h"

void *
moat_caller_data(moat_caller *c)
{
    return c->data;
}

moat_instance *
moat_caller_instance(moat_caller *c)
{
    return c->inst;
}

uint8_t *
moat_caller_memory(moat_caller *c, uint64_t *size)
{
    return moat_instance_memory(c->inst, size);
}

uint8_t *
moat_instance_memory(moat_instance *inst, uint64_t *size)
{
    if (!inst->mem) {
        *size = 0;
        return NULL;
    }
    moatR_memory_expose(inst->mem);     /* the host may hand it to the
                                         * kernel, which does not fault */
    *size = inst->mem->size;
    return inst->mem->base;
}

/* [offset, +len) is inside memory, and its pages are open: a pool slot
 * opens grown pages on the guest's first touch, which a host memcpy would
 * not survive (moatR_memory_will_write opens them and notes them for the
 * scrub on reset). */
static bool
in_memory(moat_instance *inst, uint64_t offset, size_t len, moat_error *e)
{
    uint64_t size = inst->mem ? inst->mem->size : 0;

    if (offset > size || len > size - offset)
        return moatU_fail(e, MOAT_NO_OFFSET, MOAT_ERR_LIMIT,
                          "memory access [%llu, +%zu) outside memory of "
                          "%llu bytes", (unsigned long long)offset, len,
                          (unsigned long long)size);
    return len == 0 ||
           moatR_memory_will_write(inst->mem, offset, offset + len) ||
           moatU_fail(e, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                      "out of memory: memory pages");
}

moat_status
moat_instance_memory_read(moat_instance *inst, uint64_t offset, void *buf,
                          size_t len, moat_error *err)
{
    moat_error e = { 0 };

    if (in_memory(inst, offset, len, &e) && len)
        memcpy(buf, inst->mem->base + offset, len);
    return moatR_report(err, &e);
}

moat_status
moat_instance_memory_write(moat_instance *inst, uint64_t offset,
                           const void *buf, size_t len, moat_error *err)
{
    moat_error e = { 0 };

    if (in_memory(inst, offset, len, &e) && len)
        memcpy(inst->mem->base + offset, buf, len);
    return moatR_report(err, &e);
}

const char *
moat_instance_func_name(moat_instance *inst, uint32_t idx, char *buf,
                        size_t n)
{
    return moatR_func_name(inst->module, idx, buf, n);
}

/* Binds import idx (a function index) of inst to its own moat_caller:
 * the slot compiled code calls through and the funcref tables see. */
void
moatR_bind_caller(moat_instance *inst, uint32_t idx, const MoatFuncRef *f)
{
    moat_caller *c = &inst->callers[idx];
    MoatFuncRef *r = &inst->funcs[idx];

    c->inst = inst;
    c->data = f->ctx;
    r->code = f->code;
    r->ctx = c;
    r->type_id = f->type_id;
    r->kind = MOAT_REF_BOUND;
}

void *
moatR_instance_wasi(const moat_instance *inst)
{
    return inst->wasi;
}

void
moatR_instance_set_wasi(moat_instance *inst, void *w)
{
    inst->wasi = w;
}
