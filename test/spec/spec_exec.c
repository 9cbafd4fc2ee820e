/* spec_exec.c - runs what the spec suite executes: modules are compiled
 * with moat_compile, loaded as objects and instantiated against the
 * spectest host module and registered instances; actions invoke exports
 * or read globals. State lives per .json file (spec_runner.c calls
 * moatT_exec_begin/end around each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat_compile.h"
#include "spec.h"

typedef struct Named {
    char          *name;
    moat_instance *inst;
    moat_module   *mod;
} Named;

struct Exec {
    moat_engine   *engine;          /* for the whole run */
    moat_linker   *linker;          /* per file */
    moat_module  **mods;
    moat_instance **insts;
    size_t         nmods, ninsts, cap;
    Named         *names;
    size_t         nnames, capnames;
    moat_instance *current;
    moat_module   *current_mod;
    moat_compile_config *cfg;
};

static bool
remember(Exec *X, moat_module *m, moat_instance *inst)
{
    if (X->nmods == X->cap || X->ninsts == X->cap) {
        size_t cap = X->cap ? X->cap * 2 : 16;
        void  *a = moatU_realloc(X->mods, cap * sizeof *X->mods);
        if (!a)
            return false;
        X->mods = a;
        void *b = moatU_realloc(X->insts, cap * sizeof *X->insts);
        if (!b)
            return false;
        X->insts = b;
        X->cap = cap;
    }
    if (m)
        X->mods[X->nmods++] = m;
    if (inst)
        X->insts[X->ninsts++] = inst;
    return true;
}

/* MOAT_SPEC_THREADS=N compiles every module in N partitions,
 * MOAT_SPEC_INTERRUPTIBLE=1 with deadline checks, MOAT_SPEC_OPT=N at -ON
 * (default 2): the suite then also checks partitioned compilation, that
 * the checks change no result, and other levels. */
static bool
new_config(moat_compile_config **cfg, moat_error *err)
{
    const char *t = getenv("MOAT_SPEC_THREADS");
    const char *i = getenv("MOAT_SPEC_INTERRUPTIBLE");
    const char *o = getenv("MOAT_SPEC_OPT");
    if (moat_compile_config_new(cfg, err) != MOAT_OK)
        return false;
    if (o)
        moat_compile_config_set_opt_level(*cfg, atoi(o));
    if (t)
        moat_compile_config_set_threads(*cfg, atoi(t));
    if (i && atoi(i))
        moat_compile_config_set_interruptible(*cfg, 1);
    return true;
}

bool
moatT_exec_begin(Runner *R, char *why, size_t nwhy)
{
    moat_error err = { 0 };
    if (!R->exec && !(R->exec = moatU_calloc(1, sizeof *R->exec)))
        return snprintf(why, nwhy, "out of memory"), false;
    Exec *X = R->exec;
    if ((!X->engine && moat_engine_new(&X->engine, &err) != MOAT_OK) ||
        (!X->cfg && !new_config(&X->cfg, &err)) ||
        moat_linker_new(X->engine, &X->linker, &err) != MOAT_OK ||
        moatT_define_spectest(X->linker, &err) != MOAT_OK) {
        snprintf(why, nwhy, "cannot set up the runtime: %s", err.msg);
        return false;
    }
    return true;
}

void
moatT_exec_end(Runner *R)
{
    Exec *X = R->exec;
    if (!X)
        return;
    moat_linker_free(X->linker);
    X->linker = NULL;
    while (X->ninsts > 0)
        moat_instance_free(X->insts[--X->ninsts]);
    while (X->nmods > 0)
        moat_module_free(X->mods[--X->nmods]);
    for (size_t i = 0; i < X->nnames; i++)
        moatU_free(X->names[i].name);
    X->nnames = 0;
    X->current = NULL;
    X->current_mod = NULL;
}

void
moatT_exec_free(Runner *R)
{
    if (!R->exec)
        return;
    moatT_exec_end(R);
    moat_compile_config_free(R->exec->cfg);
    moat_engine_free(R->exec->engine);
    moatU_free(R->exec->mods);
    moatU_free(R->exec->insts);
    moatU_free(R->exec->names);
    moatU_free(R->exec);
    R->exec = NULL;
}

static bool
name_instance(Exec *X, const char *name, moat_instance *inst,
              moat_module *mod)
{
    if (X->nnames == X->capnames) {
        size_t cap = X->capnames ? X->capnames * 2 : 8;
        Named *p = moatU_realloc(X->names, cap * sizeof *p);
        if (!p)
            return false;
        X->names = p;
        X->capnames = cap;
    }
    size_t n = strlen(name) + 1;
    char  *copy = moatU_alloc(n);
    if (!copy)
        return false;
    memcpy(copy, name, n);
    X->names[X->nnames++] = (Named){ copy, inst, mod };
    return true;
}

static Named *
find_named(Exec *X, const char *name)
{
    for (size_t i = X->nnames; i-- > 0;)       /* latest definition wins */
        if (!strcmp(X->names[i].name, name))
            return &X->names[i];
    return NULL;
}

/* Compiles and loads the module file of a command. */
static moat_status
load(Exec *X, const Cmd *c, moat_module **out, moat_error *err, char *why,
     size_t nwhy)
{
    const char *file = moatT_json_str(moatT_json_get(c->json, "filename"));
    char       *path = file ? moatT_spec_join_path(c->dir, file) : NULL;
    char       *bytes;
    size_t      len;
    uint8_t    *obj = NULL;
    size_t      objlen = 0;

    if (!path)
        return snprintf(why, nwhy, "no module file"), MOAT_ERR_IO;
    bool is_read = moatT_spec_read_file(path, &bytes, &len, why, nwhy);
    moatU_free(path);
    if (!is_read)
        return MOAT_ERR_IO;
    moat_status st = moat_compile(X->cfg, (const uint8_t *)bytes, len, &obj,
                                  &objlen, err);
    moatU_free(bytes);
    if (st == MOAT_OK)
        st = moat_module_load_object(X->engine, obj, objlen, out, err);
    moat_free(obj);
    if (st != MOAT_OK)
        snprintf(why, nwhy, "compiling or loading failed: %s", err->msg);
    return st;
}

Outcome
moatT_exec_module(Runner *R, const Cmd *c, moat_status want, char *why,
                  size_t nwhy)
{
    Exec          *X = R->exec;
    moat_module   *mod = NULL;
    moat_instance *inst = NULL;
    moat_error     err = { 0 };

    if (!X || !X->linker)
        return snprintf(why, nwhy, "runtime not set up"), OUT_FAIL;
    if (load(X, c, &mod, &err, why, nwhy) != MOAT_OK)
        return OUT_FAIL;
    moat_status st = moat_instance_new(X->linker, mod, &inst, &err);
    if (!remember(X, mod, inst))
        return snprintf(why, nwhy, "out of memory"), OUT_FAIL;
    if (st != want) {
        snprintf(why, nwhy, "instantiation: expected status %d, got %d: %s",
                 want, st, st == MOAT_OK ? "(instantiated)" : err.msg);
        return OUT_FAIL;
    }
    if (want != MOAT_OK)
        return OUT_PASS;
    const char *name = moatT_json_str(moatT_json_get(c->json, "name"));
    X->current = inst;
    X->current_mod = mod;
    if (name && !name_instance(X, name, inst, mod))
        return snprintf(why, nwhy, "out of memory"), OUT_FAIL;
    return OUT_PASS;
}

Outcome
moatT_exec_register(Runner *R, const Cmd *c, char *why, size_t nwhy)
{
    Exec          *X = R->exec;
    const char    *as = moatT_json_str(moatT_json_get(c->json, "as"));
    const char    *name = moatT_json_str(moatT_json_get(c->json, "name"));
    moat_instance *inst = X ? X->current : NULL;
    moat_error     err = { 0 };

    if (name) {
        Named *n = find_named(X, name);
        inst = n ? n->inst : NULL;
    }
    if (!as || !inst)
        return snprintf(why, nwhy, "register: no instance to register"),
               OUT_FAIL;
    if (moat_linker_define_instance(X->linker, as, inst, &err) != MOAT_OK)
        return snprintf(why, nwhy, "register: %s", err.msg), OUT_FAIL;
    return OUT_PASS;
}

bool
moatT_exec_instance(Runner *R, const char *name, moat_instance **inst,
                    moat_module **mod)
{
    Exec *X = R->exec;
    if (!X)
        return false;
    if (!name) {
        *inst = X->current;
        *mod = X->current_mod;
        return *inst != NULL;
    }
    Named *n = find_named(X, name);
    if (!n)
        return false;
    *inst = n->inst;
    *mod = n->mod;
    return true;
}
