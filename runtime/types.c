/* types.c - canonical function types: the engine maps each signature
 * (param and result valtype bytes) to a small id, so that call_indirect
 * and import matching compare one integer (spec 4.4.8 call_indirect,
 * 4.5.4 import matching: function types must be equal). Thread-safe.
 */
#include <stdio.h>
#include <string.h>

#include "runtime.h"

enum { MIN_SLOTS = 64 };

void
moatR_types_init(TypeReg *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
}

void
moatR_types_fini(TypeReg *r)
{
    for (uint32_t i = 0; i < r->n; i++)
        moatU_free(r->entries[i].types);
    moatU_free(r->entries);
    moatU_free(r->slots);
    pthread_mutex_destroy(&r->lock);
    memset(r, 0, sizeof *r);
}

/* FNV-1a over the counts and the bytes. */
static uint32_t
sig_hash(const uint8_t *params, uint32_t np, const uint8_t *results,
         uint32_t nr)
{
    uint32_t h = 2166136261u;

    h = (h ^ np) * 16777619u;
    for (uint32_t i = 0; i < np; i++)
        h = (h ^ params[i]) * 16777619u;
    h = (h ^ nr) * 16777619u;
    for (uint32_t i = 0; i < nr; i++)
        h = (h ^ results[i]) * 16777619u;
    return h;
}

static bool
entry_is(const TypeEntry *t, uint32_t h, const uint8_t *params, uint32_t np,
         const uint8_t *results, uint32_t nr)
{
    return t->hash == h && t->nparams == np && t->nresults == nr &&
           (np == 0 || memcmp(t->types, params, np) == 0) &&
           (nr == 0 || memcmp(t->types + np, results, nr) == 0);
}

/* Rebuilds the slot array with twice the slots. */
static bool
rehash(TypeReg *r)
{
    uint32_t  n = r->nslots ? r->nslots * 2 : MIN_SLOTS;
    uint32_t *slots = moatU_calloc(n, sizeof *slots);

    if (!slots)
        return false;
    for (uint32_t id = 1; id <= r->n; id++) {
        uint32_t i = r->entries[id - 1].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = id;
    }
    moatU_free(r->slots);
    r->slots = slots;
    r->nslots = n;
    return true;
}

/* Appends a new entry; its id, or 0 when out of memory. */
static uint32_t
add_entry(TypeReg *r, uint32_t h, const uint8_t *params, uint32_t np,
          const uint8_t *results, uint32_t nr)
{
    if (r->n == UINT32_MAX - 1)
        return 0;
    if ((uint64_t)(r->n + 1) * 2 > r->nslots && !rehash(r))
        return 0;
    if (r->n == r->cap) {
        uint32_t   cap = r->cap ? r->cap * 2 : 16;
        TypeEntry *e = moatU_realloc(r->entries, cap * sizeof *e);
        if (!e)
            return 0;
        r->entries = e;
        r->cap = cap;
    }
    uint8_t *types = moatU_alloc((size_t)np + nr);
    if (!types)
        return 0;
    if (np)
        memcpy(types, params, np);
    if (nr)
        memcpy(types + np, results, nr);
    r->entries[r->n] = (TypeEntry){ h, np, nr, types };
    uint32_t id = ++r->n;
    uint32_t i = h & (r->nslots - 1);
    while (r->slots[i])
        i = (i + 1) & (r->nslots - 1);
    r->slots[i] = id;
    return id;
}

uint32_t
moatR_type_id(moat_engine *e, const uint8_t *params, uint32_t np,
              const uint8_t *results, uint32_t nr)
{
    TypeReg *r = &e->types;
    uint32_t h = sig_hash(params, np, results, nr);
    uint32_t id = 0;

    pthread_mutex_lock(&r->lock);
    if (r->nslots) {
        for (uint32_t i = h & (r->nslots - 1); r->slots[i];
             i = (i + 1) & (r->nslots - 1)) {
            const TypeEntry *t = &r->entries[r->slots[i] - 1];
            if (entry_is(t, h, params, np, results, nr)) {
                id = r->slots[i];
                break;
            }
        }
    }
    if (id == 0)
        id = add_entry(r, h, params, np, results, nr);
    pthread_mutex_unlock(&r->lock);
    return id;
}

const char *
moatR_valtype_text(uint8_t t)
{
    switch (t) {
    case MOAT_I32: return "i32";
    case MOAT_I64: return "i64";
    case MOAT_F32: return "f32";
    case MOAT_F64: return "f64";
    case MOAT_V128: return "v128";
    case MOAT_FUNCREF: return "funcref";
    case MOAT_EXTERNREF: return "externref";
    default: return "?";
    }
}

static size_t
list_text(char *buf, size_t n, size_t at, const uint8_t *ts, uint32_t nts)
{
    at += (size_t)snprintf(buf + (at < n ? at : n), at < n ? n - at : 0,
                           "(");
    for (uint32_t i = 0; i < nts; i++)
        at += (size_t)snprintf(buf + (at < n ? at : n), at < n ? n - at : 0,
                               "%s%s", i ? " " : "",
                               moatR_valtype_text(ts[i]));
    at += (size_t)snprintf(buf + (at < n ? at : n), at < n ? n - at : 0,
                           ")");
    return at;
}

void
moatR_sig_text(char *buf, size_t n, const uint8_t *params, uint32_t np,
               const uint8_t *results, uint32_t nr)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    size_t at = list_text(buf, n, 0, params, np);
    at += (size_t)snprintf(buf + (at < n ? at : n), at < n ? n - at : 0,
                           " -> ");
    list_text(buf, n, at, results, nr);
}

void
moatR_type_text(moat_engine *e, uint32_t id, char *buf, size_t n)
{
    TypeReg *r = &e->types;

    pthread_mutex_lock(&r->lock);
    if (id >= 1 && id <= r->n) {
        const TypeEntry *t = &r->entries[id - 1];
        moatR_sig_text(buf, n, t->types, t->nparams, t->types + t->nparams,
                       t->nresults);
    } else if (n) {
        snprintf(buf, n, "(unknown type)");
    }
    pthread_mutex_unlock(&r->lock);
}
