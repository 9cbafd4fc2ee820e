/* plugin.c - plugins linked into the program (`moat compile --name`,
 * docs/plugins.md): a module from a descriptor the program holds, with no
 * file and no ELF loading, and the typed calls of the generated headers,
 * whose outcome each instance keeps (moat_instance_last_error). The
 * loader's image checks (contract_bounds.c) have no image here: the code
 * lies between the linker's bounds of the plugin's code section, which
 * the descriptor holds, and every code pointer must point inside them.
 */
#include <string.h>

#include "runtime.h"

static bool
fail(moat_error *err, const char *what)
{
    return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_CONTRACT,
                      "contract violation: %s", what);
}

static bool
in_code(const MoatDescriptor *d, const void *p)
{
    return (uintptr_t)p >= (uintptr_t)d->code_lo &&
           (uintptr_t)p < (uintptr_t)d->code_hi;
}

static bool
is_name(const MoatDescBytes *b)
{
    return b->p ? b->len < UINT32_MAX : b->len == 0;
}

/* What moatR_check_contract reads without checking: the header's
 * version first (an older layout must not be read further), code bounds,
 * code and trampoline pointers, names and type arrays. Counts were
 * bounded by check_counts. */
static bool
check_pointers(const MoatDescriptor *d, moat_error *err)
{
    if (!d->code_lo || (uintptr_t)d->code_hi <= (uintptr_t)d->code_lo)
        return fail(err, "the descriptor has no code bounds (an artifact "
                         "compiled without --name: load it with "
                         "moat_module_load_file)");
    if (!d->cpu || !d->features)
        return fail(err, "NULL CPU or features");
    for (uint64_t i = 0; d->types && i < d->ntypes; i++) {
        const MoatDescType *t = &d->types[i];
        if ((t->nparams || t->nresults) && !t->types)
            return fail(err, "NULL type array");
        if (t->tramp && !in_code(d, t->tramp))
            return fail(err, "trampoline outside the plugin's code");
    }
    for (uint64_t i = 0; d->funcs && i < d->nfuncs; i++) {
        const MoatDescFunc *f = &d->funcs[i];
        bool is_import = i < d->nfunc_imports;
        if (is_import ? f->code != NULL : !in_code(d, f->code))
            return fail(err, "function code outside the plugin's code");
        if (!is_name(&f->name))
            return fail(err, "bad function name");
    }
    for (uint64_t i = 0; d->imports && i < d->nimports; i++)
        if (!is_name(&d->imports[i].module) || !is_name(&d->imports[i].name))
            return fail(err, "bad import name");
    for (uint64_t i = 0; d->exports && i < d->nexports; i++)
        if (!is_name(&d->exports[i].name))
            return fail(err, "bad export name");
    return true;
}

static bool
check_desc(const MoatDescriptor *d, moat_error *err)
{
    if (!d)
        return fail(err, "no descriptor");
    if (((uintptr_t)d & 7) != 0)
        return fail(err, "misaligned descriptor");
    if (!moatR_check_header(d, err))
        return false;
    return check_pointers(d, err);
}

moat_status
moat_module_from_descriptor(moat_engine *e, const moat_descriptor *desc,
                            moat_module **out, moat_error *err)
{
    const MoatDescriptor *d = (const MoatDescriptor *)(const void *)desc;
    moat_error            ee = { 0 };

    *out = NULL;
    if (!check_desc(d, &ee) || !moatR_module_from_desc(e, d, out, &ee))
        return moatR_report(err, &ee);
    if (!moatR_code_add_module(*out, NULL, (uintptr_t)d->code_lo,
                               (uintptr_t)d->code_hi)) {
        moatR_release(&(*out)->o);
        *out = NULL;
        moatU_fail(&ee, MOAT_NO_OFFSET, MOAT_ERR_NOMEM, "out of memory");
    }
    return moatR_report(err, &ee);
}

/* ---- typed calls ---- */

static const moat_error no_instance = {
    .code = MOAT_ERR_LINK, .offset = MOAT_NO_OFFSET, .func = MOAT_NO_FUNC,
    .msg = "typed call on a NULL instance",
};

moat_status
moat_instance_call_typed(moat_instance *inst, const uint8_t hash[32],
                         uint32_t export_idx, const moat_val *args,
                         size_t nargs, moat_val *results, size_t nresults)
{
    moat_error  e = { 0 };
    moat_status st = MOAT_ERR_LINK;

    if (!inst) {
        /* nothing to record into: moat_instance_last_error(NULL) says it */
    } else if (memcmp(inst->module->desc->hash, hash, 32) != 0) {
        moatU_fail(&e, MOAT_NO_OFFSET, MOAT_ERR_LINK, "wrong instance: "
                   "export %u called through the header of another module "
                   "(the instance's module has SHA-256 %02x%02x%02x%02x..., "
                   "the header's %02x%02x%02x%02x...)", export_idx,
                   inst->module->desc->hash[0], inst->module->desc->hash[1],
                   inst->module->desc->hash[2], inst->module->desc->hash[3],
                   hash[0], hash[1], hash[2], hash[3]);
    } else {
        st = moat_instance_call_index(inst, export_idx, args, nargs, results,
                                      nresults, &e);
        if (st == MOAT_YIELDED)
            e = (moat_error){ .code = MOAT_YIELDED, .offset = MOAT_NO_OFFSET,
                              .func = MOAT_NO_FUNC,
                              .msg = "the call is suspended: "
                                     "moat_instance_resume continues it" };
    }
    if (st != MOAT_OK && results && nresults)
        memset(results, 0, nresults * sizeof *results);
    if (inst) {
        if (st == MOAT_OK) {
            inst->last_error.code = MOAT_OK;
            inst->last_error.trap = MOAT_TRAP_NONE;
            inst->last_error.msg[0] = '\0';
        } else {
            inst->last_error = e;
        }
    }
    return st;
}

const moat_error *
moat_instance_last_error(moat_instance *inst)
{
    return inst ? &inst->last_error : &no_instance;
}
