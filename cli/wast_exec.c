/* wast_exec.c - the runtime side of `moat wast` (cmd_wast.c): an engine
 * and a linker holding the `spectest` module the spec scripts import
 * (print functions that print nothing, four globals, a table, a memory),
 * modules compiled in memory through the compiler library, instances by
 * name, and `register`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static void print(void *c) { (void)c; }
static void print_i32(void *c, uint32_t a) { (void)c, (void)a; }
static void print_i64(void *c, uint64_t a) { (void)c, (void)a; }
static void print_f32(void *c, float a) { (void)c, (void)a; }
static void print_f64(void *c, double a) { (void)c, (void)a; }
static void print_i32_f32(void *c, uint32_t a, float b)
{
    (void)c, (void)a, (void)b;
}
static void print_f64_f64(void *c, double a, double b)
{
    (void)c, (void)a, (void)b;
}

static moat_status
define_spectest(moat_linker *l, moat_error *err)
{
    static const uint8_t i32[] = { MOAT_I32 }, i64[] = { MOAT_I64 };
    static const uint8_t f32[] = { MOAT_F32 }, f64[] = { MOAT_F64 };
    static const uint8_t i32f32[] = { MOAT_I32, MOAT_F32 };
    static const uint8_t f64f64[] = { MOAT_F64, MOAT_F64 };
    static const struct {
        const char *name;
        const uint8_t *p;
        uint32_t n;
        moat_native_fn fn;
    } fns[] = {
        { "print", NULL, 0, (moat_native_fn)print },
        { "print_i32", i32, 1, (moat_native_fn)print_i32 },
        { "print_i64", i64, 1, (moat_native_fn)print_i64 },
        { "print_f32", f32, 1, (moat_native_fn)print_f32 },
        { "print_f64", f64, 1, (moat_native_fn)print_f64 },
        { "print_i32_f32", i32f32, 2, (moat_native_fn)print_i32_f32 },
        { "print_f64_f64", f64f64, 2, (moat_native_fn)print_f64_f64 },
    };
    static const struct { const char *name; uint8_t t; uint64_t bits; } gs[] = {
        { "global_i32", MOAT_I32, 666 }, { "global_i64", MOAT_I64, 666 },
        { "global_f32", MOAT_F32, 0x4426a666u },          /* 666.6f */
        { "global_f64", MOAT_F64, 0x4084d4cccccccccdu },  /* 666.6 */
    };
    moat_status st = MOAT_OK;

    for (size_t i = 0; st == MOAT_OK && i < sizeof fns / sizeof *fns; i++)
        st = moat_linker_define_func(l, "spectest", fns[i].name, fns[i].p,
                                     fns[i].n, NULL, 0, fns[i].fn, NULL, err);
    for (size_t i = 0; st == MOAT_OK && i < sizeof gs / sizeof *gs; i++) {
        moat_val v = { .type = gs[i].t };
        if (gs[i].t == MOAT_I32 || gs[i].t == MOAT_F32)
            v.of.i32 = (uint32_t)gs[i].bits;
        else
            v.of.i64 = gs[i].bits;
        st = moat_linker_define_global(l, "spectest", gs[i].name, v, 0, err);
    }
    if (st == MOAT_OK)
        st = moat_linker_define_table(l, "spectest", "table", MOAT_FUNCREF,
                                      10, 20, err);
    if (st == MOAT_OK)
        st = moat_linker_define_memory(l, "spectest", "memory", 1, 2, err);
    return st;
}

bool
moat_wast_begin(WastRun *x, char *why, size_t n)
{
    moat_error err = { 0 };

    *x = (WastRun){ 0 };
    if (!(x->cc = moat_cli_compiler_quiet(why, n)))
        return false;
    if (moat_engine_new(&x->engine, &err) != MOAT_OK ||
        moat_linker_new(x->engine, &x->linker, &err) != MOAT_OK ||
        define_spectest(x->linker, &err) != MOAT_OK ||
        x->cc->config_new(&x->cfg, &err) != MOAT_OK) {
        snprintf(why, n, "%s", err.msg);
        moat_wast_end(x);
        return false;
    }
    return true;
}

void
moat_wast_end(WastRun *x)
{
    for (size_t i = 0; i < x->n; i++) {
        moat_instance_free(x->inst[i].inst);
        moat_module_free(x->inst[i].mod);
        moatU_free(x->inst[i].name);
    }
    moatU_free(x->inst);
    if (x->cfg)
        x->cc->config_free(x->cfg);
    moat_linker_free(x->linker);
    moat_engine_free(x->engine);
    *x = (WastRun){ 0 };
}

/* Keeps mod and inst (either may be NULL) until the end, under name. */
static bool
keep(WastRun *x, const char *name, moat_module *mod, moat_instance *inst)
{
    if (x->n == x->cap) {
        size_t    cap = x->cap ? x->cap * 2 : 16;
        WastInst *p = moatU_realloc(x->inst, cap * sizeof *p);
        if (!p) {
            moat_instance_free(inst);
            moat_module_free(mod);
            return false;
        }
        x->inst = p;
        x->cap = cap;
    }
    x->inst[x->n++] = (WastInst){ name ? moatU_strdup(name) : NULL, mod,
                                  inst };
    return true;
}

moat_status
moat_wast_instantiate(WastRun *x, const uint8_t *wasm, size_t len,
                      const char *name, moat_error *err)
{
    uint8_t       *obj = NULL;
    size_t         objlen = 0;
    moat_module   *mod = NULL;
    moat_instance *inst = NULL;

    moat_status st = x->cc->compile(x->cfg, wasm, len, &obj, &objlen, err);
    if (st == MOAT_OK)
        st = moat_module_load_object(x->engine, obj, objlen, &mod, err);
    x->cc->free(obj);
    if (st == MOAT_OK)
        st = moat_instance_new(x->linker, mod, &inst, err);
    if (!keep(x, st == MOAT_OK ? name : NULL, mod, inst))
        return moatU_fail(err, MOAT_NO_OFFSET, MOAT_ERR_NOMEM,
                          "out of memory"), MOAT_ERR_NOMEM;
    if (st == MOAT_OK)
        x->current = x->n;
    return st;
}

const WastInst *
moat_wast_find(WastRun *x, const char *name)
{
    if (!name)
        return x->current ? &x->inst[x->current - 1] : NULL;
    for (size_t i = x->n; i-- > 0;)         /* the latest of that name */
        if (x->inst[i].name && !strcmp(x->inst[i].name, name))
            return &x->inst[i];
    return NULL;
}

bool
moat_wast_register(WastRun *x, const char *as, const char *name,
                   char *why, size_t n)
{
    const WastInst *wi = moat_wast_find(x, name);
    moat_error      err = { 0 };

    if (!wi)
        return snprintf(why, n, "register: no such instance"), false;
    if (moat_linker_define_instance(x->linker, as, wi->inst, &err) !=
        MOAT_OK)
        return snprintf(why, n, "register: %s", err.msg), false;
    return true;
}
