/* host_ffi.c - host functions as generic callbacks (moat.h,
 * moat_linker_define_callback): one libffi closure per definition gives
 * compiled code a function with the native signature of the wasm type,
 * result code(moat_caller *, params...), or with two or more results
 * void code(moat_caller *, params..., results area) (runtime/abi.h); the
 * closure collects the arguments into moat_vals, calls the callback and
 * returns or stores its results. Compiled code cannot tell it from a
 * function written in C.
 */
#include <ffi.h>
#include <string.h>

#include "runtime.h"

enum { MAX_PARAMS = 64, MAX_RESULTS = 64 };

typedef struct Callback {
    ffi_closure   *closure;
    void          *code;        /* the closure's entry point */
    ffi_cif        cif;
    ffi_type      *atypes[1 + MAX_PARAMS + 1];  /* + the results area */
    moat_callback  fn;
    void          *host_ctx;
    uint32_t       nparams, nresults;
    uint8_t        types[MAX_PARAMS + MAX_RESULTS];  /* params, results */
} Callback;

/* The C type compiled code passes a wasm value as. v128 (a vector
 * register) has no libffi type. */
static ffi_type *
ffi_of(uint8_t t)
{
    switch (t) {
    case MOAT_I32: return &ffi_type_uint32;
    case MOAT_I64: return &ffi_type_uint64;
    case MOAT_F32: return &ffi_type_float;
    case MOAT_F64: return &ffi_type_double;
    case MOAT_FUNCREF: case MOAT_EXTERNREF: return &ffi_type_pointer;
    default: return NULL;
    }
}

static size_t
size_of(uint8_t t)
{
    return t == MOAT_I32 || t == MOAT_F32 ? 4
           : t == MOAT_FUNCREF || t == MOAT_EXTERNREF ? sizeof(void *)
                                                      : 8;
}

/* One result: the closure returns it. More: they go into the results
 * area compiled code passed last, MOAT_RESULT_SLOT bytes apart. */
static void
put_results(const Callback *cb, void *ret, void **args, const moat_val *res)
{
    if (cb->nresults == 1 && res[0].type == MOAT_I32) {
        ffi_arg v = res[0].of.i32;      /* libffi widens small integers */
        memcpy(ret, &v, sizeof v);
    } else if (cb->nresults == 1) {
        memcpy(ret, &res[0].of, size_of(res[0].type));
    } else if (cb->nresults > 1) {
        uint8_t *area = *(uint8_t **)args[1 + cb->nparams];
        for (uint32_t i = 0; i < cb->nresults; i++)
            memcpy(area + (size_t)i * MOAT_RESULT_SLOT, &res[i].of,
                   size_of(res[i].type));
    }
}

static void
trampoline(ffi_cif *cif, void *ret, void **args, void *user)
{
    Callback    *cb = user;
    moat_caller *c = *(moat_caller **)args[0];
    moat_val     vals[MAX_PARAMS], res[MAX_RESULTS];

    (void)cif;
    for (uint32_t i = 0; i < cb->nparams; i++) {
        memset(&vals[i], 0, sizeof vals[i]);
        vals[i].type = cb->types[i];
        memcpy(&vals[i].of, args[1 + i], size_of(cb->types[i]));
    }
    for (uint32_t i = 0; i < cb->nresults; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].type = cb->types[cb->nparams + i];
    }
    cb->fn(c, cb->host_ctx, vals, cb->nparams, res, cb->nresults);
    put_results(cb, ret, args, res);
}

static void
callback_free(void *p)
{
    Callback *cb = p;

    if (cb->closure)
        ffi_closure_free(cb->closure);
    moatU_free(cb);
}

static moat_status
refuse(moat_error *err, moat_status code, const char *fmt, const char *name)
{
    moat_error e = { 0 };

    moatU_fail(&e, MOAT_NO_OFFSET, code, fmt, name);
    return moatR_report(err, &e);
}

moat_status
moat_linker_define_callback(moat_linker *l, const char *module,
                            const char *name, const uint8_t *params,
                            uint32_t nparams, const uint8_t *results,
                            uint32_t nresults, moat_callback fn,
                            void *host_ctx, moat_error *err)
{
    if (nparams > MAX_PARAMS || nresults > MAX_RESULTS)
        return refuse(err, MOAT_ERR_LIMIT, "callback %s: at most 64 "
                      "parameters and 64 results", name);
    for (uint32_t i = 0; i < nparams + nresults; i++)
        if (!ffi_of(i < nparams ? params[i] : results[i - nparams]))
            return refuse(err, MOAT_ERR_LIMIT, "callback %s: v128 values "
                          "need a native host function", name);
    Callback *cb = moatU_calloc(1, sizeof *cb);
    if (!cb)
        return refuse(err, MOAT_ERR_NOMEM, "out of memory: callback %s",
                      name);
    cb->fn = fn;
    cb->host_ctx = host_ctx;
    cb->nparams = nparams;
    cb->nresults = nresults;
    if (nparams)
        memcpy(cb->types, params, nparams);
    if (nresults)
        memcpy(cb->types + nparams, results, nresults);
    cb->atypes[0] = &ffi_type_pointer;
    for (uint32_t i = 0; i < nparams; i++)
        cb->atypes[1 + i] = ffi_of(params[i]);
    bool      has_area = nresults > 1;
    ffi_type *rtype = nresults == 1 ? ffi_of(results[0]) : &ffi_type_void;
    if (has_area)
        cb->atypes[1 + nparams] = &ffi_type_pointer;
    cb->closure = ffi_closure_alloc(sizeof(ffi_closure), &cb->code);
    if (!cb->closure ||
        ffi_prep_cif(&cb->cif, FFI_DEFAULT_ABI, 1 + nparams + has_area,
                     rtype, cb->atypes) != FFI_OK ||
        ffi_prep_closure_loc(cb->closure, &cb->cif, trampoline, cb,
                             cb->code) != FFI_OK) {
        callback_free(cb);
        return refuse(err, MOAT_ERR_NOMEM, "cannot make a libffi closure "
                      "for callback %s", name);
    }
    moat_native_fn code;
    memcpy(&code, &cb->code, sizeof code);
    return moatR_define_func(l, module, name, params, nparams, results,
                             nresults, code, cb, true, callback_free, cb,
                             err);
}
