/* routeset.c - the routes with their modules loaded: one engine per route
 * (its pool of instances, its memory cap), the module compiled or loaded
 * once, a linker with WASI bound per instance. Built at start and on
 * SIGHUP, published by swapping one pointer; a request holds the set it
 * started with, so a reload never pulls a module from under a request.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define DEFAULT_TIMEOUT_NS  (UINT64_C(30) * 1000000000u)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static RouteSet       *current;
static uint64_t        generations;

static int
load_object(moat_engine *e, const char *path, int opt_level,
            moat_module **out)
{
    moat_error err = { 0 };

    (void)opt_level;
    /* verified as it loads (a .so is refused: docs/verify.md) */
    if (moat_module_load_file(e, path, out, &err) == MOAT_OK)
        return 0;
    serve_log("%s: %s", path, err.msg);
    return 1;
}

static ServeLoadFn loader = load_object;

void
serve_set_loader(ServeLoadFn fn)
{
    loader = fn ? fn : load_object;
}

static void
free_set(RouteSet *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; rs->v && i < rs->routes.n; i++) {
        LoadedRoute *lr = &rs->v[i];
        moat_linker_free(lr->linker);
        moat_module_free(lr->module);
        moat_engine_free(lr->engine);
    }
    free(rs->v);
    serve_routes_free(&rs->routes);
    free(rs);
}

static bool
load_route(const ServeConfig *c, LoadedRoute *lr)
{
    const ServeRoute *r = lr->cfg;
    moat_error        err = { 0 };

    lr->timeout_ns = r->timeout_ns ? r->timeout_ns
                     : c->timeout_ns ? c->timeout_ns : DEFAULT_TIMEOUT_NS;
    lr->max_memory = r->max_memory ? r->max_memory : c->max_memory;
    if (!strncmp(r->module, "native:", 7)) {
        lr->native = serve_native_find(r->module + 7);
        if (!lr->native)
            serve_log("route %s: no native handler '%s' in this server",
                      r->pattern, r->module + 7);
        return lr->native != NULL;
    }
    if (moat_engine_new(&lr->engine, &err) != MOAT_OK) {
        serve_log("route %s: %s", r->pattern, err.msg);
        return false;
    }
    if (lr->max_memory)
        moat_engine_set_max_memory(lr->engine, lr->max_memory);
    /* Handlers are short: a small stack keeps thousands in flight. */
    moat_engine_set_stack_size(lr->engine, (uint64_t)1 << 20);
    if (loader(lr->engine, r->module, c->opt_level, &lr->module)) {
        serve_log("route %s: cannot load %s", r->pattern, r->module);
        return false;
    }
    if (!moat_module_is_interruptible(lr->module)) {
        serve_log("route %s: %s has no interruption checks, so its deadline "
                  "could not stop it (compile it with --interruptible)",
                  r->pattern, r->module);
        return false;
    }
    if (moat_linker_new(lr->engine, &lr->linker, &err) != MOAT_OK ||
        moat_wasi_define(lr->linker, NULL, &err) != MOAT_OK) {
        serve_log("route %s: %s", r->pattern, err.msg);
        return false;
    }
    return true;
}

RouteSet *
serve_routeset_build(const ServeConfig *c)
{
    RouteSet *rs = calloc(1, sizeof *rs);
    char      why[512];

    if (!rs)
        return NULL;
    atomic_init(&rs->refs, 1);
    for (int i = 0; i < c->nroute_args; i++)
        if (!serve_routes_add_arg(&rs->routes, c->route_args[i], why,
                                  sizeof why)) {
            serve_log("--route %s: %s", c->route_args[i], why);
            goto fail;
        }
    if (c->routes_file &&
        !serve_routes_load_file(&rs->routes, c->routes_file, why,
                                sizeof why)) {
        serve_log("%s", why);
        goto fail;
    }
    if (!rs->routes.n) {
        serve_log("no routes (give --route PATH=MODULE or a route file)");
        goto fail;
    }
    if (!(rs->v = calloc(rs->routes.n, sizeof *rs->v)))
        goto fail;
    for (size_t i = 0; i < rs->routes.n; i++) {
        rs->v[i].cfg = &rs->routes.v[i];
        if (!load_route(c, &rs->v[i]))
            goto fail;
    }
    pthread_mutex_lock(&lock);
    rs->generation = ++generations;
    pthread_mutex_unlock(&lock);
    return rs;
fail:
    free_set(rs);
    return NULL;
}

RouteSet *
serve_routeset_acquire(void)
{
    pthread_mutex_lock(&lock);
    RouteSet *rs = current;
    if (rs)
        atomic_fetch_add(&rs->refs, 1);
    pthread_mutex_unlock(&lock);
    return rs;
}

void
serve_routeset_release(RouteSet *rs)
{
    if (rs && atomic_fetch_sub(&rs->refs, 1) == 1)
        free_set(rs);
}

void
serve_routeset_publish(RouteSet *rs)
{
    pthread_mutex_lock(&lock);
    RouteSet *old = current;
    current = rs;
    pthread_mutex_unlock(&lock);
    serve_routeset_release(old);
}

const LoadedRoute *
serve_routeset_match(const RouteSet *rs, const char *path,
                     const char **path_info)
{
    const ServeRoute *r = serve_routes_match(&rs->routes, path, path_info);

    return r ? &rs->v[r - rs->routes.v] : NULL;
}
