/* fuzz_load.c - libFuzzer target over the artifact loaders: each input is
 * given to moat_module_load_object, as a relocatable object or a shared
 * object by its ELF header (elf.c, elf_dyn.c, contract_bounds.c,
 * contract.c). Checks the error contract of include/moat.h and, when the
 * input loads, reads everything the module describes (import and export
 * infos, function names), so that a descriptor pointer the checks missed
 * shows up under ASan. Never runs the loaded code: a mutant whose code
 * bytes changed still loads, and only a machine-code verifier could tell.
 * Built by build-fuzz.sh; run by smoke.sh and as in docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "moat.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static moat_engine *engine;

/* A failure is a contract, limit or out-of-memory error, with a
 * NUL-ended non-empty message and an offset in the input or none. */
static void
check_failure(const moat_error *err, moat_status st, size_t len)
{
    if (st != MOAT_ERR_CONTRACT && st != MOAT_ERR_LIMIT
        && st != MOAT_ERR_NOMEM)
        __builtin_trap();
    if (err->code != st || err->trap != MOAT_TRAP_NONE)
        __builtin_trap();
    if (err->msg[0] == '\0' || !memchr(err->msg, '\0', sizeof err->msg))
        __builtin_trap();
    if (err->offset != MOAT_NO_OFFSET && err->offset > (uint64_t)len)
        __builtin_trap();
}

static void
touch_info(const moat_extern_info *x)
{
    volatile size_t n = 0;

    if (x->module)
        n += strlen(x->module);
    n += strlen(x->name);
    for (uint32_t i = 0; x->kind == 0 && i < x->nparams; i++)
        n += x->params[i];
    for (uint32_t i = 0; x->kind == 0 && i < x->nresults; i++)
        n += x->results[i];
    (void)n;
}

static void
touch_module(moat_module *m)
{
    moat_extern_info x;
    char             buf[32];
    volatile size_t  n = 0;

    for (size_t i = 0; i < moat_module_import_count(m); i++)
        if (moat_module_import(m, i, &x) == MOAT_OK)
            touch_info(&x);
    for (size_t i = 0; i < moat_module_export_count(m); i++)
        if (moat_module_export(m, i, &x) == MOAT_OK)
            touch_info(&x);
    for (uint64_t i = 0; i < m->desc->nfuncs; i++)
        n += strlen(moatR_func_name(m, (uint32_t)i, buf, sizeof buf));
    n += moat_module_hash(m)[0];
    (void)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    moat_module *m = (moat_module *)&engine;      /* must become NULL */
    moat_error   err = { 0 };
    moat_status  st;

    if (!engine && moat_engine_new(&engine, NULL) != MOAT_OK)
        __builtin_trap();
    /* trusted: the loader's own checks, all of them, are the target (the
     * machine-code checker has its own: docs/verify.md) */
    st = moat_module_load_object_flags(engine, data, size, MOAT_LOAD_TRUSTED,
                                       &m, &err);
    if (st == MOAT_OK) {
        if (!m || err.code != MOAT_OK)
            __builtin_trap();
        touch_module(m);
        moat_module_free(m);
    } else {
        if (m)
            __builtin_trap();
        check_failure(&err, st, size);
    }
    return 0;
}
